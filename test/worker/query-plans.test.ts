// The plans SQLite makes for the pages and calls that read one creator's, one campaign's or one refund's rows.
// D1 keeps no statistics, so where a brand filter sits beside a narrower one the planner was free to walk the
// brand's index (every order, entry, post or enrollment of the brand) to find a few rows, and where no index
// existed it read a whole table. Each story records every statement a request runs and reads its plan.
import { createExecutionContext, createMessageBatch, env, waitOnExecutionContext } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { consoleBrand } from './console-fixtures';
import worker from '../../worker/index';
import { releaseClaims } from '../../worker/db/webhooks';
import { RETURNING_CUSTOMER_SQL } from '../../worker/db/conversions';
import { GIFT_ADDRESS_SQL } from '../../worker/jobs/gift-addresses';
import { achReferenceSql } from '../../worker/routes/admin/payouts';
import { encodeCursor } from '../../worker/lib/cursor';
import { brandThreads, UNREAD_THREADS_SQL } from '../../worker/db/message-threads';
import { mailEarningsDigests } from '../../worker/jobs/earnings-digest';
import { mailWeeklyReports } from '../../worker/jobs/weekly-report';
import { pruneWebhookEvents, WEBHOOK_RETENTION_SQL } from '../../worker/jobs/webhook-retention';
import { forgetUsedRecoveryCodes } from '../../worker/jobs/retention';
import { adminUser, signIn } from './console-fixtures';
import type { ClickMessage } from '../../worker/domain/clicks';
import type { Env } from '../../worker/env';
import { BASE, clickMessage, issueKey, rowCount, runCron, signedRequest } from './fixtures';
import { encode, freshIp, type Fields } from './forms';
import { signedInCreator, portalTestDefaults } from './portal-fixtures';

portalTestDefaults();

type Ran = { sql: string; args: unknown[]; bound: boolean };

