// A visitor's identity for unique-click counting: keyed by a salt that rotates daily, so hashes from
// different days cannot be joined and no raw IP is ever stored.
const encoder = new TextEncoder();
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

// One imported key per day per isolate: importKey on every redirect was a fifth of its CPU.
let cached: { secret: string; day: string; key: Promise<CryptoKey> } | null = null;

function dailyKey(secret: string, day: string): Promise<CryptoKey> {
  if (cached?.day !== day || cached.secret !== secret) {
    cached = { secret, day, key: crypto.subtle.importKey('raw', encoder.encode(`${secret}:${day}`), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']) };
  }
  return cached.key;
}

export async function visitorIdentity(secret: string, ip: string, userAgent: string, at: number): Promise<string> {
  const day = new Date(at).toISOString().slice(0, 10);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', await dailyKey(secret, day), encoder.encode(`${ip}\n${userAgent}`)));
  let hex = '';
  for (let i = 0; i < 16; i++) hex += HEX[mac[i]!];
  return hex;
}
