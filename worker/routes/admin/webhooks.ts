// Outgoing webhooks for the brand's systems: endpoints (each with its own signing secret, shown once),
// the delivery log, and replay, which sends the same event (same id, same body) again.
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { DEFAULT_WEBHOOK_EVENTS, TEST_EVENT_TYPE, webhookDeliveryStatuses, webhookEventTypes } from '../../db/schema';
import {
  createEndpoint,
  findDelivery,
  findEndpoint,
  listDeliveries,
  listEndpoints,
  markForReplay,
  rollEndpointSecret,
  setEndpointEnabled,
  TEST_EVENTS_PER_HOUR,
  testEventAudit,
  testEventStatements,
  type DeliveryRow,
  type EndpointRow,
} from '../../db/webhooks';
import type { AppEnv, Env } from '../../env';
import { ApiError, notFound } from '../../lib/errors';
import { ID_PATTERN, newId, randomHex, randomToken } from '../../lib/ids';
import { sealSecret } from '../../lib/secrets';
import { cursorParam, pageOf } from '../../lib/cursor';
import { iso, plainText, valid } from '../../lib/validate';
import { routeDescriber } from '../../openapi/registry';
import { pagedListOf } from '../../openapi/schemas';
import { allowsLoopbackWebhooks, checkWebhookUrl } from '../../webhooks/endpoint-url';
import { webhookEventRetentionDays } from '../../webhooks/event-retention';

// Each enabled endpoint is one more delivery per event; a brand fans out to a handful of systems, not hundreds.
export const MAX_ENDPOINTS_PER_BRAND = 20;

const id = z.string().regex(ID_PATTERN);

export const createEndpointBody = z.strictObject({
  url: z.string().min(1).max(2048),
  events: z
    .array(z.enum(webhookEventTypes))
    .min(1)
    .max(webhookEventTypes.length)
    .default([...DEFAULT_WEBHOOK_EVENTS])
    .transform((list) => [...new Set(list)]),
  description: plainText(200).default(''),
});

export const deliveriesQuery = z.strictObject({
  endpointId: id.optional(),
  eventId: id.optional(),
  status: z.enum(webhookDeliveryStatuses).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: cursorParam.optional().meta({ description: '`nextCursor` of the previous page.' }),
});

export function endpointView(e: EndpointRow) {
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    events: JSON.parse(e.events) as string[],
    enabled: e.enabled === 1,
    previousSecretExpiresAt: e.previous_secret_until !== null && e.previous_secret_until > Date.now() ? iso(e.previous_secret_until) : null,
    createdAt: iso(e.created_at),
    updatedAt: iso(e.updated_at),
  };
}

export function deliveryView(d: DeliveryRow) {
  return {
    id: d.id,
    eventId: d.event_id,
    eventType: d.event_type,
    endpointId: d.endpoint_id,
    endpointUrl: d.endpoint_url,
    status: d.status,
    attempts: d.attempts,
    lastStatusCode: d.last_status_code,
    lastError: d.last_error,
    nextAttemptAt: d.status === 'pending' ? iso(d.next_attempt_at) : null,
    deliveredAt: iso(d.delivered_at),
    createdAt: iso(d.created_at),
    updatedAt: iso(d.updated_at),
  };
}

// Response shapes for the OpenAPI document (the test pool checks every answer against them).
const at = z.iso.datetime().meta({ examples: ['2026-05-04T09:30:00.000Z'] });

export const WebhookEndpoint = z
  .object({
    id: z.string().meta({ examples: ['whe_Q2x7vLr9TkPa4mBc'] }),
    url: z.string().meta({ examples: ['https://erp.fernway.example/chorus-events'] }),
    description: z.string().meta({ examples: ['Warehouse ERP'] }),
    events: z.array(z.enum(webhookEventTypes)),
    enabled: z.boolean(),
    previousSecretExpiresAt: at.nullable().meta({ description: 'After a roll: until when the replaced secret still signs beside the new one (null: it does not).' }),
    createdAt: at,
    updatedAt: at,
  })
  .meta({ id: 'WebhookEndpoint' });

