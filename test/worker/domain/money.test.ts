import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attribute, withinWindow } from '../../../worker/domain/attribution';
import { campaignStartsAtFor, codeFromPattern, codeStateIn, isBackToDraft, isRedeemable, normalizeCode, placementOpen } from '../../../worker/domain/codes';
import { MAX_AMOUNT_MINOR } from '../../../worker/db/money';
import { priceConversion, reversalFor, tierAt, tierProgress } from '../../../worker/domain/commission';
import { periodOf } from '../../../worker/domain/periods';

const TIERS = [
  { fromMinor: 0, rateBps: 1000 },
  { fromMinor: 100_000, rateBps: 1500 },
  { fromMinor: 500_000, rateBps: 2000 },
];

describe('normalizeCode', () => {
  it.each([
    ['SARAH15', 'SARAH15'],
    ['sarah15', 'SARAH15'],
    ['  Sarah15 ', 'SARAH15'],
    ['ＳＡＲＡＨ１５', 'SARAH15'], // full-width forms fold under NFKC
    ['SA\u200bRAH\u200d15\ufeff', 'SARAH15'], // zero-width space, joiner, BOM
    ['\u202eSARAH15', 'SARAH15'], // bidi override
    ['summer-sale_2', 'SUMMER-SALE_2'],
  ])('%s → %s', (raw, expected) => {
    expect(normalizeCode(raw)).toBe(expected);
  });

  it.each(['ΑSARAH15' /* Greek Alpha */, 'SАRAH15' /* Cyrillic A */, 'SARAH 15', 'AB', 'A'.repeat(33), 'SARAH15!', 'ŞARAH15', '', 'x'.repeat(300)])('rejects %s', (raw) => {
    expect(normalizeCode(raw)).toBeNull();
  });

  it('gives plain ASCII codes (its shortcut) the same form as the full NFKC path', () => {
    const plain = fc.stringMatching(/^[A-Za-z0-9_-]{3,32}$/);
    fc.assert(fc.property(plain, (raw) => normalizeCode(raw) === raw.normalize('NFKC').replace(/\p{Cf}/gu, '').trim().toUpperCase()));
  });

  it('builds codes from a pattern', () => {
    expect(codeFromPattern('{HANDLE}15', 'sarah')).toBe('SARAH15');
    expect(codeFromPattern('GLOW-{HANDLE}', 'priya_k')).toBe('GLOW-PRIYA_K');
  });

  it('knows when a code can be redeemed', () => {
    const base = { status: 'active' as const, startsAt: 1000, endsAt: 2000, maxRedemptions: 2, redemptions: 1 };
    expect(isRedeemable(base, 1500)).toBe(true);
    expect(isRedeemable(base, 999)).toBe(false);
    expect(isRedeemable(base, 2000)).toBe(false);
    expect(isRedeemable({ ...base, redemptions: 2 }, 1500)).toBe(false);
    expect(isRedeemable({ ...base, status: 'disabled' }, 1500)).toBe(false);
  });

  it('stops a code and a link together when the campaign ends or the creator is removed', () => {
    const base = { status: 'active' as const, startsAt: null, endsAt: 2000, maxRedemptions: null, redemptions: 0 };
    const open = { enrollmentStatus: 'active', enrollmentRemovedAt: null, campaignStatus: 'active', campaignStartsAt: null, campaignEndsAt: null };
    for (const placement of [open, { ...open, enrollmentStatus: 'paused' }, { ...open, campaignEndsAt: 3000 }]) {
      expect(isRedeemable(codeStateIn(base, placement), 1500)).toBe(true);
      expect(placementOpen(placement, 1500)).toBe(true);
    }
    for (const placement of [{ ...open, campaignStatus: 'ended' }, { ...open, enrollmentStatus: 'removed' }, { ...open, campaignEndsAt: 1500 }, { ...open, campaignStartsAt: 1600 }, { ...open, campaignStatus: 'draft' }]) {
      expect(isRedeemable(codeStateIn(base, placement), 1500)).toBe(false);
      expect(placementOpen(placement, 1500)).toBe(false);
    }
    // A dated removal ends the window as a campaign's end does: an order placed before it still earns.
    const removed = { ...open, enrollmentStatus: 'removed', enrollmentRemovedAt: 1600 };
    expect(isRedeemable(codeStateIn(base, removed), 1500)).toBe(true);
    expect(isRedeemable(codeStateIn(base, removed), 1600)).toBe(false);
    expect(placementOpen(removed, 1599)).toBe(true);
    expect(placementOpen(removed, 1600)).toBe(false);
    expect(codeStateIn(base, { ...removed, campaignEndsAt: 1550 }).endsAt).toBe(1550);
    // The campaign's end narrows the code's own window (folded in once, so a cached state needs no more work).
    expect(codeStateIn(base, { ...open, campaignEndsAt: 1000 }).endsAt).toBe(1000);
    expect(codeStateIn(base, { ...open, campaignEndsAt: 3000 }).endsAt).toBe(2000);
    expect(codeStateIn({ ...base, endsAt: null }, { ...open, campaignEndsAt: 3000 }).endsAt).toBe(3000);
    // And its start opens the code's window no earlier than the campaign: not redeemable the week before a launch.
    expect(isRedeemable(codeStateIn(base, { ...open, campaignStartsAt: 1600 }), 1500)).toBe(false);
    expect(isRedeemable(codeStateIn(base, { ...open, campaignStartsAt: 1500 }), 1500)).toBe(true);
    expect(codeStateIn({ ...base, startsAt: 1700 }, { ...open, campaignStartsAt: 1600 }).startsAt).toBe(1700);
    expect(codeStateIn({ ...base, startsAt: 1000 }, { ...open, campaignStartsAt: 1600 }).startsAt).toBe(1600);
    expect(codeStateIn(base, { ...open, campaignStartsAt: null }).startsAt).toBeNull();
  });

  it("dates a draft's start when it is launched or ended, unless a later start is set, and never reopens a draft", () => {
    const now = 10_000;
    expect(campaignStartsAtFor({ status: 'draft', startsAt: null }, { status: 'active' }, now, null)).toBe(now);
    expect(campaignStartsAtFor({ status: 'draft', startsAt: 4_000 }, { status: 'active' }, now, null)).toBe(now);
    expect(campaignStartsAtFor({ status: 'draft', startsAt: 20_000 }, { status: 'active' }, now, null)).toBeUndefined();
    expect(campaignStartsAtFor({ status: 'draft', startsAt: null }, { status: 'ended' }, now, now)).toBe(now);
    // Ended (or launched) with an end already past: it starts at that end, never after it.
    expect(campaignStartsAtFor({ status: 'draft', startsAt: null }, { status: 'ended' }, now, 6_000)).toBe(6_000);
    expect(campaignStartsAtFor({ status: 'draft', startsAt: 2_000 }, { status: 'active' }, now, 6_000)).toBe(6_000);
    for (const change of [{}, { status: 'draft' }]) expect(campaignStartsAtFor({ status: 'draft', startsAt: null }, change, now, null)).toBeUndefined();
    for (const status of ['active', 'ended']) expect(campaignStartsAtFor({ status, startsAt: null }, { status: 'active' }, now, null)).toBeUndefined();
    expect(isBackToDraft({ status: 'active' }, { status: 'draft' })).toBe(true);
    expect(isBackToDraft({ status: 'ended' }, { status: 'draft' })).toBe(true);
    expect(isBackToDraft({ status: 'draft' }, { status: 'draft' })).toBe(false);
    expect(isBackToDraft({ status: 'active' }, {})).toBe(false);
  });
});

