// "Last used" on API keys and connected stores: set by a request the key authenticates (an ingest key: the
// one whose signature verified; a store: the secret a webhook verified with) and that is answered below 400,
// never by a refused one, written at most once per ten minutes, and shown in the console and the admin API.
import { createExecutionContext, env, SELF, waitOnExecutionContext } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import signatures from '../fixtures/signatures.json';
import { forgetUses, LAST_USED_GRANULARITY_MS, noteUse } from '../../worker/lib/last-used';
import { signShopify, signTimestamped } from '../../worker/lib/signatures';
import { consoleBrand, get, post } from './console-fixtures';
import { BASE, createBrand, createMoneyBrand, d1With, issueKey, json, signedPost, waitFor, type TestBrand } from './fixtures';

const lastUsed = (table: 'api_keys' | 'brand_integrations', id: string) =>
  env.DB.prepare(`SELECT last_used_at FROM ${table} WHERE id = ?`).bind(id).first<{ last_used_at: number | null }>().then((r) => r!.last_used_at);
const keyId = async (brand: TestBrand, where: string, ...args: unknown[]) =>
  (await env.DB.prepare(`SELECT id FROM api_keys WHERE brand_id = ? AND ${where}`).bind(brand.brandId, ...args).first<{ id: string }>())!.id;
// The write happens after the answer (waitUntil): wait for it.
const usedSince = (table: 'api_keys' | 'brand_integrations', id: string, since: number) => waitFor(async () => ((await lastUsed(table, id)) ?? 0) >= since || null);
const order = (code: string) => ({ orderId: `lu-${crypto.randomUUID()}`, amountMinor: 5_000, currency: 'USD', occurredAt: new Date(Date.now() - 60_000).toISOString(), code });

// Long enough for a write the request left in waitUntil to land, had it made one.
const settleWaits = () => new Promise((resolve) => setTimeout(resolve, 200));

beforeEach(() => forgetUses());

