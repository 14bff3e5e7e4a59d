// Product seeding: the brand ships product to a campaign's creators, who post about it (Shopify Collabs' gifting,
// Aspire's product seeding). The brand lists gift products on the campaign and opens gifting; an accepted, active
// creator picks up to `gift_choices` of them and gives a shipping address; the brand ships (carrier and tracking)
// or declines with a reason; the creator says when it arrived. A request keeps copies of the products and the
// address it was made with, so what ships is what was asked for, whatever changes later. The address is kept
// sealed, and removed once it is no longer needed (db/addresses.ts).
import { z } from 'zod';
import { countryName, isCountryCode } from '../lib/countries';
import { csvLine, csvNumber, csvText, pagedCsvStream } from '../lib/csv';
import { afterParams, afterSql, keysetPages } from '../lib/cursor';
import { newId } from '../lib/ids';
import { log } from '../lib/log';
import { mailOrigin, type Env } from '../env';
import type { Message } from '../lib/messages';
import { noticesAfterResponse } from '../mail';
import { plainText } from '../lib/validate';
import { campaignEnded } from '../domain/codes';
import { formatAmount } from '../domain/store-payloads';
import type { CreatorEnrollment } from './creator-portal';
import { auditIfChanged } from './audit';
import { openAddress, openSavedAddress, sealAddress, type ShipTo } from './addresses';
import { giftEventStatements } from './webhooks';

export const GIFT_TITLE_MAX = 120;
export const GIFT_OPTION_MAX = 40;
export const GIFT_OPTIONS_MAX = 30;
export const GIFT_CHOICES_MAX = 10;
export const GIFT_PRODUCTS_MAX = 50;
export const DECLINE_REASON_MAX = 500;
// 1,000,000.00 in a two-decimal currency: a gift worth more is a typo, not a gift.
export const GIFT_VALUE_MAX = 100_000_000;

export const GIFT_STATUSES = ['requested', 'shipped', 'received', 'declined', 'withdrawn'] as const;
export type GiftStatus = (typeof GIFT_STATUSES)[number];
export const GIFT_STATUS_LABELS: Record<GiftStatus, string> = { requested: 'Requested', shipped: 'Shipped', received: 'Received', declined: 'Declined', withdrawn: 'Withdrawn' };

// ---------- Products ----------

const optionList = z
  .array(plainText(GIFT_OPTION_MAX, 'one', `An option is limited to ${GIFT_OPTION_MAX} characters.`).min(1, 'An option cannot be empty.'))
  .max(GIFT_OPTIONS_MAX, `At most ${GIFT_OPTIONS_MAX} options.`)
  .refine((o) => new Set(o.map((x) => x.toLowerCase())).size === o.length, 'Each option once.');

const productFields = {
  title: plainText(GIFT_TITLE_MAX, 'one', `The title is limited to ${GIFT_TITLE_MAX} characters.`).min(1, 'Give the product a title.').meta({ description: 'What the creator picks, e.g. `Barrier Serum 30 ml`.' }),
  options: optionList.meta({ description: `The choices a creator picks one of (sizes, shades), up to ${GIFT_OPTIONS_MAX}; empty: nothing to pick.` }),
  sku: plainText(64, 'one', 'The SKU is limited to 64 characters.').nullable().meta({ description: 'Your SKU, printed on the packing list.' }),
  valueMinor: z.int().min(0).max(GIFT_VALUE_MAX).meta({ description: "What one costs you, in minor units of your brand's currency: the network results add up the shipped ones." }),
};
export const giftProductBody = z.strictObject({ ...productFields, options: productFields.options.default([]), sku: productFields.sku.default(null), valueMinor: productFields.valueMinor.default(0) });
export const giftProductPatch = z.strictObject({ ...z.object(productFields).partial().shape, archived: z.boolean().optional().meta({ description: 'true archives it (offered no more; requests keep their copy), false brings it back.' }) });
export type GiftProductInput = z.output<typeof giftProductBody>;
export type GiftProductPatch = z.output<typeof giftProductPatch>;

export type GiftProductRow = { id: string; campaign_id: string; title: string; options: string; sku: string | null; value_minor: number; archived_at: number | null; created_at: number };
const PRODUCT_COLUMNS = 'p.id, p.campaign_id, p.title, p.options, p.sku, p.value_minor, p.archived_at, p.created_at';
export const optionsOf = (p: Pick<GiftProductRow, 'options'>) => JSON.parse(p.options) as string[];

export async function listGiftProducts(db: D1Database, brandId: string, campaignId: string, { archived = true } = {}): Promise<GiftProductRow[]> {
  const { results } = await db
    .prepare(`SELECT ${PRODUCT_COLUMNS} FROM gift_products p WHERE p.campaign_id = ? AND p.brand_id = ?${archived ? '' : ' AND p.archived_at IS NULL'} ORDER BY p.archived_at IS NOT NULL, p.created_at, p.id`)
    .bind(campaignId, brandId)
    .all<GiftProductRow>();
  return results;
}

export type Actor = { type: 'admin_user' | 'api_key' | 'creator'; id: string };

// The cap counts the products offered now: archived ones are history (requests keep their copies), and archiving
// one is how a brand makes room. The insert and the un-archive each check it in their own write.
const ROOM_FOR_ONE_MORE = `(SELECT count(*) FROM gift_products o WHERE o.campaign_id = ?3 AND o.archived_at IS NULL) < ${GIFT_PRODUCTS_MAX}`;

// Adds a product to a campaign the caller found to be the brand's; null when the campaign offers GIFT_PRODUCTS_MAX.
export async function createGiftProduct(db: D1Database, brandId: string, campaignId: string, input: GiftProductInput, actor: Actor, now: number): Promise<GiftProductRow | null> {
  const id = newId('gp');
  const [inserted] = await db.batch([
    db
      .prepare(
        `INSERT INTO gift_products (id, brand_id, campaign_id, title, options, sku, value_minor, created_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 WHERE ${ROOM_FOR_ONE_MORE}`,
      )
      .bind(id, brandId, campaignId, input.title, JSON.stringify(input.options), input.sku, input.valueMinor, now),
    auditIfChanged(db, { brandId, actorType: actor.type, actorId: actor.id, action: 'gift_product.created', targetType: 'campaign', targetId: campaignId, details: { productId: id, title: input.title } }, now),
  ]);
  if ((inserted?.meta.changes ?? 0) === 0) return null;
  return db.prepare(`SELECT ${PRODUCT_COLUMNS} FROM gift_products p WHERE p.id = ?`).bind(id).first<GiftProductRow>();
}

