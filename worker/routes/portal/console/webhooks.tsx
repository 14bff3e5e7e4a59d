// Webhooks in the console: the endpoints and the delivery log, and Replay (owner or manager; enforceRole
// refuses viewers, sameOrigin refuses cross-site posts). Owners add endpoints (the signing secret is shown
// once, on the page that made it) and disable or enable them, disabling asked once more.
import { Hono } from 'hono';
import type { Flash } from '../../../../portal/console/layout';
import { WebhooksPage, type DeliveryFilter, type EndpointValues } from '../../../../portal/console/webhooks';
import { findEndpoint, listDeliveries, listEndpoints, TEST_EVENTS_PER_HOUR, type EndpointRow } from '../../../db/webhooks';
import { DEFAULT_WEBHOOK_EVENTS } from '../../../db/schema';
import { ID_PATTERN } from '../../../lib/ids';
import { ApiError } from '../../../lib/errors';
import { addEndpoint, createEndpointBody, replayDelivery, rollSecret, sendTestEvent, toggleEndpoint } from '../../admin/webhooks';
import { viewerOf } from './campaigns';
import { canWrite, readForm, renderPage, requireOwner, withFlash, type ConsoleContext, type ConsoleEnv, flashOf } from './context';
import { awaitingReview } from './queries';
import { webhookEventRetentionDays } from '../../../webhooks/event-retention';

export const webhookRoutes = new Hono<ConsoleEnv>();

const SHOWN_DELIVERIES = 100;

const filterOf = (raw: string | undefined): DeliveryFilter => (raw === 'pending' || raw === 'failed' || raw === 'delivered' ? raw : 'all');

const FLASH: Record<string, Flash> = {
  disabled: { tone: 'success', text: 'Endpoint disabled: new events no longer go to it.' },
  enabled: { tone: 'success', text: 'Endpoint enabled: events from now on go to it.' },
  replayed: { tone: 'success', text: 'Replay queued: the same event, with the same id, goes to the endpoint again. Receivers that dedupe on the id apply it once.' },
  tested: { tone: 'success', text: 'Test event sent: an endpoint.test event is on its way, at the top of the deliveries below. Reload to see how the endpoint answered.' },
};

type Extras = {
  errors?: string[];
  values?: EndpointValues;
  created?: { url: string; secret: string };
  confirmDisable?: EndpointRow;
  confirmRoll?: EndpointRow;
  rolled?: { url: string; secret: string; previousSecretExpiresAt: string | null };
};

async function renderWebhooks(c: ConsoleContext, filter: DeliveryFilter, extras: Extras = {}, status: 200 | 404 | 409 | 422 | 429 = 200) {
  const { brandId } = c.var.user;
  const [endpoints, deliveries, toReview] = await Promise.all([
    listEndpoints(c.env.DB, brandId),
    listDeliveries(c.env.DB, brandId, { status: filter === 'all' ? undefined : filter, limit: SHOWN_DELIVERIES }),
    awaitingReview(c.env.DB, brandId),
  ]);
  return renderPage(
    c,
    <WebhooksPage
      viewer={viewerOf(c)}
      canWrite={canWrite(c.var.user)}
      isOwner={c.var.user.role === 'owner'}
      endpoints={endpoints}
      values={extras.values ?? { url: '', description: '', events: [...DEFAULT_WEBHOOK_EVENTS] }}
      created={extras.created}
      confirmDisable={extras.confirmDisable}
      confirmRoll={extras.confirmRoll}
      rolled={extras.rolled}
      deliveries={deliveries}
      filter={filter}
      shown={SHOWN_DELIVERIES}
      keptDays={webhookEventRetentionDays(c.env.WEBHOOK_EVENT_RETENTION_DAYS)}
      flash={flashOf(FLASH, c)}
      errors={extras.errors}
      toReview={toReview}
    />,
    status,
  );
}

webhookRoutes.get('/webhooks', (c) => renderWebhooks(c, filterOf(c.req.query('status'))));

webhookRoutes.post('/webhooks/deliveries/:id/replay', async (c) => {
  const filter = filterOf((await readForm(c)).get('status'));
  try {
    await replayDelivery(c.env, c.var.user.brandId, c.req.param('id'), { actorType: 'admin_user', actorId: c.var.user.id });
  } catch (e) {
    if (e instanceof ApiError && e.code === 'endpoint_disabled') return renderWebhooks(c, filter, { errors: ['That endpoint is disabled, so nothing was sent. Enable it first.'] }, 409);
    if (e instanceof ApiError && e.code === 'test_event') return renderWebhooks(c, filter, { errors: ['A test event is not replayed: send a new one from its endpoint.'] }, 409);
    // Deleted with its event by the retention job since the page was drawn, or an id that was never this brand's:
    // which, the 404 does not tell, so the words hold for both.
    if (e instanceof ApiError && e.code === 'not_found') {
      const days = webhookEventRetentionDays(c.env.WEBHOOK_EVENT_RETENTION_DAYS);
      return renderWebhooks(c, filter, { errors: [`Nothing was sent: that delivery is not in your log. Deliveries are deleted with their event ${days} days after it, so an older one cannot be sent again.`] }, 404);
    }
    throw e;
  }
  return c.redirect(withFlash(`/console/webhooks${filter === 'all' ? '' : `?status=${filter}`}`, 'replayed'), 303);
});

const ownerActor = (c: ConsoleContext) => ({ actorType: 'admin_user' as const, actorId: requireOwner(c, 'add, change or test webhook endpoints') });

