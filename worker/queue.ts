import { writeClicks } from './db/clicks';
import { isClickMessage, type ClickMessage } from './domain/clicks';
import type { Env } from './env';
import { log } from './lib/log';

// Writes a batch of clicks in one D1 batch. A failure retries the whole batch; the writes are
// idempotent, so a redelivery adds nothing.
export async function consumeClicks(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const valid: ClickMessage[] = [];
  for (const message of batch.messages) {
    if (isClickMessage(message.body)) valid.push(message.body);
    else log.warn('click_message_dropped', { queue: batch.queue, messageId: message.id });
  }
  try {
    await writeClicks(env.DB, valid);
  } catch (error) {
    log.error('click_batch_failed', { queue: batch.queue, size: batch.messages.length, error });
    batch.retryAll({ delaySeconds: 1 });
  }
}
