import { hmacSha256Hex } from './digest';

// A visitor's identity for unique-click counting: keyed by a salt that rotates daily, so hashes from
// different days cannot be joined and no raw IP is ever stored.
export async function visitorIdentity(secret: string, ip: string, userAgent: string, at: number): Promise<string> {
  const day = new Date(at).toISOString().slice(0, 10);
  const hex = await hmacSha256Hex(`${secret}:${day}`, `${ip}\n${userAgent}`);
  return hex.slice(0, 32);
}
