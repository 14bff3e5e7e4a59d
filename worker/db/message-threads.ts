// Messages between a brand and one of its creators, as Shopify Collabs and Dub Partners have them: one conversation
// per brand and creator, not per campaign, so a creator in two of a brand's campaigns talks to it in one place (and
// the brand's inbox lists a person once, and mails about them once). Written from the creator's portal, the
// console and the admin API; read there by both sides, each with its own unread count and read marker.
//
// Who may write: both sides, while the creator has accepted the brand and is in at least one of its campaigns
// (active, paused or benched). A creator who never accepted has no conversation; one who left or was removed from
// every campaign still reads it, and neither side writes (a brand's note the creator could not answer is no
// conversation). Each side writes at most MESSAGES_PER_HOUR to a conversation, counted by the INSERT itself.
// Messages are kept, never edited or deleted, and not audited one by one (the conversation is their record).
import { z } from 'zod';
import type { Position } from '../lib/cursor';
import { afterParams, afterSql } from '../lib/cursor';
import { newId } from '../lib/ids';
import { plainText } from '../lib/validate';

export const MESSAGE_MAX = 4000;
export const MESSAGES_PER_HOUR = 30;
export const HOUR_MS = 3_600_000;

// The console's and the portal's forms and the API take the same text by the same rule (updates' prose).
export const messageText = plainText(MESSAGE_MAX, 'many', `A message is limited to ${MESSAGE_MAX.toLocaleString('en')} characters.`).min(1, 'Write the message first.');
export const messageBody = z.strictObject({
  body: messageText.meta({ description: `Plain text, 1 to ${MESSAGE_MAX.toLocaleString('en')} characters; line breaks are kept.` }),
});

export type Side = 'creator' | 'brand';
export type Author = { type: 'creator' | 'admin_user' | 'api_key'; id: string };
const sideOf = (a: Author): Side => (a.type === 'creator' ? 'creator' : 'brand');
const other = (s: Side): Side => (s === 'creator' ? 'brand' : 'creator');

// True while both may write: the creator accepted the brand and is in one of its campaigns. ?1 brand, ?2 creator.
const ACCEPTED = `EXISTS (SELECT 1 FROM brand_creators r WHERE r.brand_id = ?1 AND r.creator_id = ?2 AND r.accepted_at IS NOT NULL)`;
const IN_A_CAMPAIGN = `EXISTS (SELECT 1 FROM enrollments e WHERE e.creator_id = ?2 AND e.brand_id = ?1 AND e.status IN ('active', 'paused', 'benched'))`;
// A message written by the side (the brand's: a teammate's or a key's), for the row aliased `x`.
const WRITTEN_BY = (side: Side) => `x.author_type ${side === 'creator' ? "= 'creator'" : "<> 'creator'"}`;
// A side's messages in the conversation in the last hour (messages_thread_at). ?1 brand, ?2 creator, ?3 now.
const LAST_HOUR = (side: Side) => `(SELECT count(*) FROM messages x WHERE x.brand_id = ?1 AND x.creator_id = ?2 AND x.created_at > ?3 - ${HOUR_MS} AND ${WRITTEN_BY(side)})`;
// Marks a side's unread messages read, up to the newest message it was shown (?3): not when the other side wrote
// after it (messages_thread_at, from ?3 on), since that message was not seen; its own side's newer messages (a
// teammate's, an API key's) do not count. Clears that side's due mail. ?1 brand, ?2 creator, ?4 now.
const READ_UP_TO = (side: Side) => `UPDATE message_threads SET ${side}_unread = 0, ${side}_read_at = ?4, ${side}_mail_due_at = NULL
  WHERE brand_id = ?1 AND creator_id = ?2 AND (${side}_unread > 0 OR ${side}_mail_due_at IS NOT NULL)
    AND NOT EXISTS (SELECT 1 FROM messages x WHERE x.brand_id = ?1 AND x.creator_id = ?2 AND x.created_at > ?3 AND ${WRITTEN_BY(other(side))})`;

