// The store webhooks' delivery log on Keys and stores: what each delivery for a connected store was answered,
// including what Chorus acknowledged without recording and what did not verify, for that brand only.
import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import shopifyOrderRaw from '../../fixtures/shopify-orders-create.json?raw';
import signatures from '../../fixtures/signatures.json';
import stripeSessionRaw from '../../fixtures/stripe-checkout-session-completed.json?raw';
import { KEPT_PER_STORE, recordReceipts } from '../../../worker/db/webhook-receipts';
import { signShopify, signTimestamped } from '../../../worker/lib/signatures';
import { consoleBrand, get, tag } from '../console-fixtures';
import { BASE, connectStores, rowCount, waitFor } from '../fixtures';

type Row = { topic: string; ref: string | null; status: number; outcome: string; detail: string | null; integration_id: string };
const receipts = (brandId: string) => env.DB.prepare('SELECT topic, ref, status, outcome, detail, integration_id FROM webhook_receipts WHERE brand_id = ? ORDER BY id').bind(brandId).all<Row>().then((r) => r.results);
const receiptsReach = (brandId: string, n: number) => waitFor(async () => ((await receipts(brandId)).length >= n ? receipts(brandId) : null));

async function shopBrand() {
  const o = await consoleBrand('owner');
  return { ...o, ...(await connectStores(o.brand, 'receipts')) };
}

