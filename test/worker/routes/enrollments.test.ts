// A brand managing a running enrollment: pausing, benching, removing and restoring a creator, moving them on
// the payment ladder, and rewriting their section of the brief, in the admin API (the console's creator page
// is in console.test.ts).
import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { BASE, createBrand, createMoneyBrand, issueKey, json, rowCount, signedPost, storeRawClick } from '../fixtures';

type Enrollment = { id: string; status: string; paymentModel: string; flatFeeMinor: number; briefSection: string };
type ErrorBody = { error: { code: string; message: string } };

const patch = (m: Awaited<ReturnType<typeof createMoneyBrand>>, body: unknown) => m.brand.api('PATCH', `/api/admin/enrollments/${m.enrollment.id}`, body);
const order = (fields: Record<string, unknown> = {}) => ({ orderId: `enr-${Date.now()}-${Math.random()}`, amountMinor: 10_000, currency: 'USD', occurredAt: new Date().toISOString(), ...fields });

describe('PATCH /api/admin/enrollments/:id', () => {
  it('moves a creator to hybrid with a fee: the next order and the next live post are priced by it, and each change is audited', async () => {
    const m = await createMoneyBrand();
    const res = await patch(m, { paymentModel: 'hybrid', flatFeeMinor: 15_000, briefSection: 'Film the evening routine.' });
    expect(res.status).toBe(200);
    expect((await json<{ data: Enrollment }>(res)).data).toMatchObject({ paymentModel: 'hybrid', flatFeeMinor: 15_000, briefSection: 'Film the evening routine.' });
    const audit = await env.DB.prepare("SELECT actor_type, details FROM audit_log WHERE target_id = ? AND action = 'enrollment.updated'").bind(m.enrollment.id).first<{ actor_type: string; details: string }>();
    expect(audit?.actor_type).toBe('api_key');
    expect(JSON.parse(audit!.details).changes).toEqual({
      paymentModel: { from: 'affiliate', to: 'hybrid' },
      flatFeeMinor: { from: 0, to: 15_000 },
      briefSection: { from: '', to: 'Film the evening routine.' },
    });
    // The same values again change nothing and audit nothing.
    expect((await patch(m, { paymentModel: 'hybrid' })).status).toBe(200);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'enrollment.updated'", m.enrollment.id)).toBe(1);
    const sale = await json<{ data: { commission: { amountMinor: number } | null } }>(await signedPost(m.brand, m.ingestKey, '/v1/conversions', order({ code: m.code })));
    expect(sale.data.commission?.amountMinor).toBe(1_000);
    expect((await json<{ data: Enrollment }>(await m.brand.api('GET', `/api/admin/enrollments/${m.enrollment.id}`))).data.paymentModel).toBe('hybrid');
  });

  it('removes a creator: their code and link stop within the caches, and bringing them back opens both again', async () => {
    const m = await createMoneyBrand();
    const storefront = await issueKey(m.brand, 'storefront');
    const check = async () => (await json<{ valid: boolean }>(await SELF.fetch(`${BASE}/v1/codes/${m.code}`, { headers: { authorization: `Bearer ${storefront}`, 'cf-connecting-ip': `203.0.113.${Math.floor(Math.random() * 200) + 1}` } }))).valid;
    expect(await check()).toBe(true);
    expect((await json<{ data: Enrollment }>(await patch(m, { status: 'removed' }))).data.status).toBe('removed');
    await new Promise((r) => setTimeout(r, 350)); // both caches are 300 ms in tests
    expect(await check()).toBe(false);
    expect((await SELF.fetch(`${BASE}/r/${m.link.slug}`, { redirect: 'manual' })).status).toBe(410);
    const removed = await json<{ data: { attribution: string } }>(await signedPost(m.brand, m.ingestKey, '/v1/conversions', order({ code: m.code })));
    expect(removed.data.attribution).toBe('none');
    expect((await patch(m, { status: 'active' })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 350));
    expect(await check()).toBe(true);
    expect((await SELF.fetch(`${BASE}/r/${m.link.slug}`, { redirect: 'manual' })).status).toBe(302);
  });

  it('dates a removal: orders placed before it still earn by code or click when reported later, none placed after', async () => {
    const m = await createMoneyBrand();
    const clickId = `RMclick${Date.now().toString(36)}AAAAAAAAAA`.slice(0, 22);
    await storeRawClick({ id: clickId, brandId: m.brand.brandId, linkId: m.link.id, at: Date.now() - 20 * 60_000 });
    const before = new Date(Date.now() - 10 * 60_000).toISOString();
    expect((await patch(m, { status: 'removed' })).status).toBe(200);
    const attributionOf = async (fields: Record<string, unknown>) => (await json<{ data: { attribution: string } }>(await signedPost(m.brand, m.ingestKey, '/v1/conversions', order(fields)))).data.attribution;
    expect(await attributionOf({ code: m.code, occurredAt: before })).toBe('code');
    expect(await attributionOf({ clickId, occurredAt: before })).toBe('click');
    expect(await attributionOf({ code: m.code })).toBe('none');
    expect(await attributionOf({ clickId })).toBe('none');
    // A removal from before removals were dated counts for every order.
    await env.DB.prepare('UPDATE enrollments SET removed_at = NULL WHERE id = ?').bind(m.enrollment.id).run();
    expect(await attributionOf({ code: m.code, occurredAt: before })).toBe('none');
  });

  it('brings a creator who never set a password, or never accepted the brand, back as invited, not active', async () => {
    const m = await createMoneyBrand();
    await env.DB.prepare("UPDATE enrollments SET status = 'invited' WHERE id = ?").bind(m.enrollment.id).run();
    await env.DB.prepare('UPDATE brand_creators SET accepted_at = NULL WHERE creator_id = ?').bind(m.creator.id).run();
    expect((await patch(m, { status: 'paused' })).status).toBe(200);
    expect((await json<{ data: Enrollment }>(await patch(m, { status: 'active' }))).data.status).toBe('invited');
    await env.DB.prepare("UPDATE creators SET password_hash = 'set' WHERE id = ?").bind(m.creator.id).run();
    // A creator who declined (or never answered) is invited again, and may decline again.
    expect((await patch(m, { status: 'removed' })).status).toBe(200);
    expect((await json<{ data: Enrollment }>(await patch(m, { status: 'active' }))).data.status).toBe('invited');
    await env.DB.prepare('UPDATE brand_creators SET accepted_at = ? WHERE brand_id = ? AND creator_id = ?').bind(Date.now(), m.brand.brandId, m.creator.id).run();
    expect((await patch(m, { status: 'removed' })).status).toBe(200);
    expect((await json<{ data: Enrollment }>(await patch(m, { status: 'active' }))).data.status).toBe('active');
    expect(await rowCount('SELECT count(*) AS n FROM enrollments WHERE id = ? AND removed_at IS NULL', m.enrollment.id)).toBe(1);
  });

  it('refuses a flat or hybrid model without a fee, activating a creator who has not accepted, and going back to invited, writing nothing', async () => {
    const m = await createMoneyBrand();
    const noFee = await patch(m, { paymentModel: 'flat' });
    expect(noFee.status).toBe(422);
    expect((await json<ErrorBody>(noFee)).error.message).toContain('flat fee');
    await env.DB.prepare("UPDATE enrollments SET status = 'invited' WHERE id = ?").bind(m.enrollment.id).run();
    const early = await patch(m, { status: 'active' });
    expect(early.status).toBe(422);
    expect((await json<ErrorBody>(early)).error.message).toContain('has not accepted');
    for (const body of [{ status: 'invited' }, {}, { paymentModel: 'barter' }, { flatFeeMinor: -1 }, { flatFeeMinor: 1.5 }, { briefSection: 'x'.repeat(4_001) }, { creatorId: 'cr_other' }]) {
      expect((await patch(m, body)).status, JSON.stringify(body).slice(0, 60)).toBe(422);
    }
    expect(await rowCount('SELECT count(*) AS n FROM enrollments WHERE id = ? AND status = ? AND payment_model = ?', m.enrollment.id, 'invited', 'affiliate')).toBe(1);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'enrollment.updated'", m.enrollment.id)).toBe(0);
  });

  it("answers another brand's enrollment with 404 and changes nothing", async () => {
    const m = await createMoneyBrand();
    const other = await createBrand();
    expect((await other.api('PATCH', `/api/admin/enrollments/${m.enrollment.id}`, { status: 'removed' })).status).toBe(404);
    expect((await other.api('GET', `/api/admin/enrollments/${m.enrollment.id}`)).status).toBe(404);
    expect(await rowCount("SELECT count(*) AS n FROM enrollments WHERE id = ? AND status = 'active'", m.enrollment.id)).toBe(1);
  });
});

