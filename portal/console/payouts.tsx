// Payouts for a period: close it, read the lines and totals, export the CSV, mark paid, reconcile a processor file.
import type { Child, FC } from 'hono/jsx';
import { ERASED, NOT_SHARED, type PayoutLine } from '../../worker/db/payouts';
import type { Claimable, Later } from '../../worker/routes/portal/console/queries';
import { countOf, formatCount, formatDate, formatDateTime, formatMoney, formatPeriod, maskAccount, PAYOUT_METHOD_LABELS, STATUS_LABELS } from '../format';
import { Badge, Notice } from '../layout';
import { StatementBody } from '../payout-statement';
import type { PayoutStatement } from '../../worker/db/payout-statements';
import { ConfirmStep, ConsolePage, DataTable, Errors, FlashNotice, WriteButton, type Flash, type Viewer } from './layout';
import { ACH_ORIGIN_LABELS, type PaymentRun } from '../../worker/db/payment-files';
import { addDays } from '../../worker/domain/periods';
import { ACH_DAYS_AHEAD, defaultExecutionDate, FORMAT_MAX_ROWS, PAYMENT_FORMATS, paypalWritesFraction, type LeftOutReason, type PaymentFormat } from '../../worker/domain/payment-files';

export type Totals = { commission: number; reversals: number; fees: number; bonuses: number; net: number; conversions: number; payouts: number };
export type ReconcileLine = { line: number | null; payoutId: string; outcome: string; handle: string | null; period: string | null };

export type PayoutsView = {
  period: string;
  periods: { value: string; closed: boolean }[];
  ended: boolean;
  endsAt: number;
  close: { closedAt: number; by: string | null } | null;
  claimable: Claimable[];
  // Owed to creators, past holding, but less than the brand's minimum payout: a close now leaves it for a later
  // one; after the close, what it left that is still unpaid and still under the minimum.
  below: Claimable[];
  minimum: number;
  later: Later[];
  lines: PayoutLine[];
  shown: number;
  totals: [string, Totals][];
  /** A closed month's payment files (db/payment-files.ts), with today in the brand's timezone for the SEPA date. */
  paymentFiles: { run: PaymentRun; today: string } | null;
};

const OUTCOME: Record<string, { label: string; tone: string }> = {
  paid: { label: 'Marked paid', tone: 'paid' },
  failed: { label: 'Marked failed', tone: 'failed' },
  unchanged: { label: 'Already recorded', tone: 'neutral' },
  not_found: { label: 'Not a payout of yours', tone: 'failed' },
  conflict: { label: 'Already settled with another reference', tone: 'pending' },
  given_up: { label: 'Given up by the creator: not marked', tone: 'neutral' },
};

// An amount cell: labelled for the stacked phone layout, zeros dimmed and refunds in red. `positive` explains an
// amount above zero in a column that is usually below it.
const Amount: FC<{ label: string; minor: number; currency: string; positive?: string }> = ({ label, minor, currency, positive }) => (
  <td class={`num${minor === 0 ? ' zero' : minor < 0 ? ' negative' : ''}`} data-label={label}>
    {formatMoney(minor, currency)}
    {positive && minor > 0 ? <span class="muted small block">{positive}</span> : null}
  </td>
);

// Refunds net above zero when a failed refund gives back a reversal an earlier payout already took.
const GIVEN_BACK = 'Given back: a refund failed';

const amountsText = (list: Claimable[]) => list.map((a) => `${formatMoney(a.amount, a.currency)} for ${formatCount(a.creators)} ${a.creators === 1 ? 'creator' : 'creators'}`).join(' and ');

