// Every creator the brand works with, across its campaigns (/console/creators): find one by handle, name or
// email, see where they stand and what they have earned, and open their page in a campaign.
import type { FC } from 'hono/jsx';
import { countOf, ENROLLMENT_STATUS_LABELS, formatDate, formatMoney } from '../format';
import { ConsolePage, DataTable, Pager, TagChips, type Viewer } from './layout';
import { termsVersionHref } from './settings';

export type RosterCampaign = { enrollment: string; campaign: string; name: string; status: string };
export type RosterEntry = {
  handle: string;
  displayName: string;
  email: string;
  audience: string;
  acceptedAt: number | null;
  // The highest program terms version they accepted (0: none) and the brand's current one; both null without terms.
  termsVersion: number | null;
  currentTerms: number | null;
  addedAt: number;
  earned: number;
  campaigns: RosterCampaign[];
  tags: string[];
};

const rosterQuery = (q: string, tag: string, cursor?: string) => {
  const params = new URLSearchParams();
  if (q) params.set('q', q);
  if (tag) params.set('tag', tag);
  if (cursor) params.set('cursor', cursor);
  const s = params.toString();
  return s ? `?${s}` : '';
};
const rosterHref = (q: string, tag: string, cursor?: string) => `/console/creators${rosterQuery(q, tag, cursor)}`;

export const RosterPage: FC<{ viewer: Viewer; canExport: boolean; q: string; tag: string; rows: RosterEntry[]; total: number; nextCursor: string | null; paged: boolean; toReview: number }> = ({
  viewer,
  canExport,
  q,
  tag,
  rows,
  total,
  nextCursor,
  paged,
  toReview,
}) => (
  <ConsolePage title="Creators" viewer={viewer} section="creators" toReview={toReview}>
    <div class="page-head">
      <div>
        <p class="eyebrow">{viewer.brandName}</p>
        <h1 class="page-title">Creators</h1>
      </div>
      <form method="get" action="/console/creators" class="filters" role="search">
        <label for="roster-q" class="visually-hidden">
          Find a creator
        </label>
        <input id="roster-q" name="q" type="search" maxlength={100} value={q} placeholder="Handle, name or email" autocomplete="off" />
        {tag ? <input type="hidden" name="tag" value={tag} /> : null}
        <button type="submit" class="button button-small">
          Find
        </button>
        {q || tag ? (
          <a class="button button-small button-quiet" href="/console/creators">
            Clear
          </a>
        ) : null}
        {canExport && total > 0 ? (
          <a class="button button-small" href={`/console/creators.csv${rosterQuery(q, tag)}`} download>
            Download CSV
          </a>
        ) : null}
      </form>
    </div>
    <section class="card" aria-labelledby="roster-h">
      <h2 id="roster-h">{q && tag ? `Tagged “${tag}” and matching “${q}”` : tag ? `Tagged “${tag}”` : q ? `Matching “${q}”` : `${countOf(total, 'creator')} in your network`}</h2>
      {tag ? (
        <p class="small">
          <a href={rosterHref(q, '')}>Show every tag</a>
        </p>
      ) : null}
      {rows.length === 0 ? (
        <p class="muted">
          {tag && q ? `No creator tagged “${tag}” has that in their handle, name or email.` : tag ? `No creator of yours has the tag “${tag}”.` : q ? 'No creator of yours has that in their handle, name or email.' : paged ? 'Nothing older.' : 'No creators yet. Import your roster on a campaign’s page, and each creator appears here.'}
        </p>
      ) : (
        <DataTable columns={['Creator', 'Audience', 'Campaigns', 'Joined', 'Earned']}>
          {rows.map((r) => (
            <tr>
              <td data-label="Creator" class="wide">
                <strong>{r.displayName}</strong>
                <span class="block small">@{r.handle}</span>
                <span class="block small muted" style="overflow-wrap: anywhere">
                  {r.email}
                </span>
                <TagChips tags={r.tags} />
              </td>
              <td data-label="Audience" class="small">
                {r.audience || <span class="muted">Not given</span>}
              </td>
              <td data-label="Campaigns">
                {r.campaigns.length === 0 ? (
                  <span class="muted small">In no campaign</span>
                ) : (
                  <ul class="plain-list">
                    {r.campaigns.map((e) => (
                      <li>
                        <a href={`/console/campaigns/${e.campaign}/creators/${e.enrollment}`}>{e.name}</a>{' '}
                        {e.status === 'active' ? null : <span class={`badge badge-${e.status}`}>{ENROLLMENT_STATUS_LABELS[e.status] ?? e.status}</span>}
                      </li>
                    ))}
                  </ul>
                )}
              </td>
              <td data-label="Joined" class="small">
                {r.acceptedAt !== null ? formatDate(r.acceptedAt, viewer.timezone) : <span class="muted">Not yet: invited {formatDate(r.addedAt, viewer.timezone)}</span>}
                {r.acceptedAt !== null && r.currentTerms !== null ? (
                  <span class="block muted">
                    {r.termsVersion ? <a href={termsVersionHref(r.termsVersion)}>Terms v{r.termsVersion}</a> : 'Not accepted current terms'}
                    {r.termsVersion && r.termsVersion !== r.currentTerms ? (
                      <>
                        {' '}
                        (current: <a href={termsVersionHref(r.currentTerms)}>v{r.currentTerms}</a>)
                      </>
                    ) : null}
                  </span>
                ) : null}
              </td>
              <td data-label="Earned" class={`num${r.earned === 0 ? ' zero' : ''}`}>
                {formatMoney(r.earned, viewer.currency)}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      <Pager newest={paged ? rosterHref(q, tag) : null} older={nextCursor ? rosterHref(q, tag, nextCursor) : null} olderLabel="More" newerLabel="First page" />
      {rows.length > 0 ? <p class="muted small">Newest first. Earned: everything each has earned with {viewer.brandName}, commissions, flat fees and bonuses, less refunds.</p> : null}
    </section>
  </ConsolePage>
);
