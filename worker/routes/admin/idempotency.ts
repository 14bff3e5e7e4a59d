// Idempotency-Key for the admin API's POSTs, as Stripe has it: a client that retries a create with the
// same key (after a timeout, a dropped connection, a 503) gets the first answer again instead of a second
// link, campaign or key.
//
// The key's row is inserted ('started') before the handler runs. Every D1 batch the handler runs carries
// one more statement that marks the row 'committed', so the mark lands in the same transaction as the
// request's writes: after a failure whose outcome the worker could not see (D1 answered an error after
// committing), a retry knows whether the writes landed. Then:
// - a 2xx JSON answer is kept ('done', sealed with SECRETS_KEY: some carry a new key or secret) and
//   replayed, with `Idempotent-Replayed: true`, for 24 hours;
// - a 4xx frees the key (the request was refused; guarded writes that changed nothing may have run), and
//   so does a 5xx that wrote nothing: the retry runs the request again;
// - a 5xx after a batch committed leaves the key 'committed': a retry answers 409
//   idempotency_key_committed (the request was applied, at least in part; its answer was lost) instead of
//   applying it twice;
// - the same key with another method, path or body is 409 idempotency_conflict (as an order id is on
//   ingestion), and a retry while the first attempt is still running is 409 idempotency_key_in_use.
// The routes here write in one batch, except REPEATABLE_POSTS (several steps, safe to repeat by design:
// the header is accepted and not used) and the payouts reconcile, which marks in chunks: a 5xx partway
// leaves its key 'committed', and re-running the same CSV with a new key marks only what is left.
import { createMiddleware } from 'hono/factory';
import type { AppEnv, Env } from '../../env';
import { aroundBatches } from '../../lib/d1-batches';
import { sha256Hex } from '../../lib/digest';
import { ApiError, storageUnavailable } from '../../lib/errors';
import { log } from '../../lib/log';
import { openSecret, sealSecret } from '../../lib/secrets';

export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

// Re-running these creates nothing twice: the import writes what is missing (and streams its progress),
// bulk codes skip existing codes, an invite or a reset issues a fresh single-use link, mailing a campaign's
// invitations mails no address twice within three days, a tracking file ships (and mails) each request once, and a
// copy with the same key names the same campaign (db/campaign-copy.ts) and invites only who is missing.
const REPEATABLE_POSTS = ['/api/admin/campaigns/:id/import', '/api/admin/campaigns/:id/copy', '/api/admin/campaigns/:id/invitations/mail', '/api/admin/campaigns/:id/gift-requests/ship', '/api/admin/codes/bulk', '/api/admin/creators/:id/invite', '/api/admin/creators/:id/password-reset'];
const repeatable = REPEATABLE_POSTS.map((path) => new RegExp(`^${path.replace(/:[a-zA-Z]+/g, '[^/]+')}$`));
const isRepeatable = (path: string) => repeatable.some((route) => route.test(path));
// For the OpenAPI document and its conformance check (Hono's route syntax matches the same patterns).
export const takesIdempotencyKey = (method: string, path: string) => method === 'POST' && path.startsWith('/api/admin/') && !isRepeatable(path);
// An attempt still 'started' after this long died without writing (a handler is far quicker): taken over.
const ABANDONED_AFTER_MS = 60_000;
// Larger answers are not kept (sealed, base64 makes them a third larger; D1 takes 2 MB a value): a retry
// then answers 409 idempotency_key_committed.
const MAX_KEPT_BYTES = 256 * 1024;

type KeyRow = { fingerprint: string; status: 'started' | 'committed' | 'done'; response_status: number | null; response_body: string | null; created_at: number };

const CLAIM = `INSERT INTO idempotency_keys (brand_id, key, fingerprint, status, created_at) VALUES (?1, ?2, ?3, 'started', ?4)
ON CONFLICT(brand_id, key) DO UPDATE SET fingerprint = excluded.fingerprint, created_at = excluded.created_at
  WHERE idempotency_keys.status = 'started' AND idempotency_keys.created_at < ?5 AND idempotency_keys.fingerprint = excluded.fingerprint`;
const READ = 'SELECT fingerprint, status, response_status, response_body, created_at FROM idempotency_keys WHERE brand_id = ?1 AND key = ?2';
const MARK_COMMITTED = "UPDATE idempotency_keys SET status = 'committed' WHERE brand_id = ?1 AND key = ?2 AND status = 'started'";

