// What one payout paid: its header and every ledger entry it claimed, grouped by the kinds the creator's Earnings
// page names (SHOWN_KIND), with each group's subtotal summed in SQL so the groups add up to the payout exactly. The
// creator's statement page, the console's and the admin API all read it here. A creator sees of an order what their
// data download gives (the store's order id, date and amount): never the shopper's email, click id or reference.
import { formatAmount } from '../domain/store-payloads';
import { EARNING_KIND_LABELS } from '../../portal/format';
import { keysetPages, oldestFirstAfterSql, type Position } from '../lib/cursor';
import { csvAttachment, csvLine, csvNumber, csvPercent, csvText, pagedCsvStream } from '../lib/csv';
import { notFound } from '../lib/errors';
import { isPayoutId } from '../lib/ids';
import { iso } from '../lib/validate';
import { SHOWN_KIND } from './creator-portal';

// The groups in the order a statement lists them: what was earned, then what was taken back or given back.
export const STATEMENT_KINDS = ['commission', 'renewal_commission', 'returning_commission', 'reversal', 'reversal_back', 'declined', 'declined_back', 'flat_fee', 'flat_fee_back', 'bonus', 'bonus_back', 'adjustment'] as const;

// The kinds priced on an order (a bonus names the order that reached its target, but was not priced on it).
export const ORDER_KINDS: ReadonlySet<string> = new Set(['commission', 'renewal_commission', 'returning_commission', 'reversal', 'reversal_back', 'declined', 'declined_back']);

export type StatementPayout = {
  id: string;
  brandId: string;
  brandName: string;
  timezone: string;
  creatorId: string;
  period: string;
  currency: string;
  amountMinor: number;
  status: string;
  reference: string | null;
  failureReason: string | null;
  paidAt: number | null;
  givenUp: boolean;
  createdAt: number;
};

export type StatementEntry = {
  id: string;
  kind: string;
  amountMinor: number;
  createdAt: number;
  period: string;
  // The month the entry counts for: a bonus's (or its take-back's) target month, whenever it was written.
  basisPeriod: string | null;
  rateBps: number | null;
  tier: number | null;
  // What the entry was priced on: the order's amount for a commission, the refund's (negative) for a reversal.
  basisMinor: number;
  note: string | null;
  campaignName: string | null;
  enrollmentId: string;
  conversionId: string | null;
  refundId: string | null;
  submissionId: string | null;
  orderId: string | null;
  orderAt: number | null;
  orderAmountMinor: number | null;
  postUrl: string | null;
};

export type StatementGroup = { kind: string; subtotalMinor: number; count: number; entries: StatementEntry[] };

export type PayoutStatement = { payout: StatementPayout; groups: StatementGroup[]; entryCount: number; shown: number };

// Who asks: a creator sees their own payouts, a brand its own; anything else is not found.
export type StatementScope = { creatorId: string } | { brandId: string };

type PayoutRow = {
  id: string; brand_id: string; brand_name: string; timezone: string; creator_id: string; period: string; currency: string; amount_minor: number;
  status: string; reference: string | null; failure_reason: string | null; paid_at: number | null; given_up_at: number | null; created_at: number;
};

const PAYOUT_SQL = (owner: 'creator_id' | 'brand_id') => `SELECT p.id, p.brand_id, b.name AS brand_name, b.timezone, p.creator_id, p.period, p.currency, p.amount_minor,
    p.status, p.reference, p.failure_reason, p.paid_at, p.given_up_at, p.created_at
  FROM payouts p JOIN brands b ON b.id = p.brand_id WHERE p.id = ?1 AND p.${owner} = ?2`;

