// Store webhooks. Both adapters verify the raw body before reading it, translate the payload into
// the same conversion and refund inputs as the signed API, and answer 200 to anything already
// recorded, so the store's own retries settle.
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { outcomeOf, receiptRef, recordReceipts } from '../db/webhook-receipts';
import { adoptPaymentRefunds, recordConversion, recordRefund, recordStripeRefundFailures, recordSubscriptionPayment, recordSubscriptionReferral, recordSubscriptionStart, type RefundView, type Skipped, type StripeFailureBooking } from '../db/conversions';
import { chargeRefundSlice, shopifyCancellation, shopifyOrder, shopifyOrderCodes, shopifyRefund, shopifyTestOrder, shopifyTestRefund, stripeAwaitsPayment, stripeCharge, stripeCheckoutSession, stripeDispute, stripeInvoice, stripeInvoicePayment, stripeRefundFailure, stripeSessionSubscription, type Parsed, type StripeCharge, type StripeDispute, type StripeRefundFailure } from '../domain/store-payloads';
import type { AppEnv } from '../env';
import { integrationBrands, type SigningBrand } from '../lib/brand-secrets';
import { ApiError, storageUnavailable } from '../lib/errors';
import { usedBy } from '../lib/last-used';
import { log } from '../lib/log';
import { verifyShopifyHmac, verifyTimestampedSignature, type SignatureCheck } from '../lib/signatures';
import { normalizeCode } from '../domain/codes';
import { routeDescriber } from '../openapi/registry';
import { WebhookReceipt } from '../openapi/schemas';

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new ApiError(400, 'malformed_request', 'The body is not valid JSON.');
  }
}

function unprocessable<T>(parsed: Parsed<T>): T {
  if (!parsed.ok) throw new ApiError(422, 'unsupported_payload', 'The payload is missing fields Chorus needs.', { reason: parsed.reason });
  return parsed.value;
}

// What a store's retry cannot change is acknowledged (200) and logged, never an endless retry loop: an order
// edited after we recorded it, or one in another currency than the brand's (a store whose webhook keeps
// failing drops the subscription or the endpoint).
const IGNORED: Record<string, string | undefined> = { idempotency_conflict: 'webhook_conflict_ignored', currency_mismatch: 'webhook_currency_ignored' };

async function settle<T>(work: Promise<T>, ignoring = IGNORED): Promise<{ result: T | null; ignored?: string }> {
  try {
    return { result: await work };
  } catch (e) {
    const event = e instanceof ApiError ? ignoring[e.code] : undefined;
    if (!event || !(e instanceof ApiError)) throw e;
    log.warn(event, { error: e });
    return { result: null, ignored: e.code };
  }
}

// The brand, of those that connected this shop or Stripe account name, whose secret verifies the call. An
// unknown name still costs one HMAC (a stand-in secret), so timing does not tell which names are connected;
// a header that is missing, malformed or out of tolerance fails the same way for every brand.
const UNKNOWN_ACCOUNT_SECRETS = ['no-such-account-secret-0000000000'];
const ACCOUNT_NAME = /^[a-z0-9][a-z0-9.-]{1,99}$/;

// A delivery for a connected store whose signature does not verify goes in the log of the brand that connected
// that name (a wrong secret is the commonest setup mistake), at most once a minute per connection and isolate,
// so forged calls cannot fill it. Only when one brand connected it: another brand that connected the same name
// learns nothing of the first's deliveries. Its topic is unverified, so only one Chorus reads is named.
const REFUSED_LOG_EVERY_MS = 60_000;
const SHOPIFY_TOPICS = new Set(['orders/create', 'orders/paid', 'orders/cancelled', 'refunds/create']);
const refusedLogged = new Map<string, number>();
function refusedWorthLogging(integrationId: string, now: number): boolean {
  const last = refusedLogged.get(integrationId);
  if (last !== undefined && now - last < REFUSED_LOG_EVERY_MS) return false;
  if (refusedLogged.size >= 1_000) refusedLogged.clear();
  refusedLogged.set(integrationId, now);
  return true;
}

