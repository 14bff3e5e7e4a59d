// An isolate-local copy of link routes: the redirect reads D1 at most once per slug per TTL.
// The TTL (LINK_CACHE_TTL_MS) is the documented bound on how long a paused or edited link may still be served as before.
import type { LinkRoute } from '../db/link-routes';
import { redirectTarget, type RedirectTarget } from '../domain/utm';
import { TtlCache } from './ttl-cache';

export type CachedRoute = LinkRoute & { target: RedirectTarget };

const routes = new TtlCache<CachedRoute | null>();

export function cachedRoute(slug: string, now: number) {
  return routes.get(slug, now);
}

export function rememberRoute(slug: string, route: LinkRoute | null, now: number, ttlMs: number): CachedRoute | null {
  const cached = route ? { ...route, target: redirectTarget(route.destination, { source: route.handle, campaign: route.campaignSlug }, route.clickParam) } : null;
  return routes.set(slug, cached, now, ttlMs);
}

// What this isolate last knew of a slug, however old: the redirect serves it only while D1 is failing.
export function lastKnownRoute(slug: string) {
  return routes.stale(slug);
}

// Admin writes in this isolate take effect at once; other isolates converge within the TTL.
export function forgetRoute(slug: string): void {
  routes.delete(slug);
}
