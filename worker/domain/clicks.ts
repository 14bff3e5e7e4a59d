// What a click is on its way from the redirect to D1, and the facts derived from the request.

export type DeviceClass = 'mobile' | 'tablet' | 'desktop' | 'unknown';

export type ClickMessage = {
  id: string;
  brandId: string;
  linkId: string;
  at: number;
  country: string | null;
  device: DeviceClass;
  referrerHost: string | null;
  identityHash: string;
  isBot: boolean;
};

// Two clicks by the same visitor on the same link less than this apart count once.
export const UNIQUE_WINDOW_MS = 60 * 60 * 1000;

export function deviceClass(userAgent: string | null): DeviceClass {
  if (!userAgent) return 'unknown';
  if (/ipad|tablet|kindle|silk/i.test(userAgent)) return 'tablet';
  if (/mobi|iphone|ipod|android/i.test(userAgent)) return 'mobile';
  return 'desktop';
}

export function referrerHost(referer: string | null): string | null {
  if (!referer) return null;
  try {
    return new URL(referer).hostname.slice(0, 253) || null;
  } catch {
    return null;
  }
}

export function utcDay(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

export function isClickMessage(v: unknown): v is ClickMessage {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  return (
    typeof m.id === 'string' &&
    typeof m.brandId === 'string' &&
    typeof m.linkId === 'string' &&
    Number.isSafeInteger(m.at) &&
    typeof m.identityHash === 'string' &&
    typeof m.isBot === 'boolean' &&
    typeof m.device === 'string'
  );
}
