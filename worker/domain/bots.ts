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

export function purposeOf(headers: Headers): string | null {
  return headers.get('sec-purpose') ?? headers.get('purpose') ?? headers.get('x-purpose') ?? headers.get('x-moz');
}
