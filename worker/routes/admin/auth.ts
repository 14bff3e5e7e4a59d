import { createMiddleware } from 'hono/factory';
import { database } from '../../db/client';
import type { AppEnv } from '../../env';
import { findActiveKey } from '../../lib/api-keys';
import { ApiError } from '../../lib/errors';

export const requireAdminKey = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header('authorization') ?? '';
  const match = /^Bearer ([A-Za-z0-9_-]+)$/.exec(header);
  if (!match) throw new ApiError(401, 'unauthorized', 'Send an admin API key as a Bearer token.', undefined, { 'WWW-Authenticate': 'Bearer' });
  const key = await findActiveKey(database(c.env.DB), match[1]!);
  if (!key) throw new ApiError(401, 'unauthorized', 'That API key is not valid.', undefined, { 'WWW-Authenticate': 'Bearer' });
  if (key.scope !== 'admin') throw new ApiError(403, 'forbidden', 'This key does not have the admin scope.');
  c.set('admin', { brandId: key.brandId, keyId: key.id });
  await next();
});
