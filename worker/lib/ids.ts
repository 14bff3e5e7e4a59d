const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

export function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

export function randomToken(bytes = 16): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

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
