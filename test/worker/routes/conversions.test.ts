import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import shopifyOrderRaw from '../../fixtures/shopify-orders-create.json?raw';
import signatures from '../../fixtures/signatures.json';
import { conversionListQuery } from '../../../worker/db/conversion-list';
import { encodeCursor } from '../../../worker/lib/cursor';
import { parseCsv } from '../../../worker/lib/csv';
import { signShopify } from '../../../worker/lib/signatures';
import { recordConversion, recordSubscriptionReferral } from '../../../worker/db/conversions';
import { BASE, createLinkedCreator, createMoneyBrand, d1With, json, signedPost, storeRawClick } from '../fixtures';

type Order = {
  id: string;
  orderId: string;
  amountMinor: number;
  occurredAt: string;
  source: string;
  attribution: string;
  code: string | null;
  clickId: string | null;
  awaitingClick: boolean;
  customerRef: string | null;
  creator: { handle: string } | null;
  enrollmentId: string | null;
  campaign: { id: string; name: string } | null;
  commission: { amountMinor: number; rateBps: number | null; tier: number | null; availableAt: string; status: string } | null;
  bonusMinor: number;
  refundedMinor: number;
  reversedMinor: number;
};
type Page = { data: Order[]; hasMore: boolean; nextCursor: string | null };
type ErrorBody = { error: { code: string; details?: { issues?: { path: string }[] } } };

let n = 0;
const orderId = (tag: string) => `ord-${tag}-${Date.now()}-${n++}`;
const HOUR = 3_600_000;
const at = (hoursAgo: number) => new Date(Date.now() - hoursAgo * HOUR).toISOString();

async function record(m: Awaited<ReturnType<typeof createMoneyBrand>>, body: Record<string, unknown>) {
  const res = await signedPost(m.brand, m.ingestKey, '/v1/conversions', { amountMinor: 10_000, currency: 'USD', occurredAt: at(1), ...body });
  expect(res.status).toBe(201);
}

const list = async (m: Awaited<ReturnType<typeof createMoneyBrand>>, query: Record<string, string> = {}) => {
  const res = await m.brand.api('GET', `/api/admin/conversions?${new URLSearchParams(query)}`);
  expect(res.status).toBe(200);
  return json<Page>(res);
};

describe('a capped code', () => {
  it("gives its last use to one of two orders at once: the other, decided again, credits nobody through it", async () => {
    const m = await createMoneyBrand();
    await env.DB.prepare('UPDATE discount_codes SET max_redemptions = 1 WHERE brand_id = ?').bind(m.brand.brandId).run();
    const brand = { id: m.brand.brandId, timezone: 'UTC', currency: 'USD' };
    const order = (orderId: string) => ({ orderId, amountMinor: 10_000, currency: 'USD', occurredAt: Date.now(), code: m.code, clickId: null, customerRef: null });
    // The first order's write waits until a second order has taken the code's one use: what two stores'
    // calls at the same moment meet when both read the code before either writes.
    let batches = 0;
    const crossed = d1With({
      batch: async (statements: D1PreparedStatement[]) => {
        if (++batches === 2) await recordConversion(env.DB, brand, order('cap-second'), 'api');
        return env.DB.batch(statements);
      },
    });
    const first = await recordConversion(crossed, brand, order('cap-first'), 'api');
    expect(first.created).toBe(true);
    expect(first.data).toMatchObject({ orderId: 'cap-first', attribution: 'none', creator: null, commission: null });
    const rows = await env.DB.prepare("SELECT external_order_id AS id, attribution FROM conversions WHERE brand_id = ? ORDER BY external_order_id").bind(m.brand.brandId).all();
    expect(rows.results).toEqual([
      { id: 'cap-first', attribution: 'none' },
      { id: 'cap-second', attribution: 'code' },
    ]);
    expect(await env.DB.prepare('SELECT redemptions FROM discount_codes WHERE brand_id = ?').bind(m.brand.brandId).first<number>('redemptions')).toBe(1);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM ledger_entries WHERE brand_id = ? AND kind = 'commission'").bind(m.brand.brandId).first<number>('n')).toBe(1);
  });

  it('gives its last use to an order rather than to a free trial that started at the same moment', async () => {
    const m = await createMoneyBrand();
    await env.DB.prepare('UPDATE discount_codes SET max_redemptions = 1 WHERE brand_id = ?').bind(m.brand.brandId).run();
    const brand = { id: m.brand.brandId, timezone: 'UTC', currency: 'USD' };
    let batches = 0;
    const crossed = d1With({
      batch: async (statements: D1PreparedStatement[]) => {
        if (++batches === 2) await recordConversion(env.DB, brand, { orderId: 'cap-order', amountMinor: 10_000, currency: 'USD', occurredAt: Date.now(), code: m.code, clickId: null, customerRef: null }, 'api');
        return env.DB.batch(statements);
      },
    });
    // Decided again once the order has the use: nobody else brought the trial, so nothing is recorded.
    expect(await recordSubscriptionReferral(crossed, brand, 'sub_cap_trial', { code: m.code, clickId: null, occurredAt: Date.now() })).toBe(false);
    expect(await env.DB.prepare('SELECT count(*) AS n FROM subscription_referrals WHERE brand_id = ?').bind(m.brand.brandId).first<number>('n')).toBe(0);
    expect(await env.DB.prepare('SELECT redemptions FROM discount_codes WHERE brand_id = ?').bind(m.brand.brandId).first<number>('redemptions')).toBe(1);
  });
});

