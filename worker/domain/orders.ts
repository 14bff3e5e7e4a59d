// What a store tells us about an order or a refund, whichever door it came in by.

export type ConversionInput = {
  orderId: string;
  amountMinor: number;
  currency: string;
  occurredAt: number;
  code: string | null;
  clickId: string | null;
  customerRef: string | null;
};

export type RefundInput = { refundId: string; orderId: string; amountMinor: number; currency: string; occurredAt: number };
