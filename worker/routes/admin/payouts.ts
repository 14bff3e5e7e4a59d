// Payouts for finance: close a period, export it (CSV streamed, or JSON), mark payouts paid.
import { Hono } from 'hono';
import { z } from 'zod';
import { addToTotals, closePeriod, emptyTotals, payoutLines, payoutsCsvStream, type PayoutLine } from '../../db/payouts';
import { yearEndAudit, yearEndCsvStream } from '../../db/tax-details';
import { addDays, dayOf, isDay, isPeriod, isYear, previousYear } from '../../domain/periods';
import { ACH_DAYS_AHEAD, ACH_PREFIX_LENGTH, DECIMAL_SEPARATORS, defaultExecutionDate, isWeekend, nextBusinessDay, PAYMENT_FORMATS, payoutIdFromSepa, payoutPrefixFromAch, type DecimalSeparator, type PaymentFormat } from '../../domain/payment-files';
import { paymentFile, paymentFileAudit, type PayingBrand } from '../../db/payment-files';
import type { Actor } from '../../db/audit';
import { mailLinkOrigin, type AppEnv, type Env } from '../../env';
import { csvAttachment, CsvError, parseCsv, safeFilename } from '../../lib/csv';
import { ApiError, notFound } from '../../lib/errors';
import { isPayoutId, newId } from '../../lib/ids';
import { log } from '../../lib/log';
import { queueNotices } from '../../mail';
import { formatMoney, formatPeriod } from '../../../portal/format';
import { iso, plainText, valid } from '../../lib/validate';
import { routeDescriber } from '../../openapi/registry';
import { dataOf, pagedListOf, PayoutEntry, PayoutList, PayoutMark, PeriodClose } from '../../openapi/schemas';
import { pageOf, pageParams } from '../../lib/cursor';
import { statementEntries, statementPayout, type StatementEntry } from '../../db/payout-statements';

const period = z.string().refine(isPeriod, 'a month as YYYY-MM, from 2000');

export async function brandForPayouts(env: Env, brandId: string) {
  const brand = await env.DB.prepare('SELECT id, slug, timezone FROM brands WHERE id = ?').bind(brandId).first<{ id: string; slug: string; timezone: string }>();
  if (!brand) throw notFound('brand');
  return brand;
}

export async function payingBrand(env: Env, brandId: string): Promise<PayingBrand> {
  const brand = await env.DB.prepare(
    `SELECT id, slug, name, currency, timezone, payer_name AS payerName, payer_iban AS payerIban, payer_bic AS payerBic,
       ach_company_name AS achCompanyName, ach_company_id AS achCompanyId, ach_odfi_routing AS achOdfiRouting, ach_odfi_name AS achOdfiName FROM brands WHERE id = ?`,
  ).bind(brandId).first<PayingBrand>();
  if (!brand) throw notFound('brand');
  return brand;
}

// The furthest ahead a SEPA file may ask its bank to pay: banks take execution dates up to about a year out.
const EXECUTION_DAYS_AHEAD = 365;

export type PaymentFileAsk = { period: string; format: PaymentFormat; executionDate?: string; decimal?: DecimalSeparator };

// A payment file hands out creators' accounts: each download is audited with what it paid (a HEAD writes nothing).
// It marks nothing paid; the XML says so, and the CSVs, which their services take only as their rows, are told on the page.
export async function paymentFileResponse(env: Env, brandId: string, ask: PaymentFileAsk, actor: Actor, headOnly: boolean, now = Date.now()): Promise<Response> {
  const brand = await payingBrand(env, brandId);
  const today = dayOf(now, brand.timezone);
  const executionDate = ask.executionDate ?? defaultExecutionDate(ask.format, today);
  const ach = ask.format === 'ach';
  if (!isDay(executionDate) || executionDate < today || executionDate > addDays(today, ach ? ACH_DAYS_AHEAD : EXECUTION_DAYS_AHEAD)) {
    throw new ApiError(422, 'invalid_execution_date', `The execution date is a day from today (${today}, ${brand.timezone}) to ${ach ? `${ACH_DAYS_AHEAD} days` : 'a year'} ahead, as YYYY-MM-DD.`);
  }
  if (ach && isWeekend(executionDate)) throw new ApiError(422, 'ach_weekend_date', `ACH credits settle on weekdays only: ${executionDate} falls on a weekend; choose a weekday such as ${nextBusinessDay(executionDate)}.`);
  const file = await paymentFile(env.DB, env.SECRETS_KEY, brand, ask.period, ask.format, { executionDate, decimal: ask.decimal ?? 'point', now });
  if (!headOnly) await paymentFileAudit(env.DB, brand, actor, ask.period, ask.format, file, now).run();
  return new Response(file.body, {
    headers: {
      'Content-Type': file.contentType,
      'Content-Disposition': `attachment; filename="${safeFilename(file.filename)}"`,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    },
  });
}

