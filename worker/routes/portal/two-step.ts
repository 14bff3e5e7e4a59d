// Two-step sign-in (a code from an authenticator app after the password), the same wherever people sign in: a
// console member's own (console/two-step.tsx, console.tsx) and a creator's (creator-two-step.tsx). Each surface
// says who the account is and draws its own pages; this holds what must not differ between them.
//
// Settings: turning it on shows a new secret (QR code and key) carried sealed in the form, and writes nothing until a
// current code and the password confirm it; the account's other sessions then end. New recovery codes and turning it
// off each take the password and a code. Sign-in: a right password for an account with it on starts no session, only
// the pending cookie (lib/sessions.ts), until a code (or a recovery code) is taken, once. Every code attempt is
// counted per account before any hashing or decryption; each change is audited and mailed to the account's address.
import type { Context } from 'hono';
import type { Flash, FormError } from '../../../portal/layout';
import type { TwoStepSetup } from '../../../portal/two-step';
import { authenticatorAccount } from '../../../portal/two-step';
import { CODE_ATTEMPTS, CODE_WINDOW_MS, countWrongCode, enableStatements, factorIs, factorOf, firstToldOfLimit, isSetupToken, limitCodeAttempts, newRecoveryCodes, openSetup, peekCodeAttempt, recoveryCodesLeft, removeStatements, replaceRecoveryCodes, returnCodeAttempt, sealSetup, takeCode, takeCodeWith, twoStepOff, wrongCodesIn, type Factor, type Subject } from '../../db/two-step';
import type { Env } from '../../env';
import type { Attempt } from '../../lib/rate-limits';
import type { Message as Mail } from '../../lib/messages';
import { DUMMY_HASH, verifyPassword } from '../../lib/passwords';
import { encodeQr, qrSvg } from '../../lib/qr';
import { clearPendingSignIn, issuePendingSignIn, pendingSessionStarted, readPendingSignIn, revokeAllSessionsStatement, startSession, type ProvenAccount, type SubjectType } from '../../lib/sessions';
import { groupedSecret, matchTotp, newTotpSecret, otpauthUri } from '../../lib/totp';
import { noticeAfterResponse } from '../../mail';
import { formBody } from './guards';

export type Guard = { sql: string; params: unknown[] };
export type TwoStepEvent = 'two_step_enabled' | 'two_step_disabled' | 'recovery_codes_regenerated' | 'recovery_code_used' | 'two_step_code_limit_reached';
export type PageStatus = 200 | 401 | 409 | 422 | 429;
// Either surface's environment: what this needs of it is the bindings.
type SurfaceEnv = { Bindings: Env };

// An account as the shared code needs it, whichever surface it signs in to.
export type TwoStepAccount = {
  subject: Subject;
  email: string;
  // The app's entry for it, beside the email (authenticatorAccount): the brand's name, or the creator portal.
  entry: string;
  // Where it is, in mails: "Lumen's console on Chorus" (the body), "your Chorus console" (subjects).
  place: string;
  yours: string;
  // Where to choose a new password (a link, or where to find one), and who resets two-step ("ask … to reset …").
  forgot: string;
  askForReset: string;
  // What the page says when the account's key cannot be read (SECRETS_KEY changed): who can reset it.
  unreadableHelp: string;
  // An audit row of `event`. `byLimit`: a form that takes a code reached the limit (Chorus acts, and it is written
  // alone); otherwise the account acts, and the row is written only if the statement before it changed a row.
  audit: (event: TwoStepEvent, now: number, byLimit?: boolean) => D1PreparedStatement;
};

// A signed-in account changing its own two-step sign-in.
export type SignedInAccount = TwoStepAccount & {
  // The session making the change: the one that stays when turning it on ends the others.
  sessionId: string;
  // The password hash as it is now (null: none, so no password matches).
  passwordHash: () => Promise<string | null>;
  // SQL that holds while the account can still sign in: a removed member or a closed account gets no two-step.
  live: Guard;
};