export const STATEMENT_QUERIES = {
  creatorPayout: PAYOUT_SQL('creator_id'),
  brandPayout: PAYOUT_SQL('brand_id'),
  // By ledger_payout_at; `+l.brand_id` keeps SQLite off the brand's whole ledger (ledger_brand_period).
  groups: `SELECT ${SHOWN_KIND} AS kind, SUM(l.amount_minor) AS subtotal, COUNT(*) AS n
  FROM ledger_entries l LEFT JOIN conversions cv ON cv.id = l.conversion_id WHERE l.payout_id = ?1 AND +l.brand_id = ?2 GROUP BY 1`,
  // Oldest first, a keyset page after (created_at, id): ?3 -1 and ?4 '' for the first, read in the order of
  // ledger_payout_at, so a page starts where the last ended without sorting the payout's entries again.
  entries: `SELECT l.id, ${SHOWN_KIND} AS kind, l.amount_minor, l.created_at, l.period, l.basis_period, l.rate_bps, l.tier, l.basis_minor, l.note, k.name AS campaign_name,
    l.enrollment_id, l.conversion_id, l.refund_id, l.submission_id, cv.external_order_id, cv.occurred_at, cv.amount_minor AS order_amount_minor, s.post_url
  FROM ledger_entries l LEFT JOIN conversions cv ON cv.id = l.conversion_id LEFT JOIN submissions s ON s.id = l.submission_id
    LEFT JOIN enrollments e ON e.id = l.enrollment_id LEFT JOIN campaigns k ON k.id = e.campaign_id
  WHERE l.payout_id = ?1 AND +l.brand_id = ?2 AND ${oldestFirstAfterSql('l.created_at', 'l.id', '?3', '?4')}
  ORDER BY l.created_at, l.id LIMIT ?5`,
};

type EntryRow = {
  id: string; kind: string; amount_minor: number; created_at: number; period: string; basis_period: string | null; rate_bps: number | null; tier: number | null; basis_minor: number;
  note: string | null; campaign_name: string | null; enrollment_id: string; conversion_id: string | null; refund_id: string | null; submission_id: string | null;
  external_order_id: string | null; occurred_at: number | null; order_amount_minor: number | null; post_url: string | null;
};

const entryOf = (r: EntryRow): StatementEntry => ({
  id: r.id,
  kind: r.kind,
  amountMinor: r.amount_minor,
  createdAt: r.created_at,
  period: r.period,
  basisPeriod: r.basis_period,
  rateBps: r.rate_bps,
  tier: r.tier,
  basisMinor: r.basis_minor,
  note: r.note,
  campaignName: r.campaign_name,
  enrollmentId: r.enrollment_id,
  conversionId: r.conversion_id,
  refundId: r.refund_id,
  submissionId: r.submission_id,
  orderId: r.external_order_id,
  orderAt: r.occurred_at,
  orderAmountMinor: r.order_amount_minor,
  postUrl: r.post_url,
});

export async function statementPayout(db: D1Database, payoutId: string, scope: StatementScope): Promise<StatementPayout | null> {
  if (!isPayoutId(payoutId)) return null;
  const [sql, owner] = 'creatorId' in scope ? [STATEMENT_QUERIES.creatorPayout, scope.creatorId] : [STATEMENT_QUERIES.brandPayout, scope.brandId];
  const r = await db.prepare(sql).bind(payoutId, owner).first<PayoutRow>();
  if (!r) return null;
  return {
    id: r.id,
    brandId: r.brand_id,
    brandName: r.brand_name,
    timezone: r.timezone,
    creatorId: r.creator_id,
    period: r.period,
    currency: r.currency,
    amountMinor: r.amount_minor,
    status: r.status,
    reference: r.reference,
    failureReason: r.failure_reason,
    paidAt: r.paid_at,
    givenUp: r.given_up_at !== null,
    createdAt: r.created_at,
  };
}

// One page of a payout's entries after `after` (null: from the first), oldest first.
export async function statementEntries(db: D1Database, payout: Pick<StatementPayout, 'id' | 'brandId'>, after: Position | null, limit: number): Promise<StatementEntry[]> {
  const { results } = await db.prepare(STATEMENT_QUERIES.entries).bind(payout.id, payout.brandId, after?.at ?? -1, after?.id ?? '', limit).all<EntryRow>();
  return results.map(entryOf);
}

/** Entries a statement page lists; the CSV has every one. */
export const STATEMENT_SHOWN = 1000;

