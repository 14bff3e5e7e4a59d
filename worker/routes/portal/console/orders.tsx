// Orders in the console: the admin API's order list as a page, filtered and paged by GET links, read-only
// (every role may read it).
import { Hono } from 'hono';
import { OrdersPage, WAITING_COUNTED, type OrderFilters, type OrdersOf } from '../../../../portal/console/orders';
import { listConversions, ORDER_ID_FILTER, positionOf } from '../../../db/conversion-list';
import { dayEnd, dayStart, isDay, zoneOrUtc } from '../../../domain/periods';
import { decodeCursor, pageOf } from '../../../lib/cursor';
import { ID_PATTERN } from '../../../lib/ids';
import { ordersCsvResponse } from '../../admin/conversions';
import { viewerOf } from './campaigns';
import { canPay, renderPage, type ConsoleContext, type ConsoleEnv } from './context';
import { awaitingReview, campaignOptions } from './queries';

export const orderRoutes = new Hono<ConsoleEnv>();

const ORDERS_PER_PAGE = 50;
const ATTRIBUTIONS = ['code', 'click', 'none', 'renewal'] as const;

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
  ...(f.attribution === 'renewal' ? { renewals: 'only' as const } : { attribution: f.attribution ?? undefined }),
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
    />,
  );
});
