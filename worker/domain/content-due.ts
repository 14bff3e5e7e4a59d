// When creators' first drafts are due, and who is behind. A brand gives a campaign a due *date*: it means the end
// of that day in the brand's timezone, stored as that instant (as a campaign's last day is: the console's endsOn).
// A creator's own date (a later one for someone who joined late) comes before the campaign's.
import { z } from 'zod';
import { campaignEnded } from './codes';
import { dayEnd, dayOf, DAY_MS, inDayYears, isDay } from './periods';

// A due date as the admin API takes it: a calendar day (due at its end, in the brand's timezone), or an exact
// instant with its offset, as startsAt and endsAt are sent. Years 2000 to 2199, as the console's dates.
const instant = z.iso.datetime({ offset: true });
export const dueDateInput = z
  .string()
  .max(40)
  .refine((s) => isDay(s) || (instant.safeParse(s).success && inDayYears(Date.parse(s))), 'A date such as 2026-12-12 (due at the end of that day in your timezone), or an ISO 8601 date-time with an offset.')
  .meta({ examples: ['2026-12-12'] });

/** The instant a due date (dueDateInput) falls due. */
export const dueAtFrom = (input: string, timeZone: string): number => (isDay(input) ? dayEnd(input, timeZone) : Date.parse(input));

/** The brand's calendar day (YYYY-MM-DD) a due instant ends: the last day creators have. */
export const dueDayOf = (dueAt: number, timeZone: string): string => dayOf(dueAt - 1, timeZone);

/**
 * The due instant a console form was drawn with (a hidden field: '' for none), so a save that leaves the date as
 * it was drawn changes nothing, whatever was set meanwhile; -1 for a value no form draws.
 */
export const drawnDueAt = (raw: string): number | null => (raw === '' ? null : /^\d{1,15}$/.test(raw) ? Number(raw) : -1);

/** Calendar days from today to the due day on the brand's calendar: 0 today, 1 tomorrow, below 0 past. */
export const daysUntilDue = (dueAt: number, timeZone: string, now: number): number =>
  Math.round((Date.parse(`${dueDayOf(dueAt, timeZone)}T00:00:00Z`) - Date.parse(`${dayOf(now, timeZone)}T00:00:00Z`)) / DAY_MS);

// The reminder may go from 09:00 on the third day before the due day, the brand's time ("due Friday" is mailed
// from Tuesday morning, not at midnight): the due instant is the end of the day, so that is four days less nine
// hours before it. In a week daylight saving time changes it is an hour either side, never the day before.
export const REMINDER_LEAD_MS = 4 * DAY_MS - 9 * 60 * 60 * 1000;

/** Whether a due instant is the end of its day on the brand's calendar (a date), not a time sent through the API. */
export const dueAtDayEnd = (dueAt: number, timeZone: string): boolean => dueAt === dayEnd(dueDayOf(dueAt, timeZone), timeZone);

// Still in the campaign: paused and benched creators too, as the campaign's updates count them. Invited ones
// have not said yes, removed ones are out.
export const IN_CAMPAIGN = ['active', 'paused', 'benched'] as const;

// A draft that still stands, in SQL over submissions `s`: sent and not rejected. Changes asked for, approved and
// live ones count; a creator whose only draft was rejected has sent nothing that counts.
export const DRAFT_STANDS = "s.status <> 'rejected'";

/**
 * Where a creator stands with their first draft: `sent` (a draft that still stands: anything but rejected),
 * `due` before the date, `overdue` after it; null where nothing is due (no date, a creator who has not joined
 * the brand or the campaign, or one removed, or a campaign that has ended).
 */
export type FirstDraft = 'sent' | 'due' | 'overdue' | null;

export function firstDraftState(
  e: { status: string; accepted: boolean; draftsStanding: number; dueAt: number | null },
  campaign: { campaign_status: string; ends_at: number | null },
  now: number,
): FirstDraft {
  if (e.dueAt === null || !e.accepted || !(IN_CAMPAIGN as readonly string[]).includes(e.status)) return null;
  if (campaignEnded(campaign, now)) return null;
  if (e.draftsStanding > 0) return 'sent';
  return now >= e.dueAt ? 'overdue' : 'due';
}
