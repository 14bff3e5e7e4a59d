// Loads the secrets a brand signs inbound calls with. Cached per isolate briefly: a revoked ingest
// key stops verifying within SECRET_CACHE_TTL_MS.
import type { Env } from '../env';
import { openSecret } from './secrets';
import { TtlCache } from './ttl-cache';

export const SECRET_CACHE_TTL_MS = 10_000;

export type SigningBrand = { id: string; slug: string; timezone: string; currency: string; secrets: string[] };

const bySlug = new TtlCache<SigningBrand | null>(1_000);
const byIntegration = new TtlCache<SigningBrand | null>(1_000);

type BrandRow = { id: string; slug: string; timezone: string; currency: string };

async function withIngestSecrets(env: Env, brand: BrandRow): Promise<SigningBrand> {
  const { results } = await env.DB.prepare("SELECT secret_enc FROM api_keys WHERE brand_id = ? AND scope = 'ingest' AND revoked_at IS NULL AND secret_enc IS NOT NULL")
    .bind(brand.id)
    .all<{ secret_enc: string }>();
  const secrets = await Promise.all(results.map((r) => openSecret(env.SECRETS_KEY, r.secret_enc)));
  return { ...brand, secrets };
}

export async function ingestBrand(env: Env, slug: string): Promise<SigningBrand | null> {
  const now = Date.now();
  const hit = bySlug.get(slug, now);
  if (hit) return hit.value;
  const brand = await env.DB.prepare('SELECT id, slug, timezone, currency FROM brands WHERE slug = ?').bind(slug).first<BrandRow>();
  return bySlug.set(slug, brand ? await withIngestSecrets(env, brand) : null, now, SECRET_CACHE_TTL_MS);
}

// Shopify shops and Stripe endpoints carry their own webhook secret, kept in brand_integrations.
export async function integrationBrand(env: Env, provider: 'shopify' | 'stripe', account: string): Promise<SigningBrand | null> {
  const now = Date.now();
  const key = `${provider}:${account}`;
  const hit = byIntegration.get(key, now);
  if (hit) return hit.value;
  const row = await env.DB.prepare(
    `SELECT b.id, b.slug, b.timezone, b.currency, i.secret_enc FROM brand_integrations i JOIN brands b ON b.id = i.brand_id
     WHERE i.provider = ? AND i.external_account = ?`,
  )
    .bind(provider, account)
    .first<BrandRow & { secret_enc: string }>();
  const brand = row ? { id: row.id, slug: row.slug, timezone: row.timezone, currency: row.currency, secrets: [await openSecret(env.SECRETS_KEY, row.secret_enc)] } : null;
  return byIntegration.set(key, brand, now, SECRET_CACHE_TTL_MS);
}

export function forgetBrandSecrets(): void {
  bySlug.clear();
  byIntegration.clear();
}
