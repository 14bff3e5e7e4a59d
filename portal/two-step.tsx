// Two-step sign-in's pieces, the same in the console (portal/console/two-step.tsx) and the creator portal
// (portal/creator/two-step.tsx), each inside its own page: the setup steps (a QR code, the key to type instead, then
// a code and the password), the forms that change it once it is on (each with the password and a code), the
// recovery codes shown once, and the code field of the sign-in step.
import type { FC } from 'hono/jsx';
import { raw } from 'hono/html';
import { Notice } from './layout';

// How the account reads in an authenticator app, under the issuer Chorus (the QR code's label, the page's words):
// `entry` tells it apart from the person's other Chorus accounts (a brand's console, the creator portal).
export const authenticatorAccount = (entry: string, email: string) => `${entry} (${email})`;

export const APP_OR_RECOVERY = { codeLabel: 'Code from your app, or a recovery code', codeHint: '6 digits from the app, or one of your recovery codes.' };

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

const SETUP_INTRO = 'After your password, signing in will ask for a 6-digit code from an authenticator app on your phone (Google Authenticator, 1Password, Authy, Microsoft Authenticator…). Someone who learns your password still cannot get in.';

const SetupForm: FC<{ setup: TwoStepSetup; action: string; email: string; account: string }> = ({ setup, action, email, account }) => (
  <>
    <p class="muted">{SETUP_INTRO}</p>
    <ol class="steps-list stack">
      <li>
        <strong>Scan this QR code</strong> with the app (add an account, then scan a QR code).
        <figure class="qr two-step-qr">{raw(setup.qrSvg)}</figure>
        <details class="manual-key">
          <summary>Can't scan it? Type this key instead</summary>
          <p class="small muted">Issuer: Chorus. Account: {account}. Key, time-based:</p>
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
    <form method="post" action={action} class="stack">
      <input type="hidden" name="setup" value={setup.token} />
      <ProveIt prefix="on" email={email} codeLabel="6-digit code from the app" codeHint="It changes every 30 seconds; any current one works." />
      <div>
        <button type="submit" class="button button-primary">
          Turn on two-step sign-in
        </button>
      </div>
    </form>
  </>
);

// What setting it up says and asks, posted to `action` (the settings page itself). `account` as the app lists it.
// Without `setup` (the code limit is reached, and the page's error says until when), no QR code and no form.
export const SetupSteps: FC<{ setup: TwoStepSetup | null; action: string; email: string; account: string }> = ({ setup, action, email, account }) =>
  setup ? <SetupForm setup={setup} action={action} email={email} account={account} /> : (
    <>
      <p class="muted">{SETUP_INTRO}</p>
      <p>
        <a href={action}>Set it up</a> once the wait is over: the page then shows a new QR code.
      </p>
    </>
  );

// How many recovery codes are left, loudly when few are.
export const RecoveryCodesLeft: FC<{ left: number }> = ({ left }) =>
  left <= 3 ? (
    <Notice tone={left === 0 ? 'error' : 'warn'} title={left === 0 ? 'No recovery codes left' : `${left} recovery code${left === 1 ? '' : 's'} left`}>
      Without your phone, a recovery code is how you sign in. Make new ones below and keep them safe.
    </Notice>
  ) : (
    <p>
      <strong>{left} of 10 recovery codes left.</strong> Each works once, to sign in without your phone.
    </p>
  );

// New recovery codes, posted to `${action}/recovery`.
export const NewRecoveryCodesForm: FC<{ action: string; email: string }> = ({ action, email }) => (
  <form method="post" action={`${action}/recovery`} class="card narrow stack" aria-labelledby="codes-h">
    <h2 id="codes-h">New recovery codes</h2>
    <p class="muted small">Makes 10 new codes, shown once. The ones you have stop working.</p>
    <ProveIt prefix="codes" email={email} {...APP_OR_RECOVERY} />
    <div>
      <button type="submit" class="button">
        Make new recovery codes
      </button>
    </div>
  </form>
);

// Turning it off, posted to `${action}/off`; `kept` instead says why it stays on (a brand that requires it).
export const TurnOffForm: FC<{ action: string; email: string; kept?: string }> = ({ action, email, kept }) => (
  <form method="post" action={`${action}/off`} class="card narrow stack" aria-labelledby="off-h">
    <h2 id="off-h">Turn off two-step sign-in</h2>
    {kept ? (
      <p class="muted small">{kept}</p>
    ) : (
      <>
        <p class="muted small">Your password alone will sign you in again. New phone? Turn it off here, then set it up again with the new one.</p>
        <ProveIt prefix="off" email={email} {...APP_OR_RECOVERY} />
        <div>
          <button type="submit" class="button button-danger">
            Turn off two-step sign-in
          </button>
        </div>
      </>
    )}
  </form>
);

// Shown once, on the answer to the form that made them; only their hashes are kept.
export const RecoveryCodeList: FC<{ codes: string[]; first: boolean }> = ({ codes, first }) => (
  <>
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
  </>
);

// The sign-in step's form: the code from the app, or a recovery code, posted to `action`.
export const SignInCodeForm: FC<{ action: string }> = ({ action }) => (
  <form method="post" action={action} class="stack">
    <div class="field">
      <label for="code">Code</label>
      <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required maxlength={16} autofocus class="code-input" aria-describedby="code-hint" spellcheck={false} />
      <p id="code-hint" class="hint">
        No phone? Type one of your recovery codes (like <code>abcde-23456</code>) instead.
      </p>
    </div>
    <button type="submit" class="button button-primary button-block">
      Sign in
    </button>
  </form>
);
