// A campaign's applications in the console: switch the public page on or off, and answer what arrives.
// Approving one runs the roster import for its one row (db/creator-import.ts) and mails the invitation.
import { Hono } from 'hono';
import { ApplicationsPage, type Approved } from '../../../../portal/console/applications';
import type { Flash } from '../../../../portal/console/layout';
import { applicationLists, campaignCodeStyle, decideApplication, declineApplications, loadApplication, PENDING_SHOWN, pendingAmong, reopenApplication } from '../../../db/applications';
import { auditIfChanged } from '../../../db/audit';
import { codeProblems, conflictingHandles, freeCodePattern, importAuditStatement, importCreators, removedFromCampaign, type ImportTarget } from '../../../db/creator-import';
import { campaignEnded } from '../../../db/creator-portal';
import { mailInvitations } from '../../../db/invitation-mails';
import type { ImportRow } from '../../../domain/creator-import';
import { publicOrigin } from '../../../env';
import { notFound } from '../../../lib/errors';
import { newId } from '../../../lib/ids';
import { log } from '../../../lib/log';
import { mailSetup } from '../../../lib/messages';
import { ENDED_IMPORT } from '../../admin/imports';
import { campaignOr404, viewerOf } from './campaigns';
import { canWrite, countParam, flashOf, readForm, renderPage, withFlash, type ConsoleContext, type ConsoleEnv, type PageStatus } from './context';
import { awaitingReview, type CampaignRecord } from './queries';
import { countOf } from '../../../../portal/format';

export const applicationRoutes = new Hono<ConsoleEnv>();

const FLASHES: Record<string, Flash> = {
  declined: { tone: 'info', text: 'Declined. Nothing was sent to them. Changed your mind? Reopen it under Answered lately.' },
  reopened: { tone: 'success', text: 'Reopened: it is waiting for an answer again.' },
  answered: { tone: 'info', text: 'That application was answered already, by you in another tab or by a teammate.' },
  opened: { tone: 'success', text: 'Applications are on: share the page below.' },
  closed: { tone: 'info', text: 'Applications are off: the page now says this campaign is not taking any. Those waiting stay below.' },
};

const pagePath = (campaignId: string) => `/console/campaigns/${campaignId}/applications`;
const APPLICATION_ID = /^app_[A-Za-z0-9_-]{1,64}$/;

async function applicationOr404(c: ConsoleContext, campaign: CampaignRecord) {
  const id = c.req.param('app') ?? '';
  const a = APPLICATION_ID.test(id) ? await loadApplication(c.env.DB, c.var.user.brandId, campaign.id, id) : null;
  if (!a) throw notFound('application');
  return a;
}

async function renderApplications(c: ConsoleContext, campaign: CampaignRecord, extras: { problem?: string; approved?: Approved; declineIds?: string[] } = {}, status: PageStatus = 200) {
  const { user } = c.var;
  const [lists, toReview] = await Promise.all([applicationLists(c.env.DB, user.brandId, campaign.id), awaitingReview(c.env.DB, user.brandId)]);
  return renderPage(
    c,
    <ApplicationsPage
      viewer={viewerOf(c)}
      campaign={{ ...campaign, ended: campaignEnded({ campaign_status: campaign.status, ends_at: campaign.ends_at }, Date.now()), applicationsOpen: campaign.applications_open === 1 }}
      url={`${publicOrigin(c)}/apply/${user.brandSlug}/${campaign.slug}`}
      lists={lists}
      canWrite={canWrite(user)}
      toReview={toReview}
      flash={declinedFlash(c) ?? flashOf(FLASHES, c)}
      problem={extras.problem}
      approved={extras.approved}
      declineIds={extras.declineIds}
    />,
    status,
  );
}

// How many "Decline all shown" declined (a number only).
function declinedFlash(c: ConsoleContext): Flash | null {
  if (c.req.query('flash') !== 'declined_all') return null;
  const n = countParam(c, 'declined');
  return { tone: 'info', text: n > 0 ? `Declined ${countOf(n, 'application')}. Nothing was sent to them.` : 'Nothing was declined: those applications were answered already.' };
}

