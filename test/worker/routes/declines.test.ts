// A brand declining an order's commission (db/declines.ts) and reinstating it: the ledger, tier revenue and
// bounty progress as if the order had never been credited, and exactly back; refunds of a declined order take
// nothing twice; a payout already holding it, another brand's id and a double decline write nothing more.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import migration0075 from '../../../migrations/0075_declined_commissions.sql?raw';
import { creatorBounties } from '../../../worker/db/bounties';
import { declineConversion } from '../../../worker/db/declines';
import { parseCsv } from '../../../worker/lib/csv';
import { ApiError } from '../../../worker/lib/errors';
import { markPayouts } from '../../../worker/routes/admin/payouts';
import type { Env } from '../../../worker/env';
import { createMoneyBrand, heldBatches, json, rowCount, signedPost, type Data } from '../fixtures';
import { adminUser, consoleBrand, get, post, signIn } from '../console-fixtures';
import { signedInCreator } from '../portal-fixtures';

// A console form's key, as the page hands out.
const fk = () => crypto.randomUUID().replace(/-/g, '');

type Money = Pick<Awaited<ReturnType<typeof createMoneyBrand>>, 'brand' | 'ingestKey' | 'code' | 'enrollment' | 'creator' | 'campaign' | 'handle'>;
type Listed = { id: string; orderId: string; refundedMinor: number; reversedMinor: number; commission: { status: string } | null; declined: { reason: string; note: string | null; at: string; by: { type: string; id: string } } | null };
type ErrorBody = { error: { code: string } };

let n = 0;
const NOW_ISO = () => new Date().toISOString();
const later = (ms: number) => new Date(Date.now() + ms).toISOString();
const storePost = (m: Money, path: string, body: unknown) => signedPost(m.brand, m.ingestKey, path, body);
const refund = (orderId: string, amountMinor: number) => ({ refundId: `dr-${Date.now()}-${n++}`, orderId, amountMinor, currency: 'USD', occurredAt: later(1_000) });

async function placeOrder(m: Money, amountMinor = 10_000, overrides: Record<string, unknown> = {}): Promise<{ id: string; orderId: string }> {
  const body = { orderId: `dco-${Date.now()}-${n++}`, amountMinor, currency: 'USD', occurredAt: NOW_ISO(), code: m.code, ...overrides };
  const res = await storePost(m, '/v1/conversions', body);
  expect(res.status).toBe(201);
  return { id: (await json<Data<{ id: string }>>(res)).data.id, orderId: body.orderId };
}

const decline = (m: Money, id: string, body: unknown = { reason: 'test_order', note: 'Staff test order' }) => m.brand.api('POST', `/api/admin/conversions/${id}/decline`, body);
const reinstate = (m: Money, id: string) => m.brand.api('POST', `/api/admin/conversions/${id}/reinstate`);
const balance = (m: Money) => rowCount('SELECT COALESCE(SUM(amount_minor), 0) AS n FROM ledger_entries WHERE brand_id = ?', m.brand.brandId);
const tierRevenue = (m: Money) => rowCount("SELECT COALESCE(SUM(basis_minor), 0) AS n FROM ledger_entries WHERE enrollment_id = ? AND kind IN ('commission', 'reversal') AND basis_period = ?", m.enrollment.id, NOW_ISO().slice(0, 7));
const reversals = (m: Money) => rowCount("SELECT count(*) AS n FROM ledger_entries WHERE brand_id = ? AND kind = 'reversal' AND amount_minor <> 0", m.brand.brandId);
// The orders CSV's commission_status and declined cells of one order.
async function csvStatus(m: Money, orderId: string): Promise<[string, string]> {
  const [header, row] = parseCsv(await (await m.brand.api('GET', `/api/admin/conversions/export.csv?orderId=${encodeURIComponent(orderId)}`)).text()).map((r) => r.cells);
  return [row![header!.indexOf('commission_status')]!, row![header!.indexOf('declined')]!];
}
const close = (m: Money, period: string) => m.brand.api('POST', '/api/admin/payouts/close', { period });
const payoutAmounts = async (m: Money) =>
  (await env.DB.prepare('SELECT amount_minor FROM payouts WHERE brand_id = ? ORDER BY period').bind(m.brand.brandId).all<{ amount_minor: number }>()).results.map((p) => p.amount_minor);
