// What the console reads. Every query is scoped by the signed-in user's brand: a foreign id is simply not found.
import { payableFrom } from '../../../db/payouts';
import type { Position } from '../../../lib/cursor';
import type { ComplianceChecks } from '../../../db/schema';
import { submissionStatuses } from '../../../db/schema';
import { isSale, netOf } from '../../../db/sales';
import { NOT_WITHDRAWN } from '../../../db/submissions';
import { DRAFT_STANDS } from '../../../domain/content-due';
import { EXTENSION_COLUMNS, EXTENSION_JOIN, type GrantRow } from '../../../domain/usage-rights';
import { rosterPageSql, tagsJsonSql } from '../../../db/creator-tags';

export type CampaignSummary = {
  id: string;
  name: string;
  slug: string;
  hashtag: string;
  status: string;
  created_at: number;
  ends_at: number | null;
  enrolled: number;
  active: number;
  to_review: number;
  // Creators past the date their first draft was due with none sent (domain/content-due.ts); 0 once it ended.
  overdue: number;
  applications: number;
  live: number;
  clicks: number;
  conversions: number;
  revenue: number;
  cost: number;
};

// One row per campaign, each number an indexed subquery over that campaign's enrollments (rollups, not raw
// clicks). Sales are net of refunds, as on the network page. ?1 the brand, ?2 now.
export const CAMPAIGN_SUMMARIES_SQL = `SELECT c.id, c.name, c.slug, c.hashtag, c.status, c.created_at, c.ends_at,
  (SELECT COUNT(*) FROM enrollments e WHERE e.campaign_id = c.id AND +e.brand_id = c.brand_id AND e.status <> 'removed') AS enrolled,
  (SELECT COUNT(*) FROM enrollments e WHERE e.campaign_id = c.id AND +e.brand_id = c.brand_id AND e.status = 'active') AS active,
  (SELECT COUNT(*) FROM enrollments e JOIN submissions s ON s.enrollment_id = e.id WHERE e.campaign_id = c.id AND +e.brand_id = c.brand_id AND s.status = 'submitted') AS to_review,
  CASE WHEN c.status <> 'ended' AND (c.ends_at IS NULL OR c.ends_at > ?2) THEN (SELECT COUNT(*) FROM enrollments e
    JOIN brand_creators r ON r.brand_id = e.brand_id AND r.creator_id = e.creator_id AND r.accepted_at IS NOT NULL
    WHERE e.campaign_id = c.id AND +e.brand_id = c.brand_id AND e.status IN ('active', 'paused', 'benched') AND coalesce(e.content_due_at, c.content_due_at) <= ?2
      AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.enrollment_id = e.id AND ${DRAFT_STANDS})) ELSE 0 END AS overdue,
  (SELECT COUNT(*) FROM applications a WHERE a.campaign_id = c.id AND a.status = 'pending' AND +a.brand_id = c.brand_id) AS applications,
  (SELECT COUNT(*) FROM enrollments e JOIN submissions s ON s.enrollment_id = e.id WHERE e.campaign_id = c.id AND +e.brand_id = c.brand_id AND s.status = 'live') AS live,
  (SELECT COALESCE(SUM(r.unique_clicks), 0) FROM enrollments e JOIN links l ON l.enrollment_id = e.id JOIN click_rollups r ON r.link_id = l.id WHERE e.campaign_id = c.id AND +e.brand_id = c.brand_id) AS clicks,
  (SELECT COUNT(*) FROM enrollments e JOIN conversions cv ON cv.enrollment_id = e.id WHERE e.campaign_id = c.id AND +e.brand_id = c.brand_id AND cv.attribution <> 'none' AND ${isSale('cv')}) AS conversions,
  (SELECT COALESCE(SUM(${netOf('cv')}), 0) FROM enrollments e JOIN conversions cv ON cv.enrollment_id = e.id WHERE e.campaign_id = c.id AND +e.brand_id = c.brand_id AND cv.attribution <> 'none') AS revenue,
  (SELECT COALESCE(SUM(l.amount_minor), 0) FROM enrollments e JOIN ledger_entries l ON l.enrollment_id = e.id WHERE e.campaign_id = c.id AND +e.brand_id = c.brand_id) AS cost
FROM campaigns c WHERE c.brand_id = ?1 ORDER BY c.status = 'ended', c.created_at DESC`;

export async function campaignSummaries(db: D1Database, brandId: string, now: number): Promise<CampaignSummary[]> {
  return (await db.prepare(CAMPAIGN_SUMMARIES_SQL).bind(brandId, now).all<CampaignSummary>()).results;
}

