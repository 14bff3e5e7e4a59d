// A creator's tax details as the form sends them, checked field by field, and as shown back (masked) and
// reported (complete, missing or unreadable). Pure: sealing and the brand's year-end file are in db/tax-details.ts.
import { isCountryCode } from '../lib/countries';
import { plainText } from '../lib/validate';

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

/** A tax id as shown back: its last 4 characters once it has 8 or more, else its last 2, so a short id is never mostly shown. */
export const maskTaxId = (taxId: string) => `••••${taxId.slice(taxId.length >= 8 ? -4 : -2)}`;

/** As shown back to the creator and in their data download: everything but the tax id's end (maskTaxId). */
export const maskedTaxDetails = (d: TaxDetails) => ({ ...d, taxId: maskTaxId(d.taxId) });

export type TaxDetailsStatus = 'complete' | 'missing' | 'unreadable';

// Decided on the opened blob, not on one being held: a blob sealed under a SECRETS_KEY changed since is no use to file with.
export const taxDetailsStatus = (details: TaxDetails | 'unreadable' | null): TaxDetailsStatus => (details === null ? 'missing' : details === 'unreadable' ? 'unreadable' : 'complete');
