// QR codes of tracked links: the creator's own, from their home page (a page and its SVG, to show, save or
// download), and the brand's, from the console's creator page. Each code is read back by the test decoder and
// must hold the very URL the page shows; anyone else's link, or none, is a 404.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { adminUser, signIn } from '../console-fixtures';
import { createLinkedCreator } from '../fixtures';
import { get } from '../forms';
import { portalTestDefaults, signedInCreator } from '../portal-fixtures';
import { decodeQr, modulesOfSvg } from '../qr-decoder';

portalTestDefaults();

// The URL a page shows for a slug, as its copy field holds it (the text the creator would paste).
const shownUrl = (html: string, slug: string) => new RegExp(`>\\s*(https?://[^<\\s]+/r/${slug})\\s*</textarea>`).exec(html)?.[1];

async function readQr(res: Response) {
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
  const svg = await res.text();
  return { svg, ...decodeQr(modulesOfSvg(svg)) };
}

describe("a creator's QR codes", () => {
  it('offers one for each link on the home page, holding the URL the page shows, as a page, an SVG and a download', async () => {
    const m = await signedInCreator();
    const home = await (await get('/', m.cookie)).text();
    const url = shownUrl(home, m.link.slug)!;
    expect(url).toBe(`https://chorus.test/r/${m.link.slug}`);
    expect(home).toContain(`href="/links/${m.link.slug}/qr"`);
    expect(home).toContain('QR code<span class="visually-hidden"> for your link to shop.example/glow</span>');

    const page = await get(`/links/${m.link.slug}/qr`, m.cookie);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const html = await page.text();
    expect(html).toContain(`<img src="/links/${m.link.slug}/qr.svg" alt="QR code for chorus.test/r/${m.link.slug}"`);
    expect(html).toContain(`href="/links/${m.link.slug}/qr.svg?download=1" download="${m.link.slug}-qr.svg">Download QR code (SVG)</a>`);
    expect(html).toContain(`chorus.test/r/${m.link.slug}</code>`);
    expect(html).not.toContain('<script>'); // works without client JS: the page's one script is the shared deferred file
    expect(html).not.toContain('This link is paused');

    const res = await get(`/links/${m.link.slug}/qr.svg`, m.cookie);
    expect(res.headers.get('cache-control')).toBe('private, max-age=300');
    expect(res.headers.get('content-disposition')).toBeNull();
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const qr = await readQr(res);
    expect(qr.text).toBe(url);
    expect(qr.ecLevel).toBe('M');
    expect(qr.svg).toContain(`<title>QR code for chorus.test/r/${m.link.slug}</title>`);
    expect(qr.svg).toContain('shape-rendering="crispEdges"');

    const download = await get(`/links/${m.link.slug}/qr.svg?download=1`, m.cookie);
    expect(download.headers.get('content-disposition')).toBe(`attachment; filename="${m.link.slug}-qr.svg"`);
    expect((await readQr(download)).text).toBe(url);
  });

  it("is a 404 for another creator's link, an unknown or malformed slug, and sends the signed-out to sign in", async () => {
    const m = await signedInCreator();
    const other = await signedInCreator();
    // The same brand's other creator, too: their link is theirs alone.
    const { link: theirs } = await createLinkedCreator(m.brand);
    for (const slug of [other.link.slug, theirs.slug, 'no-such-link', m.link.slug.toUpperCase(), 'a'.repeat(65), 'x'.repeat(5000), '%3Cscript%3E', 'sl%2Fug', '..%2F..%2Fapi']) {
      for (const path of [`/links/${slug}/qr`, `/links/${slug}/qr.svg`, `/links/${slug}/qr.svg?download=1`]) {
        const res = await get(path, m.cookie);
        expect(res.status, path.slice(0, 80)).toBe(404);
        expect(res.headers.get('content-type'), path.slice(0, 80)).not.toContain('svg');
      }
    }
    // Their own is theirs, of course.
    expect((await get(`/links/${other.link.slug}/qr.svg`, other.cookie)).status).toBe(200);
    for (const path of [`/links/${m.link.slug}/qr`, `/links/${m.link.slug}/qr.svg?download=1`]) {
      const res = await get(path);
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(`/login?next=${encodeURIComponent(path)}`);
    }
  });

  it('follows the home page: none for an invitation, a removed or an ended campaign; a paused link says so', async () => {
    const m = await signedInCreator();
    const qrStatus = async () => (await get(`/links/${m.link.slug}/qr.svg`, m.cookie)).status;

    expect((await m.brand.api('PATCH', `/api/admin/links/${m.link.id}`, { status: 'paused' })).status).toBe(200);
    expect(await qrStatus()).toBe(200);
    expect(await (await get(`/links/${m.link.slug}/qr`, m.cookie)).text()).toContain('This link is paused');
    expect((await m.brand.api('PATCH', `/api/admin/links/${m.link.id}`, { status: 'active' })).status).toBe(200);

    expect((await m.brand.api('PATCH', `/api/admin/enrollments/${m.enrollment.id}`, { status: 'removed' })).status).toBe(200);
    expect(await qrStatus()).toBe(404);

    const ended = await signedInCreator();
    expect((await ended.brand.api('PATCH', `/api/admin/campaigns/${ended.campaign.id}`, { status: 'ended' })).status).toBe(200);
    expect((await get(`/links/${ended.link.slug}/qr.svg`, ended.cookie)).status).toBe(404);
    expect(await (await get('/', ended.cookie)).text()).not.toContain(`/links/${ended.link.slug}/qr`);

    // Invited, not accepted yet: the home page shows no link, and there is no code.
    const invited = await signedInCreator();
    await env.DB.prepare("UPDATE enrollments SET status = 'invited' WHERE id = ?").bind(invited.enrollment.id).run();
    expect((await get(`/links/${invited.link.slug}/qr.svg`, invited.cookie)).status).toBe(404);
  });
});

