// Bounties (schema.ts `bounties`), as Dub Partners' performance bounties: "reach 10 sales in this campaign by
// 31 December and earn 50.00". Progress counts the creator's attributed orders that occurred in [starts_at,
// ends_at): `sales` the orders not refunded in full (not a subscription's later payments, as the network counts
// sales), `revenue` their amounts net of refunds. A self-purchase that earns nothing counts for neither.
// The reward is an `adjustment` ledger entry naming the bounty, so earnings, payouts, statements and exports
// include it with no change of their own; it lands once per enrollment (its event key, and the award row
// written in the same batch), and stays: a later refund does not take it back.
import { z } from 'zod';
import { periodOf } from '../domain/periods';
import { ApiError } from '../lib/errors';
import { afterParams, afterSql, type Position } from '../lib/cursor';
import { newId } from '../lib/ids';
import { plainText } from '../lib/validate';
import { auditIfChanged } from './audit';
import { refundedOf } from './network';
import { NOT_ERASED } from './money';
import { MAX_ADJUSTMENT_MINOR } from './adjustments';

export const BOUNTY_TITLE_MAX = 80;
// A reward is at most what one adjustment may add (100,000.00 in a two-decimal currency).
export const MAX_BOUNTY_REWARD_MINOR = MAX_ADJUSTMENT_MINOR;
// Past a billion orders or minor units a target is a typo, and every count stays a safe integer.
export const MAX_BOUNTY_TARGET = 1_000_000_000;
export const BOUNTY_ID = /^bty_[A-Za-z0-9_-]{1,60}$/;
export type BountyMetric = 'sales' | 'revenue';

export const bountyBody = z
  .strictObject({
    title: plainText(BOUNTY_TITLE_MAX, 'one').min(1),
    metric: z.enum(['sales', 'revenue']).meta({ description: '`sales`: attributed orders not refunded in full; `revenue`: their net amount in minor units.' }),
    target: z.int().min(1).max(MAX_BOUNTY_TARGET).meta({ description: 'Orders (`sales`) or minor units of net revenue (`revenue`) to reach.' }),
    rewardMinor: z.int().min(1).max(MAX_BOUNTY_REWARD_MINOR).meta({ description: "The reward in minor units of your brand's currency." }),
    startsAt: z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)).optional().meta({ description: 'When orders start to count (default: now).' }),
    endsAt: z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)).meta({ description: 'When orders stop counting (orders at this instant or later do not count).' }),
  })
  .refine((b) => b.startsAt === undefined || b.endsAt > b.startsAt, { path: ['endsAt'], message: 'The window must end after it starts.' });
export type BountyInput = { title: string; metric: BountyMetric; target: number; rewardMinor: number; startsAt: number; endsAt: number };

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

type Actor = { type: 'api_key' | 'admin_user'; id: string };

export const campaignEndedForBounties = () => new ApiError(409, 'campaign_ended', 'This campaign has ended, so it takes no new bounties.');

