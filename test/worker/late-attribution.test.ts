// An order can name a click the queue has not written yet (the shopper paid within seconds, or the queue
// is backed up). It is stored unattributed with the click id it named; when the click consumer writes that
// click, the order is credited as ingestion would have credited it with the click present.
import { createExecutionContext, createMessageBatch, env, getQueueResult, SELF, waitOnExecutionContext } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { writeClicks } from '../../worker/db/clicks';
import { LATE_CLICK_SQL, recordConversion } from '../../worker/db/conversions';
import type { ClickMessage } from '../../worker/domain/clicks';
import type { Env } from '../../worker/env';
import worker from '../../worker/index';
import migration0006 from '../../migrations/0006_orders_awaiting_click.sql?raw';
import { BASE, clickMessage, createMoneyBrand, d1With, json, rowCount, runCron, signedPost, storeRawClick, waitFor } from './fixtures';

const DAY = 86_400_000;
const MINUTE = 60_000;

type ConversionData = { data: { id: string; attribution: string; creator: { handle: string } | null; commission: { amountMinor: number; rateBps: number; tier: number } | null } };
type MoneyBrand = Awaited<ReturnType<typeof createMoneyBrand>>;

let seq = 0;
const order = (overrides: Record<string, unknown> = {}) => ({ orderId: `late-${Date.now()}-${seq++}`, amountMinor: 10_000, currency: 'USD', occurredAt: new Date().toISOString(), ...overrides });

function clickOf(m: MoneyBrand, overrides: Partial<ClickMessage> = {}): ClickMessage {
  return clickMessage({ brandId: m.brand.brandId, linkId: m.link.id, at: Date.now() - MINUTE, identityHash: `v-${seq++}`, ...overrides });
}

// The click consumer, as the queue runs it.
async function deliver(clicks: ClickMessage[], overrides: Partial<Env> = {}) {
  const batch = createMessageBatch<ClickMessage[]>('chorus-clicks', [{ id: `msg-${seq++}`, timestamp: new Date(), attempts: 1, body: clicks }]);
  const ctx = createExecutionContext();
  await worker.queue(batch, { ...env, ...overrides } as Env, ctx);
  return getQueueResult(batch, ctx);
}

const conversionRow = (id: string) =>
  env.DB.prepare('SELECT attribution, enrollment_id, click_id_raw, click_id FROM conversions WHERE id = ?').bind(id).first<{ attribution: string; enrollment_id: string | null; click_id_raw: string | null; click_id: string | null }>();
const ledger = async (conversionId: string) =>
  (await env.DB.prepare('SELECT kind, amount_minor, rate_bps FROM ledger_entries WHERE conversion_id = ? ORDER BY created_at, kind').bind(conversionId).all<{ kind: string; amount_minor: number; rate_bps: number }>()).results;

async function record(m: MoneyBrand, body: Record<string, unknown>): Promise<ConversionData['data']> {
  const res = await signedPost(m.brand, m.ingestKey, '/v1/conversions', body);
  expect(res.status).toBe(201);
  return (await json<ConversionData>(res)).data;
}

async function refundOf(m: MoneyBrand, orderId: string, amountMinor: number, tag: string) {
  const res = await signedPost(m.brand, m.ingestKey, '/v1/refunds', { refundId: `${orderId}-${tag}`, orderId, amountMinor, currency: 'USD', occurredAt: new Date().toISOString() });
  expect(res.status).toBe(201);
}

// The real D1 whose n-th batch first runs `between` (another writer getting in between two batches).
function steppingIn(n: number, between: () => Promise<unknown>): D1Database {
  let batches = 0;
  return d1With({
    batch: async (statements: D1PreparedStatement[]) => {
      if (++batches === n) await between();
      return env.DB.batch(statements);
    },
  });
}

const endpoints: string[] = [];
afterEach(async () => {
  // Nothing listens; the real queue's deliveries end as failed without a network call.
  await env.DB.prepare('UPDATE webhook_endpoints SET enabled = 0 WHERE id IN (SELECT value FROM json_each(?))').bind(JSON.stringify(endpoints.splice(0))).run();
});

