// Two-step sign-in for one account (a console member; the table is keyed as sessions are, so a creator's would
// fit): its authenticator (two_step_factors), its recovery codes, the sealed setup a page carries between
// showing a new secret and its confirmation, and the code check every form makes. Routes limit attempts with
// limitCodeAttempts before any hashing or HMAC; an accepted code is taken at once, so it works one time.
import { hmacSha256Hex } from '../lib/digest';
import { log } from '../lib/log';
import { countedInWindowOf, countInWindowOf, giveBackAttempt, peekAttempt, takeAttempt, type Attempt } from '../lib/rate-limits';
import { openSecret, sealSecret } from '../lib/secrets';
import type { SubjectType } from '../lib/sessions';
import { matchTotp } from '../lib/totp';

export type Subject = { type: SubjectType; id: string };
// `last_step` and `recovery_used_at` (the latest use of a recovery code) as read: takeCode tells by them a code taken
// since (by a twin of the same form) from one taken before.
export type Factor = { secret_enc: string; last_step: number; created_at: number; recovery_used_at: number | null };

export const RECOVERY_CODE_COUNT = 10;
// Code attempts per account: five in fifteen minutes, wherever they come from. With a step either side of now
// three codes of a million are right: a guesser who holds the password needs months of nonstop tries for even odds.
export const CODE_ATTEMPTS = 5;
export const CODE_WINDOW_MS = 15 * 60_000;
// How long a setup page's secret can be confirmed: time to find the phone and install an app.
export const SETUP_TTL_MS = 30 * 60_000;

const OF = 'subject_type = ? AND subject_id = ?';
const of = (s: Subject) => [s.type, s.id];

export const factorOf = (db: D1Database, s: Subject) =>
  db.prepare(`SELECT secret_enc, last_step, created_at, (SELECT max(used_at) FROM recovery_codes WHERE ${OF}) AS recovery_used_at FROM two_step_factors WHERE ${OF}`).bind(...of(s), ...of(s)).first<Factor>();

export const recoveryCodesLeft = async (db: D1Database, s: Subject): Promise<number> =>
  (await db.prepare(`SELECT count(*) AS n FROM recovery_codes WHERE ${OF} AND used_at IS NULL`).bind(...of(s)).first<number>('n')) ?? 0;

// SQL (with its parameters) that holds while the account's authenticator is the one sealed as `sealed`: the
// guard of every write that follows a check of it, so a reset or a second setup meanwhile makes them write nothing.
export const factorIs = (s: Subject, sealed: string) => ({ sql: `EXISTS (SELECT 1 FROM two_step_factors WHERE ${OF} AND secret_enc = ?)`, params: [...of(s), sealed] });
// SQL that holds while the account has two-step off: the guard of a session started on a password alone.
export const twoStepOff = (s: Subject) => ({ sql: `NOT EXISTS (SELECT 1 FROM two_step_factors WHERE ${OF})`, params: of(s) });

const attemptsKey = (s: Subject) => `two-step:${s.type}:${s.id}`;
export const limitCodeAttempts = (db: D1Database, s: Subject, now: number): Promise<Attempt> => takeAttempt(db, attemptsKey(s), CODE_ATTEMPTS, CODE_WINDOW_MS, now);
// Whether a code attempt now would be allowed, counting none.
export const peekCodeAttempt = (db: D1Database, s: Subject, now: number): Promise<Attempt> => peekAttempt(db, attemptsKey(s), CODE_ATTEMPTS, CODE_WINDOW_MS, now);
// A right code (or a refusal that was no guess) gives its attempt back: only wrong ones add up to the limit.
export const returnCodeAttempt = (db: D1Database, s: Subject, attempt: Attempt) => giveBackAttempt(db, attemptsKey(s), attempt);
// Wrong codes, counted apart in their attempt's window: a limit reached with one among the attempts was reached by
// someone who typed the right password (a code is only tried after it); one reached by wrong passwords alone was not.
export const countWrongCode = (db: D1Database, s: Subject, attempt: Attempt) => countInWindowOf(db, `two-step-wrong:${s.type}:${s.id}`, attempt);
export const wrongCodesIn = (db: D1Database, s: Subject, attempt: Attempt) => countedInWindowOf(db, `two-step-wrong:${s.type}:${s.id}`, attempt);
// Whether this is the first telling of the limit in `attempt`'s window: a slow right code gives its attempt back after
// the limit was reached, so the next wrong one reaches it again, and the member must not hear of it twice.
export const firstToldOfLimit = async (db: D1Database, s: Subject, attempt: Attempt) => (await countInWindowOf(db, `two-step-limit-told:${s.type}:${s.id}`, attempt)) === 1;

// ---------- Recovery codes ----------

// Ten characters with no 0/o, 1/l/i to misread on paper: about 49 bits each, shown as two groups of five.
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

