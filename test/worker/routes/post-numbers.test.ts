// A live post's numbers: the creator reports them, and the brand corrects them on the review page when they
// are wrong (the network ranking and the cost per engagement count them). Corrections are audited with what
// the numbers were; unchanged numbers write nothing; only live posts of the brand's own have numbers to fix.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { adminUser, signIn } from '../console-fixtures';
import { rowCount } from '../fixtures';
import { get, post } from '../forms';
import { portalTestDefaults, signedInCreator } from '../portal-fixtures';

portalTestDefaults();

async function livePost() {
  const m = await signedInCreator();
  const res = await post('/submissions', { enrollmentId: m.enrollment.id, storyFormat: 'day_in_the_life', draftUrl: 'https://drive.example/draft', caption: 'Morning routine #Glow #ad' }, { cookie: m.cookie });
  const id = res.headers.get('location')!.split('/')[2]!.split('?')[0]!;
  expect((await m.brand.api('POST', `/api/admin/submissions/${id}/approve`, {})).status).toBe(200);
  expect((await post(`/submissions/${id}/live`, { postUrl: 'https://www.instagram.com/p/abc', views: '1200', likes: '80', comments: '9', saves: '4', shares: '2' }, { cookie: m.cookie })).status).toBe(303);
  const manager = await adminUser(m.brand.brandId, 'manager');
  const numbers = () => env.DB.prepare('SELECT views, likes, comments, saves, shares FROM submissions WHERE id = ?').bind(id).first();
  return { ...m, id, manager, cookie: await signIn(manager.email), creatorCookie: m.cookie, numbers };
}

describe('correcting a live post’s numbers', () => {
  it('saves the brand’s numbers, keeps blank ones, audits the change and shows it in the activity log', async () => {
    const m = await livePost();
    const queue = await (await get('/console/review?status=live', m.cookie)).text();
    expect(queue).toContain('Correct the numbers');
    expect(queue).toContain(`action="/console/review/${m.id}/metrics"`);
    const res = await post(`/console/review/${m.id}/metrics`, { views: '12,000', likes: '', comments: '9', saves: '4', shares: '2', back: '/console/review?status=live' }, { cookie: m.cookie });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/review?status=live&flash=metrics');
    expect(await m.numbers()).toEqual({ views: 12_000, likes: 80, comments: 9, saves: 4, shares: 2 });
    expect(await (await get('/console/review?status=live&flash=metrics', m.cookie)).text()).toContain('Numbers corrected.');
    const audit = await env.DB.prepare("SELECT actor_id, details FROM audit_log WHERE target_id = ? AND action = 'submission.metrics_corrected'").bind(m.id).all<{ actor_id: string; details: string }>();
    expect(audit.results).toHaveLength(1);
    expect(audit.results[0]!.actor_id).toBe(m.manager.id);
    expect(JSON.parse(audit.results[0]!.details)).toMatchObject({ from: { views: 1200 }, to: { views: 12_000 } });
    expect(await (await get('/console/activity', m.cookie)).text()).toContain('views 1,200 → 12,000');
    // The same numbers again change nothing, log nothing, and say so.
    const same = await post(`/console/review/${m.id}/metrics`, { views: '12000', likes: '80', comments: '9', saves: '4', shares: '2', back: '/console/review' }, { cookie: m.cookie });
    expect(same.headers.get('location')).toBe('/console/review?flash=metrics_unchanged');
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'submission.metrics_corrected'", m.id)).toBe(1);
    // The creator still updates them as the post grows; a correction drawn before that touches only what it
    // fills in (the form's fields start empty, the numbers as placeholders).
    const drawn = await (await get('/console/review?status=live', m.cookie)).text();
    expect(drawn).toContain(`name="likes" type="number" inputmode="numeric" min="0" max="1000000000" step="1" placeholder="80"`);
    expect((await post(`/submissions/${m.id}/live`, { views: '15000', likes: '90', comments: '9', saves: '4', shares: '2' }, { cookie: m.creatorCookie })).status).toBe(303);
    expect(await m.numbers()).toEqual({ views: 15_000, likes: 90, comments: 9, saves: 4, shares: 2 });
    expect((await post(`/console/review/${m.id}/metrics`, { views: '', likes: '', comments: '', saves: '40', shares: '' }, { cookie: m.cookie })).status).toBe(303);
    expect(await m.numbers()).toEqual({ views: 15_000, likes: 90, comments: 9, saves: 40, shares: 2 });
  });

  it('refuses what is not a count, a post that is not live, another brand’s post and a viewer, writing nothing', async () => {
    const m = await livePost();
    for (const views of ['-1', '1.5', 'lots', '1000000001', '9'.repeat(40), '0x1F', '1e3', '0b11']) {
      const res = await post(`/console/review/${m.id}/metrics`, { views }, { cookie: m.cookie });
      expect(res.status, views).toBe(422);
      expect(await res.text()).toContain('Engagement numbers are whole numbers from 0 to 1,000,000,000.');
    }
    const viewer = await signIn((await adminUser(m.brand.brandId, 'viewer')).email);
    expect((await post(`/console/review/${m.id}/metrics`, { views: '1' }, { cookie: viewer })).status).toBe(403);
    expect(await (await get('/console/review?status=live', viewer)).text()).not.toContain('Correct the numbers');
    const other = await livePost();
    expect((await post(`/console/review/${m.id}/metrics`, { views: '1' }, { cookie: other.cookie })).status).toBe(404);
    expect((await post(`/console/review/${m.id}/metrics`, { views: '1' }, { cookie: m.cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect((await m.brand.api('POST', `/api/admin/submissions/${m.id}/mark-not-live`, { note: 'Not found' })).status).toBe(200);
    const gone = await post(`/console/review/${m.id}/metrics`, { views: '5' }, { cookie: m.cookie });
    expect(gone.status).toBe(409);
    expect(await gone.text()).toContain('is no longer live');
    expect(await m.numbers()).toEqual({ views: 1200, likes: 80, comments: 9, saves: 4, shares: 2 });
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'submission.metrics_corrected'", m.id)).toBe(0);
  });

  it('takes corrections through the admin API too, only the numbers sent, audited as the key', async () => {
    const m = await livePost();
    const res = await m.brand.api('POST', `/api/admin/submissions/${m.id}/metrics`, { saves: 140 });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: { metrics: Record<string, number> } }).data.metrics).toEqual({ views: 1200, likes: 80, comments: 9, saves: 140, shares: 2 });
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'submission.metrics_corrected' AND actor_type = 'api_key'", m.id)).toBe(1);
    for (const body of [{}, { saves: -1 }, { saves: '3' }, { saves: 1.5 }, { saves: 1_000_000_001 }, { clicks: 3 }]) {
      expect((await m.brand.api('POST', `/api/admin/submissions/${m.id}/metrics`, body)).status, JSON.stringify(body)).toBe(422);
    }
    const other = await livePost();
    expect((await other.brand.api('POST', `/api/admin/submissions/${m.id}/metrics`, { saves: 1 })).status).toBe(404);
    expect(await m.numbers()).toEqual({ views: 1200, likes: 80, comments: 9, saves: 140, shares: 2 });
  });
});
