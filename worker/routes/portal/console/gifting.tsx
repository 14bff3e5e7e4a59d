// A campaign's Gifting tab (db/gifting.ts): products and the setting, the requests, shipping and declining
// them as the admin API does, and the packing list. Writes and the CSV need an owner or manager (enforceRole).
import { Hono } from 'hono';
import { countOf } from '../../../../portal/format';
import { TrackingPage } from '../../../../portal/console/gift-tracking';
import { GiftingPage, type OpenedForm, type ProductFormValues } from '../../../../portal/console/gifting';
import type { Flash } from '../../../../portal/console/layout';
import type { FormError } from '../../../../portal/layout';
import {
  createGiftProduct,
  declineBody,
  declineGift,
  giftMailing,
  GIFT_PRODUCTS_MAX,
  GIFT_ROUND_MAX,
  GIFT_STATUSES,
  giftCounts,
  giftedByEnrollment,
  giftingSettingsBody,
  ShipmentsInterrupted,
  giftProductBody,
  listGiftProducts,
  listGiftRequests,
  openGiftRequests,
  packingCsvStream,
  saveGiftingSettings,
  shipBody,
  shipGift,
  SHIP_CALL_WITHOUT_MAIL,
  startGiftRound,
  updateGiftProduct,
  type GiftStatus,
} from '../../../db/gifting';
import { MAX_TRACKING_CSV_CHARS, requestCounts, runTrackingFile, type TrackingReport } from '../../../db/gift-tracking';
import { typedAmountToMinor } from '../../../domain/store-payloads';
import { csvAttachment } from '../../../lib/csv';
import { decodeCursor, pageOf, type Position } from '../../../lib/cursor';
import { notFound } from '../../../lib/errors';
import { campaignOr404, viewerOf } from './campaigns';
import { canWrite, countParam, csvFromForm, flashOf, readForm, renderPage, wholeNumber, withFlash, type ConsoleContext, type ConsoleEnv, type PageStatus, refuseWithoutOrigin } from './context';
import { awaitingReview, type CampaignRecord } from './queries';

export const giftingRoutes = new Hono<ConsoleEnv>();

const FLASHES: Record<string, Flash> = {
  settings: { tone: 'success', text: 'Gifting saved.' },
  round_started: { tone: 'success', text: 'New round started: creators whose gift arrived may ask again, for the products you offer now.' },
  round_unchanged: { tone: 'info', text: 'That round had been started already: nothing changed.' },
  product_added: { tone: 'success', text: 'Product added.' },
  product_archived: { tone: 'info', text: 'Product archived: creators can no longer pick it. Requests that name it still ship.' },
  product_restored: { tone: 'success', text: 'Product offered again.' },
  shipped: { tone: 'success', text: 'Marked shipped. The creator is emailed the tracking number.' },
  ship_updated: { tone: 'info', text: 'It had shipped already: the tracking details are corrected, and no second mail was sent.' },
  ship_unchanged: { tone: 'info', text: 'That request was marked shipped already, with the same tracking: nothing changed, nothing mailed.' },
  tracking_corrected: { tone: 'success', text: 'Tracking corrected. The creator sees it on their gift page; no second email was sent.' },
  declined: { tone: 'success', text: 'Declined. The creator is emailed your reason and sees it on their gift page.' },
  decline_unchanged: { tone: 'info', text: 'That request was declined already, with the same reason: nothing changed, nothing mailed.' },
};

const pagePath = (campaignId: string) => `/console/campaigns/${campaignId}/gifting`;
const EMPTY_PRODUCT: ProductFormValues = { title: '', options: '', sku: '', value: '' };
// Requests a page: each row carries its ship and decline forms.
const PAGE = 50;

