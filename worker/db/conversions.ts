// Recording orders and refunds exactly once: load evidence, decide attribution, write one batch, read back.
import { attribute, withinEarnMonths, type Attribution } from '../domain/attribution';
import { CLICK_ID } from '../domain/clicks';
import { codeStateIn, isRedeemable, normalizeCode } from '../domain/codes';
import type { ConversionInput, RefundFailureInput, RefundInput } from '../domain/orders';
import { DAY_MS, periodOf } from '../domain/periods';
import { isCreatorsOwn, selfPurchaseOutcome, SELF_PURCHASE_WITHHELD, type SelfPurchase } from '../domain/self-purchase';
import { awaitingClickWhere, earnsThroughColumns, knownCustomerWhere, type CommissionTier, type PerformanceBonus } from './schema';
import { ApiError, storageUnavailable } from '../lib/errors';
import { sha256Hex } from '../lib/digest';
import { newId } from '../lib/ids';
import { iso } from '../lib/validate';
import { formatAmount } from '../domain/store-payloads';
import { isNewOrder, refundedOf, stands } from './sales';
import { log } from '../lib/log';
import { BONUS_GIVEN_BACK, BONUS_TAKEN_BACK, COUNT_REDEMPTION, declinedOf, COUNT_REFERRAL_REDEMPTION, INSERT_BONUS, INSERT_COMMISSION, INSERT_CONVERSION, INSERT_REFUND, INSERT_REVERSAL, INSERT_STRIPE_FAILURE, MARK_REFUND_APPLIED, MARK_REFUND_FAILED, MAX_AMOUNT_MINOR, REVERSAL_GIVEN_BACK, STRIPE_FAILURE_GIVEN_BACK } from './money';
import { eventStatements } from './webhooks';

export type Source = 'api' | 'shopify' | 'stripe';
export type IngestBrand = { id: string; timezone: string; currency: string };

// A brand keeps its money in one currency: tiers, revenue and payouts add amounts up, and Chorus converts
// nothing. A new order in another currency is refused before anything is written, and so is a refund in
// another currency than its order (or, before its order arrives, than the brand's). Replays and conflicts
// of what is already stored are answered first, so a row from before this rule still replays.
function sameCurrency(expected: string, input: { currency: string }, what: string): void {
  if (input.currency !== expected) {
    throw new ApiError(422, 'currency_mismatch', `${what} ${expected}; this one is in ${input.currency}. Send it in ${expected}.`, { expected, received: input.currency });
  }
}

// The ledger's arithmetic is exact for amounts up to MAX_AMOUNT_MINOR (db/money.ts). The API's schema refuses
// larger ones; an order or refund a store's webhook carries is refused here the same way, before any write.
function withinAmountCap(input: { amountMinor: number }): void {
  if (input.amountMinor > MAX_AMOUNT_MINOR) {
    throw new ApiError(422, 'validation_failed', 'The request did not pass validation.', { issues: [{ path: 'amountMinor', message: `must be at most ${MAX_AMOUNT_MINOR}` }] });
  }
}

export type Recorded<T> = { created: boolean; data: T };

const retryWithSamePayload = () => storageUnavailable('Storage is unavailable; retry with the same payload.');

// The store's retry is safe after any storage failure: nothing was committed, or the retry replays.
const runBatch = (db: D1Database, statements: D1PreparedStatement[]) => storage(() => db.batch(statements));

// Any storage failure on this path is a 503 the store can retry, never a 500.
async function storage<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    log.error('storage_error', { error });
    throw retryWithSamePayload();
  }
}

const read = <T>(statement: D1PreparedStatement) => storage(() => statement.first<T>());

// The customer's email is evidence, never part of the hash: a hash of it with the stored fields beside it would
// let anyone reading D1 test a guessed address (and an order would replay as a conflict over its case).
function payloadHash(source: Source, input: object): Promise<string> {
  const { customerEmail: _evidence, ...rest } = input as { customerEmail?: string | null };
  const sorted = Object.fromEntries(Object.entries(rest).sort(([a], [b]) => a.localeCompare(b)));
  return sha256Hex(JSON.stringify({ source, ...sorted }));
}

// What an enrollment earns on, read with the evidence that may name it (one round trip for all of it): with
// the creator's account email, which tells their own orders apart, and their brand's rule for those.
type EnrollmentTerms = {
  creator_id: string;
  creator_email: string;
  self_purchases_earn: number;
  payment_model: 'product' | 'affiliate' | 'flat' | 'hybrid';
  holding_days: number;
  tiers: string | null;
  plan_period: 'month' | 'lifetime' | null;
  bonus: string | null;
};
type CodeRow = EnrollmentTerms & {
  id: string;
  enrollment_id: string;
  status: 'active' | 'disabled';
  starts_at: number | null;
  ends_at: number | null;
  max_redemptions: number | null;
  redemptions: number;
  enrollment_status: string;
  enrollment_removed_at: number | null;
  campaign_status: string;
  campaign_ends_at: number | null;
  campaign_starts_at: number | null;
};
type ClickRow = EnrollmentTerms & { id: string; at: number; enrollment_id: string; attribution_window_days: number; counts: number };

// The creator's account, the brand and its roster row are read by primary key in the same statement: the
// self-purchase check costs no statement and no round trip of its own. Until the creator accepts the brand the
// address compared is the brand's own copy, never the account's (an order's outcome must not tell the brand an
// address it was not given).
const TERMS = `e.creator_id, CASE WHEN bc.accepted_at IS NULL THEN bc.email ELSE ca.email END AS creator_email, eb.self_purchases_earn, e.payment_model, c.holding_days, p.tiers, p.period AS plan_period, p.bonus`;
const TERMS_JOINS = `JOIN campaigns c ON c.id = e.campaign_id LEFT JOIN commission_plans p ON p.id = c.commission_plan_id
JOIN creators ca ON ca.id = e.creator_id JOIN brands eb ON eb.id = e.brand_id
LEFT JOIN brand_creators bc ON bc.brand_id = e.brand_id AND bc.creator_id = e.creator_id`;
const CODE_EVIDENCE = `SELECT d.id, d.enrollment_id, d.status, d.starts_at, d.ends_at, d.max_redemptions, d.redemptions,
  e.status AS enrollment_status, e.removed_at AS enrollment_removed_at, c.status AS campaign_status, c.ends_at AS campaign_ends_at, c.starts_at AS campaign_starts_at, ${TERMS}
FROM discount_codes d JOIN enrollments e ON e.id = d.enrollment_id ${TERMS_JOINS}
WHERE d.brand_id = ? AND d.code = ?`;
// A click credits only if its link was open when it was made: never one of a draft, or from before the
// campaign's start (launching a draft dates its start). Links refuse both today (domain/codes.ts
// placementOpen); clicks stored before they did, or by a link cached across a launch's edge, stay inert.
export const CLICK_COUNTS = "c.status <> 'draft' AND (c.starts_at IS NULL OR k.at >= c.starts_at)";
// Nor does a click credit an order placed after its creator was removed or its campaign ended (a removal or
// an end from before they were dated: none at all), as their code does not (domain/codes.ts placementOpen):
// a click made in the last week of a campaign does not earn on orders placed after the brand ended it.
// `orderAt` is the order's time.
export const creditsOrderAt = (orderAt: string) =>
  `(e.status <> 'removed' OR e.removed_at > ${orderAt}) AND (c.ends_at IS NULL OR c.ends_at > ${orderAt}) AND (c.status <> 'ended' OR c.ends_at IS NOT NULL)`;
