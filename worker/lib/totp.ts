// Authenticator-app codes: TOTP (RFC 6238) over HOTP (RFC 4226) with HMAC-SHA1 through WebCrypto, 6 digits,
// 30-second steps, a 20-byte random secret shown as base32 (RFC 4648) in an otpauth:// URI. These are the
// defaults every authenticator app assumes, so the URI names none of them.

export const TOTP_DIGITS = 6;
export const TOTP_STEP_MS = 30_000;
export const TOTP_SECRET_BYTES = 20;
// The steps either side of now a code may come from: a phone's clock a little off, or a code typed as it turned.
export const TOTP_DRIFT_STEPS = 1;

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

// Spaces, padding and lower case are allowed (people copy secrets in groups); anything else is null.
export function base32Decode(text: string): Uint8Array | null {
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of clean) {
    const digit = BASE32.indexOf(ch);
    if (digit < 0) return null;
    value = (value << 5) | digit;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
    value &= (1 << bits) - 1;
  }
  return new Uint8Array(out);
}

export const newTotpSecret = (): string => base32Encode(crypto.getRandomValues(new Uint8Array(TOTP_SECRET_BYTES)));

export const totpStep = (nowMs: number): number => Math.floor(nowMs / TOTP_STEP_MS);

// RFC 4226 §5.3: HMAC-SHA1 of the 8-byte big-endian counter, dynamically truncated to 31 bits, then the low digits.
export async function hotp(key: Uint8Array, counter: number, digits = TOTP_DIGITS): Promise<string> {
  const message = new Uint8Array(8);
  const view = new DataView(message.buffer);
  view.setUint32(0, Math.floor(counter / 2 ** 32));
  view.setUint32(4, counter >>> 0);
  const hmacKey = await crypto.subtle.importKey('raw', new Uint8Array(key), { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', hmacKey, message));
  const offset = mac[19]! & 0x0f;
  const binary = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

// Compares every character whatever the first difference, so the time taken says nothing of how much matched.
export function sameCode(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}

// The step of now (±TOTP_DRIFT_STEPS) whose code `code` is, if it is later than `afterStep` (the last one taken):
// null otherwise. Every candidate is computed and compared, matched or not.
export async function matchTotp(secret: string, code: string, nowMs: number, afterStep: number): Promise<number | null> {
  const key = base32Decode(secret);
  if (!key || key.length === 0 || !/^\d{6}$/.test(code)) return null;
  const now = totpStep(nowMs);
  let matched: number | null = null;
  for (let step = now - TOTP_DRIFT_STEPS; step <= now + TOTP_DRIFT_STEPS; step++) {
    const equal = sameCode(await hotp(key, step), code);
    if (equal && step > afterStep) matched = step;
  }
  return matched;
}

// The URI an authenticator app reads from the QR code (Google's Key Uri Format): the label is "issuer:account",
// the issuer parameter again for apps that group by it. Apps may replace an entry whose label they have already,
// so the account names everything that tells two apart (for the console: the brand and the email). The format
// allows no colon in either part: one in the account (a brand named "Acme: Labs") is dropped.
export function otpauthUri(account: string, secret: string, issuer = 'Chorus'): string {
  const label = account.replace(/:/g, '').replace(/\s+/g, ' ').trim();
  return `otpauth://totp/${encodeURIComponent(issuer)}:${encodeURIComponent(label)}?secret=${secret}&issuer=${encodeURIComponent(issuer)}`;
}

// The secret as people type it into an app by hand: groups of four.
export const groupedSecret = (secret: string): string => secret.replace(/(.{4})(?=.)/g, '$1 ');