async function verifiedBrand(c: Context<AppEnv>, provider: 'shopify' | 'stripe', account: string, topic: string, verify: (secrets: readonly string[]) => Promise<SignatureCheck>) {
  const brands = ACCOUNT_NAME.test(account) ? await integrationBrands(c.env, provider, account) : [];
  if (brands.length === 0) {
    const check = await verify(UNKNOWN_ACCOUNT_SECRETS);
    return { brand: null, reason: check.ok ? 'mismatch' : check.reason };
  }
  let reason = 'mismatch';
  for (const brand of brands) {
    const check = await verify(brand.secrets);
    if (check.ok) {
      const integrationId = brand.secretIds[check.secret]!;
      usedBy(c, 'store', integrationId);
      c.set('storeDelivery', { provider, account, topic, to: [{ brandId: brand.id, integrationId }], verified: true });
      return { brand, reason: null };
    }
    reason = check.reason;
    if (reason !== 'mismatch') break;
  }
  const now = Date.now();
  const only = brands.length === 1 ? brands[0]! : null;
  const to = only ? only.secretIds.filter((id) => refusedWorthLogging(id, now)).map((integrationId) => ({ brandId: only.id, integrationId })) : [];
  if (to.length > 0) c.set('storeDelivery', { provider, account, topic: SHOPIFY_TOPICS.has(topic) ? topic : '', to, verified: false });
  return { brand: null, reason };
}

// Of an order's codes, the first that is one of the brand's creators' codes (in any state: an expired one is
// still the creator's, and says so on the order); the first of them when none is.
const CODES_OF_BRAND = (n: number) => `SELECT code FROM discount_codes WHERE brand_id = ? AND code IN (${Array.from({ length: n }, () => '?').join(', ')})`;
async function creatorCodeAmong(db: D1Database, brand: SigningBrand, codes: string[]): Promise<string | null> {
  if (codes.length < 2) return codes[0] ?? null;
  const normalized = codes.map((code) => normalizeCode(code));
  const asked = [...new Set(normalized.filter((n): n is string => n !== null))];
  if (asked.length === 0) return codes[0]!;
  const { results } = await db.prepare(CODES_OF_BRAND(asked.length)).bind(brand.id, ...asked).all<{ code: string }>();
  const known = new Set(results.map((r) => r.code));
  const at = normalized.findIndex((n) => n !== null && known.has(n));
  return codes[at === -1 ? 0 : at]!;
}

// Test orders earn nothing and are not recorded, but ones recorded before Chorus ignored them (a developer's
// first test order) are still cancelled and refunded as any order is, so their commission can be taken back.
const RECORDED_ORDER = 'SELECT 1 FROM conversions WHERE brand_id = ? AND external_order_id = ?';
async function testOrderToIgnore(db: D1Database, brand: SigningBrand, orderId: unknown): Promise<boolean> {
  const id = typeof orderId === 'string' || typeof orderId === 'number' ? String(orderId).slice(0, 128) : null;
  return id === null || (await db.prepare(RECORDED_ORDER).bind(brand.id, id).first()) === null;
}

async function brandClickParam(c: Context<AppEnv>, brand: SigningBrand): Promise<string> {
  const row = await c.env.DB.prepare('SELECT click_param FROM brands WHERE id = ?').bind(brand.id).first<{ click_param: string }>();
  return row?.click_param ?? 'cid';
}

// What a charge's refunds are measured against, read afresh on every try: the order they belong to, its
// priced amount, and the Stripe refunds recorded for it so far, where a chain of slices continues
// (domain/store-payloads.ts). The order is the one the charge's PaymentIntent keys (a Checkout payment),
// else the recorded invoice that payment paid (a subscription payment, paired by invoice_payment.paid),
// else the PaymentIntent, where a refund that comes first waits for its order (db/conversions.ts
// adoptPaymentRefunds moves it once the invoice's order and its pairing are both in). The chain is the highest
// running total seen, failed refunds included: a failure is booked as a row of its own (bookRefundFailures) that
// the chain leaves out, so its start never moves back.
// ?1 brand, ?2 the charge's own order id (its PaymentIntent, or the charge).
const CHARGE_REFUNDS_STATE = `WITH paired AS (SELECT invoice_id FROM stripe_invoice_payments WHERE brand_id = ?1 AND payment_ref = ?2),
resolved AS (SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM conversions WHERE brand_id = ?1 AND external_order_id = ?2)
    AND EXISTS (SELECT 1 FROM conversions WHERE brand_id = ?1 AND external_order_id = (SELECT invoice_id FROM paired))
  THEN (SELECT invoice_id FROM paired) ELSE ?2 END AS order_id)
SELECT r.order_id,
  (SELECT amount_minor FROM conversions WHERE brand_id = ?1 AND external_order_id = r.order_id) AS priced,
  (SELECT COALESCE(SUM(amount_minor), 0) FROM refunds WHERE brand_id = ?1 AND external_order_id = r.order_id AND source = 'stripe' AND amount_minor > 0) AS recorded
FROM resolved r`;