// Edits or archives one product of the brand's campaign; null when there is none by that id there, 'too_many'
// when bringing it back would offer more than GIFT_PRODUCTS_MAX (nothing is written then).
export async function updateGiftProduct(db: D1Database, brandId: string, campaignId: string, productId: string, patch: GiftProductPatch, actor: Actor, now: number): Promise<GiftProductRow | null | 'too_many'> {
  const sets: string[] = [];
  const values: unknown[] = [];
  const set = (column: string, value: unknown) => (sets.push(`${column} = ?${values.length + 4}`), values.push(value));
  if (patch.title !== undefined) set('title', patch.title);
  if (patch.options !== undefined) set('options', JSON.stringify(patch.options));
  if (patch.sku !== undefined) set('sku', patch.sku);
  if (patch.valueMinor !== undefined) set('value_minor', patch.valueMinor);
  if (patch.archived !== undefined) sets.push(patch.archived ? `archived_at = coalesce(archived_at, ${now})` : 'archived_at = NULL');
  // One offered already stays so; one archived comes back only while there is room (counted in the write).
  const room = patch.archived === false ? ` AND (archived_at IS NULL OR ${ROOM_FOR_ONE_MORE})` : '';
  let refused = false;
  if (sets.length > 0) {
    const [updated] = await db.batch([
      db.prepare(`UPDATE gift_products SET ${sets.join(', ')} WHERE id = ?1 AND brand_id = ?2 AND campaign_id = ?3${room}`).bind(productId, brandId, campaignId, ...values),
      auditIfChanged(db, { brandId, actorType: actor.type, actorId: actor.id, action: 'gift_product.updated', targetType: 'campaign', targetId: campaignId, details: { productId, ...patch } }, now),
    ]);
    refused = (updated?.meta.changes ?? 0) === 0;
  }
  const row = await db.prepare(`SELECT ${PRODUCT_COLUMNS} FROM gift_products p WHERE p.id = ? AND p.campaign_id = ? AND p.brand_id = ?`).bind(productId, campaignId, brandId).first<GiftProductRow>();
  return row && refused && patch.archived === false ? 'too_many' : row;
}

// ---------- The campaign's setting ----------

export const GIFT_ROUND_MAX = 1000;
export const giftingSettingsBody = z.strictObject({
  open: z.boolean().optional().meta({ description: 'Whether accepted, active creators may ask for a gift now.' }),
  choices: z.int().min(1).max(GIFT_CHOICES_MAX).optional().meta({ description: `How many products one creator may pick (1 to ${GIFT_CHOICES_MAX}).` }),
  round: z
    .int()
    .min(1)
    .optional()
    .meta({
      description: `The seeding round: send the current one plus 1 to start the next (a new season's product), after which creators whose gift arrived may ask again. The current one again changes nothing; any other is a 409 \`gift_round_conflict\`. Round ${GIFT_ROUND_MAX} is the last: the one after it is a 409 \`gift_round_limit\`.`,
    }),
});
export type GiftingSettings = { open: boolean; choices: number; round: number };

// Rounds: a creator gets one gift per round of the campaign (the unique index gift_requests_live, per enrollment and
// round), and has one open request at a time whatever its round (gift_requests_open). The request that stands in
// the way of asking, as SQL over a request `g` and the campaign's round: one asked for or on its way, or one that
// arrived in this round. A gift that arrived in an earlier round does not.
export const blocksAsking = (g: string, round: string) => `(${g}.status IN ('requested', 'shipped') OR (${g}.status = 'received' AND ${g}.round = ${round}))`;

// Starts the round after `from`, only while the campaign is in it (a form sent twice starts one round) and it is not
// the last.
const roundStart = (db: D1Database, brandId: string, campaignId: string, from: number, actor: Actor, now: number) => [
  db.prepare(`UPDATE campaigns SET gift_round = gift_round + 1 WHERE id = ? AND brand_id = ? AND gift_round = ? AND gift_round < ${GIFT_ROUND_MAX}`).bind(campaignId, brandId, from),
  auditIfChanged(db, { brandId, actorType: actor.type, actorId: actor.id, action: 'campaign.gift_round_started', targetType: 'campaign', targetId: campaignId, details: { round: from + 1 } }, now),
];
export async function startGiftRound(db: D1Database, brandId: string, campaignId: string, from: number, actor: Actor, now: number): Promise<boolean> {
  const [moved] = await db.batch(roundStart(db, brandId, campaignId, from, actor, now));
  return (moved?.meta.changes ?? 0) > 0;
}

// The setting, and with `nextRoundFrom` the round after it started (as startGiftRound starts it), in one batch: a
// PATCH that does both writes both or neither.
export async function saveGiftingSettings(db: D1Database, brandId: string, campaignId: string, s: Omit<z.output<typeof giftingSettingsBody>, 'round'>, actor: Actor, now: number, nextRoundFrom?: number): Promise<void> {
  await db.batch([
    db
      .prepare('UPDATE campaigns SET gifting_open = coalesce(?1, gifting_open), gift_choices = coalesce(?2, gift_choices) WHERE id = ?3 AND brand_id = ?4 AND (gifting_open IS NOT coalesce(?1, gifting_open) OR gift_choices IS NOT coalesce(?2, gift_choices))')
      .bind(s.open === undefined ? null : s.open ? 1 : 0, s.choices ?? null, campaignId, brandId),
    auditIfChanged(db, { brandId, actorType: actor.type, actorId: actor.id, action: 'campaign.gifting_changed', targetType: 'campaign', targetId: campaignId, details: s }, now),
    ...(nextRoundFrom === undefined ? [] : roundStart(db, brandId, campaignId, nextRoundFrom, actor, now)),
  ]);
}

// ---------- Addresses ----------

const line = (max: number, what: string) => plainText(max, 'one', `${what} is limited to ${max} characters.`);
export const shippingAddress = z.strictObject({
  name: line(100, 'The name').min(1, 'Whose name goes on the parcel?'),
  line1: line(120, 'The address').min(1, 'Give the street address.'),
  line2: line(120, 'The second line').default(''),
  city: line(80, 'The city').min(1, 'Give the city or town.'),
  region: line(80, 'The state or region').default(''),
  postalCode: line(16, 'The postal code')
    .default('')
    .refine((s) => /^[A-Za-z0-9 -]*$/.test(s), 'Letters, digits, spaces and hyphens only.'),
  country: z
    .string()
    .trim()
    .overwrite((s) => s.toUpperCase())
    .refine(isCountryCode, 'Pick the country (an ISO 3166-1 two-letter code such as US or DE).'),
  phone: line(25, 'The phone number')
    .default('')
    .refine((s) => s === '' || /^\+?[0-9][0-9 ()./-]{3,23}$/.test(s), 'Digits, spaces and + ( ) - only.'),
});
export type ShippingAddress = z.output<typeof shippingAddress>;
export const ADDRESS_FIELDS = ['name', 'line1', 'line2', 'city', 'region', 'postalCode', 'country', 'phone'] as const;

export const addressLines = (a: ShippingAddress) =>
  [a.name, a.line1, a.line2, [a.city, a.region, a.postalCode].filter(Boolean).join(', '), countryName(a.country), a.phone ? `Phone ${a.phone}` : ''].filter(Boolean);

export const sameAddress = (a: ShippingAddress, b: ShippingAddress) => ADDRESS_FIELDS.every((f) => a[f] === b[f]);

// ---------- Requests ----------

export type GiftItem = { productId: string; title: string; option: string | null; sku: string | null; valueMinor: number };
export type GiftPick = { productId: string; option: string | null };

