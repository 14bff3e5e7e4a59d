// The brand's recorded orders, for auditing attribution and money: what the store sent, who it was credited
// to, what it earned and what refunds took back. Read-only; orders come in through /v1 and the webhooks.
import { Hono } from 'hono';
import { z } from 'zod';
import { commissionStatus, listConversions, ORDER_ID_FILTER, ordersCsvStream, positionOf, type ListedConversion } from '../../db/conversion-list';
import { csvAttachment } from '../../lib/csv';
import type { AppEnv } from '../../env';
import { cursorParam, pageOf } from '../../lib/cursor';
import { notFound } from '../../lib/errors';
import { ID_PATTERN } from '../../lib/ids';
import { iso, valid } from '../../lib/validate';
import { routeDescriber } from '../../openapi/registry';
import { pagedListOf, RecordedOrder } from '../../openapi/schemas';

const id = z.string().regex(ID_PATTERN);
const instant = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));

const filters = {
    campaignId: id.optional(),
    enrollmentId: id.optional(),
    creatorId: id.optional(),
    attribution: z.enum(['code', 'click', 'none']).optional(),
    renewals: z.enum(['only', 'exclude']).optional().meta({ description: "`only`: a Stripe subscription's later payments (`renewalOf` set); `exclude`: every order but them." }),
    orderId: z.string().regex(ORDER_ID_FILTER, '1-128 characters, no control characters').optional().meta({ description: "The store's order id, exactly as it was sent." }),
    from: instant.optional().meta({ description: 'Orders that occurred at or after this instant (ISO 8601).' }),
    to: instant.optional().meta({ description: 'Orders that occurred before this instant (ISO 8601).' }),
};
const orderedRange = (q: { from?: number; to?: number }) => q.from === undefined || q.to === undefined || q.from < q.to;
const rangeIssue = { path: ['to'], message: '`to` must be after `from`.' };

export const conversionsQuery = z
  .strictObject({
    ...filters,
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: cursorParam.optional().meta({ description: '`nextCursor` of the previous page.' }),
  })
  .refine(orderedRange, rangeIssue);

export const conversionsExportQuery = z.strictObject(filters).refine(orderedRange, rangeIssue);

export function ordersCsvResponse(db: D1Database, brand: { id: string; slug: string }, filter: z.output<typeof conversionsExportQuery>): Response {
  return csvAttachment(ordersCsvStream(db, brand.id, filter), `chorus-orders-${brand.slug}-${new Date().toISOString().slice(0, 10)}.csv`);
}

export function recordedOrderView(row: ListedConversion, now: number) {
  return {
    id: row.id,
    orderId: row.external_order_id,
    amountMinor: row.amount_minor,
    currency: row.currency,
    occurredAt: iso(row.occurred_at),
    recordedAt: iso(row.created_at),
    source: row.source,
    attribution: row.attribution,
    code: row.code_raw,
    clickId: row.click_id_raw,
    awaitingClick: row.awaiting_click === 1,
    customerRef: row.customer_ref,
    creator: row.handle ? { handle: row.handle } : null,
    enrollmentId: row.enrollment_id,
    campaign: row.campaign_id && row.campaign_name ? { id: row.campaign_id, name: row.campaign_name } : null,
    commission:
      row.commission_minor === null || row.available_at === null
        ? null
        : {
            amountMinor: row.commission_minor,
            rateBps: row.rate_bps,
            tier: row.tier,
            availableAt: iso(row.available_at),
            status: commissionStatus(row, now),
          },
    bonusMinor: row.bonus_minor,
    refundedMinor: row.refunded_minor,
    reversedMinor: row.reversed_minor,
    renewalOf: row.renewal_of,
    selfPurchase: row.self_purchase !== 0,
  };
}

const op = routeDescriber({ tag: 'Conversions', auth: 'adminKey' });

export const conversionRoutes = new Hono<AppEnv>()
  .get(
    '/export.csv',
    op({
      summary: 'Export recorded orders as CSV',
      description: 'Every order the filters match, newest first, with the same fields as the list; amounts as decimals in the order currency. Streamed a page at a time.',
      responses: { 200: { description: 'RFC 4180 CSV, as an attachment.', contentType: 'text/csv', headers: { 'Content-Disposition': 'attachment; filename="chorus-orders-<brand>-<date>.csv"' } } },
      errors: { 404: ['not_found'] },
    }),
    valid('query', conversionsExportQuery),
    async (c) => {
      const brand = await c.env.DB.prepare('SELECT id, slug FROM brands WHERE id = ?').bind(c.var.admin.brandId).first<{ id: string; slug: string }>();
      if (!brand) throw notFound('brand');
      return ordersCsvResponse(c.env.DB, brand, c.req.valid('query'));
    },
  )
  .get(
    '/',
    op({
      summary: 'List recorded orders',
      description:
        'Newest first by the time the order occurred, a page at a time (`limit`, then `cursor` from `nextCursor`). Filters combine; ids of another brand match nothing. Each order carries what the store sent (code, click id), the attribution it got, its commission and what refunds reversed, and `selfPurchase` when the customer was the credited creator (no commission unless the brand allows it).',
      responses: { 200: { description: 'A page of orders.', schema: pagedListOf(RecordedOrder) } },
    }),
    valid('query', conversionsQuery),
    async (c) => {
      const { limit, cursor, ...filter } = c.req.valid('query');
      const rows = await listConversions(c.env.DB, c.var.admin.brandId, { ...filter, after: cursor }, limit + 1);
      const page = pageOf(rows, limit, positionOf);
      const now = Date.now();
      return c.json({ data: page.rows.map((r) => recordedOrderView(r, now)), hasMore: page.hasMore, nextCursor: page.nextCursor });
    },
  );
