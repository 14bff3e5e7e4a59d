// The brand console at /console: server-rendered pages for a brand's admin users that work without JavaScript.
// Sessions are the creator portal's (same cookie, subject type admin_user, audience chorus-console), so a
// creator's token is refused here and a console token is refused by the creator pages.
import { Hono, type Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ConsoleErrorPage, type Flash } from '../../../portal/console/layout';
import { ConsoleChooseBrandPage, ConsoleCodePage, ConsoleForgotPage, ConsoleJoinPage, ConsoleLinkUnusablePage, ConsoleLoginPage, ConsoleResetPage, type BrandChoice } from '../../../portal/console/login';
import { auditIfChanged } from '../../db/audit';
import { z } from 'zod';
import { mailLinkOrigin } from '../../env';
import { redactLinks } from '../../lib/messages';
import { ApiError, notFound } from '../../lib/errors';
import { log } from '../../lib/log';
import { DUMMY_HASH, hashPassword, passwordProblem, verifyPassword } from '../../lib/passwords';
import { clearBrandChoice, clearPendingSignIn, endSession, issueBrandChoice, readBrandChoice, startSession, type ProvenAccount } from '../../lib/sessions';
import { removeStatements } from '../../db/two-step';
import { MAX_TERMS_CHARS, MAX_TERMS_REQUEST_BYTES } from '../../db/program-terms';
import { consoleTwoStepAccount, twoStepRoutes } from './console/two-step';
import { CODE_EXPIRED, codeStep, passwordProven, type PendingAccount } from './two-step';
import { campaignRoutes } from './console/campaigns';
import { bountyRoutes } from './console/bounties';
import { giftingRoutes } from './console/gifting';
import { planRoutes } from './console/plans';
import { rosterRoutes } from './console/roster';
import { consoleUserOf, enforceRole, flashOf, pageHtml, readForm, renderPage, requireConsoleUser, refuseWithoutOrigin, requireTwoStepWhereRequired, type ConsoleEnv } from './console/context';
import { importRoutes } from './console/imports';
import { applicationRoutes } from './console/applications';
import { consoleLinksUnavailable, LIVE_MEMBER, mailConsoleLink, mintConsoleLink, UNUSED_LINK, usableLink, type UsableLink } from './console/links';
import { orderRoutes } from './console/orders';
import { contentRoutes } from './console/content';
import { payoutRoutes } from './console/payouts';
import { reviewRoutes } from './console/review';
import { settingsRoutes } from './console/settings';
import { teamRoutes } from './console/team';
import { keyRoutes } from './console/keys';
import { activityRoutes } from './console/activity';
import { creatorRoutes } from './console/creators';
import { messageRoutes } from './console/messages';
import { webhookRoutes } from './console/webhooks';
import { formLimit, MAX_FORM_BYTES, safeNext, sameOrigin } from './guards';

export const consoleRouter = new Hono<ConsoleEnv>();

// Roster, reconciliation and tracking CSVs: the admin API's 1 MB, plus room for the multipart envelope.
const MAX_UPLOAD_BYTES = 1024 * 1024 + 16 * 1024;
// A tracking file's check page posts it back to confirm, and the browser sends each line break as CRLF: room
// for a byte more per line break (the handler holds the file itself to 1,000,000 characters either way).
const MAX_TRACKING_UPLOAD_BYTES = 2 * 1024 * 1024 + 16 * 1024;
const isUpload = (path: string) => /\/(import|reconcile)$/.test(path);
const isTrackingUpload = (path: string) => /\/gifting\/tracking$/.test(path);
const limitForm = formLimit(MAX_FORM_BYTES);
const limitUpload = formLimit(MAX_UPLOAD_BYTES, 'Files are limited to 1 MB.');
const limitTrackingUpload = formLimit(MAX_TRACKING_UPLOAD_BYTES, 'Files are limited to 1 MB.');
const limitTerms = formLimit(MAX_TERMS_REQUEST_BYTES, `Program terms are limited to ${MAX_TERMS_CHARS.toLocaleString('en')} characters.`);

