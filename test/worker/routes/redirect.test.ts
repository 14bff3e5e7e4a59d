import { createExecutionContext, env, SELF, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import worker from '../../../worker/index';
import type { Env } from '../../../worker/env';
import type { ClickMessage } from '../../../worker/domain/clicks';
import { faultyD1 } from '../../../worker/lib/faults';
import { BASE, createBrand, createLinkedCreator, d1With, failingBatches, json, rowCount, waitFor } from '../fixtures';

const BROWSER = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1';

const visit = (slug: string, init: RequestInit & { ip?: string } = {}) =>
  SELF.fetch(`${BASE}/r/${slug}`, {
    redirect: 'manual',
    ...init,
    headers: { 'user-agent': BROWSER, 'cf-connecting-ip': init.ip ?? '203.0.113.7', ...(init.headers as Record<string, string> | undefined) },
  });

const storedClick = (id: string) => env.DB.prepare('SELECT * FROM clicks WHERE id = ?').bind(id).first<Record<string, unknown>>();

describe('GET /r/:slug', () => {
  it('answers 302 to the stored destination with server-set UTM values and a fresh click id', async () => {
    const brand = await createBrand();
    const { link, handle, campaign } = await createLinkedCreator(brand, { destination: 'https://shop.example/spring?color=red#reviews' });
    const res = await visit(link.slug);
    expect(res.status).toBe(302);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const location = res.headers.get('location')!;
    const cid = new URL(location).searchParams.get('cid')!;
    expect(cid).toMatch(/^[A-Za-z0-9_-]{22}$/); // 128 bits, base64url
    expect(location).toBe(`https://shop.example/spring?color=red&utm_source=${handle}&utm_medium=creator&utm_campaign=${campaign.slug}&cid=${cid}#reviews`);
    const click = await waitFor(() => storedClick(cid));
    expect(click).toMatchObject({ link_id: link.id, brand_id: brand.brandId, is_bot: 0, device: 'mobile' });
    expect(JSON.stringify(click)).not.toContain('203.0.113.7');
  });

  it('sends Location and Cache-Control and nothing else, read from D1 or from the cache alike', async () => {
    const brand = await createBrand();
    const { link } = await createLinkedCreator(brand);
    const cold = await visit(link.slug, { headers: { 'request-id': 'lb-0123456789' } }); // the full path, through the router
    const hot = await visit(link.slug, { headers: { 'request-id': 'lb-0123456789' } }); // answered before the router
    for (const res of [cold, hot]) {
      expect(res.status).toBe(302);
      // No Request-Id, even when one is presented: a click redirect's trace is its click id.
      expect([...res.headers.keys()].filter((k) => k !== 'content-length').sort()).toEqual(['cache-control', 'location']);
    }
  });

  it("stores the visitor's country from CF-IPCountry, or from request.cf without it", async () => {
    const brand = await createBrand();
    const { link } = await createLinkedCreator(brand);
    const cidOf = (res: Response) => new URL(res.headers.get('location')!).searchParams.get('cid')!;
    const cold = cidOf(await visit(link.slug, { headers: { 'cf-ipcountry': 'FR' }, cf: { country: 'DE' } }));
    // Back to back, well inside the link's cache TTL: answered by the hot path.
    const visits = [
      { headers: { 'cf-ipcountry': 'FR' }, cf: { country: 'DE' } },
      { cf: { country: 'DE' } },
      { headers: { 'cf-ipcountry': 'not a country' }, cf: { country: 'DE' } },
      { headers: { 'cf-ipcountry': 'fr' } },
    ];
    const hot = [];
    for (const init of visits) hot.push(cidOf(await visit(link.slug, init)));
    const countries = [];
    for (const cid of [cold, ...hot]) countries.push((await waitFor(() => storedClick(cid))).country);
    expect(countries).toEqual(['FR', 'FR', 'DE', 'DE', null]);
  });

  it('mints a different, unguessable click id on every visit', async () => {
    const brand = await createBrand();
    const { link } = await createLinkedCreator(brand);
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) ids.add(new URL((await visit(link.slug)).headers.get('location')!).searchParams.get('cid')!);
    expect(ids.size).toBe(20);
  });

  it('ignores incoming cid, utm_*, redir_url, url and next', async () => {
    const brand = await createBrand();
    const { link, handle } = await createLinkedCreator(brand);
    const res = await visit(`${link.slug}?cid=forged&utm_source=evil&utm_medium=x&utm_campaign=y&redir_url=https://evil.example&url=https://evil.example&next=https://evil.example`);
    const location = new URL(res.headers.get('location')!);
    expect(location.host).toBe('shop.example');
    expect(location.searchParams.getAll('utm_source')).toEqual([handle]);
    expect(location.searchParams.getAll('cid')).toHaveLength(1);
    expect(location.searchParams.get('cid')).not.toBe('forged');
    expect(res.headers.get('location')).not.toContain('evil');
  });

  it('overrides utm_* and the click parameter stored in the destination itself', async () => {
    const brand = await createBrand({ clickParam: 'ref_click' });
    const { link, handle } = await createLinkedCreator(brand, { destination: 'https://shop.example/p?utm_source=old&ref_click=old&UTM_MEDIUM=old' });
    const location = new URL((await visit(link.slug)).headers.get('location')!);
    expect(location.searchParams.get('utm_source')).toBe(handle);
    expect(location.searchParams.getAll('ref_click')).toHaveLength(1);
    expect(location.searchParams.get('ref_click')).not.toBe('old');
    expect(location.searchParams.has('UTM_MEDIUM')).toBe(false);
    expect(location.searchParams.has('cid')).toBe(false);
  });

  it.each(['does-not-exist', 'bad%20slug', 'a'.repeat(65), '..%2F..%2Fadmin', '%00'])('answers 404 for %s and records nothing', async (slug) => {
    // Earlier tests' queue batches may still land while this runs, but their clicks were minted before
    // this visit: only a click dated from the visit on could have come from it.
    const since = Date.now();
    const res = await visit(slug);
    expect(res.status).toBe(404);
    expect(res.headers.get('location')).toBeNull();
    expect((await json<{ error: { code: string } }>(res)).error.code).toBe('not_found');
    await new Promise((r) => setTimeout(r, 100));
    expect(await rowCount('SELECT count(*) AS n FROM clicks WHERE at >= ?', since)).toBe(0);
  });

  it('reads a link in use again before its cache entry expires, and still honours a pause within the TTL', async () => {
    const brand = await createBrand();
    const { link } = await createLinkedCreator(brand);
    const reads = { n: 0 };
    const counting = d1With({ prepare: (sql: string) => (sql.includes('FROM links') && reads.n++, env.DB.prepare(sql)) });
    const visitWith = async () => {
      const ctx = createExecutionContext();
      const res = await worker.fetch(new Request(`${BASE}/r/${link.slug}`, { headers: { 'user-agent': BROWSER } }), { ...env, DB: counting } as Env, ctx);
      await waitOnExecutionContext(ctx);
      return res.status;
    };
    const ttl = Number(env.LINK_CACHE_TTL_MS);
    expect(await visitWith()).toBe(302); // cold: read on the full path
    expect(reads.n).toBe(1);
    await new Promise((r) => setTimeout(r, ttl * 0.85)); // in the last fifth of the entry's life
    expect(await visitWith()).toBe(302); // served from the cache, re-read in the background
    expect(reads.n).toBe(2);
    await new Promise((r) => setTimeout(r, ttl * 0.5)); // past the first entry's expiry, inside the refreshed one
    expect(await visitWith()).toBe(302);
    expect(reads.n).toBe(2);
    // A pause still shows within one TTL of the last read.
    await env.DB.prepare("UPDATE links SET status = 'paused' WHERE id = ?").bind(link.id).run();
    await new Promise((r) => setTimeout(r, ttl + 50));
    expect(await visitWith()).toBe(410);
  });

  it('answers 410 for a paused link, and the pause takes effect within the cache TTL', async () => {
    const brand = await createBrand();
    const { link } = await createLinkedCreator(brand);
    expect((await visit(link.slug)).status).toBe(302);
    // Paused behind the API's back, as another isolate would see it: the cached copy may serve until the TTL.
    await env.DB.prepare("UPDATE links SET status = 'paused' WHERE id = ?").bind(link.id).run();
    await new Promise((r) => setTimeout(r, Number(env.LINK_CACHE_TTL_MS) + 50));
    const res = await visit(link.slug);
    expect(res.status).toBe(410);
    expect(res.headers.get('request-id')).not.toBeNull(); // no click: traced like any other answer
    expect((await json<{ error: { code: string } }>(res)).error.code).toBe('link_inactive');
  });

  it('answers a browser with a page for the shopper, not JSON, when the link has ended or does not exist', async () => {
    const brand = await createBrand();
    const { link } = await createLinkedCreator(brand);
    await env.DB.prepare("UPDATE links SET status = 'paused' WHERE id = ?").bind(link.id).run();
    await new Promise((r) => setTimeout(r, Number(env.LINK_CACHE_TTL_MS) + 50));
    const html = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
    for (const [slug, status, title] of [[link.slug, 410, 'This link is not active'], ['nosuchlink0', 404, 'This link does not exist'], ['a/b', 404, 'This link does not exist']] as const) {
      const res = await visit(slug, { headers: html });
      expect(res.status, slug).toBe(status);
      expect(res.headers.get('content-type'), slug).toMatch(/^text\/html/);
      expect(res.headers.get('cache-control'), slug).toBe('no-store');
      const page = await res.text();
      expect(page, slug).toContain(`<h1>${title}</h1>`);
      expect(page, slug).toContain('name="viewport"');
      expect(page, slug).not.toMatch(/dashboard|sign in/i);
    }
    // A client that asks for anything else keeps the JSON error shape.
    const api = await visit(link.slug, { headers: { accept: 'application/json' } });
    expect([api.status, (await json<{ error: { code: string } }>(api)).error.code]).toEqual([410, 'link_inactive']);
  });

  it('takes a pause through the admin API into account immediately in the same isolate', async () => {
    const brand = await createBrand();
    const { link } = await createLinkedCreator(brand);
    expect((await visit(link.slug)).status).toBe(302);
    // The first visit's click is stored off the hot path: wait for it, so a busy machine cannot land it late.
    const clicks = () => rowCount('SELECT count(*) AS n FROM clicks WHERE link_id = ?', link.id);
    await waitFor(async () => ((await clicks()) === 1 ? true : undefined));
    await brand.api('PATCH', `/api/admin/links/${link.id}`, { status: 'paused' });
    expect((await visit(link.slug)).status).toBe(410);
    await new Promise((r) => setTimeout(r, 100));
    expect(await clicks()).toBe(1);
  });

  it("sends an ended campaign's shoppers to the brand fallback without a click id", async () => {
    const brand = await createBrand({ fallbackUrl: 'https://shop.example/' });
    const { link, campaign } = await createLinkedCreator(brand);
    await brand.api('PATCH', `/api/admin/campaigns/${campaign.id}`, { status: 'ended' });
    await new Promise((r) => setTimeout(r, Number(env.LINK_CACHE_TTL_MS) + 50));
    const res = await visit(link.slug);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://shop.example/');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('request-id')).not.toBeNull(); // no click, so it is traced like any other answer
    await new Promise((r) => setTimeout(r, 100));
    expect(await rowCount('SELECT count(*) AS n FROM clicks WHERE link_id = ?', link.id)).toBe(0);
  });

  it('treats a campaign past its end date as ended', async () => {
    const brand = await createBrand();
    const { link, campaign } = await createLinkedCreator(brand);
    await env.DB.prepare('UPDATE campaigns SET ends_at = ? WHERE id = ?').bind(Date.now() - 1000, campaign.id).run();
    await new Promise((r) => setTimeout(r, Number(env.LINK_CACHE_TTL_MS) + 50));
    expect((await visit(link.slug)).status).toBe(410);
  });
});

