// Payouts: pick a period, close it, read and export its payouts, mark one paid, reconcile a processor file.
import { Hono } from 'hono';
import type { Flash } from '../../../../portal/console/layout';
import { ConsoleStatementPage, PayoutsPage, type PayoutsView, type ReconcileLine, type Totals } from '../../../../portal/console/payouts';
import { formatPeriod } from '../../../../portal/format';
import { addToTotals, closePeriod, payableLines, payoutLine, type PayableLine, type PayoutLine } from '../../../db/payouts';
import { paymentRunOf } from '../../../db/payment-files';
import { isDecimalSeparator, isPaymentFormat } from '../../../domain/payment-files';
import { payoutStatement, statementCsvOr } from '../../../db/payout-statements';
import { isPayoutId } from '../../../lib/ids';
import { dayOf, isPeriod, isYear, periodBounds, periodOf, previousYear } from '../../../domain/periods';
import { mailOrigin } from '../../../env';
import { ApiError, notFound } from '../../../lib/errors';
import { brandForPayouts, failureReason, markPayouts, paymentFileResponse, paymentReference, payingBrand, payoutsCsvResponse, reconcileFile, yearEndCsvResponse } from '../../admin/payouts';
import { viewerOf } from './campaigns';
import { canPay, canTakeTaxIds, countParam, csvFromForm, readForm, renderPage, requireTaxIdTaker, withFlash, type ConsoleContext, type ConsoleEnv, refuseWithoutOrigin } from './context';
import { awaitingReview, closedPeriods, closeForecast, pendingLater, periodClose, type Claimable } from './queries';

export const payoutRoutes = new Hono<ConsoleEnv>();

const SHOWN_LINES = 500;

function previousPeriod(period: string): string {
  const [y, m] = period.split('-').map(Number) as [number, number];
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}

// The period to show by default is last month: the one finance closes next.
const defaultPeriod = (timezone: string) => previousPeriod(periodOf(Date.now(), timezone));

function mergeByCurrency(list: Claimable[]): Claimable[] {
  const by = new Map<string, Claimable>();
  for (const a of list) {
    const seen = by.get(a.currency);
    by.set(a.currency, seen ? { currency: a.currency, amount: seen.amount + a.amount, creators: seen.creators + a.creators, entries: seen.entries + a.entries } : a);
  }
  return [...by.values()].sort((a, b) => a.currency.localeCompare(b.currency));
}

async function payoutsView(c: ConsoleContext, period: string): Promise<PayoutsView> {
  const { brandId, timezone } = c.var.user;
  const { end } = periodBounds(period, timezone);
  const [close, closed, forecast, later] = await Promise.all([periodClose(c.env.DB, brandId, period), closedPeriods(c.env.DB, brandId), closeForecast(c.env.DB, brandId, period, end), pendingLater(c.env.DB, brandId, end, Date.now())]);
  const payables: PayableLine[] = [];
  const lines: PayoutLine[] = [];
  const totals = new Map<string, Totals>();
  for await (const payable of payableLines(c.env.DB, c.env.SECRETS_KEY, brandId, period)) {
    payables.push(payable);
    lines.push(payable.line);
    addToTotals(totals, payable.line);
  }
  // A closed month's payment files: what each would pay, and what none pays and why.
  const paymentFiles = close ? { run: paymentRunOf(await payingBrand(c.env, brandId), period, payables), today: dayOf(Date.now(), timezone) } : null;
  const months = [periodOf(Date.now(), timezone)];
  while (months.length < 13) months.push(previousPeriod(months[months.length - 1]!));
  const all = [...new Set([...months, ...closed, period])].sort().reverse();
  return {
    period,
    periods: all.map((value) => ({ value, closed: closed.includes(value) })),
    ended: Date.now() >= end,
    endsAt: end,
    close: close ? { closedAt: close.closed_at, by: close.closer_name ?? (close.closed_by.startsWith('api_key:') ? 'the admin API' : null) } : null,
    claimable: close ? [] : forecast.claimable,
    // After the close, everything it left is carried, whatever today's minimum says of it.
    below: close ? mergeByCurrency([...forecast.claimable, ...forecast.below]) : forecast.below,
    minimum: forecast.minimum,
    later,
    lines,
    shown: SHOWN_LINES,
    totals: [...totals.entries()].sort(([a], [b]) => a.localeCompare(b)),
    paymentFiles,
  };
}

function flashOf(c: ConsoleContext): Flash {
  const n = countParam(c, 'n');
  switch (c.req.query('flash')) {
    case 'closed':
      return n === 0
        ? { tone: 'success', text: 'Period closed with no payouts: no creator was owed one yet (past the holding period, and at your minimum payout if you set one). What they are owed is paid in a later close.' }
        : { tone: 'success', text: `Period closed: ${n} ${n === 1 ? 'payout' : 'payouts'} created. Download the CSV for your payment run.` };
    case 'already_closed':
      return { tone: 'info', text: 'This period was already closed; nothing changed.' };
    case 'paid':
      return { tone: 'success', text: 'Payout marked as paid.' };
    case 'failed':
      return { tone: 'warn', text: 'Payout marked as failed; it stays payable and can be marked paid later.' };
    case 'unchanged':
      return { tone: 'info', text: 'That payment was already recorded with the same reference.' };
    default:
      return null;
  }
}

