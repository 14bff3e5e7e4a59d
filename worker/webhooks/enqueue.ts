// Hands due deliveries to the WEBHOOKS queue. It runs after every request that may have written events
// (inside waitUntil, once the response is out) and from the cron sweep, which also catches deliveries
// whose enqueue failed or whose queue message was lost, so a committed event is never left behind.
import { claimDueDeliveries, releaseClaims } from '../db/webhooks';
import type { Env } from '../env';
import { log } from '../lib/log';

// A message retried by the consumer is due again within its delay (at most an hour); a pending delivery
// whose due time is this far in the past has lost its message and is sent again (at least once).
export const LOST_MESSAGE_AFTER_MS = 2 * 3_600_000;
// Queues' sendBatch takes at most 100 messages.
const CLAIM_SIZE = 100;
const MAX_ROUNDS = 20;

export async function enqueueDueDeliveries(env: Env, now = Date.now()): Promise<number> {
  let sent = 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const ids = await claimDueDeliveries(env.DB, now, now - LOST_MESSAGE_AFTER_MS, CLAIM_SIZE);
    if (ids.length === 0) break;
    try {
      await env.WEBHOOKS.sendBatch(ids.map((deliveryId) => ({ body: { deliveryId }, contentType: 'json' as const })));
      sent += ids.length;
    } catch (error) {
      log.error('webhook_enqueue_failed', { deliveries: ids.length, error });
      await releaseClaims(env.DB, ids).catch(() => {});
      break;
    }
    if (ids.length < CLAIM_SIZE) break;
  }
  return sent;
}

// Reads and bad requests write nothing; anything else may have committed events (a 503 after a commit too).
const mayHaveWritten = (request: Request, response: Response) => !['GET', 'HEAD', 'OPTIONS'].includes(request.method) && !(response.status >= 400 && response.status < 500);

export function enqueueAfterResponse(request: Request, response: Response, env: Env, ctx: ExecutionContext): void {
  if (!mayHaveWritten(request, response)) return;
  ctx.waitUntil(
    enqueueDueDeliveries(env).catch((error: unknown) => {
      // The cron sweep retries; the request already succeeded.
      log.error('webhook_enqueue_failed', { error });
    }),
  );
}

// The cron's share: anything committed but never handed over, or handed over and lost, goes out now.
export async function sweepWebhookDeliveries(env: Env): Promise<void> {
  try {
    const sent = await enqueueDueDeliveries(env);
    if (sent > 0) log.info('webhook_sweep', { sent });
  } catch (error) {
    log.error('webhook_sweep_failed', { error });
  }
}
