// Sessions: a jose-signed JWT in a __Host- cookie, backed by a sessions row so sign-out and password
// changes revoke it. Algorithm, issuer, audience and expiry are pinned on verification.
import { errors, jwtVerify, SignJWT } from 'jose';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { sha256Hex } from './digest';
import { newId, randomToken } from './ids';

export type SubjectType = 'creator' | 'admin_user';
export type Session = { id: string; subjectType: SubjectType; subjectId: string };

export const SESSION_COOKIE = '__Host-chorus_session';
export const SESSION_TTL_MS = 7 * 24 * 3_600_000;
export const ISSUER = 'chorus';
const AUDIENCE: Record<SubjectType, string> = { creator: 'chorus-portal', admin_user: 'chorus-console' };
export const MIN_SESSION_SECRET_LENGTH = 32;

const encoder = new TextEncoder();

export function sessionKey(secret: string | undefined): Uint8Array {
  if (!secret || secret.length < MIN_SESSION_SECRET_LENGTH) {
    throw new Error(`SESSION_SECRET must be at least ${MIN_SESSION_SECRET_LENGTH} characters`);
  }
  return encoder.encode(secret);
}

// Every token this file signs (sessions, brand choices, pending sign-ins): HS256 under the session secret, issued by
// Chorus for one audience, expiring at `exp` (a jose time: epoch seconds, or a span such as "300s").
function signToken(secret: string, audience: string, claims: Record<string, unknown>, exp: number | string, ids: { sub?: string; jti?: string } = {}): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' });
  if (ids.sub !== undefined) jwt.setSubject(ids.sub);
  if (ids.jti !== undefined) jwt.setJti(ids.jti);
  return jwt.setIssuer(ISSUER).setAudience(audience).setIssuedAt().setExpirationTime(exp).sign(sessionKey(secret));
}

// Its claims, with algorithm, issuer, audience and the `required` claims pinned; null for a token that is forged,
// expired or another audience's.
async function verifiedClaims(secret: string, token: string, audience: string, required: string[]): Promise<Record<string, unknown> | null> {
  try {
    return (await jwtVerify(token, sessionKey(secret), { algorithms: ['HS256'], issuer: ISSUER, audience, requiredClaims: required })).payload;
  } catch (e) {
    if (e instanceof errors.JOSEError) return null;
    throw e;
  }
}

export async function signSessionToken(secret: string, session: Session, expiresAt: number): Promise<string> {
  return signToken(secret, AUDIENCE[session.subjectType], { typ: session.subjectType }, Math.floor(expiresAt / 1000), { sub: session.subjectId, jti: session.id });
}

export async function verifySessionToken(secret: string, token: string, subjectType: SubjectType): Promise<Session | null> {
  const payload = await verifiedClaims(secret, token, AUDIENCE[subjectType], ['exp', 'sub', 'jti']);
  if (!payload || payload.typ !== subjectType || typeof payload.sub !== 'string' || typeof payload.jti !== 'string') return null;
  return { id: payload.jti, subjectType, subjectId: payload.sub };
}

// `onlyIf` (SQL with its parameters) must hold as the row is written, or no session starts and this answers
// false (no cookie is set): the check a caller made before, held against a change made meanwhile. `sessionId`:
// the id a pending sign-in named in advance; a second start with it finds the row there and starts nothing.
export async function startSession(c: Context, db: D1Database, secret: string, subjectType: SubjectType, subjectId: string, opts: { onlyIf?: { sql: string; params: unknown[] }; sessionId?: string } = {}): Promise<boolean> {
  const now = Date.now();
  const session: Session = { id: opts.sessionId ?? newId('ses'), subjectType, subjectId };
  const expiresAt = now + SESSION_TTL_MS;
  const token = await signSessionToken(secret, session, expiresAt);
  // The session this browser held until now (either surface's: they share the cookie) ends here, rather
  // than staying valid for whoever copied its token.
  const held = getCookie(c, SESSION_COOKIE);
  const replaced = held && held.length <= 4096 ? ((await verifySessionToken(secret, held, 'creator')) ?? (await verifySessionToken(secret, held, 'admin_user'))) : null;
  const [started] = await db.batch([
    db
      .prepare(`INSERT INTO sessions (id, subject_type, subject_id, expires_at, created_at) SELECT ?, ?, ?, ?, ? WHERE ${opts.onlyIf?.sql ?? 'true'} ON CONFLICT (id) DO NOTHING`)
      .bind(session.id, subjectType, subjectId, expiresAt, now, ...(opts.onlyIf?.params ?? [])),
    ...(replaced ? [db.prepare('UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL AND changes() > 0').bind(now, replaced.id)] : []),
  ]);
  if (started!.meta.changes !== 1) return false;
  setCookie(c, SESSION_COOKIE, token, { path: '/', secure: true, httpOnly: true, sameSite: 'Lax', maxAge: Math.floor(SESSION_TTL_MS / 1000) });
  return true;
}

