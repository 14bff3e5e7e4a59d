import { and, eq, ne } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { auditRow, writeAudited } from '../../db/audit';
import { codeHolderMap, codeHoldersStatement, type CodeHolder } from '../../db/discount-codes';
import { checkedEq, database } from '../../db/client';
import { auditLog, brandCreators, campaigns, discountCodes, enrollments } from '../../db/schema';
import { codeFromPattern, normalizeCode } from '../../domain/codes';
import type { AppEnv } from '../../env';
import { ApiError, notFound } from '../../lib/errors';
import { newId } from '../../lib/ids';
import { newestFirst, pageOf, pageParams } from '../../lib/cursor';
import { iso, valid } from '../../lib/validate';
import { forgetCode } from '../codes';
import { routeDescriber } from '../../openapi/registry';
import { BulkCodesResult, dataOf, DiscountCode, pagedListOf } from '../../openapi/schemas';

const id = z.string().min(1).max(64);
const isoDate = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));

const discount = {
  discountType: z.enum(['percent', 'fixed']),
  discountValue: z.int().min(1).max(100_000_000),
  maxRedemptions: z.int().min(1).max(10_000_000).nullable().default(null),
  startsAt: isoDate.nullable().default(null),
  endsAt: isoDate.nullable().default(null),
};

const percentInRange = (d: { discountType: string; discountValue: number }) => d.discountType !== 'percent' || d.discountValue <= 100;
// A code whose window closes before it opens could never be redeemed; the brand would hear it from shoppers.
const windowOpens = (d: { startsAt: number | null; endsAt: number | null }) => d.startsAt === null || d.endsAt === null || d.endsAt > d.startsAt;
const discountRules = <T extends z.ZodType<{ discountType: string; discountValue: number; startsAt: number | null; endsAt: number | null }>>(schema: T) =>
  schema.refine(percentInRange, { message: 'a percent discount is at most 100', path: ['discountValue'] }).refine(windowOpens, { message: 'endsAt must be after startsAt', path: ['endsAt'] });

const createCode = discountRules(z.strictObject({ enrollmentId: id, code: z.string().max(256), ...discount }));
const bulkCodes = discountRules(z.strictObject({ campaignId: id, pattern: z.string().min(1).max(64).includes('{HANDLE}'), ...discount }));
const updateCode = z.strictObject({ status: z.enum(['active', 'disabled']) });
const listQuery = z.strictObject({ enrollmentId: id.optional(), ...pageParams });

type CodeRow = typeof discountCodes.$inferSelect;

const codeView = (d: CodeRow) => ({
  id: d.id,
  enrollmentId: d.enrollmentId,
  code: d.code,
  discountType: d.discountType,
  discountValue: d.discountValue,
  maxRedemptions: d.maxRedemptions,
  redemptions: d.redemptions,
  startsAt: iso(d.startsAt),
  endsAt: iso(d.endsAt),
  status: d.status,
  createdAt: iso(d.createdAt),
});

function invalidCode(raw: string): ApiError {
  return new ApiError(422, 'invalid_code', 'Codes are 3-32 characters of A-Z, 0-9, _ and - after normalization.', { code: raw.slice(0, 64) });
}

const op = routeDescriber({ tag: 'Discount codes', auth: 'adminKey' });