// What a write that was refused must leave as it was.
const written = async (m: Money) => [
  await balance(m),
  await rowCount('SELECT count(*) AS n FROM ledger_entries WHERE brand_id = ?', m.brand.brandId),
  await rowCount('SELECT count(*) AS n FROM refunds WHERE brand_id = ?', m.brand.brandId),
  await rowCount('SELECT count(*) AS n FROM declined_commissions WHERE brand_id = ? AND reinstated_at IS NULL', m.brand.brandId),
  await rowCount('SELECT count(*) AS n FROM audit_log WHERE brand_id = ?', m.brand.brandId),
];
// The month `back` months before this one in UTC (the fixtures' brands' zone), and an instant on its 5th.
function monthsAgo(back: number): { period: string; at: string } {
  const now = new Date();
  const at = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 5, 12));
  return { period: at.toISOString().slice(0, 7), at: at.toISOString() };
}
const noHolding = (m: Money) => env.DB.prepare('UPDATE campaigns SET holding_days = 0 WHERE id = ?').bind(m.campaign.id).run();
const listed = async (m: Money, orderId: string) => (await json<Data<Listed[]>>(await m.brand.api('GET', `/api/admin/conversions?orderId=${encodeURIComponent(orderId)}`))).data[0]!;
// Bounty progress as the creator's portal reads it, on a bounty counting orders at once.
async function bountyProgress(m: Money): Promise<number | undefined> {
  const [b] = await creatorBounties(env.DB, m.creator.id, Date.now());
  return b?.progress;
}
async function withSalesBounty(m: Money) {
  await env.DB.prepare('UPDATE campaigns SET holding_days = 0 WHERE id = ?').bind(m.campaign.id).run();
  const now = Date.now();
  const res = await m.brand.api(
    'POST',
    `/api/admin/campaigns/${m.campaign.id}/bounties`,
    { title: 'Three sales', metric: 'sales', target: 3, rewardMinor: 5_000, startsAt: new Date(now - 86_400_000).toISOString(), endsAt: new Date(now + 86_400_000).toISOString() },
    { 'idempotency-key': crypto.randomUUID() },
  );
  expect(res.status).toBe(201);
}

