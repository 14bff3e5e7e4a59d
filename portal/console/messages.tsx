// The brand's side of messages (db/message-threads.ts): the inbox of conversations, one per creator, unread ones
// first; one conversation with the creator's campaigns beside it; and the Messages area of a creator's page.
import type { FC } from 'hono/jsx';
import type { BrandThreadRow, MessageRow } from '../../worker/db/message-threads';
import { MESSAGES_PER_HOUR, PREVIEW_CHARS } from '../../worker/db/message-threads';
import { clip, ENROLLMENT_STATUS_LABELS, formatCount, formatDateTime } from '../format';
import { Notice, type FormError } from '../layout';
import { Composer, Thread, UnsentText, type ThreadMessage } from '../messages';
import { ConsolePage, FlashNotice, Pager, type Flash, type Viewer } from './layout';

// A message as the brand's team sees it: their own side's on the right, each named (the creator, a teammate, a key).
export const consoleMessage = (m: MessageRow, creatorName: string): ThreadMessage => ({
  id: m.id,
  mine: m.author_type !== 'creator',
  who: m.author_type === 'creator' ? creatorName : (m.author_name ?? (m.author_type === 'api_key' ? 'An API key' : 'A former teammate')),
  body: m.body,
  created_at: m.created_at,
});

const preview = (t: BrandThreadRow) => {
  const text = t.preview.replace(/\s+/g, ' ').trim();
  const cut = clip(text, PREVIEW_CHARS);
  return t.last_author_type === 'creator' ? cut : `${t.last_author_name ?? 'Your team'}: ${cut}`;
};

const InboxList: FC<{ rows: BrandThreadRow[]; timezone: string; label: string }> = ({ rows, timezone, label }) => (
  <ul class="inbox card" aria-label={label}>
    {rows.map((t) => (
      <li class={t.unread > 0 ? 'inbox-row is-unread' : 'inbox-row'}>
        <a href={`/console/messages/${t.creator_id}`}>
          <span class="inbox-who">
            {t.display_name} <span class="muted small">@{t.handle}</span>
          </span>
          <span class="inbox-preview">{preview(t)}</span>
          <span class="inbox-when muted small">{formatDateTime(t.last_message_at, timezone)}</span>
          {t.unread > 0 ? <span class="count-badge">{`${formatCount(t.unread)} new`}</span> : null}
        </a>
      </li>
    ))}
  </ul>
);

// A page of one of the inbox's lists, and the cursor of the next.
export type InboxListPage = { rows: BrandThreadRow[]; older: string | null };

// `paged`: a later page of one list, shown alone ('unread' or 'read'); null: the first page of both.
export const InboxPage: FC<{ viewer: Viewer; unread: InboxListPage; others: InboxListPage; paged: 'unread' | 'read' | null; toReview: number }> = ({ viewer, unread, others, paged, toReview }) => {
  const unreadTotal = Math.max(viewer.unreadThreads ?? 0, unread.rows.length);
  const moreUnread = unreadTotal - unread.rows.length;
  return (
    <ConsolePage title="Messages" viewer={viewer} section="messages" toReview={toReview}>
      <div class="page-head">
        <div>
          <p class="eyebrow">{viewer.brandName}</p>
          <h1 class="page-title">Messages</h1>
        </div>
      </div>
      {unread.rows.length === 0 && others.rows.length === 0 && !paged ? (
        <section class="card">
          <h2>No conversations yet</h2>
          <p>Creators who accepted your brand can write to your team from their portal, and you can write to one from their page in a campaign (Campaigns, then a creator in the ranking). Each creator has one conversation with {viewer.brandName}, whatever campaigns you share.</p>
        </section>
      ) : null}
      {paged === 'unread' || (!paged && unread.rows.length > 0) ? (
        <section aria-labelledby="unread-h">
          <h2 id="unread-h" class="section-title">
            Unread <span class="count-badge">{formatCount(unreadTotal)}</span>
          </h2>
          {unread.rows.length > 0 ? <InboxList rows={unread.rows} timezone={viewer.timezone} label="Conversations with unread messages" /> : <p class="muted">Nothing older unread.</p>}
          <Pager
            newest={paged ? '/console/messages' : null}
            older={unread.older ? `/console/messages?unread=${encodeURIComponent(unread.older)}` : null}
            olderLabel={!paged && moreUnread > 0 ? `${formatCount(moreUnread)} more unread` : 'Older unread'}
            newerLabel="Latest"
          />
        </section>
      ) : null}
      {paged === 'read' || (!paged && others.rows.length > 0) ? (
        <section aria-labelledby="all-h">
          <h2 id="all-h" class="section-title">
            {unread.rows.length > 0 ? 'Read' : 'Conversations'}
          </h2>
          {others.rows.length > 0 ? <InboxList rows={others.rows} timezone={viewer.timezone} label="Conversations you have read" /> : <p class="muted">Nothing older.</p>}
          <Pager newest={paged ? '/console/messages' : null} older={others.older ? `/console/messages?older=${encodeURIComponent(others.older)}` : null} olderLabel="Older" newerLabel="Latest" />
        </section>
      ) : null}
      <p class="muted small">
        The latest message first, in each list. A conversation stays unread until an owner or manager opens it; owners and managers are emailed that a creator wrote (never what), at most once an hour
        for each creator, unless they turn it off under Your notifications on the Team page.
      </p>
    </ConsolePage>
  );
};