describe('an order whose click lands after it', () => {
  it('is credited when the click is written, priced once, and a redelivered batch changes nothing', async () => {
    const m = await createMoneyBrand();
    const click = clickOf(m);
    const body = order({ clickId: click.id });
    const first = await record(m, body);
    expect(first).toMatchObject({ attribution: 'none', creator: null, commission: null });

    expect(await deliver([click])).toMatchObject({ explicitAcks: [], retryBatch: { retry: false } });
    expect(await conversionRow(first.id)).toEqual({ attribution: 'click', enrollment_id: m.enrollment.id, click_id_raw: click.id, click_id: click.id });
    expect(await ledger(first.id)).toEqual([{ kind: 'commission', amount_minor: 1_000, rate_bps: 1_000 }]);

    await deliver([click]);
    expect(await ledger(first.id)).toHaveLength(1);
    // The store's retry of the order now reads the credited conversion.
    const replay = await signedPost(m.brand, m.ingestKey, '/v1/conversions', body);
    expect(replay.status).toBe(200);
    expect((await json<ConversionData>(replay)).data).toMatchObject({ attribution: 'click', creator: { handle: m.handle }, commission: { amountMinor: 1_000, tier: 1 } });
  });

  it('credits a shopper who pays the moment they land, through the real redirect and queue', async () => {
    const m = await createMoneyBrand();
    const res = await SELF.fetch(`${BASE}/r/${m.link.slug}`, { headers: { 'user-agent': 'Mozilla/5.0 (iPhone) Mobile', 'cf-connecting-ip': '198.51.100.77' }, redirect: 'manual' });
    expect(res.status).toBe(302);
    const cid = new URL(res.headers.get('location')!).searchParams.get('cid')!;
    // The queue hands clicks over in batches of up to a second: the order is here first.
    const first = await record(m, order({ clickId: cid }));
    const credited = await waitFor(async () => ((await conversionRow(first.id))?.attribution === 'click' ? conversionRow(first.id) : null));
    expect(credited).toMatchObject({ enrollment_id: m.enrollment.id, click_id: cid });
    expect(await ledger(first.id)).toEqual([{ kind: 'commission', amount_minor: 1_000, rate_bps: 1_000 }]);
  });

  it('keeps the window and bot rules: an old click is recorded but not credited, a bot click is not evidence', async () => {
    const m = await createMoneyBrand();
    const old = clickOf(m, { at: Date.now() - 31 * DAY });
    const bot = clickOf(m, { isBot: true });
    const late = await record(m, order({ clickId: old.id }));
    const byBot = await record(m, order({ clickId: bot.id }));
    await deliver([old, bot]);
    expect(await conversionRow(late.id)).toEqual({ attribution: 'none', enrollment_id: null, click_id_raw: old.id, click_id: old.id });
    expect(await conversionRow(byBot.id)).toEqual({ attribution: 'none', enrollment_id: null, click_id_raw: bot.id, click_id: null });
    expect(await rowCount('SELECT count(*) AS n FROM ledger_entries WHERE brand_id = ?', m.brand.brandId)).toBe(0);
  });

  it("keeps the campaign's end: a waiting order placed before the brand ended it is credited, one placed after is not", async () => {
    const m = await createMoneyBrand();
    const click = clickOf(m, { at: Date.now() - 20 * MINUTE });
    const before = await record(m, order({ clickId: click.id, occurredAt: new Date(Date.now() - 10 * MINUTE).toISOString() }));
    expect((await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { status: 'ended' })).status).toBe(200);
    const after = await record(m, order({ clickId: click.id }));
    await deliver([click]);
    expect(await conversionRow(before.id)).toMatchObject({ attribution: 'click', click_id: click.id });
    expect(await conversionRow(after.id)).toMatchObject({ attribution: 'none', enrollment_id: null });
    expect(await rowCount("SELECT count(*) AS n FROM ledger_entries WHERE brand_id = ? AND kind = 'commission'", m.brand.brandId)).toBe(1);
  });

  it('never credits a waiting order in another currency than the brand\'s (stored before the one-currency rule)', async () => {
    const m = await createMoneyBrand();
    const click = clickOf(m);
    const id = `cv_eur_${seq++}`;
    await env.DB.prepare("INSERT INTO conversions (id, brand_id, external_order_id, amount_minor, currency, occurred_at, attribution, click_id_raw, source, payload_hash, created_at) VALUES (?, ?, ?, 10000, 'EUR', ?, 'none', ?, 'api', 'old', ?)")
      .bind(id, m.brand.brandId, `eur-${id}`, Date.now(), click.id, Date.now())
      .run();
    await deliver([click]);
    expect(await conversionRow(id)).toMatchObject({ attribution: 'none', click_id: null });
    expect(await ledger(id)).toEqual([]);
  });

  it('leaves an order a code already won alone', async () => {
    const m = await createMoneyBrand();
    const click = clickOf(m);
    const byCode = await record(m, order({ clickId: click.id, code: m.code }));
    await deliver([click]);
    expect(await conversionRow(byCode.id)).toMatchObject({ attribution: 'code', click_id: null });
    expect(await ledger(byCode.id)).toHaveLength(1);
  });

  it("never credits one brand's order with another brand's click", async () => {
    const a = await createMoneyBrand();
    const b = await createMoneyBrand();
    const click = clickOf(a);
    const foreign = await record(b, order({ clickId: click.id }));
    await deliver([click]);
    expect(await conversionRow(foreign.id)).toMatchObject({ attribution: 'none', enrollment_id: null, click_id: null });
    expect(await rowCount('SELECT count(*) AS n FROM ledger_entries WHERE brand_id IN (?, ?)', a.brand.brandId, b.brand.brandId)).toBe(0);
  });

  it('reverses refunds that were applied while nobody was credited', async () => {
    const m = await createMoneyBrand();
    const click = clickOf(m);
    const body = order({ clickId: click.id, amountMinor: 20_000 });
    const first = await record(m, body);
    for (const [i, amountMinor] of [5_000, 3_000].entries()) await refundOf(m, body.orderId, amountMinor, `r${i}`);
    await deliver([click]);
    await deliver([click]);
    expect(await ledger(first.id)).toEqual([
      { kind: 'commission', amount_minor: 2_000, rate_bps: 1_000 },
      { kind: 'reversal', amount_minor: -500, rate_bps: 1_000 },
      { kind: 'reversal', amount_minor: -300, rate_bps: 1_000 },
    ]);
  });

  it('tells subscribed endpoints with a conversion.attributed event carrying the commission', async () => {
    const m = await createMoneyBrand();
    const res = await m.brand.api('POST', '/api/admin/webhooks/endpoints', { url: 'http://127.0.0.1:9/hooks', events: ['conversion.attributed', 'conversion.reversed'] });
    expect(res.status).toBe(201);
    endpoints.push((await json<{ data: { id: string } }>(res)).data.id);
    const click = clickOf(m);
    const body = order({ clickId: click.id });
    const first = await record(m, body);
    // Refunded before the credit: the event says what the credit's reversals clawed back.
    await refundOf(m, body.orderId, 4_000, 'r0');
    await deliver([click]);
    await deliver([click]);
    const { results: events } = await env.DB.prepare('SELECT id, type, payload FROM webhook_events WHERE brand_id = ? ORDER BY created_at').bind(m.brand.brandId).all<{ id: string; type: string; payload: string }>();
    // The refund's own event said it clawed back nothing (nobody was credited then); the credit reports
    // the clawback once, in its own event, not as a second conversion.reversed.
    expect(events.map((e) => e.type)).toEqual(['conversion.reversed', 'conversion.attributed']);
    expect(JSON.parse(events[0]!.payload)).toMatchObject({ reversal: null });
    const attributed = events[1]!;
    expect(JSON.parse(attributed.payload)).toMatchObject({
      conversion: { id: first.id, attribution: 'click', creator: { handle: m.handle }, commission: { amountMinor: 1_000, tier: 1 } },
      reversals: { amountMinor: -400, refunds: 1 },
    });
    expect(await rowCount('SELECT count(*) AS n FROM webhook_deliveries WHERE event_id = ?', attributed.id)).toBe(1);
  });

  it('retries the batch when crediting fails after the clicks were stored, and the retry credits once', async () => {
    const m = await createMoneyBrand();
    const click = clickOf(m);
    const first = await record(m, order({ clickId: click.id }));
    let batches = 0;
    // The clicks' batch commits; the crediting batch after it fails.
    const secondFails = d1With({ batch: (statements: D1PreparedStatement[]) => (++batches === 2 ? Promise.reject(new Error('D1_ERROR: storage unavailable')) : env.DB.batch(statements)) });
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const failed = await deliver([click], { DB: secondFails });
    errors.mockRestore();
    expect(failed.retryBatch.retry).toBe(true);
    expect(await rowCount('SELECT count(*) AS n FROM clicks WHERE id = ?', click.id)).toBe(1);
    expect(await conversionRow(first.id)).toMatchObject({ attribution: 'none' });
    await deliver([click]);
    expect(await conversionRow(first.id)).toMatchObject({ attribution: 'click', click_id: click.id });
    expect(await ledger(first.id)).toEqual([{ kind: 'commission', amount_minor: 1_000, rate_bps: 1_000 }]);
  });

  it('credits the order too when the redirect wrote its click to D1 directly because the queue refused it', async () => {
    const m = await createMoneyBrand();
    let refuse!: () => void;
    const refused = new Promise<void>((resolve) => (refuse = resolve));
    // A queue that refuses only once the test has recorded the order, so the order lands before its click.
    const failingLater = { send: () => refused.then(() => Promise.reject(new Error('queue unavailable'))) } as unknown as Queue;
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request(`${BASE}/r/${m.link.slug}`, { headers: { 'user-agent': 'Mozilla/5.0 (iPhone) Mobile' } }), { ...env, CLICKS: failingLater } as Env, ctx);
    expect(res.status).toBe(302);
    const cid = new URL(res.headers.get('location')!).searchParams.get('cid')!;
    const first = await record(m, order({ clickId: cid }));
    expect(first.attribution).toBe('none');
    const warns = vi.spyOn(console, 'warn').mockImplementation(() => {});
    refuse();
    await waitOnExecutionContext(ctx);
    warns.mockRestore();
    expect(await conversionRow(first.id)).toMatchObject({ attribution: 'click', click_id: cid });
    expect(await ledger(first.id)).toHaveLength(1);
  });

  it('credits an order whose click the consumer stored between the order\'s read and its write', async () => {
    const m = await createMoneyBrand();
    const click = clickOf(m);
    const body = order({ clickId: click.id });
    // The consumer runs after the order's evidence read (batch 1) and before its write (batch 2): it
    // finds no waiting order, so the order's own batch must find the click.
    const db = steppingIn(2, () => writeClicks(env.DB, [click]));
    const input = { orderId: body.orderId, amountMinor: 10_000, currency: 'USD', occurredAt: Date.now(), code: null, clickId: click.id, customerRef: null };
    const result = await recordConversion(db, { id: m.brand.brandId, timezone: 'UTC', currency: 'USD' }, input, 'api');
    expect(result).toMatchObject({ created: true, data: { attribution: 'click', creator: { handle: m.handle }, commission: { amountMinor: 1_000 } } });
    expect(await ledger(result.data.id)).toHaveLength(1);
  });

  it('reads the order again when a refund lands between the consumer\'s read and its credit, and reverses it', async () => {
    const m = await createMoneyBrand();
    const click = clickOf(m);
    const body = order({ clickId: click.id, amountMinor: 20_000 });
    const first = await record(m, body);
    // Batch 1 stores the click and reads the waiting order (no refunds yet); the refund lands before batch 2.
    await deliver([click], { DB: steppingIn(2, () => refundOf(m, body.orderId, 20_000, 'full')) });
    expect(await conversionRow(first.id)).toMatchObject({ attribution: 'click' });
    expect(await ledger(first.id)).toEqual([
      { kind: 'commission', amount_minor: 2_000, rate_bps: 1_000 },
      { kind: 'reversal', amount_minor: -2_000, rate_bps: 1_000 },
    ]);
  });

  it('reverses a refund still pending on the order (its hand-over failed) and marks it applied', async () => {
    const m = await createMoneyBrand();
    const click = clickOf(m);
    const body = order({ clickId: click.id });
    const first = await record(m, body);
    const refundId = `rf_pending_${seq++}`;
    await env.DB.prepare("INSERT INTO refunds (id, brand_id, external_refund_id, external_order_id, amount_minor, currency, occurred_at, status, source, payload_hash, created_at) VALUES (?, ?, ?, ?, 2500, 'USD', ?, 'pending', 'api', 'h', ?)")
      .bind(refundId, m.brand.brandId, `${body.orderId}-p`, body.orderId, Date.now(), Date.now())
      .run();
    await deliver([click]);
    expect(await ledger(first.id)).toEqual([
      { kind: 'commission', amount_minor: 1_000, rate_bps: 1_000 },
      { kind: 'reversal', amount_minor: -250, rate_bps: 1_000 },
    ]);
    expect(await env.DB.prepare('SELECT status FROM refunds WHERE id = ?').bind(refundId).first('status')).toBe('applied');
  });

  it('prices a late credit at the tier the creator has reached when it lands', async () => {
    const m = await createMoneyBrand();
    const click = clickOf(m);
    const late = await record(m, order({ clickId: click.id }));
    await record(m, order({ code: m.code, amountMinor: 100_000 }));
    await deliver([click]);
    expect(await ledger(late.id)).toEqual([{ kind: 'commission', amount_minor: 1_500, rate_bps: 1_500 }]);
  });

  it('credits many waiting orders of one batch, in bounded writes', async () => {
    const m = await createMoneyBrand();
    const clicks = Array.from({ length: 60 }, () => clickOf(m));
    const orders = [];
    for (const click of clicks) orders.push(await record(m, order({ clickId: click.id, amountMinor: 1_000 })));
    let batches = 0;
    await deliver(clicks, { DB: d1With({ batch: (statements: D1PreparedStatement[]) => (batches++, env.DB.batch(statements)) }) });
    expect(batches).toBe(1 + Math.ceil(60 / 25));
    expect(await rowCount("SELECT count(*) AS n FROM conversions WHERE brand_id = ? AND attribution = 'click'", m.brand.brandId)).toBe(60);
    expect(await rowCount("SELECT COALESCE(SUM(amount_minor), 0) AS n FROM ledger_entries WHERE brand_id = ? AND kind = 'commission'", m.brand.brandId)).toBe(60 * 100);
  });

  it('is swept by the cron when a failure left an order waiting for a click that is stored', async () => {
    const m = await createMoneyBrand();
    const click = clickOf(m);
    const first = await record(m, order({ clickId: click.id }));
    // The click stored without the consumer's crediting step (as when that step failed for good).
    await storeRawClick({ id: click.id, brandId: m.brand.brandId, linkId: m.link.id, at: click.at });
    await runCron();
    expect(await conversionRow(first.id)).toMatchObject({ attribution: 'click', click_id: click.id });
    expect(await ledger(first.id)).toHaveLength(1);
  });

  it('finds waiting orders through their partial indexes, not a scan of conversions', async () => {
    const plan = async (sql: string, ...params: unknown[]) =>
      (await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params).all<{ detail: string }>()).results.map((r) => r.detail).join('\n');
    const byClick = await plan(LATE_CLICK_SQL.AWAITING_CLICK, '[]');
    expect(byClick).toMatch(/SEARCH cv USING INDEX conversions_awaiting_click/);
    // The only scans: the batch's click ids, and each waiting order's few applied refunds (already sorted).
    expect(byClick).not.toMatch(/^SCAN (?!j VIRTUAL|o$)/m);
    for (const sql of [LATE_CLICK_SQL.DUE_ORDERS, LATE_CLICK_SQL.AWAITING_DUE]) {
      const sweep = await plan(sql, Date.now(), 1_000);
      expect(sweep).toMatch(/SEARCH cv USING INDEX conversions_click_look \(<expr><\?\)/);
      // Scans only of the bounded subquery's rows and of each order's refunds.
      expect(sweep).not.toMatch(/^SCAN (?!o$|cv$)/m);
      // The due order comes from the index; only each order's refunds are sorted.
      expect(sweep.match(/TEMP B-TREE/g)?.length ?? 0).toBe(sql === LATE_CLICK_SQL.DUE_ORDERS ? 0 : 1);
    }
  });
});

