// The review queue across the brand: filters by GET, one form per action, bulk approve through checkboxes
// bound to a separate form (the form attribute), so every action works without JavaScript.
import type { FC } from 'hono/jsx';
import type { ComplianceChecks } from '../../worker/db/schema';
import type { ReviewItem } from '../../worker/routes/portal/console/queries';
import { missingTags } from '../../worker/domain/submissions';
import { grantState, parseRights, scopesInWords, termsInForce, type UsageRights } from '../../worker/domain/usage-rights';
import { countOf, formatCount, formatDate, formatDateTime, STATUS_LABELS, STORY_FORMAT_LABELS } from '../format';
import { Badge, Notice } from '../layout';
import { CampaignFilter, ConsolePage, Errors, FlashNotice, Pager, type Flash, type Viewer } from './layout';

// The queue's row with its compliance checks parsed.
export type ReviewRow = Omit<ReviewItem, 'compliance'> & { compliance: ComplianceChecks };

export type ReviewFilterValues = { status: string | null; campaignId: string | null; compliance: string | null };

const STATUS_ORDER = ['submitted', 'changes_requested', 'approved', 'live', 'rejected'] as const;

export function reviewHref(f: ReviewFilterValues, override: Partial<ReviewFilterValues> = {}, page = 1): string {
  const merged = { ...f, ...override };
  const q = new URLSearchParams();
  if (merged.status) q.set('status', merged.status);
  if (merged.campaignId) q.set('campaign', merged.campaignId);
  if (merged.compliance) q.set('compliance', merged.compliance);
  if (page > 1) q.set('page', String(page));
  const s = q.toString();
  return `/console/review${s ? `?${s}` : ''}`;
}

const Compliance: FC<{ c: ComplianceChecks; hashtag: string; disclosure: string }> = ({ c, hashtag, disclosure }) => (
  <ul class="checks" aria-label="Caption checks">
    <li class={c.hashtag ? 'ok' : 'missing'}>
      {c.hashtag ? '✓' : '✗'} <code>{hashtag}</code>
    </li>
    <li class={c.disclosure ? 'ok' : 'missing'}>
      {c.disclosure ? '✓' : '✗'} <code>{disclosure}</code>
    </li>
  </ul>
);

// What the draft grants: while it waits for review, the terms as the creator granted them with it (the uses and the
// term, or that none were asked); once approved or live, the terms in force (an accepted extension's uses and end)
// and until when on the brand's calendar. A rejected draft's grant never starts, so it says nothing there.
const Granted: FC<{ s: ReviewRow; now: number; timezone: string }> = ({ s, now, timezone }) => {
  if (s.status === 'rejected') return null;
  const waiting = s.status === 'submitted' || s.status === 'changes_requested';
  const terms = waiting ? parseRights(s.rights_terms) : termsInForce(s);
  const lastDay = s.rights_until === null ? null : formatDate(s.rights_until - 1, timezone);
  const term = (t: UsageRights) =>
    waiting
      ? t.days === null
        ? 'no end date'
        : `${t.days === 1 ? '1 day' : `${formatCount(t.days)} days`}`
      : grantState(s, now) === 'expired'
        ? `ended ${lastDay}`
        : lastDay !== null
          ? `until ${lastDay}`
          : t.days === null
            ? 'no end date'
            : 'not started';
  return (
    <p class="small granted">
      <span class="muted">Usage rights: </span>
      {terms ? `${scopesInWords(terms)}, ${term(terms)}` : 'none asked'}
      {!waiting && s.extended_at !== null ? <span class="muted"> (extended {formatDate(s.extended_at, timezone)})</span> : null}
    </p>
  );
};

const Back: FC<{ back: string }> = ({ back }) => <input type="hidden" name="back" value={back} />;

