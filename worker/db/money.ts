// The money path's writes. Pricing and reversals run inside the batch as SQL, so they read the ledger
// as it stands when the statement runs: D1 executes a batch's statements in order, atomically, and one
// batch at a time, which makes concurrent deliveries for the same creator price exactly as if serial.
// The SQL mirrors domain/commission.ts (priceConversion, reversalFor); a test holds the two together.

// The largest order or refund the ledger records (1,000,000,000.00 in a two-decimal currency). SQLite turns
// an integer product past 2^63 into an inexact REAL without any error, so every product here is bounded
// through this cap: a commission is amount × rateBps <= 10^11 × 10^4 = 10^15 (under 2^53 too, so exact in
// JS), and a reversal splits its product (REVERSED_TARGET). The API's schema and db/conversions.ts hold
// every amount to it.
export const MAX_AMOUNT_MINOR = 100_000_000_000;

// Money is recorded in the brand's currency and put into periods in its timezone, both read from a short
// per-isolate cache (lib/brand-secrets.ts). The brand may change either until its first money lands
// (routes/admin/brand.ts), so the first order and a refund waiting for its order are inserted only while
// the brand still has the currency and timezone they were checked and priced with: otherwise nothing is
// written and db/conversions.ts decides again with the brand as it now is.
// Nothing new accrues to a creator whose relationship with the brand was erased (their account closed, or the
// brand erased it: db/creator-erasure.ts): their enrollments credit no order, and these guards hold even for what
// was already on its way (a late click settled, a bonus, a fee). `creator` and `brand` are SQL.
export const NOT_ERASED = (creator: string, brand: string) =>
  `NOT EXISTS (SELECT 1 FROM brand_creators WHERE brand_id = ${brand} AND creator_id = ${creator} AND erased_at IS NOT NULL)`;

const brandUnchanged = (brand: string, currency: string, timezone: string) => `EXISTS (SELECT 1 FROM brands WHERE id = ${brand} AND currency = ${currency} AND timezone = ${timezone})`;

// ?1-?16 the columns in order, ?17 the brand's timezone, ?18 renewal_of, ?19 subscription_id, ?21 self_purchase,
// ?22 buyer_creator_ids.
export const INSERT_CONVERSION = `INSERT INTO conversions (id, brand_id, external_order_id, amount_minor, currency, occurred_at, attribution,
  enrollment_id, code_raw, code_id, click_id_raw, click_id, customer_ref, source, payload_hash, created_at, renewal_of, subscription_id, self_purchase, buyer_creator_ids)
SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?18, ?19, ?21, ?22 WHERE ${brandUnchanged('?2', '?5', '?17')}
  -- ?20: the capped code this order redeems; it must still have a use left when the order is written, not only
  -- when its evidence was read (two orders at once would both take the last one).
  AND (?20 IS NULL OR EXISTS (SELECT 1 FROM discount_codes WHERE id = ?20 AND redemptions < max_redemptions))
  -- A renewal of a first payment, or a returning customer's order of a first order, the brand declined
  -- (db/declines.ts) earns nothing: a decline landing since the evidence was read stops it too.
  AND (?18 IS NULL OR NOT EXISTS (SELECT 1 FROM declined_commissions WHERE conversion_id = ?18 AND reinstated_at IS NULL))
ON CONFLICT(brand_id, external_order_id) DO NOTHING`;

