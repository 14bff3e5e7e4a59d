// A conversation as both sides draw it (the creator's Messages page, the console's conversation and creator
// pages): the messages oldest first, the reader's own on the right, a "New" rule before the first the reader had
// not read, and the form to write the next. Plain forms: it works without JavaScript.
import type { Child, FC } from 'hono/jsx';
import { ErrorSummary, invalidIn, type FormError } from './layout';
import { formatDateTime } from './format';
import { MESSAGE_MAX } from '../worker/db/message-threads';

export type ThreadMessage = { id: string; mine: boolean; who: string; body: string; created_at: number };

// `readAt`: when the reader last read the conversation (null: never), for the New rule; `messages` oldest first.
export const Thread: FC<{ messages: ThreadMessage[]; readAt: number | null; timezone: string; label: string; empty: Child }> = ({ messages, readAt, timezone, label, empty }) => {
  const firstNew = messages.findIndex((m) => !m.mine && (readAt === null || m.created_at > readAt));
  if (messages.length === 0) return <p class="thread-empty muted">{empty}</p>;
  return (
    <ol class="thread" aria-label={label}>
      {messages.map((m, i) => (
        <>
          {i === firstNew ? (
            <li class="thread-new" aria-hidden="true">
              <span>New</span>
            </li>
          ) : null}
          <li class={`msg ${m.mine ? 'msg-mine' : 'msg-theirs'}`} id={`m-${m.id}`}>
            <p class="msg-meta">
              <strong>{m.who}</strong>
              {i >= firstNew && firstNew >= 0 && !m.mine ? <span class="visually-hidden"> (new)</span> : null}{' '}
              <time datetime={new Date(m.created_at).toISOString()}>{formatDateTime(m.created_at, timezone)}</time>
            </p>
            <p class="msg-body prewrap">{m.body}</p>
          </li>
        </>
      ))}
    </ol>
  );
};

// The form under a conversation. `formKey` makes a form sent twice send once; `seen`: the newest message's time the
// page showed, up to which sending marks the writer's side read (null: it did not show every unread message);
// `note` says who reads it and what to expect.
export const Composer: FC<{ action: string; formKey: string; seen: number | null; to: string; value?: string; errors?: readonly FormError[]; note: Child; id?: string }> = ({
  action,
  formKey,
  seen,
  to,
  value = '',
  errors,
  note,
  id = 'message',
}) => (
  <form method="post" action={action} class="composer stack">
    <ErrorSummary errors={errors} />
    <input type="hidden" name="key" value={formKey} />
    {seen !== null ? <input type="hidden" name="seen" value={String(seen)} /> : null}
    <div class="field">
      <label for={id}>Write to {to}</label>
      <textarea id={id} name="body" rows={4} maxlength={MESSAGE_MAX} required aria-describedby={`${id}-hint`} aria-invalid={invalidIn(errors, id)}>
        {value}
      </textarea>
      <p id={`${id}-hint`} class="hint">
        {note}
      </p>
    </div>
    <div>
      <button type="submit" class="button button-primary">
        Send
      </button>
    </div>
  </form>
);

// In a closed conversation's notice, what was typed when it closed (a form refused since): kept to copy, not sent.
export const UnsentText: FC<{ value?: string; id: string }> = ({ value, id }) =>
  value ? (
    <div class="field">
      <label for={id}>Your message, not sent</label>
      <textarea id={id} rows={4} readonly>
        {value}
      </textarea>
    </div>
  ) : null;
