// The cron trigger's work. Each run gets its own request id, so its log lines can be followed together.
import type { Env } from '../env';
import { log, newRequestId, withRequestId } from '../lib/log';
import { pruneClicks, retentionDays } from './retention';

export function runScheduled(controller: ScheduledController, env: Env): Promise<void> {
  return withRequestId(newRequestId(), async () => {
    try {
      const retention = await pruneClicks(env.DB, { retentionDays: retentionDays(env.CLICK_RETENTION_DAYS), now: controller.scheduledTime });
      log.info('clicks_pruned', { cron: controller.cron, ...retention });
    } catch (error) {
      log.error('scheduled_job_failed', { cron: controller.cron, job: 'click_retention', error });
      // Rethrown so the run shows as failed in the dashboard; the next run starts over safely.
      throw error;
    }
  });
}
