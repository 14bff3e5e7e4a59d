// Bounties (schema.ts `bounties`), as Dub Partners' performance bounties: "reach 10 sales in this campaign by
// 31 December and earn 50.00". Progress counts the creator's attributed orders that occurred in [starts_at,
// ends_at) and have cleared the campaign's holding period (as the Network tab's validated sales), so no reward is
// paid on an order that may still be refunded: `sales` the orders not refunded in full (not a subscription's later
// payments, as the network counts sales), `revenue` their amounts net of refunds. A self-purchase that earns
// nothing counts for neither.
// The reward is an `adjustment` ledger entry naming the bounty, so earnings, payouts, statements and exports
// include it with no change of their own; it lands once per enrollment (its event key, and the award row
// written in the same batch), and stays: a later refund does not take it back.
import { z } from 'zod';
import { DAY_MS, inDayYears, periodOf } from '../domain/periods';
import { campaignEnded } from '../domain/codes';
import { SELF_PURCHASE_WITHHELD } from '../domain/self-purchase';
import { log } from '../lib/log';
import { ApiError } from '../lib/errors';
import { afterParams, afterSql, type Position } from '../lib/cursor';
import { newId } from '../lib/ids';
import { iso, plainText } from '../lib/validate';
import { auditIfChanged, type Actor } from './audit';
import { isSale, netOf } from './sales';
import { MAX_ADJUSTMENT_MINOR } from './adjustments';
import { AWAIT_SWEEP_MS } from './conversions';
import { IN_CAMPAIGN_SQL } from './rights-extensions';
import { sharedWith } from './tax-details';

export const BOUNTY_TITLE_MAX = 80;
// A reward is at most what one adjustment may add (100,000.00 in a two-decimal currency).
export const MAX_BOUNTY_REWARD_MINOR = MAX_ADJUSTMENT_MINOR;
// Past a billion orders or minor units a target is a typo, and every count stays a safe integer.
export const MAX_BOUNTY_TARGET = 1_000_000_000;
export const BOUNTY_ID = /^bty_[A-Za-z0-9_-]{1,60}$/;
// A bounty pushes a moment: a window longer than a year is a typo, and one this long keeps the look-back bounded.
export const MAX_BOUNTY_WINDOW_MS = 366 * DAY_MS;
const instant = z.iso
  .datetime({ offset: true })
  .transform((s) => Date.parse(s))
  .refine(inDayYears, 'A time from the year 2000 to 2199.');
export type BountyMetric = 'sales' | 'revenue';

export const bountyBody = z
  .strictObject({
    title: plainText(BOUNTY_TITLE_MAX, 'one').min(1),
    metric: z.enum(['sales', 'revenue']).meta({ description: '`sales`: attributed orders not refunded in full; `revenue`: their net amount in minor units.' }),
    target: z.int().min(1).max(MAX_BOUNTY_TARGET).meta({ description: 'Orders (`sales`) or minor units of net revenue (`revenue`) to reach.' }),
    rewardMinor: z.int().min(1).max(MAX_BOUNTY_REWARD_MINOR).meta({ description: "The reward in minor units of your brand's currency." }),
    startsAt: instant.optional().meta({ description: 'When orders start to count (default: now).' }),
    endsAt: instant.meta({ description: 'When orders stop counting (orders at this instant or later do not count): in the future, at most 366 days after `startsAt`, and not after the campaign ends.' }),
  })
  // The one rule for a window (windowProblem, as the console's form), beside endsAt; the window starts now when left out.
  .superRefine((b, ctx) => {
    const now = Date.now();
    const problem = windowProblem(b.startsAt ?? now, b.endsAt, now);
    if (problem) ctx.addIssue({ code: 'custom', path: ['endsAt'], message: problem });
  });
export type BountyInput = { title: string; metric: BountyMetric; target: number; rewardMinor: number; startsAt: number; endsAt: number };

