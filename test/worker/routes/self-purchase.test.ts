// Self-referral protection: a creator who buys through their own code or link (the customer's email is their
// account email) gets the order recorded and credited, earns nothing on it and climbs no tier with it, unless
// their brand lets creators earn on their own orders. The customer's email is never stored.
import { createExecutionContext, createMessageBatch, env, getQueueResult, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import shopifyOrderRaw from '../../fixtures/shopify-orders-create.json?raw';
import stripeSessionRaw from '../../fixtures/stripe-checkout-session-completed.json?raw';
import invoicePaidRaw from '../../fixtures/stripe-invoice-paid.json?raw';
import signatures from '../../fixtures/signatures.json';
import type { ClickMessage } from '../../../worker/domain/clicks';
import type { Env } from '../../../worker/env';
import worker from '../../../worker/index';
import { parseCsv } from '../../../worker/lib/csv';
import { signShopify, signTimestamped } from '../../../worker/lib/signatures';
import { BASE, clickMessage, connectStores, createMoneyBrand, json, rowCount, signedPost } from '../fixtures';
import { adminUser, consoleBrand, get, post, signIn } from '../console-fixtures';
import { portalTestDefaults, signedInCreator } from '../portal-fixtures';

type MoneyBrand = Awaited<ReturnType<typeof createMoneyBrand>>;
type Commission = { amountMinor: number; rateBps: number | null; tier: number | null; availableAt: string | null; reason: string | null };
type Conversion = { id: string; orderId: string; attribution: string; creator: { handle: string } | null; commission: Commission | null; selfPurchase: boolean; renewalOf: string | null };

let n = 0;
const uniq = () => `${Date.now()}${n++}`;
const emailOf = (m: MoneyBrand) => `${m.handle}@creators.test`;

async function order(m: MoneyBrand, body: Record<string, unknown>, status = 201): Promise<Conversion> {
  const res = await signedPost(m.brand, m.ingestKey, '/v1/conversions', { orderId: `sp-${uniq()}`, amountMinor: 10_000, currency: 'USD', occurredAt: new Date().toISOString(), code: m.code, ...body });
  expect(res.status).toBe(status);
  return (await json<{ data: Conversion }>(res)).data;
}

const ledgerOf = async (brandId: string) =>
  (await env.DB.prepare('SELECT kind, amount_minor, basis_minor, conversion_id FROM ledger_entries WHERE brand_id = ? ORDER BY created_at, rowid').bind(brandId).all<{ kind: string; amount_minor: number; basis_minor: number; conversion_id: string }>()).results;
const selfPurchaseOf = (conversionId: string) => env.DB.prepare('SELECT self_purchase, buyer_creator_ids FROM conversions WHERE id = ?').bind(conversionId).first<{ self_purchase: number; buyer_creator_ids: string | null }>();

const WITHHELD = { amountMinor: 0, rateBps: null, tier: null, availableAt: null, reason: 'self_purchase' };

describe('POST /v1/conversions with the customer email', () => {
  it("records and credits the creator's own order with a commission of 0 and its reason, writes no ledger entry, and stores no email", async () => {
    const m = await createMoneyBrand();
    const own = await order(m, { customerEmail: emailOf(m) });
    expect(own).toMatchObject({ attribution: 'code', creator: { handle: m.handle }, commission: WITHHELD, selfPurchase: true });
    expect(await ledgerOf(m.brand.brandId)).toEqual([]);
    expect(await selfPurchaseOf(own.id)).toEqual({ self_purchase: 1, buyer_creator_ids: null });
    // Data minimisation: the address is in no row Chorus keeps for the order.
    const row = await env.DB.prepare('SELECT * FROM conversions WHERE id = ?').bind(own.id).first();
    expect(JSON.stringify(row)).not.toContain('@');
  });

  it('does not count toward the tier: a self-purchase past the next tier leaves the next order at the first rate', async () => {
    const m = await createMoneyBrand();
    // 2,000.00 of the creator's own orders: past 1,000.00, where 15% starts.
    await order(m, { amountMinor: 200_000, customerEmail: emailOf(m) });
    const next = await order(m, { amountMinor: 10_000, customerEmail: 'dana@shoppers.test' });
    expect(next).toMatchObject({ selfPurchase: false, commission: { amountMinor: 1_000, rateBps: 1_000, tier: 1, reason: null } });
    expect((await ledgerOf(m.brand.brandId)).map((l) => [l.kind, l.amount_minor, l.basis_minor])).toEqual([['commission', 1_000, 10_000]]);
  });

  it.each([
    ['in upper case', (e: string) => e.toUpperCase()],
    ['with a +tag', (e: string) => e.replace('@', '+shop@')],
  ])("knows the creator's own address %s", async (_, variant) => {
    const m = await createMoneyBrand();
    expect((await order(m, { customerEmail: variant(emailOf(m)) })).commission).toEqual(WITHHELD);
  });

  it("knows a Gmail creator's address with dots moved, googlemail.com and a +tag", async () => {
    const m = await createMoneyBrand();
    const gmail = `${m.handle.replace(/_/g, '')}.glow@gmail.com`;
    await env.DB.prepare('UPDATE creators SET email = ? WHERE id = ?').bind(gmail, m.creator.id).run();
    const moved = gmail.replace('.glow@gmail.com', 'glow+x@GoogleMail.com').replace(/^(.)/, '$1.');
    expect((await order(m, { customerEmail: moved })).commission).toEqual(WITHHELD);
    // Dots count everywhere but Gmail.
    await env.DB.prepare('UPDATE creators SET email = ? WHERE id = ?').bind(`s.a.${emailOf(m)}`, m.creator.id).run();
    expect((await order(m, { customerEmail: `sa${emailOf(m)}` })).selfPurchase).toBe(false);
  });

  it('earns as usual for another customer, and with no email at all', async () => {
    const m = await createMoneyBrand();
    const other = await order(m, { customerEmail: `someone.${emailOf(m)}` });
    expect(other).toMatchObject({ selfPurchase: false, commission: { amountMinor: 1_000, reason: null } });
    const none = await order(m, {});
    expect(none).toMatchObject({ selfPurchase: false, commission: { amountMinor: 1_000, reason: null } });
    const nulled = await order(m, { customerEmail: null });
    expect(nulled).toMatchObject({ selfPurchase: false, commission: { amountMinor: 1_000 } });
  });

  it('earns, and counts toward the tier, when the brand lets creators earn on their own orders; only orders arriving after the change', async () => {
    const m = await createMoneyBrand();
    const before = await order(m, { amountMinor: 200_000, customerEmail: emailOf(m) });
    const res = await m.brand.api('PATCH', '/api/admin/brand', { selfPurchasesEarn: true });
    expect(res.status).toBe(200);
    expect((await json<{ data: { selfPurchasesEarn: boolean } }>(res)).data.selfPurchasesEarn).toBe(true);
    const allowed = await order(m, { amountMinor: 200_000, customerEmail: emailOf(m) });
    expect(allowed).toMatchObject({ selfPurchase: true, commission: { amountMinor: 30_000, rateBps: 1_500, tier: 2, reason: null } });
    expect(await selfPurchaseOf(allowed.id)).toEqual({ self_purchase: 2, buyer_creator_ids: null });
    // The order before the change keeps what it earned then: nothing.
    const listed = await json<{ data: { orderId: string; selfPurchase: boolean; commission: unknown }[] }>(await m.brand.api('GET', `/api/admin/conversions?orderId=${before.orderId}`));
    expect(listed.data).toEqual([expect.objectContaining({ selfPurchase: true, commission: null })]);
    expect((await m.brand.api('PATCH', '/api/admin/brand', { selfPurchasesEarn: 'yes' })).status).toBe(422);
  });

  it('refuses an overlong or mistyped customerEmail with 422 and writes nothing, and takes any other text as no evidence', async () => {
    const m = await createMoneyBrand();
    for (const customerEmail of [`${'x'.repeat(250)}@creators.test`, 42, { email: 'x' }]) {
      const res = await signedPost(m.brand, m.ingestKey, '/v1/conversions', { orderId: `bad-${uniq()}`, amountMinor: 10_000, currency: 'USD', occurredAt: new Date().toISOString(), code: m.code, customerEmail });
      expect(res.status).toBe(422);
      const body = await json<{ error: { code: string; details: { issues: { path: string }[] } } }>(res);
      expect(body.error.code).toBe('validation_failed');
      expect(body.error.details.issues.map((i) => i.path)).toEqual(['customerEmail']);
    }
    expect(await rowCount('SELECT count(*) AS n FROM conversions WHERE brand_id = ?', m.brand.brandId)).toBe(0);
    // A store's odd value (empty, not an address, an address zod would refuse) never costs the creator the order.
    for (const customerEmail of ['', 'not-an-email', 'dana@bücher.de', 'a!b@shop.test']) {
      const res = await signedPost(m.brand, m.ingestKey, '/v1/conversions', { orderId: `odd-${uniq()}`, amountMinor: 10_000, currency: 'USD', occurredAt: new Date().toISOString(), code: m.code, customerEmail });
      expect(res.status, customerEmail).toBe(201);
      expect((await json<{ data: Conversion }>(res)).data.selfPurchase).toBe(false);
    }
    // With spaces around it, the creator's own address is still theirs.
    expect((await order(m, { customerEmail: ` ${emailOf(m)} ` })).commission).toEqual(WITHHELD);
  });

  it('keeps the email out of the payload a replay is compared by, and so out of the stored hash', async () => {
    const m = await createMoneyBrand();
    const base = { orderId: `rp-${uniq()}`, amountMinor: 10_000, currency: 'USD', occurredAt: new Date().toISOString(), code: m.code };
    expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', base)).status).toBe(201);
    expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', base)).status).toBe(200);
    expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', { ...base, customerEmail: null })).status).toBe(200);
    // Evidence sent late changes nothing: the order replays as recorded, so the stored hash is the one of the
    // order without its email (a guessed address cannot be tested against it).
    const late = await signedPost(m.brand, m.ingestKey, '/v1/conversions', { ...base, customerEmail: emailOf(m) });
    expect(late.status).toBe(200);
    expect((await json<{ data: Conversion }>(late)).data.selfPurchase).toBe(false);

    const own = { ...base, orderId: `rp-${uniq()}`, customerEmail: emailOf(m) };
    expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', own)).status).toBe(201);
    for (const again of [own, { ...own, customerEmail: emailOf(m).toUpperCase() }, { ...own, customerEmail: 'dana@shoppers.test' }]) {
      const replay = await signedPost(m.brand, m.ingestKey, '/v1/conversions', again);
      expect(replay.status).toBe(200);
      expect((await json<{ data: Conversion }>(replay)).data.commission).toEqual(WITHHELD);
    }
    expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', { ...own, amountMinor: 10_001 })).status).toBe(409);
  });

  it("compares the brand's own copy of an invited creator's address, never the account's", async () => {
    const m = await createMoneyBrand({ accepted: false });
    const copy = (await env.DB.prepare('SELECT email FROM brand_creators WHERE brand_id = ? AND creator_id = ?').bind(m.brand.brandId, m.creator.id).first<string>('email'))!;
    const account = `moved-${uniq()}@private.test`;
    await env.DB.prepare('UPDATE creators SET email = ? WHERE id = ?').bind(account, m.creator.id).run();
    expect((await order(m, { customerEmail: account })).selfPurchase).toBe(false);
    expect((await order(m, { customerEmail: copy })).selfPurchase).toBe(true);
  });
});

describe('the money of a self-purchase', () => {
  it('takes nothing back on a refund: no negative entry, and the tier revenue stays as it was', async () => {
    const m = await createMoneyBrand();
    const own = await order(m, { customerEmail: emailOf(m) });
    const res = await signedPost(m.brand, m.ingestKey, '/v1/refunds', { refundId: `rf-${uniq()}`, orderId: own.orderId, amountMinor: 10_000, currency: 'USD', occurredAt: new Date().toISOString() });
    expect(res.status).toBe(201);
    expect((await json<{ data: { status: string; reversal: unknown } }>(res)).data).toMatchObject({ status: 'applied', reversal: null });
    expect(await ledgerOf(m.brand.brandId)).toEqual([]);
  });

  it('never reaches the performance bonus threshold of a hybrid plan', async () => {
    const m = await createMoneyBrand({ paymentModel: 'hybrid', bonus: { thresholdMinor: 50_000, amountMinor: 5_000 } });
    await order(m, { amountMinor: 60_000, customerEmail: emailOf(m) });
    await order(m, { amountMinor: 10_000 });
    expect((await ledgerOf(m.brand.brandId)).map((l) => l.kind)).toEqual(['commission']);
    // The threshold is met by other customers' orders alone.
    await order(m, { amountMinor: 40_000 });
    expect((await ledgerOf(m.brand.brandId)).map((l) => l.kind)).toEqual(['commission', 'commission', 'bonus']);
  });

  it('is told to the brand: the admin API, the CSV export and the conversion.created webhook carry the flag', async () => {
    const m = await createMoneyBrand();
    const hook = await m.brand.api('POST', '/api/admin/webhooks/endpoints', { url: 'http://127.0.0.1:9/hooks', events: ['conversion.created', 'conversion.reversed'] });
    expect(hook.status).toBe(201);
    const own = await order(m, { customerEmail: emailOf(m) });
    const other = await order(m, { customerEmail: 'dana@shoppers.test' });
    await signedPost(m.brand, m.ingestKey, '/v1/refunds', { refundId: `rf-${uniq()}`, orderId: own.orderId, amountMinor: 5_000, currency: 'USD', occurredAt: new Date().toISOString() });

    const listed = await json<{ data: { orderId: string; selfPurchase: boolean; commission: { amountMinor: number } | null }[] }>(await m.brand.api('GET', '/api/admin/conversions'));
    expect(Object.fromEntries(listed.data.map((o) => [o.orderId, [o.selfPurchase, o.commission?.amountMinor ?? null]]))).toEqual({ [own.orderId]: [true, null], [other.orderId]: [false, 1_000] });

    const [header, ...rows] = parseCsv(await (await m.brand.api('GET', '/api/admin/conversions/export.csv')).text()).map((r) => r.cells);
    const csv = rows.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]])));
    expect(csv.find((r) => r.order_id === own.orderId)).toMatchObject({ self_purchase: 'yes', commission: '0.00', commission_status: '' });
    expect(csv.find((r) => r.order_id === other.orderId)).toMatchObject({ self_purchase: 'no', commission: '10.00' });

    const events = (await env.DB.prepare('SELECT type, payload FROM webhook_events WHERE brand_id = ? ORDER BY created_at, id').bind(m.brand.brandId).all<{ type: string; payload: string }>()).results;
    const payloads = events.map((e) => ({ type: e.type, ...(JSON.parse(e.payload) as { conversion: { orderId: string; selfPurchase: boolean; commission?: unknown } }) }));
    expect(payloads.find((p) => p.type === 'conversion.created' && p.conversion.orderId === own.orderId)?.conversion).toMatchObject({
      selfPurchase: true,
      commission: { amountMinor: 0, currency: 'USD', rateBps: null, tier: null, period: null, availableAt: null, reason: 'self_purchase' },
    });
    expect(payloads.find((p) => p.type === 'conversion.created' && p.conversion.orderId === other.orderId)?.conversion).toMatchObject({ selfPurchase: false, commission: { amountMinor: 1_000, reason: null } });
    expect(payloads.find((p) => p.type === 'conversion.reversed')).toMatchObject({ conversion: { orderId: own.orderId, selfPurchase: true }, reversal: null });
    expect(events.map((e) => e.payload).join('')).not.toContain(m.handle + '@');
    await env.DB.prepare('UPDATE webhook_endpoints SET enabled = 0 WHERE brand_id = ?').bind(m.brand.brandId).run();
  });
});

