// A brand's program terms as creators and the brand's team read them: the text escaped as JSX escapes every
// string, a paragraph per blank-line-separated block and its line breaks kept; links stay text (nothing is made
// clickable from what a brand typed).
import type { FC } from 'hono/jsx';
import { formatDate } from './format';
import { fieldDescribedBy, FieldProblem, invalidIn, type FormError } from './layout';

export const TermsText: FC<{ text: string; id?: string }> = ({ text, id }) => (
  <div class="terms-text" id={id}>
    {text.split(/\n{2,}/).map((paragraph) => (
      <p class="prewrap">{paragraph}</p>
    ))}
  </div>
);

export type ShownTerms = { brandName: string; version: number; text: string; publishedAt: number; timezone: string };

// The terms in full and the tick that accepts them, inside the form that joins or accepts: the form carries the
// version shown, so a version published meanwhile is shown again, never accepted unread.
export const TermsToTick: FC<{ terms: ShownTerms; errors?: readonly FormError[] }> = ({ terms, errors }) => (
  <section class="terms" aria-labelledby="terms-h">
    <h2 id="terms-h">
      {terms.brandName}’s program terms <span class="muted small">version {terms.version}, {formatDate(terms.publishedAt, terms.timezone)}</span>
    </h2>
    <TermsText text={terms.text} />
    <input type="hidden" name="termsVersion" value={String(terms.version)} />
    <label class="checkbox terms-tick">
      <input type="checkbox" id="acceptTerms" name="acceptTerms" value="1" required aria-invalid={invalidIn(errors, 'acceptTerms')} aria-describedby={fieldDescribedBy('acceptTerms', undefined, errors)} /> I accept {terms.brandName}’s program terms (version {terms.version})
    </label>
    <FieldProblem id="acceptTerms" errors={errors} />
  </section>
);