export const NewWebhookEndpoint = WebhookEndpoint.extend({
  secret: z.string().meta({ examples: ['whsec_Q2x7vLr9TkPa4mBcW1nY8sJd0fHe3uZoK5tGxA2bC4d'], description: 'Verifies Chorus-Signature; shown once, here.' }),
}).meta({ id: 'NewWebhookEndpoint' });

export const WebhookDelivery = z
  .object({
    id: z.string().meta({ examples: ['whd_3f9a1c0d2b7e4a5c6d8e9f01'] }),
    eventId: z.string().meta({ examples: ['evt_cv_Q2x7vLr9TkPa4mBc'], description: 'The id receivers dedupe on; the same on every retry and replay.' }),
    eventType: z.enum([...webhookEventTypes, TEST_EVENT_TYPE]).meta({ description: '`endpoint.test` for a test event an owner sent.' }),
    endpointId: z.string().meta({ examples: ['whe_Q2x7vLr9TkPa4mBc'] }),
    endpointUrl: z.string().meta({ examples: ['https://erp.fernway.example/chorus-events'] }),
    status: z.enum(webhookDeliveryStatuses).meta({ description: 'pending: not yet delivered, retrying with backoff; delivered: a 2xx came back; failed: gave up (replay to try again).' }),
    attempts: z.int().min(0),
    lastStatusCode: z.int().nullable(),
    lastError: z.string().nullable().meta({ examples: ['HTTP 503: try later'] }),
    nextAttemptAt: at.nullable(),
    deliveredAt: at.nullable(),
    createdAt: at,
    updatedAt: at,
  })
  .meta({ id: 'WebhookDelivery' });

const op = routeDescriber({ tag: 'Outgoing webhooks', auth: 'adminKey' });
const endpointId = { id: 'The endpoint id (whe_…).' };

export function checkedWebhookUrl(env: Env, raw: string): string {
  const checked = checkWebhookUrl(raw, { allowLoopbackHttp: allowsLoopbackWebhooks(env.ENVIRONMENT) });
  if (!checked.ok) throw new ApiError(422, 'invalid_url', 'The endpoint must be an https URL on a public host name.', { reason: checked.reason });
  return checked.url;
}

type Actor = { actorType: 'api_key' | 'admin_user'; actorId: string };

const tooManyEndpoints = () => new ApiError(409, 'too_many_endpoints', `A brand can have at most ${MAX_ENDPOINTS_PER_BRAND} enabled endpoints; disable one first.`);

// Why an add or enable was refused: the cap, or (where the caller asked for distinct URLs) an enabled endpoint on the URL.
async function refusal(env: Env, brandId: string, url: string, self: string, distinctUrl: boolean, adding: boolean) {
  const taken = distinctUrl && (await listEndpoints(env.DB, brandId)).some((e) => e.enabled && e.url === url && e.id !== self);
  if (!taken) return tooManyEndpoints();
  return new ApiError(
    409,
    'endpoint_url_taken',
    adding
      ? 'An enabled endpoint sends to this URL already (it is in the list). Disable it first to add it again with a new secret.'
      : 'Another enabled endpoint sends to this URL: every event would go there twice. Disable that one first.',
  );
}

// The signing secret is returned once, here; only its sealed copy is kept. With `distinctUrl` (the console) a URL an
// enabled endpoint already has is refused: that is what a refresh of the page that showed the secret posts.
export async function addEndpoint(env: Env, brandId: string, input: z.output<typeof createEndpointBody>, actor: Actor, distinctUrl = false) {
  const url = checkedWebhookUrl(env, input.url);
  const secret = `whsec_${randomToken(32)}`;
  const now = Date.now();
  const row = { id: newId('whe'), brandId, url, description: input.description, secretEnc: await sealSecret(env.SECRETS_KEY, secret), events: input.events };
  if (!(await createEndpoint(env.DB, row, MAX_ENDPOINTS_PER_BRAND, actor, now, distinctUrl))) throw await refusal(env, brandId, url, row.id, distinctUrl, true);
  const stored = await findEndpoint(env.DB, brandId, row.id);
  if (!stored) throw notFound('endpoint');
  return { ...endpointView(stored), secret };
}