export const WRONG_CODE = 'That code is not right, or it was used already. Type the 6-digit code your app shows now, or one of your recovery codes.';
const WRONG_PASSWORD = 'That is not your password.';
// Where a code step that expired (or was spent, or is another surface's) sends the browser: its sign-in page says so.
export const CODE_EXPIRED = 'That sign-in has expired (you have five minutes for the code). Sign in again.';
const SETUP_EXPIRED = 'That setup has expired. Scan this new QR code (remove the old Chorus entry from your app first), then type its code.';
// Not the person's mistake, and no code of theirs can fix it: said apart from a wrong code, and costs no attempt.
export const unreadableKey = (help: string) => `This account's two-step key cannot be read (the server's key that seals it was changed), so no code from your app and no recovery code can work. ${help}`;
export const waitInWords = (seconds: number) => (seconds <= 60 ? 'a minute' : `${Math.ceil(seconds / 60)} minutes`);

function refuseForNow(c: Context, attempt: Attempt, what = 'tries'): string {
  c.header('Retry-After', String(attempt.retryAfterS));
  return `Too many ${what}. Wait ${waitInWords(attempt.retryAfterS)} and try again.`;
}

// ---------- Mails ----------

const send = <E extends SurfaceEnv>(c: Context<E>, mail: Mail) => noticeAfterResponse(c.executionCtx, c.env, mail, 'two_step_notice_failed', { urgent: true });

// A security notice about the account's own two-step sign-in: what happened, and what to do if it was not them.
const notice = (a: TwoStepAccount, subject: string, said: string): Mail => ({ to: a.email, subject, text: `${said}\n\nIf this was not you, choose a new password at once (${a.forgot}) and ${a.askForReset}.` });

const wrongCodesInWords = (n: number) => (n === 1 ? 'a wrong two-step code' : `${n} wrong two-step codes`);

// The code limit reached at the sign-in code step: whoever typed the wrong codes knew the password.
const codeLimitNotice = (a: TwoStepAccount, wrongCodes: number): Mail => ({
  to: a.email,
  subject: `Someone who knows ${a.yours} password could not sign in`,
  text: `Someone who knows your password for ${a.place} (${a.email}) typed ${wrongCodesInWords(wrongCodes)} within ${CODE_WINDOW_MS / 60_000} minutes, among too many tries. Your two-step sign-in kept them out, and codes are refused for a while.\n\nIf this was not you, your password is known: choose a new one now: ${a.forgot}. Your authenticator app and recovery codes stay as they are.`,
});

// The same in a signed-in session (turning it off, new recovery codes, an owner's proof): the password was right
// there too, and the session passed two-step once, so it is most likely the person with a new phone; if not, both
// the password and a session are in other hands.
const sessionCodeLimitNotice = (a: TwoStepAccount, wrongCodes: number): Mail => ({
  to: a.email,
  subject: `Wrong two-step codes were typed in ${a.yours}`,
  text: `Someone signed in to ${a.place} (${a.email}) typed your password and ${wrongCodesInWords(wrongCodes)} within ${CODE_WINDOW_MS / 60_000} minutes, among too many tries, to change two-step sign-in. Codes are refused for a while.\n\nIf this was you (a new phone?), use one of your recovery codes, or ${a.askForReset}. If it was not you, your password is known and a signed-in session is in other hands: choose a new password now (${a.forgot}); that signs out every other device.`,
});

// An attempt kept (a wrong code, or a wrong password) may be the one that reaches the limit. With a wrong code among
// the window's attempts, whoever reached it knew the password (a code is only tried after it): audited, and the
// account's address hears of it, once a window. Each kept attempt looks after it is counted, so of two at once the
// later sees both; a limit reached by wrong passwords alone proves nothing and tells no one.
async function attemptKept<E extends SurfaceEnv>(c: Context<E>, a: TwoStepAccount, attempt: Attempt, now: number, wrongCode: boolean, mail: (a: TwoStepAccount, wrongCodes: number) => Mail) {
  const db = c.env.DB;
  const wrongCodes = wrongCode ? await countWrongCode(db, a.subject, attempt) : attempt.count >= CODE_ATTEMPTS ? await wrongCodesIn(db, a.subject, attempt) : 0;
  if (wrongCodes === 0) return;
  if (attempt.count < CODE_ATTEMPTS && (await peekCodeAttempt(db, a.subject, now)).allowed) return;
  if (!(await firstToldOfLimit(db, a.subject, attempt))) return;
  await a.audit('two_step_code_limit_reached', now, true).run();
  send(c, mail(a, wrongCodes));
}

