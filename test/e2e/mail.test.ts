// Password links by real mail: the real worker (workerd through Miniflare) sends through its HTTP transport
// to a stand-in provider on 127.0.0.1 with Resend's request shape. The provider can fail, refuse or hang,
// and dedupes on the Idempotency-Key as Resend does. A second worker, deployed-like with no provider, says
// so instead of pretending a link left.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChorus, type ChorusServer } from './server';

type Request = { key: string | null; authorization: string | null; body: { from: string; to: string[]; subject: string; text: string } };
type Behaviour = 'ok' | 'fail' | 'refuse' | 'hang';

// The provider: answers each request with the next planned behaviour (then 'ok'), and delivers each
// Idempotency-Key once.
class Provider {
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
    const request: Request = { key: (req.headers['idempotency-key'] as string) ?? null, authorization: req.headers.authorization ?? null, body: JSON.parse(raw) };
    this.requests.push(request);
    const behaviour = this.plan.shift() ?? 'ok';
    if (behaviour === 'hang') return; // never answers: the worker's timeout ends the attempt
    if (behaviour === 'fail') return void res.writeHead(500, { 'content-type': 'application/json' }).end('{"name":"internal_server_error"}');
    if (behaviour === 'refuse') return void res.writeHead(403, { 'content-type': 'application/json' }).end('{"name":"validation_error","message":"The sending domain is not verified."}');
    if (!this.inbox.some((m) => m.key === request.key)) this.inbox.push(request);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `msg_${this.requests.length}` }));
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

  it('tells the creator and the API when the provider does not take the mail, and keeps no link', async () => {
    const leo = await invited(chorus, 'leo_mail');
    const before = provider.requests.length;
    provider.plan = ['fail', 'fail'];
    const page = await askForLink(chorus, leo.invite);
    expect(page.status).toBe(503);
    expect(page.headers.get('retry-after')).toBe('60');
    expect(await page.text()).toContain('We could not send the email just now. Nothing was sent; try again in a minute.');
    // A refusal (here an unverified sender) is not retried.
    provider.plan = ['refuse'];
    const reset = await api(chorus, 'POST', `/api/admin/creators/${leo.id}/password-reset`);
    expect(reset.status).toBe(503);
    expect(reset.json.error.code).toBe('mail_unavailable');
    expect(provider.requests.length - before).toBe(3);
    expect(provider.linksTo(leo.email)).toHaveLength(0);
    // The operator's log names the provider's answer, so a bad key or sender is found from it.
    expect(chorus.output()).toContain('"message_failed"');
    expect(chorus.output()).toContain('The sending domain is not verified.');
    // Nothing was kept or spent: the next ask mails a link that works.
    expect((await askForLink(chorus, leo.invite)).status).toBe(200);
    const [link] = provider.linksTo(leo.email);
    expect((await fetch(link!)).status).toBe(200);
  }, 30_000);

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
