// Content usage rights, over one brand in a timezone far from UTC: the campaign asks (admin API and the brief
// form), the creator grants with each draft (the tick, the terms the form showed, a revision), the grant's end
// on the brand's calendar, and the content library (API, console page, CSV) with its filters and tenancy.
import { env } from 'cloudflare:test';
import migration0064 from '../../migrations/0064_rights_extension_events_and_mail.sql?raw';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { formatDate } from '../../portal/format';
import type { Env } from '../../worker/env';
import { mailWeeklyReports } from '../../worker/jobs/weekly-report';
import { mailReviewDigests } from '../../worker/jobs/review-digest';
import { MailError, setTransport, type Message } from '../../worker/lib/messages';
import { mailWaitingRightsExtensions } from '../../worker/jobs/rights-extension-mail';
import { addDays, dayEnd, dayOf, dayStart } from '../../worker/domain/periods';
import { grantView, rightsKey, type UsageRights } from '../../worker/domain/usage-rights';
import { answerRightsExtension } from '../../worker/db/rights-extensions';
import { createMoneyBrand, insertSubmission, json, rowCount, waitFor, type Data } from './fixtures';
import { adminUser, signIn } from './console-fixtures';
import { get, post, type Fields } from './forms';
import { portalTestDefaults, signedInCreator } from './portal-fixtures';

portalTestDefaults();

const ZONE = 'Pacific/Auckland';
const DAY = 86_400_000;
const YEAR: UsageRights = { scopes: ['organic', 'paid'], days: 365, note: 'Cut-downs included.' };
type ErrorBody = { error: { code: string } };
type Grant = { terms: UsageRights; grantedAt: string; until: string | null; state: string } | null;
type Item = { submissionId: string; status: string; rights: Grant; creator: { handle: string } };

let w: Awaited<ReturnType<typeof world>>;

async function world() {
  const m = await signedInCreator({ timezone: ZONE });
  const manager = await adminUser(m.brand.brandId, 'manager');
  const viewer = await adminUser(m.brand.brandId, 'viewer');
  return { m, cookie: await signIn(manager.email), viewerCookie: await signIn(viewer.email), other: await createMoneyBrand() };
}

const askRights = (rights: UsageRights | null) => w.m.brand.api('PATCH', `/api/admin/campaigns/${w.m.campaign.id}`, { usageRights: rights });
const campaignRights = () => env.DB.prepare('SELECT usage_rights AS r FROM campaigns WHERE id = ?').bind(w.m.campaign.id).first<string | null>('r');
const submissionRow = (id: string) => env.DB.prepare('SELECT rights_terms, rights_granted_at, rights_until, status FROM submissions WHERE id = ?').bind(id).first<{ rights_terms: string | null; rights_granted_at: number | null; rights_until: number | null; status: string }>();
const draft = (over: Fields = {}): Fields => ({ enrollmentId: w.m.enrollment.id, storyFormat: 'day_in_the_life', draftUrl: `https://drive.example/${Math.random().toString(36).slice(2)}`, caption: 'Morning #Glow #ad', ...over });
const drafts = () => rowCount('SELECT count(*) AS n FROM submissions WHERE enrollment_id = ?', w.m.enrollment.id);
const submittedId = (res: Response) => /\/submissions\/(sub_[\w-]+)/.exec(res.headers.get('location') ?? '')?.[1] ?? '';

