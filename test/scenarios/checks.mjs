// Final-state checks: D1 (read through the host) against the oracle.
import { attributeOrder, clickCounts, priceLedger } from './oracle.mjs';
import { TIERS } from './network.mjs';

export class Checks {
  constructor() {
    this.list = [];
  }

  /** A named property; `detail` says what was seen when it does not hold. */
  that(name, ok, detail = '') {
    this.list.push({ name, pass: Boolean(ok), detail: ok ? '' : String(detail).slice(0, 600) });
    return ok;
  }

  get pass() {
    return this.list.every((c) => c.pass);
  }
}

const DAY_MS = 86_400_000;

/**
 * Money: conversions, refunds and the ledger against the oracle, exactly-once and no orphans.
 * orders/refunds: what the store sent (unique ids); outcomes: each delivery's final answer.
 */
export async function checkMoney(ctx, net, { orders, refunds, outcomes }, checks) {
  const q = (text) => ctx.host.query(text, [net.brand.id]);
  const expectedOrders = new Map(orders.map((o) => [o.orderId, { ...o, ...attributeOrder(o, net.world) }]));
  const expectedRefunds = new Map(refunds.map((r) => [r.refundId, r]));

  // Conversions: exactly one per order id, attributed as the rules say.
  const conversions = await q(
    `SELECT cv.id, cv.external_order_id AS order_id, cv.amount_minor, cv.attribution, cr.handle FROM conversions cv
     LEFT JOIN enrollments e ON e.id = cv.enrollment_id LEFT JOIN creators cr ON cr.id = e.creator_id WHERE cv.brand_id = ?`,
  );
  const stored = new Map(conversions.map((c) => [c.order_id, c]));
  checks.that(`conversions: ${conversions.length} stored = ${expectedOrders.size} unique orders`, conversions.length === expectedOrders.size && [...expectedOrders.keys()].every((id) => stored.has(id)), `missing: ${[...expectedOrders.keys()].filter((id) => !stored.has(id)).slice(0, 5)}`);
  const misattributed = [...expectedOrders.values()].filter((o) => {
    const c = stored.get(o.orderId);
    return c && (c.attribution !== o.kind || (c.handle ?? null) !== o.handle || c.amount_minor !== o.amountMinor);
  });
  checks.that('attribution (code > click in window > none) equals the oracle for every order', misattributed.length === 0, misattributed.slice(0, 3).map((o) => `${o.orderId}: oracle ${o.kind}/${o.handle}, stored ${stored.get(o.orderId).attribution}/${stored.get(o.orderId).handle}`).join('; '));

  // Refunds: one row per refund id, all applied once their order exists.
  const refundRows = await q('SELECT id, external_refund_id AS refund_id, status FROM refunds WHERE brand_id = ?');
  const storedRefunds = new Map(refundRows.map((r) => [r.refund_id, r]));
  checks.that(`refunds: ${refundRows.length} stored = ${expectedRefunds.size} unique refund ids, all applied`, refundRows.length === expectedRefunds.size && refundRows.every((r) => r.status === 'applied' && expectedRefunds.has(r.refund_id)), refundRows.filter((r) => r.status !== 'applied').map((r) => r.refund_id).slice(0, 5));

  // Ledger in commit order; the oracle prices the same sequence.
  const ledger = await q(
    `SELECT l.rowid AS seq, l.kind, l.amount_minor, l.rate_bps, l.tier, l.period, l.available_at, cr.handle,
       cv.external_order_id AS order_id, r.external_refund_id AS refund_id, l.conversion_id, l.refund_id AS refund_row
     FROM ledger_entries l JOIN creators cr ON cr.id = l.creator_id
     LEFT JOIN conversions cv ON cv.id = l.conversion_id LEFT JOIN refunds r ON r.id = l.refund_id
     WHERE l.brand_id = ? ORDER BY l.rowid`,
  );
  const orphans = ledger.filter((l) => l.order_id === null || (l.kind === 'reversal' && l.refund_id === null));
  checks.that('no orphans: every ledger entry has its conversion (and reversal its refund)', orphans.length === 0, JSON.stringify(orphans.slice(0, 3)));
  const commissions = ledger.filter((l) => l.kind === 'commission');
  const reversals = ledger.filter((l) => l.kind === 'reversal');
  const earning = [...expectedOrders.values()].filter((o) => o.handle !== null);
  const perOrder = countBy(commissions, (l) => l.order_id);
  checks.that(
    `exactly one commission per earning order (${commissions.length} entries, ${earning.length} orders)`,
    commissions.length === earning.length && earning.every((o) => perOrder.get(o.orderId) === 1),
    `twice: ${[...perOrder].filter(([, n]) => n > 1).slice(0, 3)}; missing: ${earning.filter((o) => !perOrder.has(o.orderId)).map((o) => o.orderId).slice(0, 3)}`,
  );
  const reversible = [...expectedRefunds.values()].filter((r) => expectedOrders.get(r.orderId)?.handle);
  const perRefund = countBy(reversals, (l) => l.refund_id);
  checks.that(
    `one reversal per refund id (${reversals.length} entries, ${reversible.length} refunds of earning orders)`,
    reversals.length === reversible.length && reversible.every((r) => perRefund.get(r.refundId) === 1),
    `twice: ${[...perRefund].filter(([, n]) => n > 1).slice(0, 3)}`,
  );
  const byConversion = new Map();
  for (const l of ledger) {
    const t = byConversion.get(l.conversion_id) ?? { commission: 0, reversed: 0 };
    if (l.kind === 'commission') t.commission += l.amount_minor;
    else t.reversed -= l.amount_minor;
    byConversion.set(l.conversion_id, t);
  }
  const over = [...byConversion].filter(([, t]) => t.reversed > t.commission || t.reversed < 0);
  checks.that('reversals never above their commission', over.length === 0, JSON.stringify(over.slice(0, 3)));

  let oracle = [];
  const sequence = ledger.filter((l) => l.order_id !== null).map((l) => (l.kind === 'commission' ? { kind: 'commission', orderId: l.order_id } : { kind: 'reversal', refundId: l.refund_id }));
  try {
    oracle = priceLedger({ orders: expectedOrders, refunds: expectedRefunds, sequence, tiers: TIERS });
  } catch (e) {
    checks.that('the commit order is one the rules allow', false, e.message);
  }
  const wrong = [];
  oracle.forEach((o, i) => {
    const l = ledger.filter((x) => x.order_id !== null)[i];
    if (l.amount_minor !== o.amountMinor || l.handle !== o.handle || l.period !== o.period || (o.kind === 'commission' && (l.rate_bps !== o.rateBps || l.tier !== o.tier))) wrong.push({ seq: l.seq, stored: l, oracle: o });
  });
  const storedTotal = ledger.reduce((s, l) => s + l.amount_minor, 0);
  const oracleTotal = oracle.reduce((s, o) => s + o.amountMinor, 0);
  checks.that(`every ledger amount, rate and tier equals the oracle's (${wrong.length} differ)`, oracle.length > 0 || ledger.length === 0 ? wrong.length === 0 : false, JSON.stringify(wrong.slice(0, 2)));
  checks.that(`ledger total ${storedTotal} = oracle ${oracleTotal}`, storedTotal === oracleTotal);

  // Code redemptions are counted inside the conversion's batch: once per code-attributed order.
  const codeRows = await q('SELECT code, redemptions FROM discount_codes WHERE brand_id = ?');
  const redemptions = countBy([...expectedOrders.values()].filter((o) => o.kind === 'code'), (o) => normalizeStored(o.code));
  const badCounts = codeRows.filter((c) => c.redemptions !== (redemptions.get(c.code) ?? 0));
  checks.that('code redemptions counted once per code-attributed order', badCounts.length === 0, JSON.stringify(badCounts.slice(0, 3)));

  // What the store was told: at most one 201 per id, no 4xx for valid deliveries, and every 2xx names the committed row.
  const created = countBy(outcomes.filter((o) => o.status === 201), (o) => `${o.kind}:${o.id}`);
  checks.that('at most one 201 per order id and refund id', [...created.values()].every((n) => n === 1), [...created].filter(([, n]) => n > 1).slice(0, 3));
  const rejected = outcomes.filter((o) => o.status !== 200 && o.status !== 201);
  checks.that(`every delivery ended 2xx (${rejected.length} did not)`, rejected.length === 0, rejected.slice(0, 3).map((o) => `${o.id}: ${o.status} ${o.body.slice(0, 120)}`).join('; '));
  const phantom = outcomes.filter((o) => (o.status === 200 || o.status === 201) && (o.kind === 'order' ? stored.get(o.id)?.id : storedRefunds.get(o.id)?.id) !== o.data?.id);
  checks.that('no 2xx for an uncommitted write: every 2xx carries the id of the committed row', phantom.length === 0, phantom.slice(0, 3).map((o) => `${o.id}: answered ${o.data?.id}`).join('; '));

  return {
    conversions: conversions.length,
    expectedConversions: expectedOrders.size,
    ledgerEntries: ledger.length,
    oracleEntries: oracle.length,
    ledgerTotal: storedTotal,
    oracleTotal,
    oracle,
    ledger,
    expectedOrders,
  };
}

