// Outgoing webhooks in D1: the outbox statements that business batches append, the endpoint and delivery
// log queries behind the admin API and console, and the reads and writes of the delivery consumer.
//
// An event row and its deliveries (one per enabled endpoint subscribed to the type) are inserted by SQL
// guarded on the business row this batch wrote, so they commit with it or not at all, and a replayed
// request (which writes nothing) writes no event. Event ids derive from that row ("evt_<row id>"), so
// even a repeated statement cannot mint a second event for the same fact. Payloads are built in SQL from
// the rows as committed, including what the batch itself computed (a commission's tier, a payout's sum).
import { earnsThroughSql, TEST_EVENT_TYPE, type WebhookEventType } from './schema';
import { auditIfChanged, type AuditInput } from './audit';
import { afterParams, afterSql, type Position } from '../lib/cursor';
import { SELF_PURCHASE_WITHHELD } from '../domain/self-purchase';

// Epoch ms to the ISO 8601 the rest of the wire format uses (2026-05-01T12:00:00.000Z); NULL stays NULL.
const iso = (ms: string) => `strftime('%Y-%m-%dT%H:%M:%fZ', ${ms} / 1000.0, 'unixepoch')`;

const subscribed = (brand: string, type: string) =>
  `EXISTS (SELECT 1 FROM webhook_endpoints ep, json_each(ep.events) t WHERE ep.brand_id = ${brand} AND ep.enabled = 1 AND t.value = ${type})`;

// The creator as the brand knows them: its own handle for them (db/schema.ts roster), from brand_creators.
const creatorJson = (alias: string) => `CASE WHEN ${alias}.creator_id IS NULL THEN NULL ELSE json_object('id', ${alias}.creator_id, 'handle', ${alias}.handle) END`;

// One delivery per enabled, subscribed endpoint, for events of this batch that have none yet.
const fanOut = (events: string) => `INSERT INTO webhook_deliveries (id, brand_id, event_id, endpoint_id, status, attempts, next_attempt_at, created_at, updated_at)
SELECT 'whd_' || lower(hex(randomblob(12))), e.brand_id, e.id, ep.id, 'pending', 0, e.created_at, e.created_at, e.created_at
FROM webhook_events e JOIN webhook_endpoints ep ON ep.brand_id = e.brand_id AND ep.enabled = 1
WHERE ${events}
  AND EXISTS (SELECT 1 FROM json_each(ep.events) t WHERE t.value = e.type)
  AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id)
ON CONFLICT(event_id, endpoint_id) DO NOTHING`;

const FAN_OUT_ONE = fanOut('e.id = ?1');

// The statements that can make a delivery due now: every fan-out insert and every replay. A request
// whose batch ran one and changed rows with it hands the due deliveries to the queue once its response is
// out (webhooks/enqueue.ts); other writes skip that claim, so an order for a brand without endpoints costs
// no extra write. Keyed by the statement objects, which are built for each batch: run them only in a
// batch (alone, with .run(), the request would not see them and the delivery would wait for the sweep).
const makesDue = new WeakSet<D1PreparedStatement>();
function due(statement: D1PreparedStatement): D1PreparedStatement {
  makesDue.add(statement);
  return statement;
}

// Whether a batch made a delivery due, from its statements and results; without results (the batch
// failed, possibly after committing) any such statement counts.
export function madeDeliveriesDue(statements: readonly D1PreparedStatement[], results?: readonly D1Result[]): boolean {
  return statements.some((s, i) => makesDue.has(s) && (results === undefined || (results[i]?.meta.changes ?? 0) > 0));
}

// ?1 conversion id (the one this batch inserted or credited), ?2 event id, ?3 now. `conversion.attributed`
// (an order credited when the click it named landed) carries the same conversion, plus what refunds
// applied before the credit clawed back in the same batch (`reversals`), and is written only if the
// credit happened.
// A refund that failed reverses nothing, so neither counts nor adds (its give-back nets it out of the sum).
const attributedExtras = `, 'reversals', json_object(
      'amountMinor', (SELECT COALESCE(SUM(x.amount_minor), 0) FROM ledger_entries x WHERE x.conversion_id = cv.id AND x.kind = 'reversal'),
      'refunds', (SELECT count(*) FROM ledger_entries x JOIN refunds xr ON xr.id = x.refund_id
        WHERE x.conversion_id = cv.id AND x.event_key = 'reversal:' || x.refund_id AND xr.status <> 'failed'))`;
