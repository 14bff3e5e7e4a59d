// Tracking from a file, on a campaign's Gifting tab: the upload (or paste) form, then the check of the file, line
// by line, with the button that ships what it found good (db/gift-tracking.ts). Works without script.
import type { FC } from 'hono/jsx';
import { GIFT_REQUEST_ID, TRACKING_COLUMNS, type TrackingLine, type TrackingOutcome, type TrackingReport } from '../../worker/db/gift-tracking';
import { countOf, formatCount } from '../format';
import { Badge, Notice, Stat } from '../layout';
import { CampaignHeader, ConsolePage, DataTable, type Viewer } from './layout';

type CampaignBits = { id: string; name: string; status: string; hashtag: string };

const SAMPLE = `request_id,carrier,tracking_number
gr_…,UPS,1Z999AA10123456784`;

export const TrackingUploadForm: FC<{ campaignId: string; open?: boolean }> = ({ campaignId, open = false }) => (
  <details class="card tracking-upload" open={open}>
    <summary>Add tracking from a file</summary>
    <form method="post" action={`/console/campaigns/${campaignId}/gifting/tracking`} enctype="multipart/form-data" class="stack">
      <p class="small">
        Give your warehouse the packing list and have it fill in <code>carrier</code> and <code>tracking_number</code> (a <code>tracking_url</code> too, if the carrier is not
        UPS, USPS, FedEx or DHL). Upload it here: you see what each line does before anything is shipped or emailed.
      </p>
      <div class="field">
        <label for="tracking-file">Tracking file (CSV)</label>
        <input id="tracking-file" name="file" type="file" accept=".csv,.tsv,.txt,text/csv" aria-describedby="tracking-file-hint" />
        <p id="tracking-file-hint" class="hint">
          Up to 2,000 lines. Columns request_id, carrier and tracking_number ({TRACKING_COLUMNS.slice(3).join(' and ')} optional); the packing list's other columns may stay.
        </p>
      </div>
      <details class="paste">
        <summary>…or paste the rows instead</summary>
        <div class="field">
          <label for="tracking-csv">Rows, with their header row</label>
          <textarea id="tracking-csv" name="csv" rows={6} maxlength={1000000} spellcheck={false} class="mono" placeholder={SAMPLE}></textarea>
        </div>
      </details>
      <div class="form-actions">
        <button type="submit" class="button">
          Check the file
        </button>
        <span class="muted small">Nothing is shipped until you confirm.</span>
      </div>
    </form>
  </details>
);

// What each outcome says before the confirm, and after it.
const OUTCOMES: Record<TrackingOutcome, { label: string; badge: string }> = {
  shipped: { label: 'Ships, creator emailed', badge: 'gift-shipped' },
  updated: { label: 'Tracking corrected, no email', badge: 'submitted' },
  unchanged: { label: 'Shipped already with this tracking', badge: 'invited' },
  skipped: { label: 'No tracking number: not shipped', badge: 'invited' },
  error: { label: 'Problem: left as it is', badge: 'failed' },
};
const DONE: Partial<Record<TrackingOutcome, string>> = { shipped: 'Shipped, creator emailed', updated: 'Tracking corrected, no email' };

// The first lines, and every line with a problem wherever it is: the ones to fix are never cut off.
const SHOWN_LINES = 500;

const LineRow: FC<{ l: TrackingLine; problems: string[]; done: boolean }> = ({ l, problems, done }) => (
  <tr>
    <td data-label="Line" class="num">
      {l.line}
    </td>
    <td data-label="Creator" class="wide">
      {l.request ? (
        <>
          <strong>{l.request.display_name}</strong> <span class="muted small">@{l.request.handle}</span>
        </>
      ) : (
        <span class="muted">—</span>
      )}
      <div class="muted small mono">{GIFT_REQUEST_ID.test(l.requestId) ? l.requestId : l.requestId ? 'not a request_id' : 'no request_id'}</div>
    </td>
    <td data-label="Tracking">{l.tracking ? `${l.tracking.carrier} · ${l.tracking.trackingNumber}` : <span class="muted">—</span>}</td>
    <td data-label="What happens" class="wide">
      <Badge status={OUTCOMES[l.outcome].badge} label={(done && DONE[l.outcome]) || OUTCOMES[l.outcome].label} />
      {problems.map((p) => (
        <div class="small warn-text">{p}</div>
      ))}
    </td>
  </tr>
);

const confirmLabel = (c: TrackingReport['counts']) =>
  c.shipped > 0
    ? `Ship ${formatCount(c.shipped)} and email ${c.shipped === 1 ? 'the creator' : 'the creators'}${c.updated > 0 ? `, correct ${formatCount(c.updated)}` : ''}`
    : `Correct the tracking of ${countOf(c.updated, 'gift')}`;

