// Orders: every order the stores sent, newest first, with the creator it was credited to and why, the
// commission it earned and what refunds took back. Filters and paging are plain GET links.
import type { FC } from 'hono/jsx';
import { commissionStatus, type CommissionStatus, type ListedConversion } from '../../worker/db/conversion-list';
import { COMMISSION_BADGES, formatCount, formatDateTime, formatMoney, formatPercent } from '../format';
import { Badge } from '../layout';
import { CampaignFilter, ConsolePage, DataTable, Pager, type Viewer } from './layout';
import type { WaitingRefund } from '../../worker/routes/portal/console/orders';
import { DAY_MS } from '../../worker/domain/periods';
import { SELF_PURCHASE_EARNS, SELF_PURCHASE_WITHHELD } from '../../worker/domain/self-purchase';
import { DECLINE_NOTE_MAX, DECLINE_REASON_LABELS, declineReasons } from '../../worker/db/declines';
import { ErrorSummary, FlashNotice, type Flash, type FormError } from '../layout';

// `renewal` and `returning` stand beside the attributions in the page's one select: a subscription's later
// payments, and returning customers' orders credited through their first order.
// `enrollment`: one creator's orders in one campaign (the console's creator page links here); `from` and
// `to`: the brand's calendar days (YYYY-MM-DD), both included.
export type OrderFilters = {
  campaignId: string | null;
  attribution: 'code' | 'click' | 'none' | 'renewal' | 'returning' | null;
  orderId: string | null;
  enrollmentId: string | null;
  from: string | null;
  to: string | null;
};
/** Whose orders an `enrollment` filter shows. */
export type OrdersOf = { name: string; handle: string; campaign: string };

export const NO_ORDER_FILTERS: OrderFilters = { campaignId: null, attribution: null, orderId: null, enrollmentId: null, from: null, to: null };

export function ordersHref(f: OrderFilters, cursor?: string | null, path = '/console/orders'): string {
  const q = new URLSearchParams();
  if (f.campaignId) q.set('campaign', f.campaignId);
  if (f.attribution) q.set('attribution', f.attribution);
  if (f.orderId) q.set('order', f.orderId);
  if (f.enrollmentId) q.set('enrollment', f.enrollmentId);
  if (f.from) q.set('from', f.from);
  if (f.to) q.set('to', f.to);
  if (cursor) q.set('cursor', cursor);
  const s = q.toString();
  return `${path}${s ? `?${s}` : ''}`;
}

const SOURCE_LABELS: Record<ListedConversion['source'], string> = { api: 'API', shopify: 'Shopify', stripe: 'Stripe' };

const COMMISSION_LABELS: Record<CommissionStatus, string> = { holding: 'Holding', available: 'Payable', in_payout: 'In payout', paid: 'Paid' };

// An order that earns through an earlier one: what it is, and a link to that order.
const EarnsThrough: FC<{ label: string; through: string; orderId: string }> = ({ label, through, orderId }) => (
  <>
    <strong>{label}</strong>
    <span class="muted small block">
      {through}{' '}
      <a href={ordersHref({ ...NO_ORDER_FILTERS, orderId })}>
        <bdi>{orderId}</bdi>
      </a>
    </span>
  </>
);

const Attribution: FC<{ o: ListedConversion }> = ({ o }) => {
  if (o.renewal_of !== null) return <EarnsThrough label="Subscription payment" through="Renews order" orderId={o.renewal_of} />;
  if (o.returning_customer_of !== null) return <EarnsThrough label="Returning customer" through="First order" orderId={o.returning_customer_of} />;
  if (o.attribution === 'code')
    return (
      <>
        <strong>Code</strong>{' '}
        <code>
          <bdi>{o.code_raw}</bdi>
        </code>
      </>
    );
  if (o.attribution === 'click') return <strong>Tracked link</strong>;
  return (
    <>
      <span>Not attributed</span>
      <span class="muted small block">
        {o.awaiting_click
          ? 'Waiting for its click to arrive'
          : o.code_raw
            ? (
              <>
                Code <bdi>{o.code_raw}</bdi> not recognised
              </>
            )
            : o.click_id_raw
              ? 'Click outside the window or unknown'
              : 'No code or click sent'}
      </span>
    </>
  );
};

