import { createExecutionContext, env, SELF, waitOnExecutionContext } from 'cloudflare:test';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import worker from '../../../worker/index';
import { priceConversion } from '../../../worker/domain/commission';
import { creatorEarnings } from '../../../worker/db/creator-portal';
import { FILL_BASIS_PERIODS } from '../../../worker/db/money';
import type { Env } from '../../../worker/env';
import { signTimestamped } from '../../../worker/lib/signatures';
import dateEndedCampaigns from '../../../migrations/0009_date_ended_campaigns.sql?raw';
import { BASE, createBrand, createLinkedCreator, createMoneyBrand, d1With, issueKey, json, rowCount, signedPost, storeRawClick, TIERS, waitFor } from '../fixtures';

type ConversionData = {
  data: { id: string; orderId: string; attribution: string; creator: { handle: string } | null; commission: { amountMinor: number; rateBps: number; tier: number; availableAt: string } | null };
};
type RefundData = { data: { status: string; reversal: { amountMinor: number } | null } };
type ErrorBody = { error: { code: string; details?: { reason?: string } } };

let orderCounter = 0;
const orderId = () => `order-${Date.now()}-${orderCounter++}`;
const NOW_ISO = () => new Date().toISOString();

const conversion = (overrides: Record<string, unknown> = {}) => ({ orderId: orderId(), amountMinor: 10_000, currency: 'USD', occurredAt: NOW_ISO(), ...overrides });

const ledgerSum = async (brandId: string) => rowCount('SELECT COALESCE(SUM(amount_minor), 0) AS n FROM ledger_entries WHERE brand_id = ?', brandId);

