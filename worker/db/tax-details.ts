// A creator's tax details (legal name, country, kind, tax id), kept on their global account sealed under
// SECRETS_KEY as payout details are, and a brand's year-end totals of what it paid each creator, with them.
// A brand sees them only once the creator accepted it; its finance team gets the full tax id to file with.
import { yearBounds } from '../domain/periods';
import { formatAmount } from '../domain/store-payloads';
import { taxDetailsStatus, type TaxDetails } from '../domain/tax-details';
import { csvLine, csvNumber, csvText, pagedCsvStream } from '../lib/csv';
import { keysetPages } from '../lib/cursor';
import { openSealedJson } from '../lib/secrets';
import { auditStatement, type AuditInput } from './audit';

/** SQL: whether the roster row `r` (an alias) may see the account's tax details: the creator accepted the brand, which has not erased them. */
export const sharedWith = (r: string) => `${r}.accepted_at IS NOT NULL AND ${r}.erased_at IS NULL`;

/** SQL: the sealed tax details of creator `c` when the roster row `r` (aliases) may see them, else NULL. */
export const sharedTaxDetailsSql = (r: string, c: string) => `CASE WHEN ${sharedWith(r)} THEN ${c}.tax_details_enc END`;

// ---------- Year-end totals ----------

export const YEAR_END_HEADER = ['year', 'creator_id', 'handle', 'email', 'currency', 'total_paid', 'payout_count', 'tax_details', 'legal_name', 'tax_country', 'tax_kind', 'tax_id'];

type YearEndRow = { creator_id: string; currency: string; total_minor: number; payouts: number; handle: string; email: string; tax_details_enc: string | null };

export const YEAR_END_PAGE = 500;

// What a brand paid each creator in the year, per currency: payouts marked paid whose paid time falls in it (the
// payouts_brand_paid_at index). Tax details only of a creator who accepted the brand, as payout details.
export const YEAR_END_SQL = `WITH totals AS (
  SELECT p.creator_id, p.currency, SUM(p.amount_minor) AS total_minor, COUNT(*) AS payouts FROM payouts p
  WHERE p.brand_id = ?1 AND p.paid_at >= ?2 AND p.paid_at < ?3 AND p.status = 'paid' GROUP BY p.creator_id, p.currency
)
SELECT t.creator_id, t.currency, t.total_minor, t.payouts, r.handle, r.email,
  ${sharedTaxDetailsSql('r', 'c')} AS tax_details_enc
FROM totals t JOIN roster r ON r.brand_id = ?1 AND r.creator_id = t.creator_id JOIN creators c ON c.id = t.creator_id
WHERE (r.handle, t.creator_id, t.currency) > (?4, ?5, ?6)
ORDER BY r.handle, t.creator_id, t.currency LIMIT ?7`;

async function yearEndLine(secretsKey: string, year: number, r: YearEndRow): Promise<string> {
  const details = await openSealedJson<TaxDetails>(secretsKey, r.tax_details_enc);
  const known = details && details !== 'unreadable' ? details : null;
  return csvLine([
    csvNumber(year),
    ...[r.creator_id, r.handle, r.email, r.currency].map(csvText),
    csvNumber(formatAmount(r.total_minor, r.currency)),
    csvNumber(r.payouts),
    csvText(taxDetailsStatus(details)),
    ...[known?.legalName, known?.country, known?.kind, known?.taxId].map(csvText),
  ]);
}

// Streamed a keyset page at a time, in a fixed order (handle, creator, currency).
export function yearEndCsvStream(db: D1Database, secretsKey: string, brand: { id: string; timezone: string }, year: number, pageSize = YEAR_END_PAGE): ReadableStream<Uint8Array> {
  const { start, end } = yearBounds(year, brand.timezone);
  const read = async (after: string[] | undefined, size: number) =>
    (
      await db
        .prepare(YEAR_END_SQL)
        .bind(brand.id, start, end, ...(after ?? ['', '', '']), size)
        .all<YearEndRow>()
    ).results;
  const pages = keysetPages(read, (r) => [r.handle, r.creator_id, r.currency], pageSize);
  return pagedCsvStream(YEAR_END_HEADER, pages, async (rows) => (await Promise.all(rows.map((r) => yearEndLine(secretsKey, year, r)))).join(''));
}

/** The audit row of one year-end download: who took the brand's tax ids, and for which year. */
export const yearEndAudit = (db: D1Database, brandId: string, actor: { type: AuditInput['actorType']; id: string }, year: number, now: number) =>
  auditStatement(db, { brandId, actorType: actor.type, actorId: actor.id, action: 'payout.year_end_exported', targetType: 'year', targetId: String(year) }, now);