describe("the brand's QR codes in the console", () => {
  async function setup() {
    const m = await signedInCreator();
    const viewer = await adminUser(m.brand.brandId, 'viewer');
    const page = `/console/campaigns/${m.campaign.id}/creators/${m.enrollment.id}`;
    return { ...m, page, qr: `${page}/links/${m.link.id}/qr.svg`, console: await signIn(viewer.email) };
  }

  it('offers every team member a download of each link of the creator, holding the URL the page shows', async () => {
    const m = await setup();
    const html = await (await get(m.page, m.console)).text();
    const url = shownUrl(html, m.link.slug)!;
    expect(html).toContain(`<img src="${m.qr}" alt="QR code for chorus.test/r/${m.link.slug}"`);
    expect(html).toContain(`href="${m.qr}?download=1" download="${m.link.slug}-qr.svg">Download QR code (SVG)`);
    const res = await get(m.qr, m.console);
    expect(res.headers.get('cache-control')).toBe('private, max-age=300');
    expect((await readQr(res)).text).toBe(url);
    const download = await get(`${m.qr}?download=1`, m.console);
    expect(download.headers.get('content-disposition')).toBe(`attachment; filename="${m.link.slug}-qr.svg"`);
    expect((await readQr(download)).text).toBe(url);
    // A removed creator's links are closed (a scan reaches the fallback page, counting for no one): no code is
    // offered for them, nor served; restoring the creator brings it back.
    const owner = await signIn((await adminUser(m.brand.brandId, 'owner')).email);
    expect((await m.brand.api('PATCH', `/api/admin/enrollments/${m.enrollment.id}`, { status: 'removed' })).status).toBe(200);
    expect(await (await get(m.page, owner)).text()).not.toContain('qr.svg');
    for (const path of [m.qr, `${m.qr}?download=1`]) expect((await get(path, owner)).status).toBe(404);
    expect((await m.brand.api('PATCH', `/api/admin/enrollments/${m.enrollment.id}`, { status: 'active' })).status).toBe(200);
    expect((await get(m.qr, owner)).status).toBe(200);
  });

  it("is a 404 for another brand's link, a link under the wrong creator or campaign, and a malformed id", async () => {
    const m = await setup();
    const other = await setup();
    for (const path of [
      `${m.page}/links/${other.link.id}/qr.svg`,
      `${other.page}/links/${other.link.id}/qr.svg`,
      `/console/campaigns/${m.campaign.id}/creators/${other.enrollment.id}/links/${m.link.id}/qr.svg`,
      `/console/campaigns/${other.campaign.id}/creators/${m.enrollment.id}/links/${m.link.id}/qr.svg`,
      `${m.page}/links/lnk_missing/qr.svg?download=1`,
      `${m.page}/links/${'l'.repeat(5000)}/qr.svg`,
      `${m.page}/links/%27%20OR%201%3D1/qr.svg`,
    ]) {
      const res = await get(path, m.console);
      expect(res.status, path.slice(0, 100)).toBe(404);
      expect(res.headers.get('content-type')).not.toContain('svg');
    }
    const out = await get(m.qr);
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toMatch(/^\/console\/login/);
    // A creator's session opens no console route.
    expect((await get(m.qr, m.cookie)).status).toBe(303);
  });
});