export type ConversationCreator = { id: string; handle: string; name: string; accepted: boolean };
export type ConversationCampaign = { enrollment_id: string; campaign_id: string; campaign_name: string; status: string };

// Why the team cannot write, when it cannot.
const closedWhy = (c: ConversationCreator) =>
  c.accepted
    ? `${c.name} is in none of your campaigns now (they left or were removed): you both still read this conversation, and neither can write until they are back in one.`
    : `${c.name} has not accepted your brand yet: you can write to each other once they accept your invitation.`;

const composerNote = (name: string) =>
  `Plain text, up to 4,000 characters. ${name} reads it in their portal under your brand's name and is emailed that you wrote (not what), at most once an hour. Up to ${MESSAGES_PER_HOUR} messages an hour.`;

export const ConversationPage: FC<{
  viewer: Viewer;
  canWrite: boolean;
  creator: ConversationCreator;
  campaigns: ConversationCampaign[];
  messages: ThreadMessage[];
  readAt: number | null;
  open: boolean;
  formKey: string;
  seen: number | null;
  value?: string;
  errors?: FormError[];
  flash: Flash;
  older: string | null;
  paged: boolean;
  toReview: number;
}> = ({ viewer, canWrite, creator, campaigns, messages, readAt, open, formKey, seen, value, errors, flash, older, paged, toReview }) => (
  <ConsolePage title={`Messages · ${creator.name}`} viewer={viewer} section="messages" toReview={toReview}>
    <header class="console-head">
      <p class="eyebrow">
        <a href="/console/messages">Messages</a> <span aria-hidden="true">/</span> {viewer.brandName}
      </p>
      <h1 class="page-title">{creator.name}</h1>
      <p class="muted conversation-meta">
        @{creator.handle}
        {campaigns.length > 0 ? (
          <>
            {' · '}
            {campaigns.map((c, i) => (
              <>
                {i > 0 ? ', ' : ''}
                <a href={`/console/campaigns/${c.campaign_id}/creators/${c.enrollment_id}`}>{c.campaign_name}</a>
                {c.status === 'active' ? '' : ` (${(ENROLLMENT_STATUS_LABELS[c.status] ?? c.status).toLowerCase()})`}
              </>
            ))}
          </>
        ) : null}
      </p>
    </header>
    <FlashNotice flash={flash} />
    <section class="card thread-card" aria-labelledby="thread-h">
      <h2 id="thread-h" class="visually-hidden">
        Your conversation with {creator.name}
      </h2>
      {older ? (
        <p class="thread-older small">
          <a href={`/console/messages/${creator.id}?older=${encodeURIComponent(older)}`}>Earlier messages</a>
        </p>
      ) : null}
      <Thread messages={messages} readAt={readAt} timezone={viewer.timezone} label={`Messages with ${creator.name}`} empty={open ? `No messages yet. Write to ${creator.name} below.` : 'No messages.'} />
      {paged ? (
        <p class="thread-older small">
          <a href={`/console/messages/${creator.id}`}>Back to the latest</a>
        </p>
      ) : null}
    </section>
    {!open ? (
      <Notice tone="info" title="This conversation is closed">
        <p>{closedWhy(creator)}</p>
        <UnsentText value={value} id="message" />
      </Notice>
    ) : canWrite ? (
      <section class="card" aria-label="Write a message">
        <Composer action={`/console/messages/${creator.id}`} formKey={formKey} seen={seen} to={creator.name} value={value} errors={errors} note={composerNote(creator.name)} />
      </section>
    ) : (
      <p class="muted small">Your role reads messages; an owner or manager writes them, and opening the conversation marks it read for the team.</p>
    )}
  </ConsolePage>
);

// The Messages area of a creator's page in a campaign: the newest few, the way to the whole conversation, and the
// form, which posts to the creator page's own route and comes back here, refused or sent.
export type CreatorMessagesArea = {
  creatorId: string;
  messages: ThreadMessage[];
  more: boolean;
  unread: number;
  readAt: number | null;
  open: boolean;
  accepted: boolean;
  formKey: string;
  seen: number | null;
  action: string;
  value?: string;
  errors?: FormError[];
};

export const CreatorMessages: FC<{ area: CreatorMessagesArea; name: string; canWrite: boolean; timezone: string }> = ({ area, name, canWrite, timezone }) => (
  <section class="card" id="messages" aria-labelledby="messages-h">
    <div class="card-head">
      <h2 id="messages-h">
        Messages {area.unread > 0 ? <span class="count-badge">{`${formatCount(area.unread)} new`}</span> : null}
      </h2>
      <p class="small">
        <a href={`/console/messages/${area.creatorId}`}>{area.more ? 'The whole conversation' : 'Open the conversation'}</a>
      </p>
    </div>
    <p class="muted small">One conversation with {name} for all your campaigns together.</p>
    {area.more ? <p class="thread-older small">Earlier messages are in the whole conversation.</p> : null}
    <Thread messages={area.messages} readAt={area.readAt} timezone={timezone} label={`Latest messages with ${name}`} empty={area.open ? `No messages yet.` : 'No messages.'} />
    {!area.open ? (
      <>
        <p class="muted small">{closedWhy({ id: area.creatorId, handle: '', name, accepted: area.accepted })}</p>
        <UnsentText value={area.value} id="creator-message" />
      </>
    ) : canWrite ? (
      <Composer action={area.action} formKey={area.formKey} seen={area.seen} to={name} value={area.value} errors={area.errors} note={composerNote(name)} id="creator-message" />
    ) : null}
  </section>
);