export type GiftRequestRow = {
  id: string;
  campaign_id: string;
  enrollment_id: string;
  status: GiftStatus;
  items: string;
  /** As stored: open it with openGiftRequest (openAddress). */
  stored_address: string;
  value_minor: number;
  carrier: string | null;
  tracking_number: string | null;
  tracking_url: string | null;
  decline_reason: string | null;
  created_at: number;
  updated_at: number;
  shipped_at: number | null;
  received_at: number | null;
  round: number;
  creator_id: string;
  handle: string;
  display_name: string;
  enrollment_status: string;
};
const REQUEST_COLUMNS = `g.id, g.campaign_id, g.enrollment_id, g.status, g.items, g.address AS stored_address, g.value_minor, g.carrier, g.tracking_number, g.tracking_url,
  g.decline_reason, g.created_at, g.updated_at, g.shipped_at, g.received_at, g.round, e.creator_id, r.handle, r.display_name, e.status AS enrollment_status`;
const REQUEST_FROM = 'FROM gift_requests g JOIN enrollments e ON e.id = g.enrollment_id JOIN roster r ON r.brand_id = e.brand_id AND r.creator_id = e.creator_id';
export const itemsOf = (g: Pick<GiftRequestRow, 'items'>) => JSON.parse(g.items) as GiftItem[];

/** A request with its address opened, for what shows it. */
export type OpenedGiftRequest = GiftRequestRow & { shipTo: ShipTo };
export async function openGiftRequests(secretsKey: string, rows: GiftRequestRow[]): Promise<OpenedGiftRequest[]> {
  const opened = await Promise.all(rows.map(async (g) => ({ ...g, shipTo: await openAddress(secretsKey, g.stored_address) })));
  // Sealed under another SECRETS_KEY (it was changed): every reader says so where the address would be, and the
  // operator hears of it here, as nothing else fails.
  const unreadable = opened.filter((g) => g.shipTo === 'unreadable').map((g) => g.id);
  if (unreadable.length > 0) log.error('gift_address_unreadable', { count: unreadable.length, requests: unreadable.slice(0, 20) });
  return opened;
}
export const openGiftRequest = async (secretsKey: string, g: GiftRequestRow): Promise<OpenedGiftRequest> => (await openGiftRequests(secretsKey, [g]))[0]!;

export async function loadGiftRequest(db: D1Database, brandId: string, requestId: string): Promise<GiftRequestRow | null> {
  return db.prepare(`SELECT ${REQUEST_COLUMNS} ${REQUEST_FROM} WHERE g.id = ? AND g.brand_id = ?`).bind(requestId, brandId).first<GiftRequestRow>();
}

/** A brand's requests, newest first, by campaign and status; `limit` rows after `before` (created_at, id): with a
 * campaign, one range of gift_requests_campaign (a status) or gift_requests_campaign_at (all), read in its order. */
export async function listGiftRequests(db: D1Database, brandId: string, f: { campaignId?: string; status?: GiftStatus; before?: { at: number; id: string }; limit: number }): Promise<GiftRequestRow[]> {
  const where = ['g.brand_id = ?'];
  const binds: unknown[] = [brandId];
  if (f.campaignId) where.push('g.campaign_id = ?'), binds.push(f.campaignId);
  if (f.status) where.push('g.status = ?'), binds.push(f.status);
  if (f.before) where.push(afterSql('g.created_at', 'g.id')), binds.push(...afterParams(f.before));
  const { results } = await db
    .prepare(`SELECT ${REQUEST_COLUMNS} ${REQUEST_FROM} WHERE ${where.join(' AND ')} ORDER BY g.created_at DESC, g.id DESC LIMIT ?`)
    .bind(...binds, f.limit)
    .all<GiftRequestRow>();
  return results;
}

export async function giftCounts(db: D1Database, brandId: string, campaignId: string): Promise<Record<GiftStatus, number>> {
  const { results } = await db.prepare('SELECT status, count(*) AS n FROM gift_requests WHERE campaign_id = ? AND brand_id = ? GROUP BY status').bind(campaignId, brandId).all<{ status: GiftStatus; n: number }>();
  const counts = Object.fromEntries(GIFT_STATUSES.map((s) => [s, 0])) as Record<GiftStatus, number>;
  for (const r of results) counts[r.status] = r.n;
  return counts;
}

// What the creator's gift form needs: the campaign's setting and products, their request (the one that stands in the
// way of asking, else the latest), and the address saved on their account.
export type CreatorGift = { settings: GiftingSettings; products: GiftProductRow[]; request: OpenedGiftRequest | null; savedAddress: ShippingAddress | null };
export async function creatorGift(db: D1Database, secretsKey: string, e: { enrollment_id: string; campaign_id: string; brand_id: string }, creatorId: string): Promise<CreatorGift> {
  const [settings, products, request, saved] = await db.batch([
    db.prepare('SELECT gifting_open, gift_choices, gift_round FROM campaigns WHERE id = ? AND brand_id = ?').bind(e.campaign_id, e.brand_id),
    db.prepare(`SELECT ${PRODUCT_COLUMNS} FROM gift_products p WHERE p.campaign_id = ? AND p.brand_id = ? AND p.archived_at IS NULL ORDER BY p.created_at, p.id`).bind(e.campaign_id, e.brand_id),
    db
      .prepare(`SELECT ${REQUEST_COLUMNS} ${REQUEST_FROM} JOIN campaigns c ON c.id = g.campaign_id WHERE g.enrollment_id = ? ORDER BY ${blocksAsking('g', 'c.gift_round')} DESC, g.updated_at DESC LIMIT 1`)
      .bind(e.enrollment_id),
    db.prepare('SELECT shipping_address FROM creators WHERE id = ?').bind(creatorId),
  ]);
  const s = settings?.results[0] as { gifting_open: number; gift_choices: number; gift_round: number } | undefined;
  const raw = (saved?.results[0] as { shipping_address: string | null } | undefined)?.shipping_address ?? null;
  const row = (request?.results[0] as GiftRequestRow | undefined) ?? null;
  return {
    settings: { open: s?.gifting_open === 1, choices: s?.gift_choices ?? 1, round: s?.gift_round ?? 1 },
    products: (products?.results ?? []) as GiftProductRow[],
    request: row && (await openGiftRequest(secretsKey, row)),
    savedAddress: await openSavedAddress(secretsKey, raw),
  };
}

export type PickProblem = { field: string; text: string };

// The creator's picks against the products offered now: each offered and not archived, its option one of the
// product's, each product once, at least one and at most `choices`.
export function pickedItems(picks: GiftPick[], products: GiftProductRow[], choices: number): { items: GiftItem[] } | { problem: PickProblem } {
  if (picks.length === 0) return { problem: { field: 'products', text: 'Pick a product.' } };
  if (picks.length > choices) return { problem: { field: 'products', text: `Pick at most ${choices === 1 ? 'one product' : `${choices} products`}.` } };
  const byId = new Map(products.filter((p) => p.archived_at === null).map((p) => [p.id, p]));
  const items: GiftItem[] = [];
  for (const pick of picks) {
    const p = byId.get(pick.productId);
    if (!p) return { problem: { field: 'products', text: 'A product you picked is no longer offered. Pick again.' } };
    if (items.some((i) => i.productId === p.id)) return { problem: { field: 'products', text: 'Pick each product once.' } };
    const options = optionsOf(p);
    if (options.length > 0 && (pick.option === null || !options.includes(pick.option))) return { problem: { field: `option-${p.id}`, text: `Pick a ${p.title} option.` } };
    items.push({ productId: p.id, title: p.title, option: options.length > 0 ? pick.option : null, sku: p.sku, valueMinor: p.value_minor });
  }
  return { items };
}

