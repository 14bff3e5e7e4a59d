// A campaign's Applications tab: the public page's address and its switch, the applications waiting (oldest
// first) with Approve and Decline, and the latest answers.
import type { FC } from 'hono/jsx';
import type { ApplicationLists, ApplicationRow } from '../../worker/db/applications';
import { DECIDED_SHOWN, MAX_PENDING_APPLICATIONS, PENDING_SHOWN } from '../../worker/db/applications';
import { PLATFORMS } from '../../worker/domain/applications';
import { countOf, ENROLLMENT_STATUS_LABELS, formatCount, formatDateTime, linkTarget, PAYMENT_MODEL_LABELS } from '../format';
import { CopyField, Notice } from '../layout';
import { CampaignHeader, ConsolePage, DataTable, FlashNotice, FormQuestion, RowAction, WriteButton, type Flash, type Viewer } from './layout';

type Campaign = { id: string; name: string; status: string; hashtag: string; ended: boolean; applicationsOpen: boolean };

const platformLabel = (p: string) => (Object.hasOwn(PLATFORMS, p) ? PLATFORMS[p as keyof typeof PLATFORMS] : p);

// Where the page stands: taking applications, switched off, or unable to (a draft, an ended campaign).
const PageState: FC<{ campaign: Campaign; url: string; canWrite: boolean }> = ({ campaign, url, canWrite }) => {
  const action = `/console/campaigns/${campaign.id}/applications/open`;
  const live = campaign.applicationsOpen && campaign.status === 'active' && !campaign.ended;
  return (
    <section class="card" aria-labelledby="apply-page-h">
      <h2 id="apply-page-h">Your application page</h2>
      {live ? (
        <>
          <p>Creators who find you can apply here. Share it in your bio, on your site or in a post: applications arrive below, and approving one sends the invitation.</p>
          <CopyField id="apply-url" label="Application page" value={url} />
        </>
      ) : campaign.ended ? (
        <p class="muted">This campaign has ended, so it takes no applications.</p>
      ) : campaign.applicationsOpen && campaign.status === 'draft' ? (
        <p>Applications open at <code>{url}</code> when you launch the campaign.</p>
      ) : (
        <p class="muted">Off. Switch it on to get a page where creators apply to this campaign; nothing is public until you do.</p>
      )}
      {campaign.ended ? null : (
        <form method="post" action={action} class="apply-switch">
          <input type="hidden" name="open" value={campaign.applicationsOpen ? '0' : '1'} />
          <WriteButton canWrite={canWrite} class={campaign.applicationsOpen ? 'button' : 'button button-primary'}>
            {campaign.applicationsOpen ? 'Stop taking applications' : 'Take applications'}
          </WriteButton>
        </form>
      )}
    </section>
  );
};

const Facts: FC<{ a: ApplicationRow }> = ({ a }) => (
  <p class="muted small">
    {platformLabel(a.platform)}
    {a.follower_count !== null ? ` · ${countOf(a.follower_count, 'follower')}` : ''}
    {a.niche ? ` · ${a.niche}` : ''}
    {a.terms_version !== null ? ` · ticked program terms v${a.terms_version}` : ''}
    {a.profile_url ? (
      <>
        {' · '}
        <a href={a.profile_url} rel="noopener noreferrer nofollow ugc" target="_blank">
          {linkTarget(a.profile_url)}
        </a>
      </>
    ) : null}
  </p>
);

