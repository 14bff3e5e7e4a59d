// An isolate-local copy of link routes: the redirect reads D1 at most once per slug per TTL.
// The TTL is the documented bound on how long a paused or edited link may still be served as before.
import type { LinkRoute } from '../db/link-routes';
import { redirectTarget, type RedirectTarget } from '../domain/utm';

export type CachedRoute = LinkRoute & { target: RedirectTarget };
type Slot = { route: CachedRoute | null; expires: number };

const MAX_ENTRIES = 10_000;
const slots = new Map<string, Slot>();

export function cachedRoute(slug: string, now: number): Slot | undefined {
  const slot = slots.get(slug);
  if (slot && slot.expires > now) return slot;
  return undefined;
}

export function rememberRoute(slug: string, route: LinkRoute | null, now: number, ttlMs: number): CachedRoute | null {
  const cached = route ? { ...route, target: redirectTarget(route.destination, { source: route.handle, campaign: route.campaignSlug }, route.clickParam) } : null;
  if (ttlMs > 0) {
    // A flood of random slugs must not grow the isolate without bound.
    if (slots.size >= MAX_ENTRIES) slots.clear();
    slots.set(slug, { route: cached, expires: now + ttlMs });
  }
  return cached;
}

// Admin writes in this isolate take effect at once; other isolates converge within the TTL.
export function forgetRoute(slug: string): void {
  slots.delete(slug);
}
