// A member's own two-step sign-in at /console/team/me/two-step, for every role. Turning it on shows a new secret
// (QR code and key) carried sealed in the form, and writes nothing until the member confirms it with a current code
// and their password; their other sessions then end. New recovery codes and turning it off each take the password
// and a code. Every attempt is counted per member before any hashing, each change is audited and mailed to the
// member. An owner's reset and the brand's policy are on the Team page (team.tsx); the sign-in step is console.tsx.
import { Hono } from 'hono';
import { authenticatorAccount, RecoveryCodesPage, TwoStepManagePage, TwoStepSetupPage, type TwoStepSetup } from '../../../../portal/console/two-step';
import type { Flash } from '../../../../portal/console/layout';
import type { FormError } from '../../../../portal/layout';
import { auditIfChanged } from '../../../db/audit';
import { CODE_ATTEMPTS, CODE_WINDOW_MS, enableStatements, factorIs, factorOf, limitCodeAttempts, newRecoveryCodes, openSetup, recoveryCodesLeft, removeStatements, replaceRecoveryCodes, returnCodeAttempt, sealSetup, takeCode, type Factor, type Subject } from '../../../db/two-step';
import { consoleForgotPlace } from '../../../env';
import { DUMMY_HASH, verifyPassword } from '../../../lib/passwords';
import { encodeQr, qrSvg } from '../../../lib/qr';
import { revokeAllSessionsStatement } from '../../../lib/sessions';
import { groupedSecret, matchTotp, newTotpSecret, otpauthUri } from '../../../lib/totp';
import type { Message as Mail } from '../../../lib/messages';
import { noticeAfterResponse } from '../../../mail';
import { viewerOf } from './campaigns';
import { flashOf, readForm, renderPage, TWO_STEP_PAGE, withFlash, type ConsoleContext, type ConsoleEnv, type PageStatus } from './context';
import { awaitingReview } from './queries';

export const twoStepRoutes = new Hono<ConsoleEnv>();

export const WRONG_CODE = 'That code is not right, or it was used already. Type the 6-digit code your app shows now, or one of your recovery codes.';
const WRONG_PASSWORD = 'That is not your password.';
// Not the member's mistake, and no code of theirs can fix it: said apart from a wrong code, and costs no attempt.
export const unreadableKey = (brandName: string) =>
  `This account's two-step key cannot be read (the server's key that seals it was changed), so no code from your app and no recovery code can work. Ask an owner of ${brandName} to reset your two-step sign-in, or, if no owner can sign in, whoever runs Chorus for you.`;

export const waitInWords = (seconds: number) => (seconds <= 60 ? 'a minute' : `${Math.ceil(seconds / 60)} minutes`);

// What the page says after a redirect; a recovery code's advice depends on whether the brand lets them turn it off.
const flashes = (c: ConsoleContext): Record<string, Flash> => ({
  required: { tone: 'warn', text: 'Your brand requires two-step sign-in. Set it up to open the console.' },
  recovery_used: {
    tone: 'warn',
    text: `You signed in with a recovery code, which now no longer works. Lost your phone? ${
      c.var.user.twoStepRequired ? `Make new recovery codes below, or ask an owner of ${c.var.user.brandName} to reset your two-step sign-in, then set it up with the new one.` : 'Turn two-step off and set it up again with the new one, or make new recovery codes.'
    }`,
  },
  off: { tone: 'success', text: 'Two-step sign-in is off. Your password alone signs you in.' },
  already_on: { tone: 'info', text: 'Two-step sign-in is on already.' },
});

const subjectOf = (c: ConsoleContext): Subject => ({ type: 'admin_user', id: c.var.user.id });

// ---------- Mails ----------

// A security notice about the member's own two-step sign-in: what happened, and what to do if it was not them.
function notice(c: ConsoleContext, to: string, brandName: string, subject: string, said: string): Mail {
  const help = `If this was not you, choose a new password at once (${consoleForgotPlace(c)}) and ask an owner of ${brandName} to reset your two-step sign-in.`;
  return { to, subject, text: `${said}\n\n${help}` };
}

