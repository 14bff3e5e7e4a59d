// A brand's program terms in the creator portal: read and ticked to join the brand (its invitation), and a later
// version read and accepted from the home page's notice. Both forms carry the version they show.
import type { FC } from 'hono/jsx';
import { ErrorSummary, Notice, Page, type FormError } from '../layout';
import { TermsToTick, type ShownTerms } from '../terms';
import { creatorNav } from './pages';

// Why the page is shown again: the box was not ticked, the terms it showed are no longer the brand's current ones,
// the form showed none (unread), or it did not say which version it showed (incomplete).
export type TermsRefusal = 'unticked' | 'changed' | 'unread' | 'incomplete';

const UNTICKED = (brand: string): FormError => ({ field: 'acceptTerms', text: `Tick that you accept ${brand}’s program terms to go on.` });
const INCOMPLETE: FormError = 'The form arrived incomplete: it did not say which version of the terms you read, so nothing was accepted. Read them below, then tick and accept.';
const errorsOf = (refusal: TermsRefusal | undefined, brand: string): FormError[] | undefined => (refusal === 'unticked' ? [UNTICKED(brand)] : refusal === 'incomplete' ? [INCOMPLETE] : undefined);

const RefusalNotice: FC<{ refusal?: TermsRefusal; brand: string }> = ({ refusal, brand }) =>
  refusal === 'changed' ? (
    <Notice tone="warn" id="terms-changed" title={`${brand} published new terms`}>
      They changed since you opened the page, so nothing was accepted. Read this version, then tick and accept it.
    </Notice>
  ) : refusal === 'unread' ? (
    <Notice tone="info" id="terms-unread">Read {brand}’s program terms below: joining needs your tick.</Notice>
  ) : null;

// The page both forms share: the terms, the tick, and what pressing the button does.
const TermsFormPage: FC<{ who: string; terms: ShownTerms; refusal?: TermsRefusal; eyebrow: string; heading: string; intro: string; action: string; submit: string }> = ({ who, terms, refusal, eyebrow, heading, intro, action, submit }) => {
  const errors = errorsOf(refusal, terms.brandName);
  return (
    <Page title={`${terms.brandName}’s program terms`} nav={creatorNav('home')} who={who}>
      <p class="eyebrow">{eyebrow}</p>
      <h1 class="page-title">{heading}</h1>
      <ErrorSummary errors={errors} />
      <RefusalNotice refusal={refusal} brand={terms.brandName} />
      <p>{intro}</p>
      <form method="post" action={action} class="card stack">
        <TermsToTick terms={terms} errors={errors} />
        <div class="card-actions">
          <button type="submit" class="button button-primary">
            {submit}
          </button>
          <a class="button button-quiet" href="/">
            Not now
          </a>
        </div>
      </form>
    </Page>
  );
};

export const JoinTermsPage: FC<{ who: string; enrollmentId: string; campaignName: string; terms: ShownTerms; refusal?: TermsRefusal }> = ({ who, enrollmentId, campaignName, terms, refusal }) => (
  <TermsFormPage
    who={who}
    terms={terms}
    refusal={refusal}
    eyebrow={`${terms.brandName} invited you to ${campaignName}`}
    heading={`Accept ${terms.brandName}’s program terms`}
    intro={`To join ${terms.brandName} and get your link, code and brief, read its program terms and tick that you accept them. ${terms.brandName} keeps a record of the version you accepted and when.`}
    action={`/invitations/${enrollmentId}/accept`}
    submit={`Accept and join ${terms.brandName}`}
  />
);

export const TermsUpdatePage: FC<{ who: string; brandId: string; terms: ShownTerms; acceptedVersion: number | null; refusal?: TermsRefusal }> = ({ who, brandId, terms, acceptedVersion, refusal }) => (
  <TermsFormPage
    who={who}
    terms={terms}
    refusal={refusal}
    eyebrow={terms.brandName}
    heading={acceptedVersion === null ? `${terms.brandName} published program terms` : `${terms.brandName} updated its program terms`}
    intro={`${acceptedVersion === null ? 'You joined before these terms existed.' : `You accepted version ${acceptedVersion}.`} Read version ${terms.version} and accept it below. Your campaigns, links and codes work and your earnings keep adding up either way; ${terms.brandName} sees which version you accepted.`}
    action={`/terms/${brandId}/accept`}
    submit={`Accept version ${terms.version}`}
  />
);