export function newRecoveryCodes(): string[] {
  const codes: string[] = [];
  while (codes.length < RECOVERY_CODE_COUNT) {
    let code = '';
    while (code.length < 10) {
      // Rejection sampling: 248 is the largest multiple of 31 under 256, so every character is equally likely.
      for (const byte of crypto.getRandomValues(new Uint8Array(16))) if (byte < 248 && code.length < 10) code += RECOVERY_ALPHABET[byte % 31];
    }
    codes.push(`${code.slice(0, 5)}-${code.slice(5)}`);
  }
  return codes;
}

const normalizeRecoveryCode = (typed: string) => typed.toLowerCase().replace(/[\s-]/g, '');

// Keyed (HMAC under SECRETS_KEY) and per account: a copy of the table alone cannot be searched for codes offline.
const recoveryCodeHash = (secretsKey: string, s: Subject, code: string) => hmacSha256Hex(`recovery-code:${secretsKey}`, `${s.type}:${s.id}:${normalizeRecoveryCode(code)}`);

// A used code's row outlives new codes, or two-step turned off, by at least this long: the twin of the form that used
// it (a double click), which may try it only after, finds it taken ('spent') rather than gone, which reads as a wrong
// code. It goes with the next new codes or turning on after that, or the next cron run (jobs/retention.ts) if two-step
// is off then; at once with a reset, a removal or an erasure.
export const USED_CODE_KEPT_MS = 5 * 60_000;
// The rows that go when codes are replaced or removed at `now`: every unused one, and used ones past their keep.
const spentLongAgo = (now: number) => ({ sql: '(used_at IS NULL OR used_at < ?)', params: [now - USED_CODE_KEPT_MS] });

// The account's codes replaced by `codes`, written only while `guard` holds.
export async function replaceRecoveryCodes(db: D1Database, secretsKey: string, s: Subject, codes: string[], now: number, guard: { sql: string; params: unknown[] }): Promise<D1PreparedStatement[]> {
  const hashes = await Promise.all(codes.map((code) => recoveryCodeHash(secretsKey, s, code)));
  const going = spentLongAgo(now);
  return [
    db.prepare(`DELETE FROM recovery_codes WHERE ${OF} AND ${going.sql} AND ${guard.sql}`).bind(...of(s), ...going.params, ...guard.params),
    db
      .prepare(`INSERT INTO recovery_codes (subject_type, subject_id, code_hash, used_at, created_at) SELECT ?, ?, value, NULL, ? FROM json_each(?) WHERE ${guard.sql}`)
      .bind(...of(s), now, JSON.stringify(hashes), ...guard.params),
  ];
}

// ---------- Turning it on ----------

// The secret a setup page shows travels in its form, sealed under a key of its own (derived from SECRETS_KEY),
// naming the account and when it lapses: nothing is written until the member confirms it with a code.
const setupKey = (secretsKey: string) => `two-step-setup:${secretsKey}`;

export const sealSetup = (secretsKey: string, s: Subject, secret: string, now: number): Promise<string> =>
  sealSecret(setupKey(secretsKey), JSON.stringify({ p: 'two-step-setup', t: s.type, s: s.id, k: secret, e: now + SETUP_TTL_MS }));

// Whether `token` has the shape sealSetup writes: checked before a code attempt is counted for it, so a form no page
// of ours sent costs none.
export const isSetupToken = (token: string) => token.length <= 400 && /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);

// The secret of a setup sealed for this account and not lapsed; null for anything else.
export async function openSetup(secretsKey: string, s: Subject, token: string, now: number): Promise<string | null> {
  if (!isSetupToken(token)) return null;
  try {
    const body = JSON.parse(await openSecret(setupKey(secretsKey), token)) as Record<string, unknown>;
    return body.p === 'two-step-setup' && body.t === s.type && body.s === s.id && typeof body.e === 'number' && body.e > now && typeof body.k === 'string' && /^[A-Z2-7]{32}$/.test(body.k) ? body.k : null;
  } catch {
    return null;
  }
}

// The account's authenticator, stored sealed under SECRETS_KEY (as ingest keys are) with the step its confirming
// code came from, and its first recovery codes. Written only if two-step is off and `onlyIf` holds (the account
// still exists: a member removed meanwhile gets none): the guard holds for the rest.
export async function enableStatements(db: D1Database, secretsKey: string, s: Subject, secret: string, step: number, codes: string[], now: number, onlyIf: { sql: string; params: unknown[] }) {
  const sealed = await sealSecret(secretsKey, secret);
  const guard = factorIs(s, sealed);
  return {
    guard,
    statements: [
      db
        .prepare(`INSERT INTO two_step_factors (subject_type, subject_id, secret_enc, last_step, created_at) SELECT ?, ?, ?, ?, ? WHERE ${onlyIf.sql} ON CONFLICT DO NOTHING`)
        .bind(...of(s), sealed, step, now, ...onlyIf.params),
      ...(await replaceRecoveryCodes(db, secretsKey, s, codes, now, guard)),
    ],
  };
}

