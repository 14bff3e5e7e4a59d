import { and, desc, eq, isNull } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { auditIfChanged, auditRow, writeAudited, type Actor } from '../../db/audit';
import { database } from '../../db/client';
import { apiKeys, auditLog, brandIntegrations } from '../../db/schema';
import type { AppEnv, Env } from '../../env';
import { apiKeyRow, generateApiKey } from '../../lib/api-keys';
import { forgetBrandSecrets, MAX_BRANDS_PER_ACCOUNT } from '../../lib/brand-secrets';
import { ApiError, notFound } from '../../lib/errors';
import { newId } from '../../lib/ids';
import { sealSecret } from '../../lib/secrets';
import { iso, plainText, valid } from '../../lib/validate';
import { routeDescriber } from '../../openapi/registry';
import { ApiKey, dataOf, Integration, listOf, NewApiKey } from '../../openapi/schemas';
import { forgetStorefrontKeys } from '../codes';

// An expiry is optional (a contractor's key, a key for one campaign): in the future and within five years.
const MAX_KEY_LIFETIME_MS = 5 * 366 * 86_400_000;
export const createKey = z.strictObject({
  scope: z.enum(['storefront', 'ingest', 'admin']),
  name: plainText(80).min(1),
  expiresAt: z.iso
    .datetime({ offset: true })
    .transform((s) => Date.parse(s))
    .refine((at) => at > Date.now() && at <= Date.now() + MAX_KEY_LIFETIME_MS, 'An expiry in the future, within five years.')
    .nullable()
    .default(null),
});

type KeyRow = typeof apiKeys.$inferSelect;

const keyView = (k: KeyRow) => ({ id: k.id, scope: k.scope, name: k.name, prefix: k.prefix, createdAt: iso(k.createdAt), revokedAt: iso(k.revokedAt), expiresAt: iso(k.expiresAt), lastUsedAt: iso(k.lastUsedAt) });

const op = routeDescriber({ tag: 'API keys and integrations', auth: 'adminKey' });

export const keyRoutes = new Hono<AppEnv>()
  .get('/', op({ summary: 'List API keys', description: 'Newest first; revoked keys included. The keys themselves are never shown again.', responses: { 200: { description: "The brand's keys.", schema: listOf(ApiKey) } } }), async (c) =>
    c.json({ data: await listApiKeys(c.env, c.var.admin.brandId) }),
  )
  .post(
    '/',
    op({
      summary: 'Create an API key',
      description:
        'Scopes: `storefront` (publishable, for GET /v1/codes/:code from the checkout), `ingest` (the secret that signs POST /v1/conversions and /v1/refunds) and `admin` (this API). The key is in the answer once; only its hash (and, for ingest secrets, a sealed copy to verify signatures) is stored. An optional `expiresAt` (in the future, within five years) ends the key then as a revoke would: admin keys at once, storefront and ingest keys within 10 seconds.',
      example: { scope: 'ingest', name: 'Checkout backend', expiresAt: null },
      responses: { 201: { description: 'Created; `key` is shown only here.', schema: dataOf(NewApiKey) } },
    }),
    valid('json', createKey),
    async (c) => {
      const { brandId, keyId } = c.var.admin;
      return c.json({ data: await createApiKey(c.env, brandId, { type: 'api_key', id: keyId }, c.req.valid('json')) }, 201);
    },
  )
  .delete(
    '/:id',
    op({
      summary: 'Revoke an API key',
      description:
        'Admin keys stop at once. Storefront and ingest keys are cached at the edge for speed: they stop at once where the revoke is handled, and everywhere within 10 seconds.',
      params: { id: 'The key id.' }, responses: { 200: { description: 'The revoked key.', schema: dataOf(ApiKey) } }, errors: { 404: ['not_found'] } }),
    async (c) => {
      const { brandId, keyId } = c.var.admin;
      return c.json({ data: await revokeApiKey(c.env, brandId, { type: 'api_key', id: keyId }, c.req.param('id')) });
    },
  );

export const createIntegration = z.strictObject({
  provider: z.enum(['shopify', 'stripe']),
  // Shopify: the shop's myshopify domain. Stripe: any name; the endpoint is /v1/webhooks/stripe/<account>.
  externalAccount: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,99}$/),
  secret: z.string().min(16).max(256),
});