describe('bots', () => {
  const bots: [string, RequestInit][] = [
    ['HEAD', { method: 'HEAD' }],
    ['facebookexternalhit', { headers: { 'user-agent': 'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)' } }],
    ['Slackbot', { headers: { 'user-agent': 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)' } }],
    ['WhatsApp', { headers: { 'user-agent': 'WhatsApp/2.23.20.0' } }],
    ['Twitterbot', { headers: { 'user-agent': 'Twitterbot/1.0' } }],
    ['Sec-Purpose prefetch', { headers: { 'sec-purpose': 'prefetch;prerender' } }],
    ['legacy Purpose prefetch (Chrome, <link rel=prefetch>)', { headers: { purpose: 'prefetch' } }],
    ['no user agent', { headers: { 'user-agent': '' } }],
  ];

  it.each(bots)('%s gets the 302 but is stored as a bot and never counted', async (_name, init) => {
    const brand = await createBrand();
    const { link } = await createLinkedCreator(brand);
    const res = await visit(link.slug, init);
    expect(res.status).toBe(302);
    const cid = new URL(res.headers.get('location')!).searchParams.get('cid')!;
    const click = await waitFor(() => storedClick(cid));
    expect(click.is_bot).toBe(1);
    const stats = await json<{ data: { total: { clicks: number; uniqueClicks: number; bots: number } } }>(await brand.api('GET', `/api/admin/links/${link.id}/stats`));
    expect(stats.data.total).toEqual({ clicks: 0, uniqueClicks: 0, bots: 1 });
  });
});

describe('failures off the hot path', () => {
  async function redirectWith(overrides: Partial<Env>, slug: string) {
    const ctx = createExecutionContext();
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const warns = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const res = await worker.fetch(new Request(`${BASE}/r/${slug}`, { headers: { 'user-agent': BROWSER } }), { ...env, ...overrides } as Env, ctx);
    await waitOnExecutionContext(ctx);
    const logged = [...errors.mock.calls, ...warns.mock.calls].map((c) => String(c[0]));
    errors.mockRestore();
    warns.mockRestore();
    return { res, logged };
  }

  const failingQueue = { send: () => Promise.reject(new Error('queue unavailable')), sendBatch: () => Promise.reject(new Error('queue unavailable')) } as unknown as Queue;

  it('still redirects when the queue refuses the click, and writes it to D1 directly', async () => {
    const brand = await createBrand();
    const { link } = await createLinkedCreator(brand);
    const { res, logged } = await redirectWith({ CLICKS: failingQueue }, link.slug);
    expect(res.status).toBe(302);
    const cid = new URL(res.headers.get('location')!).searchParams.get('cid')!;
    expect(await storedClick(cid)).toMatchObject({ link_id: link.id });
    expect(logged.some((l) => l.includes('click_enqueue_failed'))).toBe(true);
  });

  it('hands a burst of clicks to the queue as one message, and every click of it reaches D1', async () => {
    const brand = await createBrand();
    const { link } = await createLinkedCreator(brand);
    await visit(link.slug); // the route is cached: the burst below needs no D1 read
    const calls: number[] = [];
    // The real queue, watched: each message sent is recorded with the number of clicks it carries, then passed on.
    const watched = {
      send: (body: unknown, options?: QueueSendOptions) => {
        calls.push(Array.isArray(body) ? body.length : -1);
        return env.CLICKS.send(body as ClickMessage[], options);
      },
      sendBatch: () => Promise.reject(new Error('clicks leave as one message per flush')),
    } as unknown as Queue;
    const ctx = createExecutionContext();
    const burst = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        worker.fetch(new Request(`${BASE}/r/${link.slug}`, { headers: { 'user-agent': BROWSER, 'cf-connecting-ip': `198.51.100.${i + 1}` } }), { ...env, CLICKS: watched } as Env, ctx),
      ),
    );
    await waitOnExecutionContext(ctx);
    expect(burst.every((r) => r.status === 302)).toBe(true);
    expect(calls).toEqual([12]);
    const ids = burst.map((r) => new URL(r.headers.get('location')!).searchParams.get('cid')!);
    await vi.waitFor(async () => expect(await rowCount(`SELECT count(*) AS n FROM clicks WHERE id IN (${ids.map(() => '?').join(', ')})`, ...ids)).toBe(12), { timeout: 5_000 });
  });

  it('still redirects when both the queue and the D1 write fail', async () => {
    const brand = await createBrand();
    const { link } = await createLinkedCreator(brand);
    // Warm the isolate cache so the lookup does not need D1, then fail every D1 write.
    await visit(link.slug);
    const failingDb = failingBatches();
    const { res, logged } = await redirectWith({ CLICKS: failingQueue, DB: failingDb }, link.slug);
    expect(res.status).toBe(302);
    expect(logged.some((l) => l.includes('click_lost'))).toBe(true);
  });
});

