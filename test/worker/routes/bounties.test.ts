// Bounties: a campaign's one-off reward for reaching a goal, created through the API, awarded by the cron once per
// creator as an adjustment entry, counted from attributed orders in the window that were not refunded in full.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { awardBounties, BOUNTIES_PER_RUN, bountySettleAfter } from '../../../worker/db/bounties';
import { erasedEmail } from '../../../worker/db/creator-erasure';
import { BOUNTY_AWARD_MAIL_LOOKBACK_MS, mailBountyAwards } from '../../../worker/jobs/bounty-award-mail';
import { MAIL_CLAIM_LEASE_MS } from '../../../worker/mail';
import type { Env } from '../../../worker/env';
import { newId } from '../../../worker/lib/ids';
import { logTransport, MailError, setTransport } from '../../../worker/lib/messages';
import { addAcceptedCreator, captureLogs, createBrand, createMoneyBrand, json, rowCount, runCron, waitFor, type Data } from '../fixtures';
import { capturingMail } from '../two-step-fixtures';
import { formatPeriod } from '../../../portal/format';
import { adminUser, consoleBrand, get, post, signIn } from '../console-fixtures';
import { portalTestDefaults, signedInCreator } from '../portal-fixtures';

portalTestDefaults();

type Bounty = { id: string; reached: number; paidMinor: number; archivedAt: string | null; startsAt: string; endsAt: string };
type ErrorBody = { error: { code: string } };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// A day n days from today, as the console's date inputs send it.
const dayIn = (n: number) => new Date(Date.now() + n * DAY).toISOString().slice(0, 10);
const key = () => ({ 'idempotency-key': crypto.randomUUID() });
// A console form's key, as the page hands out.
const fk = () => crypto.randomUUID().replace(/-/g, '');
const noHolding = (campaignId: string) => env.DB.prepare('UPDATE campaigns SET holding_days = 0 WHERE id = ?').bind(campaignId).run();

async function insertOrder(m: { brandId: string; enrollmentId: string }, amountMinor: number, occurredAt: number, attribution: 'code' | 'none' = 'code', extra: { selfPurchase?: number; renewalOf?: string } = {}): Promise<string> {
  const order = newId('ord');
  await env.DB.prepare(
    `INSERT INTO conversions (id, brand_id, external_order_id, amount_minor, currency, occurred_at, attribution, enrollment_id, source, payload_hash, created_at, self_purchase, renewal_of)
     VALUES (?, ?, ?, ?, 'USD', ?, ?, ?, 'api', 'h', ?, ?, ?)`,
  )
    .bind(newId('cv'), m.brandId, order, amountMinor, occurredAt, attribution, attribution === 'none' ? null : m.enrollmentId, occurredAt, extra.selfPurchase ?? 0, extra.renewalOf ?? null)
    .run();
  return order;
}

const refund = (brandId: string, order: string, amountMinor: number) =>
  env.DB.prepare("INSERT INTO refunds (id, brand_id, external_refund_id, external_order_id, amount_minor, currency, occurred_at, status, source, payload_hash, created_at) VALUES (?, ?, ?, ?, ?, 'USD', ?, 'applied', 'api', 'h', ?)")
    .bind(newId('rf'), brandId, newId('x'), order, amountMinor, Date.now(), Date.now())
    .run();

const awardsOf = (enrollmentId: string) =>
  env.DB.prepare("SELECT l.amount_minor, l.kind, l.note, l.currency FROM ledger_entries l WHERE l.enrollment_id = ? AND l.event_key LIKE 'bounty:%'")
    .bind(enrollmentId)
    .all<{ amount_minor: number; kind: string; note: string; currency: string }>()
    .then((r) => r.results);

// A brand with one accepted creator in an active campaign without a holding period (orders count at once), and a
// bounty on it over [now - 1 day, now + 1 day).
async function withBounty(body: Record<string, unknown> = {}, opts: { holding?: boolean } = {}) {
  const m = await createMoneyBrand();
  if (!opts.holding) await noHolding(m.campaign.id);
  const now = Date.now();
  const res = await m.brand.api(
    'POST',
    `/api/admin/campaigns/${m.campaign.id}/bounties`,
    { title: 'Three sales', metric: 'sales', target: 3, rewardMinor: 5_000, startsAt: new Date(now - 24 * HOUR).toISOString(), endsAt: new Date(now + 24 * HOUR).toISOString(), ...body },
    { 'idempotency-key': crypto.randomUUID() },
  );
  expect(res.status).toBe(201);
  const bounty = (await json<Data<Bounty>>(res)).data;
  return { m, bounty, at: { brandId: m.brand.brandId, enrollmentId: m.enrollment.id }, now };
}

