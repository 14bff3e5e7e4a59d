// Brand settings in the console: the admin API's PATCH /api/admin/brand as a form. Owners only: the hosts
// decide where tracked links may send shoppers. POST-redirect-GET with a flash; errors re-render the form.
import { Hono } from 'hono';
import type { Flash } from '../../../../portal/console/layout';
import { SettingsPage, settingsValuesOf, TermsSection, TermsVersionPage, VERSIONS_LISTED, type SettingsValues } from '../../../../portal/console/settings';
import { acceptancePosition, acceptancesOf, currentTerms, publishTerms, termsBody, termsVersionNamed, termsVersions } from '../../../db/program-terms';
import { decodeCursor, pageOf } from '../../../lib/cursor';
import { ApiError, notFound } from '../../../lib/errors';
import { formatMoney } from '../../../../portal/format';
import { typedAmountToMinor } from '../../../domain/store-payloads';
import { ACH_ORIGIN_FIELDS, ACH_ORIGIN_LABELS, type AchOriginField } from '../../../db/payment-files';
import { findBrand, MAX_MIN_PAYOUT_MINOR, updateBrand, updateBrandSettings, type BrandRow } from '../../admin/brand';
import { viewerOf } from './campaigns';
import { canWrite, readForm, renderPage, requireOwner, withFlash, type ConsoleContext, type ConsoleEnv, flashOf } from './context';
import { awaitingReview } from './queries';
import { uniqueErrors, type FormError } from '../../../../portal/layout';

export const settingsRoutes = new Hono<ConsoleEnv>();

const FLASH: Record<string, Flash> = {
  saved: { tone: 'success', text: 'Settings saved. Links pick them up within a minute.' },
  terms: { tone: 'success', text: 'Terms published. Creators joining from now on accept this version; creators already working with you are asked to read and accept it on their home page.' },
  terms_same: { tone: 'info', text: 'Those are the current terms already: nothing was published.' },
};

type TermsDraft = { draft: string; basedOn: number | null; errors: FormError[] };

async function brandOf(c: ConsoleContext): Promise<BrandRow> {
  const row = await findBrand(c.env.DB, c.var.user.brandId);
  if (!row) throw notFound('brand');
  return row;
}

async function renderSettings(c: ConsoleContext, brand: BrandRow, extras: { values?: SettingsValues; errors?: FormError[]; terms?: TermsDraft } = {}, status: 200 | 403 | 409 | 422 = 200) {
  const [toReview, terms, versions] = await Promise.all([awaitingReview(c.env.DB, c.var.user.brandId), currentTerms(c.env.DB, c.var.user.brandId), termsVersions(c.env.DB, c.var.user.brandId, { limit: VERSIONS_LISTED + 1 })]);
  const termsSection = <TermsSection terms={terms} versions={versions.slice(0, VERSIONS_LISTED)} moreVersions={versions.length > VERSIONS_LISTED} canPublish={canWrite(c.var.user)} timezone={brand.timezone} draft={extras.terms?.draft} basedOn={extras.terms?.basedOn} errors={extras.terms?.errors} />;
  return renderPage(
    c,
    <SettingsPage viewer={viewerOf(c)} canEdit={c.var.user.role === 'owner'} brand={brand} values={extras.values ?? settingsValuesOf(brand)} flash={flashOf(FLASH, c)} errors={extras.errors ?? extras.terms?.errors} toReview={toReview} terms={termsSection} />,
    status,
  );
}

settingsRoutes.get('/settings', async (c) => renderSettings(c, await brandOf(c)));

const ACCEPTANCES_PAGE = 50;

// One version of the brand's terms and who accepted it: every role reads it, as every role reads Settings.
settingsRoutes.get('/settings/terms/:version', async (c) => {
  const { brandId } = c.var.user;
  const terms = await termsVersionNamed(c.env.DB, brandId, c.req.param('version'));
  // A cursor that does not decode (edited by hand) starts at the latest, as a page link would.
  const after = decodeCursor(c.req.query('cursor') ?? '') ?? undefined;
  const [rows, toReview] = await Promise.all([acceptancesOf(c.env.DB, brandId, terms.version, { after, limit: ACCEPTANCES_PAGE + 1 }), awaitingReview(c.env.DB, brandId)]);
  const page = pageOf(rows, ACCEPTANCES_PAGE, acceptancePosition);
  return renderPage(c, <TermsVersionPage viewer={viewerOf(c)} toReview={toReview} terms={terms} acceptances={page.rows} paged={after !== undefined} nextCursor={page.nextCursor} />);
});

const FIELD_LABELS: Record<string, string> = { allowedHosts: 'Allowed hosts', fallbackUrl: 'Fallback page', clickParam: 'Click id parameter', minPayoutMinor: 'Minimum payout', selfPurchasesEarn: "Creators' own orders", payerName: 'Account holder', payerIban: 'IBAN', payerBic: 'BIC', ...ACH_ORIGIN_LABELS };

