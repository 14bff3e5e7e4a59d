import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { NetworkPage } from '../../../portal/console/network';
import { DEFAULT_LADDER, rankCreators, SCORE_WEIGHTS, summarize, type CreatorInputs, type DailyPoint } from '../../../worker/domain/network';
import { addAcceptedCreator, createMoneyBrand, json, signedPost, storeRawClick } from '../fixtures';

const DAY = 86_400_000;
let n = 0;

async function addCreator(m: Awaited<ReturnType<typeof createMoneyBrand>>, paymentModel: string, flatFeeMinor = 0) {
  const handle = `n${Date.now().toString(36)}${n++}`;
  const creator = await addAcceptedCreator(m.brand, { email: `${handle}@creators.test`, handle, displayName: handle });
  const enrollment = await json<{ data: { id: string } }>(
    await m.brand.api('POST', '/api/admin/enrollments', { campaignId: m.campaign.id, creatorId: creator.data.id, paymentModel, flatFeeMinor, status: 'active' }),
  );
  const link = await json<{ data: { id: string } }>(await m.brand.api('POST', '/api/admin/links', { enrollmentId: enrollment.data.id }));
  return { handle, creatorId: creator.data.id, enrollmentId: enrollment.data.id, linkId: link.data.id };
}

async function liveSubmission(brandId: string, enrollmentId: string, metrics: { comments: number; saves: number; shares: number }) {
  const id = `sub_net_${n++}`;
  await env.DB.prepare(
    "INSERT INTO submissions (id, brand_id, enrollment_id, story_format, draft_url, caption, status, compliance, comments, saves, shares, created_at, updated_at) VALUES (?, ?, ?, 'before_after', 'https://d.example/x', '#Glow #ad', 'approved', '{\"hashtag\":true,\"disclosure\":true}', ?, ?, ?, ?, ?)",
  )
    .bind(id, brandId, enrollmentId, metrics.comments, metrics.saves, metrics.shares, Date.now(), Date.now())
    .run();
  return id;
}

