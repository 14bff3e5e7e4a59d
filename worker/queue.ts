import { writeClicks } from './db/clicks';
import { isClickMessage, type ClickMessage } from './domain/clicks';
import type { Env } from './env';

// Writes a batch of clicks in one D1 batch. A failure retries the whole batch; the writes are
// idempotent, so a redelivery adds nothing.
export async function consumeClicks(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const valid: ClickMessage[] = [];
  for (const message of batch.messages) {
    if (isClickMessage(message.body)) valid.push(message.body);
    else console.warn(JSON.stringify({ event: 'click_message_dropped', id: message.id }));
  }
  try {
    await writeClicks(env.DB, valid);
  } catch (error) {
    console.error(JSON.stringify({ event: 'click_batch_failed', size: batch.messages.length, error: String(error) }));
    batch.retryAll({ delaySeconds: 1 });
  }
}