export function payoutsCsvResponse(env: Env, brand: { id: string; slug: string }, p: string): Response {
  return csvAttachment(payoutsCsvStream(env.DB, env.SECRETS_KEY, brand.id, p), `chorus-payouts-${brand.slug}-${p}.csv`);
}

// The year-end totals with full tax ids: each download is audited, as whoever took them may need to be known.
// A HEAD request (a link checker, a browser's probe) takes no tax id and writes no audit row.
export async function yearEndCsvResponse(env: Env, brand: { id: string; slug: string; timezone: string }, year: number, actor: { type: 'admin_user' | 'api_key'; id: string }, headOnly: boolean): Promise<Response> {
  if (!headOnly) await yearEndAudit(env.DB, brand.id, actor, year, Date.now()).run();
  return csvAttachment(yearEndCsvStream(env.DB, env.SECRETS_KEY, brand, year), `chorus-year-end-${brand.slug}-${year}.csv`);
}

export type MarkResult = { line: number | null; payoutId: string; outcome: 'paid' | 'failed' | 'unchanged' | 'not_found' | 'conflict' | 'given_up' };

type PayoutState = { status: string; reference: string | null; failure_reason: string | null; given_up_at: number | null };
// A failed payment may say why (the processor's words or the brand's); the creator sees it beside the payout.
type MarkItem = { line: number | null; payoutId: string; reference: string; status: 'paid' | 'failed'; reason?: string | null };

function decide(p: PayoutState | undefined, item: MarkItem): MarkResult['outcome'] {
  if (!p) return 'not_found';
  if (p.status === item.status && p.reference === item.reference) {
    // The same failed payment, with a reason it lacks (the processor's file after a quick mark) or a corrected one.
    const newReason = item.status === 'failed' && !!item.reason && item.reason !== p.failure_reason;
    return newReason && p.given_up_at === null ? 'failed' : 'unchanged';
  }
  // The creator gave it up when they closed their account (db/creator-erasure.ts): it stays as it was left.
  if (p.given_up_at !== null) return 'given_up';
  if (p.status !== 'pending' && !(p.status === 'failed' && item.status === 'paid')) return 'conflict';
  return item.status;
}