// The list the page shows: a status (or all) and a keyset page of it (lib/cursor.ts). Anything else in the query, or
// a cursor edited by hand, is the first page of all, as a link would give it.
function listOf(c: ConsoleContext): { status: GiftStatus | null; after: Position | undefined; query: string } {
  const raw = c.req.query('status') ?? '';
  const status = (GIFT_STATUSES as readonly string[]).includes(raw) ? (raw as GiftStatus) : null;
  const cursor = c.req.query('cursor') ?? '';
  const after = decodeCursor(cursor) ?? undefined;
  const q = new URLSearchParams();
  if (status) q.set('status', status);
  if (after) q.set('cursor', cursor);
  return { status, after, query: q.size > 0 ? `?${q}` : '' };
}
// Where a form sent from the page comes back to: the same list and page.
const backTo = (c: ConsoleContext, campaignId: string) => pagePath(campaignId) + listOf(c).query;
const LAST_ROUND = `Round ${GIFT_ROUND_MAX} is the last a campaign can have, so no further round can start. For another season's product, make a new campaign.`;
const TOO_MANY = `A campaign offers at most ${GIFT_PRODUCTS_MAX} products at once: archive one you no longer send.`;

async function renderGifting(c: ConsoleContext, campaign: CampaignRecord, extras: { values?: ProductFormValues; errors?: FormError[]; opened?: OpenedForm } = {}, status: PageStatus = 200) {
  const { user } = c.var;
  const db = c.env.DB;
  const list = listOf(c);
  const filter = list.status;
  const [settings, products, rows, counts, gifted, toReview] = await Promise.all([
    db.prepare('SELECT gifting_open, gift_choices, gift_round FROM campaigns WHERE id = ?').bind(campaign.id).first<{ gifting_open: number; gift_choices: number; gift_round: number }>(),
    listGiftProducts(db, user.brandId, campaign.id),
    listGiftRequests(db, user.brandId, { campaignId: campaign.id, status: filter ?? undefined, before: list.after, limit: PAGE + 1 }),
    giftCounts(db, user.brandId, campaign.id),
    giftedByEnrollment(db, user.brandId, campaign.id),
    awaitingReview(db, user.brandId),
  ]);
  const page = pageOf(rows, PAGE, (g) => ({ at: g.created_at, id: g.id }));
  const first = pagePath(campaign.id) + (filter ? `?status=${filter}` : '');
  const requests = await openGiftRequests(c.env.SECRETS_KEY, page.rows);
  return renderPage(
    c,
    <GiftingPage
      viewer={viewerOf(c)}
      canWrite={canWrite(user)}
      campaign={campaign}
      settings={{ open: settings?.gifting_open === 1, choices: settings?.gift_choices ?? 1, round: settings?.gift_round ?? 1 }}
      products={products}
      requests={requests}
      counts={counts}
      status={filter}
      listQuery={list.query}
      pages={{ newest: list.after ? first : null, older: page.nextCursor ? `${first}${filter ? '&' : '?'}cursor=${page.nextCursor}` : null }}
      shippedValue={{ value: [...gifted.values()].reduce((a, b) => a + b, 0), creators: gifted.size }}
      values={extras.values ?? EMPTY_PRODUCT}
      errors={extras.errors}
      opened={extras.opened}
      flash={status === 200 ? (trackingFlash(c) ?? flashOf(FLASHES, c)) : null}
      toReview={toReview}
    />,
    status,
  );
}

// Each error names the id of the input it is about, so the error summary's link lands on it.
const issuesOf = (issues: { path: PropertyKey[]; message: string }[], id: (field: string) => string): FormError[] => issues.map((i) => ({ field: id(String(i.path[0] ?? '')), text: i.message }));
const PRODUCT_INPUTS: Record<string, string> = { title: 'p-title', options: 'p-options', sku: 'p-sku', valueMinor: 'p-value' };
const SHIP_INPUTS: Record<string, string> = { carrier: 'carrier', trackingNumber: 'tn', trackingUrl: 'tu', reason: 'reason' };

giftingRoutes.get('/campaigns/:id/gifting', async (c) => renderGifting(c, await campaignOr404(c, c.req.param('id'))));

