import { describe, expect, it } from 'vitest';
import { withinEarnMonths } from '../../../worker/domain/attribution';
import { chargeRefundSlice, decimalToMinor, pricedShare, shopifyCancellation, shopifyOrder, shopifyOrderCodes, shopifyRefund, stripeCharge, stripeCheckoutSession, stripeInvoice, stripeInvoicePayment, stripeSessionSubscription } from '../../../worker/domain/store-payloads';

const NOW = Date.parse('2026-11-22T12:00:00Z');

describe('decimalToMinor', () => {
  it.each([
    ['84.15', 'USD', 8415],
    ['84.1', 'USD', 8410],
    ['84', 'USD', 8400],
    ['0.10', 'EUR', 10],
    ['1500', 'JPY', 1500],
    ['1.234', 'KWD', 1234],
    ['19.990000', 'USD', 1999],
  ])('%s %s → %i', (amount, currency, minor) => {
    expect(decimalToMinor(amount, currency)).toBe(minor);
  });

  it.each([['84.155', 'USD'], ['-1.00', 'USD'], ['1e3', 'USD'], ['', 'USD'], ['12.5', 'JPY'], [null, 'USD'], [' 1,000.00', 'USD']])('rejects %s %s', (amount, currency) => {
    expect(decimalToMinor(amount, currency)).toBeNull();
  });
});