const recoveryCodeUsedNotice = (a: TwoStepAccount, left: number) =>
  notice(a, `A recovery code was used to sign in to ${a.yours}`, `Someone signed in to ${a.place} as ${a.email} with one of your recovery codes. That code no longer works; ${left} of 10 are left.`);

// ---------- Settings ----------

// A new secret for the setup page, or (`sealed`, its token) the one a refused form carried, shown again as it was.
export async function newSetup(secretsKey: string, a: TwoStepAccount, sealed?: { secret: string; token: string }): Promise<TwoStepSetup> {
  const secret = sealed?.secret ?? newTotpSecret();
  const uri = otpauthUri(authenticatorAccount(a.entry, a.email), secret);
  return {
    token: sealed?.token ?? (await sealSetup(secretsKey, a.subject, secret, Date.now())),
    secret,
    grouped: groupedSecret(secret),
    uri,
    // Level M, as tracked links' codes: about version 6 for this URI, sharp at the page's size on any phone.
    qrSvg: qrSvg(encodeQr(uri, { ecLevel: 'M' }).modules, { quietZone: 4, title: 'QR code for your authenticator app' }),
  };
}

async function passwordIsRight(a: SignedInAccount, typed: string): Promise<boolean> {
  const hash = await a.passwordHash();
  return (await verifyPassword(typed.slice(0, 256), hash ?? DUMMY_HASH)) && hash !== null;
}

// `spent`: the code was right, and taken a moment before by a twin of the same form (a double click).
// `written`: what the `also` statements given to proveItIsYou did, in the batch that took the code.
export type Proof = { ok: true; written: D1Result[] } | { ok: false; errors: string[]; status: PageStatus; spent?: true };

// The signed-in account's password, and a code (from the app or a recovery code) when `factor` (theirs) is on: what a
// change to their own two-step (and, in the console, an owner's weakening of someone's sign-in) takes, so a session
// left open is not enough. The form read first (one that cannot be read costs no attempt), then limited before any
// hashing, the password checked before the code is taken, so a wrong password uses up no code. `also(now)`: statements
// written in the batch that takes the code (guarded by `changes() = 1`, they land only with the take).
export async function proveItIsYou<E extends SurfaceEnv>(c: Context<E>, a: SignedInAccount, factor: Factor | null, also: (now: number) => D1PreparedStatement[] = () => []): Promise<Proof> {
  const form = await formBody(c);
  const now = Date.now();
  const attempt = await limitCodeAttempts(c.env.DB, a.subject, now);
  if (!attempt.allowed) return { ok: false, errors: [refuseForNow(c, attempt)], status: 429 };
  if (!(await passwordIsRight(a, form.password ?? ''))) {
    await attemptKept(c, a, attempt, now, false, sessionCodeLimitNotice);
    return { ok: false, errors: [WRONG_PASSWORD], status: 401 };
  }
  const { via, written } = factor ? await takeCodeWith(c.env.DB, c.env.SECRETS_KEY, a.subject, factor, form.code ?? '', now, () => also(now)) : { via: 'none', written: [] };
  if (via !== null) await returnCodeAttempt(c.env.DB, a.subject, attempt);
  if (via === 'unreadable') return { ok: false, errors: [unreadableKey(a.unreadableHelp)], status: 409 };
  if (via === null) await attemptKept(c, a, attempt, now, true, sessionCodeLimitNotice);
  if (via === 'spent') return { ok: false, errors: [WRONG_CODE], status: 422, spent: true };
  if (via === null) return { ok: false, errors: [WRONG_CODE], status: 422 };
  return { ok: true, written };
}

// A surface's settings page for its signed-in account: `action` is its path (the forms post there, and to
// `${action}/recovery` and `${action}/off`); the pages are the surface's own.
export type TwoStepSettings<E extends SurfaceEnv, C = Context<E>> = {
  action: string;
  account: (c: C) => SignedInAccount;
  // `setup` null: the code limit is reached, so no secret is offered (the errors say when to come back).
  setupPage: (c: C, setup: TwoStepSetup | null, errors?: FormError[], status?: PageStatus) => Promise<Response>;
  managePage: (c: C, factor: Factor, errors?: FormError[], status?: PageStatus) => Promise<Response>;
  codesPage: (c: C, codes: string[], first: boolean) => Promise<Response>;
  // A rule that keeps it on (a console brand's policy): whether it holds now, what the page then says, and SQL that
  // holds while it does not (so a policy turned on meanwhile keeps the factor).
  keptOn?: (c: C) => { now: boolean; says: string; optional: Guard };
};

