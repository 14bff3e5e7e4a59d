// Bounties: a campaign's one-off reward for reaching a goal, created through the API, awarded by the cron once per
// creator as an adjustment entry, counted from attributed orders in the window that were not refunded in full.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { awardBounties, BOUNTY_SETTLE_AFTER_MS } from '../../../worker/db/bounties';
import { newId } from '../../../worker/lib/ids';
import { addAcceptedCreator, createMoneyBrand, json, rowCount, runCron, type Data } from '../fixtures';
import { adminUser, consoleBrand, get, post, signIn } from '../console-fixtures';
import { portalTestDefaults, signedInCreator } from '../portal-fixtures';

portalTestDefaults();

type Bounty = { id: string; reached: number; paidMinor: number; archivedAt: string | null; startsAt: string; endsAt: string };
type ErrorBody = { error: { code: string } };
const HOUR = 3_600_000;

async function insertOrder(m: { brandId: string; enrollmentId: string }, amountMinor: number, occurredAt: number, attribution: 'code' | 'none' = 'code'): Promise<string> {
  const order = newId('ord');
  await env.DB.prepare(
    `INSERT INTO conversions (id, brand_id, external_order_id, amount_minor, currency, occurred_at, attribution, enrollment_id, source, payload_hash, created_at)
     VALUES (?, ?, ?, ?, 'USD', ?, ?, ?, 'api', 'h', ?)`,
  )
    .bind(newId('cv'), m.brandId, order, amountMinor, occurredAt, attribution, attribution === 'none' ? null : m.enrollmentId, occurredAt)
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

// A brand with one accepted creator in an active campaign, and a bounty on it over [now - 1 day, now + 1 day).
async function withBounty(body: Record<string, unknown> = {}) {
  const m = await createMoneyBrand();
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
    const send = (body: unknown, campaignId = m.campaign.id) => m.brand.api('POST', `/api/admin/campaigns/${campaignId}/bounties`, body);
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
      { ...ok, currency: 'EUR' },
      [ok],
    ]) {
      const res = await send(body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(422);
      expect((await json<ErrorBody>(res)).error.code).toBe('validation_failed');
    }
    const foreign = await send(ok, other.campaign.id);
    expect(foreign.status).toBe(404);
    expect((await json<ErrorBody>(foreign)).error.code).toBe('not_found');
    expect((await m.brand.api('GET', `/api/admin/campaigns/${other.campaign.id}/bounties`)).status).toBe(404);
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
    const { bounty, at } = await withBounty({ target: 2, startsAt: new Date(start).toISOString(), endsAt: new Date(end).toISOString() });
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
    await awardBounties(env.DB, end + BOUNTY_SETTLE_AFTER_MS);
    expect((await settled())!.settled_at).toBe(end + BOUNTY_SETTLE_AFTER_MS);
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

  it('the console lists bounties and creates one from its form, refusing bad fields beside them, an ended campaign and a viewer', async () => {
    const o = await consoleBrand('manager');
    const tab = `/console/campaigns/${o.campaign.id}/bounties`;
    expect((await get(tab, o.cookie)).status).toBe(200);
    const today = new Date().toISOString().slice(0, 10);
    const bad = await post(tab, { title: 'x'.repeat(81), metric: 'sales', target: '0', reward: '-5', startsOn: today, endsOn: '2020-01-01' }, { cookie: o.cookie });
    expect(bad.status).toBe(422);
    const html = await bad.text();
    for (const field of ['title', 'target', 'reward', 'endsOn']) expect(html, field).toContain(`id="${field}-error"`);
    expect((await post(tab, { title: 'Ten sales', metric: 'sales', target: '10', reward: '50.00', startsOn: today, endsOn: '2199-12-31' }, { cookie: o.cookie, origin: 'https://evil.example' })).status).toBe(403);
    const made = await post(tab, { title: 'Ten sales', metric: 'sales', target: '10', reward: '50.00', startsOn: today, endsOn: '2199-12-31' }, { cookie: o.cookie });
    expect(made.status).toBe(303);
    expect(made.headers.get('location')).toContain('flash=created');
    const listed = await (await get(tab, o.cookie)).text();
    expect(listed).toContain('Ten sales');
    expect(listed).toContain('$50.00');
    expect(listed).toContain('0 creators');
    const viewer = await adminUser(o.brand.brandId, 'viewer');
    const viewerCookie = await signIn(viewer.email);
    expect((await get(tab, viewerCookie)).status).toBe(200);
    expect((await post(tab, { title: 'Mine', metric: 'sales', target: '1', reward: '1', startsOn: today, endsOn: '2199-12-31' }, { cookie: viewerCookie })).status).toBe(403);
    const other = await consoleBrand('owner');
    expect((await get(`/console/campaigns/${other.campaign.id}/bounties`, o.cookie)).status).toBe(404);
    await o.brand.api('PATCH', `/api/admin/campaigns/${o.campaign.id}`, { status: 'ended' });
    expect((await post(tab, { title: 'Late', metric: 'sales', target: '1', reward: '1', startsOn: today, endsOn: '2199-12-31' }, { cookie: o.cookie })).status).toBe(409);
    expect(await rowCount('SELECT count(*) AS n FROM bounties WHERE brand_id = ?', o.brand.brandId)).toBe(1);
  });

  it("shows the creator their progress on their home page, then Earned", async () => {
    const m = await signedInCreator();
    const now = Date.now();
    const res = await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/bounties`, { title: 'Two sales', metric: 'sales', target: 2, rewardMinor: 5_000, startsAt: new Date(now - HOUR).toISOString(), endsAt: new Date(now + 72 * HOUR).toISOString() });
    expect(res.status).toBe(201);
    const at = { brandId: m.brand.brandId, enrollmentId: m.enrollment.id };
    await insertOrder(at, 1_000, now - 1);
    const home = await (await get('/', m.cookie)).text();
    expect(home).toContain('Two sales');
    expect(home).toContain('1 of 2 sales');
    expect(home).toContain('aria-valuenow="50"');
    await insertOrder(at, 1_000, now - 1);
    await awardBounties(env.DB, Date.now());
    const earned = await (await get('/', m.cookie)).text();
    expect(earned).toContain('Earned $50.00');
    expect(earned).toContain('2 of 2 sales');
  });
});
