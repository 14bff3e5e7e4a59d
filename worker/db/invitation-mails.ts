// Chorus mails a campaign's invitations for the brand: each creator who has not accepted gets their own
// invite link at their own address (the link the invite sheet holds; its page mails them a password link or
// leads to sign-in, so it gives no brand an account; the mail's own copy lets a new account choose its password,
// see db/account-tokens.ts). An address gets at most three mails a campaign (the
// invitation and two reminders), three days apart, and a brand sends at most INVITATION_MAILS_PER_BRAND_PER_DAY
// a day: a brand chooses the addresses, so this is what keeps Chorus from mailing strangers on its say-so.
//
// The ask claims the sends in D1 and puts one message per address on the mail queue (worker/mail.ts); its consumer
// mails them a few a second (what providers allow) and marks each mailed, or voids the claim of one the
// provider refused, so asking again retries it. Nothing waits on the response's last seconds.
import { oneClickUnsubscribe, type Env } from '../env';
import { MailError, mailSetup, sendMessage } from '../lib/messages';
import { log } from '../lib/log';
import type { Actor } from './audit';
import { sha256Hex } from '../lib/digest';
import { queueBatches } from '../lib/queue-batches';
import { invitationMailProof } from './account-tokens';
import { auditRow } from './audit';
import { OPTED_OUT, optedOutAmong, unsubscribeToken } from './mail-opt-outs';
import { database } from './client';
import { accountFor, inviteRows, type ImportTarget } from './creator-import';
import { auditLog } from './schema';

export const INVITATION_MAILS_PER_BRAND_PER_DAY = 1_000;
export const MAX_INVITATION_MAILS = 3;
export const INVITATION_REMINDER_AFTER_MS = 3 * 86_400_000;
// A claim the queue never marked (its message lost) may be claimed again after this.
const STALE_CLAIM_MS = 3_600_000;
const DAY_MS = 86_400_000;

// A send row that may be claimed again: fewer than ?4 mails, the last ?5 ms before now (?3), or a claim the queue
// never marked ?6 ms old. Shared by the claim and by the count the console shows before it.
const claimable = (t: string) => `${t}.sends < ?4 AND ((${t}.mailed_at IS NOT NULL AND ${t}.mailed_at <= ?3 - ?5) OR (${t}.mailed_at IS NULL AND ${t}.claimed_at <= ?3 - ?6))`;
// The same address mailed (or on its way) for another campaign of brand ?2 (campaign ?1) in that time: the invite
// link is one per brand, so a creator added to three campaigns at once gets one mail, not three.
const mailedElsewhere = (email: string) =>
  `EXISTS (SELECT 1 FROM invitation_mails o WHERE o.email = ${email} AND o.brand_id = ?2 AND o.campaign_id <> ?1
     AND ((o.mailed_at IS NOT NULL AND o.mailed_at > ?3 - ?5) OR (o.mailed_at IS NULL AND o.claimed_at > ?3 - ?6)))`;

export type InvitationMailing = {
  // Mails on their way now.
  queued: number;
  // Not mailed: accepted already; mailed in the last three days (or on its way); mailed three times already;
  // link lapsed (import the row again to renew it); past the day's allowance; asked not to get invitations
  // (from this brand or any) with the link in an earlier one.
  skipped: { accepted: number; recentlyMailed: number; remindedEnough: number; lapsed: number; overAllowance: number; optedOut: number };
};

export type InvitationMessage = { kind: 'invitation'; brandId: string; campaignId: string; email: string; claimedAt: number; origin: string };

type Target = Pick<ImportTarget, 'brandId' | 'campaignId' | 'origin' | 'secretsKey'>;

export class MailUnavailable extends Error {}

// Invitations just made, mailed as "Email the invitations" mails them, when mail is set up: how many are queued. A
// failure is logged under `failed` and counts none: the invitations stand, and the brand sends the invite sheet's links.
export async function mailNewInvitations(env: Env, t: Target, actor: Actor, emails: string[], failed: string): Promise<number> {
  if (mailSetup(env).kind === 'unconfigured') return 0;
  try {
    return (await mailInvitations(env, t, actor, Date.now(), emails)).queued;
  } catch (error) {
    log.error(failed, { campaignId: t.campaignId, error });
    return 0;
  }
}