consoleRouter.use('*', sameOrigin);
consoleRouter.use('*', async (c, next) => {
  await next();
  // Pages are never stored; a response that chose its own caching keeps it (a QR code's SVG, link-qr.ts).
  if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
  c.header('X-Frame-Options', 'DENY');
  c.header('Referrer-Policy', 'same-origin');
  c.header('X-Content-Type-Options', 'nosniff');
});
consoleRouter.use('*', (c, next) => (isTrackingUpload(c.req.path) ? limitTrackingUpload : isUpload(c.req.path) ? limitUpload : c.req.path === '/console/settings/terms' ? limitTerms : limitForm)(c, next));

// Errors under /console are console pages (with a way back into the console), never the creator's error page.
consoleRouter.onError(async (err, c) => {
  const signedIn = (await consoleUserOf(c).catch(() => null)) !== null;
  if (err instanceof ApiError && err.status < 500) {
    const title = err.status === 404 ? 'Not found' : err.status === 403 ? 'Not allowed' : 'Something is not right';
    return c.html(await pageHtml(<ConsoleErrorPage status={err.status} title={title} message={err.message} signedIn={signedIn} />), err.status, err.headers);
  }
  if (err instanceof HTTPException && err.status < 500) {
    return c.html(await pageHtml(<ConsoleErrorPage status={400} title="Something is not right" message="The form could not be read. Go back and try again." signedIn={signedIn} />), 400);
  }
  // The path can hold a live reset link's token (/console/reset/…): never logged as it is.
  log.error('unhandled_error', { path: redactLinks(c.req.path), error: err, stack: err instanceof Error ? err.stack : undefined });
  return c.html(await pageHtml(<ConsoleErrorPage status={500} title="Something went wrong" message="Something went wrong on our side. Nothing you did caused it; try again in a moment." signedIn={signedIn} />), 500);
});

// ---------- Sign-in ----------

const consoleNext = (raw: string | undefined) => {
  const next = safeNext(raw, '/console');
  return next === '/console' || next.startsWith('/console/') || next.startsWith('/console?') ? next : '/console';
};

const LOGIN_NOTICES: Record<string, Flash> = {
  signed_out: { tone: 'success', text: 'You are signed out.' },
  switch: { tone: 'info', text: 'Sign in again, then pick the brand to open.' },
  password_set: { tone: 'success', text: 'Password saved, and every other sign-in ended. Sign in with the new one.' },
  code_expired: { tone: 'info', text: CODE_EXPIRED },
  sign_in_again: { tone: 'info', text: 'Sign in again.' },
};
// The address Switch brand fills in again: shown back in the form's own field, so only its shape is checked.
const emailParam = (raw: string | undefined) => (raw && raw.length <= 254 && /^[^\s@]+@[^\s@]+$/.test(raw) ? raw : undefined);

consoleRouter.get('/login', async (c) => {
  if (await consoleUserOf(c)) return c.redirect(consoleNext(c.req.query('next')), 303);
  return renderPage(c, <ConsoleLoginPage next={consoleNext(c.req.query('next'))} email={emailParam(c.req.query('email'))} notice={flashOf(LOGIN_NOTICES, c)} />);
});

const GENERIC_LOGIN_FAILURE = 'That email and password do not match a console account.';
// An email may belong to admin users of several brands; each candidate costs one PBKDF2, so the list is bounded.
const MAX_ACCOUNTS_PER_EMAIL = 10;