describe('GET /api/admin/conversions', () => {
  it('shows each order as recorded: what the store sent, the attribution, the commission and what refunds took back', async () => {
    const m = await createMoneyBrand();
    const clickId = 'clk_list_0123456789abcdef';
    await storeRawClick({ id: clickId, brandId: m.brand.brandId, linkId: m.link.id, at: Date.now() - 3 * HOUR });
    const byCode = orderId('code');
    const byClick = orderId('click');
    const unknownCode = orderId('unknown');
    const waiting = orderId('waiting');
    await record(m, { orderId: byCode, code: m.code.toLowerCase(), customerRef: 'cust-1', occurredAt: at(4) });
    await record(m, { orderId: byClick, clickId, amountMinor: 20_000, occurredAt: at(3) });
    await record(m, { orderId: unknownCode, code: 'NOSUCHCODE', occurredAt: at(2) });
    await record(m, { orderId: waiting, clickId: 'clk_not_stored_yet_0123456', occurredAt: at(1) });
    const refund = await signedPost(m.brand, m.ingestKey, '/v1/refunds', { refundId: `rf-${byCode}`, orderId: byCode, amountMinor: 2_500, currency: 'USD', occurredAt: new Date().toISOString() });
    expect(refund.status).toBe(201);

    const page = await list(m);
    expect(page.hasMore).toBe(false);
    expect(page.nextCursor).toBeNull();
    expect(page.data.map((o) => o.orderId)).toEqual([waiting, unknownCode, byClick, byCode]);
    const [w, u, k, c] = page.data as [Order, Order, Order, Order];

    expect(c).toMatchObject({
      amountMinor: 10_000,
      source: 'api',
      attribution: 'code',
      code: m.code.toLowerCase(),
      clickId: null,
      awaitingClick: false,
      customerRef: 'cust-1',
      creator: { handle: m.handle },
      enrollmentId: m.enrollment.id,
      campaign: { id: m.campaign.id, name: 'Glow' },
      commission: { amountMinor: 1_000, rateBps: 1000, tier: 1, status: 'holding' },
      refundedMinor: 2_500,
      reversedMinor: 250,
    });
    expect(k).toMatchObject({ attribution: 'click', clickId, creator: { handle: m.handle }, commission: { amountMinor: 2_000 }, refundedMinor: 0, reversedMinor: 0 });
    expect(u).toMatchObject({ attribution: 'none', code: 'NOSUCHCODE', creator: null, campaign: null, enrollmentId: null, commission: null, awaitingClick: false });
    expect(w).toMatchObject({ attribution: 'none', clickId: 'clk_not_stored_yet_0123456', awaitingClick: true, commission: null });
  });

  it('tells holding, payable, in-payout and paid commission apart', async () => {
    const m = await createMoneyBrand();
    const id = orderId('status');
    await record(m, { orderId: id, code: m.code });
    const status = async () => (await list(m, { orderId: id })).data[0]!.commission!.status;
    expect(await status()).toBe('holding');
    await env.DB.prepare("UPDATE ledger_entries SET available_at = ? WHERE brand_id = ? AND kind = 'commission'").bind(Date.now() - 1, m.brand.brandId).run();
    expect(await status()).toBe('available');
    const period = new Date().toISOString().slice(0, 7);
    await env.DB.batch([
      env.DB.prepare("INSERT INTO payouts (id, brand_id, creator_id, period, currency, amount_minor, status, created_at) VALUES (?, ?, ?, ?, 'USD', 1000, 'pending', ?)").bind(`po_${m.handle}`, m.brand.brandId, m.creator.id, period, Date.now()),
      env.DB.prepare("UPDATE ledger_entries SET payout_id = ? WHERE brand_id = ? AND kind = 'commission'").bind(`po_${m.handle}`, m.brand.brandId),
    ]);
    expect(await status()).toBe('in_payout');
    await env.DB.prepare("UPDATE payouts SET status = 'failed' WHERE id = ?").bind(`po_${m.handle}`).run();
    expect(await status()).toBe('in_payout');
    await env.DB.prepare("UPDATE payouts SET status = 'paid' WHERE id = ?").bind(`po_${m.handle}`).run();
    expect(await status()).toBe('paid');
  });

  it('pages newest first without repeating or skipping an order, ties on the same instant included', async () => {
    const m = await createMoneyBrand();
    const sameInstant = at(5);
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const id = orderId(`p${i}`);
      ids.push(id);
      await record(m, { orderId: id, occurredAt: i < 3 ? sameInstant : at(4 - i * 0.1) });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Page = await list(m, { limit: '2', ...(cursor ? { cursor } : {}) });
      pages++;
      expect(page.data.length).toBeLessThanOrEqual(2);
      expect(page.hasMore).toBe(page.nextCursor !== null);
      seen.push(...page.data.map((o) => o.orderId));
      cursor = page.nextCursor;
      // An order recorded between pages lands on the first page, not in the middle of this walk.
      if (pages === 1) await record(m, { orderId: orderId('late'), occurredAt: at(0.5) });
    } while (cursor);
    expect(pages).toBe(4);
    expect(seen.length).toBe(7);
    expect(new Set(seen)).toEqual(new Set(ids));
    const times = await list(m, { limit: '50' });
    expect(times.data.map((o) => o.occurredAt)).toEqual([...times.data.map((o) => o.occurredAt)].sort().reverse());
  });

  it('filters by attribution, order id, time and the brand objects, and matches nothing of another brand', async () => {
    const m = await createMoneyBrand();
    const other = await createMoneyBrand();
    const coded = orderId('coded');
    const plain = orderId('plain');
    await record(m, { orderId: coded, code: m.code, occurredAt: at(10) });
    await record(m, { orderId: plain, occurredAt: at(2) });
    await record(other, { orderId: orderId('theirs'), code: other.code });

    expect((await list(m, { attribution: 'code' })).data.map((o) => o.orderId)).toEqual([coded]);
    expect((await list(m, { attribution: 'none' })).data.map((o) => o.orderId)).toEqual([plain]);
    expect((await list(m, { orderId: plain })).data.map((o) => o.orderId)).toEqual([plain]);
    expect((await list(m, { from: at(5) })).data.map((o) => o.orderId)).toEqual([plain]);
    expect((await list(m, { to: at(5) })).data.map((o) => o.orderId)).toEqual([coded]);
    for (const q of [{ campaignId: m.campaign.id }, { enrollmentId: m.enrollment.id }, { creatorId: m.creator.id }] as Record<string, string>[]) {
      expect((await list(m, q)).data.map((o) => o.orderId)).toEqual([coded]);
    }
    for (const q of [{ campaignId: other.campaign.id }, { enrollmentId: other.enrollment.id }, { creatorId: other.creator.id }] as Record<string, string>[]) {
      expect((await list(m, q)).data).toEqual([]);
    }
    expect((await list(m)).data.every((o) => o.orderId !== undefined && !o.orderId.startsWith('ord-theirs'))).toBe(true);
    // Another brand's position in a forged cursor reads only this brand's orders.
    const theirs = (await list(other)).data[0]!;
    const forged = encodeCursor({ at: Date.parse(theirs.occurredAt) + 1, id: theirs.id });
    expect((await list(m, { cursor: forged })).data.every((o) => !o.orderId.startsWith('ord-theirs'))).toBe(true);
  });

  it('refuses a bad query with 422 validation_failed, naming the field', async () => {
    const m = await createMoneyBrand();
    const cases: [string, string][] = [
      ['cursor=not-a-cursor!', 'cursor'],
      [`cursor=${btoa('12.ab.cd')}`, 'cursor'],
      [`cursor=${btoa('-1.cv_x')}`, 'cursor'],
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['limit=ten', 'limit'],
      ['attribution=coupon', 'attribution'],
      ['from=yesterday', 'from'],
      ['from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'to'],
      ['orderId=has%01control', 'orderId'],
      [`orderId=${'x'.repeat(129)}`, 'orderId'],
      ['campaignId=../x', 'campaignId'],
      ['status=paid', ''],
    ];
    for (const [q, field] of cases) {
      const res = await m.brand.api('GET', `/api/admin/conversions?${q}`);
      expect(res.status, q).toBe(422);
      const body = await json<ErrorBody>(res);
      expect(body.error.code, q).toBe('validation_failed');
      if (field) expect(body.error.details?.issues?.map((i) => i.path), q).toContain(field);
    }
  });

  it('walks the brand index in time order for every filter, never the whole table', async () => {
    const filters = [{}, { after: { at: Date.now(), id: 'cv_x' } }, { campaignId: 'c', attribution: 'code' as const }, { from: 1, to: Date.now() }, { orderId: 'o' }, { enrollmentId: 'e' }, { creatorId: 'c' }];
    for (const f of filters) {
      const { sql, params } = conversionListQuery('b', f, 51);
      const plan = (await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params).all<{ detail: string }>()).results.map((r) => r.detail).join('\n');
      expect(plan, JSON.stringify(f)).toMatch(/SEARCH cv USING INDEX (conversions_brand_at|conversions_brand_order|conversions_enrollment_at)/);
      // A page past the first starts its index range at the cursor instead of reading every newer order.
      if ('after' in f) expect(plan).toMatch(/conversions_brand_at \(brand_id=\? AND occurred_at<\?\)/);
      expect(plan, JSON.stringify(f)).not.toMatch(/SCAN cv\b/);
    }
  });

  it('refuses a key without the admin scope', async () => {
    const m = await createMoneyBrand();
    const res = await m.brand.api('GET', '/api/admin/conversions', undefined, { authorization: `Bearer ${m.ingestKey}` });
    expect(res.status).toBe(403);
  });
});

