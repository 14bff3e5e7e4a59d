// Reading a request path without building a URL object, for the hot paths answered before the router, and
// writing the one path every page, mail and export hands out: a tracked link's.

// The raw (still percent-encoded) path segment after `prefix` in an absolute URL, or null when the path is
// anything else: another prefix, an empty segment, or more segments after it.
export function pathSegmentAfter(url: string, prefix: string): string | null {
  const pathStart = url.indexOf('/', url.indexOf('//') + 2);
  if (pathStart < 0 || !url.startsWith(prefix, pathStart)) return null;
  let end = url.length;
  for (const stop of ['?', '#']) {
    const at = url.indexOf(stop, pathStart);
    if (at >= 0 && at < end) end = at;
  }
  const segment = url.slice(pathStart + prefix.length, end);
  return segment.length > 0 && !segment.includes('/') ? segment : null;
}

// A tracked link as shoppers open it: the redirect (routes/redirect.ts) at /r/<slug> under an origin.
export const trackedLinkUrl = (origin: string, slug: string) => `${origin}/r/${slug}`;
