// The content library: approved and live content across campaigns, with what each creator granted and until
// when, so a brand finds what it may repost or run as ads. Filters and paging are plain GET links.
import type { FC } from 'hono/jsx';
import type { ContentRow, RightsFilter } from '../../worker/db/content-library';
import { askOf, type RightsExtensionRow } from '../../worker/db/rights-extensions';
import { askInWords, extendable, MAX_RIGHTS_FEE_MINOR, RIGHTS_EXTENSION_NOTE_MAX, type RightsExtensionStatus } from '../../worker/domain/rights-extensions';
import { grantState, MAX_RIGHTS_DAYS, parseRights, RIGHTS_SCOPES, rightsInWords, SCOPE_LABELS, scopesInWords, termsInForce, type RightsState } from '../../worker/domain/usage-rights';
import { formatCount, formatDate, formatMoney, STATUS_LABELS, STORY_FORMAT_LABELS } from '../format';
import { Badge, type FormError } from '../layout';
import { CampaignFilter, ConsolePage, DataTable, Errors, FlashNotice, Pager, type Flash, type Viewer } from './layout';

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

// How an extension request stands, for the brand.
export const EXTENSION_LABELS: Record<RightsExtensionStatus, string> = { open: 'Extension asked', accepted: 'Extension accepted', declined: 'Extension declined', withdrawn: 'Extension withdrawn' };
const EXTENSION_BADGES: Record<RightsExtensionStatus, string> = { open: 'submitted', accepted: 'approved', declined: 'rejected', withdrawn: 'draft' };

const ExtensionBadge: FC<{ x: RightsExtensionRow; timezone: string }> = ({ x, timezone }) => (
  <Badge status={EXTENSION_BADGES[x.status]} label={`${EXTENSION_LABELS[x.status]} ${formatDate(x.answered_at ?? x.created_at, timezone)}`} />
);

// "Paid ads, until 5 Mar 2027": the uses in force, then the last day on the brand's calendar (the grant ends at its end).
const Rights: FC<{ r: ContentRow; now: number; timezone: string }> = ({ r, now, timezone }) => {
  const terms = termsInForce(r);
  if (!terms) return <span class="muted">None asked</span>;
  const state = grantState(r, now);
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
      {r.rights_extension_id !== null ? <span class="muted small block">Extended {formatDate(r.extended_at ?? 0, timezone)}</span> : null}
    </>
  );
};

