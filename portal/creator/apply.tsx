// A campaign's public application page: a creator who found the brand (its site, a post, a friend) asks to
// join. No account needed; the answer comes as the invitation email the roster import sends.
import type { FC } from 'hono/jsx';
import { FIELDS, PITCH_MAX, PLATFORMS, type ApplicationForm, type FieldError } from '../../worker/domain/applications';
import type { ApplyTarget, ApplyTerms } from '../../worker/db/applications';
import { TermsToTick } from '../terms';
import { formatDate, tiersInWords } from '../format';
import { ErrorSummary, fieldDescribedBy, FieldProblem, invalidIn, Notice, Page } from '../layout';

// The field people leave empty (hidden) and form-filling bots fill. Not a name identity autofill knows (website, url).
export const HONEYPOT = 'leave_this_empty';

export const EMPTY_APPLICATION: ApplicationForm = Object.fromEntries(FIELDS.map((f) => [f, ''])) as ApplicationForm;

type Target = { brandName: string; campaignName: string; action: string; terms: ApplyTerms; programTerms: ApplyTarget['programTerms'] };

// The deal in a line or two: what a sale earns (the tiers, by month or over the campaign) and until when. The
// brand may also offer product seeding or a fee per post when it answers.
const Terms: FC<{ terms: ApplyTerms }> = ({ terms }) => {
  const tiers = terms.tiers ? (JSON.parse(terms.tiers) as { fromMinor: number; rateBps: number }[]) : [];
  return (
    <dl class="apply-terms">
      {tiers.length > 0 ? (
        <div>
          <dt>Commission on your sales</dt>
          <dd>
            {tiersInWords(tiers, terms.currency)}
            {tiers.length > 1 ? ` (the rate rises with your sales ${terms.planPeriod === 'lifetime' ? 'over the campaign' : 'each month'})` : ''}
          </dd>
        </div>
      ) : null}
      {terms.endsAt !== null ? (
        <div>
          <dt>Runs until</dt>
          <dd>{formatDate(terms.endsAt - 1, terms.timezone)}</dd>
        </div>
      ) : null}
    </dl>
  );
};

const describedBy = (id: keyof ApplicationForm, hint: boolean, errors?: FieldError[]) => fieldDescribedBy(id, hint ? `${id}-hint` : undefined, errors);

const Field: FC<{ id: keyof ApplicationForm; label: string; hint?: string; errors?: FieldError[]; optional?: boolean; children: unknown }> = ({ id, label, hint, errors, optional, children }) => (
  <div class="field">
    <label for={id}>
      {label}
      {optional ? <span class="muted"> (optional)</span> : null}
    </label>
    {children}
    <FieldProblem id={id} errors={errors} />
    {hint ? (
      <p id={`${id}-hint`} class="hint">
        {hint}
      </p>
    ) : null}
  </div>
);

