// The creator portal: server-rendered pages that work without JavaScript.
import { Hono, type Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { z } from 'zod';
import { cleanEmail, CREATOR_FIELDS } from '../../domain/creator-import';
import { briefUpdates } from '../../db/campaign-updates';
import { ADDRESS_FIELDS, askForGift, creatorGift, creatorMovesGift, declineOnRemoval, giftAskable, itemsOf, pickedItems, sameAddress, shippingAddress, type CreatorGift, type GiftPick } from '../../db/gifting';
import { GiftPage, type GiftFormValues } from '../../../portal/creator/gift';
import { creatorBounties } from '../../db/bounties';
import { AccountClosedPage, AccountPage, BriefPage, CampaignPickerPage, EarningsPage, PayoutStatementPage, EmailChangePage, EmailLinkPage, ENDED_POST, ForgotPage, HomePage, LinkSentPage, LinkUnusablePage, LoginPage, NewLinkPage, SetPasswordPage, SubmissionDetailPage, SubmissionFormPage, SubmissionsPage, type DraftForm, type EnteredPayoutDetails, type PayoutDetails, type SubmissionDetail, type TaxDetailsState } from '../../../portal/creator/pages';
import { creatorDetails, replaceSealedDetails, sealedDetailsOf, type SavedPayoutDetails, type SealedDetails } from '../../db/sealed-details';
import { compactIban, isIban } from '../../domain/iban';
import { compactDigits, isAbaRouting, isUsAccountNumber, isUsAccountType, US_ACCOUNT_TYPES, US_BANK_ACCOUNT } from '../../domain/aba';
import { fitsSepaName, SEPA_NAME_MAX } from '../../domain/payment-files';
import { checkTaxDetails, maskTaxId, sameTaxDetails, type TaxDetails } from '../../domain/tax-details';
import { isYear } from '../../domain/periods';
import { CREATOR_ORDERS_SHOWN, StatsPage } from '../../../portal/creator/stats';
import type { Flash, FormError } from '../../../portal/layout';
import { closeOtherLinksStatement, closeResetLinksStatement, consumeResetStatement, emailChangeProof, findUsableToken, isEmailChangeProof, isInvitationMailProof, type EmailChange, isLinkToken, mailPasswordLink, passwordSetTo, resetLinkUnused, SELF_SERVICE_LIMITS, type AccountToken, type MailRefusal } from '../../db/account-tokens';
import { auditIfChanged, creatorAccountAudit, creatorEndsStatements } from '../../db/audit';
import { setCampaignNews, setEarningsMail } from '../../db/mail-opt-outs';
import { listConversions } from '../../db/conversion-list';
import { creatorEarnings, creatorLink, isInvitation, type CreatorEnrollment, creatorEnrollment, creatorEnrollments, creatorHome, creatorStats, creatorSubmissions, statementCsvStream, submissionTimeline } from '../../db/creator-portal';
import { createSubmission, draftAwaitsRejoin, draftCampaignEnded, loadSubmission, transitionSubmission, updateMetrics, type SubmissionContext } from '../../db/submissions';
import { checkCaption, isCompliant, metricsInput } from '../../domain/submissions';
import { answerRightsExtension, creatorExtensions, waitingRequests, type Answer, withdrawOnRemoval } from '../../db/rights-extensions';
import { RIGHTS_EXTENSION_NOTE_MAX } from '../../domain/rights-extensions';
import { parseRights, rightsKey, type UsageRights } from '../../domain/usage-rights';
import { campaignEnded } from '../../domain/codes';
import { EARNING_KIND_LABELS, hostsInWords, linkTarget, maskAccount, PAYOUT_METHOD_LABELS } from '../../../portal/format';
import { csvAttachment, safeFilename } from '../../lib/csv';
import { countExport, creatorDataStream, EXPORTS_PER_HOUR } from '../../db/creator-export';
import { eraseCreator, owedKey, owedTo } from '../../db/creator-erasure';
import { deleteCookie } from 'hono/cookie';
import { creatorForgotPlace, mailOrigin, publicOrigin, PUBLIC_ORIGIN_UNSET, type AppEnv } from '../../env';
import { ApiError, notFound } from '../../lib/errors';
import { payoutStatement, statementCsvOr } from '../../db/payout-statements';
import { iso, plainText } from '../../lib/validate';
import { log } from '../../lib/log';
import { mailSetup, mailUnconfigured } from '../../lib/messages';
import { noticeAfterResponse } from '../../mail';
import { forgetErased, passwordLink } from '../admin/creators';
import { archiveLink, createTrackedLink, MAX_LINKS_MADE_PER_ENROLLMENT, MAX_LINKS_PER_ENROLLMENT, restoreLink } from '../admin/links';
import { DUMMY_HASH, hashPassword, passwordChangeProblem, passwordProblem, verifyPassword } from '../../lib/passwords';
import { clearPendingSignIn, endSession, revokeAllSessionsStatement, SESSION_COOKIE, sessionFromCookie } from '../../lib/sessions';
import { clientIp, clientNetwork, flashOf, formBody, formLimit, isPagePath, MAX_FORM_BYTES, parseForm, safeNext, sameOrigin } from './guards';
import { unsubscribePages } from './unsubscribe';
import { creatorMessageRoutes } from './creator-messages';
import { factorOf } from '../../db/two-step';
import { creatorPasswordProven, creatorSignInCodeRoutes, creatorTwoStepRoutes } from './creator-two-step';
import { CODE_EXPIRED } from './two-step';
import { creatorThreads, threadState } from '../../db/message-threads';
import { QR_SLUG, qrLabel, qrSvgResponse, readableUrl } from './link-qr';
import { trackedLinkUrl } from '../../lib/paths';
import { openSealedJson } from '../../lib/secrets';
import { QrPage } from '../../../portal/creator/qr';
import { AlreadyInPage, AppliedPage, ApplyClosedPage, ApplyPage, EMPTY_APPLICATION, HONEYPOT } from '../../../portal/creator/apply';
import { applyTarget, saveApplication } from '../../db/applications';
import { acceptTermsStatement, currentVersionSql, currentTerms, standingOf, stillWithBrandSql, termsToAccept, type ProgramTerms } from '../../db/program-terms';
import { namesVersion, termsAnswer } from '../../domain/program-terms';
import type { ShownTerms } from '../../../portal/terms';
import { JoinTermsPage, TermsUpdatePage, type TermsRefusal } from '../../../portal/creator/terms';
import { FIELDS, PITCH_MAX, readApplication, type ApplicationForm } from '../../domain/applications';

export const creatorPortal = new Hono<AppEnv>();

creatorPortal.use('*', sameOrigin);
// Mounted at the root, so '*' also sees the API's paths, which have their own limits (app.tsx).
const limitForm = formLimit(MAX_FORM_BYTES);
creatorPortal.use('*', (c, next) => (isPagePath(c.req.path) ? limitForm(c, next) : next()));
creatorPortal.use('*', async (c, next) => {
  await next();
  if (!isPagePath(c.req.path)) return;
  // Pages are never stored; a response that chose its own caching keeps it (a QR code's SVG, link-qr.ts).
  if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
  c.header('X-Frame-Options', 'DENY');
  c.header('Referrer-Policy', 'same-origin');
});

type Viewer = { name: string; email: string; earnings_digest: number; due_reminders: number };

// The signed-in creator: a valid token for a session that is still live, or null.
async function currentCreator(c: Context) {
  const env = c.env as AppEnv['Bindings'];
  const session = await sessionFromCookie(c, env.SESSION_SECRET, 'creator');
  const row = session
    ? await env.DB.prepare(
        `SELECT c.display_name AS name, c.email, c.earnings_digest, c.due_reminders FROM sessions s JOIN creators c ON c.id = s.subject_id
         WHERE s.id = ? AND s.subject_type = 'creator' AND s.subject_id = ? AND s.revoked_at IS NULL AND s.expires_at > ?`,
      )
        .bind(session.id, session.subjectId, Date.now())
        .first<Viewer>()
    : null;
  return session && row ? { session, row } : null;
}

const requireCreator = createMiddleware<AppEnv & { Variables: { viewer: Viewer } }>(async (c, next) => {
  const current = await currentCreator(c);
  if (!current) {
    const url = new URL(c.req.url);
    if (c.req.method !== 'GET') throw new ApiError(401, 'signed_out', 'Your session has ended. Sign in again.');
    return c.redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
  }
  c.set('creator', { sessionId: current.session.id, creatorId: current.session.subjectId });
  c.set('viewer', current.row);
  await next();
});

// ---------- Sign-in ----------

const LOGIN_NOTICES: Record<string, Flash> = {
  code_expired: { tone: 'info', text: CODE_EXPIRED },
  sign_in_again: { tone: 'info', text: 'Sign in again.' },
};

// Already signed in: straight to where the link was going, as the console does.
creatorPortal.get('/login', async (c) => {
  const next = safeNext(c.req.query('next'), '/');
  if (await currentCreator(c)) return c.redirect(next, 303);
  const notice = c.req.query('done') === 'password' ? { tone: 'success' as const, text: 'Password saved. Sign in with it.' } : flashOf(LOGIN_NOTICES, c);
  return c.html(<LoginPage next={next} notice={notice} />);
});

const GENERIC_LOGIN_FAILURE = 'That email and password do not match an account.';

creatorPortal.post('/login', async (c) => {
  const form = await formBody(c);
  const email = (form.email ?? '').trim().toLowerCase().slice(0, 254);
  const password = (form.password ?? '').slice(0, 256);
  const next = safeNext(form.next, '/');
  // Both limits are checked before any hashing, so a flood of guesses costs us no PBKDF2 work.
  const [byIp, byAccount] = await Promise.all([c.env.LOGIN_IP_LIMITER.limit({ key: clientIp(c) }), c.env.LOGIN_ACCOUNT_LIMITER.limit({ key: email || 'empty' })]);
  if (!byIp.success || !byAccount.success) {
    c.header('Retry-After', '60');
    return c.html(<LoginPage email={email} next={next} error="Too many sign-in attempts. Wait a minute and try again." />, 429);
  }
  const creator = email ? await c.env.DB.prepare('SELECT id, password_hash FROM creators WHERE email = ?').bind(email).first<{ id: string; password_hash: string | null }>() : null;
  const ok = await verifyPassword(password, creator?.password_hash ?? DUMMY_HASH);
  if (!creator || !creator.password_hash || !ok) return c.html(<LoginPage email={email} next={next} error={GENERIC_LOGIN_FAILURE} />, 401);
  return creatorPasswordProven(c, { id: creator.id, passwordHash: creator.password_hash }, next);
});

// With two-step on, the code after the password (creator-two-step.tsx).
creatorPortal.route('/', creatorSignInCodeRoutes);

creatorPortal.post('/logout', async (c) => {
  await endSession(c, c.env.DB, c.env.SESSION_SECRET, 'creator');
  // A code step waiting in this browser ends too.
  clearPendingSignIn(c);
  return c.redirect('/login', 303);
});

// ---------- Invite and reset: set a password through a single-use link ----------

// The heading follows the account: a first password, or a new one.
const SET_PASSWORD_PAGES = {
  first: { heading: 'Welcome to Chorus', intro: 'Choose a password for' },
  change: { heading: 'Choose a new password', intro: 'Set a new password for' },
};
const setPasswordPage = (token: AccountToken) => SET_PASSWORD_PAGES[token.has_password ? 'change' : 'first'];

// The mailed invitation's proof as its link carries it (db/account-tokens.ts), and the first-password page that
// posts it back.
type MailedProof = { k: string | undefined; t: string | undefined };
const mailedProof = (c: Context): MailedProof => ({ k: c.req.query('k'), t: c.req.query('t') });
const firstPasswordPage = (raw: string, token: AccountToken, proof: MailedProof) => ({
  ...SET_PASSWORD_PAGES.first,
  action: `/invite/${raw}/password?k=${proof.k}&t=${proof.t}`,
  name: token.display_name,
  email: token.email,
  brandName: token.brand_name,
});

// An invite's page is the same whether or not the address has a Chorus account (the brand holds the link and
// must not learn that from it): sign in, or have a link mailed that sets the password (db/account-tokens.ts).
creatorPortal.get('/invite/:token', async (c) => {
  const raw = c.req.param('token');
  const token = await findUsableToken(c.env.DB, 'invite', raw, Date.now());
  if (!token) return c.html(<LinkUnusablePage what="invitation" />, 410);
  // Opened from the invitation Chorus mailed to a new account: its first password, here and now.
  const proof = mailedProof(c);
  if (await isInvitationMailProof(c.env.SECRETS_KEY, raw, token.email, proof, Date.now())) {
    // Opened again from the mail once the password is set (a creator going back to it to find the portal):
    // sign in. Only the mail's copy says so; the brand's copy of the link reads the same either way.
    if (token.has_password) return c.html(<LoginPage email={token.email} next="/" notice={{ tone: 'success', text: 'Your account is set up. Sign in to see your invitation and your brief.' }} />);
    return c.html(<SetPasswordPage {...firstPasswordPage(raw, token, proof)} />);
  }
  return c.html(<EmailLinkPage {...brandCopyPage(raw, token)} />);
});

// The page the brand's own copy of an invite link opens: only what the brand knows of the creator, the same
// whatever the account holds. (A creator who moved their account to another address before accepting the
// brand is mailed at the new one, though the page names the one the brand has: they signed in to move it, and
// sign in here too.)
const brandCopyPage = (raw: string, token: AccountToken) => ({
  action: `/invite/${raw}/email`,
  name: token.known_name ?? '',
  email: token.known_email,
  brandName: token.brand_name,
});

// The first password of a new account, from the invitation Chorus mailed to its address (its proof, ?k=); set
// once: an account that has one by now (a second tab, a reset link) goes to the invite's page, which signs in.
// Like a reset, it accepts no brand: the creator accepts each on their home page, by name.
creatorPortal.post('/invite/:token/password', async (c) => {
  const raw = c.req.param('token');
  const token = await findUsableToken(c.env.DB, 'invite', raw, Date.now());
  if (!token) return c.html(<LinkUnusablePage what="invitation" />, 410);
  const proof = mailedProof(c);
  if (!(await isInvitationMailProof(c.env.SECRETS_KEY, raw, token.email, proof, Date.now())) || token.has_password) return c.redirect(`/invite/${raw}`, 303);
  const page = firstPasswordPage(raw, token, proof);
  // Hashing is the expensive part: limited per address and per client first, as sign-in is.
  const [byIp, byAccount] = await Promise.all([c.env.LOGIN_IP_LIMITER.limit({ key: clientIp(c) }), c.env.LOGIN_ACCOUNT_LIMITER.limit({ key: token.email })]);
  if (!byIp.success || !byAccount.success) {
    c.header('Retry-After', '60');
    return c.html(<SetPasswordPage {...page} error="Too many tries just now. Wait a minute, then try again." />, 429);
  }
  const form = await formBody(c);
  const password = form.password ?? '';
  const problem = passwordProblem(password) ?? (password === form.confirm ? null : 'The two passwords are different.');
  if (problem) return c.html(<SetPasswordPage {...page} error={problem} />, 422);
  const hash = await hashPassword(password);
  // As a reset does: once the password is set, reset links mailed before close (only if this set it).
  const [set] = await c.env.DB.batch([
    c.env.DB.prepare('UPDATE creators SET password_hash = ? WHERE id = ? AND password_hash IS NULL').bind(hash, token.creator_id),
    closeResetLinksStatement(c.env.DB, token.creator_id, Date.now(), passwordSetTo(token.creator_id, hash)),
  ]);
  if (set!.meta.changes !== 1) return c.redirect(`/invite/${raw}`, 303);
  return creatorPasswordProven(c, { id: token.creator_id, passwordHash: hash }, '/?welcome=1');
});

// Invite pages from before links were mailed posted a password here: they land on the page above.
creatorPortal.post('/invite/:token', (c) => {
  const raw = c.req.param('token');
  return isLinkToken(raw) ? c.redirect(`/invite/${raw}`, 303) : c.html(<LinkUnusablePage what="invitation" />, 410);
});

// What the invite page says when no link went out: the minute's limit, the day's links spent, or a mail that
// did not leave (nothing was spent, so trying again is fine).
const MAIL_REFUSALS: Record<MailRefusal | 'limited', { error: string; status: 429 | 503; retryAfter: string }> = {
  limited: { error: 'We have sent links to this address already. Check your inbox (and spam folder), or try again later.', status: 429, retryAfter: '60' },
  address_limit: { error: 'We have sent links to this address already. Check your inbox (and spam folder), or try again later.', status: 429, retryAfter: '3600' },
  brand_limit: { error: 'The brand that invited you has sent as many sign-in links as it can today. Try again tomorrow.', status: 429, retryAfter: '3600' },
  mail_refused: { error: 'We could not send the email just now. Nothing was sent; try again in a minute.', status: 503, retryAfter: '60' },
  mail_not_configured: { error: 'This Chorus cannot send email yet. Ask the brand that invited you to contact its Chorus operator.', status: 503, retryAfter: '3600' },
};

// Limited per account and per address before anything is sent, and per day per account and brand and
// per brand (mailPasswordLink), so the button cannot be used to flood a creator's inbox.
creatorPortal.post('/invite/:token/email', async (c) => {
  const now = Date.now();
  const raw = c.req.param('token');
  const token = await findUsableToken(c.env.DB, 'invite', raw, now);
  if (!token) return c.html(<LinkUnusablePage what="invitation" />, 410);
  const page = brandCopyPage(raw, token);
  if (mailUnconfigured(c.env)) {
    const { error, status, retryAfter } = MAIL_REFUSALS.mail_not_configured;
    c.header('Retry-After', retryAfter);
    return c.html(<EmailLinkPage {...page} error={error} />, status);
  }
  const origin = mailOrigin(c.env, c.req);
  if (!origin) {
    c.header('Retry-After', '3600');
    return c.html(<EmailLinkPage {...page} error={PUBLIC_ORIGIN_UNSET} />, 503);
  }
  const [byIp, byAccount] = await Promise.all([c.env.LOGIN_IP_LIMITER.limit({ key: clientIp(c) }), c.env.LOGIN_ACCOUNT_LIMITER.limit({ key: `mail:${token.creator_id}` })]);
  const limited = !byIp.success || !byAccount.success;
  const sent = limited ? null : await mailPasswordLink(c.env, { id: token.creator_id, email: token.email }, token.brand_id, origin, now);
  if (!sent || 'refused' in sent) {
    const refusal = sent?.refused ?? 'limited';
    const { error, status, retryAfter } = MAIL_REFUSALS[refusal];
    c.header('Retry-After', retryAfter);
    return c.html(<EmailLinkPage {...page} error={error} />, status);
  }
  // Not confirmed by the provider: the link may be on its way, and a second ask would spend the allowance.
  return c.html(<LinkSentPage email={page.email} unconfirmed={!sent.confirmed} />, sent.confirmed ? 200 : 202);
});

// ---------- After closing the account (no account left to sign in with) ----------

creatorPortal.get('/account-closed', (c) => c.html(<AccountClosedPage />));

// ---------- Unsubscribing from invitation mails (no account needed) ----------

creatorPortal.route('/', unsubscribePages);

// ---------- Forgot password: a reset link asked for by email address ----------

creatorPortal.get('/forgot', (c) => c.html(<ForgotPage />));

const forgotEmail = z.email().max(254);

// The answer never says whether an account uses the address: the lookup runs for every ask and the mail
// is sent after the answer (waitUntil), so neither the page nor its timing tells. The link is the one an
// invite mails (mailPasswordLink), for the brand of the creator's latest enrollment (a removed one last:
// their earnings are still theirs to see), under lower daily limits than the brand's own (SELF_SERVICE_LIMITS):
// strangers asking for a creator's address never use up the links the brand can still send.
creatorPortal.post('/forgot', async (c) => {
  const form = await formBody(c);
  const email = (form.email ?? '').trim().toLowerCase().slice(0, 256);
  if (!forgotEmail.safeParse(email).success) return c.html(<ForgotPage email={email.slice(0, 254)} error="Enter the email address you sign in with." />, 422);
  if (mailSetup(c.env).kind === 'unconfigured') {
    c.header('Retry-After', '3600');
    return c.html(<ForgotPage email={email} error="This Chorus cannot send email yet. Ask the brand you work with for a password link." />, 503);
  }
  const origin = mailOrigin(c.env, c.req);
  if (!origin) {
    c.header('Retry-After', '3600');
    return c.html(<ForgotPage email={email} error={PUBLIC_ORIGIN_UNSET} />, 503);
  }
  const [byIp, byAccount] = await Promise.all([c.env.LOGIN_IP_LIMITER.limit({ key: clientIp(c) }), c.env.LOGIN_ACCOUNT_LIMITER.limit({ key: `forgot:${email}` })]);
  if (!byIp.success || !byAccount.success) {
    c.header('Retry-After', '60');
    return c.html(<ForgotPage email={email} error="Too many requests. Wait a minute and try again." />, 429);
  }
  // A brand the creator accepted comes first: a brand that only added their email can neither spend this
  // allowance (its own links count against it) nor have its name on the mail.
  const account = await c.env.DB.prepare(
    `SELECT c.id, c.email, (SELECT e.brand_id FROM enrollments e LEFT JOIN brand_creators r ON r.brand_id = e.brand_id AND r.creator_id = e.creator_id
       WHERE e.creator_id = c.id ORDER BY r.accepted_at IS NULL, e.status = 'removed', e.created_at DESC LIMIT 1) AS brand_id
     FROM creators c WHERE c.email = ?`,
  )
    .bind(email)
    .first<{ id: string; email: string; brand_id: string | null }>();
  if (account?.brand_id) {
    const { id, brand_id: brandId } = account;
    c.executionCtx.waitUntil(
      passwordLink(c.env, brandId, { id, email: account.email }, origin, { actorType: 'system', actorId: 'forgot-password' }, { action: 'creator.password_reset_requested', limits: SELF_SERVICE_LIMITS, brandAsked: false })
        .then((sent) => {
          if ('refused' in sent) log.warn('password_link_not_sent', { reason: sent.refused, creatorId: id });
        })
        .catch((error: unknown) => log.error('password_link_failed', { error })),
    );
  }
  return c.html(<ForgotPage sentTo={email} />);
});

// A reset link (mailed only to the account's address) sets the password, once, and signs the creator in (with
// two-step on, after the code page: creator-two-step.tsx).
creatorPortal.get('/reset/:token', async (c) => {
  const raw = c.req.param('token');
  const token = await findUsableToken(c.env.DB, 'reset', raw, Date.now());
  if (!token) return c.html(<LinkUnusablePage what="password" />, 410);
  return c.html(<SetPasswordPage {...setPasswordPage(token)} action={`/reset/${raw}`} name={token.display_name} email={token.email} />);
});

creatorPortal.post('/reset/:token', async (c) => {
  const now = Date.now();
  const raw = c.req.param('token');
  const token = await findUsableToken(c.env.DB, 'reset', raw, now);
  if (!token) return c.html(<LinkUnusablePage what="password" />, 410);
  const form = await formBody(c);
  const password = form.password ?? '';
  const problem = passwordProblem(password) ?? (password === form.confirm ? null : 'The two passwords are different.');
  if (problem) return c.html(<SetPasswordPage {...setPasswordPage(token)} action={`/reset/${raw}`} name={token.display_name} email={token.email} error={problem} />, 422);
  const hash = await hashPassword(password);
  // Every write is guarded on the link being unused, and the last statement uses it: a duplicate of this
  // request that runs second writes nothing (and so does not sign the winner out).
  const unused = resetLinkUnused(token.token_hash, now);
  // Setting a password accepts no brand: the mail and this page cannot say which brand a creator would be
  // agreeing to (any brand that enrolled the address can have a link mailed), so the creator lands on
  // their home page and accepts each brand's invitation there, by name.
  const results = await c.env.DB.batch([
    c.env.DB.prepare(`UPDATE creators SET password_hash = ?, email_link_at = NULL WHERE id = ? AND ${unused.sql}`).bind(hash, token.creator_id, ...unused.params),
    closeOtherLinksStatement(c.env.DB, token.creator_id, token.token_hash, now),
    revokeAllSessionsStatement(c.env.DB, 'creator', token.creator_id, now, unused),
    consumeResetStatement(c.env.DB, token.token_hash, now),
  ]);
  const consumed = results.at(-1);
  if (!consumed || consumed.meta.changes !== 1) return c.html(<LinkUnusablePage what="password" />, 410);
  // The link proves the mailbox, not the phone: with two-step on, the code page comes first.
  return creatorPasswordProven(c, { id: token.creator_id, passwordHash: hash }, '/?welcome=1');
});

// ---------- A new email, confirmed from the link mailed to it (no sign-in needed: the link is the proof) ----------

// The link is the account's open one: it holds the address the link leaves and the time the link was asked.
const emailLinkOpen = (m: EmailChange) => ({ sql: 'EXISTS (SELECT 1 FROM creators WHERE id = ? AND email = ? AND email_link_at = ?)', params: [m.creatorId, m.from, m.at] });

async function emailChangeOf(c: Context<AppEnv>, fields: Record<string, string | undefined>): Promise<{ change: EmailChange; fields: Record<string, string> } | null> {
  const change = { creatorId: (fields.c ?? '').slice(0, 64), from: (fields.f ?? '').slice(0, 254), to: (fields.t ?? '').slice(0, 254), at: /^\d{13}$/.test(fields.a ?? '') ? Number(fields.a) : 0 };
  const k = (fields.k ?? '').slice(0, 64);
  if (!(await isEmailChangeProof(c.env.SECRETS_KEY, change, k, Date.now()))) return null;
  const open = emailLinkOpen(change);
  if ((await c.env.DB.prepare(`SELECT ${open.sql} AS open`).bind(...open.params).first('open')) !== 1) return null;
  return { change, fields: { c: change.creatorId, f: change.from, t: change.to, a: String(change.at), k } };
}

creatorPortal.get('/email-change', async (c) => {
  const found = await emailChangeOf(c, c.req.query());
  if (!found) return c.html(<EmailChangePage state={{ kind: 'unusable' }} />, 410);
  return c.html(<EmailChangePage state={{ kind: 'ask', to: found.change.to, fields: found.fields }} />);
});

// The move happens only while the link is the account's open one (it holds the address the link leaves and the
// time the link was asked), and clears it, so the link works once; reset links mailed to the old address close
// with it, the address's opt-outs move with it, and the old address hears of the change.
creatorPortal.post('/email-change', async (c) => {
  const found = await emailChangeOf(c, await formBody(c));
  if (!found) return c.html(<EmailChangePage state={{ kind: 'unusable' }} />, 410);
  const { change } = found;
  const db = c.env.DB;
  const now = Date.now();
  // The statements before the move are guarded on the link being still open, so a copy of this request that
  // runs after the move writes nothing; the activity row after it, on the move having happened (changes()).
  const open = emailLinkOpen(change);
  let results: D1Result[];
  try {
    results = await db.batch([
      closeResetLinksStatement(db, change.creatorId, now, open),
      // What the address asked of Chorus (no more invitations) moves with it.
      db.prepare(`UPDATE OR IGNORE mail_opt_outs SET email = ? WHERE email = ? AND ${open.sql}`).bind(change.to, change.from, ...open.params),
      db
        .prepare("UPDATE creators SET email = ?, email_link_at = NULL, former_emails = json_insert(coalesce(former_emails, '[]'), '$[#]', email) WHERE id = ? AND email = ? AND email_link_at = ?")
        .bind(change.to, change.creatorId, change.from, change.at),
      // Each brand the creator accepted sees the move in its activity (its roster shows the new address).
      creatorAccountAudit(db, change.creatorId, 'creator.email_changed', now, { details: { from: change.from, to: change.to }, ifChanged: true }),
    ]);
  } catch (e) {
    if (/UNIQUE constraint failed/i.test(String(e))) return c.html(<EmailChangePage state={{ kind: 'taken', to: change.to }} />, 409);
    throw e;
  }
  if (results[2]!.meta.changes !== 1) return c.html(<EmailChangePage state={{ kind: 'unusable' }} />, 410);
  const notice = {
    to: change.from,
    subject: 'Your Chorus email was changed',
    text: `Your Chorus account now signs in with ${maskAccount(change.to)} instead of this address, and mails go there. If this was not you, tell the brands you work with at once: they can hold your payouts and remove the account from their campaigns until it is sorted out.`,
  };
  noticeAfterResponse(c.executionCtx, c.env, notice, 'email_changed_notice_failed', { urgent: true });
  return c.html(<EmailChangePage state={{ kind: 'done', to: change.to }} />);
});

// ---------- Applying to a campaign from its public page (no account needed) ----------

const SLUG = /^[a-z0-9][a-z0-9-]{0,63}$/;

// The campaign a page's address names, or the one closed page for every other case (unknown, draft, ended,
// applications off): nothing says which.
async function openForApplying(c: Context<AppEnv>) {
  const brand = c.req.param('brand') ?? '';
  const campaign = c.req.param('campaign') ?? '';
  const target = SLUG.test(brand) && SLUG.test(campaign) ? await applyTarget(c.env.DB, brand, campaign, Date.now()) : null;
  return target?.open ? { ...target, action: `/apply/${brand}/${campaign}` } : null;
}

creatorPortal.get('/apply/:brand/:campaign', async (c) => {
  const target = await openForApplying(c);
  if (!target) return c.html(<ApplyClosedPage />, 404);
  const current = await currentCreator(c);
  // Signed in: in this campaign already (or invited to it), their brief or home page is where to go; otherwise
  // their name, address and handle are filled in.
  if (current) {
    const mine = await c.env.DB.prepare("SELECT id, status FROM enrollments WHERE campaign_id = ? AND creator_id = ? AND status <> 'removed'")
      .bind(target.campaignId, current.session.subjectId)
      .first<{ id: string; status: string }>();
    if (mine) return c.html(<AlreadyInPage {...target} enrollmentId={mine.id} invited={mine.status === 'invited'} />);
  }
  const handle = current ? await c.env.DB.prepare('SELECT handle FROM creators WHERE id = ?').bind(current.session.subjectId).first<string>('handle') : null;
  return c.html(<ApplyPage {...target} values={{ ...EMPTY_APPLICATION, name: current?.row.name ?? '', email: current?.row.email ?? '', handle: handle ?? '' }} signedIn={current !== null} />);
});

creatorPortal.post('/apply/:brand/:campaign', async (c) => {
  const form = await formBody(c);
  const target = await openForApplying(c);
  if (!target) return c.html(<ApplyClosedPage />, 404);
  const values = Object.fromEntries(FIELDS.map((f) => [f, String(form[f] ?? '').slice(0, f === 'pitch' ? PITCH_MAX * 2 : 400)])) as ApplicationForm;
  const read = readApplication(values);
  // The program terms, if the brand has some: ticked on the version the page showed, or the page again (a version
  // published meanwhile is read first, never accepted unseen).
  const ticked = target.programTerms ? termsAnswer(form, target.programTerms.version) : form.termsVersion ? 'changed' : 'accepted';
  const termsRefusal = ticked === 'accepted' ? undefined : ticked;
  if ('errors' in read || termsRefusal) return c.html(<ApplyPage {...target} values={values} errors={'errors' in read ? read.errors : undefined} termsRefusal={termsRefusal} />, termsRefusal === 'changed' ? 409 : 422);
  // Per client network, before anything is stored (the sign-in limiter's per-key namespace, with keys of its own);
  // fixing a typo the checks above refused costs nothing.
  const byIp = await c.env.LOGIN_ACCOUNT_LIMITER.limit({ key: `apply:${clientNetwork(c)}` });
  if (!byIp.success) {
    c.header('Retry-After', '60');
    return c.html(<ApplyPage {...target} values={values} busy />, 429);
  }
  // A filled-in hidden field is a bot: it sees the same thanks, and nothing is stored.
  if ((form[HONEYPOT] ?? '') !== '') {
    log.info('application_trap', { campaignId: target.campaignId });
    return c.html(<AppliedPage {...target} email={read.input.email} />);
  }
  const saved = await saveApplication(c.env.DB, target, read.input, target.programTerms?.version ?? null, Date.now());
  if (saved === 'full') return c.html(<ApplyClosedPage full brandName={target.brandName} />, 429);
  if (saved === 'terms_changed') {
    const now = await openForApplying(c);
    if (!now) return c.html(<ApplyClosedPage />, 404);
    return c.html(<ApplyPage {...now} values={values} termsRefusal="changed" />, 409);
  }
  return c.html(<AppliedPage {...target} email={read.input.email} />);
});

// ---------- Signed-in pages ----------

for (const path of ['/', '/terms/*', '/brief/*', '/stats/*', '/links', '/links/*', '/submissions', '/submissions/*', '/earnings', '/earnings/*', '/invitations/*', '/account', '/account/*', '/gift/*', '/messages', '/messages/*']) creatorPortal.use(path, requireCreator);
creatorPortal.route('/', creatorMessageRoutes);
creatorPortal.route('/', creatorTwoStepRoutes);

// ---------- Invitations: a brand that added the creator, accepted or declined by them ----------

type InvitingBrand = { brand_id: string; brand_name: string; timezone: string; campaign_name: string; accepted_at: number | null };

const shownTerms = (t: ProgramTerms, brand: { brand_name: string; timezone: string }): ShownTerms => ({ brandName: brand.brand_name, version: t.version, text: t.body, publishedAt: t.published_at, timezone: brand.timezone });

// The brand's terms to read before joining, again with why (not ticked, changed meanwhile, never shown).
const joinTermsPage = (c: Context<AppEnv>, brand: InvitingBrand, terms: ProgramTerms, refusal: TermsRefusal | undefined, status: 200 | 409 | 422) =>
  c.html(<JoinTermsPage who={viewerOf(c).email} enrollmentId={c.req.param('enrollmentId') ?? ''} campaignName={brand.campaign_name} terms={shownTerms(terms, brand)} refusal={refusal} />, status);

// The brand of one of the signed-in creator's own enrollments, with whether they accepted it.
async function invitingBrand(c: Context<AppEnv>) {
  const row = await c.env.DB.prepare(
    `SELECT e.brand_id, b.name AS brand_name, b.timezone, c.name AS campaign_name, r.accepted_at FROM enrollments e JOIN brands b ON b.id = e.brand_id JOIN campaigns c ON c.id = e.campaign_id
     LEFT JOIN brand_creators r ON r.brand_id = e.brand_id AND r.creator_id = e.creator_id
     WHERE e.id = ? AND e.creator_id = ? AND e.status <> 'removed'`,
  )
    .bind(c.req.param('enrollmentId'), c.var.creator.creatorId)
    .first<InvitingBrand>();
  if (!row) throw notFound('invitation');
  return row;
}

// Accepting a brand: every campaign it invited the creator to turns active, and from now on the brand sees
// where the creator's payouts go. Pressing it twice changes nothing the second time. Of a brand accepted
// already (a campaign it asked them back to after they left, or a later one), only this campaign.
creatorPortal.post('/invitations/:enrollmentId/accept', async (c) => {
  const { creatorId } = c.var.creator;
  const brand = await invitingBrand(c);
  const now = Date.now();
  const db = c.env.DB;
  if (brand.accepted_at !== null) {
    // One campaign, its quiet days counted from this answer (a creator back after leaving starts afresh).
    const enrollmentId = c.req.param('enrollmentId');
    const accepted = { brandId: brand.brand_id, actorType: 'creator', actorId: creatorId, action: 'enrollment.accepted', targetType: 'enrollment', targetId: enrollmentId } as const;
    await db.batch([
      db.prepare("UPDATE enrollments SET status = 'active', active_since = ? WHERE id = ? AND creator_id = ? AND status = 'invited'").bind(now, enrollmentId, creatorId),
      auditIfChanged(db, accepted, now),
    ]);
    return c.redirect('/?accepted=1', 303);
  }
  // Joining a brand with program terms takes the tick on the version the page showed (domain/program-terms.ts).
  const terms = await currentTerms(db, brand.brand_id);
  if (terms) {
    const form = await formBody(c);
    const answer = termsAnswer(form, terms.version);
    // A form that showed no version (an old tab, the brief) is unread; one that showed an older version changed; a
    // tick with no version is no form the portal drew.
    if (answer !== 'accepted') {
      const refusal = answer === 'unticked' ? 'unticked' : namesVersion(form) ? 'changed' : form.acceptTerms ? 'incomplete' : 'unread';
      return joinTermsPage(c, brand, terms, refusal, refusal === 'changed' || refusal === 'unread' ? 409 : 422);
    }
  }
  const version = terms?.version ?? null;
  // Each write holds only while the version ticked (none: the brand had no terms) is still the current one, so
  // terms published between the page and the press are shown, never accepted unread.
  const unchanged = `${currentVersionSql('?2')} IS ?4`;
  const audit = { brandId: brand.brand_id, actorType: 'creator', actorId: creatorId, action: 'creator.accepted_brand', targetType: 'creator', targetId: creatorId, details: version === null ? undefined : { termsVersion: version } } as const;
  const [, joined] = await db.batch([
    // An enrollment the brand created as active (before she accepted) counts her quiet days from now too.
    db
      .prepare(`UPDATE enrollments SET status = 'active', active_since = COALESCE(active_since, ?1) WHERE brand_id = ?2 AND creator_id = ?3 AND status IN ('invited', 'active') AND ${unchanged}`)
      .bind(now, brand.brand_id, creatorId, version),
    db.prepare(`UPDATE brand_creators SET accepted_at = ?1 WHERE brand_id = ?2 AND creator_id = ?3 AND accepted_at IS NULL AND ${unchanged}`).bind(now, brand.brand_id, creatorId, version),
    auditIfChanged(db, audit, now),
    ...(version === null ? [] : [acceptTermsStatement(db, { brandId: brand.brand_id, creatorId, version, via: 'invitation' }, now)]),
  ]);
  if ((joined?.meta.changes ?? 0) === 0) {
    const latest = await currentTerms(db, brand.brand_id);
    if (latest && latest.version !== version) return joinTermsPage(c, brand, latest, 'changed', 409);
  }
  return c.redirect('/?accepted=1', 303);
});

// The terms to read and tick before joining a brand that has them; a brand without, or one joined already, has nothing to read here.
creatorPortal.get('/invitations/:enrollmentId/accept', async (c) => {
  const brand = await invitingBrand(c);
  const terms = brand.accepted_at === null ? await currentTerms(c.env.DB, brand.brand_id) : null;
  if (!terms) return c.redirect('/', 303);
  return joinTermsPage(c, brand, terms, undefined, 200);
});

// ---------- A later version of a joined brand's program terms, accepted from the home page's notice ----------

// Any brand id's shape (the CLI's and the fixtures' differ): anything else is looked up nowhere.
const BRAND_ID = /^[A-Za-z0-9_-]{1,80}$/;

// The brand's current terms and the creator's standing, for a brand they joined and still work with; 404 for any other (not joined, left, another's, none published).
async function termsUpdate(c: Context<AppEnv>) {
  const brandId = c.req.param('brandId') ?? '';
  const brand = BRAND_ID.test(brandId)
    ? await c.env.DB.prepare(
        `SELECT b.id, b.name AS brand_name, b.timezone FROM brand_creators r JOIN brands b ON b.id = r.brand_id
         WHERE r.brand_id = ? AND r.creator_id = ? AND r.accepted_at IS NOT NULL AND r.erased_at IS NULL AND ${stillWithBrandSql('r.brand_id', 'r.creator_id')}`,
      )
        .bind(brandId, c.var.creator.creatorId)
        .first<{ id: string; brand_name: string; timezone: string }>()
    : null;
  const [terms, standing] = brand ? await Promise.all([currentTerms(c.env.DB, brand.id), standingOf(c.env.DB, brand.id, c.var.creator.creatorId)]) : [null, null];
  if (!brand || !terms) throw notFound('terms');
  return { brand, terms, standing };
}

const termsUpdatePage = (c: Context<AppEnv>, u: Awaited<ReturnType<typeof termsUpdate>>, refusal: TermsRefusal | undefined, status: 200 | 409 | 422) =>
  c.html(<TermsUpdatePage who={viewerOf(c).email} brandId={u.brand.id} terms={shownTerms(u.terms, u.brand)} acceptedVersion={u.standing?.version ?? null} refusal={refusal} />, status);

creatorPortal.get('/terms/:brandId', async (c) => termsUpdatePage(c, await termsUpdate(c), undefined, 200));

// A record, not a gate: nothing the creator earns waits for it. Accepting the current version again changes nothing.
creatorPortal.post('/terms/:brandId/accept', async (c) => {
  const u = await termsUpdate(c);
  const form = await formBody(c);
  if (!namesVersion(form)) return termsUpdatePage(c, u, 'incomplete', 422);
  const answer = termsAnswer(form, u.terms.version);
  if (answer !== 'accepted') return termsUpdatePage(c, u, answer, answer === 'unticked' ? 422 : 409);
  const { creatorId } = c.var.creator;
  const now = Date.now();
  const audit = { brandId: u.brand.id, actorType: 'creator', actorId: creatorId, action: 'creator.accepted_terms', targetType: 'creator', targetId: creatorId, details: { termsVersion: u.terms.version } } as const;
  const [accepted] = await c.env.DB.batch([acceptTermsStatement(c.env.DB, { brandId: u.brand.id, creatorId, version: u.terms.version, via: 'update' }, now), auditIfChanged(c.env.DB, audit, now)]);
  if ((accepted?.meta.changes ?? 0) === 0 && u.standing?.version !== u.terms.version) {
    const again = await termsUpdate(c);
    if (again.terms.version !== u.terms.version) return termsUpdatePage(c, again, 'changed', 409);
  }
  return c.redirect('/?terms=accepted', 303);
});

// Declining: the creator leaves every campaign of a brand they never accepted (their link and code stop
// earning, as after a removal), and the brand's audit log says they declined.
creatorPortal.post('/invitations/:enrollmentId/decline', async (c) => {
  const { creatorId } = c.var.creator;
  const brand = await invitingBrand(c);
  if (brand.accepted_at !== null) {
    const status = await c.env.DB.prepare('SELECT status FROM enrollments WHERE id = ? AND creator_id = ?').bind(c.req.param('enrollmentId'), creatorId).first<string>('status');
    if (status !== 'invited') throw new ApiError(409, 'already_accepted', `You already work with ${brand.brand_name} on this campaign. To stop, leave it from its brief.`);
  }
  // Only the form that asked once more declines (it cannot be undone from here); anything else changes nothing.
  if ((await formBody(c)).confirm !== '1') return c.redirect('/', 303);
  const now = Date.now();
  const db = c.env.DB;
  // A brand they work with asked them into (or back into) one campaign: declining ends that one alone.
  if (brand.accepted_at !== null) {
    await db.batch(creatorEndsStatements(db, { brandId: brand.brand_id, enrollmentId: c.req.param('enrollmentId'), creatorId }, 'enrollment.declined', 'invited', now));
    return c.redirect('/?declined=campaign', 303);
  }
  const notAccepted = 'NOT EXISTS (SELECT 1 FROM brand_creators WHERE brand_id = ?2 AND creator_id = ?3 AND accepted_at IS NOT NULL)';
  const audit = { brandId: brand.brand_id, actorType: 'creator', actorId: creatorId, action: 'creator.declined_brand', targetType: 'creator', targetId: creatorId } as const;
  await db.batch([
    db.prepare(`UPDATE enrollments SET status = 'removed', removed_at = ?1 WHERE brand_id = ?2 AND creator_id = ?3 AND status <> 'removed' AND ${notAccepted}`).bind(now, brand.brand_id, creatorId),
    auditIfChanged(db, audit, now),
  ]);
  return c.redirect('/?declined=1', 303);
});

const viewerOf = (c: Context) => c.get('viewer') as Viewer;

// What the home page says after an action that lands there: the first query parameter (with the value, where
// one is given) that matches.
const HOME_NOTICES: [key: string, value: string | undefined, text: string][] = [
  ['accepted', undefined, 'Accepted. Your link, code and brief for the campaign are below.'],
  ['terms', 'accepted', 'Thank you: the brand has your acceptance of its program terms on record.'],
  ['declined', 'campaign', 'Declined. That campaign is gone from your home page; your others with the brand stay as they are.'],
  ['declined', undefined, 'Declined. That brand’s campaigns are gone from your home page.'],
  ['left', undefined, 'You left the campaign. Its link and code have stopped; what you earned in it stays yours and is paid as usual.'],
  ['linked', 'new', 'Your new link is ready: copy it from the campaign below.'],
  ['linked', 'restored', 'You had archived your link to that page: it is back on the campaign below, as it was.'],
  ['linked', undefined, 'You already have a link to that page: it is on the campaign below.'],
  ['restored', undefined, 'Restored: the link is back on the campaign below.'],
];

// The home page, with what the address's query says happened (a redirect after a form), a refusal included.
async function homePage(c: Context<AppEnv>) {
  const now = Date.now();
  const [home, sealedPayout, threads, rightsRequests, termsWaiting, bounties] = await Promise.all([
    creatorHome(c.env.DB, c.var.creator.creatorId, now),
    sealedDetailsOf(c.env.DB, c.var.creator.creatorId, 'payout_details_enc'),
    creatorThreads(c.env.DB, c.var.creator.creatorId),
    waitingRequests(c.env.DB, c.var.creator.creatorId),
    termsToAccept(c.env.DB, c.var.creator.creatorId),
    creatorBounties(c.env.DB, c.var.creator.creatorId, now),
  ]);
  // An invitation to a campaign that has ended asks nothing any more: it is not shown.
  const cards = home.cards.filter((card) => !(isInvitation(card) && campaignEnded(card, now)));
  const ended = home.ended;
  const viewer = viewerOf(c);
  const invited = cards.some(isInvitation);
  const welcome = invited ? 'Your password is saved. Accept an invitation below to get your link, code and brief.' : 'You are all set. Here is everything for your campaigns.';
  const notice = c.req.query('welcome') ? welcome : HOME_NOTICES.find(([key, value]) => (value === undefined ? c.req.query(key) : c.req.query(key) === value))?.[2];
  const nothing = c.req.query('nothing');
  const warning = nothing === 'ended' ? 'That campaign has ended, so it takes no more drafts, and no other campaign of yours is open for them.' : nothing === 'open' ? 'No campaign of yours is open for drafts right now.' : undefined;
  // Just archived (and not restored since): said with an Undo, as archiving asks nothing first.
  const archivedSlug = c.req.query('archived');
  const archived = archivedSlug ? cards.flatMap((card) => card.archived).find((l) => l.slug === archivedSlug) : undefined;
  // A restore refused at the cap names the link it could not bring back (still archived: else there is nothing to say).
  const unrestoredSlug = c.req.query('unrestored');
  const unrestored = unrestoredSlug ? cards.flatMap((card) => card.archived).find((l) => l.slug === unrestoredSlug) : undefined;
  const refused = unrestored ? restoreLimit(unrestored.destination) : undefined;
  // Asked for where it matters: once they have earned something, or a flat fee is coming, and gave nowhere to send it.
  const owed = cards.some((card) => !isInvitation(card) && (card.earnings.pending + card.earnings.payable > 0 || card.payment_model === 'flat' || card.payment_model === 'hybrid'));
  // Opened only when money is owed (none stored opens as null without decrypting): asked for again if unreadable.
  const details = owed ? await openSealedJson(c.env.SECRETS_KEY, sealedPayout) : undefined;
  const unreadable = details === 'unreadable';
  return c.html(
    <HomePage who={viewer.email} name={viewer.name} cards={cards} ended={ended} origin={publicOrigin(c)} notice={notice} warning={warning} refused={refused} justArchived={archived} askPayoutDetails={details === null || unreadable} payoutDetailsUnreadable={unreadable} unread={threads.filter((t) => t.unread > 0)} rightsRequests={rightsRequests} termsWaiting={termsWaiting} bounties={bounties} now={now} />,
  );
}

creatorPortal.get('/', (c) => homePage(c));

creatorPortal.get('/brief/:enrollmentId', async (c) => {
  const e = await creatorEnrollment(c.env.DB, c.var.creator.creatorId, c.req.param('enrollmentId'));
  if (!e) throw notFound('campaign');
  // The enrollment is the signed-in creator's own: its campaign's updates are theirs to read once they joined. An
  // invitation shows the brief to decide on, not the brand's news to those in the campaign (which may hold a
  // launch date or a code not out yet), as only those in it are mailed.
  if (isInvitation(e)) return c.html(<BriefPage who={viewerOf(c).email} e={e} updates={[]} />);
  const [updates, thread] = await Promise.all([briefUpdates(c.env.DB, e), threadState(c.env.DB, 'creator', e.brand_id, c.var.creator.creatorId)]);
  return c.html(<BriefPage who={viewerOf(c).email} e={e} updates={updates} unreadMessages={thread?.unread ?? 0} />);
});

// Leaving a campaign the creator works in: asked once more on the brief (only the form that asked sends
// confirm), then as a brand's removal is (link and code stop, drafts in review withdrawn, earnings kept), dated
// and in the brand's activity. Only the brand can bring them back, and then as an invitation they answer.
creatorPortal.post('/brief/:enrollmentId/leave', async (c) => {
  const { creatorId } = c.var.creator;
  const e = await creatorEnrollment(c.env.DB, creatorId, c.req.param('enrollmentId'));
  if (!e || isInvitation(e)) throw notFound('campaign');
  if ((await formBody(c)).confirm !== '1') return c.redirect(`/brief/${e.enrollment_id}`, 303);
  const now = Date.now();
  const db = c.env.DB;
  await db.batch([
    ...creatorEndsStatements(db, { brandId: e.brand_id, enrollmentId: e.enrollment_id, creatorId }, 'enrollment.left', 'not-removed', now),
    ...declineOnRemoval(db, { brandId: e.brand_id, enrollmentId: e.enrollment_id }, 'left', { type: 'creator', id: creatorId }, now),
    ...withdrawOnRemoval(db, { brandId: e.brand_id, enrollmentId: e.enrollment_id }, 'left', { type: 'creator', id: creatorId }, now),
  ]);
  return c.redirect('/?left=1', 303);
});

// ---------- Their gift (product seeding) ----------

// The enrollment behind /gift/:enrollmentId: the creator's own, not an invitation (another's is a 404).
async function giftEnrollment(c: Context<AppEnv>): Promise<CreatorEnrollment> {
  const e = await creatorEnrollment(c.env.DB, c.var.creator.creatorId, c.req.param('enrollmentId') ?? '');
  if (!e || isInvitation(e)) throw notFound('campaign');
  return e;
}

const GIFT_NOTICES: Record<string, string> = {
  requested: 'Request sent. We will email you when it ships.',
  changed: 'Your request is changed.',
  withdrawn: 'Request withdrawn.',
  received: 'Thanks for telling us it arrived.',
};

// The form as last sent: the request's picks and address, else the account's saved address.
function giftValues(gift: CreatorGift): GiftFormValues {
  const g = gift.request?.status === 'requested' ? gift.request : null;
  return {
    picks: g ? Object.fromEntries(itemsOf(g).map((i) => [i.productId, i.option])) : {},
    address: g && typeof g.shipTo !== 'string' ? g.shipTo : (gift.savedAddress ?? {}),
    save: true,
  };
}

async function giftPage(c: Context<AppEnv>, e: CreatorEnrollment, opts: { values?: GiftFormValues; errors?: FormError[]; status?: 200 | 409 | 422 } = {}) {
  const gift = await creatorGift(c.env.DB, c.env.SECRETS_KEY, e, c.var.creator.creatorId);
  const key = c.req.query('done') ?? '';
  const notice = !opts.status && Object.hasOwn(GIFT_NOTICES, key) ? GIFT_NOTICES[key] : undefined;
  return c.html(<GiftPage who={viewerOf(c).email} e={e} gift={gift} values={opts.values ?? giftValues(gift)} errors={opts.errors} notice={notice} now={Date.now()} />, opts.status ?? 200);
}

creatorPortal.get('/gift/:enrollmentId', async (c) => giftPage(c, await giftEnrollment(c)));

// Asks for a gift or changes the open ask. Refused, nothing is written and the form comes back as typed.
creatorPortal.post('/gift/:enrollmentId', async (c) => {
  const e = await giftEnrollment(c);
  const { creatorId } = c.var.creator;
  const body = await parseForm(c, { all: true });
  const strings = (name: string) => [body[name]].flat().filter((v): v is string => typeof v === 'string');
  const one = (name: string) => strings(name)[0] ?? '';
  // At most a few dozen products are offered: more picks than that are not a person's.
  const productIds = [...new Set(strings('product'))].slice(0, 60);
  const picks: GiftPick[] = productIds.map((productId) => ({ productId, option: one(`option-${productId}`) || null }));
  const typed = Object.fromEntries(ADDRESS_FIELDS.map((f) => [f, one(f).slice(0, 200)]));
  const values: GiftFormValues = { picks: Object.fromEntries(picks.map((p) => [p.productId, p.option])), address: typed, save: one('save') === '1' };
  const now = Date.now();
  const gift = await creatorGift(c.env.DB, c.env.SECRETS_KEY, e, creatorId);
  const askable = giftAskable(e, { open: gift.settings.open, products: gift.products.length }, now);
  if (!askable.ok) return giftPage(c, e, { values, errors: [askable.why], status: 409 });
  const errors: FormError[] = [];
  const picked = pickedItems(picks, gift.products, gift.settings.choices);
  if ('problem' in picked) errors.push(picked.problem);
  const address = shippingAddress.safeParse(Object.fromEntries(ADDRESS_FIELDS.map((f) => [f, one(f)])));
  // The address fields' ids are `a-<name>` (the error summary links to them).
  if (!address.success) for (const i of address.error.issues) errors.push({ field: `a-${String(i.path[0])}`, text: i.message });
  if (errors.length > 0 || 'problem' in picked || !address.success) return giftPage(c, e, { values, errors, status: 422 });
  // Saved again only when it differs from the one on the account (the unchanged one stays as it was sealed).
  const save = values.save && !(gift.savedAddress && sameAddress(gift.savedAddress, address.data));
  const outcome = await askForGift(c.env.DB, c.env.SECRETS_KEY, { enrollmentId: e.enrollment_id, creatorId, brandId: e.brand_id, items: picked.items, address: address.data, save }, now);
  if (outcome === 'shipped_already') return giftPage(c, e, { values, errors: ['Your gift has already shipped, so the request cannot change now.'], status: 409 });
  if (outcome === 'closed') return giftPage(c, e, { values, errors: [`${e.brand_name} is not taking gift requests for this campaign right now.`], status: 409 });
  return c.redirect(`/gift/${e.enrollment_id}?done=${outcome}`, 303);
});

// Withdraw while it waits to ship; say it arrived once shipped. A repeat (a second click) lands on the page as it is.
for (const move of ['withdraw', 'received'] as const) {
  creatorPortal.post(`/gift/:enrollmentId/${move}`, async (c) => {
    const e = await giftEnrollment(c);
    const moved = await creatorMovesGift(c.env.DB, { enrollmentId: e.enrollment_id, creatorId: c.var.creator.creatorId, brandId: e.brand_id }, move, Date.now());
    return c.redirect(`/gift/${e.enrollment_id}${moved ? `?done=${move === 'withdraw' ? 'withdrawn' : 'received'}` : ''}`, 303);
  });
}

// A campaign the creator has not accepted yet has no numbers of theirs to show: a 404, as for another's.
creatorPortal.get('/stats/:enrollmentId', async (c) => {
  const e = await creatorEnrollment(c.env.DB, c.var.creator.creatorId, c.req.param('enrollmentId'));
  if (!e || isInvitation(e)) throw notFound('campaign');
  const now = Date.now();
  const [stats, orders] = await Promise.all([creatorStats(c.env.DB, e, now), listConversions(c.env.DB, e.brand_id, { enrollmentId: e.enrollment_id }, CREATOR_ORDERS_SHOWN)]);
  return c.html(<StatsPage who={viewerOf(c).email} e={e} stats={stats} orders={orders} now={now} />);
});

// ---------- A creator's own links ----------

const LINK_LIMIT = `You have ${MAX_LINKS_PER_ENROLLMENT} links in this campaign, the most there can be: share one of those, or archive one you no longer share to make room.`;
const MADE_LIMIT = `You have made ${MAX_LINKS_MADE_PER_ENROLLMENT} links in this campaign, archived ones included, the most there can be: restore one of those instead.`;
const restoreLimit = (destination: string) => `You have ${MAX_LINKS_PER_ENROLLMENT} links in this campaign, the most there can be: archive one you no longer share, then restore your link to ${linkTarget(destination)}.`;

function destinationProblem(reason: string, hosts: string[]): string {
  if (reason === 'too_long') return 'That address is too long: links can go to addresses of up to 2,048 characters.';
  if (reason === 'host_not_allowed') return `That page is not on the brand's shop: links can go to ${hostsInWords(hosts)}.`;
  return "That is not a page's address: open the page in your browser and copy what its address bar shows.";
}

// One page however its address is written: the host as URL writes it, no fragment, no empty query, no trailing
// slash. Creators' own links are stored in this form, so one page is one link.
function pageForm(destination: string): string {
  try {
    const u = new URL(destination);
    u.hash = '';
    if (u.pathname.length > 1) u.pathname = u.pathname.replace(/\/+$/, '');
    return u.toString().replace(/\?$/, '');
  } catch {
    return destination;
  }
}

// The page without its query: a link to it the brand paused is not made again by adding `?a=1`.
const pathOf = (destination: string) => pageForm(destination).replace(/\?.*$/, '');

// A campaign the creator works in now, with its brand's hosts: a link can be made for it. Invitations and
// another's campaigns are a 404; an ended campaign, or one the brand paused or benched them in, a 409.
async function linkableEnrollment(c: Context<AppEnv>, enrollmentId: string) {
  const e = await creatorEnrollment(c.env.DB, c.var.creator.creatorId, enrollmentId);
  if (!e || isInvitation(e)) throw notFound('campaign');
  if (campaignEnded(e, Date.now()) || e.enrollment_status !== 'active') throw new ApiError(409, 'campaign_closed', 'This campaign takes no new links: it has ended, or the brand has paused your part in it.');
  const brand = await c.env.DB.prepare('SELECT allowed_hosts FROM brands WHERE id = ?').bind(e.brand_id).first<{ allowed_hosts: string }>();
  return { e, hosts: JSON.parse(brand!.allowed_hosts) as string[] };
}

creatorPortal.get('/links/new', async (c) => {
  const { e, hosts } = await linkableEnrollment(c, (c.req.query('enrollment') ?? '').slice(0, 64));
  return c.html(<NewLinkPage who={viewerOf(c).email} e={e} hosts={hosts} />);
});

// Makes the link, or answers the one the creator already has to that page (a second tap, a page linked before).
creatorPortal.post('/links', async (c) => {
  const form = await formBody(c);
  const { e, hosts } = await linkableEnrollment(c, (form.enrollmentId ?? '').slice(0, 64));
  const typed = (form.destination ?? '').trim();
  // A pasted address without its scheme is the https page it names.
  const destination = /^[a-z][a-z0-9+.-]*:/i.test(typed) || typed === '' ? typed : `https://${typed.replace(/^\/+/, '')}`;
  const refuse = (text: string, status: 409 | 422) => c.html(<NewLinkPage who={viewerOf(c).email} e={e} hosts={hosts} value={typed.slice(0, 2048)} errors={[{ field: 'destination', text }]} />, status);
  const page = pageForm(destination);
  const { results: had } = await c.env.DB.prepare('SELECT destination, status, archived_at FROM links WHERE enrollment_id = ?')
    .bind(e.enrollment_id)
    .all<{ destination: string; status: string; archived_at: number | null }>();
  // A page the brand paused a link to stays paused: a new link to it would count what the brand stopped counting.
  if (had.some((l) => l.status === 'paused' && pathOf(l.destination) === pathOf(page)))
    return refuse(`${e.brand_name} paused your link to that page, so it cannot have another. Ask them if you want it back.`, 409);
  // A page they archived a link to gets that link back (restored, under the cap), never a second one; one the
  // page already has listed (the brand may have linked it meanwhile) is the answer before any archived one.
  const samePage = had.filter((l) => pageForm(l.destination) === page);
  const existing = samePage.find((l) => l.archived_at === null) ?? samePage[0];
  const listed = had.filter((l) => l.archived_at === null).length;
  if ((!existing || existing.archived_at !== null) && listed >= MAX_LINKS_PER_ENROLLMENT) return refuse(LINK_LIMIT, 409);
  if (!existing && had.length >= MAX_LINKS_MADE_PER_ENROLLMENT) return refuse(MADE_LIMIT, 409);
  const started = Date.now();
  try {
    const link = await createTrackedLink(c.env.DB, e.brand_id, { enrollmentId: e.enrollment_id, destination: existing?.destination ?? page, onePerPage: true }, creatorActor(c));
    const outcome = link.createdAt >= started ? 'new' : existing?.archived_at != null ? 'restored' : 'existing';
    return c.redirect(`/?linked=${outcome}#c-${e.enrollment_id}`, 303);
  } catch (err) {
    if (err instanceof ApiError && err.code === 'invalid_destination') return refuse(destinationProblem((err.details as { reason: string }).reason, hosts), 422);
    if (err instanceof ApiError && err.code === 'link_limit') return refuse((err.details as { limit: string }).limit === 'made' ? MADE_LIMIT : LINK_LIMIT, 409);
    throw err;
  }
});

const creatorActor = (c: Context<AppEnv>) => ({ type: 'creator' as const, id: c.var.creator.creatorId });

// One of the creator's links that they made themselves (the brand's, however it came, is the brand's to keep
// listed), or the 404 ownLink answers for anyone else's.
async function madeLink(c: Context<AppEnv>) {
  const { link } = await ownLink(c);
  if (link.made_by !== 'creator') throw notFound('link');
  return { id: link.link_id, brandId: link.brand_id, enrollmentId: link.enrollment_id, slug: link.slug, destination: link.destination };
}

// Off the home card, still working wherever it was shared, and out of the cap. Asked nothing first: nothing is
// lost, and the page it lands on says so with an Undo. A second post (a double tap, a replay) writes nothing.
creatorPortal.post('/links/:slug/archive', async (c) => {
  const link = await madeLink(c);
  await archiveLink(c.env.DB, link, creatorActor(c), Date.now());
  // The top of the page, where the notice and its Undo are (the card's anchor would scroll them away on a phone).
  return c.redirect(`/?archived=${link.slug}`, 303);
});

// Back on the home card, if the campaign has room for it; when it has not, back to the home page, whose top says
// why (as every action there lands on it: a refresh repeats nothing, and the address is the home page's).
creatorPortal.post('/links/:slug/restore', async (c) => {
  const link = await madeLink(c);
  if ((await restoreLink(c.env.DB, link, creatorActor(c), Date.now())) === 'full') return c.redirect(`/?unrestored=${link.slug}`, 303);
  return c.redirect(`/?restored=1#c-${link.enrollmentId}`, 303);
});

// ---------- QR codes of the creator's tracked links ----------

// One of the signed-in creator's own links that their home page shows, or a 404 (another's, an unknown slug, one
// of a campaign they left or that ended), whatever the slug holds.
async function ownLink(c: Context<AppEnv>) {
  const slug = c.req.param('slug') ?? '';
  const link = QR_SLUG.test(slug) ? await creatorLink(c.env.DB, c.var.creator.creatorId, slug, Date.now()) : null;
  if (!link) throw notFound('link');
  return { link, url: trackedLinkUrl(publicOrigin(c), link.slug) };
}

creatorPortal.get('/links/:slug/qr', async (c) => {
  const { link, url } = await ownLink(c);
  return c.html(<QrPage who={viewerOf(c).email} link={link} label={qrLabel(url)} readable={readableUrl(url)} />);
});

creatorPortal.get('/links/:slug/qr.svg', async (c) => {
  const { link, url } = await ownLink(c);
  return qrSvgResponse(c, url, link.slug);
});

creatorPortal.get('/submissions', async (c) => {
  const items = await creatorSubmissions(c.env.DB, c.var.creator.creatorId);
  return c.html(<SubmissionsPage who={viewerOf(c).email} items={items} notice={c.req.query('sent') ? 'Submitted. The brand has been asked to review it.' : undefined} />);
});

const draftSchema = z.object({
  enrollmentId: z.string().min(1).max(64),
  storyFormat: z.string().min(1).max(40),
  draftUrl: z.url({ protocol: /^https$/, error: 'The draft link must be an https:// link.' }).max(2048),
  // Text as a person types it: a control character (NUL and the like) would reach the brand's queue, its API and webhooks.
  caption: plainText(2200, 'many', 'Captions are limited to 2,200 characters.').refine((s) => s.length > 0, 'Write the caption you plan to post.'),
  confirm: z.string().optional(),
});

const DRAFT_FIELDS = new Set(['storyFormat', 'draftUrl', 'caption']);
const PICK_A_FORMAT = 'Pick one of the story formats this campaign offers.';

// A draft as the form sent it, checked against the campaign it is for (a new draft's campaign is looked up
// from the form first; a revision's is the submission's).
async function readDraft(c: Context<AppEnv>, campaignOf: (values: DraftForm) => { story_formats: string } | undefined) {
  const form = await formBody(c);
  const values: DraftForm = { enrollmentId: form.enrollmentId ?? '', storyFormat: form.storyFormat ?? '', draftUrl: form.draftUrl ?? '', caption: form.caption ?? '', grantRights: form.grantRights === '1' };
  const parsed = draftSchema.safeParse(form);
  // Each problem names its field, so the page links to it and marks it invalid.
  const errors: FormError[] = parsed.success
    ? []
    : parsed.error.issues.map((i) => {
        const field = String(i.path[0] ?? '');
        const text = field === 'draftUrl' ? 'The draft link must be an https:// link.' : field === 'storyFormat' ? PICK_A_FORMAT : i.message;
        return DRAFT_FIELDS.has(field) ? { field, text } : text;
      });
  const campaign = campaignOf(values);
  if (parsed.success && campaign && !(JSON.parse(campaign.story_formats) as string[]).includes(parsed.data.storyFormat)) errors.push({ field: 'storyFormat', text: PICK_A_FORMAT });
  return { values, errors, confirmed: form.confirm === '1', data: parsed.success ? parsed.data : null, drawnRights: form.drawnRights ?? '' };
}

/**
 * The usage rights a draft grants: the terms the campaign asks now, when the form showed these same terms (its
 * hidden drawnRights) and the box was ticked. Terms the brand changed after the form was drawn are never granted
 * unseen: the form comes back with the new ones (409). `carried`: a revision whose earlier grant was of these
 * same terms keeps it, and is asked nothing. Answers the grant to record (null: none asked, or carried over).
 */
function grantOf(asked: UsageRights | null, draft: { drawnRights: string; values: DraftForm }, carried: boolean, brand: string): { grant: UsageRights | null } | { status: 409 | 422; error: FormError } {
  if (draft.drawnRights !== rightsKey(asked))
    return {
      status: 409,
      // Linked to the box beside the new terms, which the creator reads before ticking it again.
      error: asked ? { field: 'grantRights', text: `${brand} changed the usage rights it asks for since this form was opened. Read them below, and tick the box if you grant them.` } : `${brand} no longer asks for usage rights with drafts. Send the draft again.`,
    };
  if (!asked || carried) return { grant: null };
  if (!draft.values.grantRights) return { status: 422, error: { field: 'grantRights', text: `Tick the box to grant ${brand} the usage rights this campaign asks for. Ask them first if you do not agree to them.` } };
  return { grant: asked };
}

// Drafts go to campaigns still open, of brands the creator accepted.
const openForDrafts = (e: CreatorEnrollment) => !campaignEnded(e, Date.now()) && !isInvitation(e);

creatorPortal.get('/submissions/new', async (c) => {
  const all = await creatorEnrollments(c.env.DB, c.var.creator.creatorId);
  const enrollments = all.filter(openForDrafts);
  const asked = c.req.query('enrollment');
  // A campaign asked for by name that takes no drafts is said so, never swapped silently for another one.
  const closed = asked ? all.find((e) => e.enrollment_id === asked && !openForDrafts(e)) : undefined;
  const why = closed ? (isInvitation(closed) ? `Accept ${closed.brand_name}'s invitation to send drafts to ${closed.campaign_name}.` : `${closed.campaign_name} has ended, so it takes no more drafts.`) : undefined;
  if (enrollments.length === 0) return c.redirect(closed && !isInvitation(closed) ? '/?nothing=ended' : '/?nothing=open', 303);
  const chosen = closed ? undefined : (enrollments.find((e) => e.enrollment_id === asked) ?? (enrollments.length === 1 ? enrollments[0] : undefined));
  if (!chosen) return c.html(<CampaignPickerPage who={viewerOf(c).email} enrollments={enrollments} warning={why} />);
  const values: DraftForm = { enrollmentId: chosen.enrollment_id, storyFormat: '', draftUrl: '', caption: '' };
  return c.html(<SubmissionFormPage who={viewerOf(c).email} enrollment={chosen} values={values} action="/submissions" heading="Submit a draft" canChange={enrollments.length > 1} />);
});

creatorPortal.post('/submissions', async (c) => {
  const { creatorId } = c.var.creator;
  const enrollments = (await creatorEnrollments(c.env.DB, creatorId)).filter(openForDrafts);
  const draft = await readDraft(c, (v) => enrollments.find((x) => x.enrollment_id === v.enrollmentId));
  const { values, errors, confirmed, data } = draft;
  const e = enrollments.find((x) => x.enrollment_id === values.enrollmentId);
  if (!e) throw notFound('campaign');
  const render = (status: 200 | 409 | 422, extra: { errors?: FormError[]; warning?: { checks: ReturnType<typeof checkCaption>; hashtag: string; disclosure: string } }) =>
    c.html(<SubmissionFormPage who={viewerOf(c).email} enrollment={e} values={values} action="/submissions" heading="Submit a draft" canChange={enrollments.length > 1} {...extra} />, status);
  const granted = grantOf(parseRights(e.usage_rights), draft, false, e.brand_name);
  if ('error' in granted) {
    // Changed terms are drawn afresh, never ticked for the creator.
    if (granted.status === 409) values.grantRights = false;
    return render(granted.status, { errors: [...errors, granted.error] });
  }
  if (!data || errors.length > 0) return render(422, { errors });
  const checks = checkCaption(data.caption, { hashtag: e.hashtag, disclosureText: e.disclosure_text });
  // A missing hashtag or disclosure is shown before anything is stored; the creator may still submit.
  if (!isCompliant(checks) && !confirmed) return render(200, { warning: { checks, hashtag: e.hashtag, disclosure: e.disclosure_text } });
  const id = await createSubmission(c.env.DB, { enrollmentId: e.enrollment_id, brandId: e.brand_id, creatorId, hashtag: e.hashtag, disclosureText: e.disclosure_text }, data, granted.grant);
  return c.redirect(`/submissions/${id}?sent=1`, 303);
});

// A revision keeps the draft's grant when the campaign still asks the very terms it granted (when it was given);
// terms changed since are asked again, and the new grant replaces the old. A grant attaches to the content sent
// with it: a revision to a campaign no longer asking any carries none (grantLapses; the form says so).
const grantCarried = (s: Pick<SubmissionContext, 'rights_terms' | 'rights_granted_at' | 'campaign_rights'>): number | null =>
  s.rights_granted_at !== null && rightsKey(parseRights(s.rights_terms)) === rightsKey(parseRights(s.campaign_rights)) ? s.rights_granted_at : null;
const grantLapses = (s: Pick<SubmissionContext, 'rights_terms' | 'campaign_rights'>) => s.rights_terms !== null && parseRights(s.campaign_rights) === null;

// A draft whose enrollment is an invitation again waits for the creator to accept it (draftAwaitsRejoin).
const rejoinFirst = (s: { brand_name: string; campaign_name: string }, then: string) => `Accept ${s.brand_name}'s invitation to ${s.campaign_name} on your home page first, then ${then}.`;

async function detail(c: Context<AppEnv>, id: string) {
  const s = await loadSubmission(c.env.DB, id, { creatorId: c.var.creator.creatorId });
  return { s: s as SubmissionDetail, timeline: await submissionTimeline(c.env.DB, s.id), context: s };
}

// What the submission page says after an answer to a rights request lands there.
const RIGHTS_NOTICES: Record<string, string> = {
  accepted: 'Accepted. The new terms are below, kept as you read them; a fee, if the brand offered one, is on your Earnings page.',
  declined: 'Declined. The brand sees your answer; the rights you granted stay as they were.',
};

creatorPortal.get('/submissions/:id', async (c) => {
  const { s, timeline, context } = await detail(c, c.req.param('id'));
  const notice = c.req.query('sent') ? 'Submitted for review.' : c.req.query('live') ? 'Saved. Thank you!' : RIGHTS_NOTICES[c.req.query('rights') ?? ''];
  const extensions = await creatorExtensions(c.env.DB, context, Date.now());
  return c.html(<SubmissionDetailPage who={viewerOf(c).email} s={s} timeline={timeline} notice={notice} extensions={extensions} />);
});

// ---------- A brand's request to extend the usage rights (db/rights-extensions.ts) ----------

const declineNoteInput = plainText(RIGHTS_EXTENSION_NOTE_MAX, 'many');

// The page again, with why the answer did not go through (the request's words changed, it was withdrawn).
async function rightsRefused(c: Context<AppEnv>, error: FormError, status: 409 | 422, declineNote?: string) {
  const { s, timeline, context } = await detail(c, c.req.param('id') ?? '');
  const extensions = await creatorExtensions(c.env.DB, context, Date.now());
  return c.html(<SubmissionDetailPage who={viewerOf(c).email} s={s} timeline={timeline} errors={[error]} extensions={extensions} declineNote={declineNote} />, status);
}

async function answerRequest(c: Context<AppEnv>, answer: Answer) {
  const id = c.req.param('id') ?? '';
  let result;
  try {
    result = await answerRightsExtension(c.env.DB, c.var.creator.creatorId, id, c.req.param('requestId') ?? '', answer);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'rights_extension_not_open') return rightsRefused(c, `${error.message} Nothing was changed.`, 409);
    throw error;
  }
  // Terms read before the post went live, or on another day, are shown as they stand now, not accepted unread.
  if (result.outcome === 'changed') return rightsRefused(c, 'The request reads differently now than when you opened the page (its dates moved). Read it again below before you answer.', 409);
  return c.redirect(`/submissions/${id}?rights=${answer.accept ? 'accepted' : 'declined'}#rights-h`, 303);
}

