const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

// RFC 4648 base64url without padding, straight from the bytes (btoa plus three replaces cost a redirect
// more than the rest of its click id); `start` and `end` encode a range without a view of it.
export function base64url(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let s = '';
  let i = start;
  for (; i + 2 < end; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    s += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]! + ALPHABET[n & 63]!;
  }
  if (i < end) {
    const n = (bytes[i]! << 16) | (i + 1 < end ? bytes[i + 1]! << 8 : 0);
    s += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]!;
    if (i + 1 < end) s += ALPHABET[(n >>> 6) & 63]!;
  }
  return s;
}

// Random bytes are drawn from the CSPRNG a few kilobytes at a time and each byte is handed out once:
// one getRandomValues call per 256 click ids instead of one per id, and no view allocated per id.
const POOL_BYTES = 4096;
const pool = new Uint8Array(POOL_BYTES);
let poolAt = POOL_BYTES;

export function randomToken(bytes = 16): string {
  if (bytes > POOL_BYTES) return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
  if (poolAt + bytes > POOL_BYTES) {
    crypto.getRandomValues(pool);
    poolAt = 0;
  }
  poolAt += bytes;
  return base64url(pool, poolAt - bytes, poolAt);
}

// What an id from a request may look like (ours are a prefix, '_' and base64url): checked before a lookup.
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

// Row ids: a readable prefix plus 96 random bits.
export function newId(prefix: string): string {
  return `${prefix}_${randomToken(12)}`;
}

// Click ids are what the store hands back to us, so they carry 128 random bits.
export const newClickId = () => randomToken(16);

// Short slugs for tracked links: 8 chars from a 64-char alphabet (48 bits), retried on collision.
export function newSlug(length = 8): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let s = '';
  for (const b of bytes) s += ALPHABET[b & 63];
  return s;
}
