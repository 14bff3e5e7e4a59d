// The conversion-ingestion scenario: signed POST /v1/conversions with a share of exact-duplicate
// deliveries (a store retrying), then an audit of what reached D1.
//
// Orders are `bench-<run tag>-<n>` with amount amountFor(n), so the audit can recompute every order
// from its id alone. Duplicates resend an earlier order's exact body (freshly signed, as a retry is).
import { chorusSignature } from '../../scripts/signing.mjs';
import { deliverConversion } from './api.mjs';

export const ORDER_PREFIX = 'bench-';
export const amountFor = (n) => 1000 + ((n * 7919) % 9000); // 10.00 .. 99.99

// --- load-generator child ----------------------------------------------------------------------

/** autocannon requests; `tracker` collects what was sent and acknowledged in this child. */
export function conversionRequests(ctx, tracker, duplicateRate) {
  const tag = `${process.pid.toString(36)}${Date.now().toString(36)}`;
  const bodies = []; // order n -> the exact JSON body sent for it
  Object.assign(tracker, { tag, bodies, acked: new Set(), built: 0, duplicatesBuilt: 0, responses: { first: {}, duplicate: {} } });
  return [
    {
      method: 'POST',
      path: '/v1/conversions',
      headers: { 'content-type': 'application/json', 'chorus-account': ctx.brandSlug },
      setupRequest(req, context) {
        tracker.built++;
        // A request repeats an earlier order whenever the running share of duplicates is below the rate.
        const duplicate = bodies.length > 0 && tracker.duplicatesBuilt < duplicateRate * tracker.built;
        let n;
        if (duplicate) {
          n = Math.floor(Math.random() * bodies.length);
          tracker.duplicatesBuilt++;
        } else {
          n = bodies.length;
          bodies.push(JSON.stringify({ orderId: `${ORDER_PREFIX}${tag}-${n}`, amountMinor: amountFor(n), currency: 'USD', occurredAt: new Date().toISOString(), code: ctx.code }));
        }
        context.n = n;
        context.duplicate = duplicate;
        return { ...req, headers: { ...req.headers, 'chorus-signature': chorusSignature(ctx.ingestKey, bodies[n]) }, body: bodies[n] };
      },
      onResponse(status, _body, context) {
        const counts = tracker.responses[context.duplicate ? 'duplicate' : 'first'];
        counts[status] = (counts[status] ?? 0) + 1;
        if (status === 200 || status === 201) tracker.acked.add(context.n);
      },
    },
  ];
}

// Plain JSON for the parent: orders created, and the bodies of those never acknowledged (in flight
// when the load stopped, or answered with an error) so the parent can redeliver them.
export function conversionTrackerReport(t) {
  const unacked = t.bodies.filter((_, n) => !t.acked.has(n));
  return { tag: t.tag, orders: t.bodies.length, duplicatesBuilt: t.duplicatesBuilt, built: t.built, responses: t.responses, unacked };
}

// --- parent: settle and audit ------------------------------------------------------------------

// What a store does with deliveries it got no answer for: send them again, same bytes.
export async function redeliver(url, ctx, bodies) {
  const statuses = {};
  for (const body of bodies) {
    const status = await deliverConversion(url, ctx.brandSlug, ctx.ingestKey, body);
    statuses[status] = (statuses[status] ?? 0) + 1;
  }
  return statuses;
}

// The tier reached with this order (prior net revenue in the period plus it) prices it: floor(amount x rate / 10000).
function priceAt(tiers, priorMinor, amountMinor) {
  let tier = 1;
  let rateBps = tiers[0].rateBps;
  tiers.forEach((t, i) => {
    if (priorMinor + amountMinor >= t.fromMinor) (tier = i + 1), (rateBps = t.rateBps);
  });
  return { tier, rateBps, amountMinor: Math.floor((amountMinor * rateBps) / 10_000) };
}

/**
 * Audits the bench enrollment's conversions and ledger after the load:
 * - conversions stored == unique orders generated (duplicates created nothing), each with the amount its id implies;
 * - exactly one commission entry per conversion, and none without a conversion;
 * - every entry (and so the sum) equals the tier pricing rule applied in the order D1 committed the entries.
 * An independent restatement of domain/commission.ts, on purpose: an oracle, not a copy to keep in sync.
 */