const Waiting: FC<{ a: ApplicationRow; campaignId: string; canWrite: boolean; timezone: string }> = ({ a, campaignId, canWrite, timezone }) => {
  const base = `/console/campaigns/${campaignId}/applications/${a.id}`;
  const creatorPage = a.enrollment_id ? `/console/campaigns/${campaignId}/creators/${a.enrollment_id}` : null;
  const removed = a.enrollment_status === 'removed';
  const enrolled = creatorPage !== null && !removed;
  const modelId = `model-${a.id}`;
  return (
    <li class="card application" id={a.id}>
      <div class="application-head">
        <h3>
          {a.name} <span class="muted">@{a.handle}</span>
        </h3>
        <span class="muted small">Applied {formatDateTime(a.created_at, timezone)}</span>
      </div>
      <Facts a={a} />
      <p class="small">{a.email}</p>
      {a.pitch ? <p class="pitch">{a.pitch}</p> : <p class="muted small">No note.</p>}
      {/* Anyone can type any handle: a profile link that shows it is the brand's first check. */}
      {a.profile_url === null ? (
        <p class="small warn-text">No profile link: check that @{a.handle} is theirs before approving.</p>
      ) : !a.profile_url.toLowerCase().includes(a.handle) ? (
        <p class="small warn-text">Their profile link does not mention @{a.handle}: check that it is theirs before approving.</p>
      ) : null}
      {a.handle_held && !creatorPage ? (
        <p class="small warn-text">
          Another creator on your roster has @{a.handle}, so this application cannot be approved as sent. If it is them under another address, they can apply from the one you have; otherwise decline it.
        </p>
      ) : null}
      {creatorPage ? (
        <p class="small warn-text">
          {removed ? `Was in this campaign before and ${a.ended_by ? 'left it' : 'was removed'}: ` : `Already in this campaign (${ENROLLMENT_STATUS_LABELS[a.enrollment_status ?? ''] ?? a.enrollment_status}): `}
          <a href={creatorPage}>{removed ? 'restore them on their page' : 'open their page'}</a>.
        </p>
      ) : null}
      <div class="application-actions">
        <form method="post" action={`${base}/approve`} class="application-approve">
          {enrolled || removed ? null : (
            <span class="field-inline">
              <label for={modelId}>Pays</label>
              <select id={modelId} name="paymentModel" disabled={!canWrite}>
                <option value="affiliate">{PAYMENT_MODEL_LABELS.affiliate}</option>
                <option value="product">{PAYMENT_MODEL_LABELS.product}</option>
              </select>
            </span>
          )}
          <WriteButton canWrite={canWrite} notYet={removed ? 'Restore them on their page first' : undefined} class="button button-primary">
            {enrolled ? 'Mark approved' : 'Approve and invite'}
            <span class="visually-hidden"> {a.name}</span>
          </WriteButton>
        </form>
        <form method="post" action={`${base}/decline`}>
          <WriteButton canWrite={canWrite} describedBy={DECLINE_HINT_ID}>
            Decline<span class="visually-hidden"> {a.name}</span>
          </WriteButton>
        </form>
      </div>
    </li>
  );
};

export type Approved = { name: string; handle: string; enrollmentId: string; mailed: boolean; already: boolean };

const ApprovedNotice: FC<{ a: Approved; campaignId: string }> = ({ a, campaignId }) => {
  const page = <a href={`/console/campaigns/${campaignId}/creators/${a.enrollmentId}`}>their page</a>;
  return (
    <Notice tone="success" title={a.already ? 'Marked approved' : 'Approved and invited'}>
      {a.already ? (
        <>
          {a.name} (@{a.handle}) is in this campaign already: see {page}.
        </>
      ) : a.mailed ? (
        <>
          Chorus is emailing {a.name} (@{a.handle}) their invitation: accepting it gives them their link and code. Follow them on {page}.
        </>
      ) : (
        <>
          {a.name} (@{a.handle}) is invited, but Chorus did not email them (email is not set up here, they were emailed lately, or they asked for no invitations). Send them an invite link from {page}.
        </>
      )}
    </Notice>
  );
};

// What a decline sends, said once above the list and read with each Decline button.
const DECLINE_HINT_ID = 'decline-hint';
const DECLINE_NOTE = 'a short email saying you are not taking them on for this campaign, with no reason given';

const DECIDED_LABELS: Record<string, string> = { approved: 'Approved', declined: 'Declined' };

