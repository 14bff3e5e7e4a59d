// Operations: /healthz, request ids on every answer (but a click redirect) and log line, the secrets guard, click retention.
import { createExecutionContext, createMessageBatch, env, SELF, waitOnExecutionContext } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import worker from '../../worker/index';
import { writeClicks } from '../../worker/db/clicks';
import type { ClickMessage } from '../../worker/domain/clicks';
import type { Env } from '../../worker/env';
import { pruneClicks, RETENTION_SQL, retentionDays } from '../../worker/jobs/retention';
import { newClickId } from '../../worker/lib/ids';
import { BASE, captureLogs, clickMessage, createBrand, createLinkedCreator, createMoneyBrand, json, rowCount, runCron, signedPost, storeRawClick } from './fixtures';

const DAY = 86_400_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown> } };

async function fetchWith(path: string, overrides: Partial<Env> & Record<string, string | undefined>, headers: Record<string, string> = {}) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${BASE}${path}`, { headers }), { ...env, ...overrides } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

afterEach(() => vi.restoreAllMocks());

describe('GET /healthz', () => {
  it('answers ok with the version, the commit when deployed with one, and the time', async () => {
    const before = Date.now();
    const res = await SELF.fetch(`${BASE}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = await json<{ ok: boolean; version: string | null; commit: string | null; time: string }>(res);
    expect(body.ok).toBe(true);
    expect(body.version === null || typeof body.version === 'string').toBe(true);
    expect(body.commit).toBeNull();
    expect(Date.parse(body.time)).toBeGreaterThanOrEqual(before - 1000);
    expect(new Date(Date.parse(body.time)).toISOString()).toBe(body.time);

    const deployed = await json<{ commit: string }>(await fetchWith('/healthz', { COMMIT_SHA: 'abc1234' }));
    expect(deployed.commit).toBe('abc1234');
  });

  it('says how password links leave: the log here, a provider when configured, none on a deploy without one', async () => {
    const mail = async (vars: Record<string, string>) => (await json<{ mail: string }>(await fetchWith('/healthz', vars))).mail;
    expect(await mail({})).toBe('log');
    expect(await mail({ MAIL_API_KEY: 're_test_key', MAIL_FROM: 'Chorus <no-reply@mail.chorus.test>' })).toBe('http');
    expect(await mail({ ENVIRONMENT: 'staging' })).toBe('unconfigured');
    expect(await mail({ ENVIRONMENT: 'staging', MAIL_API_KEY: 're_test_key' })).toBe('unconfigured');
  });

  it("says what origin mails' links name, still 200 deployed without PUBLIC_ORIGIN", async () => {
    const links = async (vars: Record<string, string>) => {
      const res = await fetchWith('/healthz', vars);
      return [res.status, (await json<{ links: string }>(res)).links];
    };
    expect(await links({})).toEqual([200, 'request']);
    expect(await links({ ENVIRONMENT: 'staging', PUBLIC_ORIGIN: 'https://chorus.example' })).toEqual([200, 'public_origin']);
    expect(await links({ ENVIRONMENT: 'staging' })).toEqual([200, 'public_origin_unset']);
  });

  it('answers 503 in the error shape, and logs why, when D1 is unreachable', async () => {
    const { result: res, lines } = await captureLogs(() => fetchWith('/healthz', { FAULT_D1: 'before', FAULT_D1_RATE: '1' }, { 'x-request-id': 'lb-0123456789' }));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(res.headers.get('request-id')).toBe('lb-0123456789');
    expect((await json<ErrorBody>(res)).error.code).toBe('storage_unavailable');
    const failure = lines.find((l) => l.event === 'health_check_failed');
    expect(failure).toMatchObject({ level: 'error', request_id: 'lb-0123456789', fields: { check: 'd1' } });
    expect((failure?.fields.error as { message: string }).message).toMatch(/D1_ERROR/);
  });
});

