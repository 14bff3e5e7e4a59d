// Who gets credit for an order: a valid code beats a click inside the attribution window beats nobody.
import { DAY_MS } from './periods';

export type Attribution =
  | { kind: 'code'; enrollmentId: string }
  | { kind: 'click'; enrollmentId: string }
  | { kind: 'none' };

export type AttributionEvidence = {
  occurredAt: number;
  code: { enrollmentId: string; redeemable: boolean } | null;
  click: { enrollmentId: string; at: number; windowDays: number } | null;
};

export function attribute({ occurredAt, code, click }: AttributionEvidence): Attribution {
  if (code?.redeemable) return { kind: 'code', enrollmentId: code.enrollmentId };
  if (click && withinWindow(click.at, occurredAt, click.windowDays)) return { kind: 'click', enrollmentId: click.enrollmentId };
  return { kind: 'none' };
}

// The click must come before the order and no more than windowDays before it (inclusive).
export function withinWindow(clickAt: number, occurredAt: number, windowDays: number): boolean {
  return clickAt <= occurredAt && occurredAt - clickAt <= windowDays * DAY_MS;
}

// How long a campaign's subscription renewals, and its returning customers' orders, may earn; ten years covers
// "for the life of the subscription" (or of the customer).
export const MAX_EARN_MONTHS = 120;

// A payment made before `months` calendar months (UTC) have passed since the subscription started (or since the
// returning customer's first order): with 12, a monthly plan's first twelve payments earn, the thirteenth does not.
export function withinEarnMonths(startedAt: number, paidAt: number, months: number): boolean {
  if (months <= 0 || paidAt < startedAt) return false;
  const start = new Date(startedAt);
  const y = start.getUTCFullYear();
  const m = start.getUTCMonth() + months;
  // The same day of the month, or the month's last day where it has fewer (Jan 31 + 1 month: Feb 28 or 29).
  const day = Math.min(start.getUTCDate(), new Date(Date.UTC(y, m + 1, 0)).getUTCDate());
  return paidAt < Date.UTC(y, m, day) + (startedAt - Date.UTC(y, start.getUTCMonth(), start.getUTCDate()));
}
