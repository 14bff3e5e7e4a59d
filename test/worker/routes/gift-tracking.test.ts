// Shipping gifts from the warehouse's tracking file (checked line by line, written only once confirmed, each
// request shipped and mailed once however often the file is sent), and the gift.* webhook events: one per move
// of a request, written with it, the address only in gift.requested.
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import migration0061 from '../../../migrations/0061_gift_webhook_events.sql?raw';
import { requestCounts, runTrackingFile } from '../../../worker/db/gift-tracking';
import { creatorMovesGift, giftMailsOwed, shipGifts, ShipmentsInterrupted, type ShipOutcome } from '../../../worker/db/gifting';
import type { Env } from '../../../worker/env';
import worker from '../../../worker/index';
import { parseCsv } from '../../../worker/lib/csv';
import { eventBody } from '../../../worker/webhooks/events';
import { newId } from '../../../worker/lib/ids';
import { logTransport, setTransport, type Message } from '../../../worker/lib/messages';
import { adminUser, get, post, signIn } from '../console-fixtures';
import { createMoneyBrand, json, rowCount, waitFor, type Data } from '../fixtures';
import { portalTestDefaults, signedInCreator } from '../portal-fixtures';

portalTestDefaults();

type Line = { line: number; requestId: string; outcome: string; creator: { id: string; handle: string } | null };
type Report = { dryRun: boolean; lines: Line[]; errors: { line: number; field: string; code: string; message: string }[]; counts: Record<string, number> };
type GiftEvent = { id: string; type: string; payload: { giftRequest: Record<string, unknown> & { id: string; status: string; updatedAt: string } } };

const ADDRESS = { name: 'Sarah Lee', line1: '12 Harbor Street', line2: '', city: 'Portland', region: 'OR', postalCode: '97201', country: 'US', phone: '', save: '1' };
const GIFT_EVENTS = ['gift.requested', 'gift.shipped', 'gift.received', 'gift.declined'];
const DEAD_URL = 'http://127.0.0.1:9/hooks';

let world: ReturnType<typeof build> | null = null;
const shared = () => (world ??= build());
async function build() {
  const m = await signedInCreator({ paymentModel: 'product' });
  const api = m.brand.api;
  const balm = (await json<Data<{ id: string }>>(await api('POST', `/api/admin/campaigns/${m.campaign.id}/gift-products`, { title: 'Lip Balm', sku: 'LB-1', valueMinor: 900 }))).data;
  await api('PATCH', `/api/admin/campaigns/${m.campaign.id}/gifting`, { open: true });
  // One endpoint for the gift events, one for orders only; disabled at the end, so nothing is sent anywhere.
  const endpoints = await Promise.all(
    [GIFT_EVENTS, ['conversion.created']].map(async (events) => (await json<Data<{ id: string }>>(await api('POST', '/api/admin/webhooks/endpoints', { url: DEAD_URL, events }))).data.id),
  );
  // Eight creators with a request each, imported and asked for in storage (their portal is not the story here).
  const tag = Date.now().toString(36);
  const csv = ['email,handle,name', ...Array.from({ length: 8 }, (_, i) => `t${i}_${tag}@creators.test,t${i}_${tag},Tess ${i}`)].join('\n');
  expect((await api('POST', `/api/admin/campaigns/${m.campaign.id}/import`, { csv, confirm: true })).status).toBe(200);
  const { results } = await env.DB.prepare("SELECT e.id, e.creator_id FROM enrollments e JOIN brand_creators r ON r.brand_id = e.brand_id AND r.creator_id = e.creator_id WHERE e.campaign_id = ? AND r.handle LIKE 't%' ORDER BY r.handle").bind(m.campaign.id).all<{ id: string; creator_id: string }>();
  const asked = Date.now() - 60_000;
  const request = async (brandId: string, campaignId: string, enrollmentId: string, status = 'requested') => {
    const id = newId('gr');
    await env.DB.prepare(
      `INSERT INTO gift_requests (id, brand_id, campaign_id, enrollment_id, status, items, address, value_minor, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, '{"name":"T","line1":"1 Road","line2":"","city":"Town","region":"","postalCode":"1","country":"US","phone":""}', 900, ?, ?)`,
    )
      .bind(id, brandId, campaignId, enrollmentId, status, JSON.stringify([{ productId: balm.id, title: 'Lip Balm', option: null, sku: 'LB-1', valueMinor: 900 }]), asked, asked)
      .run();
    return id;
  };
  const r = await Promise.all(results.map((e, i) => request(m.brand.brandId, m.campaign.id, e.id, i === 7 ? 'declined' : 'requested')));
  // Another brand's request, and one of this brand's other campaign: neither is this campaign's.
  const other = await createMoneyBrand();
  const foreign = await request(other.brand.brandId, other.campaign.id, other.enrollment.id);
  const second = (await json<Data<{ id: string }>>(await api('POST', '/api/admin/campaigns', { name: 'Later', slug: `later-${tag}`, hashtag: '#Later', defaultDestination: 'https://shop.example/' }))).data;
  await api('POST', '/api/admin/enrollments', { campaignId: second.id, creatorId: results[0]!.creator_id, paymentModel: 'product', status: 'invited' });
  const secondEnrollment = (await env.DB.prepare('SELECT id FROM enrollments WHERE campaign_id = ?').bind(second.id).first<{ id: string }>())!.id;
  const elsewhere = await request(m.brand.brandId, second.id, secondEnrollment);
  const manager = await signIn((await adminUser(m.brand.brandId, 'manager')).email);
  const viewer = await signIn((await adminUser(m.brand.brandId, 'viewer')).email);
  return { ...m, balm, endpoints, r, enrollments: results, foreign, elsewhere, manager, viewer, ship: `/api/admin/campaigns/${m.campaign.id}/gift-requests/ship` };
}
type World = Awaited<ReturnType<typeof build>>;

