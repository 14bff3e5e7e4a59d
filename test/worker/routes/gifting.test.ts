// Product seeding: the brand offers gift products and opens gifting, an accepted creator asks (products and a
// shipping address), the brand ships (one mail) or declines, the creator says it arrived, and the network
// results count what shipped. One creator's story through the portal, the console and the admin API.
import { env } from 'cloudflare:test';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import migration0066 from '../../../migrations/0066_gifting_rounds_and_sealed_addresses.sql?raw';
import { openSavedAddress, sealAddress } from '../../../worker/db/addresses';
import { GIFT_ADDRESS_SQL, tidyGiftAddresses } from '../../../worker/jobs/gift-addresses';
import { parseCsv } from '../../../worker/lib/csv';
import { newId } from '../../../worker/lib/ids';
import { sealSecret } from '../../../worker/lib/secrets';
import { logTransport, setTransport, type Message } from '../../../worker/lib/messages';
import { adminUser, get, post, signIn } from '../console-fixtures';
import { captureLogs, createBrand, createMoneyBrand, json, rowCount, waitFor, type Data } from '../fixtures';
import { portalTestDefaults, signedInCreator } from '../portal-fixtures';

portalTestDefaults();

type Product = { id: string; archivedAt: string | null };
type Request = { id: string; status: string; items: { title: string; option: string | null }[]; address: Record<string, string>; shipment: { carrier: string; trackingNumber: string; trackingUrl: string | null } | null; updatedAt: string };
type ErrorBody = { error: { code: string } };

const ERASED_BEFORE_0066 = '{"name":"Closed account","line1":"","line2":"","city":"","region":"","postalCode":"","country":"","phone":""}';
const ADDRESS = { name: 'Sarah Lee', line1: '12 Harbor Street', line2: '=HYPERLINK("http://evil.example")', city: 'Portland', region: 'OR', postalCode: '97201', country: 'us', phone: '+1 503 555 0100', save: '1' };

let world: ReturnType<typeof build> | null = null;
const shared = () => (world ??= build());
async function build() {
  const m = await signedInCreator({ paymentModel: 'product' });
  const serum = await json<Data<Product>>(await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/gift-products`, { title: 'Barrier Serum', options: ['30 ml', '50 ml'], sku: 'LS-1', valueMinor: 3400 }));
  const balm = await json<Data<Product>>(await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/gift-products`, { title: 'Lip Balm', valueMinor: 900 }));
  const manager = await signIn((await adminUser(m.brand.brandId, 'manager')).email);
  const viewer = await signIn((await adminUser(m.brand.brandId, 'viewer')).email);
  return { ...m, serum: serum.data, balm: balm.data, manager, viewer, gift: `/gift/${m.enrollment.id}` };
}
// Every link in a page's error summary lands on an element of the page (and there is at least one).
function linksLand(html: string) {
  const summary = html.match(/<div class="notice notice-error error-summary"[\s\S]*?<\/div>/)?.[0] ?? '';
  const targets = [...summary.matchAll(/href="#([^"]+)"/g)].map((m) => m[1]!);
  expect(targets.length).toBeGreaterThan(0);
  for (const id of targets) expect(html, `#${id}`).toContain(`id="${id}"`);
  return targets;
}
const requestsOf = (enrollmentId: string) => rowCount('SELECT count(*) AS n FROM gift_requests WHERE enrollment_id = ?', enrollmentId);

