import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { BASE, createBrand, createLinkedCreator, json, rowCount, signedPost } from '../fixtures';

type ErrorBody = { error: { code: string; message: string; details?: unknown } };

describe('admin API authentication', () => {
  it('rejects missing, malformed, unknown and revoked keys with 401', async () => {
    const brand = await createBrand();
    for (const authorization of [undefined, 'Basic abc', 'Bearer ', 'Bearer ck_admin_not_a_real_key_at_all', `Bearer ${brand.adminKey}x`]) {
      const res = await SELF.fetch(`${BASE}/api/admin/campaigns`, { headers: authorization ? { authorization } : {} });
      expect(res.status).toBe(401);
      expect((await json<ErrorBody>(res)).error.code).toBe('unauthorized');
    }
    // The scheme is case-insensitive (RFC 9110 §11.1), as clients send it.
    for (const scheme of ['bearer', 'BEARER']) {
      expect((await SELF.fetch(`${BASE}/api/admin/campaigns`, { headers: { authorization: `${scheme} ${brand.adminKey}` } })).status).toBe(200);
    }
    await env.DB.prepare('UPDATE api_keys SET revoked_at = ? WHERE brand_id = ?').bind(Date.now(), brand.brandId).run();
    expect((await brand.api('GET', '/api/admin/campaigns')).status).toBe(401);
  });

  it('refuses keys of another scope with 403', async () => {
    const brand = await createBrand();
    await env.DB.prepare("UPDATE api_keys SET scope = 'storefront' WHERE brand_id = ?").bind(brand.brandId).run();
    const res = await brand.api('GET', '/api/admin/campaigns');
    expect(res.status).toBe(403);
    expect((await json<ErrorBody>(res)).error.code).toBe('forbidden');
  });
});

