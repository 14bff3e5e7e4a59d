// The ledger's SQL arithmetic at the largest amounts the system accepts, held to a BigInt reference.
import { env } from 'cloudflare:test';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recordConversion, recordRefund } from '../../../worker/db/conversions';
import { MAX_AMOUNT_MINOR, REVERSED_TARGET } from '../../../worker/db/money';
import { createMoneyBrand, json, rowCount, signedPost } from '../fixtures';

const floorMulDiv = (a: number, b: number, d: number) => Number((BigInt(a) * BigInt(b)) / BigInt(d));

// Stored amounts are INTEGER columns; D1 binds JS numbers as REAL, hence the casts.
const targetOf = (commission: number, refunded: number, order: number) =>
  env.DB.prepare(`SELECT ${REVERSED_TARGET} AS v, typeof(${REVERSED_TARGET}) AS t FROM (SELECT CAST(?1 AS INTEGER) AS commission, CAST(?2 AS INTEGER) AS refunded, CAST(?3 AS INTEGER) AS order_amount)`).bind(
    commission,
    refunded,
    order,
  );

// An order, its commission (any rate up to 100%) and a cumulative refund, leaning on the largest amounts.
const triple = fc
  .tuple(fc.oneof(fc.integer({ min: 1, max: MAX_AMOUNT_MINOR }), fc.integer({ min: MAX_AMOUNT_MINOR - 1_000_000, max: MAX_AMOUNT_MINOR })), fc.integer({ min: 0, max: 10_000 }), fc.double({ min: 0, max: 1, noNaN: true }))
  .map(([order, rateBps, share]) => ({ order, commission: floorMulDiv(order, rateBps, 10_000), refunded: Math.min(order, Math.round(order * share)) }));

describe('reversal arithmetic in SQL', () => {
  it('equals floor(commission × refunded / order) in BigInt, as an integer, up to MAX_AMOUNT_MINOR', async () => {
    const cases = [
      { commission: MAX_AMOUNT_MINOR, refunded: MAX_AMOUNT_MINOR, order: MAX_AMOUNT_MINOR },
      { commission: MAX_AMOUNT_MINOR - 1, refunded: MAX_AMOUNT_MINOR - 1, order: MAX_AMOUNT_MINOR },
      { commission: 20_000_000_000, refunded: 33_333_333_333, order: MAX_AMOUNT_MINOR },
      { commission: 0, refunded: MAX_AMOUNT_MINOR, order: MAX_AMOUNT_MINOR },
      { commission: 1, refunded: 1, order: 1 },
      ...fc.sample(triple, { numRuns: 500, seed: 20_261_120 }),
    ];
    const results = await env.DB.batch(cases.map((c) => targetOf(c.commission, c.refunded, c.order)));
    cases.forEach((c, i) => {
      expect(results[i]!.results[0], JSON.stringify(c)).toEqual({ v: floorMulDiv(c.commission, c.refunded, c.order), t: 'integer' });
    });
  });
});

describe('the ledger at the largest accepted amounts', () => {
  it('prices and reverses an order of MAX_AMOUNT_MINOR in exact integers that sum to zero on a full refund', async () => {
    const m = await createMoneyBrand();
    const orderId = `max-${Date.now()}`;
    const occurredAt = new Date().toISOString();
    const order = await signedPost(m.brand, m.ingestKey, '/v1/conversions', { orderId, amountMinor: MAX_AMOUNT_MINOR, currency: 'USD', occurredAt, code: m.code });
    expect((await json<{ data: { commission: { amountMinor: number; rateBps: number } } }>(order)).data.commission).toMatchObject({ amountMinor: 20_000_000_000, rateBps: 2000 });
    const reversals: number[] = [];
    for (const [i, amountMinor] of [33_333_333_333, 33_333_333_333, MAX_AMOUNT_MINOR - 66_666_666_666].entries()) {
      const res = await signedPost(m.brand, m.ingestKey, '/v1/refunds', { refundId: `${orderId}-r${i}`, orderId, amountMinor, currency: 'USD', occurredAt });
      reversals.push((await json<{ data: { reversal: { amountMinor: number } } }>(res)).data.reversal.amountMinor);
    }
    // floor(2·10^10 × 33,333,333,333 / 10^11) = 6,666,666,666; then to floor(… × 66,666,666,666 / 10^11); then the rest.
    expect(reversals).toEqual([-6_666_666_666, -6_666_666_667, -6_666_666_667]);
    const { results } = await env.DB.prepare('SELECT typeof(amount_minor) AS t, typeof(basis_minor) AS b FROM ledger_entries WHERE brand_id = ?').bind(m.brand.brandId).all();
    expect(results).toEqual(Array.from({ length: 4 }, () => ({ t: 'integer', b: 'integer' })));
    expect(await rowCount('SELECT SUM(amount_minor) AS n FROM ledger_entries WHERE brand_id = ?', m.brand.brandId)).toBe(0);
  });

  it('refuses a store order or refund above MAX_AMOUNT_MINOR (the API schema already does), writing nothing', async () => {
    const m = await createMoneyBrand();
    const brand = { id: m.brand.brandId, timezone: 'UTC', currency: 'USD' };
    const over = MAX_AMOUNT_MINOR + 1;
    const order = { orderId: `over-${Date.now()}`, amountMinor: over, currency: 'USD', occurredAt: Date.now(), code: m.code, clickId: null, customerRef: null };
    await expect(recordConversion(env.DB, brand, order, 'stripe')).rejects.toMatchObject({ status: 422, code: 'validation_failed' });
    await expect(recordRefund(env.DB, brand, { refundId: `r-${order.orderId}`, orderId: order.orderId, amountMinor: over, currency: 'USD', occurredAt: Date.now() }, 'stripe')).rejects.toMatchObject({
      status: 422,
      code: 'validation_failed',
    });
    expect(await rowCount('SELECT (SELECT count(*) FROM conversions WHERE brand_id = ?1) + (SELECT count(*) FROM refunds WHERE brand_id = ?1) AS n', m.brand.brandId)).toBe(0);
    const atCap = await recordConversion(env.DB, brand, { ...order, amountMinor: MAX_AMOUNT_MINOR }, 'stripe');
    expect(atCap.data.commission?.amountMinor).toBe(20_000_000_000);
  });
});
