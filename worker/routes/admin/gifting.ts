// Product seeding over the admin API (db/gifting.ts): a campaign's gift products and setting, the requests
// creators make, shipping and declining them, and the packing list. An admin key reads the shipping addresses,
// as the console's owners and managers do.
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import {
  createGiftProduct,
  declineBody,
  declineGift,
  giftMailing,
  GIFT_PRODUCTS_MAX,
  GIFT_ROUND_MAX,
  GIFT_STATUSES,
  giftProductBody,
  giftProductPatch,
  giftingSettingsBody,
  itemsOf,
  listGiftProducts,
  listGiftRequests,
  openGiftRequest,
  openGiftRequests,
  optionsOf,
  packingCsvStream,
  saveGiftingSettings,
  shipBody,
  shipGift,
  ShipmentsInterrupted,
  updateGiftProduct,
  type GiftProductRow,
  type GiftRequestRow,
  type OpenedGiftRequest,
} from '../../db/gifting';
import { GIFT_REQUEST_ID, MAX_TRACKING_CSV_CHARS, MAX_TRACKING_LINES, requestCounts, runTrackingFile, type TrackingReport } from '../../db/gift-tracking';
import { publicOriginUnset, type AppEnv } from '../../env';
import { csvAttachment } from '../../lib/csv';
import { cursorParam, pageOf } from '../../lib/cursor';
import { ApiError, notFound } from '../../lib/errors';
import { iso, valid } from '../../lib/validate';
import { routeDescriber } from '../../openapi/registry';
import { dataOf, Gifting, GiftProduct, GiftRequest, GiftTrackingReport, listOf, pagedListOf } from '../../openapi/schemas';

export function giftProductView(p: GiftProductRow) {
  return { id: p.id, campaignId: p.campaign_id, title: p.title, options: optionsOf(p), sku: p.sku, valueMinor: p.value_minor, archivedAt: iso(p.archived_at), createdAt: iso(p.created_at) };
}

export function giftRequestView(g: OpenedGiftRequest, currency: string) {
  return {
    id: g.id,
    campaignId: g.campaign_id,
    enrollmentId: g.enrollment_id,
    creator: { id: g.creator_id, handle: g.handle, name: g.display_name },
    status: g.status,
    items: itemsOf(g),
    round: g.round,
    valueMinor: g.value_minor,
    currency,
    // Null once removed (declined, withdrawn, or long arrived: jobs/gift-addresses.ts), or when it cannot be read
    // (SECRETS_KEY changed): addressState tells the two apart.
    address: typeof g.shipTo === 'string' ? null : g.shipTo,
    addressState: typeof g.shipTo === 'string' ? g.shipTo : ('held' as const),
    shipment: g.shipped_at !== null && g.carrier && g.tracking_number ? { carrier: g.carrier, trackingNumber: g.tracking_number, trackingUrl: g.tracking_url, shippedAt: iso(g.shipped_at) } : null,
    declineReason: g.decline_reason,
    receivedAt: iso(g.received_at),
    createdAt: iso(g.created_at),
    updatedAt: iso(g.updated_at),
  };
}

const trackingFileBody = z.strictObject({
  csv: z.string().min(1).max(MAX_TRACKING_CSV_CHARS).meta({ description: 'The file, as text (at most 1,000,000 characters).' }),
  confirm: z.boolean().default(false).meta({ description: 'Ship the requests whose lines are all fine. False: only check the file.' }),
});

export const trackingReportView = (r: TrackingReport) => ({
  dryRun: r.dryRun,
  lines: r.lines.map((l) => ({ line: l.line, requestId: GIFT_REQUEST_ID.test(l.requestId) ? l.requestId : null, outcome: l.outcome, creator: l.request && { id: l.request.creator_id, handle: l.request.handle } })),
  errors: r.errors,
  counts: r.counts,
});

// The path's campaign, with the brand's currency; another brand's is a 404.
async function campaignOf(c: Context<AppEnv>) {
  const row = await c.env.DB.prepare('SELECT c.id, c.slug, c.gifting_open, c.gift_choices, c.gift_round, b.currency, b.slug AS brand_slug FROM campaigns c JOIN brands b ON b.id = c.brand_id WHERE c.id = ? AND c.brand_id = ?')
    .bind(c.req.param('id') ?? '', c.var.admin.brandId)
    .first<{ id: string; slug: string; gifting_open: number; gift_choices: number; gift_round: number; currency: string; brand_slug: string }>();
  if (!row) throw notFound('campaign');
  return row;
}

