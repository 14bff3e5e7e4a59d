import { desc, eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { auditIfChanged, type AuditInput } from '../../db/audit';
import { database } from '../../db/client';
import { commissionPlans } from '../../db/schema';
import { validTiers } from '../../domain/commission';
import type { AppEnv } from '../../env';
import { ApiError } from '../../lib/errors';
import { newId } from '../../lib/ids';
import { iso, plainText, valid } from '../../lib/validate';
import { routeDescriber } from '../../openapi/registry';
import { CommissionPlan, dataOf, listOf } from '../../openapi/schemas';

const minor = z.int().min(0).max(100_000_000_000);

export const createPlan = z
  .strictObject({
    name: plainText(80).min(1),
    period: z.enum(['month', 'lifetime']).default('month'),
    tiers: z.array(z.strictObject({ fromMinor: minor, rateBps: z.int().min(0).max(10_000) })).min(1).max(10),
    bonus: z.strictObject({ thresholdMinor: minor, amountMinor: minor.min(1) }).nullable().default(null),
  })
  .refine((p) => validTiers(p.tiers), { message: 'tiers must start at 0 and rise strictly', path: ['tiers'] });

export type PlanInput = z.output<typeof createPlan>;
type PlanRow = typeof commissionPlans.$inferSelect;

// One plan per name in a brand, in any case (two "Standard" plans in the campaign form's list could not be told apart):
// the insert checks the name in the same statement, so a double-clicked form adds one.
export async function addPlan(db: D1Database, brandId: string, input: PlanInput, actor: Pick<AuditInput, 'actorType' | 'actorId'>): Promise<PlanRow> {
  const row: PlanRow = { id: newId('plan'), brandId, ...input, createdAt: Date.now() };
  const [insert] = await db.batch([
    db
      .prepare(
        `INSERT INTO commission_plans (id, brand_id, name, period, tiers, bonus, created_at)
         SELECT ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM commission_plans WHERE brand_id = ? AND lower(name) = lower(?))`,
      )
      .bind(row.id, brandId, row.name, row.period, JSON.stringify(row.tiers), row.bonus === null ? null : JSON.stringify(row.bonus), row.createdAt, brandId, row.name),
    auditIfChanged(db, { brandId, ...actor, action: 'plan.created', targetType: 'commission_plan', targetId: row.id }, row.createdAt),
  ]);
  if (!insert?.meta.changes) throw new ApiError(409, 'plan_name_taken', `You already have a commission plan named “${row.name}”. Choose another name.`);
  return row;
}

const planView = (p: PlanRow) => ({ id: p.id, name: p.name, period: p.period, tiers: p.tiers, bonus: p.bonus, createdAt: iso(p.createdAt) });

const op = routeDescriber({ tag: 'Commission plans', auth: 'adminKey' });

export const planRoutes = new Hono<AppEnv>()
  .get('/', op({ summary: 'List commission plans', description: 'Newest first.', responses: { 200: { description: "The brand's plans.", schema: listOf(CommissionPlan) } } }), async (c) => {
    const rows = await database(c.env.DB).select().from(commissionPlans).where(eq(commissionPlans.brandId, c.var.admin.brandId)).orderBy(desc(commissionPlans.createdAt));
    return c.json({ data: rows.map(planView) });
  })
  .post(
    '/',
    op({
      summary: 'Create a commission plan',
      description:
        "Tiers by the creator's attributed net revenue in the period (`month` in the brand's timezone, or `lifetime`), in minor units; `rateBps` is basis points (1000 = 10%). Tiers start at 0 and rise strictly. Names are unique within the brand (409 `plan_name_taken`). A conversion earns the rate of the tier reached when it lands. A refund counts against the period of the order it refunds. A `hybrid` creator earns the bonus once per period, when their net revenue reaches its threshold; refunds that bring it back below take the bonus back.",
      example: {
        name: 'Standard',
        period: 'month',
        tiers: [
          { fromMinor: 0, rateBps: 1000 },
          { fromMinor: 100000, rateBps: 1500 },
          { fromMinor: 500000, rateBps: 2000 },
        ],
        bonus: { thresholdMinor: 500000, amountMinor: 20000 },
      },
      responses: { 201: { description: 'Created.', schema: dataOf(CommissionPlan) } },
      errors: { 409: ['plan_name_taken'] },
    }),
    valid('json', createPlan),
    async (c) => {
      const { brandId, keyId } = c.var.admin;
      const row = await addPlan(c.env.DB, brandId, c.req.valid('json'), { actorType: 'api_key', actorId: keyId });
      return c.json({ data: planView(row) }, 201);
    },
  );