// What is wrong with a window whatever the campaign, or null: both the API and the console refuse these (422).
export function windowProblem(startsAt: number, endsAt: number, now: number): string | null {
  if (endsAt <= startsAt) return 'The window must end after it starts.';
  if (endsAt <= now) return 'The window has ended already: pick a later end.';
  if (endsAt - startsAt > MAX_BOUNTY_WINDOW_MS) return 'A window is at most 366 days.';
  return null;
}

export type BountyRow = {
  id: string;
  campaign_id: string;
  title: string;
  metric: BountyMetric;
  target: number;
  reward_minor: number;
  currency: string;
  starts_at: number;
  ends_at: number;
  created_at: number;
  archived_at: number | null;
  reached: number;
  paid_minor: number;
};

const COLUMNS = `b.id, b.campaign_id, b.title, b.metric, b.target, b.reward_minor, br.currency, b.starts_at, b.ends_at, b.created_at, b.archived_at,
  (SELECT COUNT(*) FROM bounty_awards a WHERE a.bounty_id = b.id) AS reached,
  (SELECT COALESCE(SUM(l.amount_minor), 0) FROM bounty_awards a JOIN ledger_entries l ON l.id = a.ledger_entry_id WHERE a.bounty_id = b.id) AS paid_minor`;

export const bountyPosition = (b: Pick<BountyRow, 'created_at' | 'id'>): Position => ({ at: b.created_at, id: b.id });

/** A campaign's bounties, newest first, a keyset page at a time (bounties_campaign_at). */
export async function listBounties(db: D1Database, brandId: string, campaignId: string, page: { after?: Position | undefined; limit: number }): Promise<BountyRow[]> {
  const { results } = await db
    .prepare(
      `SELECT ${COLUMNS} FROM bounties b JOIN brands br ON br.id = b.brand_id WHERE b.campaign_id = ? AND b.brand_id = ?${page.after ? ` AND ${afterSql('b.created_at', 'b.id')}` : ''}
       ORDER BY b.created_at DESC, b.id DESC LIMIT ?`,
    )
    .bind(campaignId, brandId, ...(page.after ? afterParams(page.after) : []), page.limit)
    .all<BountyRow>();
  return results;
}

export async function loadBounty(db: D1Database, brandId: string, id: string): Promise<BountyRow | null> {
  if (!BOUNTY_ID.test(id)) return null;
  return db.prepare(`SELECT ${COLUMNS} FROM bounties b JOIN brands br ON br.id = b.brand_id WHERE b.id = ? AND b.brand_id = ?`).bind(id, brandId).first<BountyRow>();
}

export const campaignEndedForBounties = () => new ApiError(409, 'campaign_ended', 'This campaign has ended, so it takes no new bounties.');
export const pastCampaignEnd = () => new ApiError(422, 'validation_failed', 'The request did not pass validation.', { issues: [{ path: 'endsAt', message: 'The window must end by the campaign’s end.' }] });

export type BountyCreated = { outcome: 'created' | 'already_created' | 'key_reused'; bounty: BountyRow };

const sameInput = (row: BountyRow, input: BountyInput) =>
  row.title === input.title && row.metric === input.metric && row.target === input.target && row.reward_minor === input.rewardMinor && row.starts_at === input.startsAt && row.ends_at === input.endsAt;

/**
 * Creates a bounty on the brand's campaign: null when the campaign is not the brand's; 409 when it has ended (by its
 * status or its end date), 422 when the window runs past the campaign's end. `formKey` (a form's, or an API
 * Idempotency-Key) creates one bounty for good: the same key again answers the first (`already_created`, or
 * `key_reused` when its fields differ).
 */