describe('POST /api/admin/enrollments', () => {
  it('enrolls a creator who has not accepted the brand only as an invitation, and one who has as active at once', async () => {
    const m = await createMoneyBrand();
    const handle = `inv${Date.now().toString(36)}`;
    const fresh = await json<{ data: { id: string } }>(await m.brand.api('POST', '/api/admin/creators', { email: `${handle}@creators.test`, handle, displayName: 'Inv' }));
    const campaign = await json<{ data: { id: string } }>(
      await m.brand.api('POST', '/api/admin/campaigns', { name: 'Later', slug: `later-${handle}`, hashtag: '#Later', defaultDestination: 'https://shop.example/later' }),
    );
    const early = await m.brand.api('POST', '/api/admin/enrollments', { campaignId: m.campaign.id, creatorId: fresh.data.id, paymentModel: 'affiliate', status: 'active' });
    expect(early.status).toBe(422);
    expect((await json<ErrorBody>(early)).error.message).toContain('has not accepted your brand');
    expect(await rowCount('SELECT count(*) AS n FROM enrollments WHERE creator_id = ?', fresh.data.id)).toBe(0);
    const invited = await m.brand.api('POST', '/api/admin/enrollments', { campaignId: m.campaign.id, creatorId: fresh.data.id, paymentModel: 'affiliate' });
    expect((await json<{ data: Enrollment }>(invited)).data.status).toBe('invited');
    // The fixture's creator accepted this brand: a new campaign can start for them as active.
    const active = await m.brand.api('POST', '/api/admin/enrollments', { campaignId: campaign.data.id, creatorId: m.creator.id, paymentModel: 'affiliate', status: 'active' });
    expect(active.status).toBe(201);
    expect((await json<{ data: Enrollment }>(active)).data.status).toBe('active');
  });

  it("takes the creator's own first-draft due date as PATCH does, refusing one already over, malformed, or for a removed creator, writing nothing", async () => {
    const m = await createMoneyBrand({ timezone: 'America/New_York' });
    const campaign = (slug: string) => m.brand.api('POST', '/api/admin/campaigns', { name: slug, slug: `${slug}-${Date.now().toString(36)}`, hashtag: '#Due', defaultDestination: 'https://shop.example/due' }).then((r) => json<{ data: { id: string } }>(r));
    const enroll = async (fields: Record<string, unknown>) => m.brand.api('POST', '/api/admin/enrollments', { campaignId: (await campaign('due')).data.id, creatorId: m.creator.id, paymentModel: 'affiliate', ...fields });
    const refused: [Record<string, unknown>, number][] = [
      [{ contentDueAt: '2020-01-10' }, 422],
      [{ contentDueAt: 'next friday' }, 422],
      [{ contentDueAt: '2199-02-30' }, 422],
      [{ contentDueAt: 12 }, 422],
      [{ contentDueAt: '2199-12-19', status: 'removed' }, 409],
    ];
    for (const [fields, status] of refused) expect((await enroll(fields)).status, JSON.stringify(fields)).toBe(status);
    expect(await rowCount('SELECT count(*) AS n FROM enrollments WHERE brand_id = ? AND content_due_at IS NOT NULL', m.brand.brandId)).toBe(0);
    expect(await rowCount("SELECT count(*) AS n FROM enrollments WHERE brand_id = ? AND status = 'removed'", m.brand.brandId)).toBe(0);
    // A date is due at the end of that day in the brand's timezone (05:00 UTC the next day in New York's winter).
    const dated = await json<{ data: { id: string; contentDueAt: string | null } }>(await enroll({ contentDueAt: '2199-12-19' }));
    expect(dated.data.contentDueAt).toBe('2199-12-20T05:00:00.000Z');
    expect((await json<{ data: { contentDueAt: string | null } }>(await m.brand.api('GET', `/api/admin/enrollments/${dated.data.id}`))).data.contentDueAt).toBe('2199-12-20T05:00:00.000Z');
    expect((await json<{ data: { contentDueAt: string | null } }>(await enroll({ contentDueAt: null }))).data.contentDueAt).toBeNull();
  });
});
