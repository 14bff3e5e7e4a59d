// The brand console's frame: the shared portal layout in its console variant, console.css, and the section nav.
import type { Child, FC } from 'hono/jsx';
import { CopyField, ErrorSummary, Notice, Page, type FormError, type NavItem } from '../layout';
export { FlashNotice, type Flash } from '../layout';

// unreadThreads: conversations with a creator's message nobody on the team has read (the nav's Messages count).
export type Viewer = { name: string; email: string; role: 'owner' | 'manager' | 'finance' | 'viewer'; brandName: string; currency: string; timezone: string; otherBrands?: number; unreadThreads?: number };

export type Section = 'campaigns' | 'creators' | 'messages' | 'review' | 'content' | 'orders' | 'payouts' | 'settings';

export const ROLE_LABELS: Record<Viewer['role'], string> = { owner: 'Owner', manager: 'Manager', finance: 'Finance', viewer: 'Viewer' };

const consoleNav = (current: Section | undefined, toReview?: number, unread?: number): NavItem[] => [
  { href: '/console', label: 'Campaigns', current: current === 'campaigns' },
  { href: '/console/creators', label: 'Creators', current: current === 'creators' },
  { href: '/console/messages', label: unread ? `Messages (${unread})` : 'Messages', current: current === 'messages' },
  { href: '/console/review', label: toReview ? `Review (${toReview})` : 'Review', current: current === 'review' },
  { href: '/console/content', label: 'Content', current: current === 'content' },
  { href: '/console/orders', label: 'Orders', current: current === 'orders' },
  { href: '/console/payouts', label: 'Payouts', current: current === 'payouts' },
  { href: '/console/settings', label: 'Settings', current: current === 'settings' },
];

export const ConsolePage: FC<{ title: string; viewer?: Viewer; section?: Section; toReview?: number; children?: Child }> = ({ title, viewer, section, toReview, children }) => (
  <Page
    title={title}
    area="console"
    nav={viewer ? consoleNav(section, toReview, viewer.unreadThreads) : undefined}
    who={viewer?.name}
    whoBrand={viewer?.brandName}
    whoTag={viewer ? ROLE_LABELS[viewer.role] : undefined}
    switchBrand={(viewer?.otherBrands ?? 0) > 0}
  >
    <link rel="stylesheet" href="/console.css" />
    {viewer?.role === 'viewer' ? (
      <p class="view-only" role="note">
        You have view-only access: reviews, imports and webhook replays need an owner or manager, and payouts an owner, a manager or finance.
      </p>
    ) : viewer?.role === 'finance' ? (
      <p class="view-only" role="note">
        You have finance access: payouts and the orders and payouts files. Reviews, imports and webhook replays need an owner or manager.
      </p>
    ) : null}
    {children}
  </Page>
);

// The campaign filter of the review queue and the orders page: part of a GET form, so it works without JS.
export const CampaignFilter: FC<{ campaigns: { id: string; name: string }[]; selected: string | null }> = ({ campaigns, selected }) => (
  <>
    <label for="f-campaign" class="visually-hidden">
      Campaign
    </label>
    <select id="f-campaign" name="campaign">
      <option value="">All campaigns</option>
      {campaigns.map((c) => (
        <option value={c.id} selected={c.id === selected}>
          {c.name}
        </option>
      ))}
    </select>
  </>
);

// A list as a table: its header row (`action` names a last column of buttons, read by screen readers, not
// shown), then the rows given. Rows become stacked cards on a phone (console.css .stack-sm).
export const DataTable: FC<{ columns: string[]; action?: string | null; tableClass?: string; children?: Child }> = ({ columns, action, tableClass, children }) => (
  <div class="table-wrap">
    <table class={tableClass ? `stack-sm ${tableClass}` : 'stack-sm'}>
      <thead>
        <tr>
          {columns.map((c) => (
            <th scope="col">{c}</th>
          ))}
          {action ? (
            <th scope="col">
              <span class="visually-hidden">{action}</span>
            </th>
          ) : null}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  </div>
);

