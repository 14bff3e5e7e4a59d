// Commission plans: what creators earn on the sales they bring, by tier, and the hybrid bonus. The admin API's
// POST /api/admin/commission-plans as a form; a campaign picks its plan on its brief page.
import type { FC } from 'hono/jsx';
import type { CommissionTier, PerformanceBonus } from '../../worker/db/schema';
import { formatMoney, formatPercent } from '../format';
import { ConsolePage, Errors, FlashNotice, type Flash, type Viewer } from './layout';

export type PlanListed = { id: string; name: string; period: string; tiers: CommissionTier[]; bonus: PerformanceBonus | null; campaigns: { id: string; name: string }[] };

// Five tier rows are the form's (the API takes ten); the first starts at 0.
export const PLAN_FORM_TIERS = 5;
export type PlanFormValues = { name: string; period: string; from: string[]; rate: string[]; bonusThreshold: string; bonusAmount: string };

export const emptyPlanForm = (): PlanFormValues => ({ name: '', period: 'month', from: ['0', '', '', '', ''], rate: ['', '', '', '', ''], bonusThreshold: '', bonusAmount: '' });

const periodLabel = (period: string) => (period === 'lifetime' ? 'Lifetime' : 'Monthly');
const salesIn = (period: string) => (period === 'lifetime' ? 'net sales so far' : 'net sales in the month');

const PlanCard: FC<{ plan: PlanListed; currency: string; canWrite: boolean }> = ({ plan, currency, canWrite }) => (
  <section class="card stack" id={plan.id} aria-labelledby={`${plan.id}-h`}>
    <div class="campaign-row-head">
      <h2 id={`${plan.id}-h`}>{plan.name}</h2>
      <span class="badge badge-invited">{periodLabel(plan.period)}</span>
    </div>
    <ol class="tier-list" aria-label="Tiers">
      {plan.tiers.map((t) => (
        <li>
          <strong>{formatPercent(t.rateBps)}</strong> {t.fromMinor === 0 ? 'from the first sale' : `once their ${salesIn(plan.period)} reach ${formatMoney(t.fromMinor, currency)}`}
        </li>
      ))}
    </ol>
    <p class="small">
      {plan.bonus
        ? `Hybrid creators also earn a ${formatMoney(plan.bonus.amountMinor, currency)} bonus once their ${salesIn(plan.period)} reach ${formatMoney(plan.bonus.thresholdMinor, currency)}${plan.period === 'lifetime' ? ', once' : ', once a month'}.`
        : 'No bonus for hybrid creators.'}
    </p>
    <p class="muted small">
      {plan.campaigns.length === 0 ? (
        'No campaign uses this plan.'
      ) : (
        <>
          Used by{' '}
          {plan.campaigns.map((c, i) => (
            <>
              {i > 0 ? ', ' : null}
              <a href={`/console/campaigns/${c.id}`}>{c.name}</a>
            </>
          ))}
          .
        </>
      )}
    </p>
    {canWrite && plan.tiers.length <= PLAN_FORM_TIERS ? (
      <p class="small">
        <a href={`/console/plans?from=${plan.id}#new-plan`}>
          Start a new plan from this one<span class="visually-hidden"> ({plan.name})</span>
        </a>
      </p>
    ) : null}
    {canWrite && plan.campaigns.length === 0 ? (
      <details class="decline">
        <summary class="button button-small button-quiet">Delete this plan…</summary>
        <form method="post" action={`/console/plans/${plan.id}/delete`} class="stack">
          <p class="small">Delete “{plan.name}”? No campaign uses it; nothing else changes.</p>
          <button type="submit" class="button button-small button-danger">
            Yes, delete {plan.name}
          </button>
        </form>
      </details>
    ) : null}
  </section>
);

