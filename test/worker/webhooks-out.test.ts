// Outgoing webhooks: events land in the same batch as the business write, deliveries are signed with the
// endpoint's secret, the consumer acks or retries with backoff, replay resends the same event, and one
// brand never sees another's endpoints or deliveries.
//
// The receiver here is a recording `send` handed to the consumer (the brand's server is outside Chorus);
// test/e2e/webhooks.test.ts drives the same path through the real queue to a real local HTTP receiver.
import { createExecutionContext, createMessageBatch, env, getQueueResult, SELF, waitOnExecutionContext } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { closePeriod } from '../../worker/db/payouts';
import { createSubmission, loadSubmission, transitionSubmission } from '../../worker/db/submissions';
import { claimDueDeliveries, eventStatements, markForReplay, recordAttempt } from '../../worker/db/webhooks';
import { recordConversion } from '../../worker/db/conversions';
import { DAY_MS } from '../../worker/domain/periods';
import type { Env } from '../../worker/env';
import worker from '../../worker/index';
import { faultyD1 } from '../../worker/lib/faults';
import { newId, randomHex } from '../../worker/lib/ids';
import { hashPassword } from '../../worker/lib/passwords';
import { sealSecret } from '../../worker/lib/secrets';
import { verifyTimestampedSignature } from '../../worker/lib/signatures';
import { MAX_DELIVERY_ATTEMPTS, retryBaseSeconds, retryDelaySeconds } from '../../worker/webhooks/backoff';
import { consumeWebhookDeliveries, type Send } from '../../worker/webhooks/deliver';
import { enqueuingDueDeliveries, sweepWebhookDeliveries, watchingDeliveries } from '../../worker/webhooks/enqueue';
import { checkWebhookUrl } from '../../worker/webhooks/endpoint-url';
import { pruneWebhookEvents } from '../../worker/jobs/webhook-retention';
import { webhookEventRetentionDays } from '../../worker/webhooks/event-retention';
import type { WebhookMessage } from '../../worker/webhooks/events';
import { BASE, captureLogs, createBrand, d1With, failingBatches, createMoneyBrand, heldBatches, json, rowCount, runCron, signedPost, signedRequest, type TestBrand } from './fixtures';

// Nothing listens here. These tests drive the consumer themselves; the real queue also receives what
// their requests commit, so every endpoint is disabled after each test and its background deliveries
// end as failed without a network call (rather than as connection errors in the log).
const DEAD_URL = 'http://127.0.0.1:9/hooks';
const created: string[] = [];

afterEach(async () => {
  await env.DB.prepare('UPDATE webhook_endpoints SET enabled = 0 WHERE id IN (SELECT value FROM json_each(?))').bind(JSON.stringify(created.splice(0))).run();
});

type Endpoint = { id: string; url: string; events: string[]; enabled: boolean; secret: string };
type Delivery = { id: string; eventId: string; eventType: string; endpointId: string; status: string; attempts: number; lastStatusCode: number | null; lastError: string | null };
type Event = { id: string; type: string; payload: string };

let seq = 0;
const tag = () => `${Date.now().toString(36)}${(seq++).toString(36)}`;

async function addEndpoint(brand: TestBrand, body: Record<string, unknown> = {}): Promise<Endpoint> {
  const res = await brand.api('POST', '/api/admin/webhooks/endpoints', { url: DEAD_URL, ...body });
  expect(res.status).toBe(201);
  const endpoint = (await json<{ data: Endpoint }>(res)).data;
  created.push(endpoint.id);
  return endpoint;
}

async function eventsOf(brandId: string): Promise<Event[]> {
  const { results } = await env.DB.prepare('SELECT id, type, payload FROM webhook_events WHERE brand_id = ? ORDER BY created_at, id').bind(brandId).all<Event>();
  return results;
}

const deliveriesOf = (brandId: string) => rowCount('SELECT count(*) AS n FROM webhook_deliveries WHERE brand_id = ?', brandId);

const order = (orderId: string, extra: Record<string, unknown> = {}) => ({ orderId, amountMinor: 20_000, currency: 'USD', occurredAt: new Date(Date.now() - 3_600_000).toISOString(), ...extra });

// An event and its delivery written directly, already "with the queue" and not due for an hour, so no
// enqueue pass started by another test's request hands it to the background consumer.
async function parkedDelivery(brandId: string, endpointId: string, payload: Record<string, unknown> = { conversion: { id: 'cv_test' } }, type = 'conversion.created') {
  const eventId = newId('evt');
  const deliveryId = `whd_${randomHex(12)}`;
  const now = Date.now();
  await env.DB.batch([
    env.DB.prepare('INSERT INTO webhook_events (id, brand_id, type, payload, created_at) VALUES (?, ?, ?, ?, ?)').bind(eventId, brandId, type, JSON.stringify(payload), now),
    env.DB.prepare("INSERT INTO webhook_deliveries (id, brand_id, event_id, endpoint_id, status, attempts, next_attempt_at, queued_at, created_at, updated_at) VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?)").bind(
      deliveryId,
      brandId,
      eventId,
      endpointId,
      now + 3_600_000,
      now,
      now,
      now,
    ),
  ]);
  return { eventId, deliveryId };
}

// A parked delivery made due and never handed over, as a request whose send to the queue failed leaves it.
async function strandedDelivery(brandId: string, endpointId: string) {
  const { deliveryId } = await parkedDelivery(brandId, endpointId);
  await env.DB.prepare('UPDATE webhook_deliveries SET queued_at = NULL, next_attempt_at = ? WHERE id = ?').bind(Date.now() - 60_000, deliveryId).run();
  return deliveryId;
}

// An event written `daysAgo` days ago with one delivery per endpoint, in the status given for it. A pending one is
// parked (with the queue, not due for an hour), so no sweep hands it to the background consumer.
async function agedEvent(brandId: string, daysAgo: number, deliveries: [endpointId: string, status: 'pending' | 'delivered' | 'failed'][]) {
  const eventId = newId('evt');
  const at = Date.now() - daysAgo * DAY_MS;
  const now = Date.now();
  const deliveryIds = deliveries.map(() => `whd_${randomHex(12)}`);
  await env.DB.batch([
    env.DB.prepare("INSERT INTO webhook_events (id, brand_id, type, payload, created_at) VALUES (?, ?, 'gift.requested', ?, ?)").bind(eventId, brandId, JSON.stringify({ giftRequest: { address: { line1: '1 Main St' } } }), at),
    ...deliveries.map(([endpointId, status], i) =>
      env.DB.prepare('INSERT INTO webhook_deliveries (id, brand_id, event_id, endpoint_id, status, attempts, next_attempt_at, queued_at, delivered_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)').bind(
        deliveryIds[i]!,
        brandId,
        eventId,
        endpointId,
        status,
        status === 'pending' ? now + 3_600_000 : at,
        now,
        status === 'delivered' ? at : null,
        at,
        at,
      ),
    ),
  ]);
  return { eventId, deliveryIds };
}

