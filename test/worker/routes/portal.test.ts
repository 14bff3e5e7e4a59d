import { createExecutionContext, env, SELF, waitOnExecutionContext } from 'cloudflare:test';
import worker from '../../../worker/index';
import type { Env } from '../../../worker/env';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_MAILED_LINKS_PER_BRAND_PER_DAY } from '../../../worker/db/account-tokens';
import { HOME_QUERIES } from '../../../worker/db/creator-portal';
import migration0022 from '../../../migrations/0022_brand_creators_accepted_at.sql?raw';
import { base64url, newId } from '../../../worker/lib/ids';
import { hashPassword, MAX_PBKDF2_ITERATIONS, verifyPassword } from '../../../worker/lib/passwords';
import { SESSION_COOKIE } from '../../../worker/lib/sessions';
import { logTransport, MailError, setTransport, type Message } from '../../../worker/lib/messages';
import { BASE, createBrand, createMoneyBrand, inOneRateWindow, type TestBrand, RATE_WINDOW_TEST_TIMEOUT_MS, json, rowCount, signedPost, waitFor } from '../fixtures';

const PASSWORD = 'a long enough password';
let ipCounter = 0;
const freshIp = () => `203.0.113.${(ipCounter++ % 250) + 1}`;

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

async function post(path: string, fields: Record<string, string>, opts: { cookie?: string; origin?: string | null; ip?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', 'cf-connecting-ip': opts.ip ?? freshIp() };
  if (opts.origin !== null) headers.origin = opts.origin ?? BASE;
  if (opts.cookie) headers.cookie = opts.cookie;
  return SELF.fetch(`${BASE}${path}`, { method: 'POST', headers, body: form(fields), redirect: 'manual' });
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

// What the invite page's button mails: the reset link, which only the account's address receives.
async function mailedLink(invite: string, ip?: string): Promise<{ res: Response; link: string | null; to: string | null }> {
  const sent: Message[] = [];
  setTransport(async (msg) => void sent.push(msg));
  const res = await post(`${invite}/email`, {}, { ip });
  setTransport(logTransport);
  const text = sent[0]?.text ?? '';
  const url = /https?:\/\/\S+/.exec(text)?.[0];
  return { res, link: url ? new URL(url).pathname : null, to: sent[0]?.to ?? null };
}

// A money brand whose creator set a password through the invite's mailed link, accepted the brand on
// their home page, and is signed in.
async function signedInCreator(opts: Parameters<typeof createMoneyBrand>[0] = {}) {
  const m = await createMoneyBrand({ accepted: false, ...opts });
  const { link } = await mailedLink(await invitePath(m.brand, m.creator.id));
  const res = await post(link!, { password: PASSWORD, confirm: PASSWORD });
  expect(res.status).toBe(303);
  const cookie = sessionCookie(res);
  expect((await post(`/invitations/${m.enrollment.id}/accept`, {}, { cookie })).status).toBe(303);
  return { ...m, cookie, resetPath: link!, email: `${m.handle}@creators.test` };
}

// Most tests here sign a creator in through the mailed link: a password hashed at full strength, about a
// second, and several seconds when CI runs other files beside this one. 5 s was the edge.
vi.setConfig({ testTimeout: 15_000 });

afterEach(() => {
  vi.restoreAllMocks();
  setTransport(logTransport);
});

describe('invites', () => {
  it('lead to a link mailed to the creator, which sets the password and signs in with a hardened cookie; Accept on home activates the enrollment', async () => {
    const m = await createMoneyBrand({ accepted: false });
    const invite = await json<{ data: { inviteUrl: string; expiresAt: string } }>(await m.brand.api('POST', `/api/admin/creators/${m.creator.id}/invite`));
    const token = invite.data.inviteUrl.split('/invite/')[1]!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 random bits
    const page = await get(`/invite/${token}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Email me the link');
    // The invite itself sets nothing: its old password form lands back on the page.
    const direct = await post(`/invite/${token}`, { password: PASSWORD, confirm: PASSWORD });
    expect([direct.status, direct.headers.get('location'), direct.headers.get('set-cookie')]).toEqual([303, `/invite/${token}`, null]);
    const { res: sentPage, link, to } = await mailedLink(`/invite/${token}`);
    expect(sentPage.status).toBe(200);
    expect(await sentPage.text()).not.toContain('/reset/'); // the link goes to the inbox only
    expect(to).toBe(`${m.handle}@creators.test`);
    expect(await (await get(link!)).text()).toContain('Welcome to Chorus');
    const res = await post(link!, { password: PASSWORD, confirm: PASSWORD });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/?welcome=1');
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^__Host-chorus_session=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/Secure/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).not.toMatch(/Domain=/i);
    // The password accepts nothing: home names the brand and asks.
    const sessionOnly = cookie.split(';')[0]!;
    expect(await rowCount("SELECT count(*) AS n FROM enrollments WHERE id = ? AND status = 'invited'", m.enrollment.id)).toBe(1);
    const welcome = await (await get('/?welcome=1', sessionOnly)).text();
    expect(welcome).toContain('Accept an invitation below');
    expect(welcome).toContain(`action="/invitations/${m.enrollment.id}/accept"`);
    expect((await post(`/invitations/${m.enrollment.id}/accept`, {}, { cookie: sessionOnly })).status).toBe(303);
    expect(await rowCount("SELECT count(*) AS n FROM enrollments WHERE id = ? AND status = 'active' AND active_since >= ?", m.enrollment.id, Date.now() - 60_000)).toBe(1); // active from now: a late acceptance is not a stall
    expect(await rowCount('SELECT count(*) AS n FROM brand_creators WHERE creator_id = ? AND accepted_at IS NOT NULL', m.creator.id)).toBe(1);
    // With a password set, the invite's page is the same (its brand holds the link): sign in, or have a link mailed.
    const again = await get(`/invite/${token}`);
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('href="/login?next=/"');
    const home = await get('/', sessionCookie(res));
    expect(home.status).toBe(200);
    expect(await home.text()).toContain(m.code);
  });

  it('cannot be used twice, after expiry, or with a short password', async () => {
    const m = await createMoneyBrand();
    const invite = await invitePath(m.brand, m.creator.id);
    const { link } = await mailedLink(invite);
    expect((await post(link!, { password: 'short', confirm: 'short' })).status).toBe(422);
    expect((await post(link!, { password: PASSWORD, confirm: `${PASSWORD}x` })).status).toBe(422);
    await env.DB.prepare('UPDATE account_tokens SET expires_at = ? WHERE creator_id = ? AND used_at IS NULL').bind(Date.now() - 1, m.creator.id).run();
    for (const path of [invite, link!]) {
      expect((await get(path)).status).toBe(410);
      expect((await post(path, { password: PASSWORD, confirm: PASSWORD })).status).toBe(path === invite ? 303 : 410);
    }
    expect((await post(`${invite}/email`, {})).status).toBe(410);
    expect((await get('/invite/not-a-token')).status).toBe(410);
    const fresh = (await mailedLink(await invitePath(m.brand, m.creator.id))).link!;
    expect((await post(fresh, { password: PASSWORD, confirm: PASSWORD })).status).toBe(303);
    expect((await post(fresh, { password: 'another long password', confirm: 'another long password' })).status).toBe(410);
  });

  it('lets only one of several concurrent submissions of the same link win', async () => {
    const m = await createMoneyBrand();
    const { link } = await mailedLink(await invitePath(m.brand, m.creator.id));
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => post(link!, { password: `${PASSWORD} ${i}`, confirm: `${PASSWORD} ${i}` })));
    expect(results.filter((r) => r.status === 303)).toHaveLength(1);
  });

  it('never let a brand set or replace a password: not first, not for a shared account, not with an older link', async () => {
    // Brand A adds an email first and opens its own invite: it can only have a link mailed to that address.
    const a = await createMoneyBrand();
    const email = `${a.handle}@creators.test`;
    const aInvite = await invitePath(a.brand, a.creator.id);
    const b = await createBrand();
    expect((await b.api('POST', '/api/admin/creators', { email, handle: a.handle, displayName: 'Not Sarah' })).status).toBe(201);
    const bInvite = await invitePath(b, a.creator.id);
    const earlier: string[] = [];
    for (const path of [aInvite, bInvite]) {
      expect((await post(path, { password: 'a password the brand chose', confirm: 'a password the brand chose' })).headers.get('set-cookie')).toBeNull();
      const mailed = await mailedLink(path);
      expect(mailed.to).toBe(email);
      earlier.push(mailed.link!);
    }
    expect(await rowCount('SELECT count(*) AS n FROM creators WHERE id = ? AND password_hash IS NULL', a.creator.id)).toBe(1);
    // The creator sets it from the mail: every other password link closes, and every invite, old or new,
    // leads to sign-in (where she accepts or declines each brand).
    const { link } = await mailedLink(bInvite);
    expect((await post(link!, { password: PASSWORD, confirm: PASSWORD })).status).toBe(303);
    for (const old of earlier) expect((await get(old)).status).toBe(410);
    // And any invite, old or new, of either brand, reads as before: sign in, or a link mailed to her own
    // address. No brand can set the password or tell that the account has one.
    for (const path of [aInvite, await invitePath(a.brand, a.creator.id), await invitePath(b, a.creator.id)]) {
      const page = await get(path);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('Email me the link');
      expect((await post(path, { password: 'a password the brand chose', confirm: 'a password the brand chose' })).headers.get('set-cookie')).toBeNull();
    }
    expect((await mailedLink(await invitePath(b, a.creator.id))).to).toBe(email);
    expect((await post('/login', { email, password: PASSWORD })).status).toBe(303);
  });

  it('mail at most a few links a day to one address, and a few a minute, whoever asks', async () => {
    const m = await createMoneyBrand();
    const invite = await invitePath(m.brand, m.creator.id);
    await inOneRateWindow();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await mailedLink(invite)).res.status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(await rowCount("SELECT count(*) AS n FROM account_tokens WHERE creator_id = ? AND purpose = 'reset'", m.creator.id)).toBe(5);
    // The day's links are spent: the brand's reset is refused too, and nothing more is mailed.
    const sent: Message[] = [];
    setTransport(async (msg) => void sent.push(msg));
    const reset = await m.brand.api('POST', `/api/admin/creators/${m.creator.id}/password-reset`);
    expect(reset.status).toBe(429);
    expect(reset.headers.get('retry-after')).toBeTruthy();
    expect(sent).toHaveLength(0);
    // Counted per brand: another brand that adds the same email spends its own allowance, not the creator's
    // with the first, so it cannot lock them out of their invite.
    const other = await createBrand();
    await other.api('POST', '/api/admin/creators', { email: `${m.handle}@creators.test`, handle: m.handle, displayName: 'Sarah' });
    expect((await other.api('POST', `/api/admin/creators/${m.creator.id}/password-reset`)).status).toBe(201);
    expect(sent).toHaveLength(1);
  }, RATE_WINDOW_TEST_TIMEOUT_MS);

  it("mail at most a thousand links a day for one brand, so a roster of strangers' addresses cannot be spammed", async () => {
    const m = await createMoneyBrand();
    const invite = await invitePath(m.brand, m.creator.id);
    // Another creator of the brand has had the day's links already (stored as the mails would have left them).
    const other = await json<{ data: { id: string } }>(await m.brand.api('POST', '/api/admin/creators', { email: `bulk_${m.handle}@creators.test`, handle: `bulk_${m.handle}`.slice(0, 30), displayName: 'Bulk' }));
    const now = Date.now();
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
       INSERT INTO account_tokens (token_hash, purpose, creator_id, brand_id, expires_at, created_at) SELECT 'sent-' || i || '-' || ?, 'reset', ?, ?, ?, ? FROM n`,
    )
      .bind(MAX_MAILED_LINKS_PER_BRAND_PER_DAY, m.creator.id, other.data.id, m.brand.brandId, now + 3_600_000, now - 60_000)
      .run();
    const sent: Message[] = [];
    setTransport(async (msg) => void sent.push(msg));
    const reset = await m.brand.api('POST', `/api/admin/creators/${m.creator.id}/password-reset`);
    expect(reset.status).toBe(429);
    expect((await json<{ error: { message: string } }>(reset)).error.message).toContain('This brand has mailed 1000');
    const page = await post(`${invite}/email`, {}, { ip: freshIp() });
    expect(page.status).toBe(429);
    expect(await page.text()).toContain('The brand that invited you');
    expect(sent).toHaveLength(0);
    expect(await rowCount("SELECT count(*) AS n FROM account_tokens WHERE creator_id = ? AND purpose = 'reset'", m.creator.id)).toBe(0);
    // Another brand's allowance is its own; and a day later this brand's is back.
    const elsewhere = await createBrand();
    await elsewhere.api('POST', '/api/admin/creators', { email: `${m.handle}@creators.test`, handle: m.handle, displayName: 'Sarah' });
    expect((await elsewhere.api('POST', `/api/admin/creators/${m.creator.id}/password-reset`)).status).toBe(201);
    await env.DB.prepare('UPDATE account_tokens SET created_at = created_at - 86400000 WHERE creator_id = ?').bind(other.data.id).run();
    expect((await m.brand.api('POST', `/api/admin/creators/${m.creator.id}/password-reset`)).status).toBe(201);
    expect(sent).toHaveLength(2);
  });

  it("say so when the mail certainly did not leave, keep no link and spend none of the day's allowance", async () => {
    const m = await createMoneyBrand();
    const invite = await invitePath(m.brand, m.creator.id);
    const resets = () => rowCount("SELECT count(*) AS n FROM account_tokens WHERE creator_id = ? AND purpose = 'reset'", m.creator.id);
    const audits = () => rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'creator.password_reset_sent'", m.brand.brandId);
    // The provider refuses (a fault injected here; test/e2e/mail.test.ts drives a real HTTP provider).
    const tried: Message[] = [];
    setTransport(async (msg) => {
      tried.push(msg);
      throw new MailError('refused', 'provider refused');
    });
    const page = await post(`${invite}/email`, {}, { ip: freshIp() });
    expect(page.status).toBe(503);
    expect(page.headers.get('retry-after')).toBe('60');
    const html = await page.text();
    expect(html).toContain('We could not send the email just now. Nothing was sent; try again in a minute.');
    expect(html).not.toContain('/reset/');
    const api = await m.brand.api('POST', `/api/admin/creators/${m.creator.id}/password-reset`);
    expect(api.status).toBe(503);
    expect(api.headers.get('retry-after')).toBe('60');
    expect((await json<{ error: { code: string } }>(api)).error.code).toBe('mail_unavailable');
    expect(tried).toHaveLength(2);
    expect(await resets()).toBe(0);
    expect(await audits()).toBe(0);
    // No provider at all (a deploy without MAIL_API_KEY): the page says whom to ask.
    setTransport(async () => {
      throw new MailError('not_configured', 'Set MAIL_API_KEY');
    });
    const unconfigured = await post(`${invite}/email`, {}, { ip: freshIp() });
    expect(unconfigured.status).toBe(503);
    expect(await unconfigured.text()).toContain('This Chorus cannot send email yet.');
    const apiUnconfigured = await m.brand.api('POST', `/api/admin/creators/${m.creator.id}/password-reset`);
    expect((await json<{ error: { code: string; message: string } }>(apiUnconfigured)).error).toMatchObject({ code: 'mail_unavailable', message: expect.stringContaining('MAIL_API_KEY') });
    expect(await resets()).toBe(0);
    // Once mail flows again, the mailed link works and the full day's allowance is there.
    const { res, link } = await mailedLink(invite);
    expect(res.status).toBe(200);
    expect((await get(link!)).status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await m.brand.api('POST', `/api/admin/creators/${m.creator.id}/password-reset`)).status);
    expect(statuses).toEqual([201, 201, 201, 201, 429]);
    expect(await resets()).toBe(5);
  });

  it('keep and count a link the provider did not confirm, since it may be in the inbox, and say to look first', async () => {
    const m = await createMoneyBrand();
    const invite = await invitePath(m.brand, m.creator.id);
    const mailed: Message[] = [];
    // The provider took the mail but its answer was lost (a timeout); any other transport failure counts the same.
    for (const failure of [new MailError('unconfirmed', 'no answer'), new TypeError('fetch failed')]) {
      setTransport(async (msg) => {
        mailed.push(msg);
        throw failure;
      });
      const page = await post(`${invite}/email`, {}, { ip: freshIp() });
      expect(page.status).toBe(202);
      expect(await page.text()).toContain('our mail provider did not confirm it. It may still arrive');
    }
    const api = await m.brand.api('POST', `/api/admin/creators/${m.creator.id}/password-reset`);
    expect(api.status).toBe(202);
    expect((await json<{ data: { sent: boolean; confirmed: boolean } }>(api)).data).toMatchObject({ sent: true, confirmed: false });
    expect(await rowCount("SELECT count(*) AS n FROM account_tokens WHERE creator_id = ? AND purpose = 'reset'", m.creator.id)).toBe(3);
    // The link in the mail that did arrive works.
    const link = new URL(/https?:\/\/\S+/.exec(mailed[0]!.text)![0]).pathname;
    expect((await get(link)).status).toBe(200);
  });

  it('answers a crafted invite path with 410, never a 500', async () => {
    for (const path of ['/invite/abc%0d%0aSet-Cookie:%20x=1', '/invite/%E2%80%AE', `/invite/${'A'.repeat(44)}`]) {
      expect((await post(path, {})).status, path).toBe(410);
      expect((await get(path)).status, path).toBe(410);
    }
  });
});

describe('sign-in', () => {
  it('signs in with the right password and fails generically otherwise', async () => {
    const m = await signedInCreator();
    const ok = await post('/login', { email: m.email.toUpperCase(), password: PASSWORD, next: '/earnings' });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/earnings');
    const wrong = await post('/login', { email: m.email, password: 'wrong password!' });
    const unknown = await post('/login', { email: 'nobody@creators.test', password: 'wrong password!' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const message = (html: string) => /<div class="notice notice-error"[^>]*>([\s\S]*?)<\/div>/.exec(html)?.[1];
    expect(message(await wrong.text())).toBe(message(await unknown.text()));
  });

  it('never redirects off-site after sign-in', async () => {
    const m = await signedInCreator();
    for (const next of ['//evil.example/', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)']) {
      const res = await post('/login', { email: m.email, password: PASSWORD, next });
      expect(res.headers.get('location')).toBe('/');
    }
  });

  it('rate-limits per account and per IP before hashing any password', async () => {
    const m = await signedInCreator();
    const derive = vi.spyOn(crypto.subtle, 'deriveBits');
    const statuses: number[] = [];
    await inOneRateWindow();
    for (let i = 0; i < 8; i++) statuses.push((await post('/login', { email: m.email, password: `guess number ${i}` })).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
    expect(derive).toHaveBeenCalledTimes(5); // the throttled attempts cost no PBKDF2
    const ip = freshIp();
    const byIp: number[] = [];
    for (let i = 0; i < 22; i++) byIp.push((await post('/login', { email: `spray${i}@creators.test`, password: 'x' }, { ip })).status);
    expect(byIp.filter((s) => s === 429)).toHaveLength(2);
    expect(derive).toHaveBeenCalledTimes(25);
  }, RATE_WINDOW_TEST_TIMEOUT_MS);
});

describe('passwords', () => {
  it('hashes with PBKDF2-SHA256 at 100,000 iterations and refuses more, hashing or verifying', async () => {
    const stored = await hashPassword('correct horse battery');
    expect(stored).toMatch(/^pbkdf2_sha256\$100000\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await verifyPassword('correct horse battery', stored)).toBe(true);
    expect(await verifyPassword('correct horse batterx', stored)).toBe(false);
    await expect(hashPassword('x', MAX_PBKDF2_ITERATIONS + 1)).rejects.toThrow(RangeError);
    // Local workerd would happily run 200,000 iterations; production refuses, so we never ask.
    const derive = vi.spyOn(crypto.subtle, 'deriveBits');
    const tooMany = stored.replace('$100000$', '$200000$');
    expect(await verifyPassword('correct horse battery', tooMany)).toBe(false);
    expect(derive).not.toHaveBeenCalled();
    expect(await hashPassword('a', 1)).not.toBe(await hashPassword('a', 1)); // per-user salt
  });
});

describe('sessions', () => {
  const secret = () => new TextEncoder().encode(env.SESSION_SECRET);
  const claims = (creatorId: string, sessionId: string) => ({ typ: 'creator', sub: creatorId, jti: sessionId });

  async function sessionIdOf(cookie: string): Promise<{ sub: string; jti: string }> {
    const payload = JSON.parse(atob(cookie.split('=')[1]!.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')));
    return { sub: payload.sub, jti: payload.jti };
  }

  async function rejected(cookie: string) {
    const res = await get('/', cookie);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login?next=%2F');
  }

  it('rejects expired, tampered, wrong-alg, alg:none and wrong-audience tokens', async () => {
    const m = await signedInCreator();
    const { sub, jti } = await sessionIdOf(m.cookie);
    const build = (alg: 'HS256' | 'HS512', aud: string, exp: number) =>
      new SignJWT(claims(sub, jti)).setProtectedHeader({ alg }).setIssuer('chorus').setAudience(aud).setIssuedAt().setExpirationTime(exp).sign(secret());
    const now = Math.floor(Date.now() / 1000);
    expect((await get('/', `${SESSION_COOKIE}=${await build('HS256', 'chorus-portal', now + 600)}`)).status).toBe(200); // control
    await rejected(`${SESSION_COOKIE}=${await build('HS256', 'chorus-portal', now - 10)}`);
    await rejected(`${SESSION_COOKIE}=${await build('HS512', 'chorus-portal', now + 600)}`);
    await rejected(`${SESSION_COOKIE}=${await build('HS256', 'chorus-console', now + 600)}`);
    const [header, payload, signature] = m.cookie.split('=')[1]!.split('.');
    const forged = JSON.parse(atob(payload!.replace(/-/g, '+').replace(/_/g, '/')));
    forged.sub = 'cr_someone_else';
    const enc = (o: unknown) => base64url(new TextEncoder().encode(JSON.stringify(o)));
    await rejected(`${SESSION_COOKIE}=${header}.${enc(forged)}.${signature}`);
    await rejected(`${SESSION_COOKIE}=${enc({ alg: 'none', typ: 'JWT' })}.${payload}.`);
    await rejected(`${SESSION_COOKIE}=garbage`);
  });

  it('ends the session a browser held when it signs in again', async () => {
    const m = await signedInCreator();
    const fresh = await post('/login', { email: m.email, password: PASSWORD }, { cookie: m.cookie });
    expect(fresh.status).toBe(303);
    expect((await get('/', sessionCookie(fresh))).status).toBe(200);
    await rejected(m.cookie);
  });

  it('is revoked by sign-out and by a password reset', async () => {
    const m = await signedInCreator();
    expect((await get('/', m.cookie)).status).toBe(200);
    const out = await post('/logout', {}, { cookie: m.cookie });
    expect(out.status).toBe(303);
    await rejected(m.cookie);

    const again = sessionCookie(await post('/login', { email: m.email, password: PASSWORD }));
    const sent: Message[] = [];
    setTransport(async (msg) => void sent.push(msg));
    expect((await m.brand.api('POST', `/api/admin/creators/${m.creator.id}/password-reset`)).status).toBe(201);
    const reset = await m.brand.api('POST', `/api/admin/creators/${m.creator.id}/password-reset`);
    expect(JSON.stringify(await reset.json())).not.toContain('/reset/'); // only the creator receives the link
    expect(sent[0]!.to).toBe(m.email);
    const path = new URL(/https?:\/\/\S+/.exec(sent[0]!.text)![0]).pathname;
    expect((await post(path, { password: 'a brand new password', confirm: 'a brand new password' })).status).toBe(303);
    await rejected(again);
    expect((await post('/login', { email: m.email, password: PASSWORD })).status).toBe(401);
    expect((await post(path, { password: 'yet another password', confirm: 'yet another password' })).status).toBe(410);
  });
});

describe('origin checks', () => {
  it('refuses state-changing forms from another origin or without one', async () => {
    const m = await signedInCreator();
    for (const origin of ['https://evil.example', 'null', null]) {
      const res = await post('/login', { email: m.email, password: PASSWORD }, { origin });
      expect(res.status).toBe(403);
      expect(res.headers.get('set-cookie')).toBeNull();
    }
    const sameSite = await SELF.fetch(`${BASE}/logout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin', cookie: m.cookie }, redirect: 'manual' });
    expect(sameSite.status).toBe(303);
  });
});

describe('submissions', () => {
  const draft = (enrollmentId: string, caption: string) => ({ enrollmentId, storyFormat: 'day_in_the_life', draftUrl: 'https://drive.example/draft', caption });

  async function submit(m: Awaited<ReturnType<typeof signedInCreator>>, caption = 'Morning routine #Glow #ad', confirm = false) {
    const res = await post('/submissions', { ...draft(m.enrollment.id, caption), ...(confirm ? { confirm: '1' } : {}) }, { cookie: m.cookie });
    return res;
  }

  async function submissionId(m: Awaited<ReturnType<typeof signedInCreator>>) {
    const res = await submit(m);
    expect(res.status).toBe(303);
    return res.headers.get('location')!.split('/')[2]!.split('?')[0]!;
  }

  it('warns about a missing disclosure before storing anything, and records it for the reviewer if sent anyway', async () => {
    const m = await signedInCreator();
    const warned = await submit(m, 'Morning routine #Glow');
    expect(warned.status).toBe(200);
    const html = await warned.text();
    expect(html).toContain('missing something the brief requires');
    expect(html).toContain('Submit anyway');
    expect(await rowCount('SELECT count(*) AS n FROM submissions WHERE enrollment_id = ?', m.enrollment.id)).toBe(0);
    expect((await submit(m, 'Morning routine #Glow', true)).status).toBe(303);
    const flagged = await json<{ data: { compliance: { hashtag: boolean; disclosure: boolean } }[] }>(await m.brand.api('GET', '/api/admin/submissions?compliance=flagged'));
    expect(flagged.data.map((s) => s.compliance)).toEqual([{ hashtag: true, disclosure: false }]);
  });

  it('rejects hostile drafts with 422 and stores nothing', async () => {
    const m = await signedInCreator();
    for (const body of [
      draft(m.enrollment.id, ''),
      { ...draft(m.enrollment.id, 'ok #Glow #ad'), draftUrl: 'javascript:alert(1)' },
      { ...draft(m.enrollment.id, 'ok #Glow #ad'), draftUrl: 'http://drive.example/x' },
      { ...draft(m.enrollment.id, 'x'.repeat(2201)) },
      { ...draft(m.enrollment.id, 'ok #Glow #ad'), storyFormat: 'unboxing' },
    ]) {
      expect((await post('/submissions', body, { cookie: m.cookie })).status).toBe(422);
    }
    expect(await rowCount('SELECT count(*) AS n FROM submissions WHERE enrollment_id = ?', m.enrollment.id)).toBe(0);
  });

  it('walks every legal transition and answers illegal ones with 409', async () => {
    const m = await signedInCreator({ paymentModel: 'flat' });
    await env.DB.prepare('UPDATE enrollments SET flat_fee_minor = 25000 WHERE id = ?').bind(m.enrollment.id).run();
    const id = await submissionId(m);
    const admin = (action: string, body: unknown = {}) => m.brand.api('POST', `/api/admin/submissions/${id}/${action}`, body);
    const status = async () => (await env.DB.prepare('SELECT status FROM submissions WHERE id = ?').bind(id).first<{ status: string }>())?.status;

    expect((await admin('mark-live', { postUrl: 'https://instagram.com/p/x' })).status).toBe(409); // submitted → live
    expect((await post(`/submissions/${id}/resubmit`, draft(m.enrollment.id, 'x #Glow #ad'), { cookie: m.cookie })).status).toBe(409); // not asked for changes
    expect((await admin('request-changes', {})).status).toBe(422); // a note is required
    expect((await admin('request-changes', { note: 'Show the texture closer.' })).status).toBe(200);
    expect(await status()).toBe('changes_requested');
    expect((await admin('approve')).status).toBe(409); // changes_requested → approved
    const resubmitted = await post(`/submissions/${id}/resubmit`, draft(m.enrollment.id, 'Closer texture #Glow #ad'), { cookie: m.cookie });
    expect(resubmitted.status).toBe(303);
    expect(await status()).toBe('submitted');
    expect((await admin('approve', { note: 'Lovely.' })).status).toBe(200);
    expect((await admin('approve')).status).toBe(409);
    expect((await admin('reject')).status).toBe(409); // approved → rejected
    // An http:// link is refused, and the form comes back with everything typed still in it.
    const refused = await post(`/submissions/${id}/live`, { postUrl: 'http://instagram.com/p/abc', views: '1200', likes: '90' }, { cookie: m.cookie });
    expect(refused.status).toBe(422);
    const form = await refused.text();
    expect(form).toContain('value="http://instagram.com/p/abc"');
    expect(form).toMatch(/id="views"[^>]*value="1200"/);
    expect(form).toMatch(/id="likes"[^>]*value="90"/);
    expect(await status()).toBe('approved');
    const live = await post(`/submissions/${id}/live`, { postUrl: 'https://www.instagram.com/p/abc', views: '1200', likes: '90', comments: '12', saves: '30', shares: '4' }, { cookie: m.cookie });
    expect(live.status).toBe(303);
    expect(await status()).toBe('live');
    expect((await admin('mark-live', { postUrl: 'https://instagram.com/p/x' })).status).toBe(409); // already live
    const fee = await env.DB.prepare("SELECT amount_minor FROM ledger_entries WHERE submission_id = ? AND kind = 'flat_fee'").bind(id).all();
    expect(fee.results).toEqual([{ amount_minor: 25000 }]);
    await post(`/submissions/${id}/live`, { postUrl: 'https://www.instagram.com/p/abc', views: '5000' }, { cookie: m.cookie });
    expect(await rowCount("SELECT views AS n FROM submissions WHERE id = ?", id)).toBe(5000);
    expect(await rowCount("SELECT count(*) AS n FROM ledger_entries WHERE submission_id = ?", id)).toBe(1);
    const events = await env.DB.prepare('SELECT to_status FROM submission_events WHERE submission_id = ? ORDER BY at, rowid').bind(id).all<{ to_status: string }>();
    expect(events.results.map((e) => e.to_status)).toEqual(['submitted', 'changes_requested', 'submitted', 'approved', 'live']);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action LIKE 'submission.%'", id)).toBe(5);

    const second = await submissionId(m);
    expect((await m.brand.api('POST', `/api/admin/submissions/${second}/reject`, { note: 'Off brief.' })).status).toBe(200);
    expect((await m.brand.api('POST', `/api/admin/submissions/${second}/approve`, {})).status).toBe(409);
  });

  it('takes a double-clicked draft once, and pays one flat fee per post however many submissions carry it', async () => {
    const m = await signedInCreator({ paymentModel: 'flat' });
    await env.DB.prepare('UPDATE enrollments SET flat_fee_minor = 25000 WHERE id = ?').bind(m.enrollment.id).run();
    const clicks = await Promise.all([submit(m), submit(m)]);
    const ids = clicks.map((r) => r.headers.get('location')!.split('/')[2]!.split('?')[0]!);
    expect(new Set(ids).size).toBe(1);
    expect(await rowCount('SELECT count(*) AS n FROM submissions WHERE enrollment_id = ?', m.enrollment.id)).toBe(1);
    expect(await rowCount('SELECT count(*) AS n FROM submission_events WHERE submission_id = ?', ids[0])).toBe(1);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'submission.submitted'", ids[0])).toBe(1);

    // A second draft, both approved: the same post cannot go live on both.
    const other = await post('/submissions', { ...draft(m.enrollment.id, 'Evening routine #Glow #ad'), draftUrl: 'https://drive.example/draft-2' }, { cookie: m.cookie });
    const second = other.headers.get('location')!.split('/')[2]!.split('?')[0]!;
    for (const id of [ids[0], second]) expect((await m.brand.api('POST', `/api/admin/submissions/${id}/approve`, {})).status).toBe(200);
    expect((await post(`/submissions/${ids[0]}/live`, { postUrl: 'https://www.instagram.com/p/the-one-post' }, { cookie: m.cookie })).status).toBe(303);
    const again = await post(`/submissions/${second}/live`, { postUrl: 'https://instagram.com/p/the-one-post/?igsh=MWZ4dGZ5#comments' }, { cookie: m.cookie });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('already live on another of your submissions');
    const byApi = await m.brand.api('POST', `/api/admin/submissions/${second}/mark-live`, { postUrl: 'https://m.instagram.com/p/the-one-post/' });
    expect(byApi.status).toBe(409);
    expect((await json<{ error: { code: string } }>(byApi)).error.code).toBe('post_already_live');
    const fees = await env.DB.prepare("SELECT SUM(amount_minor) AS total, COUNT(*) AS n FROM ledger_entries WHERE enrollment_id = ? AND kind = 'flat_fee'").bind(m.enrollment.id).first();
    expect(fees).toEqual({ total: 25000, n: 1 });
    // Its own post goes live as usual; YouTube names its videos in ?v=, so two videos are two posts.
    expect((await m.brand.api('POST', `/api/admin/submissions/${second}/mark-live`, { postUrl: 'https://www.youtube.com/watch?v=abc123&t=4s' })).status).toBe(200);
    const third = await post('/submissions', { ...draft(m.enrollment.id, 'Night routine #Glow #ad'), draftUrl: 'https://drive.example/draft-3' }, { cookie: m.cookie });
    const thirdId = third.headers.get('location')!.split('/')[2]!.split('?')[0]!;
    expect((await m.brand.api('POST', `/api/admin/submissions/${thirdId}/approve`, {})).status).toBe(200);
    expect((await m.brand.api('POST', `/api/admin/submissions/${thirdId}/mark-live`, { postUrl: 'https://youtube.com/watch?v=abc123' })).status).toBe(409);
    expect((await m.brand.api('POST', `/api/admin/submissions/${thirdId}/mark-live`, { postUrl: 'https://youtube.com/watch?v=def456' })).status).toBe(200);
  });

  it('has a creator in several campaigns pick one first, so the form shows that campaign\'s formats and rules', async () => {
    const m = await signedInCreator();
    const other = await json<{ data: { id: string } }>(
      await m.brand.api('POST', '/api/admin/campaigns', { name: 'Night Balm', slug: `night-${m.handle}`.replace(/_/g, '-').slice(0, 60), hashtag: '#NightBalm', storyFormats: ['before_after'], defaultDestination: 'https://shop.example/night' }),
    );
    const enrollment = await json<{ data: { id: string } }>(await m.brand.api('POST', '/api/admin/enrollments', { campaignId: other.data.id, creatorId: m.creator.id, paymentModel: 'affiliate', status: 'active' }));
    const picker = await (await get('/submissions/new', m.cookie)).text();
    expect(picker).toContain('Which campaign is this draft for?');
    expect(picker).not.toContain('name="caption"');
    const form = await (await get(`/submissions/new?enrollment=${enrollment.data.id}`, m.cookie)).text();
    expect(form).toContain(`name="enrollmentId" value="${enrollment.data.id}"`);
    expect(form).toContain('<code>#NightBalm</code>');
    expect(form).toContain('value="before_after"');
    expect(form).not.toContain('value="day_in_the_life"');
    expect(form).toContain('href="/submissions/new">Change</a>');
    // A refused draft comes back on the same campaign's form.
    const refused = await post('/submissions', { enrollmentId: enrollment.data.id, storyFormat: 'day_in_the_life', draftUrl: 'https://drive.example/d', caption: '#NightBalm #ad' }, { cookie: m.cookie });
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain('<code>#NightBalm</code>');
  });

  it('keeps a different draft that shares a folder link, and a new draft beside one sent back for changes', async () => {
    const m = await signedInCreator();
    const first = await submissionId(m);
    const idOf = (res: Response) => res.headers.get('location')!.split('/')[2]!.split('?')[0]!;
    const otherFormat = await post('/submissions', { ...draft(m.enrollment.id, 'Before and after #Glow #ad'), storyFormat: 'before_after' }, { cookie: m.cookie });
    expect(otherFormat.status).toBe(303);
    expect(idOf(otherFormat)).not.toBe(first);
    expect((await m.brand.api('POST', `/api/admin/submissions/${first}/request-changes`, { note: 'Closer on the texture.' })).status).toBe(200);
    const fresh = await submit(m); // the same link, format and caption as the draft sent back
    expect(idOf(fresh)).not.toBe(first);
    expect(await rowCount("SELECT count(*) AS n FROM submissions WHERE enrollment_id = ? AND status = 'submitted'", m.enrollment.id)).toBe(2);
  });

  it("keeps a live post's link: only its numbers change from the portal", async () => {
    const m = await signedInCreator({ paymentModel: 'flat' });
    const id = await submissionId(m);
    expect((await m.brand.api('POST', `/api/admin/submissions/${id}/approve`, {})).status).toBe(200);
    expect((await post(`/submissions/${id}/live`, { postUrl: 'https://www.instagram.com/p/approved-post' }, { cookie: m.cookie })).status).toBe(303);
    const page = await (await get(`/submissions/${id}`, m.cookie)).text();
    expect(page).not.toContain('name="postUrl"');
    expect(page).toContain('Update numbers');
    const swap = await post(`/submissions/${id}/live`, { postUrl: 'https://evil.example/some-other-post', views: '4200' }, { cookie: m.cookie });
    expect(swap.status).toBe(303);
    expect(await env.DB.prepare('SELECT post_url, views FROM submissions WHERE id = ?').bind(id).first()).toEqual({ post_url: 'https://www.instagram.com/p/approved-post', views: 4200 });
    expect((await post(`/submissions/${id}/live`, { views: '-1' }, { cookie: m.cookie })).status).toBe(422);
  });

  it('checks a revision against the story formats the campaign offers, as a first draft is', async () => {
    const m = await signedInCreator();
    const id = await submissionId(m);
    expect((await m.brand.api('POST', `/api/admin/submissions/${id}/request-changes`, { note: 'Closer.' })).status).toBe(200);
    const res = await post(`/submissions/${id}/resubmit`, { ...draft(m.enrollment.id, 'Closer #Glow #ad'), storyFormat: 'unboxing' }, { cookie: m.cookie });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('Pick one of the story formats');
    expect(await env.DB.prepare('SELECT status, story_format FROM submissions WHERE id = ?').bind(id).first()).toEqual({ status: 'changes_requested', story_format: 'day_in_the_life' });
  });

  it("shows the latest review's note: an approval without one clears an old change request", async () => {
    const m = await signedInCreator();
    const id = await submissionId(m);
    expect((await m.brand.api('POST', `/api/admin/submissions/${id}/request-changes`, { note: 'OLD-CHANGE-REQUEST' })).status).toBe(200);
    expect((await post(`/submissions/${id}/resubmit`, draft(m.enrollment.id, 'Closer #Glow #ad'), { cookie: m.cookie })).status).toBe(303);
    const notes = async () => /Reviewer(?:'|&#39;)s notes[\s\S]*?<\/p>/.exec(await (await get(`/submissions/${id}`, m.cookie)).text())?.[0] ?? '';
    expect(await notes()).toContain('OLD-CHANGE-REQUEST'); // beside the revision, the request it answers
    expect((await m.brand.api('POST', `/api/admin/submissions/${id}/approve`, {})).status).toBe(200);
    expect(await notes()).toBe(''); // the timeline keeps it as history
    expect(await env.DB.prepare('SELECT review_notes FROM submissions WHERE id = ?').bind(id).first('review_notes')).toBeNull();
    // Going live is not a review decision: the approval's note stays.
    const next = await submissionId(m);
    expect((await m.brand.api('POST', `/api/admin/submissions/${next}/approve`, { note: 'Post it Tuesday 9am.' })).status).toBe(200);
    const live = await m.brand.api('POST', `/api/admin/submissions/${next}/mark-live`, { postUrl: 'https://www.instagram.com/p/xyz' });
    expect((await json<{ data: { reviewNotes: string | null } }>(live)).data.reviewNotes).toBe('Post it Tuesday 9am.');
  });
});

describe('tenancy', () => {
  it("never shows or changes another creator's data, and keeps creators out of the admin API", async () => {
    const a = await signedInCreator();
    const b = await signedInCreator();
    const created = await post('/submissions', { enrollmentId: a.enrollment.id, storyFormat: 'before_after', draftUrl: 'https://drive.example/secret-a', caption: 'Secret caption of A #Glow #ad' }, { cookie: a.cookie });
    const aSubmission = created.headers.get('location')!.split('/')[2]!.split('?')[0]!;
    for (const path of [`/submissions/${aSubmission}`, `/brief/${a.enrollment.id}`, `/submissions/${aSubmission}/edit`]) {
      const res = await get(path, b.cookie);
      expect(res.status).toBe(404);
      const text = await res.text();
      expect(text).not.toContain('Secret caption of A');
      expect(text).not.toContain(a.handle);
    }
    const writes = [
      await post(`/submissions/${aSubmission}/live`, { postUrl: 'https://instagram.com/p/x' }, { cookie: b.cookie }),
      await post(`/submissions/${aSubmission}/resubmit`, { enrollmentId: a.enrollment.id, storyFormat: 'before_after', draftUrl: 'https://x.example/', caption: 'hijack #Glow #ad' }, { cookie: b.cookie }),
      await post('/submissions', { enrollmentId: a.enrollment.id, storyFormat: 'before_after', draftUrl: 'https://x.example/', caption: 'as A #Glow #ad' }, { cookie: b.cookie }),
    ];
    for (const res of writes) expect(res.status).toBe(404);
    expect(await rowCount('SELECT count(*) AS n FROM submissions WHERE enrollment_id = ?', a.enrollment.id)).toBe(1);
    const home = await (await get('/', b.cookie)).text();
    expect(home).not.toContain(a.code);
    expect(home).not.toContain(a.handle);
    const admin = await SELF.fetch(`${BASE}/api/admin/campaigns`, { headers: { cookie: b.cookie } });
    expect(admin.status).toBe(403);
    // Another brand's admin key cannot review A's submission either.
    expect((await b.brand.api('POST', `/api/admin/submissions/${aSubmission}/approve`, {})).status).toBe(404);
  });
});

describe('forgot password', () => {
  it('mails a reset link to an account that uses the address, answers an unknown address the same, and the link sets a new password', async () => {
    const m = await signedInCreator();
    const sent: Message[] = [];
    setTransport(async (msg) => void sent.push(msg));
    expect(await (await get('/login')).text()).toContain('href="/forgot"');
    expect((await get('/forgot')).status).toBe(200);
    const known = await post('/forgot', { email: ` ${m.email.toUpperCase()} ` });
    const unknown = await post('/forgot', { email: `nobody-${Date.now()}@creators.test` });
    expect([known.status, unknown.status]).toEqual([200, 200]);
    const strip = (html: string) => html.replace(/<strong>[^<]*<\/strong>/, '<strong></strong>');
    expect(strip(await known.text())).toBe(strip(await unknown.text()));
    await waitFor(async () => sent.length === 1 || undefined);
    await new Promise((r) => setTimeout(r, 50));
    expect(sent.map((x) => x.to)).toEqual([m.email]); // nothing for the unknown address
    const link = new URL(/https?:\/\/\S+/.exec(sent[0]!.text)![0]).pathname;
    expect(link).toMatch(/^\/reset\/[A-Za-z0-9_-]{43}$/);
    const reset = await post(link, { password: 'another long password', confirm: 'another long password' });
    expect([reset.status, reset.headers.get('location')]).toEqual([303, '/?welcome=1']);
    expect((await get('/', m.cookie)).status).toBe(303); // the old session was signed out
    const audit = await env.DB.prepare("SELECT actor_type, actor_id, brand_id FROM audit_log WHERE action = 'creator.password_reset_requested' AND target_id = ?").bind(m.creator.id).first();
    expect(audit).toEqual({ actor_type: 'system', actor_id: 'forgot-password', brand_id: m.brand.brandId });
  });

  it("stops short of the day's links the brand relies on, so strangers cannot use them up", async () => {
    const m = await signedInCreator(); // accepting the invite mailed one link today
    const sent: Message[] = [];
    setTransport(async (msg) => void sent.push(msg));
    for (let i = 0; i < 3; i++) expect((await post('/forgot', { email: m.email })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    expect(sent).toHaveLength(2); // 3 a day from this page, counting the invite's
    const fromBrand = await m.brand.api('POST', `/api/admin/creators/${m.creator.id}/password-reset`);
    expect(fromBrand.status).toBe(201);
    expect(await rowCount("SELECT count(*) AS n FROM account_tokens WHERE creator_id = ? AND purpose = 'reset'", m.creator.id)).toBe(4);
  });

  it('refuses a malformed address or a cross-site post, and sends nothing', async () => {
    const sent: Message[] = [];
    setTransport(async (msg) => void sent.push(msg));
    for (const email of ['', 'not-an-email', `${'a'.repeat(300)}@x.test`]) {
      const res = await post('/forgot', { email });
      expect(res.status, email.slice(0, 20)).toBe(422);
      expect(await res.text()).toContain('Enter the email address you sign in with.');
    }
    const m = await createMoneyBrand();
    expect((await post('/forgot', { email: `${m.handle}@creators.test` }, { origin: 'https://evil.example' })).status).toBe(403);
    await new Promise((r) => setTimeout(r, 50));
    expect(sent).toEqual([]);
  });
});

describe('a creator removed from a campaign', () => {
  it('is told so on the home page, with the date and where their earnings are, not that they have no campaigns yet', async () => {
    const m = await signedInCreator();
    expect((await m.brand.api('PATCH', `/api/admin/enrollments/${m.enrollment.id}`, { status: 'removed' })).status).toBe(200);
    const home = await (await get('/', m.cookie)).text();
    expect(home).toContain('No active campaigns');
    expect(home).not.toContain('No campaigns yet');
    expect(home).toContain('Campaigns you are no longer part of');
    expect(home).toMatch(/<strong>Glow<\/strong> with Test Brand: the brand ended your part on [A-Z][a-z]{2} \d{1,2}, \d{4}\./);
    expect(home).toContain('href="/earnings"');
    // Submitting a draft has nowhere to go, and says so instead of landing silently on home.
    const draft = await get('/submissions/new', m.cookie);
    expect([draft.status, draft.headers.get('location')]).toEqual([303, '/?nothing=open']);
    expect(await (await get('/?nothing=open', m.cookie)).text()).toContain('No campaign of yours is open for drafts right now.');
  });
});

describe('home page queries', () => {
  it('uses indexes for every query on the home page', async () => {
    for (const [name, sql] of Object.entries(HOME_QUERIES)) {
      const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .bind(...Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => 'x'))
        .all<{ detail: string }>();
      const plan = results.map((r) => r.detail).join('\n');
      expect(plan, `${name}:\n${plan}`).not.toMatch(/^SCAN (?!CONSTANT)/m);
    }
  });
});

describe('payout details', () => {
  it('stores payout details sealed, and refuses malformed ones', async () => {
    const m = await signedInCreator();
    expect((await post('/earnings/payout-details', { method: 'bank_transfer', account: 'not an iban' }, { cookie: m.cookie })).status).toBe(422);
    expect((await post('/earnings/payout-details', { method: 'paypal', account: 'nope' }, { cookie: m.cookie })).status).toBe(422);
    const saved = await post('/earnings/payout-details', { method: 'bank_transfer', account: 'DE89 3704 0044 0532 0130 00' }, { cookie: m.cookie });
    expect(saved.status).toBe(303);
    const row = await env.DB.prepare('SELECT payout_details_enc FROM creators WHERE id = ?').bind(m.creator.id).first<{ payout_details_enc: string }>();
    expect(row!.payout_details_enc).not.toContain('DE89');
    const { openSecret } = await import('../../../worker/lib/secrets');
    expect(JSON.parse(await openSecret(env.SECRETS_KEY, row!.payout_details_enc))).toEqual({ method: 'bank_transfer', account: 'DE89370400440532013000' });
    expect(await (await get('/earnings', m.cookie)).text()).toContain('DE89370400440532013000');
  });

  it('keeps what the creator typed when it is refused, says what is wrong, and that the details on file still stand', async () => {
    const m = await signedInCreator();
    expect((await post('/earnings/payout-details', { method: 'paypal', account: 'old@pay.example' }, { cookie: m.cookie })).status).toBe(303);
    const refused = await post('/earnings/payout-details', { method: 'bank_transfer', account: 'DE00 1234' }, { cookie: m.cookie });
    expect(refused.status).toBe(422);
    const html = await refused.text();
    expect(html).toMatch(/<input type="radio" name="method" value="bank_transfer" required="" checked=""/);
    expect(html).not.toMatch(/value="paypal" required="" checked=""/);
    expect(html).toContain('value="DE00 1234"');
    expect(html).toContain('That is not a valid IBAN');
    // Well formed, but one digit off: the check digits refuse it, as a bank would at payout time.
    expect((await post('/earnings/payout-details', { method: 'bank_transfer', account: 'DE89 3704 0044 0532 0130 02' }, { cookie: m.cookie })).status).toBe(422);
    expect(html).toContain('Not saved: payouts still go to PayPal o');
    expect(html).not.toContain('old@pay.example'); // on file, shown masked only
    // The whole entry is checked, not the bounded copy shown back: a 130-character address is refused, not cut to 120.
    expect((await post('/earnings/payout-details', { method: 'paypal', account: `${'a'.repeat(110)}@pay.example.com` }, { cookie: m.cookie })).status).toBe(422);
    const noMethod = await (await post('/earnings/payout-details', { account: 'x@y.example' }, { cookie: m.cookie })).text();
    expect(noMethod).toContain('Choose how you want to be paid');
    const { openSecret } = await import('../../../worker/lib/secrets');
    const row = await env.DB.prepare('SELECT payout_details_enc FROM creators WHERE id = ?').bind(m.creator.id).first<{ payout_details_enc: string }>();
    expect(JSON.parse(await openSecret(env.SECRETS_KEY, row!.payout_details_enc))).toEqual({ method: 'paypal', account: 'old@pay.example' });
  });

  it("tells the account's own address whenever payout details change, showing only enough to recognise them", async () => {
    const m = await signedInCreator();
    const sent: Message[] = [];
    setTransport(async (msg) => void sent.push(msg));
    const save = async (method: string, account: string) => expect((await post('/earnings/payout-details', { method, account }, { cookie: m.cookie })).status).toBe(303);
    await save('bank_transfer', 'DE89 3704 0044 0532 0130 00');
    await waitFor(async () => sent.length === 1 || undefined);
    await save('bank_transfer', 'DE89370400440532013000'); // the same account: nothing to tell
    await save('paypal', 'thief@example.net');
    await waitFor(async () => sent.length === 2 || undefined);
    await new Promise((r) => setTimeout(r, 100));
    expect(sent.map((msg) => [msg.to, msg.subject])).toEqual([
      [m.email, 'Your Chorus payout details changed'],
      [m.email, 'Your Chorus payout details changed'],
    ]);
    expect(sent[0]!.text).toContain('Bank transfer (IBAN) ••••3000');
    expect(sent[0]!.text).not.toContain('DE89');
    expect(sent[1]!.text).toContain('PayPal t•••@example.net');
  });
});

describe('home', () => {
  it('counts orders as the brand does (a fully refunded one is no sale) and keeps a refund in holding out of Payable', async () => {
    const m = await signedInCreator();
    const at = new Date().toISOString();
    for (const [orderId, refunded] of [[`kept-${m.handle}`, 1_500], [`gone-${m.handle}`, 10_000]] as const) {
      expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', { orderId, amountMinor: 10_000, currency: 'USD', occurredAt: at, code: m.code })).status).toBe(201);
      expect((await signedPost(m.brand, m.ingestKey, '/v1/refunds', { refundId: `r-${orderId}`, orderId, amountMinor: refunded, currency: 'USD', occurredAt: at })).status).toBe(201);
    }
    const html = await (await get('/', m.cookie)).text();
    const stat = (label: string) => new RegExp(`<div class="stat-value">([^<]*)</div><div class="stat-label">${label}</div>`).exec(html)?.[1];
    expect(stat('Orders')).toBe('1');
    expect(stat('Pending')).toBe('$8.50'); // 10% of 8,500 kept, still in holding
    expect(stat('Payable')).toBe('$0.00');
  });
});

describe('the brief', () => {
  it("lists the disclosure rule once: left out when the brand's rules state it as a tag, kept when they only mention a longer one", async () => {
    const m = await signedInCreator();
    const brief = async (rules: string[]) => {
      await env.DB.prepare('UPDATE campaigns SET non_negotiables = ?, disclosure_text = ? WHERE id = ?').bind(JSON.stringify(rules), '#ad', m.campaign.id).run();
      return (await (await get(`/brief/${m.enrollment.id}`, m.cookie)).text()).includes('Disclose the partnership with');
    };
    expect(await brief(['Say #ad at the start of the caption.'])).toBe(false);
    expect(await brief(['Never tag #adidas or #adventure.'])).toBe(true);
    expect(await brief([])).toBe(true);
  });
});

describe('campaigns before their launch', () => {
  it('tell the creator when the link and code will start working', async () => {
    const m = await signedInCreator();
    await env.DB.prepare("UPDATE campaigns SET status = 'draft' WHERE id = ?").bind(m.campaign.id).run();
    expect(await (await get('/', m.cookie)).text()).toContain('has not launched this campaign yet. Your link and code start working when it does.');
    expect(await (await get(`/brief/${m.enrollment.id}`, m.cookie)).text()).toContain('Test Brand · Not launched yet');
    await env.DB.prepare("UPDATE campaigns SET status = 'active', starts_at = ? WHERE id = ?").bind(Date.UTC(2099, 0, 15, 12), m.campaign.id).run();
    expect(await (await get('/', m.cookie)).text()).toContain('Your link and code start working on Jan 15, 2099.');
    expect(await (await get(`/brief/${m.enrollment.id}`, m.cookie)).text()).toContain('Test Brand · Starts Jan 15, 2099');
    await env.DB.prepare('UPDATE campaigns SET starts_at = ? WHERE id = ?').bind(Date.now() - 60_000, m.campaign.id).run();
    const open = await (await get('/', m.cookie)).text();
    expect(open).not.toContain('start working');
    expect(await (await get(`/brief/${m.enrollment.id}`, m.cookie)).text()).toContain('Test Brand · Active');
    // Past its end date the brief says so, though the brand has not set the status to ended.
    await env.DB.prepare('UPDATE campaigns SET ends_at = ? WHERE id = ?').bind(Date.now() - 1_000, m.campaign.id).run();
    expect(await (await get(`/brief/${m.enrollment.id}`, m.cookie)).text()).toContain('Test Brand · Ended');
  });

  it('keep a post from going live, and its flat fee from accruing, before the launch', async () => {
    const m = await signedInCreator({ paymentModel: 'flat' });
    await env.DB.prepare("UPDATE campaigns SET status = 'draft' WHERE id = ?").bind(m.campaign.id).run();
    const sent = await post('/submissions', { enrollmentId: m.enrollment.id, storyFormat: 'day_in_the_life', draftUrl: 'https://drive.example/draft', caption: 'Morning #Glow #ad' }, { cookie: m.cookie });
    const id = sent.headers.get('location')!.split('/')[2]!.split('?')[0]!;
    expect((await m.brand.api('POST', `/api/admin/submissions/${id}/approve`, {})).status).toBe(200);
    const live = await post(`/submissions/${id}/live`, { postUrl: 'https://www.instagram.com/p/too-early' }, { cookie: m.cookie });
    expect(live.status).toBe(409);
    expect(await live.text()).toContain('This campaign has not launched yet');
    expect(await rowCount("SELECT count(*) AS n FROM ledger_entries WHERE enrollment_id = ? AND kind = 'flat_fee'", m.enrollment.id)).toBe(0);
    // Once launched, it goes live and the fee accrues.
    expect((await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { status: 'active' })).status).toBe(200);
    expect((await post(`/submissions/${id}/live`, { postUrl: 'https://www.instagram.com/p/on-time' }, { cookie: m.cookie })).status).toBe(303);
    expect(await rowCount("SELECT count(*) AS n FROM ledger_entries WHERE enrollment_id = ? AND kind = 'flat_fee'", m.enrollment.id)).toBe(1);
  });
});

describe('campaigns after their end', () => {
  const sendDraft = async (m: Awaited<ReturnType<typeof signedInCreator>>, caption = 'Morning #Glow #ad') => {
    const sent = await post('/submissions', { enrollmentId: m.enrollment.id, storyFormat: 'day_in_the_life', draftUrl: 'https://drive.example/draft', caption }, { cookie: m.cookie });
    expect(sent.status).toBe(303);
    return sent.headers.get('location')!.split('/')[2]!.split('?')[0]!;
  };

  it('take no live post, flat fee or revised draft from the creator, and the brand can still record a post', async () => {
    const m = await signedInCreator({ paymentModel: 'flat' });
    const approved = await sendDraft(m);
    const revise = await sendDraft(m, 'Evening #Glow #ad');
    expect((await m.brand.api('POST', `/api/admin/submissions/${approved}/approve`, {})).status).toBe(200);
    expect((await m.brand.api('POST', `/api/admin/submissions/${revise}/request-changes`, { note: 'Shorter, please.' })).status).toBe(200);
    expect((await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { status: 'ended' })).status).toBe(200);

    const page = await (await get(`/submissions/${approved}`, m.cookie)).text();
    expect(page).toContain('The campaign has ended');
    expect(page).not.toContain('Mark as live');
    const live = await post(`/submissions/${approved}/live`, { postUrl: 'https://www.instagram.com/p/too-late' }, { cookie: m.cookie });
    expect(live.status).toBe(409);
    expect(await live.text()).toContain('send the brand its link');
    expect(await rowCount("SELECT count(*) AS n FROM ledger_entries WHERE enrollment_id = ? AND kind = 'flat_fee'", m.enrollment.id)).toBe(0);

    expect(await (await get(`/submissions/${revise}`, m.cookie)).text()).toContain('this draft can no longer be revised');
    expect((await get(`/submissions/${revise}/edit`, m.cookie)).headers.get('location')).toBe(`/submissions/${revise}`);
    const resubmit = await post(`/submissions/${revise}/resubmit`, { storyFormat: 'day_in_the_life', draftUrl: 'https://drive.example/v2', caption: 'Short #Glow #ad' }, { cookie: m.cookie });
    expect(resubmit.status).toBe(409);
    expect(await rowCount("SELECT count(*) AS n FROM submissions WHERE id = ? AND status = 'changes_requested' AND draft_url = 'https://drive.example/draft'", revise)).toBe(1);

    // The brand decides what it pays for a post that went live in time.
    expect((await m.brand.api('POST', `/api/admin/submissions/${approved}/mark-live`, { postUrl: 'https://www.instagram.com/p/in-time' })).status).toBe(200);
    expect(await rowCount("SELECT count(*) AS n FROM ledger_entries WHERE enrollment_id = ? AND kind = 'flat_fee'", m.enrollment.id)).toBe(1);
  });

  it('show an ended card on home, without link, code, tier climb or Submit content, and never swap in another campaign for drafts', async () => {
    const m = await signedInCreator();
    const other = await json<{ data: { id: string } }>(
      await m.brand.api('POST', '/api/admin/campaigns', { name: 'Night Balm', slug: `night-${m.handle}`.replace(/_/g, '-').slice(0, 60), hashtag: '#NightBalm', defaultDestination: 'https://shop.example/night' }),
    );
    const second = await json<{ data: { id: string } }>(await m.brand.api('POST', '/api/admin/enrollments', { campaignId: other.data.id, creatorId: m.creator.id, paymentModel: 'affiliate', status: 'active' }));
    // Past its end date, though its status still says active.
    await env.DB.prepare('UPDATE campaigns SET ends_at = ? WHERE id = ?').bind(Date.UTC(2026, 10, 20, 12), m.campaign.id).run();
    const home = await (await get('/', m.cookie)).text();
    const card = home.slice(home.indexOf(`id="c-${m.enrollment.id}"`));
    const ended = card.slice(0, card.indexOf('</article>'));
    expect(ended).toContain('Test Brand ended this campaign on Nov 20, 2026');
    expect(ended).not.toContain(m.code);
    expect(ended).not.toContain('/r/');
    expect(ended).not.toContain('Submit content');
    expect(ended).not.toContain('reaches Tier');
    expect(await (await get(`/brief/${m.enrollment.id}`, m.cookie)).text()).not.toContain('Submit a draft');
    // Running campaigns come first.
    expect(home.indexOf(`id="c-${second.data.id}"`)).toBeLessThan(home.indexOf(`id="c-${m.enrollment.id}"`));

    const picker = await get(`/submissions/new?enrollment=${m.enrollment.id}`, m.cookie);
    const html = await picker.text();
    expect(html).toContain('has ended, so it takes no more drafts');
    expect(html).not.toContain('name="caption"');
    expect(html).toContain(`value="${second.data.id}"`);
    await env.DB.prepare("UPDATE enrollments SET status = 'removed', removed_at = ? WHERE id = ?").bind(Date.now(), second.data.id).run();
    expect((await get(`/submissions/new?enrollment=${m.enrollment.id}`, m.cookie)).headers.get('location')).toBe('/?nothing=ended');
  });
});

describe('earnings', () => {
  it('keeps two brands apart even when they share a name', async () => {
    const a = await signedInCreator({ paymentModel: 'flat' });
    const b = await createMoneyBrand({ paymentModel: 'flat' }); // both fixture brands are "Test Brand"
    const joined = await json<{ data: { id: string } }>(await b.brand.api('POST', '/api/admin/creators', { email: a.email, handle: `also_${a.handle}`.slice(0, 30), displayName: 'Sarah' }));
    expect(joined.data.id).toBe(a.creator.id);
    const enrollment = await json<{ data: { id: string } }>(await b.brand.api('POST', '/api/admin/enrollments', { campaignId: b.campaign.id, creatorId: a.creator.id, paymentModel: 'flat', flatFeeMinor: 7000 }));
    expect((await post(`/invitations/${enrollment.data.id}/accept`, {}, { cookie: a.cookie })).status).toBe(303);
    for (const [brand, enrollmentId, fee] of [[a.brand, a.enrollment.id, 10000], [b.brand, enrollment.data.id, 7000]] as const) {
      await env.DB.prepare('UPDATE enrollments SET flat_fee_minor = ? WHERE id = ?').bind(fee, enrollmentId).run();
      const sent = await post('/submissions', { enrollmentId, storyFormat: 'day_in_the_life', draftUrl: 'https://drive.example/draft', caption: 'Morning #Glow #ad' }, { cookie: a.cookie });
      const id = sent.headers.get('location')!.split('/')[2]!.split('?')[0]!;
      expect((await brand.api('POST', `/api/admin/submissions/${id}/approve`, {})).status).toBe(200);
      expect((await brand.api('POST', `/api/admin/submissions/${id}/mark-live`, { postUrl: 'https://www.instagram.com/p/a' })).status).toBe(200);
    }
    const html = await (await get('/earnings', a.cookie)).text();
    expect(html).toContain('$100.00');
    expect(html).toContain('$70.00');
    expect(html).not.toContain('$170.00');
  });
});

describe('earnings: periods and payouts as a creator reads them', () => {
  it('names months, dates a paid payout, and says why a failed one failed and what happens next', async () => {
    const m = await signedInCreator();
    const at = Date.UTC(2026, 9, 10);
    await env.DB.prepare(
      "INSERT INTO ledger_entries (id, brand_id, enrollment_id, creator_id, kind, amount_minor, currency, basis_minor, period, event_key, available_at, created_at) VALUES (?, ?, ?, ?, 'commission', 1234, 'USD', 12340, '2026-10', ?, ?, ?)",
    )
      .bind(newId('le'), m.brand.brandId, m.enrollment.id, m.creator.id, `c:${newId('k')}`, at, at)
      .run();
    const payout = (period: string, status: string, reason: string | null, paidAt: number | null) =>
      env.DB.prepare("INSERT INTO payouts (id, brand_id, creator_id, period, currency, amount_minor, status, failure_reason, paid_at, created_at) VALUES (?, ?, ?, ?, 'USD', 1234, ?, ?, ?, ?)")
        .bind(newId('po'), m.brand.brandId, m.creator.id, period, status, reason, paidAt, at)
        .run();
    await payout('2026-08', 'paid', null, Date.UTC(2026, 8, 3, 9));
    await payout('2026-09', 'failed', 'Recipient account closed.', null);
    await payout('2026-10', 'failed', null, null);
    const html = await (await get('/earnings', m.cookie)).text();
    expect(html).toContain('<h2>October 2026</h2>');
    expect(html).not.toMatch(/>2026-(08|09|10)</);
    expect(html).toContain('Sep 3, 2026');
    expect(html).toContain('Recipient account closed. Check your payout details below');
    expect(html).toContain('The payment did not go through. Check your payout details below');
  });

  it('says where each group of earnings stands: held until a date, payable, in a payout, or paid', async () => {
    const m = await signedInCreator();
    const entry = (amount: number, availableAt: number, payoutId: string | null = null, period = payoutId === null ? '2026-11' : '2026-10') =>
      env.DB.prepare(
        "INSERT INTO ledger_entries (id, brand_id, enrollment_id, creator_id, kind, amount_minor, currency, basis_minor, period, event_key, available_at, payout_id, created_at) VALUES (?, ?, ?, ?, 'commission', ?, 'USD', 0, ?, ?, ?, ?, ?)",
      )
        .bind(newId('le'), m.brand.brandId, m.enrollment.id, m.creator.id, amount, period, `c:${newId('k')}`, availableAt, payoutId, Date.now())
        .run();
    await entry(1_000, Date.now() - 86_400_000); // November: payable
    await entry(2_000, Date.UTC(2099, 0, 5, 12)); // November: still held, released first
    await entry(260, Date.UTC(2099, 0, 9, 12)); // November: still held, released last
    await entry(500, Date.now() - 40 * 86_400_000, 'po_x'); // October: in a payout
    const paid = newId('po');
    await env.DB.prepare("INSERT INTO payouts (id, brand_id, creator_id, period, currency, amount_minor, status, paid_at, created_at) VALUES (?, ?, ?, '2026-09', 'USD', 700, 'paid', ?, ?)")
      .bind(paid, m.brand.brandId, m.creator.id, Date.now(), Date.now())
      .run();
    await entry(700, Date.now() - 80 * 86_400_000, paid, '2026-09'); // September: paid out
    const html = await (await get('/earnings', m.cookie)).text();
    expect(html).toContain('$22.60 held until Jan 5, 2099 (all by Jan 9, 2099) · $10.00 payable');
    expect(html).toContain('<td class="small">In a payout</td>');
    expect(html).toContain('<td class="small">Paid</td>');
    expect(html).toMatch(/Commission <span class="muted small">× 3<\/span>/);
  });
});

describe('hostile forms', () => {
  const raw = (path: string, headers: Record<string, string>, body: BodyInit) =>
    SELF.fetch(`${BASE}${path}`, { method: 'POST', headers: { origin: BASE, 'cf-connecting-ip': freshIp(), ...headers }, body, redirect: 'manual', duplex: 'half' } as RequestInit);

  it('refuses a caption with control characters, new or revised, storing nothing', async () => {
    const m = await signedInCreator();
    for (const caption of ['#Glow #ad a\u0000b', 'bell\u0007 #Glow #ad']) {
      const res = await post('/submissions', { enrollmentId: m.enrollment.id, storyFormat: 'day_in_the_life', draftUrl: 'https://drive.example/d', caption }, { cookie: m.cookie });
      expect(res.status).toBe(422);
      expect(await res.text()).toContain('No control characters');
    }
    expect(await rowCount('SELECT count(*) AS n FROM submissions WHERE enrollment_id = ?', m.enrollment.id)).toBe(0);
    // Line breaks are what captions are made of.
    expect((await post('/submissions', { enrollmentId: m.enrollment.id, storyFormat: 'day_in_the_life', draftUrl: 'https://drive.example/d', caption: 'Line one\r\nLine two #Glow #ad' }, { cookie: m.cookie })).status).toBe(303);
  });

  it('answers a body that is not the form it claims to be with 400, on every form, signed in or not', async () => {
    const m = await signedInCreator();
    const broken = { 'content-type': 'multipart/form-data; boundary=xyz' };
    const fresh = await createMoneyBrand();
    const { link } = await mailedLink(await invitePath(fresh.brand, fresh.creator.id));
    for (const path of ['/login', '/forgot', '/console/login', link!, '/earnings/payout-details', '/submissions']) {
      const res = await raw(path, { ...broken, cookie: m.cookie }, 'garbage');
      expect(res.status, path).toBe(400);
      expect(res.headers.get('content-type'), path).toMatch(/^text\/html/);
    }
    expect((await raw('/login', broken, 'garbage')).status).toBe(400);
    expect((await get(link!)).status).toBe(200); // still unused
    expect((await raw('/login', { 'content-type': 'application/json' }, '{}')).status).toBe(415);
    // Two accounts and two PBKDF2 hashes before the forms: about 0.3 s alone, 3-4 s late in this file on a
    // loaded machine, and once over the default 5 s in CI.
  }, 15_000);

  it('bounds a form body by the bytes sent, with or without a Content-Length', async () => {
    const big = new TextEncoder().encode(`email=a%40b.test&password=${'x'.repeat(3 * 1024 * 1024)}`);
    const streamed = new ReadableStream({
      start(controller) {
        controller.enqueue(big);
        controller.close();
      },
    });
    const urlencoded = { 'content-type': 'application/x-www-form-urlencoded' };
    expect((await raw('/login', urlencoded, streamed)).status).toBe(413);
    expect((await raw('/login', urlencoded, big)).status).toBe(413);
  });
});

describe('signed-out visitors', () => {
  it('are sent to sign in for every page and refused for every form', async () => {
    for (const path of ['/', '/brief/enr_x', '/submissions', '/submissions/new', '/submissions/sub_x', '/submissions/sub_x/edit', '/earnings']) {
      const res = await get(path);
      expect(res.status, path).toBe(303);
      expect(res.headers.get('location')).toMatch(/^\/login\?next=/);
    }
    for (const path of ['/submissions', '/submissions/sub_x/resubmit', '/submissions/sub_x/live', '/earnings/payout-details']) {
      expect((await post(path, { x: '1' })).status, path).toBe(401);
    }
  });
});

// A creator's account is global: any brand can add an email to its roster and enroll it. What the account
// holds of its own (where payouts go, drafts, who the brand is to them) waits for the creator's Accept.
describe('a brand the creator has not accepted', () => {
  const SEPT = (day: number) => new Date(Date.UTC(2026, 8, day, 12)).toISOString();
  async function payTo(brand: TestBrand, creatorId: string) {
    const res = await json<{ data: { payouts: { creatorId: string; payoutMethod: string; payoutAccount: string }[] } }>(await brand.api('GET', '/api/admin/payouts?period=2026-10'));
    const line = res.data.payouts.find((l) => l.creatorId === creatorId)!;
    return [line.payoutMethod, line.payoutAccount];
  }

  it('is not shown as an invitation once its campaign has ended', async () => {
    const a = await signedInCreator();
    const b = await createMoneyBrand();
    await b.brand.api('POST', '/api/admin/creators', { email: a.email, handle: `b_${a.handle}`.slice(0, 30), displayName: 'S' });
    const enrollment = (await json<{ data: { id: string } }>(await b.brand.api('POST', '/api/admin/enrollments', { campaignId: b.campaign.id, creatorId: a.creator.id, paymentModel: 'affiliate' }))).data.id;
    expect(await (await get('/', a.cookie)).text()).toContain(`action="/invitations/${enrollment}/accept"`);
    expect((await b.brand.api('PATCH', `/api/admin/campaigns/${b.campaign.id}`, { status: 'ended' })).status).toBe(200);
    const home = await (await get('/', a.cookie)).text();
    expect(home).not.toContain(`/invitations/${enrollment}/`);
    expect(home).toContain(`id="c-${a.enrollment.id}"`); // her own campaign is still there
  });

  it('sees no payout details, draws no drafts and spends no reset allowance until the creator accepts it', async () => {
    const a = await signedInCreator();
    expect((await post('/earnings/payout-details', { method: 'paypal', account: 'sarah@pay.example' }, { cookie: a.cookie })).status).toBe(303);
    // Brand B adds her email and enrolls her (an invitation she never answers), with a code that earns.
    const b = await createMoneyBrand();
    const joined = await json<{ data: { id: string; acceptedAt: string | null } }>(await b.brand.api('POST', '/api/admin/creators', { email: a.email, handle: `b_${a.handle}`.slice(0, 30), displayName: 'S' }));
    expect(joined.data).toMatchObject({ id: a.creator.id, acceptedAt: null });
    const enrollment = (await json<{ data: { id: string } }>(await b.brand.api('POST', '/api/admin/enrollments', { campaignId: b.campaign.id, creatorId: a.creator.id, paymentModel: 'affiliate' }))).data.id;
    const code = `B${a.code}`.slice(0, 32);
    await b.brand.api('POST', '/api/admin/codes', { enrollmentId: enrollment, code, discountType: 'percent', discountValue: 10 });
    for (const [m, c] of [[a, a.code], [b, code]] as const) {
      expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', { orderId: `na-${c}`, amountMinor: 10_000, currency: 'USD', occurredAt: SEPT(3), code: c })).status).toBe(201);
      expect((await m.brand.api('POST', '/api/admin/payouts/close', { period: '2026-10' })).status).toBe(201);
    }
    expect(await payTo(a.brand, a.creator.id)).toEqual(['paypal', 'sarah@pay.example']);
    expect(await payTo(b.brand, a.creator.id)).toEqual(['not_shared', '']);
    const csv = await (await b.brand.api('GET', '/api/admin/payouts/export.csv?period=2026-10')).text();
    expect(csv).toContain('"not_shared"');
    expect(csv).not.toContain('sarah@pay.example');

    // Her home page shows B's campaign as an invitation, without its code; drafts cannot go to it.
    const home = await (await get('/', a.cookie)).text();
    expect(home).toContain('invited you');
    expect(home).toContain(`action="/invitations/${enrollment}/accept"`);
    expect(home).not.toContain(code);
    const draft = { enrollmentId: enrollment, storyFormat: 'day_in_the_life', draftUrl: 'https://drive.example/d', caption: 'Morning #Glow #ad' };
    expect((await post('/submissions', draft, { cookie: a.cookie })).status).toBe(404);
    expect(await (await get(`/submissions/new?enrollment=${enrollment}`, a.cookie)).text()).not.toContain(`value="${enrollment}"`);

    // Her own "Forgot password" goes out under brand A, whose invite she accepted, though B's is newer.
    setTransport(async () => {});
    expect((await post('/forgot', { email: a.email })).status).toBe(200);
    await waitFor(() => rowCount("SELECT count(*) AS n FROM account_tokens WHERE creator_id = ? AND purpose = 'reset' AND created_at > ?", a.creator.id, Date.now() - 5_000).then((n) => n || null));
    const newest = await env.DB.prepare("SELECT brand_id FROM account_tokens WHERE creator_id = ? AND purpose = 'reset' ORDER BY created_at DESC LIMIT 1").bind(a.creator.id).first<{ brand_id: string }>();
    expect(newest!.brand_id).toBe(a.brand.brandId);

    // A password link B has mailed sets her password, but accepts nothing on her behalf.
    const sent: Message[] = [];
    setTransport(async (msg) => void sent.push(msg));
    expect((await b.brand.api('POST', `/api/admin/creators/${a.creator.id}/password-reset`)).status).toBe(201);
    const link = new URL(/https?:\/\/\S+/.exec(sent[0]!.text)![0]).pathname;
    const reset = await post(link, { password: PASSWORD, confirm: PASSWORD });
    expect(reset.status).toBe(303);
    const cookie = sessionCookie(reset);
    expect(await rowCount('SELECT count(*) AS n FROM brand_creators WHERE brand_id = ? AND creator_id = ? AND accepted_at IS NULL', b.brand.brandId, a.creator.id)).toBe(1);

    // Another creator cannot answer her invitation.
    const other = await signedInCreator();
    expect((await post(`/invitations/${enrollment}/accept`, {}, { cookie: other.cookie })).status).toBe(404);

    // Accept: B's campaign turns active, its details and drafts open, and B sees where her payouts go.
    const accepted = await post(`/invitations/${enrollment}/accept`, {}, { cookie });
    expect([accepted.status, accepted.headers.get('location')]).toEqual([303, '/?accepted=1']);
    expect((await post(`/invitations/${enrollment}/accept`, {}, { cookie })).status).toBe(303); // twice is harmless
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'creator.accepted_brand' AND actor_type = 'creator'", b.brand.brandId)).toBe(1);
    expect(await rowCount("SELECT count(*) AS n FROM enrollments WHERE id = ? AND status = 'active' AND active_since IS NOT NULL", enrollment)).toBe(1);
    expect(await payTo(b.brand, a.creator.id)).toEqual(['paypal', 'sarah@pay.example']);
    expect(await (await get('/?accepted=1', cookie)).text()).toContain(code);
    expect((await post('/submissions', draft, { cookie })).status).toBe(303);
    // Declining a brand already accepted is refused; leaving is the brand's removal.
    expect((await post(`/invitations/${enrollment}/decline`, {}, { cookie })).status).toBe(409);
  }, 30_000); // three passwords hashed, at full strength

  it('declines: every campaign of that brand leaves her home page and its code stops earning', async () => {
    const a = await signedInCreator();
    const c = await createMoneyBrand();
    await c.brand.api('POST', '/api/admin/creators', { email: a.email, handle: `c_${a.handle}`.slice(0, 30), displayName: 'S' });
    const enrollment = (await json<{ data: { id: string } }>(await c.brand.api('POST', '/api/admin/enrollments', { campaignId: c.campaign.id, creatorId: a.creator.id, paymentModel: 'affiliate' }))).data.id;
    const declined = await post(`/invitations/${enrollment}/decline`, {}, { cookie: a.cookie });
    expect([declined.status, declined.headers.get('location')]).toEqual([303, '/?declined=1']);
    expect(await rowCount("SELECT count(*) AS n FROM enrollments WHERE id = ? AND status = 'removed' AND removed_at IS NOT NULL", enrollment)).toBe(1);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'creator.declined_brand'", c.brand.brandId)).toBe(1);
    expect(await (await get('/?declined=1', a.cookie)).text()).not.toContain(`/invitations/${enrollment}/accept`);
    // Gone: declining or accepting it again is a 404, never a change.
    expect((await post(`/invitations/${enrollment}/accept`, {}, { cookie: a.cookie })).status).toBe(404);
  });
});

// Found by the hostile review: a reset link was built from the request's Host, so a request that reached
// the worker with another host (a proxy, a wildcard route) mailed a working token on the attacker's host.
describe('mailed links', () => {
  it('name PUBLIC_ORIGIN when it is set, whatever host the request came in on', async () => {
    const a = await signedInCreator();
    const sent: Message[] = [];
    setTransport(async (msg) => void sent.push(msg));
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request('https://evil.example/forgot', { method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded', 'cf-connecting-ip': '198.51.100.77' }, body: `email=${encodeURIComponent(a.email)}` }),
      { ...env, PUBLIC_ORIGIN: 'https://chorus.example/' } as Env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(200);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.text).toMatch(/https:\/\/chorus\.example\/reset\/[A-Za-z0-9_-]+/);
    expect(sent[0]!.text).not.toContain('evil.example');
    // A value that is not a URL is ignored, not a 500 on every page that makes a link.
    const a2 = await signedInCreator();
    const homeCtx = createExecutionContext();
    const home = await worker.fetch(new Request(`${BASE}/`, { headers: { cookie: a2.cookie } }), { ...env, PUBLIC_ORIGIN: 'chorus.example' } as Env, homeCtx);
    await waitOnExecutionContext(homeCtx);
    expect(home.status).toBe(200);
  }, 30_000); // two creators' passwords hashed, at full strength
});

// From the product walk.
describe('portal addresses', () => {
  it('answers a mistyped page in a browser with a page, and sends a signed-in creator from /login home', async () => {
    const typo = await SELF.fetch(`${BASE}/earning`, { headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(typo.status).toBe(404);
    expect(typo.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await typo.text()).toContain('Page not found');
    const api = await SELF.fetch(`${BASE}/earning`);
    expect((await json<{ error: { code: string } }>(api)).error.code).toBe('not_found');
    const a = await signedInCreator();
    const login = await get('/login?next=/earnings', a.cookie);
    expect([login.status, login.headers.get('location')]).toEqual([303, '/earnings']);
    expect(await (await get('/reset/not-a-real-token-at-all-000000000000000000')).text()).toContain('href="/forgot"');
  });
});

describe('migration 0022', () => {
  it('counts as accepted only what the creator did: a link of the brand opened, or a draft sent', async () => {
    const [byApi, byLink, byDraft] = await Promise.all([createMoneyBrand({ accepted: false }), createMoneyBrand({ accepted: false }), createMoneyBrand({ accepted: false })]);
    const now = Date.now();
    // Before 0022 the API could create an enrollment as active for anyone.
    await env.DB.prepare("UPDATE enrollments SET status = 'active' WHERE id = ?").bind(byApi.enrollment.id).run();
    await env.DB.prepare("INSERT INTO account_tokens (token_hash, purpose, creator_id, brand_id, expires_at, used_at, created_at) VALUES (?, 'reset', ?, ?, ?, ?, ?)")
      .bind(newId('tok'), byLink.creator.id, byLink.brand.brandId, now + 3_600_000, now, now)
      .run();
    await env.DB.prepare(
      "INSERT INTO submissions (id, brand_id, enrollment_id, story_format, draft_url, caption, status, compliance, created_at, updated_at) VALUES (?, ?, ?, 'day_in_the_life', 'https://drive.example/d', 'c', 'submitted', '{}', ?, ?)",
    )
      .bind(newId('sub'), byDraft.brand.brandId, byDraft.enrollment.id, now, now)
      .run();
    const update = migration0022.split('--> statement-breakpoint').find((statement) => statement.includes('UPDATE'))!;
    await env.DB.prepare(update).run();
    const accepted = async (m: { brand: TestBrand; creator: { id: string } }) =>
      (await env.DB.prepare('SELECT accepted_at FROM brand_creators WHERE brand_id = ? AND creator_id = ?').bind(m.brand.brandId, m.creator.id).first<{ accepted_at: number | null }>())!.accepted_at !== null;
    // byApi's enrollment is active: a status the brand set is no evidence of consent.
    expect([await accepted(byApi), await accepted(byLink), await accepted(byDraft)]).toEqual([false, true, true]);
  });
});