describe('POST /v1/conversions signatures', () => {
  it('accepts a correctly signed call and answers 201', async () => {
    const m = await createMoneyBrand();
    const res = await signedPost(m.brand, m.ingestKey, '/v1/conversions', conversion());
    expect(res.status).toBe(201);
  });

  it('rejects missing, malformed, wrong-secret, stale and future signatures with 401 and writes nothing', async () => {
    const m = await createMoneyBrand();
    const body = JSON.stringify(conversion());
    const post = (headers: Record<string, string>) =>
      SELF.fetch(`${BASE}/v1/conversions`, { method: 'POST', headers: { 'content-type': 'application/json', 'chorus-account': m.brand.slug, ...headers }, body });
    const now = Date.now();
    const cases: [Record<string, string>, string][] = [
      [{}, 'missing'],
      [{ 'chorus-signature': 'garbage' }, 'malformed'],
      [{ 'chorus-signature': 't=abc,v1=00' }, 'malformed'],
      [{ 'chorus-signature': `t=${Math.floor(now / 1000)}` }, 'malformed'],
      [{ 'chorus-signature': await signTimestamped('ck_ingest_wrong_secret_000000000', body, now) }, 'mismatch'],
      [{ 'chorus-signature': await signTimestamped(m.ingestKey, body, now - 301_000) }, 'stale'],
      // Time passes between signing and the request landing (seconds on a loaded machine), which moves a
      // future stamp toward the window: 30 s of margin, where the stale case only drifts further out.
      [{ 'chorus-signature': await signTimestamped(m.ingestKey, body, now + 330_000) }, 'future'],
      [{ 'chorus-signature': await signTimestamped(m.ingestKey, body, now), 'chorus-account': 'no-such-brand' }, 'mismatch'],
      [{ 'chorus-signature': await signTimestamped(m.ingestKey, body, now), 'chorus-account': '' }, 'missing_account'],
    ];
    for (const [headers, reason] of cases) {
      const res = await post(headers);
      expect(res.status, reason).toBe(401);
      const error = (await json<ErrorBody>(res)).error;
      expect(error.code).toBe('invalid_signature');
      expect(error.details?.reason).toBe(reason);
    }
    expect(await rowCount('SELECT count(*) AS n FROM conversions WHERE brand_id = ?', m.brand.brandId)).toBe(0);
    // A call without the account header is told which header it left out.
    const res = await SELF.fetch(`${BASE}/v1/conversions`, { method: 'POST', headers: { 'content-type': 'application/json', 'chorus-signature': await signTimestamped(m.ingestKey, body, now) }, body });
    expect((await json<{ error: { message: string } }>(res)).error.message).toBe('The Chorus-Account header is missing: send your brand slug with the signature.');
  });

  it('accepts timestamps inside the tolerance in both directions', async () => {
    const m = await createMoneyBrand();
    expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', conversion(), { at: Date.now() - 290_000 })).status).toBe(201);
    expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', conversion(), { at: Date.now() + 290_000 })).status).toBe(201);
  });

  it('rejects a replayed signature over a changed body', async () => {
    const m = await createMoneyBrand();
    const body = JSON.stringify(conversion());
    const signature = await signTimestamped(m.ingestKey, body, Date.now());
    const tampered = body.replace('10000', '99999');
    const res = await SELF.fetch(`${BASE}/v1/conversions`, { method: 'POST', headers: { 'chorus-account': m.brand.slug, 'chorus-signature': signature }, body: tampered });
    expect(res.status).toBe(401);
  });

  it('accepts several v1 values during rotation, and a revoked key stops verifying', async () => {
    const m = await createMoneyBrand();
    const newKey = await issueKey(m.brand, 'ingest');
    // Signed with an unknown secret and the current one: any matching v1 is enough.
    expect((await signedPost(m.brand, 'ck_ingest_retired_secret_0000000000', '/v1/conversions', conversion(), { extraSecrets: [newKey] })).status).toBe(201);
    const keys = await json<{ data: { id: string; scope: string; prefix: string }[] }>(await m.brand.api('GET', '/api/admin/keys'));
    const old = keys.data.find((k) => k.scope === 'ingest' && m.ingestKey.startsWith(k.prefix))!;
    await m.brand.api('DELETE', `/api/admin/keys/${old.id}`);
    expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', conversion())).status).toBe(401);
    expect((await signedPost(m.brand, newKey, '/v1/conversions', conversion())).status).toBe(201);
  });

  it('records no money in a currency or timezone the brand left while this isolate still had the old one cached', async () => {
    const brand = await createBrand();
    const key = await issueKey(brand, 'ingest');
    // A refused order loads this isolate's copy of the brand (USD, UTC) and writes nothing.
    expect((await signedPost(brand, key, '/v1/conversions', conversion({ currency: 'JPY' }))).status).toBe(422);
    // Another isolate changes the currency before the first order (its PATCH forgets only its own copy).
    await env.DB.prepare("UPDATE brands SET currency = 'EUR' WHERE id = ?").bind(brand.brandId).run();
    const order = conversion();
    const stale = await signedPost(brand, key, '/v1/conversions', order);
    expect(stale.status).toBe(422);
    expect((await json<ErrorBody & { error: { details: unknown } }>(stale)).error).toMatchObject({ code: 'currency_mismatch', details: { expected: 'EUR', received: 'USD' } });
    const early = { refundId: `r-${order.orderId}`, orderId: order.orderId, amountMinor: 100, currency: 'USD', occurredAt: NOW_ISO() };
    expect((await signedPost(brand, key, '/v1/refunds', early)).status).toBe(422);
    expect(await rowCount('SELECT count(*) AS n FROM conversions WHERE brand_id = ?', brand.brandId)).toBe(0);
    expect(await rowCount('SELECT count(*) AS n FROM refunds WHERE brand_id = ?', brand.brandId)).toBe(0);
    // The new currency is taken at once, not only once the cached copy expires.
    expect((await signedPost(brand, key, '/v1/refunds', { ...early, currency: 'EUR' })).status).toBe(201);
    expect((await signedPost(brand, key, '/v1/conversions', { ...order, currency: 'EUR' })).status).toBe(201);

    // A timezone changed the same way: the first order's commission lands in the period of the new one.
    const m = await createMoneyBrand();
    expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', conversion({ currency: 'JPY' }))).status).toBe(422);
    await env.DB.prepare("UPDATE brands SET timezone = 'Pacific/Kiritimati' WHERE id = ?").bind(m.brand.brandId).run();
    // Noon UTC on the last day of a month is the 1st of the next in Kiritimati (UTC+14).
    const lastDay = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 0, 12));
    const next = new Date(lastDay.getTime() + 86_400_000);
    expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', conversion({ code: m.code, occurredAt: lastDay.toISOString() }))).status).toBe(201);
    const period = await env.DB.prepare("SELECT period FROM ledger_entries WHERE brand_id = ? AND kind = 'commission'").bind(m.brand.brandId).first<string>('period');
    expect(period).toBe(`${next.getUTCFullYear()}-${String(next.getUTCMonth() + 1).padStart(2, '0')}`);
  });

  it("refuses an order or refund in another currency than the brand's, writing nothing", async () => {
    const m = await createMoneyBrand();
    const order = conversion({ code: m.code, currency: 'EUR' });
    const res = await signedPost(m.brand, m.ingestKey, '/v1/conversions', order);
    expect(res.status).toBe(422);
    expect((await json<ErrorBody & { error: { details: unknown } }>(res)).error).toMatchObject({ code: 'currency_mismatch', details: { expected: 'USD', received: 'EUR' } });
    const refund = await signedPost(m.brand, m.ingestKey, '/v1/refunds', { refundId: `r-${order.orderId}`, orderId: order.orderId, amountMinor: 100, currency: 'JPY', occurredAt: NOW_ISO() });
    expect(refund.status).toBe(422);
    expect(await rowCount('SELECT count(*) AS n FROM conversions WHERE brand_id = ?', m.brand.brandId)).toBe(0);
    expect(await rowCount('SELECT count(*) AS n FROM refunds WHERE brand_id = ?', m.brand.brandId)).toBe(0);
    // The same order in the brand's currency is then recorded as new.
    expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', { ...order, currency: 'USD' })).status).toBe(201);
  });

  it('takes a refund in the currency its order was recorded in, from before the one-currency rule', async () => {
    const m = await createMoneyBrand();
    const legacyOrderId = orderId();
    await env.DB.prepare("INSERT INTO conversions (id, brand_id, external_order_id, amount_minor, currency, occurred_at, attribution, source, payload_hash, created_at) VALUES (?, ?, ?, 5000, 'EUR', ?, 'none', 'api', 'old', ?)")
      .bind(`cv_old_${legacyOrderId}`, m.brand.brandId, legacyOrderId, Date.now(), Date.now())
      .run();
    const inEuro = await signedPost(m.brand, m.ingestKey, '/v1/refunds', { refundId: `r-${legacyOrderId}`, orderId: legacyOrderId, amountMinor: 1_000, currency: 'EUR', occurredAt: NOW_ISO() });
    expect(inEuro.status).toBe(201);
    const inDollars = await signedPost(m.brand, m.ingestKey, '/v1/refunds', { refundId: `r2-${legacyOrderId}`, orderId: legacyOrderId, amountMinor: 1_000, currency: 'USD', occurredAt: NOW_ISO() });
    expect(inDollars.status).toBe(422);
  });

  it("never lets one brand's key write to another brand", async () => {
    const a = await createMoneyBrand();
    const b = await createMoneyBrand();
    const res = await signedPost(b.brand, a.ingestKey, '/v1/conversions', conversion({ code: b.code }));
    expect(res.status).toBe(401);
    expect(await rowCount('SELECT count(*) AS n FROM conversions WHERE brand_id IN (?, ?)', a.brand.brandId, b.brand.brandId)).toBe(0);
  });

  it('answers hostile bodies with 400/422 and writes nothing', async () => {
    const m = await createMoneyBrand();
    const cases: [unknown, number][] = [
      ['{not json', 400],
      [{ ...conversion(), amountMinor: 10.5 }, 422],
      [{ ...conversion(), amountMinor: '100' }, 422],
      [{ ...conversion(), amountMinor: -5 }, 422],
      [{ ...conversion(), currency: 'usd' }, 422],
      [{ ...conversion(), orderId: 'has space' }, 422],
      [{ ...conversion(), occurredAt: 'yesterday' }, 422],
      [{ ...conversion(), occurredAt: new Date(Date.now() + 3 * 86_400_000).toISOString() }, 422],
      [{ ...conversion(), occurredAt: '0001-06-01T00:00:00Z' }, 422],
      [{ ...conversion(), occurredAt: '1999-12-31T23:59:59Z' }, 422],
      [{ ...conversion(), brandId: 'other' }, 422],
      [{ ...conversion(), code: 'X'.repeat(65) }, 422],
    ];
    for (const [body, status] of cases) expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', body)).status).toBe(status);
    const big = await signedPost(m.brand, m.ingestKey, '/v1/conversions', { ...conversion(), customerRef: 'x'.repeat(70_000) });
    expect(big.status).toBe(413);
    expect(await rowCount('SELECT count(*) AS n FROM conversions WHERE brand_id = ?', m.brand.brandId)).toBe(0);
  });
});

