// Network-level measurement: the campaign total leads; per-creator numbers are inputs to it and to the ranking.
import { DAY_MS } from './periods';
import type { FirstDraft } from './content-due';

export type CreatorInputs = {
  enrollmentId: string;
  creatorId: string;
  handle: string;
  name: string;
  paymentModel: 'product' | 'affiliate' | 'flat' | 'hybrid';
  status: string;
  enrolledAt: number;
  activeSince: number; // when the creator last became active: enrolled, accepted, or brought back
  uniqueClicks: number;
  conversions: number;
  linkConversions: number; // of conversions, those credited to a click on the creator's link
  validatedConversions: number;
  revenueMinor: number;
  costMinor: number;
  postsLive: number;
  drafts: number; // every draft sent, whatever became of it
  comments: number;
  saves: number;
  shares: number;
  recentActivity: number; // clicks + conversions + posts in the stall window
  contentDueAt: number | null; // when their first draft is due: their own date, or else the campaign's
  firstDraft: FirstDraft; // where they stand with it (domain/content-due.ts)
};

export type Baseline = { costMinor: number; engaged: number } | null;

export type NetworkSummary = {
  creatorsActive: number;
  creatorsEnrolled: number;
  postsLive: number;
  uniqueClicks: number;
  conversions: number;
  linkConversions: number;
  revenueMinor: number;
  costMinor: number;
  engagements: number;
  costPerEngagementMinor: number | null;
  conversionRate: number | null;
  baseline: null | { costPerEngagementMinor: number | null; ratio: number | null };
};

// Engagements are the actions that show intent: comments, saves and shares (not views or likes).
export const engagementsOf = (c: Pick<CreatorInputs, 'comments' | 'saves' | 'shares'>) => c.comments + c.saves + c.shares;

const divide = (a: number, b: number) => (b > 0 ? Math.round(a / b) : null);

// Taken from the raw totals, not the rounded costs per engagement (a cheap baseline rounds to 0 cents):
// > 1 when the network buys an engagement that many times cheaper. null when either side paid nothing or
// engaged no one, where no ratio means anything.
function baselineRatio(costMinor: number, engagements: number, baseline: NonNullable<Baseline>): number | null {
  if (costMinor <= 0 || engagements <= 0 || baseline.costMinor <= 0 || baseline.engaged <= 0) return null;
  return Number(((baseline.costMinor * engagements) / (costMinor * baseline.engaged)).toPrecision(3));
}

// Removed creators' past results count in the totals (they happened), not among the enrolled.
export function summarize(creators: CreatorInputs[], baseline: Baseline): NetworkSummary {
  const sum = (f: (c: CreatorInputs) => number) => creators.reduce((t, c) => t + f(c), 0);
  const engagements = sum(engagementsOf);
  const costMinor = sum((c) => c.costMinor);
  const uniqueClicks = sum((c) => c.uniqueClicks);
  const conversions = sum((c) => c.conversions);
  const linkConversions = sum((c) => c.linkConversions);
  const cpe = divide(costMinor, engagements);
  const baselineCpe = baseline ? divide(baseline.costMinor, baseline.engaged) : null;
  return {
    creatorsActive: creators.filter((c) => c.status === 'active').length,
    creatorsEnrolled: creators.filter((c) => c.status !== 'removed').length,
    postsLive: sum((c) => c.postsLive),
    uniqueClicks,
    conversions,
    revenueMinor: sum((c) => c.revenueMinor),
    costMinor,
    engagements,
    costPerEngagementMinor: cpe,
    linkConversions,
    // Orders that came through the link per unique click. Code orders are left out: a shopper who never
    // clicked (a code read off a video) is no click's sale, and counting them gave rates above 100%.
    conversionRate: uniqueClicks > 0 ? Math.round((linkConversions / uniqueClicks) * 10_000) / 10_000 : null,
    // ratio > 1: the network buys an engagement that many times cheaper than the mid-tier placement.
    baseline: baseline ? { costPerEngagementMinor: baselineCpe, ratio: baselineRatio(costMinor, engagements, baseline) } : null,
  };
}

// What a brand groups its network by: the niche and platform it has for each creator, and its own tags.
export const SEGMENT_KINDS = { niche: 'Niche', platform: 'Platform', tag: 'Tag' } as const;
export type SegmentKind = keyof typeof SEGMENT_KINDS;
export const SEGMENT_KIND_NAMES = Object.keys(SEGMENT_KINDS) as [SegmentKind, ...SegmentKind[]];
export type SegmentLabels = { niche: string | null; platform: string | null; tags: string[] };

/** A part of the network's figures: its creators, their results, and revenue per creator. */
export type SegmentFigures = {
  creators: number;
  uniqueClicks: number;
  conversions: number;
  revenueMinor: number;
  costMinor: number;
  /** Revenue ÷ creators, rounded to the minor unit; null with no creators. */
  revenuePerCreatorMinor: number | null;
};

export type Segment = SegmentFigures & {
  /** The niche, platform or tag; null for the creators with none. */
  value: string | null;
  /** Of the whole network's revenue, 0-1 (4 decimals); null while the network has none. */
  revenueShare: number | null;
};