/** Creates a bounty on the brand's campaign: null when the campaign is not the brand's; 409 when it has ended. */
export async function createBounty(db: D1Database, brandId: string, campaignId: string, input: BountyInput, actor: Actor, now: number): Promise<BountyRow | null> {
  const campaign = await db.prepare('SELECT id, status FROM campaigns WHERE id = ? AND brand_id = ?').bind(campaignId, brandId).first<{ id: string; status: string }>();
  if (!campaign) return null;
  if (campaign.status === 'ended') throw campaignEndedForBounties();
  const id = newId('bty');
  const [inserted] = await db.batch([
    // Guarded on the status read above, so a campaign ended meanwhile takes none.
    db
      .prepare(
        `INSERT INTO bounties (id, brand_id, campaign_id, title, metric, target, reward_minor, starts_at, ends_at, created_by_type, created_by_id, created_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12 WHERE EXISTS (SELECT 1 FROM campaigns WHERE id = ?3 AND brand_id = ?2 AND status <> 'ended')`,
      )
      .bind(id, brandId, campaign.id, input.title, input.metric, input.target, input.rewardMinor, input.startsAt, input.endsAt, actor.type, actor.id, now),
    auditIfChanged(db, { brandId, actorType: actor.type, actorId: actor.id, action: 'bounty.created', targetType: 'campaign', targetId: campaign.id, details: { bountyId: id, ...input } }, now),
  ]);
  if ((inserted?.meta.changes ?? 0) === 0) throw campaignEndedForBounties();
  return loadBounty(db, brandId, id);
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

// SQL for the progress of enrollment `e` on bounty `b` (both SQL names): its counted orders in the window, on the
// index conversions_enrollment_at.
const progressOf = (b: string, e: string) => `(SELECT COALESCE(SUM(CASE WHEN ${b}.metric = 'sales' THEN (cv.renewal_of IS NULL AND ${refundedOf('cv')} < cv.amount_minor)
    ELSE MAX(cv.amount_minor - ${refundedOf('cv')}, 0) END), 0)
  FROM conversions cv WHERE cv.enrollment_id = ${e} AND cv.occurred_at >= ${b}.starts_at AND cv.occurred_at < ${b}.ends_at AND cv.attribution <> 'none' AND cv.self_purchase <> 1)`;

// Who can be awarded: still in the campaign (not removed), and a creator who accepted the brand (one who never did
// has shared no payout details, as for an adjustment) and was not erased.
const AWARDABLE = `e.status <> 'removed' AND EXISTS (SELECT 1 FROM brand_creators r WHERE r.brand_id = e.brand_id AND r.creator_id = e.creator_id AND r.accepted_at IS NOT NULL)
  AND ${NOT_ERASED('e.creator_id', 'e.brand_id')}`;

// Bounded work a cron run: this many bounties, and this many awards each (the next run goes on).
export const BOUNTIES_PER_RUN = 100;
export const AWARDS_PER_BOUNTY_RUN = 100;
// A closed window is still looked at this long, for orders the store reports late; then it is settled.
export const BOUNTY_SETTLE_AFTER_MS = 2 * 86_400_000;

// ?1 bounty, ?2 entry note, ?3 period, ?4 now. Event key "bounty:<bounty>:<enrollment>"; ids made in the statement ('le_' and 24 hex digits).
const INSERT_AWARD_ENTRIES = `INSERT INTO ledger_entries (id, brand_id, enrollment_id, creator_id, kind, amount_minor, currency, basis_minor, period, event_key, available_at, created_at, note)
SELECT 'le_' || lower(hex(randomblob(12))), b.brand_id, e.id, e.creator_id, 'adjustment', b.reward_minor, br.currency, 0, ?3, 'bounty:' || b.id || ':' || e.id, ?4, ?4, ?2
FROM bounties b JOIN brands br ON br.id = b.brand_id JOIN enrollments e ON e.campaign_id = b.campaign_id AND e.brand_id = b.brand_id
WHERE b.id = ?1 AND b.archived_at IS NULL AND b.starts_at <= ?4 AND ${AWARDABLE}
  AND NOT EXISTS (SELECT 1 FROM bounty_awards a WHERE a.bounty_id = b.id AND a.enrollment_id = e.id)
  AND ${progressOf('b', 'e.id')} >= b.target
LIMIT ${AWARDS_PER_BOUNTY_RUN}
ON CONFLICT(brand_id, event_key) DO NOTHING`;

// The award rows of the entries just written (their event keys' range, on ledger_brand_event). ?1 bounty, ?2 brand.
const INSERT_AWARDS = `INSERT INTO bounty_awards (bounty_id, enrollment_id, brand_id, ledger_entry_id, awarded_at)
SELECT ?1, l.enrollment_id, l.brand_id, l.id, l.created_at FROM ledger_entries l
WHERE l.brand_id = ?2 AND l.event_key > 'bounty:' || ?1 || ':' AND l.event_key < 'bounty:' || ?1 || ';'
  AND NOT EXISTS (SELECT 1 FROM bounty_awards a WHERE a.bounty_id = ?1 AND a.enrollment_id = l.enrollment_id)
ON CONFLICT(bounty_id, enrollment_id) DO NOTHING`;

export const bountyNote = (title: string) => `Bounty reached: ${title}`;

export type AwardedBounty = { bountyId: string; awarded: number };

/**
 * The cron's evaluation: every open bounty whose window has started is looked at, and each creator who reached it
 * gets its reward. A bounty whose window closed more than BOUNTY_SETTLE_AFTER_MS ago gets a last look and is settled.
 * Safe to run twice at once: the entry's event key and the award row's key each let one write land.
 */
export async function awardBounties(db: D1Database, now: number): Promise<AwardedBounty[]> {
  const { results: open } = await db
    .prepare(
      `SELECT b.id, b.brand_id, b.title, b.ends_at, br.timezone FROM bounties b JOIN brands br ON br.id = b.brand_id
       WHERE b.archived_at IS NULL AND b.settled_at IS NULL AND b.starts_at <= ? ORDER BY b.starts_at LIMIT ${BOUNTIES_PER_RUN}`,
    )
    .bind(now)
    .all<{ id: string; brand_id: string; title: string; ends_at: number; timezone: string }>();
  const awarded: AwardedBounty[] = [];
  for (const b of open) {
    const [entries, awards] = await db.batch([
      db.prepare(INSERT_AWARD_ENTRIES).bind(b.id, bountyNote(b.title), periodOf(now, b.timezone), now),
      db.prepare(INSERT_AWARDS).bind(b.id, b.brand_id),
    ]);
    const made = awards?.meta.changes ?? 0;
    if (made > 0) awarded.push({ bountyId: b.id, awarded: made });
    // Settled only once a look found nobody more to award, so a full page is followed by another look.
    if (now >= b.ends_at + BOUNTY_SETTLE_AFTER_MS && (entries?.meta.changes ?? 0) < AWARDS_PER_BOUNTY_RUN) {
      await db.prepare('UPDATE bounties SET settled_at = ? WHERE id = ? AND settled_at IS NULL').bind(now, b.id).run();
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
  earned_minor: number | null;
  awarded_at: number | null;
};
export const CREATOR_BOUNTIES_SHOWN = 20;

/**
 * The bounties on a creator's home page: each open one of the campaigns they are in (not removed, not erased),
 * with their progress, and those they earned whose window closed in the last 30 days.
 */
export async function creatorBounties(db: D1Database, creatorId: string, now: number): Promise<CreatorBounty[]> {
  const { results } = await db
    .prepare(
      `SELECT b.id, b.title, b.metric, b.target, b.reward_minor, br.currency, b.ends_at, c.name AS campaign_name, br.name AS brand_name, br.timezone,
         ${progressOf('b', 'e.id')} AS progress, l.amount_minor AS earned_minor, a.awarded_at
       FROM enrollments e JOIN bounties b ON b.campaign_id = e.campaign_id AND b.brand_id = e.brand_id
       JOIN campaigns c ON c.id = b.campaign_id JOIN brands br ON br.id = b.brand_id
       LEFT JOIN bounty_awards a ON a.bounty_id = b.id AND a.enrollment_id = e.id LEFT JOIN ledger_entries l ON l.id = a.ledger_entry_id
       WHERE e.creator_id = ?1 AND e.status NOT IN ('removed', 'invited') AND ${NOT_ERASED('e.creator_id', 'e.brand_id')}
         AND b.archived_at IS NULL AND b.starts_at <= ?2 AND (b.ends_at > ?2 OR (a.awarded_at IS NOT NULL AND b.ends_at > ?2 - 30 * 86400000))
       ORDER BY a.awarded_at IS NOT NULL, b.ends_at, b.id LIMIT ${CREATOR_BOUNTIES_SHOWN}`,
    )
    .bind(creatorId, now)
    .all<CreatorBounty>();
  return results;
}
