// Campaign updates: a brand's news to everyone in a campaign, posted from the console's Updates tab or the admin
// API, mailed to each creator who accepted the brand and is in the campaign, and shown on their brief.
import { env } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DAY_MS } from '../../../worker/domain/periods';
import { newId } from '../../../worker/lib/ids';
import { logTransport, setTransport, type Message } from '../../../worker/lib/messages';
import { adminUser, consoleBrand, get, post, signIn, type Fields } from '../console-fixtures';
import { addAcceptedCreator, createMoneyBrand, json, rowCount, waitFor, type Data, type TestBrand } from '../fixtures';
import { portalTestDefaults, signedInCreator } from '../portal-fixtures';

portalTestDefaults();

type Update = { id: string; campaignId: string; title: string; body: string; author: { type: string; id: string; name: string | null }; mailed: number; createdAt: string };
type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown> } };

const updatesOf = (campaignId: string) => rowCount('SELECT count(*) AS n FROM campaign_updates WHERE campaign_id = ?', campaignId);
const pageOf = (campaignId: string) => `/console/campaigns/${campaignId}/updates`;
// The form as the page draws it: its hidden key, and what is typed.
const formKey = (html: string) => /name="key" value="([^"]+)"/.exec(html)?.[1] ?? '';
async function typed(cookie: string, campaignId: string, fields: Fields): Promise<Fields> {
  return { key: formKey(await (await get(pageOf(campaignId), cookie)).text()), ...fields };
}

// Mail sent to a test's own brand's creators while `work` runs and the mail queue drains (the queue may still
// carry other tests' mail): waits until `expected` arrive, then a moment for strays.
async function mailsDuring(brandName: string, work: () => Promise<void>, expected: number): Promise<Message[]> {
  const sent: Message[] = [];
  setTransport(async (msg) => void (msg.subject.startsWith(`${brandName}: `) && sent.push(msg)));
  try {
    await work();
    if (expected > 0) await waitFor(async () => (sent.length >= expected ? true : null), 15_000);
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    setTransport(logTransport);
  }
  return sent;
}

// Each test's brand under a name of its own, so its mail is told from other tests'.
async function named<T extends { brand: TestBrand }>(m: T): Promise<T & { brandName: string }> {
  const brandName = `Brand ${m.brand.slug}`;
  await env.DB.prepare('UPDATE brands SET name = ? WHERE id = ?').bind(brandName, m.brand.brandId).run();
  return { ...m, brandName };
}

// One more creator on the brand's roster and in `campaignId`: accepted the brand or not, at an enrollment status.
async function enroll(brand: TestBrand, campaignId: string, handle: string, opts: { accepted: boolean; status: 'active' | 'paused' | 'benched' | 'invited' | 'removed' }) {
  const body = { email: `${handle}@creators.test`, handle, displayName: handle };
  const creator = opts.accepted ? await addAcceptedCreator(brand, body) : await json<Data<{ id: string }>>(await brand.api('POST', '/api/admin/creators', body));
  const enrollment = await json<Data<{ id: string }>>(await brand.api('POST', '/api/admin/enrollments', { campaignId, creatorId: creator.data.id, paymentModel: 'affiliate', status: opts.accepted && opts.status !== 'invited' ? 'active' : 'invited' }));
  if (opts.status !== 'active' && opts.status !== 'invited') expect((await brand.api('PATCH', `/api/admin/enrollments/${enrollment.data.id}`, { status: opts.status })).status).toBe(200);
  return { creatorId: creator.data.id, enrollmentId: enrollment.data.id, email: body.email };
}

afterEach(() => vi.restoreAllMocks());