// A request to the worker, answered and with everything it left in waitUntil finished: those statements
// (webhook hand-overs, the redirect's click flush) are the request's too.
async function settled(path: string, init: RequestInit & { cookie?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.cookie) headers.set('cookie', init.cookie);
  if (init.method === 'POST' && !headers.has('origin')) headers.set('origin', BASE);
  headers.set('cf-connecting-ip', freshIp());
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${BASE}${path}`, { ...init, headers, redirect: 'manual' }), env as Env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

const get = (path: string, cookie?: string) => settled(path, { cookie });
const post = (path: string, fields: Fields, cookie: string) =>
  settled(path, { method: 'POST', body: encode(fields), cookie, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
const admin = (brand: { adminKey: string }, path: string) => settled(path, { headers: { authorization: `Bearer ${brand.adminKey}` } });
const signed = async (brand: Parameters<typeof signedRequest>[0], secret: string, path: string, body: unknown) => {
  const req = await signedRequest(brand, secret, path, body);
  return settled(path, { method: 'POST', headers: req.headers, body: await req.text() });
};

// Every statement prepared on env.DB while `work` runs, once per set of values it was bound to.
async function statementsOf(work: () => Promise<unknown>): Promise<Ran[]> {
  const ran: Ran[] = [];
  const byStatement = new WeakMap<object, Ran>();
  const prepare = env.DB.prepare.bind(env.DB);
  vi.spyOn(env.DB, 'prepare').mockImplementation((sql: string) => {
    const statement = prepare(sql);
    const entry = { sql, args: [], bound: false };
    ran.push(entry);
    byStatement.set(statement, entry);
    return statement;
  });
  const proto = Object.getPrototypeOf(prepare('SELECT 1')) as { bind: (...args: unknown[]) => D1PreparedStatement };
  const bind = proto.bind;
  vi.spyOn(proto, 'bind').mockImplementation(function (this: object, ...args: unknown[]) {
    const entry = byStatement.get(this);
    if (entry && !entry.bound) Object.assign(entry, { args, bound: true });
    else if (entry) ran.push({ sql: entry.sql, args, bound: true });
    return bind.apply(this, args);
  });
  try {
    await work();
  } finally {
    vi.restoreAllMocks();
  }
  return ran;
}

type Planned = { sql: string; plan: string; text: string };

async function plansOf(ran: Ran[]): Promise<Planned[]> {
  const plans: Planned[] = [];
  for (const { sql, args } of ran) {
    if (!/^\s*(SELECT|WITH|INSERT|UPDATE|DELETE)/i.test(sql)) continue;
    const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
      .bind(...args)
      .all<{ detail: string }>();
    const plan = results.map((r) => r.detail).join('\n');
    plans.push({ sql, plan, text: `${sql.replace(/\s+/g, ' ')}\n${plan}` });
  }
  return plans;
}

const BIG = new Set(['clicks', 'conversions', 'ledger_entries', 'refunds', 'submissions', 'payouts', 'enrollments', 'links', 'discount_codes', 'webhook_events', 'webhook_deliveries', 'audit_log', 'campaign_updates', 'bounties', 'bounty_awards', 'messages', 'message_threads', 'program_terms', 'terms_acceptances', 'creator_tags', 'declined_commissions']);

// The tables a plan scans whole, by name or by their alias in the SQL (an alias used for two tables counts as
// both). A scan of a subquery's rows (its CO-ROUTINE or MATERIALIZE in the plan) or through a partial index
// (which holds only the rows due, such as clicks not yet rolled up) is not a scan of its table.
function scannedTables({ sql, plan }: Planned, partialIndexes: Set<string>): string[] {
  const tables = new Map<string, Set<string>>();
  const name = (alias: string, table: string) => tables.set(alias, (tables.get(alias) ?? new Set()).add(table));
  for (const m of sql.matchAll(/\b(?:FROM|JOIN)\s+"?(\w+)"?(?:\s+(?:AS\s+)?"?(\w+)"?)?/gi)) {
    name(m[1]!, m[1]!);
    if (m[2] && !/^(ON|WHERE|JOIN|LEFT|INNER|CROSS|GROUP|ORDER|LIMIT|USING|SET|VALUES|SELECT)$/i.test(m[2])) name(m[2], m[1]!);
  }
  const subqueries = new Set([...plan.matchAll(/(?:CO-ROUTINE|MATERIALIZE) (\w+)/g)].map((m) => m[1]!));
  const scanned: string[] = [];
  for (const m of plan.matchAll(/SCAN (\w+)(?: USING (?:COVERING )?INDEX (\w+))?/g)) {
    if (subqueries.has(m[1]!) || (m[2] && partialIndexes.has(m[2]))) continue;
    for (const table of tables.get(m[1]!) ?? [m[1]!]) if (BIG.has(table)) scanned.push(table);
  }
  return scanned;
}

// No statement reads a whole large table, and none that filters by the narrower column walks the brand-wide
// index named beside it (a page's brand-wide counts, such as the review badge, may).
async function expectNarrow(work: () => Promise<unknown>, brandIndexes: [index: string, narrower: RegExp][]) {
  await expectNarrowPlans(await plansOf(await statementsOf(work)), brandIndexes);
}

// The same, on plans already taken (when running `work` again would not run the same statements).
async function expectNarrowPlans(plans: Planned[], brandIndexes: [index: string, narrower: RegExp][]) {
  expect(plans.length).toBeGreaterThan(0);
  const partial = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql LIKE '% WHERE %'").all<{ name: string }>();
  const partialIndexes = new Set(partial.results.map((r) => r.name));
  for (const p of plans) {
    expect(scannedTables(p, partialIndexes), p.text).toEqual([]);
    for (const [index, narrower] of brandIndexes) if (narrower.test(p.sql)) expect(p.plan, p.text).not.toMatch(new RegExp(`INDEX ${index}\\b`));
  }
}

const ENROLLMENT = /enrollment_id\W* = \?/;
const CAMPAIGN = /campaign_id\W* = (?:\?|c\.id)/;

afterEach(() => vi.restoreAllMocks());

describe('query plans of per-creator, per-campaign and per-refund reads', () => {
  it("one creator's console page reads that creator's links, codes, orders, entries and posts", async () => {
    const o = await consoleBrand('owner');
    await expectNarrow(
      async () => expect((await get(`/console/campaigns/${o.campaign.id}/creators/${o.enrollment.id}`, o.cookie)).status).toBe(200),
      [
        ['links_brand_at', ENROLLMENT],
        ['discount_codes_brand_at', ENROLLMENT],
        ['conversions_brand_at', ENROLLMENT],
        ['ledger_brand_period', ENROLLMENT],
        ['submissions_brand_status', ENROLLMENT],
      ],
    );
  });

  it("the campaign list and the network page read each campaign's enrollments, not the brand's", async () => {
    const o = await consoleBrand('owner');
    await expectNarrow(async () => expect((await get('/console', o.cookie)).status).toBe(200), [['enrollments_brand_at', CAMPAIGN]]);
    await expectNarrow(async () => expect((await get(`/console/campaigns/${o.campaign.id}/network`, o.cookie)).status).toBe(200), [['enrollments_brand_at', CAMPAIGN]]);
  });

  it("the admin API's lists filtered by enrollment, campaign or event read by that filter", async () => {
    const o = await consoleBrand('owner');
    await expectNarrow(async () => expect((await admin(o.brand, `/api/admin/links?enrollmentId=${o.enrollment.id}`)).status).toBe(200), [['links_brand_at', ENROLLMENT]]);
    await expectNarrow(async () => expect((await admin(o.brand, `/api/admin/codes?enrollmentId=${o.enrollment.id}`)).status).toBe(200), [['discount_codes_brand_at', ENROLLMENT]]);
    await expectNarrow(async () => expect((await admin(o.brand, `/api/admin/enrollments?campaignId=${o.campaign.id}`)).status).toBe(200), [['enrollments_brand_at', CAMPAIGN]]);
    await expectNarrow(async () => expect((await admin(o.brand, '/api/admin/webhooks/deliveries?eventId=evt_x')).status).toBe(200), [['webhook_deliveries_brand_at', /event_id = \?/]]);
  });

  it("a creator's statement reads that creator's entries in the order it writes them", async () => {
    const m = await signedInCreator();
    expect((await signed(m.brand, m.ingestKey, '/v1/conversions', { orderId: 'statement-1', amountMinor: 10_000, currency: 'USD', occurredAt: new Date().toISOString(), code: m.code })).status).toBe(201);
    const plans = await plansOf(await statementsOf(async () => expect(await (await get('/earnings/statement.csv?year=2026', m.cookie)).text()).toContain('Commission')));
    const statement = plans.find((p) => p.sql.includes('payout_period'))!;
    expect(statement.plan).toMatch(/SEARCH l USING INDEX ledger_creator \(creator_id=\? AND created_at>\?\)/);
    // Entries are read in index order; only those sharing one moment are sorted by id, as the LIMIT stops early.
    expect(statement.plan).not.toMatch(/TEMP B-TREE FOR ORDER BY/);
    await expectNarrow(async () => (await get('/earnings/statement.csv', m.cookie)).text(), []);
  });

  it("Reconcile finds ACH references' payouts by ranges of the payout ids, 40 to a statement, not by walking the brand's payouts", async () => {
    const prefixes = Array.from({ length: 40 }, (_, i) => `po_${String(i).padStart(13, '0')}`);
    const [p] = await plansOf([{ sql: achReferenceSql(40), args: ['brd_x', ...prefixes.flatMap((x) => [x, `${x}{`])], bound: true }]);
    expect(p!.plan, p!.text).toMatch(/MULTI-INDEX OR/);
    expect(p!.plan.match(/SEARCH payouts USING INDEX sqlite_autoindex_payouts_1 \(id>\? AND id<\?\)/g), p!.text).toHaveLength(40);
    expect(p!.plan, p!.text).not.toMatch(/SCAN payouts|payouts_brand/);
    await expectNarrowPlans([p!], []);
  });

  it('a refund finds its reversal by the refund, and a creator their payouts by the creator', async () => {
    const o = await consoleBrand('owner');
    const order = { orderId: 'plan-1', amountMinor: 10_000, currency: 'USD', occurredAt: new Date().toISOString(), code: o.code };
    expect((await signed(o.brand, o.ingestKey, '/v1/conversions', order)).status).toBe(201);
    await expectNarrow(async () => {
      const res = await signed(o.brand, o.ingestKey, '/v1/refunds', { refundId: 'plan-r1', orderId: 'plan-1', amountMinor: 4_000, currency: 'USD', occurredAt: new Date().toISOString() });
      expect(res.status).toBe(201);
    }, []);
    const m = await signedInCreator();
    await expectNarrow(async () => expect((await get('/earnings', m.cookie)).status).toBe(200), []);
  });

  it("a returning customer's order finds the customer's first order in one indexed read", async () => {
    const o = await consoleBrand('owner');
    expect((await o.brand.api('PATCH', `/api/admin/campaigns/${o.campaign.id}`, { returningCustomerMonths: 12 })).status).toBe(200);
    const first = { orderId: 'plan-first', amountMinor: 10_000, currency: 'USD', occurredAt: new Date(Date.now() - 86_400_000).toISOString(), code: o.code, customerRef: 'cus_plan' };
    expect((await signed(o.brand, o.ingestKey, '/v1/conversions', first)).status).toBe(201);
    const ran = await statementsOf(async () => {
      const res = await signed(o.brand, o.ingestKey, '/v1/conversions', { orderId: 'plan-returning', amountMinor: 10_000, currency: 'USD', occurredAt: new Date().toISOString(), customerRef: 'cus_plan' });
      expect(res.status).toBe(201);
      expect(((await res.json()) as { data: { returningCustomerOf: string | null } }).data.returningCustomerOf).toBe('plan-first');
    });
    const plans = await plansOf(ran);
    const lookup = plans.find((p) => p.sql === RETURNING_CUSTOMER_SQL.FIRST_ORDER)!;
    // The customer's orders in time order from the partial index: the LIMIT stops at the first that stands (only
    // orders of one moment are sorted, by id); that one is then read by its id.
    expect(lookup.plan, lookup.text).toMatch(/SEARCH o USING INDEX conversions_brand_customer \(brand_id=\? AND customer_ref=\? AND occurred_at<\?\)/);
    expect(lookup.plan, lookup.text).toMatch(/SEARCH f USING INDEX sqlite_autoindex_conversions_1 \(id=\?\)/);
    expect(lookup.plan, lookup.text).not.toMatch(/TEMP B-TREE FOR ORDER BY/);
    await expectNarrowPlans(plans, [['conversions_brand_at', /customer_ref = \?2/]]);
  });

  it("a payout's statement reads that payout's entries, for the creator, the console and the API", async () => {
    const m = await signedInCreator();
    expect((await signed(m.brand, m.ingestKey, '/v1/conversions', { orderId: 'plan-statement', amountMinor: 10_000, currency: 'USD', occurredAt: '2026-09-05T12:00:00Z', code: m.code })).status).toBe(201);
    expect((await m.brand.api('POST', '/api/admin/payouts/close', { period: '2026-10' })).status).toBe(201);
    const id = (await env.DB.prepare('SELECT id FROM payouts WHERE brand_id = ?').bind(m.brand.brandId).first<{ id: string }>())!.id;
    const owner = await signIn((await adminUser(m.brand.brandId, 'owner')).email);
    const reads: [string, string | undefined][] = [
      [`/earnings/payouts/${id}`, m.cookie],
      [`/earnings/payouts/${id}.csv`, m.cookie],
      [`/console/payouts/${id}`, owner],
      [`/console/payouts/${id}.csv`, owner],
    ];
    for (const [path, cookie] of reads) {
      const plans = await plansOf(await statementsOf(async () => expect((await (await get(path, cookie)).text()).length, path).toBeGreaterThan(0)));
      await expectNarrowPlans(plans, [['ledger_brand_period', /payout_id = \?/]]);
      expect(plans.filter((x) => x.sql.includes('l.payout_id = ?1')).length, path).toBeGreaterThan(0);
      expect(plans.filter((x) => x.sql.includes('FROM payouts p JOIN brands b')).length, path).toBe(1);
      for (const p of plans.filter((x) => x.sql.includes('l.payout_id = ?1'))) {
        expect(p.plan, p.text).toMatch(/SEARCH l USING INDEX ledger_payout_at \(payout_id=\?/);
        // Entries come in the index's order: a page of a long payout sorts nothing.
        expect(p.plan, p.text).not.toMatch(/TEMP B-TREE FOR ORDER BY/);
      }
      for (const p of plans.filter((x) => x.sql.includes('FROM payouts p JOIN brands b'))) expect(p.plan, p.text).toMatch(/SEARCH p USING INDEX sqlite_autoindex_payouts_1 \(id=\?\)/);
    }
    await expectNarrow(async () => expect((await admin(m.brand, `/api/admin/payouts/${id}/entries`)).status).toBe(200), [['ledger_brand_period', /payout_id = \?/]]);
  });

  it("the inbox's unread conversations and the nav's count read the unread index, in the list's order", async () => {
    const plans = await plansOf(
      await statementsOf(async () => {
        for (const after of [undefined, { at: Date.now(), id: 'crt_x' }]) await brandThreads(env.DB, 'brd_x', { unread: true, after, limit: 2 });
        await env.DB.prepare(`SELECT ${UNREAD_THREADS_SQL('?')} AS n`).bind('brd_x').first();
      }),
    );
    expect(plans).toHaveLength(3);
    for (const p of plans) {
      expect(p.plan, p.text).toMatch(/SEARCH t USING (COVERING )?INDEX message_threads_brand_unread \(brand_id=\?/);
      expect(p.plan, p.text).not.toMatch(/TEMP B-TREE/);
    }
  });

  it('a failed hand-over to the queue releases the deliveries it claimed by id, not by walking every pending one', async () => {
    await expectNarrow(() => releaseClaims(env.DB, ['whd_a', 'whd_b']), [['webhook_deliveries_due', /id IN \(/]]);
  });

  it("a post going live and marked not live reads that post's fees, not the enrollment's ledger", async () => {
    const o = await consoleBrand('owner', { paymentModel: 'flat' });
    await env.DB.prepare('UPDATE enrollments SET flat_fee_minor = 25000 WHERE id = ?').bind(o.enrollment.id).run();
    const id = `sub_plan${Date.now()}`;
    await env.DB.prepare(
      "INSERT INTO submissions (id, brand_id, enrollment_id, story_format, draft_url, caption, status, compliance, created_at, updated_at) VALUES (?, ?, ?, 'day_in_the_life', 'https://drive.example/d', '#Glow #ad', 'approved', '{\"hashtag\":true,\"disclosure\":true}', ?, ?)",
    )
      .bind(id, o.brand.brandId, o.enrollment.id, Date.now(), Date.now())
      .run();
    const review = (action: string, body: unknown) =>
      settled(`/api/admin/submissions/${id}/${action}`, { method: 'POST', headers: { authorization: `Bearer ${o.brand.adminKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await expectNarrow(async () => expect((await review('mark-live', { postUrl: 'https://www.instagram.com/p/plan' })).status).toBe(200), [['ledger_enrollment_period', /submission_id = \?/]]);
    await expectNarrow(async () => expect((await review('mark-not-live', { note: 'Gone.' })).status).toBe(200), [['ledger_enrollment_period', /submission_id = \?/]]);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM ledger_entries WHERE submission_id = ? AND kind = 'flat_fee'").bind(id).first('n')).toBe(2);
  });

  it("adding a bonus and reading a creator's bonuses read that enrollment's entries", async () => {
    const o = await consoleBrand('owner');
    const page = `/console/campaigns/${o.campaign.id}/creators/${o.enrollment.id}`;
    await expectNarrow(async () => expect((await post(`${page}/adjustments`, { amount: '10', note: 'Plan', key: 'k'.repeat(20) }, o.cookie)).status).toBe(303), [['ledger_brand_period', ENROLLMENT]]);
    await expectNarrow(async () => expect((await get(page, o.cookie)).status).toBe(200), [['ledger_brand_period', ENROLLMENT]]);
  });

  it("a link's QR code reads that link by its slug or id, for the creator and for the brand", async () => {
    const o = await consoleBrand('owner');
    const m = await signedInCreator();
    await expectNarrow(async () => expect((await get(`/links/${m.link.slug}/qr.svg`, m.cookie)).status).toBe(200), []);
    await expectNarrow(async () => expect((await get(`/console/campaigns/${o.campaign.id}/creators/${o.enrollment.id}/links/${o.link.id}/qr.svg`, o.cookie)).status).toBe(200), [['links_brand_at', /l\.id = \?/]]);
  });

  it("a campaign's updates are posted, counted and read by the campaign, on the console, the brief, home and the API", async () => {
    const m = await signedInCreator();
    const owner = await adminUser(m.brand.brandId, 'owner');
    const cookie = await signIn(owner.email);
    const page = `/console/campaigns/${m.campaign.id}/updates`;
    const key = /name="key" value="([^"]+)"/.exec(await (await get(page, cookie)).text())![1]!;
    await expectNarrow(async () => expect((await post(page, { key, title: 'Plan', body: 'Plans.' }, cookie)).status).toBe(303), [['enrollments_brand_at', CAMPAIGN]]);
    await expectNarrow(async () => expect((await admin(m.brand, `/api/admin/campaigns/${m.campaign.id}/updates`)).status).toBe(200), []);
    const plans = await plansOf(await statementsOf(async () => expect((await get(page, cookie)).status).toBe(200)));
    for (const p of plans.filter((x) => x.sql.includes('FROM campaign_updates'))) expect(p.plan, p.text).toMatch(/campaign_updates_campaign_at \(campaign_id=\?/);
    for (const path of [`/brief/${m.enrollment.id}`, '/']) {
      const read = await plansOf(await statementsOf(async () => expect((await get(path, m.cookie)).status).toBe(200)));
      const updates = read.filter((x) => x.sql.includes('campaign_updates'));
      expect(updates.length, path).toBe(1);
      expect(updates[0]!.plan, updates[0]!.text).toMatch(/campaign_updates_campaign_at \(campaign_id=\? AND created_at>\?\)|campaign_updates_campaign_at \(campaign_id=\?\)/);
    }
  });

  it("the Gifting tab reads one page of the campaign's requests in index order, of a status or all; the address job reads only the addresses it acts on", async () => {
    const o = await consoleBrand('owner');
    const tab = `/console/campaigns/${o.campaign.id}/gifting`;
    const cursor = encodeCursor({ at: Date.now(), id: 'gr_x' });
    for (const path of [tab, `${tab}?status=requested`, `${tab}?cursor=${cursor}`, `${tab}?status=declined&cursor=${cursor}`]) {
      const plans = await plansOf(await statementsOf(async () => expect((await get(path, o.cookie)).status).toBe(200)));
      const list = plans.find((p) => p.sql.includes('FROM gift_requests g JOIN enrollments') && p.sql.includes('ORDER BY g.created_at DESC'))!;
      expect(list.plan, list.text).toMatch(path.includes('status=') ? /SEARCH g USING INDEX gift_requests_campaign \(campaign_id=\? AND status=\?/ : /SEARCH g USING INDEX gift_requests_campaign_at \(campaign_id=\?/);
      expect(list.plan, list.text).not.toMatch(/TEMP B-TREE/);
    }
    const { NO_LONGER_NEEDED, REMOVE, REMOVE_FROM_EVENTS, PLAIN } = GIFT_ADDRESS_SQL;
    const job = await plansOf([
      { sql: NO_LONGER_NEEDED, args: [Date.now(), 500], bound: true },
      { sql: REMOVE, args: ['["gr_x"]', Date.now()], bound: true },
      { sql: REMOVE_FROM_EVENTS, args: ['["gr_x"]'], bound: true },
      ...PLAIN.flatMap((p) => [{ sql: p.read, args: [100], bound: true }, { sql: p.write, args: ['x', 'y', 'z'], bound: true }]),
    ]);
    for (const p of job) expect(p.plan, p.text).not.toMatch(/SCAN (gift_requests|creators|webhook_events|e)\b(?! USING (COVERING )?INDEX \w+_address_plain)/);
    expect(job[0]!.plan).toMatch(/gift_requests_address_held \(status=\?\)[\s\S]*gift_requests_address_held \(status=\? AND updated_at<\?\)/);
    expect(job[2]!.plan).toMatch(/SEARCH e USING COVERING INDEX sqlite_autoindex_webhook_events_1 \(id>\? AND id<\?\)/);
    expect(job.filter((p) => /USING (COVERING )?INDEX \w+_address_plain/.test(p.plan))).toHaveLength(3);
  });

  it("program terms are read by brand and by creator: publishing, the roster, a creator's page, the home notice, accepting and the API lists", async () => {
    const m = await signedInCreator();
    const owner = await adminUser(m.brand.brandId, 'owner');
    const cookie = await signIn(owner.email);
    await expectNarrow(async () => expect((await m.brand.api('PUT', '/api/admin/brand/terms', { text: 'Version one.' })).status).toBe(201), []);
    await expectNarrow(async () => expect((await post('/console/settings/terms', { text: 'Version two.', basedOnVersion: '1' }, cookie)).status).toBe(303), []);
    for (const page of ['/', `/terms/${m.brand.brandId}`]) await expectNarrow(async () => expect((await get(page, m.cookie)).status, page).toBe(200), []);
    await expectNarrow(async () => expect((await post(`/terms/${m.brand.brandId}/accept`, { termsVersion: '2', acceptTerms: '1' }, m.cookie)).status).toBe(303), []);
    const after = encodeCursor({ at: Date.now() + 60_000, id: 'tac_zzzzzzzzzzzzzzzz' });
    for (const page of ['/console/creators', `/console/campaigns/${m.campaign.id}/creators/${m.enrollment.id}`, '/console/settings', '/console/settings/terms/2', `/console/settings/terms/2?cursor=${after}`]) await expectNarrow(async () => expect((await get(page, cookie)).status, page).toBe(200), []);
    for (const list of ['/api/admin/creators', '/api/admin/enrollments', `/api/admin/enrollments/${m.enrollment.id}`, '/api/admin/brand/terms', '/api/admin/brand/terms/versions', '/api/admin/brand/terms/versions/2', `/api/admin/brand/terms/versions/2?cursor=${after}`]) await expectNarrow(async () => expect((await admin(m.brand, list)).status, list).toBe(200), []);
    // Who accepted a version, counted and listed alike through the roster: by the brand's acceptances, then each one's roster row.
    for (const path of ['/api/admin/brand/terms/versions', '/api/admin/brand/terms/versions/2']) {
      const plans = await plansOf(await statementsOf(async () => expect((await admin(m.brand, path)).status, path).toBe(200)));
      const acceptances = plans.filter((p) => p.sql.includes('JOIN roster'));
      expect(acceptances.length, path).toBeGreaterThan(0);
      for (const p of acceptances) {
        // One version's acceptances by terms_acceptances_brand_version_at, in its order: no sort of the brand's acceptances.
        expect(p.plan, p.text).toMatch(/SEARCH a USING (?:COVERING )?INDEX terms_acceptances_brand_version_at \(brand_id=\? AND version=\?\)\nSEARCH r USING (?:COVERING )?INDEX sqlite_autoindex_brand_creators_1 \(brand_id=\? AND creator_id=\?\)/);
        expect(p.plan, p.text).not.toMatch(/TEMP B-TREE/);
      }
    }
  });

  it("creator tags are read by brand and creator, or by brand and tag: setting them, the roster and its filter, the CSV, the import, an erasure and the results by segment", async () => {
    const o = await consoleBrand('owner');
    const page = `/console/campaigns/${o.campaign.id}/creators/${o.enrollment.id}`;
    await expectNarrow(async () => expect((await o.brand.api('PUT', `/api/admin/creators/${o.creator.id}/tags`, { tags: ['uk', 'wave 2'] })).status).toBe(200), []);
    await expectNarrow(async () => expect((await post(`${page}/tags`, { tags: 'uk, skincare' }, o.cookie)).status).toBe(303), []);
    for (const path of [page, '/console/creators?tag=uk', '/console/creators?tag=uk&q=sarah', '/console/creators.csv?tag=uk']) await expectNarrow(async () => expect((await get(path, o.cookie)).status, path).toBe(200), []);
    await expectNarrow(async () => expect((await admin(o.brand, '/api/admin/creators?tag=uk')).status).toBe(200), []);
    // A tag few creators have drives the roster's page from creator_tags_brand_tag, the roster row by its key: the
    // roster is not walked in its order to find them (the console's page chooses them in an inner query, its co-routine).
    for (const request of [() => get('/console/creators?tag=uk', o.cookie), () => get('/console/creators?tag=uk&q=sarah', o.cookie), () => get('/console/creators.csv?tag=uk', o.cookie), () => admin(o.brand, '/api/admin/creators?tag=uk')]) {
      const read = async () => {
        const res = await request();
        expect(res.status).toBe(200);
        await res.text(); // the CSV is read as it streams
      };
      const list = (await plansOf(await statementsOf(read))).filter((p) => /order by "?(?:r|roster)"?\."?created_at"? desc/i.test(p.sql));
      expect(list).toHaveLength(1);
      expect(list[0]!.plan, list[0]!.text).toMatch(/^(?:CO-ROUTINE r\n)?SEARCH \w+ USING COVERING INDEX creator_tags_brand_tag \(brand_id=\? AND tag=\?\)\nSEARCH \w+ USING INDEX sqlite_autoindex_brand_creators_1 \(brand_id=\? AND creator_id=\?\)/);
      expect(list[0]!.plan, list[0]!.text).not.toMatch(/brand_creators_brand_at/);
    }
    const csv = `email,handle,name,tags\ntagged@creators.test,tagged_one,Tagged,"uk; wave 3"\n`;
    // Every statement of the import, its tags' included (a creators row's foreign-key checks read messages_creator
    // and message_threads_creator rather than the whole tables).
    const imported = await plansOf(await statementsOf(async () => expect((await o.brand.api('POST', `/api/admin/campaigns/${o.campaign.id}/import`, { csv, confirm: true })).status).toBeLessThan(300)));
    await expectNarrowPlans(imported, []);
    const tagged = await env.DB.prepare("SELECT creator_id FROM brand_creators WHERE brand_id = ? AND handle = 'tagged_one'").bind(o.brand.brandId).first<string>('creator_id');
    const erased = await plansOf(await statementsOf(async () => expect((await o.brand.api('POST', `/api/admin/creators/${tagged}/erase`, { confirm: true })).status).toBe(200)));
    await expectNarrowPlans(erased, []);
    // The network's results by segment read the campaign's enrollments and their tags, not the brand's.
    for (const by of ['niche', 'platform', 'tag']) {
      await expectNarrow(async () => expect((await get(`/console/campaigns/${o.campaign.id}/network?by=${by}`, o.cookie)).status).toBe(200), [['enrollments_brand_at', CAMPAIGN], ['creator_tags_brand_tag', /creator_tags t ON/]]);
      await expectNarrow(async () => expect((await admin(o.brand, `/api/admin/campaigns/${o.campaign.id}/segments?by=${by}`)).status).toBe(200), [['enrollments_brand_at', CAMPAIGN], ['creator_tags_brand_tag', /creator_tags t ON/]]);
    }
  });

  it('approving drafts in bulk reads the drafts named, not the whole review queue', async () => {
    const o = await consoleBrand('owner');
    await expectNarrow(async () => expect((await post('/console/review/bulk-approve', { ids: ['sub_aaaaaaaaaaaaaaaa'], approve: '1' }, o.cookie)).status).toBeLessThan(500), [['submissions_brand_status', /id IN \(/]]);
  });
});

describe('query plans of declining an order', () => {
  it('declines and reinstates an order, in the console and the API, reading no large table whole', async () => {
    const o = await consoleBrand('owner');
    const placed = await signed(o.brand, o.ingestKey, '/v1/conversions', { orderId: 'plan-decline', amountMinor: 10_000, currency: 'USD', occurredAt: new Date().toISOString(), code: o.code });
    const id = ((await placed.json()) as { data: { id: string } }).data.id;
    await expectNarrow(async () => expect((await get(`/console/orders/${id}/decline`, o.cookie)).status).toBe(200), []);
    await expectNarrow(async () => expect((await post(`/console/orders/${id}/decline`, { key: 'plans-decline-form-key', reason: 'test_order', note: 'Staff' }, o.cookie)).status).toBe(303), []);
    await expectNarrow(async () => expect((await get('/console/orders', o.cookie)).status).toBe(200), []);
    const decline = (await env.DB.prepare('SELECT id FROM declined_commissions WHERE conversion_id = ?').bind(id).first<{ id: string }>())!.id;
    await expectNarrow(async () => expect((await post(`/console/orders/${id}/reinstate`, { key: 'plans-reinstate-form-key', decline }, o.cookie)).status).toBe(303), []);
    await expectNarrow(async () => expect((await o.brand.api('POST', `/api/admin/conversions/${id}/decline`, { reason: 'fraud' })).status).toBe(200), []);
    await expectNarrow(async () => expect((await o.brand.api('POST', `/api/admin/conversions/${id}/reinstate`)).status).toBe(200), []);
  });
});

describe('query plans of every page and list', () => {
  // The console's and the portal's pages and the admin API's lists, each read as a brand with data in it:
  // none reads a whole large table.
  it('reads no large table whole on any console page, portal page or admin list', async () => {
    const o = await consoleBrand('owner');
    const order = { orderId: 'sweep-1', amountMinor: 10_000, currency: 'USD', occurredAt: new Date().toISOString(), code: o.code };
    expect((await signed(o.brand, o.ingestKey, '/v1/conversions', order)).status).toBe(201);
    // A conversation to read, written through the API and the portal (each write reads the conversation only).
    await expectNarrow(async () => expect((await o.brand.api('POST', `/api/admin/creators/${o.creator.id}/messages`, { body: 'Welcome!' })).status).toBe(201), []);
    const c = `/console/campaigns/${o.campaign.id}`;
    let bountyId = '';
    await expectNarrow(async () => {
      const res = await o.brand.api('POST', `/api/admin/campaigns/${o.campaign.id}/bounties`, { title: 'Ten sales', metric: 'sales', target: 10, rewardMinor: 5_000, endsAt: new Date(Date.now() + 86_400_000).toISOString() }, { 'idempotency-key': `plans-${o.campaign.id}` });
      expect(res.status).toBe(201);
      bountyId = ((await res.json()) as { data: { id: string } }).data.id;
    }, []);
    const consolePages = ['/console', c, `${c}/copy`, `${c}/updates`, `${c}/bounties`, `${c}/network`, `${c}/import`, `${c}/creators/${o.enrollment.id}`, '/console/activity', '/console/plans', '/console/creators', '/console/creators?q=sarah', '/console/creators.csv', '/console/keys', '/console/orders', `/console/orders?enrollment=${o.enrollment.id}&from=2026-11-01&to=2026-12-31`, '/console/orders/export.csv', '/console/payouts', `/console/payouts/export.csv?period=${new Date().toISOString().slice(0, 7)}`, '/console/payouts/year-end.csv', '/console/review', '/console/content', '/console/content/export.csv', '/console/settings', '/console/team', '/console/webhooks', `${c}/invites.csv`, '/console/messages', `/console/messages/${o.creator.id}`];
    for (const page of consolePages) await expectNarrow(async () => expect((await get(page, o.cookie)).status, page).toBeLessThan(400), []);
    const lists = ['/api/admin/campaigns', '/api/admin/creators', '/api/admin/enrollments', '/api/admin/links', '/api/admin/codes', '/api/admin/conversions', `/api/admin/payouts?period=${new Date().toISOString().slice(0, 7)}`, '/api/admin/payouts/year-end.csv?year=2026', '/api/admin/webhooks/endpoints', '/api/admin/webhooks/deliveries', '/api/admin/activity', '/api/admin/commission-plans', '/api/admin/submissions', '/api/admin/content', `/api/admin/campaigns/${o.campaign.id}/updates`, `/api/admin/campaigns/${o.campaign.id}/bounties`, `/api/admin/bounties/${bountyId}/awards`, '/api/admin/message-threads', `/api/admin/messages?creatorId=${o.creator.id}`];
    for (const list of lists) await expectNarrow(async () => expect((await admin(o.brand, list)).status, list).toBeLessThan(400), []);
    // A bounty made on the console's form, archived there; the API's archived through the API; and the currency,
    // locked by them, refused.
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const formKey = `plans-form-${o.campaign.id}`.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 64);
    await expectNarrow(async () => expect((await post(`${c}/bounties`, { key: formKey, title: 'Five sales', metric: 'sales', target: '5', reward: '10', startsOn: day(Date.now()), endsOn: day(Date.now() + 2 * 86_400_000) }, o.cookie)).status).toBe(303), []);
    const formBounty = await env.DB.prepare('SELECT id FROM bounties WHERE campaign_id = ? AND form_key = ?').bind(o.campaign.id, formKey).first<{ id: string }>();
    await expectNarrow(async () => expect((await post(`${c}/bounties/${formBounty!.id}/archive`, {}, o.cookie)).status).toBe(303), []);
    await expectNarrow(async () => expect((await o.brand.api('POST', `/api/admin/bounties/${bountyId}/archive`)).status).toBe(200), []);
    await expectNarrow(async () => expect((await o.brand.api('PATCH', '/api/admin/brand', { currency: 'EUR' })).status).toBe(409), []);
    // A copy for the next wave with its creators: the source's creators and the copy's invitations, by campaign.
    await expectNarrow(async () => expect((await o.brand.api('POST', `/api/admin/campaigns/${o.campaign.id}/copy`, { inviteCreatorIds: 'all' }, { 'idempotency-key': 'sweep-copy-all' })).status).toBe(201), []);
    await expectNarrow(async () => expect((await o.brand.api('POST', `/api/admin/campaigns/${o.campaign.id}/copy`, { name: 'Sweep list', inviteCreatorIds: [o.creator.id] }, { 'idempotency-key': 'sweep-copy-list' })).status).toBe(201), []);
    const m = await signedInCreator();
    const thread = `/messages/${m.brand.brandId}`;
    const key = /name="key" value="([^"]+)"/.exec(await (await get(thread, m.cookie)).text())![1]!;
    await expectNarrow(async () => expect((await post(thread, { key, body: 'Hello!' }, m.cookie)).status).toBe(303), []);
    for (const page of ['/', `/brief/${m.enrollment.id}`, `/stats/${m.enrollment.id}`, '/submissions', '/submissions/new', '/earnings', '/account', '/messages', `/messages/${m.brand.brandId}`]) {
      await expectNarrow(async () => expect((await get(page, m.cookie)).status, page).toBeLessThan(400), []);
    }
  });
});