// The session this browser's cookie names, by its signature alone (no row read); null for none, an
// oversized cookie (we never issue one) or a token of the other surface.
export async function sessionFromCookie(c: Context, secret: string, subjectType: SubjectType): Promise<Session | null> {
  const token = getCookie(c, SESSION_COOKIE);
  return token && token.length <= 4096 ? verifySessionToken(secret, token, subjectType) : null;
}

// A valid signature is not enough: the row must exist, be unrevoked and unexpired.
export async function currentSession(c: Context, db: D1Database, secret: string, subjectType: SubjectType): Promise<Session | null> {
  const session = await sessionFromCookie(c, secret, subjectType);
  if (!session) return null;
  const row = await db
    .prepare('SELECT 1 AS ok FROM sessions WHERE id = ? AND subject_type = ? AND subject_id = ? AND revoked_at IS NULL AND expires_at > ?')
    .bind(session.id, subjectType, session.subjectId, Date.now())
    .first<{ ok: number }>();
  return row ? session : null;
}

// Sign-out: revokes the session this browser's cookie names (when it verifies) and clears the cookie.
export async function endSession(c: Context, db: D1Database, secret: string, subjectType: SubjectType): Promise<void> {
  const session = await sessionFromCookie(c, secret, subjectType);
  if (session) await db.prepare('UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').bind(Date.now(), session.id).run();
  deleteCookie(c, SESSION_COOKIE, { path: '/', secure: true });
}

// `onlyIf` (SQL with its parameters) makes the revocation part of a guarded batch: it happens only if the
// guard holds when the statement runs, as the batch's other writes do. `keep`: a session that stays (the one
// making the change).
export function revokeAllSessionsStatement(db: D1Database, subjectType: SubjectType, subjectId: string, now: number, onlyIf?: { sql: string; params: unknown[] }, keep?: string): D1PreparedStatement {
  const guard = `${keep ? ' AND id <> ?' : ''}${onlyIf ? ` AND ${onlyIf.sql}` : ''}`;
  return db.prepare(`UPDATE sessions SET revoked_at = ? WHERE subject_type = ? AND subject_id = ? AND revoked_at IS NULL${guard}`).bind(now, subjectType, subjectId, ...(keep ? [keep] : []), ...(onlyIf?.params ?? []));
}

// An email with console accounts in several brands whose password matched more than one: the accounts it
// proved, signed for the brand-choice form, so picking one asks for no second password. Short-lived, its
// own audience (never a session), bound to a one-use nonce cookie of the browser that typed the password
// (the page's HTML alone opens nothing, and a pick clears it), and to each account's password as it was
// (a password changed meanwhile drops that account).
const BRAND_CHOICE_AUDIENCE = 'chorus-console-brand-choice';
export const BRAND_CHOICE_COOKIE = '__Host-chorus_brand_choice';
export const BRAND_CHOICE_TTL_S = 300;

export type ProvenAccount = { id: string; passwordHash: string };

const passwordPrint = async (passwordHash: string) => (await sha256Hex(`brand-choice:${passwordHash}`)).slice(0, 32);

export async function issueBrandChoice(c: Context, secret: string, accounts: ProvenAccount[]): Promise<string> {
  const nonce = randomToken(16);
  setCookie(c, BRAND_CHOICE_COOKIE, nonce, { path: '/', secure: true, httpOnly: true, sameSite: 'Strict', maxAge: BRAND_CHOICE_TTL_S });
  const proven = await Promise.all(accounts.map(async (a) => [a.id, await passwordPrint(a.passwordHash)]));
  return signToken(secret, BRAND_CHOICE_AUDIENCE, { accounts: proven, nonce: await sha256Hex(nonce) }, `${BRAND_CHOICE_TTL_S}s`);
}

