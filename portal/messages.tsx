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

// The form under a conversation. `formKey` makes a form sent twice send once; `back` is where to land after
// (a console page that shows the conversation in part); `note` says who reads it and what to expect.
export const Composer: FC<{ action: string; formKey: string; to: string; value?: string; errors?: readonly FormError[]; back?: string; note: Child; id?: string }> = ({ action, formKey, to, value = '', errors, back, note, id = 'message' }) => (
  <form method="post" action={action} class="composer stack">
    <ErrorSummary errors={errors} />
    <input type="hidden" name="key" value={formKey} />
    {back ? <input type="hidden" name="back" value={back} /> : null}
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
