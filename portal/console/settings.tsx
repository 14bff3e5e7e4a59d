// Brand settings: the hosts tracked links may send shoppers to, where a stopped link sends them, the click-id
// parameter, whether creators earn on their own orders and the minimum payout. Owners edit; everyone else reads. Currency and timezone are shown, not
// edited here.
import type { Child, FC } from 'hono/jsx';
import type { BrandRow } from '../../worker/routes/admin/brand';
import { SEPA_NAME_MAX } from '../../worker/domain/payment-files';
import type { AchOriginField } from '../../worker/db/payment-files';
import { countOf, formatAmount, formatDate, formatDateTime } from '../format';
import { fieldDescribedBy, FieldProblem, invalidIn, type FormError } from '../layout';
import { ConsolePage, DataTable, Pager, type Flash, type Viewer } from './layout';
import { SettingsHead } from './team';
import { TermsText } from '../terms';
import { MAX_TERMS_CHARS, type ProgramTerms, type TermsAcceptance, type TermsVersionDetail, type TermsVersionSummary } from '../../worker/db/program-terms';

export type SettingsValues = { allowedHosts: string; fallbackUrl: string; clickParam: string; minPayout: string; selfPurchasesEarn: 'yes' | 'no'; payerName: string; payerIban: string; payerBic: string } & Record<AchOriginField, string>;

export const settingsValuesOf = (b: BrandRow): SettingsValues => ({
  allowedHosts: b.allowedHosts.join('\n'),
  fallbackUrl: b.fallbackUrl ?? '',
  clickParam: b.clickParam,
  minPayout: b.minPayoutMinor === 0 ? '' : formatAmount(b.minPayoutMinor, b.currency),
  selfPurchasesEarn: b.selfPurchasesEarn ? 'yes' : 'no',
  payerName: b.payerName ?? '',
  payerIban: b.payerIban ?? '',
  payerBic: b.payerBic ?? '',
  achCompanyName: b.achCompanyName ?? '',
  achCompanyId: b.achCompanyId ?? '',
  achOdfiRouting: b.achOdfiRouting ?? '',
  achOdfiName: b.achOdfiName ?? '',
});

// The program terms creators accept to join: the current version, and (owners and managers) a form that publishes
// the next. `draft`: the text sent back with an error; `basedOn`: the version that text was written on.
// How many versions the Settings page lists; older ones are reached from a version's page (Earlier version).
export const VERSIONS_LISTED = 20;

export const termsVersionHref = (version: number) => `/console/settings/terms/${version}`;

const publishedBy = (t: Pick<ProgramTerms, 'published_by_name'>) => t.published_by_name ?? 'Not recorded';

// Every version the brand published, newest first, each opening its text and who accepted it.
const TermsVersions: FC<{ versions: TermsVersionSummary[]; more: boolean; timezone: string }> = ({ versions, more, timezone }) => (
  <section class="stack" aria-labelledby="terms-versions-h">
    <h3 id="terms-versions-h">Versions</h3>
    <DataTable columns={['Version', 'Published', 'By', 'Accepted by']}>
      {versions.map((v) => (
        <tr>
          <td data-label="Version">
            <a href={termsVersionHref(v.version)}>Version {v.version}</a>
          </td>
          <td data-label="Published" class="small">
            {formatDate(v.published_at, timezone)}
          </td>
          <td data-label="By" class="small">
            {publishedBy(v)}
          </td>
          <td data-label="Accepted by" class={`num${v.accepted === 0 ? ' zero' : ''}`}>
            {countOf(v.accepted, 'creator')}
          </td>
        </tr>
      ))}
    </DataTable>
    {more ? <p class="muted small">The newest {VERSIONS_LISTED}. Earlier versions open from the oldest one here (Earlier version).</p> : null}
  </section>
);