// D1 binds JS numbers as REAL, so bound amounts are CAST before integer arithmetic.
// ?1 entry id, ?2 brand, ?3 enrollment, ?4 creator, ?5 amount, ?6 currency, ?7 period, ?8 conversion id,
// ?9 available at, ?10 now, ?11 tiers JSON.
// Only written when ?8 is the conversion this batch inserted (a replay inserts nothing) and it credits ?3
// (a waiting order's guarded update may not have happened: db/conversions.ts). The tier reached counts the
// period's revenue net of refunds of its own orders, whenever those refunds came (basis_period), or the
// enrollment's whole revenue on a lifetime plan: one statement for each, so each reads only what it sums
// (index ledger_enrollment_basis).
const insertCommission = (revenueOf: string) => `INSERT INTO ledger_entries (id, brand_id, enrollment_id, creator_id, kind, amount_minor, currency, rate_bps, tier,
  basis_minor, period, basis_period, conversion_id, event_key, available_at, created_at)
SELECT ?1, ?2, ?3, ?4, 'commission', (CAST(?5 AS INTEGER) * t.rate) / 10000, ?6, t.rate, t.tier, ?5, ?7, ?7, ?8, 'commission:' || ?8, ?9, ?10
FROM (
  SELECT CAST(json_extract(j.value, '$.rateBps') AS INTEGER) AS rate, CAST(j.key AS INTEGER) + 1 AS tier
  FROM json_each(?11) j
  WHERE j.key = 0 OR CAST(json_extract(j.value, '$.fromMinor') AS INTEGER) <= ?5 + (
    SELECT COALESCE(SUM(basis_minor), 0) FROM ledger_entries WHERE enrollment_id = ?3 AND kind IN ('commission', 'reversal')${revenueOf})
  ORDER BY CAST(j.key AS INTEGER) DESC LIMIT 1
) t
WHERE EXISTS (SELECT 1 FROM conversions WHERE id = ?8 AND enrollment_id = ?3) AND ${NOT_ERASED('?4', '?2')}
ON CONFLICT(brand_id, event_key) DO NOTHING`;
export const INSERT_COMMISSION = { month: insertCommission(' AND basis_period = ?7'), lifetime: insertCommission('') };

// A period's revenue for an enrollment, net of refunds of that period's orders (the bonus rule's measure).
const periodRevenue = (enrollment: string, period: string) =>
  `(SELECT COALESCE(SUM(basis_minor), 0) FROM ledger_entries WHERE enrollment_id = ${enrollment} AND kind IN ('commission', 'reversal') AND basis_period = ${period})`;
// The bonus an enrollment holds for a period (awards less take-backs), and how many bonus entries the period
// has: each award and take-back gets the next key, so a bonus taken back can be earned again.
const bonusHeld = (enrollment: string, period: string) => `(SELECT COALESCE(SUM(amount_minor), 0) FROM ledger_entries WHERE enrollment_id = ${enrollment} AND kind = 'bonus' AND basis_period = ${period})`;
const bonusKey = (enrollment: string, period: string) =>
  `'bonus:' || ${enrollment} || ':' || ${period} || (SELECT CASE WHEN COUNT(*) = 0 THEN '' ELSE ':' || COUNT(*) END FROM ledger_entries WHERE enrollment_id = ${enrollment} AND kind = 'bonus' AND basis_period = ${period})`;

// Hybrid performance bonus: once per enrollment and period while its net revenue is at the threshold or
// above; taken back when refunds bring it below (BONUS_TAKEN_BACK), and earned again if it climbs back.
// ?1 id, ?2 brand, ?3 enrollment, ?4 creator, ?5 bonus amount, ?6 currency, ?7 period, ?8 conversion id,
// ?9 available at, ?10 now, ?11 threshold.
export const INSERT_BONUS = `INSERT INTO ledger_entries (id, brand_id, enrollment_id, creator_id, kind, amount_minor, currency, basis_minor,
  period, basis_period, conversion_id, event_key, available_at, created_at)
SELECT ?1, ?2, ?3, ?4, 'bonus', ?5, ?6, 0, ?7, ?7, ?8, ${bonusKey('?3', '?7')}, ?9, ?10
WHERE EXISTS (SELECT 1 FROM conversions WHERE id = ?8 AND enrollment_id = ?3) AND ${NOT_ERASED('?4', '?2')}
  AND ${periodRevenue('?3', '?7')} >= ?11 AND ${bonusHeld('?3', '?7')} <= 0
ON CONFLICT(brand_id, event_key) DO NOTHING`;

