import { getCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import { SESSION_COOKIE } from '../../lib/sessions';
import { database } from '../../db/client';
import type { AppEnv } from '../../env';
import { findActiveKey } from '../../lib/api-keys';
import { ApiError } from '../../lib/errors';
import { usedBy } from '../../lib/last-used';

export const requireAdminKey = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header('authorization') ?? '';
  const match = /^Bearer ([A-Za-z0-9_-]+)$/i.exec(header);
  // A signed-in creator (or console user) is known but not allowed here: 403, not a login prompt.
  if (!match && getCookie(c, SESSION_COOKIE)) throw new ApiError(403, 'forbidden', 'The admin API needs an admin API key.');
  if (!match) throw new ApiError(401, 'unauthorized', 'Send an admin API key as a Bearer token.', undefined, { 'WWW-Authenticate': 'Bearer' });
  const key = await findActiveKey(database(c.env.DB), match[1]!);
  if (!key) throw new ApiError(401, 'unauthorized', 'That API key is not valid.', undefined, { 'WWW-Authenticate': 'Bearer' });
  if (key.scope !== 'admin') throw new ApiError(403, 'forbidden', 'This key does not have the admin scope.');
  usedBy(c, 'key', key.id);
  c.set('admin', { brandId: key.brandId, keyId: key.id });
  await next();
});
