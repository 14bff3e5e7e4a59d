// The weekly network report a brand's owners and managers get on Monday morning in the brand's timezone: last
// week's numbers against the week before's, counted as the network page counts them, once a week, to nobody
// who turned it off or is not an owner or manager, never with another brand's data, and sent on a later run
// when a run fails after claiming.
import { env } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import type { Env } from '../../worker/env';
import { mailWeeklyReports, reportWeek } from '../../worker/jobs/weekly-report';
import { newId } from '../../worker/lib/ids';
import { logTransport, setTransport, type Message } from '../../worker/lib/messages';
import { adminUser, get, post, signIn } from './console-fixtures';
import { createLinkedCreator, createMoneyBrand, d1With, insertSubmission, rowCount, waitFor } from './fixtures';

afterEach(() => setTransport(logTransport));

const at = (iso: string) => Date.parse(iso);
// Last week is Mon Nov 23 – Sun Nov 29 2026; the report goes from Mon Nov 30, 08:00 in the brand's zone.
const MONDAY_UTC_0800 = at('2026-11-30T08:00:00Z');

function capture() {
  const sent: Message[] = [];
  setTransport(async (msg) => void sent.push(msg));
  return sent;
}

// Delivery goes through the mail queue: wait for the expected mails, then a moment for any unexpected one.
async function mailsTo(sent: Message[], emails: string[], expected: number): Promise<Message[]> {
  const mine = () => sent.filter((s) => emails.includes(s.to));
  if (expected > 0) await waitFor(async () => (mine().length >= expected ? true : null), 15_000);
  await new Promise((r) => setTimeout(r, 500));
  return mine();
}

async function insertOrder(brandId: string, enrollmentId: string | null, amountMinor: number, occurredAt: string, opts: { renewalOf?: string; commission?: number } = {}) {
  const id = newId('cv');
  const orderId = `o-${id}`;
  await env.DB.prepare(
    "INSERT INTO conversions (id, brand_id, external_order_id, amount_minor, currency, occurred_at, attribution, enrollment_id, source, payload_hash, created_at, renewal_of) VALUES (?, ?, ?, ?, 'USD', ?, ?, ?, 'api', 'h', ?, ?)",
  )
    .bind(id, brandId, orderId, amountMinor, at(occurredAt), enrollmentId ? 'code' : 'none', enrollmentId, at(occurredAt), opts.renewalOf ?? null)
    .run();
  if (enrollmentId && opts.commission) await ledger(brandId, enrollmentId, id, 'commission', opts.commission, occurredAt);
  return { id, orderId };
}

async function ledger(brandId: string, enrollmentId: string, conversionId: string, kind: string, amountMinor: number, createdAt: string) {
  const creator = await env.DB.prepare('SELECT creator_id FROM enrollments WHERE id = ?').bind(enrollmentId).first<{ creator_id: string }>();
  await env.DB.prepare(
    "INSERT INTO ledger_entries (id, brand_id, enrollment_id, creator_id, kind, amount_minor, currency, basis_minor, period, event_key, available_at, conversion_id, created_at) VALUES (?, ?, ?, ?, ?, ?, 'USD', 0, '2026-11', ?, ?, ?, ?)",
  )
    .bind(newId('le'), brandId, enrollmentId, creator!.creator_id, kind, amountMinor, `${kind}:${newId('k')}`, at(createdAt), conversionId, at(createdAt))
    .run();
}

async function refund(brandId: string, order: { id: string; orderId: string }, enrollmentId: string, amountMinor: number, reversal: number, occurredAt: string) {
  await env.DB.prepare(
    "INSERT INTO refunds (id, brand_id, external_refund_id, external_order_id, amount_minor, currency, occurred_at, status, source, payload_hash, created_at) VALUES (?, ?, ?, ?, ?, 'USD', ?, 'applied', 'api', 'h', ?)",
  )
    .bind(newId('rf'), brandId, `r-${order.orderId}`, order.orderId, amountMinor, at(occurredAt), at(occurredAt))
    .run();
  await ledger(brandId, enrollmentId, order.id, 'reversal', -reversal, occurredAt);
}

