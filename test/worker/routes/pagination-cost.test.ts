// What a page of an admin list reads from D1: each list has a (brand_id, time, id) index, so a page of 2
// deep in a 1,500-row list reads a handful of rows, not the brand's table. The route runs against the real
// D1; the wrapper only records the statements it prepares, so the test can run the list query again and
// read D1's rows_read.
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { Env } from '../../../worker/env';
import worker from '../../../worker/index';
import { encodeCursor } from '../../../worker/lib/cursor';
import { FEW_TAGGED, setCreatorTags } from '../../../worker/db/creator-tags';
import { BASE, createMoneyBrand, d1With, json } from '../fixtures';

type Page = { data: { id: string }[]; hasMore: boolean; nextCursor: string | null };
type MoneyBrand = Awaited<ReturnType<typeof createMoneyBrand>>;

// The statements a route prepares, with their bound values, so a test can run them again and read D1's meta.
async function statementsOf(m: MoneyBrand, path: string): Promise<{ sql: string; params: unknown[] }[]> {
  const seen: { sql: string; params: unknown[] }[] = [];
  const db = new Proxy(env.DB, {
    get(target, prop) {
      if (prop === 'prepare')
        return (sql: string) => {
          const stmt = target.prepare(sql);
          const entry = { sql, params: [] as unknown[] };
          seen.push(entry);
          return new Proxy(stmt, {
            get(s, p) {
              if (p === 'bind')
                return (...params: unknown[]) => {
                  entry.params = params;
                  return s.bind(...params);
                };
              const v = Reflect.get(s, p);
              return typeof v === 'function' ? v.bind(s) : v;
            },
          });
        };
      const v = Reflect.get(target, prop);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${BASE}${path}`, { headers: { authorization: `Bearer ${m.brand.adminKey}` } }), { ...(env as Env), DB: db } as Env, ctx);
  await waitOnExecutionContext(ctx);
  expect(res.status, path).toBe(200);
  const page = await json<Page>(res);
  expect(page.data.length, path).toBe(2);
  return seen;
}

// D1's rows_read for the list statement (the one with ORDER BY) of a route, plus, filtered by tag, the probe that
// chooses how to find the tag's creators (fewTagged); the roster's page's tags by creator id read only those rows.
async function rowsRead(m: MoneyBrand, path: string): Promise<number> {
  const stmts = await statementsOf(m, path);
  const list = stmts.filter((s) => /order by/i.test(s.sql) && !/^SELECT creator_id, tag FROM creator_tags\b/.test(s.sql));
  const probe = stmts.filter((s) => /^SELECT count\(\*\) AS n FROM \(SELECT 1 FROM creator_tags\b/.test(s.sql));
  expect(list.length, path).toBe(1);
  expect(probe.length, path).toBe(new URL(path, BASE).searchParams.has('tag') ? 1 : 0);
  let read = 0;
  for (const { sql, params } of [...list, ...probe]) read += (await env.DB.prepare(sql).bind(...params).all()).meta.rows_read;
  return read;
}

const N = 1500;

// N more creators on the roster, each enrolled with a link, a code and a submission, at distinct instants.
async function bigBrand(): Promise<{ m: MoneyBrand; base: number; t: string }> {
  const m = await createMoneyBrand();
  const t = m.brand.brandId.slice(-8).replace(/[^A-Za-z0-9]/g, 'x').toLowerCase();
  const base = Date.now() - 10 * N * 1000;
  const seq = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${N})`;
  await env.DB.batch([
    env.DB.prepare(`INSERT INTO creators (id, email, handle, display_name, created_at) ${seq} SELECT 'cr_' || ?1 || '_' || i, 'bulk' || ?1 || i || '@creators.test', 'b' || ?1 || i, 'Bulk', ?2 + i * 1000 FROM n`).bind(t, base),
    env.DB.prepare(`INSERT INTO brand_creators (brand_id, creator_id, handle, display_name, email, created_at) ${seq} SELECT ?3, c.id, c.handle, c.display_name, c.email, ?2 + i * 1000 FROM n JOIN creators c ON c.id = 'cr_' || ?1 || '_' || i`).bind(t, base, m.brand.brandId),
    env.DB.prepare(`INSERT INTO enrollments (id, brand_id, campaign_id, creator_id, payment_model, status, created_at) ${seq} SELECT 'enr_' || ?1 || '_' || i, ?3, ?4, 'cr_' || ?1 || '_' || i, 'affiliate', 'active', ?2 + i * 1000 FROM n`).bind(
      t,
      base,
      m.brand.brandId,
      m.campaign.id,
    ),
    env.DB.prepare(
      `INSERT INTO links (id, brand_id, enrollment_id, slug, destination, status, created_at, updated_at) ${seq} SELECT 'lnk_' || ?1 || '_' || i, ?3, 'enr_' || ?1 || '_' || i, 's' || ?1 || i, 'https://shop.example/x', 'active', ?2 + i * 1000, ?2 + i * 1000 FROM n`,
    ).bind(t, base, m.brand.brandId),
    env.DB.prepare(
      `INSERT INTO discount_codes (id, brand_id, enrollment_id, code, discount_type, discount_value, status, created_at) ${seq} SELECT 'dc_' || ?1 || '_' || i, ?3, 'enr_' || ?1 || '_' || i, upper('C' || ?1 || i), 'percent', 10, 'active', ?2 + i * 1000 FROM n`,
    ).bind(t, base, m.brand.brandId),
    env.DB.prepare(
      `INSERT INTO submissions (id, brand_id, enrollment_id, story_format, draft_url, caption, status, compliance, created_at, updated_at) ${seq} SELECT 'sub_' || ?1 || '_' || i, ?3, 'enr_' || ?1 || '_' || i, 'day_in_the_life', 'https://drive.example/d', 'c', CASE i % 3 WHEN 0 THEN 'submitted' WHEN 1 THEN 'approved' ELSE 'live' END, '{"hashtag":true,"disclosure":true}', ?2 + i * 1000, ?2 + i * 1000 FROM n`,
    ).bind(t, base, m.brand.brandId),
  ]);
  return { m, base, t };
}

describe('the roster by tag: a page reads about a page, or the tag\'s few creators, not the roster', () => {
  it(
    'finds the two oldest creators of 1,500 by a rare tag in a few rows, and pages a tag on all of them as cheaply as the roster',
    async () => {
      const { m, base, t } = await bigBrand();
      await env.DB.batch([
        env.DB.prepare(`INSERT INTO creator_tags (brand_id, creator_id, tag) SELECT brand_id, creator_id, 'everyone' FROM brand_creators WHERE brand_id = ? AND creator_id LIKE 'cr_' || ? || '_%'`).bind(m.brand.brandId, t),
        env.DB.prepare(`INSERT INTO creator_tags (brand_id, creator_id, tag) VALUES (?1, 'cr_' || ?2 || '_3', 'rare'), (?1, 'cr_' || ?2 || '_7', 'rare')`).bind(m.brand.brandId, t),
      ]);
      const rare = await rowsRead(m, '/api/admin/creators?limit=2&tag=rare');
      expect(rare, `the rare tag read ${rare} rows`).toBeLessThan(20);
      const page = await json<Page>(await m.brand.api('GET', '/api/admin/creators?limit=2&tag=rare'));
      expect(page.data.map((c) => c.id)).toEqual([`cr_${t}_7`, `cr_${t}_3`]);
      expect(page.hasMore).toBe(false);
      // A tag on more creators than FEW_TAGGED walks the roster in its order: a deep page reads a page's rows, after the
      // probe that counts the tag's creators up to one past FEW_TAGGED (211 rows today: 201 and 10).
      const deep = encodeCursor({ at: base + 10 * 1000, id: `cr_${t}_10` });
      for (const path of ['/api/admin/creators?limit=2&tag=everyone', `/api/admin/creators?limit=2&tag=everyone&cursor=${deep}`]) {
        const n = await rowsRead(m, path);
        expect(n, `${path} read ${n} rows`).toBeLessThan(FEW_TAGGED + 1 + 20);
      }
      // A save that brings the brand no new tag is judged by an index lookup a tag, not a count of the brand's 1,502 tag rows.
      let written = 0;
      const db = d1With({
        batch: async (statements: D1PreparedStatement[]) => {
          const results = await env.DB.batch(statements);
          written = results.reduce((sum, r) => sum + r.meta.rows_read, 0);
          return results;
        },
      });
      expect(await setCreatorTags(db, m.brand.brandId, `cr_${t}_5`, ['everyone', 'rare'], { actorType: 'api_key', actorId: 'key_test' })).toEqual(['everyone', 'rare']);
      expect(written, `the save's batch read ${written} rows`).toBeLessThan(100);
    },
    60_000,
  );
});

describe('paged admin lists: a page reads a page, not the brand', () => {
  it(
    'roster, enrollments, links, codes and the review queue: a deep page of 2 reads about as many rows as it returns',
    async () => {
      const { m, base, t } = await bigBrand();
      // The cursor just after the 1,490th newest row: the last pages of a walk.
      const deep = (prefix: string) => encodeCursor({ at: base + 10 * 1000, id: `${prefix}_${t}_10` });
      const paths: Record<string, string> = {
        creators: `/api/admin/creators?limit=2&cursor=${deep('cr')}`,
        enrollments: `/api/admin/enrollments?limit=2&cursor=${deep('enr')}`,
        links: `/api/admin/links?limit=2&cursor=${deep('lnk')}`,
        codes: `/api/admin/codes?limit=2&cursor=${deep('dc')}`,
        submissions: `/api/admin/submissions?limit=2&cursor=${deep('sub')}`,
        'first page of enrollments': '/api/admin/enrollments?limit=2',
      };
      const read: Record<string, number> = {};
      for (const [name, path] of Object.entries(paths)) read[name] = await rowsRead(m, path);
      expect(read).toEqual(Object.fromEntries(Object.keys(paths).map((k) => [k, expect.any(Number)])));
      for (const [name, n] of Object.entries(read)) expect(n, `${name} read ${n} rows for a page of 2 (${JSON.stringify(read)})`).toBeLessThan(100);
    },
    60_000,
  );
});