describe('console: posting an update', () => {
  it('posts as an owner, mails each creator their own copy after the response, lists it and audits it', async () => {
    const o = await named(await consoleBrand('owner'));
    const page = pageOf(o.campaign.id);
    const blank = await (await get(page, o.cookie)).text();
    expect(blank).toContain('Post an update');
    expect(blank).toContain('Post and email 1 creator');
    expect(blank).toContain('3 of 3 left in any 24 hours');
    let res!: Response;
    const sent = await mailsDuring(o.brandName, async () => {
      res = await post(page, await typed(o.cookie, o.campaign.id, { title: 'New shade launches Friday', body: 'Post between Fri and Sun.\r\nThe code works on bundles now.' }), { cookie: o.cookie });
    }, 1);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`${page}?flash=posted&n=1`);
    const row = await env.DB.prepare('SELECT title, body, author_type, author_id, mailed, brand_id FROM campaign_updates WHERE campaign_id = ?').bind(o.campaign.id).first();
    expect(row).toEqual({ title: 'New shade launches Friday', body: 'Post between Fri and Sun.\nThe code works on bundles now.', author_type: 'admin_user', author_id: o.user.id, mailed: 1, brand_id: o.brand.brandId });
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'campaign.update_posted' AND target_id = ? AND actor_id = ?", o.brand.brandId, o.campaign.id, o.user.id)).toBe(1);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.to).toBe(`${o.handle}@creators.test`);
    expect(sent[0]!.subject).toBe(`${o.brandName}: New shade launches Friday`);
    expect(sent[0]!.text).toContain('Post between Fri and Sun.\nThe code works on bundles now.');
    expect(sent[0]!.text).toContain(`/brief/${o.enrollment.id}`);
    expect(sent[0]!.text).toContain(`You get this because you are in ${o.brandName}'s Glow campaign`);
    const after = await (await get(`${page}?flash=posted&n=1`, o.cookie)).text();
    expect(after).toContain('Posted, and 1 creator who accepted your brand is being emailed.');
    expect(after).toContain('New shade launches Friday');
    expect(after).toContain('mail sent to 1 creator');
    expect(after).toContain('Owner Person');
    expect(after).toContain('2 of 3 left in any 24 hours');
    // In the activity log as a sentence, and in the brief page's preview of what creators see.
    expect(await (await get('/console/activity', o.cookie)).text()).toContain('“New shade launches Friday”, mail sent to 1 creator');
    expect(await (await get(`/console/campaigns/${o.campaign.id}`, o.cookie)).text()).toContain(`Updates from ${o.brandName}`);
  });

  it('shows a viewer the updates without the form and refuses their post, writing nothing', async () => {
    const o = await consoleBrand('owner');
    const key = formKey(await (await get(pageOf(o.campaign.id), o.cookie)).text());
    expect((await post(pageOf(o.campaign.id), { key, title: 'Shipped', body: 'Boxes left today.' }, { cookie: o.cookie })).status).toBe(303);
    const viewer = await adminUser(o.brand.brandId, 'viewer');
    const cookie = await signIn(viewer.email);
    const html = await (await get(pageOf(o.campaign.id), cookie)).text();
    expect(html).toContain('Shipped');
    expect(html).not.toContain('name="title"');
    expect(html).not.toContain('Post an update');
    const refused = await post(pageOf(o.campaign.id), { key: 'k'.repeat(22), title: 'Viewer news', body: 'Not allowed.' }, { cookie });
    expect(refused.status).toBe(403);
    expect(await updatesOf(o.campaign.id)).toBe(1);
    // A manager may post.
    const manager = await signIn((await adminUser(o.brand.brandId, 'manager')).email);
    expect((await post(pageOf(o.campaign.id), await typed(manager, o.campaign.id, { title: 'Manager news', body: 'Allowed.' }), { cookie: manager })).status).toBe(303);
    expect(await updatesOf(o.campaign.id)).toBe(2);
  });

  it('refuses a post from another site (Origin) and another brand’s campaign, writing nothing', async () => {
    const o = await consoleBrand('owner');
    const fields = await typed(o.cookie, o.campaign.id, { title: 'Cross-site', body: 'Posted by a page elsewhere.' });
    expect((await post(pageOf(o.campaign.id), fields, { cookie: o.cookie, origin: 'https://evil.example' })).status).toBe(403);
    // No Origin and no Sec-Fetch-Site: not shown to be our own page either.
    expect((await post(pageOf(o.campaign.id), fields, { cookie: o.cookie, origin: null })).status).toBe(403);
    const other = await createMoneyBrand();
    expect((await post(pageOf(other.campaign.id), fields, { cookie: o.cookie })).status).toBe(404);
    expect((await get(pageOf(other.campaign.id), o.cookie)).status).toBe(404);
    expect(await updatesOf(o.campaign.id)).toBe(0);
    expect(await updatesOf(other.campaign.id)).toBe(0);
  });

  it('answers 422 with what was typed and why, writing and mailing nothing', async () => {
    const o = await named(await consoleBrand('manager'));
    const page = pageOf(o.campaign.id);
    const cases: [Fields, string][] = [
      [{ title: '', body: 'A body.' }, 'Give the update a title.'],
      [{ title: '   ', body: 'A body.' }, 'Give the update a title.'],
      [{ title: 'A title', body: '' }, 'Write the update itself.'],
      [{ title: 't'.repeat(121), body: 'A body.' }, 'The title is limited to 120 characters.'],
      [{ title: 'A title', body: 'b'.repeat(4001) }, 'The update is limited to 4,000 characters.'],
      [{ title: 'A title', body: 'Bell \u0007 inside' }, 'No control characters or broken characters.'],
      [{ title: 'abc\u202egnp.exe', body: 'A body.' }, 'No text-direction override characters.'],
    ];
    const sent = await mailsDuring(o.brandName, async () => {
      for (const [fields, message] of cases) {
        const res = await post(page, await typed(o.cookie, o.campaign.id, fields), { cookie: o.cookie });
        expect(res.status, message).toBe(422);
        const html = await res.text();
        expect(html, message).toContain(message);
        expect(html).toContain('aria-invalid="true"');
      }
      // What was typed comes back escaped.
      const res = await post(page, await typed(o.cookie, o.campaign.id, { title: '<b>Bold</b> & "quoted"', body: '' }), { cookie: o.cookie });
      const html = await res.text();
      expect(html).toContain('value="&lt;b&gt;Bold&lt;/b&gt; &amp; &quot;quoted&quot;"');
      // A form without its key (not drawn by the page) is refused too.
      const keyless = await post(page, { title: 'Keyless', body: 'No key.' }, { cookie: o.cookie });
      expect(keyless.status).toBe(422);
      expect(await keyless.text()).toContain('Reload the page and post again.');
    }, 0);
    expect(sent).toEqual([]);
    expect(await updatesOf(o.campaign.id)).toBe(0);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'campaign.update_posted'", o.brand.brandId)).toBe(0);
  });

  it('takes at most 3 updates per campaign in any 24 hours: the fourth is a 409 with the text kept, nothing written', async () => {
    const o = await consoleBrand('owner');
    const page = pageOf(o.campaign.id);
    // One from over a day ago does not count.
    await env.DB.prepare("INSERT INTO campaign_updates (id, brand_id, campaign_id, title, body, author_type, author_id, mailed, created_at) VALUES (?, ?, ?, 'Old news', 'Long ago.', 'admin_user', ?, 0, ?)")
      .bind(newId('upd'), o.brand.brandId, o.campaign.id, o.user.id, Date.now() - DAY_MS - 60_000)
      .run();
    for (const n of [1, 2, 3]) expect((await post(page, await typed(o.cookie, o.campaign.id, { title: `News ${n}`, body: 'Today.' }), { cookie: o.cookie })).status).toBe(303);
    const full = await (await get(page, o.cookie)).text();
    expect(full).toContain('3 updates went out in the last 24 hours; the next can go from');
    expect(full).toMatch(/<button type="submit" class="button button-primary"[^>]*disabled/);
    const fourth = await post(page, await typed(o.cookie, o.campaign.id, { title: 'One too many', body: 'Kept as typed.' }), { cookie: o.cookie });
    expect(fourth.status).toBe(409);
    const html = await fourth.text();
    expect(html).toContain('This campaign has had 3 updates in the last 24 hours, the most it takes, so this one was not posted or emailed.');
    expect(html).toContain('value="One too many"');
    expect(html).toContain('Kept as typed.');
    expect(await updatesOf(o.campaign.id)).toBe(4);
    // Another campaign of the brand has its own three.
    const second = await json<Data<{ id: string }>>(await o.brand.api('POST', '/api/admin/campaigns', { name: 'Second', slug: `second-${o.campaign.slug}`, hashtag: '#Second', defaultDestination: 'https://shop.example/two' }));
    expect((await post(pageOf(second.data.id), await typed(o.cookie, second.data.id, { title: 'Elsewhere', body: 'Fine.' }), { cookie: o.cookie })).status).toBe(303);
  });

  it('posts a form sent twice once, and mails once', async () => {
    const o = await named(await consoleBrand('owner'));
    const page = pageOf(o.campaign.id);
    const fields = await typed(o.cookie, o.campaign.id, { title: 'Double click', body: 'Once please.' });
    let answers: Response[] = [];
    const sent = await mailsDuring(o.brandName, async () => {
      // Two at once (a double click), then a third later (a reload that posts again).
      answers = await Promise.all([post(page, fields, { cookie: o.cookie }), post(page, fields, { cookie: o.cookie })]);
      answers.push(await post(page, fields, { cookie: o.cookie }));
    }, 1);
    expect(answers.map((r) => r.status)).toEqual([303, 303, 303]);
    expect(answers.map((r) => r.headers.get('location')).sort()).toEqual([`${page}?flash=posted&n=1`, `${page}?flash=posted_already`, `${page}?flash=posted_already`]);
    expect(await updatesOf(o.campaign.id)).toBe(1);
    expect(sent).toHaveLength(1);
    expect(await (await get(`${page}?flash=posted_already`, o.cookie)).text()).toContain('That update was posted already');
    // The same form brought back and edited is not taken for the first: asked again, with what was typed.
    const edited = await post(page, { ...fields, body: 'Something else.' }, { cookie: o.cookie });
    expect(edited.status).toBe(409);
    expect(await edited.text()).toContain('This form already posted “Double click”.');
    expect(await updatesOf(o.campaign.id)).toBe(1);
  });

  it('mails only the creators who accepted the brand and are active, paused or benched in this campaign', async () => {
    const o = await named(await consoleBrand('owner'));
    const t = o.campaign.slug.slice(-8).replace(/[^a-z0-9]/g, '');
    const paused = await enroll(o.brand, o.campaign.id, `paused_${t}`, { accepted: true, status: 'paused' });
    const benched = await enroll(o.brand, o.campaign.id, `benched_${t}`, { accepted: true, status: 'benched' });
    const invited = await enroll(o.brand, o.campaign.id, `invited_${t}`, { accepted: false, status: 'invited' });
    const removed = await enroll(o.brand, o.campaign.id, `removed_${t}`, { accepted: true, status: 'removed' });
    const second = await json<Data<{ id: string }>>(await o.brand.api('POST', '/api/admin/campaigns', { name: 'Second', slug: `second-${o.campaign.slug}`, hashtag: '#Second', defaultDestination: 'https://shop.example/two' }));
    const elsewhere = await enroll(o.brand, second.data.id, `other_${t}`, { accepted: true, status: 'active' });
    // One who accepted the brand but not yet this campaign (invited to it later): not in it until they do.
    const notYet = await enroll(o.brand, o.campaign.id, `notyet_${t}`, { accepted: true, status: 'invited' });
    const sent = await mailsDuring(o.brandName, async () => {
      expect((await post(pageOf(o.campaign.id), await typed(o.cookie, o.campaign.id, { title: 'Roll call', body: 'Who is in?' }), { cookie: o.cookie })).headers.get('location')).toBe(`${pageOf(o.campaign.id)}?flash=posted&n=3`);
    }, 3);
    expect(sent.map((m) => m.to).sort()).toEqual([`${o.handle}@creators.test`, paused.email, benched.email].sort());
    // Not a word boundary after the id: an id may end in '-', which no word boundary follows.
    for (const m of sent) expect(m.text).toMatch(new RegExp(`/brief/(${[o.enrollment.id, paused.enrollmentId, benched.enrollmentId].join('|')})(?![\\w-])`));
    expect(sent.map((m) => m.to)).not.toContain(invited.email);
    expect(sent.map((m) => m.to)).not.toContain(notYet.email);
    expect(sent.map((m) => m.to)).not.toContain(removed.email);
    expect(sent.map((m) => m.to)).not.toContain(elsewhere.email);
    expect(await env.DB.prepare('SELECT mailed FROM campaign_updates WHERE campaign_id = ?').bind(o.campaign.id).first('mailed')).toBe(3);
  });
});

