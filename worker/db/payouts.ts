// Closing a period and exporting its payouts. A close is one batch guarded by the period_closes row it
// inserts: a second or concurrent close finds the row taken and writes nothing, so there is one payout
// per creator, period and currency. Payouts are sums over the ledger entries they claim.
import { periodBounds } from '../domain/periods';
import { formatAmount } from '../domain/store-payloads';
import { keysetPages } from '../lib/cursor';
import { csvLine, csvNumber, csvText, pagedCsvStream } from '../lib/csv';
import { ApiError } from '../lib/errors';
import { newId } from '../lib/ids';
import { openSealedJson } from '../lib/secrets';
import { NOT_ERASED } from './money';
import { taxDetailsStatus, type TaxDetails, type TaxDetailsStatus } from '../domain/tax-details';
import { US_BANK_ACCOUNT, type UsBankAccount } from '../domain/aba';
import { payoutAccountOf, usBankAccountOf, type SavedPayoutDetails } from './sealed-details';
import { sharedTaxDetailsSql, sharedWith } from './tax-details';
import { isNewOrder } from './sales';
import { payoutsClosedStatements } from './webhooks';

// Whether a creator still works with a brand: enrolled, not removed, in one of its campaigns that has not ended
// (by status, or by its end date before `now`). Each argument is SQL: a column or a parameter.
export const inRunningCampaign = (creator: string, brand: string, now: string) =>
  `EXISTS (SELECT 1 FROM enrollments e JOIN campaigns k ON k.id = e.campaign_id WHERE e.creator_id = ${creator} AND e.brand_id = ${brand} AND e.status <> 'removed'
     AND k.status <> 'ended' AND (k.ends_at IS NULL OR k.ends_at > ${now}))`;

// What the creator in `creator` (a column) must be owed for a close to pay them (?1 is the brand): at least one minor unit, and the brand's
// minimum payout while they work with it. One removed from every campaign, or whose campaigns have all ended,
// is paid what they are owed whatever it is: no later earnings will ever lift it to the minimum.
export const payableFrom = (creator: string) =>
  `max(1, CASE WHEN ${inRunningCampaign(creator, '?1', "CAST(strftime('%s', 'now') AS INTEGER) * 1000")} THEN (SELECT min_payout_minor FROM brands WHERE id = ?1) ELSE 0 END)`;

export type CloseResult = { period: string; closedNow: boolean; payouts: number; closedAt: number };

export async function closePeriod(db: D1Database, brand: { id: string; timezone: string }, period: string, actor: { type: string; id: string }, now = Date.now()): Promise<CloseResult> {
  const { end } = periodBounds(period, brand.timezone);
  if (now < end) throw new ApiError(409, 'period_open', `${period} has not ended yet in ${brand.timezone}.`);
  const closeId = newId('close');
  const guard = 'EXISTS (SELECT 1 FROM period_closes WHERE brand_id = ?1 AND period = ?2 AND close_id = ?3)';
  const claimable = `brand_id = ?1 AND payout_id IS NULL AND available_at < ?4 AND period <= ?2`;
  const [claimed] = await db.batch([
    db.prepare('INSERT INTO period_closes (brand_id, period, close_id, closed_by, closed_at) VALUES (?1, ?2, ?3, ?5, ?6) ON CONFLICT DO NOTHING').bind(brand.id, period, closeId, end, `${actor.type}:${actor.id}`, now),
    // Creators whose available entries net to less than the brand's minimum payout (payableFrom), and always
    // those at zero or less, get no payout; their entries carry forward. A closed account is never paid: what it
    // gave up is netted in the month it closed, so an earlier month's close would otherwise pay it back.
    db
      .prepare(
        `INSERT INTO payouts (id, brand_id, creator_id, period, currency, amount_minor, status, created_at)
         SELECT 'po_' || lower(hex(randomblob(12))), brand_id, creator_id, ?2, currency, 0, 'pending', ?6 FROM ledger_entries
         WHERE ${claimable} AND ${guard} AND ${NOT_ERASED('ledger_entries.creator_id', '?1')} GROUP BY creator_id, currency HAVING SUM(amount_minor) >= ${payableFrom('ledger_entries.creator_id')}
         ON CONFLICT DO NOTHING`,
      )
      .bind(brand.id, period, closeId, end, null, now),
    db
      .prepare(
        `UPDATE ledger_entries SET payout_id = (SELECT p.id FROM payouts p WHERE p.brand_id = ledger_entries.brand_id AND p.creator_id = ledger_entries.creator_id
           AND p.period = ?2 AND p.currency = ledger_entries.currency)
         WHERE ${claimable} AND ${guard}`,
      )
      .bind(brand.id, period, closeId, end),
    db
      .prepare(`UPDATE payouts SET amount_minor = (SELECT COALESCE(SUM(l.amount_minor), 0) FROM ledger_entries l WHERE l.payout_id = payouts.id) WHERE brand_id = ?1 AND period = ?2 AND ${guard}`)
      .bind(brand.id, period, closeId),
    db
      .prepare(`INSERT INTO audit_log (id, brand_id, actor_type, actor_id, action, target_type, target_id, details, at) SELECT ?4, ?1, ?5, ?6, 'period.closed', 'period', ?2, NULL, ?7 WHERE ${guard}`)
      .bind(brand.id, period, closeId, newId('aud'), actor.type, actor.id, now),
    // One payout.closed event per payout this close created (none when another close got there first).
    ...payoutsClosedStatements(db, brand.id, period, closeId, now),
  ]);
  const closedNow = (claimed?.meta.changes ?? 0) === 1;
  const close = await db.prepare('SELECT closed_at FROM period_closes WHERE brand_id = ? AND period = ?').bind(brand.id, period).first<{ closed_at: number }>();
  const count = await db.prepare('SELECT count(*) AS n FROM payouts WHERE brand_id = ? AND period = ?').bind(brand.id, period).first<{ n: number }>();
  return { period, closedNow, payouts: count?.n ?? 0, closedAt: close?.closed_at ?? now };
}