// Found by the storage-fault scenario (test/scenarios): with 10% of D1 calls failing, redirects whose
// cached route had expired answered 503.
describe('GET /r/:slug while D1 is failing', () => {
  async function visitWith(db: D1Database, slug: string) {
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request(`${BASE}/r/${slug}`, { redirect: 'manual', headers: { 'user-agent': BROWSER, 'cf-connecting-ip': '203.0.113.9' } }), { ...env, DB: db } as Env, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  }
  const failing = (draws: number[] = []) => faultyD1(env.DB, { mode: 'before', rate: 0.5, slowMs: 0 }, () => draws.shift() ?? 0);

  it('keeps redirecting a known link with its last known route once the cache TTL has passed', async () => {
    const brand = await createBrand();
    const { link } = await createLinkedCreator(brand, { destination: 'https://shop.example/kept' });
    expect((await visitWith(env.DB, link.slug)).status).toBe(302);
    await new Promise((resolve) => setTimeout(resolve, 400)); // LINK_CACHE_TTL_MS is 300 in tests
    const res = await visitWith(failing(), link.slug);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toMatch(/^https:\/\/shop\.example\/kept\?/);
  });

  it('retries the read of a link this isolate has never seen, and answers 503 (never 500) if D1 stays down', async () => {
    const brand = await createBrand();
    const { link } = await createLinkedCreator(brand);
    expect((await visitWith(failing([0, 0, 0, 0.9]), link.slug)).status).toBe(302); // three failed reads, the fourth answers
    const other = await createLinkedCreator(brand, { handle: `cold_${Date.now() % 100_000}` });
    const down = await visitWith(failing(), other.link.slug);
    expect(down.status).toBe(503);
    expect(down.headers.get('request-id')).not.toBeNull();
    expect((await json<{ error: { code: string } }>(down)).error.code).toBe('storage_unavailable');
    // A shopper's browser is told to try again, on a page, with the same Retry-After.
    const ctx = createExecutionContext();
    const page = await worker.fetch(new Request(`${BASE}/r/${other.link.slug}`, { redirect: 'manual', headers: { accept: 'text/html', 'user-agent': BROWSER } }), { ...env, DB: failing() } as Env, ctx);
    await waitOnExecutionContext(ctx);
    expect([page.status, page.headers.get('retry-after')]).toEqual([503, '1']);
    expect(await page.text()).toContain('Try again in a moment');
  });

  it('reads a cold link once, not four times, while D1 is down, until a read succeeds again', async () => {
    const brand = await createBrand();
    const slugs = await Promise.all([1, 2, 3].map(async (n) => (await createLinkedCreator(brand, { handle: `outage${n}_${Date.now() % 100_000}` })).link.slug));
    let reads = 0;
    const down = () => faultyD1(env.DB, { mode: 'before', rate: 1, slowMs: 0 }, () => (reads++, 0));
    const readsFor = async (db: D1Database, slug: string) => {
      reads = 0;
      return [(await visitWith(db, slug)).status, reads];
    };
    expect((await visitWith(env.DB, `unknown-${Date.now()}`)).status).toBe(404); // a read that succeeds: no outage
    expect(await readsFor(down(), slugs[0]!)).toEqual([503, 4]);
    // Within ROUTE_OUTAGE_MS of four failed reads, with none succeeding since: one read per cold link.
    expect(await readsFor(down(), slugs[1]!)).toEqual([503, 1]);
    expect(await readsFor(down(), 'never-a-link')).toEqual([503, 1]);
    // A read that succeeds ends it: the next failing cold link gets its four reads again.
    expect((await visitWith(env.DB, slugs[2]!)).status).toBe(302);
    expect(await readsFor(down(), slugs[1]!)).toEqual([503, 4]);
  });
});