describe('console: reading updates', () => {
  it('lists 20 updates a page, newest first, with a link to older ones', async () => {
    const o = await consoleBrand('viewer');
    const at = Date.now() - 10 * DAY_MS;
    await env.DB.batch(
      Array.from({ length: 21 }, (_, i) =>
        env.DB.prepare("INSERT INTO campaign_updates (id, brand_id, campaign_id, title, body, author_type, author_id, mailed, created_at) VALUES (?, ?, ?, ?, 'Body.', 'api_key', 'key_gone', 2, ?)").bind(
          newId('upd'), o.brand.brandId, o.campaign.id, `Update number ${i + 1}.`, at + i * 60_000,
        ),
      ),
    );
    const first = await (await get(pageOf(o.campaign.id), o.cookie)).text();
    expect(first).toContain('Update number 21.');
    expect(first).toContain('Update number 2.');
    expect(first).not.toContain('Update number 1.');
    expect(first).toContain('A deleted API key · mail sent to 2 creators');
    const older = /href="([^"]+)" rel="next"/.exec(first)?.[1]?.replaceAll('&amp;', '&');
    expect(older).toMatch(/\?cursor=/);
    const second = await (await get(older!, o.cookie)).text();
    expect(second).toContain('Update number 1.');
    expect(second).not.toContain('Update number 2.');
    expect(second).not.toMatch(/rel="next"/);
  });
});

