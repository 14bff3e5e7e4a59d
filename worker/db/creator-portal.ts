// What the creator portal reads. Every query is scoped by the signed-in creator's id, so one creator
// can never load another's rows; the home page is one D1 batch of a handful of indexed reads.
import { creatorEndedSql } from './audit';
import { currentVersionSql } from './program-terms';
import { inRunningCampaign } from './payouts';
import { returningCustomerWhere, subscriptionRenewalWhere, type CommissionTier } from './schema';
import type { DailyPoint } from '../domain/network';
import { DAY_MS, periodOf } from '../domain/periods';
import { chartDays, dailyPoints, QUARTER_HOUR_MS } from './daily';
import { isSale } from './sales';
import { blocksAsking } from './gifting';
import { formatAmount } from '../domain/store-payloads';
import { csvLine, csvNumber, csvPercent, csvText, pagedCsvStream } from '../lib/csv';
import { keysetPages, oldestFirstAfterSql, type Position } from '../lib/cursor';
import { iso } from '../lib/validate';
import { DRAFT_STANDS, firstDraftState, type FirstDraft } from '../domain/content-due';
import { campaignEnded } from '../domain/codes';

export type CreatorEnrollment = {
  enrollment_id: string;
  payment_model: 'product' | 'affiliate' | 'flat' | 'hybrid';
  flat_fee_minor: number;
  brief_section: string;
  enrollment_status: string;
  campaign_id: string;
  campaign_name: string;
  campaign_slug: string;
  hashtag: string;
  positioning_anchor: string;
  non_negotiables: string;
  disclosure_text: string;
  story_formats: string;
  attribution_window_days: number;
  holding_days: number;
  renewal_months: number;
  returning_customer_months: number;
  starts_at: number | null;
  ends_at: number | null;
  campaign_status: string;
  brand_id: string;
  brand_name: string;
  currency: string;
  timezone: string;
  tiers: string | null;
  plan_period: 'month' | 'lifetime' | null;
  bonus: string | null;
  // 1 once the creator accepted this brand; until then the campaign is an invitation they may decline.
  brand_accepted: number;
  // 1 when the brand lets creators earn on their own orders (domain/self-purchase.ts).
  self_purchases_earn: number;
  // When their first draft is due: their own date, or else the campaign's (null: none); and how many of their
  // drafts still stand (anything but rejected), which ends it.
  content_due_at: number | null;
  drafts_standing: number;
  // Product seeding (db/gifting.ts): gifting open on the campaign, products offered, and the status of their
  // request (the one that stands in the way of asking, else the latest; null: none yet). `received_earlier`: their
  // gift arrived in an earlier round, and they may ask in this one.
  gifting_open: number;
  gift_products: number;
  gift_status: 'requested' | 'shipped' | 'received' | 'received_earlier' | 'declined' | 'withdrawn' | null;
  // The usage rights the campaign asks with each draft (JSON, null: none): domain/usage-rights.ts.
  usage_rights: string | null;
  // The brand's current program terms version (null: none), which joining it asks the creator to accept (db/program-terms.ts).
  terms_version: number | null;
};

const ENROLLMENTS_SQL = `SELECT e.id AS enrollment_id, e.payment_model, e.flat_fee_minor, e.brief_section, e.status AS enrollment_status,
  c.id AS campaign_id, c.name AS campaign_name, c.slug AS campaign_slug, c.hashtag, c.positioning_anchor, c.non_negotiables, c.disclosure_text,
  c.story_formats, c.usage_rights, c.attribution_window_days, c.holding_days, c.renewal_months, c.returning_customer_months, c.starts_at, c.ends_at, c.status AS campaign_status,
  b.id AS brand_id, b.name AS brand_name, b.currency, b.timezone, b.self_purchases_earn, p.tiers, p.period AS plan_period, p.bonus,
  r.accepted_at IS NOT NULL AS brand_accepted, ${currentVersionSql('e.brand_id')} AS terms_version, coalesce(e.content_due_at, c.content_due_at) AS content_due_at,
  (SELECT count(*) FROM submissions s WHERE s.enrollment_id = e.id AND ${DRAFT_STANDS}) AS drafts_standing,
  c.gifting_open, (SELECT count(*) FROM gift_products gp WHERE gp.campaign_id = c.id AND gp.archived_at IS NULL) AS gift_products,
  -- (The campaign again inside: an ORDER BY in a subquery cannot name the outer query's columns.)
  (SELECT CASE WHEN g.status = 'received' AND g.round < gc.gift_round THEN 'received_earlier' ELSE g.status END FROM gift_requests g JOIN campaigns gc ON gc.id = g.campaign_id
    WHERE g.enrollment_id = e.id ORDER BY ${blocksAsking('g', 'gc.gift_round')} DESC, g.updated_at DESC LIMIT 1) AS gift_status
FROM enrollments e JOIN campaigns c ON c.id = e.campaign_id JOIN brands b ON b.id = e.brand_id
LEFT JOIN commission_plans p ON p.id = c.commission_plan_id
LEFT JOIN brand_creators r ON r.brand_id = e.brand_id AND r.creator_id = e.creator_id
WHERE e.creator_id = ? AND e.status <> 'removed'`;

