// Idempotency-Key rows (routes/admin/idempotency.ts): kept a day, then forgotten by the cron.
const IDEMPOTENCY_KEY_TTL_MS = 24 * 3_600_000;

export async function forgetIdempotencyKeys(db: D1Database, now: number): Promise<number> {
  const { meta } = await db.prepare('DELETE FROM idempotency_keys WHERE created_at < ?').bind(now - IDEMPOTENCY_KEY_TTL_MS).run();
  return meta.changes;
}
