import { and, desc, eq } from 'drizzle-orm';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { auditIfChanged, writeAudited } from '../../db/audit';
import { database } from '../../db/client';
import { brands, campaigns, commissionPlans, storyFormats } from '../../db/schema';
import { checkDestination } from '../../domain/destination';
import { MAX_EARN_MONTHS } from '../../domain/attribution';
import { campaignDatesFor, campaignEndsAtFor, isBackToDraft } from '../../domain/codes';
import { dueAtFrom, dueDateInput } from '../../domain/content-due';
import { canonicalRights, rightsKey, usageRightsInput } from '../../domain/usage-rights';
import { zoneOrUtc } from '../../domain/periods';
import { DEFAULT_LADDER, rankCreators, SCORE_WEIGHTS, SEGMENT_KIND_NAMES, segmentsOf, summarize } from '../../domain/network';
import { loadNetwork } from '../../db/network';
import { ApiError, notFound } from '../../lib/errors';
import { newId } from '../../lib/ids';
import { iso, plainText, valid } from '../../lib/validate';
import { routeDescriber } from '../../openapi/registry';
import { Application, ApplicationApproved, ApplicationDeclined, ApplicationsDeclined, Campaign, CampaignCopy, CampaignSegments, CampaignUpdate, dataOf, listOf, Network, pagedListOf } from '../../openapi/schemas';
import { campaignUpdateBody, listCampaignUpdates, postCampaignUpdate, updateMessages, updatePosition, UPDATES_PER_DAY, type CampaignUpdateRow } from '../../db/campaign-updates';
import { pageOf, pageParams } from '../../lib/cursor';
import { noticesAfterResponse } from '../../mail';
import { APPLICATION_ID, applicationsWith, loadApplication, reopenApplication, type ApplicationRow } from '../../db/applications';
import { approveApplication, declineApplication, declineEachOf, type Answering } from '../../db/application-answers';
import { mailLinkOrigin, mailOrigin, publicOrigin, type AppEnv } from '../../env';
import { campaignForImport, ENDED_IMPORT } from './imports';
import { copyCampaign, CopyIncomplete, CopyRefused, MAX_COPIED_CREATORS, type CopyRefusal } from '../../db/campaign-copy';
import { CAMPAIGN_NAME_MAX, CAMPAIGN_SLUG } from '../../domain/campaign-slug';
import { IDEMPOTENCY_KEY } from './idempotency';
import { ID_PATTERN } from '../../lib/ids';

const APPLICATIONS_LISTED = 200;

function applicationView(a: ApplicationRow) {
  return {
    id: a.id,
    email: a.email,
    handle: a.handle,
    name: a.name,
    platform: a.platform,
    followerCount: a.follower_count,
    niche: a.niche,
    profileUrl: a.profile_url,
    pitch: a.pitch,
    termsVersion: a.terms_version,
    status: a.status,
    appliedAt: iso(a.created_at),
    decidedAt: iso(a.decided_at),
    enrollmentId: a.enrollment_id,
    declineMailedAt: iso(a.decline_mailed_at),
  };
}

const answeredAlready = (status: string) =>
  new ApiError(409, 'application_answered', `This application was ${status} already${status === 'declined' ? '; reopen it (POST …/reopen, or on the console) to answer it again' : ''}.`, { status });

// What answering the path's campaign's applications needs: this key, this campaign (another brand's is a 404), and
// the origin the applicant's mail names: mailLinkOrigin's for an answer, which refuses before anything is written.
async function answeringFor(c: Context<AppEnv>, origin: string): Promise<Answering> {
  const { brandId, keyId } = c.var.admin;
  const campaign = await campaignForImport(c.env, brandId, c.req.param('id') ?? '');
  return {
    env: c.env,
    ctx: c.executionCtx,
    brandId,
    brandName: campaign.brand_name,
    campaign: { id: campaign.id, name: campaign.name, campaign_status: campaign.campaign_status, ends_at: campaign.ends_at, default_destination: campaign.default_destination },
    actor: { type: 'api_key', id: keyId },
    origin,
  };
}

// The application a path names, with what answering it needs. Another brand's, another campaign's, a
// malformed id and an unknown one are the same 404.
// A reopen mails nothing: its origin is never named.
async function applicationNamed(c: Context<AppEnv>, origin = publicOrigin(c)): Promise<{ a: ApplicationRow; answering: Answering }> {
  const answering = await answeringFor(c, origin);
  const id = c.req.param('applicationId') ?? '';
  const a = APPLICATION_ID.test(id) ? await loadApplication(c.env.DB, answering.brandId, answering.campaign.id, id) : null;
  if (!a) throw notFound('application');
  return { a, answering };
}

// The same, for an answer: it must still be waiting.
async function applicationToAnswer(c: Context<AppEnv>): Promise<{ a: ApplicationRow; answering: Answering }> {
  const named = await applicationNamed(c, mailLinkOrigin(c));
  if (named.a.status !== 'pending') throw answeredAlready(named.a.status);
  return named;
}

// The application as it now stands: after the answer, or after another answer won the race to it.
const asItStands = async (x: Answering, a: ApplicationRow) => (await loadApplication(x.env.DB, x.brandId, x.campaign.id, a.id)) ?? a;

const approveBody = z.strictObject({
  paymentModel: z.enum(['affiliate', 'product']).default('affiliate').meta({ description: 'How the creator is paid, as the console offers: commission on their sales (`affiliate`) or product seeding (`product`).' }),
});
const applicationPath = { id: 'The campaign id.', applicationId: 'The application id.' };