type IntegrationRow = typeof brandIntegrations.$inferSelect;
const integrationView = (i: IntegrationRow) => ({ id: i.id, provider: i.provider, externalAccount: i.externalAccount, createdAt: iso(i.createdAt), lastUsedAt: iso(i.lastUsedAt) });

// A brand rotates a store's secret by connecting the new one, then disconnecting the old: two at a time.
const MAX_SECRETS_PER_ACCOUNT = 2;

export const integrationRoutes = new Hono<AppEnv>()
  .get('/', op({ summary: 'List connected stores', description: 'Oldest first. The secrets are never shown again.', responses: { 200: { description: "The brand's store connections.", schema: listOf(Integration) } } }), async (c) =>
    c.json({ data: await listStores(c.env, c.var.admin.brandId) }),
  )
  .post(
    '/',
    op({
      summary: 'Connect a store',
      description:
        "Connects a Shopify shop (`externalAccount` is its myshopify domain, `secret` the webhook signing secret) or a Stripe account (`externalAccount` is any name; its webhooks go to /v1/webhooks/stripe/<externalAccount>, `secret` is the endpoint's signing secret). The secret is sealed at rest, and it is what ties a webhook to this brand: a name another brand also connected gets only the webhooks this secret verifies. To rotate a secret, connect the new one, then disconnect the old; the store's webhooks verify against either in between (at most two per store).",
      example: { provider: 'shopify', externalAccount: 'fernway.myshopify.com', secret: 'shpss_0123456789abcdef0123456789abcdef' },
      responses: { 201: { description: 'Connected.', schema: dataOf(Integration) } },
      errors: { 409: ['too_many_secrets', 'account_crowded'] },
    }),
    valid('json', createIntegration),
    async (c) => {
      const { brandId, keyId } = c.var.admin;
      return c.json({ data: await connectStore(c.env, brandId, { type: 'api_key', id: keyId }, c.req.valid('json')) }, 201);
    },
  )
  .delete(
    '/:id',
    op({
      summary: 'Disconnect a store',
      description: "Its secret stops verifying at once in this isolate and within 10 seconds everywhere; the store's webhooks then answer 401 unless another secret is connected for it.",
      params: { id: 'The integration id.' },
      responses: { 200: { description: 'Disconnected.', schema: dataOf(Integration) } },
      errors: { 404: ['not_found'] },
    }),
    async (c) => {
      const { brandId, keyId } = c.var.admin;
      return c.json({ data: await disconnectStore(c.env, brandId, { type: 'api_key', id: keyId }, c.req.param('id')) });
    },
  );

// ---------- The work, shared with the console's Settings → Keys and stores ----------

export type KeyInput = z.output<typeof createKey>;
export type StoreInput = z.output<typeof createIntegration>;

export async function listApiKeys(env: Env, brandId: string) {
  return (await database(env.DB).select().from(apiKeys).where(eq(apiKeys.brandId, brandId)).orderBy(desc(apiKeys.createdAt))).map(keyView);
}

// With `distinctName` (the console) a name a live key has is refused, in the insert itself so that two parallel
// posts cannot both pass: a refresh of the page that showed a key posts its form again, and a second live key of
// that name would be one nobody holds.
export async function createApiKey(env: Env, brandId: string, actor: Actor, { scope, name, expiresAt }: KeyInput, distinctName = false) {
  const now = Date.now();
  const key = generateApiKey(scope);
  const row: KeyRow = { ...(await apiKeyRow(brandId, scope, key, name, now)), secretEnc: scope === 'ingest' ? await sealSecret(env.SECRETS_KEY, key) : null, revokedAt: null, expiresAt, lastUsedAt: null };
  const [insert] = await env.DB.batch([
    env.DB
      .prepare(
        `INSERT INTO api_keys (id, brand_id, scope, name, key_hash, prefix, secret_enc, created_at, revoked_at, expires_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, ?9
         WHERE NOT (?10 = 1 AND EXISTS (SELECT 1 FROM api_keys k WHERE k.brand_id = ?2 AND k.name = ?4 AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > ?8)))`,
      )
      .bind(row.id, brandId, scope, name, row.keyHash, row.prefix, row.secretEnc, now, expiresAt, distinctName ? 1 : 0),
    auditIfChanged(env.DB, { brandId, actorType: actor.type, actorId: actor.id, action: 'api_key.created', targetType: 'api_key', targetId: row.id, details: { scope } }, now),
  ]);
  if ((insert?.meta.changes ?? 0) === 0) {
    throw new ApiError(409, 'key_name_taken', `A live key is named “${name}” already (it is in the list). Give the new one another name, or revoke that one first.`);
  }
  forgetBrandSecrets();
  return { ...keyView(row), key };
}

