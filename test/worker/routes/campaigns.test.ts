// Campaign setup, as a brand admin meets it in the API and the console: hostile and awkward input.
import { createExecutionContext, env, SELF, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { newId } from '../../../worker/lib/ids';
import { hashPassword } from '../../../worker/lib/passwords';
import { SESSION_COOKIE } from '../../../worker/lib/sessions';
import type { Env } from '../../../worker/env';
import worker from '../../../worker/index';
import { addAcceptedCreator, BASE, createBrand, createLinkedCreator, createMoneyBrand, heldBatches, json, rowCount, signedPost } from '../fixtures';

type ErrorBody = { error: { code: string; details?: { reason?: string } } };
type Data<T> = { data: T };

const PASSWORD = 'console password 2026';
let ipCounter = 0;
const freshIp = () => `198.51.100.${(ipCounter++ % 250) + 1}`;

async function formPost(path: string, fields: Record<string, string | string[]>, cookie?: string) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) q.append(k, one);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', 'cf-connecting-ip': freshIp(), origin: BASE };
  if (cookie) headers.cookie = cookie;
  return SELF.fetch(`${BASE}${path}`, { method: 'POST', headers, body: q.toString(), redirect: 'manual' });
}
const getPage = (path: string, cookie: string) => SELF.fetch(`${BASE}${path}`, { headers: { cookie }, redirect: 'manual' });