const giftingView = (c: { gifting_open: number; gift_choices: number; gift_round: number }) => ({ open: c.gifting_open === 1, choices: c.gift_choices, round: c.gift_round });

const currencyOf = async (c: Context<AppEnv>) => (await c.env.DB.prepare('SELECT currency FROM brands WHERE id = ?').bind(c.var.admin.brandId).first<{ currency: string }>())?.currency ?? 'USD';

const op = routeDescriber({ tag: 'Gifting', auth: 'adminKey' });
const tooMany = () => new ApiError(409, 'too_many_products', `A campaign offers at most ${GIFT_PRODUCTS_MAX} gift products at once: archive one you no longer send.`);
const campaignId = { id: 'The campaign id.' };

// Under /campaigns: the campaign's setting, products and packing list.
export const campaignGiftRoutes = new Hono<AppEnv>()
  .get(
    '/:id/gifting',
    op({ summary: "A campaign's gifting setting", params: campaignId, responses: { 200: { description: 'Whether gifting is open, how many products a creator picks, and the round.', schema: dataOf(Gifting) } }, errors: { 404: ['not_found'] } }),
    async (c) => {
      return c.json({ data: giftingView(await campaignOf(c)) });
    },
  )
  .patch(
    '/:id/gifting',
    op({
      summary: 'Open or close gifting',
      description:
        'Opens gifting (accepted creators active in the campaign see "Choose your gift" on their portal) or closes it (requests already made stay, to ship or decline), and sets how many products one creator may pick. Audited as `campaign.gifting_changed`. ' +
        "Each creator gets one gift a round: `round` set to the current round plus 1 starts the next (a new season's product; audited as `campaign.gift_round_started`), after which creators whose gift arrived in an earlier round may ask again, while a creator still has one request open at a time. The current round again changes nothing, so a retry is safe; any other round is a 409 `gift_round_conflict`, with nothing written. " +
        `Round ${GIFT_ROUND_MAX} is the last: the one after it is a 409 \`gift_round_limit\`, with nothing written.`,
      params: campaignId,
      example: { open: true, choices: 2, round: 2 },
      responses: { 200: { description: 'The setting now.', schema: dataOf(Gifting) } },
      errors: { 404: ['not_found'], 409: ['gift_round_conflict', 'gift_round_limit'] },
    }),
    valid('json', giftingSettingsBody),
    async (c) => {
      const campaign = await campaignOf(c);
      const { brandId, keyId } = c.var.admin;
      const { round, ...settings } = c.req.valid('json');
      const actor = { type: 'api_key', id: keyId } as const;
      const now = Date.now();
      // Checked before anything is written: a round is started one at a time, and never goes back.
      if (round !== undefined && round !== campaign.gift_round && round !== campaign.gift_round + 1) {
        throw new ApiError(409, 'gift_round_conflict', `This campaign is in round ${campaign.gift_round}: send ${campaign.gift_round + 1} to start the next one.`, { round: campaign.gift_round });
      }
      if (round === campaign.gift_round + 1 && campaign.gift_round >= GIFT_ROUND_MAX) {
        throw new ApiError(409, 'gift_round_limit', `Round ${GIFT_ROUND_MAX} is the last a campaign can have: no further round can start.`, { round: campaign.gift_round });
      }
      // A round start lost to another call that started it meanwhile: it is started all the same.
      await saveGiftingSettings(c.env.DB, brandId, campaign.id, settings, actor, now, round === campaign.gift_round + 1 ? campaign.gift_round : undefined);
      return c.json({ data: giftingView(await campaignOf(c)) });
    },
  )
  .get(
    '/:id/gift-products',
    op({ summary: 'List gift products', description: 'Offered ones first (oldest first), then archived ones.', params: campaignId, responses: { 200: { description: "The campaign's gift products.", schema: listOf(GiftProduct) } }, errors: { 404: ['not_found'] } }),
    async (c) => {
      const campaign = await campaignOf(c);
      return c.json({ data: (await listGiftProducts(c.env.DB, c.var.admin.brandId, campaign.id)).map(giftProductView) });
    },
  )
  .post(
    '/:id/gift-products',
    op({
      summary: 'Add a gift product',
      description: `A product the campaign's creators may pick, with the options they pick one of (sizes, shades) and what one costs you. At most ${GIFT_PRODUCTS_MAX} offered at once per campaign (archived ones do not count; 409 \`too_many_products\`).`,
      params: campaignId,
      example: { title: 'Barrier Serum 30 ml', options: ['Fragrance-free', 'Original'], sku: 'LS-SERUM-30', valueMinor: 3400 },
      responses: { 201: { description: 'The product.', schema: dataOf(GiftProduct) } },
      errors: { 404: ['not_found'], 409: ['too_many_products'] },
    }),
    valid('json', giftProductBody),
    async (c) => {
      const campaign = await campaignOf(c);
      const { brandId, keyId } = c.var.admin;
      const row = await createGiftProduct(c.env.DB, brandId, campaign.id, c.req.valid('json'), { type: 'api_key', id: keyId }, Date.now());
      if (!row) throw tooMany();
      return c.json({ data: giftProductView(row) }, 201);
    },
  )
  .patch(
    '/:id/gift-products/:productId',
    op({
      summary: 'Edit or archive a gift product',
      description: `Changes its title, options, SKU or value, or archives it (\`archived: true\`: creators can no longer pick it; requests that name it keep their copy and still ship) or brings it back (\`archived: false\`, while the campaign offers fewer than ${GIFT_PRODUCTS_MAX}, else 409 \`too_many_products\` and nothing changes). Requests already made keep the product as it was.`,
      params: { ...campaignId, productId: 'The gift product id.' },
      example: { archived: true },
      responses: { 200: { description: 'The product now.', schema: dataOf(GiftProduct) } },
      errors: { 404: ['not_found'], 409: ['too_many_products'] },
    }),
    valid('json', giftProductPatch),
    async (c) => {
      const campaign = await campaignOf(c);
      const { brandId, keyId } = c.var.admin;
      const row = await updateGiftProduct(c.env.DB, brandId, campaign.id, c.req.param('productId'), c.req.valid('json'), { type: 'api_key', id: keyId }, Date.now());
      if (!row) throw notFound('gift product');
      if (row === 'too_many') throw tooMany();
      return c.json({ data: giftProductView(row) });
    },
  )
  .post(
    '/:id/gift-requests/ship',
    op({
      summary: 'Ship gifts from a tracking file',
      description:
        `The warehouse's sheet of tracking numbers, as CSV (commas, tabs or semicolons): \`request_id\`, \`carrier\` and \`tracking_number\` required, \`tracking_url\` and \`updated_at\` optional, and the packing list's own columns may stay (so the packing list with two columns filled in is a tracking file); other columns are refused. At most ${MAX_TRACKING_LINES.toLocaleString('en-US')} lines. ` +
        'The whole file is checked first: every line comes back with what it does, and problems with their line numbers. With `confirm` false (the default) nothing is written; with `confirm` true the requests whose lines are all fine ship, exactly as the ship call ships them (the creator is mailed once, on the first ship; `gift.shipped` once), and the rest are left as they are. Requests are written 200 at a time, each batch mailed as it commits: a storage failure part way answers 503 `storage_unavailable` with what was done (`details`: `shipped`, `updated`, `unchanged`), and sending the file again does the rest. ' +
        "A request on several lines (the packing list has one per product) ships once: its lines with a tracking number must agree, else each is an error `conflicting_lines`. A line without a tracking number ships nothing (`skipped`). An id that is not this campaign's (another campaign's, another brand's, or none) is `not_found`; a declined, withdrawn or received request `gift_request_not_open` (received with the same tracking is `unchanged`); with `updated_at`, a request the creator changed since is `gift_request_changed` (one whose `updated_at` a spreadsheet rounded to the second is `invalid`, and says so). A request shipped already with other tracking is `already_shipped`, naming the tracking on record, unless the line gives the request's current `updated_at` (from after it shipped): then its tracking is corrected (`updated`, no second mail). So a packing list made before it shipped, or a file sent again after a correction, never overwrites tracking. Sending the same file again ships nothing twice and mails no one. A deployment without `PUBLIC_ORIGIN` answers a confirmed file that would ship any request 503 `public_origin_unset` (nothing written), since a ship mails the creator; a file that only corrects or repeats tracking mails nobody and goes through.",
      params: campaignId,
      example: { csv: 'request_id,carrier,tracking_number,updated_at\ngr_Q2x7vLr9TkPa4mBc,UPS,1Z999AA10123456784,2026-05-04T09:30:00.000Z\n', confirm: false },
      responses: { 200: { description: 'Each line and what it does (or did), the problems, and the counts.', schema: dataOf(GiftTrackingReport) } },
      errors: { 404: ['not_found'], 422: ['invalid_csv'], 503: ['public_origin_unset'] },
    }),
    valid('json', trackingFileBody),
    async (c) => {
      const campaign = await campaignOf(c);
      const { brandId, keyId } = c.var.admin;
      const { csv, confirm } = c.req.valid('json');
      const mailing = giftMailing(c);
      try {
        // Each batch's mails are queued as it commits, so a failure part way leaves what shipped mailed.
        const run = await runTrackingFile(c.env.DB, brandId, campaign.id, csv, confirm ? { actor: { type: 'api_key', id: keyId }, now: Date.now(), committed: mailing.mail, withoutMail: mailing.withoutMail } : null);
        if ('wouldMail' in run) throw publicOriginUnset();
        if ('problem' in run) throw new ApiError(422, 'invalid_csv', run.problem, { line: run.line });
        return c.json({ data: trackingReportView(run.report) });
      } catch (e) {
        if (!(e instanceof ShipmentsInterrupted)) throw e;
        const done = requestCounts(e.outcomes);
        throw new ApiError(503, 'storage_unavailable', `Storage failed part way: ${done.shipped} shipped (each creator mailed) and ${done.updated} corrected before it stopped. Send the file again: what shipped is not shipped or mailed twice.`, done, { 'Retry-After': '1' });
      }
    },
  )
  .get(
    '/:id/packing-list.csv',
    op({
      summary: 'Download the packing list',
      description:
        'The requests still to ship, oldest last, one line per product: request_id, requested_at, round (the seeding round it was asked for in), handle, name, product, option, sku, quantity, ship_to_name, address_line1, address_line2, city, region, postal_code, country, phone, value, currency, updated_at (the version of the request: send it as `updatedAt` when you ship it). A request whose address cannot be read (SECRETS_KEY changed) has empty address cells and `(address unreadable: SECRETS_KEY changed)` as ship_to_name. Text a spreadsheet would run as a formula starts with an apostrophe.',
      params: campaignId,
      responses: { 200: { description: 'CSV, as an attachment.', contentType: 'text/csv' } },
      errors: { 404: ['not_found'] },
    }),
    async (c) => {
      const campaign = await campaignOf(c);
      return csvAttachment(packingCsvStream(c.env.DB, c.env.SECRETS_KEY, c.var.admin.brandId, campaign.id, campaign.currency), `chorus-packing-${campaign.brand_slug}-${campaign.slug}-${new Date().toISOString().slice(0, 10)}.csv`);
    },
  );

