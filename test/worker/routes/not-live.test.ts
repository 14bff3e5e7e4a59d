// A live post the brand cannot find: the creator named a link that is not the post (or took it down). A fee
// the creator earned by marking a post live waits out the campaign's holding period; the brand marks the post
// not live (console or API) with a note, which takes the fee back (paid or not, never editing a paid entry),
// sends the submission back to approved for the right link, and tells the creator. One fee per going live.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { decisionNotice } from '../../../worker/db/submissions';
import { DAY_MS } from '../../../worker/domain/periods';
import { logTransport, setTransport, type Message } from '../../../worker/lib/messages';
import { adminUser, signIn } from '../console-fixtures';
import { json, rowCount, waitFor } from '../fixtures';
import { get, post } from '../forms';
import { portalTestDefaults, signedInCreator } from '../portal-fixtures';

portalTestDefaults();

const FEE = 25_000;
const stat = (value: string, label: string) => `<div class="stat-value">${value}</div><div class="stat-label">${label}</div>`;

// A flat-fee creator, signed in, with an approved draft; the brand's manager signed in to the console.
async function approvedDraft() {
  const m = await signedInCreator({ paymentModel: 'flat' });
  await env.DB.prepare('UPDATE enrollments SET flat_fee_minor = ? WHERE id = ?').bind(FEE, m.enrollment.id).run();
  const res = await post('/submissions', { enrollmentId: m.enrollment.id, storyFormat: 'day_in_the_life', draftUrl: 'https://drive.example/draft', caption: 'Morning routine #Glow #ad' }, { cookie: m.cookie });
  const id = res.headers.get('location')!.split('/')[2]!.split('?')[0]!;
  expect((await m.brand.api('POST', `/api/admin/submissions/${id}/approve`, {})).status).toBe(200);
  const manager = await signIn((await adminUser(m.brand.brandId, 'manager')).email);
  const fees = () =>
    env.DB.prepare("SELECT amount_minor, available_at, period, payout_id, event_key FROM ledger_entries WHERE submission_id = ? AND kind = 'flat_fee' ORDER BY rowid")
      .bind(id)
      .all<{ amount_minor: number; available_at: number; period: string; payout_id: string | null; event_key: string }>()
      .then((r) => r.results);
  const row = () => env.DB.prepare('SELECT status, post_url, review_notes FROM submissions WHERE id = ?').bind(id).first<{ status: string; post_url: string | null; review_notes: string | null }>();
  return { ...m, id, manager, fees, row };
}