describe('attribution', () => {
  const DAY = 86_400_000;
  it('prefers a valid code, then a click inside the window, then nobody', () => {
    const click = { enrollmentId: 'e-click', at: 0, windowDays: 30 };
    expect(attribute({ occurredAt: DAY, code: { enrollmentId: 'e-code', redeemable: true }, click })).toEqual({ kind: 'code', enrollmentId: 'e-code' });
    expect(attribute({ occurredAt: DAY, code: { enrollmentId: 'e-code', redeemable: false }, click })).toEqual({ kind: 'click', enrollmentId: 'e-click' });
    expect(attribute({ occurredAt: 31 * DAY, code: null, click })).toEqual({ kind: 'none' });
    expect(attribute({ occurredAt: DAY, code: null, click: null })).toEqual({ kind: 'none' });
  });

  it('includes the window edge and excludes clicks after the order', () => {
    expect(withinWindow(0, 30 * DAY, 30)).toBe(true);
    expect(withinWindow(0, 30 * DAY + 1, 30)).toBe(false);
    expect(withinWindow(10, 9, 30)).toBe(false);
    expect(withinWindow(10, 10, 30)).toBe(true);
  });
});

describe('commission tiers', () => {
  it('prices a conversion at the tier its creator reaches with it', () => {
    expect(priceConversion(TIERS, 0, 10_000)).toEqual({ tier: 1, rateBps: 1000, amountMinor: 1000 });
    expect(priceConversion(TIERS, 90_000, 9_999)).toEqual({ tier: 1, rateBps: 1000, amountMinor: 999 });
    expect(priceConversion(TIERS, 90_000, 10_000)).toEqual({ tier: 2, rateBps: 1500, amountMinor: 1500 });
    expect(priceConversion(TIERS, 499_999, 1)).toEqual({ tier: 3, rateBps: 2000, amountMinor: 0 });
    expect(priceConversion(TIERS, 0, 333)).toEqual({ tier: 1, rateBps: 1000, amountMinor: 33 }); // floor
  });

  it('reports progress to the next tier', () => {
    expect(tierProgress(TIERS, 68_000)).toEqual({ tier: 1, rateBps: 1000, revenueMinor: 68_000, next: { tier: 2, rateBps: 1500, fromMinor: 100_000, remainingMinor: 32_000 }, fraction: 0.68 });
    expect(tierProgress(TIERS, 600_000).next).toBeNull();
    expect(tierAt(TIERS, -5)).toEqual({ tier: 1, rateBps: 1000 });
  });

  it('never pays more than the rate and never drifts from floor(amount × rate / 10000)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 1, max: 100_000_000_000 }), (prior, amount) => {
        const priced = priceConversion(TIERS, prior, amount);
        expect(Number.isSafeInteger(priced.amountMinor)).toBe(true);
        expect(priced.amountMinor).toBe(Math.floor((amount * priced.rateBps) / 10_000));
        expect(priced.amountMinor * 10_000).toBeLessThanOrEqual(amount * priced.rateBps);
      }),
    );
  });
});

