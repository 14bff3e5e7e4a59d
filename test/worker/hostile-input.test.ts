// Hostile input over the admin API and the public /v1 endpoints. The rule: bad input answers a 4xx in the
// one JSON error shape and writes nothing, and another brand's ids look exactly like ids that do not exist.
// `hostile sweep` is a table-driven pass over every route (malformed and mistyped bodies and fields, path
// ids, queries, keys of the wrong scope, signed store payloads with every field of the wrong type); the
// cases before it are bugs the sweep found, kept as regressions.
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createSubmission } from '../../worker/db/submissions';
import { newId, randomHex } from '../../worker/lib/ids';
import { sealSecret } from '../../worker/lib/secrets';
import { addDays, dayOf } from '../../worker/domain/periods';
import { signShopify, signTimestamped } from '../../worker/lib/signatures';
import shopifyOrderRaw from '../fixtures/shopify-orders-create.json?raw';
import shopifyRefundRaw from '../fixtures/shopify-refunds-create.json?raw';
import stripeChargeRaw from '../fixtures/stripe-charge-refunded.json?raw';
import stripeSessionRaw from '../fixtures/stripe-checkout-session-completed.json?raw';
import stripeInvoiceRaw from '../fixtures/stripe-invoice-paid.json?raw';
import stripeInvoicePaymentRaw from '../fixtures/stripe-invoice-payment-paid.json?raw';
import type { Env } from '../../worker/env';
import worker from '../../worker/index';
import { BASE, createMoneyBrand, issueKey, json, rowCount, signedRequest, type TestBrand } from './fixtures';

// The worker's own fetch handler, not SELF: every SELF.fetch deepens a proxy chain in the test pool, so
// a few thousand requests in one file slow to a crawl and then overflow the stack.
async function call(input: string | Request, init?: RequestInit): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(input instanceof Request ? input : new Request(input, init), env as Env, ctx);
  const body = await res.arrayBuffer();
  await waitOnExecutionContext(ctx);
  return new Response(res.status === 204 || res.status === 304 ? null : body, { status: res.status, headers: res.headers });
}
const signedPost = async (brand: TestBrand, secret: string, path: string, body: unknown, opts?: Parameters<typeof signedRequest>[4]) => call(await signedRequest(brand, secret, path, body, opts));

type World = Awaited<ReturnType<typeof world>>;
type Anomaly = { what: string; status: number; body: string };

// The store webhooks' delivery log records every answer to a connected store, refusals included, on purpose
// (db/webhook-receipts.ts): it is what a developer reads to see why a delivery was refused.
const SKIP_TABLES = new Set(['rate_limits', 'd1_migrations', '_cf_KV', 'sqlite_sequence', 'webhook_receipts']);
let snapshotSql: string[] | null = null;

// One batch that fingerprints every table, to tell whether a rejected request wrote anything.
async function snapshot(): Promise<string> {
  if (!snapshotSql) {
    const { results } = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all<{ name: string }>();
    const parts: string[] = [];
    for (const { name } of results) {
      if (SKIP_TABLES.has(name) || /^_cf/i.test(name)) continue;
      const cols = (await env.DB.prepare(`PRAGMA table_info(\`${name}\`)`).all<{ name: string }>()).results.map((c) => `"${c.name}"`);
      // A fingerprint, not a copy: row count, last rowid, and per column sums over each value's length and
      // first, middle and last characters catch inserts, deletes and updates without moving the database.
      const sums = cols.map((c) => {
        const t = `CAST(${c} AS TEXT)`;
        return `total(rowid * coalesce(length(${t}) * 31 + unicode(${t}) * 7 + unicode(substr(${t}, -1)) * 3 + unicode(substr(${t}, length(${t}) / 2 + 1)), 0))`;
      });
      parts.push(`SELECT '${name}:' || count(*) || ':' || coalesce(max(rowid), 0) || ':' || ${sums.join(" || ',' || ")} AS s FROM \`${name}\``);
    }
    snapshotSql = parts;
  }
  const results = await env.DB.batch(snapshotSql.map((sql) => env.DB.prepare(sql)));
  return results.map((r) => (r.results[0] as { s: string }).s).join('\n');
}

function diffSnapshots(a: string, b: string): string {
  const al = a.split('\n');
  return b
    .split('\n')
    .filter((line, i) => line !== al[i])
    .map((l) => l.split(':')[0])
    .join(', ');
}

const isErrorShape = (body: unknown) => {
  const e = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return !!e && typeof e.code === 'string' && /^[a-z0-9_]+$/.test(e.code) && typeof e.message === 'string';
};

