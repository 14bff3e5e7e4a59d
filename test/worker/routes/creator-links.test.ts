// A creator's own links to pages of the brand's shop: made from the portal, one per page, on the brand's hosts only.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { MAX_LINKS_PER_ENROLLMENT } from '../../../worker/routes/admin/links';
import { rowCount } from '../fixtures';
import { get, post } from '../forms';
import { signedInCreator, portalTestDefaults } from '../portal-fixtures';

portalTestDefaults();

type Creator = Awaited<ReturnType<typeof signedInCreator>>;
const links = (m: Creator) => rowCount('SELECT count(*) AS n FROM links WHERE enrollment_id = ?', m.enrollment.id);
const make = (m: Creator, destination: string, enrollmentId = m.enrollment.id) => post('/links', { enrollmentId, destination }, { cookie: m.cookie });

describe("a creator's own links", () => {
  it('makes a tracked link to a product page that redirects there with the UTM values and a click id, audited as the creator', async () => {
    const m = await signedInCreator();
    const home = await (await get('/', m.cookie)).text();
    expect(home).toContain(`href="/links/new?enrollment=${m.enrollment.id}"`);
    const form = await get(`/links/new?enrollment=${m.enrollment.id}`, m.cookie);
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('It must be on shop.example or one of its subdomains.');

    const made = await make(m, 'shop.example/products/serum?variant=2');
    expect(made.status).toBe(303);
    expect(made.headers.get('location')).toBe(`/?linked=new#c-${m.enrollment.id}`);
    const link = await env.DB.prepare("SELECT id, slug, destination FROM links WHERE enrollment_id = ? AND destination LIKE '%serum%'").bind(m.enrollment.id).first<{ id: string; slug: string; destination: string }>();
    expect(link!.destination).toBe('https://shop.example/products/serum?variant=2');
    const audit = await env.DB.prepare("SELECT actor_type, actor_id FROM audit_log WHERE action = 'link.created' AND target_id = ?").bind(link!.id).first();
    expect(audit).toEqual({ actor_type: 'creator', actor_id: m.creator.id });

    const page = await (await get('/?linked=new', m.cookie)).text();
    expect(page).toContain('Your new link is ready');
    expect(page).toContain(`/r/${link!.slug}`);
    const followed = await get(`/r/${link!.slug}`);
    expect(followed.status).toBe(302);
    const to = new URL(followed.headers.get('location')!);
    expect(to.origin + to.pathname).toBe('https://shop.example/products/serum');
    expect(to.searchParams.get('variant')).toBe('2');
    expect(to.searchParams.get('utm_source')).toBe(m.handle);
    expect(to.searchParams.get('cid')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
  });

  it('answers the link the creator already has to a page instead of making another, however often the form is sent', async () => {
    const m = await signedInCreator();
    const before = await links(m);
    const sent = await Promise.all([make(m, 'https://shop.example/products/mask'), make(m, 'https://shop.example/products/mask')]);
    expect(sent.map((r) => r.status)).toEqual([303, 303]);
    expect(await links(m)).toBe(before + 1);
    const again = await make(m, 'shop.example/products/mask');
    expect(again.headers.get('location')).toBe(`/?linked=existing#c-${m.enrollment.id}`);
    expect(await links(m)).toBe(before + 1);
    expect(await (await get('/?linked=existing', m.cookie)).text()).toContain('You already have a link to that page');
  });

  it('refuses pages off the brand\'s hosts and addresses that are not pages, saying why and writing nothing', async () => {
    const m = await signedInCreator();
    const before = await links(m);
    const cases: [string, string][] = [
      ['https://evil.example/products/serum', 'is not on the brand&#39;s shop: links can go to shop.example or one of its subdomains.'],
      ['//evil.example/x', 'is not on the brand&#39;s shop'],
      ['https://shop.example.evil.example/', 'is not on the brand&#39;s shop'],
      ['http://shop.example/products/serum', 'is not a page&#39;s address'],
      ['javascript:alert(1)', 'is not a page&#39;s address'],
      ['https://user@shop.example/', 'is not a page&#39;s address'],
      [`https://shop.example/${'a'.repeat(2100)}`, 'too long'],
      ['', 'is not a page&#39;s address'],
    ];
    for (const [destination, says] of cases) {
      const res = await make(m, destination);
      expect(res.status, destination).toBe(422);
      const html = await res.text();
      expect(html, destination).toContain(says);
      expect(html).toContain('aria-invalid="true"');
    }
    expect(await links(m)).toBe(before);
  });

  it("is a 404 for another creator's campaign and an invitation, and a 409 once the campaign has ended", async () => {
    const m = await signedInCreator();
    const other = await signedInCreator();
    const before = await links(other);
    expect((await make(m, 'https://shop.example/p', other.enrollment.id)).status).toBe(404);
    expect((await get(`/links/new?enrollment=${other.enrollment.id}`, m.cookie)).status).toBe(404);
    expect((await get(`/links/new?enrollment=${'x'.repeat(5000)}`, m.cookie)).status).toBe(404);
    expect((await get('/links/new', m.cookie)).status).toBe(404);
    expect(await links(other)).toBe(before);

    await env.DB.prepare("UPDATE enrollments SET status = 'invited' WHERE id = ?").bind(m.enrollment.id).run();
    expect((await make(m, 'https://shop.example/p')).status).toBe(404);
    await env.DB.prepare("UPDATE enrollments SET status = 'paused' WHERE id = ?").bind(m.enrollment.id).run();
    expect((await make(m, 'https://shop.example/p')).status).toBe(409);
    await env.DB.prepare("UPDATE enrollments SET status = 'active' WHERE id = ?").bind(m.enrollment.id).run();
    await env.DB.prepare("UPDATE campaigns SET status = 'ended' WHERE id = ?").bind(m.campaign.id).run();
    expect((await make(m, 'https://shop.example/p')).status).toBe(409);
    expect((await get(`/links/new?enrollment=${m.enrollment.id}`, m.cookie)).status).toBe(409);
  });

  it(`stops at ${MAX_LINKS_PER_ENROLLMENT} links in a campaign, still answering one the creator has`, async () => {
    const m = await signedInCreator();
    for (let i = await links(m); i < MAX_LINKS_PER_ENROLLMENT; i++) expect((await make(m, `https://shop.example/p/${i}`)).status).toBe(303);
    const full = await make(m, 'https://shop.example/p/one-more');
    expect(full.status).toBe(409);
    expect(await full.text()).toContain(`You have ${MAX_LINKS_PER_ENROLLMENT} links in this campaign, the most there can be: share one of those.`);
    expect((await make(m, `https://shop.example/p/${MAX_LINKS_PER_ENROLLMENT - 1}`)).headers.get('location')).toContain('linked=existing');
    expect(await links(m)).toBe(MAX_LINKS_PER_ENROLLMENT);
  });

  it('needs a signed-in creator and a form from the portal itself', async () => {
    const m = await signedInCreator();
    const before = await links(m);
    const out = await post('/links', { enrollmentId: m.enrollment.id, destination: 'https://shop.example/p' });
    expect(out.status).toBe(401);
    const page = await get(`/links/new?enrollment=${m.enrollment.id}`);
    expect(page.headers.get('location')).toBe(`/login?next=${encodeURIComponent(`/links/new?enrollment=${m.enrollment.id}`)}`);
    expect((await post('/links', { enrollmentId: m.enrollment.id, destination: 'https://shop.example/p' }, { cookie: m.cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect(await links(m)).toBe(before);
  });

  it('holds the cap against a burst of posts, each to another page', async () => {
    const m = await signedInCreator();
    const start = await links(m);
    const sent = await Promise.all(Array.from({ length: MAX_LINKS_PER_ENROLLMENT + 10 - start }, (_, i) => make(m, `https://shop.example/burst/${i}`)));
    expect(sent.every((r) => r.status === 303 || r.status === 409)).toBe(true);
    expect(await links(m)).toBe(MAX_LINKS_PER_ENROLLMENT);
  });

  it('keeps a page the brand paused paused: no new link to it, however its address is written', async () => {
    const m = await signedInCreator();
    const main = await env.DB.prepare('SELECT id, destination FROM links WHERE id = ?').bind(m.link.id).first<{ id: string; destination: string }>();
    expect((await m.brand.api('PATCH', `/api/admin/links/${main!.id}`, { status: 'paused' })).status).toBe(200);
    const before = await links(m);
    for (const variant of [main!.destination, `${main!.destination}/`, `${main!.destination}#top`, `${main!.destination}?`, `${main!.destination}?a=1`]) {
      const res = await make(m, variant);
      expect(res.status, variant).toBe(409);
      expect(await res.text()).toContain('paused your link to that page');
    }
    expect(await links(m)).toBe(before);
  });

  it('makes one link per page however its address is written, and tells two variants of a product apart', async () => {
    const m = await signedInCreator();
    const before = await links(m);
    for (const variant of ['https://shop.example/p/serum', 'https://SHOP.example/p/serum/', 'shop.example/p/serum#reviews', 'https://shop.example/p/serum?']) expect((await make(m, variant)).status).toBe(303);
    expect(await links(m)).toBe(before + 1);
    expect((await make(m, 'https://shop.example/p/serum?variant=2')).status).toBe(303);
    expect(await links(m)).toBe(before + 2);
    const home = await (await get('/', m.cookie)).text();
    expect(home).toContain('Your tracked link to shop.example/p/serum<');
    expect(home).toContain('Your tracked link to shop.example/p/serum?variant=2<');
  });
});
