// Chorus mailing a campaign's invitations: each creator who has not accepted gets their own invite link, once a
// day at most, within the brand's daily allowance; a mail that did not leave is retried on the next ask.
import { env, SELF } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import { logTransport, MailError, setTransport, type Message } from '../../../worker/lib/messages';
import { INVITATION_MAILS_PER_BRAND_PER_DAY } from '../../../worker/db/invitation-mails';
import { adminUser, consoleBrand, get, post, signIn, tag } from '../console-fixtures';
import { BASE, createMoneyBrand, json, rowCount, waitFor } from '../fixtures';

type Mailing = { data: { queued: number; skipped: { accepted: number; recentlyMailed: number; lapsed: number; overAllowance: number } } };
type Invite = { email: string; status: string; inviteUrl: string | null };

const roster = (n: number, t = tag()) => ['email,handle,name', ...Array.from({ length: n }, (_, i) => `inv${i}_${t}@creators.test,inv${i}_${t},Creator ${i}`)].join('\n');

let mails: Message[] = [];
afterEach(() => setTransport(logTransport));
function capture(fail?: (m: Message) => boolean) {
  mails = [];
  setTransport(async (m) => {
    if (fail?.(m)) throw new MailError('refused', 'provider refused');
    mails.push(m);
  });
}

async function withRoster(n: number) {
  const m = await createMoneyBrand();
  const res = await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/import`, { csv: roster(n) });
  const invites = (await json<{ data: { invites: Invite[] } }>(res)).data.invites;
  return { m, invites, mail: () => m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/invitations/mail`) };
}