// The statement of a payout the asker may see, or null: its groups in STATEMENT_KINDS order, each with its subtotal
// (over all its entries) and its entries among the first `shown`.
export async function payoutStatement(db: D1Database, payoutId: string, scope: StatementScope, shown = STATEMENT_SHOWN): Promise<PayoutStatement | null> {
  const payout = await statementPayout(db, payoutId, scope);
  if (!payout) return null;
  const [sums, page] = await db.batch([
    db.prepare(STATEMENT_QUERIES.groups).bind(payout.id, payout.brandId),
    db.prepare(STATEMENT_QUERIES.entries).bind(payout.id, payout.brandId, -1, '', shown),
  ]);
  const entries = ((page?.results ?? []) as EntryRow[]).map(entryOf);
  const rank = (kind: string) => {
    const i = (STATEMENT_KINDS as readonly string[]).indexOf(kind);
    return i < 0 ? STATEMENT_KINDS.length : i;
  };
  const groups = ((sums?.results ?? []) as { kind: string; subtotal: number; n: number }[])
    .sort((a, b) => rank(a.kind) - rank(b.kind) || a.kind.localeCompare(b.kind))
    .map((g) => ({ kind: g.kind, subtotalMinor: g.subtotal, count: g.n, entries: entries.filter((e) => e.kind === g.kind) }));
  return { payout, groups, entryCount: groups.reduce((n, g) => n + g.count, 0), shown: entries.length };
}

export const PAYOUT_STATEMENT_CSV_HEADER = ['payout_id', 'period', 'date', 'type', 'campaign', 'order_id', 'order_date', 'order_amount', 'sale_amount', 'rate_percent', 'tier', 'amount', 'currency', 'post_url', 'note'];

const CSV_PAGE = 500;

// Every entry of the payout, one row each, a keyset page per pull. `labels` names the kinds (EARNING_KIND_LABELS).
export function payoutStatementCsv(db: D1Database, payout: StatementPayout, labels: Record<string, string>, pageSize = CSV_PAGE): ReadableStream<Uint8Array> {
  const money = (minor: number) => csvNumber(formatAmount(minor, payout.currency));
  const pages = keysetPages((after: Position | undefined, size) => statementEntries(db, payout, after ?? null, size), (e) => ({ at: e.createdAt, id: e.id }), pageSize);
  return pagedCsvStream(PAYOUT_STATEMENT_CSV_HEADER, pages, (page) =>
    page
      .map((e) =>
        csvLine([
          csvText(payout.id),
          csvText(payout.period),
          csvText(iso(e.createdAt)),
          csvText(labels[e.kind] ?? e.kind),
          csvText(e.campaignName),
          csvText(e.orderId),
          csvText(iso(e.orderAt)),
          e.orderAmountMinor === null ? '' : money(e.orderAmountMinor),
          e.orderId === null || !ORDER_KINDS.has(e.kind) ? '' : money(e.basisMinor),
          e.rateBps === null ? '' : csvPercent(e.rateBps),
          e.tier === null ? '' : csvNumber(e.tier),
          money(e.amountMinor),
          csvText(payout.currency),
          csvText(e.postUrl),
          csvText(e.note),
        ]),
      )
      .join(''),
  );
}

export const statementCsvName = (payout: Pick<StatementPayout, 'id' | 'period'>) => `chorus-payout-${payout.period}-${payout.id}.csv`;

// A statement route's id (the creator's /earnings/payouts/:id, the console's /console/payouts/:id): `<id>.csv` is the
// CSV of a payout the asker may see, as a download (not found otherwise); `<id>` is the page's, with csv null.
export async function statementCsvOr(db: D1Database, raw: string, scope: StatementScope): Promise<{ id: string; csv: Response | null }> {
  if (!raw.endsWith('.csv')) return { id: raw, csv: null };
  const payout = await statementPayout(db, raw.slice(0, -4), scope);
  if (!payout) throw notFound('payout');
  return { id: payout.id, csv: csvAttachment(payoutStatementCsv(db, payout, EARNING_KIND_LABELS), statementCsvName(payout)) };
}
