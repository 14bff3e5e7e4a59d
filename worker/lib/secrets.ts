// Secrets we must be able to read back (HMAC keys, payout details) are sealed with AES-GCM under SECRETS_KEY.
import { base64url } from './ids';

const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

export const MIN_SECRET_LENGTH = 32;

function keyFor(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    if (secret.length < MIN_SECRET_LENGTH) throw new Error(`SECRETS_KEY must be at least ${MIN_SECRET_LENGTH} characters`);
    key = crypto.subtle.digest('SHA-256', encoder.encode(secret)).then((raw) => crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']));
    keys.set(secret, key);
  }
  return key;
}

function fromBase64url(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s.replaceAll('-', '+').replaceAll('_', '/'));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

export async function sealSecret(masterKey: string, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, await keyFor(masterKey), encoder.encode(plaintext));
  return `${base64url(iv)}.${base64url(new Uint8Array(sealed))}`;
}

export async function openSecret(masterKey: string, sealed: string): Promise<string> {
  const [iv, body] = sealed.split('.');
  if (!iv || !body) throw new Error('malformed sealed secret');
  const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: fromBase64url(iv) }, await keyFor(masterKey), fromBase64url(body));
  return new TextDecoder().decode(plain);
}

/** JSON sealed with sealSecret: null when nothing is held, 'unreadable' when it was sealed under a SECRETS_KEY changed since. */
export async function openSealedJson<T>(masterKey: string, sealed: string | null): Promise<T | 'unreadable' | null> {
  if (!sealed) return null;
  try {
    return JSON.parse(await openSecret(masterKey, sealed)) as T;
  } catch {
    return 'unreadable';
  }
}
