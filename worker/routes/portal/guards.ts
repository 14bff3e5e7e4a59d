// Guards shared by the creator portal and the brand console: same-origin forms and bounded form bodies.
import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import type { Context } from 'hono';
import type { AppEnv } from '../../env';
import { ApiError } from '../../lib/errors';

export const MAX_FORM_BYTES = 64 * 1024;

// Counts the bytes actually read, so a chunked body that declares no Content-Length is bounded too.
export const formLimit = (maxSize: number, message = 'That form is too large.') =>
  bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError(413, 'payload_too_large', message);
    },
  });

// Pages answer as pages; the API, ingestion, redirects and the SDK are machine-facing.
export const isPagePath = (path: string) => !/^\/(api|v1|r)\//.test(path) && path !== '/sdk.js' && path !== '/healthz';

// State-changing forms must come from our own pages: Origin must match, or (older browsers without
// Origin on same-origin posts) Sec-Fetch-Site must say same-origin. Anything else is a cross-site post.
export const sameOrigin = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.method === 'GET' || c.req.method === 'HEAD' || !isPagePath(c.req.path)) return next();
  const origin = c.req.header('origin');
  const self = new URL(c.req.url).origin;
  const ok = origin ? origin === self : c.req.header('sec-fetch-site') === 'same-origin';
  if (!ok) throw new ApiError(403, 'origin_mismatch', 'This form must be submitted from Chorus itself.');
  await next();
});

// Whether a page shows what it draws to the signed-in person, so opening it may mark their messages read: a GET (not a
// HEAD, as a link checker sends) loaded as the page itself (Sec-Fetch-Dest `document`, or absent in an older browser),
// not an image, frame or fetch. A link followed from webmail is a cross-site navigation and counts: the session
// cookie is SameSite=Lax, so another site could also open it, which marks one conversation read and nothing else.
export const seenByReader = (c: Context) => c.req.method === 'GET' && [undefined, 'document'].includes(c.req.header('sec-fetch-dest'));

// A same-origin form's fields: urlencoded, or multipart for uploads. Its size is bounded by the router's
// formLimit. A body that is not what its Content-Type says is the client's 400, never a 500.
export async function parseForm(c: Context, { all = false } = {}): Promise<Record<string, string | File | (string | File)[]>> {
  const type = c.req.header('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data')) {
    throw new ApiError(415, 'unsupported_media_type', 'Send the form as application/x-www-form-urlencoded or multipart/form-data.');
  }
  try {
    return await c.req.parseBody({ all });
  } catch (error) {
    // workerd's multipart parser throws a TypeError ("No initial boundary string"...); the body limit's
    // own error is not one, and reaches formLimit, which answers 413.
    if (error instanceof TypeError) throw new ApiError(400, 'malformed_form', 'The form could not be read. Go back and try again.');
    throw error;
  }
}

// The page's flash message for ?flash=, only from the table's own keys (`?flash=constructor` is no message).
export const flashOf = <T,>(table: Record<string, T>, c: Context): T | null => {
  const key = c.req.query('flash') ?? '';
  return Object.hasOwn(table, key) ? table[key]! : null;
};

// The text fields of a form (files are dropped).
export async function formBody(c: Context): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(await parseForm(c))) if (typeof v === 'string') out[k] = v;
  return out;
}

// Only our own pages: "/x" yes; "//evil.example" and "/\\evil.example" no, and never a tracked link or the API,
// however the path is spelled ("/console/../r/x", "/%2e%2e/r/x"): a brand chooses where its /r/ links lead, so
// a sign-in link could otherwise end on any site a brand allowed. Answered as the browser would resolve it.
export function safeNext(next: string | undefined, fallback: string): string {
  if (!next || !/^\/(?![/\\])[\x21-\x7e]*$/.test(next)) return fallback;
  const url = new URL(next, 'https://chorus.invalid');
  return url.origin === 'https://chorus.invalid' && isPagePath(url.pathname) ? url.pathname + url.search : fallback;
}

export function clientIp(c: Context<AppEnv>): string {
  return c.req.header('cf-connecting-ip') ?? 'unknown';
}

// The client's network for a limit a person should not get round by changing address: an IPv6 address's /64
// (one subscriber's whole prefix), an IPv4 address as it is.
export function clientNetwork(c: Context<AppEnv>): string {
  const ip = clientIp(c);
  if (!ip.includes(':')) return ip;
  const [head = '', tail] = ip.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