const PlanForm: FC<{ values: PlanFormValues; currency: string; copiedFrom?: string | undefined }> = ({ values, currency, copiedFrom }) => (
  <section class="card" id="new-plan" aria-labelledby="new-plan-h">
    <h2 id="new-plan-h">{copiedFrom ? `New plan, from “${copiedFrom}”` : 'New plan'}</h2>
    {copiedFrom ? (
      <p class="small">
        Filled in from “{copiedFrom}”: change what you need, name it, and create it. Then pick it on the campaigns that should pay by it; “{copiedFrom}” stays as it is for what was already earned. <a href="/console/plans">Start empty instead</a>
      </p>
    ) : null}
    <p class="muted small">
      Each tier's rate applies to a whole order, by the tier the creator reaches with it. Amounts are in {currency}; rates in percent, like 10 or 12.5.
    </p>
    <form method="post" action="/console/plans" class="stack">
      <div class="two-fields">
        <div class="field">
          <label for="plan-name">Name</label>
          <input id="plan-name" name="name" type="text" required maxlength={80} value={values.name} placeholder="Standard" autocomplete="off" />
        </div>
        <fieldset class="field">
          <legend>Sales that count</legend>
          <div class="radios">
            <label class="radio">
              <input type="radio" name="period" value="month" checked={values.period !== 'lifetime'} /> Each month's sales
            </label>
            <label class="radio">
              <input type="radio" name="period" value="lifetime" checked={values.period === 'lifetime'} /> All sales so far
            </label>
          </div>
        </fieldset>
      </div>
      <fieldset class="field">
        <legend>Tiers</legend>
        <p class="hint" id="tiers-hint">
          Fill in as many rows as you need, each starting higher than the one before. Leave the rest empty.
        </p>
        <table class="tier-inputs">
          <thead>
            <tr>
              <th scope="col">Tier</th>
              <th scope="col">From net sales of</th>
              <th scope="col">Rate</th>
            </tr>
          </thead>
          <tbody>
            {Array.from({ length: PLAN_FORM_TIERS }, (_, i) => (
              <tr>
                <th scope="row">{i + 1}</th>
                <td>
                  {i === 0 ? (
                    <>
                      <input type="hidden" name="from" value="0" />
                      <span class="muted">0, the first sale</span>
                    </>
                  ) : (
                    <div class="input-suffix">
                      <input name="from" type="text" inputmode="decimal" maxlength={16} value={values.from[i] ?? ''} aria-label={`Tier ${i + 1} starts at net sales of`} aria-describedby="tiers-hint" autocomplete="off" />
                      <span>{currency}</span>
                    </div>
                  )}
                </td>
                <td>
                  <div class="input-suffix">
                    <input name="rate" type="text" inputmode="decimal" maxlength={6} value={values.rate[i] ?? ''} required={i === 0} aria-label={`Tier ${i + 1} commission in percent`} aria-describedby="tiers-hint" autocomplete="off" />
                    <span>%</span>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </fieldset>
      <fieldset class="field">
        <legend>Bonus for hybrid creators (optional)</legend>
        <div class="two-fields">
          <div class="field">
            <label for="bonus-amount">Bonus</label>
            <div class="input-suffix">
              <input id="bonus-amount" name="bonusAmount" type="text" inputmode="decimal" maxlength={16} value={values.bonusAmount} placeholder="200.00" autocomplete="off" />
              <span>{currency}</span>
            </div>
          </div>
          <div class="field">
            <label for="bonus-threshold">When their net sales reach</label>
            <div class="input-suffix">
              <input id="bonus-threshold" name="bonusThreshold" type="text" inputmode="decimal" maxlength={16} value={values.bonusThreshold} placeholder="5000.00" autocomplete="off" />
              <span>{currency}</span>
            </div>
          </div>
        </div>
      </fieldset>
      <p class="muted small">A plan is not edited once made (what creators already earned was priced by it): to change rates, create a plan and pick it on the campaign. One no campaign uses can be deleted.</p>
      <div>
        <button type="submit" class="button button-primary">
          Create plan
        </button>
      </div>
    </form>
  </section>
);

export const PlansPage: FC<{ viewer: Viewer; canWrite: boolean; plans: PlanListed[]; values: PlanFormValues; copiedFrom?: string | undefined; flash: Flash; errors?: string[]; toReview: number }> = ({ viewer, canWrite, plans, values, copiedFrom, flash, errors, toReview }) => {
  // The form comes first when it holds something to finish: what was refused, or a plan to start from.
  const formFirst = Boolean(errors?.length) || copiedFrom !== undefined;
  return (
  <ConsolePage title="Commission plans" viewer={viewer} section="campaigns" toReview={toReview}>
    <div class="page-head">
      <div>
        <p class="eyebrow">
          <a href="/console">Campaigns</a> <span aria-hidden="true">/</span> {viewer.brandName}
        </p>
        <h1 class="page-title">Commission plans</h1>
      </div>
      {canWrite && plans.length > 0 ? (
        <a class="button button-primary" href="#new-plan">
          New plan
        </a>
      ) : null}
    </div>
    <FlashNotice flash={flash} />
    <Errors errors={errors} />
    <p class="muted">
      What creators earn on the sales they bring: a rate by how much they have sold, and for hybrid creators a bonus on top of their flat fees. Each campaign uses one plan, picked on its page.
    </p>
    {canWrite && formFirst ? <PlanForm values={values} currency={viewer.currency} copiedFrom={copiedFrom} /> : null}
    {plans.length === 0 ? (
      <div class="card empty-state">
        <h2>No plans yet</h2>
        <p>{canWrite ? 'Create one with the form on this page, then pick it on a campaign.' : 'An owner or manager creates them.'} Without a plan a campaign pays flat fees or products only.</p>
      </div>
    ) : (
      plans.map((p) => <PlanCard plan={p} currency={viewer.currency} canWrite={canWrite} />)
    )}
    {canWrite && !formFirst ? <PlanForm values={values} currency={viewer.currency} /> : null}
  </ConsolePage>
  );
};
