// Loads the secrets a brand signs inbound calls with. Cached per isolate briefly: a revoked or expired
// ingest key stops verifying within SECRET_CACHE_TTL_MS.
import type { Env } from '../env';
import { ACTIVE_KEY_SQL } from './api-keys';
import { openSecret } from './secrets';
import { TtlCache } from './ttl-cache';

export const SECRET_CACHE_TTL_MS = 10_000;

/** `secretIds[i]` names the ingest key or store connection `secrets[i]` belongs to (lib/last-used.ts). */
export type SigningBrand = { id: string; slug: string; timezone: string; currency: string; secrets: string[]; secretIds: string[] };

const bySlug = new TtlCache<SigningBrand | null>(1_000);

type BrandRow = { id: string; slug: string; timezone: string; currency: string };

async function withIngestSecrets(env: Env, brand: BrandRow, now: number): Promise<SigningBrand> {
  const { results } = await env.DB.prepare(`SELECT id, secret_enc FROM api_keys WHERE brand_id = ? AND scope = 'ingest' AND ${ACTIVE_KEY_SQL} AND secret_enc IS NOT NULL`)
    .bind(brand.id, now)
    .all<{ id: string; secret_enc: string }>();
  const secrets = await Promise.all(results.map((r) => openSecret(env.SECRETS_KEY, r.secret_enc)));
  return { ...brand, secrets, secretIds: results.map((r) => r.id) };
}

export async function ingestBrand(env: Env, slug: string): Promise<SigningBrand | null> {
  const now = Date.now();
  const hit = bySlug.get(slug, now);
  if (hit) return hit.value;
  const brand = await env.DB.prepare('SELECT id, slug, timezone, currency FROM brands WHERE slug = ?').bind(slug).first<BrandRow>();
  return bySlug.set(slug, brand ? await withIngestSecrets(env, brand, now) : null, now, SECRET_CACHE_TTL_MS);
}

// Shopify shops and Stripe endpoints carry their own webhook secret, kept in brand_integrations. An account
// name is not unique across brands (db/schema.ts): these are the brands that connected it, each with its
// secrets (two while it rotates one), oldest connection first, and the caller keeps the one whose secret
// verifies. Bounded, so a name many brands claimed cannot make one webhook cost many HMACs.
export const MAX_BRANDS_PER_ACCOUNT = 10;
const byIntegration = new TtlCache<SigningBrand[]>(1_000);

export async function integrationBrands(env: Env, provider: 'shopify' | 'stripe', account: string): Promise<SigningBrand[]> {
  const now = Date.now();
  const key = `${provider}:${account}`;
  const hit = byIntegration.get(key, now);
  if (hit) return hit.value;
  const { results } = await env.DB.prepare(
    `SELECT b.id, b.slug, b.timezone, b.currency, i.id AS integration_id, i.secret_enc FROM brand_integrations i JOIN brands b ON b.id = i.brand_id
     WHERE i.provider = ? AND i.external_account = ? ORDER BY i.created_at, i.id`,
  )
    .bind(provider, account)
    .all<BrandRow & { integration_id: string; secret_enc: string }>();
  const brands = new Map<string, SigningBrand>();
  for (const row of results) {
    const brand = brands.get(row.id) ?? (brands.size < MAX_BRANDS_PER_ACCOUNT ? { id: row.id, slug: row.slug, timezone: row.timezone, currency: row.currency, secrets: [], secretIds: [] } : null);
    if (!brand) continue;
    brand.secrets.push(await openSecret(env.SECRETS_KEY, row.secret_enc));
    brand.secretIds.push(row.integration_id);
    brands.set(row.id, brand);
  }
  return byIntegration.set(key, [...brands.values()], now, SECRET_CACHE_TTL_MS);
}

export function forgetBrandSecrets(): void {
  bySlug.clear();
  byIntegration.clear();
}
