// Content usage rights: what a campaign asks of its creators' posts (reposting on the brand's own accounts, paid
// ads, partnership ads run from the creator's handle), for how long, and what a creator granted. A grant keeps
// the terms as the creator saw them when they ticked the box: a later change to the brief changes no past grant.
// The clock starts at approval and starts again on the day the post first goes live (going live again after being
// marked not live keeps the end it had), and a grant runs through the end of its last day on the brand's calendar.
// A brand may later ask the creator to extend a grant (domain/rights-extensions.ts): an accepted extension moves
// the end and adds uses, and the original terms stay on the submission as the creator first granted them.
import { z } from 'zod';
import { termsText } from '../lib/validate';
import { addDays, dayEnd, dayOf, DAY_MS } from './periods';
import type { SubmissionStatus } from './submissions';

export const RIGHTS_SCOPES = ['organic', 'paid', 'partnership'] as const;
export type RightsScope = (typeof RIGHTS_SCOPES)[number];

/** The terms a campaign asks (null: none) and a grant records. `days` null: no end. */
export type UsageRights = { scopes: RightsScope[]; days: number | null; note: string };

/** Ten years: a longer term is a typo, or means "no end" (null). */
export const MAX_RIGHTS_DAYS = 3650;

export const SCOPE_LABELS: Record<RightsScope, string> = { organic: 'Organic reposting', paid: 'Paid ads', partnership: 'Partnership ads' };

// The words a creator reads before granting each scope: what the brand may do with their post.
export const SCOPE_WORDS: Record<RightsScope, string> = {
  organic: 'repost it on its own accounts',
  paid: 'run it as paid ads',
  partnership: 'run it as partnership (whitelisted) ads from your handle',
};

export const usageRightsInput = z
  .strictObject({
    scopes: z
      .array(z.enum(RIGHTS_SCOPES))
      .min(1, 'Ask for at least one use, or send null to ask for none.')
      .max(RIGHTS_SCOPES.length)
      .refine((s) => new Set(s).size === s.length, 'Name each use once.'),
    days: z.int().min(1).max(MAX_RIGHTS_DAYS).nullable().meta({ description: 'How many days the grant runs: counted from the approval, and counted again from the day the post first goes live; null: no end.' }),
    note: termsText(500).default(''),
  })
  .meta({ examples: [{ scopes: ['organic', 'paid'], days: 365, note: 'Cut-downs of up to 15 seconds included.' }] });

/** Scopes in one order, so the same terms are always written (and compared) the same way. */
export const canonicalRights = (r: UsageRights): UsageRights => ({ scopes: RIGHTS_SCOPES.filter((s) => r.scopes.includes(s)), days: r.days, note: r.note });

/** The terms as stored and as a form carries them: '' for none. */
export const rightsKey = (r: UsageRights | null): string => (r ? JSON.stringify(canonicalRights(r)) : '');

/** Stored terms (a campaign's or a grant's JSON column), or null for none or for anything that is not terms. */
export function parseRights(raw: string | null | undefined): UsageRights | null {
  if (!raw) return null;
  try {
    const parsed = usageRightsInput.safeParse(JSON.parse(raw));
    return parsed.success ? canonicalRights(parsed.data) : null;
  } catch {
    return null;
  }
}

