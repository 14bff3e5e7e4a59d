import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { missingSecrets, type AppEnv } from './env';
import { ApiError, errorBody, storageUnavailable } from './lib/errors';
import { noteUse } from './lib/last-used';
import { log, requestIdFrom, withRequestId } from './lib/log';
import { redactLinks } from './lib/messages';
import { MIN_SECRET_LENGTH } from './lib/secrets';
import { health } from './routes/health';
import { admin } from './routes/admin';
import { codeCheck } from './routes/codes';
import { ingest } from './routes/ingest';
import { webhooks } from './routes/webhooks';
import { oneClickUnsubscribe } from './routes/portal/unsubscribe';
import { redirect } from './routes/redirect';
import { sdk } from './routes/sdk';
import { creatorPortal } from './routes/portal/creator';
import { consoleRouter } from './routes/portal/console';
import { isPagePath } from './routes/portal/guards';
import { ErrorPage, ShopperPage } from '../portal/layout';
import { conformToDescription } from './openapi/conformance';
import { apiDescription } from './openapi/routes';
import { MAX_TERMS_REQUEST_BYTES } from './db/program-terms';

export const app = new Hono<AppEnv>();

// First, so every answer (errors, 404s, the fallback redirect) carries the id its log lines carry. The
// header is prepared before the handlers run, so responses they build include it; raw ones are stamped
// after. A tracked link's 302 is the exception: its click id is its trace, and the hot path answering
// nearly all of them (routes/redirect.ts) reads and writes no request id, so this one matches it.
app.use('*', (c, next) => {
  const requestId = requestIdFrom(c.req.raw.headers);
  c.header('Request-Id', requestId);
  return withRequestId(requestId, async () => {
    refuseWithoutSecrets(c.env);
    await next();
    // The delete is a guard: hono merges the prepared header into a handler's own response only if
    // something read c.res before the handler returned, which nothing on /r does today.
    if (c.get('clickRedirect') && c.res.status === 302) c.res.headers.delete('Request-Id');
    else if (!c.res.headers.has('Request-Id')) c.header('Request-Id', requestId);
    const credential = c.get('credential');
    if (credential && c.res.status < 400) noteUse(c.env.DB, c.executionCtx, credential.kind, credential.id);
  });
});

// A deploy missing a secret must fail loudly on its first request, not sign sessions with `undefined`.
function refuseWithoutSecrets(env: AppEnv['Bindings']): void {
  const missing = missingSecrets(env);
  if (missing.length === 0) return;
  log.error('secrets_missing', { missing });
  throw new ApiError(
    500,
    'server_misconfigured',
    `Set ${missing.join(', ')} (at least ${MIN_SECRET_LENGTH} characters each) with \`wrangler secret put <NAME> --env <environment>\`.`,
    { missing },
  );
}

const MAX_BODY_BYTES = 64 * 1024;
// Roster CSVs, processor reconciliation files, warehouses' tracking files and store webhooks (a Shopify order of
// 40 line items passes 64 KiB; a store that keeps getting refused drops the subscription) are the only large bodies.
const MAX_UPLOAD_BYTES = 1024 * 1024;
// A path as logs may keep it: an invite or password link's token is a credential, so it never reaches them.
export const loggedPath = (url: string) => redactLinks(new URL(url).pathname);

const isUpload = (path: string) => /\/(import|reconcile)$|^\/api\/admin\/campaigns\/[^/]+\/gift-requests\/ship$/.test(path);

const limitBody = (maxSize: number) =>
  bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError(413, 'payload_too_large', `Request bodies are limited to ${maxSize} bytes.`);
    },
  });
const limitSmall = limitBody(MAX_BODY_BYTES);
const limitUpload = limitBody(MAX_UPLOAD_BYTES);
const limitTerms = limitBody(MAX_TERMS_REQUEST_BYTES);

// Test pool only: every answer of a described route must match its OpenAPI description.
app.use('*', conformToDescription);
app.use('/api/*', (c, next) => (isUpload(c.req.path) ? limitUpload : c.req.path === '/api/admin/brand/terms' ? limitTerms : limitSmall)(c, next));
app.use('/v1/*', (c, next) => (c.req.path.startsWith('/v1/webhooks/') ? limitUpload : limitSmall)(c, next));

