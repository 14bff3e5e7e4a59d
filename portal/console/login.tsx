import type { FC } from 'hono/jsx';
import { Notice } from '../layout';
import { ConsolePage } from './layout';

export const ConsoleLoginPage: FC<{ error?: string; email?: string; next?: string; notice?: string }> = ({ error, email, next, notice }) => (
  <ConsolePage title="Sign in to the console">
    <section class="card narrow login-card">
      <p class="eyebrow">Brand console</p>
      <h1>Sign in</h1>
      <p class="muted">Run your creator network: briefs, onboarding, content review, results and payouts.</p>
      {notice ? <Notice tone="success">{notice}</Notice> : null}
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
      <p class="muted small">
        Creators sign in at <a href="/login">the creator portal</a>.
      </p>
    </section>
  </ConsolePage>
);
