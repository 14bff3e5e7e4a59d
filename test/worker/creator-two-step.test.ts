// Two-step sign-in for a creator, one account's story: turning it on in the portal (a current code and the password),
// the code after the password (no session before it; wrong, replayed, doubled and too many codes), a recovery code
// once, a reset link that does not get round it, pending sign-ins the console never takes (nor the other way round),
// new recovery codes and turning it off, the operator's reset mailed, then the data download and closing the account.
import { env } from 'cloudflare:test';
import { Hono } from 'hono';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { eraseCreator, owedKey, owedTo } from '../../worker/db/creator-erasure';
import { CODE_ATTEMPTS, sealSetup, SETUP_TTL_MS } from '../../worker/db/two-step';
import type { Env } from '../../worker/env';
import { mailTwoStepResets } from '../../worker/jobs/two-step-reset-mail';
import { MAIL_CLAIM_LEASE_MS } from '../../worker/mail';
import { creatorReset, memberReset, resetStatements, type ResetTarget } from '../../scripts/two-step-reset.mjs';
import { logTransport, MailError, setTransport } from '../../worker/lib/messages';
import { issuePendingSignIn, PENDING_SIGN_IN_COOKIE, SESSION_COOKIE, type ProvenAccount, type SubjectType } from '../../worker/lib/sessions';
import { totpStep } from '../../worker/lib/totp';
import { consoleBrand, PASSWORD as CONSOLE_PASSWORD } from './console-fixtures';
import { BASE, rowCount, waitFor } from './fixtures';
import { fetchWorker, get, post } from './forms';
import { PASSWORD, portalTestDefaults, signedInCreator } from './portal-fixtures';
import { capturingMail, codeOf, cookieOf, withTwoStep } from './two-step-fixtures';

portalTestDefaults();

const NEW_PASSWORD = 'a brand new password 2026';
let m: Awaited<ReturnType<typeof signedInCreator>>;
let id: string;
// The creator's secret and recovery codes once it is on; the session they carry on in.
let secret: string;
let codes: string[];
let signedIn: string;

const factorCount = () => rowCount("SELECT count(*) AS n FROM two_step_factors WHERE subject_type = 'creator' AND subject_id = ?", id);
const recoveryRows = () => rowCount("SELECT count(*) AS n FROM recovery_codes WHERE subject_type = 'creator' AND subject_id = ?", id);
const liveSessions = () => rowCount("SELECT count(*) AS n FROM sessions WHERE subject_type = 'creator' AND subject_id = ? AND revoked_at IS NULL", id);
// Activity rows land in each brand the creator joined: here, the one.
const audits = (action: string) => rowCount('SELECT count(*) AS n FROM audit_log WHERE action = ? AND target_id = ? AND brand_id = ?', action, id, m.brand.brandId);
const attemptsKey = () => `two-step:creator:${id}`;
const codesOn = async (res: Response) => [...(await res.text()).matchAll(/<code>([a-z2-9]{5}-[a-z2-9]{5})<\/code>/g)].map((x) => x[1]!);
// Any current code works again: the app codes taken so far were of the last few steps.
const stepBack = () => env.DB.prepare("UPDATE two_step_factors SET last_step = ? WHERE subject_type = 'creator' AND subject_id = ?").bind(totpStep(Date.now()) - 10, id).run();

// The pending sign-in cookie that lib/sessions.ts issues for `type`, as a sign-in of that surface would set it.
async function pendingFor(type: SubjectType, account: ProvenAccount) {
  const issued = await new Hono().get('/', async (c) => (await issuePendingSignIn(c, env.SESSION_SECRET, type, account, '/'), c.body(null))).request('/');
  return cookieOf(issued, PENDING_SIGN_IN_COOKIE)!;
}

// The operator's `chorus two-step-reset`, its statements run in order as wrangler runs them: the counts first.
async function operatorReset(target: ResetTarget) {
  const [counts] = await env.DB.batch(resetStatements(target).map((sql) => env.DB.prepare(sql)));
  return counts!.results[0];
}

