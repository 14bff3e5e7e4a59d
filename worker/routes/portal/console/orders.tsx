// Orders in the console: the admin API's order list as a page, filtered and paged by GET links (every role may
// read it); owners and managers decline an order's commission there, and reinstate it (db/declines.ts).
import { Hono } from 'hono';
import { DeclineOrderPage, OrdersPage, WAITING_COUNTED, type DeclineFormValues, type OrderFilters, type OrdersOf } from '../../../../portal/console/orders';
import type { Flash, FormError } from '../../../../portal/layout';
import { declineConversion, declineStakes, DECLINE_NOTE_MAX, declineReasons, reinstateConversion } from '../../../db/declines';
import { ApiError, notFound } from '../../../lib/errors';
import { FORM_KEY, ID_PATTERN, randomToken } from '../../../lib/ids';
import { plainText } from '../../../lib/validate';
import { listConversions, ORDER_ID_FILTER, positionOf } from '../../../db/conversion-list';
import { dayEnd, dayStart, isDay, zoneOrUtc } from '../../../domain/periods';
import { decodeCursor, pageOf } from '../../../lib/cursor';
import { ordersCsvResponse } from '../../admin/conversions';
import { viewerOf } from './campaigns';
import { canPay, canWrite, flashOf, readForm, renderPage, withFlash, type ConsoleContext, type ConsoleEnv } from './context';
import { awaitingReview, campaignOptions } from './queries';

export const orderRoutes = new Hono<ConsoleEnv>();

const ORDERS_PER_PAGE = 50;
const ATTRIBUTIONS = ['code', 'click', 'none', 'renewal', 'returning'] as const;

// A filter the page did not offer (an edited URL) is dropped rather than refused, as the review queue does.
const queryOf = (c: ConsoleContext, name: string) => (c.req.query(name) ?? '').trim();

function filtersOf(c: ConsoleContext): OrderFilters {
  const q = (name: string) => queryOf(c, name);
  return {
    campaignId: ID_PATTERN.test(q('campaign')) ? q('campaign') : null,
    attribution: ATTRIBUTIONS.find((a) => a === q('attribution')) ?? null,
    orderId: ORDER_ID_FILTER.test(q('order')) ? q('order') : null,
    enrollmentId: ID_PATTERN.test(q('enrollment')) ? q('enrollment') : null,
    ...dayRange(q('from'), q('to')),
  };
}

// The days a brand typed, in order: a range given backwards is the same range.
function dayRange(from: string, to: string): Pick<OrderFilters, 'from' | 'to'> {
  const [a, b] = [isDay(from) ? from : null, isDay(to) ? to : null];
  return a && b && a > b ? { from: b, to: a } : { from: a, to: b };
}

// Days are the brand's: from the start of `from` to the end of `to`, in its timezone.
const asFilter = (f: OrderFilters, timeZone: string) => ({
  campaignId: f.campaignId ?? undefined,
  ...(f.attribution === 'renewal' ? { renewals: 'only' as const } : f.attribution === 'returning' ? { returningCustomers: 'only' as const } : { attribution: f.attribution ?? undefined }),
  orderId: f.orderId ?? undefined,
  enrollmentId: f.enrollmentId ?? undefined,
  from: f.from ? dayStart(f.from, zoneOrUtc(timeZone)) : undefined,
  to: f.to ? dayEnd(f.to, zoneOrUtc(timeZone)) : undefined,
});

// The creator and campaign an `enrollment` filter names, for the page to say whose orders it shows; null
// for one that is not this brand's (the filter, scoped by brand, then finds nothing).
const ordersOf = (db: D1Database, brandId: string, enrollmentId: string) =>
  db
    .prepare(
      `SELECT cr.display_name AS name, cr.handle, c.name AS campaign FROM enrollments e JOIN roster cr ON cr.brand_id = e.brand_id AND cr.creator_id = e.creator_id JOIN campaigns c ON c.id = e.campaign_id
       WHERE e.id = ? AND e.brand_id = ?`,
    )
    .bind(enrollmentId, brandId)
    .first<OrdersOf>();

