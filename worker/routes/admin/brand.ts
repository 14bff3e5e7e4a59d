// The brand's own settings: the hosts links may send shoppers to, where a stopped link sends them, the
// click-id parameter, whether creators earn on their own orders, and (until money or terms exist) currency and timezone. Brands are created with
// `chorus brand create`; this is how a brand adds a new storefront domain without an operator.
import { eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { database } from '../../db/client';
import { auditIfChanged } from '../../db/audit';
import { brands } from '../../db/schema';
import { checkDestination, isValidHostRule } from '../../domain/destination';
import { isValidTimeZone } from '../../domain/periods';
import { compactIban, isBic, isIban } from '../../domain/iban';
import { compactDigits, isAbaRouting } from '../../domain/aba';
import { fitsSepaName, isNachaText, SEPA_NAME_MAX } from '../../domain/payment-files';
import type { AppEnv } from '../../env';
import { forgetBrandSecrets } from '../../lib/brand-secrets';
import { ApiError, notFound } from '../../lib/errors';
import { iso, plainText, valid } from '../../lib/validate';
import { routeDescriber } from '../../openapi/registry';
import { Brand, dataOf, pagedDataOf, pagedListOf, ProgramTerms, ProgramTermsVersion, ProgramTermsVersionDetail } from '../../openapi/schemas';
import { acceptancePosition, acceptancesOf, currentTerms, MAX_TERMS_CHARS, publishTerms, termsBody, termsVersionNamed, termsVersions, type ProgramTerms as TermsRow, type TermsAcceptance, type TermsVersionSummary } from '../../db/program-terms';
import { pageOf, pageParams } from '../../lib/cursor';

// Names a store or a redirect already gives a meaning to: the server sets utm_* itself, and redirect-style
// parameters would read as an open redirect to anyone inspecting the link.
const RESERVED_PARAMS = /^(utm_.*|url|next|redir_url|redirect|return_to)$/;

// The highest minimum payout a brand may set: 10,000.00 in a two-decimal currency.
export const MAX_MIN_PAYOUT_MINOR = 1_000_000;

export const updateBrand = z
  .strictObject({
    name: plainText(80).min(1),
    allowedHosts: z
      .array(
        z
          .string()
          .max(253)
          .transform((h) => h.trim().toLowerCase())
          .refine(isValidHostRule, 'A host (shop.example) or every subdomain of one (*.shop.example).'),
      )
      .min(1)
      .max(50)
      .transform((hosts) => [...new Set(hosts)]),
    fallbackUrl: z.string().max(2048).nullable(),
    clickParam: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,31}$/, 'Lowercase letters, digits and underscores, starting with a letter.')
      .refine((p) => !RESERVED_PARAMS.test(p), 'utm_* and redirect-style names are reserved.'),
    currency: z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code'),
    timezone: z
      .string()
      .max(64)
      .refine(isValidTimeZone, 'An IANA timezone, such as Europe/Berlin.')
      // Stored as the runtime names it ("utc" → "UTC"), so the same zone typed twice is no change.
      .transform((tz) => new Intl.DateTimeFormat('en', { timeZone: tz }).resolvedOptions().timeZone),
    minPayoutMinor: z.int().min(0).max(MAX_MIN_PAYOUT_MINOR),
    selfPurchasesEarn: z.boolean(),
    // The account the brand's SEPA payment files pay from (db/payment-files.ts); null removes it.
    // Kept as typed (Société Générale): the file writes it in SEPA's letters, as it writes creators' names.
    payerName: plainText(SEPA_NAME_MAX).min(1).refine(fitsSepaName, 'Latin letters (accents are fine), digits and punctuation, at most 70 characters once accents are dropped (ß counts as ss).').nullable(),
    payerIban: z.string().max(64).transform(compactIban).refine(isIban, 'An IBAN whose check digits hold, as DE89 3704 0044 0532 0130 00.').nullable(),
    payerBic: z
      .string()
      .max(16)
      .transform((bic) => bic.replace(/\s+/g, '').toUpperCase())
      .refine(isBic, 'A BIC of 8 or 11 letters and digits, as COBADEFFXXX.')
      .nullable(),
    // ACH origination for the brand's NACHA payment files (US dollars), as its bank set it up; null removes one.
    achCompanyName: z.string().trim().max(16).refine(isNachaText, 'At most 16 characters: letters, digits, spaces and plain punctuation (ASCII).').nullable(),
    achCompanyId: z
      .string()
      .max(20)
      .transform((id) => id.trim().toUpperCase().replace(/[\s-]+/g, ''))
      .refine((id) => /^[A-Z0-9]{10}$/.test(id), '10 letters and digits, as your bank gave it: usually 1 followed by your EIN (1123456789).')
      .nullable(),
    achOdfiRouting: z.string().max(20).transform(compactDigits).refine(isAbaRouting, 'A 9-digit ABA routing number whose check digit holds, as 011000015.').nullable(),
    achOdfiName: z.string().trim().max(23).refine(isNachaText, 'At most 23 characters: letters, digits, spaces and plain punctuation (ASCII).').nullable(),
  })
  .partial();

