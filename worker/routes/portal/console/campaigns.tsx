// Campaigns: the list with key numbers, creating one, editing its brief (with the creator's view of it), and the network results.
import { Hono } from 'hono';
import { z } from 'zod';
import { CampaignBriefPage, CampaignsPage, CampaignUpdatesPage, emptyCampaignForm, moneyInput, paymentLabel, type CampaignFormValues, type DrawnBrief, type LaunchCheck, type UpdateFormValues } from '../../../../portal/console/campaigns';
import type { Flash, Viewer } from '../../../../portal/console/layout';
import type { FormError } from '../../../../portal/layout';
import { countOf, formatDateTime } from '../../../../portal/format';
import { DUE_FILTERS, MOVE_LABELS, NetworkPage, type DueFilter } from '../../../../portal/console/network';
import { BriefPage } from '../../../../portal/creator/pages';
import { CampaignCopyPage, type CopyFormValues } from '../../../../portal/console/campaign-copy';
import { copyableCount, copyableCreators, copyCampaign, CopyIncomplete, CopyRefused, defaultCopyName, MAX_COPIED_CREATORS, type CopyRefusal } from '../../../db/campaign-copy';
import { auditIfChanged } from '../../../db/audit';
import { giftedByEnrollment } from '../../../db/gifting';
import { briefUpdates, campaignAudience, campaignUpdateBody, listCampaignUpdates, newsMailParts, postCampaignUpdate, updateAllowance, updateMessages, updatePosition, UPDATES_PER_DAY } from '../../../db/campaign-updates';
import { creatorEnrollment, type CreatorEnrollment } from '../../../db/creator-portal';
import { loadNetwork } from '../../../db/network';
import { storyFormats } from '../../../db/schema';
import { checkDestination } from '../../../domain/destination';
import { campaignDatesFor, campaignEndsAtFor, isBackToDraft } from '../../../domain/codes';
import { dayEnd, dayOf, isDay, zoneOrUtc } from '../../../domain/periods';
import { drawnDueAt, dueDayOf } from '../../../domain/content-due';
import { canonicalRights, MAX_RIGHTS_DAYS, parseRights, rightsKey, usageRightsInput, type UsageRights } from '../../../domain/usage-rights';
import { DEFAULT_LADDER, rankCreators, SCORE_WEIGHTS, SEGMENT_KINDS, segmentsOf, summarize, type SegmentKind } from '../../../domain/network';
import { formatAmount, typedAmountToMinor } from '../../../domain/store-payloads';
import { csvAttachment, csvLine, csvNumber, csvStream, csvText } from '../../../lib/csv';
import { mailOrigin, PUBLIC_ORIGIN_UNSET } from '../../../env';
import { noticesAfterResponse } from '../../../mail';
import { isUniqueViolation } from '../../../lib/d1-errors';
import { notFound } from '../../../lib/errors';
import { decodeCursor, pageOf } from '../../../lib/cursor';
import { FORM_KEY, newId, randomToken } from '../../../lib/ids';
import { plainText } from '../../../lib/validate';
import { campaignChanged } from '../../admin/campaigns';
import { MAX_EARN_MONTHS } from '../../../domain/attribution';
import { CAMPAIGN_NAME_MAX, CAMPAIGN_SLUG as SLUG, slugify } from '../../../domain/campaign-slug';
import { canWrite, countParam, pageHtml, readForm, renderPage, withFlash, type ConsoleContext, type ConsoleEnv, type Form, flashOf } from './context';
import { activeCreatorCount, awaitingReview, campaignEnrollments, campaignSummaries, commissionPlans, loadCampaign, type CampaignRecord } from './queries';

export const campaignRoutes = new Hono<ConsoleEnv>();

export const viewerOf = (c: ConsoleContext): Viewer => {
  const u = c.var.user;
  return { name: u.name, email: u.email, role: u.role, brandName: u.brandName, currency: u.currency, timezone: u.timezone, otherBrands: u.otherBrands, unreadThreads: u.unreadThreads };
};

async function allowedHosts(c: ConsoleContext): Promise<string[]> {
  const row = await c.env.DB.prepare('SELECT allowed_hosts FROM brands WHERE id = ?').bind(c.var.user.brandId).first<{ allowed_hosts: string }>();
  return row ? (JSON.parse(row.allowed_hosts) as string[]) : [];
}

export async function campaignOr404(c: ConsoleContext, id: string): Promise<CampaignRecord> {
  const campaign = await loadCampaign(c.env.DB, c.var.user.brandId, id);
  if (!campaign) throw notFound('campaign');
  return campaign;
}

// ---------- Reading the campaign form ----------

const days = (min: number, max: number, message: string) =>
  z
    .string()
    .trim()
    .regex(/^\d{1,3}$/, message)
    .transform(Number)
    .refine((n) => n >= min && n <= max, message);

