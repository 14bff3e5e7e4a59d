// The mail that tells a brand's owners and managers that creators' drafts wait for review: once a day at most
// per person, only when a draft arrived since their last one, never to finance or viewers, and off when they
// turn it off.
import { env } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import type { Env } from '../../worker/env';
import { mailReviewDigests } from '../../worker/jobs/review-digest';
import { logTransport, setTransport, type Message } from '../../worker/lib/messages';
import { adminUser, get, post, signIn } from './console-fixtures';
import { createMoneyBrand, insertSubmission, rowCount, waitFor } from './fixtures';

afterEach(() => setTransport(logTransport));

describe('the drafts-to-review mail', () => {
  it('goes to owners and managers once a day while new drafts arrive, and not to those who turned it off', { timeout: 30_000 }, async () => {
    const m = await createMoneyBrand();
    const before = Date.now() - 60_000;
    const [owner, manager, finance, viewer, quiet] = await Promise.all(
      (['owner', 'manager', 'finance', 'viewer', 'manager'] as const).map((role) => adminUser(m.brand.brandId, role, { createdAt: before })),
    );
    expect((await post('/console/team/me/notifications', {}, { cookie: await signIn(quiet!.email) })).headers.get('location')).toBe('/console/team?flash=notify_saved');
    const sent: Message[] = [];
    setTransport(async (msg) => void sent.push(msg));
    const ours = () => sent.filter((s) => [owner, manager, finance, viewer, quiet].some((u) => u!.email === s.to));
    const run = () => mailReviewDigests(env as Env, Date.now());

    expect(await run()).toBe(0); // no draft yet
    await insertSubmission(m.brand.brandId, m.enrollment.id);
    await run();
    await waitFor(async () => (ours().length >= 2 ? true : null), 15_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(ours().map((s) => s.to).sort()).toEqual([manager!.email, owner!.email].sort());
    expect(ours()[0]!.subject).toBe('1 draft to review for Test Brand');
    expect(ours()[0]!.text).toContain('1 creator draft is waiting for review at Test Brand.');
    expect(ours()[0]!.text).toContain('turn it off under Your notifications on the Team page');

    // Another draft the same day: nothing more until a day has passed since the last mail.
    await insertSubmission(m.brand.brandId, m.enrollment.id);
    sent.length = 0;
    await run();
    await new Promise((r) => setTimeout(r, 1_000));
    expect(ours()).toEqual([]);
    await env.DB.prepare('UPDATE admin_users SET review_digest_at = review_digest_at - 86400000 WHERE brand_id = ?').bind(m.brand.brandId).run();
    await run();
    await waitFor(async () => (ours().length >= 2 ? true : null), 15_000);
    expect(ours()[0]!.subject).toBe('2 drafts to review for Test Brand');

    // A day on with no new draft: the waiting ones are not mailed about again.
    await env.DB.prepare('UPDATE admin_users SET review_digest_at = review_digest_at - 86400000 WHERE brand_id = ?').bind(m.brand.brandId).run();
    await env.DB.prepare('UPDATE submissions SET updated_at = updated_at - 2 * 86400000 WHERE brand_id = ?').bind(m.brand.brandId).run();
    sent.length = 0;
    await run();
    await new Promise((r) => setTimeout(r, 1_000));
    expect(ours()).toEqual([]);
  });

  it('counts drafts as the Review page does: a removed creator’s waiting draft is withdrawn, and mails nobody', async () => {
    const m = await createMoneyBrand();
    await adminUser(m.brand.brandId, 'owner', { createdAt: Date.now() - 60_000 });
    await insertSubmission(m.brand.brandId, m.enrollment.id);
    expect((await m.brand.api('PATCH', `/api/admin/enrollments/${m.enrollment.id}`, { status: 'removed' })).status).toBe(200);
    expect(await rowCount("SELECT count(*) AS n FROM admin_users WHERE brand_id = ? AND review_digest_at IS NULL", m.brand.brandId)).toBe(1);
    await mailReviewDigests(env as Env, Date.now());
    expect(await rowCount("SELECT count(*) AS n FROM admin_users WHERE brand_id = ? AND review_digest_at IS NULL", m.brand.brandId)).toBe(1);
  });

  it('also tells them when creators applied, and says both when drafts and applications wait', { timeout: 30_000 }, async () => {
    const m = await createMoneyBrand();
    const owner = await adminUser(m.brand.brandId, 'owner', { createdAt: Date.now() - 60_000 });
    const sent: Message[] = [];
    setTransport(async (msg) => void sent.push(msg));
    const mine = () => sent.filter((s) => s.to === owner.email);
    const now = Date.now();
    await env.DB.prepare("INSERT INTO applications (id, brand_id, campaign_id, email, handle, name, platform, pitch, status, created_at, updated_at) VALUES (?, ?, ?, 'lea@creators.test', 'lea', 'Lea', 'tiktok', '', 'pending', ?, ?)")
      .bind(`app_digest_${now}`, m.brand.brandId, m.campaign.id, now, now)
      .run();
    await mailReviewDigests(env as Env, Date.now());
    await waitFor(async () => (mine().length >= 1 ? true : null), 15_000);
    expect(mine()[0]!.subject).toBe('1 creator application waiting at Test Brand');
    expect(mine()[0]!.text).toContain("1 creator applied to join Test Brand's campaigns and waits for an answer.");
    expect(mine()[0]!.text).not.toContain('waiting for review');

    await insertSubmission(m.brand.brandId, m.enrollment.id);
    await env.DB.prepare('UPDATE admin_users SET review_digest_at = review_digest_at - 86400000 WHERE id = ?').bind(owner.id).run();
    sent.length = 0;
    await mailReviewDigests(env as Env, Date.now());
    await waitFor(async () => (mine().length >= 1 ? true : null), 15_000);
    expect(mine()[0]!.subject).toBe('1 draft and 1 application waiting at Test Brand');
  });

  it('offers the switch to owners and managers only', async () => {
    const m = await createMoneyBrand();
    for (const role of ['owner', 'manager', 'finance', 'viewer'] as const) {
      const cookie = await signIn((await adminUser(m.brand.brandId, role)).email);
      const page = await (await get('/console/team', cookie)).text();
      expect(page.includes('name="reviewDigest"'), role).toBe(role === 'owner' || role === 'manager');
      if (role === 'finance' || role === 'viewer') expect((await post('/console/team/me/notifications', { reviewDigest: 'on' }, { cookie })).status, role).toBe(403);
    }
  });
});
