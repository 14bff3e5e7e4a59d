import { and, eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { writeAudited } from '../../db/audit';
import { database } from '../../db/client';
import { brandCreators, campaigns, enrollments, enrollmentStatuses, paymentModels } from '../../db/schema';
import type { AppEnv } from '../../env';
import { ApiError, notFound } from '../../lib/errors';
import { newId } from '../../lib/ids';
import { newestFirst, pageOf, pageParams } from '../../lib/cursor';
import { iso, valid } from '../../lib/validate';
import { CREATOR_FIELDS } from '../../domain/creator-import';
import { routeDescriber } from '../../openapi/registry';
import { dataOf, Enrollment, pagedListOf } from '../../openapi/schemas';

const id = z.string().min(1).max(64);

const createEnrollment = z.strictObject({
  campaignId: id,
  creatorId: id,
  paymentModel: z.enum(paymentModels),
  flatFeeMinor: z.int().min(0).max(100_000_000).default(0),
  briefSection: CREATOR_FIELDS.briefSection.default(''),
  status: z.enum(enrollmentStatuses).default('invited'),
}).refine((e) => (e.paymentModel !== 'flat' && e.paymentModel !== 'hybrid') || e.flatFeeMinor > 0, {
  path: ['flatFeeMinor'],
  message: 'A flat or hybrid enrollment needs a flat fee (the roster import asks the same).',
});

const listQuery = z.strictObject({ campaignId: id.optional(), ...pageParams });

type EnrollmentRow = typeof enrollments.$inferSelect;

export function enrollmentView(e: EnrollmentRow) {
  return {
    id: e.id,
    campaignId: e.campaignId,
    creatorId: e.creatorId,
    paymentModel: e.paymentModel,
    flatFeeMinor: e.flatFeeMinor,
    briefSection: e.briefSection,
    status: e.status,
    createdAt: iso(e.createdAt),
  };
}

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
        .where(and(eq(enrollments.brandId, c.var.admin.brandId), campaignId ? eq(enrollments.campaignId, campaignId) : undefined, keyset.after))
        .orderBy(...keyset.order)
        .limit(limit + 1);
      const page = pageOf(rows, limit, (e) => ({ at: e.createdAt, id: e.id }));
      return c.json({ data: page.rows.map(enrollmentView), hasMore: page.hasMore, nextCursor: page.nextCursor });
    },
  )
  .post(
    '/',
    op({
      summary: 'Enroll a creator in a campaign',
      description: 'The creator must be on the roster. The payment model decides what the creator earns: `affiliate` commission, a `flat` fee per live post, `hybrid` (both, plus the plan\'s performance bonus) or `product` only. `briefSection` is the creator-specific part of the brief.',
      example: { campaignId: 'cmp_Q2x7vLr9TkPa4mBc', creatorId: 'cr_Q2x7vLr9TkPa4mBc', paymentModel: 'affiliate', briefSection: 'Your morning routine, before coffee.', status: 'active' },
      responses: { 201: { description: 'Enrolled.', schema: dataOf(Enrollment) } },
      errors: { 404: ['not_found'], 409: ['already_enrolled'] },
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
      const now = Date.now();
      const row: EnrollmentRow = { id: newId('enr'), brandId, ...input, createdAt: now };
      await writeAudited(db, db.insert(enrollments).values(row), { brandId, actorType: 'api_key', actorId: keyId, action: 'enrollment.created', targetType: 'enrollment', targetId: row.id }, now, () =>
        new ApiError(409, 'already_enrolled', 'This creator is already enrolled in that campaign.'),
      );
      return c.json({ data: enrollmentView(row) }, 201);
    },
  );
