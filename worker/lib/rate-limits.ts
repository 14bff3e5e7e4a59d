// Fixed-window counters in D1 (the rate_limits table), for limits the Rate Limiting binding cannot hold: it
// counts per Cloudflare location and per minute at most, and a six-digit code needs one count, everywhere, that
// lasts long enough to make guessing hopeless.

// `count` and `windowStart` say which attempt of which window this was, for giveBackAttempt.
export type Attempt = { allowed: boolean; retryAfterS: number; count: number; windowStart: number };

// Counts this attempt and says whether it is within `limit` for the window that began with the first of them.
// One statement, so two attempts at once are both counted.
export async function takeAttempt(db: D1Database, key: string, limit: number, windowMs: number, now: number): Promise<Attempt> {
  const row = await db
    .prepare(
      `INSERT INTO rate_limits (key, window_start, count) VALUES (?1, ?2, 1)
       ON CONFLICT (key) DO UPDATE SET
         count = CASE WHEN window_start <= ?2 - ?3 THEN 1 ELSE count + 1 END,
         window_start = CASE WHEN window_start <= ?2 - ?3 THEN ?2 ELSE window_start END
       RETURNING count, window_start`,
    )
    .bind(key, now, windowMs)
    .first<{ count: number; window_start: number }>();
  const count = row?.count ?? 1;
  const windowStart = row?.window_start ?? now;
  return { allowed: count <= limit, retryAfterS: Math.max(1, Math.ceil((windowStart + windowMs - now) / 1000)), count, windowStart };
}

// Whether an attempt now would be within `limit`, counting none: for a page that must not offer what it would refuse.
export async function peekAttempt(db: D1Database, key: string, limit: number, windowMs: number, now: number): Promise<Attempt> {
  const row = await db.prepare('SELECT count, window_start FROM rate_limits WHERE key = ? AND window_start > ?').bind(key, now - windowMs).first<{ count: number; window_start: number }>();
  const count = row?.count ?? 0;
  const windowStart = row?.window_start ?? now;
  return { allowed: count < limit, retryAfterS: Math.max(1, Math.ceil((windowStart + windowMs - now) / 1000)), count, windowStart };
}

// Takes back an attempt that turned out not to be a guess (the right code): counted first all the same, so the
// limit holds before any work, but a member who signs in often never runs into it. Only in the window it was
// counted in: a window begun since owes nothing.
export const giveBackAttempt = (db: D1Database, key: string, attempt: Attempt) =>
  db.prepare('UPDATE rate_limits SET count = count - 1 WHERE key = ? AND window_start = ? AND count > 0').bind(key, attempt.windowStart).run();

// Counts one more under `key` in the window `attempt` (another key's) was counted in, so both agree on what "this
// window" is: the count in it, this one included; 0 when a later window has begun there (nothing is counted).
export async function countInWindowOf(db: D1Database, key: string, attempt: Attempt): Promise<number> {
  const row = await db
    .prepare(
      `INSERT INTO rate_limits (key, window_start, count) VALUES (?1, ?2, 1)
       ON CONFLICT (key) DO UPDATE SET count = CASE WHEN window_start = ?2 THEN count + 1 ELSE 1 END, window_start = ?2
         WHERE window_start <= ?2
       RETURNING count`,
    )
    .bind(key, attempt.windowStart)
    .first<{ count: number }>();
  return row?.count ?? 0;
}

// What countInWindowOf has counted under `key` in `attempt`'s window, counting none.
export const countedInWindowOf = async (db: D1Database, key: string, attempt: Attempt): Promise<number> =>
  (await db.prepare('SELECT count FROM rate_limits WHERE key = ? AND window_start = ?').bind(key, attempt.windowStart).first<number>('count')) ?? 0;