export type BrandRow = typeof brands.$inferSelect;

export const findBrand = (d1: D1Database, brandId: string): Promise<BrandRow | undefined> => database(d1).query.brands.findFirst({ where: eq(brands.id, brandId) });

export const brandView = (b: BrandRow) => ({
  id: b.id,
  slug: b.slug,
  name: b.name,
  allowedHosts: b.allowedHosts,
  fallbackUrl: b.fallbackUrl,
  clickParam: b.clickParam,
  currency: b.currency,
  timezone: b.timezone,
  minPayoutMinor: b.minPayoutMinor,
  selfPurchasesEarn: b.selfPurchasesEarn,
  payerName: b.payerName,
  payerIban: b.payerIban,
  payerBic: b.payerBic,
  achCompanyName: b.achCompanyName,
  achCompanyId: b.achCompanyId,
  achOdfiRouting: b.achOdfiRouting,
  achOdfiName: b.achOdfiName,
  createdAt: iso(b.createdAt),
});

// Money already recorded was priced, summed into tiers and put into periods in the current currency and
// timezone (a refund waiting for its order included): changing either afterwards would mix units or move
// period edges under closed months. Plans, codes and flat fees are amounts in the currency too: a brand
// that has set any up would see its creators' terms change a hundredfold from USD to JPY.
const MONEY_RECORDED = ['conversions', 'refunds', 'ledger_entries'].map((t) => `EXISTS (SELECT 1 FROM ${t} WHERE brand_id = ?1)`).join(' OR ');
// A bounty's target and reward are amounts too (found through its campaign, on bounties_campaign_at).
const TERMS_SET = [...['commission_plans', 'discount_codes', 'enrollments', 'gift_products'].map((t) => `EXISTS (SELECT 1 FROM ${t} WHERE brand_id = ?1)`), 'EXISTS (SELECT 1 FROM campaigns c JOIN bounties b ON b.campaign_id = c.id WHERE c.brand_id = ?1)'].join(' OR ');

const COLUMNS = { name: 'name', allowedHosts: 'allowed_hosts', fallbackUrl: 'fallback_url', clickParam: 'click_param', currency: 'currency', timezone: 'timezone', minPayoutMinor: 'min_payout_minor', selfPurchasesEarn: 'self_purchases_earn', payerName: 'payer_name', payerIban: 'payer_iban', payerBic: 'payer_bic', achCompanyName: 'ach_company_name', achCompanyId: 'ach_company_id', achOdfiRouting: 'ach_odfi_routing', achOdfiName: 'ach_odfi_name' } as const;

// A destination that already carries the parameter would lose its own value to the click id.
const PARAM_IN_USE = `SELECT 1 FROM links WHERE brand_id = ?1 AND (instr(destination, '?' || ?2 || '=') > 0 OR instr(destination, '&' || ?2 || '=') > 0)
  UNION ALL SELECT 1 FROM campaigns WHERE brand_id = ?1 AND (instr(default_destination, '?' || ?2 || '=') > 0 OR instr(default_destination, '&' || ?2 || '=') > 0)
  LIMIT 1`;

