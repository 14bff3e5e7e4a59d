// Chorus mails a campaign's invitations for the brand: each creator who has not accepted gets their own
// invite link at their own address (the link the invite sheet holds; its page mails them a password link or
// leads to sign-in, so it gives no one an account). At most once a day per campaign and address, and at most
// INVITATION_MAILS_PER_BRAND_PER_DAY a day per brand: a brand chooses the addresses, so this is what keeps
// Chorus from mailing strangers in bulk on its say-so.
import type { Env } from '../env';
import { newId } from '../lib/ids';
import { MailError, sendEach, type Message } from '../lib/messages';
import type { Actor } from '../routes/admin/imports';
import { inviteRows, type ImportTarget } from './creator-import';

export const INVITATION_MAILS_PER_BRAND_PER_DAY = 1_000;
export const INVITATION_RESEND_AFTER_MS = 86_400_000;

export type InvitationMailing = {
  // Mails going out now (after the response).
  queued: number;
  // Not mailed: accepted already, mailed in the last day, link lapsed (import the row again to renew it), or past the day's allowance.
  skipped: { accepted: number; recentlyMailed: number; lapsed: number; overAllowance: number };
};

type Target = Pick<ImportTarget, 'brandId' | 'campaignId' | 'origin' | 'secretsKey'> & { brandName: string; campaignName: string };

// Claims the sends (a row per address, guarded so a second click within the day claims nothing), answers
// what it will mail, and sends after the response. A mail that certainly did not leave gives its claim back,
// so mailing again retries it.
export async function mailInvitations(env: Env, ctx: Pick<ExecutionContext, 'waitUntil'>, t: Target, actor: Actor, now: number): Promise<InvitationMailing> {
  const db = env.DB;
  const rows = await inviteRows(db, t);
  const open = rows.filter((r) => r.status === 'invite' && r.inviteUrl);
  const skipped = { accepted: rows.filter((r) => r.status === 'accepted').length, recentlyMailed: 0, lapsed: rows.filter((r) => r.status === 'expired').length, overAllowance: 0 };
  const sentToday = (await db.prepare('SELECT count(*) AS n FROM invitation_mails WHERE brand_id = ? AND sent_at > ?').bind(t.brandId, now - 86_400_000).first<number>('n')) ?? 0;
  const claimed = new Set<string>();
  for (let i = 0; i < open.length; i += 90) {
    const chunk = open.slice(i, i + 90);
    const { results } = await db
      .prepare(
        `INSERT INTO invitation_mails (campaign_id, email, brand_id, sent_at)
         SELECT ?, v.column1, ?, ? FROM (VALUES ${chunk.map(() => '(?)').join(', ')}) v WHERE true
         ON CONFLICT(campaign_id, email) DO UPDATE SET sent_at = excluded.sent_at WHERE invitation_mails.sent_at <= excluded.sent_at - ?
         RETURNING email`,
      )
      .bind(t.campaignId, t.brandId, now, ...chunk.map((r) => r.email), INVITATION_RESEND_AFTER_MS)
      .all<{ email: string }>();
    for (const r of results) claimed.add(r.email);
  }
  skipped.recentlyMailed = open.length - claimed.size;
  // Over the day's allowance: the claims past it are given back, to go out on a later day.
  const allowance = Math.max(0, INVITATION_MAILS_PER_BRAND_PER_DAY - sentToday);
  const toSend = open.filter((r) => claimed.has(r.email));
  const over = toSend.splice(allowance);
  skipped.overAllowance = over.length;
  await release(db, t.campaignId, over.map((r) => r.email), now);

  const messages: Message[] = toSend.map((r) => ({
    to: r.email,
    subject: `${t.brandName} invites you to ${t.campaignName}`,
    text: [
      `Hi ${r.name},`,
      `${t.brandName} would like you in ${t.campaignName}, a creator campaign run on Chorus. Open your invitation: ${r.inviteUrl}`,
      `From there you choose a password (or sign in if you already use Chorus), read the brief and accept or decline. Your tracked link and discount code appear once you accept. If the link has lapsed when you open it, ask ${t.brandName} to send it again.`,
      `Not interested? Ignore this mail; nothing happens unless you accept.`,
    ].join('\n\n'),
  }));
  if (messages.length > 0) {
    await db
      .prepare('INSERT INTO audit_log (id, brand_id, actor_type, actor_id, action, target_type, target_id, details, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .bind(newId('aud'), t.brandId, actor.type, actor.id, 'campaign.invitations_mailed', 'campaign', t.campaignId, JSON.stringify({ queued: messages.length, skipped }), now)
      .run();
  }
  ctx.waitUntil(
    sendEach(env, messages, 'invitation_mail_failed', async (message, error) => {
      if (error instanceof MailError && error.reason !== 'unconfirmed') await release(db, t.campaignId, [message.to], now);
    }),
  );
  return { queued: messages.length, skipped };
}

// Gives back claims made at `now` (and only those), so the address can be mailed again.
async function release(db: D1Database, campaignId: string, emails: string[], now: number): Promise<void> {
  for (let i = 0; i < emails.length; i += 90) {
    const chunk = emails.slice(i, i + 90);
    await db
      .prepare(`DELETE FROM invitation_mails WHERE campaign_id = ? AND sent_at = ? AND email IN (${chunk.map(() => '?').join(', ')})`)
      .bind(campaignId, now, ...chunk)
      .run();
  }
}
