// Changing a password while signed in, in the creator portal (/account) and the console (Settings → Team):
// the current password first, limited before any hashing; other sign-ins end and this one stays; mailed reset
// links close; a console email's password changes in every brand it works in.
import { env } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import { eraseCreator, owedKey, owedTo } from '../../../worker/db/creator-erasure';
import { setTransport, type Message } from '../../../worker/lib/messages';
import { adminUser, consoleBrand, PASSWORD as CONSOLE_PASSWORD, signIn } from '../console-fixtures';
import { createBrand, createMoneyBrand, inOneRateWindow, RATE_WINDOW_TEST_TIMEOUT_MS, rowCount, waitFor } from '../fixtures';
import { get, post, sessionCookie } from '../forms';
import { PASSWORD, portalTestDefaults, signedInCreator } from '../portal-fixtures';

portalTestDefaults();

const NEW = 'a different long password';

describe('a creator changing their password', () => {
  it('needs the current one, keeps this sign-in, ends the others and closes mailed reset links', async () => {
    const m = await signedInCreator();
    const elsewhere = sessionCookie(await post('/login', { email: m.email, password: PASSWORD }));
    expect((await get('/account', elsewhere)).status).toBe(200);
    // A reset link mailed earlier, not used yet.
    const sent: Message[] = [];
    setTransport(async (msg) => void sent.push(msg));
    expect((await post('/forgot', { email: m.email })).status).toBe(200);
    await waitFor(async () => sent.length === 1 || undefined);
    const resetPath = new URL(/https?:\/\/\S+/.exec(sent[0]!.text)![0]).pathname;

    const page = await (await get('/account', m.cookie)).text();
    expect(page).toContain('<h1 class="page-title">Your account</h1>');
    expect(page).toContain(m.email);
    expect(page).toContain('autocomplete="current-password"');
    expect(page).toContain('<a class="who-link" href="/account">');

    const res = await post('/account/password', { current: PASSWORD, password: NEW, confirm: NEW }, { cookie: m.cookie });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/account?done=password');
    // The account's own address hears of it.
    const notice = await waitFor(async () => sent.find((x) => x.subject === 'Your Chorus password was changed'));
    expect(notice.to).toBe(m.email);
    expect(notice.text).toContain('/forgot');
    expect(notice.text).not.toContain(NEW);
    expect(await (await get('/account?done=password', m.cookie)).text()).toContain('Password changed. Other devices were signed out');
    // The other browser is signed out; the old password and the old link open nothing.
    expect((await get('/account', elsewhere)).headers.get('location')).toBe('/login?next=%2Faccount');
    expect((await post('/login', { email: m.email, password: PASSWORD })).status).toBe(401);
    expect((await post('/login', { email: m.email, password: NEW })).status).toBe(303);
    expect((await get(resetPath)).status).toBe(410);
  });

  it('says what is wrong, changes nothing, and limits attempts before hashing', async () => {
    const m = await signedInCreator();
    const before = await env.DB.prepare('SELECT password_hash FROM creators WHERE id = ?').bind(m.creator.id).first<{ password_hash: string }>();
    await inOneRateWindow();
    const cases: [Record<string, string>, number, string][] = [
      [{ current: 'not my password', password: NEW, confirm: NEW }, 401, 'That is not your current password.'],
      [{ current: PASSWORD, password: 'short', confirm: 'short' }, 422, 'Use at least 10 characters.'],
      [{ current: PASSWORD, password: NEW, confirm: `${NEW}!` }, 422, 'The two new passwords are different.'],
      [{ current: PASSWORD, password: PASSWORD, confirm: PASSWORD }, 422, 'That is the password you have now. Choose a new one.'],
      [{ current: PASSWORD, password: 'p'.repeat(300), confirm: 'p'.repeat(300) }, 422, 'Use at most 256 characters.'],
    ];
    for (const [fields, status, message] of cases) {
      const res = await post('/account/password', fields, { cookie: m.cookie });
      expect(res.status, message).toBe(status);
      expect(await res.text()).toContain(message);
    }
    // The sixth attempt in the minute is refused before any PBKDF2 work.
    const derive = vi.spyOn(crypto.subtle, 'deriveBits');
    const limited = await post('/account/password', { current: PASSWORD, password: NEW, confirm: NEW }, { cookie: m.cookie });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('60');
    expect(derive).not.toHaveBeenCalled();
    expect(await env.DB.prepare('SELECT password_hash FROM creators WHERE id = ?').bind(m.creator.id).first()).toEqual(before);
    // From another site, or signed out: refused.
    expect((await post('/account/password', { current: PASSWORD, password: NEW, confirm: NEW }, { cookie: m.cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect((await post('/account/password', { current: PASSWORD, password: NEW, confirm: NEW })).status).toBe(401);
    expect((await get('/account')).headers.get('location')).toBe('/login?next=%2Faccount');
  }, RATE_WINDOW_TEST_TIMEOUT_MS);

  it('signs out every other device on request', async () => {
    const m = await signedInCreator();
    const elsewhere = sessionCookie(await post('/login', { email: m.email, password: PASSWORD }));
    const res = await post('/account/sign-out-others', {}, { cookie: m.cookie });
    expect(res.headers.get('location')).toBe('/account?done=signed-out');
    expect((await get('/', elsewhere)).status).toBe(303);
    expect((await get('/', m.cookie)).status).toBe(200);
    expect((await post('/login', { email: m.email, password: PASSWORD })).status).toBe(303);
  });
});

describe('a creator changing their name', () => {
  it('saves the name every brand sees, and refuses an empty or multi-line one, changing nothing', async () => {
    const m = await signedInCreator();
    const nameOf = () => env.DB.prepare('SELECT display_name FROM creators WHERE id = ?').bind(m.creator.id).first('display_name');
    const saved = await post('/account/name', { name: '  Sarah Okafor ' }, { cookie: m.cookie });
    expect(saved.headers.get('location')).toBe('/account?done=name');
    expect(await nameOf()).toBe('Sarah Okafor');
    expect(await (await get('/account?done=name', m.cookie)).text()).toContain('value="Sarah Okafor"');
    const brand = await (await m.brand.api('GET', '/api/admin/creators')).text();
    expect(brand).toContain('Sarah Okafor');
    for (const bad of ['', '   ', 'Two\nlines', 'x'.repeat(81)]) {
      const res = await post('/account/name', { name: bad }, { cookie: m.cookie });
      expect(res.status, JSON.stringify(bad)).toBe(422);
      expect(await res.text()).toContain('Your name: 1 to 80 characters, on one line.');
    }
    expect(await nameOf()).toBe('Sarah Okafor');
    expect((await post('/account/name', { name: 'Mallory' }, { cookie: m.cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect((await post('/account/name', { name: 'Mallory' }, {})).status).toBe(401); // signed out
    expect(await nameOf()).toBe('Sarah Okafor');
  });
});

describe('a creator changing their email', () => {
  const emailOf = (id: string) => env.DB.prepare('SELECT email FROM creators WHERE id = ?').bind(id).first('email');
  const linkIn = (text: string) => /https?:\/\/\S+/.exec(text)![0];
  const fieldsOf = (link: string) => Object.fromEntries(new URL(link).searchParams);

  it('moves the account to an address it proves with a mailed link, once, and tells the old address', async () => {
    const m = await signedInCreator();
    const to = `new-${m.creator.id.slice(-8).toLowerCase()}@creators.example`;
    const sent: Message[] = [];
    setTransport(async (msg) => void sent.push(msg));
    // A reset link mailed to the old address earlier, not used yet.
    expect((await post('/forgot', { email: m.email })).status).toBe(200);
    await waitFor(async () => sent.length === 1 || undefined);
    const resetPath = new URL(linkIn(sent[0]!.text)).pathname;

    const asked = await post('/account/email', { email: `  ${to.toUpperCase()} `, current: PASSWORD }, { cookie: m.cookie });
    expect(asked.headers.get('location')).toBe('/account?done=email-sent');
    expect(await (await get('/account?done=email-sent', m.cookie)).text()).toContain('Check your new address: we emailed it a link.');
    const mail = await waitFor(async () => sent.find((x) => x.subject === 'Confirm your new email for Chorus'));
    expect(mail.to).toBe(to);
    expect(await emailOf(m.creator.id)).toBe(m.email); // nothing changes until the link is used
    const link = linkIn(mail.text);
    // Opening the link (a mail scanner does) changes nothing: it asks.
    const page = await get(new URL(link).pathname + new URL(link).search);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`Use ${to}`);
    expect(await emailOf(m.creator.id)).toBe(m.email);
    const done = await post('/email-change', fieldsOf(link));
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Your email has been changed');
    expect(await emailOf(m.creator.id)).toBe(to);
    // The old address hears of it; its reset link is closed; sign-in uses the new address; brands see it.
    const notice = await waitFor(async () => sent.find((x) => x.subject === 'Your Chorus email was changed'));
    expect(notice.to).toBe(m.email);
    expect(notice.text).not.toContain(to);
    expect((await get(resetPath)).status).toBe(410);
    expect((await post('/login', { email: m.email, password: PASSWORD })).status).toBe(401);
    expect((await post('/login', { email: to, password: PASSWORD })).status).toBe(303);
    expect(await (await m.brand.api('GET', '/api/admin/creators')).text()).toContain(to);
    expect(await env.DB.prepare("SELECT actor_type, details FROM audit_log WHERE brand_id = ? AND action = 'creator.email_changed' AND target_id = ?").bind(m.brand.brandId, m.creator.id).first()).toEqual({
      actor_type: 'creator',
      details: JSON.stringify({ from: m.email, to }),
    });
    // The link works once, and never again even if the account comes back to the old address.
    expect((await post('/email-change', fieldsOf(link))).status).toBe(410);
    expect((await get(new URL(link).pathname + new URL(link).search)).status).toBe(410);
    await env.DB.prepare('UPDATE creators SET email = ? WHERE id = ?').bind(m.email, m.creator.id).run();
    expect((await post('/email-change', fieldsOf(link))).status).toBe(410);
    expect(await emailOf(m.creator.id)).toBe(m.email);
  });

  it('keeps only the latest link open, closes it on a password change, and asks at most every few minutes', async () => {
    const m = await signedInCreator();
    const sent: Message[] = [];
    setTransport(async (msg) => void sent.push(msg));
    const ask = async (to: string) => {
      await env.DB.prepare('UPDATE creators SET email_link_at = email_link_at - 600000 WHERE id = ?').bind(m.creator.id).run();
      expect((await post('/account/email', { email: to, current: PASSWORD }, { cookie: m.cookie })).status).toBe(303);
      return linkIn((await waitFor(async () => sent.find((x) => x.to === to)))!.text);
    };
    const typo = await ask('typo@creators.exmaple');
    // Asked again at once: refused, nothing mailed.
    const again = await post('/account/email', { email: 'other@creators.example', current: PASSWORD }, { cookie: m.cookie });
    expect(again.status).toBe(429);
    expect(await again.text()).toContain('We emailed a link a few minutes ago.');
    const right = await ask('right@creators.example');
    expect((await post('/email-change', fieldsOf(typo))).status).toBe(410); // the newer request closed it
    // A password change closes the open one too.
    expect((await post('/account/password', { current: PASSWORD, password: 'a brand new long password', confirm: 'a brand new long password' }, { cookie: m.cookie })).status).toBe(303);
    expect((await post('/email-change', fieldsOf(right))).status).toBe(410);
    expect(await emailOf(m.creator.id)).toBe(m.email);
  });

  it('tells only the brands the creator accepted, and carries the address opt-outs along', async () => {
    const m = await signedInCreator();
    const unaccepted = await createBrand();
    await env.DB.prepare("INSERT INTO brand_creators (brand_id, creator_id, handle, display_name, email, created_at) VALUES (?, ?, 'theirs', 'Theirs', ?, ?)").bind(unaccepted.brandId, m.creator.id, m.email, Date.now()).run();
    await env.DB.prepare("INSERT INTO mail_opt_outs (email, scope, created_at) VALUES (?, '*', ?)").bind(m.email, Date.now()).run();
    const sent: Message[] = [];
    setTransport(async (msg) => void sent.push(msg));
    const to = `moved-${m.creator.id.slice(-8).toLowerCase()}@creators.example`;
    expect((await post('/account/email', { email: to, current: PASSWORD }, { cookie: m.cookie })).status).toBe(303);
    const link = linkIn((await waitFor(async () => sent.find((x) => x.to === to)))!.text);
    // Two copies of the confirmation at once: one moves the account, and one activity row is written.
    const answers = await Promise.all([post('/email-change', fieldsOf(link)), post('/email-change', fieldsOf(link))]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 410]);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE action = 'creator.email_changed' AND target_id = ? AND brand_id = ?", m.creator.id, m.brand.brandId)).toBe(1);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE action = 'creator.email_changed' AND brand_id = ?", unaccepted.brandId)).toBe(0);
    expect(await rowCount("SELECT count(*) AS n FROM mail_opt_outs WHERE email = ? AND scope = '*'", to)).toBe(1);
  });

  it('keeps every address the account moved from, so closing it clears what was sent from them though no brand saw the move', async () => {
    const m = await signedInCreator();
    const other = await createMoneyBrand();
    // Invited by another brand and not accepted: the account stays when the first brand erases it.
    await env.DB.prepare("INSERT INTO brand_creators (brand_id, creator_id, handle, display_name, email, created_at) VALUES (?, ?, 'theirs', 'Theirs', ?, ?)").bind(other.brand.brandId, m.creator.id, m.email, Date.now()).run();
    const sent: Message[] = [];
    setTransport(async (msg) => void sent.push(msg));
    const move = async (to: string) => {
      await env.DB.prepare('UPDATE creators SET email_link_at = email_link_at - 600000 WHERE id = ?').bind(m.creator.id).run();
      expect((await post('/account/email', { email: to, current: PASSWORD }, { cookie: m.cookie })).status).toBe(303);
      expect((await post('/email-change', fieldsOf(linkIn((await waitFor(async () => sent.find((x) => x.to === to)))!.text)))).status).toBe(200);
    };
    const tag = m.creator.id.slice(-8).toLowerCase();
    const [second, third] = [`second-${tag}@creators.example`, `third-${tag}@creators.example`];
    await move(second);
    expect((await eraseCreator(env.DB, m.creator.id, { by: 'brand', brandId: m.brand.brandId, actorType: 'api_key', actorId: 'key_test' }, Date.now())).erased).toBe(true);
    // An application sent from the second address; then a move no brand's activity shows (the one brand that saw
    // moves erased the creator, which blanked its rows; the other was never accepted).
    await env.DB.prepare("INSERT INTO applications (id, brand_id, campaign_id, email, inbox, handle, name, platform, pitch, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'maya', 'Maya', 'tiktok', '', 'pending', ?, ?)")
      .bind(`app_${tag}`, other.brand.brandId, other.campaign.id, second, second, Date.now(), Date.now())
      .run();
    await move(third);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE action = 'creator.email_changed' AND target_id = ? AND details IS NOT NULL", m.creator.id)).toBe(0);
    const data = JSON.parse(await (await get('/account/data.json', m.cookie)).text()) as { profile: { formerEmails: string[] }; applications: { email: string }[] };
    expect(data.profile.formerEmails).toEqual([m.email, second]);
    // The download holds what was sent from an address the account moved from, as closing it clears it.
    expect(data.applications.map((a) => a.email)).toEqual([second]);

    expect((await eraseCreator(env.DB, m.creator.id, { by: 'creator', owedSeen: owedKey(await owedTo(env.DB, m.creator.id)) }, Date.now())).erased).toBe(true);
    expect(await rowCount('SELECT count(*) AS n FROM applications WHERE email = ?', second)).toBe(0);
    expect(await rowCount('SELECT count(*) AS n FROM creators WHERE id = ? AND former_emails IS NOT NULL', m.creator.id)).toBe(0);
  });

  it('refuses a wrong password, the same address, a forged or lapsed link, and an address another account holds', async () => {
    const m = await signedInCreator();
    const other = await signedInCreator();
    const sent: Message[] = [];
    setTransport(async (msg) => void sent.push(msg));
    await inOneRateWindow();
    const cases: [Record<string, string>, number, string][] = [
      [{ email: 'fresh@creators.example', current: 'not my password' }, 401, 'That is not your password.'],
      [{ email: 'not an address', current: PASSWORD }, 422, 'That is not an email address.'],
      [{ email: m.email.toUpperCase(), current: PASSWORD }, 422, 'That is the email you use now.'],
    ];
    for (const [fields, status, message] of cases) {
      const res = await post('/account/email', fields, { cookie: m.cookie });
      expect(res.status, message).toBe(status);
      expect(await res.text()).toContain(message);
    }
    expect((await post('/account/email', { email: 'fresh@creators.example', current: PASSWORD }, { cookie: m.cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect((await post('/account/email', { email: 'fresh@creators.example', current: PASSWORD })).status).toBe(401);
    expect(sent).toHaveLength(0);
    // Another account's address: the mail goes there (the answer says nothing of it); the link then says so.
    expect((await post('/account/email', { email: other.email, current: PASSWORD }, { cookie: m.cookie })).status).toBe(303);
    const link = linkIn((await waitFor(async () => sent.find((x) => x.to === other.email)))!.text);
    const taken = await post('/email-change', fieldsOf(link));
    expect(taken.status).toBe(409);
    expect(await taken.text()).toContain('already signs in to another Chorus account');
    expect(await emailOf(m.creator.id)).toBe(m.email);
    // A link whose address, account or time was changed, or that lapsed, does nothing.
    const fields = fieldsOf(link);
    for (const forged of [{ ...fields, t: 'mallory@evil.example' }, { ...fields, c: other.creator.id }, { ...fields, a: String(Number(fields.a) + 1) }, { ...fields, k: '0'.repeat(64) }, { ...fields, k: 'x' }]) {
      expect((await post('/email-change', forged)).status).toBe(410);
    }
    const later = vi.spyOn(Date, 'now').mockReturnValue(Number(fields.a) + 24 * 3_600_000 + 1);
    expect((await post('/email-change', fields)).status).toBe(410);
    later.mockRestore();
    expect(await emailOf(m.creator.id)).toBe(m.email);
    expect(await emailOf(other.creator.id)).toBe(other.email);
  }, RATE_WINDOW_TEST_TIMEOUT_MS);
});

describe('a console user changing their password', () => {
  it('changes it for the email in every brand, from any role, and ends the other sign-ins', async () => {
    const o = await consoleBrand('viewer');
    const elsewhere = await signIn(o.user.email);
    // The same person on another brand's team with the same password, and on a third with a password of its own.
    const other = await createBrand();
    const there = await adminUser(other.brandId, 'manager', { email: o.user.email });
    const third = await createBrand();
    const own = await adminUser(third.brandId, 'owner', { email: o.user.email, password: 'a password of its own' });
    const ownBefore = await env.DB.prepare('SELECT password_hash FROM admin_users WHERE id = ?').bind(own.id).first();
    const sent: Message[] = [];
    setTransport(async (msg) => void sent.push(msg));
    const res = await post('/console/team/me/password', { current: CONSOLE_PASSWORD, password: NEW, confirm: NEW }, { cookie: o.cookie });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/team?flash=password');
    const notice = await waitFor(async () => sent.find((x) => x.subject === 'Your Chorus console password was changed'));
    expect(notice.to).toBe(o.user.email);
    expect(notice.text).toContain('/console/forgot');
    const page = await (await get('/console/team?flash=password', o.cookie)).text();
    expect(page).toContain('Password changed. You stay signed in here');
    expect(page).toContain('It changes in every brand where you sign in with the same password.');
    const hashes = await env.DB.prepare('SELECT DISTINCT password_hash FROM admin_users WHERE id IN (?, ?)').bind(o.user.id, there.id).all();
    expect(hashes.results).toHaveLength(1);
    // The password this form did not prove is left as it was.
    expect(await env.DB.prepare('SELECT password_hash FROM admin_users WHERE id = ?').bind(own.id).first()).toEqual(ownBefore);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE action = 'admin_user.password_changed' AND actor_id IN (?, ?)", o.user.id, there.id)).toBe(2);
    expect(await rowCount("SELECT count(*) AS n FROM sessions WHERE subject_type = 'admin_user' AND subject_id IN (?, ?) AND revoked_at IS NULL", o.user.id, there.id)).toBe(1);
    expect((await get('/console/team', elsewhere)).headers.get('location')).toBe('/console/login?next=%2Fconsole%2Fteam');
    expect((await get('/console/team', o.cookie)).status).toBe(200);
    expect((await post('/console/login', { email: o.user.email, password: CONSOLE_PASSWORD })).status).toBe(401);
    expect((await post('/console/login', { email: o.user.email, password: NEW })).status).toBe(200); // the brand choice
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE action = 'admin_user.password_changed' AND actor_id = ?", own.id)).toBe(0);
  });

  it('says what is wrong, changes nothing, and shares the sign-in limit', async () => {
    await inOneRateWindow();
    const o = await consoleBrand('finance');
    const before = await env.DB.prepare('SELECT password_hash FROM admin_users WHERE id = ?').bind(o.user.id).first();
    const wrong = await post('/console/team/me/password', { current: 'not it at all', password: NEW, confirm: NEW }, { cookie: o.cookie });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('Your password: That is not your current password.');
    const mismatch = await post('/console/team/me/password', { current: CONSOLE_PASSWORD, password: NEW, confirm: 'something else entirely' }, { cookie: o.cookie });
    expect(mismatch.status).toBe(422);
    expect((await post('/console/team/me/password', { current: CONSOLE_PASSWORD, password: NEW, confirm: NEW }, { cookie: o.cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect(await env.DB.prepare('SELECT password_hash FROM admin_users WHERE id = ?').bind(o.user.id).first()).toEqual(before);
    // Sign-in, then two tries: two more, and the sixth attempt on the email in the minute is refused unhashed.
    for (let i = 0; i < 2; i++) expect((await post('/console/team/me/password', { current: `guess ${i} at it`, password: NEW, confirm: NEW }, { cookie: o.cookie })).status).toBe(401);
    const derive = vi.spyOn(crypto.subtle, 'deriveBits');
    const limited = await post('/console/team/me/password', { current: CONSOLE_PASSWORD, password: NEW, confirm: NEW }, { cookie: o.cookie });
    expect(limited.status).toBe(429);
    expect(derive).not.toHaveBeenCalled();
    expect(await env.DB.prepare('SELECT password_hash FROM admin_users WHERE id = ?').bind(o.user.id).first()).toEqual(before);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE action = 'admin_user.password_changed' AND actor_id = ?", o.user.id)).toBe(0);
  }, RATE_WINDOW_TEST_TIMEOUT_MS);
});
