// Password links by real mail: the real worker (workerd through Miniflare) sends through its HTTP transport
// to a stand-in provider on 127.0.0.1 with Resend's request shape. The provider can fail, refuse, throttle,
// redirect, hang or answer late, and dedupes on the Idempotency-Key as Resend does. A second worker, deployed-like with no provider, says
// so instead of pretending a link left.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChorus, type ChorusServer } from './server';

type Request = { path: string; key: string | null; authorization: string | null; body: { from: string; to: string[]; subject: string; text: string } };
type Behaviour = 'ok' | 'fail' | 'refuse' | 'throttle' | 'redirect' | 'hang' | 'slow';

// The provider: answers each request with the next planned behaviour (then 'ok'), and delivers each
// Idempotency-Key once. As Resend does, a request whose key is still being worked on gets 409.
class Provider {
  private working = new Set<string>();
  requests: Request[] = [];
  inbox: Request[] = [];
  plan: Behaviour[] = [];
  private server: Server = createServer((req, res) => void this.handle(req, res));

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/emails`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  linksTo(to: string): string[] {
    return this.inbox.filter((m) => m.body.to.includes(to)).map((m) => /https?:\/\/\S+/.exec(m.body.text)![0]);
  }

  private async handle(req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const request: Request = { path: req.url ?? '', key: (req.headers['idempotency-key'] as string) ?? null, authorization: req.headers.authorization ?? null, body: raw ? JSON.parse(raw) : {} };
    this.requests.push(request);
    if (request.key && this.working.has(request.key)) {
      return void res.writeHead(409, { 'content-type': 'application/json' }).end('{"name":"concurrent_idempotent_requests"}');
    }
    const behaviour = this.plan.shift() ?? 'ok';
    if (behaviour === 'hang') return; // never answers: the worker's timeout ends the attempt
    if (behaviour === 'fail') return void res.writeHead(500, { 'content-type': 'application/json' }).end('{"name":"internal_server_error"}');
    if (behaviour === 'refuse') return void res.writeHead(403, { 'content-type': 'application/json' }).end('{"name":"validation_error","message":"The sending domain is not verified."}');
    if (behaviour === 'throttle') return void res.writeHead(429, { 'content-type': 'application/json' }).end('{"name":"rate_limit_exceeded"}');
    if (behaviour === 'redirect') return void res.writeHead(307, { location: '/elsewhere' }).end();
    if (!this.inbox.some((m) => m.key === request.key)) this.inbox.push(request);
    const answer = () => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `msg_${this.requests.length}` }));
    if (behaviour !== 'slow') return answer();
    // Takes the mail at once, answers only after the worker has stopped waiting.
    this.working.add(request.key!);
    setTimeout(() => {
      this.working.delete(request.key!);
      if (!res.destroyed) answer();
    }, 7_000);
  }
}

const KEY = 're_e2e_0123456789abcdef';
const FROM = 'Fernway via Chorus <no-reply@mail.chorus.test>';
const provider = new Provider();
let chorus: ChorusServer;
let unconfigured: ChorusServer;

async function api(server: ChorusServer, method: string, path: string, body?: unknown): Promise<{ status: number; headers: Headers; json: any }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.adminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, json: await res.json() };
}

// A new creator on the roster and the path of their invite page.
async function invited(server: ChorusServer, handle: string): Promise<{ id: string; email: string; invite: string }> {
  const email = `${handle}@creators.example`;
  const created = await api(server, 'POST', '/api/admin/creators', { email, handle, displayName: handle });
  expect(created.status).toBe(201);
  const invite = await api(server, 'POST', `/api/admin/creators/${created.json.data.id}/invite`);
  return { id: created.json.data.id, email, invite: new URL(invite.json.data.inviteUrl).pathname };
}

// The invite page's "Email me the link" button, as a browser posts it.
const askForLink = (server: ChorusServer, invite: string) =>
  fetch(`${server.url}${invite}/email`, { method: 'POST', headers: { origin: server.url, 'content-type': 'application/x-www-form-urlencoded' }, body: '', redirect: 'manual' });

const health = async (server: ChorusServer) => ((await (await fetch(`${server.url}/healthz`)).json()) as { mail: string }).mail;

beforeAll(async () => {
  const url = await provider.start();
  [chorus, unconfigured] = await Promise.all([startChorus({ vars: { MAIL_API_URL: url, MAIL_API_KEY: KEY, MAIL_FROM: FROM } }), startChorus({ vars: { ENVIRONMENT: 'staging' } })]);
});

afterAll(async () => {
  await Promise.all([chorus?.stop(), unconfigured?.stop()]);
  await provider.stop();
});

describe('password links through a mail provider', () => {
  it('mails the link with the key, the sender and an idempotency key; the link sets the password', async () => {
    expect(await health(chorus)).toBe('http');
    const maya = await invited(chorus, 'maya_mail');
    const page = await askForLink(chorus, maya.invite);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Check your email');
    expect(provider.requests).toHaveLength(1);
    const [sent] = provider.requests;
    expect(sent).toMatchObject({ authorization: `Bearer ${KEY}`, body: { from: FROM, to: [maya.email], subject: 'Set your Chorus password' } });
    expect(sent!.key).toMatch(/^[0-9a-f-]{36}$/);
    const [link] = provider.linksTo(maya.email);
    expect(link).toMatch(new RegExp(`^${chorus.url}/reset/[A-Za-z0-9_-]{43}$`));
    const set = await fetch(link!, {
      method: 'POST',
      headers: { origin: chorus.url, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ password: 'a long enough password', confirm: 'a long enough password' }),
      redirect: 'manual',
    });
    expect(set.status).toBe(303);
    expect(set.headers.get('set-cookie')).toContain('HttpOnly');
    // The log says a message left, and through which provider, never its text (the link).
    expect(chorus.output()).toContain('"message_sent"');
    expect(chorus.output()).not.toContain(new URL(link!).pathname);
  });

  it('retries a failed or silent attempt once with the same key, so a lost answer mails nothing twice', async () => {
    const ana = await invited(chorus, 'ana_mail');
    const before = provider.requests.length;
    provider.plan = ['fail'];
    expect((await askForLink(chorus, ana.invite)).status).toBe(200);
    provider.plan = ['hang'];
    const started = Date.now();
    expect((await api(chorus, 'POST', `/api/admin/creators/${ana.id}/password-reset`)).status).toBe(201);
    expect(Date.now() - started).toBeGreaterThanOrEqual(5_000); // the silent attempt's timeout
    const attempts = provider.requests.slice(before);
    expect(attempts).toHaveLength(4);
    expect(attempts[0]!.key).toBe(attempts[1]!.key);
    expect(attempts[2]!.key).toBe(attempts[3]!.key);
    expect(attempts[0]!.key).not.toBe(attempts[2]!.key);
    expect(provider.linksTo(ana.email)).toHaveLength(2);
  }, 30_000);

  it('tells the creator and the API when the provider refuses the mail, and keeps no link', async () => {
    const leo = await invited(chorus, 'leo_mail');
    const before = provider.requests.length;
    // Throttled twice: refused, after one more try.
    provider.plan = ['throttle', 'throttle'];
    const page = await askForLink(chorus, leo.invite);
    expect(page.status).toBe(503);
    expect(page.headers.get('retry-after')).toBe('60');
    expect(await page.text()).toContain('We could not send the email just now. Nothing was sent; try again in a minute.');
    // A refusal (here an unverified sender) is not retried.
    provider.plan = ['refuse'];
    const reset = await api(chorus, 'POST', `/api/admin/creators/${leo.id}/password-reset`);
    expect(reset.status).toBe(503);
    expect(reset.json.error.code).toBe('mail_unavailable');
    // Nor is a redirect followed: it would carry the link wherever it points.
    provider.plan = ['redirect'];
    expect((await api(chorus, 'POST', `/api/admin/creators/${leo.id}/password-reset`)).status).toBe(503);
    expect(provider.requests.slice(before).map((r) => r.path)).toEqual(['/emails', '/emails', '/emails', '/emails']);
    expect(provider.linksTo(leo.email)).toHaveLength(0);
    // The operator's log names the provider's answer, so a bad key, sender or URL is found from it.
    expect(chorus.output()).toContain('"message_failed"');
    expect(chorus.output()).toContain('The sending domain is not verified.');
    expect(chorus.output()).toContain("set MAIL_API_URL to the API's own URL");
    // Nothing was kept or spent: the next ask mails a link that works.
    expect((await askForLink(chorus, leo.invite)).status).toBe(200);
    const [link] = provider.linksTo(leo.email);
    expect((await fetch(link!)).status).toBe(200);
  }, 30_000);

  it('keeps and counts a link the provider took but did not confirm, and says it may still arrive', async () => {
    const ivy = await invited(chorus, 'ivy_mail');
    // The provider takes the mail and answers after the worker's 5 s; the retry meets 409 (same key, still
    // being worked on). The mail goes out once, and its link must work.
    provider.plan = ['slow'];
    const reset = await api(chorus, 'POST', `/api/admin/creators/${ivy.id}/password-reset`);
    expect(reset.status).toBe(202);
    expect(reset.json.data).toMatchObject({ sent: true, confirmed: false });
    const [link] = provider.linksTo(ivy.email);
    expect(provider.linksTo(ivy.email)).toHaveLength(1);
    expect((await fetch(link!)).status).toBe(200);
    // The invite page says the same to the creator; each such link counts toward the day's five.
    provider.plan = ['fail', 'fail'];
    const page = await askForLink(chorus, ivy.invite);
    expect(page.status).toBe(202);
    expect(await page.text()).toContain('did not confirm it. It may still arrive');
    for (let i = 0; i < 3; i++) expect((await api(chorus, 'POST', `/api/admin/creators/${ivy.id}/password-reset`)).status).toBe(201);
    expect((await api(chorus, 'POST', `/api/admin/creators/${ivy.id}/password-reset`)).status).toBe(429);
  }, 40_000);

  it('on a deploy without a provider, says so on /healthz, the invite page and the API', async () => {
    expect(await health(unconfigured)).toBe('unconfigured');
    const sam = await invited(unconfigured, 'sam_mail');
    const page = await askForLink(unconfigured, sam.invite);
    expect(page.status).toBe(503);
    expect(await page.text()).toContain('This Chorus cannot send email yet.');
    const reset = await api(unconfigured, 'POST', `/api/admin/creators/${sam.id}/password-reset`);
    expect(reset.status).toBe(503);
    expect(reset.json.error.message).toContain('MAIL_API_KEY');
    expect(unconfigured.output()).toContain('"message_failed"');
  });
});
