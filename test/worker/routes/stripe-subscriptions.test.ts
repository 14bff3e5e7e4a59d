// Stripe subscriptions: the creator whose code or link started a subscription earns on its payments for the
// campaign's renewal months, exactly once each, whichever event comes first; refunds of them find them in
// either API version's shape, before or after the events that tell which payment paid which invoice.
import { env, SELF } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import signatures from '../../fixtures/signatures.json';
import stripeChargeRaw from '../../fixtures/stripe-charge-refunded.json?raw';
import stripeSessionRaw from '../../fixtures/stripe-checkout-session-completed.json?raw';
import invoicePaidRaw from '../../fixtures/stripe-invoice-paid.json?raw';
import invoicePaidOldRaw from '../../fixtures/stripe-invoice-paid-2020-08-27.json?raw';
import invoicePaymentRaw from '../../fixtures/stripe-invoice-payment-paid.json?raw';
import { forgetPaymentPairings, PAYMENT_PAIRING_DAYS } from '../../../worker/jobs/retention';
import { signTimestamped } from '../../../worker/lib/signatures';
import { adminUser, get, signIn } from '../console-fixtures';
import { signedInCreator } from '../portal-fixtures';
import { recordSubscriptionPayment, type IngestBrand } from '../../../worker/db/conversions';
import { BASE, createMoneyBrand, heldBatches, json, rowCount, signedPost } from '../fixtures';

let n = 0;
const uniq = () => `${Date.now()}${n++}`;
const DAY = 86_400_000;
const seconds = (ms: number) => Math.floor(ms / 1000);

async function subscriptionBrand(renewalMonths = 12) {
  return withStripe(await createMoneyBrand(), renewalMonths);
}

