// The creator portal's work: submissions, home, the brief, and campaigns before their launch and after their end.
import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { HOME_QUERIES } from '../../../worker/db/creator-portal';
import { BASE, json, rowCount, signedPost } from '../fixtures';
import { signedInCreator, portalTestDefaults } from '../portal-fixtures';
import { post, get } from '../forms';

portalTestDefaults();

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

describe('a creator leaving a campaign', () => {
  it('asks once on the brief, then stops their part, keeps their earnings, and comes back only as an invitation', async () => {
    const m = await signedInCreator();
    const brief = await (await get(`/brief/${m.enrollment.id}`, m.cookie)).text();
    expect(brief).toContain(`action="/brief/${m.enrollment.id}/leave"`);
    expect(brief).toContain('Leave Glow?');
    const statusOf = () => env.DB.prepare('SELECT status, removed_at FROM enrollments WHERE id = ?').bind(m.enrollment.id).first<{ status: string; removed_at: number | null }>();
    // Without the form's confirmation (a bare post), nothing changes.
    expect((await post(`/brief/${m.enrollment.id}/leave`, {}, { cookie: m.cookie })).headers.get('location')).toBe(`/brief/${m.enrollment.id}`);
    expect((await statusOf())!.status).toBe('active');
    // Another creator, or another site, cannot make them leave.
    const other = await signedInCreator();
    expect((await post(`/brief/${m.enrollment.id}/leave`, { confirm: '1' }, { cookie: other.cookie })).status).toBe(404);
    expect((await post(`/brief/${m.enrollment.id}/leave`, { confirm: '1' }, { cookie: m.cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect((await statusOf())!.status).toBe('active');

    const left = await post(`/brief/${m.enrollment.id}/leave`, { confirm: '1' }, { cookie: m.cookie });
    expect(left.headers.get('location')).toBe('/?left=1');
    expect((await statusOf())!.status).toBe('removed');
    const home = await (await get('/?left=1', m.cookie)).text();
    expect(home).toContain('You left the campaign.');
    expect(home).toMatch(/<strong>Glow<\/strong> with Test Brand: you left it on [A-Z][a-z]{2} \d{1,2}, \d{4}\./);
    expect((await get(`/brief/${m.enrollment.id}`, m.cookie)).status).toBe(404);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'enrollment.left' AND actor_type = 'creator' AND target_id = ?", m.brand.brandId, m.enrollment.id)).toBe(1);
    // Pressed again (a second tab): nothing more.
    expect((await post(`/brief/${m.enrollment.id}/leave`, { confirm: '1' }, { cookie: m.cookie })).status).toBe(404);
    // The brand restores them, to any status: an invitation they answer, not a campaign running behind their back.
    expect((await m.brand.api('PATCH', `/api/admin/enrollments/${m.enrollment.id}`, { status: 'benched' })).status).toBe(200);
    expect((await statusOf())!.status).toBe('invited');
    // Accepting another campaign of the brand does not answer this one; declining it leaves just this one.
    const campaign2 = await json<{ data: { id: string } }>(
      await m.brand.api('POST', '/api/admin/campaigns', { name: 'Second', slug: `second-${Date.now()}`, hashtag: '#Second', defaultDestination: 'https://shop.example/second', commissionPlanId: m.plan.id }),
    );
    const second = await json<{ data: { id: string } }>(await m.brand.api('POST', '/api/admin/enrollments', { campaignId: campaign2.data.id, creatorId: m.creator.id, paymentModel: 'affiliate', flatFeeMinor: 0, status: 'invited' }));
    const secondStatus = () => env.DB.prepare('SELECT status FROM enrollments WHERE id = ?').bind(second.data.id).first('status');
    if ((await secondStatus()) === 'invited') expect((await post(`/invitations/${second.data.id}/accept`, {}, { cookie: m.cookie })).status).toBe(303);
    expect(await secondStatus()).toBe('active');
    expect((await statusOf())!.status).toBe('invited');
    expect(await (await get('/', m.cookie)).text()).toContain('Decline Glow?');
    expect((await post(`/invitations/${m.enrollment.id}/decline`, { confirm: '1' }, { cookie: m.cookie })).headers.get('location')).toBe('/?declined=campaign');
    expect((await statusOf())!.status).toBe('removed');
    expect(await secondStatus()).toBe('active');
    expect(await (await get('/?declined=campaign', m.cookie)).text()).toMatch(/<strong>Glow<\/strong> with Test Brand: you declined it on /);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'enrollment.declined' AND target_id = ?", m.brand.brandId, m.enrollment.id)).toBe(1);
    // Back again: the brand cannot pause it into working before the creator answers.
    expect((await m.brand.api('PATCH', `/api/admin/enrollments/${m.enrollment.id}`, { status: 'active' })).status).toBe(200);
    expect((await statusOf())!.status).toBe('invited');
    expect((await m.brand.api('PATCH', `/api/admin/enrollments/${m.enrollment.id}`, { status: 'paused' })).status).toBe(422);
    // Accepting it counts its quiet days from the answer.
    expect((await post(`/invitations/${m.enrollment.id}/accept`, {}, { cookie: m.cookie })).status).toBe(303);
    const back = await env.DB.prepare('SELECT status, active_since FROM enrollments WHERE id = ?').bind(m.enrollment.id).first<{ status: string; active_since: number }>();
    expect(back!.status).toBe('active');
    expect(back!.active_since).toBeGreaterThan(Date.now() - 60_000);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'enrollment.accepted' AND target_id = ?", m.brand.brandId, m.enrollment.id)).toBe(1);
    // One the brand removed itself comes back active, as before.
    expect((await other.brand.api('PATCH', `/api/admin/enrollments/${other.enrollment.id}`, { status: 'removed' })).status).toBe(200);
    expect((await other.brand.api('PATCH', `/api/admin/enrollments/${other.enrollment.id}`, { status: 'active' })).status).toBe(200);
    expect(await env.DB.prepare('SELECT status FROM enrollments WHERE id = ?').bind(other.enrollment.id).first('status')).toBe('active');
  });
});

describe('a creator invited back to a campaign', () => {
  it('takes no live post, flat fee or revised draft from their old drafts until they accept', async () => {
    const m = await signedInCreator({ paymentModel: 'flat' });
    const sendDraft = async (caption: string) => (await post('/submissions', { enrollmentId: m.enrollment.id, storyFormat: 'day_in_the_life', draftUrl: 'https://drive.example/draft', caption }, { cookie: m.cookie })).headers.get('location')!.split('/')[2]!.split('?')[0]!;
    const approved = await sendDraft('Morning #Glow #ad');
    const revise = await sendDraft('Evening #Glow #ad');
    expect((await m.brand.api('POST', `/api/admin/submissions/${approved}/approve`, {})).status).toBe(200);
    expect((await m.brand.api('POST', `/api/admin/submissions/${revise}/request-changes`, { note: 'Shorter, please.' })).status).toBe(200);
    expect((await post(`/brief/${m.enrollment.id}/leave`, { confirm: '1' }, { cookie: m.cookie })).status).toBe(303);
    expect((await m.brand.api('PATCH', `/api/admin/enrollments/${m.enrollment.id}`, { status: 'active' })).status).toBe(200);
    expect(await env.DB.prepare('SELECT status FROM enrollments WHERE id = ?').bind(m.enrollment.id).first('status')).toBe('invited');

    const page = await (await get(`/submissions/${approved}`, m.cookie)).text();
    expect(page).toContain('Test Brand invited you back');
    expect(page).not.toContain(`action="/submissions/${approved}/live"`);
    const live = await post(`/submissions/${approved}/live`, { postUrl: 'https://www.instagram.com/p/before-accepting' }, { cookie: m.cookie });
    expect(live.status).toBe(409);
    expect(await live.text()).toContain('invitation to Glow on your home page first');
    expect(await rowCount("SELECT count(*) AS n FROM ledger_entries WHERE enrollment_id = ? AND kind = 'flat_fee'", m.enrollment.id)).toBe(0);

    expect(await (await get(`/submissions/${revise}`, m.cookie)).text()).not.toContain(`/submissions/${revise}/edit`);
    expect((await get(`/submissions/${revise}/edit`, m.cookie)).headers.get('location')).toBe(`/submissions/${revise}`);
    const resubmit = await post(`/submissions/${revise}/resubmit`, { enrollmentId: m.enrollment.id, storyFormat: 'day_in_the_life', draftUrl: 'https://drive.example/v2', caption: 'Short #Glow #ad' }, { cookie: m.cookie });
    expect(resubmit.status).toBe(409);
    expect(await rowCount("SELECT count(*) AS n FROM submissions WHERE id IN (?, ?) AND status IN ('approved', 'changes_requested') AND draft_url = 'https://drive.example/draft'", approved, revise)).toBe(2);

    // Accepted: both go on as before.
    expect((await post(`/invitations/${m.enrollment.id}/accept`, {}, { cookie: m.cookie })).status).toBe(303);
    expect((await post(`/submissions/${approved}/live`, { postUrl: 'https://www.instagram.com/p/after-accepting' }, { cookie: m.cookie })).status).toBe(303);
    expect(await rowCount("SELECT count(*) AS n FROM ledger_entries WHERE enrollment_id = ? AND kind = 'flat_fee'", m.enrollment.id)).toBe(1);
    expect((await post(`/submissions/${revise}/resubmit`, { enrollmentId: m.enrollment.id, storyFormat: 'day_in_the_life', draftUrl: 'https://drive.example/v2', caption: 'Short #Glow #ad' }, { cookie: m.cookie })).status).toBe(303);
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

  it('show an ended card on home, without link, code, tier climb or Submit a draft, and never swap in another campaign for drafts', async () => {
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
    expect(ended).not.toContain('Submit a draft');
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