// Whether a creator may ask for a gift (or change their ask) now, and if not, why in words: the one rule the home
// card's "Choose your gift", the gift page and its form check, and MAY_ASK below writes under. Accepted the
// brand and active in the campaign (not paused or benched), gifting open with a product offered, and the
// campaign not ended. A draft campaign takes requests: product usually ships before the launch, so the posts
// are ready for it (as drafts are sent for review before it).
export function giftAskable(
  e: Pick<CreatorEnrollment, 'campaign_status' | 'ends_at' | 'enrollment_status' | 'brand_accepted' | 'brand_name'>,
  offer: { open: boolean; products: number },
  now: number,
): { ok: true } | { ok: false; why: string } {
  if (campaignEnded(e, now)) return { ok: false, why: 'The campaign has ended, so it takes no more gift requests.' };
  if (!offer.open || offer.products === 0) return { ok: false, why: `${e.brand_name} is not taking gift requests for this campaign right now.` };
  if (!e.brand_accepted || e.enrollment_status !== 'active') return { ok: false, why: `Your part in the campaign is ${e.enrollment_status === 'paused' ? 'paused' : 'on hold'}, so gift requests wait until ${e.brand_name} makes it active again.` };
  return { ok: true };
}

// giftAskable in the write (the products offered are checked by pickedItems): `c.status <> 'ended'` and the end
// date are campaignEnded's two halves.
const MAY_ASK = `e.id = ?1 AND e.creator_id = ?2 AND e.status = 'active' AND c.gifting_open = 1 AND c.status <> 'ended' AND (c.ends_at IS NULL OR c.ends_at > ?3)
  AND EXISTS (SELECT 1 FROM brand_creators r WHERE r.brand_id = e.brand_id AND r.creator_id = e.creator_id AND r.accepted_at IS NOT NULL)`;

export type AskOutcome = 'requested' | 'changed' | 'shipped_already' | 'closed';

// Asks for a gift in the campaign's round, or changes the open ask (which then counts for this round: its products
// are picked from this round's). The unique indexes (one open request, one gift a round) decide between two forms
// sent at once: one inserts, the other finds it and changes it while it is still only asked for.
// `save`: the address goes on the account too, to fill in the next form (the caller leaves it false when the
// account holds this address already: each sealing differs, so SQL cannot tell).
export async function askForGift(db: D1Database, secretsKey: string, p: { enrollmentId: string; creatorId: string; brandId: string; items: GiftItem[]; address: ShippingAddress; save: boolean }, now: number): Promise<AskOutcome> {
  const items = JSON.stringify(p.items);
  const address = await sealAddress(secretsKey, p.address);
  const value = p.items.reduce((sum, i) => sum + i.valueMinor, 0);
  const saveAddress = db.prepare('UPDATE creators SET shipping_address = ? WHERE id = ? AND ?').bind(address, p.creatorId, p.save ? 1 : 0);
  const [inserted] = await db.batch([
    db
      .prepare(
        `INSERT INTO gift_requests (id, brand_id, campaign_id, enrollment_id, status, items, address, value_minor, round, created_at, updated_at)
         SELECT ?4, e.brand_id, e.campaign_id, e.id, 'requested', ?5, ?6, ?7, c.gift_round, ?3, ?3 FROM enrollments e JOIN campaigns c ON c.id = e.campaign_id WHERE ${MAY_ASK}
         ON CONFLICT DO NOTHING`,
      )
      .bind(p.enrollmentId, p.creatorId, now, newId('gr'), items, address, value),
    auditIfChanged(db, { brandId: p.brandId, actorType: 'creator', actorId: p.creatorId, action: 'gift.requested', targetType: 'enrollment', targetId: p.enrollmentId }, now),
    ...giftEventStatements(db, 'gift.requested', { enrollmentId: p.enrollmentId }, now),
  ]);
  if ((inserted?.meta.changes ?? 0) > 0) {
    await saveAddress.run();
    return 'requested';
  }
  const [changed] = await db.batch([
    db
      .prepare(
        `UPDATE gift_requests SET items = ?4, address = ?5, value_minor = ?6, round = (SELECT gift_round FROM campaigns WHERE id = gift_requests.campaign_id), updated_at = ?3
         WHERE enrollment_id = ?1 AND status = 'requested' AND EXISTS (SELECT 1 FROM enrollments e JOIN campaigns c ON c.id = e.campaign_id WHERE ${MAY_ASK})`,
      )
      .bind(p.enrollmentId, p.creatorId, now, items, address, value),
    auditIfChanged(db, { brandId: p.brandId, actorType: 'creator', actorId: p.creatorId, action: 'gift.changed', targetType: 'enrollment', targetId: p.enrollmentId }, now),
    // A change is a new version of the request: gift.requested again, so a fulfilment system packs what it asks for now.
    ...giftEventStatements(db, 'gift.requested', { enrollmentId: p.enrollmentId }, now),
  ]);
  if ((changed?.meta.changes ?? 0) > 0) {
    await saveAddress.run();
    return 'changed';
  }
  const live = await db.prepare(`SELECT 1 FROM gift_requests g JOIN campaigns c ON c.id = g.campaign_id WHERE g.enrollment_id = ? AND g.status <> 'requested' AND ${blocksAsking('g', 'c.gift_round')}`).bind(p.enrollmentId).first();
  return live ? 'shipped_already' : 'closed';
}

// The creator's own moves: withdraw while only asked for, say it arrived once shipped. True when it moved.
export async function creatorMovesGift(db: D1Database, p: { enrollmentId: string; creatorId: string; brandId: string }, move: 'withdraw' | 'received', now: number): Promise<boolean> {
  const [from, to, column] = move === 'withdraw' ? (['requested', 'withdrawn', 'updated_at'] as const) : (['shipped', 'received', 'received_at'] as const);
  const [moved] = await db.batch([
    db
      .prepare(`UPDATE gift_requests SET status = ?1, updated_at = ?2${column === 'received_at' ? ', received_at = ?2' : ''} WHERE enrollment_id = ?3 AND status = ?4 AND EXISTS (SELECT 1 FROM enrollments e WHERE e.id = ?3 AND e.creator_id = ?5)`)
      .bind(to, now, p.enrollmentId, from, p.creatorId),
    auditIfChanged(db, { brandId: p.brandId, actorType: 'creator', actorId: p.creatorId, action: `gift.${to}`, targetType: 'enrollment', targetId: p.enrollmentId }, now),
    ...giftEventStatements(db, move === 'withdraw' ? 'gift.declined' : 'gift.received', { enrollmentId: p.enrollmentId }, now),
  ]);
  return (moved?.meta.changes ?? 0) > 0;
}

