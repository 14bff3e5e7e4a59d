import { createExecutionContext, env, SELF, waitOnExecutionContext } from 'cloudflare:test';
import type { Env } from '../../../worker/env';
import worker from '../../../worker/index';
import { describe, expect, it } from 'vitest';
import launchDraftsInUse from '../../../migrations/0019_launch_drafts_in_use.sql?raw';
import { addAcceptedCreator, BASE, createMoneyBrand, d1With, inOneRateWindow, RATE_WINDOW_TEST_TIMEOUT_MS, issueKey, json, rowCount, signedPost, storeRawClick, waitFor } from '../fixtures';

let ipCounter = 0;
const freshIp = () => `198.51.100.${(ipCounter++ % 250) + 1}`;

const check = (key: string, code: string, ip = freshIp(), headers: Record<string, string> = {}) =>
  SELF.fetch(`${BASE}/v1/codes/${encodeURIComponent(code)}`, { headers: { authorization: `Bearer ${key}`, 'cf-connecting-ip': ip, ...headers } });

describe('GET /v1/codes/:code', () => {
  it('answers a valid code with the discount and the creator handle only', async () => {
    const { brand, code, handle } = await createMoneyBrand();
    const key = await issueKey(brand, 'storefront');
    const res = await check(key, code.toLowerCase());
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ valid: true, code, discount: { type: 'percent', value: 15 }, creator: { handle } });
    // The scheme is case-insensitive, from the router and from the isolate cache alike.
    const lower = await check(key, code, freshIp(), { authorization: `bearer ${key}` });
    expect(await lower.json()).toMatchObject({ valid: true, code });
  });

  it('answers a repeat check from the isolate cache exactly as the first, taking the limit once per check', { timeout: RATE_WINDOW_TEST_TIMEOUT_MS }, async () => {
    const { brand, code } = await createMoneyBrand();
    const key = await issueKey(brand, 'storefront');
    const ip = freshIp();
    // The limit counts a minute window: 61 checks across its edge would be two windows' worth (seen under load).
    await inOneRateWindow();
    const first = await check(key, code, ip); // the full path: D1 reads fill the caches
    const repeat = await check(key, code.toLowerCase(), ip); // answered before the router
    for (const name of ['content-type', 'cache-control', 'access-control-allow-origin', 'access-control-expose-headers']) expect(repeat.headers.get(name), name).toBe(first.headers.get(name));
    expect(repeat.headers.get('request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const body = await first.text();
    expect(await repeat.text()).toBe(body);
    // A spelling that needs decoding and normalizing takes the same early path and the same answer.
    const fullWidth = [...code].map((ch) => String.fromCharCode(ch.charCodeAt(0) + 0xfee0)).join('');
    expect(await (await check(key, fullWidth, ip)).text()).toBe(body);
    const statuses: number[] = [];
    for (let i = 0; i < 58; i++) statuses.push((await check(key, code, ip)).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(57); // 60 a minute in all: 3 above, 57 here
    const limited = await check(key, code, ip);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('60');
    expect(limited.headers.get('access-control-allow-origin')).toBe('*');
    // A checkout script can read when to try again.
    expect(limited.headers.get('access-control-expose-headers')).toContain('Retry-After');
    expect(await limited.json()).toEqual({ error: { code: 'rate_limited', message: 'Too many code checks; slow down.' } });
  });

  // The key is publishable and meant for the shopper's browser: a checkout page on any origin may call the check.
  it("answers a browser's preflight and its check across origins, without credentials", async () => {
    const { brand, code } = await createMoneyBrand();
    const key = await issueKey(brand, 'storefront');
    const preflight = await SELF.fetch(`${BASE}/v1/codes/${code}`, { method: 'OPTIONS', headers: { origin: 'https://shop.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('GET');
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
    const res = await check(key, code, freshIp(), { origin: 'https://shop.example' });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    // An error the script should read says so across origins too.
    const refused = await check('ck_pub_not_a_key_000000000000000000', code, freshIp(), { origin: 'https://shop.example' });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('accepts full-width and zero-width variants of the code', async () => {
    const { brand, code } = await createMoneyBrand();
    const key = await issueKey(brand, 'storefront');
    const fullWidth = [...code].map((ch) => String.fromCharCode(ch.charCodeAt(0) + 0xfee0)).join('');
    expect(((await json<{ valid: boolean }>(await check(key, fullWidth))).valid)).toBe(true);
    expect(((await json<{ valid: boolean }>(await check(key, `${code.slice(0, 2)}\u200b${code.slice(2)}`))).valid)).toBe(true);
  });

  it('gives the identical answer for unknown, malformed, disabled, expired, capped and foreign codes', async () => {
    const a = await createMoneyBrand();
    const b = await createMoneyBrand();
    const key = await issueKey(a.brand, 'storefront');
    const codes = await json<{ data: { id: string; code: string }[] }>(await a.brand.api('GET', '/api/admin/codes'));
    const id = codes.data[0]!.id;
    const answers: string[] = [];
    answers.push(await (await check(key, 'NOPE99')).text());
    answers.push(await (await check(key, 'ΑSARAH15')).text());
    answers.push(await (await check(key, b.code)).text()); // another brand's real code
    await a.brand.api('PATCH', `/api/admin/codes/${id}`, { status: 'disabled' });
    answers.push(await (await check(key, a.code)).text());
    await a.brand.api('PATCH', `/api/admin/codes/${id}`, { status: 'active' });
    await env.DB.prepare('UPDATE discount_codes SET ends_at = ? WHERE id = ?').bind(Date.now() - 1, id).run();
    await new Promise((r) => setTimeout(r, Number(env.CODE_CACHE_TTL_MS) + 50));
    answers.push(await (await check(key, a.code)).text());
    await env.DB.prepare('UPDATE discount_codes SET ends_at = NULL, max_redemptions = 1, redemptions = 1 WHERE id = ?').bind(id).run();
    await new Promise((r) => setTimeout(r, Number(env.CODE_CACHE_TTL_MS) + 50));
    answers.push(await (await check(key, a.code)).text());
    expect(new Set(answers)).toEqual(new Set(['{"valid":false}']));
  });

  it('answers a code of an ended campaign or a removed creator as invalid, as their links stop', async () => {
    const ended = await createMoneyBrand();
    const key = await issueKey(ended.brand, 'storefront');
    const ip = freshIp();
    expect((await json<{ valid: boolean }>(await check(key, ended.code, ip))).valid).toBe(true); // now cached in this isolate
    expect((await ended.brand.api('PATCH', `/api/admin/campaigns/${ended.campaign.id}`, { status: 'ended' })).status).toBe(200);
    // Within the documented bound, on the cached path as on the full one.
    await new Promise((r) => setTimeout(r, Number(env.CODE_CACHE_TTL_MS) + 50));
    const answers = [await (await check(key, ended.code, ip)).text(), await (await check(key, ended.code, ip)).text()];
    expect((await SELF.fetch(`${BASE}/r/${ended.link.slug}`, { redirect: 'manual' })).status).toBe(410);

    const pastEnd = await createMoneyBrand();
    await env.DB.prepare('UPDATE campaigns SET ends_at = ? WHERE id = ?').bind(Date.now() - 1, pastEnd.campaign.id).run();
    const pastKey = await issueKey(pastEnd.brand, 'storefront');
    answers.push(await (await check(pastKey, pastEnd.code)).text(), await (await check(pastKey, pastEnd.code)).text());

    const removed = await createMoneyBrand();
    await env.DB.prepare("UPDATE enrollments SET status = 'removed' WHERE id = ?").bind(removed.enrollment.id).run();
    const removedKey = await issueKey(removed.brand, 'storefront');
    answers.push(await (await check(removedKey, removed.code)).text());
    expect(answers).toEqual(Array.from({ length: 5 }, () => '{"valid":false}'));
  });

  it('answers a code or a link of a campaign that has not started as stopped, and credits no order placed before the start', async () => {
    const m = await createMoneyBrand();
    const key = await issueKey(m.brand, 'storefront');
    const launch = Date.now() + 7 * 86_400_000;
    await env.DB.prepare('UPDATE campaigns SET starts_at = ? WHERE id = ?').bind(launch, m.campaign.id).run();
    expect(await (await check(key, m.code, freshIp())).text()).toBe('{"valid":false}');
    // The link answers as a stopped one (no fallback set: 410) and records no click a pre-launch order could use.
    const clicksBefore = await rowCount('SELECT count(*) AS n FROM clicks WHERE link_id = ?', m.link.id);
    expect((await SELF.fetch(`${BASE}/r/${m.link.slug}`, { redirect: 'manual' })).status).toBe(410);
    await new Promise((r) => setTimeout(r, 100));
    expect(await rowCount('SELECT count(*) AS n FROM clicks WHERE link_id = ?', m.link.id)).toBe(clicksBefore);
    const early = await signedPost(m.brand, m.ingestKey, '/v1/conversions', { orderId: `early-${Date.now()}`, amountMinor: 5_000, currency: 'USD', occurredAt: new Date().toISOString(), code: m.code });
    expect(early.status).toBe(201);
    expect((await json<{ data: { attribution: string; commission: unknown } }>(early)).data).toMatchObject({ attribution: 'none', commission: null });
    const started = await createMoneyBrand();
    await env.DB.prepare('UPDATE campaigns SET starts_at = ? WHERE id = ?').bind(Date.now() - 60_000, started.campaign.id).run();
    expect((await json<{ valid: boolean }>(await check(await issueKey(started.brand, 'storefront'), started.code, freshIp()))).valid).toBe(true);
  });

  it('keeps a draft campaign closed until it is launched, and credits no order placed while it was a draft', async () => {
    const m = await createMoneyBrand();
    const key = await issueKey(m.brand, 'storefront');
    await env.DB.prepare("UPDATE campaigns SET status = 'draft' WHERE id = ?").bind(m.campaign.id).run();
    expect(await (await check(key, m.code, freshIp())).text()).toBe('{"valid":false}');
    const clicksBefore = await rowCount('SELECT count(*) AS n FROM clicks WHERE link_id = ?', m.link.id);
    expect((await SELF.fetch(`${BASE}/r/${m.link.slug}`, { redirect: 'manual' })).status).toBe(410);
    const placedInDraft = new Date(Date.now() - 1_000).toISOString();
    const during = await signedPost(m.brand, m.ingestKey, '/v1/conversions', { orderId: `draft-${Date.now()}`, amountMinor: 5_000, currency: 'USD', occurredAt: placedInDraft, code: m.code });
    expect((await json<{ data: { attribution: string } }>(during)).data.attribution).toBe('none');

    // Launching dates the start now: the code and the link open (within the caches' bound), and an order
    // placed during the draft, reported only now, still earns nothing.
    const before = Date.now();
    const launched = await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { status: 'active' });
    expect(launched.status).toBe(200);
    const startsAt = Date.parse((await json<{ data: { startsAt: string } }>(launched)).data.startsAt);
    expect(startsAt).toBeGreaterThanOrEqual(before);
    expect(startsAt).toBeLessThanOrEqual(Date.now());
    await new Promise((r) => setTimeout(r, 350)); // CODE_CACHE_TTL_MS and LINK_CACHE_TTL_MS are 300 in tests
    expect((await json<{ valid: boolean }>(await check(key, m.code, freshIp()))).valid).toBe(true);
    expect((await SELF.fetch(`${BASE}/r/${m.link.slug}`, { redirect: 'manual' })).status).toBe(302);
    await waitFor(async () => ((await rowCount('SELECT count(*) AS n FROM clicks WHERE link_id = ?', m.link.id)) === clicksBefore + 1 ? true : undefined));
    const late = await signedPost(m.brand, m.ingestKey, '/v1/conversions', { orderId: `draft-late-${Date.now()}`, amountMinor: 5_000, currency: 'USD', occurredAt: placedInDraft, code: m.code });
    expect((await json<{ data: { attribution: string } }>(late)).data.attribution).toBe('none');
    const after = await signedPost(m.brand, m.ingestKey, '/v1/conversions', { orderId: `launched-${Date.now()}`, amountMinor: 5_000, currency: 'USD', occurredAt: new Date().toISOString(), code: m.code });
    expect((await json<{ data: { attribution: string } }>(after)).data.attribution).toBe('code');

    // A launched campaign does not go back to draft: the orders it has credited would be refused later.
    const back = await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { status: 'draft' });
    expect(back.status).toBe(409);
    expect((await json<{ error: { code: string } }>(back)).error.code).toBe('campaign_launched');
    expect(await rowCount("SELECT count(*) AS n FROM campaigns WHERE id = ? AND status = 'active'", m.campaign.id)).toBe(1);

    // A draft scheduled for next week keeps its date when launched early.
    const scheduled = await createMoneyBrand();
    const nextWeek = Date.now() + 7 * 86_400_000;
    await env.DB.prepare("UPDATE campaigns SET status = 'draft', starts_at = ? WHERE id = ?").bind(nextWeek, scheduled.campaign.id).run();
    const kept = await json<{ data: { startsAt: string } }>(await scheduled.brand.api('PATCH', `/api/admin/campaigns/${scheduled.campaign.id}`, { status: 'active' }));
    expect(Date.parse(kept.data.startsAt)).toBe(nextWeek);
  });

  it("credits no order through a click its link made while the campaign was a draft, before or after the launch, and the migration launches drafts already in use", async () => {
    const m = await createMoneyBrand();
    await env.DB.prepare("UPDATE campaigns SET status = 'draft' WHERE id = ?").bind(m.campaign.id).run();
    // A click a draft's link recorded before drafts were closed.
    const clickId = `DRAFTclick${Date.now().toString(36)}AAAAAA`.slice(0, 22);
    await storeRawClick({ id: clickId, brandId: m.brand.brandId, linkId: m.link.id, at: Date.now() - 3_600_000 });
    const order = (fields: Record<string, unknown>) => ({ orderId: `draft-click-${Date.now()}-${Math.random()}`, amountMinor: 5_000, currency: 'USD', occurredAt: new Date().toISOString(), ...fields });
    const during = await signedPost(m.brand, m.ingestKey, '/v1/conversions', order({ clickId }));
    expect((await json<{ data: { attribution: string } }>(during)).data.attribution).toBe('none');
    const placedInDraft = new Date(Date.now() - 60_000).toISOString();
    expect((await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { status: 'active' })).status).toBe(200);
    const late = await signedPost(m.brand, m.ingestKey, '/v1/conversions', order({ clickId, occurredAt: placedInDraft }));
    expect((await json<{ data: { attribution: string } }>(late)).data.attribution).toBe('none');
    // Not even after the launch: the click was made before the campaign's start.
    const after = await signedPost(m.brand, m.ingestKey, '/v1/conversions', order({ clickId }));
    expect((await json<{ data: { attribution: string } }>(after)).data.attribution).toBe('none');
    // The orders list does not show them as waiting for a click that can never credit them.
    const listed = await json<{ data: { awaitingClick: boolean }[] }>(await m.brand.api('GET', '/api/admin/conversions'));
    expect(listed.data.map((o) => o.awaitingClick)).toEqual([false, false, false]);

    // Migration 0019: a draft already in use (a click or a credited order) was live in all but name and is
    // launched with its dates as they were; an unused draft stays one.
    const used = await createMoneyBrand();
    const unused = await createMoneyBrand();
    await env.DB.prepare("UPDATE campaigns SET status = 'draft' WHERE id IN (?, ?)").bind(used.campaign.id, unused.campaign.id).run();
    await storeRawClick({ id: `USEDclick${Date.now().toString(36)}AAAAAAA`.slice(0, 22), brandId: used.brand.brandId, linkId: used.link.id, at: Date.now() - 60_000 });
    await env.DB.prepare(launchDraftsInUse.replace(/^--.*$/gm, '').trim()).run();
    const statuses = await env.DB.prepare('SELECT id, status, starts_at FROM campaigns WHERE id IN (?, ?)').bind(used.campaign.id, unused.campaign.id).all<{ id: string; status: string; starts_at: number | null }>();
    expect(Object.fromEntries(statuses.results.map((r) => [r.id, [r.status, r.starts_at]]))).toEqual({ [used.campaign.id]: ['active', null], [unused.campaign.id]: ['draft', null] });
  });

  it("keeps a code valid before its campaign's end date", async () => {
    const m = await createMoneyBrand();
    const key = await issueKey(m.brand, 'storefront');
    const ip = freshIp();
    await env.DB.prepare('UPDATE campaigns SET ends_at = ? WHERE id = ?').bind(Date.now() + 60_000, m.campaign.id).run();
    expect((await json<{ valid: boolean }>(await check(key, m.code, ip))).valid).toBe(true);
    expect((await json<{ valid: boolean }>(await check(key, m.code, ip))).valid).toBe(true);
  });

  it('refuses missing, unknown and non-storefront keys', async () => {
    const { brand, code, ingestKey } = await createMoneyBrand();
    expect((await SELF.fetch(`${BASE}/v1/codes/${code}`)).status).toBe(401);
    expect((await check('ck_pub_definitely_not_a_real_key', code)).status).toBe(401);
    expect((await check(ingestKey, code)).status).toBe(401);
    expect((await check(brand.adminKey, code)).status).toBe(401);
  });

  it('rate-limits per client IP and key before any lookup, ignoring forwarded-for headers', async () => {
    const { brand, code } = await createMoneyBrand();
    const key = await issueKey(brand, 'storefront');
    const attacker = freshIp();
    const statuses: number[] = [];
    await inOneRateWindow();
    for (let i = 0; i < 70; i++) {
      const res = await check(key, `GUESS${i}X`, attacker, { 'x-forwarded-for': `10.0.${i}.1`, 'x-real-ip': `10.1.${i}.1`, 'true-client-ip': `10.2.${i}.1` });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(res.headers.get('retry-after')).toBe('60');
        expect((await json<{ error: { code: string } }>(res)).error.code).toBe('rate_limited');
      }
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(60);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
    // An honest client on another IP is unaffected.
    expect((await json<{ valid: boolean }>(await check(key, code, freshIp()))).valid).toBe(true);
  }, RATE_WINDOW_TEST_TIMEOUT_MS);

  // Found by the hostile review: the limit is per IP and key, so a client sending a new random key with
  // every check was never limited, and each one cost a digest and a D1 read.
  it('limits key lookups per client IP, so random keys cannot buy unlimited D1 reads', async () => {
    const { brand, code } = await createMoneyBrand();
    const key = await issueKey(brand, 'storefront');
    const attacker = freshIp();
    await inOneRateWindow();
    const statuses: number[] = [];
    for (let i = 0; i < 70; i++) statuses.push((await check(`ck_pub_random_${i}_${Date.now()}`, code, attacker)).status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(60);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
    expect((await json<{ valid: boolean }>(await check(key, code, freshIp()))).valid).toBe(true);
  }, RATE_WINDOW_TEST_TIMEOUT_MS);

  it('stops a revoked storefront key at once in the isolate that revoked it, whatever the cache TTL', async () => {
    const { brand, code } = await createMoneyBrand();
    const slowCache = { ...env, CODE_CACHE_TTL_MS: '60000' } as Env;
    const call = async (method: string, path: string, key: string, body?: unknown) => {
      const ctx = createExecutionContext();
      const res = await worker.fetch(
        new Request(`${BASE}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'cf-connecting-ip': freshIp(), ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined }),
        slowCache,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return res;
    };
    const issued = await json<{ data: { id: string; key: string } }>(await call('POST', '/api/admin/keys', brand.adminKey, { scope: 'storefront', name: 'checkout' }));
    expect((await json<{ valid: boolean }>(await call('GET', `/v1/codes/${code}`, issued.data.key))).valid).toBe(true); // cached now
    expect((await call('DELETE', `/api/admin/keys/${issued.data.id}`, brand.adminKey)).status).toBe(200);
    expect((await call('GET', `/v1/codes/${code}`, issued.data.key)).status).toBe(401);
  });
});

describe('admin discount codes', () => {
  it('refuses codes outside the charset, including look-alike letters', async () => {
    const { brand, enrollment } = await createMoneyBrand();
    for (const code of ['ΑLPHA15', 'SАRAH15', 'no spaces', 'AB', 'EMOJI🙂15']) {
      const res = await brand.api('POST', '/api/admin/codes', { enrollmentId: enrollment.id, code, discountType: 'percent', discountValue: 10 });
      expect(res.status).toBe(422);
      expect((await json<{ error: { code: string } }>(res)).error.code).toBe('invalid_code');
    }
    expect(await rowCount('SELECT count(*) AS n FROM discount_codes WHERE brand_id = ?', brand.brandId)).toBe(1);
  });

  it('stores the normalized form and refuses a second spelling of the same code', async () => {
    const { brand, enrollment, code } = await createMoneyBrand();
    const res = await brand.api('POST', '/api/admin/codes', { enrollmentId: enrollment.id, code: ` ${code.toLowerCase()}\u200b`, discountType: 'fixed', discountValue: 500 });
    expect(res.status).toBe(409);
    expect((await json<{ error: { code: string } }>(res)).error.code).toBe('code_taken');
  });

  it('bulk-generates one code per enrollment from a pattern, idempotently', async () => {
    const { brand, campaign, handle } = await createMoneyBrand();
    const first = await json<{ data: { created: number; skipped: number } }>(await brand.api('POST', '/api/admin/codes/bulk', { campaignId: campaign.id, pattern: '{HANDLE}20', discountType: 'percent', discountValue: 20 }));
    expect(first.data).toMatchObject({ created: 1, skipped: 0 });
    const again = await json<{ data: { created: number; skipped: number } }>(await brand.api('POST', '/api/admin/codes/bulk', { campaignId: campaign.id, pattern: '{HANDLE}20', discountType: 'percent', discountValue: 20 }));
    expect(again.data).toMatchObject({ created: 0, skipped: 1 });
    expect(await rowCount('SELECT count(*) AS n FROM discount_codes WHERE brand_id = ? AND code = ?', brand.brandId, `${handle.toUpperCase()}20`)).toBe(1);
    // A removed creator gets no new code.
    await env.DB.prepare("UPDATE enrollments SET status = 'removed' WHERE campaign_id = ?").bind(campaign.id).run();
    const removed = await json<{ data: { created: number; skipped: number } }>(await brand.api('POST', '/api/admin/codes/bulk', { campaignId: campaign.id, pattern: '{HANDLE}30', discountType: 'percent', discountValue: 30 }));
    expect(removed.data).toMatchObject({ created: 0, skipped: 0 });
  });

  it('bulk generation names the creators left without a code because another holds it', async () => {
    const m = await createMoneyBrand();
    const handle = `b${Date.now().toString(36)}`;
    const creator = await addAcceptedCreator(m.brand, { email: `${handle}@creators.test`, handle, displayName: 'B' });
    const enrollment = await json<{ data: { id: string } }>(await m.brand.api('POST', '/api/admin/enrollments', { campaignId: m.campaign.id, creatorId: creator.data.id, paymentModel: 'affiliate', status: 'active' }));
    expect((await m.brand.api('POST', '/api/admin/codes', { enrollmentId: m.enrollment.id, code: `${handle.toUpperCase()}15`, discountType: 'percent', discountValue: 10 })).status).toBe(201);
    const res = await json<{ data: unknown }>(await m.brand.api('POST', '/api/admin/codes/bulk', { campaignId: m.campaign.id, pattern: '{HANDLE}15', discountType: 'percent', discountValue: 15 }));
    expect(res.data).toEqual({ created: 1, skipped: 0, taken: [{ enrollmentId: enrollment.data.id, handle, code: `${handle.toUpperCase()}15` }], invalid: [] });
    expect(await rowCount('SELECT count(*) AS n FROM discount_codes WHERE enrollment_id = ?', enrollment.data.id)).toBe(0);
  });

  it("does not create codes on another brand's enrollment or campaign", async () => {
    const a = await createMoneyBrand();
    const b = await createMoneyBrand();
    expect((await b.brand.api('POST', '/api/admin/codes', { enrollmentId: a.enrollment.id, code: 'STEAL15', discountType: 'percent', discountValue: 15 })).status).toBe(404);
    expect((await b.brand.api('POST', '/api/admin/codes/bulk', { campaignId: a.campaign.id, pattern: '{HANDLE}1', discountType: 'percent', discountValue: 15 })).status).toBe(404);
    expect(await rowCount("SELECT count(*) AS n FROM discount_codes WHERE code = 'STEAL15'")).toBe(0);
  });
});

describe('storage failures', () => {
  it('answers 503 with Retry-After, not 500, when D1 fails under a code check', async () => {
    const { createExecutionContext, waitOnExecutionContext } = await import('cloudflare:test');
    const { default: worker } = await import('../../../worker/index');
    const failing = d1With({ prepare: () => ({ bind: () => ({ first: () => Promise.reject(new Error('D1_ERROR: database unavailable')) }) }) });
    const ctx = createExecutionContext();
    const errors = (await import('vitest')).vi.spyOn(console, 'error').mockImplementation(() => {});
    const res = await worker.fetch(new Request(`${BASE}/v1/codes/ANYCODE1`, { headers: { authorization: 'Bearer ck_pub_uncached_key_000000000000', 'cf-connecting-ip': '192.0.2.99' } }), { ...env, DB: failing } as never, ctx);
    await waitOnExecutionContext(ctx);
    errors.mockRestore();
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect((await json<{ error: { code: string } }>(res)).error.code).toBe('storage_unavailable');
  });
});