// `only`: these addresses of the campaign alone (an approved application), under the same limits.
export async function mailInvitations(env: Env, t: Target, actor: Actor, now: number, only?: string[]): Promise<InvitationMailing> {
  if (mailSetup(env).kind === 'unconfigured') throw new MailUnavailable('No mail provider is set up.');
  const db = env.DB;
  const rows = await inviteRows(db, t, only ? new Map(only.map((email) => [email, 0])) : undefined);
  const invited = rows.filter((r) => r.status === 'invite' && r.inviteUrl);
  const declined = await optedOutAmong(db, t.brandId, invited.map((r) => r.email));
  const open = invited.filter((r) => !declined.has(r.email));
  const emails = open.map((r) => r.email);
  const skipped = {
    accepted: rows.filter((r) => r.status === 'accepted').length,
    recentlyMailed: 0,
    remindedEnough: 0,
    lapsed: rows.filter((r) => r.status === 'expired').length,
    overAllowance: 0,
    optedOut: declined.size,
  };

  // Claims and the brand's count after them in one batch: D1 runs batches one at a time, so the count includes
  // every claim of asks that ran before this one, whichever campaign they were for.
  const claims = [];
  for (let i = 0; i < emails.length; i += 90) {
    const chunk = emails.slice(i, i + 90);
    claims.push(
      db
        .prepare(
          `INSERT INTO invitation_mails (campaign_id, email, brand_id, claimed_at, mailed_at, sends)
           SELECT ?1, v.column1, ?2, ?3, NULL, 0 FROM (VALUES ${chunk.map((_, j) => `(?${j + 7})`).join(', ')}) v WHERE NOT ${mailedElsewhere('v.column1')}
           ON CONFLICT(campaign_id, email) DO UPDATE SET claimed_at = excluded.claimed_at, mailed_at = NULL
             WHERE ${claimable('invitation_mails')}
           RETURNING email`,
        )
        .bind(t.campaignId, t.brandId, now, MAX_INVITATION_MAILS, INVITATION_REMINDER_AFTER_MS, STALE_CLAIM_MS, ...chunk),
    );
  }
  const counted = db.prepare('SELECT count(*) AS n FROM invitation_mails WHERE brand_id = ? AND claimed_at > ?').bind(t.brandId, now - DAY_MS);
  const results = claims.length > 0 ? await db.batch([...claims, counted]) : [];
  const claimed = new Set(results.slice(0, -1).flatMap((r) => (r.results as { email: string }[]).map((x) => x.email)));
  const brandClaims = (results.at(-1)?.results[0] as { n: number } | undefined)?.n ?? 0;

  // Past the allowance (counting the claims just made): the last of ours are given back, for a later day.
  const ours = open.filter((r) => claimed.has(r.email));
  const over = ours.splice(Math.max(0, ours.length - Math.max(0, brandClaims - INVITATION_MAILS_PER_BRAND_PER_DAY)));
  skipped.overAllowance = over.length;
  await voidClaims(db, t.campaignId, over.map((r) => r.email), now);

  // What was not claimed: mailed three times already, or mailed lately (or on its way).
  const unclaimed = emails.filter((e) => !claimed.has(e));
  for (let i = 0; i < unclaimed.length; i += 90) {
    const chunk = unclaimed.slice(i, i + 90);
    const maxed = await db
      .prepare(`SELECT count(*) AS n FROM invitation_mails WHERE campaign_id = ? AND sends >= ? AND email IN (${chunk.map(() => '?').join(', ')})`)
      .bind(t.campaignId, MAX_INVITATION_MAILS, ...chunk)
      .first<number>('n');
    skipped.remindedEnough += maxed ?? 0;
  }
  skipped.recentlyMailed = unclaimed.length - skipped.remindedEnough;

  if (ours.length > 0) {
    // Not handOnClaimed: the consumer renders, marks or voids each claim (mailInvitation), and a brand's bulk ask is never sent unpaced from here.
    const messages = ours.map((r) => ({ body: { kind: 'invitation', brandId: t.brandId, campaignId: t.campaignId, email: r.email, claimedAt: now, origin: t.origin } satisfies InvitationMessage }));
    try {
      for (const batch of queueBatches(messages)) await env.MAIL.sendBatch(batch);
    } catch (error) {
      // Nothing (or part) went on the queue: every claim is given back, so asking again sends them all.
      await voidClaims(db, t.campaignId, ours.map((r) => r.email), now);
      throw error;
    }
    await database(db)
      .insert(auditLog)
      .values(auditRow({ brandId: t.brandId, actorType: actor.type, actorId: actor.id, action: 'campaign.invitations_mailed', targetType: 'campaign', targetId: t.campaignId, details: { queued: ours.length, skipped } }, now));
  }
  return { queued: ours.length, skipped };
}

