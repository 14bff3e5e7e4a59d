// Authentication, sessions and request forgery in the creator portal and brand console, beyond what
// portal.test.ts and console.test.ts cover: removed creators, racing password links, malformed stored
// hashes, console tokens, forged posts and other brands' ids.
import { createExecutionContext, env, SELF, waitOnExecutionContext } from 'cloudflare:test';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { base64url, newId, randomHex } from '../../worker/lib/ids';
import { hashPassword } from '../../worker/lib/passwords';
import { SESSION_COOKIE } from '../../worker/lib/sessions';
import { logTransport, setTransport, type Message } from '../../worker/lib/messages';
import type { Env } from '../../worker/env';
import worker from '../../worker/index';
import { BASE, createMoneyBrand, d1With, insertSubmission, json, rowCount, type TestBrand } from './fixtures';

const PASSWORD = 'a long enough password';
let ipCounter = 0;
let tagCounter = 0;
const freshIp = () => `192.0.2.${(ipCounter++ % 250) + 1}`;
const tag = () => `${Date.now().toString(36)}${(tagCounter++).toString(36)}`;

type Fields = Record<string, string | string[]>;
function encode(fields: Fields): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) q.append(k, one);
  return q.toString();
}

async function post(path: string, fields: Fields = {}, opts: { cookie?: string; origin?: string | null; ip?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', 'cf-connecting-ip': opts.ip ?? freshIp(), ...opts.headers };
  if (opts.origin !== null) headers.origin = opts.origin ?? BASE;
  if (opts.cookie) headers.cookie = opts.cookie;
  return SELF.fetch(`${BASE}${path}`, { method: 'POST', headers, body: encode(fields), redirect: 'manual' });
}

const get = (path: string, cookie?: string) => SELF.fetch(`${BASE}${path}`, { headers: cookie ? { cookie } : {}, redirect: 'manual' });

function sessionCookie(res: Response): string {
  const raw = res.headers.get('set-cookie') ?? '';
  const match = new RegExp(`${SESSION_COOKIE}=([^;]+)`).exec(raw);
  if (!match) throw new Error(`no session cookie in ${raw}`);
  return `${SESSION_COOKIE}=${match[1]}`;
}

async function invitePath(brand: TestBrand, creatorId: string): Promise<string> {
  const invite = await json<{ data: { inviteUrl: string } }>(await brand.api('POST', `/api/admin/creators/${creatorId}/invite`));
  return new URL(invite.data.inviteUrl).pathname;
}

async function mailedLink(invite: string): Promise<string> {
  const sent: Message[] = [];
  setTransport(async (msg) => void sent.push(msg));
  await post(`${invite}/email`);
  setTransport(logTransport);
  const url = /https?:\/\/\S+/.exec(sent[0]?.text ?? '')?.[0];
  if (!url) throw new Error('no link mailed');
  return new URL(url).pathname;
}

async function signedInCreator(opts: Parameters<typeof createMoneyBrand>[0] = {}) {
  const m = await createMoneyBrand(opts);
  const link = await mailedLink(await invitePath(m.brand, m.creator.id));
  const res = await post(link, { password: PASSWORD, confirm: PASSWORD });
  expect(res.status).toBe(303);
  return { ...m, cookie: sessionCookie(res), email: `${m.handle}@creators.test` };
}

type Role = 'owner' | 'manager' | 'viewer';
async function adminUser(brandId: string, role: Role, opts: { email?: string; password?: string } = {}) {
  const id = newId('adm');
  const email = opts.email ?? `${role}-${tag()}@brand.test`;
  await env.DB.prepare('INSERT INTO admin_users (id, brand_id, email, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .bind(id, brandId, email, `${role} person`, role, await hashPassword(opts.password ?? PASSWORD, 1000), Date.now())
    .run();
  return { id, email };
}

async function consoleSignIn(email: string, password = PASSWORD) {
  const res = await post('/console/login', { email, password });
  expect(res.status).toBe(303);
  return sessionCookie(res);
}

afterEach(() => {
  vi.restoreAllMocks();
  setTransport(logTransport);
});

describe('a creator removed from a campaign', () => {
  // Every creator read hides a removed enrollment; its submissions too, or a dropped creator could still
  // take the campaign's flat fee by marking an approved draft live.
  it('refuses a removed creator marking an approved post live, and credits no flat fee', async () => {
    const m = await signedInCreator({ paymentModel: 'flat' });
    await env.DB.prepare('UPDATE enrollments SET flat_fee_minor = 25000 WHERE id = ?').bind(m.enrollment.id).run();
    const sub = await insertSubmission(m.brand.brandId, m.enrollment.id, 'approved');
    await env.DB.prepare("UPDATE enrollments SET status = 'removed' WHERE id = ?").bind(m.enrollment.id).run();
    expect((await get(`/brief/${m.enrollment.id}`, m.cookie)).status).toBe(404); // the portal already treats it as gone

    const res = await post(`/submissions/${sub}/live`, { postUrl: 'https://www.instagram.com/p/after-removal' }, { cookie: m.cookie });
    const fees = await rowCount("SELECT count(*) AS n FROM ledger_entries WHERE submission_id = ? AND kind = 'flat_fee'", sub);
    const status = await env.DB.prepare('SELECT status FROM submissions WHERE id = ?').bind(sub).first<string>('status');
    expect({ http: res.status, status, fees }).toEqual({ http: 404, status: 'approved', fees: 0 });
  });

  // Nor push a revised draft back into the brand's review queue.
  it("refuses a removed creator resubmitting a draft into the brand's review queue", async () => {
    const m = await signedInCreator();
    const sub = await insertSubmission(m.brand.brandId, m.enrollment.id, 'changes_requested');
    await env.DB.prepare("UPDATE enrollments SET status = 'removed' WHERE id = ?").bind(m.enrollment.id).run();
    const res = await post(`/submissions/${sub}/resubmit`, { enrollmentId: m.enrollment.id, storyFormat: 'not_a_format', draftUrl: 'https://drive.example/again', caption: 'Again #Glow #ad' }, { cookie: m.cookie });
    const status = await env.DB.prepare('SELECT status FROM submissions WHERE id = ?').bind(sub).first<string>('status');
    expect({ http: res.status, status }).toEqual({ http: 404, status: 'changes_requested' });
  });

  // Nor list them: the list would link to pages that answer 404.
  it('does not list a removed enrollment\'s submissions', async () => {
    const m = await signedInCreator();
    const sub = await insertSubmission(m.brand.brandId, m.enrollment.id, 'approved');
    expect(await (await get('/submissions', m.cookie)).text()).toContain(`/submissions/${sub}`);
    await env.DB.prepare("UPDATE enrollments SET status = 'removed' WHERE id = ?").bind(m.enrollment.id).run();
    expect((await get(`/submissions/${sub}`, m.cookie)).status).toBe(404);
    expect(await (await get('/submissions', m.cookie)).text()).not.toContain(`/submissions/${sub}`);
  });
});

describe('a password link posted twice at once', () => {
  // A double-clicked "Save password": the request that lost the link is answered 410 and writes nothing,
  // so it does not revoke the session the winner just started nor set its own password. Workers' clock
  // moves only with I/O, so two copies can read the same Date.now(): that must not matter either.
  it.each(['running', 'frozen'])('keeps the session and password of the winning request when a concurrent duplicate loses (clock %s)', async (clock) => {
    const m = await createMoneyBrand();
    const link = await mailedLink(await invitePath(m.brand, m.creator.id));
    if (clock === 'frozen') vi.spyOn(Date, 'now').mockReturnValue(Date.now());
    // Both requests pass the "link usable" check, then hash; the second hash waits until the first request
    // has answered, so the loser's batch deterministically runs after the winner signed in.
    const original = crypto.subtle.deriveBits.bind(crypto.subtle);
    let calls = 0;
    let bothHashing!: () => void;
    let release!: () => void;
    const both = new Promise<void>((r) => (bothHashing = r));
    const gate = new Promise<void>((r) => (release = r));
    vi.spyOn(crypto.subtle, 'deriveBits').mockImplementation(async (...args: Parameters<SubtleCrypto['deriveBits']>) => {
      const n = ++calls;
      if (n === 1) await Promise.race([both, new Promise((r) => setTimeout(r, 2000))]);
      else if (n === 2) {
        bothHashing();
        await gate;
      }
      return original(...args);
    });
    const a = post(link, { password: `${PASSWORD} one`, confirm: `${PASSWORD} one` });
    const b = post(link, { password: `${PASSWORD} two`, confirm: `${PASSWORD} two` });
    await Promise.race([a, b]);
    release();
    const results = await Promise.all([a, b]);
    vi.restoreAllMocks();
    expect(results.map((r) => r.status).sort()).toEqual([303, 410]);
    const won = results.findIndex((r) => r.status === 303);
    const home = await get('/', sessionCookie(results[won]!));
    expect(home.status).toBe(200);
    const signIn = async (password: string) => (await post('/login', { email: `${m.handle}@creators.test`, password })).status;
    expect([await signIn(`${PASSWORD} ${won === 0 ? 'one' : 'two'}`), await signIn(`${PASSWORD} ${won === 0 ? 'two' : 'one'}`)]).toEqual([303, 401]);
  });
});

describe('a malformed stored password hash', () => {
  // An imported or hand-edited hash (zero iterations, a salt that does not decode) is a failed sign-in,
  // not a 500.
  it('answers the generic 401 for zero-iteration and undecodable hashes, creator and console alike', async () => {
    const m = await signedInCreator();
    const owner = await adminUser(m.brand.brandId, 'owner');
    const setCreator = (h: string) => env.DB.prepare('UPDATE creators SET password_hash = ? WHERE id = ?').bind(h, m.creator.id).run();
    const zero = 'pbkdf2_sha256$0$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const badSalt = 'pbkdf2_sha256$1000$!!not-base64!!$AAAA';
    const statuses: number[] = [];
    await setCreator(zero);
    statuses.push((await post('/login', { email: m.email, password: PASSWORD })).status);
    await setCreator(badSalt);
    statuses.push((await post('/login', { email: m.email, password: PASSWORD })).status);
    await env.DB.prepare('UPDATE admin_users SET password_hash = ? WHERE id = ?').bind(zero, owner.id).run();
    statuses.push((await post('/console/login', { email: owner.email, password: PASSWORD })).status);
    expect(statuses).toEqual([401, 401, 401]);
  });
});

describe('console sessions', () => {
  const secret = () => new TextEncoder().encode(env.SESSION_SECRET);
  const payloadOf = (cookie: string) => JSON.parse(atob(cookie.split('=')[1]!.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { sub: string; jti: string };

  it('refuses wrong-audience, wrong-typ, HS512, expired and alg:none console tokens', async () => {
    const m = await createMoneyBrand();
    const owner = await adminUser(m.brand.brandId, 'owner');
    const cookie = await consoleSignIn(owner.email);
    const { sub, jti } = payloadOf(cookie);
    const now = Math.floor(Date.now() / 1000);
    const token = (o: { alg?: 'HS256' | 'HS512'; aud?: string; typ?: string; exp?: number }) =>
      new SignJWT({ typ: o.typ ?? 'admin_user', sub, jti }).setProtectedHeader({ alg: o.alg ?? 'HS256' }).setIssuer('chorus').setAudience(o.aud ?? 'chorus-console').setIssuedAt().setExpirationTime(o.exp ?? now + 600).sign(secret());
    expect((await get('/console', `${SESSION_COOKIE}=${await token({})}`)).status).toBe(200); // control
    const bad = [await token({ aud: 'chorus-portal' }), await token({ typ: 'creator' }), await token({ alg: 'HS512' }), await token({ exp: now - 5 })];
    const [header, payload] = cookie.split('=')[1]!.split('.');
    const none = `${base64url(new TextEncoder().encode(JSON.stringify({ alg: 'none', typ: 'JWT' })))}.${payload}.`;
    for (const t of [...bad, none, `${header}.${payload}.`]) {
      const res = await get('/console', `${SESSION_COOKIE}=${t}`);
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toMatch(/^\/console\/login/);
      expect((await post('/console/payouts/close', { period: '2020-01' }, { cookie: `${SESSION_COOKIE}=${t}` })).status).toBe(401);
    }
  });

  it('applies a role downgrade and a deleted admin user to live sessions at once', async () => {
    const m = await createMoneyBrand();
    const owner = await adminUser(m.brand.brandId, 'owner');
    const cookie = await consoleSignIn(owner.email);
    await env.DB.prepare("UPDATE admin_users SET role = 'viewer' WHERE id = ?").bind(owner.id).run();
    expect((await post('/console/payouts/close', { period: '2020-01' }, { cookie })).status).toBe(403);
    expect((await get('/console/payouts/export.csv?period=2020-01', cookie)).status).toBe(403);
    await env.DB.prepare('DELETE FROM admin_users WHERE id = ?').bind(owner.id).run();
    expect((await get('/console', cookie)).status).toBe(303);
    expect((await post('/console/payouts/close', { period: '2020-01' }, { cookie })).status).toBe(401);
    expect(await rowCount('SELECT count(*) AS n FROM period_closes WHERE brand_id = ?', m.brand.brandId)).toBe(0);
  });

  it('clears the cookie on sign-out with the attributes a __Host- cookie needs', async () => {
    const m = await createMoneyBrand();
    const owner = await adminUser(m.brand.brandId, 'owner');
    const out = await post('/console/logout', {}, { cookie: await consoleSignIn(owner.email) });
    const cleared = out.headers.get('set-cookie') ?? '';
    expect(cleared).toMatch(/^__Host-chorus_session=;/);
    expect(cleared).toMatch(/Max-Age=0/i);
    expect(cleared).toMatch(/Secure/i);
    expect(cleared).toMatch(/Path=\//);
  });
});

describe('request forgery and enumeration', () => {
  it('refuses a Referer-only post and an http:// origin, on both surfaces', async () => {
    const m = await signedInCreator();
    const owner = await adminUser(m.brand.brandId, 'owner');
    for (const [path, fields] of [['/login', { email: m.email, password: PASSWORD }], ['/console/login', { email: owner.email, password: PASSWORD }]] as const) {
      const refererOnly = await post(path, fields, { origin: null, headers: { referer: `${BASE}${path}` } });
      const downgraded = await post(path, fields, { origin: 'http://chorus.test' });
      const sibling = await post(path, fields, { origin: null, headers: { 'sec-fetch-site': 'same-site' } });
      for (const res of [refererOnly, downgraded, sibling]) {
        expect(res.status, path).toBe(403);
        expect(res.headers.get('set-cookie')).toBeNull();
      }
    }
  });

  it('answers an unknown email and a wrong password with the same page, not just the same message', async () => {
    const m = await signedInCreator();
    const owner = await adminUser(m.brand.brandId, 'owner');
    const stranger = `nobody-${tag()}@example.test`;
    for (const [path, known] of [['/login', m.email], ['/console/login', owner.email]] as const) {
      const wrong = await post(path, { email: known, password: 'not the password' });
      const unknown = await post(path, { email: stranger, password: 'not the password' });
      expect([wrong.status, unknown.status]).toEqual([401, 401]);
      expect((await wrong.text()).replaceAll(known, 'EMAIL')).toBe((await unknown.text()).replaceAll(stranger, 'EMAIL'));
    }
  });
});

describe('console tenancy by id', () => {
  it("treats brand B's payout, enrollment and commission plan ids as not found from brand A", async () => {
    const a = await createMoneyBrand();
    const b = await createMoneyBrand();
    const cookie = await consoleSignIn((await adminUser(a.brand.brandId, 'owner')).email);
    const payoutId = `po_${randomHex(12)}`;
    await env.DB.prepare("INSERT INTO payouts (id, brand_id, creator_id, period, currency, amount_minor, status, created_at) VALUES (?, ?, ?, '2020-01', 'USD', 5000, 'pending', ?)")
      .bind(payoutId, b.brand.brandId, b.creator.id, Date.now())
      .run();

    expect((await post(`/console/payouts/${payoutId}/mark`, { reference: 'HIJACK', period: '2020-01' }, { cookie })).status).toBe(404);
    const reconciled = await post('/console/payouts/reconcile', { csv: `payout_id,reference\n${payoutId},HIJACK2\n`, period: '2020-01' }, { cookie });
    expect(reconciled.status).toBe(200);
    expect(await env.DB.prepare('SELECT status, reference FROM payouts WHERE id = ?').bind(payoutId).first()).toEqual({ status: 'pending', reference: null });

    const preview = await (await get(`/console/campaigns/${a.campaign.id}?as=${b.enrollment.id}`, cookie)).text();
    expect(preview).not.toContain(b.handle);

    const created = await post('/console/campaigns', { name: 'Borrowed plan', hashtag: 'Borrowed', disclosureText: '#ad', storyFormats: 'before_after', defaultDestination: 'https://shop.example/x', attributionWindowDays: '30', holdingDays: '30', commissionPlanId: b.plan.id, status: 'active' }, { cookie });
    expect(created.status).toBe(422);
    expect(await rowCount('SELECT count(*) AS n FROM campaigns WHERE commission_plan_id = ? AND brand_id = ?', b.plan.id, a.brand.brandId)).toBe(0);
  });
});

describe('logs', () => {
  it('never keep the token of an invite or password link, even when its page fails', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' ')));
    const failing = d1With({ prepare: () => { throw new Error('D1_ERROR: storage unavailable'); } });
    const token = base64url(crypto.getRandomValues(new Uint8Array(32)));
    try {
      for (const path of [`/reset/${token}`, `/invite/${token}`]) {
        const ctx = createExecutionContext();
        const res = await worker.fetch(new Request(`${BASE}${path}`), { ...(env as Env), DB: failing }, ctx);
        await waitOnExecutionContext(ctx);
        expect(res.status, path).toBeGreaterThanOrEqual(500);
      }
    } finally {
      spy.mockRestore();
    }
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain(token);
    expect(lines.join('\n')).toContain('/reset/:token');
  });

  // The default transport logs each message: the link it carries reaches the log without its token,
  // except in local development, where the log is the mailbox.
  it.each([
    ['test', false],
    ['production', false],
    ['development', true],
  ])('keep a mailed password link without its token (ENVIRONMENT=%s: token shown %s)', async (environment, shown) => {
    const m = await createMoneyBrand();
    const invite = await invitePath(m.brand, m.creator.id);
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' ')));
    try {
      const ctx = createExecutionContext();
      const request = new Request(`${BASE}${invite}/email`, { method: 'POST', headers: { origin: BASE, 'cf-connecting-ip': freshIp(), 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
      // Deployed, a mail needs a provider and its links PUBLIC_ORIGIN (env.ts mailOrigin); the log transport set
      // above stands in for the provider.
      const deployed = { PUBLIC_ORIGIN: BASE, MAIL_API_KEY: 'key', MAIL_FROM: 'Chorus <no-reply@chorus.test>' };
      expect((await worker.fetch(request, { ...(env as Env), ENVIRONMENT: environment, ...deployed }, ctx)).status).toBe(200);
      await waitOnExecutionContext(ctx);
    } finally {
      spy.mockRestore();
    }
    const sent = lines.find((l) => l.includes('"message_sent"'));
    expect(sent).toContain(`${m.handle}@creators.test`);
    expect(/\/reset\/[A-Za-z0-9_-]{43}/.test(sent!)).toBe(shown);
    if (!shown) expect(sent).toContain('/reset/:token');
  });
});
