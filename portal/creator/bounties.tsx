// The bounties on a creator's home page (db/bounties.ts): each open one of their campaigns with their progress, the
// reward and the time left, and those they earned.
import type { FC } from 'hono/jsx';
import type { CreatorBounty } from '../../worker/db/bounties';
import { countOf, dueInWords, formatDueDay, formatMoney } from '../format';
import { Progress } from '../layout';

const amountOf = (b: CreatorBounty, n: number) => (b.metric === 'sales' ? countOf(n, 'sale') : `${formatMoney(n, b.currency)} in sales`);
// "6 of 10 sales", "$600.00 of $1,000.00 in sales".
export const progressInWords = (b: CreatorBounty) => (b.metric === 'sales' ? `${Math.min(b.progress, b.target).toLocaleString('en-US')} of ${countOf(b.target, 'sale')}` : `${formatMoney(Math.min(b.progress, b.target), b.currency)} of ${amountOf(b, b.target)}`);

// Orders wait out the campaign's holding period before they count, so no reward is paid on one that is refunded.
export const heldInWords = (b: CreatorBounty) =>
  `${b.metric === 'sales' ? `${b.holding.toLocaleString('en-US')} more ${b.holding === 1 ? 'sale counts' : 'sales count'}` : `${formatMoney(b.holding, b.currency)} more counts`} once past the ${b.holding_days}-day holding period (in case of a refund).`;

// An awarded bounty reads as reached whatever its orders count now (a holding period shortened, say): the award is what counts.
const asShown = (b: CreatorBounty): CreatorBounty => (b.earned_minor !== null ? { ...b, progress: Math.max(b.progress, b.target) } : b);

export const CreatorBounties: FC<{ bounties: CreatorBounty[]; now: number }> = ({ bounties, now }) => (
  <section class="card bounties" aria-labelledby="bounties-h">
    <h2 id="bounties-h">Bounties</h2>
    <p class="muted small">A one-off reward from the brand for reaching a goal in time. Orders count once they are credited to you, past the campaign’s holding period and not fully refunded; a reward you earned stays yours.</p>
    <ul class="bounty-list">
      {bounties.map(asShown).map((b) => (
        <li class="bounty" id={`bounty-${b.id}`}>
          <div class="bounty-head">
            <h3>{b.title}</h3>
            {b.earned_minor !== null ? <span class="badge badge-paid">Earned {formatMoney(b.earned_minor, b.currency)}</span> : <strong class="bounty-reward">{formatMoney(b.reward_minor, b.currency)}</strong>}
          </div>
          <p class="muted small">
            {b.brand_name} · {b.campaign_name}
          </p>
          <p class="bounty-progress" id={`bounty-${b.id}-text`}>
            {progressInWords(b)}
          </p>
          {b.earned_minor === null && b.holding > 0 ? <p class="small">{heldInWords(b)}</p> : null}
          <Progress fraction={b.target > 0 ? b.progress / b.target : 0} label={`${b.title}: ${progressInWords(b)}`} />
          <p class="muted small">
            {b.earned_minor !== null
              ? 'Reached: the reward is on your Earnings page.'
              : b.ends_at > now
                ? `Reach ${amountOf(b, b.target)} by ${formatDueDay(b.ends_at, b.timezone, now)} (ends ${dueInWords(b.ends_at, b.timezone, now)}) to earn ${formatMoney(b.reward_minor, b.currency)}.`
                : 'The window has closed.'}
          </p>
        </li>
      ))}
    </ul>
  </section>
);
