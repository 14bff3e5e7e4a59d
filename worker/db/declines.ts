// A brand declining an order's commission, as Rewardful's "void commission" and Dub's "mark as fraud / duplicate":
// a staff test order with a creator's code, a fraudulent one, an order the store sent twice under two ids, one the
// program does not cover. Only while the commission (and any bonus the order earned) is in no payout; after, an
// adjustment corrects it (db/adjustments.ts).
//
// The money model: a decline is a refund the brand makes of the order's whole amount, kept as a refunds row of
// source 'decline' (declined_commissions.refund_id) and applied by the refund path itself (INSERT_REVERSAL,
// BONUS_TAKEN_BACK), booked in the order's own period (declineBooking). So every count over refunds (network figures and ranking, the weekly
// report, the creator portal, the console's creator page, bounties) sees the order as refunded in full, and every
// sum over the ledger (balances, tier revenue, payouts) sees its commission reversed, with no query of their own.
// The whole amount, not what is left: a reversal takes the commission's share of min(order, standing refunds), so a
// store refund before the decline leaves it the rest, one after takes nothing more, and a store refund that fails
// while the decline stands gives nothing back. Reinstating fails that row, and the failed refund's give-back
// (REVERSAL_GIVEN_BACK, BONUS_GIVEN_BACK) returns exactly what the refunds still standing do not cover, once (its
// key). Store-side checks of an order's refunds leave a standing decline out (money.ts declinedOf).
import { periodOf } from '../domain/periods';
import { ApiError, notFound } from '../lib/errors';
import { sha256Hex } from '../lib/digest';
import { newId } from '../lib/ids';
import { auditIfChanged, type Actor } from './audit';
import { broughtCustomerWhere, isKnownCustomer, reversalStatements, type Booking } from './conversions';
import { BONUS_AT_STAKE, BONUS_GIVEN_BACK, declinedOf, REVERSAL_GIVEN_BACK } from './money';
import { refundedOf } from './sales';
import { declineReasons } from './schema';
import { eventStatements } from './webhooks';

export { declineReasons };
export type DeclineReason = (typeof declineReasons)[number];
export const DECLINE_NOTE_MAX = 200;
/** How the console and the creator portal name each reason. */
export const DECLINE_REASON_LABELS: Record<DeclineReason, string> = {
  test_order: 'Test order',
  fraud: 'Fraudulent order',
  duplicate: 'Duplicate order',
  not_eligible: 'Not eligible for commission',
  other: 'Other reason',
};
export type DeclineInput = { reason: DeclineReason; note: string | null };

// Money of the order already claimed by a payout: its commission, a bonus it earned, or (reinstating) what its
// standing decline reversed. `cv` the conversion row, `refund` the decline's refunds row id or NULL.
const inPayout = (cv: string, refund: string) =>
  `EXISTS (SELECT 1 FROM ledger_entries x WHERE x.conversion_id = ${cv}.id AND x.payout_id IS NOT NULL AND (x.kind IN ('commission', 'bonus') OR x.refund_id = ${refund}))`;

// ?1 conversion, ?2 brand.
const ORDER_STATE = `SELECT cv.id, cv.external_order_id, cv.amount_minor, cv.occurred_at, cv.attribution, cv.self_purchase, b.timezone,
  ${refundedOf('cv')} - ${declinedOf('cv')} AS refunded, ${inPayout('cv', 'd.refund_id')} AS in_payout,
  d.id AS decline_id, d.refund_id AS decline_refund_id,
  EXISTS (SELECT 1 FROM declined_commissions x WHERE x.conversion_id = cv.id) AS ever_declined,
  (SELECT l.period FROM ledger_entries l WHERE l.conversion_id = cv.id AND l.kind = 'commission') AS commission_period
FROM conversions cv JOIN brands b ON b.id = cv.brand_id
LEFT JOIN declined_commissions d ON d.conversion_id = cv.id AND d.reinstated_at IS NULL
WHERE cv.id = ?1 AND cv.brand_id = ?2`;
type OrderState = {
  id: string;
  external_order_id: string;
  amount_minor: number;
  occurred_at: number;
  attribution: 'code' | 'click' | 'none';
  self_purchase: number;
  timezone: string;
  refunded: number;
  in_payout: number;
  decline_id: string | null;
  decline_refund_id: string | null;
  ever_declined: number;
  commission_period: string | null;
};

// A decline, and the give-back of reinstating it, are booked in the order's own month, payable as soon as what
// each entry takes back or gives back is (availableFrom 0: the statements never make one payable before that, so
// the reversal comes due with the commission and a bonus take-back with the bonus). So the close that would pay the
// commission, or the bonus it brought, nets the decline with it, whatever month the decline is made in; and a
// close that paid it paid the decline too, so reinstating is then refused (commission_in_payout), while one that
// paid the creator nothing carried all of it forward, and the give-back joins it in the next close.
const declineBooking = (s: OrderState): Booking => ({ period: s.commission_period ?? periodOf(s.occurred_at, s.timezone), availableFrom: 0 });

