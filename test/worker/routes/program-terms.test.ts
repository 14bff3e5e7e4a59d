// Program terms: the brand publishes versions (admin API, console settings), creators accept them to join (an
// invitation, an application) and accept later versions from their home page, and the brand sees who accepted what.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createBrand, createMoneyBrand, json, rowCount, type TestBrand } from '../fixtures';
import { adminUser, consoleBrand, get, post, signIn } from '../console-fixtures';

type Terms = { version: number; text: string; publishedAt: string; publishedBy: { type: string; id: string; name: string | null } };
type ErrorBody = { error: { code: string } };

const versions = (brandId: string) => rowCount('SELECT count(*) AS n FROM program_terms WHERE brand_id = ?', brandId);
const published = (brandId: string) => rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'brand.terms_published'", brandId);
export const publish = async (brand: TestBrand, text: string, basedOnVersion?: number | null) => brand.api('PUT', '/api/admin/brand/terms', basedOnVersion === undefined ? { text } : { text, basedOnVersion });

describe('/api/admin/brand/terms', () => {
  it('publishes versions 1, 2…, keeps the same text as it is, and never shows another brand its terms', async () => {
    const brand = await createBrand();
    const other = await createBrand();
    expect(await json(await brand.api('GET', '/api/admin/brand/terms'))).toEqual({ data: null });

    const first = await publish(brand, '  Post once a month.\r\n\r\nDisclose with #ad.  ');
    expect(first.status).toBe(201);
    const v1 = (await json<{ data: Terms }>(first)).data;
    expect(v1).toMatchObject({ version: 1, text: 'Post once a month.\n\nDisclose with #ad.', publishedBy: { type: 'api_key' } });
    expect(v1.publishedBy.name).toMatch(/^API key /);

    // The same text, however its line breaks and edges were sent: nothing new, nothing logged.
    const again = await publish(brand, 'Post once a month.\n\nDisclose with #ad.\n');
    expect(again.status).toBe(200);
    expect((await json<{ data: Terms }>(again)).data.version).toBe(1);
    expect(await versions(brand.brandId)).toBe(1);
    expect(await published(brand.brandId)).toBe(1);

    const second = await publish(brand, 'Post twice a month.', 1);
    expect(second.status).toBe(201);
    expect((await json<{ data: Terms }>(second)).data.version).toBe(2);
    // Version 1 is kept as it was.
    expect(await env.DB.prepare('SELECT body FROM program_terms WHERE brand_id = ? AND version = 1').bind(brand.brandId).first('body')).toBe('Post once a month.\n\nDisclose with #ad.');
    expect((await json<{ data: Terms }>(await brand.api('GET', '/api/admin/brand/terms'))).data).toMatchObject({ version: 2, text: 'Post twice a month.' });
    expect(await published(brand.brandId)).toBe(2);

    // Edited on top of version 1 while version 2 was published: refused, nothing written.
    const stale = await publish(brand, 'Post thrice a month.', 1);
    expect(stale.status).toBe(409);
    expect((await json<ErrorBody>(stale)).error.code).toBe('terms_changed');
    expect(await versions(brand.brandId)).toBe(2);

    expect(await json(await other.api('GET', '/api/admin/brand/terms'))).toEqual({ data: null });
    expect((await publish(other, 'Other terms.')).status).toBe(201);
    expect((await json<{ data: Terms }>(await other.api('GET', '/api/admin/brand/terms'))).data.version).toBe(1);
    expect((await json<{ data: Terms }>(await brand.api('GET', '/api/admin/brand/terms'))).data.text).toBe('Post twice a month.');
  });

  it('refuses empty, oversized and mistyped terms with 422, writing nothing', async () => {
    const brand = await createBrand();
    for (const body of [
      { text: '' },
      { text: '   \n  ' },
      { text: 'x'.repeat(20_001) },
      { text: 42 },
      { text: null },
      { text: ['a'] },
      { text: 'ok', basedOnVersion: 'one' },
      { text: 'ok', basedOnVersion: 0 },
      { text: 'ok', basedOnVersion: 1.5 },
      { text: 'ok', extra: true },
      { text: 'evil\u202Etxt' },
      { text: 'nul\u0000' },
      {},
    ]) {
      const res = await brand.api('PUT', '/api/admin/brand/terms', body);
      expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(422);
    }
    expect(await versions(brand.brandId)).toBe(0);
    expect(await published(brand.brandId)).toBe(0);
    // At the limit is fine.
    expect((await publish(brand, 'x'.repeat(20_000))).status).toBe(201);
  });

  it('gives two publishes at once different numbers, or answers the loser 409, never 500', async () => {
    const brand = await createBrand();
    const texts = ['Terms A', 'Terms B', 'Terms C', 'Terms D'];
    const answers = await Promise.all(texts.map((t) => publish(brand, t, null)));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    const unbased = await Promise.all(['E', 'F', 'G'].map((t) => publish(brand, `Terms ${t}`)));
    expect(unbased.every((r) => r.status === 201 || r.status === 409)).toBe(true);
    const { results } = await env.DB.prepare('SELECT version FROM program_terms WHERE brand_id = ? ORDER BY version').bind(brand.brandId).all<{ version: number }>();
    expect(results.map((r) => r.version)).toEqual(results.map((_, i) => i + 1));
    expect(await published(brand.brandId)).toBe(results.length);
  });

  it("answers each creator's and enrollment's accepted version, null before any", async () => {
    const m = await createMoneyBrand();
    const creators = await json<{ data: { id: string; termsAccepted: unknown }[] }>(await m.brand.api('GET', '/api/admin/creators'));
    expect(creators.data.find((c) => c.id === m.creator.id)!.termsAccepted).toBeNull();
    await publish(m.brand, 'Version one.');
    await env.DB.prepare("INSERT INTO terms_acceptances (id, brand_id, creator_id, version, via, accepted_at) VALUES ('tac_api_1', ?, ?, 1, 'update', ?)").bind(m.brand.brandId, m.creator.id, Date.UTC(2026, 0, 2)).run();
    const after = await json<{ data: { id: string; termsAccepted: unknown }[] }>(await m.brand.api('GET', '/api/admin/creators'));
    expect(after.data.find((c) => c.id === m.creator.id)!.termsAccepted).toEqual({ version: 1, acceptedAt: '2026-01-02T00:00:00.000Z' });
    const enrollment = await json<{ data: { termsAccepted: unknown } }>(await m.brand.api('GET', `/api/admin/enrollments/${m.enrollment.id}`));
    expect(enrollment.data.termsAccepted).toEqual({ version: 1, acceptedAt: '2026-01-02T00:00:00.000Z' });
    const list = await json<{ data: { id: string; termsAccepted: unknown }[] }>(await m.brand.api('GET', `/api/admin/enrollments?campaignId=${m.campaign.id}`));
    expect(list.data.find((e) => e.id === m.enrollment.id)!.termsAccepted).toEqual({ version: 1, acceptedAt: '2026-01-02T00:00:00.000Z' });
    // Another brand's acceptances are not this brand's.
    const other = await createBrand();
    await publish(other, 'Other.');
    await env.DB.prepare("INSERT INTO terms_acceptances (id, brand_id, creator_id, version, via, accepted_at) VALUES ('tac_api_2', ?, ?, 1, 'update', 0)").bind(other.brandId, m.creator.id).run();
    const again = await json<{ data: { id: string; termsAccepted: { version: number } } }>(await m.brand.api('GET', `/api/admin/enrollments/${m.enrollment.id}`));
    expect(again.data.termsAccepted.version).toBe(1);
  });
});