describe('store payloads', () => {
  it('takes the click id from a note attribute before the landing site', () => {
    const order = { id: 1, currency: 'usd', subtotal_price: '10.00', created_at: '2026-11-20T10:00:00Z', landing_site: '/?cid=fromLandingSite00001', note_attributes: [{ name: 'chorus_cid', value: 'fromNoteAttribute0001' }] };
    const parsed = shopifyOrder(order, 'cid', NOW);
    expect(parsed.ok && parsed.value?.clickId).toBe('fromNoteAttribute0001');
    const withoutNote = shopifyOrder({ ...order, note_attributes: [] }, 'cid', NOW);
    expect(withoutNote.ok && withoutNote.value?.clickId).toBe('fromLandingSite00001');
    expect(shopifyOrder({ ...order, subtotal_price: 'free' }, 'cid', NOW).ok).toBe(false);
    // /sdk.js keeps the click in the cart as chorus_cid whatever the brand calls its parameter.
    const renamed = shopifyOrder({ ...order, landing_site: '/' }, 'ref', NOW);
    expect(renamed.ok && renamed.value?.clickId).toBe('fromNoteAttribute0001');
  });

  it("reads the customer's email for the self-purchase check, and takes an unreadable one as none", () => {
    const order = { id: 1, currency: 'usd', subtotal_price: '10.00', created_at: '2026-11-20T10:00:00Z' };
    const email = (patch: object) => {
      const parsed = shopifyOrder({ ...order, ...patch }, 'cid', NOW);
      return parsed.ok ? parsed.value?.customerEmail : 'refused';
    };
    expect(email({ email: 'ana@example.com', customer: { email: 'old@example.com' }, contact_email: 'contact@example.com' })).toBe('ana@example.com');
    expect(email({ email: null, customer: { id: 7, email: 'old@example.com' }, contact_email: 'contact@example.com' })).toBe('old@example.com');
    expect(email({ email: '', customer: null, contact_email: ' contact@example.com ' })).toBe('contact@example.com');
    // Not an address, or past 254 characters: no evidence, and the order is still recorded.
    expect(email({ email: 'not an email', contact_email: `${'x'.repeat(250)}@example.com` })).toBeNull();
    expect(email({})).toBeNull();

    const session = { id: 'cs_1', mode: 'payment', payment_intent: 'pi_1', currency: 'usd', amount_subtotal: 1000, created: NOW / 1000, payment_status: 'paid' };
    const sessionEmail = (patch: object) => {
      const parsed = stripeCheckoutSession({ ...session, ...patch }, NOW);
      return parsed.ok ? parsed.value?.customerEmail : 'refused';
    };
    expect(sessionEmail({ customer_details: { email: 'ana@example.com' }, customer_email: 'prefilled@example.com' })).toBe('ana@example.com');
    expect(sessionEmail({ customer_details: { email: null }, customer_email: 'prefilled@example.com' })).toBe('prefilled@example.com');
    expect(sessionEmail({})).toBeNull();
  });

  it('reads every code on an order, and takes an order that cost nothing as nothing to record', () => {
    const order = { id: 1, currency: 'usd', subtotal_price: '10.00', created_at: '2026-11-20T10:00:00Z', discount_codes: [{ code: 'FREESHIP' }, { code: 'bad\u0000' }, { code: 'SARAH15' }] };
    expect(shopifyOrderCodes(order)).toEqual(['FREESHIP', 'SARAH15']);
    expect(shopifyOrderCodes({ ...order, discount_codes: 'SARAH15' })).toEqual([]);
    const first = shopifyOrder(order, 'cid', NOW);
    expect(first.ok && first.value?.code).toBe('FREESHIP');
    const named = shopifyOrder(order, 'cid', NOW, 'SARAH15');
    expect(named.ok && named.value?.code).toBe('SARAH15');
    expect(shopifyOrder({ ...order, subtotal_price: '0.00' }, 'cid', NOW)).toEqual({ ok: true, value: null });
    expect(shopifyCancellation({ ...order, subtotal_price: '0.00', cancelled_at: '2026-11-21T10:00:00Z' }, NOW)).toEqual({ ok: true, value: null });
    expect(shopifyOrder({ ...order, subtotal_price: '-1.00' }, 'cid', NOW).ok).toBe(false);
  });

  // Found by the hostile review: ids and codes with control characters were stored from webhooks and
  // reached the console and CSVs. (A shop's own characters, such as "#1001 Größe", are kept.)
  it('drops ids and text with control characters, and bounds Stripe charge ids', () => {
    const order = { id: 1, currency: 'usd', subtotal_price: '10.00', created_at: '2026-11-20T10:00:00Z' };
    for (const id of ['a\u0000b', 'a\nb', 'x'.repeat(129), '\ud800x']) expect(shopifyOrder({ ...order, id }, 'cid', NOW).ok).toBe(false);
    for (const id of ['x'.repeat(128), '#1001 Größe']) expect(shopifyOrder({ ...order, id }, 'cid', NOW).ok).toBe(true);
    const coded = shopifyOrder({ ...order, discount_codes: [{ code: 'SARAH15\u0000' }] }, 'cid', NOW);
    expect(coded.ok && coded.value?.code).toBeNull();
    expect(stripeCharge({ id: `ch_${'x'.repeat(62)}`, currency: 'usd', amount: 100, amount_refunded: 0 }).ok).toBe(false);
    expect(stripeCharge({ id: 'ch_\u0001abc', currency: 'usd', amount: 100, amount_refunded: 0 }).ok).toBe(false);
    const charge = stripeCharge({ id: `ch_${'x'.repeat(61)}`, payment_intent: `pi_${'y'.repeat(61)}`, currency: 'usd', amount: 100, amount_refunded: 50 });
    expect(charge.ok).toBe(true);
    if (charge.ok) expect(chargeRefundSlice(charge.value, null, 0, NOW)!.refundId.length).toBeLessThanOrEqual(150);
  });

  it("holds Shopify orders to the API's amount cap and time range", () => {
    const order = { id: 1, currency: 'usd', subtotal_price: '10.00', created_at: '2026-11-20T10:00:00Z' };
    const ok = (patch: object) => shopifyOrder({ ...order, ...patch }, 'cid', NOW).ok;
    expect(ok({ subtotal_price: '1000000000.00' })).toBe(true);
    expect(ok({ subtotal_price: '1000000000.01' })).toBe(false);
    expect(ok({ subtotal_price: '999999999999.99' })).toBe(false);
    expect(ok({ created_at: new Date(NOW + 23 * 3_600_000).toISOString() })).toBe(true);
    expect(ok({ created_at: new Date(NOW + 25 * 3_600_000).toISOString() })).toBe(false);
    expect(ok({ created_at: '+275760-09-13T00:00:00.000Z' })).toBe(false);
    expect(ok({ created_at: '-000001-01-01T00:00:00Z' })).toBe(false);
    expect(ok({ created_at: '1999-12-31T23:59:59Z' })).toBe(false); // a period key needs a four-digit year; 2000 is the floor
    expect(ok({ created_at: '2000-01-01T00:00:00Z' })).toBe(true);
  });

  it('reads a Shopify cancellation as a refund of the whole order, and refuses what it cannot read', () => {
    const order = { id: 1, currency: 'USD', subtotal_price: '84.15', current_subtotal_price: '0.00', cancelled_at: '2026-11-22T14:15:00Z' };
    expect(shopifyCancellation(order, NOW)).toEqual({ ok: true, value: { refundId: 'cancel:1', orderId: '1', amountMinor: 8415, currency: 'USD', occurredAt: Date.parse('2026-11-22T14:15:00Z') } });
    expect(shopifyCancellation({ ...order, cancelled_at: null }, NOW)).toEqual({ ok: true, value: null });
    for (const bad of [null, [], { ...order, id: undefined }, { ...order, currency: 'dollars' }, { ...order, subtotal_price: '-1' }, { ...order, cancelled_at: 'yesterday' }, { ...order, cancelled_at: '1999-01-01T00:00:00Z' }, { ...order, cancelled_at: 42 }]) {
      expect(shopifyCancellation(bad, NOW).ok, JSON.stringify(bad)).toBe(false);
    }
  });

  it('takes a Shopify refund on its line items\' subtotal, not the money refunded with tax and shipping', () => {
    const refund = {
      id: 9, order_id: 1, created_at: '2026-11-22T09:15:00-05:00',
      refund_line_items: [{ quantity: 1, subtotal: 34.0, total_tax: 2.72 }, { quantity: 2, subtotal: 20.5, subtotal_set: { shop_money: { amount: '20.50', currency_code: 'USD' } } }],
      transactions: [{ kind: 'refund', status: 'success', amount: '64.86', currency: 'USD' }],
    };
    expect(shopifyRefund(refund, 'USD', NOW)).toEqual({ ok: true, value: { refundId: '9', orderId: '1', amountMinor: 5450, currency: 'USD', occurredAt: Date.parse('2026-11-22T14:15:00Z') } });
    // Shipping only, or no money paid back: no commission changes.
    expect(shopifyRefund({ ...refund, refund_line_items: [] }, 'USD', NOW)).toEqual({ ok: true, value: null });
    expect(shopifyRefund({ ...refund, transactions: [{ kind: 'refund', status: 'failure', amount: '64.86', currency: 'USD' }] }, 'USD', NOW)).toEqual({ ok: true, value: null });
    expect(shopifyRefund({ ...refund, transactions: [{ kind: 'refund', status: 'pending', amount: '64.86', currency: 'USD' }] }, 'USD', NOW)).toMatchObject({ ok: true, value: { amountMinor: 5450 } });
    // Less went back than the lines came to (a positive discrepancy): the basis shrinks, never below zero.
    const adjusted = (amount: string) => shopifyRefund({ ...refund, order_adjustments: [{ kind: 'refund_discrepancy', amount }, { kind: 'shipping_refund', amount: '-5.00' }] }, 'USD', NOW);
    expect(adjusted('10.00')).toMatchObject({ ok: true, value: { amountMinor: 4450 } });
    expect(adjusted('-10.00')).toMatchObject({ ok: true, value: { amountMinor: 6450 } });
    expect(adjusted('99.00')).toEqual({ ok: true, value: null });
    expect(adjusted('ten').ok).toBe(false);
    expect(shopifyRefund({ ...refund, refund_line_items: [{ subtotal: 'lots' }] }, 'USD', NOW).ok).toBe(false);
    expect(shopifyRefund({ ...refund, refund_line_items: [{ subtotal: '600000000' }, { subtotal: '600000000' }] }, 'USD', NOW).ok).toBe(false);
    expect(shopifyRefund({ ...refund, created_at: '+275760-09-13T00:00:00.000Z' }, 'USD', NOW).ok).toBe(false);
  });

  it('prices a Stripe session on its subtotal after discounts, and records nothing a session did not charge', () => {
    const session = { id: 'cs_1', payment_intent: 'pi_1', currency: 'usd', created: NOW / 1000, payment_status: 'paid', amount_subtotal: 9900, amount_total: 9588, total_details: { amount_discount: 1485, amount_shipping: 500, amount_tax: 673 } };
    const parsed = stripeCheckoutSession(session, NOW);
    expect(parsed.ok && parsed.value?.amountMinor).toBe(8415);
    // A subscription checkout has no payment intent: its first invoice is the order, so that invoice's
    // invoice.paid finds it; without one, the session's own id (66 characters in live mode).
    const subscription = stripeCheckoutSession({ ...session, mode: 'subscription', payment_intent: null, invoice: 'in_1first' }, NOW);
    expect(subscription.ok && subscription.value?.orderId).toBe('in_1first');
    const bare = stripeCheckoutSession({ ...session, id: `cs_live_${'a'.repeat(58)}`, payment_intent: null }, NOW);
    expect(bare.ok && bare.value?.orderId).toBe(`cs_live_${'a'.repeat(58)}`);
    const noDetails = stripeCheckoutSession({ ...session, total_details: null }, NOW);
    expect(noDetails.ok && noDetails.value?.amountMinor).toBe(9900);
    expect(stripeCheckoutSession({ ...session, payment_status: 'no_payment_required', amount_total: 0, total_details: { amount_discount: 9900 } }, NOW)).toEqual({ ok: true, value: null });
    expect(stripeCheckoutSession({ ...session, mode: 'subscription', payment_status: 'no_payment_required', amount_total: 0, total_details: null }, NOW)).toEqual({ ok: true, value: null });
    for (const hostile of [{ total_details: { amount_discount: 9901 } }, { total_details: { amount_discount: -1 } }, { amount_subtotal: 100_000_000_001 }, { amount_subtotal: 1.5 }, { amount_subtotal: undefined }, { created: 1e13 }, { created: NOW / 1000 + 25 * 3600 }]) {
      expect(stripeCheckoutSession({ ...session, ...hostile }, NOW).ok).toBe(false);
    }
  });

  it("takes a Stripe refund's share of the priced amount, rounded down, exactly for the largest amounts", () => {
    expect(pricedShare(3672, 9588, 8415)).toBe(3222);
    expect(pricedShare(9588, 9588, 8415)).toBe(8415);
    expect(pricedShare(3672, 9588, null)).toBe(3672);
    expect(pricedShare(3672, 9588, 9588)).toBe(3672);
    expect(pricedShare(99_999_999_999, 100_000_000_000, 99_999_999_999)).toBe(99_999_999_998);
  });

  it('slices a charge\'s running total from where the recorded slices end, keyed by that start', () => {
    const charge = stripeCharge({ id: 'ch_1', payment_intent: 'pi_1', currency: 'usd', amount: 9588, amount_refunded: 4000, created: 1 });
    if (!charge.ok) throw new Error(charge.reason);
    expect(chargeRefundSlice(charge.value, null, 1000, 5)).toEqual({ refundId: 'ch_1@pi_1@after-1000', orderId: 'pi_1', amountMinor: 3000, currency: 'USD', occurredAt: 5 });
    expect(chargeRefundSlice(charge.value, 8415, 1000, 5)).toMatchObject({ refundId: 'ch_1@pi_1@after-1000', amountMinor: 3510 - 1000 });
    expect(chargeRefundSlice(charge.value, 8415, 3510, 5)).toBeNull();
    expect(chargeRefundSlice(charge.value, null, 4000, 5)).toBeNull();
    // The same charge without its intent is an order of its own: its chain never shares an id with the intent's.
    const bare = stripeCharge({ id: 'ch_1', payment_intent: null, currency: 'usd', amount: 9588, amount_refunded: 4000, created: 1 });
    if (!bare.ok) throw new Error(bare.reason);
    expect(chargeRefundSlice(bare.value, null, 1000, 5)).toMatchObject({ refundId: 'ch_1@ch_1@after-1000', orderId: 'ch_1' });
  });

  it('reads a Stripe charge by its running total, listed refunds or not, and refuses one refunding more than it took', () => {
    const base = { id: 'ch_1', payment_intent: 'pi_1', currency: 'usd', amount: 9588, amount_refunded: 3672, created: 1 };
    const listed = stripeCharge({ ...base, refunds: { data: [{ id: 're_1', amount: 3672, created: NOW / 1000, status: 'succeeded' }] } });
    expect(listed).toEqual(stripeCharge(base));
    expect(stripeCharge({ ...base, amount_refunded: 9589 }).ok).toBe(false);
    expect(stripeCharge({ ...base, amount: 100_000_000_001, amount_refunded: 0 }).ok).toBe(false);
    expect(stripeCharge({ ...base, amount_refunded: undefined }).ok).toBe(false);
  });
});

