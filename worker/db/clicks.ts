// Click writes shared by the queue consumer and the redirect's direct-write fallback.
// Every statement is idempotent, so a redelivered batch leaves D1 as it was.
//
// The clicks travel as one JSON parameter read with json_each, so a batch of any size is a handful of
// statements: two per chunk of CHUNK clicks, the two rollup statements, and the read of orders waiting
// for these clicks (before them, at most once a minute per brand, the read of its timezone). One statement
// per click made D1 parse, run and answer hundreds of statements per batch (about a tenth of a millisecond
// each here) and would run into D1's limit on queries per invocation long before the queue's batch size did.
import { UNIQUE_WINDOW_MS, type ClickMessage } from '../domain/clicks';
import { dayOf, zoneOrUtc } from '../domain/periods';
import { TtlCache } from '../lib/ttl-cache';
import { clickDaySql } from './schema';
import { awaitingClickStatement } from './conversions';

// The JSON row each click becomes, in this order (an array, not an object: a third of the bytes to parse),
// with the brand's calendar day the click counts on.
function row(m: ClickMessage, day: string): unknown[] {
  return [m.id, m.brandId, m.linkId, m.at, m.country, m.device, m.referrerHost, m.identityHash, m.isBot ? 1 : 0, day];
}

// The day of each click in its brand's zone, formatted once per zone and minute (no zone's day starts inside
// one): a batch's clicks are seconds apart, so that is about once per brand.
function dayFinder(timeZones: ReadonlyMap<string, string>): (m: ClickMessage) => string {
  const days = new Map<string, string>();
  return (m) => {
    const zone = timeZones.get(m.brandId) ?? 'UTC';
    const key = `${zone} ${Math.floor(m.at / 60_000)}`;
    let day = days.get(key);
    if (day === undefined) days.set(key, (day = dayOf(m.at, zone)));
    return day;
  };
}

// At most ~450 bytes of JSON a click: 500 clicks stay far below D1's 1 MB bound on a parameter.
const CHUNK = 500;

// Only a click on a link of the brand it names is stored: a message naming another brand's link (or none)
// is corrupt or forged, and stored it would count on that link and credit that link's creator with the
// naming brand's orders.
const INSERT_CLICKS = `INSERT INTO clicks (id, brand_id, link_id, at, country, device, referrer_host, identity_hash, is_bot, day, is_duplicate, counted, counted_unique)
SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7, value ->> 8, value ->> 9, 0, 0, 0
FROM json_each(?1) JOIN links l ON l.id = value ->> 2 AND l.brand_id = value ->> 1
ON CONFLICT(id) DO NOTHING`;

// After an insert at time t, only the new click and the visitor's still-unique clicks in the hour after
// t can change (an earlier click can only make a later one a duplicate), so the answer does not depend
// on delivery order. The candidates are gathered per visitor and link of the batch: their still-unique
// clicks from the batch's first click of that visitor to an hour after its last (the partial index holds
// only those), each then checked against the visitor's clicks before it. That is a superset of the rows
// click-by-click marking would touch, and checking a row that cannot change changes nothing. Gathering
// per click instead read every later click of the batch for each click: a burst of 500 from one visitor
// (an office behind one IP) read 128,000 rows; now it reads about eight per click, whatever the burst.
const MARK_DUPLICATES = `UPDATE clicks AS c SET is_duplicate = 1
WHERE c.rowid IN (
    SELECT t.rowid FROM (
      SELECT value ->> 2 AS link_id, value ->> 7 AS identity_hash, MIN(value ->> 3) AS first_at, MAX(value ->> 3) AS last_at
      FROM json_each(?1) WHERE value ->> 8 = 0 GROUP BY 1, 2
    ) AS v
    JOIN clicks AS t ON t.link_id = v.link_id AND t.identity_hash = v.identity_hash
      AND t.at >= v.first_at AND t.at < v.last_at + ${UNIQUE_WINDOW_MS} AND t.is_bot = 0 AND t.is_duplicate = 0)
  AND EXISTS (SELECT 1 FROM clicks p WHERE p.link_id = c.link_id AND p.identity_hash = c.identity_hash AND p.is_bot = 0
    AND p.at > c.at - ${UNIQUE_WINDOW_MS} AND p.at <= c.at AND (p.at < c.at OR p.id < c.id))`;

