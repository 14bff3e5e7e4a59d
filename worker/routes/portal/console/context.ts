// What every console route shares: the signed-in brand user, the role policy, form reading and page rendering.
import type { Context } from 'hono';
import type { HtmlEscapedString } from 'hono/utils/html';
import { createMiddleware } from 'hono/factory';
import { TWO_STEP_ACTION } from '../../../../portal/console/two-step';
import { PUBLIC_ORIGIN_UNSET, type AppEnv } from '../../../env';
import { ApiError } from '../../../lib/errors';
import { sessionFromCookie } from '../../../lib/sessions';
import { parseForm } from '../guards';
import { UNREAD_THREADS_SQL } from '../../../db/message-threads';

export type Role = 'owner' | 'manager' | 'finance' | 'viewer';

export type ConsoleUser = {
  id: string;
  sessionId: string;
  brandId: string;
  email: string;
  name: string;
  role: Role;
  brandName: string;
  brandSlug: string;
  currency: string;
  timezone: string;
  // Console accounts of the same email in other brands: the header offers Switch brand.
  otherBrands: number;
  // Conversations with a creator's message nobody on the team has read: the nav's Messages count.
  unreadThreads: number;
  // 1 when the member signs in with two-step; 1 when their brand requires it of everyone (brands.require_two_step).
  twoStep: number;
  twoStepRequired: number;
};

export type ConsoleEnv = AppEnv & { Variables: { user: ConsoleUser } };
export type ConsoleContext = Context<ConsoleEnv>;

export const canWrite = (user: Pick<ConsoleUser, 'role'>) => user.role === 'owner' || user.role === 'manager';
// Whoever pays creators: owners and managers, and the finance role, which changes nothing else.
export const canPay = (user: Pick<ConsoleUser, 'role'>) => canWrite(user) || user.role === 'finance';
// Who files the brand's taxes: owners and finance. Managers run campaigns; the year-end file's full tax ids are not theirs to take.
export const canTakeTaxIds = (user: Pick<ConsoleUser, 'role'>) => user.role === 'owner' || user.role === 'finance';

// A valid signature is not enough: the session row must be live and its admin user still exist.
export async function consoleUserOf(c: Context<AppEnv> | ConsoleContext): Promise<ConsoleUser | null> {
  const env: AppEnv['Bindings'] = c.env;
  const session = await sessionFromCookie(c, env.SESSION_SECRET, 'admin_user');
  if (!session) return null;
  const row = await env.DB.prepare(
    `SELECT u.id, s.id AS sessionId, u.brand_id AS brandId, u.email, u.name, u.role, b.name AS brandName, b.slug AS brandSlug, b.currency, b.timezone,
       (SELECT count(*) FROM admin_users o WHERE o.email = u.email AND o.id <> u.id AND o.removed_at IS NULL) AS otherBrands,
       ${UNREAD_THREADS_SQL('u.brand_id')} AS unreadThreads,
       EXISTS (SELECT 1 FROM two_step_factors f WHERE f.subject_type = 'admin_user' AND f.subject_id = u.id) AS twoStep, b.require_two_step AS twoStepRequired
     FROM sessions s JOIN admin_users u ON u.id = s.subject_id JOIN brands b ON b.id = u.brand_id
     WHERE s.id = ? AND s.subject_type = 'admin_user' AND s.subject_id = ? AND s.revoked_at IS NULL AND s.expires_at > ? AND u.removed_at IS NULL`,
  )
    .bind(session.id, session.subjectId, Date.now())
    .first<ConsoleUser>();
  return row ?? null;
}

