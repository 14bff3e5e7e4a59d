// Content due dates: a brand says when first drafts are due (the campaign's date, or one creator's own), the
// console marks who is behind, the creator sees it until they send one, and a reminder goes once per date.
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../../worker/env';
import { dueReminder, mailContentDueReminders } from '../../worker/jobs/content-due';
import { dueDayOf, REMINDER_LEAD_MS } from '../../worker/domain/content-due';
import { addDays, dayEnd, dayOf } from '../../worker/domain/periods';
import { setTransport, type Message } from '../../worker/lib/messages';
import { addAcceptedCreator, createMoneyBrand, insertSubmission, json, rowCount, waitFor, type Data } from './fixtures';
import { adminUser, signIn } from './console-fixtures';
import { get, post, type Fields } from './forms';
import { portalTestDefaults, signedInCreator } from './portal-fixtures';

portalTestDefaults();

const DAY = 86_400_000;
const ZONE = 'Europe/Berlin';
// A day on the brand's calendar, n days from today.
const dayIn = (n: number) => dayOf(Date.now() + n * DAY, ZONE);
type ErrorBody = { error: { code: string } };

let w: Awaited<ReturnType<typeof world>>;

async function world() {
  const m = await signedInCreator({ timezone: ZONE });
  const admin = await adminUser(m.brand.brandId, 'manager');
  const other = await createMoneyBrand();
  return { m, cookie: await signIn(admin.email), other };
}

// One more creator of the brand in its campaign, accepted and active (no password: they cannot be mailed).
async function anotherCreator(handle: string) {
  const creator = await addAcceptedCreator(w.m.brand, { email: `${handle}@creators.test`, handle, displayName: `Creator ${handle}` });
  const enrollment = await json<Data<{ id: string }>>(await w.m.brand.api('POST', '/api/admin/enrollments', { campaignId: w.m.campaign.id, creatorId: creator.data.id, paymentModel: 'affiliate', status: 'active' }));
  return { creatorId: creator.data.id, enrollmentId: enrollment.data.id };
}

const setDue = (sql: 'campaigns' | 'enrollments', id: string, at: number | null) => env.DB.prepare(`UPDATE ${sql} SET content_due_at = ? WHERE id = ?`).bind(at, id).run();
const dueOf = (table: 'campaigns' | 'enrollments', id: string) => env.DB.prepare(`SELECT content_due_at AS n FROM ${table} WHERE id = ?`).bind(id).first<number | null>('n');

function mailbox() {
  const sent: Message[] = [];
  setTransport(async (msg) => void sent.push(msg));
  return sent;
}

describe('the reminder mail', () => {
  it('goes from the morning of the third day before, an hour either side when clocks change, never the day before', () => {
    const hourIn = (ms: number, zone: string) => Number(new Intl.DateTimeFormat('en-GB', { hour: '2-digit', hourCycle: 'h23', timeZone: zone }).format(new Date(ms)));
    // Clocks go forward in the week before 8 March (Los Angeles) and 27 September (Auckland), back before 1 November.
    for (const [zone, day] of [['America/Los_Angeles', '2026-03-08'], ['America/Los_Angeles', '2026-11-01'], ['Pacific/Auckland', '2026-09-27'], ['Asia/Kolkata', '2026-12-12'], ['UTC', '2026-12-12']] as const) {
      const opens = dayEnd(day, zone) - REMINDER_LEAD_MS;
      expect(dayOf(opens, zone), `${zone} ${day}`).toBe(addDays(day, -3));
      expect(hourIn(opens, zone), `${zone} ${day}`).toBeGreaterThanOrEqual(8);
      expect(hourIn(opens, zone), `${zone} ${day}`).toBeLessThanOrEqual(10);
    }
  });

  it('says by the end of the day for a date, the time for a time sent through the API, and greets a creator without a name', () => {
    const r = { enrollment_id: 'enr_x', email: 'a@b.test', name: 'Maya Lind', campaign_name: 'Glow', brand_name: 'Lumen', timezone: 'America/Los_Angeles' };
    const now = Date.parse('2026-12-17T18:00:00Z');
    const byDay = dueReminder({ ...r, due_at: dayEnd('2026-12-20', r.timezone) }, null, now).text;
    expect(byDay).toContain('Hi Maya,');
    expect(byDay).toContain('due on Sun 20 Dec, in 3 days (by the end of that day, America/Los Angeles time)');
    const atTime = dueReminder({ ...r, name: ' ', due_at: Date.parse('2026-12-20T10:00:00-08:00') }, null, now).text;
    expect(atTime).toContain('Hi there,');
    expect(atTime).toContain('due on Sun 20 Dec, in 3 days (at 10:00, America/Los Angeles time)');
  });
});