// `n` creators in a campaign of their own, each with a request waiting (asked at `asked`), written in one batch.
let seeded = 0;
async function seedRequests(w: World, n: number, asked: number) {
  const campaign = (await json<Data<{ id: string }>>(await w.brand.api('POST', '/api/admin/campaigns', { name: 'Bulk', slug: `bulk-${Date.now().toString(36)}-${seeded++}`, hashtag: '#Bulk', defaultDestination: 'https://shop.example/' }))).data;
  const rows = JSON.stringify(Array.from({ length: n }, () => ({ c: newId('cr'), e: newId('enr'), g: newId('gr') })));
  const at = (key: string) => `json_extract(value, '$.${key}')`;
  const items = JSON.stringify([{ productId: w.balm.id, title: 'Lip Balm', option: null, sku: 'LB-1', valueMinor: 900 }]);
  await env.DB.batch([
    env.DB.prepare(`INSERT INTO creators (id, email, handle, display_name, created_at) SELECT ${at('c')}, lower(${at('c')}) || '@bulk.test', ${at('c')}, 'Bulk', ?2 FROM json_each(?1)`).bind(rows, asked),
    env.DB.prepare(`INSERT INTO brand_creators (brand_id, creator_id, handle, display_name, email, created_at) SELECT ?2, ${at('c')}, ${at('c')}, 'Bulk', lower(${at('c')}) || '@bulk.test', ?3 FROM json_each(?1)`).bind(rows, w.brand.brandId, asked),
    env.DB.prepare(`INSERT INTO enrollments (id, brand_id, campaign_id, creator_id, payment_model, status, created_at) SELECT ${at('e')}, ?2, ?3, ${at('c')}, 'product', 'active', ?4 FROM json_each(?1)`).bind(rows, w.brand.brandId, campaign.id, asked),
    env.DB.prepare(
      `INSERT INTO gift_requests (id, brand_id, campaign_id, enrollment_id, status, items, address, value_minor, created_at, updated_at)
       SELECT ${at('g')}, ?2, ?3, ${at('e')}, 'requested', ?4, '{"name":"T","line1":"1 Road","line2":"","city":"Town","region":"","postalCode":"1","country":"US","phone":""}', 900, ?5, ?5 FROM json_each(?1)`,
    ).bind(rows, w.brand.brandId, campaign.id, items, asked),
  ]);
  return { campaignId: campaign.id, ids: (JSON.parse(rows) as { g: string }[]).map((r) => r.g) };
}

// The database as it is, except that `around` runs in place of each batch (to fail one, or to let another call in first).
const aroundBatches = (around: (batch: () => Promise<D1Result[]>, n: number) => Promise<D1Result[]>): D1Database => {
  let n = 0;
  return new Proxy(env.DB, {
    get: (db, key) => (key === 'batch' ? (statements: D1PreparedStatement[]) => around(() => db.batch(statements), ++n) : (Reflect.get(db, key) as unknown) instanceof Function ? (Reflect.get(db, key) as Function).bind(db) : Reflect.get(db, key)),
  });
};

const endpointsEnabled = (w: Awaited<ReturnType<typeof build>>, enabled: boolean) =>
  env.DB.prepare('UPDATE webhook_endpoints SET enabled = ? WHERE id IN (?, ?)').bind(enabled ? 1 : 0, ...w.endpoints).run();
const giftEvents = async (brandId: string) =>
  (await env.DB.prepare("SELECT id, type, payload FROM webhook_events WHERE brand_id = ? AND type LIKE 'gift.%' ORDER BY created_at, id").bind(brandId).all<{ id: string; type: string; payload: string }>()).results.map(
    (e): GiftEvent => ({ ...e, payload: JSON.parse(e.payload) as GiftEvent['payload'] }),
  );
// What a file may change: the requests, the activity log, the events.
const state = async (brandId: string) =>
  JSON.stringify([
    (await env.DB.prepare('SELECT id, status, carrier, tracking_number, tracking_url, updated_at FROM gift_requests WHERE brand_id = ? ORDER BY id').bind(brandId).all()).results,
    await rowCount('SELECT count(*) AS n FROM audit_log WHERE brand_id = ?', brandId),
    await rowCount('SELECT count(*) AS n FROM webhook_events WHERE brand_id = ?', brandId),
  ]);
const updatedAt = async (id: string) => new Date((await env.DB.prepare('SELECT updated_at FROM gift_requests WHERE id = ?').bind(id).first<number>('updated_at'))!).toISOString();
const statusOf = (id: string) => env.DB.prepare('SELECT status FROM gift_requests WHERE id = ?').bind(id).first<string>('status');

// Gift mails to these addresses while `work` runs and the queue delivers them (`expected` of them, then a moment more).
async function mailsTo(addresses: string[], work: () => Promise<void>, expected = 0): Promise<Message[]> {
  const sent: Message[] = [];
  setTransport(async (msg) => void (addresses.includes(msg.to) && msg.idempotencyKey?.startsWith('gift-') && sent.push(msg)));
  try {
    await work();
    if (expected > 0) await waitFor(async () => (sent.length >= expected ? true : null), 10_000);
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    setTransport(logTransport);
  }
  return sent;
}