// The brand's creators at work now, each counted once however many campaigns they run in: active in a
// campaign that is running (launched and not past its end).
export async function activeCreatorCount(db: D1Database, brandId: string, now: number): Promise<number> {
  const row = await db
    .prepare(
      `SELECT COUNT(DISTINCT e.creator_id) AS n FROM enrollments e JOIN campaigns c ON c.id = e.campaign_id
       WHERE e.brand_id = ? AND e.status = 'active' AND c.status = 'active' AND (c.ends_at IS NULL OR c.ends_at > ?) AND (c.starts_at IS NULL OR c.starts_at <= ?)`,
    )
    .bind(brandId, now, now)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

export type CampaignRecord = {
  id: string;
  brand_id: string;
  slug: string;
  name: string;
  hashtag: string;
  positioning_anchor: string;
  non_negotiables: string;
  disclosure_text: string;
  story_formats: string;
  default_destination: string;
  attribution_window_days: number;
  commission_plan_id: string | null;
  holding_days: number;
  renewal_months: number;
  returning_customer_months: number;
  starts_at: number | null;
  ends_at: number | null;
  status: 'draft' | 'active' | 'ended';
  baseline_cost_minor: number | null;
  baseline_engaged: number | null;
  applications_open: number;
  content_due_at: number | null;
  usage_rights: string | null;
  created_at: number;
};

export async function loadCampaign(db: D1Database, brandId: string, id: string): Promise<CampaignRecord | null> {
  return db.prepare('SELECT * FROM campaigns WHERE id = ? AND brand_id = ?').bind(id, brandId).first<CampaignRecord>();
}

// The campaign filter's options on the review queue and the orders page.
export async function campaignOptions(db: D1Database, brandId: string): Promise<{ id: string; name: string }[]> {
  return (await db.prepare('SELECT id, name FROM campaigns WHERE brand_id = ? ORDER BY created_at DESC').bind(brandId).all<{ id: string; name: string }>()).results;
}

export type PlanOption = { id: string; name: string; tiers: string; period: string };

export async function commissionPlans(db: D1Database, brandId: string): Promise<PlanOption[]> {
  return (await db.prepare('SELECT id, name, tiers, period FROM commission_plans WHERE brand_id = ? ORDER BY created_at').bind(brandId).all<PlanOption>()).results;
}

export type EnrollmentOption = { id: string; creator_id: string; handle: string; display_name: string; payment_model: string; status: string };

export async function campaignEnrollments(db: D1Database, brandId: string, campaignId: string): Promise<EnrollmentOption[]> {
  return (
    await db
      .prepare(
        `SELECT e.id, e.creator_id, cr.handle, cr.display_name, e.payment_model, e.status FROM enrollments e JOIN roster cr ON cr.brand_id = e.brand_id AND cr.creator_id = e.creator_id
         WHERE e.campaign_id = ? AND +e.brand_id = ? AND e.status <> 'removed' ORDER BY cr.handle LIMIT 500`,
      )
      .bind(campaignId, brandId)
      .all<EnrollmentOption>()
  ).results;
}

export const REVIEW_STATUSES = submissionStatuses;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];
export type ReviewFilters = { status: ReviewStatus | null; campaignId: string | null; compliance: 'flagged' | 'ok' | null };

// With the grant as stored (GrantRow): the terms as the creator saw them (null when none were asked), the end in
// force and the accepted extension behind it, so a draft in review shows what it grants and approved content what holds.
export type ReviewItem = GrantRow & {
  id: string;
  status: ReviewStatus;
  story_format: string;
  draft_url: string;
  caption: string;
  review_notes: string | null;
  post_url: string | null;
  compliance: string;
  views: number;
  likes: number;
  comments: number;
  saves: number;
  shares: number;
  created_at: number;
  updated_at: number;
  handle: string;
  display_name: string;
  campaign_id: string;
  campaign_name: string;
  hashtag: string;
  disclosure_text: string;
};

export const REVIEW_PAGE_SIZE = 100;
// Pages are counted (the queue's order, drafts in review first and oldest first, has no one key to page on):
// this many at most, 20,000 submissions.
export const MAX_REVIEW_PAGE = 200;


