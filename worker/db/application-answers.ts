// Answering an application, the one way the console's Applications tab and the admin API both do it.
// Approving imports the application's row as the roster import would (db/creator-import.ts) and mails the
// invitation to that address alone; declining mails the applicant a short note, once per application.
import { oneClickUnsubscribe, type Env } from '../env';
import type { ImportRow } from '../domain/creator-import';
import { DECLINED_APPLICATION_DAYS } from '../jobs/retention';
import { mailSetup, type Message } from '../lib/messages';
import { noticesAfterResponse } from '../mail';
import { approveOnce, campaignCodeStyle, declineApplications, declineEach, declineOnce, type Answerer, type ApplicationRow, type Declined, type DeclineReport } from './applications';
import { checkRows, freeCodePattern, importWhole, type ImportTarget } from './creator-import';
import { campaignEnded } from '../domain/codes';
import { mailNewInvitations } from './invitation-mails';
import { unsubscribeToken } from './mail-opt-outs';

export type AnswerCampaign = { id: string; name: string; campaign_status: string; ends_at: number | null; default_destination: string };

// Who answers, for which campaign, and what mails need: the origin their links name and the request's
// context, which keeps a notice going after the response.
export type Answering = {
  env: Env;
  ctx: Pick<ExecutionContext, 'waitUntil'>;
  brandId: string;
  brandName: string;
  campaign: AnswerCampaign;
  actor: Answerer;
  origin: string;
};

export type Approval =
  | { outcome: 'approved'; invitationQueued: boolean }
  // Imported before, or approved under another address's application: marked approved, nothing made.
  | { outcome: 'already_in_campaign'; enrollmentId: string }
  // Answered meanwhile (another tab, a teammate, an API call): nothing changed.
  | { outcome: 'answered' }
  // Not approved, nothing changed; each surface says what to do instead.
  | { outcome: 'previously_removed'; leftThemselves: boolean }
  | { outcome: 'campaign_ended' }
  | { outcome: 'handle_taken'; handle: string }
  | { outcome: 'code_taken'; reason: string };

export type PaymentChoice = 'affiliate' | 'product';

export async function approveApplication(x: Answering, a: ApplicationRow, paymentModel: PaymentChoice): Promise<Approval> {
  const { env, brandId, campaign, actor } = x;
  const db = env.DB;
  if (a.status !== 'pending') return { outcome: 'answered' };
  const t = { brandId, campaignId: campaign.id, id: a.id };

  // In the campaign already (imported, or approved under another address's application): nothing to create.
  if (a.enrollment_id && a.enrollment_status !== 'removed') {
    const decided = await approveOnce(db, t, actor, { enrollmentId: a.enrollment_id, existing: true }, Date.now());
    return decided ? { outcome: 'already_in_campaign', enrollmentId: a.enrollment_id } : { outcome: 'answered' };
  }
  // Removed from it before (by the brand, or they left): restoring their enrollment invites them again.
  if (a.enrollment_id) return { outcome: 'previously_removed', leftThemselves: a.ended_by !== null };
  if (campaignEnded(campaign, Date.now())) return { outcome: 'campaign_ended' };

  // Checked as the roster import checks a row (a creator already on the roster keeps the handle the brand
  // gave them), with a code in the campaign's style, or one from its name when that one is taken.
  const style = await campaignCodeStyle(db, brandId, campaign.id);
  const applied: ImportRow = { line: 1, email: a.email, handle: a.handle, name: a.name, niche: a.niche, platform: a.platform, followerCount: a.follower_count, paymentModel, flatFeeMinor: 0, briefSection: '', tags: [] };
  const checked = await checkRows(db, brandId, campaign.id, [applied], style.pattern);
  const row = checked.rows[0]!;
  if (checked.errors.some((e) => e.field === 'handle')) return { outcome: 'handle_taken', handle: row.handle };
  const codeClash = checked.errors.filter((e) => e.field === 'code');
  const pattern = codeClash.length === 0 ? style.pattern : await freeCodePattern(db, brandId, campaign.id, campaign.name, [row], style.pattern, checked.accounts);
  if (!pattern) return { outcome: 'code_taken', reason: codeClash[0]!.message.replace(/; use another code pattern for this campaign\.$/, '.') };

  // The answer first, so a decline pressed meanwhile (a teammate, another tab, an API call) either wins
  // outright or finds it approved: never a declined application with a creator invited behind it.
  if (!(await approveOnce(db, t, actor, { paymentModel }, Date.now()))) return { outcome: 'answered' };
  const target: ImportTarget = { brandId, campaignId: campaign.id, destination: campaign.default_destination, codePattern: pattern, discountPercent: style.discountPercent, origin: x.origin, secretsKey: env.SECRETS_KEY };
  try {
    await importWhole(db, target, [row], actor, { application: a.id });
  } catch (error) {
    // Storage failed part-way: the application waits again, and approving it again completes the import
    // (each of its statements writes only what is missing).
    await db.prepare("UPDATE applications SET status = 'pending', decided_at = NULL, decided_by = NULL WHERE id = ? AND brand_id = ? AND status = 'approved'").bind(a.id, brandId).run();
    throw error;
  }

  // The invitation, as "Email the invitations" would send it to this one address; the approval stands
  // whether or not it can go (the brand then sends the invite link by hand).
  const queued = await mailNewInvitations(env, target, actor, [a.email], 'application_invitation_failed');
  return { outcome: 'approved', invitationQueued: queued > 0 };
}