// A step that breaks something, asked once more: what it does, then the button that does it (the same form
// posted with confirm=1, plus `fields`) and the way back.
// `tone`: danger for what breaks something (revoke, remove, close), primary for what only goes out (a mailing).
export const ConfirmStep: FC<{ title: string; action: string; submit: string; cancelHref: string; cancel: string; fields?: Record<string, string>; tone?: 'danger' | 'primary'; children?: Child }> = ({
  title,
  action,
  submit,
  cancelHref,
  cancel,
  fields = {},
  tone = 'danger',
  children,
}) => (
  <div class="stack confirm-block">
    <Notice tone="warn" title={title}>
      <p>{children}</p>
    </Notice>
    <form method="post" action={action} class="form-actions">
      {Object.entries(fields).map(([name, value]) => (
        <input type="hidden" name={name} value={value} />
      ))}
      <input type="hidden" name="confirm" value="1" />
      <button type="submit" class={`button button-${tone}`}>
        {submit}
      </button>
      <a class="button button-quiet" href={cancelHref}>
        {cancel}
      </a>
    </form>
  </div>
);

// The answer to a question a form's save came back with once (launch, end, remove): the buttons belong to the form
// `form`, which keeps everything as entered and saves it with the answer. Only the `name` button confirms: Enter in
// a field, or the form's own Save, asks again (the first submit button of a form in the page is its default, so a
// plain one goes first, out of sight and out of the tab order).
export const QuestionButtons: FC<{ form: string; name: string; submit: string; submitTone: 'primary' | 'danger'; cancelHref: string; cancel: string; saveLabel: string }> = ({
  form,
  name,
  submit,
  submitTone,
  cancelHref,
  cancel,
  saveLabel,
}) => (
  <div class="form-actions">
    <button type="submit" form={form} class="visually-hidden" tabindex={-1} aria-hidden="true">
      {saveLabel}
    </button>
    <button type="submit" form={form} name={name} value="1" class={`button button-${submitTone}`}>
      {submit}
    </button>
    <a class="button button-quiet" href={cancelHref}>
      {cancel}
    </a>
  </div>
);

// The question itself, at the top of the page above the form it answers for.
export const FormQuestion: FC<{ tone: 'warn' | 'info'; title: string; children?: Child } & Parameters<typeof QuestionButtons>[0]> = ({ tone, title, children, ...buttons }) => (
  <div class="stack confirm-block" role="alert">
    <Notice tone={tone} title={title}>
      {children}
    </Notice>
    <QuestionButtons {...buttons} />
  </div>
);

// A secret on the one page that made it: what it is for, and the field to copy it from.
export const ShownOnce: FC<{ title: string; id: string; label: string; value: string; children?: Child }> = ({ title, id, label, value, children }) => (
  <div class="stack confirm-block">
    <Notice tone="success" title={title}>
      <p>{children}</p>
    </Notice>
    <CopyField id={id} label={label} value={value} />
  </div>
);

// Keyset pages of a newest-first list: back to the newest (on a later page) and on to older rows (when there are).
export const Pager: FC<{ newest: string | null; older: string | null; olderLabel: string; newerLabel?: string }> = ({ newest, older, olderLabel, newerLabel = 'Newest' }) =>
  newest || older ? (
    <nav class="pager" aria-label="Pages">
      {newest ? <a href={newest}>← {newerLabel}</a> : <span />}
      {older ? (
        <a href={older} rel="next">
          {olderLabel} →
        </a>
      ) : null}
    </nav>
  ) : null;

// One button in a table row that posts to `action`; screen readers hear which row it acts on.
export const RowAction: FC<{ action: string; label: string; target: string }> = ({ action, label, target }) => (
  <form method="post" action={action}>
    <button type="submit" class="button button-small">
      {label}
      <span class="visually-hidden"> {target}</span>
    </button>
  </form>
);

export const Errors: FC<{ errors?: readonly FormError[]; title?: string }> = ({ errors, title }) => <ErrorSummary errors={errors} title={title} />;

export type CampaignTab = 'brief' | 'updates' | 'bounties' | 'import' | 'applications' | 'network' | 'gifting';

