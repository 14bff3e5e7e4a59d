// Two-step sign-in in the console: turning it on (a current code and the password), the code after the password
// (no session before it; wrong, replayed and too many codes refused), recovery codes, turning it off, an owner's
// reset, the brand's policy, and a password reset that does not get round it.
import { createExecutionContext, env } from 'cloudflare:test';
import worker from '../../worker/index';
import type { Env } from '../../worker/env';
import { encode, freshIp } from './forms';
import { describe, expect, it, vi } from 'vitest';
import { CODE_ATTEMPTS, factorOf, takeCode, USED_CODE_KEPT_MS } from '../../worker/db/two-step';
import type { Message } from '../../worker/lib/messages';
import { sealSecret } from '../../worker/lib/secrets';
import { PENDING_SIGN_IN_COOKIE, SESSION_COOKIE } from '../../worker/lib/sessions';
import { adminUser, consoleBrand, get, PASSWORD, post, signIn, tag } from './console-fixtures';
import { BASE, createBrand, createMoneyBrand, heldBatches, rowCount, runCron, waitFor } from './fixtures';
import { decodeQr, modulesOfSvg } from './qr-decoder';
import { capturingMail, codeOf, cookieOf, withTwoStep as withTwoStepOf } from './two-step-fixtures';

const NOT_MINE = 'not my password at all';

const withTwoStep = (memberId: string) => withTwoStepOf({ type: 'admin_user', id: memberId });

// The password step for a member with two-step on: the code page, the half-signed-in cookie, and no session.
async function passwordStep(email: string, password = PASSWORD) {
  const res = await post('/console/login', { email, password });
  expect(res.status).toBe(303);
  expect(res.headers.get('location')).toBe('/console/login/code');
  expect(cookieOf(res, SESSION_COOKIE)).toBeNull();
  return cookieOf(res, PENDING_SIGN_IN_COOKIE)!;
}

const factorCount = (id: string) => rowCount("SELECT count(*) AS n FROM two_step_factors WHERE subject_type = 'admin_user' AND subject_id = ?", id);
const attemptsOf = (id: string) => rowCount('SELECT count AS n FROM rate_limits WHERE key = ?', `two-step:admin_user:${id}`);
// The member's count of code attempts set to `n` in a window begun now, with no wrong code or telling of the limit in it.
async function attemptsAt(id: string, n: number) {
  await env.DB.prepare("DELETE FROM rate_limits WHERE key IN (?, ?, ?)").bind(`two-step:admin_user:${id}`, `two-step-wrong:admin_user:${id}`, `two-step-limit-told:admin_user:${id}`).run();
  await env.DB.prepare('INSERT INTO rate_limits (key, window_start, count) VALUES (?, ?, ?)').bind(`two-step:admin_user:${id}`, Date.now(), n).run();
}
const audits = (action: string, target: string) => rowCount('SELECT count(*) AS n FROM audit_log WHERE action = ? AND target_id = ?', action, target);