function rollup(brandId: string, linkId: string, day: string, uniqueClicks: number) {
  return env.DB.prepare('INSERT INTO click_rollups (link_id, day, brand_id, clicks, unique_clicks, bots) VALUES (?, ?, ?, ?, ?, 0)').bind(linkId, day, brandId, uniqueClicks + 5, uniqueClicks).run();
}

// A brand with three creators: two sold last week, one did not; the week before, one order.
async function knownWeek() {
  const m = await createMoneyBrand();
  const brandId = m.brand.brandId;
  await env.DB.prepare("UPDATE brands SET name = 'Lumen Skincare' WHERE id = ?").bind(brandId).run();
  // The account's own handle differs from the brand's: the report names the brand's.
  await env.DB.prepare("UPDATE creators SET handle = 'account_handle_x' WHERE id = ?").bind(m.creator.id).run();
  const bea = await createLinkedCreator(m.brand, { handle: `bea_${Date.now().toString(36)}` });
  const cal = await createLinkedCreator(m.brand, { handle: `cal_${Date.now().toString(36)}` });

  const first = await insertOrder(brandId, m.enrollment.id, 10_000, '2026-11-24T12:00:00Z', { commission: 1_000 });
  const refundedInFull = await insertOrder(brandId, m.enrollment.id, 5_000, '2026-11-25T12:00:00Z', { commission: 500 });
  await refund(brandId, refundedInFull, m.enrollment.id, 5_000, 500, '2026-11-26T12:00:00Z');
  await insertOrder(brandId, m.enrollment.id, 3_000, '2026-11-26T12:00:00Z', { renewalOf: first.id, commission: 300 });
  const beaOrder = await insertOrder(brandId, bea.enrollment.id, 20_000, '2026-11-29T23:59:00Z', { commission: 2_000 });
  await refund(brandId, beaOrder, bea.enrollment.id, 2_000, 200, '2026-11-29T23:59:30Z');
  await insertOrder(brandId, bea.enrollment.id, 99_900, '2026-11-30T00:00:01Z', { commission: 9_990 }); // this week
  await insertOrder(brandId, null, 50_000, '2026-11-25T12:00:00Z'); // no creator's
  await insertOrder(brandId, m.enrollment.id, 4_000, '2026-11-18T12:00:00Z', { commission: 400 }); // the week before

  await rollup(brandId, m.link.id, '2026-11-23', 30);
  await rollup(brandId, bea.link.id, '2026-11-29', 12);
  await rollup(brandId, m.link.id, '2026-11-20', 21);
  await rollup(brandId, m.link.id, '2026-11-30', 400); // this week
  await insertSubmission(brandId, cal.enrollment.id);
  return { ...m, bea, cal };
}