consoleRouter.post('/login', async (c) => {
  const form = await readForm(c);
  const email = form.get('email').trim().toLowerCase().slice(0, 254);
  const password = form.get('password');
  const next = consoleNext(form.get('next'));
  // Both limits are checked before any hashing, so a flood of guesses costs no PBKDF2 work.
  const [byIp, byAccount] = await Promise.all([c.env.LOGIN_IP_LIMITER.limit({ key: c.req.header('cf-connecting-ip') ?? 'unknown' }), c.env.LOGIN_ACCOUNT_LIMITER.limit({ key: `console:${email || 'empty'}` })]);
  if (!byIp.success || !byAccount.success) {
    c.header('Retry-After', '60');
    return renderPage(c, <ConsoleLoginPage email={email} next={next} error="Too many sign-in attempts. Wait a minute and try again." />, 429);
  }
  const candidates = email
    ? (
        await c.env.DB.prepare(`${BRAND_ACCOUNTS} WHERE u.email = ? ORDER BY u.created_at, u.id LIMIT ?`)
          .bind(email, MAX_ACCOUNTS_PER_EMAIL)
          .all<BrandChoice & { password_hash: string | null }>()
      ).results
    : [];
  // Same email in several brands: every account is checked (each keeps its own password), so the time taken
  // depends on how many accounts the email has, never on which of them matched.
  const matched: (BrandChoice & ProvenAccount)[] = [];
  for (const { password_hash, ...account } of candidates) {
    if (password_hash && (await verifyPassword(password, password_hash))) matched.push({ ...account, passwordHash: password_hash });
  }
  // Unknown emails (and accounts without a password yet) still pay for one hash, so a miss looks like a wrong password.
  if (candidates.every((u) => !u.password_hash)) await verifyPassword(password, DUMMY_HASH);
  if (matched.length === 0) return renderPage(c, <ConsoleLoginPage email={email} next={next} error={GENERIC_LOGIN_FAILURE} />, 401);
  if (matched.length === 1) return passwordProven(c, 'admin_user', matched[0]!, next, CODE_PAGE);
  const token = await issueBrandChoice(c, c.env.SESSION_SECRET, matched);
  return renderPage(c, <ConsoleChooseBrandPage choices={matched.map(({ passwordHash: _, ...choice }) => choice)} token={token} next={next} />);
});

const BRAND_ACCOUNTS = 'SELECT u.id, u.role, u.password_hash, b.name AS brandName, b.slug AS brandSlug FROM admin_users u JOIN brands b ON b.id = u.brand_id AND u.removed_at IS NULL';
const EXPIRED_CHOICE = 'That choice has expired. Sign in again to pick a brand.';

// The brand picked after a sign-in that opened several: the signed choice says which accounts the password
// proved, so the pick needs no second password and can name no other account.
consoleRouter.post('/login/brand', async (c) => {
  const form = await readForm(c);
  const next = consoleNext(form.get('next'));
  const token = form.get('choice');
  const proven = await readBrandChoice(c, c.env.SESSION_SECRET, token, async (ids) =>
    (
      await c.env.DB.prepare(`${BRAND_ACCOUNTS} WHERE u.id IN (SELECT value FROM json_each(?)) AND u.password_hash IS NOT NULL ORDER BY u.created_at, u.id`)
        .bind(JSON.stringify(ids))
        .all<BrandChoice & { password_hash: string }>()
    ).results.map(({ password_hash, ...account }) => ({ ...account, passwordHash: password_hash })),
  );
  const accounts = proven.map(({ passwordHash: _, ...account }) => account);
  if (accounts.length === 0) return renderPage(c, <ConsoleLoginPage next={next} error={EXPIRED_CHOICE} />, 401);
  const chosen = accounts.find((a) => a.id === form.get('account'));
  if (!chosen) return renderPage(c, <ConsoleChooseBrandPage choices={accounts} token={token} next={next} error="Pick one of these brands." />, 422);
  clearBrandChoice(c);
  return passwordProven(c, 'admin_user', proven.find((a) => a.id === chosen.id)!, next, CODE_PAGE);
});

// ---------- Two-step sign-in: the code after the password (../two-step.ts) ----------

const CODE_PAGE = '/console/login/code';

