// Reads Shopify and Stripe payloads into Chorus's own conversion and refund inputs. Pure: no I/O.
import type { ConversionInput, RefundInput } from './orders';

// ISO 4217 currencies without minor units (amount strings like "1500" are already minor units).
const ZERO_DECIMAL = new Set(['BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'UYI', 'VND', 'VUV', 'XAF', 'XOF', 'XPF']);
const THREE_DECIMAL = new Set(['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND']);

export function minorUnitsOf(currency: string): number {
  if (ZERO_DECIMAL.has(currency)) return 0;
  if (THREE_DECIMAL.has(currency)) return 3;
  return 2;
}

// 1999 → "19.99" for USD: a plain number for CSV and JSON, built from integers only.
export function formatAmount(minor: number, currency: string): string {
  const digits = minorUnitsOf(currency);
  const scale = 10 ** digits;
  const abs = Math.abs(minor);
  return `${minor < 0 ? '-' : ''}${Math.floor(abs / scale)}${digits > 0 ? `.${String(abs % scale).padStart(digits, '0')}` : ''}`;
}

// "199.9" → 19990 for USD, without ever going through a float.
export function decimalToMinor(amount: unknown, currency: string): number | null {
  if (typeof amount !== 'string' && typeof amount !== 'number') return null;
  const text = String(amount).trim();
  const match = /^(\d{1,12})(?:\.(\d{1,6}))?$/.exec(text);
  if (!match) return null;
  const digits = minorUnitsOf(currency);
  const fraction = (match[2] ?? '').padEnd(digits, '0');
  if (fraction.length > digits && /[1-9]/.test(fraction.slice(digits))) return null; // more precision than the currency has
  return Number(match[1]) * 10 ** digits + Number(fraction.slice(0, digits) || '0');
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown, max = 128): string | null => (typeof v === 'string' && v.length > 0 && v.length <= max ? v : typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : null);

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

function clickIdFromLandingSite(landingSite: unknown, clickParam: string): string | null {
  if (typeof landingSite !== 'string' || landingSite.length > 4096) return null;
  try {
    return new URL(landingSite, 'https://landing.invalid').searchParams.get(clickParam);
  } catch {
    return null;
  }
}

function attributeValue(attributes: unknown, name: string): string | null {
  if (!Array.isArray(attributes)) return null;
  for (const a of attributes) if (isObject(a) && a.name === name) return str(a.value, 64);
  return null;
}

// orders/create and orders/paid: the order id is the idempotency key (Shopify's event headers are unsigned).
export function shopifyOrder(order: unknown, clickParam: string): Parsed<ConversionInput> {
  if (!isObject(order)) return { ok: false, reason: 'order is not an object' };
  const orderId = str(order.id);
  const currency = typeof order.currency === 'string' ? order.currency.toUpperCase() : null;
  if (!orderId || !currency || !/^[A-Z]{3}$/.test(currency)) return { ok: false, reason: 'order id or currency missing' };
  // Commission is paid on what the shopper paid for goods: the subtotal after discounts, before shipping and tax.
  const amountMinor = decimalToMinor(order.current_subtotal_price ?? order.subtotal_price ?? order.total_price, currency);
  const occurredAt = typeof order.created_at === 'string' ? Date.parse(order.created_at) : NaN;
  if (amountMinor === null || amountMinor < 1 || Number.isNaN(occurredAt)) return { ok: false, reason: 'amount or created_at invalid' };
  const codes = Array.isArray(order.discount_codes) ? order.discount_codes : [];
  const firstCode = codes.find(isObject);
  const customer = isObject(order.customer) ? str(order.customer.id) : null;
  return {
    ok: true,
    value: {
      orderId,
      amountMinor,
      currency,
      occurredAt,
      code: firstCode ? str(firstCode.code, 64) : null,
      clickId: attributeValue(order.note_attributes, `chorus_${clickParam}`) ?? attributeValue(order.note_attributes, clickParam) ?? clickIdFromLandingSite(order.landing_site, clickParam),
      customerRef: customer,
    },
  };
}

// refunds/create: the refunded money is the sum of successful refund transactions. Those are in the
// currency the shopper paid in; when that is not the shop's (Shopify Markets), the refund is the sum of
// its line items' subtotals in shop money instead: the same basis as the order's amount (its subtotal
// in the shop currency).
export function shopifyRefund(refund: unknown, shopCurrency: string): Parsed<RefundInput> {
  if (!isObject(refund)) return { ok: false, reason: 'refund is not an object' };
  const refundId = str(refund.id);
  const orderId = str(refund.order_id);
  const occurredAt = typeof refund.created_at === 'string' ? Date.parse(refund.created_at) : NaN;
  if (!refundId || !orderId || Number.isNaN(occurredAt)) return { ok: false, reason: 'refund id, order id or created_at missing' };
  const transactions = (Array.isArray(refund.transactions) ? refund.transactions : []).filter((t): t is Json => isObject(t) && t.kind === 'refund' && t.status === 'success');
  const currency = typeof transactions[0]?.currency === 'string' ? transactions[0].currency.toUpperCase() : null;
  if (!currency) return { ok: false, reason: 'no successful refund transaction' };
  let amountMinor = 0;
  for (const t of transactions) {
    const minor = decimalToMinor(t.amount, currency);
    if (minor === null) return { ok: false, reason: 'transaction amount invalid' };
    amountMinor += minor;
  }
  if (amountMinor < 1) return { ok: false, reason: 'nothing refunded' };
  if (currency !== shopCurrency) {
    const inShopMoney = shopMoneySubtotal(refund.refund_line_items, shopCurrency);
    if (inShopMoney !== null) return { ok: true, value: { refundId, orderId, amountMinor: inShopMoney, currency: shopCurrency, occurredAt } };
  }
  return { ok: true, value: { refundId, orderId, amountMinor, currency, occurredAt } };
}

// The refunded line items' subtotal in shop money, or null when any line lacks it in that currency.
function shopMoneySubtotal(lines: unknown, shopCurrency: string): number | null {
  if (!Array.isArray(lines) || lines.length === 0) return null;
  let total = 0;
  for (const line of lines) {
    const money = isObject(line) && isObject(line.subtotal_set) && isObject(line.subtotal_set.shop_money) ? line.subtotal_set.shop_money : null;
    if (!money || typeof money.currency_code !== 'string' || money.currency_code.toUpperCase() !== shopCurrency) return null;
    const minor = decimalToMinor(money.amount, shopCurrency);
    if (minor === null) return null;
    total += minor;
  }
  return total > 0 ? total : null;
}

// checkout.session.completed: keyed by the PaymentIntent so charge.refunded finds the same order.
export function stripeCheckoutSession(session: unknown): Parsed<ConversionInput> {
  if (!isObject(session)) return { ok: false, reason: 'session is not an object' };
  const orderId = str(session.payment_intent) ?? str(session.id);
  const currency = typeof session.currency === 'string' ? session.currency.toUpperCase() : null;
  const amountMinor = session.amount_subtotal ?? session.amount_total;
  if (!orderId || !currency || !/^[A-Z]{3}$/.test(currency) || !Number.isSafeInteger(amountMinor) || (amountMinor as number) < 1 || !Number.isSafeInteger(session.created)) {
    return { ok: false, reason: 'payment intent, currency, amount or created missing' };
  }
  const metadata = isObject(session.metadata) ? session.metadata : {};
  return {
    ok: true,
    value: {
      orderId,
      amountMinor: amountMinor as number,
      currency,
      occurredAt: (session.created as number) * 1000,
      code: str(metadata.chorus_code, 64),
      clickId: str(metadata.chorus_cid, 64) ?? str(session.client_reference_id, 64),
      customerRef: str(session.customer),
    },
  };
}

// charge.refunded: one refund input per refund object listed on the charge. Where the API version no
// longer lists them, the cumulative amount_refunded is the key: `${charge}@${amount_refunded}`.
export function stripeChargeRefunds(charge: unknown, alreadyRefundedMinor: number, now: number): Parsed<RefundInput[]> {
  if (!isObject(charge)) return { ok: false, reason: 'charge is not an object' };
  const orderId = str(charge.payment_intent) ?? str(charge.id);
  const currency = typeof charge.currency === 'string' ? charge.currency.toUpperCase() : null;
  if (!orderId || !currency) return { ok: false, reason: 'payment intent or currency missing' };
  const listed = isObject(charge.refunds) && Array.isArray(charge.refunds.data) ? charge.refunds.data.filter(isObject) : null;
  if (listed && listed.length > 0) {
    const refunds: RefundInput[] = [];
    for (const r of listed) {
      const refundId = str(r.id);
      if (!refundId || !Number.isSafeInteger(r.amount) || (r.amount as number) < 1 || !Number.isSafeInteger(r.created)) return { ok: false, reason: 'refund entry invalid' };
      if (r.status !== undefined && r.status !== 'succeeded') continue;
      refunds.push({ refundId, orderId, amountMinor: r.amount as number, currency, occurredAt: (r.created as number) * 1000 });
    }
    return { ok: true, value: refunds };
  }
  const total = charge.amount_refunded;
  if (!Number.isSafeInteger(total) || !Number.isSafeInteger(charge.created)) return { ok: false, reason: 'amount_refunded missing' };
  const amountMinor = (total as number) - alreadyRefundedMinor;
  if (amountMinor < 1) return { ok: true, value: [] };
  return { ok: true, value: [{ refundId: `${str(charge.id)}@${total}`, orderId, amountMinor, currency, occurredAt: now }] };
}