export async function createBounty(db: D1Database, brandId: string, campaignId: string, input: BountyInput, actor: Actor, now: number, formKey: string | null): Promise<BountyCreated | null> {
  const campaign = await db
    .prepare('SELECT c.id, c.status AS campaign_status, c.ends_at, br.currency FROM campaigns c JOIN brands br ON br.id = c.brand_id WHERE c.id = ? AND c.brand_id = ?')
    .bind(campaignId, brandId)
    .first<{ id: string; campaign_status: string; ends_at: number | null; currency: string }>();
  if (!campaign) return null;
  const id = newId('bty');
  // On the wire as the API answers it; the currency held, as the brand's cannot change once it has a bounty.
  const details = { bountyId: id, ...input, currency: campaign.currency, startsAt: iso(input.startsAt), endsAt: iso(input.endsAt) };
  const [inserted, , read] = await db.batch([
    // Guarded on the campaign as it is now, so one ended (or cut short) meanwhile takes none.
    db
      .prepare(
        `INSERT INTO bounties (id, brand_id, campaign_id, title, metric, target, reward_minor, starts_at, ends_at, created_by_type, created_by_id, created_at, form_key)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13
         WHERE EXISTS (SELECT 1 FROM campaigns WHERE id = ?3 AND brand_id = ?2 AND status <> 'ended' AND (ends_at IS NULL OR (ends_at > ?12 AND ends_at >= ?9)))
         ON CONFLICT(campaign_id, form_key) DO NOTHING`,
      )
      .bind(id, brandId, campaign.id, input.title, input.metric, input.target, input.rewardMinor, input.startsAt, input.endsAt, actor.type, actor.id, now, formKey),
    auditIfChanged(db, { brandId, actorType: actor.type, actorId: actor.id, action: 'bounty.created', targetType: 'campaign', targetId: campaign.id, details }, now),
    db.prepare(`SELECT ${COLUMNS} FROM bounties b JOIN brands br ON br.id = b.brand_id WHERE b.campaign_id = ?1 AND b.brand_id = ?2 AND (b.id = ?3 OR b.form_key = ?4)`).bind(campaign.id, brandId, id, formKey),
  ]);
  const row = (read?.results[0] as BountyRow | undefined) ?? null;
  if ((inserted?.meta.changes ?? 0) > 0 && row) return { outcome: 'created', bounty: row };
  // A replay answers what its key made, even once the campaign has ended since.
  if (row) return { outcome: sameInput(row, input) ? 'already_created' : 'key_reused', bounty: row };
  if (campaign.ends_at !== null && input.endsAt > campaign.ends_at && !campaignEnded(campaign, now)) throw pastCampaignEnd();
  throw campaignEndedForBounties();
}

/** Archives a bounty (no more awards; those made stay): null when it is not the brand's. Archiving again changes nothing. */
export async function archiveBounty(db: D1Database, brandId: string, id: string, actor: Actor, now: number): Promise<BountyRow | null> {
  const bounty = await loadBounty(db, brandId, id);
  if (!bounty) return null;
  if (bounty.archived_at !== null) return bounty;
  await db.batch([
    db.prepare('UPDATE bounties SET archived_at = ?3 WHERE id = ?1 AND brand_id = ?2 AND archived_at IS NULL').bind(id, brandId, now),
    auditIfChanged(db, { brandId, actorType: actor.type, actorId: actor.id, action: 'bounty.archived', targetType: 'campaign', targetId: bounty.campaign_id, details: { bountyId: id, title: bounty.title } }, now),
  ]);
  return loadBounty(db, brandId, id);
}

export type BountyAwardRow = { enrollment_id: string; creator_id: string; handle: string | null; ledger_entry_id: string; amount_minor: number; currency: string; awarded_at: number };
export const awardPosition = (a: Pick<BountyAwardRow, 'awarded_at' | 'enrollment_id'>): Position => ({ at: a.awarded_at, id: a.enrollment_id });