const Actions: FC<{ s: ReviewRow; back: string }> = ({ s, back }) => {
  const base = `/console/review/${s.id}`;
  // A caption missing the hashtag or the disclosure needs the reviewer's word before it is approved.
  const missing = missingTags(s.compliance, { hashtag: s.hashtag, disclosureText: s.disclosure_text }).join(' and ');
  const flagged = missing !== '';
  if (s.status === 'submitted') {
    return (
      <div class="actions">
        <form method="post" action={`${base}/approve`} class={flagged ? 'approve-flagged' : undefined}>
          <Back back={back} />
          {flagged ? (
            <label class="checkbox small">
              <input type="checkbox" name="override" value="1" required /> The post will carry {missing}
            </label>
          ) : null}
          <button type="submit" class="button button-primary button-small">
            Approve
          </button>
        </form>
        <details class="action-details">
          <summary class="button button-small">Request changes</summary>
          <form method="post" action={`${base}/request-changes`} class="stack action-form">
            <Back back={back} />
            <label for={`note-${s.id}`}>What should change?</label>
            <textarea id={`note-${s.id}`} name="note" rows={3} required maxlength={2000} placeholder="Show the texture closer, and say #ad in the first seconds."></textarea>
            <button type="submit" class="button button-small">
              Send to the creator
            </button>
          </form>
        </details>
        <details class="action-details">
          <summary class="button button-small button-danger">Reject</summary>
          <form method="post" action={`${base}/reject`} class="stack action-form">
            <Back back={back} />
            <label for={`reject-${s.id}`}>Reason (optional, the creator sees it)</label>
            <textarea id={`reject-${s.id}`} name="note" rows={2} maxlength={2000}></textarea>
            <button type="submit" class="button button-small button-danger">
              Reject this draft
            </button>
          </form>
        </details>
      </div>
    );
  }
  if (s.status === 'changes_requested') {
    return (
      <div class="actions">
        <details class="action-details">
          <summary class="button button-small button-danger">Reject</summary>
          <form method="post" action={`${base}/reject`} class="stack action-form">
            <Back back={back} />
            <label for={`reject-${s.id}`}>Reason (optional)</label>
            <textarea id={`reject-${s.id}`} name="note" rows={2} maxlength={2000}></textarea>
            <button type="submit" class="button button-small button-danger">
              Reject this draft
            </button>
          </form>
        </details>
      </div>
    );
  }
  if (s.status === 'approved') {
    return (
      <div class="actions">
        <form method="post" action={`${base}/mark-live`} class="live-form">
          <Back back={back} />
          <label for={`post-${s.id}`} class="visually-hidden">
            Live post URL
          </label>
          <input id={`post-${s.id}`} name="postUrl" type="url" inputmode="url" required maxlength={2048} placeholder="https://www.instagram.com/p/…" />
          <button type="submit" class="button button-small">
            Mark live
          </button>
        </form>
      </div>
    );
  }
  if (s.status === 'live') {
    return (
      <div class="actions">
        <details class="action-details">
          <summary class="button button-small button-danger">Not live</summary>
          <form method="post" action={`${base}/not-live`} class="stack action-form">
            <Back back={back} />
            <label for={`not-live-${s.id}`}>What is wrong with the link? The creator sees it and can add the right one.</label>
            <textarea id={`not-live-${s.id}`} name="note" rows={3} required maxlength={2000} placeholder="The link opens a different post."></textarea>
            <p class="hint">Its flat fee, if the creator has one, is taken back: from their next payout if it was paid.</p>
            <button type="submit" class="button button-small button-danger">
              Mark not live
            </button>
          </form>
        </details>
      </div>
    );
  }
  return null;
};

const METRIC_LABELS = [
  ['views', 'Views'],
  ['likes', 'Likes'],
  ['comments', 'Comments'],
  ['saves', 'Saves'],
  ['shares', 'Shares'],
] as const;

// A live post's numbers, for the brand to correct when the creator's are wrong (the network ranking uses them).
const MetricsFix: FC<{ s: ReviewRow; back: string }> = ({ s, back }) => (
  <details class="metrics-fix">
    <summary class="small">Correct the numbers</summary>
    <form method="post" action={`/console/review/${s.id}/metrics`} class="stack">
      <input type="hidden" name="back" value={back} />
      {/* Empty fields keep the post's numbers as they are when this is saved: a creator's update meanwhile stays. */}
      <p class="hint">Fill in only the numbers that are wrong.</p>
      <div class="metrics-grid">
        {METRIC_LABELS.map(([k, label]) => (
          <div class="field">
            <label for={`${k}-${s.id}`}>{label}</label>
            <input id={`${k}-${s.id}`} name={k} type="number" inputmode="numeric" min={0} max={1000000000} step={1} placeholder={String(s[k])} />
          </div>
        ))}
      </div>
      <div>
        <button type="submit" class="button button-small">
          Save the numbers<span class="visually-hidden"> of {s.display_name}'s post</span>
        </button>
      </div>
    </form>
  </details>
);