const flashed = (action: string, flash: string) => `${action}?flash=${flash}`;

// What a settings page says after these routes' redirects (?flash=), on either surface; after a recovery code, with
// the surface's advice for a lost phone where its own rule keeps two-step on.
export const settingsFlashes = (lostPhone = 'Turn two-step off and set it up again with the new one, or make new recovery codes.'): Record<string, Flash> => ({
  recovery_used: { tone: 'warn', text: `You signed in with a recovery code, which now no longer works. Lost your phone? ${lostPhone}` },
  off: { tone: 'success', text: 'Two-step sign-in is off. Your password alone signs you in.' },
  // Mostly the second of a double click on "turn on": the first's page, with the recovery codes, was dropped.
  already_on: { tone: 'info', text: 'Two-step sign-in is on. If you did not see your recovery codes (the form was sent twice?), they cannot be shown again: make new codes below and write those down.' },
  // The second of a double click on "new recovery codes": the first made them, and its page was dropped.
  codes_made: { tone: 'warn', text: 'This form was sent twice: the first made new recovery codes, and the page that showed them was replaced. Only their fingerprints are kept, so they cannot be shown again: make new codes below and write those down.' },
});

// The handlers of the settings page: GET shows the setup (off) or what can be changed (on); the POSTs change it.
export function twoStepSettings<E extends SurfaceEnv>(s: TwoStepSettings<E>) {
  type C = Context<E>;
  // At the code limit: no secret is offered, and the page says until when.
  const setupAtLimit = (c: C, attempt: Attempt) => s.setupPage(c, null, [refuseForNow(c, attempt)], 429);
  // A new secret to set up, unless no code could be tried now.
  const freshSetup = async (c: C, a: SignedInAccount, errors?: FormError[], status?: PageStatus) => {
    const attempt = await peekCodeAttempt(c.env.DB, a.subject, Date.now());
    return attempt.allowed ? s.setupPage(c, await newSetup(c.env.SECRETS_KEY, a), errors, status) : setupAtLimit(c, attempt);
  };
  return {
    show: async (c: C) => {
      const a = s.account(c);
      const factor = await factorOf(c.env.DB, a.subject);
      return factor ? s.managePage(c, factor) : freshSetup(c, a);
    },

    // Turning it on: the code proves the app holds the secret, the password that the person (not a borrowed
    // session) asks. Nothing is written for a wrong one, and the same setup is shown again.
    turnOn: async (c: C) => {
      const a = s.account(c);
      const { subject } = a;
      const db = c.env.DB;
      // A form that cannot be read, or carries no setup of ours, costs no attempt; the rest is counted before the setup
      // is opened, its QR code drawn or the password hashed (refused, no setup is shown until the wait is over).
      const form = await formBody(c);
      const token = form.setup ?? '';
      if (!isSetupToken(token)) return freshSetup(c, a, [SETUP_EXPIRED], 422);
      const now = Date.now();
      const attempt = await limitCodeAttempts(db, subject, now);
      if (!attempt.allowed) return setupAtLimit(c, attempt);
      const secret = await openSetup(c.env.SECRETS_KEY, subject, token, now);
      if (!secret) {
        // Lapsed (or another account's): no guess was made.
        await returnCodeAttempt(db, subject, attempt);
        return freshSetup(c, a, [SETUP_EXPIRED], 422);
      }
      const again = await newSetup(c.env.SECRETS_KEY, a, { secret, token });
      // On already (the same form posted twice, its twin first): nothing was guessed.
      if (await factorOf(db, subject)) {
        await returnCodeAttempt(db, subject, attempt);
        return c.redirect(flashed(s.action, 'already_on'), 303);
      }
      if (!(await passwordIsRight(a, form.password ?? ''))) return s.setupPage(c, again, [{ field: 'on-password', text: WRONG_PASSWORD }], 401);
      const step = await matchTotp(secret, (form.code ?? '').replace(/\s/g, '').slice(0, 16), now, -1);
      if (step === null && attempt.count >= CODE_ATTEMPTS) return setupAtLimit(c, attempt);
      if (step === null) return s.setupPage(c, again, [{ field: 'on-code', text: `That code is not right. Type the 6-digit code the app shows now for ${a.entry} (Chorus); check the phone’s clock is set automatically.` }], 422);

      const codes = newRecoveryCodes();
      const { guard, statements } = await enableStatements(db, c.env.SECRETS_KEY, subject, secret, step, codes, now, a.live);
      const [inserted] = await db.batch([
        statements[0]!,
        a.audit('two_step_enabled', now),
        ...statements.slice(1),
        // Whoever else held a session of this account signed in without the second step: those end, this one stays.
        revokeAllSessionsStatement(db, subject.type, subject.id, now, guard, a.sessionId),
      ]);
      await returnCodeAttempt(db, subject, attempt);
      if (inserted!.meta.changes !== 1) return c.redirect(flashed(s.action, 'already_on'), 303);
      send(c, notice(a, `Two-step sign-in is on for ${a.yours}`, `Two-step sign-in was turned on for ${a.place} (${a.email}): signing in now asks for a code from your authenticator app after your password. Your other sign-ins ended.`));
      return s.codesPage(c, codes, true);
    },

    newCodes: async (c: C) => {
      const a = s.account(c);
      const db = c.env.DB;
      const factor = await factorOf(db, a.subject);
      if (!factor) return c.redirect(s.action, 303);
      const proof = await proveItIsYou(c, a, factor);
      // The first of a double click made the codes, and its page (the only one that shows them) was dropped.
      if (!proof.ok && proof.spent) return c.redirect(flashed(s.action, 'codes_made'), 303);
      if (!proof.ok) return s.managePage(c, factor, proof.errors, proof.status);
      const now = Date.now();
      const codes = newRecoveryCodes();
      const written = await db.batch([...(await replaceRecoveryCodes(db, c.env.SECRETS_KEY, a.subject, codes, now, factorIs(a.subject, factor.secret_enc))), a.audit('recovery_codes_regenerated', now)]);
      // Reset in between: nothing was written.
      if (written[1]!.meta.changes === 0) return c.redirect(s.action, 303);
      send(c, notice(a, `New recovery codes for ${a.yours}`, `New recovery codes were made for ${a.place} (${a.email}). The old ones no longer work.`));
      return s.codesPage(c, codes, false);
    },

    turnOff: async (c: C) => {
      const a = s.account(c);
      const db = c.env.DB;
      const factor = await factorOf(db, a.subject);
      if (!factor) return c.redirect(flashed(s.action, 'off'), 303);
      const rule = s.keptOn?.(c);
      if (rule?.now) return s.managePage(c, factor, [rule.says], 409);
      const same = factorIs(a.subject, factor.secret_enc);
      // Removed in the batch that takes the code, so a twin (a double click) that finds the code taken finds it off too.
      const onlyIf = { sql: `${same.sql} AND changes() = 1${rule ? ` AND ${rule.optional.sql}` : ''}`, params: [...same.params, ...(rule?.optional.params ?? [])] };
      const removal = (now: number) => {
        const [removed, ...rest] = removeStatements(db, a.subject, onlyIf, now);
        return [removed!, a.audit('two_step_disabled', now), ...rest];
      };
      const proof = await proveItIsYou(c, a, factor, removal);
      if (!proof.ok && !proof.spent) return s.managePage(c, factor, proof.errors, proof.status);
      if (proof.ok && proof.written[0]!.meta.changes === 1) {
        send(c, notice(a, `Two-step sign-in is off for ${a.yours}`, `Two-step sign-in was turned off for ${a.place} (${a.email}): your password alone signs you in now.`));
        return c.redirect(flashed(s.action, 'off'), 303);
      }
      // The code taken by this form's twin, which turned it off with it: off, not a wrong code. Otherwise still on: the
      // twin made new codes, or (taken here) the rule came to hold meanwhile, or it was reset and set up again.
      const still = await factorOf(db, a.subject);
      if (!still) return c.redirect(flashed(s.action, 'off'), 303);
      if (!proof.ok) return s.managePage(c, still, proof.errors, proof.status);
      return rule ? s.managePage(c, still, [rule.says], 409) : c.redirect(s.action, 303);
    },

  };
}