describe('creator portal: updates on the brief', () => {
  it('shows the campaign’s updates newest first on its brief, escaped with line breaks kept, and names the latest on home', async () => {
    const m = await signedInCreator();
    const post = (title: string, body: string) => m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/updates`, { title, body });
    expect((await post('First news', 'Older one.')).status).toBe(201);
    expect((await post('<script>alert(1)</script> Launch', 'Line one <b>bold</b>\nLine two & more')).status).toBe(201);
    const html = await (await get(`/brief/${m.enrollment.id}`, m.cookie)).text();
    expect(html).toContain('Updates from Test Brand');
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; Launch');
    expect(html).toContain('<p class="prewrap">Line one &lt;b&gt;bold&lt;/b&gt;\nLine two &amp; more</p>');
    expect(html.indexOf('Launch')).toBeLessThan(html.indexOf('First news'));
    const home = await (await get('/', m.cookie)).text();
    expect(home).toContain('New update:');
    expect(home).toContain('&lt;script&gt;alert(1)&lt;/script&gt; Launch');
    expect(home).toContain(`/brief/${m.enrollment.id}#updates`);
  });

  it('keeps older updates folded, and says nothing new on home once the last is a week old', async () => {
    const m = await signedInCreator();
    const at = Date.now() - 8 * DAY_MS;
    for (let i = 1; i <= 5; i++) {
      await env.DB.prepare("INSERT INTO campaign_updates (id, brand_id, campaign_id, title, body, author_type, author_id, mailed, created_at) VALUES (?, ?, ?, ?, 'Body.', 'api_key', 'key_x', 1, ?)")
        .bind(newId('upd'), m.brand.brandId, m.campaign.id, `Week-old ${i}`, at + i)
        .run();
    }
    const html = await (await get(`/brief/${m.enrollment.id}`, m.cookie)).text();
    expect(html).toContain('2 earlier updates');
    expect(html.indexOf('Week-old 5')).toBeLessThan(html.indexOf('Week-old 1'));
    expect(await (await get('/', m.cookie)).text()).not.toContain('New update:');
  });

  it("shows a creator only their own campaigns' updates", async () => {
    const m = await signedInCreator();
    // The same creator in a second campaign of the brand: each brief has its own updates.
    const second = await json<Data<{ id: string }>>(await m.brand.api('POST', '/api/admin/campaigns', { name: 'Second', slug: `second-${m.campaign.slug}`, hashtag: '#Second', defaultDestination: 'https://shop.example/two' }));
    const otherEnrollment = await json<Data<{ id: string }>>(await m.brand.api('POST', '/api/admin/enrollments', { campaignId: second.data.id, creatorId: m.creator.id, paymentModel: 'affiliate', status: 'active' }));
    expect((await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/updates`, { title: 'Only for Glow', body: 'Glow creators only.' })).status).toBe(201);
    expect(await (await get(`/brief/${m.enrollment.id}`, m.cookie)).text()).toContain('Only for Glow');
    const other = await (await get(`/brief/${otherEnrollment.data.id}`, m.cookie)).text();
    expect(other).not.toContain('Only for Glow');
    expect(other).not.toContain('Updates from');
    // Another creator cannot open this creator's brief, nor see the update on their own.
    const stranger = await signedInCreator();
    expect((await get(`/brief/${m.enrollment.id}`, stranger.cookie)).status).toBe(404);
    expect(await (await get(`/brief/${stranger.enrollment.id}`, stranger.cookie)).text()).not.toContain('Only for Glow');
    expect(await (await get('/', stranger.cookie)).text()).not.toContain('Only for Glow');
    // Invited to the campaign and not in it yet: the brief to decide on, not the news of those in it.
    await env.DB.prepare("UPDATE enrollments SET status = 'invited' WHERE id = ?").bind(m.enrollment.id).run();
    const invited = await (await get(`/brief/${m.enrollment.id}`, m.cookie)).text();
    expect(invited).not.toContain('Only for Glow');
    expect(invited).not.toContain('Updates from');
  });
});

describe('admin API: campaign updates', () => {
  it('posts (201 with mailed), lists a page at a time, and 404s another brand’s campaign', async () => {
    const m = await named(await createMoneyBrand());
    let created!: Response;
    const sent = await mailsDuring(m.brandName, async () => {
      created = await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/updates`, { title: 'Bundles', body: 'The code works on bundles now.' });
    }, 1);
    expect(created.status).toBe(201);
    const update = (await json<Data<Update>>(created)).data;
    expect(update).toMatchObject({ campaignId: m.campaign.id, title: 'Bundles', body: 'The code works on bundles now.', mailed: 1, author: { type: 'api_key', name: 'API key test' } });
    expect(update.id).toMatch(/^upd_/);
    expect(sent.map((s) => s.subject)).toEqual([`${m.brandName}: Bundles`]);
    expect((await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/updates`, { title: 'Second', body: 'Two.' })).status).toBe(201);
    const first = await json<{ data: Update[]; hasMore: boolean; nextCursor: string | null }>(await m.brand.api('GET', `/api/admin/campaigns/${m.campaign.id}/updates?limit=1`));
    expect(first.data.map((u) => u.title)).toEqual(['Second']);
    expect(first.hasMore).toBe(true);
    const rest = await json<{ data: Update[]; hasMore: boolean; nextCursor: string | null }>(await m.brand.api('GET', `/api/admin/campaigns/${m.campaign.id}/updates?limit=1&cursor=${first.nextCursor}`));
    expect(rest.data.map((u) => u.title)).toEqual(['Bundles']);
    expect(rest.hasMore).toBe(false);
    expect(rest.nextCursor).toBeNull();
    // Another brand's campaign is one that does not exist.
    const other = await createMoneyBrand();
    for (const res of [await other.brand.api('GET', `/api/admin/campaigns/${m.campaign.id}/updates`), await other.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/updates`, { title: 'Hijack', body: 'No.' })]) {
      expect(res.status).toBe(404);
      expect((await json<ErrorBody>(res)).error.code).toBe('not_found');
    }
    expect(await updatesOf(m.campaign.id)).toBe(2);
  });

  it('refuses a fourth update in 24 hours with 409 update_limit_reached, and a bad body with 422, writing nothing', async () => {
    const m = await createMoneyBrand();
    const path = `/api/admin/campaigns/${m.campaign.id}/updates`;
    for (const body of [{ title: '', body: 'x' }, { title: 'x', body: '' }, { title: 'x'.repeat(121), body: 'x' }, { title: 'x', body: 'x'.repeat(4001) }, { title: 'a\nb', body: 'x' }, ...['\t', '\u0085', '\u2028', '\u2029', '\u009b'].map((c) => ({ title: `a${c}b`, body: 'x' })), { title: 'x', body: 'x', extra: 1 }, { title: 'x' }]) {
      const res = await m.brand.api('POST', path, body);
      expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(422);
    }
    expect(await updatesOf(m.campaign.id)).toBe(0);
    for (const n of [1, 2, 3]) expect((await m.brand.api('POST', path, { title: `News ${n}`, body: 'x' })).status).toBe(201);
    const fourth = await m.brand.api('POST', path, { title: 'News 4', body: 'x' });
    expect(fourth.status).toBe(409);
    const error = (await json<ErrorBody>(fourth)).error;
    expect(error.code).toBe('update_limit_reached');
    expect(Date.parse(String(error.details?.nextAt))).toBeGreaterThan(Date.now() + DAY_MS - 60_000);
    expect(await updatesOf(m.campaign.id)).toBe(3);
  });

  it('answers a retry with the same Idempotency-Key with the first answer, posting and mailing once', async () => {
    const m = await named(await createMoneyBrand());
    const path = `/api/admin/campaigns/${m.campaign.id}/updates`;
    const body = { title: 'Retried', body: 'Once.' };
    let first!: Response;
    let again!: Response;
    const sent = await mailsDuring(m.brandName, async () => {
      first = await m.brand.api('POST', path, body, { 'idempotency-key': `upd-${m.campaign.id}` });
      again = await m.brand.api('POST', path, body, { 'idempotency-key': `upd-${m.campaign.id}` });
    }, 1);
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await json<Data<Update>>(again)).data.id).toBe((await json<Data<Update>>(first)).data.id);
    expect(await updatesOf(m.campaign.id)).toBe(1);
    expect(sent).toHaveLength(1);
  });
});
