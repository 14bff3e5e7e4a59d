import { and, desc, eq, isNull } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { auditRow, writeAudited } from '../../db/audit';
import { database } from '../../db/client';
import { apiKeys, auditLog, brandIntegrations } from '../../db/schema';
import type { AppEnv } from '../../env';
import { apiKeyRow, generateApiKey } from '../../lib/api-keys';
import { forgetBrandSecrets } from '../../lib/brand-secrets';
import { ApiError, notFound } from '../../lib/errors';
import { newId } from '../../lib/ids';
import { sealSecret } from '../../lib/secrets';
import { iso, valid } from '../../lib/validate';

const createKey = z.strictObject({ scope: z.enum(['storefront', 'ingest', 'admin']), name: z.string().trim().min(1).max(80) });

type KeyRow = typeof apiKeys.$inferSelect;

const keyView = (k: KeyRow) => ({ id: k.id, scope: k.scope, name: k.name, prefix: k.prefix, createdAt: iso(k.createdAt), revokedAt: iso(k.revokedAt) });

export const keyRoutes = new Hono<AppEnv>();

keyRoutes.get('/', async (c) => {
  const rows = await database(c.env.DB).select().from(apiKeys).where(eq(apiKeys.brandId, c.var.admin.brandId)).orderBy(desc(apiKeys.createdAt));
  return c.json({ data: rows.map(keyView) });
});

// The key is shown once, here; only its hash (and, for ingest secrets, a sealed copy) is stored.
keyRoutes.post('/', valid('json', createKey), async (c) => {
  const { scope, name } = c.req.valid('json');
  const { brandId, keyId } = c.var.admin;
  const db = database(c.env.DB);
  const now = Date.now();
  const key = generateApiKey(scope);
  const row: KeyRow = { ...(await apiKeyRow(brandId, scope, key, name, now)), secretEnc: scope === 'ingest' ? await sealSecret(c.env.SECRETS_KEY, key) : null, revokedAt: null };
  await writeAudited(db, db.insert(apiKeys).values(row), { brandId, actorType: 'api_key', actorId: keyId, action: 'api_key.created', targetType: 'api_key', targetId: row.id, details: { scope } }, now);
  forgetBrandSecrets();
  return c.json({ data: { ...keyView(row), key } }, 201);
});

keyRoutes.delete('/:id', async (c) => {
  const { brandId, keyId } = c.var.admin;
  const db = database(c.env.DB);
  const where = and(eq(apiKeys.id, c.req.param('id')), eq(apiKeys.brandId, brandId), isNull(apiKeys.revokedAt));
  const existing = await db.query.apiKeys.findFirst({ where });
  if (!existing) throw notFound('API key');
  const now = Date.now();
  await db.batch([
    db.update(apiKeys).set({ revokedAt: now }).where(where),
    db.insert(auditLog).values(auditRow({ brandId, actorType: 'api_key', actorId: keyId, action: 'api_key.revoked', targetType: 'api_key', targetId: existing.id }, now)),
  ]);
  forgetBrandSecrets();
  return c.json({ data: keyView({ ...existing, revokedAt: now }) });
});

const createIntegration = z.strictObject({
  provider: z.enum(['shopify', 'stripe']),
  // Shopify: the shop's myshopify domain. Stripe: any name; the endpoint is /v1/webhooks/stripe/<account>.
  externalAccount: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,99}$/),
  secret: z.string().min(16).max(256),
});

export const integrationRoutes = new Hono<AppEnv>();

integrationRoutes.post('/', valid('json', createIntegration), async (c) => {
  const input = c.req.valid('json');
  const { brandId, keyId } = c.var.admin;
  const db = database(c.env.DB);
  const now = Date.now();
  const row = { id: newId('int'), brandId, provider: input.provider, externalAccount: input.externalAccount, secretEnc: await sealSecret(c.env.SECRETS_KEY, input.secret), createdAt: now };
  await writeAudited(db, db.insert(brandIntegrations).values(row), { brandId, actorType: 'api_key', actorId: keyId, action: 'integration.created', targetType: 'integration', targetId: row.id }, now, () =>
    new ApiError(409, 'account_taken', 'That store account is already connected.'),
  );
  forgetBrandSecrets();
  return c.json({ data: { id: row.id, provider: row.provider, externalAccount: row.externalAccount, createdAt: iso(now) } }, 201);
});
