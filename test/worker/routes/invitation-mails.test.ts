// Chorus mailing a campaign's invitations: each creator who has not accepted gets their own invite link through
// the mail queue, at most three times a campaign and days apart, within the brand's daily allowance; a mail the
// provider refused is given back, so asking again retries it.
import { createExecutionContext, createMessageBatch, env, getQueueResult, SELF } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Env } from '../../../worker/env';
import worker from '../../../worker/index';
import { consumeMail } from '../../../worker/mail';
import { invitationMailProof } from '../../../worker/db/account-tokens';
import { INVITATION_MAIL_ATTEMPTS, INVITATION_MAILS_PER_BRAND_PER_DAY, type InvitationMessage } from '../../../worker/db/invitation-mails';
import { logTransport, MailError, setTransport, type Message } from '../../../worker/lib/messages';
import { sealSecret } from '../../../worker/lib/secrets';
import { adminUser, consoleBrand, freshIp, get, post, sessionCookie, signIn, tag } from '../console-fixtures';
import { BASE, createMoneyBrand, json, rowCount, waitFor } from '../fixtures';

type Mailing = { data: { queued: number; skipped: typeof none } };
type Invite = { email: string; status: string; inviteUrl: string | null };

const roster = (n: number, t = tag()) => ['email,handle,name', ...Array.from({ length: n }, (_, i) => `inv${i}_${t}@creators.test,inv${i}_${t},Creator ${i}`)].join('\n');
const none = { accepted: 0, recentlyMailed: 0, remindedEnough: 0, lapsed: 0, overAllowance: 0, optedOut: 0 };

let mails: Message[] = [];
afterEach(() => setTransport(logTransport));
function capture(fail?: (m: Message) => MailError | null) {
  mails = [];
  setTransport(async (m) => {
    const error = fail?.(m);
    if (error) throw error;
    mails.push(m);
  });
}
const mailedTo = (email: string) => mails.filter((m) => m.to === email);

async function withRoster(n: number) {
  const m = await createMoneyBrand();
  const res = await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/import`, { csv: roster(n) });
  const invites = (await json<{ data: { invites: Invite[] } }>(res)).data.invites;
  return { m, invites, mail: () => m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/invitations/mail`) };
}
const claimOf = (campaignId: string, email: string) =>
  env.DB.prepare('SELECT claimed_at, mailed_at, sends FROM invitation_mails WHERE campaign_id = ? AND email = ?').bind(campaignId, email).first<{ claimed_at: number; mailed_at: number | null; sends: number }>();
// Moves a campaign's sends back in time, as if they were made `ms` earlier.
const age = (campaignId: string, ms: number) => env.DB.prepare('UPDATE invitation_mails SET claimed_at = claimed_at - ?1, mailed_at = mailed_at - ?1 WHERE campaign_id = ?2').bind(ms, campaignId).run();

// One queue message through the consumer, as the queue would deliver it on its `attempts`th try.
async function deliver(body: InvitationMessage, attempts = 1) {
  const batch = createMessageBatch<unknown>('chorus-mail', [{ id: `m-${tag()}`, timestamp: new Date(), attempts, body }]);
  await consumeMail(batch, env as Env, 0);
  return getQueueResult(batch, createExecutionContext());
}