describe('content due dates', () => {
  beforeAll(async () => {
    w = await world();
  }, 30_000);

  it('the admin API sets a campaign and an enrollment date as the end of that day where the brand is, and refuses what is not one', async () => {
    const { m, other } = w;
    const day = dayIn(10);
    const res = await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { contentDueAt: day });
    expect(res.status).toBe(200);
    const dueAt = dayEnd(day, ZONE);
    expect((await json<Data>(res)).data.contentDueAt).toBe(new Date(dueAt).toISOString());
    expect((await json<Data>(await m.brand.api('GET', `/api/admin/campaigns/${m.campaign.id}`))).data.contentDueAt).toBe(new Date(dueAt).toISOString());
    // An exact instant is taken as it is.
    const instant = new Date(Date.now() + 12 * DAY).toISOString();
    expect((await json<Data>(await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { contentDueAt: instant }))).data.contentDueAt).toBe(instant);
    expect((await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { contentDueAt: day })).status).toBe(200);

    // Dates in another shape, days that do not exist, one already over, out of range: 422, nothing written.
    for (const bad of ['12/12/2026', `${day}T10:00`, '2026-02-30', '2020-01-01', '2300-01-01', '', 'tomorrow', 1_900_000_000_000, `${day} `]) {
      const refused = await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { contentDueAt: bad });
      expect(refused.status, String(bad)).toBe(422);
      expect((await json<ErrorBody>(refused)).error.code).toBe('validation_failed');
    }
    expect(await dueOf('campaigns', m.campaign.id)).toBe(dueAt);
    const created = await m.brand.api('POST', '/api/admin/campaigns', { name: 'Later', slug: `later-${Date.now()}`, hashtag: '#Later', defaultDestination: 'https://shop.example/l', contentDueAt: '2019-05-01' });
    expect(created.status).toBe(422);
    // Another brand's campaign and enrollment are not found, and keep their dates.
    expect((await other.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { contentDueAt: day })).status).toBe(404);
    expect((await other.brand.api('PATCH', `/api/admin/enrollments/${m.enrollment.id}`, { contentDueAt: day })).status).toBe(404);

    // One creator's own, later date; null gives them the campaign's again.
    const late = dayIn(17);
    const own = await m.brand.api('PATCH', `/api/admin/enrollments/${m.enrollment.id}`, { contentDueAt: late });
    expect(own.status).toBe(200);
    expect((await json<Data>(own)).data.contentDueAt).toBe(new Date(dayEnd(late, ZONE)).toISOString());
    expect((await json<Data>(await m.brand.api('PATCH', `/api/admin/enrollments/${m.enrollment.id}`, { contentDueAt: null }))).data.contentDueAt).toBeNull();
    expect(await dueOf('enrollments', m.enrollment.id)).toBeNull();
    // A removed creator gets no date: 409, nothing written.
    const gone = await anotherCreator(`gone_${Date.now().toString(36)}`);
    expect((await m.brand.api('PATCH', `/api/admin/enrollments/${gone.enrollmentId}`, { status: 'removed' })).status).toBe(200);
    const removed = await m.brand.api('PATCH', `/api/admin/enrollments/${gone.enrollmentId}`, { contentDueAt: late });
    expect(removed.status).toBe(409);
    expect((await json<ErrorBody>(removed)).error.code).toBe('enrollment_removed');
    expect(await dueOf('enrollments', gone.enrollmentId)).toBeNull();
  });

  it("the console's brief form sets the campaign's day and the creator page one creator's, both shown as days", async () => {
    const { m, cookie } = w;
    const brief = (over: Fields) => ({ name: 'Glow', hashtag: 'Glow', disclosureText: '#ad', storyFormats: ['day_in_the_life'], defaultDestination: 'https://shop.example/glow', attributionWindowDays: '30', holdingDays: '30', commissionPlanId: m.plan.id, status: 'active', drawnStatus: 'active', positioningAnchor: '', nonNegotiables: '', baselineCost: '', baselineEngaged: '', endsOn: '', ...over });
    const page = `/console/campaigns/${m.campaign.id}`;
    expect((await post(page, brief({ contentDueOn: dayIn(8) }), { cookie })).status).toBe(303);
    expect(await dueOf('campaigns', m.campaign.id)).toBe(dayEnd(dayIn(8), ZONE));
    expect(await (await get(page, cookie)).text()).toContain(`name="contentDueOn" type="date" class="narrow-input" value="${dayIn(8)}"`);
    for (const bad of ['2020-01-01', '31/12/2026']) {
      const res = await post(page, brief({ contentDueOn: bad }), { cookie });
      expect(res.status).toBe(422);
      expect(await res.text()).toMatch(/due date for first drafts is (already over|a date)/);
    }
    expect(await dueOf('campaigns', m.campaign.id)).toBe(dayEnd(dayIn(8), ZONE));
    // A form drawn before the date was moved elsewhere (the API, another tab) leaves the day it was drawn with as
    // it was: the campaign keeps the new day. Cleared on purpose, it is cleared.
    const drawn = String(dayEnd(dayIn(8), ZONE));
    expect((await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { contentDueAt: dayIn(9) })).status).toBe(200);
    expect((await post(page, brief({ drawnContentDueAt: drawn, contentDueOn: dayIn(8) }), { cookie })).status).toBe(303);
    expect(await dueOf('campaigns', m.campaign.id)).toBe(dayEnd(dayIn(9), ZONE));
    expect((await post(page, brief({ drawnContentDueAt: '', contentDueOn: '' }), { cookie })).status).toBe(303);
    expect(await dueOf('campaigns', m.campaign.id)).toBe(dayEnd(dayIn(9), ZONE));
    expect((await post(page, brief({ drawnContentDueAt: String(dayEnd(dayIn(9), ZONE)), contentDueOn: '' }), { cookie })).status).toBe(303);
    expect(await dueOf('campaigns', m.campaign.id)).toBeNull();
    expect((await post(page, brief({ drawnContentDueAt: '', contentDueOn: dayIn(8) }), { cookie })).status).toBe(303);
    expect(await dueOf('campaigns', m.campaign.id)).toBe(dayEnd(dayIn(8), ZONE));

    const creatorPage = `${page}/creators/${m.enrollment.id}`;
    const html = await (await get(creatorPage, cookie)).text();
    expect(html).toContain('name="drawnContentDueAt" value=""');
    const form = { status: 'active', paymentModel: 'affiliate', flatFee: '', briefSection: '', drawnStatus: 'active', drawnPaymentModel: 'affiliate', drawnFlatFeeMinor: '0', drawnBriefSection: '', drawnContentDueAt: '' };
    expect((await post(creatorPage, { ...form, contentDueOn: dayIn(15) }, { cookie })).status).toBe(303);
    expect(await dueOf('enrollments', m.enrollment.id)).toBe(dayEnd(dayIn(15), ZONE));
    const refused = await post(creatorPage, { ...form, drawnContentDueAt: String(dayEnd(dayIn(15), ZONE)), contentDueOn: '2020-01-01' }, { cookie });
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain('That due date is already over.');
    expect((await post(creatorPage, { ...form, drawnContentDueAt: String(dayEnd(dayIn(15), ZONE)), contentDueOn: '' }, { cookie })).status).toBe(303);
    expect(await dueOf('enrollments', m.enrollment.id)).toBeNull();
  });

  it('the roster marks and filters who is overdue, the campaign list counts them, and the creator sees the date until they send a draft', async () => {
    const { m, cookie } = w;
    const sent = await anotherCreator(`sent_${Date.now().toString(36)}`);
    const rejected = await anotherCreator(`rej_${Date.now().toString(36)}`);
    await insertSubmission(m.brand.brandId, sent.enrollmentId, 'changes_requested');
    await insertSubmission(m.brand.brandId, rejected.enrollmentId, 'rejected');
    const network = `/console/campaigns/${m.campaign.id}/network`;

    // Due in six days: everyone without a standing draft is marked due, by words.
    const dueAt = dayEnd(dayIn(6), ZONE);
    await setDue('campaigns', m.campaign.id, dueAt);
    let html = await (await get(network, cookie)).text();
    expect(html).toMatch(/<span class="visually-hidden">First draft <\/span>Due \w{3},? \d{1,2} \w{3}/);
    expect(html).not.toContain('badge-overdue');
    const home = await (await get('/', m.cookie)).text();
    expect(home).toMatch(/<strong>First draft due \w{3},? \d{1,2} \w{3}( \d{4})?<\/strong>, in 6 days\./);
    expect(await (await get(`/brief/${m.enrollment.id}`, m.cookie)).text()).toContain(`href="/submissions/new?enrollment=${m.enrollment.id}">Submit a draft</a>`);

    // The day is over: overdue, the rejected one's too; the creator with changes asked for sent one.
    await setDue('campaigns', m.campaign.id, Date.now() - 1000);
    html = await (await get(`${network}?due=overdue`, cookie)).text();
    expect(html).toContain('<strong class="warn-text">2 overdue</strong>');
    expect(html).toContain(`/creators/${m.enrollment.id}"`);
    expect(html).toContain(`/creators/${rejected.enrollmentId}"`);
    expect(html).not.toContain(`/creators/${sent.enrollmentId}"`);
    expect(html).toContain('<span class="badge badge-overdue">Overdue</span> first draft was due');
    expect(await (await get(network, cookie)).text()).toContain(`/creators/${sent.enrollmentId}"`);
    expect(await (await get('/console', cookie)).text()).toContain(`href="/console/campaigns/${m.campaign.id}/network?due=overdue">2 creators overdue with a first draft</a>`);
    expect(await (await get(`/brief/${m.enrollment.id}`, m.cookie)).text()).toMatch(/<strong>Overdue: your first draft was due on [^<]+\.<\/strong>/);
    // The API's ranking says the same.
    const ranking = (await json<Data<{ ranking: { enrollmentId: string; firstDraft: string | null }[] }>>(await m.brand.api('GET', `/api/admin/campaigns/${m.campaign.id}/network`))).data.ranking;
    expect(Object.fromEntries(ranking.map((r) => [r.enrollmentId, r.firstDraft]))).toMatchObject({ [m.enrollment.id]: 'overdue', [rejected.enrollmentId]: 'overdue', [sent.enrollmentId]: 'sent' });
    // And the ranking's CSV: the day on the brand's calendar and where each stands.
    const [header, ...lines] = (await (await get(`${network}.csv`, cookie)).text()).split('\r\n');
    expect(header).toContain('"drafts_sent","first_draft_due","first_draft","posts_live"');
    const day = dueDayOf((await dueOf('campaigns', m.campaign.id))!, ZONE);
    expect(lines.filter((l) => l.includes(`,"${day}","overdue",`))).toHaveLength(2);
    expect(lines.filter((l) => l.includes(`,"${day}","sent",`))).toHaveLength(1);

    // A draft sent: nothing due any more, for them or on their card.
    await insertSubmission(m.brand.brandId, m.enrollment.id);
    expect(await (await get('/', m.cookie)).text()).not.toContain('draft-due');
    expect(await (await get(`${network}?due=overdue`, cookie)).text()).not.toContain(`/creators/${m.enrollment.id}"`);
    await env.DB.prepare('DELETE FROM submissions WHERE enrollment_id IN (?, ?, ?)').bind(m.enrollment.id, sent.enrollmentId, rejected.enrollmentId).run();
    await env.DB.prepare("UPDATE enrollments SET status = 'removed', removed_at = ? WHERE id IN (?, ?)").bind(Date.now(), sent.enrollmentId, rejected.enrollmentId).run();
    await setDue('campaigns', m.campaign.id, null);
  });

  it('reminds once per date three days before, again for a moved date (at most once a day) and a creator who joined late, never an opted-out creator or a closed campaign', { timeout: 40_000 }, async () => {
    const { m } = w;
    const sent = mailbox();
    const mine = (to: string) => sent.filter((s) => s.to === to);
    const run = (at = Date.now()) => mailContentDueReminders({ ...env, PUBLIC_ORIGIN: 'https://chorus.example' } as Env, at);
    const claims = (enrollmentId: string) => rowCount('SELECT count(*) AS n FROM content_due_reminders WHERE enrollment_id = ?', enrollmentId);

    // Five days off: not yet. Two days off: one mail, however often and however concurrently the job runs.
    await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { contentDueAt: new Date(Date.now() + 5 * DAY).toISOString() });
    await run();
    expect(await claims(m.enrollment.id)).toBe(0);
    const first = new Date(Date.now() + 2 * DAY).toISOString();
    await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { contentDueAt: first });
    await Promise.all([run(), run(), run()]);
    await run();
    const mail = await waitFor(async () => mine(m.email)[0]);
    expect(mail.subject).toMatch(/^Test Brand: your Glow draft is due \w{3},? \d{1,2} \w{3}/);
    expect(mail.text).toContain(`https://chorus.example/submissions/new?enrollment=${m.enrollment.id}`);
    expect(mail.text).toContain('https://chorus.example/account#emails-h');
    expect(await claims(m.enrollment.id)).toBe(1);

    // The brand moves the date, and again: within a day of the last reminder nothing more; after it, the date as it
    // stands then reminds, once.
    for (const days of [3, 3.2]) {
      await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { contentDueAt: new Date(Date.now() + days * DAY).toISOString() });
      expect(await run()).toBe(0);
    }
    const dayLater = Date.now() + DAY + 60_000;
    expect(await run(dayLater)).toBe(1);
    expect(await run(dayLater + 60_000)).toBe(0);
    await waitFor(async () => (mine(m.email).length === 2 ? true : null));

    // A creator who joins inside the window is reminded on the next run; one who turned it off is not.
    const late = await anotherCreator(`late_${Date.now().toString(36)}`);
    const lateEmail = (await env.DB.prepare("UPDATE creators SET password_hash = 'set' WHERE id = ? RETURNING email").bind(late.creatorId).first<string>('email'))!;
    expect((await post('/account/emails', { earningsDigest: 'on', dueRemindersShown: '1' }, { cookie: m.cookie })).headers.get('location')).toBe('/account?done=emails');
    expect(await rowCount('SELECT due_reminders AS n FROM creators WHERE id = ?', m.creator.id)).toBe(0);
    await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { contentDueAt: new Date(Date.now() + 2.5 * DAY).toISOString() });
    expect(await run()).toBe(1);
    await waitFor(async () => mine(lateEmail)[0]);
    expect(mine(m.email)).toHaveLength(2);

    // Nothing for a date already past, a draft campaign or an ended one.
    expect((await post('/account/emails', { dueReminders: 'on', dueRemindersShown: '1' }, { cookie: m.cookie })).status).toBe(303);
    await setDue('campaigns', m.campaign.id, Date.now() + 2 * DAY + 1);
    await env.DB.prepare("UPDATE campaigns SET status = 'ended', ends_at = ? WHERE id = ?").bind(Date.now() - 1000, m.campaign.id).run();
    expect(await run()).toBe(0);
    await env.DB.prepare("UPDATE campaigns SET status = 'draft', ends_at = NULL WHERE id = ?").bind(m.campaign.id).run();
    expect(await run()).toBe(0);
    await env.DB.prepare("UPDATE campaigns SET status = 'active' WHERE id = ?").bind(m.campaign.id).run();
    expect(await run(Date.now() + 3 * DAY)).toBe(0);
    expect(await run(Date.now() + DAY + 120_000)).toBeGreaterThanOrEqual(1);
  });
});