describe('admin API: campaigns, creators, enrollments, links', () => {
  it('creates and lists the whole chain', async () => {
    const brand = await createBrand();
    const { campaign, creator, enrollment, link, handle } = await createLinkedCreator(brand);
    expect(link.url).toBe(`${BASE}/r/${link.slug}`);
    // Generated from the handle, readable and typeable: `c_abc` → `c-abc-k3f9q`.
    expect(link.slug).toMatch(new RegExp(`^${handle.replaceAll('_', '-')}-[a-z0-9]{5}$`));
    expect(link.destination).toBe('https://shop.example/spring');
    for (const [path, id] of [
      ['/api/admin/campaigns', campaign.id],
      ['/api/admin/creators', creator.id],
      [`/api/admin/enrollments?campaignId=${campaign.id}`, enrollment.id],
      [`/api/admin/links?enrollmentId=${enrollment.id}`, link.id],
    ] as const) {
      const list = await json<{ data: { id: string }[] }>(await brand.api('GET', path));
      expect(list.data.map((r) => r.id)).toEqual([id]);
    }
    expect(await rowCount('SELECT count(*) AS n FROM audit_log WHERE brand_id = ?', brand.brandId)).toBe(4);
  });

  it('puts an existing creator account on a second brand roster instead of duplicating it', async () => {
    const [a, b] = [await createBrand(), await createBrand()];
    const body = { email: 'Shared@Creators.test', handle: 'shared_one', displayName: 'Shared' };
    const first = await json<{ data: { id: string } }>(await a.api('POST', '/api/admin/creators', body));
    const res = await b.api('POST', '/api/admin/creators', body);
    expect(res.status).toBe(201);
    expect((await json<{ data: { id: string } }>(res)).data.id).toBe(first.data.id);
    expect(await rowCount("SELECT count(*) AS n FROM creators WHERE email = 'shared@creators.test'")).toBe(1);
    expect((await a.api('POST', '/api/admin/creators', body)).status).toBe(200);
  });

  it("shows a brand only what it sent until the creator accepts it, and takes a handle another brand's creator has", async () => {
    const [a, b] = [await createBrand(), await createBrand()];
    const tag = Date.now().toString(36);
    const email = `private-${tag}@creators.test`;
    const first = await json<{ data: { id: string } }>(await a.api('POST', '/api/admin/creators', { email, handle: `real_${tag}`, displayName: 'Real Name' }));
    // Brand B knows the address only, under a handle and name of its own, and brand A's handle is free to it.
    await b.api('POST', '/api/admin/creators', { email: `someone-${tag}@creators.test`, handle: `real_${tag}`, displayName: 'Someone Else' }).then((r) => expect(r.status).toBe(201));
    const added = await b.api('POST', '/api/admin/creators', { email, handle: `guess_${tag}`, displayName: 'Guessed Name' });
    expect(added.status).toBe(201);
    const body = await added.text();
    expect(body).not.toContain('Real Name');
    expect(body).not.toContain(`real_${tag}`);
    expect(JSON.parse(body).data).toMatchObject({ id: first.data.id, handle: `guess_${tag}`, displayName: 'Guessed Name', email, acceptedAt: null });
    // The creator renames themselves and moves address: B, not accepted, still reads its own copy; A, accepted, the account.
    await env.DB.prepare('UPDATE creators SET display_name = ?, email = ? WHERE id = ?').bind('Renamed', `moved-${tag}@creators.test`, first.data.id).run();
    await env.DB.prepare('UPDATE brand_creators SET accepted_at = ? WHERE brand_id = ? AND creator_id = ?').bind(Date.now(), a.brandId, first.data.id).run();
    const seen = async (brand: typeof a) => (await json<{ data: { id: string; handle: string; displayName: string; email: string }[] }>(await brand.api('GET', '/api/admin/creators'))).data.find((r) => r.id === first.data.id);
    expect(await seen(b)).toMatchObject({ handle: `guess_${tag}`, displayName: 'Guessed Name', email });
    expect(await seen(a)).toMatchObject({ handle: `real_${tag}`, displayName: 'Renamed', email: `moved-${tag}@creators.test` });
    // Adding the creator again, by either address, answers with B's entry as B has it.
    for (const address of [email, `moved-${tag}@creators.test`]) {
      const again = await b.api('POST', '/api/admin/creators', { email: address, handle: `other_${tag}`, displayName: 'X' });
      expect(again.status).toBe(200);
      expect((await json<{ data: unknown }>(again)).data).toMatchObject({ id: first.data.id, handle: `guess_${tag}`, displayName: 'Guessed Name', email });
    }
  });

  it('answers 409 for a handle another creator on the roster has, and for duplicate slugs', async () => {
    const brand = await createBrand();
    await brand.api('POST', '/api/admin/creators', { email: 'one@creators.test', handle: 'taken_handle', displayName: 'One' });
    const res = await brand.api('POST', '/api/admin/creators', { email: 'two@creators.test', handle: 'taken_handle', displayName: 'Two' });
    expect(res.status).toBe(409);
    expect((await json<ErrorBody>(res)).error.code).toBe('handle_taken');
    expect(await rowCount("SELECT count(*) AS n FROM creators WHERE email = 'two@creators.test'")).toBe(0);
    const { enrollment, link } = await createLinkedCreator(brand);
    const dup = await brand.api('POST', '/api/admin/links', { enrollmentId: enrollment.id, slug: link.slug });
    expect(dup.status).toBe(409);
    expect((await json<ErrorBody>(dup)).error.code).toBe('slug_taken');
  });

  it("refuses a chosen slug that differs from another brand's only by case, so a typed link never reaches the wrong brand", async () => {
    const a = await createBrand();
    const b = await createBrand();
    const chosen = `GlowX${Date.now().toString(36)}`;
    const first = await createLinkedCreator(a);
    expect((await a.api('POST', '/api/admin/links', { enrollmentId: first.enrollment.id, slug: chosen })).status).toBe(201);
    const other = await createLinkedCreator(b);
    const before = await rowCount('SELECT count(*) AS n FROM links WHERE brand_id = ?', b.brandId);
    const auditBefore = await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'link.created'", b.brandId);
    for (const variant of [chosen.toLowerCase(), chosen.toUpperCase(), chosen]) {
      const res = await b.api('POST', '/api/admin/links', { enrollmentId: other.enrollment.id, slug: variant });
      expect(res.status, variant).toBe(409);
      expect((await json<ErrorBody>(res)).error.code).toBe('slug_taken');
    }
    expect(await rowCount('SELECT count(*) AS n FROM links WHERE brand_id = ?', b.brandId)).toBe(before);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'link.created'", b.brandId)).toBe(auditBefore);
    // The guard reads an index, not every link.
    const plan = await env.DB.prepare('EXPLAIN QUERY PLAN SELECT 1 FROM links WHERE lower(slug) = lower(?)').bind(chosen).all<{ detail: string }>();
    expect(plan.results.map((r) => r.detail).join(' | ')).toContain('links_slug_folded');
    // A created link is audited once.
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'link.created' AND actor_type = 'api_key'", a.brandId)).toBe(2);
  });
});

