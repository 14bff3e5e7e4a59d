// GET /healthz: for load balancers, deploy checks and `npm run dev`. Answers 200 only when D1 answers, and
// says how password links leave (lib/messages.ts) and what origin their links name (env.ts mailLinks), so a deploy
// without a mail provider or PUBLIC_ORIGIN shows it. Neither fails the check: the worker serves everything else.
import { Hono } from 'hono';
import { mailLinks, type AppEnv } from '../env';
import { ApiError } from '../lib/errors';
import { log } from '../lib/log';
import { mailSetup } from '../lib/messages';

export const health = new Hono<AppEnv>();

health.get('/', async (c) => {
  try {
    await c.env.DB.prepare('SELECT 1 AS ok').first();
  } catch (error) {
    log.error('health_check_failed', { check: 'd1', error });
    throw new ApiError(503, 'storage_unavailable', 'D1 is unreachable.', undefined, { 'Retry-After': '5', 'Cache-Control': 'no-store' });
  }
  const version = c.env.CF_VERSION_METADATA;
  return c.json(
    { ok: true, version: version?.id || null, commit: c.env.COMMIT_SHA || null, time: new Date().toISOString(), mail: mailSetup(c.env).kind, links: mailLinks(c.env) },
    200,
    { 'Cache-Control': 'no-store' },
  );
});