// ?1 click id, ?2 brand, ?3 when the order was placed. A stored click that credits nothing (a bot's, one of
// an ended campaign or a removed creator) is read too, with counts 0: the order waits for no click then.
const CLICK_EVIDENCE = `SELECT k.id, k.at, l.enrollment_id, c.attribution_window_days, ${TERMS},
  k.is_bot = 0 AND ${CLICK_COUNTS} AND ${creditsOrderAt('?3')} AS counts
FROM clicks k JOIN links l ON l.id = k.link_id AND l.brand_id = k.brand_id JOIN enrollments e ON e.id = l.enrollment_id ${TERMS_JOINS}
WHERE k.id = ?1 AND k.brand_id = ?2`;
const PENDING_REFUNDS = "SELECT id, occurred_at FROM refunds WHERE brand_id = ? AND external_order_id = ? AND status = 'pending' ORDER BY created_at, id";
// A subscription payment's evidence: who brought the subscription and when it started, with the terms that
// enrollment earns on now and whether it still credits an order placed when the payment was made; and the
// subscription's first credited payment made no later than this one, which a renewal names, and whether the brand
// declined that payment's commission (db/declines.ts): its renewals then earn nothing, as a self-purchase's do not.
// ?1 brand, ?2 subscription, ?3 when the payment was made.
type ReferralRow = EnrollmentTerms & { enrollment_id: string; attribution: 'code' | 'click'; code_raw: string | null; referred_at: number; renewal_months: number; credits: number };
const REFERRAL = `SELECT s.enrollment_id, s.attribution, s.code_raw, s.referred_at, c.renewal_months, ${TERMS}, ${creditsOrderAt('?3')} AS credits
FROM subscription_referrals s JOIN enrollments e ON e.id = s.enrollment_id ${TERMS_JOINS}
WHERE s.brand_id = ?1 AND s.subscription_id = ?2`;
const FIRST_PAYMENT = `SELECT id, self_purchase,
  EXISTS (SELECT 1 FROM declined_commissions d WHERE d.conversion_id = conversions.id AND d.reinstated_at IS NULL) AS declined
FROM conversions WHERE brand_id = ?1 AND subscription_id = ?2 AND renewal_of IS NULL AND attribution <> 'none' AND occurred_at <= ?3 ORDER BY occurred_at, id LIMIT 1`;
// Who brought a customer: their earliest order at the brand placed by `at` that stands (not refunded in full; a
// decline is a whole-order refund), if a code or click credited that order itself (not a renewal or another
// returning order). An organic earliest order means nobody brought them. Shared by FIRST_ORDER and the decline
// form (db/declines.ts) so the two never drift. `f` the candidate conversion row; `brand`, `customer` and `at`
// SQL for the brand id, its customer ref and the latest time. Index conversions_brand_customer, earliest first.
export const broughtCustomerWhere = (f: string, brand: string, customer: string, at: string) => `${f}.id = (SELECT o.id FROM conversions o
    WHERE o.brand_id = ${brand} AND o.customer_ref = ${customer} AND ${knownCustomerWhere('o.')} AND o.occurred_at <= ${at} AND ${stands('o')}
    ORDER BY o.occurred_at, o.id LIMIT 1)
  AND ${f}.attribution <> 'none' AND ${isNewOrder(f)}`;
/** A customer ref the returning-customer rule follows: a blank one is a guest's (db/schema.ts knownCustomerWhere). */
export const isKnownCustomer = (ref: string | null): ref is string => ref !== null && ref.trim() !== '';
// The order at ?3's customer's first order, if a creator brought them by it (broughtCustomerWhere): its creator,
// the terms that enrollment earns on now and whether it still credits an order placed at ?3, and the campaign's
// returning-customer months. ?1 brand, ?2 the order's customer ref. Nothing at all (the lookup is skipped) while
// none of the brand's campaigns has the rule on.
type FirstOrderRow = EnrollmentTerms & { id: string; enrollment_id: string; attribution: 'code' | 'click'; occurred_at: number; self_purchase: SelfPurchase; returning_customer_months: number; credits: number };
const FIRST_ORDER = `SELECT f.id, f.enrollment_id, f.attribution, f.occurred_at, f.self_purchase, c.returning_customer_months, ${TERMS}, ${creditsOrderAt('?3')} AS credits
FROM conversions f JOIN enrollments e ON e.id = f.enrollment_id ${TERMS_JOINS}
WHERE EXISTS (SELECT 1 FROM campaigns r WHERE r.brand_id = ?1 AND r.returning_customer_months > 0) AND ${broughtCustomerWhere('f', '?1', '?2', '?3')}`;
// Exported for the query-plan test.
export const RETURNING_CUSTOMER_SQL = { FIRST_ORDER };
// ?1 referral id, then its columns. Written with the subscription's first credited payment (only if this
// batch inserted conversion ?9), or alone for a subscription that started without one (a free trial; ?9 null).
// ?10: for a subscription that starts without a payment, the capped code it redeems, which must still have a
// use left (with a payment, the conversion's own guard holds it: db/money.ts INSERT_CONVERSION).
const INSERT_REFERRAL = `INSERT INTO subscription_referrals (id, brand_id, subscription_id, enrollment_id, attribution, code_raw, referred_at, created_at)
SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 WHERE (?9 IS NULL OR EXISTS (SELECT 1 FROM conversions WHERE id = ?9))
  AND (?10 IS NULL OR EXISTS (SELECT 1 FROM discount_codes WHERE id = ?10 AND redemptions < max_redemptions))
ON CONFLICT DO NOTHING`;

const termsOf = (row: EnrollmentTerms & { enrollment_id: string }): EnrollmentTerms & { id: string } => {
  const { creator_id, creator_email, self_purchases_earn, payment_model, holding_days, tiers, plan_period, bonus } = row;
  return { id: row.enrollment_id, creator_id, creator_email, self_purchases_earn, payment_model, holding_days, tiers, plan_period, bonus };
};

// A code of an ended campaign or a removed creator is not redeemable, as an expired or disabled one is not:
// it credits nobody, and the order falls back to its click like any order with an unusable code.
const codeRedeemable = (code: CodeRow, at: number) =>
  isRedeemable(
    codeStateIn(
      { status: code.status, startsAt: code.starts_at, endsAt: code.ends_at, maxRedemptions: code.max_redemptions, redemptions: code.redemptions },
      { enrollmentStatus: code.enrollment_status, enrollmentRemovedAt: code.enrollment_removed_at, campaignStatus: code.campaign_status, campaignEndsAt: code.campaign_ends_at, campaignStartsAt: code.campaign_starts_at },
    ),
    at,
  );

/** The enrollment the evidence credits, with the terms it earns on; null when nobody is credited. */
function decide(input: Pick<ConversionInput, 'occurredAt'>, code: CodeRow | null, click: ClickRow | null): { attribution: Attribution; terms: (EnrollmentTerms & { id: string }) | null } {
  const attribution = attribute({
    occurredAt: input.occurredAt,
    code: code ? { enrollmentId: code.enrollment_id, redeemable: codeRedeemable(code, input.occurredAt) } : null,
    click: click ? { enrollmentId: click.enrollment_id, at: click.at, windowDays: click.attribution_window_days } : null,
  });
  if (attribution.kind === 'none') return { attribution, terms: null };
  const row = attribution.kind === 'code' ? code : click;
  if (!row || row.enrollment_id !== attribution.enrollmentId) throw new Error('attribution names an enrollment the evidence does not');
  return { attribution, terms: termsOf(row) };
}

// A referred subscription's payment earns for the creator who brought it while that creator's enrollment
// still credits orders (not removed, campaign not ended), as their code and link would: its first payment
// (after a free trial, say) always, later ones while the campaign's renewal months last, counted from when
// the subscription started. "First" is the earliest recorded so far: a payment processed before an earlier
// one (a retry, a resend) is first until that one lands, and both earn. Outside that it earns nobody; null.
function decideSubscriptionPayment(input: ConversionInput, referral: ReferralRow, first: { id: string } | null): { attribution: Attribution; terms: EnrollmentTerms & { id: string } } | null {
  // A payment dated before the recorded start (an earlier one processed later) is at the start.
  const startedAt = Math.min(referral.referred_at, input.occurredAt);
  if (referral.credits !== 1 || (first && !withinEarnMonths(startedAt, input.occurredAt, referral.renewal_months))) return null;
  return { attribution: { kind: referral.attribution, enrollmentId: referral.enrollment_id }, terms: termsOf(referral) };
}