type PendingMember = PendingAccount & { brandName: string };
const signInCode = codeStep<ConsoleEnv, PendingMember>({
  type: 'admin_user',
  read: async (c, id) => {
    const member = await c.env.DB.prepare(
      `SELECT u.id, u.email, u.brand_id AS brandId, b.name AS brandName, u.password_hash AS passwordHash FROM admin_users u JOIN brands b ON b.id = u.brand_id WHERE u.id = ? AND ${LIVE_MEMBER} AND u.password_hash IS NOT NULL`,
    )
      .bind(id)
      .first<{ id: string; email: string; brandId: string; brandName: string; passwordHash: string }>();
    return member ? { ...consoleTwoStepAccount(c, member), id: member.id, brandName: member.brandName, passwordHash: member.passwordHash } : null;
  },
  page: async (c, member, error, status = 200) => renderPage(c, <ConsoleCodePage email={member.email} brandName={member.brandName} error={error} />, status),
  expired: '/console/login?flash=code_expired',
  again: '/console/login?flash=sign_in_again',
  next: consoleNext,
  recoveryUsed: '/console/team/me/two-step?flash=recovery_used',
});

consoleRouter.get('/login/code', signInCode.show);
consoleRouter.post('/login/code', signInCode.take);

// Switch brand: ends this session and asks for the password again, which lists every brand it opens.
consoleRouter.post('/switch', async (c) => {
  const user = await consoleUserOf(c);
  await endSession(c, c.env.DB, c.env.SESSION_SECRET, 'admin_user');
  clearPendingSignIn(c);
  return c.redirect(`/console/login?flash=switch${user ? `&email=${encodeURIComponent(user.email)}` : ''}`, 303);
});

consoleRouter.post('/logout', async (c) => {
  await endSession(c, c.env.DB, c.env.SESSION_SECRET, 'admin_user');
  // A code step waiting in this browser ends too.
  clearPendingSignIn(c);
  return c.redirect('/console/login?flash=signed_out', 303);
});

// ---------- Forgot password: a link mailed to the address, which resets every console account using it ----------

const resetEmail = z.email().max(254);

consoleRouter.get('/forgot', (c) => renderPage(c, <ConsoleForgotPage />));

// The answer never says whether a console account uses the address: the link is made (only when one does,
// under the day's limit) and mailed after the answer, so neither the page nor its timing tells.
consoleRouter.post('/forgot', async (c) => {
  const form = await readForm(c);
  const email = form.get('email').trim().toLowerCase().slice(0, 256);
  if (!resetEmail.safeParse(email).success) return renderPage(c, <ConsoleForgotPage email={email.slice(0, 254)} error="Enter the email address you sign in with." />, 422);
  const unavailable = consoleLinksUnavailable(c);
  if (unavailable) {
    const noMail = unavailable === 'no_mail' ? 'This Chorus cannot send password links yet. Ask whoever runs it to set a new password for you.' : undefined;
    return refuseWithoutOrigin(c, (error, status) => renderPage(c, <ConsoleForgotPage email={email} error={error} />, status), noMail);
  }
  const [byIp, byAccount] = await Promise.all([c.env.LOGIN_IP_LIMITER.limit({ key: c.req.header('cf-connecting-ip') ?? 'unknown' }), c.env.LOGIN_ACCOUNT_LIMITER.limit({ key: `console-forgot:${email}` })]);
  if (!byIp.success || !byAccount.success) {
    c.header('Retry-After', '60');
    return renderPage(c, <ConsoleForgotPage email={email} error="Too many requests. Wait a minute and try again." />, 429);
  }
  const origin = mailLinkOrigin(c);
  const env = c.env;
  const mint = async () => {
    const link = await mintConsoleLink(env.DB, { email, purpose: 'reset', now: Date.now() });
    if ('refused' in link) return;
    const text = `Open this link within the hour to choose a new console password: ${origin}/console/reset/${link.token}\n\nIf you did not ask for it, ignore this mail: your password stays as it is.`;
    await mailConsoleLink(env, link.tokenHash, { to: email, subject: 'Reset your Chorus console password', text });
  };
  c.executionCtx.waitUntil(mint().catch((error: unknown) => log.error('console_reset_mail_failed', { error })));
  return renderPage(c, <ConsoleForgotPage sentTo={email} />);
});