describe('gift tracking files and gift events', () => {
  // Nothing listens at DEAD_URL: the endpoints take events only while a test that counts them runs, and
  // deliveries still queued then fail without a network call.
  afterEach(async () => void (world && (await endpointsEnabled(await world, false))));
  it('writes one gift event per move of a request, with the address only when it is asked for', async () => {
    const w = await shared();
    await endpointsEnabled(w, true);
    const gift = `/gift/${w.enrollment.id}`;
    // Asked, then changed: two versions, two gift.requested, each with the address.
    expect((await post(gift, { product: w.balm.id, ...ADDRESS }, { cookie: w.cookie })).status).toBe(303);
    expect((await post(gift, { product: w.balm.id, ...ADDRESS, city: 'Salem' }, { cookie: w.cookie })).status).toBe(303);
    const asked = await giftEvents(w.brand.brandId);
    expect(asked.map((e) => e.type)).toEqual(['gift.requested', 'gift.requested']);
    expect(asked[0]!.id).not.toBe(asked[1]!.id);
    const latest = asked[1]!.payload.giftRequest;
    expect(latest).toMatchObject({ status: 'requested', enrollmentId: w.enrollment.id, campaignId: w.campaign.id, creator: { id: w.creator.id, handle: w.handle }, currency: 'USD', valueMinor: 900, shipment: null });
    expect(latest.items).toEqual([{ productId: w.balm.id, title: 'Lip Balm', option: null, sku: 'LB-1', valueMinor: 900 }]);
    // The stored event keeps the address sealed, as the request does; the delivery's body opens it.
    expect(JSON.stringify(asked)).not.toMatch(/Salem|Harbor|97201/);
    const delivered = async (payload: GiftEvent['payload']) => {
      const body = await eventBody({ ...asked[1]!, payload: JSON.stringify(payload), created_at: Date.now(), brand_id: w.brand.brandId, brand_slug: 'b' }, env.SECRETS_KEY);
      return (JSON.parse(body!) as { data: GiftEvent['payload'] }).data.giftRequest;
    };
    // With the admin API's addressState beside it: `held`, or `removed` once the stored event's address was removed.
    const held = await delivered(asked[1]!.payload);
    expect(held).toMatchObject({ address: { city: 'Salem', country: 'US' }, addressState: 'held' });
    // An event stored before migration 0066, not yet sealed by the cron, holds the address itself: sent as it is.
    const plain = { name: 'Sam Vale', line1: '4 Mill Lane', line2: '', city: 'York', region: '', postalCode: 'YO1', country: 'GB', phone: '' };
    expect(await delivered({ giftRequest: { ...asked[1]!.payload.giftRequest, address: plain } })).toMatchObject({ address: plain, addressState: 'held' });
    expect(await delivered({ giftRequest: { ...asked[1]!.payload.giftRequest, address: null } })).toMatchObject({ address: null, addressState: 'removed' });

    // Shipped with the event's updatedAt as the version: one gift.shipped; the same again and a correction add none.
    const ship = (trackingNumber: string) => w.brand.api('POST', `/api/admin/gift-requests/${latest.id}/ship`, { carrier: 'UPS', trackingNumber, updatedAt: latest.updatedAt });
    expect((await ship('1Z999AA10000100')).status).toBe(200);
    expect((await ship('1Z999AA10000100')).status).toBe(200);
    expect((await w.brand.api('POST', `/api/admin/gift-requests/${latest.id}/ship`, { carrier: 'UPS', trackingNumber: '1Z999AA10000101' })).status).toBe(200);
    expect((await post(`${gift}/received`, {}, { cookie: w.cookie })).status).toBe(303);
    // The brand declines one, the creator withdraws one, a removal declines one.
    const [declined, withdrawn, removed] = [w.r[4]!, w.r[5]!, w.r[6]!];
    expect((await w.brand.api('POST', `/api/admin/gift-requests/${declined}/decline`, { reason: 'Out of stock.' })).status).toBe(200);
    expect(await creatorMovesGift(env.DB, { enrollmentId: w.enrollments[5]!.id, creatorId: w.enrollments[5]!.creator_id, brandId: w.brand.brandId }, 'withdraw', Date.now())).toBe(true);
    expect((await w.brand.api('PATCH', `/api/admin/enrollments/${w.enrollments[6]!.id}`, { status: 'removed' })).status).toBe(200);

    const events = (await giftEvents(w.brand.brandId)).slice(2);
    expect(events.map((e) => [e.type, e.payload.giftRequest.id, e.payload.giftRequest.status])).toEqual([
      ['gift.shipped', latest.id, 'shipped'],
      ['gift.received', latest.id, 'received'],
      ['gift.declined', declined, 'declined'],
      ['gift.declined', withdrawn, 'withdrawn'],
      ['gift.declined', removed, 'declined'],
    ]);
    expect(events[0]!.payload.giftRequest).toMatchObject({ shipment: { carrier: 'UPS', trackingNumber: '1Z999AA10000100', trackingUrl: 'https://www.ups.com/track?tracknum=1Z999AA10000100' } });
    expect(events[2]!.payload.giftRequest.declineReason).toBe('Out of stock.');
    expect(events[4]!.payload.giftRequest.declineReason).toBe('Not shipped: the creator was removed from the campaign.');
    for (const e of events) for (const key of ['address', 'addressState']) expect(e.payload.giftRequest).not.toHaveProperty(key);
    // Each went to the endpoint that asked for gift events, and only there.
    expect(await rowCount("SELECT count(*) AS n FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE e.brand_id = ? AND e.type LIKE 'gift.%' AND d.endpoint_id = ?", w.brand.brandId, w.endpoints[0])).toBe(7);
    expect(await rowCount('SELECT count(*) AS n FROM webhook_deliveries WHERE endpoint_id = ?', w.endpoints[1])).toBe(0);
  });

  it('gives endpoints that had every event the gift events but gift.requested (the address is asked for), and leaves chosen lists alone', async () => {
    const w = await shared();
    const seven = ['conversion.created', 'conversion.attributed', 'conversion.reversed', 'refund.failed', 'submission.submitted', 'submission.reviewed', 'payout.closed'];
    const insert = env.DB.prepare("INSERT INTO webhook_endpoints (id, brand_id, url, description, secret_enc, events, enabled, created_at, updated_at) VALUES (?, ?, ?, '', 'x', ?, 0, 1, 1)");
    const rows = { all: [...seven].reverse(), some: ['conversion.created', 'gift.shipped'], done: [...seven, 'gift.shipped'] };
    await env.DB.batch(Object.entries(rows).map(([name, events]) => insert.bind(`whe_m62_${name}_${w.brand.brandId}`, w.brand.brandId, `${DEAD_URL}/${name}`, JSON.stringify(events))));
    await env.DB.prepare(migration0061).run();
    await env.DB.prepare(migration0061).run();
    const { results } = await env.DB.prepare("SELECT id, events FROM webhook_endpoints WHERE id LIKE 'whe_m62_%' AND brand_id = ?").bind(w.brand.brandId).all<{ id: string; events: string }>();
    expect(Object.fromEntries(results.map((r) => [r.id.split('_')[2], JSON.parse(r.events) as string[]]))).toEqual({ all: [...[...seven].reverse(), ...GIFT_EVENTS.slice(1)], some: rows.some, done: rows.done });
    // A new endpoint gets all but gift.requested by default (events added since included), and its console row says so.
    const made = await json<Data<{ id: string; events: string[] }>>(await w.brand.api('POST', '/api/admin/webhooks/endpoints', { url: `${DEAD_URL}/default` }));
    expect(made.data.events).toEqual(expect.arrayContaining([...seven, ...GIFT_EVENTS.slice(1)]));
    expect(made.data.events).not.toContain('gift.requested');
    expect(await (await get('/console/webhooks', w.manager)).text()).toContain('All events but gift.requested');
    await env.DB.prepare('UPDATE webhook_endpoints SET enabled = 0 WHERE id = ?').bind(made.data.id).run();
  });

  it('checks a file line by line against the campaign and writes nothing without confirm', async () => {
    const w = await shared();
    const send = (csv: string, confirm = false) => w.brand.api('POST', w.ship, { csv, confirm });
    const refused = async (csv: string, code = 'invalid_csv') => {
      const res = await send(csv);
      expect([res.status, (await json<{ error: { code: string } }>(res)).error.code], csv.slice(0, 60)).toEqual([422, code]);
    };
    const before = await state(w.brand.brandId);
    await refused('request_id,tracking_number\ngr_x,1Z999AA1\n'); // no carrier column
    await refused('request_id,carrier,tracking_number,weight\ngr_x,UPS,1Z999AA1,2kg\n'); // not a column we know
    await refused('request_id,carrier,tracking_number,Carrier\ngr_x,UPS,1Z999AA1,UPS\n'); // twice
    // Unknown header cells are named, a few and each cut short: a header row is not echoed back whole.
    const wide = await send(`request_id,carrier,tracking_number,${Array.from({ length: 25 }, (_, i) => `${i}${'w'.repeat(5000)}`).join(',')}\ngr_x,UPS,1Z999AA1\n`);
    const wideError = (await json<{ error: { message: string } }>(wide)).error.message;
    expect([wide.status, wideError.length < 2000, wideError.includes('and 5 more')]).toEqual([422, true, true]);
    await refused('request_id,carrier,tracking_number\n');
    await refused(`request_id,carrier,tracking_number\n${'gr_x,UPS,1Z999AA1\n'.repeat(2001)}`);
    await refused('x'.repeat(1_000_001), 'validation_failed');
    expect((await send(`request_id,carrier,tracking_number\n${`gr_x,UPS,1Z999AA1,${'y'.repeat(100)}\n`.repeat(10_000)}`)).status).toBe(413);

    // The packing list with two columns filled in (semicolons, as a spreadsheet in Europe saves it), and lines
    // of every kind after it.
    const packing = (await (await w.brand.api('GET', `/api/admin/campaigns/${w.campaign.id}/packing-list.csv`)).text()).trim().split('\r\n');
    const mine = packing.filter((l) => l.includes(w.r[0]!) || l.startsWith('"request_id"'));
    expect(mine).toHaveLength(2);
    // Cells under the packing list's header plus carrier, tracking_number and tracking_url.
    const header = [...parseCsv(mine[0]!)[0]!.cells, 'carrier', 'tracking_number', 'tracking_url'];
    const line = (cells: Record<string, string>) => header.map((h) => cells[h] ?? '').join(';');
    const file = [
      `${mine[0]!.replaceAll(',', ';')};carrier;tracking_number;tracking_url`,
      `${mine[1]!.replaceAll(',', ';')};UPS;1Z999AA10000001;`, // 2: ships
      line({ request_id: w.r[0]! }), // 3: the same request's second line, no tracking: ships with line 2
      line({ request_id: w.r[1]!, carrier: 'UPS', tracking_number: '1Z999AA10000002' }), // 4 and 5: one request, two tracking numbers
      line({ request_id: w.r[1]!, carrier: 'UPS', tracking_number: '1Z999AA10000003' }),
      line({ request_id: w.r[2]! }), // 6: no tracking yet
      line({ request_id: 'gr_Q2x7vLr9TkPa4mBc', carrier: 'UPS', tracking_number: '1Z999AA10000004' }), // 7: no such request
      line({ request_id: w.foreign, carrier: 'UPS', tracking_number: '1Z999AA10000005' }), // 8: another brand's
      line({ request_id: w.elsewhere, carrier: 'UPS', tracking_number: '1Z999AA10000006' }), // 9: another campaign's
      line({ request_id: w.r[7]!, carrier: 'UPS', tracking_number: '1Z999AA10000007' }), // 10: declined
      line({ request_id: w.r[3]!, carrier: 'DHL', tracking_number: 'JD014600006', updated_at: '2020-01-01T00:00:00.000Z' }), // 11: changed since that version
      line({ request_id: w.r[3]!.replace('gr_', 'gr_x'), carrier: 'Acme', tracking_number: '!', tracking_url: 'http://acme.example/t' }), // 12: bad cells
      line({}), // all blank: no line
      line({ request_id: 'y'.repeat(5000), carrier: 'UPS', tracking_number: '1Z999AA10000008' }), // 14: not an id, not echoed
    ].join('\n');
    const dry = await send(file);
    expect(dry.status).toBe(200);
    const report = (await json<Data<Report>>(dry)).data;
    expect(report.dryRun).toBe(true);
    expect(report.lines.map((l) => [l.line, l.outcome])).toEqual([
      [2, 'shipped'],
      [3, 'shipped'],
      [4, 'error'],
      [5, 'error'],
      [6, 'skipped'],
      [7, 'error'],
      [8, 'error'],
      [9, 'error'],
      [10, 'error'],
      [11, 'error'],
      [12, 'error'],
      [14, 'error'],
    ]);
    expect(report.lines.find((l) => l.line === 14)!.requestId).toBeNull();
    expect(report.errors.map((e) => [e.line, e.field, e.code])).toEqual([
      [4, 'tracking_number', 'conflicting_lines'],
      [5, 'tracking_number', 'conflicting_lines'],
      [7, 'request_id', 'not_found'],
      [8, 'request_id', 'not_found'],
      [9, 'request_id', 'not_found'],
      [10, 'request_id', 'gift_request_not_open'],
      [11, 'updated_at', 'gift_request_changed'],
      [12, 'tracking_number', 'invalid'],
      [12, 'tracking_url', 'invalid'],
      [14, 'request_id', 'not_found'],
    ]);
    // Unknown, foreign and another campaign's read the same, and name no creator.
    expect(new Set(report.errors.filter((e) => e.code === 'not_found').map((e) => e.message)).size).toBe(1);
    expect(report.lines.filter((l) => [7, 8, 9].includes(l.line)).map((l) => l.creator)).toEqual([null, null, null]);
    expect(report.counts).toEqual({ shipped: 1, updated: 0, unchanged: 0, skippedLines: 1, errorLines: 9 });
    expect(await state(w.brand.brandId)).toBe(before);
  });

  it('ships the good lines once confirmed, mails each creator once, and the same file again changes nothing', async () => {
    const w = await shared();
    await endpointsEnabled(w, true);
    const send = async (csv: string) => (await json<Data<Report>>(await w.brand.api('POST', w.ship, { csv, confirm: true }))).data;
    const emails = await Promise.all(w.enrollments.slice(0, 4).map(async (e) => (await env.DB.prepare('SELECT email FROM creators WHERE id = ?').bind(e.creator_id).first<string>('email'))!));
    const file = [
      'request_id,carrier,tracking_number,updated_at',
      `${w.r[0]},UPS,1Z999AA10000001,${await updatedAt(w.r[0]!)}`,
      `${w.r[0]},UPS,1Z999AA10000001,${await updatedAt(w.r[0]!)}`,
      `${w.r[1]},USPS,9400100000000000000001,${await updatedAt(w.r[1]!)}`,
      `${w.r[2]},FedEx,123456789012,${await updatedAt(w.r[2]!)}`,
      `${w.foreign},UPS,1Z999AA10000005,`,
    ].join('\n');
    // The creator changes request 3 after the packing list was read: that one is refused, the others ship.
    await env.DB.prepare("UPDATE gift_requests SET address = json_set(address, '$.city', 'Elsewhere'), updated_at = updated_at + 1000 WHERE id = ?").bind(w.r[2]).run();
    const eventsBefore = (await giftEvents(w.brand.brandId)).length;
    let first: Report | undefined;
    const sent = await mailsTo(emails, async () => void (first = await send(file)), 2);
    expect(first!.lines.map((l) => l.outcome)).toEqual(['shipped', 'shipped', 'shipped', 'error', 'error']);
    expect(first!.errors.map((e) => e.code)).toEqual(['gift_request_changed', 'not_found']);
    expect(first!.counts).toMatchObject({ shipped: 2, errorLines: 2 });
    expect(sent.map((m) => m.to).sort()).toEqual([emails[0], emails[1]].sort());
    expect(sent.find((m) => m.to === emails[1])!.text).toContain('9400100000000000000001');
    expect([await statusOf(w.r[0]!), await statusOf(w.r[1]!), await statusOf(w.r[2]!), await statusOf(w.foreign)]).toEqual(['shipped', 'shipped', 'requested', 'requested']);
    const shippedEvents = (await giftEvents(w.brand.brandId)).slice(eventsBefore);
    expect(shippedEvents.map((e) => [e.type, e.payload.giftRequest.id])).toEqual(expect.arrayContaining([['gift.shipped', w.r[0]], ['gift.shipped', w.r[1]]]));
    expect(shippedEvents).toHaveLength(2);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'gift.shipped' AND actor_type = 'api_key' AND target_id IN (?, ?)", w.brand.brandId, w.enrollments[0]!.id, w.enrollments[1]!.id)).toBe(2);

    // Sent again: nothing moves, no one is mailed, no event. A corrected number is taken without a mail.
    const before = await state(w.brand.brandId);
    let again: Report | undefined;
    const resent = await mailsTo(emails, async () => void (again = await send(file.split('\n').slice(0, 4).join('\n'))));
    expect(again!.lines.map((l) => l.outcome)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(await state(w.brand.brandId)).toBe(before);
    // A correction from a file names the request's current version; without it, other tracking is already_shipped.
    const correction = (version: string) => `request_id,carrier,tracking_number,updated_at\n${w.r[1]},USPS,9400100000000000000009,${version}\n`;
    const unversioned = await send(correction(''));
    expect([unversioned.lines[0]!.outcome, unversioned.errors[0]!.code]).toEqual(['error', 'already_shipped']);
    expect(unversioned.errors[0]!.message).toContain('Shipped already with USPS 9400100000000000000001');
    const fixed = await mailsTo(emails, async () => void (again = await send(correction(await updatedAt(w.r[1]!)))));
    expect(again!.lines.map((l) => l.outcome)).toEqual(['updated']);
    expect([...resent, ...fixed]).toEqual([]);
    // The first file sent again (its updated_at from before the ship) does not put the old number back.
    const stale = await send(file.split('\n').slice(0, 4).join('\n'));
    expect(stale.lines.map((l) => l.outcome)).toEqual(['unchanged', 'unchanged', 'error']);
    expect(stale.errors.map((e) => [e.code, e.message.includes('after this updated_at')])).toEqual([['already_shipped', true]]);
    expect(await env.DB.prepare('SELECT tracking_number FROM gift_requests WHERE id = ?').bind(w.r[1]).first('tracking_number')).toBe('9400100000000000000009');
    expect((await giftEvents(w.brand.brandId)).length).toBe(eventsBefore + 2);
  });

  it('runs from the Gifting tab for owners and managers: upload, the check, then confirm', async () => {
    const w = await shared();
    const tab = `/console/campaigns/${w.campaign.id}/gifting`;
    expect(await (await get(tab, w.manager)).text()).toContain('Add tracking from a file');
    expect(await (await get(tab, w.viewer)).text()).not.toContain('Add tracking from a file');
    const upload = () => {
      const form = new FormData();
      form.set('file', new File([`request_id,carrier,tracking_number\n${w.r[3]},DHL,JD014600006\n${w.r[7]},DHL,JD014600007\n`], 'warehouse.csv', { type: 'text/csv' }));
      return form;
    };
    expect((await post(`${tab}/tracking`, upload(), { cookie: w.viewer })).status).toBe(403);
    expect((await post(`${tab}/tracking`, upload(), { cookie: w.manager, origin: 'https://evil.example' })).status).toBe(403);
    const before = await state(w.brand.brandId);
    const check = await post(`${tab}/tracking`, upload(), { cookie: w.manager });
    const page = await check.text();
    expect(check.status).toBe(200);
    expect(page).toContain('warehouse.csv');
    expect(page).toContain('Ship 1 and email the creator');
    expect(page).toContain('This request is declined, so it does not ship.');
    expect(await state(w.brand.brandId)).toBe(before);
    // The page's button posts the file back with confirm=1 (the browser sends its line breaks as CRLF). With a line
    // left over, the answer is the page of what it did, the problem line and its reason on it.
    const csv = page.match(/name="csv" value="([^"]*)"/)![1]!.replaceAll('&#10;', '\r\n');
    const done = await post(`${tab}/tracking`, { csv, fileName: 'warehouse.csv', confirm: '1' }, { cookie: w.manager });
    const donePage = await done.text();
    expect(done.status).toBe(200);
    expect(await statusOf(w.r[3]!)).toBe('shipped');
    expect(donePage).toContain('What the file did');
    expect(donePage).toContain('1 gift shipped, each creator emailed');
    expect(donePage).toContain('This request is declined, so it does not ship.');
    expect(donePage).not.toContain('name="confirm"');
    // All fine: back to the tab, with the counts.
    const clean = await post(`${tab}/tracking`, { csv: `request_id,carrier,tracking_number\r\n${w.r[3]},DHL,JD014600006\r\n`, confirm: '1' }, { cookie: w.manager });
    expect(clean.status).toBe(303);
    expect(await (await get(clean.headers.get('location')!, w.manager)).text()).toContain('1 gift had this tracking already.');
    expect((await post(`${tab}/tracking`, { csv: '' }, { cookie: w.manager })).status).toBe(422);

    // A file of 1,000,000 characters, sent back with CRLF line breaks (twice the bytes here), is still checked.
    const body = `request_id,carrier,tracking_number\n${w.r[3]},DHL,JD014600006\n`;
    const full = body + '\n'.repeat(1_000_000 - body.length);
    const multipart = (csv: string) => {
      const form = new FormData();
      form.set('csv', csv.replaceAll('\n', '\r\n'));
      return form;
    };
    expect((await post(`${tab}/tracking`, multipart(full), { cookie: w.manager })).status).toBe(200);
    expect((await post(`${tab}/tracking`, multipart(`${full}\n`), { cookie: w.manager })).status).toBe(413);

    // Past the first 500 lines, a line with a problem is still on the page.
    const long = ['request_id,carrier,tracking_number', ...Array<string>(600).fill(`${w.r[2]},,`), 'gr_Q2x7vLr9TkPa4mBc,UPS,1Z999AA10000004'].join('\n');
    const longPage = await (await post(`${tab}/tracking`, { csv: long }, { cookie: w.manager })).text();
    expect(longPage).toContain('No gift request of this campaign has this request_id.');
    expect(longPage).toContain('Showing the first 500 of 601 lines and every line with a problem');
  });

  it('never turns a ship that lost a race into a correction, and tells a file why a shipped request keeps its tracking', async () => {
    const w = await shared();
    const actor = { type: 'api_key' as const, id: 'key_test' };
    // Versions with milliseconds, as the requests' own have, so a spreadsheet's rounding shows.
    const asked = Math.floor(Date.now() / 1000) * 1000 - 60_000 + 456;
    const { campaignId, ids } = await seedRequests(w, 3, asked);
    const [a, b, c] = ids as [string, string, string];
    const ups = (n: string, updatedAt?: number) => ({ carrier: 'UPS', trackingNumber: `1Z999AA1${n}`, ...(updatedAt === undefined ? {} : { updatedAt }) });
    const trackingOf = (id: string) => env.DB.prepare('SELECT tracking_number FROM gift_requests WHERE id = ?').bind(id).first<string>('tracking_number');

    // Another call ships a (other tracking) and b (the same) between this call's read and its write.
    const shippedAt = asked + 30_000 + 111;
    const raced = aroundBatches(async (batch) => {
      await shipGifts(env.DB, w.brand.brandId, [{ requestId: a, input: ups('0000200') }, { requestId: b, input: ups('0000300') }], actor, shippedAt);
      return batch();
    });
    const lost = await shipGifts(raced, w.brand.brandId, [{ requestId: a, input: ups('0000201') }, { requestId: b, input: ups('0000300') }], actor, shippedAt + 1000);
    expect(lost.map((o) => [o.outcome, 'reason' in o ? o.reason : null])).toEqual([['conflict', 'already_shipped'], ['unchanged', null]]);
    expect(await trackingOf(a)).toBe('1Z999AA10000200');

    // A file: the packing list's version (from before the ship), none, or the current one rounded to the second,
    // is not a correction, and each says why; the current version is.
    const ship = `/api/admin/campaigns/${campaignId}/gift-requests/ship`;
    const check = async (lines: string[]) => (await json<Data<Report>>(await w.brand.api('POST', ship, { csv: ['request_id,carrier,tracking_number,updated_at', ...lines].join('\n') }))).data;
    const iso = (ms: number) => new Date(ms).toISOString();
    const toSecond = (ms: number) => iso(ms).replace(/\.\d{3}Z$/, 'Z');
    const stale = await check([`${a},UPS,1Z999AA10000202,${iso(asked)}`, `${b},UPS,1Z999AA10000302,`, `${c},UPS,1Z999AA10000402,${toSecond(asked)}`]);
    expect(stale.errors.map((e) => [e.line, e.field, e.code])).toEqual([
      [2, 'tracking_number', 'already_shipped'],
      [3, 'tracking_number', 'already_shipped'],
      [4, 'updated_at', 'invalid'],
    ]);
    expect(stale.errors[0]!.message).toContain(`Shipped already with UPS 1Z999AA10000200 (${iso(shippedAt)}), after this updated_at`);
    expect(stale.errors[2]!.message).toContain('The spreadsheet dropped the milliseconds');
    expect((await check([`${a},UPS,1Z999AA10000202,${toSecond(shippedAt)}`])).errors[0]!.message).toContain('The spreadsheet dropped the milliseconds');
    expect((await check([`${a},UPS,1Z999AA10000202,${iso(shippedAt)}`])).lines.map((l) => l.outcome)).toEqual(['updated']);

    // The ship call: a version from before the ship is already_shipped too, naming the tracking; without one it
    // corrects, as documented. A received request sent its own tracking again is a 200 that changes nothing.
    const call = (id: string, body: object) => w.brand.api('POST', `/api/admin/gift-requests/${id}/ship`, body);
    const refused = await call(a, { ...ups('0000203'), updatedAt: iso(asked) });
    expect([refused.status, (await json<{ error: { code: string; details: { trackingNumber: string } } }>(refused)).error]).toMatchObject([409, { code: 'already_shipped', details: { trackingNumber: '1Z999AA10000200' } }]);
    expect((await call(a, ups('0000203'))).status).toBe(200);
    expect(await trackingOf(a)).toBe('1Z999AA10000203');
    await env.DB.prepare("UPDATE gift_requests SET status = 'received', received_at = ?2 WHERE id = ?1").bind(b, Date.now()).run();
    const before = await state(w.brand.brandId);
    const again = await call(b, ups('0000300'));
    expect([again.status, (await json<Data<{ status: string }>>(again)).data.status]).toEqual([200, 'received']);
    expect((await call(b, ups('0000301'))).status).toBe(409);
    expect(await state(w.brand.brandId)).toBe(before);
  });

  it('ships 201 requests in two batches, mailing each as it commits, and a failure after the first leaves it mailed', async () => {
    const w = await shared();
    const { campaignId, ids } = await seedRequests(w, 201, Date.now() - 60_000);
    const csv = ['request_id,carrier,tracking_number', ...ids.map((id, i) => `${id},UPS,1Z999AA1${String(i).padStart(7, '0')}`)].join('\n');
    const mails: string[] = [];
    const committed = async (done: ShipOutcome[]) => void mails.push(...(await giftMailsOwed(env.DB, done, 'https://chorus.test')).map((o) => o.mail.idempotencyKey!));
    const confirm = { actor: { type: 'api_key' as const, id: 'key_bulk' }, now: Date.now(), committed };
    // Storage fails on the second batch: the first stays shipped and its mails were handed over as it committed.
    const failing = aroundBatches((batch, n) => (n === 2 ? Promise.reject(new Error('D1_ERROR: injected')) : batch()));
    const stopped = (await runTrackingFile(failing, w.brand.brandId, campaignId, csv, confirm).catch((e: unknown) => e)) as ShipmentsInterrupted;
    expect(stopped).toBeInstanceOf(ShipmentsInterrupted);
    expect(requestCounts(stopped.outcomes)).toEqual({ shipped: 200, updated: 0, unchanged: 0 });
    expect(mails).toHaveLength(200);
    // Sent again, the rest ships: every request shipped once, each creator owed one mail.
    const again = await runTrackingFile(env.DB, w.brand.brandId, campaignId, csv, { ...confirm, now: Date.now() });
    expect('report' in again && again.report.counts).toMatchObject({ shipped: 1, unchanged: 200 });
    expect(new Set(mails).size).toBe(201);
    expect(mails).toHaveLength(201);
    expect(await rowCount("SELECT count(*) AS n FROM gift_requests WHERE campaign_id = ? AND status = 'shipped'", campaignId)).toBe(201);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'gift.shipped' AND actor_id = 'key_bulk'", w.brand.brandId)).toBe(201);
  });

  it('deployed without PUBLIC_ORIGIN, the ship call refuses only a ship (which mails the creator) and still corrects a shipped gift', async () => {
    const w = await shared();
    const { ids } = await seedRequests(w, 2, Date.now() - 60_000);
    const [shipped, waiting] = ids as [string, string];
    const emails = (await env.DB.prepare('SELECT c.email FROM gift_requests g JOIN enrollments e ON e.id = g.enrollment_id JOIN creators c ON c.id = e.creator_id WHERE g.id IN (?, ?)').bind(shipped, waiting).all<{ email: string }>()).results.map((r) => r.email);
    expect(await mailsTo(emails, async () => expect((await w.brand.api('POST', `/api/admin/gift-requests/${shipped}/ship`, { carrier: 'UPS', trackingNumber: '1Z999AA10000300' })).status).toBe(200), 1)).toHaveLength(1);
    // A deployment that does not know its address, reached on a host its sender chose.
    const deployed = { ...env, ENVIRONMENT: 'production', PUBLIC_ORIGIN: undefined } as Env;
    const ship = async (id: string, body: Record<string, string>) => {
      const ctx = createExecutionContext();
      const init = { method: 'POST', headers: { authorization: `Bearer ${w.brand.adminKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) };
      const res = await worker.fetch(new Request(`https://evil.example/api/admin/gift-requests/${id}/ship`, init), deployed, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    };
    const before = await state(w.brand.brandId);
    const mails = await mailsTo(emails, async () => {
      const refused = await ship(waiting, { carrier: 'UPS', trackingNumber: '1Z999AA10000301' });
      expect([refused.status, (await json<{ error: { code: string } }>(refused)).error.code]).toEqual([503, 'public_origin_unset']);
      expect(await state(w.brand.brandId)).toBe(before);
      // A correction, then the same again: neither mails, so neither needs the address.
      for (let i = 0; i < 2; i++) {
        const corrected = await ship(shipped, { carrier: 'DHL', trackingNumber: 'JD0146000300' });
        expect(corrected.status).toBe(200);
        expect((await json<Data<{ status: string; shipment: { carrier: string } }>>(corrected)).data).toMatchObject({ status: 'shipped', shipment: { carrier: 'DHL' } });
      }
    });
    expect(mails).toEqual([]);
    expect(await statusOf(waiting)).toBe('requested');
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'gift.tracking_changed' AND json_extract(details, '$.requestId') = ?", w.brand.brandId, shipped)).toBe(1);
  });

  it('deployed without PUBLIC_ORIGIN, a tracking file, a decline and the Gifting tab refuse only what would mail', async () => {
    const w = await shared();
    const { campaignId, ids } = await seedRequests(w, 3, Date.now() - 60_000);
    const [shipped, declined, waiting] = ids as [string, string, string];
    const emails = (await env.DB.prepare('SELECT c.email FROM gift_requests g JOIN enrollments e ON e.id = g.enrollment_id JOIN creators c ON c.id = e.creator_id WHERE g.campaign_id = ?').bind(campaignId).all<{ email: string }>()).results.map((r) => r.email);
    const reason = 'Out of stock until June.';
    const first = await mailsTo(emails, async () => {
      expect((await w.brand.api('POST', `/api/admin/gift-requests/${shipped}/ship`, { carrier: 'UPS', trackingNumber: '1Z999AA10000400' })).status).toBe(200);
      expect((await w.brand.api('POST', `/api/admin/gift-requests/${declined}/decline`, { reason })).status).toBe(200);
    }, 2);
    expect(first).toHaveLength(2);
    // A deployment that does not know its address, reached on a host its sender chose (the console's own, for its forms).
    const deployed = { ...env, ENVIRONMENT: 'production', PUBLIC_ORIGIN: undefined } as Env;
    const send = async (url: string, init: RequestInit) => {
      const ctx = createExecutionContext();
      const res = await worker.fetch(new Request(url, { ...init, redirect: 'manual' }), deployed, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    };
    const api = (path: string, body: object) => send(`https://evil.example/api/admin${path}`, { method: 'POST', headers: { authorization: `Bearer ${w.brand.adminKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const tab = `/console/campaigns/${campaignId}/gifting`;
    const form = (path: string, fields: Record<string, string>) =>
      send(`https://chorus.test${tab}${path}`, { method: 'POST', headers: { origin: 'https://chorus.test', cookie: w.manager, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
    const refusedWith503 = async (res: Response) => {
      expect([res.status, res.headers.get('retry-after')]).toEqual([503, '3600']);
      if (res.headers.get('content-type')?.includes('json')) expect((await json<{ error: { code: string } }>(res)).error.code).toBe('public_origin_unset');
      else expect(await res.text()).toContain('PUBLIC_ORIGIN');
    };
    const file = (lines: string[]) => ['request_id,carrier,tracking_number,updated_at', ...lines].join('\n');
    const mails = await mailsTo(emails, async () => {
      // Would mail: refused, nothing written.
      const before = await state(w.brand.brandId);
      await refusedWith503(await api(`/campaigns/${campaignId}/gift-requests/ship`, { csv: file([`${waiting},UPS,1Z999AA10000401,`]), confirm: true }));
      await refusedWith503(await api(`/gift-requests/${waiting}/decline`, { reason }));
      await refusedWith503(await form(`/requests/${waiting}/ship`, { carrier: 'UPS', trackingNumber: '1Z999AA10000401', trackingUrl: '' }));
      await refusedWith503(await form(`/requests/${waiting}/decline`, { reason }));
      await refusedWith503(await form('/tracking', { csv: file([`${waiting},UPS,1Z999AA10000401,`, `${shipped},UPS,1Z999AA10000400,`]), confirm: '1' }));
      // The tab's check of a file warns that confirming it will be refused, only when a line would ship.
      const check = async (lines: string[]) => {
        const res = await form('/tracking', { csv: file(lines) });
        expect(res.status).toBe(200);
        return res.text();
      };
      expect(await check([`${waiting},UPS,1Z999AA10000401,`, `${w.foreign},UPS,1Z999AA10000402,`])).toContain('PUBLIC_ORIGIN');
      expect(await check([`${shipped},UPS,1Z999AA10000400,`, `${w.foreign},UPS,1Z999AA10000402,`])).not.toContain('PUBLIC_ORIGIN');
      // Not this brand's, or on the tab not this campaign's: a 404 (a not_found line in a file), as with the origin set.
      for (const id of [w.foreign]) {
        expect((await api(`/gift-requests/${id}/ship`, { carrier: 'UPS', trackingNumber: '1Z999AA10000401' })).status).toBe(404);
        expect((await api(`/gift-requests/${id}/decline`, { reason })).status).toBe(404);
      }
      for (const id of [w.foreign, w.elsewhere, w.r[0]!]) {
        expect((await form(`/requests/${id}/ship`, { carrier: 'UPS', trackingNumber: '1Z999AA10000401', trackingUrl: '' })).status).toBe(404);
        expect((await form(`/requests/${id}/decline`, { reason })).status).toBe(404);
      }
      const strangers = file([`${w.foreign},UPS,1Z999AA10000402,`, `${w.elsewhere},UPS,1Z999AA10000403,`]);
      const checked = await api(`/campaigns/${campaignId}/gift-requests/ship`, { csv: strangers, confirm: true });
      expect([checked.status, (await json<Data<Report>>(checked)).data.errors.map((e) => e.code)]).toEqual([200, ['not_found', 'not_found']]);
      expect((await form('/tracking', { csv: strangers, confirm: '1' })).status).toBe(200);
      expect(await state(w.brand.brandId)).toBe(before);
      // Mails nothing: a decline again, a ship again, and files that only correct or repeat tracking sent already.
      expect((await api(`/gift-requests/${declined}/decline`, { reason })).status).toBe(200);
      expect((await form(`/requests/${declined}/decline`, { reason })).status).toBe(303);
      expect((await form(`/requests/${shipped}/ship`, { carrier: 'UPS', trackingNumber: '1Z999AA10000400', trackingUrl: '' })).status).toBe(303);
      const corrected = await api(`/campaigns/${campaignId}/gift-requests/ship`, { csv: file([`${shipped},DHL,JD0146000400,${await updatedAt(shipped)}`]), confirm: true });
      expect([corrected.status, (await json<Data<Report>>(corrected)).data.counts]).toMatchObject([200, { updated: 1 }]);
      const again = await form('/tracking', { csv: file([`${shipped},DHL,JD0146000400,`]), confirm: '1' });
      expect(again.status).toBe(303);
      expect((await form(`/requests/${shipped}/ship`, { carrier: 'DHL', trackingNumber: 'JD0146000401', trackingUrl: '' })).status).toBe(303);
    });
    expect(mails).toEqual([]);
    expect([await statusOf(waiting), await statusOf(declined)]).toEqual(['requested', 'declined']);
    expect(await env.DB.prepare('SELECT tracking_number FROM gift_requests WHERE id = ?').bind(shipped).first<string>('tracking_number')).toBe('JD0146000401');
  });

  it("corrects one shipped gift's tracking from its row on the Gifting tab, as the API does: audited, no mail, no event", async () => {
    const w = await shared();
    const { campaignId, ids } = await seedRequests(w, 3, Date.now() - 60_000);
    const [shipped, received, waiting] = ids as [string, string, string];
    const emails = (await env.DB.prepare('SELECT c.email FROM gift_requests g JOIN enrollments e ON e.id = g.enrollment_id JOIN creators c ON c.id = e.creator_id WHERE g.id IN (?, ?)').bind(shipped, received).all<{ email: string }>()).results.map((r) => r.email);
    // Shipped through the API, each mailed once (waited for here, so no mail of theirs is counted below).
    const shipMails = await mailsTo(emails, async () => {
      for (const id of [shipped, received]) expect((await w.brand.api('POST', `/api/admin/gift-requests/${id}/ship`, { carrier: 'UPS', trackingNumber: '1Z999AA10000200' })).status).toBe(200);
    }, 2);
    expect(shipMails).toHaveLength(2);
    await env.DB.prepare("UPDATE gift_requests SET status = 'received', received_at = ? WHERE id = ?").bind(Date.now(), received).run();
    const tab = `/console/campaigns/${campaignId}/gifting`;
    const fix = (id: string, fields: Record<string, string>, cookie = w.manager, base = tab) => post(`${base}/requests/${id}/tracking`, { carrier: 'DHL', trackingNumber: 'JD0146000099', trackingUrl: '', ...fields }, { cookie });
    // The form is on the shipped row only, for owners and managers, drawn with the version it corrects.
    const page = await (await get(tab, w.manager)).text();
    expect(page).toContain(`${tab}/requests/${shipped}/tracking`);
    for (const id of [received, waiting]) expect(page).not.toContain(`${tab}/requests/${id}/tracking`);
    expect(await (await get(tab, w.viewer)).text()).not.toContain('Correct tracking');
    const version = await updatedAt(shipped);
    await endpointsEnabled(w, true);
    const before = await state(w.brand.brandId);
    // Refused, nothing written: a viewer, another origin, another brand's or campaign's request, a received gift (as
    // the API refuses it), one not shipped yet, a stale form, a form without its version, a blank number.
    expect((await fix(shipped, { updatedAt: version }, w.viewer)).status).toBe(403);
    expect((await post(`${tab}/requests/${shipped}/tracking`, { carrier: 'DHL', trackingNumber: 'JD0146000099', updatedAt: version }, { cookie: w.manager, origin: 'https://evil.example' })).status).toBe(403);
    for (const id of [w.foreign, w.elsewhere]) expect((await fix(id, {})).status).toBe(404);
    expect((await fix(received, { updatedAt: await updatedAt(received) })).status).toBe(409);
    const api = await w.brand.api('POST', `/api/admin/gift-requests/${received}/ship`, { carrier: 'DHL', trackingNumber: 'JD0146000099' });
    expect([api.status, (await json<{ error: { code: string } }>(api)).error.code]).toEqual([409, 'gift_request_not_open']);
    expect((await fix(waiting, {})).status).toBe(409);
    expect((await fix(shipped, { updatedAt: new Date(Date.parse(version) - 1).toISOString() })).status).toBe(409);
    const unversioned = await fix(shipped, {});
    expect(unversioned.status).toBe(422);
    expect(await unversioned.text()).toContain('reload the page and correct it again');
    const blank = await fix(shipped, { trackingNumber: '', updatedAt: version });
    expect(blank.status).toBe(422);
    expect(await blank.text()).toMatch(/<details open[^>]*>\s*<summary>Correct tracking/);
    expect(await state(w.brand.brandId)).toBe(before);
    // Corrected: the new tracking (its link built for the carrier), one gift.tracking_changed by this manager, and,
    // as the API's correction, no mail and no webhook event.
    const events = await rowCount('SELECT count(*) AS n FROM webhook_events WHERE brand_id = ?', w.brand.brandId);
    const mails = await mailsTo(emails, async () => {
      const done = await fix(shipped, { updatedAt: version });
      expect(done.status).toBe(303);
      expect(await (await get(done.headers.get('location')!, w.manager)).text()).toContain('Tracking corrected.');
    });
    expect(mails).toEqual([]);
    expect(await env.DB.prepare('SELECT status, carrier, tracking_number AS n, tracking_url AS url FROM gift_requests WHERE id = ?').bind(shipped).first()).toEqual({
      status: 'shipped',
      carrier: 'DHL',
      n: 'JD0146000099',
      url: 'https://www.dhl.com/global-en/home/tracking/tracking-express.html?tracking-id=JD0146000099',
    });
    const audit = await env.DB.prepare("SELECT actor_type, actor_id, details FROM audit_log WHERE brand_id = ? AND action = 'gift.tracking_changed' AND json_extract(details, '$.requestId') = ?").bind(w.brand.brandId, shipped).all();
    expect(audit.results).toEqual([{ actor_type: 'admin_user', actor_id: expect.any(String), details: JSON.stringify({ requestId: shipped, carrier: 'DHL', trackingNumber: 'JD0146000099' }) }]);
    expect(await rowCount('SELECT count(*) AS n FROM webhook_events WHERE brand_id = ?', w.brand.brandId)).toBe(events);
  });
});
