// GET /v1/codes/:code for storefronts: a publishable key, a rate limit before any lookup, and one
// answer shape for every code that cannot be used, so the endpoint cannot be used to enumerate codes.
import { Hono } from 'hono';
import { isRedeemable, normalizeCode, type CodeState } from '../domain/codes';
import type { AppEnv, Env } from '../env';
import { ApiError } from '../lib/errors';
import { sha256Hex } from '../lib/digest';
import { TtlCache } from '../lib/ttl-cache';
import { routeDescriber } from '../openapi/registry';
import { CodeCheck } from '../openapi/schemas';

type StorefrontCode = CodeState & { code: string; discountType: 'percent' | 'fixed'; discountValue: number; handle: string };

const keys = new TtlCache<string | null>(1_000); // key hash -> brand id
const codes = new TtlCache<StorefrontCode | null>();

const INVALID = { valid: false } as const;

async function storefrontBrand(env: Env, key: string, now: number, ttl: number): Promise<string | null> {
  const hash = await sha256Hex(key);
  const hit = keys.get(hash, now);
  if (hit) return hit.value;
  const row = await env.DB.prepare("SELECT brand_id FROM api_keys WHERE key_hash = ? AND scope = 'storefront' AND revoked_at IS NULL").bind(hash).first<{ brand_id: string }>();
  return keys.set(hash, row?.brand_id ?? null, now, ttl);
}

async function lookupCode(env: Env, brandId: string, code: string, now: number, ttl: number): Promise<StorefrontCode | null> {
  const cacheKey = `${brandId}:${code}`;
  const hit = codes.get(cacheKey, now);
  if (hit) return hit.value;
  const row = await env.DB.prepare(
    `SELECT d.code, d.discount_type, d.discount_value, d.status, d.starts_at, d.ends_at, d.max_redemptions, d.redemptions, cr.handle
     FROM discount_codes d JOIN enrollments e ON e.id = d.enrollment_id JOIN creators cr ON cr.id = e.creator_id
     WHERE d.brand_id = ? AND d.code = ?`,
  )
    .bind(brandId, code)
    .first<{ code: string; discount_type: 'percent' | 'fixed'; discount_value: number; status: 'active' | 'disabled'; starts_at: number | null; ends_at: number | null; max_redemptions: number | null; redemptions: number; handle: string }>();
  const value = row
    ? { code: row.code, discountType: row.discount_type, discountValue: row.discount_value, status: row.status, startsAt: row.starts_at, endsAt: row.ends_at, maxRedemptions: row.max_redemptions, redemptions: row.redemptions, handle: row.handle }
    : null;
  return codes.set(cacheKey, value, now, ttl);
}

export function forgetCode(brandId: string, code: string): void {
  codes.delete(`${brandId}:${code}`);
}

const op = routeDescriber({ tag: 'Storefront', auth: 'storefrontKey' });

export const codeCheck = new Hono<AppEnv>().get(
  '/:code',
  op({
    summary: 'Check a discount code',
    description:
      "For the brand's checkout, with its publishable storefront key. Codes are matched case-insensitively after normalization. Answers the discount and the creator's handle only; unknown, expired, exhausted, disabled and other brands' codes all answer `{\"valid\": false}`, so the endpoint cannot be used to enumerate codes. Rate-limited per client IP and key.",
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
    const match = /^Bearer ([A-Za-z0-9_-]{16,128})$/.exec(c.req.header('authorization') ?? '');
    if (!match) throw new ApiError(401, 'unauthorized', 'Send a storefront key as a Bearer token.');
    const key = match[1]!;
    // Only Cloudflare's own connecting-IP header counts; X-Forwarded-For and friends are client-controlled.
    const ip = c.req.header('cf-connecting-ip') ?? 'unknown';
    const { success } = await c.env.CODE_CHECK_LIMITER.limit({ key: `${ip}|${key}` });
    if (!success) throw new ApiError(429, 'rate_limited', 'Too many code checks; slow down.', undefined, { 'Retry-After': '60' });
    const now = Date.now();
    const ttl = Number(c.env.CODE_CACHE_TTL_MS ?? 0);
    const brandId = await storefrontBrand(c.env, key, now, ttl);
    if (!brandId) throw new ApiError(401, 'unauthorized', 'That storefront key is not valid.');
    c.header('Cache-Control', 'no-store');
    const code = normalizeCode(c.req.param('code'));
    const found = code === null ? null : await lookupCode(c.env, brandId, code, now, ttl);
    if (!found || !isRedeemable(found, now)) return c.json(INVALID);
    return c.json({ valid: true, code: found.code, discount: { type: found.discountType, value: found.discountValue }, creator: { handle: found.handle } });
  },
);

export type CodeCheckApp = typeof codeCheck;
