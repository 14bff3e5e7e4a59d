import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { markPayouts } from '../../../worker/routes/admin/payouts';
import type { Env } from '../../../worker/env';
import { signTimestamped } from '../../../worker/lib/signatures';
import { BASE, createMoneyBrand, json, rowCount, signedPost } from '../fixtures';
import { adminUser, signIn } from '../console-fixtures';
import { get } from '../forms';

type RefundData = { data: { status: string; failedAt: string | null; reversal: { amountMinor: number } | null; givenBack: { amountMinor: number } | null } };
type ErrorBody = { error: { code: string; details?: { reason?: string } } };

let n = 0;
const NOW_ISO = () => new Date().toISOString();
const later = (ms: number) => new Date(Date.now() + ms).toISOString();
const order = (code: string, amountMinor: number, overrides: Record<string, unknown> = {}) => ({ orderId: `rfo-${Date.now()}-${n++}`, amountMinor, currency: 'USD', occurredAt: NOW_ISO(), code, ...overrides });
const refund = (orderId: string, amountMinor: number, overrides: Record<string, unknown> = {}) => ({ refundId: `rfr-${Date.now()}-${n++}`, orderId, amountMinor, currency: 'USD', occurredAt: NOW_ISO(), ...overrides });

type Money = Awaited<ReturnType<typeof createMoneyBrand>>;
const post = (m: Money, path: string, body: unknown) => signedPost(m.brand, m.ingestKey, path, body);
const fail = (m: Money, refundId: string, occurredAt = later(1_000)) => post(m, '/v1/refunds/failures', { refundId, occurredAt });
const ledgerSum = (brandId: string) => rowCount('SELECT COALESCE(SUM(amount_minor), 0) AS n FROM ledger_entries WHERE brand_id = ?', brandId);
const revenue = (brandId: string) => rowCount("SELECT COALESCE(SUM(basis_minor), 0) AS n FROM ledger_entries WHERE brand_id = ? AND kind IN ('commission', 'reversal')", brandId);
const giveBacks = (brandId: string) => rowCount("SELECT count(*) AS n FROM ledger_entries WHERE brand_id = ? AND event_key LIKE 'refund_failed:%'", brandId);

async function refundedOrder(m: Money, amountMinor = 10_000, refundedMinor = 5_000) {
  const o = order(m.code, amountMinor);
  expect((await post(m, '/v1/conversions', o)).status).toBe(201);
  const r = refund(o.orderId, refundedMinor);
  expect((await post(m, '/v1/refunds', r)).status).toBe(201);
  return { o, r };
}

