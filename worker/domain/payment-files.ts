// Payment files finance uploads to pay a closed month in one go: a SEPA credit transfer (ISO 20022 pain.001.001.03)
// for bank transfers, a NACHA (ACH) file for US bank accounts, PayPal's Payouts file and Wise's batch "send by email"
// file. Pure: which payout goes in which file (or why none), and the files' bytes. Amounts are integer minor units.
import { csvLine, csvNumber, csvText, looksLikeFormula } from '../lib/csv';
import { sipHash128Hex, sipKey } from '../lib/siphash';
import { isAbaRouting, isUsAccountNumber, US_BANK_ACCOUNT, type UsBankAccount } from './aba';
import { sepaReachOf } from './iban';
import { addDays, localDateTimeOf } from './periods';
import { formatAmount, minorUnitsOf } from './store-payloads';

export const PAYMENT_FORMATS = ['sepa', 'ach', 'paypal', 'wise'] as const;
export type PaymentFormat = (typeof PAYMENT_FORMATS)[number];
export const isPaymentFormat = (raw: string): raw is PaymentFormat => (PAYMENT_FORMATS as readonly string[]).includes(raw);

/** How PayPal's file writes amounts: as the PayPal account's country does, 12.30 or "12,30". */
export const DECIMAL_SEPARATORS = ['point', 'comma'] as const;
export type DecimalSeparator = (typeof DECIMAL_SEPARATORS)[number];
export const isDecimalSeparator = (raw: string): raw is DecimalSeparator => (DECIMAL_SEPARATORS as readonly string[]).includes(raw);

// Currencies PayPal pays in whole units only (JPY has no minor unit anyway; HUF and TWD have ISO ones PayPal refuses).
const PAYPAL_WHOLE_UNITS = new Set(['HUF', 'JPY', 'TWD']);
/** Whether PayPal's file writes amounts of this currency with a fraction, so the decimal separator matters. */
export const paypalWritesFraction = (currency: string) => !PAYPAL_WHOLE_UNITS.has(currency) && minorUnitsOf(currency) > 0;
const lostToWholeUnits = (minor: number, currency: string) => PAYPAL_WHOLE_UNITS.has(currency) && minor % 10 ** minorUnitsOf(currency) !== 0;

// The most rows each service takes in one upload. ACH's 10,000 is Chorus's own cap, not NACHA's (which sets none):
// it keeps a file within what banks' upload portals commonly take, and leaves the trace sequence room (nachaFile).
export const FORMAT_MAX_ROWS: Record<PaymentFormat, number> = { sepa: 10_000, ach: 10_000, paypal: 5_000, wise: 1_000 };

// ---------- SEPA text ----------