async function ownEndpoint(c: ConsoleContext): Promise<EndpointRow> {
  const id = c.req.param('id') ?? '';
  const endpoint = ID_PATTERN.test(id) ? await findEndpoint(c.env.DB, c.var.user.brandId, id) : null;
  if (!endpoint) throw new ApiError(404, 'not_found', 'No such endpoint.');
  return endpoint;
}

webhookRoutes.get('/webhooks/endpoints', (c) => c.redirect('/console/webhooks', 303));

webhookRoutes.post('/webhooks/endpoints', async (c) => {
  const actor = ownerActor(c);
  const form = await readForm(c);
  const values: EndpointValues = { url: form.get('url').trim().slice(0, 4096), description: form.get('description').slice(0, 400), events: [...new Set(form.all('events'))] };
  const parsed = createEndpointBody.safeParse({ url: values.url, description: values.description, events: values.events });
  if (!parsed.success) {
    const errors = parsed.error.issues.map((i) => (i.path[0] === 'events' ? 'Events: tick at least one.' : i.path[0] === 'url' ? (values.url === '' ? 'URL: enter the address your system receives events at.' : 'URL: at most 2,048 characters.') : `Description: ${i.message}`));
    return renderWebhooks(c, 'all', { values, errors: [...new Set(errors)] }, 422);
  }
  try {
    const created = await addEndpoint(c.env, c.var.user.brandId, parsed.data, actor, true);
    return renderWebhooks(c, 'all', { created: { url: created.url, secret: created.secret } });
  } catch (e) {
    if (e instanceof ApiError && e.code === 'invalid_url') return renderWebhooks(c, 'all', { values, errors: ['URL: it must be https, on a public host name, without a password or a #fragment.'] }, 422);
    if (e instanceof ApiError && e.status === 409) return renderWebhooks(c, 'all', { values, errors: [e.message] }, 409);
    throw e;
  }
});

const toggleRoute = (enable: boolean) => async (c: ConsoleContext) => {
  const actor = ownerActor(c);
  const endpoint = await ownEndpoint(c);
  const id = endpoint.id;
  if (!enable && (await readForm(c)).get('confirm') !== '1') return renderWebhooks(c, 'all', { confirmDisable: endpoint });
  try {
    // Two enabled endpoints on one URL would send every event there twice, one signed with a secret it may not hold.
    await toggleEndpoint(c.env, c.var.user.brandId, id, enable, actor, true);
  } catch (e) {
    if (e instanceof ApiError && e.status === 409) return renderWebhooks(c, 'all', { errors: [e.message] }, 409);
    throw e;
  }
  return c.redirect(withFlash('/console/webhooks', enable ? 'enabled' : 'disabled'), 303);
};
// Two routes, not one `{enable|disable}` pattern: hono anchors that as ^enable|disable$, which also matches enableX.
webhookRoutes.post('/webhooks/endpoints/:id/enable', toggleRoute(true));
webhookRoutes.post('/webhooks/endpoints/:id/disable', toggleRoute(false));

// One endpoint.test event to this endpoint, to check the receiver end to end (owners only: it makes Chorus call out).
webhookRoutes.post('/webhooks/endpoints/:id/test', async (c) => {
  ownerActor(c);
  const endpoint = await ownEndpoint(c);
  try {
    await sendTestEvent(c.env, c.var.user.brandId, endpoint.id, { actorType: 'admin_user', actorId: c.var.user.id });
  } catch (e) {
    if (e instanceof ApiError && e.code === 'too_many_test_events') return renderWebhooks(c, 'all', { errors: [`${endpoint.url} has had ${TEST_EVENTS_PER_HOUR} test events this hour; try again later.`] }, 429);
    if (e instanceof ApiError && e.code === 'endpoint_disabled') return renderWebhooks(c, 'all', { errors: ['That endpoint is disabled, so nothing was sent. Enable it first.'] }, 409);
    throw e;
  }
  return c.redirect(withFlash('/console/webhooks', 'tested'), 303);
});

// A new signing secret: the first post asks (and how long the old one keeps signing), the second rolls it and
// shows the new secret once.
webhookRoutes.post('/webhooks/endpoints/:id/roll', async (c) => {
  const actor = ownerActor(c);
  const endpoint = await ownEndpoint(c);
  const form = await readForm(c);
  if (form.get('confirm') !== '1') return renderWebhooks(c, 'all', { confirmRoll: endpoint });
  const keep = form.get('keep') === '0' ? 0 : 24;
  // The version the ask was drawn from: the same form posted again (a reload) does not roll a second time.
  const version = Number(form.get('version'));
  let rolled;
  try {
    rolled = await rollSecret(c.env, c.var.user.brandId, endpoint.id, keep, actor, Number.isSafeInteger(version) ? version : -1);
  } catch (e) {
    if (e instanceof ApiError && e.code === 'endpoint_changed') return renderWebhooks(c, 'all', { errors: [e.message] }, 409);
    if (e instanceof ApiError && e.code === 'previous_secret_in_use') {
      return renderWebhooks(c, 'all', { errors: ['The secret before this one still signs beside it: keeping this one too would stop that one early. Roll and stop the old ones now, or wait until the earlier one ends.'] }, 409);
    }
    throw e;
  }
  return renderWebhooks(c, 'all', { rolled: { url: rolled.url, secret: rolled.secret, previousSecretExpiresAt: rolled.previousSecretExpiresAt } });
});