export const COUNT_REDEMPTION = `UPDATE discount_codes SET redemptions = redemptions + 1
WHERE id = ?1 AND EXISTS (SELECT 1 FROM conversions WHERE id = ?2)`;
// A Stripe subscription uses its code once, when it starts, however many of its payments name it and in
// whatever order they come: counted only if this batch inserted subscription_referrals row ?2.
export const COUNT_REFERRAL_REDEMPTION = `UPDATE discount_codes SET redemptions = redemptions + 1
WHERE id = ?1 AND EXISTS (SELECT 1 FROM subscription_referrals WHERE id = ?2)`;

// ?1-?10 the columns in order (but status), ?11 the brand's timezone. A refund of a recorded order is in the
// order's currency (an order landing after the refund was checked counts only if it is), and its brand's
// money is fixed by then.
export const INSERT_REFUND = `INSERT INTO refunds (id, brand_id, external_refund_id, external_order_id, amount_minor, currency, occurred_at, status, source, payload_hash, created_at)
SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', ?8, ?9, ?10
WHERE EXISTS (SELECT 1 FROM conversions WHERE brand_id = ?2 AND external_order_id = ?4 AND currency = ?6) OR ${brandUnchanged('?2', '?6', '?11')}
ON CONFLICT(brand_id, external_refund_id) DO NOTHING`;

/** SQL for the amount a brand's standing decline of conversion row `cv` counts as refunded (db/declines.ts): what every store-side check of an order's refunds leaves out. */
export const declinedOf = (cv: string) =>
  `COALESCE((SELECT SUM(r.amount_minor) FROM refunds r WHERE r.brand_id = ${cv}.brand_id AND r.external_order_id = ${cv}.external_order_id AND r.source = 'decline' AND r.status <> 'failed'), 0)`;

// floor(commission × refunded / order_amount) with no product past 2^63: refunded is split at 10^6 into
// high × 10^6 + low and the high part divided first, so every intermediate stays below 2 × 10^17 while the
// order is at most MAX_AMOUNT_MINOR (it stays exact up to orders of 3 × 10^12). Commission and refunded never
// exceed the order. Exported for the test that holds it to a BigInt reference.
export const REVERSED_TARGET = `(commission * (refunded / 1000000) / order_amount) * 1000000
    + ((commission * (refunded / 1000000)) % order_amount * 1000000 + commission * (refunded % 1000000)) / order_amount`;

// Reverses the commission share of everything refunded so far (this refund plus those already reversed and not
// failed), minus what earlier reversals took (net of what failed refunds gave back): reversals never exceed the
// commission and sum to it on a full refund. A refund that failed before it was applied reverses nothing.
// ?1 refund row id, ?2 entry id, ?3 period, ?4 available from (the refund's time; a decline's, 0), ?5 now. A reversal is never
// payable before the commission it reverses: one still in holding is netted when both come due, so a
// refund does not take from the creator's next payout money that payout does not yet include.
export const INSERT_REVERSAL = `WITH target AS (
  SELECT r.id AS refund_id, cv.id AS conversion_id, cv.amount_minor AS order_amount, l.brand_id, l.enrollment_id, l.creator_id,
    l.amount_minor AS commission, l.currency, l.rate_bps, l.tier, l.available_at AS commission_available_at, l.period AS basis_period,
    MIN(cv.amount_minor, (SELECT SUM(r2.amount_minor) FROM refunds r2
      WHERE r2.brand_id = r.brand_id AND r2.external_order_id = r.external_order_id
        AND (r2.id = r.id OR (r2.status <> 'failed' AND (r2.amount_minor < 0 OR r2.id IN (SELECT x.refund_id FROM ledger_entries x WHERE x.conversion_id = cv.id AND x.kind = 'reversal')))))) AS refunded,
    (SELECT COALESCE(-SUM(x.amount_minor), 0) FROM ledger_entries x WHERE x.conversion_id = cv.id AND x.kind = 'reversal') AS reversed,
    (SELECT COALESCE(-SUM(x.basis_minor), 0) FROM ledger_entries x WHERE x.conversion_id = cv.id AND x.kind = 'reversal') AS reversed_basis
  FROM refunds r
  JOIN conversions cv ON cv.brand_id = r.brand_id AND cv.external_order_id = r.external_order_id
  JOIN ledger_entries l ON l.conversion_id = cv.id AND l.kind = 'commission'
  WHERE r.id = ?1 AND r.status <> 'failed' AND r.amount_minor > 0 AND NOT EXISTS (SELECT 1 FROM ledger_entries x WHERE x.refund_id = r.id)
)
INSERT INTO ledger_entries (id, brand_id, enrollment_id, creator_id, kind, amount_minor, currency, rate_bps, tier, basis_minor, period, basis_period,
  conversion_id, refund_id, event_key, available_at, created_at)
SELECT ?2, brand_id, enrollment_id, creator_id, 'reversal', -MAX(0, ${REVERSED_TARGET} - reversed), currency, rate_bps, tier,
  -MAX(0, refunded - reversed_basis), ?3, basis_period, conversion_id, refund_id, 'reversal:' || refund_id, MAX(?4, commission_available_at), ?5
FROM target WHERE true
ON CONFLICT(brand_id, event_key) DO NOTHING`;

