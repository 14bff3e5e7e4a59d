// Commission plans in the console (/console/plans): the brand's plans with the campaigns using each, and a form
// for a new one (owners and managers) checked by the admin API's own rules (routes/admin/plans.ts).
import { Hono } from 'hono';
import type { Flash } from '../../../../portal/console/layout';
import { emptyPlanForm, PLAN_FORM_TIERS, PlansPage, type PlanFormValues, type PlanListed } from '../../../../portal/console/plans';
import { formatMoney } from '../../../../portal/format';
import type { CommissionTier, PerformanceBonus } from '../../../db/schema';
import { formatAmount, typedAmountToMinor } from '../../../domain/store-payloads';
import { auditIfChanged } from '../../../db/audit';
import { ApiError, notFound } from '../../../lib/errors';
import { addPlan, createPlan } from '../../admin/plans';
import { viewerOf } from './campaigns';
import { canWrite, flashOf, readForm, renderPage, withFlash, type ConsoleContext, type ConsoleEnv } from './context';
import { awaitingReview } from './queries';

export const planRoutes = new Hono<ConsoleEnv>();

const FLASH: Record<string, Flash> = {
  created: { tone: 'success', text: 'Plan created. Pick it on a campaign’s page to price its creators’ sales with it.' },
  deleted: { tone: 'success', text: 'Plan deleted.' },
};

type PlanRecord = { id: string; name: string; period: string; tiers: string; bonus: string | null; campaigns: string };

async function listPlans(db: D1Database, brandId: string): Promise<PlanListed[]> {
  const { results } = await db
    .prepare(
      `SELECT p.id, p.name, p.period, p.tiers, p.bonus,
         (SELECT json_group_array(json_object('id', c.id, 'name', c.name)) FROM campaigns c WHERE c.brand_id = p.brand_id AND c.commission_plan_id = p.id) AS campaigns
       FROM commission_plans p WHERE p.brand_id = ? ORDER BY p.created_at DESC, p.id`,
    )
    .bind(brandId)
    .all<PlanRecord>();
  return results.map((r) => ({
    id: r.id,
    name: r.name,
    period: r.period,
    tiers: JSON.parse(r.tiers) as CommissionTier[],
    bonus: r.bonus === null ? null : (JSON.parse(r.bonus) as PerformanceBonus),
    campaigns: JSON.parse(r.campaigns) as { id: string; name: string }[],
  }));
}

async function renderPlans(c: ConsoleContext, extras: { values?: PlanFormValues; errors?: string[]; copiedFrom?: string } = {}, status: 200 | 409 | 422 = 200) {
  const { brandId } = c.var.user;
  const [plans, toReview] = await Promise.all([listPlans(c.env.DB, brandId), awaitingReview(c.env.DB, brandId)]);
  return renderPage(
    c,
    <PlansPage viewer={viewerOf(c)} canWrite={canWrite(c.var.user)} plans={plans} values={extras.values ?? emptyPlanForm()} copiedFrom={extras.copiedFrom} flash={flashOf(FLASH, c)} errors={extras.errors} toReview={toReview} />,
    status,
  );
}

// `?from=<plan>`: the new-plan form filled in from one of the brand's plans, to change a rate or a tier without
// typing the rest again (a plan is not edited: what creators earned was priced by it).
planRoutes.get('/plans', async (c) => {
  const from = c.req.query('from');
  if (from === undefined || !canWrite(c.var.user)) return renderPlans(c);
  const plan = await c.env.DB.prepare('SELECT name, period, tiers, bonus FROM commission_plans WHERE id = ? AND brand_id = ?').bind(from, c.var.user.brandId).first<Omit<PlanRecord, 'id' | 'campaigns'>>();
  if (!plan) throw notFound('plan');
  // One made through the API may have more tiers than the form's rows: a copy would drop the top ones.
  const tiers = (JSON.parse(plan.tiers) as CommissionTier[]).length;
  if (tiers > PLAN_FORM_TIERS) return renderPlans(c, { errors: [`“${plan.name}” has ${tiers} tiers and this form takes ${PLAN_FORM_TIERS}, so it can’t be copied here: make its successor through the admin API.`] }, 409);
  return renderPlans(c, { values: formFromPlan(plan, c.var.user.currency), copiedFrom: plan.name });
});

// 1250 → "12.5", 1000 → "10": basis points as the rate field takes them, in integers.
const percentText = (bps: number) => `${Math.floor(bps / 100)}${bps % 100 === 0 ? '' : `.${String(bps % 100).padStart(2, '0').replace(/0$/, '')}`}`;

// A plan as the form shows it: amounts as typed ("1000.00"), rates in percent ("12.5"), five rows.
function formFromPlan(plan: Omit<PlanRecord, 'id' | 'campaigns'>, currency: string): PlanFormValues {
  const tiers = JSON.parse(plan.tiers) as CommissionTier[];
  const bonus = plan.bonus === null ? null : (JSON.parse(plan.bonus) as PerformanceBonus);
  const row = (i: number, pick: (t: CommissionTier) => string) => (tiers[i] ? pick(tiers[i]) : '');
  return {
    name: `${plan.name} (new)`.slice(0, 80),
    period: plan.period,
    from: Array.from({ length: PLAN_FORM_TIERS }, (_, i) => (i === 0 ? '0' : row(i, (t) => formatAmount(t.fromMinor, currency)))),
    rate: Array.from({ length: PLAN_FORM_TIERS }, (_, i) => row(i, (t) => percentText(t.rateBps))),
    bonusThreshold: bonus ? formatAmount(bonus.thresholdMinor, currency) : '',
    bonusAmount: bonus ? formatAmount(bonus.amountMinor, currency) : '',
  };
}

