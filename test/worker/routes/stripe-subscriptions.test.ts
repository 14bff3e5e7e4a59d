// Stripe subscriptions: a referred customer's later payments earn their creator for the campaign's renewal
// months, exactly once each, and nobody else's; refunds of them find them in either API version's shape.
import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import signatures from '../../fixtures/signatures.json';
import stripeChargeRaw from '../../fixtures/stripe-charge-refunded.json?raw';
import stripeSessionRaw from '../../fixtures/stripe-checkout-session-completed.json?raw';
import invoicePaidRaw from '../../fixtures/stripe-invoice-paid.json?raw';
import invoicePaidOldRaw from '../../fixtures/stripe-invoice-paid-2020-08-27.json?raw';
import invoicePaymentRaw from '../../fixtures/stripe-invoice-payment-paid.json?raw';
import { signTimestamped } from '../../../worker/lib/signatures';
import { BASE, createMoneyBrand, json, rowCount } from '../fixtures';

let n = 0;
const uniq = () => `${Date.now()}${n++}`;
const DAY = 86_400_000;
const seconds = (ms: number) => Math.floor(ms / 1000);

async function subscriptionBrand(renewalMonths = 12) {
  const m = await createMoneyBrand();
  const account = `subs-${uniq()}`;
  expect((await m.brand.api('POST', '/api/admin/integrations', { provider: 'stripe', externalAccount: account, secret: signatures.stripeSecret })).status).toBe(201);
  if (renewalMonths > 0) expect((await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { renewalMonths })).status).toBe(200);
  return { ...m, account, customer: `cus_${uniq()}` };
}

