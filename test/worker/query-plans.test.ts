// The plans SQLite makes for the pages and calls that read one creator's, one campaign's or one refund's rows.
// D1 keeps no statistics, so where a brand filter sits beside a narrower one the planner was free to walk the
// brand's index (every order, entry, post or enrollment of the brand) to find a few rows, and where no index
// existed it read a whole table. Each story records every statement a request runs and reads its plan.
import { env, SELF } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { consoleBrand } from './console-fixtures';
import { BASE, issueKey, runCron, signedPost } from './fixtures';
import { get, post } from './forms';
import { signedInCreator, portalTestDefaults } from './portal-fixtures';

portalTestDefaults();

type Ran = { sql: string; args: unknown[] };

// Every statement prepared on env.DB while `work` runs, with what it was bound to.
async function statementsOf(work: () => Promise<unknown>): Promise<Ran[]> {
  const ran: Ran[] = [];
  const byStatement = new WeakMap<object, Ran>();
  const prepare = env.DB.prepare.bind(env.DB);
  vi.spyOn(env.DB, 'prepare').mockImplementation((sql: string) => {
    const statement = prepare(sql);
    const entry = { sql, args: [] };
    ran.push(entry);
    byStatement.set(statement, entry);
    return statement;
  });
  const proto = Object.getPrototypeOf(prepare('SELECT 1')) as { bind: (...args: unknown[]) => D1PreparedStatement };
  const bind = proto.bind;
  vi.spyOn(proto, 'bind').mockImplementation(function (this: object, ...args: unknown[]) {
    const entry = byStatement.get(this);
    if (entry) entry.args = args;
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

const BIG = new Set(['clicks', 'conversions', 'ledger_entries', 'refunds', 'submissions', 'payouts', 'enrollments', 'links', 'discount_codes', 'webhook_deliveries', 'audit_log']);

// The tables a plan scans whole (SCAN, with or without a covering index), by name or by their alias in the SQL.
function scannedTables({ sql, plan }: Planned): string[] {
  const tables = new Map<string, string>();
  for (const m of sql.matchAll(/\b(?:FROM|JOIN)\s+"?(\w+)"?(?:\s+(?:AS\s+)?"?(\w+)"?)?/gi)) {
    tables.set(m[1]!, m[1]!);
    if (m[2] && !/^(ON|WHERE|JOIN|LEFT|INNER|GROUP|ORDER|LIMIT|USING)$/i.test(m[2])) tables.set(m[2], m[1]!);
  }
  // A name that also labels a subquery (`(SELECT … LIMIT ?) cv`) is scanned as that subquery's bounded rows.
  const subqueries = new Set([...sql.matchAll(/\)\s*(?:AS\s+)?(\w+)/gi)].map((m) => m[1]!));
  return [...plan.matchAll(/SCAN (\w+)/g)].filter((m) => !subqueries.has(m[1]!)).map((m) => tables.get(m[1]!) ?? m[1]!).filter((t) => BIG.has(t));
}

// No statement reads a whole large table, and none that filters by the narrower column walks the brand-wide
// index named beside it (a page's brand-wide counts, such as the review badge, may).
async function expectNarrow(work: () => Promise<unknown>, brandIndexes: [index: string, narrower: RegExp][]) {
  const plans = await plansOf(await statementsOf(work));
  expect(plans.length).toBeGreaterThan(0);
  for (const p of plans) {
    expect(scannedTables(p), p.text).toEqual([]);
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
    await expectNarrow(async () => expect((await o.brand.api('GET', `/api/admin/links?enrollmentId=${o.enrollment.id}`)).status).toBe(200), [['links_brand_at', ENROLLMENT]]);
    await expectNarrow(async () => expect((await o.brand.api('GET', `/api/admin/codes?enrollmentId=${o.enrollment.id}`)).status).toBe(200), [['discount_codes_brand_at', ENROLLMENT]]);
    await expectNarrow(async () => expect((await o.brand.api('GET', `/api/admin/enrollments?campaignId=${o.campaign.id}`)).status).toBe(200), [['enrollments_brand_at', CAMPAIGN]]);
    await expectNarrow(async () => expect((await o.brand.api('GET', '/api/admin/webhooks/deliveries?eventId=evt_x')).status).toBe(200), [['webhook_deliveries_brand_at', /event_id = \?/]]);
  });

  it('a refund finds its reversal by the refund, and a creator their payouts by the creator', async () => {
    const o = await consoleBrand('owner');
    const order = { orderId: 'plan-1', amountMinor: 10_000, currency: 'USD', occurredAt: new Date().toISOString(), code: o.code };
    expect((await signedPost(o.brand, o.ingestKey, '/v1/conversions', order)).status).toBe(201);
    await expectNarrow(async () => {
      const res = await signedPost(o.brand, o.ingestKey, '/v1/refunds', { refundId: 'plan-r1', orderId: 'plan-1', amountMinor: 4_000, currency: 'USD', occurredAt: new Date().toISOString() });
      expect(res.status).toBe(201);
    }, []);
    const m = await signedInCreator();
    await expectNarrow(async () => expect((await get('/earnings', m.cookie)).status).toBe(200), []);
  });

  it('approving drafts in bulk reads the drafts named, not the whole review queue', async () => {
    const o = await consoleBrand('owner');
    await expectNarrow(async () => expect((await post('/console/review/bulk-approve', { ids: ['sub_aaaaaaaaaaaaaaaa'] }, { cookie: o.cookie })).status).toBeLessThan(500), [['submissions_brand_status', /id IN \(/]]);
  });
});

describe('query plans of every page and list', () => {
  // The console's and the portal's pages and the admin API's lists, each read as a brand with data in it:
  // none reads a whole large table.
  it('reads no large table whole on any console page, portal page or admin list', async () => {
    const o = await consoleBrand('owner');
    const order = { orderId: 'sweep-1', amountMinor: 10_000, currency: 'USD', occurredAt: new Date().toISOString(), code: o.code };
    expect((await signedPost(o.brand, o.ingestKey, '/v1/conversions', order)).status).toBe(201);
    const c = `/console/campaigns/${o.campaign.id}`;
    const consolePages = ['/console', c, `${c}/network`, `${c}/import`, `${c}/creators/${o.enrollment.id}`, '/console/activity', '/console/keys', '/console/orders', '/console/orders/export.csv', '/console/payouts', `/console/payouts/export.csv?period=${new Date().toISOString().slice(0, 7)}`, '/console/review', '/console/settings', '/console/team', '/console/webhooks', `${c}/invites.csv`];
    for (const page of consolePages) await expectNarrow(async () => expect((await get(page, o.cookie)).status, page).toBeLessThan(400), []);
    const lists = ['/api/admin/campaigns', '/api/admin/creators', '/api/admin/enrollments', '/api/admin/links', '/api/admin/codes', '/api/admin/conversions', `/api/admin/payouts?period=${new Date().toISOString().slice(0, 7)}`, '/api/admin/webhooks/endpoints', '/api/admin/webhooks/deliveries', '/api/admin/activity', '/api/admin/commission-plans', '/api/admin/submissions'];
    for (const list of lists) await expectNarrow(async () => expect((await o.brand.api('GET', list)).status, list).toBeLessThan(400), []);
    const m = await signedInCreator();
    for (const page of ['/', `/brief/${m.enrollment.id}`, `/stats/${m.enrollment.id}`, '/submissions', '/submissions/new', '/earnings']) {
      await expectNarrow(async () => expect((await get(page, m.cookie)).status, page).toBeLessThan(400), []);
    }
  });
});

describe('query plans of the money path and the cron', () => {
  it('reads no large table whole recording an order, checking a code, following a link or running the cron', async () => {
    const o = await consoleBrand('owner');
    const storefront = await issueKey(o.brand, 'storefront');
    await expectNarrow(async () => {
      const res = await signedPost(o.brand, o.ingestKey, '/v1/conversions', { orderId: 'sweep-2', amountMinor: 10_000, currency: 'USD', occurredAt: new Date().toISOString(), code: o.code });
      expect(res.status).toBe(201);
    }, []);
    await expectNarrow(async () => expect((await SELF.fetch(`${BASE}/v1/codes/${o.code}`, { headers: { authorization: `Bearer ${storefront}` } })).status).toBe(200), []);
    await expectNarrow(async () => expect((await SELF.fetch(`${BASE}/r/${o.link.slug}`, { redirect: 'manual' })).status).toBe(302), []);
    await expectNarrow(() => runCron(), []);
  });
});