const campaignSchema = z.strictObject({
  name: plainText(CAMPAIGN_NAME_MAX, 'one', `Campaign names are limited to ${CAMPAIGN_NAME_MAX} characters.`).min(1, 'Give the campaign a name.'),
  hashtag: z
    .string()
    .trim()
    .transform((s) => (s.startsWith('#') ? s : `#${s}`))
    .pipe(z.string().regex(/^#[\p{L}\p{N}_]{1,60}$/u, 'The hashtag is # followed by up to 60 letters, digits or _, without spaces.')),
  disclosureText: plainText(60, 'one', 'The disclosure is limited to 60 characters.').min(1, 'Say how creators disclose the partnership, for example #ad.'),
  storyFormats: z.array(z.enum(storyFormats, { error: 'Pick story formats from the list.' })).min(1, 'Offer at least one story format.'),
  defaultDestination: z.string().trim().min(1, 'Add the destination tracked links send shoppers to.').max(2048, 'The destination is too long.'),
  attributionWindowDays: days(1, 365, 'The attribution window is 1 to 365 days.'),
  holdingDays: days(0, 365, 'The holding period is 0 to 365 days.'),
  renewalMonths: days(0, MAX_EARN_MONTHS, `Subscription renewals earn for 0 to ${MAX_EARN_MONTHS} months.`),
  returningCustomerMonths: days(0, MAX_EARN_MONTHS, `Returning customers earn for 0 to ${MAX_EARN_MONTHS} months.`),
  commissionPlanId: z.string().max(64),
  status: z.enum(['draft', 'active', 'ended'], { error: 'Pick a status: draft, active or ended.' }),
  // The admin API's rules for the same fields (browsers send a textarea's line breaks as CR LF; the limit
  // counts them as the box did, one each).
  positioningAnchor: plainText(4000, 'many', 'The positioning anchor is limited to 4,000 characters.'),
  nonNegotiables: z
    .string()
    .transform((text) => text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean))
    .pipe(z.array(plainText(500, 'one', 'Each non-negotiable is limited to 500 characters.')).max(30, 'At most 30 non-negotiables.')),
});

type CampaignInput = z.output<typeof campaignSchema> & { baselineCostMinor: number | null; baselineEngaged: number | null };


function formValues(form: Form): CampaignFormValues {
  return {
    name: form.get('name'),
    slug: form.get('slug').trim(),
    hashtag: form.get('hashtag'),
    disclosureText: form.get('disclosureText'),
    storyFormats: form.all('storyFormats'),
    defaultDestination: form.get('defaultDestination'),
    attributionWindowDays: form.get('attributionWindowDays'),
    holdingDays: form.get('holdingDays'),
    // The new-campaign form leaves renewals and returning customers at the default; the brief editor offers them.
    renewalMonths: form.get('renewalMonths') || '0',
    returningCustomerMonths: form.get('returningCustomerMonths') || '0',
    commissionPlanId: form.get('commissionPlanId'),
    status: form.get('status') || 'active',
    positioningAnchor: form.get('positioningAnchor'),
    nonNegotiables: form.get('nonNegotiables'),
    baselineCost: form.get('baselineCost').trim(),
    baselineEngaged: form.get('baselineEngaged').trim(),
    endsOn: form.get('endsOn').trim().slice(0, 32),
    contentDueOn: form.get('contentDueOn').trim().slice(0, 32),
    rightsScopes: form.all('rightsScopes'),
    rightsDays: form.get('rightsDays').trim().slice(0, 8),
    rightsNote: form.get('rightsNote'),
  };
}

// Validates like POST /api/admin/campaigns, with messages a person can act on; nothing is written on any error.
async function validateCampaign(c: ConsoleContext, values: CampaignFormValues, hosts: string[]): Promise<{ input: CampaignInput | null; errors: string[] }> {
  const { slug: _slug, baselineCost, baselineEngaged, endsOn: _endsOn, contentDueOn: _dueOn, rightsScopes: _scopes, rightsDays: _days, rightsNote: _note, ...rest } = values;
  const parsed = campaignSchema.safeParse(rest);
  const errors = parsed.success ? [] : [...new Set(parsed.error.issues.map((i) => i.message))];
  let baselineCostMinor: number | null = null;
  let baselineEngagedN: number | null = null;
  if (baselineCost !== '' || baselineEngaged !== '') {
    baselineCostMinor = typedAmountToMinor(baselineCost, c.var.user.currency);
    baselineEngagedN = /^\d{1,10}$/.test(baselineEngaged) ? Number(baselineEngaged) : null;
    if (baselineCostMinor === null || baselineCostMinor > 100_000_000_000) errors.push(`The baseline cost is a plain amount in ${c.var.user.currency}, like 5000 or 5000.00.`);
    if (baselineEngagedN === null || baselineEngagedN > 1_000_000_000) errors.push('The baseline engaged audience is a whole number of people.');
  }
  // Checked even when other fields failed, so the person sees every problem at once.
  const destination = checkDestination(rest.defaultDestination.trim(), hosts);
  if (rest.defaultDestination.trim() !== '' && !destination.ok) errors.push(`The destination must be an https:// link on ${hosts.join(' or ')}.`);
  if (rest.commissionPlanId) {
    const plan = await c.env.DB.prepare('SELECT 1 AS ok FROM commission_plans WHERE id = ? AND brand_id = ?').bind(rest.commissionPlanId.slice(0, 64), c.var.user.brandId).first();
    if (!plan) errors.push('Pick one of your commission plans.');
  }
  if (!parsed.success || errors.length > 0) return { input: null, errors };
  return {
    input: {
      ...parsed.data,
      defaultDestination: destination.ok ? destination.url : parsed.data.defaultDestination,
      storyFormats: storyFormats.filter((f) => parsed.data.storyFormats.includes(f)),
      baselineCostMinor,
      baselineEngaged: baselineEngagedN,
    },
    errors,
  };
}

const auditStatement = (c: ConsoleContext, action: string, campaignId: string, details: Record<string, unknown> | null, now: number) =>
  c.env.DB.prepare("INSERT INTO audit_log (id, brand_id, actor_type, actor_id, action, target_type, target_id, details, at) VALUES (?, ?, 'admin_user', ?, ?, 'campaign', ?, ?, ?)").bind(
    newId('aud'),
    c.var.user.brandId,
    c.var.user.id,
    action,
    campaignId,
    details ? JSON.stringify(details) : null,
    now,
  );

// ---------- Campaign list and create ----------

const LIST_FLASH: Record<string, Flash> = { joined: { tone: 'success', text: 'Welcome to the team. Your role is shown at the top right; Settings → Team lists who else works here.' } };

async function renderList(c: ConsoleContext, opts: { values?: CampaignFormValues; errors?: string[]; status?: 200 | 422 } = {}) {
  const { brandId } = c.var.user;
  const [campaigns, plans, hosts, toReview, activeCreators] = await Promise.all([
    campaignSummaries(c.env.DB, brandId, Date.now()),
    commissionPlans(c.env.DB, brandId),
    allowedHosts(c),
    awaitingReview(c.env.DB, brandId),
    activeCreatorCount(c.env.DB, brandId, Date.now()),
  ]);
  const values = opts.values ?? { ...emptyCampaignForm(), commissionPlanId: plans[0]?.id ?? '' };
  return renderPage(
    c,
    <CampaignsPage
      viewer={viewerOf(c)}
      canWrite={canWrite(c.var.user)}
      campaigns={campaigns}
      activeCreators={activeCreators}
      plans={plans}
      values={values}
      errors={opts.errors}
      flash={flashOf(LIST_FLASH, c)}
      toReview={toReview}
      hosts={hosts}
    />,
    opts.status ?? 200,
  );
}

campaignRoutes.get('/', (c) => renderList(c));

campaignRoutes.post('/campaigns', async (c) => {
  const values = formValues(await readForm(c));
  const hosts = await allowedHosts(c);
  const { input, errors } = await validateCampaign(c, values, hosts);
  // The usage rights each draft grants, as the brief editor and the API's usageRights take them (none ticked: none).
  const usageRights = rightsOfForm(values, errors);
  const slug = values.slug || slugify(values.name);
  if (!SLUG.test(slug)) errors.push('The slug is 2 to 63 lowercase letters, digits or dashes, starting with a letter or digit.');
  if (!input || errors.length > 0) return renderList(c, { values, errors, status: 422 });
  const id = newId('cmp');
  const now = Date.now();
  try {
    await c.env.DB.batch([
      c.env.DB.prepare(
        `INSERT INTO campaigns (id, brand_id, slug, name, hashtag, positioning_anchor, non_negotiables, disclosure_text, story_formats, default_destination,
           attribution_window_days, commission_plan_id, holding_days, renewal_months, returning_customer_months, starts_at, ends_at, status, baseline_cost_minor, baseline_engaged, usage_rights, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?)`,
      ).bind(
        id,
        c.var.user.brandId,
        slug,
        input.name,
        input.hashtag,
        input.positioningAnchor,
        JSON.stringify(input.nonNegotiables),
        input.disclosureText,
        JSON.stringify(input.storyFormats),
        input.defaultDestination,
        input.attributionWindowDays,
        input.commissionPlanId || null,
        input.holdingDays,
        input.renewalMonths,
        input.returningCustomerMonths,
        campaignEndsAtFor({ status: 'draft', endsAt: null }, { status: input.status }, now) ?? null,
        input.status,
        input.baselineCostMinor,
        input.baselineEngaged,
        usageRights === null ? null : rightsKey(usageRights),
        now,
      ),
      auditStatement(c, 'campaign.created', id, usageRights ? { slug, usageRights } : { slug }, now),
    ]);
  } catch (e) {
    if (isUniqueViolation(e)) return renderList(c, { values: { ...values, slug }, errors: [`You already have a campaign with the slug “${slug}”. Choose another.`], status: 422 });
    throw e;
  }
  return c.redirect(withFlash(`/console/campaigns/${id}`, 'created'), 303);
});

// ---------- Brief editor with the creator's view ----------

const BRIEF_FLASH: Record<string, Flash> = {
  created: { tone: 'success', text: 'Campaign created. Now write the brief every creator will follow, then import your roster.' },
  saved: { tone: 'success', text: 'Brief saved. Creators see it the next time they open their brief.' },
  saved_recently_mailed: { tone: 'info', text: 'Brief saved. Its creators were emailed about a change less than a day ago, so no mail went this time; they see it the next time they open their brief.' },
  saved_not_mailed: { tone: 'info', text: 'Saved. Nothing creators follow changed (the positioning anchor, non-negotiables, formats, hashtag or disclosure), so no mail went.' },
  saved_nobody: { tone: 'info', text: 'Brief saved. No mail went: no creator in this campaign has accepted your brand yet, or those who have turned off your campaign-news emails. They read the brief when they open it.' },
  ended: { tone: 'success', text: 'Campaign ended. Its links and codes stop within seconds; orders placed before now still count when they are reported.' },
  launched: { tone: 'success', text: 'Campaign launched. Its links and codes work within seconds, and creators who accepted your brand see it and its brief in their portal.' },
};

const valuesOf = (r: CampaignRecord, currency: string, timezone: string): CampaignFormValues => ({
  name: r.name,
  slug: r.slug,
  hashtag: r.hashtag,
  disclosureText: r.disclosure_text,
  storyFormats: JSON.parse(r.story_formats) as string[],
  defaultDestination: r.default_destination,
  attributionWindowDays: String(r.attribution_window_days),
  holdingDays: String(r.holding_days),
  renewalMonths: String(r.renewal_months),
  returningCustomerMonths: String(r.returning_customer_months),
  commissionPlanId: r.commission_plan_id ?? '',
  status: r.status,
  positioningAnchor: r.positioning_anchor,
  nonNegotiables: (JSON.parse(r.non_negotiables) as string[]).join('\n'),
  baselineCost: moneyInput(r.baseline_cost_minor, currency),
  baselineEngaged: r.baseline_engaged === null ? '' : String(r.baseline_engaged),
  endsOn: r.ends_at === null ? '' : dayOf(r.ends_at - 1, zoneOrUtc(timezone)),
  contentDueOn: r.content_due_at === null ? '' : dueDayOf(r.content_due_at, zoneOrUtc(timezone)),
  ...rightsValues(parseRights(r.usage_rights)),
});

// The rights fields as the brief editor draws them: a campaign asking none offers a year, should the brand tick a use.
const rightsValues = (r: UsageRights | null): Pick<CampaignFormValues, 'rightsScopes' | 'rightsDays' | 'rightsNote'> => ({
  rightsScopes: r?.scopes ?? [],
  rightsDays: r ? (r.days === null ? '' : String(r.days)) : '365',
  rightsNote: r?.note ?? '',
});

// The usage rights the brief form asks, checked as the API checks usageRights: no use ticked asks none (whatever
// the term says). Problems go into `errors`.
function rightsOfForm(values: CampaignFormValues, errors: string[]): UsageRights | null {
  if (values.rightsScopes.length === 0) return null;
  const days = values.rightsDays === '' ? null : /^\d{1,4}$/.test(values.rightsDays) ? Number(values.rightsDays) : NaN;
  const parsed = usageRightsInput.safeParse({ scopes: [...new Set(values.rightsScopes)], days, note: values.rightsNote });
  if (parsed.success) return canonicalRights(parsed.data);
  errors.push(`Usage rights: tick uses from the list, a term of 1 to ${MAX_RIGHTS_DAYS} days or no end, and a note of up to 500 characters without control or text-direction characters.`);
  return null;
}

// With nobody enrolled yet, the preview uses the campaign as a sample creator would receive it.
async function sampleEnrollment(c: ConsoleContext, campaign: CampaignRecord): Promise<CreatorEnrollment> {
  const extra = await c.env.DB.prepare(
    'SELECT p.tiers, p.period AS plan_period, p.bonus, b.self_purchases_earn FROM campaigns c JOIN brands b ON b.id = c.brand_id LEFT JOIN commission_plans p ON p.id = c.commission_plan_id WHERE c.id = ?',
  )
    .bind(campaign.id)
    .first<{ tiers: string | null; plan_period: 'month' | 'lifetime' | null; bonus: string | null; self_purchases_earn: number }>();
  const u = c.var.user;
  return {
    enrollment_id: 'preview',
    payment_model: extra?.tiers ? 'affiliate' : 'product',
    flat_fee_minor: 0,
    brief_section: 'Each creator’s own notes appear here, from the brief_section column of your roster import.',
    enrollment_status: 'active',
    campaign_id: campaign.id,
    campaign_name: campaign.name,
    campaign_slug: campaign.slug,
    hashtag: campaign.hashtag,
    positioning_anchor: campaign.positioning_anchor,
    non_negotiables: campaign.non_negotiables,
    disclosure_text: campaign.disclosure_text,
    story_formats: campaign.story_formats,
    usage_rights: campaign.usage_rights,
    terms_version: null,
    attribution_window_days: campaign.attribution_window_days,
    holding_days: campaign.holding_days,
    renewal_months: campaign.renewal_months,
    returning_customer_months: campaign.returning_customer_months,
    starts_at: campaign.starts_at,
    ends_at: campaign.ends_at,
    campaign_status: campaign.status,
    brand_id: u.brandId,
    brand_name: u.brandName,
    currency: u.currency,
    timezone: u.timezone,
    tiers: extra?.tiers ?? null,
    plan_period: extra?.plan_period ?? null,
    bonus: extra?.bonus ?? null,
    brand_accepted: 1,
    self_purchases_earn: extra?.self_purchases_earn ?? 0,
    content_due_at: campaign.content_due_at,
    drafts_standing: 0,
    // The preview leaves the gift out: the Gifting tab shows what creators pick from.
    gifting_open: 0,
    gift_products: 0,
    gift_status: null,
  };
}

async function renderBrief(c: ConsoleContext, campaign: CampaignRecord, opts: { values?: CampaignFormValues; errors?: string[]; status?: 200 | 409 | 422; confirmEnd?: boolean; confirmLaunch?: LaunchCheck; drawn?: DrawnBrief } = {}) {
  const { brandId, currency } = c.var.user;
  const [plans, hosts, enrollments, toReview] = await Promise.all([commissionPlans(c.env.DB, brandId), allowedHosts(c), campaignEnrollments(c.env.DB, brandId, campaign.id), awaitingReview(c.env.DB, brandId)]);
  const wanted = c.req.query('as');
  const chosen = enrollments.find((e) => e.id === wanted) ?? enrollments[0];
  const real = chosen ? await creatorEnrollment(c.env.DB, chosen.creator_id, chosen.id) : null;
  const e = real ?? (await sampleEnrollment(c, campaign));
  const updates = await briefUpdates(c.env.DB, { brand_id: brandId, campaign_id: campaign.id });
  const previewHtml = await pageHtml(<BriefPage who={chosen ? `@${chosen.handle}` : 'creator@example.com'} e={e} updates={updates} />);
  return renderPage(
    c,
    <CampaignBriefPage
      viewer={viewerOf(c)}
      canWrite={canWrite(c.var.user)}
      campaign={campaign}
      values={opts.values ?? valuesOf(campaign, currency, c.var.user.timezone)}
      plans={plans}
      hosts={hosts}
      errors={opts.errors}
      flash={c.req.query('flash') === 'saved_mailed' ? { tone: 'success', text: `Brief saved, and ${countOf(countParam(c, 'n'), 'creator')} who accepted your brand ${countParam(c, 'n') === 1 ? 'is' : 'are'} being emailed that it changed.` } : c.req.query('flash') === 'copied' ? await copiedFlash(c) : flashOf(BRIEF_FLASH, c)}
      toReview={toReview}
      confirmEnd={opts.confirmEnd ? { creators: enrollments.filter((x) => x.status !== 'removed').length } : undefined}
      confirmLaunch={opts.confirmLaunch}
      drawn={opts.drawn}
      preview={{
        html: previewHtml,
        choices: enrollments.map((x) => ({ enrollmentId: x.id, label: `@${x.handle} · ${paymentLabel(x.payment_model)}${x.status === 'active' ? '' : ` (${x.status})`}` })),
        selected: chosen?.id ?? null,
        sample: !real,
      }}
    />,
    opts.status ?? 200,
  );
}

campaignRoutes.get('/campaigns/:id', async (c) => renderBrief(c, await campaignOr404(c, c.req.param('id'))));

// ---------- Copy campaign (db/campaign-copy.ts) ----------

// After a copy: which campaign it came from (read here, so the URL carries no text) and how many were invited.
async function copiedFlash(c: ConsoleContext): Promise<Flash> {
  const from = await c.env.DB.prepare('SELECT name FROM campaigns WHERE id = ? AND brand_id = ?').bind(c.req.query('from') ?? '', c.var.user.brandId).first<{ name: string }>();
  const invited = countParam(c, 'n');
  return {
    tone: 'success',
    text: `Copied from ${from?.name ?? 'another campaign'}: ${countOf(invited, 'creator')} invited. It is a draft with no launch, end or first-drafts due date: set those below before you launch it.`,
  };
}

async function renderCopy(c: ConsoleContext, campaign: CampaignRecord, opts: { values?: CopyFormValues; errors?: FormError[]; status?: 409 | 422 | 503; formKey?: string } = {}) {
  const { brandId } = c.var.user;
  const [creators, total, toReview, defaultName] = await Promise.all([
    copyableCreators(c.env.DB, brandId, campaign.id),
    copyableCount(c.env.DB, brandId, campaign.id),
    awaitingReview(c.env.DB, brandId),
    opts.values ? null : defaultCopyName(c.env.DB, brandId, campaign.name),
  ]);
  // Ticked as sent, less anyone no longer in the campaign; at first, everyone listed (at most one copy's worth).
  const listed = new Set(creators.map((x) => x.creator_id));
  const values = opts.values ? { ...opts.values, creators: opts.values.creators.filter((id) => listed.has(id)) } : { name: defaultName ?? '', creators: [...listed] };
  return renderPage(c, <CampaignCopyPage viewer={viewerOf(c)} campaign={campaign} creators={creators} total={total} values={values} formKey={opts.formKey ?? randomToken(16)} errors={opts.errors} toReview={toReview} />, opts.status ?? 200);
}

const copyNameField = plainText(CAMPAIGN_NAME_MAX, 'one', `Campaign names are limited to ${CAMPAIGN_NAME_MAX} characters, on one line.`).min(1, 'Give the copy a name.');

// A refused copy as the form says it, beside the field to change where there is one.
function copyProblem(r: CopyRefusal): FormError {
  const handles = (list: string[]) => list.map((h) => `@${h}`).join(', ');
  switch (r.code) {
    case 'idempotency_conflict':
      return 'This form already made a copy with the name and creators it had then; nothing more was copied. To make another copy, reload the page and copy again.';
    case 'campaign_ended':
      return 'The copy this form made has ended since, so nobody more is invited to it.';
    case 'invalid_destination':
      return 'This campaign’s default destination is not on your allowed hosts any more. Change it on the brief, then copy the campaign.';
    case 'slug_taken':
      return 'Another campaign took this name’s web address just now. Press Copy the campaign again.';
    case 'handle_taken':
      return { field: 'creators', text: `Another creator on your roster has the handle of ${handles(r.handles)}. Untick them, then copy again.` };
    case 'code_taken':
      return { field: 'creators', text: `No code pattern gives every ticked creator a code of their own (${handles(r.handles)}). Untick them, then import them into the copy with a code pattern of your choice.` };
    case 'too_many_creators':
      return { field: 'creators', text: `Tick at most ${MAX_COPIED_CREATORS} creators; import the rest into the copy afterwards.` };
    case 'creator_not_found':
    case 'creator_not_in_campaign':
      return { field: 'creators', text: 'Some ticked creators are no longer in this campaign (removed or erased meanwhile). The list below is as it is now: check it and copy again.' };
  }
}

// The page is only a form for a write: enforceRole refuses it, and the POST, to viewers and finance.
campaignRoutes.get('/campaigns/:id/copy', async (c) => renderCopy(c, await campaignOr404(c, c.req.param('id'))));

campaignRoutes.post('/campaigns/:id/copy', async (c) => {
  const campaign = await campaignOr404(c, c.req.param('id'));
  const form = await readForm(c);
  const values: CopyFormValues = { name: form.get('name').slice(0, 1000), creators: form.all('creator').slice(0, MAX_COPIED_CREATORS + 1) };
  const name = copyNameField.safeParse(form.get('name').trim());
  const key = form.get('key');
  const errors: FormError[] = [];
  if (!name.success) errors.push({ field: 'name', text: name.error.issues[0]!.message });
  if (form.all('creator').length > MAX_COPIED_CREATORS) errors.push({ field: 'creators', text: `Tick at most ${MAX_COPIED_CREATORS} creators; import the rest into the copy afterwards.` });
  if (!FORM_KEY.test(key)) errors.push('The form was missing a part. Reload the page and copy again.');
  if (!name.success || errors.length > 0) return renderCopy(c, campaign, { values, errors, status: 422 });
  // Sent again with its own key: a form that stopped part-way finishes the copy it made.
  const again = { values, formKey: key };
  const origin = mailOrigin(c.env, c.req);
  if (values.creators.length > 0 && origin === null) return renderCopy(c, campaign, { ...again, errors: [PUBLIC_ORIGIN_UNSET], status: 503 });
  const { user } = c.var;
  try {
    const copied = await copyCampaign(
      c.env,
      { brandId: user.brandId, sourceId: campaign.id, name: name.data, invite: values.creators, actor: { type: 'admin_user', id: user.id }, key: `form:${key}`, origin: () => origin ?? '' },
      Date.now(),
    );
    return c.redirect(withFlash(`/console/campaigns/${copied.campaignId}`, 'copied', { n: copied.invited, from: campaign.id }), 303);
  } catch (e) {
    if (e instanceof CopyIncomplete) {
      const problem = 'The campaign was copied, but some invitations did not go out: storage stopped part-way. Press Copy the campaign again (this form, as it is) to invite the rest; it makes no second copy.';
      return renderCopy(c, campaign, { ...again, errors: [problem], status: 503 });
    }
    if (!(e instanceof CopyRefused)) throw e;
    const r = e.refusal;
    // A slug taken meanwhile wrote nothing: the same form again makes the copy.
    return renderCopy(c, campaign, { ...(r.code === 'slug_taken' ? again : { values }), errors: [copyProblem(r)], status: r.code === 'creator_not_found' || r.code === 'creator_not_in_campaign' || r.code === 'too_many_creators' || r.code === 'invalid_destination' ? 422 : 409 });
  }
});

const BRIEF_COLUMNS: [keyof CampaignInput, string][] = [
  ['name', 'name'],
  ['hashtag', 'hashtag'],
  ['disclosureText', 'disclosure_text'],
  ['defaultDestination', 'default_destination'],
  ['attributionWindowDays', 'attribution_window_days'],
  ['holdingDays', 'holding_days'],
  ['renewalMonths', 'renewal_months'],
  ['returningCustomerMonths', 'returning_customer_months'],
  ['status', 'status'],
  ['positioningAnchor', 'positioning_anchor'],
  ['baselineCostMinor', 'baseline_cost_minor'],
  ['baselineEngaged', 'baseline_engaged'],
];

// A last day typed as YYYY-MM-DD, as the moment the campaign ends: the start of the next day on the brand's
// calendar. '' clears the end date. A day already over is refused (ending now is the status's job, with its
// own confirmation), and so is one before the launch. The day the campaign already has is no change, over or
// not, so the rest of the brief still saves; but a draft is not launched with a last day already over (its
// links would never open). Problems go into `errors`.
function endOfDay(day: string, timezone: string, current: { status: string; starts_at: number | null; ends_at: number | null }, nextStatus: string, now: number, errors: string[]): number | null | undefined {
  if (day === '') return null;
  const launching = current.status === 'draft' && nextStatus !== 'draft';
  if (current.ends_at !== null && day === dayOf(current.ends_at - 1, timezone) && !launching) return undefined;
  const startsAt = current.starts_at;
  if (!isDay(day)) {
    errors.push('The last day is a date, like 2026-12-31.');
    return undefined;
  }
  const endsAt = dayEnd(day, timezone);
  if (endsAt <= now) errors.push('That last day is already over. To stop links and codes now, set the status to Ended.');
  else if (startsAt !== null && endsAt <= startsAt) errors.push('The last day must come after the launch.');
  return endsAt;
}

// When first drafts are due, typed as YYYY-MM-DD: the end of that day on the brand's calendar (as the last day
// is). '' clears it. The day the campaign already has is no change, over or not, so the rest of the brief still
// saves; a new day already over is refused (it would mark everyone overdue at once). Problems go into `errors`.
function dueOfDay(day: string, timezone: string, current: number | null, now: number, errors: string[]): number | null | undefined {
  if (day === '') return current === null ? undefined : null;
  if (current !== null && day === dueDayOf(current, timezone)) return undefined;
  if (!isDay(day)) {
    errors.push('The due date for first drafts is a date, like 2026-12-12.');
    return undefined;
  }
  const dueAt = dayEnd(day, timezone);
  if (dueAt <= now) errors.push('That due date for first drafts is already over. Pick a later day, or leave it empty for none.');
  return dueAt;
}

campaignRoutes.post('/campaigns/:id', async (c) => {
  const campaign = await campaignOr404(c, c.req.param('id'));
  const form = await readForm(c);
  // A form drawn before the renewals (or returning-customer) field existed keeps the campaign's setting rather than clearing it.
  const values = {
    ...formValues(form),
    slug: campaign.slug,
    renewalMonths: form.get('renewalMonths') || String(campaign.renewal_months),
    returningCustomerMonths: form.get('returningCustomerMonths') || String(campaign.returning_customer_months),
  };
  // What the form was first drawn with, carried through every re-render: drawn afresh from the campaign, fields
  // the brand left alone would read as changes on the next save and write what was first drawn over a change made
  // meanwhile (through the API or another tab).
  const drawn: DrawnBrief = {
    rights: form.all('drawnRights').length === 0 ? undefined : form.get('drawnRights'),
    contentDueAt: form.all('drawnContentDueAt').length === 0 ? undefined : form.get('drawnContentDueAt'),
  };
  const render = (on: CampaignRecord, opts: Parameters<typeof renderBrief>[2]) => renderBrief(c, on, { ...opts, drawn });
  const drawnStatus = form.get('drawnStatus');
  if (drawnStatus !== '' && drawnStatus !== campaign.status) return render(campaign, { values, errors: [campaignChanged().message], status: 409 });
  const { input, errors } = await validateCampaign(c, values, await allowedHosts(c));
  // The last day, when the form has the field and the campaign is not being ended (ending dates it itself).
  const now = Date.now();
  const endsAt = form.all('endsOn').length === 0 || input?.status === 'ended' ? undefined : endOfDay(values.endsOn, zoneOrUtc(c.var.user.timezone), campaign, values.status, now, errors);
  // A due day left as the form drew it keeps the one the campaign has now (set meanwhile through the API or
  // another tab) rather than clearing it or moving it back.
  const zone = zoneOrUtc(c.var.user.timezone);
  const drawnDue = form.all('drawnContentDueAt').length === 0 ? campaign.content_due_at : drawnDueAt(form.get('drawnContentDueAt'));
  const dueUntouched = drawnDue !== -1 && values.contentDueOn === (drawnDue === null ? '' : dueDayOf(drawnDue, zone));
  const contentDueAt = form.all('contentDueOn').length === 0 || input?.status === 'ended' || dueUntouched ? undefined : dueOfDay(values.contentDueOn, zone, campaign.content_due_at, now, errors);
  // The rights, where the form offered them and they were changed on it: left as drawn, they keep what the
  // campaign asks now (changed meanwhile through the API or another tab) rather than putting the old terms back.
  const askedRights = form.all('drawnRights').length === 0 ? undefined : rightsOfForm(values, errors);
  const usageRights = askedRights === undefined || rightsKey(askedRights) === form.get('drawnRights') ? undefined : askedRights;
  if (!input || errors.length > 0) return render(campaign, { values, errors, status: 422 });
  if (isBackToDraft(campaign, input)) return render(campaign, { values, errors: ['A launched campaign cannot return to draft: its links, codes and orders already count. End it instead.'], status: 422 });
  // Ending stops every creator's link and code at once: the form comes back once, asking, with what was entered.
  const ending = input.status === 'ended' && campaign.status !== 'ended';
  if (ending && form.get('confirmEnd') !== '1') return render(campaign, { values, confirmEnd: true });
  // Launching cannot be undone (a launched campaign never returns to draft): asked once, with what is missing.
  const launching = campaign.status === 'draft' && input.status === 'active';
  if (launching && form.get('confirmLaunch') !== '1') {
    const people = await c.env.DB.prepare(
      `SELECT count(*) AS creators, count(r.accepted_at) AS accepted FROM enrollments e LEFT JOIN brand_creators r ON r.brand_id = e.brand_id AND r.creator_id = e.creator_id
       WHERE e.campaign_id = ? AND e.brand_id = ? AND e.status <> 'removed'`,
    )
      .bind(campaign.id, c.var.user.brandId)
      .first<{ creators: number; accepted: number }>();
    const missing = [
      input.positioningAnchor.trim() === '' ? 'The positioning anchor is empty: creators have no promise to tell in their own words.' : null,
      input.nonNegotiables.length === 0 ? 'There are no non-negotiables: nothing tells creators what every post must do or avoid.' : null,
      !input.commissionPlanId ? 'No commission plan: sales through its links and codes earn nothing, only flat fees.' : null,
    ].filter((m): m is string => m !== null);
    return render(campaign, { values, confirmLaunch: { creators: people?.creators ?? 0, accepted: people?.accepted ?? 0, missing } });
  }
  const next: Record<string, unknown> = {
    ...Object.fromEntries(BRIEF_COLUMNS.map(([k, col]) => [col, input[k]])),
    non_negotiables: JSON.stringify(input.nonNegotiables),
    story_formats: JSON.stringify(input.storyFormats),
    commission_plan_id: input.commissionPlanId || null,
  };
  const dates = campaignDatesFor({ status: campaign.status, startsAt: campaign.starts_at, endsAt: campaign.ends_at }, { status: input.status, endsAt }, now);
  if (dates.endsAt !== undefined) next.ends_at = dates.endsAt;
  if (dates.startsAt !== undefined) next.starts_at = dates.startsAt;
  if (contentDueAt !== undefined) next.content_due_at = contentDueAt;
  if (usageRights !== undefined) next.usage_rights = usageRights === null ? null : rightsKey(usageRights);
  const before = campaign as unknown as Record<string, unknown>;
  const changed = Object.keys(next).filter((col) => before[col] !== next[col]);
  if (changed.length > 0) {
    // What each changed column was and became, so the audit log can answer "who moved the destination, from what".
    const changes = Object.fromEntries(changed.map((col) => [col, { from: before[col] ?? null, to: next[col] ?? null }]));
    // A compare-and-set on the status the dates were decided from, as in the API (routes/admin/campaigns.ts).
    const [, audit] = await c.env.DB.batch([
      c.env.DB.prepare(`UPDATE campaigns SET ${changed.map((col) => `${col} = ?`).join(', ')} WHERE id = ? AND brand_id = ? AND status = ?`).bind(
        ...changed.map((col) => next[col]),
        campaign.id,
        c.var.user.brandId,
        campaign.status,
      ),
      auditIfChanged(c.env.DB, { brandId: c.var.user.brandId, actorType: 'admin_user', actorId: c.var.user.id, action: 'campaign.updated', targetType: 'campaign', targetId: campaign.id, details: { changed, changes } }, now),
    ]);
    if (audit!.meta.changes === 0) return render(await campaignOr404(c, campaign.id), { values, errors: [campaignChanged().message], status: 409 });
  }
  // Asked for on a running campaign whose brief itself changed: its creators hear of it.
  const briefChanged = changed.some((col) => BRIEF_TEXT_COLUMNS.has(col));
  if (form.get('notifyCreators') === '1' && campaign.status === 'active' && input.status === 'active') {
    const page = `/console/campaigns/${campaign.id}`;
    if (!briefChanged) return c.redirect(withFlash(page, 'saved_not_mailed'), 303);
    const told = await tellBriefChanged(c, { id: campaign.id, name: input.name }, now);
    return c.redirect(told === 'recently' ? withFlash(page, 'saved_recently_mailed') : told === 0 ? withFlash(page, 'saved_nobody') : withFlash(page, 'saved_mailed', { n: told }), 303);
  }
  return c.redirect(withFlash(`/console/campaigns/${campaign.id}`, ending ? 'ended' : launching ? 'launched' : 'saved'), 303);
});

// What creators follow: a change to any of these is worth telling them about (a destination or a window is not).
const BRIEF_TEXT_COLUMNS = new Set(['positioning_anchor', 'non_negotiables', 'story_formats', 'disclosure_text', 'hashtag', 'usage_rights']);
// A creator hears of a brief's changes at most once a day per campaign: edits come in bursts, and the page has the rest.
const BRIEF_MAIL_EVERY_MS = 86_400_000;

// Mails each creator who accepted the brand and is still in the campaign that its brief changed, at most once a
// day per campaign (the audit log is the record), after the response. The count mailed, or 'recently' when the
// last mail was under a day ago.
async function tellBriefChanged(c: ConsoleContext, campaign: { id: string; name: string }, now: number): Promise<number | 'recently'> {
  const { brandId, brandName, id: actorId } = c.var.user;
  const db = c.env.DB;
  const { recipients: results } = await campaignAudience(db, brandId, campaign.id);
  if (results.length === 0) return 0;
  // The claim and its record in one statement: of two saves at once, one mails.
  const claimed = await db
    .prepare(
      `INSERT INTO audit_log (id, brand_id, actor_type, actor_id, action, target_type, target_id, details, at)
       SELECT ?1, ?2, 'admin_user', ?3, 'campaign.brief_mailed', 'campaign', ?4, ?7, ?5
       WHERE NOT EXISTS (SELECT 1 FROM audit_log WHERE brand_id = ?2 AND action = 'campaign.brief_mailed' AND target_id = ?4 AND at > ?5 - ?6)`,
    )
    .bind(newId('aud'), brandId, actorId, campaign.id, now, BRIEF_MAIL_EVERY_MS, JSON.stringify({ mailed: results.length }))
    .run();
  if (claimed.meta.changes === 0) return 'recently';
  const origin = mailOrigin(c.env, c.req);
  const messages = await Promise.all(
    results.map(async (r) => {
      const stop = await newsMailParts(c.env.SECRETS_KEY, origin, { id: brandId, name: brandName }, r);
      return {
        to: r.email,
        subject: `${brandName} updated the ${campaign.name} brief`,
        text: `${brandName} changed the brief you follow for ${campaign.name}. Read it before your next post${origin ? `: ${origin}/brief/${r.enrollment_id}` : ', on your brief in your Chorus portal.'}\n\nYou get this because you are in ${brandName}'s ${campaign.name} campaign on Chorus; a brand can send it at most once a day.\n\n${stop.stopLine}`,
        headers: stop.headers,
      };
    }),
  );
  noticesAfterResponse(c.executionCtx, c.env, messages, 'brief_notice_failed');
  return messages.length;
}

// ---------- Updates to the campaign's creators ----------

const UPDATE_FLASH: Record<string, Flash> = {
  posted_nobody: { tone: 'info', text: 'Posted. Nobody was emailed: no creator in this campaign has accepted your brand yet, or those who have turned off your campaign-news emails. They find it on their brief.' },
  posted_already: { tone: 'info', text: 'That update was posted already (its form was sent twice), so it was not posted or emailed again.' },
};
const UPDATES_PAGE = 20;
const updatesPath = (campaignId: string) => `/console/campaigns/${campaignId}/updates`;

function updateFlash(c: ConsoleContext): Flash {
  if (c.req.query('flash') !== 'posted') return flashOf(UPDATE_FLASH, c);
  const n = countParam(c, 'n');
  return { tone: 'success', text: `Posted, and ${countOf(n, 'creator')} who accepted your brand ${n === 1 ? 'is' : 'are'} being emailed. It is on their brief too.` };
}

async function renderUpdates(c: ConsoleContext, campaign: CampaignRecord, opts: { values?: UpdateFormValues; errors?: FormError[]; status?: 200 | 409 | 422 } = {}) {
  const { brandId } = c.var.user;
  const db = c.env.DB;
  // A cursor that does not decode (edited by hand) starts at the newest, as a page link would.
  const after = opts.status ? undefined : (decodeCursor(c.req.query('cursor') ?? '') ?? undefined);
  const [rows, audience, allowance, toReview] = await Promise.all([
    listCampaignUpdates(db, brandId, campaign.id, { after, limit: UPDATES_PAGE + 1 }),
    campaignAudience(db, brandId, campaign.id),
    updateAllowance(db, campaign.id, Date.now()),
    awaitingReview(db, brandId),
  ]);
  const page = pageOf(rows, UPDATES_PAGE, updatePosition);
  const path = updatesPath(campaign.id);
  return renderPage(
    c,
    <CampaignUpdatesPage
      viewer={viewerOf(c)}
      canWrite={canWrite(c.var.user)}
      campaign={campaign}
      updates={page.rows}
      audience={audience.recipients.length}
      newsStopped={audience.newsStopped}
      allowance={allowance}
      values={opts.values ?? { title: '', body: '' }}
      formKey={randomToken(16)}
      errors={opts.errors}
      flash={opts.status ? null : updateFlash(c)}
      toReview={toReview}
      pages={{ newest: after ? path : null, older: page.nextCursor ? `${path}?cursor=${page.nextCursor}` : null }}
    />,
    opts.status ?? 200,
  );
}

campaignRoutes.get('/campaigns/:id/updates', async (c) => renderUpdates(c, await campaignOr404(c, c.req.param('id'))));

// Posts an update and mails it to the campaign's creators (one mail each) once the response is on its way.
// Nothing is written on a refusal: the form comes back with what was typed.
campaignRoutes.post('/campaigns/:id/updates', async (c) => {
  const campaign = await campaignOr404(c, c.req.param('id'));
  const form = await readForm(c);
  // Shown back as typed, bounded (the limits are checked on the whole text).
  const values = { title: form.get('title').slice(0, 1000), body: form.get('body').slice(0, 20_000) };
  const parsed = campaignUpdateBody.safeParse({ title: form.get('title'), body: form.get('body') });
  const key = form.get('key');
  if (!parsed.success || !FORM_KEY.test(key)) {
    const errors: FormError[] = parsed.success ? [] : parsed.error.issues.map((i) => ({ field: String(i.path[0]), text: i.message }));
    if (!FORM_KEY.test(key)) errors.push('The form was missing a part. Reload the page and post again.');
    return renderUpdates(c, campaign, { values, errors, status: 422 });
  }
  const { user } = c.var;
  const now = Date.now();
  const posted = await postCampaignUpdate(c.env.DB, { brandId: user.brandId, campaignId: campaign.id, input: parsed.data, author: { type: 'admin_user', id: user.id }, formKey: key }, now);
  const page = updatesPath(campaign.id);
  switch (posted.outcome) {
    case 'limit':
      return renderUpdates(c, campaign, {
        values,
        errors: [`This campaign has had ${UPDATES_PER_DAY} updates in the last 24 hours, the most it takes, so this one was not posted or emailed. You can post it from ${formatDateTime(posted.nextAt, user.timezone)}; what you wrote is kept below.`],
        status: 409,
      });
    case 'key_reused':
      return renderUpdates(c, campaign, { values, errors: [`This form already posted “${posted.update.title}”. To post what you wrote below as another update, post it again.`], status: 409 });
    case 'already_posted':
      return c.redirect(withFlash(page, 'posted_already'), 303);
  }
  const mails = await updateMessages(c.env.SECRETS_KEY, { id: user.brandId, name: user.brandName }, campaign.name, posted.update, posted.recipients, mailOrigin(c.env, c.req));
  noticesAfterResponse(c.executionCtx, c.env, mails, 'campaign_update_mail_failed');
  return c.redirect(posted.recipients.length === 0 ? withFlash(page, 'posted_nobody') : withFlash(page, 'posted', { n: posted.recipients.length }), 303);
});

// ---------- Network results ----------

// ?due= as the ranking's filter: anything else (edited by hand) lists everyone.
const dueFilterOf = (raw: string | undefined): DueFilter => (raw !== undefined && Object.hasOwn(DUE_FILTERS, raw) ? (raw as DueFilter) : '');
// ?by= as the segment card's grouping: niche unless it names another.
export const segmentKindOf = (raw: string | undefined): SegmentKind => (raw !== undefined && Object.hasOwn(SEGMENT_KINDS, raw) ? (raw as SegmentKind) : 'niche');

campaignRoutes.get('/campaigns/:id/network', async (c) => {
  const now = Date.now();
  const data = await loadNetwork(c.env.DB, c.var.user.brandId, c.req.param('id'), now);
  if (!data) throw notFound('campaign');
  const campaign = await campaignOr404(c, data.campaign.id);
  const gifted = await giftedByEnrollment(c.env.DB, c.var.user.brandId, campaign.id);
  const summary = summarize(data.creators, data.campaign.baseline);
  const by = segmentKindOf(c.req.query('by'));
  return renderPage(
    c,
    <NetworkPage
      viewer={viewerOf(c)}
      campaign={campaign}
      currency={data.campaign.currency}
      holdingDays={data.campaign.holdingDays}
      baseline={data.campaign.baseline}
      summary={summary}
      segments={{ by, ...segmentsOf(data.creators, data.labels, by) }}
      daily={data.daily}
      ranking={rankCreators(data.creators, now)}
      weights={SCORE_WEIGHTS}
      ladder={DEFAULT_LADDER}
      removed={data.creators.filter((r) => r.status === 'removed').map((r) => ({ enrollmentId: r.enrollmentId, name: r.name, handle: r.handle }))}
      toReview={await awaitingReview(c.env.DB, c.var.user.brandId)}
      canExport={canWrite(c.var.user)}
      dueFilter={dueFilterOf(c.req.query('due'))}
      gifted={{ value: [...gifted.values()].reduce((a, b) => a + b, 0), creators: gifted.size }}
    />,
  );
});

// The ranking as a spreadsheet, for a month-end report: each creator still in the campaign, best score first,
// with the numbers the score is made of, what they brought and cost, and the suggested move.
campaignRoutes.get('/campaigns/:id/network.csv', async (c) => {
  const now = Date.now();
  const data = await loadNetwork(c.env.DB, c.var.user.brandId, c.req.param('id'), now);
  if (!data) throw notFound('campaign');
  const currency = data.campaign.currency;
  const zone = zoneOrUtc(c.var.user.timezone);
  const header = ['rank', 'handle', 'name', 'payment_model', 'status', 'score', 'unique_clicks', 'sales', 'revenue', 'cost', 'drafts_sent', 'first_draft_due', 'first_draft', 'posts_live', 'saves', 'shares', 'comments', 'suggested_move', 'why', 'currency', 'product_seeded'];
  // The value of the gifts shipped to each (db/gifting.ts): product cost beside the money cost.
  const gifted = await giftedByEnrollment(c.env.DB, c.var.user.brandId, data.campaign.id);
  const rows = rankCreators(data.creators, now).map((r) =>
    csvLine([
      csvNumber(r.rank),
      csvText(r.handle),
      csvText(r.name),
      csvText(r.paymentModel),
      csvText(r.status),
      csvNumber(r.score),
      csvNumber(r.uniqueClicks),
      csvNumber(r.conversions),
      csvNumber(formatAmount(r.revenueMinor, currency)),
      csvNumber(formatAmount(r.costMinor, currency)),
      csvNumber(r.drafts),
      // The day their first draft is due on the brand's calendar, and where they stand: sent, due or overdue.
      csvText(r.contentDueAt === null ? '' : dueDayOf(r.contentDueAt, zone)),
      csvText(r.firstDraft ?? ''),
      csvNumber(r.postsLive),
      csvNumber(r.saves),
      csvNumber(r.shares),
      csvNumber(r.comments),
      csvText(r.move ? MOVE_LABELS[r.move] : ''),
      csvText(r.reason),
      csvText(currency),
      csvNumber(formatAmount(gifted.get(r.enrollmentId) ?? 0, currency)),
    ]),
  );
  const body = csvStream(header, async () => ({ text: rows.join(''), done: true }));
  return csvAttachment(body, `chorus-ranking-${c.var.user.brandSlug}-${data.campaign.slug}-${new Date(now).toISOString().slice(0, 10)}.csv`);
});