export async function revokeApiKey(env: Env, brandId: string, actor: Actor, id: string) {
  const db = database(env.DB);
  const where = and(eq(apiKeys.id, id), eq(apiKeys.brandId, brandId), isNull(apiKeys.revokedAt));
  const existing = await db.query.apiKeys.findFirst({ where });
  if (!existing) throw notFound('API key');
  const now = Date.now();
  await db.batch([
    db.update(apiKeys).set({ revokedAt: now }).where(where),
    db.insert(auditLog).values(auditRow({ brandId, actorType: actor.type, actorId: actor.id, action: 'api_key.revoked', targetType: 'api_key', targetId: existing.id }, now)),
  ]);
  forgetBrandSecrets();
  forgetStorefrontKeys();
  return keyView({ ...existing, revokedAt: now });
}

export async function listStores(env: Env, brandId: string) {
  return (await database(env.DB).select().from(brandIntegrations).where(eq(brandIntegrations.brandId, brandId)).orderBy(brandIntegrations.createdAt, brandIntegrations.id)).map(integrationView);
}

export async function connectStore(env: Env, brandId: string, actor: Actor, input: StoreInput) {
  const db = database(env.DB);
  const same = and(eq(brandIntegrations.brandId, brandId), eq(brandIntegrations.provider, input.provider), eq(brandIntegrations.externalAccount, input.externalAccount));
  if ((await db.$count(brandIntegrations, same)) >= MAX_SECRETS_PER_ACCOUNT) {
    throw new ApiError(409, 'too_many_secrets', `This store already has ${MAX_SECRETS_PER_ACCOUNT} secrets connected; disconnect the old one first.`);
  }
  // A webhook tries at most MAX_BRANDS_PER_ACCOUNT brands (lib/brand-secrets.ts): past that, a brand would
  // connect and silently never receive one, so it is told now.
  const others = await env.DB.prepare('SELECT count(DISTINCT brand_id) AS n FROM brand_integrations WHERE provider = ? AND external_account = ? AND brand_id <> ?')
    .bind(input.provider, input.externalAccount, brandId)
    .first<{ n: number }>();
  if ((others?.n ?? 0) >= MAX_BRANDS_PER_ACCOUNT) {
    throw new ApiError(409, 'account_crowded', 'Too many brands have connected this store name; contact support to have it verified.');
  }
  const now = Date.now();
  const row: IntegrationRow = { id: newId('int'), brandId, provider: input.provider, externalAccount: input.externalAccount, secretEnc: await sealSecret(env.SECRETS_KEY, input.secret), createdAt: now, lastUsedAt: null };
  await writeAudited(db, db.insert(brandIntegrations).values(row), { brandId, actorType: actor.type, actorId: actor.id, action: 'integration.created', targetType: 'integration', targetId: row.id }, now);
  forgetBrandSecrets();
  return integrationView(row);
}

export async function disconnectStore(env: Env, brandId: string, actor: Actor, id: string) {
  const db = database(env.DB);
  const where = and(eq(brandIntegrations.id, id), eq(brandIntegrations.brandId, brandId));
  const existing = await db.query.brandIntegrations.findFirst({ where });
  if (!existing) throw notFound('integration');
  const now = Date.now();
  await writeAudited(db, db.delete(brandIntegrations).where(where), { brandId, actorType: actor.type, actorId: actor.id, action: 'integration.deleted', targetType: 'integration', targetId: existing.id }, now);
  forgetBrandSecrets();
  return integrationView(existing);
}