// "10", "12.5" or "12,5" percent as basis points; null for anything else.
function percentToBps(text: string): number | null {
  const m = /^(\d{1,3})(?:[.,](\d{1,2}))?$/.exec(text);
  if (!m) return null;
  const bps = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  return bps <= 10_000 ? bps : null;
}

const MAX_PLAN_AMOUNT = 100_000_000_000;

// The form's fields as the API's body, with one plain sentence per problem.
function readPlan(values: PlanFormValues, currency: string): { input: unknown; errors: string[] } {
  const errors: string[] = [];
  const amount = (text: string) => {
    const minor = typedAmountToMinor(text, currency);
    return minor !== null && minor <= MAX_PLAN_AMOUNT ? minor : null;
  };
  const tiers: CommissionTier[] = [];
  for (let i = 0; i < PLAN_FORM_TIERS; i++) {
    const from = i === 0 ? '0' : (values.from[i] ?? '');
    const rate = values.rate[i] ?? '';
    if (i > 0 && from === '' && rate === '') continue;
    const fromMinor = amount(from);
    const rateBps = percentToBps(rate);
    if (fromMinor === null) errors.push(`Tier ${i + 1}: the net sales it starts from is a plain amount in ${currency}, like 1000 or 1000.00.`);
    if (rateBps === null) errors.push(`Tier ${i + 1}: the commission is a percentage from 0 to 100, like 10 or 12.5.`);
    if (fromMinor !== null && rateBps !== null) {
      const before = tiers.at(-1);
      if (before && fromMinor <= before.fromMinor) errors.push(`Tier ${i + 1} must start above ${formatMoney(before.fromMinor, currency)}, where the tier before it starts.`);
      else tiers.push({ fromMinor, rateBps });
    }
  }
  let bonus: PerformanceBonus | null = null;
  if (values.bonusAmount !== '' || values.bonusThreshold !== '') {
    const amountMinor = amount(values.bonusAmount);
    const thresholdMinor = amount(values.bonusThreshold);
    if (amountMinor === null || thresholdMinor === null || amountMinor === 0) errors.push(`The bonus needs both amounts in ${currency}: the bonus (more than 0) and the net sales that earn it. Leave both empty for no bonus.`);
    else bonus = { amountMinor, thresholdMinor };
  }
  return { input: { name: values.name.trim(), period: values.period, tiers, bonus }, errors };
}

planRoutes.post('/plans', async (c) => {
  const form = await readForm(c);
  const padded = (list: string[]) => Array.from({ length: PLAN_FORM_TIERS }, (_, i) => (list[i] ?? '').trim().slice(0, 32));
  const values: PlanFormValues = {
    name: form.get('name').slice(0, 200),
    period: form.get('period') === 'lifetime' ? 'lifetime' : 'month',
    from: padded(form.all('from')),
    rate: padded(form.all('rate')),
    bonusThreshold: form.get('bonusThreshold').trim().slice(0, 32),
    bonusAmount: form.get('bonusAmount').trim().slice(0, 32),
  };
  const { input, errors } = readPlan(values, c.var.user.currency);
  const parsed = createPlan.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.path[0] === 'name') errors.push(values.name.trim() === '' ? 'Give the plan a name.' : 'The name is up to 80 characters, on one line.');
    }
  }
  if (!parsed.success || errors.length > 0) return renderPlans(c, { values, errors: errors.length > 0 ? [...new Set(errors)] : ['Check the tiers: each starts higher than the one before.'] }, 422);
  try {
    const plan = await addPlan(c.env.DB, c.var.user.brandId, parsed.data, { actorType: 'admin_user', actorId: c.var.user.id });
    return c.redirect(`${withFlash('/console/plans', 'created')}#${plan.id}`, 303);
  } catch (e) {
    if (e instanceof ApiError && e.status === 409) return renderPlans(c, { values, errors: [e.message] }, 409);
    throw e;
  }
});

// A plan no campaign uses can go (a typo, an offer never made): nothing else refers to one, since conversions
// keep the tier and rate they were priced at. One a campaign picked meanwhile stays, in the same statement.
planRoutes.post('/plans/:id/delete', async (c) => {
  const { brandId, id: actorId } = c.var.user;
  const id = c.req.param('id');
  const now = Date.now();
  const [deleted] = await c.env.DB.batch([
    c.env.DB.prepare('DELETE FROM commission_plans WHERE id = ? AND brand_id = ? AND NOT EXISTS (SELECT 1 FROM campaigns WHERE brand_id = ? AND commission_plan_id = ?)').bind(id, brandId, brandId, id),
    auditIfChanged(c.env.DB, { brandId, actorType: 'admin_user', actorId, action: 'plan.deleted', targetType: 'commission_plan', targetId: id }, now),
  ]);
  if (deleted!.meta.changes === 0) {
    const exists = await c.env.DB.prepare('SELECT 1 AS ok FROM commission_plans WHERE id = ? AND brand_id = ?').bind(id, brandId).first();
    if (!exists) throw notFound('plan');
    return renderPlans(c, { errors: ['A campaign uses this plan, so it stays. Pick another plan on that campaign first.'] }, 409);
  }
  return c.redirect(withFlash('/console/plans', 'deleted'), 303);
});