// ---------- Shipping ----------

// A known carrier's tracking page, built from the number when the brand gives no URL.
const CARRIER_TRACKING: Record<string, (n: string) => string> = {
  ups: (n) => `https://www.ups.com/track?tracknum=${n}`,
  usps: (n) => `https://tools.usps.com/go/TrackConfirmAction?tLabels=${n}`,
  fedex: (n) => `https://www.fedex.com/fedextrack/?trknbr=${n}`,
  dhl: (n) => `https://www.dhl.com/global-en/home/tracking/tracking-express.html?tracking-id=${n}`,
};
export const KNOWN_CARRIERS = ['UPS', 'USPS', 'FedEx', 'DHL'];
export function trackingUrlFor(carrier: string, trackingNumber: string): string | null {
  const build = CARRIER_TRACKING[carrier.trim().toLowerCase().replace(/[^a-z]/g, '')];
  return build ? build(encodeURIComponent(trackingNumber.replace(/\s+/g, ''))) : null;
}

// An https page of someone's, shown to the creator as a link: no other scheme (javascript:, http:), no credentials.
const httpsUrl = z
  .string()
  .trim()
  .max(500, 'The tracking URL is limited to 500 characters.')
  .refine((s) => {
    try {
      const u = new URL(s);
      return u.protocol === 'https:' && !u.username && !u.password && u.hostname.includes('.');
    } catch {
      return false;
    }
  }, 'The tracking URL must be an https:// address.');

export const shipBody = z.strictObject({
  carrier: plainText(40, 'one', 'The carrier is limited to 40 characters.').min(1, 'Name the carrier (UPS, USPS, FedEx, DHL or another).'),
  trackingNumber: z
    .string()
    .trim()
    .refine((s) => /^[A-Za-z0-9][A-Za-z0-9 -]{2,39}$/.test(s), 'A tracking number is 3 to 40 letters and digits (spaces and hyphens allowed).'),
  trackingUrl: httpsUrl.nullable().optional().meta({ description: 'The parcel\'s tracking page (https). Left out, a known carrier\'s (UPS, USPS, FedEx, DHL) is built from the number.' }),
  updatedAt: z.iso
    .datetime({ offset: true })
    .transform((s) => Date.parse(s))
    .optional()
    .meta({ description: "The request's `updatedAt` (or the packing list's `updated_at`) as you read it: when given, a request changed since (the creator picked other products or gave another address) is not shipped but answered 409 `gift_request_changed`, so what is recorded shipped is what you packed." }),
});
export const declineBody = z.strictObject({
  reason: plainText(DECLINE_REASON_MAX, 'many', `The reason is limited to ${DECLINE_REASON_MAX} characters.`).min(1, 'Say why: the creator reads it.'),
});
export type ShipInput = z.output<typeof shipBody>;

// `would_mail`: under ShipRules.withoutMail, a request that would ship (the first ship is what mails the creator).
export type ConflictReason = 'not_open' | 'enrollment_removed' | 'changed' | 'already_shipped' | 'would_mail';
export type ShipOutcome = { outcome: 'shipped' | 'updated' | 'unchanged'; request: GiftRequestRow } | { outcome: 'not_found' } | { outcome: 'conflict'; request: GiftRequestRow; reason: ConflictReason };

/** One request to mark shipped, as the ship call or a line of a tracking file gives it. */
export type Shipment = { requestId: string; input: ShipInput };
type Tracking = { carrier: string; trackingNumber: string; url: string | null; version: number | null };
const trackingOf = (input: ShipInput): Tracking => ({ carrier: input.carrier, trackingNumber: input.trackingNumber, url: input.trackingUrl ?? trackingUrlFor(input.carrier, input.trackingNumber), version: input.updatedAt ?? null });

// Sent already with this very tracking (and maybe arrived since): nothing to do, nothing to mail.
const sameShipment = (g: GiftRequestRow, t: Tracking) => (g.status === 'shipped' || g.status === 'received') && g.carrier === t.carrier && g.tracking_number === t.trackingNumber && g.tracking_url === t.url;

/**
 * How shipments are checked. `correctionNeedsVersion` (a tracking file): a shipped request takes other tracking
 * only with its current version, so a file sent again after a correction, or a sheet of the warehouse's that never
 * knew it shipped, cannot overwrite the tracking on record; the ship call corrects without one, as it always has.
 * `withoutMail` (deployed without PUBLIC_ORIGIN): nothing ships (the first ship is what mails the creator), a request
 * that would is a `would_mail` conflict; corrections and repeats go through. Decided on the row as read for the write, and
 * a request never goes back to requested, so what passes mails nothing.
 */
export type ShipRules = { correctionNeedsVersion: boolean; withoutMail?: boolean };
const SHIP_CALL: ShipRules = { correctionNeedsVersion: false };
/** The ship call where it cannot mail (deployed without PUBLIC_ORIGIN), and the console's tracking correction. */
export const SHIP_CALL_WITHOUT_MAIL: ShipRules = { correctionNeedsVersion: false, withoutMail: true };

/** What shipping `before` with `t` would do, from the request as read: 'write' ships it, or corrects a shipped one's tracking. */
export type ShipDecision = { outcome: 'unchanged' } | { outcome: 'conflict'; reason: ConflictReason } | { outcome: 'write'; ships: boolean };
function shipDecision(before: GiftRequestRow, t: Tracking, rules: ShipRules): ShipDecision {
  if (sameShipment(before, t)) return { outcome: 'unchanged' };
  if (before.status !== 'requested' && before.status !== 'shipped') return { outcome: 'conflict', reason: 'not_open' };
  if (before.enrollment_status === 'removed' && before.status === 'requested') return { outcome: 'conflict', reason: 'enrollment_removed' };
  // Other tracking for one shipped already, from a version read before it shipped (the packing list's is always
  // older): whoever sends it did not know, so it is not taken as a correction.
  if (before.status === 'shipped' && (t.version === null ? rules.correctionNeedsVersion : t.version < (before.shipped_at ?? 0))) return { outcome: 'conflict', reason: 'already_shipped' };
  if (t.version !== null && before.updated_at !== t.version) return { outcome: 'conflict', reason: 'changed' };
  if (before.status === 'requested' && rules.withoutMail) return { outcome: 'conflict', reason: 'would_mail' };
  return { outcome: 'write', ships: before.status === 'requested' };
}

const REQUESTS_PER_READ = 500;
const REQUESTS_PER_WRITE = 200;

// The brand's requests by id (within one campaign when given), REQUESTS_PER_READ a query; absent ids are not in the map.
async function loadGiftRequests(db: D1Database, brandId: string, ids: string[], campaignId?: string): Promise<Map<string, GiftRequestRow>> {
  const found = new Map<string, GiftRequestRow>();
  for (let i = 0; i < ids.length; i += REQUESTS_PER_READ) {
    const { results } = await db
      .prepare(`SELECT ${REQUEST_COLUMNS} ${REQUEST_FROM} WHERE g.id IN (SELECT value FROM json_each(?1)) AND g.brand_id = ?2 AND (?3 IS NULL OR g.campaign_id = ?3)`)
      .bind(JSON.stringify(ids.slice(i, i + REQUESTS_PER_READ)), brandId, campaignId ?? null)
      .all<GiftRequestRow>();
    for (const g of results) found.set(g.id, g);
  }
  return found;
}