async function consoleCookie(brandId: string): Promise<string> {
  const email = `mgr-${newId('x').slice(2).toLowerCase()}@brand.test`;
  await env.DB.prepare('INSERT INTO admin_users (id, brand_id, email, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .bind(newId('adm'), brandId, email, 'Manager', 'manager', await hashPassword(PASSWORD, 1000), Date.now())
    .run();
  const res = await formPost('/console/login', { email, password: PASSWORD });
  expect(res.status).toBe(303);
  const match = new RegExp(`${SESSION_COOKIE}=([^;]+)`).exec(res.headers.get('set-cookie') ?? '');
  return `${SESSION_COOKIE}=${match![1]}`;
}

// The brief form as the console renders it for a stored campaign (valuesOf in routes/portal/console/campaigns.tsx).
function briefForm(c: { name: string; hashtag: string; disclosureText: string; storyFormats: string[]; defaultDestination: string; positioningAnchor: string; nonNegotiables: string[] }) {
  return {
    name: c.name,
    hashtag: c.hashtag,
    disclosureText: c.disclosureText,
    storyFormats: c.storyFormats,
    defaultDestination: c.defaultDestination,
    attributionWindowDays: '30',
    holdingDays: '30',
    commissionPlanId: '',
    status: 'active',
    positioningAnchor: c.positioningAnchor,
    nonNegotiables: c.nonNegotiables.join('\n'),
    baselineCost: '',
    baselineEngaged: '',
  };
}

const campaignBody = (slug: string, extra: Record<string, unknown> = {}) => ({ name: 'Audit', slug, hashtag: '#Audit', defaultDestination: 'https://shop.example/', ...extra });

describe('campaign setup: admin API', () => {
  it('answers an empty commissionPlanId with 422, never a 503 a client would retry forever', async () => {
    const brand = await createBrand();
    const res = await brand.api('POST', '/api/admin/campaigns', campaignBody('empty-plan', { commissionPlanId: '' }));
    expect(res.status).toBe(422);
    expect(await rowCount('SELECT count(*) AS n FROM campaigns WHERE brand_id = ?', brand.brandId)).toBe(0);
  });

  it('measures a destination as stored: a non-ASCII path that encodes past 2,048 is refused, one under it round-trips', async () => {
    const brand = await createBrand();
    const tooLong = await brand.api('POST', '/api/admin/campaigns', campaignBody('unicode-long', { defaultDestination: `https://shop.example/${'é'.repeat(400)}` }));
    expect(tooLong.status).toBe(422);
    expect((await json<ErrorBody>(tooLong)).error.details?.reason).toBe('too_long');
    const created = await brand.api('POST', '/api/admin/campaigns', campaignBody('unicode-path', { defaultDestination: `https://shop.example/${'é'.repeat(300)}` }));
    expect(created.status).toBe(201);
    const campaign = (await json<Data<{ id: string; defaultDestination: string }>>(created)).data;
    expect(campaign.defaultDestination.length).toBeLessThanOrEqual(2048);
    const creator = await addAcceptedCreator(brand, { email: 'uni@creators.test', handle: 'uni_path', displayName: 'Uni' });
    const enrollment = await json<Data<{ id: string }>>(await brand.api('POST', '/api/admin/enrollments', { campaignId: campaign.id, creatorId: creator.data.id, paymentModel: 'affiliate', status: 'active' }));
    const link = await brand.api('POST', '/api/admin/links', { enrollmentId: enrollment.data.id });
    expect(link.status).toBe(201);
    const stored = (await json<Data<{ id: string; destination: string }>>(link)).data;
    expect((await brand.api('PATCH', `/api/admin/links/${stored.id}`, { destination: stored.destination })).status).toBe(200);
  });

  it('refuses duplicate story formats, an ended campaign that would end before it starts, and broken text', async () => {
    const brand = await createBrand();
    expect((await brand.api('POST', '/api/admin/campaigns', campaignBody('dup-formats', { storyFormats: ['before_after', 'before_after'] }))).status).toBe(422);
    expect((await brand.api('POST', '/api/admin/campaigns', campaignBody('ended-early', { status: 'ended', startsAt: '2099-01-01T00:00:00Z' }))).status).toBe(422);
    expect((await brand.api('POST', '/api/admin/campaigns', campaignBody('nul-name', { name: 'Spring\u0000Glow' }))).status).toBe(422);
    expect((await brand.api('POST', '/api/admin/campaigns', '{"name":"\\ud800","slug":"lone-surrogate","hashtag":"#X","defaultDestination":"https://shop.example/"}')).status).toBe(422);
    // A non-negotiable is one line (the console edits them one per line); the anchor is prose and may have several.
    expect((await brand.api('POST', '/api/admin/campaigns', campaignBody('nn-newline', { nonNegotiables: ['Daylight:\n- morning'] }))).status).toBe(422);
    expect((await brand.api('POST', '/api/admin/campaigns', campaignBody('anchor-lines', { positioningAnchor: 'One.\nTwo.' }))).status).toBe(201);
    expect(await rowCount('SELECT count(*) AS n FROM campaigns WHERE brand_id = ?', brand.brandId)).toBe(1);
  });

  it('takes a CRLF positioning anchor the console takes (limit counted per line break, stored as LF)', async () => {
    const brand = await createBrand();
    const anchor = Array.from({ length: 600 }, () => 'abcde').join('\r\n'); // 3,599 as the console counts, 4,199 raw
    const res = await brand.api('POST', '/api/admin/campaigns', { name: 'CRLF', slug: 'crlf-anchor', hashtag: '#Crlf', defaultDestination: 'https://shop.example/', positioningAnchor: anchor });
    expect(res.status).toBe(201);
    expect((await json<{ data: { positioningAnchor: string } }>(res)).data.positioningAnchor).toBe(anchor.replaceAll('\r\n', '\n'));
  });

  it('launches or ends a draft with dates that hold (never an end before the start), and audits them', async () => {
    const brand = await createBrand();
    const draft = async (slug: string) => (await json<Data<{ id: string; status: string }>>(await brand.api('POST', '/api/admin/campaigns', campaignBody(slug, { status: 'draft' })))).data;
    const launched = await draft('launch-audit');
    expect(launched.status).toBe('draft');
    const before = Date.now();
    const res = await json<Data<{ startsAt: string }>>(await brand.api('PATCH', `/api/admin/campaigns/${launched.id}`, { status: 'active' }));
    const row = await env.DB.prepare("SELECT details FROM audit_log WHERE target_id = ? AND action = 'campaign.updated'").bind(launched.id).first<{ details: string }>();
    expect(JSON.parse(row!.details)).toEqual({ status: 'active', startsAt: res.data.startsAt });
    expect(Date.parse(res.data.startsAt)).toBeGreaterThanOrEqual(before);
    // Ended with an end already past: it starts at that end, an empty window.
    const cancelled = await draft('cancel-past');
    const yesterday = new Date(Date.now() - 86_400_000).toISOString();
    const ended = await json<Data<{ startsAt: string; endsAt: string; status: string }>>(await brand.api('PATCH', `/api/admin/campaigns/${cancelled.id}`, { status: 'ended', endsAt: yesterday }));
    expect(ended.data).toMatchObject({ status: 'ended', startsAt: yesterday, endsAt: yesterday });
  });

  it('never puts a launched campaign back in draft when a launch and a save cross', async () => {
    const brand = await createBrand();
    const created = (await json<Data<{ id: string }>>(await brand.api('POST', '/api/admin/campaigns', campaignBody('crossing', { status: 'draft' })))).data;
    // A save that read the draft, held at its write until the launch has landed.
    const { db: held, reached: atBatch, release } = heldBatches();
    const ctx = createExecutionContext();
    const request = new Request(`${BASE}/api/admin/campaigns/${created.id}`, { method: 'PATCH', headers: { authorization: `Bearer ${brand.adminKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ status: 'draft', baselineCostMinor: 5 }) });
    const save = worker.fetch(request, { ...env, DB: held } as Env, ctx);
    await atBatch;
    expect((await brand.api('PATCH', `/api/admin/campaigns/${created.id}`, { status: 'active' })).status).toBe(200);
    release();
    const res = await save;
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(409);
    expect((await json<ErrorBody>(res)).error.code).toBe('campaign_changed');
    expect(await rowCount("SELECT count(*) AS n FROM campaigns WHERE id = ? AND status = 'active' AND baseline_cost_minor IS NULL", created.id)).toBe(1);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'campaign.updated'", created.id)).toBe(1);
  });

  it('refuses an empty link PATCH without a write or an audit row', async () => {
    const brand = await createBrand();
    const { link } = await createLinkedCreator(brand);
    const res = await brand.api('PATCH', `/api/admin/links/${link.id}`, {});
    expect(res.status).toBe(422);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'link.updated'", brand.brandId)).toBe(0);
  });
});

describe('campaign setup: console', () => {
  type Stored = { id: string; name: string; hashtag: string; disclosureText: string; storyFormats: string[]; defaultDestination: string; positioningAnchor: string; nonNegotiables: string[] };

  it('saves the brief of a campaign whose destination has a non-ASCII path, and a CRLF anchor the browser let through', async () => {
    const brand = await createBrand();
    const cookie = await consoleCookie(brand.brandId);
    const created = await json<Data<Stored>>(await brand.api('POST', '/api/admin/campaigns', campaignBody('brief-unicode', { defaultDestination: `https://shop.example/${'é'.repeat(300)}` })));
    expect((await formPost(`/console/campaigns/${created.data.id}`, { ...briefForm(created.data), name: 'Renamed' }, cookie)).status).toBe(303);
    // 600 lines of 5 letters: 3,599 characters as the textarea counts them, 4,199 as the form sends them.
    const anchor = Array.from({ length: 600 }, () => 'abcde').join('\r\n');
    expect((await formPost(`/console/campaigns/${created.data.id}`, { ...briefForm(created.data), positioningAnchor: anchor }, cookie)).status).toBe(303);
    const stored = await json<Data<Stored>>(await brand.api('GET', `/api/admin/campaigns/${created.data.id}`));
    expect(stored.data.positioningAnchor).toBe(anchor.replaceAll('\r\n', '\n'));
  });

  it('creates a campaign as a draft or live, as the brand picks', async () => {
    const brand = await createBrand();
    const cookie = await consoleCookie(brand.brandId);
    const page = await (await getPage('/console', cookie)).text();
    expect(page).toContain('<input type="radio" name="status" value="active" checked=""/>');
    expect(page).toContain('value="draft"');
    const fields = { name: 'Drafted', slug: 'drafted', hashtag: '#Drafted', disclosureText: '#ad', storyFormats: 'before_after', defaultDestination: 'https://shop.example/d', attributionWindowDays: '30', holdingDays: '30', commissionPlanId: '', status: 'draft' };
    expect((await formPost('/console/campaigns', fields, cookie)).status).toBe(303);
    expect(await rowCount("SELECT count(*) AS n FROM campaigns WHERE brand_id = ? AND slug = 'drafted' AND status = 'draft' AND starts_at IS NULL", brand.brandId)).toBe(1);
  });

  it('answers a brief saved from a page drawn before someone ended the campaign with 409, and keeps it ended', async () => {
    const brand = await createBrand();
    const cookie = await consoleCookie(brand.brandId);
    const created = await json<Data<Stored>>(await brand.api('POST', '/api/admin/campaigns', campaignBody('stale-brief')));
    expect((await brand.api('PATCH', `/api/admin/campaigns/${created.data.id}`, { status: 'ended' })).status).toBe(200);
    const res = await formPost(`/console/campaigns/${created.data.id}`, { ...briefForm(created.data), drawnStatus: 'active', name: 'Renamed' }, cookie);
    expect(res.status).toBe(409);
    expect(await res.text()).toContain('The campaign changed while this was saved.');
    expect(await rowCount("SELECT count(*) AS n FROM campaigns WHERE id = ? AND status = 'ended' AND name = 'Audit'", created.data.id)).toBe(1);
  });

  it('audits what a brief change set: each changed column from and to', async () => {
    const brand = await createBrand();
    const cookie = await consoleCookie(brand.brandId);
    const created = await json<Data<Stored>>(await brand.api('POST', '/api/admin/campaigns', campaignBody('audit-values')));
    expect((await formPost(`/console/campaigns/${created.data.id}`, { ...briefForm(created.data), defaultDestination: 'https://eu.shop.example/new' }, cookie)).status).toBe(303);
    const row = await env.DB.prepare("SELECT details FROM audit_log WHERE target_id = ? AND action = 'campaign.updated'").bind(created.data.id).first<{ details: string }>();
    expect(JSON.parse(row!.details)).toEqual({ changed: ['default_destination'], changes: { default_destination: { from: 'https://shop.example/', to: 'https://eu.shop.example/new' } } });
  });

  it('shows sales net of refunds on the campaign list, as on the network page', async () => {
    const m = await createMoneyBrand();
    const cookie = await consoleCookie(m.brand.brandId);
    const orderId = `net-${Date.now()}`;
    const now = new Date().toISOString();
    expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', { orderId, amountMinor: 1_234_567, currency: 'USD', occurredAt: now, code: m.code })).status).toBe(201);
    expect((await signedPost(m.brand, m.ingestKey, '/v1/refunds', { refundId: `r-${orderId}`, orderId, amountMinor: 1_234_567, currency: 'USD', occurredAt: now })).status).toBe(201);
    expect(await (await getPage(`/console/campaigns/${m.campaign.id}/network`, cookie)).text()).not.toContain('$12,345.67');
    expect(await (await getPage('/console', cookie)).text()).not.toContain('$12,345.67');
  });
});