// Moves pending payouts to paid or failed; a repeat with the same reference is a no-op (unless it gives a
// failed payment a new reason), another reference a conflict. Each write is guarded by the state it was
// decided on, so two people marking one payout at once cannot both succeed: the one that finds it moved is
// answered from what it finds.
// `notify`: each payout this call moved to paid or failed is mailed to its creator after the response.
export async function markPayouts(env: Env, brandId: string, actor: { type: string; id: string }, items: MarkItem[], notify?: PayoutNotify): Promise<MarkResult[]> {
  const out: MarkResult[] = [];
  const now = Date.now();
  for (let i = 0; i < items.length; i += 40) {
    const chunk = items.slice(i, i + 40);
    const read = () =>
      env.DB.prepare(`SELECT id, status, reference, failure_reason, given_up_at FROM payouts WHERE brand_id = ? AND id IN (${chunk.map(() => '?').join(', ')})`)
        .bind(brandId, ...chunk.map((c) => c.payoutId))
        .all<PayoutState & { id: string }>()
        .then(({ results }) => new Map<string, PayoutState>(results.map((r) => [r.id, r])));
    const found = await read();
    const start = out.length;
    const statements: D1PreparedStatement[] = [];
    const writes: { at: number; item: MarkItem }[] = [];
    for (const item of chunk) {
      const p = found.get(item.payoutId);
      const outcome = decide(p, item);
      out.push({ line: item.line, payoutId: item.payoutId, outcome });
      if (outcome !== 'paid' && outcome !== 'failed') continue;
      writes.push({ at: out.length - 1, item });
      statements.push(
        env.DB.prepare(
          // Where it went (or failed to go): the creator's details now, if they are shared with the brand, sealed
          // as on their account ('' for none then). A reason added to the same failed payment keeps where it went.
          `UPDATE payouts SET status = ?1, reference = ?2, paid_at = CASE WHEN ?1 = 'paid' THEN ?3 ELSE NULL END, failure_reason = ?4,
             paid_to_enc = CASE WHEN ?1 = 'failed' AND status = 'failed' AND reference IS ?2 THEN paid_to_enc ELSE (
               SELECT COALESCE(c.payout_details_enc, '') FROM creators c JOIN brand_creators r ON r.creator_id = c.id AND r.brand_id = payouts.brand_id AND r.accepted_at IS NOT NULL WHERE c.id = payouts.creator_id) END
           WHERE id = ?5 AND brand_id = ?6 AND status = ?7 AND reference IS ?8 AND failure_reason IS ?9 AND given_up_at IS NULL`,
        ).bind(
          item.status,
          item.reference,
          now,
          item.status === 'failed' ? (item.reason ?? null) : null,
          item.payoutId,
          brandId,
          p!.status,
          p!.reference,
          p!.failure_reason,
        ),
        env.DB.prepare("INSERT INTO audit_log (id, brand_id, actor_type, actor_id, action, target_type, target_id, details, at) SELECT ?, ?, ?, ?, ?, 'payout', ?, ?, ? WHERE changes() = 1").bind(
          newId('aud'),
          brandId,
          actor.type,
          actor.id,
          `payout.${item.status}`,
          item.payoutId,
          JSON.stringify(item.status === 'failed' && item.reason ? { reference: item.reference, reason: item.reason } : { reference: item.reference }),
          now,
        ),
      );
      // A later row for the same payout (a file may list it twice) is decided on what this one leaves.
      found.set(item.payoutId, { status: item.status, reference: item.reference, failure_reason: item.status === 'failed' ? (item.reason ?? null) : null, given_up_at: null });
    }
    if (statements.length === 0) continue;
    const results = await env.DB.batch(statements);
    const landed = new Set(writes.filter((_, k) => results[2 * k]!.meta.changes > 0).map((w) => w.at));
    const lost = writes.filter((w) => !landed.has(w.at));
    if (lost.length === 0) continue;
    // A lost write means the payout moved under us: its row, and every later row of the chunk for the same
    // payout that wrote nothing (decided on the state the lost write would have left), are answered from
    // what is stored now. A later row whose own write landed keeps its answer.
    const current = await read();
    const firstLost = new Map<string, number>();
    for (const { at, item } of lost) if (!firstLost.has(item.payoutId)) firstLost.set(item.payoutId, at);
    for (let at = start; at < out.length; at++) {
      const item = chunk[at - start]!;
      const from = firstLost.get(item.payoutId);
      if (from === undefined || at < from || landed.has(at)) continue;
      const now = decide(current.get(item.payoutId), item);
      out[at] = { line: item.line, payoutId: item.payoutId, outcome: now === 'unchanged' || now === 'given_up' ? now : 'conflict' };
    }
  }
  if (notify) {
    const moved = [...new Set(out.filter((r) => r.outcome === 'paid' || r.outcome === 'failed').map((r) => r.payoutId))];
    if (moved.length > 0) notify.ctx.waitUntil(tellCreators(env, brandId, moved, notify.origin).catch((error: unknown) => log.error('payout_notice_failed', { error })));
  }
  return out;
}

export const payoutGivenUp = () =>
  new ApiError(409, 'payout_given_up', 'The creator gave up this payout when they closed their account: it stays failed and cannot be marked paid or failed again. Nothing is owed to them.');

export type PayoutNotify = { ctx: Pick<ExecutionContext, 'waitUntil'>; origin: string };