export const requireConsoleUser = createMiddleware<ConsoleEnv>(async (c, next) => {
  const user = await consoleUserOf(c);
  if (!user) {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') throw new ApiError(401, 'signed_out', 'Your session has ended. Sign in again.');
    const url = new URL(c.req.url);
    return c.redirect(`/console/login?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
  }
  c.set('user', user);
  await next();
});

// A brand that requires two-step: a member without it sees only the page that sets it up (sign-out and Switch
// brand come before this guard) until it is on.
export const requireTwoStepWhereRequired = createMiddleware<ConsoleEnv>(async (c, next) => {
  const { user } = c.var;
  if (user.twoStepRequired && !user.twoStep && c.req.path !== TWO_STEP_ACTION) {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') throw new ApiError(403, 'two_step_required', `${user.brandName} requires two-step sign-in. Turn it on first.`);
    return c.redirect(`${TWO_STEP_ACTION}?flash=required`, 303);
  }
  await next();
});

// Viewers read everything; every write, and every download that carries money or invite links, needs owner or
// manager. Finance may also do the money: close a month, reconcile and mark payouts, and download the orders
// and payouts files (not the invite links). Everyone's own name, password and two-step sign-in are theirs to change.
const OWN_PROFILE = /^\/console\/team\/me\/(?:name|password|two-step(?:\/off|\/recovery)?)$/;
// Pages that are only a form for a write: a role that cannot send it is not shown it either.
const WRITE_FORMS = /^\/console\/(?:campaigns\/[^/]+\/copy|orders\/[^/]+\/decline)$/;
// Downloads that are not named .csv but carry as much: a payment file holds creators' bank accounts and emails.
const DOWNLOADS = /^\/console\/payouts\/payment-file$/;
const isWriterOnly = (c: Context) => (c.req.method !== 'GET' && c.req.method !== 'HEAD' && !OWN_PROFILE.test(c.req.path)) || c.req.path.endsWith('.csv') || DOWNLOADS.test(c.req.path) || WRITE_FORMS.test(c.req.path);
// Named one by one, so a route added under /console/payouts later is not open to finance by accident.
const MONEY_PATHS = /^\/console\/(?:payouts\/(?:close|reconcile|export\.csv|year-end\.csv|payment-file|po_[A-Za-z0-9_-]{1,64}\/mark|po_[A-Za-z0-9_-]{1,64}\.csv)|orders\/export\.csv)$/;

export const enforceRole = createMiddleware<ConsoleEnv>(async (c, next) => {
  const { user } = c.var;
  if (isWriterOnly(c) && !canWrite(user) && !(user.role === 'finance' && MONEY_PATHS.test(c.req.path))) {
    throw new ApiError(
      403,
      'forbidden',
      user.role === 'finance' ? 'Your role does the payouts and their files; anything else needs an owner or manager.' : 'Your role can view this console but not change anything. Ask an owner or manager.',
    );
  }
  await next();
});

// Brand settings, the team, API keys and stores, webhook endpoints: owners only (what decides where links send
// shoppers, who gets in, and what reads or receives everything). Answers the acting owner's id.
export function requireOwner(c: ConsoleContext, what: string): string {
  if (c.var.user.role !== 'owner') throw new ApiError(403, 'forbidden', `Only an owner can ${what}.`);
  return c.var.user.id;
}

// The year-end totals carry full tax ids: owners and finance only (canTakeTaxIds). Answers the acting user's id.
export function requireTaxIdTaker(c: ConsoleContext): string {
  if (!canTakeTaxIds(c.var.user)) throw new ApiError(403, 'forbidden', 'Only an owner or finance can download the year-end totals: they carry your creators’ full tax ids.');
  return c.var.user.id;
}

// Standards mode needs a doctype; the shared layout emits one, and this keeps any page that lacks it safe.
const DOCTYPE = '<!doctype html>';

export type PageStatus = 200 | 401 | 403 | 404 | 409 | 410 | 413 | 415 | 422 | 429 | 500 | 503;

// Deployed without PUBLIC_ORIGIN, a form whose action would mail a link does nothing (env.ts mailOrigin): `page` draws
// its own page again with the message (`message` where mail cannot be sent at all), a 503 to retry in an hour, as the
// API's public_origin_unset.
export function refuseWithoutOrigin(c: Pick<ConsoleContext, 'header'>, page: (message: string, status: 503) => Response | Promise<Response>, message = PUBLIC_ORIGIN_UNSET) {
  c.header('Retry-After', '3600');
  return page(message, 503);
}

export type Markup = HtmlEscapedString | Promise<HtmlEscapedString>;

export async function pageHtml(page: Markup): Promise<string> {
  // A JSX node's toString() may return a promise when a child is async.
  const html = await (await page).toString();
  return /^<!doctype html>/i.test(html) ? html : DOCTYPE + html;
}

export async function renderPage(c: Context, page: Markup, status: PageStatus = 200) {
  return c.html(await pageHtml(page), status);
}

export type Form = { get: (name: string) => string; all: (name: string) => string[]; file: (name: string) => File | null };

// Same-origin forms only: urlencoded, or multipart for the two CSV uploads (guards.ts). Size is bounded by the router's body limit.
export async function readForm(c: Context): Promise<Form> {
  const body = await parseForm(c, { all: true });
  const values = (name: string): (string | File)[] => {
    const v = body[name];
    return v === undefined ? [] : Array.isArray(v) ? v : [v];
  };
  return {
    get: (name) => {
      const v = values(name).find((x) => typeof x === 'string');
      return typeof v === 'string' ? v : '';
    },
    all: (name) => values(name).filter((x): x is string => typeof x === 'string'),
    file: (name) => {
      const v = values(name).find((x) => typeof x !== 'string');
      return v && typeof v !== 'string' && v.size > 0 ? v : null;
    },
  };
}

// A CSV arrives as an uploaded file or pasted into the textarea; the file wins when both are given.
export async function csvFromForm(form: Form): Promise<string> {
  const file = form.file('file');
  return file ? await file.text() : form.get('csv');
}

// Flash messages travel as a fixed key in the redirect URL (never free text), so nothing user-supplied is echoed.
export function withFlash(path: string, flash: string, extra: Record<string, string | number> = {}): string {
  const url = new URL(path, 'https://console.invalid');
  url.searchParams.set('flash', flash);
  for (const [k, v] of Object.entries(extra)) url.searchParams.set(k, String(v));
  return url.pathname + url.search;
}

export { flashOf } from '../guards';

// Where a form asks to return to: only console pages of the given section.
export function backTo(raw: string, prefix: string): string {
  // No dot segments either (`/console/review/../../r/x`, or with %2e): the prefix must hold for the path a browser resolves.
  return /^\/console\/[\x21-\x7e]*$/.test(raw) && raw.startsWith(prefix) && !raw.includes('//') && !raw.includes('\\') && !/\/\.\.?(?:\/|$)/.test(raw.split(/[?#]/)[0]!.replace(/%2e/gi, '.')) ? raw : prefix;
}

// A whole number of up to six digits, else 0: for counts and rounds a URL or a form carries back.
export const wholeNumber = (v: string) => (/^\d{1,6}$/.test(v) ? Number(v) : 0);
export const countParam = (c: Context, name: string) => wholeNumber(c.req.query(name) ?? '');