describe('last used', () => {
  it('marks an admin key when it opens the admin API, and the list shows when', async () => {
    const brand = await createBrand();
    const id = await keyId(brand, "scope = 'admin'");
    expect(await lastUsed('api_keys', id)).toBeNull();
    const before = Date.now();
    const listed = await json<{ data: { id: string; lastUsedAt: string | null }[] }>(await brand.api('GET', '/api/admin/keys'));
    await usedSince('api_keys', id, before);
    // The list was read by the request that marks it, so it may show the use or not; the next one does.
    expect(listed.data.find((k) => k.id === id)).toHaveProperty('lastUsedAt');
    const again = await json<{ data: { id: string; lastUsedAt: string | null }[] }>(await brand.api('GET', '/api/admin/keys'));
    expect(Date.parse(again.data.find((k) => k.id === id)!.lastUsedAt!)).toBe(await lastUsed('api_keys', id));
  });

  it('marks a storefront key on its code checks, through the cached path too', async () => {
    const m = await createMoneyBrand();
    const key = await issueKey(m.brand, 'storefront');
    const id = await keyId(m.brand, "scope = 'storefront'");
    const check = () => SELF.fetch(`${BASE}/v1/codes/${m.code}`, { headers: { authorization: `Bearer ${key}`, 'cf-connecting-ip': '203.0.113.71' } });
    const t0 = Date.now();
    expect((await check()).status).toBe(200);
    await usedSince('api_keys', id, t0);
    // Now the isolate holds the key and the code: the check is answered before the router, and still marks it.
    await env.DB.prepare('UPDATE api_keys SET last_used_at = NULL WHERE id = ?').bind(id).run();
    forgetUses();
    const t1 = Date.now();
    expect(await (await check()).json()).toMatchObject({ valid: true });
    await usedSince('api_keys', id, t1);
  });

  it('marks the ingest key whose signature verified, not the other key of a rotation, and no key for a bad signature', async () => {
    const m = await createMoneyBrand();
    const rolled = await issueKey(m.brand, 'ingest');
    const [oldId, newId] = [await keyId(m.brand, "scope = 'ingest' AND prefix = ?", m.ingestKey.slice(0, 14)), await keyId(m.brand, "scope = 'ingest' AND prefix = ?", rolled.slice(0, 14))];
    // Signed with a stranger's secret, or with the key but an order that fails validation: refused, and
    // neither key is marked.
    expect((await signedPost(m.brand, 'ck_ingest_not_this_brands_secret_000000', '/v1/conversions', order(m.code))).status).toBe(401);
    expect((await signedPost(m.brand, rolled, '/v1/conversions', { ...order(m.code), amountMinor: -5 })).status).toBe(422);
    await settleWaits();
    expect(await lastUsed('api_keys', newId)).toBeNull();
    // Signed with the new key alone.
    const t0 = Date.now();
    expect((await signedPost(m.brand, rolled, '/v1/conversions', order(m.code))).status).toBe(201);
    await usedSince('api_keys', newId, t0);
    expect(await lastUsed('api_keys', oldId)).toBeNull();
  });

  it("marks the store secret a webhook verified with, and the console shows when the store's last webhook came", async () => {
    const o = await consoleBrand('owner');
    const shop = `lu-${crypto.randomUUID().slice(0, 8)}.myshopify.com`;
    for (const secret of [signatures.shopifySecret, 'shpss_the_old_secret_being_rotated_out']) {
      expect((await o.brand.api('POST', '/api/admin/integrations', { provider: 'shopify', externalAccount: shop, secret })).status).toBe(201);
    }
    const ids = (await env.DB.prepare('SELECT id FROM brand_integrations WHERE brand_id = ? ORDER BY created_at, id').bind(o.brand.brandId).all<{ id: string }>()).results.map((r) => r.id);
    expect(await (await get('/console/keys', o.cookie)).text()).toContain('None yet');
    const webhook = async (secret: string, topic = 'app/uninstalled', raw = JSON.stringify({ id: 1 })) =>
      SELF.fetch(`${BASE}/v1/webhooks/shopify`, { method: 'POST', headers: { 'x-shopify-shop-domain': shop, 'x-shopify-topic': topic, 'x-shopify-hmac-sha256': await signShopify(secret, raw) }, body: raw });
    expect((await webhook('shpss_somebody_elses_secret_000000')).status).toBe(401);
    // Signed with the brand's secret, but refused (not JSON): a refused request writes nothing, this included.
    expect((await webhook(signatures.shopifySecret, 'orders/create', '{"id": 1,')).status).toBe(400);
    await settleWaits();
    expect(await lastUsed('brand_integrations', ids[0]!)).toBeNull();
    const t0 = Date.now();
    expect((await webhook(signatures.shopifySecret)).status).toBe(200);
    await usedSince('brand_integrations', ids[0]!, t0);
    expect(await lastUsed('brand_integrations', ids[1]!)).toBeNull();
    const page = await (await get('/console/keys', o.cookie)).text();
    const at = new Intl.DateTimeFormat('en', { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short', timeZone: 'UTC' }).format(new Date((await lastUsed('brand_integrations', ids[0]!))!));
    expect(page).toContain(at);
    // Still one secret nothing has used: the other row asks for the webhook to be set up.
    expect(page).toContain('None yet');
    // Asked to disconnect, the owner is told when the store last sent a webhook.
    expect(await (await post(`/console/keys/stores/${ids[0]}/remove`, {}, { cookie: o.cookie })).text()).toContain(`Its last webhook arrived ${at}.`);
    expect(await (await post(`/console/keys/stores/${ids[1]}/remove`, {}, { cookie: o.cookie })).text()).toContain('No webhook has arrived signed with this secret.');
  });

  it('marks a Stripe endpoint secret too', async () => {
    const brand = await createBrand();
    const account = `lu-${crypto.randomUUID().slice(0, 8)}`;
    expect((await brand.api('POST', '/api/admin/integrations', { provider: 'stripe', externalAccount: account, secret: signatures.stripeSecret })).status).toBe(201);
    const id = (await env.DB.prepare('SELECT id FROM brand_integrations WHERE brand_id = ?').bind(brand.brandId).first<{ id: string }>())!.id;
    const raw = JSON.stringify({ id: 'evt_1', type: 'customer.created', data: { object: {} } });
    const t0 = Date.now();
    const res = await SELF.fetch(`${BASE}/v1/webhooks/stripe/${account}`, { method: 'POST', headers: { 'stripe-signature': await signTimestamped(signatures.stripeSecret, raw, Date.now()) }, body: raw });
    expect(res.status).toBe(200);
    await usedSince('brand_integrations', id, t0);
  });

  it('shows Never for an unused key and the time for a used one in the console, and says so when revoking', async () => {
    const o = await consoleBrand('owner');
    const spare = await keyId(o.brand, "scope = 'admin'");
    await env.DB.prepare("INSERT INTO api_keys (id, brand_id, scope, name, key_hash, prefix, created_at) VALUES ('key_lu_unused_' || ?1, ?2, 'storefront', 'Spare', ?1, 'ck_pub_xxxx', ?3)")
      .bind(crypto.randomUUID(), o.brand.brandId, Date.now())
      .run();
    await env.DB.prepare('UPDATE api_keys SET last_used_at = ? WHERE id = ?').bind(Date.parse('2026-11-20T09:05:00Z'), spare).run();
    const page = await (await get('/console/keys', o.cookie)).text();
    expect(page).toContain('Nov 20, 2026, 9:05 AM UTC');
    expect(page).toMatch(/Spare[\s\S]*?Never/);
    expect(await (await post(`/console/keys/keys/${spare}/remove`, {}, { cookie: o.cookie })).text()).toContain('Last used Nov 20, 2026, 9:05 AM UTC.');
    const unused = await keyId(o.brand, "name = 'Spare'");
    expect(await (await post(`/console/keys/keys/${unused}/remove`, {}, { cookie: o.cookie })).text()).toContain('It has never been used.');
  });
});

describe('how often it is written', () => {
  const settle = async (work: (ctx: ExecutionContext) => void) => {
    const ctx = createExecutionContext();
    work(ctx);
    await waitOnExecutionContext(ctx);
  };

  it('writes once per ten minutes per key, and leaves a newer time another isolate wrote', async () => {
    const brand = await createBrand();
    const id = await keyId(brand, "scope = 'admin'");
    const t0 = Date.now();
    await settle((ctx) => noteUse(env.DB, ctx, 'key', id, t0));
    expect(await lastUsed('api_keys', id)).toBe(t0);
    // Within ten minutes this isolate does not write again.
    await settle((ctx) => noteUse(env.DB, ctx, 'key', id, t0 + LAST_USED_GRANULARITY_MS - 1));
    expect(await lastUsed('api_keys', id)).toBe(t0);
    await settle((ctx) => noteUse(env.DB, ctx, 'key', id, t0 + LAST_USED_GRANULARITY_MS));
    expect(await lastUsed('api_keys', id)).toBe(t0 + LAST_USED_GRANULARITY_MS);
    // Another isolate, which has not written this key, sees a time within ten minutes of its own: left as it is.
    forgetUses();
    await settle((ctx) => noteUse(env.DB, ctx, 'key', id, t0 + LAST_USED_GRANULARITY_MS + 60_000));
    expect(await lastUsed('api_keys', id)).toBe(t0 + LAST_USED_GRANULARITY_MS);
  });

  it('a failed write fails nothing, and the next use tries again', async () => {
    const brand = await createBrand();
    const id = await keyId(brand, "scope = 'admin'");
    const failing = d1With({
      prepare: () => ({ bind: () => ({ run: () => Promise.reject(new Error('D1_ERROR: storage unavailable')) }) }),
    });
    const t0 = Date.now();
    await settle((ctx) => noteUse(failing, ctx, 'key', id, t0));
    expect(await lastUsed('api_keys', id)).toBeNull();
    await settle((ctx) => noteUse(env.DB, ctx, 'key', id, t0 + 1));
    expect(await lastUsed('api_keys', id)).toBe(t0 + 1);
  });
});
