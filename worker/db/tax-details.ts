// A creator's tax details (legal name, country, kind, tax id), kept on their global account sealed under
// SECRETS_KEY as payout details are, and a brand's year-end totals of what it paid each creator, with them.
// A brand sees them only once the creator accepted it; its finance team gets the full tax id to file with.
import { periodBounds } from '../domain/periods';
import { formatAmount } from '../domain/store-payloads';
import { isCountryCode } from '../lib/countries';
import { csvLine, csvNumber, csvStream, csvText } from '../lib/csv';
import { openSecret, sealSecret } from '../lib/secrets';
import { plainText } from '../lib/validate';
import { auditStatement, type AuditInput } from './audit';

export const TAX_KINDS = { individual: 'Individual', business: 'Business' } as const;
export type TaxKind = keyof typeof TAX_KINDS;
export type TaxDetails = { legalName: string; country: string; kind: TaxKind; taxId: string; certifiedAt: number };
/** What the forms send: the tax details as typed, before they are checked. */
export type TaxDetailsEntered = { legalName: string; country: string; kind: string; taxId: string; certify: boolean };
export type TaxDetailsField = 'legalName' | 'country' | 'kind' | 'taxId' | 'certify';

export const LEGAL_NAME_MAX = 140;
export const TAX_ID_MAX = 40;

const legalName = plainText(LEGAL_NAME_MAX).min(1);
// SSNs, EINs, VAT and national numbers: letters and digits, with the spaces, dots, dashes and slashes they are
// printed with; 4 or more of them. The charset is checked before upper-casing ('ß' would become 'SS'). Stored
// without spaces and upper-cased, so the same id typed twice is the same id; it starts and ends with a letter or
// digit, as a leading '-' (or '=', '+', '@') is what a spreadsheet runs as a formula and the CSV would alter.
const taxId = plainText(TAX_ID_MAX)
  .refine((s) => /^[A-Za-z0-9 ./-]+$/.test(s))
  .transform((s) => s.replaceAll(' ', '').toUpperCase())
  .refine((s) => /^[A-Z0-9](?:[A-Z0-9./-]*[A-Z0-9])?$/.test(s) && s.replace(/[^A-Z0-9]/g, '').length >= 4);

const PROBLEMS: Record<TaxDetailsField, string> = {
  legalName: `Give your legal name (or your business's), as on your tax records: one line, up to ${LEGAL_NAME_MAX} characters.`,
  country: 'Choose the country you pay tax in.',
  kind: 'Say whether you are paid as an individual or as a business.',
  taxId: `Give your tax id (as SSN, EIN, VAT or national number): at least 4 letters or digits, up to ${TAX_ID_MAX} characters, starting and ending with a letter or digit; spaces, dots, dashes and slashes between are fine.`,
  certify: 'Tick the box to confirm the information is correct and yours.',
};

// Each field is checked on its own, so the form can say every problem at once, next to its field.
export function checkTaxDetails(entered: TaxDetailsEntered, now: number): { ok: true; details: TaxDetails } | { ok: false; problems: { field: TaxDetailsField; text: string }[] } {
  const name = legalName.safeParse(entered.legalName);
  const country = entered.country.trim().toUpperCase();
  const id = taxId.safeParse(entered.taxId);
  const problems: { field: TaxDetailsField; text: string }[] = [];
  if (!name.success) problems.push({ field: 'legalName', text: PROBLEMS.legalName });
  if (!isCountryCode(country)) problems.push({ field: 'country', text: PROBLEMS.country });
  if (!Object.hasOwn(TAX_KINDS, entered.kind)) problems.push({ field: 'kind', text: PROBLEMS.kind });
  if (!id.success) problems.push({ field: 'taxId', text: PROBLEMS.taxId });
  if (!entered.certify) problems.push({ field: 'certify', text: PROBLEMS.certify });
  if (problems.length > 0 || !name.success || !id.success) return { ok: false, problems };
  return { ok: true, details: { legalName: name.data, country, kind: entered.kind as TaxKind, taxId: id.data, certifiedAt: now } };
}

/** The same details certified again: everything but when. */
export const sameTaxDetails = (a: TaxDetails, b: TaxDetails) => a.legalName === b.legalName && a.country === b.country && a.kind === b.kind && a.taxId === b.taxId;

