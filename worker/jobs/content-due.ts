// Creators hear before a first draft is due, as Aspire and Grin remind theirs: one mail three days before the
// date (domain/content-due.ts REMINDER_LEAD_MS) to each creator of a running campaign who joined the brand, is in
// the campaign and has sent no draft that stands, with when it is due and a link to submit. Once per due date:
// the claim is the insert of (enrollment, due date) into content_due_reminders, so two runs at once, or a run
// repeated, mail nobody twice, while a date the brand moves reminds again, but not within a day of the last
// reminder (REMINDER_GAP_MS: a brand nudging the date each morning mails at most daily; the moved date is mailed
// once the day is over, if it is still ahead). A creator who joins after the window
// opened is claimed on the next run (every 15 minutes), until the date passes. Only to accounts that can sign in,
// and not to those who turned it off on the Account page.
import { mailOrigin, type Env } from '../env';
import { queueNotices } from '../mail';
import type { Message } from '../lib/messages';
import { DRAFT_STANDS, dueAtDayEnd, REMINDER_LEAD_MS } from '../domain/content-due';
import { DAY_MS } from '../domain/periods';
import { dueInWords, formatDueDay, formatTimeOfDay, zoneLabel } from '../../portal/format';

// Claimed a run, the nearest dates first: a run with more due leaves them to the next one, 15 minutes on.
export const DUE_REMINDERS_PER_RUN = 200;

// At most one reminder per enrollment in this long, however often its date moves inside the window.
export const REMINDER_GAP_MS = DAY_MS;

// The claim: every enrollment whose date (its own, or else its campaign's) is within the window and not claimed
// for that date yet, nor reminded of any date in the last REMINDER_GAP_MS (both read on the claims' primary key,
// enrollment first), found through the two partial indexes on content_due_at. ?1 now, ?2 the lead, ?3 limit, ?4 the gap.
const CLAIM = `INSERT INTO content_due_reminders (enrollment_id, due_at, brand_id, claimed_at)
SELECT e.id, coalesce(e.content_due_at, c.content_due_at) AS due, e.brand_id, ?1
FROM enrollments e JOIN campaigns c ON c.id = e.campaign_id
JOIN brand_creators r ON r.brand_id = e.brand_id AND r.creator_id = e.creator_id AND r.accepted_at IS NOT NULL
JOIN creators a ON a.id = e.creator_id
WHERE (e.campaign_id IN (SELECT id FROM campaigns WHERE content_due_at > ?1 AND content_due_at <= ?1 + ?2) OR (e.content_due_at > ?1 AND e.content_due_at <= ?1 + ?2))
  AND coalesce(e.content_due_at, c.content_due_at) > ?1 AND coalesce(e.content_due_at, c.content_due_at) <= ?1 + ?2
  AND c.status = 'active' AND (c.ends_at IS NULL OR c.ends_at > ?1)
  AND e.status IN ('active', 'paused', 'benched')
  AND a.due_reminders = 1 AND a.password_hash IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.enrollment_id = e.id AND ${DRAFT_STANDS})
  AND NOT EXISTS (SELECT 1 FROM content_due_reminders x WHERE x.enrollment_id = e.id AND (x.due_at = coalesce(e.content_due_at, c.content_due_at) OR x.claimed_at > ?1 - ?4))
ORDER BY due LIMIT ?3
ON CONFLICT DO NOTHING
RETURNING enrollment_id, due_at`;

// What each claimed reminder says (?1 the claims as JSON [{e, d}]).
const CLAIMED = `SELECT e.id AS enrollment_id, json_extract(j.value, '$.d') AS due_at, a.email, a.display_name AS name, c.name AS campaign_name, b.name AS brand_name, b.timezone
FROM json_each(?1) j JOIN enrollments e ON e.id = json_extract(j.value, '$.e') JOIN creators a ON a.id = e.creator_id
JOIN campaigns c ON c.id = e.campaign_id JOIN brands b ON b.id = e.brand_id`;

// A run that failed after claiming gives its claims back, so the next run mails them.
const UNCLAIM = `DELETE FROM content_due_reminders WHERE claimed_at = ?2 AND (enrollment_id, due_at) IN (SELECT json_extract(value, '$.e'), json_extract(value, '$.d') FROM json_each(?1))`;

export type DueReminder = { enrollment_id: string; due_at: number; email: string; name: string; campaign_name: string; brand_name: string; timezone: string };

export async function mailContentDueReminders(env: Env, now: number): Promise<number> {
  const db = env.DB;
  const { results: claimed } = await db.prepare(CLAIM).bind(now, REMINDER_LEAD_MS, DUE_REMINDERS_PER_RUN, REMINDER_GAP_MS).all<{ enrollment_id: string; due_at: number }>();
  if (claimed.length === 0) return 0;
  const claims = JSON.stringify(claimed.map((c) => ({ e: c.enrollment_id, d: c.due_at })));
  try {
    const { results } = await db.prepare(CLAIMED).bind(claims).all<DueReminder>();
    const origin = mailOrigin(env);
    await queueNotices(env, results.map((r) => dueReminder(r, origin, now)), 'content_due_reminder_failed');
    return results.length;
  } catch (error) {
    await db.prepare(UNCLAIM).bind(claims, now).run();
    throw error;
  }
}

// Links only where Chorus knows its own address (PUBLIC_ORIGIN): a cron run has no request to take one from.
export function dueReminder(r: DueReminder, origin: string | null, now: number): Message {
  const day = formatDueDay(r.due_at, r.timezone, now);
  // A date is due at the end of its day; a time the brand sent through the API, at that time.
  const when = dueAtDayEnd(r.due_at, r.timezone) ? 'by the end of that day' : `at ${formatTimeOfDay(r.due_at, r.timezone)}`;
  return {
    to: r.email,
    subject: `${r.brand_name}: your ${r.campaign_name} draft is due ${day}`,
    text: [
      `Hi ${r.name.trim().split(/\s+/)[0] || 'there'},`,
      `Your first draft for ${r.brand_name}'s ${r.campaign_name} campaign is due on ${day}, ${dueInWords(r.due_at, r.timezone, now)} (${when}, ${zoneLabel(r.timezone)} time). ${r.brand_name} reviews it before you post.`,
      origin ? `Send it here: ${origin}/submissions/new?enrollment=${r.enrollment_id}\nThe brief: ${origin}/brief/${r.enrollment_id}` : 'Send it from Submit a draft in your Chorus portal; the brief is there too.',
      `You get this once for each due date, while you have sent no draft. To stop these reminders, turn them off under Emails on your Account page${origin ? `: ${origin}/account#emails-h` : '.'}`,
    ].join('\n\n'),
    // A notice the queue delivers twice is mailed once.
    idempotencyKey: `content-due:${r.enrollment_id}:${r.due_at}`,
  };
}