const inUse = (message: string) => new ApiError(409, 'brand_in_use', message);

// Applies what changed and answers the brand as it now stands; the API and the console's settings page
// both write through here.
export async function updateBrandSettings(d1: D1Database, brandId: string, actor: { type: 'api_key' | 'admin_user'; id: string }, input: z.output<typeof updateBrand>): Promise<BrandRow> {
  const existing = await findBrand(d1, brandId);
  if (!existing) throw notFound('brand');
  const asked = { ...input };
  const hosts = asked.allowedHosts ?? existing.allowedHosts;
  const fallbackUrl = asked.fallbackUrl !== undefined ? asked.fallbackUrl : existing.fallbackUrl;
  if (fallbackUrl !== null && (asked.fallbackUrl !== undefined || asked.allowedHosts !== undefined)) {
    const check = checkDestination(fallbackUrl, hosts);
    if (!check.ok) throw new ApiError(422, 'invalid_destination', 'The fallback URL must be https on one of the allowed hosts.', { field: 'fallbackUrl', reason: check.reason });
    if (asked.fallbackUrl !== undefined) asked.fallbackUrl = check.url;
  }
  // Compared after normalising, so a value that only looks different is no change.
  const values = Object.fromEntries(Object.entries(asked).filter(([key, value]) => value !== undefined && JSON.stringify(value) !== JSON.stringify(existing[key as keyof BrandRow]))) as typeof input;
  if (Object.keys(values).length === 0) return existing;
  if (values.clickParam !== undefined && (await d1.prepare(PARAM_IN_USE).bind(brandId, values.clickParam).first())) {
    throw inUse(`A link or campaign destination already uses ?${values.clickParam}=; pick a name your shop does not use.`);
  }
  const guards: string[] = [];
  if (values.currency !== undefined) guards.push(`NOT (${MONEY_RECORDED} OR ${TERMS_SET})`);
  else if (values.timezone !== undefined) guards.push(`NOT (${MONEY_RECORDED})`);
  const changed = Object.entries(values) as [keyof typeof COLUMNS, unknown][];
  // Every guard is in the write itself: an order landing between the read and the write still wins, and
  // so does another save of the hosts or the fallback (the pair validated above is the pair stored, or
  // nothing is). The audit row is written only when the update was.
  const [, audit] = await d1.batch([
    d1
      .prepare(
        `UPDATE brands SET ${changed.map(([k], i) => `${COLUMNS[k]} = ?${i + 4}`).join(', ')}
         WHERE id = ?1 AND allowed_hosts = ?2 AND fallback_url IS ?3${guards.map((g) => ` AND ${g}`).join('')}`,
      )
      .bind(brandId, JSON.stringify(existing.allowedHosts), existing.fallbackUrl, ...changed.map(([k, v]) => (k === 'allowedHosts' ? JSON.stringify(v) : typeof v === 'boolean' ? Number(v) : v))),
    auditIfChanged(d1, { brandId, actorType: actor.type, actorId: actor.id, action: 'brand.updated', targetType: 'brand', targetId: brandId, details: values }, Date.now()),
  ]);
  if (audit!.meta.changes === 0) {
    const now = await findBrand(d1, brandId);
    if (!now || JSON.stringify(now.allowedHosts) !== JSON.stringify(existing.allowedHosts) || now.fallbackUrl !== existing.fallbackUrl) {
      throw new ApiError(409, 'brand_changed', 'The settings changed while this was saved. Load them again and repeat the change.');
    }
    throw inUse(
      values.currency !== undefined
        ? 'The currency is fixed once the brand has plans, codes, enrollments, gift products, bounties or money: their amounts are in it.'
        : 'The timezone is fixed once the brand has recorded money: its periods were counted in it.',
    );
  }
  forgetBrandSecrets();
  return (await findBrand(d1, brandId)) ?? existing;
}

const op = routeDescriber({ tag: 'Brand', auth: 'adminKey' });

export const termsView = (t: TermsRow) => ({
  version: t.version,
  text: t.body,
  publishedAt: iso(t.published_at),
  publishedBy: publisherView(t),
});