export const TermsSection: FC<{ terms: ProgramTerms | null; versions: TermsVersionSummary[]; moreVersions: boolean; canPublish: boolean; timezone: string; draft?: string; basedOn?: number | null; errors?: FormError[] }> = ({
  terms,
  versions,
  moreVersions,
  canPublish,
  timezone,
  draft,
  basedOn,
  errors,
}) => {
  const next = (terms?.version ?? 0) + 1;
  return (
    <section class="card stack" id="terms" aria-labelledby="terms-h">
      <h2 id="terms-h">Program terms</h2>
      {terms ? (
        <p class="muted small">
          Version {terms.version}, published {formatDate(terms.published_at, timezone)}
          {terms.published_by_name ? ` by ${terms.published_by_name}` : ''}. Creators accept it when they accept your invitation (applicants tick it on the application form, and accept it when the invitation comes); those who accepted an older version are asked on their home page to read and accept this one. Their earnings do not wait for it.
        </p>
      ) : (
        <p class="muted small">None yet. Creators join without terms to accept. Once you publish terms, creators joining tick that they accept them, and creators already working with you are asked on their home page.</p>
      )}
      {versions.length > 0 ? <TermsVersions versions={versions} more={moreVersions} timezone={timezone} /> : null}
      {canPublish && terms && draft !== undefined ? (
        <details>
          <summary>Version {terms.version} as published</summary>
          <TermsText text={terms.body} />
        </details>
      ) : null}
      {canPublish ? (
        <form method="post" action="/console/settings/terms" class="stack">
          <input type="hidden" name="basedOnVersion" value={basedOn === undefined ? String(terms?.version ?? '') : String(basedOn ?? '')} />
          <div class="field">
            <label for="termsText">{terms ? 'Terms' : 'Your terms'}</label>
            <textarea id="termsText" name="text" rows={12} maxlength={MAX_TERMS_CHARS} required aria-invalid={invalidIn(errors, 'termsText')} aria-describedby={fieldDescribedBy('termsText', 'terms-hint', errors)}>
              {draft ?? terms?.body ?? ''}
            </textarea>
            <FieldProblem id="termsText" errors={errors} />
            <p id="terms-hint" class="hint">
              Plain text, up to {MAX_TERMS_CHARS.toLocaleString('en')} characters. A blank line starts a new paragraph; links are shown as text. Publishing a changed text makes version {next}: earlier versions stay as they were, with who accepted them.
            </p>
          </div>
          <div>
            <button type="submit" class="button button-primary">
              Publish as version {next}
            </button>
          </div>
        </form>
      ) : terms ? (
        <>
          <TermsText text={terms.body} />
          <p class="muted small">Only an owner or a manager can publish new terms.</p>
        </>
      ) : null}
    </section>
  );
};