export const sealTaxDetails = (secretsKey: string, details: TaxDetails) => sealSecret(secretsKey, JSON.stringify(details));

// Sealed under a key Chorus has changed since: held, but it cannot be shown (as payout details).
export async function openTaxDetails(secretsKey: string, sealed: string | null): Promise<TaxDetails | 'unreadable' | null> {
  if (!sealed) return null;
  try {
    return JSON.parse(await openSecret(secretsKey, sealed)) as TaxDetails;
  } catch {
    return 'unreadable';
  }
}

/** A tax id as shown back: its last 4 characters once it has 8 or more, else its last 2, so a short id is never mostly shown. */
export const maskTaxId = (taxId: string) => `••••${taxId.slice(taxId.length >= 8 ? -4 : -2)}`;

/** As shown back to the creator and in their data download: everything but the tax id's end (maskTaxId). */
export const maskedTaxDetails = (d: TaxDetails) => ({ ...d, taxId: maskTaxId(d.taxId) });

/** SQL: whether the roster row `r` (an alias) may see the account's tax details: the creator accepted the brand, which has not erased them. */
const sharedWith = (r: string) => `${r}.accepted_at IS NOT NULL AND ${r}.erased_at IS NULL`;

/** SQL: the sealed tax details of creator `c` when the roster row `r` (aliases) may see them, else NULL. */
export const sharedTaxDetailsSql = (r: string, c: string) => `CASE WHEN ${sharedWith(r)} THEN ${c}.tax_details_enc END`;

export type TaxDetailsStatus = 'complete' | 'missing' | 'unreadable';

// Decided on the opened blob, not on one being held: a blob sealed under a SECRETS_KEY changed since is no use to file with.
export const taxDetailsStatus = (details: TaxDetails | 'unreadable' | null): TaxDetailsStatus => (details === null ? 'missing' : details === 'unreadable' ? 'unreadable' : 'complete');

// ---------- Year-end totals ----------

/** A calendar year a brand may ask totals for, from 2000 to 2199 as periods are (domain/periods.ts isPeriod). */
export const isTaxYear = (raw: string) => /^2[01]\d\d$/.test(raw);

/** The instants a calendar year starts and ends in a timezone. */
export function yearBounds(year: number, timeZone: string): { start: number; end: number } {
  return { start: periodBounds(`${year}-01`, timeZone).start, end: periodBounds(`${year}-12`, timeZone).end };
}

export const YEAR_END_HEADER = ['year', 'creator_id', 'handle', 'email', 'currency', 'total_paid', 'payout_count', 'tax_details', 'legal_name', 'tax_country', 'tax_kind', 'tax_id'];

type YearEndRow = { creator_id: string; currency: string; total_minor: number; payouts: number; handle: string; email: string; tax_details_enc: string | null };

const YEAR_END_PAGE = 500;

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
  const details = await openTaxDetails(secretsKey, r.tax_details_enc);
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
export function yearEndCsvStream(db: D1Database, secretsKey: string, brand: { id: string; timezone: string }, year: number): ReadableStream<Uint8Array> {
  const { start, end } = yearBounds(year, brand.timezone);
  let after = ['', '', ''];
  return csvStream(YEAR_END_HEADER, async () => {
    const { results } = await db
      .prepare(YEAR_END_SQL)
      .bind(brand.id, start, end, ...after, YEAR_END_PAGE)
      .all<YearEndRow>();
    const text = (await Promise.all(results.map((r) => yearEndLine(secretsKey, year, r)))).join('');
    const last = results.at(-1);
    if (results.length < YEAR_END_PAGE || !last) return { text, done: true };
    after = [last.handle, last.creator_id, last.currency];
    return { text, done: false };
  });
}

/** The audit row of one year-end download: who took the brand's tax ids, and for which year. */
export const yearEndAudit = (db: D1Database, brandId: string, actor: { type: AuditInput['actorType']; id: string }, year: number, now: number) =>
  auditStatement(db, { brandId, actorType: actor.type, actorId: actor.id, action: 'payouts.year_end_exported', targetType: 'year', targetId: String(year) }, now);