export const HOME_QUERIES = {
  enrollments: `${ENROLLMENTS_SQL} ORDER BY e.created_at DESC`,
  // Campaigns the creator was removed from: named on the home page, so an account with none left does not
  // read as never having been enrolled. Only of brands they accepted: a declined invitation is not one.
  ended: `SELECT e.id AS enrollment_id, c.name AS campaign_name, b.name AS brand_name, b.timezone, e.removed_at,
  ${creatorEndedSql('e')} AS ended_by
FROM enrollments e JOIN campaigns c ON c.id = e.campaign_id JOIN brands b ON b.id = e.brand_id
JOIN brand_creators r ON r.brand_id = e.brand_id AND r.creator_id = e.creator_id AND r.accepted_at IS NOT NULL
WHERE e.creator_id = ? AND e.status = 'removed' ORDER BY e.removed_at DESC LIMIT 20`,
  links: `SELECT 'link' AS kind, l.enrollment_id, l.slug AS value, l.status, l.destination, NULL AS discount_type, NULL AS discount_value, l.made_by, l.archived_at
FROM links l JOIN enrollments e ON e.id = l.enrollment_id WHERE e.creator_id = ?
UNION ALL SELECT 'code', d.enrollment_id, d.code, d.status, NULL, d.discount_type, d.discount_value, NULL, NULL FROM discount_codes d JOIN enrollments e ON e.id = d.enrollment_id WHERE e.creator_id = ?`,
  clicks: `SELECT l.enrollment_id, SUM(r.unique_clicks) AS clicks FROM click_rollups r JOIN links l ON l.id = r.link_id JOIN enrollments e ON e.id = l.enrollment_id
WHERE e.creator_id = ? GROUP BY l.enrollment_id`,
  // Orders refunded in full are not sales, nor are a subscriber's later payments or a returning customer's orders
  // (renewal_of), as on the brand's network page.
  conversions: `SELECT cv.enrollment_id, COUNT(*) AS conversions FROM enrollments e JOIN conversions cv ON cv.enrollment_id = e.id
    WHERE e.creator_id = ? AND ${isSale('cv')} GROUP BY cv.enrollment_id`,
  // The brand's updates of the last week in each campaign (at most a few a day each: db/campaign-updates.ts),
  // newest first: the card names the latest.
  updates: `SELECT e.id AS enrollment_id, u.title, u.created_at FROM enrollments e JOIN campaign_updates u ON u.campaign_id = e.campaign_id AND u.brand_id = e.brand_id
WHERE e.creator_id = ? AND e.status <> 'removed' AND u.created_at > ? ORDER BY u.created_at DESC, u.id DESC`,
  ledger: `SELECT l.enrollment_id, l.kind, l.period, l.basis_period, (p.status = 'paid') AS paid, (l.available_at <= ?) AS available,
  SUM(l.amount_minor) AS amount, SUM(l.basis_minor) AS basis, SUM(CASE WHEN l.amount_minor < 0 THEN -1 ELSE 1 END) AS entries
FROM ledger_entries l LEFT JOIN payouts p ON p.id = l.payout_id
WHERE l.creator_id = ? GROUP BY l.enrollment_id, l.kind, l.period, l.basis_period, paid, available`,
};