describe('network measurement', () => {
  it('matches a hand-computed fixture network: totals, baseline ratio, ranking and ladder moves', async () => {
    const m = await createMoneyBrand();
    await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { baselineCostMinor: 500_000, baselineEngaged: 2_000 });
    const a = { handle: m.handle, enrollmentId: m.enrollment.id, linkId: m.link.id };
    const b = await addCreator(m, 'flat', 20_000);
    const c = await addCreator(m, 'product');
    await env.DB.prepare('UPDATE enrollments SET created_at = ? WHERE id = ?').bind(Date.now() - 30 * DAY, c.enrollmentId).run();
    // A: 100 unique clicks today, 6 validated sales of 100.00 forty days ago, one live post.
    const today = new Date().toISOString().slice(0, 10);
    await env.DB.prepare('INSERT INTO click_rollups (link_id, day, brand_id, clicks, unique_clicks, bots) VALUES (?, ?, ?, 120, 100, 7)').bind(a.linkId, today, m.brand.brandId).run();
    for (let i = 0; i < 6; i++) {
      const res = await signedPost(m.brand, m.ingestKey, '/v1/conversions', { orderId: `net-${n++}`, amountMinor: 10_000, currency: 'USD', occurredAt: new Date(Date.now() - 40 * DAY).toISOString(), code: m.code });
      expect(res.status).toBe(201);
    }
    await liveSubmission(m.brand.brandId, a.enrollmentId, { comments: 10, saves: 40, shares: 5 });
    await env.DB.prepare("UPDATE submissions SET status = 'live' WHERE enrollment_id = ?").bind(a.enrollmentId).run();
    // B: a flat-fee creator whose approved post goes live through the API (the fee accrues then).
    const bSub = await liveSubmission(m.brand.brandId, b.enrollmentId, { comments: 20, saves: 100, shares: 50 });
    expect((await m.brand.api('POST', `/api/admin/submissions/${bSub}/mark-live`, { postUrl: 'https://instagram.com/p/b' })).status).toBe(200);

    const res = await m.brand.api('GET', `/api/admin/campaigns/${m.campaign.id}/network`);
    expect(res.status).toBe(200);
    const { data } = await json<{ data: { summary: Record<string, unknown>; ranking: { handle: string; rank: number; score: number; move: string | null }[]; daily: { day: string; clicks: number }[] } }>(res);
    expect(data.summary).toEqual({
      creatorsActive: 3,
      creatorsEnrolled: 3,
      postsLive: 2,
      uniqueClicks: 100,
      conversions: 6,
      linkConversions: 0,
      revenueMinor: 60_000,
      costMinor: 6 * 1_000 + 20_000,
      engagements: 55 + 170,
      costPerEngagementMinor: 116, // 26,000 / 225 = 115.6
      conversionRate: 0, // the six sales came by code: no click's
      baseline: { costPerEngagementMinor: 250, ratio: 2.16 },
    });
    expect(data.ranking.map((r) => [r.handle, r.rank, r.score, r.move])).toEqual([
      [b.handle, 1, 100 * 4 + 50 * 6, 'move_to_hybrid'],
      [a.handle, 2, 40 * 4 + 5 * 6 + 100 + 6 * 50, 'move_to_flat'],
      [c.handle, 3, 0, 'bench'],
    ]);
    expect(data.daily).toHaveLength(30);
    expect(data.daily.at(-1)).toEqual({ day: today, clicks: 100, conversions: 0 });
  });

  it('counts the stall from when a creator last became active: no bench suggestion right after a restore or a late acceptance', async () => {
    const m = await createMoneyBrand();
    const b = await addCreator(m, 'affiliate');
    await env.DB.prepare('UPDATE enrollments SET created_at = ? WHERE id IN (?, ?)').bind(Date.now() - 30 * DAY, m.enrollment.id, b.enrollmentId).run();
    await env.DB.prepare("UPDATE creators SET password_hash = 'set' WHERE id = ?").bind(b.creatorId).run();
    await env.DB.prepare('UPDATE brand_creators SET accepted_at = ? WHERE creator_id = ?').bind(Date.now(), b.creatorId).run();
    const moves = async () => Object.fromEntries((await network(m)).ranking.map((r) => [r.handle, (r as unknown as { move: string | null }).move]));
    expect(await moves()).toEqual({ [m.handle]: 'bench', [b.handle]: 'bench' });
    // Benched, then brought back: fourteen quiet days from the return, not from enrollment.
    expect((await m.brand.api('PATCH', `/api/admin/enrollments/${b.enrollmentId}`, { status: 'benched' })).status).toBe(200);
    expect((await m.brand.api('PATCH', `/api/admin/enrollments/${b.enrollmentId}`, { status: 'active' })).status).toBe(200);
    expect(await moves()).toEqual({ [m.handle]: 'bench', [b.handle]: null });
    const ranked = (await network(m)).ranking.find((r) => r.handle === b.handle) as unknown as { activeSince: string; enrolledAt: string };
    expect(Date.parse(ranked.activeSince)).toBeGreaterThan(Date.parse(ranked.enrolledAt) + 29 * DAY);
    await env.DB.prepare('UPDATE enrollments SET active_since = ? WHERE id = ?').bind(Date.now() - 15 * DAY, b.enrollmentId).run();
    expect((await moves())[b.handle]).toBe('bench');
  });

  it("is a 404 for another brand's campaign", async () => {
    const a = await createMoneyBrand();
    const b = await createMoneyBrand();
    expect((await b.brand.api('GET', `/api/admin/campaigns/${a.campaign.id}/network`)).status).toBe(404);
  });
});

type NetworkBody = { data: { summary: Record<string, number | null>; ranking: { handle: string; conversions: number; revenueMinor: number; score: number }[]; daily: { day: string; clicks: number; conversions: number }[] } };
const network = async (m: Awaited<ReturnType<typeof createMoneyBrand>>) => (await json<NetworkBody>(await m.brand.api('GET', `/api/admin/campaigns/${m.campaign.id}/network`))).data;