// Not this brand's, or deleted with its event by the retention job (jobs/webhook-retention.ts): the same 404.
const deliveryGone = (env: Env) =>
  new ApiError(404, 'not_found', `No such delivery. Deliveries are deleted with their event ${webhookEventRetentionDays(env.WEBHOOK_EVENT_RETENTION_DAYS)} days after it, so an older one cannot be replayed.`);

export async function replayDelivery(env: Env, brandId: string, deliveryId: string, actor: Actor) {
  if (!(await findDelivery(env.DB, brandId, deliveryId))) throw deliveryGone(env);
  // Guarded in the UPDATE too, so an endpoint disabled meanwhile is never replayed to.
  if (!(await markForReplay(env.DB, brandId, deliveryId, actor, Date.now()))) {
    const delivery = await findDelivery(env.DB, brandId, deliveryId);
    // Pruned between the read and the update.
    if (!delivery) throw deliveryGone(env);
    if (delivery.event_type === TEST_EVENT_TYPE) throw new ApiError(409, 'test_event', 'A test event is not replayed; send a new one.');
    throw new ApiError(409, 'endpoint_disabled', 'The endpoint is disabled; enable it before replaying.');
  }
  const after = await findDelivery(env.DB, brandId, deliveryId);
  if (!after) throw deliveryGone(env);
  return deliveryView(after);
}

// One test event to one enabled endpoint, signed like any other and tried once. `env.DB` is the request's own
// D1, which notes that a delivery became due, so it goes to the queue once the response is out.
export async function sendTestEvent(env: Env, brandId: string, endpointId: string, actor: Actor) {
  const endpoint = await findEndpoint(env.DB, brandId, endpointId);
  if (!endpoint) throw notFound('endpoint');
  if (!endpoint.enabled) throw new ApiError(409, 'endpoint_disabled', 'The endpoint is disabled; enable it before sending it a test event.');
  const deliveryId = `whd_${randomHex(12)}`;
  const now = Date.now();
  const [inserted] = await env.DB.batch([...testEventStatements(env.DB, brandId, endpointId, `evt_test_${randomHex(12)}`, deliveryId, now), testEventAudit(env.DB, brandId, endpointId, actor, now)]);
  if ((inserted?.meta.changes ?? 0) === 0) {
    throw new ApiError(429, 'too_many_test_events', `An endpoint takes at most ${TEST_EVENTS_PER_HOUR} test events an hour; try again later.`, undefined, { 'Retry-After': '600' });
  }
  const delivery = await findDelivery(env.DB, brandId, deliveryId);
  if (!delivery) throw notFound('delivery');
  return deliveryView(delivery);
}

export const MAX_KEEP_SECRET_HOURS = 168;
export const rollSecretBody = z.strictObject({
  // How long the replaced secret keeps signing beside the new one: 0 stops it at once.
  keepCurrentForHours: z.int().min(0).max(MAX_KEEP_SECRET_HOURS).default(24),
});

// A new signing secret, returned once, here.
// With `seenVersion` (the console's confirm form) a roll since that version is a 409, not a second roll.
export async function rollSecret(env: Env, brandId: string, endpointId: string, keepCurrentForHours: number, actor: Actor, seenVersion: number | null = null) {
  const secret = `whsec_${randomToken(32)}`;
  const now = Date.now();
  if (!(await rollEndpointSecret(env.DB, brandId, endpointId, await sealSecret(env.SECRETS_KEY, secret), now + keepCurrentForHours * 3_600_000, actor, now, seenVersion))) {
    const current = await findEndpoint(env.DB, brandId, endpointId);
    if (!current) throw notFound('endpoint');
    if (seenVersion !== null && current.updated_at !== seenVersion) {
      throw new ApiError(409, 'endpoint_changed', 'This endpoint changed since that page was drawn (its secret was rolled already, perhaps by this same form sent again). Roll it again if you need another secret.');
    }
    throw new ApiError(
      409,
      'previous_secret_in_use',
      `The secret before this one still signs until ${iso(current.previous_secret_until)}: keeping the current one too would cut that off early. Roll with keepCurrentForHours 0 to stop both at once, or wait until then.`,
    );
  }
  const row = await findEndpoint(env.DB, brandId, endpointId);
  if (!row) throw notFound('endpoint');
  return { ...endpointView(row), secret };
}

