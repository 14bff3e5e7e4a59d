// The brand's recorded orders, for auditing attribution and money: what the store sent, who it was credited
// to, what it earned and what refunds took back. Read-only; orders come in through /v1 and the webhooks.
import { Hono } from 'hono';
import { z } from 'zod';
import { listConversions, reportedCommissionStatus, ORDER_ID_FILTER, ordersCsvStream, positionOf, type ListedConversion } from '../../db/conversion-list';
import { csvAttachment } from '../../lib/csv';
import type { AppEnv } from '../../env';
import { cursorParam, pageOf } from '../../lib/cursor';
import { notFound } from '../../lib/errors';
import { declineConversion, declineReasons, DECLINE_NOTE_MAX, reinstateConversion } from '../../db/declines';
import { ID_PATTERN } from '../../lib/ids';
import { iso, plainText, valid } from '../../lib/validate';
import { routeDescriber } from '../../openapi/registry';
import { dataOf, pagedListOf, RecordedOrder } from '../../openapi/schemas';

const id = z.string().regex(ID_PATTERN);
const instant = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));

const filters = {
    campaignId: id.optional(),
    enrollmentId: id.optional(),
    creatorId: id.optional(),
    attribution: z
      .enum(['code', 'click', 'none'])
      .optional()
      .meta({ description: "Orders a code or click credited themselves, or none; subscription renewals and returning customers' orders (which carry their first order's attribution) are left out of `code` and `click`: see `renewals` and `returningCustomers`." }),
    renewals: z.enum(['only', 'exclude']).optional().meta({ description: "`only`: a Stripe subscription's later payments (`renewalOf` set); `exclude`: every order but them." }),
    returningCustomers: z
      .enum(['only', 'exclude'])
      .optional()
      .meta({ description: "`only`: returning customers' orders credited through their first order (`returningCustomerOf` set); `exclude`: every order but them." }),
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
            status: reportedCommissionStatus(row, now),
          },
    bonusMinor: row.bonus_minor,
    refundedMinor: row.refunded_minor,
    reversedMinor: row.reversed_minor,
    renewalOf: row.renewal_of,
    returningCustomerOf: row.returning_customer_of,
    selfPurchase: row.self_purchase !== 0,
    declined:
      row.decline_reason === null || row.declined_at === null || row.declined_by_type === null || row.declined_by_id === null
        ? null
        : { reason: row.decline_reason, note: row.decline_note, at: iso(row.declined_at)!, by: { type: row.declined_by_type, id: row.declined_by_id } },
  };
}

export const declineBody = z.strictObject({
  reason: z.enum(declineReasons).meta({ description: '`test_order`, `fraud`, `duplicate` (the store sent it twice), `not_eligible` (not an order the program pays on), or `other`.' }),
  note: plainText(DECLINE_NOTE_MAX)
    .optional()
    .meta({ description: `What the creator reads beside the order: one line, at most ${DECLINE_NOTE_MAX} characters, no control characters.` }),
});

/** The order as the list has it, after a decline or a reinstatement. */
async function orderAsListed(db: D1Database, brandId: string, conversionId: string) {
  const [row] = await listConversions(db, brandId, { conversionId }, 1);
  if (!row) throw notFound('conversion');
  return recordedOrderView(row, Date.now());
}

const conversionId = (raw: string) => {
  if (!ID_PATTERN.test(raw)) throw notFound('conversion');
  return raw;
};

const DECLINE_RULES =
  "Only while the order's commission (and any bonus it earned) is in no payout yet: after, 409 `commission_in_payout` (add an adjustment to the creator's earnings instead).";

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
  )
  .post(
    '/:id/decline',
    op({
      summary: "Decline an order's commission",
      description: `For an order that should never have earned (a staff test order with a creator's code, fraud, an order the store sent twice, one the program does not cover): the creator no longer earns on it (its commission, and a bonus it brought, are reversed as a refund of the whole order would reverse them) and it counts in none of their results (tiers, bounties, the network page, reports, their portal), which show it as declined with your reason and note. ${DECLINE_RULES} An order credited to nobody is 409 \`order_not_credited\`, a creator's own order that earned nothing 409 \`order_earned_nothing\`, one refunded in full 409 \`order_refunded_in_full\`. Declining a declined order answers it as it is. A later refund from the store takes nothing more. Audited as \`conversion.declined\`; the \`conversion.declined\` webhook event tells of it.`,
      params: { id: 'The conversion id (`id` in the list, not the store\'s order id).' },
      example: { reason: 'test_order', note: 'Staff test order' },
      responses: { 200: { description: 'The order, declined.', schema: dataOf(RecordedOrder) } },
      errors: { 404: ['not_found'], 409: ['commission_in_payout', 'order_not_credited', 'order_earned_nothing', 'order_refunded_in_full'] },
    }),
    valid('json', declineBody),
    async (c) => {
      const { brandId, keyId } = c.var.admin;
      const body = c.req.valid('json');
      const id = conversionId(c.req.param('id'));
      await declineConversion(c.env.DB, brandId, id, { reason: body.reason, note: body.note || null }, { type: 'api_key', id: keyId }, Date.now());
      return c.json({ data: await orderAsListed(c.env.DB, brandId, id) });
    },
  )
  .post(
    '/:id/reinstate',
    op({
      summary: "Reinstate a declined order's commission",
      description: `Undoes a decline: the creator earns on the order again exactly what the decline took (less what the store's own refunds of it take), and it counts in their results again. ${DECLINE_RULES} An order never declined is 409 \`not_declined\`; reinstating a reinstated order answers it as it is. Audited as \`conversion.reinstated\`; the \`conversion.reinstated\` webhook event tells of it.`,
      params: { id: 'The conversion id.' },
      responses: { 200: { description: 'The order, reinstated.', schema: dataOf(RecordedOrder) } },
      errors: { 404: ['not_found'], 409: ['commission_in_payout', 'not_declined'] },
    }),
    async (c) => {
      const { brandId, keyId } = c.var.admin;
      const id = conversionId(c.req.param('id'));
      await reinstateConversion(c.env.DB, brandId, id, { type: 'api_key', id: keyId }, Date.now());
      return c.json({ data: await orderAsListed(c.env.DB, brandId, id) });
    },
  );