const linkPage = (link: UsableLink, raw: string, error?: string) =>
  link.purpose === 'reset' ? (
    <ConsoleResetPage action={`/console/reset/${raw}`} email={link.email} error={error} />
  ) : link.existing ? (
    <ConsoleJoinPage action={`/console/reset/${raw}`} email={link.email} brandName={link.brand_name} error={error} />
  ) : (
    <ConsoleResetPage action={`/console/reset/${raw}`} email={link.email} joining={link.brand_name} error={error} />
  );

consoleRouter.get('/reset/:token', async (c) => {
  const raw = c.req.param('token');
  const link = await usableLink(c.env.DB, raw, Date.now());
  if (!link) return renderPage(c, <ConsoleLinkUnusablePage />, 410);
  return renderPage(c, linkPage(link, raw));
});

// The batch that uses a link: each write is guarded on the link being unused, and the last one uses it, so a
// second copy of the form posted at once writes nothing and sees changes = 0.
const useLink = (db: D1Database, tokenHash: string, now: number) => db.prepare('UPDATE admin_reset_tokens SET used_at = ?1 WHERE token_hash = ?2 AND used_at IS NULL AND expires_at > ?1').bind(now, tokenHash);

// A reset sets the password of every console account of the address that has one (an invitation not taken
// up yet is left to its own link), signs all of them out everywhere, audits it in each brand, and closes the
// address's other reset links. Then sign-in, which lists the brands the password opens.
// An invitation joins its brand's account: with a new password when the address signs in nowhere yet, or with
// the password it already uses elsewhere (checked as a sign-in is), which changes nothing anywhere else. Then
// straight into that brand's console.
consoleRouter.post('/reset/:token', async (c) => {
  const now = Date.now();
  const raw = c.req.param('token');
  const db = c.env.DB;
  const link = await usableLink(db, raw, now);
  if (!link) return renderPage(c, <ConsoleLinkUnusablePage />, 410);
  const form = await readForm(c);
  const password = form.get('password');
  const guard = [link.token_hash, now];

  if (link.purpose === 'invite' && link.existing) {
    const limited = await c.env.LOGIN_ACCOUNT_LIMITER.limit({ key: `console:${link.email}` });
    if (!limited.success) {
      c.header('Retry-After', '60');
      return renderPage(c, linkPage(link, raw, 'Too many attempts. Wait a minute and try again.'), 429);
    }
    const { results } = await db.prepare(`SELECT password_hash FROM admin_users WHERE email = ? AND ${LIVE_MEMBER} AND password_hash IS NOT NULL LIMIT 10`).bind(link.email).all<{ password_hash: string }>();
    let hash: string | null = null;
    for (const r of results) if (!hash && (await verifyPassword(password.slice(0, 256), r.password_hash))) hash = r.password_hash;
    if (!hash) return renderPage(c, linkPage(link, raw, 'That is not the password you sign in to Chorus with.'), 401);
    return joinTeam(c, link, hash, now);
  }

  const problem = passwordProblem(password) ?? (password === form.get('confirm') ? null : 'The two passwords are different.');
  if (problem) return renderPage(c, linkPage(link, raw, problem), 422);
  const hash = await hashPassword(password);
  if (link.purpose === 'invite') return joinTeam(c, link, hash, now);

  const results = await db.batch([
    db.prepare(`UPDATE admin_users SET password_hash = ? WHERE email = ? AND ${LIVE_MEMBER} AND password_hash IS NOT NULL AND ${UNUSED_LINK}`).bind(hash, link.email, ...guard),
    db
      .prepare(`UPDATE sessions SET revoked_at = ? WHERE subject_type = 'admin_user' AND subject_id IN (SELECT id FROM admin_users WHERE email = ?) AND revoked_at IS NULL AND ${UNUSED_LINK}`)
      .bind(now, link.email, ...guard),
    db
      .prepare(
        `INSERT INTO audit_log (id, brand_id, actor_type, actor_id, action, target_type, target_id, details, at)
         SELECT 'aud_' || lower(hex(randomblob(9))), brand_id, 'admin_user', id, 'admin_user.password_reset', 'admin_user', id, NULL, ? FROM admin_users WHERE email = ? AND ${LIVE_MEMBER} AND password_hash = ? AND ${UNUSED_LINK}`,
      )
      .bind(now, link.email, hash, ...guard),
    // Closed for good (not "expired now"): a second link whose request read an earlier clock passes no guard.
    db.prepare(`UPDATE admin_reset_tokens SET expires_at = 0 WHERE email = ? AND purpose = 'reset' AND token_hash <> ? AND used_at IS NULL AND ${UNUSED_LINK}`).bind(link.email, link.token_hash, ...guard),
    useLink(db, link.token_hash, now),
  ]);
  // Used by a copy posted at once, or every account of the address was removed meanwhile: nothing was set.
  if (results.at(-1)?.meta.changes !== 1 || results[0]?.meta.changes === 0) return renderPage(c, <ConsoleLinkUnusablePage />, 410);
  return c.redirect(`/console/login?flash=password_set&email=${encodeURIComponent(link.email)}`, 303);
});