function normalizeStored(raw) {
  return raw.normalize('NFKC').replace(/\p{Cf}/gu, '').trim().toUpperCase();
}

export function countBy(list, key) {
  const m = new Map();
  for (const x of list) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return m;
}

/** Unique clicks as the brand sees them (link stats API) against the oracle's count of what was served. */
export async function checkClicks(ctx, net, served, checks) {
  const oracle = clickCounts(served);
  let countedUnique = 0;
  let oracleUnique = 0;
  const wrong = [];
  for (const [slug, want] of oracle) {
    const stats = await net.api('GET', `links/${net.linkIds.get(slug)}/stats`);
    countedUnique += stats.total.uniqueClicks;
    oracleUnique += want.unique;
    if (stats.total.uniqueClicks !== want.unique || stats.total.clicks !== want.clicks || stats.total.bots !== want.bots) wrong.push({ slug, stored: stats.total, oracle: want });
  }
  checks.that(`counted unique clicks ${countedUnique} = oracle ${oracleUnique} (and clicks, bots per link)`, wrong.length === 0, JSON.stringify(wrong.slice(0, 3)));
  // Every click id handed out is stored once: ids are the primary key, so compare the sets.
  const rows = await ctx.host.query('SELECT id FROM clicks WHERE brand_id = ?', [net.brand.id]);
  const storedIds = new Set(rows.map((r) => r.id));
  const servedIds = new Set(served.map((s) => s.cid));
  const lostIds = [...servedIds].filter((id) => !storedIds.has(id));
  const extra = [...storedIds].filter((id) => !servedIds.has(id)).length;
  return { countedUnique, oracleUnique, lost: lostIds.length, lostIds, extra, stored: rows.length, served: served.length };
}

export { DAY_MS };