// As many as one call declines: a screening run's worth, and a response small enough to keep for its
// Idempotency-Key (worker/routes/admin/idempotency.ts keeps answers up to 256 KB).
const DECLINED_AT_ONCE = 100;
const declineManyBody = z.strictObject({
  applicationIds: z
    .array(z.string().regex(APPLICATION_ID, 'An application id (app_ and up to 64 letters, digits, _ or -).'))
    .min(1)
    .max(DECLINED_AT_ONCE)
    // Each id once: one id, one outcome, so the answer lines up with what was sent.
    .superRefine((ids, ctx) => {
      const seen = new Set<string>();
      ids.forEach((id, i) => {
        if (seen.has(id)) ctx.addIssue({ code: 'custom', path: [i], message: 'Each application id once.' });
        seen.add(id);
      });
    })
    .meta({ description: `1 to ${DECLINED_AT_ONCE} application ids of this campaign, each once.` }),
});

const isoDate = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));

const earnMonths = z.int().min(0).max(MAX_EARN_MONTHS);

const createCampaign = z.strictObject({
  name: plainText(CAMPAIGN_NAME_MAX).min(1),
  slug: z.string().regex(CAMPAIGN_SLUG),
  hashtag: z.string().regex(/^#[\p{L}\p{N}_]{1,60}$/u),
  positioningAnchor: plainText(4000, 'many').default(''),
  nonNegotiables: z.array(plainText(500).min(1)).max(30).default([]),
  disclosureText: plainText(60).min(1).default('#ad'),
  storyFormats: z
    .array(z.enum(storyFormats))
    .min(1)
    .max(3)
    .refine((list) => new Set(list).size === list.length, 'Each story format once.')
    .default([...storyFormats]),
  defaultDestination: z.string().max(2048),
  attributionWindowDays: z.int().min(1).max(365).default(30),
  holdingDays: z.int().min(0).max(365).default(30),
  renewalMonths: earnMonths.default(0),
  returningCustomerMonths: earnMonths.default(0),
  commissionPlanId: z.string().min(1).max(64).nullable().default(null),
  startsAt: isoDate.nullable().default(null),
  endsAt: isoDate.nullable().default(null),
  status: z.enum(['draft', 'active', 'ended']).default('active'),
  baselineCostMinor: z.int().min(0).max(100_000_000_000).nullable().default(null),
  baselineEngaged: z.int().min(0).max(1_000_000_000).nullable().default(null),
  applicationsOpen: z.boolean().default(false),
  contentDueAt: dueDateInput.nullable().default(null),
  usageRights: usageRightsInput.nullable().default(null),
});

const copyBody = z.strictObject({
  name: plainText(CAMPAIGN_NAME_MAX).min(1).optional().meta({ description: 'The copy\'s name; when absent, "<name> (copy)", or "(copy 2)", "(copy 3)"… for a copy\'s copy or when the brand has a campaign of that name already.' }),
  inviteCreatorIds: z
    .union([z.literal('all'), z.array(z.string().regex(ID_PATTERN, 'A creator id.')).max(MAX_COPIED_CREATORS)])
    .default([])
    .meta({ description: `Creators of the source campaign to invite to the copy (still in it, not removed or erased), or \`all\` of them; at most ${MAX_COPIED_CREATORS}. None when absent.` }),
});

// A refusal of the copy as the API says it: nothing was written.
export function copyRefusalError(r: CopyRefusal): ApiError {
  switch (r.code) {
    case 'creator_not_found':
      return new ApiError(404, 'not_found', 'No such creator.', { creatorIds: r.ids });
    case 'creator_not_in_campaign':
      return new ApiError(422, 'creator_not_in_campaign', 'Some creators are not in the campaign being copied (never were, were removed, or were erased); only its creators can be invited with the copy.', { creatorIds: r.ids });
    case 'too_many_creators':
      return new ApiError(422, 'too_many_creators', `At most ${MAX_COPIED_CREATORS} creators are invited with one copy; this asks ${r.count}. Copy with fewer, then import the rest.`, { max: MAX_COPIED_CREATORS, asked: r.count });
    case 'idempotency_conflict':
      return new ApiError(409, 'idempotency_conflict', 'This key made a copy with another name or other creators. Use a new key for a new copy.');
    case 'invalid_destination':
      return new ApiError(422, 'invalid_destination', 'The campaign\'s default destination is not on the brand\'s allowed hosts any more. Change it on the campaign, then copy it.', { reason: r.reason });
    case 'campaign_ended':
      return new ApiError(409, 'campaign_ended', 'The copy this key made has ended: nobody more is invited to it.');
    case 'handle_taken':
      return new ApiError(409, 'handle_taken', 'Another creator on your roster has the handle of some creators asked for. Copy without them.', { handles: r.handles });
    case 'code_taken':
      return new ApiError(409, 'code_taken', 'No code pattern from the campaign\'s style or the copy\'s name gives every creator a code of their own. Copy without them, then import them with a code pattern of your choice.', { handles: r.handles });
    case 'slug_taken':
      return new ApiError(409, 'slug_taken', 'Another campaign took this name\'s slug just now. Copy it again.');
  }
}

const updateCampaign = z
  .strictObject({
    status: z.enum(['draft', 'active', 'ended']).optional(),
    endsAt: isoDate.nullable().optional(),
    contentDueAt: dueDateInput.nullable().optional(),
    usageRights: usageRightsInput.nullable().optional(),
    renewalMonths: earnMonths.optional(),
    returningCustomerMonths: earnMonths.optional(),
    baselineCostMinor: z.int().min(0).max(100_000_000_000).nullable().optional(),
    baselineEngaged: z.int().min(0).max(1_000_000_000).nullable().optional(),
    applicationsOpen: z.boolean().optional(),
  })
  .refine((input) => Object.keys(input).length > 0, 'Send at least one field to change.');

export const campaignChanged = () => new ApiError(409, 'campaign_changed', 'The campaign changed while this was saved. Load it again and repeat the change.');

const backToDraft = () => new ApiError(409, 'campaign_launched', 'A launched campaign cannot return to draft: its links, codes and orders already count. End it instead.');

const endsBeforeStart = () => new ApiError(422, 'validation_failed', 'endsAt must be after startsAt.', { issues: [{ path: 'endsAt', message: 'must be after startsAt' }] });

// A due date already over would mark everyone overdue at once: a typo, or a date to clear instead.
export const dueDateOver = () =>
  new ApiError(422, 'validation_failed', 'contentDueAt is already over: give a later date, or null for none.', { issues: [{ path: 'contentDueAt', message: 'already over' }] });

// The instant a due date in a request falls due (the end of that day in the brand's timezone for a date), null
// to clear it, undefined when none was sent. A new date must still be ahead; the one the row has is no change.
export function dueAtAsked(asked: string | null | undefined, timeZone: string, current: number | null, now: number): number | null | undefined {
  if (asked === undefined || asked === null) return asked;
  const dueAt = dueAtFrom(asked, zoneOrUtc(timeZone));
  if (dueAt !== current && dueAt <= now) throw dueDateOver();
  return dueAt;
}

type CampaignRow = typeof campaigns.$inferSelect;

export function campaignView(c: CampaignRow) {
  return {
    id: c.id,
    slug: c.slug,
    name: c.name,
    hashtag: c.hashtag,
    positioningAnchor: c.positioningAnchor,
    nonNegotiables: c.nonNegotiables,
    disclosureText: c.disclosureText,
    storyFormats: c.storyFormats,
    defaultDestination: c.defaultDestination,
    attributionWindowDays: c.attributionWindowDays,
    holdingDays: c.holdingDays,
    renewalMonths: c.renewalMonths,
    returningCustomerMonths: c.returningCustomerMonths,
    commissionPlanId: c.commissionPlanId,
    startsAt: iso(c.startsAt),
    endsAt: iso(c.endsAt),
    status: c.status,
    baseline: c.baselineCostMinor === null || c.baselineEngaged === null ? null : { costMinor: c.baselineCostMinor, engaged: c.baselineEngaged },
    applicationsOpen: c.applicationsOpen,
    contentDueAt: iso(c.contentDueAt),
    usageRights: c.usageRights,
    createdAt: iso(c.createdAt),
  };
}

export function campaignUpdateView(u: CampaignUpdateRow) {
  return {
    id: u.id,
    campaignId: u.campaign_id,
    title: u.title,
    body: u.body,
    author: { type: u.author_type, id: u.author_id, name: u.author_name },
    mailed: u.mailed,
    createdAt: iso(u.created_at),
  };
}

// The path's campaign, with the names an update's mail is sent under; another brand's is a 404.
async function campaignForUpdates(c: Context<AppEnv>): Promise<{ id: string; name: string; brand_name: string }> {
  const row = await c.env.DB.prepare('SELECT c.id, c.name, b.name AS brand_name FROM campaigns c JOIN brands b ON b.id = c.brand_id WHERE c.id = ? AND c.brand_id = ?')
    .bind(c.req.param('id') ?? '', c.var.admin.brandId)
    .first<{ id: string; name: string; brand_name: string }>();
  if (!row) throw notFound('campaign');
  return row;
}

const op = routeDescriber({ tag: 'Campaigns', auth: 'adminKey' });
const campaignId = { id: 'The campaign id.' };

export const campaignRoutes = new Hono<AppEnv>()
  .get('/', op({ summary: 'List campaigns', description: 'Newest first.', responses: { 200: { description: 'The brand\'s campaigns.', schema: listOf(Campaign) } } }), async (c) => {
    const db = database(c.env.DB);
    const rows = await db.select().from(campaigns).where(eq(campaigns.brandId, c.var.admin.brandId)).orderBy(desc(campaigns.createdAt));
    return c.json({ data: rows.map(campaignView) });
  })
  .get('/:id', op({ summary: 'Get a campaign', params: campaignId, responses: { 200: { description: 'The campaign.', schema: dataOf(Campaign) } }, errors: { 404: ['not_found'] } }), async (c) => {
    const db = database(c.env.DB);
    const row = await db.query.campaigns.findFirst({ where: and(eq(campaigns.id, c.req.param('id')), eq(campaigns.brandId, c.var.admin.brandId)) });
    if (!row) throw notFound('campaign');
    return c.json({ data: campaignView(row) });
  })
  .post(
    '/',
    op({
      summary: 'Create a campaign',
      description: "The brief's constant parts live here: the positioning anchor, the non-negotiables and the disclosure. The default destination must be an https URL on one of the brand's allowed hosts. `status` defaults to `active`; a `draft` can be briefed and staffed while its links and codes stay closed until it is launched. `contentDueAt` (optional) is when creators' first drafts are due: a date such as `2026-12-12` means the end of that day in the brand's timezone (see PATCH).",
      example: {
        name: 'Spring Glow',
        slug: 'spring-glow',
        hashtag: '#SpringGlow',
        positioningAnchor: 'Skin care that fits a ten-minute morning.',
        nonNegotiables: ['Show the product in daylight', 'No before/after claims about medical conditions'],
        defaultDestination: 'https://shop.example/spring',
        commissionPlanId: null,
        startsAt: '2026-05-01T00:00:00Z',
      },
      responses: { 201: { description: 'Created.', schema: dataOf(Campaign) } },
      errors: { 404: ['not_found'], 409: ['slug_taken'], 422: ['invalid_destination'] },
    }),
    valid('json', createCampaign),
    async (c) => {
      const input = c.req.valid('json');
      const { brandId, keyId } = c.var.admin;
      const db = database(c.env.DB);
      const brand = await db.query.brands.findFirst({ where: eq(brands.id, brandId) });
      if (!brand) throw notFound('brand');
      const destination = checkDestination(input.defaultDestination, brand.allowedHosts);
      if (!destination.ok) throw new ApiError(422, 'invalid_destination', 'The destination must be an https URL on one of the brand\'s allowed hosts.', { reason: destination.reason });
      if (input.commissionPlanId !== null) {
        const plan = await db.query.commissionPlans.findFirst({ where: and(eq(commissionPlans.id, input.commissionPlanId), eq(commissionPlans.brandId, brandId)) });
        if (!plan) throw notFound('commission plan');
      }
      const now = Date.now();
      // Created ended, it ended now (or at an earlier endsAt): that too must come after its start.
      const endsAt = campaignEndsAtFor({ status: 'draft', endsAt: null }, input, now) ?? null;
      if (input.startsAt !== null && endsAt !== null && endsAt <= input.startsAt) throw endsBeforeStart();
      const contentDueAt = dueAtAsked(input.contentDueAt, brand.timezone, null, now) ?? null;
      const usageRights = input.usageRights && canonicalRights(input.usageRights);
      const row: CampaignRow = { id: newId('cmp'), brandId, ...input, endsAt, defaultDestination: destination.url, contentDueAt, giftingOpen: false, giftChoices: 1, giftRound: 1, usageRights, createdAt: now };
      await writeAudited(db, db.insert(campaigns).values(row), { brandId, actorType: 'api_key', actorId: keyId, action: 'campaign.created', targetType: 'campaign', targetId: row.id }, now, () =>
        new ApiError(409, 'slug_taken', 'This brand already has a campaign with that slug.'),
      );
      return c.json({ data: campaignView(row) }, 201);
    },
  )
  .post(
    '/:id/copy',
    op({
      summary: 'Copy a campaign',
      description: `A new wave of a campaign: a \`draft\` with its brief (hashtag, positioning anchor, non-negotiables, disclosure, story formats, default destination), commission plan, attribution window, holding period, renewal and returning-customer months, mid-tier baseline, usage rights, gift settings and the gift products it offers now (archived ones are not copied), named \`name\` or "<name> (copy)", with a slug made from the name. The old wave's dates (start, end, first drafts due) are cleared and applications start closed. Nothing of the old wave's work is copied: no enrollments, links, codes, submissions, orders, ledger entries, updates, messages, gift requests, applications or bounties (their windows belong to the old wave: create the new wave's on its Bounties tab). \`inviteCreatorIds\` (or \`all\`) invites creators who are still in the source (not removed or erased) as the roster import would: an enrollment as an invitation paid as in the source, with their own brief section, a tracked link and a code in the source's style (or a pattern from the copy's name when they hold that code already); then their invitations are mailed as \`…/invitations/mail\` mails them. At most ${MAX_COPIED_CREATORS}. An id of no creator of yours is a 404, one of your creators who is not in the source a 422 naming them; either writes nothing. Inviting needs an \`Idempotency-Key\` (400 \`idempotency_key_required\` without one); the copy is made once per key: the same key with the same body again answers 200 with the same campaign and invites only who is missing (after a 503 \`copy_incomplete\`, which leaves the campaign copied and some creators invited, that finishes the invitations; creators removed from the copy meanwhile are not invited again), with another name or other creators 409 \`idempotency_conflict\`, and with invitations into a copy that has ended 409 \`campaign_ended\`. A default destination no longer on the brand's allowed hosts is 422 \`invalid_destination\`. Audited as \`campaign.copied\`.`,
      params: campaignId,
      headers: z.object({
        'Idempotency-Key': z.string().optional().meta({ description: '1 to 255 visible ASCII characters; required when `inviteCreatorIds` names anyone. The same key names the same copy (200 with it again, inviting only who is missing).', examples: ['summer-drop-2026'] }),
      }),
      example: { name: 'Summer drop', inviteCreatorIds: ['cr_Q2x7vLr9TkPa4mBc'] },
      responses: { 201: { description: 'Copied: the new campaign, and how many creators are invited.', schema: dataOf(CampaignCopy) }, 200: { description: 'The same Idempotency-Key again: the copy it made.', schema: dataOf(CampaignCopy) } },
      errors: { 400: ['invalid_idempotency_key', 'idempotency_key_required'], 404: ['not_found'], 409: ['idempotency_conflict', 'campaign_ended', 'handle_taken', 'code_taken', 'slug_taken'], 422: ['creator_not_in_campaign', 'too_many_creators', 'invalid_destination'], 503: ['copy_incomplete', 'public_origin_unset'] },
    }),
    valid('json', copyBody),
    async (c) => {
      const input = c.req.valid('json');
      const key = c.req.header('idempotency-key') ?? null;
      if (key !== null && !IDEMPOTENCY_KEY.test(key)) throw new ApiError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 1 to 255 visible ASCII characters.');
      // Inviting can stop part-way and is finished by sending the request again: without a key that makes a second copy.
      const inviting = input.inviteCreatorIds === 'all' || input.inviteCreatorIds.length > 0;
      if (inviting && key === null) throw new ApiError(400, 'idempotency_key_required', 'Send an Idempotency-Key header when inviting creators with the copy: a retry after a part-way failure then finishes the same copy instead of making another.');
      const { brandId, keyId } = c.var.admin;
      let copied;
      try {
        copied = await copyCampaign(c.env, { brandId, sourceId: c.req.param('id'), name: input.name, invite: input.inviteCreatorIds, actor: { type: 'api_key', id: keyId }, key: key && `api:${key}`, origin: () => mailLinkOrigin(c) }, Date.now());
      } catch (e) {
        if (e instanceof CopyRefused) throw copyRefusalError(e.refusal);
        if (e instanceof CopyIncomplete) throw new ApiError(503, 'copy_incomplete', 'The campaign was copied, but inviting its creators stopped part-way. Send the same request with the same Idempotency-Key to invite the rest.', { campaignId: e.campaignId }, { 'Retry-After': '1' });
        throw e;
      }
      const row = await database(c.env.DB).query.campaigns.findFirst({ where: and(eq(campaigns.id, copied.campaignId), eq(campaigns.brandId, brandId)) });
      if (!row) throw notFound('campaign');
      return c.json({ data: { campaign: campaignView(row), copiedFrom: c.req.param('id'), invited: copied.invited, invitationsMailed: copied.mailed } }, copied.created ? 201 : 200);
    },
  )
  .patch(
    '/:id',
    op({
      summary: 'Update a campaign',
      description: "Change its status, end date, renewal months, returning-customer months, mid-tier baseline, whether it takes applications or when first drafts are due (`contentDueAt`: a date such as `2026-12-12`, due at the end of that day in the brand's timezone, or an exact date-time with its offset; null clears it; a new one already over is a 422). Creators in the campaign who have sent no draft that stands (a rejected one does not) are due until then and overdue after it, on the console's Network tab; each is emailed once, three days before, with a link to submit. A date given to one creator on their enrollment comes before it. Other fields are fixed once creators are briefed. A change of `renewalMonths` applies to subscription payments recorded from then on, one of `returningCustomerMonths` to orders recorded from then on. Ending a campaign dates its end now (or at `endsAt`, if earlier): its links and codes stop, and an order placed before the end still earns when it is reported later. Ending one that has not started yet cancels it. Reopening one whose end date has passed clears the date. A draft's links and codes stay closed (a link answers as a paused one) until it is launched (`active`), which dates its start now unless it has a later one; a launched campaign cannot return to draft.",
      params: campaignId,
      example: { status: 'ended', endsAt: '2026-06-30T23:59:59Z' },
      responses: { 200: { description: 'The updated campaign.', schema: dataOf(Campaign) } },
      errors: { 404: ['not_found'], 409: ['campaign_launched', 'campaign_changed'] },
    }),
    valid('json', updateCampaign),
    async (c) => {
      const input = c.req.valid('json');
      const { brandId, keyId } = c.var.admin;
      const db = database(c.env.DB);
      const where = and(eq(campaigns.id, c.req.param('id')), eq(campaigns.brandId, brandId));
      const existing = await db.query.campaigns.findFirst({ where });
      if (!existing) throw notFound('campaign');
      if (input.endsAt != null && existing.startsAt !== null && input.endsAt <= existing.startsAt) throw endsBeforeStart();
      if (isBackToDraft(existing, input)) throw backToDraft();
      const now = Date.now();
      const timezone = input.contentDueAt ? ((await db.query.brands.findFirst({ where: eq(brands.id, brandId), columns: { timezone: true } }))?.timezone ?? 'UTC') : 'UTC';
      const contentDueAt = dueAtAsked(input.contentDueAt, timezone, existing.contentDueAt, now);
      // The dates stored are what the status allows: an ended campaign's end is never later than now, and a
      // launched draft's start is no earlier than its launch.
      const { endsAt: _asked, contentDueAt: _due, ...rest } = input;
      const { endsAt, startsAt } = campaignDatesFor(existing, input, now);
      const dates = { ...(endsAt === undefined ? {} : { endsAt }), ...(startsAt === undefined ? {} : { startsAt }), ...(contentDueAt === undefined ? {} : { contentDueAt }) };
      // Terms in one order; the terms the campaign already asks are no change (past grants keep theirs either way).
      const { usageRights: askedRights, ...others } = rest;
      const rights = askedRights === undefined || rightsKey(askedRights) === rightsKey(existing.usageRights) ? {} : { usageRights: askedRights && canonicalRights(askedRights) };
      const values = { ...others, ...rights, ...dates };
      if (Object.keys(values).length === 0) return c.json({ data: campaignView(existing) });
      // The audit names what was asked and the dates the status set with it.
      const written = { ...input, ...Object.fromEntries(Object.entries(dates).map(([k, v]) => [k, iso(v)])) };
      // A compare-and-set on the status the dates were decided from: a launch and a save that read the draft
      // before it cannot cross into a launched campaign back in draft, or dates of the wrong status.
      const update = db.update(campaigns).set(values).where(and(where, eq(campaigns.status, existing.status))).toSQL();
      const [, audit] = await c.env.DB.batch([
        c.env.DB.prepare(update.sql).bind(...update.params),
        auditIfChanged(c.env.DB, { brandId, actorType: 'api_key', actorId: keyId, action: 'campaign.updated', targetType: 'campaign', targetId: existing.id, details: written }, now),
      ]);
      if (audit!.meta.changes === 0) throw campaignChanged();
      return c.json({ data: campaignView((await db.query.campaigns.findFirst({ where })) ?? existing) });
    },
  )
  // Applications from the campaign's public page, one status at a time (the console answers them).
  .get(
    '/:id/applications',
    op({
      summary: 'List applications',
      description: `Creators' applications from the campaign's public page, one \`status\` at a time (default \`pending\`): waiting ones oldest first, answered ones by the latest answer; at most ${APPLICATIONS_LISTED}. Answer them with \`…/approve\` and \`…/decline\` (up to ${DECLINED_AT_ONCE} declined at once with \`POST …/applications/decline\`), or on the console's Applications tab.`,
      params: campaignId,
      responses: { 200: { description: 'The applications.', schema: listOf(Application) } },
      errors: { 404: ['not_found'], 422: ['validation_failed'] },
    }),
    valid('query', z.strictObject({ status: z.enum(['pending', 'approved', 'declined']).default('pending') })),
    async (c) => {
      const { brandId } = c.var.admin;
      const campaign = await c.env.DB.prepare('SELECT id FROM campaigns WHERE id = ? AND brand_id = ?').bind(c.req.param('id'), brandId).first<{ id: string }>();
      if (!campaign) throw notFound('campaign');
      const rows = await applicationsWith(c.env.DB, brandId, campaign.id, c.req.valid('query').status, APPLICATIONS_LISTED);
      return c.json({ data: rows.map(applicationView) });
    },
  )
  // Answering, as the console's Applications tab does (db/application-answers.ts).
  .post(
    '/:id/applications/:applicationId/approve',
    op({
      summary: 'Approve an application',
      description:
        "Imports the applicant as the roster import would: an account if the address has none, the applicant's handle as your roster's (a creator already on it keeps the handle you gave them), the enrollment as an invitation paid as `paymentModel` says, a tracked link, and a code in the style most of the campaign's codes follow (`{HANDLE}15` at 15% without one, or a pattern from the campaign's name when that code is taken); then mails the invitation to that address alone, saying the application was accepted. An address already in the campaign is marked approved and nothing is made. The answer is taken before the import, so a decline made meanwhile wins outright; if storage fails part-way (503) the application waits again and approving it again completes the import. Audited as the console's answers are.",
      params: applicationPath,
      example: { paymentModel: 'product' },
      responses: { 200: { description: 'Approved: the application as it now stands, and whether the invitation is on its way.', schema: dataOf(ApplicationApproved) } },
      errors: { 404: ['not_found'], 409: ['application_answered', 'campaign_ended', 'creator_removed', 'handle_taken', 'code_taken'], 503: ['public_origin_unset'] },
    }),
    valid('json', approveBody),
    async (c) => {
      const { a, answering } = await applicationToAnswer(c);
      const result = await approveApplication(answering, a, c.req.valid('json').paymentModel);
      switch (result.outcome) {
        case 'answered':
          throw answeredAlready((await asItStands(answering, a)).status);
        case 'previously_removed':
          throw new ApiError(
            409,
            'creator_removed',
            `${a.name} was in this campaign before and ${result.leftThemselves ? 'left it' : 'was removed'}. Bring their enrollment back (PATCH /api/admin/enrollments/${a.enrollment_id}) to invite them again, then approve this application.`,
            { enrollmentId: a.enrollment_id },
          );
        case 'campaign_ended':
          throw new ApiError(409, 'campaign_ended', ENDED_IMPORT);
        case 'handle_taken':
          throw new ApiError(409, 'handle_taken', `@${result.handle} is the handle of another creator on your roster, so this application cannot be approved as sent. Decline it, or ask ${a.name} to apply again with their own email address.`, { handle: result.handle });
        case 'code_taken':
          throw new ApiError(409, 'code_taken', `${result.reason} Import ${a.name} (POST /api/admin/campaigns/${answering.campaign.id}/import) with a code pattern of your choice, then approve this application.`);
      }
      return c.json({ data: { application: applicationView(await asItStands(answering, a)), alreadyInCampaign: result.outcome === 'already_in_campaign', invitationQueued: result.outcome === 'approved' && result.invitationQueued } });
    },
  )
  .post(
    '/:id/applications/:applicationId/decline',
    op({
      summary: 'Decline an application',
      description:
        "Declines a waiting application and mails the applicant a short note that you are not taking them on for this campaign, with no reason given: once per application (one reopened and declined again is not mailed again), and not to an address that asked for no invitations from you or is in the campaign already, nor to an inbox (sarah+1@ and sarah+2@ are one) told of another decline of yours in the last 30 days or of three from all brands today. A declined application is deleted 90 days after the answer. Audited as the console's answers are.",
      params: applicationPath,
      responses: { 200: { description: 'Declined: the application as it now stands, and whether the applicant is being mailed.', schema: dataOf(ApplicationDeclined) } },
      errors: { 404: ['not_found'], 409: ['application_answered'], 503: ['public_origin_unset'] },
    }),
    async (c) => {
      const { a, answering } = await applicationToAnswer(c);
      const declined = await declineApplication(answering, a.id);
      if (!declined) throw answeredAlready((await asItStands(answering, a)).status);
      return c.json({ data: { application: applicationView(await asItStands(answering, a)), applicantMailed: declined.tell } });
    },
  )
  .post(
    '/:id/applications/decline',
    op({
      summary: 'Decline applications',
      description: `Declines up to ${DECLINED_AT_ONCE} applications at once (a screening run, a wave of spam, a campaign that is full), as the console's Decline all does: each waiting one among \`applicationIds\` is declined and its applicant mailed exactly as \`…/:applicationId/decline\` would (once per application, not to an address that asked for no invitations from you or is in the campaign already, nor to an inbox told of another decline of yours in the last 30 days or of three from all brands today), and audited as a single decline is, one activity row each. The answer reports every id in the order sent: \`declined\`, \`already_answered\` (approved or declined before, left as it is: its \`status\` says which), or \`not_found\` (not an application of this campaign: unknown, another campaign's or another brand's), so one stale id does not fail the rest. Sending the same ids again declines and mails nobody twice (they answer \`already_answered\`); with the same \`Idempotency-Key\` it answers the first result again. A body that does not pass (not 1 to ${DECLINED_AT_ONCE} ids, an id sent twice, one that is not an application id, another field) is a 422 and declines nothing.`,
      params: campaignId,
      example: { applicationIds: ['app_Q2x7vLr9TkPa4mBc', 'app_Xq3v9LrT5vKpA1bc'] },
      responses: { 200: { description: 'What became of each id, in the order sent, and the counts.', schema: dataOf(ApplicationsDeclined) } },
      errors: { 404: ['not_found'], 503: ['public_origin_unset'] },
    }),
    valid('json', declineManyBody),
    async (c) => {
      const ids = c.req.valid('json').applicationIds;
      const answering = await answeringFor(c, mailLinkOrigin(c));
      const { declined, standing } = await declineEachOf(answering, ids);
      const now = new Map(declined.map((d) => [d.id, d]));
      const found = new Map(standing.map((s) => [s.id, s]));
      const results = ids.map((id) => {
        const s = found.get(id);
        if (!s) return { id, outcome: 'not_found' as const, status: null, decidedAt: null, applicantMailed: false };
        // Nothing of this campaign among the ids waits after the batch: what was not declined now was answered.
        const status = s.status === 'approved' ? ('approved' as const) : ('declined' as const);
        const d = now.get(id);
        return { id, outcome: d ? ('declined' as const) : ('already_answered' as const), status, decidedAt: iso(s.decided_at), applicantMailed: d?.tell ?? false };
      });
      const counted = (outcome: string) => results.filter((r) => r.outcome === outcome).length;
      return c.json({
        data: { declined: declined.length, applicantsMailed: declined.filter((d) => d.tell).length, alreadyAnswered: counted('already_answered'), notFound: counted('not_found'), results },
      });
    },
  )
  .post(
    '/:id/applications/:applicationId/reopen',
    op({
      summary: 'Reopen a declined application',
      description:
        'A decline made by mistake: the application waits for an answer again. An applicant already mailed about the decline is not mailed again if it is declined once more. An approved application cannot be reopened (its creator is invited; remove them from the campaign instead). Audited as the console\'s reopen is.',
      params: applicationPath,
      responses: { 200: { description: 'Reopened: the application as it now stands.', schema: dataOf(Application) } },
      errors: { 404: ['not_found'], 409: ['application_not_declined'] },
    }),
    async (c) => {
      const { a, answering } = await applicationNamed(c);
      const reopened = a.status === 'declined' && (await reopenApplication(c.env.DB, { brandId: answering.brandId, campaignId: answering.campaign.id, id: a.id }, answering.actor, Date.now()));
      const stands = await asItStands(answering, a);
      if (!reopened) throw new ApiError(409, 'application_not_declined', `This application is ${stands.status === 'pending' ? 'waiting for an answer' : stands.status}; only a declined one can be reopened.`, { status: stands.status });
      return c.json({ data: applicationView(stands) });
    },
  )
  // Updates to the campaign's creators (db/campaign-updates.ts), as the console's Updates tab posts them.
  .get(
    '/:id/updates',
    op({
      summary: 'List campaign updates',
      description: "The updates posted to the campaign's creators (from the console's Updates tab or POST …/updates), newest first, a page at a time (`limit`, then `cursor` from `nextCursor`), each with who posted it and how many creators it was emailed to.",
      params: campaignId,
      responses: { 200: { description: "The campaign's updates.", schema: pagedListOf(CampaignUpdate) } },
      errors: { 404: ['not_found'] },
    }),
    valid('query', z.strictObject({ ...pageParams })),
    async (c) => {
      const campaign = await campaignForUpdates(c);
      const { limit, cursor } = c.req.valid('query');
      const rows = await listCampaignUpdates(c.env.DB, c.var.admin.brandId, campaign.id, { after: cursor, limit: limit + 1 });
      const page = pageOf(rows, limit, updatePosition);
      return c.json({ data: page.rows.map(campaignUpdateView), hasMore: page.hasMore, nextCursor: page.nextCursor });
    },
  )
  .post(
    '/:id/updates',
    op({
      summary: 'Post a campaign update',
      description: `News for everyone in the campaign that is not part of the brief ("the new shade launches Friday, post between Friday and Sunday"). Emailed once the answer is on its way, one mail each, to every creator who accepted your brand and is in the campaign (\`active\`, \`paused\` or \`benched\`; not \`invited\` or \`removed\`), with the subject \`<brand>: <title>\`, the body as written, a link to their brief, where it is shown too (newest first, to everyone who can read the brief, including creators who join later), and a link and one-click \`List-Unsubscribe\` headers that stop your campaign news to that creator (\`POST /v1/unsubscribe/news/:token\`). A creator who stopped it is not emailed and not counted, and still reads the update on their brief. \`mailed\` says how many were emailed. At most ${UPDATES_PER_DAY} updates per campaign in any 24 hours: one more is a 409 \`update_limit_reached\` with \`details.nextAt\`, and nothing is written or mailed. Audited as \`campaign.update_posted\`. Retry with the same \`Idempotency-Key\` to get the first answer again without a second post or mail.`,
      params: campaignId,
      example: { title: 'New shade launches Friday', body: 'Post between Friday and Sunday, and name the shade (Dune) in your caption.\nYour code works on the launch bundle too.' },
      responses: { 201: { description: 'Posted: the update, with how many creators are being emailed.', schema: dataOf(CampaignUpdate) } },
      errors: { 404: ['not_found'], 409: ['update_limit_reached'] },
    }),
    valid('json', campaignUpdateBody),
    async (c) => {
      const campaign = await campaignForUpdates(c);
      const { brandId, keyId } = c.var.admin;
      const posted = await postCampaignUpdate(c.env.DB, { brandId, campaignId: campaign.id, input: c.req.valid('json'), author: { type: 'api_key', id: keyId }, formKey: null }, Date.now());
      // Without a form key, nothing but the day's limit keeps an update from being written.
      if (posted.outcome !== 'posted') {
        const nextAt = posted.outcome === 'limit' ? posted.nextAt : Date.now();
        throw new ApiError(409, 'update_limit_reached', `This campaign has had ${UPDATES_PER_DAY} updates in the last 24 hours, the most it takes; post this one from ${iso(nextAt)}.`, { perDay: UPDATES_PER_DAY, nextAt: iso(nextAt) });
      }
      const mails = await updateMessages(c.env.SECRETS_KEY, { id: brandId, name: campaign.brand_name }, campaign.name, posted.update, posted.recipients, mailOrigin(c.env, c.req));
      noticesAfterResponse(c.executionCtx, c.env, mails, 'campaign_update_mail_failed');
      return c.json({ data: campaignUpdateView(posted.update) }, 201);
    },
  )
  // The network view: totals first, then the ranking with suggested moves on the payment ladder.
  .get(
    '/:id/network',
    op({
      summary: 'Network measurement',
      description: "The campaign's network-level totals (cost per engagement, and the ratio to the mid-tier baseline when one is set), 30 days of clicks and conversions, and the creator ranking with suggested moves on the payment ladder.",
      params: campaignId,
      responses: { 200: { description: 'The network view.', schema: dataOf(Network) } },
      errors: { 404: ['not_found'] },
    }),
    async (c) => {
      const now = Date.now();
      const data = await loadNetwork(c.env.DB, c.var.admin.brandId, c.req.param('id'), now);
      if (!data) throw notFound('campaign');
      return c.json({
        data: {
          campaign: data.campaign,
          summary: summarize(data.creators, data.campaign.baseline),
          daily: data.daily,
          ranking: rankCreators(data.creators, now).map(({ enrolledAt, activeSince, contentDueAt, ...r }) => ({ ...r, enrolledAt: iso(enrolledAt), activeSince: iso(activeSince), contentDueAt: iso(contentDueAt) })),
          scoring: { weights: SCORE_WEIGHTS, ladder: DEFAULT_LADDER },
        },
      });
    },
  )
  // The network's results by niche, platform or tag: the Network tab's "By segment" card, from the same figures.
  .get(
    '/:id/segments',
    op({
      summary: 'Network results by segment',
      description:
        "The campaign's results grouped by the creators' niche, platform or your brand's tags (`by`, default `niche`), from the same figures as the network view, so niche and platform rows add up to its totals. One row per value, highest revenue first, and `value: null` for the creators with none. A creator with several tags counts in each of them: tag rows add up to more than the network, and their shares to more than 1. `creators` counts every enrollment whose results count, removed ones too. Niches and platforms that differ only in letter case or spacing are one segment.",
      params: campaignId,
      responses: { 200: { description: 'The segments and the whole network.', schema: dataOf(CampaignSegments) } },
      errors: { 404: ['not_found'] },
    }),
    // `?by=` left empty (a form's blank choice) is no choice: niche, as when absent.
    valid('query', z.strictObject({ by: z.enum(SEGMENT_KIND_NAMES).or(z.literal('')).optional().describe('What to group by; `niche` when absent or empty.') })),
    async (c) => {
      const data = await loadNetwork(c.env.DB, c.var.admin.brandId, c.req.param('id'), Date.now());
      if (!data) throw notFound('campaign');
      const by = c.req.valid('query').by || 'niche';
      return c.json({ data: { by, currency: data.campaign.currency, ...segmentsOf(data.creators, data.labels, by) } });
    },
  );