// The customer was the credited creator (db/schema.ts conversions.self_purchase), as a JSON boolean.
const selfPurchaseJson = (cv: string) => `json(CASE WHEN ${cv}.self_purchase <> 0 THEN 'true' ELSE 'false' END)`;
const firstOrder = earnsThroughSql('cv.');
// A self-purchase that earns nothing has no ledger entry: its commission is a 0 with the reason, as the API answers it.
const conversionEvent = (type: 'conversion.created' | 'conversion.attributed') => `INSERT INTO webhook_events (id, brand_id, type, payload, created_at)
SELECT ?2, cv.brand_id, '${type}', json_object('conversion', json_object(
    'id', cv.id, 'orderId', cv.external_order_id, 'amountMinor', cv.amount_minor, 'currency', cv.currency,
    'occurredAt', ${iso('cv.occurred_at')}, 'attribution', cv.attribution, 'source', cv.source,
    'renewalOf', ${firstOrder.renewalOf}, 'returningCustomerOf', ${firstOrder.returningCustomerOf},
    'enrollmentId', cv.enrollment_id, 'campaignId', en.campaign_id, 'creator', ${creatorJson('cr')},
    'selfPurchase', ${selfPurchaseJson('cv')},
    'commission', CASE WHEN l.id IS NOT NULL THEN json_object('amountMinor', l.amount_minor, 'currency', l.currency, 'rateBps', l.rate_bps,
      'tier', l.tier, 'period', l.period, 'availableAt', ${iso('l.available_at')}, 'reason', NULL)
      WHEN cv.self_purchase = ${SELF_PURCHASE_WITHHELD} THEN json_object('amountMinor', 0, 'currency', cv.currency, 'rateBps', NULL, 'tier', NULL, 'period', NULL,
      'availableAt', NULL, 'reason', 'self_purchase') END)${type === 'conversion.attributed' ? attributedExtras : ''}), ?3
FROM conversions cv LEFT JOIN enrollments en ON en.id = cv.enrollment_id LEFT JOIN brand_creators cr ON cr.brand_id = en.brand_id AND cr.creator_id = en.creator_id
LEFT JOIN ledger_entries l ON l.conversion_id = cv.id AND l.kind = 'commission'
WHERE cv.id = ?1 ${type === 'conversion.attributed' ? "AND cv.attribution <> 'none' " : ''}AND ${subscribed('cv.brand_id', `'${type}'`)}
ON CONFLICT(id) DO NOTHING`;

// A refund applied to its order, with the commission it clawed back (null when the order earned none).
// ?1 refund row id, ?2 event id, ?3 now.
const CONVERSION_REVERSED = `INSERT INTO webhook_events (id, brand_id, type, payload, created_at)
SELECT ?2, r.brand_id, 'conversion.reversed', json_object(
    'conversion', json_object('id', cv.id, 'orderId', cv.external_order_id, 'amountMinor', cv.amount_minor, 'currency', cv.currency, 'attribution', cv.attribution,
      'selfPurchase', ${selfPurchaseJson('cv')}),
    'refund', json_object('id', r.id, 'refundId', r.external_refund_id, 'amountMinor', r.amount_minor, 'currency', r.currency,
      'occurredAt', ${iso('r.occurred_at')}, 'source', r.source),
    'reversal', CASE WHEN l.id IS NULL THEN NULL ELSE json_object('amountMinor', l.amount_minor, 'currency', l.currency, 'period', l.period,
      'enrollmentId', l.enrollment_id, 'creator', ${creatorJson('cr')}) END), ?3
FROM refunds r JOIN conversions cv ON cv.brand_id = r.brand_id AND cv.external_order_id = r.external_order_id
LEFT JOIN ledger_entries l ON l.brand_id = r.brand_id AND l.event_key = 'reversal:' || r.id LEFT JOIN brand_creators cr ON cr.brand_id = l.brand_id AND cr.creator_id = l.creator_id
WHERE r.id = ?1 AND r.status = 'applied' AND ${subscribed('r.brand_id', "'conversion.reversed'")}
ON CONFLICT(id) DO NOTHING`;

// A refund of a recorded order failed: what its reversal took (null when it took nothing, or when it failed before
// it was applied) and what was given back (which evens out the whole order, so it may differ from the reversal;
// null when nothing was). Written once per refund (its id derives from the refund's) and only once the refund is
// failed; a refund that failed while its order had not arrived has no order, so no event. A Stripe refund that failed
// is a row of its own with a negative amount (db/money.ts INSERT_STRIPE_FAILURE): its event names the share it took.
// ?1 refund row id, ?2 event id, ?3 now.
const REFUND_FAILED = `INSERT INTO webhook_events (id, brand_id, type, payload, created_at)
SELECT ?2, r.brand_id, 'refund.failed', json_object(
    'conversion', json_object('id', cv.id, 'orderId', cv.external_order_id, 'amountMinor', cv.amount_minor, 'currency', cv.currency, 'attribution', cv.attribution,
      'selfPurchase', ${selfPurchaseJson('cv')}),
    'refund', json_object('id', r.id, 'refundId', r.external_refund_id, 'amountMinor', abs(r.amount_minor), 'currency', r.currency,
      'occurredAt', ${iso('r.occurred_at')}, 'failedAt', ${iso('r.failed_at')}, 'source', r.source),
    'reversal', CASE WHEN l.id IS NULL THEN NULL ELSE json_object('amountMinor', l.amount_minor, 'currency', l.currency, 'period', l.period) END,
    'givenBack', CASE WHEN g.id IS NULL THEN NULL ELSE json_object('amountMinor', g.amount_minor, 'currency', g.currency, 'period', g.period,
      'enrollmentId', g.enrollment_id, 'creator', ${creatorJson('cr')}) END), ?3
FROM refunds r JOIN conversions cv ON cv.brand_id = r.brand_id AND cv.external_order_id = r.external_order_id
LEFT JOIN ledger_entries l ON l.brand_id = r.brand_id AND l.event_key = 'reversal:' || r.id
LEFT JOIN ledger_entries g ON g.brand_id = r.brand_id AND g.event_key = 'refund_failed:' || r.id
LEFT JOIN brand_creators cr ON cr.brand_id = g.brand_id AND cr.creator_id = g.creator_id
WHERE r.id = ?1 AND (r.status = 'failed' OR r.amount_minor < 0) AND ${subscribed('r.brand_id', "'refund.failed'")}
ON CONFLICT(id) DO NOTHING`;