describe('the weekly network report', () => {
  it('tells owners and managers last week’s numbers against the week before, counted as the network page counts them', { timeout: 30_000 }, async () => {
    const k = await knownWeek();
    const owner = await adminUser(k.brand.brandId, 'owner');
    const sent = capture();
    const withOrigin = { ...(env as Env), PUBLIC_ORIGIN: 'https://chorus.example' };
    expect(await mailWeeklyReports(withOrigin, MONDAY_UTC_0800)).toBeGreaterThanOrEqual(1);
    const [mail] = await mailsTo(sent, [owner.email], 1);
    expect(mail!.subject).toBe('Lumen Skincare last week: 2 orders, $310.00');
    const text = mail!.text;
    expect(text).toContain("Lumen Skincare's creator network, Nov 23–Nov 29:");
    expect(text).toContain('Orders: 2 (up 100% on the week before)');
    expect(text).toContain('Revenue: $310.00 (up 675% on the week before)');
    expect(text).toContain('Commission: $31.00 (up 675% on the week before)');
    expect(text).toContain('Unique clicks: 42 (up 100% on the week before)');
    expect(text).toContain(`Top creators:\n1. @${k.bea.handle}: $180.00, 1 order\n2. @${k.handle}: $130.00, 1 order`);
    expect(text).not.toContain('account_handle_x');
    expect(text).not.toContain(k.cal.handle);
    expect(text).toContain('1 of 3 active creators made no sale.');
    expect(text).toContain('1 draft waits for review.');
    expect(text).toMatch(new RegExp(`The network page: https://chorus\\.example/console/campaigns/${k.bea.campaign.id}/network`));
    expect(text).toContain('turn it off under Your notifications on the Team page: https://chorus.example/console/team#notify-h');
    console.log(`--- sample weekly report ---\nSubject: ${mail!.subject}\n\n${text}\n---`);
  });

  it('goes on Monday from 08:00 in the brand’s timezone, once a week', { timeout: 30_000 }, async () => {
    const tokyo = await createMoneyBrand({ timezone: 'Asia/Tokyo' });
    const la = await createMoneyBrand({ timezone: 'America/Los_Angeles' });
    const inTokyo = await adminUser(tokyo.brand.brandId, 'owner');
    const inLa = await adminUser(la.brand.brandId, 'manager');
    await insertSubmission(tokyo.brand.brandId, tokyo.enrollment.id);
    await insertSubmission(la.brand.brandId, la.enrollment.id);
    const sent = capture();
    const run = (iso: string) => mailWeeklyReports(env as Env, at(iso));

    expect(reportWeek(at('2026-11-29T22:59:00Z'), 'Asia/Tokyo')).toBeNull(); // 07:59 on Monday in Tokyo
    expect(reportWeek(at('2026-11-29T23:00:00Z'), 'Asia/Tokyo')).toBe('2026-11-23');
    expect(reportWeek(at('2026-12-01T07:00:00Z'), 'America/Los_Angeles')).toBe('2026-11-23'); // 23:00 Monday
    // All of Tuesday too, for a brand whose Monday morning no run caught (a timezone change, failing runs).
    expect(reportWeek(at('2026-12-01T08:00:00Z'), 'America/Los_Angeles')).toBe('2026-11-23'); // 00:00 Tuesday
    expect(reportWeek(at('2026-12-02T07:59:00Z'), 'America/Los_Angeles')).toBe('2026-11-23'); // 23:59 Tuesday
    expect(reportWeek(at('2026-12-02T08:00:00Z'), 'America/Los_Angeles')).toBeNull(); // Wednesday
    expect(reportWeek(at('2026-11-29T14:00:00Z'), 'Asia/Tokyo')).toBeNull(); // Sunday 23:00

    await run('2026-11-29T22:45:00Z'); // 07:45 on Monday in Tokyo
    expect(await mailsTo(sent, [inTokyo.email, inLa.email], 0)).toEqual([]);
    await run('2026-11-29T23:00:00Z'); // 08:00 in Tokyo
    await run('2026-11-30T07:45:00Z'); // 16:45 in Tokyo: mailed already
    expect((await mailsTo(sent, [inTokyo.email], 1)).map((s) => s.to)).toEqual([inTokyo.email]);
    expect(await mailsTo(sent, [inLa.email], 0)).toEqual([]); // Sunday night in Los Angeles

    sent.length = 0;
    await run('2026-11-30T15:45:00Z'); // 07:45 in Los Angeles
    expect(await mailsTo(sent, [inLa.email], 0)).toEqual([]);
    await run('2026-11-30T16:00:00Z');
    await run('2026-11-30T23:00:00Z');
    expect((await mailsTo(sent, [inLa.email, inTokyo.email], 1)).map((s) => s.to)).toEqual([inLa.email]);
    expect(await rowCount('SELECT count(*) AS n FROM admin_users WHERE id IN (?, ?) AND weekly_report_week = ?', inTokyo.id, inLa.id, '2026-11-23')).toBe(2);

    // The next Monday, the next week.
    sent.length = 0;
    await run('2026-12-06T23:00:00Z');
    await run('2026-12-07T16:00:00Z');
    const next = await mailsTo(sent, [inLa.email, inTokyo.email], 2);
    expect(next.map((s) => s.to).sort()).toEqual([inLa.email, inTokyo.email].sort());
    expect(next[0]!.text).toContain('Nov 30–Dec 6');
  });

  it('mails each member once when two runs overlap, and skips a brand with nothing in the week', { timeout: 30_000 }, async () => {
    const m = await createMoneyBrand();
    const quiet = await createMoneyBrand();
    const owners = await Promise.all([adminUser(m.brand.brandId, 'owner'), adminUser(m.brand.brandId, 'manager')]);
    const quietOwner = await adminUser(quiet.brand.brandId, 'owner');
    await insertOrder(m.brand.brandId, m.enrollment.id, 1_500, '2026-11-27T10:00:00Z', { commission: 150 });
    await insertOrder(quiet.brand.brandId, quiet.enrollment.id, 9_000, '2026-11-16T10:00:00Z', { commission: 900 }); // the week before only
    const sent = capture();
    await Promise.all([mailWeeklyReports(env as Env, MONDAY_UTC_0800), mailWeeklyReports(env as Env, MONDAY_UTC_0800 + 1)]);
    const mails = await mailsTo(sent, [...owners.map((o) => o.email), quietOwner.email], 2);
    expect(mails.map((s) => s.to).sort()).toEqual(owners.map((o) => o.email).sort());
    expect(mails[0]!.subject).toBe('Test Brand last week: 1 order, $15.00');
    expect(mails[0]!.text).toContain('Your 1 active creator made a sale.');
    // The quiet brand's members were looked at for the week, and are not again.
    expect(await rowCount('SELECT count(*) AS n FROM admin_users WHERE id = ? AND weekly_report_week = ?', quietOwner.id, '2026-11-23')).toBe(1);
  });

  it('goes to nobody who turned it off, has not joined, was removed, or is finance or a viewer', { timeout: 30_000 }, async () => {
    const m = await createMoneyBrand();
    const [owner, manager, finance, viewer, optedOut, invited, removed] = await Promise.all(
      (['owner', 'manager', 'finance', 'viewer', 'manager', 'manager', 'owner'] as const).map((role) => adminUser(m.brand.brandId, role)),
    );
    const res = await post('/console/team/me/notifications', { reviewDigest: 'on' }, { cookie: await signIn(optedOut!.email) });
    expect(res.headers.get('location')).toBe('/console/team?flash=notify_saved');
    expect(await rowCount('SELECT count(*) AS n FROM admin_users WHERE id = ? AND weekly_report = 0 AND review_digest = 1', optedOut!.id)).toBe(1);
    await env.DB.prepare('UPDATE admin_users SET password_hash = NULL WHERE id = ?').bind(invited!.id).run();
    await env.DB.prepare('UPDATE admin_users SET removed_at = ? WHERE id = ?').bind(Date.now(), removed!.id).run();
    await insertSubmission(m.brand.brandId, m.enrollment.id);
    const sent = capture();
    await mailWeeklyReports(env as Env, MONDAY_UTC_0800);
    const all = [owner, manager, finance, viewer, optedOut, invited, removed].map((u) => u!.email);
    expect((await mailsTo(sent, all, 2)).map((s) => s.to).sort()).toEqual([owner!.email, manager!.email].sort());
  });

  it('is switched on the Team page beside the review mail, and only from the console’s own origin', async () => {
    const m = await createMoneyBrand();
    const manager = await adminUser(m.brand.brandId, 'manager');
    const cookie = await signIn(manager.email);
    const page = await (await get('/console/team', cookie)).text();
    expect(page).toMatch(/name="weeklyReport" value="on" checked/);
    expect((await post('/console/team/me/notifications', { reviewDigest: 'on' }, { cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect(await rowCount('SELECT count(*) AS n FROM admin_users WHERE id = ? AND weekly_report = 1', manager.id)).toBe(1);
    expect((await post('/console/team/me/notifications', { reviewDigest: 'on' }, { cookie })).status).toBe(303);
    expect(await (await get('/console/team', cookie)).text()).not.toMatch(/name="weeklyReport" value="on" checked/);
    expect((await post('/console/team/me/notifications', { reviewDigest: 'on', weeklyReport: 'on' }, { cookie })).status).toBe(303);
    expect(await rowCount('SELECT count(*) AS n FROM admin_users WHERE id = ? AND weekly_report = 1', manager.id)).toBe(1);
    for (const role of ['finance', 'viewer'] as const) {
      const other = await signIn((await adminUser(m.brand.brandId, role)).email);
      expect(await (await get('/console/team', other)).text()).not.toContain('name="weeklyReport"');
      expect((await post('/console/team/me/notifications', { weeklyReport: 'on' }, { cookie: other })).status, role).toBe(403);
    }
  });

  it('never shows one brand another brand’s numbers or creators', { timeout: 30_000 }, async () => {
    const ours = await createMoneyBrand();
    const theirs = await createMoneyBrand();
    await env.DB.prepare("UPDATE brands SET name = 'Other Brand' WHERE id = ?").bind(theirs.brand.brandId).run();
    const [us, them] = await Promise.all([adminUser(ours.brand.brandId, 'owner'), adminUser(theirs.brand.brandId, 'owner')]);
    await insertOrder(ours.brand.brandId, ours.enrollment.id, 2_500, '2026-11-24T10:00:00Z', { commission: 250 });
    await insertOrder(theirs.brand.brandId, theirs.enrollment.id, 777_700, '2026-11-24T10:00:00Z', { commission: 77_770 });
    await rollup(theirs.brand.brandId, theirs.link.id, '2026-11-24', 999);
    const sent = capture();
    await mailWeeklyReports(env as Env, MONDAY_UTC_0800);
    const [mine] = await mailsTo(sent, [us.email], 1);
    const [other] = await mailsTo(sent, [them.email], 1);
    expect(mine!.subject).toBe('Test Brand last week: 1 order, $25.00');
    expect(mine!.text).toContain('Unique clicks: 0');
    expect(mine!.text).not.toContain(theirs.handle);
    expect(mine!.text).not.toContain('7,777');
    expect(other!.subject).toBe('Other Brand last week: 1 order, $7,777.00');
    expect(other!.text).not.toContain(ours.handle);
  });

  it('gives the claim back when a run fails after claiming, so the next run mails them', { timeout: 30_000 }, async () => {
    const m = await createMoneyBrand();
    const owner = await adminUser(m.brand.brandId, 'owner');
    await insertSubmission(m.brand.brandId, m.enrollment.id);
    const sent = capture();
    const failing = { ...(env as Env), DB: d1With({ batch: () => Promise.reject(new Error('D1_ERROR: storage unavailable')) }) };
    await expect(mailWeeklyReports(failing, MONDAY_UTC_0800)).rejects.toThrow('storage unavailable');
    expect(await rowCount('SELECT count(*) AS n FROM admin_users WHERE id = ? AND weekly_report_week IS NULL', owner.id)).toBe(1);
    expect(await mailsTo(sent, [owner.email], 0)).toEqual([]);
    await mailWeeklyReports(env as Env, MONDAY_UTC_0800 + 15 * 60_000);
    expect((await mailsTo(sent, [owner.email], 1)).length).toBe(1);
    expect(await rowCount('SELECT count(*) AS n FROM admin_users WHERE id = ? AND weekly_report_week = ?', owner.id, '2026-11-23')).toBe(1);
  });
});
