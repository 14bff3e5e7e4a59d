// The brand's orders as recorded: what the store sent, how it was attributed, what it earned and what
// refunds took back. Read by the admin API and the console's Orders page, newest first, a page at a time.
import { awaitingClickWhere, earnsThroughColumns, returningCustomerWhere, subscriptionRenewalWhere } from './schema';
import { CLICK_COUNTS, creditsOrderAt } from './conversions';
import { isNewOrder } from './sales';
import { formatAmount } from '../domain/store-payloads';
import { afterParams, afterSql, keysetPages, type Position } from '../lib/cursor';
import { csvLine, csvNumber, csvPercent, csvText, pagedCsvStream } from '../lib/csv';
import { iso } from '../lib/validate';
import { SELF_PURCHASE_WITHHELD, type SelfPurchase } from '../domain/self-purchase';
import type { DeclineReason } from './declines';

// An order's id as a filter: what the stores send (the signed API holds ids to printable ASCII, the
// webhooks to 128 characters of anything), minus control characters.
export const ORDER_ID_FILTER = /^[^\u0000-\u001f\u007f]{1,128}$/;

export type ConversionFilter = {
  // One order by Chorus's id (the decline forms and routes read it back).
  conversionId?: string;
  campaignId?: string;
  enrollmentId?: string;
  creatorId?: string;
  attribution?: 'code' | 'click' | 'none';
  // A Stripe subscription's later payments only, or every order but them.
  renewals?: 'only' | 'exclude';
  // A returning customer's orders credited through their first order only, or every order but them.
  returningCustomers?: 'only' | 'exclude';
  orderId?: string;
  from?: number; // occurred at or after (epoch ms)
  to?: number; // occurred before
  after?: Position; // the previous page's last row
};

export type ListedConversion = {
  id: string;
  external_order_id: string;
  amount_minor: number;
  currency: string;
  occurred_at: number;
  created_at: number;
  source: 'api' | 'shopify' | 'stripe';
  attribution: 'code' | 'click' | 'none';
  code_raw: string | null;
  click_id_raw: string | null;
  customer_ref: string | null;
  awaiting_click: 0 | 1;
  enrollment_id: string | null;
  campaign_id: string | null;
  campaign_name: string | null;
  handle: string | null;
  commission_minor: number | null;
  rate_bps: number | null;
  tier: number | null;
  available_at: number | null;
  payout_status: 'pending' | 'paid' | 'failed' | null;
  bonus_minor: number;
  reversed_minor: number;
  refunded_minor: number;
  renewal_of: string | null;
  /** A returning customer's order credited through their first order (db/conversions.ts): that order's id. */
  returning_customer_of: string | null;
  /** domain/self-purchase.ts: 0 not the creator's own order, 1 theirs and earning nothing, 2 theirs and earning. */
  self_purchase: SelfPurchase;
  /** The brand's standing decline of its commission (db/declines.ts), or nulls. */
  decline_id: string | null;
  decline_reason: DeclineReason | null;
  decline_note: string | null;
  declined_at: number | null;
  declined_by_type: 'admin_user' | 'api_key' | null;
  declined_by_id: string | null;
};

// Waiting for its click: the sweep's own condition, narrowed to the orders a stored click can still credit.
// A click id of the wrong shape never reaches storage, one stored as a bot (or for another brand) never
// credits, nor does one made before its campaign opened (CLICK_COUNTS) or one for an order placed after its
// campaign ended or its creator was removed (creditsOrderAt), and an order past the sweep's last look is retired.
const AWAITING_CLICK = `${awaitingClickWhere('cv.')}
    AND length(cv.click_id_raw) BETWEEN 16 AND 64 AND cv.click_id_raw NOT GLOB '*[^A-Za-z0-9_-]*'
    AND coalesce(cv.click_look_at, cv.created_at) < ${Number.MAX_SAFE_INTEGER}
    AND NOT EXISTS (SELECT 1 FROM clicks k JOIN links l ON l.id = k.link_id JOIN enrollments e ON e.id = l.enrollment_id JOIN campaigns c ON c.id = e.campaign_id
      WHERE k.id = cv.click_id_raw AND (k.is_bot = 1 OR k.brand_id <> cv.brand_id OR NOT (${CLICK_COUNTS}) OR NOT (${creditsOrderAt('cv.occurred_at')})))`;

