// Click writes shared by the queue consumer and the redirect's direct-write fallback.
// Every statement is idempotent, so a redelivered batch leaves D1 as it was.
import { UNIQUE_WINDOW_MS, utcDay, type ClickMessage } from '../domain/clicks';

const INSERT_CLICK = `INSERT INTO clicks (id, brand_id, link_id, at, country, device, referrer_host, identity_hash, is_bot, is_duplicate)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0) ON CONFLICT(id) DO NOTHING`;

// After an insert at time t, only the new click and the visitor's still-unique clicks in the hour after
// t can change (an earlier click can only make a later one a duplicate), so the answer does not depend
// on delivery order and a burst from one visitor (an office behind one IP) costs O(1) rows, not O(n).
const MARK_DUPLICATES = `UPDATE clicks AS c SET is_duplicate = 1
WHERE c.link_id = ?1 AND c.identity_hash = ?2 AND c.is_bot = 0 AND c.is_duplicate = 0 AND c.at >= ?3 AND c.at < ?3 + ${UNIQUE_WINDOW_MS}
  AND EXISTS (SELECT 1 FROM clicks p WHERE p.link_id = c.link_id AND p.identity_hash = c.identity_hash AND p.is_bot = 0
    AND p.at > c.at - ${UNIQUE_WINDOW_MS} AND (p.at < c.at OR (p.at = c.at AND p.id < c.id)))`;

// Rollups are recomputed from the raw rows, never incremented, so replays cannot inflate them.
const RECOMPUTE_ROLLUP = `INSERT INTO click_rollups (link_id, day, brand_id, clicks, unique_clicks, bots)
SELECT ?1, ?2, ?3, COALESCE(SUM(is_bot = 0), 0), COALESCE(SUM(is_bot = 0 AND is_duplicate = 0), 0), COALESCE(SUM(is_bot = 1), 0)
FROM clicks WHERE link_id = ?1 AND at >= ?4 AND at < ?5
ON CONFLICT(link_id, day) DO UPDATE SET clicks = excluded.clicks, unique_clicks = excluded.unique_clicks, bots = excluded.bots`;

const DAY_MS = 86_400_000;

export function clickWriteStatements(db: D1Database, messages: readonly ClickMessage[]): D1PreparedStatement[] {
  const statements: D1PreparedStatement[] = [];
  const rollups = new Map<string, { linkId: string; brandId: string; day: string; start: number }>();
  const addRollup = (m: ClickMessage, at: number) => {
    const start = Math.floor(at / DAY_MS) * DAY_MS;
    const day = utcDay(start);
    rollups.set(`${m.linkId}|${day}`, { linkId: m.linkId, brandId: m.brandId, day, start });
  };
  for (const m of messages) {
    statements.push(
      db.prepare(INSERT_CLICK).bind(m.id, m.brandId, m.linkId, m.at, m.country, m.device, m.referrerHost, m.identityHash, m.isBot ? 1 : 0),
    );
    if (!m.isBot) statements.push(db.prepare(MARK_DUPLICATES).bind(m.linkId, m.identityHash, m.at));
    addRollup(m, m.at);
    if (!m.isBot) addRollup(m, m.at + UNIQUE_WINDOW_MS);
  }
  for (const r of rollups.values()) {
    statements.push(db.prepare(RECOMPUTE_ROLLUP).bind(r.linkId, r.day, r.brandId, r.start, r.start + DAY_MS));
  }
  return statements;
}

export async function writeClicks(db: D1Database, messages: readonly ClickMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await db.batch(clickWriteStatements(db, messages));
}
