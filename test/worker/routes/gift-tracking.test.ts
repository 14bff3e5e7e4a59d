// Shipping gifts from the warehouse's tracking file (checked line by line, written only once confirmed, each
// request shipped and mailed once however often the file is sent), and the gift.* webhook events: one per move
// of a request, written with it, the address only in gift.requested.
import { env } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import migration0062 from '../../../migrations/0062_gift_webhook_events.sql?raw';
import { creatorMovesGift } from '../../../worker/db/gifting';
import { parseCsv } from '../../../worker/lib/csv';
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
    expect(latest.address).toMatchObject({ city: 'Salem', country: 'US' });

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
    for (const e of events) expect(e.payload.giftRequest).not.toHaveProperty('address');
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
    await env.DB.prepare(migration0062).run();
    await env.DB.prepare(migration0062).run();
    const { results } = await env.DB.prepare("SELECT id, events FROM webhook_endpoints WHERE id LIKE 'whe_m62_%' AND brand_id = ?").bind(w.brand.brandId).all<{ id: string; events: string }>();
    expect(Object.fromEntries(results.map((r) => [r.id.split('_')[2], JSON.parse(r.events) as string[]]))).toEqual({ all: [...[...seven].reverse(), ...GIFT_EVENTS.slice(1)], some: rows.some, done: rows.done });
    // A new endpoint gets all but gift.requested by default, and its console row says so.
    const made = await json<Data<{ id: string; events: string[] }>>(await w.brand.api('POST', '/api/admin/webhooks/endpoints', { url: `${DEAD_URL}/default` }));
    expect(made.data.events).toEqual([...seven, ...GIFT_EVENTS.slice(1)]);
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
    ]);
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
    ]);
    // Unknown, foreign and another campaign's read the same, and name no creator.
    expect(new Set(report.errors.filter((e) => e.code === 'not_found').map((e) => e.message)).size).toBe(1);
    expect(report.lines.filter((l) => [7, 8, 9].includes(l.line)).map((l) => l.creator)).toEqual([null, null, null]);
    expect(report.counts).toEqual({ shipped: 1, updated: 0, unchanged: 0, skippedLines: 1, errorLines: 8 });
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
    const fixed = await mailsTo(emails, async () => void (again = await send(`request_id,carrier,tracking_number\n${w.r[1]},USPS,9400100000000000000009\n`)));
    expect(again!.lines.map((l) => l.outcome)).toEqual(['updated']);
    expect([...resent, ...fixed]).toEqual([]);
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
    // The page's button posts the file back with confirm=1.
    const csv = page.match(/name="csv" value="([^"]*)"/)![1]!.replaceAll('&#10;', '\n');
    const done = await post(`${tab}/tracking`, { csv, fileName: 'warehouse.csv', confirm: '1' }, { cookie: w.manager });
    expect(done.status).toBe(303);
    expect(await statusOf(w.r[3]!)).toBe('shipped');
    expect(await (await get(done.headers.get('location')!, w.manager)).text()).toContain('1 gift marked shipped: each creator is emailed the tracking. 1 line with problems left as it was.');
    expect((await post(`${tab}/tracking`, { csv: '' }, { cookie: w.manager })).status).toBe(422);
  });
});
