// Program terms: the brand publishes versions (admin API, console settings), creators accept them to join (an
// invitation, an application) and accept later versions from their home page, and the brand sees who accepted what.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createBrand, createMoneyBrand, json, rowCount, signedPost, type TestBrand } from '../fixtures';
import { invitePath, mailedLink, PASSWORD, portalTestDefaults, signedInCreator } from '../portal-fixtures';
import { sessionCookie } from '../forms';
import { application, apply, applyPath, openApplications } from '../application-fixtures';
import { adminUser, consoleBrand, get, post, signIn, type Fields } from '../console-fixtures';

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

  it('takes 20,000 characters of any script, however the JSON escapes them, and still bounds the body', async () => {
    const brand = await createBrand();
    // A JSON encoder that escapes non-ASCII sends 6 bytes a character: 120 KB for 20,000 of them.
    const escaped = (n: number) => `{"text":"${'\\u6761'.repeat(n)}"}`;
    expect((await brand.api('PUT', '/api/admin/brand/terms', escaped(20_000))).status).toBe(201);
    expect((await json<{ data: Terms }>(await brand.api('GET', '/api/admin/brand/terms'))).data.text).toBe('条'.repeat(20_000));
    const over = await brand.api('PUT', '/api/admin/brand/terms', escaped(20_001));
    expect(over.status).toBe(422);
    expect((await json<ErrorBody>(over)).error.code).toBe('validation_failed');
    expect((await publish(brand, 'Пишите раз в месяц. '.repeat(1_000))).status).toBe(201);
    const huge = await publish(brand, 'x'.repeat(300_000));
    expect(huge.status).toBe(413);
    expect((await json<ErrorBody>(huge)).error.code).toBe('payload_too_large');
    expect(await versions(brand.brandId)).toBe(2);
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
      // The summary links to the textarea, which is described by its hint and the error shown under it.
      const html = await refused.text();
      expect(html).toContain('href="#termsText"');
      expect(html).toContain('id="termsText-error"');
      expect(html).toMatch(/<textarea id="termsText"[^>]*aria-describedby="terms-hint termsText-error"/);
    }
    // 20,000 CJK characters are 180 KB as a browser sends a form (9 bytes each): published, not refused as too large.
    const cjk = await post('/console/settings/terms', { text: '条'.repeat(20_000), basedOnVersion: '1' }, { cookie: m.cookie });
    expect(cjk.status).toBe(303);
    expect(await versions(m.brand.brandId)).toBe(2);
    expect((await post('/console/settings/terms', { text: '条'.repeat(20_001), basedOnVersion: '2' }, { cookie: m.cookie })).status).toBe(422);
    expect((await post('/console/settings/terms', { text: 'x'.repeat(300_000), basedOnVersion: '2' }, { cookie: m.cookie })).status).toBe(413);
    // Written on version 2 while someone published version 3: the form again, theirs shown, nothing written.
    await publish(m.brand, 'Published through the API.');
    const crossed = await post('/console/settings/terms', { text: 'My edit.', basedOnVersion: '2' }, { cookie: m.cookie });
    expect(crossed.status).toBe(409);
    const body = await crossed.text();
    expect(body).toContain('My edit.');
    expect(body).toContain('Published through the API.');
    expect(await versions(m.brand.brandId)).toBe(3);

    for (const role of ['viewer', 'finance'] as const) {
      const user = await adminUser(m.brand.brandId, role);
      const cookie = await signIn(user.email);
      const readOnly = await (await get('/console/settings', cookie)).text();
      expect(readOnly).toContain('Published through the API.');
      expect(readOnly).not.toContain('action="/console/settings/terms"');
      const refused = await post('/console/settings/terms', { text: 'Viewer terms', basedOnVersion: '3' }, { cookie });
      expect(refused.status).toBe(403);
    }
    const forged = await post('/console/settings/terms', { text: 'Forged terms', basedOnVersion: '3' }, { cookie: m.cookie, origin: 'https://evil.example' });
    expect(forged.status).toBe(403);
    expect((await post('/console/settings/terms', { text: 'No origin', basedOnVersion: '3' }, { cookie: m.cookie, origin: null })).status).toBe(403);
    expect((await post('/console/settings/terms', { text: 'Signed out', basedOnVersion: '3' })).status).toBe(401);
    expect(await versions(m.brand.brandId)).toBe(3);
    expect(await published(m.brand.brandId)).toBe(3);
  });
});

