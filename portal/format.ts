// Display formatting from integers: money is never divided as a float on its way to the page.
import type { CommissionStatus } from '../worker/db/conversion-list';
import { dayOf, zoneOrUtc } from '../worker/domain/periods';
import { daysUntilDue, dueDayOf } from '../worker/domain/content-due';
import { minorUnitsOf } from '../worker/domain/store-payloads';
import { maskTaxId } from '../worker/domain/tax-details';
export { formatAmount } from '../worker/domain/store-payloads';

const symbols = new Map<string, string>();

function symbolOf(currency: string): string {
  let s = symbols.get(currency);
  if (s === undefined) {
    const part = new Intl.NumberFormat('en', { style: 'currency', currency, currencyDisplay: 'narrowSymbol' }).formatToParts(0).find((p) => p.type === 'currency');
    s = part?.value ?? `${currency} `;
    symbols.set(currency, s);
  }
  return s;
}

const grouping = new Intl.NumberFormat('en');

export function formatMoney(minor: number, currency: string): string {
  const digits = minorUnitsOf(currency);
  const sign = minor < 0 ? '−' : '';
  const abs = Math.abs(minor);
  const scale = 10 ** digits;
  const whole = grouping.format(Math.floor(abs / scale));
  const frac = digits > 0 ? `.${String(abs % scale).padStart(digits, '0')}` : '';
  return `${sign}${symbolOf(currency)}${whole}${frac}`;
}

export const formatPercent = (bps: number) => `${bps % 100 === 0 ? bps / 100 : (bps / 100).toFixed(2)}%`;

/** A plan's tiers as people read them: "10%, 15% from $1,000.00, 20% from $5,000.00". */
export const tiersInWords = (tiers: readonly { fromMinor: number; rateBps: number }[], currency: string) =>
  tiers.map((t) => `${formatPercent(t.rateBps)}${t.fromMinor > 0 ? ` from ${formatMoney(t.fromMinor, currency)}` : ''}`).join(', ');

// The zone a brand's days are counted in, as people read it ("America/New York"): UTC for one the runtime
// does not know, as the counting does.
export const zoneLabel = (timeZone: string): string => zoneOrUtc(timeZone).replace(/_/g, ' ');

export function formatDate(ms: number | null, timeZone = 'UTC'): string {
  if (ms === null) return '—';
  return new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeZone }).format(new Date(ms));
}