const shopify = async (shop: string, topic: string, body: object, secret = signatures.shopifySecret) => {
  const raw = JSON.stringify(body);
  return SELF.fetch(`${BASE}/v1/webhooks/shopify`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-shopify-shop-domain': shop, 'x-shopify-topic': topic, 'x-shopify-hmac-sha256': await signShopify(secret, raw) }, body: raw });
};
const order = (code: string, patch: Record<string, unknown> = {}) => ({ ...JSON.parse(shopifyOrderRaw), id: Number(`${Date.now()}${Math.floor(Math.random() * 1000)}`), created_at: new Date().toISOString(), discount_codes: [{ code }], ...patch });

describe('store webhook delivery log', () => {
  it('keeps what each delivery was answered, recorded or not, and shows it to the brand in words', async () => {
    const o = await shopBrand();
    const paid = order(o.code);
    expect((await shopify(o.shop, 'orders/create', paid)).status).toBe(200);
    expect((await shopify(o.shop, 'orders/create', order(o.code, { test: true }))).status).toBe(200);
    expect((await shopify(o.shop, 'orders/create', { id: 1 })).status).toBe(422);
    expect((await shopify(o.shop, 'customers/create', { id: 2 })).status).toBe(200);
    const event = JSON.parse(stripeSessionRaw);
    event.id = `evt_${tag()}`;
    Object.assign(event.data.object, { payment_intent: `pi_${tag()}`, metadata: { chorus_code: o.code }, created: Math.floor(Date.now() / 1000) });
    const raw = JSON.stringify(event);
    const stripe = await SELF.fetch(`${BASE}/v1/webhooks/stripe/${o.stripeAccount}`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': await signTimestamped(signatures.stripeSecret, raw, Date.now()) }, body: raw });
    expect(stripe.status).toBe(200);
    const rows = await receiptsReach(o.brand.brandId, 5);
    expect(rows.map(({ integration_id: _, ...r }) => r)).toEqual([
      { topic: 'orders/create', ref: String(paid.id), status: 200, outcome: 'recorded', detail: null },
      { topic: 'orders/create', ref: expect.any(String), status: 200, outcome: 'ignored', detail: 'test_mode' },
      { topic: 'orders/create', ref: '1', status: 422, outcome: 'refused', detail: 'unsupported_payload: order id or currency missing' },
      { topic: 'customers/create', ref: '2', status: 200, outcome: 'ignored', detail: 'topic' },
      { topic: 'checkout.session.completed', ref: event.id, status: 200, outcome: 'recorded', detail: null },
    ]);
    const page = await (await get('/console/keys', o.cookie)).text();
    expect(page).toContain('Recent deliveries');
    expect(page).toContain('A test order: acknowledged, earns nobody anything');
    expect(page).toContain('Chorus could not read it (order id or currency missing); the store retries it');
    expect(page).toContain('A topic Chorus does not read');
    expect(page).toContain('checkout.session.completed</code>');
    // Another brand's console shows none of them.
    const other = await consoleBrand('owner');
    expect(await (await get('/console/keys', other.cookie)).text()).not.toContain(String(paid.id));
  });

  it('logs a connected store whose secret does not verify once a minute, and nothing for a store nobody connected', async () => {
    const o = await shopBrand();
    for (let i = 0; i < 3; i++) expect((await shopify(o.shop, 'orders/create', order(o.code), 'shpss_not_the_secret_0000000000')).status).toBe(401);
    const rows = await receiptsReach(o.brand.brandId, 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(await receipts(o.brand.brandId)).toEqual([{ topic: 'orders/create', ref: null, status: 401, outcome: 'refused', detail: 'invalid_signature: mismatch', integration_id: rows[0]!.integration_id }]);
    expect(await (await get('/console/keys', o.cookie)).text()).toContain('The signature did not verify: check the secret connected here is the one the store signs with');
    // Two brands connected the same shop: neither hears of a delivery that verifies for neither.
    const twice = await shopBrand();
    const squatter = await consoleBrand('owner');
    expect((await squatter.brand.api('POST', '/api/admin/integrations', { provider: 'shopify', externalAccount: twice.shop, secret: 'shpss_the_squatters_own_secret_00' })).status).toBe(201);
    expect((await shopify(twice.shop, 'orders/create', order(twice.code), 'shpss_not_the_secret_0000000000')).status).toBe(401);
    // A connected shop's forged delivery names no topic Chorus does not read.
    const forged = await shopBrand();
    expect((await shopify(forged.shop, 'Click here: evil.example', order(forged.code), 'shpss_not_the_secret_0000000000')).status).toBe(401);
    expect((await receiptsReach(forged.brand.brandId, 1)).map((r) => r.topic)).toEqual(['(none)']);
    expect(await rowCount('SELECT count(*) AS n FROM webhook_receipts WHERE brand_id IN (?, ?)', twice.brand.brandId, squatter.brand.brandId)).toBe(0);
    const before = await rowCount('SELECT count(*) AS n FROM webhook_receipts');
    expect((await shopify(`nobody-${tag()}.myshopify.com`, 'orders/create', order(o.code))).status).toBe(401);
    await new Promise((r) => setTimeout(r, 200));
    expect(await rowCount('SELECT count(*) AS n FROM webhook_receipts')).toBe(before);
  });

  it(`keeps the last ${KEPT_PER_STORE} deliveries of each store`, async () => {
    const integrationId = `int_${tag()}`;
    const other = `int_${tag()}`;
    const receipt = (integration: string, i: number) => ({ brandId: 'brand_x', integrationId: integration, provider: 'shopify' as const, account: 'x.myshopify.com', topic: 'orders/create', ref: String(i), status: 200, outcome: 'recorded' as const, detail: null });
    await recordReceipts(env.DB, [receipt(other, 0)]);
    for (let i = 0; i < KEPT_PER_STORE + 5; i += 15) await recordReceipts(env.DB, Array.from({ length: Math.min(15, KEPT_PER_STORE + 5 - i) }, (_, k) => receipt(integrationId, i + k)));
    const kept = await env.DB.prepare('SELECT ref FROM webhook_receipts WHERE integration_id = ? ORDER BY id').bind(integrationId).all<{ ref: string }>();
    expect(kept.results).toHaveLength(KEPT_PER_STORE);
    expect(kept.results[0]!.ref).toBe('5');
    expect(await rowCount('SELECT count(*) AS n FROM webhook_receipts WHERE integration_id = ?', other)).toBe(1);
  });
});