// A brand declined an order's commission (db/declines.ts), or reinstated it: the order, the decline (reason, note,
// who) and what its reversal took (`reversal`) or its give-back returned (`givenBack`); null when the order earned
// nothing to take. Written only if the decline (or reinstatement) this batch made exists. Not `conversion.reversed`,
// which tells of money a store gave back to a shopper. ?1 decline id, ?2 event id, ?3 now.
const declineEvent = (type: 'conversion.declined' | 'conversion.reinstated') => `INSERT INTO webhook_events (id, brand_id, type, payload, created_at)
SELECT ?2, d.brand_id, '${type}', json_object(
    'conversion', json_object('id', cv.id, 'orderId', cv.external_order_id, 'amountMinor', cv.amount_minor, 'currency', cv.currency, 'attribution', cv.attribution,
      'enrollmentId', cv.enrollment_id, 'selfPurchase', ${selfPurchaseJson('cv')}),
    'decline', json_object('reason', d.reason, 'note', d.note, 'declinedAt', ${iso('d.created_at')}, 'by', json_object('type', d.actor_type, 'id', d.actor_id),
      'reinstatedAt', ${iso('d.reinstated_at')}, 'reinstatedBy', CASE WHEN d.reinstated_by_id IS NULL THEN NULL ELSE json_object('type', d.reinstated_by_type, 'id', d.reinstated_by_id) END),
    '${type === 'conversion.declined' ? 'reversal' : 'givenBack'}', CASE WHEN l.id IS NULL THEN NULL ELSE json_object('amountMinor', l.amount_minor, 'currency', l.currency, 'period', l.period,
      'enrollmentId', l.enrollment_id, 'creator', ${creatorJson('cr')}) END), ?3
FROM declined_commissions d JOIN conversions cv ON cv.id = d.conversion_id
LEFT JOIN ledger_entries l ON l.brand_id = d.brand_id AND l.event_key = '${type === 'conversion.declined' ? 'reversal:' : 'refund_failed:'}' || d.refund_id
LEFT JOIN brand_creators cr ON cr.brand_id = l.brand_id AND cr.creator_id = l.creator_id
WHERE d.id = ?1 ${type === 'conversion.reinstated' ? 'AND d.reinstated_at IS NOT NULL ' : ''}AND ${subscribed('d.brand_id', `'${type}'`)}
ON CONFLICT(id) DO NOTHING`;

// ?1 submission_events id (exists only if this batch's transition happened), ?2 event id, ?3 now.
const submissionEvent = (type: 'submission.submitted' | 'submission.reviewed') => `INSERT INTO webhook_events (id, brand_id, type, payload, created_at)
SELECT ?2, s.brand_id, '${type}', json_object(
    'submission', json_object('id', s.id, 'status', s.status, 'previousStatus', se.from_status, 'enrollmentId', s.enrollment_id,
      'campaignId', en.campaign_id, 'creator', ${creatorJson('cr')}, 'storyFormat', s.story_format, 'draftUrl', s.draft_url,
      'caption', s.caption, 'compliance', json(s.compliance), 'reviewNotes', s.review_notes, 'postUrl', s.post_url,
      'createdAt', ${iso('s.created_at')}, 'updatedAt', ${iso('s.updated_at')}),
    'actor', se.actor_type, 'note', se.note), ?3
FROM submission_events se JOIN submissions s ON s.id = se.submission_id JOIN enrollments en ON en.id = s.enrollment_id
JOIN brand_creators cr ON cr.brand_id = en.brand_id AND cr.creator_id = en.creator_id
WHERE se.id = ?1 AND ${subscribed('s.brand_id', `'${type}'`)}
ON CONFLICT(id) DO NOTHING`;

// Runs after the close has summed its payouts. ?1 brand, ?2 period, ?3 close id (the batch's guard), ?4 now.
const closedBy = 'EXISTS (SELECT 1 FROM period_closes WHERE brand_id = ?1 AND period = ?2 AND close_id = ?3)';
const PAYOUTS_CLOSED = `INSERT INTO webhook_events (id, brand_id, type, payload, created_at)
SELECT 'evt_' || p.id, p.brand_id, 'payout.closed', json_object(
    'payout', json_object('id', p.id, 'period', p.period, 'creator', ${creatorJson('cr')}, 'currency', p.currency,
      'amountMinor', p.amount_minor, 'status', p.status, 'closedAt', ${iso('?4')})), ?4
FROM payouts p JOIN brand_creators cr ON cr.brand_id = p.brand_id AND cr.creator_id = p.creator_id
WHERE p.brand_id = ?1 AND p.period = ?2 AND ${closedBy} AND ${subscribed('?1', "'payout.closed'")}
ON CONFLICT(id) DO NOTHING`;
const FAN_OUT_PAYOUTS = fanOut(`e.id IN (SELECT 'evt_' || p.id FROM payouts p WHERE p.brand_id = ?1 AND p.period = ?2) AND ${closedBy}`);

