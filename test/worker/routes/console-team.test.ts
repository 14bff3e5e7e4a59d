// The brand's team in the console: adding people by a mailed invitation, roles, removal, and the owner a brand always keeps.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { newId } from '../../../worker/lib/ids';
import { logTransport, MailError, setTransport, type Message } from '../../../worker/lib/messages';
import { adminUser, consoleBrand, get, post, sessionCookie as sessionOf, signIn, tag, PASSWORD, type Fields, type Role } from '../console-fixtures';
import { rowCount, waitFor } from '../fixtures';

const auditCount = (brandId: string) => rowCount('SELECT count(*) AS n FROM audit_log WHERE brand_id = ?', brandId);

describe('console team', () => {
  // What a team form mailed while it answered (invitations leave before the answer), as link paths.
  async function mailing(run: () => Promise<Response>): Promise<{ res: Response; links: string[]; mails: Message[] }> {
    const mails: Message[] = [];
    setTransport(async (msg) => void mails.push(msg));
    try {
      const res = await run();
      const links = mails.flatMap((m) => [.../https?:\/\/\S+\/console\/reset\/\S+/.exec(m.text) ?? []].map((u) => new URL(u).pathname));
      return { res, links, mails };
    } finally {
      setTransport(logTransport);
    }
  }
  const memberOf = (brandId: string, email: string) =>
    env.DB.prepare('SELECT id, role, password_hash, removed_at FROM admin_users WHERE brand_id = ? AND email = ?').bind(brandId, email).first<{ id: string; role: Role; password_hash: string | null; removed_at: number | null }>();
  const teamSize = (brandId: string) => rowCount('SELECT count(*) AS n FROM admin_users WHERE brand_id = ? AND removed_at IS NULL', brandId);

  it('adds someone by email, mails only them the link, and the password they choose opens the console in their role', async () => {
    const o = await consoleBrand('owner');
    const email = `mia-${tag()}@brand.test`;
    const { res, links, mails } = await mailing(() => post('/console/team', { email: ` ${email.toUpperCase()} `, name: 'Mia Lind', role: 'manager' }, { cookie: o.cookie }));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/team?flash=added');
    expect(mails.map((m) => [m.to, m.subject])).toEqual([[email, "You're invited to Test Brand on Chorus"]]);
    expect(mails[0]!.text).toContain('as manager');
    expect(links).toHaveLength(1);
    // The link is never on the owner's page.
    const team = await (await get('/console/team?flash=added', o.cookie)).text();
    expect(team).toContain(email);
    expect(team).toContain('Invited');
    expect(team).not.toContain(links[0]!);
    expect((await memberOf(o.brand.brandId, email))!.password_hash).toBeNull();
    expect((await post('/console/login', { email, password: PASSWORD })).status).toBe(401);

    const join = await get(links[0]!);
    expect(join.status).toBe(200);
    expect(await join.text()).toContain('Join Test Brand');
    expect((await post(links[0]!, { password: 'mia chooses this one', confirm: 'mia chooses this one' })).status).toBe(303);
    const cookie = await signIn(email, 'mia chooses this one');
    const home = await (await get('/console', cookie)).text();
    expect(home).toContain('Mia Lind · ');
    expect(home).toContain('Manager');
    // A manager reads the team and changes nothing.
    const read = await (await get('/console/team', cookie)).text();
    expect(read).toContain('Only an owner can add people');
    expect(read).not.toContain('Add and email the invitation');
    expect((await post('/console/team', { email: `x-${tag()}@brand.test`, name: 'X', role: 'owner' }, { cookie })).status).toBe(403);
    expect((await post(`/console/team/${o.user.id}/role`, { role: 'viewer' }, { cookie })).status).toBe(403);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action IN ('admin_user.added', 'admin_user.joined') AND target_id = ?", o.brand.brandId, (await memberOf(o.brand.brandId, email))!.id)).toBe(2);
    expect(await (await get('/console/team', o.cookie)).text()).toContain('Active');
  });

  it('refuses bad input, a cross-site form, a second copy of a member and another brand’s ids, writing nothing', async () => {
    const o = await consoleBrand('owner');
    const other = await consoleBrand('owner');
    const mate = await adminUser(o.brand.brandId, 'manager');
    const before = await teamSize(o.brand.brandId);
    const audits = await auditCount(o.brand.brandId);
    for (const [fields, status, says] of [
      [{ email: 'not an address', name: 'A', role: 'manager' }, 422, 'Enter their email address.'],
      [{ email: `a-${tag()}@brand.test`, name: '', role: 'manager' }, 422, 'Enter their name.'],
      [{ email: `a-${tag()}@brand.test`, name: 'A\u202eB', role: 'manager' }, 422, 'No text-direction override characters.'],
      [{ email: `a-${tag()}@brand.test`, name: 'x'.repeat(101), role: 'manager' }, 422, ''],
      [{ email: `a-${tag()}@brand.test`, name: 'A', role: 'admin' }, 422, 'Pick a role'],
      [{ email: `a-${tag()}@brand.test`, name: 'A', role: ['owner', 'viewer'] }, 303, ''],
      [{ email: mate.email.toUpperCase(), name: 'Again', role: 'viewer' }, 409, 'is on the team already'],
    ] as const) {
      const res = await post('/console/team', fields as Fields, { cookie: o.cookie });
      expect(res.status, JSON.stringify(fields)).toBe(status);
      if (says) expect(await res.text()).toContain(says);
    }
    // The one good form (the first role of two wins) added one person.
    expect(await teamSize(o.brand.brandId)).toBe(before + 1);
    expect(await auditCount(o.brand.brandId)).toBe(audits + 1);
    expect((await post('/console/team', { email: `b-${tag()}@brand.test`, name: 'B', role: 'viewer' }, { cookie: o.cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect((await post('/console/team', { email: `b-${tag()}@brand.test`, name: 'B', role: 'viewer' }, { cookie: o.cookie, origin: null })).status).toBe(403);
    // Another brand's member, a made-up id and a path-like id are all "not found"; the owner's own row is refused.
    for (const id of [other.user.id, 'adm_nope', '..%2F..%2Fsettings']) {
      for (const action of ['role', 'remove', 'invite']) expect((await post(`/console/team/${id}/${action}`, { role: 'viewer', confirm: '1' }, { cookie: o.cookie })).status, `${id} ${action}`).toBe(404);
    }
    for (const action of ['role', 'remove']) expect((await post(`/console/team/${o.user.id}/${action}`, { role: 'viewer', confirm: '1' }, { cookie: o.cookie })).status).toBe(409);
    expect((await post(`/console/team/${mate.id}/role`, { role: 'root' }, { cookie: o.cookie })).status).toBe(422);
    expect((await memberOf(other.brand.brandId, other.user.email))!).toMatchObject({ role: 'owner', removed_at: null });
    expect((await memberOf(o.brand.brandId, mate.email))!.role).toBe('manager');
    expect(await teamSize(o.brand.brandId)).toBe(before + 1);
  });

  it('changes roles at once, never leaves the brand without an owner, and removes someone only when asked twice, telling them', { timeout: 30_000 }, async () => {
    const o = await consoleBrand('owner');
    const second = await adminUser(o.brand.brandId, 'owner');
    const secondCookie = await signIn(second.email);
    const viewer = await adminUser(o.brand.brandId, 'viewer');
    const viewerCookie = await signIn(viewer.email);

    expect((await post(`/console/team/${viewer.id}/role`, { role: 'manager' }, { cookie: o.cookie })).headers.get('location')).toBe('/console/team?flash=role');
    expect(await (await get('/console', viewerCookie)).text()).not.toContain('view-only access');
    expect((await post(`/console/team/${viewer.id}/role`, { role: 'manager' }, { cookie: o.cookie })).headers.get('location')).toBe('/console/team?flash=unchanged');
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'admin_user.role_changed' AND target_id = ? AND details = ?", o.brand.brandId, viewer.id, JSON.stringify({ from: 'viewer', to: 'manager' }))).toBe(1);

    // The second owner steps the first down; the first, now a manager, can change nobody.
    expect((await post(`/console/team/${o.user.id}/role`, { role: 'manager' }, { cookie: secondCookie })).status).toBe(303);
    expect((await post(`/console/team/${second.id}/role`, { role: 'viewer' }, { cookie: o.cookie })).status).toBe(403);
    // Roles are read on every request: an owner stepped down elsewhere can no longer remove anyone.
    await env.DB.prepare("UPDATE admin_users SET role = 'owner' WHERE id = ?").bind(o.user.id).run();
    await env.DB.prepare("UPDATE admin_users SET role = 'manager' WHERE id = ?").bind(second.id).run();
    expect((await post(`/console/team/${o.user.id}/remove`, { confirm: '1' }, { cookie: secondCookie })).status).toBe(403);

    const ask = await post(`/console/team/${viewer.id}/remove`, {}, { cookie: o.cookie });
    expect(ask.status).toBe(200);
    expect(await ask.text()).toContain('Remove Viewer Person from the team?');
    expect((await memberOf(o.brand.brandId, viewer.email))!.removed_at).toBeNull();
    const told: Message[] = [];
    setTransport(async (m) => void told.push(m));
    const removed = await post(`/console/team/${viewer.id}/remove`, { confirm: '1' }, { cookie: o.cookie });
    expect(removed.headers.get('location')).toBe('/console/team?flash=removed');
    // They hear that their access ended (through the mail queue).
    try {
      const [notice] = await waitFor(async () => (told.some((m) => m.to === viewer.email) ? told.filter((m) => m.to === viewer.email) : null), 15_000);
      expect(notice!.subject).toBe('Your access to Test Brand on Chorus ended');
    } finally {
      setTransport(logTransport);
    }
    expect((await get('/console', viewerCookie)).status).toBe(303);
    expect((await post('/console/login', { email: viewer.email, password: PASSWORD })).status).toBe(401);
    expect(await (await get('/console/team', o.cookie)).text()).not.toContain(viewer.email);
    expect((await post(`/console/team/${viewer.id}/remove`, { confirm: '1' }, { cookie: o.cookie })).status).toBe(404);
    // Removed people cannot ask for a password link either: no console account uses the address now.
    expect(await rowCount('SELECT count(*) AS n FROM admin_reset_tokens WHERE email = ?', viewer.email)).toBe(0);
    await post('/console/forgot', { email: viewer.email });
    await new Promise((r) => setTimeout(r, 200));
    expect(await rowCount('SELECT count(*) AS n FROM admin_reset_tokens WHERE email = ?', viewer.email)).toBe(0);
  });

  it('closes a removed member’s invitation, and adding them again starts over without their old password', async () => {
    const o = await consoleBrand('owner');
    const email = `back-${tag()}@brand.test`;
    const first = await mailing(() => post('/console/team', { email, name: 'Back Again', role: 'viewer' }, { cookie: o.cookie }));
    const { id } = (await memberOf(o.brand.brandId, email))!;
    expect((await post(`/console/team/${id}/remove`, { confirm: '1' }, { cookie: o.cookie })).status).toBe(303);
    expect((await get(first.links[0]!)).status).toBe(410);
    expect((await post(first.links[0]!, { password: 'too late for this', confirm: 'too late for this' })).status).toBe(410);

    const again = await mailing(() => post('/console/team', { email, name: 'Back Again', role: 'manager' }, { cookie: o.cookie }));
    expect(again.res.headers.get('location')).toBe('/console/team?flash=added');
    expect(await memberOf(o.brand.brandId, email)).toMatchObject({ id, role: 'manager', password_hash: null, removed_at: null });
    expect((await post(again.links[0]!, { password: 'back with a password', confirm: 'back with a password' })).status).toBe(303);
    expect((await post('/console/login', { email, password: 'back with a password' })).status).toBe(303);
  });

  it('lets someone who signs in elsewhere join with that password, changing nothing there, and leaves other brands’ invitations to their own links', async () => {
    const [a, b, c] = [await consoleBrand('owner'), await consoleBrand('owner'), await consoleBrand('owner')];
    const email = `agency-${tag()}@brand.test`;
    await adminUser(a.brand.brandId, 'manager', { email });
    const oldSession = await signIn(email);
    const { links } = await mailing(() => post('/console/team', { email, name: 'Agency Person', role: 'viewer' }, { cookie: b.cookie }));
    await mailing(() => post('/console/team', { email, name: 'Agency Person', role: 'viewer' }, { cookie: c.cookie }));
    // Until the link is used the password opens brand A alone (no brand to choose), and B's list says "Invited" as for anyone.
    expect((await post('/console/login', { email, password: PASSWORD })).status).toBe(303);
    expect(await (await get('/console/team', b.cookie)).text()).toContain('Invited');

    const page = await (await get(links[0]!)).text();
    expect(page).toContain('enter that password');
    expect(page).not.toContain('Repeat the password');
    const wrong = await post(links[0]!, { password: 'not my password at all' });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('That is not the password you sign in to Chorus with.');
    const joined = await post(links[0]!, { password: PASSWORD });
    expect(joined.status).toBe(303);
    expect(joined.headers.get('location')).toBe('/console?flash=joined');
    expect(await (await get('/console?flash=joined', sessionOf(joined))).text()).toContain('Welcome to the team.');
    // The same password now opens A and B; A's session goes on; C's invitation waits for its own link.
    const chooser = await post('/console/login', { email, password: PASSWORD });
    expect(chooser.status).toBe(200);
    const choices = await chooser.text();
    expect(choices.match(/name="account"/g)).toHaveLength(2);
    expect((await get('/console', oldSession)).status).toBe(200);
    expect((await memberOf(c.brand.brandId, email))!.password_hash).toBeNull();
    expect(await (await get('/console/team', c.cookie)).text()).toContain('Invited');
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'admin_user.joined'", b.brand.brandId)).toBe(1);
    expect((await get(links[0]!)).status).toBe(410);
  });

  it('never lets a password reset or another brand’s invitation join a team for the person', async () => {
    const [a, b] = [await consoleBrand('owner'), await consoleBrand('owner')];
    const email = `pending-${tag()}@brand.test`;
    // Invited to A only: a reset has nothing to change, so none is mailed.
    await mailing(() => post('/console/team', { email, name: 'Pending', role: 'manager' }, { cookie: a.cookie }));
    await post('/console/forgot', { email });
    await new Promise((r) => setTimeout(r, 200));
    expect(await rowCount("SELECT count(*) AS n FROM admin_reset_tokens WHERE email = ? AND purpose = 'reset'", email)).toBe(0);
    // Joining B with a new password leaves A's row as it was, and A's list still says Invited.
    const { links } = await mailing(() => post('/console/team', { email, name: 'Pending', role: 'viewer' }, { cookie: b.cookie }));
    expect(await (await get(links[0]!)).text()).toContain('Repeat the password');
    expect((await post(links[0]!, { password: 'joining b only here', confirm: 'joining b only here' })).status).toBe(303);
    expect((await memberOf(a.brand.brandId, email))!.password_hash).toBeNull();
    expect(await (await get('/console/team', a.cookie)).text()).toContain('Invited');
    // Nor does a reset of the B password, mailed now that B has one.
    const mails: Message[] = [];
    setTransport(async (m) => void mails.push(m));
    await post('/console/forgot', { email });
    for (let i = 0; i < 20 && mails.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    setTransport(logTransport);
    const reset = new URL(/https?:\/\/\S+/.exec(mails[0]!.text)![0]).pathname;
    expect((await post(reset, { password: 'a reset for b only', confirm: 'a reset for b only' })).status).toBe(303);
    expect((await memberOf(a.brand.brandId, email))!.password_hash).toBeNull();
    expect((await post('/console/login', { email, password: 'a reset for b only' })).status).toBe(303);
  });

  it('mails a new link on request, five a day per address, and keeps the member when a mail is refused', async () => {
    const o = await consoleBrand('owner');
    const email = `later-${tag()}@brand.test`;
    setTransport(async () => {
      throw new MailError('refused', 'provider refused');
    });
    const added = await post('/console/team', { email, name: 'Later', role: 'viewer' }, { cookie: o.cookie });
    setTransport(logTransport);
    expect(added.headers.get('location')).toBe('/console/team?flash=added_unmailed');
    const { id } = (await memberOf(o.brand.brandId, email))!;
    expect(await rowCount('SELECT count(*) AS n FROM admin_reset_tokens WHERE email = ?', email)).toBe(0);
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { res, links } = await mailing(() => post(`/console/team/${id}/invite`, {}, { cookie: o.cookie }));
      expect(res.headers.get('location')).toBe('/console/team?flash=resent');
      sent.push(...links);
    }
    expect(sent).toHaveLength(5);
    const sixth = await mailing(() => post(`/console/team/${id}/invite`, {}, { cookie: o.cookie }));
    expect(sixth.res.status).toBe(429);
    expect(sixth.mails).toHaveLength(0);
    // Any of them works; using one closes the rest, and a member with a password gets no more.
    expect((await post(sent[2]!, { password: 'finally a password', confirm: 'finally a password' })).status).toBe(303);
    expect((await get(sent[4]!)).status).toBe(410);
    expect((await post(`/console/team/${id}/invite`, {}, { cookie: o.cookie })).status).toBe(409);
  });

  it('sends at most 50 invitations a brand a day, counting only its own', async () => {
    const o = await consoleBrand('owner');
    const now = Date.now();
    await env.DB.batch(
      Array.from({ length: 50 }, (_, i) =>
        env.DB.prepare("INSERT INTO admin_reset_tokens (token_hash, email, purpose, brand_id, expires_at, created_at) VALUES (?, ?, 'invite', ?, ?, ?)").bind(`h-${tag()}-${i}`, `sent${i}-${tag()}@brand.test`, o.brand.brandId, now + 3_600_000, now),
      ),
    );
    const { res, mails } = await mailing(() => post('/console/team', { email: `fifty-first-${tag()}@brand.test`, name: 'Fifty First', role: 'viewer' }, { cookie: o.cookie }));
    expect(res.headers.get('location')).toBe('/console/team?flash=added_limit');
    expect(mails).toHaveLength(0);
    const other = await consoleBrand('owner');
    expect((await mailing(() => post('/console/team', { email: `elsewhere-${tag()}@brand.test`, name: 'Elsewhere', role: 'viewer' }, { cookie: other.cookie }))).mails).toHaveLength(1);
  });

  it('holds a team to 50 people', async () => {
    const o = await consoleBrand('owner');
    const now = Date.now();
    const rows = Array.from({ length: 49 }, (_, i) => env.DB.prepare("INSERT INTO admin_users (id, brand_id, email, name, role, created_at) VALUES (?, ?, ?, 'Filler', 'viewer', ?)").bind(newId('adm'), o.brand.brandId, `f${i}-${tag()}@brand.test`, now));
    await env.DB.batch(rows);
    const res = await post('/console/team', { email: `one-too-many-${tag()}@brand.test`, name: 'One Too Many', role: 'viewer' }, { cookie: o.cookie });
    expect(res.status).toBe(409);
    expect(await res.text()).toContain('at most 50 people');
    expect(await teamSize(o.brand.brandId)).toBe(50);
  });

  it('lets anyone on the team, a viewer too, change their own name, and only their own', async () => {
    const o = await consoleBrand('owner');
    const viewer = await adminUser(o.brand.brandId, 'viewer');
    const cookie = await signIn(viewer.email);
    expect(await (await get('/console/team', cookie)).text()).toContain('Save your name');
    const saved = await post('/console/team/me/name', { name: '  Ola Brandt ' }, { cookie });
    expect(saved.headers.get('location')).toBe('/console/team?flash=renamed');
    expect(await env.DB.prepare('SELECT name FROM admin_users WHERE id = ?').bind(viewer.id).first()).toEqual({ name: 'Ola Brandt' });
    const page = await (await get('/console/team?flash=renamed', cookie)).text();
    expect(page).toContain('<a class="who-link" href="/console/team#me-h">Ola Brandt</a>');
    expect(page).toContain('Your name is saved.');
    // The same name again changes nothing and logs nothing.
    await post('/console/team/me/name', { name: 'Ola Brandt' }, { cookie });
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'admin_user.renamed' AND actor_id = ?", o.brand.brandId, viewer.id)).toBe(1);

    for (const bad of ['', '   ', 'x'.repeat(101), 'a\u202eb', 'two\nlines']) {
      const res = await post('/console/team/me/name', { name: bad }, { cookie });
      expect(res.status, JSON.stringify(bad)).toBe(422);
      expect(await res.text()).toContain('Your name: 1 to 100 characters, on one line.');
    }
    expect((await post('/console/team/me/name', { name: 'Mallory' }, { cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect((await post('/console/team/me/name', { name: 'Mallory' })).status).toBe(401);
    expect(await env.DB.prepare('SELECT name FROM admin_users WHERE id = ?').bind(viewer.id).first()).toEqual({ name: 'Ola Brandt' });
    // A viewer still writes nothing else.
    expect((await post('/console/team', { email: 'x@brand.test', name: 'X', role: 'viewer' }, { cookie })).status).toBe(403);
  });
});