/** Who reached a bounty, newest first, a keyset page at a time (bounty_awards_bounty_at). */
export async function listBountyAwards(db: D1Database, brandId: string, bountyId: string, page: { after?: Position | undefined; limit: number }): Promise<BountyAwardRow[]> {
  const { results } = await db
    .prepare(
      `SELECT a.enrollment_id, e.creator_id, r.handle, a.ledger_entry_id, l.amount_minor, l.currency, a.awarded_at
       FROM bounty_awards a JOIN enrollments e ON e.id = a.enrollment_id JOIN ledger_entries l ON l.id = a.ledger_entry_id
       LEFT JOIN brand_creators r ON r.brand_id = a.brand_id AND r.creator_id = e.creator_id
       WHERE a.bounty_id = ? AND a.brand_id = ?${page.after ? ` AND ${afterSql('a.awarded_at', 'a.enrollment_id')}` : ''}
       ORDER BY a.awarded_at DESC, a.enrollment_id DESC LIMIT ?`,
    )
    .bind(bountyId, brandId, ...(page.after ? afterParams(page.after) : []), page.limit)
    .all<BountyAwardRow>();
  return results;
}

// ---------- Progress and awards ----------

// SQL summing the metric of bounty `b` over enrollment `e`'s counted orders in the window that occurred `when`
// (a condition on cv.occurred_at), on the index conversions_enrollment_at.
const windowSum = (b: string, e: string, when: string) => `(SELECT COALESCE(SUM(CASE WHEN ${b}.metric = 'sales' THEN ${isSale('cv')}
    ELSE ${netOf('cv')} END), 0)
  FROM conversions cv WHERE cv.enrollment_id = ${e} AND cv.occurred_at >= ${b}.starts_at AND cv.occurred_at < ${b}.ends_at AND cv.attribution <> 'none'
    AND cv.self_purchase <> ${SELF_PURCHASE_WITHHELD} AND ${when})`;
// What counts toward the award: orders past the campaign's holding period (`holdingDays`, SQL) at `now` (SQL), as the
// Network tab's validated sales; and what is still in it.
const clearedSum = (b: string, e: string, holdingDays: string, now: string) => windowSum(b, e, `cv.occurred_at <= ${now} - ${holdingDays} * ${DAY_MS}`);
const holdingSum = (b: string, e: string, holdingDays: string, now: string) => windowSum(b, e, `cv.occurred_at > ${now} - ${holdingDays} * ${DAY_MS}`);

// Who can be awarded, or shown a bounty: in the campaign (not invited, not removed) and a creator who accepted the
// brand (one who never did has shared no payout details, as for an adjustment) and was not erased.
const AWARDABLE = `EXISTS (SELECT 1 FROM brand_creators r WHERE r.brand_id = e.brand_id AND r.creator_id = e.creator_id AND ${IN_CAMPAIGN_SQL} AND ${sharedWith('r')})`;

// D1 counts every statement against its 1,000 per invocation, which the cron run shares with the late attribution
// (SETTLE_STATEMENTS): the bounties take at most this many a run, 4 a bounty (5 when it is settled); the rest wait their turn.
export const BOUNTY_STATEMENTS = 100;
const STATEMENTS_PER_BOUNTY = 4;
export const BOUNTIES_PER_RUN = Math.floor((BOUNTY_STATEMENTS - 2) / STATEMENTS_PER_BOUNTY);
// And this many awards a bounty a run (the next run goes on).
export const AWARDS_PER_BOUNTY_RUN = 100;
// A closed window is still looked at until the orders credited late (the late attribution's reach) have cleared
// the holding period, then it is settled.
export const bountySettleAfter = (holdingDays: number) => Math.max(AWAIT_SWEEP_MS, holdingDays * DAY_MS);

// ?1 bounty, ?2 entry note, ?3 period, ?4 now. Event key "bounty:<bounty>:<enrollment>"; ids made in the statement ('le_' and 24 hex digits).
// `+e.brand_id`: the enrollments of the bounty's campaign (enrollments_campaign_creator), not all of the brand's.
const INSERT_AWARD_ENTRIES = `INSERT INTO ledger_entries (id, brand_id, enrollment_id, creator_id, kind, amount_minor, currency, basis_minor, period, event_key, available_at, created_at, note)
SELECT 'le_' || lower(hex(randomblob(12))), b.brand_id, e.id, e.creator_id, 'adjustment', b.reward_minor, br.currency, 0, ?3, 'bounty:' || b.id || ':' || e.id, ?4, ?4, ?2
FROM bounties b JOIN brands br ON br.id = b.brand_id JOIN campaigns c ON c.id = b.campaign_id JOIN enrollments e ON e.campaign_id = b.campaign_id AND +e.brand_id = b.brand_id
WHERE b.id = ?1 AND b.archived_at IS NULL AND b.starts_at <= ?4 AND ${AWARDABLE}
  AND NOT EXISTS (SELECT 1 FROM bounty_awards a WHERE a.bounty_id = b.id AND a.enrollment_id = e.id)
  AND ${clearedSum('b', 'e.id', 'c.holding_days', '?4')} >= b.target
LIMIT ${AWARDS_PER_BOUNTY_RUN}
ON CONFLICT(brand_id, event_key) DO NOTHING`;