describe('query plans of the money path and the cron', () => {
  it('reads no large table whole recording an order, checking a code, following a link or running the cron', async () => {
    const o = await consoleBrand('owner');
    const storefront = await issueKey(o.brand, 'storefront');
    await expectNarrow(async () => {
      const res = await signed(o.brand, o.ingestKey, '/v1/conversions', { orderId: 'sweep-2', amountMinor: 10_000, currency: 'USD', occurredAt: new Date().toISOString(), code: o.code });
      expect(res.status).toBe(201);
    }, []);
    await expectNarrow(async () => expect((await settled(`/v1/codes/${o.code}`, { headers: { authorization: `Bearer ${storefront}` } })).status).toBe(200), []);
    await expectNarrow(async () => expect((await settled(`/r/${o.link.slug}`)).status).toBe(302), []);
    // An open bounty the order above reaches (no holding period), so the cron's award statements run and are checked.
    await env.DB.prepare('UPDATE campaigns SET holding_days = 0 WHERE id = ?').bind(o.campaign.id).run();
    await expectNarrow(async () => {
      const bounty = await o.brand.api('POST', `/api/admin/campaigns/${o.campaign.id}/bounties`, { title: 'One sale', metric: 'sales', target: 1, rewardMinor: 1_000, startsAt: new Date(Date.now() - 86_400_000).toISOString(), endsAt: new Date(Date.now() + 86_400_000).toISOString() }, { 'idempotency-key': `plans-${o.campaign.id}` });
      expect(bounty.status).toBe(201);
    }, []);
    await expectNarrow(() => runCron(), []);
    expect(await rowCount("SELECT count(*) AS n FROM ledger_entries WHERE brand_id = ? AND event_key LIKE 'bounty:%'", o.brand.brandId)).toBe(1);
  });

  it("webhook event retention deletes a brand's old events and their deliveries by index, oldest first", async () => {
    const o = await consoleBrand('owner');
    const now = Date.now();
    const old = now - 40 * 86_400_000;
    await env.DB.prepare("INSERT INTO webhook_endpoints (id, brand_id, url, secret_enc, events, enabled, created_at, updated_at) VALUES (?, ?, 'https://hooks.example/x', 'x', '[]', 0, ?, ?)")
      .bind(`whe_plan_${o.brand.brandId}`, o.brand.brandId, old, old)
      .run();
    await env.DB.batch([
      env.DB.prepare("INSERT INTO webhook_events (id, brand_id, type, payload, created_at) VALUES (?, ?, 'payout.closed', '{}', ?)").bind(`evt_plan_${o.brand.brandId}`, o.brand.brandId, old),
      env.DB.prepare("INSERT INTO webhook_deliveries (id, brand_id, event_id, endpoint_id, status, attempts, next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, 'delivered', 1, ?, ?, ?)").bind(
        `whd_plan_${o.brand.brandId}`, o.brand.brandId, `evt_plan_${o.brand.brandId}`, `whe_plan_${o.brand.brandId}`, old, old, old,
      ),
    ]);
    const ran = await statementsOf(() => pruneWebhookEvents(env.DB, { retentionDays: 30, now }));
    expect(await rowCount('SELECT count(*) AS n FROM webhook_events WHERE brand_id = ?', o.brand.brandId)).toBe(0);
    const plans = await plansOf(ran);
    const planOf = (sql: string) => plans.find((p) => p.sql === sql)!.plan;
    // The run that deleted the rows: run again it would find no brand and prepare neither DELETE.
    expect(plans.map((p) => p.sql)).toEqual(expect.arrayContaining(Object.values(WEBHOOK_RETENTION_SQL)));
    await expectNarrowPlans(plans, []);
    const oldest = /SEARCH e USING (?:COVERING )?INDEX webhook_events_brand_at \(brand_id=\? AND created_at<\?\)/;
    expect(planOf(WEBHOOK_RETENTION_SQL.CANDIDATE_BRANDS)).toMatch(oldest);
    // An event's deliveries, and whether one is pending, by the event; never by walking every pending delivery.
    const byEvent = /SEARCH p USING INDEX webhook_deliveries_event_endpoint \(event_id=\?\)/;
    expect(planOf(WEBHOOK_RETENTION_SQL.CANDIDATE_BRANDS)).toMatch(byEvent);
    expect(planOf(WEBHOOK_RETENTION_SQL.DELETE_DELIVERIES)).toMatch(/SEARCH webhook_deliveries USING (?:COVERING )?INDEX webhook_deliveries_event_endpoint \(event_id=\?\)/);
    expect(planOf(WEBHOOK_RETENTION_SQL.DELETE_DELIVERIES)).toMatch(byEvent);
    for (const p of plans) expect(p.plan, p.text).not.toMatch(/webhook_deliveries_due/);
    expect(planOf(WEBHOOK_RETENTION_SQL.DELETE_DELIVERIES)).toMatch(oldest);
    expect(planOf(WEBHOOK_RETENTION_SQL.DELETE_EVENTS)).toMatch(/SEARCH webhook_events USING (?:COVERING )?INDEX sqlite_autoindex_webhook_events_1 \(id=\?\)/);
    expect(planOf(WEBHOOK_RETENTION_SQL.DELETE_EVENTS)).toMatch(oldest);
    // Events in index order: the LIMIT stops early instead of sorting every old event of the brand.
    for (const p of plans) expect(p.plan, p.text).not.toMatch(/TEMP B-TREE FOR ORDER BY/);
  });

  it("the cron's sweep of used recovery codes asks after each account's two-step by its key", async () => {
    const [sweep] = await plansOf(await statementsOf(() => forgetUsedRecoveryCodes(env.DB, Date.now())));
    expect(sweep!.plan, sweep!.text).toMatch(/SEARCH f USING (?:COVERING )?INDEX sqlite_autoindex_two_step_factors_1 \(subject_type=\? AND subject_id=\?\)/);
    expect(sweep!.plan, sweep!.text).toMatch(/SEARCH recovery_codes USING INTEGER PRIMARY KEY \(rowid=\?\)/);
    // Only used codes, by the partial index recovery_codes_used: the unused ten of each account are never read.
    expect(sweep!.plan, sweep!.text).toMatch(/SEARCH k USING (?:COVERING )?INDEX recovery_codes_used \(used_at<\?\)/);
  });

  it("the earnings mail finds who earned by the new commissions, and reads each creator's by the creator", async () => {
    const m = await signedInCreator();
    expect((await signed(m.brand, m.ingestKey, '/v1/conversions', { orderId: 'mail-1', amountMinor: 10_000, currency: 'USD', occurredAt: new Date().toISOString(), code: m.code })).status).toBe(201);
    const ran = await statementsOf(async () => expect(await mailEarningsDigests(env as Env, Date.now() + 61_000)).toBeGreaterThanOrEqual(1));
    expect(ran.length).toBe(3); // the claim, the new entries, the tier revenue
    const plans = await plansOf(ran);
    expect(plans.find((p) => p.sql.includes('earnings_digest_from'))!.plan).toMatch(/COVERING INDEX ledger_new_earnings/);
    expect(plans.find((p) => p.sql.includes('AS taken_back'))!.plan).toMatch(/SEARCH l USING INDEX ledger_creator \(creator_id=\? AND created_at>\? AND created_at<\?\)/);
    expect(plans.find((p) => p.sql.includes('UNION ALL'))!.plan).toMatch(/ledger_enrollment_basis \(enrollment_id=\? AND basis_period=\?\)/);
    await expectNarrow(() => mailEarningsDigests(env as Env, Date.now() + 2 * 86_400_000), []);
  });

  it("the weekly report finds the brands whose Monday it is by their zone, and reads each brand's week by the brand", async () => {
    const o = await consoleBrand('owner');
    await adminUser(o.brand.brandId, 'manager');
    const monday = Date.parse('2026-11-30T09:00:00Z');
    const at = monday - 3 * 86_400_000;
    await env.DB.prepare(
      "INSERT INTO conversions (id, brand_id, external_order_id, amount_minor, currency, occurred_at, attribution, enrollment_id, source, payload_hash, created_at) VALUES (?, ?, 'plan-weekly', 5000, 'USD', ?, 'code', ?, 'api', 'h', ?)",
    )
      .bind(`cv_plan_weekly_${o.brand.brandId}`, o.brand.brandId, at, o.enrollment.id, at)
      .run();
    const ran = await statementsOf(async () => expect(await mailWeeklyReports(env as Env, monday)).toBeGreaterThanOrEqual(1));
    expect(ran.length).toBe(9); // the zones, the claim, one batch of seven reads: whatever the number of brands
    const plans = await plansOf(ran);
    expect(plans.find((p) => p.sql.includes('DISTINCT timezone'))!.plan).toMatch(/COVERING INDEX brands_timezone/);
    expect(plans.find((p) => p.sql.includes('SET weekly_report_week = ?1'))!.plan).toMatch(/INDEX brands_timezone \(timezone=\?\)[\s\S]*admin_users_brand_email \(brand_id=\?\)/);
    expect(plans.find((p) => p.sql.includes('AS commission_before'))!.plan).toMatch(/conversions_brand_at \(brand_id=\? AND occurred_at>\? AND occurred_at<\?\)[\s\S]*ledger_conversion \(conversion_id=\?\)/);
    expect(plans.find((p) => p.sql.includes('AS clicks_before'))!.plan).toMatch(/click_rollups_brand_day \(brand_id=\? AND day>\? AND day<\?\)/);
    expect(plans.find((p) => p.sql.includes('AS idle'))!.plan).toMatch(/enrollments_creator \(creator_id=\?\)/);
    expect(plans.find((p) => p.sql.includes('AS ending'))!.plan).toMatch(/submissions_brand_rights \(brand_id=\? AND rights_until>\? AND rights_until<\?\)/);
    await expectNarrow(() => mailWeeklyReports(env as Env, monday + 7 * 86_400_000), []);
    // The rest of the week a run reads nothing.
    expect((await statementsOf(() => mailWeeklyReports(env as Env, monday + 3 * 86_400_000))).length).toBe(0); // Thursday: no zone's Monday or Tuesday
  });

  it('reads no large table whole writing a batch of clicks and rolling them up', async () => {
    const o = await consoleBrand('owner');
    const at = Date.now();
    const clicks = Array.from({ length: 5 }, (_, i) => clickMessage({ brandId: o.brand.brandId, linkId: o.link.id, at: at + i, identityHash: `v${i % 2}` }));
    await expectNarrow(async () => {
      const batch = createMessageBatch<ClickMessage>('chorus-clicks', clicks.map((body) => ({ id: `m-${body.id}`, timestamp: new Date(), attempts: 1, body })));
      const ctx = createExecutionContext();
      await worker.queue(batch, env as Env, ctx);
      await waitOnExecutionContext(ctx);
    }, []);
  });
});
