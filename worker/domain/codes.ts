// Discount codes: one normal form for storage and lookup, so "ｓａｒａｈ15", "sarah15\u200b" and " SARAH15 " are one code.

const CODE_FORM = /^[A-Z0-9_-]{3,32}$/;
// The form shoppers and stores mostly send: already in the charset but for case. NFKC leaves ASCII as it
// is and it holds no format characters or spaces, so upper-casing is its whole normalization.
const PLAIN_FORM = /^[A-Za-z0-9_-]{3,32}$/;
// Unicode "format" characters (zero-width space/joiners, BOM, bidi marks) are invisible in a checkout field.
const FORMAT_CHARS = /\p{Cf}/gu;

export function normalizeCode(raw: string): string | null {
  if (raw.length > 256) return null;
  if (PLAIN_FORM.test(raw)) return raw.toUpperCase();
  const code = raw.normalize('NFKC').replace(FORMAT_CHARS, '').trim().toUpperCase();
  // Look-alike letters from other scripts (Greek Alpha, Cyrillic A) stay outside the charset and fail here.
  return CODE_FORM.test(code) ? code : null;
}

export function codeFromPattern(pattern: string, handle: string): string | null {
  return normalizeCode(pattern.replaceAll('{HANDLE}', handle.replace(/[.-]/g, '')));
}

export type CodeState = {
  status: 'active' | 'disabled';
  startsAt: number | null;
  endsAt: number | null;
  maxRedemptions: number | null;
  redemptions: number;
};

// Where a code or a link leads: the creator's enrollment and its campaign.
export type Placement = { enrollmentStatus: string; enrollmentRemovedAt: number | null; campaignStatus: string; campaignStartsAt: number | null; campaignEndsAt: number | null };

// Links and codes start and stop together: a creator removed from the campaign, or a campaign before its
// start or past its end date, earns through neither, whatever the link's or the code's own status (db/link-routes.ts for links,
// codeStateIn for codes). Ending a campaign by its status records when as its end date (campaignEndsAtFor),
// so an order is judged by when it was placed: one placed before the end still earns when its webhook
// arrives later. Only a campaign ended before that was recorded has no date and counts as ended at any time.
// A draft campaign is not launched: its links and codes are closed whatever its dates, and launching it
// dates its start (campaignStartsAtFor), so an order placed while it was a draft earns nothing later either.
// A creator's removal is dated as a campaign's end is: it closes the window from then on, and only a removal
// from before the date was kept counts for every order.
const placementStopped = (p: Placement) => (p.enrollmentStatus === 'removed' && p.enrollmentRemovedAt === null) || p.campaignStatus === 'draft' || (p.campaignStatus === 'ended' && p.campaignEndsAt === null);

// The placement's end: the campaign's, or the creator's removal if earlier.
function placementEndsAt(p: Placement): number | null {
  const removedAt = p.enrollmentStatus === 'removed' ? p.enrollmentRemovedAt : null;
  if (removedAt === null) return p.campaignEndsAt;
  return p.campaignEndsAt === null ? removedAt : Math.min(removedAt, p.campaignEndsAt);
}

// The start date a campaign keeps after a change of status (undefined: leave it as it is). Launching a draft,
// or ending one, dates its start now unless it already has a later one: nothing the draft's links or codes
// could have touched (they were closed) earns after the launch. A launched campaign never returns to draft
// (isBackToDraft): its orders already earn by its dates, and a draft's would be refused.
// `endsAt` is the end the campaign keeps (campaignEndsAtFor, or its current one): a draft ended, or launched
// with an end already past, starts at that end, an empty window, and never after it.
export function campaignStartsAtFor(current: { status: string; startsAt: number | null }, change: { status?: string }, now: number, endsAt: number | null): number | undefined {
  if (current.status !== 'draft' || change.status === undefined || change.status === 'draft') return undefined;
  if (current.startsAt !== null && current.startsAt >= now) return undefined;
  return endsAt !== null && endsAt < now ? endsAt : now;
}

// Both dates a status change leaves a campaign with (each undefined when it stays as it is): the API's PATCH
// and the console's brief save.
export function campaignDatesFor(current: { status: string; startsAt: number | null; endsAt: number | null }, change: { status?: string; endsAt?: number | null }, now: number) {
  const endsAt = campaignEndsAtFor(current, change, now);
  return { endsAt, startsAt: campaignStartsAtFor(current, change, now, endsAt === undefined ? current.endsAt : endsAt) };
}

export const isBackToDraft = (current: { status: string }, change: { status?: string }) => current.status !== 'draft' && change.status === 'draft';

// The end date a campaign keeps after a change of status or end date, or on creation with current
// { status: 'draft', endsAt: null } (undefined: leave it as it is). An ended campaign's end is never later
// than when it ended: ending it dates it now (or earlier if asked); once ended, its end can only move
// earlier, and one ended before ends were dated keeps none (ended for every order). Reopening one whose end
// date has passed clears it.
export function campaignEndsAtFor(current: { status: string; endsAt: number | null }, change: { status?: string; endsAt?: number | null }, now: number): number | null | undefined {
  if (current.status !== 'ended' && change.status === 'ended') return Math.min(change.endsAt ?? current.endsAt ?? now, now);
  if ((change.status ?? current.status) === 'ended') {
    if (change.endsAt === undefined || change.endsAt === null) return undefined;
    const dated = Math.min(change.endsAt, current.endsAt ?? now, now);
    return dated === current.endsAt ? undefined : dated;
  }
  const reopened = current.status === 'ended';
  if (reopened && change.endsAt === undefined && current.endsAt !== null && current.endsAt <= now) return null;
  return change.endsAt;
}

// Open between the campaign's start and its end: a link before a dated launch answers as a stopped one does
// (the brand's fallback, or 410), so it records no click a pre-launch order could be credited by.
// A campaign closed by its status or past its end date: its links and codes earn no more (placementOpen),
// drafts and live posts go no further from the creator's side, and its card says so.
export const campaignEnded = (e: { campaign_status: string; ends_at: number | null }, now: number) => e.campaign_status === 'ended' || (e.ends_at !== null && e.ends_at <= now);

export function placementOpen(placement: Placement, at: number): boolean {
  const endsAt = placementEndsAt(placement);
  return !placementStopped(placement) && (placement.campaignStartsAt === null || at >= placement.campaignStartsAt) && (endsAt === null || at < endsAt);
}

// A code's state with its placement folded in when it is read: stopped reads as disabled, and the code's
// window opens no earlier and closes no later than its campaign (a launch on a date is not redeemable the
// week before). A check then costs what it did, cached or not.
export function codeStateIn(code: CodeState, placement: Placement): CodeState {
  const campaignEndsAt = placementEndsAt(placement);
  const { campaignStartsAt } = placement;
  const endsAt = campaignEndsAt !== null && (code.endsAt === null || campaignEndsAt < code.endsAt) ? campaignEndsAt : code.endsAt;
  const startsAt = campaignStartsAt !== null && (code.startsAt === null || campaignStartsAt > code.startsAt) ? campaignStartsAt : code.startsAt;
  return { ...code, status: placementStopped(placement) ? 'disabled' : code.status, startsAt, endsAt };
}

export function isRedeemable(code: CodeState, at: number): boolean {
  if (code.status !== 'active') return false;
  if (code.startsAt !== null && at < code.startsAt) return false;
  if (code.endsAt !== null && at >= code.endsAt) return false;
  if (code.maxRedemptions !== null && code.redemptions >= code.maxRedemptions) return false;
  return true;
}