describe('emailing a campaign’s invitations', () => {
  it('mails each creator who has not accepted their own link, once a day, and says what it left out', async () => {
    const { m, invites, mail } = await withRoster(3);
    capture();
    const first = await mail();
    expect(first.status).toBe(202);
    // The fixture's creator accepted already; the three imported ones are mailed.
    expect((await json<Mailing>(first)).data).toEqual({ queued: 3, skipped: { accepted: 1, recentlyMailed: 0, lapsed: 0, overAllowance: 0 } });
    await waitFor(async () => (mails.length === 3 ? true : null));
    for (const invite of invites) {
      const sent = mails.find((x) => x.to === invite.email)!;
      expect(sent.subject).toBe('Test Brand invites you to Glow');
      expect(sent.text).toContain(invite.inviteUrl!);
    }
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'campaign.invitations_mailed'", m.brand.brandId)).toBe(1);

    // Asked again the same day: nothing goes out twice.
    capture();
    expect((await json<Mailing>(await mail())).data).toEqual({ queued: 0, skipped: { accepted: 1, recentlyMailed: 3, lapsed: 0, overAllowance: 0 } });
    // A day later, those still not accepted get it again; one who accepted meanwhile does not.
    await env.DB.prepare('UPDATE invitation_mails SET sent_at = sent_at - 86400001 WHERE campaign_id = ?').bind(m.campaign.id).run();
    await env.DB.prepare("UPDATE enrollments SET status = 'active' WHERE campaign_id = ? AND creator_id = (SELECT id FROM creators WHERE email = ?)").bind(m.campaign.id, invites[0]!.email).run();
    await env.DB.prepare('UPDATE brand_creators SET accepted_at = ? WHERE brand_id = ? AND creator_id = (SELECT id FROM creators WHERE email = ?)').bind(Date.now(), m.brand.brandId, invites[0]!.email).run();
    // A lapsed link is not mailed: importing the row again renews it.
    await env.DB.prepare("UPDATE account_tokens SET expires_at = 1 WHERE brand_id = ? AND purpose = 'invite' AND creator_id = (SELECT id FROM creators WHERE email = ?)").bind(m.brand.brandId, invites[1]!.email).run();
    expect((await json<Mailing>(await mail())).data).toEqual({ queued: 1, skipped: { accepted: 2, recentlyMailed: 0, lapsed: 1, overAllowance: 0 } });
    await waitFor(async () => (mails.length === 1 ? true : null));
    expect(mails[0]!.to).toBe(invites[2]!.email);
  });

  it('retries a mail the provider refused, and keeps a brand within its daily allowance', async () => {
    const { m, invites, mail } = await withRoster(2);
    capture((x) => x.to === invites[0]!.email);
    expect((await json<Mailing>(await mail())).data.queued).toBe(2);
    await waitFor(async () => ((await rowCount('SELECT count(*) AS n FROM invitation_mails WHERE campaign_id = ?', m.campaign.id)) === 1 ? true : null));
    capture();
    expect((await json<Mailing>(await mail())).data).toMatchObject({ queued: 1, skipped: { recentlyMailed: 1 } });
    await waitFor(async () => (mails.length === 1 ? true : null));
    expect(mails[0]!.to).toBe(invites[0]!.email);

    // A brand that mailed its allowance less one today gets one more out; the other waits for another day.
    const other = await withRoster(2);
    const now = Date.now();
    const filler = Array.from({ length: INVITATION_MAILS_PER_BRAND_PER_DAY - 1 }, (_, i) => i);
    for (let i = 0; i < filler.length; i += 25) {
      const chunk = filler.slice(i, i + 25);
      await env.DB.prepare(`INSERT INTO invitation_mails (campaign_id, email, brand_id, sent_at) VALUES ${chunk.map(() => '(?, ?, ?, ?)').join(', ')}`)
        .bind(...chunk.flatMap((j) => [other.m.campaign.id, `filler${j}@creators.test`, other.m.brand.brandId, now]))
        .run();
    }
    capture();
    expect((await json<Mailing>(await other.mail())).data).toMatchObject({ queued: 1, skipped: { overAllowance: 1 } });
    expect(await rowCount('SELECT count(*) AS n FROM invitation_mails WHERE campaign_id = ? AND email LIKE ?', other.m.campaign.id, 'inv%')).toBe(1);
  });

  it('refuses another brand’s campaign, an ended one and a missing key, mailing nothing', async () => {
    const { m, mail } = await withRoster(1);
    const stranger = await createMoneyBrand();
    capture();
    expect((await stranger.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/invitations/mail`)).status).toBe(404);
    expect((await SELF.fetch(`${BASE}/api/admin/campaigns/${m.campaign.id}/invitations/mail`, { method: 'POST' })).status).toBe(401);
    await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { status: 'ended' });
    const ended = await mail();
    expect(ended.status).toBe(409);
    expect((await json<{ error: { code: string } }>(ended)).error.code).toBe('campaign_ended');
    expect(await rowCount('SELECT count(*) AS n FROM invitation_mails WHERE campaign_id = ?', m.campaign.id)).toBe(0);
    expect(mails).toHaveLength(0);
  });

  it('is a button for owners and managers in the console, which says what went out', async () => {
    const o = await consoleBrand('manager');
    await o.brand.api('POST', `/api/admin/campaigns/${o.campaign.id}/import`, { csv: roster(2) });
    const path = `/console/campaigns/${o.campaign.id}`;
    expect(await (await get(`${path}/import`, o.cookie)).text()).toContain('Email the invitations');
    capture();
    const res = await post(`${path}/invitations/mail`, {}, { cookie: o.cookie });
    expect(res.status).toBe(303);
    const page = await (await get(res.headers.get('location')!, o.cookie)).text();
    expect(page).toContain('Emailing 2 invitations now. Not emailed: 1 accepted already.');
    const again = await (await get((await post(`${path}/invitations/mail`, {}, { cookie: o.cookie })).headers.get('location')!, o.cookie)).text();
    expect(again).toContain('No invitations to email. Not emailed: 2 mailed in the last day; 1 accepted already.');
    // Made-up counts in the address are only numbers, and a flash it never sent shows nothing.
    expect(await (await get(`${path}/import?flash=mailed&queued=%3Cb%3E`, o.cookie)).text()).toContain('No invitations to email.');

    const viewer = await adminUser(o.brand.brandId, 'viewer');
    const cookie = await signIn(viewer.email);
    expect(await (await get(`${path}/import`, cookie)).text()).not.toContain('Email the invitations');
    expect((await post(`${path}/invitations/mail`, {}, { cookie })).status).toBe(403);
    expect((await post(`${path}/invitations/mail`, {}, { cookie: o.cookie, origin: 'https://evil.example' })).status).toBe(403);
    const stranger = await consoleBrand('owner');
    expect((await post(`${path}/invitations/mail`, {}, { cookie: stranger.cookie })).status).toBe(404);
  });
});