// The events about one row a batch wrote. Each SQL takes ?1 the row's id, ?2 the event id, ?3 now; the event id is
// evt_<row id><key>, so a second event about the same row (an order's late credit, a refund's failure) is its own.
const ROW_EVENTS = {
  // After the statement that inserts the conversion.
  'conversion.created': { sql: conversionEvent('conversion.created'), key: '' },
  // After the statements that credit a waiting order and price it.
  'conversion.attributed': { sql: conversionEvent('conversion.attributed'), key: '_attributed' },
  // Right after the statement that may mark the refund row applied.
  'conversion.reversed': { sql: CONVERSION_REVERSED, key: '' },
  // Right after the statements that fail the refund row and give back its reversal.
  'refund.failed': { sql: REFUND_FAILED, key: '_failed' },
  // After the statements that decline (or reinstate) an order's commission: the row is the decline.
  'conversion.declined': { sql: declineEvent('conversion.declined'), key: '' },
  'conversion.reinstated': { sql: declineEvent('conversion.reinstated'), key: '_reinstated' },
  // After the statement that inserts the submission_events row.
  'submission.submitted': { sql: submissionEvent('submission.submitted'), key: '' },
  'submission.reviewed': { sql: submissionEvent('submission.reviewed'), key: '' },
} as const satisfies Partial<Record<WebhookEventType, { sql: string; key: string }>>;
type RowEventType = keyof typeof ROW_EVENTS;

// The event's insert and its fan-out, to append to the batch that wrote row `rowId`.
export function eventStatements(db: D1Database, type: RowEventType, rowId: string, now: number): D1PreparedStatement[] {
  const { sql, key } = ROW_EVENTS[type];
  const eventId = `evt_${rowId}${key}`;
  return [db.prepare(sql).bind(rowId, eventId, now), due(db.prepare(FAN_OUT_ONE).bind(eventId))];
}

export function payoutsClosedStatements(db: D1Database, brandId: string, period: string, closeId: string, now: number): D1PreparedStatement[] {
  return [db.prepare(PAYOUTS_CLOSED).bind(brandId, period, closeId, now), due(db.prepare(FAN_OUT_PAYOUTS).bind(brandId, period, closeId))];
}

// ---------- A creator's account closed or erased (db/creator-erasure.ts) ----------

// One `creator.erased` event for each brand whose relationship with the creator this erasure ended, written only if
// its claim holds (`claimed`: its SQL guard, whose parameters come first, ?1 to ?4: creator, token, now, and the
// brand erasing or NULL for all of them). It names the creator by id alone (what the brand's systems know them by;
// nothing personal is left to send) and who erased it. Its id derives from the creator and the brand, so nothing
// makes a second.
export function creatorErasedStatements(db: D1Database, e: { creatorId: string; by: 'creator' | 'brand'; claimed: { sql: string; params: [string, string, number, string | null] } }, now: number): D1PreparedStatement[] {
  const [creatorId, , , brandId] = e.claimed.params;
  const insert = db
    .prepare(
      `INSERT INTO webhook_events (id, brand_id, type, payload, created_at)
       SELECT 'evt_' || r.creator_id || '_erased_' || r.brand_id, r.brand_id, 'creator.erased', json_object('creator', json_object('id', r.creator_id), 'by', ?5, 'erasedAt', ${iso('?6')}), ?6
       FROM brand_creators r WHERE r.creator_id = ?1 AND r.erased_at = ?3 AND (?4 IS NULL OR r.brand_id = ?4) AND ${e.claimed.sql} AND ${subscribed('r.brand_id', "'creator.erased'")}
       ON CONFLICT(id) DO NOTHING`,
    )
    .bind(...e.claimed.params, e.by, now);
  const fanOutErased = db.prepare(fanOut(`e.id IN (SELECT 'evt_' || r.creator_id || '_erased_' || r.brand_id FROM brand_creators r WHERE r.creator_id = ?1 AND (?2 IS NULL OR r.brand_id = ?2))`)).bind(creatorId, brandId);
  return [insert, due(fanOutErased)];
}

// ---------- Gift requests (db/gifting.ts) ----------

// Exact to the millisecond with integer arithmetic: a request's `updatedAt` is the version a ship call sends back.
const isoMs = (ms: string) => `CASE WHEN ${ms} IS NULL THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%S', ${ms} / 1000, 'unixepoch') || printf('.%03dZ', ${ms} % 1000) END`;

export type GiftEventType = Extract<WebhookEventType, `gift.${string}`>;

// Each event is written by the batch whose write moved the request: `moved` is the request as that write leaves
// it at that write's `now` (?2), and the id derives from the request and the move, so a request ships, arrives
// and closes once, and each version a creator sends (an ask, or a change to it) is its own gift.requested.
// gift.declined is every end without shipping: the brand's decline, the one a removal writes (its reason says
// so) and the creator's withdrawal (status `withdrawn`). A corrected tracking number is no event.
const GIFT_MOVES: Record<GiftEventType, { moved: string; id: string }> = {
  'gift.requested': { moved: "g.status = 'requested' AND g.updated_at = ?2", id: "'evt_' || g.id || '_requested_' || g.updated_at" },
  'gift.shipped': { moved: "g.status = 'shipped' AND g.shipped_at = ?2", id: "'evt_' || g.id || '_shipped'" },
  'gift.received': { moved: "g.status = 'received' AND g.received_at = ?2", id: "'evt_' || g.id || '_received'" },
  'gift.declined': { moved: "g.status IN ('declined', 'withdrawn') AND g.updated_at = ?2", id: "'evt_' || g.id || '_' || g.status" },
};

// ?1 the requests (`ids`: a JSON array of request ids) or the enrollment (`enrollment`) whose request moved.
const GIFT_SELECTORS = { ids: 'g.id IN (SELECT value FROM json_each(?1))', enrollment: 'g.enrollment_id = ?1' } as const;

