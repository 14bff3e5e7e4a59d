// Loads a campaign's per-creator inputs in one batch of grouped, indexed reads (rollups, not raw clicks).
// Every enrollment is loaded, removed ones too: their past clicks, sales and cost are the network's (the
// totals and the daily series count them); the ranking leaves them out. Sales and revenue are counted as
// everywhere else (db/sales.ts): net of refunds, and an order refunded in full or declined is no sale.
import type { Baseline, CreatorInputs, DailyPoint, SegmentLabels } from '../domain/network';
import { DAY_MS, dayOf, zoneOrUtc } from '../domain/periods';
import { chartDays, dailyPoints, QUARTER_HOUR_MS } from './daily';
import { DRAFT_STANDS, firstDraftState } from '../domain/content-due';
import { isNewOrder, isSale, netOf, refundedOf } from './sales';

// Over the per-order read below, whose refunds are one column (o.refunded): inline, each sum would look them up again.
const sale = isSale('o', 'o.refunded');

export type NetworkData = {
  campaign: { id: string; name: string; slug: string; currency: string; timezone: string; holdingDays: number; baseline: Baseline };
  creators: CreatorInputs[];
  daily: DailyPoint[];
  // Each enrollment's niche, platform and the brand's tags on the creator: what the results by segment group by.
  labels: Map<string, SegmentLabels>;
};

