// The store adapters hold orders and refunds to the basis, range and payment state the signed API records:
// priced after discounts, refunds on the same basis, unpaid checkouts not counted, out-of-range input a 422
// with nothing written, and Stripe's running refund total exact under concurrent and repeated deliveries.
import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import shopifyOrderRaw from '../../fixtures/shopify-orders-create.json?raw';
import shopifyRefundRaw from '../../fixtures/shopify-refunds-create.json?raw';
import signatures from '../../fixtures/signatures.json';
import stripeChargeRaw from '../../fixtures/stripe-charge-refunded.json?raw';
import stripeSessionRaw from '../../fixtures/stripe-checkout-session-completed.json?raw';
import { signShopify, signTimestamped } from '../../../worker/lib/signatures';
import { BASE, connectStores, createMoneyBrand, json, rowCount } from '../fixtures';

let n = 0;
const uniq = () => `${Date.now()}${n++}`;

async function stores() {
  const m = await createMoneyBrand();
  return { ...m, ...(await connectStores(m.brand, 'adapters')) };
}

const stripeRequest = async (account: string, raw: string) =>
  new Request(`${BASE}/v1/webhooks/stripe/${account}`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': await signTimestamped(signatures.stripeSecret, raw, Date.now()) }, body: raw });
const stripe = async (account: string, raw: string) => SELF.fetch(await stripeRequest(account, raw));
const shopify = async (shop: string, topic: string, raw: string) =>
  SELF.fetch(`${BASE}/v1/webhooks/shopify`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-shopify-shop-domain': shop, 'x-shopify-topic': topic, 'x-shopify-hmac-sha256': await signShopify(signatures.shopifySecret, raw) }, body: raw });

// The fixture event with a fresh PaymentIntent, this brand's code and a current time.
function sessionEvent(m: { code: string }, patch: Record<string, unknown> = {}, type = 'checkout.session.completed') {
  const event = JSON.parse(stripeSessionRaw);
  event.type = type;
  Object.assign(event.data.object, { payment_intent: `pi_${uniq()}`, metadata: { chorus_code: m.code }, created: Math.floor(Date.now() / 1000) }, patch);
  return { raw: JSON.stringify(event), paymentIntent: event.data.object.payment_intent as string };
}

function chargeEvent(paymentIntent: string, patch: Record<string, unknown>) {
  const event = JSON.parse(stripeChargeRaw);
  Object.assign(event.data.object, { id: `ch_${paymentIntent}`, payment_intent: paymentIntent }, patch);
  return JSON.stringify(event);
}

// The fixture order with a fresh id, this brand's code and a current time.
function shopifyOrder(m: { code: string }, patch: Record<string, unknown> = {}) {
  return { ...JSON.parse(shopifyOrderRaw), id: Number(uniq()), created_at: new Date().toISOString(), discount_codes: [{ code: m.code, amount: '14.85', type: 'percentage' }], ...patch };
}

const written = async (brandId: string) => ({
  conversions: await rowCount('SELECT count(*) AS n FROM conversions WHERE brand_id = ?', brandId),
  refunds: await rowCount('SELECT count(*) AS n FROM refunds WHERE brand_id = ?', brandId),
  ledger: await rowCount('SELECT count(*) AS n FROM ledger_entries WHERE brand_id = ?', brandId),
});
const nothing = { conversions: 0, refunds: 0, ledger: 0 };
const errorCode = async (res: Response) => ({ status: res.status, code: (await json<{ error: { code: string } }>(res)).error.code });

type Receipt = { received: true; data: unknown; ignored?: string };
type ConversionData = { amountMinor: number; commission: { amountMinor: number } };

describe('Stripe Checkout: what an order is priced on, and when it counts', () => {
  it('prices on the subtotal after discounts, before shipping and tax (amount_subtotal is before discounts)', async () => {
    const m = await stores();
    const body = await json<{ data: ConversionData }>(await stripe(m.stripeAccount, sessionEvent(m).raw));
    expect(body.data).toMatchObject({ amountMinor: 8415, commission: { amountMinor: 841 } });
  });

  it('acknowledges a session completed unpaid without recording it, and records it when its payment succeeds', async () => {
    const m = await stores();
    const { raw } = sessionEvent(m, { payment_status: 'unpaid' });
    expect(await json<Receipt>(await stripe(m.stripeAccount, raw))).toEqual({ received: true, ignored: 'payment_pending' });
    expect(await written(m.brand.brandId)).toEqual(nothing);
    const paid = JSON.parse(raw);
    Object.assign(paid, { id: `evt_${uniq()}`, type: 'checkout.session.async_payment_succeeded' });
    paid.data.object.payment_status = 'paid';
    const res = await stripe(m.stripeAccount, JSON.stringify(paid));
    expect(res.status).toBe(200);
    expect((await json<{ data: ConversionData }>(res)).data).toMatchObject({ amountMinor: 8415, commission: { amountMinor: 841 } });
    const failed = sessionEvent(m, { payment_status: 'unpaid' }, 'checkout.session.async_payment_failed');
    expect(await json<Receipt>(await stripe(m.stripeAccount, failed.raw))).toEqual({ received: true, ignored: 'event_type' });
    expect(await written(m.brand.brandId)).toEqual({ conversions: 1, refunds: 0, ledger: 1 });
  });

  it('records nothing for a session that needed no payment (100% off), and says so with 200', async () => {
    const m = await stores();
    const free = sessionEvent(m, { payment_status: 'no_payment_required', amount_total: 0, total_details: { amount_discount: 9900, amount_shipping: 0, amount_tax: 0 } });
    const res = await stripe(m.stripeAccount, free.raw);
    expect(res.status).toBe(200);
    expect(await json<Receipt>(res)).toEqual({ received: true, data: null });
    expect(await written(m.brand.brandId)).toEqual(nothing);
  });

  it.each([
    ['created past the Date range', { created: 10_000_000_000_000 }],
    ['created 25 hours ahead', { created: Math.floor(Date.now() / 1000) + 25 * 3600 }],
    ['created before year 0', { created: -62_200_000_000 }],
    ['created in 1999', { created: Date.UTC(1999, 11, 31) / 1000 }],
    ['a subtotal past the cap', { amount_subtotal: 100_000_000_001, amount_total: 100_000_000_001, total_details: { amount_discount: 0 } }],
    ['a discount larger than the subtotal', { total_details: { amount_discount: 9901 } }],
    ['a fractional subtotal', { amount_subtotal: 9900.5 }],
  ])('refuses %s with 422 and writes nothing', async (_, patch) => {
    const m = await stores();
    expect(await errorCode(await stripe(m.stripeAccount, sessionEvent(m, patch).raw))).toEqual({ status: 422, code: 'unsupported_payload' });
    expect(await written(m.brand.brandId)).toEqual(nothing);
  });

  it('accepts an order of exactly the cap', async () => {
    const m = await stores();
    const res = await stripe(m.stripeAccount, sessionEvent(m, { amount_subtotal: 100_000_000_000, total_details: null }).raw);
    expect((await json<{ data: ConversionData }>(res)).data.amountMinor).toBe(100_000_000_000);
  });
});

describe('Stripe charge.refunded', () => {
  const share = (refunded: number) => Math.floor((refunded * 8415) / 9588);

  it('records concurrent and repeated running totals exactly once: the share of the highest total', async () => {
    const m = await stores();
    const { raw, paymentIntent } = sessionEvent(m);
    await stripe(m.stripeAccount, raw);
    const deliveries = [1000, 2000, 3000, 4000, 4000, 2000];
    const first = await Promise.all(await Promise.all(deliveries.map(async (t) => stripeRequest(m.stripeAccount, chargeEvent(paymentIntent, { amount_refunded: t })))).then((reqs) => reqs.map((r) => SELF.fetch(r))));
    expect(first.map((r) => r.status)).toEqual(deliveries.map(() => 200));
    // Late and repeated deliveries, in any order, add nothing.
    for (const t of [3000, 1000, 4000]) expect(await json<Receipt>(await stripe(m.stripeAccount, chargeEvent(paymentIntent, { amount_refunded: t })))).toEqual({ received: true, data: [] });
    expect(await rowCount('SELECT SUM(amount_minor) AS n FROM refunds WHERE brand_id = ?', m.brand.brandId)).toBe(share(4000));
    expect(await rowCount("SELECT SUM(amount_minor) AS n FROM ledger_entries WHERE brand_id = ? AND kind = 'reversal'", m.brand.brandId)).toBe(-Math.floor((841 * share(4000)) / 8415));
    // A later refund continues the chain; the full refund takes back the whole commission.
    await stripe(m.stripeAccount, chargeEvent(paymentIntent, { amount_refunded: 9588, refunded: true }));
    expect(await rowCount('SELECT SUM(amount_minor) AS n FROM refunds WHERE brand_id = ?', m.brand.brandId)).toBe(8415);
    expect(await rowCount('SELECT SUM(amount_minor) AS n FROM ledger_entries WHERE brand_id = ?', m.brand.brandId)).toBe(0);
  });

  it('reads events that list refunds (API versions before 2022-11-15) by the running total too, so mixing versions counts once', async () => {
    const m = await stores();
    const { raw, paymentIntent } = sessionEvent(m);
    await stripe(m.stripeAccount, raw);
    const created = Math.floor(Date.now() / 1000);
    const refunds = { object: 'list', has_more: false, data: [{ id: `re_${uniq()}`, object: 'refund', amount: 3000, created, currency: 'usd', status: 'succeeded' }] };
    // The same refund, first from an endpoint on a current version, then retried from one on an older version.
    await stripe(m.stripeAccount, chargeEvent(paymentIntent, { amount_refunded: 3000 }));
    await stripe(m.stripeAccount, chargeEvent(paymentIntent, { amount_refunded: 3000, refunds }));
    expect(await rowCount('SELECT SUM(amount_minor) AS n FROM refunds WHERE brand_id = ?', m.brand.brandId)).toBe(share(3000));
    expect(await rowCount("SELECT -SUM(amount_minor) AS n FROM ledger_entries WHERE brand_id = ? AND kind = 'reversal'", m.brand.brandId)).toBe(Math.floor((841 * share(3000)) / 8415));
  });

  // The one charge read as two orders (first without its payment intent, then with it): each order keeps a
  // chain of its own, so the intent's order is still refunded in full.
  it('refunds the payment intent\'s order in full even after the same charge was seen without its intent', async () => {
    const m = await stores();
    const { raw, paymentIntent } = sessionEvent(m);
    await stripe(m.stripeAccount, raw);
    expect((await stripe(m.stripeAccount, chargeEvent(paymentIntent, { payment_intent: null, amount_refunded: 1000 }))).status).toBe(200);
    expect((await stripe(m.stripeAccount, chargeEvent(paymentIntent, { amount_refunded: 9588, refunded: true }))).status).toBe(200);
    expect(await rowCount('SELECT SUM(amount_minor) AS n FROM refunds WHERE brand_id = ? AND external_order_id = ?', m.brand.brandId, paymentIntent)).toBe(8415);
    expect(await rowCount('SELECT SUM(amount_minor) AS n FROM ledger_entries WHERE brand_id = ?', m.brand.brandId)).toBe(0);
  });

  // Before the order was in a slice's id, the bare charge's order could already hold `<charge>@after-0`:
  // that row must not block the intent's order either.
  it('refunds the payment intent\'s order in full past a slice the bare charge recorded under the old id', async () => {
    const m = await stores();
    const { raw, paymentIntent } = sessionEvent(m);
    await stripe(m.stripeAccount, raw);
    await env.DB.prepare(
      "INSERT INTO refunds (id, brand_id, external_refund_id, external_order_id, amount_minor, currency, occurred_at, status, source, payload_hash, created_at) VALUES (?, ?, ?, ?, 1000, 'USD', ?, 'pending', 'stripe', 'h', ?)",
    )
      .bind(`rf_old_${uniq()}`, m.brand.brandId, `ch_${paymentIntent}@after-0`, `ch_${paymentIntent}`, Date.now(), Date.now())
      .run();
    expect((await stripe(m.stripeAccount, chargeEvent(paymentIntent, { amount_refunded: 9588, refunded: true }))).status).toBe(200);
    expect(await rowCount('SELECT SUM(amount_minor) AS n FROM refunds WHERE brand_id = ? AND external_order_id = ?', m.brand.brandId, paymentIntent)).toBe(8415);
  });

  it('refuses a charge that refunded more than it took, with 422', async () => {
    const m = await stores();
    const { paymentIntent } = sessionEvent(m);
    expect(await errorCode(await stripe(m.stripeAccount, chargeEvent(paymentIntent, { amount_refunded: 9589 })))).toEqual({ status: 422, code: 'unsupported_payload' });
    expect(await written(m.brand.brandId)).toEqual(nothing);
  });
});

describe('Shopify: ranges, and refunds on the basis orders are priced on', () => {
  it('refuses created_at past the Date range with 422 on every delivery, writing nothing', async () => {
    const m = await stores();
    const raw = JSON.stringify(shopifyOrder(m, { created_at: '+275760-09-13T00:00:00.000Z' }));
    for (let i = 0; i < 2; i++) expect(await errorCode(await shopify(m.shop, 'orders/create', raw))).toEqual({ status: 422, code: 'unsupported_payload' });
    const refund = { ...JSON.parse(shopifyRefundRaw), created_at: '+275760-09-13T00:00:00.000Z' };
    expect(await errorCode(await shopify(m.shop, 'refunds/create', JSON.stringify(refund)))).toEqual({ status: 422, code: 'unsupported_payload' });
    expect(await written(m.brand.brandId)).toEqual(nothing);
  });

  it.each([
    ['a subtotal past the cap', { current_subtotal_price: '1000000000.01', subtotal_price: '1000000000.01' }],
    ['a subtotal of twelve digits', { current_subtotal_price: '999999999999.99', subtotal_price: '999999999999.99' }],
    ['created_at 25 hours ahead', { created_at: new Date(Date.now() + 25 * 3_600_000).toISOString() }],
  ])('refuses an order with %s with 422 and writes nothing', async (_, patch) => {
    const m = await stores();
    expect(await errorCode(await shopify(m.shop, 'orders/create', JSON.stringify(shopifyOrder(m, patch))))).toEqual({ status: 422, code: 'unsupported_payload' });
    expect(await written(m.brand.brandId)).toEqual(nothing);
  });

  it("reverses a line refund on the line's subtotal, not the transaction's subtotal plus tax", async () => {
    const m = await stores();
    const order = shopifyOrder(m);
    await shopify(m.shop, 'orders/create', JSON.stringify(order));
    // As older API versions send it: the line's subtotal as a plain number, no subtotal_set.
    const refund = { id: Number(uniq()), order_id: order.id, created_at: new Date().toISOString(), refund_line_items: [{ id: 1, line_item_id: 2, quantity: 1, subtotal: 34.0, total_tax: 2.72 }], transactions: [{ id: 3, kind: 'refund', status: 'success', amount: '36.72', currency: 'USD' }] };
    const res = await shopify(m.shop, 'refunds/create', JSON.stringify(refund));
    expect((await json<{ data: { amountMinor: number; reversal: { amountMinor: number } } }>(res)).data).toMatchObject({ amountMinor: 3400, reversal: { amountMinor: -Math.floor((841 * 3400) / 8415) } });
  });

  it('takes commission back for money refunded beyond the lines (refund_discrepancy), and for a refund still pending', async () => {
    const m = await stores();
    const order = shopifyOrder(m);
    await shopify(m.shop, 'orders/create', JSON.stringify(order));
    // A goodwill refund of 40.00 with no line items: Shopify books it as a refund_discrepancy adjustment.
    const goodwill = {
      ...JSON.parse(shopifyRefundRaw),
      id: Number(uniq()),
      order_id: order.id,
      refund_line_items: [],
      order_adjustments: [{ id: 7, order_id: order.id, refund_id: 8, amount: '-40.00', tax_amount: '0.00', kind: 'refund_discrepancy', reason: 'Refund discrepancy', amount_set: { shop_money: { amount: '-40.00', currency_code: 'USD' } } }],
      transactions: [{ id: 9, order_id: order.id, kind: 'refund', gateway: 'shopify_payments', status: 'pending', amount: '40.00', currency: 'USD' }],
    };
    const res = await shopify(m.shop, 'refunds/create', JSON.stringify(goodwill));
    expect((await json<{ data: { amountMinor: number; reversal: { amountMinor: number } } }>(res)).data).toMatchObject({ amountMinor: 4000, reversal: { amountMinor: -Math.floor((841 * 4000) / 8415) } });
  });

  it('takes the whole commission back when an order is cancelled, once, whatever else was refunded and in any order', async () => {
    const ledger = (brandId: string) => env.DB.prepare('SELECT COALESCE(SUM(amount_minor), 0) AS n FROM ledger_entries WHERE brand_id = ?').bind(brandId).first<{ n: number }>().then((r) => r?.n);
    const cancelled = (order: Record<string, unknown>) => JSON.stringify({ ...order, cancelled_at: new Date().toISOString(), cancel_reason: 'customer', financial_status: 'voided' });
    // Unpaid and cancelled (no refunds/create comes): the commission goes back to zero; a redelivery adds nothing.
    const m = await stores();
    const order = shopifyOrder(m);
    await shopify(m.shop, 'orders/create', JSON.stringify(order));
    expect(await ledger(m.brand.brandId)).toBe(841);
    for (let i = 0; i < 2; i++) expect((await shopify(m.shop, 'orders/cancelled', cancelled(order))).status).toBe(200);
    expect(await ledger(m.brand.brandId)).toBe(0);
    expect(await written(m.brand.brandId)).toEqual({ conversions: 1, refunds: 1, ledger: 2 });
    // Paid, partly refunded, then cancelled with the rest refunded: reversed once in total.
    const p = await stores();
    const paid = shopifyOrder(p);
    await shopify(p.shop, 'orders/create', JSON.stringify(paid));
    const partial = { ...JSON.parse(shopifyRefundRaw), id: Number(uniq()), order_id: paid.id };
    await shopify(p.shop, 'refunds/create', JSON.stringify(partial));
    await shopify(p.shop, 'orders/cancelled', cancelled(paid));
    await shopify(p.shop, 'refunds/create', JSON.stringify({ ...partial, id: Number(uniq()) }));
    expect(await ledger(p.brand.brandId)).toBe(0);
    // Cancelled before the order reached us: applied when it lands.
    const early = await stores();
    const late = shopifyOrder(early);
    await shopify(early.shop, 'orders/cancelled', cancelled(late));
    await shopify(early.shop, 'orders/create', JSON.stringify(late));
    expect(await ledger(early.brand.brandId)).toBe(0);
    // An orders/cancelled without a cancellation (never sent so, but harmless) records nothing.
    expect(await json<Receipt>(await shopify(early.shop, 'orders/cancelled', JSON.stringify(shopifyOrder(early))))).toEqual({ received: true, data: null });
  });

  it('takes no commission back for a shipping-only refund', async () => {
    const m = await stores();
    const order = shopifyOrder(m);
    await shopify(m.shop, 'orders/create', JSON.stringify(order));
    const refund = {
      ...JSON.parse(shopifyRefundRaw),
      id: Number(uniq()),
      order_id: order.id,
      refund_line_items: [],
      order_adjustments: [{ id: 4, order_id: order.id, refund_id: 5, amount: '-5.00', tax_amount: '0.00', kind: 'shipping_refund', reason: 'Shipping refund' }],
      transactions: [{ id: 6, order_id: order.id, kind: 'refund', gateway: 'shopify_payments', status: 'success', amount: '5.00', currency: 'USD' }],
    };
    const res = await shopify(m.shop, 'refunds/create', JSON.stringify(refund));
    expect(res.status).toBe(200);
    expect(await json<Receipt>(res)).toEqual({ received: true, data: null });
    expect(await written(m.brand.brandId)).toEqual({ conversions: 1, refunds: 0, ledger: 1 });
  });
});

// Found by a developer's first integration: what a live shop sends that Chorus refused (so the shop retried
// it, and may drop the subscription) or credited wrongly.
describe('Shopify: what a live shop sends besides a plain paid order', () => {
  it('credits the creator whose code was combined with another, whichever comes first', async () => {
    const m = await stores();
    const order = shopifyOrder(m, { discount_codes: [{ code: 'FREESHIP', amount: '5.00', type: 'shipping' }, { code: m.code.toLowerCase(), amount: '14.85', type: 'percentage' }] });
    const body = await json<{ data: { attribution: string; code: string | null } }>(await shopify(m.shop, 'orders/create', JSON.stringify(order)));
    expect(body.data).toMatchObject({ attribution: 'code' });
    // Neither a creator's: the first is kept, as the order said, and credits nobody.
    const neither = shopifyOrder(m, { discount_codes: [{ code: 'FREESHIP' }, { code: 'WELCOME10' }] });
    expect((await json<{ data: { attribution: string } }>(await shopify(m.shop, 'orders/create', JSON.stringify(neither)))).data).toMatchObject({ attribution: 'none' });
    expect(await env.DB.prepare('SELECT code_raw FROM conversions WHERE brand_id = ? AND external_order_id = ?').bind(m.brand.brandId, String(neither.id)).first('code_raw')).toBe('FREESHIP');
  });

  it('acknowledges test orders and their refunds without recording them', async () => {
    const m = await stores();
    const order = shopifyOrder(m, { test: true, gateway: 'bogus' });
    for (const topic of ['orders/create', 'orders/paid']) expect(await json<Receipt>(await shopify(m.shop, topic, JSON.stringify(order)))).toEqual({ received: true, ignored: 'test_mode' });
    expect(await json<Receipt>(await shopify(m.shop, 'orders/cancelled', JSON.stringify({ ...order, cancelled_at: new Date().toISOString() })))).toEqual({ received: true, ignored: 'test_mode' });
    const refund = { ...JSON.parse(shopifyRefundRaw), order_id: order.id, created_at: new Date().toISOString() };
    refund.transactions = refund.transactions.map((t: object) => ({ ...t, test: true }));
    expect(await json<Receipt>(await shopify(m.shop, 'refunds/create', JSON.stringify(refund)))).toEqual({ received: true, ignored: 'test_mode' });
    expect(await written(m.brand.brandId)).toEqual(nothing);
    // A test order recorded before Chorus ignored them (sent here without its flag) is still cancelled.
    const earlier = shopifyOrder(m, { gateway: 'bogus' });
    await shopify(m.shop, 'orders/create', JSON.stringify(earlier));
    await shopify(m.shop, 'orders/cancelled', JSON.stringify({ ...earlier, test: true, cancelled_at: new Date().toISOString() }));
    expect(await rowCount('SELECT SUM(amount_minor) AS n FROM ledger_entries WHERE brand_id = ?', m.brand.brandId)).toBe(0);
    expect(await written(m.brand.brandId)).toEqual({ conversions: 1, refunds: 1, ledger: 2 });
  });

  it('records an order not paid yet once, whichever of orders/create and orders/paid comes, and records nothing for an order that cost nothing', async () => {
    const m = await stores();
    // A shop that captures payment later: orders/create says authorized. Recorded then (its commission waits out
    // the holding period), and orders/paid is the same order.
    const order = shopifyOrder(m, { financial_status: 'authorized' });
    expect((await json<{ data: ConversionData }>(await shopify(m.shop, 'orders/create', JSON.stringify(order)))).data).toMatchObject({ amountMinor: 8415 });
    const paid = await shopify(m.shop, 'orders/paid', JSON.stringify({ ...order, financial_status: 'paid' }));
    expect((await json<{ data: ConversionData }>(paid)).data).toMatchObject({ amountMinor: 8415 });
    expect(await written(m.brand.brandId)).toEqual({ conversions: 1, refunds: 0, ledger: 1 });
    // One voided instead: its orders/cancelled takes the commission back.
    const voided = shopifyOrder(m, { financial_status: 'authorized' });
    await shopify(m.shop, 'orders/create', JSON.stringify(voided));
    await shopify(m.shop, 'orders/cancelled', JSON.stringify({ ...voided, financial_status: 'voided', cancelled_at: new Date().toISOString() }));
    expect(await rowCount('SELECT SUM(amount_minor) AS n FROM ledger_entries WHERE brand_id = ?', m.brand.brandId)).toBe(841);
    // A gift (100% off): 200, so the shop stops sending it, and nothing written; nor for its cancellation.
    const gift = await stores();
    const free = shopifyOrder(gift, { subtotal_price: '0.00', current_subtotal_price: '0.00', total_price: '0.00' });
    expect(await json<Receipt>(await shopify(gift.shop, 'orders/create', JSON.stringify(free)))).toEqual({ received: true, data: null });
    expect(await json<Receipt>(await shopify(gift.shop, 'orders/cancelled', JSON.stringify({ ...free, cancelled_at: new Date().toISOString() })))).toEqual({ received: true, data: null });
    expect(await written(gift.brand.brandId)).toEqual(nothing);
  });

  it('takes an order of many line items (past 64 KiB) and still refuses a body past 1 MiB with 413', async () => {
    const m = await stores();
    const line = JSON.parse(shopifyOrderRaw).line_items?.[0] ?? { id: 1, title: 'Night balm', quantity: 1, price: '84.15' };
    const big = shopifyOrder(m, { line_items: Array.from({ length: 60 }, (_, i) => ({ ...line, id: i + 1, title: `Line ${i} ${'x'.repeat(1200)}` })) });
    const raw = JSON.stringify(big);
    expect(raw.length).toBeGreaterThan(65_536);
    const res = await shopify(m.shop, 'orders/create', raw);
    expect(res.status).toBe(200);
    expect((await json<{ data: ConversionData }>(res)).data).toMatchObject({ amountMinor: 8415 });
    const huge = JSON.stringify(shopifyOrder(m, { note: 'x'.repeat(1_100_000) }));
    expect(await errorCode(await shopify(m.shop, 'orders/create', huge))).toEqual({ status: 413, code: 'payload_too_large' });
  });
});

describe('Stripe: test mode', () => {
  it('acknowledges events from a test-mode endpoint without recording anything', async () => {
    const m = await stores();
    const event = JSON.parse(sessionEvent(m).raw);
    event.livemode = false;
    expect(await json<Receipt>(await stripe(m.stripeAccount, JSON.stringify(event)))).toEqual({ received: true, ignored: 'test_mode' });
    expect(await written(m.brand.brandId)).toEqual(nothing);
    const testRefund = JSON.parse(chargeEvent(event.data.object.payment_intent, { amount: 10_000, amount_refunded: 10_000 }));
    testRefund.livemode = false;
    expect(await json<Receipt>(await stripe(m.stripeAccount, JSON.stringify(testRefund)))).toEqual({ received: true, ignored: 'test_mode' });
    expect(await written(m.brand.brandId)).toEqual(nothing);
    // A test payment recorded before Chorus ignored them (sent here as live) is still refunded.
    const earlier = sessionEvent(m);
    await stripe(m.stripeAccount, earlier.raw);
    const refundOfEarlier = JSON.parse(chargeEvent(earlier.paymentIntent, { amount: 10_000, amount_refunded: 10_000 }));
    refundOfEarlier.livemode = false;
    await stripe(m.stripeAccount, JSON.stringify(refundOfEarlier));
    expect(await rowCount('SELECT SUM(amount_minor) AS n FROM ledger_entries WHERE brand_id = ?', m.brand.brandId)).toBe(0);
    expect(await written(m.brand.brandId)).toEqual({ conversions: 1, refunds: 1, ledger: 2 });
  });
});

describe('Stripe: disputes', () => {
  const disputeEvent = (paymentIntent: string, status: string, id = `dp_${uniq()}`) =>
    JSON.stringify({ id: `evt_${uniq()}`, object: 'event', type: 'charge.dispute.closed', livemode: true, created: Math.floor(Date.now() / 1000), data: { object: { id, object: 'dispute', amount: 9000, currency: 'usd', charge: `ch_${paymentIntent}`, payment_intent: paymentIntent, status, created: Math.floor(Date.now() / 1000) - 86_400 } } });

  it('takes back what a lost dispute leaves of its order, once, and nothing for one won', async () => {
    const m = await stores();
    const { raw, paymentIntent } = sessionEvent(m);
    expect((await json<{ data: ConversionData }>(await stripe(m.stripeAccount, raw))).data).toMatchObject({ amountMinor: 8415, commission: { amountMinor: 841 } });
    // A partial refund first (half the charge), then the dispute of the rest is lost.
    await stripe(m.stripeAccount, chargeEvent(paymentIntent, { amount: 10_000, amount_refunded: 5_000 }));
    expect(await json<Receipt>(await stripe(m.stripeAccount, disputeEvent(paymentIntent, 'won')))).toEqual({ received: true, ignored: 'dispute_not_lost' });
    const lost = disputeEvent(paymentIntent, 'lost', `dp_${uniq()}`);
    const first = await json<{ data: { amountMinor: number; reversal: { amountMinor: number } } }>(await stripe(m.stripeAccount, lost));
    expect(first.data.amountMinor).toBe(8415 - 4207);
    expect(await rowCount('SELECT SUM(amount_minor) AS n FROM ledger_entries WHERE brand_id = ?', m.brand.brandId)).toBe(0);
    // Stripe redelivers it: the same refund, nothing more.
    expect((await json<{ data: { amountMinor: number } }>(await stripe(m.stripeAccount, lost))).data.amountMinor).toBe(8415 - 4207);
    expect(await rowCount('SELECT count(*) AS n FROM refunds WHERE brand_id = ?', m.brand.brandId)).toBe(2);
    // A partial dispute takes back what was disputed, not the whole order.
    const partial = sessionEvent(m);
    await stripe(m.stripeAccount, partial.raw);
    const small = JSON.parse(disputeEvent(partial.paymentIntent, 'lost'));
    small.data.object.amount = 2_000;
    expect((await json<{ data: { amountMinor: number } }>(await stripe(m.stripeAccount, JSON.stringify(small)))).data.amountMinor).toBe(2_000);
    // A dispute of a payment Chorus never recorded records nothing.
    expect(await json<Receipt>(await stripe(m.stripeAccount, disputeEvent(`pi_${uniq()}`, 'lost')))).toEqual({ received: true, data: null });
    expect(await rowCount('SELECT count(*) AS n FROM refunds WHERE brand_id = ?', m.brand.brandId)).toBe(3);
  });

  it('records a dispute lost while the brand declines the order, so reinstating it gives back only what the dispute left', async () => {
    const m = await stores();
    const balance = () => rowCount('SELECT COALESCE(SUM(amount_minor), 0) AS n FROM ledger_entries WHERE brand_id = ?', m.brand.brandId);
    const declined = async () => {
      const order = sessionEvent(m);
      const id = (await json<{ data: { id: string; commission: { amountMinor: number } } }>(await stripe(m.stripeAccount, order.raw))).data.id;
      expect((await m.brand.api('POST', `/api/admin/conversions/${id}/decline`, { reason: 'fraud' })).status).toBe(200);
      return { id, paymentIntent: order.paymentIntent };
    };
    // A dispute of part of the order: the decline is no money the shopper got back, so it takes $20.00 of the order.
    const partly = await declined();
    const small = JSON.parse(disputeEvent(partly.paymentIntent, 'lost'));
    small.data.object.amount = 2_000;
    expect((await json<{ data: { amountMinor: number } }>(await stripe(m.stripeAccount, JSON.stringify(small)))).data.amountMinor).toBe(2_000);
    expect(await balance()).toBe(0);
    expect((await m.brand.api('POST', `/api/admin/conversions/${partly.id}/reinstate`)).status).toBe(200);
    expect(await balance()).toBe(841 - Math.floor((841 * 2_000) / 8415));
    // One of the whole charge takes the whole order: reinstating gives nothing back.
    const wholly = await declined();
    expect((await json<{ data: { amountMinor: number } }>(await stripe(m.stripeAccount, disputeEvent(wholly.paymentIntent, 'lost')))).data.amountMinor).toBe(8415);
    expect((await m.brand.api('POST', `/api/admin/conversions/${wholly.id}/reinstate`)).status).toBe(200);
    expect(await balance()).toBe(841 - Math.floor((841 * 2_000) / 8415));
  });
});
