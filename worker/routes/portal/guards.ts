// Guards shared by the creator portal and the brand console: same-origin forms and bounded form bodies.
import { createMiddleware } from 'hono/factory';
import type { Context } from 'hono';
import type { AppEnv } from '../../env';
import { ApiError } from '../../lib/errors';

const MAX_FORM_BYTES = 64 * 1024;

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

export async function formBody(c: Context<AppEnv>): Promise<Record<string, string>> {
  const length = Number(c.req.header('content-length') ?? '0');
  if (length > MAX_FORM_BYTES) throw new ApiError(413, 'payload_too_large', 'That form is too large.');
  const type = c.req.header('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data')) {
    throw new ApiError(415, 'unsupported_media_type', 'Send the form as application/x-www-form-urlencoded.');
  }
  const body = await c.req.parseBody();
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === 'string') out[k] = v;
  return out;
}

// Only local paths: "/x" yes, "//evil.example" and "/\\evil.example" no.
export function safeNext(next: string | undefined, fallback: string): string {
  return next && /^\/(?![/\\])[\x21-\x7e]*$/.test(next) ? next : fallback;
}

export function clientIp(c: Context<AppEnv>): string {
  return c.req.header('cf-connecting-ip') ?? 'unknown';
}