// What asking now would mail, for the console to say before it does: the creators with a live invite link
// who have not accepted (nor unsubscribed), of those the ones not mailed lately nor three times already, and
// how many of those the rest of the day's allowance lets go today.
export async function invitationsDue(env: Env, t: Target, now: number): Promise<{ open: number; due: number; today: number }> {
  const invited = (await inviteRows(env.DB, t)).filter((r) => r.status === 'invite' && r.inviteUrl).map((r) => r.email);
  const declined = await optedOutAmong(env.DB, t.brandId, invited);
  const open = invited.filter((e) => !declined.has(e));
  let held = 0;
  for (let i = 0; i < open.length; i += 90) {
    const chunk = open.slice(i, i + 90);
    held +=
      (await env.DB.prepare(
        `SELECT count(*) AS n FROM (VALUES ${chunk.map((_, j) => `(?${j + 7})`).join(', ')}) v
         WHERE EXISTS (SELECT 1 FROM invitation_mails m WHERE m.campaign_id = ?1 AND m.email = v.column1 AND NOT (${claimable('m')})) OR ${mailedElsewhere('v.column1')}`,
      )
        .bind(t.campaignId, t.brandId, now, MAX_INVITATION_MAILS, INVITATION_REMINDER_AFTER_MS, STALE_CLAIM_MS, ...chunk)
        .first<number>('n')) ?? 0;
  }
  const sentToday = (await env.DB.prepare('SELECT count(*) AS n FROM invitation_mails WHERE brand_id = ? AND claimed_at > ?').bind(t.brandId, now - DAY_MS).first<number>('n')) ?? 0;
  const due = open.length - held;
  return { open: open.length, due, today: Math.min(due, Math.max(0, INVITATION_MAILS_PER_BRAND_PER_DAY - sentToday)) };
}

// Gives back claims made at `now` and not mailed: those addresses can be claimed again at once.
async function voidClaims(db: D1Database, campaignId: string, emails: string[], claimedAt: number): Promise<void> {
  for (let i = 0; i < emails.length; i += 90) {
    const chunk = emails.slice(i, i + 90);
    await db
      .prepare(`UPDATE invitation_mails SET claimed_at = 0 WHERE campaign_id = ? AND claimed_at = ? AND mailed_at IS NULL AND email IN (${chunk.map(() => '?').join(', ')})`)
      .bind(campaignId, claimedAt, ...chunk)
      .run();
  }
}

export const isInvitationMessage = (b: unknown): b is InvitationMessage =>
  typeof b === 'object' && b !== null && (b as InvitationMessage).kind === 'invitation' && typeof (b as InvitationMessage).email === 'string' && typeof (b as InvitationMessage).claimedAt === 'number';

// Attempts a refused or throttled mail gets on the queue before its claim is voided.
export const INVITATION_MAIL_ATTEMPTS = 3;

