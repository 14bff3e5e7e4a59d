// GET /v1/codes/:code for storefronts: a publishable key, a rate limit before any lookup, and one
// answer shape for every code that cannot be used, so the endpoint cannot be used to enumerate codes.
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { codeStateIn, isRedeemable, normalizeCode, type CodeState } from '../domain/codes';
import { hasSecrets, type AppEnv, type Env } from '../env';
import { ApiError, errorBody } from '../lib/errors';
import { requestIdFrom } from '../lib/log';
import { pathSegmentAfter } from '../lib/paths';
import { sha256Hex } from '../lib/digest';
import { TtlCache } from '../lib/ttl-cache';
import { routeDescriber } from '../openapi/registry';
import { CodeCheck } from '../openapi/schemas';
import { ACTIVE_KEY_SQL } from '../lib/api-keys';
import { noteUse, usedBy } from '../lib/last-used';

// `json` is the valid answer, serialized once when the code is read: a cached check sends it as it is.
type StorefrontCode = CodeState & { code: string; handle: string; json: string };

// Storefront keys are publishable (they ship in the brand's checkout script), so the isolate keys its
// cache by the key itself and hashes only to read D1: a cached check costs no digest.
type StorefrontKey = { brandId: string; keyId: string };
const keys = new TtlCache<StorefrontKey | null>(1_000); // storefront key -> its brand and id
// Keys D1 does not know, apart: a client cycling random keys cannot push real ones out of `keys`.
const unknownKeys = new TtlCache<null>(1_000);
const codes = new TtlCache<StorefrontCode | null>();

const INVALID_JSON = JSON.stringify({ valid: false });
const JSON_TYPE = 'application/json';
const BEARER = /^Bearer ([A-Za-z0-9_-]{16,128})$/i;

// A key this isolate does not hold costs a digest and a D1 read, so those reads are limited per client IP
// as well (the check's own limit is per IP and key, which a client sending a new random key each time
// never meets). An honest storefront's key misses once per cache lifetime.
async function storefrontKey(env: Env, headers: Headers, key: string, now: number, ttl: number): Promise<StorefrontKey | null> {
  const hit = keys.get(key, now) ?? unknownKeys.get(key, now);
  if (hit) return hit.value;
  if (!(await withinLimit(env, headers, KEY_LOOKUP))) throw rateLimited();
  const hash = await sha256Hex(key);
  const row = await env.DB.prepare(`SELECT id, brand_id FROM api_keys WHERE key_hash = ? AND scope = 'storefront' AND ${ACTIVE_KEY_SQL}`).bind(hash, now).first<{ id: string; brand_id: string }>();
  return row ? keys.set(key, { brandId: row.brand_id, keyId: row.id }, now, ttl) : unknownKeys.set(key, null, now, ttl);
}
// The limiter key for key lookups: not a valid key itself (keys are 16-128 URL-safe characters).
const KEY_LOOKUP = 'key lookup';

async function lookupCode(env: Env, brandId: string, code: string, now: number, ttl: number): Promise<StorefrontCode | null> {
  const cacheKey = `${brandId}:${code}`;
  const hit = codes.get(cacheKey, now);
  if (hit) return hit.value;
  const row = await env.DB.prepare(
    `SELECT d.code, d.discount_type, d.discount_value, d.status, d.starts_at, d.ends_at, d.max_redemptions, d.redemptions, cr.handle,
       e.status AS enrollment_status, e.removed_at AS enrollment_removed_at, c.status AS campaign_status, c.ends_at AS campaign_ends_at, c.starts_at AS campaign_starts_at
     FROM discount_codes d JOIN enrollments e ON e.id = d.enrollment_id JOIN brand_creators cr ON cr.brand_id = e.brand_id AND cr.creator_id = e.creator_id JOIN campaigns c ON c.id = e.campaign_id
     WHERE d.brand_id = ? AND d.code = ?`,
  )
    .bind(brandId, code)
    .first<{
      code: string;
      discount_type: 'percent' | 'fixed';
      discount_value: number;
      status: 'active' | 'disabled';
      starts_at: number | null;
      ends_at: number | null;
      max_redemptions: number | null;
      redemptions: number;
      handle: string;
      enrollment_status: string;
      enrollment_removed_at: number | null;
      campaign_status: string;
      campaign_ends_at: number | null;
      campaign_starts_at: number | null;
    }>();
  // An ended campaign or a removed creator takes effect within the cache's TTL, as an edited code does.
  const value = row
    ? {
        code: row.code,
        handle: row.handle,
        ...codeStateIn(
          { status: row.status, startsAt: row.starts_at, endsAt: row.ends_at, maxRedemptions: row.max_redemptions, redemptions: row.redemptions },
          { enrollmentStatus: row.enrollment_status, enrollmentRemovedAt: row.enrollment_removed_at, campaignStatus: row.campaign_status, campaignEndsAt: row.campaign_ends_at, campaignStartsAt: row.campaign_starts_at },
        ),
        json: JSON.stringify({ valid: true, code: row.code, discount: { type: row.discount_type, value: row.discount_value }, creator: { handle: row.handle } }),
      }
    : null;
  return codes.set(cacheKey, value, now, ttl);
}

export function forgetCode(brandId: string, code: string): void {
  codes.delete(`${brandId}:${code}`);
}