settingsRoutes.post('/settings', async (c) => {
  requireOwner(c, 'change the brand settings');
  const form = await readForm(c);
  const brand = await brandOf(c);
  const own = form.get('selfPurchasesEarn');
  const values: SettingsValues = {
    allowedHosts: form.get('allowedHosts'),
    fallbackUrl: form.get('fallbackUrl').trim(),
    clickParam: form.get('clickParam').trim(),
    minPayout: form.get('minPayout').trim().slice(0, 32),
    selfPurchasesEarn: own === 'yes' || own === 'no' ? own : brand.selfPurchasesEarn ? 'yes' : 'no',
    payerName: form.get('payerName').trim().slice(0, 200),
    payerIban: form.get('payerIban').trim().slice(0, 64),
    payerBic: form.get('payerBic').trim().slice(0, 16),
    achCompanyName: form.get('achCompanyName').trim().slice(0, 40),
    achCompanyId: form.get('achCompanyId').trim().slice(0, 20),
    achOdfiRouting: form.get('achOdfiRouting').trim().slice(0, 20),
    achOdfiName: form.get('achOdfiName').trim().slice(0, 40),
  };
  // Each empty field removes its part of the account; a form drawn before the fields existed leaves it as it is.
  // The whole of what was typed is checked: `values` is cut only to be shown back.
  const payer = (field: 'payerName' | 'payerIban' | 'payerBic' | AchOriginField) => {
    if (form.all(field).length === 0) return undefined;
    const typed = form.get(field).trim();
    return typed === '' ? null : typed;
  };
  const hosts = values.allowedHosts.split(/\r?\n/).map((h) => h.trim()).filter(Boolean);
  // Empty is no minimum; an amount is read in the brand's currency ("50", "50.00", "1,000"). A form drawn
  // before the field existed keeps the minimum as it is.
  const drawn = form.all('minPayout').length > 0;
  const minPayoutMinor = !drawn ? undefined : values.minPayout === '' ? 0 : (typedAmountToMinor(values.minPayout, brand.currency) ?? -1);
  const parsed = updateBrand.safeParse({
    allowedHosts: hosts,
    fallbackUrl: values.fallbackUrl === '' ? null : values.fallbackUrl,
    clickParam: values.clickParam,
    minPayoutMinor,
    // Left as it is by a form drawn before the choice existed; anything but yes or no is refused.
    selfPurchasesEarn: own === '' ? undefined : own === 'yes' ? true : own === 'no' ? false : own,
    payerName: payer('payerName'),
    payerIban: payer('payerIban'),
    payerBic: payer('payerBic'),
    ...Object.fromEntries(ACH_ORIGIN_FIELDS.map((f) => [f, payer(f)])),
  });
  if (!parsed.success) {
    // A refused host is named (a list of 20 is hard to scan for the bad line).
    const named = (i: (typeof parsed.error.issues)[number]) => (i.path[0] === 'allowedHosts' && typeof i.path[1] === 'number' ? ` “${hosts[i.path[1]]!.slice(0, 80)}” is not a host.` : '');
    const errors = parsed.error.issues.map((i): FormError => {
      const field = String(i.path[0]);
      if (field === 'selfPurchasesEarn') return { field, text: "Creators' own orders: choose whether they earn commission." };
      if (field === 'minPayoutMinor') return { field: 'minPayout', text: `Minimum payout: an amount in ${brand.currency} up to ${formatMoney(MAX_MIN_PAYOUT_MINOR, brand.currency)}, like 50 or 50.00; leave it empty for none.` };
      const text = `${FIELD_LABELS[field] ?? 'Settings'}:${named(i)} ${i.message}`;
      return field in FIELD_LABELS ? { field, text } : text;
    });
    return renderSettings(c, brand, { values, errors: uniqueErrors(errors) }, 422);
  }
  try {
    await updateBrandSettings(c.env.DB, brand.id, { type: 'admin_user', id: c.var.user.id }, parsed.data);
  } catch (e) {
    if (e instanceof ApiError && e.code === 'invalid_destination') return renderSettings(c, brand, { values, errors: [{ field: 'fallbackUrl', text: 'Fallback page: it must be https, on one of the allowed hosts.' }] }, 422);
    if (e instanceof ApiError && e.status === 409) return renderSettings(c, await brandOf(c), { values, errors: [e.message] }, 409);
    throw e;
  }
  return c.redirect(withFlash('/console/settings', 'saved'), 303);
});

// Owners and managers (the console's role guard refuses the rest): the terms are the program's, not its plumbing.
settingsRoutes.post('/settings/terms', async (c) => {
  const form = await readForm(c);
  const brand = await brandOf(c);
  const typed = form.get('text');
  const based = form.get('basedOnVersion');
  const basedOn = /^\d{1,7}$/.test(based) ? Number(based) : null;
  const draft = typed.slice(0, 25_000);
  const parsed = termsBody.safeParse(typed);
  if (!parsed.success) {
    const errors: FormError[] = [{ field: 'termsText', text: `Program terms: ${parsed.error.issues[0]?.message ?? 'Check the text.'}` }];
    return renderSettings(c, brand, { terms: { draft, basedOn, errors } }, 422);
  }
  try {
    const { created } = await publishTerms(c.env.DB, brand.id, parsed.data, { type: 'admin_user', id: c.var.user.id }, basedOn, Date.now());
    return c.redirect(withFlash('/console/settings', created ? 'terms' : 'terms_same') + '#terms', 303);
  } catch (e) {
    if (e instanceof ApiError && e.code === 'terms_changed') {
      const current = await currentTerms(c.env.DB, brand.id);
      const errors: FormError[] = [{ field: 'termsText', text: `Program terms: someone published version ${current?.version ?? ''} while you were editing. Your text is below; read theirs (published now) and publish yours on top of it if it still applies.` }];
      return renderSettings(c, brand, { terms: { draft, basedOn: current?.version ?? null, errors } }, 409);
    }
    throw e;
  }
});