// Rollups move by the difference between what each pending row is now and what was counted for it, and
// the same transaction then records it as counted: a redelivered batch finds nothing pending and adds
// nothing. Recomputing the link's whole day instead cost every batch a scan of that day's clicks.
const PENDING = `(counted = 0 OR counted_unique <> (is_bot = 0 AND is_duplicate = 0))`;
const ADD_TO_ROLLUPS = `INSERT INTO click_rollups (link_id, day, brand_id, clicks, unique_clicks, bots)
SELECT link_id, ${clickDaySql()} AS day, brand_id,
  SUM(counted = 0 AND is_bot = 0), SUM((is_bot = 0 AND is_duplicate = 0) - (counted = 1 AND counted_unique = 1)), SUM(counted = 0 AND is_bot = 1)
FROM clicks WHERE ${PENDING} GROUP BY 1, 2
ON CONFLICT(link_id, day) DO UPDATE SET clicks = clicks + excluded.clicks, unique_clicks = unique_clicks + excluded.unique_clicks, bots = bots + excluded.bots`;
const MARK_COUNTED = `UPDATE clicks SET counted = 1, counted_unique = (is_bot = 0 AND is_duplicate = 0) WHERE ${PENDING}`;

// Exported for the query-plan test.
export const CLICK_WRITE_SQL = { INSERT_CLICKS, MARK_DUPLICATES, ADD_TO_ROLLUPS, MARK_COUNTED };

export function clickWriteStatements(db: D1Database, messages: readonly ClickMessage[], timeZones: ReadonlyMap<string, string>): D1PreparedStatement[] {
  const statements: D1PreparedStatement[] = [];
  const dayFor = dayFinder(timeZones);
  for (let i = 0; i < messages.length; i += CHUNK) {
    const rows = JSON.stringify(messages.slice(i, i + CHUNK).map((m) => row(m, dayFor(m))));
    statements.push(db.prepare(INSERT_CLICKS).bind(rows), db.prepare(MARK_DUPLICATES).bind(rows));
  }
  statements.push(db.prepare(ADD_TO_ROLLUPS), db.prepare(MARK_COUNTED));
  return statements;
}

// The same batch reads the orders that named one of these clicks before it landed, for
// attributeAwaitingOrders (db/conversions.ts) to credit: the result of that read, undefined when every
// click was a bot's (a bot's click is never evidence).
export async function writeClicks(db: D1Database, messages: readonly ClickMessage[]): Promise<D1Result | undefined> {
  if (messages.length === 0) return undefined;
  const statements = clickWriteStatements(db, messages, await brandTimeZones(db, messages));
  const humanClicks = messages.filter((m) => !m.isBot).map((m) => m.id);
  if (humanClicks.length > 0) statements.push(awaitingClickStatement(db, humanClicks));
  const written = await db.batch(statements);
  return humanClicks.length > 0 ? written[written.length - 1] : undefined;
}

// The timezone of each brand the clicks name, for the day they count on. A brand's zone is read once a
// minute per isolate at most, so a change of timezone reaches the days of clicks written a minute later at
// the latest; a brand that no longer exists counts in UTC (its clicks are not stored anyway).
export const TIME_ZONE_TTL_MS = 60_000;
const timeZoneCache = new TtlCache<string>(1_000);

async function brandTimeZones(db: D1Database, messages: readonly ClickMessage[], now = Date.now()): Promise<Map<string, string>> {
  const zones = new Map<string, string>();
  const unknown = new Set<string>();
  for (const { brandId } of messages) {
    const cached = timeZoneCache.get(brandId, now);
    if (cached) zones.set(brandId, cached.value);
    else unknown.add(brandId);
  }
  if (unknown.size > 0) {
    const { results } = await db
      .prepare('SELECT id, timezone FROM brands WHERE id IN (SELECT value FROM json_each(?))')
      .bind(JSON.stringify([...unknown]))
      .all<{ id: string; timezone: string }>();
    // A zone this runtime does not know would fail the batch on every redelivery: its clicks count in UTC,
    // as its charts do.
    for (const { id, timezone } of results) zones.set(id, timeZoneCache.set(id, zoneOrUtc(timezone), now, TIME_ZONE_TTL_MS));
  }
  return zones;
}

/** Forgets the cached timezones (tests that change a brand's zone). */
export function forgetBrandTimeZones(): void {
  timeZoneCache.clear();
}
