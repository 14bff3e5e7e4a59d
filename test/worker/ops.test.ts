// Operations: /healthz, request ids on every answer and log line, the secrets guard.
import { createExecutionContext, createMessageBatch, env, SELF, waitOnExecutionContext } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import worker from '../../worker/index';
import type { Env } from '../../worker/env';
import { BASE, createBrand, createLinkedCreator, json } from './fixtures';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

type LogLine = { ts: string; level: string; event: string; request_id: string | null; fields: Record<string, unknown> };
type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown> } };

// Every line the worker wrote to the console during `work`, each parsed as the one JSON object it must be.
async function captureLogs<T>(work: () => Promise<T>): Promise<{ result: T; lines: LogLine[] }> {
  const written: string[] = [];
  const spies = (['log', 'warn', 'error'] as const).map((method) => vi.spyOn(console, method).mockImplementation((line: unknown) => void written.push(String(line))));
  try {
    const result = await work();
    return { result, lines: written.map((line) => JSON.parse(line) as LogLine) };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

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
  it('are minted as UUIDs and returned on every kind of answer', async () => {
    const brand = await createBrand();
    const { link } = await createLinkedCreator(brand);
    const answers = [
      await SELF.fetch(`${BASE}/r/${link.slug}`, { redirect: 'manual' }),
      await SELF.fetch(`${BASE}/r/no-such-link`, { redirect: 'manual' }),
      await SELF.fetch(`${BASE}/api/admin/campaigns`),
      await SELF.fetch(`${BASE}/api/nothing-here`),
      await SELF.fetch(`${BASE}/robots.txt`),
      await brand.api('POST', '/api/admin/campaigns', '{not json'),
      await brand.api('GET', '/api/admin/campaigns'),
    ];
    expect(answers.map((r) => r.status)).toEqual([302, 404, 401, 404, 200, 400, 200]);
    const ids = answers.map((r) => r.headers.get('request-id'));
    for (const id of ids) expect(id).toMatch(UUID);
    expect(new Set(ids).size).toBe(ids.length);
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
