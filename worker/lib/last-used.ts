// When an API key or a store connection was last used, for the console's "Last used" column (as Stripe shows
// one on its keys): it tells an owner whether a key can be revoked, and whether a store's webhooks arrive.
// A use is a request the credential authenticated that was answered below 400: a refused request writes
// nothing, this included. Written after the answer (waitUntil) and at most once per LAST_USED_GRANULARITY_MS
// per credential and isolate, so a storefront's thousands of code checks a minute cost a map lookup each.
import type { Context } from 'hono';
import type { AppEnv } from '../env';
import { log } from './log';

export const LAST_USED_GRANULARITY_MS = 10 * 60_000;

const TABLES = { key: 'api_keys', store: 'brand_integrations' } as const;
export type Credential = keyof typeof TABLES;

// Per kind, keyed by id (no string built per request). Bounded: a map this size is cleared, which costs at
// most one extra write per credential.
const MAX_TRACKED = 10_000;
const written: Record<Credential, Map<string, number>> = { key: new Map(), store: new Map() };

/** The credential this request authenticated with: noted by app.tsx once the answer is below 400. */
export const usedBy = (c: Context<AppEnv>, kind: Credential, id: string): void => c.set('credential', { kind, id });

export function noteUse(db: D1Database, ctx: Pick<ExecutionContext, 'waitUntil'>, kind: Credential, id: string, now = Date.now()): void {
  const seen = written[kind];
  const last = seen.get(id);
  if (last !== undefined && now - last < LAST_USED_GRANULARITY_MS) return;
  if (seen.size >= MAX_TRACKED) seen.clear();
  seen.set(id, now);
  // Other isolates write too: the guard keeps the column moving forward and skips a write one just made.
  const write = db
    .prepare(`UPDATE ${TABLES[kind]} SET last_used_at = ?1 WHERE id = ?2 AND (last_used_at IS NULL OR last_used_at <= ?1 - ?3)`)
    .bind(now, id, LAST_USED_GRANULARITY_MS)
    .run()
    .then(
      () => undefined,
      (error: unknown) => {
        // Not recorded this time: the next use after the granularity tries again.
        seen.delete(id);
        log.warn('last_used_write_failed', { kind, error });
      },
    );
  ctx.waitUntil(write);
}

/** Tests: forget which uses this isolate has written. */
export function forgetUses(): void {
  written.key.clear();
  written.store.clear();
}