// After a refund's reversal (in the same batch): the performance bonus of the order's period taken back when
// this reversal took the period's net revenue from the threshold of the campaign's plan to below it (a month
// already below it, from before take-backs existed, keeps the bonus it was paid). Tied to the order whose
// award it cancels, so per-order reports net the two, and to the refund (refund_id), so what took it back is known
// (a store's refund, or a brand's decline). In the refund's period, like the reversal, and never payable before the
// bonus it takes back, so an unpaid bonus and its take-back net out.
// ?1 refund row id, ?2 entry id, ?3 period, ?4 available from (the refund's time; a decline's, 0), ?5 now.
export const BONUS_TAKEN_BACK = `WITH r AS (
  SELECT l.brand_id, l.enrollment_id, l.creator_id, l.currency, l.basis_period AS bp, l.basis_minor AS taken
  FROM ledger_entries l WHERE l.refund_id = ?1 AND l.event_key = 'reversal:' || ?1 AND l.basis_period IS NOT NULL
), b AS (
  SELECT r.*, ${bonusHeld('r.enrollment_id', 'r.bp')} AS held, ${periodRevenue('r.enrollment_id', 'r.bp')} AS revenue, ${bonusKey('r.enrollment_id', 'r.bp')} AS event_key,
    (SELECT MAX(x.available_at) FROM ledger_entries x WHERE x.enrollment_id = r.enrollment_id AND x.kind = 'bonus' AND x.basis_period = r.bp AND x.amount_minor > 0) AS bonus_available_at,
    (SELECT x.conversion_id FROM ledger_entries x WHERE x.enrollment_id = r.enrollment_id AND x.kind = 'bonus' AND x.basis_period = r.bp AND x.amount_minor > 0
      ORDER BY x.created_at DESC, x.rowid DESC LIMIT 1) AS award_conversion,
    (SELECT CAST(json_extract(p.bonus, '$.thresholdMinor') AS INTEGER) FROM enrollments e JOIN campaigns c ON c.id = e.campaign_id JOIN commission_plans p ON p.id = c.commission_plan_id
      WHERE e.id = r.enrollment_id) AS threshold
  FROM r
)
INSERT INTO ledger_entries (id, brand_id, enrollment_id, creator_id, kind, amount_minor, currency, basis_minor, period, basis_period, conversion_id, refund_id, event_key, available_at, created_at)
SELECT ?2, brand_id, enrollment_id, creator_id, 'bonus', -held, currency, 0, ?3, bp, award_conversion, ?1, event_key, MAX(?4, bonus_available_at), ?5
FROM b WHERE held > 0 AND threshold IS NOT NULL AND revenue < threshold AND revenue - taken >= threshold
ON CONFLICT(brand_id, event_key) DO NOTHING`;

