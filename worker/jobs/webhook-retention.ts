// Outgoing webhook events are personal data (they name creators; gift.requested carries a home address), kept
// only as long as a brand needs them to read the delivery log and replay: WEBHOOK_EVENT_RETENTION_DAYS (by default
// 30, as Stripe keeps its events; read in webhooks/event-retention.ts) after the event, then deleted with their
// deliveries by the cron, in bounded chunks.
//
// An event is never deleted while any of its deliveries is pending: being retried, due again, or replayed. Pending
// ends within hours (the retry schedule, worker/webhooks/backoff.ts), so a later run takes it. The delivery rows go
// first, in the same batch: webhook_deliveries.event_id references the event, and D1 enforces foreign keys. No
// other table references webhook_events. A pruned delivery is gone from the log, and its replay is a 404.
// Its id is not minted again: every statement that writes an event runs in the batch whose write it reports.
import { DAY_MS } from '../domain/periods';
import { pruneByBrand, type PruneOptions } from './retention';

// chunkSize counts events: an event has one delivery per endpoint it went to (at most 20), so it bounds both
// DELETEs. A chunk is two statements, in one batch.
export type WebhookRetentionOptions = PruneOptions;

export const DEFAULT_WEBHOOK_CHUNK_SIZE = 250;
export const DEFAULT_WEBHOOK_MAX_STATEMENTS = 20;

export type WebhookRetentionResult = { retentionDays: number; brands: number; events: number; deliveries: number; statements: number; complete: boolean };

// By the event's own deliveries (webhook_deliveries_event_endpoint), the status only checked (`+`): by
// webhook_deliveries_due SQLite walked every brand's pending deliveries for each event.
const noPendingDelivery = "NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.event_id = e.id AND +p.status = 'pending')";

// Brands with an event old enough and no delivery of it pending: per brand a walk of webhook_events_brand_at from
// its oldest event, which usually stops at the first.
const CANDIDATE_BRANDS = `SELECT b.id FROM brands b
WHERE EXISTS (SELECT 1 FROM webhook_events e WHERE e.brand_id = b.id AND e.created_at < ?1 AND ${noPendingDelivery})
ORDER BY b.id`;

// ?1 brand, ?2 cutoff, ?3 events per chunk. The deliveries of the brand's oldest prunable events, then those events,
// now without deliveries, in one batch (so nothing can make one pending in between). Each walks
// webhook_events_brand_at in time order and finds deliveries by webhook_deliveries_event_endpoint.
const DELETE_DELIVERIES = `DELETE FROM webhook_deliveries WHERE event_id IN (
  SELECT e.id FROM webhook_events e WHERE e.brand_id = ?1 AND e.created_at < ?2 AND ${noPendingDelivery}
  ORDER BY e.created_at LIMIT ?3)`;
const DELETE_EVENTS = `DELETE FROM webhook_events WHERE id IN (
  SELECT e.id FROM webhook_events e WHERE e.brand_id = ?1 AND e.created_at < ?2
    AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id)
  ORDER BY e.created_at LIMIT ?3)`;

// Exported for the query-plan test.
export const WEBHOOK_RETENTION_SQL = { CANDIDATE_BRANDS, DELETE_DELIVERIES, DELETE_EVENTS };

export async function pruneWebhookEvents(db: D1Database, options: WebhookRetentionOptions): Promise<WebhookRetentionResult> {
  const { retentionDays: days, now, chunkSize = DEFAULT_WEBHOOK_CHUNK_SIZE, maxStatements = DEFAULT_WEBHOOK_MAX_STATEMENTS, firstBrand } = options;
  const cutoff = now - days * DAY_MS;
  const { results: brands } = await db.prepare(CANDIDATE_BRANDS).bind(cutoff).all<{ id: string }>();
  let events = 0;
  let deliveries = 0;
  const walked = await pruneByBrand(brands, { maxStatements, firstBrand, statementsPerChunk: 2 }, async (brand) => {
    const [removed, pruned] = await db.batch([db.prepare(DELETE_DELIVERIES).bind(brand.id, cutoff, chunkSize), db.prepare(DELETE_EVENTS).bind(brand.id, cutoff, chunkSize)]);
    deliveries += removed?.meta.changes ?? 0;
    events += pruned?.meta.changes ?? 0;
    return (pruned?.meta.changes ?? 0) >= chunkSize;
  });
  return { retentionDays: days, brands: brands.length, events, deliveries, ...walked };
}
