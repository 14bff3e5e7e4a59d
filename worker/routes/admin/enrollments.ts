import { and, eq, isNull } from 'drizzle-orm';
import { Hono } from 'hono';
import { standingOf, standingsOf, termsAcceptedView, type TermsStanding } from '../../db/program-terms';
import { z } from 'zod';
import { auditIfChanged, creatorEndedSql, writeAudited } from '../../db/audit';
import { checkedEq, database } from '../../db/client';
import { brandCreators, campaigns, enrollments, enrollmentStatuses, paymentModels } from '../../db/schema';
import { mailLinkOrigin, type AppEnv, type Env } from '../../env';
import { formatMoney, formatPeriod, laterCloseUnderMinimum, paidAtClose } from '../../../portal/format';
import { noticeAfterResponse } from '../../mail';
import { ApiError, notFound } from '../../lib/errors';
import { newId } from '../../lib/ids';
import { newestFirst, pageOf, pageParams } from '../../lib/cursor';
import { iso, plainText, valid } from '../../lib/validate';
import { CREATOR_FIELDS } from '../../domain/creator-import';
import { routeDescriber } from '../../openapi/registry';
import { Adjustment, dataOf, Enrollment, pagedListOf } from '../../openapi/schemas';
import { addAdjustment, MAX_ADJUSTMENT_MINOR, type AdjustmentMade } from '../../db/adjustments';
import { dueDateInput } from '../../domain/content-due';
import { dueAtAsked } from './campaigns';
import { declineOnRemoval } from '../../db/gifting';
import { withdrawOnRemoval } from '../../db/rights-extensions';
import { refuseErased } from '../../db/creator-erasure';

const id = z.string().min(1).max(64);

const createEnrollment = z.strictObject({
  campaignId: id,
  creatorId: id,
  paymentModel: z.enum(paymentModels),
  flatFeeMinor: z.int().min(0).max(100_000_000).default(0),
  briefSection: CREATOR_FIELDS.briefSection.default(''),
  status: z.enum(enrollmentStatuses).default('invited'),
  // The creator's own due date for a first draft, as PATCH takes it (null or absent: the campaign's).
  contentDueAt: dueDateInput.nullable().optional(),
}).refine((e) => (e.paymentModel !== 'flat' && e.paymentModel !== 'hybrid') || e.flatFeeMinor > 0, {
  path: ['flatFeeMinor'],
  message: 'A flat or hybrid enrollment needs a flat fee (the roster import asks the same).',
});

const listQuery = z.strictObject({ campaignId: id.optional(), ...pageParams });

// What a brand changes on an enrollment once it runs: its status (not back to `invited`, which only the
// creator's own acceptance ends), the payment model and fee, the creator's section of the brief, and their own
// due date for a first draft (a date or an instant, as the campaign's: null goes back to the campaign's).
export const enrollmentChange = z
  .strictObject({
    status: z.enum(['active', 'paused', 'benched', 'removed']).optional(),
    paymentModel: z.enum(paymentModels).optional(),
    flatFeeMinor: z.int().min(0).max(100_000_000).optional(),
    briefSection: CREATOR_FIELDS.briefSection.optional(),
    contentDueAt: dueDateInput.nullable().optional(),
  })
  .refine((input) => Object.keys(input).length > 0, 'Send at least one field to change.');
export type EnrollmentChange = z.infer<typeof enrollmentChange>;

const needsFee = (model: string) => model === 'flat' || model === 'hybrid';

const EDITABLE = ['status', 'paymentModel', 'flatFeeMinor', 'briefSection', 'contentDueAt'] as const;
export type EditableField = (typeof EDITABLE)[number];

const removedHasNoDueDate = () =>
  new ApiError(409, 'enrollment_removed', 'This creator was removed from the campaign, so nothing of theirs is due. Bring them back (status) before giving them a due date.');

const enrollmentChanged = () => new ApiError(409, 'enrollment_changed', 'The enrollment changed while this was saved. Load it again and repeat the change.');