// ---------- Sign-in: the code after the password ----------

// A password proved the account: it is signed in, or, with two-step on, sent to `codePage`. Until a code is taken
// there is no session, only the pending cookie, which opens nothing else. The session row is written only while
// two-step is off, so one turned on meanwhile leads to the code page too. Every way a password starts a session
// (sign-in, a reset link, an invitation's first password) comes through here.
export async function passwordProven<E extends SurfaceEnv>(c: Context<E>, type: SubjectType, account: ProvenAccount, next: string, codePage: string): Promise<Response> {
  if (await startSession(c, c.env.DB, c.env.SESSION_SECRET, type, account.id, { onlyIf: twoStepOff({ type, id: account.id }) })) {
    // A code step begun earlier in this browser (another account's, or before a reset) is over.
    clearPendingSignIn(c);
    return c.redirect(next, 303);
  }
  await issuePendingSignIn(c, c.env.SESSION_SECRET, type, account, next);
  return c.redirect(codePage, 303);
}

// The account waiting for its code, as the surface reads it now (null: gone, or no password).
export type PendingAccount = TwoStepAccount & { id: string; passwordHash: string };

export type CodeStep<E extends SurfaceEnv, A extends PendingAccount, C = Context<E>> = {
  type: SubjectType;
  read: (c: C, id: string) => Promise<A | null>;
  page: (c: C, account: A, error?: string, status?: PageStatus) => Promise<Response>;
  // Where a missing, expired or spent step goes; where one overtaken by a reset or a second post starts again.
  expired: string;
  again: string;
  // Where an app's code goes (the pending sign-in's `next`, made safe again), and a recovery code's.
  next: (raw: string) => string;
  recoveryUsed: string;
};