// An order no code or click credits, of a customer a creator brought (FIRST_ORDER) within the first order's
// campaign's returning-customer months before it, earns that creator while their enrollment still credits
// orders, as a subscription's renewal does (and, like one, is judged by the brand's self-purchase rule as it is
// now when the first order was the creator's own). Null otherwise.
function decideReturningCustomer(input: Pick<ConversionInput, 'occurredAt'>, first: FirstOrderRow | null): { attribution: Attribution; terms: EnrollmentTerms & { id: string } } | null {
  if (!first || first.credits !== 1) return null;
  if (!withinEarnMonths(first.occurred_at, input.occurredAt, first.returning_customer_months)) return null;
  return { attribution: { kind: first.attribution, enrollmentId: first.enrollment_id }, terms: termsOf(first) };
}

type Priced = Pick<ConversionInput, 'occurredAt' | 'amountMinor' | 'currency'>;

function pricingStatements(db: D1Database, brandId: string, conversionId: string, input: Priced, terms: EnrollmentTerms & { id: string }, period: string, now: number): D1PreparedStatement[] {
  if (terms.payment_model !== 'affiliate' && terms.payment_model !== 'hybrid') return [];
  if (!terms.tiers) return [];
  const availableAt = input.occurredAt + terms.holding_days * DAY_MS;
  const statements = [
    db
      .prepare(INSERT_COMMISSION[terms.plan_period === 'lifetime' ? 'lifetime' : 'month'])
      .bind(newId('le'), brandId, terms.id, terms.creator_id, input.amountMinor, input.currency, period, conversionId, availableAt, now, terms.tiers),
  ];
  const bonus = terms.bonus ? (JSON.parse(terms.bonus) as PerformanceBonus | null) : null;
  // A bonus of nothing is none (a plan stored with 0 before the API refused it).
  if (terms.payment_model === 'hybrid' && bonus && bonus.amountMinor > 0) {
    statements.push(
      db.prepare(INSERT_BONUS).bind(newId('le'), brandId, terms.id, terms.creator_id, bonus.amountMinor, input.currency, period, conversionId, availableAt, now, bonus.thresholdMinor),
    );
  }
  return statements;
}

export type ConversionView = {
  id: string;
  orderId: string;
  amountMinor: number;
  currency: string;
  occurredAt: string | null;
  attribution: Attribution['kind'];
  creator: { handle: string } | null;
  /** `reason: 'self_purchase'`: the creator bought through their own code or link, and earned nothing on it. */
  commission: { amountMinor: number; rateBps: number | null; tier: number | null; availableAt: string | null; reason: 'self_purchase' | null } | null;
  /** The customer was the credited creator (whether or not the brand lets such orders earn). */
  selfPurchase: boolean;
  /** A subscription's later payment, credited to whoever brought the subscription: its first credited payment's order id. */
  renewalOf: string | null;
  /** A returning customer's order no code or click credited, credited to whoever brought the customer: their first credited order's id. */
  returningCustomerOf: string | null;
};

type StoredConversion = {
  id: string;
  external_order_id: string;
  amount_minor: number;
  currency: string;
  occurred_at: number;
  attribution: Attribution['kind'];
  payload_hash: string;
  handle: string | null;
  commission_minor: number | null;
  rate_bps: number | null;
  tier: number | null;
  available_at: number | null;
  renewal_of: string | null;
  returning_customer_of: string | null;
  self_purchase: SelfPurchase;
};

const CONVERSION_ROW = `SELECT cv.id, cv.external_order_id, cv.amount_minor, cv.currency, cv.occurred_at, cv.attribution, cv.payload_hash, cv.self_purchase, cr.handle,
  l.amount_minor AS commission_minor, l.rate_bps, l.tier, l.available_at,
  ${earnsThroughColumns('cv.', 'first.external_order_id')}
FROM conversions cv
LEFT JOIN conversions first ON first.id = cv.renewal_of
LEFT JOIN enrollments e ON e.id = cv.enrollment_id
LEFT JOIN brand_creators cr ON cr.brand_id = e.brand_id AND cr.creator_id = e.creator_id
LEFT JOIN ledger_entries l ON l.conversion_id = cv.id AND l.kind = 'commission'
WHERE cv.brand_id = ? AND cv.external_order_id = ?`;

const conversionRow = (db: D1Database, brandId: string, orderId: string) => db.prepare(CONVERSION_ROW).bind(brandId, orderId);

function conversionView(row: StoredConversion): ConversionView {
  return {
    id: row.id,
    orderId: row.external_order_id,
    amountMinor: row.amount_minor,
    currency: row.currency,
    occurredAt: iso(row.occurred_at),
    attribution: row.attribution,
    creator: row.handle ? { handle: row.handle } : null,
    commission: commissionView(row),
    selfPurchase: row.self_purchase !== 0,
    renewalOf: row.renewal_of,
    returningCustomerOf: row.returning_customer_of,
  };
}

// A self-purchase that earns nothing has no ledger entry (there is no money to record, nor tier revenue, nor
// anything for a refund to take back): its zero is shown with the reason.
function commissionView(row: StoredConversion): ConversionView['commission'] {
  if (row.commission_minor !== null) return { amountMinor: row.commission_minor, rateBps: row.rate_bps, tier: row.tier, availableAt: iso(row.available_at), reason: null };
  if (row.self_purchase === SELF_PURCHASE_WITHHELD) return { amountMinor: 0, rateBps: null, tier: null, availableAt: null, reason: 'self_purchase' };
  return null;
}

function idempotencyConflict(what: string): ApiError {
  return new ApiError(409, 'idempotency_conflict', `This ${what} id was already recorded with a different payload.`);
}

// Round trips in the common case: one batch of reads (is the order known, the code, the click, the terms
// they name, refunds waiting for it), then one batch that writes and reads the stored row back. A refund
// that arrived first adds one more; a replay costs the first only.
export const recordConversion = (db: D1Database, brand: IngestBrand, input: ConversionInput, source: Source) => record(db, brand, input, source, null);

/** A Stripe subscription's payment: its first, recorded from the Checkout Session that started it, or any, from its invoice.paid. */
export type SubscriptionPayment = { subscriptionId: string; via: 'checkout' | 'invoice' };
/**
 * Why a subscription payment was not recorded: no creator brought the subscription, its creator's renewal months or
 * enrollment ended, or the brand declined the commission of its first payment (while that decline stands).
 */
export type Skipped = { skipped: 'not_referred' | 'renewals_ended' | 'first_payment_declined' };

// A subscription's first payment, from its Checkout Session: an order like any other, which also records who
// brought the subscription when a code or a link credits it.
export const recordSubscriptionStart = (db: D1Database, brand: IngestBrand, input: ConversionInput, subscriptionId: string) => record(db, brand, input, 'stripe', { subscriptionId, via: 'checkout' });

// A subscription payment (a Stripe invoice.paid): credited to whoever brought the subscription (see
// decideSubscriptionPayment); for a subscription nobody is known to have brought, on its own code and click
// (its metadata's), which then brought it. Recorded only when it credits someone, as a store's every payment
// of every subscription would otherwise fill the orders with payments nobody earns on. The invoice of a
// subscription's first payment is recorded once, whichever of its Checkout Session and its invoice.paid
// comes first: the second answers with the order the first recorded.
export const recordSubscriptionPayment = (db: D1Database, brand: IngestBrand, input: ConversionInput, subscriptionId: string) => record(db, brand, input, 'stripe', { subscriptionId, via: 'invoice' });

// Code and click evidence for an order placed at `input.occurredAt`, and its reader.
function evidenceReads(db: D1Database, brandId: string, input: Pick<ConversionInput, 'code' | 'clickId' | 'occurredAt'>) {
  const normalized = input.code === null ? null : normalizeCode(input.code);
  const clickId = input.clickId !== null && CLICK_ID.test(input.clickId) ? input.clickId : null;
  const statements: D1PreparedStatement[] = [];
  if (normalized !== null) statements.push(db.prepare(CODE_EVIDENCE).bind(brandId, normalized));
  if (clickId !== null) statements.push(db.prepare(CLICK_EVIDENCE).bind(clickId, brandId, input.occurredAt));
  const read = (results: D1Result[]) => {
    const code = normalized === null ? null : firstOf<CodeRow>(results.shift());
    const stored = clickId === null ? null : firstOf<ClickRow>(results.shift());
    return { code, click: stored?.counts === 1 ? stored : null, clickStored: stored !== null };
  };
  return { clickId, statements, read };
}