applicationRoutes.get('/campaigns/:id/applications', async (c) => {
  const campaign = await campaignOr404(c, c.req.param('id'));
  // After an approval: who, their page, and whether Chorus mailed the invitation (an id and a number only).
  const id = c.req.query('approved') ?? '';
  const a = APPLICATION_ID.test(id) ? await loadApplication(c.env.DB, c.var.user.brandId, campaign.id, id) : null;
  const approved = a?.status === 'approved' && a.enrollment_id ? { name: a.name, handle: a.roster_handle ?? a.handle, enrollmentId: a.enrollment_id, mailed: countParam(c, 'mailed') > 0, already: countParam(c, 'already') > 0 } : undefined;
  return renderApplications(c, campaign, { approved });
});

applicationRoutes.post('/campaigns/:id/applications/open', async (c) => {
  const campaign = await campaignOr404(c, c.req.param('id'));
  const open = (await readForm(c)).get('open') === '1';
  const { user } = c.var;
  const now = Date.now();
  await c.env.DB.batch([
    c.env.DB.prepare('UPDATE campaigns SET applications_open = ? WHERE id = ? AND brand_id = ? AND applications_open <> ?').bind(open ? 1 : 0, campaign.id, user.brandId, open ? 1 : 0),
    auditIfChanged(c.env.DB, { brandId: user.brandId, actorType: 'admin_user', actorId: user.id, action: open ? 'campaign.applications_opened' : 'campaign.applications_closed', targetType: 'campaign', targetId: campaign.id }, now),
  ]);
  return c.redirect(withFlash(pagePath(campaign.id), open ? 'opened' : 'closed'), 303);
});

// The applications shown, declined at once: asked first with the count, then done with confirm=1. Only ids of
// this campaign's waiting applications change; at most the page's worth.
applicationRoutes.post('/campaigns/:id/applications/decline-all', async (c) => {
  const campaign = await campaignOr404(c, c.req.param('id'));
  const form = await readForm(c);
  const ids = [...new Set(form.all('id'))].filter((id) => APPLICATION_ID.test(id)).slice(0, PENDING_SHOWN);
  // Asked about exactly the applications the brand was looking at that are still waiting: one that arrived
  // since is not swept in.
  if (form.get('confirm') !== '1') return renderApplications(c, campaign, { declineIds: await pendingAmong(c.env.DB, { brandId: c.var.user.brandId, campaignId: campaign.id }, ids) });
  const declined = await declineApplications(c.env.DB, { brandId: c.var.user.brandId, campaignId: campaign.id }, ids, { type: 'admin_user', id: c.var.user.id }, Date.now());
  return c.redirect(withFlash(pagePath(campaign.id), 'declined_all', { declined }), 303);
});

applicationRoutes.post('/campaigns/:id/applications/:app/reopen', async (c) => {
  const campaign = await campaignOr404(c, c.req.param('id'));
  const a = await applicationOr404(c, campaign);
  const reopened = await reopenApplication(c.env.DB, { brandId: c.var.user.brandId, campaignId: campaign.id, id: a.id }, { type: 'admin_user', id: c.var.user.id }, Date.now());
  return c.redirect(withFlash(pagePath(campaign.id), reopened ? 'reopened' : 'answered'), 303);
});

applicationRoutes.post('/campaigns/:id/applications/:app/decline', async (c) => {
  const campaign = await campaignOr404(c, c.req.param('id'));
  const a = await applicationOr404(c, campaign);
  const decided = a.status === 'pending' && (await decideApplication(c.env.DB, { brandId: c.var.user.brandId, campaignId: campaign.id, id: a.id }, 'declined', { type: 'admin_user', id: c.var.user.id }, {}, Date.now()));
  return c.redirect(withFlash(pagePath(campaign.id), decided ? 'declined' : 'answered'), 303);
});