export async function loadNetwork(db: D1Database, brandId: string, campaignId: string, now: number, stallDays = 14, days = 30): Promise<NetworkData | null> {
  const campaign = await db
    .prepare(
      'SELECT c.id, c.name, c.slug, c.holding_days, c.baseline_cost_minor, c.baseline_engaged, c.status, c.ends_at, c.content_due_at, b.currency, b.timezone FROM campaigns c JOIN brands b ON b.id = c.brand_id WHERE c.id = ? AND c.brand_id = ?',
    )
    .bind(campaignId, brandId)
    .first<{
      id: string;
      name: string;
      slug: string;
      holding_days: number;
      baseline_cost_minor: number | null;
      baseline_engaged: number | null;
      status: string;
      ends_at: number | null;
      content_due_at: number | null;
      currency: string;
      timezone: string;
    }>();
  if (!campaign) return null;
  const stallFrom = now - stallDays * DAY_MS;
  // Days are the brand's calendar days, as its clicks are rolled up (clicks.day) and its months are priced.
  const stallDay = dayOf(stallFrom, zoneOrUtc(campaign.timezone));
  const validatedBefore = now - campaign.holding_days * DAY_MS;
  const chart = chartDays(now, campaign.timezone, days);
  const [enrollments, clicks, conversions, ledger, posts, dailyClicks, dailyConversions, tags] = await db.batch([
    db.prepare(
      `SELECT e.id, e.creator_id, cr.handle, cr.display_name, e.payment_model, e.status, e.created_at, coalesce(e.active_since, e.created_at) AS active_since, e.content_due_at, cr.accepted_at, cr.niche, cr.platform
       FROM enrollments e JOIN roster cr ON cr.brand_id = e.brand_id AND cr.creator_id = e.creator_id
       WHERE e.campaign_id = ?1 AND +e.brand_id = ?2`,
    ).bind(campaignId, brandId),
    db.prepare(
      `SELECT l.enrollment_id, SUM(r.unique_clicks) AS total, SUM(CASE WHEN r.day >= ?3 THEN r.clicks ELSE 0 END) AS recent
       FROM enrollments e JOIN links l ON l.enrollment_id = e.id JOIN click_rollups r ON r.link_id = l.id WHERE e.campaign_id = ?1 AND +e.brand_id = ?2 GROUP BY l.enrollment_id`,
    ).bind(campaignId, brandId, stallDay),
    db.prepare(
      // A subscription's later payment or a returning customer's order (renewal_of) adds to the creator's revenue,
      // not to their sales: it is no new customer.
      `SELECT o.enrollment_id, SUM(${sale}) AS total, SUM(${netOf('o', 'o.refunded')}) AS revenue, SUM(${isNewOrder('o')} AND o.occurred_at >= ?3) AS recent,
         SUM(${sale} AND o.occurred_at <= ?4) AS validated,
         SUM(${sale} AND o.attribution = 'click') AS by_link
       FROM (SELECT cv.enrollment_id, cv.amount_minor, cv.occurred_at, cv.attribution, cv.renewal_of, ${refundedOf('cv')} AS refunded
             FROM enrollments e JOIN conversions cv ON cv.enrollment_id = e.id WHERE e.campaign_id = ?1 AND +e.brand_id = ?2 AND cv.attribution <> 'none') o
       GROUP BY o.enrollment_id`,
    ).bind(campaignId, brandId, stallFrom, validatedBefore),
    db.prepare(
      `SELECT l.enrollment_id, SUM(l.amount_minor) AS cost FROM enrollments e JOIN ledger_entries l ON l.enrollment_id = e.id WHERE e.campaign_id = ?1 AND +e.brand_id = ?2 GROUP BY l.enrollment_id`,
    ).bind(campaignId, brandId),
    db.prepare(
      // Live posts and their numbers, every draft sent (whatever became of it), and those that still stand: who
      // has sent nothing yet, and who nothing that counts for a due date.
      `SELECT s.enrollment_id, SUM(s.status = 'live') AS live, COUNT(*) AS drafts, SUM(${DRAFT_STANDS}) AS standing,
         COALESCE(SUM(CASE WHEN s.status = 'live' THEN s.comments END), 0) AS comments, COALESCE(SUM(CASE WHEN s.status = 'live' THEN s.saves END), 0) AS saves,
         COALESCE(SUM(CASE WHEN s.status = 'live' THEN s.shares END), 0) AS shares, SUM(s.status = 'live' AND s.updated_at >= ?3) AS recent
       FROM enrollments e JOIN submissions s ON s.enrollment_id = e.id WHERE e.campaign_id = ?1 AND +e.brand_id = ?2 GROUP BY s.enrollment_id`,
    ).bind(campaignId, brandId, stallFrom),
    db.prepare(
      `SELECT r.day, SUM(r.unique_clicks) AS n FROM enrollments e JOIN links l ON l.enrollment_id = e.id JOIN click_rollups r ON r.link_id = l.id
       WHERE e.campaign_id = ?1 AND +e.brand_id = ?2 AND r.day >= ?3 GROUP BY r.day`,
    ).bind(campaignId, brandId, chart.days[0]),
    db.prepare(
      // Sales as the totals count them, per quarter hour, placed on the brand's days by dailyPoints (db/daily.ts).
      `SELECT cv.occurred_at / ${QUARTER_HOUR_MS} AS quarter, COUNT(*) AS n FROM enrollments e JOIN conversions cv ON cv.enrollment_id = e.id
       WHERE e.campaign_id = ?1 AND +e.brand_id = ?2 AND cv.attribution <> 'none' AND cv.occurred_at >= ?3 AND cv.occurred_at < ?4 AND ${isSale('cv')} GROUP BY quarter`,
    ).bind(campaignId, brandId, chart.starts[0], chart.end),
    db.prepare(
      `SELECT e.id AS enrollment_id, t.tag FROM enrollments e JOIN creator_tags t ON t.brand_id = e.brand_id AND t.creator_id = e.creator_id WHERE e.campaign_id = ?1 AND +e.brand_id = ?2`,
    ).bind(campaignId, brandId),
  ]);
  type Rows<T> = { results: T[] } | undefined;
  const index = <T extends { enrollment_id: string }>(r: Rows<T>) => new Map((r?.results ?? []).map((x) => [x.enrollment_id, x]));
  const clickMap = index(clicks as Rows<{ enrollment_id: string; total: number; recent: number }>);
  const conversionMap = index(conversions as Rows<{ enrollment_id: string; total: number; revenue: number; recent: number; validated: number; by_link: number }>);
  const ledgerMap = index(ledger as Rows<{ enrollment_id: string; cost: number }>);
  const postMap = index(posts as Rows<{ enrollment_id: string; live: number; drafts: number; standing: number; comments: number; saves: number; shares: number; recent: number }>);
  type EnrollmentRow = { id: string; creator_id: string; handle: string; display_name: string; payment_model: CreatorInputs['paymentModel']; status: string; created_at: number; active_since: number; content_due_at: number | null; accepted_at: number | null; niche: string | null; platform: string | null };
  const creators = ((enrollments?.results ?? []) as EnrollmentRow[]).map((e) => {
    const k = clickMap.get(e.id);
    const v = conversionMap.get(e.id);
    const p = postMap.get(e.id);
    const dueAt = e.content_due_at ?? campaign.content_due_at;
    return {
      enrollmentId: e.id,
      creatorId: e.creator_id,
      handle: e.handle,
      name: e.display_name,
      paymentModel: e.payment_model,
      status: e.status,
      enrolledAt: e.created_at,
      activeSince: e.active_since,
      uniqueClicks: k?.total ?? 0,
      conversions: v?.total ?? 0,
      linkConversions: v?.by_link ?? 0,
      validatedConversions: v?.validated ?? 0,
      revenueMinor: v?.revenue ?? 0,
      costMinor: ledgerMap.get(e.id)?.cost ?? 0,
      postsLive: p?.live ?? 0,
      drafts: p?.drafts ?? 0,
      comments: p?.comments ?? 0,
      saves: p?.saves ?? 0,
      shares: p?.shares ?? 0,
      recentActivity: (k?.recent ?? 0) + (v?.recent ?? 0) + (p?.recent ?? 0),
      contentDueAt: dueAt,
      firstDraft: firstDraftState({ status: e.status, accepted: e.accepted_at !== null, draftsStanding: p?.standing ?? 0, dueAt }, { campaign_status: campaign.status, ends_at: campaign.ends_at }, now),
    };
  });
  const labels = new Map<string, SegmentLabels>(((enrollments?.results ?? []) as EnrollmentRow[]).map((e) => [e.id, { niche: e.niche, platform: e.platform, tags: [] }]));
  for (const t of (tags?.results ?? []) as { enrollment_id: string; tag: string }[]) labels.get(t.enrollment_id)?.tags.push(t.tag);
  const baseline = campaign.baseline_cost_minor !== null && campaign.baseline_engaged !== null ? { costMinor: campaign.baseline_cost_minor, engaged: campaign.baseline_engaged } : null;
  return {
    campaign: { id: campaign.id, name: campaign.name, slug: campaign.slug, currency: campaign.currency, timezone: campaign.timezone, holdingDays: campaign.holding_days, baseline },
    creators,
    daily: dailyPoints((dailyClicks?.results ?? []) as { day: string; n: number }[], (dailyConversions?.results ?? []) as { quarter: number; n: number }[], chart),
    labels,
  };
}