// A subscription that starts without a payment (a free trial, a 100% first-period discount): who brought it,
// on its Checkout Session's code and click as they stood when it started, so its first payment weeks later
// earns that creator. Nothing to record when nobody is credited.
export async function recordSubscriptionReferral(db: D1Database, brand: IngestBrand, subscriptionId: string, evidence: Pick<ConversionInput, 'code' | 'clickId' | 'occurredAt'>): Promise<boolean> {
  const { statements, read } = evidenceReads(db, brand.id, evidence);
  const { code, click } = read(statements.length > 0 ? await runBatch(db, statements) : []);
  const { attribution } = decide(evidence, code, click);
  if (attribution.kind === 'none') return false;
  const id = newId('sref');
  const capped = attribution.kind === 'code' ? capOf(code) : null;
  const writes = [db.prepare(INSERT_REFERRAL).bind(id, brand.id, subscriptionId, attribution.enrollmentId, attribution.kind, evidence.code, evidence.occurredAt, Date.now(), null, capped)];
  if (attribution.kind === 'code' && code) writes.push(db.prepare(COUNT_REFERRAL_REDEMPTION).bind(code.id, id));
  const [inserted] = await runBatch(db, writes);
  // The code's last use went to another order meanwhile: decided again without it (as record does).
  if (!inserted?.meta.changes && capped && (await usedUp(db, capped))) return recordSubscriptionReferral(db, brand, subscriptionId, evidence);
  return true;
}

async function record(db: D1Database, brand: IngestBrand, input: ConversionInput, source: Source, sub: null): Promise<Recorded<ConversionView>>;
async function record(db: D1Database, brand: IngestBrand, input: ConversionInput, source: Source, sub: SubscriptionPayment | null): Promise<Recorded<ConversionView> | Skipped>;
async function record(db: D1Database, brand: IngestBrand, input: ConversionInput, source: Source, sub: SubscriptionPayment | null): Promise<Recorded<ConversionView> | Skipped> {
  const hash = await payloadHash(source, input);
  const own = evidenceReads(db, brand.id, input);
  const byInvoice = sub?.via === 'invoice' ? sub.subscriptionId : null;
  const reads = [conversionRow(db, brand.id, input.orderId), db.prepare(PENDING_REFUNDS).bind(brand.id, input.orderId)];
  if (byInvoice !== null) reads.push(db.prepare(REFERRAL).bind(brand.id, byInvoice, input.occurredAt), db.prepare(FIRST_PAYMENT).bind(brand.id, byInvoice, input.occurredAt));
  // Subscription payments have their own rule (renewals): the returning-customer rule is for other orders.
  const byCustomer = sub === null && isKnownCustomer(input.customerRef);
  if (byCustomer) reads.push(db.prepare(FIRST_ORDER).bind(brand.id, input.customerRef, input.occurredAt));
  reads.push(...own.statements);
  const [existingRows, pendingRows, ...evidence] = await runBatch(db, reads);
  const existing = firstOf<StoredConversion>(existingRows);
  if (existing) {
    // A subscription's first invoice arrives twice, by its Checkout Session and by its invoice.paid: the
    // same payment, whichever payload recorded it.
    if (existing.payload_hash !== hash && !sub) throw idempotencyConflict('order');
    // A retry after a failure between commit and applying early refunds finishes that work.
    const pending = rowsOf<PendingRefund>(pendingRows);
    if (pending.length > 0) return { created: false, data: conversionView((await applyRefunds(db, brand, input.orderId, pending)) ?? existing) };
    return { created: false, data: conversionView(existing) };
  }
  const referral = byInvoice === null ? null : firstOf<ReferralRow>(evidence.shift());
  const first = byInvoice === null ? null : firstOf<{ id: string; self_purchase: SelfPurchase; declined: number }>(evidence.shift());
  const firstOrder = byCustomer ? firstOf<FirstOrderRow>(evidence.shift()) : null;
  // Most of a store's subscriptions came through no creator: told apart before anything else is checked.
  if (byInvoice !== null && !referral && own.statements.length === 0) return { skipped: 'not_referred' };
  if (input.currency !== brand.currency) {
    const changed = await brandChanged(db, brand);
    if (changed) return record(db, changed, input, source, sub);
  }
  sameCurrency(brand.currency, input, 'This brand records orders in');
  withinAmountCap(input);
  const { code, click, clickStored } = own.read(evidence);
  const referred = referral ? decideSubscriptionPayment(input, referral, first) : null;
  if (referral && !referred) return { skipped: 'renewals_ended' };
  const decided = referred ?? decide(input, code, click);
  if (byInvoice !== null && decided.attribution.kind === 'none') return { skipped: 'not_referred' };
  // A code or click beats the returning-customer rule, and so does a click on its way: an order naming a click
  // not stored yet is its click's to decide when it lands (settled orders are never credited twice). A stored
  // click that credits nothing (a bot's, an ended campaign's) is not on its way: that order is its returning customer's.
  const clickOnItsWay = own.clickId !== null && !clickStored;
  const returning = decided.attribution.kind === 'none' && !clickOnItsWay ? decideReturningCustomer(input, firstOrder) : null;
  const { attribution, terms } = returning ?? decided;
  // An order left waiting for its click is not credited yet, and its customer's address is not kept: which of
  // the brand's creators that address is the account of (if any) is, for when the click lands.
  const waits = own.clickId !== null && click === null && attribution.kind === 'none';
  // A later payment of a referred subscription renews its first, a returning customer's order their first
  // order; any other credited subscription payment starts the referral.
  const earnsThrough = referred ? first : returning ? firstOrder : null;
  const renewalOf = earnsThrough?.id ?? null;
  if (referred && renewalOf !== null && first!.declined === 1) return { skipped: 'first_payment_declined' };
  // The creator's own order (their address at checkout, or a renewal of a subscription, or a returning order of
  // a customer, that was their own) earns nothing unless their brand lets it, as the brand has it now: no
  // commission, bonus or tier revenue.
  const selfPurchase: SelfPurchase = terms
    ? selfPurchaseOutcome(isCreatorsOwn(input.customerEmail, terms.creator_email) || (earnsThrough !== null && earnsThrough.self_purchase !== 0), terms.self_purchases_earn === 1)
    : 0;
  const buyer = waits && input.customerEmail ? await creatorsWithAddress(db, brand.id, input.customerEmail) : null;
  const startsReferral = sub !== null && !referral && attribution.kind !== 'none';
  const now = Date.now();
  const conversionId = newId('cv');
  const period = periodOf(input.occurredAt, brand.timezone);
  // A subscription counts its code's use with the referral it starts, once; any other order with its own row.
  const referralId = startsReferral ? newId('sref') : null;
  // A returning customer's order redeems no code: its own (if any) was not redeemable.
  const redeems = attribution.kind === 'code' && returning === null;
  const capped = redeems && (!sub || referralId) ? capOf(code) : null;
  const statements = [
    db
      .prepare(INSERT_CONVERSION)
      .bind(
        conversionId,
        brand.id,
        input.orderId,
        input.amountMinor,
        input.currency,
        input.occurredAt,
        attribution.kind,
        terms?.id ?? null,
        // A referred subscription's payment carries the code that brought it, not its metadata's evidence.
        referred ? referral!.code_raw : input.code,
        referred ? null : (code?.id ?? null),
        input.clickId,
        referred ? null : (click?.id ?? null),
        input.customerRef,
        source,
        hash,
        now,
        brand.timezone,
        renewalOf,
        sub?.subscriptionId ?? null,
        capped,
        selfPurchase,
        buyer,
      ),
    ...(terms && selfPurchase !== SELF_PURCHASE_WITHHELD ? pricingStatements(db, brand.id, conversionId, input, terms, period, now) : []),
  ];
  if (referralId && attribution.kind !== 'none') statements.push(db.prepare(INSERT_REFERRAL).bind(referralId, brand.id, sub!.subscriptionId, attribution.enrollmentId, attribution.kind, input.code, input.occurredAt, now, conversionId, null));
  if (redeems && code && !sub) statements.push(db.prepare(COUNT_REDEMPTION).bind(code.id, conversionId));
  if (attribution.kind === 'code' && code && referralId) statements.push(db.prepare(COUNT_REFERRAL_REDEMPTION).bind(code.id, referralId));
  // Last of the order's writes, so its payload carries the commission priced above; a replay inserts no conversion and so no event.
  statements.push(...eventStatements(db, 'conversion.created', conversionId, now));
  // Refunds that came before their order are reversed in the same batch: a close never finds the commission
  // without its reversal. One that lands while this runs is applied just after (below).
  statements.push(...rowsOf<PendingRefund>(pendingRows).flatMap((r) => applyRefundStatements(db, brand, r, now)));
  // Read back in the same transaction: the row this batch wrote, or the one a concurrent delivery did.
  const storedAt = statements.push(conversionRow(db, brand.id, input.orderId)) - 1;
  const pendingAt = statements.push(db.prepare(PENDING_REFUNDS).bind(brand.id, input.orderId)) - 1;
  // An order left waiting for its click looks again in this batch: a consumer that stored the click since
  // the evidence was read ran before this order existed, so only this read can find it.
  const awaitingAt = waits ? statements.push(awaitingClickStatement(db, [own.clickId!])) - 1 : -1;
  const written = await runBatch(db, statements);
  const stored = firstOf<StoredConversion>(written[storedAt]);
  if (!stored) {
    const changed = await brandChanged(db, brand);
    if (changed) return record(db, changed, input, source, sub);
    // Its capped code's last use went to another order meanwhile: decided again, the code is used up (the
    // order falls back to its click, or credits nobody). Uses only grow, so this happens once.
    if (capped && (await usedUp(db, capped))) return record(db, brand, input, source, sub);
    // The brand declined the first payment it renews (or the returning customer's first order) meanwhile:
    // decided again, it is skipped (or credits nobody).
    if (renewalOf !== null && (await standingDecline(db, renewalOf))) return record(db, brand, input, source, sub);
    throw retryWithSamePayload();
  }
  if (stored.id !== conversionId && stored.payload_hash !== hash && !sub) throw idempotencyConflict('order');
  // Refunds that landed after the first read and before the write, applied now that the order exists (idempotently).
  const pending = rowsOf<PendingRefund>(written[pendingAt]);
  let final = pending.length > 0 ? ((await applyRefunds(db, brand, input.orderId, pending)) ?? stored) : stored;
  if (waits) {
    // The order is committed either way; if crediting fails here, the cron sweep credits it.
    const late = await attributeAwaitingOrders(db, written[awaitingAt], now).catch((error: unknown) => {
      log.error('late_attribution_failed', { orderId: input.orderId, error });
      return null;
    });
    if (late && late.credited.length > 0) final = (await conversionRow(db, brand.id, input.orderId).first<StoredConversion>().catch(() => null)) ?? final;
  }
  return { created: stored.id === conversionId, data: conversionView(final) };
}

