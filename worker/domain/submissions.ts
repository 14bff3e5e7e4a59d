// The content review lifecycle and the caption checks against the brief.
import { z } from 'zod';
import type { ComplianceChecks } from '../db/schema';

export const METRIC_NAMES = ['views', 'likes', 'comments', 'saves', 'shares'] as const;

// A live post's numbers as a form sends them: whole numbers up to a billion, written in digits (grouped as people
// write thousands: 12,000 or 12.000 or 12 000), a blank one 0. Not what Number() also reads: 0x1F, 1e3, 0b11.
const GROUPED = /^\d{1,3}(?:[,. ]\d{3})+$/;
const count = z.preprocess(
  (v) => {
    if (typeof v !== 'string') return v;
    const s = v.trim();
    return s === '' ? 0 : /^\d{1,10}$/.test(s) || GROUPED.test(s) ? Number(s.replace(/[,. ]/g, '')) : s;
  },
  z.int().min(0).max(1_000_000_000),
);
export const metricsInput = z.object(Object.fromEntries(METRIC_NAMES.map((k) => [k, count.default(0)])) as Record<(typeof METRIC_NAMES)[number], z.ZodDefault<typeof count>>);

export type SubmissionStatus = 'submitted' | 'changes_requested' | 'approved' | 'live' | 'rejected';
export type SubmissionAction = 'resubmit' | 'approve' | 'request_changes' | 'reject' | 'go_live' | 'not_live';
export type Actor = 'creator' | 'admin';

const TRANSITIONS: Record<SubmissionAction, { from: SubmissionStatus[]; to: SubmissionStatus; by: Actor[] }> = {
  resubmit: { from: ['changes_requested'], to: 'submitted', by: ['creator'] },
  approve: { from: ['submitted'], to: 'approved', by: ['admin'] },
  request_changes: { from: ['submitted'], to: 'changes_requested', by: ['admin'] },
  reject: { from: ['submitted', 'changes_requested'], to: 'rejected', by: ['admin'] },
  go_live: { from: ['approved'], to: 'live', by: ['creator', 'admin'] },
  // The brand cannot find the post the creator named (a wrong link, a post taken down): back to approved,
  // its flat fee taken back, for the creator to add the right link.
  not_live: { from: ['live'], to: 'approved', by: ['admin'] },
};

// null: the action is not allowed from this status (or not by this actor) and answers 409.
export function nextStatus(from: SubmissionStatus, action: SubmissionAction, actor: Actor): SubmissionStatus | null {
  const rule = TRANSITIONS[action];
  return rule.from.includes(from) && rule.by.includes(actor) ? rule.to : null;
}

export function allowedActions(from: SubmissionStatus, actor: Actor): SubmissionAction[] {
  return (Object.keys(TRANSITIONS) as SubmissionAction[]).filter((a) => nextStatus(from, a, actor) !== null);
}

const fold = (s: string) => s.normalize('NFKC').toLowerCase();

// A tag counts only as a whole token: "#GlowWeekend" does not satisfy "#GlowWeek".
export function hasTag(caption: string, tag: string): boolean {
  const escaped = fold(tag).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\p{L}\\p{N}_#])${escaped}(?![\\p{L}\\p{N}_])`, 'u').test(fold(caption));
}

export function checkCaption(caption: string, brief: { hashtag: string; disclosureText: string }): ComplianceChecks {
  return { hashtag: hasTag(caption, brief.hashtag), disclosure: hasTag(caption, brief.disclosureText) };
}

export const isCompliant = (c: ComplianceChecks) => c.hashtag && c.disclosure;

// What a caption lacks of the campaign's hashtag and disclosure, in that order: empty when it is compliant.
export function missingTags(checks: Partial<ComplianceChecks>, campaign: { hashtag: string; disclosureText: string }): string[] {
  return [checks.hashtag ? null : campaign.hashtag, checks.disclosure ? null : campaign.disclosureText].filter((t): t is string => t !== null);
}
