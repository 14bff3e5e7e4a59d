import { raw } from 'hono/html';
import type { Child, FC } from 'hono/jsx';

export type NavItem = { href: string; label: string; current?: boolean };

// `who`: who is signed in, cut short on a phone; `whoBrand` after it (left out on a phone, where the page names the
// brand); `whoTag` (a console role) last, never cut.
type PageProps = { title: string; nav?: NavItem[]; who?: string; whoBrand?: string; whoTag?: string; area?: 'creator' | 'console'; switchBrand?: boolean; children?: Child };

// The document around every page. The doctype keeps it in standards mode: without it browsers render in
// quirks mode (forms gain a bottom margin, tables stop inheriting font sizes, percentage heights change).
// `head` adds what a page needs beyond the viewport, the light scheme the stylesheet is drawn for, and it.
export const Document: FC<{ title: string; bodyClass: string; head?: Child; children?: Child }> = ({ title, bodyClass, head, children }) => (
  <>
    {raw('<!doctype html>')}
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light" />
        <title>{title}</title>
        <link rel="stylesheet" href="/portal.css" />
        {head}
      </head>
      <body class={bodyClass}>{children}</body>
    </html>
  </>
);

// The Chorus mark that opens every top bar (the portal, the console, the API reference); `tag` names the
// area after the name ("Console", "API").
export const BrandLink: FC<{ href: string; tag?: string }> = ({ href, tag }) => (
  <a class="brand" href={href}>
    <span class="brand-mark" aria-hidden="true">
      ◗
    </span>{' '}
    Chorus{tag ? <span class="brand-tag">{tag}</span> : null}
  </a>
);

export const SkipLink: FC = () => (
  <a class="skip" href="#main">
    Skip to content
  </a>
);

