// The other side hears of new messages by mail, batched, within a cron run (15 minutes) of the first message it has
// not read, and none when it read them first (reading clears the mail due: db/message-threads.ts). A creator gets at
// most one mail per brand an hour, at the account's address, unless they stopped the brand's mail
// (brand_creators.campaign_news, the switch its campaign news has; the mail carries the same stop link). A brand's
// owners and managers (as the review mail picks them, unless they turned it off on the Team page) get at most one
// mail an hour for the whole brand: a brand running 100 creators would otherwise get one per conversation. It lists
// every conversation that waits unread then, so the messages of the next hour wait for the next mail.
//
// The mail says who wrote and how many messages wait, never what they say: messages may carry an address, a rate or
// a phone number that should not sit in mailboxes and a provider's logs (nor in this worker's, which keep a mail's
// text), and a reply by mail would reach nobody. The link leads to the conversation, behind sign-in.
import { mailOrigin, oneClickUnsubscribe, type Env } from '../env';
import { queueNotices } from '../mail';
import type { Message } from '../lib/messages';
import { campaignNewsToken } from '../db/mail-opt-outs';
import { HOUR_MS, type Side } from '../db/message-threads';
import { countOf } from '../../portal/format';

// Claimed a run per side, the longest due first: more are left to the next run, 15 minutes on. Conversations on the
// creator's side; brands (each with all its due conversations) on the brand's.
export const MESSAGE_MAILS_PER_RUN = 200;

// The stamp is the claim: a conversation whose mail is due is claimed once, however many runs overlap. ?1 now, ?2 limit.
const CLAIM_CREATOR = `UPDATE message_threads SET creator_mailed_at = ?1, creator_mail_due_at = NULL
WHERE rowid IN (SELECT rowid FROM message_threads WHERE creator_mail_due_at <= ?1 ORDER BY creator_mail_due_at LIMIT ?2)
RETURNING brand_id, creator_id, creator_unread AS unread`;

// The brand's side claims brands: one with a conversation due and none mailed in the last hour has all its waiting
// conversations claimed at once, for one mail. Same parameters.
const CLAIM_BRAND = `UPDATE message_threads SET brand_mailed_at = ?1, brand_mail_due_at = NULL
WHERE brand_mail_due_at IS NOT NULL AND brand_id IN (
  SELECT d.brand_id FROM message_threads d WHERE d.brand_mail_due_at <= ?1
    AND NOT EXISTS (SELECT 1 FROM message_threads m WHERE m.brand_id = d.brand_id AND m.brand_mailed_at > ?1 - ${HOUR_MS})
  GROUP BY d.brand_id ORDER BY min(d.brand_mail_due_at) LIMIT ?2)
RETURNING brand_id, creator_id, brand_unread AS unread`;

// A run that failed after claiming gives its claims back (due now), so the next run mails them; the stamp goes too,
// so the brand's hour does not hold them back. ?1 claims as JSON, ?2 now.
const UNCLAIM = (side: Side) => `UPDATE message_threads SET ${side}_mail_due_at = ?2, ${side}_mailed_at = NULL
WHERE ${side}_mailed_at = ?2 AND (brand_id, creator_id) IN (SELECT json_extract(value, '$.b'), json_extract(value, '$.c') FROM json_each(?1))`;

// Who each claim mails. A creator: their account, if it can sign in and still takes the brand's mail; `open`: they
// are still in one of its campaigns, so they can answer. ?1 claims.
const CREATOR_RECIPIENTS = `SELECT a.email, a.display_name AS name, b.id AS brand_id, b.name AS brand_name, a.id AS creator_id, json_extract(j.value, '$.n') AS unread,
  EXISTS (SELECT 1 FROM enrollments e WHERE e.creator_id = a.id AND e.brand_id = b.id AND e.status IN ('active', 'paused', 'benched')) AS open
FROM json_each(?1) j JOIN creators a ON a.id = json_extract(j.value, '$.c') JOIN brands b ON b.id = json_extract(j.value, '$.b')
JOIN brand_creators r ON r.brand_id = b.id AND r.creator_id = a.id AND r.accepted_at IS NOT NULL AND r.campaign_news = 1
WHERE a.password_hash IS NOT NULL`;

// A brand: each owner and manager on the team who can sign in and has the mail on, a row per conversation, the
// most waiting first (brandMessageMails makes one mail of each person's rows).
const BRAND_RECIPIENTS = `SELECT u.email, u.name, b.id AS brand_id, b.name AS brand_name, r.creator_id, r.display_name AS creator_name, r.handle, json_extract(j.value, '$.n') AS unread
FROM json_each(?1) j JOIN brands b ON b.id = json_extract(j.value, '$.b') JOIN roster r ON r.brand_id = b.id AND r.creator_id = json_extract(j.value, '$.c')
JOIN admin_users u ON u.brand_id = b.id AND u.role IN ('owner', 'manager') AND u.removed_at IS NULL AND u.password_hash IS NOT NULL AND u.message_mail = 1
ORDER BY u.email, b.id, unread DESC, r.display_name`;

type Claim = { brand_id: string; creator_id: string; unread: number };
export type CreatorRecipient = { email: string; name: string; brand_id: string; brand_name: string; creator_id: string; unread: number; open: number };
export type BrandRecipient = { email: string; name: string; brand_id: string; brand_name: string; creator_id: string; creator_name: string; handle: string; unread: number };

