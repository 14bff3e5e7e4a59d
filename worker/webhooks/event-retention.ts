// How long outgoing webhook events and their deliveries are kept: WEBHOOK_EVENT_RETENTION_DAYS. The cron job that
// deletes them (jobs/webhook-retention.ts) reads it, and so do the console and the replay's 404, which say it.
import { configuredDays } from '../lib/configured-days';

export const DEFAULT_WEBHOOK_EVENT_RETENTION_DAYS = 30;
// A receiver that broke over a long weekend is noticed, fixed and its failed deliveries replayed within a week.
export const MIN_WEBHOOK_EVENT_RETENTION_DAYS = 7;

// `warn` from the cron only (lib/configured-days.ts).
export const webhookEventRetentionDays = (configured: string | undefined, { warn = false } = {}): number =>
  configuredDays('WEBHOOK_EVENT_RETENTION_DAYS', configured, { fallback: DEFAULT_WEBHOOK_EVENT_RETENTION_DAYS, minimum: MIN_WEBHOOK_EVENT_RETENTION_DAYS, warn });