const requestId = { id: 'The gift request id.' };
const listQuery = z.strictObject({
  campaignId: z.string().max(64).optional(),
  status: z.enum(GIFT_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(100),
  cursor: cursorParam.optional().meta({ description: '`nextCursor` of the previous page.' }),
});

// Shipped by someone else with other tracking: as another call at the same time, or after the version sent was read.
const alreadyShipped = (g: GiftRequestRow) =>
  new ApiError(409, 'already_shipped', `This request was shipped with ${g.carrier} ${g.tracking_number} before this call could ship it (by another call at the same moment, or after the updatedAt you sent): nothing was written. To correct its tracking, send its current updatedAt (${new Date(g.updated_at).toISOString()}).`, {
    carrier: g.carrier,
    trackingNumber: g.tracking_number,
    trackingUrl: g.tracking_url,
    shippedAt: iso(g.shipped_at),
    updatedAt: iso(g.updated_at),
  });
const notOpen = (g: GiftRequestRow) => new ApiError(409, 'gift_request_not_open', `This request is ${g.status}: only a requested one can be shipped or declined.`, { status: g.status });

export const giftRequestRoutes = new Hono<AppEnv>()
  .get(
    '/',
    op({
      summary: 'List gift requests',
      description: 'Newest first, a page at a time (`limit`, then `cursor` from `nextCursor`), by campaign and status. Each carries the shipping address the creator gave.',
      responses: { 200: { description: 'Gift requests.', schema: pagedListOf(GiftRequest) } },
    }),
    valid('query', listQuery),
    async (c) => {
      const q = c.req.valid('query');
      const rows = await listGiftRequests(c.env.DB, c.var.admin.brandId, { campaignId: q.campaignId, status: q.status, before: q.cursor, limit: q.limit + 1 });
      const page = pageOf(rows, q.limit, (g) => ({ at: g.created_at, id: g.id }));
      const currency = await currencyOf(c);
      return c.json({ data: (await openGiftRequests(c.env.SECRETS_KEY, page.rows)).map((g) => giftRequestView(g, currency)), hasMore: page.hasMore, nextCursor: page.nextCursor });
    },
  )
  .post(
    '/:id/ship',
    op({
      summary: 'Mark a gift shipped',
      description:
        'Records the carrier and tracking number; `trackingUrl` (https only) is shown to the creator, and left out for UPS, USPS, FedEx or DHL it is built from the number. The creator is emailed once, when it first ships: the same call again answers 200 and mails nothing, and a shipped one takes a corrected carrier, number or URL without a second mail. Other tracking for a request shipped after you read it (by another call at the same moment, or after the `updatedAt` you send) is a 409 `already_shipped` naming the tracking on record (`details`), nothing written: send its current `updatedAt` to correct it. A declined, withdrawn or received request is a 409 `gift_request_not_open` (a received one sent the same tracking again answers 200); a removed creator\'s request still waiting is declined with the removal (and one left from before that is a 409 `enrollment_removed`). Send `updatedAt` as you read it (from this list or the packing list\'s `updated_at`): a request changed since (the creator picked other products or gave another address after you packed) is a 409 `gift_request_changed` with nothing written, so load it again and ship what it asks for now. A deployment without `PUBLIC_ORIGIN` answers 503 `public_origin_unset` (nothing written) only to a call that would ship, since that mails the creator; a correction or a repeat mails nothing and goes through.',
      params: requestId,
      example: { carrier: 'UPS', trackingNumber: '1Z999AA10123456784', updatedAt: '2026-05-04T09:30:00.000Z' },
      responses: { 200: { description: 'The request, shipped.', schema: dataOf(GiftRequest) } },
      errors: { 404: ['not_found'], 409: ['gift_request_not_open', 'enrollment_removed', 'gift_request_changed', 'already_shipped'], 503: ['public_origin_unset'] },
    }),
    valid('json', shipBody),
    async (c) => {
      const { brandId, keyId } = c.var.admin;
      const mailing = giftMailing(c);
      const result = await shipGift(c.env.DB, brandId, c.req.param('id'), c.req.valid('json'), { type: 'api_key', id: keyId }, Date.now(), mailing.shipRules);
      if (result.outcome === 'not_found') throw notFound('gift request');
      if (result.outcome === 'conflict') {
        if (result.reason === 'would_mail') throw publicOriginUnset();
        if (result.reason === 'enrollment_removed') throw new ApiError(409, 'enrollment_removed', 'This creator was removed from the campaign: decline the request instead.');
        if (result.reason === 'already_shipped') throw alreadyShipped(result.request);
        if (result.reason === 'changed') throw new ApiError(409, 'gift_request_changed', `This request changed after the version you sent (${new Date(result.request.updated_at).toISOString()} now): the creator may have picked other products or given another address. Load it again, check what it asks for, and ship that.`, { updatedAt: new Date(result.request.updated_at).toISOString(), status: result.request.status });
        throw notOpen(result.request);
      }
      await mailing.mail([result]);
      return c.json({ data: giftRequestView(await openGiftRequest(c.env.SECRETS_KEY, result.request), await currencyOf(c)) });
    },
  )
  .post(
    '/:id/decline',
    op({
      summary: 'Decline a gift request',
      description: "Declines a request not yet shipped, with a reason the creator reads on their portal (e.g. that size is out of stock); they are emailed it once, with a link to their gift page. They may ask again while gifting is open. The same reason again answers 200 and mails nothing; anything else on a request that is not `requested` is a 409. A deployment without `PUBLIC_ORIGIN` answers 503 `public_origin_unset` (nothing written) only to a call that would decline, since that mails the creator; the same decline again mails nothing and goes through.",
      params: requestId,
      example: { reason: 'That shade is out of stock until June: pick another and we ship this week.' },
      responses: { 200: { description: 'The request, declined.', schema: dataOf(GiftRequest) } },
      errors: { 404: ['not_found'], 409: ['gift_request_not_open'], 503: ['public_origin_unset'] },
    }),
    valid('json', declineBody),
    async (c) => {
      const { brandId, keyId } = c.var.admin;
      const mailing = giftMailing(c);
      const result = await declineGift(c.env.DB, brandId, c.req.param('id'), c.req.valid('json').reason, { type: 'api_key', id: keyId }, Date.now(), mailing);
      if (result.outcome === 'not_found') throw notFound('gift request');
      if (result.outcome === 'conflict') throw result.reason === 'would_mail' ? publicOriginUnset() : notOpen(result.request);
      await mailing.mail([result]);
      return c.json({ data: giftRequestView(await openGiftRequest(c.env.SECRETS_KEY, result.request), await currencyOf(c)) });
    },
  );