export const idempotentPosts = createMiddleware<AppEnv>(async (c, next) => {
  const key = c.req.header('idempotency-key');
  const path = new URL(c.req.url).pathname;
  if (c.req.method !== 'POST' || key === undefined || isRepeatable(path)) return next();
  if (!IDEMPOTENCY_KEY.test(key)) throw new ApiError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 1 to 255 visible ASCII characters.');
  const { brandId } = c.var.admin;
  const db = c.env.DB;
  const fingerprint = await sha256Hex(`POST ${path}\n${await c.req.text()}`);
  const now = Date.now();
  const [claim, read] = await db.batch([db.prepare(CLAIM).bind(brandId, key, fingerprint, now, now - ABANDONED_AFTER_MS), db.prepare(READ).bind(brandId, key)]);
  const row = (read?.results[0] ?? null) as KeyRow | null;
  if (!row) throw storageUnavailable();
  const claimedByThisAttempt = (claim?.meta.changes ?? 0) > 0 && row.created_at === now && row.status === 'started';
  if (!claimedByThisAttempt) return answerRetry(row, fingerprint, c.env.SECRETS_KEY);

  const original = c.env;
  c.env = { ...original, DB: markingBatches(original.DB, db.prepare(MARK_COMMITTED).bind(brandId, key)) } as Env;
  try {
    await next();
  } finally {
    c.env = original;
  }
  // Held by waitUntil too: a client that gave up and disconnected must still find its answer on retry.
  const settling = settle(db, c.env.SECRETS_KEY, { brandId, key, claimedAt: now }, c.res).catch((error: unknown) => log.error('idempotency_key_not_settled', { key, error }));
  c.executionCtx.waitUntil(settling);
  await settling;
});

async function answerRetry(row: KeyRow, fingerprint: string, secretsKey: string): Promise<Response> {
  if (row.fingerprint !== fingerprint) throw new ApiError(409, 'idempotency_conflict', 'This Idempotency-Key was used for a different request (method, path or body); use a new key.');
  if (row.status === 'done' && row.response_status !== null && row.response_body !== null) {
    return new Response(await openSecret(secretsKey, row.response_body), { status: row.response_status, headers: { 'Content-Type': 'application/json', 'Idempotent-Replayed': 'true' } });
  }
  if (row.status === 'started') throw new ApiError(409, 'idempotency_key_in_use', 'A request with this Idempotency-Key is still running; retry in a moment.', undefined, { 'Retry-After': '1' });
  throw new ApiError(409, 'idempotency_key_committed', 'The request with this Idempotency-Key was applied, but its answer was lost; list the resource to find what it created.');
}

// Keeps a 2xx JSON answer to replay; frees the key after a 4xx, or a 5xx that wrote nothing. (A 5xx after a
// batch committed leaves the row 'committed': that DELETE only removes a 'started' row.)
// Every statement is limited to this attempt's claim (created_at), so an attempt that outlived its claim
// never touches the row of the attempt that took the key over.
async function settle(db: D1Database, secretsKey: string, claim: { brandId: string; key: string; claimedAt: number }, res: Response): Promise<void> {
  const THIS_CLAIM = 'brand_id = ?1 AND key = ?2 AND created_at = ?3';
  const { brandId, key, claimedAt } = claim;
  if (res.status >= 200 && res.status < 300) {
    const json = (res.headers.get('content-type') ?? '').startsWith('application/json');
    const body = json ? await res.clone().text() : null;
    if (body !== null && new TextEncoder().encode(body).length <= MAX_KEPT_BYTES) {
      await db
        .prepare(`UPDATE idempotency_keys SET status = 'done', response_status = ?4, response_body = ?5 WHERE ${THIS_CLAIM}`)
        .bind(brandId, key, claimedAt, res.status, await sealSecret(secretsKey, body))
        .run();
      return;
    }
    await db.prepare(`UPDATE idempotency_keys SET status = 'committed' WHERE ${THIS_CLAIM}`).bind(brandId, key, claimedAt).run();
    return;
  }
  const onlyIfNothingCommitted = res.status >= 500 ? " AND status = 'started'" : '';
  await db.prepare(`DELETE FROM idempotency_keys WHERE ${THIS_CLAIM}${onlyIfNothingCommitted}`).bind(brandId, key, claimedAt).run();
}

// The request's D1, whose every batch (a session's too) also marks the key committed; the mark's result
// is not handed back.
function markingBatches(db: D1Database, mark: D1PreparedStatement): D1Database {
  return aroundBatches(db, async (batch, statements) => (await batch([...statements, mark])).slice(0, statements.length));
}