// The brand's creators whose address `customerEmail` reaches (domain/self-purchase.ts; the brand's copy until
// they accept, as TERMS compares), as a JSON list, or null. Every one of them: two accounts can reach one
// mailbox (j.doe@ and jdoe@gmail.com), and the click may be either's. Read only for an order that waits for its
// click (rare: the click is seconds behind the redirect), so one more read there.
const ROSTER_ADDRESSES = 'SELECT r.creator_id, CASE WHEN r.accepted_at IS NULL THEN r.email ELSE ca.email END AS email FROM brand_creators r JOIN creators ca ON ca.id = r.creator_id WHERE r.brand_id = ?';
async function creatorsWithAddress(db: D1Database, brandId: string, customerEmail: string): Promise<string | null> {
  const { results } = await storage(() => db.prepare(ROSTER_ADDRESSES).bind(brandId).all<{ creator_id: string; email: string }>());
  const ids = results.filter((r) => isCreatorsOwn(customerEmail, r.email)).map((r) => r.creator_id);
  return ids.length > 0 ? JSON.stringify(ids) : null;
}

// The code an order or a trial redeems, when it has a cap its write must still find room under.
const capOf = (code: CodeRow | null) => (code && code.max_redemptions !== null ? code.id : null);
const usedUp = (db: D1Database, codeId: string) =>
  storage(async () => (await db.prepare('SELECT redemptions >= max_redemptions AS full FROM discount_codes WHERE id = ?').bind(codeId).first<number>('full')) === 1);

const standingDecline = (db: D1Database, conversionId: string) =>
  storage(async () => (await db.prepare('SELECT 1 AS found FROM declined_commissions WHERE conversion_id = ? AND reinstated_at IS NULL').bind(conversionId).first<number>('found')) === 1);

// The brand with the currency and timezone it has now, when they differ from those a guarded insert was
// checked with (a change that landed while the isolate's copy was cached; db/money.ts): the caller decides
// again with it, and answers a currency that is no longer the brand's with 422. Null when nothing changed.
async function brandChanged<B extends IngestBrand>(db: D1Database, brand: B): Promise<B | null> {
  const now = await storage(() => db.prepare('SELECT currency, timezone FROM brands WHERE id = ?').bind(brand.id).first<Pick<IngestBrand, 'currency' | 'timezone'>>());
  return now && (now.currency !== brand.currency || now.timezone !== brand.timezone) ? { ...brand, ...now } : null;
}

const rowsOf = <T>(result: D1Result | undefined): T[] => (result?.results ?? []) as T[];
const firstOf = <T>(result: D1Result | undefined): T | null => rowsOf<T>(result)[0] ?? null;

type PendingRefund = { id: string; occurred_at: number };

// A charge.refunded that came before Chorus knew which invoice its payment paid (invoice_payment.paid, or the
// invoice's own invoice.paid, still on its way) waits under the payment's id. Once the pairing and the
// invoice's order are both recorded, whichever came last moves such refunds to that order and applies them.
// ?1 brand, ?2 invoice.
const ADOPT_PAYMENT_REFUNDS = `UPDATE refunds SET external_order_id = ?2
WHERE brand_id = ?1 AND status = 'pending' AND source = 'stripe'
  AND external_order_id IN (SELECT payment_ref FROM stripe_invoice_payments WHERE brand_id = ?1 AND invoice_id = ?2)
  AND EXISTS (SELECT 1 FROM conversions WHERE brand_id = ?1 AND external_order_id = ?2)
  AND NOT EXISTS (SELECT 1 FROM conversions c WHERE c.brand_id = ?1 AND c.external_order_id = refunds.external_order_id)`;

export async function adoptPaymentRefunds(db: D1Database, brand: IngestBrand, invoiceId: string): Promise<void> {
  // Refunds pending under a recorded order are only ever such refunds (or ones a failed try left): applied.
  const [, pendingRows] = await runBatch(db, [db.prepare(ADOPT_PAYMENT_REFUNDS).bind(brand.id, invoiceId), db.prepare(PENDING_REFUNDS).bind(brand.id, invoiceId)]);
  const pending = rowsOf<PendingRefund>(pendingRows);
  if (pending.length > 0) await applyRefunds(db, brand, invoiceId, pending);
}

// Applies refunds that were waiting for their order and reads the order back in the same batch. Failures
// surface as 503 so the store retries; the replay finishes the work.
async function applyRefunds(db: D1Database, brand: IngestBrand, orderId: string, pending: PendingRefund[]): Promise<StoredConversion | null> {
  const now = Date.now();
  const results = await runBatch(db, [...pending.flatMap((r) => applyRefundStatements(db, brand, r, now)), conversionRow(db, brand.id, orderId)]);
  return firstOf<StoredConversion>(results[results.length - 1]);
}

function applyRefundStatements(db: D1Database, brand: IngestBrand, refund: PendingRefund, now: number): D1PreparedStatement[] {
  return [...reversalStatements(db, refund.id, refundBooking(refund, brand), now), ...eventStatements(db, 'conversion.reversed', refund.id, now)];
}

