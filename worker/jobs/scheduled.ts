// The cron trigger's work (worker/index.ts opens the run's request-id frame).
import type { Env } from '../env';
import { log } from '../lib/log';
import { sweepAwaitingOrders } from '../db/conversions';
import { enqueuingDueDeliveries } from '../webhooks/enqueue';
import { forgetIdempotencyKeys } from '../db/idempotency-keys';
import { forgetDeclinedApplications, forgetPaymentPairings, forgetUsedRecoveryCodes, pruneClicks, retentionDays } from './retention';
import { pruneWebhookEvents } from './webhook-retention';
import { webhookEventRetentionDays } from '../webhooks/event-retention';
import { tidyGiftAddresses } from './gift-addresses';
import { mailReviewDigests } from './review-digest';
import { mailEarningsDigests } from './earnings-digest';
import { mailWeeklyReports } from './weekly-report';
import { mailContentDueReminders } from './content-due';
import { mailMessageNotices } from './message-mail';
import { mailWaitingRightsExtensions } from './rights-extension-mail';
import { mailTwoStepResets } from './two-step-reset-mail';
import { FILL_BASIS_PERIODS } from '../db/money';
import { awardBounties } from '../db/bounties';
import { mailBountyAwards } from './bounty-award-mail';

// Each job runs even if one before it failed; a failure is rethrown at the end so the run shows as
// failed in the dashboard. Every job is safe to run again, so the next run starts over.
export async function runScheduled(controller: ScheduledController, env: Env): Promise<void> {
  const failed: unknown[] = [];
  const job = async (name: string, work: () => Promise<void>) => {
    try {
      await work();
    } catch (error) {
      log.error('scheduled_job_failed', { cron: controller.cron, job: name, error });
      failed.push(error);
    }
  };
  await job('click_retention', async () => {
    const retention = await pruneClicks(env.DB, { retentionDays: retentionDays(env.CLICK_RETENTION_DAYS, { warn: true }), now: controller.scheduledTime });
    log.info('clicks_pruned', { cron: controller.cron, ...retention });
  });
  await job('webhook_event_retention', async () => {
    const pruned = await pruneWebhookEvents(env.DB, { retentionDays: webhookEventRetentionDays(env.WEBHOOK_EVENT_RETENTION_DAYS, { warn: true }), now: controller.scheduledTime });
    if (pruned.brands > 0) log.info('webhook_events_pruned', { cron: controller.cron, ...pruned });
  });
  await job('idempotency_keys', async () => {
    const deleted = await forgetIdempotencyKeys(env.DB, controller.scheduledTime);
    if (deleted > 0) log.info('idempotency_keys_expired', { cron: controller.cron, deleted });
  });
  await job('payment_pairings', async () => {
    const deleted = await forgetPaymentPairings(env.DB, controller.scheduledTime);
    if (deleted > 0) log.info('payment_pairings_expired', { cron: controller.cron, deleted });
  });
  await job('declined_applications', async () => {
    const deleted = await forgetDeclinedApplications(env.DB, controller.scheduledTime);
    if (deleted > 0) log.info('declined_applications_deleted', { cron: controller.cron, deleted });
  });
  await job('used_recovery_codes', async () => {
    const deleted = await forgetUsedRecoveryCodes(env.DB, controller.scheduledTime);
    if (deleted > 0) log.info('used_recovery_codes_deleted', { cron: controller.cron, deleted });
  });
  await job('gift_addresses', async () => {
    const done = await tidyGiftAddresses(env.DB, env.SECRETS_KEY, controller.scheduledTime);
    if (done.removed + done.sealed > 0) log.info('gift_addresses_tidied', { cron: controller.cron, ...done });
  });
  await job('basis_periods', async () => {
    const { meta } = await env.DB.prepare(FILL_BASIS_PERIODS).run();
    if ((meta.changes ?? 0) > 0) log.info('basis_periods_filled', { cron: controller.cron, entries: meta.changes });
  });
  // Orders a failure left waiting for a click that has since been stored.
  await job('late_attribution', async () => {
    const late = await enqueuingDueDeliveries(env, (db) => sweepAwaitingOrders(db, controller.scheduledTime));
    if (late.credited.length > 0) log.info('awaiting_orders_swept', { cron: controller.cron, credited: late.credited.length });
  });
  // A security notice (someone had the operator reset the creator's two-step sign-in): before the bulk mails, which
  // can each take minutes a run when the mail queue is down and mails go one by one.
  await job('two_step_reset_mail', async () => {
    const mailed = await mailTwoStepResets(env, controller.scheduledTime);
    if (mailed > 0) log.info('two_step_reset_mails_queued', { cron: controller.cron, mailed });
  });
  // After the late attribution, so an order that just found its click counts; after the security notice, which must not
  // wait on it. Its statements (BOUNTY_STATEMENTS) share the run's D1 limit with the late attribution's.
  await job('bounty_awards', async () => {
    const awarded = await awardBounties(env.DB, controller.scheduledTime);
    if (awarded.length > 0) log.info('bounties_awarded', { cron: controller.cron, bounties: awarded.length, awards: awarded.reduce((n, a) => n + a.awarded, 0) });
  });
  // Right after the awards, so a creator hears of one in the run that made it (and of one a failed run left, next run).
  await job('bounty_award_mail', async () => {
    const mailed = await mailBountyAwards(env, controller.scheduledTime);
    if (mailed > 0) log.info('bounty_award_mails_queued', { cron: controller.cron, mailed });
  });
  await job('review_digest', async () => {
    const mailed = await mailReviewDigests(env, controller.scheduledTime);
    if (mailed > 0) log.info('review_digests_queued', { cron: controller.cron, mailed });
  });
  await job('earnings_digest', async () => {
    const handed = await mailEarningsDigests(env, controller.scheduledTime);
    if (handed > 0) log.info('earnings_digests_handed_on', { cron: controller.cron, handed });
  });
  await job('weekly_report', async () => {
    const mailed = await mailWeeklyReports(env, controller.scheduledTime);
    if (mailed > 0) log.info('weekly_reports_queued', { cron: controller.cron, mailed });
  });
  await job('content_due_reminders', async () => {
    const mailed = await mailContentDueReminders(env, controller.scheduledTime);
    if (mailed > 0) log.info('content_due_reminders_queued', { cron: controller.cron, mailed });
  });
  await job('message_mail', async () => {
    const mailed = await mailMessageNotices(env, controller.scheduledTime);
    if (mailed > 0) log.info('message_mails_queued', { cron: controller.cron, mailed });
  });
  await job('rights_extension_mail', async () => {
    const mailed = await mailWaitingRightsExtensions(env, controller.scheduledTime);
    if (mailed > 0) log.info('rights_extension_mails_queued', { cron: controller.cron, mailed });
  });
  if (failed.length > 0) throw failed[0];
}
