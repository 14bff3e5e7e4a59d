// The content library in the console (portal/console/content.tsx): read by every role; its CSV, like every
// console download, needs an owner or manager (enforceRole), as do the requests to extend a piece's rights
// (db/rights-extensions.ts), made and withdrawn from its own page.
import { Hono } from 'hono';
import { ContentDetailPage, ContentPage, emptyExtensionForm, type ContentFilters, type ExtensionForm } from '../../../../portal/console/content';
import type { FormError } from '../../../../portal/layout';
import { contentCsvResponse, contentPosition, getContent, listContent, RIGHTS_FILTERS, type ContentRow } from '../../../db/content-library';
import { askOf, askRightsExtension, cannotAsk, extensionsOf, latestExtensions, subjectOf, tellCreator, withdrawRightsExtension } from '../../../db/rights-extensions';
import { addedScopes, MAX_RIGHTS_FEE_MINOR, RIGHTS_EXTENSION_NOTE_MAX, rightsExtensionInput } from '../../../domain/rights-extensions';
import { termsInForce } from '../../../domain/usage-rights';
import { typedAmountToMinor } from '../../../domain/store-payloads';
import { formatMoney } from '../../../../portal/format';
import { mailOrigin } from '../../../env';
import { decodeCursor, pageOf } from '../../../lib/cursor';
import { ApiError, notFound } from '../../../lib/errors';
import { ID_PATTERN } from '../../../lib/ids';
import { viewerOf } from './campaigns';
import { canWrite, flashOf, readForm, renderPage, withFlash, type ConsoleContext, type ConsoleEnv, refuseWithoutOrigin } from './context';
import { awaitingReview, campaignOptions } from './queries';
import type { Flash } from '../../../../portal/console/layout';

export const contentRoutes = new Hono<ConsoleEnv>();

const CONTENT_PER_PAGE = 50;

// A filter the page did not offer (an edited URL) is dropped rather than refused, as the orders page does; a
// campaign of another brand's matches nothing (the query is scoped by brand).
function filtersOf(c: ConsoleContext): ContentFilters {
  const campaign = (c.req.query('campaign') ?? '').trim();
  const rights = (c.req.query('rights') ?? '').trim();
  return { campaignId: ID_PATTERN.test(campaign) ? campaign : null, rights: RIGHTS_FILTERS.find((r) => r === rights) ?? null };
}

const asFilter = (f: ContentFilters) => ({ campaignId: f.campaignId ?? undefined, rights: f.rights ?? undefined });

contentRoutes.get('/content/export.csv', (c) => {
  const { brandId, brandSlug, timezone } = c.var.user;
  return contentCsvResponse(c.env.DB, { id: brandId, slug: brandSlug, timezone }, asFilter(filtersOf(c)));
});

contentRoutes.get('/content', async (c) => {
  const filters = filtersOf(c);
  const after = decodeCursor((c.req.query('cursor') ?? '').trim()) ?? undefined;
  const { brandId } = c.var.user;
  const now = Date.now();
  const [rows, campaigns, toReview] = await Promise.all([listContent(c.env.DB, brandId, { ...asFilter(filters), after }, CONTENT_PER_PAGE + 1, now), campaignOptions(c.env.DB, brandId), awaitingReview(c.env.DB, brandId)]);
  const page = pageOf(rows, CONTENT_PER_PAGE, contentPosition);
  const latest = await latestExtensions(c.env.DB, brandId, page.rows.map((r) => r.id));
  return renderPage(
    c,
    <ContentPage viewer={viewerOf(c)} canDownload={canWrite(c.var.user)} filters={filters} campaigns={campaigns} items={page.rows} latest={latest} nextCursor={page.nextCursor} paged={after !== undefined} now={now} toReview={toReview} />,
  );
});

// ---------- One piece of content, and the requests to extend its rights ----------

const DETAIL_FLASH: Record<string, Flash> = {
  asked: { tone: 'success', text: 'Request sent. They answer it in their portal; you see the answer here, on the content library and in the activity log.' },
  withdrawn: { tone: 'info', text: 'Request withdrawn. They can no longer accept it.' },
};

async function contentOr404(c: ConsoleContext): Promise<ContentRow> {
  const id = c.req.param('submissionId') ?? '';
  const row = ID_PATTERN.test(id) ? await getContent(c.env.DB, c.var.user.brandId, id) : null;
  if (!row) throw notFound('content');
  return row;
}

