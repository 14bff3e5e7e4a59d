// A closed month's payouts sorted into the payment files that pay them (domain/payment-files.ts): each payout's
// method and account exactly as the payouts export decides them (db/payouts.ts payableLines), and why the rest
// are in none. A download changes no payout: finance marks them paid through Reconcile once the money went.
import { ACH_TOTAL_MAX, FORMAT_MAX_ROWS, nachaFile, paymentNote, type DecimalSeparator, paypalPayoutsCsv, placePayout, sepaCreditTransferXml, wiseBatchCsv, type FileLine, type LeftOutReason, type PaymentFormat } from '../domain/payment-files';
import { ApiError } from '../lib/errors';
import { zoneOrUtc } from '../domain/periods';
import { randomHex } from '../lib/ids';
import { auditStatement, type Actor } from './audit';
import { payableLines, type PayableLine, type PayoutLine } from './payouts';

export type PayingBrand = {
  id: string;
  slug: string;
  name: string;
  currency: string;
  timezone: string;
  payerName: string | null;
  payerIban: string | null;
  payerBic: string | null;
  /** ACH origination: the company as the bank knows it (16), its id (10, usually 1 and the EIN), and the originating bank. */
  achCompanyName: string | null;
  achCompanyId: string | null;
  achOdfiRouting: string | null;
  achOdfiName: string | null;
};

/** Whether the brand's SEPA file is offered, or why not: it pays in EUR only, from an account it has given. */
export type SepaOffer = 'offered' | 'not_eur' | 'no_payer_account';

export const sepaOfferOf = (b: Pick<PayingBrand, 'currency' | 'payerName' | 'payerIban'>): SepaOffer => (b.currency !== 'EUR' ? 'not_eur' : !b.payerName || !b.payerIban ? 'no_payer_account' : 'offered');

export const ACH_ORIGIN_FIELDS = ['achCompanyName', 'achCompanyId', 'achOdfiRouting', 'achOdfiName'] as const;
export type AchOriginField = (typeof ACH_ORIGIN_FIELDS)[number];
/** The origination settings as Settings, the Payouts page and the API's refusal name them. */
export const ACH_ORIGIN_LABELS: Record<AchOriginField, string> = { achCompanyName: 'ACH company name', achCompanyId: 'ACH company ID', achOdfiRouting: 'ACH bank routing number', achOdfiName: 'ACH bank name' };
type AchOrigin = Pick<PayingBrand, 'currency' | AchOriginField>;

/** Whether the brand's ACH file is offered, or why not: it pays in USD only, with the origination settings its bank gave it (`missing`). */
export type AchOffer = { state: 'offered' } | { state: 'not_usd' } | { state: 'no_origin_settings'; missing: AchOriginField[] };

export function achOfferOf(b: AchOrigin): AchOffer {
  if (b.currency !== 'USD') return { state: 'not_usd' };
  const missing = ACH_ORIGIN_FIELDS.filter((f) => !b[f]);
  return missing.length > 0 ? { state: 'no_origin_settings', missing } : { state: 'offered' };
}

export type PaymentRun = {
  period: string;
  currency: string;
  sepa: SepaOffer;
  ach: AchOffer;
  files: Record<PaymentFormat, { lines: FileLine[]; totalMinor: number }>;
  leftOut: { line: PayoutLine; reason: LeftOutReason }[];
  /** Paid already, or given up by a creator who closed their account: in no file and owed nothing. */
  settled: number;
};

export async function periodIsClosed(db: D1Database, brandId: string, period: string): Promise<boolean> {
  return (await db.prepare('SELECT 1 FROM period_closes WHERE brand_id = ? AND period = ?').bind(brandId, period).first()) !== null;
}

// Bank transfers are placed in the SEPA file whenever the brand pays in EUR, with or without its own account yet:
// the page then shows what the file would pay once the account is in Settings. US bank accounts likewise in the
// ACH file whenever the brand pays in USD.
export async function paymentRun(db: D1Database, secretsKey: string, brand: PayingBrand, period: string): Promise<PaymentRun> {
  const lines: PayableLine[] = [];
  for await (const line of payableLines(db, secretsKey, brand.id, period)) lines.push(line);
  return paymentRunOf(brand, period, lines);
}

/** The period's lines (as payableLines reads them) sorted into files; the Payouts page reads them once for both. */
export function paymentRunOf(brand: Pick<PayingBrand, 'currency' | 'payerName' | 'payerIban' | AchOriginField>, period: string, lines: PayableLine[]): PaymentRun {
  const sepa = sepaOfferOf(brand);
  const ach = achOfferOf(brand);
  const files: PaymentRun['files'] = { sepa: { lines: [], totalMinor: 0 }, ach: { lines: [], totalMinor: 0 }, paypal: { lines: [], totalMinor: 0 }, wise: { lines: [], totalMinor: 0 } };
  const leftOut: PaymentRun['leftOut'] = [];
  let settled = 0;
  for (const { line, holder, legalName, usAccount } of lines) {
    const placed = placePayout({ ...line, holder, legalName, usAccount }, brand.currency, { sepa: sepa !== 'not_eur', ach: ach.state !== 'not_usd' });
    if (placed.file === null) {
      if (placed.reason === 'settled') settled++;
      else leftOut.push({ line, reason: placed.reason });
      continue;
    }
    const file = files[placed.file];
    file.lines.push({ payoutId: line.id, amountMinor: line.netMinor, account: line.payoutAccount, name: placed.creditorName ?? line.name, ...(placed.usAccount ? { usAccount: placed.usAccount } : {}) });
    file.totalMinor += line.netMinor;
  }
  return { period, currency: brand.currency, sepa, ach, files, leftOut, settled };
}