// A slice another delivery recorded first is read again, not acknowledged: one delivery wins every round,
// so a delivery loses at most once per other total racing it; past a handful, a 503 the store retries.
// So is one held under the charge's PaymentIntent or the invoice it paid, which a refund moving between the
// two holds. A slice id held by a refund of another order is no race (slice ids name their order, so only a
// refund posted to /v1/refunds under such an id can hold one): reading again never helps, so it is
// acknowledged and logged as a conflict, as a replayed order with another payload is.
const SLICE_RACES = 4;
const SLICE_HOLDER = 'SELECT external_order_id FROM refunds WHERE brand_id = ? AND external_refund_id = ?';
const IGNORED_BUT_RACES = { currency_mismatch: IGNORED.currency_mismatch };

// Which invoice a payment paid, kept from invoice_payment.paid (and from invoice.paid in API versions that
// still name its PaymentIntent) for the charge.refunded that names only the payment. The caller then lets
// refunds that came first find their order (db/conversions.ts adoptPaymentRefunds), once that order may exist.
const REMEMBER_INVOICE_PAYMENT = 'INSERT INTO stripe_invoice_payments (brand_id, payment_ref, invoice_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING';
const rememberInvoicePayment = (db: D1Database, brand: SigningBrand, paymentRef: string, invoiceId: string) =>
  db.prepare(REMEMBER_INVOICE_PAYMENT).bind(brand.id, paymentRef, invoiceId, Date.now()).run();

// What a Stripe order's recording answers, a subscription payment that credits nobody included.
const receiptOf = ({ result, ignored }: { result: { data: unknown } | Skipped | null; ignored?: string }) =>
  result && 'skipped' in result ? { received: true as const, ignored: result.skipped } : { received: true as const, data: result?.data ?? null, ...(ignored ? { ignored } : {}) };

// Refunds of this payment left waiting under it while the invoice it paid is recorded (an earlier try
// that failed between the two, or a pairing that landed in between) are moved to that invoice's order
// first, so the chain continues where they end.
const PAIRED_INVOICE = 'SELECT invoice_id FROM stripe_invoice_payments WHERE brand_id = ? AND payment_ref = ?';
async function adoptWaiting(db: D1Database, brand: SigningBrand, paymentRef: string) {
  const invoiceId = await db.prepare(PAIRED_INVOICE).bind(brand.id, paymentRef).first<string>('invoice_id');
  if (invoiceId) await adoptPaymentRefunds(db, brand, invoiceId);
}

async function recordChargeRefunds(db: D1Database, brand: SigningBrand, paid: StripeCharge) {
  const recorded = await sliceChargeRefunds(db, brand, paid);
  // The total a failure is measured against rises only once its slice is in (a try that fails before leaves it).
  await db.prepare(RAISE_CHARGE_REFUNDED).bind(brand.id, paid.chargeId, paid.refundedMinor).run();
  // Failures that came before this charge.refunded are booked once they account for all of its total.
  return withFailed(recorded, await bookRefundFailures(db, brand, paid.chargeId, paid.orderId));
}

async function sliceChargeRefunds(db: D1Database, brand: SigningBrand, paid: StripeCharge) {
  await db.prepare(REMEMBER_CHARGE).bind(brand.id, paid.chargeId, paid.amountMinor, paid.currency, Date.now()).run();
  const state = () => db.prepare(CHARGE_REFUNDS_STATE).bind(brand.id, paid.orderId).first<{ order_id: string; priced: number | null; recorded: number }>();
  await adoptWaiting(db, brand, paid.orderId);
  for (let races = 0; ; races++) {
    const chain = await state();
    const charge = { ...paid, orderId: chain?.order_id ?? paid.orderId };
    const slice = chargeRefundSlice(charge, chain?.priced ?? null, chain?.recorded ?? 0, Date.now());
    if (!slice) return { data: [] };
    if (races === SLICE_RACES) throw storageUnavailable('Other deliveries are recording refunds of this charge; retry.');
    try {
      const { result, ignored } = await settle(recordRefund(db, brand, slice, 'stripe'), IGNORED_BUT_RACES);
      // Left waiting under the payment: the pairing, and the invoice, read after the insert, so one that
      // landed since the state was read (and adopted before this refund existed) is not missed.
      if (slice.orderId === paid.orderId) await adoptWaiting(db, brand, paid.orderId);
      return { data: [result?.data ?? null], ...(ignored ? { ignored } : {}) };
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 'idempotency_conflict')) throw e;
      const holder = await db.prepare(SLICE_HOLDER).bind(brand.id, slice.refundId).first<string>('external_order_id');
      // Compared with the pairing as it stands now: a racing refund may have been moved to the invoice since.
      const paired = holder === null ? null : await db.prepare(PAIRED_INVOICE).bind(brand.id, paid.orderId).first<string>('invoice_id');
      if (holder !== null && holder !== charge.orderId && holder !== paid.orderId && holder !== paired) {
        log.warn(IGNORED.idempotency_conflict!, { error: e, refundId: slice.refundId, orderId: charge.orderId, heldBy: holder });
        return { data: [null], ignored: e.code };
      }
    }
  }
}