// The admin API through the worker with `withEnv` in place of the test pool's env (another var, a held D1).
async function adminCall(brand: TestBrand, method: string, path: string, withEnv: Env): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${BASE}${path}`, { method, headers: { authorization: `Bearer ${brand.adminKey}` } }), withEnv, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

const queuedAtOf = async (deliveryId: string) =>
  (await env.DB.prepare('SELECT queued_at FROM webhook_deliveries WHERE id = ?').bind(deliveryId).first<{ queued_at: number | null }>())?.queued_at ?? null;

type Received = { url: string; headers: Headers; body: string };

// The brand's server: records each request and answers with the next status in `statuses` (the last repeats).
function receiver(statuses: number[], answer = 'upstream broke') {
  const received: Received[] = [];
  const send: Send = async (url, init) => {
    received.push({ url, headers: new Headers(init.headers), body: String(init.body) });
    const status = statuses[Math.min(received.length - 1, statuses.length - 1)]!;
    return new Response(status === 204 ? null : status >= 300 ? answer : 'ok', { status });
  };
  return { received, send };
}

async function consume(deliveryId: string, send: Send, attempts = 1, envOverride: Partial<Env> = {}, generation?: number) {
  const batch = createMessageBatch<WebhookMessage>('chorus-webhooks', [{ id: `msg-${deliveryId}-${attempts}`, timestamp: new Date(), attempts, body: { deliveryId, generation } }]);
  // getQueueResult reports which messages were retried but not with what delay; the spy keeps the real retry.
  const retry = vi.spyOn(batch.messages[0]!, 'retry');
  const ctx = createExecutionContext();
  await consumeWebhookDeliveries(batch, { ...env, ...envOverride } as Env, send);
  const delays = retry.mock.calls.map(([options]) => options?.delaySeconds);
  return { ...(await getQueueResult(batch, ctx)), delays };
}

const deliveryRow = (id: string) =>
  env.DB.prepare('SELECT status, attempts, last_status_code, last_error, next_attempt_at, delivered_at FROM webhook_deliveries WHERE id = ?')
    .bind(id)
    .first<{ status: string; attempts: number; last_status_code: number | null; last_error: string | null; next_attempt_at: number; delivered_at: number | null }>();

// POST …/test through the worker itself with a queue that keeps what it is handed: the background consumer
// never sees the test delivery, so the test consumes it by hand, as the queue would.
async function sendTest(brand: TestBrand, endpointId: string) {
  const ctx = createExecutionContext();
  const queue = { send: async () => {}, sendBatch: async () => {} } as unknown as Queue;
  const res = await worker.fetch(new Request(`${BASE}/api/admin/webhooks/endpoints/${endpointId}/test`, { method: 'POST', headers: { authorization: `Bearer ${brand.adminKey}` } }), { ...env, WEBHOOKS: queue } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

describe('test events and secret rolls', () => {
  it('sends a test event to the one endpoint asked, signed like any other, and at most 20 an hour', async () => {
    const brand = await createBrand();
    const [target, other] = [await addEndpoint(brand), await addEndpoint(brand, { url: 'http://127.0.0.1:9/other' })];
    const res = await sendTest(brand, target.id);
    expect(res.status).toBe(202);
    const delivery = (await json<{ data: Delivery }>(res)).data;
    expect(delivery).toMatchObject({ eventType: 'endpoint.test', endpointId: target.id, status: 'pending' });
    // Only this endpoint, though the other subscribes to everything.
    expect(await rowCount('SELECT count(*) AS n FROM webhook_deliveries WHERE event_id = ?', delivery.eventId)).toBe(1);
    expect(await rowCount('SELECT count(*) AS n FROM webhook_deliveries WHERE endpoint_id = ?', other.id)).toBe(0);

    const hook = receiver([200]);
    await consume(delivery.id, hook.send);
    const [request] = hook.received;
    expect(await verifyTimestampedSignature(request!.headers.get('chorus-signature'), request!.body, [target.secret], Date.now())).toEqual({ ok: true, secret: 0 });
    expect(JSON.parse(request!.body)).toMatchObject({ id: delivery.eventId, type: 'endpoint.test', data: { endpoint: { id: target.id, url: target.url } } });
    expect(request!.headers.get('chorus-event-type')).toBe('endpoint.test');
    // A failed test is tried once: the owner is watching for the answer now, not for a retry hours later.
    const failing = (await json<{ data: Delivery }>(await sendTest(brand, target.id))).data;
    const refusing = receiver([503]);
    const refused = await consume(failing.id, refusing.send);
    expect(refusing.received).toHaveLength(1);
    expect(refused.retryMessages).toEqual([]);
    expect(await deliveryRow(failing.id)).toMatchObject({ status: 'failed', attempts: 1, last_status_code: 503 });
    // Nor is it replayed: a new test is one press away.
    const replay = await brand.api('POST', `/api/admin/webhooks/deliveries/${failing.id}/replay`);
    expect(replay.status).toBe(409);
    expect((await json<{ error: { code: string } }>(replay)).error.code).toBe('test_event');
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'webhook_endpoint.tested'", brand.brandId)).toBe(2);

    // Eighteen more this hour (written here, already delivered, so the background consumer sends none).
    const now = Date.now();
    await env.DB.batch(
      Array.from({ length: 18 }, (_, i) => `evt_t_${tag()}_${i}`).flatMap((eventId) => [
        env.DB.prepare("INSERT INTO webhook_events (id, brand_id, type, payload, created_at) VALUES (?, ?, 'endpoint.test', '{}', ?)").bind(eventId, brand.brandId, now),
        env.DB.prepare("INSERT INTO webhook_deliveries (id, brand_id, event_id, endpoint_id, status, attempts, next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, 'delivered', 1, ?, ?, ?)").bind(
          `whd_${randomHex(12)}`,
          brand.brandId,
          eventId,
          target.id,
          now,
          now,
          now,
        ),
      ]),
    );
    const limited = await sendTest(brand, target.id);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('600');
    expect((await json<{ error: { code: string } }>(limited)).error.code).toBe('too_many_test_events');
    expect(await rowCount("SELECT count(*) AS n FROM webhook_events WHERE brand_id = ? AND type = 'endpoint.test'", brand.brandId)).toBe(20);

    expect((await brand.api('POST', `/api/admin/webhooks/endpoints/${other.id}/disable`)).status).toBe(200);
    const disabled = await sendTest(brand, other.id);
    expect(disabled.status).toBe(409);
    expect((await json<{ error: { code: string } }>(disabled)).error.code).toBe('endpoint_disabled');
    const stranger = await createBrand();
    expect((await stranger.api('POST', `/api/admin/webhooks/endpoints/${target.id}/test`)).status).toBe(404);
    expect((await brand.api('POST', '/api/admin/webhooks/endpoints/whe_nope/test')).status).toBe(404);
  });

  it('rolls a secret: shown once, signing beside the old one while that is kept, alone once it is not', async () => {
    const brand = await createBrand();
    const endpoint = await addEndpoint(brand);
    const roll = async (body: Record<string, unknown>) => brand.api('POST', `/api/admin/webhooks/endpoints/${endpoint.id}/roll-secret`, body);
    const first = await roll({});
    expect(first.status).toBe(200);
    const rolled = (await json<{ data: Endpoint & { previousSecretExpiresAt: string | null } }>(first)).data;
    expect(rolled.secret).toMatch(/^whsec_/);
    expect(rolled.secret).not.toBe(endpoint.secret);
    expect(Date.parse(rolled.previousSecretExpiresAt!) - Date.now()).toBeGreaterThan(23.9 * 3_600_000);
    const listed = (await json<{ data: Record<string, unknown>[] }>(await brand.api('GET', '/api/admin/webhooks/endpoints'))).data[0]!;
    expect(listed).not.toHaveProperty('secret');
    expect(listed.previousSecretExpiresAt).toBe(rolled.previousSecretExpiresAt);

    // While the old secret is kept, each request carries a v1 for both: a receiver checking either accepts it.
    const hook = receiver([204]);
    await consume((await parkedDelivery(brand.brandId, endpoint.id)).deliveryId, hook.send);
    const signed = hook.received[0]!;
    expect(signed.headers.get('chorus-signature')).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    for (const secret of [endpoint.secret, rolled.secret]) expect(await verifyTimestampedSignature(signed.headers.get('chorus-signature'), signed.body, [secret], Date.now())).toEqual({ ok: true, secret: 0 });

    // Keeping this one too would cut the kept one off before its time: refused, changing nothing.
    const early = await roll({ keepCurrentForHours: 5 });
    expect(early.status).toBe(409);
    expect((await json<{ error: { code: string } }>(early)).error.code).toBe('previous_secret_in_use');
    // Rolled again with nothing kept: only the newest signs.
    const now = (await json<{ data: Endpoint & { previousSecretExpiresAt: string | null } }>(await roll({ keepCurrentForHours: 0 }))).data;
    expect(now.previousSecretExpiresAt).toBeNull();
    await consume((await parkedDelivery(brand.brandId, endpoint.id)).deliveryId, hook.send);
    const alone = hook.received[1]!;
    expect(alone.headers.get('chorus-signature')).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(await verifyTimestampedSignature(alone.headers.get('chorus-signature'), alone.body, [now.secret], Date.now())).toEqual({ ok: true, secret: 0 });
    expect(await verifyTimestampedSignature(alone.headers.get('chorus-signature'), alone.body, [rolled.secret, endpoint.secret], Date.now())).toEqual({ ok: false, reason: 'mismatch' });
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'webhook_endpoint.secret_rolled' AND target_id = ?", brand.brandId, endpoint.id)).toBe(2);

    const before = await env.DB.prepare('SELECT secret_enc FROM webhook_endpoints WHERE id = ?').bind(endpoint.id).first<{ secret_enc: string }>();
    for (const bad of [{ keepCurrentForHours: 169 }, { keepCurrentForHours: -1 }, { keepCurrentForHours: '24' }, { keepCurrentForHours: 1.5 }, { keep: 1 }]) {
      const res = await roll(bad);
      expect(res.status, JSON.stringify(bad)).toBe(422);
    }
    const stranger = await createBrand();
    expect((await stranger.api('POST', `/api/admin/webhooks/endpoints/${endpoint.id}/roll-secret`, {})).status).toBe(404);
    expect(await env.DB.prepare('SELECT secret_enc FROM webhook_endpoints WHERE id = ?').bind(endpoint.id).first<{ secret_enc: string }>()).toEqual(before);
  });
});

describe('endpoints', () => {
  it('accept https URLs (and loopback http in test mode) and refuse the rest with a clear 422, writing nothing', async () => {
    const brand = await createBrand();
    const created = await addEndpoint(brand, { url: 'https://hooks.brand.example/chorus', events: ['conversion.created'], description: 'ERP' });
    expect(created).toMatchObject({ url: 'https://hooks.brand.example/chorus', events: ['conversion.created'], enabled: true });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const sealed = await env.DB.prepare('SELECT secret_enc FROM webhook_endpoints WHERE id = ?').bind(created.id).first<{ secret_enc: string }>();
    expect(sealed?.secret_enc).not.toContain(created.secret);
    const listed = await json<{ data: Record<string, unknown>[] }>(await brand.api('GET', '/api/admin/webhooks/endpoints'));
    expect(listed.data).toHaveLength(1);
    expect(listed.data[0]).not.toHaveProperty('secret');

    for (const [body, code] of [
      [{ url: 'http://hooks.brand.example/x' }, 'invalid_url'],
      [{ url: 'https://10.0.0.1/x' }, 'invalid_url'],
      [{ url: 'https://user:pw@hooks.brand.example/x' }, 'invalid_url'],
      [{ url: 'https://printer.local/x' }, 'invalid_url'],
      [{ url: 'javascript:alert(1)' }, 'invalid_url'],
      [{ url: 'https://hooks.brand.example/x', events: ['conversion.exploded'] }, 'validation_failed'],
      [{ url: 'https://hooks.brand.example/x', events: [] }, 'validation_failed'],
      [{ url: 'https://hooks.brand.example/x', secret: 'mine' }, 'validation_failed'],
    ] as const) {
      const res = await brand.api('POST', '/api/admin/webhooks/endpoints', body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect((await json<{ error: { code: string } }>(res)).error.code).toBe(code);
    }
    expect(await rowCount('SELECT count(*) AS n FROM webhook_endpoints WHERE brand_id = ?', brand.brandId)).toBe(1);
  });

  it('caps a brand at 20 enabled endpoints, counting re-enabled ones', async () => {
    const brand = await createBrand();
    const endpoints: { id: string }[] = [];
    for (let i = 0; i < 20; i++) endpoints.push(await addEndpoint(brand, { url: `https://hooks${i}.brand.example/in` }));
    const over = await brand.api('POST', '/api/admin/webhooks/endpoints', { url: 'https://one-more.brand.example/in' });
    expect(over.status).toBe(409);
    expect((await json<{ error: { code: string } }>(over)).error.code).toBe('too_many_endpoints');
    expect((await brand.api('POST', `/api/admin/webhooks/endpoints/${endpoints[0]!.id}/disable`)).status).toBe(200);
    await addEndpoint(brand, { url: 'https://replacement.brand.example/in' });
    const again = await brand.api('POST', `/api/admin/webhooks/endpoints/${endpoints[0]!.id}/enable`);
    expect(again.status).toBe(409);
    expect(await rowCount('SELECT count(*) AS n FROM webhook_endpoints WHERE brand_id = ? AND enabled = 1', brand.brandId)).toBe(20);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'webhook_endpoint.created'", brand.brandId)).toBe(21);
    // Enabling an enabled endpoint, or disabling a disabled one, answers it as it stands and audits nothing.
    const audits = () => rowCount("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action LIKE 'webhook_endpoint.%abled'", endpoints[1]!.id);
    expect((await brand.api('POST', `/api/admin/webhooks/endpoints/${endpoints[1]!.id}/enable`)).status).toBe(200);
    expect(await audits()).toBe(0);
    expect((await brand.api('POST', `/api/admin/webhooks/endpoints/${endpoints[0]!.id}/disable`)).status).toBe(200);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'webhook_endpoint.disabled'", endpoints[0]!.id)).toBe(1);
  });

  it('holds the cap when adds and re-enables race', async () => {
    const brand = await createBrand();
    const spare = await addEndpoint(brand, { url: 'https://spare.brand.example/in' });
    expect((await brand.api('POST', `/api/admin/webhooks/endpoints/${spare.id}/disable`)).status).toBe(200);
    const answers = await Promise.all([
      ...Array.from({ length: 30 }, (_, i) => brand.api('POST', '/api/admin/webhooks/endpoints', { url: `https://h${i}.brand.example/in`, events: ['payout.closed'] })),
      brand.api('POST', `/api/admin/webhooks/endpoints/${spare.id}/enable`),
    ]);
    for (const res of answers.slice(0, 30)) if (res.status === 201) created.push((await json<{ data: { id: string } }>(res)).data.id);
    expect(answers.filter((r) => r.status === 201 || r.status === 200)).toHaveLength(20);
    expect(answers.filter((r) => r.status === 409)).toHaveLength(11);
    expect(await rowCount('SELECT count(*) AS n FROM webhook_endpoints WHERE brand_id = ? AND enabled = 1', brand.brandId)).toBe(20);
    expect(await rowCount('SELECT count(*) AS n FROM webhook_endpoints WHERE brand_id = ?', brand.brandId)).toBe(20 + (answers[30]!.status === 200 ? 0 : 1));
  });

  it('checks URLs like link destinations: https on a public name, loopback http only when allowed', () => {
    const strict = { allowLoopbackHttp: false };
    const local = { allowLoopbackHttp: true };
    expect(checkWebhookUrl('https://hooks.brand.example:8443/in?x=1', strict)).toEqual({ ok: true, url: 'https://hooks.brand.example:8443/in?x=1' });
    expect(checkWebhookUrl('http://127.0.0.1:8787/hook', strict)).toEqual({ ok: false, reason: 'https_required' });
    expect(checkWebhookUrl('http://127.0.0.1:8787/hook', local)).toEqual({ ok: true, url: 'http://127.0.0.1:8787/hook' });
    expect(checkWebhookUrl('http://127.0.0.1.evil.example/hook', local)).toEqual({ ok: false, reason: 'https_required' });
    expect(checkWebhookUrl('http://127.0.0.1@evil.example/hook', local)).toEqual({ ok: false, reason: 'https_required' });
    expect(checkWebhookUrl('https://localhost/hook', strict)).toEqual({ ok: false, reason: 'host_not_allowed' });
    expect(checkWebhookUrl('https://[::1]/hook', strict)).toEqual({ ok: false, reason: 'host_not_allowed' });
    expect(checkWebhookUrl('https://hooks.brand.example/in#frag', strict)).toEqual({ ok: false, reason: 'fragment_not_allowed' });
    expect(checkWebhookUrl('https://hooks.brand.example/a b', strict)).toEqual({ ok: false, reason: 'unsafe_characters' });
  });
});