export type PayoutLine = {
  id: string;
  period: string;
  creatorId: string;
  handle: string;
  name: string;
  email: string;
  payoutMethod: string;
  payoutAccount: string;
  /** A failed payout whose creator has saved other payout details since it failed: worth paying again. */
  detailsChangedSinceFailure: boolean;
  /** Whether the creator gave the tax details finance files with (shared, as payout details, once they accepted the brand). */
  taxDetails: TaxDetailsStatus;
  currency: string;
  commissionMinor: number;
  reversalsMinor: number;
  flatFeesMinor: number;
  bonusesMinor: number;
  netMinor: number;
  conversions: number;
  status: string;
  reference: string | null;
  failureReason: string | null;
  /** The creator gave it up when they closed their account: failed for good, never to be paid. */
  givenUp: boolean;
};

type Row = {
  id: string;
  period: string;
  creator_id: string;
  handle: string;
  display_name: string;
  email: string;
  accepted: number;
  erased: number;
  payout_details_enc: string | null;
  failed_to_enc: string | null;
  tax_details_enc: string | null;
  currency: string;
  status: string;
  reference: string | null;
  failure_reason: string | null;
  given_up: number;
  commission: number;
  reversals: number;
  fees: number;
  bonuses: number;
  net: number;
  conversions: number;
};

// The payouts chosen by `pick` (the WHERE, ORDER and LIMIT over p, r and c) and only their entries summed.
const linesSql = (pick: string) => `WITH page AS (
  SELECT p.id, p.period, p.creator_id, r.handle, r.display_name, r.email, r.accepted_at IS NOT NULL AS accepted, r.erased_at IS NOT NULL AS erased,
    -- A paid payout shows the account it went to; one still to pay, where to pay it now. Neither once the brand
    -- erased the creator: the account may live on with another brand, and its details are no longer this one's.
    CASE WHEN ${sharedWith('r')} THEN CASE WHEN p.status = 'paid' THEN COALESCE(p.paid_to_enc, c.payout_details_enc) ELSE c.payout_details_enc END END AS payout_details_enc,
    -- A failed one's, where it failed to go: compared with today's once opened (each sealing differs).
    CASE WHEN ${sharedWith('r')} AND p.status = 'failed' THEN p.paid_to_enc END AS failed_to_enc,
    ${sharedTaxDetailsSql('r', 'c')} AS tax_details_enc, p.currency, p.status, p.reference, p.failure_reason,
    p.given_up_at IS NOT NULL AS given_up
  FROM payouts p JOIN roster r ON r.brand_id = p.brand_id AND r.creator_id = p.creator_id JOIN creators c ON c.id = p.creator_id
  ${pick}
)
SELECT page.*,
  COALESCE(SUM(CASE WHEN l.kind = 'commission' THEN l.amount_minor END), 0) AS commission,
  COALESCE(SUM(CASE WHEN l.kind = 'reversal' THEN l.amount_minor END), 0) AS reversals,
  COALESCE(SUM(CASE WHEN l.kind = 'flat_fee' THEN l.amount_minor END), 0) AS fees,
  -- Performance bonuses and the brand's own adjustments (db/adjustments.ts), which can be negative.
  COALESCE(SUM(CASE WHEN l.kind IN ('bonus', 'adjustment') THEN l.amount_minor END), 0) AS bonuses,
  COALESCE(SUM(l.amount_minor), 0) AS net,
  -- Sales: a subscription's later payment or a returning customer's order (renewal_of) earns commission but is no new sale.
  COUNT(DISTINCT CASE WHEN l.kind = 'commission' AND NOT EXISTS (SELECT 1 FROM conversions x WHERE x.id = l.conversion_id AND NOT ${isNewOrder('x')}) THEN l.conversion_id END) AS conversions
FROM page LEFT JOIN ledger_entries l ON l.payout_id = page.id
GROUP BY page.id ORDER BY page.handle, page.id`;