// Enables or disables an endpoint; already so is answered as it stands. Shared with the console.
export async function toggleEndpoint(env: Env, brandId: string, endpointId: string, enabled: boolean, actor: Actor, distinctUrl = false) {
  if (!(await setEndpointEnabled(env.DB, brandId, endpointId, enabled, MAX_ENDPOINTS_PER_BRAND, actor, Date.now(), distinctUrl))) {
    // Nothing changed: already so (answered as it stands), refused, or not this brand's.
    const current = await findEndpoint(env.DB, brandId, endpointId);
    if (!current) throw notFound('endpoint');
    if ((current.enabled === 1) !== enabled) throw await refusal(env, brandId, current.url, current.id, distinctUrl, false);
  }
  const row = await findEndpoint(env.DB, brandId, endpointId);
  if (!row) throw notFound('endpoint');
  return row;
}

const toggle = (enabled: boolean) => async (c: Context<AppEnv>) =>
  c.json({ data: endpointView(await toggleEndpoint(c.env, c.var.admin.brandId, c.req.param('id') ?? '', enabled, { actorType: 'api_key', actorId: c.var.admin.keyId })) });

export const webhookRoutes = new Hono<AppEnv>()
  .get('/endpoints', op({ summary: 'List webhook endpoints', description: 'Newest first, disabled ones included. Secrets are never shown again.', responses: { 200: { description: "The brand's endpoints.", schema: z.object({ data: z.array(WebhookEndpoint) }) } } }), async (c) =>
    c.json({ data: (await listEndpoints(c.env.DB, c.var.admin.brandId)).map(endpointView) }),
  )
  .post(
    '/endpoints',
    op({
      summary: 'Add a webhook endpoint',
      description:
        'Chorus POSTs each subscribed event (`conversion.created`, `conversion.attributed`, `conversion.reversed`, `conversion.declined`, `conversion.reinstated`, `refund.failed`, `submission.submitted`, `submission.reviewed`, `payout.closed`, `gift.requested`, `gift.shipped`, `gift.received`, `gift.declined`, `rights_extension.requested`, `rights_extension.accepted`, `rights_extension.declined`, `rights_extension.withdrawn`, `creator.erased`; by default all but `gift.requested`, the only one that carries a shipping address, which an endpoint gets only by naming it) to `url`, which must be https on a public host name. Every request carries `Chorus-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`; the secret is in this answer only. Delivery is at least once: dedupe on the event `id`.',
      example: { url: 'https://erp.fernway.example/chorus-events', events: ['conversion.created', 'conversion.reversed'], description: 'Warehouse ERP' },
      responses: { 201: { description: 'Added; `secret` is shown only here.', schema: z.object({ data: NewWebhookEndpoint }) } },
      errors: { 409: ['too_many_endpoints'], 422: ['invalid_url'] },
    }),
    valid('json', createEndpointBody),
    async (c) => {
      const data = await addEndpoint(c.env, c.var.admin.brandId, c.req.valid('json'), { actorType: 'api_key', actorId: c.var.admin.keyId });
      return c.json({ data }, 201);
    },
  )
  .get('/endpoints/:id', op({ summary: 'Get a webhook endpoint', params: endpointId, responses: { 200: { description: 'The endpoint.', schema: z.object({ data: WebhookEndpoint }) } }, errors: { 404: ['not_found'] } }), async (c) => {
    const row = await findEndpoint(c.env.DB, c.var.admin.brandId, c.req.param('id'));
    if (!row) throw notFound('endpoint');
    return c.json({ data: endpointView(row) });
  })
  .post(
    '/endpoints/:id/disable',
    op({
      summary: 'Disable a webhook endpoint',
      description: 'New events are no longer sent to it; deliveries still queued for it end as failed.',
      params: endpointId,
      responses: { 200: { description: 'The endpoint, disabled.', schema: z.object({ data: WebhookEndpoint }) } },
      errors: { 404: ['not_found'] },
    }),
    toggle(false),
  )
  .post(
    '/endpoints/:id/enable',
    op({
      summary: 'Enable a webhook endpoint',
      description: 'Events from now on are sent to it again.',
      params: endpointId,
      responses: { 200: { description: 'The endpoint, enabled.', schema: z.object({ data: WebhookEndpoint }) } },
      errors: { 404: ['not_found'], 409: ['too_many_endpoints'] },
    }),
    toggle(true),
  )
  .post(
    '/endpoints/:id/test',
    op({
      summary: 'Send a webhook endpoint a test event',
      description: `Sends one \`endpoint.test\` event to this endpoint only, signed like any other and tried once (a failure is not retried); its delivery is in the answer and in the delivery log, with the receiver's answer once it came. At most ${TEST_EVENTS_PER_HOUR} an hour per endpoint.`,
      params: endpointId,
      responses: { 202: { description: 'Queued; the delivery is pending.', schema: z.object({ data: WebhookDelivery }) } },
      errors: { 404: ['not_found'], 409: ['endpoint_disabled'], 429: ['too_many_test_events'] },
    }),
    async (c) => c.json({ data: await sendTestEvent(c.env, c.var.admin.brandId, c.req.param('id'), { actorType: 'api_key', actorId: c.var.admin.keyId }) }, 202),
  )
  .post(
    '/endpoints/:id/roll-secret',
    op({
      summary: "Roll a webhook endpoint's signing secret",
      description:
        'Replaces the signing secret; the new one is in this answer only. The replaced secret keeps signing beside it for `keepCurrentForHours` (24 by default, at most 168; 0 stops it at once): each request then carries a `v1` for both, so a receiver that checks either keeps working while it switches. While a secret an earlier roll kept still signs, only `keepCurrentForHours: 0` is accepted (409 `previous_secret_in_use` otherwise).',
      params: endpointId,
      example: { keepCurrentForHours: 24 },
      responses: { 200: { description: 'The endpoint with its new secret.', schema: z.object({ data: NewWebhookEndpoint }) } },
      errors: { 404: ['not_found'], 409: ['previous_secret_in_use'] },
    }),
    valid('json', rollSecretBody),
    async (c) => c.json({ data: await rollSecret(c.env, c.var.admin.brandId, c.req.param('id'), c.req.valid('json').keepCurrentForHours, { actorType: 'api_key', actorId: c.var.admin.keyId }) }),
  )
  .get(
    '/deliveries',
    op({
      summary: 'List webhook deliveries',
      description:
        "The delivery log, newest first, a page at a time (`limit`, then `cursor` from `nextCursor`): one row per event and endpoint, with its status, attempts and the last answer. An event and its deliveries are deleted 30 days by default (`WEBHOOK_EVENT_RETENTION_DAYS`) after the event, except while one of its deliveries is `pending`, which keeps it until that ends.",
      responses: { 200: { description: 'Deliveries.', schema: pagedListOf(WebhookDelivery) } },
    }),
    valid('query', deliveriesQuery),
    async (c) => {
      const { cursor, limit, ...filter } = c.req.valid('query');
      const rows = await listDeliveries(c.env.DB, c.var.admin.brandId, { ...filter, limit: limit + 1, after: cursor });
      const page = pageOf(rows, limit, (d) => ({ at: d.created_at, id: d.id }));
      return c.json({ data: page.rows.map(deliveryView), hasMore: page.hasMore, nextCursor: page.nextCursor });
    },
  )
  .post(
    '/deliveries/:id/replay',
    op({
      summary: 'Replay a webhook delivery',
      description:
        'Sends the same event (same id, same body) to the same endpoint again, now, with a fresh retry schedule (its attempts count from zero). A delivery still in backoff is resent at once and its earlier retry is dropped, so no attempt goes out twice. Receivers that dedupe on the event id apply it once. A delivery whose event was deleted for its age (see the delivery log) is a 404 `not_found`, as one that never existed.',
      params: { id: 'The delivery id (whd_…).' },
      responses: { 200: { description: 'Queued; the delivery is pending again.', schema: z.object({ data: WebhookDelivery }) } },
      errors: { 404: ['not_found'], 409: ['endpoint_disabled', 'test_event'] },
    }),
    async (c) => {
      const data = await replayDelivery(c.env, c.var.admin.brandId, c.req.param('id'), { actorType: 'api_key', actorId: c.var.admin.keyId });
      return c.json({ data });
    },
  );