// The customer was the creator: withheld, the order has no commission entry at all (domain/self-purchase.ts).
const SelfPurchase: FC = () => (
  <>
    <Badge status="self_purchase" label="Self-purchase · no commission" />
    <span class="muted small block">The customer's email is the creator's own</span>
  </>
);

// Whether a brand may decline the order's commission now (db/declines.ts decides again): credited, earning, not
// refunded in full, and not in a payout yet.
export const declinable = (o: ListedConversion, now: number) =>
  o.decline_reason === null && o.attribution !== 'none' && o.self_purchase !== SELF_PURCHASE_WITHHELD && o.refunded_minor < o.amount_minor && (o.commission_minor === null || !['in_payout', 'paid'].includes(commissionStatus(o, now)));

// A declined order: the reason and note the creator reads, and (while unpaid) the button that undoes it.
const Declined: FC<{ o: ListedConversion; now: number; canWrite: boolean; formKey: string }> = ({ o, now, canWrite, formKey }) => (
  <>
    <Badge status="rejected" label={`Declined · ${DECLINE_REASON_LABELS[o.decline_reason!]}`} />
    {o.commission_minor !== null ? (
      <span class="muted small block">
        <s>{formatMoney(o.commission_minor, o.currency)}</s> not earned
      </span>
    ) : null}
    {o.decline_note ? <span class="small block">“{o.decline_note}”</span> : null}
    {canWrite && (o.commission_minor === null || !['in_payout', 'paid'].includes(commissionStatus(o, now))) ? (
      <form method="post" action={`/console/orders/${o.id}/reinstate`} class="inline-form">
        <input type="hidden" name="key" value={formKey} />
        <input type="hidden" name="decline" value={o.decline_id ?? ''} />
        <button type="submit" class="button button-small">
          Reinstate
        </button>
      </form>
    ) : null}
  </>
);

const Commission: FC<{ o: ListedConversion; now: number; timezone: string; canWrite?: boolean; formKey?: string }> = ({ o, now, timezone, canWrite = false, formKey = '' }) => {
  if (o.decline_reason !== null) return <Declined o={o} now={now} canWrite={canWrite} formKey={formKey} />;
  const decline = canWrite && declinable(o, now) ? (
    <a class="small block" href={`/console/orders/${o.id}/decline`}>
      Decline…
    </a>
  ) : null;
  if (o.self_purchase === SELF_PURCHASE_WITHHELD) return <SelfPurchase />;
  if (o.commission_minor === null || o.available_at === null) return <>{decline ?? <span class="muted">—</span>}</>;
  const status = commissionStatus(o, now);
  return (
    <>
      {o.self_purchase === SELF_PURCHASE_EARNS ? <span class="muted small block">Self-purchase, earning as your settings allow</span> : null}
      <strong>{formatMoney(o.commission_minor, o.currency)}</strong>
      {o.rate_bps !== null ? <span class="muted small"> at {formatPercent(o.rate_bps)}</span> : null}{' '}
      <Badge status={COMMISSION_BADGES[status]} label={COMMISSION_LABELS[status]} />
      {o.bonus_minor > 0 ? <span class="small block">+ {formatMoney(o.bonus_minor, o.currency)} performance bonus</span> : null}
      {status === 'holding' ? <span class="muted small block">payable from {formatDateTime(o.available_at, timezone)}</span> : null}
      {decline}
    </>
  );
};

/** How many waiting refunds the Orders page counts at most (the list shows the oldest). */
export const WAITING_COUNTED = 1_000;

const SOURCES: Record<string, string> = { api: 'Your backend', shopify: 'Shopify', stripe: 'Stripe' };