// The password step with two-step on: the code page and the pending cookie, no session.
async function passwordStep(password = PASSWORD) {
  const res = await post('/login', { email: m.email, password, next: '/earnings' });
  expect(res.headers.get('location')).toBe('/login/code');
  expect(cookieOf(res, SESSION_COOKIE)).toBeNull();
  return cookieOf(res, PENDING_SIGN_IN_COOKIE)!;
}

beforeAll(async () => {
  m = await signedInCreator();
  id = m.creator.id;
});

describe('two-step sign-in for a creator', () => {
  // Taken by the sign-in test, spent by the recovery code test's second use.
  let unspent: string;

  it('turns on only with a current code and the password, shows ten recovery codes once, and ends the other sessions', async () => {
    const login = await post('/login', { email: m.email, password: PASSWORD });
    expect(login.headers.get('location')).toBe('/');
    const here = cookieOf(login, SESSION_COOKIE)!;
    expect(await (await get('/account', here)).text()).toContain('Set up two-step sign-in');
    const page = await (await get('/account/two-step', here)).text();
    secret = /secret=([A-Z2-7]{32})&amp;issuer=Chorus/.exec(page)![1]!;
    expect(page).toContain(`otpauth://totp/Chorus:${encodeURIComponent(`Creator portal (${m.email})`)}?secret=${secret}`);
    expect(page).toContain('autocomplete="one-time-code"');
    const setup = /name="setup" value="([^"]+)"/.exec(page)![1]!;

    expect((await post('/account/two-step', { setup, code: await codeOf(secret), password: 'not my password at all' }, { cookie: here })).status).toBe(401);
    const wrong = await post('/account/two-step', { setup, code: String((Number(await codeOf(secret)) + 1) % 1e6).padStart(6, '0'), password: PASSWORD }, { cookie: here });
    expect(wrong.status).toBe(422);
    expect(await wrong.text()).toContain(setup);
    expect(await factorCount()).toBe(0);
    // Those two counted; a form that cannot be read, a lapsed setup and a refusal at the limit cost nothing more, and
    // the limit refuses before the setup is opened.
    const tries = () => rowCount('SELECT count AS n FROM rate_limits WHERE key = ?', attemptsKey());
    const unreadable = await fetchWorker(`${BASE}/account/two-step`, { method: 'POST', headers: { cookie: here, origin: BASE, 'content-type': 'text/plain' }, body: 'code=1' });
    expect(unreadable.status).toBe(415);
    const lapsed = await sealSetup(env.SECRETS_KEY, { type: 'creator', id }, secret, Date.now() - SETUP_TTL_MS - 1);
    expect((await post('/account/two-step', { setup: lapsed, code: await codeOf(secret), password: PASSWORD }, { cookie: here })).status).toBe(422);
    expect(await tries()).toBe(2);
    await env.DB.prepare('UPDATE rate_limits SET count = ? WHERE key = ?').bind(CODE_ATTEMPTS, attemptsKey()).run();
    const decrypt = vi.spyOn(crypto.subtle, 'decrypt');
    const encrypt = vi.spyOn(crypto.subtle, 'encrypt');
    // At the limit no new secret is minted (none sealed, no QR code): the page says when to try again.
    for (const atLimit of [
      await post('/account/two-step', { setup, code: await codeOf(secret), password: PASSWORD }, { cookie: here }),
      await post('/account/two-step', { code: await codeOf(secret), password: PASSWORD }, { cookie: here }),
      await get('/account/two-step', here),
    ]) {
      expect(atLimit.status).toBe(429);
      expect(Number(atLimit.headers.get('retry-after'))).toBeGreaterThan(60);
      const html = await atLimit.text();
      expect(html).toContain('Too many tries');
      expect(html).not.toContain('name="setup"');
      expect(html).not.toContain('otpauth://');
    }
    expect(decrypt).not.toHaveBeenCalled();
    expect(encrypt).not.toHaveBeenCalled();
    vi.restoreAllMocks();
    // The wrong setup code that reaches the limit: the limit's page too, not the QR code no code could confirm yet.
    await env.DB.prepare('UPDATE rate_limits SET count = ? WHERE key = ?').bind(CODE_ATTEMPTS - 1, attemptsKey()).run();
    const last = await post('/account/two-step', { setup, code: String((Number(await codeOf(secret)) + 1) % 1e6).padStart(6, '0'), password: PASSWORD }, { cookie: here });
    expect(last.status).toBe(429);
    expect(await last.text()).not.toContain('otpauth://');
    await env.DB.prepare('UPDATE rate_limits SET count = 2 WHERE key = ?').bind(attemptsKey()).run();

    const on = await capturingMail(async (mails) => {
      const res = await post('/account/two-step', { setup, code: await codeOf(secret), password: PASSWORD }, { cookie: here });
      await waitFor(async () => mails.find((x) => x.to === m.email && x.subject === 'Two-step sign-in is on for your Chorus account'));
      return res;
    });
    expect(on.status).toBe(200);
    codes = await codesOn(on);
    expect(codes).toHaveLength(10);
    // Sealed under SECRETS_KEY, as the console's; the codes only as keyed hashes.
    expect(await rowCount("SELECT count(*) AS n FROM two_step_factors WHERE subject_id = ? AND instr(secret_enc, ?) = 0", id, secret)).toBe(1);
    expect(await recoveryRows()).toBe(10);
    expect(await audits('creator.two_step_enabled')).toBe(1);
    // This session stays; the one from before (signed in without a code) ended.
    expect((await get('/account', here)).status).toBe(200);
    expect((await get('/account', m.cookie)).status).toBe(303);
    expect(await (await get('/account', here)).text()).toContain('Manage two-step sign-in');
  });

  it('asks for the code after the password, starts no session before it, and starts one session for a right code however often it is posted', async () => {
    await stepBack();
    // The setup's two wrong tries counted too: this test counts from none.
    await env.DB.prepare('DELETE FROM rate_limits WHERE key = ?').bind(attemptsKey()).run();
    const pending = await passwordStep();
    // The pending cookie opens nothing, as itself or passed off as a session.
    expect((await get('/earnings', pending)).headers.get('location')).toBe('/login?next=%2Fearnings');
    expect((await get('/earnings', `${SESSION_COOKIE}=${pending.split('=')[1]}`)).headers.get('location')).toBe('/login?next=%2Fearnings');
    const page = await (await get('/login/code', pending)).text();
    expect(page).toContain('inputmode="numeric"');
    expect(page).toContain('autocomplete="one-time-code"');
    expect((await get('/login/code')).headers.get('location')).toBe('/login?flash=code_expired');
    // Said as news, not as a success; a key that is not the table's own says nothing.
    expect(await (await get('/login?flash=code_expired')).text()).toContain('<div class="notice notice-info" role="status"><div>That sign-in has expired');
    expect(await (await get('/login?flash=constructor')).text()).not.toContain('class="notice');

    const before = await liveSessions();
    const code = await codeOf(secret);
    const wrong = await post('/login/code', { code: code === '000000' ? '000001' : '000000' }, { cookie: pending });
    expect(wrong.status).toBe(401);
    expect(cookieOf(wrong, SESSION_COOKIE)).toBeNull();
    // The same right code posted twice at once: one session.
    const answers = await Promise.all([1, 2].map(() => post('/login/code', { code }, { cookie: pending })));
    expect(answers.map((r) => r.status).sort()).toEqual([303, 401]);
    const ok = answers.find((r) => r.status === 303)!;
    expect(ok.headers.get('location')).toBe('/earnings');
    signedIn = cookieOf(ok, SESSION_COOKIE)!;
    expect((await get('/earnings', signedIn)).status).toBe(200);
    expect(await liveSessions()).toBe(before + 1);
    // Only the wrong code counts toward the limit: the right one gave its attempt back, and its twin, the same right
    // code taken a moment before, was no guess.
    expect(await rowCount('SELECT count AS n FROM rate_limits WHERE key = ?', attemptsKey())).toBe(1);
    // The cookie is spent: replayed with a recovery code, it starts nothing and uses up nothing.
    expect((await post('/login/code', { code: codes[0]! }, { cookie: pending })).headers.get('location')).toBe('/login?flash=code_expired');
    expect(await recoveryRows()).toBe(10);
    // The same app code again from a new password step: refused.
    unspent = await passwordStep();
    expect((await post('/login/code', { code }, { cookie: unspent })).status).toBe(401);
    expect(await liveSessions()).toBe(before + 1);
  });

  it('limits code attempts before any decryption, mails the creator once at the limit, and takes a recovery code once', async () => {
    const pending = await passwordStep();
    await env.DB.prepare('UPDATE rate_limits SET count = ? WHERE key = ?').bind(CODE_ATTEMPTS - 1, attemptsKey()).run();
    await capturingMail(async (mails) => {
      expect((await post('/login/code', { code: '123456' }, { cookie: pending })).status).toBe(401);
      const mail = await waitFor(async () => mails.find((x) => x.to === m.email && x.subject === 'Someone who knows your Chorus account password could not sign in'));
      expect(mail.text).toContain('/forgot');
    });
    expect(await audits('creator.two_step_code_limit_reached')).toBe(1);
    await stepBack();
    const decrypt = vi.spyOn(crypto.subtle, 'decrypt');
    const limited = await post('/login/code', { code: await codeOf(secret) }, { cookie: pending });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(60);
    expect(decrypt).not.toHaveBeenCalled();
    vi.restoreAllMocks();
    expect(await audits('creator.two_step_code_limit_reached')).toBe(1);

    await env.DB.prepare('DELETE FROM rate_limits WHERE key = ?').bind(attemptsKey()).run();
    const used = await capturingMail(async (mails) => {
      const res = await post('/login/code', { code: codes[0]!.toUpperCase() }, { cookie: pending });
      await waitFor(async () => mails.find((x) => x.subject === 'A recovery code was used to sign in to your Chorus account' && x.text.includes('9 of 10')));
      return res;
    });
    expect(used.headers.get('location')).toBe('/account/two-step?flash=recovery_used');
    expect(await (await get('/account/two-step?flash=recovery_used', cookieOf(used, SESSION_COOKIE)!)).text()).toContain('9 of 10 recovery codes left');
    expect(await audits('creator.recovery_code_used')).toBe(1);
    expect((await post('/login/code', { code: codes[0]! }, { cookie: unspent })).status).toBe(401);
    // Signing out ends a code step waiting in the browser.
    expect((await post('/logout', {}, { cookie: unspent })).headers.get('set-cookie')).toContain(`${PENDING_SIGN_IN_COOKIE}=;`);
  });

  it("never lets a creator's pending sign-in complete a console one, nor a console member's a creator's", async () => {
    await stepBack();
    const creatorPending = await passwordStep();
    expect((await post('/console/login/code', { code: await codeOf(secret) }, { cookie: creatorPending })).headers.get('location')).toBe('/console/login?flash=code_expired');
    expect((await get('/console/login/code', creatorPending)).headers.get('location')).toBe('/console/login?flash=code_expired');

    const o = await consoleBrand('viewer');
    const member = await withTwoStep({ type: 'admin_user', id: o.user.id });
    const consolePending = cookieOf(await post('/console/login', { email: o.user.email, password: CONSOLE_PASSWORD }), PENDING_SIGN_IN_COOKIE)!;
    const crossed = await post('/login/code', { code: await codeOf(member.secret) }, { cookie: consolePending });
    expect(crossed.headers.get('location')).toBe('/login?flash=code_expired');
    expect(cookieOf(crossed, SESSION_COOKIE)).toBeNull();
    expect((await get('/login/code', consolePending)).headers.get('location')).toBe('/login?flash=code_expired');

    // Signed for one surface naming an account of the other by its own id and password (the ids of the two tables
    // never meet, so only the audience and the subject type keep these out): each surface refuses the other's.
    const hashOf = (table: string, of: string) => env.DB.prepare(`SELECT password_hash FROM ${table} WHERE id = ?`).bind(of).first<string>('password_hash');
    const forged = await pendingFor('admin_user', { id, passwordHash: (await hashOf('creators', id))! });
    const asConsole = await post('/login/code', { code: await codeOf(secret) }, { cookie: forged });
    expect(asConsole.headers.get('location')).toBe('/login?flash=code_expired');
    expect(cookieOf(asConsole, SESSION_COOKIE)).toBeNull();
    const forgedMember = await pendingFor('creator', { id: o.user.id, passwordHash: (await hashOf('admin_users', o.user.id))! });
    const asCreator = await post('/console/login/code', { code: await codeOf(member.secret) }, { cookie: forgedMember });
    expect(asCreator.headers.get('location')).toBe('/console/login?flash=code_expired');
    expect(cookieOf(asCreator, SESSION_COOKIE)).toBeNull();

    // The operator's command resets a member's too, audited in their brand.
    expect(await operatorReset(memberReset(o.user.email, o.brand.slug, Date.now()))).toEqual({ accounts: 1, factors: 1 });
    expect(await rowCount("SELECT count(*) AS n FROM two_step_factors WHERE subject_type = 'admin_user' AND subject_id = ?", o.user.id)).toBe(0);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'admin_user.two_step_reset' AND target_id = ?", o.brand.brandId, o.user.id)).toBe(1);
  });

  it('still asks for the code after a password reset link', async () => {
    const link = await capturingMail(async (mails) => {
      expect((await post('/forgot', { email: m.email })).status).toBe(200);
      const mail = await waitFor(async () => mails.find((x) => x.to === m.email && /\/reset\//.test(x.text)));
      return new URL(/https?:\/\/\S+\/reset\/\S+/.exec(mail.text)![0]).pathname;
    });
    const reset = await post(link, { password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    expect(reset.headers.get('location')).toBe('/login/code');
    expect(cookieOf(reset, SESSION_COOKIE)).toBeNull();
    expect(await liveSessions()).toBe(0);
    const signedInAgain = await post('/login/code', { code: await codeOf(secret) }, { cookie: cookieOf(reset, PENDING_SIGN_IN_COOKIE)! });
    expect(signedInAgain.headers.get('location')).toBe('/?welcome=1');
    signedIn = cookieOf(signedInAgain, SESSION_COOKIE)!;
  });

  it('makes new recovery codes and turns off with the password and a code, audited and mailed', async () => {
    expect((await post('/account/two-step/recovery', { code: codes[1]!, password: PASSWORD }, { cookie: signedIn })).status).toBe(401);
    const fresh = await capturingMail(async (mails) => {
      const res = await post('/account/two-step/recovery', { code: codes[1]!, password: NEW_PASSWORD }, { cookie: signedIn });
      await waitFor(async () => mails.find((x) => x.subject === 'New recovery codes for your Chorus account'));
      return codesOn(res);
    });
    expect(fresh).toHaveLength(10);
    expect(await audits('creator.recovery_codes_regenerated')).toBe(1);
    // An old code is gone; a new one turns it off.
    expect((await post('/account/two-step/off', { code: codes[2]!, password: NEW_PASSWORD }, { cookie: signedIn })).status).toBe(422);
    await capturingMail(async (mails) => {
      const off = await post('/account/two-step/off', { code: fresh[0]!, password: NEW_PASSWORD }, { cookie: signedIn });
      expect(off.headers.get('location')).toBe('/account/two-step?flash=off');
      await waitFor(async () => mails.find((x) => x.subject === 'Two-step sign-in is off for your Chorus account'));
    });
    expect(await factorCount()).toBe(0);
    // No code is left to use (the one just used keeps its row for a double click's twin, until the cron five minutes on).
    expect(await rowCount("SELECT count(*) AS n FROM recovery_codes WHERE subject_type = 'creator' AND subject_id = ? AND used_at IS NULL", id)).toBe(0);
    expect(await audits('creator.two_step_disabled')).toBe(1);
  });

  it("mails the creator after the operator's reset once the mail is handed on: a refused mail and a dead run's claim go to a later run", async () => {
    const due = Date.now();
    await withTwoStep({ type: 'creator', id });
    expect(await operatorReset(creatorReset(m.email, due))).toEqual({ accounts: 1, factors: 1 });
    expect([await factorCount(), await recoveryRows(), await audits('creator.two_step_reset')]).toEqual([0, 0, 1]);
    // Nothing more to reset: nothing written.
    expect(await operatorReset(creatorReset(m.email, due + 1))).toEqual({ accounts: 1, factors: 0 });
    const stamp = () => env.DB.prepare('SELECT two_step_reset_mail_due_at AS due, two_step_reset_mail_claimed_at AS claimed FROM creators WHERE id = ?').bind(id).first();
    // The queue is down, and the provider refuses the mail: the stamp stays, its claim given back.
    const down = { ...env, MAIL: { sendBatch: async () => Promise.reject(new Error('queue down')) } } as unknown as Env;
    setTransport(async () => Promise.reject(new MailError('refused', 'provider refused')));
    try {
      expect(await mailTwoStepResets(down, due)).toBe(0);
    } finally {
      setTransport(logTransport);
    }
    expect(await stamp()).toEqual({ due, claimed: null });
    // A run that died after its claim: no run takes it within the lease, the first after it mails it, once.
    await env.DB.prepare('UPDATE creators SET two_step_reset_mail_claimed_at = ? WHERE id = ?').bind(due, id).run();
    expect(await mailTwoStepResets(env as Env, due + 60_000)).toBe(0);
    const later = due + MAIL_CLAIM_LEASE_MS + 60_000;
    await capturingMail(async (mails) => {
      expect(await mailTwoStepResets(env as Env, later)).toBe(1);
      expect(await mailTwoStepResets(env as Env, later + 60_000)).toBe(0);
      const mail = await waitFor(async () => mails.find((x) => x.to === m.email));
      expect(mail.subject).toBe('Your Chorus two-step sign-in was reset');
    });
    expect(await stamp()).toEqual({ due: null, claimed: null });
    // One the provider may have taken (no answer) counts as mailed: it is not sent again.
    await env.DB.prepare('UPDATE creators SET two_step_reset_mail_due_at = ? WHERE id = ?').bind(due, id).run();
    setTransport(async () => Promise.reject(new MailError('unconfirmed', 'no answer')));
    try {
      await mailTwoStepResets(down, later);
    } finally {
      setTransport(logTransport);
    }
    expect(await stamp()).toEqual({ due: null, claimed: null });
  });

  it('mails the address the account had when it was reset, and the one it was moved to before the run', async () => {
    const moved = `moved-${id}@creators.test`;
    await withTwoStep({ type: 'creator', id });
    await operatorReset(creatorReset(m.email, Date.now()));
    await env.DB.prepare('UPDATE creators SET email = ? WHERE id = ?').bind(moved, id).run();
    try {
      await capturingMail(async (mails) => {
        expect(await mailTwoStepResets(env as Env, Date.now())).toBe(2);
        const [was, now] = await waitFor(async () => {
          const found = [m.email, moved].map((to) => mails.find((x) => x.to === to));
          return found.every(Boolean) ? found : null;
        });
        for (const mail of [was, now]) expect(mail?.text).toContain(`creator account (${m.email})`);
        expect(was?.text).toContain('Since then the account was moved to another address');
      });
    } finally {
      await env.DB.prepare('UPDATE creators SET email = ? WHERE id = ?').bind(m.email, id).run();
    }
    expect(await rowCount('SELECT count(*) AS n FROM creators WHERE id = ? AND coalesce(two_step_reset_mail_due_at, two_step_reset_mail_to) IS NOT NULL', id)).toBe(0);
  });

  it('says in the data download whether two-step is on, never its secret, and closing the account deletes it', async () => {
    const again = await withTwoStep({ type: 'creator', id });
    const data = await (await get('/account/data.json', signedIn)).text();
    const profile = (JSON.parse(data) as { profile: { twoStepSignIn: { on: boolean; recoveryCodesLeft: number } } }).profile;
    expect(profile.twoStepSignIn).toMatchObject({ on: true, recoveryCodesLeft: 10 });
    const stored = await env.DB.prepare("SELECT secret_enc FROM two_step_factors WHERE subject_type = 'creator' AND subject_id = ?").bind(id).first<string>('secret_enc');
    for (const secretThing of [again.secret, stored!, again.codes[0]!]) expect(data).not.toContain(secretThing);

    const outcome = await eraseCreator(env.DB, id, { by: 'creator', owedSeen: owedKey(await owedTo(env.DB, id)) }, Date.now());
    expect(outcome.erased).toBe(true);
    expect(await factorCount()).toBe(0);
    expect(await recoveryRows()).toBe(0);
  });
});