export async function mailMessageNotices(env: Env, now: number): Promise<number> {
  const origin = mailOrigin(env);
  let mailed = 0;
  for (const side of ['creator', 'brand'] as const) {
    const { results: claimed } = await env.DB.prepare(side === 'creator' ? CLAIM_CREATOR : CLAIM_BRAND).bind(now, MESSAGE_MAILS_PER_RUN).all<Claim>();
    if (claimed.length === 0) continue;
    const claims = JSON.stringify(claimed.map((c) => ({ b: c.brand_id, c: c.creator_id, n: c.unread })));
    try {
      const mails =
        side === 'creator'
          ? await Promise.all((await env.DB.prepare(CREATOR_RECIPIENTS).bind(claims).all<CreatorRecipient>()).results.map((r) => creatorMessageMail(env.SECRETS_KEY, r, origin, now)))
          : brandMessageMails((await env.DB.prepare(BRAND_RECIPIENTS).bind(claims).all<BrandRecipient>()).results, origin, now);
      if (mails.length > 0) await queueNotices(env, mails, 'message_mail_failed');
      mailed += mails.length;
    } catch (error) {
      await env.DB.prepare(UNCLAIM(side)).bind(claims, now).run();
      throw error;
    }
  }
  return mailed;
}

// How a mail greets a creator: by the first word of their display name.
export const firstName = (name: string) => name.trim().split(/\s+/)[0] || 'there';
const PRIVACY = 'Messages stay in Chorus: this email never carries them, and a reply to it reaches nobody.';

// Links only where Chorus knows its own address (PUBLIC_ORIGIN): a cron run has no request to take one from.
export async function creatorMessageMail(secretsKey: string, r: CreatorRecipient, origin: string | null, now: number): Promise<Message> {
  const token = origin ? await campaignNewsToken(secretsKey, { creatorId: r.creator_id, brandId: r.brand_id, email: r.email }) : null;
  // Out of every campaign of the brand since (removed, or left), they read the conversation and cannot answer.
  const read = `${r.open ? 'Read and answer' : 'Read'} ${r.unread === 1 ? 'it' : 'them'}`;
  return {
    to: r.email,
    subject: r.unread === 1 ? `${r.brand_name} sent you a message` : `${r.brand_name} sent you ${countOf(r.unread, 'message')}`,
    text: [
      `Hi ${firstName(r.name)},`,
      `${r.brand_name} sent you ${r.unread === 1 ? 'a message' : countOf(r.unread, 'message')} on Chorus.`,
      origin ? `${read}: ${origin}/messages/${r.brand_id}` : `${read} under Messages in your Chorus portal.`,
      PRIVACY,
      `You get at most one of these an hour for each brand, while its messages wait unread.`,
      token
        ? `Stop these emails: ${origin}/unsubscribe/news/${token} (all of ${r.brand_name}'s emails to you about its campaign news and messages, which stay in your portal; turn them back on under Emails on your Account page).`
        : `To stop ${r.brand_name}'s emails about its campaign news and messages (they stay in your portal), turn them off under Emails on your Chorus Account page.`,
    ].join('\n\n'),
    idempotencyKey: `messages:${r.brand_id}:${r.creator_id}:creator:${now}`,
    headers: token ? oneClickUnsubscribe(origin, `/unsubscribe/news/${token}`) : {},
  };
}

// One mail per person and brand, naming every conversation that waits (the rows come grouped by person and brand).
export function brandMessageMails(rows: BrandRecipient[], origin: string | null, now: number): Message[] {
  const groups = new Map<string, BrandRecipient[]>();
  for (const r of rows) {
    const key = `${r.email}\n${r.brand_id}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((g) => brandMessageMail(g, origin, now));
}

// Conversations a mail names one by one; more are counted, and the inbox lists them all.
const LISTED = 20;

function brandMessageMail(g: BrandRecipient[], origin: string | null, now: number): Message {
  const r = g[0]!;
  const who = (x: BrandRecipient) => `${x.creator_name} (@${x.handle})`;
  const messages = g.reduce((n, x) => n + x.unread, 0);
  const waiting = messages === 1 ? 'a message' : countOf(messages, 'message');
  const lines =
    g.length === 1
      ? [
          `${who(r)} sent ${r.brand_name} ${waiting} on Chorus that nobody on your team has read yet.`,
          origin ? `Read and answer: ${origin}/console/messages/${r.creator_id}` : 'Read and answer under Messages in your Chorus console.',
        ]
      : [
          `${countOf(g.length, 'creator')} sent ${r.brand_name} ${waiting} on Chorus that nobody on your team has read yet:`,
          [
            ...g.slice(0, LISTED).map((x) => `- ${who(x)}: ${x.unread}${origin ? ` · ${origin}/console/messages/${x.creator_id}` : ''}`),
            ...(g.length > LISTED ? [`- and ${countOf(g.length - LISTED, 'more creator')}`] : []),
          ].join('\n'),
          origin ? `All unread conversations: ${origin}/console/messages` : 'Read and answer under Messages in your Chorus console.',
        ];
  return {
    to: r.email,
    subject:
      g.length === 1
        ? `${r.creator_name} sent ${r.brand_name} ${waiting}`
        : `${countOf(g.length, 'creator')} sent ${r.brand_name} ${countOf(messages, 'message')}`,
    text: [
      `Hi ${firstName(r.name)},`,
      ...lines,
      `${PRIVACY} The first of your team to open a conversation marks it read for everyone.`,
      `You get at most one of these an hour for ${r.brand_name}, while messages wait unread. To stop them, turn them off under Your notifications on the Team page${origin ? `: ${origin}/console/team#notify-h` : '.'}`,
    ].join('\n\n'),
    idempotencyKey: `messages:${r.brand_id}:brand:${r.email}:${now}`,
  };
}