creatorPortal.post('/submissions/:id/rights-extension/:requestId/accept', async (c) => answerRequest(c, { accept: true, words: (await formBody(c)).words ?? '' }));

creatorPortal.post('/submissions/:id/rights-extension/:requestId/decline', async (c) => {
  const typed = (await formBody(c)).note ?? '';
  const note = declineNoteInput.safeParse(typed);
  if (!note.success) return rightsRefused(c, { field: 'declineNote', text: `A note of up to ${RIGHTS_EXTENSION_NOTE_MAX} characters of plain text, or none.` }, 422, typed.slice(0, RIGHTS_EXTENSION_NOTE_MAX));
  return answerRequest(c, { accept: false, note: note.data });
});

creatorPortal.get('/submissions/:id/edit', async (c) => {
  const { context } = await detail(c, c.req.param('id'));
  if (context.status !== 'changes_requested' || draftCampaignEnded(context, Date.now()) || draftAwaitsRejoin(context)) return c.redirect(`/submissions/${context.id}`, 303);
  const enrollment = (await creatorEnrollment(c.env.DB, c.var.creator.creatorId, context.enrollment_id)) ?? undefined;
  const values: DraftForm = { enrollmentId: context.enrollment_id, storyFormat: context.story_format, draftUrl: context.draft_url, caption: context.caption };
  return c.html(<SubmissionFormPage who={viewerOf(c).email} enrollment={enrollment} values={values} action={`/submissions/${context.id}/resubmit`} heading="Revise your draft" grantCarried={grantCarried(context)} grantLapses={grantLapses(context)} />);
});