export const codeRoutes = new Hono<AppEnv>()
  .get(
    '/',
    op({ summary: 'List discount codes', description: 'Newest first, a page at a time (`limit`, then `cursor` from `nextCursor`); filter by enrollment.', responses: { 200: { description: 'The brand\'s codes.', schema: pagedListOf(DiscountCode) } } }),
    valid('query', listQuery),
    async (c) => {
      const { enrollmentId, limit, cursor } = c.req.valid('query');
      const keyset = newestFirst(discountCodes.createdAt, discountCodes.id, cursor);
      const rows = await database(c.env.DB)
        .select()
        .from(discountCodes)
        .where(and(enrollmentId ? checkedEq(discountCodes.brandId, c.var.admin.brandId) : eq(discountCodes.brandId, c.var.admin.brandId), enrollmentId ? eq(discountCodes.enrollmentId, enrollmentId) : undefined, keyset.after))
        .orderBy(...keyset.order)
        .limit(limit + 1);
      const page = pageOf(rows, limit, (d) => ({ at: d.createdAt, id: d.id }));
      return c.json({ data: page.rows.map(codeView), hasMore: page.hasMore, nextCursor: page.nextCursor });
    },
  )
  .post(
    '/',
    op({
      summary: 'Create a discount code',
      description: 'Codes are normalized (upper case, 3-32 characters of A-Z, 0-9, _ and -) and unique per brand. A code beats a click when both point at an order.',
      example: { enrollmentId: 'enr_Q2x7vLr9TkPa4mBc', code: 'SARAH15', discountType: 'percent', discountValue: 15, maxRedemptions: 500 },
      responses: { 201: { description: 'Created.', schema: dataOf(DiscountCode) } },
      errors: { 404: ['not_found'], 409: ['code_taken'], 422: ['invalid_code'] },
    }),
    valid('json', createCode),
    async (c) => {
      const { code: raw, enrollmentId, ...terms } = c.req.valid('json');
      const { brandId, keyId } = c.var.admin;
      const code = normalizeCode(raw);
      if (!code) throw invalidCode(raw);
      const db = database(c.env.DB);
      const enrollment = await db.query.enrollments.findFirst({ where: and(eq(enrollments.id, enrollmentId), eq(enrollments.brandId, brandId)) });
      if (!enrollment) throw notFound('enrollment');
      const now = Date.now();
      const row: CodeRow = { id: newId('dc'), brandId, enrollmentId, code, ...terms, redemptions: 0, status: 'active', createdAt: now };
      await writeAudited(db, db.insert(discountCodes).values(row), { brandId, actorType: 'api_key', actorId: keyId, action: 'code.created', targetType: 'discount_code', targetId: row.id }, now, () =>
        new ApiError(409, 'code_taken', 'This brand already has that code.'),
      );
      forgetCode(brandId, code);
      return c.json({ data: codeView(row) }, 201);
    },
  )
  .post(
    '/bulk',
    op({
      summary: 'Create codes for a whole campaign',
      description:
        "One code per enrollment (removed creators excepted) from a pattern such as `{HANDLE}15` (an enrollment may hold codes from several patterns). Re-running it creates only what is missing. A code another creator of the brand already holds is not created: `taken` lists who is left without one.",
      example: { campaignId: 'cmp_Q2x7vLr9TkPa4mBc', pattern: '{HANDLE}15', discountType: 'percent', discountValue: 15 },
      responses: { 201: { description: 'What was created, skipped, or could not be made.', schema: dataOf(BulkCodesResult) } },
      errors: { 404: ['not_found'] },
    }),
    valid('json', bulkCodes),
    async (c) => {
      const { campaignId, pattern, ...terms } = c.req.valid('json');
      const { brandId, keyId } = c.var.admin;
      const db = database(c.env.DB);
      const campaign = await db.query.campaigns.findFirst({ where: and(eq(campaigns.id, campaignId), eq(campaigns.brandId, brandId)) });
      if (!campaign) throw notFound('campaign');
      const roster = await db
        .select({ enrollmentId: enrollments.id, handle: brandCreators.handle })
        .from(enrollments)
        .innerJoin(brandCreators, and(eq(brandCreators.brandId, enrollments.brandId), eq(brandCreators.creatorId, enrollments.creatorId)))
        // A removed creator gets no new code: it could never be redeemed, and it would hold the code's name.
        .where(and(eq(enrollments.campaignId, campaignId), checkedEq(enrollments.brandId, brandId), ne(enrollments.status, 'removed')));
      const now = Date.now();
      const invalid: { enrollmentId: string; handle: string }[] = [];
      const rows: CodeRow[] = [];
      for (const r of roster) {
        const code = codeFromPattern(pattern, r.handle);
        if (!code) invalid.push(r);
        else rows.push({ id: newId('dc'), brandId, enrollmentId: r.enrollmentId, code, ...terms, redemptions: 0, status: 'active', createdAt: now });
      }
      let created = 0;
      // D1 caps a statement at 100 bound parameters: insert in chunks of 8 rows (12 columns each).
      for (let i = 0; i < rows.length; i += 8) {
        const inserted = await db.insert(discountCodes).values(rows.slice(i, i + 8)).onConflictDoNothing().returning({ id: discountCodes.id });
        created += inserted.length;
      }
      // A code not written is either this enrollment's already (skipped) or another creator's (taken): the
      // brand is told which creators are left without one.
      const holders = new Map<string, CodeHolder>();
      for (let i = 0; i < rows.length; i += 90) {
        for (const [code, holder] of codeHolderMap(await codeHoldersStatement(c.env.DB, brandId, rows.slice(i, i + 90).map((r) => r.code)).all())) holders.set(code, holder);
      }
      const handles = new Map(roster.map((r) => [r.enrollmentId, r.handle]));
      const taken = rows.filter((r) => holders.get(r.code)?.enrollmentId !== r.enrollmentId).map((r) => ({ enrollmentId: r.enrollmentId, handle: handles.get(r.enrollmentId)!, code: r.code }));
      await db.insert(auditLog).values(auditRow({ brandId, actorType: 'api_key', actorId: keyId, action: 'code.bulk_created', targetType: 'campaign', targetId: campaignId, details: { pattern, created } }, now));
      return c.json({ data: { created, skipped: rows.length - created - taken.length, taken, invalid } }, 201);
    },
  )
  .patch(
    '/:id',
    op({
      summary: 'Enable or disable a discount code',
      params: { id: 'The discount code id.' },
      example: { status: 'disabled' },
      responses: { 200: { description: 'The updated code.', schema: dataOf(DiscountCode) } },
      errors: { 404: ['not_found'] },
    }),
    valid('json', updateCode),
    async (c) => {
      const { status } = c.req.valid('json');
      const { brandId, keyId } = c.var.admin;
      const db = database(c.env.DB);
      const where = and(eq(discountCodes.id, c.req.param('id')), eq(discountCodes.brandId, brandId));
      const existing = await db.query.discountCodes.findFirst({ where });
      if (!existing) throw notFound('discount code');
      const now = Date.now();
      await db.batch([
        db.update(discountCodes).set({ status }).where(where),
        db.insert(auditLog).values(auditRow({ brandId, actorType: 'api_key', actorId: keyId, action: `code.${status === 'active' ? 'enabled' : 'disabled'}`, targetType: 'discount_code', targetId: existing.id }, now)),
      ]);
      forgetCode(brandId, existing.code);
      return c.json({ data: codeView({ ...existing, status }) });
    },
  );