export type MessageRow = {
  id: string;
  creator_id: string;
  author_type: Author['type'];
  author_id: string;
  // The teammate's name, `API key <name>`, or null (a creator's message, or an author gone). Creators are shown
  // the brand's name, never who on its team wrote, as with campaign updates.
  author_name: string | null;
  body: string;
  created_at: number;
};

const COLUMNS = `m.id, m.creator_id, m.author_type, m.author_id, m.body, m.created_at,
  CASE m.author_type WHEN 'admin_user' THEN (SELECT a.name FROM admin_users a WHERE a.id = m.author_id AND a.brand_id = m.brand_id)
    WHEN 'api_key' THEN (SELECT 'API key ' || k.name FROM api_keys k WHERE k.id = m.author_id AND k.brand_id = m.brand_id) END AS author_name`;

export const messagePosition = (m: Pick<MessageRow, 'created_at' | 'id'>): Position => ({ at: m.created_at, id: m.id });

/** A conversation's messages, newest first, a keyset page at a time (messages_thread_at). */
export async function listMessages(db: D1Database, brandId: string, creatorId: string, page: { after?: Position; limit: number }): Promise<MessageRow[]> {
  const { results } = await db
    .prepare(`SELECT ${COLUMNS} FROM messages m WHERE m.brand_id = ? AND m.creator_id = ?${page.after ? ` AND ${afterSql('m.created_at', 'm.id')}` : ''} ORDER BY m.created_at DESC, m.id DESC LIMIT ?`)
    .bind(brandId, creatorId, ...(page.after ? afterParams(page.after) : []), page.limit)
    .all<MessageRow>();
  return results;
}

export type SendOutcome =
  | { outcome: 'sent'; message: MessageRow }
  // The same page form again (a double click, a reload): the message it sent the first time.
  | { outcome: 'already_sent'; message: MessageRow }
  // The form's key sent other text before (a form brought back with the browser's Back and edited).
  | { outcome: 'key_reused'; message: MessageRow }
  | { outcome: 'not_joined' }
  | { outcome: 'closed' }
  // MESSAGES_PER_HOUR in the last hour: the next may be written from `retryAt`.
  | { outcome: 'limit'; retryAt: number };

// Writes one message, if the conversation is open and the author's side is under its hourly count, both checked
// by the INSERT itself (so two sent at once cannot pass the limit), then moves the conversation along in the
// same batch: the other side's unread count, and its mail due now or an hour after its last one. `seen`: the newest
// message (its time) on the page the author wrote from, up to which their own side has read the conversation (as
// markRead marks it: not when the other side wrote after it); null from the API, where a script's note says nothing
// of whether a person read the other side's, and from a page that did not show every unread message.
export async function sendMessage(
  db: D1Database,
  p: { brandId: string; creatorId: string; author: Author; body: string; formKey: string | null; seen: number | null },
  now: number,
): Promise<SendOutcome> {
  const mine = sideOf(p.author);
  const theirs = other(mine);
  const id = newId('msg');
  const reads = p.seen !== null;
  const results = await db.batch([
    db
      .prepare(
        `INSERT INTO messages (id, brand_id, creator_id, author_type, author_id, body, form_key, created_at)
         SELECT ?4, ?1, ?2, ?5, ?6, ?7, ?8, ?3 WHERE ${ACCEPTED} AND ${IN_A_CAMPAIGN} AND ${LAST_HOUR(mine)} < ${MESSAGES_PER_HOUR}
         ON CONFLICT(brand_id, creator_id, form_key) DO NOTHING`,
      )
      .bind(p.brandId, p.creatorId, now, id, p.author.type, p.author.id, p.body, p.formKey),
    db
      .prepare(
        `INSERT INTO message_threads (brand_id, creator_id, last_message_at, ${theirs}_unread, ${theirs}_mail_due_at, ${mine}_read_at, created_at)
         SELECT ?1, ?2, ?3, 1, ?3, CASE WHEN ?5 THEN ?3 END, ?3 WHERE EXISTS (SELECT 1 FROM messages WHERE id = ?4)
         ON CONFLICT(brand_id, creator_id) DO UPDATE SET last_message_at = max(last_message_at, ?3), ${theirs}_unread = ${theirs}_unread + 1,
           ${theirs}_mail_due_at = coalesce(${theirs}_mail_due_at, max(?3, coalesce(${theirs}_mailed_at, 0) + ${HOUR_MS}))`,
      )
      .bind(p.brandId, p.creatorId, now, id, reads ? 1 : 0),
    // Only with the message written: a refused send changes nothing.
    ...(reads ? [db.prepare(`${READ_UP_TO(mine)} AND EXISTS (SELECT 1 FROM messages WHERE id = ?5)`).bind(p.brandId, p.creatorId, p.seen, now, id)] : []),
    db.prepare(`SELECT ${COLUMNS}, m.form_key FROM messages m WHERE m.brand_id = ?1 AND m.creator_id = ?2 AND (m.id = ?3 OR m.form_key = ?4)`).bind(p.brandId, p.creatorId, id, p.formKey),
  ]);
  const [inserted, read] = [results[0], results.at(-1)];
  const row = (read?.results[0] as (MessageRow & { form_key: string | null }) | undefined) ?? null;
  if (row) {
    const { form_key: _, ...message } = row;
    if ((inserted?.meta.changes ?? 0) > 0) return { outcome: 'sent', message };
    return { outcome: message.body === p.body ? 'already_sent' : 'key_reused', message };
  }
  return refusal(db, p.brandId, p.creatorId, mine, now);
}

