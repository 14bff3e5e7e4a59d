// Stopping a brand's campaign news (its updates and brief-change mails): the mails' link and one-click headers,
// the page that asks first, the Account page's list, and what an opted-out creator still gets (the update on the
// brief) and no longer gets (the mail, and a place in `mailed`).
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { updateMessages } from '../../../worker/db/campaign-updates';
import { campaignNewsToken, earningsMailToken, unsubscribeToken } from '../../../worker/db/mail-opt-outs';
import { mailOrigin, type Env } from '../../../worker/env';
import { logTransport, setTransport, type Message } from '../../../worker/lib/messages';
import { adminUser, signIn, type Fields } from '../console-fixtures';
import { addAcceptedCreator, BASE, createBrand, json, rowCount, waitFor, type Data } from '../fixtures';
import { fetchWorker, get, post } from '../forms';
import { portalTestDefaults, signedInCreator } from '../portal-fixtures';

portalTestDefaults();

type Update = { mailed: number };

// A signed-in creator and one more accepted creator in the same campaign, with a console owner to save briefs.
async function newsroom() {
  const m = await signedInCreator();
  const other = await addAcceptedCreator(m.brand, { email: `other-${m.handle}@creators.test`, handle: `o_${m.handle}`.slice(0, 30), displayName: 'Other' });
  expect((await m.brand.api('POST', '/api/admin/enrollments', { campaignId: m.campaign.id, creatorId: other.data.id, paymentModel: 'affiliate', status: 'active' })).status).toBe(201);
  const owner = await signIn((await adminUser(m.brand.brandId, 'owner')).email);
  const news = () => env.DB.prepare('SELECT campaign_news FROM brand_creators WHERE brand_id = ? AND creator_id = ?').bind(m.brand.brandId, m.creator.id).first<number>('campaign_news');
  const postUpdate = async (title: string) => (await json<Data<Update>>(await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/updates`, { title, body: 'Post between Fri and Sun.' }))).data;
  // The console's brief form, saved with "Email its creators that the brief changed".
  const saveBrief = (anchor: string) =>
    post(
      `/console/campaigns/${m.campaign.id}`,
      { name: 'Glow', hashtag: 'Glow', disclosureText: '#ad', storyFormats: ['day_in_the_life', 'before_after', 'problem_solution'], defaultDestination: 'https://shop.example/glow', attributionWindowDays: '30', holdingDays: '30', commissionPlanId: m.plan.id, status: 'active', drawnStatus: 'active', positioningAnchor: anchor, nonNegotiables: '', baselineCost: '', baselineEngaged: '', notifyCreators: '1' } satisfies Fields,
      { cookie: owner },
    );
  return { ...m, otherEmail: `other-${m.handle}@creators.test`, owner, news, postUpdate, saveBrief };
}

// Mail to `to` (addresses unique to the test) while `work` runs and the queue drains: `expected` of them, then a
// moment for strays.
async function mailsTo(to: string[], work: () => Promise<void>, expected: number): Promise<Message[]> {
  const sent: Message[] = [];
  setTransport(async (msg) => void (to.includes(msg.to) && sent.push(msg)));
  try {
    await work();
    if (expected > 0) await waitFor(async () => (sent.length >= expected ? true : null), 15_000);
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    setTransport(logTransport);
  }
  return sent;
}

const stopPath = (m: Message) => new RegExp(`Stop these emails: ${BASE}(/unsubscribe/news/[\\w.-]+) `).exec(m.text)?.[1];

describe("a brand's campaign news mails", () => {
  it('carry a stop link and one-click headers; GET asks, POST stops and repeats harmlessly, a bad token writes nothing', { timeout: 40_000 }, async () => {
    const m = await newsroom();
    const sent = await mailsTo(
      [m.email],
      async () => {
        await m.postUpdate('Launch Friday');
        expect((await m.saveBrief('Calm skin, fewer steps.')).headers.get('location')).toBe(`/console/campaigns/${m.campaign.id}?flash=saved_mailed&n=2`);
      },
      2,
    );
    const update = sent.find((s) => s.subject === 'Test Brand: Launch Friday')!;
    const brief = sent.find((s) => s.subject === 'Test Brand updated the Glow brief')!;
    for (const mail of [update, brief]) {
      const stop = stopPath(mail);
      expect(stop, mail.subject).toBeDefined();
      expect(mail.text).toContain("(only Test Brand's campaign news, which stays on your brief;");
      expect(mail.headers).toEqual({ 'List-Unsubscribe': `<${BASE}/v1${stop}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' });
    }
    const stop = stopPath(update)!;

    // A link scanner's GET (of the page, or of the header's address) asks and stops nothing.
    const page = await get(stop);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`Stop emailing <strong>${m.email}</strong> the updates and brief changes <strong>Test Brand</strong> posts to its campaigns, and the alerts that it sent you a message?`);
    expect((await fetchWorker(`${BASE}/v1${stop}`, { redirect: 'manual' })).headers.get('location')).toBe(stop);
    expect(await m.news()).toBe(1);

    // A link cut short, forged, or another kind of sealed token (the earnings link's, an invitation's) writes nothing.
    const earnings = await earningsMailToken(env.SECRETS_KEY, { creatorId: m.creator.id, email: m.email });
    const invitation = await unsubscribeToken(env.SECRETS_KEY, { brandId: m.brand.brandId, email: m.email });
    for (const bad of [stop.slice(0, -3), '/unsubscribe/news/abc.def', `/unsubscribe/news/${earnings}`, `/unsubscribe/news/${invitation}`]) {
      expect((await get(bad)).status).toBe(410);
      expect((await post(bad, { mail: 'off' })).status).toBe(410);
      const res = await fetchWorker(`${BASE}/v1${bad}`, { method: 'POST' });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
    }
    // Nor does the earnings link take a news token.
    expect((await get(`/unsubscribe/earnings/${stop.split('/').pop()}`)).status).toBe(410);
    expect(await m.news()).toBe(1);

    // The mail client's one-click POST stops it; a second changes nothing.
    for (let i = 0; i < 2; i++) {
      const res = await fetchWorker(`${BASE}/v1${stop}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ data: { unsubscribed: true } });
      expect(await m.news()).toBe(0);
    }
    // The page's button, from this site only, turns it back on and off again; the other creator is untouched.
    expect((await post(stop, { mail: 'on' }, { origin: 'https://evil.example' })).status).toBe(403);
    expect(await (await post(stop, { mail: 'on' })).text()).toContain(`We will email Test Brand&#39;s campaign news to ${m.email} again.`);
    expect(await m.news()).toBe(1);
    expect(await (await post(stop, { mail: 'off' })).text()).toContain(`We will no longer email Test Brand&#39;s campaign updates and brief changes, nor its new-message alerts, to ${m.email}.`);
    expect(await m.news()).toBe(0);
    expect(await rowCount('SELECT count(*) AS n FROM brand_creators WHERE brand_id = ? AND campaign_news = 0', m.brand.brandId)).toBe(1);
    // The brand's other mail goes on (its earnings mail is the account's own switch).
    expect(await rowCount('SELECT earnings_digest AS n FROM creators WHERE id = ?', m.creator.id)).toBe(1);
  });

  it('skip an opted-out creator, who is not counted in mailed and still reads the update on their brief and home', { timeout: 40_000 }, async () => {
    const m = await newsroom();
    await env.DB.prepare('UPDATE brand_creators SET campaign_news = 0 WHERE brand_id = ? AND creator_id = ?').bind(m.brand.brandId, m.creator.id).run();
    let update!: Update;
    const sent = await mailsTo(
      [m.email, m.otherEmail],
      async () => {
        update = await m.postUpdate('Bundles count');
        expect((await m.saveBrief('Calm skin, three steps.')).headers.get('location')).toBe(`/console/campaigns/${m.campaign.id}?flash=saved_mailed&n=1`);
      },
      2,
    );
    expect(update.mailed).toBe(1);
    expect(await env.DB.prepare('SELECT mailed FROM campaign_updates WHERE campaign_id = ?').bind(m.campaign.id).first('mailed')).toBe(1);
    expect(sent.map((s) => s.to)).toEqual([m.otherEmail, m.otherEmail]);
    const tab = await (await get(`/console/campaigns/${m.campaign.id}/updates`, m.owner)).text();
    expect(tab).toContain('Post and email 1 creator');
    expect(tab).toContain('1 creator who turned off your campaign-news emails reads it there only.');
    expect(await (await get(`/brief/${m.enrollment.id}`, m.cookie)).text()).toContain('Bundles count');
    const home = await (await get('/', m.cookie)).text();
    expect(home).toContain('New update:');
    expect(home).toContain('Bundles count');
  });

  it('name PUBLIC_ORIGIN as every mail does: deployed without it no link and no one-click headers, and those only on https', async () => {
    const request = { url: 'https://attacker.example/console/campaigns/x' };
    const deployed = (origin?: string) => mailOrigin({ ...(env as Env), ENVIRONMENT: 'production', PUBLIC_ORIGIN: origin }, request);
    expect(mailOrigin(env as Env, request)).toBe('https://attacker.example'); // local development (tests): the request's
    expect(deployed()).toBeNull();
    expect(deployed('https://chorus.example/')).toBe('https://chorus.example');
    const mail = (origin: string | null) =>
      updateMessages(env.SECRETS_KEY, { id: 'b1', name: 'Lumen' }, 'Glow', { id: 'u1', title: 'Hi', body: 'News.' }, [{ email: 'a@creators.test', enrollment_id: 'e1', creator_id: 'c1' }], origin).then(([m]) => m!);
    const none = await mail(deployed());
    expect(none.text).not.toMatch(/https?:\/\//);
    expect(none.text).toContain('turn it off under Emails on your Chorus Account page');
    expect(none.headers).toEqual({});
    const plain = await mail(deployed('http://chorus.internal'));
    expect(plain.text).toContain('http://chorus.internal/unsubscribe/news/');
    expect(plain.headers).toEqual({});
    expect((await mail(deployed('https://chorus.example'))).headers).toMatchObject({ 'List-Unsubscribe': expect.stringMatching(/^<https:\/\/chorus\.example\/v1\/unsubscribe\/news\//) });
  });

  it("are listed per joined brand on the Account page, which stops and restarts each brand's", async () => {
    const m = await newsroom();
    // The same account joined a second brand, and was only invited by a third.
    const joined = await createBrand();
    const second = await addAcceptedCreator(joined, { email: m.email, handle: `j_${m.handle}`.slice(0, 30), displayName: 'Sarah' });
    expect(second.data.id).toBe(m.creator.id);
    const invitedBy = await createBrand();
    await invitedBy.api('POST', '/api/admin/creators', { email: m.email, handle: `i_${m.handle}`.slice(0, 30), displayName: 'Sarah' });
    await env.DB.prepare('UPDATE brand_creators SET campaign_news = 0 WHERE brand_id = ? AND creator_id = ?').bind(m.brand.brandId, m.creator.id).run();
    const names = await env.DB.prepare('SELECT id, name FROM brands WHERE id IN (?, ?)').bind(joined.brandId, invitedBy.brandId).all<{ id: string; name: string }>();
    const nameOf = (id: string) => names.results.find((b) => b.id === id)!.name;

    const page = await (await get('/account', m.cookie)).text();
    expect(page).toContain('Campaign news by email');
    expect(page).toMatch(new RegExp(`<input type="checkbox" name="news" value="${m.brand.brandId}"/><span>Test Brand<span class="muted"> \\(stopped\\)</span></span>`));
    expect(page).toMatch(new RegExp(`<input type="checkbox" name="news" value="${joined.brandId}" checked=""/><span>${nameOf(joined.brandId)}</span>`));
    expect(page).not.toContain(`value="${invitedBy.brandId}"`);

    // Back on for the first brand, off for the second; a brand only invited by, though listed unticked, is left alone.
    const saved = await post('/account/emails', { earningsDigest: 'on', newsBrands: [m.brand.brandId, joined.brandId, invitedBy.brandId], news: [m.brand.brandId] }, { cookie: m.cookie });
    expect(saved.headers.get('location')).toBe('/account?done=emails');
    const news = await env.DB.prepare('SELECT brand_id, campaign_news FROM brand_creators WHERE creator_id = ? ORDER BY brand_id').bind(m.creator.id).all<{ brand_id: string; campaign_news: number }>();
    expect(Object.fromEntries(news.results.map((r) => [r.brand_id, r.campaign_news]))).toEqual({ [m.brand.brandId]: 1, [joined.brandId]: 0, [invitedBy.brandId]: 1 });
    const after = await (await get('/account?done=emails', m.cookie)).text();
    expect(after).toContain('Your email choices are saved.');
    expect(after).toContain(`${nameOf(joined.brandId)}<span class="muted"> (stopped)</span>`);
    expect(await rowCount('SELECT earnings_digest AS n FROM creators WHERE id = ?', m.creator.id)).toBe(1);

    // The second brand's own mail link shows it stopped, and offers it back.
    const token = await campaignNewsToken(env.SECRETS_KEY, { creatorId: m.creator.id, brandId: joined.brandId, email: m.email });
    expect(await (await get(`/unsubscribe/news/${token}`)).text()).toContain(`Email me ${nameOf(joined.brandId)}&#39;s news again`);
  });
});
