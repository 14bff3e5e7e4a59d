// A visitor's identity for unique-click counting: a keyed hash of the IP and the user agent under a key
// that rotates daily, so hashes from different days cannot be joined and no raw IP is ever stored. The
// price: a visitor whose two clicks straddle UTC midnight (23:50, 00:10) counts as unique twice, as with
// any daily salt. Matching across midnight would mean keeping a link between two days' hashes.
import { utcDay } from '../domain/clicks';
import { DAY_MS } from '../domain/periods';
import { hmacSha256 } from './hmac-sha256';
import { sipHash128Hex, sipKey, type SipKey } from './siphash';

// One key per UTC day per isolate: the first 128 bits of HMAC-SHA256(IDENTITY_SECRET, "visitor-identity:<day>").
let cached: { secret: string; day: number; key: SipKey } | null = null;

function dailyIdentityKey(secret: string, at: number): SipKey {
  const day = Math.floor(at / DAY_MS);
  if (cached?.day !== day || cached.secret !== secret) cached = { secret, day, key: sipKey(hmacSha256(secret)(`visitor-identity:${utcDay(day * DAY_MS)}`)) };
  return cached.key;
}

// SipHash-2-4-128 of "<ip>\n<user agent>" under the day's key, in hex (32 digits). SipHash is a keyed
// pseudorandom function made for short inputs: without the key nobody can tell which IP a hash came
// from, and it costs the redirect a fraction of what HMAC-SHA256 did (lib/siphash.ts).
export function visitorIdentity(secret: string, ip: string, userAgent: string, at: number): string {
  return sipHash128Hex(dailyIdentityKey(secret, at), ip, userAgent);
}