giftingRoutes.get('/campaigns/:id/gifting/packing-list.csv', async (c) => {
  const campaign = await campaignOr404(c, c.req.param('id'));
  const { user } = c.var;
  return csvAttachment(packingCsvStream(c.env.DB, c.env.SECRETS_KEY, user.brandId, campaign.id, user.currency), `chorus-packing-${user.brandSlug}-${campaign.slug}-${new Date().toISOString().slice(0, 10)}.csv`);
});

giftingRoutes.post('/campaigns/:id/gifting/settings', async (c) => {
  const campaign = await campaignOr404(c, c.req.param('id'));
  const form = await readForm(c);
  const parsed = giftingSettingsBody.safeParse({ open: form.get('open') === '1', choices: /^\d{1,3}$/.test(form.get('choices')) ? Number(form.get('choices')) : -1 });
  if (!parsed.success) return renderGifting(c, campaign, { errors: [{ field: 'choices', text: 'Each creator may pick from 1 to 10 products.' }] }, 422);
  await saveGiftingSettings(c.env.DB, c.var.user.brandId, campaign.id, parsed.data, { type: 'admin_user', id: c.var.user.id }, Date.now());
  return c.redirect(withFlash(pagePath(campaign.id), 'settings'), 303);
});

// The next seeding round (a new season's product): the form names the round it was drawn in, so a form sent twice,
// or after a teammate started it, starts no second one.
giftingRoutes.post('/campaigns/:id/gifting/round', async (c) => {
  const campaign = await campaignOr404(c, c.req.param('id'));
  const from = wholeNumber((await readForm(c)).get('from'));
  if (from < 1) return renderGifting(c, campaign, { errors: ['This form does not say which round it follows: reload the page and start the round again.'] }, 422);
  if (from >= GIFT_ROUND_MAX) return renderGifting(c, campaign, { errors: [LAST_ROUND] }, 409);
  const started = await startGiftRound(c.env.DB, c.var.user.brandId, campaign.id, from, { type: 'admin_user', id: c.var.user.id }, Date.now());
  return c.redirect(withFlash(pagePath(campaign.id), started ? 'round_started' : 'round_unchanged'), 303);
});

giftingRoutes.post('/campaigns/:id/gifting/products', async (c) => {
  const campaign = await campaignOr404(c, c.req.param('id'));
  const form = await readForm(c);
  const values: ProductFormValues = { title: form.get('title').slice(0, 500), options: form.get('options').slice(0, 2000), sku: form.get('sku').slice(0, 200), value: form.get('value').slice(0, 40) };
  const { currency } = c.var.user;
  const value = typedAmountToMinor(values.value.trim(), currency);
  const parsed = giftProductBody.safeParse({
    title: values.title,
    options: values.options.split(',').map((o) => o.trim()).filter(Boolean),
    sku: values.sku.trim() || null,
    valueMinor: value ?? -1,
  });
  if (!parsed.success) {
    const errors = issuesOf(parsed.error.issues, (f) => PRODUCT_INPUTS[f] ?? f).map((e) => (typeof e !== 'string' && e.field === 'p-value' ? { field: 'p-value', text: `Give the value as an amount in ${currency}, such as 34.00.` } : e));
    return renderGifting(c, campaign, { values, errors }, 422);
  }
  const row = await createGiftProduct(c.env.DB, c.var.user.brandId, campaign.id, parsed.data, { type: 'admin_user', id: c.var.user.id }, Date.now());
  if (!row) return renderGifting(c, campaign, { values, errors: [TOO_MANY] }, 409);
  return c.redirect(withFlash(pagePath(campaign.id), 'product_added'), 303);
});