export type NoticeRow = { id: string; period: string; amount_minor: number; currency: string; status: string; reference: string | null; failure_reason: string | null; email: string; brand_name: string };

// The mail a creator gets when a payout is marked paid or failed: a paid one links to its statement, what it paid
// entry by entry. `origin` is mailOrigin's (PUBLIC_ORIGIN deployed), never the request's own.
export function payoutNotice(r: NoticeRow, origin: string) {
  const amount = formatMoney(r.amount_minor, r.currency);
  const month = formatPeriod(r.period);
  return r.status === 'paid'
    ? {
        to: r.email,
        subject: `${r.brand_name} paid your ${month} payout`,
        text: `${amount} is on its way${r.reference ? ` (payment reference ${r.reference})` : ''}. What it paid, entry by entry: ${origin}/earnings/payouts/${r.id}\nYour earnings: ${origin}/earnings`,
      }
    : { to: r.email, subject: `${r.brand_name} could not pay your ${month} payout`, text: `The payment of ${amount} did not go through${r.failure_reason ? `: ${r.failure_reason}` : ''}. Check your payout details: ${origin}/earnings` };
}

// A creator hears when a brand pays them, or could not: the amount, the reference or the reason, and where
// to look. Read as stored now (a payout marked twice in one file is told once, as it ended up).
async function tellCreators(env: Env, brandId: string, payoutIds: string[], origin: string): Promise<void> {
  for (let i = 0; i < payoutIds.length; i += 90) {
    const chunk = payoutIds.slice(i, i + 90);
    const { results } = await env.DB.prepare(
      `SELECT p.id, p.period, p.amount_minor, p.currency, p.status, p.reference, p.failure_reason, c.email, b.name AS brand_name
       FROM payouts p JOIN creators c ON c.id = p.creator_id JOIN brands b ON b.id = p.brand_id WHERE p.brand_id = ? AND p.id IN (${chunk.map(() => '?').join(', ')})`,
    )
      .bind(brandId, ...chunk)
      .all<NoticeRow>();
    await queueNotices(env, results.map((r) => payoutNotice(r, origin)), 'payout_notice_failed');
  }
}

/** A reconcile row to mark; `achPrefix`: its payout_id is an ACH reference (kept as typed), this the start of the payout's id. */
type ReconcileItem = MarkItem & { line: number; achPrefix?: string };

export function reconcileItems(csv: string): ReconcileItem[] {
  let records;
  try {
    records = parseCsv(csv, 10_001);
  } catch (e) {
    if (e instanceof CsvError) throw new ApiError(422, 'invalid_csv', e.message, { line: e.line });
    throw e;
  }
  const [header, ...body] = records;
  const names = header?.cells.map((h) => h.trim().toLowerCase()) ?? [];
  const idCol = names.indexOf('payout_id');
  const refCol = names.indexOf('reference');
  const statusCol = names.indexOf('status');
  const reasonCol = names.indexOf('reason');
  if (idCol < 0 || refCol < 0) throw new ApiError(422, 'invalid_csv', 'The file needs payout_id and reference columns (status optional: paid or failed; reason optional).', { line: 1 });
  const errors: { line: number; message: string }[] = [];
  const items: ReconcileItem[] = [];
  for (const r of body) {
    // A bank statement shows a SEPA file's payout ids as the file wrote them, '.' for '_', and an ACH file's as the
    // 15-character reference its entry carries (domain/payment-files.ts), which resolveAchReferences turns into its payout.
    const cell = (r.cells[idCol] ?? '').trim();
    const achPrefix = payoutPrefixFromAch(cell);
    const payoutId = achPrefix === null ? payoutIdFromSepa(cell) : cell;
    const reference = paymentReference.safeParse(r.cells[refCol] ?? '');
    const status = ((statusCol >= 0 ? r.cells[statusCol] : '') ?? '').trim().toLowerCase() || 'paid';
    // Chorus's own export comes back too, references and statuses filled in: its TOTAL row and the payouts
    // still `pending` (not paid yet) are left out, not refused.
    if (payoutId === 'TOTAL' || status === 'pending') continue;
    // A processor's export may fill its reason column on every row: only a failed row's reason is kept.
    const reason = reasonCol >= 0 && status === 'failed' ? failureReason.safeParse(r.cells[reasonCol] ?? '') : null;
    if (achPrefix === null && !isPayoutId(payoutId)) errors.push({ line: r.line, message: 'payout_id is not a Chorus payout id.' });
    else if (!reference.success) errors.push({ line: r.line, message: 'reference must be one line of 1-200 characters.' });
    else if (status !== 'paid' && status !== 'failed') errors.push({ line: r.line, message: 'status must be paid or failed.' });
    else if (reason && !reason.success) errors.push({ line: r.line, message: 'reason must be one line of at most 200 characters.' });
    else items.push({ line: r.line, payoutId, reference: reference.data, status: status as 'paid' | 'failed', reason: reason?.data || null, ...(achPrefix === null ? {} : { achPrefix }) });
  }
  if (errors.length) throw new ApiError(422, 'invalid_rows', 'Some rows cannot be applied; nothing was changed.', { errors });
  return items;
}

