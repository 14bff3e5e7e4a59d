// Click writes shared by the queue consumer and the redirect's direct-write fallback.
// Every statement is idempotent, so a redelivered batch leaves D1 as it was.
import { UNIQUE_WINDOW_MS, type ClickMessage } from '../domain/clicks';

const INSERT_CLICK = `INSERT INTO clicks (id, brand_id, link_id, at, country, device, referrer_host, identity_hash, is_bot, is_duplicate, counted, counted_unique)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0) ON CONFLICT(id) DO NOTHING`;

// After an insert at time t, only the new click and the visitor's still-unique clicks in the hour after
// t can change (an earlier click can only make a later one a duplicate), so the answer does not depend
// on delivery order and a burst from one visitor (an office behind one IP) costs O(1) rows, not O(n).
const MARK_DUPLICATES = `UPDATE clicks AS c SET is_duplicate = 1
WHERE c.link_id = ?1 AND c.identity_hash = ?2 AND c.is_bot = 0 AND c.is_duplicate = 0 AND c.at >= ?3 AND c.at < ?3 + ${UNIQUE_WINDOW_MS}
  AND EXISTS (SELECT 1 FROM clicks p WHERE p.link_id = c.link_id AND p.identity_hash = c.identity_hash AND p.is_bot = 0
    AND p.at > c.at - ${UNIQUE_WINDOW_MS} AND (p.at < c.at OR (p.at = c.at AND p.id < c.id)))`;

// Rollups move by the difference between what each pending row is now and what was counted for it, and
// the same transaction then records it as counted: a redelivered batch finds nothing pending and adds
// nothing. Recomputing the link's whole day instead cost every batch a scan of that day's clicks.
const PENDING = `(counted = 0 OR counted_unique <> (is_bot = 0 AND is_duplicate = 0))`;
const ADD_TO_ROLLUPS = `INSERT INTO click_rollups (link_id, day, brand_id, clicks, unique_clicks, bots)
SELECT link_id, strftime('%Y-%m-%d', at / 1000, 'unixepoch') AS day, brand_id,
  SUM(counted = 0 AND is_bot = 0), SUM((is_bot = 0 AND is_duplicate = 0) - (counted = 1 AND counted_unique = 1)), SUM(counted = 0 AND is_bot = 1)
FROM clicks WHERE ${PENDING} GROUP BY link_id, day
ON CONFLICT(link_id, day) DO UPDATE SET clicks = clicks + excluded.clicks, unique_clicks = unique_clicks + excluded.unique_clicks, bots = bots + excluded.bots`;
const MARK_COUNTED = `UPDATE clicks SET counted = 1, counted_unique = (is_bot = 0 AND is_duplicate = 0) WHERE ${PENDING}`;

export function clickWriteStatements(db: D1Database, messages: readonly ClickMessage[]): D1PreparedStatement[] {
  const statements: D1PreparedStatement[] = [];
  for (const m of messages) {
    statements.push(
      db.prepare(INSERT_CLICK).bind(m.id, m.brandId, m.linkId, m.at, m.country, m.device, m.referrerHost, m.identityHash, m.isBot ? 1 : 0),
    );
    if (!m.isBot) statements.push(db.prepare(MARK_DUPLICATES).bind(m.linkId, m.identityHash, m.at));
  }
  statements.push(db.prepare(ADD_TO_ROLLUPS), db.prepare(MARK_COUNTED));
  return statements;
}

export async function writeClicks(db: D1Database, messages: readonly ClickMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await db.batch(clickWriteStatements(db, messages));
}