giftingRoutes.post('/campaigns/:id/gifting/products/:productId/archive', async (c) => {
  const campaign = await campaignOr404(c, c.req.param('id'));
  const archived = (await readForm(c)).get('archived') !== '0';
  const row = await updateGiftProduct(c.env.DB, c.var.user.brandId, campaign.id, c.req.param('productId'), { archived }, { type: 'admin_user', id: c.var.user.id }, Date.now());
  if (!row) throw notFound('gift product');
  if (row === 'too_many') return renderGifting(c, campaign, { errors: [TOO_MANY] }, 409);
  return c.redirect(withFlash(pagePath(campaign.id), archived ? 'product_archived' : 'product_restored'), 303);
});

// A request of another campaign (or brand) under this campaign's path is a 404: null. Its status otherwise.
const requestInCampaign = (c: ConsoleContext, campaign: CampaignRecord, requestId: string) =>
  c.env.DB.prepare('SELECT status FROM gift_requests WHERE id = ? AND campaign_id = ? AND brand_id = ?').bind(requestId, campaign.id, c.var.user.brandId).first<GiftStatus>('status');

// A ship or tracking form as typed (cut to what a field could hold) and as parsed. Refused, the request's form comes
// back open with what was typed, the errors linking to its inputs.
async function shipForm(c: ConsoleContext, campaign: CampaignRecord, requestId: string, formName: 'ship' | 'tracking') {
  const form = await readForm(c);
  const typed = { carrier: form.get('carrier').slice(0, 200), trackingNumber: form.get('trackingNumber').slice(0, 200), trackingUrl: form.get('trackingUrl').slice(0, 1000) };
  const parsed = shipBody.safeParse({ carrier: typed.carrier, trackingNumber: typed.trackingNumber, trackingUrl: typed.trackingUrl.trim() || null, updatedAt: form.get('updatedAt') || undefined });
  if (parsed.success) return { ship: parsed.data, typed };
  return renderGifting(c, campaign, { errors: issuesOf(parsed.error.issues, (f) => `${SHIP_INPUTS[f] ?? f}-${requestId}`), opened: { requestId, form: formName, values: typed } }, 422);
}

// Ship and decline, as the admin API does (one mail on the first ship or decline, however often the form is sent).
giftingRoutes.post('/campaigns/:id/gifting/requests/:requestId/ship', async (c) => {
  const campaign = await campaignOr404(c, c.req.param('id'));
  const { user } = c.var;
  const requestId = c.req.param('requestId');
  // The form carries the version of the request it was drawn with: one the creator changed since is not shipped.
  const form = await shipForm(c, campaign, requestId, 'ship');
  if (form instanceof Response) return form;
  if (!(await requestInCampaign(c, campaign, requestId))) throw notFound('gift request');
  const mailing = giftMailing(c);
  const result = await shipGift(c.env.DB, user.brandId, requestId, form.ship, { type: 'admin_user', id: user.id }, Date.now(), mailing.shipRules);
  if (result.outcome === 'not_found') throw notFound('gift request');
  if (result.outcome === 'conflict') {
    if (result.reason === 'would_mail') return refuseWithoutOrigin(c, (error, status) => renderGifting(c, campaign, { errors: [error] }, status));
    const text =
      result.reason === 'enrollment_removed'
        ? 'This creator was removed from the campaign, so the gift was not marked shipped: decline the request instead.'
        : result.reason === 'already_shipped'
          ? `This gift was marked shipped with ${result.request.carrier} ${result.request.tracking_number} after the page was loaded, so your tracking was not recorded and nobody was emailed twice.`
          : result.reason === 'changed'
          ? `${result.request.display_name} changed this request after the page was loaded, so it was not marked shipped: check the products and address below (and the packing list) and ship what it asks for now.`
          : `This request is ${result.request.status}, so it cannot be marked shipped.`;
    return renderGifting(c, campaign, { errors: [text] }, 409);
  }
  await mailing.mail([result]);
  return c.redirect(withFlash(backTo(c, campaign.id), result.outcome === 'shipped' ? 'shipped' : result.outcome === 'updated' ? 'ship_updated' : 'ship_unchanged'), 303);
});