describe('bounties', () => {
  it('refuses hostile and impossible bounties, another brand’s campaign and an ended one, writing nothing', async () => {
    const m = await createMoneyBrand();
    const other = await createMoneyBrand();
    const send = (body: unknown, campaignId = m.campaign.id) => m.brand.api('POST', `/api/admin/campaigns/${campaignId}/bounties`, body, key());
    const ok = { title: 'Ten sales', metric: 'sales', target: 10, rewardMinor: 5_000, endsAt: new Date(Date.now() + 86_400_000).toISOString() };
    const soon = new Date(Date.now() + HOUR).toISOString();
    for (const body of [
      { ...ok, title: 'x'.repeat(81) },
      { ...ok, title: '' },
      { ...ok, title: 'two\nlines' },
      { ...ok, metric: 'clicks' },
      { ...ok, target: 0 },
      { ...ok, target: '10' },
      { ...ok, target: 1.5 },
      { ...ok, rewardMinor: -500 },
      { ...ok, rewardMinor: 0 },
      { ...ok, rewardMinor: 10_000_001 },
      { ...ok, rewardMinor: 1e300 },
      { ...ok, endsAt: 'tomorrow' },
      { ...ok, startsAt: soon, endsAt: soon },
      { ...ok, endsAt: new Date(Date.now() - HOUR).toISOString() },
      { ...ok, startsAt: new Date(Date.now() - 2 * HOUR).toISOString(), endsAt: new Date(Date.now() - HOUR).toISOString() },
      { ...ok, endsAt: new Date(Date.now() + 367 * DAY).toISOString() },
      { ...ok, endsAt: '2200-01-01T00:00:00Z' },
      { ...ok, startsAt: '1999-12-31T00:00:00Z' },
      { ...ok, currency: 'EUR' },
      [ok],
    ]) {
      const res = await send(body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(422);
      expect((await json<ErrorBody>(res)).error.code).toBe('validation_failed');
    }
    // Every window problem is one rule (windowProblem), told beside endsAt.
    for (const body of [
      { ...ok, startsAt: soon, endsAt: soon },
      { ...ok, endsAt: new Date(Date.now() - HOUR).toISOString() },
      { ...ok, endsAt: new Date(Date.now() + 367 * DAY).toISOString() },
    ]) {
      const res = await send(body);
      expect((await json<{ error: { details: { issues: { path: string }[] } } }>(res)).error.details.issues.map((i) => i.path)).toEqual(['endsAt']);
    }
    const foreign = await send(ok, other.campaign.id);
    expect(foreign.status).toBe(404);
    expect((await json<ErrorBody>(foreign)).error.code).toBe('not_found');
    expect((await m.brand.api('GET', `/api/admin/campaigns/${other.campaign.id}/bounties`)).status).toBe(404);
    // A key makes one bounty for good: the same call again (past the idempotency middleware's memory: its row
    // deleted) answers it, its key with other fields is refused.
    const once = { 'idempotency-key': `once-${m.campaign.id}` };
    const first = await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/bounties`, ok, once);
    expect(first.status).toBe(201);
    const made = (await json<Data<Bounty>>(first)).data;
    // Its activity entry holds the window as the API answers it and the currency, and reads as a sentence.
    const audit = await env.DB.prepare("SELECT details FROM audit_log WHERE brand_id = ? AND action = 'bounty.created'").bind(m.brand.brandId).first<{ details: string }>();
    expect(JSON.parse(audit!.details)).toMatchObject({ bountyId: made.id, currency: expect.stringMatching(/^[A-Z]{3}$/), startsAt: made.startsAt, endsAt: made.endsAt });
    const owner = await signIn((await adminUser(m.brand.brandId, 'owner')).email);
    expect(await (await get('/console/activity?area=campaigns', owner)).text()).toMatch(/“Ten sales”: 10 sales by [^<]+, pays /);
    await env.DB.prepare('DELETE FROM idempotency_keys WHERE brand_id = ?').bind(m.brand.brandId).run();
    const replay = await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/bounties`, ok, once);
    expect([replay.status, (await json<Data<Bounty>>(replay)).data.id]).toEqual([201, made.id]);
    await env.DB.prepare('DELETE FROM idempotency_keys WHERE brand_id = ?').bind(m.brand.brandId).run();
    const reused = await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/bounties`, { ...ok, rewardMinor: 9_999 }, once);
    expect([reused.status, (await json<ErrorBody>(reused)).error.code]).toEqual([409, 'idempotency_conflict']);
    await env.DB.prepare('DELETE FROM bounties WHERE id = ?').bind(made.id).run();
    // A bounty is money: no key, no bounty.
    const keyless = await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/bounties`, ok);
    expect([keyless.status, (await json<ErrorBody>(keyless)).error.code]).toEqual([400, 'idempotency_key_required']);
    // A campaign with an end date: a window past it is refused; once the date has passed, so is any bounty.
    const endsAt = Date.now() + 2 * DAY;
    await env.DB.prepare('UPDATE campaigns SET ends_at = ? WHERE id = ?').bind(endsAt, m.campaign.id).run();
    const past = await send({ ...ok, endsAt: new Date(endsAt + HOUR).toISOString() });
    expect([past.status, (await json<ErrorBody>(past)).error.code]).toEqual([422, 'validation_failed']);
    await env.DB.prepare('UPDATE campaigns SET ends_at = ? WHERE id = ?').bind(Date.now() - HOUR, m.campaign.id).run();
    const overdue = await send(ok);
    expect([overdue.status, (await json<ErrorBody>(overdue)).error.code]).toEqual([409, 'campaign_ended']);
    await env.DB.prepare('UPDATE campaigns SET ends_at = NULL WHERE id = ?').bind(m.campaign.id).run();
    await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { status: 'ended' });
    const ended = await send(ok);
    expect(ended.status).toBe(409);
    expect((await json<ErrorBody>(ended)).error.code).toBe('campaign_ended');
    expect(await rowCount('SELECT count(*) AS n FROM bounties WHERE brand_id = ?', m.brand.brandId)).toBe(0);
  });

  it('awards a creator who reached the target once, across two runs and two at once, and keeps it after a refund', async () => {
    const { m, bounty, at, now } = await withBounty();
    const orders = [await insertOrder(at, 2_000, now - HOUR), await insertOrder(at, 2_000, now - HOUR)];
    // Not attributed to them, and refunded in full: neither counts.
    await insertOrder(at, 2_000, now - HOUR, 'none');
    const refunded = await insertOrder(at, 2_000, now - HOUR);
    await refund(at.brandId, refunded, 2_000);
    await awardBounties(env.DB, Date.now());
    expect(await awardsOf(at.enrollmentId)).toEqual([]);
    // A partial refund leaves an order a sale.
    const third = await insertOrder(at, 2_000, now - HOUR);
    await refund(at.brandId, third, 500);
    await Promise.all([awardBounties(env.DB, Date.now()), awardBounties(env.DB, Date.now())]);
    await runCron();
    expect(await awardsOf(at.enrollmentId)).toEqual([{ amount_minor: 5_000, kind: 'adjustment', note: 'Bounty reached: Three sales', currency: 'USD' }]);
    expect(await rowCount('SELECT count(*) AS n FROM bounty_awards WHERE bounty_id = ?', bounty.id)).toBe(1);
    // One activity entry for the award, by the system's bounty check, however many runs raced.
    const audited = await env.DB.prepare("SELECT actor_type, actor_id, target_type, target_id, details FROM audit_log WHERE brand_id = ? AND action = 'bounty.awarded'").bind(at.brandId).all<{ details: string }>();
    expect(audited.results).toMatchObject([{ actor_type: 'system', actor_id: 'bounty-check', target_type: 'enrollment', target_id: at.enrollmentId }]);
    expect(JSON.parse(audited.results[0]!.details)).toMatchObject({ bountyId: bounty.id, title: 'Three sales', amountMinor: 5_000, currency: 'USD' });
    await refund(at.brandId, orders[0]!, 2_000);
    await awardBounties(env.DB, Date.now());
    expect((await awardsOf(at.enrollmentId)).length).toBe(1);
    const listed = (await json<Data<Bounty[]>>(await m.brand.api('GET', `/api/admin/campaigns/${m.campaign.id}/bounties`))).data;
    expect(listed).toMatchObject([{ id: bounty.id, reached: 1, paidMinor: 5_000 }]);
    const awards = await json<Data<{ enrollmentId: string; amountMinor: number }[]> & { nextCursor: string | null }>(await m.brand.api('GET', `/api/admin/bounties/${bounty.id}/awards?limit=1`));
    expect(awards).toMatchObject({ data: [{ enrollmentId: at.enrollmentId, amountMinor: 5_000 }], nextCursor: null });
  });

  it('counts orders in [startsAt, endsAt) only, and settles a closed window after its last look', async () => {
    const start = Date.now() - 10 * HOUR;
    const end = Date.now() - 4 * HOUR;
    const { bounty, at } = await withBounty({ target: 2, startsAt: new Date(start).toISOString() });
    // A window that has closed already (the API takes only one that has not).
    await env.DB.prepare('UPDATE bounties SET ends_at = ? WHERE id = ?').bind(end, bounty.id).run();
    await insertOrder(at, 1_000, start - 1);
    await insertOrder(at, 1_000, end);
    await insertOrder(at, 1_000, start);
    await awardBounties(env.DB, Date.now());
    expect(await awardsOf(at.enrollmentId)).toEqual([]);
    await insertOrder(at, 1_000, end - 1);
    const settled = () => env.DB.prepare('SELECT settled_at FROM bounties WHERE id = ?').bind(bounty.id).first<{ settled_at: number | null }>();
    await awardBounties(env.DB, Date.now());
    expect((await awardsOf(at.enrollmentId)).length).toBe(1);
    expect((await settled())!.settled_at).toBeNull();
    // Settled once late-credited orders could still arrive and clear: 15 days, or the holding period if longer.
    expect(bountySettleAfter(0)).toBe(15 * DAY);
    expect(bountySettleAfter(30)).toBe(30 * DAY);
    await awardBounties(env.DB, end + 2 * DAY);
    expect((await settled())!.settled_at).toBeNull();
    await awardBounties(env.DB, end + bountySettleAfter(0));
    expect((await settled())!.settled_at).toBe(end + bountySettleAfter(0));
  });

  it('sums revenue net of partial refunds', async () => {
    const { at, now } = await withBounty({ metric: 'revenue', target: 10_000 });
    const a = await insertOrder(at, 6_000, now - HOUR);
    await insertOrder(at, 5_000, now - HOUR);
    await refund(at.brandId, a, 2_000);
    await awardBounties(env.DB, Date.now());
    expect(await awardsOf(at.enrollmentId)).toEqual([]);
    await insertOrder(at, 1_000, now - HOUR);
    await awardBounties(env.DB, Date.now());
    expect((await awardsOf(at.enrollmentId)).length).toBe(1);
  });

  it('awards neither a removed nor an erased creator, nor anyone after it is archived', async () => {
    const { m, bounty, at, now } = await withBounty({ target: 1 });
    const second = await addAcceptedCreator(m.brand, { email: `b-${at.enrollmentId}@creators.test`, handle: `b_${Date.now().toString(36)}`, displayName: 'B' });
    const enrolled = (await json<Data<{ id: string }>>(await m.brand.api('POST', '/api/admin/enrollments', { campaignId: m.campaign.id, creatorId: second.data.id, paymentModel: 'affiliate', status: 'active' }))).data;
    await insertOrder(at, 1_000, now - HOUR);
    await insertOrder({ brandId: at.brandId, enrollmentId: enrolled.id }, 1_000, now - HOUR);
    await env.DB.prepare("UPDATE enrollments SET status = 'removed', removed_at = ? WHERE id = ?").bind(now, at.enrollmentId).run();
    await env.DB.prepare('UPDATE brand_creators SET erased_at = ? WHERE brand_id = ? AND creator_id = ?').bind(now, at.brandId, second.data.id).run();
    await awardBounties(env.DB, Date.now());
    expect(await rowCount('SELECT count(*) AS n FROM bounty_awards WHERE bounty_id = ?', bounty.id)).toBe(0);
    await env.DB.prepare("UPDATE enrollments SET status = 'active' WHERE id = ?").bind(at.enrollmentId).run();
    const archived = await m.brand.api('POST', `/api/admin/bounties/${bounty.id}/archive`);
    expect(archived.status).toBe(200);
    expect((await json<Data<Bounty>>(archived)).data.archivedAt).not.toBeNull();
    await awardBounties(env.DB, Date.now());
    expect(await rowCount('SELECT count(*) AS n FROM bounty_awards WHERE bounty_id = ?', bounty.id)).toBe(0);
    const other = await createMoneyBrand();
    expect((await other.brand.api('POST', `/api/admin/bounties/${bounty.id}/archive`)).status).toBe(404);
    expect((await other.brand.api('GET', `/api/admin/bounties/${bounty.id}/awards`)).status).toBe(404);
  });

  it('a run that lost the race (its entry written, its award row not yet) writes neither twice', async () => {
    const { bounty, at, m, now } = await withBounty({ target: 1 });
    await insertOrder(at, 1_000, now - HOUR);
    // What the other run of two at once left between its two statements: the entry under the bounty's event key.
    await env.DB.prepare(
      "INSERT INTO ledger_entries (id, brand_id, enrollment_id, creator_id, kind, amount_minor, currency, basis_minor, period, event_key, available_at, created_at, note) VALUES (?, ?, ?, ?, 'adjustment', 5000, 'USD', 0, '2026-12', ?, ?, ?, 'Bounty reached: Three sales')",
    )
      .bind(newId('le'), at.brandId, at.enrollmentId, m.creator.id, `bounty:${bounty.id}:${at.enrollmentId}`, now, now)
      .run();
    await awardBounties(env.DB, Date.now());
    await awardBounties(env.DB, Date.now() + 1);
    expect((await awardsOf(at.enrollmentId)).length).toBe(1);
    expect(await rowCount('SELECT count(*) AS n FROM bounty_awards WHERE bounty_id = ?', bounty.id)).toBe(1);
    // The award it finished has its activity entry (once) and its mail waiting, as any other.
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'bounty.awarded' AND target_id = ?", at.brandId, at.enrollmentId)).toBe(1);
    expect(await rowCount('SELECT count(*) AS n FROM bounty_awards WHERE bounty_id = ? AND mailed_at IS NULL', bounty.id)).toBe(1);
  });

  it('mails the creator once per award across cron runs; a refused mail goes back for the next run', async () => {
    const { m, bounty, at, now } = await withBounty({ target: 1 });
    const email = `${m.handle}@creators.test`;
    await env.DB.prepare("UPDATE creators SET display_name = 'Sam Rivera' WHERE id = ?").bind(m.creator.id).run();
    await env.DB.prepare('UPDATE brands SET min_payout_minor = 2000 WHERE id = ?').bind(at.brandId).run();
    await insertOrder(at, 1_000, now - HOUR);
    await awardBounties(env.DB, Date.now());
    const { period } = (await env.DB.prepare('SELECT l.period FROM bounty_awards a JOIN ledger_entries l ON l.id = a.ledger_entry_id WHERE a.bounty_id = ?').bind(bounty.id).first<{ period: string }>())!;
    const state = () => env.DB.prepare('SELECT mailed_at, mail_claimed_at FROM bounty_awards WHERE bounty_id = ?').bind(bounty.id).first();
    // The queue is down and the provider refuses it: the claim goes back, nothing recorded mailed.
    const linked = { ...env, PUBLIC_ORIGIN: 'https://chorus.example' } as Env;
    const down = { ...linked, MAIL: { sendBatch: () => Promise.reject(new Error('queue down')) } } as unknown as Env;
    setTransport(() => Promise.reject(new MailError('refused', 'provider refused')));
    try {
      expect(await mailBountyAwards(down, Date.now())).toBe(0);
    } finally {
      setTransport(logTransport);
    }
    expect(await state()).toEqual({ mailed_at: null, mail_claimed_at: null });
    await capturingMail(async (mails) => {
      // (Other stories' awards may wait too: this run mails them all.)
      expect(await mailBountyAwards(linked, Date.now())).toBeGreaterThanOrEqual(1);
      const mailedAt = (await state())!.mailed_at;
      // Neither a second run nor the cron's own job mails it again.
      expect(await mailBountyAwards(linked, Date.now())).toBe(0);
      await runCron();
      await runCron();
      const mail = await waitFor(async () => mails.find((x) => x.to === email));
      expect(mail.subject).toBe('Test Brand: you reached “Three sales” ($50.00 added to your earnings)');
      expect(mail.text).toMatch(/^Hi Sam,/);
      expect(mail.text).toContain('“Three sales” in Test Brand');
      // Paid as an adjustment is: at the brand's close of the month it counts in, or later while under its minimum.
      expect(mail.text).toContain(`It counts in ${formatPeriod(period)} and is paid when Test Brand closes that month (or a later close, while what you are owed is under its $20.00 minimum payout).`);
      expect(mail.text).toContain('https://chorus.example/earnings');
      await new Promise((r) => setTimeout(r, 200));
      expect(mails.filter((x) => x.to === email)).toHaveLength(1);
      expect(await state()).toEqual({ mailed_at: mailedAt, mail_claimed_at: null });
    });
    // Without PUBLIC_ORIGIN the mail names the pages instead of linking them.
    await env.DB.prepare('UPDATE bounty_awards SET mailed_at = NULL WHERE bounty_id = ?').bind(bounty.id).run();
    await capturingMail(async (mails) => {
      expect(await mailBountyAwards(env as Env, Date.now())).toBeGreaterThanOrEqual(1);
      const mail = await waitFor(async () => mails.find((x) => x.to === email));
      expect(mail.text).not.toContain('http');
    });
    // An award older than a week is no news: not mailed late, and done with (out of the unmailed index).
    await env.DB.prepare('UPDATE bounty_awards SET mailed_at = NULL WHERE bounty_id = ?').bind(bounty.id).run();
    const weekOn = Date.now() + BOUNTY_AWARD_MAIL_LOOKBACK_MS + HOUR;
    await capturingMail(async (mails) => {
      expect(await mailBountyAwards(linked, weekOn)).toBe(0);
      await new Promise((r) => setTimeout(r, 200));
      expect(mails.filter((x) => x.to === email)).toEqual([]);
    });
    expect(await state()).toEqual({ mailed_at: weekOn, mail_claimed_at: null });
  });

  it("leaves an award's mail another run claimed within the lease, takes it again after, and counts an unconfirmed send as mailed", async () => {
    const { m, bounty, at, now } = await withBounty({ target: 1 });
    const email = `${m.handle}@creators.test`;
    await insertOrder(at, 1_000, now - HOUR);
    await awardBounties(env.DB, Date.now());
    const state = () => env.DB.prepare('SELECT mailed_at, mail_claimed_at FROM bounty_awards WHERE bounty_id = ?').bind(bounty.id).first();
    const claimedAt = (at: number) => env.DB.prepare('UPDATE bounty_awards SET mail_claimed_at = ? WHERE bounty_id = ?').bind(at, bounty.id).run();
    await capturingMail(async (mails) => {
      // A run a minute ago claimed it and is still sending: this run leaves it alone.
      const run = Date.now();
      await claimedAt(run - 60_000);
      await mailBountyAwards(env as Env, run);
      await new Promise((r) => setTimeout(r, 200));
      expect(mails.filter((x) => x.to === email)).toEqual([]);
      expect(await state()).toEqual({ mailed_at: null, mail_claimed_at: run - 60_000 });
      // A claim older than the lease is a run that died: taken again, and mailed once.
      const later = Date.now();
      await claimedAt(later - MAIL_CLAIM_LEASE_MS - 1);
      await mailBountyAwards(env as Env, later);
      await mailBountyAwards(env as Env, later + 1);
      await waitFor(async () => mails.find((x) => x.to === email));
      await new Promise((r) => setTimeout(r, 200));
      expect(mails.filter((x) => x.to === email)).toHaveLength(1);
      expect(await state()).toEqual({ mailed_at: later, mail_claimed_at: null });
    });
    // The queue is down and the provider took the mail without answering: it may have left, so it counts as mailed.
    await env.DB.prepare('UPDATE bounty_awards SET mailed_at = NULL WHERE bounty_id = ?').bind(bounty.id).run();
    const down = { ...env, MAIL: { sendBatch: () => Promise.reject(new Error('queue down')) } } as unknown as Env;
    setTransport(() => Promise.reject(new MailError('unconfirmed', 'provider timed out')));
    const run = Date.now();
    try {
      await mailBountyAwards(down, run);
    } finally {
      setTransport(logTransport);
    }
    expect(await state()).toEqual({ mailed_at: run, mail_claimed_at: null });
  });

  it('mails neither a creator the brand erased nor a closed account, and counts their awards done', async () => {
    const { m, bounty, at, now } = await withBounty({ target: 1 });
    const second = await addAcceptedCreator(m.brand, { email: `c-${at.enrollmentId}@creators.test`.toLowerCase(), handle: `c_${Date.now().toString(36)}`, displayName: 'C' });
    const enrolled = (await json<Data<{ id: string }>>(await m.brand.api('POST', '/api/admin/enrollments', { campaignId: m.campaign.id, creatorId: second.data.id, paymentModel: 'affiliate', status: 'active' }))).data;
    await insertOrder(at, 1_000, now - HOUR);
    await insertOrder({ brandId: at.brandId, enrollmentId: enrolled.id }, 1_000, now - HOUR);
    await awardBounties(env.DB, Date.now());
    expect(await rowCount('SELECT count(*) AS n FROM bounty_awards WHERE bounty_id = ?', bounty.id)).toBe(2);
    // Between the award and the mail: the brand erases the first, the second closes their account.
    await env.DB.prepare('UPDATE brand_creators SET erased_at = ? WHERE brand_id = ? AND creator_id = ?').bind(now, at.brandId, m.creator.id).run();
    await env.DB.prepare('UPDATE creators SET email = ? WHERE id = ?').bind(erasedEmail(second.data.id), second.data.id).run();
    await capturingMail(async (mails) => {
      const { lines } = await captureLogs(() => mailBountyAwards(env as Env, Date.now()));
      expect(lines.filter((l) => l.event === 'mail_to_closed_account_dropped')).toHaveLength(1);
      expect(await mailBountyAwards(env as Env, Date.now())).toBe(0);
      await new Promise((r) => setTimeout(r, 200));
      const theirs = new Set([`${m.handle}@creators.test`, `c-${at.enrollmentId}@creators.test`.toLowerCase(), erasedEmail(second.data.id)]);
      expect(mails.filter((x) => theirs.has(x.to))).toEqual([]);
    });
    expect(await rowCount('SELECT count(*) AS n FROM bounty_awards WHERE bounty_id = ? AND mailed_at IS NOT NULL', bounty.id)).toBe(2);
  });

  it("counts neither a creator's own purchase that earns nothing nor a subscription's renewals as sales", async () => {
    const { at, now, bounty } = await withBounty({ target: 2 });
    const first = await insertOrder(at, 1_000, now - HOUR);
    await insertOrder(at, 1_000, now - HOUR, 'code', { selfPurchase: 1 });
    await insertOrder(at, 1_000, now - HOUR, 'code', { renewalOf: first });
    await awardBounties(env.DB, Date.now());
    expect(await rowCount('SELECT count(*) AS n FROM bounty_awards WHERE bounty_id = ?', bounty.id)).toBe(0);
    await insertOrder(at, 1_000, now - HOUR);
    await awardBounties(env.DB, Date.now());
    expect(await rowCount('SELECT count(*) AS n FROM bounty_awards WHERE bounty_id = ?', bounty.id)).toBe(1);
  });

  it('counts only orders past the holding period', async () => {
    const now = Date.now();
    const { at, bounty } = await withBounty({ target: 2, startsAt: new Date(now - 40 * DAY).toISOString(), endsAt: new Date(now + DAY).toISOString() }, { holding: true });
    await insertOrder(at, 1_000, now - 31 * DAY);
    await insertOrder(at, 1_000, now - HOUR);
    await awardBounties(env.DB, Date.now());
    expect(await rowCount('SELECT count(*) AS n FROM bounty_awards WHERE bounty_id = ?', bounty.id)).toBe(0);
    // Once the second clears its 30 days, it counts.
    await awardBounties(env.DB, now + 30 * DAY);
    expect(await rowCount('SELECT count(*) AS n FROM bounty_awards WHERE bounty_id = ?', bounty.id)).toBe(1);
  });

  it('awards neither an invited enrollment nor a creator who never accepted the brand', async () => {
    const m = await createMoneyBrand({ accepted: false });
    await noHolding(m.campaign.id);
    const now = Date.now();
    const res = await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/bounties`, { title: 'One sale', metric: 'sales', target: 1, rewardMinor: 1_000, startsAt: new Date(now - DAY).toISOString(), endsAt: new Date(now + DAY).toISOString() }, key());
    const bounty = (await json<Data<Bounty>>(res)).data;
    await insertOrder({ brandId: m.brand.brandId, enrollmentId: m.enrollment.id }, 1_000, now - HOUR);
    await awardBounties(env.DB, Date.now());
    // Then active, but the creator still has not accepted the brand.
    await env.DB.prepare("UPDATE enrollments SET status = 'active' WHERE id = ?").bind(m.enrollment.id).run();
    await awardBounties(env.DB, Date.now());
    expect(await rowCount('SELECT count(*) AS n FROM bounty_awards WHERE bounty_id = ?', bounty.id)).toBe(0);
  });

  it('takes turns past the per-run cap, and one bounty that fails holds up no other', async () => {
    const { m, at, now } = await withBounty({ target: 1 });
    await insertOrder(at, 1_000, now - HOUR);
    const insert = env.DB.prepare(
      "INSERT INTO bounties (id, brand_id, campaign_id, title, metric, target, reward_minor, starts_at, ends_at, created_by_type, created_by_id, created_at) VALUES (?, ?, ?, 'Many', 'sales', 1, 100, ?, ?, 'api_key', 'k', ?)",
    );
    const ids = Array.from({ length: BOUNTIES_PER_RUN + 5 }, () => newId('bty'));
    await env.DB.batch(ids.map((id) => insert.bind(id, at.brandId, m.campaign.id, now - DAY, now + DAY, now)));
    // A brand whose timezone no longer parses makes its bounty's look throw: logged, and the others go on.
    const broken = await createMoneyBrand();
    const brokenId = newId('bty');
    await insert.bind(brokenId, broken.brand.brandId, broken.campaign.id, now - DAY, now + DAY, now).run();
    await env.DB.prepare("UPDATE brands SET timezone = 'Not/AZone' WHERE id = ?").bind(broken.brand.brandId).run();
    const checked = () => rowCount(`SELECT count(*) AS n FROM bounties WHERE brand_id = ? AND checked_at IS NOT NULL`, at.brandId);
    const { lines } = await captureLogs(async () => {
      await awardBounties(env.DB, Date.now());
      const first = await checked();
      expect(first).toBeGreaterThan(0);
      expect(first).toBeLessThan(ids.length + 1);
      await awardBounties(env.DB, Date.now() + 1);
      await awardBounties(env.DB, Date.now() + 2);
    });
    expect(await checked()).toBe(ids.length + 1);
    expect(await rowCount("SELECT count(*) AS n FROM ledger_entries WHERE enrollment_id = ? AND event_key LIKE 'bounty:%'", at.enrollmentId)).toBe(ids.length + 1);
    // The broken one is never marked looked at, so once reached it stays first in line: it failed each run after, and the rest went on.
    const failed = lines.filter((l) => l.event === 'bounty_award_failed').map((l) => l.fields.bountyId);
    expect(failed.length).toBeGreaterThanOrEqual(2);
    expect(new Set(failed)).toEqual(new Set([brokenId]));
    await env.DB.prepare("UPDATE brands SET timezone = 'UTC' WHERE id = ?").bind(broken.brand.brandId).run();
  });

  it("fixes the brand's currency once it has a bounty", async () => {
    const brand = await createBrand();
    const campaign = (await json<Data<{ id: string }>>(await brand.api('POST', '/api/admin/campaigns', { name: 'Glow', slug: `glow-${Date.now().toString(36)}`, hashtag: '#Glow', defaultDestination: 'https://shop.example/glow' }))).data;
    expect((await brand.api('PATCH', '/api/admin/brand', { currency: 'EUR' })).status).toBe(200);
    const made = await brand.api('POST', `/api/admin/campaigns/${campaign.id}/bounties`, { title: 'One sale', metric: 'sales', target: 1, rewardMinor: 1_000, endsAt: new Date(Date.now() + DAY).toISOString() }, key());
    expect(made.status).toBe(201);
    const changed = await brand.api('PATCH', '/api/admin/brand', { currency: 'JPY' });
    expect([changed.status, (await json<ErrorBody>(changed)).error.code]).toEqual([409, 'brand_in_use']);
  });

  it('the console lists bounties and creates one from its form, refusing bad fields beside them, an ended campaign and a viewer', async () => {
    const o = await consoleBrand('manager');
    const tab = `/console/campaigns/${o.campaign.id}/bounties`;
    expect((await get(tab, o.cookie)).status).toBe(200);
    const today = new Date().toISOString().slice(0, 10);
    const bad = await post(tab, { key: fk(), title: 'x'.repeat(81), metric: 'sales', target: '0', reward: '-5', startsOn: today, endsOn: '2020-01-01' }, { cookie: o.cookie });
    expect(bad.status).toBe(422);
    const html = await bad.text();
    for (const field of ['title', 'target', 'reward', 'endsOn']) expect(html, field).toContain(`id="${field}-error"`);
    expect((await post(tab, { key: fk(), title: 'Ten sales', metric: 'sales', target: '10', reward: '50.00', startsOn: today, endsOn: dayIn(20) }, { cookie: o.cookie, origin: 'https://evil.example' })).status).toBe(403);
    const made = await post(tab, { key: fk(), title: 'Ten sales', metric: 'sales', target: '10', reward: '50.00', startsOn: today, endsOn: dayIn(20) }, { cookie: o.cookie });
    expect(made.status).toBe(303);
    expect(made.headers.get('location')).toContain('flash=created');
    const listed = await (await get(tab, o.cookie)).text();
    expect(listed).toContain('Ten sales');
    expect(listed).toContain('$50.00');
    expect(listed).toContain('0 creators');
    // The same form sent again (a double click, a resend) lands on the tab and creates nothing; its key with other fields is refused.
    const form = { title: 'Twice', metric: 'sales', target: '5', reward: '20.00', startsOn: today, endsOn: dayIn(10), key: 'form-key-0123456789abcdef' };
    expect((await post(tab, form, { cookie: o.cookie })).headers.get('location')).toContain('flash=created');
    const again = await post(tab, form, { cookie: o.cookie });
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toContain('flash=created_already');
    expect((await post(tab, { ...form, reward: '30.00' }, { cookie: o.cookie })).status).toBe(409);
    expect(await rowCount("SELECT count(*) AS n FROM bounties WHERE brand_id = ? AND title = 'Twice'", o.brand.brandId)).toBe(1);
    // A window longer than 366 days is refused beside its field.
    const long = await post(tab, { ...form, key: 'form-key-long-0123456789', endsOn: dayIn(400) }, { cookie: o.cookie });
    expect(long.status).toBe(422);
    expect(await long.text()).toContain('id="endsOn-error"');
    const viewer = await adminUser(o.brand.brandId, 'viewer');
    const viewerCookie = await signIn(viewer.email);
    expect((await get(tab, viewerCookie)).status).toBe(200);
    expect((await post(tab, { key: fk(), title: 'Mine', metric: 'sales', target: '1', reward: '1', startsOn: today, endsOn: dayIn(20) }, { cookie: viewerCookie })).status).toBe(403);
    const other = await consoleBrand('owner');
    expect((await get(`/console/campaigns/${other.campaign.id}/bounties`, o.cookie)).status).toBe(404);
    await o.brand.api('PATCH', `/api/admin/campaigns/${o.campaign.id}`, { status: 'ended' });
    expect((await post(tab, { key: fk(), title: 'Late', metric: 'sales', target: '1', reward: '1', startsOn: today, endsOn: dayIn(20) }, { cookie: o.cookie })).status).toBe(409);
    expect(await rowCount('SELECT count(*) AS n FROM bounties WHERE brand_id = ?', o.brand.brandId)).toBe(2);
  });

  it("shows the creator their progress on their home page, then Earned", async () => {
    const m = await signedInCreator();
    const now = Date.now();
    await env.DB.prepare('UPDATE campaigns SET holding_days = 30 WHERE id = ?').bind(m.campaign.id).run();
    const res = await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/bounties`, { title: 'Two sales', metric: 'sales', target: 2, rewardMinor: 5_000, startsAt: new Date(now - 40 * DAY).toISOString(), endsAt: new Date(now + 72 * HOUR).toISOString() }, key());
    expect(res.status).toBe(201);
    const at = { brandId: m.brand.brandId, enrollmentId: m.enrollment.id };
    await insertOrder(at, 1_000, now - 31 * DAY);
    await insertOrder(at, 1_000, now - 1);
    const home = await (await get('/', m.cookie)).text();
    expect(home).toContain('Two sales');
    expect(home).toContain('1 of 2 sales');
    expect(home).toContain('1 more sale counts once past the 30-day holding period');
    expect(home).toContain('aria-valuenow="50"');
    await noHolding(m.campaign.id);
    await awardBounties(env.DB, Date.now());
    const earned = await (await get('/', m.cookie)).text();
    expect(earned).toContain('Earned $50.00');
    expect(earned).toContain('2 of 2 sales');
  });
});
