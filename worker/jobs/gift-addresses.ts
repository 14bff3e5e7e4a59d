// Creators' shipping addresses (db/addresses.ts), kept only while a gift needs them and only
// sealed. Runs from the cron trigger, a bounded chunk of each step per run, so a backlog drains over several runs:
//
// - removed: a request's address once it is no longer needed: the request was declined or withdrawn (nothing ships
//   to it), or its gift shipped or arrived ADDRESS_KEPT_DAYS ago (its last move: a claim for a lost parcel is over).
//   Each page then says "Address removed"; the request's gift.requested events lose their copy too (address null).
// - sealed: the addresses written before migration 0066 (a request's, the one saved on the account, a stored
//   gift.requested event's), which SQL could not seal. Each is read in the open once and written back sealed, only
//   if it is still the one read (a creator changing it meanwhile wins). Every write since seals, so once these are
//   done their partial indexes are empty and each run's reads cost nothing.
import { DAY_MS } from '../domain/periods';
import { ADDRESS_KEPT_DAYS, ADDRESS_REMOVED } from '../db/addresses';
import { sealSecret } from '../lib/secrets';

export const REMOVE_PER_RUN = 500;
export const SEAL_PER_RUN = 100;

// ?1 the cutoff, ?2 the limit, for both halves together (the second is read only when the first leaves room; what
// the first removes is gone by the next run). Each half reads gift_requests_address_held (only rows still holding one).
const NO_LONGER_NEEDED = `SELECT id FROM gift_requests WHERE address <> '' AND status IN ('declined', 'withdrawn')
UNION ALL SELECT id FROM gift_requests WHERE address <> '' AND status IN ('shipped', 'received') AND updated_at < ?1
LIMIT ?2`;
// ?1 the ids (JSON), ?2 the cutoff: the same rule again in the write, for a request that moved since it was read.
const REMOVE = `UPDATE gift_requests SET address = '${ADDRESS_REMOVED}'
WHERE id IN (SELECT value FROM json_each(?1)) AND address <> '' AND (status IN ('declined', 'withdrawn') OR (status IN ('shipped', 'received') AND updated_at < ?2))`;
// Their gift.requested events, found by id (db/webhooks.ts: 'evt_<request>_requested_<updated_at>', digits after the
// prefix, so ':' bounds the range) on the primary key.
const REMOVE_FROM_EVENTS = `UPDATE webhook_events SET payload = json_replace(payload, '$.giftRequest.address', NULL)
WHERE id IN (SELECT e.id FROM json_each(?1) j JOIN webhook_events e ON e.id > 'evt_' || j.value || '_requested_' AND e.id < 'evt_' || j.value || '_requested_:')
  AND json_type(payload, '$.giftRequest.address') <> 'null'`;

// Each source of addresses in the open: ?1 the limit reads them (id, plain); ?1 the id, ?2 the sealed text, ?3 the
// plain text as read writes one back.
const PLAIN = [
  {
    read: "SELECT id, address AS plain FROM gift_requests WHERE substr(address, 1, 1) = '{' LIMIT ?1",
    write: 'UPDATE gift_requests SET address = ?2 WHERE id = ?1 AND address = ?3',
  },
  {
    read: "SELECT id, shipping_address AS plain FROM creators WHERE substr(shipping_address, 1, 1) = '{' LIMIT ?1",
    write: 'UPDATE creators SET shipping_address = ?2 WHERE id = ?1 AND shipping_address = ?3',
  },
  {
    read: "SELECT id, json_extract(payload, '$.giftRequest.address') AS plain FROM webhook_events WHERE type = 'gift.requested' AND json_type(payload, '$.giftRequest.address') = 'object' LIMIT ?1",
    write: "UPDATE webhook_events SET payload = json_replace(payload, '$.giftRequest.address', ?2) WHERE id = ?1 AND json_extract(payload, '$.giftRequest.address') = ?3",
  },
] as const;

// Exported for the query-plan test.
export const GIFT_ADDRESS_SQL = { NO_LONGER_NEEDED, REMOVE, REMOVE_FROM_EVENTS, PLAIN };

export type GiftAddressResult = { removed: number; sealed: number };

export async function tidyGiftAddresses(db: D1Database, secretsKey: string, now: number, limits = { remove: REMOVE_PER_RUN, seal: SEAL_PER_RUN }): Promise<GiftAddressResult> {
  const cutoff = now - ADDRESS_KEPT_DAYS * DAY_MS;
  const { results: due } = await db.prepare(NO_LONGER_NEEDED).bind(cutoff, limits.remove).all<{ id: string }>();
  let removed = 0;
  if (due.length > 0) {
    const ids = JSON.stringify(due.map((r) => r.id));
    const [requests] = await db.batch([db.prepare(REMOVE).bind(ids, cutoff), db.prepare(REMOVE_FROM_EVENTS).bind(ids)]);
    removed = requests?.meta.changes ?? 0;
  }
  // Removed first: an old row due for removal is not sealed only to be removed.
  let sealed = 0;
  for (const source of PLAIN) {
    const { results } = await db.prepare(source.read).bind(limits.seal).all<{ id: string; plain: string }>();
    if (results.length === 0) continue;
    const writes = await Promise.all(results.map(async (r) => db.prepare(source.write).bind(r.id, await sealSecret(secretsKey, r.plain), r.plain)));
    for (const result of await db.batch(writes)) sealed += result.meta.changes;
  }
  return { removed, sealed };
}