// The guards are read again inside the write (a payout closing, another decline) so a refusal writes nothing.
// ?1 id, ?2 conversion, ?3 brand, ?4 refund row id, ?5 reason, ?6 note, ?7 actor type, ?8 actor id, ?9 now.
const INSERT_DECLINE = `INSERT INTO declined_commissions (id, brand_id, conversion_id, refund_id, reason, note, actor_type, actor_id, created_at)
SELECT ?1, cv.brand_id, cv.id, ?4, ?5, ?6, ?7, ?8, ?9 FROM conversions cv
WHERE cv.id = ?2 AND cv.brand_id = ?3 AND cv.attribution <> 'none' AND cv.self_purchase <> 1 AND NOT ${inPayout('cv', 'NULL')}
ON CONFLICT DO NOTHING`;
// The refund standing in for decline ?1 (only if this batch declined), for the order's whole amount. ?2 now.
const INSERT_DECLINE_REFUND = `INSERT INTO refunds (id, brand_id, external_refund_id, external_order_id, amount_minor, currency, occurred_at, status, source, payload_hash, created_at)
SELECT d.refund_id, d.brand_id, 'decline:' || d.id, cv.external_order_id, cv.amount_minor, cv.currency, ?2, 'pending', 'decline', 'decline:' || d.id, ?2
FROM declined_commissions d JOIN conversions cv ON cv.id = d.conversion_id WHERE d.id = ?1
ON CONFLICT(brand_id, external_refund_id) DO NOTHING`;

// ?1 decline, ?2 now, ?3 actor type, ?4 actor id.
const REINSTATE = `UPDATE declined_commissions SET reinstated_at = ?2, reinstated_by_type = ?3, reinstated_by_id = ?4
WHERE id = ?1 AND reinstated_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM conversions cv WHERE cv.id = declined_commissions.conversion_id AND ${inPayout('cv', 'declined_commissions.refund_id')})`;
// The decline's refund fails only once its decline was reinstated (by this batch: the give-back's key lands once).
// ?1 refund row, ?2 now.
const FAIL_DECLINE_REFUND = `UPDATE refunds SET status = 'failed', failed_at = ?2
WHERE id = ?1 AND status <> 'failed' AND EXISTS (SELECT 1 FROM declined_commissions d WHERE d.refund_id = ?1 AND d.reinstated_at IS NOT NULL)`;

const inPayoutError = () =>
  new ApiError(409, 'commission_in_payout', "This order's commission is in a payout already, so it can no longer be declined or reinstated. Add an adjustment to the creator's earnings instead.");

async function orderState(db: D1Database, brandId: string, conversionId: string): Promise<OrderState> {
  const state = await db.prepare(ORDER_STATE).bind(conversionId, brandId).first<OrderState>();
  if (!state) throw notFound('conversion');
  return state;
}

function refuseDecline(s: OrderState): void {
  if (s.attribution === 'none') throw new ApiError(409, 'order_not_credited', 'This order is credited to no creator, so it earned no commission to decline.');
  if (s.self_purchase === 1) throw new ApiError(409, 'order_earned_nothing', "This order was the creator's own purchase and earned nothing, so there is no commission to decline.");
  if (s.in_payout) throw inPayoutError();
  if (s.refunded >= s.amount_minor) throw new ApiError(409, 'order_refunded_in_full', 'This order was refunded in full, so its commission was taken back already.');
}

/**
 * Declines conversion `conversionId`'s commission: answers its external order id (for the caller to read it back).
 * A standing decline is answered as it is; two at once decline once (the standing index takes one).
 */
// `formKey` (a console form's) names the decline, so the form sent again after a reinstatement declines nothing.
export async function declineConversion(db: D1Database, brandId: string, conversionId: string, input: DeclineInput, actor: Actor, now: number, formKey: string | null = null): Promise<{ orderId: string; declined: boolean }> {
  const state = await orderState(db, brandId, conversionId);
  if (state.decline_id) return { orderId: state.external_order_id, declined: false };
  refuseDecline(state);
  const id = formKey === null ? newId('dcl') : `dcl_${(await sha256Hex(`${brandId}:${formKey}`)).slice(0, 32)}`;
  const refundId = newId('rf');
  const [inserted] = await db.batch([
    db.prepare(INSERT_DECLINE).bind(id, conversionId, brandId, refundId, input.reason, input.note, actor.type, actor.id, now),
    auditIfChanged(db, { brandId, actorType: actor.type, actorId: actor.id, action: 'conversion.declined', targetType: 'conversion', targetId: conversionId, details: { orderId: state.external_order_id, reason: input.reason, note: input.note } }, now),
    db.prepare(INSERT_DECLINE_REFUND).bind(id, now),
    ...reversalStatements(db, refundId, declineBooking(state), now),
    ...eventStatements(db, 'conversion.declined', id, now),
  ]);
  if ((inserted?.meta.changes ?? 0) > 0) return { orderId: state.external_order_id, declined: true };
  // Another decline landed first (answered as it is), or a payout claimed the commission meanwhile (refused).
  const after = await orderState(db, brandId, conversionId);
  if (!after.decline_id) refuseDecline(after);
  return { orderId: after.external_order_id, declined: false };
}

