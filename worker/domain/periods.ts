// Money periods are calendar months in the brand's timezone.

export const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

// One formatter per zone: building one costs far more than formatting with it.
function dateParts(at: number, timeZone: string): Intl.DateTimeFormatPart[] {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f.formatToParts(new Date(at));
}

const part = (parts: Intl.DateTimeFormatPart[], type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value;

export function periodOf(at: number, timeZone: string): string {
  const parts = dateParts(at, timeZone);
  return `${part(parts, 'year')}-${part(parts, 'month')}`;
}

// Days, like months, are the brand's: the calendar day (YYYY-MM-DD) an instant falls on in its timezone.
export function dayOf(at: number, timeZone: string): string {
  const parts = dateParts(at, timeZone);
  return `${part(parts, 'year')}-${part(parts, 'month')}-${part(parts, 'day')}`;
}

// The calendar day n days after (or before) a YYYY-MM-DD day: calendar arithmetic, whatever the zone.
export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

// A calendar day as a form sends it (YYYY-MM-DD), one that exists (no February 30th), in the years periods
// may name (isPeriod).
export const isDay = (day: string): boolean => /^2[01]\d{2}-\d{2}-\d{2}$/.test(day) && !Number.isNaN(Date.parse(`${day}T00:00:00Z`)) && addDays(day, 0) === day;

// An IANA zone name the runtime knows. Offsets ("+05:30"), which the runtime also takes, are not zones: they
// follow no daylight saving, and one such as "+00:07" would put a day's start off the quarter hours the
// daily charts count in (db/daily.ts).
export function isValidTimeZone(timeZone: string): boolean {
  if (!/^[A-Za-z]/.test(timeZone)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** The zone to count a brand's days in: its own, or UTC for one this runtime does not know (an older name). */
export const zoneOrUtc = (timeZone: string): string => (isValidTimeZone(timeZone) ? timeZone : 'UTC');

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

function offsetMs(at: number, timeZone: string): number {
  let f = offsetFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    offsetFormatters.set(timeZone, f);
  }
  const parts = f.formatToParts(new Date(at));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) - Math.floor(at / 1000) * 1000;
}

/** The wall-clock date and time (YYYY-MM-DDThh:mm:ss, to the second, no zone) an instant is in a timezone. */
export const localDateTimeOf = (at: number, timeZone: string): string => new Date(Math.floor(at / 1000) * 1000 + offsetMs(at, timeZone)).toISOString().slice(0, 19);

// The first instant `reached` holds for, near local midnight of the UTC date `guess`: local midnight is found
// from the offset re-read at the guess; where DST skips midnight (Asuncion, Havana, Gaza), it does not exist
// and the day starts at the jump, which a search between the two readings finds.
function firstInstant(guess: number, timeZone: string, reached: (at: number) => boolean): number {
  const first = guess - offsetMs(guess, timeZone);
  const start = guess - offsetMs(first, timeZone);
  if (reached(start) && !reached(start - 1)) return start;
  let [before, after] = reached(start) ? [start - 3 * 3_600_000, start] : [start, start + 3 * 3_600_000];
  while (after - before > 1) {
    const mid = before + Math.floor((after - before) / 2);
    if (reached(mid)) after = mid;
    else before = mid;
  }
  return after;
}

// The instant a calendar month starts in a timezone: the first instant periodOf places in it.
function monthStart(year: number, month0: number, timeZone: string): number {
  const month = `${String(year).padStart(4, '0')}-${String(month0 + 1).padStart(2, '0')}`;
  return firstInstant(Date.UTC(year, month0, 1), timeZone, (at) => periodOf(at, timeZone) >= month);
}

/** The instant a calendar day (YYYY-MM-DD) starts in a timezone: the first instant dayOf places on it. */
export function dayStart(day: string, timeZone: string): number {
  return firstInstant(Date.parse(`${day}T00:00:00Z`), timeZone, (at) => dayOf(at, timeZone) >= day);
}

/** The instant a calendar day ends in a timezone: the next day's start, the first instant not on it. */
export const dayEnd = (day: string, timeZone: string): number => dayStart(addDays(day, 1), timeZone);

// A month as YYYY-MM, from 2000 to 2199: nothing Chorus records is older, and a year 0000 or 9999 is a typo
// that would otherwise close (and write) a period nobody can have earned in.
export function isPeriod(period: string): boolean {
  return /^2[01]\d\d-(0[1-9]|1[0-2])$/.test(period);
}

/** The calendar year before the one `at` falls in, in a timezone: the year finance files for in January and February. */
export const previousYear = (at: number, timeZone: string): number => Number(periodOf(at, timeZone).slice(0, 4)) - 1;

export function periodBounds(period: string, timeZone: string): { start: number; end: number } {
  const [y, m] = period.split('-').map(Number) as [number, number];
  return { start: monthStart(y, m - 1, timeZone), end: monthStart(m === 12 ? y + 1 : y, m === 12 ? 0 : m, timeZone) };
}

/** Whether an instant falls in the years isDay takes (2000 to 2199): outside them a typed time is a typo. */
export const inDayYears = (ms: number): boolean => ms >= Date.UTC(2000, 0, 1) && ms < Date.UTC(2200, 0, 1);

// A calendar year as YYYY, in the years periods may name (isPeriod): the year-end totals' and creators' statements' `?year=`.
export const isYear = (raw: string): boolean => /^2[01]\d\d$/.test(raw);

/** The instants a calendar year starts and ends in a timezone. */
export function yearBounds(year: number, timeZone: string): { start: number; end: number } {
  return { start: periodBounds(`${year}-01`, timeZone).start, end: periodBounds(`${year}-12`, timeZone).end };
}