const send = (c: ConsoleContext, mail: Mail) => noticeAfterResponse(c.executionCtx, c.env, mail, 'two_step_notice_failed', { urgent: true });

// The code limit reached on the step after a right password: whoever typed those codes knows the password.
export const codeLimitNotice = (c: ConsoleContext, to: string, brandName: string): Mail => ({
  to,
  subject: 'Someone who knows your Chorus console password could not sign in',
  text: `Someone who knows your password for ${brandName}'s console on Chorus (${to}) typed ${CODE_ATTEMPTS} wrong sign-in codes within ${CODE_WINDOW_MS / 60_000} minutes. Your two-step sign-in kept them out, and codes are refused for a while.\n\nIf this was not you, your password is known: choose a new one now: ${consoleForgotPlace(c)}. Your authenticator app and recovery codes stay as they are.`,
});

export const recoveryCodeUsedNotice = (c: ConsoleContext, to: string, brandName: string, left: number) =>
  notice(c, to, brandName, 'A recovery code was used to sign in to your Chorus console', `Someone signed in to ${brandName}'s console on Chorus as ${to} with one of your recovery codes. That code no longer works; ${left} of 10 are left.`);

// ---------- Pages ----------

// A new secret for the setup page, or (`sealed`, its token) the one a refused form carried, shown again as it was.
async function newSetup(c: ConsoleContext, sealed?: { secret: string; token: string }): Promise<TwoStepSetup> {
  const secret = sealed?.secret ?? newTotpSecret();
  // Each brand's console account has its own secret: the brand in the label keeps an app from mixing them up.
  const uri = otpauthUri(authenticatorAccount(c.var.user.brandName, c.var.user.email), secret);
  return {
    token: sealed?.token ?? (await sealSetup(c.env.SECRETS_KEY, subjectOf(c), secret, Date.now())),
    secret,
    grouped: groupedSecret(secret),
    uri,
    // Level M, as tracked links' codes: about version 6 for this URI, sharp at the page's size on any phone.
    qrSvg: qrSvg(encodeQr(uri, { ecLevel: 'M' }).modules, { quietZone: 4, title: 'QR code for your authenticator app' }),
  };
}

async function renderSetup(c: ConsoleContext, setup: TwoStepSetup, errors?: FormError[], status: PageStatus = 200) {
  const toReview = await awaitingReview(c.env.DB, c.var.user.brandId);
  return renderPage(c, <TwoStepSetupPage viewer={viewerOf(c)} toReview={toReview} setup={setup} required={c.var.user.twoStepRequired === 1} flash={flashOf(flashes(c), c)} errors={errors} />, status);
}

async function renderManage(c: ConsoleContext, factor: Factor, errors?: FormError[], status: PageStatus = 200) {
  const [toReview, left] = await Promise.all([awaitingReview(c.env.DB, c.var.user.brandId), recoveryCodesLeft(c.env.DB, subjectOf(c))]);
  return renderPage(
    c,
    <TwoStepManagePage viewer={viewerOf(c)} toReview={toReview} since={factor.created_at} left={left} required={c.var.user.twoStepRequired === 1} flash={flashOf(flashes(c), c)} errors={errors} />,
    status,
  );
}

twoStepRoutes.get('/team/me/two-step', async (c) => {
  const factor = await factorOf(c.env.DB, subjectOf(c));
  return factor ? renderManage(c, factor) : renderSetup(c, await newSetup(c));
});

// The member's password hash as it is now (null for none: an invitation not taken up signs in to nothing anyway).
const ownPasswordHash = (c: ConsoleContext) => c.env.DB.prepare('SELECT password_hash FROM admin_users WHERE id = ? AND removed_at IS NULL').bind(c.var.user.id).first<string | null>('password_hash');