// The brand's payouts whose ids start with any of `count` ACH references' prefixes, each an id range ('{' sorts right
// after 'z': every id starting with the prefix lies in [prefix, prefix + '{')). (+: the ranges hold a row or two each;
// the brand's index would walk every payout it ever made.)
export const achReferenceSql = (count: number) => `SELECT id FROM payouts WHERE +brand_id = ? AND (${Array(count).fill('(id >= ? AND id < ?)').join(' OR ')})`;
const ACH_REFERENCES_PER_READ = 40;

// Each ACH reference becomes the one payout of the brand whose id starts with its prefix; one none (or, never in
// practice, two) start with keeps the reference as finance typed it, which markPayouts answers not_found.
export async function resolveAchReferences<T extends { payoutId: string; achPrefix?: string }>(db: D1Database, brandId: string, items: T[]): Promise<T[]> {
  const prefixes = [...new Set(items.flatMap((i) => (i.achPrefix === undefined ? [] : [i.achPrefix])))];
  const matches = new Map<string, string[]>();
  const reads: D1PreparedStatement[] = [];
  for (let i = 0; i < prefixes.length; i += ACH_REFERENCES_PER_READ) {
    const chunk = prefixes.slice(i, i + ACH_REFERENCES_PER_READ);
    reads.push(db.prepare(achReferenceSql(chunk.length)).bind(brandId, ...chunk.flatMap((prefix) => [prefix, `${prefix}{`])));
  }
  // One round trip for every chunk's read.
  const found = reads.length === 0 ? [] : await db.batch<{ id: string }>(reads);
  for (const { results } of found) {
    for (const { id } of results) {
      const prefix = id.slice(0, ACH_PREFIX_LENGTH);
      matches.set(prefix, [...(matches.get(prefix) ?? []), id]);
    }
  }
  return items.map((item) => {
    const ids = item.achPrefix === undefined ? undefined : matches.get(item.achPrefix);
    return ids?.length === 1 ? { ...item, payoutId: ids[0]! } : item;
  });
}

/** A reconcile file's rows as items to mark, ACH references read back to their payouts. */
export const reconcileFile = async (db: D1Database, brandId: string, csv: string) => resolveAchReferences(db, brandId, reconcileItems(csv));

const payoutEntryView = (e: StatementEntry, currency: string) => ({
  id: e.id,
  kind: e.kind,
  amountMinor: e.amountMinor,
  currency,
  createdAt: iso(e.createdAt),
  period: e.period,
  basisPeriod: e.basisPeriod,
  rateBps: e.rateBps,
  tier: e.tier,
  basisMinor: e.basisMinor,
  note: e.note,
  enrollmentId: e.enrollmentId,
  conversionId: e.conversionId,
  refundId: e.refundId,
  submissionId: e.submissionId,
  order: e.orderId === null ? null : { orderId: e.orderId, occurredAt: iso(e.orderAt), amountMinor: e.orderAmountMinor ?? 0 },
  postUrl: e.postUrl,
});