// Applies a change and audits each changed field from and to. Returns the enrollment as it now is, or null
// when it is not this brand's. A flat or hybrid enrollment keeps a fee above zero (422); `active` on an
// enrollment still waiting for its creator to accept is refused (422), since only the acceptance makes it so.
// A change takes effect for what happens next: orders priced after it, posts that go live after it. Removing
// a creator stops their links and codes within the caches' bound (LINK_CACHE_TTL_MS, CODE_CACHE_TTL_MS).
export async function updateEnrollment(
  d1: D1Database,
  brandId: string,
  enrollmentId: string,
  change: EnrollmentChange,
  actor: { type: 'api_key' | 'admin_user'; id: string },
  expected?: Pick<EnrollmentRow, EditableField>,
): Promise<EnrollmentRow | null> {
  const db = database(d1);
  const where = and(eq(enrollments.id, enrollmentId), eq(enrollments.brandId, brandId));
  const existing = await db.query.enrollments.findFirst({ where });
  if (!existing) return null;
  await refuseErased(d1, existing.creatorId, brandId);
  // A form sends what it was drawn from: anything changed since, by anyone, is a conflict, not overwritten.
  if (expected && EDITABLE.some((k) => expected[k] !== existing[k])) throw enrollmentChanged();
  const now = Date.now();
  const { contentDueAt: dueAsked, ...fields } = change;
  const asked = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<Pick<EnrollmentRow, EditableField>>;
  if (dueAsked !== undefined) {
    const timezone = dueAsked === null ? 'UTC' : ((await d1.prepare('SELECT timezone FROM brands WHERE id = ?').bind(brandId).first<string>('timezone')) ?? 'UTC');
    asked.contentDueAt = dueAtAsked(dueAsked, timezone, existing.contentDueAt, now) ?? null;
  }
  const next = { ...existing, ...asked };
  // A removed creator has nothing due: their date is kept as it was, to come back with them.
  if (asked.contentDueAt !== undefined && asked.contentDueAt !== existing.contentDueAt && next.status === 'removed') {
    throw removedHasNoDueDate();
  }
  if (needsFee(next.paymentModel) && next.flatFeeMinor <= 0) {
    throw new ApiError(422, 'validation_failed', 'A flat or hybrid enrollment needs a flat fee above zero.', { issues: [{ path: 'flatFeeMinor', message: 'must be above zero for flat or hybrid' }] });
  }
  if (asked.status === 'active' && existing.status === 'invited') {
    throw new ApiError(422, 'validation_failed', 'This creator has not accepted the invitation yet; the enrollment turns active when they do.', { issues: [{ path: 'status', message: 'still invited' }] });
  }
  // Brought back (to active) from a pause, the bench or a removal: a creator who never set a password, or
  // never accepted this brand (one who declined it included), goes back to an invitation they answer.
  if (asked.status === 'active' && existing.status !== 'active') {
    const creator = await d1
      .prepare('SELECT c.password_hash IS NOT NULL AND r.accepted_at IS NOT NULL AS answered FROM creators c LEFT JOIN brand_creators r ON r.creator_id = c.id AND r.brand_id = ? WHERE c.id = ?')
      .bind(brandId, existing.creatorId)
      .first<{ answered: number }>();
    if (creator?.answered !== 1) asked.status = 'invited';
  }
  // One who left this campaign (or declined it) themselves comes back, to any status, as an invitation: coming
  // back is theirs to say. Nor can a campaign-level invitation of a creator who accepted the brand be made
  // paused or benched (where their link would work) before they answer it.
  if (asked.status !== undefined && asked.status !== 'removed' && existing.status === 'removed' && existing.removedAt !== null) {
    const ended = await d1.prepare(`SELECT ${creatorEndedSql('e')} AS ended FROM enrollments e WHERE e.id = ?`).bind(enrollmentId).first<string | null>('ended');
    if (ended) asked.status = 'invited';
  }
  if (existing.status === 'invited' && (asked.status === 'paused' || asked.status === 'benched')) {
    const acceptedBrand = await d1.prepare('SELECT 1 FROM brand_creators WHERE brand_id = ? AND creator_id = ? AND accepted_at IS NOT NULL').bind(brandId, existing.creatorId).first();
    if (acceptedBrand) throw new ApiError(422, 'validation_failed', 'This creator has not answered the invitation to this campaign yet; it can only be removed until they do.', { issues: [{ path: 'status', message: 'still invited' }] });
  }
  const changed = (Object.keys(asked) as EditableField[]).filter((k) => asked[k] !== existing[k]);
  if (changed.length === 0) return existing;
  const values: Partial<EnrollmentRow> = Object.fromEntries(changed.map((k) => [k, asked[k]]));
  // Removal is dated, so an order placed before it still earns when it is reported later (domain/codes.ts).
  if (values.status === 'removed') values.removedAt = now;
  else if (values.status !== undefined && existing.status === 'removed') values.removedAt = null;
  // Back to active: the bench suggestion's quiet days count from now (domain/network.ts).
  if (values.status === 'active') values.activeSince = now;
  // Dates as the API writes them, so the activity log shows a date, not a count of milliseconds.
  const shown = (k: EditableField, v: unknown) => (k === 'contentDueAt' ? iso(v as number | null) : v);
  const changes = Object.fromEntries(changed.map((k) => [k, { from: shown(k, existing[k]), to: shown(k, asked[k]) }]));
  // A compare-and-set on the fields read: two edits that cross cannot leave a flat model with no fee.
  const update = db
    .update(enrollments)
    .set(values)
    .where(and(where, ...EDITABLE.map((k) => (existing[k] === null ? isNull(enrollments[k]) : eq(enrollments[k], existing[k])))))
    .toSQL();
  const [, audit] = await d1.batch([
    d1.prepare(update.sql).bind(...update.params),
    auditIfChanged(d1, { brandId, actorType: actor.type, actorId: actor.id, action: 'enrollment.updated', targetType: 'enrollment', targetId: enrollmentId, details: { changes } }, now),
    // Removed: their gift request still waiting to ship is declined with the removal (db/gifting.ts), and their
    // requests to extend usage rights still waiting are withdrawn (db/rights-extensions.ts).
    ...(values.status === 'removed' ? [...declineOnRemoval(d1, { brandId, enrollmentId }, 'removed', actor, now), ...withdrawOnRemoval(d1, { brandId, enrollmentId }, 'removed', actor, now)] : []),
  ]);
  if (audit!.meta.changes === 0) throw enrollmentChanged();
  return (await db.query.enrollments.findFirst({ where })) ?? null;
}