/** The roster filtered by a tag (worker/routes/portal/console/roster.tsx). */
export const tagHref = (tag: string) => `/console/creators?tag=${encodeURIComponent(tag)}`;

/** A creator's tags as chips, each leading to the roster filtered by it. */
export const TagChips: FC<{ tags: string[] }> = ({ tags }) =>
  tags.length === 0 ? null : (
    <ul class="tag-chips" aria-label="Tags">
      {tags.map((t) => (
        <li>
          <a href={tagHref(t)}>
            <span class="visually-hidden">Creators tagged </span>
            {t}
          </a>
        </li>
      ))}
    </ul>
  );

export const CAMPAIGN_STATUS_LABELS: Record<string, string> = { draft: 'Draft', active: 'Active', ended: 'Ended' };

export const CampaignStatus: FC<{ status: string }> = ({ status }) => <span class={`status-dot status-${status}`}>{CAMPAIGN_STATUS_LABELS[status] ?? status}</span>;

// `tab`: the tab the page is; none for a page of its own (Copy campaign).
export const CampaignHeader: FC<{ campaign: { id: string; name: string; status: string; hashtag: string }; tab?: CampaignTab; brandName: string }> = ({ campaign, tab, brandName }) => (
  <header class="console-head">
    <p class="eyebrow">
      <a href="/console">Campaigns</a> <span aria-hidden="true">/</span> {brandName}
    </p>
    <h1 class="page-title">{campaign.name}</h1>
    <p class="head-meta">
      <CampaignStatus status={campaign.status} />
      <code class="hashtag">{campaign.hashtag}</code>
    </p>
    <nav aria-label="Campaign" class="tabs">
      <a href={`/console/campaigns/${campaign.id}`} aria-current={tab === 'brief' ? 'page' : undefined}>
        Brief
      </a>
      <a href={`/console/campaigns/${campaign.id}/updates`} aria-current={tab === 'updates' ? 'page' : undefined}>
        Updates
      </a>
      <a href={`/console/campaigns/${campaign.id}/bounties`} aria-current={tab === 'bounties' ? 'page' : undefined}>
        Bounties
      </a>
      <a href={`/console/campaigns/${campaign.id}/import`} aria-current={tab === 'import' ? 'page' : undefined}>
        Import creators
      </a>
      <a href={`/console/campaigns/${campaign.id}/applications`} aria-current={tab === 'applications' ? 'page' : undefined}>
        Applications
      </a>
      <a href={`/console/campaigns/${campaign.id}/network`} aria-current={tab === 'network' ? 'page' : undefined}>
        Network
      </a>
      <a href={`/console/campaigns/${campaign.id}/gifting`} aria-current={tab === 'gifting' ? 'page' : undefined}>
        Gifting
      </a>
    </nav>
  </header>
);

export const ConsoleErrorPage: FC<{ status: number; title: string; message: string; signedIn: boolean }> = ({ status, title, message, signedIn }) => (
  <Page title={title} area="console">
    <link rel="stylesheet" href="/console.css" />
    <section class="card narrow center">
      <p class="eyebrow">Error {status}</p>
      <h1>{title}</h1>
      <p>{message}</p>
      <p>
        <a class="button" href={signedIn ? '/console' : '/console/login'}>
          {signedIn ? 'Back to the console' : 'Sign in'}
        </a>
      </p>
    </section>
  </Page>
);

// A submit button that viewers see disabled, with the reason on hover and for screen readers. `notYet`
// disables it for everyone else too, with its own reason (a month still running cannot be closed).
export const WriteButton: FC<{ canWrite: boolean; needs?: string; notYet?: string; class?: string; name?: string; value?: string; form?: string; describedBy?: string; children?: Child }> = ({
  canWrite,
  needs = 'Needs an owner or manager',
  notYet,
  children,
  ...rest
}) => (
  <button
    type="submit"
    class={rest.class ?? 'button'}
    name={rest.name}
    value={rest.value}
    form={rest.form}
    aria-describedby={rest.describedBy}
    disabled={!canWrite || notYet !== undefined}
    title={!canWrite ? needs : notYet}
  >
    {children}
  </button>
);