// The award rows of the entries just written (their event keys' range, on ledger_brand_event), or of one an earlier
// run wrote without its row (it lost a race): awarded now, when the row is written, so its activity entry and mail
// follow. ?1 bounty, ?2 brand, ?3 now.
const INSERT_AWARDS = `INSERT INTO bounty_awards (bounty_id, enrollment_id, brand_id, ledger_entry_id, awarded_at)
SELECT ?1, l.enrollment_id, l.brand_id, l.id, ?3 FROM ledger_entries l
WHERE l.brand_id = ?2 AND l.event_key > 'bounty:' || ?1 || ':' AND l.event_key < 'bounty:' || ?1 || ';'
  AND NOT EXISTS (SELECT 1 FROM bounty_awards a WHERE a.bounty_id = ?1 AND a.enrollment_id = l.enrollment_id)
ON CONFLICT(bounty_id, enrollment_id) DO NOTHING`;

// The activity entry of each award row this run wrote (its awarded_at is this run's now, ?3, on
// bounty_awards_bounty_at): the cron acts, so the actor is the system's `bounty-check`. One an entry already names
// (another run in the same millisecond) is not written twice (audit_log_target). ?1 bounty, ?2 brand, ?3 now.
const AUDIT_AWARDS = `INSERT INTO audit_log (id, brand_id, actor_type, actor_id, action, target_type, target_id, details, at)
SELECT 'aud_' || lower(hex(randomblob(12))), a.brand_id, 'system', 'bounty-check', 'bounty.awarded', 'enrollment', a.enrollment_id,
  json_object('bountyId', b.id, 'title', b.title, 'amountMinor', l.amount_minor, 'currency', l.currency, 'ledgerEntryId', l.id), ?3
FROM bounty_awards a JOIN bounties b ON b.id = a.bounty_id JOIN ledger_entries l ON l.id = a.ledger_entry_id
WHERE a.bounty_id = ?1 AND a.brand_id = ?2 AND a.awarded_at = ?3
  AND NOT EXISTS (SELECT 1 FROM audit_log x WHERE x.target_id = a.enrollment_id AND x.action = 'bounty.awarded' AND x.brand_id = a.brand_id AND json_extract(x.details, '$.bountyId') = a.bounty_id)`;

export const bountyNote = (title: string) => `Bounty reached: ${title}`;

export type AwardedBounty = { bountyId: string; awarded: number };

/**
 * The cron's evaluation: open bounties whose window has started take turns (the longest unlooked first, within
 * BOUNTY_STATEMENTS), and each creator who reached one gets its reward. A bounty whose window closed more than
 * bountySettleAfter ago gets a last look and is settled. One that fails is logged, and the others go on.
 * Safe to run twice at once: the entry's event key and the award row's key each let one write land.
 */