// A shipped gift's tracking corrected, as the admin API's ship call corrects it (shipGift, the same rules): audited as
// gift.tracking_changed and, as there, neither mailed nor a webhook event; the creator's gift page shows the new
// tracking. The form carries the version it was drawn with (required: 422 without), so a correction made meanwhile is
// not overwritten. Only a shipped request: one still waiting ships with its own form (and its mail), one that arrived
// keeps its tracking.
// Nothing is mailed, so no origin is needed.
giftingRoutes.post('/campaigns/:id/gifting/requests/:requestId/tracking', async (c) => {
  const campaign = await campaignOr404(c, c.req.param('id'));
  const { user } = c.var;
  const requestId = c.req.param('requestId');
  const form = await shipForm(c, campaign, requestId, 'tracking');
  if (form instanceof Response) return form;
  const status = await requestInCampaign(c, campaign, requestId);
  if (!status) throw notFound('gift request');
  // Never a ship: a request that is not shipped is refused here, and shipGift (correction only) would not ship it.
  if (status === 'requested') return renderGifting(c, campaign, { errors: ['This gift has not shipped yet: mark it shipped instead, which emails the creator.'] }, 409);
  // Required here (the API's ship call may leave it out): without it a correction made meanwhile would be overwritten.
  if (form.ship.updatedAt === undefined) {
    return renderGifting(c, campaign, { errors: ['This form does not say which version of the tracking it corrects, so nothing was saved: reload the page and correct it again.'], opened: { requestId, form: 'tracking', values: form.typed } }, 422);
  }
  const result = await shipGift(c.env.DB, user.brandId, requestId, form.ship, { type: 'admin_user', id: user.id }, Date.now(), SHIP_CALL_WITHOUT_MAIL);
  if (result.outcome === 'not_found') throw notFound('gift request');
  if (result.outcome === 'conflict') {
    const r = result.request;
    const text =
      r.status === 'shipped'
        ? `This gift's tracking was changed to ${r.carrier} ${r.tracking_number} after the page was loaded, so yours was not saved. Check it below and correct it again if it is still wrong.`
        : r.status === 'received'
          ? `${r.display_name} said this gift arrived, so its tracking stays as it was.`
          : `This request is ${r.status}, so its tracking cannot be changed.`;
    return renderGifting(c, campaign, { errors: [text] }, 409);
  }
  return c.redirect(withFlash(backTo(c, campaign.id), result.outcome === 'updated' ? 'tracking_corrected' : 'ship_unchanged'), 303);
});

