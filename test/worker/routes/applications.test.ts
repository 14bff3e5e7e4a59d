// Applications: a campaign's public page where creators ask to join, and the console tab that answers them.
import { env } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import { DECLINE_MAIL_EVERY_MS, declineApplications, MAX_PENDING_APPLICATIONS } from '../../../worker/db/applications';
import { forgetDeclinedApplications } from '../../../worker/jobs/retention';
import { inboxOf, readFollowers, readProfileUrl } from '../../../worker/domain/applications';
import { hashPassword } from '../../../worker/lib/passwords';
import { adminUser, consoleBrand, get, post, sessionCookie, signIn, tag } from '../console-fixtures';
import { json, rowCount, waitFor, type Data } from '../fixtures';
import { application, applicationId, apply, applyPath, openApplications, type Brand } from '../application-fixtures';
import { logTransport, setTransport, type Message } from '../../../worker/lib/messages';

const stored = (campaignId: string) =>
  env.DB.prepare('SELECT email, handle, name, platform, follower_count, niche, profile_url, pitch, status FROM applications WHERE campaign_id = ? ORDER BY created_at').bind(campaignId).all<Record<string, unknown>>().then((r) => r.results);

describe('the public application page', () => {
  it('is closed until the brand opens it, and for a draft, an ended campaign or an unknown address alike', async () => {
    const m = await consoleBrand();
    const closed = await get(applyPath(m));
    expect(closed.status).toBe(404);
    const text = await closed.text();
    expect(text).toContain('This campaign is not taking applications');
    expect(text).not.toContain('Glow'); // names nothing
    expect((await apply(m)).status).toBe(404);
    await openApplications(m);
    const open = await get(applyPath(m));
    expect(open.status).toBe(200);
    expect(open.headers.get('cache-control')).toBe('no-store');
    const openPage = await open.text();
    expect(openPage).toContain('Apply to join Glow');
    // The deal, before anyone applies: the plan's tiers.
    expect(openPage).toContain('10%, 15% from $1,000.00, 20% from $5,000.00 (the rate rises with your sales each month)');
    for (const path of [`/apply/${m.brand.slug}/nope`, `/apply/nope/${m.campaign.slug}`, `/apply/${m.brand.slug.toUpperCase()}/${m.campaign.slug}`, `/apply/${'a'.repeat(70)}/${m.campaign.slug}`]) {
      expect((await get(path)).status, path).toBe(404);
    }
    await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { status: 'ended' });
    expect((await get(applyPath(m))).status).toBe(404);
    expect((await apply(m)).status).toBe(404);
    expect(await stored(m.campaign.id)).toEqual([]);
  });

  it('stores an application as typed, cleaned up, and keeps the first one an address sent', async () => {
    const m = await consoleBrand();
    await openApplications(m);
    const fields = application();
    const res = await apply(m, fields);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('your application is in');
    const first = [
      { email: fields.email, handle: fields.handle.slice(1).toLowerCase(), name: 'Mia Chen', platform: 'tiktok', follower_count: 18_500, niche: 'skincare', profile_url: 'https://tiktok.example/@mia', pitch: 'Reactive skin,\nhonest tests.', status: 'pending' },
    ];
    expect(await stored(m.campaign.id)).toEqual(first);
    // Someone else who knows the address cannot rewrite it; the answer reads the same.
    const again = await apply(m, { ...fields, email: fields.email.toUpperCase(), handle: 'someone.else', pitch: 'Rewritten.' });
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('your application is in');
    expect(await stored(m.campaign.id)).toEqual(first);
    await env.DB.prepare("UPDATE applications SET status = 'declined' WHERE campaign_id = ?").bind(m.campaign.id).run();
    expect((await apply(m, { ...fields, pitch: 'Please?' })).status).toBe(200);
    expect(await stored(m.campaign.id)).toMatchObject([{ pitch: first[0]!.pitch, status: 'declined' }]);
  });

  it('shows a signed-in creator already in the campaign their brief, and fills in the form for one who is not', async () => {
    const m = await consoleBrand();
    await openApplications(m);
    const email = (await env.DB.prepare('SELECT email FROM creators WHERE handle = ?').bind(m.handle).first<string>('email'))!;
    const password = 'creator password 2026';
    await env.DB.prepare('UPDATE creators SET password_hash = ? WHERE email = ?').bind(await hashPassword(password, 1000), email).run();
    const cookie = sessionCookie(await post('/login', { email, password }));
    const inIt = await (await get(applyPath(m), cookie)).text();
    expect(inIt).toContain('You&#39;re in Glow');
    expect(inIt).toContain(`href="/brief/${m.enrollment.id}"`);
    await env.DB.prepare("UPDATE enrollments SET status = 'removed', removed_at = ? WHERE id = ?").bind(Date.now(), m.enrollment.id).run();
    const form = await (await get(applyPath(m), cookie)).text();
    expect(form).toContain(`value="${email}"`);
    expect(form).toContain(`value="${m.handle}"`);
    expect(form).not.toContain('Sign in</a> first');
    expect(await (await get(applyPath(m))).text()).toContain(`href="/login?next=${encodeURIComponent(applyPath(m))}"`);
  });

  it('refuses bad fields with each one named, and stores nothing', async () => {
    const m = await consoleBrand();
    await openApplications(m);
    const cases: [Record<string, string>, string][] = [
      [{ name: '' }, 'name'],
      [{ name: 'x'.repeat(81) }, 'name'],
      [{ name: 'Mia\u202Eevil' }, 'name'],
      [{ email: 'not-an-email' }, 'email'],
      [{ handle: 'Mia Chen!' }, 'handle'],
      [{ handle: 'a' }, 'handle'],
      [{ platform: 'myspace' }, 'platform'],
      [{ platform: '__proto__' }, 'platform'],
      [{ followers: 'lots' }, 'followers'],
      [{ followers: '99999999999' }, 'followers'],
      [{ followers: '-5' }, 'followers'],
      [{ niche: 'n'.repeat(61) }, 'niche'],
      [{ profileUrl: 'javascript:alert(1)' }, 'profileUrl'],
      [{ profileUrl: 'ftp://files.example/me' }, 'profileUrl'],
      [{ profileUrl: 'https://user:pw@evil.example' }, 'profileUrl'],
      [{ profileUrl: `https://x.example/${'a'.repeat(300)}` }, 'profileUrl'],
      [{ pitch: 'p'.repeat(1001) }, 'pitch'],
      [{ pitch: 'bell\u0007' }, 'pitch'],
    ];
    for (const [change, field] of cases) {
      const res = await apply(m, application(change));
      expect(res.status, JSON.stringify(change)).toBe(422);
      const html = await res.text();
      expect(html, JSON.stringify(change)).toMatch(new RegExp(`id="${field}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="${field}"`));
      expect(html).toContain(`href="#${field}"`);
      expect(html).toContain(`id="${field}-error"`);
    }
    // Arrays for fields, a missing field, another content type, a huge body, another origin.
    expect((await apply(m, { ...application(), name: ['a', 'b'] } as never)).status).toBe(200);
    const { platform: _dropped, ...noPlatform } = application();
    expect((await apply(m, noPlatform as never)).status).toBe(422);
    expect((await apply(m, application(), { origin: 'https://evil.example' })).status).toBe(403);
    expect((await apply(m, application(), { origin: null })).status).toBe(403);
    expect((await apply(m, { ...application(), pitch: 'x'.repeat(70_000) })).status).toBe(413);
    expect(await rowCount('SELECT count(*) AS n FROM applications WHERE campaign_id = ?', m.campaign.id)).toBe(1); // the array one: its first value
  });

  it('keeps a bot that fills the hidden field out, and limits tries per address and waiting applications per campaign', async () => {
    const m = await consoleBrand();
    await openApplications(m);
    const bot = await apply(m, application({ leave_this_empty: 'https://spam.example' }));
    expect(bot.status).toBe(200);
    expect(await bot.text()).toContain('your application is in');
    expect(await stored(m.campaign.id)).toEqual([]);

    const ip = '203.0.113.77';
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await apply(m, application(), { ip })).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses[5]).toBe(429);
    expect(await rowCount('SELECT count(*) AS n FROM applications WHERE campaign_id = ?', m.campaign.id)).toBe(5);
    // An IPv6 client is limited by its /64, whatever address in it it sends from.
    const v6 = [];
    for (const host of ['a', 'b', 'c', 'd', 'e', 'ffff:1:2:3']) v6.push((await apply(m, application(), { ip: `2001:db8:7:9:0:0:0:${host}`.replace('0:0:0:ffff:1:2:3', 'ffff:1:2:3') })).status);
    expect(v6).toEqual([200, 200, 200, 200, 200, 429]);
    expect((await apply(m, application(), { ip: '2001:db8:7:a::1' })).status).toBe(200);

    // Full: a new address is told to come back; one already waiting can still fix its application.
    const waiting = (await stored(m.campaign.id))[0]!.email as string;
    const now = Date.now();
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
       INSERT INTO applications (id, brand_id, campaign_id, email, handle, name, platform, pitch, status, created_at, updated_at)
       SELECT ? || i, ?, ?, 'fill' || i || ?, 'filler', 'Filler', 'other', '', 'pending', ?, ? FROM n`,
    )
      .bind(MAX_PENDING_APPLICATIONS - 11, `app_fill_${tag()}_`, m.brand.brandId, m.campaign.id, `_${tag()}@creators.test`, now, now)
      .run();
    const full = await apply(m);
    expect(full.status).toBe(429);
    expect(await full.text()).toContain('Applications are paused');
    expect((await apply(m, application({ email: waiting, pitch: 'Updated.' }))).status).toBe(429); // the same answer for an address that applied
    expect(await (await get(`/console/campaigns/${m.campaign.id}/applications`, m.cookie)).text()).toContain('Your application page is full');
    expect(await rowCount('SELECT count(*) AS n FROM applications WHERE campaign_id = ?', m.campaign.id)).toBe(MAX_PENDING_APPLICATIONS);
    expect(await rowCount("SELECT count(*) AS n FROM applications WHERE campaign_id = ? AND handle <> 'filler'", m.campaign.id)).toBe(11);
  });

  it('reads audience sizes and profile links as people type them', () => {
    expect(['18500', '18,500', '18.500', '18 500', '18.5k', '18,5K', '1.2m', '950', ''].map(readFollowers)).toEqual([18_500, 18_500, 18_500, 18_500, 18_500, 18_500, 1_200_000, 950, null]);
    expect(['1.5', '18,50', '1e6', 'k', '12kk'].map(readFollowers)).toEqual(['invalid', 'invalid', 'invalid', 'invalid', 'invalid']);
    expect(readProfileUrl('instagram.com/mia')).toBe('https://instagram.com/mia');
    expect(readProfileUrl('http://instagram.com/mia')).toBe('https://instagram.com/mia');
    expect(['ftp://x.example', 'https://localhost', 'https://a b.example', 'https://x.example\\@evil.example'].map(readProfileUrl)).toEqual(['invalid', 'invalid', 'invalid', 'invalid']);
  });
});

describe('answering applications in the console', () => {
  it('lists what waits, approves one into an invitation in the campaign style with its mail, and answers each once', async () => {
    const m = await consoleBrand('manager');
    await openApplications(m);
    // The campaign's codes read "<HANDLE>VIP" at 20%: an approved creator gets the same style.
    const base = m.handle.replace(/[.-]/g, '').toUpperCase();
    await env.DB.prepare("UPDATE discount_codes SET code = ?, discount_value = 20 WHERE enrollment_id = ?").bind(`${base}VIP`, m.enrollment.id).run();
    const fields = application();
    await apply(m, fields);
    const id = await applicationId(m.campaign.id, fields.email);
    const handle = fields.handle.slice(1).toLowerCase();

    const page = await get(`/console/campaigns/${m.campaign.id}/applications`, m.cookie);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(`/apply/${m.brand.slug}/${m.campaign.slug}`);
    expect(html).toContain('Waiting for an answer <span class="muted">(1)</span>');
    expect(html).toContain(`@${handle}`);
    expect(html).toContain('rel="noopener noreferrer nofollow ugc"');
    // The link does not show the handle they typed: the card says to check it.
    expect(html).toContain(`Their profile link does not mention @${handle}`);
    // The campaign list points at it too.
    expect(await (await get('/console', m.cookie)).text()).toContain(`href="/console/campaigns/${m.campaign.id}/applications">1 application waiting`);

    const sent: Message[] = [];
    setTransport(async (msg) => void sent.push(msg));
    const approve = await post(`/console/campaigns/${m.campaign.id}/applications/${id}/approve`, {}, { cookie: m.cookie });
    expect(approve.status).toBe(303);
    expect(approve.headers.get('location')).toBe(`/console/campaigns/${m.campaign.id}/applications?approved=${id}&mailed=1`);
    const enrollment = await env.DB.prepare(
      `SELECT e.id, e.status, e.payment_model, (SELECT d.code FROM discount_codes d WHERE d.enrollment_id = e.id) AS code, (SELECT d.discount_value FROM discount_codes d WHERE d.enrollment_id = e.id) AS discount,
         (SELECT count(*) FROM links l WHERE l.enrollment_id = e.id) AS links, b.niche, b.follower_count
       FROM enrollments e JOIN creators c ON c.id = e.creator_id JOIN brand_creators b ON b.creator_id = c.id AND b.brand_id = e.brand_id WHERE c.email = ? AND e.campaign_id = ?`,
    )
      .bind(fields.email, m.campaign.id)
      .first();
    expect(enrollment).toMatchObject({ status: 'invited', payment_model: 'affiliate', code: `${handle.replace(/[.-]/g, '').toUpperCase()}VIP`, discount: 20, links: 1, niche: 'skincare', follower_count: 18_500 });
    expect(await rowCount('SELECT count(*) AS n FROM invitation_mails WHERE campaign_id = ? AND email = ?', m.campaign.id, fields.email)).toBe(1);
    expect(await rowCount('SELECT count(*) AS n FROM invitation_mails WHERE campaign_id = ?', m.campaign.id)).toBe(1); // that address alone
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'application.approved'", id)).toBe(1);
    // The mail answers the application, not a cold invitation.
    const mail = await waitFor(async () => sent.find((s) => s.to === fields.email) ?? null, 15_000);
    expect(mail.subject).toBe('Test Brand accepted your application to Glow');
    expect(mail.text).toContain('You got it because you applied to Glow');
    setTransport(logTransport);
    const after = await (await get(approve.headers.get('location')!, m.cookie)).text();
    expect(after).toContain('Approved and invited');
    expect(after).toContain(`/console/campaigns/${m.campaign.id}/creators/${enrollment!.id}`);
    expect(after).toContain('No applications waiting.');

    // The admin API lists them by status.
    const approvedList = await json<Data<{ id: string; status: string; handle: string; followerCount: number; enrollmentId: string | null; appliedAt: string }[]>>(await m.brand.api('GET', `/api/admin/campaigns/${m.campaign.id}/applications?status=approved`));
    expect(approvedList.data).toEqual([expect.objectContaining({ id, status: 'approved', handle, followerCount: 18_500, enrollmentId: enrollment!.id })]);
    expect((await json<Data<unknown[]>>(await m.brand.api('GET', `/api/admin/campaigns/${m.campaign.id}/applications`))).data).toEqual([]);
    expect((await m.brand.api('GET', `/api/admin/campaigns/${m.campaign.id}/applications?status=maybe`)).status).toBe(422);
    const stranger = await consoleBrand();
    expect((await stranger.brand.api('GET', `/api/admin/campaigns/${m.campaign.id}/applications`)).status).toBe(404);

    // Twice (another tab): answered already, nothing more made.
    const twice = await post(`/console/campaigns/${m.campaign.id}/applications/${id}/approve`, {}, { cookie: m.cookie });
    expect(twice.headers.get('location')).toContain('flash=answered');
    expect(await post(`/console/campaigns/${m.campaign.id}/applications/${id}/decline`, {}, { cookie: m.cookie }).then((r) => r.headers.get('location'))).toContain('flash=answered');
    expect(await rowCount('SELECT count(*) AS n FROM enrollments WHERE campaign_id = ?', m.campaign.id)).toBe(2);

    // Declined: nothing made (the note it mails is below, under telling a declined applicant).
    const other = application();
    await apply(m, other);
    const otherId = await applicationId(m.campaign.id, other.email);
    const declined = await post(`/console/campaigns/${m.campaign.id}/applications/${otherId}/decline`, {}, { cookie: m.cookie });
    expect(declined.headers.get('location')).toContain('flash=declined');
    expect(await rowCount('SELECT count(*) AS n FROM creators WHERE email = ?', other.email)).toBe(0);
    expect(await rowCount("SELECT count(*) AS n FROM applications WHERE id = ? AND status = 'declined'", otherId)).toBe(1);
    expect(await (await get(`/console/campaigns/${m.campaign.id}/applications`, m.cookie)).text()).toContain('Answered lately');
    // Declined by mistake: reopened, it waits again; an approved one cannot be reopened.
    expect((await post(`/console/campaigns/${m.campaign.id}/applications/${otherId}/reopen`, {}, { cookie: m.cookie })).headers.get('location')).toContain('flash=reopened');
    expect(await rowCount("SELECT count(*) AS n FROM applications WHERE id = ? AND status = 'pending' AND decided_at IS NULL", otherId)).toBe(1);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'application.reopened'", otherId)).toBe(1);
    expect((await post(`/console/campaigns/${m.campaign.id}/applications/${id}/reopen`, {}, { cookie: m.cookie })).headers.get('location')).toContain('flash=answered');
    expect(await rowCount("SELECT count(*) AS n FROM applications WHERE id = ? AND status = 'approved'", id)).toBe(1);
  });

  it('says why an application cannot be approved as it is, and marks one already in the campaign approved without making anything', async () => {
    const m = await consoleBrand('owner');
    await openApplications(m);
    // The handle of another creator on the roster.
    const taken = application({ handle: m.handle });
    await apply(m, taken);
    const takenId = await applicationId(m.campaign.id, taken.email);
    // The card says so before anyone presses Approve.
    expect(await (await get(`/console/campaigns/${m.campaign.id}/applications`, m.cookie)).text()).toContain(`Another creator on your roster has @${m.handle}, so this application cannot be approved as sent.`);
    const refused = await post(`/console/campaigns/${m.campaign.id}/applications/${takenId}/approve`, {}, { cookie: m.cookie });
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain('is the handle of another creator on your roster');
    expect(await rowCount("SELECT count(*) AS n FROM applications WHERE id = ? AND status = 'pending'", takenId)).toBe(1);
    expect(await rowCount('SELECT count(*) AS n FROM creators WHERE email = ?', taken.email)).toBe(0);

    // The fixture's own creator, applying with their own address.
    const email = (await env.DB.prepare('SELECT email FROM creators WHERE handle = ?').bind(m.handle).first<string>('email'))!;
    await apply(m, application({ email, handle: m.handle }));
    const mineId = await applicationId(m.campaign.id, email);
    const marked = await post(`/console/campaigns/${m.campaign.id}/applications/${mineId}/approve`, {}, { cookie: m.cookie });
    expect(marked.headers.get('location')).toContain('already=1');
    expect(await (await get(marked.headers.get('location')!, m.cookie)).text()).toContain('is in this campaign already');
    expect(await rowCount('SELECT count(*) AS n FROM enrollments WHERE campaign_id = ?', m.campaign.id)).toBe(1);
  });

  it("approves under the handle the applicant gave (never another brand's for the account), with the pay chosen, and sends a creator who was removed to their page", async () => {
    const m = await consoleBrand('owner');
    await openApplications(m);
    // An address with a Chorus account (another brand's creator) applying under another handle.
    const other = await consoleBrand('owner');
    const existing = (await env.DB.prepare('SELECT email FROM creators WHERE handle = ?').bind(other.handle).first<string>('email'))!;
    await apply(m, application({ email: existing, handle: 'brand.new.handle' }));
    const id = await applicationId(m.campaign.id, existing);
    const res = await post(`/console/campaigns/${m.campaign.id}/applications/${id}/approve`, { paymentModel: 'product' }, { cookie: m.cookie });
    expect(res.status).toBe(303);
    const row = await env.DB.prepare(
      `SELECT r.handle, c.handle AS account_handle, e.payment_model, (SELECT slug FROM links WHERE enrollment_id = e.id) AS slug
       FROM enrollments e JOIN creators c ON c.id = e.creator_id JOIN brand_creators r ON r.brand_id = e.brand_id AND r.creator_id = c.id WHERE c.email = ? AND e.campaign_id = ?`,
    )
      .bind(existing, m.campaign.id)
      .first<{ handle: string; account_handle: string; payment_model: string; slug: string }>();
    expect(row).toMatchObject({ handle: 'brand.new.handle', account_handle: other.handle, payment_model: 'product' });
    expect(row!.slug.startsWith('brand-new-handle-')).toBe(true);

    // Removed from the campaign earlier: restored on their page, not here.
    const gone = application();
    await apply(m, gone);
    const goneId = await applicationId(m.campaign.id, gone.email);
    await post(`/console/campaigns/${m.campaign.id}/applications/${goneId}/approve`, {}, { cookie: m.cookie });
    await env.DB.prepare("UPDATE enrollments SET status = 'removed', removed_at = ? WHERE id = (SELECT e.id FROM enrollments e JOIN creators c ON c.id = e.creator_id WHERE c.email = ? AND e.campaign_id = ?)").bind(Date.now(), gone.email, m.campaign.id).run();
    await env.DB.prepare("UPDATE applications SET status = 'pending' WHERE id = ?").bind(goneId).run();
    const page = await (await get(`/console/campaigns/${m.campaign.id}/applications`, m.cookie)).text();
    expect(page).toContain('Was in this campaign before and was removed');
    const refused = await post(`/console/campaigns/${m.campaign.id}/applications/${goneId}/approve`, {}, { cookie: m.cookie });
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain('Restore them on their page');
    // A decline that got there first wins: approving after it makes nothing.
    const late = application();
    await apply(m, late);
    const lateId = await applicationId(m.campaign.id, late.email);
    await post(`/console/campaigns/${m.campaign.id}/applications/${lateId}/decline`, {}, { cookie: m.cookie });
    expect((await post(`/console/campaigns/${m.campaign.id}/applications/${lateId}/approve`, {}, { cookie: m.cookie })).headers.get('location')).toContain('flash=answered');
    expect(await rowCount('SELECT count(*) AS n FROM creators WHERE email = ?', late.email)).toBe(0);
  });

  it('declines the shown applications at once after asking, touching no other campaign', async () => {
    const m = await consoleBrand('manager');
    const other = await consoleBrand('manager');
    await openApplications(m);
    await openApplications(other);
    const mine = [application(), application(), application()];
    for (const a of mine) await apply(m, a);
    const theirs = application();
    await apply(other, theirs);
    const ids = await Promise.all(mine.map((a) => applicationId(m.campaign.id, a.email)));
    const foreign = await applicationId(other.campaign.id, theirs.email);
    const page = await (await get(`/console/campaigns/${m.campaign.id}/applications`, m.cookie)).text();
    expect(page).toContain('Decline all 3 shown');
    // Asked about the ones the brand was looking at, not one that arrived since.
    await apply(m, application());
    const asked = await post(`/console/campaigns/${m.campaign.id}/applications/decline-all`, { id: ids }, { cookie: m.cookie });
    expect(asked.status).toBe(200);
    const question = await asked.text();
    expect(question).toContain('Decline 3 applications?');
    expect((question.match(/form="decline-all-confirm"/g) ?? []).length).toBe(2);
    expect(await rowCount("SELECT count(*) AS n FROM applications WHERE campaign_id = ? AND status = 'pending'", m.campaign.id)).toBe(4);
    const done = await post(`/console/campaigns/${m.campaign.id}/applications/decline-all`, { id: [...ids.slice(0, 2), foreign, 'app_bogus', "x' OR 1=1"], confirm: '1' }, { cookie: m.cookie });
    expect(done.headers.get('location')).toBe(`/console/campaigns/${m.campaign.id}/applications?flash=declined_all&declined=2&mailed=2`);
    expect(await (await get(done.headers.get('location')!, m.cookie)).text()).toContain('Declined 2 applications. Chorus is emailing each creator a short note');
    expect(await rowCount("SELECT count(*) AS n FROM applications WHERE campaign_id = ? AND status = 'pending'", m.campaign.id)).toBe(2);
    expect(await rowCount("SELECT count(*) AS n FROM applications WHERE id = ? AND status = 'pending'", foreign)).toBe(1);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'campaign.applications_declined'", m.campaign.id)).toBe(1);
  });

  it('lets owners and managers switch the page and answer; viewers and finance read; other brands see nothing', async () => {
    const m = await consoleBrand('owner');
    const toggle = await post(`/console/campaigns/${m.campaign.id}/applications/open`, { open: '1' }, { cookie: m.cookie });
    expect(toggle.headers.get('location')).toContain('flash=opened');
    expect((await get(applyPath(m))).status).toBe(200);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'campaign.applications_opened'", m.campaign.id)).toBe(1);
    const fields = application();
    await apply(m, fields);
    const id = await applicationId(m.campaign.id, fields.email);

    for (const role of ['viewer', 'finance'] as const) {
      const cookie = await signIn((await adminUser(m.brand.brandId, role)).email);
      expect((await get(`/console/campaigns/${m.campaign.id}/applications`, cookie)).status).toBe(200);
      expect((await post(`/console/campaigns/${m.campaign.id}/applications/${id}/approve`, {}, { cookie })).status).toBe(403);
      expect((await post(`/console/campaigns/${m.campaign.id}/applications/open`, { open: '0' }, { cookie })).status).toBe(403);
    }
    // Another brand: its own campaign path with this application's id, and this campaign's path.
    const other = await consoleBrand('owner');
    expect((await post(`/console/campaigns/${other.campaign.id}/applications/${id}/approve`, {}, { cookie: other.cookie })).status).toBe(404);
    expect((await post(`/console/campaigns/${m.campaign.id}/applications/${id}/decline`, {}, { cookie: other.cookie })).status).toBe(404);
    expect((await get(`/console/campaigns/${m.campaign.id}/applications`, other.cookie)).status).toBe(404);
    expect((await post(`/console/campaigns/${m.campaign.id}/applications/not-an-id/approve`, {}, { cookie: m.cookie })).status).toBe(404);
    // Signed out, and from another site.
    expect((await post(`/console/campaigns/${m.campaign.id}/applications/${id}/approve`, {})).status).not.toBe(303);
    expect((await post(`/console/campaigns/${m.campaign.id}/applications/${id}/approve`, {}, { cookie: m.cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect(await rowCount("SELECT count(*) AS n FROM applications WHERE id = ? AND status = 'pending'", id)).toBe(1);

    const off = await post(`/console/campaigns/${m.campaign.id}/applications/open`, { open: '0' }, { cookie: m.cookie });
    expect(off.headers.get('location')).toContain('flash=closed');
    expect((await get(applyPath(m))).status).toBe(404);
    expect(await (await get(`/console/campaigns/${m.campaign.id}/applications`, m.cookie)).text()).toContain('Take applications');
  });
});

describe('telling a declined applicant', () => {
  // Mail leaves through the queue after the response: what reached the (test) provider, per address.
  const capture = () => {
    const sent: Message[] = [];
    setTransport(async (msg) => void sent.push(msg));
    return { sent, to: (email: string) => sent.filter((s) => s.to === email) };
  };
  afterEach(() => setTransport(logTransport));
  // Mail queued before a later decline's has reached the provider once that later one has: it proves a mail
  // that should not come did not.
  const settled = async (m: Brand, mail: ReturnType<typeof capture>) => {
    const sentinel = application();
    await apply(m, sentinel);
    const id = await applicationId(m.campaign.id, sentinel.email);
    await post(`/console/campaigns/${m.campaign.id}/applications/${id}/decline`, {}, { cookie: m.cookie });
    await waitFor(async () => (mail.to(sentinel.email).length > 0 ? true : null), 15_000);
  };

  it('mails the applicant one short note naming the brand and the campaign, and never a second one for that application', async () => {
    const m = await consoleBrand('manager');
    await openApplications(m);
    const fields = application();
    await apply(m, fields);
    const id = await applicationId(m.campaign.id, fields.email);
    const page = await (await get(`/console/campaigns/${m.campaign.id}/applications`, m.cookie)).text();
    // The brand is told before it presses Decline, and each Decline button reads it.
    expect(page).toContain('<span id="decline-hint">Declining sends them a short email saying you are not taking them on for this campaign, with no reason given, once (none if you declined them in the last month).</span>');
    expect(page).toMatch(/aria-describedby="decline-hint"[^>]*>\s*Decline<span class="visually-hidden"> Mia Chen/);

    const mail = capture();
    const declined = await post(`/console/campaigns/${m.campaign.id}/applications/${id}/decline`, {}, { cookie: m.cookie });
    expect(declined.headers.get('location')).toBe(`/console/campaigns/${m.campaign.id}/applications?flash=declined&mailed=1`);
    expect(await (await get(declined.headers.get('location')!, m.cookie)).text()).toContain('Declined. Chorus is emailing them a short note that you are not taking them on for this campaign (no reason given).');
    const [note] = await waitFor(async () => (mail.to(fields.email).length > 0 ? mail.to(fields.email) : null), 15_000);
    expect(note!.subject).toBe('Your application to Glow');
    // Greeted without the name the form was sent with: anyone can send any name to any address.
    expect(note!.text.startsWith('Hello,')).toBe(true);
    expect(note!.text).not.toContain('Mia Chen');
    expect(note!.text).toContain("Thank you for applying to Glow, Test Brand's creator campaign on Chorus. Test Brand has read your application and is not taking you on for this campaign.");
    expect(note!.text).toContain('There is nothing you need to do.');
    expect(note!.text).toMatch(/No more invitations from Test Brand: https:\/\/chorus\.test\/unsubscribe\/\S+$/);
    expect(note!.headers?.['List-Unsubscribe']).toMatch(/^<https:\/\/chorus\.test\/v1\/unsubscribe\/\S+>$/);
    expect(note!.idempotencyKey).toBe(`application-declined-${id}`);
    expect(note!.text).not.toContain(fields.pitch.slice(0, 10)); // their application is not echoed back
    const row = await env.DB.prepare('SELECT decided_at, decline_mailed_at FROM applications WHERE id = ?').bind(id).first<{ decided_at: number; decline_mailed_at: number }>();
    expect(row!.decline_mailed_at).toBe(row!.decided_at);
    const audit = await env.DB.prepare("SELECT actor_type, details FROM audit_log WHERE target_id = ? AND action = 'application.declined'").bind(id).first<{ actor_type: string; details: string }>();
    expect(audit).toEqual({ actor_type: 'admin_user', details: JSON.stringify({ applicantMailed: true }) });

    // Reopened by mistake and declined again: they know already, so nothing more is sent.
    await post(`/console/campaigns/${m.campaign.id}/applications/${id}/reopen`, {}, { cookie: m.cookie });
    const again = await post(`/console/campaigns/${m.campaign.id}/applications/${id}/decline`, {}, { cookie: m.cookie });
    expect(again.headers.get('location')).toContain('flash=declined&mailed=0');
    expect(await (await get(again.headers.get('location')!, m.cookie)).text()).toContain('They were not emailed: they asked for no invitations from you, are in this campaign already, were told of an earlier decline');
    // Pressed twice (another tab): answered already, nothing sent.
    expect((await post(`/console/campaigns/${m.campaign.id}/applications/${id}/decline`, {}, { cookie: m.cookie })).headers.get('location')).toContain('flash=answered');
    await settled(m, mail);
    expect(mail.to(fields.email)).toHaveLength(1);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'application.declined' AND details = ?", id, JSON.stringify({ applicantMailed: false }))).toBe(1);
  });

  it('tells an address of one decline a month from a brand, and of three a day from all brands, so declines fill no inbox', { timeout: 30_000 }, async () => {
    const m = await consoleBrand('owner');
    await openApplications(m);
    const second = await json<Data<{ id: string; slug: string }>>(
      await m.brand.api('POST', '/api/admin/campaigns', { name: 'Night Balm', slug: `night-${tag()}`, hashtag: '#NightBalm', defaultDestination: 'https://shop.example/night', applicationsOpen: true }),
    );
    const fields = application();
    await apply(m, fields);
    await post(`/apply/${m.brand.slug}/${second.data.slug}`, fields);
    const mail = capture();
    const first = await post(`/console/campaigns/${m.campaign.id}/applications/${await applicationId(m.campaign.id, fields.email)}/decline`, {}, { cookie: m.cookie });
    expect(first.headers.get('location')).toContain('mailed=1');
    const other = await post(`/console/campaigns/${second.data.id}/applications/${await applicationId(second.data.id, fields.email)}/decline`, {}, { cookie: m.cookie });
    expect(other.headers.get('location')).toContain('mailed=0');
    // A month on, the brand's next decline is told again.
    await env.DB.prepare('UPDATE applications SET decline_mailed_at = decline_mailed_at - ? WHERE email = ? AND decline_mailed_at IS NOT NULL').bind(DECLINE_MAIL_EVERY_MS + 60_000, fields.email).run();
    const secondId = await applicationId(second.data.id, fields.email);
    await post(`/console/campaigns/${second.data.id}/applications/${secondId}/reopen`, {}, { cookie: m.cookie });
    expect((await post(`/console/campaigns/${second.data.id}/applications/${secondId}/decline`, {}, { cookie: m.cookie })).headers.get('location')).toContain('mailed=1');

    // Two other brands told one inbox today (under other +tags of it): this brand's decline is its third, and
    // told; a fourth brand's, under yet another +tag, is not.
    const target = application();
    const others = await Promise.all([1, 2, 3].map(() => consoleBrand('owner')));
    const now = Date.now();
    const plus = (n: number) => target.email.replace('@', `+${n}@`);
    await env.DB.batch(
      others.map((o, i) =>
        env.DB.prepare(
          `INSERT INTO applications (id, brand_id, campaign_id, email, inbox, handle, name, platform, status, created_at, updated_at, decided_at, decline_mailed_at)
           VALUES (?1, ?2, ?3, ?4, ?5, 'x', 'X', 'tiktok', ?6, ?7, ?7, ?8, ?8)`,
        ).bind(`app_told_${i}_${tag()}`, o.brand.brandId, o.campaign.id, plus(i), inboxOf(plus(i)), i < 2 ? 'declined' : 'pending', now - 3_600_000, i < 2 ? now - 3_600_000 : null),
      ),
    );
    await apply(m, target);
    const third = await post(`/console/campaigns/${m.campaign.id}/applications/${await applicationId(m.campaign.id, target.email)}/decline`, {}, { cookie: m.cookie });
    expect(third.headers.get('location')).toContain('mailed=1');
    const last = others[2]!;
    const [fourth] = await declineApplications(env.DB, { brandId: last.brand.brandId, campaignId: last.campaign.id }, [(await applicationId(last.campaign.id, plus(2)))], { type: 'admin_user', id: last.user.id }, true, Date.now());
    expect(fourth).toMatchObject({ email: plus(2), tell: false });
    await settled(m, mail);
    expect(mail.to(fields.email)).toHaveLength(2);
    expect(mail.to(target.email)).toHaveLength(1);
  });

  it("respects the applicant's opt-out from the brand or from every brand, and tells nobody who is in the campaign already", { timeout: 30_000 }, async () => {
    const m = await consoleBrand('owner');
    await openApplications(m);
    const fromBrand = application();
    const fromEvery = application();
    const member = (await env.DB.prepare('SELECT email FROM creators WHERE handle = ?').bind(m.handle).first<string>('email'))!;
    for (const a of [fromBrand, fromEvery, application({ email: member, handle: m.handle })]) await apply(m, a);
    await env.DB.batch([
      env.DB.prepare('INSERT INTO mail_opt_outs (email, scope, created_at) VALUES (?, ?, ?)').bind(fromBrand.email, m.brand.brandId, Date.now()),
      env.DB.prepare("INSERT INTO mail_opt_outs (email, scope, created_at) VALUES (?, '*', ?)").bind(fromEvery.email, Date.now()),
    ]);
    const mail = capture();
    const one = await post(`/console/campaigns/${m.campaign.id}/applications/${await applicationId(m.campaign.id, fromBrand.email)}/decline`, {}, { cookie: m.cookie });
    expect(one.headers.get('location')).toContain('flash=declined&mailed=0');
    const ids = await Promise.all([fromEvery.email, member].map((e) => applicationId(m.campaign.id, e)));
    const all = await post(`/console/campaigns/${m.campaign.id}/applications/decline-all`, { id: ids, confirm: '1' }, { cookie: m.cookie });
    expect(all.headers.get('location')).toBe(`/console/campaigns/${m.campaign.id}/applications?flash=declined_all&declined=2&mailed=0`);
    expect(await (await get(all.headers.get('location')!, m.cookie)).text()).toContain('Declined 2 applications. Nobody was emailed');
    await settled(m, mail);
    expect([fromBrand.email, fromEvery.email, member].flatMap((e) => mail.to(e))).toEqual([]);
    expect(await rowCount('SELECT count(*) AS n FROM applications WHERE campaign_id = ? AND email IN (?, ?, ?) AND decline_mailed_at IS NULL', m.campaign.id, fromBrand.email, fromEvery.email, member)).toBe(3);
  });

  it('mails each applicant of a decline-all once, says so before and after, and counts them in the activity row', { timeout: 30_000 }, async () => {
    const m = await consoleBrand('manager');
    await openApplications(m);
    const many = [application(), application(), application()];
    for (const a of many) await apply(m, a);
    const ids = await Promise.all(many.map((a) => applicationId(m.campaign.id, a.email)));
    const asked = await (await post(`/console/campaigns/${m.campaign.id}/applications/decline-all`, { id: ids }, { cookie: m.cookie })).text();
    expect(asked).toContain('Each creator gets a short email saying you are not taking them on for this campaign, with no reason given (unless they asked for no invitations from you, or heard of another decline lately).');
    const mail = capture();
    const done = await post(`/console/campaigns/${m.campaign.id}/applications/decline-all`, { id: ids, confirm: '1' }, { cookie: m.cookie });
    expect(done.headers.get('location')).toContain('declined=3&mailed=3');
    // The same form sent again (a double press) declines and mails nothing more.
    expect((await post(`/console/campaigns/${m.campaign.id}/applications/decline-all`, { id: ids, confirm: '1' }, { cookie: m.cookie })).headers.get('location')).toContain('declined=0');
    await waitFor(async () => (many.every((a) => mail.to(a.email).length > 0) ? true : null), 15_000);
    await settled(m, mail);
    expect(many.map((a) => mail.to(a.email).length)).toEqual([1, 1, 1]);
    expect(many.map((a) => mail.to(a.email)[0]!.text.startsWith('Hello,'))).toEqual([true, true, true]);
    const audit = await env.DB.prepare("SELECT details FROM audit_log WHERE target_id = ? AND action = 'campaign.applications_declined'").bind(m.campaign.id).all<{ details: string }>();
    expect(audit.results.map((r) => JSON.parse(r.details))).toEqual([{ declined: 3, applicantsMailed: 3 }]);
    // The answered list says who was told.
    expect(await (await get(`/console/campaigns/${m.campaign.id}/applications`, m.cookie)).text()).toContain('Declined</span> <span class="muted small">emailed</span>');
  });

  it('declines and marks hundreds in one batch within D1 limits, with one activity row counting them', async () => {
    const m = await consoleBrand();
    const now = Date.now();
    const t = tag();
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
       INSERT INTO applications (id, brand_id, campaign_id, email, inbox, handle, name, platform, pitch, status, created_at, updated_at)
       SELECT ?1 || i, ?2, ?3, 'wave' || i || ?4, 'wave' || i || ?4, 'wave', 'Wave', 'other', '', 'pending', ?5, ?6 FROM n`,
    )
      .bind(`app_wave_${t}_`, m.brand.brandId, m.campaign.id, `_${t}@creators.test`, now, now)
      .run();
    const ids = Array.from({ length: 300 }, (_, i) => `app_wave_${t}_${i + 1}`);
    await env.DB.prepare("INSERT INTO mail_opt_outs (email, scope, created_at) VALUES (?, '*', ?)").bind(`wave7_${t}@creators.test`, now).run();
    const declined = await declineApplications(env.DB, { brandId: m.brand.brandId, campaignId: m.campaign.id }, ids, { type: 'admin_user', id: m.user.id }, true, now);
    expect(declined).toHaveLength(300);
    expect(declined.filter((d) => d.tell)).toHaveLength(299);
    expect(declined.find((d) => !d.tell)?.email).toBe(`wave7_${t}@creators.test`);
    const audit = await env.DB.prepare("SELECT details FROM audit_log WHERE target_id = ? AND action = 'campaign.applications_declined'").bind(m.campaign.id).first<string>('details');
    expect(JSON.parse(audit!)).toEqual({ declined: 300, applicantsMailed: 299 });
    // Without a mail provider nobody is marked told.
    const other = await consoleBrand();
    await env.DB.prepare("INSERT INTO applications (id, brand_id, campaign_id, email, handle, name, platform, pitch, status, created_at, updated_at) VALUES (?, ?, ?, ?, 'h', 'H', 'other', '', 'pending', ?, ?)")
      .bind(`app_nomail_${t}`, other.brand.brandId, other.campaign.id, `nomail_${t}@creators.test`, now, now)
      .run();
    expect(await declineApplications(env.DB, { brandId: other.brand.brandId, campaignId: other.campaign.id }, [`app_nomail_${t}`], { type: 'admin_user', id: other.user.id }, false, now)).toEqual([
      { id: `app_nomail_${t}`, email: `nomail_${t}@creators.test`, name: 'H', tell: false },
    ]);
  });
});