// One invitation off the mail queue (worker/mail.ts), mailed only if its claim is still the live one and the
// creator still has not accepted (read now, not when it was asked for). `pace` waits before a send.
export async function mailInvitation(env: Env, m: InvitationMessage, message: Message<unknown>, pace: () => Promise<void>): Promise<void> {
  const db = env.DB;
  // Claims are the brand's: the address it has for the creator. The mail goes to the account's own, which
  // differs only when the creator moved it before accepting the brand; an opt-out of either holds.
  const claim = await db
    .prepare(
      `SELECT b.name AS brand_name, c.name AS campaign_name, x.email AS to_email, ${OPTED_OUT('i.email', 'i.brand_id')} OR ${OPTED_OUT('x.email', 'i.brand_id')} AS opted_out,
         EXISTS (SELECT 1 FROM applications a WHERE a.campaign_id = i.campaign_id AND a.email = i.email AND a.brand_id = i.brand_id AND a.status = 'approved') AS applied
       FROM invitation_mails i JOIN brands b ON b.id = i.brand_id JOIN campaigns c ON c.id = i.campaign_id LEFT JOIN creators x ON x.id = ${accountFor('i.brand_id', 'i.email')}
       WHERE i.campaign_id = ? AND i.email = ? AND i.brand_id = ? AND i.claimed_at = ? AND i.mailed_at IS NULL`,
    )
    .bind(m.campaignId, m.email, m.brandId, m.claimedAt)
    .first<{ brand_name: string; campaign_name: string; to_email: string | null; opted_out: number; applied: number }>();
  // Mailed already (a redelivery), or voided: nothing to do.
  if (!claim) return message.ack();
  const [row] = await inviteRows(db, { brandId: m.brandId, campaignId: m.campaignId, origin: m.origin, secretsKey: env.SECRETS_KEY }, new Map([[m.email, 0]]));
  if (claim.opted_out || !claim.to_email || !row || row.status !== 'invite' || !row.inviteUrl) {
    // Unsubscribed, accepted, removed or lapsed since: no mail, and the claim goes back.
    await voidClaims(db, m.campaignId, [m.email], m.claimedAt);
    return message.ack();
  }
  // The unsubscribe link speaks for the address the mail reaches.
  const token = await unsubscribeToken(env.SECRETS_KEY, { brandId: m.brandId, email: claim.to_email });
  // The mail's copy of the invite link lets a new account choose its password at once (db/account-tokens.ts).
  const inviteUrl = new URL(row.inviteUrl);
  const proof = await invitationMailProof(env.SECRETS_KEY, inviteUrl.pathname.split('/').pop()!, claim.to_email, Date.now());
  inviteUrl.searchParams.set('k', proof.k);
  inviteUrl.searchParams.set('t', proof.t);
  await pace();
  try {
    await sendMessage(env, {
      to: claim.to_email,
      // A creator who applied hears the answer to their application, not a cold invitation.
      subject: claim.applied ? `${claim.brand_name} accepted your application to ${claim.campaign_name}` : `${claim.brand_name} invites you to ${claim.campaign_name}`,
      text: [
        `Hi ${row.name},`,
        claim.applied
          ? `Good news: ${claim.brand_name} accepted your application to ${claim.campaign_name}, a creator campaign run on Chorus. Open your invitation: ${inviteUrl.href}`
          : `${claim.brand_name} would like you in ${claim.campaign_name}, a creator campaign run on Chorus. Open your invitation: ${inviteUrl.href}`,
        `There you choose a password (or sign in if you already use Chorus), then read the brief and accept or decline. If you are new to Chorus, the link lets whoever opens it choose your password for a week, so keep this mail to yourself. Your tracked link and discount code appear once you accept. If the link has lapsed when you open it, ask ${claim.brand_name} to send it again.`,
        `Not interested? Ignore this mail; nothing happens unless you accept. You got it because ${claim.applied ? `you applied to ${claim.campaign_name}` : `${claim.brand_name} added your address to a campaign on Chorus`}; it sends at most two reminders.`,
        `No more invitations from ${claim.brand_name}: ${m.origin}/unsubscribe/${token}`,
      ].join('\n\n'),
      // One key per claim: a redelivery after a send whose mark was lost is not mailed twice.
      idempotencyKey: `invitation-${m.campaignId}-${m.claimedAt}-${await sha256Hex(m.email)}`,
      // One-click unsubscribe from the mail client's own button (RFC 8058).
      headers: oneClickUnsubscribe(m.origin, `/unsubscribe/${token}`),
    });
  } catch (error) {
    // Refused or throttled: tried again a minute later, then given back for the brand to ask again. One the
    // provider may have taken counts as mailed: a second copy is worse than none.
    if (!(error instanceof MailError) || error.reason !== 'unconfirmed') {
      if (message.attempts < INVITATION_MAIL_ATTEMPTS) return message.retry({ delaySeconds: 60 });
      await voidClaims(db, m.campaignId, [m.email], m.claimedAt);
      return message.ack();
    }
  }
  await db
    .prepare('UPDATE invitation_mails SET mailed_at = ?, sends = sends + 1 WHERE campaign_id = ? AND email = ? AND claimed_at = ? AND mailed_at IS NULL')
    .bind(Date.now(), m.campaignId, m.email, m.claimedAt)
    .run();
  message.ack();
}