describe('a post the brand cannot find', () => {
  it("holds the fee of a post the creator marked live for the holding period, and pays one the brand marked at once", async () => {
    const m = await approvedDraft();
    const before = Date.now();
    expect((await post(`/submissions/${m.id}/live`, { postUrl: 'https://www.instagram.com/p/mine' }, { cookie: m.cookie })).status).toBe(303);
    const [held] = await m.fees();
    // createMoneyBrand's campaign holds for 30 days.
    expect(held!.available_at).toBeGreaterThanOrEqual(before + 30 * DAY_MS);
    expect(held!.available_at).toBeLessThanOrEqual(Date.now() + 30 * DAY_MS);
    // The creator's home says it is waiting, not payable.
    const home = await (await get('/', m.cookie)).text();
    expect(home).toMatch(/\$250\.00<\/strong> in fees earned \(1 post live\)/);
    expect(home).toContain(stat('$250.00', 'Pending'));
    expect(home).toContain(stat('$0.00', 'Payable'));
    // Taken back while it is still held: nothing is due now, nothing is taken from other earnings.
    expect((await m.brand.api('POST', `/api/admin/submissions/${m.id}/mark-not-live`, { note: 'Wrong link.' })).status).toBe(200);
    const [, back] = await m.fees();
    expect(back).toMatchObject({ amount_minor: -FEE, available_at: held!.available_at, period: held!.period });
    const after = await (await get('/', m.cookie)).text();
    expect(after).toContain(stat('$0.00', 'Pending'));
    expect(after).toContain(stat('$0.00', 'Payable'));

    const b = await approvedDraft();
    expect((await b.brand.api('POST', `/api/admin/submissions/${b.id}/mark-live`, { postUrl: 'https://www.instagram.com/p/seen' })).status).toBe(200);
    const [paid] = await b.fees();
    expect(paid!.available_at).toBeLessThanOrEqual(Date.now());
  });

  it('takes the fee back from the console with a note, sends the draft back for the right link, mails the creator, and pays again when it goes live', async () => {
    const m = await approvedDraft();
    const sent: Message[] = [];
    setTransport(async (msg) => void sent.push(msg));
    expect((await post(`/submissions/${m.id}/live`, { postUrl: 'https://example.com/not-a-real-post' }, { cookie: m.cookie })).status).toBe(303);
    const page = await (await get('/console/review?status=live', m.manager)).text();
    expect(page).toContain(`action="/console/review/${m.id}/not-live"`);
    expect(page).toContain('Reported numbers:');

    // A note is required, and nothing moves without one.
    expect((await post(`/console/review/${m.id}/not-live`, { note: '  ' }, { cookie: m.manager })).status).toBe(422);
    expect((await m.row())!.status).toBe('live');
    const res = await post(`/console/review/${m.id}/not-live`, { note: 'That link opens a different site.', back: '/console/review?status=live' }, { cookie: m.manager });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/review?status=live&flash=not_live');
    expect(await m.row()).toEqual({ status: 'approved', post_url: null, review_notes: 'That link opens a different site.' });
    const [fee, back] = await m.fees();
    expect([fee!.amount_minor, back!.amount_minor]).toEqual([FEE, -FEE]);
    // Unpaid: taken back in the fee's own period and from its own date, so the two meet in one payout.
    expect([back!.period, back!.available_at]).toEqual([fee!.period, fee!.available_at]);
    expect(back!.event_key).toMatch(/^flat_fee_back:le_/);
    // Asked twice (a double submit): the second is a 409 and takes nothing more back.
    expect((await post(`/console/review/${m.id}/not-live`, { note: 'Again.' }, { cookie: m.manager })).status).toBe(409);
    expect(await m.fees()).toHaveLength(2);

    const subject = 'Test Brand could not find your live Glow post';
    const mail = await waitFor(async () => sent.find((s) => s.to === m.email && s.subject === subject), 15_000);
    setTransport(logTransport);
    expect(mail.text).toContain(`/submissions/${m.id}`);
    expect(mail.text).toContain('That link opens a different site.');

    // The creator sees the note and the form for the live link again; their home counts no post live.
    const own = await (await get(`/submissions/${m.id}`, m.cookie)).text();
    expect(own).toContain('That link opens a different site.');
    expect(own).toContain(`action="/submissions/${m.id}/live"`);
    expect(await (await get('/', m.cookie)).text()).toMatch(/\$0\.00<\/strong> in fees earned \(0 posts live\)/);
    const earnings = await (await get('/earnings', m.cookie)).text();
    expect(earnings).toContain('Flat fee taken back (post not live)');

    // The right link: a new fee, under its own key, held again.
    expect((await post(`/submissions/${m.id}/live`, { postUrl: 'https://www.instagram.com/p/the-real-one' }, { cookie: m.cookie })).status).toBe(303);
    const all = await m.fees();
    expect(all.map((f) => f.amount_minor)).toEqual([FEE, -FEE, FEE]);
    expect(all[2]!.event_key).toBe(`flat_fee:${m.id}:1`);
    expect(await rowCount('SELECT SUM(amount_minor) AS n FROM ledger_entries WHERE submission_id = ?', m.id)).toBe(FEE);
  });

  it('lands one fee when the same going live is posted twice at once, and one take-back when not-live is', async () => {
    const m = await approvedDraft();
    const lives = await Promise.all([1, 2].map(() => m.brand.api('POST', `/api/admin/submissions/${m.id}/mark-live`, { postUrl: 'https://www.instagram.com/p/twice' })));
    expect(lives.map((r) => r.status).sort()).toEqual([200, 409]);
    const nots = await Promise.all([1, 2].map(() => m.brand.api('POST', `/api/admin/submissions/${m.id}/mark-not-live`, { note: 'Taken down.' })));
    expect(nots.map((r) => r.status).sort()).toEqual([200, 409]);
    expect((await m.fees()).map((f) => f.amount_minor)).toEqual([FEE, -FEE]);
    // Live again, with the same post: one more fee, then taken back once more.
    expect((await m.brand.api('POST', `/api/admin/submissions/${m.id}/mark-live`, { postUrl: 'https://www.instagram.com/p/twice' })).status).toBe(200);
    expect((await m.brand.api('POST', `/api/admin/submissions/${m.id}/mark-not-live`, { note: 'Down again.' })).status).toBe(200);
    expect((await m.fees()).map((f) => [f.amount_minor, f.event_key.replace(/le_[\w-]+/, 'le')])).toEqual([
      [FEE, `flat_fee:${m.id}`],
      [-FEE, 'flat_fee_back:le'],
      [FEE, `flat_fee:${m.id}:1`],
      [-FEE, 'flat_fee_back:le'],
    ]);
  });

  it("nets an unpaid fee and its take-back in one payout, even when the month closes after the take-back", async () => {
    const m = await approvedDraft();
    expect((await m.brand.api('POST', `/api/admin/submissions/${m.id}/mark-live`, { postUrl: 'https://www.instagram.com/p/october' })).status).toBe(200);
    // The fee as October's, a month ago; the post found not live today, before October is closed.
    await env.DB.prepare("UPDATE ledger_entries SET period = '2026-10', available_at = ? WHERE submission_id = ?").bind(Date.parse('2026-10-20T12:00:00Z'), m.id).run();
    expect((await m.brand.api('POST', `/api/admin/submissions/${m.id}/mark-not-live`, { note: 'Deleted.' })).status).toBe(200);
    expect((await m.brand.api('POST', '/api/admin/payouts/close', { period: '2026-10' })).ok).toBe(true);
    const entries = await m.fees();
    expect(entries.map((e) => e.period)).toEqual(['2026-10', '2026-10']);
    // Both in the same payout (or, netting to nothing, in none); never the fee paid and its take-back left for later.
    expect(new Set(entries.map((e) => e.payout_id)).size).toBe(1);
    expect(await rowCount("SELECT COALESCE(SUM(amount_minor), 0) AS n FROM payouts WHERE brand_id = ? AND period = '2026-10'", m.brand.brandId)).toBe(0);
  });

  it('takes a paid fee back as a new negative entry in the current period, leaving the paid one as it was', async () => {
    const m = await approvedDraft();
    expect((await m.brand.api('POST', `/api/admin/submissions/${m.id}/mark-live`, { postUrl: 'https://www.instagram.com/p/paid' })).status).toBe(200);
    // Paid in an earlier month's payout.
    const [fee] = await m.fees();
    await env.DB.batch([
      env.DB.prepare("INSERT INTO payouts (id, brand_id, creator_id, period, currency, amount_minor, status, created_at) VALUES ('po_nl_' || ?1, ?2, ?3, '2026-10', 'USD', ?4, 'paid', ?5)").bind(m.id, m.brand.brandId, m.creator.id, FEE, Date.now()),
      env.DB.prepare("UPDATE ledger_entries SET payout_id = 'po_nl_' || ?1, period = '2026-10' WHERE submission_id = ?1 AND kind = 'flat_fee'").bind(m.id),
    ]);
    const res = await m.brand.api('POST', `/api/admin/submissions/${m.id}/mark-not-live`, { note: 'The post was deleted.' });
    expect(res.status).toBe(200);
    expect((await json<{ data: { status: string; postUrl: string | null; reviewNotes: string } }>(res)).data).toMatchObject({ status: 'approved', postUrl: null, reviewNotes: 'The post was deleted.' });
    const [paid, back] = await m.fees();
    expect(paid).toMatchObject({ amount_minor: FEE, period: '2026-10', payout_id: `po_nl_${m.id}`, event_key: fee!.event_key });
    expect(back).toMatchObject({ amount_minor: -FEE, payout_id: null });
    expect(back!.period).toBe(new Date().toISOString().slice(0, 7));
  });

  it('refuses a missing note, a post that is not live, another brand, a viewer and another site, writing nothing', async () => {
    const m = await approvedDraft();
    const other = await approvedDraft();
    const api = (body: unknown, id = m.id, brand = m.brand) => brand.api('POST', `/api/admin/submissions/${id}/mark-not-live`, body);
    expect((await api({ note: 'Not live.' })).status).toBe(409); // approved, not live
    expect((await m.brand.api('POST', `/api/admin/submissions/${m.id}/mark-live`, { postUrl: 'https://www.instagram.com/p/x' })).status).toBe(200);
    for (const body of [{}, { note: '' }, { note: 7 }, { note: 'x'.repeat(2001) }, { note: 'ok', extra: 1 }]) expect((await api(body)).status).toBe(422);
    expect((await api({ note: 'Not yours.' }, m.id, other.brand)).status).toBe(404);
    const viewer = await signIn((await adminUser(m.brand.brandId, 'viewer')).email);
    expect((await post(`/console/review/${m.id}/not-live`, { note: 'Viewer.' }, { cookie: viewer })).status).toBe(403);
    expect((await post(`/console/review/${m.id}/not-live`, { note: 'Other site.' }, { cookie: m.manager, origin: 'https://evil.example' })).status).toBe(403);
    expect((await post(`/console/review/${m.id}/not-live`, { note: 'Other brand.' }, { cookie: other.manager })).status).toBe(404);
    expect((await m.row())!.status).toBe('live');
    expect(await m.fees()).toHaveLength(1);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'submission.not_live'", m.id)).toBe(0);
    expect(await rowCount("SELECT count(*) AS n FROM submission_events WHERE submission_id = ? AND to_status = 'approved' AND from_status = 'live'", m.id)).toBe(0);
  });

  it('is audited and shown in the activity log, and sends no webhook event (it is not a review decision)', async () => {
    const m = await approvedDraft();
    expect((await m.brand.api('POST', `/api/admin/submissions/${m.id}/mark-live`, { postUrl: 'https://www.instagram.com/p/audited' })).status).toBe(200);
    const events = () => rowCount('SELECT count(*) AS n FROM webhook_events WHERE brand_id = ?', m.brand.brandId);
    const before = await events();
    expect((await post(`/console/review/${m.id}/not-live`, { note: 'Not there.' }, { cookie: m.manager })).status).toBe(303);
    expect(await events()).toBe(before);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'submission.not_live' AND actor_type = 'admin_user'", m.id)).toBe(1);
    const activity = await (await get('/console/activity', m.manager)).text();
    expect(activity).toContain('Post marked not live');
    expect(activity).toContain('Post marked live');
  });

  it("tells a creator who can no longer add the link (campaign ended, or removed) that the fee stays taken back", () => {
    const s = { id: 'sub_x', enrollment_id: 'enr_x', creator_email: 'c@creators.test', brand_name: 'Lumen', campaign_name: 'Glow', campaign_status: 'active', campaign_ends_at: null, enrollment_status: 'active' };
    expect(decisionNotice(s, 'not_live', 'Wrong link.', 'https://chorus.test')!.text).toContain('Add the live post\'s link here: https://chorus.test/submissions/sub_x');
    for (const closed of [{ ...s, campaign_status: 'ended' }, { ...s, campaign_ends_at: Date.now() - DAY_MS }, { ...s, enrollment_status: 'removed' }]) {
      const text = decisionNotice(closed, 'not_live', 'Wrong link.', 'https://chorus.test')!.text;
      expect(text).toContain('stays taken back');
      expect(text).not.toContain('/submissions/sub_x');
      expect(text).toContain('Wrong link.');
    }
  });
});