/** A creator's discount code with what it gives shoppers (whole percent, or minor units of the brand's currency). */
export type ListedCode = { code: string; status: string; discount_type: string; discount_value: number };
type LinkOrCode = {
  kind: 'link' | 'code';
  enrollment_id: string;
  value: string;
  status: string;
  destination: string | null;
  discount_type: string | null;
  discount_value: number | null;
  made_by: 'brand' | 'creator' | null;
  archived_at: number | null;
};

/** A tracked link on the creator's home card; `own`: one they made in the portal, which they may archive. */
export type ListedLink = { slug: string; status: string; destination: string; own: boolean };
// entries: net of take-backs (a flat fee taken back counts -1), so a fee's count is of posts still live.
type LedgerGroup = { enrollment_id: string; kind: string; period: string; basis_period: string | null; paid: number | null; available: number; amount: number; basis: number; entries: number };

// A campaign the creator has not said yes to: a brand they have not accepted, or a new campaign of one
// they have (an import into a second campaign) still waiting as invited. Accept answers both.
export const isInvitation = (e: Pick<CreatorEnrollment, 'brand_accepted' | 'enrollment_status'>) => !e.brand_accepted || e.enrollment_status === 'invited';

/** Where the creator stands with their first draft in this campaign (domain/content-due.ts). */
export const firstDraftOf = (e: CreatorEnrollment, now: number): FirstDraft =>
  firstDraftState({ status: e.enrollment_status, accepted: e.brand_accepted === 1, draftsStanding: e.drafts_standing, dueAt: e.content_due_at }, e, now);

export type CampaignCard = CreatorEnrollment & {
  links: ListedLink[];
  // Links the creator archived, newest archived first: they still work, and can be restored.
  archived: ListedLink[];
  codes: ListedCode[];
  clicks: number;
  conversions: number;
  earnings: { pending: number; payable: number; paid: number };
  fees: { earned: number; count: number };
  periodRevenue: number;
  period: string;
  tiersParsed: CommissionTier[];
  // The brand's latest update to the campaign, when one came in the last week.
  latestUpdate: { title: string; created_at: number } | null;
};

/** How far back the home page calls an update new. */
export const NEW_UPDATE_MS = 7 * DAY_MS;

/** `ended_by`: the creator's own leaving or declining (db/audit.ts), or null when the brand removed them. */
export type EndedEnrollment = { enrollment_id: string; campaign_name: string; brand_name: string; timezone: string; removed_at: number | null; ended_by: 'enrollment.left' | 'enrollment.declined' | null };