creatorPortal.post('/submissions/:id/resubmit', async (c) => {
  const { context } = await detail(c, c.req.param('id'));
  const enrollment = (await creatorEnrollment(c.env.DB, c.var.creator.creatorId, context.enrollment_id)) ?? undefined;
  const draft = await readDraft(c, () => enrollment);
  const { values, errors, confirmed, data } = draft;
  values.enrollmentId = context.enrollment_id;
  const carried = grantCarried(context);
  const render = (status: 200 | 409 | 422, extra: { errors?: FormError[]; warning?: { checks: ReturnType<typeof checkCaption>; hashtag: string; disclosure: string } }) =>
    c.html(<SubmissionFormPage who={viewerOf(c).email} enrollment={enrollment} values={values} action={`/submissions/${context.id}/resubmit`} heading="Revise your draft" grantCarried={carried} grantLapses={grantLapses(context)} {...extra} />, status);
  if (draftCampaignEnded(context, Date.now())) return render(409, { errors: [`${context.campaign_name} has ended, so this draft can no longer be revised.`] });
  if (draftAwaitsRejoin(context)) return render(409, { errors: [rejoinFirst(context, 'revise this draft')] });
  const granted = grantOf(parseRights(context.campaign_rights), draft, carried !== null, context.brand_name);
  if ('error' in granted) {
    if (granted.status === 409) values.grantRights = false;
    return render(granted.status, { errors: [...errors, granted.error] });
  }
  if (!data || errors.length > 0) return render(422, { errors });
  const checks = checkCaption(data.caption, { hashtag: context.hashtag, disclosureText: context.disclosure_text });
  if (!isCompliant(checks) && !confirmed) return render(200, { warning: { checks, hashtag: context.hashtag, disclosure: context.disclosure_text } });
  await transitionSubmission(c.env.DB, context, { action: 'resubmit', actor: 'creator', actorId: c.var.creator.creatorId, draft: data, grant: granted.grant ?? (grantLapses(context) ? null : undefined) });
  return c.redirect(`/submissions/${context.id}?sent=1`, 303);
});

