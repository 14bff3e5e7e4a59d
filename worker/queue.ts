import { writeClicks } from './db/clicks';
import { attributeAwaitingOrders } from './db/conversions';
import { readClickMessage, type ClickMessage } from './domain/clicks';
import type { Env } from './env';
import { log } from './lib/log';
import { enqueuingDueDeliveries } from './webhooks/enqueue';

// Writes a batch of clicks in one D1 batch, which also reads the orders that named them before they
// landed; those are credited in batches after it. A failure retries the whole batch; every step is
// idempotent, so a redelivery adds nothing. A message carries the clicks of one flush of the redirect
// (an array); a message holding a single click (what the redirect sent before) is read as well.
export async function consumeClicks(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const valid: ClickMessage[] = [];
  const now = Date.now();
  for (const message of batch.messages) {
    const clicks: unknown[] = Array.isArray(message.body) ? message.body : [message.body];
    let dropped = 0;
    for (const body of clicks) {
      const click = readClickMessage(body, now);
      if (click) valid.push(click);
      else dropped++;
    }
    if (dropped > 0) log.warn('click_message_dropped', { queue: batch.queue, messageId: message.id, dropped, of: clicks.length });
  }
  try {
    // Orders that named these clicks before they landed are credited now; a failure of either step
    // retries the batch, and both steps are idempotent.
    await enqueuingDueDeliveries(env, async (db) => attributeAwaitingOrders(db, await writeClicks(db, valid)));
  } catch (error) {
    log.error('click_batch_failed', { queue: batch.queue, size: batch.messages.length, error });
    batch.retryAll({ delaySeconds: 1 });
  }
}
