// The oracle: what the final state must be, computed from the traffic the driver generated and the rules as
// documented (README "Money rules" and "Integrating a store", ARCHITECTURE.md), written here from scratch.
// Nothing is imported from worker/: if the worker and this file disagree, one of them misreads the rules.
//
// The one input taken from the worker is the order in which it committed money events (ledger insertion
// order): under concurrency that order is legitimately any interleaving, and tiers depend on it ("a
// conversion earns the rate of the tier reached when it lands"). Given that order, every amount is
// recomputed here.

const DAY_MS = 86_400_000;
export const UNIQUE_WINDOW_MS = 3_600_000;

// "Unicode NFKC, invisible characters removed, upper-cased, A-Z 0-9 _ -, 3-32".
export function normalizeCode(raw) {
  const code = raw.normalize('NFKC').replace(/\p{Cf}/gu, '').trim().toUpperCase();
  return /^[A-Z0-9_-]{3,32}$/.test(code) ? code : null;
}

// Months in the brand's timezone; scenario brands are UTC.
export const monthOf = (at) => new Date(at).toISOString().slice(0, 7);

/** Month bounds in UTC: [start, end). */
export function monthBounds(period) {
  const [y, m] = period.split('-').map(Number);
  return { start: Date.UTC(y, m - 1, 1), end: Date.UTC(y, m, 1) };
}

/**
 * Who gets credit: "a valid code beats a click id inside the campaign's attribution window, which beats none".
 * world.codes: normalized code -> {handle, startsAt, endsAt, active}; world.clicks: click id -> {handle, at};
 * world.windowDays. Returns {kind, handle}.
 */
export function attributeOrder(order, world) {
  const code = order.code === null ? null : normalizeCode(order.code);
  const c = code === null ? undefined : world.codes.get(code);
  if (c && c.active && (c.startsAt === null || order.occurredAt >= c.startsAt) && (c.endsAt === null || order.occurredAt < c.endsAt)) return { kind: 'code', handle: c.handle };
  const k = order.clickId === null ? undefined : world.clicks.get(order.clickId);
  if (k && !k.isBot && k.at <= order.occurredAt && order.occurredAt - k.at <= world.windowDays * DAY_MS) return { kind: 'click', handle: k.handle };
  return { kind: 'none', handle: null };
}

// "Commission = floor(amount × rateBps / 10000) at the tier the creator reaches with that order".
function rateFor(tiers, revenue) {
  let rate = tiers[0].rateBps;
  let tier = 1;
  tiers.forEach((t, i) => {
    if (revenue >= t.fromMinor) {
      rate = t.rateBps;
      tier = i + 1;
    }
  });
  return { rate, tier };
}

/**
 * Replays money events in the worker's commit order and says what every ledger entry must be.
 * orders: orderId -> {amountMinor, occurredAt, handle|null}; refunds: refundId -> {orderId, amountMinor, occurredAt};
 * sequence: [{kind:'commission', orderId} | {kind:'reversal', refundId}] in commit order; tiers: the plan.
 * Net revenue per creator and month (the tier basis) is orders minus refunds, a refund in the month of its
 * order; a reversal is reported in the month the refund happened.
 */