describe('Stripe invoices', () => {
  const paidAt = NOW / 1000;
  const current = { id: 'in_1', customer: 'cus_1', customer_email: 'Dana@Example.com', currency: 'usd', created: paidAt - 60, status_transitions: { paid_at: paidAt }, total: 3694, amount_paid: 3694, total_excluding_tax: 3420, parent: { type: 'subscription_details', subscription_details: { subscription: 'sub_1', metadata: { chorus_code: 'SARAH15' } } } };
  const older = { id: 'in_2', customer: 'cus_1', currency: 'usd', created: paidAt, subscription: 'sub_1', subscription_details: { metadata: { chorus_cid: 'FIXTUREclickId00000001' } }, payment_intent: 'pi_2', total: 3240, amount_paid: 3240, total_excluding_tax: 3000 };

  it('reads both shapes: the subscription, its metadata, the PaymentIntent where named, priced after discounts before tax', () => {
    expect(stripeInvoice(current, NOW)).toEqual({
      ok: true,
      value: { kind: 'subscription', subscriptionId: 'sub_1', invoiceId: 'in_1', paymentIntent: null, input: { orderId: 'in_1', amountMinor: 3420, currency: 'USD', occurredAt: NOW, code: 'SARAH15', clickId: null, customerRef: 'cus_1', customerEmail: 'Dana@Example.com' } },
    });
    expect(stripeInvoice(older, NOW)).toEqual({
      ok: true,
      value: { kind: 'subscription', subscriptionId: 'sub_1', invoiceId: 'in_2', paymentIntent: 'pi_2', input: { orderId: 'in_2', amountMinor: 3000, currency: 'USD', occurredAt: NOW, code: null, clickId: 'FIXTUREclickId00000001', customerRef: 'cus_1', customerEmail: null } },
    });
    // Expanded objects are read by their id.
    const expanded = stripeInvoice({ ...older, customer: { id: 'cus_1' }, subscription: { id: 'sub_1' }, payment_intent: { id: 'pi_2' } }, NOW);
    expect(expanded.ok && expanded.value.kind === 'subscription' && [expanded.value.paymentIntent, expanded.value.input?.customerRef]).toEqual(['pi_2', 'cus_1']);
  });

  it("prices the share the customer paid, rounded down, exactly for the largest amounts", () => {
    const priced = (patch: object) => {
      const parsed = stripeInvoice({ ...current, ...patch }, NOW);
      return parsed.ok && parsed.value.kind === 'subscription' ? (parsed.value.input?.amountMinor ?? 0) : null;
    };
    expect(priced({ amount_paid: 1847 })).toBe(1710);
    expect(priced({ amount_paid: 1 })).toBe(0);
    expect(priced({ amount_paid: 0 })).toBe(0);
    expect(priced({ amount_paid: 5000 })).toBe(3420);
    expect(priced({ total_excluding_tax: 100_000_000_000, total: 100_000_000_000, amount_paid: 99_999_999_999 })).toBe(99_999_999_999);
    // A null total before tax: the total less its taxes, listed (current versions) or as one amount (older ones).
    expect(priced({ total_excluding_tax: null, total_taxes: [{ amount: 200 }, { amount: 74 }] })).toBe(3420);
    expect(priced({ total_excluding_tax: null, tax: 274 })).toBe(3420);
    expect(priced({ total_excluding_tax: null })).toBe(3694);
  });

  it('tells invoices of no subscription and invoices of nothing apart from unreadable ones', () => {
    const { parent: _parent, ...oneOff } = current;
    expect(stripeInvoice(oneOff, NOW)).toEqual({ ok: true, value: { kind: 'one_off' } });
    expect(stripeInvoice({ ...current, total_excluding_tax: 0 }, NOW)).toEqual({ ok: true, value: { kind: 'subscription', subscriptionId: 'sub_1', invoiceId: 'in_1', paymentIntent: null, input: null } });
    expect(stripeInvoice({ ...current, total_excluding_tax: -500, total: -500 }, NOW).ok).toBe(true);
    for (const hostile of [{ customer: null }, { id: 'x'.repeat(65) }, { currency: 'us' }, { total_excluding_tax: 1.5 }, { total_excluding_tax: 100_000_000_001 }, { total_excluding_tax: undefined }, { total: undefined }, { total_excluding_tax: null, total: null }, { amount_paid: -1 }, { status_transitions: { paid_at: 1e13 } }, { status_transitions: { paid_at: 'now' } }]) {
      expect(stripeInvoice({ ...current, ...hostile }, NOW).ok).toBe(false);
    }
    expect(stripeInvoice([current], NOW).ok).toBe(false);
  });

  it('pairs an invoice with the payment that paid it, by PaymentIntent or by charge, and with nothing when it was recorded another way', () => {
    expect(stripeInvoicePayment({ invoice: 'in_1', payment: { type: 'payment_intent', payment_intent: 'pi_1' } })).toEqual({ ok: true, value: { invoiceId: 'in_1', paymentRef: 'pi_1' } });
    expect(stripeInvoicePayment({ invoice: { id: 'in_1' }, payment: { type: 'charge', charge: { id: 'ch_1' } } })).toEqual({ ok: true, value: { invoiceId: 'in_1', paymentRef: 'ch_1' } });
    expect(stripeInvoicePayment({ invoice: 'in_1', payment: { type: 'payment_record', payment_record: 'pr_1' } })).toEqual({ ok: true, value: null });
    expect(stripeInvoicePayment({ payment: { payment_intent: 'pi_1' } }).ok).toBe(false);
  });

  it("reads a subscription Checkout Session's subscription and the evidence it started with", () => {
    const session = { mode: 'subscription', subscription: 'sub_1', created: NOW / 1000, metadata: { chorus_code: 'SARAH15' }, client_reference_id: 'FIXTUREclickId00000001' };
    expect(stripeSessionSubscription(session, NOW)).toEqual({ id: 'sub_1', evidence: { occurredAt: NOW, code: 'SARAH15', clickId: 'FIXTUREclickId00000001' } });
    expect(stripeSessionSubscription({ ...session, mode: 'payment' }, NOW)).toBeNull();
    expect(stripeSessionSubscription({ ...session, subscription: null }, NOW)).toBeNull();
    expect(stripeSessionSubscription({ ...session, created: 1e13 }, NOW)).toBeNull();
    // Its payment is recorded under its first invoice, or left to that invoice's invoice.paid when it names none.
    const paid = { ...session, id: 'cs_1', payment_intent: null, invoice: 'in_1', currency: 'usd', payment_status: 'paid', amount_subtotal: 3800, total_details: null };
    const recorded = stripeCheckoutSession(paid, NOW);
    expect(recorded.ok && recorded.value?.orderId).toBe('in_1');
    expect(stripeCheckoutSession({ ...paid, invoice: null }, NOW)).toEqual({ ok: true, value: null });
  });
});