describe('console settings: program terms', () => {
  it('lets a manager publish from Settings, and refuses viewers, finance, other sites and the signed-out', async () => {
    const m = await consoleBrand('manager');
    const page = await get('/console/settings', m.cookie);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Publish as version 1');

    const sent = await post('/console/settings/terms', { text: 'Be kind.\r\n\r\nPost <b>monthly</b>.', basedOnVersion: '' }, { cookie: m.cookie });
    expect(sent.status).toBe(303);
    expect(sent.headers.get('location')).toContain('flash=terms');
    expect(await versions(m.brand.brandId)).toBe(1);
    const shown = await (await get('/console/settings', m.cookie)).text();
    expect(shown).toContain('Version 1, published');
    expect(shown).toContain('Post &lt;b&gt;monthly&lt;/b&gt;.');
    expect(shown).toContain('Publish as version 2');

    // The same text: nothing new.
    expect((await post('/console/settings/terms', { text: 'Be kind.\n\nPost <b>monthly</b>.', basedOnVersion: '1' }, { cookie: m.cookie })).headers.get('location')).toContain('flash=terms_same');
    expect(await versions(m.brand.brandId)).toBe(1);

    // Empty and oversized: the form again with the text, nothing written.
    for (const text of ['   ', 'y'.repeat(20_001)]) {
      const refused = await post('/console/settings/terms', { text, basedOnVersion: '1' }, { cookie: m.cookie });
      expect(refused.status).toBe(422);
    }
    // Written on version 1 while someone published version 2: the form again, theirs shown, nothing written.
    await publish(m.brand, 'Published through the API.');
    const crossed = await post('/console/settings/terms', { text: 'My edit.', basedOnVersion: '1' }, { cookie: m.cookie });
    expect(crossed.status).toBe(409);
    const body = await crossed.text();
    expect(body).toContain('My edit.');
    expect(body).toContain('Published through the API.');
    expect(await versions(m.brand.brandId)).toBe(2);

    for (const role of ['viewer', 'finance'] as const) {
      const user = await adminUser(m.brand.brandId, role);
      const cookie = await signIn(user.email);
      const readOnly = await (await get('/console/settings', cookie)).text();
      expect(readOnly).toContain('Published through the API.');
      expect(readOnly).not.toContain('action="/console/settings/terms"');
      const refused = await post('/console/settings/terms', { text: 'Viewer terms', basedOnVersion: '2' }, { cookie });
      expect(refused.status).toBe(403);
    }
    const forged = await post('/console/settings/terms', { text: 'Forged terms', basedOnVersion: '2' }, { cookie: m.cookie, origin: 'https://evil.example' });
    expect(forged.status).toBe(403);
    expect((await post('/console/settings/terms', { text: 'No origin', basedOnVersion: '2' }, { cookie: m.cookie, origin: null })).status).toBe(403);
    expect((await post('/console/settings/terms', { text: 'Signed out', basedOnVersion: '2' })).status).toBe(401);
    expect(await versions(m.brand.brandId)).toBe(2);
    expect(await published(m.brand.brandId)).toBe(2);
  });
});