// What a refund of the rest of conversion ?1 (of brand ?2) would take back of its month's performance bonus, by
// BONUS_TAKEN_BACK's rule: the bonus held, when the order's revenue not yet reversed is what keeps the month at its
// threshold; else 0. The console's confirmation before a decline (db/declines.ts) states it.
export const BONUS_AT_STAKE = `WITH o AS (
  SELECT l.enrollment_id, l.period AS bp,
    MAX(0, cv.amount_minor - (SELECT COALESCE(-SUM(x.basis_minor), 0) FROM ledger_entries x WHERE x.conversion_id = cv.id AND x.kind = 'reversal')) AS taking
  FROM conversions cv JOIN ledger_entries l ON l.conversion_id = cv.id AND l.kind = 'commission' WHERE cv.id = ?1 AND cv.brand_id = ?2
), b AS (
  SELECT o.taking, ${bonusHeld('o.enrollment_id', 'o.bp')} AS held, ${periodRevenue('o.enrollment_id', 'o.bp')} AS revenue,
    (SELECT CAST(json_extract(p.bonus, '$.thresholdMinor') AS INTEGER) FROM enrollments e JOIN campaigns c ON c.id = e.campaign_id JOIN commission_plans p ON p.id = c.commission_plan_id
      WHERE e.id = o.enrollment_id) AS threshold
  FROM o
)
SELECT CASE WHEN held > 0 AND threshold IS NOT NULL AND revenue >= threshold AND revenue - taking < threshold THEN held ELSE 0 END AS bonus FROM b`;

// ---------- A refund that failed ----------
//
// A refund the store says failed (or was cancelled) never reached the shopper, so its order earns again what the
// refund's reversal took: a new positive `reversal` entry, keyed "refund_failed:<refund>", never an edit of the
// reversal, which may be in a paid payout. Being a reversal, every sum over reversals (earnings, tier revenue,
// payouts, exports, the Orders page) nets the two with no change of its own. It brings the order's reversals back
// to the share of the refunds that still stand, the same target INSERT_REVERSAL keeps, so a later refund of the
// order reverses the right share. Each statement is a no-op when done: the unique key makes it land once.

// ?1 refund row id, ?2 failure time. Only a refund not failed already; the rest of the batch is guarded on it.
export const MARK_REFUND_FAILED = `UPDATE refunds SET status = 'failed', failed_at = ?2 WHERE id = ?1 AND status <> 'failed'`;

// In the period of the failure (a reversal already paid is given back in a later payout), counting in the order's
// period's revenue as the reversal did. It evens out the whole order, so it can exceed this refund's own reversal
// (one capped at the commission, or rounded): it is never payable before any of the order's reversals, so no
// payout ever holds more than the commission. Written only for a refund whose reversal exists, and only when it
// gives something back (another standing refund may still cover the whole order). Never for a closed account:
// its creator gave up (or was owed) nothing when it closed, so a give-back would be a balance owed to no one that
// no close may pay; the reversal stands in the books as the brand's saving, as the give-up adjustment does.
// ?1 refund row id, ?2 entry id, ?3 period, ?4 available at (the failure's time), ?5 now. `from` and `where` name the row and
// its order's conversion: a failed refund by its own reversal, a Stripe failure row (below) by its order.
const givenBack = (from: string, where: string) => `WITH target AS (
  SELECT r.id AS refund_id, cv.id AS conversion_id, cv.amount_minor AS order_amount, l.brand_id, l.enrollment_id, l.creator_id,
    l.amount_minor AS commission, l.currency, l.rate_bps, l.tier, l.period AS basis_period,
    (SELECT MAX(x.available_at) FROM ledger_entries x WHERE x.conversion_id = cv.id AND x.kind = 'reversal' AND x.amount_minor < 0) AS reversal_available_at,
    MAX(0, MIN(cv.amount_minor, (SELECT COALESCE(SUM(r2.amount_minor), 0) FROM refunds r2
      WHERE r2.brand_id = r.brand_id AND r2.external_order_id = r.external_order_id AND r2.status <> 'failed'
        AND (r2.amount_minor < 0 OR r2.id IN (SELECT x.refund_id FROM ledger_entries x WHERE x.conversion_id = cv.id AND x.kind = 'reversal'))))) AS refunded,
    (SELECT COALESCE(-SUM(x.amount_minor), 0) FROM ledger_entries x WHERE x.conversion_id = cv.id AND x.kind = 'reversal') AS reversed,
    (SELECT COALESCE(-SUM(x.basis_minor), 0) FROM ledger_entries x WHERE x.conversion_id = cv.id AND x.kind = 'reversal') AS reversed_basis
  ${from}
  JOIN ledger_entries l ON l.conversion_id = cv.id AND l.kind = 'commission'
  ${where}
)
INSERT INTO ledger_entries (id, brand_id, enrollment_id, creator_id, kind, amount_minor, currency, rate_bps, tier, basis_minor, period, basis_period,
  conversion_id, refund_id, event_key, available_at, created_at)
SELECT ?2, brand_id, enrollment_id, creator_id, 'reversal', MAX(0, reversed - (${REVERSED_TARGET})), currency, rate_bps, tier,
  MAX(0, reversed_basis - refunded), ?3, basis_period, conversion_id, refund_id, 'refund_failed:' || refund_id, MAX(?4, reversal_available_at), ?5
FROM target WHERE (reversed - (${REVERSED_TARGET}) > 0 OR reversed_basis - refunded > 0) AND ${NOT_ERASED('target.creator_id', 'target.brand_id')}
ON CONFLICT(brand_id, event_key) DO NOTHING`;

