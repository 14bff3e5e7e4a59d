import type { ClickMessage } from './domain/clicks';
import type { WebhookMessage } from './webhooks/events';
import type { MailMessage } from './mail';
import type { Credential } from './lib/last-used';
import { ApiError } from './lib/errors';
import { log } from './lib/log';
import { localEnvironment } from './lib/messages';
import { MIN_SECRET_LENGTH } from './lib/secrets';

export type Env = {
  DB: D1Database;
  // One message per flush of an isolate: the clicks of its last few milliseconds (routes/redirect.ts).
  CLICKS: Queue<ClickMessage[]>;
  WEBHOOKS: Queue<WebhookMessage>;
  // Mail that no request waits on (mail.ts): invitations and notices, a few a second.
  MAIL: Queue<MailMessage>;
  ASSETS: Fetcher;
  ENVIRONMENT: string;
  LINK_CACHE_TTL_MS: string;
  IDENTITY_SECRET: string;
  SESSION_SECRET: string;
  SECRETS_KEY: string;
  CODE_CACHE_TTL_MS: string;
  CODE_CHECK_LIMITER: RateLimit;
  LOGIN_IP_LIMITER: RateLimit;
  LOGIN_ACCOUNT_LIMITER: RateLimit;
  // Optional: the first webhook retry's step in seconds (default 30); local runs shorten it.
  WEBHOOK_RETRY_BASE_SECONDS?: string;
  // Raw clicks older than this (and rolled up) are pruned by the scheduled retention job.
  CLICK_RETENTION_DAYS?: string;
  // Outgoing webhook events (and their deliveries) older than this are deleted by the cron (jobs/webhook-retention.ts).
  WEBHOOK_EVENT_RETENTION_DAYS?: string;
  // Optional: `npm run deploy` passes the git commit; /healthz reports it with the version id.
  COMMIT_SHA?: string;
  CF_VERSION_METADATA?: WorkerVersionMetadata;
  // Mail (lib/messages.ts): a provider key (secret) and the sender; MAIL_API_URL defaults to Resend's API.
  MAIL_API_KEY?: string;
  MAIL_FROM?: string;
  MAIL_API_URL?: string;
  // The https origin that links and mails name (https://chorus.example). Deployed, a mail names no other (a proxy or
  // wildcard route in front of the worker may let a client choose the request's own): without it a request that
  // mails a link is refused (mailLinkOrigin), and pages name the request's origin.
  PUBLIC_ORIGIN?: string;
};