async function passwordIsRight(c: ConsoleContext, typed: string): Promise<boolean> {
  const hash = await ownPasswordHash(c);
  return (await verifyPassword(typed.slice(0, 256), hash ?? DUMMY_HASH)) && hash !== null;
}

// Turning it on: the code proves the app holds the secret, the password that the member (not a borrowed session)
// asks. Nothing is written for a wrong one, and the same setup is shown again.
twoStepRoutes.post('/team/me/two-step', async (c) => {
  const subject = subjectOf(c);
  const now = Date.now();
  // Counted before the setup is opened, its QR code drawn or the password hashed.
  const attempt = await limitCodeAttempts(c.env.DB, subject, now);
  const form = await readForm(c);
  const secret = await openSetup(c.env.SECRETS_KEY, subject, form.get('setup'), now);
  const again = secret ? await newSetup(c, { secret, token: form.get('setup') }) : null;
  if (!attempt.allowed) {
    c.header('Retry-After', String(attempt.retryAfterS));
    return renderSetup(c, again ?? (await newSetup(c)), [`Too many tries. Wait ${waitInWords(attempt.retryAfterS)} and try again.`], 429);
  }
  if (!secret || !again) return renderSetup(c, await newSetup(c), ['That setup has expired. Scan this new QR code (remove the old Chorus entry from your app first), then type its code.'], 422);
  if (await factorOf(c.env.DB, subject)) return c.redirect(withFlash(TWO_STEP_PAGE, 'already_on'), 303);
  if (!(await passwordIsRight(c, form.get('password')))) return renderSetup(c, again, [{ field: 'password', text: WRONG_PASSWORD }], 401);
  const step = await matchTotp(secret, form.get('code').replace(/\s/g, '').slice(0, 16), now, -1);
  if (step === null) return renderSetup(c, again, [{ field: 'code', text: `That code is not right. Type the 6-digit code the app shows now for ${c.var.user.brandName} (Chorus); check the phone’s clock is set automatically.` }], 422);

  const { id, brandId, email, brandName, sessionId } = c.var.user;
  const codes = newRecoveryCodes();
  const db = c.env.DB;
  const { guard, statements } = await enableStatements(db, c.env.SECRETS_KEY, subject, secret, step, codes, now, { sql: 'EXISTS (SELECT 1 FROM admin_users WHERE id = ? AND removed_at IS NULL)', params: [id] });
  const [inserted] = await db.batch([
    statements[0]!,
    auditIfChanged(db, { brandId, actorType: 'admin_user', actorId: id, action: 'admin_user.two_step_enabled', targetType: 'admin_user', targetId: id }, now),
    ...statements.slice(1),
    // Whoever else held a session of this account signed in without the second step: those end, this one stays.
    revokeAllSessionsStatement(db, 'admin_user', id, now, guard, sessionId),
  ]);
  if (inserted!.meta.changes !== 1) return c.redirect(withFlash(TWO_STEP_PAGE, 'already_on'), 303);
  await returnCodeAttempt(db, subject, attempt);
  send(c, notice(c, email, brandName, 'Two-step sign-in is on for your Chorus console', `Two-step sign-in was turned on for ${brandName}'s console on Chorus (${email}): signing in now asks for a code from your authenticator app after your password. Your other sign-ins ended.`));
  const toReview = await awaitingReview(db, brandId);
  return renderPage(c, <RecoveryCodesPage viewer={viewerOf(c)} toReview={toReview} codes={codes} first />);
});

