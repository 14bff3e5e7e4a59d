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