describe('network totals', () => {
  it('take the conversion rate from sales through the link only: code sales need no click and once read 1100%', async () => {
    const m = await createMoneyBrand();
    const today = new Date().toISOString().slice(0, 10);
    await env.DB.prepare('INSERT INTO click_rollups (link_id, day, brand_id, clicks, unique_clicks, bots) VALUES (?, ?, ?, 2, 2, 0)').bind(m.link.id, today, m.brand.brandId).run();
    const clickId = `NETrate${Date.now().toString(36)}AAAAAAAAAAAA`.slice(0, 22);
    await storeRawClick({ id: clickId, brandId: m.brand.brandId, linkId: m.link.id, at: Date.now() - 60_000 });
    for (const evidence of [{ code: m.code }, { code: m.code }, { code: m.code }, { clickId }]) {
      expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', { orderId: `rate-${n++}`, amountMinor: 10_000, currency: 'USD', occurredAt: new Date().toISOString(), ...evidence })).status).toBe(201);
    }
    const { summary } = await network(m);
    expect([summary.conversions, summary.linkConversions, summary.conversionRate]).toEqual([4, 1, 0.5]);
    expect(await networkHtml(summary as unknown as ReturnType<typeof summarize>, null)).toContain('1 by link (50.00% of unique clicks), 3 by code');
  });

  it('count sales net of refunds: a part-refunded order is worth what was kept, a fully refunded one is no sale', async () => {
    const m = await createMoneyBrand();
    const at = new Date(Date.now() - DAY).toISOString();
    for (const [orderId, refunded] of [[`kept-${n++}`, 2_500], [`gone-${n++}`, 10_000]] as const) {
      expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', { orderId, amountMinor: 10_000, currency: 'USD', occurredAt: at, code: m.code })).status).toBe(201);
      expect((await signedPost(m.brand, m.ingestKey, '/v1/refunds', { refundId: `r-${orderId}`, orderId, amountMinor: refunded, currency: 'USD', occurredAt: new Date().toISOString() })).status).toBe(201);
    }
    const data = await network(m);
    expect([data.summary.revenueMinor, data.summary.conversions]).toEqual([7_500, 1]);
    expect([data.ranking[0]!.revenueMinor, data.ranking[0]!.conversions, data.ranking[0]!.score]).toEqual([7_500, 1, 50]);
  });

  it('agree with the daily chart: an order refunded in full or declined is no sale on either', async () => {
    const m = await createMoneyBrand();
    const at = new Date(Date.now() - DAY).toISOString();
    const ids: Record<string, string> = {};
    for (const name of ['kept', 'refunded', 'declined']) {
      const orderId = `${name}-${n++}`;
      const res = await signedPost(m.brand, m.ingestKey, '/v1/conversions', { orderId, amountMinor: 10_000, currency: 'USD', occurredAt: at, code: m.code });
      expect(res.status).toBe(201);
      ids[name] = (await json<{ data: { id: string } }>(res)).data.id;
      if (name === 'refunded') expect((await signedPost(m.brand, m.ingestKey, '/v1/refunds', { refundId: `r-${orderId}`, orderId, amountMinor: 10_000, currency: 'USD', occurredAt: new Date().toISOString() })).status).toBe(201);
    }
    expect((await m.brand.api('POST', `/api/admin/conversions/${ids.declined}/decline`, { reason: 'test_order', note: 'Staff test order' })).status).toBe(200);
    const data = await network(m);
    expect([data.summary.conversions, data.summary.revenueMinor]).toEqual([1, 10_000]);
    expect(data.daily.reduce((t, d) => t + d.conversions, 0)).toBe(data.summary.conversions);
  });

  it("keep a removed creator's past results in the totals and the daily series, not in the ranking", async () => {
    const m = await createMoneyBrand();
    const b = await addCreator(m, 'affiliate');
    const today = new Date().toISOString().slice(0, 10);
    await env.DB.prepare('INSERT INTO click_rollups (link_id, day, brand_id, clicks, unique_clicks, bots) VALUES (?, ?, ?, 100, 100, 0)').bind(b.linkId, today, m.brand.brandId).run();
    await env.DB.prepare("UPDATE enrollments SET status = 'removed' WHERE id = ?").bind(b.enrollmentId).run();
    const data = await network(m);
    expect(data.summary.uniqueClicks).toBe(100);
    expect(data.daily.reduce((t, d) => t + d.clicks, 0)).toBe(100);
    expect(data.summary.creatorsEnrolled).toBe(1);
    expect(data.ranking.map((r) => r.handle)).toEqual([m.handle]);
  });
});