// The order by which a creator brought its customer (db/conversions.ts broughtCustomerWhere, as FIRST_ORDER reads
// it), of a campaign whose returning-customer rule is on; its customer ref, which must name a customer.
const BRINGS_CUSTOMER = `SELECT cv.customer_ref FROM conversions cv JOIN enrollments e ON e.id = cv.enrollment_id JOIN campaigns c ON c.id = e.campaign_id
WHERE cv.id = ?1 AND cv.brand_id = ?2 AND c.returning_customer_months > 0 AND ${broughtCustomerWhere('cv', 'cv.brand_id', 'cv.customer_ref', 'cv.occurred_at')}`;

/**
 * What declining conversion `conversionId` now would take beyond its commission: its month's performance bonus (0
 * when the order keeps the month at no threshold), whether it is a Stripe subscription's first payment, whose
 * renewals then earn nothing, and whether it is the order by which the creator brought its customer, whose later
 * orders then no longer earn through it as a returning customer's (db/conversions.ts).
 */
export async function declineStakes(db: D1Database, brandId: string, conversionId: string): Promise<{ bonusMinor: number; startsSubscription: boolean; bringsCustomer: boolean }> {
  const [bonus, first, customer] = await db.batch([
    db.prepare(BONUS_AT_STAKE).bind(conversionId, brandId),
    db.prepare('SELECT 1 AS found FROM conversions WHERE id = ? AND brand_id = ? AND subscription_id IS NOT NULL AND renewal_of IS NULL').bind(conversionId, brandId),
    db.prepare(BRINGS_CUSTOMER).bind(conversionId, brandId),
  ]);
  return { bonusMinor: (bonus?.results[0] as { bonus: number } | undefined)?.bonus ?? 0, startsSubscription: (first?.results.length ?? 0) > 0, bringsCustomer: isKnownCustomer((customer?.results[0] as { customer_ref: string | null } | undefined)?.customer_ref ?? null) };
}

/**
 * Gives a declined commission back (the failed refund's give-back), once; an order reinstated already is answered as
 * it is. `declineId` (a console form's) names the decline to undo: a newer one standing is left as it is (`newer`).
 */
export async function reinstateConversion(db: D1Database, brandId: string, conversionId: string, actor: Actor, now: number, declineId: string | null = null): Promise<{ orderId: string; reinstated: boolean; newer: boolean }> {
  const state = await orderState(db, brandId, conversionId);
  if (!state.decline_id || !state.decline_refund_id) {
    if (state.ever_declined) return { orderId: state.external_order_id, reinstated: false, newer: false };
    throw new ApiError(409, 'not_declined', "This order's commission was never declined, so there is nothing to reinstate.");
  }
  // The write undoes state.decline_id only, so a decline made after this check is never the one reinstated.
  if (declineId !== null && declineId !== state.decline_id) return { orderId: state.external_order_id, reinstated: false, newer: true };
  if (state.in_payout) throw inPayoutError();
  const { period, availableFrom } = declineBooking(state);
  const givenBack = newId('le');
  const [updated] = await db.batch([
    db.prepare(REINSTATE).bind(state.decline_id, now, actor.type, actor.id),
    auditIfChanged(db, { brandId, actorType: actor.type, actorId: actor.id, action: 'conversion.reinstated', targetType: 'conversion', targetId: conversionId, details: { orderId: state.external_order_id } }, now),
    db.prepare(FAIL_DECLINE_REFUND).bind(state.decline_refund_id, now),
    db.prepare(REVERSAL_GIVEN_BACK).bind(state.decline_refund_id, givenBack, period, availableFrom, now),
    db.prepare(BONUS_GIVEN_BACK).bind(givenBack, newId('le'), period, availableFrom, now),
    ...eventStatements(db, 'conversion.reinstated', state.decline_id, now),
  ]);
  if ((updated?.meta.changes ?? 0) > 0) return { orderId: state.external_order_id, reinstated: true, newer: false };
  const after = await orderState(db, brandId, conversionId);
  if (after.decline_id === state.decline_id && after.in_payout) throw inPayoutError();
  return { orderId: after.external_order_id, reinstated: false, newer: after.decline_id !== null && after.decline_id !== state.decline_id };
}
