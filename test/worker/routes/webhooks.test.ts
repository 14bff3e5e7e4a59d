import { env, SELF } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import shopifyOrderRaw from '../../fixtures/shopify-orders-create.json?raw';
import shopifyRefundRaw from '../../fixtures/shopify-refunds-create.json?raw';
import signatures from '../../fixtures/signatures.json';
import stripeChargeRaw from '../../fixtures/stripe-charge-refunded.json?raw';
import stripeSessionRaw from '../../fixtures/stripe-checkout-session-completed.json?raw';
import { closePeriod } from '../../../worker/db/payouts';
import { signShopify, signTimestamped } from '../../../worker/lib/signatures';
import { BASE, createMoneyBrand, json, rowCount, type TestBrand } from '../fixtures';

let shopCounter = 0;

async function brandWithStores() {
  const m = await createMoneyBrand();
  await m.brand.api('POST', '/api/admin/codes', { enrollmentId: m.enrollment.id, code: 'SARAH15', discountType: 'percent', discountValue: 15 });
  const shop = `lumen-${Date.now()}-${shopCounter++}.myshopify.com`;
  const stripeAccount = `lumen-${Date.now()}-${shopCounter++}`;
  expect((await m.brand.api('POST', '/api/admin/integrations', { provider: 'shopify', externalAccount: shop, secret: signatures.shopifySecret })).status).toBe(201);
  expect((await m.brand.api('POST', '/api/admin/integrations', { provider: 'stripe', externalAccount: stripeAccount, secret: signatures.stripeSecret })).status).toBe(201);
  return { ...m, shop, stripeAccount };
}