export async function auditLedger(db, ctx, expectedOrders) {
  const [stored] = (
    await db
      .prepare(
        `SELECT count(*) AS n, SUM(attribution <> 'code' OR enrollment_id IS NOT ?2) AS misattributed
         FROM conversions WHERE brand_id = ?1 AND external_order_id LIKE '${ORDER_PREFIX}%'`,
      )
      .bind(ctx.brandId, ctx.enrollment.id)
      .all()
  ).results;
  const { results: amounts } = await db.prepare(`SELECT external_order_id AS o, amount_minor AS a FROM conversions WHERE brand_id = ? AND external_order_id LIKE '${ORDER_PREFIX}%'`).bind(ctx.brandId).all();
  const wrongAmounts = amounts.filter((r) => r.a !== amountFor(Number(r.o.slice(r.o.lastIndexOf('-') + 1)))).length;
  const [entries] = (
    await db
      .prepare(
        `SELECT
           (SELECT count(*) FROM conversions cv WHERE cv.brand_id = ?1 AND cv.external_order_id LIKE '${ORDER_PREFIX}%'
              AND (SELECT count(*) FROM ledger_entries l WHERE l.conversion_id = cv.id AND l.kind = 'commission') <> 1) AS not_one,
           (SELECT count(*) FROM ledger_entries l WHERE l.enrollment_id = ?2 AND l.kind = 'commission'
              AND NOT EXISTS (SELECT 1 FROM conversions cv WHERE cv.id = l.conversion_id)) AS orphans,
           (SELECT count(*) FROM ledger_entries l WHERE l.enrollment_id = ?2 AND l.kind = 'commission') AS commissions`,
      )
      .bind(ctx.brandId, ctx.enrollment.id)
      .all()
  ).results;
  // rowid order is commit order: D1 runs one batch at a time, and each conversion's entry is written in its batch.
  const { results: ledger } = await db
    .prepare(`SELECT kind, amount_minor, basis_minor, rate_bps, tier, period FROM ledger_entries WHERE enrollment_id = ? AND kind IN ('commission', 'reversal') ORDER BY rowid`)
    .bind(ctx.enrollment.id)
    .all();
  const prior = new Map(); // period -> net basis so far
  let expectedSum = 0;
  let actualSum = 0;
  let mispriced = 0;
  for (const e of ledger) {
    const before = prior.get(e.period) ?? 0;
    if (e.kind === 'commission') {
      const p = priceAt(ctx.tiers, before, e.basis_minor);
      expectedSum += p.amountMinor;
      if (p.amountMinor !== e.amount_minor || p.rateBps !== e.rate_bps || p.tier !== e.tier) mispriced++;
    } else expectedSum += e.amount_minor;
    actualSum += e.amount_minor;
    prior.set(e.period, before + e.basis_minor);
  }
  const checks = [
    { name: 'conversions stored == unique orders', ok: stored.n === expectedOrders, detail: `${stored.n} stored, ${expectedOrders} unique orders sent` },
    { name: 'every conversion: its amount, code attribution, bench enrollment', ok: wrongAmounts === 0 && (stored.misattributed ?? 0) === 0, detail: `${wrongAmounts} wrong amounts, ${stored.misattributed ?? 0} misattributed` },
    { name: 'one commission entry per conversion', ok: entries.not_one === 0 && entries.orphans === 0 && entries.commissions === stored.n, detail: `${entries.commissions} entries, ${entries.not_one} conversions without exactly one, ${entries.orphans} orphans` },
    { name: 'ledger sum == tier pricing in commit order', ok: mispriced === 0 && actualSum === expectedSum, detail: `sum ${actualSum} vs expected ${expectedSum} minor units, ${mispriced} entries priced differently, ${new Set(ledger.map((e) => e.tier)).size} tier(s) reached` },
  ];
  return { checks, pass: checks.every((c) => c.ok), stored: stored.n, ledgerSum: actualSum, expectedSum };
}