// PUBLIC_ORIGIN as an origin, or null when it is unset or not an http(s) URL (`chorus.example`, a typo): ignored
// rather than failing every page or mail that makes a link.
export function configuredOrigin(value: string | undefined): string | null {
  if (!/^https?:\/\//i.test(value ?? '')) return null;
  try {
    return new URL(value!).origin;
  } catch {
    return null;
  }
}

// The origin of links on the page that answers this request (and in an API's answer): the asker sees them, so the
// request's own origin will do without a usable PUBLIC_ORIGIN. Never for a mail: mailOrigin, mailLinkOrigin.
export function publicOrigin(c: { env: Env; req: { url: string } }): string {
  return configuredOrigin(c.env.PUBLIC_ORIGIN) ?? new URL(c.req.url).origin;
}

// The origin a mail's links name. A mail is opened later, elsewhere, by whoever it was sent to (a whole campaign's
// creators, for news), so it names the address Chorus was told it has, PUBLIC_ORIGIN; the request's own origin only in
// local development, since in front of a deployed worker a proxy or wildcard route may let a client choose it.
// null: no links, and the mail says where to look instead. Cron runs pass no request.
export function mailOrigin(env: Pick<Env, 'PUBLIC_ORIGIN' | 'ENVIRONMENT'>, request?: { url: string }): string | null {
  const configured = configuredOrigin(env.PUBLIC_ORIGIN);
  if (configured) return configured;
  if (request && localEnvironment(env.ENVIRONMENT)) return new URL(request.url).origin;
  // Deployed without one, every mail that is a link's point is refused (503) and the rest name none: said once an
  // isolate, so the log shows why without a line for every refusal.
  if (!localEnvironment(env.ENVIRONMENT) && !originWarned) {
    originWarned = true;
    log.warn('public_origin_unset', { hint: 'Set PUBLIC_ORIGIN (the https address Chorus is reached on) so mails can name links.' });
  }
  return null;
}
let originWarned = false;

// What /healthz says of mails' links: PUBLIC_ORIGIN's, the request's own (local development), or none until
// PUBLIC_ORIGIN is set (`public_origin_unset`: every mail that is a link's point answers 503).
export function mailLinks(env: Pick<Env, 'PUBLIC_ORIGIN' | 'ENVIRONMENT'>): 'public_origin' | 'request' | 'public_origin_unset' {
  if (configuredOrigin(env.PUBLIC_ORIGIN)) return 'public_origin';
  return localEnvironment(env.ENVIRONMENT) ? 'request' : 'public_origin_unset';
}

export const PUBLIC_ORIGIN_UNSET =
  'This Chorus does not know its public address yet, so it cannot email links: nothing was sent or changed. Ask whoever runs it to set PUBLIC_ORIGIN (its https address).';

export const publicOriginUnset = () => new ApiError(503, 'public_origin_unset', PUBLIC_ORIGIN_UNSET, undefined, { 'Retry-After': '3600' });

// The origin for a mail a request sends whose links are its point (a password or invitation link, a gift's page, a
// review decision): mailOrigin's, or, deployed without PUBLIC_ORIGIN, the request is refused with 503
// `public_origin_unset`. Called before the request writes anything, so a refusal leaves nothing behind. Pages that
// answer a form check mailOrigin themselves, to show the form again with PUBLIC_ORIGIN_UNSET.
// Where a security warning tells a console member to choose a new password: the page's link where Chorus knows its
// address, otherwise its name, so a warning never waits for the setting.
export function consoleForgotPlace(c: { env: Env; req: { url: string } }): string {
  const origin = mailOrigin(c.env, c.req);
  return origin ? `${origin}/console/forgot` : '"Forgot your password?" on the console\'s sign-in page';
}

// The same for a creator (a cron run, with no request, names the link only where PUBLIC_ORIGIN is set).
export function creatorForgotPlace(c: { env: Env; req?: { url: string } }): string {
  const origin = mailOrigin(c.env, c.req);
  return origin ? `${origin}/forgot` : '"Forgot your password?" on the sign-in page';
}

export function mailLinkOrigin(c: { env: Env; req: { url: string } }): string {
  const origin = mailOrigin(c.env, c.req);
  if (origin === null) throw publicOriginUnset();
  return origin;
}

// The one-click unsubscribe headers (RFC 8058) that mail apps show as their own button, for `path` under /v1: the app
// POSTs there itself, so only to an https origin (none otherwise; the link in the text still works).
export function oneClickUnsubscribe(origin: string | null, path: string): Record<string, string> {
  if (!origin?.startsWith('https://')) return {};
  return { 'List-Unsubscribe': `<${origin}/v1${path}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
}

// Set with `wrangler secret put` outside local development; the worker refuses requests without them.
export const REQUIRED_SECRETS = ['IDENTITY_SECRET', 'SESSION_SECRET', 'SECRETS_KEY'] as const;

export function missingSecrets(env: Env): string[] {
  return REQUIRED_SECRETS.filter((name) => typeof env[name] !== 'string' || env[name].length < MIN_SECRET_LENGTH);
}

// For the hot paths answered before the router: an env found complete once is not checked again.
const complete = new WeakSet<Env>();
export function hasSecrets(env: Env): boolean {
  if (complete.has(env)) return true;
  if (missingSecrets(env).length > 0) return false;
  complete.add(env);
  return true;
}

export type AdminPrincipal = { brandId: string; keyId: string };

export type CreatorPrincipal = { sessionId: string; creatorId: string };

export type AppEnv = {
  Bindings: Env;
  // clickRedirect: this answer is a tracked link's 302 with a click id, whose trace is that id (app.tsx).
  // credential: the key or store secret that authenticated the request (lib/last-used.ts).
  Variables: { admin: AdminPrincipal; creator: CreatorPrincipal; clickRedirect: true; credential: { kind: Credential; id: string }; storeDelivery: StoreDelivery };
};

/** A store webhook for connected stores (routes/webhooks.ts): whose delivery log it goes in, once answered. */
export type StoreDelivery = { provider: 'shopify' | 'stripe'; account: string; topic: string; to: { brandId: string; integrationId: string }[]; verified: boolean };