function reviewWhere(brandId: string, f: ReviewFilters, withStatus: boolean) {
  const where = ['s.brand_id = ?', NOT_WITHDRAWN];
  const params: unknown[] = [brandId];
  if (withStatus && f.status) where.push('s.status = ?'), params.push(f.status);
  if (f.campaignId) where.push('e.campaign_id = ?'), params.push(f.campaignId);
  if (f.compliance === 'flagged') where.push("(json_extract(s.compliance, '$.hashtag') = 0 OR json_extract(s.compliance, '$.disclosure') = 0)");
  if (f.compliance === 'ok') where.push("json_extract(s.compliance, '$.hashtag') = 1 AND json_extract(s.compliance, '$.disclosure') = 1");
  return { sql: where.join(' AND '), params };
}

// The queue: the filtered page (submitted first, oldest waiting first), whether more follow, and the
// per-status counts for the tabs.
export async function reviewQueue(db: D1Database, brandId: string, f: ReviewFilters, page = 1): Promise<{ items: ReviewItem[]; more: boolean; counts: Record<string, number> }> {
  const list = reviewWhere(brandId, f, true);
  const counts = reviewWhere(brandId, f, false);
  const [items, byStatus] = await db.batch([
    db
      .prepare(
        `SELECT s.id, s.status, s.story_format, s.draft_url, s.caption, s.review_notes, s.post_url, s.compliance, s.views, s.likes, s.comments, s.saves, s.shares, s.rights_terms, s.rights_granted_at, s.rights_until, ${EXTENSION_COLUMNS},
           s.created_at, s.updated_at, cr.handle, cr.display_name, cp.id AS campaign_id, cp.name AS campaign_name, cp.hashtag, cp.disclosure_text
         FROM submissions s JOIN enrollments e ON e.id = s.enrollment_id JOIN roster cr ON cr.brand_id = e.brand_id AND cr.creator_id = e.creator_id JOIN campaigns cp ON cp.id = e.campaign_id
         ${EXTENSION_JOIN}
         WHERE ${list.sql}
         ORDER BY s.status <> 'submitted', CASE WHEN s.status = 'submitted' THEN s.updated_at END ASC, s.updated_at DESC, s.id LIMIT ? OFFSET ?`,
      )
      .bind(...list.params, REVIEW_PAGE_SIZE + 1, (page - 1) * REVIEW_PAGE_SIZE),
    db.prepare(`SELECT s.status, COUNT(*) AS n FROM submissions s JOIN enrollments e ON e.id = s.enrollment_id WHERE ${counts.sql} GROUP BY s.status`).bind(...counts.params),
  ]);
  const tally: Record<string, number> = {};
  for (const r of (byStatus?.results ?? []) as { status: string; n: number }[]) tally[r.status] = r.n;
  const rows = (items?.results ?? []) as ReviewItem[];
  return { items: rows.slice(0, REVIEW_PAGE_SIZE), more: rows.length > REVIEW_PAGE_SIZE, counts: tally };
}