// ---------- Stripe refunds that failed ----------
//
// A refund that fails (a closed, lost or stolen card) or is cancelled sends the money back to the merchant, so the
// creator earns again what it took. Stripe names the refund, its charge and its amount, but Chorus recorded the
// charge's refunds as slices of its running total (above), which need not match Stripe's refunds one to one: a
// slice may hold several refunds, or part of one, priced at face value (recorded before its order) or as a share of
// the order's priced amount. So no single failure can be priced exactly against them, and Chorus cannot even tell
// whether a failed refund is one its recorded total holds (one made since the last charge.refunded Chorus saw is
// not, and the refund carries nothing that says so). The one case that is exact: every refund that total holds
// has failed. A charge's failures are therefore booked once they add up to exactly the highest amount_refunded
// Chorus recorded for it (stripe_charges.refunded_minor, raised only after its slice is in): then everything its
// rows still stand at comes back, however they were priced, which is exactly what their reversals took. Until
// then a failure is kept and changes nothing: a failure that comes before its refund's charge.refunded, or before
// its order (both of which book it when they arrive), one of a refund Chorus never recorded, and one of a charge
// with other refunds still standing; and one of a charge whose total Chorus never kept (refunded before this
// version, or forgotten by retention), which it cannot measure. Each booking is a row of its own (db/money.ts
// INSERT_STRIPE_FAILURE) with a negative amount; failures booked together split the rest in proportion to their
// amounts, the last taking what rounding left.
const REMEMBER_CHARGE = 'INSERT INTO stripe_charges (brand_id, charge_ref, amount_minor, currency, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING';
const RAISE_CHARGE_REFUNDED = 'UPDATE stripe_charges SET refunded_minor = MAX(COALESCE(refunded_minor, 0), ?3) WHERE brand_id = ?1 AND charge_ref = ?2';
const REMEMBER_FAILURE = `INSERT INTO stripe_refund_failures (brand_id, refund_ref, charge_ref, payment_ref, amount_minor, currency, failed_at, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`;
const failureRowId = (chargeRef: string, refundRef: string) => `${chargeRef}@${refundRef}@failed`;

// All of a charge's failures, whether booked yet, with its order, the order's priced amount, the charge's highest
// refunded total (null when not kept) and what the charge's rows of that order stand at: its slices, less its
// failures booked (every row keyed "<charge>@…" and no other: slice and failure ids start with the charge).
// ?1 brand, ?2 the charge's own order id (its PaymentIntent, or the charge), ?3 charge.
const CHARGE_FAILURES = `WITH state AS (${CHARGE_REFUNDS_STATE})
SELECT f.refund_ref, f.amount_minor, f.currency, f.failed_at, s.order_id, s.priced, ch.refunded_minor AS charge_refunded,
  EXISTS (SELECT 1 FROM refunds x WHERE x.brand_id = ?1 AND x.external_refund_id = ?3 || '@' || f.refund_ref || '@failed') AS booked,
  (SELECT COALESCE(SUM(r.amount_minor), 0) FROM refunds r WHERE r.brand_id = ?1 AND r.external_order_id = s.order_id
    AND r.external_refund_id >= ?3 || '@' AND r.external_refund_id < ?3 || 'A' AND r.status <> 'failed') AS standing
FROM stripe_refund_failures f CROSS JOIN state s
LEFT JOIN stripe_charges ch ON ch.brand_id = ?1 AND ch.charge_ref = ?3
WHERE f.brand_id = ?1 AND f.charge_ref = ?3 AND s.priced IS NOT NULL
ORDER BY f.failed_at, f.refund_ref`;

type ChargeFailure = { refund_ref: string; amount_minor: number; currency: string; failed_at: number; order_id: string; priced: number; charge_refunded: number | null; booked: number; standing: number };