/** Each shipment's request as read (null: not the brand's, or not in `campaignId`) and what shipping it would do. */
export async function planShipments(db: D1Database, brandId: string, shipments: Shipment[], campaignId?: string, rules = SHIP_CALL): Promise<{ request: GiftRequestRow | null; decision: ShipDecision | null }[]> {
  const found = await loadGiftRequests(db, brandId, [...new Set(shipments.map((s) => s.requestId))], campaignId);
  return shipments.map((s) => {
    const request = found.get(s.requestId) ?? null;
    return { request, decision: request && shipDecision(request, trackingOf(s.input), rules) };
  });
}

// The writes for up to REQUESTS_PER_WRITE requests, one batch: ship the rows planned as ships (`s` 1) that are
// still requested (the UPDATE's own guard deciding between two calls at once), and correct the tracking of the
// rows planned as corrections (`s` 0) only: a request another call shipped meanwhile is never "corrected" to ours.
// Each with its audit rows (which name the requests the write moved at `now`) and, for the ones shipped,
// gift.shipped. ?1 the rows as JSON, ?2 the brand, ?3 now. Each row's `v` is the version read, or null: with one,
// a request changed since is left alone. RETURNING gives what the mail and the answer need without a read.
const ROW = (field: string) => `json_extract(j.value, '$.${field}')`;
const MOVED = 'gift_requests.id, gift_requests.status, gift_requests.carrier, gift_requests.tracking_number, gift_requests.tracking_url, gift_requests.shipped_at, gift_requests.updated_at';
const SHIP_ROWS = `UPDATE gift_requests SET status = 'shipped', carrier = ${ROW('c')}, tracking_number = ${ROW('t')}, tracking_url = ${ROW('u')}, shipped_at = ?3, updated_at = ?3
FROM json_each(?1) j
WHERE gift_requests.id = ${ROW('id')} AND ${ROW('s')} = 1 AND gift_requests.brand_id = ?2 AND gift_requests.status = 'requested' AND (${ROW('v')} IS NULL OR gift_requests.updated_at = ${ROW('v')})
  AND EXISTS (SELECT 1 FROM enrollments e WHERE e.id = gift_requests.enrollment_id AND e.status <> 'removed')
RETURNING ${MOVED}`;
const CORRECT_ROWS = `UPDATE gift_requests SET carrier = ${ROW('c')}, tracking_number = ${ROW('t')}, tracking_url = ${ROW('u')}, updated_at = ?3
FROM json_each(?1) j
WHERE gift_requests.id = ${ROW('id')} AND ${ROW('s')} = 0 AND gift_requests.brand_id = ?2 AND gift_requests.status = 'shipped'
  AND (gift_requests.carrier, gift_requests.tracking_number, gift_requests.tracking_url) IS NOT (${ROW('c')}, ${ROW('t')}, ${ROW('u')})
  AND (${ROW('v')} IS NULL OR gift_requests.updated_at = ${ROW('v')})
RETURNING ${MOVED}`;
// ?1 the rows, ?2 the brand, ?3 now, ?4 and ?5 the actor.
const shipAudit = (action: 'gift.shipped' | 'gift.tracking_changed', moved: string) => `INSERT INTO audit_log (id, brand_id, actor_type, actor_id, action, target_type, target_id, details, at)
SELECT 'aud_' || lower(hex(randomblob(12))), g.brand_id, ?4, ?5, '${action}', 'enrollment', g.enrollment_id, json_object('requestId', g.id, 'carrier', g.carrier, 'trackingNumber', g.tracking_number), ?3
FROM gift_requests g WHERE g.id IN (SELECT ${ROW('id')} FROM json_each(?1) j) AND g.brand_id = ?2 AND g.status = 'shipped' AND ${moved}`;
const SHIPPED_AUDIT = shipAudit('gift.shipped', 'g.shipped_at = ?3');
const CORRECTED_AUDIT = shipAudit('gift.tracking_changed', 'g.updated_at = ?3 AND g.shipped_at <> ?3');

type Moved = Pick<GiftRequestRow, 'id' | 'status' | 'carrier' | 'tracking_number' | 'tracking_url' | 'shipped_at' | 'updated_at'>;
type Write = { index: number; before: GiftRequestRow; t: Tracking; ships: boolean };

async function writeShipments(db: D1Database, brandId: string, rows: Write[], actor: Actor, now: number): Promise<{ shipped: Map<string, Moved>; corrected: Map<string, Moved> }> {
  const json = JSON.stringify(rows.map(({ before, t, ships }) => ({ id: before.id, s: ships ? 1 : 0, c: t.carrier, t: t.trackingNumber, u: t.url, v: t.version })));
  const ship = db.prepare(SHIP_ROWS).bind(json, brandId, now);
  const correct = db.prepare(CORRECT_ROWS).bind(json, brandId, now);
  const statements = [
    ship,
    db.prepare(SHIPPED_AUDIT).bind(json, brandId, now, actor.type, actor.id),
    ...giftEventStatements(db, 'gift.shipped', { ids: rows.map((r) => r.before.id) }, now),
    correct,
    db.prepare(CORRECTED_AUDIT).bind(json, brandId, now, actor.type, actor.id),
  ];
  const results = await db.batch(statements);
  const moved = (s: D1PreparedStatement) => new Map(((results[statements.indexOf(s)]?.results ?? []) as Moved[]).map((r) => [r.id, r]));
  return { shipped: moved(ship), corrected: moved(correct) };
}

// A write that moved nothing: a second call that lost to the first finds its own shipment (nothing to say); one
// shipped meanwhile with other tracking is already_shipped, naming what is on record; anything else moved under us.
function lostWrite(current: GiftRequestRow, w: Write, rules: ShipRules): ShipOutcome {
  if (sameShipment(current, w.t)) return { outcome: 'unchanged', request: current };
  if (w.ships && current.shipped_at !== null) return { outcome: 'conflict', request: current, reason: 'already_shipped' };
  const again = shipDecision(current, w.t, rules);
  return { outcome: 'conflict', request: current, reason: again.outcome === 'conflict' ? again.reason : 'changed' };
}

/** Storage failed after some batches committed: `outcomes` holds what those did (null for the shipments not reached). */
export class ShipmentsInterrupted extends Error {
  constructor(
    readonly outcomes: (ShipOutcome | null)[],
    cause: unknown,
  ) {
    super('Shipping stopped part way.', { cause });
  }
}

export type ShipOptions = {
  /** Only this campaign's requests; another's reads as not_found. */
  campaignId?: string;
  rules?: ShipRules;
  /** Called with each batch's outcomes once it commits, before the next is written: queue its mails here. */
  committed?: (outcomes: ShipOutcome[]) => Promise<void>;
};