describe('events are written with the business write', () => {
  it('a conversion writes exactly one conversion.created event, with its commission, and a replayed order writes none', async () => {
    const m = await createMoneyBrand();
    const hooks = await addEndpoint(m.brand, { events: ['conversion.created', 'conversion.reversed'] });
    await addEndpoint(m.brand, { events: ['payout.closed'] });
    const body = order(`wh-${tag()}`, { code: m.code });
    const first = await signedPost(m.brand, m.ingestKey, '/v1/conversions', body);
    expect(first.status).toBe(201);
    const conversion = (await json<{ data: { id: string; commission: { amountMinor: number; rateBps: number } } }>(first)).data;
    expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', body)).status).toBe(200);

    const events = await eventsOf(m.brand.brandId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ id: `evt_${conversion.id}`, type: 'conversion.created' });
    const payload = JSON.parse(events[0]!.payload);
    expect(payload.conversion).toMatchObject({
      id: conversion.id,
      orderId: body.orderId,
      amountMinor: 20_000,
      currency: 'USD',
      occurredAt: body.occurredAt,
      attribution: 'code',
      renewalOf: null,
      returningCustomerOf: null,
      creator: { id: m.creator.id, handle: m.handle },
      commission: { amountMinor: conversion.commission.amountMinor, rateBps: conversion.commission.rateBps, tier: 1 },
    });
    // One delivery: only the endpoint subscribed to conversion.created.
    const deliveries = await json<{ data: Delivery[] }>(await m.brand.api('GET', '/api/admin/webhooks/deliveries'));
    expect(deliveries.data.map((d) => [d.eventId, d.eventType, d.endpointId])).toEqual([[`evt_${conversion.id}`, 'conversion.created', hooks.id]]);
  });

  it('writes nothing when no enabled endpoint wants the event, and nothing when the batch fails', async () => {
    const m = await createMoneyBrand();
    const off = await addEndpoint(m.brand);
    expect((await m.brand.api('POST', `/api/admin/webhooks/endpoints/${off.id}/disable`)).status).toBe(200);
    expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', order(`wh-${tag()}`))).status).toBe(201);
    expect(await eventsOf(m.brand.brandId)).toEqual([]);

    await addEndpoint(m.brand);
    // A fault injected on purpose: the batch carrying the conversion fails, so neither it nor its event exists.
    const failingDb = failingBatches();
    const orderId = `wh-${tag()}`;
    await expect(recordConversion(failingDb, { id: m.brand.brandId, timezone: 'UTC', currency: 'USD' }, { ...order(orderId), occurredAt: Date.now(), code: null, clickId: null, customerRef: null }, 'api')).rejects.toMatchObject({
      status: 503,
    });
    expect(await rowCount('SELECT count(*) AS n FROM conversions WHERE brand_id = ? AND external_order_id = ?', m.brand.brandId, orderId)).toBe(0);
    expect(await eventsOf(m.brand.brandId)).toEqual([]);
    expect(await deliveriesOf(m.brand.brandId)).toBe(0);
  });

  it('a refund writes conversion.reversed with the clawback, once; a refund before its order waits for it', async () => {
    const m = await createMoneyBrand();
    await addEndpoint(m.brand, { events: ['conversion.reversed'] });
    const orderId = `wh-${tag()}`;
    const placed = await json<{ data: { id: string; commission: { amountMinor: number } } }>(await signedPost(m.brand, m.ingestKey, '/v1/conversions', order(orderId, { code: m.code })));
    const refund = { refundId: `rf-${tag()}`, orderId, amountMinor: 5_000, currency: 'USD', occurredAt: new Date().toISOString() };
    expect((await signedPost(m.brand, m.ingestKey, '/v1/refunds', refund)).status).toBe(201);
    expect((await signedPost(m.brand, m.ingestKey, '/v1/refunds', refund)).status).toBe(200);
    const [reversed, ...rest] = await eventsOf(m.brand.brandId);
    expect(rest).toEqual([]);
    expect(reversed?.type).toBe('conversion.reversed');
    const payload = JSON.parse(reversed!.payload);
    expect(payload.conversion).toMatchObject({ id: placed.data.id, orderId });
    expect(payload.refund).toMatchObject({ refundId: refund.refundId, amountMinor: 5_000, occurredAt: refund.occurredAt });
    expect(payload.reversal).toMatchObject({ amountMinor: -placed.data.commission.amountMinor / 4, creator: { handle: m.handle } });

    const early = `wh-${tag()}`;
    expect((await signedPost(m.brand, m.ingestKey, '/v1/refunds', { ...refund, refundId: `rf-${tag()}`, orderId: early })).status).toBe(201);
    expect(await eventsOf(m.brand.brandId)).toHaveLength(1);
    expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', order(early))).status).toBe(201);
    const after = await eventsOf(m.brand.brandId);
    expect(after).toHaveLength(2);
    expect(JSON.parse(after[1]!.payload)).toMatchObject({ conversion: { orderId: early, attribution: 'none' }, reversal: null });
  });

  it('submissions write submission.submitted and submission.reviewed; going live writes neither', async () => {
    const m = await createMoneyBrand();
    await addEndpoint(m.brand, { events: ['submission.submitted', 'submission.reviewed'] });
    const id = await createSubmission(
      env.DB,
      { enrollmentId: m.enrollment.id, brandId: m.brand.brandId, creatorId: m.creator.id, hashtag: '#Glow', disclosureText: '#ad' },
      { storyFormat: 'day_in_the_life', draftUrl: 'https://drive.example/d', caption: 'Morning #Glow #ad' },
    );
    expect((await m.brand.api('POST', `/api/admin/submissions/${id}/request-changes`, { note: 'Show the label' })).status).toBe(200);
    const s = await loadSubmission(env.DB, id, { brandId: m.brand.brandId });
    await transitionSubmission(env.DB, s, { action: 'resubmit', actor: 'creator', actorId: m.creator.id, draft: { storyFormat: 'day_in_the_life', draftUrl: 'https://drive.example/d2', caption: 'Label #Glow #ad' } });
    expect((await m.brand.api('POST', `/api/admin/submissions/${id}/approve`, {})).status).toBe(200);
    // A second approve is an illegal transition (409): it writes no event.
    expect((await m.brand.api('POST', `/api/admin/submissions/${id}/approve`, {})).status).toBe(409);
    expect((await m.brand.api('POST', `/api/admin/submissions/${id}/mark-live`, { postUrl: 'https://social.example/p/1' })).status).toBe(200);

    const events = (await eventsOf(m.brand.brandId)).map((e) => ({ type: e.type, ...JSON.parse(e.payload) }));
    expect(events.map((e) => [e.type, e.submission.status, e.submission.previousStatus, e.actor])).toEqual([
      ['submission.submitted', 'submitted', null, 'creator'],
      ['submission.reviewed', 'changes_requested', 'submitted', 'admin'],
      ['submission.submitted', 'submitted', 'changes_requested', 'creator'],
      ['submission.reviewed', 'approved', 'submitted', 'admin'],
    ]);
    expect(events[1]).toMatchObject({ note: 'Show the label', submission: { id, creator: { handle: m.handle }, compliance: { hashtag: true, disclosure: true } } });
    expect(await deliveriesOf(m.brand.brandId)).toBe(4);
  });

  it('a period close writes one payout.closed per payout, and a second close none', async () => {
    const m = await createMoneyBrand();
    await addEndpoint(m.brand, { events: ['payout.closed'] });
    for (const day of [3, 9]) {
      const at = new Date(Date.UTC(2026, 8, day, 12)).toISOString();
      expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', order(`wh-${tag()}`, { code: m.code, occurredAt: at }))).status).toBe(201);
    }
    const brand = { id: m.brand.brandId, timezone: 'UTC', currency: 'USD' };
    const closed = await closePeriod(env.DB, brand, '2026-10', { type: 'api_key', id: 'test' });
    expect(closed).toMatchObject({ closedNow: true, payouts: 1 });
    await closePeriod(env.DB, brand, '2026-10', { type: 'api_key', id: 'test' });
    const payout = await env.DB.prepare('SELECT id, amount_minor FROM payouts WHERE brand_id = ?').bind(m.brand.brandId).first<{ id: string; amount_minor: number }>();
    const events = await eventsOf(m.brand.brandId);
    expect(events.map((e) => e.id)).toEqual([`evt_${payout!.id}`]);
    expect(JSON.parse(events[0]!.payload)).toMatchObject({ payout: { id: payout!.id, period: '2026-10', amountMinor: payout!.amount_minor, currency: 'USD', status: 'pending', creator: { handle: m.handle } } });
    expect(await deliveriesOf(m.brand.brandId)).toBe(1);
  });
});