// Which of a charge's failures to book now, and for how much (the rule above): none unless they add up to its
// recorded total; then the ones not booked yet share what its rows stand at.
function failuresToBook(chargeRef: string, rows: ChargeFailure[]): StripeFailureBooking[] {
  const first = rows[0];
  if (!first || first.charge_refunded === null || first.standing <= 0) return [];
  if (rows.reduce((sum, f) => sum + f.amount_minor, 0) !== first.charge_refunded) return [];
  const waiting = rows.filter((f) => !f.booked);
  const weight = BigInt(waiting.reduce((sum, f) => sum + f.amount_minor, 0));
  let left = first.standing;
  return waiting.map((f, i) => {
    const share = i === waiting.length - 1 || weight === 0n ? left : Number((BigInt(first.standing) * BigInt(f.amount_minor)) / weight);
    left -= share;
    return { refundId: failureRowId(chargeRef, f.refund_ref), chargeId: chargeRef, orderId: f.order_id, amountMinor: share, currency: f.currency, failedAt: f.failed_at };
  }).filter((b) => b.amountMinor > 0);
}

async function bookRefundFailures(db: D1Database, brand: SigningBrand, chargeRef: string, paymentRef: string) {
  const { results } = await db.prepare(CHARGE_FAILURES).bind(brand.id, paymentRef, chargeRef).all<ChargeFailure>();
  return recordStripeRefundFailures(db, brand, failuresToBook(chargeRef, results));
}

// Once a Stripe order is recorded (or paired with its payment), the failures of its charges that waited for it:
// those named by the order's own id (its PaymentIntent) or by a payment paired with it (an invoice's).
const FAILURES_OF_ORDER = `SELECT DISTINCT charge_ref, payment_ref FROM stripe_refund_failures
WHERE brand_id = ?1 AND (payment_ref = ?2 OR payment_ref IN (SELECT payment_ref FROM stripe_invoice_payments WHERE brand_id = ?1 AND invoice_id = ?2))`;
async function bookOrderFailures(db: D1Database, brand: SigningBrand, orderId: string) {
  const { results } = await db.prepare(FAILURES_OF_ORDER).bind(brand.id, orderId).all<{ charge_ref: string; payment_ref: string }>();
  const booked: RefundView[] = [];
  for (const f of results) booked.push(...(await bookRefundFailures(db, brand, f.charge_ref, f.payment_ref)));
  return booked;
}
const withFailed = <T extends object>(receipt: T, failed: RefundView[]) => (failed.length > 0 ? { ...receipt, failed } : receipt);

// A subscription's order (its first checkout or an invoice) is in, or paired with its payment: refunds of the
// payment that came first move to it, then failures of those refunds that waited for it are booked.
async function settleOrderRefunds<T extends object>(db: D1Database, brand: SigningBrand, orderId: string, receipt: T) {
  await adoptPaymentRefunds(db, brand, orderId);
  return withFailed(receipt, await bookOrderFailures(db, brand, orderId));
}

async function recordRefundFailure(db: D1Database, brand: SigningBrand, failure: StripeRefundFailure) {
  await db
    .prepare(REMEMBER_FAILURE)
    .bind(brand.id, failure.refundRef, failure.chargeRef, failure.paymentRef, failure.amountMinor, failure.currency, failure.failedAt, Date.now())
    .run();
  await adoptWaiting(db, brand, failure.paymentRef);
  return { data: await bookRefundFailures(db, brand, failure.chargeRef, failure.paymentRef) };
}

// A lost dispute takes back what was disputed, up to what its order has left (a dispute of the whole charge, tax
// and shipping included, takes the rest of the order): a refund keyed by the dispute, whose amount leaves its
// own earlier copy out, so a redelivery is an exact replay. Its order is found as a
// charge's refunds find theirs; a dispute of an order Chorus never recorded records nothing. A brand's decline
// (db/declines.ts) is no money the shopper got back, so it is left out: the dispute stands if the order is reinstated.
const ORDER_LEFT = `WITH state AS (${CHARGE_REFUNDS_STATE})
SELECT s.order_id, s.priced, s.priced - COALESCE((SELECT SUM(amount_minor) FROM refunds WHERE brand_id = ?1 AND external_order_id = s.order_id AND external_refund_id <> ?3 AND status <> 'failed' AND source <> 'decline'), 0) AS left
FROM state s`;
async function recordLostDispute(db: D1Database, brand: SigningBrand, dispute: StripeDispute) {
  const refundId = `dispute:${dispute.disputeId}`;
  const order = await db.prepare(ORDER_LEFT).bind(brand.id, dispute.orderId, refundId).first<{ order_id: string; priced: number | null; left: number | null }>();
  if (!order || order.priced === null || order.left === null || order.left <= 0 || dispute.amountMinor === 0) return { result: null };
  const amountMinor = Math.min(order.left, dispute.amountMinor);
  return settle(recordRefund(db, brand, { refundId, orderId: order.order_id, amountMinor, currency: dispute.currency, occurredAt: dispute.occurredAt }, 'stripe'));
}

