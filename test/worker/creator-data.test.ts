// A creator's own data: the download (GDPR access and portability) and closing the account (erasure), by the
// creator on their Account page or by the one brand they work with, on request, through the admin API. One story
// over shared fixtures: a creator who earned, messaged, asked for a gift and was paid once, then closes.
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { sendMessage } from '../../worker/db/message-threads';
import { eraseCreator, erasedEmail, GAVE_UP_PAYOUT, owedKey, owedTo } from '../../worker/db/creator-erasure';
import { queueNotices } from '../../worker/mail';
import type { Env } from '../../worker/env';
import { ADDRESS_REMOVED, sealAddress } from '../../worker/db/addresses';
import { EXPORTS_PER_HOUR } from '../../worker/db/creator-export';
import { newId } from '../../worker/lib/ids';
import { parseCsv } from '../../worker/lib/csv';
import { BASE, createMoneyBrand, insertLedgerEntry, insertSubmission, issueKey, json, rowCount, signedPost, waitFor, type Data } from './fixtures';
import { adminUser, signIn } from './console-fixtures';
import { fetchWorker, get, post, post as postForm } from './forms';
import { PASSWORD, portalTestDefaults, signedInCreator } from './portal-fixtures';

portalTestDefaults();

type World = Awaited<ReturnType<typeof signedInCreator>> & { storefront: string; other: { id: string; email: string }; paidPayout: string; giftRequest: string };
let w: World;

const visit = (slug: string) => fetchWorker(`${BASE}/r/${slug}`, { redirect: 'manual', headers: { 'user-agent': 'Mozilla/5.0 (iPhone) Safari/604.1', 'cf-connecting-ip': '203.0.113.9' } });
const checkCode = async (code: string) => json<{ valid: boolean }>(await fetchWorker(`${BASE}/v1/codes/${code}`, { headers: { authorization: `Bearer ${w.storefront}`, 'cf-connecting-ip': '203.0.113.9' } }));
const owedField = (page: string) => /name="owed" value="([^"]*)"/.exec(page)?.[1]?.replaceAll('&amp;', '&') ?? '';

