// Decides whether a link destination is safe to redirect shoppers to: https only, on the brand's allowlist.

export type DestinationCheck = { ok: true; url: string } | { ok: false; reason: string };

export const MAX_URL_LENGTH = 2048;
// Controls, spaces and backslashes: browsers "repair" them in ways that differ from our parser.
export const UNSAFE_CHARS = /[\u0000-\u0020\u007f\\]/;

// A rule is an exact host ("shop.example") or every subdomain of one ("*.shop.example").
export function hostMatchesRule(host: string, rule: string): boolean {
  const r = rule.toLowerCase();
  if (r.startsWith('*.')) {
    const apex = r.slice(2);
    return host.endsWith(`.${apex}`) && host.length > apex.length + 1;
  }
  return host === r;
}

export function isValidHostRule(rule: string): boolean {
  return /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i.test(rule);
}

export function checkDestination(raw: string, allowedHosts: readonly string[]): DestinationCheck {
  if (raw.length > MAX_URL_LENGTH) return { ok: false, reason: 'too_long' };
  if (UNSAFE_CHARS.test(raw)) return { ok: false, reason: 'unsafe_characters' };
  // Require the literal scheme so "//host", "javascript:" and "data:" never reach the parser's fix-ups.
  if (!/^https:\/\/[^/]/i.test(raw)) return { ok: false, reason: 'https_required' };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (url.protocol !== 'https:') return { ok: false, reason: 'https_required' };
  if (url.username !== '' || url.password !== '' || raw.slice(8).split(/[/?#]/)[0]!.includes('@')) {
    return { ok: false, reason: 'userinfo_not_allowed' };
  }
  if (url.port !== '') return { ok: false, reason: 'port_not_allowed' };
  const host = url.hostname.toLowerCase();
  if (!allowedHosts.some((rule) => hostMatchesRule(host, rule))) return { ok: false, reason: 'host_not_allowed' };
  // Measured as stored: percent-encoding can triple a non-ASCII path, and a stored destination must pass
  // this check again when it is sent back or a link inherits it.
  const stored = url.toString();
  if (stored.length > MAX_URL_LENGTH) return { ok: false, reason: 'too_long' };
  return { ok: true, url: stored };
}
