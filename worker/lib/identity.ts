// A visitor's identity for unique-click counting: keyed by a salt that rotates daily, so hashes from
// different days cannot be joined and no raw IP is ever stored.
import { utcDay } from '../domain/clicks';
import { DAY_MS } from '../domain/periods';
import { hmacSha256, type Hmac } from './hmac-sha256';

// One keyed HMAC per day per isolate: keying it is most of the work for a short message.
let cached: { secret: string; day: number; mac: Hmac } | null = null;

function dailyMac(secret: string, at: number): Hmac {
  const day = Math.floor(at / DAY_MS);
  if (cached?.day !== day || cached.secret !== secret) cached = { secret, day, mac: hmacSha256(`${secret}:${utcDay(day * DAY_MS)}`) };
  return cached.mac;
}

// The first 128 bits of HMAC-SHA256("<secret>:<UTC day>", ip \n user agent), in hex.
export function visitorIdentity(secret: string, ip: string, userAgent: string, at: number): string {
  return dailyMac(secret, at).hex128(`${ip}\n${userAgent}`);
}
