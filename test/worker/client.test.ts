// The typed client (worker/client.ts) against the real worker: hono's RPC client with SELF.fetch as its
// fetch. Inputs and outputs are typed from the route chains; the @ts-expect-error lines below are
// checked by `tsc --noEmit` in `npm test`, so a route whose types stop flowing fails the build.
import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createChorusClient, signedConversion, type ChorusClient, type IngestSigner } from '../../worker/client';
import { BASE, createBrand, rowCount } from './fixtures';

const selfFetch = ((input: RequestInfo | URL, init?: RequestInit) => SELF.fetch(input, init)) as typeof fetch;

async function data<T>(res: { status: number; json(): Promise<T> }, status: number): Promise<T> {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${JSON.stringify(await res.json())}`);
  return res.json();
}

// Brand setup through the typed admin client only: plan, campaign, creator, enrollment, link, code, ingest key.
async function network(chorus: ChorusClient, tag: string) {
  const plan = await data(
    await chorus.admin['commission-plans'].$post({ json: { name: 'Standard', tiers: [{ fromMinor: 0, rateBps: 1000 }, { fromMinor: 100_000, rateBps: 1500 }] } }),
    201,
  );
  const campaign = await data(
    await chorus.admin.campaigns.$post({ json: { name: 'Spring Glow', slug: `spring-${tag}`, hashtag: '#SpringGlow', defaultDestination: 'https://shop.example/spring', commissionPlanId: plan.data.id } }),
    201,
  );
  const creator = await data(await chorus.admin.creators.$post({ json: { email: `sarah-${tag}@creators.test`, handle: `sarah_${tag}`, displayName: 'Sarah' } }), 201);
  const enrollment = await data(
    await chorus.admin.enrollments.$post({ json: { campaignId: campaign.data.id, creatorId: creator.data.id, paymentModel: 'affiliate' } }),
    201,
  );
  const link = await data(await chorus.admin.links.$post({ json: { enrollmentId: enrollment.data.id } }), 201);
  const code = await data(await chorus.admin.codes.$post({ json: { enrollmentId: enrollment.data.id, code: `SARAH${tag}`.toUpperCase(), discountType: 'percent', discountValue: 15 } }), 201);
  const key = await data(await chorus.admin.keys.$post({ json: { scope: 'ingest', name: 'Checkout backend' } }), 201);
  return { campaign: campaign.data, creator: creator.data, link: link.data, code: code.data, ingestKey: key.data.key };
}

describe('createChorusClient', () => {
  it('sets up a creator with the typed admin client and records a signed, attributed conversion', async () => {
    const brand = await createBrand();
    const chorus = createChorusClient({ baseUrl: BASE, adminKey: brand.adminKey, fetch: selfFetch });
    const tag = Date.now().toString(36);
    const n = await network(chorus, tag);
    expect(n.link.url).toBe(`${BASE}/r/${n.link.slug}`);

    const signer: IngestSigner = { account: brand.slug, secret: n.ingestKey };
    const order = { orderId: `order-${tag}`, amountMinor: 4_999, currency: 'USD', occurredAt: new Date().toISOString(), code: n.code.code };
    const created = await data(await chorus.postConversion(signer, order), 201);
    // 10% of 49.99 in the first tier, rounded down to the minor unit.
    expect(created.data).toMatchObject({ orderId: order.orderId, attribution: 'code', creator: { handle: `sarah_${tag}` }, commission: { amountMinor: 499, rateBps: 1000, tier: 1 } });

    // The same order again is a safe replay: 200 with the same answer, still one conversion.
    const replay = await data(await chorus.postConversion(signer, order), 200);
    expect(replay.data).toEqual(created.data);
    expect(await rowCount('SELECT count(*) AS n FROM conversions WHERE brand_id = ?', brand.brandId)).toBe(1);

    const listed = await data(await chorus.admin.links.$get({ query: { enrollmentId: n.link.enrollmentId } }), 200);
    expect(listed.data.map((l) => l.id)).toEqual([n.link.id]);
    const network_ = await data(await chorus.admin.campaigns[':id'].network.$get({ param: { id: n.campaign.id } }), 200);
    expect(network_.data.summary).toMatchObject({ conversions: 1, revenueMinor: 4_999 });
  });

  it('signs the exact bytes for plain fetch, and a body changed after signing is refused', async () => {
    const brand = await createBrand();
    const chorus = createChorusClient({ baseUrl: BASE, adminKey: brand.adminKey, fetch: selfFetch });
    const key = await data(await chorus.admin.keys.$post({ json: { scope: 'ingest', name: 'backend' } }), 201);
    const signer = { account: brand.slug, secret: key.data.key };
    const order = { orderId: `plain-${Date.now()}`, amountMinor: 1_000, currency: 'USD', occurredAt: new Date().toISOString() };

    const signed = await signedConversion(signer, order);
    const ok = await SELF.fetch(`${BASE}/v1/conversions`, { method: 'POST', headers: signed.headers, body: signed.rawBody });
    expect(ok.status).toBe(201);

    const tampered = await SELF.fetch(`${BASE}/v1/conversions`, { method: 'POST', headers: signed.headers, body: signed.rawBody.replace('1000', '9000') });
    expect(tampered.status).toBe(401);
    expect(((await tampered.json()) as { error: { code: string } }).error.code).toBe('invalid_signature');
  });

  it('answers admin calls without a key with 401 in the one error shape', async () => {
    const chorus = createChorusClient({ baseUrl: BASE, fetch: selfFetch });
    const res = await chorus.admin.campaigns.$get();
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'unauthorized' } });
  });
});

// Never called: these lines only have to type-check (or fail to, where marked).
export function typesFlowFromTheWorker(chorus: ChorusClient, signer: IngestSigner) {
  return [
    // @ts-expect-error amountMinor is integer minor units, not a decimal string
    chorus.postConversion(signer, { orderId: 'o', amountMinor: '49.99', currency: 'USD', occurredAt: '2026-05-04T09:30:00Z' }),
    // @ts-expect-error paymentModel is one of product, affiliate, flat, hybrid
    chorus.admin.enrollments.$post({ json: { campaignId: 'c', creatorId: 'r', paymentModel: 'commission' } }),
    // @ts-expect-error the network view needs the campaign id
    chorus.admin.campaigns[':id'].network.$get({}),
    async () => {
      const res = await chorus.admin.campaigns.$get();
      if (res.status !== 200) return;
      const { data } = await res.json();
      // @ts-expect-error createdAt is an ISO string on the wire, not a number
      const createdAt: number = data[0]!.createdAt;
      return createdAt;
    },
  ];
}