export function priceLedger({ orders, refunds, sequence, tiers }) {
  const revenue = new Map(); // handle|month -> net revenue
  const commission = new Map(); // orderId -> {amount}
  const refunded = new Map(); // orderId -> {refunded, reversed, reversedBasis}
  const entries = [];
  const bump = (handle, month, delta) => revenue.set(`${handle}|${month}`, (revenue.get(`${handle}|${month}`) ?? 0) + delta);
  for (const event of sequence) {
    if (event.kind === 'commission') {
      const o = orders.get(event.orderId);
      if (!o || o.handle === null) throw new Error(`commission for an order that should earn none: ${event.orderId}`);
      const month = monthOf(o.occurredAt);
      const { rate, tier } = rateFor(tiers, (revenue.get(`${o.handle}|${month}`) ?? 0) + o.amountMinor);
      const amount = Math.floor((o.amountMinor * rate) / 10_000);
      bump(o.handle, month, o.amountMinor);
      commission.set(event.orderId, { amount });
      entries.push({ kind: 'commission', orderId: event.orderId, handle: o.handle, amountMinor: amount, rateBps: rate, tier, period: month });
    } else {
      const r = refunds.get(event.refundId);
      const o = r && orders.get(r.orderId);
      const c = r && commission.get(r.orderId);
      if (!r || !o || !c) throw new Error(`reversal before (or without) its commission: ${event.refundId}`);
      // "floor(commission × refunded so far / order amount) minus what earlier reversals took".
      const state = refunded.get(r.orderId) ?? { refunded: 0, reversed: 0, reversedBasis: 0 };
      state.refunded += r.amountMinor;
      const capped = Math.min(state.refunded, o.amountMinor);
      const amount = Math.max(0, Math.floor((c.amount * capped) / o.amountMinor) - state.reversed);
      const basis = Math.max(0, capped - state.reversedBasis);
      state.reversed += amount;
      state.reversedBasis += basis;
      refunded.set(r.orderId, state);
      bump(o.handle, monthOf(o.occurredAt), -basis);
      entries.push({ kind: 'reversal', refundId: event.refundId, orderId: r.orderId, handle: o.handle, amountMinor: -amount, period: monthOf(r.occurredAt) });
    }
  }
  return entries;
}

/**
 * Unique clicks per link: "a visitor clicking the same link again within an hour counts once", visitors
 * being IP + user agent, keyed per UTC day (the identity salt rotates daily); bots never count.
 * served: [{linkSlug, ip, ua, at, isBot}].
 */
export function clickCounts(served) {
  const out = new Map(); // slug -> {clicks, unique, bots}
  const last = new Map(); // slug|ip|ua|day -> last click time
  for (const c of [...served].sort((a, b) => a.at - b.at)) {
    const t = out.get(c.linkSlug) ?? { clicks: 0, unique: 0, bots: 0 };
    out.set(c.linkSlug, t);
    if (c.isBot) {
      t.bots++;
      continue;
    }
    t.clicks++;
    const key = `${c.linkSlug}|${c.ip}|${c.ua}|${new Date(c.at).toISOString().slice(0, 10)}`;
    const prev = last.get(key);
    if (prev === undefined || c.at - prev >= UNIQUE_WINDOW_MS) t.unique++;
    last.set(key, c.at);
  }
  return out;
}

/**
 * Payouts for a period close: "one payout per creator and currency from entries available by the end of
 * that month (a creator whose entries net to zero or less carries them forward)". entries: [{handle, kind,
 * amountMinor, period, availableAt, orderId}] not yet paid; returns {payouts: handle -> row, carried}.
 */
export function closeMonth(entries, period) {
  const { end } = monthBounds(period);
  const claimable = entries.filter((e) => e.period <= period && e.availableAt < end);
  const byHandle = new Map();
  for (const e of claimable) {
    const p = byHandle.get(e.handle) ?? { handle: e.handle, commission: 0, reversals: 0, net: 0, orders: new Set(), entries: [] };
    byHandle.set(e.handle, p);
    if (e.kind === 'commission') {
      p.commission += e.amountMinor;
      p.orders.add(e.orderId);
    } else p.reversals += e.amountMinor;
    p.net += e.amountMinor;
    p.entries.push(e);
  }
  const payouts = new Map();
  for (const [handle, p] of byHandle) if (p.net > 0) payouts.set(handle, { commission: p.commission, reversals: p.reversals, net: p.net, conversions: p.orders.size });
  const paid = new Set([...payouts.keys()]);
  const carried = entries.filter((e) => !(paid.has(e.handle) && claimable.includes(e)));
  return { payouts, carried };
}
