// The network view: the campaign total leads (cost per engagement against the mid-tier baseline), then the
// daily trend, then the per-creator ranking as an input to the next payment-ladder moves.
import type { FC } from 'hono/jsx';
import { SEGMENT_KIND_NAMES, SEGMENT_KINDS, type Baseline, type DailyPoint, type LadderRules, type NetworkSummary, type RankedCreator, type Segment, type SegmentFigures, type SegmentKind } from '../../worker/domain/network';
import type { FirstDraft } from '../../worker/domain/content-due';
import { countOf, ENROLLMENT_STATUS_LABELS, formatCount, formatDueDay, formatMoney, PAYMENT_MODEL_LABELS } from '../format';
import { Stat } from '../layout';
import { CpeChart, DailySection } from '../charts';
import { CampaignHeader, ConsolePage, tagHref, type Viewer } from './layout';


// A count or amount cell: labelled for the stacked phone layout, zeros dimmed so activity stands out.
const Num: FC<{ label: string; value: number; text?: string }> = ({ label, value, text }) => (
  <td class={`num${value === 0 ? ' zero' : ''}`} data-label={label}>
    {text ?? formatCount(value)}
  </td>
);

// Nothing to show yet: no post, click, sale, cost or engagement (a zero score alone can hide a live post or a fee).
const isIdle = (r: RankedCreator) => [r.postsLive, r.uniqueClicks, r.conversions, r.revenueMinor, r.costMinor, r.engagements].every((n) => n === 0);

// Where a creator stands with their first draft, said in words (colour only follows them): an "Overdue" badge
// with the day it was due, or "Due <day>". Nothing once a draft stands, or where nothing is due.
export const FirstDraftMarker: FC<{ state: FirstDraft; dueAt: number | null; timezone: string }> = ({ state, dueAt, timezone }) => {
  if (dueAt === null || (state !== 'due' && state !== 'overdue')) return null;
  const day = formatDueDay(dueAt, timezone);
  return state === 'overdue' ? (
    <span class="due-marker block small">
      <span class="badge badge-overdue">Overdue</span> first draft was due {day}
    </span>
  ) : (
    <span class="due-marker block small">
      <span class="badge badge-due">
        <span class="visually-hidden">First draft </span>Due {day}
      </span>{' '}
      <span class="muted">no draft yet</span>
    </span>
  );
};

export const MOVE_LABELS: Record<string, string> = { move_to_flat: 'Offer a flat fee', move_to_hybrid: 'Offer hybrid (fee + commission)', bench: 'Bench' };

const times = (n: number) => `${n >= 100 ? Math.round(n) : Number(n.toFixed(1))}×`;
const ratioText = (ratio: number) => (ratio >= 1 ? `${times(ratio)} cheaper` : `${times(1 / ratio)} more expensive`);

/** The ranking's filter by first draft: every creator, those who have not sent one by a due date, the overdue. */
export const DUE_FILTERS = { '': 'Every creator', due: 'First draft not sent', overdue: 'Overdue' } as const;
export type DueFilter = keyof typeof DUE_FILTERS;

export const formatRate = (rate: number | null) => (rate === null ? '—' : `${(rate * 100).toFixed(2)}%`);
const formatShare = (share: number | null) => (share === null ? '—' : `${(share * 100).toFixed(1)}%`);