/** A revoked storefront key stops here at once; other isolates drop it within CODE_CACHE_TTL_MS. */
export function forgetStorefrontKeys(): void {
  keys.clear();
  unknownKeys.clear();
}

const op = routeDescriber({ tag: 'Storefront', auth: 'storefrontKey' });

// The check is meant for the shopper's browser (the key is publishable, the answer names no secret, and the
// limit is then per shopper): any origin may call it, without credentials, and a preflight is answered for a day.
const EXPOSED = ['Retry-After', 'Request-Id'];
const CORS_ORIGIN = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': EXPOSED.join(',') } as const;

export const codeCheck = new Hono<AppEnv>().use(cors({ origin: '*', allowMethods: ['GET'], allowHeaders: ['Authorization'], exposeHeaders: EXPOSED, maxAge: 86_400 })).get(
  '/:code',
  op({
    summary: 'Check a discount code',
    description:
      "For the brand's checkout, with its publishable storefront key. Codes are matched case-insensitively after normalization. Answers the discount and the creator's handle only; unknown, expired, exhausted, disabled and other brands' codes, and codes of a campaign that has ended or not yet started, or of a creator removed from it, all answer `{\"valid\": false}`, so the endpoint cannot be used to enumerate codes. Rate-limited per client IP and key, and key lookups per client IP: call it from the shopper's browser (any origin may, without credentials; preflights are answered), where the limit is each shopper's.",
    params: { code: 'The code as the shopper typed it.' },
    responses: {
      200: {
        description: 'Whether the code can be used now, and for what.',
        schema: CodeCheck,
        headers: { 'Cache-Control': 'no-store' },
      },
    },
  }),
  async (c) => {
    const match = BEARER.exec(c.req.header('authorization') ?? '');
    if (!match) throw new ApiError(401, 'unauthorized', 'Send a storefront key as a Bearer token.');
    const key = match[1]!;
    if (!(await withinLimit(c.env, c.req.raw.headers, key))) throw rateLimited();
    const now = Date.now();
    const ttl = Number(c.env.CODE_CACHE_TTL_MS ?? 0);
    const storefront = await storefrontKey(c.env, c.req.raw.headers, key, now, ttl);
    if (!storefront) throw new ApiError(401, 'unauthorized', 'That storefront key is not valid.');
    usedBy(c, 'key', storefront.keyId);
    const code = normalizeCode(c.req.param('code'));
    const found = code === null ? null : await lookupCode(c.env, storefront.brandId, code, now, ttl);
    return c.body(answerJson(found, now), 200, { 'Content-Type': JSON_TYPE, 'Cache-Control': 'no-store' });
  },
);

// Only Cloudflare's own connecting-IP header counts; X-Forwarded-For and friends are client-controlled.
// Taken before any lookup, and exactly once per check whichever path answers it.
async function withinLimit(env: Env, headers: Headers, key: string): Promise<boolean> {
  const ip = headers.get('cf-connecting-ip') ?? 'unknown';
  return (await env.CODE_CHECK_LIMITER.limit({ key: `${ip}|${key}` })).success;
}

const rateLimited = () => new ApiError(429, 'rate_limited', 'Too many code checks; slow down.', undefined, { 'Retry-After': '60' });

function answerJson(found: StorefrontCode | null, now: number): string {
  return found && isRedeemable(found, now) ? found.json : INVALID_JSON;
}

// The storefront hot path, taken before the router: a key and a code this isolate holds fresh. No router,
// no middleware stack, no digest, no D1: the limit, two cache reads and the answer. Anything else (an
// unknown key or code, a stale entry, a malformed request) returns null before the limit is taken and
// goes the full way above, which answers it as it always has.
export async function cachedCodeCheck(request: Request, method: string, url: string, env: Env, ctx: ExecutionContext): Promise<Response | null> {
  if (method !== 'GET') return null;
  const segment = pathSegmentAfter(url, '/v1/codes/');
  if (segment === null) return null;
  const key = BEARER.exec(request.headers.get('authorization') ?? '')?.[1];
  if (key === undefined) return null;
  const now = Date.now();
  const storefront = keys.get(key, now)?.value;
  if (!storefront) return null;
  const code = decodedCode(segment);
  if (code === undefined) return null;
  const found = code === null ? { value: null } : codes.get(`${storefront.brandId}:${code}`, now);
  if (!found || !hasSecrets(env)) return null;
  const requestId = requestIdFrom(request.headers);
  if (!(await withinLimit(env, request.headers, key))) {
    const error = rateLimited();
    return Response.json(errorBody(error.code, error.message), { status: 429, headers: { ...error.headers, ...CORS_ORIGIN, 'Request-Id': requestId } });
  }
  noteUse(env.DB, ctx, 'key', storefront.keyId, now);
  return new Response(answerJson(found.value, now), { headers: { 'Content-Type': JSON_TYPE, 'Cache-Control': 'no-store', ...CORS_ORIGIN, 'Request-Id': requestId } });
}

// The code as the router would see it: percent-decoded, then normalized (null: not a code); undefined
// when it does not decode, which the full path answers.
function decodedCode(segment: string): string | null | undefined {
  try {
    return normalizeCode(decodeURIComponent(segment));
  } catch {
    return undefined;
  }
}