beforeAll(async () => {
  const m = await signedInCreator();
  const brandId = m.brand.brandId;
  // An order with their code (held 30 days: owed, not payable yet), where their money goes, and a month paid out.
  expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', { orderId: 'order-77', amountMinor: 20_000, currency: 'USD', occurredAt: new Date().toISOString(), code: m.code, customerRef: 'shopper-ref-9' })).status).toBe(201);
  expect((await post('/earnings/payout-details', { method: 'paypal', account: 'sarah.pays@wallet.example' }, { cookie: m.cookie })).status).toBe(303);
  await insertLedgerEntry({ brandId, enrollmentId: m.enrollment.id, creatorId: m.creator.id, amountMinor: 5_000, period: '2025-01', availableAt: Date.UTC(2025, 0, 10) });
  expect((await m.brand.api('POST', '/api/admin/payouts/close', { period: '2025-01' })).status).toBe(201);
  const paidPayout = (await env.DB.prepare('SELECT id FROM payouts WHERE creator_id = ?').bind(m.creator.id).first<string>('id'))!;
  expect((await m.brand.api('POST', `/api/admin/payouts/${paidPayout}/mark`, { status: 'paid', reference: 'PAYPAL-1' })).status).toBe(200);
  // Another creator of the brand, whose conversation must not leak into Sarah's file.
  const other = await json<Data<{ id: string }>>(await m.brand.api('POST', '/api/admin/creators', { email: 'mateo.other@creators.test', handle: 'mateo_other', displayName: 'Mateo Other' }));
  const now = Date.now();
  // A millisecond apart, so a conversation reads in the order written.
  for (const [i, [creatorId, author, body]] of ([
    [m.creator.id, { type: 'creator', id: m.creator.id }, 'My address is 1 Rose Lane'],
    [m.creator.id, { type: 'api_key', id: 'key' }, 'Thanks Sarah!'],
    [other.data.id, { type: 'api_key', id: 'key' }, 'Hello Mateo, private note'],
  ] as const).entries()) {
    await env.DB.prepare('INSERT OR IGNORE INTO message_threads (brand_id, creator_id, last_message_at, created_at) VALUES (?, ?, ?, ?)').bind(brandId, creatorId, now, now).run();
    await sendMessage(env.DB, { brandId, creatorId, author, body, formKey: null, seen: null }, now + i);
  }
  // A gift waiting to ship, with her home address (sealed, as the worker writes it), and the gift.requested event
  // that carried it to the brand's systems.
  const giftRequest = newId('gr');
  const home = await sealAddress(env.SECRETS_KEY, { name: 'Sarah Home', line1: '1 Rose Lane', line2: '', city: 'Lyon', region: '', postalCode: '69001', country: 'FR', phone: '' });
  await env.DB.batch([
    env.DB.prepare("INSERT INTO gift_requests (id, brand_id, campaign_id, enrollment_id, status, items, address, value_minor, created_at, updated_at) VALUES (?, ?, ?, ?, 'requested', '[]', ?, 0, ?, ?)").bind(
      giftRequest,
      brandId,
      m.campaign.id,
      m.enrollment.id,
      home,
      now,
      now,
    ),
    env.DB.prepare("INSERT INTO webhook_events (id, brand_id, type, payload, created_at) VALUES (?, ?, 'gift.requested', json_object('giftRequest', json_object('id', ?3, 'creator', json_object('id', ?4), 'address', ?5)), ?6)").bind(
      `evt_${giftRequest}_requested_${now}`,
      brandId,
      giftRequest,
      m.creator.id,
      home,
      now,
    ),
  ]);
  // A live post whose rights the brand asked to extend, still waiting for her answer.
  const livePost = await insertSubmission(brandId, m.enrollment.id, 'live');
  await env.DB.prepare(
    "INSERT INTO rights_extensions (id, brand_id, submission_id, status, days, scopes, currency, asked_by_type, asked_by_id, created_at) VALUES (?, ?, ?, 'open', 30, '[]', 'USD', 'api_key', 'key', ?)",
  )
    .bind(newId('rx'), brandId, livePost, now)
    .run();
  // The brand's tags on her (hers to see) and on the other creator (not).
  expect((await m.brand.api('PUT', `/api/admin/creators/${m.creator.id}/tags`, { tags: ['Top tier', 'wave 2'] })).status).toBe(200);
  expect((await m.brand.api('PUT', `/api/admin/creators/${other.data.id}/tags`, { tags: ['label of another'] })).status).toBe(200);
  // Endpoints made without a list get creator.erased by default.
  expect((await m.brand.api('POST', '/api/admin/webhooks/endpoints', { url: 'http://127.0.0.1:9/hooks' })).status).toBe(201);
  w = { ...m, storefront: await issueKey(m.brand, 'storefront'), other: { id: other.data.id, email: 'mateo.other@creators.test' }, paidPayout, giftRequest };
});