async function world() {
  const a = await createMoneyBrand({ paymentModel: 'hybrid' });
  const b = await createMoneyBrand();
  const setup = async (m: Awaited<ReturnType<typeof createMoneyBrand>>) => {
    const submissionId = await createSubmission(
      env.DB,
      { enrollmentId: m.enrollment.id, brandId: m.brand.brandId, creatorId: m.creator.id, hashtag: '#Glow', disclosureText: '#ad' },
      { storyFormat: 'day_in_the_life', draftUrl: 'https://drive.example/d', caption: 'Morning #Glow #ad' },
    );
    const endpoint = await json<{ data: { id: string } }>(await m.brand.api('POST', '/api/admin/webhooks/endpoints', { url: 'http://127.0.0.1:9/hooks', events: ['payout.closed'] }));
    const eventId = newId('evt');
    const deliveryId = `whd_${newId('x').slice(2).toLowerCase()}`;
    const now = Date.now();
    await env.DB.batch([
      env.DB.prepare("INSERT INTO webhook_events (id, brand_id, type, payload, created_at) VALUES (?, ?, 'payout.closed', '{}', ?)").bind(eventId, m.brand.brandId, now),
      env.DB.prepare("INSERT INTO webhook_deliveries (id, brand_id, event_id, endpoint_id, status, attempts, next_attempt_at, queued_at, created_at, updated_at) VALUES (?, ?, ?, ?, 'failed', 1, ?, ?, ?, ?)").bind(
        deliveryId, m.brand.brandId, eventId, endpoint.data.id, now + 3_600_000, now, now, now,
      ),
    ]);
    const payoutId = `po_${randomHex(12)}`;
    await env.DB.prepare("INSERT INTO payouts (id, brand_id, creator_id, period, currency, amount_minor, status, created_at) VALUES (?, ?, ?, '2020-10', 'USD', 1000, 'pending', ?)")
      .bind(payoutId, m.brand.brandId, m.creator.id, now)
      .run();
    // A closed month with a payout PayPal's payment file pays, so the payment-file probes reach the file's own code.
    const payablePayoutId = `po_${randomHex(12)}`;
    await env.DB.batch([
      env.DB.prepare('UPDATE creators SET payout_details_enc = ? WHERE id = ?').bind(await sealSecret(env.SECRETS_KEY, JSON.stringify({ method: 'paypal', account: `paid-${m.brand.slug}@creators.test` })), m.creator.id),
      env.DB.prepare("INSERT INTO payouts (id, brand_id, creator_id, period, currency, amount_minor, status, created_at) VALUES (?, ?, ?, '2020-11', 'USD', 1000, 'pending', ?)").bind(payablePayoutId, m.brand.brandId, m.creator.id, now),
      env.DB.prepare(
        "INSERT INTO ledger_entries (id, brand_id, enrollment_id, creator_id, kind, amount_minor, currency, basis_minor, period, event_key, available_at, payout_id, created_at) VALUES (?, ?, ?, ?, 'commission', 1000, 'USD', 0, '2020-11', ?, ?, ?, ?)",
      ).bind(newId('le'), m.brand.brandId, m.enrollment.id, m.creator.id, `commission:${newId('k')}`, now, payablePayoutId, now),
      env.DB.prepare("INSERT INTO period_closes (brand_id, period, close_id, closed_by, closed_at) VALUES (?, '2020-11', ?, 'api_key:sweep', ?)").bind(m.brand.brandId, newId('close'), now),
    ]);
    expect((await m.brand.api('GET', '/api/admin/payouts/payment-file?period=2020-11&format=paypal')).status).toBe(200);
    const integration = await json<{ data: { id: string } }>(
      await m.brand.api('POST', '/api/admin/integrations', { provider: 'stripe', externalAccount: `acct-${m.brand.slug}`, secret: 'whsec_0123456789abcdef0123' }),
    );
    // An application waiting on the campaign's public page, for the routes that answer it.
    const applicationId = newId('app');
    await env.DB.prepare("INSERT INTO applications (id, brand_id, campaign_id, email, handle, name, platform, pitch, status, created_at, updated_at) VALUES (?, ?, ?, ?, 'hostile_applicant', 'Hostile Applicant', 'tiktok', '', 'pending', ?, ?)")
      .bind(applicationId, m.brand.brandId, m.campaign.id, `applicant-${m.brand.slug}@creators.test`, now, now)
      .run();
    // A gift product and a creator's request for it, for the gifting routes.
    const giftProductId = newId('gp');
    const giftRequestId = newId('gr');
    await env.DB.batch([
      env.DB.prepare("INSERT INTO gift_products (id, brand_id, campaign_id, title, options, value_minor, created_at) VALUES (?, ?, ?, 'Serum', '[\"30 ml\"]', 3400, ?)").bind(giftProductId, m.brand.brandId, m.campaign.id, now),
      env.DB.prepare(
        `INSERT INTO gift_requests (id, brand_id, campaign_id, enrollment_id, status, items, address, value_minor, created_at, updated_at) VALUES (?, ?, ?, ?, 'requested', ?, '{"name":"S","line1":"1 Road","line2":"","city":"Town","region":"","postalCode":"1","country":"US","phone":""}', 3400, ?, ?)`,
      ).bind(giftRequestId, m.brand.brandId, m.campaign.id, m.enrollment.id, JSON.stringify([{ productId: giftProductId, title: 'Serum', option: '30 ml', sku: null, valueMinor: 3400 }]), now, now),
    ]);
    // A bounty on the campaign, for the archive and awards routes.
    const bountyId = newId('bty');
    await env.DB.prepare("INSERT INTO bounties (id, brand_id, campaign_id, title, metric, target, reward_minor, starts_at, ends_at, created_by_type, created_by_id, created_at) VALUES (?, ?, ?, 'Ten sales', 'sales', 10, 5000, ?, ?, 'api_key', 'key_sweep', ?)")
      .bind(bountyId, m.brand.brandId, m.campaign.id, now, now + 86_400_000, now)
      .run();
    // A credited order, for the decline and reinstate routes.
    const placed = await signedPost(m.brand, m.ingestKey, '/v1/conversions', { orderId: `sweep-decline-${m.brand.slug}`, amountMinor: 10_000, currency: 'USD', occurredAt: new Date().toISOString(), code: m.code });
    expect(placed.status).toBe(201);
    const conversionId = (await json<{ data: { id: string } }>(placed)).data.id;
    // A key of its own for the DELETE probes to revoke, so the ingest key keeps signing the /v1 sweep.
    await issueKey(m.brand, 'storefront');
    // Terms to read a version of (their number, 1, is what the path names).
    expect((await m.brand.api('PUT', '/api/admin/brand/terms', { text: 'Sweep terms.' })).status).toBe(201);
    const keys = await json<{ data: { id: string; scope: string }[] }>(await m.brand.api('GET', '/api/admin/keys'));
    const codes = await json<{ data: { id: string }[] }>(await m.brand.api('GET', '/api/admin/codes'));
    return {
      ...m,
      ids: {
        campaign: m.campaign.id,
        creator: m.creator.id,
        enrollment: m.enrollment.id,
        link: m.link.id,
        code: codes.data[0]!.id,
        key: keys.data.find((k) => k.scope === 'storefront')!.id,
        integration: integration.data.id,
        submission: submissionId,
        payout: payoutId,
        endpoint: endpoint.data.id,
        delivery: deliveryId,
        plan: m.plan.id,
        application: applicationId,
        giftproduct: giftProductId,
        giftrequest: giftRequestId,
        bounty: bountyId,
        conversion: conversionId,
        termsversion: '1',
      },
    };
  };
  const [worldA, worldB] = [await setup(a), await setup(b)];
  // Version numbers are per brand: brand B's own number, which brand A never reaches, is its "foreign id".
  await env.DB.prepare("INSERT INTO program_terms (id, brand_id, version, body, published_at, published_by_type, published_by_id) VALUES (?, ?, 900, 'B terms.', ?, 'api_key', 'key_sweep')").bind(newId('trm'), b.brand.brandId, Date.now()).run();
  worldB.ids.termsversion = '900';
  return { a: worldA, b: worldB };
}

// One world for the whole file: storage is shared between its tests, and building it costs requests.
let sharedWorld: Promise<World> | null = null;
const getWorld = () => (sharedWorld ??= world());

// `headers`: what a route requires on every call beyond its body (a fresh Idempotency-Key where one is required), so the probes reach its validation.
type Route = { method: string; path: string; ids?: (keyof World['a']['ids'])[]; body?: (w: World) => Record<string, unknown>; query?: (w: World) => Record<string, string>; headers?: () => Record<string, string> };
const required = (r: Route) => r.headers?.() ?? {};

let uniq = 0;
const u = () => `${Date.now().toString(36)}${(uniq++).toString(36)}`;