export const REVERSAL_GIVEN_BACK = givenBack(`FROM refunds r
  JOIN ledger_entries rv ON rv.brand_id = r.brand_id AND rv.event_key = 'reversal:' || r.id
  JOIN conversions cv ON cv.id = rv.conversion_id`,
  "WHERE r.id = ?1 AND r.status = 'failed'",
);

// A Stripe refund that failed (routes/webhooks.ts) cannot fail a refund row of its own: Chorus keeps a charge's
// refunds as slices of its running total, which need not match Stripe's refunds one to one. It is booked as a
// row of its own, keyed "<charge>@<Stripe refund>@failed", whose negative amount is the share of the order the
// failed refund's slices took: every sum of an order's standing refunds (the Orders page, a later refund's
// reversal, a lost dispute's rest) nets it with no change of its own, and the give-back above evens the order
// out to them, once (its key). Written only while the charge's rows of the order (every id "<charge>@…": its
// slices, less its failures) still stand at the amount, checked inside the write, so failures booked at once
// never take an order's refunds below zero. ?1 id, ?2 brand, ?3 refund id, ?4 order, ?5 amount (positive), ?6
// currency, ?7 failure time, ?8 payload hash, ?9 now, ?10 charge.
export const INSERT_STRIPE_FAILURE = `INSERT INTO refunds (id, brand_id, external_refund_id, external_order_id, amount_minor, currency, occurred_at, status, source, payload_hash, failed_at, created_at)
SELECT ?1, ?2, ?3, ?4, -?5, ?6, ?7, 'applied', 'stripe', ?8, ?7, ?9
WHERE EXISTS (SELECT 1 FROM conversions WHERE brand_id = ?2 AND external_order_id = ?4)
  AND (SELECT COALESCE(SUM(amount_minor), 0) FROM refunds WHERE brand_id = ?2 AND external_order_id = ?4
    AND external_refund_id >= ?10 || '@' AND external_refund_id < ?10 || 'A' AND status <> 'failed') >= ?5
ON CONFLICT(brand_id, external_refund_id) DO NOTHING`;

export const STRIPE_FAILURE_GIVEN_BACK = givenBack(`FROM refunds r
  JOIN conversions cv ON cv.brand_id = r.brand_id AND cv.external_order_id = r.external_order_id`,
  'WHERE r.id = ?1 AND r.amount_minor < 0',
);