// The events that carry a refund whose status may have become failed or canceled.
const REFUND_UPDATES = new Set(['refund.failed', 'refund.updated', 'charge.refund.updated']);

const op = routeDescriber({ tag: 'Store webhooks', auth: null });

const receipt = {
  200: {
    description: 'Received. Orders and refunds answer with what was recorded (or already was); other topics are acknowledged and ignored, so the store stops retrying.',
    schema: WebhookReceipt,
  },
} as const;

// Each answer to a connected store goes in its delivery log (db/webhook-receipts.ts), after the response.
async function logDelivery(c: Context<AppEnv>, next: () => Promise<void>) {
  await next();
  const delivery = c.get('storeDelivery');
  if (!delivery) return;
  const status = c.res.status;
  const body = await c.res
    .clone()
    .json()
    .catch(() => null);
  const { outcome, detail } = outcomeOf(status, body);
  const ref = delivery.verified ? receiptRef(delivery.provider, await c.req.text()) : null;
  const receipts = delivery.to.map((t) => ({ ...t, provider: delivery.provider, account: delivery.account, topic: delivery.topic || '(none)', ref, status, outcome, detail }));
  c.executionCtx.waitUntil(recordReceipts(c.env.DB, receipts).catch((error: unknown) => log.warn('webhook_receipt_failed', { error })));
}