describe('withinEarnMonths', () => {
  const at = (s: string) => Date.parse(s);
  it("counts calendar months from the subscription's start, to the same time of day, the thirteenth monthly payment outside twelve", () => {
    const first = at('2026-01-15T09:30:00Z');
    expect(withinEarnMonths(first, at('2026-12-15T09:30:00Z'), 12)).toBe(true);
    expect(withinEarnMonths(first, at('2027-01-15T09:29:59Z'), 12)).toBe(true);
    expect(withinEarnMonths(first, at('2027-01-15T09:30:00Z'), 12)).toBe(false);
    expect(withinEarnMonths(first, first, 0)).toBe(false);
    expect(withinEarnMonths(first, first - 1, 12)).toBe(false);
  });

  it("ends on a shorter month's last day", () => {
    expect(withinEarnMonths(at('2026-01-31T00:00:00Z'), at('2026-02-27T23:59:59Z'), 1)).toBe(true);
    expect(withinEarnMonths(at('2026-01-31T00:00:00Z'), at('2026-02-28T00:00:00Z'), 1)).toBe(false);
    expect(withinEarnMonths(at('2027-12-31T12:00:00Z'), at('2028-02-29T11:59:59Z'), 2)).toBe(true);
    expect(withinEarnMonths(at('2026-03-01T00:00:00Z'), at('2036-02-29T23:59:59Z'), 120)).toBe(true);
  });
});
