// Idempotency-Key on the admin API's POSTs: a retried create answers the first answer again, never a
// second row, including after a failure whose outcome the worker could not see.
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import type { Env } from '../../../worker/env';
import worker from '../../../worker/index';
import { sha256Hex } from '../../../worker/lib/digest';
import { BASE, createBrand, createLinkedCreator, d1With, json, rowCount, runCron, type TestBrand } from '../fixtures';

type LinkData = { data: { id: string; slug: string } };
type ErrorBody = { error: { code: string } };

let seq = 0;
const newKey = () => `key-${Date.now()}-${seq++}`;
const linkCount = (brandId: string) => rowCount('SELECT count(*) AS n FROM links WHERE brand_id = ?', brandId);

const fingerprint = (path: string, body: string) => sha256Hex(`POST ${path}\n${body}`);

// The admin API with a D1 whose second batch (the handler's write; the first claims the key) fails,
// before it runs or after it committed.
async function postFailing(brand: TestBrand, when: 'before' | 'after', path: string, body: unknown, key: string): Promise<Response> {
  let batches = 0;
  const db = d1With({
    batch: async (statements: D1PreparedStatement[]) => {
      if (++batches !== 2) return env.DB.batch(statements);
      if (when === 'before') throw new Error('D1_ERROR: storage unavailable');
      await env.DB.batch(statements);
      throw new Error('D1_ERROR: network connection lost');
    },
  });
  const ctx = createExecutionContext();
  const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
  const res = await worker.fetch(
    new Request(`${BASE}${path}`, { method: 'POST', headers: { authorization: `Bearer ${brand.adminKey}`, 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify(body) }),
    { ...env, DB: db } as Env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  errors.mockRestore();
  return res;
}

describe('Idempotency-Key on admin POSTs', () => {
  it('answers a retry with the first answer, marked as replayed, and creates one link', async () => {
    const brand = await createBrand();
    const { enrollment } = await createLinkedCreator(brand);
    const before = await linkCount(brand.brandId);
    const key = newKey();
    const first = await brand.api('POST', '/api/admin/links', { enrollmentId: enrollment.id }, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    const firstBody = await first.text();
    const again = await brand.api('POST', '/api/admin/links', { enrollmentId: enrollment.id }, { 'idempotency-key': key });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.text()).toBe(firstBody);
    expect(await linkCount(brand.brandId)).toBe(before + 1);
    // Without a key every POST is its own request.
    expect((await brand.api('POST', '/api/admin/links', { enrollmentId: enrollment.id })).status).toBe(201);
    expect(await linkCount(brand.brandId)).toBe(before + 2);
  });

  it('refuses the same key for another request, a malformed key, and keeps brands apart', async () => {
    const brand = await createBrand();
    const { enrollment } = await createLinkedCreator(brand);
    const key = newKey();
    expect((await brand.api('POST', '/api/admin/links', { enrollmentId: enrollment.id }, { 'idempotency-key': key })).status).toBe(201);
    const other = await brand.api('POST', '/api/admin/links', { enrollmentId: enrollment.id, destination: 'https://shop.example/other' }, { 'idempotency-key': key });
    expect(other.status).toBe(409);
    expect((await json<ErrorBody>(other)).error.code).toBe('idempotency_conflict');
    for (const bad of ['', 'has space', 'x'.repeat(256), 'tab\tkey']) {
      const res = await brand.api('POST', '/api/admin/links', { enrollmentId: enrollment.id }, { 'idempotency-key': bad });
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect((await json<ErrorBody>(res)).error.code).toBe('invalid_idempotency_key');
    }
    // Another brand's key space is its own.
    const second = await createBrand();
    const theirs = await createLinkedCreator(second);
    const res = await second.api('POST', '/api/admin/links', { enrollmentId: theirs.enrollment.id }, { 'idempotency-key': key });
    expect(res.status).toBe(201);
    expect(res.headers.get('idempotent-replayed')).toBeNull();
  });

  it('answers 409 while the first attempt is running, and takes over an attempt abandoned a minute ago', async () => {
    const brand = await createBrand();
    const { enrollment } = await createLinkedCreator(brand);
    const body = JSON.stringify({ enrollmentId: enrollment.id });
    const print = await fingerprint('/api/admin/links', body);
    const running = newKey();
    await env.DB.prepare("INSERT INTO idempotency_keys (brand_id, key, fingerprint, status, created_at) VALUES (?, ?, ?, 'started', ?)").bind(brand.brandId, running, print, Date.now()).run();
    const busy = await brand.api('POST', '/api/admin/links', body, { 'idempotency-key': running });
    expect(busy.status).toBe(409);
    expect(busy.headers.get('retry-after')).toBe('1');
    expect((await json<ErrorBody>(busy)).error.code).toBe('idempotency_key_in_use');
    const abandoned = newKey();
    await env.DB.prepare("INSERT INTO idempotency_keys (brand_id, key, fingerprint, status, created_at) VALUES (?, ?, ?, 'started', ?)").bind(brand.brandId, abandoned, print, Date.now() - 61_000).run();
    expect((await brand.api('POST', '/api/admin/links', body, { 'idempotency-key': abandoned })).status).toBe(201);
  });

  it('after a failure that committed the write, a retry answers 409 idempotency_key_committed instead of creating again', async () => {
    const brand = await createBrand();
    const { enrollment } = await createLinkedCreator(brand);
    const before = await linkCount(brand.brandId);
    const key = newKey();
    const failed = await postFailing(brand, 'after', '/api/admin/links', { enrollmentId: enrollment.id }, key);
    expect(failed.status).toBe(503);
    expect(await linkCount(brand.brandId)).toBe(before + 1);
    const retry = await brand.api('POST', '/api/admin/links', { enrollmentId: enrollment.id }, { 'idempotency-key': key });
    expect(retry.status).toBe(409);
    expect((await json<ErrorBody>(retry)).error.code).toBe('idempotency_key_committed');
    expect(await linkCount(brand.brandId)).toBe(before + 1);
  });

  it('after a failure that wrote nothing, or a 4xx, the key is free and the retry runs', async () => {
    const brand = await createBrand();
    const { enrollment } = await createLinkedCreator(brand);
    const before = await linkCount(brand.brandId);
    const key = newKey();
    expect((await postFailing(brand, 'before', '/api/admin/links', { enrollmentId: enrollment.id }, key)).status).toBe(503);
    expect(await linkCount(brand.brandId)).toBe(before);
    expect((await brand.api('POST', '/api/admin/links', { enrollmentId: enrollment.id }, { 'idempotency-key': key })).status).toBe(201);
    const fixing = newKey();
    const rejected = await brand.api('POST', '/api/admin/links', { enrollmentId: enrollment.id, destination: 'https://evil.example/' }, { 'idempotency-key': fixing });
    expect(rejected.status).toBe(422);
    expect((await brand.api('POST', '/api/admin/links', { enrollmentId: enrollment.id }, { 'idempotency-key': fixing })).status).toBe(201);
    expect(await linkCount(brand.brandId)).toBe(before + 2);
  });

  it('keeps a replayed answer sealed: a new API key is never stored in the clear', async () => {
    const brand = await createBrand();
    const key = newKey();
    const first = await json<{ data: { key: string } }>(await brand.api('POST', '/api/admin/keys', { scope: 'storefront', name: 'Checkout' }, { 'idempotency-key': key }));
    const stored = await env.DB.prepare('SELECT response_body FROM idempotency_keys WHERE brand_id = ? AND key = ?').bind(brand.brandId, key).first<string>('response_body');
    expect(stored).not.toContain(first.data.key);
    const again = await brand.api('POST', '/api/admin/keys', { scope: 'storefront', name: 'Checkout' }, { 'idempotency-key': key });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await json<{ data: { key: string } }>(again)).data.key).toBe(first.data.key);
    expect(await rowCount("SELECT count(*) AS n FROM api_keys WHERE brand_id = ? AND scope = 'storefront'", brand.brandId)).toBe(1);
  });

  it('frees the key after a 4xx even when a guarded write changed nothing, and ignores it on routes that are safe to repeat', async () => {
    const brand = await createBrand();
    const key = newKey();
    for (let i = 0; i < 2; i++) {
      const res = await brand.api('POST', '/api/admin/webhooks/endpoints/whe_nosuch/enable', undefined, { 'idempotency-key': key });
      expect(res.status).toBe(404);
    }
    const { campaign } = await createLinkedCreator(brand);
    const bulk = await brand.api('POST', '/api/admin/codes/bulk', { campaignId: campaign.id, pattern: '{HANDLE}20', discountType: 'percent', discountValue: 20 }, { 'idempotency-key': newKey() });
    expect(bulk.status).toBeLessThan(300);
    expect(await rowCount('SELECT count(*) AS n FROM idempotency_keys WHERE brand_id = ?', brand.brandId)).toBe(0);
  });

  it('forgets keys after 24 hours (the cron)', async () => {
    const brand = await createBrand();
    const key = newKey();
    await env.DB.prepare("INSERT INTO idempotency_keys (brand_id, key, fingerprint, status, response_status, response_body, created_at) VALUES (?, ?, 'f', 'done', 201, '{}', ?)")
      .bind(brand.brandId, key, Date.now() - 25 * 3_600_000)
      .run();
    await runCron();
    expect(await rowCount('SELECT count(*) AS n FROM idempotency_keys WHERE brand_id = ? AND key = ?', brand.brandId, key)).toBe(0);
  });
});