// `termsRefusal`: the program terms box was not ticked, or the terms changed since the page showed them.
export const ApplyPage: FC<Target & { values: ApplicationForm; errors?: FieldError[]; busy?: boolean; signedIn?: boolean; termsRefusal?: 'unticked' | 'changed' }> = ({ brandName, campaignName, action, terms, programTerms, values, errors, busy, signedIn, termsRefusal }) => {
  const bad = (f: keyof ApplicationForm) => invalidIn(errors, f);
  const termsErrors = termsRefusal === 'unticked' ? [{ field: 'acceptTerms', text: `Tick that you accept ${brandName}’s program terms.` }] : [];
  const summary = [...(errors ?? []), ...termsErrors];
  return (
    <Page title={`Apply to ${brandName}`}>
      <section class="card narrow apply">
        <p class="eyebrow">{brandName}</p>
        <h1>Apply to join {campaignName}</h1>
        <p class="muted">
          Tell {brandName} about you and your audience. If they pick you, an email invitation follows with the brief; accept it to get your own tracked link and discount code. Chorus runs the program for them.
        </p>
        {busy ? (
          <Notice tone="warn" title="Too many tries">
            Wait a minute, then send the form again. Nothing you typed is lost.
          </Notice>
        ) : null}
        <Terms terms={terms} />
        <ErrorSummary errors={summary} />
        {termsRefusal === 'changed' ? (
          <Notice tone="warn" title={`${brandName} published new program terms`}>
            They changed since you opened this page, so nothing was sent. Read them below, tick, and send again; what you typed is kept.
          </Notice>
        ) : null}
        <form method="post" action={action} class="stack">
          <Field id="name" errors={errors} label="Your name">
            <input id="name" name="name" type="text" autocomplete="name" required maxlength={80} value={values.name} aria-describedby={describedBy('name', false, errors)} aria-invalid={bad('name')} />
          </Field>
          <Field id="email" errors={errors} label="Email" hint="Where your invitation goes if you are picked.">
            <input id="email" name="email" type="email" autocomplete="email" required maxlength={254} value={values.email} aria-describedby={describedBy('email', true, errors)} aria-invalid={bad('email')} />
          </Field>
          <Field id="handle" errors={errors} label="Your handle" hint="As on your profile, like @sarah.makes.">
            <input id="handle" name="handle" type="text" autocomplete="off" autocapitalize="none" spellcheck={false} required maxlength={31} value={values.handle} aria-describedby={describedBy('handle', true, errors)} aria-invalid={bad('handle')} />
          </Field>
          <fieldset class="field" aria-describedby={describedBy('platform', false, errors)}>
            <legend>Where you post most</legend>
            <FieldProblem id="platform" errors={errors} />
            <div class="radios">
              {Object.entries(PLATFORMS).map(([value, label], i) => (
                <label class="radio">
                  <input type="radio" name="platform" id={i === 0 ? 'platform' : undefined} value={value} required checked={values.platform === value} aria-invalid={bad('platform')} /> {label}
                </label>
              ))}
            </div>
          </fieldset>
          <Field id="followers" errors={errors} label="Followers there" optional hint="A round number is fine: 18500 or 18.5k.">
            <input id="followers" name="followers" type="text" inputmode="decimal" maxlength={20} value={values.followers} aria-describedby={describedBy('followers', true, errors)} aria-invalid={bad('followers')} />
          </Field>
          <Field id="niche" errors={errors} label="Your niche" optional hint="Skincare, running, home cooking…">
            <input id="niche" name="niche" type="text" maxlength={60} value={values.niche} aria-describedby={describedBy('niche', true, errors)} aria-invalid={bad('niche')} />
          </Field>
          <Field id="profileUrl" errors={errors} label="Link to your profile" optional>
            <input id="profileUrl" name="profileUrl" type="url" inputmode="url" maxlength={300} placeholder="https://" value={values.profileUrl} aria-describedby={describedBy('profileUrl', false, errors)} aria-invalid={bad('profileUrl')} />
          </Field>
          <Field id="pitch" errors={errors} label={`Why you and ${brandName}`} optional hint={`What your audience cares about, a post of yours that did well. Up to ${PITCH_MAX} characters.`}>
            <textarea id="pitch" name="pitch" rows={5} maxlength={PITCH_MAX} aria-describedby={describedBy('pitch', true, errors)} aria-invalid={bad('pitch')}>
              {values.pitch}
            </textarea>
          </Field>
          {/* Left empty by people; form-filling bots fill every field. Hidden from sight, from screen readers and from Tab. */}
          <div class="visually-hidden" aria-hidden="true">
            <label for={HONEYPOT}>Leave this empty</label>
            <input id={HONEYPOT} name={HONEYPOT} type="text" tabindex={-1} autocomplete="off" value="" />
          </div>
          {programTerms ? <TermsToTick terms={{ brandName, version: programTerms.version, text: programTerms.body, publishedAt: programTerms.publishedAt, timezone: terms.timezone }} errors={termsErrors} /> : null}
          <button type="submit" class="button button-primary button-block">
            Send my application
          </button>
        </form>
        <p class="muted small">
          {brandName} sees what you send here, to answer you; if they decline, it is deleted 90 days later.
          {signedIn ? null : (
            <>
              {' '}
              Already working with them? <a href={`/login?next=${encodeURIComponent(action)}`}>Sign in</a> first.
            </>
          )}
        </p>
      </section>
    </Page>
  );
};

export const AppliedPage: FC<{ brandName: string; campaignName: string; email: string }> = ({ brandName, campaignName, email }) => (
  <Page title="Application sent">
    <section class="card narrow apply">
      <p class="eyebrow">{brandName}</p>
      <h1>Thanks, your application is in</h1>
      <p>
        {brandName} reads every application for {campaignName}. If they pick you, an invitation reaches <strong>{email}</strong>: accept it to get your link and code.
      </p>
      <p class="muted small">One application per email address: the first one sent is the one {brandName} reads. Brands do not answer every application; if they pick you, the invitation comes by email (check your spam folder too).</p>
    </section>
  </Page>
);

// A signed-in creator already in the campaign (or invited to it): where their brief is, not a form.
export const AlreadyInPage: FC<{ brandName: string; campaignName: string; enrollmentId: string; invited: boolean }> = ({ brandName, campaignName, enrollmentId, invited }) => (
  <Page title={campaignName}>
    <section class="card narrow apply">
      <p class="eyebrow">{brandName}</p>
      <h1>{invited ? `${brandName} invited you already` : `You're in ${campaignName}`}</h1>
      <p>{invited ? `Your invitation to ${campaignName} is waiting on your home page: accept it there to get your link and code.` : 'Your brief is in your portal, and your link and code are on your home page.'}</p>
      <p>
        <a class="button button-primary" href={invited ? '/' : `/brief/${enrollmentId}`}>
          {invited ? 'Open your invitations' : 'Open your brief'}
        </a>
      </p>
    </section>
  </Page>
);

// Unknown, not launched, ended, or the brand stopped taking applications: one page for all, naming nothing.
export const ApplyClosedPage: FC<{ full?: boolean; brandName?: string }> = ({ full, brandName }) => (
  <Page title={full ? 'Applications paused' : 'Not taking applications'}>
    <section class="card narrow center">
      <h1>{full ? 'Applications are paused' : 'This campaign is not taking applications'}</h1>
      <p>
        {full
          ? `${brandName ?? 'The brand'} has more applications than they can read right now. Try again in a few days.`
          : 'The link may be old, or the brand has all the creators it needs for now. If a brand sent you here, ask them for a new link.'}
      </p>
    </section>
  </Page>
);
