// What a click is on its way from the redirect to D1, and the facts derived from the request.

export type DeviceClass = 'mobile' | 'tablet' | 'desktop' | 'unknown';

export type ClickMessage = {
  id: string;
  brandId: string;
  linkId: string;
  at: number;
  country: string | null;
  device: DeviceClass;
  referrerHost: string | null;
  identityHash: string;
  isBot: boolean;
};

// Two clicks by the same visitor on the same link less than this apart count once.
export const UNIQUE_WINDOW_MS = 60 * 60 * 1000;

export function deviceClass(userAgent: string | null): DeviceClass {
  if (!userAgent) return 'unknown';
  if (/ipad|tablet|kindle|silk/i.test(userAgent)) return 'tablet';
  if (/mobi|iphone|ipod|android/i.test(userAgent)) return 'mobile';
  return 'desktop';
}

// The host a click came from, as URL parsing gives it (lower case, IDNs in punycode), or null. Most
// referers are an http(s) origin with an ASCII name and no port (https://l.instagram.com/): that host is
// read from the string: in `npm run bench:ab`, with a Referer on every click, that cost about 1-3 µs less
// per redirect than parsing a URL. Anything else goes through URL: ports, userinfo, IPv6, percent-encoding,
// non-ASCII, other schemes (android-app://), and names URL rewrites (numeric IPv4 forms such as
// 0x7f.1, punycode it checks).
const PLAIN_REFERER = /^https?:\/\/([A-Za-z0-9.-]{1,253})(?:[/?#]|$)/;
const URL_REWRITES = /(?:^|\.)(?:\d+|0x[0-9a-f]*)\.?$|xn--/i;

export function referrerHost(referer: string | null): string | null {
  if (!referer) return null;
  const host = PLAIN_REFERER.exec(referer)?.[1];
  if (host !== undefined && !URL_REWRITES.test(host)) return host.toLowerCase();
  try {
    return new URL(referer).hostname.slice(0, 253) || null;
  } catch {
    return null;
  }
}

export function utcDay(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

// A click id as the redirect mints it (22 URL-safe characters) or as a store may echo it back: the shape
// the consumer stores and ingestion looks up.
export const CLICK_ID = /^[A-Za-z0-9_-]{16,64}$/;
// An ISO 3166 alpha-2 country as Cloudflare sends it (XX unknown, T1 Tor).
export const COUNTRY = /^[A-Z][A-Z0-9]$/;

// A click the consumer will write: the shape the redirect sends, with every field in the range it can
// produce, or null. A corrupt or forged message is dropped alone: a value D1 cannot take (a date past year
// 9999 has no rollup day, a country nested a thousand arrays deep breaks json_each) would otherwise fail
// the batch it came in, and every good click in it, on each redelivery. Only analytics read the country,
// so a country in another form (what the redirect queued before it checked) is stored as null and the
// click kept, as the redirect does.
const DEVICES = new Set<unknown>(['mobile', 'tablet', 'desktop', 'unknown'] satisfies DeviceClass[]);
// No click is older than Chorus; the redirect stamps Date.now(), so a click from the future is one another
// machine's clock cannot explain.
const FIRST_CLICK_AT = Date.UTC(2020, 0, 1);
const CLOCK_SKEW_MS = 60 * 60 * 1000;
const shortString = (v: unknown, max: number) => typeof v === 'string' && v.length > 0 && v.length <= max;

export function readClickMessage(v: unknown, now = Date.now()): ClickMessage | null {
  if (typeof v !== 'object' || v === null) return null;
  const m = v as Record<string, unknown>;
  const valid =
    typeof m.id === 'string' &&
    CLICK_ID.test(m.id) &&
    shortString(m.brandId, 64) &&
    shortString(m.linkId, 64) &&
    typeof m.at === 'number' &&
    Number.isSafeInteger(m.at) &&
    m.at >= FIRST_CLICK_AT &&
    m.at <= now + CLOCK_SKEW_MS &&
    DEVICES.has(m.device) &&
    (m.referrerHost === null || shortString(m.referrerHost, 253)) &&
    shortString(m.identityHash, 64) &&
    typeof m.isBot === 'boolean';
  if (!valid) return null;
  const click = m as ClickMessage;
  const country = typeof m.country === 'string' && COUNTRY.test(m.country) ? m.country : null;
  return country === click.country ? click : { ...click, country };
}
