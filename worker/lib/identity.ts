// A visitor's identity for unique-click counting: keyed by a salt that rotates daily, so hashes from
// different days cannot be joined and no raw IP is ever stored.
import { hmacSha256, type Hmac } from './hmac-sha256';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

// One keyed HMAC per day per isolate: keying it is most of the work for a short message.
let cached: { secret: string; day: string; mac: Hmac } | null = null;

function dailyMac(secret: string, day: string): Hmac {
  if (cached?.day !== day || cached.secret !== secret) cached = { secret, day, mac: hmacSha256(`${secret}:${day}`) };
  return cached.mac;
}

// The first 128 bits of HMAC-SHA256(secret:day, ip \n user agent), in hex.
export function visitorIdentity(secret: string, ip: string, userAgent: string, at: number): string {
  const mac = dailyMac(secret, new Date(at).toISOString().slice(0, 10))(`${ip}\n${userAgent}`);
  let hex = '';
  for (let i = 0; i < 16; i++) hex += HEX[mac[i]!];
  return hex;
}