/** SEPA's limit for a party's name (Nm), and so for the account holder name a creator gives. */
export const SEPA_NAME_MAX = 70;
const SEPA_REMITTANCE_MAX = 140;
const SEPA_CHAR = /^[A-Za-z0-9/\-?:().,'+ ]$/;

// Letters that carry no combining accent to strip, the ampersand, and typographic apostrophes and dashes (a name as
// a phone keyboard types it: O’Brien, Smith–Jones), written as SEPA files customarily write them.
const SPELLED: Record<string, string> = {
  ß: 'ss', ẞ: 'SS', Æ: 'AE', æ: 'ae', Ø: 'O', ø: 'o', Œ: 'OE', œ: 'oe', Ł: 'L', ł: 'l', Đ: 'D', đ: 'd', Ð: 'D', ð: 'd', Þ: 'TH', þ: 'th', ı: 'i', '&': '+',
  '’': "'", '‘': "'", ʼ: "'", ʻ: "'", '‐': '-', '–': '-', '—': '-',
};

// Names are transliterated, not refused: most creators' names carry accents (Zoë, Çelik, Łukasz), and a bank
// reads "Zoe" as the same holder (Verification of Payee matches names loosely, and banks convert them the same
// way). A letter with no Latin form (Cyrillic, CJK) is refused instead: dropping it would name someone else.
// Punctuation outside the set becomes a space. `strict` false drops such letters too (free text, not names).
// NFKD, not NFD: compatibility forms (ﬁ, fullwidth Ａ, ²) become the plain letters and digits they stand for.
// `allowed`: the file's own set (ACH's keeps the ampersand SEPA spells '+').
export function toSepaText(text: string, strict = true, allowed = SEPA_CHAR): string | null {
  let out = '';
  for (const ch of text.normalize('NFKD')) {
    if (/\p{M}/u.test(ch)) continue;
    if (allowed.test(ch)) out += ch;
    else if (SPELLED[ch] !== undefined) out += SPELLED[ch];
    else if (strict && /[\p{L}\p{N}]/u.test(ch)) return null;
    else out += ' ';
  }
  const spaced = out.replace(/ {2,}/g, ' ').trim();
  return spaced === '' ? null : spaced;
}

/** A name transliterated into a file's character set and cut to its field, or null when it cannot be written in it. */
function fileName(name: string, allowed: RegExp, max: number): string | null {
  const text = toSepaText(name, true, allowed);
  return text === null ? null : text.slice(0, max).trim();
}

/** A name as a SEPA file carries it (at most 70 characters), or null when it cannot be written in the set. */
export const sepaName = (name: string): string | null => fileName(name, SEPA_CHAR, SEPA_NAME_MAX);

// A name someone types for a SEPA file (an account holder, the brand's payer) is refused rather than cut when its
// transliteration runs past 70 (ß is ss, ﬁ is fi): the bank would check a name that is not the one given.
export function fitsSepaName(name: string): boolean {
  const text = toSepaText(name);
  return text !== null && text.length <= SEPA_NAME_MAX;
}

// ---------- Who is paid by which file ----------

export type PayoutForFile = {
  id: string;
  status: string;
  givenUp: boolean;
  detailsChangedSinceFailure: boolean;
  /** As the payouts export decides it: a method, '' (none given), not_shared, erased or unreadable. */
  payoutMethod: string;
  payoutAccount: string;
  /** The account holder the creator gave with bank details (null: saved before Chorus asked for one). */
  holder: string | null;
  /** The legal name of the creator's readable tax details, the holder's stand-in for details saved without one. */
  legalName: string | null;
  /** A US bank account's routing number, account number and type (payoutMethod us_bank_account). */
  usAccount: UsBankAccount | null;
  currency: string;
  netMinor: number;
};

export type LeftOutReason =
  | 'no_details'
  | 'not_shared'
  | 'erased'
  | 'unreadable'
  | 'holder_missing'
  | 'legal_name_not_latin'
  | 'sepa_unavailable'
  | 'iban_not_sepa'
  | 'payer_address_needed'
  | 'nothing_to_pay'
  | 'failed_same_details'
  | 'other_currency'
  | 'account_unsafe'
  | 'paypal_whole_units'
  | 'ach_unavailable'
  | 'ach_amount_too_large';

export type Placement = { file: PaymentFormat; creditorName: string | null; usAccount?: UsBankAccount } | { file: null; reason: LeftOutReason } | { file: null; reason: 'settled' };

// A payout is still to pay while pending, or failed once the creator saved other details since (the payouts
// export's detailsChangedSinceFailure); paid and given-up ones are settled.
export function stillToPay(p: Pick<PayoutForFile, 'status' | 'givenUp' | 'detailsChangedSinceFailure'>): boolean | 'failed_same_details' {
  if (p.givenUp || p.status === 'paid') return false;
  if (p.status === 'failed') return p.detailsChangedSinceFailure ? true : 'failed_same_details';
  return true;
}

/** Which files the brand's currency allows: SEPA's are in euros, ACH's in US dollars. */
export type FilesOffered = { sepa: boolean; ach: boolean };

// A bank file names the account holder the creator gave, else the legal name of their tax details. No holder, and a
// legal name in another script: the creator reads "add the holder", finance reads why.
function creditorOf(p: PayoutForFile, writtenAs: (name: string) => string | null): { name: string } | { reason: LeftOutReason } {
  const name = writtenAs(p.holder ?? p.legalName ?? '');
  if (name !== null) return { name };
  return { reason: p.holder === null && p.legalName !== null ? 'legal_name_not_latin' : 'holder_missing' };
}

/** Which file pays the payout, or why none does. */
export function placePayout(p: PayoutForFile, brandCurrency: string, offered: FilesOffered): Placement {
  const due = stillToPay(p);
  if (due === false) return { file: null, reason: 'settled' };
  if (due === 'failed_same_details') return { file: null, reason: due };
  if (p.netMinor <= 0) return { file: null, reason: 'nothing_to_pay' };
  if (p.currency !== brandCurrency) return { file: null, reason: 'other_currency' };
  const method = p.payoutMethod;
  if (method === '') return { file: null, reason: 'no_details' };
  if (method === 'not_shared' || method === 'erased' || method === 'unreadable') return { file: null, reason: method };
  if (method === 'bank_transfer') {
    if (!offered.sepa) return { file: null, reason: 'sepa_unavailable' };
    const reach = sepaReachOf(p.payoutAccount);
    if (reach === 'none') return { file: null, reason: 'iban_not_sepa' };
    if (reach === 'outside_eea') return { file: null, reason: 'payer_address_needed' };
    const creditor = creditorOf(p, sepaName);
    return 'reason' in creditor ? { file: null, reason: creditor.reason } : { file: 'sepa', creditorName: creditor.name };
  }
  if (method === US_BANK_ACCOUNT) {
    if (!offered.ach) return { file: null, reason: 'ach_unavailable' };
    if (p.usAccount === null) return { file: null, reason: 'no_details' };
    if (p.netMinor > ACH_AMOUNT_MAX) return { file: null, reason: 'ach_amount_too_large' };
    const creditor = creditorOf(p, achName);
    return 'reason' in creditor ? { file: null, reason: creditor.reason } : { file: 'ach', creditorName: creditor.name, usAccount: p.usAccount };
  }
  const file = method === 'paypal' ? 'paypal' : method === 'wise' ? 'wise' : null;
  if (file === null) return { file: null, reason: 'no_details' };
  // The CSV writer neutralises a cell a spreadsheet would run with an apostrophe: an email so written would pay a
  // different address, so such a payout is left for finance to pay by hand.
  if (looksLikeFormula(p.payoutAccount)) return { file: null, reason: 'account_unsafe' };
  // Rounding would pay another amount than the net: finance pays such a payout by hand.
  if (file === 'paypal' && lostToWholeUnits(p.netMinor, p.currency)) return { file: null, reason: 'paypal_whole_units' };
  return { file, creditorName: null };
}

// ---------- The files ----------

export type FileLine = { payoutId: string; amountMinor: number; account: string; name: string; usAccount?: UsBankAccount };

/** What every file says the payment is for, as the creator reads it on their statement. */
export const paymentNote = (period: string, brandName: string) => `Chorus payout ${period} ${brandName}`;

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
export const xmlText = (text: string) => text.replace(/[&<>"']/g, (ch) => XML_ESCAPES[ch]!);

// SEPA identifiers take the Latin set only, no '_': a payout id goes in with its '_' written '.', which no payout id
// holds ('po_' and hex), so the bank statement's form reads back as the same payout (payoutIdFromSepa, Reconcile).
export const sepaPayoutId = (payoutId: string) => payoutId.replaceAll('_', '.');
// Statements often upper-case references; a payout id is lower-case ASCII, so only A-Z fold (no other letter turns into one).
export const payoutIdFromSepa = (text: string) => (/^po[._]/i.test(text) ? text.replace(/[A-Z]/g, (c) => c.toLowerCase()) : text).replaceAll('.', '_');

const max35 = (what: string, id: string) => {
  if (id.length < 1 || id.length > 35) throw new RangeError(`${what} must be 1-35 characters: ${id}`);
  return id;
};

export type SepaFile = {
  /** Unique per file (MsgId); the payment information block takes it too. */
  messageId: string;
  createdAt: number;
  /** The brand's timezone, which CreDtTm is written in. */
  timeZone: string;
  /** The day the bank should pay (YYYY-MM-DD). */
  executionDate: string;
  payer: { name: string; iban: string; bic: string | null };
  remittance: string;
  lines: FileLine[];
};

/** A pain.001.001.03 customer credit transfer initiation: one payment block (SEPA, charges SLEV), a transaction per payout. */
export function sepaCreditTransferXml(f: SepaFile): string {
  const sum = f.lines.reduce((total, l) => total + l.amountMinor, 0);
  const count = String(f.lines.length);
  const ctrlSum = formatAmount(sum, 'EUR');
  const msgId = max35('MsgId', f.messageId);
  const remittance = (toSepaText(f.remittance, false) ?? 'Chorus payout').slice(0, SEPA_REMITTANCE_MAX).trim();
  const payerName = xmlText(sepaName(f.payer.name) ?? '');
  // ISODateTime is xs:dateTime, its zone optional; banks' own samples (EPC, the German DK, the Dutch guides) write
  // local time without one, so the brand's wall clock goes in, not UTC that a bank would read as local.
  const created = localDateTimeOf(f.createdAt, f.timeZone);
  const agent = f.payer.bic ? `<BIC>${xmlText(f.payer.bic)}</BIC>` : '<Othr><Id>NOTPROVIDED</Id></Othr>';
  const transactions = f.lines.map(
    (l) => `      <CdtTrfTxInf>
        <PmtId><EndToEndId>${xmlText(max35('EndToEndId', sepaPayoutId(l.payoutId)))}</EndToEndId></PmtId>
        <Amt><InstdAmt Ccy="EUR">${formatAmount(l.amountMinor, 'EUR')}</InstdAmt></Amt>
        <Cdtr><Nm>${xmlText(l.name)}</Nm></Cdtr>
        <CdtrAcct><Id><IBAN>${xmlText(l.account)}</IBAN></Id></CdtrAcct>
        <RmtInf><Ustrd>${xmlText(remittance)}</Ustrd></RmtInf>
      </CdtTrfTxInf>
`,
  );
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Chorus payouts: downloading this file marked nothing paid. Once the bank has paid it, mark the payouts paid in Chorus (Payouts, Reconcile). -->
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <CstmrCdtTrfInitn>
    <GrpHdr>
      <MsgId>${xmlText(msgId)}</MsgId>
      <CreDtTm>${created}</CreDtTm>
      <NbOfTxs>${count}</NbOfTxs>
      <CtrlSum>${ctrlSum}</CtrlSum>
      <InitgPty><Nm>${payerName}</Nm></InitgPty>
    </GrpHdr>
    <PmtInf>
      <PmtInfId>${xmlText(msgId)}</PmtInfId>
      <PmtMtd>TRF</PmtMtd>
      <NbOfTxs>${count}</NbOfTxs>
      <CtrlSum>${ctrlSum}</CtrlSum>
      <PmtTpInf><SvcLvl><Cd>SEPA</Cd></SvcLvl></PmtTpInf>
      <ReqdExctnDt>${f.executionDate}</ReqdExctnDt>
      <Dbtr><Nm>${payerName}</Nm></Dbtr>
      <DbtrAcct><Id><IBAN>${xmlText(f.payer.iban)}</IBAN></Id></DbtrAcct>
      <DbtrAgt><FinInstnId>${agent}</FinInstnId></DbtrAgt>
      <ChrgBr>SLEV</ChrgBr>
${transactions.join('')}    </PmtInf>
  </CstmrCdtTrfInitn>
</Document>
`;
}

// PayPal Payouts (paypal.com, Payouts web upload): no header row, the first line is the first recipient. Columns:
// recipient email, amount, currency, a customer id (at most 30 characters, no spaces: the payout id), the note to
// the recipient (at most 400), and the wallet. The amount is written as the PayPal account's country writes it
// (PayPal checks it on upload): 12.30, or "12,30" quoted as PayPal asks; whole units for HUF, JPY and TWD.
export function paypalPayoutsCsv(lines: FileLine[], currency: string, note: string, decimal: DecimalSeparator = 'point'): string {
  return lines
    .map((l) => csvLine([csvText(l.account), paypalAmount(l.amountMinor, currency, decimal), csvText(currency), csvText(l.payoutId.slice(0, 30)), csvText(note.slice(0, 400)), csvText('PAYPAL')]))
    .join('');
}

function paypalAmount(minor: number, currency: string, decimal: DecimalSeparator): string {
  if (lostToWholeUnits(minor, currency)) throw new RangeError(`PayPal pays ${currency} in whole units: ${minor} is not`);
  const amount = csvNumber(formatAmount(minor, currency));
  const [whole, fraction] = amount.split('.');
  if (PAYPAL_WHOLE_UNITS.has(currency) || fraction === undefined) return whole!;
  return decimal === 'comma' ? `"${whole},${fraction}"` : amount;
}

/** Wise's batch "send by email" template, its header as Wise's template names the columns. */
export const WISE_HEADER = ['name', 'recipientEmail', 'paymentReference', 'receiverType', 'amountCurrency', 'amount', 'sourceCurrency', 'targetCurrency'];

// One row per payout: `target` fixes what the creator receives (Wise's fee is the brand's), in the brand's
// currency both sides. The reference is short: some currencies' rails carry only 18 characters.
export function wiseBatchCsv(lines: FileLine[], currency: string, reference: string): string {
  const rows = lines.map((l) => csvLine([csvText(l.name), csvText(l.account), csvText(reference.slice(0, 18)), csvText('PERSON'), csvText('target'), csvNumber(formatAmount(l.amountMinor, currency)), csvText(currency), csvText(currency)]));
  return csvLine(WISE_HEADER) + rows.join('');
}

// ---------- NACHA (ACH) ----------

// An entry's amount field holds 10 digits of cents: $99,999,999.99 at most; a larger payout is paid by hand (wire).
export const ACH_AMOUNT_MAX = 9_999_999_999;
// The batch and file totals hold 12 digits of cents.
export const ACH_TOTAL_MAX = 999_999_999_999;
const NACHA_RECORD = 94;
const NACHA_BLOCK = 10;
/** The individual name field of an entry (PPD): 22 characters. */
export const ACH_NAME_MAX = 22;
// Records end CRLF: most banks' upload specifications accept or expect it.
export const NACHA_EOL = '\r\n';

// SEPA's set and the ampersand (NACHA takes any printable ASCII; banks print names with few more).
const ACH_CHAR = /^[A-Za-z0-9/\-?:().,'+& ]$/;

/** A name as an ACH entry carries it: transliterated as for SEPA, upper case, 22 characters. */
export const achName = (name: string): string | null => fileName(name, ACH_CHAR, ACH_NAME_MAX)?.toUpperCase() ?? null;

// Text NACHA takes in its alphanumeric fields: printable ASCII. What a brand types for its company and bank is
// checked against it when saved (trimmed, its length by the schema); the file writes it in upper case, as banks print it.
export const isNachaText = (text: string) => /^[\x20-\x7E]+$/.test(text);

// The 15 characters of an entry's individual identification number: `PO` and the first 13 of the payout id's random
// part, upper case (a bank statement and a return file show it so). Reconcile reads it back to the one payout of the
// brand whose id starts so (payoutPrefixFromAch); 13 characters of a random id leave no two alike in a brand.
/** How much of a payout id an ACH reference carries: `po_` and 13 characters. */
export const ACH_PREFIX_LENGTH = 16;
export const achPayoutReference = (payoutId: string) => `PO${payoutId.slice(3, ACH_PREFIX_LENGTH).toUpperCase()}`;
export const payoutPrefixFromAch = (text: string): string | null => (/^PO[A-Z0-9]{13}$/i.test(text) ? `po_${text.slice(2).toLowerCase()}` : null);

export type AchFile = {
  createdAt: number;
  /** The brand's timezone, which the file's creation date and time are written in. */
  timeZone: string;
  /** The day the bank should settle the credits (YYYY-MM-DD): the batch's effective entry date. */
  executionDate: string;
  /** The period paid (YYYY-MM), as the batch's descriptive date (OCT 26). */
  period: string;
  origin: { companyName: string; companyId: string; odfiRouting: string; odfiName: string };
  lines: FileLine[];
};

// The effective entry date: a weekday (the ACH operators settle none at weekends) up to 30 days ahead, as banks take
// them; bank holidays the bank itself moves to the next business day.
export const ACH_DAYS_AHEAD = 30;
export const isWeekend = (day: string) => [0, 6].includes(new Date(`${day}T00:00:00Z`).getUTCDay());
export function nextBusinessDay(day: string): string {
  let next = addDays(day, 1);
  while (isWeekend(next)) next = addDays(next, 1);
  return next;
}
/** The day a file pays on when none is asked: SEPA's banks execute today, ACH credits settle the next business day. */
export const defaultExecutionDate = (format: PaymentFormat, today: string) => (format === 'ach' ? nextBusinessDay(today) : today);

const alpha = (text: string, width: number) => text.toUpperCase().slice(0, width).padEnd(width, ' ');
// Account and routing numbers are written whole or not at all: a cut one would pay someone else's account.
const accountField = (account: string) => {
  if (!isUsAccountNumber(account)) throw new RangeError(`not a US account number of at most 17 digits: ${account.length} characters`);
  return account.padEnd(17, ' ');
};
const routingField = (routing: string) => {
  if (!isAbaRouting(routing)) throw new RangeError('not a 9-digit ABA routing number');
  return routing;
};
const numeric = (value: number | string, width: number) => {
  const digits = String(value);
  if (!/^\d+$/.test(digits) || digits.length > width) throw new RangeError(`${digits} does not fit ${width} digits`);
  return digits.padStart(width, '0');
};
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const yymmdd = (day: string) => day.slice(2, 4) + day.slice(5, 7) + day.slice(8, 10);

/** The entry hash: the RDFIs' 8-digit routing numbers summed, its last 10 digits. */
export const achEntryHash = (routings: string[]) => routings.reduce((sum, r) => sum + Number(r.slice(0, 8)), 0) % 10_000_000_000;

// Not a secret: the hash only spreads one file's contents over the modifier and trace seed.
const FILE_SPREAD_KEY = sipKey(new Uint8Array(16));
const MODIFIERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
// Room for the entries under the trace seed: the 7-digit sequence is the seed's 2 digits and 5 of entry number.
const TRACE_ENTRIES = 100_000;

/**
 * The file id modifier and the first trace number's seed of a file paying these payouts for this period: the same file
 * downloaded again is the same (its bank refuses it as a duplicate), another file of the same day another (which its
 * bank would otherwise refuse as one, and its returns would not tell apart).
 */
export function achFileIdentity(period: string, payoutIds: string[]): { modifier: string; traceSeed: number } {
  const hex = sipHash128Hex(FILE_SPREAD_KEY, period, payoutIds.join(','));
  return { modifier: MODIFIERS[parseInt(hex.slice(0, 8), 16) % MODIFIERS.length]!, traceSeed: parseInt(hex.slice(8, 16), 16) % 100 };
}

/** A NACHA file of one PPD batch of credits (service class 220): an entry per payout, blocked to 10 records of 94 characters. */
export function nachaFile(f: AchFile): string {
  const { companyName, companyId, odfiName } = f.origin;
  const odfiRouting = routingField(f.origin.odfiRouting);
  const odfi8 = odfiRouting.slice(0, 8);
  const created = localDateTimeOf(f.createdAt, f.timeZone);
  const total = f.lines.reduce((sum, l) => sum + l.amountMinor, 0);
  if (total > ACH_TOTAL_MAX) throw new RangeError('ACH batch total exceeds 12 digits');
  if (f.lines.length >= TRACE_ENTRIES) throw new RangeError(`an ACH file of at most ${TRACE_ENTRIES - 1} entries`);
  const month = Number(f.period.slice(5, 7));
  const hash = achEntryHash(f.lines.map((l) => l.usAccount!.routing));
  const { modifier, traceSeed } = achFileIdentity(f.period, f.lines.map((l) => l.payoutId));
  // The settlement date (batch header, after the effective date) is left blank: the ACH operator fills it.
  const records = [
    `101 ${odfiRouting}${alpha(companyId, 10)}${yymmdd(created)}${created.slice(11, 13)}${created.slice(14, 16)}${modifier}094101${alpha(odfiName, 23)}${alpha(companyName, 23)}${alpha('', 8)}`,
    `5220${alpha(companyName, 16)}${alpha('', 20)}${alpha(companyId, 10)}PPD${alpha('PAYOUT', 10)}${alpha(`${MONTHS[month - 1]} ${f.period.slice(2, 4)}`, 6)}${yymmdd(f.executionDate)}${alpha('', 3)}1${odfi8}${numeric(1, 7)}`,
    ...f.lines.map((l, i) => {
      const us = l.usAccount!;
      return `6${us.type === 'savings' ? '32' : '22'}${routingField(us.routing)}${accountField(us.accountNumber)}${numeric(l.amountMinor, 10)}${alpha(achPayoutReference(l.payoutId), 15)}${alpha(l.name, ACH_NAME_MAX)}${alpha('', 2)}0${odfi8}${numeric(traceSeed * TRACE_ENTRIES + i + 1, 7)}`;
    }),
    `8220${numeric(f.lines.length, 6)}${numeric(hash, 10)}${numeric(0, 12)}${numeric(total, 12)}${alpha(companyId, 10)}${alpha('', 19)}${alpha('', 6)}${odfi8}${numeric(1, 7)}`,
  ];
  const blocks = Math.ceil((records.length + 1) / NACHA_BLOCK);
  records.push(`9${numeric(1, 6)}${numeric(blocks, 6)}${numeric(f.lines.length, 8)}${numeric(hash, 10)}${numeric(0, 12)}${numeric(total, 12)}${alpha('', 39)}`);
  while (records.length % NACHA_BLOCK !== 0) records.push('9'.repeat(NACHA_RECORD));
  for (const r of records) if (r.length !== NACHA_RECORD) throw new RangeError(`NACHA record of ${r.length} characters: ${r.slice(0, 1)}`);
  return records.map((r) => r + NACHA_EOL).join('');
}