// After the give-back (in the same batch): the performance bonus is earned in the order's period when this give-back
// took the period's net revenue from below the threshold to it or above and no bonus is held, as an order would
// (INSERT_BONUS): what the last take-back took, or, in a month that never held one (a refund kept it below the
// threshold from the start), the plan's bonus for a hybrid creator. Only after a give-back this batch wrote (?1,
// its entry id), so a replay or a racing delivery awards nothing; tied to the same order, and never payable before
// the take-back it undoes or the month's commissions; naming the failed refund, as the give-back does.
// ?1 give-back entry id, ?2 entry id, ?3 period, ?4 available at (the failure's time), ?5 now.
export const BONUS_GIVEN_BACK = `WITH g AS (
  SELECT l.brand_id, l.enrollment_id, l.creator_id, l.currency, l.conversion_id, l.refund_id, l.basis_period AS bp, l.basis_minor AS given
  FROM ledger_entries l WHERE l.id = ?1 AND l.basis_period IS NOT NULL
), last_back AS (
  SELECT x.amount_minor, x.available_at, x.conversion_id FROM g JOIN ledger_entries x ON x.enrollment_id = g.enrollment_id AND x.kind = 'bonus' AND x.basis_period = g.bp AND x.amount_minor < 0
  ORDER BY x.created_at DESC, x.rowid DESC LIMIT 1
), plan AS (
  SELECT e.payment_model, CAST(json_extract(p.bonus, '$.thresholdMinor') AS INTEGER) AS threshold, CAST(json_extract(p.bonus, '$.amountMinor') AS INTEGER) AS amount
  FROM g JOIN enrollments e ON e.id = g.enrollment_id JOIN campaigns c ON c.id = e.campaign_id JOIN commission_plans p ON p.id = c.commission_plan_id
), b AS (
  SELECT g.*, ${bonusHeld('g.enrollment_id', 'g.bp')} AS held, ${periodRevenue('g.enrollment_id', 'g.bp')} AS revenue, ${bonusKey('g.enrollment_id', 'g.bp')} AS event_key,
    COALESCE((SELECT -k.amount_minor FROM last_back k), CASE WHEN plan.payment_model = 'hybrid' THEN plan.amount END) AS award,
    COALESCE((SELECT k.available_at FROM last_back k),
      (SELECT MAX(x.available_at) FROM ledger_entries x WHERE x.enrollment_id = g.enrollment_id AND x.kind = 'commission' AND x.basis_period = g.bp)) AS award_available_at,
    COALESCE((SELECT k.conversion_id FROM last_back k), g.conversion_id) AS award_conversion,
    plan.threshold
  FROM g JOIN plan
)
INSERT INTO ledger_entries (id, brand_id, enrollment_id, creator_id, kind, amount_minor, currency, basis_minor, period, basis_period, conversion_id, refund_id, event_key, available_at, created_at)
SELECT ?2, brand_id, enrollment_id, creator_id, 'bonus', award, currency, 0, ?3, bp, award_conversion, refund_id, event_key, MAX(?4, COALESCE(award_available_at, ?4)), ?5
FROM b WHERE held <= 0 AND award > 0 AND threshold IS NOT NULL AND revenue >= threshold AND revenue - given < threshold
ON CONFLICT(brand_id, event_key) DO NOTHING`;

export const MARK_REFUND_APPLIED = `UPDATE refunds SET status = 'applied'
WHERE id = ?1 AND status = 'pending'
  AND EXISTS (SELECT 1 FROM conversions cv WHERE cv.brand_id = refunds.brand_id AND cv.external_order_id = refunds.external_order_id)`;

// Revenue entries written without basis_period: by a worker still running the code from before the column
// while a deploy rolls out (migrations go first). The cron fills them in as the migration did, a few hundred
// a run (index ledger_basis_missing), so tier revenue counts them from then on.
export const FILL_BASIS_PERIODS = `UPDATE ledger_entries SET basis_period = CASE WHEN kind = 'reversal'
    THEN COALESCE((SELECT c.period FROM ledger_entries c WHERE c.conversion_id = ledger_entries.conversion_id AND c.kind = 'commission'), period)
    ELSE period END
WHERE id IN (SELECT id FROM ledger_entries WHERE basis_period IS NULL AND kind IN ('commission', 'bonus', 'reversal') LIMIT 500)`;
