// Inbound signatures: Chorus's own "t=…,v1=…" scheme, Shopify's base64 HMAC and Stripe's scheme.
import { toHex } from './digest';

const encoder = new TextEncoder();

export const SIGNATURE_TOLERANCE_S = 300;

async function hmac(secret: string, message: string): Promise<ArrayBuffer> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return crypto.subtle.sign('HMAC', key, encoder.encode(message));
}

// Compares in time independent of where the strings differ.
export function timingSafeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

export type SignatureFailure = 'missing' | 'malformed' | 'stale' | 'future' | 'mismatch';
/** `secret`: the index of the first of the given secrets that verified. */
export type SignatureCheck = { ok: true; secret: number } | { ok: false; reason: SignatureFailure };

type Parsed = { t: number; v1: string[] };

// "t=1700000000,v1=abc…,v1=def…": several v1 values let a sender sign with old and new secrets while rotating.
export function parseTimestampedSignature(header: string | undefined | null): Parsed | null {
  if (!header || header.length > 2048) return null;
  let t: number | null = null;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return null;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (!/^\d{1,12}$/.test(value)) return null;
      t = Number(value);
    } else if (key === 'v1') {
      if (!/^[0-9a-f]{64}$/i.test(value)) return null;
      v1.push(value.toLowerCase());
    }
  }
  if (t === null || v1.length === 0 || v1.length > 8) return null;
  return { t, v1 };
}

// Used for Chorus-Signature and Stripe-Signature: HMAC-SHA256(secret, `${t}.${rawBody}`) in hex.
export async function verifyTimestampedSignature(header: string | undefined | null, rawBody: string, secrets: readonly string[], nowMs: number): Promise<SignatureCheck> {
  if (!header) return { ok: false, reason: 'missing' };
  const parsed = parseTimestampedSignature(header);
  if (!parsed) return { ok: false, reason: 'malformed' };
  const now = Math.floor(nowMs / 1000);
  if (parsed.t < now - SIGNATURE_TOLERANCE_S) return { ok: false, reason: 'stale' };
  if (parsed.t > now + SIGNATURE_TOLERANCE_S) return { ok: false, reason: 'future' };
  let matched = -1;
  for (const [index, secret] of secrets.entries()) {
    const expected = toHex(await hmac(secret, `${parsed.t}.${rawBody}`));
    for (const candidate of parsed.v1) if (timingSafeEqual(expected, candidate) && matched < 0) matched = index;
  }
  return matched >= 0 ? { ok: true, secret: matched } : { ok: false, reason: 'mismatch' };
}

// Several secrets (a webhook endpoint's new and rolled-over ones) give one v1 each, as verifiers accept.
export async function signTimestamped(secret: string | string[], rawBody: string, nowMs: number): Promise<string> {
  const t = Math.floor(nowMs / 1000);
  const signatures = await Promise.all((Array.isArray(secret) ? secret : [secret]).map(async (s) => `v1=${toHex(await hmac(s, `${t}.${rawBody}`))}`));
  return `t=${t},${signatures.join(',')}`;
}

function toBase64(buf: ArrayBuffer): string {
  let s = '';
  for (const b of new Uint8Array(buf)) s += String.fromCharCode(b);
  return btoa(s);
}

// Shopify: base64 HMAC-SHA256 of the raw body. Shopify signs no timestamp, so replays are stopped by order-id idempotency.
// Several secrets while one rotates, as verifyTimestampedSignature takes them: every one is computed.
export async function verifyShopifyHmac(header: string | undefined | null, rawBody: string, secrets: readonly string[]): Promise<SignatureCheck> {
  if (!header) return { ok: false, reason: 'missing' };
  if (!/^[A-Za-z0-9+/]{43}=$/.test(header)) return { ok: false, reason: 'malformed' };
  let matched = -1;
  for (const [index, secret] of secrets.entries()) if (timingSafeEqual(toBase64(await hmac(secret, rawBody)), header) && matched < 0) matched = index;
  return matched >= 0 ? { ok: true, secret: matched } : { ok: false, reason: 'mismatch' };
}

export async function signShopify(secret: string, rawBody: string): Promise<string> {
  return toBase64(await hmac(secret, rawBody));
}