export const webhooks = new Hono<AppEnv>()
  .use(logDelivery)
  .post(
    '/shopify',
    op({
      summary: 'Shopify order and refund webhooks',
      description:
        'Point the Shopify webhooks `orders/create` and `orders/paid` (they settle to one order; only `orders/create` records an order not paid yet when it is placed), `orders/cancelled` and `refunds/create` here, JSON format. A cancelled order takes back its whole commission, paid or not. Test orders, and their cancellations and refunds, are acknowledged and not recorded (`ignored: test_mode`); an order that cost nothing for goods records nothing (`data: null`). The raw body is verified with the shop\'s webhook secret before it is read; the click id comes from the order\'s `chorus_cid` note attribute (set by /sdk.js) or its landing site URL, the code from the first of its discount codes that is a creator\'s (a creator\'s code combined with free shipping still credits them). Orders are priced on their subtotal after discounts; a refund takes back its line items\' subtotal (shop money), so refunded tax and shipping take no commission back, and a refund of no goods records nothing (`data: null`). Amounts and times outside what POST /v1/conversions accepts are a 422.',
      auth: 'shopifyHmac',
      headers: z.object({
        'X-Shopify-Shop-Domain': z.string().meta({ description: 'The shop, e.g. fernway.myshopify.com; must match a connected integration.', examples: ['fernway.myshopify.com'] }),
        'X-Shopify-Topic': z.string().meta({ description: 'orders/create, orders/paid, orders/cancelled or refunds/create; any other topic is acknowledged and ignored.', examples: ['orders/create'] }),
      }),
      bodyDescription: 'The order or refund resource exactly as Shopify sends it.',
      responses: receipt,
      errors: { 422: ['unsupported_payload'] },
    }),
    async (c) => {
      const shop = c.req.header('x-shopify-shop-domain') ?? '';
      const raw = await c.req.text();
      const header = c.req.header('x-shopify-hmac-sha256');
      const topic = c.req.header('x-shopify-topic') ?? '';
      const { brand, reason } = await verifiedBrand(c, 'shopify', shop, topic, (secrets) => verifyShopifyHmac(header, raw, secrets));
      if (!brand) throw new ApiError(401, 'invalid_signature', 'The X-Shopify-Hmac-Sha256 header did not verify.', { reason });
      const payload = parseJson(raw);
      if (topic === 'orders/create' || topic === 'orders/paid') {
        if (shopifyTestOrder(payload)) return c.json({ received: true, ignored: 'test_mode' });
        const code = await creatorCodeAmong(c.env.DB, brand, shopifyOrderCodes(payload));
        const input = unprocessable(shopifyOrder(payload, await brandClickParam(c, brand), Date.now(), code));
        if (!input) return c.json({ received: true, data: null });
        return c.json(receiptOf(await settle(recordConversion(c.env.DB, brand, input, 'shopify'))));
      }
      if (topic === 'orders/cancelled') {
        if (shopifyTestOrder(payload) && (await testOrderToIgnore(c.env.DB, brand, (payload as { id?: unknown }).id))) return c.json({ received: true, ignored: 'test_mode' });
        const input = unprocessable(shopifyCancellation(payload, Date.now()));
        if (!input) return c.json({ received: true, data: null });
        return c.json(receiptOf(await settle(recordRefund(c.env.DB, brand, input, 'shopify'))));
      }
      if (topic === 'refunds/create') {
        if (shopifyTestRefund(payload) && (await testOrderToIgnore(c.env.DB, brand, (payload as { order_id?: unknown }).order_id))) return c.json({ received: true, ignored: 'test_mode' });
        const input = unprocessable(shopifyRefund(payload, brand.currency, Date.now()));
        if (!input) return c.json({ received: true, data: null });
        return c.json(receiptOf(await settle(recordRefund(c.env.DB, brand, input, 'shopify'))));
      }
      return c.json({ received: true, ignored: 'topic' });
    },
  )
  .post(
    '/stripe/:account',
    op({
      summary: 'Stripe checkout, subscription and refund webhooks',
      description:
        'Point a Stripe webhook endpoint with the events `checkout.session.completed`, `checkout.session.async_payment_succeeded` and `charge.refunded` here, and for subscriptions `invoice.paid` and `invoice_payment.paid`. A subscription is brought by the creator whose code or link credits its start: its Checkout Session (a free trial\'s too, judged when it started), or, for one started without Checkout, its first credited payment on the subscription metadata\'s `chorus_code` or `chorus_cid`. Its payments (`invoice.paid` of an invoice with a subscription) earn that creator while their enrollment and the campaign still credit orders: the first always, later ones for the campaign\'s `renewalMonths` after the subscription started. Payments that credit nobody are acknowledged and not recorded (`ignored`: `not_referred`, `renewals_ended`, `first_payment_declined` while the brand declines the commission of the subscription\'s first payment, or `not_subscription` for an invoice of no subscription). An invoice is priced on its total before tax, on the share the customer paid (not what a credit balance covered). A subscription\'s first invoice is recorded once, whether its Checkout Session or its `invoice.paid` comes first. `invoice_payment.paid` (API versions from 2025-03-31) pairs an invoice with the payment that paid it, so a `charge.refunded` of a subscription payment finds it; a refund that comes before the pairing waits and is applied when it arrives. The Stripe-Signature header is verified against the endpoint secret connected for `account` before the body is read. Orders carry the click id and code in the Checkout Session metadata (`chorus_cid`, `chorus_code`; or the click id as `client_reference_id`). An order is priced on the session\'s subtotal after discounts and recorded once paid: a session completed unpaid (a delayed payment method) is acknowledged (`ignored: payment_pending`) and recorded by its `async_payment_succeeded`; one that needed no payment (fully discounted, a trial) records nothing (`data: null`). A refund takes back its share of the charge applied to the order\'s priced amount, so refunded tax and shipping take no commission back. Add `charge.dispute.closed`: a dispute the merchant lost takes back what was disputed, up to what its order has left, as a refund would (one won records nothing: `ignored: dispute_not_lost`). Add `refund.failed` (or `refund.updated` / `charge.refund.updated`): a charge\'s refunds whose status became `failed` or `canceled` give back, once, what the charge\'s refunds took of the order, as refund rows with a negative amount (`data`), once they add up to exactly the highest `amount_refunded` recorded for the charge (every refund Chorus recorded for it failed): until then, and for a charge whose total was never kept, a failure is kept and changes nothing; the `charge.refunded` or order event that completes it books it (`failed`). A failed refund of no charge is acknowledged (`ignored: refund_without_charge`); other updates too (`ignored: refund_not_failed`). Amounts and times outside what POST /v1/conversions accepts are a 422.',
      auth: 'stripeSignature',
      params: { account: 'The name the brand connected its Stripe account under (POST /api/admin/integrations with provider stripe).' },
      bodyDescription: 'The Stripe event exactly as Stripe sends it.',
      responses: receipt,
      errors: { 422: ['unsupported_payload'] },
    }),
    async (c) => {
      const account = c.req.param('account');
      const raw = await c.req.text();
      const header = c.req.header('stripe-signature');
      const now = Date.now();
      const { brand, reason } = await verifiedBrand(c, 'stripe', account, '', (secrets) => verifyTimestampedSignature(header, raw, secrets, now));
      if (!brand) throw new ApiError(401, 'invalid_signature', 'The Stripe-Signature header did not verify.', { reason });
      const event = parseJson(raw) as { type?: unknown; livemode?: unknown; data?: { object?: unknown } };
      const delivery = c.get('storeDelivery');
      if (delivery && typeof event?.type === 'string') delivery.topic = event.type;
      const object = event?.data?.object;
      // An endpoint in Stripe's test mode (its own secret) is for trying the integration: it earns nobody anything
      // (a refund or lost dispute of a test payment recorded before Chorus ignored them still takes it back).
      if (event?.livemode === false) {
        const o = (object ?? {}) as { payment_intent?: unknown; charge?: unknown; id?: unknown };
        const takesBack = event.type === 'charge.refunded' || event.type === 'charge.dispute.closed' || REFUND_UPDATES.has(event.type as string);
        const paymentRef = o.payment_intent ?? (event.type === 'charge.refunded' ? o.id : o.charge);
        if (!takesBack || (await testOrderToIgnore(c.env.DB, brand, paymentRef))) return c.json({ received: true, ignored: 'test_mode' });
      }
      if (event?.type === 'checkout.session.completed' || event?.type === 'checkout.session.async_payment_succeeded') {
        if (stripeAwaitsPayment(object)) return c.json({ received: true, ignored: 'payment_pending' });
        const input = unprocessable(stripeCheckoutSession(object, Date.now()));
        const started = stripeSessionSubscription(object, Date.now());
        if (!input) {
          // A subscription that starts without a payment (a free trial) is still brought by someone.
          if (started) await recordSubscriptionReferral(c.env.DB, brand, started.id, started.evidence);
          return c.json({ received: true, data: null });
        }
        // Once the order is in, failures of its refunds that came first are booked (bookOrderFailures).
        if (!started) {
          const settled = await settle(recordConversion(c.env.DB, brand, input, 'stripe'));
          return c.json(withFailed(receiptOf(settled), settled.result ? await bookOrderFailures(c.env.DB, brand, input.orderId) : []));
        }
        const settled = await settle(recordSubscriptionStart(c.env.DB, brand, input, started.id));
        if (!settled.result) return c.json(receiptOf(settled));
        return c.json(await settleOrderRefunds(c.env.DB, brand, input.orderId, receiptOf(settled)));
      }
      if (event?.type === 'invoice.paid') {
        const invoice = unprocessable(stripeInvoice(object, Date.now()));
        if (invoice.kind === 'one_off') return c.json({ received: true, ignored: 'not_subscription' });
        if (invoice.paymentIntent) await rememberInvoicePayment(c.env.DB, brand, invoice.paymentIntent, invoice.invoiceId);
        if (!invoice.input) return c.json({ received: true, data: null });
        const settled = await settle(recordSubscriptionPayment(c.env.DB, brand, invoice.input, invoice.subscriptionId));
        if (!settled.result || 'skipped' in settled.result) return c.json(receiptOf(settled));
        return c.json(await settleOrderRefunds(c.env.DB, brand, invoice.invoiceId, receiptOf(settled)));
      }
      if (event?.type === 'invoice_payment.paid') {
        const payment = unprocessable(stripeInvoicePayment(object));
        if (!payment) return c.json({ received: true, data: null });
        await rememberInvoicePayment(c.env.DB, brand, payment.paymentRef, payment.invoiceId);
        return c.json(await settleOrderRefunds(c.env.DB, brand, payment.invoiceId, { received: true, data: null }));
      }
      if (event?.type === 'charge.dispute.closed') {
        const dispute = unprocessable(stripeDispute(object, (event as { created?: unknown }).created, Date.now()));
        if (!dispute.lost) return c.json({ received: true, ignored: 'dispute_not_lost' });
        return c.json(receiptOf(await recordLostDispute(c.env.DB, brand, dispute)));
      }
      if (typeof event?.type === 'string' && REFUND_UPDATES.has(event.type)) {
        const failure = unprocessable(stripeRefundFailure(object, (event as { created?: unknown }).created, Date.now()));
        if (!failure) return c.json({ received: true, ignored: 'refund_not_failed' });
        if (failure === 'no_charge') return c.json({ received: true, ignored: 'refund_without_charge' });
        return c.json({ received: true, ...(await recordRefundFailure(c.env.DB, brand, failure)) });
      }
      if (event?.type === 'charge.refunded') {
        const charge = unprocessable(stripeCharge(object));
        return c.json({ received: true, ...(await recordChargeRefunds(c.env.DB, brand, charge)) });
      }
      return c.json({ received: true, ignored: 'event_type' });
    },
  );