export async function creatorHome(db: D1Database, creatorId: string, now: number): Promise<{ cards: CampaignCard[]; ended: EndedEnrollment[] }> {
  const [enrollments, ended, items, clicks, conversions, ledger, updates] = await db.batch([
    db.prepare(HOME_QUERIES.enrollments).bind(creatorId),
    db.prepare(HOME_QUERIES.ended).bind(creatorId),
    db.prepare(HOME_QUERIES.links).bind(creatorId, creatorId),
    db.prepare(HOME_QUERIES.clicks).bind(creatorId),
    db.prepare(HOME_QUERIES.conversions).bind(creatorId),
    db.prepare(HOME_QUERIES.ledger).bind(now, creatorId),
    db.prepare(HOME_QUERIES.updates).bind(creatorId, now - NEW_UPDATE_MS),
  ]);
  const byEnrollment = <T extends { enrollment_id: string }>(rows: T[]) => {
    const map = new Map<string, T[]>();
    for (const r of rows) map.set(r.enrollment_id, [...(map.get(r.enrollment_id) ?? []), r]);
    return map;
  };
  const itemMap = byEnrollment((items?.results ?? []) as LinkOrCode[]);
  const clickMap = new Map(((clicks?.results ?? []) as { enrollment_id: string; clicks: number }[]).map((r) => [r.enrollment_id, r.clicks]));
  const conversionMap = new Map(((conversions?.results ?? []) as { enrollment_id: string; conversions: number }[]).map((r) => [r.enrollment_id, r.conversions]));
  const ledgerMap = byEnrollment((ledger?.results ?? []) as LedgerGroup[]);
  // Newest first: the first row of each enrollment is its latest.
  const latestUpdates = new Map<string, { title: string; created_at: number }>();
  for (const u of (updates?.results ?? []) as { enrollment_id: string; title: string; created_at: number }[]) if (!latestUpdates.has(u.enrollment_id)) latestUpdates.set(u.enrollment_id, { title: u.title, created_at: u.created_at });
  const cards = ((enrollments?.results ?? []) as CreatorEnrollment[]).map((e) => {
    const period = periodOf(now, e.timezone);
    const earnings = { pending: 0, payable: 0, paid: 0 };
    const fees = { earned: 0, count: 0 };
    let periodRevenue = 0;
    for (const g of ledgerMap.get(e.enrollment_id) ?? []) {
      if (g.paid) earnings.paid += g.amount;
      else if (g.available) earnings.payable += g.amount;
      else earnings.pending += g.amount;
      if (g.kind === 'flat_fee') (fees.earned += g.amount), (fees.count += g.entries);
      if ((g.kind === 'commission' || g.kind === 'reversal') && (e.plan_period === 'lifetime' || g.basis_period === period)) periodRevenue += g.basis;
    }
    const own = itemMap.get(e.enrollment_id) ?? [];
    const links = own.filter((i) => i.kind === 'link');
    const listed = (i: LinkOrCode): ListedLink => ({ slug: i.value, status: i.status, destination: i.destination ?? '', own: i.made_by === 'creator' });
    return {
      ...e,
      links: links.filter((i) => i.archived_at === null).map(listed),
      archived: links
        .filter((i) => i.archived_at !== null)
        .sort((a, b) => b.archived_at! - a.archived_at!)
        .map(listed),
      codes: own.filter((i) => i.kind === 'code').map((i) => ({ code: i.value, status: i.status, discount_type: i.discount_type ?? 'percent', discount_value: i.discount_value ?? 0 })),
      clicks: clickMap.get(e.enrollment_id) ?? 0,
      conversions: conversionMap.get(e.enrollment_id) ?? 0,
      earnings,
      fees,
      periodRevenue,
      period,
      tiersParsed: e.tiers ? (JSON.parse(e.tiers) as CommissionTier[]) : [],
      latestUpdate: latestUpdates.get(e.enrollment_id) ?? null,
    };
  });
  return { cards, ended: (ended?.results ?? []) as EndedEnrollment[] };
}

export async function creatorEnrollment(db: D1Database, creatorId: string, enrollmentId: string): Promise<CreatorEnrollment | null> {
  return db.prepare(`${ENROLLMENTS_SQL} AND e.id = ?`).bind(creatorId, enrollmentId).first<CreatorEnrollment>();
}

/** One of the creator's tracked links, with its campaign as their portal reads it. */
export type CreatorLink = CreatorEnrollment & { link_id: string; slug: string; link_status: string; destination: string; made_by: 'brand' | 'creator'; archived_at: number | null };

// A tracked link of the signed-in creator's, by its slug, only where their home page offers it: a campaign they
// work in (not an invitation, not one they left or were removed from, not ended). Another creator's link, or
// one the home page no longer shows, is null: the caller's 404.
export async function creatorLink(db: D1Database, creatorId: string, slug: string, now: number): Promise<CreatorLink | null> {
  const row = await db
    .prepare(`SELECT l.id AS link_id, l.slug, l.status AS link_status, l.destination, l.made_by, l.archived_at, x.* FROM links l JOIN (${ENROLLMENTS_SQL}) x ON x.enrollment_id = l.enrollment_id WHERE l.slug = ?`)
    .bind(creatorId, slug)
    .first<CreatorLink>();
  return row && !isInvitation(row) && !campaignEnded(row, now) ? row : null;
}

export async function creatorEnrollments(db: D1Database, creatorId: string): Promise<CreatorEnrollment[]> {
  return (await db.prepare(`${ENROLLMENTS_SQL} ORDER BY e.created_at DESC`).bind(creatorId).all<CreatorEnrollment>()).results;
}

export type CreatorSubmission = {
  id: string;
  enrollment_id: string;
  campaign_name: string;
  story_format: string;
  status: string;
  compliance: string;
  updated_at: number;
  created_at: number;
};

export async function creatorSubmissions(db: D1Database, creatorId: string): Promise<CreatorSubmission[]> {
  const { results } = await db
    .prepare(
      `SELECT s.id, s.enrollment_id, c.name AS campaign_name, s.story_format, s.status, s.compliance, s.updated_at, s.created_at
       FROM enrollments e JOIN submissions s ON s.enrollment_id = e.id JOIN campaigns c ON c.id = e.campaign_id
       WHERE e.creator_id = ? AND e.status <> 'removed' ORDER BY s.updated_at DESC LIMIT 200`,
    )
    .bind(creatorId)
    .all<CreatorSubmission>();
  return results;
}