export const ApplicationsPage: FC<{
  viewer: Viewer;
  campaign: Campaign;
  url: string;
  lists: ApplicationLists;
  canWrite: boolean;
  toReview: number;
  flash?: Flash;
  problem?: string;
  approved?: Approved;
  /** "Decline all shown" asked: the ids it would decline. */
  declineIds?: string[];
}> = ({ viewer, campaign, url, lists, canWrite, toReview, flash, problem, approved, declineIds }) => (
  <ConsolePage title={`${campaign.name} applications`} viewer={viewer} section="campaigns" toReview={toReview}>
    <CampaignHeader campaign={campaign} tab="applications" brandName={viewer.brandName} />
    <FlashNotice flash={flash ?? null} />
    {approved ? <ApprovedNotice a={approved} campaignId={campaign.id} /> : null}
    {declineIds && declineIds.length > 0 ? (
      <>
        <form method="post" action={`/console/campaigns/${campaign.id}/applications/decline-all`} id="decline-all-confirm" hidden>
          {declineIds.map((id) => (
            <input type="hidden" name="id" value={id} />
          ))}
        </form>
        <FormQuestion
          tone="warn"
          title={`Decline ${countOf(declineIds.length, 'application')}?`}
          form="decline-all-confirm"
          name="confirm"
          submit={`Decline ${formatCount(declineIds.length)}`}
          submitTone="danger"
          cancelHref={`/console/campaigns/${campaign.id}/applications`}
          cancel="Keep them"
          saveLabel="Ask again"
        >
          The {declineIds.length === 1 ? 'application' : `${formatCount(declineIds.length)} applications`} you were looking at {declineIds.length === 1 ? 'is' : 'are'} declined; any that arrived since stay. Each creator gets {DECLINE_NOTE} (unless they asked for no invitations from you, or heard of another decline lately).
        </FormQuestion>
      </>
    ) : declineIds ? (
      <Notice tone="info">Those applications were answered already.</Notice>
    ) : null}
    {problem ? (
      <Notice tone="error" title="Not approved">
        {problem}
      </Notice>
    ) : null}
    {lists.pendingCount >= MAX_PENDING_APPLICATIONS ? (
      <Notice tone="warn" title="Your application page is full">
        {formatCount(lists.pendingCount)} applications are waiting, so the page tells new creators that applications are paused. Answer some below and it takes new ones again.
      </Notice>
    ) : null}
    <PageState campaign={campaign} url={url} canWrite={canWrite} />
    <section aria-labelledby="waiting-h">
      <h2 id="waiting-h">
        Waiting for an answer <span class="muted">({formatCount(lists.pendingCount)})</span>
      </h2>
      {lists.pending.length === 0 ? (
        <p class="empty-inline">No applications waiting.</p>
      ) : (
        <>
          <p class="muted small">
            Oldest first. Approving invites them as an import would: their own link and a code like your other creators', and an email with their invite link.{' '}
            <span id={DECLINE_HINT_ID}>Declining sends them {DECLINE_NOTE}, once (none if you declined them in the last month).</span>
            {lists.pendingCount > PENDING_SHOWN ? ` The first ${PENDING_SHOWN} are shown; answer these to see the rest.` : ''}
          </p>
          <ul class="application-list">
            {lists.pending.map((a) => (
              <Waiting a={a} campaignId={campaign.id} canWrite={canWrite} timezone={viewer.timezone} />
            ))}
          </ul>
          {lists.pending.length > 1 ? (
            <form method="post" action={`/console/campaigns/${campaign.id}/applications/decline-all`} id="decline-all" class="apply-switch">
              {lists.pending.map((a) => (
                <input type="hidden" name="id" value={a.id} />
              ))}
              <WriteButton canWrite={canWrite} describedBy={DECLINE_HINT_ID}>
                Decline all {formatCount(lists.pending.length)} shown…
              </WriteButton>
            </form>
          ) : null}
        </>
      )}
    </section>
    {lists.decided.length > 0 ? (
      <section class="card" aria-labelledby="decided-h">
        <h2 id="decided-h">Answered lately</h2>
        <p class="muted small">The latest {DECIDED_SHOWN} answers. A declined application is deleted 90 days after the answer.</p>
        <DataTable columns={['Creator', 'Answer', 'When', 'By']} action={canWrite ? 'Change' : null}>
          {lists.decided.map((a) => (
            <tr>
              <td data-label="Creator">
                {a.status === 'approved' && a.enrollment_id ? <a href={`/console/campaigns/${campaign.id}/creators/${a.enrollment_id}`}>{a.name}</a> : a.name} <span class="muted">@{a.handle}</span>
              </td>
              <td data-label="Answer">
                <span class={`badge badge-${a.status === 'approved' ? 'active' : 'removed'}`}>{DECIDED_LABELS[a.status] ?? a.status}</span>
                {a.status === 'declined' && a.decline_mailed_at !== null ? (
                  <>
                    {' '}
                    <span class="muted small">emailed</span>
                  </>
                ) : null}
              </td>
              <td data-label="When">{a.decided_at === null ? '—' : formatDateTime(a.decided_at, viewer.timezone)}</td>
              <td data-label="By">{a.decided_by_name ?? 'A former teammate'}</td>
              {canWrite ? (
                <td>{a.status === 'declined' ? <RowAction action={`/console/campaigns/${campaign.id}/applications/${a.id}/reopen`} label="Reopen" target={a.name} /> : null}</td>
              ) : null}
            </tr>
          ))}
        </DataTable>
      </section>
    ) : null}
  </ConsolePage>
);
