// Bulk onboarding: upload the roster, see line-numbered problems, confirm the good rows, watch it import.
import { raw } from 'hono/html';
import type { FC } from 'hono/jsx';
import type { ImportResult } from '../../worker/db/creator-import';
import type { RowError } from '../../worker/domain/creator-import';
import { IMPORT_COLUMNS } from '../../worker/domain/creator-import';
import { formatCount } from '../format';
import { Notice, Progress } from '../layout';
import { CampaignHeader, ConfirmStep, ConsolePage, FlashNotice, type Flash, type Viewer } from './layout';

export type ImportOptionsForm = { codePattern: string; discountPercent: string };

type CampaignBits = { id: string; name: string; status: string; hashtag: string };

const SAMPLE = `${IMPORT_COLUMNS.join(',')}
sarah@creators.example,sarah,Sarah Chen,skincare,instagram,18400,affiliate,,"Lead with a problem_solution story.",uk; wave 1
mateo@creators.example,@mateo,Mateo Alvarez,grooming,tiktok,42100,hybrid,250,,wave 2`;

const OptionsFields: FC<{ options: ImportOptionsForm }> = ({ options }) => (
  <div class="two-fields">
    <div class="field">
      <label for="codePattern">Discount code pattern</label>
      <input id="codePattern" name="codePattern" type="text" required maxlength={40} value={options.codePattern} aria-describedby="code-hint" />
      <p id="code-hint" class="hint">
        <code>{'{HANDLE}'}</code> becomes the creator's handle: <code>{'{HANDLE}'}15</code> gives SARAH15.
      </p>
    </div>
    <div class="field">
      <label for="discountPercent">Shopper discount</label>
      <div class="input-suffix">
        <input id="discountPercent" name="discountPercent" type="number" inputmode="numeric" required min={1} max={100} step={1} value={options.discountPercent} aria-describedby="discount-hint" />
        <span>%</span>
      </div>
      <p id="discount-hint" class="hint">
        Create the same codes with this discount in your store too (in Shopify: Discounts): Chorus credits the creator whose code an order used, but your checkout is what applies the discount.
      </p>
    </div>
  </div>
);

// Chorus mails each creator who has not accepted their own invite link (the one the sheet holds).
export const MailInvitationsForm: FC<{ campaignId: string; primary?: boolean }> = ({ campaignId, primary = false }) => (
  <form method="post" action={`/console/campaigns/${campaignId}/invitations/mail`} class="inline-action">
    <button type="submit" class={primary ? 'button button-primary' : 'button button-small'}>
      Email the invitations
    </button>
  </form>
);