// The signed-in member's password, and a code (from the app or a recovery code) when `factor` (theirs) is on: what a
// change to their own two-step and an owner's weakening of someone's sign-in take, so a session left open is not
// enough. Limited before any hashing, the password checked before the code is taken, so a wrong password uses
// up no code.
export async function proveItIsYou(c: ConsoleContext, factor: Factor | null): Promise<{ ok: true } | { ok: false; errors: string[]; status: PageStatus }> {
  const subject = subjectOf(c);
  const now = Date.now();
  const attempt = await limitCodeAttempts(c.env.DB, subject, now);
  if (!attempt.allowed) {
    c.header('Retry-After', String(attempt.retryAfterS));
    return { ok: false, errors: [`Too many tries. Wait ${waitInWords(attempt.retryAfterS)} and try again.`], status: 429 };
  }
  const form = await readForm(c);
  if (!(await passwordIsRight(c, form.get('password')))) return { ok: false, errors: [WRONG_PASSWORD], status: 401 };
  const via = factor ? await takeCode(c.env.DB, c.env.SECRETS_KEY, subject, factor, form.get('code'), now) : 'none';
  if (via !== null) await returnCodeAttempt(c.env.DB, subject, attempt);
  if (via === 'unreadable') return { ok: false, errors: [unreadableKey(c.var.user.brandName)], status: 409 };
  if (via === null) return { ok: false, errors: [WRONG_CODE], status: 422 };
  return { ok: true };
}

twoStepRoutes.post('/team/me/two-step/recovery', async (c) => {
  const subject = subjectOf(c);
  const factor = await factorOf(c.env.DB, subject);
  if (!factor) return c.redirect(TWO_STEP_PAGE, 303);
  const proof = await proveItIsYou(c, factor);
  if (!proof.ok) return renderManage(c, factor, proof.errors, proof.status);
  const { id, brandId, email, brandName } = c.var.user;
  const db = c.env.DB;
  const now = Date.now();
  const codes = newRecoveryCodes();
  const written = await db.batch([
    ...(await replaceRecoveryCodes(db, c.env.SECRETS_KEY, subject, codes, now, factorIs(subject, factor.secret_enc))),
    auditIfChanged(db, { brandId, actorType: 'admin_user', actorId: id, action: 'admin_user.recovery_codes_regenerated', targetType: 'admin_user', targetId: id }, now),
  ]);
  // Reset by an owner in between: nothing was written.
  if (written[1]!.meta.changes === 0) return c.redirect(TWO_STEP_PAGE, 303);
  send(c, notice(c, email, brandName, 'New recovery codes for your Chorus console', `New recovery codes were made for ${brandName}'s console on Chorus (${email}). The old ones no longer work.`));
  const toReview = await awaitingReview(db, brandId);
  return renderPage(c, <RecoveryCodesPage viewer={viewerOf(c)} toReview={toReview} codes={codes} first={false} />);
});

twoStepRoutes.post('/team/me/two-step/off', async (c) => {
  const subject = subjectOf(c);
  const factor = await factorOf(c.env.DB, subject);
  if (!factor) return c.redirect(withFlash(TWO_STEP_PAGE, 'off'), 303);
  const { id, brandId, email, brandName } = c.var.user;
  const required = `${brandName} requires two-step sign-in, so it stays on. A new phone? Ask an owner to reset it, then set it up again.`;
  if (c.var.user.twoStepRequired) return renderManage(c, factor, [required], 409);
  const proof = await proveItIsYou(c, factor);
  if (!proof.ok) return renderManage(c, factor, proof.errors, proof.status);
  const db = c.env.DB;
  const now = Date.now();
  const notRequired = factorIs(subject, factor.secret_enc);
  const [removed, ...rest] = removeStatements(db, subject, { sql: `${notRequired.sql} AND NOT EXISTS (SELECT 1 FROM brands WHERE id = ? AND require_two_step = 1)`, params: [...notRequired.params, brandId] });
  const [deleted] = await db.batch([removed!, auditIfChanged(db, { brandId, actorType: 'admin_user', actorId: id, action: 'admin_user.two_step_disabled', targetType: 'admin_user', targetId: id }, now), ...rest]);
  if (deleted!.meta.changes === 0) return renderManage(c, factor, [required], 409);
  send(c, notice(c, email, brandName, 'Two-step sign-in is off for your Chorus console', `Two-step sign-in was turned off for ${brandName}'s console on Chorus (${email}): your password alone signs you in now.`));
  return c.redirect(withFlash(TWO_STEP_PAGE, 'off'), 303);
});