describe('link destinations', () => {
  const rejected = [
    'javascript:alert(document.cookie)',
    'data:text/html;base64,PHNjcmlwdD4=',
    '//evil.example/path',
    'http://shop.example/spring',
    'https://shop.example@evil.example/',
    'https://shop.example.evil.example/',
    'https://shopexample.com/',
    'https://shоp.example/', // Cyrillic о
    'https://shop.example\\evil.example/',
    'https://shop.example/\r\nLocation: https://evil.example',
    'https://shop.example/%0d%0a\n',
    'ftp://shop.example/',
    'not a url',
  ];

  it.each(rejected)('rejects %s with 422 invalid_destination and stores nothing', async (destination) => {
    const brand = await createBrand();
    const { enrollment } = await createLinkedCreator(brand);
    const before = await rowCount('SELECT count(*) AS n FROM links WHERE brand_id = ?', brand.brandId);
    const res = await brand.api('POST', '/api/admin/links', { enrollmentId: enrollment.id, destination });
    expect(res.status).toBe(422);
    expect((await json<ErrorBody>(res)).error.code).toBe('invalid_destination');
    expect(await rowCount('SELECT count(*) AS n FROM links WHERE brand_id = ?', brand.brandId)).toBe(before);
  });

  it('rejects a bad destination on update and on a campaign default', async () => {
    const brand = await createBrand();
    const { link } = await createLinkedCreator(brand);
    const res = await brand.api('PATCH', `/api/admin/links/${link.id}`, { destination: 'https://evil.example/' });
    expect(res.status).toBe(422);
    const stored = await env.DB.prepare('SELECT destination FROM links WHERE id = ?').bind(link.id).first<{ destination: string }>();
    expect(stored?.destination).toBe('https://shop.example/spring');
    const campaign = await brand.api('POST', '/api/admin/campaigns', { name: 'X', slug: 'bad-dest', hashtag: '#X', defaultDestination: 'https://evil.example/' });
    expect(campaign.status).toBe(422);
  });

  it('accepts an explicitly allowed subdomain', async () => {
    const brand = await createBrand();
    const { enrollment } = await createLinkedCreator(brand);
    const res = await brand.api('POST', '/api/admin/links', { enrollmentId: enrollment.id, destination: 'https://eu.shop.example/spring' });
    expect(res.status).toBe(201);
  });
});