app.route('/healthz', health);
app.route('/r', redirect);
app.route('/', sdk);
app.route('/', apiDescription(app));
app.route('/api/admin', admin);
app.route('/v1/codes', codeCheck);
app.route('/v1/webhooks', webhooks);
app.route('/v1/unsubscribe', oneClickUnsubscribe);
app.route('/v1', ingest);
// Addresses people type or keep from other tools: the console's front page.
for (const path of ['/console/', '/console/campaigns', '/console/campaigns/']) app.get(path, (c) => c.redirect('/console', 302));
app.route('/console', consoleRouter);
app.route('/', creatorPortal);

// Everything else is a static asset (portal CSS, robots.txt) or a JSON 404.
app.notFound(async (c) => {
  const path = new URL(c.req.url).pathname;
  if ((c.req.method === 'GET' || c.req.method === 'HEAD') && !/^\/(api|v1|r)\//.test(path)) {
    const asset = await c.env.ASSETS.fetch(c.req.raw);
    if (asset.status !== 404) return asset;
  }
  if (shopperStatus(c, 404)) return c.html(<ShopperPage status={404} />, 404, { 'Cache-Control': 'no-store' });
  // A mistyped portal address in a browser (/earning) gets a page with a way back, not the API's JSON.
  if (!/^\/(api|v1)\//.test(path) && /\btext\/html\b/.test(c.req.header('accept') ?? '')) {
    return c.html(<ErrorPage status={404} title="Page not found" message="There is no page at this address. Check it for a typo, or go back to your dashboard." />, 404, { 'Cache-Control': 'no-store' });
  }
  return c.json(errorBody('not_found', 'No such route.'), 404);
});

// Drizzle wraps a driver error in its own ("Failed query: …", with the bound values) and keeps the D1 error
// as its cause, so the chain is read: otherwise every drizzle route answered a storage blip with a 500.
function storageError(err: unknown): Error | null {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (/D1_ERROR|D1_EXEC_ERROR|storage/i.test(e.message)) return e;
  }
  return null;
}

// A tracked link opened in a browser (it asks for HTML) answers its errors as a page for the shopper; a
// client asking for anything else keeps the JSON error shape.
const shopperStatus = (c: Context<AppEnv>, status: number): 404 | 410 | 503 | null =>
  (status === 404 || status === 410 || status === 503) && new URL(c.req.url).pathname.startsWith('/r/') && /\btext\/html\b/.test(c.req.header('accept') ?? '') ? status : null;

// Pages answer errors as pages; everything machine-facing answers the JSON error shape.
app.onError((err, c) => {
  const jsonError = (e: ApiError) => {
    const shopper = shopperStatus(c, e.status);
    if (shopper) return c.html(<ShopperPage status={shopper} />, shopper, { ...e.headers, 'Cache-Control': 'no-store' });
    return c.json(errorBody(e.code, e.message, e.details), e.status, e.headers);
  };
  if (err instanceof ApiError) {
    if (isPagePath(new URL(c.req.url).pathname) && err.status < 500) {
      return c.html(<ErrorPage status={err.status} title={err.status === 404 ? 'Not found' : 'Something is not right'} message={err.message} />, err.status, err.headers);
    }
    return jsonError(err);
  }
  if (err instanceof HTTPException) {
    // Hono raises these for malformed input it parses itself (e.g. a JSON body that is not JSON).
    const status = err.status >= 500 ? 400 : err.status;
    const code = status === 400 ? 'malformed_request' : 'request_rejected';
    return c.json(errorBody(code, err.message || 'The request could not be read.'), status);
  }
  // Storage trouble is the platform's, not the client's: 503 so callers retry, never a 500.
  const storage = storageError(err);
  if (storage) {
    log.error('storage_error', { path: loggedPath(c.req.url), error: storage });
    return jsonError(storageUnavailable());
  }
  log.error('unhandled_error', { path: loggedPath(c.req.url), error: err, stack: err instanceof Error ? err.stack : undefined });
  return c.json(errorBody('internal_error', 'Something went wrong on our side.'), 500);
});
