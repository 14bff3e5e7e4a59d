// Settings → Keys and stores in the console: owners create a key (shown once) and revoke one, connect and
// disconnect a store, each asked once more where it breaks something; everyone else reads.
import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { adminUser, consoleBrand, get, post, signIn, tag } from '../console-fixtures';
import { BASE, rowCount, signedPost } from '../fixtures';

const order = (orderId: string, code: string) => ({ orderId, amountMinor: 20_000, currency: 'USD', occurredAt: new Date(Date.now() - 3_600_000).toISOString(), code });
const keyIn = (html: string) => /ck_(?:ingest|admin|pub)_[A-Za-z0-9_-]{20,}/.exec(html)?.[0] ?? null;

describe('console keys and stores', () => {
  it('creates a key shown once, which works at once, and revokes it only when asked twice', async () => {
    const o = await consoleBrand('owner');
    const created = await post('/console/keys/keys', { name: 'Checkout backend', scope: 'ingest', expiresOn: '' }, { cookie: o.cookie });
    expect(created.status).toBe(200);
    const html = await created.text();
    expect(html).toContain('Your new ingest key “Checkout backend”');
    const key = keyIn(html)!;
    expect(key).toMatch(/^ck_ingest_/);
    // It signs orders now; the page never shows it again.
    expect((await signedPost(o.brand, key, '/v1/conversions', order(`k-${tag()}`, o.code))).status).toBe(201);
    // Reloading the page that showed it posts the form again: refused, so no second key nobody holds.
    const again = await post('/console/keys/keys', { name: 'Checkout backend', scope: 'ingest', expiresOn: '' }, { cookie: o.cookie });
    expect(again.status).toBe(409);
    expect(keyIn(await again.text())).toBeNull();
    expect(await rowCount("SELECT count(*) AS n FROM api_keys WHERE brand_id = ? AND name = 'Checkout backend'", o.brand.brandId)).toBe(1);
    expect((await get('/console/keys/keys', o.cookie)).headers.get('location')).toBe('/console/keys');
    const later = await (await get('/console/keys', o.cookie)).text();
    expect(later).not.toContain(key);
    expect(later).toContain(`${key.slice(0, 14)}…`);
    const row = await env.DB.prepare("SELECT id FROM api_keys WHERE brand_id = ? AND name = 'Checkout backend'").bind(o.brand.brandId).first<{ id: string }>();
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'api_key.created' AND actor_type = 'admin_user' AND actor_id = ?", o.brand.brandId, o.user.id)).toBe(1);

    const ask = await post(`/console/keys/keys/${row!.id}/remove`, {}, { cookie: o.cookie });
    expect(ask.status).toBe(200);
    expect(await ask.text()).toContain(`Revoke “Checkout backend” (ingest, ${key.slice(0, 14)}…)?`);
    expect(await rowCount('SELECT count(*) AS n FROM api_keys WHERE id = ? AND revoked_at IS NULL', row!.id)).toBe(1);
    const revoked = await post(`/console/keys/keys/${row!.id}/remove`, { confirm: '1' }, { cookie: o.cookie });
    expect(revoked.headers.get('location')).toBe('/console/keys?flash=revoked');
    expect((await signedPost(o.brand, key, '/v1/conversions', order(`k-${tag()}`, o.code))).status).toBe(401);
    // A revoked key is not revoked twice.
    expect((await post(`/console/keys/keys/${row!.id}/remove`, { confirm: '1' }, { cookie: o.cookie })).status).toBe(404);

    // An admin key with an end date: it opens the admin API until then.
    const admin = keyIn(await (await post('/console/keys/keys', { name: 'Contractor', scope: 'admin', expiresOn: new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10) }, { cookie: o.cookie })).text())!;
    expect((await SELF.fetch(`${BASE}/api/admin/brand`, { headers: { authorization: `Bearer ${admin}` } })).status).toBe(200);
    expect(await (await get('/console/keys', o.cookie)).text()).toMatch(/Contractor[\s\S]*until/);
  });

  it("ends a key at the end of the chosen day in the brand's timezone, the day the list then shows", async () => {
    const o = await consoleBrand('owner');
    await env.DB.prepare("UPDATE brands SET timezone = 'Asia/Tokyo' WHERE id = ?").bind(o.brand.brandId).run();
    const day = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
    const res = await post('/console/keys/keys', { name: 'Tokyo contractor', scope: 'admin', expiresOn: day }, { cookie: o.cookie });
    expect(res.status).toBe(200);
    const row = await env.DB.prepare("SELECT expires_at FROM api_keys WHERE brand_id = ? AND name = 'Tokyo contractor'").bind(o.brand.brandId).first<{ expires_at: number }>();
    // The next day starts in Tokyo (UTC+9) at 15:00Z; in UTC the key would have run nine hours into it.
    expect(row!.expires_at).toBe(Date.parse(`${day}T15:00:00Z`) - 1);
    const shown = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeZone: 'UTC' }).format(Date.parse(`${day}T00:00:00Z`));
    expect(await (await get('/console/keys', o.cookie)).text()).toContain(`until ${shown}`);
  });

  it('connects a store with its secret sealed, shows where its webhooks go, and disconnects it when asked twice', async () => {
    const o = await consoleBrand('owner');
    const shop = `shop-${tag()}.myshopify.com`;
    const secret = `shpss_${'a1'.repeat(16)}`;
    const res = await post('/console/keys/stores', { provider: 'shopify', externalAccount: ` ${shop.toUpperCase()} `, secret }, { cookie: o.cookie });
    expect(res.headers.get('location')).toBe('/console/keys?flash=connected');
    const stored = await env.DB.prepare('SELECT id, secret_enc FROM brand_integrations WHERE brand_id = ? AND external_account = ?').bind(o.brand.brandId, shop).first<{ id: string; secret_enc: string }>();
    expect(stored!.secret_enc).not.toContain(secret);
    const page = await (await get('/console/keys', o.cookie)).text();
    expect(page).toContain(shop);
    expect(page).toContain(`${BASE}/v1/webhooks/shopify`);
    expect(page).not.toContain(secret);
    // A third secret for the same shop is refused in place (two at a time, while rotating).
    await post('/console/keys/stores', { provider: 'shopify', externalAccount: shop, secret: `${secret}b` }, { cookie: o.cookie });
    const third = await post('/console/keys/stores', { provider: 'shopify', externalAccount: shop, secret: `${secret}c` }, { cookie: o.cookie });
    expect(third.status).toBe(409);
    expect(await third.text()).toContain('disconnect the old one first');

    expect(await (await post(`/console/keys/stores/${stored!.id}/remove`, {}, { cookie: o.cookie })).text()).toContain(`Disconnect Shopify ${shop} (connected`);
    expect((await post(`/console/keys/stores/${stored!.id}/remove`, { confirm: '1' }, { cookie: o.cookie })).headers.get('location')).toBe('/console/keys?flash=disconnected');
    expect(await rowCount('SELECT count(*) AS n FROM brand_integrations WHERE id = ?', stored!.id)).toBe(0);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action IN ('integration.created', 'integration.deleted') AND actor_type = 'admin_user'", o.brand.brandId)).toBe(3);
  });

  it('refuses bad input, other roles, a cross-site form and another brand’s ids, writing nothing', async () => {
    const o = await consoleBrand('owner');
    const other = await consoleBrand('owner');
    const otherKey = await env.DB.prepare('SELECT id FROM api_keys WHERE brand_id = ? LIMIT 1').bind(other.brand.brandId).first<{ id: string }>();
    const counts = async () => [await rowCount('SELECT count(*) AS n FROM api_keys WHERE brand_id = ?', o.brand.brandId), await rowCount('SELECT count(*) AS n FROM brand_integrations WHERE brand_id = ?', o.brand.brandId)];
    const before = await counts();
    for (const [fields, says] of [
      [{ name: '', scope: 'ingest', expiresOn: '' }, 'Name:'],
      [{ name: 'x'.repeat(81), scope: 'ingest', expiresOn: '' }, 'Name:'],
      [{ name: 'A\u202eB', scope: 'ingest', expiresOn: '' }, 'No text-direction override characters.'],
      [{ name: 'Key', scope: 'root', expiresOn: '' }, 'Scope: pick storefront, ingest or admin.'],
      [{ name: 'Key', scope: 'admin', expiresOn: '2020-01-01' }, 'Ends on: a date in the future, within five years.'],
      [{ name: 'Key', scope: 'admin', expiresOn: '2026-02-30' }, 'Ends on: a date in the future'],
      [{ name: 'Key', scope: 'admin', expiresOn: '2026-02-32' }, 'Ends on: a date in the future'],
      [{ name: 'Key', scope: 'admin', expiresOn: '2026-13-01' }, 'Ends on: a date in the future'],
      [{ name: 'Key', scope: 'admin', expiresOn: '0000-00-00' }, 'Ends on: a date in the future'],
      [{ name: 'Key', scope: 'admin', expiresOn: 'soon' }, 'Ends on:'],
      [{ name: 'Key', scope: 'admin', expiresOn: '2099-01-01' }, 'within five years'],
    ] as const) {
      const res = await post('/console/keys/keys', fields, { cookie: o.cookie });
      expect(res.status, JSON.stringify(fields)).toBe(422);
      expect(await res.text()).toContain(says);
    }
    for (const [fields, says] of [
      [{ provider: 'magento', externalAccount: 'shop.example', secret: 'x'.repeat(20) }, 'Platform:'],
      [{ provider: 'shopify', externalAccount: 'my shop', secret: 'x'.repeat(20) }, 'Shop or account:'],
      [{ provider: 'stripe', externalAccount: '../../admin', secret: 'x'.repeat(20) }, 'Shop or account:'],
      [{ provider: 'stripe', externalAccount: 'acct', secret: 'short' }, 'Webhook signing secret:'],
      [{ provider: 'shopify', externalAccount: 'shop.example.com', secret: 'x'.repeat(20) }, 'myshopify.com domain'],
    ] as const) {
      const res = await post('/console/keys/stores', fields, { cookie: o.cookie });
      expect(res.status, JSON.stringify(fields)).toBe(422);
      expect(await res.text()).toContain(says);
    }
    expect((await post('/console/keys/keys', { name: 'Evil', scope: 'admin', expiresOn: '' }, { cookie: o.cookie, origin: 'https://evil.example' })).status).toBe(403);
    const ownKey = await env.DB.prepare('SELECT id FROM api_keys WHERE brand_id = ? LIMIT 1').bind(o.brand.brandId).first<{ id: string }>();
    for (const path of [`/console/keys/keys/${otherKey!.id}/remove`, '/console/keys/keys/key_nope/remove', '/console/keys/stores/int_nope/remove', '/console/keys/other/x/remove', `/console/keys/keysX/${ownKey!.id}/remove`, `/console/keys/xstores/${ownKey!.id}/remove`]) {
      expect((await post(path, { confirm: '1' }, { cookie: o.cookie })).status, path).toBe(404);
    }
    for (const role of ['manager', 'viewer'] as const) {
      const cookie = await signIn((await adminUser(o.brand.brandId, role)).email);
      const page = await (await get('/console/keys', cookie)).text();
      expect(page).toContain('Only an owner can create or revoke keys.');
      expect(page).not.toContain('Create the key');
      expect((await post('/console/keys/keys', { name: 'Mine', scope: 'admin', expiresOn: '' }, { cookie })).status).toBe(403);
      expect((await post('/console/keys/stores', { provider: 'stripe', externalAccount: 'acct', secret: 'x'.repeat(20) }, { cookie })).status).toBe(403);
    }
    expect(await counts()).toEqual(before);
    expect(await rowCount('SELECT count(*) AS n FROM api_keys WHERE id IN (?, ?) AND revoked_at IS NULL', otherKey!.id, ownKey!.id)).toBe(2);
    expect((await get('/console/keys/keysXYZ', o.cookie)).status).toBe(404);
  });

  it('lets an owner add a webhook endpoint (its secret shown once), disable it when asked twice and enable it again', async () => {
    const o = await consoleBrand('owner');
    const url = `https://hooks-${tag()}.example.com/chorus`;
    const added = await post('/console/webhooks/endpoints', { url, description: 'Finance ERP', events: ['conversion.created', 'payout.closed'] }, { cookie: o.cookie });
    expect(added.status).toBe(200);
    const html = await added.text();
    const secret = /whsec_[A-Za-z0-9_-]{20,}/.exec(html)?.[0];
    expect(secret).toBeTruthy();
    const row = await env.DB.prepare('SELECT id, events, enabled FROM webhook_endpoints WHERE brand_id = ? AND url = ?').bind(o.brand.brandId, url).first<{ id: string; events: string; enabled: number }>();
    expect(JSON.parse(row!.events)).toEqual(['conversion.created', 'payout.closed']);
    expect(await (await get('/console/webhooks', o.cookie)).text()).not.toContain(secret!);
    // The same form again (a reload) is refused while that endpoint is enabled.
    expect((await post('/console/webhooks/endpoints', { url, description: 'Finance ERP', events: ['conversion.created'] }, { cookie: o.cookie })).status).toBe(409);

    expect(await (await post(`/console/webhooks/endpoints/${row!.id}/disable`, {}, { cookie: o.cookie })).text()).toContain('Disable this endpoint?');
    expect((await post(`/console/webhooks/endpoints/${row!.id}/disable`, { confirm: '1' }, { cookie: o.cookie })).headers.get('location')).toBe('/console/webhooks?flash=disabled');
    expect(await rowCount('SELECT count(*) AS n FROM webhook_endpoints WHERE id = ? AND enabled = 0', row!.id)).toBe(1);
    // Added again while the first is disabled, the first cannot be enabled beside it.
    const second = await post('/console/webhooks/endpoints', { url, description: 'Finance ERP, new secret', events: ['conversion.created'] }, { cookie: o.cookie });
    expect(second.status).toBe(200);
    expect((await post(`/console/webhooks/endpoints/${row!.id}/enable`, {}, { cookie: o.cookie })).status).toBe(409);
    const newer = await env.DB.prepare('SELECT id FROM webhook_endpoints WHERE brand_id = ? AND url = ? AND enabled = 1').bind(o.brand.brandId, url).first<{ id: string }>();
    expect((await post(`/console/webhooks/endpoints/${newer!.id}/disable`, { confirm: '1' }, { cookie: o.cookie })).status).toBe(303);
    expect((await post(`/console/webhooks/endpoints/${row!.id}/enable`, {}, { cookie: o.cookie })).headers.get('location')).toBe('/console/webhooks?flash=enabled');
    expect(await rowCount('SELECT count(*) AS n FROM webhook_endpoints WHERE id = ? AND enabled = 1', row!.id)).toBe(1);

    const before = await rowCount('SELECT count(*) AS n FROM webhook_endpoints WHERE brand_id = ?', o.brand.brandId);
    for (const [fields, says] of [
      [{ url: 'http://hooks.example.com/x', description: '', events: ['payout.closed'] }, 'URL: it must be https'],
      [{ url: 'https://127.0.0.1.nip.io@evil/x', description: '', events: ['payout.closed'] }, 'URL:'],
      [{ url: '', description: '', events: ['payout.closed'] }, 'URL:'],
      [{ url: 'https://hooks.example.com/y', description: '', events: [] as string[] }, 'Events: tick at least one.'],
      [{ url: 'https://hooks.example.com/y', description: '', events: ['order.paid'] }, 'Events:'],
      [{ url: 'https://hooks.example.com/y', description: 'a\u202eb', events: ['payout.closed'] }, 'Description:'],
    ] as const) {
      const res = await post('/console/webhooks/endpoints', fields as never, { cookie: o.cookie });
      expect(res.status, JSON.stringify(fields)).toBe(422);
      expect(await res.text()).toContain(says);
    }
    const other = await consoleBrand('owner');
    expect((await post(`/console/webhooks/endpoints/${row!.id}/disable`, { confirm: '1' }, { cookie: other.cookie })).status).toBe(404);
    expect((await post(`/console/webhooks/endpoints/${row!.id}/disableX`, { confirm: '1' }, { cookie: o.cookie })).status).toBe(404);
    expect((await post('/console/webhooks/endpoints', { url: `https://${'a'.repeat(2100)}.example.com/`, description: '', events: ['payout.closed'] }, { cookie: o.cookie })).status).toBe(422);
    const manager = await signIn((await adminUser(o.brand.brandId, 'manager')).email);
    expect(await (await get('/console/webhooks', manager)).text()).not.toContain('Add the endpoint');
    expect((await post('/console/webhooks/endpoints', { url: 'https://hooks.example.com/z', description: '', events: ['payout.closed'] }, { cookie: manager })).status).toBe(403);
    expect((await post(`/console/webhooks/endpoints/${row!.id}/disable`, { confirm: '1' }, { cookie: manager })).status).toBe(403);
    expect(await rowCount('SELECT count(*) AS n FROM webhook_endpoints WHERE brand_id = ?', o.brand.brandId)).toBe(before);
  });

  it('keeps one live key per name and one enabled endpoint per URL when an owner posts the same form in parallel', async () => {
    const o = await consoleBrand('owner');
    const keys = await Promise.all(Array.from({ length: 6 }, () => post('/console/keys/keys', { name: 'Racing key', scope: 'storefront', expiresOn: '' }, { cookie: o.cookie })));
    expect(keys.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409, 409]);
    expect(await rowCount("SELECT count(*) AS n FROM api_keys WHERE brand_id = ? AND name = 'Racing key'", o.brand.brandId)).toBe(1);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'api_key.created' AND actor_type = 'admin_user'", o.brand.brandId)).toBe(1);

    const url = `https://race-${tag()}.example.com/in`;
    const adds = await Promise.all(Array.from({ length: 6 }, () => post('/console/webhooks/endpoints', { url, description: '', events: ['payout.closed'] }, { cookie: o.cookie })));
    expect(adds.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409, 409]);
    expect(await rowCount('SELECT count(*) AS n FROM webhook_endpoints WHERE brand_id = ? AND url = ?', o.brand.brandId, url)).toBe(1);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'webhook_endpoint.created'", o.brand.brandId)).toBe(1);

    // Two disabled endpoints on one URL, enabled at once: one of them.
    const first = await env.DB.prepare('SELECT id FROM webhook_endpoints WHERE brand_id = ? AND url = ?').bind(o.brand.brandId, url).first<{ id: string }>();
    await post(`/console/webhooks/endpoints/${first!.id}/disable`, { confirm: '1' }, { cookie: o.cookie });
    expect((await post('/console/webhooks/endpoints', { url, description: '', events: ['payout.closed'] }, { cookie: o.cookie })).status).toBe(200);
    const second = await env.DB.prepare('SELECT id FROM webhook_endpoints WHERE brand_id = ? AND url = ? AND enabled = 1').bind(o.brand.brandId, url).first<{ id: string }>();
    await post(`/console/webhooks/endpoints/${second!.id}/disable`, { confirm: '1' }, { cookie: o.cookie });
    const enables = await Promise.all([first!.id, second!.id, first!.id, second!.id].map((id) => post(`/console/webhooks/endpoints/${id}/enable`, {}, { cookie: o.cookie })));
    expect(enables.filter((r) => r.status === 303)).not.toHaveLength(0);
    expect(enables.filter((r) => r.status !== 303).map((r) => r.status)).not.toContain(500);
    expect(await rowCount('SELECT count(*) AS n FROM webhook_endpoints WHERE brand_id = ? AND url = ? AND enabled = 1', o.brand.brandId, url)).toBe(1);
  });

  it('lets an owner send an endpoint a test event and roll its secret, keeping the old one a day or not at all', async () => {
    const o = await consoleBrand('owner');
    // Nothing listens here (loopback http is allowed in tests): the test event's one try fails without leaving the machine.
    const url = `http://127.0.0.1:9/test-${tag()}`;
    await post('/console/webhooks/endpoints', { url, description: '', events: ['payout.closed'] }, { cookie: o.cookie });
    const endpoint = await env.DB.prepare('SELECT id, secret_enc FROM webhook_endpoints WHERE brand_id = ? AND url = ?').bind(o.brand.brandId, url).first<{ id: string; secret_enc: string }>();
    const page = await (await get('/console/webhooks', o.cookie)).text();
    expect(page).toContain('Send test event');
    expect(page).toContain('Roll secret');

    const tested = await post(`/console/webhooks/endpoints/${endpoint!.id}/test`, {}, { cookie: o.cookie });
    expect(tested.headers.get('location')).toBe('/console/webhooks?flash=tested');
    expect(await rowCount("SELECT count(*) AS n FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE d.endpoint_id = ? AND e.type = 'endpoint.test'", endpoint!.id)).toBe(1);
    expect(await (await get('/console/webhooks?flash=tested', o.cookie)).text()).toContain('endpoint.test');

    // Rolling asks first, and changes nothing until answered.
    const ask = await (await post(`/console/webhooks/endpoints/${endpoint!.id}/roll`, {}, { cookie: o.cookie })).text();
    expect(ask).toContain('Roll this endpoint&#39;s signing secret?');
    expect(await env.DB.prepare('SELECT secret_enc FROM webhook_endpoints WHERE id = ?').bind(endpoint!.id).first()).toEqual({ secret_enc: endpoint!.secret_enc });
    const version = /name="version" value="(\d+)"/.exec(ask)![1]!;
    const kept = await (await post(`/console/webhooks/endpoints/${endpoint!.id}/roll`, { confirm: '1', keep: '24', version }, { cookie: o.cookie })).text();
    expect(/whsec_[A-Za-z0-9_-]{20,}/.test(kept)).toBe(true);
    expect(kept).toContain('The old secret signs beside it until');
    expect(await rowCount('SELECT count(*) AS n FROM webhook_endpoints WHERE id = ? AND previous_secret_until > ?', endpoint!.id, Date.now() + 23 * 3_600_000)).toBe(1);
    expect(await (await get('/console/webhooks', o.cookie)).text()).toContain('Old secret signs too until');
    // The same form posted again (a reload of the page that showed the secret) rolls nothing.
    const reloaded = await post(`/console/webhooks/endpoints/${endpoint!.id}/roll`, { confirm: '1', keep: '24', version }, { cookie: o.cookie });
    expect(reloaded.status).toBe(409);
    expect(/whsec_[A-Za-z0-9_-]{20,}/.test(await reloaded.text())).toBe(false);
    const again = await (await post(`/console/webhooks/endpoints/${endpoint!.id}/roll`, {}, { cookie: o.cookie })).text();
    const now = await (await post(`/console/webhooks/endpoints/${endpoint!.id}/roll`, { confirm: '1', keep: '0', version: /name="version" value="(\d+)"/.exec(again)![1]! }, { cookie: o.cookie })).text();
    expect(now).toContain('The old secret no longer signs');
    expect(await rowCount('SELECT count(*) AS n FROM webhook_endpoints WHERE id = ? AND previous_secret_enc IS NULL AND previous_secret_until IS NULL', endpoint!.id)).toBe(1);

    // Managers, other brands and other sites cannot.
    const manager = await signIn((await adminUser(o.brand.brandId, 'manager')).email);
    expect((await post(`/console/webhooks/endpoints/${endpoint!.id}/test`, {}, { cookie: manager })).status).toBe(403);
    expect((await post(`/console/webhooks/endpoints/${endpoint!.id}/roll`, { confirm: '1' }, { cookie: manager })).status).toBe(403);
    const other = await consoleBrand('owner');
    expect((await post(`/console/webhooks/endpoints/${endpoint!.id}/roll`, { confirm: '1' }, { cookie: other.cookie })).status).toBe(404);
    expect((await post(`/console/webhooks/endpoints/${endpoint!.id}/test`, {}, { cookie: other.cookie })).status).toBe(404);
    expect((await post(`/console/webhooks/endpoints/${endpoint!.id}/roll`, { confirm: '1' }, { cookie: o.cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'webhook_endpoint.secret_rolled'", o.brand.brandId)).toBe(2);
  });
});