describe('attribution and pricing', () => {
  it('attributes to a valid code, pricing at the tier reached', async () => {
    const m = await createMoneyBrand();
    const res = await json<ConversionData>(await signedPost(m.brand, m.ingestKey, '/v1/conversions', conversion({ code: m.code.toLowerCase(), amountMinor: 25_000 })));
    expect(res.data).toMatchObject({ attribution: 'code', creator: { handle: m.handle }, commission: { amountMinor: 2_500, rateBps: 1000, tier: 1 } });
    expect(await rowCount('SELECT redemptions AS n FROM discount_codes WHERE brand_id = ?', m.brand.brandId)).toBe(1);
  });

  it('attributes to a click inside the window, and records an unknown click or code without guessing', async () => {
    const m = await createMoneyBrand();
    const visit = await SELF.fetch(`${BASE}/r/${m.link.slug}`, { redirect: 'manual', headers: { 'user-agent': 'Mozilla/5.0 (Macintosh) Safari/605.1', 'cf-connecting-ip': '192.0.2.50' } });
    const cid = new URL(visit.headers.get('location')!).searchParams.get('cid')!;
    await waitFor(() => env.DB.prepare('SELECT id FROM clicks WHERE id = ?').bind(cid).first());
    const byClick = await json<ConversionData>(await signedPost(m.brand, m.ingestKey, '/v1/conversions', conversion({ clickId: cid })));
    expect(byClick.data.attribution).toBe('click');
    const unknown = await json<ConversionData>(await signedPost(m.brand, m.ingestKey, '/v1/conversions', conversion({ clickId: 'AAAAAAAAAAAAAAAAAAAAAA', code: 'NOSUCH99' })));
    expect(unknown.data).toMatchObject({ attribution: 'none', creator: null, commission: null });
    const row = await env.DB.prepare('SELECT code_raw, code_id, click_id_raw, click_id FROM conversions WHERE id = ?').bind(unknown.data.id).first();
    expect(row).toEqual({ code_raw: 'NOSUCH99', code_id: null, click_id_raw: 'AAAAAAAAAAAAAAAAAAAAAA', click_id: null });
  });

  it('lets a valid code beat a click, and ignores a click outside the window or after the order', async () => {
    const m = await createMoneyBrand();
    const other = await createMoneyBrand();
    const clickAt = Date.UTC(2026, 9, 1);
    const clickId = 'WINDOWclick0000000000A';
    await storeRawClick({ id: clickId, brandId: m.brand.brandId, linkId: m.link.id, at: clickAt });
    const at = (ms: number) => new Date(ms).toISOString();
    const DAY = 86_400_000;
    const edge = await json<ConversionData>(await signedPost(m.brand, m.ingestKey, '/v1/conversions', conversion({ clickId, occurredAt: at(clickAt + 30 * DAY) })));
    expect(edge.data.attribution).toBe('click');
    const late = await json<ConversionData>(await signedPost(m.brand, m.ingestKey, '/v1/conversions', conversion({ clickId, occurredAt: at(clickAt + 30 * DAY + 1) })));
    expect(late.data.attribution).toBe('none');
    const before = await json<ConversionData>(await signedPost(m.brand, m.ingestKey, '/v1/conversions', conversion({ clickId, occurredAt: at(clickAt - 1) })));
    expect(before.data.attribution).toBe('none');
    // Another brand's click id is unknown here.
    const foreign = await json<ConversionData>(await signedPost(other.brand, other.ingestKey, '/v1/conversions', conversion({ clickId, occurredAt: at(clickAt + DAY) })));
    expect(foreign.data.attribution).toBe('none');
    const codeWins = await json<ConversionData>(await signedPost(m.brand, m.ingestKey, '/v1/conversions', conversion({ clickId, code: m.code, occurredAt: at(clickAt + DAY) })));
    expect(codeWins.data.attribution).toBe('code');
  });

  it('credits no code of an ended campaign (by when the order was placed) or a removed creator, falling back to a click as for an expired code', async () => {
    const m = await createMoneyBrand();
    const other = await createLinkedCreator(m.brand);
    const clickId = 'ENDEDcampaignclick0000A';
    await storeRawClick({ id: clickId, brandId: m.brand.brandId, linkId: other.link.id, at: Date.now() - 60_000 });
    const post = async (overrides: Record<string, unknown>) => (await json<ConversionData>(await signedPost(m.brand, m.ingestKey, '/v1/conversions', conversion({ code: m.code, ...overrides })))).data;
    expect((await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { status: 'ended' })).status).toBe(200);
    expect(await post({})).toMatchObject({ attribution: 'none', creator: null, commission: null });
    expect(await post({ clickId })).toMatchObject({ attribution: 'click', creator: { handle: other.handle } });
    // Ending it dated the end: an order placed before, reported late (a webhook retry, a nightly sync), still earns.
    expect(await post({ occurredAt: new Date(Date.now() - 60_000).toISOString() })).toMatchObject({ attribution: 'code', commission: { amountMinor: 1_000 } });
    expect((await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { status: 'active' })).status).toBe(200);
    expect(await rowCount('SELECT count(*) AS n FROM campaigns WHERE id = ? AND ends_at IS NULL', m.campaign.id)).toBe(1); // reopened
    await env.DB.prepare("UPDATE enrollments SET status = 'removed' WHERE id = ?").bind(m.enrollment.id).run();
    expect(await post({})).toMatchObject({ attribution: 'none', commission: null });
    // The campaign's end date is a time like the code's own window: the order's time decides.
    await env.DB.prepare("UPDATE enrollments SET status = 'active' WHERE id = ?").bind(m.enrollment.id).run();
    await env.DB.prepare('UPDATE campaigns SET ends_at = ? WHERE id = ?').bind(Date.now() - 1_000, m.campaign.id).run();
    expect(await post({ occurredAt: new Date(Date.now() - 60_000).toISOString() })).toMatchObject({ attribution: 'code', commission: { amountMinor: 1_000 } });
    expect(await post({})).toMatchObject({ attribution: 'none', commission: null });
    expect(await ledgerSum(m.brand.brandId)).toBe(2_000);
    expect(await rowCount('SELECT redemptions AS n FROM discount_codes WHERE brand_id = ? AND enrollment_id = ?', m.brand.brandId, m.enrollment.id)).toBe(2);
  });

  it("credits no click of an ended campaign on an order placed after its end, as its codes do not", async () => {
    const m = await createMoneyBrand();
    const clickId = 'ENDEDcampaignclick0000B';
    await storeRawClick({ id: clickId, brandId: m.brand.brandId, linkId: m.link.id, at: Date.now() - 3 * 86_400_000 });
    const post = async (overrides: Record<string, unknown>) => (await json<ConversionData>(await signedPost(m.brand, m.ingestKey, '/v1/conversions', conversion({ clickId, ...overrides })))).data;
    expect((await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { status: 'ended' })).status).toBe(200);
    // Placed before the end and reported late: still earns. Placed after: inside the click's window, but the campaign is over.
    expect(await post({ occurredAt: new Date(Date.now() - 60_000).toISOString() })).toMatchObject({ attribution: 'click', commission: { amountMinor: 1_000 } });
    expect(await post({})).toMatchObject({ attribution: 'none', creator: null, commission: null });
    // A planned end date passed works the same; a campaign ended before ends were dated ends every order.
    expect((await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { status: 'active' })).status).toBe(200);
    await env.DB.prepare('UPDATE campaigns SET ends_at = ? WHERE id = ?').bind(Date.now() - 1_000, m.campaign.id).run();
    expect(await post({})).toMatchObject({ attribution: 'none', commission: null });
    await env.DB.prepare("UPDATE campaigns SET status = 'ended', ends_at = NULL WHERE id = ?").bind(m.campaign.id).run();
    expect(await post({ occurredAt: new Date(Date.now() - 60_000).toISOString() })).toMatchObject({ attribution: 'none', commission: null });
    expect(await ledgerSum(m.brand.brandId)).toBe(1_000);
  });

  it("keeps an ended campaign's end no later than when it ended, also for campaigns ended before ends were dated", async () => {
    const m = await createMoneyBrand();
    const future = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const campaign = () => env.DB.prepare('SELECT status, ends_at FROM campaigns WHERE id = ?').bind(m.campaign.id).first<{ status: string; ends_at: number | null }>();
    const redirect = async () => (await SELF.fetch(`${BASE}/r/${m.link.slug}`, { redirect: 'manual' })).status;
    for (const body of [{ status: 'ended', endsAt: future }, { endsAt: future }, { endsAt: null }]) {
      expect((await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, body)).status, JSON.stringify(body)).toBe(200);
      expect((await campaign())!.ends_at!, JSON.stringify(body)).toBeLessThanOrEqual(Date.now());
    }
    // Once ended, its end only moves earlier: a later date asked for does not reopen the gap.
    const ended = (await campaign())!.ends_at!;
    expect((await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { endsAt: new Date(ended + 60_000).toISOString() })).status).toBe(200);
    expect((await campaign())!.ends_at).toBe(ended);
    // A campaign ended under the old rule kept its planned end, still ahead: migration 0009 pulls it back.
    await env.DB.prepare("UPDATE campaigns SET status = 'ended', ends_at = ? WHERE id = ?").bind(Date.parse(future), m.campaign.id).run();
    await env.DB.prepare(dateEndedCampaigns.replace(/^--.*$/gm, '').trim()).run();
    expect((await campaign())!.ends_at!).toBeLessThanOrEqual(Date.now());
    await new Promise((r) => setTimeout(r, Number(env.LINK_CACHE_TTL_MS ?? 0) + 5));
    expect(await redirect()).toBe(410);
    // One ended with no date keeps none (ended for every order), through the migration and unrelated edits.
    await env.DB.prepare('UPDATE campaigns SET ends_at = NULL WHERE id = ?').bind(m.campaign.id).run();
    await env.DB.prepare(dateEndedCampaigns.replace(/^--.*$/gm, '').trim()).run();
    expect((await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { baselineCostMinor: 1 })).status).toBe(200);
    expect((await campaign())!.ends_at).toBeNull();
    const late = await json<{ data: { attribution: string } }>(await signedPost(m.brand, m.ingestKey, '/v1/conversions', conversion({ code: m.code, occurredAt: new Date(Date.now() - 30 * 86_400_000).toISOString() })));
    expect(late.data.attribution).toBe('none');
    // Created ended with an end ahead: dated now.
    const created = await json<{ data: { endsAt: string } }>(
      await m.brand.api('POST', '/api/admin/campaigns', { name: 'Over', slug: `over-${Date.now()}`, hashtag: '#Over', defaultDestination: 'https://shop.example/', status: 'ended', endsAt: future }),
    );
    expect(Date.parse(created.data.endsAt)).toBeLessThanOrEqual(Date.now());
  });

  it('moves up a tier exactly at the boundary, and a product-model creator earns no cash', async () => {
    const m = await createMoneyBrand();
    const post = async (amountMinor: number) => (await json<ConversionData>(await signedPost(m.brand, m.ingestKey, '/v1/conversions', conversion({ code: m.code, amountMinor })))).data.commission;
    expect(await post(99_999)).toMatchObject({ tier: 1, amountMinor: 9_999 });
    expect(await post(1)).toMatchObject({ tier: 2, rateBps: 1500, amountMinor: 0 });
    expect(await post(400_000)).toMatchObject({ tier: 3, amountMinor: 80_000 });
    const product = await createMoneyBrand({ paymentModel: 'product' });
    const res = await json<ConversionData>(await signedPost(product.brand, product.ingestKey, '/v1/conversions', conversion({ code: product.code })));
    expect(res.data).toMatchObject({ attribution: 'code', commission: null });
    expect(await ledgerSum(product.brand.brandId)).toBe(0);
  });

  it('pays a hybrid creator the performance bonus once when the threshold is reached', async () => {
    const m = await createMoneyBrand({ paymentModel: 'hybrid', bonus: { thresholdMinor: 50_000, amountMinor: 10_000 } });
    for (const amountMinor of [30_000, 30_000, 30_000]) await signedPost(m.brand, m.ingestKey, '/v1/conversions', conversion({ code: m.code, amountMinor }));
    expect(await rowCount("SELECT count(*) AS n FROM ledger_entries WHERE brand_id = ? AND kind = 'bonus'", m.brand.brandId)).toBe(1);
    expect(await ledgerSum(m.brand.brandId)).toBe(9_000 + 10_000);
  });

  it("takes the bonus back when refunds bring the period's net revenue below the threshold, and pays it again when it climbs back", async () => {
    const m = await createMoneyBrand({ paymentModel: 'hybrid', bonus: { thresholdMinor: 50_000, amountMinor: 10_000 } });
    const order = async (amountMinor: number) => {
      const body = conversion({ code: m.code, amountMinor });
      await signedPost(m.brand, m.ingestKey, '/v1/conversions', body);
      return body.orderId;
    };
    const bonuses = () =>
      env.DB.prepare("SELECT amount_minor, available_at, event_key, conversion_id FROM ledger_entries WHERE brand_id = ? AND kind = 'bonus' ORDER BY created_at, rowid")
        .bind(m.brand.brandId)
        .all<{ amount_minor: number; available_at: number; event_key: string; conversion_id: string }>()
        .then((r) => r.results);
    await order(30_000);
    const second = await order(30_000);
    expect((await bonuses()).map((b) => b.amount_minor)).toEqual([10_000]);
    const refund = { refundId: `r-${second}`, orderId: second, amountMinor: 30_000, currency: 'USD', occurredAt: NOW_ISO() };
    expect((await signedPost(m.brand, m.ingestKey, '/v1/refunds', refund)).status).toBe(201);
    const taken = await bonuses();
    expect(taken.map((b) => b.amount_minor)).toEqual([10_000, -10_000]);
    // Netted with the unpaid bonus: never payable before it, and on the order that earned it.
    expect(taken[1]!.available_at).toBeGreaterThanOrEqual(taken[0]!.available_at);
    expect(taken[1]!.conversion_id).toBe(taken[0]!.conversion_id);
    expect(await ledgerSum(m.brand.brandId)).toBe(3_000);
    // The creator's earnings say it as its own line.
    expect((await creatorEarnings(env.DB, m.creator.id, Date.now())).ledger.map((r) => [r.kind, r.amount])).toEqual(expect.arrayContaining([['bonus', 10_000], ['bonus_back', -10_000]]));
    // A replay takes nothing more; a smaller refund of the other order neither (the bonus is gone already).
    expect((await signedPost(m.brand, m.ingestKey, '/v1/refunds', refund)).status).toBe(200);
    expect(await bonuses()).toHaveLength(2);
    await order(30_000);
    expect((await bonuses()).map((b) => b.amount_minor)).toEqual([10_000, -10_000, 10_000]);
    expect(new Set((await bonuses()).map((b) => b.event_key)).size).toBe(3);
    expect(await ledgerSum(m.brand.brandId)).toBe(6_000 + 10_000);
  });

  it('takes a bonus back only when a refund takes the month from the threshold to below it', async () => {
    const m = await createMoneyBrand({ paymentModel: 'hybrid', bonus: { thresholdMinor: 50_000, amountMinor: 10_000 } });
    const orders: string[] = [];
    for (const amountMinor of [30_000, 30_000]) {
      const body = conversion({ code: m.code, amountMinor });
      await signedPost(m.brand, m.ingestKey, '/v1/conversions', body);
      orders.push(body.orderId);
    }
    // A month already below the threshold with its bonus paid (refunds counted elsewhere before take-backs
    // existed): a later small refund leaves the bonus alone.
    await env.DB.prepare("UPDATE ledger_entries SET basis_minor = basis_minor - 20000 WHERE brand_id = ? AND kind = 'commission' AND conversion_id = (SELECT id FROM conversions WHERE external_order_id = ?)").bind(m.brand.brandId, orders[0]).run();
    expect((await signedPost(m.brand, m.ingestKey, '/v1/refunds', { refundId: `r-${orders[1]}`, orderId: orders[1], amountMinor: 100, currency: 'USD', occurredAt: NOW_ISO() })).status).toBe(201);
    expect(await rowCount("SELECT count(*) AS n FROM ledger_entries WHERE brand_id = ? AND kind = 'bonus'", m.brand.brandId)).toBe(1);
  });

  it('fills in the revenue period of entries an older worker wrote without one', async () => {
    const m = await createMoneyBrand();
    const body = conversion({ code: m.code, amountMinor: 20_000 });
    await signedPost(m.brand, m.ingestKey, '/v1/conversions', body);
    await signedPost(m.brand, m.ingestKey, '/v1/refunds', { refundId: `r-${body.orderId}`, orderId: body.orderId, amountMinor: 5_000, currency: 'USD', occurredAt: NOW_ISO() });
    await env.DB.prepare('UPDATE ledger_entries SET basis_period = NULL WHERE brand_id = ?').bind(m.brand.brandId).run();
    await env.DB.prepare(FILL_BASIS_PERIODS).run();
    const rows = await env.DB.prepare('SELECT kind, period, basis_period FROM ledger_entries WHERE brand_id = ? ORDER BY kind').bind(m.brand.brandId).all<{ kind: string; period: string; basis_period: string }>();
    expect(rows.results.map((r) => [r.kind, r.basis_period])).toEqual([['commission', NOW_ISO().slice(0, 7)], ['reversal', NOW_ISO().slice(0, 7)]]);
  });

  it("counts a refund against the tier revenue of its order's month, not the month it arrives in", async () => {
    const m = await createMoneyBrand();
    const now = new Date();
    const lastMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1) - 2 * 86_400_000).toISOString();
    const january = conversion({ code: m.code, amountMinor: 500_000, occurredAt: lastMonth });
    expect((await json<ConversionData>(await signedPost(m.brand, m.ingestKey, '/v1/conversions', january))).data.commission).toMatchObject({ tier: 3, amountMinor: 100_000 });
    expect((await signedPost(m.brand, m.ingestKey, '/v1/refunds', { refundId: `r-${january.orderId}`, orderId: january.orderId, amountMinor: 500_000, currency: 'USD', occurredAt: NOW_ISO() })).status).toBe(201);
    const reversal = await env.DB.prepare("SELECT amount_minor, period, basis_period FROM ledger_entries WHERE brand_id = ? AND kind = 'reversal'").bind(m.brand.brandId).first<{ amount_minor: number; period: string; basis_period: string }>();
    expect(reversal).toEqual({ amount_minor: -100_000, period: NOW_ISO().slice(0, 7), basis_period: lastMonth.slice(0, 7) });
    // This month starts from nothing: 1,000.00 reaches the 15% tier, as if the refund had not happened.
    expect((await json<ConversionData>(await signedPost(m.brand, m.ingestKey, '/v1/conversions', conversion({ code: m.code, amountMinor: 100_000 })))).data.commission).toMatchObject({ tier: 2, amountMinor: 15_000 });
    // Last month's revenue is net of it: a late order of that month starts from the bottom again.
    expect((await json<ConversionData>(await signedPost(m.brand, m.ingestKey, '/v1/conversions', conversion({ code: m.code, amountMinor: 50_000, occurredAt: lastMonth })))).data.commission).toMatchObject({ tier: 1, amountMinor: 5_000 });
  });

  it('prices in SQL exactly as the pure rule does, for any sequence of orders', async () => {
    const m = await createMoneyBrand();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 300_000 }), { minLength: 1, maxLength: 6 }), async (amounts) => {
        await env.DB.prepare('DELETE FROM ledger_entries WHERE brand_id = ?').bind(m.brand.brandId).run();
        let prior = 0;
        for (const amountMinor of amounts) {
          const got = (await json<ConversionData>(await signedPost(m.brand, m.ingestKey, '/v1/conversions', conversion({ code: m.code, amountMinor })))).data.commission!;
          const expected = priceConversion(TIERS, prior, amountMinor);
          expect({ tier: got.tier, rateBps: got.rateBps, amountMinor: got.amountMinor }).toEqual(expected);
          prior += amountMinor;
        }
      }),
      { numRuns: 8 },
    );
  });

  it('sets the payable date to the end of the holding period', async () => {
    const m = await createMoneyBrand();
    const occurredAt = new Date(Date.now() - 3_600_000).toISOString();
    const res = await json<ConversionData>(await signedPost(m.brand, m.ingestKey, '/v1/conversions', conversion({ code: m.code, occurredAt })));
    expect(Date.parse(res.data.commission!.availableAt)).toBe(Date.parse(occurredAt) + 30 * 86_400_000);
  });
});