// A time of day always names its zone ("Dec 4, 2026, 6:02 AM GMT+1"): a brand's team and its creators
// are rarely in one timezone, and a bare "6:02 AM" reads as the reader's own.
export function formatDateTime(ms: number, timeZone = 'UTC'): string {
  return new Intl.DateTimeFormat('en', { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short', timeZone }).format(new Date(ms));
}

// A due date as the day it falls on the brand's calendar (domain/content-due.ts): "Fri 12 Dec", with the year
// when it is not this year's ("Fri, 12 Dec 2027").
const dueDays = new Map<boolean, Intl.DateTimeFormat>();
/** A time of day on the brand's clock, 24-hour ("10:00"). */
export const formatTimeOfDay = (ms: number, timeZone: string): string =>
  new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', timeZone: zoneOrUtc(timeZone) }).format(new Date(ms));

export function formatDueDay(dueAt: number, timeZone: string, now = Date.now()): string {
  const zone = zoneOrUtc(timeZone);
  const day = dueDayOf(dueAt, zone);
  const withYear = day.slice(0, 4) !== dayOf(now, zone).slice(0, 4);
  let f = dueDays.get(withYear);
  if (!f) dueDays.set(withYear, (f = new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', ...(withYear ? { year: 'numeric' } : {}), timeZone: 'UTC' })));
  return f.format(new Date(`${day}T12:00:00Z`));
}

// How far off a due day is, from today on the brand's calendar: "today", "tomorrow", "in 6 days", "3 days ago".
export function dueInWords(dueAt: number, timeZone: string, now = Date.now()): string {
  const days = daysUntilDue(dueAt, zoneOrUtc(timeZone), now);
  if (days === 0) return 'today';
  if (days === 1) return 'tomorrow';
  if (days === -1) return 'yesterday';
  return days > 0 ? `in ${countOf(days, 'day')}` : `${countOf(-days, 'day')} ago`;
}

// A ledger period ("2026-12") as people say it: "December 2026".
export const formatPeriod = (period: string) =>
  /^\d{4}-\d{2}$/.test(period) ? new Intl.DateTimeFormat('en', { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${period}-01T00:00:00Z`)) : period;

// When money a brand added to a creator's month (a bonus, a bounty) is paid, as their Earnings page has it: at the
// brand's close of that month, or a later close while what they are owed is under its minimum payout.
export const laterCloseUnderMinimum = (minPayoutMinor: number, currency: string) =>
  minPayoutMinor > 0 ? ` (or a later close, while what you are owed is under its ${formatMoney(minPayoutMinor, currency)} minimum payout)` : '';
export const paidAtClose = (brandName: string, period: string, minPayoutMinor: number, currency: string) =>
  `It counts in ${formatPeriod(period)} and is paid when ${brandName} closes that month${laterCloseUnderMinimum(minPayoutMinor, currency)}.`;

export const formatCount = (n: number) => grouping.format(n);
// "1 share", "2 shares": a count with its noun, and its plural where adding an s is not it ("1 draft waits",
// "2 drafts wait").
export const countOf = (n: number, noun: string, plural = `${noun}s`) => `${grouping.format(n)} ${n === 1 ? noun : plural}`;

// The first `max` characters of a text and an ellipsis, cut by code points: a UTF-16 slice can split an emoji's
// surrogate pair, leaving half a character that renders as garbage.
export function clip(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length > max ? `${chars.slice(0, max).join('').trimEnd()}…` : text;
}

export const STORY_FORMAT_LABELS: Record<string, string> = {
  day_in_the_life: 'Day in the life',
  before_after: 'Before / after',
  problem_solution: 'Problem → solution',
};

// The badge a commission's status wears, on the console's orders and on a creator's own (each says it in
// its own words).
export const COMMISSION_BADGES: Record<CommissionStatus, string> = { holding: 'pending', available: 'approved', in_payout: 'submitted', paid: 'paid' };

export const STATUS_LABELS: Record<string, string> = {
  submitted: 'In review',
  changes_requested: 'Changes requested',
  approved: 'Approved',
  live: 'Live',
  rejected: 'Rejected',
  pending: 'Pending',
  paid: 'Paid',
  failed: 'Failed',
};

export const PAYMENT_MODEL_LABELS: Record<string, string> = {
  product: 'Product seeding',
  affiliate: 'Commission',
  flat: 'Flat fee',
  hybrid: 'Flat fee + commission',
};

export const ENROLLMENT_STATUS_LABELS: Record<string, string> = { invited: 'Invited', active: 'Active', paused: 'Paused', benched: 'Benched', removed: 'Removed' };

// What a creator's earnings are, by the kind creatorEarnings shows (a ledger kind, or one split out of it).
export const EARNING_KIND_LABELS: Record<string, string> = { commission: 'Commission', renewal_commission: 'Subscription renewal', returning_commission: 'Returning customer', reversal: 'Refund reversal', reversal_back: 'Refund reversal given back (the refund failed)', declined: 'Declined by the brand (its reason is on Stats)', declined_back: 'Declined order reinstated by the brand', flat_fee: 'Flat fee', flat_fee_back: 'Flat fee taken back (post not live)', bonus: 'Bonus', bonus_back: 'Bonus taken back (refunds or a declined order took the month below the target)', adjustment: 'From the brand' };

// A brand's allowed hosts as a creator reads them: "shop.example or one of its subdomains" for the pair of rules.
export function hostsInWords(hosts: readonly string[]): string {
  const bases = [...new Set(hosts.map((h) => h.replace(/^\*\./, '')))];
  return bases.map((b) => (hosts.includes(`*.${b}`) ? (hosts.includes(b) ? `${b} or one of its subdomains` : `a subdomain of ${b}`) : b)).join(', ');
}

export const PAYOUT_METHOD_LABELS: Record<string, string> = { paypal: 'PayPal', bank_transfer: 'Bank transfer (IBAN)', us_bank_account: 'US bank account (ACH)', wise: 'Wise' };

// Enough to recognise an account, not to use it: the first character and domain of an email; of an account number
// (an IBAN, or a US account's, which payoutAccountOf writes last after its routing number) the end a tax id shows,
// so a short number is never mostly shown.
export const maskAccount = (account: string) => {
  const at = account.indexOf('@');
  if (at > 0) return `${account[0]}•••${account.slice(at)}`;
  return maskTaxId(account.slice(account.lastIndexOf(' ') + 1));
};

// What a discount code gives a shopper: "15% off", "$10.00 off".
export const discountText = (type: string, value: number, currency: string) => (type === 'fixed' ? `${formatMoney(value, currency)} off` : `${value}% off`);

// Where a tracked link leads, short enough for a label: host and path, no scheme or query ("shop.example/serum").
export function linkTarget(destination: string): string {
  try {
    const u = new URL(destination);
    const path = u.pathname === '/' ? '' : u.pathname;
    // The query stays: two links to one product's variants (?variant=2) must not read alike.
    const text = `${u.host}${path}${u.search}`;
    return text.length > 60 ? `${text.slice(0, 59)}…` : text;
  } catch {
    return destination.slice(0, 60);
  }
}
