// Creators in the console (/console/creators): the brand's whole roster across campaigns, searchable, a page
// at a time, with each creator's campaigns and what they earned with this brand only.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { adminUser, consoleBrand, get, signIn, tag } from '../console-fixtures';
import { insertLedgerEntry, json } from '../fixtures';
import { rosterCsvStream } from '../../../worker/routes/portal/console/roster';

const earn = (brandId: string, enrollmentId: string, creatorId: string, amountMinor: number) => insertLedgerEntry({ brandId, enrollmentId, creatorId, amountMinor, period: '2026-10', availableAt: 0 });

describe('console creators', () => {
  it('lists every creator with their campaigns, where they stand and what they earned with this brand', async () => {
    const o = await consoleBrand('viewer');
    // A second campaign for the fixture's creator, and a creator who has not accepted yet.
    const second = await json<{ data: { id: string } }>(await o.brand.api('POST', '/api/admin/campaigns', { name: 'Winter Glow', slug: `winter-${tag()}`, hashtag: '#WinterGlow', defaultDestination: 'https://shop.example/winter' }));
    const again = await json<{ data: { id: string } }>(await o.brand.api('POST', '/api/admin/enrollments', { campaignId: second.data.id, creatorId: o.creator.id, paymentModel: 'affiliate', status: 'paused' }));
    const handle = `nina_${tag()}`.slice(0, 30);
    const nina = await json<{ data: { id: string } }>(await o.brand.api('POST', '/api/admin/creators', { email: `${handle}@creators.test`, handle, displayName: 'Nina <b>Bold</b>', niche: 'skincare', platform: 'tiktok', followerCount: 12_400 }));
    await earn(o.brand.brandId, o.enrollment.id, o.creator.id, 4_500);
    await earn(o.brand.brandId, again.data.id, o.creator.id, -500);
    // The same creator's earnings with another brand are not this brand's business.
    const other = await consoleBrand('owner');
    await earn(other.brand.brandId, other.enrollment.id, o.creator.id, 99_900);

    const res = await get('/console/creators', o.cookie);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<a href="/console/creators" aria-current="page">Creators</a>');
    expect(html).toContain('2 creators in your network');
    expect(html).toContain(`@${o.handle}`);
    expect(html).toContain(`<a href="/console/campaigns/${o.campaign.id}/creators/${o.enrollment.id}">Glow</a>`);
    expect(html).toContain(`<a href="/console/campaigns/${second.data.id}/creators/${again.data.id}">Winter Glow</a> <span class="badge badge-paused">Paused</span>`);
    expect(html).toContain('$40.00');
    expect(html).not.toContain('$999.00');
    expect(html).not.toContain('$1,039.00');
    expect(html).toContain('Nina &lt;b&gt;Bold&lt;/b&gt;');
    expect(html).toContain('tiktok · skincare · 12K followers');
    expect(html).toContain('Not yet: invited');
    expect(html).toContain('In no campaign');
    expect(html).not.toContain(other.handle);
    expect(nina.data.id).toBeTruthy();
  });

  it('finds a creator by part of their handle, name or email, in any case, and says when none matches', async () => {
    const o = await consoleBrand('manager');
    const byHandle = await (await get(`/console/creators?q=${encodeURIComponent(o.handle.slice(2, 9).toUpperCase())}`, o.cookie)).text();
    expect(byHandle).toContain(`@${o.handle}`);
    expect(byHandle).toContain(`Matching “${o.handle.slice(2, 9).toUpperCase()}”`);
    expect(await (await get('/console/creators?q=creators.TEST', o.cookie)).text()).toContain(`@${o.handle}`);
    const none = await (await get('/console/creators?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E', o.cookie)).text();
    expect(none).toContain('No creator of yours has that in their handle, name or email.');
    expect(none).not.toContain('<script>alert(1)');
    // Oversized, control characters, a forged cursor: a page, never an error.
    for (const q of ['x'.repeat(5000), '%00%1f', '']) expect((await get(`/console/creators?q=${q}&cursor=bm90LWEtY3Vyc29y`, o.cookie)).status).toBe(200);
    // Another brand's creator is not found by name.
    const other = await consoleBrand('owner');
    expect(await (await get(`/console/creators?q=${other.handle}`, o.cookie)).text()).toContain('No creator of yours');
  });

  it('pages fifty at a time, newest first, and keeps the search across pages', async () => {
    const o = await consoleBrand('owner');
    const t = tag();
    const base = Date.now() - 3_600_000;
    const seq = 'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 55)';
    await env.DB.batch([
      env.DB.prepare(`INSERT INTO creators (id, email, handle, display_name, created_at) ${seq} SELECT 'cr_' || ?1 || '_' || i, 'bulk' || ?1 || i || '@creators.test', 'b' || ?1 || '_' || i, 'Bulk', ?2 FROM n`).bind(t, base),
      env.DB.prepare(`INSERT INTO brand_creators (brand_id, creator_id, handle, display_name, email, created_at) ${seq} SELECT ?3, c.id, c.handle, c.display_name, c.email, ?2 + i * 1000 FROM n JOIN creators c ON c.id = 'cr_' || ?1 || '_' || i`).bind(t, base, o.brand.brandId),
    ]);
    const first = await (await get('/console/creators', o.cookie)).text();
    expect(first).toContain('56 creators in your network');
    expect(first.match(/<tr>/g)?.length).toBe(51); // the header row and fifty
    const more = /href="(\/console\/creators\?cursor=[^"]+)" rel="next"/.exec(first)?.[1];
    expect(more).toBeTruthy();
    const second = await (await get(more!.replace(/&amp;/g, '&'), o.cookie)).text();
    expect(second.match(/<tr>/g)?.length).toBe(7);
    expect(second).toContain(`@b${t}_1<`);
    expect(second).toContain('First page');
    // A search that matches more than a page carries its words into the next page's link.
    const searched = await (await get(`/console/creators?q=b${t}`, o.cookie)).text();
    expect(searched).toMatch(new RegExp(`href="/console/creators\\?q=b${t}&amp;cursor=[^"]+" rel="next"`));
    // Viewers read it too.
    const viewer = await adminUser(o.brand.brandId, 'viewer');
    expect((await get('/console/creators', await signIn(viewer.email))).status).toBe(200);
  });

  it('downloads the roster as CSV for owners and managers, the search applied, formulas neutralised', async () => {
    const o = await consoleBrand('manager');
    const handle = `eq_${tag()}`.slice(0, 30);
    await o.brand.api('POST', '/api/admin/creators', { email: `${handle}@creators.test`, handle, displayName: '=HYPERLINK("http://evil.example")', followerCount: 1200 });
    await earn(o.brand.brandId, o.enrollment.id, o.creator.id, 1_234);
    const page = await (await get('/console/creators', o.cookie)).text();
    expect(page).toContain('href="/console/creators.csv"');
    const res = await get('/console/creators.csv', o.cookie);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="chorus-creators-[a-z0-9-]+\.csv"$/);
    const csv = await res.text();
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toBe('"handle","name","email","platform","niche","follower_count","joined","campaigns","earned","currency","tags"');
    expect(lines).toHaveLength(3);
    expect(csv).toContain(`"${handle}","'=HYPERLINK(""http://evil.example"")"`);
    expect(csv).toContain(',1200,');
    expect(csv).toContain(`"${o.handle}","Sarah","${o.handle}@creators.test","","",,"`);
    expect(csv).toContain('"Glow",12.34,"USD"');
    // The search narrows the file as it narrows the page.
    const narrowed = await (await get(`/console/creators.csv?q=${handle}`, o.cookie)).text();
    expect(narrowed.trim().split('\r\n')).toHaveLength(2);
    // Viewers read the page but get no file of email addresses.
    const viewer = await signIn((await adminUser(o.brand.brandId, 'viewer')).email);
    expect(await (await get('/console/creators', viewer)).text()).not.toContain('creators.csv');
    expect((await get('/console/creators.csv', viewer)).status).toBe(403);
  });

  it('writes the same roster CSV byte for byte whatever its page size, creators added in one millisecond and all', async () => {
    const o = await consoleBrand('owner');
    const t = tag();
    const at = Date.now() - 3_600_000;
    const seq = 'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6)';
    await env.DB.batch([
      env.DB.prepare(`INSERT INTO creators (id, email, handle, display_name, created_at) ${seq} SELECT 'cr_' || ?1 || '_' || i, 'tie' || ?1 || i || '@creators.test', 't' || ?1 || '_' || i, 'Tie ' || i, ?2 FROM n`).bind(t, at),
      env.DB.prepare(`INSERT INTO brand_creators (brand_id, creator_id, handle, display_name, email, created_at) ${seq} SELECT ?3, c.id, c.handle, c.display_name, c.email, ?2 + (i % 2) FROM n JOIN creators c ON c.id = 'cr_' || ?1 || '_' || i`).bind(t, at, o.brand.brandId),
    ]);
    await earn(o.brand.brandId, o.enrollment.id, o.creator.id, 1_234);
    const whole = await (await get('/console/creators.csv', o.cookie)).text();
    expect(whole.split('\r\n')).toHaveLength(1 + 7 + 1);
    for (const size of [1, 2, 3, 7, 8]) expect(await new Response(rosterCsvStream(env.DB, o.brand.brandId, 'USD', { q: '' }, size)).text(), String(size)).toBe(whole);
  });
});