export const TrackingPage: FC<{
  viewer: Viewer;
  campaign: CampaignBits;
  toReview: number;
  fileName: string | null;
  csv: string;
  report?: TrackingReport;
  problem?: { message: string; line?: number };
  /** Deployed without PUBLIC_ORIGIN: a confirmed file that ships anything is refused (a ship mails a link). */
  withoutMail?: boolean;
}> = ({ viewer, campaign, toReview, fileName, csv, report, problem, withoutMail = false }) => {
  const back = `/console/campaigns/${campaign.id}/gifting`;
  const c = report?.counts;
  const shown = report?.lines.filter((l, i) => i < SHOWN_LINES || l.outcome === 'error') ?? [];
  const problemsOf = (line: number) => report?.errors.filter((e) => e.line === line).map((e) => `${e.field}: ${e.message}`) ?? [];
  return (
    <ConsolePage title={`Tracking file · ${campaign.name}`} viewer={viewer} section="campaigns" toReview={toReview}>
      <CampaignHeader campaign={campaign} tab="gifting" brandName={viewer.brandName} />
      <p>
        <a href={back}>← Back to gifting</a>
      </p>
      {problem ? (
        <>
          <Notice tone="error" title="This file can't be read">
            <p>
              {problem.line ? `Line ${problem.line}: ` : ''}
              {problem.message}
            </p>
          </Notice>
          <TrackingUploadForm campaignId={campaign.id} open />
        </>
      ) : null}
      {report && c ? (
        <section class="card" aria-labelledby="tracking-h">
          <h2 id="tracking-h">
            {report.dryRun ? 'Check before shipping' : 'What the file did'}
            {fileName ? <span class="muted small"> · {fileName}</span> : null}
          </h2>
          {report.dryRun && withoutMail && c.shipped > 0 ? (
            <Notice tone="warn" title="Shipping will be refused until PUBLIC_ORIGIN is set">
              <p>
                Each ship emails the creator a link, and this Chorus does not know the address to put in it, so confirming this file will write nothing. Ask whoever runs it to set
                PUBLIC_ORIGIN; a file that only corrects or repeats tracking goes through meanwhile.
              </p>
            </Notice>
          ) : null}
          {report.dryRun ? (
            <p>Nothing has been shipped or emailed yet. This is what the file does:</p>
          ) : (
            <Notice tone={c.shipped + c.updated > 0 ? 'success' : 'info'} title={`${countOf(c.shipped, 'gift')} shipped, each creator emailed; ${formatCount(c.updated)} corrected`}>
              <p>
                The {countOf(c.errorLines, 'line')} with problems below {c.errorLines === 1 ? 'was' : 'were'} left as {c.errorLines === 1 ? 'it was' : 'they were'} (some may have changed since the check:
                the creator changed the request, or it was declined or shipped meanwhile). Fix them and upload the file again: what shipped is not shipped or emailed twice.
              </p>
            </Notice>
          )}
          <div class="stats stats-5">
            <Stat label={report.dryRun ? 'Ship now' : 'Shipped'} value={formatCount(c.shipped)} hint="each creator emailed once" />
            <Stat label="Tracking corrected" value={formatCount(c.updated)} hint="no second email" />
            <Stat label="Shipped already" value={formatCount(c.unchanged)} hint="same tracking: nothing changes" />
            <Stat label="Lines without tracking" value={formatCount(c.skippedLines)} hint="not shipped" />
            <Stat label="Lines with problems" value={formatCount(c.errorLines)} hint="left as they are" />
          </div>
          {!report.dryRun ? (
            <p>
              <a class="button" href={back}>
                Back to gifting
              </a>
            </p>
          ) : c.shipped + c.updated > 0 ? (
            <form method="post" action={`${back}/tracking`} enctype="multipart/form-data" class="form-actions confirm-tracking">
              <input type="hidden" name="csv" value={csv} />
              <input type="hidden" name="fileName" value={fileName ?? ''} />
              <input type="hidden" name="confirm" value="1" />
              <button type="submit" class="button button-primary">
                {confirmLabel(c)}
              </button>
              <a class="button button-quiet" href={back}>
                Cancel
              </a>
            </form>
          ) : (
            <Notice tone="info">Nothing to ship or correct in this file{c.errorLines > 0 ? ': fix the lines with problems and upload it again' : ''}.</Notice>
          )}
          {report.dryRun && c.errorLines > 0 && c.shipped + c.updated > 0 ? (
            <p class="small muted">Lines with problems are left out. Fix them and upload the file again later: what shipped already is not shipped or emailed twice.</p>
          ) : null}
          <DataTable columns={['Line', 'Creator', 'Tracking', report.dryRun ? 'What happens' : 'What happened']} tableClass="tracking-lines">
            {shown.map((l) => (
              <LineRow l={l} problems={problemsOf(l.line)} done={!report.dryRun} />
            ))}
          </DataTable>
          {shown.length < report.lines.length ? (
            <p class="muted small">
              Showing the first {formatCount(SHOWN_LINES)} of {formatCount(report.lines.length)} lines and every line with a problem; the counts above are for the whole file.
            </p>
          ) : null}
        </section>
      ) : null}
    </ConsolePage>
  );
};