describe('reversals', () => {
  it('takes back the commission share of what was refunded, capped at the commission', () => {
    expect(reversalFor({ commissionMinor: 1000, orderAmountMinor: 10_000, refundedMinor: 2_500, reversedMinor: 0 })).toBe(250);
    expect(reversalFor({ commissionMinor: 1000, orderAmountMinor: 10_000, refundedMinor: 12_000, reversedMinor: 250 })).toBe(750);
    expect(reversalFor({ commissionMinor: 1000, orderAmountMinor: 10_000, refundedMinor: 15_000, reversedMinor: 1000 })).toBe(0);
  });

  it('sums to the commission on a full refund, whatever the partial refunds, and never exceeds it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.array(fc.integer({ min: 1, max: 5_000_000 }), { minLength: 1, maxLength: 12 }),
        (amount, rateBps, refunds) => {
          const commission = Math.floor((amount * rateBps) / 10_000);
          let refunded = 0;
          let reversed = 0;
          for (const r of refunds) {
            refunded += r;
            const step = reversalFor({ commissionMinor: commission, orderAmountMinor: amount, refundedMinor: refunded, reversedMinor: reversed });
            expect(step).toBeGreaterThanOrEqual(0);
            reversed += step;
            expect(reversed).toBeLessThanOrEqual(commission);
            expect(reversed).toBe(Math.floor((commission * Math.min(refunded, amount)) / amount));
          }
          const final = reversalFor({ commissionMinor: commission, orderAmountMinor: amount, refundedMinor: amount, reversedMinor: reversed });
          expect(reversed + final).toBe(commission);
        },
      ),
    );
  });
});