// Every admin JSON operation, with a body that passes validation (so each mutation tests one thing).
const ROUTES: Route[] = [
  { method: 'GET', path: '/api/admin/brand' },
  {
    method: 'PATCH',
    path: '/api/admin/brand',
    body: () => ({ name: 'Hostile brand', clickParam: 'cid', fallbackUrl: null, allowedHosts: ['shop.example', '*.shop.example'], payerName: 'Hostile Brand GmbH', payerIban: 'DE89370400440532013000', payerBic: 'COBADEFFXXX', achCompanyName: 'Hostile Inc', achCompanyId: '1123456789', achOdfiRouting: '011000015', achOdfiName: 'First Bank' }),
  },
  { method: 'GET', path: '/api/admin/brand/terms' },
  { method: 'GET', path: '/api/admin/brand/terms/versions' },
  { method: 'GET', path: '/api/admin/brand/terms/versions/:termsversion', ids: ['termsversion'] },
  { method: 'PUT', path: '/api/admin/brand/terms', body: () => ({ text: `Hostile terms ${u()}`, basedOnVersion: null }) },
  { method: 'GET', path: '/api/admin/campaigns' },
  { method: 'GET', path: '/api/admin/campaigns/:campaign', ids: ['campaign'] },
  {
    method: 'POST',
    path: '/api/admin/campaigns',
    body: (w) => ({ name: 'Hostile', slug: `hostile-${u()}`, hashtag: '#Hostile', defaultDestination: 'https://shop.example/h', commissionPlanId: w.a.ids.plan, positioningAnchor: 'anchor', nonNegotiables: ['one'], disclosureText: '#ad', storyFormats: ['day_in_the_life'], attributionWindowDays: 30, holdingDays: 30, startsAt: '2026-01-01T00:00:00Z', endsAt: null, status: 'draft', baselineCostMinor: 100, baselineEngaged: 10, contentDueAt: '2199-12-31', usageRights: { scopes: ['organic', 'paid'], days: 365, note: 'n' } }),
  },
  // Copies without creators (the invitations are the import's, swept above): each probe that passes is a new draft.
  { method: 'POST', path: '/api/admin/campaigns/:campaign/copy', ids: ['campaign'], body: () => ({ name: `Hostile copy ${u()}`, inviteCreatorIds: [] }) },
  { method: 'PATCH', path: '/api/admin/campaigns/:campaign', ids: ['campaign'], body: () => ({ baselineCostMinor: 100, baselineEngaged: 10, contentDueAt: '2199-12-31', usageRights: { scopes: ['partnership'], days: null, note: '' } }) },
  { method: 'GET', path: '/api/admin/campaigns/:campaign/network', ids: ['campaign'] },
  { method: 'GET', path: '/api/admin/campaigns/:campaign/segments', ids: ['campaign'], query: () => ({ by: 'tag' }) },
  { method: 'POST', path: '/api/admin/campaigns/:campaign/import', ids: ['campaign'], body: () => ({ csv: `email,handle,name\nimp${u()}@creators.test,imp_${u()},Imp\n`, confirm: false, codePattern: '{HANDLE}9', discountPercent: 9 }) },
  { method: 'GET', path: '/api/admin/campaigns/:campaign/invites.csv', ids: ['campaign'] },
  { method: 'GET', path: '/api/admin/campaigns/:campaign/applications', ids: ['campaign'], query: () => ({ status: 'pending' }) },
  { method: 'POST', path: '/api/admin/campaigns/:campaign/applications/:application/approve', ids: ['campaign', 'application'], body: () => ({ paymentModel: 'product' }) },
  // Takes no body: the sweep's first raw body declines it (the body ignored), and every later probe finds it answered.
  { method: 'POST', path: '/api/admin/campaigns/:campaign/applications/:application/decline', ids: ['campaign', 'application'] },
  // Takes no body either; after the decline above, the first probe reopens it and later ones find it waiting.
  { method: 'POST', path: '/api/admin/campaigns/:campaign/applications/:application/reopen', ids: ['campaign', 'application'] },
  // Its waiting application among ids of none: every probe here is refused before the decline, and brand B's
  // key or campaign finds nothing (brand B's ids inside the list are reported not found: application-answers.test.ts).
  { method: 'POST', path: '/api/admin/campaigns/:campaign/applications/decline', ids: ['campaign'], body: (w) => ({ applicationIds: [w.a.ids.application, 'app_missing0'] }) },
  { method: 'GET', path: '/api/admin/campaigns/:campaign/updates', ids: ['campaign'], query: () => ({ limit: '5' }) },
  // The first three that pass post (and mail); the rest of the day's are 409 update_limit_reached, writing nothing.
  { method: 'POST', path: '/api/admin/campaigns/:campaign/updates', ids: ['campaign'], body: () => ({ title: 'Hostile update', body: 'Line one\nLine two' }) },
  { method: 'GET', path: '/api/admin/campaigns/:campaign/bounties', ids: ['campaign'], query: () => ({ limit: '5' }) },
  // Required: a bounty pays creators, so a keyless retry must not make a second (a keyless call is 400 idempotency_key_required).
  {
    method: 'POST',
    path: '/api/admin/campaigns/:campaign/bounties',
    ids: ['campaign'],
    body: () => ({ title: 'Hostile bounty', metric: 'revenue', target: 10_000, rewardMinor: 2_500, endsAt: new Date(Date.now() + 30 * 86_400_000).toISOString() }),
    headers: () => ({ 'idempotency-key': `sweep-${u()}` }),
  },
  { method: 'POST', path: '/api/admin/bounties/:bounty/archive', ids: ['bounty'] },
  { method: 'GET', path: '/api/admin/bounties/:bounty/awards', ids: ['bounty'], query: () => ({ limit: '5' }) },
  { method: 'GET', path: '/api/admin/campaigns/:campaign/gifting', ids: ['campaign'] },
  { method: 'PATCH', path: '/api/admin/campaigns/:campaign/gifting', ids: ['campaign'], body: () => ({ open: true, choices: 2, round: 2 }) },
  { method: 'GET', path: '/api/admin/campaigns/:campaign/gift-products', ids: ['campaign'] },
  // Past 50 a campaign, a 409 too_many_products that writes nothing.
  { method: 'POST', path: '/api/admin/campaigns/:campaign/gift-products', ids: ['campaign'], body: () => ({ title: 'Lip Balm', options: ['Rose', 'Plain'], sku: 'LB-1', valueMinor: 900 }) },
  { method: 'PATCH', path: '/api/admin/campaigns/:campaign/gift-products/:giftproduct', ids: ['campaign', 'giftproduct'], body: () => ({ title: 'Barrier Serum', valueMinor: 3500 }) },
  { method: 'GET', path: '/api/admin/campaigns/:campaign/packing-list.csv', ids: ['campaign'] },
  // A check of the file (confirm false): every probe writes nothing, and brand B's campaign finds no such request.
  { method: 'POST', path: '/api/admin/campaigns/:campaign/gift-requests/ship', ids: ['campaign'], body: (w) => ({ csv: `request_id,carrier,tracking_number\n${w.a.ids.giftrequest},UPS,1Z999AA1\n`, confirm: false }) },
  { method: 'GET', path: '/api/admin/gift-requests', query: (w) => ({ campaignId: w.a.ids.campaign, status: 'requested', limit: '5' }) },
  // The first probe that passes ships it (one mail); later ones correct its tracking or find it the same.
  { method: 'POST', path: '/api/admin/gift-requests/:giftrequest/ship', ids: ['giftrequest'], body: () => ({ carrier: 'UPS', trackingNumber: '1Z999AA1', trackingUrl: 'https://track.example/1Z999AA1' }) },
  // Shipped by then: every decline is a 409 gift_request_not_open.
  { method: 'POST', path: '/api/admin/gift-requests/:giftrequest/decline', ids: ['giftrequest'], body: () => ({ reason: 'Out of stock.' }) },
  { method: 'GET', path: '/api/admin/creators', query: () => ({ tag: 'wave 2', limit: '5' }) },
  { method: 'POST', path: '/api/admin/creators', body: () => { const h = `h_${u()}`; return { email: `${h}@creators.test`, handle: h, displayName: 'Hostile', niche: 'n', platform: 'p', followerCount: 10 }; } },
  // The first probe that passes sets them (one activity row); later ones find the same set and write nothing.
  { method: 'PUT', path: '/api/admin/creators/:creator/tags', ids: ['creator'], body: () => ({ tags: ['uk', 'wave 2'] }) },
  { method: 'POST', path: '/api/admin/creators/:creator/invite', ids: ['creator'] },
  { method: 'POST', path: '/api/admin/creators/:creator/password-reset', ids: ['creator'] },
  // The world's creator is owed its pending payout, so even a valid erase answers 409 creator_owed and erases nobody.
  { method: 'POST', path: '/api/admin/creators/:creator/erase', ids: ['creator'], body: () => ({ confirm: true }) },
  { method: 'GET', path: '/api/admin/messages', query: (w) => ({ creatorId: w.a.ids.creator, limit: '5' }) },
  { method: 'GET', path: '/api/admin/message-threads', query: () => ({ unread: 'true', limit: '5' }) },
  // The first thirty that pass write (the brand's hourly count for the conversation); the rest are 429, writing nothing.
  { method: 'POST', path: '/api/admin/creators/:creator/messages', ids: ['creator'], body: () => ({ body: 'Hostile message\nLine two' }) },
  { method: 'GET', path: '/api/admin/enrollments', query: (w) => ({ campaignId: w.a.ids.campaign }) },
  { method: 'POST', path: '/api/admin/enrollments', body: (w) => ({ campaignId: w.a.ids.campaign, creatorId: w.a.ids.creator, paymentModel: 'flat', flatFeeMinor: 100, briefSection: 'b', status: 'active', contentDueAt: '2199-12-30' }) },
  { method: 'GET', path: '/api/admin/enrollments/:enrollment', ids: ['enrollment'] },
  { method: 'PATCH', path: '/api/admin/enrollments/:enrollment', ids: ['enrollment'], body: () => ({ briefSection: 'Your morning routine, before coffee.', contentDueAt: '2199-12-30' }) },
  { method: 'GET', path: '/api/admin/links', query: (w) => ({ enrollmentId: w.a.ids.enrollment }) },
  { method: 'POST', path: '/api/admin/links', body: (w) => ({ enrollmentId: w.a.ids.enrollment, destination: 'https://shop.example/x', slug: `sl-${u()}` }) },
  { method: 'PATCH', path: '/api/admin/links/:link', ids: ['link'], body: () => ({ status: 'active', destination: 'https://shop.example/glow' }) },
  { method: 'GET', path: '/api/admin/links/:link/stats', ids: ['link'] },
  { method: 'GET', path: '/api/admin/codes', query: (w) => ({ enrollmentId: w.a.ids.enrollment }) },
  { method: 'POST', path: '/api/admin/codes', body: (w) => ({ enrollmentId: w.a.ids.enrollment, code: `HX${u()}`.toUpperCase().replace(/[^A-Z0-9]/g, ''), discountType: 'fixed', discountValue: 500, maxRedemptions: 5, startsAt: null, endsAt: null }) },
  { method: 'POST', path: '/api/admin/codes/bulk', body: (w) => ({ campaignId: w.a.ids.campaign, pattern: `{HANDLE}${uniq++ % 90}`, discountType: 'percent', discountValue: 10 }) },
  { method: 'PATCH', path: '/api/admin/codes/:code', ids: ['code'], body: () => ({ status: 'active' }) },
  { method: 'GET', path: '/api/admin/commission-plans' },
  { method: 'POST', path: '/api/admin/commission-plans', body: () => ({ name: 'P', period: 'month', tiers: [{ fromMinor: 0, rateBps: 1000 }], bonus: { thresholdMinor: 100, amountMinor: 10 } }) },
  { method: 'GET', path: '/api/admin/keys' },
  { method: 'POST', path: '/api/admin/keys', body: () => ({ scope: 'storefront', name: 'k' }) },
  { method: 'DELETE', path: '/api/admin/keys/:key', ids: ['key'] },
  { method: 'GET', path: '/api/admin/integrations' },
  { method: 'POST', path: '/api/admin/integrations', body: () => ({ provider: 'shopify', externalAccount: `s${u()}.myshopify.com`, secret: 'shpss_0123456789abcdef' }) },
  { method: 'DELETE', path: '/api/admin/integrations/:integration', ids: ['integration'] },
  { method: 'GET', path: '/api/admin/submissions', query: (w) => ({ status: 'submitted', campaignId: w.a.ids.campaign, compliance: 'ok', limit: '10' }) },
  { method: 'POST', path: '/api/admin/submissions/:submission/approve', ids: ['submission'], body: () => ({ note: 'ok' }) },
  { method: 'POST', path: '/api/admin/submissions/:submission/request-changes', ids: ['submission'], body: () => ({ note: 'more' }) },
  { method: 'POST', path: '/api/admin/submissions/:submission/reject', ids: ['submission'], body: () => ({ note: 'no' }) },
  { method: 'POST', path: '/api/admin/submissions/:submission/mark-live', ids: ['submission'], body: () => ({ postUrl: 'https://social.example/p/1' }) },
  { method: 'POST', path: '/api/admin/submissions/:submission/metrics', ids: ['submission'], body: () => ({ views: 10, saves: 2 }) },
  { method: 'GET', path: '/api/admin/content', query: (w) => ({ campaignId: w.a.ids.campaign, rights: 'ending', limit: '5' }) },
  { method: 'GET', path: '/api/admin/content/export.csv', query: (w) => ({ campaignId: w.a.ids.campaign, rights: 'none' }) },
  { method: 'GET', path: '/api/admin/content/:submission', ids: ['submission'] },
  { method: 'POST', path: '/api/admin/content/:submission/rights-extension', ids: ['submission'], body: () => ({ days: 90, scopes: ['paid'], feeMinor: 15_000, note: 'For the spring ads.' }) },
  { method: 'POST', path: '/api/admin/content/:submission/rights-extension/withdraw', ids: ['submission'] },
  { method: 'GET', path: '/api/admin/conversions', query: (w) => ({ campaignId: w.a.ids.campaign, enrollmentId: w.a.ids.enrollment, creatorId: w.a.ids.creator, attribution: 'code', orderId: 'order-1', from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z', limit: '5' }) },
  // The first probe that passes declines the order; later ones find it declined and answer it as it is.
  { method: 'POST', path: '/api/admin/conversions/:conversion/decline', ids: ['conversion'], body: () => ({ reason: 'test_order', note: 'Staff test order' }) },
  // Takes no body: the first probe reinstates the order, later ones answer it as it is.
  { method: 'POST', path: '/api/admin/conversions/:conversion/reinstate', ids: ['conversion'] },
  { method: 'GET', path: '/api/admin/conversions/export.csv', query: (w) => ({ campaignId: w.a.ids.campaign, attribution: 'code', from: '2026-01-01T00:00:00Z' }) },
  { method: 'POST', path: '/api/admin/payouts/close', body: () => ({ period: '2020-01' }) },
  { method: 'GET', path: '/api/admin/payouts/export.csv', query: () => ({ period: '2020-10' }) },
  { method: 'GET', path: '/api/admin/payouts', query: () => ({ period: '2020-10' }) },
  { method: 'GET', path: '/api/admin/payouts/year-end.csv', query: () => ({ year: '2020' }) },
  // The world's closed 2020-11 with a PayPal payout: the valid query answers the file, so each mutation reaches the file code.
  { method: 'GET', path: '/api/admin/payouts/payment-file', query: () => ({ period: '2020-11', format: 'paypal', executionDate: addDays(dayOf(Date.now(), 'UTC'), 7), decimal: 'comma' }) },
  { method: 'GET', path: '/api/admin/payouts/:payout/entries', ids: ['payout'], query: () => ({ limit: '2' }) },
  { method: 'POST', path: '/api/admin/payouts/:payout/mark', ids: ['payout'], body: () => ({ status: 'failed', reference: 'R-1', reason: 'The bank bounced it.' }) },
  { method: 'POST', path: '/api/admin/payouts/reconcile', body: (w) => ({ csv: `payout_id,reference,status\n${w.a.ids.payout},R-1,failed\n` }) },
  { method: 'GET', path: '/api/admin/webhooks/endpoints' },
  { method: 'POST', path: '/api/admin/webhooks/endpoints', body: () => ({ url: 'https://hooks.example.com/x', events: ['payout.closed'], description: 'd' }) },
  { method: 'GET', path: '/api/admin/webhooks/endpoints/:endpoint', ids: ['endpoint'] },
  { method: 'POST', path: '/api/admin/webhooks/endpoints/:endpoint/disable', ids: ['endpoint'] },
  { method: 'POST', path: '/api/admin/webhooks/endpoints/:endpoint/enable', ids: ['endpoint'] },
  { method: 'GET', path: '/api/admin/webhooks/deliveries', query: (w) => ({ endpointId: w.a.ids.endpoint, status: 'failed', limit: '5' }) },
  { method: 'POST', path: '/api/admin/webhooks/deliveries/:delivery/replay', ids: ['delivery'] },
  { method: 'POST', path: '/api/admin/webhooks/endpoints/:endpoint/roll-secret', ids: ['endpoint'], body: () => ({ keepCurrentForHours: 1 }) },
  { method: 'GET', path: '/api/admin/activity', query: () => ({ area: 'access', limit: '5' }) },
];

const pathFor = (r: Route, ids: Record<string, string>, override?: string) =>
  r.path.replace(/:([a-z]+)/g, (_, name: string) => override ?? encodeURIComponent(ids[name]!));

const WRONG_VALUES: [string, unknown][] = [
  ['number 1', 1],
  ['zero', 0],
  ['negative', -1],
  ['fraction', 1.5],
  ['1e300', 1e300],
  ['2^53+1', 2 ** 53 + 1],
  ['numeric string', '1'],
  ['empty string', ''],
  ['50k string', 'x'.repeat(50_000)],
  ['object', {}],
  ['array', []],
  ['array of junk', [{}, null, 1]],
  ['boolean', true],
  ['null', null],
  ['NUL', 'a\u0000b'],
  ['lone surrogate', 'a\ud800b'],
  ['RTL override', 'abc\u202egnp.exe'],
  ['CRLF', 'a\r\nb'],
  ['__proto__', { __proto__: { polluted: true } }],
];

const RAW_BODIES: [string, string, Record<string, string>][] = [
  ['malformed JSON', '{"a":', { 'content-type': 'application/json' }],
  ['JSON array', '[]', { 'content-type': 'application/json' }],
  ['JSON null', 'null', { 'content-type': 'application/json' }],
  ['JSON number', '42', { 'content-type': 'application/json' }],
  ['JSON string', '"s"', { 'content-type': 'application/json' }],
  ['empty body', '', { 'content-type': 'application/json' }],
  ['BOM + JSON with an unknown key', '\ufeff{"zzz":1}', { 'content-type': 'application/json' }],
  ['deep nesting', '['.repeat(5000) + ']'.repeat(5000), { 'content-type': 'application/json' }],
  ['2 MB body', JSON.stringify({ x: 'y'.repeat(2 * 1024 * 1024) }), { 'content-type': 'application/json' }],
  ['form body', 'a=b', { 'content-type': 'application/x-www-form-urlencoded' }],
  ['multipart body', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--\r\n', { 'content-type': 'multipart/form-data; boundary=x' }],
  // Latin-1 bytes as text, beside a key no route takes (so the body is invalid for routes whose fields are all optional).
  ['Latin-1 text beside an unknown key', '{"name":"\xff\xfe","zzz":1}', { 'content-type': 'application/json' }],
];

async function send(w: World, method: string, path: string, body: string | undefined, headers: Record<string, string> = {}, key = w.a.brand.adminKey) {
  return call(`${BASE}${path}`, { method, headers: { authorization: `Bearer ${key}`, ...headers }, body });
}

// Sends one request; records it when it answers 5xx, answers an error in another shape, or writes on a 4xx.
// `chain`: for a run of probes with nothing else writing between them, each probe's after-fingerprint is the
// next one's before, which saves a third of the webhook fuzzing's time.
async function probe(anomalies: Anomaly[], what: string, request: () => Promise<Response>, opts: { expect4xx?: boolean; expect404?: boolean; chain?: { last?: string } } = {}) {
  const before = opts.chain?.last ?? (await snapshot());
  const res = await request();
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const after = await snapshot();
  if (opts.chain) opts.chain.last = after;
  const record = (why: string) => anomalies.push({ what: `${what} :: ${why}`, status: res.status, body: text.slice(0, 400) });
  if (res.status >= 500) return record('5xx');
  if (opts.expect404 && res.status !== 404) record('expected 404');
  else if (opts.expect4xx && (res.status < 400 || res.status >= 500)) record('expected 4xx');
  if (res.status >= 400 && !isErrorShape(body)) record('error not in the one shape');
  if (res.status >= 400 && before !== after) record(`wrote on a ${res.status}: ${diffSnapshots(before, after)}`);
}

// Prints what went wrong in full (the assertion shows only status and case), then fails on it.
function expectNoAnomalies(anomalies: Anomaly[]) {
  if (anomalies.length) console.log(anomalies.map((a) => `${a.status} ${a.what}\n    ${a.body}`).join('\n'));
  expect(anomalies.map((a) => `${a.status} ${a.what}`)).toEqual([]);
}

type ErrorBody = { error: { code: string; message: string; details?: unknown } };
type Data<T = Record<string, unknown>> = { data: T };

const draft = (m: Awaited<ReturnType<typeof createMoneyBrand>>) =>
  createSubmission(
    env.DB,
    { enrollmentId: m.enrollment.id, brandId: m.brand.brandId, creatorId: m.creator.id, hashtag: '#Glow', disclosureText: '#ad' },
    { storyFormat: 'day_in_the_life', draftUrl: `https://drive.example/${newId('d')}`, caption: 'Morning #Glow #ad' },
  );
const statusOf = async (submissionId: string) => (await env.DB.prepare('SELECT status, review_notes FROM submissions WHERE id = ?').bind(submissionId).first<{ status: string; review_notes: string | null }>())!;
const newPayout = async (m: Awaited<ReturnType<typeof createMoneyBrand>>) => {
  const id = `po_${randomHex(12)}`;
  await env.DB.prepare("INSERT INTO payouts (id, brand_id, creator_id, period, currency, amount_minor, status, created_at) VALUES (?, ?, ?, '2020-10', 'USD', 1000, 'pending', ?)")
    .bind(id, m.brand.brandId, m.creator.id, Date.now())
    .run();
  return id;
};
const admin = (m: { brand: TestBrand }, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  call(`${BASE}${path}`, {
    method,
    headers: { authorization: `Bearer ${m.brand.adminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('hostile input the sweep found', () => {
  // hono reads a JSON body only when Content-Type says JSON and validates `{}` otherwise: a review sent
  // as text/plain would apply (reject is final) and drop the note the creator was meant to read.
  it('refuses a review sent as text/plain with 415, applying nothing', async () => {
    const m = await createMoneyBrand();
    const id = await draft(m);
    const res = await admin(m, 'POST', `/api/admin/submissions/${id}/reject`, JSON.stringify({ note: 'Off-brief: the product is not shown.' }), { 'content-type': 'text/plain' });
    expect(res.status).toBe(415);
    expect((await json<ErrorBody>(res)).error.code).toBe('unsupported_media_type');
    expect(await statusOf(id)).toEqual({ status: 'submitted', review_notes: null });
  });

  it('refuses a review body with no Content-Type, applying nothing', async () => {
    const m = await createMoneyBrand();
    const id = await draft(m);
    const res = await call(`${BASE}/api/admin/submissions/${id}/approve`, { method: 'POST', headers: { authorization: `Bearer ${m.brand.adminKey}` }, body: '{"note": "Show the label' });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect((await statusOf(id)).status).toBe('submitted');
  });

  // A lone surrogate is stored as U+FFFD: the row is not what the 201 answered, and a retry with the same
  // payment reference would no longer match it (409 instead of the documented no-op).
  it('refuses a payment reference with a lone surrogate', async () => {
    const m = await createMoneyBrand();
    const payoutId = await newPayout(m);
    const mark = () => admin(m, 'POST', `/api/admin/payouts/${payoutId}/mark`, { status: 'paid', reference: 'WISE-88213-\ud83d' });
    expect((await mark()).status).toBe(422);
    expect(await env.DB.prepare('SELECT status FROM payouts WHERE id = ?').bind(payoutId).first('status')).toBe('pending');
  });

  it('refuses lone surrogates in every free-text field', async () => {
    const m = await createMoneyBrand();
    const broken = 'Sarah \ud800 Okafor';
    const cases: [string, string, Record<string, unknown>][] = [
      ['POST', '/api/admin/creators', { email: 'broken@creators.test', handle: 'broken_text', displayName: broken }],
      ['POST', '/api/admin/keys', { scope: 'storefront', name: broken }],
      ['POST', '/api/admin/commission-plans', { name: broken, tiers: [{ fromMinor: 0, rateBps: 1000 }] }],
      ['POST', '/api/admin/webhooks/endpoints', { url: 'https://hooks.example.com/x', description: broken }],
    ];
    const answered: string[] = [];
    for (const [method, path, body] of cases) {
      const res = await admin(m, method, path, body);
      answered.push(`${path} ${res.status}`);
    }
    expect(answered).toEqual(cases.map(([, path]) => `${path} 422`));
  });

  // A code whose window closes before it opens could never be redeemed.
  it('refuses a discount code that ends before it starts', async () => {
    const m = await createMoneyBrand();
    const before = await rowCount('SELECT count(*) AS n FROM discount_codes WHERE brand_id = ?', m.brand.brandId);
    const res = await admin(m, 'POST', '/api/admin/codes', { enrollmentId: m.enrollment.id, code: 'BACKWARDS15', discountType: 'percent', discountValue: 15, startsAt: '2027-01-01T00:00:00Z', endsAt: '2026-01-01T00:00:00Z' });
    expect(res.status).toBe(422);
    expect(await rowCount('SELECT count(*) AS n FROM discount_codes WHERE brand_id = ?', m.brand.brandId)).toBe(before);
  });

  // Date.UTC reads years 0-99 as 1900-1999: a period of year 0000 would close a month nobody earned in.
  it('refuses to close a payout period before 2000', async () => {
    const m = await createMoneyBrand();
    const res = await admin(m, 'POST', '/api/admin/payouts/close', { period: '0000-01' });
    expect(res.status).toBe(422);
    expect(await rowCount('SELECT count(*) AS n FROM period_closes WHERE brand_id = ?', m.brand.brandId)).toBe(0);
  });

  // The roster import already asks for it: a flat creator without a fee could never earn one.
  it('refuses a flat-fee enrollment without a fee', async () => {
    const m = await createMoneyBrand();
    const creator = await json<Data<{ id: string }>>(await admin(m, 'POST', '/api/admin/creators', { email: 'nofee@creators.test', handle: 'no_fee', displayName: 'No Fee' }));
    const res = await admin(m, 'POST', '/api/admin/enrollments', { campaignId: m.campaign.id, creatorId: creator.data.id, paymentModel: 'flat' });
    expect(res.status).toBe(422);
  });

  // The same charge seen once without its payment intent and once with it names two orders that share a
  // refund slice id: reading again never helps, so it is acknowledged (and logged), not a 503 forever.
  it('acknowledges a charge.refunded whose refund slice another order holds', async () => {
    const m = await createMoneyBrand();
    const account = `acct-${newId('x').slice(2).toLowerCase().replace(/[^a-z0-9]/g, '')}`;
    const secret = 'whsec_hostile_0123456789abcdef';
    expect((await admin(m, 'POST', '/api/admin/integrations', { provider: 'stripe', externalAccount: account, secret })).status).toBe(201);
    const event = JSON.parse(stripeChargeRaw) as { data: { object: Record<string, unknown> } } & Record<string, unknown>;
    const charge = { ...event.data.object, id: `ch_${newId('x').slice(2)}`, amount: 5000, amount_refunded: 1000, currency: 'usd' };
    const deliver = async (object: Record<string, unknown>) => {
      const raw = JSON.stringify({ ...event, data: { object } });
      return call(`${BASE}/v1/webhooks/stripe/${account}`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': await signTimestamped(secret, raw, Date.now()) }, body: raw });
    };
    expect((await deliver({ ...charge, payment_intent: null })).status).toBe(200);
    const withIntent = { ...charge, payment_intent: `pi_${newId('x').slice(2)}` };
    for (let attempt = 0; attempt < 2; attempt++) expect((await deliver(withIntent)).status).toBeLessThan(500);
  });

  // Every /api and /v1 body is limited, whether or not the operation reads one; the document says so.
  it('answers a documented 413 for a large body to a route that takes none', async () => {
    const m = await createMoneyBrand();
    const res = await admin(m, 'POST', `/api/admin/creators/${m.creator.id}/invite`, { pad: 'x'.repeat(70_000) });
    expect(res.status).toBe(413);
    expect((await json<ErrorBody>(res)).error.code).toBe('payload_too_large');
  });

  // The import and POST /creators take the same fields by the same rules.
  it('refuses a follower count over a billion in the import as in the creators API', async () => {
    const m = await createMoneyBrand();
    const api = await admin(m, 'POST', '/api/admin/creators', { email: 'big@creators.test', handle: 'big_api', displayName: 'Big', followerCount: 9_999_999_999 });
    expect(api.status).toBe(422);
    const res = await admin(m, 'POST', `/api/admin/campaigns/${m.campaign.id}/import`, { csv: 'email,handle,name,follower_count\nbig2@creators.test,big_import,Big,9999999999\n' });
    expect(res.status).toBe(422);
    expect(await rowCount('SELECT count(*) AS n FROM brand_creators WHERE brand_id = ? AND follower_count > 1000000000', m.brand.brandId)).toBe(0);
  });
});

describe('hostile sweep', () => {
  it.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))('%s: bodies, field types, path ids, queries', { timeout: 300_000 }, async (_name, r) => {
    const w = await getWorld();
    const anomalies: Anomaly[] = [];
    {
      const path = pathFor(r, w.a.ids);
      const qs = r.query ? `?${new URLSearchParams(r.query(w))}` : '';
      // Raw bodies (also sent to routes that take none: they must ignore or refuse them, never fail).
      if (r.method !== 'GET') {
        for (const [label, raw, headers] of RAW_BODIES) {
          await probe(anomalies, `${r.method} ${r.path} ${label}`, () => send(w, r.method, path, raw, headers), { expect4xx: !!r.body });
        }
      }
      if (r.body) {
        const valid = r.body(w);
        // Valid JSON with the wrong content type, and with none.
        await probe(anomalies, `${r.method} ${r.path} text/plain`, () => send(w, r.method, path, JSON.stringify(r.body!(w)), { 'content-type': 'text/plain', ...required(r) }));
        await probe(anomalies, `${r.method} ${r.path} unknown key`, () => send(w, r.method, path, JSON.stringify({ ...r.body!(w), zzz: 1 }), { 'content-type': 'application/json', ...required(r) }), { expect4xx: true });
        for (const field of Object.keys(valid)) {
          for (const [label, value] of WRONG_VALUES) {
            const body = { ...r.body(w), [field]: value };
            const raw = label === '__proto__' ? JSON.stringify(body).replace(`"${field}":{}`, `"${field}":{"__proto__":{"polluted":true}}`) : JSON.stringify(body);
            await probe(anomalies, `${r.method} ${r.path} ${field}=${label}`, () => send(w, r.method, path, raw, { 'content-type': 'application/json', ...required(r) }));
          }
        }
      }
      // Path ids: malformed, huge, encoded slashes, traversal, and another brand's.
      if (r.ids) {
        const valid = r.body ? JSON.stringify(r.body(w)) : undefined;
        const headers: Record<string, string> = valid ? { 'content-type': 'application/json', ...required(r) } : {};
        for (const [label, id] of [
          ['garbage', 'nope'],
          ['sql', "x'%20OR%201%3D1--"],
          ['encoded slash', '..%2F..%2Fkeys'],
          ['double-encoded', '%252F'],
          ['NUL', '%00'],
          ['invalid UTF-8', '%ED%A0%80'],
          ['8 KB id', 'x'.repeat(8_000)],
          ['dot', '.'],
        ] as const) {
          await probe(anomalies, `${r.method} ${r.path} id=${label}`, () => send(w, r.method, pathFor(r, w.a.ids, id) + qs, valid, headers), { expect4xx: true });
        }
        // Brand A's key on brand B's objects: 404, and nothing touched.
        await probe(anomalies, `${r.method} ${r.path} foreign id`, () => send(w, r.method, pathFor(r, w.b.ids) + qs, r.body ? JSON.stringify(r.body(w)) : undefined, headers), { expect404: true });
      }
      // Brand B's ids inside the body (plan, campaign, creator, enrollment): 404 and nothing written; in a
      // reconcile file they are rows this brand does not have, and brand B's payout stays as it was.
      if (r.body) {
        const valid = r.body(w);
        const aToB = new Map(Object.entries(w.a.ids).map(([k, v]) => [v, w.b.ids[k as keyof typeof w.b.ids]]));
        for (const [field, value] of Object.entries(valid)) {
          if (typeof value === 'string' && aToB.has(value)) {
            await probe(anomalies, `${r.method} ${r.path} body ${field}=brand B's`, () => send(w, r.method, path, JSON.stringify({ ...r.body!(w), [field]: aToB.get(value) }), { 'content-type': 'application/json', ...required(r) }), { expect404: true });
          }
          if (typeof value === 'string' && value.includes(w.a.ids.payout)) {
            const before = await env.DB.prepare('SELECT status, reference FROM payouts WHERE id = ?').bind(w.b.ids.payout).first();
            const res = await send(w, r.method, path, JSON.stringify({ ...r.body!(w), [field]: value.replaceAll(w.a.ids.payout, w.b.ids.payout) }), { 'content-type': 'application/json' });
            const text = await res.text();
            if (res.status >= 500 || !text.includes('"not_found"')) anomalies.push({ what: `${r.method} ${r.path} ${field} names brand B's payout`, status: res.status, body: text.slice(0, 400) });
            expect(await env.DB.prepare('SELECT status, reference FROM payouts WHERE id = ?').bind(w.b.ids.payout).first()).toEqual(before);
          }
        }
        // A bad body under an Idempotency-Key leaves no key behind; a malformed key is a 400.
        await probe(anomalies, `${r.method} ${r.path} Idempotency-Key + invalid body`, () => send(w, r.method, path, JSON.stringify({ ...r.body!(w), zzz: 1 }), { 'content-type': 'application/json', 'idempotency-key': `hostile-${u()}` }), { expect4xx: true });
        // (Import, bulk codes, invite, reset and the tracking file take the header and ignore it by design: idempotency.ts:32.)
        if (r.method === 'POST' && !/\/(import|bulk|invite|password-reset|:campaign\/gift-requests\/ship)$/.test(r.path)) {
          for (const key of ['has space', 'x'.repeat(256)]) {
            await probe(anomalies, `${r.method} ${r.path} Idempotency-Key=${key.slice(0, 12)}`, () => send(w, r.method, path, JSON.stringify(r.body!(w)), { 'content-type': 'application/json', 'idempotency-key': key }), { expect4xx: true });
          }
        }
      }
      // List filters naming brand B's objects find nothing.
      if (r.method === 'GET' && r.query) {
        const q = Object.fromEntries(Object.entries(r.query(w)).map(([k, v]) => [k, Object.entries(w.a.ids).find(([, id]) => id === v) ? w.b.ids[Object.entries(w.a.ids).find(([, id]) => id === v)![0] as keyof typeof w.b.ids] : v]));
        if (JSON.stringify(q) !== JSON.stringify(r.query(w)) && !r.path.endsWith('.csv')) {
          const res = await send(w, 'GET', `${path}?${new URLSearchParams(q)}`, undefined);
          const body = (await res.json()) as { data?: unknown[] };
          if (res.status !== 200 || !Array.isArray(body.data) || body.data.length !== 0) anomalies.push({ what: `GET ${r.path} filtered by brand B's ids`, status: res.status, body: JSON.stringify(body).slice(0, 400) });
        }
      }
      if (r.method === 'GET') {
        const base = r.query ? r.query(w) : {};
        const variants: [string, string][] = [
          ['unknown param', 'zzz=1'],
          ['huge param', `zzz=${'x'.repeat(10_000)}`],
          ['limit=-1', 'limit=-1'],
          ['limit=1e9', 'limit=1e9'],
          ['limit=abc', 'limit=abc'],
          ['limit=0x10', 'limit=0x10'],
          ['cursor garbage', 'cursor=%FF%FE'],
        ];
        for (const k of Object.keys(base)) variants.push([`${k} repeated`, `${k}=${encodeURIComponent(base[k]!)}&${k}=${encodeURIComponent(base[k]!)}`], [`${k} huge`, `${k}=${'x'.repeat(10_000)}`], [`${k} empty`, `${k}=`], [`${k} invalid UTF-8`, `${k}=%ED%A0%80`]);
        for (const [label, q] of variants) {
          const rest = new URLSearchParams(base);
          await probe(anomalies, `${r.method} ${r.path}?${label}`, () => send(w, 'GET', `${path}?${rest.toString()}${rest.toString() ? '&' : ''}${q}`, undefined));
        }
      }
    }
    expectNoAnomalies(anomalies);
  });

  it('admin routes: keys without the admin scope, revoked, malformed', { timeout: 300_000 }, async () => {
    const w = await getWorld();
    const anomalies: Anomaly[] = [];
    const storefront = await issueKey(w.a.brand, 'storefront');
    const revoked = await issueKey(w.a.brand, 'admin');
    const keys = await json<{ data: { id: string; prefix: string }[] }>(await w.a.brand.api('GET', '/api/admin/keys'));
    const revokedId = keys.data.find((k) => revoked.startsWith(k.prefix))!.id;
    expect((await w.a.brand.api('DELETE', `/api/admin/keys/${revokedId}`)).status).toBe(200);
    for (const r of ROUTES) {
      const path = pathFor(r, w.a.ids);
      const body = r.body ? JSON.stringify(r.body(w)) : undefined;
      const headers: Record<string, string> = body ? { 'content-type': 'application/json' } : {};
      for (const [label, key] of [
        ['storefront key', storefront],
        ['ingest key', w.a.ingestKey],
        ['revoked admin key', revoked],
        ['200-char key', 'k'.repeat(200)],
      ] as const) {
        await probe(anomalies, `${r.method} ${r.path} ${label}`, () => send(w, r.method, path, body, headers, key), { expect4xx: true });
      }
    }
    expectNoAnomalies(anomalies);
  });

  it('public /v1: code checks and signed ingestion', { timeout: 300_000 }, async () => {
    const w = await getWorld();
    const anomalies: Anomaly[] = [];
    const storefront = await issueKey(w.a.brand, 'storefront');
    for (const code of ['%00', '%ED%A0%80', 'x'.repeat(8_000), '..%2F..%2Fapi', w.b.code, '%E2%80%AE' + w.a.code]) {
      await probe(anomalies, `GET /v1/codes/${code.slice(0, 20)}`, () => call(`${BASE}/v1/codes/${code}`, { headers: { authorization: `Bearer ${storefront}`, 'cf-connecting-ip': `203.0.113.${uniq++ % 250}` } }));
    }
    const order = () => ({ orderId: `o-${u()}`, amountMinor: 5000, currency: 'USD', occurredAt: new Date(Date.now() - 60_000).toISOString(), code: w.a.code, clickId: null, customerRef: 'c' });
    const refund = () => ({ refundId: `r-${u()}`, orderId: `o-${u()}`, amountMinor: 100, currency: 'USD', occurredAt: new Date(Date.now() - 60_000).toISOString() });
    // The probes below must reach validation: the valid payloads are recorded.
    expect((await signedPost(w.a.brand, w.a.ingestKey, '/v1/conversions', order())).status).toBe(201);
    const failing = refund();
    expect((await signedPost(w.a.brand, w.a.ingestKey, '/v1/refunds', failing)).status).toBe(201);
    const failure = () => ({ refundId: failing.refundId, occurredAt: new Date(Date.now() - 30_000).toISOString() });
    for (const [path, make] of [['/v1/conversions', order], ['/v1/refunds', refund], ['/v1/refunds/failures', failure]] as const) {
      for (const [label, raw] of RAW_BODIES) {
        if (label === '2 MB body') {
          await probe(anomalies, `POST ${path} ${label}`, () => call(`${BASE}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw }), { expect4xx: true });
          continue;
        }
        await probe(anomalies, `POST ${path} ${label}`, () => signedPost(w.a.brand, w.a.ingestKey, path, raw), { expect4xx: true });
      }
      for (const field of Object.keys(make())) {
        for (const [label, value] of WRONG_VALUES) {
          await probe(anomalies, `POST ${path} ${field}=${label}`, () => signedPost(w.a.brand, w.a.ingestKey, path, { ...make(), [field]: value }));
        }
      }
      await probe(anomalies, `POST ${path} other brand's account header`, () => signedPost(w.a.brand, w.a.ingestKey, path, make(), { account: w.b.brand.slug }), { expect4xx: true });
    }
    for (const [label, raw] of RAW_BODIES) {
      await probe(anomalies, `POST /v1/webhooks/shopify ${label}`, () => call(`${BASE}/v1/webhooks/shopify`, { method: 'POST', headers: { ...RAW_BODIES[0]![2], 'x-shopify-shop-domain': 'x.myshopify.com', 'x-shopify-hmac-sha256': 'AAAA' }, body: raw }), { expect4xx: true });
      await probe(anomalies, `POST /v1/webhooks/stripe ${label}`, () => call(`${BASE}/v1/webhooks/stripe/${'%2F..%2F'}`, { method: 'POST', headers: { 'stripe-signature': 't=1,v1=00' }, body: raw }), { expect4xx: true });
    }
    expectNoAnomalies(anomalies);
  });
  it('public /v1/webhooks: signed payloads with every field of the wrong type', { timeout: 300_000 }, async () => {
    const m = await createMoneyBrand();
    const anomalies: Anomaly[] = [];
    const shop = `hostile-${u()}.myshopify.com`;
    const account = `hostile-${u()}`;
    const shopSecret = 'shpss_hostile_0123456789abcdef';
    const stripeSecret = 'whsec_hostile_0123456789abcdef';
    expect((await m.brand.api('POST', '/api/admin/integrations', { provider: 'shopify', externalAccount: shop, secret: shopSecret })).status).toBe(201);
    expect((await m.brand.api('POST', '/api/admin/integrations', { provider: 'stripe', externalAccount: account, secret: stripeSecret })).status).toBe(201);
    const shopify = async (topic: string, raw: string) =>
      call(`${BASE}/v1/webhooks/shopify`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-shopify-shop-domain': shop, 'x-shopify-topic': topic, 'x-shopify-hmac-sha256': await signShopify(shopSecret, raw) }, body: raw });
    const stripe = async (raw: string) => call(`${BASE}/v1/webhooks/stripe/${account}`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': await signTimestamped(stripeSecret, raw, Date.now()) }, body: raw });
    const order = JSON.parse(shopifyOrderRaw) as Record<string, unknown>;
    const refund = JSON.parse(shopifyRefundRaw) as Record<string, unknown>;
    const session = JSON.parse(stripeSessionRaw) as { data: { object: Record<string, unknown> } } & Record<string, unknown>;
    const charge = JSON.parse(stripeChargeRaw) as { data: { object: Record<string, unknown> } } & Record<string, unknown>;
    const chain = {};
    for (const [label, raw] of RAW_BODIES) {
      if (label === '2 MB body') continue;
      await probe(anomalies, `shopify ${label}`, async () => shopify('orders/create', raw), { chain });
      await probe(anomalies, `stripe ${label}`, async () => stripe(raw), { chain });
    }
    for (const [topic, base] of [['orders/create', order], ['orders/cancelled', { ...order, cancelled_at: new Date(Date.now() - 1000).toISOString() }], ['refunds/create', refund]] as const) {
      for (const field of Object.keys(base)) {
        for (const [label, value] of WRONG_VALUES) {
          if (label === '50k string') continue;
          await probe(anomalies, `shopify ${topic} ${field}=${label}`, () => shopify(topic, JSON.stringify({ ...base, id: `${u()}`, [field]: value })), { chain });
        }
      }
    }
    const invoice = JSON.parse(stripeInvoiceRaw) as { data: { object: Record<string, unknown> } } & Record<string, unknown>;
    const invoicePayment = JSON.parse(stripeInvoicePaymentRaw) as { data: { object: Record<string, unknown> } } & Record<string, unknown>;
    const subscriptionSession = { ...session, data: { object: { ...session.data.object, mode: 'subscription', payment_intent: null, subscription: `sub_${u()}`, invoice: `in_${u()}` } } };
    // Every field of the one-off events; of the subscription ones, the fields Chorus reads (the rest are the same kinds of value).
    const fieldsOf = (name: string, object: Record<string, unknown>) =>
      name === 'invoice' ? ['id', 'customer', 'currency', 'created', 'status_transitions', 'total', 'amount_paid', 'total_excluding_tax', 'parent', 'subscription', 'subscription_details', 'payment_intent']
        : name === 'subscription session' ? ['mode', 'subscription', 'invoice', 'payment_status', 'metadata', 'created']
          : Object.keys(object);
    const events = [['session', session], ['charge', charge], ['subscription session', subscriptionSession], ['invoice', invoice], ['invoice payment', invoicePayment]] as const;
    for (const [name, event] of events) {
      for (const field of [...fieldsOf(name, event.data.object), '(type)', '(data)']) {
        for (const [label, value] of WRONG_VALUES) {
          if (label === '50k string') continue;
          const object = { ...event.data.object, id: `${name}_${u()}`, payment_intent: `pi_${u()}` };
          const body = field === '(type)' ? { ...event, type: value, data: { object } } : field === '(data)' ? { ...event, data: value } : { ...event, data: { object: { ...object, [field]: value } } };
          await probe(anomalies, `stripe ${name} ${field}=${label}`, () => stripe(JSON.stringify(body)), { chain });
        }
      }
    }
    expectNoAnomalies(anomalies);
  });
});

