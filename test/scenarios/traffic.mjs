// Generated traffic: seeded, so a failing run can be replayed with the same SCENARIO_SEED.
import { monthBounds } from './oracle.mjs';

export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
    chance: (p) => next() < p,
    shuffle(list) {
      for (let i = list.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [list[i], list[j]] = [list[j], list[i]];
      }
      return list;
    },
  };
}

const USER_AGENTS = [
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0',
];

/** Visitors are IP + user agent (what the worker can see); some share an office IP with another browser. */
export function visitors(r, count, ipPrefix) {
  const out = [];
  for (let i = 0; i < count; i++) {
    const shared = i > 0 && r.chance(0.1);
    const ip = shared ? out[r.int(0, i - 1)].ip : `${ipPrefix}.${(i >> 8) & 255}.${i & 255}`;
    out.push({ ip, ua: r.pick(USER_AGENTS) });
  }
  return out;
}

/** A redirect request: 4% are bots (HEAD, a link previewer, a prefetch), which get the 302 but never count. */
export function redirectRequest(r, visitor, slug) {
  const roll = r.next();
  if (roll < 0.013) return { method: 'HEAD', slug, ip: visitor.ip, ua: visitor.ua, headers: {}, isBot: true };
  if (roll < 0.026) return { method: 'GET', slug, ip: visitor.ip, ua: 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)', headers: {}, isBot: true };
  if (roll < 0.04) return { method: 'GET', slug, ip: visitor.ip, ua: visitor.ua, headers: { 'sec-purpose': 'prefetch' }, isBot: true };
  return { method: 'GET', slug, ip: visitor.ip, ua: visitor.ua, headers: {}, isBot: false };
}

/** How a shopper might type a real code at checkout: the worker must normalise all of these to one code. */
export function typedCode(r, code) {
  const roll = r.next();
  if (roll < 0.1) return code.toLowerCase();
  if (roll < 0.15) return ` ${code} `;
  if (roll < 0.2) return `${code}\u200b`;
  return code;
}

const iso = (ms) => new Date(ms).toISOString();

/**
 * Orders in `month` with refunds (partial and full, some more than the order) and the deliveries a flaky
 * store would make: each order 1-5 times, each refund 1-3 times, all shuffled, so refunds arrive before and
 * after their orders. `clawbackOf`: earlier orders refunded in this month (after their own month closed).
 */
export function storm(r, { prefix, orders: n, month, creators, lapsed, amounts = [1_500, 25_000], refundShare = 0.3, clawbackOf = [], clawbackShare = 0 }) {
  const { start, end } = monthBounds(month);
  const orders = [];
  const refunds = [];
  for (let i = 0; i < n; i++) {
    const occurredAt = r.int(start + 3_600_000, end - 4 * 86_400_000);
    const roll = r.next();
    let code = null;
    if (roll < 0.7) code = typedCode(r, r.pick(creators).code);
    else if (roll < 0.8) code = lapsed.code;
    else if (roll < 0.9) code = `NOSUCH${r.int(10, 99)}`;
    orders.push({ orderId: `${prefix}-o${i}`, amountMinor: r.int(amounts[0], amounts[1]), currency: 'USD', occurredAt, code, clickId: null, customerRef: null });
  }
  const refundOf = (order, i, occurredAt) => {
    if (r.chance(0.5)) return [{ refundId: `${prefix}-r${i}-full`, orderId: order.orderId, amountMinor: order.amountMinor, currency: 'USD', occurredAt }];
    const parts = r.int(1, 2);
    return Array.from({ length: parts }, (_, k) => ({
      refundId: `${prefix}-r${i}-p${k}`,
      orderId: order.orderId,
      amountMinor: Math.max(1, Math.floor((order.amountMinor * r.int(20, 65)) / 100)),
      currency: 'USD',
      occurredAt: occurredAt + k * 60_000,
    }));
  };
  orders.forEach((o, i) => {
    if (r.chance(refundShare)) refunds.push(...refundOf(o, i, Math.min(o.occurredAt + r.int(3_600_000, 3 * 86_400_000), end - 3_600_000)));
  });
  clawbackOf.forEach((o, i) => {
    if (r.chance(clawbackShare)) refunds.push(...refundOf(o, `c${i}`, r.int(start + 3_600_000, end - 3_600_000)));
  });
  const deliveries = [];
  for (const o of orders) {
    const body = JSON.stringify({ ...o, occurredAt: iso(o.occurredAt) });
    for (let k = r.int(1, 5); k > 0; k--) deliveries.push({ kind: 'order', id: o.orderId, route: '/v1/conversions', body });
  }
  for (const f of refunds) {
    const body = JSON.stringify({ ...f, occurredAt: iso(f.occurredAt) });
    for (let k = r.int(1, 3); k > 0; k--) deliveries.push({ kind: 'refund', id: f.refundId, route: '/v1/refunds', body });
  }
  return { orders, refunds, deliveries: r.shuffle(deliveries) };
}
