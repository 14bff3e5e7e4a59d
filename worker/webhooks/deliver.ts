// The WEBHOOKS queue consumer: one signed POST per message. 2xx marks the delivery delivered; anything
// else is retried with backoff (message.retry) until the last attempt, which marks it failed. Delivery is
// at least once: a receiver dedupes on the event id, which every retry and replay repeats.
import { TEST_EVENT_TYPE } from '../db/schema';
import { loadDeliveryTarget, recordAttempt, type AttemptOutcome, type DeliveryTarget } from '../db/webhooks';
import type { Env } from '../env';
import { log } from '../lib/log';
import { openSecret } from '../lib/secrets';
import { signTimestamped } from '../lib/signatures';
import { MAX_DELIVERY_ATTEMPTS, retryBaseSeconds, retryDelaySeconds } from './backoff';
import { allowsLoopbackWebhooks, checkWebhookUrl } from './endpoint-url';
import { eventBody, isWebhookMessage } from './events';

export const DELIVERY_TIMEOUT_MS = 10_000;
// D1 trouble is ours, not the receiver's: retried soon, and not counted as an attempt on the delivery.
const STORAGE_RETRY_SECONDS = 5;
const MAX_ERROR_LENGTH = 300;

export type Send = (url: string, init: RequestInit) => Promise<Response>;

type Attempt = { ok: true; statusCode: number } | { ok: false; statusCode: number | null; error: string; permanent: boolean };

export async function consumeWebhookDeliveries(batch: MessageBatch<unknown>, env: Env, send: Send = fetch): Promise<void> {
  await Promise.all(batch.messages.map((message) => deliverMessage(message, env, send)));
}

async function deliverMessage(message: Message<unknown>, env: Env, send: Send): Promise<void> {
  if (!isWebhookMessage(message.body)) {
    log.warn('webhook_message_dropped', { messageId: message.id });
    return message.ack();
  }
  const id = message.body.deliveryId;
  try {
    const target = await loadDeliveryTarget(env.DB, id);
    const generation = message.body.generation ?? 0;
    // Delivered, failed, or replayed since this message was sent (the replay's own message sends it): nothing to do.
    if (!target || target.status !== 'pending' || target.generation !== generation) return message.ack();
    const result = await attempt(target, env, send);
    const now = Date.now();
    // Counted on the delivery, not the message: storage trouble retries the message without an attempt, and
    // a replay starts the count again.
    const attemptNumber = target.attempts + 1;
    const scheduled = outcomeOf(result, attemptNumber, retryBaseSeconds(env.WEBHOOK_RETRY_BASE_SECONDS), Math.random(), now);
    // A test event is tried once: the owner is watching for the answer, not for a retry hours later.
    const outcome: AttemptOutcome = scheduled.status === 'pending' && target.type === TEST_EVENT_TYPE ? { status: 'failed', statusCode: scheduled.statusCode, error: scheduled.error } : scheduled;
    await recordAttempt(env.DB, id, outcome, now, generation);
    log.info('webhook_attempt', { delivery: id, attempt: attemptNumber, outcome: outcome.status, status_code: outcome.statusCode });
    if (outcome.status === 'pending') message.retry({ delaySeconds: Math.round((outcome.nextAttemptAt - now) / 1000) });
    else message.ack();
  } catch (error) {
    log.error('webhook_delivery_storage_error', { delivery: id, error });
    message.retry({ delaySeconds: STORAGE_RETRY_SECONDS });
  }
}

// What one attempt means for the delivery: done, try again after the backoff, or give up.
export function outcomeOf(result: Attempt, attemptNumber: number, baseSeconds: number, random: number, now: number): AttemptOutcome {
  if (result.ok) return { status: 'delivered', statusCode: result.statusCode };
  if (result.permanent || attemptNumber >= MAX_DELIVERY_ATTEMPTS) return { status: 'failed', statusCode: result.statusCode, error: result.error };
  return { status: 'pending', statusCode: result.statusCode, error: result.error, nextAttemptAt: now + retryDelaySeconds(attemptNumber, baseSeconds, random) * 1000 };
}

async function attempt(target: DeliveryTarget, env: Env, send: Send): Promise<Attempt> {
  if (!target.enabled) return { ok: false, statusCode: null, error: 'The endpoint is disabled.', permanent: true };
  const url = checkWebhookUrl(target.url, { allowLoopbackHttp: allowsLoopbackWebhooks(env.ENVIRONMENT) });
  if (!url.ok) return { ok: false, statusCode: null, error: `The endpoint URL is not allowed here (${url.reason}).`, permanent: true };
  const body = await eventBody({ id: target.event_id, type: target.type, payload: target.payload, created_at: target.created_at, brand_id: target.brand_id, brand_slug: target.brand_slug }, env.SECRETS_KEY);
  if (body === null) {
    log.error('gift_address_unreadable', { event: target.event_id, delivery: target.id });
    return { ok: false, statusCode: null, error: "The event's shipping address cannot be read (SECRETS_KEY changed?).", permanent: true };
  }
  let secrets: string[];
  try {
    // After a roll, the old secret signs too until its time is up (previous_secret_until).
    const previous = target.previous_secret_enc && (target.previous_secret_until ?? 0) > Date.now() ? target.previous_secret_enc : null;
    secrets = await Promise.all([target.secret_enc, ...(previous ? [previous] : [])].map((sealed) => openSecret(env.SECRETS_KEY, sealed)));
  } catch {
    // Sealed under another SECRETS_KEY: no retry can sign it; replace the endpoint.
    return { ok: false, statusCode: null, error: 'The endpoint secret cannot be read (SECRETS_KEY changed?); add the endpoint again.', permanent: true };
  }
  let response: Response;
  try {
    response = await send(url.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Chorus-Webhooks/1',
        'chorus-signature': await signTimestamped(secrets, body, Date.now()),
        'chorus-event-id': target.event_id,
        'chorus-event-type': target.type,
        'chorus-delivery-id': target.id,
      },
      body,
      // A redirect could lead anywhere; receivers answer the URL they registered.
      redirect: 'manual',
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    // The runtime's own wording ("internal error; reference = …") means nothing to a brand: name the host.
    return { ok: false, statusCode: null, error: timedOut ? `No answer within ${DELIVERY_TIMEOUT_MS / 1000} s.` : clip(`Could not connect to ${new URL(url.url).host}.`), permanent: false };
  }
  if (response.status >= 200 && response.status < 300) {
    await response.body?.cancel().catch(() => {});
    return { ok: true, statusCode: response.status };
  }
  const snippet = await firstChunk(response);
  return { ok: false, statusCode: response.status, error: clip(`HTTP ${response.status}${snippet ? `: ${snippet}` : ''}`), permanent: false };
}

// Enough of the receiver's answer to tell what went wrong, without reading an unbounded body.
async function firstChunk(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  try {
    const { value } = await reader.read();
    return value ? new TextDecoder().decode(value.slice(0, MAX_ERROR_LENGTH)).replace(/\s+/g, ' ').trim() : '';
  } catch {
    return '';
  } finally {
    await reader.cancel().catch(() => {});
  }
}

const clip = (s: string) => (s.length > MAX_ERROR_LENGTH ? `${s.slice(0, MAX_ERROR_LENGTH - 1)}…` : s);
