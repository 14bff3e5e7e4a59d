// A creator's own numbers in one campaign: the last 30 of the brand's days, clicks on their links and the
// orders they brought, as a chart with its table, and their latest orders one by one with what each earned
// and when it is paid (what Rewardful and Dub show a partner, to check a sale a follower mentions). Totals
// of money stay on the Earnings page.
import type { FC } from 'hono/jsx';
import { commissionStatus, type ListedConversion } from '../../worker/db/conversion-list';
import type { CreatorEnrollment, CreatorStats } from '../../worker/db/creator-portal';
import { DailySection } from '../charts';
import { COMMISSION_BADGES, formatCount, formatDate, formatDateTime, formatMoney, zoneLabel } from '../format';
import { Badge, Page, Stat } from '../layout';
import { SELF_PURCHASE_WITHHELD } from '../../worker/domain/self-purchase';
import { DECLINE_REASON_LABELS } from '../../worker/db/declines';
import { creatorNav } from './pages';

const rate = (orders: number, clicks: number) => (clicks === 0 ? '—' : `${((orders / clicks) * 100).toFixed(1)}%`);

/** How many of their latest orders the page lists. */
export const CREATOR_ORDERS_SHOWN = 25;

const how = (o: ListedConversion) =>
  o.renewal_of !== null ? 'Subscription payment' : o.returning_customer_of !== null ? 'Returning customer' : o.attribution === 'code' ? `Code ${o.code_raw ?? ''}`.trim() : 'Your link';

const Earned: FC<{ o: ListedConversion; e: CreatorEnrollment; now: number }> = ({ o, e, now }) => {
  // The brand declined its commission (a test order, fraud, a duplicate): it earns nothing and counts toward nothing.
  if (o.decline_reason !== null)
    return (
      <>
        <span class="block">
          <Badge status="rejected" label="Declined" /> Declined by {e.brand_name}: {DECLINE_REASON_LABELS[o.decline_reason]}
          {o.decline_note ? ` — ${o.decline_note}` : ''}
        </span>
        <span class="muted small block">No commission, and it counts toward no tier or bounty.</span>
      </>
    );
  // Bought through their own code or link (their sign-in email at checkout): it earns nothing and counts toward no tier.
  if (o.self_purchase === SELF_PURCHASE_WITHHELD) return <Badge status="self_purchase" label="Your own order: no commission" />;
  if (o.commission_minor === null) return <span class="muted">No commission on this campaign</span>;
  const status = commissionStatus(o, now);
  const label = { holding: `Holding until ${formatDate(o.available_at, e.timezone)}`, available: 'Payable in the next payout', in_payout: 'In a payout', paid: 'Paid' }[status];
  return (
    <>
      <strong>{formatMoney(o.commission_minor + o.bonus_minor, o.currency)}</strong> <Badge status={COMMISSION_BADGES[status]} label={label} />
      {o.reversed_minor > 0 ? <span class="muted small block">{formatMoney(-o.reversed_minor, o.currency)} taken back for a refund</span> : null}
    </>
  );
};

const OrderList: FC<{ orders: ListedConversion[]; e: CreatorEnrollment; now: number }> = ({ orders, e, now }) => (
  <section class="card" aria-labelledby="orders-h">
    <h2 id="orders-h">Your latest orders</h2>
    {orders.length === 0 ? (
      <p class="muted">No orders yet. Each one shows here as soon as {e.brand_name}’s store reports it.</p>
    ) : (
      <ul class="order-list">
        {orders.map((o) => (
          <li>
            <div class="order-line">
              <span>
                <strong>{formatMoney(o.amount_minor, o.currency)}</strong> · {how(o)}
              </span>
              <span class="muted small">{formatDateTime(o.occurred_at, e.timezone)}</span>
            </div>
            <div class="order-line small">
              <span>
                <Earned o={o} e={e} now={now} />
              </span>
              <span class="muted">
                Order …<bdi>{o.external_order_id.slice(-4)}</bdi>
                {o.refunded_minor > 0 ? ` · ${o.refunded_minor >= o.amount_minor ? 'refunded' : `${formatMoney(o.refunded_minor, o.currency)} refunded`}` : ''}
              </span>
            </div>
          </li>
        ))}
      </ul>
    )}
    {orders.length >= CREATOR_ORDERS_SHOWN ? <p class="muted small">The latest {CREATOR_ORDERS_SHOWN}. Every order’s earnings are counted on <a href="/earnings">Earnings</a>.</p> : null}
  </section>
);

export const StatsPage: FC<{ who: string; e: CreatorEnrollment; stats: CreatorStats; orders: ListedConversion[]; now: number }> = ({ who, e, stats, orders, now }) => {
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
      <OrderList orders={orders} e={e} now={now} />
      <section class="card">
        <h2>How these are counted</h2>
        <ul class="checklist small">
          <li>Someone who clicks your link again within an hour counts once; link previews and bots never count.</li>
          <li>An order counts on the day it was placed, through your code or your link. An order refunded in full drops out. So does one {e.brand_name} declines, with its reason beside it.</li>
          {e.self_purchases_earn ? null : <li>An order you place yourself, paying with the email you sign in with, earns no commission and does not count toward your tier.</li>}
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