// Extension requests: live content granted YEAR (organic and paid) that ends at `until`, asked through the API,
// answered from the creator's page with the words it showed.
type Extension = { id: string; status: string; scopes: string[]; creatorMailed: boolean; accepted: { terms: string; until: string | null } | null; declineNote: string | null };
type Detail = Item & { rights: Grant & { scopes: string[]; extendedAt: string | null }; rightsExtension: Extension | null; rightsExtensions: Extension[] };
const grantedPost = async (until: number | null, status: 'approved' | 'live' = 'live') => {
  const id = await insertSubmission(w.m.brand.brandId, w.m.enrollment.id, status);
  await env.DB.prepare('UPDATE submissions SET rights_terms = ?, rights_granted_at = ?, rights_until = ? WHERE id = ?').bind(rightsKey(YEAR), Date.now() - 300 * DAY, until, id).run();
  return id;
};
const extend = (id: string, body: unknown, brand = w.m.brand) => brand.api('POST', `/api/admin/content/${id}/rights-extension`, body);
const unescape = (v: string) => v.replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
// The words the creator's page shows beside Accept, and the form's action.
const shown = async (id: string) => {
  const html = await (await get(`/submissions/${id}`, w.m.cookie)).text();
  return { html, words: unescape(/name="words" value="([^"]*)"/.exec(html)?.[1] ?? ''), action: /action="(\/submissions\/[^"]+\/accept)"/.exec(html)?.[1] ?? '' };
};
const grantOf = (id: string) => env.DB.prepare('SELECT rights_terms, rights_until, rights_extension_id FROM submissions WHERE id = ?').bind(id).first<{ rights_terms: string; rights_until: number | null; rights_extension_id: string | null }>();
const fees = (id: string) => rowCount("SELECT count(*) AS n FROM ledger_entries WHERE submission_id = ? AND kind = 'adjustment'", id);
const enrollmentStatus = (status: string) => env.DB.prepare('UPDATE enrollments SET status = ? WHERE id = ?').bind(status, w.m.enrollment.id).run();
// Asked through the API and accepted from the creator's page, as they read it.
const extendAccepted = async (id: string, body: unknown) => {
  expect((await extend(id, body)).status).toBe(201);
  const { words, action } = await shown(id);
  expect((await post(action, { words }, { cookie: w.m.cookie })).status).toBe(303);
};
const requests = (id: string) => rowCount('SELECT count(*) AS n FROM rights_extensions WHERE submission_id = ?', id);
const RX_EVENTS = ['rights_extension.requested', 'rights_extension.accepted', 'rights_extension.declined', 'rights_extension.withdrawn'];

describe('usage rights', () => {
  beforeAll(async () => {
    w = await world();
  }, 30_000);

  it('the admin API asks them on a campaign in one order, refuses any other shape with nothing written, and 404s another brand', async () => {
    const res = await askRights({ scopes: ['paid', 'organic'], days: 365, note: 'Cut-downs included.' });
    expect(res.status).toBe(200);
    expect((await json<Data>(res)).data.usageRights).toEqual(YEAR);
    const stored = await campaignRights();
    for (const bad of [
      { scopes: [], days: 30, note: '' },
      { scopes: ['tv'], days: 30, note: '' },
      { scopes: ['paid', 'paid'], days: 30, note: '' },
      { scopes: ['paid'], days: 0, note: '' },
      { scopes: ['paid'], days: 3651, note: '' },
      { scopes: ['paid'], days: 1.5, note: '' },
      { scopes: ['paid'], days: '30', note: '' },
      { scopes: ['paid'] },
      { scopes: ['paid'], days: 30, note: 'a\u0000b' },
      { scopes: ['paid'], days: 30, note: 'Paid ads \u202eonly\u202c' },
      { scopes: ['paid'], days: 30, note: 'a\u2066b\u2069' },
      { scopes: ['paid'], days: 30, note: '', forever: true },
      'paid',
    ]) {
      const refused = await askRights(bad as unknown as UsageRights);
      expect(refused.status, JSON.stringify(bad)).toBe(422);
      expect((await json<ErrorBody>(refused)).error.code).toBe('validation_failed');
    }
    expect(await campaignRights()).toBe(stored);
    const slug = `rights-${Date.now().toString(36)}`;
    const created = await w.m.brand.api('POST', '/api/admin/campaigns', { name: 'R', slug, hashtag: '#R', defaultDestination: 'https://shop.example/r', usageRights: { scopes: ['paid'], days: -1, note: '' } });
    expect(created.status).toBe(422);
    expect(await rowCount('SELECT count(*) AS n FROM campaigns WHERE slug = ?', slug)).toBe(0);
    expect((await w.other.brand.api('PATCH', `/api/admin/campaigns/${w.m.campaign.id}`, { usageRights: null })).status).toBe(404);
    expect(await campaignRights()).toBe(stored);
  });

  it('the brief form asks them, and a form left as drawn keeps terms set meanwhile', async () => {
    const { m, cookie } = w;
    const page = `/console/campaigns/${m.campaign.id}`;
    const html = await (await get(page, cookie)).text();
    expect(html).toContain('Usage rights asked with each draft');
    const drawn = /name="drawnRights" value="([^"]*)"/.exec(html)![1]!.replaceAll('&quot;', '"');
    expect(drawn).toBe(rightsKey(YEAR));
    const brief = (over: Fields) => ({ name: 'Glow', hashtag: '#Glow', disclosureText: '#ad', storyFormats: ['day_in_the_life'], defaultDestination: 'https://shop.example/glow', attributionWindowDays: '30', holdingDays: '30', commissionPlanId: m.plan.id, status: 'active', drawnStatus: 'active', positioningAnchor: '', nonNegotiables: '', baselineCost: '', baselineEngaged: '', endsOn: '', drawnRights: drawn, rightsScopes: ['organic', 'paid'], rightsDays: '365', rightsNote: 'Cut-downs included.', ...over });
    expect((await post(page, brief({ rightsScopes: ['partnership'], rightsDays: '' }), { cookie })).status).toBe(303);
    expect(JSON.parse((await campaignRights())!)).toEqual({ scopes: ['partnership'], days: null, note: 'Cut-downs included.' });
    expect((await post(page, brief({ rightsDays: '99999', rightsScopes: ['paid'] }), { cookie })).status).toBe(422);
    // Someone else's change through the API survives a save of a form drawn before it that left the rights alone.
    await askRights(YEAR);
    expect((await post(page, brief({ drawnRights: rightsKey({ scopes: ['partnership'], days: null, note: 'Cut-downs included.' }), rightsScopes: ['partnership'], rightsDays: '' }), { cookie })).status).toBe(303);
    expect(JSON.parse((await campaignRights())!)).toEqual(YEAR);
    // Changed through the API after the form was drawn, then a 422 on another field: the form comes back with what it
    // was first drawn with, so the corrected save leaves the rights and the due date alone.
    const dueOnly = { drawnContentDueAt: '', contentDueOn: '' };
    await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { usageRights: { ...YEAR, days: 30 }, contentDueAt: '2099-12-12' });
    const again = await post(page, brief({ ...dueOnly, name: '' }), { cookie });
    expect(again.status).toBe(422);
    const redrawn = await again.text();
    const hidden = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(redrawn)![1]!.replaceAll('&quot;', '"');
    expect([hidden('drawnRights'), hidden('drawnContentDueAt')]).toEqual([drawn, '']);
    expect((await post(page, brief({ ...dueOnly, drawnRights: hidden('drawnRights') }), { cookie })).status).toBe(303);
    const after = await env.DB.prepare('SELECT usage_rights AS r, content_due_at AS d FROM campaigns WHERE id = ?').bind(m.campaign.id).first<{ r: string; d: number | null }>();
    expect(JSON.parse(after!.r)).toEqual({ ...YEAR, days: 30 });
    expect(after!.d).not.toBeNull();
    await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { usageRights: YEAR, contentDueAt: null });
    // The new-campaign form asks them too, by the same rules.
    expect(await (await get('/console', cookie)).text()).toContain('Usage rights asked with each draft');
    const slug = `new-rights-${Date.now().toString(36)}`;
    const created = { name: 'New rights', slug, hashtag: '#NewRights', disclosureText: '#ad', storyFormats: 'before_after', defaultDestination: 'https://shop.example/x', attributionWindowDays: '30', holdingDays: '30', commissionPlanId: m.plan.id, status: 'active', rightsScopes: ['paid'], rightsDays: '90', rightsNote: '' };
    expect((await post('/console/campaigns', { ...created, rightsDays: '0' }, { cookie })).status).toBe(422);
    expect((await post('/console/campaigns', created, { cookie })).status).toBe(303);
    expect(JSON.parse((await env.DB.prepare('SELECT usage_rights AS r FROM campaigns WHERE slug = ? AND brand_id = ?').bind(slug, m.brand.brandId).first<string>('r'))!)).toEqual({ scopes: ['paid'], days: 90, note: '' });
  });

  it('a draft is sent only with the tick beside the terms the form showed, and keeps them when the brief changes', async () => {
    const { m } = w;
    const brief = await (await get(`/brief/${m.enrollment.id}`, m.cookie)).text();
    expect(brief).toContain('may repost it on its own accounts and run it as paid ads, for 365 days, counted from the day the draft is approved and counted again from the day the post first goes live');
    const form = await (await get(`/submissions/new?enrollment=${m.enrollment.id}`, m.cookie)).text();
    expect(form).toMatch(/<input type="checkbox" name="grantRights" id="grantRights" value="1" required="" aria-describedby="grant-terms grant-note"/);
    expect(form).toContain('these rights to this content.');
    const before = await drafts();
    // A forged form without the tick, one without the terms it showed, and one drawn before the terms changed.
    const noTick = await post('/submissions', draft({ drawnRights: rightsKey(YEAR) }), { cookie: m.cookie });
    expect(noTick.status).toBe(422);
    expect(await noTick.text()).toContain('Tick the box to grant');
    expect((await post('/submissions', draft({ grantRights: '1' }), { cookie: m.cookie })).status).toBe(409);
    const stale = await post('/submissions', draft({ grantRights: '1', drawnRights: rightsKey({ ...YEAR, days: 30 }) }), { cookie: m.cookie });
    expect(stale.status).toBe(409);
    const staleHtml = await stale.text();
    expect(staleHtml).toMatch(/<a href="#grantRights">[^<]*changed the usage rights/);
    expect(staleHtml).toContain('for 365 days');
    expect(staleHtml).not.toMatch(/name="grantRights"[^>]*checked/);
    expect(await drafts()).toBe(before);

    const sent = await post('/submissions', draft({ grantRights: '1', drawnRights: rightsKey(YEAR) }), { cookie: m.cookie });
    expect(sent.status).toBe(303);
    const id = submittedId(sent);
    const row = await submissionRow(id);
    expect(JSON.parse(row!.rights_terms!)).toEqual(YEAR);
    expect(row!.rights_granted_at).toBeGreaterThan(Date.now() - 60_000);
    expect(row!.rights_until).toBeNull();
    // Resent as it was, it is that draft; the brief changes: the grant keeps what the creator saw, and the same
    // draft resent under the new terms is a new submission with its own grant.
    const sentDraft = draft({ draftUrl: `https://drive.example/same-${id}` });
    const first = submittedId(await post('/submissions', { ...sentDraft, grantRights: '1', drawnRights: rightsKey(YEAR) }, { cookie: m.cookie }));
    expect(submittedId(await post('/submissions', { ...sentDraft, grantRights: '1', drawnRights: rightsKey(YEAR) }, { cookie: m.cookie }))).toBe(first);
    await askRights({ scopes: ['partnership'], days: 30, note: '' });
    expect(JSON.parse((await submissionRow(id))!.rights_terms!)).toEqual(YEAR);
    const resent = submittedId(await post('/submissions', { ...sentDraft, grantRights: '1', drawnRights: rightsKey({ scopes: ['partnership'], days: 30, note: '' }) }, { cookie: m.cookie }));
    expect(resent).not.toBe(first);
    expect(JSON.parse((await submissionRow(first))!.rights_terms!)).toEqual(YEAR);
    expect(JSON.parse((await submissionRow(resent))!.rights_terms!)).toEqual({ scopes: ['partnership'], days: 30, note: '' });
    // The review queue says what each draft grants: the console's and the API's.
    const queue = await (await get(`/console/review?status=submitted&campaign=${m.campaign.id}`, w.cookie)).text();
    expect(queue).toContain('Usage rights: </span>Organic reposting and paid ads, 365 days');
    const listed = (await json<Data<{ id: string; rights: Grant }[]>>(await m.brand.api('GET', `/api/admin/submissions?status=submitted&campaignId=${m.campaign.id}`))).data.find((x) => x.id === id);
    expect(listed?.rights).toMatchObject({ terms: YEAR, state: 'pending' });
    const page = await (await get(`/submissions/${id}`, m.cookie)).text();
    expect(page).toContain('Usage rights you granted');
    expect(page).toContain('The days start counting when the brand approves this draft, and start again on the day the post first goes live.');

    // Sent back: the revision asks again for the changed terms, and the new grant replaces the old.
    expect((await m.brand.api('POST', `/api/admin/submissions/${id}/request-changes`, { note: 'Brighter, please.' })).status).toBe(200);
    const edit = await (await get(`/submissions/${id}/edit`, m.cookie)).text();
    expect(edit).toContain('run it as partnership (whitelisted) ads from your handle, for 30 days');
    const newTerms = rightsKey({ scopes: ['partnership'], days: 30, note: '' });
    expect((await post(`/submissions/${id}/resubmit`, draft({ drawnRights: newTerms }), { cookie: m.cookie })).status).toBe(422);
    expect((await post(`/submissions/${id}/resubmit`, draft({ drawnRights: newTerms, grantRights: '1' }), { cookie: m.cookie })).status).toBe(303);
    expect(JSON.parse((await submissionRow(id))!.rights_terms!)).toEqual({ scopes: ['partnership'], days: 30, note: '' });
    // The campaign stops asking: a revision is new content, so it carries no grant, and the form says so.
    await askRights(null);
    expect((await m.brand.api('POST', `/api/admin/submissions/${id}/request-changes`, { note: 'Again.' })).status).toBe(200);
    expect(await (await get(`/submissions/${id}/edit`, m.cookie)).text()).toContain('so this revision grants none');
    expect((await post(`/submissions/${id}/resubmit`, draft({ drawnRights: '' }), { cookie: m.cookie })).status).toBe(303);
    expect(await submissionRow(id)).toMatchObject({ rights_terms: null, rights_granted_at: null, rights_until: null });
    const audit = await env.DB.prepare("SELECT details FROM audit_log WHERE target_id = ? AND action = 'submission.resubmit' ORDER BY at DESC LIMIT 1").bind(id).first<string>('details');
    expect(JSON.parse(audit!).rightsCleared).toEqual({ scopes: ['partnership'], days: 30, note: '' });
    await askRights(YEAR);
  });

  it('a grant is pending until approval whatever its term, and none once the draft is rejected', () => {
    const now = Date.now();
    const forever = rightsKey({ ...YEAR, days: null });
    const state = (status: 'submitted' | 'changes_requested' | 'rejected' | 'approved' | 'live', rights_until: number | null = null) =>
      grantView({ status, rights_terms: forever, rights_granted_at: now, rights_until, rights_extension_id: null, extended_scopes: null, extended_days: null, extended_at: null }, now)?.state ?? null;
    expect([state('submitted'), state('changes_requested'), state('rejected'), state('approved'), state('live')]).toEqual(['pending', 'pending', null, 'active', 'active']);
    expect(state('rejected', now + DAY)).toBeNull();
  });

  it("the grant's days run from approval, then from going live, to the end of the last day on the brand's calendar", async () => {
    const { m } = w;
    const sent = await post('/submissions', draft({ grantRights: '1', drawnRights: rightsKey(YEAR) }), { cookie: m.cookie });
    const id = submittedId(sent);
    const approved = await json<Data<{ rights: Grant }>>(await m.brand.api('POST', `/api/admin/submissions/${id}/approve`, {}));
    const until = dayEnd(addDays(dayOf(Date.now(), ZONE), 365), ZONE);
    expect(approved.data.rights?.until).toBe(new Date(until).toISOString());
    expect(approved.data.rights?.state).toBe('active');
    // Auckland's midnight is not UTC's: the end is the brand's day, not a multiple of 24 hours from the approval.
    expect(new Date(until).toISOString()).toMatch(/T1[01]:00:00\.000Z$/);
    const live = await json<Data<{ rights: Grant }>>(await m.brand.api('POST', `/api/admin/submissions/${id}/mark-live`, { postUrl: `https://social.example/p/${id}` }));
    expect(live.data.rights?.until).toBe(new Date(until).toISOString());
    const page = await (await get(`/submissions/${id}`, m.cookie)).text();
    expect(page).toContain(`Until ${formatDate(until - 1, ZONE)}.`);
    // Only the first going live restarts the clock: marked not live and live again, an expired grant stays expired.
    const expiredAt = Date.now() - DAY;
    await env.DB.prepare('UPDATE submissions SET rights_until = ? WHERE id = ?').bind(expiredAt, id).run();
    expect((await m.brand.api('POST', `/api/admin/submissions/${id}/mark-not-live`, { note: 'Wrong link.' })).status).toBe(200);
    const again = await json<Data<{ rights: Grant }>>(await m.brand.api('POST', `/api/admin/submissions/${id}/mark-live`, { postUrl: `https://social.example/p/${id}/2` }));
    expect(again.data.rights).toMatchObject({ until: new Date(expiredAt).toISOString(), state: 'expired' });
    await env.DB.prepare('UPDATE submissions SET rights_until = ? WHERE id = ?').bind(until, id).run();
  });

  it('the content library lists approved and live content by rights, for this brand only, and its CSV is text-safe and for writers', async () => {
    const { m, cookie, viewerCookie, other } = w;
    // An expired grant, one ending in ten days, and content from before any rights were asked.
    const expired = await insertSubmission(m.brand.brandId, m.enrollment.id, 'live');
    const ending = await insertSubmission(m.brand.brandId, m.enrollment.id, 'approved');
    const none = await insertSubmission(m.brand.brandId, m.enrollment.id, 'live');
    await insertSubmission(m.brand.brandId, m.enrollment.id, 'submitted');
    const grant = (id: string, until: number) => env.DB.prepare('UPDATE submissions SET rights_terms = ?, rights_granted_at = ?, rights_until = ? WHERE id = ?').bind(rightsKey(YEAR), Date.now() - 400 * DAY, until, id).run();
    await grant(expired, Date.now() - DAY);
    await grant(ending, Date.now() + 10 * DAY);
    // Approved with a term whose clock never started (no end yet): not started in the API, the console and the CSV alike.
    const notStarted = await insertSubmission(m.brand.brandId, m.enrollment.id, 'approved');
    await env.DB.prepare('UPDATE submissions SET rights_terms = ?, rights_granted_at = ? WHERE id = ?').bind(rightsKey(YEAR), Date.now(), notStarted).run();
    const list = async (q: string) => (await json<Data<Item[]>>(await m.brand.api('GET', `/api/admin/content${q}`))).data;
    const all = await list(`?campaignId=${m.campaign.id}`);
    expect(all.every((i) => i.status === 'approved' || i.status === 'live')).toBe(true);
    const ids = (items: Item[]) => items.map((i) => i.submissionId);
    expect(ids(all)).toEqual(expect.arrayContaining([expired, ending, none]));
    expect(ids(await list('?rights=expired'))).toEqual([expired]);
    expect(ids(await list('?rights=ending'))).toEqual([ending]);
    expect(ids(await list('?rights=none'))).toEqual(expect.arrayContaining([none]));
    expect(ids(await list('?rights=active'))).toContain(ending);
    expect(ids(await list('?rights=active'))).not.toContain(expired);
    expect(ids(await list('?rights=active'))).not.toContain(notStarted);
    expect(all.find((i) => i.submissionId === notStarted)?.rights?.state).toBe('pending');
    const consoleHtml = await (await get(`/console/content?campaign=${m.campaign.id}`, viewerCookie)).text();
    expect(consoleHtml).toContain('Not started');
    expect(consoleHtml).not.toContain('No end date');
    expect(await (await get('/console/content/export.csv', cookie)).text()).toContain('"not started","Organic reposting and paid ads",""');
    expect((await list('?rights=ending'))[0]!.rights?.state).toBe('ending');
    // Paged while every post reports new numbers after each page: no row is skipped or repeated.
    const walked: string[] = [];
    let cursor = '';
    do {
      const paged = await json<{ data: Item[]; hasMore: boolean; nextCursor: string }>(await m.brand.api('GET', `/api/admin/content?campaignId=${m.campaign.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`));
      walked.push(...ids(paged.data));
      await env.DB.prepare('UPDATE submissions SET updated_at = ? WHERE enrollment_id = ?').bind(Date.now() + walked.length, m.enrollment.id).run();
      cursor = paged.hasMore ? paged.nextCursor : '';
    } while (cursor);
    expect(walked).toEqual(ids(all));
    // Another brand sees none of it, even naming this brand's campaign (a filter of another brand's ids matches nothing).
    expect((await json<Data<Item[]>>(await other.brand.api('GET', '/api/admin/content'))).data).toEqual([]);
    expect((await json<Data<Item[]>>(await other.brand.api('GET', `/api/admin/content?campaignId=${m.campaign.id}`))).data).toEqual([]);
    expect((await m.brand.api('GET', '/api/admin/content?rights=forever')).status).toBe(422);

    const page = await get('/console/content?rights=expired', viewerCookie);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Content library');
    expect(html).toContain('Expired ');
    expect(html).not.toContain('Download CSV');
    expect((await get('/console/content/export.csv', viewerCookie)).status).toBe(403);
    await env.DB.prepare('UPDATE campaigns SET name = ? WHERE id = ?').bind('=HYPERLINK("https://evil.example")', m.campaign.id).run();
    const csv = await get('/console/content/export.csv?rights=ending', cookie);
    expect(csv.status).toBe(200);
    const text = await csv.text();
    expect(text.split('\r\n')[0]).toContain('"rights_until"');
    expect(text).toContain(`"'=HYPERLINK(""https://evil.example"")"`);
    expect(text).toContain(`"ending soon","Organic reposting and paid ads","${dayOf(Date.now() + 10 * DAY - 1, ZONE)}"`);
    await env.DB.prepare("UPDATE campaigns SET name = 'Glow' WHERE id = ?").bind(m.campaign.id).run();
  });
  it('a brand asks to extend a grant, the creator accepts once: the end moves, the uses grow, the fee is paid once, the original stays', async () => {
    const { m, cookie } = w;
    const sent: Message[] = [];
    setTransport(async (msg) => void sent.push(msg));
    const until = dayEnd(addDays(dayOf(Date.now(), ZONE), 10), ZONE);
    const id = await grantedPost(until);
    const asked = await extend(id, { days: 90, scopes: ['partnership', 'paid'], feeMinor: 15_000, note: 'For the spring ads.' });
    expect(asked.status).toBe(201);
    const request = (await json<Data<Extension>>(asked)).data;
    // Only the uses the grant does not have are kept, and the brand reads them as what it adds.
    expect(request).toMatchObject({ status: 'open', creatorMailed: true, accepted: null, scopes: ['partnership'] });
    expect(await (await get(`/console/content/${id}`, cookie)).text()).toContain('90 more days, adds partnership ads, $150.00');
    // One open request at a time; the creator hears of it once, with the words and the link.
    const again = await extend(id, { noEnd: true });
    expect(again.status).toBe(409);
    expect((await json<ErrorBody>(again)).error.code).toBe('rights_extension_open');
    const mail = await waitFor(async () => sent.find((x) => x.to === m.email && x.subject.includes('asks to extend the usage rights')), 15_000);
    expect(mail.text).toContain(`/submissions/${id}#rights-extension`);
    expect(mail.text).toContain('pays you $150.00');
    expect(await (await get('/', m.cookie)).text()).toContain(`/submissions/${id}#rights-extension`);

    const { html, words, action } = await shown(id);
    expect(html).toContain('asks to extend your usage rights');
    expect(words).toContain(`may also run it as partnership (whitelisted) ads from your handle, beside the organic reposting and paid ads you granted. Your grant runs 90 days longer: through ${formatDate(dayEnd(addDays(dayOf(until - 1, ZONE), 90), ZONE) - 1, ZONE)}`);
    expect(words).toContain("'s note: For the spring ads.");
    // Words other than the request's as of now are shown again, never accepted.
    const stale = await post(action, { words: words.replace('90 days', '9 days') }, { cookie: m.cookie });
    expect(stale.status).toBe(409);
    expect((await grantOf(id))!.rights_extension_id).toBeNull();

    expect((await post(action, { words: words.replaceAll('\n', '\r\n') }, { cookie: m.cookie })).status).toBe(303);
    const extended = await grantOf(id);
    expect(extended).toMatchObject({ rights_until: dayEnd(addDays(dayOf(until - 1, ZONE), 90), ZONE), rights_extension_id: request.id });
    expect(JSON.parse(extended!.rights_terms)).toEqual(YEAR);
    expect(await fees(id)).toBe(1);
    const fee = await env.DB.prepare("SELECT amount_minor, currency, event_key FROM ledger_entries WHERE submission_id = ? AND kind = 'adjustment'").bind(id).first();
    expect(fee).toEqual({ amount_minor: 15_000, currency: 'USD', event_key: `rights_extension:${request.id}` });
    // Sent again (a double click, the Back button): the same answer, nothing paid twice; the other answer is refused.
    expect((await post(action, { words }, { cookie: m.cookie })).status).toBe(303);
    expect((await post(action.replace('/accept', '/decline'), { note: 'No.' }, { cookie: m.cookie })).status).toBe(409);
    expect(await fees(id)).toBe(1);
    expect(await (await get(`/submissions/${id}`, m.cookie)).text()).toContain('Extended ');
    // The review queue shows live content's terms in force, not the grant as first given.
    const queue = await (await get('/console/review?status=live', cookie)).text();
    expect(queue).toContain(`Organic reposting, paid ads and partnership ads, until ${formatDate(extended!.rights_until! - 1, ZONE)}`);

    const detail = (await json<Data<Detail>>(await m.brand.api('GET', `/api/admin/content/${id}`))).data;
    expect(detail.rights).toMatchObject({ terms: YEAR, scopes: ['organic', 'paid', 'partnership'], until: new Date(extended!.rights_until!).toISOString(), state: 'active' });
    expect(detail.rightsExtensions.map((x) => x.status)).toEqual(['accepted']);
    expect(detail.rightsExtensions[0]!.accepted?.terms).toBe(words);
    const listed = (await json<Data<Detail[]>>(await m.brand.api('GET', `/api/admin/content?campaignId=${m.campaign.id}`))).data.find((i) => i.submissionId === id);
    expect(listed?.rightsExtension?.status).toBe('accepted');
    expect(await (await get('/console/content', cookie)).text()).toContain('Extension accepted');
    const activity = await json<Data<{ action: string; target: { id: string } }[]>>(await m.brand.api('GET', '/api/admin/activity?area=campaigns'));
    expect(activity.data.filter((a) => a.target.id === id).map((a) => a.action)).toEqual(['submission.rights_extension_accepted', 'submission.rights_extension_asked']);
    // The library's CSV keeps how the terms came to be: each accepted extension, oldest first, on its day.
    await extendAccepted(id, { days: 30 });
    const today = dayOf(Date.now(), ZONE);
    const csv = await (await get(`/console/content/export.csv?campaign=${m.campaign.id}`, cookie)).text();
    expect(csv.split('\r\n')[0]).toMatch(/"rights_note","rights_extensions"$/);
    expect(csv).toContain(`"${today}: 90 more days, adds partnership ads, $150.00; ${today}: 30 more days, no fee"\r\n`);
  });

  it('the creator declines, the brand withdraws (a late answer is 409), and a bad request or another brand writes nothing', async () => {
    const { m, cookie, viewerCookie, other } = w;
    const id = await grantedPost(Date.now() - DAY);
    // Declined with a note: the grant stays as it was.
    expect((await extend(id, { noEnd: true, feeMinor: 0 })).status).toBe(201);
    const first = await shown(id);
    expect(first.words).toContain('Your grant no longer ends');
    expect((await post(first.action.replace('/accept', '/decline'), { note: 'Not for ads, sorry.' }, { cookie: m.cookie })).status).toBe(303);
    expect(await grantOf(id)).toMatchObject({ rights_extension_id: null, rights_until: expect.any(Number) });
    // Asked from the console (owners and managers), withdrawn there; the creator's answer after it changes nothing.
    const form = { days: '30', scopes: ['partnership'], fee: '25.50', note: 'Summer re-run.' };
    expect((await post(`/console/content/${id}/rights-extension`, form, { cookie: viewerCookie })).status).toBe(403);
    const badFee = await post(`/console/content/${id}/rights-extension`, { ...form, fee: '25.505' }, { cookie });
    expect(badFee.status).toBe(422);
    expect(await badFee.text()).toContain('The fee is a plain amount');
    expect((await post(`/console/content/${id}/rights-extension`, form, { cookie })).status).toBe(303);
    // The same form again (a double click) is the request it made.
    expect((await post(`/console/content/${id}/rights-extension`, form, { cookie })).status).toBe(303);
    const open = await shown(id);
    expect(open.words).toContain('it runs again from today for 30 days');
    expect(open.words).toContain('pays you $25.50');
    expect((await post(`/console/content/${id}/rights-extension/withdraw`, {}, { cookie })).status).toBe(303);
    const late = await post(open.action, { words: open.words }, { cookie: m.cookie });
    expect(late.status).toBe(409);
    expect(await late.text()).toContain('withdrew this request');
    // The emailed link lands on why there is nothing to answer.
    expect(await (await get(`/submissions/${id}`, m.cookie)).text()).toContain(`withdrew its request to extend your usage rights on ${formatDate(Date.now(), ZONE)}`);
    expect([await fees(id), (await grantOf(id))!.rights_extension_id]).toEqual([0, null]);
    const withdrawAgain = await m.brand.api('POST', `/api/admin/content/${id}/rights-extension/withdraw`);
    expect([withdrawAgain.status, (await json<ErrorBody>(withdrawAgain)).error.code]).toEqual([409, 'rights_extension_not_open']);
    const history = (await json<Data<Detail>>(await m.brand.api('GET', `/api/admin/content/${id}`))).data.rightsExtensions;
    expect(history.map((x) => x.status)).toEqual(['withdrawn', 'declined']);
    expect(history[1]!.declineNote).toBe('Not for ads, sorry.');
    expect(await (await get(`/console/content/${id}`, viewerCookie)).text()).toContain('Their note: Not for ads, sorry.');

    // Nothing written for a body that does not pass, another brand's content, or content with no grant.
    const before = [await requests(id), await rowCount('SELECT count(*) AS n FROM audit_log WHERE target_id = ?', id)];
    for (const bad of [{}, { days: 90, noEnd: true }, { days: 0 }, { days: 3651 }, { days: 1.5 }, { days: '90' }, { noEnd: false }, { days: 9, feeMinor: -1 }, { days: 9, feeMinor: 10_000_001 }, { days: 9, feeMinor: 1.5 }, { days: 9, scopes: ['tv'] }, { days: 9, scopes: ['paid', 'paid'] }, { days: 9, note: 'a\u202eb' }, { days: 9, forever: true }]) {
      const refused = await extend(id, bad);
      expect([refused.status, (await json<ErrorBody>(refused)).error.code], JSON.stringify(bad)).toEqual([422, 'validation_failed']);
    }
    for (const res of [await extend(id, { days: 9 }, other.brand), await other.brand.api('POST', `/api/admin/content/${id}/rights-extension/withdraw`), await other.brand.api('GET', `/api/admin/content/${id}`)]) expect(res.status).toBe(404);
    expect((await get(`/console/content/${id}`, await signIn((await adminUser(other.brand.brandId, 'manager')).email))).status).toBe(404);
    const none = await insertSubmission(m.brand.brandId, m.enrollment.id, 'live');
    const noGrant = await extend(none, { days: 9 });
    expect([noGrant.status, (await json<ErrorBody>(noGrant)).error.code]).toEqual([409, 'rights_not_granted']);
    // A grant without an end that has every use: nothing to ask, and the console offers no form.
    const everything = await insertSubmission(m.brand.brandId, m.enrollment.id, 'live');
    await env.DB.prepare('UPDATE submissions SET rights_terms = ?, rights_granted_at = ? WHERE id = ?').bind(rightsKey({ scopes: ['organic', 'paid', 'partnership'], days: null, note: '' }), Date.now(), everything).run();
    const nothing = await extend(everything, { noEnd: true, scopes: ['paid'] });
    expect([nothing.status, (await json<ErrorBody>(nothing)).error.code]).toEqual([409, 'nothing_to_extend']);
    const everythingPage = await (await get(`/console/content/${everything}`, cookie)).text();
    expect(everythingPage).toContain('no end date and every use');
    expect(everythingPage).not.toContain('Send the request to');
    expect([await requests(id), await rowCount('SELECT count(*) AS n FROM audit_log WHERE target_id = ?', id), await requests(none)]).toEqual([...before, 0]);

    // The brand corrects the request it withdrew: the replacement is mailed at once (the once-a-day limit counts only
    // requests still waiting for the creator), while one more made as it waits is not.
    const sent: Message[] = [];
    setTransport(async (msg) => void sent.push(msg));
    const replaced = (await json<Data<Extension>>(await extend(id, { days: 30, scopes: ['partnership'], feeMinor: 3_000 }))).data;
    expect(replaced.creatorMailed).toBe(true);
    await waitFor(async () => sent.find((x) => x.to === m.email && x.text.includes('pays you $30.00')), 15_000);
    const held = await extend(await grantedPost(Date.now() + 90 * DAY), { days: 30 });
    expect((await json<Data<Extension>>(held)).data.creatorMailed).toBe(false);
  });

  it('only the creator, in the campaign, answers: another is 404, one removed since the ask is 409 with nothing paid, one invited back is not asked', async () => {
    const { m, other } = w;
    const id = await grantedPost(Date.now() + 60 * DAY);
    const request = (await json<Data<Extension>>(await extend(id, { days: 30, feeMinor: 5_000 }))).data;
    const { words, action } = await shown(id);
    await expect(answerRightsExtension(env.DB, other.creator.id, id, request.id, { accept: true, words })).rejects.toMatchObject({ status: 404 });
    try {
      await enrollmentStatus('removed');
      expect((await post(action, { words }, { cookie: m.cookie })).status).toBe(409);
      expect([await fees(id), (await grantOf(id))!.rights_extension_id]).toEqual([0, null]);
      // Invited back after leaving: neither asked nor answering until they rejoin.
      await enrollmentStatus('invited');
      const reinvited = await extend(await grantedPost(Date.now() + 60 * DAY), { days: 30 });
      expect([reinvited.status, (await json<ErrorBody>(reinvited)).error.code]).toEqual([409, 'creator_not_accepted']);
      expect((await post(action, { words }, { cookie: m.cookie })).status).toBe(409);
      await expect(answerRightsExtension(env.DB, m.creator.id, id, request.id, { accept: true, words })).rejects.toMatchObject({ status: 409, code: 'creator_not_accepted' });
      expect(await fees(id)).toBe(0);
    } finally {
      await enrollmentStatus('active');
    }
    // Back in the campaign, accepted from two tabs in the same millisecond: one acceptance writes, the other nothing.
    vi.spyOn(Date, 'now').mockReturnValue(Date.now());
    const answers = await Promise.all([1, 2].map(() => answerRightsExtension(env.DB, m.creator.id, id, request.id, { accept: true, words })));
    vi.restoreAllMocks();
    expect(answers.map((a) => a.outcome).sort()).toEqual(['accepted', 'already']);
    expect([await fees(id), await rowCount("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'submission.rights_extension_accepted'", id)]).toEqual([1, 1]);
  });

  it('each request sends rights_extension.requested once, then one event for its answer or withdrawal; a refused one sends none', async () => {
    const { m } = w;
    const endpoint = (await json<Data<{ id: string }>>(await m.brand.api('POST', '/api/admin/webhooks/endpoints', { url: 'http://127.0.0.1:9/rights', events: RX_EVENTS }))).data.id;
    try {
      // Asked, asked again while open (409), accepted twice (the second is the same answer), then declined (409).
      const accepted = await grantedPost(Date.now() + 30 * DAY);
      const asked = (await json<Data<Extension & Record<string, unknown>>>(await extend(accepted, { days: 90, scopes: ['partnership'], feeMinor: 15_000, note: 'Spring ads.' }))).data;
      expect((await extend(accepted, { noEnd: true })).status).toBe(409);
      const { words, action } = await shown(accepted);
      for (let i = 0; i < 2; i++) expect((await post(action, { words }, { cookie: m.cookie })).status).toBe(303);
      expect((await post(action.replace('/accept', '/decline'), { note: 'No.' }, { cookie: m.cookie })).status).toBe(409);
      // Declined twice; withdrawn twice (409), then answered (409).
      const declined = await grantedPost(Date.now() + 30 * DAY);
      expect((await extend(declined, { noEnd: true })).status).toBe(201);
      const no = (await shown(declined)).action.replace('/accept', '/decline');
      for (let i = 0; i < 2; i++) expect((await post(no, { note: 'Not for ads.' }, { cookie: m.cookie })).status).toBe(303);
      const withdrawn = await grantedPost(Date.now() + 30 * DAY);
      expect((await extend(withdrawn, { days: 30 })).status).toBe(201);
      const late = await shown(withdrawn);
      for (const status of [200, 409]) expect((await m.brand.api('POST', `/api/admin/content/${withdrawn}/rights-extension/withdraw`)).status).toBe(status);
      expect((await post(late.action, { words: late.words }, { cookie: m.cookie })).status).toBe(409);

      const { results } = await env.DB.prepare("SELECT type, payload FROM webhook_events WHERE brand_id = ? AND type LIKE 'rights_extension.%' ORDER BY rowid").bind(m.brand.brandId).all<{ type: string; payload: string }>();
      const events = results.map((e) => ({ type: e.type, x: (JSON.parse(e.payload) as { rightsExtension: Record<string, unknown> }).rightsExtension }));
      expect(events.map((e) => [e.type, e.x.submissionId])).toEqual([
        ['rights_extension.requested', accepted],
        ['rights_extension.accepted', accepted],
        ['rights_extension.requested', declined],
        ['rights_extension.declined', declined],
        ['rights_extension.requested', withdrawn],
        ['rights_extension.withdrawn', withdrawn],
      ]);
      const [requested, yes, , nope, , gone] = events.map((e) => e.x);
      expect(requested).toEqual({
        id: asked.id,
        submissionId: accepted,
        enrollmentId: m.enrollment.id,
        campaignId: m.campaign.id,
        creator: { id: m.creator.id, handle: m.handle },
        status: 'open',
        days: 90,
        noEnd: false,
        scopes: ['partnership'],
        feeMinor: 15_000,
        currency: 'USD',
        note: 'Spring ads.',
        askedAt: asked.askedAt,
        answeredAt: null,
        declineNote: null,
        accepted: null,
      });
      // The answer as the API reads it afterwards, to the millisecond.
      const history = async (id: string) => (await json<Data<Detail>>(await m.brand.api('GET', `/api/admin/content/${id}`))).data.rightsExtensions[0] as unknown as Record<string, unknown>;
      const { creatorMailed: _, ...view } = await history(accepted);
      expect(yes).toMatchObject({ ...view, status: 'accepted', accepted: { terms: words, scopes: ['organic', 'paid', 'partnership'] } });
      expect(nope).toMatchObject({ status: 'declined', noEnd: true, days: null, declineNote: 'Not for ads.', answeredAt: (await history(declined)).answeredAt });
      expect(gone).toMatchObject({ status: 'withdrawn', days: 30, declineNote: null, accepted: null });
      expect(await rowCount('SELECT count(*) AS n FROM webhook_deliveries WHERE endpoint_id = ?', endpoint)).toBe(6);
    } finally {
      await env.DB.prepare('UPDATE webhook_endpoints SET enabled = 0 WHERE id = ?').bind(endpoint).run();
    }
  });

  it('gives endpoints that had every default event the rights_extension events (0064), and leaves chosen lists alone', async () => {
    const { m } = w;
    const ten = ['conversion.created', 'conversion.attributed', 'conversion.reversed', 'refund.failed', 'submission.submitted', 'submission.reviewed', 'payout.closed', 'gift.shipped', 'gift.received', 'gift.declined'];
    const rows = { all: [...ten].reverse(), more: [...ten, 'gift.requested'], some: ['conversion.created', 'gift.shipped'], done: [...ten, 'rights_extension.accepted'] };
    const insert = env.DB.prepare("INSERT INTO webhook_endpoints (id, brand_id, url, description, secret_enc, events, enabled, created_at, updated_at) VALUES (?, ?, ?, '', 'x', ?, 0, 1, 1)");
    await env.DB.batch(Object.entries(rows).map(([name, events]) => insert.bind(`whe_m65_${name}_${m.brand.brandId}`, m.brand.brandId, `http://127.0.0.1:9/${name}`, JSON.stringify(events))));
    // Its data statement, the last (the first add a column and an index), run twice.
    for (let i = 0; i < 2; i++) await env.DB.prepare(migration0064.split('--> statement-breakpoint').at(-1)!).run();
    const { results } = await env.DB.prepare("SELECT id, events FROM webhook_endpoints WHERE id LIKE 'whe_m65_%' AND brand_id = ?").bind(m.brand.brandId).all<{ id: string; events: string }>();
    expect(Object.fromEntries(results.map((r) => [r.id.split('_')[2], JSON.parse(r.events) as string[]]))).toEqual({ all: [...rows.all, ...RX_EVENTS], more: [...rows.more, ...RX_EVENTS], some: rows.some, done: rows.done });
    // A new endpoint gets them by default (and creator.erased and the decline events, added after them).
    const made = await json<Data<{ id: string; events: string[] }>>(await m.brand.api('POST', '/api/admin/webhooks/endpoints', { url: 'http://127.0.0.1:9/default' }));
    expect([...made.data.events].sort()).toEqual([...ten, ...RX_EVENTS, 'creator.erased', 'conversion.declined', 'conversion.reinstated'].sort());
    await env.DB.prepare('UPDATE webhook_endpoints SET enabled = 0 WHERE id = ?').bind(made.data.id).run();
  });

  it("a request the daily limit held back is mailed by the next day's run, a failed send by the run after it, never two in a day", async () => {
    const c = await createMoneyBrand({ timezone: ZONE });
    const email = `${c.handle}@creators.test`;
    const granted = async () => {
      const id = await insertSubmission(c.brand.brandId, c.enrollment.id, 'live');
      await env.DB.prepare('UPDATE submissions SET rights_terms = ?, rights_granted_at = ?, rights_until = ? WHERE id = ?').bind(rightsKey(YEAR), Date.now() - 300 * DAY, Date.now() + 30 * DAY, id).run();
      return id;
    };
    const ask = async (id: string) => (await json<Data<Extension>>(await extend(id, { days: 30 }, c.brand))).data;
    const sent: Message[] = [];
    setTransport(async (msg) => void (msg.to === email && sent.push(msg)));
    // Today: the first request is mailed; two more wait on the creator's home page.
    const [a, b, held] = [await granted(), await granted(), await granted()];
    expect((await ask(a)).creatorMailed).toBe(true);
    const [x, y] = [await ask(b), await ask(held)];
    expect([x.creatorMailed, y.creatorMailed]).toEqual([false, false]);
    await waitFor(async () => (sent.length > 0 ? true : null), 15_000);
    // One of them was claimed by a worker that died before sending it: its claim has lapsed.
    const t0 = Date.now();
    await env.DB.prepare('UPDATE rights_extensions SET mail_claimed_at = ? WHERE id = ?').bind(t0 - 2 * 3_600_000, y.id).run();
    const rows = () => env.DB.prepare('SELECT id, mailed_at, mail_claimed_at FROM rights_extensions WHERE id IN (?, ?) ORDER BY created_at').bind(x.id, y.id).all<{ id: string; mailed_at: number | null; mail_claimed_at: number | null }>().then((r) => r.results);
    // The run's mails, as handed to the queue; `down`: the queue and the provider both refuse them.
    const queued: Message[] = [];
    const run = (at: number, down = false) =>
      mailWaitingRightsExtensions(
        { ...env, PUBLIC_ORIGIN: 'https://chorus.example', MAIL: { sendBatch: async (batch: { body: { message: Message } }[]) => {
          if (down) throw new Error('queue down');
          queued.push(...batch.map((m) => m.body.message).filter((m) => m.to === email));
        } } } as unknown as Env,
        at,
      );
    // Later today: nothing, the first request's mail is within the day.
    await run(t0 + 3_600_000);
    expect(queued).toEqual([]);
    // Tomorrow, a run whose mail is refused everywhere: both stay unmailed, their claims given back.
    setTransport(async () => {
      throw new MailError('refused', 'provider refused');
    });
    await run(t0 + DAY + 60_000, true);
    expect(await rows()).toEqual([{ id: x.id, mailed_at: null, mail_claimed_at: null }, { id: y.id, mailed_at: null, mail_claimed_at: null }]);
    // The next run mails both in one mail, each with its words and its link, and records them mailed.
    const next = t0 + DAY + 16 * 60_000;
    await run(next);
    expect(queued).toHaveLength(1);
    expect(queued[0]!.subject).toContain('asks to extend the usage rights on 2 of your posts');
    for (const id of [b, held]) expect(queued[0]!.text).toContain(`https://chorus.example/submissions/${id}#rights-extension`);
    expect(queued[0]!.text).toContain('Your grant runs 30 days longer');
    expect(await rows()).toEqual([{ id: x.id, mailed_at: next, mail_claimed_at: null }, { id: y.id, mailed_at: next, mail_claimed_at: null }]);
    const api = (await json<Data<Detail>>(await c.brand.api('GET', `/api/admin/content/${b}`))).data.rightsExtension;
    expect(api?.creatorMailed).toBe(true);
    // A request asked now waits a day, and the runs that day mail nothing more.
    const later = await ask(await granted());
    expect(later.creatorMailed).toBe(false);
    await run(next + 3_600_000);
    expect(queued).toHaveLength(1);
  });

  it("a run whose mail to one creator is refused gives back only that creator's requests; one the provider may have taken counts as mailed", async () => {
    const [a, b] = [await createMoneyBrand({ timezone: ZONE }), await createMoneyBrand({ timezone: ZONE })];
    setTransport(async () => {});
    // Each brand's first request is mailed at once, its second held back by the daily limit.
    const held = async (c: typeof a) => {
      const ids: string[] = [];
      for (let i = 0; i < 2; i++) {
        const id = await insertSubmission(c.brand.brandId, c.enrollment.id, 'live');
        await env.DB.prepare('UPDATE submissions SET rights_terms = ?, rights_granted_at = ?, rights_until = ? WHERE id = ?').bind(rightsKey(YEAR), Date.now() - 300 * DAY, Date.now() + 30 * DAY, id).run();
        ids.push((await json<Data<Extension>>(await extend(id, { days: 30 }, c.brand))).data.id);
      }
      return ids[1]!;
    };
    const [fromA, fromB] = [await held(a), await held(b)];
    // Tomorrow the queue is down; the provider may have taken A's mail (no answer) and refuses B's.
    const refusedTo = `${b.handle}@creators.test`;
    setTransport(async (msg) => {
      if (msg.to === refusedTo) throw new MailError('refused', 'provider refused');
      if (msg.to === `${a.handle}@creators.test`) throw new MailError('unconfirmed', 'no answer');
    });
    const at = Date.now() + DAY + 60_000;
    const down = { ...env, MAIL: { sendBatch: async () => { throw new Error('queue down'); } } } as unknown as Env;
    await mailWaitingRightsExtensions(down, at);
    const row = (id: string) => env.DB.prepare('SELECT mailed_at, mail_claimed_at FROM rights_extensions WHERE id = ?').bind(id).first();
    expect([await row(fromA), await row(fromB)]).toEqual([{ mailed_at: at, mail_claimed_at: null }, { mailed_at: null, mail_claimed_at: null }]);
  });

  it("a creator's removal from the campaign withdraws their requests still waiting, with the withdrawn event", async () => {
    const c = await createMoneyBrand({ timezone: ZONE });
    await c.brand.api('POST', '/api/admin/webhooks/endpoints', { url: 'http://127.0.0.1:9/rights', events: RX_EVENTS });
    const id = await insertSubmission(c.brand.brandId, c.enrollment.id, 'live');
    await env.DB.prepare('UPDATE submissions SET rights_terms = ?, rights_granted_at = ?, rights_until = ? WHERE id = ?').bind(rightsKey(YEAR), Date.now() - 300 * DAY, Date.now() + 30 * DAY, id).run();
    const asked = (await json<Data<Extension>>(await extend(id, { days: 30 }, c.brand))).data;
    expect((await c.brand.api('PATCH', `/api/admin/enrollments/${c.enrollment.id}`, { status: 'removed' })).status).toBe(200);
    expect(await env.DB.prepare('SELECT status FROM rights_extensions WHERE id = ?').bind(asked.id).first('status')).toBe('withdrawn');
    const withdrawn = "SELECT count(*) AS n FROM webhook_events WHERE brand_id = ? AND type = 'rights_extension.withdrawn'";
    expect([await rowCount(withdrawn, c.brand.brandId), await rowCount("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'submission.rights_extension_withdrawn'", c.enrollment.id)]).toEqual([1, 1]);
  });

  it('going live for the first time after an accepted extension keeps the later end, and an extension to no end keeps none', async () => {
    const { m } = w;
    const dayEndIn = (days: number) => dayEnd(addDays(dayOf(Date.now(), ZONE), days), ZONE);
    const goLive = async (id: string) => expect((await m.brand.api('POST', `/api/admin/submissions/${id}/mark-live`, { postUrl: `https://social.example/p/${id}` })).status).toBe(200);
    // Approved: the extension ends after the restarted 365 days, and the restart after a short extension.
    const longer = await grantedPost(dayEndIn(300), 'approved');
    const shorter = await grantedPost(dayEndIn(5), 'approved');
    const forever = await grantedPost(dayEndIn(5), 'approved');
    await extendAccepted(longer, { days: 200 });
    await extendAccepted(shorter, { days: 10 });
    await extendAccepted(forever, { noEnd: true });
    const extended = (await grantOf(longer))!.rights_until;
    expect(extended).toBeGreaterThan(dayEndIn(365));
    for (const id of [longer, shorter, forever]) await goLive(id);
    expect([(await grantOf(longer))!.rights_until, (await grantOf(shorter))!.rights_until, (await grantOf(forever))!.rights_until]).toEqual([extended, dayEndIn(365), null]);
  });

  it("the daily review mail tells owners and managers how creators answered the brand's requests", async () => {
    const sent: Message[] = [];
    setTransport(async (msg) => void sent.push(msg));
    await env.DB.prepare('UPDATE admin_users SET review_digest_at = NULL WHERE brand_id = ?').bind(w.m.brand.brandId).run();
    const answered = (status: string) => rowCount('SELECT count(*) AS n FROM rights_extensions WHERE brand_id = ? AND status = ?', w.m.brand.brandId, status);
    const [accepted, declined] = [await answered('accepted'), await answered('declined')];
    expect(declined).toBeGreaterThan(0);
    await mailReviewDigests({ ...env, PUBLIC_ORIGIN: 'https://chorus.example' } as Env, Date.now());
    const digest = await waitFor(async () => sent.find((x) => x.text.includes('Creators answered')), 15_000);
    expect(digest.text).toContain(`Creators answered ${accepted + declined} of your requests to extend usage rights in the last day: ${accepted} accepted, ${declined} declined.\n\nSee them in the content library: https://chorus.example/console/content`);
  });

  it('the weekly report says how much content has rights ending within 30 days, linked to the library filtered to it', async () => {
    // The brand's next Monday morning, on its calendar: its report's time.
    let day = addDays(dayOf(Date.now(), ZONE), 1);
    while (new Date(`${day}T00:00:00Z`).getUTCDay() !== 1) day = addDays(day, 1);
    const at = dayStart(day, ZONE) + 9 * 3_600_000;
    // Content of this creator's (in the campaign) not asked about yet: one more whose request waits is not counted.
    const asked = await grantedPost(at + 10 * DAY);
    expect((await extend(asked, { days: 30 })).status).toBe(201);
    const ending = await rowCount(
      "SELECT count(*) AS n FROM submissions s WHERE brand_id = ? AND status IN ('approved', 'live') AND rights_terms IS NOT NULL AND rights_until > ? AND rights_until <= ? AND NOT EXISTS (SELECT 1 FROM rights_extensions x WHERE x.submission_id = s.id AND x.status = 'open')",
      w.m.brand.brandId,
      at,
      at + 30 * DAY,
    );
    expect(ending).toBeGreaterThan(0);
    const sent: Message[] = [];
    setTransport(async (msg) => void sent.push(msg));
    await env.DB.prepare('UPDATE admin_users SET weekly_report_week = NULL WHERE brand_id = ?').bind(w.m.brand.brandId).run();
    await mailWeeklyReports({ ...env, PUBLIC_ORIGIN: 'https://chorus.example' } as Env, at);
    const report = await waitFor(async () => sent.find((x) => x.subject.startsWith('Test Brand last week')), 15_000);
    expect(report.text).toContain(`Usage rights end within the next 30 days on ${ending} ${ending === 1 ? 'piece' : 'pieces'} of content you have not asked to extend yet. Ask the creators: https://chorus.example/console/content?rights=ending`);
  });
});