const shopify = (shop: string, topic: string, raw: string, hmac: string) =>
  SELF.fetch(`${BASE}/v1/webhooks/shopify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-shopify-shop-domain': shop, 'x-shopify-topic': topic, 'x-shopify-hmac-sha256': hmac, 'x-shopify-webhook-id': crypto.randomUUID() },
    body: raw,
  });

const stripe = async (account: string, raw: string, at = Date.now(), secret = signatures.stripeSecret) =>
  SELF.fetch(`${BASE}/v1/webhooks/stripe/${account}`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': await signTimestamped(secret, raw, at) }, body: raw });

type Received = { received: boolean; data: { attribution?: string; amountMinor?: number; commission?: { amountMinor: number }; reversal?: { amountMinor: number } } | null; ignored?: string };

describe('Shopify webhooks', () => {
  it('records orders/create from the signed fixture, once, attributed to the code', async () => {
    const m = await brandWithStores();
    const res = await shopify(m.shop, 'orders/create', shopifyOrderRaw, signatures['shopify-orders-create.json']);
    expect(res.status).toBe(200);
    const body = await json<Received>(res);
    expect(body.data).toMatchObject({ attribution: 'code', amountMinor: 8415, commission: { amountMinor: 841 } });
    // orders/paid for the same order and a redelivery add nothing.
    expect((await shopify(m.shop, 'orders/paid', shopifyOrderRaw, signatures['shopify-orders-create.json'])).status).toBe(200);
    expect((await shopify(m.shop, 'orders/create', shopifyOrderRaw, signatures['shopify-orders-create.json'])).status).toBe(200);
    expect(await rowCount("SELECT count(*) AS n FROM conversions WHERE brand_id = ? AND source = 'shopify'", m.brand.brandId)).toBe(1);
    expect(await rowCount('SELECT count(*) AS n FROM ledger_entries WHERE brand_id = ?', m.brand.brandId)).toBe(1);
  });

  it('applies refunds/create as a reversal, also when it arrives first', async () => {
    const m = await brandWithStores();
    expect((await shopify(m.shop, 'refunds/create', shopifyRefundRaw, signatures['shopify-refunds-create.json'])).status).toBe(200);
    await shopify(m.shop, 'orders/create', shopifyOrderRaw, signatures['shopify-orders-create.json']);
    const reversal = await env.DB.prepare("SELECT amount_minor FROM ledger_entries WHERE brand_id = ? AND kind = 'reversal'").bind(m.brand.brandId).first<{ amount_minor: number }>();
    expect(reversal?.amount_minor).toBe(-Math.floor((841 * 3400) / 8415));
  });

  it('rejects a bad HMAC, an unknown shop and a body changed after signing', async () => {
    const m = await brandWithStores();
    const bad = [
      await shopify(m.shop, 'orders/create', shopifyOrderRaw, 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='),
      await shopify(m.shop, 'orders/create', shopifyOrderRaw, 'not base64'),
      await shopify('unknown-shop.myshopify.com', 'orders/create', shopifyOrderRaw, signatures['shopify-orders-create.json']),
      await shopify(m.shop, 'orders/create', shopifyOrderRaw.replace('84.15', '184.15'), signatures['shopify-orders-create.json']),
    ];
    for (const res of bad) {
      expect(res.status).toBe(401);
      expect((await json<{ error: { code: string } }>(res)).error.code).toBe('invalid_signature');
    }
    expect(await rowCount('SELECT count(*) AS n FROM conversions WHERE brand_id = ?', m.brand.brandId)).toBe(0);
  });

  it("acknowledges an order in another currency than the brand's without recording it", async () => {
    const m = await brandWithStores();
    const raw = shopifyOrderRaw.replace(/"currency": ?"USD"/g, '"currency":"CAD"');
    expect(raw).not.toBe(shopifyOrderRaw);
    const hmac = await signShopify(signatures.shopifySecret, raw);
    const warns = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const res = await shopify(m.shop, 'orders/create', raw, hmac);
    warns.mockRestore();
    expect(res.status).toBe(200);
    expect(await json<Received>(res)).toEqual({ received: true, data: null, ignored: 'currency_mismatch' });
    expect(await rowCount('SELECT count(*) AS n FROM conversions WHERE brand_id = ?', m.brand.brandId)).toBe(0);
  });

  it('takes a refund paid back in the shopper\'s currency (Shopify Markets) in shop money, from its line items', async () => {
    const m = await brandWithStores();
    await shopify(m.shop, 'orders/create', shopifyOrderRaw, signatures['shopify-orders-create.json']);
    const refund = JSON.parse(shopifyRefundRaw) as { transactions: { currency: string; amount: string }[]; refund_line_items: Record<string, unknown>[] };
    refund.transactions[0]!.currency = 'EUR';
    refund.transactions[0]!.amount = '31.45';
    refund.refund_line_items[0]!.subtotal_set = { shop_money: { amount: '34.00', currency_code: 'USD' }, presentment_money: { amount: '31.45', currency_code: 'EUR' } };
    const raw = JSON.stringify(refund);
    const res = await shopify(m.shop, 'refunds/create', raw, await signShopify(signatures.shopifySecret, raw));
    expect(res.status).toBe(200);
    expect((await json<Received>(res)).data).toMatchObject({ amountMinor: 3_400, reversal: { amountMinor: -Math.floor((841 * 3400) / 8415) } });
  });

  it('acknowledges topics it does not use', async () => {
    const m = await brandWithStores();
    const body = await json<Received>(await shopify(m.shop, 'customers/create', shopifyOrderRaw, signatures['shopify-orders-create.json']));
    expect(body).toEqual({ received: true, ignored: 'topic' });
  });
});

describe('Stripe webhooks', () => {
  it('records checkout.session.completed keyed by the PaymentIntent, and charge.refunded against it', async () => {
    const m = await brandWithStores();
    const res = await stripe(m.stripeAccount, stripeSessionRaw);
    expect(res.status).toBe(200);
    expect((await json<Received>(res)).data).toMatchObject({ attribution: 'code', amountMinor: 8415, commission: { amountMinor: 841 } });
    expect((await stripe(m.stripeAccount, stripeSessionRaw)).status).toBe(200);
    expect(await rowCount("SELECT count(*) AS n FROM conversions WHERE brand_id = ? AND external_order_id = 'pi_3QfixturePaymentIntent01'", m.brand.brandId)).toBe(1);
    // The charge (95.88 with shipping and tax) refunds 36.72: that share of the 84.15 the order was priced on.
    const share = Math.floor((3672 * 8415) / 9588);
    expect((await json<{ data: Received['data'][] }>(await stripe(m.stripeAccount, stripeChargeRaw))).data).toMatchObject([{ amountMinor: share }]);
    expect(await json<Received>(await stripe(m.stripeAccount, stripeChargeRaw))).toEqual({ received: true, data: [] });
    expect(await rowCount("SELECT count(*) AS n FROM ledger_entries WHERE brand_id = ? AND kind = 'reversal'", m.brand.brandId)).toBe(1);
    expect(await rowCount('SELECT SUM(amount_minor) AS n FROM ledger_entries WHERE brand_id = ?', m.brand.brandId)).toBe(841 - Math.floor((841 * share) / 8415));
  });

  it('rejects stale, future and wrong-secret signatures, and unknown endpoints', async () => {
    const m = await brandWithStores();
    const cases = [
      await stripe(m.stripeAccount, stripeSessionRaw, Date.now() - 400_000),
      await stripe(m.stripeAccount, stripeSessionRaw, Date.now() + 400_000),
      await stripe(m.stripeAccount, stripeSessionRaw, Date.now(), 'whsec_wrong_secret_000000000000000'),
      await stripe('no-such-account', stripeSessionRaw),
    ];
    for (const res of cases) expect(res.status).toBe(401);
    expect(await rowCount('SELECT count(*) AS n FROM conversions WHERE brand_id = ?', m.brand.brandId)).toBe(0);
  });

  it("acknowledges a refund in another currency than its order's, and says so", async () => {
    const m = await brandWithStores();
    await stripe(m.stripeAccount, stripeSessionRaw);
    const raw = stripeChargeRaw.replace(/"currency": ?"usd"/g, '"currency": "eur"');
    expect(raw).not.toBe(stripeChargeRaw);
    const warns = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const res = await stripe(m.stripeAccount, raw);
    warns.mockRestore();
    expect(res.status).toBe(200);
    expect(await json<Received>(res)).toMatchObject({ received: true, ignored: 'currency_mismatch' });
    expect(await rowCount('SELECT count(*) AS n FROM refunds WHERE brand_id = ?', m.brand.brandId)).toBe(0);
  });

  it('answers a signed payload it cannot use with 422, and other event types with 200', async () => {
    const m = await brandWithStores();
    const broken = JSON.stringify({ type: 'checkout.session.completed', data: { object: { id: 'cs_x', currency: 'usd' } } });
    const res = await stripe(m.stripeAccount, broken);
    expect(res.status).toBe(422);
    expect((await json<{ error: { code: string } }>(res)).error.code).toBe('unsupported_payload');
    expect(await json<Received>(await stripe(m.stripeAccount, JSON.stringify({ type: 'customer.subscription.created', data: { object: {} } })))).toEqual({ received: true, ignored: 'event_type' });
  });
});

// A Stripe refund of the fixture's charge, as refund.failed, refund.updated or charge.refund.updated carry it.
const refundEvent = (type: string, refund: { id: string; amount: number; status?: string; charge?: string }, created = Math.floor(Date.now() / 1000)) =>
  JSON.stringify({
    id: `evt_${refund.id}_${type}`,
    object: 'event',
    type,
    created,
    livemode: true,
    data: { object: { id: refund.id, object: 'refund', amount: refund.amount, charge: refund.charge ?? 'ch_3QfixtureCharge000001', currency: 'usd', payment_intent: 'pi_3QfixturePaymentIntent01', status: refund.status ?? 'failed', failure_reason: 'expired_or_canceled_card' } },
  });
const chargeRefunded = (amountRefunded: number) => stripeChargeRaw.replace('"amount_refunded": 3672', `"amount_refunded": ${amountRefunded}`);
const ledgerSum = (brandId: string) => rowCount('SELECT COALESCE(SUM(amount_minor), 0) AS n FROM ledger_entries WHERE brand_id = ?', brandId);
const giveBacks = (brandId: string) => rowCount("SELECT count(*) AS n FROM ledger_entries WHERE brand_id = ? AND event_key LIKE 'refund_failed:%'", brandId);
// The fixture's order is priced at 84.15 of a 95.88 charge; its commission is 8.41.
const share = (chargeMinor: number) => Math.floor((chargeMinor * 8415) / 9588);
const kept = (refundedShare: number) => 841 - Math.floor((841 * refundedShare) / 8415);

describe('Stripe refunds that fail', () => {
  it('gives back the share a failed refund took, once, whichever of its events come and however often; a later refund reverses its own share', async () => {
    const m = await brandWithStores();
    await stripe(m.stripeAccount, stripeSessionRaw);
    await stripe(m.stripeAccount, stripeChargeRaw);
    expect(await ledgerSum(m.brand.brandId)).toBe(kept(share(3672)));
    const reversal = await env.DB.prepare("SELECT * FROM ledger_entries WHERE brand_id = ? AND kind = 'reversal'").bind(m.brand.brandId).first();
    const failed = await json<{ data: { refundId: string; amountMinor: number; givenBack: { amountMinor: number } }[] }>(await stripe(m.stripeAccount, refundEvent('refund.failed', { id: 're_fail1', amount: 3672 })));
    expect(failed.data).toMatchObject([{ refundId: 'ch_3QfixtureCharge000001@re_fail1@failed', amountMinor: -share(3672), givenBack: { amountMinor: 841 - kept(share(3672)) } }]);
    expect(await ledgerSum(m.brand.brandId)).toBe(841);
    // The reversal is untouched; replays of the failure, its other events, and the charge.refunded again add nothing.
    expect(await env.DB.prepare('SELECT * FROM ledger_entries WHERE id = ?').bind((reversal as { id: string }).id).first()).toEqual(reversal);
    for (const raw of [refundEvent('refund.failed', { id: 're_fail1', amount: 3672 }), refundEvent('charge.refund.updated', { id: 're_fail1', amount: 3672 }, 1_763_900_000), stripeChargeRaw]) {
      expect((await stripe(m.stripeAccount, raw)).status).toBe(200);
    }
    expect(await giveBacks(m.brand.brandId)).toBe(1);
    expect(await ledgerSum(m.brand.brandId)).toBe(841);
    const listed = await json<{ data: { orderId: string; refundedMinor: number; reversedMinor: number }[] }>(await m.brand.api('GET', '/api/admin/conversions'));
    expect(listed.data.find((c) => c.orderId === 'pi_3QfixturePaymentIntent01')).toMatchObject({ refundedMinor: 0, reversedMinor: 0 });
    // An update that is not a failure changes nothing.
    expect(await json<Received>(await stripe(m.stripeAccount, refundEvent('refund.updated', { id: 're_ok', amount: 500, status: 'succeeded' })))).toEqual({ received: true, ignored: 'refund_not_failed' });
    // A new refund of 10.00 (the charge's running total, failed refund included, reaches 46.72) reverses its own share only.
    await stripe(m.stripeAccount, chargeRefunded(4672));
    expect(await ledgerSum(m.brand.brandId)).toBe(kept(share(4672) - share(3672)));
  });

  it('books a failure that comes before its refund when the refund lands, and one after the payout that paid its reversal in the next payout', async () => {
    const m = await brandWithStores();
    await stripe(m.stripeAccount, stripeSessionRaw);
    expect(await json(await stripe(m.stripeAccount, refundEvent('refund.failed', { id: 're_early', amount: 3672 })))).toEqual({ received: true, data: [] });
    expect(await rowCount('SELECT count(*) AS n FROM refunds WHERE brand_id = ?', m.brand.brandId)).toBe(0);
    const landed = await json<{ data: unknown[]; failed: { amountMinor: number }[] }>(await stripe(m.stripeAccount, stripeChargeRaw));
    expect(landed.failed).toMatchObject([{ amountMinor: -share(3672), status: 'applied' }]);
    expect(await ledgerSum(m.brand.brandId)).toBe(841);
    // A second refund of the whole rest is paid out with its reversal; then it fails: the give-back is a new, unpaid entry.
    await stripe(m.stripeAccount, chargeRefunded(9588));
    const period = new Date().toISOString().slice(0, 7);
    await closePeriod(env.DB, { id: m.brand.brandId, timezone: 'UTC' }, period, { type: 'test', id: 'test' }, Date.now() + 40 * 86_400_000);
    expect(await rowCount('SELECT count(*) AS n FROM ledger_entries WHERE brand_id = ? AND payout_id IS NULL', m.brand.brandId)).toBe(0);
    await stripe(m.stripeAccount, refundEvent('refund.failed', { id: 're_late', amount: 9588 - 3672 }));
    const back = await env.DB.prepare("SELECT amount_minor, payout_id FROM ledger_entries WHERE brand_id = ? AND event_key LIKE 'refund_failed:%' ORDER BY created_at DESC").bind(m.brand.brandId).first<{ amount_minor: number; payout_id: string | null }>();
    expect(back).toEqual({ amount_minor: 841 - kept(8415 - share(3672)), payout_id: null });
    expect(await ledgerSum(m.brand.brandId)).toBe(841);
  });

  it("books nothing for a forged failure, another brand's charge, or a refund never recorded", async () => {
    const a = await brandWithStores();
    const b = await brandWithStores();
    await stripe(a.stripeAccount, stripeSessionRaw);
    await stripe(a.stripeAccount, stripeChargeRaw);
    const before = await ledgerSum(a.brand.brandId);
    const raw = refundEvent('refund.failed', { id: 're_hostile', amount: 3672 });
    expect((await stripe(a.stripeAccount, raw, Date.now(), 'whsec_wrong_secret_000000000000000')).status).toBe(401);
    expect((await stripe(a.stripeAccount, raw.replace('re_hostile', 're_hostile2'), Date.now() - 400_000)).status).toBe(401);
    // Brand b names a's charge under its own secret: b never recorded it, so nothing is booked anywhere.
    expect(await json(await stripe(b.stripeAccount, raw))).toEqual({ received: true, data: [] });
    expect(await ledgerSum(a.brand.brandId)).toBe(before);
    expect(await rowCount('SELECT count(*) AS n FROM stripe_refund_failures WHERE brand_id = ?', a.brand.brandId)).toBe(0);
    expect(await rowCount('SELECT count(*) AS n FROM refunds WHERE brand_id = ?', b.brand.brandId)).toBe(0);
    // A failure bigger than what the charge's recorded refunds stand at waits (its refund was never recorded).
    expect(await json(await stripe(a.stripeAccount, refundEvent('refund.failed', { id: 're_unknown', amount: 5000 })))).toEqual({ received: true, data: [] });
    expect(await ledgerSum(a.brand.brandId)).toBe(before);
    expect((await stripe(a.stripeAccount, JSON.stringify({ type: 'refund.failed', created: 1_763_900_000, data: { object: { id: 're_x', status: 'failed' } } }))).status).toBe(422);
  });
});

// One refund of 36.72 and its failure, with the order, in every order Stripe and the store may deliver them: the
// ledger always ends at the commission (a refund recorded before its order was reversed at face value, and its
// failure gives back exactly that), replays book nothing more, and a failure of a refund Chorus never recorded
// (or of a charge whose refunded total it never kept) changes nothing.
describe('Stripe refund failures, in any order', () => {
  const events = { order: stripeSessionRaw, refunded: stripeChargeRaw, failed: refundEvent('refund.failed', { id: 're_one', amount: 3672 }) };
  type Step = keyof typeof events;
  const orders: Step[][] = [
    ['order', 'refunded', 'failed'],
    ['order', 'failed', 'refunded'],
    ['refunded', 'order', 'failed'],
    ['refunded', 'failed', 'order'],
    ['failed', 'order', 'refunded'],
    ['failed', 'refunded', 'order'],
  ];
  const refundRows = (brandId: string) => rowCount('SELECT count(*) AS n FROM refunds WHERE brand_id = ?', brandId);

  it.each(orders)('%s, %s, %s: the commission, once', async (...steps: Step[]) => {
    const m = await brandWithStores();
    for (const step of steps) expect((await stripe(m.stripeAccount, events[step])).status).toBe(200);
    expect(await ledgerSum(m.brand.brandId)).toBe(841);
    expect(await giveBacks(m.brand.brandId)).toBe(1);
    const rows = await refundRows(m.brand.brandId);
    for (const step of steps) await stripe(m.stripeAccount, events[step]);
    await stripe(m.stripeAccount, refundEvent('charge.refund.updated', { id: 're_one', amount: 3672, status: 'canceled' }));
    // A failure of a refund Chorus never recorded (made since the last charge.refunded) is kept and changes nothing.
    expect(await json(await stripe(m.stripeAccount, refundEvent('refund.failed', { id: 're_never', amount: 2000 })))).toEqual({ received: true, data: [] });
    expect(await ledgerSum(m.brand.brandId)).toBe(841);
    expect(await giveBacks(m.brand.brandId)).toBe(1);
    expect(await refundRows(m.brand.brandId)).toBe(rows);
  });

  it("keeps a failure that cannot be measured: another refund still stands, the charge's total was never kept, or the refund has no charge", async () => {
    const m = await brandWithStores();
    await stripe(m.stripeAccount, stripeSessionRaw);
    await stripe(m.stripeAccount, stripeChargeRaw);
    const standing = kept(share(3672));
    // Smaller than the charge's refunded total: its refund may be one Chorus never recorded, so nothing is booked.
    expect(await json(await stripe(m.stripeAccount, refundEvent('refund.failed', { id: 're_never', amount: 1500 })))).toEqual({ received: true, data: [] });
    expect(await ledgerSum(m.brand.brandId)).toBe(standing);
    // Two refunds (36.72, then 20.00): one failing changes nothing while the other stands; both failing give all back.
    await stripe(m.stripeAccount, chargeRefunded(5672));
    expect(await json(await stripe(m.stripeAccount, refundEvent('refund.failed', { id: 're_first', amount: 3672 })))).toEqual({ received: true, data: [] });
    expect(await ledgerSum(m.brand.brandId)).toBe(kept(share(5672)));
    // (A failure of an unrecorded refund keeps the charge's failures from adding up to its total: re_never goes.)
    await env.DB.prepare('DELETE FROM stripe_refund_failures WHERE brand_id = ? AND refund_ref = ?').bind(m.brand.brandId, 're_never').run();
    await stripe(m.stripeAccount, refundEvent('refund.failed', { id: 're_second', amount: 2000 }));
    expect(await ledgerSum(m.brand.brandId)).toBe(841);

    // A charge refunded before Chorus kept its total (or forgotten by retention): never given back, at any value.
    const legacy = await brandWithStores();
    await stripe(legacy.stripeAccount, stripeSessionRaw);
    await stripe(legacy.stripeAccount, chargeRefunded(9588));
    await env.DB.prepare('DELETE FROM stripe_charges WHERE brand_id = ?').bind(legacy.brand.brandId).run();
    expect(await json(await stripe(legacy.stripeAccount, refundEvent('refund.failed', { id: 're_old', amount: 3672 })))).toEqual({ received: true, data: [] });
    expect(await ledgerSum(legacy.brand.brandId)).toBe(0);

    // A failed refund of no charge: acknowledged, as no retry could change it.
    const noCharge = JSON.parse(refundEvent('refund.failed', { id: 're_nc', amount: 100 })) as { data: { object: { charge: string | null } } };
    noCharge.data.object.charge = null;
    expect(await json(await stripe(m.stripeAccount, JSON.stringify(noCharge)))).toEqual({ received: true, ignored: 'refund_without_charge' });
  });
});

describe('store connections', () => {
  const connect = (brand: TestBrand, provider: 'shopify' | 'stripe', externalAccount: string, secret: string) =>
    brand.api('POST', '/api/admin/integrations', { provider, externalAccount, secret });
  const orderFor = (raw: string, id: string) => JSON.stringify({ ...JSON.parse(raw), id });
  const signedOrder = async (shop: string, secret: string, id: string) => {
    const raw = orderFor(shopifyOrderRaw, id);
    return shopify(shop, 'orders/create', raw, await signShopify(secret, raw));
  };
  const conversionsOf = (brandId: string) => rowCount('SELECT count(*) AS n FROM conversions WHERE brand_id = ?', brandId);

  it("lets the secret, not who named the shop first, decide the brand: a squatter gets nothing and learns nothing", async () => {
    const owner = await brandWithStores();
    const squatter = await createMoneyBrand();
    const squatterSecret = 'a secret the squatter chose 0123456789';
    // Connecting a name another brand connected is not refused (a 409 would tell the squatter it exists).
    expect((await connect(squatter.brand, 'shopify', owner.shop, squatterSecret)).status).toBe(201);
    expect((await connect(squatter.brand, 'stripe', owner.stripeAccount, squatterSecret)).status).toBe(201);
    expect((await signedOrder(owner.shop, signatures.shopifySecret, 'sq-1')).status).toBe(200);
    expect((await stripe(owner.stripeAccount, stripeSessionRaw)).status).toBe(200);
    expect(await conversionsOf(owner.brand.brandId)).toBe(2);
    // What the squatter's own secret signs lands in the squatter's books only, and a forged one nowhere.
    expect((await signedOrder(owner.shop, squatterSecret, 'sq-2')).status).toBe(200);
    expect((await signedOrder(owner.shop, 'neither brand has this secret 000', 'sq-3')).status).toBe(401);
    expect(await conversionsOf(owner.brand.brandId)).toBe(2);
    expect(await conversionsOf(squatter.brand.brandId)).toBe(1);
  });

  // Eleven brands and a delivery checked against ten secrets: ~1.5 s alone, over the default 5 s on a busy machine.
  it('tells a brand at once when a store name is too crowded to reach it, rather than never delivering', { timeout: 30_000 }, async () => {
    const shop = `crowded-${Date.now()}.myshopify.com`;
    const brands = await Promise.all(Array.from({ length: 11 }, () => createMoneyBrand()));
    for (const [i, m] of brands.entries()) {
      const res = await connect(m.brand, 'shopify', shop, `secret number ${i} for this crowded shop`);
      expect(res.status, `brand ${i}`).toBe(i < 10 ? 201 : 409);
      if (i === 10) expect((await json<{ error: { code: string } }>(res)).error.code).toBe('account_crowded');
    }
    // Every connected brand is reached: the tenth still gets what its secret signs.
    expect((await signedOrder(shop, 'secret number 9 for this crowded shop', 'crowd-1')).status).toBe(200);
    expect(await conversionsOf(brands[9]!.brand.brandId)).toBe(1);
  });

  it('rotates a secret without a gap: connect the new one, then disconnect the old', async () => {
    const m = await brandWithStores();
    const fresh = 'the new shopify secret 0123456789abcdef';
    const added = await json<{ data: { id: string } }>(await connect(m.brand, 'shopify', m.shop, fresh));
    expect((await signedOrder(m.shop, signatures.shopifySecret, 'rot-1')).status).toBe(200);
    expect((await signedOrder(m.shop, fresh, 'rot-2')).status).toBe(200);
    const third = await connect(m.brand, 'shopify', m.shop, 'a third secret 0123456789abcdef');
    expect(third.status).toBe(409);
    expect((await json<{ error: { code: string } }>(third)).error.code).toBe('too_many_secrets');
    const listed = await json<{ data: { id: string; provider: string; externalAccount: string }[] }>(await m.brand.api('GET', '/api/admin/integrations'));
    const old = listed.data.find((i) => i.provider === 'shopify' && i.id !== added.data.id)!;
    expect(JSON.stringify(listed)).not.toContain(signatures.shopifySecret);
    const other = await createMoneyBrand();
    expect((await other.brand.api('DELETE', `/api/admin/integrations/${old.id}`)).status).toBe(404);
    expect((await m.brand.api('DELETE', `/api/admin/integrations/${old.id}`)).status).toBe(200);
    expect((await signedOrder(m.shop, signatures.shopifySecret, 'rot-3')).status).toBe(401);
    expect((await signedOrder(m.shop, fresh, 'rot-4')).status).toBe(200);
    expect(await conversionsOf(m.brand.brandId)).toBe(3);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'integration.deleted'", m.brand.brandId)).toBe(1);
  });
});

describe('GET /sdk.js', () => {
  it('serves the first-party click-id script as JavaScript', async () => {
    const res = await SELF.fetch(`${BASE}/sdk.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/javascript');
    const text = await res.text();
    expect(text).toContain('chorus_cid');
    expect(() => new Function(text)).not.toThrow();
  });
});