type Extras = { errors?: string[]; confirmClose?: boolean; reconcile?: { results: ReconcileLine[] } | { errors: { line: number; message: string }[] } };

async function renderPayouts(c: ConsoleContext, period: string, extras: Extras = {}, status: 200 | 409 | 422 | 503 = 200) {
  const [view, toReview] = await Promise.all([payoutsView(c, period), awaitingReview(c.env.DB, c.var.user.brandId)]);
  return renderPage(c, <PayoutsPage viewer={viewerOf(c)} canPay={canPay(c.var.user)} canTakeTaxIds={canTakeTaxIds(c.var.user)} defaultYear={previousYear(Date.now(), c.var.user.timezone)} view={view} flash={flashOf(c)} errors={extras.errors} confirmClose={extras.confirmClose ?? false} reconcile={extras.reconcile} toReview={toReview} />, status);
}

const periodFrom = (raw: string | undefined) => {
  if (!raw || !isPeriod(raw)) throw new ApiError(422, 'invalid_period', 'Pick a month from the list.');
  return raw;
};

payoutRoutes.get('/payouts', (c) => {
  const raw = c.req.query('period');
  return renderPayouts(c, raw && isPeriod(raw) ? raw : defaultPeriod(c.var.user.timezone));
});

// A close cannot be undone (its payouts are what finance pays), so it is asked once more, with the amounts.
payoutRoutes.post('/payouts/close', async (c) => {
  const form = await readForm(c);
  const period = periodFrom(form.get('period'));
  const brand = await brandForPayouts(c.env, c.var.user.brandId);
  // Only a month that has ended and is not closed is asked about; the rest get their answer at once.
  const askFirst = form.get('confirm') !== '1' && Date.now() >= periodBounds(period, brand.timezone).end && !(await periodClose(c.env.DB, brand.id, period));
  if (askFirst) return renderPayouts(c, period, { confirmClose: true });
  try {
    const result = await closePeriod(c.env.DB, brand, period, { type: 'admin_user', id: c.var.user.id });
    return c.redirect(withFlash(`/console/payouts?period=${period}`, result.closedNow ? 'closed' : 'already_closed', { n: result.payouts }), 303);
  } catch (e) {
    if (e instanceof ApiError && e.code === 'period_open') return renderPayouts(c, period, { errors: [`${formatPeriod(period)} has not ended yet in ${brand.timezone}; close it once the month is over.`] }, 409);
    throw e;
  }
});

payoutRoutes.get('/payouts/export.csv', async (c) => {
  const period = periodFrom(c.req.query('period'));
  const brand = await brandForPayouts(c.env, c.var.user.brandId);
  return payoutsCsvResponse(c.env, brand, period);
});

// A closed month's payment file (SEPA XML, PayPal or Wise CSV) for those who may download the payouts file
// (console/context.ts MONEY_PATHS); a file there is none of is said on the Payouts page, with why.
payoutRoutes.get('/payouts/payment-file', async (c) => {
  const period = periodFrom(c.req.query('period'));
  const format = c.req.query('format') ?? '';
  if (!isPaymentFormat(format)) return renderPayouts(c, period, { errors: ['Choose a payment file: SEPA, ACH, PayPal or Wise.'] }, 422);
  const executionDate = c.req.query('executionDate') || undefined;
  const decimal = c.req.query('decimal') || undefined;
  if (decimal !== undefined && !isDecimalSeparator(decimal)) return renderPayouts(c, period, { errors: ['Choose how amounts are written: 12.30 or 12,30.'] }, 422);
  try {
    return await paymentFileResponse(c.env, c.var.user.brandId, { period, format, executionDate, decimal }, { type: 'admin_user', id: c.var.user.id }, c.req.method === 'HEAD');
  } catch (e) {
    if (e instanceof ApiError && (e.status === 409 || e.status === 422)) return renderPayouts(c, period, { errors: [e.message] }, e.status);
    throw e;
  }
});

// Totals of what was paid in a calendar year, with each creator's full tax id: owners and finance only.
payoutRoutes.get('/payouts/year-end.csv', async (c) => {
  const takerId = requireTaxIdTaker(c);
  const raw = c.req.query('year');
  if (raw !== undefined && !isYear(raw)) throw new ApiError(422, 'invalid_year', 'Give the year as four digits, from 2000 to 2199, as 2026.');
  const brand = await brandForPayouts(c.env, c.var.user.brandId);
  return yearEndCsvResponse(c.env, brand, raw ? Number(raw) : previousYear(Date.now(), brand.timezone), { type: 'admin_user', id: takerId }, c.req.method === 'HEAD');
});