// Marks requests shipped: the ship call's one, or a tracking file's (routes/admin/gifting.ts), the same way. Only
// the write that moves a request from requested to shipped says 'shipped' (and so mails, giftMailsOwed); a shipped
// one takes a corrected carrier or number ('updated', no second mail), the same again is 'unchanged'. A removed
// creator's request is not shipped. With `updatedAt` (the version the shipper packed from), each write also wants
// the row as it was then: one the creator changed meanwhile is a 'changed' conflict, never shipped with products
// or an address nobody packed. Requests are each named once. Up to REQUESTS_PER_WRITE are written per batch, each
// batch committing alone: `committed` hears of each, and a failure after one throws ShipmentsInterrupted.
export async function shipGifts(db: D1Database, brandId: string, shipments: Shipment[], actor: Actor, now: number, options: ShipOptions = {}): Promise<ShipOutcome[]> {
  const rules = options.rules ?? SHIP_CALL;
  const plans = await planShipments(db, brandId, shipments, options.campaignId, rules);
  const outcomes: (ShipOutcome | null)[] = plans.map(({ request, decision }): ShipOutcome | null => {
    if (!request || !decision) return { outcome: 'not_found' };
    if (decision.outcome === 'unchanged') return { outcome: 'unchanged', request };
    if (decision.outcome === 'conflict') return { outcome: 'conflict', request, reason: decision.reason };
    return null;
  });
  const writes = plans.flatMap(({ request, decision }, index): Write[] => (request && decision?.outcome === 'write' ? [{ index, before: request, t: trackingOf(shipments[index]!.input), ships: decision.ships }] : []));
  for (let i = 0; i < writes.length; i += REQUESTS_PER_WRITE) {
    const chunk = writes.slice(i, i + REQUESTS_PER_WRITE);
    let wrote = i > 0;
    try {
      const { shipped, corrected } = await writeShipments(db, brandId, chunk, actor, now);
      wrote = true;
      const lost = chunk.filter((w) => !shipped.has(w.before.id) && !corrected.has(w.before.id));
      const current = lost.length > 0 ? await loadGiftRequests(db, brandId, lost.map((w) => w.before.id)) : new Map<string, GiftRequestRow>();
      for (const w of chunk) {
        const moved = shipped.get(w.before.id) ?? corrected.get(w.before.id);
        outcomes[w.index] = moved ? { outcome: shipped.has(w.before.id) ? 'shipped' : 'updated', request: { ...w.before, ...moved } } : lostWrite(current.get(w.before.id) ?? w.before, w, rules);
      }
      await options.committed?.(chunk.map((w) => outcomes[w.index]!));
    } catch (error) {
      // Nothing committed: the error as it is. Otherwise the caller learns what did, to answer for it.
      throw wrote ? new ShipmentsInterrupted(outcomes, error) : error;
    }
  }
  return outcomes as ShipOutcome[];
}

export async function shipGift(db: D1Database, brandId: string, requestId: string, input: ShipInput, actor: Actor, now: number, rules = SHIP_CALL): Promise<ShipOutcome> {
  return (await shipGifts(db, brandId, [{ requestId, input }], actor, now, { rules }))[0]!;
}

// A creator who is removed from the campaign, or leaves it, can no longer be shipped to: their request still
// waiting is declined in the removal's own batch, with a reason the brand reads on the Gifting tab (and the
// creator, if brought back), so it leaves the packing list and its count instead of sitting there unshippable.
// A shipped one stays shipped. Written only when the removal was (the enrollment removed at this `now`).
export const REMOVAL_REASONS = { removed: 'Not shipped: the creator was removed from the campaign.', left: 'Not shipped: the creator left the campaign.' } as const;
export const declineOnRemoval = (db: D1Database, e: { brandId: string; enrollmentId: string }, why: keyof typeof REMOVAL_REASONS, actor: Actor, now: number) => [
  db
    .prepare("UPDATE gift_requests SET status = 'declined', decline_reason = ?1, updated_at = ?2 WHERE enrollment_id = ?3 AND status = 'requested' AND EXISTS (SELECT 1 FROM enrollments e WHERE e.id = ?3 AND e.status = 'removed' AND e.removed_at = ?2)")
    .bind(REMOVAL_REASONS[why], now, e.enrollmentId),
  auditIfChanged(db, { brandId: e.brandId, actorType: actor.type, actorId: actor.id, action: 'gift.declined', targetType: 'enrollment', targetId: e.enrollmentId, details: { reason: REMOVAL_REASONS[why] } }, now),
  ...giftEventStatements(db, 'gift.declined', { enrollmentId: e.enrollmentId }, now),
];

// `would_mail`: with `withoutMail`, a request that would be declined (the decline is what mails the creator).
export type DeclineOutcome = { outcome: 'declined' | 'unchanged'; request: GiftRequestRow } | { outcome: 'not_found' } | { outcome: 'conflict'; request: GiftRequestRow; reason: 'not_open' | 'would_mail' };

// `withoutMail` (deployed without PUBLIC_ORIGIN): only a repeat goes through. Decided on the row as read: a request
// never goes back to requested, so one read as declined is not declined by this write, and mails nothing.
export async function declineGift(db: D1Database, brandId: string, requestId: string, reason: string, actor: Actor, now: number, { withoutMail = false } = {}): Promise<DeclineOutcome> {
  const before = await loadGiftRequest(db, brandId, requestId);
  if (!before) return { outcome: 'not_found' };
  if (withoutMail && before.status === 'requested') return { outcome: 'conflict', request: before, reason: 'would_mail' };
  const [moved] = await db.batch([
    db.prepare("UPDATE gift_requests SET status = 'declined', decline_reason = ?1, updated_at = ?2 WHERE id = ?3 AND brand_id = ?4 AND status = 'requested'").bind(reason, now, requestId, brandId),
    auditIfChanged(db, { brandId, actorType: actor.type, actorId: actor.id, action: 'gift.declined', targetType: 'enrollment', targetId: before.enrollment_id, details: { requestId, reason } }, now),
    ...giftEventStatements(db, 'gift.declined', { ids: [requestId] }, now),
  ]);
  const after = (await loadGiftRequest(db, brandId, requestId))!;
  if ((moved?.meta.changes ?? 0) > 0) return { outcome: 'declined', request: after };
  return after.status === 'declined' && after.decline_reason === reason ? { outcome: 'unchanged', request: after } : { outcome: 'conflict', request: after, reason: 'not_open' };
}

// A gift's mails go to the creator, keyed by the request and what happened to it (a notice the queue delivers
// twice is mailed once), and end with the link to their gift page.
type MailWho = { brand: string; campaign: string; page: string };
type GiftMail = (request: GiftRequestRow, who: MailWho) => { subject: string; lines: string[] };

// The mail when a gift ships: sent only by the write that shipped it.
const shippedMessage: GiftMail = (request, w) => ({
  subject: `${w.brand}: your gift is on its way`,
  lines: [
    `${w.brand} shipped your ${w.campaign} gift:`,
    ...itemsOf(request).map((i) => `- ${i.title}${i.option ? ` (${i.option})` : ''}`),
    '',
    `Carrier: ${request.carrier}`,
    `Tracking number: ${request.tracking_number}`,
    ...(request.tracking_url ? [`Track it: ${request.tracking_url}`] : []),
    '',
    `When it arrives, say so on your campaign page: ${w.page}`,
  ],
});