describe('request ids', () => {
  it('are minted as UUIDs and returned on every kind of answer but a click redirect', async () => {
    const brand = await createBrand();
    const { link } = await createLinkedCreator(brand);
    const answers = [
      await SELF.fetch(`${BASE}/r/no-such-link`, { redirect: 'manual' }),
      await SELF.fetch(`${BASE}/api/admin/campaigns`),
      await SELF.fetch(`${BASE}/api/nothing-here`),
      await SELF.fetch(`${BASE}/robots.txt`),
      await brand.api('POST', '/api/admin/campaigns', '{not json'),
      await brand.api('GET', '/api/admin/campaigns'),
    ];
    expect(answers.map((r) => r.status)).toEqual([404, 401, 404, 200, 400, 200]);
    const ids = answers.map((r) => r.headers.get('request-id'));
    for (const id of ids) expect(id).toMatch(UUID);
    expect(new Set(ids).size).toBe(ids.length);
    // The one exception: a tracked link's 302, whose click id is its trace (routes/redirect.test.ts).
    expect((await SELF.fetch(`${BASE}/r/${link.slug}`, { redirect: 'manual' })).headers.get('request-id')).toBeNull();
  });

  it('keep a well-formed incoming Request-Id or X-Request-Id and replace anything else', async () => {
    const idFor = async (headers: Record<string, string>) => (await SELF.fetch(`${BASE}/healthz`, { headers })).headers.get('request-id');
    expect(await idFor({ 'request-id': 'req_01HZX3K9M2Q7' })).toBe('req_01HZX3K9M2Q7');
    expect(await idFor({ 'x-request-id': '5f0c2d1e-8b7a-4c3d-9e2f-1a2b3c4d5e6f' })).toBe('5f0c2d1e-8b7a-4c3d-9e2f-1a2b3c4d5e6f');
    expect(await idFor({ 'request-id': 'preferred-id-1', 'x-request-id': 'other-id-2345' })).toBe('preferred-id-1');
    for (const bad of ['short', 'has a space 123', '"},{"level":"info"', 'a'.repeat(129), '-leading-dash', 'x'.repeat(7)]) {
      expect(await idFor({ 'request-id': bad })).toMatch(UUID);
    }
  });

  it('are on every log line of a request, which is one JSON object with ts, level, event and fields', async () => {
    const { result: res, lines } = await captureLogs(() => fetchWith('/healthz', { FAULT_D1: 'before', FAULT_D1_RATE: '1' }));
    const id = res.headers.get('request-id');
    expect(id).toMatch(UUID);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(['ts', 'level', 'event', 'request_id', 'fields']);
      expect(line.request_id).toBe(id);
      expect(new Date(line.ts).toISOString()).toBe(line.ts);
      expect(['info', 'warn', 'error']).toContain(line.level);
    }
  });

  it('are one per queue batch, shared by every line the batch writes', async () => {
    const deliver = async (bodies: unknown[]) => {
      const batch = createMessageBatch('chorus-clicks', bodies.map((body, i) => ({ id: `m-${i}`, timestamp: new Date(), attempts: 1, body })));
      const ctx = createExecutionContext();
      await worker.queue(batch, env as Env, ctx);
      await waitOnExecutionContext(ctx);
    };
    const { lines } = await captureLogs(async () => {
      await deliver([{ nonsense: 1 }, 'not a click']);
      await deliver([{ nonsense: 2 }]);
    });
    const dropped = lines.filter((l) => l.event === 'click_message_dropped');
    expect(dropped).toHaveLength(3);
    expect(dropped[0]!.request_id).toMatch(UUID);
    expect(dropped[1]!.request_id).toBe(dropped[0]!.request_id);
    expect(dropped[2]!.request_id).not.toBe(dropped[0]!.request_id);
  });
});

describe('secrets', () => {
  it('are required: without one of 32+ characters every request answers 500 server_misconfigured', async () => {
    for (const overrides of [{ SESSION_SECRET: 'too-short' }, { IDENTITY_SECRET: undefined }, { SECRETS_KEY: '' }]) {
      const { result: res, lines } = await captureLogs(() => fetchWith('/healthz', overrides));
      expect(res.status).toBe(500);
      expect(res.headers.get('request-id')).toMatch(UUID);
      const body = await json<ErrorBody>(res);
      expect(body.error.code).toBe('server_misconfigured');
      expect(body.error.details).toEqual({ missing: Object.keys(overrides) });
      expect(lines.find((l) => l.event === 'secrets_missing')?.fields).toEqual({ missing: Object.keys(overrides) });
    }
    const { result: page } = await captureLogs(() => fetchWith('/login', { SESSION_SECRET: 'x'.repeat(31) }));
    expect(page.status).toBe(500);
    expect((await fetchWith('/healthz', { SESSION_SECRET: 'x'.repeat(32) })).status).toBe(200);
  });
});

// Clicks stored the way the pipeline stores them: raw rows plus the recomputed daily rollups.
function clickAt(linkId: string, brandId: string, at: number, visitor = newClickId()): ClickMessage {
  return clickMessage({ brandId, linkId, at, identityHash: visitor });
}

