// A creator's two-step sign-in (Your account → Two-step sign-in, /account/two-step) and the code step of their
// sign-in, in the portal's frame: the shared pieces (portal/two-step.tsx) under the account's own address.
import type { FC } from 'hono/jsx';
import { formatDate } from '../format';
import { ErrorSummary, FlashNotice, Notice, Page, type Flash, type FormError } from '../layout';
import { authenticatorAccount, NewRecoveryCodesForm, RecoveryCodeList, RecoveryCodesLeft, SetupSteps, SignInCodeForm, TurnOffForm, type TwoStepSetup } from '../two-step';
import { creatorNav } from './pages';

export const CREATOR_TWO_STEP = '/account/two-step';
// The app's entry for a creator account, beside the email: apart from any brand console the same person signs in to.
export const CREATOR_APP_ENTRY = 'Creator portal';
// Who resets it when phone and recovery codes are both gone: the operator, reached through a brand (no creator
// knows who runs Chorus, and no brand can reset an account other brands pay).
export const CREATOR_RESET_ASK = 'ask a brand you work with to have Chorus reset your two-step sign-in';

// Inside the card: beside a narrow card the page's own left edge is far from it on a desktop.
const Back: FC = () => (
  <p class="small back">
    <a href="/account">← Your account</a>
  </p>
);

export const CreatorTwoStepSetupPage: FC<{ email: string; setup: TwoStepSetup | null; flash: Flash; errors?: readonly FormError[] }> = ({ email, setup, flash, errors }) => (
  <Page title="Set up two-step sign-in" nav={creatorNav('account')} who={email}>
    <section class="card narrow two-step-card stack" aria-labelledby="setup-h">
      <Back />
      <h1 id="setup-h">Set up two-step sign-in</h1>
      <FlashNotice flash={flash} />
      <ErrorSummary errors={errors} />
      <SetupSteps setup={setup} action={CREATOR_TWO_STEP} email={email} account={authenticatorAccount(CREATOR_APP_ENTRY, email)} />
    </section>
  </Page>
);

export const CreatorTwoStepManagePage: FC<{ email: string; since: number; left: number; flash: Flash; errors?: readonly FormError[] }> = ({ email, since, left, flash, errors }) => (
  <Page title="Two-step sign-in" nav={creatorNav('account')} who={email}>
    <section class="card narrow two-step-card stack" aria-labelledby="manage-h">
      <Back />
      <h1 id="manage-h">Two-step sign-in is on</h1>
      <FlashNotice flash={flash} />
      <ErrorSummary errors={errors} />
      <p class="muted">Since {formatDate(since, 'UTC')}. Signing in asks for a code from your authenticator app after your password.</p>
      <RecoveryCodesLeft left={left} />
    </section>
    <NewRecoveryCodesForm action={CREATOR_TWO_STEP} email={email} />
    <TurnOffForm action={CREATOR_TWO_STEP} email={email} />
  </Page>
);

export const CreatorRecoveryCodesPage: FC<{ email: string; codes: string[]; first: boolean }> = ({ email, codes, first }) => (
  <Page title="Your recovery codes" nav={creatorNav('account')} who={email}>
    <section class="card narrow two-step-card stack" aria-labelledby="rc-h">
      <h1 id="rc-h">{first ? 'Two-step sign-in is on' : 'Your new recovery codes'}</h1>
      <RecoveryCodeList codes={codes} first={first} />
      <p>
        <a class="button button-primary" href="/">
          I saved them: go to my home page
        </a>
      </p>
    </section>
  </Page>
);

// The second step of a sign-in with two-step on: the password was right, and no session exists until a code is.
export const CreatorCodePage: FC<{ email: string; error?: string }> = ({ email, error }) => (
  <Page title="Enter your sign-in code">
    <section class="card narrow">
      <h1>Two-step sign-in</h1>
      <p class="muted">
        Open your authenticator app and type the 6-digit code for <strong>{CREATOR_APP_ENTRY}</strong> (<span style="overflow-wrap: anywhere">{email}</span>), listed under Chorus.
      </p>
      {error ? <Notice tone="error">{error}</Notice> : null}
      <SignInCodeForm action="/login/code" />
      <p class="muted small">Lost your phone and your recovery codes? To sign in, {CREATOR_RESET_ASK}.</p>
      <p class="small">
        <a href="/login">Start again</a>
      </p>
    </section>
  </Page>
);