const liveSchema = metricsInput.extend({ postUrl: z.url({ protocol: /^https$/ }).max(2048) });

// Marks an approved post live with its link, or updates a live post's numbers. A live post's link is the
// one the brand saw go live (and paid its fee for): it is not changed from here.
creatorPortal.post('/submissions/:id/live', async (c) => {
  const { s, timeline, context } = await detail(c, c.req.param('id'));
  const form = await formBody(c);
  const fields = Object.fromEntries(Object.entries(form).filter(([, v]) => v !== ''));
  // What was typed is shown back (bounded as the fields are), so a refused link or number costs no retyping.
  const entered = Object.fromEntries(['postUrl', 'views', 'likes', 'comments', 'saves', 'shares'].map((k) => [k, (form[k] ?? '').slice(0, k === 'postUrl' ? 2048 : 20)]));
  const refuse = (error: string, status: 409 | 422) => c.html(<SubmissionDetailPage who={viewerOf(c).email} s={s} timeline={timeline} errors={[error]} entered={entered} />, status);
  if (context.status === 'live') {
    const parsed = metricsInput.safeParse(fields);
    if (!parsed.success) return refuse('Use whole numbers for the engagement figures.', 422);
    await updateMetrics(c.env.DB, context, parsed.data);
    return c.redirect(`/submissions/${context.id}?live=1`, 303);
  }
  // Before the launch or after the end the post's audience would meet a closed link and code, and a flat fee
  // would accrue for it: the brand's own mark-live (the console's review page, the admin API) stays open.
  if (context.campaign_status === 'draft') return refuse('This campaign has not launched yet, so your link and code do not work. Add the live post once the brand launches it.', 409);
  if (draftCampaignEnded(context, Date.now())) return refuse(`${context.campaign_name} has ended. ${ENDED_POST}`, 409);
  if (draftAwaitsRejoin(context)) return refuse(rejoinFirst(context, 'add your live post'), 409);
  const parsed = liveSchema.safeParse(fields);
  if (!parsed.success) return refuse('Add the https:// link of the live post, and whole numbers for the engagement figures.', 422);
  const { postUrl, ...metrics } = parsed.data;
  try {
    await transitionSubmission(c.env.DB, context, { action: 'go_live', actor: 'creator', actorId: c.var.creator.creatorId, postUrl, metrics });
  } catch (e) {
    if (e instanceof ApiError && e.code === 'post_already_live') return refuse('That post is already live on another of your submissions.', 409);
    throw e;
  }
  return c.redirect(`/submissions/${context.id}?live=1`, 303);
});

