import { Hono } from 'hono';
import { findLinkRoute } from '../db/link-routes';
import { writeClicks } from '../db/clicks';
import { attributeAwaitingOrders } from '../db/conversions';
import { enqueuingDueDeliveries } from '../webhooks/enqueue';
import { isBotRequest, purposeOf } from '../domain/bots';
import { COUNTRY, deviceClass, referrerHost, type ClickMessage } from '../domain/clicks';
import { locationWithClick } from '../domain/utm';
import { hasSecrets, type AppEnv, type Env } from '../env';
import { ApiError, notFound } from '../lib/errors';
import { newClickId } from '../lib/ids';
import { visitorIdentity } from '../lib/identity';
import { cachedRoute, lastKnownRoute, rememberRoute, type CachedRoute } from '../lib/link-cache';
import { log } from '../lib/log';
import { pathSegmentAfter } from '../lib/paths';

const SLUG = /^[A-Za-z0-9_-]{1,64}$/;
// Every redirect, with a click id or to the brand's fallback, is never cached. Nothing else is sent: each
// header costs the runtime work on every click (test/bench/README.md, "The hot path's cost"), and a
// Referrer-Policy here could only narrow what the linking page's own policy already lets the shop see.
const REDIRECT_HEADERS = { 'Cache-Control': 'no-store' };

export const redirect = new Hono<AppEnv>();

// The full path: any link, read from D1 when this isolate has no fresh copy, with the app's errors.
redirect.on(['GET', 'HEAD'], '/:slug', async (c) => {
  const slug = c.req.param('slug');
  if (!SLUG.test(slug)) throw notFound('link');
  const now = Date.now();
  const cached = cachedRoute(slug, now);
  const route = cached ? cached.value : await freshRoute(c.env, slug, now);
  if (!route) throw notFound('link');
  if (!route.active) {
    if (route.fallbackUrl) return new Response(null, { status: 302, headers: { Location: route.fallbackUrl, ...REDIRECT_HEADERS } });
    throw new ApiError(410, 'link_inactive', 'This link is no longer active.');
  }
  const response = answer(c.req.raw, c.req.method, route, now, c.env, c.executionCtx);
  c.set('clickRedirect', true); // only once the 302 exists: an error thrown above keeps its Request-Id
  return response;
});

// The hot path, taken before the router: an active link this isolate holds fresh. No router, no
// middleware stack, no D1: the answer is a cache read, a click id and a string. Anything else (an unknown
// or stale slug, a paused link, a missing secret) returns null and takes the full path above, which
// answers it the same way it always has. Measured by `npm run bench` (test/bench/README.md).
export function cachedRedirect(request: Request, method: string, url: string, env: Env, ctx: ExecutionContext): Response | null {
  if (method !== 'GET' && method !== 'HEAD') return null;
  const slug = pathSegmentAfter(url, '/r/');
  if (slug === null || !SLUG.test(slug)) return null;
  const now = Date.now();
  const slot = cachedRoute(slug, now);
  const route = slot?.value;
  if (!slot || !route?.active || !hasSecrets(env)) return null;
  refreshAhead(env, ctx, slug, slot.expires, now);
  // No request id is read, minted or sent: the click id is this answer's trace (it is in Location and
  // in the click's row), nothing here logs per request, and a flush failure is logged with the click ids
  // of the whole flush, which spans many requests.
  return answer(request, method, route, now, env, ctx);
}

// The 302 with a fresh click id; the click is recorded after the response, inside waitUntil.
function answer(request: Request, method: string, route: CachedRoute, now: number, env: Env, ctx: Pick<ExecutionContext, 'waitUntil'>): Response {
  const clickId = newClickId();
  const headers = request.headers;
  const userAgent = headers.get('user-agent');
  const click: ClickMessage = {
    id: clickId,
    brandId: route.brandId,
    linkId: route.linkId,
    at: now,
    country: countryOf(request, headers),
    device: deviceClass(userAgent),
    referrerHost: referrerHost(headers.get('referer')),
    // Keyed and salted by day: the raw IP never leaves this function.
    identityHash: visitorIdentity(env.IDENTITY_SECRET, headers.get('cf-connecting-ip') ?? '', userAgent ?? '', now),
    isBot: isBotRequest({ method, userAgent, purpose: purposeOf(headers) }),
  };
  // Never throws: a click the queue and D1 both refuse is logged as lost, the shopper still gets the 302.
  const flush = batchClick(env, click);
  if (flush) ctx.waitUntil(flush);
  // Every header in the constructor: setting one afterwards is another call into the runtime.
  return new Response(null, { status: 302, headers: { Location: locationWithClick(route.target, clickId), ...REDIRECT_HEADERS } });
}

// Cloudflare's front line sends CF-IPCountry with IP geolocation on (the default; README, Deploy): one
// header read. request.cf is the fallback, as its first read parses the whole cf object, which cost about
// half of the hot redirect's own time in the bench's profile. Only analytics read the country, so a value
// in another form is never stored.
function countryOf(request: Request, headers: Headers): string | null {
  const header = headers.get('cf-ipcountry');
  if (header !== null && COUNTRY.test(header)) return header;
  const cf = request.cf?.country;
  return typeof cf === 'string' && COUNTRY.test(cf) ? cf : null;
}

// Refresh-ahead: a link requested in the last fifth of its cache lifetime is read again in the
// background, so a link in use never expires and no shopper waits for D1 (which ingestion may be keeping
// busy: under mixed traffic those waits set the redirect's p99). Nothing is served past its TTL, so the
// bound on a paused or edited link is unchanged; a link nobody follows simply expires.
const REFRESH_AHEAD_SHARE = 0.2;
const refreshing = new Set<string>();

