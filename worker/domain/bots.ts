// Link previewers, crawlers and prefetches get the redirect but are never counted as clicks.
const BOT_AGENTS =
  /facebookexternalhit|facebot|slackbot|slack-imgproxy|whatsapp|twitterbot|linkedinbot|discordbot|telegrambot|skypeuripreview|pinterest|redditbot|embedly|vkshare|quora link preview|applebot|googlebot|bingbot|yandex|duckduckbot|baiduspider|bot\/|crawler|spider|headlesschrome|curl\/|wget\/|python-requests|go-http-client|okhttp/i;

export type RequestSignals = { method: string; userAgent: string | null; purpose: string | null };

export function isBotRequest({ method, userAgent, purpose }: RequestSignals): boolean {
  if (method === 'HEAD') return true;
  if (purpose && /prefetch|prerender|preview/i.test(purpose)) return true;
  if (!userAgent) return true;
  return BOT_AGENTS.test(userAgent);
}

// Sec-Purpose is what Chrome's speculation rules and Firefox 115+ send; Chrome and Edge still send the
// legacy Purpose for <link rel=prefetch>. Firefox's older X-Moz and Safari's old X-Purpose (Top Sites
// previews) are no longer read: two fewer header reads on every human click, each a measurable share of
// the hot redirect's cost (test/bench/README.md), for browsers from before 2023.
export function purposeOf(headers: Headers): string | null {
  return headers.get('sec-purpose') ?? headers.get('purpose');
}