/** Where a reversal (and a bonus it takes back) is booked: the month it is paid in, and the earliest it may be paid (never before what it takes back). */
export type Booking = { period: string; availableFrom: number };
// A store's refund takes back in its own month, from its own time.
const refundBooking = (refund: PendingRefund, brand: Pick<IngestBrand, 'timezone'>): Booking => ({ period: periodOf(refund.occurred_at, brand.timezone), availableFrom: refund.occurred_at });

// The reversal of refund row `refundId`'s commission share, the period's bonus taken back if the refund brought its
// revenue below the threshold, and the refund marked applied (each a no-op when done).
export function reversalStatements(db: D1Database, refundId: string, booking: Booking, now: number): D1PreparedStatement[] {
  return [
    db.prepare(INSERT_REVERSAL).bind(refundId, newId('le'), booking.period, booking.availableFrom, now),
    db.prepare(BONUS_TAKEN_BACK).bind(refundId, newId('le'), booking.period, booking.availableFrom, now),
    db.prepare(MARK_REFUND_APPLIED).bind(refundId),
  ];
}

export type RefundView = {
  id: string;
  refundId: string;
  orderId: string;
  amountMinor: number;
  currency: string;
  occurredAt: string | null;
  status: 'pending' | 'applied' | 'failed';
  failedAt: string | null;
  reversal: { amountMinor: number } | null;
  givenBack: { amountMinor: number } | null;
};

type StoredRefund = {
  id: string;
  external_refund_id: string;
  external_order_id: string;
  amount_minor: number;
  currency: string;
  occurred_at: number;
  status: 'pending' | 'applied' | 'failed';
  failed_at: number | null;
  source: Source | 'decline';
  payload_hash: string;
  reversal_minor: number | null;
  given_back_minor: number | null;
};

// A refund's reversal and, once it failed, the entry that gave it back: each found by its own key.
const refundRow = (db: D1Database, brandId: string, refundId: string) =>
  db
    .prepare(
      `SELECT r.id, r.external_refund_id, r.external_order_id, r.amount_minor, r.currency, r.occurred_at, r.status, r.failed_at, r.source, r.payload_hash,
         l.amount_minor AS reversal_minor, g.amount_minor AS given_back_minor
       FROM refunds r LEFT JOIN ledger_entries l ON l.brand_id = r.brand_id AND l.event_key = 'reversal:' || r.id
         LEFT JOIN ledger_entries g ON g.brand_id = r.brand_id AND g.event_key = 'refund_failed:' || r.id
       WHERE r.brand_id = ? AND r.external_refund_id = ?`,
    )
    .bind(brandId, refundId);

// A refund's order as recorded: its currency, when it was placed, its amount and what its refunds took back so far.
// A brand's decline (db/declines.ts) is no store refund: the store may still refund a declined order in full.
const REFUND_ORDER = `SELECT cv.currency, cv.occurred_at, cv.amount_minor, ${refundedOf('cv')} - ${declinedOf('cv')} AS refunded FROM conversions cv WHERE cv.brand_id = ? AND cv.external_order_id = ?`;

const loadRefund = (db: D1Database, brandId: string, refundId: string) => read<StoredRefund>(refundRow(db, brandId, refundId));

function refundView(row: StoredRefund): RefundView {
  return {
    id: row.id,
    refundId: row.external_refund_id,
    orderId: row.external_order_id,
    amountMinor: row.amount_minor,
    currency: row.currency,
    occurredAt: iso(row.occurred_at),
    status: row.status,
    failedAt: row.failed_at === null ? null : iso(row.failed_at),
    reversal: row.reversal_minor === null ? null : { amountMinor: row.reversal_minor },
    givenBack: row.given_back_minor === null ? null : { amountMinor: row.given_back_minor },
  };
}

export async function recordRefund(db: D1Database, brand: IngestBrand, input: RefundInput, source: Source): Promise<Recorded<RefundView>> {
  const hash = await payloadHash(source, input);
  const [refundRows, orderRows] = await runBatch(db, [refundRow(db, brand.id, input.refundId), db.prepare(REFUND_ORDER).bind(brand.id, input.orderId)]);
  const existing = firstOf<StoredRefund>(refundRows);
  if (existing) {
    if (existing.payload_hash !== hash) throw idempotencyConflict('refund');
    return { created: false, data: refundView(existing) };
  }
  const order = firstOf<{ currency: string; occurred_at: number; amount_minor: number; refunded: number }>(orderRows);
  if (order) {
    sameCurrency(order.currency, input, 'Its order was recorded in');
    // A refund of an order refunded in full already is a mistake (a second id for the same refund, a wrong
    // order id): signed calls hear of it. One for more than is left (a refund that included tax or shipping)
    // takes back the rest, as reversals are capped at the commission. (Stores cap their own refunds.)
    if (source === 'api' && order.refunded >= order.amount_minor) {
      throw new ApiError(422, 'order_refunded_in_full', `Its order was refunded in full already (${formatAmount(order.refunded, order.currency)} of ${formatAmount(order.amount_minor, order.currency)} ${order.currency}).`, { issues: [{ path: 'orderId', message: 'refunded in full already' }] });
    }
    // A refund dated before its order is a store's mistake (a reversal filed under a month the order never
    // saw). Stores that sign their calls hear of it; Shopify and Stripe date both from their own clock.
    if (source === 'api' && input.occurredAt < order.occurred_at) {
      throw new ApiError(422, 'refund_before_order', `The refund is dated before its order, which was placed ${iso(order.occurred_at)}.`, { issues: [{ path: 'occurredAt', message: 'before the order' }] });
    }
  } else {
    const changed = input.currency === brand.currency ? null : await brandChanged(db, brand);
    if (changed) return recordRefund(db, changed, input, source);
    sameCurrency(brand.currency, input, 'This brand records refunds in');
  }
  withinAmountCap(input);
  const id = newId('rf');
  const now = Date.now();
  await runBatch(db, [
    db.prepare(INSERT_REFUND).bind(id, brand.id, input.refundId, input.orderId, input.amountMinor, input.currency, input.occurredAt, source, hash, now, brand.timezone),
    ...applyRefundStatements(db, brand, { id, occurred_at: input.occurredAt }, now),
  ]);
  const stored = await loadRefund(db, brand.id, input.refundId);
  if (!stored) {
    const changed = await brandChanged(db, brand);
    if (changed) return recordRefund(db, changed, input, source);
    throw retryWithSamePayload();
  }
  if (stored.id !== id && stored.payload_hash !== hash) throw idempotencyConflict('refund');
  return { created: stored.id === id, data: refundView(stored) };
}

// ---------- A refund that failed ----------

// The statements that fail refund row `refundRowId` at `failedAt` and give back what its reversal took (db/money.ts):
// the status first, so a replay or a racing call gives back nothing (the give-back's key lands once, and the bonus
// follows only a give-back this batch wrote).
function refundFailureStatements(db: D1Database, brand: Pick<IngestBrand, 'timezone'>, refundRowId: string, failedAt: number, now: number): D1PreparedStatement[] {
  const period = periodOf(failedAt, brand.timezone);
  const givenBack = newId('le');
  return [
    db.prepare(MARK_REFUND_FAILED).bind(refundRowId, failedAt),
    db.prepare(REVERSAL_GIVEN_BACK).bind(refundRowId, givenBack, period, failedAt, now),
    db.prepare(BONUS_GIVEN_BACK).bind(givenBack, newId('le'), period, failedAt, now),
    ...eventStatements(db, 'refund.failed', refundRowId, now),
  ];
}

/**
 * A store says a refund it posted failed or was cancelled (POST /v1/refunds/failures): the money went back to the
 * merchant, so the creator earns again what the refund took. Once: a replay answers the refund as it stands (a
 * replay with another time is a conflict, as a refund's is). A refund still waiting for its order simply never
 * reverses anything.
 */