// One application declined, and its applicant mailed so when they are to be (db/applications.ts, declining).
// Null when it was answered meanwhile.
export async function declineApplication(x: Answering, id: string): Promise<Declined | null> {
  const declined = await declineOnce(x.env.DB, { brandId: x.brandId, campaignId: x.campaign.id, id }, x.actor, canMail(x.env), Date.now());
  if (declined) await tellDeclined(x, [declined]);
  return declined;
}

// The waiting applications among `ids` declined at once, each applicant to be told mailed on the queue.
export async function declineAll(x: Answering, ids: string[]): Promise<Declined[]> {
  const declined = await declineApplications(x.env.DB, { brandId: x.brandId, campaignId: x.campaign.id }, ids, x.actor, canMail(x.env), Date.now());
  await tellDeclined(x, declined);
  return declined;
}

// The admin API's decline of many: the waiting applications among `ids` declined, each audited and its
// applicant told as a single decline is, with what every id of this campaign stands at after.
export async function declineEachOf(x: Answering, ids: string[]): Promise<DeclineReport> {
  const report = await declineEach(x.env.DB, { brandId: x.brandId, campaignId: x.campaign.id }, ids, x.actor, canMail(x.env), Date.now());
  await tellDeclined(x, report.declined);
  return report;
}

// Without a provider nobody is marked told: the brand is not told they were.
const canMail = (env: Env) => mailSetup(env).kind !== 'unconfigured';

// The notes go on the mail queue once the response is on its way (a few a second, however many were
// declined); each keyed by its application, so a redelivered one is mailed once.
async function tellDeclined(x: Answering, declined: Declined[]): Promise<void> {
  const told = declined.filter((d) => d.tell);
  if (told.length === 0) return;
  noticesAfterResponse(x.ctx, x.env, await Promise.all(told.map((d) => declineNotice(x, d))), 'decline_notice_failed');
}

// Short and kind: who, which campaign, no, and nothing to do. No reason is given (the brand gives none), and
// the note says nothing about the other applicants.
async function declineNotice(x: Answering, d: Declined): Promise<Message & { idempotencyKey: string }> {
  const brand = x.brandName;
  const campaign = x.campaign.name;
  const token = await unsubscribeToken(x.env.SECRETS_KEY, { brandId: x.brandId, email: d.email });
  return {
    to: d.email,
    subject: `Your application to ${campaign}`,
    text: [
      // Not their name: it is whatever the form was sent with, and this goes to whatever address it named.
      `Hello,`,
      `Thank you for applying to ${campaign}, ${brand}'s creator campaign on Chorus. ${brand} has read your application and is not taking you on for this campaign.`,
      `There is nothing you need to do. Your application is deleted ${DECLINED_APPLICATION_DAYS} days from now.`,
      `Thank you again for your interest, and all the best with your work.`,
      `No more invitations from ${brand}: ${x.origin}/unsubscribe/${token}`,
    ].join('\n\n'),
    idempotencyKey: `application-declined-${d.id}`,
    // One-click unsubscribe from the mail client's own button (RFC 8058), as on an invitation.
    headers: oneClickUnsubscribe(x.origin, `/unsubscribe/${token}`),
  };
}