// The request as the admin API shows it (GiftRequest), less the creator's name; the shipping address only in
// gift.requested, which is what a fulfilment system ships to (the brand's own system, as its admin key is). The
// address stays sealed in the stored event, as on the request (db/gifting.ts), and is opened when the delivery is
// sent (webhooks/events.ts eventBody), which adds its addressState.
const giftEvent = (type: GiftEventType, selector: keyof typeof GIFT_SELECTORS) => `INSERT INTO webhook_events (id, brand_id, type, payload, created_at)
SELECT ${GIFT_MOVES[type].id}, g.brand_id, '${type}', json_object('giftRequest', json_object(
    'id', g.id, 'campaignId', g.campaign_id, 'enrollmentId', g.enrollment_id, 'creator', ${creatorJson('cr')}, 'status', g.status,
    'items', json(g.items), 'round', g.round, 'valueMinor', g.value_minor, 'currency', b.currency,${type === 'gift.requested' ? " 'address', g.address," : ''}
    'shipment', CASE WHEN g.shipped_at IS NULL THEN NULL ELSE json_object('carrier', g.carrier, 'trackingNumber', g.tracking_number,
      'trackingUrl', g.tracking_url, 'shippedAt', ${isoMs('g.shipped_at')}) END,
    'declineReason', g.decline_reason, 'receivedAt', ${isoMs('g.received_at')}, 'createdAt', ${isoMs('g.created_at')}, 'updatedAt', ${isoMs('g.updated_at')})), ?2
FROM gift_requests g JOIN enrollments en ON en.id = g.enrollment_id JOIN brand_creators cr ON cr.brand_id = en.brand_id AND cr.creator_id = en.creator_id
JOIN brands b ON b.id = g.brand_id
WHERE ${GIFT_SELECTORS[selector]} AND ${GIFT_MOVES[type].moved} AND ${subscribed('g.brand_id', `'${type}'`)}
ON CONFLICT(id) DO NOTHING`;

/** To append after the write that may move the requests `ids` (or enrollment `enrollmentId`'s request) at `now`. */
export function giftEventStatements(db: D1Database, type: GiftEventType, of: { ids: string[] } | { enrollmentId: string }, now: number): D1PreparedStatement[] {
  const [selector, bind] = 'ids' in of ? (['ids', JSON.stringify(of.ids)] as const) : (['enrollment', of.enrollmentId] as const);
  const moved = fanOut(`e.id IN (SELECT ${GIFT_MOVES[type].id} FROM gift_requests g WHERE ${GIFT_SELECTORS[selector]} AND ${GIFT_MOVES[type].moved})`);
  return [db.prepare(giftEvent(type, selector)).bind(bind, now), due(db.prepare(moved).bind(bind, now))];
}

// ---------- Requests to extend usage rights (db/rights-extensions.ts) ----------

export type RightsExtensionEventType = Extract<WebhookEventType, `rights_extension.${string}`>;

// Each is written by the batch whose write moved the request (made it, or answered or withdrew it at that batch's
// `now`, ?2), and its id derives from the request and the move: a request is asked, and ends, once.
const RIGHTS_EXTENSION_MOVES: Record<RightsExtensionEventType, string> = {
  'rights_extension.requested': "x.status = 'open' AND x.created_at = ?2",
  'rights_extension.accepted': "x.status = 'accepted' AND x.answered_at = ?2",
  'rights_extension.declined': "x.status = 'declined' AND x.answered_at = ?2",
  'rights_extension.withdrawn': "x.status = 'withdrawn' AND x.answered_at = ?2",
};
const rightsExtensionEventId = (type: RightsExtensionEventType) => `'evt_' || x.id || '_${type.slice('rights_extension.'.length)}'`;

// ?1 the request (`id`), the content whose open request moved (`submission`: a withdrawal names the content), or the
// enrollment whose requests moved (`enrollment`: withdrawn with the creator's removal).
const RIGHTS_EXTENSION_SELECTORS = { id: 'x.id = ?1', submission: 'x.submission_id = ?1', enrollment: 'x.submission_id IN (SELECT id FROM submissions WHERE enrollment_id = ?1)' } as const;

// The request as the admin API shows it (RightsExtension), with the content's enrollment, campaign and creator.
const rightsExtensionEvent = (type: RightsExtensionEventType, selector: keyof typeof RIGHTS_EXTENSION_SELECTORS) => `INSERT INTO webhook_events (id, brand_id, type, payload, created_at)
SELECT ${rightsExtensionEventId(type)}, x.brand_id, '${type}', json_object('rightsExtension', json_object(
    'id', x.id, 'submissionId', x.submission_id, 'enrollmentId', s.enrollment_id, 'campaignId', en.campaign_id, 'creator', ${creatorJson('cr')},
    'status', x.status, 'days', x.days, 'noEnd', json(CASE WHEN x.days IS NULL THEN 'true' ELSE 'false' END), 'scopes', json(x.scopes),
    'feeMinor', x.fee_minor, 'currency', x.currency, 'note', x.note, 'askedAt', ${isoMs('x.created_at')}, 'answeredAt', ${isoMs('x.answered_at')},
    'declineNote', CASE WHEN x.status = 'declined' THEN COALESCE(x.answer_note, '') END,
    'accepted', CASE WHEN x.status = 'accepted' THEN json_object('terms', x.terms_text, 'untilBefore', ${isoMs('x.until_before')}, 'until', ${isoMs('x.until_after')},
      'scopes', json(x.scopes_after)) END)), ?2
FROM rights_extensions x JOIN submissions s ON s.id = x.submission_id JOIN enrollments en ON en.id = s.enrollment_id
JOIN brand_creators cr ON cr.brand_id = en.brand_id AND cr.creator_id = en.creator_id
WHERE ${RIGHTS_EXTENSION_SELECTORS[selector]} AND ${RIGHTS_EXTENSION_MOVES[type]} AND ${subscribed('x.brand_id', `'${type}'`)}
ON CONFLICT(id) DO NOTHING`;

