import { app } from './app';
import type { Env } from './env';
import { consumeUnderFaults, withFaults } from './lib/faults';
import { newRequestId, withRequestId } from './lib/log';
import { consumeClicks } from './queue';
import { consumeMail } from './mail';
import { cachedCodeCheck } from './routes/codes';
import { cachedRedirect } from './routes/redirect';
import { runScheduled } from './jobs/scheduled';
import { consumeWebhookDeliveries } from './webhooks/deliver';
import { enqueueAfterResponse, sweepWebhookDeliveries, watchingDeliveries } from './webhooks/enqueue';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

// Each environment names its queues chorus-<queue>[-<environment>].
const isWebhookQueue = (name: string) => /^chorus-webhooks(-|$)/.test(name);
const isMailQueue = (name: string) => /^chorus-mail(-|$)/.test(name);

// withFaults returns env itself unless the test-only fault switches are on (see lib/faults.ts).
// Log lines carry a request id (lib/log.ts): the app's middleware mints a request's, and the work after
// its response reuses it; each queue batch and each cron run gets its own.
export default {
  fetch: async (request: Request, env: Env, ctx: ExecutionContext) => {
    const bound = withFaults(env);
    // Most requests are shoppers following a link this isolate already knows,
    // and storefronts checking a code it already knows: both answered before the router. The method and
    // URL are read once for both: each read is a call into the runtime that builds a new string.
    const { method, url } = request;
    const hot = cachedRedirect(request, method, url, bound, ctx) ?? (await cachedCodeCheck(request, method, url, bound, ctx));
    if (hot) return hot;
    // Reads write nothing; a write's D1 notes whether it made a webhook delivery due.
    const writes = READS.has(method) ? null : watchingDeliveries(bound);
    const response = await app.fetch(request, writes?.env ?? bound, ctx);
    // Deliveries this request made due go to the queue once the response is on its way.
    if (writes?.due()) withRequestId(response.headers.get('request-id') ?? newRequestId(), () => enqueueAfterResponse(bound, ctx));
    return response;
  },
  queue: (batch, env, _ctx) =>
    withRequestId(newRequestId(), () =>
      isWebhookQueue(batch.queue) ? consumeWebhookDeliveries(batch, withFaults(env)) : isMailQueue(batch.queue) ? consumeMail(batch, env) : consumeUnderFaults(batch, withFaults(env), consumeClicks),
    ),
  scheduled: (controller, env, ctx) =>
    withRequestId(newRequestId(), () => {
      ctx.waitUntil(sweepWebhookDeliveries(env));
      return runScheduled(controller, env);
    }),
} satisfies ExportedHandler<Env, unknown>;
