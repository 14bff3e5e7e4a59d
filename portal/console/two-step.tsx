// A member's own two-step sign-in (Settings → Team → Two-step sign-in): setting it up with an authenticator app
// (a QR code, the key to type instead, then a code and the password), the recovery codes shown once, and, when it
// is on, new recovery codes or turning it off (each with the password and a code).
import type { FC } from 'hono/jsx';
import { raw } from 'hono/html';
import { formatDate } from '../format';
import { Notice, type FormError } from '../layout';
import { ConsolePage, Errors, FlashNotice, type Flash, type Viewer } from './layout';

const Back: FC = () => (
  <p class="small back">
    <a href="/console/team">← Team</a>
  </p>
);

// How the account reads in an authenticator app, under the issuer Chorus (the QR code's label, the page's words).
export const authenticatorAccount = (brandName: string, email: string) => `${brandName} (${email})`;

// The password and a code: what every change to two-step asks for, so a session left open is not enough. Without
// `codeLabel`, the password alone (an owner without two-step confirming a reset of someone else's).
export const ProveIt: FC<{ prefix: string; email: string; codeLabel?: string; codeHint?: string }> = ({ prefix, email, codeLabel, codeHint }) => (
  <>
    <input type="hidden" name="username" value={email} autocomplete="username" />
    {codeLabel ? (
      <div class="field">
        <label for={`${prefix}-code`}>{codeLabel}</label>
        <input id={`${prefix}-code`} name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required maxlength={16} class="code-input" aria-describedby={`${prefix}-code-hint`} spellcheck={false} />
        <p id={`${prefix}-code-hint`} class="hint">
          {codeHint}
        </p>
      </div>
    ) : null}
    <div class="field">
      <label for={`${prefix}-password`}>Your password</label>
      <input id={`${prefix}-password`} name="password" type="password" autocomplete="current-password" required maxlength={256} />
    </div>
  </>
);

export type TwoStepSetup = { token: string; secret: string; grouped: string; uri: string; qrSvg: string };

export const TwoStepSetupPage: FC<{ viewer: Viewer; toReview: number; setup: TwoStepSetup; required: boolean; flash: Flash; errors?: readonly FormError[] }> = ({ viewer, toReview, setup, required, flash, errors }) => (
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
      <p class="muted">After your password, signing in will ask for a 6-digit code from an authenticator app on your phone (Google Authenticator, 1Password, Authy, Microsoft Authenticator…). Someone who learns your password still cannot get in.</p>
      <ol class="steps-list stack">
        <li>
          <strong>Scan this QR code</strong> with the app (add an account, then scan a QR code).
          <figure class="qr two-step-qr">{raw(setup.qrSvg)}</figure>
          <details class="manual-key">
            <summary>Can't scan it? Type this key instead</summary>
            <p class="small muted">
              Issuer: Chorus. Account: {authenticatorAccount(viewer.brandName, viewer.email)}. Key, time-based:
            </p>
            <p>
              <code class="secret-key" aria-label={`Key: ${setup.secret.split('').join(' ')}`}>
                {setup.grouped}
              </code>
            </p>
            <p class="small">
              <a href={setup.uri}>Open in an authenticator app on this device</a>
            </p>
          </details>
        </li>
        <li>
          <strong>Type the code the app shows</strong> and your password, to show it works.
        </li>
      </ol>
      <form method="post" action="/console/team/me/two-step" class="stack">
        <input type="hidden" name="setup" value={setup.token} />
        <ProveIt prefix="on" email={viewer.email} codeLabel="6-digit code from the app" codeHint="It changes every 30 seconds; any current one works." />
        <div>
          <button type="submit" class="button button-primary">
            Turn on two-step sign-in
          </button>
        </div>
      </form>
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
      {left <= 3 ? (
        <Notice tone={left === 0 ? 'error' : 'warn'} title={left === 0 ? 'No recovery codes left' : `${left} recovery code${left === 1 ? '' : 's'} left`}>
          Without your phone, a recovery code is how you sign in. Make new ones below and keep them safe.
        </Notice>
      ) : (
        <p>
          <strong>{left} of 10 recovery codes left.</strong> Each works once, to sign in without your phone.
        </p>
      )}
    </section>
    <form method="post" action="/console/team/me/two-step/recovery" class="card narrow stack" aria-labelledby="codes-h">
      <h2 id="codes-h">New recovery codes</h2>
      <p class="muted small">Makes 10 new codes, shown once. The ones you have stop working.</p>
      <ProveIt prefix="codes" email={viewer.email} codeLabel="Code from your app, or a recovery code" codeHint="6 digits from the app, or one of your recovery codes." />
      <div>
        <button type="submit" class="button">
          Make new recovery codes
        </button>
      </div>
    </form>
    <form method="post" action="/console/team/me/two-step/off" class="card narrow stack" aria-labelledby="off-h">
      <h2 id="off-h">Turn off two-step sign-in</h2>
      {required ? (
        <p class="muted small">{viewer.brandName} requires two-step sign-in, so it stays on. A new phone? Ask an owner to reset it, then set it up again.</p>
      ) : (
        <>
          <p class="muted small">Your password alone will sign you in again. New phone? Turn it off here, then set it up again with the new one.</p>
          <ProveIt prefix="off" email={viewer.email} codeLabel="Code from your app, or a recovery code" codeHint="6 digits from the app, or one of your recovery codes." />
          <div>
            <button type="submit" class="button button-danger">
              Turn off two-step sign-in
            </button>
          </div>
        </>
      )}
    </form>
  </ConsolePage>
);

// Shown once, on the answer to the form that made them; only their hashes are kept.
export const RecoveryCodesPage: FC<{ viewer: Viewer; toReview: number; codes: string[]; first: boolean }> = ({ viewer, toReview, codes, first }) => (
  <ConsolePage title="Your recovery codes" viewer={viewer} section="settings" toReview={toReview}>
    <section class="card narrow two-step-card stack" aria-labelledby="rc-h">
      <p class="eyebrow">{viewer.brandName}</p>
      <h1 id="rc-h">{first ? 'Two-step sign-in is on' : 'Your new recovery codes'}</h1>
      <Notice tone="success" title="Save these recovery codes now">
        {first ? 'Your other sign-ins ended; this one stays. ' : 'Your old codes no longer work. '}If you lose your phone, each code signs you in once instead of a code from the app. They are shown only now: print them or keep them in your password manager.
      </Notice>
      <ol class="recovery-codes" aria-label="Recovery codes">
        {codes.map((code) => (
          <li>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <p>
        <a class="button button-primary" href="/console">
          I saved them: go to the console
        </a>
      </p>
    </section>
  </ConsolePage>
);
