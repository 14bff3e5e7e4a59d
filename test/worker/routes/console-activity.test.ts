// Settings → Activity and GET /api/admin/activity: the brand's audit log read back, newest first, each entry's
// actor and target named as the brand knows them, never with another brand's names.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { newId } from '../../../worker/lib/ids';
import { adminUser, consoleBrand, get, post, signIn, tag } from '../console-fixtures';
import { json } from '../fixtures';

type Entry = { id: string; at: string; action: string; actor: { type: string; name: string | null }; target: { type: string; id: string; name: string | null }; details: Record<string, unknown> | null };
type Page = { data: Entry[]; hasMore: boolean; nextCursor: string | null };

const audit = (brandId: string, action: string, targetType: string, targetId: string, at: number, actor = { type: 'system', id: 'cron' }) =>
  env.DB.prepare('INSERT INTO audit_log (id, brand_id, actor_type, actor_id, action, target_type, target_id, details, at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)').bind(newId('aud'), brandId, actor.type, actor.id, action, targetType, targetId, at);

describe('activity', () => {
  it('lists what the team did, named, newest first, narrowed by area, for every role', async () => {
    const o = await consoleBrand('owner');
    const keyName = `Checkout ${tag()}`;
    await post('/console/keys/keys', { name: keyName, scope: 'storefront', expiresOn: '' }, { cookie: o.cookie });
    const url = `https://erp-${tag()}.example.com/in`;
    await post('/console/webhooks/endpoints', { url, description: '', events: ['payout.closed'] }, { cookie: o.cookie });

    const page = await (await get('/console/activity', o.cookie)).text();
    expect(page).toContain('API key created');
    expect(page).toContain(keyName);
    expect(page).toContain('Webhook endpoint created');
    expect(page).toContain(`<a href="/console/webhooks">${url}</a>`);
    expect(page).toContain(`<a href="/console/keys">${keyName}</a>`);
    expect(page).toContain('Owner Person');
    // Newest first: the endpoint was added after the key.
    expect(page.indexOf('Webhook endpoint created')).toBeLessThan(page.indexOf('API key created'));
    const access = await (await get('/console/activity?area=access', o.cookie)).text();
    expect(access).toContain('API key created');
    expect(access).not.toContain('Webhook endpoint created');
    // Unknown areas and cursors are ignored, not errors.
    for (const q of ['area=%3Cscript%3E&cursor=%%%', 'area=toString', 'area=__proto__', 'area=constructor']) expect((await get(`/console/activity?${q}`, o.cookie)).status, q).toBe(200);

    const viewer = await signIn((await adminUser(o.brand.brandId, 'viewer')).email);
    expect(await (await get('/console/activity', viewer)).text()).toContain(keyName);
    const stranger = await consoleBrand('owner');
    expect(await (await get('/console/activity', stranger.cookie)).text()).not.toContain(keyName);
    expect((await get('/console/activity')).status).toBe(303);
  });

  it('pages through the log, and names targets only from the brand’s own rows', async () => {
    const o = await consoleBrand('owner');
    const other = await consoleBrand('owner');
    const now = Date.now();
    const secret = `Secret launch ${tag()}`;
    await env.DB.prepare('UPDATE campaigns SET name = ? WHERE id = ?').bind(secret, other.campaign.id).run();
    await env.DB.batch(Array.from({ length: 60 }, (_, i) => audit(o.brand.brandId, 'campaign.updated', 'campaign', o.campaign.id, now - 60_000 - i * 1000)));
    // A row that names another brand's campaign (no code writes one; the lookup must still not follow it).
    await audit(o.brand.brandId, 'campaign.updated', 'campaign', other.campaign.id, now).run();

    const first = await (await get('/console/activity', o.cookie)).text();
    const older = /href="(\/console\/activity\?cursor=[^"]+)" rel="next"/.exec(first)?.[1];
    expect(older).toBeTruthy();
    expect((first.match(/data-label="When"/g) ?? []).length).toBe(50);
    expect(first).not.toContain(secret);
    const second = await (await get(older!.replaceAll('&amp;', '&'), o.cookie)).text();
    expect(second).toContain('← Newest');
    expect((second.match(/Campaign updated/g) ?? []).length).toBeGreaterThan(0);

    const api = await json<Page>(await o.brand.api('GET', '/api/admin/activity?area=campaigns&limit=2'));
    expect(api.data).toHaveLength(2);
    expect(api.hasMore).toBe(true);
    expect(api.data[0]).toMatchObject({ action: 'campaign.updated', actor: { type: 'system', name: null }, target: { type: 'campaign', id: other.campaign.id, name: null } });
    const all = await json<Page>(await o.brand.api('GET', '/api/admin/activity?area=campaigns&limit=200'));
    expect(all.data.find((e) => e.target.id === o.campaign.id)!.target.name).toBe('Glow');
    const next = await json<Page>(await o.brand.api('GET', `/api/admin/activity?area=campaigns&limit=2&cursor=${api.nextCursor}`));
    expect(next.data[0]!.id).not.toBe(api.data[1]!.id);
    expect(Date.parse(next.data[0]!.at)).toBeLessThanOrEqual(Date.parse(api.data[1]!.at));
    for (const bad of ['area=nope', 'limit=0', 'limit=201', 'cursor=%%', 'extra=1']) {
      expect((await o.brand.api('GET', `/api/admin/activity?${bad}`)).status, bad).toBe(422);
    }
    const theirs = await json<Page>(await other.brand.api('GET', '/api/admin/activity?limit=200'));
    expect(theirs.data.some((e) => e.target.id === o.campaign.id)).toBe(false);
  });

  it('counts one of a thing in the singular: "1 creator", "2 enrollments"', async () => {
    const o = await consoleBrand('owner');
    await env.DB.prepare("INSERT INTO audit_log (id, brand_id, actor_type, actor_id, action, target_type, target_id, details, at) VALUES (?, ?, 'admin_user', ?, 'creators.imported', 'campaign', ?, ?, ?)")
      .bind(newId('aud'), o.brand.brandId, o.user.id, o.campaign.id, JSON.stringify({ created: { creators: 1, enrollments: 2 }, complete: true }), Date.now())
      .run();
    const page = await (await get('/console/activity', o.cookie)).text();
    expect(page).toContain('1 creator, 2 enrollments');
  });
  it("names product seeding's entries in words, under Campaigns and creators", async () => {
    const o = await consoleBrand('owner');
    const now = Date.now();
    const actions = ['gift_product.created', 'gift_product.updated', 'gift.requested', 'gift.changed', 'gift.withdrawn', 'gift.shipped', 'gift.tracking_changed', 'gift.declined', 'gift.received'];
    await env.DB.batch(actions.map((action, i) => audit(o.brand.brandId, action, action.startsWith('gift_product') ? 'campaign' : 'enrollment', action.startsWith('gift_product') ? o.campaign.id : o.enrollment.id, now - i * 1000)));
    const page = await (await get('/console/activity?area=campaigns', o.cookie)).text();
    for (const said of ['Gift product created', 'Gift product updated', 'Gift requested', 'Gift request changed', 'Gift request withdrawn', 'Gift shipped', 'Gift tracking changed', 'Gift declined', 'Gift received']) {
      expect(page, said).toContain(`${said}<`);
    }
    expect(page).not.toMatch(/gift_product|gift (?:product|requested|shipped)/);
  });

  it('lists a year-end download under Payouts, named by its year', async () => {
    const o = await consoleBrand('owner');
    expect((await get('/console/payouts/year-end.csv?year=2025', o.cookie)).status).toBe(200);
    const money = await json<Page>(await o.brand.api('GET', '/api/admin/activity?area=money'));
    expect(money.data).toEqual([expect.objectContaining({ action: 'payout.year_end_exported', target: { type: 'year', id: '2025', name: '2025' } })]);
    const page = await (await get('/console/activity?area=money', o.cookie)).text();
    expect(page).toContain('Year-end totals downloaded');
    expect(page).toContain('2025');
  });
});
