// Review scratch tests for 631f80b (mail through a provider's HTTP API). Each test states the behaviour a
// user should get; a failure is a finding.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChorus, type ChorusServer } from './server';

type Req = { key: string | null; authorization: string | null; body: { to: string[]; text: string } };
type Handler = (req: IncomingMessage, res: ServerResponse, parsed: Req) => void;

class Stub {
  requests: Req[] = [];
  handler: Handler = (_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"x"}');
  private server: Server = createServer((req, res) => void this.handle(req, res));
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/emails`;
  }
  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    let body: Req['body'] = { to: [], text: '' };
    try {
      body = JSON.parse(raw);
    } catch {
      /* a redirected GET has no body */
    }
    const parsed: Req = { key: (req.headers['idempotency-key'] as string) ?? null, authorization: req.headers.authorization ?? null, body };
    this.requests.push(parsed);
    this.handler(req, res, parsed);
  }
}

const KEY = 're_review_0123456789abcdef';
const FROM = 'Review via Chorus <no-reply@mail.chorus.test>';
const provider = new Stub();
const elsewhere = new Stub(); // another origin a provider could redirect to
let providerUrl: string;
let elsewhereUrl: string;
let chorus: ChorusServer;

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${chorus.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${chorus.adminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

async function creator(handle: string): Promise<{ id: string; email: string }> {
  const email = `${handle}@creators.example`;
  const created = await api('POST', '/api/admin/creators', { email, handle, displayName: handle });
  expect(created.status).toBe(201);
  return { id: created.json.data.id, email };
}

// Resend's documented idempotency: the same key while the first request is still in progress is
// 409 concurrent_idempotent_requests ("safe to retry later"); the first request still sends the mail.
function resendLikeSlowAccept(holdMs: number): { inbox: Req[] } {
  const inbox: Req[] = [];
  const inProgress = new Set<string>();
  provider.handler = (_req, res, r) => {
    if (r.key && inProgress.has(r.key)) {
      res.writeHead(409, { 'content-type': 'application/json' }).end('{"name":"concurrent_idempotent_requests","message":"Same idempotency key used while original request is still in progress."}');
      return;
    }
    if (r.key) inProgress.add(r.key);
    inbox.push(r); // accepted: the mail goes out
    setTimeout(() => {
      inProgress.delete(r.key!);
      if (!res.destroyed) res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"late"}');
    }, holdMs);
  };
  return { inbox };
}

beforeAll(async () => {
  [providerUrl, elsewhereUrl] = await Promise.all([provider.start(), elsewhere.start()]);
  chorus = await startChorus({ vars: { MAIL_API_URL: providerUrl, MAIL_API_KEY: KEY, MAIL_FROM: FROM } });
});

afterAll(async () => {
  await chorus?.stop();
  await Promise.all([provider.stop(), elsewhere.stop()]);
});

describe('review: a provider that took the mail but whose answer was lost', () => {
  it('does not tell the brand "Nothing was sent" and delete the link that the creator then receives', async () => {
    const { inbox } = resendLikeSlowAccept(6_000);
    const maya = await creator('maya_review');
    const reset = await api('POST', `/api/admin/creators/${maya.id}/password-reset`);
    // The provider holds one mail for maya, with a link in it.
    const mailed = inbox.filter((m) => m.body.to.includes(maya.email));
    expect(mailed).toHaveLength(1);
    const link = /https?:\/\/\S+/.exec(mailed[0]!.body.text)![0];
    // What the API said, and whether the link the creator got works.
    const linkStatus = (await fetch(link)).status;
    expect({ status: reset.status, message: reset.json.error?.message ?? null, linkStatus }).toEqual({ status: 201, message: null, linkStatus: 200 });
  }, 60_000);

  it("keeps the day's cap of 5 mailed links per creator when the provider's answers are lost", async () => {
    const { inbox } = resendLikeSlowAccept(6_000);
    const ana = await creator('ana_review');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await api('POST', `/api/admin/creators/${ana.id}/password-reset`)).status);
    const delivered = inbox.filter((m) => m.body.to.includes(ana.email)).length;
    expect({ delivered, statuses }).toMatchObject({ delivered: expect.any(Number) });
    expect(delivered, `statuses ${statuses.join(',')}`).toBeLessThanOrEqual(5);
  }, 120_000);
});

describe('review: the provider key and redirects', () => {
  it('never hands the bearer key to another origin the provider redirects to', async () => {
    provider.handler = (_req, res) => void res.writeHead(307, { location: elsewhereUrl }).end();
    elsewhere.handler = (_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"elsewhere"}');
    const leo = await creator('leo_review');
    const before = elsewhere.requests.length;
    const reset = await api('POST', `/api/admin/creators/${leo.id}/password-reset`);
    const reached = elsewhere.requests.slice(before);
    expect({ status: reset.status, elsewhereGotKey: reached.some((r) => r.authorization?.includes(KEY)), elsewhereGotLink: reached.some((r) => r.body.text?.includes('/reset/')) }).toEqual({
      status: 503,
      elsewhereGotKey: false,
      elsewhereGotLink: false,
    });
  }, 60_000);

  it('does not count a mail as sent when a redirect turned the POST into a GET that answered 200', async () => {
    // e.g. MAIL_API_URL set to a page that moved, or to the provider's dashboard instead of its API.
    provider.handler = (_req, res) => void res.writeHead(302, { location: elsewhereUrl }).end();
    elsewhere.handler = (_req, res) => void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>Sign in</html>');
    const zoe = await creator('zoe_review');
    const before = elsewhere.requests.length;
    const reset = await api('POST', `/api/admin/creators/${zoe.id}/password-reset`);
    const reached = elsewhere.requests.slice(before);
    // Nothing carried the mail anywhere (the redirected request has no body) ...
    expect(reached.some((r) => r.body.text?.includes('/reset/'))).toBe(false);
    // ... so the brand must not hear that it was sent.
    expect({ status: reset.status, body: reset.json }).toMatchObject({ status: 503 });
  }, 60_000);
});