describe('hostile input', () => {
  it('answers malformed JSON with 400, unknown keys and wrong types with 422, and writes nothing', async () => {
    const brand = await createBrand();
    const cases: [unknown, number, string][] = [
      ['{"name": ', 400, 'malformed_request'],
      [{ name: 'X', slug: 'ok-slug', hashtag: '#X', defaultDestination: 'https://shop.example/', isAdmin: true }, 422, 'validation_failed'],
      [{ name: 42, slug: 'ok-slug', hashtag: '#X', defaultDestination: 'https://shop.example/' }, 422, 'validation_failed'],
      [{ name: 'X', slug: 'ok-slug', hashtag: '#X', defaultDestination: 'https://shop.example/', attributionWindowDays: 1.5 }, 422, 'validation_failed'],
      [{ name: 'X'.repeat(500), slug: 'ok-slug', hashtag: '#X', defaultDestination: 'https://shop.example/' }, 422, 'validation_failed'],
      [[], 422, 'validation_failed'],
    ];
    for (const [body, status, code] of cases) {
      const res = await brand.api('POST', '/api/admin/campaigns', body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(status);
      expect((await json<ErrorBody>(res)).error.code).toBe(code);
    }
    expect(await rowCount('SELECT count(*) AS n FROM campaigns WHERE brand_id = ?', brand.brandId)).toBe(0);
  });

  it('answers an empty campaign update, and an end before the start, with 422 and changes nothing', async () => {
    const brand = await createBrand();
    const campaign = await json<{ data: { id: string } }>(
      await brand.api('POST', '/api/admin/campaigns', { name: 'X', slug: 'patch-me', hashtag: '#X', defaultDestination: 'https://shop.example/', startsAt: '2026-06-01T00:00:00Z' }),
    );
    for (const body of [{}, { endsAt: '2026-05-31T00:00:00Z' }, { endsAt: '2026-06-01T00:00:00Z' }]) {
      const res = await brand.api('PATCH', `/api/admin/campaigns/${campaign.data.id}`, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect((await json<ErrorBody>(res)).error.code).toBe('validation_failed');
    }
    expect(await rowCount('SELECT count(*) AS n FROM campaigns WHERE id = ? AND ends_at IS NULL', campaign.data.id)).toBe(1);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'campaign.updated'", campaign.data.id)).toBe(0);
  });

  it('answers an oversized body with 413', async () => {
    const brand = await createBrand();
    const res = await brand.api('POST', '/api/admin/campaigns', { name: 'x', padding: 'a'.repeat(100_000) });
    expect(res.status).toBe(413);
    expect((await json<ErrorBody>(res)).error.code).toBe('payload_too_large');
  });
});

describe('tenancy', () => {
  it("never shows or changes another brand's rows", async () => {
    const [a, b] = [await createBrand(), await createBrand()];
    const { campaign, creator, enrollment, link } = await createLinkedCreator(a);
    for (const path of ['/api/admin/campaigns', '/api/admin/creators', '/api/admin/enrollments', '/api/admin/links']) {
      expect((await json<{ data: unknown[] }>(await b.api('GET', path))).data).toEqual([]);
    }
    const foreign = [
      await b.api('GET', `/api/admin/campaigns/${campaign.id}`),
      await b.api('PATCH', `/api/admin/campaigns/${campaign.id}`, { status: 'ended' }),
      await b.api('PATCH', `/api/admin/links/${link.id}`, { status: 'paused' }),
      await b.api('GET', `/api/admin/links/${link.id}/stats`),
      await b.api('POST', '/api/admin/links', { enrollmentId: enrollment.id }),
      await b.api('POST', '/api/admin/enrollments', { campaignId: campaign.id, creatorId: creator.id, paymentModel: 'affiliate' }),
    ];
    for (const res of foreign) {
      expect(res.status).toBe(404);
      const text = await res.text();
      expect(text).not.toContain(campaign.id);
      expect(text).not.toContain(link.slug);
    }
    const stored = await env.DB.prepare('SELECT status FROM links WHERE id = ?').bind(link.id).first<{ status: string }>();
    expect(stored?.status).toBe('active');
  });
});

describe('API key expiry', () => {
  type KeyData = { data: { id: string; key: string; expiresAt: string | null } };
  const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

  it('takes an optional expiry in the future, within five years, and shows it', async () => {
    const brand = await createBrand();
    for (const expiresAt of [inHours(-1), inHours(24 * 366 * 5 + 24), 'tomorrow', 1_800_000_000_000]) {
      const res = await brand.api('POST', '/api/admin/keys', { scope: 'admin', name: 'Contractor', expiresAt });
      expect(res.status, String(expiresAt)).toBe(422);
    }
    const expiresAt = inHours(24);
    const created = await json<KeyData>(await brand.api('POST', '/api/admin/keys', { scope: 'admin', name: 'Contractor', expiresAt }));
    expect(created.data.expiresAt).toBe(expiresAt);
    const listed = await json<{ data: { id: string; expiresAt: string | null }[] }>(await brand.api('GET', '/api/admin/keys'));
    expect(listed.data.find((k) => k.id === created.data.id)?.expiresAt).toBe(expiresAt);
    expect(listed.data.filter((k) => k.id !== created.data.id).every((k) => k.expiresAt === null)).toBe(true);
  });

  // An expired key works like a revoked one: the admin API, the storefront code check and signed ingestion
  // all refuse it.
  it('refuses every scope of key once its expiry has passed', { timeout: 30_000 }, async () => {
    const brand = await createBrand();
    const issue = async (scope: string) => (await json<KeyData>(await brand.api('POST', '/api/admin/keys', { scope, name: `${scope} until tomorrow`, expiresAt: inHours(24) }))).data;
    const [admin, storefront, ingest] = [await issue('admin'), await issue('storefront'), await issue('ingest')];
    const sign = (orderId: string) => signedPost(brand, ingest.key, '/v1/conversions', { orderId, amountMinor: 1000, currency: 'USD', occurredAt: new Date().toISOString() });
    const statuses = async (n: number) => [
      (await SELF.fetch(`${BASE}/api/admin/campaigns`, { headers: { authorization: `Bearer ${admin.key}` } })).status,
      (await SELF.fetch(`${BASE}/v1/codes/ANYCODE15`, { headers: { authorization: `Bearer ${storefront.key}`, 'cf-connecting-ip': `198.51.100.${70 + n}` } })).status,
      (await sign(`expiry-${n}`)).status,
    ];
    expect(await statuses(1)).toEqual([200, 200, 201]);
    await env.DB.prepare('UPDATE api_keys SET expires_at = ? WHERE id IN (?, ?, ?)').bind(Date.now() - 1, admin.id, storefront.id, ingest.id).run();
    // Storefront and ingest keys are cached in the isolate for up to 10 s, as after a revoke.
    await new Promise((r) => setTimeout(r, 10_100));
    expect(await statuses(2)).toEqual([401, 401, 401]);
    expect(await rowCount('SELECT count(*) AS n FROM conversions WHERE brand_id = ?', brand.brandId)).toBe(1);
  });
});