// The network's results by niche, platform or tag (worker/domain/network.ts segmentsOf): which part of the network
// performs. A GET form, so it works without script; the rest of the page's query (the ranking's filter) is kept.
const SegmentsCard: FC<{ by: SegmentKind; rows: Segment[]; network: SegmentFigures; money: (m: number) => string; action: string; dueFilter: DueFilter }> = ({ by, rows, network: n, money, action, dueFilter }) => (
  <section class="card" aria-labelledby="segments-h" id="segments">
    <div class="card-head">
      <h2 id="segments-h">By segment</h2>
      <form method="get" action={`${action}#segments`} class="filters" aria-label="Group the results">
        <label for="f-by">Group by</label>
        <select id="f-by" name="by">
          {SEGMENT_KIND_NAMES.map((k) => (
            <option value={k} selected={k === by}>
              {SEGMENT_KINDS[k]}
            </option>
          ))}
        </select>
        {dueFilter ? <input type="hidden" name="due" value={dueFilter} /> : null}
        <button type="submit" class="button button-small">
          Show
        </button>
      </form>
    </div>
    {rows.length === 0 ? (
      <p class="empty-inline">No creators enrolled yet.</p>
    ) : (
      <div class="table-wrap">
        <table class="segments stack-sm">
          <caption class="visually-hidden">The campaign's results by {SEGMENT_KINDS[by].toLowerCase()}</caption>
          <thead>
            <tr>
              <th scope="col">{SEGMENT_KINDS[by]}</th>
              <th scope="col" class="num">
                Creators
              </th>
              <th scope="col" class="num">
                Clicks
              </th>
              <th scope="col" class="num">
                Sales
              </th>
              <th scope="col" class="num">
                Revenue
              </th>
              <th scope="col" class="num">
                Cost
              </th>
              <th scope="col" class="num">
                Revenue per creator
              </th>
              <th scope="col" class="num">
                Share of revenue
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr>
                <th scope="row" class="segment-cell">
                  {r.value === null ? <span class="muted">Not set</span> : by === 'tag' ? <a href={tagHref(r.value)}>{r.value}</a> : r.value}
                </th>
                <Num label="Creators" value={r.creators} />
                <Num label="Clicks" value={r.uniqueClicks} />
                <Num label="Sales" value={r.conversions} />
                <Num label="Revenue" value={r.revenueMinor} text={money(r.revenueMinor)} />
                <Num label="Cost" value={r.costMinor} text={money(r.costMinor)} />
                <Num label="Revenue per creator" value={r.revenuePerCreatorMinor ?? 0} text={r.revenuePerCreatorMinor === null ? '—' : money(r.revenuePerCreatorMinor)} />
                <Num label="Share of revenue" value={r.revenueShare ?? 0} text={formatShare(r.revenueShare)} />
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row">Whole network</th>
              <Num label="Creators" value={n.creators} />
              <Num label="Clicks" value={n.uniqueClicks} />
              <Num label="Sales" value={n.conversions} />
              <Num label="Revenue" value={n.revenueMinor} text={money(n.revenueMinor)} />
              <Num label="Cost" value={n.costMinor} text={money(n.costMinor)} />
              <Num label="Revenue per creator" value={n.revenuePerCreatorMinor ?? 0} text={n.revenuePerCreatorMinor === null ? '—' : money(n.revenuePerCreatorMinor)} />
              {/* With tags the shares overlap: a total would count a creator once per tag. */}
              {by === 'tag' ? <td class="num zero" data-label="Share of revenue"></td> : <Num label="Share of revenue" value={n.revenueMinor > 0 ? 1 : 0} text={n.revenueMinor > 0 ? '100%' : '—'} />}
            </tr>
          </tfoot>
        </table>
      </div>
    )}
    <p class="muted small">
      {by === 'tag'
        ? 'A creator with several tags counts in each of them, so the rows add up to more than the whole network and their shares to more than 100%. '
        : `Niches and platforms as you imported or entered them for each creator. `}
      Creators counts everyone enrolled, removed ones too: their past results count, as in the totals above. Sales, revenue and cost as in the totals: sales net of refunds, cost from your ledger.
      {by === 'tag' ? (
        <>
          {' '}
          Tag creators on their page or in the import file; <a href="/console/creators">your roster</a> lists them by tag.
        </>
      ) : null}
    </p>
  </section>
);

