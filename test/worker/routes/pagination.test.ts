// The admin lists that grow with the network (roster, enrollments, links, codes, the review queue, the
// webhook delivery log) come a page at a time: `limit`, then `cursor` = the previous page's `nextCursor`.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { newId } from '../../../worker/lib/ids';
import { addAcceptedCreator, createMoneyBrand, json } from '../fixtures';

type Page = { data: { id: string }[]; hasMore: boolean; nextCursor: string | null };
type MoneyBrand = Awaited<ReturnType<typeof createMoneyBrand>>;

// Walks a list two at a time and returns the ids in the order served.
async function walk(m: MoneyBrand, path: string, query: Record<string, string> = {}): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 50; pages++) {
    const res = await m.brand.api('GET', `${path}?${new URLSearchParams({ ...query, limit: '2', ...(cursor ? { cursor } : {}) })}`);
    expect(res.status, path).toBe(200);
    const page: Page = await json<Page>(res);
    expect(page.data.length, path).toBeLessThanOrEqual(2);
    expect(page.hasMore, path).toBe(page.nextCursor !== null);
    ids.push(...page.data.map((r) => r.id));
    if (!page.nextCursor) return ids;
    cursor = page.nextCursor;
  }
  throw new Error(`${path} never ended`);
}

async function fullList(m: MoneyBrand, path: string): Promise<string[]> {
  const page = await json<Page>(await m.brand.api('GET', `${path}?limit=200`));
  expect(page.hasMore).toBe(false);
  return page.data.map((r) => r.id);
}

async function rosterOfFive(m: MoneyBrand) {
  for (let i = 0; i < 4; i++) {
    const handle = `${m.handle.slice(0, 24)}_p${i}`;
    const creator = await addAcceptedCreator(m.brand, { email: `${handle}@creators.test`, handle, displayName: `P ${i}` });
    const enrollment = await json<{ data: { id: string } }>(
      await m.brand.api('POST', '/api/admin/enrollments', { campaignId: m.campaign.id, creatorId: creator.data.id, paymentModel: 'affiliate', status: 'active' }),
    );
    expect((await m.brand.api('POST', '/api/admin/links', { enrollmentId: enrollment.data.id })).status).toBe(201);
    expect((await m.brand.api('POST', '/api/admin/codes', { enrollmentId: enrollment.data.id, code: `${m.code.slice(0, 20)}P${i}`, discountType: 'percent', discountValue: 10 })).status).toBe(201);
  }
}

describe('paged admin lists', () => {
  it('walk the roster, enrollments, links and codes without a repeat or a gap, ties on created_at included', async () => {
    const m = await createMoneyBrand();
    await rosterOfFive(m);
    // Three rows of each list share one instant, so the id decides between them.
    const tie = Date.now() - 60_000;
    for (const table of ['brand_creators', 'enrollments', 'links', 'discount_codes']) {
      const key = table === 'brand_creators' ? 'creator_id' : 'id';
      await env.DB.prepare(`UPDATE ${table} SET created_at = ? WHERE brand_id = ? AND ${key} IN (SELECT ${key} FROM ${table} WHERE brand_id = ? ORDER BY ${key} LIMIT 3)`)
        .bind(tie, m.brand.brandId, m.brand.brandId)
        .run();
    }
    for (const path of ['/api/admin/creators', '/api/admin/enrollments', '/api/admin/links', '/api/admin/codes']) {
      const all = await fullList(m, path);
      expect(all.length, path).toBe(5);
      expect(await walk(m, path), path).toEqual(all);
    }
    // Filters and paging combine.
    expect(await walk(m, '/api/admin/enrollments', { campaignId: m.campaign.id })).toEqual(await fullList(m, '/api/admin/enrollments'));
  });

  it('walk the review queue and the delivery log the same way', async () => {
    const m = await createMoneyBrand();
    const now = Date.now();
    const endpoint = newId('we');
    const statements = [
      env.DB.prepare("INSERT INTO webhook_endpoints (id, brand_id, url, secret_enc, events, enabled, created_at, updated_at) VALUES (?, ?, 'https://hooks.example.com/x', 'x', '[\"payout.closed\"]', 1, ?, ?)").bind(
        endpoint,
        m.brand.brandId,
        now,
        now,
      ),
    ];
    for (let i = 0; i < 5; i++) {
      const at = i < 3 ? now - 1_000 : now - i * 10_000;
      statements.push(
        env.DB.prepare(
          "INSERT INTO submissions (id, brand_id, enrollment_id, story_format, draft_url, caption, status, compliance, created_at, updated_at) VALUES (?, ?, ?, 'day_in_the_life', 'https://drive.example/d', 'c #Glow #ad', 'submitted', '{\"hashtag\":true,\"disclosure\":true}', ?, ?)",
        ).bind(newId('sub'), m.brand.brandId, m.enrollment.id, at, at),
        env.DB.prepare("INSERT INTO webhook_events (id, brand_id, type, payload, created_at) VALUES (?, ?, 'payout.closed', '{}', ?)").bind(`evt_${i}_${m.handle}`, m.brand.brandId, at),
        env.DB.prepare("INSERT INTO webhook_deliveries (id, brand_id, event_id, endpoint_id, status, next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, 'delivered', ?, ?, ?)").bind(
          newId('wd'),
          m.brand.brandId,
          `evt_${i}_${m.handle}`,
          endpoint,
          at,
          at,
          at,
        ),
      );
    }
    await env.DB.batch(statements);
    for (const path of ['/api/admin/submissions', '/api/admin/webhooks/deliveries']) {
      const all = await fullList(m, path);
      expect(all.length, path).toBe(5);
      expect(await walk(m, path), path).toEqual(all);
    }
    expect(await walk(m, '/api/admin/webhooks/deliveries', { endpointId: endpoint, status: 'delivered' })).toHaveLength(5);
  });

  it('refuses a cursor it did not give out, and a limit out of range, with 422', async () => {
    const m = await createMoneyBrand();
    for (const path of ['/api/admin/creators', '/api/admin/enrollments', '/api/admin/links', '/api/admin/codes', '/api/admin/submissions', '/api/admin/webhooks/deliveries']) {
      for (const q of ['cursor=%%%', `cursor=${btoa('x.y')}`, 'limit=0', 'limit=201']) {
        const res = await m.brand.api('GET', `${path}?${q}`);
        expect(res.status, `${path}?${q}`).toBe(422);
        expect((await json<{ error: { code: string } }>(res)).error.code).toBe('validation_failed');
      }
    }
  });
});
