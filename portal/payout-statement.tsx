// A payout's statement, as the creator and the brand both read it: what it is (status, amount) and each entry it
// paid, grouped as the Earnings page names them, each group with its subtotal and the groups with the payout's
// amount. Three columns (date, what, amount) fit a phone and a printed page alike.
import type { FC } from 'hono/jsx';
import { ORDER_KINDS, type PayoutStatement, type StatementEntry, type StatementPayout } from '../worker/db/payout-statements';
import { countOf, EARNING_KIND_LABELS, formatDate, formatMoney, formatPercent, formatPeriod, STATUS_LABELS } from './format';
import { Badge } from './layout';

// The line under an entry: the sale it was priced on (for a refund, what was refunded, or what a failed refund gave
// back; for a brand's decline, that it declined the order or reinstated it) with its rate and tier.
function pricedOn(e: StatementEntry, currency: string, timeZone: string): string | null {
  if (!ORDER_KINDS.has(e.kind) || e.orderId === null) return null;
  const rate = e.rateBps === null ? '' : ` · ${formatPercent(e.rateBps)}${e.tier === null ? '' : ` (tier ${e.tier})`}`;
  const order = `Order of ${formatMoney(e.orderAmountMinor ?? 0, currency)} on ${formatDate(e.orderAt, timeZone)}`;
  if (e.kind === 'commission' || e.kind === 'renewal_commission' || e.kind === 'returning_commission') return `${order}${rate}`;
  const refund = formatMoney(Math.abs(e.basisMinor), currency);
  const what: Record<string, string> = { reversal_back: `${refund} refund failed, given back`, declined: 'Declined by the brand', declined_back: 'Decline reinstated by the brand, given back' };
  return `${what[e.kind] ?? `${refund} refunded`} · ${order}${rate}`;
}

const PostLink: FC<{ url: string }> = ({ url }) => (
  <a href={url} rel="noopener noreferrer nofollow" target="_blank" class="break">
    {url}
  </a>
);

const EntryWhat: FC<{ e: StatementEntry; currency: string; timeZone: string }> = ({ e, currency, timeZone }) => {
  const priced = pricedOn(e, currency, timeZone);
  return (
    <>
      {e.orderId !== null && ORDER_KINDS.has(e.kind) ? (
        <span>
          Order <bdi class="mono">{e.orderId}</bdi>
        </span>
      ) : e.note ? (
        // An adjustment's reason first (a usage-rights fee names its post in it), the post it is for under it.
        <>
          <span>{e.note}</span>
          {e.postUrl ? (
            <span class="muted small block">
              <PostLink url={e.postUrl} />
            </span>
          ) : null}
        </>
      ) : e.postUrl ? (
        <PostLink url={e.postUrl} />
      ) : e.kind === 'bonus' || e.kind === 'bonus_back' ? (
        <span>{formatPeriod(e.basisPeriod ?? e.period)} performance bonus</span>
      ) : (
        <span class="muted">—</span>
      )}
      {priced || e.campaignName ? <span class="muted small block">{[priced, e.campaignName].filter(Boolean).join(' · ')}</span> : null}
    </>
  );
};

// A payout's status, and the day it was paid in the brand's timezone (its months and dates are the brand's): the
// Earnings page's list of payouts and a statement show it alike.
export const PayoutStatus: FC<{ status: string; paidAt: number | null; timeZone: string; givenUp?: boolean }> = ({ status, paidAt, timeZone, givenUp = false }) => (
  <>
    <Badge status={status} label={givenUp ? 'Given up' : (STATUS_LABELS[status] ?? status)} />
    {status === 'paid' && paidAt !== null ? <span class="muted small block">Paid {formatDate(paidAt, timeZone)}</span> : null}
  </>
);

// Where the payout stands, in the words both sides read: paid (when, with the brand's reference), failed (why), or
// given up when the creator closed their account.
export const PayoutStanding: FC<{ payout: StatementPayout }> = ({ payout: p }) => (
  <>
    <PayoutStatus status={p.status} paidAt={p.paidAt} timeZone={p.timezone} givenUp={p.givenUp} />
    {p.status === 'paid' && p.reference ? (
      <span class="block small">
        Payment reference <bdi class="mono">{p.reference}</bdi>
      </span>
    ) : null}
    {p.givenUp ? <span class="block small muted">Given up when the account was closed: it is not paid.</span> : p.status === 'failed' ? <span class="block small warn-text">{p.failureReason ?? 'The payment did not go through.'}</span> : null}
    {p.status === 'pending' ? <span class="block small muted">Closed {formatDate(p.createdAt, p.timezone)}; not paid yet.</span> : null}
  </>
);