/** To append after the write that may move request `id` (content `submissionId`'s open request, enrollment `enrollmentId`'s requests) at `now`. */
export function rightsExtensionEventStatements(db: D1Database, type: RightsExtensionEventType, of: { id: string } | { submissionId: string } | { enrollmentId: string }, now: number): D1PreparedStatement[] {
  const [selector, bind] = 'id' in of ? (['id', of.id] as const) : 'submissionId' in of ? (['submission', of.submissionId] as const) : (['enrollment', of.enrollmentId] as const);
  const moved = fanOut(`e.id IN (SELECT ${rightsExtensionEventId(type)} FROM rights_extensions x WHERE ${RIGHTS_EXTENSION_SELECTORS[selector]} AND ${RIGHTS_EXTENSION_MOVES[type]})`);
  return [db.prepare(rightsExtensionEvent(type, selector)).bind(bind, now), due(db.prepare(moved).bind(bind, now))];
}

// ---------- Endpoints and the delivery log (admin API, console) ----------

export type EndpointRow = {
  id: string;
  brand_id: string;
  url: string;
  description: string;
  events: string;
  enabled: number;
  created_at: number;
  updated_at: number;
  // Until when the secret a roll replaced still signs beside the new one (null: no such secret).
  previous_secret_until: number | null;
};

const ENDPOINT_COLUMNS = 'id, brand_id, url, description, events, enabled, created_at, updated_at, previous_secret_until';

export async function listEndpoints(db: D1Database, brandId: string): Promise<EndpointRow[]> {
  const { results } = await db.prepare(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE brand_id = ? ORDER BY created_at DESC, id`).bind(brandId).all<EndpointRow>();
  return results;
}

export function findEndpoint(db: D1Database, brandId: string, id: string): Promise<EndpointRow | null> {
  return db.prepare(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = ? AND brand_id = ?`).bind(id, brandId).first<EndpointRow>();
}

export type NewEndpoint = { id: string; brandId: string; url: string; description: string; secretEnc: string; events: WebhookEventType[] };

const ENABLED_ENDPOINTS = 'SELECT count(*) FROM webhook_endpoints WHERE brand_id = ?1 AND enabled = 1';

// True unless `flag` is 1 and another enabled endpoint of brand ?1 sends to `url`: two would send every event twice.
const urlFree = (url: string, self: string, flag: string) =>
  `NOT (${flag} = 1 AND EXISTS (SELECT 1 FROM webhook_endpoints o WHERE o.brand_id = ?1 AND o.enabled = 1 AND o.url = ${url} AND o.id <> ${self}))`;

// Adds an enabled endpoint unless the brand has `cap` enabled already (or, with `distinctUrl`, one on this URL):
// the checks and the insert are one statement, so parallel adds cannot pass them. Returns false when refused.
export async function createEndpoint(db: D1Database, e: NewEndpoint, cap: number, actor: Pick<AuditInput, 'actorType' | 'actorId'>, now: number, distinctUrl = false): Promise<boolean> {
  const [insert] = await db.batch([
    db
      .prepare(
        `INSERT INTO webhook_endpoints (id, brand_id, url, description, secret_enc, events, enabled, created_at, updated_at)
         SELECT ?2, ?1, ?3, ?4, ?5, ?6, 1, ?7, ?7 WHERE (${ENABLED_ENDPOINTS}) < ?8 AND ${urlFree('?3', '?2', '?9')}`,
      )
      .bind(e.brandId, e.id, e.url, e.description, e.secretEnc, JSON.stringify(e.events), now, cap, distinctUrl ? 1 : 0),
    auditIfChanged(db, { brandId: e.brandId, ...actor, action: 'webhook_endpoint.created', targetType: 'webhook_endpoint', targetId: e.id, details: { url: e.url, events: e.events } }, now),
  ]);
  return (insert?.meta.changes ?? 0) > 0;
}

// Disabling stops new deliveries at once; deliveries already queued fail on their next attempt. Enabling
// keeps to the cap (and, with `distinctUrl`, off a URL another enabled endpoint has) in the same statement.
// Returns false (and audits nothing) when not found, already so, or when enabling is refused.
export async function setEndpointEnabled(db: D1Database, brandId: string, id: string, enabled: boolean, cap: number, actor: Pick<AuditInput, 'actorType' | 'actorId'>, now: number, distinctUrl = false): Promise<boolean> {
  const [update] = await db.batch([
    db
      .prepare(
        `UPDATE webhook_endpoints SET enabled = ?2, updated_at = ?3 WHERE id = ?4 AND brand_id = ?1 AND enabled <> ?2
           AND (?2 = 0 OR ((${ENABLED_ENDPOINTS}) < ?5 AND ${urlFree('webhook_endpoints.url', '?4', '?6')}))`,
      )
      .bind(brandId, enabled ? 1 : 0, now, id, cap, distinctUrl ? 1 : 0),
    auditIfChanged(db, { brandId, ...actor, action: enabled ? 'webhook_endpoint.enabled' : 'webhook_endpoint.disabled', targetType: 'webhook_endpoint', targetId: id }, now),
  ]);
  return (update?.meta.changes ?? 0) > 0;
}