// Summed as the network's own totals are (summarize), so niche and platform rows add up to them.
function figuresOf(members: CreatorInputs[]): SegmentFigures {
  const s = summarize(members, null);
  return { creators: members.length, uniqueClicks: s.uniqueClicks, conversions: s.conversions, revenueMinor: s.revenueMinor, costMinor: s.costMinor, revenuePerCreatorMinor: divide(s.revenueMinor, members.length) };
}

/**
 * The network's results by segment, and the whole network's as the row that closes them. A creator with several
 * tags counts in each; creators are every enrollment whose results count, removed ones too. Niches and platforms
 * typed differently in case or spacing are one segment. Highest revenue first; the creators with none last.
 */
export function segmentsOf(creators: CreatorInputs[], labels: ReadonlyMap<string, SegmentLabels>, by: SegmentKind): { network: SegmentFigures; segments: Segment[] } {
  const groups = new Map<string | null, { spellings: Map<string, number>; members: CreatorInputs[] }>();
  const join = (value: string | null, c: CreatorInputs) => {
    const key = value === null ? null : value.toLowerCase();
    const group = groups.get(key) ?? { spellings: new Map<string, number>(), members: [] };
    group.members.push(c);
    if (value !== null) group.spellings.set(value, (group.spellings.get(value) ?? 0) + 1);
    groups.set(key, group);
  };
  for (const c of creators) {
    const l = labels.get(c.enrollmentId);
    if (by === 'tag') {
      const tags = l?.tags ?? [];
      if (tags.length === 0) join(null, c);
      for (const t of tags) join(t, c);
    } else {
      const value = (l?.[by] ?? '').trim().replace(/\s+/g, ' ');
      join(value === '' ? null : value, c);
    }
  }
  // A segment typed several ways is shown as most of its creators have it (ties: the first in code-point order).
  const shownAs = (spellings: Map<string, number>) => [...spellings].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0] ?? null;
  const network = figuresOf(creators);
  const segments = [...groups.values()]
    .map(({ spellings, members }): Segment => {
      const figures = figuresOf(members);
      // Rounded to 4 decimals (a tenth of a percent shown), so the API and the page agree on the share.
      return { value: shownAs(spellings), ...figures, revenueShare: network.revenueMinor > 0 ? Math.round((figures.revenueMinor / network.revenueMinor) * 10_000) / 10_000 : null };
    })
    .sort((a, b) => Number(a.value === null) - Number(b.value === null) || b.revenueMinor - a.revenueMinor || b.creators - a.creators || (a.value ?? '').localeCompare(b.value ?? ''));
  return { network, segments };
}

// Documented ranking score: saves ×4, shares ×6, unique clicks ×1, conversions ×50.
export const SCORE_WEIGHTS = { saves: 4, shares: 6, uniqueClicks: 1, conversions: 50 } as const;

export function scoreOf(c: Pick<CreatorInputs, 'saves' | 'shares' | 'uniqueClicks' | 'conversions'>): number {
  return c.saves * SCORE_WEIGHTS.saves + c.shares * SCORE_WEIGHTS.shares + c.uniqueClicks * SCORE_WEIGHTS.uniqueClicks + c.conversions * SCORE_WEIGHTS.conversions;
}

export type LadderMove = 'move_to_flat' | 'move_to_hybrid' | 'bench' | null;

export type LadderRules = { flatAfterValidatedConversions: number; hybridTopShare: number; stallDays: number };
export const DEFAULT_LADDER: LadderRules = { flatAfterValidatedConversions: 5, hybridTopShare: 0.2, stallDays: 14 };

export type RankedCreator = CreatorInputs & { rank: number; score: number; engagements: number; move: LadderMove; reason: string | null };

// Creators still in the campaign, best score first. Equal scores share a rank (1, 1, 3), and the top share
// is a score to reach, so a tie at its edge is offered the same move.
export function rankCreators(creators: CreatorInputs[], now: number, rules: LadderRules = DEFAULT_LADDER): RankedCreator[] {
  const ranked = creators
    .filter((c) => c.status !== 'removed')
    .map((c) => ({ ...c, score: scoreOf(c), engagements: engagementsOf(c) }))
    .sort((a, b) => b.score - a.score || a.handle.localeCompare(b.handle));
  const topCount = Math.max(1, Math.ceil(ranked.length * rules.hybridTopShare));
  const topScore = ranked[Math.min(topCount, ranked.length) - 1]?.score ?? 0;
  const stallMs = rules.stallDays * DAY_MS;
  let rank = 0;
  return ranked.map((c, i) => {
    if (i === 0 || c.score !== ranked[i - 1]!.score) rank = i + 1;
    let move: LadderMove = null;
    let reason: string | null = null;
    if (c.status === 'active' && now - c.activeSince >= stallMs && c.recentActivity === 0) {
      move = 'bench';
      reason = `No clicks, sales or posts in ${rules.stallDays} days.`;
    } else if ((c.paymentModel === 'product' || c.paymentModel === 'affiliate') && c.validatedConversions >= rules.flatAfterValidatedConversions) {
      move = 'move_to_flat';
      reason = `${c.validatedConversions} validated sales (threshold ${rules.flatAfterValidatedConversions}).`;
    } else if (c.paymentModel === 'flat' && c.score >= topScore && c.score > 0) {
      move = 'move_to_hybrid';
      reason = `Top ${Math.round(rules.hybridTopShare * 100)}% of the network by score.`;
    }
    return { ...c, rank, move, reason };
  });
}

export type DailyPoint = { day: string; clicks: number; conversions: number };