describe('keeping applications', () => {
  it('deletes a declined application 90 days after the answer, and keeps the rest', async () => {
    const m = await consoleBrand();
    const now = Date.now();
    const row = (id: string, status: string, decidedDaysAgo: number | null) =>
      env.DB.prepare("INSERT INTO applications (id, brand_id, campaign_id, email, handle, name, platform, pitch, status, created_at, updated_at, decided_at) VALUES (?, ?, ?, ?, 'h', 'H', 'other', '', ?, ?, ?, ?)")
        .bind(id, m.brand.brandId, m.campaign.id, `${id}@creators.test`, status, now - 200 * 86_400_000, now, decidedDaysAgo === null ? null : now - decidedDaysAgo * 86_400_000)
        .run();
    const t = tag();
    await row(`app_old_${t}`, 'declined', 91);
    await row(`app_recent_${t}`, 'declined', 89);
    await row(`app_approved_${t}`, 'approved', 400);
    await row(`app_waiting_${t}`, 'pending', null);
    await forgetDeclinedApplications(env.DB, now);
    const left = await env.DB.prepare('SELECT id FROM applications WHERE campaign_id = ? ORDER BY id').bind(m.campaign.id).all<{ id: string }>();
    expect(left.results.map((r) => r.id)).toEqual([`app_approved_${t}`, `app_recent_${t}`, `app_waiting_${t}`]);
  });
});
