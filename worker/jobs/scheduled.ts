// The cron trigger's work (worker/index.ts opens the run's request-id frame).
import type { Env } from '../env';
import { log } from '../lib/log';
import { pruneClicks, retentionDays } from './retention';

export async function runScheduled(controller: ScheduledController, env: Env): Promise<void> {
  try {
    const retention = await pruneClicks(env.DB, { retentionDays: retentionDays(env.CLICK_RETENTION_DAYS), now: controller.scheduledTime });
    log.info('clicks_pruned', { cron: controller.cron, ...retention });
  } catch (error) {
    log.error('scheduled_job_failed', { cron: controller.cron, job: 'click_retention', error });
    // Rethrown so the run shows as failed in the dashboard; the next run starts over safely.
    throw error;
  }
}