// Turning it off, or an owner's reset: the authenticator and the codes go, while `onlyIf` holds. `ownFormAt`: the
// account turned it off itself at that time, so a code it just used stays a while for the form's twin (above).
export const removeStatements = (db: D1Database, s: Subject, onlyIf: { sql: string; params: unknown[] }, ownFormAt?: number) => {
  const going = ownFormAt === undefined ? { sql: 'true', params: [] } : spentLongAgo(ownFormAt);
  return [
    db.prepare(`DELETE FROM two_step_factors WHERE ${OF} AND ${onlyIf.sql}`).bind(...of(s), ...onlyIf.params),
    db.prepare(`DELETE FROM recovery_codes WHERE ${OF} AND ${going.sql} AND NOT EXISTS (SELECT 1 FROM two_step_factors WHERE ${OF})`).bind(...of(s), ...going.params, ...of(s)),
  ];
};

// ---------- Checking a code ----------

// A code from the authenticator (six digits, of the step before, at or after now, later than the last one taken)
// or an unused recovery code, taken in the same statement that checks it is still unused: of two forms posted at
// once with the same code, one passes. Says which it was, or null for a wrong or replayed code. 'spent': the code
// was right when `factor` was read, and taken since (the same form posted twice at once, its twin first): no guess,
// so the caller gives the attempt back, and answers it as a replay. 'unreadable': the secret does not open under
// this SECRETS_KEY (it was changed), so no code of either kind can ever match (recovery codes are hashed under it
// too); only a reset gets the member in. `recoveryAudit` (an auditIfChanged statement) lands with a recovery
// code's use.
export async function takeCode(db: D1Database, secretsKey: string, s: Subject, factor: Factor, typed: string, now: number, recoveryAudit?: D1PreparedStatement): Promise<'app' | 'recovery' | 'spent' | 'unreadable' | null> {
  return (await takeCodeWith(db, secretsKey, s, factor, typed, now, (via) => (via === 'recovery' && recoveryAudit ? [recoveryAudit] : []))).via;
}

/** takeCode, with `also(via)` written in the take's batch right after it (a statement guarded by `changes() = 1` lands
 * only with the take), so what the code was taken for is done when a twin finds it spent. `written`: their results. */
export async function takeCodeWith(
  db: D1Database,
  secretsKey: string,
  s: Subject,
  factor: Factor,
  typed: string,
  now: number,
  also: (via: 'app' | 'recovery') => D1PreparedStatement[],
): Promise<{ via: 'app' | 'recovery' | 'spent' | 'unreadable' | null; written: D1Result[] }> {
  const secret = await openSecret(secretsKey, factor.secret_enc).catch((error: unknown) => {
    log.error('two_step_secret_unreadable', { subjectType: s.type, error });
    return null;
  });
  if (secret === null) return { via: 'unreadable', written: [] };
  const code = typed.replace(/\s/g, '').slice(0, 32);
  if (/^\d{6}$/.test(code)) {
    const step = await matchTotp(secret, code, now, factor.last_step);
    if (step === null) return { via: null, written: [] };
    const take = db.prepare(`UPDATE two_step_factors SET last_step = ? WHERE ${OF} AND secret_enc = ? AND last_step < ?`).bind(step, ...of(s), factor.secret_enc, step);
    const more = also('app');
    const [taken, ...written] = more.length > 0 ? await db.batch([take, ...more]) : [await take.run()];
    // Later than the step taken when `factor` was read, yet not taken now: a twin took it (or a later one) meanwhile,
    // or the factor was removed or replaced; 'spent' is safe either way, as the code was right for the factor read.
    return { via: taken!.meta.changes === 1 ? 'app' : 'spent', written };
  }
  if (!/^[a-z0-9]{10}$/.test(normalizeRecoveryCode(code))) return { via: null, written: [] };
  const guard = factorIs(s, factor.secret_enc);
  const hash = await recoveryCodeHash(secretsKey, s, code);
  const use = db.prepare(`UPDATE recovery_codes SET used_at = ? WHERE ${OF} AND code_hash = ? AND used_at IS NULL AND ${guard.sql}`).bind(now, ...of(s), hash, ...guard.params);
  // In the same batch as the take; a twin that went first and made new codes or turned it off kept its used code's row.
  const usedSince = db.prepare(`SELECT count(*) AS n FROM recovery_codes WHERE ${OF} AND code_hash = ? AND used_at > ?`).bind(...of(s), hash, factor.recovery_used_at ?? -1);
  const results = await db.batch([use, ...also('recovery'), usedSince]);
  const written = results.slice(1, -1);
  if (results[0]!.meta.changes === 1) return { via: 'recovery', written };
  return { via: (results.at(-1)!.results[0] as { n: number } | undefined)?.n ? 'spent' : null, written };
}