// ---------- Store webhooks ----------

async function stores() {
  const m = await createMoneyBrand();
  return { ...m, ...(await connectStores(m.brand, 'own')) };
}
const shopify = async (shop: string, topic: string, body: unknown) => {
  const raw = JSON.stringify(body);
  return SELF.fetch(`${BASE}/v1/webhooks/shopify`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-shopify-shop-domain': shop, 'x-shopify-topic': topic, 'x-shopify-hmac-sha256': await signShopify(signatures.shopifySecret, raw) }, body: raw });
};
const stripe = async (account: string, event: unknown) => {
  const raw = JSON.stringify(event);
  return SELF.fetch(`${BASE}/v1/webhooks/stripe/${account}`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': await signTimestamped(signatures.stripeSecret, raw, Date.now()) }, body: raw });
};
const receipt = async (res: Response) => {
  expect(res.status).toBe(200);
  return (await json<{ data: Conversion }>(res)).data;
};

describe('store webhooks', () => {
  it("read the creator's email from a Shopify order: its email, else its customer's, else its contact email", async () => {
    const m = await stores();
    const shopifyOrder = (patch: Record<string, unknown>) => ({ ...JSON.parse(shopifyOrderRaw), id: Number(uniq()), created_at: new Date().toISOString(), discount_codes: [{ code: m.code, amount: '14.85', type: 'percentage' }], ...patch });
    const ownOrder = shopifyOrder({ email: emailOf(m).toUpperCase() });
    const own = await receipt(await shopify(m.shop, 'orders/create', ownOrder));
    expect(own).toMatchObject({ creator: { handle: m.handle }, commission: WITHHELD, selfPurchase: true });
    const byCustomer = await receipt(await shopify(m.shop, 'orders/create', shopifyOrder({ email: null, customer: { id: 1, email: emailOf(m) } })));
    expect(byCustomer.selfPurchase).toBe(true);
    const byContact = await receipt(await shopify(m.shop, 'orders/create', shopifyOrder({ email: '', customer: null, contact_email: emailOf(m) })));
    expect(byContact.selfPurchase).toBe(true);
    // The fixture's own shopper earns the creator a commission.
    const shopper = await receipt(await shopify(m.shop, 'orders/create', shopifyOrder({})));
    expect(shopper).toMatchObject({ selfPurchase: false, commission: { reason: null } });
    expect(shopper.commission!.amountMinor).toBeGreaterThan(0);
    // orders/paid of the same order settles to it.
    expect(await receipt(await shopify(m.shop, 'orders/paid', ownOrder))).toEqual(own);
    expect((await ledgerOf(m.brand.brandId)).map((l) => l.conversion_id)).toEqual([shopper.id]);
  });

  it("read it from a Stripe Checkout Session's customer details", async () => {
    const m = await stores();
    const session = (customer: Record<string, unknown>) => {
      const event = JSON.parse(stripeSessionRaw);
      Object.assign(event.data.object, { payment_intent: `pi_${uniq()}`, metadata: { chorus_code: m.code }, created: Math.floor(Date.now() / 1000) }, customer);
      return event;
    };
    expect(await receipt(await stripe(m.stripeAccount, session({ customer_details: { email: emailOf(m), name: 'Sarah' } })))).toMatchObject({ commission: WITHHELD, selfPurchase: true });
    expect(await receipt(await stripe(m.stripeAccount, session({ customer_details: { email: null }, customer_email: emailOf(m) })))).toMatchObject({ selfPurchase: true });
    expect(await receipt(await stripe(m.stripeAccount, session({ customer_details: { email: 'dana@shoppers.test' } })))).toMatchObject({ selfPurchase: false, commission: { reason: null } });
  });

  it("takes a subscription's renewals of a self-purchase as self-purchases, whatever email their invoice carries", async () => {
    const m = await stores();
    expect((await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { renewalMonths: 12 })).status).toBe(200);
    const subscription = `sub_${uniq()}`;
    const invoice = (id: string, customerEmail: string | null, at: number) => {
      const event = JSON.parse(invoicePaidRaw);
      const o = event.data.object;
      Object.assign(o, { id, customer_email: customerEmail, created: Math.floor(at / 1000) - 3600, status_transitions: { ...o.status_transitions, paid_at: Math.floor(at / 1000) } });
      o.parent.subscription_details = { subscription, metadata: { chorus_code: m.code } };
      return event;
    };
    const first = await receipt(await stripe(m.stripeAccount, invoice(`in_${uniq()}`, emailOf(m), Date.now() - 60_000)));
    expect(first).toMatchObject({ attribution: 'code', commission: WITHHELD, selfPurchase: true });
    const renewal = await receipt(await stripe(m.stripeAccount, invoice(`in_${uniq()}`, null, Date.now())));
    expect(renewal).toMatchObject({ renewalOf: first.orderId, commission: WITHHELD, selfPurchase: true });
    expect(await ledgerOf(m.brand.brandId)).toEqual([]);
  });
});

// ---------- An order whose click lands after it ----------

async function deliver(clicks: ClickMessage[]) {
  const batch = createMessageBatch<ClickMessage[]>('chorus-clicks', [{ id: `msg-${uniq()}`, timestamp: new Date(), attempts: 1, body: clicks }]);
  const ctx = createExecutionContext();
  await worker.queue(batch, env as Env, ctx);
  return getQueueResult(batch, ctx);
}

describe('an order waiting for its click', () => {
  it('withholds it when two of the brand\'s creators reach the same mailbox and the click is either\'s', async () => {
    const m = await createMoneyBrand();
    const box = `jane${uniq().replace(/[^a-z0-9]/gi, '')}`;
    await env.DB.prepare('UPDATE creators SET email = ? WHERE id = ?').bind(`${box.slice(0, 4)}.${box.slice(4)}@gmail.com`, m.creator.id).run();
    // Another account of the brand's roster, read first, that Gmail delivers to the same mailbox.
    expect((await m.brand.api('POST', '/api/admin/creators', { email: `${box}@gmail.com`, handle: `twin_${uniq()}`.slice(0, 30), displayName: 'Twin' })).status).toBe(201);
    const click = clickMessage({ brandId: m.brand.brandId, linkId: m.link.id, at: Date.now() - 60_000 });
    const waiting = await order(m, { code: null, clickId: click.id, customerEmail: `${box}+x@googlemail.com` });
    expect(JSON.parse((await selfPurchaseOf(waiting.id))!.buyer_creator_ids!)).toHaveLength(2);
    await deliver([click]);
    expect(await selfPurchaseOf(waiting.id)).toEqual({ self_purchase: 1, buyer_creator_ids: null });
    expect(await ledgerOf(m.brand.brandId)).toEqual([]);
  });

  it("keeps which creator the customer is, not the address, and withholds the commission when that creator's click lands", async () => {
    const m = await createMoneyBrand();
    const click = clickMessage({ brandId: m.brand.brandId, linkId: m.link.id, at: Date.now() - 60_000 });
    const waiting = await order(m, { code: null, clickId: click.id, customerEmail: emailOf(m).toUpperCase() });
    expect(waiting).toMatchObject({ attribution: 'none', commission: null, selfPurchase: false });
    expect(await selfPurchaseOf(waiting.id)).toEqual({ self_purchase: 0, buyer_creator_ids: JSON.stringify([m.creator.id]) });
    await deliver([click]);
    expect(await env.DB.prepare('SELECT attribution, self_purchase, buyer_creator_ids FROM conversions WHERE id = ?').bind(waiting.id).first()).toEqual({ attribution: 'click', self_purchase: 1, buyer_creator_ids: null });
    expect(await ledgerOf(m.brand.brandId)).toEqual([]);
  });

  it('earns as usual when another customer bought, and keeps nothing about them', async () => {
    const m = await createMoneyBrand();
    const click = clickMessage({ brandId: m.brand.brandId, linkId: m.link.id, at: Date.now() - 60_000 });
    const waiting = await order(m, { code: null, clickId: click.id, customerEmail: 'dana@shoppers.test' });
    expect(await selfPurchaseOf(waiting.id)).toEqual({ self_purchase: 0, buyer_creator_ids: null });
    await deliver([click]);
    expect((await ledgerOf(m.brand.brandId)).map((l) => [l.kind, l.amount_minor])).toEqual([['commission', 1_000]]);
  });
});

// ---------- The console and the creator portal ----------

describe('the console', () => {
  portalTestDefaults();

  it('labels a self-purchase on the Orders page, and one the brand let earn', async () => {
    const m = await consoleBrand('viewer');
    const own = await order(m, { customerEmail: emailOf(m) });
    const other = await order(m, { customerEmail: 'dana@shoppers.test' });
    const html = await (await get('/console/orders', m.cookie)).text();
    const rowOf = (orderId: string) => {
      const at = html.indexOf(orderId);
      return html.slice(at, html.indexOf('</tr>', at));
    };
    expect(rowOf(own.orderId)).toContain('Self-purchase · no commission');
    expect(rowOf(other.orderId)).not.toContain('Self-purchase');
    expect(rowOf(other.orderId)).toContain('$10.00');
    expect((await m.brand.api('PATCH', '/api/admin/brand', { selfPurchasesEarn: true })).status).toBe(200);
    const allowed = await order(m, { customerEmail: emailOf(m) });
    const after = await (await get('/console/orders', m.cookie)).text();
    const allowedRow = after.slice(after.indexOf(allowed.orderId), after.indexOf('</tr>', after.indexOf(allowed.orderId)));
    expect(allowedRow).toContain('Self-purchase, earning as your settings allow');
    expect(allowedRow).not.toContain('no commission');
  });

  it("lets an owner choose whether creators earn on their own orders, behind the origin check, and nobody else", async () => {
    const m = await consoleBrand('owner');
    const fields = { allowedHosts: 'shop.example\n*.shop.example', fallbackUrl: '', clickParam: 'cid' };
    const earns = async () => (await env.DB.prepare('SELECT self_purchases_earn FROM brands WHERE id = ?').bind(m.brand.brandId).first<number>('self_purchases_earn')) === 1;
    const page = await (await get('/console/settings', m.cookie)).text();
    expect(page).toMatch(/<input type="radio" name="selfPurchasesEarn" value="no" checked=""/);

    // A form from another origin changes nothing.
    expect((await post('/console/settings', { ...fields, selfPurchasesEarn: 'yes' }, { cookie: m.cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect(await earns()).toBe(false);
    for (const role of ['manager', 'viewer'] as const) {
      const cookie = await signIn((await adminUser(m.brand.brandId, role)).email);
      // Read-only for them, as the other settings are.
      expect(await (await get('/console/settings', cookie)).text()).toMatch(/<fieldset class="card stack" disabled=""><legend class="card-legend">Creators&#39; own orders/);
      expect((await post('/console/settings', { ...fields, selfPurchasesEarn: 'yes' }, { cookie })).status).toBe(403);
    }
    expect(await earns()).toBe(false);

    const saved = await post('/console/settings', { ...fields, selfPurchasesEarn: 'yes' }, { cookie: m.cookie });
    expect(saved.status).toBe(303);
    expect(await earns()).toBe(true);
    expect(await (await get('/console/settings', m.cookie)).text()).toMatch(/<input type="radio" name="selfPurchasesEarn" value="yes" checked=""/);
    expect(await rowCount(`SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'brand.updated' AND details LIKE '%selfPurchasesEarn%'`, m.brand.brandId)).toBe(1);
    // A form drawn before the choice existed leaves it as it is; a value that is neither is refused in place.
    expect((await post('/console/settings', fields, { cookie: m.cookie })).status).toBe(303);
    expect(await earns()).toBe(true);
    const bad = await post('/console/settings', { ...fields, selfPurchasesEarn: 'maybe' }, { cookie: m.cookie });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain('Creators&#39; own orders: choose whether they earn commission.');
    expect((await post('/console/settings', { ...fields, selfPurchasesEarn: 'no' }, { cookie: m.cookie })).status).toBe(303);
    expect(await earns()).toBe(false);
  });
});

describe('the creator portal', () => {
  portalTestDefaults();

  it('tells the creator their own order earned nothing, and why', async () => {
    const m = await signedInCreator();
    const own = await order(m, { customerEmail: m.email });
    const other = await order(m, { customerEmail: 'dana@shoppers.test' });
    const html = await (await get(`/stats/${m.enrollment.id}`, m.cookie)).text();
    const list = html.slice(html.indexOf('Your latest orders'));
    const itemOf = (orderId: string) => {
      const at = list.indexOf(orderId.slice(-4));
      return list.slice(list.lastIndexOf('<li>', at), at);
    };
    expect(itemOf(own.orderId)).toContain('Your own order: no commission');
    expect(itemOf(other.orderId)).not.toContain('Your own order');
    expect(html).toContain('An order you place yourself, paying with the email you sign in with, earns no commission');
  });
});