// The mail when the brand declines a request: sent only by declineGift's 'declined', never for the decline a
// removal writes (declineOnRemoval: the creator is out of the campaign, and has its own notice or none).
const declinedMessage: GiftMail = (request, w) => ({
  subject: `${w.brand} declined your gift request`,
  lines: [`${w.brand} declined your ${w.campaign} gift request. Their reason:`, '', request.decline_reason ?? '', '', `Your gift page, where you may ask again while gifting is open: ${w.page}`],
});

// The mails ships and declines owe the creators, for the admin API, the console and a tracking file alike: only
// the write that moved a request ('shipped', 'declined') owes one; a repeat, a correction or a refusal owes none.
// One read per REQUESTS_PER_READ creators; none for an enrollment that is gone.
export async function giftMailsOwed(db: D1Database, results: (ShipOutcome | DeclineOutcome)[], origin: string): Promise<{ mail: Message; event: string }[]> {
  const moved = results.flatMap((r) => (r.outcome === 'shipped' || r.outcome === 'declined' ? [{ event: r.outcome, request: r.request }] : []));
  const who = new Map<string, { email: string; brand_name: string; campaign_name: string }>();
  const enrollments = [...new Set(moved.map((m) => m.request.enrollment_id))];
  for (let i = 0; i < enrollments.length; i += REQUESTS_PER_READ) {
    const { results: rows } = await db
      .prepare('SELECT e.id, cr.email, b.name AS brand_name, c.name AS campaign_name FROM enrollments e JOIN creators cr ON cr.id = e.creator_id JOIN brands b ON b.id = e.brand_id JOIN campaigns c ON c.id = e.campaign_id WHERE e.id IN (SELECT value FROM json_each(?))')
      .bind(JSON.stringify(enrollments.slice(i, i + REQUESTS_PER_READ)))
      .all<{ id: string; email: string; brand_name: string; campaign_name: string }>();
    for (const r of rows) who.set(r.id, r);
  }
  return moved.flatMap(({ event, request }) => {
    const w = who.get(request.enrollment_id);
    if (!w) return [];
    const { subject, lines } = (event === 'shipped' ? shippedMessage : declinedMessage)(request, { brand: w.brand_name, campaign: w.campaign_name, page: `${origin}/gift/${request.enrollment_id}` });
    return [{ mail: { to: w.email, subject, text: lines.join('\n'), idempotencyKey: `gift-${event}:${request.id}` }, event: `gift_${event}_mail_failed` }];
  });
}

// Queues, once the response is on its way, the mails ships and declines owe (giftMailsOwed): one queue send per kind
// of mail, so a tracking file's batch of ships is one send. Every ship and decline route calls this (giftMailing).
async function queueGiftMails(c: { env: Env; executionCtx: Pick<ExecutionContext, 'waitUntil'> }, results: (ShipOutcome | DeclineOutcome)[], origin: string): Promise<void> {
  const owed = await giftMailsOwed(c.env.DB, results, origin);
  for (const event of new Set(owed.map((o) => o.event))) {
    noticesAfterResponse(c.executionCtx, c.env, owed.filter((o) => o.event === event).map((o) => o.mail), event);
  }
}

// How a ship or decline route mails. Deployed without PUBLIC_ORIGIN a mail could name no link to the gift page, so
// only what mails nobody goes through (`withoutMail`: a correction, a repeat) and `mail` queues nothing.
export function giftMailing(c: { env: Env; req: { url: string }; executionCtx: Pick<ExecutionContext, 'waitUntil'> }) {
  const origin = mailOrigin(c.env, c.req);
  return {
    withoutMail: origin === null,
    shipRules: origin === null ? SHIP_CALL_WITHOUT_MAIL : SHIP_CALL,
    mail: async (results: (ShipOutcome | DeclineOutcome)[]) => {
      if (origin !== null) await queueGiftMails(c, results, origin);
    },
  };
}

// ---------- The packing list ----------

export const PACKING_CSV_HEADER = ['request_id', 'requested_at', 'round', 'handle', 'name', 'product', 'option', 'sku', 'quantity', 'ship_to_name', 'address_line1', 'address_line2', 'city', 'region', 'postal_code', 'country', 'phone', 'value', 'currency', 'updated_at'];

// A waiting request's address is removed only by an erasure, which declines it; unreadable once SECRETS_KEY changed.
const NO_ADDRESS = { removed: '(address removed)', unreadable: '(address unreadable: SECRETS_KEY changed)' } as const;

// The requests still to ship, one line per product, for the warehouse; every text cell through csvText, which
// keeps a creator's `=HYPERLINK(…)` address a string in a spreadsheet.
export function packingCsvStream(db: D1Database, secretsKey: string, brandId: string, campaignId: string, currency: string): ReadableStream<Uint8Array> {
  const read = (before: { at: number; id: string } | undefined, limit: number) => listGiftRequests(db, brandId, { campaignId, status: 'requested', before, limit });
  const pages = keysetPages(read, (g) => ({ at: g.created_at, id: g.id }), 200);
  return pagedCsvStream(PACKING_CSV_HEADER, pages, async (page) =>
    (await openGiftRequests(secretsKey, page))
      .flatMap((g) => {
        const a = g.shipTo;
        // No address to ship to: the line says why where the name goes, so nobody packs it as an address left blank.
        const cells = typeof a === 'string' ? [NO_ADDRESS[a], ...Array<string>(7).fill('')] : [a.name, a.line1, a.line2, a.city, a.region, a.postalCode, a.country, a.phone];
        return itemsOf(g).map((i) =>
          csvLine([
            csvText(g.id),
            csvText(new Date(g.created_at).toISOString()),
            csvNumber(g.round),
            csvText(g.handle),
            csvText(g.display_name),
            csvText(i.title),
            csvText(i.option),
            csvText(i.sku),
            csvNumber(1),
            // The phone too keeps its apostrophe before a `+`: `+1-503-555-0100` is no injection, but a spreadsheet
            // opening it bare computes it (-1157), so unquoted it could reach a label wrong.
            ...cells.map(csvText),
            csvNumber(formatAmount(i.valueMinor, currency)),
            csvText(currency),
            // The request's version: sent back as the ship call's updatedAt, it refuses a request changed since.
            csvText(new Date(g.updated_at).toISOString()),
          ]),
        );
      })
      .join(''),
  );
}

// ---------- Costs ----------

/** The product sent to each enrollment of a campaign (shipped or received): value and parcels. */
export async function giftedByEnrollment(db: D1Database, brandId: string, campaignId: string): Promise<Map<string, number>> {
  const { results } = await db
    .prepare("SELECT enrollment_id, SUM(value_minor) AS value FROM gift_requests WHERE campaign_id = ? AND brand_id = ? AND status IN ('shipped', 'received') GROUP BY enrollment_id")
    .bind(campaignId, brandId)
    .all<{ enrollment_id: string; value: number }>();
  return new Map(results.map((r) => [r.enrollment_id, r.value]));
}