export const ReviewPage: FC<{
  viewer: Viewer;
  canWrite: boolean;
  filters: ReviewFilterValues;
  campaigns: { id: string; name: string }[];
  items: ReviewRow[];
  counts: Record<string, number>;
  page: number;
  more: boolean;
  flash: Flash;
  errors?: string[];
  toReview: number;
  /** Drafts ticked in a bulk form sent without its button (Enter on a box): ticked again, and asked about. */
  ticked?: string[];
}> = ({ viewer, canWrite, filters, campaigns, items, counts, page, more, flash, errors, toReview, ticked = [] }) => {
  const back = reviewHref(filters, {}, page);
  const now = Date.now();
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const selectable = canWrite && items.some((s) => s.status === 'submitted');
  return (
    <ConsolePage title="Review" viewer={viewer} section="review" toReview={toReview}>
      <div class="page-head">
        <div>
          <p class="eyebrow">{viewer.brandName}</p>
          <h1 class="page-title">Content review</h1>
        </div>
        <form method="get" action="/console/review" class="filters" aria-label="Filter submissions">
          {filters.status ? <input type="hidden" name="status" value={filters.status} /> : null}
          <CampaignFilter campaigns={campaigns} selected={filters.campaignId} />
          <label for="f-compliance" class="visually-hidden">
            Caption checks
          </label>
          <select id="f-compliance" name="compliance">
            <option value="">Any caption</option>
            <option value="flagged" selected={filters.compliance === 'flagged'}>
              Missing hashtag or disclosure
            </option>
            <option value="ok" selected={filters.compliance === 'ok'}>
              Hashtag and disclosure present
            </option>
          </select>
          <button type="submit" class="button button-small">
            Filter
          </button>
        </form>
      </div>
      <FlashNotice flash={flash} />
      <Errors errors={errors} title="That didn't go through" />
      {ticked.length > 0 ? (
        <Notice tone="warn" title="Nothing approved yet">
          <p>Press Approve selected to approve the {ticked.length === 1 ? 'draft' : `${formatCount(ticked.length)} drafts`} ticked below: each creator is emailed, and an approval cannot be undone.</p>
        </Notice>
      ) : null}
      <nav class="tabs status-tabs" aria-label="Status">
        <a href={reviewHref(filters, { status: null })} aria-current={filters.status === null ? 'page' : undefined}>
          All <span class="count">{formatCount(total)}</span>
        </a>
        {STATUS_ORDER.map((st) => (
          <a href={reviewHref(filters, { status: st })} aria-current={filters.status === st ? 'page' : undefined}>
            {STATUS_LABELS[st]} <span class="count">{formatCount(counts[st] ?? 0)}</span>
          </a>
        ))}
      </nav>
      {selectable ? (
        <form id="bulk" method="post" action="/console/review/bulk-approve" class="bulk-bar">
          <Back back={back} />
          {/* The form's first button, which Enter on a ticked box presses: it only asks, so only "Approve selected"
              approves (each approval mails its creator and cannot be undone). */}
          <button type="submit" class="visually-hidden" tabindex={-1} aria-hidden="true">
            Ask before approving
          </button>
          <span class="muted small">Tick drafts in review, then</span>
          <button type="submit" name="approve" value="1" class="button button-primary button-small">
            Approve selected
          </button>
        </form>
      ) : null}
      {items.length === 0 ? (
        <div class="card empty-state">
          <span class="empty-mark" aria-hidden="true">
            ✓
          </span>
          <h2>{filters.status === 'submitted' || (!filters.status && total === 0) ? 'Nothing waiting for review' : 'No submissions match'}</h2>
          <p class="muted">When creators submit drafts, they appear here with their caption checks, oldest first.</p>
          {filters.status || filters.campaignId || filters.compliance ? (
            <p>
              <a href="/console/review">See every submission</a>
            </p>
          ) : null}
        </div>
      ) : (
        <ul class="review-list">
          {items.map((s) => (
            <li class={`card review-item${s.status === 'submitted' ? ' is-waiting' : ''}${s.compliance.hashtag && s.compliance.disclosure ? '' : ' is-flagged'}`}>
              <div class="review-select">
                {canWrite && s.status === 'submitted' ? (
                  <>
                    <input type="checkbox" name="ids" value={s.id} form="bulk" id={`pick-${s.id}`} checked={ticked.includes(s.id)} />
                    <label for={`pick-${s.id}`} class="visually-hidden">
                      Select {s.display_name}'s draft
                    </label>
                  </>
                ) : null}
              </div>
              <div class="review-main">
                <div class="review-meta">
                  <strong>{s.display_name}</strong> <span class="muted">@{s.handle}</span> <Badge status={s.status} label={STATUS_LABELS[s.status] ?? s.status} />
                  <span class="muted small block">
                    {s.campaign_name} · {STORY_FORMAT_LABELS[s.story_format] ?? s.story_format} · updated {formatDateTime(s.updated_at, viewer.timezone)}
                  </span>
                </div>
                <p class="caption prewrap">{s.caption}</p>
                <Granted s={s} now={now} timezone={viewer.timezone} />
                <div class="review-facts">
                  <Compliance c={s.compliance} hashtag={s.hashtag} disclosure={s.disclosure_text} />
                  <a href={s.draft_url} rel="noopener noreferrer nofollow" target="_blank" class="small">
                    Open draft ↗
                  </a>
                  {s.post_url ? (
                    <a href={s.post_url} rel="noopener noreferrer nofollow" target="_blank" class="small">
                      Live post ↗
                    </a>
                  ) : null}
                </div>
                {s.status === 'live' ? (
                  <>
                    <p class="muted small metrics-line">
                      Reported numbers: {countOf(s.views, 'view')} · {countOf(s.likes, 'like')} · {countOf(s.comments, 'comment')} · {countOf(s.saves, 'save')} · {countOf(s.shares, 'share')}
                    </p>
                    {canWrite ? <MetricsFix s={s} back={back} /> : null}
                  </>
                ) : null}
                {s.review_notes ? (
                  <p class="review-note prewrap">
                    <span class="muted small">Note to the creator: </span>
                    {s.review_notes}
                  </p>
                ) : null}
              </div>
              {canWrite ? (
                <div class="review-side">
                  <Actions s={s} back={back} />
                </div>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      <Pager newest={page > 1 ? reviewHref(filters, {}, page - 1) : null} older={more ? reviewHref(filters, {}, page + 1) : null} olderLabel="More" newerLabel="Back" />
    </ConsolePage>
  );
};