type EnrollmentRow = typeof enrollments.$inferSelect;

export function enrollmentView(e: EnrollmentRow, terms: TermsStanding | null | undefined) {
  return {
    id: e.id,
    campaignId: e.campaignId,
    creatorId: e.creatorId,
    paymentModel: e.paymentModel,
    flatFeeMinor: e.flatFeeMinor,
    briefSection: e.briefSection,
    status: e.status,
    contentDueAt: iso(e.contentDueAt),
    termsAccepted: termsAcceptedView(terms),
    createdAt: iso(e.createdAt),
  };
}

export const adjustmentBody = z.strictObject({
  amountMinor: z
    .int()
    .min(-MAX_ADJUSTMENT_MINOR)
    .max(MAX_ADJUSTMENT_MINOR)
    .refine((n) => n !== 0, 'An amount other than zero.'),
  note: plainText(200).pipe(z.string().min(1, 'Say why: the creator sees it.')),
});

const op = routeDescriber({ tag: 'Enrollments', auth: 'adminKey' });

export const enrollmentRoutes = new Hono<AppEnv>()
  .get(
    '/',
    op({ summary: 'List enrollments', description: 'Newest first, a page at a time (`limit`, then `cursor` from `nextCursor`); filter by campaign.', responses: { 200: { description: "The brand's enrollments.", schema: pagedListOf(Enrollment) } } }),
    valid('query', listQuery),
    async (c) => {
      const { campaignId, limit, cursor } = c.req.valid('query');
      const keyset = newestFirst(enrollments.createdAt, enrollments.id, cursor);
      const rows = await database(c.env.DB)
        .select()
        .from(enrollments)
        .where(and(campaignId ? checkedEq(enrollments.brandId, c.var.admin.brandId) : eq(enrollments.brandId, c.var.admin.brandId), campaignId ? eq(enrollments.campaignId, campaignId) : undefined, keyset.after))
        .orderBy(...keyset.order)
        .limit(limit + 1);
      const page = pageOf(rows, limit, (e) => ({ at: e.createdAt, id: e.id }));
      const terms = await standingsOf(c.env.DB, c.var.admin.brandId, [...new Set(page.rows.map((e) => e.creatorId))]);
      return c.json({ data: page.rows.map((e) => enrollmentView(e, terms.get(e.creatorId))), hasMore: page.hasMore, nextCursor: page.nextCursor });
    },
  )
  .post(
    '/',
    op({
      summary: 'Enroll a creator in a campaign',
      description: 'The creator must be on the roster. A creator who has not accepted your brand yet cannot be enrolled `active` (422: enroll them `invited`, the default, and their Accept makes it active); one who has can be enrolled `active` at once. The payment model decides what the creator earns: `affiliate` commission, a `flat` fee per live post, `hybrid` (both, plus the plan\'s performance bonus) or `product` only. `briefSection` is the creator-specific part of the brief. `contentDueAt` gives this creator their own due date for a first draft (a later one for someone who joins late), before the campaign\'s, as PATCH takes it: a date such as `2026-12-19` (due at the end of that day in the brand\'s timezone) or an exact date-time with its offset; null or absent, the campaign\'s; one already over is a 422, and a creator enrolled `removed` gets none (409 `enrollment_removed`).',
      example: { campaignId: 'cmp_Q2x7vLr9TkPa4mBc', creatorId: 'cr_Q2x7vLr9TkPa4mBc', paymentModel: 'affiliate', briefSection: 'Your morning routine, before coffee.', status: 'active', contentDueAt: '2026-12-19' },
      responses: { 201: { description: 'Enrolled.', schema: dataOf(Enrollment) } },
      errors: { 404: ['not_found'], 409: ['already_enrolled', 'enrollment_removed'], 410: ['creator_erased'] },
    }),
    valid('json', createEnrollment),
    async (c) => {
      const input = c.req.valid('json');
      const { brandId, keyId } = c.var.admin;
      const db = database(c.env.DB);
      const [campaign, roster] = await Promise.all([
        db.query.campaigns.findFirst({ where: and(eq(campaigns.id, input.campaignId), eq(campaigns.brandId, brandId)) }),
        db.query.brandCreators.findFirst({ where: and(eq(brandCreators.brandId, brandId), eq(brandCreators.creatorId, input.creatorId)) }),
      ]);
      if (!campaign) throw notFound('campaign');
      if (!roster) throw notFound('creator');
      await refuseErased(c.env.DB, input.creatorId, brandId);
      // Only the creator's Accept makes an enrollment active, as in PATCH (paused and benched are the team's labels).
      if (roster.acceptedAt === null && input.status === 'active') {
        throw new ApiError(422, 'validation_failed', 'This creator has not accepted your brand yet: enroll them as `invited` (the default) and the enrollment turns active when they accept.', { issues: [{ path: 'status', message: 'not accepted yet' }] });
      }
      const now = Date.now();
      const { contentDueAt: dueAsked, ...fields } = input;
      // As PATCH decides it: a removed creator has nothing due, and a date already over is refused.
      if (dueAsked != null && input.status === 'removed') throw removedHasNoDueDate();
      const timezone = dueAsked == null ? 'UTC' : ((await c.env.DB.prepare('SELECT timezone FROM brands WHERE id = ?').bind(brandId).first<string>('timezone')) ?? 'UTC');
      const contentDueAt = dueAtAsked(dueAsked, timezone, null, now) ?? null;
      const row: EnrollmentRow = { id: newId('enr'), brandId, ...fields, removedAt: input.status === 'removed' ? now : null, activeSince: null, contentDueAt, createdAt: now };
      await writeAudited(db, db.insert(enrollments).values(row), { brandId, actorType: 'api_key', actorId: keyId, action: 'enrollment.created', targetType: 'enrollment', targetId: row.id }, now, () =>
        new ApiError(409, 'already_enrolled', 'This creator is already enrolled in that campaign.'),
      );
      return c.json({ data: enrollmentView(row, await standingOf(c.env.DB, brandId, row.creatorId)) }, 201);
    },
  )
  .get(
    '/:id',
    op({ summary: 'Get an enrollment', params: { id: 'The enrollment id.' }, responses: { 200: { description: 'The enrollment.', schema: dataOf(Enrollment) } }, errors: { 404: ['not_found'] } }),
    async (c) => {
      const row = await database(c.env.DB).query.enrollments.findFirst({ where: and(eq(enrollments.id, c.req.param('id')), eq(enrollments.brandId, c.var.admin.brandId)) });
      if (!row) throw notFound('enrollment');
      return c.json({ data: enrollmentView(row, await standingOf(c.env.DB, row.brandId, row.creatorId)) });
    },
  )
  .patch(
    '/:id',
    op({
      summary: 'Update an enrollment',
      description:
        "Pause, bench or remove a creator, bring one back (`active`), move them on the payment ladder (`paymentModel`, `flatFeeMinor`; flat and hybrid need a fee), or rewrite their section of the brief. `paused` and `benched` are labels for the brand's team: links and codes keep working. Pay changes apply to what is recorded next: orders recorded after the change, posts that go live after it. Removing a creator is dated: their links and codes close (within the caches' 10 s), orders placed after it credit them by neither code nor click, orders placed before it still do when reported later, the campaign leaves their portal, and a gift request of theirs still waiting to ship is declined (`Not shipped: the creator was removed from the campaign.`); what they earned stays theirs. `active` is refused while the creator has not accepted the invitation, and brings back one who never set a password or never accepted your brand (a decline included) as `invited`; so does any status brought back to a creator who left or declined that campaign themselves, and such a campaign-level invitation can only be removed until they answer it. `contentDueAt` gives this creator their own due date for a first draft (a later one for someone who joined late), before the campaign's: a date such as `2026-12-19` (due at the end of that day in the brand's timezone) or an exact date-time with its offset; null goes back to the campaign's; a new one already over is a 422, and a removed creator gets none (409 `enrollment_removed`). Each changed field is audited from and to; two edits that cross: the second answers 409 `enrollment_changed`.",
      params: { id: 'The enrollment id.' },
      example: { paymentModel: 'hybrid', flatFeeMinor: 15_000, contentDueAt: '2026-12-19' },
      responses: { 200: { description: 'The updated enrollment.', schema: dataOf(Enrollment) } },
      errors: { 404: ['not_found'], 409: ['enrollment_changed', 'enrollment_removed'], 410: ['creator_erased'] },
    }),
    valid('json', enrollmentChange),
    async (c) => {
      const { brandId, keyId } = c.var.admin;
      const row = await updateEnrollment(c.env.DB, brandId, c.req.param('id'), c.req.valid('json'), { type: 'api_key', id: keyId });
      if (!row) throw notFound('enrollment');
      return c.json({ data: enrollmentView(row, await standingOf(c.env.DB, row.brandId, row.creatorId)) });
    },
  )
  .post(
    '/:id/adjustments',
    op({
      summary: "Adjust a creator's earnings",
      description:
        "A bonus (a positive amount) or a correction (a negative one: a fee paid twice), on this enrollment's ledger with your reason, which the creator sees on their Earnings page and is emailed (once, when it is made). It counts in your brand's current month and is paid with that month's payouts, once the month has ended and is closed (a negative one is taken from what the creator is paid). Only for a creator who has accepted your brand (409 `creator_not_accepted`). Entries are never edited: correct an adjustment with another. The `Idempotency-Key` header is required and makes the adjustment once, for good: the same key again answers the same adjustment, with another amount or note 409 `idempotency_conflict`.",
      params: { id: 'The enrollment id.' },
      example: { amountMinor: 5_000, note: 'Thank you: the reel did twice the usual reach.' },
      responses: { 201: { description: 'The adjustment.', schema: dataOf(Adjustment) } },
      errors: { 400: ['idempotency_key_required'], 404: ['not_found'], 409: ['creator_not_accepted', 'idempotency_conflict'], 410: ['creator_erased'], 503: ['public_origin_unset'] },
    }),
    valid('json', adjustmentBody),
    async (c) => {
      const { brandId, keyId } = c.var.admin;
      // The key is the entry's own (its event key), so it makes the adjustment once for good, not only while
      // the middleware keeps the answer.
      const key = c.req.header('idempotency-key');
      if (!key) throw new ApiError(400, 'idempotency_key_required', 'Send an Idempotency-Key header: an adjustment is money, and a retry without one would pay twice.');
      const origin = mailLinkOrigin(c);
      const made = await addAdjustment(c.env.DB, brandId, c.req.param('id'), c.req.valid('json'), `api:${key}`, { type: 'api_key', id: keyId });
      if (!made) throw notFound('enrollment');
      tellAdjustment(c, made, origin);
      return c.json({ data: made.adjustment }, 201);
    },
  );