// `count` orders straight into D1, one second apart, ids in time order: enough rows to see what a page reads.
async function bulkOrders(brandId: string, count: number, base: number) {
  const statements = [];
  for (let i = 0; i < count; i++) {
    statements.push(
      env.DB.prepare(
        "INSERT INTO conversions (id, brand_id, external_order_id, amount_minor, currency, occurred_at, attribution, source, payload_hash, created_at) VALUES (?, ?, ?, 100, 'USD', ?, 'none', 'api', 'h', ?)",
      ).bind(`cv_bulk${brandId.slice(-6)}${String(i).padStart(6, '0')}`, brandId, `bulk-${brandId}-${i}`, base + i * 1000, Date.now()),
    );
  }
  for (let i = 0; i < statements.length; i += 500) await env.DB.batch(statements.slice(i, i + 500));
}

const rowsRead = async (brandId: string, f: Parameters<typeof conversionListQuery>[1]) => {
  const { sql, params } = conversionListQuery(brandId, f, 51);
  const r = await env.DB.prepare(sql).bind(...params).all();
  return { rows: r.results.length, read: r.meta.rows_read };
};

describe('GET /api/admin/conversions: what a page reads', () => {
  it('reads about as much for a deep page, or a filtered one, as for the first page', async () => {
    const m = await createMoneyBrand();
    const base = Date.now() - 1000 * HOUR;
    await bulkOrders(m.brand.brandId, 3000, base);
    const first = await rowsRead(m.brand.brandId, {});
    // After the 2,900th newest order: the second-to-last page.
    const deep = await rowsRead(m.brand.brandId, { after: { at: base + 100 * 1000, id: `cv_bulk${m.brand.brandId.slice(-6)}000100` } });
    expect(deep.rows).toBe(51);
    expect(deep.read).toBeLessThan(first.read * 3);
    await record(m, { orderId: orderId('mine'), code: m.code, occurredAt: new Date(base - 1000 * HOUR).toISOString() });
    const r = await rowsRead(m.brand.brandId, { enrollmentId: m.enrollment.id });
    expect(r.rows).toBe(1);
    expect(r.read).toBeLessThan(100);
  });
});

