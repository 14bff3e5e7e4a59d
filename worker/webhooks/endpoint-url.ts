// Decides whether a brand's webhook URL is one Chorus may POST to: https to a public DNS name, in the
// style of domain/destination.ts. Local development and tests may also use http on the loopback address.
import { isValidHostRule, MAX_URL_LENGTH, UNSAFE_CHARS } from '../domain/destination';

export type WebhookUrlCheck = { ok: true; url: string } | { ok: false; reason: string };

// Names that only resolve inside someone's network; a brand's receiver must be reachable from the internet.
const PRIVATE_SUFFIXES = ['.localhost', '.local', '.internal', '.home.arpa'];
const LOOPBACK_HTTP = /^http:\/\/(127\.0\.0\.1|localhost)(:\d{1,5})?(\/|$)/i;

export const allowsLoopbackWebhooks = (environment: string) => environment === 'test' || environment === 'development';

export function checkWebhookUrl(raw: string, opts: { allowLoopbackHttp: boolean }): WebhookUrlCheck {
  if (raw.length > MAX_URL_LENGTH) return { ok: false, reason: 'too_long' };
  if (UNSAFE_CHARS.test(raw)) return { ok: false, reason: 'unsafe_characters' };
  const loopback = opts.allowLoopbackHttp && LOOPBACK_HTTP.test(raw);
  if (!loopback && !/^https:\/\/[^/]/i.test(raw)) return { ok: false, reason: 'https_required' };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (url.protocol !== (loopback ? 'http:' : 'https:')) return { ok: false, reason: 'https_required' };
  if (url.username !== '' || url.password !== '' || raw.replace(/^https?:\/\//i, '').split(/[/?#]/)[0]!.includes('@')) {
    return { ok: false, reason: 'userinfo_not_allowed' };
  }
  if (url.hash !== '') return { ok: false, reason: 'fragment_not_allowed' };
  const host = url.hostname.toLowerCase();
  // IP literals and single-label names fail the host rule (it wants a DNS name ending in a letter TLD).
  if (!loopback && (!isValidHostRule(host) || host.startsWith('*.') || PRIVATE_SUFFIXES.some((s) => host.endsWith(s)))) return { ok: false, reason: 'host_not_allowed' };
  return { ok: true, url: url.toString() };
}
