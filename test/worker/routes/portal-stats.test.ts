// A creator's own numbers in a campaign: the last 30 of the brand's days, their clicks and their orders.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { writeClicks } from '../../../worker/db/clicks';
import { STATS_QUERIES } from '../../../worker/db/creator-portal';
import { CREATOR_NUMBERS_SQL } from '../../../worker/routes/portal/console/creators';
import { newClickId } from '../../../worker/lib/ids';
import { clickMessage, createMoneyBrand, signedPost, storeRawClick } from '../fixtures';
import { signedInCreator, portalTestDefaults } from '../portal-fixtures';
import { get } from '../forms';

portalTestDefaults();

const DAY = 86_400_000;
const label = (at: number, timeZone: string) => new Intl.DateTimeFormat('en', { month: 'short', day: 'numeric', timeZone }).format(at);
// The table row of one day: its label, then unique clicks and orders.
const rowOf = (html: string, day: string) => new RegExp(`<th scope="row">${day}</th><td class="num">([\\d,]+)</td><td class="num">([\\d,]+)</td>`).exec(html)?.slice(1);

describe("a creator's numbers", () => {
  it("shows the last 30 of the brand's days: unique clicks on their link, orders by link and code, nothing refunded in full or older", async () => {
    const m = await signedInCreator({ timezone: 'America/Los_Angeles' });
    const zone = 'America/Los_Angeles';
    const now = Date.now();
    // Two days ago, moved to that Los Angeles day's noon hour: the clicks and orders a few minutes apart below
    // then fall on one day of the brand's whatever time the test runs (run near its midnight, they crossed it).
    const hourThere = (at: number) => Number(new Intl.DateTimeFormat('en-US', { timeZone: zone, hour: 'numeric', hourCycle: 'h23' }).format(at));
    const twoDaysAgo = now - 2 * DAY - (hourThere(now - 2 * DAY) - 12) * 3_600_000;
    // Three visitors two days ago, one of them twice within the hour: three unique clicks of four.
    await writeClicks(env.DB, [
      clickMessage({ brandId: m.brand.brandId, linkId: m.link.id, at: twoDaysAgo, identityHash: 'v1' }),
      clickMessage({ brandId: m.brand.brandId, linkId: m.link.id, at: twoDaysAgo + 60_000, identityHash: 'v1' }),
      clickMessage({ brandId: m.brand.brandId, linkId: m.link.id, at: twoDaysAgo + 120_000, identityHash: 'v2' }),
      clickMessage({ brandId: m.brand.brandId, linkId: m.link.id, at: twoDaysAgo + 180_000, identityHash: 'v3' }),
    ]);
    const clickId = newClickId();
    await storeRawClick({ id: clickId, brandId: m.brand.brandId, linkId: m.link.id, at: twoDaysAgo });
    const order = async (orderId: string, at: number, evidence: Record<string, string>) =>
      expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', { orderId, amountMinor: 8_000, currency: 'USD', occurredAt: new Date(at).toISOString(), ...evidence })).status).toBe(201);
    await order('st-link', twoDaysAgo + 600_000, { clickId });
    await order('st-code', twoDaysAgo + 700_000, { code: m.code });
    await order('st-refunded', twoDaysAgo + 800_000, { code: m.code });
    await order('st-old', now - 45 * DAY, { code: m.code });
    expect((await signedPost(m.brand, m.ingestKey, '/v1/refunds', { refundId: 'st-r', orderId: 'st-refunded', amountMinor: 8_000, currency: 'USD', occurredAt: new Date().toISOString() })).status).toBe(201);

    const res = await get(`/stats/${m.enrollment.id}`, m.cookie);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<h1 class="page-title">Glow</h1>');
    expect(html).toContain('Last 30 days');
    expect(html).toContain('(America/Los Angeles days)');
    expect(html).toMatch(/<div class="stat-value">3<\/div><div class="stat-label">Unique clicks<\/div>/);
    expect(html).toMatch(/<div class="stat-value">2<\/div><div class="stat-label">Orders<\/div><div class="stat-hint">1 through your link, 1 with your code<\/div>/);
    expect(html).toMatch(/<div class="stat-value">33\.3%<\/div><div class="stat-label">Link conversion<\/div>/);
    expect(rowOf(html, label(twoDaysAgo, zone))).toEqual(['3', '2']);
    expect(rowOf(html, label(now, zone))).toEqual(['0', '0']);
    expect(html).not.toContain(`<th scope="row">${label(now - 45 * DAY, zone)}</th>`);
    // The chart names the panel for creators: orders, not conversions.
    expect(html).toContain('Daily unique clicks and orders, last 30 days');
    // The home card leads here.
    expect(await (await get('/', m.cookie)).text()).toContain(`href="/stats/${m.enrollment.id}"`);
  });

  it('lists their latest orders one by one: how each came, what it earned and when that is paid, what was refunded, nothing of the shopper and nobody else', async () => {
    const m = await signedInCreator();
    const rival = await signedInCreator();
    const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
    const clickId = newClickId();
    await storeRawClick({ id: clickId, brandId: m.brand.brandId, linkId: m.link.id, at: Date.now() - 3_600_000 });
    const order = (orderId: string, minutesAgo: number, evidence: Record<string, string>) =>
      signedPost(m.brand, m.ingestKey, '/v1/conversions', { orderId, amountMinor: 10_000, currency: 'USD', occurredAt: at(minutesAgo), customerRef: 'cus_private_4242', ...evidence });
    expect((await order('ol-code', 30, { code: m.code })).status).toBe(201);
    expect((await order('ol-link', 20, { clickId })).status).toBe(201);
    expect((await order('ol-part', 10, { code: m.code })).status).toBe(201);
    expect((await signedPost(m.brand, m.ingestKey, '/v1/refunds', { refundId: 'ol-r', orderId: 'ol-part', amountMinor: 4_000, currency: 'USD', occurredAt: at(5) })).status).toBe(201);
    expect((await order('ol-nobody', 5, {})).status).toBe(201);
    expect((await signedPost(rival.brand, rival.ingestKey, '/v1/conversions', { orderId: 'ol-rival', amountMinor: 10_000, currency: 'USD', occurredAt: at(1), code: rival.code })).status).toBe(201);

    const html = await (await get(`/stats/${m.enrollment.id}`, m.cookie)).text();
    const list = html.slice(html.indexOf('Your latest orders'));
    // The store's order id, shortened: enough to tell orders apart, not a custom id that could say who bought.
    const ids = [...list.matchAll(/Order …<bdi>([^<]+)<\/bdi>/g)].map((x) => x[1]);
    expect(ids).toEqual(['part', 'link', 'code']);
    expect(list).toContain(`$100.00</strong> · Code ${m.code}`);
    expect(list).toContain('$100.00</strong> · Your link');
    // 10% of $100, held for the campaign's 30 days; the partial refund took back its share.
    const held = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeZone: 'UTC' }).format(Date.now() - 10 * 60_000 + 30 * DAY);
    expect(list).toContain(`<strong>$10.00</strong> <span class="badge badge-pending">Holding until ${held}</span>`);
    expect(list).toContain('−$4.00 taken back for a refund');
    expect(list).toContain('part</bdi> · $40.00 refunded');
    expect(html).not.toContain('cus_private_4242');
    expect(html).not.toContain('ol-nobody');
    expect(html).not.toContain('ol-rival');
    // A creator with no orders is told where they will show.
    expect(await (await get(`/stats/${rival.enrollment.id}`, m.cookie)).status).toBe(404);
    const empty = await signedInCreator();
    expect(await (await get(`/stats/${empty.enrollment.id}`, empty.cookie)).text()).toContain('No orders yet.');
  });

  it("is a 404 for another creator's campaign, an invitation not yet accepted and an id that is no id; a login for a visitor", async () => {
    const m = await signedInCreator();
    const other = await createMoneyBrand();
    const invited = await createMoneyBrand({ accepted: false });
    for (const id of [other.enrollment.id, invited.enrollment.id, 'x'.repeat(600), '%00', "enr_' OR 1=1 --"]) {
      const res = await get(`/stats/${encodeURIComponent(id)}`, m.cookie);
      expect(res.status, id).toBe(404);
    }
    // A campaign of the creator's that they have not accepted: the same 404.
    const second = await env.DB.prepare("UPDATE enrollments SET status = 'invited' WHERE id = ? RETURNING id").bind(m.enrollment.id).first<{ id: string }>();
    expect((await get(`/stats/${second!.id}`, m.cookie)).status).toBe(404);
    // Removed from the campaign, or a brand declined: gone from the portal, numbers page too.
    await env.DB.prepare("UPDATE enrollments SET status = 'removed', removed_at = ? WHERE id = ?").bind(Date.now(), m.enrollment.id).run();
    expect((await get(`/stats/${m.enrollment.id}`, m.cookie)).status).toBe(404);
    const visitor = await get(`/stats/${m.enrollment.id}`);
    expect(visitor.status).toBe(303);
    expect(visitor.headers.get('location')).toMatch(/^\/login\?next=/);
  });
});

describe("one creator's numbers, read by the creator's indexes", () => {
  // Without statistics SQLite picked the brand's indexes for these: every order, entry and post of the brand
  // read for one creator's page.
  it('reads their links, orders, entries and posts, never the whole brand', async () => {
    for (const [name, sql] of Object.entries({ ...STATS_QUERIES, numbers: CREATOR_NUMBERS_SQL })) {
      const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...['enr_x', 'brand_x', 0, 1].slice(0, Math.max(...[...sql.matchAll(/\?(\d)/g)].map((m) => Number(m[1]))))).all<{ detail: string }>();
      const plan = results.map((r) => r.detail).join('\n');
      expect(plan, `${name}:\n${plan}`).not.toMatch(/^\s*(?:[|`]--)?SCAN (?!CONSTANT)/m);
      expect(plan, `${name}:\n${plan}`).not.toMatch(/conversions_brand_at|ledger_brand_period|submissions_brand_status/);
    }
  });
});
