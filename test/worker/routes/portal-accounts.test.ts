// The creator portal's accounts: invite links, sign-in, passwords, sessions, forgotten passwords and the mailed links.
import { createExecutionContext, env, SELF, waitOnExecutionContext } from 'cloudflare:test';
import worker from '../../../worker/index';
import type { Env } from '../../../worker/env';
import { SignJWT } from 'jose';
import { safeNext } from '../../../worker/routes/portal/guards';
import { describe, expect, it, vi } from 'vitest';
import { MAX_MAILED_LINKS_PER_BRAND_PER_DAY } from '../../../worker/db/account-tokens';
import { base64url } from '../../../worker/lib/ids';
import { hashPassword, MAX_PBKDF2_ITERATIONS, verifyPassword } from '../../../worker/lib/passwords';
import { SESSION_COOKIE } from '../../../worker/lib/sessions';
import { MailError, setTransport, type Message } from '../../../worker/lib/messages';
import { BASE, createBrand, createMoneyBrand, inOneRateWindow, RATE_WINDOW_TEST_TIMEOUT_MS, json, rowCount, waitFor } from '../fixtures';
import { PASSWORD, invitePath, mailedLink, signedInCreator, portalTestDefaults } from '../portal-fixtures';
import { freshIp, post, get, sessionCookie } from '../forms';

portalTestDefaults();

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
    // A tracked link is off-site too, however spelled: a brand chooses where its /r/ links lead.
    for (const next of ['//evil.example/', 'https://evil.example/', '/\\evil.example', '/earnings/../r/any-link']) {
      const res = await post('/login', { email: m.email, password: PASSWORD, next });
      expect(res.headers.get('location'), next).toBe('/');
    }
    for (const next of ['javascript:alert(1)', '/r/any-link', '/%2e%2e/r/any-link', '/%2E%2E/r/x', '/api/admin/campaigns', '/v1/codes/X', '/sdk.js', '/earnings/..%2fr/x']) {
      expect(safeNext(next, '/'), next).toBe(next === '/earnings/..%2fr/x' ? next : '/');
    }
    expect(safeNext('/stats/../earnings?x=1', '/')).toBe('/earnings?x=1');
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

  it('are refused deployed without PUBLIC_ORIGIN (503 public_origin_unset, nothing written), so a forged Host names none; locally they name the request', async () => {
    const a = await signedInCreator();
    const sent: Message[] = [];
    setTransport(async (msg) => void sent.push(msg));
    // Mail is set up, PUBLIC_ORIGIN is not, and the request came in on a host its sender chose.
    const deployed = { ...env, ENVIRONMENT: 'production', MAIL_API_KEY: 're_test', MAIL_FROM: 'Chorus <no-reply@mail.example>', PUBLIC_ORIGIN: undefined } as Env;
    const tokens = () => rowCount('SELECT count(*) AS n FROM account_tokens WHERE creator_id = ?', a.creator.id);
    const invitePage = await invitePath(a.brand, a.creator.id);
    const before = await tokens();
    const send = async (path: string, init: RequestInit) => {
      const ctx = createExecutionContext();
      const res = await worker.fetch(new Request(`https://evil.example${path}`, init), deployed, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    };
    const page = await send('/forgot', { method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded', 'cf-connecting-ip': freshIp() }, body: `email=${encodeURIComponent(a.email)}` });
    expect(page.status).toBe(503);
    expect(await page.text()).toContain('set PUBLIC_ORIGIN');
    const api = await send(`/api/admin/creators/${a.creator.id}/password-reset`, { method: 'POST', headers: { authorization: `Bearer ${a.brand.adminKey}` } });
    expect([api.status, (await json<{ error: { code: string } }>(api)).error.code]).toEqual([503, 'public_origin_unset']);
    const invite = await send(`${invitePage}/email`, { method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded', 'cf-connecting-ip': freshIp() }, body: '' });
    expect(invite.status).toBe(503);
    expect(await invite.text()).toContain('set PUBLIC_ORIGIN');
    expect(await tokens()).toBe(before);
    expect(sent).toEqual([]);
    // Local development has no PUBLIC_ORIGIN to set: its mails name the address it was reached on.
    expect((await post('/forgot', { email: a.email })).status).toBe(200);
    await waitFor(async () => (sent.length > 0 ? true : null));
    expect(sent[0]!.text).toContain(`${BASE}/reset/`);
  }, 30_000);
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

describe('signed-out visitors', () => {
  it('are sent to sign in for every page and refused for every form', async () => {
    for (const path of ['/', '/brief/enr_x', '/stats/enr_x', '/submissions', '/submissions/new', '/submissions/sub_x', '/submissions/sub_x/edit', '/earnings']) {
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