async function rollupsOf(linkId: string) {
  const { results } = await env.DB.prepare('SELECT day, clicks, unique_clicks, bots FROM click_rollups WHERE link_id = ? ORDER BY day').bind(linkId).all();
  return results;
}

const clicksOf = (linkId: string) => rowCount('SELECT count(*) AS n FROM clicks WHERE link_id = ?', linkId);

async function clickIds(linkId: string): Promise<string[]> {
  const { results } = await env.DB.prepare('SELECT id FROM clicks WHERE link_id = ? ORDER BY at').bind(linkId).all<{ id: string }>();
  return results.map((r) => r.id);
}

describe('click retention', () => {
  const now = Date.UTC(2026, 10, 23, 12);
  // The job looks at every brand in the database, so each story removes its clicks when it ends.
  const brands: string[] = [];
  const tracked = <T extends { brandId: string }>(brand: T) => (brands.push(brand.brandId), brand);
  afterEach(async () => {
    for (const brandId of brands.splice(0)) {
      await env.DB.batch([env.DB.prepare('DELETE FROM clicks WHERE brand_id = ?').bind(brandId), env.DB.prepare('DELETE FROM click_rollups WHERE brand_id = ?').bind(brandId)]);
    }
  });

  it('removes old rolled-up clicks and keeps rollups, recent clicks, un-rolled-up days and attributed clicks', async () => {
    const money = await createMoneyBrand();
    const { brand, link } = money;
    tracked(brand);
    const old = [0, 1, 2].map((i) => clickAt(link.id, brand.brandId, now - (120 + i) * DAY));
    const recent = [clickAt(link.id, brand.brandId, now - 10 * DAY), clickAt(link.id, brand.brandId, now - 89 * DAY)];
    await writeClicks(env.DB, [...old, ...recent]);
    // A raw row whose day was never rolled up (a write that lost its rollup): the job must not trust it away.
    const unrolled = clickAt(link.id, brand.brandId, now - 200 * DAY);
    await storeRawClick({ id: unrolled.id, brandId: brand.brandId, linkId: link.id, at: unrolled.at });
    // An order that names an old click keeps it, whatever its attribution turned out to be.
    const attributed = old[2]!;
    const order = await signedPost(brand, money.ingestKey, '/v1/conversions', {
      orderId: 'retention-1',
      amountMinor: 5000,
      currency: 'USD',
      occurredAt: new Date(attributed.at + DAY).toISOString(),
      code: null,
      clickId: attributed.id,
    });
    expect(order.status).toBe(201);
    expect(await rowCount('SELECT count(*) AS n FROM conversions WHERE click_id = ?', attributed.id)).toBe(1);
    const rollupsBefore = await rollupsOf(link.id);
    expect(rollupsBefore).toHaveLength(5);

    const result = await pruneClicks(env.DB, { retentionDays: 90, now, firstBrand: 0 });
    expect(result).toMatchObject({ retentionDays: 90, deleted: 2, complete: true });
    expect(await clickIds(link.id)).toEqual([unrolled.id, attributed.id, recent[1]!.id, recent[0]!.id]);
    expect(await rollupsOf(link.id)).toEqual(rollupsBefore);

    // Idempotent: the next run finds nothing to do and changes nothing.
    const again = await pruneClicks(env.DB, { retentionDays: 90, now, firstBrand: 0 });
    expect(again).toMatchObject({ deleted: 0, complete: true });
    expect(await clicksOf(link.id)).toBe(4);
    expect(await rollupsOf(link.id)).toEqual(rollupsBefore);
  });

  // Per DELETE: one pass over the brand's conversions for the clicks they were credited with (click_id has
  // no index), and one probe of the waiting orders' partial index per candidate click, not a second pass.
  it('reads the brand\'s conversions once per statement and probes the waiting orders by index', async () => {
    const plan = (await env.DB.prepare(`EXPLAIN QUERY PLAN ${RETENTION_SQL.DELETE_CHUNK}`).bind('b', now, 500).all<{ detail: string }>()).results.map((r) => r.detail).join('\n');
    expect(plan.match(/conversions_brand_at/g)).toHaveLength(1);
    expect(plan).toMatch(/SEARCH v USING INDEX conversions_awaiting_click \(click_id_raw=\?\)/);
    expect(plan).not.toMatch(/^SCAN (?!k$)/m);
  });

  it("finds a click's rollup on the brand's day: an evening click in Los Angeles is pruned, not kept forever for want of a UTC row", async () => {
    const brand = tracked(await createBrand({ timezone: 'America/Los_Angeles' }));
    const { link } = await createLinkedCreator(brand);
    const evening = Date.UTC(2026, 6, 10, 3); // 20:00 on 9 July in Los Angeles (PDT)
    await writeClicks(env.DB, [clickAt(link.id, brand.brandId, evening)]);
    const before = await rollupsOf(link.id);
    expect(before).toEqual([{ day: '2026-07-09', clicks: 1, unique_clicks: 1, bots: 0 }]);
    expect(await pruneClicks(env.DB, { retentionDays: 90, now, firstBrand: 0 })).toMatchObject({ deleted: 1, complete: true });
    expect(await clicksOf(link.id)).toBe(0);
    expect(await rollupsOf(link.id)).toEqual(before);
  });

  it('never prunes inside the longest attribution window of the brand', async () => {
    const brand = tracked(await createBrand());
    const { link, campaign } = await createLinkedCreator(brand);
    await env.DB.prepare('UPDATE campaigns SET attribution_window_days = 365 WHERE id = ?').bind(campaign.id).run();
    await writeClicks(env.DB, [clickAt(link.id, brand.brandId, now - 120 * DAY), clickAt(link.id, brand.brandId, now - 364 * DAY), clickAt(link.id, brand.brandId, now - 400 * DAY)]);
    const result = await pruneClicks(env.DB, { retentionDays: 90, now, firstBrand: 0 });
    expect(result.deleted).toBe(1);
    expect(await clicksOf(link.id)).toBe(2);
  });

  it('is bounded per run and finishes the backlog over several runs', async () => {
    const brandA = tracked(await createBrand());
    const a = await createLinkedCreator(brandA);
    const brandB = tracked(await createBrand());
    const b = await createLinkedCreator(brandB);
    await writeClicks(env.DB, Array.from({ length: 5 }, (_, i) => clickAt(a.link.id, brandA.brandId, now - (100 + i) * DAY)));
    await writeClicks(env.DB, Array.from({ length: 3 }, (_, i) => clickAt(b.link.id, brandB.brandId, now - (100 + i) * DAY)));
    const runs = [];
    for (let run = 0; run < 10; run++) {
      const result = await pruneClicks(env.DB, { retentionDays: 90, now, chunkSize: 2, maxStatements: 2 });
      runs.push(result);
      expect(result.statements).toBeLessThanOrEqual(2);
      expect(result.deleted).toBeLessThanOrEqual(4);
      if (result.complete && result.deleted === 0) break;
    }
    // Two statements of two rows: 4 deleted, or 3 when the run starts at the brand with 3 (2, then 1).
    expect(runs[0]).toMatchObject({ brands: 2, statements: 2, complete: false });
    expect([3, 4]).toContain(runs[0]!.deleted);
    expect(runs.reduce((n, r) => n + r.deleted, 0)).toBe(8);
    expect(runs.at(-1)).toMatchObject({ brands: 0, deleted: 0, statements: 0, complete: true });
    expect((await clicksOf(a.link.id)) + (await clicksOf(b.link.id))).toBe(0);
    expect(await rollupsOf(a.link.id)).toHaveLength(5);
  });

  it('reads CLICK_RETENTION_DAYS with a default and a floor, saying so when it cannot honour it', async () => {
    const values = [undefined, '', '45', '7', '0', '-5', 'ninety'];
    const { result, lines } = await captureLogs(async () => values.map((v) => retentionDays(v, { warn: true })));
    expect(result).toEqual([90, 90, 45, 30, 90, 90, 90]);
    expect(lines.filter((l) => l.event === 'retention_config_invalid').map((l) => l.fields.using)).toEqual([30, 90, 90, 90]);
    // Only the cron asks for the warning.
    expect((await captureLogs(async () => values.map((v) => retentionDays(v)))).lines).toEqual([]);
  });

  it('runs from the cron trigger with its own request id', async () => {
    const brand = tracked(await createBrand());
    const { link } = await createLinkedCreator(brand);
    await writeClicks(env.DB, [clickAt(link.id, brand.brandId, Date.now() - 50 * DAY), clickAt(link.id, brand.brandId, Date.now() - 20 * DAY)]);
    const { lines } = await captureLogs(() => runCron({ ...env, CLICK_RETENTION_DAYS: '40' } as Env));
    expect(await clicksOf(link.id)).toBe(1);
    const pruned = lines.find((l) => l.event === 'clicks_pruned');
    expect(pruned).toMatchObject({ level: 'info', fields: { cron: '*/15 * * * *', retentionDays: 40, deleted: 1, complete: true } });
    expect(pruned?.request_id).toMatch(UUID);
  });
});