const inPeriod = z.strictObject({ period });
const paymentFileQuery = z.strictObject({
  period,
  format: z.enum(PAYMENT_FORMATS),
  executionDate: z.string().max(10).refine(isDay, 'a day as YYYY-MM-DD').optional(),
  decimal: z.enum(DECIMAL_SEPARATORS).optional(),
});
const inYear = z.strictObject({ year: z.string().refine(isYear, 'a calendar year as YYYY, from 2000 to 2199').optional() });
export const failureReason = plainText(200);
// A processor's payment reference, as finance copies it: one line, refused when it holds broken characters.
export const paymentReference = plainText(200).min(1);
const markBody = z
  .strictObject({ status: z.enum(['paid', 'failed']).default('paid'), reference: paymentReference, reason: failureReason.min(1).optional() })
  .refine((b) => b.status === 'failed' || b.reason === undefined, { path: ['reason'], message: 'A reason is only recorded for a failed payment.' });
const reconcileBody = z.strictObject({ csv: z.string().min(1).max(1_000_000) });

const op = routeDescriber({ tag: 'Payouts', auth: 'adminKey' });

export const payoutRoutes = new Hono<AppEnv>()
  .post(
    '/close',
    op({
      summary: 'Close a period',
      description:
        "Creates one pending payout per creator and currency from the ledger entries available by the end of the month (in the brand's timezone). Idempotent: closing a closed period answers 200 with the same payouts. A month that has not ended yet is a 409.",
      example: { period: '2026-04' },
      responses: {
        201: { description: 'Closed now.', schema: dataOf(PeriodClose) },
        200: { description: 'Already closed.', schema: dataOf(PeriodClose) },
      },
      errors: { 404: ['not_found'], 409: ['period_open'] },
    }),
    valid('json', inPeriod),
    async (c) => {
      const brand = await brandForPayouts(c.env, c.var.admin.brandId);
      const result = await closePeriod(c.env.DB, brand, c.req.valid('json').period, { type: 'api_key', id: c.var.admin.keyId });
      return c.json({ data: { ...result, closedAt: iso(result.closedAt) } }, result.closedNow ? 201 : 200);
    },
  )
  .get(
    '/export.csv',
    op({
      summary: 'Export payouts as CSV',
      description: 'The file finance reads: one row per payout with payout details decrypted, then totals per currency. Streamed.',
      responses: { 200: { description: 'RFC 4180 CSV, as an attachment.', contentType: 'text/csv', headers: { 'Content-Disposition': 'attachment; filename="chorus-payouts-<brand>-<period>.csv"' } } },
      errors: { 404: ['not_found'] },
    }),
    valid('query', inPeriod),
    async (c) => {
      const brand = await brandForPayouts(c.env, c.var.admin.brandId);
      return payoutsCsvResponse(c.env, brand, c.req.valid('query').period);
    },
  )
  .get(
    '/payment-file',
    op({
      summary: 'Download a payment file',
      description:
        "The payouts of a closed period still to pay, as a file your bank or payment service takes in one upload: `sepa`, a SEPA credit transfer (ISO 20022 pain.001.001.03 XML) of the payouts paid by bank transfer, offered when your brand pays in EUR and has its own account in the brand settings (`payerName`, `payerIban`, optionally `payerBic`), executed on `executionDate` (default today in your brand's timezone, up to a year ahead); `ach`, a NACHA file (94-character records ending CRLF, blocked to multiples of 10 with 9-filled records) of one PPD batch of credits (service class 220) to the creators' US bank accounts, checking (transaction code 22) or savings (32), offered when your brand pays in USD and has its ACH origination settings (`achCompanyName`, `achCompanyId`, `achOdfiRouting`, `achOdfiName`), effective on `executionDate` (a weekday, default the next one in your brand's timezone, from today to 30 days ahead; a Saturday or Sunday is `ach_weekend_date`); each entry's individual identification number is `PO` and the first 13 characters of the payout id after `po_`, upper case, which reconcile reads back; `paypal`, PayPal Payouts' upload file (no header row: email, amount, currency, the payout id, a note, PAYPAL), its amounts written as your PayPal account's country writes them, `decimal=point` (12.30, the default) or `decimal=comma` (\"12,30\", quoted), and in whole units for HUF, JPY and TWD, which PayPal pays no fraction of (a payout whose net has one is left out, not rounded); `wise`, Wise's batch \"send by email\" template (name, recipientEmail, paymentReference, receiverType, amountCurrency, amount, sourceCurrency, targetCurrency). A payout is in the file of its creator's payout method when it is pending (or failed, and the creator saved other details since), its net is above zero, and its details are shared with your brand and readable; a bank transfer also needs an account holder name (the creator's, or the legal name of their tax details) and an IBAN of an EEA country (a SEPA country outside the EEA, as the UK or Switzerland, needs the payer's postal address, which the file does not carry: pay those by hand). Amounts are each payout's net, in your brand's currency. A download marks nothing paid: mark the payouts paid through reconcile once the money went. Each download is recorded in your audit log.",
      responses: {
        200: {
          description: 'The file, as an attachment: XML for `sepa`, NACHA text (`text/plain; charset=us-ascii`, `.ach`) for `ach`, CSV for `paypal` and `wise`.',
          contentType: 'application/xml',
          alternative: [
            { contentType: 'text/csv', description: 'For `format=paypal` and `format=wise`: the CSV their upload takes.' },
            { contentType: 'text/plain', description: 'For `format=ach`: the NACHA file (ASCII, 94-character records ending CRLF), named `.ach`.' },
          ],
          headers: { 'Content-Disposition': 'attachment; filename="chorus-<format>-<brand>-<period>.<xml|ach|csv>"' },
        },
      },
      errors: { 409: ['period_not_closed', 'sepa_needs_eur', 'payer_account_missing', 'ach_needs_usd', 'ach_origin_missing', 'nothing_to_pay', 'too_many_payouts'], 422: ['validation_failed', 'invalid_execution_date', 'ach_weekend_date'] },
    }),
    valid('query', paymentFileQuery),
    async (c) => paymentFileResponse(c.env, c.var.admin.brandId, c.req.valid('query'), { type: 'api_key', id: c.var.admin.keyId }, c.req.method === 'HEAD'),
  )
  .get(
    '/year-end.csv',
    op({
      summary: 'Export year-end totals as CSV',
      description:
        "What you paid each creator in a calendar year (`year`, 2000-2199; default the year before this one in your brand's timezone, the one filed for early in the new year), one row per creator and currency: the total of payouts marked paid whose paid time falls in the year in your brand's timezone, their number, the creator's handle and email, and their tax details (legal name, country, kind and the full tax id) or `missing` (none given, or the creator has not accepted your brand) or `unreadable` (sealed under a SECRETS_KEY changed since: the creator must enter them again) with those cells empty. Each download is recorded in your audit log. Streamed.",
      responses: { 200: { description: 'RFC 4180 CSV, as an attachment.', contentType: 'text/csv', headers: { 'Content-Disposition': 'attachment; filename="chorus-year-end-<brand>-<year>.csv"' } } },
      errors: { 404: ['not_found'] },
    }),
    valid('query', inYear),
    async (c) => {
      const brand = await brandForPayouts(c.env, c.var.admin.brandId);
      const year = c.req.valid('query').year;
      return yearEndCsvResponse(c.env, brand, year ? Number(year) : previousYear(Date.now(), brand.timezone), { type: 'api_key', id: c.var.admin.keyId }, c.req.method === 'HEAD');
    },
  )
  .get(
    '/',
    op({ summary: 'List payouts', description: 'The same lines as the CSV export, as JSON, with totals per currency.', responses: { 200: { description: 'Payouts of the period.', schema: dataOf(PayoutList) } } }),
    valid('query', inPeriod),
    async (c) => {
      const p = c.req.valid('query').period;
      const payouts: PayoutLine[] = [];
      const totals = new Map<string, ReturnType<typeof emptyTotals>>();
      for await (const line of payoutLines(c.env.DB, c.env.SECRETS_KEY, c.var.admin.brandId, p)) {
        payouts.push(line);
        addToTotals(totals, line);
      }
      return c.json({ data: { period: p, payouts, totals: [...totals.entries()].map(([currency, t]) => ({ currency, ...t })) } });
    },
  )
  .get(
    '/:id/entries',
    op({
      summary: "List a payout's entries",
      description:
        "Every ledger entry the payout claimed, oldest first (by when it was recorded), a page at a time (`limit`, then `cursor` from `nextCursor`): its kind as the creator's Earnings page groups it, amount, rate and tier, and the order, post or note it is for. They sum to the payout's `netMinor`. Another brand's payout is a 404.",
      params: { id: 'The payout id.' },
      responses: { 200: { description: "The payout's entries.", schema: pagedListOf(PayoutEntry) } },
      errors: { 404: ['not_found'] },
    }),
    valid('query', z.strictObject(pageParams)),
    async (c) => {
      const payout = await statementPayout(c.env.DB, c.req.param('id'), { brandId: c.var.admin.brandId });
      if (!payout) throw notFound('payout');
      const { limit, cursor } = c.req.valid('query');
      const page = pageOf(await statementEntries(c.env.DB, payout, cursor ?? null, limit + 1), limit, (e) => ({ at: e.createdAt, id: e.id }));
      return c.json({ data: page.rows.map((e) => payoutEntryView(e, payout.currency)), hasMore: page.hasMore, nextCursor: page.nextCursor });
    },
  )
  .post(
    '/:id/mark',
    op({
      summary: 'Mark a payout paid or failed',
      description:
        'Repeating the same status and reference is a no-op (`unchanged`), except that a failed payment given a reason it does not have yet records it (`failed`); a payout already settled with another reference is a 409, and so is one the creator gave up when they closed their account (`payout_given_up`: it stays failed and is never paid). A failed payment may carry a `reason`, which the creator sees beside the payout; paying it later clears the reason.',
      params: { id: 'The payout id.' },
      example: { status: 'paid', reference: 'WISE-88213' },
      responses: { 200: { description: 'What happened to the payout.', schema: dataOf(PayoutMark) } },
      errors: { 404: ['not_found'], 409: ['payout_already_settled', 'payout_given_up'], 503: ['public_origin_unset'] },
    }),
    valid('json', markBody),
    async (c) => {
      const body = c.req.valid('json');
      const [result] = await markPayouts(c.env, c.var.admin.brandId, { type: 'api_key', id: c.var.admin.keyId }, [{ line: null, payoutId: c.req.param('id'), ...body }], { ctx: c.executionCtx, origin: mailLinkOrigin(c) });
      if (!result || result.outcome === 'not_found') throw notFound('payout');
      if (result.outcome === 'given_up') throw payoutGivenUp();
      if (result.outcome === 'conflict') throw new ApiError(409, 'payout_already_settled', 'This payout was already settled with another reference, or changed while this call marked it; read it again before retrying.');
      return c.json({ data: result });
    },
  )
  .post(
    '/reconcile',
    op({
      summary: 'Reconcile a processor file',
      description:
        'A CSV with `payout_id` and `reference` columns (and optionally `status`: paid or failed, and `reason` for a failed row) as your payment processor exports it, or the payouts export with references and statuses filled in (its `TOTAL` row and rows still `pending` are left out). A payout id as a SEPA payment file writes it (`po.` for `po_`, as a bank statement shows the EndToEndId, in any case) is the same payout, and so is an ACH file\'s individual identification number (`PO` and the first 13 characters after `po_`, read in any case): it is read back to the one payout of your brand whose id starts so (one that none starts is `not_found`, its `payoutId` the reference as written). Every row is checked before anything changes: one bad row rejects the file with line numbers.',
      example: { csv: 'payout_id,reference,status\npo_abcdefghijklmnopqrstuvwx,WISE-88213,paid\n' },
      responses: { 200: { description: 'One result per row.', schema: dataOf(z.object({ results: z.array(PayoutMark) })) } },
      errors: { 422: ['invalid_csv', 'invalid_rows'], 503: ['public_origin_unset'] },
    }),
    valid('json', reconcileBody),
    async (c) => {
      const items = await reconcileFile(c.env.DB, c.var.admin.brandId, c.req.valid('json').csv);
      const results = await markPayouts(c.env, c.var.admin.brandId, { type: 'api_key', id: c.var.admin.keyId }, items, { ctx: c.executionCtx, origin: mailLinkOrigin(c) });
      return c.json({ data: { results } });
    },
  );
