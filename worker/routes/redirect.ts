import { Hono } from 'hono';
import { findLinkRoute } from '../db/link-routes';
import { writeClicks } from '../db/clicks';
import { isBotRequest, purposeOf } from '../domain/bots';
import { deviceClass, referrerHost, type ClickMessage } from '../domain/clicks';
import { locationWithClick } from '../domain/utm';
import type { AppEnv, Env } from '../env';
import { ApiError, notFound } from '../lib/errors';
import { newClickId } from '../lib/ids';
import { visitorIdentity } from '../lib/identity';
import { cachedRoute, lastKnownRoute, rememberRoute } from '../lib/link-cache';
import { log } from '../lib/log';

const SLUG = /^[A-Za-z0-9_-]{1,64}$/;

export const redirect = new Hono<AppEnv>();

redirect.on(['GET', 'HEAD'], '/:slug', async (c) => {
  const slug = c.req.param('slug');
  if (!SLUG.test(slug)) throw notFound('link');
  const now = Date.now();
  const cached = cachedRoute(slug, now);
  const route = cached ? cached.value : await freshRoute(c.env, slug, now);
  if (!route) throw notFound('link');
  if (!route.active) {
    if (route.fallbackUrl) return noStore(c.redirect(route.fallbackUrl, 302));
    throw new ApiError(410, 'link_inactive', 'This link is no longer active.');
  }
  const clickId = newClickId();
  const headers = c.req.raw.headers;
  const userAgent = headers.get('user-agent');
  const pending = {
    id: clickId,
    brandId: route.brandId,
    linkId: route.linkId,
    at: now,
    country: (c.req.raw.cf?.country as string | undefined) ?? headers.get('cf-ipcountry'),
    device: deviceClass(userAgent),
    referrerHost: referrerHost(headers.get('referer')),
    isBot: isBotRequest({ method: c.req.method, userAgent, purpose: purposeOf(headers) }),
  };
  const ip = headers.get('cf-connecting-ip') ?? '';
  c.executionCtx.waitUntil(recordClick(c.env, pending, ip, userAgent ?? ''));
  return noStore(c.redirect(locationWithClick(route.target, clickId), 302));
});

const ROUTE_READ_ATTEMPTS = 3;

// Unknown slugs are cached too, so a flood of random slugs costs one D1 read per slug per TTL. A failing
// read must not break a working link: serve what this isolate last knew (the TTL bound is kept while D1
// answers), and a link never seen here gets two more tries (a read is safe to repeat) before the 503.
async function freshRoute(env: Env, slug: string, now: number) {
  for (let attempt = 1; ; attempt++) {
    try {
      return rememberRoute(slug, await findLinkRoute(env.DB, slug, now), now, Number(env.LINK_CACHE_TTL_MS ?? 0));
    } catch (error) {
      const known = lastKnownRoute(slug);
      if (known || attempt >= ROUTE_READ_ATTEMPTS) {
        log.warn('link_read_failed', { slug, served: known ? 'last_known' : 'error', attempt, error });
        if (known) return known.value;
        throw error;
      }
    }
  }
}

function noStore(res: Response): Response {
  res.headers.set('Cache-Control', 'no-store');
  res.headers.set('Referrer-Policy', 'no-referrer-when-downgrade');
  return res;
}

// Off the hot path: hash the visitor, then hand the click to the isolate's open batch. Never throws.
async function recordClick(env: Env, pending: Omit<ClickMessage, 'identityHash'>, ip: string, userAgent: string): Promise<void> {
  let message: ClickMessage;
  try {
    message = { ...pending, identityHash: await visitorIdentity(env.IDENTITY_SECRET, ip, userAgent, pending.at) };
  } catch (error) {
    log.error('click_lost', { clickId: pending.id, error });
    return;
  }
  await batchClick(env, message);
}

// Clicks arriving in the same few milliseconds leave the isolate as one sendBatch instead of one send
// each: a burst costs the queue (and, locally, Miniflare's broker, whose timers ran out under one send per
// click) a hundredth of the calls. Every request's waitUntil holds the batch's flush, so the isolate stays
// up until the clicks are handed over; the cost is that a click waits up to FLUSH_MS before it is sent.
const FLUSH_MS = 20;
const MAX_BATCH = 100; // Queues' sendBatch limit
type OpenBatch = { queue: Queue; messages: ClickMessage[]; flushed: Promise<void> };
let open: OpenBatch | null = null;

function batchClick(env: Env, message: ClickMessage): Promise<void> {
  // Keyed by the binding, so a request with different bindings (a test's failing queue) never joins another's batch.
  if (open && open.queue === env.CLICKS && open.messages.length < MAX_BATCH) {
    open.messages.push(message);
    return open.flushed;
  }
  const batch: OpenBatch = { queue: env.CLICKS, messages: [message], flushed: Promise.resolve() };
  open = batch;
  batch.flushed = new Promise<void>((resolve) => setTimeout(resolve, FLUSH_MS)).then(() => {
    if (open === batch) open = null;
    return sendClicks(env, batch.messages);
  });
  return batch.flushed;
}

// If the queue refuses, the clicks go straight to D1 (idempotent writes); only if both fail is a click lost.
async function sendClicks(env: Env, messages: ClickMessage[]): Promise<void> {
  try {
    await env.CLICKS.sendBatch(messages.map((body) => ({ body, contentType: 'json' as const })));
  } catch (queueError) {
    try {
      await writeClicks(env.DB, messages);
      log.warn('click_enqueue_failed', { clicks: messages.length, clickIds: messages.map((m) => m.id), fallback: 'direct_write', error: queueError });
    } catch (dbError) {
      log.error('click_lost', { clicks: messages.length, clickIds: messages.map((m) => m.id), error: dbError });
    }
  }
}