describe('declining an order’s commission', () => {
  it('takes the commission, tier revenue and bounty progress away as if never credited, and reinstating gives them back exactly, once', async () => {
    const m = await createMoneyBrand();
    await withSalesBounty(m);
    await placeOrder(m, 20_000);
    const o = await placeOrder(m, 10_000);
    expect([await balance(m), await tierRevenue(m), await bountyProgress(m)]).toEqual([3_000, 30_000, 2]);

    const res = await decline(m, o.id);
    expect(res.status).toBe(200);
    const body = await json<Data<Listed>>(res);
    expect(body.data).toMatchObject({ id: o.id, refundedMinor: 0, reversedMinor: 1_000, commission: { status: 'declined' }, declined: { reason: 'test_order', note: 'Staff test order', by: { type: 'api_key' } } });
    expect(await csvStatus(m, o.orderId)).toEqual(['declined', 'test_order']);
    expect([await balance(m), await tierRevenue(m), await bountyProgress(m)]).toEqual([2_000, 20_000, 1]);
    // Again: answered as it is, no second reversal.
    const again = await decline(m, o.id, { reason: 'fraud' });
    expect(again.status).toBe(200);
    expect((await json<Data<Listed>>(again)).data.declined).toMatchObject({ reason: 'test_order' });
    expect(await reversals(m)).toBe(1);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'conversion.declined' AND target_id = ?", m.brand.brandId, o.id)).toBe(1);

    const back = await reinstate(m, o.id);
    expect(back.status).toBe(200);
    expect((await json<Data<Listed>>(back)).data).toMatchObject({ declined: null, reversedMinor: 0, commission: { status: 'available' } });
    expect(await csvStatus(m, o.orderId)).toEqual(['available', '']);
    expect([await balance(m), await tierRevenue(m), await bountyProgress(m)]).toEqual([3_000, 30_000, 2]);
    expect((await reinstate(m, o.id)).status).toBe(200);
    expect(await rowCount("SELECT count(*) AS n FROM ledger_entries WHERE brand_id = ? AND event_key LIKE 'refund_failed:%'", m.brand.brandId)).toBe(1);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'conversion.reinstated' AND target_id = ?", m.brand.brandId, o.id)).toBe(1);
    expect(await balance(m)).toBe(3_000);
  });

  it('a store refund after the decline takes nothing more (partial, then the rest), and reinstating gives back only what those refunds leave', async () => {
    const m = await createMoneyBrand();
    const o = await placeOrder(m, 10_000);
    expect((await decline(m, o.id)).status).toBe(200);
    expect(await balance(m)).toBe(0);
    const partial = await json<Data<{ reversal: { amountMinor: number } | null }>>(await storePost(m, '/v1/refunds', refund(o.orderId, 4_000)));
    expect(partial.data.reversal?.amountMinor ?? 0).toBe(0);
    expect(await balance(m)).toBe(0);
    // Refunded in full by the store too: not refused as refunded already (the decline is no store refund).
    const rest = await storePost(m, '/v1/refunds', refund(o.orderId, 6_000));
    expect(rest.status).toBe(201);
    expect(await balance(m)).toBe(0);
    expect(await listed(m, o.orderId)).toMatchObject({ refundedMinor: 10_000, reversedMinor: 1_000 });
    // Reinstated: the store refunded it all, so nothing comes back.
    expect((await reinstate(m, o.id)).status).toBe(200);
    expect(await balance(m)).toBe(0);

    const p = await placeOrder(m, 10_000);
    expect((await decline(m, p.id)).status).toBe(200);
    expect((await storePost(m, '/v1/refunds', refund(p.orderId, 4_000))).status).toBe(201);
    expect((await reinstate(m, p.id)).status).toBe(200);
    expect(await balance(m)).toBe(600);
    expect(await tierRevenue(m)).toBe(6_000);
  });

  it('a refund before the decline leaves it only the rest, and that refund failing later gives nothing back while the decline stands', async () => {
    const m = await createMoneyBrand();
    const o = await placeOrder(m, 10_000);
    const r = refund(o.orderId, 3_000);
    expect((await storePost(m, '/v1/refunds', r)).status).toBe(201);
    expect(await balance(m)).toBe(700);
    expect((await decline(m, o.id, { reason: 'duplicate' })).status).toBe(200);
    expect(await balance(m)).toBe(0);
    expect(await tierRevenue(m)).toBe(0);
    expect((await storePost(m, '/v1/refunds/failures', { refundId: r.refundId, occurredAt: later(2_000) })).status).toBe(201);
    expect(await balance(m)).toBe(0);
    // Reinstated: the failed refund no longer stands, so the whole commission is back.
    expect((await reinstate(m, o.id)).status).toBe(200);
    expect(await balance(m)).toBe(1_000);
    expect(await tierRevenue(m)).toBe(10_000);
  });

  it('refuses an order already in a payout with 409 and writes nothing; reinstating one whose decline a payout holds too', async () => {
    const m = await createMoneyBrand();
    const sept = new Date(Date.UTC(2026, 8, 5, 12)).toISOString();
    const o = await placeOrder(m, 10_000, { occurredAt: sept });
    // Declined before the close: the payout holds its commission and the decline's reversal, netting to nothing.
    const d = await placeOrder(m, 20_000, { occurredAt: sept });
    expect((await decline(m, d.id)).status).toBe(200);
    expect((await close(m, '2026-10')).status).toBe(201);
    expect(await payoutAmounts(m)).toEqual([1_000]);
    const before = await written(m);
    const res = await decline(m, o.id);
    expect(res.status).toBe(409);
    expect((await json<ErrorBody>(res)).error.code).toBe('commission_in_payout');
    const back = await reinstate(m, d.id);
    expect(back.status).toBe(409);
    expect((await json<ErrorBody>(back)).error.code).toBe('commission_in_payout');
    expect(await written(m)).toEqual(before);
    expect(await rowCount('SELECT count(*) AS n FROM declined_commissions WHERE conversion_id = ?', o.id)).toBe(0);
    // Paid, then too.
    const payout = await env.DB.prepare('SELECT id FROM payouts WHERE brand_id = ?').bind(m.brand.brandId).first<{ id: string }>();
    await markPayouts(env as Env, m.brand.brandId, { type: 'api_key', id: 'test' }, [{ line: null, payoutId: payout!.id, reference: 'REF-1', status: 'paid' }]);
    const paid = await written(m);
    expect((await json<ErrorBody>(await decline(m, o.id))).error.code).toBe('commission_in_payout');
    expect((await json<ErrorBody>(await reinstate(m, d.id))).error.code).toBe('commission_in_payout');
    expect(await written(m)).toEqual(paid);
  });

  it('books the decline in the order’s own month, payable with its commission: closing that month after the decline pays none of it', async () => {
    const m = await createMoneyBrand();
    await noHolding(m);
    const [earlier, last] = [monthsAgo(2), monthsAgo(1)];
    const o = await placeOrder(m, 10_000, { occurredAt: earlier.at });
    expect((await decline(m, o.id)).status).toBe(200);
    const booked = "SELECT kind, amount_minor, period, basis_period, available_at FROM ledger_entries WHERE conversion_id = ? ORDER BY created_at, rowid";
    expect((await env.DB.prepare(booked).bind(o.id).all()).results).toEqual([
      { kind: 'commission', amount_minor: 1_000, period: earlier.period, basis_period: earlier.period, available_at: Date.parse(earlier.at) },
      { kind: 'reversal', amount_minor: -1_000, period: earlier.period, basis_period: earlier.period, available_at: Date.parse(earlier.at) },
    ]);
    expect((await close(m, earlier.period)).status).toBe(201);
    expect(await payoutAmounts(m)).toEqual([]);
    // That close paid the creator nothing, so both were carried forward: reinstating gives back in the same month,
    // and the next close pays the commission.
    expect((await reinstate(m, o.id)).status).toBe(200);
    expect((await env.DB.prepare(booked).bind(o.id).all()).results[2]).toEqual({ kind: 'reversal', amount_minor: 1_000, period: earlier.period, basis_period: earlier.period, available_at: Date.parse(earlier.at) });
    expect((await close(m, last.period)).status).toBe(201);
    expect(await payoutAmounts(m)).toEqual([1_000]);
  });

  it('takes the bonus back in its own month too, so the close nets the bonus the declined order brought', async () => {
    const m = await createMoneyBrand({ paymentModel: 'hybrid', bonus: { thresholdMinor: 15_000, amountMinor: 2_000 } });
    await noHolding(m);
    const last = monthsAgo(1);
    await placeOrder(m, 10_000, { occurredAt: last.at });
    const o = await placeOrder(m, 10_000, { occurredAt: last.at });
    expect((await decline(m, o.id)).status).toBe(200);
    expect(await rowCount("SELECT count(*) AS n FROM ledger_entries WHERE brand_id = ? AND kind = 'bonus' AND period = ? AND basis_period = ?", m.brand.brandId, last.period, last.period)).toBe(2);
    expect((await close(m, last.period)).status).toBe(201);
    expect(await payoutAmounts(m)).toEqual([1_000]);
  });

  it('a close landing between a decline’s read and its write claims the commission first: the decline is refused and writes nothing', async () => {
    const m = await createMoneyBrand();
    await noHolding(m);
    const last = monthsAgo(1);
    const o = await placeOrder(m, 10_000, { occurredAt: last.at });
    const { db, reached, release } = heldBatches();
    const declining = declineConversion(db, m.brand.brandId, o.id, { reason: 'fraud', note: null }, { type: 'api_key', id: 'test' }, Date.now()).then(
      () => null,
      (e: unknown) => e,
    );
    await reached;
    expect((await close(m, last.period)).status).toBe(201);
    const before = await written(m);
    release();
    const refused = await declining;
    expect(refused).toBeInstanceOf(ApiError);
    expect((refused as ApiError).code).toBe('commission_in_payout');
    expect(await written(m)).toEqual(before);
    expect(await rowCount('SELECT count(*) AS n FROM declined_commissions WHERE brand_id = ?', m.brand.brandId)).toBe(0);
    expect(await payoutAmounts(m)).toEqual([1_000]);
  });

  it('declines once when two declines race', async () => {
    const m = await createMoneyBrand();
    const o = await placeOrder(m, 10_000);
    const statuses = (await Promise.all([decline(m, o.id), decline(m, o.id, { reason: 'fraud' }), decline(m, o.id)])).map((r) => r.status);
    expect(statuses).toEqual([200, 200, 200]);
    expect(await reversals(m)).toBe(1);
    expect(await rowCount('SELECT count(*) AS n FROM declined_commissions WHERE brand_id = ?', m.brand.brandId)).toBe(1);
    expect(await rowCount("SELECT count(*) AS n FROM refunds WHERE brand_id = ? AND source = 'decline'", m.brand.brandId)).toBe(1);
    expect(await balance(m)).toBe(0);
  });

  it('takes back the performance bonus the order brought, and gives it back with the order', async () => {
    const m = await createMoneyBrand({ paymentModel: 'hybrid', bonus: { thresholdMinor: 15_000, amountMinor: 2_000 } });
    await placeOrder(m, 10_000);
    const o = await placeOrder(m, 10_000);
    expect(await balance(m)).toBe(4_000);
    expect((await decline(m, o.id, { reason: 'not_eligible' })).status).toBe(200);
    expect(await balance(m)).toBe(1_000);
    expect((await reinstate(m, o.id)).status).toBe(200);
    expect(await balance(m)).toBe(4_000);
  });

  it('refuses an order credited to nobody, a self-purchase that earned nothing, one refunded in full, and another brand’s or a malformed id', async () => {
    const m = await createMoneyBrand();
    const other = await createMoneyBrand();
    const none = await placeOrder(m, 10_000, { code: null });
    expect((await json<ErrorBody>(await decline(m, none.id))).error.code).toBe('order_not_credited');
    const own = await placeOrder(m, 10_000, { customerEmail: `${m.handle}@creators.test` });
    expect((await json<ErrorBody>(await decline(m, own.id))).error.code).toBe('order_earned_nothing');
    const full = await placeOrder(m, 10_000);
    expect((await storePost(m, '/v1/refunds', refund(full.orderId, 10_000))).status).toBe(201);
    expect((await json<ErrorBody>(await decline(m, full.id))).error.code).toBe('order_refunded_in_full');
    expect((await json<ErrorBody>(await reinstate(m, full.id))).error.code).toBe('not_declined');
    const theirs = await placeOrder(other, 10_000);
    for (const res of [await decline(m, theirs.id), await reinstate(m, theirs.id), await decline(m, 'cv_nope'), await decline(m, 'bad%20id!')]) {
      expect(res.status).toBe(404);
      expect((await json<ErrorBody>(res)).error.code).toBe('not_found');
    }
    expect(await rowCount('SELECT count(*) AS n FROM declined_commissions WHERE brand_id IN (?, ?)', m.brand.brandId, other.brand.brandId)).toBe(0);
  });

  it('refuses hostile bodies with 422, writing nothing', async () => {
    const m = await createMoneyBrand();
    const o = await placeOrder(m, 10_000);
    for (const body of [{}, { reason: 'typo' }, { reason: 1 }, { reason: 'fraud', note: 'x'.repeat(201) }, { reason: 'fraud', note: 'two\nlines' }, { reason: 'fraud', note: 'bell\u0007' }, { reason: 'fraud', note: 7 }, { reason: 'fraud', extra: true }, ['fraud'], null]) {
      const res = await decline(m, o.id, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
    }
    expect(await rowCount('SELECT count(*) AS n FROM declined_commissions WHERE brand_id = ?', m.brand.brandId)).toBe(0);
    expect(await balance(m)).toBe(1_000);
  });
});

describe('declining in the console, the creator portal and the outgoing webhooks', () => {
  it('the Orders page offers Decline to owners and managers, confirms what the creator loses, and Reinstate undoes it; viewers and finance are refused', async () => {
    const o = await consoleBrand('manager');
    const order = await placeOrder(o, 10_000);
    const page = await (await get('/console/orders', o.cookie)).text();
    expect(page).toContain(`href="/console/orders/${order.id}/decline"`);
    const confirm = await get(`/console/orders/${order.id}/decline`, o.cookie);
    expect(confirm.status).toBe(200);
    const html = await confirm.text();
    expect(html).toContain('Its commission, <strong>$10.00</strong> on this $100.00 order: taken back');
    expect(html).not.toContain('performance bonus');
    expect(html).toContain('name="reason"');
    // Hostile fields come back beside the form, writing nothing.
    expect((await post(`/console/orders/${order.id}/decline`, { key: fk(), reason: 'typo', note: 'x' }, { cookie: o.cookie })).status).toBe(422);
    expect((await post(`/console/orders/${order.id}/decline`, { key: fk(), reason: 'fraud', note: 'x'.repeat(201) }, { cookie: o.cookie })).status).toBe(422);
    expect((await post(`/console/orders/${order.id}/decline`, { key: fk(), reason: 'fraud', note: 'bell\u0007' }, { cookie: o.cookie })).status).toBe(422);
    expect((await post(`/console/orders/${order.id}/decline`, { reason: 'fraud' }, { cookie: o.cookie })).status).toBe(422);
    expect((await post(`/console/orders/${order.id}/decline`, { key: fk(), reason: 'fraud' }, { cookie: o.cookie, origin: 'https://evil.example' })).status).toBe(403);
    for (const role of ['viewer', 'finance'] as const) {
      const cookie = await signIn((await adminUser(o.brand.brandId, role)).email);
      expect((await get(`/console/orders/${order.id}/decline`, cookie)).status).toBe(403);
      expect((await post(`/console/orders/${order.id}/decline`, { key: fk(), reason: 'fraud' }, { cookie })).status).toBe(403);
      expect(await (await get('/console/orders', cookie)).text()).not.toContain('/decline"');
    }
    const other = await consoleBrand('owner');
    expect((await get(`/console/orders/${order.id}/decline`, other.cookie)).status).toBe(404);
    expect((await post(`/console/orders/${order.id}/decline`, { key: fk(), reason: 'fraud' }, { cookie: other.cookie })).status).toBe(404);
    expect(await rowCount('SELECT count(*) AS n FROM declined_commissions WHERE conversion_id = ?', order.id)).toBe(0);

    const form = { key: fk(), reason: 'test_order', note: 'Placed by our team' };
    const done = await post(`/console/orders/${order.id}/decline`, form, { cookie: o.cookie });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toContain('flash=declined');
    const declinedPage = await (await get(done.headers.get('location')!, o.cookie)).text();
    expect(declinedPage).toContain('Declined · Test order');
    expect(declinedPage).toContain(`action="/console/orders/${order.id}/reinstate"`);
    expect(await balance(o)).toBe(0);
    const activity = await (await get('/console/activity?area=money', o.cookie)).text();
    expect(activity).toContain('Order’s commission declined');
    expect(activity).toContain(`Order ${order.orderId}: Test order, “Placed by our team”`);

    const standing = /name="decline" value="([^"]+)"/.exec(declinedPage)![1]!;
    expect((await post(`/console/orders/${order.id}/reinstate`, { key: fk() }, { cookie: o.cookie })).status).toBe(422);
    expect((await post(`/console/orders/${order.id}/reinstate`, { key: fk(), decline: 'bad id!' }, { cookie: o.cookie })).status).toBe(422);
    const back = await post(`/console/orders/${order.id}/reinstate`, { key: fk(), decline: standing }, { cookie: o.cookie });
    expect(back.headers.get('location')).toContain('flash=reinstated');
    expect(await balance(o)).toBe(1_000);
    // The decline form sent again after the reinstatement declines nothing.
    expect((await post(`/console/orders/${order.id}/decline`, form, { cookie: o.cookie })).headers.get('location')).toContain('flash=declined_already');
    expect(await balance(o)).toBe(1_000);
    // Declined again: the first decline's Reinstate form, sent from a stale page, leaves the newer decline standing.
    expect((await decline(o, order.id, { reason: 'fraud' })).status).toBe(200);
    const stale = await post(`/console/orders/${order.id}/reinstate`, { key: fk(), decline: standing }, { cookie: o.cookie });
    expect(stale.headers.get('location')).toContain('flash=declined_again');
    expect(await balance(o)).toBe(0);
    expect(await rowCount('SELECT count(*) AS n FROM declined_commissions WHERE conversion_id = ? AND reinstated_at IS NULL', order.id)).toBe(1);
  });

  it('the confirmation states the commission, and the month’s bonus exactly when the decline takes it back, whichever order earned it', async () => {
    const o = await consoleBrand('owner', { paymentModel: 'hybrid', bonus: { thresholdMinor: 15_000, amountMinor: 2_000 } });
    const atStake = async (id: string) => {
      const html = await (await get(`/console/orders/${id}/decline`, o.cookie)).text();
      return html.match(/the month’s performance bonus, <strong>([^<]+)<\/strong>/)?.[1] ?? null;
    };
    const first = await placeOrder(o, 10_000);
    const awarded = await placeOrder(o, 10_000);
    expect(await rowCount("SELECT count(*) AS n FROM ledger_entries WHERE conversion_id = ? AND kind = 'bonus'", awarded.id)).toBe(1);
    // Either order keeps the month at its threshold, the one that reached it or not.
    expect([await atStake(first.id), await atStake(awarded.id)]).toEqual(['$20.00', '$20.00']);
    // With a third, neither does: the bonus stays, though the second order earned it.
    const third = await placeOrder(o, 10_000);
    expect([await atStake(first.id), await atStake(awarded.id), await atStake(third.id)]).toEqual([null, null, null]);
    // The third refunded by the store: the first keeps the month at it again, and what the page states is what the decline takes.
    expect((await storePost(o, '/v1/refunds', refund(third.orderId, 10_000))).status).toBe(201);
    expect(await atStake(first.id)).toBe('$20.00');
    const before = await balance(o);
    expect((await decline(o, first.id)).status).toBe(200);
    expect(before - (await balance(o))).toBe(1_000 + 2_000);
  });

  it('the creator sees the order as declined by the brand with the reason and note, not as refunded, and the Earnings page names it', async () => {
    const m = await signedInCreator();
    const order = await placeOrder(m, 10_000);
    expect((await decline(m, order.id, { reason: 'duplicate', note: 'Sent twice by the store' })).status).toBe(200);
    const stats = await (await get(`/stats/${m.enrollment.id}`, m.cookie)).text();
    expect(stats).toMatch(/Declined by [^<]+: Duplicate order — Sent twice by the store/);
    expect(stats).not.toContain('· refunded');
    expect(await (await get('/earnings', m.cookie)).text()).toContain('Declined by the brand');
    // Their data download names the entry as the Earnings page does, and the decline with its reason and note.
    const data = (await (await get('/account/data.json', m.cookie)).json()) as { ledger: { kind: string; amountMinor: number }[]; orders: { orderId: string; declines: { reason: string; note: string | null; reinstatedAt: string | null }[] }[] };
    expect(data.ledger.map((l) => [l.kind, l.amountMinor])).toEqual([
      ['commission', 1_000],
      ['declined', -1_000],
    ]);
    expect(data.orders.find((o) => o.orderId === order.orderId)!.declines).toEqual([expect.objectContaining({ reason: 'duplicate', note: 'Sent twice by the store', reinstatedAt: null })]);
  });

  it('gives endpoints that had every default event the two decline events (the migration), and leaves chosen lists alone', async () => {
    const m = await createMoneyBrand();
    const fifteen = ['conversion.created', 'conversion.attributed', 'conversion.reversed', 'refund.failed', 'submission.submitted', 'submission.reviewed', 'payout.closed', 'gift.shipped', 'gift.received', 'gift.declined', 'rights_extension.requested', 'rights_extension.accepted', 'rights_extension.declined', 'rights_extension.withdrawn', 'creator.erased'];
    const added = ['conversion.declined', 'conversion.reinstated'];
    const rows = { all: [...fifteen].reverse(), more: [...fifteen, 'gift.requested'], some: ['conversion.created', 'conversion.reversed'], done: [...fifteen, 'conversion.declined'] };
    const insert = env.DB.prepare("INSERT INTO webhook_endpoints (id, brand_id, url, description, secret_enc, events, enabled, created_at, updated_at) VALUES (?, ?, ?, '', 'x', ?, 0, 1, 1)");
    await env.DB.batch(Object.entries(rows).map(([name, events]) => insert.bind(`whe_m73_${name}_${m.brand.brandId}`, m.brand.brandId, `http://127.0.0.1:9/${name}`, JSON.stringify(events))));
    // Its data statement, the last, run twice.
    for (let i = 0; i < 2; i++) await env.DB.prepare(migration0075.split('--> statement-breakpoint').at(-1)!).run();
    const { results } = await env.DB.prepare("SELECT id, events FROM webhook_endpoints WHERE id LIKE 'whe_m73_%' AND brand_id = ?").bind(m.brand.brandId).all<{ id: string; events: string }>();
    expect(Object.fromEntries(results.map((r) => [r.id.split('_')[2], JSON.parse(r.events) as string[]]))).toEqual({ all: [...rows.all, ...added], more: [...rows.more, ...added], some: rows.some, done: rows.done });
  });

  it('tells subscribed endpoints once of a decline and once of its reinstatement', async () => {
    const m = await createMoneyBrand();
    expect((await m.brand.api('POST', '/api/admin/webhooks/endpoints', { url: 'http://127.0.0.1:9/hooks', events: ['conversion.declined', 'conversion.reinstated', 'conversion.reversed'] })).status).toBe(201);
    const order = await placeOrder(m, 10_000);
    await Promise.all([decline(m, order.id), decline(m, order.id)]);
    await reinstate(m, order.id);
    await reinstate(m, order.id);
    const { results } = await env.DB.prepare("SELECT type, payload FROM webhook_events WHERE brand_id = ? AND type LIKE 'conversion.%' ORDER BY created_at, id").bind(m.brand.brandId).all<{ type: string; payload: string }>();
    expect(results.map((r) => r.type)).toEqual(['conversion.declined', 'conversion.reinstated']);
    expect(JSON.parse(results[0]!.payload)).toMatchObject({ conversion: { id: order.id, orderId: order.orderId }, decline: { reason: 'test_order', note: 'Staff test order', by: { type: 'api_key' } }, reversal: { amountMinor: -1_000 } });
    expect(JSON.parse(results[1]!.payload)).toMatchObject({ givenBack: { amountMinor: 1_000 } });
    expect(await rowCount('SELECT count(*) AS n FROM webhook_deliveries WHERE brand_id = ?', m.brand.brandId)).toBe(2);
  });
});