// The page's payouts are chosen first (the payouts_brand_period index, then the roster by primary key) and
// only their entries are summed: grouping every remaining payout before the LIMIT made each page cost the
// whole rest of the period (an export of 1M entries went from 25.6 s to seconds).
export const PAGE_SQL = linesSql(`-- (+: the period's payouts are the few; walking the roster by handle would visit every creator the brand has.)
  WHERE p.brand_id = ? AND p.period = ? AND (+r.handle > ? OR (+r.handle = ? AND p.id > ?))
  ORDER BY r.handle, p.id LIMIT ?`);

// One payout of the brand, as its line on the Payouts page (its statement's header in the console).
export const LINE_SQL = linesSql('WHERE p.id = ? AND p.brand_id = ?');

export const EXPORT_PAGE_SIZE = 100;
// payoutMethod for a creator who has not accepted the brand yet (as `unreadable` is for details that fail to open),
// and for one the brand erased (their details, and where paid payouts went, are no longer the brand's to see).
export const NOT_SHARED = 'not_shared';
export const ERASED = 'erased';

const openDetails = (secretsKey: string, sealed: string | null) => openSealedJson<SavedPayoutDetails>(secretsKey, sealed);

/** A payout's line with what a payment file needs besides: the bank account's holder (and a US account's parts) and the tax details' legal name, as shared with the brand. */
export type PayableLine = { line: PayoutLine; holder: string | null; legalName: string | null; usAccount: UsBankAccount | null };

async function lineOf(secretsKey: string, r: Row): Promise<PayoutLine> {
  return (await payableLineOf(secretsKey, r)).line;
}

async function payableLineOf(secretsKey: string, r: Row): Promise<PayableLine> {
  // A creator's account is shared by every brand that enrolls them: where their money goes is shown
  // only to a brand they have accepted, never to one that merely added their email to its roster.
  let method = r.erased ? ERASED : r.accepted ? '' : NOT_SHARED;
  let account = '';
  const details = await openDetails(secretsKey, r.payout_details_enc);
  if (details === 'unreadable') method = details;
  else if (details) {
    method = details.method;
    account = payoutAccountOf(details);
  }
  // Unknown (a payout marked failed before Chorus kept where it went, or unreadable) is not a change; none
  // then ('') and some now is.
  const failedTo = r.failed_to_enc === '' ? { method: '', account: '' } : r.failed_to_enc ? await openDetails(secretsKey, r.failed_to_enc) : null;
  // A bank may refuse a transfer for the holder's name alone (Verification of Payee): a corrected name is a change too.
  const holder = details && details !== 'unreadable' ? (details.holder ?? null) : null;
  const changed =
    failedTo !== null &&
    failedTo !== 'unreadable' &&
    details !== 'unreadable' &&
    (failedTo.method !== method || payoutAccountOf(failedTo) !== account || ((method === 'bank_transfer' || method === US_BANK_ACCOUNT) && (failedTo.holder ?? null) !== holder));
  const tax = await openSealedJson<TaxDetails>(secretsKey, r.tax_details_enc);
  const line: PayoutLine = {
    id: r.id,
    period: r.period,
    creatorId: r.creator_id,
    handle: r.handle,
    name: r.display_name,
    email: r.email,
    payoutMethod: method,
    payoutAccount: account,
    detailsChangedSinceFailure: changed,
    taxDetails: taxDetailsStatus(tax),
    currency: r.currency,
    commissionMinor: r.commission,
    reversalsMinor: r.reversals,
    flatFeesMinor: r.fees,
    bonusesMinor: r.bonuses,
    netMinor: r.net,
    conversions: r.conversions,
    status: r.status,
    reference: r.reference,
    failureReason: r.failure_reason,
    givenUp: r.given_up === 1,
  };
  return { line, holder, legalName: tax && tax !== 'unreadable' ? tax.legalName : null, usAccount: details && details !== 'unreadable' ? usBankAccountOf(details) : null };
}