describe('the delivery consumer', () => {
  it('signs the body with the endpoint secret and marks a 2xx delivered', async () => {
    const brand = await createBrand();
    const endpoint = await addEndpoint(brand);
    const { eventId, deliveryId } = await parkedDelivery(brand.brandId, endpoint.id, { conversion: { id: 'cv_1', amountMinor: 4999 } });
    const hook = receiver([204]);
    const result = await consume(deliveryId, hook.send);
    expect(result.explicitAcks).toEqual([`msg-${deliveryId}-1`]);
    expect(result.retryMessages).toEqual([]);

    const [request] = hook.received;
    expect(request?.url).toBe(DEAD_URL);
    expect(request?.headers.get('content-type')).toBe('application/json');
    expect(request?.headers.get('chorus-event-id')).toBe(eventId);
    expect(request?.headers.get('chorus-delivery-id')).toBe(deliveryId);
    expect(await verifyTimestampedSignature(request!.headers.get('chorus-signature'), request!.body, [endpoint.secret], Date.now())).toEqual({ ok: true, secret: 0 });
    expect(await verifyTimestampedSignature(request!.headers.get('chorus-signature'), request!.body, ['whsec_someone_elses_secret'], Date.now())).toEqual({ ok: false, reason: 'mismatch' });
    expect(await verifyTimestampedSignature(request!.headers.get('chorus-signature'), request!.body.replace('4999', '9999'), [endpoint.secret], Date.now())).toEqual({ ok: false, reason: 'mismatch' });
    const sent = JSON.parse(request!.body);
    expect(sent).toMatchObject({ id: eventId, type: 'conversion.created', brand: { id: brand.brandId, slug: brand.slug }, data: { conversion: { id: 'cv_1', amountMinor: 4999 } } });
    expect(new Date(sent.createdAt).toISOString()).toBe(sent.createdAt);

    expect(await deliveryRow(deliveryId)).toMatchObject({ status: 'delivered', attempts: 1, last_status_code: 204, last_error: null });
    // A duplicate message for a delivered delivery sends nothing.
    const again = await consume(deliveryId, hook.send, 1);
    expect(again.explicitAcks).toHaveLength(1);
    expect(hook.received).toHaveLength(1);
  });

  it('retries a failure after the backoff, records why, and gives up on the last attempt', async () => {
    const brand = await createBrand();
    const endpoint = await addEndpoint(brand);
    const { deliveryId } = await parkedDelivery(brand.brandId, endpoint.id);
    const hook = receiver([500], '{"error":"database down"}');

    const before = Date.now();
    const first = await consume(deliveryId, hook.send, 1);
    expect(first.explicitAcks).toEqual([]);
    expect(first.retryMessages).toHaveLength(1);
    const delay = first.delays[0]!;
    // Attempt 1 with the default 30 s base: 15 to 30 s.
    expect(delay).toBeGreaterThanOrEqual(15);
    expect(delay).toBeLessThanOrEqual(30);
    const row = await deliveryRow(deliveryId);
    expect(row).toMatchObject({ status: 'pending', attempts: 1, last_status_code: 500, last_error: 'HTTP 500: {"error":"database down"}' });
    expect(row!.next_attempt_at).toBeGreaterThanOrEqual(before + delay * 1000);
    expect(row!.next_attempt_at).toBeLessThanOrEqual(Date.now() + delay * 1000);

    // Attempts are counted on the delivery (a message redelivered after storage trouble, or sent again by the
    // sweep, carries its own count): the fifth attempt backs off 4 to 8 minutes whatever the message says.
    await env.DB.prepare('UPDATE webhook_deliveries SET attempts = 4 WHERE id = ?').bind(deliveryId).run();
    const fifth = await consume(deliveryId, hook.send, 2);
    expect(fifth.delays[0]).toBeGreaterThanOrEqual(240);
    expect(fifth.delays[0]).toBeLessThanOrEqual(480);

    await env.DB.prepare('UPDATE webhook_deliveries SET attempts = ? WHERE id = ?').bind(MAX_DELIVERY_ATTEMPTS - 1, deliveryId).run();
    const last = await consume(deliveryId, hook.send, 3);
    expect(last.retryMessages).toEqual([]);
    expect(last.explicitAcks).toHaveLength(1);
    expect(await deliveryRow(deliveryId)).toMatchObject({ status: 'failed', attempts: MAX_DELIVERY_ATTEMPTS, last_status_code: 500 });
  });

  it('resends a delivery still in backoff at once, and drops the retry already queued for it', async () => {
    const brand = await createBrand();
    const endpoint = await addEndpoint(brand);
    const { deliveryId } = await parkedDelivery(brand.brandId, endpoint.id);
    const down = receiver([503]);
    expect((await consume(deliveryId, down.send, 1, {}, 0)).retryMessages).toHaveLength(1); // in backoff now
    // What POST …/deliveries/:id/replay does, without the real queue's consumer racing this test's messages.
    expect(await markForReplay(env.DB, brand.brandId, deliveryId, { actorType: 'api_key', actorId: 'key_test' }, Date.now())).toBe(true);
    expect(await env.DB.prepare('SELECT status, attempts, generation, queued_at FROM webhook_deliveries WHERE id = ?').bind(deliveryId).first()).toEqual({
      status: 'pending',
      attempts: 0,
      generation: 1,
      queued_at: null,
    });
    const up = receiver([200]);
    const stale = await consume(deliveryId, up.send, 2, {}, 0); // the backoff's retry arrives: dropped
    expect(stale.explicitAcks).toHaveLength(1);
    expect(up.received).toHaveLength(0);
    await consume(deliveryId, up.send, 1, {}, 1); // the replay's message sends it
    expect(up.received).toHaveLength(1);
    expect(await deliveryRow(deliveryId)).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('does not count storage trouble as an attempt: the receiver still gets every try', async () => {
    const brand = await createBrand();
    const endpoint = await addEndpoint(brand);
    const { deliveryId } = await parkedDelivery(brand.brandId, endpoint.id);
    const broken = d1With({ prepare: () => { throw new Error('D1_ERROR: storage unavailable'); } });
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    for (let n = 1; n < MAX_DELIVERY_ATTEMPTS; n++) expect((await consume(deliveryId, receiver([500]).send, n, { DB: broken })).retryMessages).toHaveLength(1);
    errors.mockRestore();
    const hook = receiver([503]);
    const result = await consume(deliveryId, hook.send, MAX_DELIVERY_ATTEMPTS);
    expect(hook.received).toHaveLength(1);
    expect(result.retryMessages).toHaveLength(1); // the first real attempt, with 15 to go
    expect(await deliveryRow(deliveryId)).toMatchObject({ status: 'pending', attempts: 1 });
  });

  it('treats timeouts, refused connections and redirects as failures to retry', async () => {
    const brand = await createBrand();
    const endpoint = await addEndpoint(brand);
    const cases: [Send, string][] = [
      [async () => Promise.reject(new DOMException('The operation timed out.', 'TimeoutError')), 'No answer within 10 s.'],
      [async () => Promise.reject(new Error('connect ECONNREFUSED')), 'Could not connect to 127.0.0.1:9.'],
      [async () => new Response(null, { status: 302, headers: { location: 'https://elsewhere.example/' } }), 'HTTP 302'],
    ];
    for (const [send, error] of cases) {
      const { deliveryId } = await parkedDelivery(brand.brandId, endpoint.id);
      const result = await consume(deliveryId, send, 2);
      expect(result.retryMessages).toHaveLength(1);
      expect(await deliveryRow(deliveryId)).toMatchObject({ status: 'pending', attempts: 1, last_error: error });
    }
  });

  it('fails a delivery at once when its endpoint was disabled, and drops malformed messages', async () => {
    const brand = await createBrand();
    const endpoint = await addEndpoint(brand);
    const { deliveryId } = await parkedDelivery(brand.brandId, endpoint.id);
    expect((await brand.api('POST', `/api/admin/webhooks/endpoints/${endpoint.id}/disable`)).status).toBe(200);
    const hook = receiver([200]);
    const result = await consume(deliveryId, hook.send);
    expect(result.explicitAcks).toHaveLength(1);
    expect(hook.received).toEqual([]);
    expect(await deliveryRow(deliveryId)).toMatchObject({ status: 'failed', last_error: 'The endpoint is disabled.' });

    const batch = createMessageBatch<unknown>('chorus-webhooks', [{ id: 'junk', timestamp: new Date(), attempts: 1, body: { deliveryId: "'; DROP TABLE x" } }]);
    const ctx = createExecutionContext();
    await consumeWebhookDeliveries(batch, env as Env, hook.send);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(['junk']);
  });

  it('fails at once, without sending, when the endpoint secret cannot be unsealed', async () => {
    const brand = await createBrand();
    const endpoint = await addEndpoint(brand);
    const { deliveryId } = await parkedDelivery(brand.brandId, endpoint.id);
    const hook = receiver([200]);
    const result = await consume(deliveryId, hook.send, 1, { SECRETS_KEY: 'another-secrets-key-0123456789abcdef' });
    expect(result.explicitAcks).toHaveLength(1);
    expect(hook.received).toEqual([]);
    expect(await deliveryRow(deliveryId)).toMatchObject({ status: 'failed', last_error: expect.stringContaining('secret cannot be read') });
  });

  it("fails a gift.requested at once, without sending, when its address was sealed under another SECRETS_KEY, and logs it", async () => {
    const brand = await createBrand();
    const endpoint = await addEndpoint(brand);
    const address = await sealSecret('an-earlier-secrets-key-0123456789abcdef', JSON.stringify({ name: 'Sam', line1: '1 Road', line2: '', city: 'Town', region: '', postalCode: '1', country: 'US', phone: '' }));
    const { eventId, deliveryId } = await parkedDelivery(brand.brandId, endpoint.id, { giftRequest: { id: 'gr_test', address } }, 'gift.requested');
    const hook = receiver([200]);
    const lines: string[] = [];
    const errors = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' ')));
    await consume(deliveryId, hook.send);
    errors.mockRestore();
    expect(hook.received).toEqual([]);
    expect(await deliveryRow(deliveryId)).toMatchObject({ status: 'failed', attempts: 1, last_error: expect.stringContaining('shipping address cannot be read') });
    expect(lines.some((l) => l.includes('"gift_address_unreadable"') && l.includes(eventId))).toBe(true);
  });

  it('computes the backoff schedule: doubling from the base, capped at an hour, jitter within the upper half', () => {
    const low = Array.from({ length: 10 }, (_, i) => retryDelaySeconds(i + 1, 30, 0));
    const high = Array.from({ length: 10 }, (_, i) => retryDelaySeconds(i + 1, 30, 0.999999));
    expect(low).toEqual([15, 30, 60, 120, 240, 480, 960, 1800, 1800, 1800]);
    expect(high).toEqual([30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
    expect(retryDelaySeconds(1, 1, 0)).toBe(1);
    expect(retryDelaySeconds(500, 30, 0.5)).toBe(2700);
    expect(retryBaseSeconds(undefined)).toBe(30);
    expect(retryBaseSeconds('2')).toBe(2);
    expect(retryBaseSeconds('0')).toBe(30);
    expect(retryBaseSeconds('fast')).toBe(30);
  });
});

describe('enqueueing', () => {
  // recordConversion's arguments for a brand in UTC and USD, and a fresh order.
  const ingest = (brandId: string) => ({ id: brandId, timezone: 'UTC', currency: 'USD' });
  const input = () => ({ ...order(`wh-${tag()}`), occurredAt: Date.now(), code: null, clickId: null, customerRef: null });

  it('the cron sweep hands over a delivery whose enqueue failed', async () => {
    const brand = await createBrand();
    const endpoint = await addEndpoint(brand);
    const deliveryId = await strandedDelivery(brand.brandId, endpoint.id);
    await sweepWebhookDeliveries(env as Env);
    expect(await queuedAtOf(deliveryId)).toBeGreaterThan(0);
  });

  it('notes a delivery made due only by a batch that made one, or that failed and may have', async () => {
    const hooked = await createMoneyBrand();
    const endpoint = await addEndpoint(hooked.brand, { events: ['conversion.created'] });
    const fannedOut = watchingDeliveries(env as Env);
    await recordConversion(fannedOut.env.DB, ingest(hooked.brand.brandId), input(), 'api');
    expect(fannedOut.due()).toBe(true);

    // Its only endpoint wants another event: the order's fan-out inserts nothing.
    const unhooked = await createMoneyBrand();
    await addEndpoint(unhooked.brand, { events: ['payout.closed'] });
    const quiet = watchingDeliveries(env as Env);
    await recordConversion(quiet.env.DB, ingest(unhooked.brand.brandId), input(), 'api');
    expect(quiet.due()).toBe(false);

    // A fault injected on purpose: a batch carrying a fan-out fails, and a batch may fail after committing.
    const failed = watchingDeliveries({ ...env, DB: failingBatches() } as Env);
    await expect(failed.env.DB.batch(eventStatements(failed.env.DB, 'conversion.created', newId('cv'), Date.now()))).rejects.toThrow(/storage unavailable/);
    expect(failed.due()).toBe(true);
    // Under the test-only fault switch (as the scenarios run): the wrapped statements are the ones noted.
    const afterCommit = { ...env, DB: faultyD1(env.DB, { mode: 'after', rate: 1, slowMs: 0 }) } as Env;
    const committedThenFailed = watchingDeliveries(afterCommit);
    await expect(recordConversion(committedThenFailed.env.DB, ingest(hooked.brand.brandId), input(), 'api')).rejects.toMatchObject({ status: 503 });
    expect(committedThenFailed.due()).toBe(false); // its read batch failed first, before any fan-out ran
    const faulted = watchingDeliveries(afterCommit);
    await expect(faulted.env.DB.batch(eventStatements(faulted.env.DB, 'conversion.created', newId('cv'), Date.now()))).rejects.toThrow(/injected fault after batch committed/);
    expect(faulted.due()).toBe(true);
    // Through a session as well.
    const inSession = watchingDeliveries(env as Env);
    const session = inSession.env.DB.withSession('first-primary') as unknown as D1Database;
    await recordConversion(session, ingest(unhooked.brand.brandId), input(), 'api');
    expect(inSession.due()).toBe(false);
    await recordConversion(session, ingest(hooked.brand.brandId), input(), 'api');
    expect(inSession.due()).toBe(true);

    // A replay makes its delivery due; one refused (the endpoint disabled) does not.
    const { deliveryId } = await parkedDelivery(hooked.brand.brandId, endpoint.id);
    await recordAttempt(env.DB, deliveryId, { status: 'failed', statusCode: 500, error: 'HTTP 500' }, Date.now());
    const actor = { actorType: 'api_key' as const, actorId: 'key_test' };
    const replayed = watchingDeliveries(env as Env);
    expect(await markForReplay(replayed.env.DB, hooked.brand.brandId, deliveryId, actor, Date.now() + 3_600_000)).toBe(true);
    expect(replayed.due()).toBe(true);
    await env.DB.prepare('UPDATE webhook_endpoints SET enabled = 0 WHERE id = ?').bind(endpoint.id).run();
    const refused = watchingDeliveries(env as Env);
    expect(await markForReplay(refused.env.DB, hooked.brand.brandId, deliveryId, actor, Date.now())).toBe(false);
    expect(refused.due()).toBe(false);
  });

  it('after a write, claims due deliveries only when the write made one due', async () => {
    // A delivery due and never handed over (as if its enqueue had failed): any claim pass takes it.
    const stranded = await createBrand();
    const deliveryId = await strandedDelivery(stranded.brandId, (await addEndpoint(stranded)).id);

    // The worker's fetch with an execution context of our own, so the work after the response is awaited.
    const post = async (m: Awaited<ReturnType<typeof createMoneyBrand>>) => {
      const request = await signedRequest(m.brand, m.ingestKey, '/v1/conversions', order(`wh-${tag()}`));
      const ctx = createExecutionContext();
      const res = await worker.fetch(request, env as Env, ctx);
      await waitOnExecutionContext(ctx);
      return res.status;
    };

    // An order for a brand without endpoints makes nothing due: no claim after its response.
    const quiet = await createMoneyBrand();
    expect(await post(quiet)).toBe(201);
    expect(await queuedAtOf(deliveryId)).toBeNull();

    // An order that fans out a delivery: the pass after its response claims every due delivery.
    const hooked = await createMoneyBrand();
    await addEndpoint(hooked.brand, { events: ['conversion.created'] });
    expect(await post(hooked)).toBe(201);
    expect(await queuedAtOf(deliveryId)).toBeGreaterThan(0);
  });

  it('hands over what a write made due, also when the write fails part-way; a failed hand-over is logged and the sweep sends it', async () => {
    const hookedBrand = async () => {
      const m = await createMoneyBrand();
      await addEndpoint(m.brand, { events: ['conversion.created'] });
      return m.brand.brandId;
    };
    const deliveryOf = async (brandId: string) => (await env.DB.prepare('SELECT id FROM webhook_deliveries WHERE brand_id = ?').bind(brandId).first<{ id: string }>())!.id;

    const handed = await hookedBrand();
    const result = await enqueuingDueDeliveries(env as Env, (db) => recordConversion(db, ingest(handed), input(), 'api'));
    expect(result.created).toBe(true);
    expect(await queuedAtOf(await deliveryOf(handed))).toBeGreaterThan(0);

    // Work that commits a fan-out and then fails: its delivery is still handed over, and its error still thrown.
    const partial = await hookedBrand();
    await expect(
      enqueuingDueDeliveries(env as Env, async (db) => {
        await recordConversion(db, ingest(partial), input(), 'api');
        throw new Error('a later batch failed');
      }),
    ).rejects.toThrow('a later batch failed');
    expect(await queuedAtOf(await deliveryOf(partial))).toBeGreaterThan(0);

    // A fault injected on purpose: D1 refuses the claim after the work committed.
    const refusingClaims = d1With({
      prepare: (sql: string) => {
        if (sql.trimStart().startsWith('UPDATE webhook_deliveries SET queued_at = ?1')) throw new Error('D1_ERROR: storage unavailable');
        return env.DB.prepare(sql);
      },
    });
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const stranded = await hookedBrand();
    const strandedResult = await enqueuingDueDeliveries({ ...env, DB: refusingClaims } as Env, (db) => recordConversion(db, ingest(stranded), input(), 'api'));
    const logged = errors.mock.calls.map(([line]) => String(line));
    errors.mockRestore();
    expect(strandedResult.created).toBe(true);
    expect(logged.some((line) => line.includes('webhook_enqueue_failed') && line.includes('storage unavailable'))).toBe(true);
    const deliveryId = await deliveryOf(stranded);
    expect(await queuedAtOf(deliveryId)).toBeNull();
    await sweepWebhookDeliveries(env as Env);
    expect(await queuedAtOf(deliveryId)).toBeGreaterThan(0);
  });

  it('claims each due delivery once, and reclaims one whose queue message was lost', async () => {
    const brand = await createBrand();
    const endpoint = await addEndpoint(brand);
    const { deliveryId } = await parkedDelivery(brand.brandId, endpoint.id);
    const now = Date.now();
    // Parked (queued, due in an hour): not claimable now, nor when due while its message is still live.
    const ids = async (at: number) => (await claimDueDeliveries(env.DB, at, at - 7_200_000, 100)).map((c) => c.id);
    expect(await ids(now)).not.toContain(deliveryId);
    // Long past due and still pending: the message was lost; the sweep claims it exactly once.
    const later = now + 4 * 3_600_000;
    expect(await claimDueDeliveries(env.DB, later, later - 7_200_000, 100)).toContainEqual({ id: deliveryId, generation: 0 });
    expect(await ids(later)).not.toContain(deliveryId);
    await recordAttempt(env.DB, deliveryId, { status: 'failed', statusCode: null, error: 'test over' }, Date.now());
  });
});

describe('replay', () => {
  it('sends the same event id and body again and creates no new event', async () => {
    const m = await createMoneyBrand();
    const endpoint = await addEndpoint(m.brand, { events: ['conversion.created'] });
    expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', order(`wh-${tag()}`))).status).toBe(201);
    const [delivery] = (await json<{ data: Delivery[] }>(await m.brand.api('GET', '/api/admin/webhooks/deliveries'))).data;
    const hook = receiver([200]);
    await consume(delivery!.id, hook.send);
    expect(await deliveryRow(delivery!.id)).toMatchObject({ status: 'delivered' });

    const replay = await m.brand.api('POST', `/api/admin/webhooks/deliveries/${delivery!.id}/replay`);
    expect(replay.status).toBe(200);
    expect((await json<{ data: Delivery }>(replay)).data).toMatchObject({ id: delivery!.id, eventId: delivery!.eventId, status: 'pending', attempts: 0 });
    await consume(delivery!.id, hook.send, 1, {}, 1);
    expect(await deliveryRow(delivery!.id)).toMatchObject({ status: 'delivered', attempts: 1 }); // counted afresh
    expect(hook.received.length).toBeGreaterThanOrEqual(2);
    expect(hook.received[1]!.body).toBe(hook.received[0]!.body);
    expect(JSON.parse(hook.received[1]!.body).id).toBe(delivery!.eventId);
    expect(await eventsOf(m.brand.brandId)).toHaveLength(1);
    expect(await deliveriesOf(m.brand.brandId)).toBe(1);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'webhook_delivery.replayed'", m.brand.brandId)).toBe(1);

    // Replaying to a disabled endpoint is refused.
    await m.brand.api('POST', `/api/admin/webhooks/endpoints/${endpoint.id}/disable`);
    const refused = await m.brand.api('POST', `/api/admin/webhooks/deliveries/${delivery!.id}/replay`);
    expect(refused.status).toBe(409);
    expect((await json<{ error: { code: string } }>(refused)).error.code).toBe('endpoint_disabled');
  });
});

describe('tenancy', () => {
  it("hides another brand's endpoints and deliveries behind 404s", async () => {
    const owner = await createBrand();
    const other = await createBrand();
    const endpoint = await addEndpoint(owner);
    const { deliveryId } = await parkedDelivery(owner.brandId, endpoint.id);
    for (const [method, path] of [
      ['GET', `/api/admin/webhooks/endpoints/${endpoint.id}`],
      ['POST', `/api/admin/webhooks/endpoints/${endpoint.id}/disable`],
      ['POST', `/api/admin/webhooks/endpoints/${endpoint.id}/enable`],
      ['POST', `/api/admin/webhooks/deliveries/${deliveryId}/replay`],
    ] as const) {
      const res = await other.api(method, path);
      expect(res.status, path).toBe(404);
      expect((await json<{ error: { code: string } }>(res)).error.code).toBe('not_found');
    }
    expect((await json<{ data: unknown[] }>(await other.api('GET', '/api/admin/webhooks/endpoints'))).data).toEqual([]);
    expect((await json<{ data: unknown[] }>(await other.api('GET', `/api/admin/webhooks/deliveries?endpointId=${endpoint.id}`))).data).toEqual([]);
    expect(await deliveryRow(deliveryId)).toMatchObject({ status: 'pending', attempts: 0 });
    expect((await json<{ data: Endpoint }>(await owner.api('GET', `/api/admin/webhooks/endpoints/${endpoint.id}`))).data.enabled).toBe(true);
  });
});

describe('event retention', () => {
  it('deletes old delivered and failed events with their deliveries, keeps one still pending and young ones, and a pruned delivery replays as a 404', async () => {
    const brand = await createBrand();
    const [a, b] = [await addEndpoint(brand, { events: ['gift.requested'] }), await addEndpoint(brand, { events: ['gift.requested'] })];
    const delivered = await agedEvent(brand.brandId, 40, [[a.id, 'delivered']]);
    const failed = await agedEvent(brand.brandId, 35, [[a.id, 'failed'], [b.id, 'delivered']]);
    const stillPending = await agedEvent(brand.brandId, 50, [[a.id, 'delivered'], [b.id, 'pending']]);
    const young = await agedEvent(brand.brandId, 10, [[a.id, 'failed']]);
    // D1 enforces the deliveries' reference to their event: the deliveries must go first.
    await expect(env.DB.prepare('DELETE FROM webhook_events WHERE id = ?').bind(delivered.eventId).run()).rejects.toThrow(/FOREIGN KEY/);

    // Checked on this brand's rows: a run also prunes whatever old events other tests left.
    const now = Date.now();
    expect(await pruneWebhookEvents(env.DB, { retentionDays: 30, now })).toMatchObject({ retentionDays: 30, complete: true });
    expect((await eventsOf(brand.brandId)).map((e) => e.id).sort()).toEqual([stillPending.eventId, young.eventId].sort());
    expect(await deliveriesOf(brand.brandId)).toBe(3);

    // Gone from the log, and a replay of it is a plain 404.
    const log = (await json<{ data: Delivery[] }>(await brand.api('GET', '/api/admin/webhooks/deliveries'))).data;
    expect(log.map((d) => d.eventId)).not.toContain(delivered.eventId);
    const replay = await brand.api('POST', `/api/admin/webhooks/deliveries/${failed.deliveryIds[0]}/replay`);
    expect(replay.status).toBe(404);
    expect((await json<{ error: { code: string } }>(replay)).error.code).toBe('not_found');

    // Run again, the pending one is still kept.
    await pruneWebhookEvents(env.DB, { retentionDays: 30, now });
    expect((await eventsOf(brand.brandId)).map((e) => e.id).sort()).toEqual([stillPending.eventId, young.eventId].sort());
    // Once its last delivery ends, the kept event goes too, with both deliveries.
    await recordAttempt(env.DB, stillPending.deliveryIds[1]!, { status: 'failed', statusCode: 500, error: 'HTTP 500' }, now);
    await pruneWebhookEvents(env.DB, { retentionDays: 30, now });
    expect((await eventsOf(brand.brandId)).map((e) => e.id)).toEqual([young.eventId]);
    expect(await deliveriesOf(brand.brandId)).toBe(1);
  });

  it('answers 404, not endpoint_disabled, for a delivery pruned between the replay reading it and marking it', async () => {
    const brand = await createBrand();
    const endpoint = await addEndpoint(brand);
    const { deliveryIds } = await agedEvent(brand.brandId, 40, [[endpoint.id, 'failed']]);
    // The replay has read the delivery and waits at its UPDATE (one batch with its audit row) while the job runs.
    const { db: held, reached, release } = heldBatches();
    const replay = adminCall(brand, 'POST', `/api/admin/webhooks/deliveries/${deliveryIds[0]}/replay`, { ...env, DB: held } as Env);
    await reached;
    await pruneWebhookEvents(env.DB, { retentionDays: 30, now: Date.now() });
    expect(await rowCount('SELECT count(*) AS n FROM webhook_deliveries WHERE id = ?', deliveryIds[0])).toBe(0);
    release();
    const res = await replay;
    expect(res.status).toBe(404);
    expect((await json<{ error: { code: string } }>(res)).error.code).toBe('not_found');
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'webhook_delivery.replayed'", brand.brandId)).toBe(0);
  });

  it('is bounded per run, deletes a chunk even on a budget below one, and finishes the backlog over several runs', async () => {
    const brands = [await createBrand(), await createBrand()];
    for (const [brand, count] of [[brands[0]!, 5], [brands[1]!, 3]] as const) {
      const endpoint = await addEndpoint(brand);
      for (let i = 0; i < count; i++) await agedEvent(brand.brandId, 40 + i, [[endpoint.id, 'delivered']]);
    }
    // Counted on these two brands only: a run also prunes whatever old events other tests left.
    const left = async () => (await eventsOf(brands[0]!.brandId)).length + (await eventsOf(brands[1]!.brandId)).length;
    const prune = (maxStatements: number) => pruneWebhookEvents(env.DB, { retentionDays: 30, now: Date.now(), chunkSize: 2, maxStatements });

    // A chunk is two statements: a budget of one still runs one, or the backlog would never shrink.
    const clamped = await prune(1);
    expect(clamped).toMatchObject({ statements: 2, complete: false });
    expect(clamped.events).toBeGreaterThan(0);
    const runs = [];
    while ((await left()) > 0 && runs.length < 20) {
      const result = await prune(4);
      runs.push(result);
      // Two chunks of two events at most.
      expect(result.statements).toBeLessThanOrEqual(4);
      expect(result.events).toBeLessThanOrEqual(4);
    }
    // At least 6 of the 8 were left for runs of 4 at most.
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs[0]).toMatchObject({ statements: 4, complete: false });
    expect(await left()).toBe(0);
    for (const brand of brands) expect(await deliveriesOf(brand.brandId)).toBe(0);
  });

  it('runs from the cron with WEBHOOK_EVENT_RETENTION_DAYS, a default and a floor; only the cron says when it cannot honour it', async () => {
    const values = [undefined, '', '45', '7', '3', '0', '-5', '2.5', 'thirty'];
    const { result: days, lines: quiet } = await captureLogs(async () => values.map((v) => webhookEventRetentionDays(v)));
    expect(days).toEqual([30, 30, 45, 7, 7, 30, 30, 30, 30]);
    // Read for a page or a replay's 404, a bad value would otherwise be logged on every view.
    expect(quiet).toEqual([]);

    const brand = await createBrand();
    const endpoint = await addEndpoint(brand);
    const old = await agedEvent(brand.brandId, 8, [[endpoint.id, 'failed']]);
    const kept = await agedEvent(brand.brandId, 6, [[endpoint.id, 'failed']]);
    const threeDays = { ...env, WEBHOOK_EVENT_RETENTION_DAYS: '3' } as Env;
    const { lines } = await captureLogs(() => runCron(threeDays));
    expect((await eventsOf(brand.brandId)).map((e) => e.id)).toEqual([kept.eventId]);
    expect(await rowCount('SELECT count(*) AS n FROM webhook_deliveries WHERE event_id = ?', old.eventId)).toBe(0);
    expect(lines.filter((l) => l.event === 'retention_config_invalid').map((l) => l.fields)).toEqual([{ WEBHOOK_EVENT_RETENTION_DAYS: '3', minimum: 7, using: 7 }]);
    expect(lines.find((l) => l.event === 'webhook_events_pruned')?.fields).toMatchObject({ retentionDays: 7 });

    // The replay's 404 names the days kept, and says nothing in the log.
    const { result: gone, lines: replayLines } = await captureLogs(() => adminCall(brand, 'POST', `/api/admin/webhooks/deliveries/${old.deliveryIds[0]}/replay`, threeDays));
    expect(gone.status).toBe(404);
    expect((await json<{ error: { code: string; message: string } }>(gone)).error.message).toContain('7 days');
    expect(replayLines.filter((l) => l.event === 'retention_config_invalid')).toEqual([]);
  });
});