describe('emailing a campaign’s invitations', () => {
  it("mails the account's own address when the creator moved it before accepting, and the brand's sheet keeps its own", { timeout: 30_000 }, async () => {
    const { m, invites, mail } = await withRoster(1);
    const moved = `moved-${tag()}@creators.test`;
    await env.DB.prepare('UPDATE creators SET email = ? WHERE email = ?').bind(moved, invites[0]!.email).run();
    capture();
    expect((await json<Mailing>(await mail())).data.queued).toBe(1);
    await waitFor(async () => (mails.length === 1 ? true : null), 15_000);
    expect(mails[0]!.to).toBe(moved);
    // Its link carries a proof for the address it went to: it opens the first-password page there.
    const link = /https?:\/\/\S+\/invite\/\S+/.exec(mails[0]!.text)![0];
    const page = await (await SELF.fetch(link)).text();
    expect(page).toContain('/password?k=');
    const sheet = await (await m.brand.api('GET', `/api/admin/campaigns/${m.campaign.id}/invites.csv`)).text();
    expect(sheet).toContain(invites[0]!.email);
    expect(sheet).not.toContain(moved);
  });

  it('queues each creator who has not accepted their own link, mails it once, and reminds twice at most, days apart', { timeout: 30_000 }, async () => {
    const { m, invites, mail } = await withRoster(3);
    capture();
    const first = await mail();
    expect(first.status).toBe(202);
    // The fixture's creator accepted already; the three imported ones are mailed, through the queue.
    expect((await json<Mailing>(first)).data).toEqual({ queued: 3, skipped: { ...none, accepted: 1 } });
    await waitFor(async () => (mails.length === 3 ? true : null), 15_000);
    for (const invite of invites) {
      const [sent] = mailedTo(invite.email);
      expect(sent!.subject).toBe('Test Brand invites you to Glow');
      expect(sent!.text).toContain(invite.inviteUrl!);
      await waitFor(async () => ((await claimOf(m.campaign.id, invite.email))?.sends === 1 ? true : null));
    }
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'campaign.invitations_mailed'", m.brand.brandId)).toBe(1);

    // Asked again within three days: nothing goes out twice.
    expect((await json<Mailing>(await mail())).data).toEqual({ queued: 0, skipped: { ...none, accepted: 1, recentlyMailed: 3 } });
    // Three days on, those still not accepted get a reminder; one who accepted meanwhile and one whose link lapsed do not.
    await age(m.campaign.id, 3 * 86_400_000);
    await env.DB.prepare("UPDATE enrollments SET status = 'active' WHERE campaign_id = ? AND creator_id = (SELECT id FROM creators WHERE email = ?)").bind(m.campaign.id, invites[0]!.email).run();
    await env.DB.prepare('UPDATE brand_creators SET accepted_at = ? WHERE brand_id = ? AND creator_id = (SELECT id FROM creators WHERE email = ?)').bind(Date.now(), m.brand.brandId, invites[0]!.email).run();
    await env.DB.prepare("UPDATE account_tokens SET expires_at = 1 WHERE brand_id = ? AND purpose = 'invite' AND creator_id = (SELECT id FROM creators WHERE email = ?)").bind(m.brand.brandId, invites[1]!.email).run();
    capture();
    expect((await json<Mailing>(await mail())).data).toEqual({ queued: 1, skipped: { ...none, accepted: 2, lapsed: 1 } });
    await waitFor(async () => ((await claimOf(m.campaign.id, invites[2]!.email))?.sends === 2 ? true : null), 15_000);
    expect(mails.map((x) => x.to)).toEqual([invites[2]!.email]);
    // A third mail three days later, then no more.
    await age(m.campaign.id, 3 * 86_400_000);
    expect((await json<Mailing>(await mail())).data.queued).toBe(1);
    await waitFor(async () => ((await claimOf(m.campaign.id, invites[2]!.email))?.sends === 3 ? true : null), 15_000);
    await age(m.campaign.id, 30 * 86_400_000);
    expect((await json<Mailing>(await mail())).data).toEqual({ queued: 0, skipped: { ...none, accepted: 2, lapsed: 1, remindedEnough: 1 } });
  });

  it('retries a refused mail on the queue, then gives its claim back; keeps one the provider may have taken; skips a stale or repeated message', async () => {
    const { m, invites } = await withRoster(1);
    const email = invites[0]!.email;
    const claimedAt = Date.now();
    await env.DB.prepare('INSERT INTO invitation_mails (campaign_id, email, brand_id, claimed_at) VALUES (?, ?, ?, ?)').bind(m.campaign.id, email, m.brand.brandId, claimedAt).run();
    const body: InvitationMessage = { kind: 'invitation', brandId: m.brand.brandId, campaignId: m.campaign.id, email, claimedAt, origin: BASE };

    capture(() => new MailError('refused', 'throttled'));
    expect((await deliver(body)).retryMessages).toHaveLength(1);
    expect((await claimOf(m.campaign.id, email))!.claimed_at).toBe(claimedAt);
    expect((await deliver(body, INVITATION_MAIL_ATTEMPTS)).explicitAcks).toHaveLength(1);
    expect(await claimOf(m.campaign.id, email)).toMatchObject({ claimed_at: 0, mailed_at: null, sends: 0 });
    // The voided claim's message is nothing now.
    capture();
    await deliver(body);
    expect(mails).toHaveLength(0);

    // An unconfirmed mail may be in the inbox: it counts, and a redelivery sends no second copy.
    await env.DB.prepare('UPDATE invitation_mails SET claimed_at = ? WHERE campaign_id = ? AND email = ?').bind(claimedAt, m.campaign.id, email).run();
    capture(() => new MailError('unconfirmed', 'timed out'));
    await deliver(body);
    expect(await claimOf(m.campaign.id, email)).toMatchObject({ sends: 1 });
    capture();
    await deliver(body);
    expect(mails).toHaveLength(0);
    // Junk on the queue is dropped, not retried.
    const junk = createMessageBatch<unknown>('chorus-mail', [{ id: 'junk', timestamp: new Date(), attempts: 1, body: { kind: 'invitation', email: 1 } }]);
    await consumeMail(junk, env as Env, 0);
    expect((await getQueueResult(junk, createExecutionContext())).explicitAcks).toEqual(['junk']);
  });

  it('keeps a brand within its daily allowance, across its campaigns and concurrent asks', async () => {
    const { m, mail } = await withRoster(3);
    const now = Date.now();
    const filler = Array.from({ length: INVITATION_MAILS_PER_BRAND_PER_DAY - 2 }, (_, i) => i);
    for (let i = 0; i < filler.length; i += 20) {
      const chunk = filler.slice(i, i + 20);
      await env.DB.prepare(`INSERT INTO invitation_mails (campaign_id, email, brand_id, claimed_at, mailed_at, sends) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, 1)').join(', ')}`)
        .bind(...chunk.flatMap((j) => [m.campaign.id, `filler${j}@creators.test`, m.brand.brandId, now, now]))
        .run();
    }
    capture();
    // Two asks at once: together they mail two, the allowance left, and leave one for another day.
    const [a, b] = await Promise.all([mail(), mail()]);
    const both = [(await json<Mailing>(a)).data, (await json<Mailing>(b)).data];
    expect(both.reduce((n, d) => n + d.queued, 0)).toBe(2);
    expect(both.reduce((n, d) => n + d.skipped.overAllowance, 0)).toBeGreaterThanOrEqual(1);
    expect(await rowCount('SELECT count(*) AS n FROM invitation_mails WHERE brand_id = ? AND claimed_at > ?', m.brand.brandId, now - 86_400_000)).toBe(INVITATION_MAILS_PER_BRAND_PER_DAY);
  });

  it('refuses another brand’s campaign, an ended one, a missing key and a Chorus without mail, mailing nothing', async () => {
    const { m, mail, invites } = await withRoster(1);
    const stranger = await createMoneyBrand();
    capture();
    expect((await stranger.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/invitations/mail`)).status).toBe(404);
    expect((await SELF.fetch(`${BASE}/api/admin/campaigns/${m.campaign.id}/invitations/mail`, { method: 'POST' })).status).toBe(401);
    await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { status: 'ended' });
    const ended = await mail();
    expect(ended.status).toBe(409);
    expect((await json<{ error: { code: string } }>(ended)).error.code).toBe('campaign_ended');
    expect(await rowCount('SELECT count(*) AS n FROM invitation_mails WHERE campaign_id = ?', m.campaign.id)).toBe(0);
    // Deployed without a mail provider: a 503 that says so, and nothing claimed.
    const live = await withRoster(1);
    const deployed = { ...(env as Env), ENVIRONMENT: 'production', MAIL_API_KEY: undefined, PUBLIC_ORIGIN: 'https://chorus.example' };
    const req = new Request(`${BASE}/api/admin/campaigns/${live.m.campaign.id}/invitations/mail`, { method: 'POST', headers: { authorization: `Bearer ${live.m.brand.adminKey}` } });
    const unavailable = await worker.fetch(req, deployed, createExecutionContext());
    expect(unavailable.status).toBe(503);
    expect((await json<{ error: { code: string } }>(unavailable)).error.code).toBe('mail_unavailable');
    expect(await rowCount('SELECT count(*) AS n FROM invitation_mails WHERE campaign_id = ?', live.m.campaign.id)).toBe(0);
    // Only this test's creators: the test before it leaves mails on the queue, which a loaded machine delivers late.
    for (const invite of [...invites, ...live.invites]) expect(mailedTo(invite.email)).toHaveLength(0);
  });

  it('is a button for owners and managers in the console, which says what went out', async () => {
    const o = await consoleBrand('manager');
    await o.brand.api('POST', `/api/admin/campaigns/${o.campaign.id}/import`, { csv: roster(2) });
    const path = `/console/campaigns/${o.campaign.id}`;
    expect(await (await get(`${path}/import`, o.cookie)).text()).toContain('Email the invitations');
    capture();
    // The button asks once more, with the count, and nothing is claimed until the answer.
    const ask = await post(`${path}/invitations/mail`, {}, { cookie: o.cookie });
    expect(ask.status).toBe(200);
    const asked = await ask.text();
    expect(asked).toContain('Email 2 creators their invitation?');
    expect(asked).toContain('Yes, email 2');
    expect(await rowCount('SELECT count(*) AS n FROM invitation_mails WHERE campaign_id = ?', o.campaign.id)).toBe(0);
    const res = await post(`${path}/invitations/mail`, { confirm: '1' }, { cookie: o.cookie });
    expect(res.status).toBe(303);
    const page = await (await get(res.headers.get('location')!, o.cookie)).text();
    expect(page).toContain('Emailing 2 invitations: they go out over the next minutes. Not emailed: 1 who accepted already.');
    // With no one due, there is nothing to ask: the page says why.
    const again = await (await get((await post(`${path}/invitations/mail`, {}, { cookie: o.cookie })).headers.get('location')!, o.cookie)).text();
    expect(again).toContain('No invitations to email. Not emailed: 2 emailed in the last three days (or on their way); 1 who accepted already.');
    // Made-up counts in the address are only numbers.
    expect(await (await get(`${path}/import?flash=mailed&queued=%3Cb%3E`, o.cookie)).text()).toContain('No invitations to email.');

    const viewer = await adminUser(o.brand.brandId, 'viewer');
    const cookie = await signIn(viewer.email);
    expect(await (await get(`${path}/import`, cookie)).text()).not.toContain('Email the invitations');
    expect((await post(`${path}/invitations/mail`, { confirm: '1' }, { cookie })).status).toBe(403);
    expect((await post(`${path}/invitations/mail`, { confirm: '1' }, { cookie: o.cookie, origin: 'https://evil.example' })).status).toBe(403);
    const stranger = await consoleBrand('owner');
    expect((await post(`${path}/invitations/mail`, {}, { cookie: stranger.cookie })).status).toBe(404);
  });

  it('lets a creator stop one brand’s invitations, or every brand’s, from the mail or in one click, and mails them no more', { timeout: 30_000 }, async () => {
    const { m, invites, mail } = await withRoster(3);
    capture();
    expect((await json<Mailing>(await mail())).data.queued).toBe(3);
    await waitFor(async () => (invites.every((i) => mailedTo(i.email).length === 1) ? true : null), 15_000);
    const [first, second, third] = invites.map((i) => mailedTo(i.email)[0]!);
    const optOuts = (email: string) => rowCount('SELECT count(*) AS n FROM mail_opt_outs WHERE email = ?', email);

    // The mail's own link: its page asks (a link scanner's GET changes nothing), the button does it.
    const link = /https?:\/\/\S+\/unsubscribe\/(\S+)$/m.exec(first!.text)!;
    expect(first!.text).toContain('No more invitations from Test Brand: ');
    const page = `/unsubscribe/${link[1]}`;
    const asked = await get(page);
    expect(asked.status).toBe(200);
    expect(await asked.text()).toContain('Stop invitations from Test Brand');
    expect(await optOuts(invites[0]!.email)).toBe(0);
    expect((await post(page, { scope: 'brand' }, { origin: 'https://evil.example' })).status).toBe(403);
    const done = await post(page, { scope: 'brand' });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain(`Test Brand will not email ${invites[0]!.email} an invitation through Chorus again.`);
    expect((await post(page, { scope: 'brand' })).status).toBe(200);
    expect(await optOuts(invites[0]!.email)).toBe(1);

    // The mail client's one-click button: List-Unsubscribe, POSTed from the provider's servers (no Origin).
    expect(second!.headers).toEqual({ 'List-Unsubscribe': expect.stringMatching(/^<https?:\/\/\S+\/v1\/unsubscribe\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+>$/), 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' });
    const oneClick = new URL(second!.headers!['List-Unsubscribe']!.slice(1, -1)).pathname;
    const click = () => SELF.fetch(`${BASE}${oneClick}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(await json(await click())).toEqual({ data: { unsubscribed: true } });
    expect((await click()).status).toBe(200);
    expect(await optOuts(invites[1]!.email)).toBe(1);
    const huge = await SELF.fetch(`${BASE}${oneClick}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `List-Unsubscribe=One-Click&x=${'y'.repeat(2_000_000)}` });
    expect(huge.status).toBe(413);

    // Forged, cut or foreign tokens change nothing.
    const token = link[1]!;
    const flipped = `${token.slice(0, -2)}${token.at(-2) === 'A' ? 'B' : 'A'}${token.at(-1)}`;
    for (const bad of [flipped, token.slice(0, 30), 'abc.def', 'x'.repeat(700), '%00']) {
      expect((await get(`/unsubscribe/${bad}`)).status, bad).toBe(410);
      expect((await post(`/unsubscribe/${bad}`, { scope: 'every' })).status, bad).toBe(410);
      const res = await SELF.fetch(`${BASE}/v1/unsubscribe/${bad}`, { method: 'POST' });
      expect(res.status, bad).toBe(404);
      expect((await json<{ error: { code: string } }>(res)).error.code).toBe('not_found');
    }
    // Other values Chorus seals (payout details, webhook secrets) use another key: even one shaped like a token
    // does not open as one.
    const sealed = await sealSecret(env.SECRETS_KEY, JSON.stringify({ p: 'unsubscribe', b: m.brand.brandId, e: invites[2]!.email }));
    expect((await get(`/unsubscribe/${sealed}`)).status).toBe(410);
    expect((await SELF.fetch(`${BASE}/v1/unsubscribe/${sealed}`, { method: 'POST' })).status).toBe(404);
    expect(await rowCount('SELECT count(*) AS n FROM mail_opt_outs WHERE email IN (?, ?, ?)', ...invites.map((i) => i.email))).toBe(2);

    // Three days on, the two who left get no reminder; the third does.
    await age(m.campaign.id, 3 * 86_400_000);
    capture();
    expect((await json<Mailing>(await mail())).data).toEqual({ queued: 1, skipped: { ...none, accepted: 1, optedOut: 2 } });
    await waitFor(async () => (mailedTo(third!.to).length === 1 ? true : null), 15_000);

    // Every brand: the third stops all invitations. A reminder claimed just before is not sent, and another
    // brand importing them cannot mail them either.
    const thirdLink = /\/unsubscribe\/(\S+)$/m.exec(third!.text)![1];
    expect(await (await post(`/unsubscribe/${thirdLink}`, { scope: 'every' })).text()).toContain(`No brand on Chorus will email ${invites[2]!.email} an invitation again.`);
    const claimedAt = Date.now();
    await env.DB.prepare('UPDATE invitation_mails SET claimed_at = ?, mailed_at = NULL WHERE campaign_id = ? AND email = ?').bind(claimedAt, m.campaign.id, invites[2]!.email).run();
    capture();
    expect((await deliver({ kind: 'invitation', brandId: m.brand.brandId, campaignId: m.campaign.id, email: invites[2]!.email, claimedAt, origin: BASE })).explicitAcks).toHaveLength(1);
    expect(mails).toHaveLength(0);
    expect((await claimOf(m.campaign.id, invites[2]!.email))!.claimed_at).toBe(0);
    const other = await createMoneyBrand();
    await other.brand.api('POST', `/api/admin/campaigns/${other.campaign.id}/import`, { csv: `email,handle,name\n${invites[2]!.email},other_${tag()},Creator 2` });
    const elsewhere = await json<Mailing>(await other.brand.api('POST', `/api/admin/campaigns/${other.campaign.id}/invitations/mail`));
    expect(elsewhere.data).toEqual({ queued: 0, skipped: { ...none, accepted: 1, optedOut: 1 } });
  });

  it('says before mailing how many the day’s allowance lets go today', async () => {
    const o = await consoleBrand('owner');
    await o.brand.api('POST', `/api/admin/campaigns/${o.campaign.id}/import`, { csv: roster(3) });
    const now = Date.now();
    const filler = Array.from({ length: INVITATION_MAILS_PER_BRAND_PER_DAY - 2 }, (_, i) => i);
    for (let i = 0; i < filler.length; i += 20) {
      const chunk = filler.slice(i, i + 20);
      await env.DB.prepare(`INSERT INTO invitation_mails (campaign_id, email, brand_id, claimed_at, mailed_at, sends) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, 1)').join(', ')}`)
        .bind(...chunk.flatMap((j) => [o.campaign.id, `filler${j}_${tag()}@creators.test`, o.brand.brandId, now, now]))
        .run();
    }
    const asked = await (await post(`/console/campaigns/${o.campaign.id}/invitations/mail`, {}, { cookie: o.cookie })).text();
    expect(asked).toContain('Email 2 creators their invitation?');
    expect(asked).toContain("1 more are past today&#39;s allowance of emails: they go when you send again tomorrow.");
  });

  it('mails nothing a brand asks for to a creator who has not joined it and unsubscribed, and keys each invitation to its claim', { timeout: 30_000 }, async () => {
    const { m, invites, mail } = await withRoster(2);
    capture();
    await mail();
    await waitFor(async () => (invites.every((i) => mailedTo(i.email).length === 1) ? true : null), 15_000);
    const [first, second] = invites.map((i) => mailedTo(i.email)[0]!);
    // Each invitation carries a key of its own claim: a redelivered one is mailed once by the provider.
    expect(first!.idempotencyKey).toMatch(new RegExp(`^invitation-${m.campaign.id}-\\d+-[0-9a-f]{64}$`));
    expect(first!.idempotencyKey).not.toBe(second!.idempotencyKey);

    const token = /\/unsubscribe\/(\S+)$/m.exec(first!.text)![1]!;
    // A mail app without one-click opens the header's address: the page, which asks first.
    const opened = await SELF.fetch(`${BASE}/v1/unsubscribe/${token}`, { redirect: 'manual' });
    expect(opened.status).toBe(302);
    expect(opened.headers.get('location')).toBe(`/unsubscribe/${token}`);
    expect((await SELF.fetch(`${BASE}/v1/unsubscribe/nope.nope`, { redirect: 'manual' })).status).toBe(404);
    expect(await rowCount('SELECT count(*) AS n FROM mail_opt_outs WHERE email = ?', invites[0]!.email)).toBe(0);
    await post(`/unsubscribe/${token}`, { scope: 'brand' });
    await post(`/unsubscribe/${token}`, { scope: 'brand' });
    // The brand's Activity shows it once, whoever pressed it how often.
    const activity = (action: string) => rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = ? AND actor_type = 'creator'", m.brand.brandId, action);
    expect(await activity('creator.unsubscribed')).toBe(1);

    const creatorId = (await env.DB.prepare('SELECT id FROM creators WHERE email = ?').bind(invites[0]!.email).first<{ id: string }>())!.id;
    capture();
    const refused = await m.brand.api('POST', `/api/admin/creators/${creatorId}/password-reset`);
    expect(refused.status).toBe(409);
    expect((await json<{ error: { code: string } }>(refused)).error.code).toBe('creator_opted_out');
    // The creator's own ask, from the invite page they opened, still works.
    const invitePath = new URL(invites[0]!.inviteUrl!).pathname;
    expect((await post(`${invitePath}/email`, {})).status).toBe(200);
    expect(mailedTo(invites[0]!.email).map((x) => x.subject)).toEqual(['Set your Chorus password']);

    // Changed their mind: the same link lets the brand invite them again.
    const undone = await (await post(`/unsubscribe/${token}`, { scope: 'resume-brand' })).text();
    expect(undone).toContain(`Test Brand can email ${invites[0]!.email} invitations through Chorus again.`);
    expect(await rowCount('SELECT count(*) AS n FROM mail_opt_outs WHERE email = ?', invites[0]!.email)).toBe(0);
    expect(await activity('creator.resubscribed')).toBe(1);
    expect((await m.brand.api('POST', `/api/admin/creators/${creatorId}/password-reset`)).status).toBe(201);
  });

  it('keeps unsubscribe tokens out of the log outside development', async () => {
    const lines: unknown[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(line));
    try {
      await logTransport({ to: 'a@creators.test', subject: 's', text: 'Stop: https://chorus.example/unsubscribe/abc.def', headers: { 'List-Unsubscribe': '<https://chorus.example/v1/unsubscribe/abc.def>' } }, { ENVIRONMENT: 'production' });
    } finally {
      spy.mockRestore();
    }
    const logged = lines.join('\n');
    expect(logged).not.toContain('abc.def');
    expect(logged).toContain('/unsubscribe/:token');
  });

  it('mails a creator added to several of a brand’s campaigns once: the invite link is the brand’s, not the campaign’s', { timeout: 30_000 }, async () => {
    const m = await createMoneyBrand();
    const second = await json<{ data: { id: string } }>(
      await m.brand.api('POST', '/api/admin/campaigns', { name: 'Winter', slug: `winter-${tag()}`, hashtag: '#Winter', defaultDestination: 'https://shop.example/winter', commissionPlanId: m.plan.id, holdingDays: 30 }),
    );
    const csv = roster(2);
    const importTo = async (campaignId: string) => (await json<{ data: { invites: Invite[] } }>(await m.brand.api('POST', `/api/admin/campaigns/${campaignId}/import`, { csv, codePattern: `{HANDLE}${campaignId === m.campaign.id ? '15' : '20'}` }))).data.invites;
    const invites = await importTo(m.campaign.id);
    await importTo(second.data.id);
    const mailFor = (campaignId: string) => m.brand.api('POST', `/api/admin/campaigns/${campaignId}/invitations/mail`);
    capture();
    expect((await json<Mailing>(await mailFor(m.campaign.id))).data).toEqual({ queued: 2, skipped: { ...none, accepted: 1 } });
    expect((await json<Mailing>(await mailFor(second.data.id))).data).toEqual({ queued: 0, skipped: { ...none, recentlyMailed: 2 } });
    await waitFor(async () => (invites.every((i) => mailedTo(i.email).length === 1) ? true : null), 15_000);
    // Three days on, the second campaign's ask mails them (its reminder of sorts).
    await age(m.campaign.id, 3 * 86_400_000);
    expect((await json<Mailing>(await mailFor(second.data.id))).data.queued).toBe(2);
  });
});

describe('the invitation Chorus mails', () => {
  it('lets a new creator choose their password from it at once, once; the brand’s copy of the link and a forged one do not', { timeout: 30_000 }, async () => {
    const { m, invites, mail } = await withRoster(2);
    capture();
    expect((await mail()).status).toBe(202);
    const [first, second] = invites;
    await waitFor(async () => (mailedTo(first!.email).length > 0 && mailedTo(second!.email).length > 0 ? true : null), 15_000);
    const mailed = (email: string) => new URL(/https?:\/\/\S+\?k=[0-9a-f]{64}&t=\d{13}/.exec(mailedTo(email)[0]!.text)![0]);
    const link = mailed(first!.email);
    expect(link.pathname).toBe(new URL(first!.inviteUrl!).pathname);
    const proof = link.search; // ?k=…&t=…
    const t = link.searchParams.get('t')!;
    expect(Math.abs(Number(t) - Date.now())).toBeLessThan(60_000);
    const raw = link.pathname.split('/').pop()!;
    const stale = await invitationMailProof(env.SECRETS_KEY, raw, first!.email, Date.now() - 8 * 86_400_000);

    // The brand's copy, a forged proof, another creator's, a week-old one and one whose time was moved lead to
    // the usual page, which mails a link.
    const theirs = mailed(second!.email).searchParams;
    for (const url of [
      first!.inviteUrl!,
      `${first!.inviteUrl}?k=${'0'.repeat(64)}&t=${t}`,
      `${first!.inviteUrl}?k=${theirs.get('k')}&t=${theirs.get('t')}`,
      `${first!.inviteUrl}?k=${stale.k}&t=${stale.t}`,
      `${first!.inviteUrl}?k=${link.searchParams.get('k')}&t=${Number(t) + 1}`,
      `${first!.inviteUrl}?k=<script>&t=x`,
    ]) {
      const page = await (await get(new URL(url).pathname + new URL(url).search)).text();
      expect(page, url).toContain('/email"');
      expect(page, url).not.toContain('name="password"');
    }
    const refused = await post(`${link.pathname}/password?k=${stale.k}&t=${stale.t}`, { password: 'a long enough password', confirm: 'a long enough password' }, { ip: freshIp() });
    expect(refused.status).toBe(303);
    expect(await rowCount('SELECT count(*) AS n FROM creators WHERE email = ? AND password_hash IS NOT NULL', first!.email)).toBe(0);

    // A reset link asked for from the brand's copy meanwhile closes once the password is set.
    expect((await post(`${link.pathname}/email`, {}, { ip: freshIp() })).status).toBe(200);
    const openResets = () => rowCount("SELECT count(*) AS n FROM account_tokens t JOIN creators c ON c.id = t.creator_id WHERE c.email = ? AND t.purpose = 'reset' AND t.used_at IS NULL AND t.expires_at > ?", first!.email, Date.now());
    expect(await openResets()).toBe(1);

    // The mailed link: the first password, then signed in.
    const page = await (await get(`${link.pathname}${proof}`)).text();
    expect(page).toContain('Welcome to Chorus');
    expect(page).toContain(`action="${link.pathname}/password${proof.replace('&', '&amp;')}"`);
    const short = await post(`${link.pathname}/password${proof}`, { password: 'short', confirm: 'short' }, { ip: freshIp() });
    expect(short.status).toBe(422);
    const set = await post(`${link.pathname}/password${proof}`, { password: 'a long enough password', confirm: 'a long enough password' }, { ip: freshIp() });
    expect(set.status).toBe(303);
    expect(set.headers.get('location')).toBe('/?welcome=1');
    expect(await openResets()).toBe(0);
    const home = await get('/', sessionCookie(set));
    expect(home.status).toBe(200);
    expect(await home.text()).toContain(`Accept`);
    // Once: the link now leads to sign-in, and a second post sets nothing.
    const stored = await env.DB.prepare('SELECT password_hash FROM creators WHERE email = ?').bind(first!.email).first<{ password_hash: string }>();
    // Opened again from the mail (to find the portal): sign in, with the address filled in.
    const reopened = await (await get(`${link.pathname}${proof}`)).text();
    expect(reopened).toContain('Your account is set up. Sign in');
    expect(reopened).toContain(`value="${first!.email}"`);
    expect(reopened).not.toContain(`${link.pathname}/password`);
    const again = await post(`${link.pathname}/password${proof}`, { password: 'another long password', confirm: 'another long password' }, { ip: freshIp() });
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toBe(link.pathname);
    expect(await env.DB.prepare('SELECT password_hash FROM creators WHERE email = ?').bind(first!.email).first()).toEqual(stored);
    // Nothing was accepted for them: the brand sees them as invited until they accept on their home page.
    expect(await rowCount('SELECT count(*) AS n FROM brand_creators r JOIN creators c ON c.id = r.creator_id WHERE c.email = ? AND r.brand_id = ? AND r.accepted_at IS NOT NULL', first!.email, m.brand.brandId)).toBe(0);
  });
});