async function withStripe<M extends Awaited<ReturnType<typeof createMoneyBrand>>>(m: M, renewalMonths: number) {
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
function checkout(m: { code: string; customer: string }, at = Date.now(), patch: Record<string, unknown> = {}) {
  const event = JSON.parse(stripeSessionRaw);
  const invoice = `in_first_${uniq()}`;
  const subscription = `sub_${uniq()}`;
  Object.assign(event.data.object, { mode: 'subscription', payment_intent: null, invoice, subscription, customer: m.customer, metadata: { chorus_code: m.code }, created: seconds(at) }, patch);
  return { event, invoice, subscription };
}

// invoice.paid in the current shape (parent.subscription_details), for this subscription, paid at `at`.
function invoicePaid(subscription: string, patch: { at?: number; id?: string; metadata?: Record<string, string>; totalExcludingTax?: number; customer?: string } = {}) {
  const event = JSON.parse(invoicePaidRaw);
  const invoice = event.data.object;
  const at = seconds(patch.at ?? Date.now());
  Object.assign(invoice, { id: patch.id ?? `in_${uniq()}`, created: at - 3600, status_transitions: { ...invoice.status_transitions, paid_at: at } });
  if (patch.customer) invoice.customer = patch.customer;
  invoice.parent.subscription_details = { subscription, metadata: patch.metadata ?? {} };
  if (patch.totalExcludingTax !== undefined) invoice.total_excluding_tax = patch.totalExcludingTax;
  return { event, invoiceId: invoice.id as string };
}

const orders = (brandId: string) => rowCount('SELECT count(*) AS n FROM conversions WHERE brand_id = ?', brandId);
const ledger = (brandId: string) => rowCount('SELECT count(*) AS n FROM ledger_entries WHERE brand_id = ?', brandId);

const pairing = (invoiceId: string, paymentIntent: string) => {
  const event = JSON.parse(invoicePaymentRaw);
  Object.assign(event.data.object, { invoice: invoiceId, payment: { type: 'payment_intent', payment_intent: paymentIntent } });
  return event;
};
const chargeRefunded = (paymentIntent: string, amount: number, refunded: number) => {
  const event = JSON.parse(stripeChargeRaw);
  Object.assign(event.data.object, { id: `ch_${uniq()}`, payment_intent: paymentIntent, amount, amount_refunded: refunded });
  return event;
};

describe('Stripe subscription payments (invoice.paid)', () => {
  it("credits a subscription's renewal to the creator who started it, at the tier's rate, once, and its first invoice once", async () => {
    const m = await subscriptionBrand();
    const hook = await m.brand.api('POST', '/api/admin/webhooks/endpoints', { url: 'http://127.0.0.1:9/hooks', events: ['conversion.created'] });
    expect(hook.status).toBe(201);
    const start = checkout(m);
    const recorded = await receipt(await stripe(m.account, start.event));
    expect(recorded.data).toMatchObject({ orderId: start.invoice, attribution: 'code', renewalOf: null });
    // The first invoice's invoice.paid is the same payment: answered with the order Checkout recorded.
    const firstInvoice = invoicePaid(start.subscription, { id: start.invoice, metadata: { chorus_code: m.code } });
    expect((await receipt(await stripe(m.account, firstInvoice.event))).data).toEqual(recorded.data);
    expect(await orders(m.brand.brandId)).toBe(1);

    const renewal = invoicePaid(start.subscription);
    const res = await receipt(await stripe(m.account, renewal.event));
    expect(res.data).toMatchObject({ orderId: renewal.invoiceId, amountMinor: 3800, attribution: 'code', creator: { handle: m.handle }, commission: { amountMinor: 380, rateBps: 1000 }, renewalOf: start.invoice });
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
    expect(JSON.parse(event!).conversion).toMatchObject({ orderId: renewal.invoiceId, renewalOf: start.invoice, attribution: 'code', commission: { amountMinor: 380 } });
    const listed = await json<{ data: { orderId: string; renewalOf: string | null }[] }>(await m.brand.api('GET', `/api/admin/conversions?orderId=${renewal.invoiceId}`));
    expect(listed.data).toEqual([expect.objectContaining({ orderId: renewal.invoiceId, renewalOf: start.invoice })]);
    await env.DB.prepare('UPDATE webhook_endpoints SET enabled = 0 WHERE brand_id = ?').bind(m.brand.brandId).run();
  });

  it("takes a subscription's credited first payment as its customer's first order: their one-off orders are returning ones, its renewals stay renewals", async () => {
    const m = await subscriptionBrand();
    expect((await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { returningCustomerMonths: 12 })).status).toBe(200);
    const start = checkout(m, Date.now() - DAY);
    expect((await receipt(await stripe(m.account, start.event))).data).toMatchObject({ orderId: start.invoice, attribution: 'code' });
    const oneOff = await signedPost(m.brand, m.ingestKey, '/v1/conversions', { orderId: `one-off-${uniq()}`, amountMinor: 10_000, currency: 'USD', occurredAt: new Date().toISOString(), customerRef: m.customer });
    expect(oneOff.status).toBe(201);
    expect((await json<{ data: Order & { returningCustomerOf: string | null } }>(oneOff)).data).toMatchObject({ attribution: 'code', creator: { handle: m.handle }, renewalOf: null, returningCustomerOf: start.invoice });
    const renewal = invoicePaid(start.subscription, { customer: m.customer });
    expect((await receipt(await stripe(m.account, renewal.event))).data).toMatchObject({ renewalOf: start.invoice, returningCustomerOf: null });
  });

  it('shows the creator their renewals as a line of their own on the earnings page', async () => {
    const m = await withStripe(await signedInCreator(), 12);
    const start = checkout(m);
    await stripe(m.account, start.event);
    await stripe(m.account, invoicePaid(start.subscription).event);
    const page = await (await get('/earnings', m.cookie)).text();
    expect(page).toMatch(/Subscription renewal <span class="muted small">× 1<\/span>/);
    expect(page).toMatch(/Commission <span class="muted small">× 1<\/span>/);
  }, 20_000);

  it('filters the orders to subscription payments, or to all but them, in the API and the console', async () => {
    const m = await subscriptionBrand();
    const start = checkout(m);
    await stripe(m.account, start.event);
    const renewal = invoicePaid(start.subscription);
    await stripe(m.account, renewal.event);
    const listed = async (query: string) => (await json<{ data: { orderId: string }[] }>(await m.brand.api('GET', `/api/admin/conversions?${query}`))).data.map((o) => o.orderId);
    expect(await listed('renewals=only')).toEqual([renewal.invoiceId]);
    expect(await listed('renewals=exclude')).toEqual([start.invoice]);
    expect((await m.brand.api('GET', '/api/admin/conversions?renewals=some')).status).toBe(422);
    const user = await adminUser(m.brand.brandId, 'viewer');
    const page = await (await get('/console/orders?attribution=renewal', await signIn(user.email))).text();
    expect(page).toContain(`<bdi>${renewal.invoiceId}</bdi>`);
    expect(page).not.toContain(`<code style="overflow-wrap: anywhere"><bdi>${start.invoice}</bdi>`);
    expect(page).toMatch(/<option value="renewal" selected="">Subscription payments<\/option>/);
  });

  it("records the first invoice once when its invoice.paid comes before the Checkout Session, credited on the session's code", async () => {
    const m = await subscriptionBrand();
    // Without the code in the subscription's metadata, the first invoice.paid cannot tell who brought it yet.
    const start = checkout(m);
    expect(await receipt(await stripe(m.account, invoicePaid(start.subscription, { id: start.invoice }).event))).toEqual({ received: true, ignored: 'not_referred' });
    expect((await receipt(await stripe(m.account, start.event))).data).toMatchObject({ orderId: start.invoice, attribution: 'code' });
    // With it, the invoice records the order and the session answers with it.
    const other = checkout(m);
    const first = await receipt(await stripe(m.account, invoicePaid(other.subscription, { id: other.invoice, metadata: { chorus_code: m.code } }).event));
    expect(first.data).toMatchObject({ orderId: other.invoice, attribution: 'code', renewalOf: null });
    const warns = vi.spyOn(console, 'warn');
    expect((await receipt(await stripe(m.account, other.event))).data).toEqual(first.data);
    expect(warns).not.toHaveBeenCalled();
    warns.mockRestore();
    expect(await orders(m.brand.brandId)).toBe(2);
    expect((await receipt(await stripe(m.account, invoicePaid(other.subscription).event))).data?.renewalOf).toBe(other.invoice);
  });

  it("credits a free trial's first payment, weeks later, to the code it started with", async () => {
    const m = await subscriptionBrand();
    const trialStart = Date.now() - 14 * DAY;
    const trial = checkout(m, trialStart, { payment_status: 'no_payment_required', amount_total: 0, invoice: null });
    expect(await receipt(await stripe(m.account, trial.event))).toEqual({ received: true, data: null });
    expect(await orders(m.brand.brandId)).toBe(0);
    // The trial's $0 invoice records nothing; the code's later retirement does not undo who brought it.
    expect(await receipt(await stripe(m.account, invoicePaid(trial.subscription, { at: trialStart, totalExcludingTax: 0 }).event))).toEqual({ received: true, data: null });
    await env.DB.prepare("UPDATE discount_codes SET status = 'disabled' WHERE brand_id = ?").bind(m.brand.brandId).run();
    const firstPaid = invoicePaid(trial.subscription);
    const paid = await receipt(await stripe(m.account, firstPaid.event));
    expect(paid.data).toMatchObject({ attribution: 'code', creator: { handle: m.handle }, commission: { amountMinor: 380 }, renewalOf: null });
    expect(await rowCount('SELECT code_raw AS n FROM conversions WHERE brand_id = ? AND external_order_id = ?', m.brand.brandId, firstPaid.invoiceId)).toBe(m.code);
    // Later payments renew it, for the renewal months from the trial's start.
    expect((await receipt(await stripe(m.account, invoicePaid(trial.subscription, { at: Date.now() + 1000 }).event))).data?.renewalOf).toBe(firstPaid.invoiceId);
  });

  it("counts a trial's code as used when the trial starts, so a code's last use cannot start two", async () => {
    const m = await subscriptionBrand();
    await env.DB.prepare('UPDATE discount_codes SET max_redemptions = 1 WHERE brand_id = ?').bind(m.brand.brandId).run();
    const trial = () => checkout(m, Date.now() - DAY, { payment_status: 'no_payment_required', amount_total: 0, invoice: null });
    const first = trial();
    const second = trial();
    await stripe(m.account, first.event);
    await stripe(m.account, first.event);
    expect(await rowCount('SELECT redemptions AS n FROM discount_codes WHERE brand_id = ?', m.brand.brandId)).toBe(1);
    await stripe(m.account, second.event);
    expect((await receipt(await stripe(m.account, invoicePaid(first.subscription).event))).data?.attribution).toBe('code');
    expect((await receipt(await stripe(m.account, invoicePaid(second.subscription).event))).ignored).toBe('not_referred');
    expect(await rowCount('SELECT redemptions AS n FROM discount_codes WHERE brand_id = ?', m.brand.brandId)).toBe(1);
  });

  it('leaves the payment of a session that names no invoice to its invoice.paid, counted once', async () => {
    const m = await subscriptionBrand();
    const start = checkout(m, Date.now(), { invoice: null });
    expect(await receipt(await stripe(m.account, start.event))).toEqual({ received: true, data: null });
    const firstInvoice = invoicePaid(start.subscription);
    expect((await receipt(await stripe(m.account, firstInvoice.event))).data).toMatchObject({ attribution: 'code', renewalOf: null, commission: { amountMinor: 380 } });
    expect(await orders(m.brand.brandId)).toBe(1);
    expect(await rowCount('SELECT redemptions AS n FROM discount_codes WHERE brand_id = ?', m.brand.brandId)).toBe(1);
  });

  it('credits payments processed out of order: an earlier one that lands after a later one still earns', async () => {
    const m = await subscriptionBrand();
    const subscription = `sub_${uniq()}`;
    const later = invoicePaid(subscription, { metadata: { chorus_code: m.code } });
    const earlier = invoicePaid(subscription, { at: Date.now() - 30 * DAY, metadata: { chorus_code: m.code } });
    expect((await receipt(await stripe(m.account, later.event))).data).toMatchObject({ attribution: 'code', renewalOf: null });
    expect((await receipt(await stripe(m.account, earlier.event))).data).toMatchObject({ attribution: 'code', renewalOf: null, commission: { amountMinor: 380 } });
    // The next one renews the earliest; one between the two renews it too, though it predates the recorded start.
    expect((await receipt(await stripe(m.account, invoicePaid(subscription, { at: Date.now() + 1000 }).event))).data?.renewalOf).toBe(earlier.invoiceId);
    expect((await receipt(await stripe(m.account, invoicePaid(subscription, { at: Date.now() - 15 * DAY }).event))).data?.renewalOf).toBe(earlier.invoiceId);
    // The code was used once, by the subscription, however many payments named it.
    expect(await rowCount('SELECT redemptions AS n FROM discount_codes WHERE brand_id = ?', m.brand.brandId)).toBe(1);
  });

  it("counts a code once when a renewal naming it is processed before the subscription's Checkout Session", async () => {
    const m = await subscriptionBrand();
    const start = checkout(m, Date.now() - 31 * DAY);
    expect((await receipt(await stripe(m.account, invoicePaid(start.subscription, { metadata: { chorus_code: m.code } }).event))).data?.attribution).toBe('code');
    expect((await receipt(await stripe(m.account, start.event))).data?.attribution).toBe('code');
    expect(await orders(m.brand.brandId)).toBe(2);
    expect(await rowCount('SELECT redemptions AS n FROM discount_codes WHERE brand_id = ?', m.brand.brandId)).toBe(1);
  });

  it("adds a renewal to its creator's revenue in the network view, not to their sales", async () => {
    const m = await subscriptionBrand();
    const start = checkout(m);
    const first = await receipt(await stripe(m.account, start.event));
    await stripe(m.account, invoicePaid(start.subscription).event);
    type Network = { data: { summary: { conversions: number; revenueMinor: number }; daily: { conversions: number }[]; ranking: { conversions: number; revenueMinor: number }[] } };
    const network = (await json<Network>(await m.brand.api('GET', `/api/admin/campaigns/${m.campaign.id}/network`))).data;
    expect(network.ranking[0]).toMatchObject({ conversions: 1, revenueMinor: first.data!.amountMinor + 3800 });
    expect(network.summary).toMatchObject({ conversions: 1, revenueMinor: first.data!.amountMinor + 3800 });
    expect(network.daily.reduce((sum, d) => sum + d.conversions, 0)).toBe(1);
  });

  it('stops at the end of the renewal months, counted from when the subscription started', async () => {
    const m = await subscriptionBrand(1);
    const firstAt = Date.now() - 40 * DAY;
    const start = checkout(m, firstAt);
    await stripe(m.account, start.event);
    const inside = await receipt(await stripe(m.account, invoicePaid(start.subscription, { at: firstAt + 20 * DAY }).event));
    expect(inside.data?.commission?.amountMinor).toBe(380);
    expect(await receipt(await stripe(m.account, invoicePaid(start.subscription).event))).toEqual({ received: true, ignored: 'renewals_ended' });
    // The subscription's metadata still names the code: it does not reopen what the months closed.
    expect((await receipt(await stripe(m.account, invoicePaid(start.subscription, { metadata: { chorus_code: m.code } }).event))).ignored).toBe('renewals_ended');
    expect(await orders(m.brand.brandId)).toBe(2);
  });

  it('credits nothing after the first payment when the campaign keeps the default of no renewals', async () => {
    const m = await subscriptionBrand(0);
    const start = checkout(m);
    await stripe(m.account, start.event);
    expect(await receipt(await stripe(m.account, invoicePaid(start.subscription).event))).toEqual({ received: true, ignored: 'renewals_ended' });
    expect(await orders(m.brand.brandId)).toBe(1);
  });

  it('stops when the campaign ends or the creator is removed, as their code and link stop', async () => {
    const ended = await subscriptionBrand();
    const endedStart = checkout(ended, Date.now() - DAY);
    await stripe(ended.account, endedStart.event);
    expect((await ended.brand.api('PATCH', `/api/admin/campaigns/${ended.campaign.id}`, { status: 'ended' })).status).toBe(200);
    // Paid a few seconds after the end (Stripe dates in whole seconds).
    expect((await receipt(await stripe(ended.account, invoicePaid(endedStart.subscription, { at: Date.now() + 5000 }).event))).ignored).toBe('renewals_ended');

    const removed = await subscriptionBrand();
    const removedStart = checkout(removed, Date.now() - DAY);
    await stripe(removed.account, removedStart.event);
    expect((await removed.brand.api('PATCH', `/api/admin/enrollments/${removed.enrollment.id}`, { status: 'removed' })).status).toBe(200);
    expect((await receipt(await stripe(removed.account, invoicePaid(removedStart.subscription, { at: Date.now() + 5000 }).event))).ignored).toBe('renewals_ended');
    // A payment made before the removal, reported late, still earns.
    expect((await receipt(await stripe(removed.account, invoicePaid(removedStart.subscription, { at: Date.now() - DAY / 2 }).event))).data?.renewalOf).toBe(removedStart.invoice);
  });

  it("records nothing for a subscription no creator brought: the same customer's other one, or another brand's", async () => {
    const m = await subscriptionBrand();
    const referred = checkout(m);
    await stripe(m.account, referred.event);
    // The customer's second subscription, started without a code or a link, earns nobody.
    expect(await receipt(await stripe(m.account, invoicePaid(`sub_${uniq()}`, { customer: m.customer }).event))).toEqual({ received: true, ignored: 'not_referred' });
    // Another brand's payment of a subscription this brand credited finds nothing of this brand's.
    const other = await subscriptionBrand();
    expect((await receipt(await stripe(other.account, invoicePaid(referred.subscription).event))).ignored).toBe('not_referred');
    expect(await orders(m.brand.brandId)).toBe(1);
    expect(await orders(other.brand.brandId)).toBe(0);
  });

  it("credits a subscription started without Checkout on its metadata's code, and its renewals after it", async () => {
    const m = await subscriptionBrand();
    const subscription = `sub_${uniq()}`;
    const first = invoicePaid(subscription, { metadata: { chorus_code: m.code } });
    expect((await receipt(await stripe(m.account, first.event))).data).toMatchObject({ attribution: 'code', renewalOf: null });
    const next = invoicePaid(subscription, { metadata: { chorus_code: m.code } });
    expect((await receipt(await stripe(m.account, next.event))).data).toMatchObject({ attribution: 'code', renewalOf: first.invoiceId });
    expect(await rowCount('SELECT redemptions AS n FROM discount_codes WHERE brand_id = ?', m.brand.brandId)).toBe(1);
  });

  it('prices the share of an invoice the customer paid, not what a credit balance covered', async () => {
    const m = await subscriptionBrand();
    const start = checkout(m);
    await stripe(m.account, start.event);
    const { event } = invoicePaid(start.subscription);
    Object.assign(event.data.object, { amount_paid: 1026 }); // a quarter of the 4,104 total
    expect((await receipt(await stripe(m.account, event))).data).toMatchObject({ amountMinor: 950, commission: { amountMinor: 95 } });
    const covered = invoicePaid(start.subscription);
    Object.assign(covered.event.data.object, { amount_paid: 0 });
    expect(await receipt(await stripe(m.account, covered.event))).toEqual({ received: true, data: null });
  });

  it('prices an invoice whose total before tax Stripe left null on its total less its taxes', async () => {
    const m = await subscriptionBrand();
    const start = checkout(m);
    await stripe(m.account, start.event);
    const { event } = invoicePaid(start.subscription);
    event.data.object.total_excluding_tax = null;
    expect((await receipt(await stripe(m.account, event))).data).toMatchObject({ amountMinor: 3800 });
  });

  it('acknowledges invoices of no subscription, and records nothing for one with nothing to price', async () => {
    const m = await subscriptionBrand();
    const start = checkout(m);
    await stripe(m.account, start.event);
    const oneOff = invoicePaid(start.subscription);
    delete oneOff.event.data.object.parent;
    expect(await receipt(await stripe(m.account, oneOff.event))).toEqual({ received: true, ignored: 'not_subscription' });
    expect(await receipt(await stripe(m.account, invoicePaid(start.subscription, { totalExcludingTax: 0 }).event))).toEqual({ received: true, data: null });
    expect(await receipt(await stripe(m.account, invoicePaid(start.subscription, { totalExcludingTax: -1200 }).event))).toEqual({ received: true, data: null });
    expect(await orders(m.brand.brandId)).toBe(1);
  });

  it.each([
    ['no customer', (i: Record<string, unknown>) => delete i.customer],
    ['no invoice id', (i: Record<string, unknown>) => delete i.id],
    ['a fractional total', (i: Record<string, unknown>) => (i.total_excluding_tax = 38.5)],
    ['a total past the cap', (i: Record<string, unknown>) => (i.total_excluding_tax = 100_000_000_001)],
    ['no total before tax', (i: Record<string, unknown>) => delete i.total_excluding_tax],
    ['taxes that are not amounts', (i: Record<string, unknown>) => ((i.total_excluding_tax = null), (i.total_taxes = [{ amount: 'lots' }]))],
    ['a negative amount paid', (i: Record<string, unknown>) => (i.amount_paid = -1)],
    ['a paid time in 1999', (i: Record<string, unknown>) => (i.status_transitions = { paid_at: seconds(Date.UTC(1999, 0, 1)) })],
    ['a currency that is not one', (i: Record<string, unknown>) => (i.currency = 'dollars')],
    ['an invoice that is a string', (_: Record<string, unknown>, e: { data: { object: unknown } }) => (e.data.object = 'in_1')],
  ])('refuses an invoice with %s: 422, nothing written', async (_, spoil) => {
    const m = await subscriptionBrand();
    const start = checkout(m);
    await stripe(m.account, start.event);
    const { event } = invoicePaid(start.subscription);
    spoil(event.data.object, event);
    const res = await stripe(m.account, event);
    expect(res.status).toBe(422);
    expect((await json<{ error: { code: string } }>(res)).error.code).toBe('unsupported_payload');
    expect(await orders(m.brand.brandId)).toBe(1);
  });

  it('refuses a forged or stale signature before reading the invoice', async () => {
    const m = await subscriptionBrand();
    const raw = JSON.stringify(invoicePaid(`sub_${uniq()}`).event);
    for (const header of [await signTimestamped('whsec_not_the_secret_000000000000', raw, Date.now()), await signTimestamped(signatures.stripeSecret, raw, Date.now() - 600_000)]) {
      const res = await SELF.fetch(`${BASE}/v1/webhooks/stripe/${m.account}`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': header }, body: raw });
      expect(res.status).toBe(401);
    }
  });
});

describe('A subscription whose first payment the brand declined', () => {
  const firstPaymentId = async (brandId: string, invoice: string) =>
    (await env.DB.prepare('SELECT id FROM conversions WHERE brand_id = ? AND external_order_id = ?').bind(brandId, invoice).first<{ id: string }>())!.id;

  it('earns nothing on its renewals while the decline stands, recording none, and on the next one after reinstating', async () => {
    const m = await subscriptionBrand();
    const start = checkout(m);
    await receipt(await stripe(m.account, start.event));
    const first = await firstPaymentId(m.brand.brandId, start.invoice);
    const cookie = await signIn((await adminUser(m.brand.brandId, 'owner')).email);
    expect(await (await get(`/console/orders/${first}/decline`, cookie)).text()).toContain('It is the first payment of a Stripe subscription');
    expect((await m.brand.api('POST', `/api/admin/conversions/${first}/decline`, { reason: 'fraud' })).status).toBe(200);

    const during = invoicePaid(start.subscription);
    expect(await receipt(await stripe(m.account, during.event))).toEqual({ received: true, ignored: 'first_payment_declined' });
    expect([await orders(m.brand.brandId), await rowCount('SELECT COALESCE(SUM(amount_minor), 0) AS n FROM ledger_entries WHERE brand_id = ?', m.brand.brandId)]).toEqual([1, 0]);

    expect((await m.brand.api('POST', `/api/admin/conversions/${first}/reinstate`)).status).toBe(200);
    const after = invoicePaid(start.subscription);
    expect((await receipt(await stripe(m.account, after.event))).data).toMatchObject({ orderId: after.invoiceId, renewalOf: start.invoice, commission: { amountMinor: 380 } });
    // Declining a renewal takes that payment only, and says nothing of renewals.
    const renewal = await firstPaymentId(m.brand.brandId, after.invoiceId);
    expect(await (await get(`/console/orders/${renewal}/decline`, cookie)).text()).not.toContain('first payment of a Stripe subscription');
    expect((await m.brand.api('POST', `/api/admin/conversions/${renewal}/decline`, { reason: 'other' })).status).toBe(200);
    const next = invoicePaid(start.subscription);
    expect((await receipt(await stripe(m.account, next.event))).data).toMatchObject({ orderId: next.invoiceId, renewalOf: start.invoice, commission: { amountMinor: 380 } });
  });

  it('a decline landing between a renewal’s read and its write stops that renewal too, writing nothing', async () => {
    const m = await subscriptionBrand();
    const start = checkout(m);
    await receipt(await stripe(m.account, start.event));
    const first = await firstPaymentId(m.brand.brandId, start.invoice);
    const brand = (await env.DB.prepare('SELECT id, timezone, currency FROM brands WHERE id = ?').bind(m.brand.brandId).first<IngestBrand>())!;
    // The second batch is the renewal's write: held until the decline has landed.
    const { db, reached, release } = heldBatches(2);
    const input = { orderId: `in_${uniq()}`, amountMinor: 3800, currency: brand.currency, occurredAt: Date.now(), code: null, clickId: null, customerRef: m.customer };
    const recording = recordSubscriptionPayment(db, brand, input, start.subscription);
    await reached;
    expect((await m.brand.api('POST', `/api/admin/conversions/${first}/decline`, { reason: 'fraud' })).status).toBe(200);
    release();
    expect(await recording).toEqual({ skipped: 'first_payment_declined' });
    expect([await orders(m.brand.brandId), await rowCount('SELECT COALESCE(SUM(amount_minor), 0) AS n FROM ledger_entries WHERE brand_id = ?', m.brand.brandId)]).toEqual([1, 0]);
  });
});

describe('Refunds of subscription payments', () => {
  const reversed = (orderId: string) => rowCount("SELECT -SUM(l.amount_minor) AS n FROM ledger_entries l JOIN conversions c ON c.id = l.conversion_id WHERE c.external_order_id = ? AND l.kind = 'reversal'", orderId);

  async function renewed() {
    const m = await subscriptionBrand();
    const start = checkout(m);
    await stripe(m.account, start.event);
    return { ...m, start, renewal: invoicePaid(start.subscription), paymentIntent: `pi_${uniq()}` };
  }

  it('finds the renewal through invoice_payment.paid (API versions from 2025-03-31) and takes back its commission', async () => {
    const m = await renewed();
    await stripe(m.account, m.renewal.event);
    expect(await receipt(await stripe(m.account, pairing(m.renewal.invoiceId, m.paymentIntent)))).toEqual({ received: true, data: null });
    expect(await receipt(await stripe(m.account, pairing(m.renewal.invoiceId, m.paymentIntent)))).toEqual({ received: true, data: null });
    // Half the charge (tax included) back: half of the priced 3,800, and half its commission.
    const res = await receipt(await stripe(m.account, chargeRefunded(m.paymentIntent, 4104, 2052)));
    expect(res.data).toEqual([expect.objectContaining({ orderId: m.renewal.invoiceId, amountMinor: 1900, status: 'applied', reversal: { amountMinor: -190 } })]);
    await stripe(m.account, chargeRefunded(m.paymentIntent, 4104, 4104));
    expect(await reversed(m.renewal.invoiceId)).toBe(380);
  });

  it('applies a refund that came before the pairing once it arrives, and one that came before the invoice once that arrives', async () => {
    const m = await renewed();
    await stripe(m.account, m.renewal.event);
    expect((await receipt(await stripe(m.account, chargeRefunded(m.paymentIntent, 4104, 4104)))).data).toEqual([expect.objectContaining({ orderId: m.paymentIntent, status: 'pending' })]);
    await stripe(m.account, pairing(m.renewal.invoiceId, m.paymentIntent));
    expect(await reversed(m.renewal.invoiceId)).toBe(380);
    expect(await rowCount("SELECT count(*) AS n FROM refunds WHERE brand_id = ? AND status = 'pending'", m.brand.brandId)).toBe(0);

    const late = invoicePaid(m.start.subscription);
    const latePayment = `pi_${uniq()}`;
    await stripe(m.account, pairing(late.invoiceId, latePayment));
    await stripe(m.account, chargeRefunded(latePayment, 4104, 4104));
    await stripe(m.account, late.event);
    expect(await reversed(late.invoiceId)).toBe(380);
  });

  it('moves a refund left waiting under the payment to its invoice when the next refund of that charge comes', async () => {
    const m = await renewed();
    await stripe(m.account, m.renewal.event);
    await stripe(m.account, pairing(m.renewal.invoiceId, m.paymentIntent));
    // As a try that failed between recording the refund and moving it would leave it: pending under the payment.
    const chargeId = `ch_${uniq()}`;
    await env.DB.prepare(
      "INSERT INTO refunds (id, brand_id, external_refund_id, external_order_id, amount_minor, currency, occurred_at, status, source, payload_hash, created_at) VALUES (?, ?, ?, ?, 2052, 'USD', ?, 'pending', 'stripe', 'h', ?)",
    )
      .bind(`rf_${uniq()}`, m.brand.brandId, `${chargeId}@${m.paymentIntent}@after-0`, m.paymentIntent, Date.now(), Date.now())
      .run();
    const event = chargeRefunded(m.paymentIntent, 4104, 4104);
    event.data.object.id = chargeId;
    await stripe(m.account, event);
    expect(await rowCount("SELECT count(*) AS n FROM refunds WHERE brand_id = ? AND status = 'pending'", m.brand.brandId)).toBe(0);
    expect(await rowCount('SELECT SUM(amount_minor) AS n FROM refunds WHERE brand_id = ? AND external_order_id = ?', m.brand.brandId, m.renewal.invoiceId)).toBe(3800);
    expect(await reversed(m.renewal.invoiceId)).toBe(380);
  });

  // A full refund of the renewal and its failure, both before the invoice and its pairing: whichever of those two
  // comes last books the failure, so the ledger is back at the renewal's commission, once, and replays add nothing.
  it.each([['invoice', 'pairing'], ['pairing', 'invoice']] as const)("gives back a failed refund that came first when the %s and then the %s land, once", async (...last) => {
    const m = await renewed();
    const ledgerSum = () => rowCount('SELECT COALESCE(SUM(amount_minor), 0) AS n FROM ledger_entries WHERE brand_id = ?', m.brand.brandId);
    const before = await ledgerSum();
    const refunded = chargeRefunded(m.paymentIntent, 4104, 4104);
    const failure = { type: 'refund.failed', created: seconds(Date.now()), livemode: true, data: { object: { id: `re_${uniq()}`, object: 'refund', amount: 4104, charge: refunded.data.object.id, currency: 'usd', payment_intent: m.paymentIntent, status: 'failed' } } };
    const events = { refunded, failure, invoice: m.renewal.event, pairing: pairing(m.renewal.invoiceId, m.paymentIntent) };
    const steps = ['refunded', 'failure', ...last] as const;
    const answers = [];
    for (const step of steps) answers.push(await receipt(await stripe(m.account, events[step])));
    expect(answers.at(-1)).toMatchObject({ failed: [{ amountMinor: -4104, status: 'applied' }] });
    const giveBacks = () => rowCount("SELECT count(*) AS n FROM ledger_entries WHERE brand_id = ? AND event_key LIKE 'refund_failed:%'", m.brand.brandId);
    expect(await ledgerSum()).toBe(before + 380);
    expect(await giveBacks()).toBe(1);
    for (const step of steps) expect((await stripe(m.account, events[step])).status).toBe(200);
    expect(await ledgerSum()).toBe(before + 380);
    expect(await giveBacks()).toBe(1);
  });

  it("still refunds a one-off Checkout whose invoice was paired before its order arrived", async () => {
    const m = await subscriptionBrand();
    const event = JSON.parse(stripeSessionRaw);
    const paymentIntent = `pi_${uniq()}`;
    Object.assign(event.data.object, { payment_intent: paymentIntent, invoice: `in_${uniq()}`, metadata: { chorus_code: m.code }, created: seconds(Date.now()) });
    await stripe(m.account, pairing(event.data.object.invoice, paymentIntent));
    await stripe(m.account, chargeRefunded(paymentIntent, 9588, 9588));
    expect((await receipt(await stripe(m.account, event))).data).toMatchObject({ orderId: paymentIntent });
    expect(await reversed(paymentIntent)).toBe(841);
  });

  it('finds it through the PaymentIntent the invoice names in older API versions', async () => {
    const m = await subscriptionBrand();
    const start = checkout(m);
    await stripe(m.account, start.event);
    const event = JSON.parse(invoicePaidOldRaw);
    const paymentIntent = `pi_${uniq()}`;
    Object.assign(event.data.object, { id: `in_${uniq()}`, subscription: start.subscription, payment_intent: paymentIntent, status_transitions: { paid_at: seconds(Date.now()) } });
    expect((await receipt(await stripe(m.account, event))).data).toMatchObject({ amountMinor: 3000, commission: { amountMinor: 300 }, renewalOf: start.invoice });
    const res = await receipt(await stripe(m.account, chargeRefunded(paymentIntent, 3240, 3240)));
    expect(res.data).toEqual([expect.objectContaining({ orderId: event.data.object.id, amountMinor: 3000, reversal: { amountMinor: -300 } })]);
  });

  // Two brands' subscriptions, each renewed: twice the set-up of its neighbours, past 5 s on a loaded machine.
  it("never follows another brand's pairing", { timeout: 15_000 }, async () => {
    const a = await renewed();
    const b = await subscriptionBrand();
    await stripe(a.account, a.renewal.event);
    await stripe(a.account, pairing(a.renewal.invoiceId, a.paymentIntent));
    // Brand b's refund of the same PaymentIntent waits under it, for an order of b's own.
    expect((await receipt(await stripe(b.account, chargeRefunded(a.paymentIntent, 4104, 4104)))).data).toEqual([expect.objectContaining({ orderId: a.paymentIntent, status: 'pending' })]);
    expect(await rowCount('SELECT count(*) AS n FROM refunds WHERE brand_id = ?', a.brand.brandId)).toBe(0);
  });

  it('refuses an invoice_payment.paid with no invoice, and keeps nothing for one recorded another way', async () => {
    const m = await subscriptionBrand();
    const broken = JSON.parse(invoicePaymentRaw);
    delete broken.data.object.invoice;
    expect((await stripe(m.account, broken)).status).toBe(422);
    const recorded = JSON.parse(invoicePaymentRaw);
    recorded.data.object.payment = { type: 'payment_record', payment_record: 'pr_1' };
    expect(await receipt(await stripe(m.account, recorded))).toEqual({ received: true, data: null });
    expect(await rowCount('SELECT count(*) AS n FROM stripe_invoice_payments WHERE brand_id = ?', m.brand.brandId)).toBe(0);
  });

  it('forgets pairings once their payments can no longer be refunded', async () => {
    const m = await subscriptionBrand();
    const now = Date.now();
    await stripe(m.account, pairing(`in_${uniq()}`, `pi_${uniq()}`));
    await env.DB.prepare('UPDATE stripe_invoice_payments SET created_at = ? WHERE brand_id = ?').bind(now - PAYMENT_PAIRING_DAYS * DAY - 1, m.brand.brandId).run();
    await stripe(m.account, pairing(`in_${uniq()}`, `pi_${uniq()}`));
    expect(await forgetPaymentPairings(env.DB, now)).toBeGreaterThanOrEqual(1);
    expect(await rowCount('SELECT count(*) AS n FROM stripe_invoice_payments WHERE brand_id = ?', m.brand.brandId)).toBe(1);
  });
});