describe('creator portal: joining with terms, and accepting a new version', () => {
  portalTestDefaults();

  it('asks for the tick on the version shown before joining, and shows a version published meanwhile instead of accepting it', async () => {
    const m = await createMoneyBrand({ accepted: false });
    await publish(m.brand, 'Version one: post <monthly>.\n\nhttps://evil.example/x');
    const { link } = await mailedLink(await invitePath(m.brand, m.creator.id));
    const set = await post(link!, { password: PASSWORD, confirm: PASSWORD });
    expect(set.status).toBe(303);
    const cookie = sessionCookie(set);
    const home = await (await get('/?welcome=1', cookie)).text();
    expect(home).toContain(`href="/invitations/${m.enrollment.id}/accept"`);
    expect(home).toContain('program terms (version 1)');
    // The brief's Accept says the same as the home card's.
    expect(await (await get(`/brief/${m.enrollment.id}`, cookie)).text()).toContain('asks you to read and accept its program terms (version 1)');

    const joined = () => env.DB.prepare('SELECT accepted_at FROM brand_creators WHERE brand_id = ? AND creator_id = ?').bind(m.brand.brandId, m.creator.id).first<number | null>('accepted_at');
    const enrollment = () => env.DB.prepare('SELECT status FROM enrollments WHERE id = ?').bind(m.enrollment.id).first<string>('status');
    const acceptances = () => rowCount('SELECT count(*) AS n FROM terms_acceptances WHERE creator_id = ?', m.creator.id);
    const nothingWritten = async () => {
      expect(await joined()).toBeNull();
      expect(await enrollment()).toBe('invited');
      expect(await acceptances()).toBe(0);
    };
    const accept = `/invitations/${m.enrollment.id}/accept`;

    // An Accept from a page that never showed the terms (an old tab, the brief): the terms, nothing accepted.
    const unread = await post(accept, {}, { cookie });
    expect(unread.status).toBe(409);
    const unreadHtml = await unread.text();
    expect(unreadHtml).toContain('Version one: post &lt;monthly&gt;.');
    expect(unreadHtml).toContain('id="terms-unread"');
    expect(unreadHtml).not.toContain('id="terms-changed"');
    await nothingWritten();
    // A tick with no version (or no number for one) is no form the portal drew: the page again as an incomplete
    // form, not "new terms".
    for (const fields of [{ acceptTerms: '1' }, { termsVersion: '', acceptTerms: '1' }, { termsVersion: 'one', acceptTerms: '1' }] as Fields[]) {
      const incomplete = await post(accept, fields, { cookie });
      expect(incomplete.status, JSON.stringify(fields)).toBe(422);
      const incompleteHtml = await incomplete.text();
      expect(incompleteHtml).toContain('name="termsVersion" value="1"');
      expect(incompleteHtml).not.toContain('id="terms-changed"');
    }
    await nothingWritten();

    const page = await get(accept, cookie);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('name="termsVersion" value="1"');
    expect(html).toContain('program terms (version 1)');
    expect(html).not.toContain('href="https://evil.example/x"');

    const unticked = await post(accept, { termsVersion: '1' }, { cookie });
    expect(unticked.status).toBe(422);
    // The error sits by the box and describes it, as well as in the summary.
    const untickedHtml = await unticked.text();
    expect(untickedHtml).toContain('href="#acceptTerms"');
    expect(untickedHtml).toContain('id="acceptTerms-error"');
    expect(untickedHtml).toMatch(/<input type="checkbox" id="acceptTerms"[^>]*aria-describedby="acceptTerms-error"/);
    expect((await post(accept, { termsVersion: '1', acceptTerms: 'yes' }, { cookie })).status).toBe(422);
    await nothingWritten();

    await publish(m.brand, 'Version two: post weekly.');
    const stale = await post(accept, { termsVersion: '1', acceptTerms: '1' }, { cookie });
    expect(stale.status).toBe(409);
    const staleHtml = await stale.text();
    expect(staleHtml).toContain('Version two: post weekly.');
    expect(staleHtml).toContain('name="termsVersion" value="2"');
    // The page showed version 1: it says the terms changed, not merely that they are to be read.
    expect(staleHtml).toContain('id="terms-changed"');
    expect(staleHtml).not.toContain('id="terms-unread"');
    await nothingWritten();
    for (const forged of [{ origin: 'https://evil.example' }, { origin: null }] as const) {
      expect((await post(accept, { termsVersion: '2', acceptTerms: '1' }, { cookie, ...forged })).status).toBe(403);
    }
    expect((await post(accept, { termsVersion: '2', acceptTerms: '1' })).status).toBe(401);
    await nothingWritten();

    const ok = await post(accept, { termsVersion: '2', acceptTerms: '1' }, { cookie });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/?accepted=1');
    expect(await joined()).not.toBeNull();
    expect(await enrollment()).toBe('active');
    expect(await env.DB.prepare('SELECT version, via FROM terms_acceptances WHERE creator_id = ? AND brand_id = ?').bind(m.creator.id, m.brand.brandId).first()).toEqual({ version: 2, via: 'invitation' });
    // Joined: the page has nothing more to ask.
    expect((await get(accept, cookie)).status).toBe(303);
  });

  it('tells a creator of a new version on their home page, and records their acceptance without stopping their earnings', async () => {
    const m = await signedInCreator();
    const { cookie } = m;
    // Joined before the brand had terms: nothing to read.
    expect(await (await get('/', cookie)).text()).not.toContain('program terms');
    await publish(m.brand, 'First terms.');
    let home = await (await get('/', cookie)).text();
    // Joined before the brand had any: published, not updated; the link names whose terms it opens.
    expect(home).toContain('published program terms');
    expect(home).not.toContain('updated its program terms');
    expect(home).toMatch(new RegExp(`href="/terms/${m.brand.brandId}">Read [^<]+’s terms</a>`));

    const accept = `/terms/${m.brand.brandId}/accept`;
    expect((await post(accept, { termsVersion: '1' }, { cookie })).status).toBe(422);
    // Without the version the page showed (a hand-made post), ticked or not: an incomplete form, not new terms.
    for (const fields of [{ acceptTerms: '1' }, {}, { termsVersion: '', acceptTerms: '1' }, { termsVersion: '0', acceptTerms: '1' }, { termsVersion: '1.0', acceptTerms: '1' }] as Fields[]) {
      const incomplete = await post(accept, fields, { cookie });
      expect(incomplete.status, JSON.stringify(fields)).toBe(422);
      const html = await incomplete.text();
      expect(html).toContain('name="termsVersion" value="1"');
      expect(html).not.toContain('id="terms-changed"');
    }
    expect((await post(accept, { termsVersion: '1', acceptTerms: '1' }, { cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect((await post(accept, { termsVersion: '1', acceptTerms: '1' })).status).toBe(401);
    expect(await rowCount('SELECT count(*) AS n FROM terms_acceptances WHERE creator_id = ?', m.creator.id)).toBe(0);
    expect((await post(accept, { termsVersion: '1', acceptTerms: '1' }, { cookie })).status).toBe(303);
    expect(await (await get('/?terms=accepted', cookie)).text()).not.toContain(`href="/terms/${m.brand.brandId}"`);

    await publish(m.brand, 'Second terms.');
    home = await (await get('/', cookie)).text();
    expect(home).toContain('you accepted version 1');
    expect(home).toContain('updated its program terms');
    const page = await get(`/terms/${m.brand.brandId}`, cookie);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Second terms.');

    // Not accepted yet: an order still earns.
    const order = { orderId: `terms-${Date.now()}`, amountMinor: 10_000, currency: 'USD', occurredAt: new Date(Date.now() - 60_000).toISOString(), code: m.code };
    expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', order)).status).toBe(201);
    expect(await rowCount("SELECT count(*) AS n FROM ledger_entries WHERE creator_id = ? AND kind = 'commission' AND amount_minor > 0", m.creator.id)).toBe(1);

    // Shown version 2, version 3 published meanwhile: version 3 to read, nothing accepted.
    await publish(m.brand, 'Third terms.');
    const stale = await post(accept, { termsVersion: '2', acceptTerms: '1' }, { cookie });
    expect(stale.status).toBe(409);
    expect(await stale.text()).toContain('Third terms.');
    expect(await rowCount('SELECT count(*) AS n FROM terms_acceptances WHERE creator_id = ?', m.creator.id)).toBe(1);
    expect((await post(accept, { termsVersion: '3', acceptTerms: '1' }, { cookie })).status).toBe(303);
    expect((await post(accept, { termsVersion: '3', acceptTerms: '1' }, { cookie })).status).toBe(303);
    const { results } = await env.DB.prepare('SELECT version, via FROM terms_acceptances WHERE creator_id = ? ORDER BY version').bind(m.creator.id).all();
    expect(results).toEqual([
      { version: 1, via: 'update' },
      { version: 3, via: 'update' },
    ]);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'creator.accepted_terms'", m.brand.brandId)).toBe(2);
    // Their data download holds each acceptance with the text they accepted.
    const data = await json<{ programTermsAccepted: { brandId: string; version: number; acceptedAt: string; text: string }[] }>(await get('/account/data.json', cookie));
    expect(data.programTermsAccepted.map((a) => [a.brandId, a.version, a.text])).toEqual([
      [m.brand.brandId, 1, 'First terms.'],
      [m.brand.brandId, 3, 'Third terms.'],
    ]);

    // Another brand's terms page, and a brand the creator never joined: not found.
    const other = await createBrand();
    await publish(other, 'Not yours.');
    expect((await get(`/terms/${other.brandId}`, cookie)).status).toBe(404);
    expect((await post(`/terms/${other.brandId}/accept`, { termsVersion: '1', acceptTerms: '1' }, { cookie })).status).toBe(404);
    expect((await get('/terms/%00%27', cookie)).status).toBe(404);
    expect((await get(`/terms/${m.brand.brandId}`)).status).toBe(303);
  });
});

describe('creators who left the brand', () => {
  it('are not asked to accept its new terms, and its terms page is not found for them', async () => {
    const m = await signedInCreator();
    const { cookie } = m;
    await publish(m.brand, 'First terms.');
    expect(await (await get('/', cookie)).text()).toContain(`href="/terms/${m.brand.brandId}"`);
    expect((await m.brand.api('PATCH', `/api/admin/enrollments/${m.enrollment.id}`, { status: 'removed' })).status).toBe(200);
    expect(await (await get('/', cookie)).text()).not.toContain(`href="/terms/${m.brand.brandId}"`);
    expect((await get(`/terms/${m.brand.brandId}`, cookie)).status).toBe(404);
    expect((await post(`/terms/${m.brand.brandId}/accept`, { termsVersion: '1', acceptTerms: '1' }, { cookie })).status).toBe(404);
    expect(await rowCount('SELECT count(*) AS n FROM terms_acceptances WHERE creator_id = ?', m.creator.id)).toBe(0);
  });
});

describe('public application page with terms', () => {
  it('shows the terms, asks for the tick on the version shown, and keeps the version on the application', async () => {
    const m = await consoleBrand('manager');
    await openApplications(m);
    // No terms: the page and the form are as before.
    const plain = await (await get(applyPath(m))).text();
    expect(plain).not.toContain('acceptTerms');
    const before = application();
    expect((await apply(m, before)).status).toBe(200);
    expect(await env.DB.prepare('SELECT terms_version FROM applications WHERE email = ?').bind(before.email).first('terms_version')).toBeNull();

    await publish(m.brand, 'Applicant terms <v1>.');
    const page = await (await get(applyPath(m))).text();
    expect(page).toContain('Applicant terms &lt;v1&gt;.');
    expect(page).toContain('name="termsVersion" value="1"');
    const stored = (email: string) => rowCount('SELECT count(*) AS n FROM applications WHERE email = ?', email);

    const unticked = application({ termsVersion: '1' });
    const refused = await apply(m, unticked);
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain(unticked.name);
    // A page drawn before the brand had terms: the terms to read, nothing stored.
    const unseen = application({ acceptTerms: '1' });
    expect((await apply(m, unseen)).status).toBe(409);
    await publish(m.brand, 'Applicant terms v2.');
    const stale = application({ termsVersion: '1', acceptTerms: '1' });
    const staleAnswer = await apply(m, stale);
    expect(staleAnswer.status).toBe(409);
    const staleHtml = await staleAnswer.text();
    expect(staleHtml).toContain('Applicant terms v2.');
    expect(staleHtml).toContain(stale.email);
    for (const f of [unticked, unseen, stale]) expect(await stored(f.email)).toBe(0);
    expect((await apply(m, application({ termsVersion: '2', acceptTerms: '1' }), { origin: 'https://evil.example' })).status).toBe(403);

    const ok = application({ termsVersion: '2', acceptTerms: '1' });
    expect((await apply(m, ok)).status).toBe(200);
    expect(await env.DB.prepare('SELECT terms_version FROM applications WHERE email = ?').bind(ok.email).first('terms_version')).toBe(2);
    const listed = await json<{ data: { email: string; termsVersion: number | null }[] }>(await m.brand.api('GET', `/api/admin/campaigns/${m.campaign.id}/applications?status=pending`));
    expect(listed.data.map((a) => [a.email, a.termsVersion])).toEqual([
      [before.email, null],
      [ok.email, 2],
    ]);
    expect(await (await get(`/console/campaigns/${m.campaign.id}/applications`, m.cookie)).text()).toContain('ticked program terms v2');
  });
});

describe("the console's creator page and roster", () => {
  it('say which version each creator accepted, and only once the brand has terms', async () => {
    const m = await consoleBrand('viewer');
    const creatorPage = `/console/campaigns/${m.campaign.id}/creators/${m.enrollment.id}`;
    const read = async (path: string) => (await get(path, m.cookie)).text();
    expect(await read(creatorPage)).not.toContain('terms');
    await publish(m.brand, 'Version one.');
    // Not joined yet: joining will ask, so nothing reads as a refusal.
    const joinedAt = (at: number | null) => env.DB.prepare('UPDATE brand_creators SET accepted_at = ? WHERE brand_id = ? AND creator_id = ?').bind(at, m.brand.brandId, m.creator.id).run();
    await joinedAt(null);
    expect(await read(creatorPage)).not.toContain('Not accepted current terms');
    await joinedAt(Date.now());
    expect(await read(creatorPage)).toContain('Not accepted current terms');
    expect(await read('/console/creators')).toContain('Not accepted current terms');
    await env.DB.prepare("INSERT INTO terms_acceptances (id, brand_id, creator_id, version, via, accepted_at) VALUES (?, ?, ?, 1, 'update', ?)").bind(`tac_${m.creator.id}`, m.brand.brandId, m.creator.id, Date.UTC(2026, 2, 4, 12)).run();
    // Each version named links to its page (its text and who accepted it).
    expect(await read(creatorPage)).toContain('Accepted terms <a href="/console/settings/terms/1">v1</a> on Mar 4, 2026');
    expect(await read('/console/creators')).toContain('<a href="/console/settings/terms/1">Terms v1</a>');
    await publish(m.brand, 'Version two.');
    expect(await read(creatorPage)).toContain('not accepted current terms (<a href="/console/settings/terms/2">v2</a>) yet');
    expect(await read('/console/creators')).toContain('<a href="/console/settings/terms/1">Terms v1</a> (current: <a href="/console/settings/terms/2">v2</a>)');
  });
});

describe("the history of a brand's terms", () => {
  type Version = { version: number; acceptedCount: number; publishedBy: { name: string | null } };
  type Detail = { data: Terms & { acceptedCount: number; acceptances: { creatorId: string; handle: string; displayName: string; erasedAt: string | null; via: string; acceptedAt: string }[] }; hasMore: boolean; nextCursor: string | null };
  const accepted = (brandId: string, creatorId: string, version: number, at: number, via = 'update') =>
    env.DB.prepare('INSERT INTO terms_acceptances (id, brand_id, creator_id, version, via, accepted_at) VALUES (?, ?, ?, ?, ?, ?)').bind(`tac_h_${brandId}_${creatorId}_${version}`, brandId, creatorId, version, via, at).run();

  it('lists every version with its count, shows each with who accepted it (erased creators as closed accounts), a page at a time, to every role and no other brand', async () => {
    const m = await consoleBrand('viewer');
    const read = async (path: string) => (await get(path, m.cookie)).text();
    expect(await read('/console/settings')).not.toContain('terms-versions-h');
    await publish(m.brand, 'First <terms>.');
    await publish(m.brand, 'Second terms.');
    // A second creator who accepted version 1 and closed their account since.
    const gone = await json<{ data: { id: string } }>(await m.brand.api('POST', '/api/admin/creators', { email: `gone-${m.brand.slug}@creators.test`, handle: `gone_${m.brand.slug.slice(2, 10)}`, displayName: 'Gone Creator' }));
    await accepted(m.brand.brandId, m.creator.id, 1, Date.UTC(2026, 0, 2), 'invitation');
    await accepted(m.brand.brandId, gone.data.id, 1, Date.UTC(2026, 0, 3));
    expect((await m.brand.api('POST', `/api/admin/creators/${gone.data.id}/erase`, { confirm: true })).status).toBe(200);

    const settings = await read('/console/settings');
    expect(settings).toMatch(/href="\/console\/settings\/terms\/2">Version 2<\/a>[\s\S]*0 creators[\s\S]*href="\/console\/settings\/terms\/1">Version 1<\/a>[\s\S]*2 creators/);
    expect(settings).toContain('API key ');

    const v1 = await get('/console/settings/terms/1', m.cookie);
    expect(v1.status).toBe(200);
    const page = await v1.text();
    expect(page).toContain('First &lt;terms&gt;.');
    expect(page).not.toContain('<textarea');
    expect(page).toContain(`@${m.handle}`);
    expect(page).toContain('<strong>Closed account</strong>');
    expect(page).toMatch(/@closed-[0-9a-f]+/);
    expect(page).not.toContain('Gone Creator');
    expect(page).toContain('href="/console/settings/terms/2"');
    // Latest first, so the closed account's (Jan 3) comes before the other (Jan 2).
    expect(page.indexOf('<strong>Closed account</strong>')).toBeLessThan(page.indexOf(`@${m.handle}`));
    expect(await read('/console/settings/terms/2')).toContain('Nobody yet.');

    // The API: the same versions and counts, and the acceptances a page at a time.
    const list = await json<{ data: Version[]; hasMore: boolean; nextCursor: string | null }>(await m.brand.api('GET', '/api/admin/brand/terms/versions'));
    expect(list.data.map((v) => [v.version, v.acceptedCount])).toEqual([
      [2, 0],
      [1, 2],
    ]);
    expect(list.hasMore).toBe(false);
    const first = await json<{ data: Version[]; hasMore: boolean; nextCursor: string }>(await m.brand.api('GET', '/api/admin/brand/terms/versions?limit=1'));
    expect([first.data.map((v) => v.version), first.hasMore]).toEqual([[2], true]);
    const rest = await json<{ data: Version[]; hasMore: boolean }>(await m.brand.api('GET', `/api/admin/brand/terms/versions?limit=1&cursor=${first.nextCursor}`));
    expect([rest.data.map((v) => v.version), rest.hasMore]).toEqual([[1], false]);

    const one = await json<Detail>(await m.brand.api('GET', '/api/admin/brand/terms/versions/1?limit=1'));
    expect(one.data).toMatchObject({ version: 1, text: 'First <terms>.', acceptedCount: 2 });
    expect(one.data.acceptances).toEqual([{ creatorId: gone.data.id, handle: expect.stringMatching(/^closed-/), displayName: 'Closed account', erasedAt: expect.any(String), via: 'update', acceptedAt: '2026-01-03T00:00:00.000Z' }]);
    expect(one.hasMore).toBe(true);
    const two = await json<Detail>(await m.brand.api('GET', `/api/admin/brand/terms/versions/1?limit=1&cursor=${one.nextCursor}`));
    expect(two.data.acceptances.map((a) => [a.creatorId, a.via, a.erasedAt])).toEqual([[m.creator.id, 'invitation', null]]);
    expect(two.hasMore).toBe(false);
    // The console pages the same way.
    const older = await read(`/console/settings/terms/1?cursor=${one.nextCursor}`);
    expect(older).toContain(`@${m.handle}`);
    expect(older).not.toContain('<strong>Closed account</strong>');

    for (const bad of ['3', '0', '01', '-1', '1.0', 'abc', '%00', '9'.repeat(30)]) {
      const page = await get(`/console/settings/terms/${bad}`, m.cookie);
      expect(page.status, bad).toBe(404);
      const api = await m.brand.api('GET', `/api/admin/brand/terms/versions/${bad}`);
      expect(api.status, bad).toBe(404);
      expect((await json<ErrorBody>(api)).error.code).toBe('not_found');
    }

    // Another brand with more versions: its third is not ours, and ours are never shown to it.
    const other = await consoleBrand('owner');
    for (const text of ['Other one.', 'Other two.', 'Other three.']) await publish(other.brand, text);
    await accepted(other.brand.brandId, m.creator.id, 1, Date.UTC(2026, 0, 4));
    // Counted as listed: through the brand's roster, where the creator is not yet.
    const theirV1 = async () => (await json<Detail>(await other.brand.api('GET', '/api/admin/brand/terms/versions/1'))).data;
    expect(await theirV1()).toMatchObject({ acceptedCount: 0, acceptances: [] });
    await env.DB.prepare('INSERT INTO brand_creators (brand_id, creator_id, handle, display_name, email, accepted_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .bind(other.brand.brandId, m.creator.id, 'theirs_too', 'Their Copy', `theirs-${m.creator.id}@creators.test`, Date.now(), Date.now())
      .run();
    expect((await get('/console/settings/terms/3', m.cookie)).status).toBe(404);
    expect((await m.brand.api('GET', '/api/admin/brand/terms/versions/3')).status).toBe(404);
    const theirs = await (await get('/console/settings/terms/1', other.cookie)).text();
    expect(theirs).toContain('Other one.');
    expect(theirs).not.toContain('First &lt;terms&gt;.');
    expect(theirs).not.toContain('<strong>Closed account</strong>');
    const v1OfTheirs = await theirV1();
    expect([v1OfTheirs.acceptedCount, v1OfTheirs.acceptances.map((a) => [a.creatorId, a.handle])]).toEqual([1, [[m.creator.id, 'theirs_too']]]);
    expect(theirs).toContain('@theirs_too');
    expect((await json<Detail>(await m.brand.api('GET', '/api/admin/brand/terms/versions/1'))).data.acceptedCount).toBe(2);
    // Every role reads it, as every role reads Settings; the signed-out are sent to sign in.
    for (const role of ['finance', 'manager'] as const) {
      const user = await adminUser(m.brand.brandId, role);
      expect((await get('/console/settings/terms/1', await signIn(user.email))).status, role).toBe(200);
    }
    expect((await get('/console/settings/terms/1')).status).toBe(303);
  });

  it('pages who accepted a version by time, then id: two who accepted at the same moment are each listed once; a cursor not given out is 422 in the API and the first page in the console', async () => {
    const m = await consoleBrand('viewer');
    await publish(m.brand, 'Terms accepted at once.');
    const handle = `tied_${m.brand.slug.slice(2, 10)}`;
    const tied = await json<{ data: { id: string } }>(await m.brand.api('POST', '/api/admin/creators', { email: `tied-${m.brand.slug}@creators.test`, handle, displayName: 'Tied Creator' }));
    const at = Date.UTC(2026, 1, 1);
    await accepted(m.brand.brandId, m.creator.id, 1, at);
    await accepted(m.brand.brandId, tied.data.id, 1, at);
    const page = async (cursor?: string | null) => json<Detail>(await m.brand.api('GET', `/api/admin/brand/terms/versions/1?limit=1${cursor ? `&cursor=${cursor}` : ''}`));
    const first = await page();
    const second = await page(first.nextCursor);
    expect([first.data.acceptances.length, first.hasMore, second.data.acceptances.length, second.hasMore, second.nextCursor]).toEqual([1, true, 1, false, null]);
    expect([...first.data.acceptances, ...second.data.acceptances].map((a) => a.creatorId).sort()).toEqual([m.creator.id, tied.data.id].sort());

    for (const bad of ['junk', '%00', 'x'.repeat(300), btoa('soon.tac_x').replace(/=+$/, '')]) {
      for (const path of ['/api/admin/brand/terms/versions', '/api/admin/brand/terms/versions/1']) {
        const res = await m.brand.api('GET', `${path}?cursor=${bad}`);
        expect(res.status, `${path} ${bad}`).toBe(422);
        expect((await json<ErrorBody>(res)).error.code).toBe('validation_failed');
      }
      const latest = await get(`/console/settings/terms/1?cursor=${bad}`, m.cookie);
      expect(latest.status, bad).toBe(200);
      const text = await latest.text();
      expect(text).toContain(`@${m.handle}`);
      expect(text).toContain(`@${handle}`);
    }
  });
});

describe('erasure', () => {
  it("keeps the brand's record of which terms the creator accepted, under the account's id alone", async () => {
    const m = await createMoneyBrand();
    await publish(m.brand, 'Kept terms.');
    await env.DB.prepare("INSERT INTO terms_acceptances (id, brand_id, creator_id, version, via, accepted_at) VALUES (?, ?, ?, 1, 'invitation', 1)").bind(`tac_e_${m.creator.id}`, m.brand.brandId, m.creator.id).run();
    expect((await m.brand.api('POST', `/api/admin/creators/${m.creator.id}/erase`, { confirm: true })).status).toBe(200);
    expect(await rowCount('SELECT count(*) AS n FROM terms_acceptances WHERE creator_id = ?', m.creator.id)).toBe(1);
    const creators = await json<{ data: { id: string; termsAccepted: unknown; erasedAt: string | null }[] }>(await m.brand.api('GET', '/api/admin/creators'));
    expect(creators.data.find((c) => c.id === m.creator.id)).toMatchObject({ termsAccepted: { version: 1 }, erasedAt: expect.any(String) });
  });
});
