// A retention var in days (CLICK_RETENTION_DAYS, WEBHOOK_EVENT_RETENTION_DAYS). Unset means the default; a value we
// cannot honour is never silently widened to "forever": a whole number from 1 to below the minimum keeps the
// minimum, anything else (0, a negative, a fraction, text) the default.
import { log } from './log';

// `warn`: log a value it cannot honour as retention_config_invalid. Only the cron job that applies the value asks,
// once a run; pages that merely show it stay quiet, or a bad value would log on every view.
export function configuredDays(name: string, configured: string | undefined, { fallback, minimum, warn = false }: { fallback: number; minimum: number; warn?: boolean }): number {
  if (configured === undefined || configured.trim() === '') return fallback;
  const days = Number(configured);
  if (Number.isSafeInteger(days) && days >= minimum) return days;
  const used = Number.isSafeInteger(days) && days > 0 ? minimum : fallback;
  if (warn) log.warn('retention_config_invalid', { [name]: configured, minimum, using: used });
  return used;
}
