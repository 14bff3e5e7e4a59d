import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createMoneyBrand, json, signedPost } from '../fixtures';

const DAY = 86_400_000;
let n = 0;

async function addCreator(m: Awaited<ReturnType<typeof createMoneyBrand>>, paymentModel: string, flatFeeMinor = 0) {
  const handle = `n${Date.now().toString(36)}${n++}`;
  const creator = await json<{ data: { id: string } }>(await m.brand.api('POST', '/api/admin/creators', { email: `${handle}@creators.test`, handle, displayName: handle }));
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
      revenueMinor: 60_000,
      costMinor: 6 * 1_000 + 20_000,
      engagements: 55 + 170,
      costPerEngagementMinor: 116, // 26,000 / 225 = 115.6
      conversionRate: 0.06,
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

  it("is a 404 for another brand's campaign", async () => {
    const a = await createMoneyBrand();
    const b = await createMoneyBrand();
    expect((await b.brand.api('GET', `/api/admin/campaigns/${a.campaign.id}/network`)).status).toBe(404);
  });
});
