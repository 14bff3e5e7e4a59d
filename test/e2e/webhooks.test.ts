// Outgoing webhooks end to end: the real worker (workerd through Miniflare, the real chorus-webhooks queue
// and its consumer) POSTs to a real HTTP receiver on 127.0.0.1 that fails its first attempts. The receiver
// verifies every signature with the endpoint's secret and dedupes on the event id, as the README tells
// brands to, so a replay reaches it with the same id and has no second effect.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signTimestamped, verifyTimestampedSignature } from '../../worker/lib/signatures';
import { startChorus, type ChorusServer } from './server';

// The retry step for this run: 1 s, so waits are 1, 2, then 2-4 s instead of 30 s, 60 s, ...
const BASE_SECONDS = 1;
const FAILURES = 3;

type Hit = { at: number; eventId: string; body: string; signatureOk: boolean; status: number };

// The brand's server: answers 503 to the first FAILURES requests, then 200; applies each event id once.
class Receiver {
  hits: Hit[] = [];
  applied = new Map<string, unknown>();
  secret = '';
  private server: Server = createServer((req, res) => void this.handle(req).then((status) => res.writeHead(status).end(status === 200 ? 'ok' : 'try later')));

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/chorus-events`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage): Promise<number> {
    let body = '';
    for await (const chunk of req) body += chunk;
    const check = await verifyTimestampedSignature(req.headers['chorus-signature'] as string | undefined, body, [this.secret], Date.now());
    const event = JSON.parse(body) as { id: string };
    const status = !check.ok ? 401 : this.hits.length < FAILURES ? 503 : 200;
    this.hits.push({ at: Date.now(), eventId: event.id, body, signatureOk: check.ok, status });
    // Dedupe on the event id: a redelivery or a replay is acknowledged but changes nothing.
    if (status === 200 && !this.applied.has(event.id)) this.applied.set(event.id, event);
    return status;
  }
}

let chorus: ChorusServer;
const receiver = new Receiver();

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: { data: any } }> {
  const res = await fetch(`${chorus.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${chorus.adminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as { data: any } };
}

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; receiver saw ${JSON.stringify(receiver.hits.map((h) => h.status))}\n${chorus.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  const url = await receiver.start();
  chorus = await startChorus({ vars: { WEBHOOK_RETRY_BASE_SECONDS: String(BASE_SECONDS) } });
  const endpoint = await api('POST', '/api/admin/webhooks/endpoints', { url, events: ['conversion.created'], description: 'e2e receiver' });
  expect(endpoint.status).toBe(201);
  receiver.secret = endpoint.json.data.secret;
});

afterAll(async () => {
  await chorus?.stop();
  await receiver.stop();
});

describe('outgoing webhooks to a real receiver', () => {
  it('retries with growing waits until the receiver accepts, every attempt signed and identical', async () => {
    const ingest = await api('POST', '/api/admin/keys', { scope: 'ingest', name: 'store' });
    const body = JSON.stringify({ orderId: 'e2e-order-1', amountMinor: 12_500, currency: 'USD', occurredAt: new Date().toISOString() });
    const placed = await fetch(`${chorus.url}/v1/conversions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'chorus-account': chorus.brand.slug, 'chorus-signature': await signTimestamped(ingest.json.data.key, body, Date.now()) },
      body,
    });
    expect(placed.status).toBe(201);
    const conversionId = ((await placed.json()) as { data: { id: string } }).data.id;

    await until(() => (receiver.hits.some((h) => h.status === 200) ? true : undefined), 'a successful delivery');
    expect(receiver.hits.map((h) => h.status)).toEqual([503, 503, 503, 200]);
    expect(receiver.hits.every((h) => h.signatureOk)).toBe(true);
    expect(new Set(receiver.hits.map((h) => h.body)).size).toBe(1);
    const event = JSON.parse(receiver.hits[0]!.body);
    expect(event).toMatchObject({ id: `evt_${conversionId}`, type: 'conversion.created', brand: { slug: chorus.brand.slug }, data: { conversion: { id: conversionId, orderId: 'e2e-order-1', amountMinor: 12_500 } } });

    // Equal-jitter backoff: the wait after failure n is between half its step and the step (plus the
    // queue's 1 s batch window), and steps double: 1 s, 2 s, 4 s.
    const gaps = receiver.hits.slice(1).map((h, i) => (h.at - receiver.hits[i]!.at) / 1000);
    const steps = [1, 2, 4].map((s) => s * BASE_SECONDS);
    gaps.forEach((gap, i) => {
      expect(gap, `wait after attempt ${i + 1}`).toBeGreaterThanOrEqual(steps[i]! / 2 - 0.05);
      expect(gap, `wait after attempt ${i + 1}`).toBeLessThan(steps[i]! + 3);
    });
    expect(gaps[2]!).toBeGreaterThanOrEqual(2 - 0.05);

    const log = await api('GET', '/api/admin/webhooks/deliveries');
    expect(log.json.data).toEqual([
      expect.objectContaining({ eventId: `evt_${conversionId}`, eventType: 'conversion.created', status: 'delivered', attempts: 4, lastStatusCode: 200, lastError: null }),
    ]);
  });

  it('replays the same event id, which the receiver dedupes', async () => {
    const [delivery] = (await api('GET', '/api/admin/webhooks/deliveries')).json.data as { id: string; eventId: string }[];
    const before = receiver.hits.length;
    const replay = await api('POST', `/api/admin/webhooks/deliveries/${delivery!.id}/replay`);
    expect(replay.status).toBe(200);
    const again = await until(() => receiver.hits[before], 'the replayed delivery');
    expect(again).toMatchObject({ eventId: delivery!.eventId, status: 200, signatureOk: true });
    expect(again.body).toBe(receiver.hits[0]!.body);
    expect(receiver.applied.size).toBe(1);
    const log = await until(async () => {
      const [row] = (await api('GET', '/api/admin/webhooks/deliveries')).json.data as { status: string; attempts: number }[];
      return row?.status === 'delivered' && row.attempts === 1 ? row : undefined;
    }, 'the delivery log to show the replay');
    expect(log).toMatchObject({ status: 'delivered', attempts: 1 }); // a replay counts its attempts afresh
  });
});
