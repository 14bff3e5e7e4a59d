// Fixed-window counters in D1 (the rate_limits table), for limits the Rate Limiting binding cannot hold: it
// counts per Cloudflare location and per minute at most, and a six-digit code needs one count, everywhere, that
// lasts long enough to make guessing hopeless.

export type Attempt = { allowed: boolean; retryAfterS: number };

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
  return { allowed: count <= limit, retryAfterS: Math.max(1, Math.ceil((windowStart + windowMs - now) / 1000)) };
}