export const listInWords = (items: string[]) => (items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`);

export const scopesInWords = (r: UsageRights) => listInWords(r.scopes.map((s) => SCOPE_LABELS[s].toLowerCase())).replace(/^./, (c) => c.toUpperCase());

// The rule in plain words: the days start when the draft is approved, and start over once, on the day the post
// first goes live (a post taken down and put up again does not restart them).
export const termInWords = (days: number | null) =>
  days === null ? 'with no end date' : `for ${days === 1 ? '1 day' : `${days} days`}, counted from the day the draft is approved and counted again from the day the post first goes live`;

/** The terms as a creator reads them, addressed to them: "<Brand> may repost it…, for 365 days from …". */
export const rightsInWords = (r: UsageRights, brand: string) => `${brand} may ${listInWords(r.scopes.map((s) => SCOPE_WORDS[s]))}, ${termInWords(r.days)}.`;

/**
 * When a grant ends: the end of the day `days` days after the day it started (the post's going live, or its
 * approval), on the brand's calendar, so "365 days" from 5 Mar 2026 runs through 5 Mar 2027 wherever the clocks
 * changed in between. null: no end.
 */
export const rightsUntil = (days: number | null, startedAt: number, timeZone: string): number | null => (days === null ? null : dayEnd(addDays(dayOf(startedAt, timeZone), days), timeZone));

/** Rights ending within this many days are "ending soon": the library's filter and the weekly report's list. */
export const ENDING_SOON_DAYS = 30;
export const ENDING_SOON_MS = ENDING_SOON_DAYS * DAY_MS;

export type RightsState = 'none' | 'pending' | 'active' | 'ending' | 'expired';

/**
 * Where a piece of content's rights stand: none asked (or granted, or the draft was rejected: nothing of it is
 * used), granted but not started (a draft waiting for review or revision), in force, ending within 30 days, or
 * over. Only approved and live content has rights in force, a grant with no end included.
 */
export function rightsState(terms: UsageRights | null, until: number | null, now: number, status: SubmissionStatus): RightsState {
  if (!terms || status === 'rejected') return 'none';
  if (status !== 'approved' && status !== 'live') return 'pending';
  if (until === null) return terms.days === null ? 'active' : 'pending';
  if (until <= now) return 'expired';
  return until - now <= ENDING_SOON_MS ? 'ending' : 'active';
}

/** SQL for the same states over approved and live content's `s.rights_terms` and `s.rights_until`, with the instant bound as `?` (twice for ending). */
export const RIGHTS_STATE_SQL: Record<Exclude<RightsState, 'pending'>, string> = {
  none: 's.rights_terms IS NULL',
  // A term with days whose clock has not started (no end yet) is pending, not in force; an extended grant without an
  // end is one the creator extended with no end (an extension with days always sets one).
  active:
    "s.rights_terms IS NOT NULL AND (s.rights_until > ? OR (s.rights_until IS NULL AND (json_extract(s.rights_terms, '$.days') IS NULL OR s.rights_extension_id IS NOT NULL)))",
  ending: 's.rights_terms IS NOT NULL AND s.rights_until > ? AND s.rights_until <= ?',
  expired: 's.rights_terms IS NOT NULL AND s.rights_until <= ?',
};

/** The instants a RIGHTS_STATE_SQL filter binds. */
export const rightsStateParams = (state: Exclude<RightsState, 'pending'>, now: number): number[] => (state === 'none' ? [] : state === 'ending' ? [now, now + ENDING_SOON_MS] : [now]);

/** The accepted extension in force on a submission, read with `EXTENSION_JOIN` and `EXTENSION_COLUMNS`. */
export const EXTENSION_JOIN = 'LEFT JOIN rights_extensions rx ON rx.id = s.rights_extension_id';
export const EXTENSION_COLUMNS = 's.rights_extension_id, rx.scopes_after AS extended_scopes, rx.days AS extended_days, rx.answered_at AS extended_at';

/** A submission's grant as stored: the original terms, its end in force, and the accepted extension behind that end. */
export type GrantRow = {
  status: SubmissionStatus;
  rights_terms: string | null;
  rights_granted_at: number | null;
  rights_until: number | null;
  rights_extension_id: string | null;
  extended_scopes: string | null;
  extended_days: number | null;
  extended_at: number | null;
};

const parseScopes = (raw: string | null): RightsScope[] | null => {
  if (!raw) return null;
  try {
    const parsed = z.array(z.enum(RIGHTS_SCOPES)).safeParse(JSON.parse(raw));
    return parsed.success ? RIGHTS_SCOPES.filter((s) => parsed.data.includes(s)) : null;
  } catch {
    return null;
  }
};

/**
 * The terms in force: the original grant with the uses extensions added, and no end once an extension took it
 * away (its days then mean nothing more). Null: none granted. What the states, the library and the CSV read.
 */
export function termsInForce(row: Pick<GrantRow, 'rights_terms' | 'rights_extension_id' | 'extended_scopes' | 'extended_days'>): UsageRights | null {
  const terms = parseRights(row.rights_terms);
  if (!terms || row.rights_extension_id === null) return terms;
  return { scopes: parseScopes(row.extended_scopes) ?? terms.scopes, days: row.extended_days === null ? null : terms.days, note: terms.note };
}

/** Where a stored grant stands (rightsState over the terms in force). */
export const grantState = (row: GrantRow, now: number): RightsState => rightsState(termsInForce(row), row.rights_until, now, row.status);

/** A submission's grant as the admin API answers it (null: none asked when it was sent, or the draft was rejected). */
export function grantView(row: GrantRow, now: number) {
  const terms = parseRights(row.rights_terms);
  const inForce = termsInForce(row);
  const state = grantState(row, now);
  if (!terms || !inForce || row.rights_granted_at === null || state === 'none') return null;
  return {
    terms,
    grantedAt: new Date(row.rights_granted_at).toISOString(),
    until: row.rights_until === null ? null : new Date(row.rights_until).toISOString(),
    state,
    scopes: inForce.scopes,
    extendedAt: row.extended_at === null ? null : new Date(row.extended_at).toISOString(),
  };
}
