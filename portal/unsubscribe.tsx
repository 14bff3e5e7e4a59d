// The page behind the unsubscribe link in an invitation mail: it asks, then says what it did, with a way back.
// No account needed.
import type { Child, FC } from 'hono/jsx';
import { Notice, Page } from './layout';

export type UnsubscribeState = { brandName: string; email: string; brand: boolean; every: boolean };
type Done = 'brand' | 'every' | 'resume-brand' | 'resume-every';

const doneText = (done: Done, s: UnsubscribeState) =>
  ({
    brand: `${s.brandName} will not email ${s.email} an invitation through Chorus again.`,
    every: `No brand on Chorus will email ${s.email} an invitation again.`,
    'resume-brand': `${s.brandName} can email ${s.email} invitations through Chorus again.`,
    'resume-every': s.brand
      ? `Brands on Chorus can email ${s.email} invitations again, except ${s.brandName}, which you stopped on its own.`
      : `Brands on Chorus can email ${s.email} invitations again.`,
  })[done];

const Button: FC<{ value: Done; primary?: boolean; children?: Child }> = ({ value, primary, children }) => (
  <button type="submit" name="scope" value={value} class={primary ? 'button button-primary' : 'button'}>
    {children}
  </button>
);

export const UnsubscribePage: FC<{ action: string; state: UnsubscribeState; done?: Done }> = ({ action, state, done }) => (
  <Page title="Invitation emails">
    <section class="card narrow stack">
      <h1>Invitation emails</h1>
      {done ? (
        <Notice tone="success" title="Done">
          <p>{doneText(done, state)}</p>
        </Notice>
      ) : null}
      {done ? null : state.every ? (
        <p>
          <strong>{state.email}</strong> gets no invitations from any brand on Chorus.
        </p>
      ) : state.brand ? (
        <p>
          <strong>{state.email}</strong> gets no invitations from {state.brandName}.
        </p>
      ) : (
        <p>
          Stop invitations from <strong>{state.brandName}</strong> to <strong>{state.email}</strong>? Nothing else changes: if you work with them on Chorus already, you still
          hear about your payouts and drafts.
        </p>
      )}
      <form method="post" action={action} class="form-actions">
        {/* Undo first: after a stop, it is the likelier next step (a mail app may have pressed the one-click). */}
        {state.every ? <Button value="resume-every">Let brands invite me again</Button> : state.brand ? <Button value="resume-brand">Let {state.brandName} invite me again</Button> : null}
        {!state.brand && !state.every ? (
          <Button value="brand" primary>
            Stop invitations from {state.brandName}
          </Button>
        ) : null}
        {!state.every ? <Button value="every">Stop invitations from every brand on Chorus</Button> : null}
      </form>
      <p class="muted small">
        Brands add creators' addresses to their campaigns on Chorus, which sends the invitations for them, at most three per campaign. A brand that adds an address which stopped
        invitations sees that it did, and Chorus sends it nothing.
      </p>
    </section>
  </Page>
);

export const UnsubscribeUnusablePage: FC = () => (
  <Page title="Link not recognised">
    <section class="card narrow">
      <h1>This link can't be used</h1>
      <p>It may have been cut short when it was copied. Open it from the email again, or use the unsubscribe button your mail app shows for it.</p>
      <p class="muted small">
        Working with brands on Chorus already? <a href="/account#emails-h">Sign in</a> to choose your emails on your Account page.
      </p>
    </section>
  </Page>
);

// The page behind the earnings mail's unsubscribe link: the mail's state for the account, one button to change it.
export const EarningsMailPage: FC<{ action: string; email: string; on: boolean; done?: boolean }> = ({ action, email, on, done }) => (
  <Page title="Earnings emails">
    <section class="card narrow stack">
      <h1>Earnings emails</h1>
      {done ? (
        <Notice tone="success" title="Done">
          <p>{on ? `We will email ${email} on days you earn.` : `We will no longer email ${email} when you earn.`}</p>
        </Notice>
      ) : (
        <p>
          {on ? (
            <>
              Stop the email that tells <strong>{email}</strong> what new orders earned? You still hear about payouts and your drafts, and every order stays on your Earnings
              page.
            </>
          ) : (
            <>
              <strong>{email}</strong> gets no email on days you earn.
            </>
          )}
        </p>
      )}
      <form method="post" action={action} class="form-actions">
        {on ? (
          <button type="submit" name="mail" value="off" class={done ? 'button' : 'button button-primary'}>
            Stop earnings emails
          </button>
        ) : (
          <button type="submit" name="mail" value="on" class="button">
            Email me on days I earn again
          </button>
        )}
      </form>
    </section>
  </Page>
);

// The page behind a campaign news mail's link (an update, a brief change, or the alert that the brand sent a message):
// that brand's mail for the account, one button to stop it or start it again. The updates stay on the brief, and the
// messages in the portal, either way.
export const CampaignNewsPage: FC<{ action: string; email: string; brandName: string; on: boolean; done?: boolean }> = ({ action, email, brandName, on, done }) => (
  <Page title="Campaign news emails">
    <section class="card narrow stack">
      <h1>Campaign news emails</h1>
      {done ? (
        <Notice tone="success" title="Done">
          <p>{on ? `We will email ${brandName}'s campaign news to ${email} again.` : `We will no longer email ${brandName}'s campaign updates and brief changes, nor its new-message alerts, to ${email}.`}</p>
        </Notice>
      ) : (
        <p>
          {on ? (
            <>
              Stop emailing <strong>{email}</strong> the updates and brief changes <strong>{brandName}</strong> posts to its campaigns, and the alerts that it sent you a message?
            </>
          ) : (
            <>
              <strong>{email}</strong> gets no campaign news from <strong>{brandName}</strong> by email.
            </>
          )}
        </p>
      )}
      <form method="post" action={action} class="form-actions">
        {on ? (
          <button type="submit" name="mail" value="off" class={done ? 'button' : 'button button-primary'}>
            Stop news from {brandName}
          </button>
        ) : (
          <button type="submit" name="mail" value="on" class="button">
            Email me {brandName}'s news again
          </button>
        )}
      </form>
      <p class="muted small">
        Updates stay on your brief, and messages under Messages, either way. Payouts, review decisions and changes to your account are always emailed, and other brands' news is not affected:{' '}
        <a href="/account#emails-h">choose on your Account page</a>.
      </p>
    </section>
  </Page>
);