const payoutDetails = (c: Context<AppEnv>): Promise<PayoutDetails> => creatorDetails(c.env.DB, c.env.SECRETS_KEY, c.var.creator.creatorId, 'payout_details_enc');
const taxDetailsOf = (c: Context<AppEnv>) => creatorDetails(c.env.DB, c.env.SECRETS_KEY, c.var.creator.creatorId, 'tax_details_enc');

type EarningsExtra = { notice?: string; errors?: string[]; entered?: EnteredPayoutDetails; errorField?: string; tax?: Omit<TaxDetailsState, 'saved'> };

async function earningsPage(c: Context<AppEnv>, extra: EarningsExtra = {}, status: 200 | 422 = 200) {
  const [{ ledger, payouts, belowMinimum }, details, taxSaved] = await Promise.all([creatorEarnings(c.env.DB, c.var.creator.creatorId, Date.now()), payoutDetails(c), taxDetailsOf(c)]);
  const { tax, ...rest } = extra;
  return c.html(<EarningsPage who={viewerOf(c).email} ledger={ledger} payouts={payouts} belowMinimum={belowMinimum} details={details} tax={{ saved: taxSaved, ...tax }} {...rest} />, status);
}

const EARNINGS_NOTICES: Record<string, string> = { '1': 'Payout details saved.', tax: 'Tax details saved.', 'tax-removed': 'Tax details removed. Brands see them as missing until you add them again.' };

