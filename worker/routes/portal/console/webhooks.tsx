// Webhooks in the console: the endpoints and the delivery log, and Replay (owner or manager; enforceRole
// refuses viewers, sameOrigin refuses cross-site posts).
import { Hono } from 'hono';
import type { Flash } from '../../../../portal/console/layout';
import { WebhooksPage, type DeliveryFilter } from '../../../../portal/console/webhooks';
import { listDeliveries, listEndpoints } from '../../../db/webhooks';
import { ApiError } from '../../../lib/errors';
import { replayDelivery } from '../../admin/webhooks';
import { viewerOf } from './campaigns';
import { canWrite, readForm, renderPage, withFlash, type ConsoleContext, type ConsoleEnv, flashOf } from './context';
import { awaitingReview } from './queries';

export const webhookRoutes = new Hono<ConsoleEnv>();

const SHOWN_DELIVERIES = 100;

const filterOf = (raw: string | undefined): DeliveryFilter => (raw === 'pending' || raw === 'failed' || raw === 'delivered' ? raw : 'all');

const FLASH: Record<string, Flash> = {
  replayed: { tone: 'success', text: 'Replay queued: the same event, with the same id, goes to the endpoint again. Receivers that dedupe on the id apply it once.' },
};

async function renderWebhooks(c: ConsoleContext, filter: DeliveryFilter, extras: { errors?: string[] } = {}, status: 200 | 409 = 200) {
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
      endpoints={endpoints}
      deliveries={deliveries}
      filter={filter}
      shown={SHOWN_DELIVERIES}
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
    if (e instanceof ApiError && e.code === 'endpoint_disabled') return renderWebhooks(c, filter, { errors: ['That endpoint is disabled, so nothing was sent. Enable it with the admin API first.'] }, 409);
    throw e;
  }
  return c.redirect(withFlash(`/console/webhooks${filter === 'all' ? '' : `?status=${filter}`}`, 'replayed'), 303);
});