export async function awardBounties(db: D1Database, now: number): Promise<AwardedBounty[]> {
  const { results: open } = await db
    .prepare(
      `SELECT b.id, b.brand_id, b.title, b.ends_at, br.timezone, c.holding_days FROM bounties b JOIN brands br ON br.id = b.brand_id JOIN campaigns c ON c.id = b.campaign_id
       WHERE b.archived_at IS NULL AND b.settled_at IS NULL AND b.starts_at <= ? ORDER BY b.checked_at, b.id LIMIT ${BOUNTIES_PER_RUN}`,
    )
    .bind(now)
    .all<{ id: string; brand_id: string; title: string; ends_at: number; timezone: string; holding_days: number }>();
  const awarded: AwardedBounty[] = [];
  let spent = 1;
  for (const b of open) {
    if (spent + STATEMENTS_PER_BOUNTY + 1 > BOUNTY_STATEMENTS) break;
    spent += STATEMENTS_PER_BOUNTY;
    try {
      const [entries, awards] = await db.batch([
        db.prepare(INSERT_AWARD_ENTRIES).bind(b.id, bountyNote(b.title), periodOf(now, b.timezone), now),
        db.prepare(INSERT_AWARDS).bind(b.id, b.brand_id, now),
        db.prepare(AUDIT_AWARDS).bind(b.id, b.brand_id, now),
        db.prepare('UPDATE bounties SET checked_at = ? WHERE id = ?').bind(now, b.id),
      ]);
      const made = awards?.meta.changes ?? 0;
      if (made > 0) awarded.push({ bountyId: b.id, awarded: made });
      // Settled only once a look found nobody more to award, so a full page is followed by another look.
      if (now >= b.ends_at + bountySettleAfter(b.holding_days) && (entries?.meta.changes ?? 0) < AWARDS_PER_BOUNTY_RUN) {
        spent += 1;
        await db.prepare('UPDATE bounties SET settled_at = ? WHERE id = ? AND settled_at IS NULL').bind(now, b.id).run();
      }
    } catch (error) {
      // Its checked_at is left as it was, so it is first in line again next run; the others are not held up by it.
      log.error('bounty_award_failed', { bountyId: b.id, error });
    }
  }
  return awarded;
}

// ---------- The creator's view ----------

export type CreatorBounty = {
  id: string;
  title: string;
  metric: BountyMetric;
  target: number;
  reward_minor: number;
  currency: string;
  ends_at: number;
  campaign_name: string;
  brand_name: string;
  timezone: string;
  progress: number;
  holding: number;
  holding_days: number;
  earned_minor: number | null;
  awarded_at: number | null;
};
export const CREATOR_BOUNTIES_SHOWN = 20;

/**
 * The bounties on a creator's home page: each open one of the campaigns they are in (as AWARDABLE: not invited or
 * removed, of a brand they accepted), with their progress (orders counted, and those still in holding), and those they earned whose window closed in the last 30 days.
 */
export async function creatorBounties(db: D1Database, creatorId: string, now: number): Promise<CreatorBounty[]> {
  const { results } = await db
    .prepare(
      `SELECT b.id, b.title, b.metric, b.target, b.reward_minor, br.currency, b.ends_at, c.name AS campaign_name, br.name AS brand_name, br.timezone,
         ${clearedSum('b', 'e.id', 'c.holding_days', '?2')} AS progress, ${holdingSum('b', 'e.id', 'c.holding_days', '?2')} AS holding, c.holding_days, l.amount_minor AS earned_minor, a.awarded_at
       FROM enrollments e JOIN bounties b ON b.campaign_id = e.campaign_id AND b.brand_id = e.brand_id
       JOIN campaigns c ON c.id = b.campaign_id JOIN brands br ON br.id = b.brand_id
       LEFT JOIN bounty_awards a ON a.bounty_id = b.id AND a.enrollment_id = e.id LEFT JOIN ledger_entries l ON l.id = a.ledger_entry_id
       WHERE e.creator_id = ?1 AND ${AWARDABLE}
         AND b.archived_at IS NULL AND b.starts_at <= ?2 AND (b.ends_at > ?2 OR (a.awarded_at IS NOT NULL AND b.ends_at > ?2 - 30 * ${DAY_MS}))
       ORDER BY a.awarded_at IS NOT NULL, b.ends_at, b.id LIMIT ${CREATOR_BOUNTIES_SHOWN}`,
    )
    .bind(creatorId, now)
    .all<CreatorBounty>();
  return results;
}