// Refunds whose order Chorus has not recorded: applied when the order arrives. One waiting more than a day
// usually names a mistyped order id, and the commission on that order stays paid until someone looks.
const WaitingRefunds: FC<{ waiting: { shown: WaitingRefund[]; total: number }; now: number; timeZone: string }> = ({ waiting, now, timeZone }) => (
  <section class="card" aria-labelledby="waiting-h">
    <h2 id="waiting-h">
      Refunds waiting for their order ({formatCount(waiting.total)}
      {waiting.total >= WAITING_COUNTED ? '+' : ''})
    </h2>
    <p class="muted small">
      Chorus takes a refund's commission back when its order arrives. One that waits more than a day usually names an order id that was mistyped or never sent: check it in your store, and send the order if it is missing.
    </p>
    <DataTable columns={['Refund', 'Order it names', 'Amount', 'From', 'Waiting since']}>
      {waiting.shown.map((r) => (
        <tr>
          <td data-label="Refund">
            <code style="overflow-wrap: anywhere">{r.refundId}</code>
          </td>
          <td data-label="Order it names">
            <code style="overflow-wrap: anywhere">{r.orderId}</code>
          </td>
          <td data-label="Amount" class="num">
            {formatMoney(r.amountMinor, r.currency)}
          </td>
          <td data-label="From">{SOURCES[r.source] ?? r.source}</td>
          <td data-label="Waiting since">
            {formatDateTime(r.receivedAt, timeZone)}
            {now - r.receivedAt > DAY_MS ? <span class="warn-text small block">Over a day</span> : null}
          </td>
        </tr>
      ))}
    </DataTable>
    {waiting.total > waiting.shown.length ? (
      <p class="muted small">
        The {formatCount(waiting.shown.length)} oldest of {formatCount(waiting.total)}
        {waiting.total >= WAITING_COUNTED ? ' or more' : ''}.
      </p>
    ) : null}
  </section>
);

