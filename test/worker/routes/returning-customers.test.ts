import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import signatures from '../../fixtures/signatures.json';
import shopifyOrderRaw from '../../fixtures/shopify-orders-create.json?raw';
import { parseCsv } from '../../../worker/lib/csv';
import { signShopify, signTimestamped } from '../../../worker/lib/signatures';
import { BASE, createBrand, createMoneyBrand, issueKey, json, rowCount, signedPost, storeRawClick, type Data } from '../fixtures';
import { consoleBrand, get, post } from '../console-fixtures';
import { portalTestDefaults, signedInCreator } from '../portal-fixtures';

type Order = {
  id: string;
  orderId: string;
  attribution: string;
  creator: { handle: string } | null;
  commission: { amountMinor: number; rateBps: number | null; tier: number | null } | null;
  renewalOf: string | null;
  returningCustomerOf: string | null;
  selfPurchase: boolean;
};
type Money = Pick<Awaited<ReturnType<typeof createMoneyBrand>>, 'brand' | 'ingestKey' | 'code' | 'campaign' | 'handle' | 'enrollment' | 'creator'>;

const DAY = 86_400_000;
let n = 0;
const uniq = () => `${Date.now().toString(36)}${(n++).toString(36)}`;
const at = (ms: number) => new Date(ms).toISOString();

async function brandWithReturning(months = 12): Promise<Money> {
  const m = await createMoneyBrand();
  if (months > 0) expect((await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { returningCustomerMonths: months })).status).toBe(200);
  return m;
}

const order = (m: Money, fields: Record<string, unknown>) =>
  signedPost(m.brand, m.ingestKey, '/v1/conversions', { orderId: `o-${uniq()}`, amountMinor: 10_000, currency: 'USD', occurredAt: at(Date.now()), ...fields });
async function recorded(res: Response, status = 201): Promise<Order> {
  expect(res.status).toBe(status);
  return (await json<Data<Order>>(res)).data;
}
// The customer's first order, by the creator's code; then their later order with no code and no click.
async function firstThenReturning(m: Money, opts: { firstAt?: number; laterAt?: number; firstAmount?: number; firstFields?: Record<string, unknown>; laterFields?: Record<string, unknown> } = {}) {
  const customerRef = `cus_${uniq()}`;
  const first = await recorded(await order(m, { code: m.code, customerRef, amountMinor: opts.firstAmount ?? 10_000, occurredAt: at(opts.firstAt ?? Date.now() - DAY), ...opts.firstFields }));
  const laterBody = { orderId: `later-${uniq()}`, amountMinor: 10_000, currency: 'USD', occurredAt: at(opts.laterAt ?? Date.now()), customerRef, ...opts.laterFields };
  const later = await recorded(await signedPost(m.brand, m.ingestKey, '/v1/conversions', laterBody));
  return { customerRef, first, later, laterBody };
}
// Another creator in the campaign, with a code of their own.
async function secondCreator(m: Money): Promise<{ enrollmentId: string; code: string }> {
  const other = await json<Data<{ id: string }>>(await m.brand.api('POST', '/api/admin/creators', { email: `mia_${uniq()}@creators.test`, handle: `mia_${uniq()}`, displayName: 'Mia' }));
  await env.DB.prepare('UPDATE brand_creators SET accepted_at = ? WHERE brand_id = ? AND creator_id = ?').bind(Date.now(), m.brand.brandId, other.data.id).run();
  const enrollment = await json<Data<{ id: string }>>(await m.brand.api('POST', '/api/admin/enrollments', { campaignId: m.campaign.id, creatorId: other.data.id, paymentModel: 'affiliate', status: 'active' }));
  const code = `MIA${uniq().toUpperCase()}`.slice(0, 18);
  expect((await m.brand.api('POST', '/api/admin/codes', { enrollmentId: enrollment.data.id, code, discountType: 'percent', discountValue: 10 })).status).toBe(201);
  return { enrollmentId: enrollment.data.id, code };
}
const ledgerRows = (conversionId: string) => rowCount('SELECT count(*) AS n FROM ledger_entries WHERE conversion_id = ?', conversionId);