describe('exactly once', () => {
  it('answers an exact replay with 200 and the same body, a changed payload with 409', async () => {
    const m = await createMoneyBrand();
    const body = conversion({ code: m.code });
    const first = await signedPost(m.brand, m.ingestKey, '/v1/conversions', body);
    const replay = await signedPost(m.brand, m.ingestKey, '/v1/conversions', body);
    expect(first.status).toBe(201);
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual(await first.json());
    const conflict = await signedPost(m.brand, m.ingestKey, '/v1/conversions', { ...body, amountMinor: 10_001 });
    expect(conflict.status).toBe(409);
    expect((await json<ErrorBody>(conflict)).error.code).toBe('idempotency_conflict');
    expect(await rowCount('SELECT count(*) AS n FROM ledger_entries WHERE brand_id = ?', m.brand.brandId)).toBe(1);
  });

  it('turns 20 concurrent deliveries of one order into one conversion and one ledger entry', async () => {
    const m = await createMoneyBrand();
    const body = conversion({ code: m.code, amountMinor: 12_345 });
    const responses = await Promise.all(Array.from({ length: 20 }, () => signedPost(m.brand, m.ingestKey, '/v1/conversions', body)));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(19);
    expect(await rowCount('SELECT count(*) AS n FROM conversions WHERE brand_id = ?', m.brand.brandId)).toBe(1);
    expect(await rowCount('SELECT count(*) AS n FROM ledger_entries WHERE brand_id = ?', m.brand.brandId)).toBe(1);
    expect(await rowCount('SELECT redemptions AS n FROM discount_codes WHERE brand_id = ?', m.brand.brandId)).toBe(1);
  });

  describe('storage faults', () => {
    // A statement's SQL: workerd's public `statement` field on D1PreparedStatement, missing from the workers-types declaration.
    const sqlOf = (s: D1PreparedStatement) => (s as unknown as { statement: string }).statement;
    // Fails the first batch that writes (the evidence is read in a batch before it), once.
    const writes = (statements: D1PreparedStatement[]) => statements.some((s) => /^\s*(INSERT|UPDATE|DELETE)\b/i.test(sqlOf(s)));
    function faultyDb(mode: 'before' | 'after'): D1Database {
      let failures = 1;
      return d1With({
        batch: async (statements: D1PreparedStatement[]) => {
          if (!writes(statements) || failures-- <= 0) return env.DB.batch(statements);
          if (mode === 'before') throw new Error('D1_ERROR: network connection lost');
          await env.DB.batch(statements);
          throw new Error('D1_ERROR: network connection lost after commit');
        },
      });
    }

    async function postWith(db: D1Database, m: Awaited<ReturnType<typeof createMoneyBrand>>, body: unknown) {
      const raw = JSON.stringify(body);
      const request = new Request(`${BASE}/v1/conversions`, {
        method: 'POST',
        headers: { 'chorus-account': m.brand.slug, 'chorus-signature': await signTimestamped(m.ingestKey, raw, Date.now()) },
        body: raw,
      });
      const ctx = createExecutionContext();
      const res = await worker.fetch(request, { ...env, DB: db } as Env, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    }

    it("reverses a refund that came before its order in the order's own write, with nothing after it", async () => {
      const m = await createMoneyBrand();
      const body = conversion({ code: m.code, amountMinor: 20_000 });
      expect((await signedPost(m.brand, m.ingestKey, '/v1/refunds', { refundId: `r-${body.orderId}`, orderId: body.orderId, amountMinor: 5_000, currency: 'USD', occurredAt: NOW_ISO() })).status).toBe(201);
      // Every write after the order's batch fails: the reversal must already be in it.
      let writesSeen = 0;
      const db = d1With({
        batch: async (statements: D1PreparedStatement[]) => {
          if (writes(statements) && writesSeen++ > 0) throw new Error('D1_ERROR: network connection lost');
          return env.DB.batch(statements);
        },
      });
      const res = await postWith(db, m, body);
      expect(res.status).toBe(201);
      expect(await rowCount("SELECT COALESCE(SUM(amount_minor), 0) AS n FROM ledger_entries WHERE brand_id = ? AND kind = 'reversal'", m.brand.brandId)).toBe(-500);
      expect(await rowCount("SELECT count(*) AS n FROM refunds WHERE brand_id = ? AND status = 'applied'", m.brand.brandId)).toBe(1);
    });

    it('answers a new order after two D1 round trips and a replay after one', async () => {
      const m = await createMoneyBrand();
      await signedPost(m.brand, m.ingestKey, '/v1/conversions', conversion({ code: m.code })); // warms the brand's secrets
      let batches = 0;
      let alone = new Map<string, number>(); // statements prepared and not (yet) sent in a batch: each runs on its own
      const counting = d1With({
        prepare: (sql: string) => {
          const statement = env.DB.prepare(sql);
          alone.set(sql, (alone.get(sql) ?? 0) + 1);
          return statement;
        },
        batch: (statements: D1PreparedStatement[]) => {
          batches++;
          for (const s of statements) alone.set(sqlOf(s), (alone.get(sqlOf(s)) ?? 0) - 1);
          return env.DB.batch(statements);
        },
      });
      // Counted when the answer is ready. The webhook hand-off that runs after it (waitUntil) prepares its claim
      // before the answer returns, so it is named and left out.
      const roundTripsBeforeAnswer = async (body: unknown) => {
        batches = 0;
        alone = new Map();
        const raw = JSON.stringify(body);
        const ctx = createExecutionContext();
        const res = await worker.fetch(
          new Request(`${BASE}/v1/conversions`, { method: 'POST', headers: { 'chorus-account': m.brand.slug, 'chorus-signature': await signTimestamped(m.ingestKey, raw, Date.now()) }, body: raw }),
          { ...env, DB: counting } as Env,
          ctx,
        );
        const counted = batches + [...alone].filter(([sql]) => !sql.trimStart().startsWith('UPDATE webhook_deliveries SET queued_at')).reduce((n, [, k]) => n + k, 0);
        await waitOnExecutionContext(ctx);
        return { status: res.status, counted };
      };
      const body = conversion({ code: m.code });
      expect(await roundTripsBeforeAnswer(body)).toEqual({ status: 201, counted: 2 });
      expect(await roundTripsBeforeAnswer(body)).toEqual({ status: 200, counted: 1 });
    });

    it.each(['before', 'after'] as const)('answers 503 when D1 fails %s committing, and the retry converges to one conversion', async (mode) => {
      const m = await createMoneyBrand();
      const body = conversion({ code: m.code });
      const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
      const db = faultyDb(mode);
      const failed = await postWith(db, m, body);
      errors.mockRestore();
      expect(failed.status).toBe(503);
      expect(failed.headers.get('retry-after')).toBe('1');
      expect((await json<ErrorBody>(failed)).error.code).toBe('storage_unavailable');
      const retried = await postWith(db, m, body);
      expect(retried.status).toBe(mode === 'before' ? 201 : 200);
      expect(await rowCount('SELECT count(*) AS n FROM conversions WHERE brand_id = ?', m.brand.brandId)).toBe(1);
      expect(await rowCount('SELECT count(*) AS n FROM ledger_entries WHERE brand_id = ?', m.brand.brandId)).toBe(1);
    });
  });
});

describe('refunds', () => {
  const refund = (order: string, amountMinor: number, overrides: Record<string, unknown> = {}) => ({
    refundId: `refund-${Date.now()}-${orderCounter++}`,
    orderId: order,
    amountMinor,
    currency: 'USD',
    occurredAt: NOW_ISO(),
    ...overrides,
  });

  it('reverses the commission share of partial refunds and never more than the commission', async () => {
    const m = await createMoneyBrand();
    const order = conversion({ code: m.code, amountMinor: 10_000 });
    await signedPost(m.brand, m.ingestKey, '/v1/conversions', order);
    const reversals: number[] = [];
    for (const amount of [3_333, 3_333, 3_334]) {
      const res = await json<RefundData>(await signedPost(m.brand, m.ingestKey, '/v1/refunds', refund(order.orderId, amount)));
      reversals.push(res.data.reversal!.amountMinor);
    }
    expect(reversals).toEqual([-333, -333, -334]);
    expect(await ledgerSum(m.brand.brandId)).toBe(0);
    // Nothing is left to refund: a second id for the same refund, or the wrong order, is told so, and nothing is written.
    const over = await signedPost(m.brand, m.ingestKey, '/v1/refunds', refund(order.orderId, 1_000));
    expect(over.status).toBe(422);
    expect((await json<{ error: { code: string; message: string } }>(over)).error).toMatchObject({ code: 'order_refunded_in_full', message: 'Its order was refunded in full already (100.00 of 100.00 USD).' });
    // More than is left (a refund that included tax or shipping) takes back the rest, and no more.
    const partly = conversion({ code: m.code, amountMinor: 10_000 });
    await signedPost(m.brand, m.ingestKey, '/v1/conversions', partly);
    await signedPost(m.brand, m.ingestKey, '/v1/refunds', refund(partly.orderId, 4_000));
    const more = await signedPost(m.brand, m.ingestKey, '/v1/refunds', refund(partly.orderId, 7_500));
    expect(more.status).toBe(201);
    expect(await ledgerSum(m.brand.brandId)).toBe(0);
    expect(await rowCount('SELECT count(*) AS n FROM refunds WHERE brand_id = ?', m.brand.brandId)).toBe(5);
  });

  it('refuses a refund dated before its order with 422, writing nothing', async () => {
    const m = await createMoneyBrand();
    const order = conversion({ code: m.code, amountMinor: 10_000 });
    await signedPost(m.brand, m.ingestKey, '/v1/conversions', order);
    const res = await signedPost(m.brand, m.ingestKey, '/v1/refunds', refund(order.orderId, 1_000, { occurredAt: '2001-01-01T00:00:00Z' }));
    expect(res.status).toBe(422);
    expect((await json<ErrorBody>(res)).error.code).toBe('refund_before_order');
    expect(await rowCount('SELECT count(*) AS n FROM refunds WHERE brand_id = ?', m.brand.brandId)).toBe(0);
    expect(await rowCount("SELECT count(*) AS n FROM ledger_entries WHERE brand_id = ? AND kind = 'reversal'", m.brand.brandId)).toBe(0);
  });

  it('keeps a refund that arrives before its order and applies it when the order lands', async () => {
    const m = await createMoneyBrand();
    const order = conversion({ code: m.code, amountMinor: 20_000 });
    const early = await signedPost(m.brand, m.ingestKey, '/v1/refunds', refund(order.orderId, 5_000));
    expect(early.status).toBe(201);
    expect((await json<RefundData>(early)).data).toMatchObject({ status: 'pending', reversal: null });
    await signedPost(m.brand, m.ingestKey, '/v1/conversions', order);
    expect(await rowCount("SELECT count(*) AS n FROM refunds WHERE brand_id = ? AND status = 'applied'", m.brand.brandId)).toBe(1);
    expect(await ledgerSum(m.brand.brandId)).toBe(2_000 - 500);
  });

  it('is idempotent per refund id: a replay answers 200, a different payload 409', async () => {
    const m = await createMoneyBrand();
    const order = conversion({ code: m.code });
    await signedPost(m.brand, m.ingestKey, '/v1/conversions', order);
    const body = refund(order.orderId, 2_000);
    expect((await signedPost(m.brand, m.ingestKey, '/v1/refunds', body)).status).toBe(201);
    expect((await signedPost(m.brand, m.ingestKey, '/v1/refunds', body)).status).toBe(200);
    expect((await signedPost(m.brand, m.ingestKey, '/v1/refunds', { ...body, amountMinor: 2_001 })).status).toBe(409);
    const concurrent = refund(order.orderId, 1_000);
    await Promise.all(Array.from({ length: 10 }, () => signedPost(m.brand, m.ingestKey, '/v1/refunds', concurrent)));
    expect(await rowCount("SELECT count(*) AS n FROM ledger_entries WHERE brand_id = ? AND kind = 'reversal'", m.brand.brandId)).toBe(2);
  });

  it('records a refund after payout as a new negative entry in the current period, leaving the paid entry alone', async () => {
    const m = await createMoneyBrand();
    const lastMonth = new Date(Date.UTC(2026, 9, 15)).toISOString();
    const order = conversion({ code: m.code, amountMinor: 10_000, occurredAt: lastMonth });
    const created = await json<ConversionData>(await signedPost(m.brand, m.ingestKey, '/v1/conversions', order));
    await env.DB.prepare("UPDATE ledger_entries SET payout_id = 'po_paid' WHERE conversion_id = ?").bind(created.data.id).run();
    await signedPost(m.brand, m.ingestKey, '/v1/refunds', refund(order.orderId, 10_000));
    const { results } = await env.DB.prepare('SELECT kind, amount_minor, period, payout_id FROM ledger_entries WHERE brand_id = ? ORDER BY created_at, kind').bind(m.brand.brandId).all();
    const period = new Date().toISOString().slice(0, 7);
    expect(results).toEqual([
      { kind: 'commission', amount_minor: 1_000, period: '2026-10', payout_id: 'po_paid' },
      { kind: 'reversal', amount_minor: -1_000, period, payout_id: null },
    ]);
  });

  it('makes a reversal payable with its commission: never before it, and at once once it was payable or paid', async () => {
    const m = await createMoneyBrand(); // 30 days' holding
    const order = conversion({ code: m.code, amountMinor: 10_000 });
    await signedPost(m.brand, m.ingestKey, '/v1/conversions', order);
    const refundAt = Date.now();
    await signedPost(m.brand, m.ingestKey, '/v1/refunds', refund(order.orderId, 2_500, { occurredAt: new Date(refundAt).toISOString() }));
    const due = async () => (await env.DB.prepare('SELECT kind, available_at FROM ledger_entries WHERE brand_id = ? ORDER BY created_at, kind').bind(m.brand.brandId).all<{ kind: string; available_at: number }>()).results;
    const [commission, reversal] = await due();
    expect(reversal!.available_at).toBe(commission!.available_at); // netted when the commission comes due
    expect(commission!.available_at).toBeGreaterThan(refundAt);
    // Once the commission was payable, a later refund's reversal is due when it happens.
    await env.DB.prepare("UPDATE ledger_entries SET available_at = ? WHERE brand_id = ? AND kind = 'commission'").bind(refundAt - 1_000, m.brand.brandId).run();
    await signedPost(m.brand, m.ingestKey, '/v1/refunds', refund(order.orderId, 2_500, { occurredAt: new Date(refundAt).toISOString() }));
    expect((await due()).map((e) => e.available_at).at(-1)).toBe(refundAt);
  });

  it('stores refunds of unattributed orders without touching the ledger', async () => {
    const m = await createMoneyBrand();
    const order = conversion();
    await signedPost(m.brand, m.ingestKey, '/v1/conversions', order);
    const res = await json<RefundData>(await signedPost(m.brand, m.ingestKey, '/v1/refunds', refund(order.orderId, 500)));
    expect(res.data).toMatchObject({ status: 'applied', reversal: null });
    expect(await ledgerSum(m.brand.brandId)).toBe(0);
  });
});