// A test event an owner sends to one enabled endpoint: its own event row and a single delivery, due now (never
// fanned out to other endpoints, whatever they subscribe to). At most TEST_EVENTS_PER_HOUR per endpoint, counted
// in the same statement. Returns the statements to batch; the first changes a row only if it was allowed.
export const TEST_EVENTS_PER_HOUR = 20;
export function testEventStatements(db: D1Database, brandId: string, endpointId: string, eventId: string, deliveryId: string, now: number): D1PreparedStatement[] {
  return [
    db
      .prepare(
        `INSERT INTO webhook_events (id, brand_id, type, payload, created_at)
         SELECT ?1, ep.brand_id, '${TEST_EVENT_TYPE}', json_object('endpoint', json_object('id', ep.id, 'url', ep.url),
           'message', 'A test event from Chorus. Check its Chorus-Signature with this endpoint''s secret, then answer 2xx.'), ?4
         FROM webhook_endpoints ep WHERE ep.id = ?2 AND ep.brand_id = ?3 AND ep.enabled = 1
           AND (SELECT count(*) FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
                WHERE d.endpoint_id = ?2 AND e.type = '${TEST_EVENT_TYPE}' AND d.created_at > ?4 - 3600000) < ?5`,
      )
      .bind(eventId, endpointId, brandId, now, TEST_EVENTS_PER_HOUR),
    due(
      db
        .prepare(
          `INSERT INTO webhook_deliveries (id, brand_id, event_id, endpoint_id, status, attempts, next_attempt_at, created_at, updated_at)
           SELECT ?1, e.brand_id, e.id, ?3, 'pending', 0, ?4, ?4, ?4 FROM webhook_events e WHERE e.id = ?2`,
        )
        .bind(deliveryId, eventId, endpointId, now),
    ),
  ];
}

// The audit row for a test event, to batch after testEventStatements (written only if the delivery was).
export const testEventAudit = (db: D1Database, brandId: string, endpointId: string, actor: Pick<AuditInput, 'actorType' | 'actorId'>, now: number) =>
  auditIfChanged(db, { brandId, ...actor, action: 'webhook_endpoint.tested', targetType: 'webhook_endpoint', targetId: endpointId }, now);

// A new signing secret for an endpoint. The one it replaces keeps signing beside it (Chorus-Signature carries
// a v1 for each) until `keepOldUntil`, so the receiver can switch without dropping events; at or before `now`
// it stops at once. Keeping is refused while a secret an earlier roll kept still signs (it would stop early,
// before the time the owner was shown); stopping at once is always allowed. Returns false when refused, when
// the endpoint is not this brand's, or when it changed since `seenVersion`.
export async function rollEndpointSecret(
  db: D1Database,
  brandId: string,
  id: string,
  secretEnc: string,
  keepOldUntil: number,
  actor: Pick<AuditInput, 'actorType' | 'actorId'>,
  now: number,
  // The endpoint as the asker saw it (its updated_at): a form posted again after the roll changes nothing.
  seenVersion: number | null = null,
): Promise<boolean> {
  const keep = keepOldUntil > now;
  const [update] = await db.batch([
    db
      .prepare(
        `UPDATE webhook_endpoints SET previous_secret_enc = CASE WHEN ?5 THEN secret_enc END, previous_secret_until = CASE WHEN ?5 THEN ?6 END,
           secret_enc = ?3, updated_at = ?4 WHERE id = ?2 AND brand_id = ?1 AND (?7 IS NULL OR updated_at = ?7)
           AND NOT (?5 AND COALESCE(previous_secret_until, 0) > ?4)`,
      )
      .bind(brandId, id, secretEnc, now, keep ? 1 : 0, keepOldUntil, seenVersion),
    auditIfChanged(db, { brandId, ...actor, action: 'webhook_endpoint.secret_rolled', targetType: 'webhook_endpoint', targetId: id, details: { previousSecretUntil: keep ? new Date(keepOldUntil).toISOString() : null } }, now),
  ]);
  return (update?.meta.changes ?? 0) > 0;
}

export type DeliveryRow = {
  id: string;
  event_id: string;
  event_type: WebhookEventType | typeof TEST_EVENT_TYPE;
  endpoint_id: string;
  endpoint_url: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: number;
  delivered_at: number | null;
  created_at: number;
  updated_at: number;
};

export type DeliveryFilter = { endpointId?: string; status?: DeliveryRow['status']; eventId?: string; limit: number; after?: Position };

const DELIVERY_SQL = `SELECT d.id, d.event_id, e.type AS event_type, d.endpoint_id, ep.url AS endpoint_url, d.status, d.attempts, d.last_status_code,
  d.last_error, d.next_attempt_at, d.delivered_at, d.created_at, d.updated_at
FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id JOIN webhook_endpoints ep ON ep.id = d.endpoint_id`;

// Newest first; every filter is scoped by brand, so another brand's ids simply match nothing.
export async function listDeliveries(db: D1Database, brandId: string, f: DeliveryFilter): Promise<DeliveryRow[]> {
  // With an event id, its deliveries are found by webhook_deliveries_event_endpoint and the brand only
  // checked (`+`): otherwise SQLite walked every delivery of the brand to find them.
  const where = [f.eventId ? '+d.brand_id = ?' : 'd.brand_id = ?'];
  const params: unknown[] = [brandId];
  if (f.endpointId) where.push('d.endpoint_id = ?'), params.push(f.endpointId);
  if (f.status) where.push('d.status = ?'), params.push(f.status);
  if (f.eventId) where.push('d.event_id = ?'), params.push(f.eventId);
  if (f.after) where.push(afterSql('d.created_at', 'd.id')), params.push(...afterParams(f.after));
  const { results } = await db
    .prepare(`${DELIVERY_SQL} WHERE ${where.join(' AND ')} ORDER BY d.created_at DESC, d.id DESC LIMIT ?`)
    .bind(...params, f.limit)
    .all<DeliveryRow>();
  return results;
}