export async function recordRefundFailure(db: D1Database, brand: IngestBrand, input: RefundFailureInput): Promise<Recorded<RefundView>> {
  const existing = await loadRefund(db, brand.id, input.refundId);
  // Another brand's refund is as unknown as one never posted, and so is a brand's decline (only reinstating undoes it).
  if (!existing || existing.source === 'decline') throw new ApiError(404, 'refund_not_found', 'No refund with this id was recorded for this brand.', { refundId: input.refundId });
  if (existing.status === 'failed') {
    if (existing.failed_at !== input.occurredAt) throw idempotencyConflict('refund failure');
    return { created: false, data: refundView(existing) };
  }
  // Chorus keeps a Stripe charge's refunds as slices of its running total: failing one here would leave the next
  // charge.refunded to slice against a total the failure may or may not have moved.
  if (existing.source === 'stripe') {
    throw new ApiError(409, 'refund_from_stripe', "This refund came from Stripe's webhooks, as a share of the charge's refunded total; Stripe's refund.failed event gives a failed one back.", { refundId: input.refundId });
  }
  if (input.occurredAt < existing.occurred_at) {
    throw new ApiError(422, 'failure_before_refund', `The failure is dated before its refund, which was made ${iso(existing.occurred_at)}.`, { issues: [{ path: 'occurredAt', message: 'before the refund' }] });
  }
  const [marked] = await runBatch(db, refundFailureStatements(db, brand, existing.id, input.occurredAt, Date.now()));
  const stored = await loadRefund(db, brand.id, input.refundId);
  if (!stored || stored.status !== 'failed') throw retryWithSamePayload();
  // A call racing this one with another time failed it first.
  if (stored.failed_at !== input.occurredAt) throw idempotencyConflict('refund failure');
  return { created: (marked?.meta.changes ?? 0) > 0, data: refundView(stored) };
}

/** A failed Stripe refund to book against its recorded order: `amountMinor` is its share of the order's priced amount. */
export type StripeFailureBooking = { refundId: string; chargeId: string; orderId: string; amountMinor: number; currency: string; failedAt: number };

// Books failed Stripe refunds (routes/webhooks.ts decides which, and for how much): each a row of its own, keyed by
// the charge and the Stripe refund, its give-back and any bonus it earns back, in one batch. Once: a replay or a
// racing delivery finds the key taken, and the give-back it would follow is not there. Answers them as they stand.
export async function recordStripeRefundFailures(db: D1Database, brand: IngestBrand, bookings: StripeFailureBooking[]): Promise<RefundView[]> {
  const now = Date.now();
  const statements = await Promise.all(
    bookings.map(async (b) => {
      const id = newId('rf');
      const period = periodOf(b.failedAt, brand.timezone);
      const givenBack = newId('le');
      return [
        db.prepare(INSERT_STRIPE_FAILURE).bind(id, brand.id, b.refundId, b.orderId, b.amountMinor, b.currency, b.failedAt, await payloadHash('stripe', b), now, b.chargeId),
        db.prepare(STRIPE_FAILURE_GIVEN_BACK).bind(id, givenBack, period, b.failedAt, now),
        db.prepare(BONUS_GIVEN_BACK).bind(givenBack, newId('le'), period, b.failedAt, now),
        ...eventStatements(db, 'refund.failed', id, now),
      ];
    }),
  );
  if (statements.length === 0) return [];
  await runBatch(db, statements.flat());
  const stored = await Promise.all(bookings.map((b) => loadRefund(db, brand.id, b.refundId)));
  return stored.flatMap((row) => (row ? [refundView(row)] : []));
}

// ---------- Orders that named a click still on its way ----------
//
// The redirect hands clicks to a queue, so an order can arrive naming a click D1 does not hold yet: a
// shopper who pays within seconds of the click, or a queue that is backed up or retrying. Such an order is
// stored unattributed with the click id it named (never guessed), and waits. Whichever of the two writes
// comes second finds the other, because D1 runs batches one at a time: the click consumer's batch reads
// the orders waiting for its clicks, and the order's own batch reads whether its click has landed since
// its evidence was read. Either way the order is then decided as ingestion would have decided it with the
// click present: the same window (a redeemable code would already have won), priced at the tier the
// creator has reached now, refunds already applied to the order reversed, and a `conversion.attributed`
// event. The cron sweep settles what a failure left waiting (orders of their first 15 days).
//
// Idempotent and race-safe: the update is guarded on the order still waiting with the refunds it was read
// with (a refund landing between the read and the write makes it a no-op, and the order is read again),
// and the commission, bonus, reversals and event only follow an update that happened. Refunds of the order
// (applied, or still pending if their hand-over failed) are reversed in the same batch and reported once,
// in the event's `reversals`, not as `conversion.reversed` events of their own.

type AwaitingClick = EnrollmentTerms & {
  id: string;
  brand_id: string;
  amount_minor: number;
  currency: string;
  occurred_at: number;
  timezone: string;
  click_id: string;
  click_at: number;
  enrollment_id: string;
  attribution_window_days: number;
  refunds: string;
  buyer_creator_ids: string | null;
};

const WAITING = awaitingClickWhere('cv.');
// Its refunds come oldest first, the order they are reversed in; refunds are only ever added, so their
// count tells whether the set changed.
const AWAITING_COLUMNS = `cv.id, cv.brand_id, cv.amount_minor, cv.currency, cv.occurred_at, b.timezone, cv.buyer_creator_ids,
  k.id AS click_id, k.at AS click_at, l.enrollment_id, c.attribution_window_days, ${TERMS},
  (SELECT json_group_array(json_array(o.id, o.occurred_at)) FROM (
    SELECT r.id, r.occurred_at FROM refunds r
    WHERE r.brand_id = cv.brand_id AND r.external_order_id = cv.external_order_id ORDER BY r.created_at, r.id) o) AS refunds`;
const AWAITING_JOINS = `JOIN clicks k ON k.id = cv.click_id_raw AND k.brand_id = cv.brand_id AND k.is_bot = 0
JOIN links l ON l.id = k.link_id JOIN enrollments e ON e.id = l.enrollment_id ${TERMS_JOINS}
JOIN brands b ON b.id = cv.brand_id AND b.currency = cv.currency AND ${CLICK_COUNTS} AND ${creditsOrderAt('cv.occurred_at')}`;

// ?1 JSON array of click ids just written: index conversions_awaiting_click.
const AWAITING_CLICK = `SELECT ${AWAITING_COLUMNS}
FROM json_each(?1) j JOIN conversions cv ON cv.click_id_raw = j.value AND ${WAITING}
${AWAITING_JOINS}`;

// The sweep: ?1 now, ?2 orders to look at. The waiting orders due for a look (index conversions_click_look),
// the longest due first; DUE_ORDERS lists them, AWAITING_DUE those of them whose click is stored.
const DUE = `coalesce(cv.click_look_at, cv.created_at)`;
const DUE_SCAN = `SELECT * FROM conversions cv WHERE ${WAITING} AND ${DUE} <= ?1 ORDER BY ${DUE} LIMIT ?2`;
const DUE_ORDERS = `SELECT cv.id FROM (${DUE_SCAN}) cv`;
const AWAITING_DUE = `SELECT ${AWAITING_COLUMNS}
FROM (${DUE_SCAN}) cv
${AWAITING_JOINS}`;
// ?1 JSON array of conversions looked at in vain, ?2 now, ?3 the shortest wait, ?4 how long an order is
// looked after: the next look waits as long as the order has waited (at least ?3), so an order is looked at
// about 13 times in its first ?4, often while a failure is likely to be fresh; after the last, never again.
// After the last look nothing can credit the order: who its customer was is forgotten.
const LOOK_LATER = `UPDATE conversions SET click_look_at = CASE
    WHEN created_at + ?4 <= ?2 THEN ${Number.MAX_SAFE_INTEGER}
    ELSE CAST(min(created_at + ?4, ?2 + max(?3, ?2 - created_at)) AS INTEGER) END,
  buyer_creator_ids = CASE WHEN created_at + ?4 <= ?2 THEN NULL ELSE buyer_creator_ids END
WHERE id IN (SELECT value FROM json_each(?1)) AND ${awaitingClickWhere()}`;

// ?1 conversion, ?2 'click' or 'none', ?3 enrollment (null when none), ?4 click row id, ?5 refunds read,
// ?6 self_purchase. Who the customer was is not kept past this.
const SETTLE_AWAITING = `UPDATE conversions SET attribution = ?2, enrollment_id = ?3, click_id = ?4, self_purchase = ?6, buyer_creator_ids = NULL
WHERE id = ?1 AND attribution = 'none' AND click_id IS NULL
  AND (SELECT count(*) FROM refunds r WHERE r.brand_id = conversions.brand_id AND r.external_order_id = conversions.external_order_id) = ?5`;