export const SettingsPage: FC<{ viewer: Viewer; canEdit: boolean; brand: BrandRow; values: SettingsValues; flash: Flash; errors?: FormError[]; toReview: number; terms: Child }> = ({ viewer, canEdit, brand, values, flash, errors, toReview, terms }) => (
  <ConsolePage title="Settings" viewer={viewer} section="settings" toReview={toReview}>
    <SettingsHead brandName={viewer.brandName} current="brand" flash={flash} errors={errors} />
    <form method="post" action="/console/settings" class="stack">
      <fieldset class="card stack" disabled={!canEdit}>
        <legend class="card-legend">Tracked links</legend>
        {canEdit ? null : <p class="muted small">Only an owner can change these.</p>}
        <div class="field">
          <label for="allowedHosts">Allowed hosts</label>
          <textarea id="allowedHosts" aria-invalid={invalidIn(errors, 'allowedHosts')} name="allowedHosts" rows={4} maxlength={13000} required aria-describedby="hosts-hint" autocomplete="off" spellcheck={false}>
            {values.allowedHosts}
          </textarea>
          <p id="hosts-hint" class="hint">
            One per line: a host (<code>shop.example</code>) or every subdomain of one (<code>*.shop.example</code>). Links can send shoppers only here, over https. Removing a host leaves existing links as they are.
          </p>
        </div>
        <div class="field">
          <label for="fallbackUrl">Fallback page</label>
          <input id="fallbackUrl" aria-invalid={invalidIn(errors, 'fallbackUrl')} name="fallbackUrl" type="url" inputmode="url" maxlength={2048} value={values.fallbackUrl} placeholder="https://shop.example/" aria-describedby="fallback-hint" />
          <p id="fallback-hint" class="hint">
            Where a link that leads nowhere sends shoppers, without a click id: the link is paused, its campaign has not started or has ended, or its creator was removed (pausing or benching a creator keeps their link working). Left empty, shoppers see a short “This link is not active” page.
          </p>
        </div>
        <div class="field">
          <label for="clickParam">Click id parameter</label>
          <input id="clickParam" aria-invalid={invalidIn(errors, 'clickParam')} name="clickParam" type="text" required maxlength={32} pattern="[a-z][a-z0-9_]{0,31}" value={values.clickParam} aria-describedby="param-hint" autocomplete="off" spellcheck={false} />
          <p id="param-hint" class="hint">
            The name the click id travels under to your store (<code>?{values.clickParam || 'cid'}=…</code>). Your checkout script and Shopify note attributes must read the same name.
          </p>
        </div>
      </fieldset>
      <fieldset class="card stack" disabled={!canEdit}>
        <legend class="card-legend">Creators' own orders</legend>
        <fieldset class="field" aria-describedby="own-hint">
          <legend>When a creator buys through their own code or link</legend>
          <div class="radios">
            <label class="radio">
              <input type="radio" name="selfPurchasesEarn" value="no" checked={values.selfPurchasesEarn === 'no'} aria-invalid={invalidIn(errors, 'selfPurchasesEarn')} /> No commission (recommended)
            </label>
            <label class="radio">
              <input type="radio" name="selfPurchasesEarn" value="yes" checked={values.selfPurchasesEarn === 'yes'} /> Commission as on any order
            </label>
          </div>
          <p id="own-hint" class="hint">
            The order is still recorded and credited to them, so you see the sale, but earns nothing and counts toward no tier or bonus. An order is a creator's own when the email the customer gave at checkout is the one they sign in with (ignoring capitals, a +tag and, for Gmail, dots). Chorus compares the two and does not store the customer's email. Applies to orders that arrive after you save.
          </p>
        </fieldset>
      </fieldset>
      <fieldset class="card stack" disabled={!canEdit}>
        <legend class="card-legend">Payouts</legend>
        <div class="field">
          <label for="minPayout">Minimum payout</label>
          <div class="input-suffix narrow-input">
            <input id="minPayout" aria-invalid={invalidIn(errors, 'minPayout')} name="minPayout" type="text" inputmode="decimal" maxlength={16} value={values.minPayout} placeholder="No minimum" aria-describedby="min-hint" autocomplete="off" />
            <span>{brand.currency}</span>
          </div>
          <p id="min-hint" class="hint">
            A month's close pays a creator only when they are owed at least this much; less carries over to a later close, so you do not send many small transfers. A creator no longer in a running campaign of yours (removed, or their campaigns ended) is paid whatever they are owed. Creators see the minimum on their earnings page. Empty: any amount.
          </p>
        </div>
        <fieldset class="field stack" aria-describedby="payer-hint">
          <legend>Account you pay creators from</legend>
          <p id="payer-hint" class="hint">
            {brand.currency === 'EUR'
              ? 'Your SEPA payment files (Payouts) pay bank transfers from this account: upload the file to your bank and it pays every creator at once. Leave it empty to pay them another way.'
              : `SEPA payment files are in euros; your brand pays in ${brand.currency}, so they are not offered. PayPal and Wise files are.`}
          </p>
          <div class="field">
            <label for="payerName">Account holder</label>
            <input id="payerName" aria-invalid={invalidIn(errors, 'payerName')} aria-describedby={fieldDescribedBy('payerName', 'payer-name-hint', errors)} name="payerName" type="text" maxlength={SEPA_NAME_MAX} value={values.payerName} autocomplete="organization" />
            <FieldProblem id="payerName" errors={errors} />
            <p id="payer-name-hint" class="hint">
              As your bank holds the account, up to {SEPA_NAME_MAX} characters, in Latin letters (accents are fine: the file writes <code>Société Générale</code> as <code>Societe Generale</code>).
            </p>
          </div>
          <div class="field">
            <label for="payerIban">IBAN</label>
            <input id="payerIban" aria-invalid={invalidIn(errors, 'payerIban')} aria-describedby={fieldDescribedBy('payerIban', undefined, errors)} name="payerIban" type="text" maxlength={64} value={values.payerIban} autocomplete="off" spellcheck={false} />
            <FieldProblem id="payerIban" errors={errors} />
          </div>
          <div class="field">
            <label for="payerBic">BIC (optional)</label>
            <input id="payerBic" class="narrow-input" aria-invalid={invalidIn(errors, 'payerBic')} aria-describedby={fieldDescribedBy('payerBic', 'payer-bic-hint', errors)} name="payerBic" type="text" maxlength={16} value={values.payerBic} autocomplete="off" spellcheck={false} />
            <FieldProblem id="payerBic" errors={errors} />
            <p id="payer-bic-hint" class="hint">
              8 or 11 characters, only if your bank asks for it.
            </p>
          </div>
        </fieldset>
        <fieldset class="field stack" aria-describedby="ach-hint">
          <legend id="ach-h">ACH origination (US bank accounts)</legend>
          <p id="ach-hint" class="hint">
            {brand.currency === 'USD'
              ? 'Your ACH payment files (Payouts) pay creators’ US bank accounts with these, as your bank set up ACH origination for you: upload the file to your bank and it pays every creator at once.'
              : `ACH payment files are in US dollars; your brand pays in ${brand.currency}, so they are not offered.`}
          </p>
          <div class="field">
            <label for="achCompanyName">Company name</label>
            <input id="achCompanyName" aria-invalid={invalidIn(errors, 'achCompanyName')} aria-describedby={fieldDescribedBy('achCompanyName', 'ach-name-hint', errors)} name="achCompanyName" type="text" maxlength={16} value={values.achCompanyName} autocomplete="organization" />
            <FieldProblem id="achCompanyName" errors={errors} />
            <p id="ach-name-hint" class="hint">
              Up to 16 characters, as creators’ bank statements show who paid them (written in capitals).
            </p>
          </div>
          <div class="field">
            <label for="achCompanyId">Company ID</label>
            <input id="achCompanyId" class="narrow-input" aria-invalid={invalidIn(errors, 'achCompanyId')} aria-describedby={fieldDescribedBy('achCompanyId', 'ach-id-hint', errors)} name="achCompanyId" type="text" maxlength={20} value={values.achCompanyId} autocomplete="off" spellcheck={false} />
            <FieldProblem id="achCompanyId" errors={errors} />
            <p id="ach-id-hint" class="hint">
              10 characters, as your bank gave it: usually 1 followed by your EIN.
            </p>
          </div>
          <div class="field">
            <label for="achOdfiRouting">Bank routing number</label>
            <input id="achOdfiRouting" class="narrow-input" aria-invalid={invalidIn(errors, 'achOdfiRouting')} aria-describedby={fieldDescribedBy('achOdfiRouting', 'ach-routing-hint', errors)} name="achOdfiRouting" type="text" inputmode="numeric" maxlength={20} value={values.achOdfiRouting} autocomplete="off" spellcheck={false} />
            <FieldProblem id="achOdfiRouting" errors={errors} />
            <p id="ach-routing-hint" class="hint">
              The 9-digit ABA routing number of the bank that sends your ACH files.
            </p>
          </div>
          <div class="field">
            <label for="achOdfiName">Bank name</label>
            <input id="achOdfiName" aria-invalid={invalidIn(errors, 'achOdfiName')} aria-describedby={fieldDescribedBy('achOdfiName', undefined, errors)} name="achOdfiName" type="text" maxlength={23} value={values.achOdfiName} autocomplete="off" />
            <FieldProblem id="achOdfiName" errors={errors} />
          </div>
        </fieldset>
      </fieldset>
      {canEdit ? (
        <div>
          <button type="submit" class="button button-primary">
            Save settings
          </button>
        </div>
      ) : null}
    </form>
    {terms}
    <section class="card" aria-labelledby="money-h">
      <h2 id="money-h">Money</h2>
      <dl class="facts">
        <div>
          <dt>Currency</dt>
          <dd>{brand.currency}</dd>
        </div>
        <div>
          <dt>Timezone for periods</dt>
          <dd>{brand.timezone}</dd>
        </div>
      </dl>
      <p class="muted small">The timezone is fixed once the brand records money (orders, refunds, commissions), the currency once it also has plans, codes, enrollments, gift products or bounties: their amounts and periods are counted in them.</p>
    </section>
  </ConsolePage>
);

