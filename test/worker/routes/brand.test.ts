import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { updateBrandSettings } from '../../../worker/routes/admin/brand';
import { BASE, createBrand, createMoneyBrand, heldBatches, json, rowCount, signedPost } from '../fixtures';

type BrandData = { data: { id: string; slug: string; name: string; allowedHosts: string[]; fallbackUrl: string | null; clickParam: string; currency: string; timezone: string } };
type ErrorBody = { error: { code: string; details?: { issues?: { path: string }[]; reason?: string } } };

const audits = (brandId: string) => rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'brand.updated'", brandId);

describe('/api/admin/brand', () => {
  it('adds a storefront host, so links to it can be created, and sets where stopped links go', async () => {
    const m = await createMoneyBrand();
    const before = await json<BrandData>(await m.brand.api('GET', '/api/admin/brand'));
    expect(before.data).toMatchObject({ id: m.brand.brandId, slug: m.brand.slug, clickParam: 'cid', currency: 'USD', fallbackUrl: null });
    const refused = await m.brand.api('POST', '/api/admin/links', { enrollmentId: m.enrollment.id, destination: 'https://new-shop.example/spring' });
    expect(refused.status).toBe(422);

    const res = await m.brand.api('PATCH', '/api/admin/brand', { allowedHosts: [...before.data.allowedHosts, 'New-Shop.example', 'new-shop.example'], fallbackUrl: 'https://new-shop.example/' });
    expect(res.status).toBe(200);
    const after = await json<BrandData>(res);
    expect(after.data.allowedHosts).toEqual([...before.data.allowedHosts, 'new-shop.example']);
    expect(after.data.fallbackUrl).toBe('https://new-shop.example/');
    expect((await m.brand.api('POST', '/api/admin/links', { enrollmentId: m.enrollment.id, destination: 'https://new-shop.example/spring' })).status).toBe(201);
    expect(await audits(m.brand.brandId)).toBe(1);

    // Sending what is already stored changes nothing and logs nothing.
    expect((await m.brand.api('PATCH', '/api/admin/brand', { fallbackUrl: 'https://new-shop.example/' })).status).toBe(200);
    expect(await audits(m.brand.brandId)).toBe(1);
  });

  it('redirects with the new click parameter, and a paused link to the new fallback', async () => {
    const m = await createMoneyBrand();
    expect((await m.brand.api('PATCH', '/api/admin/brand', { clickParam: 'ref_id', fallbackUrl: 'https://shop.example/closed' })).status).toBe(200);
    const link = await json<{ data: { id: string; slug: string } }>(await m.brand.api('POST', '/api/admin/links', { enrollmentId: m.enrollment.id }));
    const live = await SELF.fetch(`${BASE}/r/${link.data.slug}`, { redirect: 'manual' });
    expect(live.status).toBe(302);
    expect(new URL(live.headers.get('location')!).searchParams.get('ref_id')).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(new URL(live.headers.get('location')!).searchParams.has('cid')).toBe(false);
    expect((await m.brand.api('PATCH', `/api/admin/links/${link.data.id}`, { status: 'paused' })).status).toBe(200);
    const paused = await SELF.fetch(`${BASE}/r/${link.data.slug}`, { redirect: 'manual' });
    expect(paused.status).toBe(302);
    expect(paused.headers.get('location')).toBe('https://shop.example/closed');
  });

  it('refuses hosts, fallbacks and parameters that could not work or would open a redirect, writing nothing', async () => {
    const m = await createMoneyBrand();
    const cases: [Record<string, unknown>, number, string][] = [
      [{ allowedHosts: [] }, 422, 'validation_failed'],
      [{ allowedHosts: ['https://shop.example'] }, 422, 'validation_failed'],
      [{ allowedHosts: ['*'] }, 422, 'validation_failed'],
      [{ allowedHosts: ['shop.example/path'] }, 422, 'validation_failed'],
      [{ allowedHosts: Array.from({ length: 51 }, (_, i) => `s${i}.example`) }, 422, 'validation_failed'],
      [{ fallbackUrl: 'https://evil.example/' }, 422, 'invalid_destination'],
      [{ fallbackUrl: 'http://shop.example/' }, 422, 'invalid_destination'],
      [{ fallbackUrl: 'https://shop.example@evil.example/' }, 422, 'invalid_destination'],
      [{ fallbackUrl: '//evil.example' }, 422, 'invalid_destination'],
      [{ clickParam: 'utm_source' }, 422, 'validation_failed'],
      [{ clickParam: 'next' }, 422, 'validation_failed'],
      [{ clickParam: 'Has Space' }, 422, 'validation_failed'],
      [{ timezone: 'Mars/Olympus' }, 422, 'validation_failed'],
      [{ currency: 'usd' }, 422, 'validation_failed'],
      [{ name: '' }, 422, 'validation_failed'],
      [{ slug: 'renamed' }, 422, 'validation_failed'],
      [{ id: 'brand_other' }, 422, 'validation_failed'],
    ];
    const before = JSON.stringify(await env.DB.prepare('SELECT * FROM brands WHERE id = ?').bind(m.brand.brandId).first());
    for (const [body, status, code] of cases) {
      const res = await m.brand.api('PATCH', '/api/admin/brand', body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(status);
      expect((await json<ErrorBody>(res)).error.code).toBe(code);
    }
    // A fallback already set must stay on the allowlist: dropping its host is refused too.
    expect((await m.brand.api('PATCH', '/api/admin/brand', { fallbackUrl: 'https://shop.example/closed' })).status).toBe(200);
    const dropped = await m.brand.api('PATCH', '/api/admin/brand', { allowedHosts: ['other.example'] });
    expect(dropped.status).toBe(422);
    expect((await json<ErrorBody>(dropped)).error.details?.reason).toBe('host_not_allowed');
    const row = await env.DB.prepare('SELECT * FROM brands WHERE id = ?').bind(m.brand.brandId).first<{ fallback_url: string }>();
    expect(JSON.stringify({ ...row, fallback_url: null })).toBe(before);
    expect(await audits(m.brand.brandId)).toBe(1);
  });

  it('changes currency and timezone only until the first order, and only for its own brand', async () => {
    const fresh = await createBrand();
    const changed = await fresh.api('PATCH', '/api/admin/brand', { currency: 'EUR', timezone: 'Europe/Berlin' });
    expect(changed.status).toBe(200);
    expect((await json<BrandData>(changed)).data).toMatchObject({ currency: 'EUR', timezone: 'Europe/Berlin' });

    const m = await createMoneyBrand();
    expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', { orderId: `brand-${Date.now()}`, amountMinor: 1_000, currency: 'USD', occurredAt: new Date().toISOString() })).status).toBe(201);
    for (const body of [{ currency: 'EUR' }, { timezone: 'Asia/Tokyo' }, { currency: 'EUR', name: 'Renamed' }]) {
      const res = await m.brand.api('PATCH', '/api/admin/brand', body);
      expect(res.status).toBe(409);
      expect((await json<ErrorBody>(res)).error.code).toBe('brand_in_use');
    }
    expect(await env.DB.prepare('SELECT name, currency, timezone FROM brands WHERE id = ?').bind(m.brand.brandId).first()).toMatchObject({ currency: 'USD', timezone: 'UTC' });
    expect(await audits(m.brand.brandId)).toBe(0);
    // The same currency is no change, so it is not refused.
    expect((await m.brand.api('PATCH', '/api/admin/brand', { currency: 'USD', name: 'Renamed' })).status).toBe(200);

    // Another brand's admin key reads and edits only its own brand.
    expect((await json<BrandData>(await fresh.api('GET', '/api/admin/brand'))).data.id).toBe(fresh.brandId);
    expect((await env.DB.prepare('SELECT name FROM brands WHERE id = ?').bind(fresh.brandId).first<{ name: string }>())!.name).not.toBe('Renamed');
  });

  it('keeps currency once terms or money exist, a refund waiting for its order included', async () => {
    const m = await createMoneyBrand();
    expect((await m.brand.api('PATCH', '/api/admin/brand', { currency: 'JPY' })).status).toBe(409); // a plan and a code exist
    const fresh = await createBrand();
    const orderId = `pending-${Date.now()}`;
    await env.DB.prepare("INSERT INTO refunds (id, brand_id, external_refund_id, external_order_id, amount_minor, currency, occurred_at, status, source, payload_hash, created_at) VALUES (?, ?, ?, ?, 500, 'USD', ?, 'pending', 'api', 'h', ?)")
      .bind(`rf_${orderId}`, fresh.brandId, `rf-${orderId}`, orderId, Date.now(), Date.now())
      .run();
    for (const body of [{ currency: 'JPY' }, { timezone: 'Asia/Tokyo' }]) expect((await fresh.api('PATCH', '/api/admin/brand', body)).status).toBe(409);
  });

  it('stores a timezone as the runtime names it, and writes no audit row for a value that only looks different', async () => {
    const b = await createBrand({ fallbackUrl: 'https://shop.example/closed' });
    const res = await b.api('PATCH', '/api/admin/brand', { timezone: 'europe/berlin', fallbackUrl: 'https://SHOP.example/closed' });
    expect((await json<BrandData>(res)).data).toMatchObject({ timezone: 'Europe/Berlin', fallbackUrl: 'https://shop.example/closed' });
    expect((await b.api('PATCH', '/api/admin/brand', { timezone: 'Europe/Berlin', fallbackUrl: 'https://SHOP.example/closed' })).status).toBe(200);
    expect(await audits(b.brandId)).toBe(1);
  });

  it('refuses a click parameter that an existing destination already uses', async () => {
    const m = await createMoneyBrand();
    const link = await json<{ data: { slug: string } }>(await m.brand.api('POST', '/api/admin/links', { enrollmentId: m.enrollment.id, destination: 'https://shop.example/products/tea?variant=4242' }));
    const res = await m.brand.api('PATCH', '/api/admin/brand', { clickParam: 'variant' });
    expect(res.status).toBe(409);
    expect((await json<ErrorBody>(res)).error.code).toBe('brand_in_use');
    const loc = new URL((await SELF.fetch(`${BASE}/r/${link.data.slug}`, { redirect: 'manual' })).headers.get('location')!);
    expect(loc.searchParams.get('variant')).toBe('4242');
    expect((await m.brand.api('PATCH', '/api/admin/brand', { clickParam: 'ref_id' })).status).toBe(200);
  });

  it('never stores a fallback off the hosts when two saves cross', async () => {
    const b = await createBrand({ allowedHosts: ['shop.example', 'old-shop.example'] });
    // Holds the first save's write until the second save has finished: the interleaving a slow request meets.
    const { db: held, reached: atBatch, release } = heldBatches();
    const first = updateBrandSettings(held, b.brandId, { type: 'api_key', id: 'k' }, { fallbackUrl: 'https://old-shop.example/' }).catch((e: unknown) => e);
    await atBatch;
    expect((await b.api('PATCH', '/api/admin/brand', { allowedHosts: ['shop.example'] })).status).toBe(200);
    release();
    expect(await first).toMatchObject({ status: 409, code: 'brand_changed' });
    const row = await env.DB.prepare('SELECT allowed_hosts, fallback_url FROM brands WHERE id = ?').bind(b.brandId).first<{ allowed_hosts: string; fallback_url: string | null }>();
    expect(row).toEqual({ allowed_hosts: '["shop.example"]', fallback_url: null });
  });
});