export const OrdersPage: FC<{
  viewer: Viewer;
  canDownload: boolean;
  filters: OrderFilters;
  of?: OrdersOf | null;
  campaigns: { id: string; name: string }[];
  orders: ListedConversion[];
  nextCursor: string | null;
  paged: boolean;
  now: number;
  toReview: number;
  waiting?: { shown: WaitingRefund[]; total: number };
  canWrite?: boolean;
  formKey?: string;
  flash?: Flash;
}> = ({ viewer, canDownload, filters, of, campaigns, orders, nextCursor, paged, now, toReview, waiting = { shown: [], total: 0 }, canWrite = false, formKey = '', flash = null }) => {
  const filtered = Object.values(filters).some((v) => v !== null);
  return (
    <ConsolePage title="Orders" viewer={viewer} section="orders" toReview={toReview}>
      <div class="page-head">
        <div>
          <p class="eyebrow">{viewer.brandName}</p>
          <h1 class="page-title">Orders</h1>
        </div>
        {canDownload ? (
          <a class="button" href={ordersHref(filters, null, '/console/orders/export.csv')}>
            Download CSV
          </a>
        ) : null}
      </div>
      <FlashNotice flash={flash} />
      <section class="card" aria-labelledby="orders-h">
        <div class="card-head">
          <h2 id="orders-h">{paged ? 'Older orders' : 'Latest orders'}</h2>
          <form method="get" action="/console/orders" class="filters" aria-label="Filter orders">
            <CampaignFilter campaigns={campaigns} selected={filters.campaignId} />
            <label for="f-attribution" class="visually-hidden">
              Attribution
            </label>
            <select id="f-attribution" name="attribution">
              <option value="">Any attribution</option>
              <option value="code" selected={filters.attribution === 'code'}>
                By code
              </option>
              <option value="click" selected={filters.attribution === 'click'}>
                By tracked link
              </option>
              <option value="none" selected={filters.attribution === 'none'}>
                Not attributed
              </option>
              <option value="renewal" selected={filters.attribution === 'renewal'}>
                Subscription payments
              </option>
              <option value="returning" selected={filters.attribution === 'returning'}>
                Returning customers
              </option>
            </select>
            <label for="f-order" class="visually-hidden">
              Order id
            </label>
            <input id="f-order" name="order" type="search" maxlength={128} placeholder="Order id" value={filters.orderId ?? ''} autocomplete="off" />
            <label for="f-from" class="small">
              From
            </label>
            <input id="f-from" name="from" type="date" value={filters.from ?? ''} />
            <label for="f-to" class="small">
              to
            </label>
            <input id="f-to" name="to" type="date" value={filters.to ?? ''} />
            {filters.enrollmentId ? <input type="hidden" name="enrollment" value={filters.enrollmentId} /> : null}
            <button type="submit" class="button button-small">
              Filter
            </button>
          </form>
        </div>
        {filters.enrollmentId ? (
          <p>
            {of ? (
              <>
                Orders credited to <strong>{of.name}</strong> (@{of.handle}) in {of.campaign}.
              </>
            ) : (
              'Orders credited to one creator.'
            )}{' '}
            <a href={ordersHref({ ...filters, enrollmentId: null })}>Everyone's orders</a>
          </p>
        ) : null}
        <p class="muted small">
          Times and days are in {viewer.timezone}. A code beats a tracked link; a link counts within the campaign's attribution window. Commission is payable once the holding period ends, and refunds reverse their share.
          {canWrite ? ' Decline a test, fraudulent or duplicate order’s commission while it is unpaid.' : ''}
        </p>
        {orders.length === 0 ? (
          <p class="empty-inline">
            {filtered ? 'No orders match these filters.' : paged ? 'No older orders.' : 'No orders yet. They appear here as your store sends them (signed API calls, Shopify or Stripe webhooks).'}
          </p>
        ) : (
          <div class="table-wrap">
            <table class="stack-sm">
              <thead>
                <tr>
                  <th scope="col">Order</th>
                  <th scope="col" class="num">
                    Amount
                  </th>
                  <th scope="col">Creator</th>
                  <th scope="col">Attributed by</th>
                  <th scope="col">Commission</th>
                  <th scope="col" class="num">
                    Refunded
                  </th>
                </tr>
              </thead>
              <tbody>
                {orders.map((o) => (
                  <tr>
                    <td data-label="Order">
                      <code style="overflow-wrap: anywhere">
                        <bdi>{o.external_order_id}</bdi>
                      </code>
                      <span class="muted small block">
                        {formatDateTime(o.occurred_at, viewer.timezone)} · {SOURCE_LABELS[o.source]}
                      </span>
                    </td>
                    <td data-label="Amount" class="num">
                      {formatMoney(o.amount_minor, o.currency)}
                    </td>
                    <td data-label="Creator">
                      {o.handle ? (
                        <>
                          <strong>@{o.handle}</strong>
                          {o.campaign_name ? <span class="muted small block">{o.campaign_name}</span> : null}
                        </>
                      ) : (
                        <span class="muted">—</span>
                      )}
                    </td>
                    <td data-label="Attributed by">
                      <Attribution o={o} />
                    </td>
                    <td data-label="Commission">
                      <Commission o={o} now={now} timezone={viewer.timezone} canWrite={canWrite} formKey={formKey} />
                    </td>
                    <td data-label="Refunded" class="num">
                      {o.refunded_minor > 0 ? (
                        <>
                          {formatMoney(o.refunded_minor, o.currency)}
                          {o.reversed_minor > 0 ? <span class="muted small block">{formatMoney(-o.reversed_minor, o.currency)} commission</span> : null}
                        </>
                      ) : (
                        <span class="muted">—</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Pager newest={paged ? ordersHref(filters) : null} older={nextCursor ? ordersHref(filters, nextCursor) : null} olderLabel="Older orders" />
      </section>
      {waiting.total > 0 ? <WaitingRefunds waiting={waiting} now={now} timeZone={viewer.timezone} /> : null}
    </ConsolePage>
  );
};

// The confirmation before a decline: what the creator loses, and the reason and note they will read.
export type DeclineFormValues = { reason: string; note: string };
// `stakes`: what the decline would take beyond the commission (db/declines.ts declineStakes).
export const DeclineOrderPage: FC<{
  viewer: Viewer;
  o: ListedConversion;
  stakes: { bonusMinor: number; startsSubscription: boolean; bringsCustomer: boolean };
  formKey: string;
  values: DeclineFormValues;
  errors?: FormError[];
  toReview: number;
  now: number;
}> = ({
  viewer,
  o,
  stakes,
  formKey,
  values,
  errors,
  toReview,
  now,
}) => {
  // What refunds left of the commission: all a decline takes of it.
  const commission = Math.max(0, (o.commission_minor ?? 0) - o.reversed_minor);
  const who = o.handle ? `@${o.handle}` : 'The creator';
  return (
    <ConsolePage title="Decline an order’s commission" viewer={viewer} section="orders" toReview={toReview}>
      <div class="page-head">
        <div>
          <p class="eyebrow">
            <a href={ordersHref({ ...NO_ORDER_FILTERS, orderId: o.external_order_id })}>Orders</a>
          </p>
          <h1 class="page-title">
            Decline order <bdi>{o.external_order_id}</bdi>?
          </h1>
        </div>
      </div>
      <ErrorSummary errors={errors} />
      <section class="card" aria-labelledby="decline-h">
        <h2 id="decline-h">What {who} loses</h2>
        <ul>
          <li>
            {commission > 0 ? (
              <>
                Its commission, <strong>{formatMoney(commission, o.currency)}</strong> on this {formatMoney(o.amount_minor, o.currency)} order{o.reversed_minor > 0 ? ' (what refunds left of it)' : ''}
                {stakes.bonusMinor > 0 ? (
                  <>
                    , and the month’s performance bonus, <strong>{formatMoney(stakes.bonusMinor, o.currency)}</strong>, as without this order the month falls below its threshold
                  </>
                ) : null}
                : taken back from their earnings before it is paid.
              </>
            ) : (
              <>Nothing in money: this order earned no commission.</>
            )}
          </li>
          <li>The order stops counting in their results: their tier in the order’s month, bounties, your network page and ranking, and the weekly report. A bounty it helped reach stays awarded: take that back with a correction on the creator’s page if you mean to.</li>
          {stakes.bringsCustomer ? (
            <li>
              It is the order by which they brought its customer: while the decline stands, the customer’s later orders no longer earn them through the campaign’s returning-customer months (the customer’s next order that stands decides who brought them, if anyone). Reinstating it lets the orders recorded after that earn again, not those recorded meanwhile.
            </li>
          ) : null}
          {stakes.startsSubscription ? (
            <li>
              It is the first payment of a Stripe subscription: while the decline stands, the subscription’s renewals earn them nothing and are not recorded. Reinstating it lets the renewals after that earn again, not those paid meanwhile.
            </li>
          ) : null}
          <li>They see it in their portal as “Declined by {viewer.brandName}” with the reason and note below.</li>
        </ul>
        <p class="muted small">
          You can reinstate it from the Orders page while its commission is unpaid{commissionStatus(o, now) === 'holding' && o.available_at ? ` (it is held until ${formatDateTime(o.available_at, viewer.timezone)})` : ''}. Once it is in a payout, correct it with an adjustment on the creator’s page instead.
        </p>
        <form method="post" action={`/console/orders/${o.id}/decline`} class="stack">
          <input type="hidden" name="key" value={formKey} />
          <div class="field">
            <label for="reason">Reason</label>
            <select id="reason" name="reason" required aria-invalid={errors?.some((e) => typeof e !== 'string' && e.field === 'reason') ? 'true' : undefined}>
              {declineReasons.map((r) => (
                <option value={r} selected={values.reason === r}>
                  {DECLINE_REASON_LABELS[r]}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="note">Note for the creator (optional)</label>
            <input id="note" name="note" type="text" maxlength={DECLINE_NOTE_MAX} value={values.note} placeholder="Placed by our team to test checkout" aria-describedby="note-hint" aria-invalid={errors?.some((e) => typeof e !== 'string' && e.field === 'note') ? 'true' : undefined} />
            <p id="note-hint" class="hint">
              One line, at most {DECLINE_NOTE_MAX} characters. {who} reads it beside the order.
            </p>
          </div>
          <div class="form-actions">
            <button type="submit" class="button button-danger">
              Decline the commission
            </button>{' '}
            <a class="button" href={ordersHref({ ...NO_ORDER_FILTERS, orderId: o.external_order_id })}>
              Keep it
            </a>
          </div>
        </form>
      </section>
    </ConsolePage>
  );
};
