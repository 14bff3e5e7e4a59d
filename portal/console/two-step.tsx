// A member's own two-step sign-in (Settings → Team → Two-step sign-in), in the console's frame: the shared pieces
// (portal/two-step.tsx) under the brand's name, with the brand's policy where it keeps it on.
import type { FC } from 'hono/jsx';
import { formatDate } from '../format';
import { Notice, type FormError } from '../layout';
import { authenticatorAccount, NewRecoveryCodesForm, RecoveryCodeList, RecoveryCodesLeft, SetupSteps, TurnOffForm, type TwoStepSetup } from '../two-step';
import { ConsolePage, Errors, FlashNotice, type Flash, type Viewer } from './layout';

export const TWO_STEP_ACTION = '/console/team/me/two-step';

const Back: FC = () => (
  <p class="small back">
    <a href="/console/team">← Team</a>
  </p>
);

export const TwoStepSetupPage: FC<{ viewer: Viewer; toReview: number; setup: TwoStepSetup | null; required: boolean; flash: Flash; errors?: readonly FormError[] }> = ({ viewer, toReview, setup, required, flash, errors }) => (
  <ConsolePage title="Set up two-step sign-in" viewer={viewer} section="settings" toReview={toReview}>
    {required ? null : <Back />}
    <section class="card narrow two-step-card stack" aria-labelledby="setup-h">
      <p class="eyebrow">{viewer.brandName}</p>
      <h1 id="setup-h">Set up two-step sign-in</h1>
      <FlashNotice flash={flash} />
      {required && !flash ? (
        <Notice tone="warn" title={`${viewer.brandName} requires two-step sign-in`}>
          Set it up to open the console. It takes a minute with your phone.
        </Notice>
      ) : null}
      <Errors errors={errors} />
      <SetupSteps setup={setup} action={TWO_STEP_ACTION} email={viewer.email} account={authenticatorAccount(viewer.brandName, viewer.email)} />
      {(viewer.otherBrands ?? 0) > 0 ? <p class="muted small">This is for {viewer.brandName}'s console. Each brand you sign in to has its own two-step sign-in, set up from its own Team page.</p> : null}
    </section>
  </ConsolePage>
);

export const TwoStepManagePage: FC<{ viewer: Viewer; toReview: number; since: number; left: number; required: boolean; flash: Flash; errors?: readonly FormError[] }> = ({ viewer, toReview, since, left, required, flash, errors }) => (
  <ConsolePage title="Two-step sign-in" viewer={viewer} section="settings" toReview={toReview}>
    <Back />
    <section class="card narrow two-step-card stack" aria-labelledby="manage-h">
      <p class="eyebrow">{viewer.brandName}</p>
      <h1 id="manage-h">Two-step sign-in is on</h1>
      <FlashNotice flash={flash} />
      <Errors errors={errors} />
      <p class="muted">Since {formatDate(since, viewer.timezone)}. Signing in asks for a code from your authenticator app after your password.</p>
      <RecoveryCodesLeft left={left} />
    </section>
    <NewRecoveryCodesForm action={TWO_STEP_ACTION} email={viewer.email} />
    <TurnOffForm action={TWO_STEP_ACTION} email={viewer.email} kept={required ? `${viewer.brandName} requires two-step sign-in, so it stays on. A new phone? Ask an owner to reset it, then set it up again.` : undefined} />
  </ConsolePage>
);

export const RecoveryCodesPage: FC<{ viewer: Viewer; toReview: number; codes: string[]; first: boolean }> = ({ viewer, toReview, codes, first }) => (
  <ConsolePage title="Your recovery codes" viewer={viewer} section="settings" toReview={toReview}>
    <section class="card narrow two-step-card stack" aria-labelledby="rc-h">
      <p class="eyebrow">{viewer.brandName}</p>
      <h1 id="rc-h">{first ? 'Two-step sign-in is on' : 'Your new recovery codes'}</h1>
      <RecoveryCodeList codes={codes} first={first} />
      <p>
        <a class="button button-primary" href="/console">
          I saved them: go to the console
        </a>
      </p>
    </section>
  </ConsolePage>
);
