// The page behind the unsubscribe link in an invitation mail: it asks, then says what it did. No account needed.
import type { FC } from 'hono/jsx';
import { Notice, Page } from './layout';

export type UnsubscribeState = { brandName: string; email: string; brand: boolean; every: boolean };

export const UnsubscribePage: FC<{ action: string; state: UnsubscribeState; done?: 'brand' | 'every' }> = ({ action, state, done }) => (
  <Page title="Invitation emails">
    <section class="card narrow stack">
      <h1>Invitation emails</h1>
      {done ? (
        <Notice tone="success" title="Done">
          <p>
            {done === 'every' ? (
              <>No brand on Chorus will email {state.email} an invitation again.</>
            ) : (
              <>
                {state.brandName} will not email {state.email} an invitation through Chorus again.
              </>
            )}
          </p>
        </Notice>
      ) : null}
      {state.every ? (
        <p>
          <strong>{state.email}</strong> gets no invitations from any brand on Chorus.
        </p>
      ) : (
        <>
          {state.brand && !done ? (
            <p>
              <strong>{state.email}</strong> gets no more invitations from {state.brandName}.
            </p>
          ) : null}
          {!state.brand ? (
            <p>
              Stop invitations from <strong>{state.brandName}</strong> to <strong>{state.email}</strong>? Nothing else changes: if you work with them on Chorus already,
              you still hear about your payouts and drafts.
            </p>
          ) : null}
          <form method="post" action={action} class="form-actions">
            {!state.brand ? (
              <button type="submit" name="scope" value="brand" class="button button-primary">
                Stop invitations from {state.brandName}
              </button>
            ) : null}
            <button type="submit" name="scope" value="every" class="button">
              Stop invitations from every brand on Chorus
            </button>
          </form>
        </>
      )}
      <p class="muted small">Brands add creators' addresses to their campaigns on Chorus, which sends the invitations for them, at most three per campaign.</p>
    </section>
  </Page>
);

export const UnsubscribeUnusablePage: FC = () => (
  <Page title="Link not recognised">
    <section class="card narrow">
      <h1>This link can't be used</h1>
      <p>It may have been cut short when it was copied. Open it from the email again, or use the unsubscribe button your mail app shows for it.</p>
    </section>
  </Page>
);
