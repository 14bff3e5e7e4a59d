// A visitor's identity for unique-click counting: keyed by a salt that rotates daily, so hashes from
// different days cannot be joined and no raw IP is ever stored.
//
// HMAC-SHA256 through node:crypto, which is synchronous: the same digest as WebCrypto's HMAC (hashes
// stored before stay comparable), without the promise and key object WebCrypto costs on every redirect.
import { createHmac } from 'node:crypto';

export function visitorIdentity(secret: string, ip: string, userAgent: string, at: number): string {
  const day = new Date(at).toISOString().slice(0, 10);
  return createHmac('sha256', `${secret}:${day}`).update(`${ip}\n${userAgent}`).digest('hex').slice(0, 32);
}