async function renderDetail(c: ConsoleContext, r: ContentRow, opts: { values?: ExtensionForm; errors?: FormError[]; status?: 200 | 409 | 422 | 503 } = {}) {
  const { brandId } = c.var.user;
  const now = Date.now();
  const [history, subject, toReview] = await Promise.all([extensionsOf(c.env.DB, brandId, r.id), subjectOf(c.env.DB, brandId, r.id), awaitingReview(c.env.DB, brandId)]);
  const refused = subject ? cannotAsk(subject, now) : notFound('content');
  return renderPage(
    c,
    <ContentDetailPage
      viewer={viewerOf(c)}
      canWrite={canWrite(c.var.user)}
      r={r}
      history={history}
      cannotAsk={refused?.message ?? null}
      values={opts.values ?? emptyExtensionForm()}
      errors={opts.errors}
      flash={flashOf(DETAIL_FLASH, c)}
      now={now}
      toReview={toReview}
    />,
    opts.status ?? 200,
  );
}

contentRoutes.get('/content/:submissionId', async (c) => renderDetail(c, await contentOr404(c)));

// The form's fields as the API's body, checked by the same rules, with messages a person can act on.
function extensionBody(form: ExtensionForm, currency: string): { body: unknown; errors: FormError[] } {
  const errors: FormError[] = [];
  const days = form.noEnd ? undefined : /^\d{1,4}$/.test(form.days.trim()) ? Number(form.days.trim()) : form.days.trim() === '' ? undefined : NaN;
  const fee = form.fee.trim() === '' ? 0 : typedAmountToMinor(form.fee.trim(), currency);
  const parsed = rightsExtensionInput.safeParse({ ...(form.noEnd ? { noEnd: true } : { days }), scopes: [...new Set(form.scopes)], feeMinor: fee ?? NaN, note: form.note });
  if (parsed.success) return { body: parsed.data, errors };
  const refused = new Set(parsed.error.issues.map((i) => i.path[0]));
  if (refused.has('days') || refused.has('noEnd')) errors.push({ field: 'ext-days', text: 'Give the days to add, 1 to 3,650, or tick No end date.' });
  if (refused.has('scopes')) errors.push('Tick uses from the list.');
  if (refused.has('feeMinor')) errors.push({ field: 'ext-fee', text: `The fee is a plain amount in ${currency}, like 150 or 150.00, up to ${formatMoney(MAX_RIGHTS_FEE_MINOR, currency)}; or leave it empty.` });
  if (refused.has('note')) errors.push({ field: 'ext-note', text: `The note is plain text of up to ${RIGHTS_EXTENSION_NOTE_MAX} characters, without control or text-direction characters.` });
  return { body: null, errors: errors.length > 0 ? errors : ['Check the request and send it again.'] };
}

contentRoutes.post('/content/:submissionId/rights-extension', async (c) => {
  const r = await contentOr404(c);
  const form = await readForm(c);
  const values: ExtensionForm = { days: form.get('days').slice(0, 8), noEnd: form.get('noEnd') === '1', scopes: form.all('scopes').slice(0, 8), fee: form.get('fee').slice(0, 16), note: form.get('note').slice(0, 2 * RIGHTS_EXTENSION_NOTE_MAX) };
  const { body, errors } = extensionBody(values, c.var.user.currency);
  if (!body) return renderDetail(c, r, { values, errors, status: 422 });
  const input = body as Parameters<typeof askRightsExtension>[3];
  const origin = mailOrigin(c.env, c.req);
  if (!origin) return refuseWithoutOrigin(c, (message, status) => renderDetail(c, r, { values, errors: [message], status }));
  try {
    const asked = await askRightsExtension(c.env.DB, c.var.user.brandId, r.id, input, { type: 'admin_user', id: c.var.user.id }, origin);
    await tellCreator(c.env, asked);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 409) throw error;
    // The same form sent twice (a double click, a reload): the request it made the first time, by this same person.
    if (error.code === 'rights_extension_open') {
      const open = (await extensionsOf(c.env.DB, c.var.user.brandId, r.id)).find((x) => x.status === 'open');
      const ask = open ? askOf(open) : null;
      if (open && ask && open.asked_by_id === c.var.user.id && ask.days === (input.noEnd ? null : (input.days ?? null)) && ask.feeMinor === input.feeMinor && ask.note === input.note && ask.scopes.join() === addedScopes({ scopes: termsInForce(r)?.scopes ?? [], until: r.rights_until }, input.scopes).join()) {
        return c.redirect(withFlash(`/console/content/${r.id}`, 'asked'), 303);
      }
    }
    return renderDetail(c, r, { values, errors: [error.message], status: 409 });
  }
  return c.redirect(withFlash(`/console/content/${r.id}`, 'asked'), 303);
});

contentRoutes.post('/content/:submissionId/rights-extension/withdraw', async (c) => {
  const r = await contentOr404(c);
  try {
    await withdrawRightsExtension(c.env.DB, c.var.user.brandId, r.id, { type: 'admin_user', id: c.var.user.id });
  } catch (error) {
    if (error instanceof ApiError && error.code === 'rights_extension_not_open') return renderDetail(c, r, { errors: [`${error.message} Nothing was withdrawn.`], status: 409 });
    throw error;
  }
  return c.redirect(withFlash(`/console/content/${r.id}`, 'withdrawn'), 303);
});