describe('two-step sign-in in the console', () => {
  it('turns on only with a current code and the password, shows recovery codes once and ends the other sessions', async () => {
    const o = await consoleBrand('viewer');
    const elsewhere = await signIn(o.user.email);
    const page = await (await get('/console/team/me/two-step', o.cookie)).text();
    const secret = /secret=([A-Z2-7]{32})&amp;issuer=Chorus/.exec(page)![1]!;
    // The label names the brand as well as the email: an app keeps one entry per brand.
    const label = `Chorus:${encodeURIComponent(`Test Brand (${o.user.email})`)}`;
    expect(page).toContain(`otpauth://totp/${label}?secret=${secret}`);
    // The QR code on the page reads back as the URI an authenticator app takes.
    expect(decodeQr(modulesOfSvg(/<svg[\s\S]*?<\/svg>/.exec(page)![0])).text).toBe(`otpauth://totp/${label}?secret=${secret}&issuer=Chorus`);
    expect(page).toContain(secret.slice(0, 4) + ' ' + secret.slice(4, 8));
    const setup = /name="setup" value="([^"]+)"/.exec(page)![1]!;

    const before = await rowCount('SELECT count(*) AS n FROM audit_log WHERE target_id = ?', o.user.id);
    const wrongPassword = await post('/console/team/me/two-step', { setup, code: await codeOf(secret), password: NOT_MINE }, { cookie: o.cookie });
    expect(wrongPassword.status).toBe(401);
    expect(await wrongPassword.text()).toContain(setup);
    const wrongCode = await post('/console/team/me/two-step', { setup, code: String((Number(await codeOf(secret)) + 1) % 1e6).padStart(6, '0'), password: PASSWORD }, { cookie: o.cookie });
    expect(wrongCode.status).toBe(422);
    expect(await wrongCode.text()).toContain('That code is not right');
    // Another member's setup (or a forged one) opens nothing for this one.
    const other = await consoleBrand('owner');
    const theirs = /name="setup" value="([^"]+)"/.exec(await (await get('/console/team/me/two-step', other.cookie)).text())![1]!;
    expect((await post('/console/team/me/two-step', { setup: theirs, code: await codeOf(secret), password: PASSWORD }, { cookie: o.cookie })).status).toBe(422);
    expect(await factorCount(o.user.id)).toBe(0);
    expect(await rowCount('SELECT count(*) AS n FROM audit_log WHERE target_id = ?', o.user.id)).toBe(before);
    // From another site: refused before anything.
    expect((await post('/console/team/me/two-step', { setup, code: await codeOf(secret), password: PASSWORD }, { cookie: o.cookie, origin: 'https://evil.example' })).status).toBe(403);

    const on = await capturingMail(async (mails) => {
      const res = await post('/console/team/me/two-step', { setup, code: await codeOf(secret), password: PASSWORD }, { cookie: o.cookie });
      const mail = await waitFor(async () => mails.find((m) => m.subject === 'Two-step sign-in is on for your Chorus console'));
      expect(mail.to).toBe(o.user.email);
      return res;
    });
    expect(on.status).toBe(200);
    const codes = [...(await on.text()).matchAll(/<code>([a-z2-9]{5}-[a-z2-9]{5})<\/code>/g)].map((m) => m[1]!);
    expect(codes).toHaveLength(10);
    const stored = await env.DB.prepare("SELECT secret_enc FROM two_step_factors WHERE subject_type = 'admin_user' AND subject_id = ?").bind(o.user.id).first<string>('secret_enc');
    expect(stored).not.toContain(secret);
    const hashes = (await env.DB.prepare("SELECT code_hash FROM recovery_codes WHERE subject_type = 'admin_user' AND subject_id = ?").bind(o.user.id).all<{ code_hash: string }>()).results;
    expect(hashes).toHaveLength(10);
    expect(hashes.some((h) => codes.some((c) => h.code_hash.includes(c) || h.code_hash.includes(c.replace('-', ''))))).toBe(false);
    expect(await audits('admin_user.two_step_enabled', o.user.id)).toBe(1);
    // This session stays; the other one ended. The Team page says it is on.
    expect((await get('/console/team/me/two-step', o.cookie)).status).toBe(200);
    expect((await get('/console/team', elsewhere)).status).toBe(303);
    expect(await (await get('/console/team', o.cookie)).text()).toContain('Manage two-step sign-in');
  });

  it('asks for the code after the password, starts no session before it, and refuses a wrong or replayed code', async () => {
    const o = await consoleBrand('manager');
    const { secret, codes } = await withTwoStep(o.user.id);
    const pending = await passwordStep(o.user.email);
    // The half-signed-in cookie opens nothing, as itself or passed off as a session.
    expect((await get('/console', pending)).headers.get('location')).toBe('/console/login?next=%2Fconsole');
    expect((await get('/console', `${SESSION_COOKIE}=${pending.split('=')[1]}`)).headers.get('location')).toBe('/console/login?next=%2Fconsole');
    const page = await get('/console/login/code', pending);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('autocomplete="one-time-code"');
    expect(html).toContain('the 6-digit code for <strong>Test Brand</strong>');
    expect((await get('/console/login/code')).headers.get('location')).toBe('/console/login?flash=code_expired');

    const sessions = () => rowCount("SELECT count(*) AS n FROM sessions WHERE subject_type = 'admin_user' AND subject_id = ?", o.user.id);
    const before = await sessions();
    const code = await codeOf(secret);
    const wrong = await post('/console/login/code', { code: code === '000000' ? '000001' : '000000' }, { cookie: pending });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('That code is not right');
    expect(cookieOf(wrong, SESSION_COOKIE)).toBeNull();
    expect(await sessions()).toBe(before);

    const ok = await post('/console/login/code', { code: ` ${code.slice(0, 3)} ${code.slice(3)} ` }, { cookie: pending });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/console');
    const session = cookieOf(ok, SESSION_COOKIE)!;
    expect((await get('/console', session)).status).toBe(200);
    expect(await sessions()).toBe(before + 1);
    // Only the wrong code still counts toward the limit: the right one gave its attempt back.
    expect(await attemptsOf(o.user.id)).toBe(1);
    // The cookie is spent: a second right code with it (a recovery code) starts nothing and uses up nothing.
    expect((await post('/console/login/code', { code: codes[0]! }, { cookie: pending })).headers.get('location')).toBe('/console/login?flash=code_expired');
    expect(await sessions()).toBe(before + 1);
    expect(await rowCount('SELECT count(*) AS n FROM recovery_codes WHERE subject_id = ? AND used_at IS NULL', o.user.id)).toBe(10);
    // Signing out clears a code step waiting in the browser.
    expect((await post('/console/logout', {}, { cookie: await passwordStep(o.user.email) })).headers.get('set-cookie')).toMatch(`${PENDING_SIGN_IN_COOKIE}=;`);
    // The same code again, within its minute, from a new password step: refused.
    const again = await post('/console/login/code', { code }, { cookie: await passwordStep(o.user.email) });
    expect(again.status).toBe(401);
    expect(await sessions()).toBe(before + 1);
  });

  it('takes one of two posts of the same code at once: exactly one session, and no attempt for the other', async () => {
    const o = await consoleBrand('viewer');
    const other = await consoleBrand('viewer');
    const { secret } = await withTwoStep(o.user.id);
    const pending = await passwordStep(o.user.email);
    const code = await codeOf(secret);
    const answers = await Promise.all([1, 2].map(() => post('/console/login/code', { code }, { cookie: pending })));
    expect(answers.map((r) => r.status).sort()).toEqual([303, 401]);
    expect(answers.filter((r) => cookieOf(r, SESSION_COOKIE)).length).toBe(1);
    expect(await rowCount("SELECT count(*) AS n FROM sessions WHERE subject_type = 'admin_user' AND subject_id = ? AND revoked_at IS NULL", o.user.id)).toBe(2); // consoleBrand's, and this one
    // The second was the right code, taken a moment before by its twin: no guess, so no attempt, and no limit mail.
    expect(await attemptsOf(o.user.id)).toBe(0);
    // A recovery code posted twice at once, the same.
    const { codes } = await withTwoStep(other.user.id);
    const otherPending = await passwordStep(other.user.email);
    const recovered = await Promise.all([1, 2].map(() => post('/console/login/code', { code: codes[0]! }, { cookie: otherPending })));
    expect(recovered.map((r) => r.status).sort()).toEqual([303, 401]);
    expect(await attemptsOf(other.user.id)).toBe(0);
  });

  it('answers a twin that read the code step before its first started the session, and the factor after, as a replay at no attempt', async () => {
    const o = await consoleBrand('viewer');
    const { secret } = await withTwoStep(o.user.id);
    const pending = await passwordStep(o.user.email);
    const code = await codeOf(secret);
    const first = await post('/console/login/code', { code }, { cookie: pending });
    expect(first.status).toBe(303);
    const sessions = () => rowCount("SELECT count(*) AS n FROM sessions WHERE subject_type = 'admin_user' AND subject_id = ?", o.user.id);
    const before = await sessions();
    // The twin's read of the code step found its session not started yet (the interleaving Promise.all rarely
    // gives, made certain): only that first read is held back; the factor it then reads has the code taken.
    const prepare = env.DB.prepare.bind(env.DB);
    let held = false;
    vi.spyOn(env.DB, 'prepare').mockImplementation((sql: string) => {
      if (!held && sql.startsWith('SELECT 1 AS used FROM sessions WHERE id = ?')) {
        held = true;
        return prepare(`${sql} AND 0`);
      }
      return prepare(sql);
    });
    const twin = await post('/console/login/code', { code }, { cookie: pending });
    vi.restoreAllMocks();
    expect(held).toBe(true);
    expect(twin.status).toBe(401);
    expect(cookieOf(twin, SESSION_COOKIE)).toBeNull();
    expect(await sessions()).toBe(before);
    // No guess was made: no attempt kept, no wrong code counted.
    expect(await attemptsOf(o.user.id)).toBe(0);
    expect(await rowCount('SELECT count(*) AS n FROM rate_limits WHERE key = ?', `two-step-wrong:admin_user:${o.user.id}`)).toBe(0);
  });

  it('counts no attempt for a settings form posted twice at once: turning it on, new recovery codes, turning it off', async () => {
    const o = await consoleBrand('viewer');
    const page = await (await get('/console/team/me/two-step', o.cookie)).text();
    const secret = /secret=([A-Z2-7]{32})&amp;issuer=Chorus/.exec(page)![1]!;
    const setup = /name="setup" value="([^"]+)"/.exec(page)![1]!;
    const twice = (path: string, form: Record<string, string>) => Promise.all([1, 2].map(() => post(path, form, { cookie: o.cookie })));
    const on = await twice('/console/team/me/two-step', { setup, code: await codeOf(secret), password: PASSWORD });
    expect(on.map((r) => r.status).sort()).toEqual([200, 303]); // the second: on already
    const onAlready = await get(on.find((r) => r.status === 303)!.headers.get('location')!, o.cookie);
    expect(onAlready.status).toBe(200);
    expect(await onAlready.text()).toContain('they cannot be shown again');
    expect(await factorCount(o.user.id)).toBe(1);
    expect(await attemptsOf(o.user.id)).toBe(0);
    const codes = [...(await on.find((r) => r.status === 200)!.text()).matchAll(/<code>([a-z2-9]{5}-[a-z2-9]{5})<\/code>/g)].map((m) => m[1]!);

    // The app's code the setup took is spent: ten steps back, any current code works again.
    const stepBack = () => env.DB.prepare("UPDATE two_step_factors SET last_step = last_step - 10 WHERE subject_type = 'admin_user' AND subject_id = ?").bind(o.user.id).run();
    await stepBack();
    const fresh = await twice('/console/team/me/two-step/recovery', { code: await codeOf(secret), password: PASSWORD });
    // The second finds its code taken by the first: not a wrong code, but codes made (and shown on a dropped page),
    // which it says on the two-step page, offering new ones.
    expect(fresh.map((r) => r.status).sort()).toEqual([200, 303]);
    const twin = fresh.find((r) => r.status === 303)!.headers.get('location')!;
    expect(twin).toBe('/console/team/me/two-step?flash=codes_made');
    const said = await (await get(twin, o.cookie)).text();
    expect(said).toContain('cannot be shown again');
    expect(said).toContain('action="/console/team/me/two-step/recovery"');
    expect(await attemptsOf(o.user.id)).toBe(0);
    // A wrong code still counts, once a post.
    expect((await twice('/console/team/me/two-step/recovery', { code: codes[0]!, password: PASSWORD })).map((r) => r.status)).toEqual([422, 422]);
    expect(await attemptsOf(o.user.id)).toBe(2);
    await env.DB.prepare('DELETE FROM rate_limits WHERE key = ?').bind(`two-step:admin_user:${o.user.id}`).run();
    await stepBack();
    const off = await twice('/console/team/me/two-step/off', { code: await codeOf(secret), password: PASSWORD });
    // The second finds it off already, or its code taken by the first, which turned it off: either way off, and no attempt.
    expect(off.map((r) => [r.status, r.headers.get('location')])).toEqual([303, 303].map((status) => [status, '/console/team/me/two-step?flash=off']));
    expect(await factorCount(o.user.id)).toBe(0);
    expect(await attemptsOf(o.user.id)).toBe(0);
  });

  it('answers both of two turn-offs posted at once "off", in the orders a double click rarely takes, with no attempt counted', async () => {
    const o = await consoleBrand('viewer');
    const path = '/console/team/me/two-step/off';
    // A post whose batches wait at the gate: it has read the factor and checked the password, and not taken the code.
    const heldPost = (fields: Record<string, string>) => {
      const held = heldBatches();
      const headers = { 'content-type': 'application/x-www-form-urlencoded', origin: BASE, cookie: o.cookie, 'cf-connecting-ip': freshIp() };
      const ctx = createExecutionContext();
      const answer = worker.fetch(new Request(`${BASE}${path}`, { method: 'POST', headers, body: encode(fields), redirect: 'manual' }), { ...(env as Env), DB: held.db }, ctx);
      return { ...held, answer };
    };
    const isOff = (res: Response) => [res.status, res.headers.get('location')];
    const OFF = [303, '/console/team/me/two-step?flash=off'];
    const orders: Record<string, (fields: Record<string, string>) => Promise<Response[]>> = {
      // Both read it on; the held one takes the code only after its twin has taken it and turned it off.
      'twin between': async (fields) => {
        const first = heldPost(fields);
        await first.reached;
        const second = await post(path, fields, { cookie: o.cookie });
        first.release();
        return [await first.answer, second];
      },
      // Both read it on and wait to write; then one writes, then the other.
      'both read first': async (fields) => {
        const [first, second] = [heldPost(fields), heldPost(fields)];
        await Promise.all([first.reached, second.reached]);
        first.release();
        const firstAnswer = await first.answer;
        second.release();
        return [firstAnswer, await second.answer];
      },
      // The second reads after the first has written.
      'one after the other': async (fields) => [await post(path, fields, { cookie: o.cookie }), await post(path, fields, { cookie: o.cookie })],
    };
    for (const [order, run] of Object.entries(orders))
      for (const kind of ['app', 'recovery'] as const) {
        await env.DB.prepare("DELETE FROM two_step_factors WHERE subject_type = 'admin_user' AND subject_id = ?").bind(o.user.id).run();
        const { secret, codes } = await withTwoStep(o.user.id);
        const fields = { code: kind === 'app' ? await codeOf(secret) : codes[0]!, password: PASSWORD };
        const disabled = await audits('admin_user.two_step_disabled', o.user.id);
        const answers = await run(fields);
        expect(answers.map(isOff), `${order}, ${kind}`).toEqual([OFF, OFF]);
        expect(await factorCount(o.user.id), `${order}, ${kind}`).toBe(0);
        expect(await attemptsOf(o.user.id), `${order}, ${kind}`).toBe(0);
        expect(await audits('admin_user.two_step_disabled', o.user.id), `${order}, ${kind}`).toBe(disabled + 1);
      }
  });

  it('counts no attempt for a recovery code posted twice at once to new recovery codes or turning it off, whichever twin goes first', async () => {
    const o = await consoleBrand('viewer');
    const session = o.cookie;
    const twice = (path: string, code: string) => Promise.all([1, 2].map(() => post(path, { code, password: PASSWORD }, { cookie: session })));
    // Several rounds, as the twins' order varies: the second may find the first's code taken, or already replaced.
    for (let round = 0; round < 3; round++) {
      const { codes } = await withTwoStep(o.user.id);
      const fresh = await twice('/console/team/me/two-step/recovery', codes[0]!);
      expect(fresh.map((r) => r.status).sort(), `round ${round}`).toEqual([200, 303]);
      expect(fresh.find((r) => r.status === 303)!.headers.get('location')).toBe('/console/team/me/two-step?flash=codes_made');
      expect(await attemptsOf(o.user.id), `round ${round}`).toBe(0);
      // The first made new codes: the old ones, used or not, open nothing.
      expect(await rowCount('SELECT count(*) AS n FROM recovery_codes WHERE subject_id = ? AND used_at IS NULL', o.user.id)).toBe(10);
      const newCodes = [...(await fresh.find((r) => r.status === 200)!.text()).matchAll(/<code>([a-z2-9]{5}-[a-z2-9]{5})<\/code>/g)].map((m) => m[1]!);
      const off = await twice('/console/team/me/two-step/off', newCodes[0]!);
      // The second finds it off already, or its code taken by the first, which turned it off: either way off, and no attempt.
      expect(off.map((r) => [r.status, r.headers.get('location')]), `round ${round}`).toEqual([303, 303].map((status) => [status, '/console/team/me/two-step?flash=off']));
      expect(await factorCount(o.user.id)).toBe(0);
      expect(await attemptsOf(o.user.id), `round ${round}`).toBe(0);
    }
    // The order the twins rarely take at once, made certain: the second read the factor before the first took the
    // code, and the first made new codes (or turned it off) before the second tried it.
    for (const path of ['/console/team/me/two-step/recovery', '/console/team/me/two-step/off']) {
      const subject = { type: 'admin_user', id: o.user.id } as const;
      await env.DB.prepare("DELETE FROM two_step_factors WHERE subject_type = 'admin_user' AND subject_id = ?").bind(o.user.id).run();
      const { codes } = await withTwoStep(o.user.id);
      const readByTwin = (await factorOf(env.DB, subject))!;
      expect((await post(path, { code: codes[0]!, password: PASSWORD }, { cookie: session })).status).toBeLessThan(400);
      expect(await takeCode(env.DB, env.SECRETS_KEY, subject, readByTwin, codes[0]!, Date.now()), path).toBe('spent');
      // A code never used is wrong still, against the same factor.
      expect(await takeCode(env.DB, env.SECRETS_KEY, subject, readByTwin, codes[1]!, Date.now()), path).toBeNull();
    }
    // A used recovery code is still a wrong code, however recently it was used, when the form read it used already.
    const { codes } = await withTwoStep(o.user.id);
    expect((await post('/console/team/me/two-step/recovery', { code: codes[1]!, password: PASSWORD }, { cookie: session })).status).toBe(200);
    expect((await post('/console/team/me/two-step/recovery', { code: codes[1]!, password: PASSWORD }, { cookie: session })).status).toBe(422);
    expect(await attemptsOf(o.user.id)).toBe(1);
  });

  it('leads someone in two brands who picks the one with two-step to its code page', async () => {
    const email = `agency-${tag()}@agency.test`;
    const [plain, guarded] = await Promise.all([createBrand(), createBrand()]);
    await env.DB.prepare("UPDATE brands SET name = 'Guarded Brand' WHERE id = ?").bind(guarded.brandId).run();
    await adminUser(plain.brandId, 'owner', { email });
    const member = await adminUser(guarded.brandId, 'viewer', { email });
    const { secret } = await withTwoStep(member.id);
    const login = await post('/console/login', { email, password: PASSWORD });
    const choice = /name="choice" value="([^"]+)"/.exec(await login.text())![1]!;
    const picked = await post('/console/login/brand', { choice, account: member.id }, { cookie: cookieOf(login, '__Host-chorus_brand_choice')! });
    expect(picked.headers.get('location')).toBe('/console/login/code');
    expect(cookieOf(picked, SESSION_COOKIE)).toBeNull();
    const pending = cookieOf(picked, PENDING_SIGN_IN_COOKIE)!;
    expect(await (await get('/console/login/code', pending)).text()).toContain('the 6-digit code for <strong>Guarded Brand</strong>');
    const signedIn = await post('/console/login/code', { code: await codeOf(secret) }, { cookie: pending });
    expect(signedIn.headers.get('location')).toBe('/console');
    expect(await (await get('/console/team', cookieOf(signedIn, SESSION_COOKIE)!)).text()).toContain('Guarded Brand');
  });

  it('limits code attempts per member before any crypto, and takes a recovery code once', async () => {
    const o = await consoleBrand('finance');
    const { secret, codes } = await withTwoStep(o.user.id);
    const pending = await passwordStep(o.user.email);
    const used = await capturingMail(async (mails) => {
      const res = await post('/console/login/code', { code: codes[0]!.toUpperCase() }, { cookie: pending });
      await waitFor(async () => mails.find((m) => m.subject === 'A recovery code was used to sign in to your Chorus console' && m.text.includes('9 of 10')));
      return res;
    });
    expect(used.status).toBe(303);
    expect(used.headers.get('location')).toBe('/console/team/me/two-step?flash=recovery_used');
    expect(await (await get('/console/team/me/two-step?flash=recovery_used', cookieOf(used, SESSION_COOKIE)!)).text()).toContain('9 of 10 recovery codes left');
    expect(await audits('admin_user.recovery_code_used', o.user.id)).toBe(1);
    expect((await post('/console/login/code', { code: codes[0]! }, { cookie: await passwordStep(o.user.email) })).status).toBe(401);

    // The wrong code that reaches the limit, after a right password: the member is told once, and it is audited.
    await env.DB.prepare('UPDATE rate_limits SET count = ? WHERE key = ?').bind(CODE_ATTEMPTS - 1, `two-step:admin_user:${o.user.id}`).run();
    await capturingMail(async (mails) => {
      expect((await post('/console/login/code', { code: codes[0]! }, { cookie: await passwordStep(o.user.email) })).status).toBe(401);
      const mail = await waitFor(async () => mails.find((m) => m.to === o.user.email && m.subject === 'Someone who knows your Chorus console password could not sign in'));
      expect(mail.text).toContain('/console/forgot');
    });
    expect(await audits('admin_user.two_step_code_limit_reached', o.user.id)).toBe(1);

    // In a signed-in session too: the wrong code that reaches the limit came after the right password, so the member
    // is told (in words for a session, not a sign-in) and it is audited; a wrong password reaching it proves nothing.
    const session = cookieOf(used, SESSION_COOKIE)!;
    await capturingMail(async (mails) => {
      await attemptsAt(o.user.id, CODE_ATTEMPTS - 1);
      expect((await post('/console/team/me/two-step/off', { code: codes[0]!, password: NOT_MINE }, { cookie: session })).status).toBe(401);
      await attemptsAt(o.user.id, CODE_ATTEMPTS - 1);
      expect((await post('/console/team/me/two-step/recovery', { code: codes[0]!, password: PASSWORD }, { cookie: session })).status).toBe(422);
      const mail = await waitFor(async () => mails.find((m) => m.to === o.user.email && m.subject === 'Wrong two-step codes were typed in your Chorus console'));
      expect(mail.text).toContain('/console/forgot');
      expect(mails.filter((m) => m.to === o.user.email && m.subject.startsWith('Someone who knows'))).toHaveLength(0);
    });
    expect(await audits('admin_user.two_step_code_limit_reached', o.user.id)).toBe(2);

    // Spent attempts: the right code is refused without opening the secret.
    await env.DB.prepare('UPDATE rate_limits SET count = ? WHERE key = ?').bind(CODE_ATTEMPTS, `two-step:admin_user:${o.user.id}`).run();
    const open = vi.spyOn(crypto.subtle, 'decrypt');
    const limited = await post('/console/login/code', { code: await codeOf(secret) }, { cookie: await passwordStep(o.user.email) });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(60);
    expect(cookieOf(limited, SESSION_COOKIE)).toBeNull();
    expect(open).not.toHaveBeenCalled();
    // The same count guards the signed-in forms, before the password is hashed.
    const derive = vi.spyOn(crypto.subtle, 'deriveBits');
    expect((await post('/console/team/me/two-step/off', { code: await codeOf(secret), password: PASSWORD }, { cookie: cookieOf(used, SESSION_COOKIE)! })).status).toBe(429);
    expect(derive).not.toHaveBeenCalled();
    vi.restoreAllMocks();
    expect(await factorCount(o.user.id)).toBe(1);
    expect(await audits('admin_user.two_step_code_limit_reached', o.user.id)).toBe(2);
  });

  it('tells of the limit once a window when a wrong code is among its attempts, whichever attempt reaches it', async () => {
    const o = await consoleBrand('viewer');
    const { codes } = await withTwoStep(o.user.id);
    const limitMails = (mails: Message[]) => mails.filter((m) => m.to === o.user.email && /could not sign in|Wrong two-step codes/.test(m.subject));
    // Wrong codes, then a wrong password on purpose at the limit: still told, with the number of wrong codes.
    await capturingMail(async (mails) => {
      for (let i = 1; i < CODE_ATTEMPTS; i++) expect((await post('/console/team/me/two-step/recovery', { code: `wrong-${i}aaaa`, password: PASSWORD }, { cookie: o.cookie })).status).toBe(422);
      expect((await post('/console/team/me/two-step/recovery', { code: codes[0]!, password: NOT_MINE }, { cookie: o.cookie })).status).toBe(401);
      const mail = await waitFor(async () => limitMails(mails)[0]);
      expect(mail.text).toContain(`${CODE_ATTEMPTS - 1} wrong two-step codes`);
      expect(await audits('admin_user.two_step_code_limit_reached', o.user.id)).toBe(1);
      // A slow right code gives its attempt back after the limit (5 → 4): the next wrong code reaches it again, untold.
      await env.DB.prepare('UPDATE rate_limits SET count = count - 1 WHERE key = ?').bind(`two-step:admin_user:${o.user.id}`).run();
      expect((await post('/console/team/me/two-step/recovery', { code: 'wrongxaaaa', password: PASSWORD }, { cookie: o.cookie })).status).toBe(422);
      await new Promise((r) => setTimeout(r, 200));
      expect(limitMails(mails)).toHaveLength(1);
    });
    expect(await audits('admin_user.two_step_code_limit_reached', o.user.id)).toBe(1);

    // Wrong passwords, then one wrong code at the sign-in step: told, of one wrong code (not five).
    await attemptsAt(o.user.id, 0);
    await capturingMail(async (mails) => {
      for (let i = 1; i < CODE_ATTEMPTS; i++) expect((await post('/console/team/me/two-step/off', { code: codes[0]!, password: NOT_MINE }, { cookie: o.cookie })).status).toBe(401);
      expect((await post('/console/login/code', { code: '000000' }, { cookie: await passwordStep(o.user.email) })).status).toBe(401);
      const mail = await waitFor(async () => limitMails(mails)[0]);
      expect(mail.subject).toBe('Someone who knows your Chorus console password could not sign in');
      expect(mail.text).toContain('a wrong two-step code ');
    });
    expect(await audits('admin_user.two_step_code_limit_reached', o.user.id)).toBe(2);

    // Wrong passwords alone: nobody is told.
    await attemptsAt(o.user.id, 0);
    await capturingMail(async (mails) => {
      for (let i = 0; i < CODE_ATTEMPTS; i++) expect((await post('/console/team/me/two-step/off', { code: codes[0]!, password: NOT_MINE }, { cookie: o.cookie })).status).toBe(401);
      await new Promise((r) => setTimeout(r, 200));
      expect(limitMails(mails)).toHaveLength(0);
    });
    expect(await audits('admin_user.two_step_code_limit_reached', o.user.id)).toBe(2);
  });

  it('says a secret sealed under an earlier SECRETS_KEY cannot be read, not that the code is wrong, and takes no attempt for it', async () => {
    const o = await consoleBrand('owner');
    const { secret, codes } = await withTwoStep(o.user.id);
    await env.DB.prepare("UPDATE two_step_factors SET secret_enc = ? WHERE subject_type = 'admin_user' AND subject_id = ?").bind(await sealSecret('an earlier secrets key, since rotated away', secret), o.user.id).run();
    const pending = await passwordStep(o.user.email);
    for (const code of [await codeOf(secret), codes[0]!]) {
      const res = await post('/console/login/code', { code }, { cookie: pending });
      expect(res.status).toBe(409);
      expect(await res.text()).toContain('two-step key cannot be read');
    }
    expect(await attemptsOf(o.user.id)).toBe(0);
  });

  it('regenerates recovery codes and turns off with the password and a code, audited and mailed', async () => {
    const o = await consoleBrand('owner');
    const { secret, codes } = await withTwoStep(o.user.id);
    const wrong = await post('/console/team/me/two-step/recovery', { code: await codeOf(secret), password: NOT_MINE }, { cookie: o.cookie });
    expect(wrong.status).toBe(401);
    const fresh = await capturingMail(async (mails) => {
      const res = await post('/console/team/me/two-step/recovery', { code: await codeOf(secret), password: PASSWORD }, { cookie: o.cookie });
      await waitFor(async () => mails.find((m) => m.subject === 'New recovery codes for your Chorus console'));
      return [...(await res.text()).matchAll(/<code>([a-z2-9]{5}-[a-z2-9]{5})<\/code>/g)].map((m) => m[1]!);
    });
    expect(fresh).toHaveLength(10);
    expect(await audits('admin_user.recovery_codes_regenerated', o.user.id)).toBe(1);
    // An old code is gone; a new one turns it off (a replayed app code would not).
    expect((await post('/console/team/me/two-step/off', { code: codes[2]!, password: PASSWORD }, { cookie: o.cookie })).status).toBe(422);
    await capturingMail(async (mails) => {
      const off = await post('/console/team/me/two-step/off', { code: fresh[0]!, password: PASSWORD }, { cookie: o.cookie });
      expect(off.status).toBe(303);
      expect(off.headers.get('location')).toBe('/console/team/me/two-step?flash=off');
      await waitFor(async () => mails.find((m) => m.subject === 'Two-step sign-in is off for your Chorus console'));
    });
    expect(await factorCount(o.user.id)).toBe(0);
    // No code is left to use; the one just used keeps its row for a double click's twin, until the cron five minutes on.
    expect(await rowCount("SELECT count(*) AS n FROM recovery_codes WHERE subject_type = 'admin_user' AND subject_id = ? AND used_at IS NULL", o.user.id)).toBe(0);
    expect(await rowCount("SELECT count(*) AS n FROM recovery_codes WHERE subject_type = 'admin_user' AND subject_id = ? AND used_at < ?", o.user.id, Date.now() - USED_CODE_KEPT_MS)).toBe(0);
    expect(await audits('admin_user.two_step_disabled', o.user.id)).toBe(1);
    expect(await signIn(o.user.email)).toMatch(SESSION_COOKIE);
  });

  it("the cron deletes a used recovery code's row five minutes on where two-step stayed off, and keeps the rest", async () => {
    const off = await consoleBrand('viewer');
    const on = await consoleBrand('viewer');
    await withTwoStep(on.user.id);
    const now = Date.now();
    const used = (memberId: string, hash: string, at: number) =>
      env.DB.prepare("INSERT INTO recovery_codes (subject_type, subject_id, code_hash, used_at, created_at) VALUES ('admin_user', ?, ?, ?, ?)").bind(memberId, hash, at, at);
    await env.DB.batch([used(off.user.id, 'stale', now - USED_CODE_KEPT_MS - 60_000), used(off.user.id, 'fresh', now - 60_000), used(on.user.id, 'stale', now - USED_CODE_KEPT_MS - 60_000)]);
    await runCron();
    const hashesOf = async (memberId: string) =>
      (await env.DB.prepare("SELECT code_hash FROM recovery_codes WHERE subject_type = 'admin_user' AND subject_id = ? AND used_at IS NOT NULL").bind(memberId).all<{ code_hash: string }>()).results.map((r) => r.code_hash);
    expect(await hashesOf(off.user.id)).toEqual(['fresh']);
    // With two-step on a used code's row stays until new codes are made.
    expect(await hashesOf(on.user.id)).toEqual(['stale']);
    expect(await rowCount("SELECT count(*) AS n FROM recovery_codes WHERE subject_type = 'admin_user' AND subject_id = ? AND used_at IS NULL", on.user.id)).toBe(10);
  });

  it('refuses, as a wrong code, a recovery code used before two-step was turned off and on again, whenever it was used', async () => {
    for (const aged of [USED_CODE_KEPT_MS + 60_000, 0]) {
      const o = await consoleBrand('viewer');
      const subject = { type: 'admin_user', id: o.user.id } as const;
      const { codes } = await withTwoStep(o.user.id);
      expect((await post('/console/team/me/two-step/off', { code: codes[0]!, password: PASSWORD }, { cookie: o.cookie })).status).toBe(303);
      await env.DB.prepare("UPDATE recovery_codes SET used_at = used_at - ? WHERE subject_type = 'admin_user' AND subject_id = ?").bind(aged, o.user.id).run();
      await withTwoStep(o.user.id);
      expect(await takeCode(env.DB, env.SECRETS_KEY, subject, (await factorOf(env.DB, subject))!, codes[0]!, Date.now()), `aged ${aged}`).toBeNull();
      const pending = await passwordStep(o.user.email);
      const before = await attemptsOf(o.user.id);
      expect((await post('/console/login/code', { code: codes[0]! }, { cookie: pending })).status, `aged ${aged}`).toBe(401);
      expect(await attemptsOf(o.user.id), `aged ${aged}`).toBe(before + 1);
    }
  });

  it("lets an owner reset a member's two-step (asked twice, audited, mailed), and no other brand's", async () => {
    const o = await consoleBrand('owner');
    const member = await adminUser(o.brand.brandId, 'manager');
    const { secret } = await withTwoStep(member.id);
    const waiting = await passwordStep(member.email);
    const team = await (await get('/console/team', o.cookie)).text();
    expect(team).toContain('Reset two-step');
    const ask = await post(`/console/team/${member.id}/two-step/reset`, {}, { cookie: o.cookie });
    expect(ask.status).toBe(200);
    expect(await ask.text()).toContain('two-step sign-in?');
    expect(await factorCount(member.id)).toBe(1);
    // A manager cannot; another brand's owner gets a 404, as for a member that does not exist.
    const manager = await adminUser(o.brand.brandId, 'manager');
    expect((await post(`/console/team/${member.id}/two-step/reset`, { confirm: '1' }, { cookie: await signIn(manager.email) })).status).toBe(403);
    const stranger = await consoleBrand('owner');
    expect((await post(`/console/team/${member.id}/two-step/reset`, { confirm: '1' }, { cookie: stranger.cookie })).status).toBe(404);
    expect(await factorCount(member.id)).toBe(1);

    // The owner's session alone is not enough: the confirmation takes their password.
    const unproven = await post(`/console/team/${member.id}/two-step/reset`, { confirm: '1' }, { cookie: o.cookie });
    expect(unproven.status).toBe(401);
    expect(await unproven.text()).toContain('Reset two-step sign-in');
    expect(await factorCount(member.id)).toBe(1);

    await capturingMail(async (mails) => {
      const res = await post(`/console/team/${member.id}/two-step/reset`, { confirm: '1', password: PASSWORD }, { cookie: o.cookie });
      expect(res.headers.get('location')).toBe('/console/team?flash=two_step_reset');
      const mail = await waitFor(async () => mails.find((m) => m.to === member.email));
      expect(mail.subject).toBe('Your two-step sign-in for Test Brand on Chorus was reset');
    });
    expect(await factorCount(member.id)).toBe(0);
    expect(await audits('admin_user.two_step_reset', member.id)).toBe(1);
    // A code step begun before the reset ends with a plain "Sign in again", and the password alone then signs in.
    expect((await post('/console/login/code', { code: await codeOf(secret) }, { cookie: waiting })).headers.get('location')).toBe('/console/login?flash=sign_in_again');
    expect(await signIn(member.email)).toMatch(SESSION_COOKIE);
  });

  it('requires two-step of the whole team by policy: the rest are sent to set it up first', async () => {
    const o = await consoleBrand('owner');
    const member = await adminUser(o.brand.brandId, 'viewer');
    // Not before the owner has it on.
    expect((await post('/console/team/two-step-policy', { required: 'on' }, { cookie: o.cookie })).status).toBe(409);
    const own = await withTwoStep(o.user.id);
    await capturingMail(async (mails) => {
      const res = await post('/console/team/two-step-policy', { required: 'on' }, { cookie: o.cookie });
      expect(res.headers.get('location')).toBe('/console/team?flash=two_step_required');
      await waitFor(async () => mails.find((m) => m.to === member.email && m.subject === 'Test Brand now requires two-step sign-in on Chorus'));
      expect(mails.some((m) => m.to === o.user.email)).toBe(false);
    });
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE action = 'brand.two_step_policy_changed' AND brand_id = ?", o.brand.brandId)).toBe(1);
    expect(await (await get('/console/team', o.cookie)).text()).toContain('held on the setup page from their next page');

    const cookie = await signIn(member.email);
    expect((await get('/console/payouts', cookie)).headers.get('location')).toBe('/console/team/me/two-step?flash=required');
    expect((await post('/console/team/me/name', { name: 'Someone Else' }, { cookie })).status).toBe(403);
    const setup = await get('/console/team/me/two-step', cookie);
    expect(setup.status).toBe(200);
    expect(await setup.text()).toContain('Set up two-step sign-in');
    expect((await post('/console/logout', {}, { cookie })).status).toBe(303);
    // Someone with it on cannot turn it off while it is required.
    expect((await post('/console/team/me/two-step/off', { code: '123456', password: PASSWORD }, { cookie: o.cookie })).status).toBe(409);
    expect(await factorCount(o.user.id)).toBe(1);

    // Turning the policy off is asked again, and takes the owner's password and a code, not their session alone.
    const required = () => rowCount('SELECT require_two_step AS n FROM brands WHERE id = ?', o.brand.brandId);
    expect(await (await post('/console/team/two-step-policy', {}, { cookie: o.cookie })).text()).toContain('Stop requiring two-step sign-in?');
    expect((await post('/console/team/two-step-policy', { confirm: '1' }, { cookie: o.cookie })).status).toBe(401);
    expect((await post('/console/team/two-step-policy', { confirm: '1', password: PASSWORD }, { cookie: o.cookie })).status).toBe(422);
    expect(await required()).toBe(1);
    const off = await post('/console/team/two-step-policy', { confirm: '1', password: PASSWORD, code: await codeOf(own.secret) }, { cookie: o.cookie });
    expect(off.headers.get('location')).toBe('/console/team?flash=two_step_optional');
    expect(await required()).toBe(0);
  });

  it('still asks for the code after a password reset', async () => {
    const o = await createMoneyBrand();
    const email = `reset-${tag()}@brand.test`;
    const member = await adminUser(o.brand.brandId, 'owner', { email });
    const { secret } = await withTwoStep(member.id);
    const link = await capturingMail(async (mails) => {
      expect((await post('/console/forgot', { email })).status).toBe(200);
      const mail = await waitFor(async () => mails.find((m) => m.to === email));
      return new URL(/https?:\/\/\S+\/console\/reset\/\S+/.exec(mail.text)![0]).pathname;
    });
    const NEW = 'a brand new password 2026';
    const reset = await post(link, { password: NEW, confirm: NEW });
    expect(reset.status).toBe(303);
    expect(cookieOf(reset, SESSION_COOKIE)).toBeNull();
    const pending = await passwordStep(email, NEW);
    expect((await get('/console', pending)).status).toBe(303);
    expect(cookieOf(await post('/console/login/code', { code: await codeOf(secret) }, { cookie: pending }), SESSION_COOKIE)).not.toBeNull();
  });
});