export const ImportPage: FC<{
  viewer: Viewer;
  canWrite: boolean;
  campaign: CampaignBits;
  enrolled: number;
  options: ImportOptionsForm;
  toReview: number;
  problem?: { message: string; line?: number; title?: string };
  rowErrors?: { errors: RowError[]; validRows: number; csv: string; fileName: string | null; suggestedPattern?: string | null };
  flash?: Flash;
  // "Email the invitations" asks once more, with how many it would mail now.
  confirmMail?: { open: number; due: number; today: number };
}> = ({ viewer, canWrite, campaign, enrolled, options, toReview, problem, rowErrors, flash, confirmMail }) => (
  <ConsolePage title={`Import creators · ${campaign.name}`} viewer={viewer} section="campaigns" toReview={toReview}>
    <CampaignHeader campaign={campaign} tab="import" brandName={viewer.brandName} />
    <FlashNotice flash={flash ?? null} />
    {confirmMail ? (
      <ConfirmStep
        title={`Email ${formatCount(confirmMail.today)} ${confirmMail.today === 1 ? 'creator' : 'creators'} their invitation?`}
        action={`/console/campaigns/${campaign.id}/invitations/mail`}
        submit={`Yes, email ${formatCount(confirmMail.today)}`}
        cancelHref={`/console/campaigns/${campaign.id}/import`}
        cancel="Not now"
        tone="primary"
      >
        Each gets their own invite link from Chorus, in {viewer.brandName}'s name.
        {confirmMail.due > confirmMail.today ? ` ${formatCount(confirmMail.due - confirmMail.today)} more are past today's allowance of emails: they go when you send again tomorrow.` : ''}
        {confirmMail.open > confirmMail.due ? ` ${formatCount(confirmMail.open - confirmMail.due)} more have not accepted, but were emailed in the last three days (or are on their way) or three times already.` : ''} A
        creator gets at most three emails for this campaign, three days apart.
      </ConfirmStep>
    ) : null}
    {enrolled > 0 && !confirmMail ? (
      <section class="card" aria-labelledby="invitations-h">
        <div class="card-head">
          <h2 id="invitations-h">Invitations</h2>
          <span class="muted small">{formatCount(enrolled)} creators enrolled</span>
        </div>
        {canWrite ? (
          <>
            <p class="small">
              Have Chorus email each creator who has not accepted yet their own invite link (then up to two reminders, three days apart, each when you press it again), or
              download the links and send them yourself.
            </p>
            <div class="form-actions">
              <MailInvitationsForm campaignId={campaign.id} />
              <a class="button button-small" href={`/console/campaigns/${campaign.id}/invites.csv`}>
                Download invites (CSV)
              </a>
            </div>
          </>
        ) : (
          <p class="small muted">Owners and managers send the invitations.</p>
        )}
      </section>
    ) : null}
    {problem ? (
      <Notice tone={problem.title ? 'warn' : 'error'} title={problem.title ?? "This file can't be imported"}>
        <p>
          {problem.line ? `Line ${problem.line}: ` : ''}
          {problem.message}
        </p>
      </Notice>
    ) : null}
    {rowErrors ? (
      <section class="card card-warn" aria-labelledby="row-errors-h">
        <h2 id="row-errors-h">
          {formatCount(new Set(rowErrors.errors.map((e) => e.line)).size)} {new Set(rowErrors.errors.map((e) => e.line)).size === 1 ? 'row has' : 'rows have'} problems
          {rowErrors.fileName ? <span class="muted small"> in {rowErrors.fileName}</span> : null}
        </h2>
        <p>Nothing has been imported yet. Fix these lines in your spreadsheet and upload it again, or import only the rows that are fine.</p>
        <div class="table-wrap">
          <table class="row-errors">
            <thead>
              <tr>
                <th scope="col" class="num">
                  Line
                </th>
                <th scope="col">Column</th>
                <th scope="col">Problem</th>
              </tr>
            </thead>
            <tbody>
              {rowErrors.errors.slice(0, 200).map((e) => (
                <tr>
                  <td class="num">{e.line}</td>
                  <td>
                    <code>{e.field}</code>
                  </td>
                  <td>{e.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {rowErrors.errors.length > 200 ? <p class="muted small">Showing the first 200 of {formatCount(rowErrors.errors.length)} problems.</p> : null}
        {rowErrors.suggestedPattern ? (
          <form method="post" action={`/console/campaigns/${campaign.id}/import`} enctype="multipart/form-data" class="notice notice-info stack-tight">
            <p>
              Some of these codes are taken, often by returning creators who hold them from another campaign. <code>{rowErrors.suggestedPattern}</code> gives every row a code
              of its own in this campaign, for example <strong>{rowErrors.suggestedPattern.replace('{HANDLE}', 'SARAH')}</strong>. Using it checks the file again, and imports it if
              nothing else is wrong.
            </p>
            <input type="hidden" name="csv" value={rowErrors.csv} />
            <input type="hidden" name="codePattern" value={rowErrors.suggestedPattern} />
            <input type="hidden" name="discountPercent" value={options.discountPercent} />
            <div>
              <button type="submit" class="button button-small">
                Use {rowErrors.suggestedPattern}
              </button>
            </div>
          </form>
        ) : null}
        {rowErrors.validRows > 0 ? (
          <form method="post" action={`/console/campaigns/${campaign.id}/import`} enctype="multipart/form-data" class="form-actions confirm-import">
            <input type="hidden" name="csv" value={rowErrors.csv} />
            <input type="hidden" name="codePattern" value={options.codePattern} />
            <input type="hidden" name="discountPercent" value={options.discountPercent} />
            <input type="hidden" name="confirm" value="1" />
            <button type="submit" class="button button-primary">
              Import the {formatCount(rowErrors.validRows)} good {rowErrors.validRows === 1 ? 'row' : 'rows'}
            </button>
            <a class="button button-quiet" href={`/console/campaigns/${campaign.id}/import`}>
              Start over
            </a>
          </form>
        ) : (
          <p>
            <strong>No row can be imported as it is.</strong>
          </p>
        )}
      </section>
    ) : null}
    <div class="import-layout">
      <form method="post" action={`/console/campaigns/${campaign.id}/import`} enctype="multipart/form-data" class="card stack">
        <h2>Upload your roster</h2>
        <fieldset class="stack plain" disabled={!canWrite}>
          <div class="field">
            <label for="file">Roster CSV</label>
            <input id="file" name="file" type="file" accept=".csv,text/csv" aria-describedby="file-hint" />
            <p id="file-hint" class="hint">
              Up to 1,000 creators per file. Export it from your spreadsheet as CSV (UTF-8); commas or semicolons between cells.
            </p>
          </div>
          <details class="paste">
            <summary>…or paste the rows instead</summary>
            <div class="field">
              <label for="csv">Rows, with their header row</label>
              <textarea id="csv" name="csv" rows={8} maxlength={1000000} spellcheck={false} class="mono" placeholder={SAMPLE} aria-describedby="csv-hint"></textarea>
              <p id="csv-hint" class="hint">
                Copy them from your spreadsheet, header row first, and paste: tab-, comma- or semicolon-separated all work.
              </p>
            </div>
          </details>
          <OptionsFields options={options} />
          <div class="form-actions">
            <button type="submit" class="button button-primary">
              Check and import
            </button>
            <span class="muted small">Rows with problems are listed first; nothing is written until the file is clean or you confirm.</span>
          </div>
        </fieldset>
      </form>
      <aside class="card">
        <h2>What the file needs</h2>
        <p class="small">
          A header row with these columns (only <strong>email</strong>, <strong>handle</strong> and <strong>name</strong> are required):
        </p>
        <ul class="chips columns-list">
          {IMPORT_COLUMNS.map((col) => (
            <li>
              <code>{col}</code>
            </li>
          ))}
        </ul>
        <dl class="facts small">
          <dt>handle</dt>
          <dd>as on their platform, with or without @: letters, digits, _, . or -</dd>
          <dt>payment_model</dt>
          <dd>product, affiliate (default), flat or hybrid</dd>
          <dt>flat_fee</dt>
          <dd>per live post, in {viewer.currency}; required for flat and hybrid</dd>
          <dt>brief_section</dt>
          <dd>the creator's own part of the brief</dd>
          <dt>tags</dt>
          <dd>your own labels, separated by ; or , (up to 10 each): added to any they have</dd>
        </dl>
        <p class="small">Each creator gets an account (or keeps theirs), an enrollment, a tracked link, a discount code and an invite link. Re-uploading the same file changes nothing.</p>
      </aside>
    </div>
  </ConsolePage>
);

// ---------- The streamed import: page head, one progress step per chunk, then the result ----------

export const PROGRESS_MARKER = '<!--chorus:progress-->';
export const RESULT_MARKER = '<!--chorus:result-->';

export const ImportRunPage: FC<{ viewer: Viewer; campaign: CampaignBits; total: number; skipped: number; toReview: number }> = ({ viewer, campaign, total, skipped, toReview }) => (
  <ConsolePage title={`Importing · ${campaign.name}`} viewer={viewer} section="campaigns" toReview={toReview}>
    <CampaignHeader campaign={campaign} tab="import" brandName={viewer.brandName} />
    <section class="card" aria-labelledby="progress-h">
      <h2 id="progress-h">
        Importing {formatCount(total)} {total === 1 ? 'creator' : 'creators'}
        {skipped > 0 ? <span class="muted small"> · {formatCount(skipped)} {skipped === 1 ? 'row' : 'rows'} with problems left out</span> : null}
      </h2>
      <div class="progress-log" role="status" aria-live="polite">
        {raw(PROGRESS_MARKER)}
      </div>
    </section>
    {raw(RESULT_MARKER)}
  </ConsolePage>
);

export const ProgressStep: FC<{ done: number; total: number }> = ({ done, total }) => (
  <div class="progress-step">
    <Progress fraction={total === 0 ? 1 : done / total} label="Import progress" />
    <p class="small">{done >= total ? `Done: ${formatCount(total)} of ${formatCount(total)} rows processed.` : `${formatCount(done)} of ${formatCount(total)} rows processed…`}</p>
  </div>
);

const INVITE_STATUS: Record<string, string> = { invite: 'Invite ready', accepted: 'Accepted', expired: 'Invite expired' };

// A file imported again creates nothing: it says so, rather than "2 rows imported" over a row of zeros.
function importSummary(result: ImportResult): string {
  const c = result.created;
  const leftOut = new Set(result.skippedRows.map((e) => e.line)).size;
  const left = leftOut > 0 ? `, ${formatCount(leftOut)} left out` : '';
  if (result.rows > 0 && c.creators + c.enrollments + c.links + c.codes + c.invites === 0) {
    return `Nothing new: ${result.rows === 1 ? 'the row was' : `all ${formatCount(result.rows)} rows were`} already in this campaign, unchanged${left}.`;
  }
  return `${formatCount(result.rows)} ${result.rows === 1 ? 'row' : 'rows'} imported${left}. Rows that were already imported are unchanged.`;
}

export const ImportResultView: FC<{ campaignId: string; result: ImportResult }> = ({ campaignId, result }) => {
  const c = result.created;
  return (
    <section class="card" aria-labelledby="result-h">
      <Notice tone="success" title="Import finished">
        {importSummary(result)}
      </Notice>
      <h2 id="result-h">What was created</h2>
      <div class="stats stats-5">
        <div class="stat">
          <div class="stat-value">{formatCount(c.creators)}</div>
          <div class="stat-label">New on your roster</div>
        </div>
        <div class="stat">
          <div class="stat-value">{formatCount(c.enrollments)}</div>
          <div class="stat-label">Enrollments</div>
        </div>
        <div class="stat">
          <div class="stat-value">{formatCount(c.links)}</div>
          <div class="stat-label">Tracked links</div>
        </div>
        <div class="stat">
          <div class="stat-value">{formatCount(c.codes)}</div>
          <div class="stat-label">Discount codes</div>
        </div>
        <div class="stat">
          <div class="stat-value">{formatCount(c.invites)}</div>
          <div class="stat-label">Invites</div>
        </div>
      </div>
      <p class="small">Send the creators their invitations: Chorus emails each their own link, or download the sheet and send the links yourself.</p>
      <div class="form-actions">
        <MailInvitationsForm campaignId={campaignId} primary />
        <a class="button" href={`/console/campaigns/${campaignId}/invites.csv`} download>
          Download invites (CSV)
        </a>
        <a class="button button-quiet" href={`/console/campaigns/${campaignId}/network`}>
          See the network
        </a>
      </div>
      {result.skippedRows.length > 0 ? (
        <section aria-labelledby="left-out-h">
          <h3 id="left-out-h">Left out</h3>
          <ul class="checklist">
            {result.skippedRows.map((e) => (
              <li>
                Line {e.line}
                {e.field ? ` (${e.field})` : ''}: {e.message}
              </li>
            ))}
          </ul>
          <p class="muted small">Fix these rows and upload the file again: rows already imported stay as they are.</p>
        </section>
      ) : null}
      <p class="muted small">The CSV holds each creator's invite link, tracked link and code. Send every creator their own row. An invite link emails the creator a link to set their password, so only they can open their account; still, keep the file private.</p>
      {result.invites.length > 0 ? (
        <div class="table-wrap">
          <table class="invites stack-sm">
            <thead>
              <tr>
                <th scope="col" class="num">
                  Line
                </th>
                <th scope="col">Creator</th>
                <th scope="col">Email</th>
                <th scope="col">Code</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {result.invites.slice(0, 100).map((r) => (
                <tr>
                  <td class="num" data-label="Line">
                    {r.line ?? '—'}
                  </td>
                  <td class="wide">
                    <strong>{r.name}</strong> <span class="muted">@{r.handle}</span>
                  </td>
                  <td class="wide" data-label="Email">
                    {r.email}
                  </td>
                  <td data-label="Code">{r.code ? <code>{r.code}</code> : '—'}</td>
                  <td data-label="Status">
                    <span class={`invite-status invite-${r.status}`}>{INVITE_STATUS[r.status] ?? r.status}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
};

export const ImportFailedView: FC<{ campaignId: string; message: string }> = ({ campaignId, message }) => (
  <Notice tone="error" title="The import stopped">
    <p>{message}</p>
    <p>
      <a href={`/console/campaigns/${campaignId}/import`}>Upload the file again</a>: rows already imported are skipped, so it picks up where it stopped.
    </p>
  </Notice>
);