const VIA: Record<TermsAcceptance['via'], string> = { invitation: 'When joining', update: 'From their home page' };

// One version as it was published, read-only, and the creators who accepted it (latest first, a page at a time).
export const TermsVersionPage: FC<{ viewer: Viewer; toReview: number; terms: TermsVersionDetail; acceptances: TermsAcceptance[]; paged: boolean; nextCursor: string | null }> = ({ viewer, toReview, terms, acceptances, paged, nextCursor }) => {
  const here = termsVersionHref(terms.version);
  return (
    <ConsolePage title={`Program terms, version ${terms.version}`} viewer={viewer} section="settings" toReview={toReview}>
      <SettingsHead brandName={viewer.brandName} current="brand" flash={null} />
      <p class="small">
        <a href="/console/settings#terms">← Program terms</a>
      </p>
      <section class="card stack" aria-labelledby="version-h">
        <h2 id="version-h">
          Program terms, version {terms.version} {terms.version === terms.latest ? <span class="badge badge-approved">Current</span> : <span class="badge">Earlier</span>}
        </h2>
        <dl class="facts">
          <div>
            <dt>Published</dt>
            <dd>{formatDateTime(terms.published_at, viewer.timezone)}</dd>
          </div>
          <div>
            <dt>By</dt>
            <dd>{publishedBy(terms)}</dd>
          </div>
          <div>
            <dt>Accepted by</dt>
            <dd>{countOf(terms.accepted, 'creator')}</dd>
          </div>
        </dl>
        <TermsText text={terms.body} />
        <nav class="pager" aria-label="Versions">
          {terms.version > 1 ? <a href={termsVersionHref(terms.version - 1)}>← Earlier version ({terms.version - 1})</a> : <span />}
          {terms.version < terms.latest ? <a href={termsVersionHref(terms.version + 1)}>Later version ({terms.version + 1}) →</a> : null}
        </nav>
      </section>
      <section class="card" aria-labelledby="accepted-h">
        <h2 id="accepted-h">Who accepted version {terms.version}</h2>
        {acceptances.length === 0 ? (
          <p class="muted">{paged ? 'Nobody earlier.' : 'Nobody yet.'}</p>
        ) : (
          <DataTable columns={['Creator', 'Accepted', 'How']}>
            {acceptances.map((a) => (
              <tr>
                <td data-label="Creator" class="wide">
                  <strong>{a.display_name}</strong>
                  <span class="block small">@{a.handle}</span>
                </td>
                <td data-label="Accepted" class="small">
                  {formatDateTime(a.accepted_at, viewer.timezone)}
                </td>
                <td data-label="How" class="small">
                  {VIA[a.via]}
                </td>
              </tr>
            ))}
          </DataTable>
        )}
        <Pager newest={paged ? here : null} older={nextCursor ? `${here}?cursor=${nextCursor}` : null} olderLabel="More" newerLabel="Latest" />
        {acceptances.length > 0 ? <p class="muted small">Latest first. A creator who accepted a later version too is listed under each. Creators who closed their account are listed as “Closed account”: their acceptance stands.</p> : null}
      </section>
    </ConsolePage>
  );
};
