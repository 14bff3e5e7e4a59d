// The brand's own settings: the hosts links may send shoppers to, where a stopped link sends them, the
// click-id parameter, and (until the first order) currency and timezone. Brands are created with
// `chorus brand create`; this is how a brand adds a new storefront domain without an operator.
import { eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { database } from '../../db/client';
import { brands } from '../../db/schema';
import { checkDestination, isValidHostRule } from '../../domain/destination';
import { isValidTimeZone } from '../../domain/periods';
import type { AppEnv } from '../../env';
import { forgetBrandSecrets } from '../../lib/brand-secrets';
import { ApiError, notFound } from '../../lib/errors';
import { newId } from '../../lib/ids';
import { iso, plainText, valid } from '../../lib/validate';
import { routeDescriber } from '../../openapi/registry';
import { Brand, dataOf } from '../../openapi/schemas';

// Names a store or a redirect already gives a meaning to: the server sets utm_* itself, and redirect-style
// parameters would read as an open redirect to anyone inspecting the link.
const RESERVED_PARAMS = /^(utm_.*|url|next|redir_url|redirect|return_to)$/;

export const updateBrand = z
  .strictObject({
    name: plainText(80).min(1),
    allowedHosts: z
      .array(
        z
          .string()
          .max(253)
          .transform((h) => h.trim().toLowerCase())
          .refine(isValidHostRule, 'A host (shop.example) or every subdomain of one (*.shop.example).'),
      )
      .min(1)
      .max(50)
      .transform((hosts) => [...new Set(hosts)]),
    fallbackUrl: z.string().max(2048).nullable(),
    clickParam: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,31}$/, 'Lowercase letters, digits and underscores, starting with a letter.')
      .refine((p) => !RESERVED_PARAMS.test(p), 'utm_* and redirect-style names are reserved.'),
    currency: z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code'),
    timezone: z.string().max(64).refine(isValidTimeZone, 'An IANA timezone, such as Europe/Berlin.'),
  })
  .partial();

export type BrandRow = typeof brands.$inferSelect;

export const brandView = (b: BrandRow) => ({
  id: b.id,
  slug: b.slug,
  name: b.name,
  allowedHosts: b.allowedHosts,
  fallbackUrl: b.fallbackUrl,
  clickParam: b.clickParam,
  currency: b.currency,
  timezone: b.timezone,
  createdAt: iso(b.createdAt),
});

// Money already recorded was priced, summed into tiers and put into periods in the current currency and
// timezone: changing either afterwards would mix units or move period edges under closed months.
const MONEY_RECORDED = '(EXISTS (SELECT 1 FROM conversions WHERE brand_id = ?) OR EXISTS (SELECT 1 FROM ledger_entries WHERE brand_id = ?))';

const COLUMNS = { name: 'name', allowedHosts: 'allowed_hosts', fallbackUrl: 'fallback_url', clickParam: 'click_param', currency: 'currency', timezone: 'timezone' } as const;


// Applies what changed and answers the brand as it now stands; the API and the console's settings page
// both write through here.
export async function updateBrandSettings(d1: D1Database, brandId: string, actor: { type: 'api_key' | 'admin_user'; id: string }, input: z.output<typeof updateBrand>): Promise<BrandRow> {
  const db = database(d1);
  const existing = await db.query.brands.findFirst({ where: eq(brands.id, brandId) });
  if (!existing) throw notFound('brand');
  const values = Object.fromEntries(Object.entries(input).filter(([key, value]) => value !== undefined && JSON.stringify(value) !== JSON.stringify(existing[key as keyof BrandRow]))) as typeof input;
  if (Object.keys(values).length === 0) return existing;
  const hosts = values.allowedHosts ?? existing.allowedHosts;
  const fallbackUrl = values.fallbackUrl !== undefined ? values.fallbackUrl : existing.fallbackUrl;
  if (fallbackUrl !== null && (values.fallbackUrl !== undefined || values.allowedHosts !== undefined)) {
    const check = checkDestination(fallbackUrl, hosts);
    if (!check.ok) throw new ApiError(422, 'invalid_destination', 'The fallback URL must be https on one of the allowed hosts.', { field: 'fallbackUrl', reason: check.reason });
    if (values.fallbackUrl !== undefined) values.fallbackUrl = check.url;
  }
  const moneyTerms = values.currency !== undefined || values.timezone !== undefined;
  const changed = Object.entries(values) as [keyof typeof COLUMNS, unknown][];
  // The guard is in the write itself, so an order landing between the read and the write still wins,
  // and the audit row is written only when the update was.
  const [, audit] = await d1.batch([
    d1.prepare(`UPDATE brands SET ${changed.map(([k]) => `${COLUMNS[k]} = ?`).join(', ')} WHERE id = ?${moneyTerms ? ` AND NOT ${MONEY_RECORDED}` : ''}`).bind(
      ...changed.map(([k, v]) => (k === 'allowedHosts' ? JSON.stringify(v) : v)),
      brandId,
      ...(moneyTerms ? [brandId, brandId] : []),
    ),
    d1.prepare("INSERT INTO audit_log (id, brand_id, actor_type, actor_id, action, target_type, target_id, details, at) SELECT ?, ?, ?, ?, 'brand.updated', 'brand', ?, ?, ? WHERE changes() > 0").bind(
      newId('aud'),
      brandId,
      actor.type,
      actor.id,
      brandId,
      JSON.stringify(values),
      Date.now(),
    ),
  ]);
  if (audit!.meta.changes === 0) {
    throw new ApiError(409, 'brand_in_use', 'Currency and timezone are fixed once the brand has recorded an order: its money was priced and put into periods with them.');
  }
  forgetBrandSecrets();
  return (await db.query.brands.findFirst({ where: eq(brands.id, brandId) })) ?? existing;
}

const op = routeDescriber({ tag: 'Brand', auth: 'adminKey' });

export const brandRoutes = new Hono<AppEnv>()
  .get('/', op({ summary: 'Get the brand settings', responses: { 200: { description: 'The brand.', schema: dataOf(Brand) } } }), async (c) => {
    const row = await database(c.env.DB).query.brands.findFirst({ where: eq(brands.id, c.var.admin.brandId) });
    if (!row) throw notFound('brand');
    return c.json({ data: brandView(row) });
  })
  .patch(
    '/',
    op({
      summary: 'Update the brand settings',
      description:
        'Send only what changes. Allowed hosts are checked when a link is created, so removing a host leaves existing links as they are (pause them to stop them). The fallback URL must be https on an allowed host. Links answer with a new click parameter or fallback within the link cache (LINK_CACHE_TTL_MS); orders of shoppers who clicked before a click-parameter change carry the old name. Currency and timezone can change only until the first order is recorded (409 `brand_in_use`).',
      example: { allowedHosts: ['fernway.example', '*.fernway.example', 'fernway-shop.example'], fallbackUrl: 'https://fernway.example/' },
      responses: { 200: { description: 'The updated brand.', schema: dataOf(Brand) } },
      errors: { 404: ['not_found'], 409: ['brand_in_use'], 422: ['invalid_destination'] },
    }),
    valid('json', updateBrand),
    async (c) => c.json({ data: brandView(await updateBrandSettings(c.env.DB, c.var.admin.brandId, { type: 'api_key', id: c.var.admin.keyId }, c.req.valid('json'))) }),
  );
