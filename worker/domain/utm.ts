// Builds where a tracked link sends the shopper. Everything here is set by the server: nothing from
// the incoming request is copied, so a shopper-supplied cid, utm_* or next= cannot steer the redirect.

export type RedirectTarget = { prefix: string; fragment: string };

export function redirectTarget(destination: string, utm: { source: string; campaign: string }, clickParam: string): RedirectTarget {
  const url = new URL(destination);
  const fragment = url.hash;
  url.hash = '';
  for (const key of [...url.searchParams.keys()]) {
    if (key.toLowerCase().startsWith('utm_') || key === clickParam) url.searchParams.delete(key);
  }
  url.searchParams.set('utm_source', utm.source);
  url.searchParams.set('utm_medium', 'creator');
  url.searchParams.set('utm_campaign', utm.campaign);
  return { prefix: `${url.toString()}&${encodeURIComponent(clickParam)}=`, fragment };
}

export function locationWithClick(target: RedirectTarget, clickId: string): string {
  return `${target.prefix}${clickId}${target.fragment}`;
}