// The creator hears of a bonus or a correction once, when it is made: the amount, the brand's reason, and when
// it is paid, as their Earnings page says it. `origin`: mailOrigin's, checked before the adjustment was made.
export function tellAdjustment(c: { env: Env; executionCtx: Pick<ExecutionContext, 'waitUntil'> }, made: AdjustmentMade, origin: string): void {
  if (!made.tell) return;
  const { adjustment: a, tell } = made;
  const amount = formatMoney(Math.abs(a.amountMinor), a.currency);
  const earnings = `Your earnings: ${origin}/earnings`;
  const message =
    a.amountMinor > 0
      ? { to: tell.to, subject: `${tell.brandName} added ${amount} to your earnings`, text: `Their note:\n${a.note}\n\n${paidAtClose(tell.brandName, a.period, tell.minPayoutMinor, a.currency)} ${earnings}` }
      : {
          to: tell.to,
          subject: `${tell.brandName} corrected your earnings by −${amount}`,
          text: `Their reason:\n${a.note}\n\nIt counts in ${formatPeriod(a.period)} and is taken from what ${tell.brandName} pays you when it closes that month${laterCloseUnderMinimum(tell.minPayoutMinor, a.currency)}. Ask them if you think it is wrong. ${earnings}`,
        };
  noticeAfterResponse(c.executionCtx, c.env, message, 'adjustment_notice_failed');
}