creatorPortal.get('/earnings', (c) => {
  const saved = c.req.query('saved') ?? '';
  return earningsPage(c, { notice: Object.hasOwn(EARNINGS_NOTICES, saved) ? EARNINGS_NOTICES[saved] : undefined });
});

// The creator's statement as CSV: all of it, or one year's periods (?year=2026).
creatorPortal.get('/earnings/statement.csv', (c) => {
  const raw = c.req.query('year');
  const year = raw === undefined || raw === '' ? null : isYear(raw) ? Number(raw) : undefined;
  if (year === undefined) throw new ApiError(422, 'invalid_year', 'Give the year as four digits, as 2026, or leave it out for every year.');
  const stream = statementCsvStream(c.env.DB, c.var.creator.creatorId, year, EARNING_KIND_LABELS);
  return csvAttachment(stream, `chorus-earnings-${year ?? 'all'}.csv`);
});

// One payout's statement, and the same entries as CSV (`<id>.csv`): only the signed-in creator's own payouts; any
// other id, malformed or another creator's, is the portal's not-found page.
creatorPortal.get('/earnings/payouts/:id', async (c) => {
  const scope = { creatorId: c.var.creator.creatorId };
  const { id, csv } = await statementCsvOr(c.env.DB, c.req.param('id'), scope);
  if (csv) return csv;
  const statement = await payoutStatement(c.env.DB, id, scope);
  if (!statement) throw notFound('payout');
  return c.html(<PayoutStatementPage who={viewerOf(c).email} statement={statement} />);
});

