// A campaign's applications in the console: switch the public page on or off, and answer what arrives.
// Answering is db/application-answers.ts, as the admin API answers: approving imports the application's row
// and mails the invitation, declining mails the applicant a short note.
import { Hono } from 'hono';
import { ApplicationsPage, type Approved } from '../../../../portal/console/applications';
import type { Flash } from '../../../../portal/console/layout';
import { approveApplication, declineAll, declineApplication, type Answering } from '../../../db/application-answers';
import { APPLICATION_ID, applicationLists, loadApplication, PENDING_SHOWN, pendingAmong, reopenApplication } from '../../../db/applications';
import { auditIfChanged } from '../../../db/audit';
import { campaignEnded } from '../../../domain/codes';
import { mailOrigin, publicOrigin } from '../../../env';
import { notFound } from '../../../lib/errors';
import { ENDED_IMPORT } from '../../admin/imports';
import { campaignOr404, viewerOf } from './campaigns';
import { canWrite, countParam, flashOf, readForm, renderPage, withFlash, type ConsoleContext, type ConsoleEnv, type PageStatus, refuseWithoutOrigin } from './context';
import { awaitingReview, type CampaignRecord } from './queries';
import { countOf, formatCount } from '../../../../portal/format';

export const applicationRoutes = new Hono<ConsoleEnv>();

const FLASHES: Record<string, Flash> = {
  reopened: { tone: 'success', text: 'Reopened: it is waiting for an answer again. If they were emailed about the decline, declining it again emails nothing more.' },
  answered: { tone: 'info', text: 'That application was answered already: by you in another tab, by a teammate or through the API.' },
  opened: { tone: 'success', text: 'Applications are on: share the page below.' },
  closed: { tone: 'info', text: 'Applications are off: the page now says this campaign is not taking any. Those waiting stay below.' },
};

const pagePath = (campaignId: string) => `/console/campaigns/${campaignId}/applications`;

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

const NOT_MAILED = 'they asked for no invitations from you, are in this campaign already, were told of an earlier decline (yours in the last month, or three from anyone today), or email is not set up here';
const NOTE = 'a short note that you are not taking them on for this campaign (no reason given)';

// A decline, or how many "Decline all shown" declined, and how many of those applicants Chorus is mailing
// (numbers only).
function declinedFlash(c: ConsoleContext): Flash | null {
  const flash = c.req.query('flash');
  const mailed = countParam(c, 'mailed');
  if (flash === 'declined') {
    const told = mailed > 0 ? `Chorus is emailing them ${NOTE}.` : `They were not emailed: ${NOT_MAILED}.`;
    return { tone: 'info', text: `Declined. ${told} Changed your mind? Reopen it under Answered lately.` };
  }
  if (flash !== 'declined_all') return null;
  const n = countParam(c, 'declined');
  if (n === 0) return { tone: 'info', text: 'Nothing was declined: those applications were answered already.' };
  const told =
    mailed >= n ? `Chorus is emailing ${n === 1 ? 'the creator' : 'each creator'} ${NOTE}.` : mailed === 0 ? `Nobody was emailed: ${NOT_MAILED}.` : `Chorus is emailing ${formatCount(mailed)} of them ${NOTE}; the others were not emailed (${NOT_MAILED}).`;
  return { tone: 'info', text: `Declined ${countOf(n, 'application')}. ${told}` };
}

// The answer's context for db/application-answers.ts: this teammate, this campaign, and the origin the applicant's
// mail names (mailOrigin's: an answer is refused without one, answerRefused).
const answering = (c: ConsoleContext, campaign: CampaignRecord, origin: string): Answering => ({
  env: c.env,
  ctx: c.executionCtx,
  brandId: c.var.user.brandId,
  brandName: c.var.user.brandName,
  campaign: { id: campaign.id, name: campaign.name, campaign_status: campaign.status, ends_at: campaign.ends_at, default_destination: campaign.default_destination },
  actor: { type: 'admin_user', id: c.var.user.id },
  origin,
});

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
  const origin = mailOrigin(c.env, c.req);
  if (!origin) return refuseWithoutOrigin(c, (problem, status) => renderApplications(c, campaign, { problem }, status));
  const declined = await declineAll(answering(c, campaign, origin), ids);
  return c.redirect(withFlash(pagePath(campaign.id), 'declined_all', { declined: declined.length, mailed: declined.filter((d) => d.tell).length }), 303);
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
  const origin = mailOrigin(c.env, c.req);
  if (!origin) return refuseWithoutOrigin(c, (problem, status) => renderApplications(c, campaign, { problem }, status));
  const declined = a.status === 'pending' ? await declineApplication(answering(c, campaign, origin), a.id) : null;
  return c.redirect(declined ? withFlash(pagePath(campaign.id), 'declined', { mailed: declined.tell ? 1 : 0 }) : withFlash(pagePath(campaign.id), 'answered'), 303);
});

applicationRoutes.post('/campaigns/:id/applications/:app/approve', async (c) => {
  const campaign = await campaignOr404(c, c.req.param('id'));
  const a = await applicationOr404(c, campaign);
  const back = pagePath(campaign.id);
  const paymentModel = (await readForm(c)).get('paymentModel') === 'product' ? 'product' : 'affiliate';
  const approvedPage = (extra: Record<string, number>) => `${back}?${new URLSearchParams({ approved: a.id, ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, String(v)])) })}`;
  const origin = mailOrigin(c.env, c.req);
  if (!origin) return refuseWithoutOrigin(c, (problem, status) => renderApplications(c, campaign, { problem }, status));
  const result = await approveApplication(answering(c, campaign, origin), a, paymentModel);
  switch (result.outcome) {
    case 'approved':
      return c.redirect(approvedPage({ mailed: result.invitationQueued ? 1 : 0 }), 303);
    case 'already_in_campaign':
      return c.redirect(approvedPage({ already: 1 }), 303);
    case 'answered':
      return c.redirect(withFlash(back, 'answered'), 303);
    case 'previously_removed':
      return renderApplications(c, campaign, { problem: `${a.name} was in this campaign before and ${result.leftThemselves ? 'left it' : 'was removed'}. Restore them on their page to invite them again, then mark this application approved.` }, 409);
    case 'campaign_ended':
      return renderApplications(c, campaign, { problem: ENDED_IMPORT }, 409);
    case 'handle_taken':
      return renderApplications(c, campaign, { problem: `@${result.handle} is the handle of another creator on your roster, so this application cannot be approved as sent. Decline it, or ask ${a.name} to apply again with their own email address.` }, 409);
    case 'code_taken':
      return renderApplications(c, campaign, { problem: `${result.reason} Import ${a.name} from Import creators with a code pattern of your choice, then mark this application approved.` }, 409);
  }
});
