// Hands due deliveries to the WEBHOOKS queue. It runs after every request that made one due (inside
// waitUntil, once the response is out) and from the cron sweep, which also catches deliveries whose
// enqueue failed or whose queue message was lost, so a committed event is never left behind.
import { claimDueDeliveries, madeDeliveriesDue, releaseClaims } from '../db/webhooks';
import type { Env } from '../env';
import { aroundBatches } from '../lib/d1-batches';
import { log } from '../lib/log';
import type { WebhookMessage } from './events';

// A message retried by the consumer is due again within its delay (at most an hour); a pending delivery
// whose due time is this far in the past has lost its message and is sent again (at least once).
export const LOST_MESSAGE_AFTER_MS = 2 * 3_600_000;
// Queues' sendBatch takes at most 100 messages.
const CLAIM_SIZE = 100;
const MAX_ROUNDS = 20;

export async function enqueueDueDeliveries(env: Env, now = Date.now()): Promise<number> {
  let sent = 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const claimed = await claimDueDeliveries(env.DB, now, now - LOST_MESSAGE_AFTER_MS, CLAIM_SIZE);
    if (claimed.length === 0) break;
    try {
      await env.WEBHOOKS.sendBatch(claimed.map(({ id, generation }) => ({ body: { deliveryId: id, generation } satisfies WebhookMessage, contentType: 'json' as const })));
      sent += claimed.length;
    } catch (error) {
      log.error('webhook_enqueue_failed', { deliveries: claimed.length, error });
      await releaseClaims(
        env.DB,
        claimed.map((c) => c.id),
      ).catch(() => {});
      break;
    }
    if (claimed.length < CLAIM_SIZE) break;
  }
  return sent;
}

// A write request's env, whose D1 notes whether any of its batches made a delivery due (a fan-out that
// inserted deliveries, a replay that changed its row, or either in a batch that failed and may have
// committed anyway). Only then is there anything to claim after the response; a delivery whose hand-over
// failed earlier waits for the next such write or the cron sweep. Those statements only ever run in
// batches (db/webhooks.ts), in a session too.
export function watchingDeliveries(env: Env): { env: Env; due: () => boolean } {
  let due = false;
  const watched = aroundBatches(env.DB, async (batch, statements) => {
    try {
      const results = await batch(statements);
      due ||= madeDeliveriesDue(statements, results);
      return results;
    } catch (error) {
      due ||= madeDeliveriesDue(statements);
      throw error;
    }
  });
  return { env: { ...env, DB: watched }, due: () => due };
}

// Work whose writes may make deliveries due (crediting a waiting order makes its conversion.attributed
// due), then the hand-over of what it made due. The click consumer, the redirect's direct-write fallback
// and the cron's late-attribution job all credit this way. The hand-over runs even when the work fails
// part-way (crediting runs in several batches: the ones that committed made their deliveries due), and
// the work's own failure still reaches the caller. A failed hand-over is only logged: what it would have
// sent is committed, and the cron sweep sends it.
export async function enqueuingDueDeliveries<T>(env: Env, work: (db: D1Database) => Promise<T>): Promise<T> {
  const writes = watchingDeliveries(env);
  try {
    return await work(writes.env.DB);
  } finally {
    if (writes.due()) await handOverLogged(env);
  }
}

// A hand-over after committed work: its failure is logged, not thrown (the work stands), and the cron sweep retries.
const handOverLogged = (env: Env): Promise<unknown> => enqueueDueDeliveries(env).catch((error: unknown) => log.error('webhook_enqueue_failed', { error }));

export function enqueueAfterResponse(env: Env, ctx: ExecutionContext): void {
  ctx.waitUntil(handOverLogged(env));
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