// One payout's statement, and its entries as CSV (`<id>.csv`, for those who may download the payouts file): another
// brand's payout, or an id that is none, is not found.
payoutRoutes.get('/payouts/:id', async (c) => {
  const scope = { brandId: c.var.user.brandId };
  const { id, csv } = await statementCsvOr(c.env.DB, c.req.param('id'), scope);
  if (csv) return csv;
  if (!isPayoutId(id)) throw notFound('payout');
  const [statement, line, toReview] = await Promise.all([payoutStatement(c.env.DB, id, scope), payoutLine(c.env.DB, c.env.SECRETS_KEY, scope.brandId, id), awaitingReview(c.env.DB, scope.brandId)]);
  if (!statement || !line) throw notFound('payout');
  return renderPage(c, <ConsoleStatementPage viewer={viewerOf(c)} toReview={toReview} line={line} statement={statement} canDownload={canPay(c.var.user)} />);
});

payoutRoutes.post('/payouts/reconcile', async (c) => {
  const form = await readForm(c);
  const raw = form.get('period');
  const period = isPeriod(raw) ? raw : defaultPeriod(c.var.user.timezone);
  const csv = await csvFromForm(form);
  if (csv.trim() === '') return renderPayouts(c, period, { errors: ['Choose the CSV file from your payment processor.'] }, 422);
  let items;
  try {
    items = await reconcileFile(c.env.DB, c.var.user.brandId, csv);
  } catch (e) {
    if (e instanceof ApiError && e.status === 422) {
      const details = e.details as { errors?: { line: number; message: string }[]; line?: number } | undefined;
      return renderPayouts(c, period, { reconcile: { errors: details?.errors ?? [{ line: details?.line ?? 1, message: e.message }] } }, 422);
    }
    throw e;
  }
  const origin = mailOrigin(c.env, c.req);
  if (!origin) return refuseWithoutOrigin(c, (error, status) => renderPayouts(c, period, { errors: [error] }, status));
  const results = await markPayouts(c.env, c.var.user.brandId, { type: 'admin_user', id: c.var.user.id }, items, { ctx: c.executionCtx, origin });
  const known = new Map<string, { handle: string; period: string }>();
  const ids = [...new Set(results.map((r) => r.payoutId))];
  for (let i = 0; i < ids.length; i += 90) {
    const chunk = ids.slice(i, i + 90);
    const { results: rows } = await c.env.DB.prepare(`SELECT p.id, p.period, cr.handle FROM payouts p JOIN brand_creators cr ON cr.brand_id = p.brand_id AND cr.creator_id = p.creator_id WHERE p.brand_id = ? AND p.id IN (${chunk.map(() => '?').join(', ')})`)
      .bind(c.var.user.brandId, ...chunk)
      .all<{ id: string; period: string; handle: string }>();
    for (const r of rows) known.set(r.id, r);
  }
  const lines: ReconcileLine[] = results.map((r) => ({ ...r, handle: known.get(r.payoutId)?.handle ?? null, period: known.get(r.payoutId)?.period ?? null }));
  return renderPayouts(c, period, { reconcile: { results: lines } });
});

payoutRoutes.post('/payouts/:id/mark', async (c) => {
  const form = await readForm(c);
  const raw = form.get('period');
  const period = isPeriod(raw) ? raw : defaultPeriod(c.var.user.timezone);
  const reference = paymentReference.safeParse(form.get('reference'));
  // Enter in the reference field sends no status: that is the form's first button, Paid. Anything else is refused.
  const asked = form.get('status');
  if (asked !== '' && asked !== 'paid' && asked !== 'failed') return renderPayouts(c, period, { errors: ['Mark a payout as paid or as failed.'] }, 422);
  const status = asked === 'failed' ? 'failed' : 'paid';
  if (!reference.success) return renderPayouts(c, period, { errors: ['Add the payment reference from your processor: one line, up to 200 characters.'] }, 422);
  // Why it failed, for the creator (they are mailed it): only with a failure, optional, one line.
  const reason = status === 'failed' ? failureReason.safeParse(form.get('reason').trim()) : null;
  if (reason && !reason.success) return renderPayouts(c, period, { errors: ['Say why it failed in one line, up to 200 characters (or leave it empty).'] }, 422);
  const origin = mailOrigin(c.env, c.req);
  if (!origin) return refuseWithoutOrigin(c, (error, status) => renderPayouts(c, period, { errors: [error] }, status));
  const [result] = await markPayouts(c.env, c.var.user.brandId, { type: 'admin_user', id: c.var.user.id }, [{ line: null, payoutId: c.req.param('id'), reference: reference.data, status, reason: reason?.data || null }], { ctx: c.executionCtx, origin });
  if (!result || result.outcome === 'not_found') throw notFound('payout');
  if (result.outcome === 'given_up') return renderPayouts(c, period, { errors: ['The creator gave up this payout when they closed their account: it stays failed and cannot be marked again. Nothing is owed to them.'] }, 409);
  if (result.outcome === 'conflict') return renderPayouts(c, period, { errors: ['This payout was already settled with another reference, or someone changed it while you marked it; nothing changed. Check it below before trying again.'] }, 409);
  return c.redirect(withFlash(`/console/payouts?period=${period}`, result.outcome), 303);
});
