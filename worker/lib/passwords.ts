// PBKDF2-SHA256 through WebCrypto. Cloudflare Workers refuse more than 100,000 iterations (local
// workerd does not), so the cap is enforced here for hashing and verifying alike.
import { base64url } from './ids';

export const MAX_PBKDF2_ITERATIONS = 100_000;
export const PBKDF2_ITERATIONS = 100_000;
const encoder = new TextEncoder();

function fromBase64url(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s.replaceAll('-', '+').replaceAll('_', '/'));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

async function derive(password: string, salt: Uint8Array<ArrayBuffer>, iterations: number): Promise<Uint8Array> {
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS) {
    throw new RangeError(`PBKDF2 iterations must be between 1 and ${MAX_PBKDF2_ITERATIONS}`);
  }
  const key = await crypto.subtle.importKey('raw', encoder.encode(password.normalize('NFKC')), 'PBKDF2', false, ['deriveBits']);
  return new Uint8Array(await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, 256));
}

// Stored as "pbkdf2_sha256$<iterations>$<salt>$<hash>" so the count can change without a migration.
export async function hashPassword(password: string, iterations = PBKDF2_ITERATIONS): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await derive(password, salt, iterations);
  return `pbkdf2_sha256$${iterations}$${base64url(salt)}$${base64url(hash)}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, iter, salt, hash] = stored.split('$');
  const iterations = Number(iter);
  if (scheme !== 'pbkdf2_sha256' || !salt || !hash || !Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS) return false;
  // A stored value that does not decode is a wrong password, not a 500.
  let saltBytes: Uint8Array<ArrayBuffer>, expected: Uint8Array;
  try {
    saltBytes = fromBase64url(salt);
    expected = fromBase64url(hash);
  } catch {
    return false;
  }
  const actual = await derive(password, saltBytes, iterations);
  let diff = actual.length ^ expected.length;
  for (let i = 0; i < actual.length; i++) diff |= actual[i]! ^ (expected[i] ?? 0);
  return diff === 0;
}

// Unknown emails are checked against this, so a miss costs the same time as a wrong password.
export const DUMMY_HASH = 'pbkdf2_sha256$100000$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export function passwordProblem(password: string): string | null {
  if (password.length < 10) return 'Use at least 10 characters.';
  if (password.length > 256) return 'Use at most 256 characters.';
  return null;
}

// A signed-in account changing its password: what is wrong with the form in plain words, or null. The cheap
// checks come first, so a mistyped repeat costs no PBKDF2 work; `stored` is the account's hash as read.
export async function passwordChangeProblem(form: { current: string; password: string; confirm: string }, stored: string | null): Promise<{ status: 401 | 422; message: string } | null> {
  const problem = passwordProblem(form.password) ?? (form.password === form.confirm ? null : 'The two new passwords are different.');
  if (problem) return { status: 422, message: problem };
  if (!(await verifyPassword(form.current.slice(0, 256), stored ?? DUMMY_HASH)) || stored === null) return { status: 401, message: 'That is not your current password.' };
  if (form.password === form.current) return { status: 422, message: 'That is the password you have now. Choose a new one.' };
  return null;
}