// Why a message was not written: the conversation is not open, else the hour's count; the oldest of the hour's
// messages leaves the window first.
async function refusal(db: D1Database, brandId: string, creatorId: string, side: Side, now: number): Promise<Extract<SendOutcome, { outcome: 'not_joined' | 'closed' | 'limit' }>> {
  const row = await db
    .prepare(
      `SELECT ${ACCEPTED} AS accepted, ${IN_A_CAMPAIGN} AS open,
         (SELECT min(x.created_at) FROM (SELECT x.created_at FROM messages x WHERE x.brand_id = ?1 AND x.creator_id = ?2 AND x.created_at > ?3 - ${HOUR_MS}
            AND ${WRITTEN_BY(side)} ORDER BY x.created_at DESC LIMIT ${MESSAGES_PER_HOUR}) x) AS oldest`,
    )
    .bind(brandId, creatorId, now)
    .first<{ accepted: number; open: number; oldest: number | null }>();
  if (!row?.accepted) return { outcome: 'not_joined' };
  if (!row.open) return { outcome: 'closed' };
  return { outcome: 'limit', retryAt: (row.oldest ?? now) + HOUR_MS };
}

// Marks one side's unread messages read, up to the newest message it was shown: one the other side wrote after the
// page was read keeps the conversation unread (and its mail due).
export async function markRead(db: D1Database, side: Side, brandId: string, creatorId: string, newestShown: number, now: number): Promise<boolean> {
  const { meta } = await db.prepare(READ_UP_TO(side)).bind(brandId, creatorId, newestShown, now).run();
  return (meta.changes ?? 0) > 0;
}

// One conversation as a side sees it: the other side's messages it has not read, when it last read, and whether
// both may write. Null (a 404) when the creator is not on the brand's roster; `accepted` false when they never
// joined it (the creator sees nothing then; the brand, that it cannot write yet).
export type ThreadState = { unread: number; readAt: number | null; lastMessageAt: number | null; accepted: boolean; open: boolean };
export async function threadState(db: D1Database, side: Side, brandId: string, creatorId: string): Promise<ThreadState | null> {
  const row = await db
    .prepare(
      `SELECT r.accepted_at IS NOT NULL AS accepted, ${IN_A_CAMPAIGN} AS open, t.${side}_unread AS unread, t.${side}_read_at AS read_at, t.last_message_at
       FROM brand_creators r LEFT JOIN message_threads t ON t.brand_id = r.brand_id AND t.creator_id = r.creator_id
       WHERE r.brand_id = ?1 AND r.creator_id = ?2`,
    )
    .bind(brandId, creatorId)
    .first<{ accepted: number; open: number; unread: number | null; read_at: number | null; last_message_at: number | null }>();
  if (!row) return null;
  return { unread: row.unread ?? 0, readAt: row.read_at, lastMessageAt: row.last_message_at, accepted: row.accepted === 1, open: row.accepted === 1 && row.open === 1 };
}