const pendingOf = <E extends SurfaceEnv, A extends PendingAccount>(c: Context<E>, step: CodeStep<E, A>) => readPendingSignIn(c, c.env.DB, c.env.SESSION_SECRET, step.type, (id) => step.read(c, id));

export function codeStep<E extends SurfaceEnv, A extends PendingAccount>(step: CodeStep<E, A>) {
  type C = Context<E>;
  return {
    show: async (c: C) => {
      const pending = await pendingOf(c, step);
      return pending ? step.page(c, pending.account) : c.redirect(step.expired, 303);
    },

    // Limited per account before any crypto; a code is taken once (the step it came from, or the recovery code).
    // A recovery code leads to the settings page, which says how many are left and offers new ones.
    take: async (c: C) => {
      const pending = await pendingOf(c, step);
      if (!pending) return c.redirect(step.expired, 303);
      const { account, next, sessionId } = pending;
      const { subject } = account;
      const db = c.env.DB;
      const now = Date.now();
      const factor = await factorOf(db, subject);
      // Reset meanwhile: the password alone signs in now, from the start (nothing expired: just again).
      if (!factor) {
        clearPendingSignIn(c);
        return c.redirect(step.again, 303);
      }
      const attempt = await limitCodeAttempts(db, subject, now);
      if (!attempt.allowed) return step.page(c, account, refuseForNow(c, attempt, 'codes tried'), 429);
      const form = await formBody(c);
      const via = await takeCode(db, c.env.SECRETS_KEY, subject, factor, form.code ?? '', now, account.audit('recovery_code_used', now));
      // A twin of this post (the same cookie) that took the code before this read the factor, and has started its
      // session since: no guess was made, so it is answered as a replay, at no attempt.
      if (via === null && (await pendingSessionStarted(db, sessionId))) {
        await returnCodeAttempt(db, subject, attempt);
        return step.page(c, account, WRONG_CODE, 401);
      }
      if (via === null) {
        await attemptKept(c, account, attempt, now, true, codeLimitNotice);
        return step.page(c, account, WRONG_CODE, 401);
      }
      await returnCodeAttempt(db, subject, attempt);
      if (via === 'spent') return step.page(c, account, WRONG_CODE, 401);
      if (via === 'unreadable') return step.page(c, account, unreadableKey(account.unreadableHelp), 409);
      clearPendingSignIn(c);
      // Two codes posted at once with one cookie (say, the app's and a recovery code): the second finds its session
      // started already, and starts none.
      if (!(await startSession(c, db, c.env.SESSION_SECRET, step.type, account.id, { sessionId }))) return c.redirect(step.again, 303);
      if (via === 'app') return c.redirect(step.next(next), 303);
      send(c, recoveryCodeUsedNotice(account, await recoveryCodesLeft(db, subject)));
      return c.redirect(step.recoveryUsed, 303);
    },
  };
}
