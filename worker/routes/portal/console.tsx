// The brand console at /console: server-rendered pages for a brand's admin users that work without JavaScript.
// Sessions are the creator portal's (same cookie, subject type admin_user, audience chorus-console), so a
// creator's token is refused here and a console token is refused by the creator pages.
import { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { HTTPException } from 'hono/http-exception';
import { ConsoleErrorPage } from '../../../portal/console/layout';
import { ConsoleLoginPage } from '../../../portal/console/login';
import { ApiError, notFound } from '../../lib/errors';
import { log } from '../../lib/log';
import { DUMMY_HASH, verifyPassword } from '../../lib/passwords';
import { endSession, SESSION_COOKIE, startSession, verifySessionToken } from '../../lib/sessions';
import { campaignRoutes } from './console/campaigns';
import { consoleUserOf, enforceRole, pageHtml, readForm, renderPage, requireConsoleUser, type ConsoleEnv } from './console/context';
import { importRoutes } from './console/imports';
import { orderRoutes } from './console/orders';
import { payoutRoutes } from './console/payouts';
import { reviewRoutes } from './console/review';
import { webhookRoutes } from './console/webhooks';
import { formLimit, MAX_FORM_BYTES, safeNext, sameOrigin } from './guards';

export const consoleRouter = new Hono<ConsoleEnv>();

// Roster and reconciliation CSVs: the admin API's 1 MB, plus room for the multipart envelope.
const MAX_UPLOAD_BYTES = 1024 * 1024 + 16 * 1024;
const isUpload = (path: string) => /\/(import|reconcile)$/.test(path);
const limitForm = formLimit(MAX_FORM_BYTES);
const limitUpload = formLimit(MAX_UPLOAD_BYTES, 'Files are limited to 1 MB (about 1,000 creators).');

consoleRouter.use('*', sameOrigin);
consoleRouter.use('*', async (c, next) => {
  await next();
  c.header('Cache-Control', 'no-store');
  c.header('X-Frame-Options', 'DENY');
  c.header('Referrer-Policy', 'same-origin');
  c.header('X-Content-Type-Options', 'nosniff');
});
consoleRouter.use('*', (c, next) => (isUpload(c.req.path) ? limitUpload : limitForm)(c, next));

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
  log.error('unhandled_error', { path: c.req.path, error: err, stack: err instanceof Error ? err.stack : undefined });
  return c.html(await pageHtml(<ConsoleErrorPage status={500} title="Something went wrong" message="Something went wrong on our side. Nothing you did caused it; try again in a moment." signedIn={signedIn} />), 500);
});

// ---------- Sign-in ----------

const consoleNext = (raw: string | undefined) => {
  const next = safeNext(raw, '/console');
  return next === '/console' || next.startsWith('/console/') || next.startsWith('/console?') ? next : '/console';
};

consoleRouter.get('/login', async (c) => {
  if (await consoleUserOf(c)) return c.redirect(consoleNext(c.req.query('next')), 303);
  return renderPage(c, <ConsoleLoginPage next={consoleNext(c.req.query('next'))} notice={c.req.query('flash') === 'signed_out' ? 'You are signed out.' : undefined} />);
});

const GENERIC_LOGIN_FAILURE = 'That email and password do not match a console account.';
// An email may belong to admin users of several brands; each candidate costs one PBKDF2, so the list is bounded.
const MAX_ACCOUNTS_PER_EMAIL = 5;

consoleRouter.post('/login', async (c) => {
  const form = await readForm(c);
  const email = form.get('email').trim().toLowerCase().slice(0, 254);
  const password = form.get('password').slice(0, 256);
  const next = consoleNext(form.get('next'));
  // Both limits are checked before any hashing, so a flood of guesses costs no PBKDF2 work.
  const [byIp, byAccount] = await Promise.all([c.env.LOGIN_IP_LIMITER.limit({ key: c.req.header('cf-connecting-ip') ?? 'unknown' }), c.env.LOGIN_ACCOUNT_LIMITER.limit({ key: `console:${email || 'empty'}` })]);
  if (!byIp.success || !byAccount.success) {
    c.header('Retry-After', '60');
    return renderPage(c, <ConsoleLoginPage email={email} next={next} error="Too many sign-in attempts. Wait a minute and try again." />, 429);
  }
  const candidates = email
    ? (
        await c.env.DB.prepare('SELECT id, password_hash FROM admin_users WHERE email = ? ORDER BY created_at, id LIMIT ?')
          .bind(email, MAX_ACCOUNTS_PER_EMAIL)
          .all<{ id: string; password_hash: string | null }>()
      ).results
    : [];
  // Same email in several brands: the oldest account whose password matches signs in.
  let userId: string | null = null;
  for (const candidate of candidates) {
    if (candidate.password_hash && (await verifyPassword(password, candidate.password_hash))) {
      userId = candidate.id;
      break;
    }
  }
  // Unknown emails (and accounts without a password yet) still pay for one hash, so a miss looks like a wrong password.
  if (candidates.every((u) => !u.password_hash)) await verifyPassword(password, DUMMY_HASH);
  if (!userId) return renderPage(c, <ConsoleLoginPage email={email} next={next} error={GENERIC_LOGIN_FAILURE} />, 401);
  await startSession(c, c.env.DB, c.env.SESSION_SECRET, 'admin_user', userId);
  return c.redirect(next, 303);
});

consoleRouter.post('/logout', async (c) => {
  const token = getCookie(c, SESSION_COOKIE);
  const session = token && token.length <= 4096 ? await verifySessionToken(c.env.SESSION_SECRET, token, 'admin_user') : null;
  await endSession(c, c.env.DB, session);
  return c.redirect('/console/login?flash=signed_out', 303);
});

// ---------- Signed-in pages ----------

consoleRouter.use('*', requireConsoleUser);
consoleRouter.use('*', enforceRole);
consoleRouter.route('/', campaignRoutes);
consoleRouter.route('/', importRoutes);
consoleRouter.route('/', reviewRoutes);
consoleRouter.route('/', orderRoutes);
consoleRouter.route('/', payoutRoutes);
consoleRouter.route('/', webhookRoutes);
consoleRouter.all('*', () => {
  throw notFound('page');
});
