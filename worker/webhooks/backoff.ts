// When a failed delivery is tried again: exponential backoff with "equal jitter" (half the step fixed,
// half random), so retries spread out after a receiver's outage yet each wait is at least half its step.

// Attempts per queue message, the first included. wrangler.toml's max_retries for chorus-webhooks is one
// less, so the consumer marks the delivery failed on the last attempt before the queue would drop it.
export const MAX_DELIVERY_ATTEMPTS = 16;
export const DEFAULT_RETRY_BASE_SECONDS = 30;
export const RETRY_CAP_SECONDS = 3_600;

// Wait after failed attempt number `attempt` (1-based); `random` in [0, 1). Whole seconds, as Queues wants.
export function retryDelaySeconds(attempt: number, baseSeconds: number, random: number): number {
  const step = Math.min(RETRY_CAP_SECONDS, baseSeconds * 2 ** Math.min(Math.max(attempt, 1) - 1, 30));
  return Math.max(1, Math.ceil(step / 2 + random * (step / 2)));
}

// WEBHOOK_RETRY_BASE_SECONDS shortens the schedule for local runs; anything unusable falls back to 30 s.
export function retryBaseSeconds(raw: string | undefined): number {
  const n = Number(raw);
  return raw !== undefined && Number.isInteger(n) && n >= 1 && n <= RETRY_CAP_SECONDS ? n : DEFAULT_RETRY_BASE_SECONDS;
}