function refreshAhead(env: Env, ctx: Pick<ExecutionContext, 'waitUntil'>, slug: string, expires: number, now: number): void {
  const ttl = Number(env.LINK_CACHE_TTL_MS ?? 0);
  if (expires - now > ttl * REFRESH_AHEAD_SHARE || refreshing.has(slug)) return;
  refreshing.add(slug);
  ctx.waitUntil(
    readRoute(env, slug, Date.now())
      // The entry still expires on time; the next request past it reads D1 on the full path.
      .catch((error: unknown) => log.warn('link_refresh_failed', { slug, error }))
      .finally(() => refreshing.delete(slug)),
  );
}

// One D1 read of a link, remembered in this isolate for LINK_CACHE_TTL_MS.
async function readRoute(env: Env, slug: string, now: number) {
  const route = await findLinkRoute(env.DB, slug, now);
  readsFailingSince = null;
  return rememberRoute(slug, route, now, Number(env.LINK_CACHE_TTL_MS ?? 0));
}

// A read is safe to repeat, and D1's transient errors (a lost connection, an overloaded instance) often
// pass within milliseconds: four reads with short pauses (10, 20, 40 ms) before a cold link answers 503.
// With the storage-fault scenario's 10% of D1 calls failing, three reads left one cold link in a thousand
// at 503, about one scenario run in a hundred; four leave one in ten thousand. Only a failing read waits.
const ROUTE_READ_ATTEMPTS = 4;
const ROUTE_RETRY_MS = 10;
// Once a cold link has failed all four reads and no read has succeeded since, D1 is down rather than
// flaky: for the next 2 s a cold link is read once, so a flood of unknown slugs during an outage costs one
// read each (and the shopper no 70 ms of pauses). Any read that succeeds ends it; so does the window.
// Under the fault scenario's 10% failures four reads in a row fail once in ten thousand, and reads succeed
// around it, so this never takes the retries from a flaky D1.
export const ROUTE_OUTAGE_MS = 2_000;
let readsFailingSince: number | null = null;

// Unknown slugs are cached too, so a flood of random slugs costs one D1 read per slug per TTL. A failing
// read must not break a working link: serve what this isolate last knew (the TTL bound is kept while D1
// answers), and a link never seen here is read again before the 503.
async function freshRoute(env: Env, slug: string, now: number) {
  const outage = readsFailingSince !== null && now - readsFailingSince < ROUTE_OUTAGE_MS;
  const attempts = outage ? 1 : ROUTE_READ_ATTEMPTS;
  for (let attempt = 1; ; attempt++) {
    if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, ROUTE_RETRY_MS * 2 ** (attempt - 2)));
    try {
      return await readRoute(env, slug, now);
    } catch (error) {
      const known = lastKnownRoute(slug);
      if (known || attempt >= attempts) {
        log.warn('link_read_failed', { slug, served: known ? 'last_known' : 'error', attempt, outage, error });
        if (known) return known.value;
        if (!outage) readsFailingSince = Date.now();
        throw error;
      }
    }
  }
}


// Clicks arriving in the same few milliseconds leave the isolate as one queue message carrying all of
// them, not one message each: Queues bills an operation per message (per 64 KB), so a burst of 100 clicks
// costs one write, one read and one delete instead of 300, and the consumer's batch of 10 messages is up
// to 1,000 clicks in one D1 transaction. (Locally, one message per click ran Miniflare's broker out of
// timers under load.) The request that opens a batch holds its flush in waitUntil, so the isolate stays
// up until the clicks are handed over and the send runs in a live request; the requests that join only
// add their click (holding the same promise from every request cost each a cross-request wake-up). The
// cost is that a click waits up to FLUSH_MS before it is sent.
const FLUSH_MS = 20;
const MAX_BATCH = 100; // at most ~450 bytes a click: under 64 KB, one billed operation, well below the 128 KB message limit
type OpenBatch = { queue: Queue; messages: ClickMessage[] };
let open: OpenBatch | null = null;

// The flush to wait for when this click opened a batch, null when it joined one.
function batchClick(env: Env, message: ClickMessage): Promise<void> | null {
  // Keyed by the binding, so a request with different bindings (a test's failing queue) never joins another's batch.
  if (open && open.queue === env.CLICKS && open.messages.length < MAX_BATCH) {
    open.messages.push(message);
    return null;
  }
  const batch: OpenBatch = { queue: env.CLICKS, messages: [message] };
  open = batch;
  return new Promise<void>((resolve) => setTimeout(resolve, FLUSH_MS)).then(() => {
    if (open === batch) open = null;
    return sendClicks(env, batch.messages);
  });
}

// If the queue refuses, the clicks go straight to D1 (idempotent writes); only if both fail is a click lost.
async function sendClicks(env: Env, messages: ClickMessage[]): Promise<void> {
  try {
    await env.CLICKS.send(messages, { contentType: 'json' });
  } catch (queueError) {
    let awaiting: D1Result | undefined;
    try {
      awaiting = await writeClicks(env.DB, messages);
      log.warn('click_enqueue_failed', { clicks: messages.length, clickIds: messages.map((m) => m.id), fallback: 'direct_write', error: queueError });
    } catch (dbError) {
      log.error('click_lost', { clicks: messages.length, clickIds: messages.map((m) => m.id), error: dbError });
      return;
    }
    // The clicks are stored; an order that named one of them earlier is credited now (no queue retry here).
    try {
      await enqueuingDueDeliveries(env, (db) => attributeAwaitingOrders(db, awaiting));
    } catch (error) {
      // The cron sweep credits what this left waiting.
      log.error('late_attribution_failed', { clickIds: messages.map((m) => m.id), error });
    }
  }
}
