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

export function isClickMessage(v: unknown): v is ClickMessage {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  return (
    typeof m.id === 'string' &&
    typeof m.brandId === 'string' &&
    typeof m.linkId === 'string' &&
    Number.isSafeInteger(m.at) &&
    typeof m.identityHash === 'string' &&
    typeof m.isBot === 'boolean' &&
    typeof m.device === 'string'
  );
}