// Tracking from a file: the first post checks it and shows what each line would do; the page's button posts it
// again with confirm=1, which ships the good requests as the admin API does and comes back to the tab, or, when
// some lines had problems (found then, or only now: changed or declined meanwhile), shows what it did line by line.
giftingRoutes.post('/campaigns/:id/gifting/tracking', async (c) => {
  const campaign = await campaignOr404(c, c.req.param('id'));
  const form = await readForm(c);
  const { user } = c.var;
  // The page posts the file back in a hidden field, and the browser sends its line breaks as CRLF: measured as
  // the file was, so one that passed the check passes on confirm.
  const csv = (await csvFromForm(form)).replace(/\r\n/g, '\n');
  const fileName = (form.file('file')?.name ?? form.get('fileName')).slice(0, 200) || null;
  const page = async (extras: { report?: TrackingReport; problem?: { message: string; line?: number }; withoutMail?: boolean }, status: PageStatus) =>
    renderPage(c, <TrackingPage viewer={viewerOf(c)} campaign={campaign} toReview={await awaitingReview(c.env.DB, user.brandId)} fileName={fileName} csv={csv} {...extras} />, status);
  if (csv.trim() === '') return page({ problem: { message: 'Choose a CSV file to upload, or paste the rows.' } }, 422);
  if (csv.length > MAX_TRACKING_CSV_CHARS) return page({ problem: { message: 'Files are limited to 1,000,000 characters (about 2,000 lines of the packing list).' } }, 413);
  const confirm = form.get('confirm') === '1';
  const mailing = giftMailing(c);
  let run: Awaited<ReturnType<typeof runTrackingFile>>;
  try {
    // Each batch's mails are queued as it commits, so a failure part way leaves what shipped mailed.
    run = await runTrackingFile(c.env.DB, user.brandId, campaign.id, csv, confirm ? { actor: { type: 'admin_user', id: user.id }, now: Date.now(), committed: mailing.mail, withoutMail: mailing.withoutMail } : null);
  } catch (e) {
    if (!(e instanceof ShipmentsInterrupted)) throw e;
    const { shipped } = requestCounts(e.outcomes);
    return page({ problem: { message: `Storage failed part way, after ${countOf(shipped, 'gift')} shipped (each creator is emailed). Upload the file again: what shipped is not shipped or emailed twice.` } }, 503);
  }
  if ('wouldMail' in run) return refuseWithoutOrigin(c, (message, status) => page({ problem: { message } }, status));
  if ('problem' in run) return page({ problem: { message: run.problem, line: run.line } }, 422);
  if (!confirm || run.report.counts.errorLines > 0) return page({ report: run.report, withoutMail: mailing.withoutMail }, 200);
  const { shipped, updated, unchanged } = run.report.counts;
  return c.redirect(withFlash(pagePath(campaign.id), 'tracking', { shipped, updated, unchanged }), 303);
});

// What a tracking file did, from the counts its redirect carries (numbers only, never text).
function trackingFlash(c: ConsoleContext): Flash | null {
  if (c.req.query('flash') !== 'tracking') return null;
  const [shipped, updated, unchanged] = ['shipped', 'updated', 'unchanged'].map((k) => countParam(c, k)) as [number, number, number];
  const parts = [
    shipped > 0 ? `${countOf(shipped, 'gift')} marked shipped: each creator is emailed the tracking.` : '',
    updated > 0 ? `Tracking corrected on ${countOf(updated, 'gift')} shipped before (no second email).` : '',
    unchanged > 0 ? `${countOf(unchanged, 'gift')} had this tracking already.` : '',
  ].filter(Boolean);
  return { tone: shipped + updated > 0 ? 'success' : 'info', text: parts.length > 0 ? parts.join(' ') : 'Nothing in the file to ship.' };
}

giftingRoutes.post('/campaigns/:id/gifting/requests/:requestId/decline', async (c) => {
  const campaign = await campaignOr404(c, c.req.param('id'));
  const { user } = c.var;
  const requestId = c.req.param('requestId');
  const reason = (await readForm(c)).get('reason');
  const parsed = declineBody.safeParse({ reason });
  if (!parsed.success) return renderGifting(c, campaign, { errors: issuesOf(parsed.error.issues, (f) => `${SHIP_INPUTS[f] ?? f}-${requestId}`), opened: { requestId, form: 'decline', values: { reason: reason.slice(0, 2000) } } }, 422);
  if (!(await requestInCampaign(c, campaign, requestId))) throw notFound('gift request');
  const mailing = giftMailing(c);
  const result = await declineGift(c.env.DB, user.brandId, requestId, parsed.data.reason, { type: 'admin_user', id: user.id }, Date.now(), mailing);
  if (result.outcome === 'not_found') throw notFound('gift request');
  if (result.outcome === 'conflict') {
    if (result.reason === 'would_mail') return refuseWithoutOrigin(c, (error, status) => renderGifting(c, campaign, { errors: [error] }, status));
    return renderGifting(c, campaign, { errors: [`This request is ${result.request.status}, so it cannot be declined.`] }, 409);
  }
  await mailing.mail([result]);
  return c.redirect(withFlash(backTo(c, campaign.id), result.outcome === 'declined' ? 'declined' : 'decline_unchanged'), 303);
});
