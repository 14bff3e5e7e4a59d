import type { FC } from 'hono/jsx';
import { EmailLinkForm, NewPasswordForm, Notice } from '../layout';
import { SignInCodeForm } from '../two-step';
import { ConsolePage, FlashNotice, ROLE_LABELS, type Flash, type Viewer } from './layout';

export const ConsoleLoginPage: FC<{ error?: string; email?: string; next?: string; notice?: Flash }> = ({ error, email, next, notice }) => (
  <ConsolePage title="Sign in to the console">
    <section class="card narrow login-card">
      <p class="eyebrow">Brand console</p>
      <h1>Sign in</h1>
      <p class="muted">Run your creator network: briefs, onboarding, content review, results and payouts.</p>
      <FlashNotice flash={notice ?? null} />
      {error ? <Notice tone="error">{error}</Notice> : null}
      <form method="post" action="/console/login" class="stack">
        <input type="hidden" name="next" value={next ?? '/console'} />
        <div class="field">
          <label for="email">Work email</label>
          <input id="email" name="email" type="email" autocomplete="username" required value={email ?? ''} maxlength={254} />
        </div>
        <div class="field">
          <label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required maxlength={256} />
        </div>
        <button type="submit" class="button button-primary button-block">
          Sign in
        </button>
      </form>
      <p class="small">
        <a href="/console/forgot">Forgot your password?</a>
      </p>
      <p class="muted small">
        Creators sign in at <a href="/login">the creator portal</a>.
      </p>
    </section>
  </ConsolePage>
);

// The second step of a sign-in with two-step on: the password was right, and no session exists until a code is.
export const ConsoleCodePage: FC<{ email: string; brandName: string; error?: string }> = ({ email, brandName, error }) => (
  <ConsolePage title="Enter your sign-in code">
    <section class="card narrow login-card">
      <p class="eyebrow">Brand console · {brandName}</p>
      <h1>Two-step sign-in</h1>
      <p class="muted">
        Open your authenticator app and type the 6-digit code for <strong>{brandName}</strong> (<span style="overflow-wrap: anywhere">{email}</span>), listed under Chorus.
      </p>
      {error ? <Notice tone="error">{error}</Notice> : null}
      <SignInCodeForm action="/console/login/code" />
      <p class="muted small">Lost your phone and your recovery codes? An owner of {brandName} can reset your two-step sign-in from the Team page.</p>
      <p class="small">
        <a href="/console/login">Start again</a>
      </p>
    </section>
  </ConsolePage>
);

export type BrandChoice = { id: string; brandName: string; brandSlug: string; role: Viewer['role'] };

// The same email and password opened console accounts in several brands: one button per brand.
export const ConsoleChooseBrandPage: FC<{ choices: BrandChoice[]; token: string; next: string; error?: string }> = ({ choices, token, next, error }) => (
  <ConsolePage title="Choose a brand">
    <section class="card narrow login-card">
      <p class="eyebrow">Brand console</p>
      <h1>Choose a brand</h1>
      <p class="muted">Your email and password open the console of {choices.length} brands. Pick the one to work in; Switch brand, at the top of every page, brings you back here.</p>
      {error ? <Notice tone="error">{error}</Notice> : null}
      <form method="post" action="/console/login/brand" class="stack brand-choices">
        <input type="hidden" name="choice" value={token} />
        <input type="hidden" name="next" value={next} />
        {choices.map((b) => (
          <button type="submit" name="account" value={b.id} class="button button-block brand-choice">
            <span>
              <strong>{b.brandName}</strong> <span class="muted small">{b.brandSlug}</span>
            </span>
            <span class="muted small">{ROLE_LABELS[b.role]}</span>
          </button>
        ))}
      </form>
    </section>
  </ConsolePage>
);

// Asked for by address: the answer reads the same whether or not a console account uses it.
export const ConsoleForgotPage: FC<{ email?: string; error?: string; sentTo?: string }> = ({ email, error, sentTo }) => (
  <ConsolePage title="Reset your console password">
    <section class="card narrow login-card">
      <p class="eyebrow">Brand console</p>
      <h1>Reset your password</h1>
      {sentTo ? (
        <p>
          If a console account uses <strong>{sentTo}</strong>, we sent it a link to choose a new password. It works for an hour. Nothing there? Check your spam folder, or ask
          your brand's owner.
        </p>
      ) : (
        <>
          <p class="muted">We'll email a link to choose a new password. It sets the password of every brand's console you sign in to with this address.</p>
          {error ? <Notice tone="error">{error}</Notice> : null}
          <EmailLinkForm action="/console/forgot" label="Work email" autocomplete="username" email={email} />
        </>
      )}
      <p class="small">
        <a href="/console/login">Back to sign-in</a>
      </p>
    </section>
  </ConsolePage>
);

export const ConsoleResetPage: FC<{ action: string; email: string; joining?: string; error?: string }> = ({ action, email, joining, error }) => (
  <ConsolePage title={joining ? `Join ${joining} on Chorus` : 'Choose a new password'}>
    <section class="card narrow login-card">
      <p class="eyebrow">Brand console</p>
      <h1>{joining ? `Join ${joining}` : 'Choose a new password'}</h1>
      {joining ? (
        <p class="muted">
          You were added to <strong>{joining}</strong>'s team on Chorus as <strong>{email}</strong>. Choose a password to sign in with.
        </p>
      ) : (
        <p class="muted">
          For <strong>{email}</strong>, in every brand's console you sign in to with it. Other devices signed in with the old password are signed out.
        </p>
      )}
      {error ? <Notice tone="error">{error}</Notice> : null}
      <NewPasswordForm action={action} email={email} hint="At least 10 characters." submit={joining ? 'Set password' : 'Save password'} />
    </section>
  </ConsolePage>
);

// An invitation for an address that signs in to another brand's console already: its password joins this one
// too, and changes nothing anywhere else.
export const ConsoleJoinPage: FC<{ action: string; email: string; brandName: string; error?: string }> = ({ action, email, brandName, error }) => (
  <ConsolePage title={`Join ${brandName} on Chorus`}>
    <section class="card narrow login-card">
      <p class="eyebrow">Brand console</p>
      <h1>Join {brandName}</h1>
      <p class="muted">
        You were added to <strong>{brandName}</strong>'s team. You sign in to Chorus as <strong>{email}</strong> already: enter that password to add {brandName} to the brands it opens.
      </p>
      {error ? <Notice tone="error">{error}</Notice> : null}
      <form method="post" action={action} class="stack">
        <input type="hidden" name="username" value={email} autocomplete="username" />
        <div class="field">
          <label for="password">Your Chorus password</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required maxlength={256} />
        </div>
        <button type="submit" class="button button-primary button-block">
          Join {brandName}
        </button>
      </form>
      <p class="small">
        Forgot it? <a href="/console/forgot">Email me a reset link</a>, then open this invitation again.
      </p>
    </section>
  </ConsolePage>
);

export const ConsoleLinkUnusablePage: FC = () => (
  <ConsolePage title="This link can't be used">
    <section class="card narrow login-card">
      <p class="eyebrow">Brand console</p>
      <h1>This link can't be used</h1>
      <p>It was used already, or it has expired (a password link lasts an hour, a team invitation a week). Ask for a new one here, or ask the brand's owner to send the invitation again.</p>
      <p>
        <a class="button button-primary" href="/console/forgot">
          Email me a new link
        </a>
      </p>
    </section>
  </ConsolePage>
);