// Refunded: the order's applied refunds, capped at the order as reversals are (db/money.ts). Pending refunds
// wait for an order that is not there yet, so they never belong to a listed row. A brand's decline is no refund:
// it is the order's `decline_*` (its reversal is in reversed_minor).
const SELECT = `SELECT cv.id, cv.external_order_id, cv.amount_minor, cv.currency, cv.occurred_at, cv.created_at, cv.source, cv.attribution,
  cv.code_raw, cv.click_id_raw, cv.customer_ref, (${AWAITING_CLICK}) AS awaiting_click,
  cv.enrollment_id, e.campaign_id, cp.name AS campaign_name, cr.handle,
  l.amount_minor AS commission_minor, l.rate_bps, l.tier, l.available_at, po.status AS payout_status,
  (SELECT COALESCE(SUM(x.amount_minor), 0) FROM ledger_entries x WHERE x.conversion_id = cv.id AND x.kind = 'bonus') AS bonus_minor,
  (SELECT COALESCE(-SUM(x.amount_minor), 0) FROM ledger_entries x WHERE x.conversion_id = cv.id AND x.kind = 'reversal') AS reversed_minor,
  MIN(cv.amount_minor, (SELECT COALESCE(SUM(r.amount_minor), 0) FROM refunds r
    WHERE r.brand_id = cv.brand_id AND r.external_order_id = cv.external_order_id AND r.status = 'applied' AND r.source <> 'decline')) AS refunded_minor,
  ${earnsThroughColumns('cv.', 'first.external_order_id')}, cv.self_purchase,
  dc.id AS decline_id, dc.reason AS decline_reason, dc.note AS decline_note, dc.created_at AS declined_at, dc.actor_type AS declined_by_type, dc.actor_id AS declined_by_id
FROM conversions cv
LEFT JOIN declined_commissions dc ON dc.conversion_id = cv.id AND dc.reinstated_at IS NULL
LEFT JOIN conversions first ON first.id = cv.renewal_of
LEFT JOIN enrollments e ON e.id = cv.enrollment_id
LEFT JOIN campaigns cp ON cp.id = e.campaign_id
LEFT JOIN brand_creators cr ON cr.brand_id = e.brand_id AND cr.creator_id = e.creator_id
LEFT JOIN ledger_entries l ON l.conversion_id = cv.id AND l.kind = 'commission'
LEFT JOIN payouts po ON po.id = l.payout_id`;

// Newest first by the order's own time, id breaking ties: conversions_brand_at (brand_id, occurred_at)
// serves the scope, the range, the cursor and the order. An enrollment filter walks that enrollment's
// index instead (the unary + keeps the brand scope from choosing brand_at). Campaign, creator and
// attribution filters walk the brand's index and keep what matches: a page of a rare match reads more.
export function conversionListQuery(brandId: string, f: ConversionFilter, limit: number): { sql: string; params: (string | number)[] } {
  const where = [f.enrollmentId ? '+cv.brand_id = ?' : 'cv.brand_id = ?'];
  const params: (string | number)[] = [brandId];
  const add = (clause: string, ...values: (string | number)[]) => (where.push(clause), params.push(...values));
  if (f.conversionId) add('cv.id = ?', f.conversionId);
  if (f.campaignId) add('cv.enrollment_id IN (SELECT id FROM enrollments WHERE brand_id = ? AND campaign_id = ?)', brandId, f.campaignId);
  if (f.enrollmentId) add('cv.enrollment_id = ?', f.enrollmentId);
  if (f.creatorId) add('cv.enrollment_id IN (SELECT id FROM enrollments WHERE brand_id = ? AND creator_id = ?)', brandId, f.creatorId);
  // A renewal or returning order carries its first order's attribution, not evidence of its own: `code` and
  // `click` are the orders a code or click credited themselves (renewals and returning orders have filters of their own).
  if (f.attribution) add(`cv.attribution = ? AND ${isNewOrder('cv')}`, f.attribution);
  if (f.renewals) add(f.renewals === 'only' ? subscriptionRenewalWhere('cv.') : `NOT (${subscriptionRenewalWhere('cv.')})`);
  if (f.returningCustomers) add(f.returningCustomers === 'only' ? returningCustomerWhere('cv.') : `NOT (${returningCustomerWhere('cv.')})`);
  if (f.orderId) add('cv.external_order_id = ?', f.orderId);
  if (f.from !== undefined) add('cv.occurred_at >= ?', f.from);
  if (f.to !== undefined) add('cv.occurred_at < ?', f.to);
  if (f.after) add(afterSql('cv.occurred_at', 'cv.id'), ...afterParams(f.after));
  return { sql: `${SELECT} WHERE ${where.join(' AND ')} ORDER BY cv.occurred_at DESC, cv.id DESC LIMIT ?`, params: [...params, limit] };
}

