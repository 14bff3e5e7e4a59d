// The last N calendar days of a brand, for the daily charts (the network's, a creator's own): the days in
// the brand's timezone, as clicks are rolled up (clicks.day) and months are priced, and the instants they
// start at. Orders are counted in SQL per quarter hour, since every timezone's days start on one, and each
// quarter is then placed on its day here.
import type { DailyPoint } from '../domain/network';
import { addDays, dayEnd, dayOf, dayStart, zoneOrUtc } from '../domain/periods';

export const QUARTER_HOUR_MS = 900_000;

export type ChartDays = {
  days: string[];
  /** When each day starts; `starts[0]` is the window's first instant. */
  starts: number[];
  /** When the day after the last starts: the window's end, exclusive. */
  end: number;
};

export function chartDays(now: number, brandZone: string, length = 30): ChartDays {
  const timeZone = zoneOrUtc(brandZone);
  const today = dayOf(now, timeZone);
  const days = Array.from({ length }, (_, i) => addDays(today, i - length + 1));
  return { days, starts: days.map((day) => dayStart(day, timeZone)), end: dayEnd(today, timeZone) };
}

/**
 * One point for every day of the window, zero-filled so the chart has no gaps: unique clicks by rollup day,
 * and conversions counted per quarter hour (`occurred_at / QUARTER_HOUR_MS`) summed onto the day each falls on.
 */
export function dailyPoints(clicks: { day: string; n: number }[], quarters: { quarter: number; n: number }[], window: ChartDays): DailyPoint[] {
  const byDay = new Map(clicks.map((r) => [r.day, r.n]));
  const points = window.days.map((day) => ({ day, clicks: byDay.get(day) ?? 0, conversions: 0 }));
  for (const { quarter, n } of quarters) {
    const at = quarter * QUARTER_HOUR_MS;
    if (at < window.starts[0]! || at >= window.end) continue;
    let i = window.starts.length - 1;
    while (i > 0 && window.starts[i]! > at) i--;
    points[i]!.conversions += n;
  }
  return points;
}
