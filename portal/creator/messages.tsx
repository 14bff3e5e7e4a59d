// A creator's conversations with the brands they work with (db/message-threads.ts): one per brand, listed on the
// Messages page, each read and answered on its own page.
import type { FC } from 'hono/jsx';
import type { CreatorThreadRow } from '../../worker/db/message-threads';
import { MESSAGES_PER_HOUR } from '../../worker/db/message-threads';
import { formatCount, formatDateTime } from '../format';
import { Notice, Page, type FormError } from '../layout';
import { Composer, Thread, UnsentText, type ThreadMessage } from '../messages';
import { creatorNav } from './pages';

type Who = { who: string };

export const MessagesPage: FC<Who & { threads: CreatorThreadRow[] }> = ({ who, threads }) => (
  <Page title="Messages" nav={creatorNav('messages')} who={who}>
    <h1 class="page-title">Messages</h1>
    {threads.length === 0 ? (
      <section class="card">
        <h2>No brands yet</h2>
        <p>Once you accept a brand's invitation, you can write to its team here, and read what it writes to you.</p>
      </section>
    ) : (
      <ul class="inbox card" aria-label="Your conversations">
        {threads.map((t) => (
          <li class={t.unread > 0 ? 'inbox-row is-unread' : 'inbox-row'}>
            <a href={`/messages/${t.brand_id}`}>
              <span class="inbox-who">{t.brand_name}</span>
              <span class="inbox-when muted small">
                {t.last_message_at !== null ? formatDateTime(t.last_message_at, t.timezone) : t.open ? 'No messages yet: write the first' : 'No messages'}
              </span>
              {t.unread > 0 ? <span class="count-badge">{`${formatCount(t.unread)} new`}</span> : t.open ? null : <span class="pill pill-muted">Read only</span>}
            </a>
          </li>
        ))}
      </ul>
    )}
    <p class="muted small">Only you and each brand's team read your conversation with it. Messages are kept, and cannot be edited or deleted.</p>
  </Page>
);

export type CreatorThreadView = {
  brandId: string;
  brandName: string;
  timezone: string;
  // The campaigns shared with the brand, for the links back to their briefs.
  campaigns: { enrollment_id: string; campaign_name: string }[];
  messages: ThreadMessage[];
  readAt: number | null;
  open: boolean;
  // The next page back, when there are older messages; `paged`: this is not the newest page.
  older: string | null;
  paged: boolean;
};

export const CreatorThreadPage: FC<Who & { t: CreatorThreadView; formKey: string; value?: string; errors?: FormError[]; notice?: string }> = ({ who, t, formKey, value, errors, notice }) => (
  <Page title={`Messages with ${t.brandName}`} nav={creatorNav('messages')} who={who}>
    <p class="eyebrow">
      <a href="/messages">Messages</a>
    </p>
    <h1 class="page-title">{t.brandName}</h1>
    {t.campaigns.length > 0 ? (
      <p class="muted small thread-context">
        Your campaigns with them:{' '}
        {t.campaigns.map((c, i) => (
          <>
            {i > 0 ? ', ' : ''}
            <a href={`/brief/${c.enrollment_id}`}>{c.campaign_name}</a>
          </>
        ))}
      </p>
    ) : null}
    {notice ? <Notice tone="success">{notice}</Notice> : null}
    <section class="card thread-card" aria-labelledby="thread-h">
      <h2 id="thread-h" class="visually-hidden">
        Your conversation with {t.brandName}
      </h2>
      {t.older ? (
        <p class="thread-older small">
          <a href={`/messages/${t.brandId}?older=${encodeURIComponent(t.older)}`}>Earlier messages</a>
        </p>
      ) : null}
      <Thread
        messages={t.messages}
        readAt={t.readAt}
        timezone={t.timezone}
        label={`Messages with ${t.brandName}`}
        empty={t.open ? `No messages yet. Ask ${t.brandName}'s team anything about your campaigns: dates, the brief, your gift, a payout.` : 'No messages.'}
      />
      {t.paged ? (
        <p class="thread-older small">
          <a href={`/messages/${t.brandId}#message`}>Back to the latest</a>
        </p>
      ) : null}
    </section>
    {t.open ? (
      <section class="card" aria-label="Write a message">
        <Composer
          action={`/messages/${t.brandId}`}
          formKey={formKey}
          seen={t.paged ? null : (t.messages.at(-1)?.created_at ?? 0)}
          to={t.brandName}
          value={value}
          errors={errors}
          note={`Plain text, up to 4,000 characters. Only you and ${t.brandName}'s team read it; they are emailed that you wrote (not what), at most once an hour. Up to ${MESSAGES_PER_HOUR} messages an hour.`}
        />
      </section>
    ) : (
      <Notice tone="info" title="This conversation is closed">
        <p>You are no longer in any of {t.brandName}'s campaigns, so you can read what you both wrote but not write. If they ask you back to a campaign and you accept, you can write again.</p>
        <UnsentText value={value} id="message" />
      </Notice>
    )}
  </Page>
);
