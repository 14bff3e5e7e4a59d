// A creator's own numbers in one campaign: the last 30 of the brand's days, clicks on their links and the
// orders they brought, as a chart with its table. Money stays on the Earnings page.
import type { FC } from 'hono/jsx';
import type { CreatorEnrollment, CreatorStats } from '../../worker/db/creator-portal';
import { DailySection } from '../charts';
import { formatCount, zoneLabel } from '../format';
import { Page, Stat } from '../layout';
import { creatorNav } from './pages';

const rate = (orders: number, clicks: number) => (clicks === 0 ? '—' : `${((orders / clicks) * 100).toFixed(1)}%`);

export const StatsPage: FC<{ who: string; e: CreatorEnrollment; stats: CreatorStats }> = ({ who, e, stats }) => {
  const byCode = stats.orders - stats.byLink;
  return (
    <Page title={`${e.campaign_name}: your numbers`} nav={creatorNav('home')} who={who}>
      <p class="eyebrow">{e.brand_name} · Your numbers</p>
      <h1 class="page-title">{e.campaign_name}</h1>
      <section class="card" aria-labelledby="totals-h">
        <h2 id="totals-h">Your last {stats.daily.length} days in total</h2>
        <div class="stats stats-3">
          <Stat label="Unique clicks" value={formatCount(stats.clicks)} hint="on your tracked link" />
          <Stat label="Orders" value={formatCount(stats.orders)} hint={`${formatCount(stats.byLink)} through your link, ${formatCount(byCode)} with your code`} />
          <Stat label="Link conversion" value={rate(stats.byLink, stats.clicks)} hint="orders through your link per unique click" />
        </div>
        {stats.clicks === 0 && stats.orders === 0 ? (
          <p class="muted small">Nothing yet. A click shows here within a minute or so of happening, an order as soon as the store reports it.</p>
        ) : null}
      </section>
      <DailySection points={stats.daily} timeZone={e.timezone} noun="orders" />
      <section class="card">
        <h2>How these are counted</h2>
        <ul class="checklist small">
          <li>Someone who clicks your link again within an hour counts once; link previews and bots never count.</li>
          <li>An order counts on the day it was placed, through your code or your link. An order refunded in full drops out.</li>
          <li>
            Days are {e.brand_name}’s, in {zoneLabel(e.timezone)} time. What you earned, subscription renewals included, is on <a href="/earnings">Earnings</a>.
          </li>
        </ul>
      </section>
      <p>
        <a href="/">← Back to your campaigns</a>
      </p>
    </Page>
  );
};
