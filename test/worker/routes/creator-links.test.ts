// A creator's own links to pages of the brand's shop: made from the portal, one per page, on the brand's hosts only;
// archived off their home page (still redirecting) and restored, under the same cap.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { MAX_LINKS_MADE_PER_ENROLLMENT, MAX_LINKS_PER_ENROLLMENT } from '../../../worker/routes/admin/links';
import { adminUser, signIn } from '../console-fixtures';
import { json, rowCount } from '../fixtures';
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
    expect(await full.text()).toContain(`You have ${MAX_LINKS_PER_ENROLLMENT} links in this campaign, the most there can be: share one of those, or archive one you no longer share to make room.`);
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

describe("archiving a link the creator made", () => {
  type Link = { id: string; slug: string; archived_at: number | null; updated_at: number };
  const linkTo = (m: Creator, page: string) => env.DB.prepare('SELECT id, slug, archived_at, updated_at FROM links WHERE enrollment_id = ? AND destination = ?').bind(m.enrollment.id, page).first<Link>();
  const listed = (m: Creator) => rowCount('SELECT count(*) AS n FROM links WHERE enrollment_id = ? AND archived_at IS NULL', m.enrollment.id);
  const audits = (action: string, linkId: string) => rowCount('SELECT count(*) AS n FROM audit_log WHERE action = ? AND target_id = ?', action, linkId);
  const archive = (m: Creator, slug: string, opts: { origin?: string } = {}) => post(`/links/${slug}/archive`, {}, { cookie: m.cookie, ...opts });
  const restore = (m: Creator, slug: string) => post(`/links/${slug}/restore`, {}, { cookie: m.cookie });
  // Links the creator made, written straight to D1 (the cap is what is tested, not making them one by one).
  const fill = (m: Creator, n: number, archivedAt: number | null = null) =>
    env.DB.batch(
      Array.from({ length: n }, (_, i) =>
        env.DB.prepare("INSERT INTO links (id, brand_id, enrollment_id, slug, destination, made_by, archived_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'creator', ?, 1, 1)").bind(
          `lnk_${m.handle}_${archivedAt ?? 'l'}_${i}`,
          m.brand.brandId,
          m.enrollment.id,
          `f-${m.handle.slice(6)}-${archivedAt ?? 'l'}-${i}`.replace(/_/g, '-'),
          `https://shop.example/fill/${archivedAt ?? 'l'}/${i}`,
          archivedAt,
        ),
      ),
    );

  it('takes it off the home card with an Undo, keeps it redirecting and counted, and gives it back', async () => {
    const m = await signedInCreator();
    expect((await make(m, 'https://shop.example/products/lamp')).status).toBe(303);
    const mine = (await linkTo(m, 'https://shop.example/products/lamp'))!;
    const home = await (await get('/', m.cookie)).text();
    expect(home).toContain(`action="/links/${mine.slug}/archive"`);
    expect(home).not.toContain(`action="/links/${m.link.slug}/archive"`); // the brand's link is the brand's
    expect(home).not.toContain('Archived links');

    const archived = await archive(m, mine.slug);
    expect(archived.status).toBe(303);
    expect(archived.headers.get('location')).toBe(`/?archived=${mine.slug}`);
    const after = await (await get(archived.headers.get('location')!, m.cookie)).text();
    expect(after).toContain('Archived your link to shop.example/products/lamp.');
    expect(after).toContain(`<form method="post" action="/links/${mine.slug}/restore" class="undo">`);
    expect(after).toContain('Archived links (1)');
    expect(after).not.toContain('Your tracked link to shop.example/products/lamp<');
    const stored = (await linkTo(m, 'https://shop.example/products/lamp'))!;
    expect(stored.archived_at).toBeGreaterThan(0);
    expect(await env.DB.prepare("SELECT actor_type, actor_id FROM audit_log WHERE action = 'link.archived' AND target_id = ?").bind(mine.id).first()).toEqual({ actor_type: 'creator', actor_id: m.creator.id });

    // Printed on packaging: still a 302 with a click id to the page, and the brand's QR code of it is still served.
    const followed = await get(`/r/${mine.slug}`);
    expect(followed.status).toBe(302);
    expect(new URL(followed.headers.get('location')!).searchParams.get('cid')).toBeTruthy();
    const owner = await signIn((await adminUser(m.brand.brandId, 'owner')).email);
    const page = `/console/campaigns/${m.campaign.id}/creators/${m.enrollment.id}`;
    expect((await get(`${page}/links/${mine.id}/qr.svg`, owner)).status).toBe(200);
    const consolePage = await (await get(page, owner)).text();
    expect(consolePage).toContain('Tracked link, archived by the creator, to shop.example/products/lamp');
    expect(consolePage).toContain('0 unique clicks · archived by Sarah');
    const api = await json<{ data: { slug: string; archivedAt: string | null }[] }>(await m.brand.api('GET', `/api/admin/links?enrollmentId=${m.enrollment.id}`));
    expect(api.data.find((l) => l.slug === mine.slug)!.archivedAt).toBe(new Date(stored.archived_at!).toISOString());
    expect(api.data.find((l) => l.slug === m.link.slug)!.archivedAt).toBeNull();

    // A replay writes nothing: the same time, one audit row.
    expect((await archive(m, mine.slug)).status).toBe(303);
    expect((await linkTo(m, 'https://shop.example/products/lamp'))!.archived_at).toBe(stored.archived_at);
    expect(await audits('link.archived', mine.id)).toBe(1);

    const undone = await restore(m, mine.slug);
    expect(undone.headers.get('location')).toBe(`/?restored=1#c-${m.enrollment.id}`);
    expect((await linkTo(m, 'https://shop.example/products/lamp'))!.archived_at).toBeNull();
    expect(await (await get('/?archived=' + mine.slug, m.cookie)).text()).not.toContain('class="undo"'); // restored since: no stale Undo
    expect((await restore(m, mine.slug)).status).toBe(303);
    expect(await audits('link.restored', mine.id)).toBe(1);

    // Linking the page again, however written, brings back the archived link rather than making a second one.
    await archive(m, mine.slug);
    const before = await links(m);
    const again = await make(m, 'SHOP.example/products/lamp/');
    expect(again.headers.get('location')).toBe(`/?linked=restored#c-${m.enrollment.id}`);
    expect(await links(m)).toBe(before);
    expect((await linkTo(m, 'https://shop.example/products/lamp'))!.archived_at).toBeNull();

    // Archived again, and the brand links the page for them meanwhile: linking it answers the brand's listed link,
    // and the archived one stays archived (the page is listed once).
    await archive(m, mine.slug);
    expect((await m.brand.api('POST', '/api/admin/links', { enrollmentId: m.enrollment.id, destination: 'https://shop.example/products/lamp' })).status).toBe(201);
    expect((await make(m, 'https://shop.example/products/lamp')).headers.get('location')).toBe(`/?linked=existing#c-${m.enrollment.id}`);
    expect(await rowCount("SELECT count(*) AS n FROM links WHERE enrollment_id = ? AND destination = 'https://shop.example/products/lamp' AND archived_at IS NULL", m.enrollment.id)).toBe(1);
    expect((await env.DB.prepare('SELECT archived_at FROM links WHERE id = ?').bind(mine.id).first<number>('archived_at'))).toBeGreaterThan(0);
  });

  it("is a 404 for another creator's link, the brand's link and unknown slugs, and refuses forged or signed-out posts, writing nothing", async () => {
    const m = await signedInCreator();
    const other = await signedInCreator();
    expect((await make(other, 'https://shop.example/products/theirs')).status).toBe(303);
    const theirs = (await linkTo(other, 'https://shop.example/products/theirs'))!;
    expect((await make(m, 'https://shop.example/products/mine')).status).toBe(303);
    const mine = (await linkTo(m, 'https://shop.example/products/mine'))!;
    const written = () => rowCount("SELECT count(*) AS n FROM audit_log WHERE action IN ('link.archived', 'link.restored') AND brand_id IN (?, ?)", m.brand.brandId, other.brand.brandId);

    for (const slug of [theirs.slug, m.link.slug, 'no-such-link', mine.slug.toUpperCase(), 'x'.repeat(5000), '%3Cscript%3E']) {
      for (const act of [archive, restore]) {
        const res = await act(m, slug);
        expect(res.status, slug.slice(0, 40)).toBe(404);
      }
    }
    expect((await post(`/links/${mine.slug}/archive`, {}, { cookie: m.cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect((await post(`/links/${mine.slug}/archive`, {}, { cookie: m.cookie, origin: null })).status).toBe(403);
    expect((await post(`/links/${mine.slug}/archive`, {})).status).toBe(401);
    expect(await rowCount('SELECT count(*) AS n FROM links WHERE archived_at IS NOT NULL AND enrollment_id IN (?, ?)', m.enrollment.id, other.enrollment.id)).toBe(0);
    expect(await written()).toBe(0);
  });

  it(`frees a place under the cap of ${MAX_LINKS_PER_ENROLLMENT}, and restores only into a free one, even two at once`, async () => {
    const m = await signedInCreator();
    await fill(m, MAX_LINKS_PER_ENROLLMENT - (await listed(m)));
    expect((await make(m, 'https://shop.example/one-more')).status).toBe(409);
    const first = `f-${m.handle.slice(6)}-l-0`.replace(/_/g, '-');
    expect((await archive(m, first)).status).toBe(303);
    expect((await make(m, 'https://shop.example/one-more')).status).toBe(303);
    expect(await listed(m)).toBe(MAX_LINKS_PER_ENROLLMENT);

    // Full again: the archived one stays archived, said at the top of the home page the browser is sent back to
    // (not left on the POST's address), and linking its page again is refused too.
    const full = await restore(m, first);
    expect(full.status).toBe(303);
    expect(full.headers.get('location')).toBe(`/?unrestored=${first}`);
    const told = await get(full.headers.get('location')!, m.cookie);
    expect(told.status).toBe(200);
    expect(await told.text()).toContain(`You have ${MAX_LINKS_PER_ENROLLMENT} links in this campaign, the most there can be: archive one you no longer share, then restore your link to shop.example/fill/l/0.`);
    // The address names a link, not a text: another's slug, or one listed again since, says nothing.
    expect(await (await get('/?unrestored=nobodys-slug', m.cookie)).text()).not.toContain('the most there can be');
    expect((await make(m, 'https://shop.example/fill/l/0')).status).toBe(409);
    expect(await audits('link.restored', `lnk_${m.handle}_l_0`)).toBe(0);
    expect(await listed(m)).toBe(MAX_LINKS_PER_ENROLLMENT);

    // One place, two restores racing for it: one wins, the other is told, and the cap holds.
    const second = `f-${m.handle.slice(6)}-l-1`.replace(/_/g, '-');
    expect((await archive(m, second)).status).toBe(303);
    const race = await Promise.all([restore(m, first), restore(m, second)]);
    expect(race.map((r) => r.headers.get('location')!.replace(/[#=].*$/, '')).sort()).toEqual(['/?restored', '/?unrestored']);
    expect(await listed(m)).toBe(MAX_LINKS_PER_ENROLLMENT);

    // Archiving does not make links without end: at 100 made, a free place takes a restore, not a new link.
    await fill(m, MAX_LINKS_MADE_PER_ENROLLMENT - (await links(m)), 5);
    const third = `f-${m.handle.slice(6)}-l-2`.replace(/_/g, '-');
    expect((await archive(m, third)).status).toBe(303);
    const made = await make(m, 'https://shop.example/yet-another');
    expect(made.status).toBe(409);
    expect(await made.text()).toContain(`You have made ${MAX_LINKS_MADE_PER_ENROLLMENT} links in this campaign, archived ones included`);
    expect(await links(m)).toBe(MAX_LINKS_MADE_PER_ENROLLMENT);
    expect((await restore(m, third)).status).toBe(303);
  });
});
