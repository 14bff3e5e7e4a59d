import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../../worker/index';
import type { Env } from '../../worker/env';
import { faultyD1 } from '../../worker/lib/faults';
import { BASE, createBrand, json } from './fixtures';

type ErrorBody = { error: { code: string } };

describe('error rendering', () => {
  // Found by the storage-fault scenario (test/scenarios): drizzle wraps the D1 error as its cause, and the
  // wrapper's "Failed query: …" message used to fall through to a 500.
  it('answers a storage failure under a drizzle query with 503 and Retry-After, not a 500', async () => {
    const brand = await createBrand();
    const failing = { ...env, DB: faultyD1(env.DB, { mode: 'before', rate: 1, slowMs: 0 }) } as unknown as Env;
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request(`${BASE}/api/admin/campaigns`, { headers: { authorization: `Bearer ${brand.adminKey}` } }), failing, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect((await json<ErrorBody>(res)).error.code).toBe('storage_unavailable');
  });
});