export type PaymentFile = { body: string; filename: string; contentType: string; count: number; totalMinor: number };

// SEPA's MsgId (at most 35, SEPA's character set): unique per file, as banks refuse a message id seen before.
const messageId = (period: string) => `CHORUS-${period}-${randomHex(8)}`;

/** The file of one format for a closed period, or the 409 that says why there is none. */
export async function paymentFile(db: D1Database, secretsKey: string, brand: PayingBrand, period: string, format: PaymentFormat, opts: { executionDate: string; decimal: DecimalSeparator; now: number }): Promise<PaymentFile> {
  if (!(await periodIsClosed(db, brand.id, period))) throw new ApiError(409, 'period_not_closed', `${period} is not closed: close it first, then its payouts can be paid from a file.`);
  if (format === 'sepa') {
    const offer = sepaOfferOf(brand);
    if (offer === 'not_eur') throw new ApiError(409, 'sepa_needs_eur', `SEPA credit transfers are in euros; your brand pays in ${brand.currency}.`);
    if (offer === 'no_payer_account') throw new ApiError(409, 'payer_account_missing', 'Add the account you pay from (payerName and payerIban) to your brand settings first.');
  }
  if (format === 'ach') {
    const offer = achOfferOf(brand);
    if (offer.state === 'not_usd') throw new ApiError(409, 'ach_needs_usd', `ACH files pay in US dollars; your brand pays in ${brand.currency}.`);
    if (offer.state === 'no_origin_settings')
      throw new ApiError(409, 'ach_origin_missing', `Add your ACH origination settings (${offer.missing.map((f) => ACH_ORIGIN_LABELS[f]).join(', ')}) to your brand settings first: your bank gives them when it sets up ACH origination.`, { missing: offer.missing });
  }
  const run = await paymentRun(db, secretsKey, brand, period);
  const { lines, totalMinor } = run.files[format];
  if (lines.length === 0) throw new ApiError(409, 'nothing_to_pay', `No payout of ${period} is to be paid by this file.`, { leftOut: run.leftOut.length, settled: run.settled });
  if (lines.length > FORMAT_MAX_ROWS[format]) throw new ApiError(409, 'too_many_payouts', `This file takes at most ${FORMAT_MAX_ROWS[format]} payments; pay the rest from the payouts export.`);
  if (format === 'ach' && totalMinor > ACH_TOTAL_MAX) throw new ApiError(409, 'too_many_payouts', 'An ACH batch totals at most $9,999,999,999.99; pay the rest from the payouts export.');
  const note = paymentNote(period, brand.name);
  const name = `chorus-${format}-${brand.slug}-${period}`;
  const body =
    format === 'sepa'
      ? sepaCreditTransferXml({ messageId: messageId(period), createdAt: opts.now, timeZone: zoneOrUtc(brand.timezone), executionDate: opts.executionDate, payer: { name: brand.payerName!, iban: brand.payerIban!, bic: brand.payerBic }, remittance: note, lines })
      : format === 'ach'
        ? nachaFile({
            createdAt: opts.now,
            timeZone: zoneOrUtc(brand.timezone),
            executionDate: opts.executionDate,
            period,
            origin: { companyName: brand.achCompanyName!, companyId: brand.achCompanyId!, odfiRouting: brand.achOdfiRouting!, odfiName: brand.achOdfiName! },
            lines,
          })
        : format === 'paypal'
        ? paypalPayoutsCsv(lines, brand.currency, note, opts.decimal)
        : wiseBatchCsv(lines, brand.currency, `Chorus ${period}`);
  if (format === 'sepa') return { body, filename: `${name}.xml`, contentType: 'application/xml; charset=utf-8', count: lines.length, totalMinor };
  // NACHA files are plain ASCII; `.ach` is the extension banks' upload pages look for.
  if (format === 'ach') return { body, filename: `${name}.ach`, contentType: 'text/plain; charset=us-ascii', count: lines.length, totalMinor };
  return { body, filename: `${name}.csv`, contentType: 'text/csv; charset=utf-8', count: lines.length, totalMinor };
}

/** The audit row of one payment file taken: it hands out creators' accounts, so who took which is kept. */
export const paymentFileAudit = (db: D1Database, brand: Pick<PayingBrand, 'id' | 'currency'>, actor: Actor, period: string, format: PaymentFormat, file: Pick<PaymentFile, 'count' | 'totalMinor'>, now: number) =>
  auditStatement(db, { brandId: brand.id, actorType: actor.type, actorId: actor.id, action: 'payout.payment_file_exported', targetType: 'period', targetId: period, details: { format, payouts: file.count, totalMinor: file.totalMinor, currency: brand.currency } }, now);