describe('the console page', () => {
  const PASSWORD = 'console password 2026';
  let ip = 0;

  async function signedIn(brandId: string, role: 'manager' | 'viewer') {
    const email = `${role}-${tag()}@brand.test`;
    await env.DB.prepare('INSERT INTO admin_users (id, brand_id, email, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .bind(newId('adm'), brandId, email, `A ${role}`, role, await hashPassword(PASSWORD, 1000), Date.now())
      .run();
    const res = await form('/console/login', { email, password: PASSWORD });
    expect(res.status).toBe(303);
    return (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  }

  const form = (path: string, fields: Record<string, string>, opts: { cookie?: string; origin?: string } = {}) =>
    SELF.fetch(`${BASE}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: opts.origin ?? BASE, 'cf-connecting-ip': `203.0.113.${(ip++ % 250) + 1}`, ...(opts.cookie ? { cookie: opts.cookie } : {}) },
      body: new URLSearchParams(fields).toString(),
    });

  it('lists endpoints and deliveries, and a manager replays one; viewers and other sites cannot', async () => {
    const brand = await createBrand();
    const endpoint = await addEndpoint(brand, { description: 'Warehouse ERP' });
    const { eventId, deliveryId } = await parkedDelivery(brand.brandId, endpoint.id);
    await recordAttempt(env.DB, deliveryId, { status: 'failed', statusCode: 500, error: 'HTTP 500: <b>boom</b>' }, Date.now());
    const manager = await signedIn(brand.brandId, 'manager');

    const page = await SELF.fetch(`${BASE}/console/webhooks`, { headers: { cookie: manager } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(endpoint.url);
    expect(html).toContain('Warehouse ERP');
    expect(html).toContain(eventId);
    expect(html).toContain('HTTP 500: &lt;b&gt;boom&lt;/b&gt;');
    expect(html).toContain(`action="/console/webhooks/deliveries/${deliveryId}/replay"`);

    expect(html).toMatch(/<a href="\/console\/webhooks" aria-current="page">Webhooks<\/a>/);
    expect(html).not.toContain(endpoint.secret);

    const viewer = await signedIn(brand.brandId, 'viewer');
    const viewerPage = await (await SELF.fetch(`${BASE}/console/webhooks`, { headers: { cookie: viewer } })).text();
    expect(viewerPage).toMatch(/<button type="submit" class="button button-small" disabled="" title="Needs an owner or manager">\s*Replay/);
    expect((await form(`/console/webhooks/deliveries/${deliveryId}/replay`, {}, { cookie: viewer })).status).toBe(403);
    expect((await form(`/console/webhooks/deliveries/${deliveryId}/replay`, {}, { cookie: manager, origin: 'https://evil.example' })).status).toBe(403);
    expect(await deliveryRow(deliveryId)).toMatchObject({ status: 'failed' });

    const other = await createBrand();
    const stranger = await signedIn(other.brandId, 'manager');
    expect((await form(`/console/webhooks/deliveries/${deliveryId}/replay`, {}, { cookie: stranger })).status).toBe(404);
    expect(await (await SELF.fetch(`${BASE}/console/webhooks`, { headers: { cookie: stranger } })).text()).not.toContain(eventId);

    // Last, so the endpoint is disabled (afterEach) before the real queue's consumer picks the replay up.
    const replayed = await form(`/console/webhooks/deliveries/${deliveryId}/replay`, { status: 'failed' }, { cookie: manager });
    expect(replayed.status).toBe(303);
    expect(replayed.headers.get('location')).toBe('/console/webhooks?status=failed&flash=replayed');
    expect(await deliveryRow(deliveryId)).toMatchObject({ status: 'pending' });
    expect(await eventsOf(brand.brandId)).toHaveLength(1);
    // Pending again, it offers Send now.
    expect(await (await SELF.fetch(`${BASE}/console/webhooks`, { headers: { cookie: manager } })).text()).toMatch(/<button type="submit" class="button button-small">\s*Send now/);
  });

  it('says how long deliveries are kept, and that one not in the log (deleted since the page was drawn, or a wrong id) cannot be replayed', async () => {
    const brand = await createBrand();
    const endpoint = await addEndpoint(brand);
    const { deliveryIds } = await agedEvent(brand.brandId, 40, [[endpoint.id, 'failed']]);
    const manager = await signedIn(brand.brandId, 'manager');
    const before = await (await SELF.fetch(`${BASE}/console/webhooks`, { headers: { cookie: manager } })).text();
    expect(before).toContain(`action="/console/webhooks/deliveries/${deliveryIds[0]}/replay"`);
    expect(before).toMatch(/deleted 30 days after the event/);
    await pruneWebhookEvents(env.DB, { retentionDays: 30, now: Date.now() });
    // The page cannot tell a pruned delivery from an id that was never this brand's: the words hold for both.
    for (const id of [deliveryIds[0]!, `whd_${randomHex(12)}`]) {
      const replayed = await form(`/console/webhooks/deliveries/${id}/replay`, { status: 'failed' }, { cookie: manager });
      expect(replayed.status).toBe(404);
      expect(await replayed.text()).toContain('Nothing was sent: that delivery is not in your log. Deliveries are deleted with their event 30 days after it');
    }
  });
});