export type SubmissionEvent = { from_status: string | null; to_status: string; actor_type: string; note: string | null; at: number };

export async function submissionTimeline(db: D1Database, submissionId: string): Promise<SubmissionEvent[]> {
  const { results } = await db.prepare('SELECT from_status, to_status, actor_type, note, at FROM submission_events WHERE submission_id = ? ORDER BY at, id').bind(submissionId).all<SubmissionEvent>();
  return results;
}

// Each group also says where its money stands: in a payout, payable (past its holding period), or held until
// the last of its entries clears, so a creator can see when a commission will be paid.
// A group's money by where it stands: paid out, in a payout not paid yet, payable, or held (released from
// held_from to held_until, as its entries' holding periods end).
// notes: the brand's reasons for its adjustments in the row (db/adjustments.ts), joined; null for other kinds.
export type EarningsRow = { period: string; kind: string; currency: string; brand_name: string; timezone: string; amount: number; entries: number; notes: string | null; paid: number; in_payout: number; payable: number; held: number; held_from: number | null; held_until: number | null };
export type PayoutRow = { id: string; period: string; currency: string; amount_minor: number; status: string; failure_reason: string | null; brand_name: string; timezone: string; paid_at: number | null };

// A brand with a minimum payout that what this creator is owed past the holding period falls short of (as a
// close counts it): its closes carry the amount forward until it reaches the minimum.
export type BelowMinimum = { brand_name: string; currency: string; minimum: number; owed: number };

// A subscription's later payments, and a returning customer's orders no code or click credited, are commission the
// creator earns again without a new sale, and a flat fee taken back (the post was not live) or a bonus taken back
// (refunds or a decline took the month below its threshold) is not one earned, nor is a refund's reversal given back because the refund failed: each a kind of its own
// (EARNING_KIND_LABELS in portal/format.ts names them). `l` is the entry, `cv` its order (LEFT JOINed).
// A brand's decline of an order (db/declines.ts) is a refund of source 'decline': its reversal and the give-back
// of reinstating it are kinds of their own too, not a refund.
export const SHOWN_KIND = `CASE WHEN l.kind = 'commission' AND ${subscriptionRenewalWhere('cv.')} THEN 'renewal_commission'
  WHEN l.kind = 'commission' AND ${returningCustomerWhere('cv.')} THEN 'returning_commission' WHEN l.kind = 'flat_fee' AND l.amount_minor < 0 THEN 'flat_fee_back'
  WHEN l.kind = 'reversal' AND EXISTS (SELECT 1 FROM declined_commissions d WHERE d.refund_id = l.refund_id) THEN CASE WHEN l.event_key = 'refund_failed:' || l.refund_id THEN 'declined_back' ELSE 'declined' END
  WHEN l.kind = 'reversal' AND l.event_key = 'refund_failed:' || l.refund_id THEN 'reversal_back'
  WHEN l.kind = 'bonus' AND l.amount_minor < 0 THEN 'bonus_back' ELSE l.kind END`;