export async function listConversions(db: D1Database, brandId: string, f: ConversionFilter, limit: number): Promise<ListedConversion[]> {
  const { sql, params } = conversionListQuery(brandId, f, limit);
  return (await db.prepare(sql).bind(...params).all<ListedConversion>()).results;
}

// Where the order's commission stands: in holding, payable, claimed by a payout not yet paid (pending, or
// failed and waiting for a retry), or paid.
export type CommissionStatus = 'holding' | 'available' | 'in_payout' | 'paid';
export function commissionStatus(row: Pick<ListedConversion, 'available_at' | 'payout_status'>, now: number): CommissionStatus {
  if (row.payout_status === 'paid') return 'paid';
  if (row.payout_status !== null) return 'in_payout';
  return row.available_at !== null && row.available_at > now ? 'holding' : 'available';
}

// As the admin API and the orders CSV report it: `declined` while the brand's decline of the order stands (its
// commission reversed, wherever that stands), else where the commission stands.
export type ReportedCommissionStatus = CommissionStatus | 'declined';
export const reportedCommissionStatus = (row: Pick<ListedConversion, 'available_at' | 'payout_status' | 'decline_id'>, now: number): ReportedCommissionStatus =>
  row.decline_id !== null ? 'declined' : commissionStatus(row, now);

export const positionOf = (row: ListedConversion): Position => ({ at: row.occurred_at, id: row.id });

export const ORDERS_CSV_HEADER = [
  'order_id',
  'occurred_at',
  'recorded_at',
  'source',
  'currency',
  'amount',
  'attribution',
  'code_sent',
  'click_id_sent',
  'awaiting_click',
  'creator_handle',
  'campaign',
  'commission',
  'rate_percent',
  'tier',
  'commission_status',
  'payable_from',
  'bonus',
  'refunded',
  'reversed',
  'customer_ref',
  'renewal_of',
  'self_purchase',
  'declined',
  // Columns added later go last, so a sheet reading columns by position keeps reading the same ones.
  'returning_customer_of',
];

function orderCsvLine(o: ListedConversion, now: number): string {
  const money = (minor: number) => csvNumber(formatAmount(minor, o.currency));
  const priced = o.commission_minor !== null;
  const withheld = o.self_purchase === SELF_PURCHASE_WITHHELD;
  return csvLine([
    csvText(o.external_order_id),
    csvText(iso(o.occurred_at)),
    csvText(iso(o.created_at)),
    csvText(o.source),
    csvText(o.currency),
    money(o.amount_minor),
    csvText(o.attribution),
    csvText(o.code_raw),
    csvText(o.click_id_raw),
    csvText(o.awaiting_click ? 'yes' : 'no'),
    csvText(o.handle),
    csvText(o.campaign_name),
    priced ? money(o.commission_minor!) : withheld ? money(0) : '',
    o.rate_bps === null ? '' : csvPercent(o.rate_bps),
    o.tier === null ? '' : csvNumber(o.tier),
    csvText(priced ? reportedCommissionStatus(o, now) : ''),
    csvText(iso(o.available_at)),
    money(o.bonus_minor),
    money(o.refunded_minor),
    money(o.reversed_minor),
    csvText(o.customer_ref),
    csvText(o.renewal_of),
    // yes: the customer was the creator (commission 0 unless the brand let it earn).
    csvText(o.self_purchase === 0 ? 'no' : 'yes'),
    // The reason the brand declined its commission (db/declines.ts), or empty.
    csvText(o.decline_reason),
    csvText(o.returning_customer_of),
  ]);
}

const CSV_PAGE = 500;

// Every order the filter matches, newest first, read a keyset page per pull: memory stays one page
// whatever the brand's size, and an order recorded mid-export is simply not in it.
export function ordersCsvStream(db: D1Database, brandId: string, filter: Omit<ConversionFilter, 'after'>): ReadableStream<Uint8Array> {
  const now = Date.now();
  const pages = keysetPages((after: Position | undefined, size) => listConversions(db, brandId, { ...filter, after }, size), positionOf, CSV_PAGE);
  return pagedCsvStream(ORDERS_CSV_HEADER, pages, (rows) => rows.map((r) => orderCsvLine(r, now)).join(''));
}
