// A campaign's Bounties tab: each bounty with its window, target, reward, who reached it and what it paid, and the
// form that adds one (owners and managers).
import type { FC } from 'hono/jsx';
import { BOUNTY_TITLE_MAX, type BountyRow } from '../../worker/db/bounties';
import { campaignEnded } from '../../worker/domain/codes';
import { countOf, formatDate, formatMoney } from '../format';
import { fieldDescribedBy, FieldProblem, invalidIn, type FormError } from '../layout';
import { CampaignHeader, ConsolePage, Errors, FlashNotice, Pager, WriteButton, type Flash, type Viewer } from './layout';

export type BountyFormValues = { title: string; metric: string; target: string; reward: string; startsOn: string; endsOn: string };

export const goalInWords = (b: Pick<BountyRow, 'metric' | 'target' | 'currency'>) => (b.metric === 'sales' ? countOf(b.target, 'sale') : `${formatMoney(b.target, b.currency)} in sales`);

export const CampaignBountiesPage: FC<{
  viewer: Viewer;
  canWrite: boolean;
  campaign: { id: string; name: string; status: string; hashtag: string; ends_at: number | null; holding_days: number };
  bounties: BountyRow[];
  values: BountyFormValues;
  formKey: string;
  errors?: FormError[];
  flash: Flash;
  toReview: number;
  now: number;
  pages: { newest: string | null; older: string | null };
}> = ({ viewer, canWrite, campaign, bounties, values, formKey, errors, flash, toReview, now, pages }) => {
  const ended = campaignEnded({ campaign_status: campaign.status, ends_at: campaign.ends_at }, now);
  const tz = viewer.timezone;
  return (
    <ConsolePage title={`${campaign.name} bounties`} viewer={viewer} section="campaigns" toReview={toReview}>
      <CampaignHeader campaign={campaign} tab="bounties" brandName={viewer.brandName} />
      <FlashNotice flash={flash} />
      <Errors errors={errors} />
      <div class={canWrite && !ended ? 'updates-layout' : undefined}>
        {canWrite && !ended ? (
          <section class="card post-update" aria-labelledby="new-bounty-h">
            <h2 id="new-bounty-h">New bounty</h2>
            <p class="small">
              A one-off reward for reaching a goal in this campaign, paid once to each creator who reaches it. Counted: their attributed orders in the window, not refunded in full, once they are past the campaign’s {campaign.holding_days}-day
              holding period (so no reward is paid on an order that may still be refunded). Checked every 15 minutes; the reward is an adjustment on their earnings, payable at once, and stays
              even if an order is refunded later.
            </p>
            <form method="post" action={`/console/campaigns/${campaign.id}/bounties`} class="stack">
              <input type="hidden" name="key" value={formKey} />
              <div class="field">
                <label for="title">Title</label>
                <input id="title" name="title" type="text" required maxlength={BOUNTY_TITLE_MAX} value={values.title} placeholder="Ten sales before New Year" aria-describedby={fieldDescribedBy('title', undefined, errors)} aria-invalid={invalidIn(errors, 'title')} />
                <FieldProblem id="title" errors={errors} />
              </div>
              <fieldset class="field">
                <legend>Goal</legend>
                <div class="bounty-goal">
                  <div class="field">
                    <label for="metric">What counts</label>
                    <select id="metric" name="metric" aria-describedby={fieldDescribedBy('metric', undefined, errors)} aria-invalid={invalidIn(errors, 'metric')}>
                      <option value="sales" selected={values.metric !== 'revenue'}>
                        Sales (orders)
                      </option>
                      <option value="revenue" selected={values.metric === 'revenue'}>
                        Revenue ({viewer.currency})
                      </option>
                    </select>
                  </div>
                  <div class="field">
                    <label for="target">Target</label>
                    <input id="target" name="target" type="text" inputmode="decimal" required value={values.target} placeholder="10" aria-describedby={fieldDescribedBy('target', 'target-hint', errors)} aria-invalid={invalidIn(errors, 'target')} />
                  </div>
                </div>
                <p id="target-hint" class="hint">
                  A number of sales, or an amount of net revenue in {viewer.currency}.
                </p>
                <FieldProblem id="metric" errors={errors} />
                <FieldProblem id="target" errors={errors} />
              </fieldset>
              <div class="field">
                <label for="reward">Reward ({viewer.currency})</label>
                <input id="reward" name="reward" type="text" inputmode="decimal" required value={values.reward} placeholder="50.00" aria-describedby={fieldDescribedBy('reward', undefined, errors)} aria-invalid={invalidIn(errors, 'reward')} />
                <FieldProblem id="reward" errors={errors} />
              </div>
              <div class="field">
                <label for="startsOn">First day</label>
                <input id="startsOn" name="startsOn" type="date" required value={values.startsOn} aria-describedby={fieldDescribedBy('startsOn', undefined, errors)} aria-invalid={invalidIn(errors, 'startsOn')} />
                <FieldProblem id="startsOn" errors={errors} />
              </div>
              <div class="field">
                <label for="endsOn">Last day</label>
                <input id="endsOn" name="endsOn" type="date" required value={values.endsOn} aria-describedby={fieldDescribedBy('endsOn', 'ends-hint', errors)} aria-invalid={invalidIn(errors, 'endsOn')} />
                <p id="ends-hint" class="hint">
                  Orders count through the end of this day ({tz.replace(/_/g, ' ')}).
                </p>
                <FieldProblem id="endsOn" errors={errors} />
              </div>
              <div class="form-actions">
                <WriteButton canWrite={canWrite} class="button button-primary">
                  Create the bounty
                </WriteButton>
              </div>
            </form>
          </section>
        ) : null}
        <section aria-labelledby="bounties-h">
          <h2 id="bounties-h" class="section-title">
            Bounties
          </h2>
          {ended ? <p class="muted small">This campaign has ended, so it takes no new bounties.</p> : null}
          {bounties.length === 0 ? (
            <div class="card empty-state">
              <p>No bounties yet. Use one to push a moment: “Reach 10 sales by 31 December and earn 50.00.”</p>
            </div>
          ) : (
            <ol class="update-list" id="bounty-list">
              {bounties.map((b) => {
                const state = b.archived_at !== null ? 'Archived' : now < b.starts_at ? 'Starts later' : now < b.ends_at ? 'Running' : 'Window closed';
                return (
                  <li class="card update" id={b.id}>
                    <div class="update-head">
                      <h3>{b.title}</h3>
                      <span class="badge">{state}</span>
                    </div>
                    <dl class="bounty-stats">
                      <div>
                        <dt>Goal</dt>
                        <dd>{goalInWords(b)}</dd>
                      </div>
                      <div>
                        <dt>Reward</dt>
                        <dd>{formatMoney(b.reward_minor, b.currency)}</dd>
                      </div>
                      <div>
                        <dt>Window</dt>
                        <dd>
                          {formatDate(b.starts_at, tz)} – {formatDate(b.ends_at - 1, tz)}
                        </dd>
                      </div>
                      <div>
                        <dt>Reached</dt>
                        <dd>{countOf(b.reached, 'creator')}</dd>
                      </div>
                      <div>
                        <dt>Paid</dt>
                        <dd>{formatMoney(b.paid_minor, b.currency)}</dd>
                      </div>
                    </dl>
                    {canWrite && b.archived_at === null ? (
                      <form method="post" action={`/console/campaigns/${campaign.id}/bounties/${b.id}/archive`}>
                        <button class="button" type="submit" aria-label={`Archive ${b.title}`}>
                          Archive
                        </button>
                        <span class="muted small"> Nobody else is awarded it; {b.reached > 0 ? `the ${countOf(b.reached, 'award')} made stay paid.` : 'none was reached yet.'}</span>
                      </form>
                    ) : null}
                  </li>
                );
              })}
            </ol>
          )}
          <Pager newest={pages.newest} older={pages.older} olderLabel="Older bounties" />
        </section>
      </div>
    </ConsolePage>
  );
};