// The row's way to the rights' page: the latest request's state, and the link (to ask, for content whose rights can be extended).
const RightsLink: FC<{ r: ContentRow; latest: RightsExtensionRow | undefined; now: number; timezone: string; canWrite: boolean }> = ({ r, latest, now, timezone, canWrite }) => {
  const state = grantState(r, now);
  const canExtend = (state === 'active' || state === 'ending' || state === 'expired') && extendable({ scopes: termsInForce(r)?.scopes ?? [], until: r.rights_until });
  if (!latest && !canExtend) return null;
  return (
    <span class="block small rights-link">
      {latest ? (
        <>
          <ExtensionBadge x={latest} timezone={timezone} />{' '}
        </>
      ) : null}
      <a href={`/console/content/${r.id}`}>
        {canWrite && canExtend && latest?.status !== 'open' ? 'Ask to extend' : 'Rights history'}
        <span class="visually-hidden"> of @{r.handle}'s {STORY_FORMAT_LABELS[r.story_format]?.toLowerCase() ?? 'post'}</span>
      </a>
    </span>
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
  latest: Map<string, RightsExtensionRow>;
  nextCursor: string | null;
  paged: boolean;
  now: number;
  toReview: number;
}> = ({ viewer, canDownload, filters, campaigns, items, latest, nextCursor, paged, now, toReview }) => {
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
          What each creator granted with their draft, as the brief asked it then, and any extension they accepted since. The days count from the draft's approval and again from the day the post first went live, through the last day shown, in {viewer.timezone}.
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
                  <RightsLink r={r} latest={latest.get(r.id)} now={now} timezone={viewer.timezone} canWrite={canDownload} />
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

// ---------- One piece of content: its rights, their history, and a request to extend them ----------

/** The request form as typed: kept when it comes back with a problem. */
export type ExtensionForm = { days: string; noEnd: boolean; scopes: string[]; fee: string; note: string };
export const emptyExtensionForm = (): ExtensionForm => ({ days: '90', noEnd: false, scopes: [], fee: '', note: '' });

const ExtensionHistory: FC<{ history: RightsExtensionRow[]; timezone: string }> = ({ history, timezone }) => (
  <ol class="timeline">
    {history.map((x) => (
      <li>
        <span class="timeline-when">Asked {formatDate(x.created_at, timezone)}</span>
        <span class="timeline-what">
          {askInWords(askOf(x))} <ExtensionBadge x={x} timezone={timezone} />
        </span>
        {x.note ? <span class="timeline-note prewrap">Your note: {x.note}</span> : null}
        {x.status === 'accepted' ? (
          <span class="timeline-note prewrap">
            Accepted as they read it: {x.terms_text}
            {'\n'}Until {x.until_after === null ? 'no end date' : formatDate(x.until_after - 1, timezone)} (was {x.until_before === null ? 'no end date' : formatDate(x.until_before - 1, timezone)}).
          </span>
        ) : null}
        {x.status === 'declined' ? <span class="timeline-note prewrap">{x.answer_note ? `Their note: ${x.answer_note}` : 'No note.'}</span> : null}
        {x.status === 'open' && x.mailed_at === null ? <span class="timeline-note">Not emailed yet (another of your requests, still waiting for them, reached them within the day, or the mail could not be sent); it waits on their home page, and Chorus emails it once a day has passed.</span> : null}
      </li>
    ))}
  </ol>
);

const AskForm: FC<{ r: ContentRow; values: ExtensionForm; currency: string; errors?: FormError[] }> = ({ r, values, currency, errors }) => {
  const inForce = termsInForce(r)?.scopes ?? [];
  const addable = RIGHTS_SCOPES.filter((s) => !inForce.includes(s));
  const noEndAlready = r.rights_until === null;
  return (
    <form method="post" action={`/console/content/${r.id}/rights-extension`} class="stack">
      <Errors errors={errors} />
      <div class="two-fields">
        {noEndAlready ? (
          <div class="field">
            <input type="hidden" name="noEnd" value="1" />
            <p class="small">This grant has no end date: ask for uses it does not have.</p>
          </div>
        ) : (
          <div class="field">
            <label for="ext-days">More days</label>
            <div class="input-suffix">
              <input id="ext-days" name="days" type="number" inputmode="numeric" min={1} max={MAX_RIGHTS_DAYS} step={1} value={values.days} aria-describedby="ext-days-hint" />
              <span>days</span>
            </div>
            <p id="ext-days-hint" class="hint">
              Added to the grant's last day, or counted from the day they accept if it has ended by then.
            </p>
            <label class="checkbox">
              <input type="checkbox" name="noEnd" value="1" checked={values.noEnd} /> No end date instead
            </label>
          </div>
        )}
        <div class="field">
          <label for="ext-fee">Fee (optional)</label>
          <div class="input-suffix">
            <input id="ext-fee" name="fee" type="text" inputmode="decimal" maxlength={16} placeholder="150.00" value={values.fee} autocomplete="off" aria-describedby="ext-fee-hint" />
            <span>{currency}</span>
          </div>
          <p id="ext-fee-hint" class="hint">
            Paid as a bonus when they accept, with that month's payouts; up to {formatMoney(MAX_RIGHTS_FEE_MINOR, currency)}.
          </p>
        </div>
      </div>
      {addable.length > 0 ? (
        <fieldset class="field">
          <legend>Uses to add (optional)</legend>
          <div class="radios">
            {addable.map((s) => (
              <label class="radio">
                <input type="checkbox" name="scopes" value={s} checked={values.scopes.includes(s)} /> {SCOPE_LABELS[s]}
              </label>
            ))}
          </div>
        </fieldset>
      ) : (
        <p class="small muted">They granted every use already.</p>
      )}
      <div class="field">
        <label for="ext-note">Note (optional, they read it)</label>
        <textarea id="ext-note" name="note" rows={3} maxlength={RIGHTS_EXTENSION_NOTE_MAX} placeholder="For our spring paid campaign, cut to 15 seconds.">
          {values.note}
        </textarea>
      </div>
      <div>
        <button type="submit" class="button button-primary">
          Send the request to @{r.handle}
        </button>
      </div>
    </form>
  );
};

export const ContentDetailPage: FC<{
  viewer: Viewer;
  canWrite: boolean;
  r: ContentRow;
  history: RightsExtensionRow[];
  // Why no request can be made now (no grant to extend, the creator left), or null.
  cannotAsk: string | null;
  values: ExtensionForm;
  errors?: FormError[];
  flash: Flash;
  now: number;
  toReview: number;
}> = ({ viewer, canWrite, r, history, cannotAsk, values, errors, flash, now, toReview }) => {
  const terms = parseRights(r.rights_terms);
  const open = history.find((x) => x.status === 'open');
  const name = r.display_name || `@${r.handle}`;
  return (
    <ConsolePage title="Content" viewer={viewer} section="content" toReview={toReview}>
      <p class="small">
        <a href="/console/content">← Back to the content library</a>
      </p>
      <div class="page-head">
        <div>
          <p class="eyebrow">{r.campaign_name}</p>
          <h1 class="page-title">
            {STORY_FORMAT_LABELS[r.story_format] ?? r.story_format} by {name}
          </h1>
        </div>
        <Badge status={r.status} label={STATUS_LABELS[r.status] ?? r.status} />
      </div>
      <FlashNotice flash={flash} />
      <section class="card" aria-labelledby="grant-h">
        <h2 id="grant-h">Usage rights</h2>
        <p>
          <a href={r.post_url ?? r.draft_url} rel="noopener noreferrer nofollow" target="_blank">
            {r.post_url ? 'Live post' : 'Approved draft'}
          </a>{' '}
          · <a href={`/console/campaigns/${r.campaign_id}/creators/${r.enrollment_id}`}>@{r.handle}</a>
        </p>
        {terms ? (
          <>
            <p class="small">
              Granted {r.rights_granted_at === null ? '' : formatDate(r.rights_granted_at, viewer.timezone)}, as they read it: “{rightsInWords(terms, viewer.brandName)}”
            </p>
            <Rights r={r} now={now} timezone={viewer.timezone} />
          </>
        ) : (
          <p class="muted">No usage rights were asked with this draft.</p>
        )}
      </section>
      {history.length > 0 ? (
        <section class="card" aria-labelledby="history-h">
          <h2 id="history-h">Extension requests</h2>
          <ExtensionHistory history={history} timezone={viewer.timezone} />
        </section>
      ) : null}
      {canWrite ? (
        <section class="card" id="extend" aria-labelledby="extend-h">
          <h2 id="extend-h">{open ? 'Waiting for their answer' : 'Ask to extend the rights'}</h2>
          {open ? (
            <form method="post" action={`/console/content/${r.id}/rights-extension/withdraw`} class="stack">
              <Errors errors={errors} />
              <p>
                You asked {name} on {formatDate(open.created_at, viewer.timezone)}: {askInWords(askOf(open))}. They see it on their home page and this post's page, and accept or decline it there.
              </p>
              <div>
                <button type="submit" class="button button-danger">
                  Withdraw the request
                </button>
              </div>
            </form>
          ) : cannotAsk ? (
            <>
              <Errors errors={errors} />
              <p class="muted">{cannotAsk}</p>
            </>
          ) : (
            <>
              <p class="muted small">
                {name} is emailed once and answers in their portal. Nothing changes until they accept; their acceptance is kept in the words they read, beside the grant as first given.
              </p>
              <AskForm r={r} values={values} currency={viewer.currency} errors={errors} />
            </>
          )}
        </section>
      ) : null}
    </ConsolePage>
  );
};