const payoutDetailsSchema = z.discriminatedUnion('method', [
  z.object({ method: z.literal('paypal'), account: z.email().max(120) }),
  z.object({ method: z.literal('wise'), account: z.email().max(120) }),
  z.object({
    method: z.literal('bank_transfer'),
    account: z.string().transform(compactIban).pipe(z.string().refine(isIban)),
    // The name the bank holds the account under: payment files pay to it, and banks check it against the account
    // (Verification of Payee). Written as typed; the SEPA file transliterates accents, so it needs Latin letters.
    holder: plainText(SEPA_NAME_MAX).min(1).refine(fitsSepaName),
  }),
  // A US bank account, paid by ACH (NACHA files of USD brands): the holder's name goes in the file as for SEPA.
  z.object({
    method: z.literal(US_BANK_ACCOUNT),
    holder: plainText(SEPA_NAME_MAX).min(1).refine(fitsSepaName),
    routing: z.string().max(20).transform(compactDigits).pipe(z.string().refine(isAbaRouting)),
    account: z.string().max(40).transform(compactDigits).pipe(z.string().refine(isUsAccountNumber)),
    accountType: z.enum(US_ACCOUNT_TYPES),
  }),
]);

// What is wrong with refused payout details, for the method chosen (`field`: the first one refused).
function payoutDetailsProblem(method: string, field: string | undefined): string {
  if (method === 'paypal' || method === 'wise') return `That is not an email address: give the one your ${PAYOUT_METHOD_LABELS[method]} account uses.`;
  if ((method === 'bank_transfer' || method === US_BANK_ACCOUNT) && field === 'holder')
    return `Give the account holder's name as your bank shows it, in Latin letters (accents are fine), up to ${SEPA_NAME_MAX} characters.`;
  if (method === US_BANK_ACCOUNT && field === 'routing') return 'That is not a valid routing number: it is the 9 digits at the bottom left of a check, or in your bank app (as 011000015).';
  if (method === US_BANK_ACCOUNT && field === 'accountType') return 'Choose whether it is a checking or a savings account.';
  if (method === US_BANK_ACCOUNT) return 'That is not a valid account number: give the 4 to 17 digits of your account number, digits only.';
  if (method === 'bank_transfer')
    return 'That is not a valid IBAN: check it against your bank statement. It starts with a two-letter country code and two check digits, then 10 to 30 letters and digits (spaces are fine), as DE89 3704 0044 0532 0130 00.';
  return 'Choose how you want to be paid: PayPal, Wise, a bank transfer (IBAN) or a US bank account.';
}

creatorPortal.post('/earnings/payout-details', async (c) => {
  const form = await formBody(c);
  const method = form.method ?? '';
  const account = (form.account ?? '').trim();
  const holder = (form.holder ?? '').trim();
  const routing = (form.routing ?? '').trim();
  const accountType = form.accountType ?? '';
  // Only a bank account has a holder name to give, and only a US one a routing number and type: the fields are on
  // the form whatever the method, and ignored for the rest.
  const parsed = payoutDetailsSchema.safeParse(
    method === 'bank_transfer' ? { method, account, holder } : method === US_BANK_ACCOUNT ? { method, account, holder, routing, accountType } : { method, account },
  );
  // The refused entry is shown back bounded as the fields are; the whole of it was checked.
  if (!parsed.success) {
    const field = parsed.error.issues.map((i) => String(i.path[0])).find((f) => ['account', 'holder', 'routing', 'accountType'].includes(f));
    const entered = { method, account: account.slice(0, 120), holder: holder.slice(0, SEPA_NAME_MAX), routing: routing.slice(0, 20), accountType: isUsAccountType(accountType) ? accountType : '' };
    return earningsPage(c, { errors: [payoutDetailsProblem(method, field)], entered, errorField: field }, 422);
  }
  const details: SavedPayoutDetails = parsed.data;
  const same = (previous: SavedPayoutDetails, next: SavedPayoutDetails) =>
    previous.method === next.method && previous.account === next.account && previous.holder === next.holder && previous.routing === next.routing && previous.accountType === next.accountType;
  await replaceDetails(c, 'payout_details_enc', details, same, {
    subject: 'Your Chorus payout details changed',
    text: `Your payouts now go to ${PAYOUT_METHOD_LABELS[details.method]} ${maskAccount(details.account)}${details.holder ? ` (${details.holder})` : ''}. If you did not make this change, ask a brand you work with for a password link at once, set a new password and check your payout details.`,
    failedEvent: 'payout_details_notice_failed',
  });
  return c.redirect('/earnings?saved=1', 303);
});

// Where the money goes, and whose name and tax id it is paid under, are what a stolen session would change: the
// account's own address hears of every change or removal, as banks and payment processors do it.
async function replaceDetails<C extends keyof SealedDetails>(
  c: Context<AppEnv>,
  column: C,
  next: SealedDetails[C] | null,
  same: (previous: SealedDetails[C], next: SealedDetails[C]) => boolean,
  notice: { subject: string; text: string; failedEvent: string },
): Promise<void> {
  if (!(await replaceSealedDetails(c.env.DB, c.env.SECRETS_KEY, c.var.creator.creatorId, column, next, same))) return;
  const { failedEvent, ...mail } = notice;
  noticeAfterResponse(c.executionCtx, c.env, { to: viewerOf(c).email, ...mail }, failedEvent, { urgent: true });
}

// Tax details replace what was there (certifying again the same details is no change).
async function replaceTaxDetails(c: Context<AppEnv>, next: TaxDetails | null): Promise<void> {
  const text = next
    ? `Your tax details now carry the tax id ${maskTaxId(next.taxId)} (${next.country}).`
    : 'Your tax details were removed: brands see them as missing.';
  await replaceDetails(c, 'tax_details_enc', next, sameTaxDetails, {
    subject: 'Your Chorus tax details changed',
    text: `${text} If you did not make this change, ask a brand you work with for a password link at once, set a new password and check your tax and payout details.`,
    failedEvent: 'tax_details_notice_failed',
  });
}

creatorPortal.post('/earnings/tax-details', async (c) => {
  const form = await formBody(c);
  const entered = { legalName: form.legalName ?? '', country: form.country ?? '', kind: form.kind ?? '', taxId: form.taxId ?? '', certify: form.certify === 'yes' };
  const checked = checkTaxDetails(entered, Date.now());
  if (!checked.ok) {
    // Shown back bounded as the fields are; the tax id is never echoed and the box is ticked again with it.
    const shown = { legalName: entered.legalName.slice(0, 140), country: entered.country.slice(0, 2), kind: entered.kind.slice(0, 20) };
    return earningsPage(c, { tax: { entered: shown, problems: checked.problems } }, 422);
  }
  await replaceTaxDetails(c, checked.details);
  return c.redirect('/earnings?saved=tax', 303);
});

creatorPortal.post('/earnings/tax-details/remove', async (c) => {
  await formBody(c);
  await replaceTaxDetails(c, null);
  return c.redirect('/earnings?saved=tax-removed', 303);
});

// ---------- Account: a new password, and signing out elsewhere ----------

const ACCOUNT_NOTICES: Record<string, string> = {
  name: 'Name saved. Brands see it from now on.',
  'email-sent': 'Check your new address: we emailed it a link. Your email changes when you open it and confirm, within 24 hours.',
  password: 'Password changed. Other devices were signed out; you stay signed in here.',
  'signed-out': 'Every other device was signed out.',
  'digest-on': 'We will email you on days you earn.',
  'digest-off': 'We will no longer email you when you earn. Your earnings are always on the Earnings page.',
  emails: 'Your email choices are saved. Updates stay on your brief whichever you choose.',
};