async function joinTeam(c: Context<ConsoleEnv>, link: Extract<UsableLink, { purpose: 'invite' }>, hash: string, now: number) {
  const db = c.env.DB;
  const guard = [link.token_hash, now];
  // Added again after a removal, they start without two-step: whatever a setup left as it was removed goes,
  // under the guard of the join that follows (so only when it happens).
  const noTwoStep = removeStatements(db, { type: 'admin_user', id: link.member_id }, { sql: `EXISTS (SELECT 1 FROM admin_users WHERE id = ? AND ${LIVE_MEMBER} AND password_hash IS NULL) AND ${UNUSED_LINK}`, params: [link.member_id, ...guard] });
  const results = await db.batch([
    ...noTwoStep,
    // The member must still be on the team and not joined: removed meanwhile, this writes nothing.
    db.prepare(`UPDATE admin_users SET password_hash = ? WHERE id = ? AND ${LIVE_MEMBER} AND password_hash IS NULL AND ${UNUSED_LINK}`).bind(hash, link.member_id, ...guard),
    auditIfChanged(db, { brandId: link.brand_id, actorType: 'admin_user', actorId: link.member_id, action: 'admin_user.joined', targetType: 'admin_user', targetId: link.member_id }, now),
    db.prepare(`UPDATE admin_reset_tokens SET expires_at = 0 WHERE email = ? AND purpose = 'invite' AND brand_id = ? AND token_hash <> ? AND used_at IS NULL AND ${UNUSED_LINK}`).bind(link.email, link.brand_id, link.token_hash, ...guard),
    useLink(db, link.token_hash, now),
  ]);
  if (results.at(-1)?.meta.changes !== 1 || results[noTwoStep.length]?.meta.changes !== 1) return renderPage(c, <ConsoleLinkUnusablePage />, 410);
  await startSession(c, db, c.env.SESSION_SECRET, 'admin_user', link.member_id);
  return c.redirect('/console?flash=joined', 303);
}

// ---------- Signed-in pages ----------

consoleRouter.use('*', requireConsoleUser);
consoleRouter.use('*', requireTwoStepWhereRequired);
consoleRouter.use('*', enforceRole);
consoleRouter.route('/', twoStepRoutes);
consoleRouter.route('/', campaignRoutes);
consoleRouter.route('/', bountyRoutes);
consoleRouter.route('/', giftingRoutes);
consoleRouter.route('/', planRoutes);
consoleRouter.route('/', rosterRoutes);
consoleRouter.route('/', importRoutes);
consoleRouter.route('/', applicationRoutes);
consoleRouter.route('/', reviewRoutes);
consoleRouter.route('/', contentRoutes);
consoleRouter.route('/', orderRoutes);
consoleRouter.route('/', payoutRoutes);
consoleRouter.route('/', webhookRoutes);
consoleRouter.route('/', settingsRoutes);
consoleRouter.route('/', teamRoutes);
consoleRouter.route('/', keyRoutes);
consoleRouter.route('/', activityRoutes);
consoleRouter.route('/', creatorRoutes);
consoleRouter.route('/', messageRoutes);
consoleRouter.all('*', () => {
  throw notFound('page');
});