const publisherView = (t: Omit<TermsRow, 'body'>) => ({ type: t.published_by_type, id: t.published_by_id, name: t.published_by_name });

export const termsVersionView = (t: TermsVersionSummary) => ({ version: t.version, publishedAt: iso(t.published_at), publishedBy: publisherView(t), acceptedCount: t.accepted });

export const termsAcceptanceView = (a: TermsAcceptance) => ({ creatorId: a.creator_id, handle: a.handle, displayName: a.display_name, erasedAt: a.erased_at === null ? null : iso(a.erased_at), via: a.via, acceptedAt: iso(a.accepted_at) });

const publishBody = z.strictObject({
  text: termsBody,
  // The version the text was written on top of (null: the brand had none); omitted, the text goes on top of whatever is current.
  basedOnVersion: z.int().min(1).max(1_000_000).nullable().optional(),
});

export const brandRoutes = new Hono<AppEnv>()
  .get('/', op({ summary: 'Get the brand settings', responses: { 200: { description: 'The brand.', schema: dataOf(Brand) } } }), async (c) => {
    const row = await findBrand(c.env.DB, c.var.admin.brandId);
    if (!row) throw notFound('brand');
    return c.json({ data: brandView(row) });
  })
  .get(
    '/terms',
    op({ summary: 'Get the program terms', description: 'The current version of the terms creators accept to join; `data` is null while the brand has published none.', responses: { 200: { description: 'The current terms, or null.', schema: dataOf(ProgramTerms.nullable()) } } }),
    async (c) => {
      const terms = await currentTerms(c.env.DB, c.var.admin.brandId);
      return c.json({ data: terms ? termsView(terms) : null });
    },
  )
  .get(
    '/terms/versions',
    op({
      summary: 'List the program terms versions',
      description: 'Every version the brand published, newest first, without their texts, each with how many of your creators accepted it; a page at a time (`limit`, then `cursor` from `nextCursor`). Empty while the brand has published none.',
      responses: { 200: { description: 'The versions.', schema: pagedListOf(ProgramTermsVersion) } },
    }),
    valid('query', z.strictObject({ ...pageParams })),
    async (c) => {
      const { limit, cursor } = c.req.valid('query');
      const rows = await termsVersions(c.env.DB, c.var.admin.brandId, { below: cursor?.at, limit: limit + 1 });
      const page = pageOf(rows, limit, (t) => ({ at: t.version, id: t.id }));
      return c.json({ data: page.rows.map(termsVersionView), hasMore: page.hasMore, nextCursor: page.nextCursor });
    },
  )
  .get(
    '/terms/versions/:version',
    op({
      summary: 'Get a program terms version',
      description: 'One version as it was published, with its text, and the creators who accepted it, latest first, a page at a time (`limit`, then `cursor` from `nextCursor`). A creator whose data was erased is listed under their `closed-…` handle and `Closed account`. A version your brand never published is 404 `not_found`.',
      params: { version: 'The version number: 1, 2, 3…' },
      responses: { 200: { description: 'The version and a page of its acceptances.', schema: pagedDataOf(ProgramTermsVersionDetail) } },
      errors: { 404: ['not_found'] },
    }),
    valid('query', z.strictObject({ ...pageParams })),
    async (c) => {
      const terms = await termsVersionNamed(c.env.DB, c.var.admin.brandId, c.req.param('version'));
      const { limit, cursor } = c.req.valid('query');
      const page = pageOf(await acceptancesOf(c.env.DB, terms.brand_id, terms.version, { after: cursor, limit: limit + 1 }), limit, acceptancePosition);
      return c.json({ data: { ...termsView(terms), acceptedCount: terms.accepted, acceptances: page.rows.map(termsAcceptanceView) }, hasMore: page.hasMore, nextCursor: page.nextCursor });
    },
  )
  .put(
    '/terms',
    op({
      summary: 'Publish the program terms',
      description: `Plain text of up to ${MAX_TERMS_CHARS.toLocaleString('en')} characters (trimmed, line breaks kept; creators read it as you wrote it, with paragraphs and line breaks and no links made clickable). A text different from the current one is published as the next version (201); the same text again changes nothing (200). Versions are never edited. Creators joining from now on accept this version; creators who accepted an older one are asked on their portal to read and accept it, and keep earning either way. \`basedOnVersion\`: the version you edited (null: there was none); if another was published since, 409 \`terms_changed\`. Two publishes at once: one gets the number, the other answers 409 \`terms_changed\`.`,
      example: { text: 'Post at least once a month while you are in a campaign.\n\nDisclose every post with #ad.', basedOnVersion: 1 },
      responses: { 201: { description: 'Published as a new version.', schema: dataOf(ProgramTerms) }, 200: { description: 'The same text as the current version: nothing changed.', schema: dataOf(ProgramTerms) } },
      errors: { 409: ['terms_changed'] },
    }),
    valid('json', publishBody),
    async (c) => {
      const { text, basedOnVersion } = c.req.valid('json');
      const { terms, created } = await publishTerms(c.env.DB, c.var.admin.brandId, text, { type: 'api_key', id: c.var.admin.keyId }, basedOnVersion, Date.now());
      return c.json({ data: termsView(terms) }, created ? 201 : 200);
    },
  )
  .patch(
    '/',
    op({
      summary: 'Update the brand settings',
      description:
        'Send only what changes. Allowed hosts are checked when a link is created, so removing a host leaves existing links as they are (pause them to stop them). The fallback URL must be https on an allowed host. Links answer with a new click parameter or fallback within the link cache (LINK_CACHE_TTL_MS); orders of shoppers who clicked before a click-parameter change carry the old name. A click parameter that a link or campaign destination already uses is refused (409 `brand_in_use`). The timezone can change until the brand records money, the currency until it sets up plans, codes, enrollments, gift products or bounties or records money (409 `brand_in_use`). `minPayoutMinor` is the least a period\'s close pays one creator (0 to 1,000,000, in minor units; 0: any amount above zero): a creator owed less gets no payout that period, and what they are owed carries forward to a later close (one no longer in a running campaign, removed or ended, is paid whatever they are owed). It applies to closes from now on. `selfPurchasesEarn` (default false): whether a creator\'s own order (the customer\'s email, sent with the order and never stored, is the creator\'s: their account email once they accepted your brand, until then the one you gave) earns commission like any other; false records and credits it with 0 commission (`commission.reason: "self_purchase"`) and no tier or bonus revenue. It applies to orders that arrive from now on (an order waiting for its click, to the moment the click credits it). `payerName` (the name as your bank holds the account, in Latin letters with or without accents, at most 70 characters once the SEPA file writes it in its character set: accents dropped, ß as ss, & as +; kept as you typed it), `payerIban` (its check digits must hold; spaces and lower case are fine) and `payerBic` (8 or 11 characters, optional): the account your SEPA payment files pay from (GET /payouts/payment-file); null removes one. `achCompanyName` (at most 16 characters), `achCompanyId` (10 letters and digits, usually 1 and your EIN; spaces and dashes are dropped), `achOdfiRouting` (your bank\'s 9-digit ABA routing number; its check digit must hold) and `achOdfiName` (your bank\'s name, at most 23 characters): the ACH origination your bank set up, which NACHA payment files (US dollars) pay US bank accounts with; names in printable ASCII, written upper case in the file; null removes one. Two saves at once: the second answers 409 `brand_changed`.',
      example: { allowedHosts: ['fernway.example', '*.fernway.example', 'fernway-shop.example'], fallbackUrl: 'https://fernway.example/' },
      responses: { 200: { description: 'The updated brand.', schema: dataOf(Brand) } },
      errors: { 404: ['not_found'], 409: ['brand_in_use', 'brand_changed'], 422: ['invalid_destination'] },
    }),
    valid('json', updateBrand),
    async (c) => c.json({ data: brandView(await updateBrandSettings(c.env.DB, c.var.admin.brandId, { type: 'api_key', id: c.var.admin.keyId }, c.req.valid('json'))) }),
  );