describe('returning customers (campaign returningCustomerMonths)', () => {
  it('is off by default: a returning order with no code or click credits nobody', async () => {
    const m = await createMoneyBrand();
    const campaign = await json<Data<{ returningCustomerMonths: number }>>(await m.brand.api('GET', `/api/admin/campaigns/${m.campaign.id}`));
    expect(campaign.data.returningCustomerMonths).toBe(0);
    const { later } = await firstThenReturning(m);
    expect(later).toMatchObject({ attribution: 'none', creator: null, commission: null, returningCustomerOf: null, renewalOf: null });
    expect(await ledgerRows(later.id)).toBe(0);
  });

  it("credits a returning order to the first order's creator at the tier they reached, as revenue but no new sale", async () => {
    const m = await brandWithReturning(12);
    // 1,000.00 on the first order: the creator is in the 15% tier from it on.
    const { first, later } = await firstThenReturning(m, { firstAmount: 100_000 });
    expect(first.commission).toMatchObject({ amountMinor: 15_000, tier: 2 });
    expect(later).toMatchObject({ attribution: 'code', creator: { handle: m.handle }, commission: { amountMinor: 1_500, rateBps: 1500, tier: 2 }, returningCustomerOf: first.orderId, renewalOf: null });
    const entry = await env.DB.prepare("SELECT enrollment_id, amount_minor, basis_minor FROM ledger_entries WHERE conversion_id = ? AND kind = 'commission'").bind(later.id).first();
    expect(entry).toEqual({ enrollment_id: m.enrollment.id, amount_minor: 1_500, basis_minor: 10_000 });
    // Its code was not redeemed again: the order carried none.
    expect(await rowCount('SELECT redemptions AS n FROM discount_codes WHERE brand_id = ? AND code = ?', m.brand.brandId, m.code)).toBe(1);

    // The admin list names the first order, and its filters tell returning orders from subscription renewals.
    const listed = await json<{ data: { orderId: string; returningCustomerOf: string | null; renewalOf: string | null }[] }>(await m.brand.api('GET', '/api/admin/conversions?returningCustomers=only'));
    expect(listed.data.map((o) => [o.orderId, o.returningCustomerOf, o.renewalOf])).toEqual([[later.orderId, first.orderId, null]]);
    expect((await json<{ data: unknown[] }>(await m.brand.api('GET', '/api/admin/conversions?renewals=only'))).data).toEqual([]);
    expect((await json<{ data: { orderId: string }[] }>(await m.brand.api('GET', '/api/admin/conversions?returningCustomers=exclude'))).data.map((o) => o.orderId)).toEqual([first.orderId]);
    expect((await m.brand.api('GET', '/api/admin/conversions?returningCustomers=some')).status).toBe(422);

    // The network view adds it to the creator's revenue, not to their sales.
    type Network = { data: { summary: { conversions: number; revenueMinor: number }; ranking: { conversions: number; revenueMinor: number }[]; daily: { conversions: number }[] } };
    const network = (await json<Network>(await m.brand.api('GET', `/api/admin/campaigns/${m.campaign.id}/network`))).data;
    expect(network.ranking[0]).toMatchObject({ conversions: 1, revenueMinor: 110_000 });
    // The daily chart counts sales as the totals do: the first order, not the returning one.
    expect(network.daily.reduce((n, d) => n + d.conversions, 0)).toBe(1);

    // The orders CSV carries the first order in its own column.
    const csv = await (await m.brand.api('GET', '/api/admin/conversions/export.csv?returningCustomers=only')).text();
    const [header, row] = parseCsv(csv, 10).map((r) => r.cells);
    expect(row![header!.indexOf('returning_customer_of')]).toBe(first.orderId);
    expect(row![header!.indexOf('renewal_of')]).toBe('');
  });

  it("counts a returning order's commission in its payout, but not as a sale", async () => {
    const m = await brandWithReturning(12);
    const sept = (day: number) => Date.UTC(2026, 8, day, 12);
    await firstThenReturning(m, { firstAt: sept(3), laterAt: sept(10) });
    expect((await m.brand.api('POST', '/api/admin/payouts/close', { period: '2026-10' })).status).toBe(201);
    const payouts = await json<{ data: { payouts: { creatorId: string; commissionMinor: number; conversions: number }[] } }>(await m.brand.api('GET', '/api/admin/payouts?period=2026-10'));
    expect(payouts.data.payouts.find((p) => p.creatorId === m.creator.id)).toMatchObject({ commissionMinor: 2_000, conversions: 1 });
  });

  it('stops after the months, counted in calendar months from the first order', async () => {
    const m = await brandWithReturning(1);
    const { later } = await firstThenReturning(m, { firstAt: Date.now() - 40 * DAY });
    expect(later).toMatchObject({ attribution: 'none', returningCustomerOf: null });
    expect(await ledgerRows(later.id)).toBe(0);
    // A change of the months applies to orders recorded from then on.
    expect((await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { returningCustomerMonths: 2 })).status).toBe(200);
    const again = await recorded(await order(m, { customerRef: (await env.DB.prepare('SELECT customer_ref FROM conversions WHERE id = ?').bind(later.id).first<string>('customer_ref'))! }));
    expect(again.attribution).toBe('code');
    expect(await rowCount("SELECT count(*) AS n FROM conversions WHERE id = ? AND attribution = 'none'", later.id)).toBe(1);
  });

  it("gives a returning order with a code (or click) of its own to that code's creator", async () => {
    const m = await brandWithReturning(12);
    const { enrollmentId, code } = await secondCreator(m);
    const customerRef = `cus_${uniq()}`;
    const first = await recorded(await order(m, { code: m.code, customerRef, occurredAt: at(Date.now() - DAY) }));
    const later = await recorded(await order(m, { code, customerRef }));
    expect(later).toMatchObject({ attribution: 'code', returningCustomerOf: null });
    expect(later.creator?.handle).not.toBe(m.handle);
    expect(await rowCount('SELECT count(*) AS n FROM ledger_entries WHERE conversion_id = ? AND enrollment_id = ?', later.id, enrollmentId)).toBe(1);
    // A click of the other creator's link wins the same way.
    const link = await json<Data<{ id: string }>>(await m.brand.api('POST', '/api/admin/links', { enrollmentId }));
    const clickId = `RET${uniq()}AAAAAAAAAAAAAAAA`.slice(0, 22);
    await storeRawClick({ id: clickId, brandId: m.brand.brandId, linkId: link.data.id, at: Date.now() - 60_000 });
    expect(await recorded(await order(m, { clickId, customerRef }))).toMatchObject({ attribution: 'click', returningCustomerOf: null });
    expect(first.attribution).toBe('code');
  });

  it('leaves an order waiting for its click to that click, not to the returning-customer rule', async () => {
    const m = await brandWithReturning(12);
    const customerRef = `cus_${uniq()}`;
    await recorded(await order(m, { code: m.code, customerRef, occurredAt: at(Date.now() - DAY) }));
    const waiting = await recorded(await order(m, { clickId: `LATE${uniq()}AAAAAAAAAAAAAAAA`.slice(0, 22), customerRef }));
    expect(waiting).toMatchObject({ attribution: 'none', returningCustomerOf: null });
    expect(await rowCount('SELECT count(*) AS n FROM conversions WHERE id = ? AND click_id_raw IS NOT NULL AND renewal_of IS NULL', waiting.id)).toBe(1);
  });

  it("gives an order naming a stored click that credits nothing (a bot's, a removed creator's) to the returning-customer rule", async () => {
    const m = await brandWithReturning(12);
    const mia = await secondCreator(m);
    const customerRef = `cus_${uniq()}`;
    const first = await recorded(await order(m, { code: m.code, customerRef, occurredAt: at(Date.now() - DAY) }));
    const link = await json<Data<{ id: string }>>(await m.brand.api('POST', '/api/admin/links', { enrollmentId: mia.enrollmentId }));
    const botClick = `BOT${uniq()}AAAAAAAAAAAAAAAA`.slice(0, 22);
    await storeRawClick({ id: botClick, brandId: m.brand.brandId, linkId: link.data.id, at: Date.now() - 60_000 });
    await env.DB.prepare('UPDATE clicks SET is_bot = 1 WHERE id = ?').bind(botClick).run();
    const byBot = await recorded(await order(m, { clickId: botClick, customerRef }));
    expect(byBot).toMatchObject({ attribution: 'code', creator: { handle: m.handle }, returningCustomerOf: first.orderId });
    // Settled: no longer waiting for its click.
    expect(await rowCount("SELECT count(*) AS n FROM conversions WHERE id = ? AND attribution <> 'none' AND click_id_raw = ?", byBot.id, botClick)).toBe(1);

    const removedClick = `RMV${uniq()}AAAAAAAAAAAAAAAA`.slice(0, 22);
    await storeRawClick({ id: removedClick, brandId: m.brand.brandId, linkId: link.data.id, at: Date.now() - 60_000 });
    await env.DB.prepare("UPDATE enrollments SET status = 'removed', removed_at = ? WHERE id = ?").bind(Date.now() - 30_000, mia.enrollmentId).run();
    expect(await recorded(await order(m, { clickId: removedClick, customerRef }))).toMatchObject({ attribution: 'code', creator: { handle: m.handle }, returningCustomerOf: first.orderId });
  });

  it("credits nobody once the first order's creator is removed or its campaign has ended", async () => {
    const removed = await brandWithReturning(12);
    const { customerRef } = await firstThenReturning(removed);
    await env.DB.prepare("UPDATE enrollments SET status = 'removed', removed_at = ? WHERE id = ?").bind(Date.now() - 1_000, removed.enrollment.id).run();
    const afterRemoval = await recorded(await order(removed, { customerRef }));
    expect(afterRemoval).toMatchObject({ attribution: 'none', creator: null, returningCustomerOf: null });
    expect(await ledgerRows(afterRemoval.id)).toBe(0);

    const ended = await brandWithReturning(12);
    const endedCustomer = (await firstThenReturning(ended)).customerRef;
    expect((await ended.brand.api('PATCH', `/api/admin/campaigns/${ended.campaign.id}`, { status: 'ended' })).status).toBe(200);
    expect(await recorded(await order(ended, { customerRef: endedCustomer }))).toMatchObject({ attribution: 'none', creator: null, returningCustomerOf: null });
  });

  it('keeps returning orders under renewals=exclude, and renewals under returningCustomers=exclude', async () => {
    const m = await brandWithReturning(12);
    const { first, later } = await firstThenReturning(m);
    // A subscription's first payment and its renewal, as Stripe's events record them (stripe-subscriptions.test.ts tells that story).
    await env.DB.prepare("UPDATE conversions SET subscription_id = 'sub_x' WHERE id = ?").bind(first.id).run();
    const renewal = await recorded(await order(m, { code: m.code }));
    await env.DB.prepare("UPDATE conversions SET subscription_id = 'sub_x', renewal_of = ? WHERE id = ?").bind(first.id, renewal.id).run();
    const ids = async (query: string) => (await json<{ data: { orderId: string }[] }>(await m.brand.api('GET', `/api/admin/conversions?${query}`))).data.map((o) => o.orderId).sort();
    expect(await ids('renewals=exclude')).toEqual([first.orderId, later.orderId].sort());
    expect(await ids('returningCustomers=exclude')).toEqual([first.orderId, renewal.orderId].sort());
    expect(await ids('renewals=exclude&returningCustomers=exclude')).toEqual([first.orderId]);
  });

  it('credits nothing through a first order the brand declined, until it is reinstated', async () => {
    const m = await brandWithReturning(12);
    const customerRef = `cus_${uniq()}`;
    const first = await recorded(await order(m, { code: m.code, customerRef, occurredAt: at(Date.now() - DAY) }));
    expect((await m.brand.api('POST', `/api/admin/conversions/${first.id}/decline`, { reason: 'fraud' })).status).toBe(200);
    const later = await recorded(await order(m, { customerRef }));
    expect(later).toMatchObject({ attribution: 'none', returningCustomerOf: null });
    expect((await m.brand.api('POST', `/api/admin/conversions/${first.id}/reinstate`)).status).toBe(200);
    expect(await recorded(await order(m, { customerRef }))).toMatchObject({ attribution: 'code', returningCustomerOf: first.orderId });
  });

  it("judges a returning order of the creator's own first order by the brand's self-purchase rule as it is now", async () => {
    const m = await brandWithReturning(12);
    const { first, later, customerRef } = await firstThenReturning(m, { firstFields: { customerEmail: `${m.handle}@creators.test` } });
    expect(first.commission).toMatchObject({ amountMinor: 0, reason: 'self_purchase' });
    // Credited to the creator as their own order, earning nothing while the brand does not let such orders earn.
    expect(later).toMatchObject({ attribution: 'code', returningCustomerOf: first.orderId, selfPurchase: true, commission: { amountMinor: 0, reason: 'self_purchase' } });
    expect(await ledgerRows(later.id)).toBe(0);
    expect((await m.brand.api('PATCH', '/api/admin/brand', { selfPurchasesEarn: true })).status).toBe(200);
    const earning = await recorded(await order(m, { customerRef }));
    expect(earning).toMatchObject({ attribution: 'code', returningCustomerOf: first.orderId, selfPurchase: true, commission: { amountMinor: 1_000 } });
  });

  it('takes no one as bringing a customer whose first order was organic: a later code order earns only itself', async () => {
    const m = await brandWithReturning(12);
    const customerRef = `cus_${uniq()}`;
    const organic = await recorded(await order(m, { customerRef, occurredAt: at(Date.now() - 2 * DAY) }));
    expect(organic.attribution).toBe('none');
    const coded = await recorded(await order(m, { code: m.code, customerRef, occurredAt: at(Date.now() - DAY) }));
    expect(coded).toMatchObject({ attribution: 'code', returningCustomerOf: null });
    const last = await recorded(await order(m, { customerRef }));
    expect(last).toMatchObject({ attribution: 'none', creator: null, returningCustomerOf: null });
    expect(await ledgerRows(last.id)).toBe(0);
  });

  it("passes over a first order refunded in full: the customer's next standing order decides who brought them", async () => {
    const m = await brandWithReturning(12);
    const mia = await secondCreator(m);
    const customerRef = `cus_${uniq()}`;
    const refunded = await recorded(await order(m, { code: m.code, customerRef, occurredAt: at(Date.now() - 3 * DAY) }));
    const refund = await signedPost(m.brand, m.ingestKey, '/v1/refunds', { refundId: `r-${uniq()}`, orderId: refunded.orderId, amountMinor: 10_000, currency: 'USD', occurredAt: at(Date.now() - 2 * DAY) });
    expect(refund.status).toBe(201);
    const byMia = await recorded(await order(m, { code: mia.code, customerRef, occurredAt: at(Date.now() - DAY) }));
    expect(byMia).toMatchObject({ attribution: 'code', returningCustomerOf: null });
    const later = await recorded(await order(m, { customerRef }));
    expect(later).toMatchObject({ attribution: 'code', returningCustomerOf: byMia.orderId });
    expect(await rowCount('SELECT count(*) AS n FROM ledger_entries WHERE conversion_id = ? AND enrollment_id = ?', later.id, mia.enrollmentId)).toBe(1);
  });

  it('takes a blank customer ref for a guest: guest orders never credit one another', async () => {
    const m = await brandWithReturning(12);
    for (const customerRef of ['', '   ']) {
      await recorded(await order(m, { code: m.code, customerRef, occurredAt: at(Date.now() - DAY) }));
      const later = await recorded(await order(m, { customerRef }));
      expect(later, JSON.stringify(customerRef)).toMatchObject({ attribution: 'none', creator: null, returningCustomerOf: null });
      expect(await ledgerRows(later.id)).toBe(0);
    }
  });

  it("never reaches another brand's customer of the same ref", async () => {
    const a = await brandWithReturning(12);
    const b = await brandWithReturning(12);
    const customerRef = `cus_${uniq()}`;
    await recorded(await order(a, { code: a.code, customerRef, occurredAt: at(Date.now() - DAY) }));
    const inB = await recorded(await order(b, { customerRef }));
    expect(inB).toMatchObject({ attribution: 'none', creator: null, returningCustomerOf: null });
    expect(await rowCount('SELECT count(*) AS n FROM ledger_entries WHERE brand_id = ?', b.brand.brandId)).toBe(0);
  });

  it('replays a returning order as one conversion with one ledger entry, and reverses it on refund', async () => {
    const m = await brandWithReturning(12);
    const { later, laterBody } = await firstThenReturning(m);
    expect(later.commission?.amountMinor).toBe(1_000);
    const replay = await recorded(await signedPost(m.brand, m.ingestKey, '/v1/conversions', laterBody), 200);
    expect(replay).toEqual(later);
    expect(await ledgerRows(later.id)).toBe(1);
    expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', { ...laterBody, amountMinor: 9_999 })).status).toBe(409);
    const refund = await signedPost(m.brand, m.ingestKey, '/v1/refunds', { refundId: `r-${uniq()}`, orderId: later.orderId, amountMinor: 10_000, currency: 'USD', occurredAt: at(Date.now()) });
    expect(refund.status).toBe(201);
    expect((await json<Data<{ reversal: { amountMinor: number } | null }>>(refund)).data.reversal).toEqual({ amountMinor: -1_000 });
  });

  it('tells a webhook subscriber which first order a returning order earns through', async () => {
    const m = await brandWithReturning(12);
    // Nothing listens there: the endpoint is disabled once the event is read, so background deliveries end without a network call.
    const endpoint = await m.brand.api('POST', '/api/admin/webhooks/endpoints', { url: 'http://127.0.0.1:9/hooks', events: ['conversion.created'] });
    expect(endpoint.status).toBe(201);
    const { first, later } = await firstThenReturning(m);
    await env.DB.prepare('UPDATE webhook_endpoints SET enabled = 0 WHERE id = ?').bind((await json<Data<{ id: string }>>(endpoint)).data.id).run();
    const payload = await env.DB.prepare("SELECT payload FROM webhook_events WHERE brand_id = ? AND type = 'conversion.created' AND json_extract(payload, '$.conversion.id') = ?")
      .bind(m.brand.brandId, later.id)
      .first<string>('payload');
    expect(JSON.parse(payload!).conversion).toMatchObject({ returningCustomerOf: first.orderId, renewalOf: null, attribution: 'code' });
  });

  it('credits a returning Shopify order and a returning Stripe Checkout Session', async () => {
    const m = await brandWithReturning(12);
    const shop = `ret-${uniq()}.myshopify.com`;
    const account = `ret-${uniq()}`;
    expect((await m.brand.api('POST', '/api/admin/integrations', { provider: 'shopify', externalAccount: shop, secret: signatures.shopifySecret })).status).toBe(201);
    expect((await m.brand.api('POST', '/api/admin/integrations', { provider: 'stripe', externalAccount: account, secret: signatures.stripeSecret })).status).toBe(201);

    // Shopify: the fixture's customer bought with the creator's code before; this order carries no code and no click.
    const shopper = String(JSON.parse(shopifyOrderRaw).customer.id);
    const first = await recorded(await order(m, { code: m.code, customerRef: shopper, occurredAt: at(Date.now() - DAY) }));
    const shopifyOrder = { ...JSON.parse(shopifyOrderRaw), id: Date.now(), created_at: at(Date.now()), discount_codes: [], landing_site: '/products/barrier-serum', note_attributes: [] };
    const raw = JSON.stringify(shopifyOrder);
    const shopRes = await SELF.fetch(`${BASE}/v1/webhooks/shopify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-shopify-shop-domain': shop, 'x-shopify-topic': 'orders/create', 'x-shopify-hmac-sha256': await signShopify(signatures.shopifySecret, raw), 'x-shopify-webhook-id': crypto.randomUUID() },
      body: raw,
    });
    expect(shopRes.status).toBe(200);
    expect((await json<{ data: Order }>(shopRes)).data).toMatchObject({ attribution: 'code', returningCustomerOf: first.orderId });

    // Stripe: a Checkout Session of the same store's customer id, with no metadata.
    const stripeCustomer = `cus_${uniq()}`;
    const stripeFirst = await recorded(await order(m, { code: m.code, customerRef: stripeCustomer, occurredAt: at(Date.now() - DAY) }));
    const created = Math.floor(Date.now() / 1000);
    const session = { id: `cs_${uniq()}`, object: 'checkout.session', amount_subtotal: 5_000, amount_total: 5_000, currency: 'usd', created, customer: stripeCustomer, client_reference_id: null, mode: 'payment', payment_intent: `pi_${uniq()}`, payment_status: 'paid', status: 'complete', metadata: {}, total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 } };
    const event = JSON.stringify({ id: `evt_${uniq()}`, object: 'event', created, livemode: true, type: 'checkout.session.completed', data: { object: session } });
    const stripeRes = await SELF.fetch(`${BASE}/v1/webhooks/stripe/${account}`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': await signTimestamped(signatures.stripeSecret, event, Date.now()) }, body: event });
    expect(stripeRes.status).toBe(200);
    expect((await json<{ data: Order }>(stripeRes)).data).toMatchObject({ attribution: 'code', returningCustomerOf: stripeFirst.orderId, commission: { amountMinor: 500 } });
  });

  it('refuses a bad returningCustomerMonths on create and update with 422, writing nothing', async () => {
    const brand = await createBrand();
    const base = { name: 'Glow', hashtag: '#Glow', defaultDestination: 'https://shop.example/glow' };
    for (const bad of ['12', -1, 121, 1.5, null, true, [12], { months: 12 }]) {
      const res = await brand.api('POST', '/api/admin/campaigns', { ...base, slug: `bad-${uniq()}`, returningCustomerMonths: bad });
      expect(res.status, JSON.stringify(bad)).toBe(422);
      expect((await json<{ error: { code: string } }>(res)).error.code).toBe('validation_failed');
    }
    expect(await rowCount('SELECT count(*) AS n FROM campaigns WHERE brand_id = ?', brand.brandId)).toBe(0);
    const made = await brand.api('POST', '/api/admin/campaigns', { ...base, slug: `ok-${uniq()}`, returningCustomerMonths: 120 });
    expect(made.status).toBe(201);
    const campaign = (await json<Data<{ id: string; returningCustomerMonths: number }>>(made)).data;
    expect(campaign.returningCustomerMonths).toBe(120);
    for (const bad of ['6', -1, 121, 0.5, null]) {
      const res = await brand.api('PATCH', `/api/admin/campaigns/${campaign.id}`, { returningCustomerMonths: bad });
      expect(res.status, JSON.stringify(bad)).toBe(422);
    }
    expect(await rowCount('SELECT returning_customer_months AS n FROM campaigns WHERE id = ?', campaign.id)).toBe(120);
    // Another brand's campaign is not found.
    const other = await createBrand();
    expect((await other.api('PATCH', `/api/admin/campaigns/${campaign.id}`, { returningCustomerMonths: 3 })).status).toBe(404);
    expect(await issueKey(brand, 'ingest')).toBeTruthy();
  });
});

describe('creator portal', () => {
  portalTestDefaults();
  it("labels a returning customer's order on the creator's stats and earnings", async () => {
    const m = await signedInCreator();
    expect((await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { returningCustomerMonths: 12 })).status).toBe(200);
    const { later } = await firstThenReturning(m);
    expect(later.attribution).toBe('code');
    const stats = await (await get(`/stats/${m.enrollment.id}`, m.cookie)).text();
    expect(stats).toContain('Returning customer');
    const earnings = await (await get('/earnings', m.cookie)).text();
    expect(earnings).toContain('Returning customer');
  });
});

describe('attribution of renewals and returning orders', () => {
  portalTestDefaults();
  it("carries the first order's attribution: the Code filters leave it out, and the creator's export shows no code sent with it", async () => {
    const m = await signedInCreator();
    expect((await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { returningCustomerMonths: 12 })).status).toBe(200);
    const mia = await secondCreator(m);
    // Mia's code, ended before the order: it credits nobody, and the order is the returning customer's.
    await env.DB.prepare("UPDATE discount_codes SET status = 'disabled' WHERE brand_id = ? AND code = ?").bind(m.brand.brandId, mia.code).run();
    const { first, later } = await firstThenReturning(m, { laterFields: { code: mia.code } });
    expect(later).toMatchObject({ attribution: 'code', creator: { handle: m.handle }, returningCustomerOf: first.orderId });
    const coded = await json<{ data: { orderId: string }[] }>(await m.brand.api('GET', '/api/admin/conversions?attribution=code'));
    expect(coded.data.map((o) => o.orderId)).toEqual([first.orderId]);
    const exported = await json<{ orders: { orderId: string; attribution: string; code: string | null; returningCustomerOfOrderId: string | null }[] }>(await get('/account/data.json', m.cookie));
    expect(exported.orders.find((o) => o.orderId === later.orderId)).toMatchObject({ attribution: 'code', code: null, returningCustomerOfOrderId: first.orderId });
    expect(exported.orders.find((o) => o.orderId === first.orderId)?.code).toBe(m.code);
  });
});

describe('console: returning-customer months on the brief', () => {
  it('saves the setting from the brief form, refuses bad values, a foreign origin and a viewer', async () => {
    const m = await consoleBrand('owner');
    const page = await (await get(`/console/campaigns/${m.campaign.id}`, m.cookie)).text();
    expect(page).toContain('name="returningCustomerMonths"');
    const brief = {
      name: 'Glow',
      hashtag: '#Glow',
      disclosureText: '#ad',
      storyFormats: ['day_in_the_life'],
      defaultDestination: 'https://shop.example/glow',
      attributionWindowDays: '30',
      holdingDays: '30',
      commissionPlanId: m.plan.id,
      status: 'active',
      positioningAnchor: '',
      nonNegotiables: '',
    };
    const months = () => rowCount('SELECT returning_customer_months AS n FROM campaigns WHERE id = ?', m.campaign.id);
    for (const bad of ['121', '-1', 'twelve', '1.5']) {
      const res = await post(`/console/campaigns/${m.campaign.id}`, { ...brief, returningCustomerMonths: bad }, { cookie: m.cookie });
      expect(res.status, bad).toBe(422);
      expect(await res.text()).toContain('Returning customers earn for 0 to 120 months.');
    }
    expect(await months()).toBe(0);
    expect((await post(`/console/campaigns/${m.campaign.id}`, { ...brief, returningCustomerMonths: '6' }, { cookie: m.cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect(await months()).toBe(0);
    expect((await post(`/console/campaigns/${m.campaign.id}`, { ...brief, returningCustomerMonths: '6' }, { cookie: m.cookie })).status).toBe(303);
    expect(await months()).toBe(6);
    // A form drawn without the field keeps the setting.
    expect((await post(`/console/campaigns/${m.campaign.id}`, brief, { cookie: m.cookie })).status).toBe(303);
    expect(await months()).toBe(6);

    const viewer = await consoleBrand('viewer');
    expect((await post(`/console/campaigns/${viewer.campaign.id}`, { ...brief, commissionPlanId: viewer.plan.id, returningCustomerMonths: '6' }, { cookie: viewer.cookie })).status).toBe(403);
    expect(await rowCount('SELECT returning_customer_months AS n FROM campaigns WHERE id = ?', viewer.campaign.id)).toBe(0);
  });

  it('shows a returning order on the Orders page with its first order, and to the creator', async () => {
    const m = await consoleBrand('owner');
    expect((await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { returningCustomerMonths: 12 })).status).toBe(200);
    const { first, later } = await firstThenReturning(m);
    const html = await (await get('/console/orders?attribution=returning', m.cookie)).text();
    expect(html).toContain('Returning customer');
    expect(html).toContain(`<bdi>${first.orderId}</bdi>`);
    expect(html).toContain(later.orderId);
    expect(html).not.toContain(`<bdi>${later.orderId}</bdi></a>`);
    // Its Code filter shows orders their own code credited.
    const byCode = await (await get('/console/orders?attribution=code', m.cookie)).text();
    expect(byCode).toContain(first.orderId);
    expect(byCode).not.toContain(later.orderId);
    // Declining the first order warns that the customer's later orders stop earning through it; declining the later one does not.
    const warning = 'It is the order by which they brought its customer';
    expect(await (await get(`/console/orders/${first.id}/decline`, m.cookie)).text()).toContain(warning);
    expect(await (await get(`/console/orders/${later.id}/decline`, m.cookie)).text()).not.toContain(warning);
  });
});