const inputs = (handle: string, over: Partial<CreatorInputs>): CreatorInputs => ({
  enrollmentId: `enr_${handle}`,
  creatorId: `cr_${handle}`,
  handle,
  name: handle,
  paymentModel: 'flat',
  status: 'active',
  enrolledAt: Date.now(),
  activeSince: Date.now(),
  uniqueClicks: 0,
  conversions: 0,
  linkConversions: 0,
  validatedConversions: 0,
  revenueMinor: 0,
  costMinor: 0,
  postsLive: 0,
  drafts: 0,
  comments: 0,
  saves: 0,
  shares: 0,
  recentActivity: 1,
  contentDueAt: null,
  firstDraft: null,
  ...over,
});

async function networkHtml(
  summary: ReturnType<typeof summarize>,
  baseline: { costMinor: number; engaged: number } | null,
  { timezone = 'UTC', daily = [], ranking = [] }: { timezone?: string; daily?: DailyPoint[]; ranking?: ReturnType<typeof rankCreators> } = {},
): Promise<string> {
  return (
    await NetworkPage({
      viewer: { name: 'A', email: 'a@b.test', role: 'owner', brandName: 'B', currency: 'USD', timezone },
      campaign: { id: 'cmp_x', name: 'X', status: 'active', hashtag: '#X' },
      currency: 'USD',
      holdingDays: 30,
      baseline,
      summary,
      daily,
      ranking,
      weights: SCORE_WEIGHTS,
      ladder: DEFAULT_LADDER,
      removed: [],
      toReview: 0,
    } as never)
  )!.toString();
}

async function headline(summary: ReturnType<typeof summarize>, baseline: { costMinor: number; engaged: number } | null): Promise<string | undefined> {
  return /<p class="hero-claim[^"]*">([^<]*)<\/p>/.exec(await networkHtml(summary, baseline))?.[1];
}

describe('the ranking', () => {
  it('suggests nothing for a creator who has not accepted yet, and says why, not "Keep as is"', async () => {
    const ranking = rankCreators([inputs('waiting', { status: 'invited' }), inputs('working', { status: 'active' })], Date.now());
    const html = await networkHtml(summarize([], null), null, { ranking });
    const cell = (handle: string) => html.slice(html.indexOf(`@${handle}`)).match(/<td class="move-cell[^"]*">([\s\S]*?)<\/td>/)?.[1] ?? '';
    expect(cell('waiting')).toContain('Waiting for them to accept');
    expect(cell('working')).toContain('Keep as is');
  });
});

describe("the network chart's days", () => {
  it('are named on the page by the zone they are in', async () => {
    const html = await networkHtml(summarize([], null), null, { timezone: 'America/New_York', daily: [{ day: '2026-03-09', clicks: 0, conversions: 0 }] });
    expect(html).toContain('(America/New York days)');
  });
});

describe('ranking and headline', () => {
  it('gives equal scores the same rank, and the same move at the edge of the top share', () => {
    const creators = [inputs('zoe', { saves: 10 }), inputs('amy', { saves: 10 }), inputs('c3', { saves: 1 }), inputs('c4', { saves: 1 }), inputs('c5', { saves: 1 })];
    const ranked = rankCreators(creators, Date.now());
    expect(ranked.map((r) => [r.handle, r.rank, r.move])).toEqual([
      ['amy', 1, 'move_to_hybrid'],
      ['zoe', 1, 'move_to_hybrid'],
      ['c3', 3, null],
      ['c4', 3, null],
      ['c5', 3, null],
    ]);
  });

  it('compares with a baseline from the raw totals, so a cheap one never reads 0 or Infinity', async () => {
    // Baseline: 100.00 for 30,000 engaged (a third of a cent each); the network pays 10 cents each: 30× more.
    const baseline = { costMinor: 10_000, engaged: 30_000 };
    const summary = summarize([inputs('a', { costMinor: 1_000, comments: 100 })], baseline);
    expect(summary.baseline?.ratio).toBeCloseTo(1 / 30, 4);
    expect(await headline(summary, baseline)).toBe('30× more expensive per engagement than the mid-tier baseline');
  });

  it('says a network that cost nothing yet is free, not that a baseline is missing', async () => {
    const baseline = { costMinor: 500_000, engaged: 2_000 };
    const summary = summarize([inputs('a', { paymentModel: 'product', comments: 100 })], baseline);
    expect(summary.baseline?.ratio).toBeNull();
    expect(await headline(summary, baseline)).toBe('No creator cost yet: every engagement so far came free');
    expect(await headline(summarize([inputs('a', { costMinor: 100, comments: 100 })], null), null)).toBe('Add a mid-tier baseline to compare');
  });
});