describe('money at the largest accepted amounts', () => {
  const amount = fc.oneof(fc.integer({ min: 1, max: MAX_AMOUNT_MINOR }), fc.integer({ min: MAX_AMOUNT_MINOR - 1_000, max: MAX_AMOUNT_MINOR }));

  it('prices within safe integers, equal to the BigInt reference', () => {
    fc.assert(
      fc.property(amount, fc.integer({ min: 0, max: 10_000 }), (amountMinor, rateBps) => {
        const priced = priceConversion([{ fromMinor: 0, rateBps }], 0, amountMinor);
        expect(priced.amountMinor).toBe(Number((BigInt(amountMinor) * BigInt(rateBps)) / 10_000n));
        expect(Number.isSafeInteger(amountMinor * rateBps)).toBe(true);
      }),
    );
  });

  it('reverses equal to the BigInt reference, where the product is past 2^53', () => {
    fc.assert(
      fc.property(amount, fc.integer({ min: 0, max: 10_000 }), amount, (orderAmountMinor, rateBps, refund) => {
        const commissionMinor = Number((BigInt(orderAmountMinor) * BigInt(rateBps)) / 10_000n);
        const refundedMinor = Math.min(refund, orderAmountMinor);
        const expected = Number((BigInt(commissionMinor) * BigInt(refundedMinor)) / BigInt(orderAmountMinor));
        expect(reversalFor({ commissionMinor, orderAmountMinor, refundedMinor, reversedMinor: 0 })).toBe(expected);
      }),
    );
    expect(reversalFor({ commissionMinor: 20_000_000_000, orderAmountMinor: MAX_AMOUNT_MINOR, refundedMinor: 33_333_333_333, reversedMinor: 0 })).toBe(6_666_666_666);
  });
});

describe('periods', () => {
  it('uses the calendar month in the brand timezone', () => {
    const at = Date.UTC(2026, 10, 1, 2, 0); // 2026-11-01T02:00Z
    expect(periodOf(at, 'UTC')).toBe('2026-11');
    expect(periodOf(at, 'America/New_York')).toBe('2026-10');
    expect(periodOf(at, 'Asia/Tokyo')).toBe('2026-11');
  });
});

describe('period bounds', () => {
  it('finds the month edges in the brand timezone', async () => {
    const { periodBounds } = await import('../../../worker/domain/periods');
    expect(periodBounds('2026-11', 'UTC')).toEqual({ start: Date.UTC(2026, 10, 1), end: Date.UTC(2026, 11, 1) });
    expect(periodBounds('2026-12', 'UTC').end).toBe(Date.UTC(2027, 0, 1));
    // New York: EDT (UTC-4) on Oct 1, EST (UTC-5) on Nov 1.
    expect(periodBounds('2026-10', 'America/New_York')).toEqual({ start: Date.UTC(2026, 9, 1, 4), end: Date.UTC(2026, 10, 1, 4) });
    expect(periodBounds('2026-11', 'America/New_York').end).toBe(Date.UTC(2026, 11, 1, 5));
    expect(periodBounds('2026-11', 'Asia/Tokyo').start).toBe(Date.UTC(2026, 9, 31, 15));
  });

  it('agrees with periodOf at every month edge, where DST skips midnight on the 1st too', async () => {
    const { periodBounds, periodOf } = await import('../../../worker/domain/periods');
    // Asuncion 2023-10-01: 00:00 local (UTC-4) jumps to 01:00 (UTC-3), so October starts at 04:00Z.
    expect(periodBounds('2023-09', 'America/Asuncion').end).toBe(Date.UTC(2023, 9, 1, 4));
    for (const tz of ['America/Asuncion', 'America/Havana', 'Asia/Gaza', 'America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Pacific/Chatham']) {
      for (let year = 2019; year <= 2027; year++) {
        for (let month = 1; month <= 12; month++) {
          const period = `${year}-${String(month).padStart(2, '0')}`;
          const { start } = periodBounds(period, tz);
          expect([periodOf(start - 1, tz), periodOf(start, tz)], `${tz} ${period}`).toEqual([month === 1 ? `${year - 1}-12` : `${year}-${String(month - 1).padStart(2, '0')}`, period]);
        }
      }
    }
  });
});