describe('migration 0006', () => {
  it('subscribes endpoints that had every earlier event type to conversion.attributed, and leaves chosen lists alone', async () => {
    const m = await createMoneyBrand();
    const five = ['conversion.created', 'conversion.reversed', 'submission.submitted', 'submission.reviewed', 'payout.closed'];
    const lists = { all: five, some: ['conversion.created'], already: [...five, 'conversion.attributed'] };
    for (const [name, events] of Object.entries(lists)) {
      await env.DB.prepare("INSERT INTO webhook_endpoints (id, brand_id, url, description, secret_enc, events, enabled, created_at, updated_at) VALUES (?, ?, 'http://127.0.0.1:9/hooks', '', 'x', ?, 0, 0, 0)")
        .bind(`whe_m6_${name}_${seq++}`, m.brand.brandId, JSON.stringify(events))
        .run();
    }
    const update = migration0006.split('--> statement-breakpoint').find((statement) => statement.includes('UPDATE'))!;
    await env.DB.prepare(update).run();
    await env.DB.prepare(update).run();
    const { results } = await env.DB.prepare('SELECT id, events FROM webhook_endpoints WHERE brand_id = ? ORDER BY id').bind(m.brand.brandId).all<{ id: string; events: string }>();
    const byName = Object.fromEntries(results.map((r) => [r.id.split('_')[2], JSON.parse(r.events) as string[]]));
    expect(byName).toEqual({ all: [...five, 'conversion.attributed'], some: ['conversion.created'], already: [...five, 'conversion.attributed'] });
  });
});
