// The mail that tells a creator what they earned: once a day at most, only when an order was credited to them
// since the last one, of brands they accepted, to accounts that can sign in, and off when they turn it off.
import { env } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import type { Env } from '../../worker/env';
import { earningsDigest, mailEarningsDigests, type CampaignEarnings } from '../../worker/jobs/earnings-digest';
import { logTransport, MailError, setTransport, type Message } from '../../worker/lib/messages';
import { BASE, createMoneyBrand, insertLedgerEntry, json, rowCount, signedPost, waitFor } from './fixtures';
import { fetchWorker, get, post } from './forms';
import { unsubscribeToken } from '../../worker/db/mail-opt-outs';
import { portalTestDefaults, signedInCreator } from './portal-fixtures';

portalTestDefaults();
afterEach(() => setTransport(logTransport));

const DAY = 86_400_000;
// Entries settle a minute before a run tells of them.
const later = () => Date.now() + 61_000;
const order = (m: { code: string }, orderId: string, amountMinor: number) => ({ orderId, amountMinor, currency: 'USD', occurredAt: new Date().toISOString(), code: m.code });

function mailbox() {
  const sent: Message[] = [];
  setTransport(async (msg) => void sent.push(msg));
  return sent;
}

describe('the earnings mail', () => {
  it('tells a creator what new orders earned, once a day, then only what is new', { timeout: 40_000 }, async () => {
    const m = await signedInCreator();
    const sent = mailbox();
    const mine = () => sent.filter((s) => s.to === m.email && s.subject.includes('earn'));
    // Runs as the cron would make them, `days` on.
    const run = (days = 0) => mailEarningsDigests({ ...env, PUBLIC_ORIGIN: 'https://chorus.example' } as Env, later() + days * DAY);

    expect(await run()).toBe(0); // nothing earned yet
    const t = Date.now();
    for (const [i, amount] of [40_000, 20_000].entries()) expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', order(m, `ed-${t}-${i}`, amount))).status).toBe(201);
    // A minute has not passed: those orders wait for the next run.
    expect(await mailEarningsDigests(env as Env, Date.now())).toBe(0);
    expect(await run()).toBe(1);
    const first = await waitFor(async () => mine()[0]);
    expect(first.subject).toBe('You earned $60.00 at Test Brand');
    expect(first.text).toContain('Hi Sarah,');
    expect(first.text).toContain('Test Brand · Glow\n2 new orders earned you $60.00 in commission.');
    expect(first.text).toContain('You are on Tier 1 · 10%: $400.00 more in sales this month reaches Tier 2 · 15%.');
    expect(first.text).toMatch(/Held for returns until \w{3} \d{1,2}, \d{4}, then paid in the next payout\./);
    expect(first.text).toContain('https://chorus.example/earnings');
    const stop = /https:\/\/chorus\.example(\/unsubscribe\/earnings\/[\w.-]+)/.exec(first.text)![1]!;
    expect(first.headers!['List-Unsubscribe']).toBe(`<https://chorus.example/v1${stop}>`);

    // A third order and a refund the same day: nothing until a day has passed since the mail.
    expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', order(m, `ed-${t}-2`, 50_000))).status).toBe(201);
    expect((await signedPost(m.brand, m.ingestKey, '/v1/refunds', { refundId: `edr-${t}`, orderId: `ed-${t}-0`, amountMinor: 10_000, currency: 'USD', occurredAt: new Date().toISOString() })).status).toBe(201);
    expect(await run()).toBe(0);
    expect(await run(1)).toBe(1);
    await waitFor(async () => (mine().length === 2 ? true : null));
    const second = mine()[1]!;
    // 600.00 in sales before it: the order reached Tier 2, and earned 15% of 500.00.
    expect(second.subject).toBe('You earned $75.00 at Test Brand');
    expect(second.text).toContain('A new order earned you $75.00 in commission.');
    expect(second.text).toContain('Refunds took back $10.00.');
    // 400 + 200 + 500 − 100 in sales this month: past Tier 2's 1,000.00.
    expect(second.text).toContain('You are on Tier 2 · 15%: $4,000.00 more in sales this month reaches Tier 3 · 20%.');
    expect(second.text).not.toContain('2 new orders');

    // A day on with only a refund: no mail (a refund alone is not news worth a mail), and nothing lost either.
    expect((await signedPost(m.brand, m.ingestKey, '/v1/refunds', { refundId: `edr2-${t}`, orderId: `ed-${t}-1`, amountMinor: 20_000, currency: 'USD', occurredAt: new Date().toISOString() })).status).toBe(201);
    expect(await run(2)).toBe(0);

    // The mail's link works without signing in: the page asks, the button stops it, and can start it again.
    const page = await get(stop);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`Stop the email that tells <strong>${m.email}</strong> what new orders earned?`);
    expect((await post(stop, { mail: 'off' }, { origin: 'https://evil.example' })).status).toBe(403);
    expect(await (await post(stop, { mail: 'off' })).text()).toContain(`We will no longer email ${m.email} when you earn.`);
    expect(await rowCount('SELECT earnings_digest AS n FROM creators WHERE id = ?', m.creator.id)).toBe(0);
    expect(await (await post(stop, { mail: 'on' })).text()).toContain(`We will email ${m.email} on days you earn.`);
    // A mail client's one-click POST (no Origin: it comes from the mail provider), and its plain GET, which asks first.
    const oneClick = await fetchWorker(`${BASE}/v1${stop}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(oneClick.status).toBe(200);
    expect(await oneClick.json()).toEqual({ data: { unsubscribed: true } });
    expect(await rowCount('SELECT earnings_digest AS n FROM creators WHERE id = ?', m.creator.id)).toBe(0);
    expect((await fetchWorker(`${BASE}/v1${stop}`, { redirect: 'manual' })).headers.get('location')).toBe(stop);
    expect((await post('/account/emails', { earningsDigest: 'on' }, { cookie: m.cookie })).status).toBe(303);
    // A link cut short, forged, or an invitation's unsubscribe token (sealed under another key) changes nothing.
    const invitationToken = await unsubscribeToken(env.SECRETS_KEY, { brandId: m.brand.brandId, email: m.email });
    for (const bad of [stop.slice(0, -3), '/unsubscribe/earnings/abc.def', `/unsubscribe/earnings/${invitationToken}`]) {
      expect((await get(bad)).status).toBe(410);
      expect((await post(bad, { mail: 'off' })).status).toBe(410);
      const res = await fetchWorker(`${BASE}/v1${bad}`, { method: 'POST' });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
    }
    expect(await rowCount('SELECT earnings_digest AS n FROM creators WHERE id = ?', m.creator.id)).toBe(1);
    // After the account moves to another address, an old mail's link names nobody and changes nothing.
    await env.DB.prepare('UPDATE creators SET email = ? WHERE id = ?').bind(`moved-${m.email}`, m.creator.id).run();
    expect((await get(stop)).status).toBe(410);
    expect((await fetchWorker(`${BASE}/v1${stop}`, { method: 'POST' })).status).toBe(404);
    expect(await rowCount('SELECT earnings_digest AS n FROM creators WHERE id = ?', m.creator.id)).toBe(1);
  });

  it('goes to nobody who turned it off, never signed up, or has not accepted the brand; two runs at once mail once', { timeout: 40_000 }, async () => {
    const on = await signedInCreator();
    const off = await signedInCreator();
    const invited = await createMoneyBrand({ accepted: false });
    // Turning it off on the Account page, from this site only, and back on.
    expect((await post('/account/emails', {}, { cookie: off.cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect((await post('/account/emails', {}, {})).status).toBe(401);
    let page = await (await get('/account', off.cookie)).text();
    expect(page).toMatch(/<input type="checkbox" name="earningsDigest" value="on" checked=""/);
    const saved = await post('/account/emails', {}, { cookie: off.cookie });
    expect(saved.headers.get('location')).toBe('/account?done=digest-off');
    page = await (await get('/account?done=digest-off', off.cookie)).text();
    expect(page).toContain('We will no longer email you when you earn.');
    expect(page).toMatch(/<input type="checkbox" name="earningsDigest" value="on"\/>/);
    expect(await rowCount('SELECT count(*) AS n FROM creators WHERE id = ? AND earnings_digest = 0', off.creator.id)).toBe(1);

    const t = Date.now();
    for (const m of [on, off, invited]) expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', order(m, `edo-${t}-${m.handle}`, 10_000))).status).toBe(201);
    const sent = mailbox();
    const now = later();
    const runs = await Promise.all([mailEarningsDigests(env as Env, now), mailEarningsDigests(env as Env, now)]);
    await waitFor(async () => (sent.some((s) => s.to === on.email) ? true : null));
    await new Promise((r) => setTimeout(r, 500));
    expect(sent.filter((s) => s.to === on.email)).toHaveLength(1);
    expect(sent.filter((s) => [off.email, `${invited.handle}@creators.test`].includes(s.to))).toEqual([]);
    expect(runs.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
    expect(await rowCount('SELECT count(*) AS n FROM creators WHERE id IN (?, ?) AND earnings_digest_at IS NOT NULL', off.creator.id, invited.creator.id)).toBe(0);

    // Back on: the next order is mailed about.
    expect((await post('/account/emails', { earningsDigest: 'on' }, { cookie: off.cookie })).headers.get('location')).toBe('/account?done=digest-on');
    expect((await signedPost(off.brand, off.ingestKey, '/v1/conversions', order(off, `edo2-${t}`, 10_000))).status).toBe(201);
    await mailEarningsDigests(env as Env, later());
    await waitFor(async () => (sent.some((s) => s.to === off.email) ? true : null));
  });
});

describe('the earnings mail when things go wrong', () => {
  it('gives the claims back when a run fails after claiming, so the next run mails the same orders', { timeout: 30_000 }, async () => {
    const m = await signedInCreator();
    expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', order(m, `edf-${Date.now()}`, 30_000))).status).toBe(201);
    // A D1 that fails the run's second statement (the fault injected on purpose; everything else is the real D1).
    const db = env.DB;
    const failing = new Proxy(db, {
      get: (target, key) =>
        key === 'prepare'
          ? (sql: string) => {
              if (sql.includes('AS taken_back')) throw new Error('D1_ERROR: injected');
              return target.prepare(sql);
            }
          : Reflect.get(target, key, target),
    });
    const now = later();
    await expect(mailEarningsDigests({ ...env, DB: failing } as Env, now)).rejects.toThrow('injected');
    const sent = mailbox();
    expect(await mailEarningsDigests(env as Env, now + 15 * 60_000)).toBeGreaterThanOrEqual(1);
    const mail = await waitFor(async () => sent.find((s) => s.to === m.email));
    expect(mail.text).toContain('A new order earned you $30.00 in commission.');
  });

  it('gives back the claim of a digest the queue and the provider both refused, so the next run sends it', { timeout: 30_000 }, async () => {
    const m = await signedInCreator();
    expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', order(m, `edr-${Date.now()}`, 30_000))).status).toBe(201);
    const down = { ...env, MAIL: { sendBatch: () => Promise.reject(new Error('queue down')) } } as unknown as Env;
    setTransport(() => Promise.reject(new MailError('refused', 'provider refused')));
    const now = later();
    // The figure is the digests handed on: none left.
    expect(await mailEarningsDigests(down, now)).toBe(0);
    expect(await rowCount('SELECT count(*) AS n FROM creators WHERE id = ? AND earnings_digest_at = ?', m.creator.id, now)).toBe(0);
    const sent = mailbox();
    expect(await mailEarningsDigests(env as Env, now + 15 * 60_000)).toBeGreaterThanOrEqual(1);
    const mail = await waitFor(async () => sent.find((s) => s.to === m.email));
    expect(mail.text).toContain('A new order earned you $30.00 in commission.');
  });

  it('tells of a week at most, and after being turned back on, of the last day only', { timeout: 30_000 }, async () => {
    const m = await signedInCreator();
    const sent = mailbox();
    const mine = () => sent.filter((s) => s.to === m.email);
    // An order while the mail was off, then turned back on a day later: that order is not news any more.
    expect((await post('/account/emails', {}, { cookie: m.cookie })).status).toBe(303);
    const t = Date.now();
    expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', order(m, `edw-${t}-0`, 10_000))).status).toBe(201);
    await env.DB.prepare('UPDATE ledger_entries SET created_at = created_at - 2 * 86400000 WHERE creator_id = ?').bind(m.creator.id).run();
    expect((await post('/account/emails', { earningsDigest: 'on' }, { cookie: m.cookie })).status).toBe(303);
    expect(await mailEarningsDigests(env as Env, later())).toBe(0);
    expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', order(m, `edw-${t}-1`, 20_000))).status).toBe(201);
    expect(await mailEarningsDigests(env as Env, later())).toBe(1);
    await waitFor(async () => (mine().length === 1 ? true : null));
    expect(mine()[0]!.text).toContain('A new order earned you $20.00 in commission.');
    // A month without a mail: the next one tells of the last week only.
    await env.DB.prepare('UPDATE creators SET earnings_digest_at = earnings_digest_at - 30 * 86400000 WHERE id = ?').bind(m.creator.id).run();
    await env.DB.prepare('UPDATE ledger_entries SET created_at = created_at - 10 * 86400000 WHERE creator_id = ?').bind(m.creator.id).run();
    expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', order(m, `edw-${t}-2`, 40_000))).status).toBe(201);
    expect(await mailEarningsDigests(env as Env, later())).toBe(1);
    await waitFor(async () => (mine().length === 2 ? true : null));
    expect(mine()[1]!.text).toContain('A new order earned you $40.00 in commission.');
  });

  it("tells a creator paid by the post of a post's fee, though no order came", { timeout: 30_000 }, async () => {
    const m = await signedInCreator({ paymentModel: 'flat' });
    const now = Date.now();
    await insertLedgerEntry({ brandId: m.brand.brandId, enrollmentId: m.enrollment.id, creatorId: m.creator.id, kind: 'flat_fee', amountMinor: 25_000, period: '2026-12', availableAt: now, createdAt: now });
    const sent = mailbox();
    expect(await mailEarningsDigests(env as Env, later())).toBe(1);
    const mail = await waitFor(async () => sent.find((s) => s.to === m.email));
    expect(mail.subject).toBe('You earned $250.00 at Test Brand');
    expect(mail.text).toContain('Test Brand · Glow\nFees for posts that went live: $250.00.');
    expect(mail.text).not.toContain('Tier');
  });

  it('leaves out a brand the creator has not accepted, even on the same account', { timeout: 30_000 }, async () => {
    const m = await signedInCreator();
    const other = await createMoneyBrand({ accepted: false });
    // The second brand adds the same account; the creator never accepts it.
    await env.DB.prepare('UPDATE enrollments SET creator_id = ? WHERE id = ?').bind(m.creator.id, other.enrollment.id).run();
    await env.DB.prepare('UPDATE brand_creators SET creator_id = ? WHERE brand_id = ?').bind(m.creator.id, other.brand.brandId).run();
    const t = Date.now();
    expect((await signedPost(other.brand, other.ingestKey, '/v1/conversions', order(other, `edx-${t}`, 90_000))).status).toBe(201);
    expect(await mailEarningsDigests(env as Env, later())).toBe(0);
    expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', order(m, `edy-${t}`, 10_000))).status).toBe(201);
    const sent = mailbox();
    expect(await mailEarningsDigests(env as Env, later())).toBe(1);
    const mail = await waitFor(async () => sent.find((s) => s.to === m.email));
    expect(mail.subject).toBe('You earned $10.00 at Test Brand');
    expect(mail.text).not.toContain('$90.00');
    expect(mail.text).not.toContain('$9.00');
  });

  it('never tells of an order the brand declined before the mail', { timeout: 30_000 }, async () => {
    const m = await signedInCreator();
    const sent = mailbox();
    const mine = () => sent.filter((s) => s.to === m.email);
    const t = Date.now();
    const declined = await json<{ data: { id: string } }>(await signedPost(m.brand, m.ingestKey, '/v1/conversions', order(m, `edd-${t}-0`, 10_000)));
    expect((await m.brand.api('POST', `/api/admin/conversions/${declined.data.id}/decline`, { reason: 'test_order' })).status).toBe(200);
    // Declined alone: no mail is due at all.
    expect(await mailEarningsDigests(env as Env, later())).toBe(0);
    expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', order(m, `edd-${t}-1`, 20_000))).status).toBe(201);
    expect(await mailEarningsDigests(env as Env, later())).toBe(1);
    await waitFor(async () => (mine().length === 1 ? true : null));
    expect(mine()[0]!.text).toContain('A new order earned you $20.00 in commission.');
    expect(mine()[0]!.text).not.toMatch(/\$10\.00|\$1\.00|declined|Refunds took back/);
  });
});

describe('the earnings mail of a decline', () => {
  it('tells of an order declined after a mail told of it, the bonus it cost included, apart from refunds, and of its reinstatement', { timeout: 40_000 }, async () => {
    const m = await signedInCreator({ paymentModel: 'hybrid', bonus: { thresholdMinor: 15_000, amountMinor: 2_000 } });
    const sent = mailbox();
    const mine = () => sent.filter((s) => s.to === m.email);
    const run = (days: number) => mailEarningsDigests(env as Env, later() + days * DAY);
    const t = Date.now();
    const place = async (i: number, amount: number) => (await json<{ data: { id: string } }>(await signedPost(m.brand, m.ingestKey, '/v1/conversions', order(m, `edb-${t}-${i}`, amount)))).data.id;
    await place(0, 10_000);
    const declined = await place(1, 10_000);
    expect(await run(0)).toBe(1);
    await waitFor(async () => (mine().length === 1 ? true : null));
    expect(mine()[0]!.text).toContain('You reached the performance bonus: $20.00.');

    // A day on: the second order declined (the month falls below the bonus's target), and a new order.
    expect((await m.brand.api('POST', `/api/admin/conversions/${declined}/decline`, { reason: 'fraud' })).status).toBe(200);
    await place(2, 3_000);
    expect(await run(1)).toBe(1);
    await waitFor(async () => (mine().length === 2 ? true : null));
    const second = mine()[1]!.text;
    expect(second).toContain("declined an order's commission (its reason is on Stats), taking back $30.00, the month's performance bonus included.");
    expect(second).not.toMatch(/Refunds took back|fraudulent|performance bonus: /);

    // Another day: reinstated, with a new order (written a day on, as the run after that mail finds them).
    const mark = Date.now();
    expect((await m.brand.api('POST', `/api/admin/conversions/${declined}/reinstate`)).status).toBe(200);
    await place(3, 1_000);
    await env.DB.prepare('UPDATE ledger_entries SET created_at = created_at + ? WHERE creator_id = ? AND created_at >= ?').bind(DAY, m.creator.id, mark).run();
    expect(await run(2)).toBe(1);
    await waitFor(async () => (mine().length === 3 ? true : null));
    const third = mine()[2]!.text;
    expect(third).toContain('reinstated a declined order: $30.00 is yours again.');
    expect(third).not.toMatch(/You reached the performance bonus|A refund that failed/);
  });
});

describe('the earnings mail’s words', () => {
  const row = (over: Partial<CampaignEarnings>): CampaignEarnings => ({
    creator_id: 'cr_1', enrollment_id: 'en_1', brand_name: 'Lumen', currency: 'EUR', timezone: 'Europe/Berlin', campaign_name: 'Glow Week', payment_model: 'affiliate',
    tiers: JSON.stringify([{ fromMinor: 0, rateBps: 1000 }]), plan_period: 'month', holding_days: 30, orders: 1, commission: 841, bonus: 0, fees: 0, given_back: 0, taken_back: 0, declined: 0, declined_bonus: 0, reinstated: 0, held_until: null, enrollment_status: 'active', campaign_status: 'active', ends_at: null, ...over,
  });

  it('names every brand, the top tier and a bonus, and leaves out links without a public origin', () => {
    const two = earningsDigest({ email: 'a@x.test', name: 'Ana' }, [row({}), row({ enrollment_id: 'en_2', brand_name: 'Mossy', currency: 'USD', bonus: 5_000 })], new Map(), 0, null);
    expect(two.subject).toBe('New earnings at Lumen and Mossy');
    expect(two.text).toContain('Mossy · Glow Week\nA new order earned you $8.41 in commission.\nYou reached the performance bonus: $50.00.');
    expect(two.text).toContain('on the Earnings page of your Chorus portal');
    expect(two.text).not.toContain('http');
    const three = earningsDigest({ email: 'a@x.test', name: 'Ana' }, [row({}), row({ brand_name: 'Mossy' }), row({ brand_name: 'Nook' })], new Map(), 0, null);
    expect(three.subject).toBe('New earnings at Lumen and 2 more brands');
    const top = earningsDigest({ email: 'a@x.test', name: 'Ana' }, [row({ tiers: JSON.stringify([{ fromMinor: 0, rateBps: 1000 }, { fromMinor: 100, rateBps: 1500 }]) })], new Map([['en_1', 500]]), 0, { origin: 'https://c.example', stopToken: 'tok' });
    expect(top.subject).toBe('You earned €8.41 at Lumen');
    expect(top.text).toContain('You are in the top tier: every sale earns 15%.');
    expect(top.text).toContain('To stop it: https://c.example/unsubscribe/earnings/tok (or under Emails on your Account page).');
    expect(top.headers).toEqual({ 'List-Unsubscribe': '<https://c.example/v1/unsubscribe/earnings/tok>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' });
    expect(two.headers).toBeUndefined();
  });
});