export async function creatorEarnings(db: D1Database, creatorId: string, now: number): Promise<{ ledger: EarningsRow[]; payouts: PayoutRow[]; belowMinimum: BelowMinimum[] }> {
  const [ledger, payouts, below] = await db.batch([
    db
      .prepare(
        `SELECT l.period, ${SHOWN_KIND} AS shown_kind,
           l.currency, b.name AS brand_name, b.timezone, SUM(l.amount_minor) AS amount, COUNT(*) AS entries,
           group_concat(CASE WHEN l.kind = 'adjustment' THEN l.note END, ' · ') AS notes,
           SUM(CASE WHEN p.status = 'paid' THEN l.amount_minor ELSE 0 END) AS paid,
           SUM(CASE WHEN l.payout_id IS NOT NULL AND p.status IS NOT 'paid' THEN l.amount_minor ELSE 0 END) AS in_payout,
           SUM(CASE WHEN l.payout_id IS NULL AND l.available_at <= ?2 THEN l.amount_minor ELSE 0 END) AS payable,
           SUM(CASE WHEN l.payout_id IS NULL AND l.available_at > ?2 THEN l.amount_minor ELSE 0 END) AS held,
           MIN(CASE WHEN l.payout_id IS NULL AND l.available_at > ?2 THEN l.available_at END) AS held_from,
           MAX(CASE WHEN l.payout_id IS NULL AND l.available_at > ?2 THEN l.available_at END) AS held_until
         FROM ledger_entries l JOIN brands b ON b.id = l.brand_id LEFT JOIN payouts p ON p.id = l.payout_id
         LEFT JOIN conversions cv ON cv.id = l.conversion_id WHERE l.creator_id = ?1
         GROUP BY l.period, shown_kind, l.currency, l.brand_id ORDER BY l.period DESC, b.name, l.brand_id, shown_kind`,
      )
      .bind(creatorId, now),
    db
      .prepare(
        `SELECT p.id, p.period, p.currency, p.amount_minor, p.status, p.failure_reason, b.name AS brand_name, b.timezone, p.paid_at FROM payouts p JOIN brands b ON b.id = p.brand_id
         WHERE p.creator_id = ? ORDER BY p.period DESC, b.name`,
      )
      .bind(creatorId),
    db
      .prepare(
        `SELECT b.name AS brand_name, l.currency, b.min_payout_minor AS minimum, SUM(CASE WHEN l.available_at <= ?2 THEN l.amount_minor ELSE 0 END) AS owed
         FROM ledger_entries l JOIN brands b ON b.id = l.brand_id
         WHERE l.creator_id = ?1 AND l.payout_id IS NULL AND b.min_payout_minor > 0 GROUP BY l.brand_id, l.currency
         HAVING owed > 0 AND owed < minimum AND ${inRunningCampaign('?1', 'l.brand_id', '?2')} ORDER BY b.name`,
      )
      .bind(creatorId, now),
  ]);
  const rows = (ledger?.results ?? []) as (Omit<EarningsRow, 'kind'> & { shown_kind: string })[];
  return { ledger: rows.map(({ shown_kind, ...r }) => ({ ...r, kind: shown_kind })), payouts: (payouts?.results ?? []) as PayoutRow[], belowMinimum: (below?.results ?? []) as BelowMinimum[] };
}

// A creator's own last days in one campaign: unique clicks on their links from the rollups, and their orders
// counted as on the home page (credited sales, not a subscriber's later payments or a returning customer's orders, not refunded in full),
// both on the brand's calendar days. The orders are read by conversions_enrollment_at: `+cv.brand_id` keeps
// SQLite from walking the brand's index, every order of the brand in the window, instead.
export type CreatorStats = { daily: DailyPoint[]; clicks: number; orders: number; byLink: number };

export const STATS_QUERIES = {
  clicks: `SELECT r.day, SUM(r.unique_clicks) AS n FROM links l JOIN click_rollups r ON r.link_id = l.id
WHERE l.enrollment_id = ?1 AND l.brand_id = ?2 AND r.day >= ?3 AND r.day <= ?4 GROUP BY r.day`,
  orders: `SELECT cv.occurred_at / ${QUARTER_HOUR_MS} AS quarter, COUNT(*) AS n, SUM(cv.attribution = 'click') AS by_link FROM conversions cv
WHERE cv.enrollment_id = ?1 AND +cv.brand_id = ?2 AND cv.attribution <> 'none' AND cv.occurred_at >= ?3 AND cv.occurred_at < ?4
  AND ${isSale('cv')} GROUP BY quarter`,
};

export async function creatorStats(db: D1Database, e: Pick<CreatorEnrollment, 'enrollment_id' | 'brand_id' | 'timezone'>, now: number, length = 30): Promise<CreatorStats> {
  const chart = chartDays(now, e.timezone, length);
  const [clicks, orders] = await db.batch([
    db.prepare(STATS_QUERIES.clicks).bind(e.enrollment_id, e.brand_id, chart.days[0], chart.days.at(-1)),
    db.prepare(STATS_QUERIES.orders).bind(e.enrollment_id, e.brand_id, chart.starts[0], chart.end),
  ]);
  const clickRows = (clicks?.results ?? []) as { day: string; n: number }[];
  const orderRows = (orders?.results ?? []) as { quarter: number; n: number; by_link: number }[];
  const daily = dailyPoints(clickRows, orderRows, chart);
  return {
    daily,
    clicks: daily.reduce((t, d) => t + d.clicks, 0),
    orders: daily.reduce((t, d) => t + d.conversions, 0),
    byLink: orderRows.reduce((t, r) => t + r.by_link, 0),
  };
}

