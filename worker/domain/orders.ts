// What a store tells us about an order or a refund, whichever door it came in by.

// How far ahead of our clock an order or refund may be dated (a store's clock may run a little fast; more is a bug).
export const MAX_FUTURE_MS = 24 * 3_600_000;
// And how far back: nothing a store sells was ordered before 2000, and a period key (YYYY-MM) needs a
// four-digit year.
export const EARLIEST_OCCURRED_AT = Date.UTC(2000, 0, 1);

// A store's own order and refund ids: printable ASCII, as every store we take orders from writes them.
export const EXTERNAL_ID = /^[\x21-\x7e]{1,128}$/;

export type ConversionInput = {
  orderId: string;
  amountMinor: number;
  currency: string;
  occurredAt: number;
  code: string | null;
  clickId: string | null;
  customerRef: string | null;
  /** The customer's email as the store gave it: compared with the credited creator's, never stored (domain/self-purchase.ts). */
  customerEmail?: string | null;
};

export type RefundInput = { refundId: string; orderId: string; amountMinor: number; currency: string; occurredAt: number };

/** A refund the store says failed or was cancelled, and when. */
export type RefundFailureInput = { refundId: string; occurredAt: number };