export const NetworkPage: FC<{
  viewer: Viewer;
  campaign: { id: string; name: string; status: string; hashtag: string };
  currency: string;
  holdingDays: number;
  baseline: Baseline;
  summary: NetworkSummary;
  // Product seeded: the value of gifts shipped (or received) and to how many creators (db/gifting.ts).
  gifted?: { value: number; creators: number };
  daily: DailyPoint[];
  ranking: RankedCreator[];
  weights: { saves: number; shares: number; uniqueClicks: number; conversions: number };
  ladder: LadderRules;
  removed: { enrollmentId: string; name: string; handle: string }[];
  toReview: number;
  /** Owners and managers: console CSVs are theirs (console/context.ts). */
  canExport?: boolean;
  /** Which creators the ranking lists, by their first draft (?due=). */
  dueFilter?: DueFilter;
  /** The results by niche, platform or tag (?by=), and the whole network's that close them. */
  segments?: { by: SegmentKind; segments: Segment[]; network: SegmentFigures };
}> = ({ viewer, campaign, currency, holdingDays, baseline, summary: s, daily, ranking, weights, ladder, removed, toReview, canExport = false, dueFilter = '', gifted, segments }) => {
  const money = (m: number) => formatMoney(m, currency);
  const cpe = s.costPerEngagementMinor;
  const baselineCpe = s.baseline?.costPerEngagementMinor ?? null;
  const ratio = s.baseline?.ratio ?? null;
  const headline =
    ratio !== null && cpe !== null && baselineCpe !== null
      ? `${ratioText(ratio)} per engagement than the mid-tier baseline`
      : cpe === null
        ? 'No engagements recorded yet'
        : s.costMinor <= 0
          ? 'No creator cost yet: every engagement so far came free'
          : baseline === null
            ? 'Add a mid-tier baseline to compare'
            : 'The mid-tier baseline has no cost or reach to compare with';
  const cpeSummary = cpe !== null && baselineCpe !== null ? `Your network pays ${money(cpe)} per engagement; the mid-tier baseline paid ${money(baselineCpe)}: ${ratio !== null ? ratioText(ratio) : 'no ratio'}.` : '';
  const topScore = Math.max(1, ...ranking.map((r) => r.score));
  // Who could send a draft (an invited creator has not accepted yet), and of them who has sent none.
  const joined = ranking.filter((r) => r.status !== 'invited');
  const silent = joined.filter((r) => r.drafts === 0);
  // Who is behind with a first draft, where a due date is set; the filter lists them alone.
  const overdue = ranking.filter((r) => r.firstDraft === 'overdue');
  const due = ranking.filter((r) => r.firstDraft === 'due');
  const dated = ranking.some((r) => r.contentDueAt !== null);
  const shown = dueFilter === 'overdue' ? overdue : dueFilter === 'due' ? [...overdue, ...due].sort((a, b) => a.rank - b.rank) : ranking;
  const networkPath = `/console/campaigns/${campaign.id}/network`;
  return (
    <ConsolePage title={`${campaign.name} network`} viewer={viewer} section="campaigns" toReview={toReview}>
      <CampaignHeader campaign={campaign} tab="network" brandName={viewer.brandName} />
      <section class="network-hero" aria-labelledby="hero-h">
        <div class="card hero-card">
          <p class="eyebrow" id="hero-h">
            Cost per engagement
          </p>
          <p class="hero-value">
            {cpe === null ? '—' : money(cpe)}
          </p>
          <p class={`hero-claim ${ratio !== null && ratio >= 1 ? 'good' : ''}`}>{headline}</p>
          <p class="muted small">
            {formatCount(s.engagements)} engagements (comments, saves, shares) for {money(s.costMinor)} of creator cost.
          </p>
          {gifted && gifted.creators > 0 ? (
            <p class="muted small">
              Product seeded: <a href={`/console/campaigns/${campaign.id}/gifting`}>{money(gifted.value)} to {formatCount(gifted.creators)} {gifted.creators === 1 ? 'creator' : 'creators'}</a>, on top of that.
            </p>
          ) : null}
        </div>
        <div class="card">
          <h2 class="card-title">Network vs. one mid-tier placement</h2>
          {cpe !== null && baselineCpe !== null ? (
            <>
              <CpeChart networkMinor={cpe} baselineMinor={baselineCpe} currency={currency} summary={cpeSummary} />
              <p class="muted small">
                Baseline: {money(baseline?.costMinor ?? 0)} for {formatCount(baseline?.engaged ?? 0)} engaged people. Lower is better.
              </p>
            </>
          ) : (
            <p class="muted">
              {baseline === null ? (
                <>
                  Enter what a mid-tier placement cost and how many people engaged with it on <a href={`/console/campaigns/${campaign.id}#baselineCost`}>the brief page</a> to see how the network compares.
                </>
              ) : (
                'The comparison appears once live posts have engagement numbers.'
              )}
            </p>
          )}
        </div>
      </section>
      <div class="stats stats-4 network-stats">
        <Stat label="Creators active" value={formatCount(s.creatorsActive)} hint={`of ${formatCount(s.creatorsEnrolled)} enrolled`} />
        <Stat label="Posts live" value={formatCount(s.postsLive)} />
        <Stat label="Unique clicks" value={formatCount(s.uniqueClicks)} />
        <Stat label="Conversions" value={formatCount(s.conversions)} hint={`${formatCount(s.linkConversions)} by link (${formatRate(s.conversionRate)} of unique clicks), ${formatCount(s.conversions - s.linkConversions)} by code`} />
        <Stat label="Revenue" value={money(s.revenueMinor)} hint="attributed by link or code" />
        <Stat label="Creator cost" value={money(s.costMinor)} hint="commissions, fees, bonuses" />
        <Stat label="Engagements" value={formatCount(s.engagements)} hint="comments + saves + shares" />
        <Stat label="Return on cost" value={s.costMinor > 0 ? `${(s.revenueMinor / s.costMinor).toFixed(1)}×` : '—'} hint="revenue ÷ creator cost" />
      </div>
      <DailySection points={daily} timeZone={viewer.timezone} />
      {segments ? <SegmentsCard by={segments.by} rows={segments.segments} network={segments.network} money={money} action={networkPath} dueFilter={dueFilter} /> : null}
      <section class="card" aria-labelledby="ranking-h">
        <div class="card-head">
          <h2 id="ranking-h">Creator ranking</h2>
          <p class="formula">
            Score = {weights.saves} × saves + {weights.shares} × shares + {weights.uniqueClicks} × unique clicks + {weights.conversions} × conversions
          </p>
        </div>
        {/* With a due date, who is behind says more than who has sent nothing. */}
        {overdue.length > 0 || due.length > 0 ? (
          <p class="small" id="due-summary">
            First drafts not sent:{' '}
            {overdue.length > 0 ? <strong class="warn-text">{formatCount(overdue.length)} overdue</strong> : null}
            {overdue.length > 0 && due.length > 0 ? ', ' : null}
            {due.length > 0 ? `${formatCount(due.length)} not due yet` : null}. Each is marked below.
          </p>
        ) : silent.length > 0 ? (
          <p class="small">
            <strong>{countOf(silent.length, 'creator')}</strong> of the {formatCount(joined.length)} who accepted your brand {silent.length === 1 ? 'has' : 'have'} sent no draft yet: each is marked below.
          </p>
        ) : null}
        {dated ? (
          <form method="get" action={networkPath} class="filters due-filter" aria-label="Filter creators by first draft">
            {segments && segments.by !== 'niche' ? <input type="hidden" name="by" value={segments.by} /> : null}
            <label for="f-due">Show</label>
            <select id="f-due" name="due">
              {(Object.keys(DUE_FILTERS) as DueFilter[]).map((k) => (
                <option value={k} selected={k === dueFilter}>
                  {DUE_FILTERS[k]}
                  {k === 'overdue' ? ` (${formatCount(overdue.length)})` : k === 'due' ? ` (${formatCount(overdue.length + due.length)})` : ''}
                </option>
              ))}
            </select>
            <button type="submit" class="button button-small">
              Show
            </button>
          </form>
        ) : null}
        {ranking.length > 0 && canExport ? (
          <p class="small">
            <a href={`/console/campaigns/${campaign.id}/network.csv`} download>
              Download the ranking (CSV)
            </a>{' '}
            <span class="muted">for a month-end report: every creator's numbers, score and suggested move.</span>
          </p>
        ) : null}
        {ranking.length === 0 ? (
          <p class="empty-inline">
            No creators enrolled yet. <a href={`/console/campaigns/${campaign.id}/import`}>Import your roster</a> to start.
          </p>
        ) : shown.length === 0 ? (
          <p class="empty-inline">
            {dueFilter === 'overdue' ? 'Nobody is overdue with a first draft.' : 'Every creator with a due date has sent a first draft.'} <a href={networkPath}>Show every creator</a>
          </p>
        ) : (
          <div class="table-wrap">
            <table class="ranking stack-sm">
              <thead>
                <tr>
                  <th scope="col" class="num">
                    #
                  </th>
                  <th scope="col">Creator</th>
                  <th scope="col" class="num">
                    Posts
                  </th>
                  <th scope="col" class="num">
                    Clicks
                  </th>
                  <th scope="col" class="num">
                    Sales
                  </th>
                  <th scope="col" class="num">
                    Revenue
                  </th>
                  <th scope="col" class="num">
                    Cost
                  </th>
                  <th scope="col" class="num">
                    Engaged
                  </th>
                  <th scope="col">Score</th>
                  <th scope="col">Suggested move</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((r) => (
                  <tr class={isIdle(r) ? 'is-idle' : undefined}>
                    <td class="num rank">{r.rank}</td>
                    <td class="creator-cell">
                      <a href={`/console/campaigns/${campaign.id}/creators/${r.enrollmentId}`}>
                        <strong>{r.name}</strong>
                      </a>
                      {r.status !== 'active' ? <span class={`badge badge-${r.status}`}>{ENROLLMENT_STATUS_LABELS[r.status] ?? r.status}</span> : null}
                      <span class="muted small block">
                        @{r.handle} · {PAYMENT_MODEL_LABELS[r.paymentModel] ?? r.paymentModel}
                      </span>
                      {r.firstDraft === 'due' || r.firstDraft === 'overdue' ? (
                        <FirstDraftMarker state={r.firstDraft} dueAt={r.contentDueAt} timezone={viewer.timezone} />
                      ) : r.status !== 'invited' && r.drafts === 0 ? (
                        <span class="warn-text small block">No draft sent yet</span>
                      ) : null}
                    </td>
                    <Num label="Posts" value={r.postsLive} />
                    <Num label="Clicks" value={r.uniqueClicks} />
                    <td class={`num${r.conversions === 0 ? ' zero' : ''}`} data-label="Sales" title={`${formatCount(r.validatedConversions)} past the ${holdingDays}-day holding period`}>
                      {formatCount(r.conversions)}
                      {r.conversions > 0 ? <span class="muted small block">{formatCount(r.validatedConversions)} validated</span> : null}
                    </td>
                    <Num label="Revenue" value={r.revenueMinor} text={money(r.revenueMinor)} />
                    <Num label="Cost" value={r.costMinor} text={money(r.costMinor)} />
                    <Num label="Engaged" value={r.engagements} />
                    <td class="score-cell" data-label="Score">
                      <span class="score-value">{formatCount(r.score)}</span>
                      <span class="score-bar" aria-hidden="true">
                        <span style={`width:${Math.round((r.score / topScore) * 100)}%`}></span>
                      </span>
                    </td>
                    <td class={r.move ? 'move-cell' : 'move-cell no-move'}>
                      {r.move ? (
                        <a class={`move move-${r.move}`} href={`/console/campaigns/${campaign.id}/creators/${r.enrollmentId}?suggest=${r.move}`}>
                          {MOVE_LABELS[r.move]}
                        </a>
                      ) : r.status === 'invited' ? (
                        // Nothing to judge yet: a creator who has not accepted has no link or code working for them.
                        <span class="muted">Waiting for them to accept</span>
                      ) : (
                        <span class="muted">Keep as is</span>
                      )}
                      {r.reason ? <span class="muted small block">{r.reason}</span> : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {removed.length > 0 ? (
          <p class="muted small">
            Removed from this campaign (their past results still count in the totals):{' '}
            {removed.map((r, i) => (
              <>
                {i > 0 ? ', ' : null}
                <a href={`/console/campaigns/${campaign.id}/creators/${r.enrollmentId}`}>
                  {r.name} (@{r.handle})
                </a>
              </>
            ))}
            .
          </p>
        ) : null}
        <details class="how">
          <summary>How the score and the suggested moves work</summary>
          <ul>
            <li>
              <strong>Score</strong> weighs the actions that show intent: a save counts {weights.saves}, a share {weights.shares}, a unique click {weights.uniqueClicks} and a sale {weights.conversions}. Views and likes are not counted.
            </li>
            <li>
              <strong>Engaged</strong> is comments + saves + shares on live posts; cost per engagement is creator cost divided by it.
            </li>
            <li>
              <strong>Offer a flat fee</strong>: a product-seeded or commission creator with at least {ladder.flatAfterValidatedConversions} validated sales (past the {holdingDays}-day holding period and not refunded).
            </li>
            <li>
              <strong>Offer hybrid</strong>: a flat-fee creator in the top {Math.round(ladder.hybridTopShare * 100)}% of the network by score.
            </li>
            <li>
              <strong>Bench</strong>: a creator active for {ladder.stallDays}+ days (since they joined or were brought back) with no clicks, sales or posts in the last {ladder.stallDays} days.
            </li>
          </ul>
        </details>
      </section>
    </ConsolePage>
  );
};