export function findDelivery(db: D1Database, brandId: string, id: string): Promise<DeliveryRow | null> {
  return db.prepare(`${DELIVERY_SQL} WHERE d.id = ? AND d.brand_id = ?`).bind(id, brandId).first<DeliveryRow>();
}

// Replay sends the same event (same id, same body) again, now: the delivery goes back to pending, due now,
// with its attempts counted afresh, and the next enqueue pass hands it to the queue. A delivery still in
// backoff is resent too (a brand that fixed its receiver need not wait an hour): its generation goes up, so
// the message already with the queue is dropped when it arrives instead of sending every attempt twice.
// Returns false when not found or the endpoint is disabled.
export async function markForReplay(db: D1Database, brandId: string, id: string, actor: Pick<AuditInput, 'actorType' | 'actorId'>, now: number): Promise<boolean> {
  const [update] = await db.batch([
    due(
      db
        .prepare(
          `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, generation = generation + 1, queued_at = NULL, next_attempt_at = ?, updated_at = ?
           WHERE id = ? AND brand_id = ? AND EXISTS (SELECT 1 FROM webhook_endpoints ep WHERE ep.id = webhook_deliveries.endpoint_id AND ep.enabled = 1)
             AND NOT EXISTS (SELECT 1 FROM webhook_events e WHERE e.id = webhook_deliveries.event_id AND e.type = '${TEST_EVENT_TYPE}')`,
        )
        .bind(now, now, id, brandId),
    ),
    auditIfChanged(db, { brandId, ...actor, action: 'webhook_delivery.replayed', targetType: 'webhook_delivery', targetId: id }, now),
  ]);
  return (update?.meta.changes ?? 0) > 0;
}

// ---------- The enqueue pass and the consumer ----------

// Claims deliveries that are due and not with the queue (never handed over, or handed over so long ago
// that the message must have been lost), marking them queued so concurrent passes never claim the same row.
export async function claimDueDeliveries(db: D1Database, now: number, lostBefore: number, limit: number): Promise<{ id: string; generation: number }[]> {
  const { results } = await db
    .prepare(
      `UPDATE webhook_deliveries SET queued_at = ?1, next_attempt_at = ?1, updated_at = ?1
       WHERE id IN (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ?1 AND (queued_at IS NULL OR next_attempt_at < ?2)
                    ORDER BY next_attempt_at LIMIT ?3)
       RETURNING id, generation`,
    )
    .bind(now, lostBefore, limit)
    .all<{ id: string; generation: number }>();
  return results;
}

// After a failed send to the queue: the next pass (or the cron sweep) claims them again.
export async function releaseClaims(db: D1Database, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  // By id; the status only checked (`+`): by webhook_deliveries_due it walked every brand's pending deliveries.
  await db.prepare(`UPDATE webhook_deliveries SET queued_at = NULL WHERE +status = 'pending' AND id IN (SELECT value FROM json_each(?))`).bind(JSON.stringify(ids)).run();
}

export type DeliveryTarget = {
  id: string;
  status: DeliveryRow['status'];
  attempts: number;
  generation: number;
  url: string;
  secret_enc: string;
  previous_secret_enc: string | null;
  previous_secret_until: number | null;
  enabled: number;
  event_id: string;
  type: string;
  payload: string;
  created_at: number;
  brand_id: string;
  brand_slug: string;
};

export function loadDeliveryTarget(db: D1Database, id: string): Promise<DeliveryTarget | null> {
  return db
    .prepare(
      `SELECT d.id, d.status, d.attempts, d.generation, ep.url, ep.secret_enc, ep.previous_secret_enc, ep.previous_secret_until, ep.enabled, e.id AS event_id, e.type, e.payload, e.created_at, b.id AS brand_id, b.slug AS brand_slug
       FROM webhook_deliveries d JOIN webhook_endpoints ep ON ep.id = d.endpoint_id JOIN webhook_events e ON e.id = d.event_id JOIN brands b ON b.id = d.brand_id
       WHERE d.id = ?`,
    )
    .bind(id)
    .first<DeliveryTarget>();
}

export type AttemptOutcome =
  | { status: 'delivered'; statusCode: number }
  | { status: 'pending'; statusCode: number | null; error: string; nextAttemptAt: number }
  | { status: 'failed'; statusCode: number | null; error: string };

// Only a pending delivery records an attempt: a stale duplicate message cannot undo a success.
// Recorded on the generation the attempt was made for: one that lost a race with a replay changes nothing.
export async function recordAttempt(db: D1Database, id: string, outcome: AttemptOutcome, now: number, generation = 0): Promise<void> {
  const delivered = outcome.status === 'delivered';
  await db
    .prepare(
      `UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, last_status_code = ?, last_error = ?, next_attempt_at = ?,
         delivered_at = CASE WHEN ? THEN ? ELSE delivered_at END, updated_at = ?
       WHERE id = ? AND status = 'pending' AND generation = ?`,
    )
    .bind(outcome.status, outcome.statusCode, delivered ? null : outcome.error, outcome.status === 'pending' ? outcome.nextAttemptAt : now, delivered ? 1 : 0, now, now, id, generation)
    .run();
}
