// Extending a grant: a brand running a creator's post as ads asks for more time (or no end), uses the creator
// did not grant (adding `paid` to organic reposting), for a fee, and the creator accepts or declines. What the
// creator accepts is written in words here, once for the page and once for the record, so what they read is
// what is kept; an acceptance extends the grant from its end (from the day of acceptance once it has ended).
import { z } from 'zod';
import { formatDate, formatMoney } from '../../portal/format';
import { termsText } from '../lib/validate';
import { addDays, dayEnd, dayOf } from './periods';
import { listInWords, MAX_RIGHTS_DAYS, RIGHTS_SCOPES, SCOPE_LABELS, SCOPE_WORDS, type RightsScope } from './usage-rights';

/** The most one extension pays: an adjustment's cap (db/adjustments.ts), 100,000.00 in a two-decimal currency. */
export const MAX_RIGHTS_FEE_MINOR = 10_000_000;
export const RIGHTS_EXTENSION_NOTE_MAX = 500;

export type RightsExtensionStatus = 'open' | 'accepted' | 'declined' | 'withdrawn';

export const rightsExtensionInput = z
  .strictObject({
    days: z.int().min(1).max(MAX_RIGHTS_DAYS).optional().meta({ description: `Days added to the grant's end (to the day the creator accepts, if the grant has ended by then), 1 to ${MAX_RIGHTS_DAYS}. Send this or \`noEnd\`.` }),
    noEnd: z.literal(true).optional().meta({ description: 'The grant no longer ends. Send this or `days`.' }),
    scopes: z
      .array(z.enum(RIGHTS_SCOPES))
      .max(RIGHTS_SCOPES.length)
      .refine((s) => new Set(s).size === s.length, 'Name each use once.')
      .default([])
      .meta({ description: 'Uses to add to those granted (any already granted stay, and are not kept with the request).' }),
    feeMinor: z.int().min(0).max(MAX_RIGHTS_FEE_MINOR).default(0).meta({ description: "What you pay the creator for it, in minor units of your brand's currency, paid as a bonus once they accept." }),
    note: termsText(RIGHTS_EXTENSION_NOTE_MAX).default('').meta({ description: 'Plain text the creator reads with the request.' }),
  })
  .refine((b) => (b.days === undefined) !== (b.noEnd === undefined), { message: 'Send either `days` or `"noEnd": true`.', path: ['days'] })
  .meta({ examples: [{ days: 180, scopes: ['paid'], feeMinor: 15_000, note: 'For the spring paid campaign.' }] });

export type RightsExtensionInput = z.output<typeof rightsExtensionInput>;

/** The request as stored: days null for no end. */
export type ExtensionAsk = { days: number | null; scopes: RightsScope[]; feeMinor: number; currency: string; note: string };

/** The grant as it stands when the request is read: its uses in force and its end (null: none). */
export type GrantNow = { scopes: RightsScope[]; until: number | null };

/**
 * The grant's new end: `days` after its last day, or after today once it has ended (today counts as the day it
 * starts, as an approval day does), through the end of that day on the brand's calendar. null: no end.
 */
export function extendedUntil(until: number | null, days: number | null, now: number, timeZone: string): number | null {
  if (days === null) return null;
  const from = until !== null && until > now ? dayOf(until - 1, timeZone) : dayOf(now, timeZone);
  return dayEnd(addDays(from, days), timeZone);
}

/** The uses in force once accepted, in the one order. */
export const scopesAfter = (grant: GrantNow, ask: Pick<ExtensionAsk, 'scopes'>): RightsScope[] => RIGHTS_SCOPES.filter((s) => grant.scopes.includes(s) || ask.scopes.includes(s));

/** Whether the request gives the brand anything the grant does not (a grant without an end takes only new uses). */
export const extendsAnything = (grant: GrantNow, ask: Pick<ExtensionAsk, 'scopes'>) => grant.until !== null || ask.scopes.some((s) => !grant.scopes.includes(s));

/** Whether any request could extend the grant: not one without an end that has every use already. */
export const extendable = (grant: GrantNow) => extendsAnything(grant, { scopes: [...RIGHTS_SCOPES] });

/** The uses a request adds, in the one order: those asked that the grant does not have (a request keeps only these). */
export const addedScopes = (grant: GrantNow, asked: RightsScope[]): RightsScope[] => RIGHTS_SCOPES.filter((s) => asked.includes(s) && !grant.scopes.includes(s));

const lower = (scopes: RightsScope[]) => listInWords(scopes.map((s) => SCOPE_LABELS[s].toLowerCase()));

/**
 * The request in the words the creator reads beside Accept, addressed to them, as of `now` (the new end of a grant
 * that has ended counts from today): the uses, the end, the fee, and the brand's note. The same words are kept
 * with the acceptance, and a form whose words no longer match (a day passed, the post went live) is shown again.
 */
export function extensionInWords(ask: ExtensionAsk, grant: GrantNow, brand: string, now: number, timeZone: string): string {
  const added = ask.scopes.filter((s) => !grant.scopes.includes(s));
  const uses = added.length > 0 ? `${brand} may also ${listInWords(added.map((s) => SCOPE_WORDS[s]))}, beside the ${lower(grant.scopes)} you granted.` : `The uses stay as you granted them: ${lower(grant.scopes)}.`;
  const until = extendedUntil(grant.until, ask.days, now, timeZone);
  const days = ask.days === 1 ? '1 day' : `${ask.days} days`;
  const end =
    until === null
      ? grant.until === null
        ? 'Your grant has no end date, and keeps none.'
        : 'Your grant no longer ends: it runs with no end date.'
      : grant.until !== null && grant.until > now
        ? `Your grant runs ${days} longer: through ${formatDate(until - 1, timeZone)} instead of ${formatDate(grant.until - 1, timeZone)}.`
        : `Your grant ended on ${formatDate((grant.until ?? now) - 1, timeZone)}; it runs again from today for ${days}, through ${formatDate(until - 1, timeZone)}.`;
  const fee = ask.feeMinor > 0 ? `${brand} pays you ${formatMoney(ask.feeMinor, ask.currency)} for it, added to your earnings when you accept.` : `${brand} offers no fee for it.`;
  return [`${uses} ${end} ${fee}`, ...(ask.note ? [`${brand}'s note: ${ask.note}`] : [])].join('\n');
}

/** The words a form carried back, as the server wrote them: browsers send a hidden value's line breaks as CR LF. */
export const sameWords = (carried: string, words: string) => carried.replace(/\r\n?/g, '\n') === words;

/** A request in a line, for the brand: "90 more days, adds paid ads, €150.00" (its scopes are those it added: addedScopes). */
export function askInWords(ask: ExtensionAsk): string {
  const parts = [ask.days === null ? 'no end date' : `${ask.days === 1 ? '1 more day' : `${ask.days} more days`}`];
  if (ask.scopes.length > 0) parts.push(`adds ${lower(ask.scopes)}`);
  parts.push(ask.feeMinor > 0 ? formatMoney(ask.feeMinor, ask.currency) : 'no fee');
  return parts.join(', ');
}