// What this period's close leaves for a later one: still in holding, or already payable from a later period;
// and refunds reversed after this period's entries, which a later payout nets.
const LaterNote: FC<{ later: Later[] }> = ({ later }) => {
  const owed = later.filter((a) => a.amount > 0);
  const clawed = later.filter((a) => a.amount < 0).map((a) => formatMoney(-a.amount, a.currency));
  if (owed.length === 0 && clawed.length === 0) return null;
  const held = owed.filter((a) => a.held > 0).map((a) => formatMoney(Math.min(a.held, a.amount), a.currency));
  return (
    <>
      {owed.length === 0 ? null : owed.every((a) => a.held >= a.amount) ? (
        <p class="muted small">Still in holding: {amountsText(owed)}, payable in a later period.</p>
      ) : (
        <p class="muted small">
          For a later period's close: {amountsText(owed)}
          {held.length > 0 ? `, of which ${held.join(' and ')} is still in holding` : ', all of it past its holding period'}.
        </p>
      )}
      {clawed.length > 0 ? <p class="muted small">Refunds of {clawed.join(' and ')} come off a later period's payouts.</p> : null}
    </>
  );
};

// Where a payout goes, as finance reads it: the method and a masked account (or why there is none), and whether the
// creator's tax details are on file.
export const PayTo: FC<{ line: PayoutLine }> = ({ line: l }) => (
  <>
    {l.payoutMethod === ERASED ? (
      <span class="muted">Erased at their request</span>
    ) : l.payoutMethod === NOT_SHARED ? (
      <span class="warn-text">Not shared: they have not accepted your brand yet</span>
    ) : l.payoutMethod === 'unreadable' ? (
      <span class="warn-text">Unreadable (our key changed): ask them to enter their payout details again</span>
    ) : l.payoutMethod ? (
      <>
        {`${PAYOUT_METHOD_LABELS[l.payoutMethod] ?? l.payoutMethod} · ${maskAccount(l.payoutAccount)}`}
        {l.detailsChangedSinceFailure ? <span class="ok-text small block">Updated since the payment failed</span> : null}
      </>
    ) : (
      <span class="warn-text">No payout details yet</span>
    )}
    {l.payoutMethod === ERASED ? null : l.taxDetails === 'complete' ? <span class="muted small block">Tax details: complete</span> : l.taxDetails === 'unreadable' ? <span class="warn-text small block">Tax details: unreadable (our key changed: ask them to enter them again)</span> : <span class="warn-text small block">Tax details: missing</span>}
  </>
);

export const PayoutsPage: FC<{
  viewer: Viewer;
  // Owners, managers and finance (console/context.ts canPay).
  canPay: boolean;
  // Owners and finance (console/context.ts canTakeTaxIds): the year-end file carries full tax ids.
  canTakeTaxIds: boolean;
  // The year the year-end form offers first: the one before this in the brand's timezone, as finance files early in the new year.
  defaultYear: number;
  view: PayoutsView;
  flash: Flash;
  errors?: string[];
  confirmClose?: boolean;
  reconcile?: { results: ReconcileLine[] } | { errors: { line: number; message: string }[] };
  toReview: number;
}> = ({ viewer, canPay, canTakeTaxIds, defaultYear, view, flash, errors, confirmClose = false, reconcile, toReview }) => {
  const { period } = view;
  const taxLacking = view.lines.filter((l) => l.taxDetails !== 'complete').length;
  const taxUnreadable = view.lines.some((l) => l.taxDetails === 'unreadable');
  const hasPending = view.lines.some((l) => l.status !== 'paid' && !l.givenUp);
  return (
    <ConsolePage title={`Payouts ${period}`} viewer={viewer} section="payouts" toReview={toReview}>
      <div class="page-head">
        <div>
          <p class="eyebrow">{viewer.brandName}</p>
          <h1 class="page-title">Payouts · {formatPeriod(period)}</h1>
        </div>
        <form method="get" action="/console/payouts" class="filters">
          <label for="period" class="visually-hidden">
            Period
          </label>
          <select id="period" name="period">
            {view.periods.map((p) => (
              <option value={p.value} selected={p.value === period}>
                {formatPeriod(p.value)}
                {p.closed ? ' · closed' : ''}
              </option>
            ))}
          </select>
          <button type="submit" class="button button-small">
            Show
          </button>
        </form>
      </div>
      <FlashNotice flash={flash} />
      <Errors errors={errors} title="That didn't go through" />
      {confirmClose && canPay && !view.close && view.ended ? (
        <ConfirmStep title={`Close ${formatPeriod(period)}?`} action="/console/payouts/close" fields={{ period }} submit={`Yes, close ${formatPeriod(period)}`} cancelHref={`/console/payouts?period=${period}`} cancel="Not yet">
          {view.claimable.length > 0 ? `This creates payouts of ${amountsText(view.claimable)}` : view.below.length > 0 ? 'No creator is owed your minimum payout yet, so this creates no payouts' : 'Nothing has cleared its holding period yet, so this creates no payouts'}, and it cannot be undone: earnings that clear later go to a later close.
        </ConfirmStep>
      ) : null}
      {reconcile && 'results' in reconcile ? <ReconcileResults results={reconcile.results} /> : null}
      {reconcile && 'errors' in reconcile ? (
        <Notice tone="error" title="Nothing was changed: the file has problems">
          <ul>
            {reconcile.errors.slice(0, 50).map((e) => (
              <li>
                Line {e.line}: {e.message}
              </li>
            ))}
          </ul>
        </Notice>
      ) : null}
      <section class="card period-card" aria-labelledby="period-h">
        <div>
          <h2 id="period-h">
            {view.close ? (
              <>
                <Badge status="paid" label="Closed" /> {formatPeriod(period)} is closed
              </>
            ) : view.ended ? (
              <>
                <Badge status="pending" label="Ready to close" /> {formatPeriod(period)} has ended
              </>
            ) : (
              <>
                <Badge status="submitted" label="Open" /> {formatPeriod(period)} is still running
              </>
            )}
          </h2>
          <p class="muted">
            {view.close
              ? `Closed ${formatDateTime(view.close.closedAt, viewer.timezone)}${view.close.by ? ` by ${view.close.by}` : ''}. ${formatCount(view.lines.length)} ${view.lines.length === 1 ? 'payout' : 'payouts'}; later earnings roll into the next close.`
              : view.ended
                ? view.claimable.length > 0
                  ? `Closing creates payouts from everything past its holding period by the end of the month: ${amountsText(view.claimable)}.`
                  : view.below.length > 0
                    ? 'Closing now creates no payouts: what has cleared its holding period is owed to creators under your minimum payout. You can wait.'
                    : 'Nothing has cleared its holding period yet: closing now creates no payouts, and what clears later is paid in a later close. You can wait.'
                : `It runs through ${formatDate(view.endsAt - 1, viewer.timezone)} (${viewer.timezone}); you can close it after that.${view.claimable.length > 0 ? ` So far its close would pay ${amountsText(view.claimable)}: what clears its holding period by then, from this month and any earlier one not paid yet, before orders still to come and refunds.` : ''}`}
          </p>
          {view.below.length > 0 ? (
            <p class="muted small">
              {view.close
                ? `Carried to a later close and still unpaid, each creator under the minimum payout when the month closed: ${amountsText(view.below)}.`
                : `Left for a later close, each under your ${formatMoney(view.minimum, viewer.currency)} minimum payout: ${amountsText(view.below)}.`}{' '}
              It is paid once a creator is owed the minimum (<a href="/console/settings">Settings</a>).
            </p>
          ) : null}
          <LaterNote later={view.later} />
        </div>
        <div class="period-actions">
          {!view.close && !confirmClose ? (
            <form method="post" action="/console/payouts/close">
              <input type="hidden" name="period" value={period} />
              {/* Nothing cleared: closing is allowed (an empty month on the books) but not the suggested step. */}
              <WriteButton canWrite={canPay} needs="Needs an owner, manager or finance" notYet={view.ended ? undefined : `${formatPeriod(period)} is still running`} class={view.ended && view.claimable.length === 0 ? 'button' : 'button button-primary'}>
                Close {formatPeriod(period)}
              </WriteButton>
            </form>
          ) : null}
          {canPay && view.close ? (
            <a class="button button-primary" href={`/console/payouts/export.csv?period=${period}`} download>
              Download CSV
            </a>
          ) : (
            // Before the close there are no payouts to export: the file would be its header alone.
            <button type="button" class="button" disabled title={canPay ? 'There is a file once the month is closed' : 'Needs an owner, manager or finance'}>
              Download CSV
            </button>
          )}
        </div>
      </section>
      <section class="card" aria-labelledby="lines-h">
        <div class="card-head">
          <h2 id="lines-h">Payouts</h2>
          {view.totals.map(([currency, t]) => (
            <p class="muted small">
              {countOf(t.payouts, 'payout')} · <strong>{formatMoney(t.net, currency)}</strong> net
            </p>
          ))}
          {view.lines.length > 0 ? <p class={taxLacking > 0 ? 'warn-text small' : 'muted small'}>{taxLacking > 0 ? `Tax details ${taxUnreadable ? 'missing or unreadable' : 'missing'} for ${countOf(taxLacking, 'payout')}` : 'Tax details complete for all'}</p> : null}
        </div>
        {view.lines.length === 0 ? (
          <p class="empty-inline">{view.close ? 'No creator had a positive balance to pay for this period.' : view.ended ? 'Payouts appear here once the period is closed.' : 'Payouts appear here once the month has ended and is closed.'}</p>
        ) : (
          <div class="table-wrap">
            <table class="payouts stack-sm">
              <thead>
                <tr>
                  <th scope="col">Creator</th>
                  <th scope="col">Pay to</th>
                  <th scope="col" class="num">
                    Commission
                  </th>
                  <th scope="col" class="num">
                    Refunds
                  </th>
                  <th scope="col" class="num">
                    Fees
                  </th>
                  <th scope="col" class="num">
                    Bonuses
                  </th>
                  <th scope="col" class="num">
                    Net
                  </th>
                  <th scope="col">Status</th>
                  {canPay && hasPending ? <th scope="col">Record payment</th> : null}
                </tr>
              </thead>
              <tbody>
                {view.lines.slice(0, view.shown).map((l) => (
                  <tr>
                    <td class="wide">
                      <strong>{l.name}</strong>
                      <span class="muted small block">
                        @{l.handle} · {formatCount(l.conversions)} {l.conversions === 1 ? 'sale' : 'sales'}
                      </span>
                      <a class="small block" href={`/console/payouts/${l.id}`}>
                        Statement<span class="visually-hidden"> of {l.name}’s payout</span>
                      </a>
                    </td>
                    <td class="small wide" data-label="Pay to">
                      <PayTo line={l} />
                    </td>
                    <Amount label="Commission" minor={l.commissionMinor} currency={l.currency} />
                    <Amount label="Refunds" minor={l.reversalsMinor} currency={l.currency} positive={GIVEN_BACK} />
                    <Amount label="Fees" minor={l.flatFeesMinor} currency={l.currency} />
                    <Amount label="Bonuses" minor={l.bonusesMinor} currency={l.currency} />
                    <td class="num net" data-label="Net">
                      <strong>{formatMoney(l.netMinor, l.currency)}</strong>
                    </td>
                    <td data-label="Status">
                      <Badge status={l.status} label={STATUS_LABELS[l.status] ?? l.status} />
                      {l.reference ? <span class="muted small block">ref {l.reference}</span> : null}
                      {l.status === 'failed' && l.failureReason ? <span class="warn-text small block">{l.failureReason}</span> : null}
                      {l.givenUp ? <span class="muted small block">Given up by the creator when they closed their account: not to be paid.</span> : null}
                    </td>
                    {canPay && hasPending ? (
                      <td class="wide">
                        {l.status !== 'paid' && !l.givenUp ? (
                          <form method="post" action={`/console/payouts/${l.id}/mark`} class="mark-form">
                            <input type="hidden" name="period" value={period} />
                            <label for={`ref-${l.id}`} class="visually-hidden">
                              Payment reference for {l.name}
                            </label>
                            <input id={`ref-${l.id}`} name="reference" type="text" required maxlength={200} placeholder="Reference" />
                            <button type="submit" name="status" value="paid" class="button button-small">
                              Paid
                            </button>
                          </form>
                        ) : null}
                        {l.status === 'pending' ? (
                          // A payment the processor bounced: recorded with its reason, which the creator is mailed.
                          <details class="mark-failed">
                            <summary class="small">
                              It failed…<span class="visually-hidden"> (the payment to {l.name})</span>
                            </summary>
                            <form method="post" action={`/console/payouts/${l.id}/mark`} class="stack">
                              <input type="hidden" name="period" value={period} />
                              <input type="hidden" name="status" value="failed" />
                              <div class="field">
                                <label for={`fref-${l.id}`}>Payment reference</label>
                                <input id={`fref-${l.id}`} name="reference" type="text" required maxlength={200} />
                              </div>
                              <div class="field">
                                <label for={`why-${l.id}`}>Why, for {l.name}</label>
                                <input id={`why-${l.id}`} name="reason" type="text" maxlength={200} placeholder="Recipient account closed" />
                              </div>
                              <div>
                                <button type="submit" class="button button-small button-danger">
                                  Mark failed
                                </button>
                              </div>
                            </form>
                          </details>
                        ) : null}
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
              <tfoot>
                {view.totals.map(([currency, t]) => (
                  <tr>
                    <td colspan={2} class="wide">
                      Total · {countOf(t.payouts, 'payout')} · {countOf(t.conversions, 'sale')}
                    </td>
                    <Amount label="Commission" minor={t.commission} currency={currency} />
                    <Amount label="Refunds" minor={t.reversals} currency={currency} positive={GIVEN_BACK} />
                    <Amount label="Fees" minor={t.fees} currency={currency} />
                    <Amount label="Bonuses" minor={t.bonuses} currency={currency} />
                    <td class="num net" data-label="Net">
                      {formatMoney(t.net, currency)}
                    </td>
                    <td colspan={canPay && hasPending ? 2 : 1} class="filler"></td>
                  </tr>
                ))}
              </tfoot>
            </table>
          </div>
        )}
        {view.lines.length > view.shown ? <p class="muted small">Showing {formatCount(view.shown)} of {formatCount(view.lines.length)}; the CSV has them all.</p> : null}
      </section>
      {view.paymentFiles ? <PaymentFilesSection files={view.paymentFiles} period={period} canPay={canPay} /> : null}
      <section class="card" aria-labelledby="year-end-h">
        <h2 id="year-end-h">Year-end totals</h2>
        <p class="muted small">
          For your tax filings (in the US, a 1099-NEC for each contractor where the law requires one; the file lists everyone paid, whatever the amount): one row per creator and currency with the total of the payouts marked paid in the year (by the paid date in {viewer.timezone}), their number, and the creator's tax details: legal name, country, individual or
          business, and the full tax id, or <code>missing</code> when they have not given them or not accepted your brand, or <code>unreadable</code> when our encryption key changed since they gave them (ask them to enter them again). Each download is recorded in your activity log.
        </p>
        {canTakeTaxIds ? (
          <form method="get" action="/console/payouts/year-end.csv" class="filters">
            <label for="year-end-year" class="small">
              Year
            </label>
            <input id="year-end-year" name="year" type="number" inputmode="numeric" min={2000} max={2199} step={1} required value={String(defaultYear)} />
            <button type="submit" class="button">
              Download year-end CSV
            </button>
          </form>
        ) : (
          <p class="small">Needs an owner or finance: the file carries your creators' full tax ids.</p>
        )}
      </section>
      {canPay ? (
        <section class="card" aria-labelledby="reconcile-h">
          <h2 id="reconcile-h">Reconcile with your payment processor</h2>
          <p class="muted small">
            Upload the processor's file with the columns <code>payout_id</code>, <code>reference</code> and optionally <code>status</code> (paid or failed; paid if empty) and <code>reason</code> (why a payment failed; the creator sees it). The payouts export works too: fill in the references and
            statuses of what you paid; its TOTAL row and rows still pending are left out. Every line is checked before anything changes, and running the same file twice changes nothing.
          </p>
          <form method="post" action="/console/payouts/reconcile" enctype="multipart/form-data" class="reconcile-form">
            <input type="hidden" name="period" value={period} />
            <div class="field">
              <label for="reconcile-file">Processor CSV</label>
              <input id="reconcile-file" name="file" type="file" accept=".csv,text/csv" required />
            </div>
            <button type="submit" class="button">
              Reconcile
            </button>
          </form>
        </section>
      ) : null}
    </ConsolePage>
  );
};

// One payout's statement for the brand (GET /console/payouts/:id): the creator, where it goes as the Payouts page
// shows it, and every entry it paid, to print or attach to the payment.
export const ConsoleStatementPage: FC<{ viewer: Viewer; toReview: number; line: PayoutLine; statement: PayoutStatement; canDownload: boolean }> = ({ viewer, toReview, line, statement, canDownload }) => {
  const p = statement.payout;
  return (
    <ConsolePage title={`Payout ${line.handle} ${p.period}`} viewer={viewer} section="payouts" toReview={toReview}>
      <p class="eyebrow no-print">
        <a href={`/console/payouts?period=${p.period}`}>Payouts · {formatPeriod(p.period)}</a> · Statement
      </p>
      <h1 class="page-title">
        {line.name} · {formatPeriod(p.period)} payout
      </h1>
      <StatementBody statement={statement} csvHref={canDownload ? `/console/payouts/${p.id}.csv` : null}>
        <dt>Creator</dt>
        <dd>
          {line.name} <span class="muted">@{line.handle}</span>
        </dd>
        <dt>From</dt>
        <dd>{viewer.brandName}</dd>
        <dt>Period</dt>
        <dd>{formatPeriod(p.period)}</dd>
        <dt>Pay to</dt>
        <dd>
          <PayTo line={line} />
        </dd>
      </StatementBody>
    </ConsolePage>
  );
};

const FILE_LABELS: Record<PaymentFormat, { title: string; service: string; button: string; what: string }> = {
  sepa: { title: 'SEPA bank transfer', service: 'Your bank', button: 'Download SEPA XML', what: 'Bank transfers, for your bank’s bulk upload (pain.001.001.03).' },
  ach: { title: 'ACH bank transfer', service: 'Your bank', button: 'Download NACHA file', what: 'US bank accounts, for your bank’s ACH upload (a NACHA file of PPD credits).' },
  paypal: { title: 'PayPal Payouts', service: 'PayPal', button: 'Download PayPal CSV', what: 'PayPal payouts, for Payouts on paypal.com (no header row, as PayPal takes it).' },
  wise: { title: 'Wise batch', service: 'Wise', button: 'Download Wise CSV', what: 'Wise payouts, for Wise’s batch payment by email.' },
};

export const LEFT_OUT_LABELS: Record<LeftOutReason, string> = {
  no_details: 'No payout details yet',
  not_shared: 'Not shared: they have not accepted your brand yet',
  erased: 'Erased at their request',
  unreadable: 'Payout details unreadable (our key changed): ask them to enter them again',
  holder_missing: 'Bank transfer without the account holder’s name: their Earnings page asks them to add it',
  legal_name_not_latin: 'Bank transfer without the account holder’s name, and the legal name of their tax details is not in Latin letters: their Earnings page asks them to add the holder',
  sepa_unavailable: 'Bank transfer: SEPA files are in euros only, so pay it from your bank by hand',
  iban_not_sepa: 'Bank account outside SEPA: pay it from your bank by hand',
  payer_address_needed: 'Pay by hand: needs the payer’s address (a bank in a SEPA country outside the EEA, such as the UK or Switzerland)',
  nothing_to_pay: 'Nothing to pay: its net is zero or below',
  failed_same_details: 'Failed, and they have not changed their payout details since',
  other_currency: 'In another currency than your brand’s',
  account_unsafe: 'Their email starts with a character spreadsheets run as a formula: pay it by hand',
  paypal_whole_units: 'PayPal pays this currency in whole units only, and this net has a fraction: pay it by hand rather than rounded',
  ach_unavailable: 'US bank account: ACH files are in US dollars only, so pay it from your bank by hand',
  ach_amount_too_large: 'More than one ACH entry carries ($99,999,999.99): pay it by wire',
};

const hrefOf = (period: string, format: PaymentFormat) => `/console/payouts/payment-file?period=${period}&format=${format}`;

// A file's download that asks one thing first (the SEPA or ACH pay-on date, PayPal's decimal mark): a GET form.
const FileForm: FC<{ period: string; format: PaymentFormat; button: string; children: Child }> = ({ period, format, button, children }) => (
  <form method="get" action="/console/payouts/payment-file" class="file-form">
    <input type="hidden" name="period" value={period} />
    <input type="hidden" name="format" value={format} />
    <div class="field">{children}</div>
    <button type="submit" class="button button-primary">
      {button}
    </button>
  </form>
);

// One file: how many payouts it pays and how much, and its download (a GET: it marks nothing paid).
const PaymentFileCard: FC<{ format: PaymentFormat; run: PaymentRun; today: string; period: string; canPay: boolean }> = ({ format, run, today, period, canPay }) => {
  const { lines, totalMinor } = run.files[format];
  const label = FILE_LABELS[format];
  const sepaBlocked = format === 'sepa' && run.sepa !== 'offered';
  const achMissing = format === 'ach' && run.ach.state === 'no_origin_settings' ? run.ach.missing : null;
  const tooMany = lines.length > FORMAT_MAX_ROWS[format] ? `${label.service} takes at most ${formatCount(FORMAT_MAX_ROWS[format])} payments in one upload: pay these from the payouts CSV` : null;
  const blockedWhy = sepaBlocked ? 'Add the account you pay from in Settings first' : achMissing ? 'Add your ACH origination settings in Settings first' : null;
  const disabledWhy = !canPay ? 'Needs an owner, manager or finance' : lines.length === 0 ? 'Nothing to pay by this file' : (tooMany ?? blockedWhy);
  return (
    <article class="payment-file" aria-labelledby={`file-${format}-h`}>
      <h3 id={`file-${format}-h`}>{label.title}</h3>
      {format === 'sepa' && run.sepa === 'not_eur' ? (
        <p class="muted small">Not offered: SEPA credit transfers are in euros, and your brand pays in {run.currency}. Bank transfers are listed below.</p>
      ) : format === 'ach' && run.ach.state === 'not_usd' ? (
        <p class="muted small">Not offered: ACH transfers are in US dollars, and your brand pays in {run.currency}.</p>
      ) : (
        <>
          <p class="file-amount">{formatMoney(totalMinor, run.currency)}</p>
          <p class="muted small">
            {countOf(lines.length, 'payout')}. {label.what}
          </p>
          {tooMany ? <p class="warn-text small">{tooMany}.</p> : null}
          {sepaBlocked ? (
            <p class="warn-text small">
              Add the account you pay from (<a href="/console/settings">Settings</a>, an owner) to download it.
            </p>
          ) : null}
          {achMissing ? (
            <p class="warn-text small">
              Add your ACH origination settings (<a href="/console/settings#ach-h">Settings</a>, an owner) to download it: missing {achMissing.map((f) => ACH_ORIGIN_LABELS[f]).join(', ')}.
            </p>
          ) : null}
          {disabledWhy !== null ? (
            <button type="button" class="button" disabled title={disabledWhy}>
              {label.button}
            </button>
          ) : format === 'sepa' || format === 'ach' ? (
            // SEPA's requested execution date, ACH's effective entry date: the day the bank pays.
            <FileForm period={period} format={format} button={label.button}>
              <label for={`${format}-date`} class="small">
                Pay on
              </label>
              <input id={`${format}-date`} name="executionDate" type="date" required min={today} max={format === 'ach' ? addDays(today, ACH_DAYS_AHEAD) : undefined} value={defaultExecutionDate(format, today)} aria-describedby={format === 'ach' ? 'ach-date-hint' : undefined} />
              {format === 'ach' ? (
                <p id="ach-date-hint" class="hint small">
                  A weekday up to {ACH_DAYS_AHEAD} days ahead: ACH credits settle on business days.
                </p>
              ) : null}
            </FileForm>
          ) : format === 'paypal' && paypalWritesFraction(run.currency) ? (
            <FileForm period={period} format="paypal" button={label.button}>
              <label for="paypal-decimal" class="small">
                Amounts as
              </label>
              <select id="paypal-decimal" name="decimal" aria-describedby="paypal-decimal-hint">
                <option value="point">12.30</option>
                <option value="comma">12,30</option>
              </select>
              <p id="paypal-decimal-hint" class="hint small">
                As your PayPal account’s country writes them.
              </p>
            </FileForm>
          ) : (
            // No download attribute: a file that cannot be made answers the Payouts page with why, which a download would save as a file.
            <a class="button button-primary" href={hrefOf(period, format)}>
              {label.button}
            </a>
          )}
        </>
      )}
    </article>
  );
};

// The closed month's payouts as files to upload to the bank, PayPal and Wise, and the payouts no file pays, with why.
const PaymentFilesSection: FC<{ files: NonNullable<PayoutsView['paymentFiles']>; period: string; canPay: boolean }> = ({ files: { run, today }, period, canPay }) => (
  <section class="card" aria-labelledby="files-h">
    <h2 id="files-h">Payment files</h2>
    <p class="muted small">
      Upload a file to your bank, PayPal or Wise to pay every payout in it at once: each pays the payouts still to pay whose creators chose that method, their net in {run.currency}. Downloading marks nothing paid: once the money went, mark them paid (Reconcile below, or Paid on each line). Each download is recorded in your activity log.
    </p>
    <div class="payment-files">
      {PAYMENT_FORMATS.map((format) => (
        <PaymentFileCard format={format} run={run} today={today} period={period} canPay={canPay} />
      ))}
    </div>
    {run.leftOut.length > 0 ? (
      <>
        <h3 id="left-out-h">In no file: {countOf(run.leftOut.length, 'payout')}</h3>
        <DataTable columns={['Creator', 'Net', 'Why']}>
          {run.leftOut.map(({ line, reason }) => (
            <tr>
              <td class="wide" data-label="Creator">
                <strong>{line.name}</strong> <span class="muted small">@{line.handle}</span>
              </td>
              <td class="num" data-label="Net">
                {formatMoney(line.netMinor, line.currency)}
              </td>
              <td class="small wide" data-label="Why">
                {LEFT_OUT_LABELS[reason]}
              </td>
            </tr>
          ))}
        </DataTable>
      </>
    ) : (
      <p class="muted small">Every payout still to pay is in a file.</p>
    )}
    {run.settled > 0 ? <p class="muted small">{countOf(run.settled, 'payout')} already paid (or given up by the creator) are in no file.</p> : null}
  </section>
);

const ReconcileResults: FC<{ results: ReconcileLine[] }> = ({ results }) => {
  const count = (o: string) => results.filter((r) => r.outcome === o).length;
  return (
    <section class="card" aria-labelledby="recon-h">
      <h2 id="recon-h">Reconciliation: {countOf(results.length, 'line')}</h2>
      <p>
        {formatCount(count('paid'))} marked paid · {formatCount(count('failed'))} marked failed · {formatCount(count('unchanged'))} already recorded
        {count('given_up') > 0 ? ` · ${formatCount(count('given_up'))} given up by the creator` : null}
        {count('conflict') + count('not_found') > 0 ? (
          <strong class="warn-text">
            {' '}
            · {formatCount(count('conflict') + count('not_found'))} need a look
          </strong>
        ) : null}
      </p>
      <div class="table-wrap">
        <table class="stack-sm">
          <thead>
            <tr>
              <th scope="col" class="num">
                Line
              </th>
              <th scope="col">Payout</th>
              <th scope="col">Creator</th>
              <th scope="col">Outcome</th>
            </tr>
          </thead>
          <tbody>
            {results.slice(0, 500).map((r) => (
              <tr>
                <td class="num" data-label="Line">
                  {r.line ?? '—'}
                </td>
                <td class="wide" data-label="Payout">
                  <code>{r.payoutId}</code>
                  {r.period ? <span class="muted small"> · {formatPeriod(r.period)}</span> : null}
                </td>
                <td data-label="Creator">{r.handle ? `@${r.handle}` : '—'}</td>
                <td data-label="Outcome">
                  <span class={`outcome outcome-${OUTCOME[r.outcome]?.tone ?? 'neutral'}`}>{OUTCOME[r.outcome]?.label ?? r.outcome}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
};