// A creator's statement: every entry of their ledger, oldest first, for their own books and tax return. A year
// is the brands' periods of that year (the month an entry counts in, in its brand's timezone). Read a keyset
// page per pull by ledger_creator (creator_id, created_at), so memory stays one page however long the history.
// sale_amount is what the entry was priced on: the order's amount for a commission, the refund's (negative) for a reversal.
export const STATEMENT_CSV_HEADER = ['date', 'period', 'brand', 'campaign', 'type', 'order_date', 'sale_amount', 'rate_percent', 'tier', 'amount', 'currency', 'status', 'payable_from', 'payout_period', 'paid_at', 'note'];

type StatementRow = {
  id: string; created_at: number; period: string; brand_name: string; campaign_name: string | null; shown_kind: string; occurred_at: number | null;
  basis_minor: number; rate_bps: number | null; tier: number | null; amount_minor: number; currency: string; available_at: number;
  payout_status: string | null; payout_period: string | null; paid_at: number | null; note: string | null;
};

const STATEMENT_PAGE = 500;

export const STATEMENT_QUERY = `SELECT l.id, l.created_at, l.period, b.name AS brand_name, c.name AS campaign_name, ${SHOWN_KIND} AS shown_kind, cv.occurred_at,
    l.basis_minor, l.rate_bps, l.tier, l.amount_minor, l.currency, l.available_at, p.status AS payout_status, p.period AS payout_period, p.paid_at, l.note
  FROM ledger_entries l JOIN brands b ON b.id = l.brand_id LEFT JOIN enrollments e ON e.id = l.enrollment_id LEFT JOIN campaigns c ON c.id = e.campaign_id
  LEFT JOIN payouts p ON p.id = l.payout_id LEFT JOIN conversions cv ON cv.id = l.conversion_id
  WHERE l.creator_id = ?1 AND l.period >= ?2 AND l.period <= ?3 AND ${oldestFirstAfterSql('l.created_at', 'l.id', '?4', '?5')}
  ORDER BY l.created_at, l.id LIMIT ${STATEMENT_PAGE}`;

// Where an entry's money stands, in the Earnings page's words, and a failed payout named as one (the page shows
// it in the payouts list instead).
function statementStatus(r: StatementRow, now: number): string {
  if (r.payout_status === 'paid') return 'paid';
  if (r.payout_status === 'failed') return 'payout failed';
  if (r.payout_status !== null) return 'in a payout';
  return r.available_at > now ? 'held' : 'payable';
}

export function statementCsvStream(db: D1Database, creatorId: string, year: number | null, labels: Record<string, string>, now = Date.now()): ReadableStream<Uint8Array> {
  const [from, to] = year === null ? ['0000-00', '9999-99'] : [`${year}-01`, `${year}-12`];
  const read = async (after: Position | undefined) => (await db.prepare(STATEMENT_QUERY).bind(creatorId, from, to, after?.at ?? -1, after?.id ?? '').all<StatementRow>()).results;
  const pages = keysetPages(read, (r) => ({ at: r.created_at, id: r.id }), STATEMENT_PAGE);
  return pagedCsvStream(STATEMENT_CSV_HEADER, pages, (rows) =>
    rows
      .map((r) => {
        const money = (minor: number) => csvNumber(formatAmount(minor, r.currency));
        return csvLine([
          csvText(iso(r.created_at)),
          csvText(r.period),
          csvText(r.brand_name),
          csvText(r.campaign_name),
          csvText(labels[r.shown_kind] ?? r.shown_kind),
          csvText(iso(r.occurred_at)),
          r.occurred_at === null ? '' : money(r.basis_minor),
          r.rate_bps === null ? '' : csvPercent(r.rate_bps),
          r.tier === null ? '' : csvNumber(r.tier),
          money(r.amount_minor),
          csvText(r.currency),
          csvText(statementStatus(r, now)),
          csvText(iso(r.available_at)),
          csvText(r.payout_period),
          csvText(iso(r.paid_at)),
          csvText(r.note),
        ]);
      })
      .join(''),
  );
}