const request = async (account: string, event: unknown) => {
  const raw = JSON.stringify(event);
  return new Request(`${BASE}/v1/webhooks/stripe/${account}`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': await signTimestamped(signatures.stripeSecret, raw, Date.now()) }, body: raw });
};
const stripe = async (account: string, event: unknown) => SELF.fetch(await request(account, event));

type Receipt = { received: true; data?: Order | null; ignored?: string };
type Order = { orderId: string; amountMinor: number; attribution: string; creator: { handle: string } | null; commission: { amountMinor: number; rateBps: number } | null; renewalOf: string | null };
const receipt = async (res: Response) => {
  expect(res.status).toBe(200);
  return json<Receipt>(res);
};

// A subscription's Checkout Session: no PaymentIntent, its first invoice named, the creator's code in the metadata.
function checkout(m: { code: string; customer: string }, at = Date.now()) {
  const event = JSON.parse(stripeSessionRaw);
  const invoice = `in_first_${uniq()}`;
  Object.assign(event.data.object, { mode: 'subscription', payment_intent: null, invoice, subscription: `sub_${uniq()}`, customer: m.customer, metadata: { chorus_code: m.code }, created: seconds(at) });
  return { event, invoice };
}

// invoice.paid in the current shape (parent.subscription_details), for this customer, paid at `at`.
function invoicePaid(customer: string, patch: { at?: number; id?: string; metadata?: Record<string, string>; totalExcludingTax?: number } = {}) {
  const event = JSON.parse(invoicePaidRaw);
  const invoice = event.data.object;
  const at = seconds(patch.at ?? Date.now());
  Object.assign(invoice, { id: patch.id ?? `in_${uniq()}`, customer, created: at - 3600, status_transitions: { ...invoice.status_transitions, paid_at: at } });
  invoice.parent.subscription_details.metadata = patch.metadata ?? {};
  if (patch.totalExcludingTax !== undefined) invoice.total_excluding_tax = patch.totalExcludingTax;
  return { event, invoiceId: invoice.id as string };
}

const orders = (brandId: string) => rowCount('SELECT count(*) AS n FROM conversions WHERE brand_id = ?', brandId);
const ledger = (brandId: string) => rowCount('SELECT count(*) AS n FROM ledger_entries WHERE brand_id = ?', brandId);

describe('Stripe subscription payments (invoice.paid)', () => {
  it("credits a referred customer's renewal to their creator at the tier's rate, once, and the first invoice not at all", async () => {
    const m = await subscriptionBrand();
    const hook = await m.brand.api('POST', '/api/admin/webhooks/endpoints', { url: 'http://127.0.0.1:9/hooks', events: ['conversion.created'] });
    expect(hook.status).toBe(201);
    const first = checkout(m);
    const recorded = await receipt(await stripe(m.account, first.event));
    expect(recorded.data).toMatchObject({ orderId: first.invoice, attribution: 'code', renewalOf: null });
    // The first invoice's invoice.paid is the same payment: answered with the order Checkout recorded.
    const firstInvoice = invoicePaid(m.customer, { id: first.invoice, metadata: { chorus_code: m.code } });
    expect((await receipt(await stripe(m.account, firstInvoice.event))).data).toEqual(recorded.data);
    expect(await orders(m.brand.brandId)).toBe(1);

    const renewal = invoicePaid(m.customer);
    const res = await receipt(await stripe(m.account, renewal.event));
    expect(res.data).toMatchObject({ orderId: renewal.invoiceId, amountMinor: 3800, attribution: 'code', creator: { handle: m.handle }, commission: { amountMinor: 380, rateBps: 1000 }, renewalOf: first.invoice });
    // Redelivered, and delivered ten times at once: still one order, one commission, and one use of the code.
    const again = await Promise.all(Array.from({ length: 10 }, async () => SELF.fetch(await request(m.account, renewal.event))));
    for (const r of again) expect((await receipt(r)).data).toEqual(res.data);
    expect(await orders(m.brand.brandId)).toBe(2);
    expect(await ledger(m.brand.brandId)).toBe(2);
    expect(await rowCount('SELECT redemptions AS n FROM discount_codes WHERE brand_id = ?', m.brand.brandId)).toBe(1);
    // So do the orders list and the brand's own webhook.
    const event = await env.DB.prepare("SELECT payload FROM webhook_events WHERE brand_id = ? AND type = 'conversion.created' AND json_extract(payload, '$.conversion.orderId') = ?")
      .bind(m.brand.brandId, renewal.invoiceId)
      .first<string>('payload');
    expect(JSON.parse(event!).conversion).toMatchObject({ orderId: renewal.invoiceId, renewalOf: first.invoice, attribution: 'code', commission: { amountMinor: 380 } });
    const listed = await json<{ data: { orderId: string; renewalOf: string | null }[] }>(await m.brand.api('GET', `/api/admin/conversions?orderId=${renewal.invoiceId}`));
    expect(listed.data).toEqual([expect.objectContaining({ orderId: renewal.invoiceId, renewalOf: first.invoice })]);
    await env.DB.prepare('UPDATE webhook_endpoints SET enabled = 0 WHERE brand_id = ?').bind(m.brand.brandId).run();
  });

  it("adds a renewal to its creator's revenue in the network view, not to their sales", async () => {
    const m = await subscriptionBrand();
    const first = await receipt(await stripe(m.account, checkout(m).event));
    await stripe(m.account, invoicePaid(m.customer).event);
    type Network = { data: { summary: { conversions: number; revenueMinor: number }; daily: { conversions: number }[]; ranking: { conversions: number; revenueMinor: number }[] } };
    const network = (await json<Network>(await m.brand.api('GET', `/api/admin/campaigns/${m.campaign.id}/network`))).data;
    expect(network.ranking[0]).toMatchObject({ conversions: 1, revenueMinor: first.data!.amountMinor + 3800 });
    expect(network.summary).toMatchObject({ conversions: 1, revenueMinor: first.data!.amountMinor + 3800 });
    expect(network.daily.reduce((sum, d) => sum + d.conversions, 0)).toBe(1);
  });

  it('stops at the end of the renewal months, counted from the first order', async () => {
    const m = await subscriptionBrand(1);
    const firstAt = Date.now() - 40 * DAY;
    await stripe(m.account, checkout(m, firstAt).event);
    const inside = await receipt(await stripe(m.account, invoicePaid(m.customer, { at: firstAt + 20 * DAY }).event));
    expect(inside.data?.commission?.amountMinor).toBe(380);
    const after = invoicePaid(m.customer);
    expect(await receipt(await stripe(m.account, after.event))).toEqual({ received: true, ignored: 'renewals_ended' });
    expect(await orders(m.brand.brandId)).toBe(2);
  });

  it('credits nothing after the first order when the campaign keeps the default of no renewals', async () => {
    const m = await subscriptionBrand(0);
    await stripe(m.account, checkout(m).event);
    expect(await receipt(await stripe(m.account, invoicePaid(m.customer).event))).toEqual({ received: true, ignored: 'renewals_ended' });
    expect(await orders(m.brand.brandId)).toBe(1);
  });

  it('stops when the campaign ends or the creator is removed, as their code and link stop', async () => {
    const ended = await subscriptionBrand();
    await stripe(ended.account, checkout(ended, Date.now() - DAY).event);
    expect((await ended.brand.api('PATCH', `/api/admin/campaigns/${ended.campaign.id}`, { status: 'ended' })).status).toBe(200);
    // Paid a few seconds after the end (Stripe dates in whole seconds).
    expect((await receipt(await stripe(ended.account, invoicePaid(ended.customer, { at: Date.now() + 5000 }).event))).ignored).toBe('renewals_ended');

    const removed = await subscriptionBrand();
    await stripe(removed.account, checkout(removed, Date.now() - DAY).event);
    expect((await removed.brand.api('PATCH', `/api/admin/enrollments/${removed.enrollment.id}`, { status: 'removed' })).status).toBe(200);
    expect((await receipt(await stripe(removed.account, invoicePaid(removed.customer, { at: Date.now() + 5000 }).event))).ignored).toBe('renewals_ended');
    // A payment made before the removal, reported late, still earns.
    expect((await receipt(await stripe(removed.account, invoicePaid(removed.customer, { at: Date.now() - DAY / 2 }).event))).data?.renewalOf).not.toBeNull();
  });

  it("records nothing for a customer no creator brought, nor for another brand's customer", async () => {
    const m = await subscriptionBrand();
    expect(await receipt(await stripe(m.account, invoicePaid(m.customer).event))).toEqual({ received: true, ignored: 'not_referred' });
    const other = await subscriptionBrand();
    await stripe(other.account, checkout({ code: other.code, customer: m.customer }).event);
    expect((await receipt(await stripe(m.account, invoicePaid(m.customer).event))).ignored).toBe('not_referred');
    expect(await orders(m.brand.brandId)).toBe(0);
  });

  it("credits a subscription started without Checkout on its metadata's code, and its renewals after it", async () => {
    const m = await subscriptionBrand();
    const first = invoicePaid(m.customer, { metadata: { chorus_code: m.code } });
    expect((await receipt(await stripe(m.account, first.event))).data).toMatchObject({ attribution: 'code', renewalOf: null });
    const next = invoicePaid(m.customer, { metadata: { chorus_code: m.code } });
    expect((await receipt(await stripe(m.account, next.event))).data).toMatchObject({ attribution: 'code', renewalOf: first.invoiceId });
    expect(await rowCount('SELECT redemptions AS n FROM discount_codes WHERE brand_id = ?', m.brand.brandId)).toBe(1);
  });

  it('acknowledges invoices of no subscription, and records nothing for one with nothing to price', async () => {
    const m = await subscriptionBrand();
    await stripe(m.account, checkout(m).event);
    const oneOff = invoicePaid(m.customer);
    delete oneOff.event.data.object.parent;
    expect(await receipt(await stripe(m.account, oneOff.event))).toEqual({ received: true, ignored: 'not_subscription' });
    expect(await receipt(await stripe(m.account, invoicePaid(m.customer, { totalExcludingTax: 0 }).event))).toEqual({ received: true, data: null });
    expect(await receipt(await stripe(m.account, invoicePaid(m.customer, { totalExcludingTax: -1200 }).event))).toEqual({ received: true, data: null });
    expect(await orders(m.brand.brandId)).toBe(1);
  });

  it.each([
    ['no customer', (i: Record<string, unknown>) => delete i.customer],
    ['no invoice id', (i: Record<string, unknown>) => delete i.id],
    ['a fractional total', (i: Record<string, unknown>) => (i.total_excluding_tax = 38.5)],
    ['a total past the cap', (i: Record<string, unknown>) => (i.total_excluding_tax = 100_000_000_001)],
    ['a paid time in 1999', (i: Record<string, unknown>) => (i.status_transitions = { paid_at: seconds(Date.UTC(1999, 0, 1)) })],
    ['a currency that is not one', (i: Record<string, unknown>) => (i.currency = 'dollars')],
    ['an invoice that is a string', (_: Record<string, unknown>, e: { data: { object: unknown } }) => (e.data.object = 'in_1')],
  ])('refuses an invoice with %s: 422, nothing written', async (_, spoil) => {
    const m = await subscriptionBrand();
    await stripe(m.account, checkout(m).event);
    const { event } = invoicePaid(m.customer);
    spoil(event.data.object, event);
    const res = await stripe(m.account, event);
    expect(res.status).toBe(422);
    expect((await json<{ error: { code: string } }>(res)).error.code).toBe('unsupported_payload');
    expect(await orders(m.brand.brandId)).toBe(1);
  });

  it('refuses a forged or stale signature before reading the invoice', async () => {
    const m = await subscriptionBrand();
    const raw = JSON.stringify(invoicePaid(m.customer).event);
    for (const header of [await signTimestamped('whsec_not_the_secret_000000000000', raw, Date.now()), await signTimestamped(signatures.stripeSecret, raw, Date.now() - 600_000)]) {
      const res = await SELF.fetch(`${BASE}/v1/webhooks/stripe/${m.account}`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': header }, body: raw });
      expect(res.status).toBe(401);
    }
  });
});

describe('Refunds of subscription payments', () => {
  const chargeRefunded = (paymentIntent: string, amount: number, refunded: number) => {
    const event = JSON.parse(stripeChargeRaw);
    Object.assign(event.data.object, { id: `ch_${uniq()}`, payment_intent: paymentIntent, amount, amount_refunded: refunded });
    return event;
  };

  it('finds the renewal through invoice_payment.paid (API versions from 2025-03-31) and takes back its commission', async () => {
    const m = await subscriptionBrand();
    await stripe(m.account, checkout(m).event);
    const renewal = invoicePaid(m.customer);
    await stripe(m.account, renewal.event);
    const pairing = JSON.parse(invoicePaymentRaw);
    const paymentIntent = `pi_${uniq()}`;
    Object.assign(pairing.data.object, { invoice: renewal.invoiceId, payment: { type: 'payment_intent', payment_intent: paymentIntent } });
    expect(await receipt(await stripe(m.account, pairing))).toEqual({ received: true, data: null });
    expect(await receipt(await stripe(m.account, pairing))).toEqual({ received: true, data: null });
    // Half the charge (tax included) back: half of the priced 3,800, and half its commission.
    const res = await receipt(await stripe(m.account, chargeRefunded(paymentIntent, 4104, 2052)));
    expect(res.data).toEqual([expect.objectContaining({ orderId: renewal.invoiceId, amountMinor: 1900, status: 'applied', reversal: { amountMinor: -190 } })]);
    await stripe(m.account, chargeRefunded(paymentIntent, 4104, 4104));
    expect(await rowCount("SELECT SUM(l.amount_minor) AS n FROM ledger_entries l JOIN conversions c ON c.id = l.conversion_id WHERE c.external_order_id = ?", renewal.invoiceId)).toBe(0);
  });

  it('finds it through the PaymentIntent the invoice names in older API versions', async () => {
    const m = await subscriptionBrand();
    await stripe(m.account, checkout(m).event);
    const event = JSON.parse(invoicePaidOldRaw);
    const paymentIntent = `pi_${uniq()}`;
    Object.assign(event.data.object, { id: `in_${uniq()}`, customer: m.customer, payment_intent: paymentIntent, status_transitions: { paid_at: seconds(Date.now()) } });
    // Priced on the subtotal less its discounts, the payload having no total_excluding_tax.
    expect((await receipt(await stripe(m.account, event))).data).toMatchObject({ amountMinor: 3000, commission: { amountMinor: 300 } });
    const res = await receipt(await stripe(m.account, chargeRefunded(paymentIntent, 3240, 3240)));
    expect(res.data).toEqual([expect.objectContaining({ orderId: event.data.object.id, amountMinor: 3000, reversal: { amountMinor: -300 } })]);
  });

  it("never follows another brand's pairing", async () => {
    const a = await subscriptionBrand();
    const b = await subscriptionBrand();
    await stripe(a.account, checkout(a).event);
    const renewal = invoicePaid(a.customer);
    await stripe(a.account, renewal.event);
    const paymentIntent = `pi_${uniq()}`;
    const pairing = JSON.parse(invoicePaymentRaw);
    Object.assign(pairing.data.object, { invoice: renewal.invoiceId, payment: { type: 'payment_intent', payment_intent: paymentIntent } });
    await stripe(a.account, pairing);
    // Brand b's refund of the same PaymentIntent waits under it, for an order of b's own.
    expect((await receipt(await stripe(b.account, chargeRefunded(paymentIntent, 4104, 4104)))).data).toEqual([expect.objectContaining({ orderId: paymentIntent, status: 'pending' })]);
    expect(await rowCount('SELECT count(*) AS n FROM refunds WHERE brand_id = ?', a.brand.brandId)).toBe(0);
  });

  it('refuses an invoice_payment.paid with no invoice, and keeps nothing for one paid out of band', async () => {
    const m = await subscriptionBrand();
    const pairing = JSON.parse(invoicePaymentRaw);
    delete pairing.data.object.invoice;
    expect((await stripe(m.account, pairing)).status).toBe(422);
    expect(await rowCount('SELECT count(*) AS n FROM stripe_invoice_payments WHERE brand_id = ?', m.brand.brandId)).toBe(0);
    // Paid out of band: no PaymentIntent to pair, nothing kept.
    const outOfBand = JSON.parse(invoicePaymentRaw);
    outOfBand.data.object.payment = { type: 'out_of_band_payment' };
    expect(await receipt(await stripe(m.account, outOfBand))).toEqual({ received: true, data: null });
    expect(await rowCount('SELECT count(*) AS n FROM stripe_invoice_payments WHERE brand_id = ?', m.brand.brandId)).toBe(0);
  });
});