applicationRoutes.post('/campaigns/:id/applications/:app/approve', async (c) => {
  const campaign = await campaignOr404(c, c.req.param('id'));
  const a = await applicationOr404(c, campaign);
  const { user } = c.var;
  const db = c.env.DB;
  const back = pagePath(campaign.id);
  if (a.status !== 'pending') return c.redirect(withFlash(back, 'answered'), 303);
  const actor = { type: 'admin_user' as const, id: user.id };
  const t = { brandId: user.brandId, campaignId: campaign.id, id: a.id };
  const approvedPage = (extra: Record<string, number>) => `${back}?${new URLSearchParams({ approved: a.id, ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, String(v)])) })}`;

  // In the campaign already (imported, or approved under another address's application): nothing to create.
  if (a.enrollment_id && a.enrollment_status !== 'removed') {
    const decided = await decideApplication(db, t, 'approved', actor, { enrollmentId: a.enrollment_id, existing: true }, Date.now());
    return c.redirect(decided ? approvedPage({ already: 1 }) : withFlash(back, 'answered'), 303);
  }
  // Removed from it before (by the brand, or they left): restoring them on their page invites them again.
  if (a.enrollment_id) return renderApplications(c, campaign, { problem: `${a.name} was in this campaign before and ${a.ended_by ? 'left it' : 'was removed'}. Restore them on their page to invite them again, then mark this application approved.` }, 409);
  if (campaignEnded({ campaign_status: campaign.status, ends_at: campaign.ends_at }, Date.now())) return renderApplications(c, campaign, { problem: ENDED_IMPORT }, 409);

  const form = await readForm(c);
  const paymentModel = form.get('paymentModel') === 'product' ? 'product' : 'affiliate';
  // A creator already on the roster keeps the handle the brand knows them by: the link and the code are made
  // from that one.
  const handle = a.roster_handle ?? a.handle;
  const row: ImportRow = { line: 1, email: a.email, handle, name: a.name, niche: a.niche, platform: a.platform, followerCount: a.follower_count, paymentModel, flatFeeMinor: 0, briefSection: '' };
  if ((await conflictingHandles(db, user.brandId, [row])).length > 0) {
    return renderApplications(c, campaign, { problem: `@${handle} is the handle of another creator on your roster, so this application cannot be approved as sent. Decline it, or ask ${a.name} to apply again with their own email address.` }, 409);
  }
  // A code in the campaign's style, or one from its name when that one is taken.
  const style = await campaignCodeStyle(db, user.brandId, campaign.id);
  const codeClash = await codeProblems(db, user.brandId, campaign.id, [row], style.pattern);
  const pattern = codeClash.length === 0 ? style.pattern : await freeCodePattern(db, user.brandId, campaign.id, campaign.name, [row], style.pattern);
  if (!pattern) return renderApplications(c, campaign, { problem: `${codeClash[0]!.message.replace(/; use another code pattern for this campaign\.$/, '.')} Import ${a.name} from Import creators with a code pattern of your choice, then mark this application approved.` }, 409);

  // The answer first, so a decline pressed meanwhile (a teammate, another tab) either wins outright or finds it
  // approved: never a declined application with a creator invited behind it.
  if (!(await decideApplication(db, t, 'approved', actor, { paymentModel }, Date.now()))) return c.redirect(withFlash(back, 'answered'), 303);
  const origin = publicOrigin(c);
  const target: ImportTarget = { brandId: user.brandId, campaignId: campaign.id, destination: campaign.default_destination, codePattern: pattern, discountPercent: style.discountPercent, origin, secretsKey: c.env.SECRETS_KEY };
  try {
    const audit = { id: newId('aud'), actor, skipped: 0 };
    const created = await importCreators(db, target, [row], audit);
    await importAuditStatement(db, target, audit, { rows: 1, created, complete: true, application: a.id }, Date.now()).run();
  } catch (error) {
    // Storage failed part-way: the application waits again, and approving it again completes the import
    // (each of its statements writes only what is missing).
    await db.prepare("UPDATE applications SET status = 'pending', decided_at = NULL, decided_by = NULL WHERE id = ? AND brand_id = ? AND status = 'approved'").bind(a.id, user.brandId).run();
    throw error;
  }

  // The invitation, as "Email the invitations" would send it to this one address; the approval stands
  // whether or not it can go (the page then says to send the invite link by hand).
  let mailed = 0;
  if (mailSetup(c.env).kind !== 'unconfigured') {
    try {
      mailed = (await mailInvitations(c.env, target, actor, Date.now(), [a.email])).queued;
    } catch (error) {
      log.error('application_invitation_failed', { campaignId: campaign.id, error });
    }
  }
  return c.redirect(approvedPage({ mailed }), 303);
});
