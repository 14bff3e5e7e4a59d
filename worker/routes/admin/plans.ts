import { desc, eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { writeAudited } from '../../db/audit';
import { database } from '../../db/client';
import { commissionPlans } from '../../db/schema';
import { validTiers } from '../../domain/commission';
import type { AppEnv } from '../../env';
import { newId } from '../../lib/ids';
import { iso, plainText, valid } from '../../lib/validate';
import { routeDescriber } from '../../openapi/registry';
import { CommissionPlan, dataOf, listOf } from '../../openapi/schemas';

const minor = z.int().min(0).max(100_000_000_000);

const createPlan = z
  .strictObject({
    name: plainText(80).min(1),
    period: z.enum(['month', 'lifetime']).default('month'),
    tiers: z.array(z.strictObject({ fromMinor: minor, rateBps: z.int().min(0).max(10_000) })).min(1).max(10),
    bonus: z.strictObject({ thresholdMinor: minor, amountMinor: minor }).nullable().default(null),
  })
  .refine((p) => validTiers(p.tiers), { message: 'tiers must start at 0 and rise strictly', path: ['tiers'] });

type PlanRow = typeof commissionPlans.$inferSelect;

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
        "Tiers by the creator's attributed net revenue in the period (`month` in the brand's timezone, or `lifetime`), in minor units; `rateBps` is basis points (1000 = 10%). Tiers start at 0 and rise strictly. A conversion earns the rate of the tier reached when it lands. A `hybrid` creator earns the bonus once per period, when their net revenue reaches its threshold.",
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
    }),
    valid('json', createPlan),
    async (c) => {
      const input = c.req.valid('json');
      const { brandId, keyId } = c.var.admin;
      const db = database(c.env.DB);
      const now = Date.now();
      const row: PlanRow = { id: newId('plan'), brandId, ...input, createdAt: now };
      await writeAudited(db, db.insert(commissionPlans).values(row), { brandId, actorType: 'api_key', actorId: keyId, action: 'plan.created', targetType: 'commission_plan', targetId: row.id }, now);
      return c.json({ data: planView(row) }, 201);
    },
  );