describe('product seeding', () => {
  it('takes a creator from choosing a gift to its arrival, with one mail however often it is shipped', async () => {
    const w = await shared();
    // Closed: no gift offered, and a form sent anyway is refused.
    expect(await (await get('/', w.cookie)).text()).not.toContain('Choose your gift');
    expect((await post(w.gift, { product: w.balm.id, ...ADDRESS }, { cookie: w.cookie })).status).toBe(409);
    expect((await w.brand.api('PATCH', `/api/admin/campaigns/${w.campaign.id}/gifting`, { open: true, choices: 1 })).status).toBe(200);
    expect(await (await get('/', w.cookie)).text()).toContain('Choose your gift');
    const form = await (await get(w.gift, w.cookie)).text();
    expect(form).toContain('Pick one product');
    // The countries are the ISO list: South Sudan is there, withdrawn and reserved codes are not.
    expect(form).toContain('value="SS"');
    for (const code of ['DD', 'UK', 'YU', 'QO', 'IC', 'EA']) expect(form).not.toContain(`value="${code}"`);

    // Refused input writes nothing: no option for a product that has them, a made-up country, an oversized line,
    // two products where one is allowed.
    for (const bad of [
      { product: w.serum.id, ...ADDRESS },
      ...['ZZ', 'DD', 'UK', 'QO'].map((country) => ({ product: w.balm.id, ...ADDRESS, country })),
      { product: w.balm.id, ...ADDRESS, line1: 'x'.repeat(500) },
      { product: w.balm.id, ...ADDRESS, name: 'a\u202eb' },
      { product: [w.balm.id, w.serum.id], [`option-${w.serum.id}`]: '30 ml', ...ADDRESS },
      { ...ADDRESS, name: '', postalCode: '#1' },
    ]) {
      const res = await post(w.gift, bad, { cookie: w.cookie });
      expect(res.status).toBe(422);
      linksLand(await res.text());
    }
    expect(await requestsOf(w.enrollment.id)).toBe(0);

    // Two forms at once: the unique index keeps one request, the other changes it.
    const both = await Promise.all([post(w.gift, { product: w.balm.id, ...ADDRESS }, { cookie: w.cookie }), post(w.gift, { product: w.serum.id, [`option-${w.serum.id}`]: '50 ml', ...ADDRESS }, { cookie: w.cookie })]);
    expect(both.map((r) => r.status)).toEqual([303, 303]);
    expect(await requestsOf(w.enrollment.id)).toBe(1);
    // Stored sealed, on the request and on the account: no street, city or postcode in the database.
    const stored = await env.DB.prepare('SELECT g.address, c.shipping_address FROM gift_requests g JOIN creators c ON c.id = ? WHERE g.enrollment_id = ?').bind(w.creator.id, w.enrollment.id).first<{ address: string; shipping_address: string }>();
    for (const column of Object.values(stored!)) expect(column).not.toMatch(/Harbor|Portland|97201/);
    expect(await openSavedAddress(env.SECRETS_KEY, stored!.shipping_address)).toMatchObject({ city: 'Portland', country: 'US' });
    // The form comes back filled in with the saved address and the pick.
    expect(await (await get(w.gift, w.cookie)).text()).toContain('value="12 Harbor Street"');

    // An archived product can no longer be picked; the open request keeps its copy.
    await w.brand.api('PATCH', `/api/admin/campaigns/${w.campaign.id}/gift-products/${w.balm.id}`, { archived: true });
    expect((await post(w.gift, { product: w.balm.id, ...ADDRESS }, { cookie: w.cookie })).status).toBe(422);
    expect((await post(w.gift, { product: w.serum.id, [`option-${w.serum.id}`]: '30 ml', ...ADDRESS, city: 'Salem' }, { cookie: w.cookie })).headers.get('location')).toBe(`${w.gift}?done=changed`);

    const list = await json<Data<Request[]>>(await w.brand.api('GET', `/api/admin/gift-requests?campaignId=${w.campaign.id}&status=requested`));
    expect(list.data).toHaveLength(1);
    const req = list.data[0]!;
    expect(req.items).toEqual([{ productId: w.serum.id, title: 'Barrier Serum', option: '30 ml', sku: 'LS-1', valueMinor: 3400 }]);
    expect(req.address.city).toBe('Salem');

    // The console: a viewer sees the request but not the address; a manager sees it and gets the packing list.
    const tab = `/console/campaigns/${w.campaign.id}/gifting`;
    const viewed = await (await get(tab, w.viewer)).text();
    expect(viewed).toContain('Barrier Serum');
    expect(viewed).not.toContain('Harbor Street');
    expect((await get(`${tab}/packing-list.csv`, w.viewer)).status).toBe(403);
    expect(await (await get(tab, w.manager)).text()).toContain('12 Harbor Street');
    const csv = await (await get(`${tab}/packing-list.csv`, w.manager)).text();
    expect(csv).toContain(`"${req.id}"`);
    expect(csv).toContain(`"'=HYPERLINK(""http://evil.example"")"`);

    // Changed after the packing list and the page were read: a ship carrying the version read is refused, unwritten.
    expect(csv).toContain(`"${req.updatedAt}"\r\n`);
    const drawn = (await (await get(tab, w.manager)).text()).match(/name="updatedAt" value="([^"]+)"/)?.[1];
    expect(drawn).toBe(req.updatedAt);
    expect((await post(w.gift, { product: w.serum.id, [`option-${w.serum.id}`]: '30 ml', ...ADDRESS, city: 'Eugene' }, { cookie: w.cookie })).status).toBe(303);
    const stale = await w.brand.api('POST', `/api/admin/gift-requests/${req.id}/ship`, { carrier: 'UPS', trackingNumber: '1Z999AA1', updatedAt: req.updatedAt });
    expect([stale.status, (await json<ErrorBody>(stale)).error.code]).toEqual([409, 'gift_request_changed']);
    expect((await post(`${tab}/requests/${req.id}/ship`, { carrier: 'UPS', trackingNumber: '1Z999AA1', trackingUrl: '', updatedAt: drawn! }, { cookie: w.manager })).status).toBe(409);
    expect(await env.DB.prepare('SELECT status FROM gift_requests WHERE id = ?').bind(req.id).first('status')).toBe('requested');

    // A refused ship form comes back open on its request, as typed, its errors linking to its inputs; so does the product form.
    const refusedShip = await post(`${tab}/requests/${req.id}/ship`, { carrier: 'UPS', trackingNumber: '!', trackingUrl: 'http://x' }, { cookie: w.manager });
    const shipPage = await refusedShip.text();
    expect(refusedShip.status).toBe(422);
    expect(linksLand(shipPage)).toEqual([`tn-${req.id}`, `tu-${req.id}`]);
    expect(shipPage).toMatch(/<details open="">\s*<summary>Mark shipped<\/summary>/);
    expect(shipPage).toContain('value="http://x"');
    const refusedProduct = await post(`${tab}/products`, { title: '', options: '', sku: '', value: 'lots' }, { cookie: w.manager });
    expect(linksLand(await refusedProduct.text())).toEqual(['p-title', 'p-value']);

    // Tracking URLs: only https.
    for (const trackingUrl of ['http://track.example/1', 'javascript:alert(1)', 'https://user:pw@track.example/']) {
      const r = await w.brand.api('POST', `/api/admin/gift-requests/${req.id}/ship`, { carrier: 'UPS', trackingNumber: '1Z999AA1', trackingUrl });
      expect(r.status).toBe(422);
    }
    // Shipped twice at once (a double click) and once more: one mail; a known carrier's URL is built.
    const sent: Message[] = [];
    setTransport(async (msg) => void (msg.to === w.email && sent.push(msg)));
    try {
      const ships = await Promise.all([1, 2].map(() => post(`${tab}/requests/${req.id}/ship`, { carrier: 'UPS', trackingNumber: '1Z999AA1', trackingUrl: '' }, { cookie: w.manager })));
      expect(ships.map((r) => r.status)).toEqual([303, 303]);
      const again = await json<Data<Request>>(await w.brand.api('POST', `/api/admin/gift-requests/${req.id}/ship`, { carrier: 'UPS', trackingNumber: '1Z999AA1' }));
      expect(again.data.shipment).toMatchObject({ carrier: 'UPS', trackingUrl: 'https://www.ups.com/track?tracknum=1Z999AA1' });
      await waitFor(async () => (sent.length > 0 ? true : null), 10_000);
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      setTransport(logTransport);
    }
    expect(sent).toHaveLength(1);
    expect(sent[0]!.text).toContain('1Z999AA1');
    expect((await w.brand.api('POST', `/api/admin/gift-requests/${req.id}/decline`, { reason: 'Too late.' })).status).toBe(409);

    // The creator follows it and says it arrived; the network counts it.
    const page = await (await get(w.gift, w.cookie)).text();
    expect(page).toContain('href="https://www.ups.com/track?tracknum=1Z999AA1"');
    expect(page).toContain('<span>12 Harbor Street</span>');
    expect((await post(`${w.gift}/received`, {}, { cookie: w.cookie })).headers.get('location')).toBe(`${w.gift}?done=received`);
    expect(await env.DB.prepare('SELECT status FROM gift_requests WHERE id = ?').bind(req.id).first('status')).toBe('received');
    expect(await (await get(`/console/campaigns/${w.campaign.id}/network`, w.manager)).text()).toContain('Product seeded');
    expect(await (await get(`/console/campaigns/${w.campaign.id}/network.csv`, w.manager)).text()).toMatch(/,34\.00\r\n$/);
  });

  it("keeps other brands out, takes a draft campaign's requests, declines with a reason (one mail), declines a removed creator's request (none), and refuses paused creators", async () => {
    const w = await shared();
    const other = await createMoneyBrand();
    const [request] = (await json<Data<Request[]>>(await w.brand.api('GET', `/api/admin/gift-requests?campaignId=${w.campaign.id}`))).data;
    // Another brand's campaign, product and request are 404s, and its list does not hold ours.
    expect((await other.brand.api('GET', `/api/admin/campaigns/${w.campaign.id}/gift-products`)).status).toBe(404);
    expect((await other.brand.api('PATCH', `/api/admin/campaigns/${other.campaign.id}/gift-products/${w.serum.id}`, { archived: true })).status).toBe(404);
    expect((await other.brand.api('POST', `/api/admin/gift-requests/${request!.id}/ship`, { carrier: 'DHL', trackingNumber: 'ABC123' })).status).toBe(404);
    expect((await json<Data<unknown[]>>(await other.brand.api('GET', `/api/admin/gift-requests?campaignId=${w.campaign.id}`))).data).toEqual([]);
    expect((await get(`/console/campaigns/${w.campaign.id}/gifting`, w.manager)).status).toBe(200);
    expect((await post(`/console/campaigns/${w.campaign.id}/gifting/settings`, { open: '0', choices: '1' }, { cookie: w.viewer })).status).toBe(403);

    // Another brand's creator asks; that brand declines; they read why and may ask again.
    const d = await signedInCreator({ paymentModel: 'product' });
    const kit = await json<Data<Product>>(await d.brand.api('POST', `/api/admin/campaigns/${d.campaign.id}/gift-products`, { title: 'Starter Kit', options: ['Light', 'Deep'], valueMinor: 5000 }));
    await d.brand.api('PATCH', `/api/admin/campaigns/${d.campaign.id}/gifting`, { open: true });
    const gift = `/gift/${d.enrollment.id}`;
    expect((await get(gift, w.cookie)).status).toBe(404);
    // Not launched yet: a draft campaign takes requests (product ships before the launch), offered and accepted alike.
    await env.DB.prepare("UPDATE campaigns SET status = 'draft' WHERE id = ?").bind(d.campaign.id).run();
    expect(await (await get('/', d.cookie)).text()).toContain('Choose your gift');
    expect((await post(gift, { product: kit.data.id, [`option-${kit.data.id}`]: 'Deep', ...ADDRESS }, { cookie: d.cookie })).status).toBe(303);
    const id = (await env.DB.prepare("SELECT id FROM gift_requests WHERE enrollment_id = ? AND status = 'requested'").bind(d.enrollment.id).first<{ id: string }>())!.id;
    expect((await w.brand.api('POST', `/api/admin/gift-requests/${id}/decline`, { reason: 'No.' })).status).toBe(404);
    // Declined: the creator is mailed the reason and the link once; the same decline again mails nothing, and
    // neither does the decline a removal writes below.
    const sent: Message[] = [];
    setTransport(async (msg) => void (msg.to === d.email && msg.idempotencyKey?.startsWith('gift-') && sent.push(msg)));
    onTestFinished(() => setTransport(logTransport));
    for (let i = 0; i < 2; i++) expect((await d.brand.api('POST', `/api/admin/gift-requests/${id}/decline`, { reason: 'Deep is out of stock: pick Light.' })).status).toBe(200);
    expect(await (await get(gift, d.cookie)).text()).toContain('Deep is out of stock: pick Light.');
    expect((await post(gift, { product: kit.data.id, [`option-${kit.data.id}`]: 'Light', ...ADDRESS }, { cookie: d.cookie })).status).toBe(303);

    // Gifting closed: the waiting request can be withdrawn, no longer changed, and the page says so.
    await d.brand.api('PATCH', `/api/admin/campaigns/${d.campaign.id}/gifting`, { open: false });
    const closed = await (await get(gift, d.cookie)).text();
    expect(closed).toContain('until then you can withdraw it.');
    expect(closed).not.toContain('change it below');
    // Removed with an open request: declined with the removal, saying why, so it leaves the packing list. Paused:
    // cannot ask or change.
    const open = (await env.DB.prepare("SELECT id FROM gift_requests WHERE enrollment_id = ? AND status = 'requested'").bind(d.enrollment.id).first<{ id: string }>())!.id;
    await d.brand.api('PATCH', `/api/admin/enrollments/${d.enrollment.id}`, { status: 'removed' });
    expect(await env.DB.prepare('SELECT status, decline_reason AS reason FROM gift_requests WHERE id = ?').bind(open).first()).toEqual({ status: 'declined', reason: 'Not shipped: the creator was removed from the campaign.' });
    const refused = await d.brand.api('POST', `/api/admin/gift-requests/${open}/ship`, { carrier: 'DHL', trackingNumber: 'ABC123' });
    expect([refused.status, (await json<ErrorBody>(refused)).error.code]).toEqual([409, 'gift_request_not_open']);
    expect(await (await d.brand.api('GET', `/api/admin/campaigns/${d.campaign.id}/packing-list.csv`)).text()).not.toContain(open);
    await waitFor(async () => (sent.length > 0 ? true : null), 10_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(sent).toHaveLength(1);
    expect(sent[0]!.text).toContain('Deep is out of stock: pick Light.');
    expect(sent[0]!.text).toContain(`/gift/${d.enrollment.id}`);
    await w.brand.api('PATCH', `/api/admin/enrollments/${w.enrollment.id}`, { status: 'paused' });
    expect(await (await get(w.gift, w.cookie)).text()).not.toContain('Send my request');
  });

  it('caps the products offered, not the archived ones, bringing one back included, and fixes the currency', async () => {
    const brand = await createBrand();
    const campaign = (await json<Data<{ id: string }>>(await brand.api('POST', '/api/admin/campaigns', { name: 'Seeding', slug: 'seeding', hashtag: '#Seed', defaultDestination: 'https://shop.example/' }))).data;
    const products = `/api/admin/campaigns/${campaign.id}/gift-products`;
    const first = (await json<Data<Product>>(await brand.api('POST', products, { title: 'Kit 1' }))).data;
    const insert = env.DB.prepare("INSERT INTO gift_products (id, brand_id, campaign_id, title, options, created_at) VALUES (?, ?, ?, 'Kit', '[]', 1)");
    await env.DB.batch(Array.from({ length: 49 }, (_, i) => insert.bind(`gp_cap_${campaign.id}_${i}`, brand.brandId, campaign.id)));
    const full = await brand.api('POST', products, { title: 'One too many' });
    expect([full.status, (await json<ErrorBody>(full)).error.code]).toEqual([409, 'too_many_products']);
    // Archiving one makes room; bringing it back while 50 are offered is refused, and it stays archived.
    expect((await brand.api('PATCH', `${products}/${first.id}`, { archived: true })).status).toBe(200);
    expect((await brand.api('POST', products, { title: 'Kit 51' })).status).toBe(201);
    const back = await brand.api('PATCH', `${products}/${first.id}`, { archived: false, title: 'Kit 1 again' });
    expect([back.status, (await json<ErrorBody>(back)).error.code]).toEqual([409, 'too_many_products']);
    expect(await env.DB.prepare('SELECT title, archived_at IS NOT NULL AS archived FROM gift_products WHERE id = ?').bind(first.id).first()).toEqual({ title: 'Kit 1', archived: 1 });
    // Priced products fix the currency (this brand has no plan, code or enrollment).
    const currency = await brand.api('PATCH', '/api/admin/brand', { currency: 'JPY' });
    expect([currency.status, (await json<ErrorBody>(currency)).error.code]).toEqual([409, 'brand_in_use']);
  });
  it('keeps addresses sealed, seals the ones written before, and removes each once no longer needed, where it showed saying so', async () => {
    const w = await shared();
    const o = await createMoneyBrand({ paymentModel: 'product' });
    const now = Date.now();
    const DAY = 86_400_000;
    // Written before addresses were sealed: a request, its gift.requested event and the account's saved address.
    const plain = JSON.stringify({ name: 'Old Row', line1: '9 Elm Road', line2: '', city: 'Leeds', region: '', postalCode: 'LS1 4AP', country: 'GB', phone: '' });
    const [old, erased] = [newId('gr'), newId('gr')];
    await env.DB.batch([
      env.DB.prepare("INSERT INTO gift_requests (id, brand_id, campaign_id, enrollment_id, status, items, address, value_minor, created_at, updated_at) VALUES (?, ?, ?, ?, 'requested', ?, ?, 0, ?, ?)").bind(old, o.brand.brandId, o.campaign.id, o.enrollment.id, JSON.stringify([{ productId: 'gp_old', title: 'Kit', option: null, sku: null, valueMinor: 0 }]), plain, now, now),
      env.DB.prepare("INSERT INTO webhook_events (id, brand_id, type, payload, created_at) VALUES (?, ?, 'gift.requested', json_object('giftRequest', json_object('id', ?, 'address', json(?))), ?)").bind(`evt_${old}_requested_${now}`, o.brand.brandId, old, plain, now),
      env.DB.prepare('UPDATE creators SET shipping_address = ? WHERE id = ?').bind(plain, o.creator.id),
      // And a request an erasure gave the placeholder address it wrote then, with its event's copy.
      env.DB.prepare("INSERT INTO gift_requests (id, brand_id, campaign_id, enrollment_id, status, items, address, value_minor, created_at, updated_at) VALUES (?, ?, ?, ?, 'declined', '[]', ?, 0, ?, ?)").bind(erased, o.brand.brandId, o.campaign.id, o.enrollment.id, ERASED_BEFORE_0066, now - 1, now - 1),
      env.DB.prepare("INSERT INTO webhook_events (id, brand_id, type, payload, created_at) VALUES (?, ?, 'gift.requested', json_object('giftRequest', json_object('id', ?, 'address', json(?))), ?)").bind(`evt_${erased}_requested_${now - 1}`, o.brand.brandId, erased, ERASED_BEFORE_0066, now - 1),
    ]);
    // Migration 0066 turns the placeholder into the removed form, so the cron below has nothing of it to seal.
    for (const update of migration0066.split('--> statement-breakpoint').filter((sql) => sql.trim().startsWith('UPDATE'))) await env.DB.prepare(update).run();
    expect(await env.DB.prepare('SELECT address FROM gift_requests WHERE id = ?').bind(erased).first('address')).toBe('');
    expect(await env.DB.prepare("SELECT json_type(payload, '$.giftRequest.address') AS t FROM webhook_events WHERE id = ?").bind(`evt_${erased}_requested_${now - 1}`).first('t')).toBe('null');
    const apiAddress = async () => (await json<Data<Request[]>>(await o.brand.api('GET', `/api/admin/gift-requests?campaignId=${o.campaign.id}`))).data[0]!.address;
    const heldInTheOpen = async () =>
      JSON.stringify(
        await env.DB.batch([
          env.DB.prepare('SELECT address FROM gift_requests WHERE id = ?').bind(old),
          env.DB.prepare("SELECT payload FROM webhook_events WHERE id LIKE 'evt_' || ? || '%'").bind(old),
          env.DB.prepare('SELECT shipping_address FROM creators WHERE id = ?').bind(o.creator.id),
        ]),
      ).match(/9 Elm Road/g)?.length ?? 0;
    expect(await heldInTheOpen()).toBe(3);
    expect(await apiAddress()).toMatchObject({ line1: '9 Elm Road' });
    // The cron seals them, once (w's gift arrived today: its address stays); every reader still shows them.
    expect((await tidyGiftAddresses(env.DB, env.SECRETS_KEY, now)).sealed).toBeGreaterThanOrEqual(3);
    expect(await heldInTheOpen()).toBe(0);
    expect((await tidyGiftAddresses(env.DB, env.SECRETS_KEY, now)).sealed).toBe(0);
    expect(await apiAddress()).toMatchObject({ line1: '9 Elm Road' });
    expect(await (await o.brand.api('GET', `/api/admin/campaigns/${o.campaign.id}/packing-list.csv`)).text()).toContain('"9 Elm Road"');

    // Declined: nothing ships to it, so the next run removes it, and the event's copy.
    expect((await o.brand.api('POST', `/api/admin/gift-requests/${old}/decline`, { reason: 'Out of stock.' })).status).toBe(200);
    expect((await tidyGiftAddresses(env.DB, env.SECRETS_KEY, now)).removed).toBeGreaterThanOrEqual(1);
    expect(await env.DB.prepare('SELECT address FROM gift_requests WHERE id = ?').bind(old).first('address')).toBe('');
    expect(await env.DB.prepare("SELECT json_type(payload, '$.giftRequest.address') AS t FROM webhook_events WHERE id = ?").bind(`evt_${old}_requested_${now}`).first('t')).toBe('null');
    expect(await apiAddress()).toBeNull();

    // Arrived: kept for the claims window, removed after it; the console, the creator's page and their download say so.
    const tab = `/console/campaigns/${w.campaign.id}/gifting`;
    expect(await (await get(tab, w.manager)).text()).toContain('12 Harbor Street');
    await tidyGiftAddresses(env.DB, env.SECRETS_KEY, now + 89 * DAY);
    expect(await (await get(tab, w.manager)).text()).toContain('12 Harbor Street');
    await tidyGiftAddresses(env.DB, env.SECRETS_KEY, now + 91 * DAY);
    const removed = await (await get(tab, w.manager)).text();
    expect(removed).not.toContain('12 Harbor Street');
    expect(removed).toContain('Address removed');
    expect(await (await get(w.gift, w.cookie)).text()).toContain('Address removed');
    const download = await json<{ giftRequests: { shippingAddress: unknown }[]; profile: { shippingAddress: { line1: string } } }>(await get('/account/data.json', w.cookie));
    expect(download.giftRequests.map((g) => g.shippingAddress)).toEqual([null]);
    // The address the creator saved on their account is theirs: it stays.
    expect(download.profile.shippingAddress.line1).toBe('12 Harbor Street');
  });
  it('says so wherever an address sealed under an earlier SECRETS_KEY would show: the tab, the gift page, the API, the packing line, the log', async () => {
    const r = await signedInCreator({ paymentModel: 'product' });
    await r.brand.api('PATCH', `/api/admin/campaigns/${r.campaign.id}/gifting`, { open: true });
    const manager = await signIn((await adminUser(r.brand.brandId, 'manager')).email);
    const now = Date.now();
    const address = await sealSecret('an-earlier-secrets-key-0123456789abcdef', JSON.stringify({ name: 'Sam Vale', line1: '4 Mill Lane', line2: '', city: 'York', region: '', postalCode: 'YO1', country: 'GB', phone: '' }));
    const insert = env.DB.prepare("INSERT INTO gift_requests (id, brand_id, campaign_id, enrollment_id, status, items, address, value_minor, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)");
    const items = JSON.stringify([{ productId: 'gp_kit', title: 'Kit', option: null, sku: null, valueMinor: 0 }]);
    const [unreadable, removed] = [newId('gr'), newId('gr')];
    await env.DB.batch([insert.bind(unreadable, r.brand.brandId, r.campaign.id, r.enrollment.id, 'requested', items, address, now, now), insert.bind(removed, r.brand.brandId, r.campaign.id, r.enrollment.id, 'declined', items, '', now - 1, now - 1)]);
    const lines: string[] = [];
    const errors = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' ')));
    onTestFinished(() => errors.mockRestore());

    const tab = await (await get(`/console/campaigns/${r.campaign.id}/gifting`, manager)).text();
    expect(tab).toContain('Address unreadable (the encryption key changed)');
    expect(tab).toContain('Address removed');
    expect(await (await get(`/gift/${r.enrollment.id}`, r.cookie)).text()).toContain('Address unreadable (the encryption key changed)');
    const download = await json<{ giftRequests: { id: string; shippingAddress: unknown }[] }>(await get('/account/data.json', r.cookie));
    expect(Object.fromEntries(download.giftRequests.map((g) => [g.id, g.shippingAddress]))).toEqual({ [unreadable]: 'unreadable', [removed]: null });
    // The API tells a removed address from an unreadable one; both are null.
    const listed = (await json<Data<(Request & { addressState: string })[]>>(await r.brand.api('GET', `/api/admin/gift-requests?campaignId=${r.campaign.id}`))).data;
    expect(listed.map((g) => [g.id, g.address, g.addressState])).toEqual([[unreadable, null, 'unreadable'], [removed, null, 'removed']]);
    // The packing line says why it has no address, where the name goes.
    const [header, kit] = parseCsv(await (await r.brand.api('GET', `/api/admin/campaigns/${r.campaign.id}/packing-list.csv`)).text()).map((l) => l.cells) as [string[], string[]];
    expect(kit[header.indexOf('request_id')]).toBe(unreadable);
    expect(kit[header.indexOf('ship_to_name')]).toBe('(address unreadable: SECRETS_KEY changed)');
    expect(kit.slice(header.indexOf('address_line1'), header.indexOf('phone') + 1).every((c) => c === '')).toBe(true);
    expect(lines.filter((l) => l.includes('"gift_address_unreadable"') && l.includes(unreadable)).length).toBeGreaterThanOrEqual(4);
  });

  it('logs gift_address_unreadable once a read, with the count and at most 20 ids, however many of its rows will not open', async () => {
    const r = await signedInCreator({ paymentModel: 'product' });
    const manager = await signIn((await adminUser(r.brand.brandId, 'manager')).email);
    const now = Date.now();
    const address = await sealSecret('an-earlier-secrets-key-0123456789abcdef', JSON.stringify({ name: 'Sam Vale', line1: '4 Mill Lane', line2: '', city: 'York', region: '', postalCode: 'YO1', country: 'GB', phone: '' }));
    const insert = env.DB.prepare("INSERT INTO gift_requests (id, brand_id, campaign_id, enrollment_id, status, items, address, value_minor, round, created_at, updated_at) VALUES (?, ?, ?, ?, ?, '[]', ?, 0, ?, ?, ?)");
    // One more than the ids a line names, so the cap shows.
    const ids = Array.from({ length: 21 }, () => newId('gr'));
    await env.DB.batch(ids.map((id, i) => insert.bind(id, r.brand.brandId, r.campaign.id, r.enrollment.id, i === 0 ? 'requested' : 'received', address, i + 1, now - i, now - i)));
    for (const read of [() => get(`/console/campaigns/${r.campaign.id}/gifting`, manager), () => r.brand.api('GET', `/api/admin/gift-requests?campaignId=${r.campaign.id}`)]) {
      const { lines } = await captureLogs(async () => expect((await read()).status).toBe(200));
      const logged = lines.filter((l) => l.event === 'gift_address_unreadable');
      expect(logged).toHaveLength(1);
      expect(logged[0]!.fields).toMatchObject({ count: 21 });
      const named = logged[0]!.fields.requests as string[];
      expect([named.length, new Set(named).size, named.every((id) => ids.includes(id))]).toEqual([20, 20, true]);
    }
  });
  it('removes and seals only what still holds when the job writes: withdrawn removed, a gift that moved kept, a changed address not overwritten', async () => {
    const o = await createMoneyBrand({ paymentModel: 'product' });
    const now = Date.now();
    const cutoff = now - 90 * 86_400_000;
    const sealed = await sealAddress(env.SECRETS_KEY, { name: 'Kim', line1: '2 Quay', line2: '', city: 'Cork', region: '', postalCode: 'T12', country: 'IE', phone: '' });
    // ?5 the status, ?6 the address, ?7 the round.
    const insert = env.DB.prepare("INSERT INTO gift_requests (id, brand_id, campaign_id, enrollment_id, status, items, address, value_minor, round, created_at, updated_at) VALUES (?, ?, ?, ?, ?, '[]', ?, 0, ?, ?8, ?8)");
    const [withdrawn, arrived] = [newId('gr'), newId('gr')];
    await env.DB.batch([insert.bind(withdrawn, o.brand.brandId, o.campaign.id, o.enrollment.id, 'withdrawn', sealed, 1, now), insert.bind(arrived, o.brand.brandId, o.campaign.id, o.enrollment.id, 'received', sealed, 1, now)]);
    const addressOf = (id: string) => env.DB.prepare('SELECT address FROM gift_requests WHERE id = ?').bind(id).first<string>('address');
    // Withdrawn: nothing ships to it, so the next run removes it.
    await tidyGiftAddresses(env.DB, env.SECRETS_KEY, now);
    expect([await addressOf(withdrawn), await addressOf(arrived)]).toEqual(['', sealed]);
    // Read as due, but its gift moved since (updated_at no longer before the cutoff): the write itself keeps it.
    const { REMOVE, PLAIN } = GIFT_ADDRESS_SQL;
    expect((await env.DB.prepare(REMOVE).bind(JSON.stringify([arrived]), cutoff).run()).meta.changes).toBe(0);
    expect(await addressOf(arrived)).toBe(sealed);
    // Sealing: each source's write lands only while it still holds the plain text read, so a creator's change wins.
    const [read, changed] = ['Read Name', 'Changed Name'].map((name) => JSON.stringify({ name, line1: '3 Pier', line2: '', city: 'Cobh', region: '', postalCode: '', country: 'IE', phone: '' })) as [string, string];
    const open = newId('gr');
    const eventId = `evt_${open}_requested_${now}`;
    await env.DB.batch([
      insert.bind(open, o.brand.brandId, o.campaign.id, o.enrollment.id, 'requested', changed, 2, now),
      env.DB.prepare('UPDATE creators SET shipping_address = ? WHERE id = ?').bind(changed, o.creator.id),
      env.DB.prepare("INSERT INTO webhook_events (id, brand_id, type, payload, created_at) VALUES (?, ?, 'gift.requested', json_object('giftRequest', json_object('id', ?, 'address', json(?))), ?)").bind(eventId, o.brand.brandId, open, changed, now),
    ]);
    const writes = PLAIN.map((source, i) => env.DB.prepare(source.write).bind([open, o.creator.id, eventId][i], 'sealed-from-a-stale-read', read));
    expect((await env.DB.batch(writes)).map((r) => r.meta.changes)).toEqual([0, 0, 0]);
    expect(await addressOf(open)).toBe(changed);
    expect(await env.DB.prepare('SELECT shipping_address FROM creators WHERE id = ?').bind(o.creator.id).first('shipping_address')).toBe(changed);
    expect(await env.DB.prepare("SELECT json_extract(payload, '$.giftRequest.address.name') AS n FROM webhook_events WHERE id = ?").bind(eventId).first('n')).toBe('Changed Name');
  });
  it('pages through every request of a status, and of all, newest first, each row\'s form coming back to its page', async () => {
    const o = await createMoneyBrand({ paymentModel: 'product' });
    const manager = await signIn((await adminUser(o.brand.brandId, 'manager')).email);
    const base = Date.now() - 86_400_000;
    const address = JSON.stringify({ name: 'P', line1: '1 Road', line2: '', city: 'Town', region: '', postalCode: '1', country: 'US', phone: '' });
    const insert = env.DB.prepare("INSERT INTO gift_requests (id, brand_id, campaign_id, enrollment_id, status, items, address, value_minor, created_at, updated_at) VALUES (?, ?, ?, ?, ?, '[]', ?, 0, ?, ?)");
    // 300 declined, three to a millisecond (the page's key breaks ties by id), and the one still asked for, oldest.
    const declined = Array.from({ length: 300 }, (_, i) => insert.bind(newId('gr'), o.brand.brandId, o.campaign.id, o.enrollment.id, 'declined', address, base + 1 + Math.floor(i / 3), base));
    const waiting = newId('gr');
    await env.DB.batch([...declined, insert.bind(waiting, o.brand.brandId, o.campaign.id, o.enrollment.id, 'requested', address, base, base)]);
    const tab = `/console/campaigns/${o.campaign.id}/gifting`;
    const walk = async (first: string) => {
      const ids: string[] = [];
      let pages = 0;
      let last = '';
      for (let path: string | null = first; path; pages++) {
        last = await (await get(path, manager)).text();
        ids.push(...[...last.matchAll(/<tr id="(gr_[^"]+)"/g)].map((m) => m[1]!));
        path = /<a href="([^"]+)" rel="next">/.exec(last)?.[1]?.replaceAll('&amp;', '&') ?? null;
      }
      return { ids, pages, last };
    };
    const byStatus = await walk(`${tab}?status=declined`);
    expect([byStatus.pages, byStatus.ids.length, new Set(byStatus.ids).size]).toEqual([6, 300, 300]);
    // A cursor that is not one the page gave out (bad characters, not base64, the wrong shape, too long) is the
    // first page, and is not carried into the page's forms.
    for (const bad of ['%3Cscript%3E', 'not-base64!', 'Zm9v', 'x'.repeat(500)]) {
      const res = await get(`${tab}?status=declined&cursor=${bad}`, manager);
      const html = await res.text();
      expect([res.status, /<tr id="(gr_[^"]+)"/.exec(html)?.[1]]).toEqual([200, byStatus.ids[0]]);
      expect(html).not.toContain(`cursor=${bad}`);
    }
    const all = await walk(tab);
    expect([all.pages, new Set(all.ids).size, all.ids.at(-1)]).toEqual([7, 301, waiting]);
    // The last page's decline form posts with its place in the list, and the answer comes back to it.
    const action = new RegExp(`action="(${tab}/requests/${waiting}/decline\\?cursor=[^"]+)"`).exec(all.last)?.[1];
    expect(action).toBeDefined();
    const declinedNow = await post(action!, { reason: 'Out of stock.' }, { cookie: manager });
    expect(declinedNow.headers.get('location')).toMatch(new RegExp(`^${tab}\\?cursor=[^&]+&flash=declined$`));
  });
  it('runs a second round: once the brand starts it a creator whose gift arrived asks again, still one open request at a time', async () => {
    const r = await signedInCreator({ paymentModel: 'product' });
    const kit = (await json<Data<Product>>(await r.brand.api('POST', `/api/admin/campaigns/${r.campaign.id}/gift-products`, { title: 'Spring Kit', valueMinor: 2000 }))).data;
    await r.brand.api('PATCH', `/api/admin/campaigns/${r.campaign.id}/gifting`, { open: true });
    const manager = await signIn((await adminUser(r.brand.brandId, 'manager')).email);
    const gift = `/gift/${r.enrollment.id}`;
    const tab = `/console/campaigns/${r.campaign.id}/gifting`;
    const ask = (fields: Record<string, string> = {}) => post(gift, { product: kit.id, ...ADDRESS, ...fields }, { cookie: r.cookie });
    const rounds = async () => (await env.DB.prepare('SELECT round, status FROM gift_requests WHERE enrollment_id = ? ORDER BY created_at, id').bind(r.enrollment.id).all()).results;
    // Round 1: asked, shipped, arrived; asking again is refused.
    expect((await ask()).status).toBe(303);
    const [first] = (await json<Data<Request[]>>(await r.brand.api('GET', `/api/admin/gift-requests?campaignId=${r.campaign.id}`))).data;
    expect((await r.brand.api('POST', `/api/admin/gift-requests/${first!.id}/ship`, { carrier: 'UPS', trackingNumber: '1Z999AA2' })).status).toBe(200);
    expect((await post(`${gift}/received`, {}, { cookie: r.cookie })).status).toBe(303);
    expect((await ask()).status).toBe(409);

    // The console's form, sent twice, starts one round; the API's retry of it changes nothing, and a skip or a step
    // back is refused, nothing written.
    expect(await (await get(tab, manager)).text()).toContain('Start round 2');
    for (const flash of ['round_started', 'round_unchanged']) expect((await post(`${tab}/round`, { from: '1' }, { cookie: manager })).headers.get('location')).toBe(`${tab}?flash=${flash}`);
    const setting = `/api/admin/campaigns/${r.campaign.id}/gifting`;
    expect((await json<Data<{ round: number }>>(await r.brand.api('PATCH', setting, { round: 2 }))).data).toEqual({ open: true, choices: 1, round: 2 });
    for (const round of [4, 1]) {
      const refused = await r.brand.api('PATCH', setting, { round, open: false });
      expect([refused.status, (await json<ErrorBody>(refused)).error.code]).toEqual([409, 'gift_round_conflict']);
    }
    expect((await json<Data<{ open: boolean; round: number }>>(await r.brand.api('GET', setting))).data).toMatchObject({ open: true, round: 2 });

    // The creator may ask again: two forms at once make one request, of round 2.
    expect(await (await get('/', r.cookie)).text()).toContain('Choose your next gift');
    const both = await Promise.all([ask(), ask({ city: 'Salem' })]);
    expect(both.map((res) => res.status)).toEqual([303, 303]);
    expect(await rounds()).toEqual([{ round: 1, status: 'received' }, { round: 2, status: 'requested' }]);
    // The indexes, not a read, hold it: a second open request is refused by the database, whatever its round.
    const second = env.DB.prepare("INSERT INTO gift_requests (id, brand_id, campaign_id, enrollment_id, status, items, address, value_minor, round, created_at, updated_at) VALUES (?, ?, ?, ?, 'requested', '[]', '', 0, 3, 1, 1)");
    await expect(second.bind(newId('gr'), r.brand.brandId, r.campaign.id, r.enrollment.id).run()).rejects.toThrow(/UNIQUE/);

    // Waiting when round 3 starts, it blocks a new ask; changed, it counts for round 3 (picked from its products).
    expect((await r.brand.api('PATCH', setting, { round: 3 })).status).toBe(200);
    expect((await ask({ city: 'Eugene' })).headers.get('location')).toBe(`${gift}?done=changed`);
    expect(await rounds()).toEqual([{ round: 1, status: 'received' }, { round: 3, status: 'requested' }]);
    const listed = (await json<Data<(Request & { round: number })[]>>(await r.brand.api('GET', `/api/admin/gift-requests?campaignId=${r.campaign.id}&status=requested`))).data;
    expect(listed.map((g) => g.round)).toEqual([3]);
    const [header, line] = parseCsv(await (await r.brand.api('GET', `/api/admin/campaigns/${r.campaign.id}/packing-list.csv`)).text()).map((l) => l.cells) as [string[], string[]];
    expect(line[header.indexOf('round')]).toBe('3');
    expect(await (await get(tab, manager)).text()).toContain('round 3');

    // The last round: the tab offers no next one, a form for it says so (409), and the API too.
    await env.DB.prepare('UPDATE campaigns SET gift_round = 1000 WHERE id = ?').bind(r.campaign.id).run();
    expect(await (await get(tab, manager)).text()).not.toContain('Start round 1001');
    const last = await post(`${tab}/round`, { from: '1000' }, { cookie: manager });
    expect([last.status, (await last.text()).includes('Round 1000 is the last a campaign can have')]).toEqual([409, true]);
    for (const from of ['', 'two', '1e3', '-1']) expect((await post(`${tab}/round`, { from }, { cookie: manager })).status).toBe(422);
    const limit = await r.brand.api('PATCH', setting, { round: 1001, open: false });
    expect([limit.status, (await json<ErrorBody>(limit)).error.code]).toEqual([409, 'gift_round_limit']);
    expect((await json<Data<{ open: boolean; round: number }>>(await r.brand.api('GET', setting))).data).toMatchObject({ open: true, round: 1000 });
  });
});
