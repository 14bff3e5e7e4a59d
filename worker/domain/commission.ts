// Commission tiers and reversals. Rounding rule (the only one): every amount is
// floor(basis × rateBps / 10000) in integer minor units, and a reversal moves the cumulative
// reversed amount to floor(commission × refunded / orderAmount), so reversals sum to the commission exactly.
import type { CommissionTier } from '../db/schema';

export type PricedCommission = { tier: number; rateBps: number; amountMinor: number };

// Tiers are sorted by fromMinor, the first starting at 0; tier numbers are 1-based.
// Net revenue below zero (refunds outweighing sales) still sits in the first tier.
export function tierAt(tiers: readonly CommissionTier[], revenueMinor: number): { tier: number; rateBps: number } {
  let found = { tier: 1, rateBps: tiers[0]?.rateBps ?? 0 };
  tiers.forEach((t, i) => {
    if (revenueMinor >= t.fromMinor) found = { tier: i + 1, rateBps: t.rateBps };
  });
  return found;
}

// A conversion earns the rate of the tier its creator reaches with it (prior net revenue in the period plus this order).
export function priceConversion(tiers: readonly CommissionTier[], priorRevenueMinor: number, amountMinor: number): PricedCommission {
  const { tier, rateBps } = tierAt(tiers, priorRevenueMinor + amountMinor);
  return { tier, rateBps, amountMinor: Math.floor((amountMinor * rateBps) / 10_000) };
}

export type ReversalInput = { commissionMinor: number; orderAmountMinor: number; refundedMinor: number; reversedMinor: number };

// refundedMinor: cumulative refunds including this one; reversedMinor: what earlier reversals already took back (>= 0).
export function reversalFor({ commissionMinor, orderAmountMinor, refundedMinor, reversedMinor }: ReversalInput): number {
  if (orderAmountMinor <= 0) return 0;
  // The product passes 2^53 for large orders (10^11 × 10^11), so it is exact in BigInt; the quotient is at most the commission.
  const target = Number((BigInt(commissionMinor) * BigInt(Math.min(refundedMinor, orderAmountMinor))) / BigInt(orderAmountMinor));
  return Math.max(0, target - reversedMinor);
}

export type TierProgress = {
  tier: number;
  rateBps: number;
  revenueMinor: number;
  next: { tier: number; rateBps: number; fromMinor: number; remainingMinor: number } | null;
  // Share of the way from the current tier's floor to the next tier's, 0..1.
  fraction: number;
};

export function tierProgress(tiers: readonly CommissionTier[], revenueMinor: number): TierProgress {
  const current = tierAt(tiers, revenueMinor);
  const nextTier = tiers[current.tier];
  const floor = tiers[current.tier - 1]?.fromMinor ?? 0;
  if (!nextTier) return { ...current, revenueMinor, next: null, fraction: 1 };
  const span = nextTier.fromMinor - floor;
  return {
    ...current,
    revenueMinor,
    next: { tier: current.tier + 1, rateBps: nextTier.rateBps, fromMinor: nextTier.fromMinor, remainingMinor: nextTier.fromMinor - revenueMinor },
    fraction: span > 0 ? Math.min(1, Math.max(0, (revenueMinor - floor) / span)) : 1,
  };
}

export function validTiers(tiers: readonly CommissionTier[]): boolean {
  return tiers.length > 0 && tiers[0]!.fromMinor === 0 && tiers.every((t, i) => i === 0 || t.fromMinor > tiers[i - 1]!.fromMinor);
}
