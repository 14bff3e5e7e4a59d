// Money periods are calendar months in the brand's timezone.

export const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

export function periodOf(at: number, timeZone: string): string {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit' });
    formatters.set(timeZone, f);
  }
  const parts = f.formatToParts(new Date(at));
  const year = parts.find((p) => p.type === 'year')?.value;
  const month = parts.find((p) => p.type === 'month')?.value;
  return `${year}-${month}`;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone });
    return true;
  } catch {
    return false;
  }
}

function offsetMs(at: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(new Date(at));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) - Math.floor(at / 1000) * 1000;
}

// The instant a calendar month starts in a timezone: the first instant periodOf places in it. Local midnight
// is found from the offset re-read at the guess; where DST skips midnight on the 1st (Asuncion, Havana,
// Gaza), it does not exist and the month starts at the jump, which a search between the two readings finds.
function monthStart(year: number, month0: number, timeZone: string): number {
  const guess = Date.UTC(year, month0, 1);
  const first = guess - offsetMs(guess, timeZone);
  const start = guess - offsetMs(first, timeZone);
  const month = `${String(year).padStart(4, '0')}-${String(month0 + 1).padStart(2, '0')}`;
  const inMonth = (at: number) => periodOf(at, timeZone) >= month;
  if (inMonth(start) && !inMonth(start - 1)) return start;
  let [before, after] = inMonth(start) ? [start - 3 * 3_600_000, start] : [start, start + 3 * 3_600_000];
  while (after - before > 1) {
    const mid = before + Math.floor((after - before) / 2);
    if (inMonth(mid)) after = mid;
    else before = mid;
  }
  return after;
}

// A month as YYYY-MM, from 2000 to 2199: nothing Chorus records is older, and a year 0000 or 9999 is a typo
// that would otherwise close (and write) a period nobody can have earned in.
export function isPeriod(period: string): boolean {
  return /^2[01]\d\d-(0[1-9]|1[0-2])$/.test(period);
}

export function periodBounds(period: string, timeZone: string): { start: number; end: number } {
  const [y, m] = period.split('-').map(Number) as [number, number];
  return { start: monthStart(y, m - 1, timeZone), end: monthStart(m === 12 ? y + 1 : y, m === 12 ? 0 : m, timeZone) };
}
