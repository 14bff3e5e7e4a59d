// Test stories start from a fresh brand with its own keys, so tests never depend on each other's rows.
import { createExecutionContext, createScheduledController, env, SELF, waitOnExecutionContext } from 'cloudflare:test';
import { vi } from 'vitest';
import type { Env } from '../../worker/env';
import worker from '../../worker/index';
import { apiKeyRow, generateApiKey } from '../../worker/lib/api-keys';
import type { ClickMessage } from '../../worker/domain/clicks';
import { newClickId, newId } from '../../worker/lib/ids';
import { signTimestamped } from '../../worker/lib/signatures';
import signatures from '../fixtures/signatures.json';

export const BASE = 'https://chorus.test';

// A click as the redirect hands it to the queue: a human visitor on a phone, unless `fields` say otherwise.
export function clickMessage(fields: Pick<ClickMessage, 'brandId' | 'linkId' | 'at'> & Partial<ClickMessage>): ClickMessage {
  return { id: newClickId(), country: 'DE', device: 'mobile', referrerHost: null, identityHash: newClickId(), isBot: false, ...fields };
}

// A click row written straight to D1, with none of the consumer's work (no rollup, no late credit): the
// state a failure leaves behind, for the jobs that must cope with it.
export async function storeRawClick(click: { id: string; brandId: string; linkId: string; at: number }): Promise<void> {
  await env.DB.prepare("INSERT INTO clicks (id, brand_id, link_id, at, device, identity_hash, is_bot, is_duplicate) VALUES (?, ?, ?, ?, 'mobile', 'raw', 0, 0)")
    .bind(click.id, click.brandId, click.linkId, click.at)
    .run();
}

// One run of the cron trigger, with everything it leaves in waitUntil finished.
export async function runCron(cronEnv: Env = env as Env): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: new Date(), cron: '*/15 * * * *' }), cronEnv, ctx);
  await waitOnExecutionContext(ctx);
}