// Refunds that named an order Chorus has not recorded: applied when it arrives, so one that waits long usually
// names a mistyped order id, and its commission stays paid. Oldest first, a page's worth, and counted up to
// WAITING_COUNTED. Stripe's are left out: a refund of a payment Chorus never records (a subscription payment
// no creator brought) waits for ever by design.
export type WaitingRefund = { refundId: string; orderId: string; amountMinor: number; currency: string; source: string; receivedAt: number };
const WAITING_SHOWN = 20;
const WAITING = "brand_id = ? AND status = 'pending' AND source <> 'stripe'";
async function waitingRefunds(db: D1Database, brandId: string): Promise<{ shown: WaitingRefund[]; total: number }> {
  const [rows, count] = await db.batch([
    db
      .prepare(`SELECT external_refund_id, external_order_id, amount_minor, currency, source, created_at FROM refunds WHERE ${WAITING} ORDER BY created_at LIMIT ${WAITING_SHOWN}`)
      .bind(brandId),
    db.prepare(`SELECT count(*) AS n FROM (SELECT 1 FROM refunds WHERE ${WAITING} LIMIT ${WAITING_COUNTED})`).bind(brandId),
  ]);
  type Row = { external_refund_id: string; external_order_id: string; amount_minor: number; currency: string; source: string; created_at: number };
  const shown = ((rows?.results ?? []) as Row[]).map((r) => ({ refundId: r.external_refund_id, orderId: r.external_order_id, amountMinor: r.amount_minor, currency: r.currency, source: r.source, receivedAt: r.created_at }));
  return { shown, total: ((count?.results ?? [])[0] as { n: number } | undefined)?.n ?? 0 };
}

// The same orders as a file, for finance; like every console download that carries money, owners, managers and finance only (enforceRole).
orderRoutes.get('/orders/export.csv', (c) => ordersCsvResponse(c.env.DB, { id: c.var.user.brandId, slug: c.var.user.brandSlug }, asFilter(filtersOf(c), c.var.user.timezone)));

orderRoutes.get('/orders', async (c) => {
  const filters = filtersOf(c);
  const after = decodeCursor(queryOf(c, 'cursor')) ?? undefined;
  const { brandId, timezone } = c.var.user;
  const [rows, campaigns, toReview, of, waiting] = await Promise.all([
    listConversions(c.env.DB, brandId, { ...asFilter(filters, timezone), after }, ORDERS_PER_PAGE + 1),
    campaignOptions(c.env.DB, brandId),
    awaitingReview(c.env.DB, brandId),
    filters.enrollmentId ? ordersOf(c.env.DB, brandId, filters.enrollmentId) : null,
    after === undefined ? waitingRefunds(c.env.DB, brandId) : { shown: [], total: 0 },
  ]);
  const page = pageOf(rows, ORDERS_PER_PAGE, positionOf);
  return renderPage(
    c,
    <OrdersPage
      viewer={viewerOf(c)}
      canDownload={canPay(c.var.user)}
      filters={filters}
      of={of}
      campaigns={campaigns}
      orders={page.rows}
      nextCursor={page.nextCursor}
      paged={after !== undefined}
      now={Date.now()}
      toReview={toReview}
      waiting={waiting}
      canWrite={canWrite(c.var.user)}
      formKey={randomToken(16)}
      flash={flashOf(FLASH, c)}
    />,
  );
});

const FLASH: Record<string, Flash> = {
  declined: { tone: 'success', text: 'Commission declined. The creator no longer earns on this order, and it no longer counts in their results.' },
  declined_already: { tone: 'info', text: 'That order’s commission was declined already (or the form was sent twice), so nothing changed.' },
  reinstated: { tone: 'success', text: 'Commission reinstated. The creator earns on this order again, and it counts in their results.' },
  reinstated_already: { tone: 'info', text: 'That order’s commission stands already, so nothing changed.' },
  declined_again: { tone: 'info', text: 'That order was declined again after the page you reinstated it from was loaded, so nothing changed. Reinstate it from its row as it is now.' },
  commission_in_payout: { tone: 'error', text: 'That order’s commission is in a payout already. Add an adjustment on the creator’s page instead.' },
};