// ---------- The brand's inbox ----------

export type BrandThreadRow = {
  creator_id: string;
  handle: string;
  display_name: string;
  last_message_at: number;
  unread: number;
  read_at: number | null;
  // The newest message: who wrote it and its first words.
  last_author_type: Author['type'];
  last_author_name: string | null;
  preview: string;
};

export const PREVIEW_CHARS = 140;

const THREAD_COLUMNS = `t.creator_id, r.handle, r.display_name, t.last_message_at, t.brand_unread AS unread, t.brand_read_at AS read_at, l.author_type AS last_author_type,
  CASE l.author_type WHEN 'admin_user' THEN (SELECT a.name FROM admin_users a WHERE a.id = l.author_id AND a.brand_id = t.brand_id)
    WHEN 'api_key' THEN (SELECT 'API key ' || k.name FROM api_keys k WHERE k.id = l.author_id AND k.brand_id = t.brand_id) END AS last_author_name,
  substr(l.body, 1, ${PREVIEW_CHARS + 1}) AS preview`;
// The newest message of each listed conversation, read by the conversation (messages_thread_at).
const LAST_MESSAGE = `JOIN messages l ON l.id = (SELECT m.id FROM messages m WHERE m.brand_id = t.brand_id AND m.creator_id = t.creator_id ORDER BY m.created_at DESC, m.id DESC LIMIT 1)`;

export const threadPosition = (t: Pick<BrandThreadRow, 'last_message_at' | 'creator_id'>): Position => ({ at: t.last_message_at, id: t.creator_id });

/** The brand's conversations newest first, a keyset page at a time; `unread`: only those with messages it has not read. */
export async function brandThreads(db: D1Database, brandId: string, page: { unread?: boolean; read?: boolean; after?: Position; limit: number }): Promise<BrandThreadRow[]> {
  const filter = page.unread ? ' AND t.brand_unread > 0' : page.read ? ' AND t.brand_unread = 0' : '';
  const { results } = await db
    .prepare(
      `SELECT ${THREAD_COLUMNS} FROM message_threads t JOIN roster r ON r.brand_id = t.brand_id AND r.creator_id = t.creator_id ${LAST_MESSAGE}
       WHERE t.brand_id = ?${filter}${page.after ? ` AND ${afterSql('t.last_message_at', 't.creator_id')}` : ''}
       ORDER BY t.last_message_at DESC, t.creator_id DESC LIMIT ?`,
    )
    .bind(brandId, ...(page.after ? afterParams(page.after) : []), page.limit)
    .all<BrandThreadRow>();
  return results;
}

// The console nav's count: conversations with a creator's message nobody on the team has read (the partial index).
export const UNREAD_THREADS_SQL = (brand: string) => `(SELECT count(*) FROM message_threads t WHERE t.brand_id = ${brand} AND t.brand_unread > 0)`;

// ---------- The creator's side ----------

export type CreatorThreadRow = { brand_id: string; brand_name: string; timezone: string; last_message_at: number | null; unread: number; open: number };

/** Every brand the creator accepted (each is a conversation they may read), unread first, then newest first. */
export async function creatorThreads(db: D1Database, creatorId: string): Promise<CreatorThreadRow[]> {
  const { results } = await db
    .prepare(
      `SELECT r.brand_id, b.name AS brand_name, b.timezone, t.last_message_at, coalesce(t.creator_unread, 0) AS unread,
         EXISTS (SELECT 1 FROM enrollments e WHERE e.creator_id = r.creator_id AND e.brand_id = r.brand_id AND e.status IN ('active', 'paused', 'benched')) AS open
       FROM brand_creators r JOIN brands b ON b.id = r.brand_id LEFT JOIN message_threads t ON t.brand_id = r.brand_id AND t.creator_id = r.creator_id
       WHERE r.creator_id = ? AND r.accepted_at IS NOT NULL
       ORDER BY unread > 0 DESC, t.last_message_at IS NULL, t.last_message_at DESC, b.name`,
    )
    .bind(creatorId)
    .all<CreatorThreadRow>();
  return results;
}
