// The content library: approved and live content across campaigns, with what each creator granted and until
// when, so a brand finds what it may repost or run as ads. Filters and paging are plain GET links.
import type { FC } from 'hono/jsx';
import type { ContentRow, RightsFilter } from '../../worker/db/content-library';
import { parseRights, rightsState, scopesInWords, type RightsState } from '../../worker/domain/usage-rights';
import { formatCount, formatDate, STATUS_LABELS, STORY_FORMAT_LABELS } from '../format';
import { Badge } from '../layout';
import { CampaignFilter, ConsolePage, DataTable, Pager, type Viewer } from './layout';

export type ContentFilters = { campaignId: string | null; rights: RightsFilter | null };

export const RIGHTS_FILTER_LABELS: Record<RightsFilter, string> = { active: 'Rights active', ending: 'Ending within 30 days', expired: 'Rights expired', none: 'No rights asked' };

export function contentHref(f: ContentFilters, cursor?: string | null, path = '/console/content'): string {
  const q = new URLSearchParams();
  if (f.campaignId) q.set('campaign', f.campaignId);
  if (f.rights) q.set('rights', f.rights);
  if (cursor) q.set('cursor', cursor);
  const s = q.toString();
  return `${path}${s ? `?${s}` : ''}`;
}

// The badge colours of the review statuses, reused: in force reads as approved, ending as pending, over as rejected.
const STATE_BADGES: Record<RightsState, string> = { none: 'draft', pending: 'submitted', active: 'approved', ending: 'pending', expired: 'rejected' };

// "Paid ads, until 5 Mar 2027": the uses, then the last day on the brand's calendar (the grant ends at its end).
const Rights: FC<{ r: ContentRow; now: number; timezone: string }> = ({ r, now, timezone }) => {
  const terms = parseRights(r.rights_terms);
  if (!terms) return <span class="muted">None asked</span>;
  const state = rightsState(terms, r.rights_until, now, r.status);
  const lastDay = r.rights_until === null ? null : formatDate(r.rights_until - 1, timezone);
  return (
    <>
      <span class="block">{scopesInWords(terms)}</span>
      {state === 'expired' ? (
        <Badge status={STATE_BADGES.expired} label={`Expired ${lastDay}`} />
      ) : state === 'pending' ? (
        // Granted, its clock not started (the CSV's "not started"): never "No end date" for a term that has days.
        <span class="small">Not started</span>
      ) : lastDay === null ? (
        <span class="small">No end date</span>
      ) : (
        <>
          <span class="small">until {lastDay}</span> {state === 'ending' ? <Badge status={STATE_BADGES.ending} label="Ending soon" /> : null}
        </>
      )}
      {terms.note ? <span class="muted small block prewrap">{terms.note}</span> : null}
    </>
  );
};

const Numbers: FC<{ r: ContentRow }> = ({ r }) =>
  r.status === 'live' ? (
    <span class="small">
      {formatCount(r.views)} views · {formatCount(r.likes)} likes · {formatCount(r.comments)} comments · {formatCount(r.saves)} saves · {formatCount(r.shares)} shares
    </span>
  ) : (
    <span class="muted small">Not live yet</span>
  );

export const ContentPage: FC<{
  viewer: Viewer;
  canDownload: boolean;
  filters: ContentFilters;
  campaigns: { id: string; name: string }[];
  items: ContentRow[];
  nextCursor: string | null;
  paged: boolean;
  now: number;
  toReview: number;
}> = ({ viewer, canDownload, filters, campaigns, items, nextCursor, paged, now, toReview }) => {
  const filtered = filters.campaignId !== null || filters.rights !== null;
  return (
    <ConsolePage title="Content" viewer={viewer} section="content" toReview={toReview}>
      <div class="page-head">
        <div>
          <p class="eyebrow">{viewer.brandName}</p>
          <h1 class="page-title">Content library</h1>
        </div>
        {canDownload ? (
          <a class="button" href={contentHref(filters, null, '/console/content/export.csv')}>
            Download CSV
          </a>
        ) : null}
      </div>
      <section class="card" aria-labelledby="content-h">
        <div class="card-head">
          <h2 id="content-h">{paged ? 'Older content' : 'Approved and live content'}</h2>
          <form method="get" action="/console/content" class="filters" aria-label="Filter content">
            <CampaignFilter campaigns={campaigns} selected={filters.campaignId} />
            <label for="f-rights" class="visually-hidden">
              Usage rights
            </label>
            <select id="f-rights" name="rights">
              <option value="">Any rights</option>
              {(Object.keys(RIGHTS_FILTER_LABELS) as RightsFilter[]).map((k) => (
                <option value={k} selected={filters.rights === k}>
                  {RIGHTS_FILTER_LABELS[k]}
                </option>
              ))}
            </select>
            <button type="submit" class="button button-small">
              Filter
            </button>
          </form>
        </div>
        <p class="muted small">
          What each creator granted with their draft, as the brief asked it then. The days run from the day the post went live (from its approval while it is not live) through the last day shown, in {viewer.timezone}.
        </p>
        {items.length === 0 ? (
          <p class="empty-inline">{filtered ? 'No content matches these filters.' : paged ? 'No older content.' : 'No approved content yet. Drafts you approve on the Review page appear here.'}</p>
        ) : (
          <DataTable columns={['Creator', 'Content', 'Numbers', 'Usage rights']} tableClass="content-library">
            {items.map((r) => (
              <tr>
                <td data-label="Creator">
                  <a href={`/console/campaigns/${r.campaign_id}/creators/${r.enrollment_id}`}>
                    <strong>{r.display_name || `@${r.handle}`}</strong>
                  </a>
                  <span class="muted small block">
                    @{r.handle} · {r.campaign_name}
                  </span>
                </td>
                <td data-label="Content">
                  {r.post_url ? (
                    <a href={r.post_url} rel="noopener noreferrer nofollow" target="_blank">
                      Live post<span class="visually-hidden"> by @{r.handle}</span>
                    </a>
                  ) : (
                    <a href={r.draft_url} rel="noopener noreferrer nofollow" target="_blank">
                      Approved draft<span class="visually-hidden"> by @{r.handle}</span>
                    </a>
                  )}{' '}
                  <Badge status={r.status} label={STATUS_LABELS[r.status] ?? r.status} />
                  <span class="muted small block">{STORY_FORMAT_LABELS[r.story_format] ?? r.story_format}</span>
                </td>
                <td data-label="Numbers" class="wide">
                  <Numbers r={r} />
                </td>
                <td data-label="Usage rights" class="wide">
                  <Rights r={r} now={now} timezone={viewer.timezone} />
                </td>
              </tr>
            ))}
          </DataTable>
        )}
        <Pager newest={paged ? contentHref(filters) : null} older={nextCursor ? contentHref(filters, nextCursor) : null} olderLabel="Older content" />
      </section>
    </ConsolePage>
  );
};