// Exported for the query-plan test.
export const LATE_CLICK_SQL = { AWAITING_CLICK, AWAITING_DUE, DUE_ORDERS, LOOK_LATER };

// The sweep is the backstop for a crediting step that failed after its click was stored, and for the
// orders beyond what one run settles (SETTLE_PER_RUN). Each cron run looks at up to SWEEP_SCAN waiting
// orders that are due, the longest due first: those whose click is stored are settled (beyond
// SETTLE_PER_RUN they stay due, first in line for the next run), the others are looked at again later,
// further apart as the order ages, until AWAIT_SWEEP_MS after it (a click is minted before its order and
// Queues keep a message at most 14 days, so no click of an older order can still land). Orders whose click
// never comes (an invented or mistyped cid) so cost a run nothing until they are due again, and a run that
// fails or is skipped leaves every due order due.
// 2,000 looks a run, 192,000 a day: room for about 15,000 new orders a day whose click never comes.
const SWEEP_SCAN = 2_000;
const SWEEP_MIN_WAIT_MS = 15 * 60_000;
export const AWAIT_SWEEP_MS = 15 * DAY_MS;
// D1 counts every statement of a batch against its limit of 1,000 queries per invocation (50 on the free
// plan). Settling an order takes about 6 statements and 3 more per refund; one run (a consumer batch, an
// order, a cron run) settles at most SETTLE_PER_RUN orders and SETTLE_STATEMENTS statements, CREDIT_CHUNK
// orders to a batch, and leaves the rest waiting for the sweep's next run.
const SETTLE_PER_RUN = 100;
const SETTLE_STATEMENTS = 800;
// The waiting orders one run settles, first come first: as many as the statement budget holds (always one).
function withinBudget(rows: AwaitingClick[]): AwaitingClick[] {
  let spent = 0;
  const taken: AwaitingClick[] = [];
  for (const row of rows.slice(0, SETTLE_PER_RUN)) {
    const cost = 6 + 3 * (JSON.parse(row.refunds) as unknown[]).length;
    if (taken.length > 0 && spent + cost > SETTLE_STATEMENTS) break;
    spent += cost;
    taken.push(row);
  }
  return taken;
}
const CREDIT_CHUNK = 25;
const SETTLE_ATTEMPTS = 3;

/** The read that finds orders waiting for any of these (non-bot) clicks; append it after the statements that store them. */
export function awaitingClickStatement(db: D1Database, clickIds: readonly string[]): D1PreparedStatement {
  return db.prepare(AWAITING_CLICK).bind(JSON.stringify(clickIds));
}

// The statements that settle one waiting order, the guarded update first.
function settleStatements(db: D1Database, row: AwaitingClick, now: number): { statements: D1PreparedStatement[]; credits: boolean } {
  const refunds = JSON.parse(row.refunds) as [string, number][];
  const attribution = attribute({ occurredAt: row.occurred_at, code: null, click: { enrollmentId: row.enrollment_id, at: row.click_at, windowDays: row.attribution_window_days } });
  // Outside the window the click is still recorded against the order, as ingestion records it.
  if (attribution.kind !== 'click') return { statements: [db.prepare(SETTLE_AWAITING).bind(row.id, 'none', null, row.click_id, refunds.length, 0)], credits: false };
  const brand = { timezone: row.timezone };
  const terms = termsOf(row);
  const order = { occurredAt: row.occurred_at, amountMinor: row.amount_minor, currency: row.currency };
  // The creator's own order, by the address it arrived with, under the brand's rule as it is now (the tier is
  // the one reached now, too).
  const selfPurchase = selfPurchaseOutcome(row.buyer_creator_ids !== null && (JSON.parse(row.buyer_creator_ids) as string[]).includes(row.creator_id), row.self_purchases_earn === 1);
  return {
    statements: [
      db.prepare(SETTLE_AWAITING).bind(row.id, 'click', row.enrollment_id, row.click_id, refunds.length, selfPurchase),
      ...(selfPurchase === SELF_PURCHASE_WITHHELD ? [] : pricingStatements(db, row.brand_id, row.id, order, terms, periodOf(row.occurred_at, row.timezone), now)),
      // Applied while nobody was credited, these reversed nothing; now there is a commission to claw back.
      ...refunds.flatMap(([id, occurredAt]) => reversalStatements(db, id, refundBooking({ id, occurred_at: occurredAt }, brand), now)),
      ...eventStatements(db, 'conversion.attributed', row.id, now),
    ],
    credits: true,
  };
}

/**
 * Settles the waiting orders `awaiting` (an AWAITING_* read's result) found; returns the ids credited. The
 * `conversion.attributed` deliveries it makes due are noted by a watched D1 (webhooks/enqueue.ts).
 */
export async function attributeAwaitingOrders(db: D1Database, awaiting: D1Result | undefined, now = Date.now()): Promise<{ credited: string[]; unsettled: string[] }> {
  const out = { credited: [] as string[], unsettled: [] as string[] };
  const found = rowsOf<AwaitingClick>(awaiting);
  let rows = withinBudget(found);
  if (rows.length < found.length) log.warn('late_attribution_deferred', { orders: found.length - rows.length, reason: 'per_run_limit' });
  for (let attempt = 1; rows.length > 0; attempt++) {
    const raced: string[] = [];
    for (let i = 0; i < rows.length; i += CREDIT_CHUNK) {
      const plans = rows.slice(i, i + CREDIT_CHUNK).flatMap((row) => {
        // An order whose terms cannot be priced (a timezone the runtime does not know) is left waiting and
        // logged, not allowed to fail every order settled with it, run after run.
        try {
          return [{ row, ...settleStatements(db, row, now) }];
        } catch (error) {
          log.error('late_attribution_unsettleable', { conversionId: row.id, error });
          out.unsettled.push(row.id);
          return [];
        }
      });
      if (plans.length === 0) continue;
      const statements = plans.flatMap((plan) => plan.statements);
      const results = await db.batch(statements);
      let at = 0;
      for (const plan of plans) {
        const settled = (results[at]?.meta.changes ?? 0) > 0;
        if (!settled) raced.push(plan.row.click_id);
        else if (plan.credits) out.credited.push(plan.row.id);
        at += plan.statements.length;
      }
    }
    if (raced.length === 0) break;
    // A refund landed between the read and the update, or another run settled the order: read again.
    if (attempt >= SETTLE_ATTEMPTS) {
      log.warn('late_attribution_raced', { clickIds: raced });
      break;
    }
    rows = withinBudget(rowsOf<AwaitingClick>(await awaitingClickStatement(db, raced).all()));
  }
  if (out.credited.length > 0) log.info('conversions_attributed_late', { conversions: out.credited });
  return out;
}

/** The cron's backstop: settles due orders whose click is stored but which a failure left waiting, and looks at the rest again later. */
export async function sweepAwaitingOrders(db: D1Database, now = Date.now()): Promise<{ credited: string[]; unsettled: string[] }> {
  const [due, awaiting] = await db.batch([db.prepare(DUE_ORDERS).bind(now, SWEEP_SCAN), db.prepare(AWAITING_DUE).bind(now, SWEEP_SCAN)]);
  const settle = await attributeAwaitingOrders(db, awaiting, now);
  // Orders whose click is stored stay due until settled (the ones past this run's limit go first next run);
  // one that cannot be settled is looked at later, like an order whose click has not come.
  const unsettled = new Set(settle.unsettled);
  const stored = new Set(rowsOf<AwaitingClick>(awaiting).map((row) => row.id).filter((id) => !unsettled.has(id)));
  const inVain = rowsOf<{ id: string }>(due).map((row) => row.id).filter((id) => !stored.has(id));
  if (inVain.length > 0) await db.prepare(LOOK_LATER).bind(JSON.stringify(inVain), now, SWEEP_MIN_WAIT_MS, AWAIT_SWEEP_MS).run();
  return settle;
}

export type { CommissionTier, ConversionInput, RefundInput };
