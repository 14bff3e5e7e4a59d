// The oracle on hand-worked examples from the documented rules (README "Money rules"), so a scenario that
// agrees with the worker is agreeing with the rules, not with a second copy of a mistake.
import { describe, expect, it } from 'vitest';
import { attributeOrder, clickCounts, closeMonth, priceLedger } from './oracle.mjs';

const TIERS = [
  { fromMinor: 0, rateBps: 1_000 },
  { fromMinor: 100_000, rateBps: 1_500 },
  { fromMinor: 500_000, rateBps: 2_000 },
];
const DAY = 86_400_000;
const at = Date.UTC(2026, 9, 10);

describe('oracle: tiers and reversals', () => {
  it('prices each order at the tier it reaches, and refunds move net revenue and claw back pro rata', () => {
    const orders = new Map([
      ['A', { amountMinor: 90_000, occurredAt: at, handle: 'ana' }],
      ['B', { amountMinor: 20_000, occurredAt: at + 1, handle: 'ana' }],
      ['C', { amountMinor: 10_000, occurredAt: at + 2, handle: 'ana' }],
    ]);
    const refunds = new Map([
      ['A-part', { orderId: 'A', amountMinor: 30_000, occurredAt: at + 3 }],
      ['A-rest', { orderId: 'A', amountMinor: 90_000, occurredAt: at + 4 }],
    ]);
    const entries = priceLedger({
      orders,
      refunds,
      tiers: TIERS,
      sequence: [
        { kind: 'commission', orderId: 'A' },
        { kind: 'commission', orderId: 'B' },
        { kind: 'reversal', refundId: 'A-part' },
        { kind: 'commission', orderId: 'C' },
        { kind: 'reversal', refundId: 'A-rest' },
      ],
    });
    expect(entries.map((e) => [e.kind, e.amountMinor, e.rateBps ?? null])).toEqual([
      ['commission', 9_000, 1_000], // 900.00 at 10 %
      ['commission', 3_000, 1_500], // 1,100.00 reached: 200.00 at 15 %
      ['reversal', -3_000, null], // a third of A refunded: floor(9,000 × 300 / 900)
      ['commission', 1_000, 1_000], // net 800.00 + 100.00 = 900.00: back in the first tier
      ['reversal', -6_000, null], // refunds capped at the order: the rest of A's commission, never more
    ]);
  });
});

describe('oracle: attribution and unique clicks', () => {
  const world = {
    windowDays: 30,
    codes: new Map([
      ['ANA15', { handle: 'ana', active: true, startsAt: null, endsAt: null }],
      ['OLD10', { handle: 'ana', active: true, startsAt: null, endsAt: at }],
    ]),
    clicks: new Map([
      ['cid-bo', { handle: 'bo', at: at - DAY, isBot: false }],
      ['cid-old', { handle: 'bo', at: at - 31 * DAY, isBot: false }],
    ]),
  };
  const order = (code: string | null, clickId: string | null) => ({ occurredAt: at + 1, code, clickId });

  it('lets a valid code beat a click in the window, which beats none', () => {
    expect(attributeOrder(order(' ana15\u200b', 'cid-bo'), world)).toEqual({ kind: 'code', handle: 'ana' });
    expect(attributeOrder(order('OLD10', 'cid-bo'), world)).toEqual({ kind: 'click', handle: 'bo' });
    expect(attributeOrder(order(null, 'cid-old'), world)).toEqual({ kind: 'none', handle: null });
  });

  it('counts a visitor (IP + user agent) once per link within an hour, and bots never', () => {
    const click = (ip: string, ua: string, t: number, isBot = false) => ({ linkSlug: 'l', ip, ua, at: at + t, isBot });
    const counts = clickCounts([click('1.1.1.1', 'a', 0), click('1.1.1.1', 'a', 59 * 60_000), click('1.1.1.1', 'b', 0), click('1.1.1.1', 'a', 120 * 60_000), click('2.2.2.2', 'a', 0, true)]);
    expect(counts.get('l')).toEqual({ clicks: 4, unique: 3, bots: 1 });
  });
});

describe('oracle: period close', () => {
  it('pays creators whose available entries net above zero and carries the rest forward', () => {
    const entries = [
      { handle: 'ana', kind: 'commission', amountMinor: 500, period: '2026-10', availableAt: at, orderId: 'A' },
      { handle: 'bo', kind: 'commission', amountMinor: 300, period: '2026-10', availableAt: at, orderId: 'B' },
      { handle: 'bo', kind: 'reversal', amountMinor: -300, period: '2026-10', availableAt: at, orderId: 'B' },
      { handle: 'ana', kind: 'commission', amountMinor: 700, period: '2026-11', availableAt: at + 40 * DAY, orderId: 'C' },
    ];
    const { payouts, carried } = closeMonth(entries, '2026-10');
    expect([...payouts]).toEqual([['ana', { commission: 500, reversals: 0, net: 500, conversions: 1 }]]);
    expect(carried.map((e) => e.orderId)).toEqual(['B', 'B', 'C']);
  });
});