describe("a creator's own data", () => {
  it("gives a bank account's holder name with the masked IBAN", async () => {
    const m = await signedInCreator();
    expect((await post('/earnings/payout-details', { method: 'bank_transfer', account: 'DE89 3704 0044 0532 0130 00', holder: 'Zoë O’Brien' }, { cookie: m.cookie })).status).toBe(303);
    const data = await json<{ profile: { payoutDetails: unknown } }>(await get('/account/data.json', m.cookie));
    expect(data.profile.payoutDetails).toEqual({ method: 'bank_transfer', account: '••••3000', holder: 'Zoë O’Brien' });
  });

  it('downloads everything held about them as one JSON file, with no secret and nothing of another creator', async () => {
    const res = await get('/account/data.json', w.cookie);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="chorus-data-${w.handle}-${new Date().toISOString().slice(0, 10)}.json"`);
    const text = await res.text();
    const data = JSON.parse(text) as Record<string, unknown[]> & { profile: Record<string, unknown> };
    for (const section of ['brands', 'enrollments', 'links', 'codes', 'clicksByDay', 'orders', 'ledger', 'payouts', 'submissions', 'messages', 'giftRequests', 'applications', 'mailOptOuts']) expect(Array.isArray(data[section]), section).toBe(true);
    expect(data.profile).toMatchObject({ id: w.creator.id, email: w.email, payoutDetails: { method: 'paypal', account: 's•••@wallet.example' } });
    expect(data.orders).toEqual([expect.objectContaining({ orderId: 'order-77', amountMinor: 20_000, currency: 'USD', attribution: 'code', commission: expect.objectContaining({ amountMinor: 2_000 }), refunds: [] })]);
    expect(data.ledger).toHaveLength(2);
    expect(data.payouts).toEqual([expect.objectContaining({ id: w.paidPayout, status: 'paid', amountMinor: 5_000, reference: 'PAYPAL-1' })]);
    expect(data.messages).toEqual([expect.objectContaining({ from: 'you', body: 'My address is 1 Rose Lane' }), expect.objectContaining({ from: 'brand', body: 'Thanks Sarah!' })]);
    expect(data.giftRequests).toEqual([expect.objectContaining({ id: w.giftRequest, shippingAddress: expect.objectContaining({ line1: '1 Rose Lane' }) })]);
    expect(data.links).toEqual([expect.objectContaining({ url: `${BASE}/r/${w.link.slug}` })]);
    expect(data.brands).toEqual([expect.objectContaining({ brandId: w.brand.brandId, tags: ['top tier', 'wave 2'] })]);
    // Nothing secret, nothing of the shopper's, nothing of another creator.
    const secrets = await env.DB.prepare('SELECT password_hash, payout_details_enc FROM creators WHERE id = ?').bind(w.creator.id).first<{ password_hash: string; payout_details_enc: string }>();
    for (const hidden of [secrets!.password_hash, secrets!.payout_details_enc, 'sarah.pays@wallet.example', 'shopper-ref-9', 'mateo', 'Mateo', w.other.id, 'label of another', PASSWORD]) expect(text).not.toContain(hidden);
  });

  it('limits downloads to a few an hour, before reading anything', async () => {
    for (let i = 1; i < EXPORTS_PER_HOUR; i++) expect((await (await get('/account/data.json', w.cookie)).text()).length).toBeGreaterThan(100);
    const refused = await get('/account/data.json', w.cookie);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('closes only with the password, from a form on Chorus itself', async () => {
    const page = await (await get('/account', w.cookie)).text();
    const owed = owedField(page);
    expect((await post('/account/close', { password: 'not my password', owed, giveUp: '1' }, { cookie: w.cookie })).status).toBe(401);
    expect((await post('/account/close', { password: PASSWORD, owed, giveUp: '1' }, { cookie: w.cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect((await post('/account/close', { password: PASSWORD, owed, giveUp: '1' }, { cookie: w.cookie, origin: null })).status).toBe(403);
    expect(await rowCount('SELECT count(*) AS n FROM creators WHERE id = ? AND erased_at IS NULL', w.creator.id)).toBe(1);
  });

  it('says what is owed, and gives it up only with the box ticked for the amounts shown', async () => {
    const page = await (await get('/account', w.cookie)).text();
    expect(page).toContain('You are still owed');
    // Kept opt-outs still block invitations to the address: the page does not promise a fresh invite.
    expect(page).toContain('invitations you stopped (from one brand or from all) stay stopped');
    expect(page).toContain('$20.00</strong> from Test Brand');
    const owed = owedField(page);
    expect(owed).toBe(`${w.brand.brandId}:USD:2000`);
    expect((await post('/account/close', { password: PASSWORD, owed }, { cookie: w.cookie })).status).toBe(422);
    expect((await post('/account/close', { password: PASSWORD, owed: `${w.brand.brandId}:USD:1000`, giveUp: '1' }, { cookie: w.cookie })).status).toBe(409);
    // Before closing, their link counts and their code works (both now cached in this isolate).
    const before = await visit(w.link.slug);
    expect(new URL(before.headers.get('location')!).searchParams.get('cid')).toBeTruthy();
    await waitFor(async () => ((await rowCount('SELECT count(*) AS n FROM clicks WHERE link_id = ?', w.link.id)) === 1 ? true : undefined));
    expect((await checkCode(w.code)).valid).toBe(true);
    const closed = await post('/account/close', { password: PASSWORD, owed, giveUp: '1' }, { cookie: w.cookie });
    expect(closed.status).toBe(303);
    expect(closed.headers.get('location')).toBe('/account-closed');
    expect((await get('/account-closed')).status).toBe(200);
  });

  it('leaves an anonymous account: no sign-in, links that send shoppers on uncounted, dead codes, the books intact, the brand told', async () => {
    const id = w.creator.id;
    const account = await env.DB.prepare('SELECT email, display_name, password_hash, payout_details_enc, shipping_address, erased_at FROM creators WHERE id = ?').bind(id).first();
    expect(account).toMatchObject({ email: erasedEmail(id), display_name: 'Closed account', password_hash: null, payout_details_enc: null, shipping_address: null });
    expect((await post('/login', { email: w.email, password: PASSWORD })).status).toBe(401);
    expect((await get('/account', w.cookie)).status).toBe(303);
    // The link still leads to its page, with no click id and no click; the code says invalid.
    const after = await visit(w.link.slug);
    expect([after.status, after.headers.get('location')]).toEqual([302, 'https://shop.example/glow']);
    await new Promise((r) => setTimeout(r, 150));
    expect(await rowCount('SELECT count(*) AS n FROM clicks WHERE link_id = ?', w.link.id)).toBe(1);
    expect(await checkCode(w.code)).toEqual({ valid: false });
    // The ledger keeps every row, plus what she gave up; the roster names nobody.
    const ledger = await env.DB.prepare('SELECT kind, amount_minor, note FROM ledger_entries WHERE creator_id = ? ORDER BY created_at, id').bind(id).all();
    expect(ledger.results).toEqual([
      expect.objectContaining({ kind: 'commission', amount_minor: 5_000 }),
      expect.objectContaining({ kind: 'commission', amount_minor: 2_000 }),
      expect.objectContaining({ kind: 'adjustment', amount_minor: -2_000, note: 'Given up by the creator when they closed their account.' }),
    ]);
    const roster = await env.DB.prepare('SELECT handle, display_name, email FROM brand_creators WHERE creator_id = ?').bind(id).first<{ handle: string; display_name: string; email: string }>();
    expect(roster).toMatchObject({ display_name: 'Closed account', email: erasedEmail(id) });
    expect(roster!.handle).toMatch(/^closed-[0-9a-f]{10}$/);
    // The paid month still adds up, under the anonymous name, with no account shown.
    const csv = parseCsv(await (await w.brand.api('GET', '/api/admin/payouts/export.csv?period=2025-01')).text());
    const [header, row, total] = csv.map((r) => r.cells);
    const col = (name: string) => header!.indexOf(name);
    expect([row![col('handle')], row![col('name')], row![col('payout_account')], row![col('net_amount')], row![col('status')]]).toEqual([roster!.handle, 'Closed account', '', '50.00', 'paid']);
    expect(total![col('net_amount')]).toBe('50.00');
    // Messages she wrote are gone, the brand's stay; her gift is declined and its address erased.
    const bodies = await env.DB.prepare('SELECT author_type, body FROM messages WHERE creator_id = ? ORDER BY created_at, id').bind(id).all<{ author_type: string; body: string }>();
    expect(bodies.results.map((m) => m.body)).toEqual(['(Deleted: the creator closed their account.)', 'Thanks Sarah!']);
    const gift = await env.DB.prepare('SELECT status, address FROM gift_requests WHERE id = ?').bind(w.giftRequest).first<{ status: string; address: string }>();
    expect(gift!.status).toBe('declined');
    expect(gift!.address).toBe(ADDRESS_REMOVED);
    const giftEvents = await env.DB.prepare("SELECT json_type(payload, '$.giftRequest.address') AS address FROM webhook_events WHERE creator_id = ? AND type = 'gift.requested'").bind(id).all<{ address: string }>();
    expect(giftEvents.results).toEqual([{ address: 'null' }]);
    expect(await rowCount("SELECT count(*) AS n FROM enrollments WHERE creator_id = ? AND (status <> 'removed' OR removed_at IS NOT NULL)", id)).toBe(0);
    expect(await rowCount('SELECT count(*) AS n FROM sessions WHERE subject_id = ?', id)).toBe(0);
    // The brand hears of it: the activity row without a name, and a creator.erased event to its endpoint.
    const event = await env.DB.prepare("SELECT payload FROM webhook_events WHERE brand_id = ? AND type = 'creator.erased'").bind(w.brand.brandId).first<{ payload: string }>();
    expect(JSON.parse(event!.payload)).toMatchObject({ creator: { id }, by: 'creator' });
    expect(await rowCount("SELECT count(*) AS n FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE e.brand_id = ? AND e.type = 'creator.erased'", w.brand.brandId)).toBe(1);
    // The request to extend her post's rights that waited for her is withdrawn, and the brand's systems hear of it.
    expect(await rowCount("SELECT count(*) AS n FROM rights_extensions WHERE brand_id = ? AND status = 'withdrawn'", w.brand.brandId)).toBe(1);
    const withdrawn = await env.DB.prepare("SELECT payload FROM webhook_events WHERE brand_id = ? AND type = 'rights_extension.withdrawn'").bind(w.brand.brandId).first<{ payload: string }>();
    expect(JSON.parse(withdrawn!.payload)).toMatchObject({ rightsExtension: { status: 'withdrawn', creator: { id } } });
    expect(withdrawn!.payload).not.toContain(w.handle);
    const activity = await json<{ data: { action: string; actor: unknown; details: unknown }[] }>(await w.brand.api('GET', '/api/admin/activity?limit=5'));
    const closedRow = activity.data.find((r) => r.action === 'creator.account_closed');
    expect(closedRow?.details).toEqual({ gaveUp: [{ currency: 'USD', amountMinor: 2_000 }] });
    expect(JSON.stringify(activity.data)).not.toContain('Sarah');
    // The brand cannot bring the account back, but may still pause the link its old posts use.
    expect((await w.brand.api('PATCH', `/api/admin/enrollments/${w.enrollment.id}`, { status: 'active' })).status).toBe(410);
    expect((await w.brand.api('PATCH', `/api/admin/links/${w.link.id}`, { status: 'paused' })).status).toBe(200);
    expect((await w.brand.api('PATCH', `/api/admin/links/${w.link.id}`, { status: 'active' })).status).toBe(200);
  });

  it('answers a second close with the signed-out page, and erases nothing twice', async () => {
    const again = await post('/account/close', { password: PASSWORD, owed: '' }, { cookie: w.cookie });
    expect(again.status).toBe(401);
    expect(await eraseCreator(env.DB, w.creator.id, { by: 'creator', owedSeen: '' }, Date.now())).toEqual({ erased: false, why: 'already_erased' });
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'creator.account_closed'", w.creator.id)).toBe(1);
  });
});

describe('a brand erasing a creator on request', () => {
  it("erases its own relationship with a creator it owes nothing, and the account with the last one; another brand's is a 404", async () => {
    const a = await createMoneyBrand();
    const b = await createMoneyBrand();
    const erase = (m: typeof a, id: string) => m.brand.api('POST', `/api/admin/creators/${id}/erase`, { confirm: true });
    expect((await erase(b, a.creator.id)).status).toBe(404);
    expect((await a.brand.api('POST', `/api/admin/creators/${a.creator.id}/erase`, { confirm: 'yes' })).status).toBe(422);
    // On another brand's roster too: this brand erases its own relationship, and answers as for any other.
    const added = await b.brand.api('POST', '/api/admin/creators', { email: `${a.handle}@creators.test`, handle: 'shared_one', displayName: 'Shared' });
    expect((await json<Data<{ erasedAt: string | null }>>(added)).data.erasedAt).toBeNull();
    expect((await a.brand.api('POST', '/api/admin/webhooks/endpoints', { url: 'http://127.0.0.1:9/hooks' })).status).toBe(201);
    expect((await signedPost(a.brand, a.ingestKey, '/v1/conversions', { orderId: 'shared-1', amountMinor: 10_000, currency: 'USD', occurredAt: new Date().toISOString(), code: a.code })).status).toBe(201);
    const owedByA = await erase(a, a.creator.id);
    expect([owedByA.status, (await json<{ error: { code: string } }>(owedByA)).error.code]).toEqual([409, 'creator_owed']);
    await insertLedgerEntry({ brandId: a.brand.brandId, enrollmentId: a.enrollment.id, creatorId: a.creator.id, amountMinor: -1_000, period: '2025-02', availableAt: Date.UTC(2025, 1, 1), kind: 'adjustment' });
    const shared = await erase(a, a.creator.id);
    expect(shared.status).toBe(200);
    // The roster says so: A's entry is flagged erased (listed, and answered to a second add of the address), B's is not.
    const { erasedAt } = (await json<Data<{ erasedAt: string }>>(shared)).data;
    type Listed = { id: string; handle: string; displayName: string; erasedAt: string | null };
    const listed = async (m: typeof a) => (await json<{ data: Listed[] }>(await m.brand.api('GET', '/api/admin/creators'))).data.find((c) => c.id === a.creator.id);
    expect(await listed(a)).toMatchObject({ handle: expect.stringMatching(/^closed-/), displayName: 'Closed account', erasedAt });
    const readded = await a.brand.api('POST', '/api/admin/creators', { email: `${a.handle}@creators.test`, handle: 'back_again', displayName: 'Back' });
    expect([readded.status, (await json<Data<Listed>>(readded)).data.erasedAt]).toEqual([200, erasedAt]);
    expect(await listed(b)).toMatchObject({ handle: 'shared_one', erasedAt: null });
    // Brand A's copy, enrollments, code and stored events forget them; the account, which brand B works with, stays.
    const events = await env.DB.prepare('SELECT payload FROM webhook_events WHERE brand_id = ? AND creator_id = ?').bind(a.brand.brandId, a.creator.id).all<{ payload: string }>();
    expect(events.results.length).toBeGreaterThan(1);
    expect(JSON.stringify(events.results)).not.toContain(a.handle);
    expect(await env.DB.prepare('SELECT email, display_name FROM roster WHERE brand_id = ? AND creator_id = ?').bind(a.brand.brandId, a.creator.id).first()).toEqual({ email: erasedEmail(a.creator.id), display_name: 'Closed account' });
    expect(await env.DB.prepare('SELECT email, erased_at FROM creators WHERE id = ?').bind(a.creator.id).first()).toEqual({ email: `${a.handle}@creators.test`, erased_at: null });
    expect(await checkCodeOf(a, a.code)).toEqual({ valid: false });
    expect((await a.brand.api('POST', `/api/admin/creators/${a.creator.id}/invite`)).status).toBe(410);
    expect((await signedPost(a.brand, a.ingestKey, '/v1/conversions', { orderId: 'shared-2', amountMinor: 10_000, currency: 'USD', occurredAt: new Date().toISOString(), code: a.code })).status).toBe(201);
    expect(await rowCount('SELECT coalesce(SUM(amount_minor), 0) AS n FROM ledger_entries WHERE creator_id = ?', a.creator.id)).toBe(0);
    // The last brand to erase them takes the account with it.
    expect((await erase(b, a.creator.id)).status).toBe(200);
    expect(await env.DB.prepare('SELECT email FROM creators WHERE id = ?').bind(a.creator.id).first('email')).toBe(erasedEmail(a.creator.id));
    // Owed money: paid first.
    await insertLedgerEntry({ brandId: b.brand.brandId, enrollmentId: b.enrollment.id, creatorId: b.creator.id, amountMinor: 700, period: '2025-02', availableAt: Date.UTC(2025, 1, 1) });
    const owed = await erase(b, b.creator.id);
    expect(owed.status).toBe(409);
    expect((await json<{ error: { code: string; details: unknown } }>(owed)).error).toMatchObject({ code: 'creator_owed', details: { owed: [{ currency: 'USD', amountMinor: 700 }] } });
    await insertLedgerEntry({ brandId: b.brand.brandId, enrollmentId: b.enrollment.id, creatorId: b.creator.id, amountMinor: -700, period: '2025-02', availableAt: Date.UTC(2025, 1, 2), kind: 'adjustment' });
    // Removed before the erasure: the link stays closed after it.
    expect((await b.brand.api('PATCH', `/api/admin/enrollments/${b.enrollment.id}`, { status: 'removed' })).status).toBe(200);
    const done = await erase(b, b.creator.id);
    expect(done.status).toBe(200);
    expect((await fetchWorker(`${BASE}/r/${b.link.slug}`, { redirect: 'manual' })).status).toBe(410);
    expect((await json<Data<{ id: string }>>(done)).data.id).toBe(b.creator.id);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'creator.erased' AND actor_type = 'api_key' AND target_id = ?", b.brand.brandId, b.creator.id)).toBe(1);
    expect(await checkCodeOf(b, b.code)).toEqual({ valid: false });
    const again = await erase(b, b.creator.id);
    expect([again.status, (await json<{ error: { code: string } }>(again)).error.code]).toEqual([410, 'creator_erased']);
    expect((await b.brand.api('POST', `/api/admin/creators/${b.creator.id}/password-reset`)).status).toBe(410);
  });
});

describe('money after a closed account', () => {
  it('pays nothing, gives nothing back and accrues nothing to it: an earlier month closed, a refund failing, a draft put live, an order with its code', async () => {
    const m = await createMoneyBrand({ paymentModel: 'hybrid' });
    const id = m.creator.id;
    const post = (path: string, body: unknown) => signedPost(m.brand, m.ingestKey, path, body);
    const at = new Date().toISOString();
    expect((await post('/v1/conversions', { orderId: 'gone-1', amountMinor: 10_000, currency: 'USD', occurredAt: at, code: m.code })).status).toBe(201);
    expect((await post('/v1/refunds', { refundId: 'gone-r1', orderId: 'gone-1', amountMinor: 5_000, currency: 'USD', occurredAt: at })).status).toBe(201);
    // Payable in an earlier month, and a draft approved, before she closes and gives it all up.
    await insertLedgerEntry({ brandId: m.brand.brandId, enrollmentId: m.enrollment.id, creatorId: id, amountMinor: 3_000, period: '2025-03', availableAt: Date.UTC(2025, 2, 10) });
    const draft = newId('sub');
    await env.DB.prepare(
      "INSERT INTO submissions (id, brand_id, enrollment_id, story_format, draft_url, caption, status, compliance, created_at, updated_at) VALUES (?, ?, ?, 'day_in_the_life', 'https://drive.example/d', '#Glow #ad', 'approved', '{}', ?, ?)",
    )
      .bind(draft, m.brand.brandId, m.enrollment.id, Date.now(), Date.now())
      .run();
    // Two payouts not paid: one pending, one that failed already (its reason stays).
    const payout = (period: string, status: string, reference: string | null, reason: string | null) =>
      env.DB.prepare("INSERT INTO payouts (id, brand_id, creator_id, period, currency, amount_minor, status, reference, failure_reason, created_at) VALUES ('po_' || lower(hex(randomblob(12))), ?, ?, ?, 'USD', 1000, ?, ?, ?, ?) RETURNING id")
        .bind(m.brand.brandId, id, period, status, reference, reason, Date.now())
        .first<string>('id');
    const [pending, failed] = [await payout('2025-01', 'pending', null, null), await payout('2025-02', 'failed', 'WISE-9', 'Recipient account closed')];
    expect((await eraseCreator(env.DB, id, { by: 'creator', owedSeen: owedKey(await owedTo(env.DB, id)) }, Date.now())).erased).toBe(true);
    const owedNow = () => rowCount('SELECT coalesce(SUM(amount_minor), 0) AS n FROM ledger_entries WHERE creator_id = ?', id);
    expect(await owedNow()).toBe(0);
    expect((await m.brand.api('POST', '/api/admin/payouts/close', { period: '2025-03' })).status).toBe(201);
    expect(await rowCount("SELECT count(*) AS n FROM payouts WHERE creator_id = ? AND period = '2025-03'", id)).toBe(0);
    expect((await post('/v1/refunds/failures', { refundId: 'gone-r1', occurredAt: new Date(Date.now() + 1_000).toISOString() })).status).toBeLessThan(300);
    const live = await m.brand.api('POST', `/api/admin/submissions/${draft}/mark-live`, { postUrl: 'https://social.example/p/gone' });
    expect([live.status, (await json<{ error: { code: string } }>(live)).error.code]).toEqual([410, 'creator_erased']);
    expect((await post('/v1/conversions', { orderId: 'gone-2', amountMinor: 10_000, currency: 'USD', occurredAt: new Date().toISOString(), code: m.code })).status).toBe(201);
    expect(await owedNow()).toBe(0);
    expect(await rowCount('SELECT count(*) AS n FROM ledger_entries WHERE creator_id = ?', id)).toBe(4);
    // Both given up: failed, the earlier reason kept, an activity row each, and never to be marked paid.
    const payouts = await env.DB.prepare('SELECT id, status, failure_reason, given_up_at IS NOT NULL AS given_up FROM payouts WHERE creator_id = ? ORDER BY period').bind(id).all();
    expect(payouts.results).toEqual([
      { id: pending, status: 'failed', failure_reason: GAVE_UP_PAYOUT, given_up: 1 },
      { id: failed, status: 'failed', failure_reason: 'Recipient account closed', given_up: 1 },
    ]);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'payout.given_up' AND actor_type = 'creator' AND target_id IN (?, ?)", m.brand.brandId, pending, failed)).toBe(2);
    const paid = await m.brand.api('POST', `/api/admin/payouts/${failed}/mark`, { status: 'paid', reference: 'WISE-10' });
    expect([paid.status, (await json<{ error: { code: string } }>(paid)).error.code]).toEqual([409, 'payout_given_up']);
    const res = await m.brand.api('POST', '/api/admin/payouts/reconcile', { csv: `payout_id,reference,status\n${pending},WISE-11,paid\n` });
    const file = await json<Data<{ results: { outcome: string }[] }>>(res);
    expect(file.data.results.map((r) => r.outcome)).toEqual(['given_up']);
    const finance = await signIn((await adminUser(m.brand.brandId, 'finance')).email);
    const marked = await postForm(`/console/payouts/${pending}/mark`, { period: '2025-01', reference: 'WISE-12', status: 'paid' }, { cookie: finance });
    expect([marked.status, await marked.text()]).toEqual([409, expect.stringContaining('gave up this payout')]);
    expect(await rowCount("SELECT count(*) AS n FROM payouts WHERE creator_id = ? AND status = 'paid'", id)).toBe(0);
    // Mail to the placeholder address is dropped, not queued.
    const queued: unknown[] = [];
    const recording = { sendBatch: async (batch: unknown[]) => void queued.push(...batch) } as unknown as Queue;
    expect(await queueNotices({ ...(env as Env), MAIL: recording }, [{ to: erasedEmail(id), subject: 'Payout', text: 'x' }], 'payout_notice_failed')).toBe(0);
    expect(queued).toEqual([]);
  });
});

async function checkCodeOf(m: Awaited<ReturnType<typeof createMoneyBrand>>, code: string) {
  const key = await issueKey(m.brand, 'storefront');
  return json<{ valid: boolean }>(await fetchWorker(`${BASE}/v1/codes/${code}`, { headers: { authorization: `Bearer ${key}`, 'cf-connecting-ip': '203.0.113.10' } }));
}
