// Outgoing webhooks for the brand's systems: endpoints (each with its own signing secret, shown once),
// the delivery log, and replay, which sends the same event (same id, same body) again.
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { webhookDeliveryStatuses, webhookEventTypes } from '../../db/schema';
import { createEndpoint, findDelivery, findEndpoint, listDeliveries, listEndpoints, markForReplay, setEndpointEnabled, type DeliveryRow, type EndpointRow } from '../../db/webhooks';
import type { AppEnv, Env } from '../../env';
import { ApiError, notFound } from '../../lib/errors';
import { newId, randomToken } from '../../lib/ids';
import { sealSecret } from '../../lib/secrets';
import { iso, valid } from '../../lib/validate';
import { allowsLoopbackWebhooks, checkWebhookUrl } from '../../webhooks/endpoint-url';

// Each enabled endpoint is one more delivery per event; a brand fans out to a handful of systems, not hundreds.
export const MAX_ENDPOINTS_PER_BRAND = 20;

const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

export const createEndpointBody = z.strictObject({
  url: z.string().min(1).max(2048),
  events: z
    .array(z.enum(webhookEventTypes))
    .min(1)
    .max(webhookEventTypes.length)
    .default([...webhookEventTypes])
    .transform((list) => [...new Set(list)]),
  description: z.string().trim().max(200).default(''),
});

export const deliveriesQuery = z.strictObject({
  endpointId: id.optional(),
  eventId: id.optional(),
  status: z.enum(webhookDeliveryStatuses).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export function endpointView(e: EndpointRow) {
  return { id: e.id, url: e.url, description: e.description, events: JSON.parse(e.events) as string[], enabled: e.enabled === 1, createdAt: iso(e.created_at), updatedAt: iso(e.updated_at) };
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

export function checkedWebhookUrl(env: Env, raw: string): string {
  const checked = checkWebhookUrl(raw, { allowLoopbackHttp: allowsLoopbackWebhooks(env.ENVIRONMENT) });
  if (!checked.ok) throw new ApiError(422, 'invalid_url', 'The endpoint must be an https URL on a public host name.', { reason: checked.reason });
  return checked.url;
}

// The signing secret is returned once, here; only its sealed copy is kept.
export async function addEndpoint(env: Env, brandId: string, input: z.output<typeof createEndpointBody>, actor: { actorType: 'api_key' | 'admin_user'; actorId: string }) {
  const url = checkedWebhookUrl(env, input.url);
  const count = await env.DB.prepare('SELECT count(*) AS n FROM webhook_endpoints WHERE brand_id = ? AND enabled = 1').bind(brandId).first<{ n: number }>();
  if ((count?.n ?? 0) >= MAX_ENDPOINTS_PER_BRAND) throw new ApiError(409, 'too_many_endpoints', `A brand can have at most ${MAX_ENDPOINTS_PER_BRAND} enabled endpoints; disable one first.`);
  const secret = `whsec_${randomToken(32)}`;
  const now = Date.now();
  const row = { id: newId('whe'), brandId, url, description: input.description, secretEnc: await sealSecret(env.SECRETS_KEY, secret), events: input.events };
  await createEndpoint(env.DB, row, actor, now);
  const stored = await findEndpoint(env.DB, brandId, row.id);
  if (!stored) throw notFound('endpoint');
  return { ...endpointView(stored), secret };
}

export async function replayDelivery(env: Env, brandId: string, deliveryId: string, actor: { actorType: 'api_key' | 'admin_user'; actorId: string }) {
  if (!(await findDelivery(env.DB, brandId, deliveryId))) throw notFound('delivery');
  // Guarded in the UPDATE too, so an endpoint disabled meanwhile is never replayed to.
  if (!(await markForReplay(env.DB, brandId, deliveryId, actor, Date.now()))) throw new ApiError(409, 'endpoint_disabled', 'The endpoint is disabled; enable it before replaying.');
  const after = await findDelivery(env.DB, brandId, deliveryId);
  if (!after) throw notFound('delivery');
  return deliveryView(after);
}

const toggle = (enabled: boolean) => async (c: Context<AppEnv>) => {
  const { brandId, keyId } = c.var.admin;
  const endpointId = c.req.param('id') ?? '';
  if (!(await setEndpointEnabled(c.env.DB, brandId, endpointId, enabled, { actorType: 'api_key', actorId: keyId }, Date.now()))) throw notFound('endpoint');
  const row = await findEndpoint(c.env.DB, brandId, endpointId);
  if (!row) throw notFound('endpoint');
  return c.json({ data: endpointView(row) });
};

export const webhookRoutes = new Hono<AppEnv>()
  .get('/endpoints', async (c) => c.json({ data: (await listEndpoints(c.env.DB, c.var.admin.brandId)).map(endpointView) }))
  .post('/endpoints', valid('json', createEndpointBody), async (c) => {
    const data = await addEndpoint(c.env, c.var.admin.brandId, c.req.valid('json'), { actorType: 'api_key', actorId: c.var.admin.keyId });
    return c.json({ data }, 201);
  })
  .get('/endpoints/:id', async (c) => {
    const row = await findEndpoint(c.env.DB, c.var.admin.brandId, c.req.param('id'));
    if (!row) throw notFound('endpoint');
    return c.json({ data: endpointView(row) });
  })
  .post('/endpoints/:id/disable', toggle(false))
  .post('/endpoints/:id/enable', toggle(true))
  .get('/deliveries', valid('query', deliveriesQuery), async (c) => {
    const rows = await listDeliveries(c.env.DB, c.var.admin.brandId, c.req.valid('query'));
    return c.json({ data: rows.map(deliveryView) });
  })
  .post('/deliveries/:id/replay', async (c) => {
    const data = await replayDelivery(c.env, c.var.admin.brandId, c.req.param('id'), { actorType: 'api_key', actorId: c.var.admin.keyId });
    return c.json({ data }, 202);
  });