const noteSchema = plainText(DECLINE_NOTE_MAX, 'one', `A note is at most ${DECLINE_NOTE_MAX} characters.`);
const orderPath = (orderId: string) => `/console/orders?order=${encodeURIComponent(orderId)}`;

// The brand's order by Chorus's id, as the list has it; another brand's (or a malformed id) is a 404.
async function orderOr404(c: ConsoleContext) {
  const id = c.req.param('id') ?? '';
  if (!ID_PATTERN.test(id)) throw notFound('order');
  const [o] = await listConversions(c.env.DB, c.var.user.brandId, { conversionId: id }, 1);
  if (!o) throw notFound('order');
  return o;
}

async function renderDecline(c: ConsoleContext, values: DeclineFormValues, errors?: FormError[], status?: 409 | 422) {
  const [o, toReview, stakes] = await Promise.all([orderOr404(c), awaitingReview(c.env.DB, c.var.user.brandId), declineStakes(c.env.DB, c.var.user.brandId, c.req.param('id') ?? '')]);
  return renderPage(c, <DeclineOrderPage viewer={viewerOf(c)} o={o} stakes={stakes} formKey={randomToken(16)} values={values} errors={errors} toReview={toReview} now={Date.now()} />, status);
}

orderRoutes.get('/orders/:id/decline', (c) => renderDecline(c, { reason: 'test_order', note: '' }));

orderRoutes.post('/orders/:id/decline', async (c) => {
  const o = await orderOr404(c);
  const form = await readForm(c);
  const values = { reason: form.get('reason').slice(0, 32), note: form.get('note').slice(0, 1000) };
  const errors: FormError[] = [];
  const reason = declineReasons.find((r) => r === values.reason);
  if (!reason) errors.push({ field: 'reason', text: 'Pick a reason.' });
  const note = noteSchema.safeParse(values.note);
  if (!note.success) errors.push({ field: 'note', text: note.error.issues[0]!.message });
  const key = form.get('key');
  if (!FORM_KEY.test(key)) errors.push('The form was missing a part. Reload the page and decline it again.');
  if (!reason || !note.success || errors.length > 0) return renderDecline(c, values, errors, 422);
  const { user } = c.var;
  try {
    const done = await declineConversion(c.env.DB, user.brandId, o.id, { reason, note: note.data || null }, { type: 'admin_user', id: user.id }, Date.now(), key);
    return c.redirect(withFlash(orderPath(o.external_order_id), done.declined ? 'declined' : 'declined_already'), 303);
  } catch (e) {
    if (e instanceof ApiError && e.status === 409) return renderDecline(c, values, [e.message], 409);
    throw e;
  }
});

orderRoutes.post('/orders/:id/reinstate', async (c) => {
  const o = await orderOr404(c);
  const form = await readForm(c);
  // The decline the row showed: a stale page never reinstates a newer one.
  const declineId = form.get('decline');
  if (!FORM_KEY.test(form.get('key')) || !ID_PATTERN.test(declineId)) throw new ApiError(422, 'validation_failed', 'The form was missing a part. Reload the page and try again.');
  const { user } = c.var;
  try {
    const done = await reinstateConversion(c.env.DB, user.brandId, o.id, { type: 'admin_user', id: user.id }, Date.now(), declineId);
    return c.redirect(withFlash(orderPath(o.external_order_id), done.reinstated ? 'reinstated' : done.newer ? 'declined_again' : 'reinstated_already'), 303);
  } catch (e) {
    if (e instanceof ApiError && e.code === 'commission_in_payout') return c.redirect(withFlash(orderPath(o.external_order_id), 'commission_in_payout'), 303);
    if (e instanceof ApiError && e.code === 'not_declined') return c.redirect(withFlash(orderPath(o.external_order_id), 'reinstated_already'), 303);
    throw e;
  }
});