// A period's payouts a page at a time in a fixed order (handle, id): memory stays flat however many rows.
const payoutPages = (db: D1Database, brandId: string, period: string, pageSize: number) =>
  keysetPages(
    async (after: { handle: string; id: string } | undefined, size) =>
      (await db.prepare(PAGE_SQL).bind(brandId, period, after?.handle ?? '', after?.handle ?? '', after?.id ?? '', size).all<Row>()).results,
    (r) => ({ handle: r.handle, id: r.id }),
    pageSize,
  );

export async function* payoutLines(db: D1Database, secretsKey: string, brandId: string, period: string, pageSize = EXPORT_PAGE_SIZE): AsyncGenerator<PayoutLine> {
  for await (const rows of payoutPages(db, brandId, period, pageSize)) for (const r of rows) yield await lineOf(secretsKey, r);
}

// The same lines, each with the names a payment file pays under (db/payment-files.ts).
export async function* payableLines(db: D1Database, secretsKey: string, brandId: string, period: string, pageSize = EXPORT_PAGE_SIZE): AsyncGenerator<PayableLine> {
  for await (const rows of payoutPages(db, brandId, period, pageSize)) for (const r of rows) yield await payableLineOf(secretsKey, r);
}

// One payout of the brand with its creator and where to pay it, or null for another brand's or none.
export async function payoutLine(db: D1Database, secretsKey: string, brandId: string, payoutId: string): Promise<PayoutLine | null> {
  const row = await db.prepare(LINE_SQL).bind(payoutId, brandId).first<Row>();
  return row ? lineOf(secretsKey, row) : null;
}

export const EXPORT_HEADER = [
  'payout_id',
  'period',
  'creator_id',
  'handle',
  'name',
  'email',
  'payout_method',
  'payout_account',
  'currency',
  'commission',
  'reversals',
  'flat_fees',
  'bonuses',
  'net_amount',
  'conversion_count',
  'status',
  'tax_details',
  // Last, so the file comes back to reconcile as it is: fill in the references of what was paid, set status.
  'reference',
];

type Totals = { commission: number; reversals: number; fees: number; bonuses: number; net: number; conversions: number; payouts: number };

export function emptyTotals(): Totals {
  return { commission: 0, reversals: 0, fees: 0, bonuses: 0, net: 0, conversions: 0, payouts: 0 };
}

export function addToTotals(totals: Map<string, Totals>, line: PayoutLine): void {
  const t = totals.get(line.currency) ?? emptyTotals();
  t.commission += line.commissionMinor;
  t.reversals += line.reversalsMinor;
  t.fees += line.flatFeesMinor;
  t.bonuses += line.bonusesMinor;
  t.net += line.netMinor;
  t.conversions += line.conversions;
  t.payouts += 1;
  totals.set(line.currency, t);
}

export function payoutCsvLine(l: PayoutLine): string {
  const money = (minor: number) => csvNumber(formatAmount(minor, l.currency));
  return csvLine([
    ...[l.id, l.period, l.creatorId, l.handle, l.name, l.email, l.payoutMethod, l.payoutAccount, l.currency].map(csvText),
    money(l.commissionMinor),
    money(l.reversalsMinor),
    money(l.flatFeesMinor),
    money(l.bonusesMinor),
    money(l.netMinor),
    csvNumber(l.conversions),
    csvText(l.status),
    csvText(l.taxDetails),
    csvText(l.reference),
  ]);
}

// One totals row per currency, after the payouts, labelled in the first column.
export function totalsCsvLines(period: string, totals: Map<string, Totals>): string {
  return [...totals.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([currency, t]) => {
      const money = (minor: number) => csvNumber(formatAmount(minor, currency));
      return csvLine([
        ...['TOTAL', period, '', '', `${t.payouts} ${t.payouts === 1 ? 'payout' : 'payouts'}`, '', '', '', currency].map(csvText),
        money(t.commission),
        money(t.reversals),
        money(t.fees),
        money(t.bonuses),
        money(t.net),
        csvNumber(t.conversions),
        csvText(''),
        csvText(''),
        csvText(''),
      ]);
    })
    .join('');
}

export function payoutsCsvStream(db: D1Database, secretsKey: string, brandId: string, period: string, pageSize = EXPORT_PAGE_SIZE): ReadableStream<Uint8Array> {
  const totals = new Map<string, Totals>();
  return pagedCsvStream(
    EXPORT_HEADER,
    payoutPages(db, brandId, period, pageSize),
    async (rows) => {
      let text = '';
      for (const r of rows) {
        const line = await lineOf(secretsKey, r);
        addToTotals(totals, line);
        text += payoutCsvLine(line);
      }
      return text;
    },
    () => totalsCsvLines(period, totals),
  );
}