export const Page: FC<PageProps> = ({ title, nav, who, whoBrand, whoTag, area = 'creator', switchBrand = false, children }) => (
  <Document
    title={`${title} · Chorus`}
    bodyClass={`area-${area}`}
    head={
      <>
        <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
        <script src="/portal.js" defer></script>
      </>
    }
  >
    <SkipLink />
    <header class="topbar">
      <div class="topbar-inner">
        <BrandLink href={area === 'console' ? '/console' : '/'} tag={area === 'console' ? 'Console' : undefined} />
        {nav ? (
          <nav aria-label="Main">
            <ul class="nav">
              {nav.map((n) => (
                <li>
                  <a href={n.href} aria-current={n.current ? 'page' : undefined}>
                    {n.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        ) : null}
        {who ? (
          <form method="post" action={area === 'console' ? '/console/logout' : '/logout'} class="signout">
            <span class="who" title={[who, whoBrand, whoTag].filter(Boolean).join(' · ')}>
              <span class="who-name">
                {/* Who is signed in leads to their own account page: name, password, other devices. */}
                <a class="who-link" href={area === 'console' ? '/console/team#me-h' : '/account'}>
                  {who}
                </a>
                {whoBrand ? <span class="who-brand"> · {whoBrand}</span> : null}
              </span>
              {whoTag ? (
                <span class="who-tag">
                  <span class="visually-hidden"> · </span>
                  {whoTag}
                </span>
              ) : null}
            </span>
            {switchBrand ? (
              <button type="submit" formaction="/console/switch" class="link-button">
                Switch brand
              </button>
            ) : null}
            <button type="submit" class="link-button">
              Sign out
            </button>
          </form>
        ) : null}
      </div>
    </header>
    <main id="main" class="container">
      {children}
    </main>
    <footer class="footer container">Chorus · creator partnerships, paid fairly and on time.</footer>
  </Document>
);

export const Notice: FC<{ tone: 'info' | 'warn' | 'error' | 'success'; title?: string; id?: string; children?: Child }> = ({ tone, title, id, children }) => (
  <div class={`notice notice-${tone}`} id={id} role={tone === 'error' || tone === 'warn' ? 'alert' : 'status'}>
    {title ? <strong class="notice-title">{title}</strong> : null}
    <div>{children}</div>
  </div>
);

// What a page says after a redirect (?flash=), in its tone.
export type Flash = { tone: 'success' | 'info' | 'warn' | 'error'; text: string } | null;

export const FlashNotice: FC<{ flash: Flash }> = ({ flash }) => (flash ? <Notice tone={flash.tone}>{flash.text}</Notice> : null);

/** A problem with what a form sent, and the id of the field it is about when it is about one. */
export type FormError = string | { field: string; text: string };

/** Errors as a list says them once each (several checks of one field can say the same thing). */
export const uniqueErrors = (errors: readonly FormError[]): FormError[] => {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const text = typeof e === 'string' ? e : e.text;
    return seen.has(text) ? false : (seen.add(text), true);
  });
};

/** aria-invalid for a field some error names (undefined, so no attribute, otherwise). */
export const invalidIn = (errors: readonly FormError[] | undefined, field: string): 'true' | undefined => (errors?.some((e) => typeof e !== 'string' && e.field === field) ? 'true' : undefined);

// What a field's input is described by: its hint, and its error when it has one (shown under it by FieldProblem,
// as well as in the summary at the top).
export const fieldDescribedBy = (id: string, hintId: string | undefined, errors?: readonly FormError[]) => [hintId, invalidIn(errors, id) ? `${id}-error` : undefined].filter(Boolean).join(' ') || undefined;

// A field's own error, next to it (the summary at the top says it too).
export const FieldProblem: FC<{ id: string; errors?: readonly FormError[] }> = ({ id, errors }) => {
  const error = errors?.find((e): e is Exclude<FormError, string> => typeof e !== 'string' && e.field === id);
  return error ? (
    <p id={`${id}-error`} class="field-error">
      {error.text}
    </p>
  ) : null;
};

// What stopped a form, at the top of the page it came back on: focused as the page loads (no script needed), so
// a screen reader reads it first and Tab goes on from it; each problem about a field links to that field.
export const ErrorSummary: FC<{ errors?: readonly FormError[]; title?: string }> = ({ errors, title = 'Please fix these first' }) =>
  errors && errors.length > 0 ? (
    <div class="notice notice-error error-summary" role="alert" tabindex={-1} autofocus>
      <strong class="notice-title">{title}</strong>
      <ul>
        {errors.map((e) => (
          <li>{typeof e === 'string' ? e : <a href={`#${e.field}`}>{e.text}</a>}</li>
        ))}
      </ul>
    </div>
  ) : null;

export const Badge: FC<{ status: string; label: string }> = ({ status, label }) => <span class={`badge badge-${status}`}>{label}</span>;

export const Progress: FC<{ fraction: number; label: string }> = ({ fraction, label }) => {
  const pct = Math.round(Math.min(1, Math.max(0, fraction)) * 100);
  return (
    <div class="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-label={label}>
      <div class="progress-bar" style={`width:${pct}%`}></div>
    </div>
  );
};

export const Stat: FC<{ label: string; value: string; hint?: string }> = ({ label, value, hint }) => (
  <div class="stat">
    <div class="stat-value">{value}</div>
    <div class="stat-label">{label}</div>
    {hint ? <div class="stat-hint">{hint}</div> : null}
  </div>
);

export const CopyField: FC<{ id: string; label: string; value: string }> = ({ id, label, value }) => (
  <div class="copy-field">
    <label for={id}>{label}</label>
    <div class="copy-row">
      {/* A textarea, not an input: on a phone a whole link wraps into view and can be selected by hand. */}
      <textarea id={id} class="copy-value" readonly rows={1} spellcheck={false}>
        {value}
      </textarea>
      {/* Only portal.js can copy, so it shows the button; without it the field has the whole row. */}
      <button type="button" class="button button-quiet" data-copy={id} hidden>
        Copy
      </button>
    </div>
  </div>
);

// The form that asks for a password link by email: the creator portal's and the console's "Forgot your password?".
export const EmailLinkForm: FC<{ action: string; label: string; autocomplete: 'email' | 'username'; email?: string }> = ({ action, label, autocomplete, email }) => (
  <form method="post" action={action} class="stack">
    <div class="field">
      <label for="email">{label}</label>
      <input id="email" name="email" type="email" autocomplete={autocomplete} required value={email ?? ''} maxlength={254} />
    </div>
    <button type="submit" class="button button-primary button-block">
      Email me a link
    </button>
  </form>
);

// A new password typed twice, for the account named by `email` (so a password manager files it there): the
// creator portal's set-password page and the console's reset page. At least 10 characters (passwordProblem).
// `current`: the form of a signed-in account, which asks for the password it has now first.
export const NewPasswordForm: FC<{ action: string; email: string; hint: string; submit: string; current?: boolean }> = ({ action, email, hint, submit, current = false }) => (
  <form method="post" action={action} class="stack">
    <input type="hidden" name="username" value={email} autocomplete="username" />
    {current ? (
      <div class="field">
        <label for="current">Current password</label>
        <input id="current" name="current" type="password" autocomplete="current-password" required maxlength={256} />
      </div>
    ) : null}
    <div class="field">
      <label for="password">New password</label>
      <input id="password" name="password" type="password" autocomplete="new-password" required minlength={10} maxlength={256} aria-describedby="password-hint" />
      <p id="password-hint" class="hint">
        {hint}
      </p>
    </div>
    <div class="field">
      <label for="confirm">Repeat the password</label>
      <input id="confirm" name="confirm" type="password" autocomplete="new-password" required minlength={10} maxlength={256} />
    </div>
    <div>
      <button type="submit" class={`button button-primary${current ? '' : ' button-block'}`}>
        {submit}
      </button>
    </div>
  </form>
);

export const ErrorPage: FC<{ status: number; title: string; message: string }> = ({ status, title, message }) => (
  <Page title={title}>
    <section class="card narrow center">
      <p class="eyebrow">Error {status}</p>
      <h1>{title}</h1>
      <p>{message}</p>
      <p>
        <a class="button" href="/">
          Go to your dashboard
        </a>
      </p>
    </section>
  </Page>
);

// What a shopper's browser sees when a tracked link cannot take them to the shop: a plain page, not the API's
// JSON. No navigation: the shopper has no account here, and Chorus is not who they came for.
const SHOPPER_PAGES: Record<number, { title: string; message: string }> = {
  404: { title: 'This link does not exist', message: 'Check the address in the post or bio you came from: it may be mistyped or cut short.' },
  // 410 covers a paused link and a campaign not started yet as well as one that ended: worded for all three.
  410: { title: 'This link is not active', message: 'The promotion behind it is paused or over. You can still find the shop by its name.' },
  503: { title: 'This link could not open just now', message: 'Something on our side did not answer. Try again in a moment.' },
};

export const ShopperPage: FC<{ status: 404 | 410 | 503 }> = ({ status }) => {
  const { title, message } = SHOPPER_PAGES[status]!;
  return (
    <Document title={title} bodyClass="area-creator" head={<meta name="robots" content="noindex" />}>
      <main id="main" class="container">
        <section class="card narrow center">
          <h1>{title}</h1>
          <p>{message}</p>
        </section>
      </main>
    </Document>
  );
};