// The accounts the choice still proves, as `current` reads them now (with their password hashes); none
// when it proves nothing (forged, expired, another browser's, already used).
export async function readBrandChoice<A extends ProvenAccount>(c: Context, secret: string, token: string, current: (ids: string[]) => Promise<A[]>): Promise<A[]> {
  const nonce = getCookie(c, BRAND_CHOICE_COOKIE);
  if (!nonce || nonce.length > 64 || token.length > 4096) return [];
  const payload = await verifiedClaims(secret, token, BRAND_CHOICE_AUDIENCE, ['exp']);
  if (!payload || payload.nonce !== (await sha256Hex(nonce))) return [];
  const proven = payload.accounts;
  if (!Array.isArray(proven) || !proven.every((a) => Array.isArray(a) && a.length === 2 && typeof a[0] === 'string' && typeof a[1] === 'string')) return [];
  const prints = new Map(proven as [string, string][]);
  const now = await current([...prints.keys()]);
  const still = await Promise.all(now.map(async (a) => (await passwordPrint(a.passwordHash)) === prints.get(a.id)));
  return now.filter((_, i) => still[i]);
}

export function clearBrandChoice(c: Context): void {
  deleteCookie(c, BRAND_CHOICE_COOKIE, { path: '/', secure: true });
}

// A sign-in whose password was right, for an account with two-step on, waiting for its code: a signed token in
// its own cookie, with its own audience (so no session check accepts it), naming the one account, where to go
// next, and the account's password as it was (a password changed meanwhile voids it). Five minutes; cleared
// when the code is taken, on sign-out and when a password alone signs in. One use: its jti is the id of the
// session it becomes, so once that row exists (or the token is copied and used twice) it opens nothing more.
const PENDING_AUDIENCE: Record<SubjectType, string> = { creator: 'chorus-portal-two-step', admin_user: 'chorus-console-two-step' };
export const PENDING_SIGN_IN_COOKIE = '__Host-chorus_two_step';
export const PENDING_SIGN_IN_TTL_S = 300;

export async function issuePendingSignIn(c: Context, secret: string, subjectType: SubjectType, account: ProvenAccount, next: string): Promise<void> {
  const token = await signToken(secret, PENDING_AUDIENCE[subjectType], { typ: subjectType, pw: await passwordPrint(account.passwordHash), next }, `${PENDING_SIGN_IN_TTL_S}s`, { sub: account.id, jti: newId('ses') });
  setCookie(c, PENDING_SIGN_IN_COOKIE, token, { path: '/', secure: true, httpOnly: true, sameSite: 'Strict', maxAge: PENDING_SIGN_IN_TTL_S });
}

// The account waiting for its code, as `current` reads it now, where to go next and the session to start (for
// startSession's `sessionId`); null when there is none (no cookie, forged, expired, the other surface's, the
// password changed since, or used already).
export async function readPendingSignIn<A extends { passwordHash: string }>(c: Context, db: D1Database, secret: string, subjectType: SubjectType, current: (id: string) => Promise<A | null>): Promise<{ account: A; next: string; sessionId: string } | null> {
  const token = getCookie(c, PENDING_SIGN_IN_COOKIE);
  if (!token || token.length > 4096) return null;
  const payload = await verifiedClaims(secret, token, PENDING_AUDIENCE[subjectType], ['exp', 'sub', 'jti']);
  if (!payload) return null;
  const { sub, jti, pw, next } = payload;
  if (payload.typ !== subjectType || typeof sub !== 'string' || typeof jti !== 'string' || typeof pw !== 'string' || typeof next !== 'string') return null;
  const [account, used] = await Promise.all([current(sub), pendingSessionStarted(db, jti)]);
  return account && !used && (await passwordPrint(account.passwordHash)) === pw ? { account, next, sessionId: jti } : null;
}

// Whether the session a pending sign-in named (its `sessionId`) has started: it is used, by this post or a twin.
export const pendingSessionStarted = async (db: D1Database, sessionId: string): Promise<boolean> => (await db.prepare('SELECT 1 AS used FROM sessions WHERE id = ?').bind(sessionId).first<number>('used')) === 1;

// Only when the browser holds one: most sign-ins have none, and their answer needs no second Set-Cookie.
export function clearPendingSignIn(c: Context): void {
  if (getCookie(c, PENDING_SIGN_IN_COOKIE) !== undefined) deleteCookie(c, PENDING_SIGN_IN_COOKIE, { path: '/', secure: true });
}
