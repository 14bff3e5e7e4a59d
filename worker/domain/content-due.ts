// When creators' first drafts are due, and who is behind. A brand gives a campaign a due *date*: it means the end
// of that day in the brand's timezone, stored as that instant (as a campaign's last day is: the console's endsOn).
// A creator's own date (a later one for someone who joined late) comes before the campaign's.
import { z } from 'zod';
import { dayEnd, dayOf, DAY_MS, isDay } from './periods';

// A due date as the admin API takes it: a calendar day (due at its end, in the brand's timezone), or an exact
// instant with its offset, as startsAt and endsAt are sent. Years 2000 to 2199, as the console's dates.
const instant = z.iso.datetime({ offset: true });
const inRange = (ms: number) => ms >= Date.UTC(2000, 0, 1) && ms < Date.UTC(2200, 0, 1);
export const dueDateInput = z
  .string()
  .max(40)
  .refine((s) => isDay(s) || (instant.safeParse(s).success && inRange(Date.parse(s))), 'A date such as 2026-12-12 (due at the end of that day in your timezone), or an ISO 8601 date-time with an offset.')
  .meta({ examples: ['2026-12-12'] });

/** The instant a due date (dueDateInput) falls due. */
export const dueAtFrom = (input: string, timeZone: string): number => (isDay(input) ? dayEnd(input, timeZone) : Date.parse(input));

/** The brand's calendar day (YYYY-MM-DD) a due instant ends: the last day creators have. */
export const dueDayOf = (dueAt: number, timeZone: string): string => dayOf(dueAt - 1, timeZone);

/** Calendar days from today to the due day on the brand's calendar: 0 today, 1 tomorrow, below 0 past. */
export const daysUntilDue = (dueAt: number, timeZone: string, now: number): number =>
  Math.round((Date.parse(`${dueDayOf(dueAt, timeZone)}T00:00:00Z`) - Date.parse(`${dayOf(now, timeZone)}T00:00:00Z`)) / DAY_MS);

// The reminder may go from four days before the instant: the start of the third day before the due day (an hour
// either side in a week daylight saving time changes), so "due Friday" is mailed from Tuesday.
export const REMINDER_LEAD_MS = 4 * DAY_MS;

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
  campaign: { status: string; endsAt: number | null },
  now: number,
): FirstDraft {
  if (e.dueAt === null || !e.accepted || !(IN_CAMPAIGN as readonly string[]).includes(e.status)) return null;
  if (campaign.status === 'ended' || (campaign.endsAt !== null && campaign.endsAt <= now)) return null;
  if (e.draftsStanding > 0) return 'sent';
  return now >= e.dueAt ? 'overdue' : 'due';
}