// `csvHref`: null where the reader may not download the file (a console viewer: money files need a role that pays).
export const StatementEntries: FC<{ statement: PayoutStatement; csvHref: string | null }> = ({ statement, csvHref }) => {
  const { payout, groups } = statement;
  const money = (minor: number) => formatMoney(minor, payout.currency);
  return (
    <section class="card statement" aria-labelledby="entries-h">
      <div class="statement-head">
        <h2 id="entries-h">What it paid</h2>
        <p class="small no-print">
          {csvHref ? (
            <>
              <a href={csvHref} download>
                Download CSV
              </a>
              {' · '}
            </>
          ) : null}
          {countOf(statement.entryCount, 'entry', 'entries')}
        </p>
      </div>
      {groups.length === 0 ? <p class="muted">This payout holds no entries.</p> : null}
      <div class="table-wrap">
        <table class="statement-table">
          <caption class="visually-hidden">Entries of the {formatPeriod(payout.period)} payout, oldest first in each group</caption>
          <thead>
            <tr>
              <th scope="col" class="date-col">
                Date
              </th>
              <th scope="col">What</th>
              <th scope="col" class="num">
                Amount
              </th>
            </tr>
          </thead>
          {groups.map((g) => (
            <tbody class="statement-group">
              <tr class="group-head">
                <th scope="rowgroup" colspan={3}>
                  {EARNING_KIND_LABELS[g.kind] ?? g.kind} <span class="muted small">× {g.count}</span>
                </th>
              </tr>
              {g.entries.map((e) => (
                <tr>
                  <td class="date-col small">{formatDate(e.createdAt, payout.timezone)}</td>
                  <td class="what">
                    <EntryWhat e={e} currency={payout.currency} timeZone={payout.timezone} />
                  </td>
                  <td class={`num${e.amountMinor < 0 ? ' negative' : ''}`}>{money(e.amountMinor)}</td>
                </tr>
              ))}
              {g.entries.length < g.count ? (
                <tr>
                  <td colspan={3} class="muted small">
                    {countOf(g.count - g.entries.length, 'more entry', 'more entries')}: {csvHref ? 'the CSV lists them all' : 'an owner, a manager or finance can download the CSV that lists them all'}.
                  </td>
                </tr>
              ) : null}
              <tr class="subtotal">
                <th scope="row" colspan={2}>
                  Subtotal · {EARNING_KIND_LABELS[g.kind] ?? g.kind}
                </th>
                <td class={`num${g.subtotalMinor < 0 ? ' negative' : ''}`}>{money(g.subtotalMinor)}</td>
              </tr>
            </tbody>
          ))}
          <tfoot>
            <tr>
              <th scope="row" colspan={2}>
                Payout total
              </th>
              <td class="num">{money(payout.amountMinor)}</td>
            </tr>
          </tfoot>
        </table>
      </div>
      <p class="muted small no-print">Dates are in {payout.brandName}’s timezone ({payout.timezone}). Orders are dated when they were placed; each entry by when it was recorded.</p>
    </section>
  );
};

// Printing: a button that only scripts reveal (portal.js), and the browser's own Print for everyone else.
const PrintHint: FC = () => (
  <p class="small muted no-print">
    <button type="button" class="button button-small" data-print hidden>
      Print
    </button>{' '}
    Print it or save it as a PDF from your browser’s Print.
  </p>
);

// A statement's body on both sides: the facts each page leads with (children: who, from, period), then where it
// stands, its amount and id, what it paid, and how to print it.
export const StatementBody: FC<{ statement: PayoutStatement; csvHref: string | null; children: unknown }> = ({ statement, csvHref, children }) => {
  const p = statement.payout;
  return (
    <>
      <section class="card statement-summary" aria-labelledby="summary-h">
        <h2 id="summary-h" class="visually-hidden">
          The payout
        </h2>
        <dl class="facts">
          {children}
          <dt>Status</dt>
          <dd>
            <PayoutStanding payout={p} />
          </dd>
          <dt>Amount</dt>
          <dd class="statement-amount">
            {formatMoney(p.amountMinor, p.currency)} <span class="muted small">{p.currency}</span>
          </dd>
          <dt>Payout id</dt>
          <dd>
            <span class="mono small">{p.id}</span>
          </dd>
        </dl>
      </section>
      <StatementEntries statement={statement} csvHref={csvHref} />
      <PrintHint />
    </>
  );
};
