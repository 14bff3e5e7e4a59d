// Reads Shopify and Stripe payloads into Chorus's own conversion and refund inputs. Pure: no I/O.
import { MAX_AMOUNT_MINOR } from '../db/money';
import { isCleanText } from '../lib/validate';
import { EARLIEST_OCCURRED_AT, MAX_FUTURE_MS, type ConversionInput, type RefundInput } from './orders';

// ISO 4217 currencies without minor units (amount strings like "1500" are already minor units).
const ZERO_DECIMAL = new Set(['BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'UYI', 'VND', 'VUV', 'XAF', 'XOF', 'XPF']);
const THREE_DECIMAL = new Set(['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND']);

export function minorUnitsOf(currency: string): number {
  if (ZERO_DECIMAL.has(currency)) return 0;
  if (THREE_DECIMAL.has(currency)) return 3;
  return 2;
}

// 1999 → "19.99" for USD: a plain number for CSV, JSON and bank files. The decimal point is placed in the
// integer's digits as text, so no amount ever passes through a division or a float.
export function formatAmount(minor: number, currency: string): string {
  if (!Number.isSafeInteger(minor)) throw new RangeError(`not an amount in minor units: ${minor}`);
  const digits = minorUnitsOf(currency);
  const text = String(Math.abs(minor)).padStart(digits + 1, '0');
  const whole = text.slice(0, text.length - digits);
  return `${minor < 0 ? '-' : ''}${whole}${digits > 0 ? `.${text.slice(text.length - digits)}` : ''}`;
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

// An amount a person typed into a console form, in major units: "1000", "1000.50", "1,000" or "1,000.50"
// (commas only as thousands groups). What reads two ways is refused, not guessed: "50,00" (a decimal comma)
// and "5.000" in a currency with fewer than three decimals (a thousands point).
export function typedAmountToMinor(text: string, currency: string): number | null {
  const t = text.trim();
  if (t.includes(',') && !/^\d{1,3}(?:,\d{3})+(?:\.\d+)?$/.test(t)) return null;
  const plain = t.replace(/,/g, '');
  if (/\.\d{3}$/.test(plain) && minorUnitsOf(currency) < 3) return null;
  return decimalToMinor(plain, currency);
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
// Text fields: control characters and broken characters are refused, as the signed API refuses them. (Also what
// the webhook delivery log keeps of a payload or an answer: db/webhook-receipts.ts.)
export const str = (v: unknown, max = 128): string | null =>
  typeof v === 'string' && v.length > 0 && v.length <= max && isCleanText(v) ? v : typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : null;

// A customer's email as a store's payload carries it, for the self-purchase check (domain/self-purchase.ts);
// anything else there (empty, too long, no @) is no evidence, never a reason to refuse the order.
const emailIn = (...candidates: unknown[]): string | null => {
  for (const v of candidates) {
    const email = typeof v === 'string' ? str(v.trim(), 254) : null;
    if (email && /^[^@\s]+@[^@\s]+$/.test(email)) return email;
  }
  return null;
};

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

// No adapter records what the signed API (routes/ingest.ts) would refuse: amounts up to MAX_AMOUNT_MINOR,
// times from 2000 to 24 h ahead of our clock. Past that range a Date cannot even be formatted, and a
// period or an available_at would fail after the write.
const inTimeRange = (at: number, now: number) => at >= EARLIEST_OCCURRED_AT && at <= now + MAX_FUTURE_MS;
const inAmountRange = (minor: number) => Number.isSafeInteger(minor) && minor >= 1 && minor <= MAX_AMOUNT_MINOR;
// Stripe times are unix seconds.
const stripeTime = (v: unknown, now: number): number | null => (Number.isSafeInteger(v) && inTimeRange((v as number) * 1000, now) ? (v as number) * 1000 : null);
const stripeAmount = (v: unknown): number | null => (Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= MAX_AMOUNT_MINOR ? (v as number) : null);

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

// Shopify's test orders (the Bogus gateway, a test payment) come through the live shop's webhooks; they earn
// nobody anything, and neither do their cancellations.
export const shopifyTestOrder = (order: unknown): boolean => isObject(order) && order.test === true;

// Every discount code on an order, as the shopper entered them: Shopify lets codes be combined (free shipping
// with a creator's 15%), so the creator's need not come first.
export function shopifyOrderCodes(order: unknown): string[] {
  if (!isObject(order) || !Array.isArray(order.discount_codes)) return [];
  return order.discount_codes.slice(0, 10).flatMap((d) => (isObject(d) && str(d.code, 64) ? [str(d.code, 64)!] : []));
}

// orders/create and orders/paid: the order id is the idempotency key (Shopify's event headers are unsigned).
// `code` is the first of the order's codes unless the caller names which (the one that is a creator's).
// An order that cost nothing for goods (a gift, a 100% discount) earns nothing: null, acknowledged.
export function shopifyOrder(order: unknown, clickParam: string, now: number, code?: string | null): Parsed<ConversionInput | null> {
  if (!isObject(order)) return { ok: false, reason: 'order is not an object' };
  const orderId = str(order.id);
  const currency = typeof order.currency === 'string' ? order.currency.toUpperCase() : null;
  if (!orderId || !currency || !/^[A-Z]{3}$/.test(currency)) return { ok: false, reason: 'order id or currency missing' };
  // Commission is paid on what the shopper paid for goods: the subtotal after discounts, before shipping and tax.
  const amountMinor = decimalToMinor(order.current_subtotal_price ?? order.subtotal_price ?? order.total_price, currency);
  const occurredAt = typeof order.created_at === 'string' ? Date.parse(order.created_at) : NaN;
  if (amountMinor === 0) return { ok: true, value: null };
  if (amountMinor === null || !inAmountRange(amountMinor)) return { ok: false, reason: 'amount invalid or out of range' };
  if (!inTimeRange(occurredAt, now)) return { ok: false, reason: 'created_at invalid or out of range' };
  const customer = isObject(order.customer) ? str(order.customer.id) : null;
  const customerEmail = emailIn(order.email, isObject(order.customer) ? order.customer.email : null, order.contact_email);
  // The click id as /sdk.js keeps it in the cart (chorus_cid, whatever the brand's parameter is called), under
  // the brand's own parameter, or in the landing page's address.
  const clickId =
    attributeValue(order.note_attributes, `chorus_${clickParam}`) ??
    attributeValue(order.note_attributes, 'chorus_cid') ??
    attributeValue(order.note_attributes, clickParam) ??
    clickIdFromLandingSite(order.landing_site, clickParam);
  return {
    ok: true,
    value: { orderId, amountMinor, currency, occurredAt, code: code === undefined ? (shopifyOrderCodes(order)[0] ?? null) : code, clickId, customerRef: customer, customerEmail },
  };
}

// orders/cancelled: a cancelled order earns nothing, paid or not (an unpaid order that is cancelled sends no
// refunds/create). It becomes a refund of the whole order, keyed `cancel:<order id>` so a redelivery adds
// nothing; reversals are capped at the commission (db/money.ts), so one that also had refunds, before or
// after, is reversed once in total. null when the order carries no cancellation.
export function shopifyCancellation(order: unknown, now: number): Parsed<RefundInput | null> {
  if (!isObject(order)) return { ok: false, reason: 'order is not an object' };
  if (order.cancelled_at === null || order.cancelled_at === undefined) return { ok: true, value: null };
  const orderId = str(order.id);
  const currency = typeof order.currency === 'string' ? order.currency.toUpperCase() : null;
  if (!orderId || !currency || !/^[A-Z]{3}$/.test(currency)) return { ok: false, reason: 'order id or currency missing' };
  // The subtotal as placed: after a refund, current_subtotal_price no longer covers the whole order.
  const amountMinor = decimalToMinor(order.subtotal_price ?? order.total_price, currency);
  const occurredAt = typeof order.cancelled_at === 'string' ? Date.parse(order.cancelled_at) : NaN;
  if (amountMinor === 0) return { ok: true, value: null }; // an order that cost nothing earned nothing to take back
  if (amountMinor === null || !inAmountRange(amountMinor)) return { ok: false, reason: 'amount invalid or out of range' };
  if (!inTimeRange(occurredAt, now)) return { ok: false, reason: 'cancelled_at invalid or out of range' };
  return { ok: true, value: { refundId: `cancel:${orderId}`, orderId, amountMinor, currency, occurredAt } };
}

// A refund whose every transaction is a test one (of a test order, never recorded).
export function shopifyTestRefund(refund: unknown): boolean {
  if (!isObject(refund) || !Array.isArray(refund.transactions) || refund.transactions.length === 0) return false;
  return refund.transactions.every((t) => isObject(t) && t.test === true);
}

// refunds/create: a refund takes back its line items' subtotal in shop money, the basis the order was priced
// on (its subtotal after discounts, before tax and shipping), whatever the money refunded included: tax,
// shipping, or the shopper's currency (Shopify Markets), plus any amount refunded beyond its lines (a
// refund_discrepancy adjustment, negative when more went back; shipping_refund adjustments are shipping).
// A refund with no refund transaction that succeeded or is still pending (a restock, or one whose payment
// failed), or that took back no goods, changes no commission: null, nothing to record. Pending counts:
// Shopify sends no second refunds/create when it succeeds.
export function shopifyRefund(refund: unknown, shopCurrency: string, now: number): Parsed<RefundInput | null> {
  if (!isObject(refund)) return { ok: false, reason: 'refund is not an object' };
  const refundId = str(refund.id);
  const orderId = str(refund.order_id);
  const occurredAt = typeof refund.created_at === 'string' ? Date.parse(refund.created_at) : NaN;
  if (!refundId || !orderId) return { ok: false, reason: 'refund id or order id missing' };
  if (!inTimeRange(occurredAt, now)) return { ok: false, reason: 'created_at invalid or out of range' };
  const transactions = Array.isArray(refund.transactions) ? refund.transactions : [];
  if (!transactions.some((t) => isObject(t) && t.kind === 'refund' && (t.status === 'success' || t.status === 'pending'))) return { ok: true, value: null };
  const goods = lineItemsSubtotal(refund.refund_line_items, shopCurrency);
  if (goods === null) return { ok: false, reason: 'refund line item subtotals invalid or out of range' };
  const beyond = discrepancyRefunded(refund.order_adjustments, goods.currency);
  if (beyond === null) return { ok: false, reason: 'order adjustment amounts invalid' };
  const amountMinor = Math.max(0, goods.amountMinor + beyond);
  if (amountMinor === 0) return { ok: true, value: null };
  if (amountMinor > MAX_AMOUNT_MINOR) return { ok: false, reason: 'refund amount out of range' };
  return { ok: true, value: { refundId, orderId, amountMinor, currency: goods.currency, occurredAt } };
}

// The refunded line items' subtotal in shop money (`subtotal_set`; the plain `subtotal` of payloads without
// it is in the shop's currency too), or null when a line is unreadable, the lines disagree on the currency
// or their sum passes the cap.
function lineItemsSubtotal(lines: unknown, shopCurrency: string): { amountMinor: number; currency: string } | null {
  let currency: string | null = null;
  let total = 0;
  for (const line of Array.isArray(lines) ? lines : []) {
    if (!isObject(line)) return null;
    const money = isObject(line.subtotal_set) && isObject(line.subtotal_set.shop_money) ? line.subtotal_set.shop_money : null;
    const lineCurrency = money ? (typeof money.currency_code === 'string' ? money.currency_code.toUpperCase() : '') : shopCurrency;
    if (!/^[A-Z]{3}$/.test(lineCurrency) || (currency !== null && lineCurrency !== currency)) return null;
    currency = lineCurrency;
    const minor = decimalToMinor(money ? money.amount : line.subtotal, currency);
    if (minor === null || (total += minor) > MAX_AMOUNT_MINOR) return null;
  }
  return { amountMinor: total, currency: currency ?? shopCurrency };
}

// What refund_discrepancy adjustments refunded beyond the lines, in the refund's currency (shop money where
// given): their amounts are negative for money sent back. null when one is unreadable.
function discrepancyRefunded(adjustments: unknown, currency: string): number | null {
  let total = 0;
  for (const a of Array.isArray(adjustments) ? adjustments : []) {
    if (!isObject(a) || a.kind !== 'refund_discrepancy') continue;
    const value = isObject(a.amount_set) && isObject(a.amount_set.shop_money) ? a.amount_set.shop_money.amount : a.amount;
    const text = typeof value === 'string' || typeof value === 'number' ? String(value).trim() : '';
    const sentBack = text.startsWith('-');
    const minor = decimalToMinor(sentBack ? text.slice(1) : text, currency);
    if (minor === null || minor > MAX_AMOUNT_MINOR) return null;
    total += sentBack ? minor : -minor;
  }
  return total;
}

/** A Checkout Session that completed without its payment yet (a delayed payment method): checkout.session.async_payment_succeeded records it. */
export const stripeAwaitsPayment = (session: unknown): boolean => isObject(session) && session.payment_status === 'unpaid';

// checkout.session.completed (paid) and checkout.session.async_payment_succeeded: keyed by the PaymentIntent
// so charge.refunded finds the same order (a subscription's session by its first invoice). Priced like a
// Shopify order, on the subtotal after discounts, before shipping and tax (Stripe's amount_subtotal is
// before discounts). A session that needed no payment
// (fully discounted, a free trial) or sold nothing after discounts earns nothing: null, nothing to record.
export function stripeCheckoutSession(session: unknown, now: number): Parsed<ConversionInput | null> {
  if (!isObject(session)) return { ok: false, reason: 'session is not an object' };
  // A subscription's session has no PaymentIntent: it is keyed by its first invoice, so that invoice's
  // invoice.paid finds the order already recorded (stripeInvoice). One that names no invoice leaves the
  // payment to its invoice.paid, which then records it: keyed by the session, it would be counted twice.
  const subscription = session.mode === 'subscription';
  const orderId = str(session.payment_intent) ?? str(session.invoice) ?? (subscription ? null : str(session.id));
  if (subscription && !orderId) return { ok: true, value: null };
  const currency = typeof session.currency === 'string' ? session.currency.toUpperCase() : null;
  const subtotal = stripeAmount(session.amount_subtotal);
  const discount = isObject(session.total_details) ? stripeAmount(session.total_details.amount_discount ?? 0) : 0;
  const occurredAt = stripeTime(session.created, now);
  if (!orderId || !currency || !/^[A-Z]{3}$/.test(currency) || subtotal === null || discount === null || discount > subtotal || occurredAt === null) {
    return { ok: false, reason: 'payment intent, currency, amounts or created missing or out of range' };
  }
  if (session.payment_status === 'no_payment_required' || subtotal === discount) return { ok: true, value: null };
  // customer_details holds the email the customer gave at checkout; customer_email, one the session was created with.
  const customerEmail = emailIn(isObject(session.customer_details) ? session.customer_details.email : null, session.customer_email);
  return { ok: true, value: { orderId, amountMinor: subtotal - discount, currency, ...sessionEvidence(session, occurredAt), customerRef: str(session.customer), customerEmail } };
}

// The code and click a Checkout Session carries: its metadata's, or the click id as its client_reference_id.
function sessionEvidence(session: Json, occurredAt: number): Pick<ConversionInput, 'code' | 'clickId' | 'occurredAt'> {
  const metadata = isObject(session.metadata) ? session.metadata : {};
  return { occurredAt, code: str(metadata.chorus_code, 64), clickId: str(metadata.chorus_cid, 64) ?? str(session.client_reference_id, 64) };
}

const idOf = (v: unknown, max = 64): string | null => str(v, max) ?? (isObject(v) ? str(v.id, max) : null);

/** The subscription a Checkout Session started, and the evidence it started with (its metadata, its creation). */
export type SessionSubscription = { id: string; evidence: Pick<ConversionInput, 'code' | 'clickId' | 'occurredAt'> };

// A subscription-mode Checkout Session's subscription: the session's code and click, as of when it was
// created, decide who brought it, even when its first payment comes weeks later (a free trial). null for
// any other session, or one that names no subscription.
export function stripeSessionSubscription(session: unknown, now: number): SessionSubscription | null {
  if (!isObject(session) || session.mode !== 'subscription') return null;
  const id = idOf(session.subscription);
  const occurredAt = stripeTime(session.created, now);
  if (!id || occurredAt === null) return null;
  return { id, evidence: sessionEvidence(session, occurredAt) };
}

/** A paid invoice: `subscription` holds the payment to record for a subscription's invoice (null when it charged nothing for goods: a trial, a credit), `one_off` one that belongs to no subscription. */
export type StripeInvoice = { kind: 'one_off' } | { kind: 'subscription'; subscriptionId: string; invoiceId: string; paymentIntent: string | null; input: ConversionInput | null };

// invoice.paid, in both shapes: API versions before 2025-03-31 name the subscription, its metadata and the
// PaymentIntent on the invoice; later ones put the subscription under parent.subscription_details and pair
// invoices with PaymentIntents only in invoice_payment.paid (stripeInvoicePayment). Keyed by the invoice; priced
// like a Checkout Session, after discounts and before tax (total_excluding_tax), on the share of it the
// customer paid (amount_paid of total): the part a credit balance covered was money already paid, and
// commissioned, once. The subscription's metadata may carry chorus_code and chorus_cid, as a Checkout
// Session's does; paid_at dates the payment.
export function stripeInvoice(invoice: unknown, now: number): Parsed<StripeInvoice> {
  if (!isObject(invoice)) return { ok: false, reason: 'invoice is not an object' };
  const details = isObject(invoice.parent) && isObject(invoice.parent.subscription_details) ? invoice.parent.subscription_details : isObject(invoice.subscription_details) ? invoice.subscription_details : null;
  const subscription = idOf(invoice.subscription) ?? (details ? idOf(details.subscription) : null);
  if (!subscription) return { ok: true, value: { kind: 'one_off' } };
  const orderId = str(invoice.id, 64);
  const customer = idOf(invoice.customer, 128);
  const currency = typeof invoice.currency === 'string' ? invoice.currency.toUpperCase() : null;
  const paidAt = isObject(invoice.status_transitions) && invoice.status_transitions.paid_at != null ? invoice.status_transitions.paid_at : invoice.created;
  const occurredAt = stripeTime(paidAt, now);
  if (!orderId || !customer || !currency || !/^[A-Z]{3}$/.test(currency) || occurredAt === null) {
    return { ok: false, reason: 'invoice id, customer, currency or paid time missing or out of range' };
  }
  const amountMinor = invoiceGoods(invoice);
  if (amountMinor === null) return { ok: false, reason: 'total_excluding_tax, total or amount_paid invalid or out of range' };
  const paymentIntent = idOf(invoice.payment_intent);
  if (amountMinor <= 0) return { ok: true, value: { kind: 'subscription', subscriptionId: subscription, invoiceId: orderId, paymentIntent, input: null } };
  const metadata = details && isObject(details.metadata) ? details.metadata : {};
  return {
    ok: true,
    value: {
      kind: 'subscription',
      subscriptionId: subscription,
      invoiceId: orderId,
      paymentIntent,
      input: { orderId, amountMinor, currency, occurredAt, code: str(metadata.chorus_code, 64), clickId: str(metadata.chorus_cid, 64), customerRef: customer, customerEmail: emailIn(invoice.customer_email) },
    },
  };
}

// What an invoice charged for goods: its goods after discounts, before tax, times the share of its total the
// customer paid (rounded down; BigInt, as both reach 1e11). Zero or less for an invoice of credits (a
// downgrade's proration) or one a credit balance paid in full. Stripe may leave total_excluding_tax null:
// then the total less its taxes (total_taxes from API version 2025-03-31, tax before).
function invoiceGoods(invoice: Json): number | null {
  const signed = (v: unknown) => (Number.isSafeInteger(v) && Math.abs(v as number) <= MAX_AMOUNT_MINOR ? (v as number) : null);
  const total = signed(invoice.total);
  const goods = invoice.total_excluding_tax === null && total !== null ? untaxed(invoice, total) : signed(invoice.total_excluding_tax);
  const paid = stripeAmount(invoice.amount_paid);
  if (goods === null || total === null || paid === null) return null;
  if (goods <= 0 || total <= 0 || paid >= total) return goods;
  return Number((BigInt(goods) * BigInt(paid)) / BigInt(total));
}

function untaxed(invoice: Json, total: number): number | null {
  let taxes = 0;
  const listed = Array.isArray(invoice.total_taxes) ? invoice.total_taxes : [];
  for (const t of listed) {
    const amount = isObject(t) ? stripeAmount(t.amount) : null;
    if (amount === null) return null;
    taxes += amount;
  }
  if (listed.length === 0 && invoice.tax !== null && invoice.tax !== undefined) {
    const tax = stripeAmount(invoice.tax);
    if (tax === null) return null;
    taxes = tax;
  }
  return total - taxes;
}

// invoice_payment.paid (API versions from 2025-03-31): which invoice a payment paid, named as a charge.refunded
// names its order (stripeCharge): the PaymentIntent, or the charge made without one. null for a payment
// recorded another way (a payment record), which no charge.refunded names.
export function stripeInvoicePayment(payment: unknown): Parsed<{ invoiceId: string; paymentRef: string } | null> {
  if (!isObject(payment)) return { ok: false, reason: 'invoice payment is not an object' };
  const invoiceId = idOf(payment.invoice);
  if (!invoiceId) return { ok: false, reason: 'invoice missing' };
  const paid = isObject(payment.payment) ? payment.payment : {};
  const paymentRef = paid.type === 'payment_intent' ? idOf(paid.payment_intent) : paid.type === 'charge' ? idOf(paid.charge) : null;
  return { ok: true, value: paymentRef ? { invoiceId, paymentRef } : null };
}

export type StripeCharge = {
  chargeId: string;
  orderId: string;
  currency: string;
  amountMinor: number;
  /** Stripe's running total refunded. */
  refundedMinor: number;
};

// charge.refunded, in the charge's money: its running total refunded. API versions before 2022-11-15 also
// list the refunds, but every version carries amount_refunded, so all are read the same way (a list read
// beside the running total counted the same refund twice when an endpoint changed versions mid-stream).
export function stripeCharge(charge: unknown): Parsed<StripeCharge> {
  if (!isObject(charge)) return { ok: false, reason: 'charge is not an object' };
  // Stripe's ids are short (under 40 characters): 64 bounds a refund slice's id, built from two of them.
  const chargeId = str(charge.id, 64);
  const orderId = str(charge.payment_intent, 64) ?? chargeId;
  const currency = typeof charge.currency === 'string' ? charge.currency.toUpperCase() : null;
  const amountMinor = stripeAmount(charge.amount);
  const refundedMinor = stripeAmount(charge.amount_refunded);
  if (!chargeId || !orderId || !currency || !/^[A-Z]{3}$/.test(currency)) return { ok: false, reason: 'charge id or currency missing' };
  if (amountMinor === null || refundedMinor === null || refundedMinor > amountMinor) return { ok: false, reason: 'amount or amount_refunded invalid or out of range' };
  return { ok: true, value: { chargeId, orderId, currency, amountMinor, refundedMinor } };
}

/** A Stripe refund that failed or was cancelled, in the charge's money. */
export type StripeRefundFailure = { refundRef: string; chargeRef: string; paymentRef: string; currency: string; amountMinor: number; failedAt: number };

// refund.failed, refund.updated and charge.refund.updated carry the refund itself. One whose status is failed (the
// card was closed, lost or stolen) or canceled (Stripe models a cancellation as a failure too, with a
// failure_balance_transaction) sent the money back to the merchant; any other update is null, nothing to record.
// Named by its charge, and its order as a charge.refunded names it: the PaymentIntent, or the charge made
// without one. Dated when the event was made, the same on every delivery.
// A failed refund of no charge (`charge: null`: one of a payment Stripe made without a charge) is 'no_charge': no
// charge.refunded ever recorded it, and no retry changes that.
export function stripeRefundFailure(refund: unknown, eventCreated: unknown, now: number): Parsed<StripeRefundFailure | 'no_charge' | null> {
  if (!isObject(refund)) return { ok: false, reason: 'refund is not an object' };
  if (refund.status !== 'failed' && refund.status !== 'canceled') return { ok: true, value: null };
  if (refund.charge === null) return { ok: true, value: 'no_charge' };
  const refundRef = str(refund.id, 64);
  const chargeRef = idOf(refund.charge);
  const currency = typeof refund.currency === 'string' ? refund.currency.toUpperCase() : null;
  if (!refundRef || !chargeRef || !currency || !/^[A-Z]{3}$/.test(currency)) return { ok: false, reason: 'refund id, charge or currency missing' };
  const amountMinor = stripeAmount(refund.amount);
  if (amountMinor === null) return { ok: false, reason: 'refund amount invalid or out of range' };
  const failedAt = stripeTime(eventCreated, now);
  if (failedAt === null) return { ok: false, reason: 'event created missing or out of range' };
  return { ok: true, value: { refundRef, chargeRef, paymentRef: idOf(refund.payment_intent) ?? chargeRef, currency, amountMinor, failedAt } };
}

/** `amountMinor`: what was disputed, in the charge's money (tax and shipping included). */
export type StripeDispute = { disputeId: string; orderId: string; currency: string; amountMinor: number; lost: boolean; occurredAt: number };

// charge.dispute.closed: a dispute the merchant lost took the payment back, as a refund of it would have. Its
// order is named as a charge.refunded names it: the PaymentIntent, or the charge made without one. Dated when
// the event was made (the loss), the same on every delivery.
export function stripeDispute(dispute: unknown, eventCreated: unknown, now: number): Parsed<StripeDispute> {
  if (!isObject(dispute)) return { ok: false, reason: 'dispute is not an object' };
  const disputeId = str(dispute.id, 64);
  const orderId = idOf(dispute.payment_intent) ?? idOf(dispute.charge);
  const currency = typeof dispute.currency === 'string' ? dispute.currency.toUpperCase() : null;
  if (!disputeId || !orderId || !currency || !/^[A-Z]{3}$/.test(currency)) return { ok: false, reason: 'dispute id, charge or currency missing' };
  const occurredAt = stripeTime(eventCreated, now);
  if (occurredAt === null) return { ok: false, reason: 'event created missing or out of range' };
  const amountMinor = stripeAmount(dispute.amount);
  if (amountMinor === null) return { ok: false, reason: 'dispute amount invalid or out of range' };
  return { ok: true, value: { disputeId, orderId, currency, amountMinor, lost: dispute.status === 'lost', occurredAt } };
}

// A Stripe charge is the whole payment, tax and shipping included, while its order was priced on the
// subtotal: a refund takes back the same share of the priced amount as it is of the charge, rounded down
// (BigInt: both factors reach 1e11). Face value when the order is not recorded yet (a pending refund is
// capped at its order's amount when applied) or was priced on no less than the charge.
export function pricedShare(refundedMinor: number, chargeMinor: number, pricedMinor: number | null): number {
  if (pricedMinor === null || pricedMinor >= chargeMinor) return refundedMinor;
  return Number((BigInt(refundedMinor) * BigInt(pricedMinor)) / BigInt(chargeMinor));
}

// A charge's refunds are recorded as a chain of slices of its running total,
// in priced money: each starts where the Stripe refunds recorded for its order end (`recordedMinor`) and is
// keyed by the charge, its order and that start (`<charge>@<order>@after-<start>`), so deliveries racing
// from the same start collide on the refund id and the loser reads the chain again (routes/webhooks.ts),
// and the one charge read as two orders (with its payment intent, and without) keeps two chains that never
// share an id. (Slices recorded before the order was in the key, `<charge>@after-<start>`, still count:
// a chain is summed by order, not by id.) The slices never overlap and, in any order, sum to the share of
// the highest running total seen; a replay finds nothing past the end: null.
export function chargeRefundSlice(charge: StripeCharge, pricedMinor: number | null, recordedMinor: number, now: number): RefundInput | null {
  const reached = pricedShare(charge.refundedMinor, charge.amountMinor, pricedMinor);
  if (reached <= recordedMinor) return null;
  return { refundId: `${charge.chargeId}@${charge.orderId}@after-${recordedMinor}`, orderId: charge.orderId, amountMinor: reached - recordedMinor, currency: charge.currency, occurredAt: now };
}