describe('POST /v1/refunds/failures', () => {
  it('gives back what the reversal took with a new entry, once; a replay answers 200 and another time 409', async () => {
    const m = await createMoneyBrand();
    const { o, r } = await refundedOrder(m);
    expect(await ledgerSum(m.brand.brandId)).toBe(500);
    const reversalBefore = await env.DB.prepare("SELECT * FROM ledger_entries WHERE brand_id = ? AND kind = 'reversal'").bind(m.brand.brandId).first();
    const at = later(1_000);
    const res = await fail(m, r.refundId, at);
    expect(res.status).toBe(201);
    const body = await json<RefundData>(res);
    expect(body.data).toMatchObject({ status: 'failed', failedAt: new Date(at).toISOString(), reversal: { amountMinor: -500 }, givenBack: { amountMinor: 500 } });
    // The reversal is untouched: a new positive reversal entry nets it, with the tier revenue it took.
    expect(await env.DB.prepare('SELECT * FROM ledger_entries WHERE id = ?').bind((reversalBefore as { id: string }).id).first()).toEqual(reversalBefore);
    expect(await ledgerSum(m.brand.brandId)).toBe(1_000);
    expect(await revenue(m.brand.brandId)).toBe(10_000);
    expect((await fail(m, r.refundId, at)).status).toBe(200);
    expect((await json<ErrorBody>(await fail(m, r.refundId, later(5_000)))).error.code).toBe('idempotency_conflict');
    expect(await giveBacks(m.brand.brandId)).toBe(1);
    // The Orders page no longer reads it as refunded or reversed.
    const listed = await json<{ data: { orderId: string; refundedMinor: number; reversedMinor: number }[] }>(await m.brand.api('GET', '/api/admin/conversions'));
    expect(listed.data.find((c) => c.orderId === o.orderId)).toMatchObject({ refundedMinor: 0, reversedMinor: 0 });
  });

  it('lets a later refund of the order reverse the right share, as if the failed one had never been made', async () => {
    const m = await createMoneyBrand();
    const { o, r } = await refundedOrder(m, 10_000, 10_000);
    expect(await ledgerSum(m.brand.brandId)).toBe(0);
    expect((await fail(m, r.refundId)).status).toBe(201);
    expect(await ledgerSum(m.brand.brandId)).toBe(1_000);
    // Refunded in full no more: a new refund is taken, and reverses its own share only.
    const next = await json<RefundData>(await post(m, '/v1/refunds', refund(o.orderId, 4_000, { occurredAt: later(2_000) })));
    expect(next.data.reversal).toEqual({ amountMinor: -400 });
    expect(await ledgerSum(m.brand.brandId)).toBe(600);
    expect(await revenue(m.brand.brandId)).toBe(6_000);
  });

  it('gives back once when two failures of the same refund race', async () => {
    const m = await createMoneyBrand();
    const { r } = await refundedOrder(m);
    const at = later(1_000);
    const statuses = (await Promise.all([fail(m, r.refundId, at), fail(m, r.refundId, at)])).map((res) => res.status).sort();
    expect(statuses).toEqual([200, 201]);
    expect(await giveBacks(m.brand.brandId)).toBe(1);
    expect(await ledgerSum(m.brand.brandId)).toBe(1_000);
  });

  it('gives back a reversal already in a paid payout as a new entry of the next period', async () => {
    const m = await createMoneyBrand();
    const sept = (day: number) => new Date(Date.UTC(2026, 8, day, 12)).toISOString();
    const o = order(m.code, 20_000, { occurredAt: sept(5) });
    await post(m, '/v1/conversions', o);
    const r = refund(o.orderId, 10_000, { occurredAt: sept(20) });
    await post(m, '/v1/refunds', r);
    expect((await m.brand.api('POST', '/api/admin/payouts/close', { period: '2026-10' })).status).toBe(201);
    const payout = await env.DB.prepare('SELECT id FROM payouts WHERE brand_id = ?').bind(m.brand.brandId).first<{ id: string }>();
    await markPayouts(env as Env, m.brand.brandId, { type: 'api_key', id: 'test' }, [{ line: null, payoutId: payout!.id, reference: 'REF-1', status: 'paid' }]);
    expect((await fail(m, r.refundId)).status).toBe(201);
    const entries = await env.DB.prepare("SELECT amount_minor, period, basis_period, payout_id FROM ledger_entries WHERE brand_id = ? AND kind = 'reversal' ORDER BY amount_minor")
      .bind(m.brand.brandId)
      .all<{ amount_minor: number; period: string; basis_period: string; payout_id: string | null }>();
    expect(entries.results).toEqual([
      { amount_minor: -1_000, period: '2026-09', basis_period: '2026-09', payout_id: payout!.id },
      { amount_minor: 1_000, period: NOW_ISO().slice(0, 7), basis_period: '2026-09', payout_id: null },
    ]);
    expect(await rowCount("SELECT count(*) AS n FROM payouts WHERE brand_id = ? AND status = 'paid'", m.brand.brandId)).toBe(1);
    // Once it clears (moved to November here, as if time had passed), November's payout holds it alone: its
    // Refunds column is above zero, and the console says why.
    await env.DB.prepare("UPDATE ledger_entries SET available_at = ?, period = '2026-11' WHERE brand_id = ? AND payout_id IS NULL AND kind = 'reversal'").bind(Date.UTC(2026, 10, 2), m.brand.brandId).run();
    expect((await m.brand.api('POST', '/api/admin/payouts/close', { period: '2026-11' })).status).toBe(201);
    const finance = await signIn((await adminUser(m.brand.brandId, 'finance')).email);
    const page = await (await get('/console/payouts?period=2026-11', finance)).text();
    expect(page).toMatch(/data-label="Refunds">\$10\.00<span class="muted small block">Given back: a refund failed<\/span>/);
  });

  it('fails a refund still waiting for its order, which then reverses nothing when the order lands', async () => {
    const m = await createMoneyBrand();
    const o = order(m.code, 10_000);
    const r = refund(o.orderId, 5_000);
    expect((await post(m, '/v1/refunds', r)).status).toBe(201);
    const res = await json<RefundData>(await fail(m, r.refundId));
    expect(res.data).toMatchObject({ status: 'failed', reversal: null, givenBack: null });
    expect((await post(m, '/v1/conversions', o)).status).toBe(201);
    expect(await ledgerSum(m.brand.brandId)).toBe(1_000);
    expect(await rowCount("SELECT count(*) AS n FROM ledger_entries WHERE brand_id = ? AND kind = 'reversal'", m.brand.brandId)).toBe(0);
  });

  it("gives back the performance bonus a refund took back once the month's revenue is at the threshold again", async () => {
    const m = await createMoneyBrand({ paymentModel: 'hybrid', bonus: { thresholdMinor: 50_000, amountMinor: 10_000 } });
    await post(m, '/v1/conversions', order(m.code, 30_000));
    const { r } = await refundedOrder(m, 30_000, 30_000);
    const bonuses = async () =>
      (await env.DB.prepare("SELECT amount_minor FROM ledger_entries WHERE brand_id = ? AND kind = 'bonus' ORDER BY created_at, rowid").bind(m.brand.brandId).all<{ amount_minor: number }>()).results.map((b) => b.amount_minor);
    expect(await bonuses()).toEqual([10_000, -10_000]);
    const at = later(1_000);
    expect((await fail(m, r.refundId, at)).status).toBe(201);
    expect(await bonuses()).toEqual([10_000, -10_000, 10_000]);
    expect(await ledgerSum(m.brand.brandId)).toBe(6_000 + 10_000);
    expect((await fail(m, r.refundId, at)).status).toBe(200);
    expect(await bonuses()).toHaveLength(3);
  });

  it('earns the bonus in a month that reaches the threshold only through the give-back, and never gives back nothing', async () => {
    const m = await createMoneyBrand({ paymentModel: 'hybrid', bonus: { thresholdMinor: 50_000, amountMinor: 10_000 } });
    const bonuses = async () =>
      (await env.DB.prepare("SELECT amount_minor FROM ledger_entries WHERE brand_id = ? AND kind = 'bonus' ORDER BY created_at, rowid").bind(m.brand.brandId).all<{ amount_minor: number }>()).results.map((b) => b.amount_minor);
    const { r } = await refundedOrder(m, 40_000, 20_000);
    expect((await post(m, '/v1/conversions', order(m.code, 20_000))).status).toBe(201); // 40,000 net: below the threshold
    expect(await bonuses()).toEqual([]);
    expect((await fail(m, r.refundId)).status).toBe(201);
    expect(await revenue(m.brand.brandId)).toBe(60_000);
    expect(await bonuses()).toEqual([10_000]); // as if the refund had never been made

    // A refund whose order another refund still covers in full gives nothing back, and writes no entry for it.
    const { o, r: small } = await refundedOrder(m, 10_000, 1_000);
    expect((await post(m, '/v1/refunds', refund(o.orderId, 10_000))).status).toBe(201); // the rest of the order
    const before = await giveBacks(m.brand.brandId);
    const failed = await json<RefundData>(await fail(m, small.refundId));
    expect(failed.data.status).toBe('failed');
    expect(failed.data.givenBack).toBeNull();
    expect(await giveBacks(m.brand.brandId)).toBe(before);
  });

  it('never makes a give-back payable before any reversal it nets, so no payout holds more than the commission', async () => {
    const m = await createMoneyBrand(); // 30 days' holding, 10 % below 1,000.00
    const utc = (month: number, day: number) => new Date(Date.UTC(2026, month - 1, day, 12)).toISOString();
    const o = order(m.code, 10_000, { occurredAt: utc(7, 1) }); // 10.00 commission, payable from 31 July
    expect((await post(m, '/v1/conversions', o)).status).toBe(201);
    const b = refund(o.orderId, 5_000, { occurredAt: utc(9, 20) }); // posted first, dated September: −5.00
    const a = refund(o.orderId, 8_000, { occurredAt: utc(8, 10) }); // posted second, dated August: −5.00, capped
    expect((await post(m, '/v1/refunds', b)).status).toBe(201);
    expect((await post(m, '/v1/refunds', a)).status).toBe(201);
    expect((await fail(m, b.refundId, utc(9, 21))).status).toBe(201); // +2.00
    expect((await fail(m, a.refundId, utc(8, 11))).status).toBe(201); // +8.00: more than A's own reversal
    expect((await m.brand.api('POST', '/api/admin/payouts/close', { period: '2026-08' })).status).toBe(201);
    const august = await env.DB.prepare('SELECT amount_minor FROM payouts WHERE brand_id = ? AND period = ?').bind(m.brand.brandId, '2026-08').first<{ amount_minor: number }>();
    expect(august?.amount_minor ?? 0).toBeLessThanOrEqual(1_000);
    expect(await ledgerSum(m.brand.brandId)).toBe(1_000); // both refunds failed: the whole commission stands
  });

  it("answers 404 for an unknown refund id and another brand's, writing nothing", async () => {
    const a = await createMoneyBrand();
    const b = await createMoneyBrand();
    const { r } = await refundedOrder(a);
    for (const res of [await fail(b, r.refundId), await fail(a, 'no-such-refund')]) {
      expect(res.status).toBe(404);
      expect((await json<ErrorBody>(res)).error.code).toBe('refund_not_found');
    }
    expect(await rowCount("SELECT count(*) AS n FROM refunds WHERE brand_id = ? AND status = 'failed'", a.brand.brandId)).toBe(0);
  });

  it('refuses malformed bodies and forged signatures with a 4xx, writing nothing', async () => {
    const m = await createMoneyBrand();
    const { r } = await refundedOrder(m);
    const bad: [unknown, number][] = [
      [{ refundId: r.refundId }, 422],
      [{ occurredAt: NOW_ISO() }, 422],
      [{ refundId: r.refundId, occurredAt: 'yesterday' }, 422],
      [{ refundId: r.refundId, occurredAt: NOW_ISO(), extra: 1 }, 422],
      [{ refundId: '', occurredAt: NOW_ISO() }, 422],
      [{ refundId: r.refundId, occurredAt: later(2 * 86_400_000) }, 422],
      [{ refundId: r.refundId, occurredAt: '2026-01-01T00:00:00Z' }, 422],
      [[], 422],
    ];
    for (const [body, status] of bad) expect((await post(m, '/v1/refunds/failures', body)).status, JSON.stringify(body)).toBe(status);
    expect((await json<ErrorBody>(await post(m, '/v1/refunds/failures', { refundId: r.refundId, occurredAt: '2026-01-01T00:00:00Z' }))).error.code).toBe('failure_before_refund');
    const raw = (body: string, signature: string) =>
      SELF.fetch(`${BASE}/v1/refunds/failures`, { method: 'POST', headers: { 'content-type': 'application/json', 'chorus-account': m.brand.slug, 'chorus-signature': signature }, body });
    expect((await raw('{not json', await signTimestamped(m.ingestKey, '{not json', Date.now()))).status).toBe(400);
    const body = JSON.stringify({ refundId: r.refundId, occurredAt: later(1_000) });
    expect((await raw(body, await signTimestamped('ck_ingest_wrong_secret_000000000', body, Date.now()))).status).toBe(401);
    expect((await raw(body, 'garbage')).status).toBe(401);
    expect(await rowCount("SELECT count(*) AS n FROM refunds WHERE brand_id = ? AND status = 'failed'", m.brand.brandId)).toBe(0);
    expect(await giveBacks(m.brand.brandId)).toBe(0);
  });

  it('tells subscribed endpoints with a refund.failed event carrying what was given back', async () => {
    const m = await createMoneyBrand();
    expect((await m.brand.api('POST', '/api/admin/webhooks/endpoints', { url: 'http://127.0.0.1:9/hooks', events: ['refund.failed'] })).status).toBe(201);
    const { r } = await refundedOrder(m);
    await fail(m, r.refundId);
    await fail(m, r.refundId);
    const events = (await env.DB.prepare("SELECT payload FROM webhook_events WHERE brand_id = ? AND type = 'refund.failed'").bind(m.brand.brandId).all<{ payload: string }>()).results;
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]!.payload)).toMatchObject({ refund: { refundId: r.refundId, source: 'api' }, reversal: { amountMinor: -500 }, givenBack: { amountMinor: 500, creator: { handle: m.handle } } });
  });
});