type TypedError = { message: string; typed: string; field?: 'email' | 'current' };
const accountPage = async (c: Context<AppEnv>, opts: { error?: string; nameError?: TypedError; emailError?: TypedError; closeError?: string } = {}, status: 200 | 401 | 409 | 422 | 429 | 503 = 200) => {
  const viewer = viewerOf(c);
  const done = c.req.query('done') ?? '';
  const notice = Object.hasOwn(ACCOUNT_NOTICES, done) ? ACCOUNT_NOTICES[done] : undefined;
  // Each brand they joined, for its campaign news: a brand they only were invited by sends them none.
  const { results } = await c.env.DB.prepare(
    `SELECT r.brand_id, b.name, r.campaign_news FROM brand_creators r JOIN brands b ON b.id = r.brand_id
     WHERE r.creator_id = ? AND r.accepted_at IS NOT NULL ORDER BY b.name, r.brand_id`,
  )
    .bind(c.var.creator.creatorId)
    .all<{ brand_id: string; name: string; campaign_news: number }>();
  const news = results.map((r) => ({ brandId: r.brand_id, brandName: r.name, on: r.campaign_news === 1 }));
  const [owed, factor] = await Promise.all([owedTo(c.env.DB, c.var.creator.creatorId), factorOf(c.env.DB, { type: 'creator', id: c.var.creator.creatorId })]);
  const close = { owed, owedKey: owedKey(owed), error: opts.closeError };
  return c.html(
    <AccountPage who={viewer.email} name={viewer.name} email={viewer.email} earningsDigest={viewer.earnings_digest === 1} dueReminders={viewer.due_reminders === 1} news={news} close={close} twoStepSince={factor?.created_at ?? null} notice={notice} error={opts.error} nameError={opts.nameError} emailError={opts.emailError} />,
    status,
  );
};

// Everything Chorus holds about the creator, as one JSON file (db/creator-export.ts), a few times an hour: the count
// is taken before any query, as each download reads the whole history.
creatorPortal.get('/account/data.json', async (c) => {
  const now = Date.now();
  const { creatorId } = c.var.creator;
  const { allowed, retryAfterS } = await countExport(c.env.DB, creatorId, now);
  if (!allowed) throw new ApiError(429, 'rate_limited', `You have downloaded your data ${EXPORTS_PER_HOUR} times this hour. Try again in ${Math.ceil(retryAfterS / 60)} minutes.`, undefined, { 'Retry-After': String(retryAfterS) });
  const handle = (await c.env.DB.prepare('SELECT handle FROM creators WHERE id = ?').bind(creatorId).first<string>('handle')) ?? 'creator';
  return new Response(creatorDataStream(c.env.DB, c.env.SECRETS_KEY, creatorId, publicOrigin(c), now), {
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Disposition': `attachment; filename="${safeFilename(`chorus-data-${handle}-${iso(now).slice(0, 10)}.json`)}"`,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    },
  });
});

// Closing the account (db/creator-erasure.ts), asked with the password (limited before any hashing, as sign-in is)
// on a same-origin form. Money still owed is given up only with the box ticked, and only the amounts the page
// showed: an order landing meanwhile brings the page back with the new amounts. Then the creator is signed out
// here (every session is gone) and lands on a page that says it is done; the old address hears of it.
creatorPortal.post('/account/close', async (c) => {
  const { creatorId } = c.var.creator;
  const email = viewerOf(c).email;
  const limited = await c.env.LOGIN_ACCOUNT_LIMITER.limit({ key: email });
  if (!limited.success) {
    c.header('Retry-After', '60');
    return accountPage(c, { closeError: 'Too many attempts. Wait a minute and try again.' }, 429);
  }
  const form = await formBody(c);
  const stored = await c.env.DB.prepare('SELECT password_hash FROM creators WHERE id = ?').bind(creatorId).first<string | null>('password_hash');
  if (!(await verifyPassword((form.password ?? '').slice(0, 256), stored ?? DUMMY_HASH)) || !stored) return accountPage(c, { closeError: 'That is not your password. Nothing was closed.' }, 401);
  const owed = owedKey(await owedTo(c.env.DB, creatorId));
  if (owed !== '' && form.owed !== owed) return accountPage(c, { closeError: 'What you are owed changed since the page was drawn. Read it again below before closing.' }, 409);
  if (owed !== '' && form.giveUp !== '1') return accountPage(c, { closeError: 'Tick the box to give up what you are owed, or wait until it is paid.' }, 422);
  const outcome = await eraseCreator(c.env.DB, creatorId, { by: 'creator', owedSeen: owed }, Date.now());
  if (!outcome.erased && outcome.why === 'owed_changed') return accountPage(c, { closeError: 'What you are owed changed just now. Read it again below before closing.' }, 409);
  if (outcome.erased) {
    forgetErased(outcome);
    const notice = {
      to: email,
      subject: 'Your Chorus account is closed',
      text: 'Your Chorus account was closed and your personal data erased, as you asked on your Account page. The brands you worked with were told, without your name. If a brand invites you again, you start a new account from its invitation.',
    };
    noticeAfterResponse(c.executionCtx, c.env, notice, 'account_closed_notice_failed', { urgent: true });
  }
  deleteCookie(c, SESSION_COOKIE, { path: '/', secure: true });
  return c.redirect('/account-closed', 303);
});

// A new email address, proved by a link mailed to it (db/account-tokens.ts emailChangeProof) and asked with the
// password (limited before any hashing, as sign-in is): a stolen session alone cannot move the account. The
// answer is the same whether or not another account holds the address; its owner learns that from the link.
const newEmail = z.email().max(254);
const EMAIL_LINK_EVERY_MS = 5 * 60_000;
creatorPortal.post('/account/email', async (c) => {
  const { creatorId } = c.var.creator;
  const current = viewerOf(c).email;
  const form = await formBody(c);
  const typed = (form.email ?? '').slice(0, 300);
  const to = cleanEmail(typed);
  const limited = await c.env.LOGIN_ACCOUNT_LIMITER.limit({ key: current });
  if (!limited.success) {
    c.header('Retry-After', '60');
    return accountPage(c, { emailError: { message: 'Too many attempts. Wait a minute and try again.', typed } }, 429);
  }
  if (!newEmail.safeParse(to).success) return accountPage(c, { emailError: { message: 'That is not an email address.', typed, field: 'email' } }, 422);
  if (to === current) return accountPage(c, { emailError: { message: 'That is the email you use now.', typed, field: 'email' } }, 422);
  const origin = mailOrigin(c.env, c.req);
  if (!origin) {
    c.header('Retry-After', '3600');
    return accountPage(c, { emailError: { message: PUBLIC_ORIGIN_UNSET, typed } }, 503);
  }
  const stored = await c.env.DB.prepare('SELECT password_hash FROM creators WHERE id = ?').bind(creatorId).first<string | null>('password_hash');
  if (!(await verifyPassword((form.current ?? '').slice(0, 256), stored ?? DUMMY_HASH)) || !stored) return accountPage(c, { emailError: { message: 'That is not your password.', typed, field: 'current' } }, 401);
  // One link a few minutes at most, whoever it goes to: the form cannot make Chorus mail strangers in bulk.
  const now = Date.now();
  const asked = await c.env.DB.prepare('UPDATE creators SET email_link_at = ?1 WHERE id = ?2 AND (email_link_at IS NULL OR email_link_at <= ?1 - ?3)').bind(now, creatorId, EMAIL_LINK_EVERY_MS).run();
  if (asked.meta.changes !== 1) return accountPage(c, { emailError: { message: 'We emailed a link a few minutes ago. Open it, or ask again in a few minutes.', typed } }, 429);
  const change = { creatorId, from: current, to, at: now };
  const k = await emailChangeProof(c.env.SECRETS_KEY, change);
  const link = `${origin}/email-change?${new URLSearchParams({ c: creatorId, f: current, t: to, a: String(now), k })}`;
  const notice = {
    to,
    subject: 'Confirm your new email for Chorus',
    text: `Someone signed in to the Chorus account of ${current} asked to use this address instead. If that was you, open this link within 24 hours to confirm:\n\n${link}\n\nIf it was not, ignore this mail: nothing changes.`,
  };
  noticeAfterResponse(c.executionCtx, c.env, notice, 'email_change_mail_failed', { urgent: true });
  return c.redirect('/account?done=email-sent', 303);
});

// The creator's own name, as every brand they joined sees it (the handle and email stay as they are).
creatorPortal.post('/account/name', async (c) => {
  const typed = (await formBody(c)).name ?? '';
  const parsed = CREATOR_FIELDS.displayName.safeParse(typed.trim());
  if (!parsed.success) return accountPage(c, { nameError: { message: 'Your name: 1 to 80 characters, on one line.', typed: typed.slice(0, 200) } }, 422);
  await c.env.DB.prepare('UPDATE creators SET display_name = ? WHERE id = ?').bind(parsed.data, c.var.creator.creatorId).run();
  return c.redirect('/account?done=name', 303);
});

creatorPortal.get('/account', (c) => accountPage(c));

// The mail on days the creator earns (jobs/earnings-digest.ts), the reminder before a draft is due
// (jobs/content-due.ts) and each joined brand's campaign news: checkboxes, so an unticked box is "off". Only the
// brands the page listed (`newsBrands`) change: one joined since it was drawn keeps its news, and an id not on the
// creator's roster matches no row. The reminder changes only from a form that offered it, so one drawn before it
// was (a page left open) does not turn it off.
const ACCOUNT_NEWS_BRANDS = 200;
creatorPortal.post('/account/emails', async (c) => {
  const form = await parseForm(c, { all: true });
  const values = (key: string) => [form[key] ?? []].flat().filter((v): v is string => typeof v === 'string');
  const on = values('earningsDigest').includes('on');
  const { creatorId } = c.var.creator;
  const ticked = new Set(values('news'));
  const listed = [...new Set(values('newsBrands'))].slice(0, ACCOUNT_NEWS_BRANDS);
  const reminders = values('dueRemindersShown').includes('1');
  await c.env.DB.batch([
    setEarningsMail(c.env.DB, creatorId, on, Date.now()),
    ...listed.map((brandId) => setCampaignNews(c.env.DB, creatorId, brandId, ticked.has(brandId))),
    ...(reminders ? [c.env.DB.prepare('UPDATE creators SET due_reminders = ? WHERE id = ?').bind(values('dueReminders').includes('on') ? 1 : 0, creatorId)] : []),
  ]);
  return c.redirect(`/account?done=${listed.length > 0 || reminders ? 'emails' : on ? 'digest-on' : 'digest-off'}`, 303);
});

// The password the creator has now, then the new one (limited before any hashing, as sign-in is). Guarded on
// the hash that was checked, so of two changes at once the second writes nothing. Other sessions end and
// mailed reset links close: a link in an old mail no longer undoes this.
creatorPortal.post('/account/password', async (c) => {
  const { creatorId, sessionId } = c.var.creator;
  // Sign-in's own key (the email), so a stolen session gets no second allowance of guesses.
  const limited = await c.env.LOGIN_ACCOUNT_LIMITER.limit({ key: viewerOf(c).email });
  if (!limited.success) {
    c.header('Retry-After', '60');
    return accountPage(c, { error: 'Too many attempts. Wait a minute and try again.' }, 429);
  }
  const form = await formBody(c);
  const db = c.env.DB;
  const stored = await db.prepare('SELECT password_hash FROM creators WHERE id = ?').bind(creatorId).first<{ password_hash: string | null }>();
  const typed = { current: form.current ?? '', password: form.password ?? '', confirm: form.confirm ?? '' };
  const problem = await passwordChangeProblem(typed, stored?.password_hash ?? null);
  if (problem) return accountPage(c, { error: problem.message }, problem.status);
  const now = Date.now();
  const hash = await hashPassword(typed.password);
  // The later writes happen only if this change set the password (the account holds the new hash).
  const changed = passwordSetTo(creatorId, hash);
  const [updated] = await db.batch([
    db.prepare('UPDATE creators SET password_hash = ?, email_link_at = NULL WHERE id = ? AND password_hash = ?').bind(hash, creatorId, stored!.password_hash),
    revokeAllSessionsStatement(db, 'creator', creatorId, now, changed, sessionId),
    closeResetLinksStatement(db, creatorId, now, changed),
  ]);
  if (updated!.meta.changes === 0) return accountPage(c, { error: 'Your password was changed meanwhile. Sign in again if you are signed out.' }, 409);
  // As for payout details: the account's own address hears of it, in case it was not them. A warning never holds up
  // the change it reports: without an address to name (env.ts creatorForgotPlace) it says where to go.
  const notice = {
    to: viewerOf(c).email,
    subject: 'Your Chorus password was changed',
    text: `The password of your Chorus account was changed, and every other device signed in to it was signed out. If this was not you, choose a new one at once: ${creatorForgotPlace(c)}. Then check your payout details.`,
  };
  noticeAfterResponse(c.executionCtx, c.env, notice, 'password_notice_failed', { urgent: true });
  return c.redirect('/account?done=password', 303);
});

creatorPortal.post('/account/sign-out-others', async (c) => {
  const { creatorId, sessionId } = c.var.creator;
  await revokeAllSessionsStatement(c.env.DB, 'creator', creatorId, Date.now(), undefined, sessionId).run();
  return c.redirect('/account?done=signed-out', 303);
});