export async function awaitingReview(db: D1Database, brandId: string): Promise<number> {
  const row = await db
    .prepare(`SELECT COUNT(*) AS n FROM submissions s JOIN enrollments e ON e.id = s.enrollment_id WHERE s.brand_id = ? AND s.status = 'submitted' AND ${NOT_WITHDRAWN}`)
    .bind(brandId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

export const parseCompliance = (json: string): ComplianceChecks => {
  try {
    const v = JSON.parse(json) as Partial<ComplianceChecks>;
    return { hashtag: v.hashtag === true, disclosure: v.disclosure === true };
  } catch {
    return { hashtag: false, disclosure: false };
  }
};

export type PeriodClose = { closed_at: number; closed_by: string; closer_name: string | null };

export async function periodClose(db: D1Database, brandId: string, period: string): Promise<PeriodClose | null> {
  return db
    .prepare(
      `SELECT pc.closed_at, pc.closed_by, u.name AS closer_name FROM period_closes pc
       LEFT JOIN admin_users u ON pc.closed_by = 'admin_user:' || u.id AND u.brand_id = pc.brand_id
       WHERE pc.brand_id = ? AND pc.period = ?`,
    )
    .bind(brandId, period)
    .first<PeriodClose>();
}

export async function closedPeriods(db: D1Database, brandId: string): Promise<string[]> {
  return (await db.prepare('SELECT period FROM period_closes WHERE brand_id = ? ORDER BY period DESC LIMIT 36').bind(brandId).all<{ period: string }>()).results.map((r) => r.period);
}

export type Claimable = { currency: string; amount: number; creators: number; entries: number };
// What a close of the period would pay now (`claimable`), and what it leaves to a later close because the
// creator is owed less than the brand's minimum payout (`below`; empty while the minimum is 0).
export type CloseForecast = { claimable: Claimable[]; below: Claimable[]; minimum: number };

// The same rule closePeriod applies (unpaid, available before the period ends, from this period or earlier;
// one payout per creator and currency that nets to the minimum payout or more, the rest carried).
export async function closeForecast(db: D1Database, brandId: string, period: string, end: number): Promise<CloseForecast> {
  const [groups, brand] = await Promise.all([
    db
      .prepare(
        `SELECT owed.currency, owed.net >= ${payableFrom('owed.creator_id')} AS paid, SUM(owed.net) AS amount, COUNT(*) AS creators, SUM(owed.entries) AS entries FROM (
           SELECT creator_id, currency, SUM(amount_minor) AS net, COUNT(*) AS entries FROM ledger_entries
           WHERE brand_id = ?1 AND payout_id IS NULL AND available_at < ?2 AND period <= ?3 GROUP BY creator_id, currency HAVING net > 0
         ) AS owed GROUP BY owed.currency, paid ORDER BY owed.currency`,
      )
      .bind(brandId, end, period)
      .all<Claimable & { paid: number }>(),
    db.prepare('SELECT min_payout_minor FROM brands WHERE id = ?').bind(brandId).first<{ min_payout_minor: number }>(),
  ]);
  const strip = ({ paid: _, ...r }: Claimable & { paid: number }): Claimable => r;
  return { claimable: groups.results.filter((r) => r.paid).map(strip), below: groups.results.filter((r) => !r.paid).map(strip), minimum: brand?.min_payout_minor ?? 0 };
}

export type Later = Claimable & { held: number };

// Unpaid entries a close of this period leaves for a later one (available only after it ends), and how
// much of that is still in its holding period now: the rest is payable, just not from this period.
export async function pendingLater(db: D1Database, brandId: string, end: number, now: number): Promise<Later[]> {
  return (
    await db
      .prepare(
        `SELECT currency, SUM(amount_minor) AS amount, COALESCE(SUM(CASE WHEN available_at > ? THEN amount_minor END), 0) AS held,
           COUNT(DISTINCT creator_id) AS creators, COUNT(*) AS entries FROM ledger_entries
         WHERE brand_id = ? AND payout_id IS NULL AND available_at >= ? GROUP BY currency ORDER BY currency`,
      )
      .bind(now, brandId, end)
      .all<Later>()
  ).results;
}

// The brand's creators, newest first a page at a time (brand_creators_brand_at), optionally those whose
// handle, name or email contains `q`: each with the brand's campaigns they are in and what they have earned
// with the brand (every ledger entry: commissions, fees, bonuses, less reversals).
export type RosterRow = {
  creator_id: string;
  handle: string;
  display_name: string;
  email: string;
  niche: string | null;
  platform: string | null;
  follower_count: number | null;
  accepted_at: number | null;
  created_at: number;
  earned: number;
  campaigns: string;
  // The brand's tags on them, a JSON array in order (db/creator-tags.ts).
  tags: string;
};

/** `tag`: only the creators with it; null, a tag that is none (typed by hand): nobody. */
export async function listRoster(db: D1Database, brandId: string, f: { q: string; tag?: string | null; after?: Position; limit: number }): Promise<RosterRow[]> {
  const page = await rosterPageSql(db, brandId, f);
  // The page's creators are chosen first, so a rare tag's sort (rosterPageSql) sorts bare rows and the sums
  // below run for the page alone, not for every tagged creator.
  const { results } = await db
    .prepare(
      `SELECT r.creator_id, r.handle, r.display_name, r.email, r.niche, r.platform, r.follower_count, r.accepted_at, r.created_at,
         (SELECT COALESCE(SUM(l.amount_minor), 0) FROM ledger_entries l WHERE l.creator_id = r.creator_id AND l.brand_id = r.brand_id) AS earned,
         (SELECT json_group_array(json_object('enrollment', e.id, 'campaign', e.campaign_id, 'name', k.name, 'status', e.status))
            FROM enrollments e JOIN campaigns k ON k.id = e.campaign_id WHERE e.creator_id = r.creator_id AND e.brand_id = r.brand_id) AS campaigns,
         ${tagsJsonSql('r.brand_id', 'r.creator_id')} AS tags
       FROM (${page.sql}) r
       ORDER BY r.created_at DESC, r.creator_id DESC`,
    )
    .bind(...page.params)
    .all<RosterRow>();
  return results;
}