// The real local D1 with some of its methods replaced: the fault (or the watch) a test injects on purpose.
// Everything not overridden is the real binding's, bound to it.
export function d1With(overrides: Partial<Record<keyof D1Database, unknown>>, db: D1Database = env.DB): D1Database {
  return new Proxy(db, {
    get(target, prop) {
      if (Object.hasOwn(overrides, prop)) return overrides[prop as keyof D1Database];
      const value = Reflect.get(target, prop);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

// A D1 whose batches from the `from`th on wait at the gate: `reached` resolves when that batch arrives, and
// `release` lets them all through, so a test can land another write between a request's read and its write.
export function heldBatches(from = 1): { db: D1Database; reached: Promise<void>; release: () => void } {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let arrived!: () => void;
  const reached = new Promise<void>((r) => (arrived = r));
  let batches = 0;
  const db = d1With({
    batch: async (statements: D1PreparedStatement[]) => {
      if (++batches >= from) {
        arrived();
        await gate;
      }
      return env.DB.batch(statements);
    },
  });
  return { db, reached, release };
}

// D1 refusing every batch, as a storage outage does.
export const failingBatches = () => d1With({ batch: () => Promise.reject(new Error('D1_ERROR: storage unavailable')) });

export type TestBrand = {
  brandId: string;
  slug: string;
  adminKey: string;
  api: (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<Response>;
};

export async function createBrand(opts: { allowedHosts?: string[]; clickParam?: string; fallbackUrl?: string | null; timezone?: string } = {}): Promise<TestBrand> {
  const brandId = newId('brand');
  const slug = `b-${brandId.slice(6).toLowerCase().replace(/[^a-z0-9]/g, '')}`;
  const now = Date.now();
  await env.DB.prepare(
    'INSERT INTO brands (id, slug, name, allowed_hosts, currency, timezone, click_param, fallback_url, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  )
    .bind(brandId, slug, 'Test Brand', JSON.stringify(opts.allowedHosts ?? ['shop.example', '*.shop.example']), 'USD', opts.timezone ?? 'UTC', opts.clickParam ?? 'cid', opts.fallbackUrl ?? null, now)
    .run();
  const adminKey = generateApiKey('admin');
  const row = await apiKeyRow(brandId, 'admin', adminKey, 'test', now);
  await env.DB.prepare('INSERT INTO api_keys (id, brand_id, scope, name, key_hash, prefix, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .bind(row.id, brandId, 'admin', 'test', row.keyHash, row.prefix, now)
    .run();
  const api = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    SELF.fetch(`${BASE}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  return { brandId, slug, adminKey, api };
}

export type Data<T = Record<string, unknown>> = { data: T };

export async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

// A creator added through the API who has also pressed Accept on the brand's invitation in their portal
// (the portal tests press it for real): only such a creator can be enrolled active.
export async function addAcceptedCreator(brand: TestBrand, body: { email: string; handle: string; displayName: string }): Promise<Data<{ id: string }>> {
  const creator = await json<Data<{ id: string }>>(await brand.api('POST', '/api/admin/creators', body));
  await env.DB.prepare('UPDATE brand_creators SET accepted_at = ? WHERE brand_id = ? AND creator_id = ?').bind(Date.now(), brand.brandId, creator.data.id).run();
  return creator;
}

let counter = 0;
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}`;

// Brand → campaign → creator → enrollment → link, through the admin API.
export async function createLinkedCreator(brand: TestBrand, opts: { destination?: string; handle?: string; campaignSlug?: string } = {}) {
  const tag = unique();
  const campaign = await json<Data<{ id: string; slug: string }>>(
    await brand.api('POST', '/api/admin/campaigns', {
      name: 'Spring Glow',
      slug: opts.campaignSlug ?? `spring-${tag}`,
      hashtag: '#SpringGlow',
      defaultDestination: 'https://shop.example/spring',
    }),
  );
  const handle = opts.handle ?? `c_${tag}`;
  const creator = await addAcceptedCreator(brand, { email: `${handle}@creators.test`, handle, displayName: `Creator ${tag}` });
  const enrollment = await json<Data<{ id: string }>>(
    await brand.api('POST', '/api/admin/enrollments', { campaignId: campaign.data.id, creatorId: creator.data.id, paymentModel: 'affiliate', status: 'active' }),
  );
  const linkRes = await brand.api('POST', '/api/admin/links', { enrollmentId: enrollment.data.id, ...(opts.destination ? { destination: opts.destination } : {}) });
  const link = await json<Data<{ id: string; slug: string; url: string; destination: string }>>(linkRes);
  return { campaign: campaign.data, creator: creator.data, enrollment: enrollment.data, link: link.data, handle };
}

export async function waitFor<T>(probe: () => Promise<T | undefined | null>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null) return value;
    if (Date.now() > deadline) throw new Error('waitFor timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

// A ledger entry written straight to D1 (USD), for tests of what reads the ledger: closes, the payouts page,
// earnings, the roster. `createdAt` defaults to `availableAt`.
export type TestLedgerEntry = {
  brandId: string;
  enrollmentId: string;
  creatorId: string;
  amountMinor: number;
  period: string;
  availableAt: number;
  kind?: string;
  basisMinor?: number;
  payoutId?: string | null;
  createdAt?: number;
};

export function insertLedgerEntry(e: TestLedgerEntry) {
  const kind = e.kind ?? 'commission';
  return env.DB.prepare(
    "INSERT INTO ledger_entries (id, brand_id, enrollment_id, creator_id, kind, amount_minor, currency, basis_minor, period, event_key, available_at, payout_id, created_at) VALUES (?, ?, ?, ?, ?, ?, 'USD', ?, ?, ?, ?, ?, ?)",
  )
    .bind(newId('le'), e.brandId, e.enrollmentId, e.creatorId, kind, e.amountMinor, e.basisMinor ?? 0, e.period, `${kind}:${newId('k')}`, e.availableAt, e.payoutId ?? null, e.createdAt ?? e.availableAt)
    .run();
}

export type LogLine = { ts: string; level: string; event: string; request_id: string | null; fields: Record<string, unknown> };

// Every line the worker wrote to the console during `work`, each parsed as the one JSON object it must be.
export async function captureLogs<T>(work: () => Promise<T>): Promise<{ result: T; lines: LogLine[] }> {
  const written: string[] = [];
  const spies = (['log', 'warn', 'error'] as const).map((method) => vi.spyOn(console, method).mockImplementation((line: unknown) => void written.push(String(line))));
  try {
    const result = await work();
    return { result, lines: written.map((line) => JSON.parse(line) as LogLine) };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

export async function rowCount(sql: string, ...params: unknown[]): Promise<number> {
  const row = await env.DB.prepare(sql).bind(...params).first<{ n: number }>();
  return row?.n ?? 0;
}

export async function issueKey(brand: TestBrand, scope: 'storefront' | 'ingest' | 'admin'): Promise<string> {
  const res = await brand.api('POST', '/api/admin/keys', { scope, name: `${scope} key` });
  return (await json<Data<{ key: string }>>(res)).data.key;
}

// Miniflare's rate limiter counts per minute-aligned window and starts each window at zero, so a test
// that counts up to a limit waits, when needed, until `needMs` of the current window remain. Such a test
// takes RATE_WINDOW_TEST_TIMEOUT_MS as its timeout: the wait alone can outlast the default 5 s.
export const RATE_WINDOW_TEST_TIMEOUT_MS = 30_000;
export async function inOneRateWindow(needMs = 15_000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < needMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

type SigningOptions = { at?: number; extraSecrets?: string[]; account?: string };

// A POST signed as a store signs it, as a Request (for a test that calls the worker with its own context).
export async function signedRequest(brand: TestBrand, secret: string, path: string, body: unknown, opts: SigningOptions = {}): Promise<Request> {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const signature = await signTimestamped(secret, raw, opts.at ?? Date.now());
  const extra = await Promise.all((opts.extraSecrets ?? []).map(async (s) => (await signTimestamped(s, raw, opts.at ?? Date.now())).split(',')[1]));
  return new Request(`${BASE}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'chorus-account': opts.account ?? brand.slug, 'chorus-signature': [signature, ...extra].join(',') },
    body: raw,
  });
}

export async function signedPost(brand: TestBrand, secret: string, path: string, body: unknown, opts: SigningOptions = {}): Promise<Response> {
  return SELF.fetch(await signedRequest(brand, secret, path, body, opts));
}

export const TIERS = [
  { fromMinor: 0, rateBps: 1000 },
  { fromMinor: 100_000, rateBps: 1500 },
  { fromMinor: 500_000, rateBps: 2000 },
];

// Flat and hybrid enrollments need a fee: 250.00 per live post unless a test sets its own.
export const paymentTerms = (paymentModel: 'affiliate' | 'hybrid' | 'flat' | 'product') => ({ paymentModel, flatFeeMinor: paymentModel === 'flat' || paymentModel === 'hybrid' ? 25_000 : 0 });

// A brand with a tiered plan, one affiliate creator with a link and a SARAH15-style code, and an ingest key.
export async function createMoneyBrand(opts: { paymentModel?: 'affiliate' | 'hybrid' | 'flat' | 'product'; bonus?: { thresholdMinor: number; amountMinor: number }; period?: 'month' | 'lifetime'; timezone?: string; accepted?: boolean } = {}) {
  const brand = await createBrand({ timezone: opts.timezone });
  const plan = await json<Data<{ id: string }>>(await brand.api('POST', '/api/admin/commission-plans', { name: 'Standard', tiers: TIERS, period: opts.period ?? 'month', bonus: opts.bonus ?? null }));
  const tag = unique();
  const campaign = await json<Data<{ id: string; slug: string }>>(
    await brand.api('POST', '/api/admin/campaigns', { name: 'Glow', slug: `glow-${tag}`, hashtag: '#Glow', defaultDestination: 'https://shop.example/glow', commissionPlanId: plan.data.id, holdingDays: 30 }),
  );
  const handle = `sarah_${tag}`.slice(0, 30);
  const body = { email: `${handle}@creators.test`, handle, displayName: 'Sarah' };
  // `accepted: false`: a creator who has not pressed Accept on the brand's invitation yet, enrolled as invited.
  const accepted = opts.accepted ?? true;
  const creator = accepted ? await addAcceptedCreator(brand, body) : await json<Data<{ id: string }>>(await brand.api('POST', '/api/admin/creators', body));
  const enrollment = await json<Data<{ id: string }>>(
    await brand.api('POST', '/api/admin/enrollments', { campaignId: campaign.data.id, creatorId: creator.data.id, ...paymentTerms(opts.paymentModel ?? 'affiliate'), status: accepted ? 'active' : 'invited' }),
  );
  const link = await json<Data<{ id: string; slug: string }>>(await brand.api('POST', '/api/admin/links', { enrollmentId: enrollment.data.id }));
  const code = `S${tag.toUpperCase()}`.replace(/[^A-Z0-9]/g, '').slice(0, 20) + '15';
  await brand.api('POST', '/api/admin/codes', { enrollmentId: enrollment.data.id, code, discountType: 'percent', discountValue: 15 });
  const ingestKey = await issueKey(brand, 'ingest');
  return { brand, plan: plan.data, campaign: campaign.data, creator: creator.data, enrollment: enrollment.data, link: link.data, code, handle, ingestKey };
}

// A Shopify shop and a Stripe account connected to the brand under the fixture secrets (test/fixtures/signatures.json),
// named from `prefix` and unique per call.
export async function connectStores(brand: TestBrand, prefix: string): Promise<{ shop: string; stripeAccount: string }> {
  const shop = `${prefix}-${unique()}.myshopify.com`;
  const stripeAccount = `${prefix}-${unique()}`;
  for (const [provider, externalAccount, secret] of [['shopify', shop, signatures.shopifySecret], ['stripe', stripeAccount, signatures.stripeSecret]] as const) {
    const res = await brand.api('POST', '/api/admin/integrations', { provider, externalAccount, secret });
    if (res.status !== 201) throw new Error(`connecting ${provider} answered ${res.status}: ${await res.text()}`);
  }
  return { shop, stripeAccount };
}

// A creator's draft as the portal stores it, `status` submitted unless said, sent now.
export async function insertSubmission(brandId: string, enrollmentId: string, status = 'submitted', caption = 'Morning routine #Glow #ad') {
  const id = newId('sub');
  const now = Date.now();
  await env.DB.prepare(
    "INSERT INTO submissions (id, brand_id, enrollment_id, story_format, draft_url, caption, status, compliance, created_at, updated_at) VALUES (?, ?, ?, 'day_in_the_life', 'https://drive.example/d', ?, ?, '{\"hashtag\":true,\"disclosure\":true}', ?, ?)",
  )
    .bind(id, brandId, enrollmentId, caption, status, now, now)
    .run();
  return id;
}
