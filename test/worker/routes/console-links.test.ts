// More than one tracked link per creator from the console's creator page: to another page of the brand's
// (a product), checked as the admin API checks it, working at once; each link says where it leads, to the
// brand and to the creator.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { adminUser, signIn, tag } from '../console-fixtures';
import { rowCount } from '../fixtures';
import { get, post } from '../forms';
import { portalTestDefaults, signedInCreator } from '../portal-fixtures';

portalTestDefaults();

async function setup() {
  const m = await signedInCreator();
  const manager = await adminUser(m.brand.brandId, 'manager');
  return { ...m, manager, console: await signIn(manager.email), page: `/console/campaigns/${m.campaign.id}/creators/${m.enrollment.id}` };
}

const linksOf = (enrollmentId: string) => env.DB.prepare('SELECT slug, destination FROM links WHERE enrollment_id = ? ORDER BY created_at, id').bind(enrollmentId).all<{ slug: string; destination: string }>().then((r) => r.results);

describe('adding a tracked link in the console', () => {
  it('adds one to another page that works at once and says where it leads, to the brand and the creator', async () => {
    const m = await setup();
    const slug = `serum-${tag()}`;
    const res = await post(`${m.page}/links`, { destination: 'https://shop.example/serum?size=30ml', slug }, { cookie: m.console });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`${m.page}?flash=link_added`);
    expect((await linksOf(m.enrollment.id)).map((l) => l.destination)).toEqual(['https://shop.example/glow', 'https://shop.example/serum?size=30ml']);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'link.created' AND actor_type = 'admin_user' AND actor_id = ?", m.brand.brandId, m.manager.id)).toBe(1);
    const redirect = await get(`/r/${slug}`);
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toMatch(/^https:\/\/shop\.example\/serum\?size=30ml&utm_source=/);
    const page = await (await get(`${m.page}?flash=link_added`, m.console)).text();
    expect(page).toContain('Link added.');
    expect(page).toContain('Tracked link to shop.example/glow');
    expect(page).toContain('Tracked link to shop.example/serum');
    const home = await (await get('/', m.cookie)).text();
    expect(home).toContain('Your tracked link to shop.example/glow');
    expect(home).toContain('Your tracked link to shop.example/serum');
    // The code says what it gives, to the creator (for their posts) and to the brand.
    expect(home).toContain('Your discount code: 15% off for your followers');
    expect(page).toContain('Discount code: 15% off');
    // Left empty: the campaign's destination, and a name made from the handle.
    expect((await post(`${m.page}/links`, { destination: '', slug: '' }, { cookie: m.console })).status).toBe(303);
    const third = (await linksOf(m.enrollment.id))[2]!;
    expect(third.destination).toBe('https://shop.example/glow');
    expect(third.slug.startsWith(m.handle.replace(/_/g, '-').slice(0, 10))).toBe(true);
  });

  it('refuses what the API refuses, and anyone but an owner or manager, writing nothing', async () => {
    const m = await setup();
    const taken = `taken-${tag()}`;
    expect((await post(`${m.page}/links`, { destination: '', slug: taken }, { cookie: m.console })).status).toBe(303);
    const cases: [Record<string, string>, number, string][] = [
      [{ destination: 'https://evil.example/serum', slug: '' }, 422, 'The destination must be an https:// page on one of your allowed hosts (Settings).'],
      [{ destination: 'javascript:alert(1)', slug: '' }, 422, 'The destination must be an https:// page'],
      [{ destination: 'http://shop.example/serum', slug: '' }, 422, 'The destination must be an https:// page'],
      [{ destination: '', slug: 'two words' }, 422, 'The link name is 3 to 64 letters, digits, - or _, without spaces.'],
      [{ destination: '', slug: 'ab' }, 422, 'The link name is 3 to 64 letters'],
      [{ destination: '', slug: taken.toUpperCase() }, 409, 'That link name is taken'],
    ];
    for (const [fields, status, message] of cases) {
      const res = await post(`${m.page}/links`, fields, { cookie: m.console });
      expect(res.status, JSON.stringify(fields)).toBe(status);
      const html = await res.text();
      expect(html).toContain(message);
      expect(html).toContain('<details class="add-link" open="">'); // what was typed, shown back
    }
    for (const role of ['viewer', 'finance'] as const) {
      const cookie = await signIn((await adminUser(m.brand.brandId, role)).email);
      expect((await post(`${m.page}/links`, { destination: '' }, { cookie })).status, role).toBe(403);
    }
    const long = await post(`${m.page}/links`, { destination: `https://shop.example/${'a'.repeat(2100)}`, slug: '' }, { cookie: m.console });
    expect(long.status).toBe(422);
    expect(await long.text()).toContain('The destination is too long');
    expect((await post(`${m.page}/links`, { destination: '' }, { cookie: m.console, origin: 'https://evil.example' })).status).toBe(403);
    const other = await setup();
    expect((await post(`${m.page}/links`, { destination: '' }, { cookie: other.console })).status).toBe(404);
    // A removed creator's links are closed: no new one.
    expect((await m.brand.api('PATCH', `/api/admin/enrollments/${m.enrollment.id}`, { status: 'removed' })).status).toBe(200);
    const removed = await post(`${m.page}/links`, { destination: '' }, { cookie: m.console });
    expect(removed.status).toBe(409);
    expect(await removed.text()).toContain('was removed from this campaign');
    expect(await linksOf(m.enrollment.id)).toHaveLength(2);
  });

  it('pauses and resumes a link, only one of this creator’s, and the redirect follows at once', async () => {
    const m = await setup();
    const link = await env.DB.prepare('SELECT id, slug FROM links WHERE enrollment_id = ?').bind(m.enrollment.id).first<{ id: string; slug: string }>();
    expect(await (await get(m.page, m.console)).text()).toContain(`action="${m.page}/links/${link!.id}/status"`);
    const paused = await post(`${m.page}/links/${link!.id}/status`, { status: 'paused' }, { cookie: m.console });
    expect(paused.headers.get('location')).toBe(`${m.page}?flash=link_paused`);
    expect(await env.DB.prepare('SELECT status FROM links WHERE id = ?').bind(link!.id).first('status')).toBe('paused');
    expect((await get(`/r/${link!.slug}`)).headers.get('location') ?? '').not.toContain('utm_source');
    expect(await (await get(m.page, m.console)).text()).toContain('Tracked link (paused) to shop.example/glow');
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'link.updated' AND actor_type = 'admin_user'", link!.id)).toBe(1);
    expect((await post(`${m.page}/links/${link!.id}/status`, { status: 'active' }, { cookie: m.console })).headers.get('location')).toBe(`${m.page}?flash=link_active`);
    expect((await get(`/r/${link!.slug}`)).headers.get('location')).toContain('utm_source=');
    // Not a status; another brand's link; a link of another creator under this creator's page; a viewer.
    expect((await post(`${m.page}/links/${link!.id}/status`, { status: 'deleted' }, { cookie: m.console })).status).toBe(422);
    const other = await setup();
    const theirs = await env.DB.prepare('SELECT id FROM links WHERE enrollment_id = ?').bind(other.enrollment.id).first<{ id: string }>();
    expect((await post(`${m.page}/links/${theirs!.id}/status`, { status: 'paused' }, { cookie: m.console })).status).toBe(404);
    expect((await post(`${other.page}/links/${link!.id}/status`, { status: 'paused' }, { cookie: other.console })).status).toBe(404);
    const viewer = await signIn((await adminUser(m.brand.brandId, 'viewer')).email);
    expect((await post(`${m.page}/links/${link!.id}/status`, { status: 'paused' }, { cookie: viewer })).status).toBe(403);
    expect(await env.DB.prepare('SELECT status FROM links WHERE id IN (?, ?)').bind(link!.id, theirs!.id).all().then((r) => r.results.map((x) => x.status))).toEqual(['active', 'active']);
  });

  it('re-points a link: the same link leads to the new page at once, checked as the API checks it', async () => {
    const m = await setup();
    const link = await env.DB.prepare('SELECT id, slug FROM links WHERE enrollment_id = ?').bind(m.enrollment.id).first<{ id: string; slug: string }>();
    const action = `${m.page}/links/${link!.id}/destination`;
    expect(await (await get(m.page, m.console)).text()).toContain(`action="${action}"`);
    const res = await post(action, { destination: ' https://shop.example/holiday-set ' }, { cookie: m.console });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`${m.page}?flash=link_repointed`);
    expect(await linksOf(m.enrollment.id)).toEqual([{ slug: link!.slug, destination: 'https://shop.example/holiday-set' }]);
    expect((await get(`/r/${link!.slug}`)).headers.get('location')).toMatch(/^https:\/\/shop\.example\/holiday-set\?utm_source=/);
    const audit = await env.DB.prepare("SELECT details FROM audit_log WHERE target_id = ? AND action = 'link.updated' AND actor_type = 'admin_user' AND actor_id = ?").bind(link!.id, m.manager.id).all<{ details: string }>();
    expect(audit.results.map((r) => JSON.parse(r.details))).toEqual([{ destination: 'https://shop.example/holiday-set', before: { status: 'active', destination: 'https://shop.example/glow' } }]);
    expect(await (await get('/console/activity', m.console)).text()).toContain('destination shop.example/glow → shop.example/holiday-set');
    expect(await (await get(`${m.page}?flash=link_repointed`, m.console)).text()).toContain('Tracked link to shop.example/holiday-set');
    expect(await (await get('/', m.cookie)).text()).toContain('Your tracked link to shop.example/holiday-set');

    // Refused, with what was typed shown back in that link's open form, and nothing changed.
    const cases: [string, number, string][] = [
      ['https://evil.example/holiday-set', 422, 'The destination must be an https:// page on one of your allowed hosts (Settings).'],
      ['https://shop.example@evil.example/', 422, 'The destination must be an https:// page'],
      ['javascript:alert(1)', 422, 'The destination must be an https:// page'],
      ['', 422, 'Type the page the link should lead to.'],
      [`https://shop.example/${'a'.repeat(2100)}`, 422, 'The destination is too long'],
    ];
    for (const [destination, status, message] of cases) {
      const refused = await post(action, { destination }, { cookie: m.console });
      expect(refused.status, destination.slice(0, 40)).toBe(status);
      const html = await refused.text();
      expect(html).toContain(message);
      if (destination !== '' && destination.length < 100) expect(html).toContain(`value="${destination.replace(/&/g, '&amp;')}"`);
    }
    expect((await post(action, { destination: 'https://shop.example/x' }, { cookie: m.console, origin: 'https://evil.example' })).status).toBe(403);
    for (const role of ['viewer', 'finance'] as const) {
      const cookie = await signIn((await adminUser(m.brand.brandId, role)).email);
      expect((await post(action, { destination: 'https://shop.example/x' }, { cookie })).status, role).toBe(403);
    }
    const other = await setup();
    const theirs = await env.DB.prepare('SELECT id FROM links WHERE enrollment_id = ?').bind(other.enrollment.id).first<{ id: string }>();
    expect((await post(`${m.page}/links/${theirs!.id}/destination`, { destination: 'https://shop.example/x' }, { cookie: m.console })).status).toBe(404);
    expect((await post(`${other.page}/links/${link!.id}/destination`, { destination: 'https://shop.example/x' }, { cookie: other.console })).status).toBe(404);
    expect((await m.brand.api('PATCH', `/api/admin/enrollments/${m.enrollment.id}`, { status: 'removed' })).status).toBe(200);
    expect((await post(action, { destination: 'https://shop.example/x' }, { cookie: m.console })).status).toBe(409);
    // Nor paused or resumed: a removed creator's links are closed until they are restored.
    for (const status of ['paused', 'active']) expect((await post(`${m.page}/links/${link!.id}/status`, { status }, { cookie: m.console })).status, status).toBe(409);
    const api = await m.brand.api('PATCH', `/api/admin/links/${link!.id}`, { status: 'paused' });
    expect(api.status).toBe(409);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('enrollment_removed');
    expect(await env.DB.prepare('SELECT status FROM links WHERE id = ?').bind(link!.id).first('status')).toBe('active');
    expect(await linksOf(m.enrollment.id)).toEqual([{ slug: link!.slug, destination: 'https://shop.example/holiday-set' }]);
    expect(await linksOf(other.enrollment.id)).toEqual([expect.objectContaining({ destination: 'https://shop.example/glow' })]);
  });
});