describe('GET /api/admin/conversions: what the stores sent', () => {
  it('says an order waits for its click only while a stored click can still credit it', async () => {
    const m = await createMoneyBrand();
    const botClick = `botclick_${m.handle}`.padEnd(22, 'x').slice(0, 64);
    await env.DB.prepare("INSERT INTO clicks (id, brand_id, link_id, at, device, identity_hash, is_bot, is_duplicate) VALUES (?, ?, ?, ?, 'bot', 'raw', 1, 0)")
      .bind(botClick, m.brand.brandId, m.link.id, Date.now() - HOUR)
      .run();
    // A stored click of a campaign that ended before the order was placed can never credit it.
    const ended = await createLinkedCreator(m.brand);
    const endedClick = `endedclk_${m.handle}`.padEnd(22, 'e').slice(0, 64);
    await storeRawClick({ id: endedClick, brandId: m.brand.brandId, linkId: ended.link.id, at: Date.now() - 2 * HOUR });
    await env.DB.prepare('UPDATE campaigns SET ends_at = ? WHERE id = ?').bind(Date.now() - HOUR, ended.campaign.id).run();
    const cases = { malformed: 'not a click id!', empty: '', bot: botClick, retired: `retired_${m.handle}`.padEnd(20, 'y'), waiting: `waiting_${m.handle}`.padEnd(20, 'z'), afterEnd: endedClick };
    const ids: Record<string, string> = {};
    for (const [name, clickId] of Object.entries(cases)) {
      ids[name] = orderId(name);
      await record(m, { orderId: ids[name], clickId });
    }
    await env.DB.prepare('UPDATE conversions SET click_look_at = ? WHERE brand_id = ? AND external_order_id = ?').bind(Number.MAX_SAFE_INTEGER, m.brand.brandId, ids.retired).run();
    const byOrder = new Map((await list(m)).data.map((o) => [o.orderId, o.awaitingClick]));
    expect(Object.fromEntries(Object.keys(cases).map((name) => [name, byOrder.get(ids[name]!)]))).toEqual({ malformed: false, empty: false, bot: false, retired: false, waiting: true, afterEnd: false });
  });

  it('finds an order a Shopify webhook recorded by its id, whatever characters the shop used', async () => {
    const m = await createMoneyBrand();
    const shop = `orders-${m.handle.replace(/_/g, '-')}.myshopify.com`;
    expect((await m.brand.api('POST', '/api/admin/integrations', { provider: 'shopify', externalAccount: shop, secret: signatures.shopifySecret })).status).toBe(201);
    const id = `#${Date.now()} Größe`;
    const raw = JSON.stringify({ ...JSON.parse(shopifyOrderRaw), id, created_at: new Date().toISOString(), discount_codes: [] });
    const res = await SELF.fetch(`${BASE}/v1/webhooks/shopify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-shopify-shop-domain': shop, 'x-shopify-topic': 'orders/create', 'x-shopify-hmac-sha256': await signShopify(signatures.shopifySecret, raw) },
      body: raw,
    });
    expect(res.status).toBe(200);
    expect((await list(m, { orderId: id })).data.map((o) => o.orderId)).toEqual([id]);
  });
});

describe('GET /api/admin/conversions/export.csv', () => {
  it('streams every matching order with decimals, formulas neutralised, past one page of the stream', async () => {
    const m = await createMoneyBrand();
    await bulkOrders(m.brand.brandId, 1_203, Date.now() - 2000 * HOUR);
    const coded = orderId('csv');
    await record(m, { orderId: coded, code: m.code, amountMinor: 12_345, customerRef: '=HYPERLINK("https://evil.example")' });
    await record(m, { orderId: orderId('formula'), code: '@SUM(A1)', amountMinor: 500 });
    const refund = await signedPost(m.brand, m.ingestKey, '/v1/refunds', { refundId: `rf-${coded}`, orderId: coded, amountMinor: 2_345, currency: 'USD', occurredAt: new Date().toISOString() });
    expect(refund.status).toBe(201);

    const res = await m.brand.api('GET', '/api/admin/conversions/export.csv');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(new RegExp(`^attachment; filename="chorus-orders-${m.brand.slug}-\\d{4}-\\d{2}-\\d{2}\\.csv"$`));
    const [header, ...rows] = parseCsv(await res.text(), 5_000).map((r) => r.cells);
    expect(header).toEqual(['order_id', 'occurred_at', 'recorded_at', 'source', 'currency', 'amount', 'attribution', 'code_sent', 'click_id_sent', 'awaiting_click', 'creator_handle', 'campaign', 'commission', 'rate_percent', 'tier', 'commission_status', 'payable_from', 'bonus', 'refunded', 'reversed', 'customer_ref', 'renewal_of', 'self_purchase', 'declined', 'returning_customer_of']);
    expect(rows).toHaveLength(1_205);
    expect(new Set(rows.map((r) => r[0])).size).toBe(1_205);
    const row = Object.fromEntries(header!.map((h, i) => [h, rows.find((r) => r[0] === coded)![i]]));
    expect(row).toMatchObject({ amount: '123.45', attribution: 'code', code_sent: m.code, creator_handle: m.handle, campaign: 'Glow', commission: '12.34', rate_percent: '10.00', tier: '1', commission_status: 'holding', refunded: '23.45', reversed: '2.34', awaiting_click: 'no', renewal_of: '', self_purchase: 'no' });
    expect(row.customer_ref).toBe(`'=HYPERLINK("https://evil.example")`);
    expect(rows.find((r) => r[7] === "'@SUM(A1)")).toBeDefined();

    const filtered = parseCsv(await (await m.brand.api('GET', '/api/admin/conversions/export.csv?attribution=code')).text()).slice(1);
    expect(filtered.map((r) => r.cells[0])).toEqual([coded]);
    const bad = await m.brand.api('GET', '/api/admin/conversions/export.csv?limit=5');
    expect(bad.status).toBe(422);
  });
});
