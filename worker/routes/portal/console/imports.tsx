// Roster import from the console: check the file, list line-numbered problems, confirm the good rows, then
// stream the page while runCreatorImport works through its chunks, so a long import fills in as it goes.
import { mailOrigin, publicOrigin } from '../../../env';
import { Hono } from 'hono';
import { stream } from 'hono/streaming';
import { z } from 'zod';
import { ImportFailedView, ImportPage, ImportResultView, ImportRunPage, PROGRESS_MARKER, ProgressStep, RESULT_MARKER, type ImportOptionsForm } from '../../../../portal/console/import';
import { checkRows, freeCodePattern, inviteRows, invitesCsv } from '../../../db/creator-import';
import { planImport, type RowError } from '../../../domain/creator-import';
import { ApiError } from '../../../lib/errors';
import { CsvError, parseCsv, safeFilename } from '../../../lib/csv';
import { log } from '../../../lib/log';
import { campaignForImport, ENDED_IMPORT, runCreatorImport } from '../../admin/imports';
import { campaignEnded } from '../../../domain/codes';
import { campaignOr404, viewerOf } from './campaigns';
import { canWrite, countParam, csvFromForm, pageHtml, type Markup, readForm, renderPage, withFlash, type ConsoleContext, type ConsoleEnv, refuseWithoutOrigin } from './context';
import { invitationsDue, mailInvitations, MailUnavailable } from '../../../db/invitation-mails';
import { mailSetup } from '../../../lib/messages';
import { countOf, formatCount } from '../../../../portal/format';
import type { Flash } from '../../../../portal/console/layout';
import { awaitingReview, campaignEnrollments, type CampaignRecord } from './queries';

export const importRoutes = new Hono<ConsoleEnv>();

const DEFAULT_OPTIONS: ImportOptionsForm = { codePattern: '{HANDLE}15', discountPercent: '15' };

const optionsSchema = z.strictObject({
  codePattern: z.string().trim().min(1).max(40).includes('{HANDLE}', { error: 'The code pattern must contain {HANDLE}.' }),
  discountPercent: z
    .string()
    .trim()
    .regex(/^\d{1,3}$/, 'The shopper discount is a whole percent from 1 to 100.')
    .transform(Number)
    .refine((n) => n >= 1 && n <= 100, 'The shopper discount is a whole percent from 1 to 100.'),
});

type PageExtras = { options?: ImportOptionsForm; problem?: { message: string; line?: number; title?: string }; rowErrors?: { errors: RowError[]; validRows: number; csv: string; fileName: string | null }; flash?: Flash; confirmMail?: { open: number; due: number; today: number } };

async function renderImport(c: ConsoleContext, campaign: CampaignRecord, extras: PageExtras = {}, status: 200 | 409 | 413 | 422 | 503 = 200) {
  const [enrollments, toReview] = await Promise.all([campaignEnrollments(c.env.DB, c.var.user.brandId, campaign.id), awaitingReview(c.env.DB, c.var.user.brandId)]);
  return renderPage(
    c,
    <ImportPage
      viewer={viewerOf(c)}
      canWrite={canWrite(c.var.user)}
      campaign={campaign}
      enrolled={enrollments.length}
      options={extras.options ?? DEFAULT_OPTIONS}
      toReview={toReview}
      problem={extras.problem}
      rowErrors={extras.rowErrors}
      flash={extras.flash}
      confirmMail={extras.confirmMail}
    />,
    status,
  );
}

// An ended campaign takes no new creators (routes/admin/imports.ts): said on the page, and refused on upload.
const endedProblem = (campaign: CampaignRecord) => (campaignEnded({ campaign_status: campaign.status, ends_at: campaign.ends_at }, Date.now()) ? { message: ENDED_IMPORT, title: 'This campaign has ended' } : null);

importRoutes.get('/campaigns/:id/import', async (c) => {
  const campaign = await campaignOr404(c, c.req.param('id'));
  const ended = endedProblem(campaign);
  return renderImport(c, campaign, { ...(ended ? { problem: ended } : {}), flash: mailedFlash(c) });
});

// What "Email the invitations" did, from the counts its redirect carries (numbers only, never text).
function mailedFlash(c: ConsoleContext): Flash | undefined {
  if (c.req.query('flash') !== 'mailed') return undefined;
  const queued = countParam(c, 'queued');
  const left = [
    [countParam(c, 'recent'), 'emailed in the last three days (or on their way)'],
    [countParam(c, 'reminded'), 'emailed three times already'],
    [countParam(c, 'accepted'), 'who accepted already'],
    [countParam(c, 'lapsed'), 'whose link lapsed (import their row again to renew it)'],
    [countParam(c, 'over'), "over today's allowance (they go out when you send again tomorrow)"],
    [countParam(c, 'optedout'), 'who unsubscribed from invitations'],
  ] as const;
  const skipped = left.filter(([n]) => n > 0).map(([n, why]) => `${formatCount(n)} ${why}`);
  const head = queued > 0 ? `Emailing ${countOf(queued, 'invitation')}: they go out over the next minutes.` : 'No invitations to email.';
  return { tone: queued > 0 ? 'success' : 'info', text: skipped.length > 0 ? `${head} Not emailed: ${skipped.join('; ')}.` : head };
}

importRoutes.post('/campaigns/:id/invitations/mail', async (c) => {
  const campaign = await campaignOr404(c, c.req.param('id'));
  const ended = endedProblem(campaign);
  if (ended) return renderImport(c, campaign, { problem: ended }, 409);
  const { user } = c.var;
  const unavailable = () => renderImport(c, campaign, { problem: { title: 'Email is not set up', message: 'This Chorus has no mail provider set up, so it cannot send invitations. Download the invites and send the links yourself.' } }, 503);
  if (mailSetup(c.env).kind === 'unconfigured') return unavailable();
  const origin = mailOrigin(c.env, c.req);
  if (!origin) return refuseWithoutOrigin(c, (message, status) => renderImport(c, campaign, { problem: { title: 'Email is not set up', message } }, status));
  const target = { brandId: user.brandId, campaignId: campaign.id, origin, secretsKey: c.env.SECRETS_KEY };
  // Up to a thousand mails go out in the brand's name: the first post asks, with the count; the second sends.
  if ((await readForm(c)).get('confirm') !== '1') {
    const due = await invitationsDue(c.env, target, Date.now());
    // With nothing left of the day's allowance there is nothing to ask: the answer says so.
    if (due.today > 0) return renderImport(c, campaign, { confirmMail: due });
  }
  let mailing;
  try {
    mailing = await mailInvitations(c.env, target, { type: 'admin_user', id: user.id }, Date.now());
  } catch (e) {
    if (e instanceof MailUnavailable) return unavailable();
    throw e;
  }
  const { queued, skipped } = mailing;
  return c.redirect(withFlash(`/console/campaigns/${campaign.id}/import`, 'mailed', { queued, recent: skipped.recentlyMailed, reminded: skipped.remindedEnough, accepted: skipped.accepted, lapsed: skipped.lapsed, over: skipped.overAllowance, optedout: skipped.optedOut }), 303);
});

// The same checks runCreatorImport makes before writing (it repeats them), run first so problems are a 422 page
// rather than a message inside an already-streaming 200.
async function checkRoster(
  c: ConsoleContext,
  campaignId: string,
  csv: string,
  codePattern: string,
): Promise<{ problem: { message: string; line?: number } } | { errors: RowError[]; validRows: number; suggestedPattern: string | null }> {
  const campaign = await campaignForImport(c.env, c.var.user.brandId, campaignId);
  let records;
  try {
    records = parseCsv(csv, 1_001);
  } catch (e) {
    if (e instanceof CsvError) return { problem: { message: e.message, line: e.line } };
    throw e;
  }
  const plan = planImport(records, campaign.currency);
  if ('headerError' in plan) return { problem: { message: plan.headerError, line: 1 } };
  if (plan.rows.length === 0 && plan.errors.length === 0) return { problem: { message: 'The file has a header row but no creators.' } };
  const { rows, accounts, errors: taken } = await checkRows(c.env.DB, c.var.user.brandId, campaignId, plan.rows, codePattern);
  const bad = new Set(taken.map((e) => e.line));
  const codeClashes = taken.some((e) => e.field === 'code');
  return {
    errors: [...plan.errors, ...taken].sort((a, b) => a.line - b.line),
    validRows: rows.filter((r) => !bad.has(r.line)).length,
    suggestedPattern: codeClashes ? await freeCodePattern(c.env.DB, c.var.user.brandId, campaignId, campaign.name, rows, codePattern, accounts) : null,
  };
}

importRoutes.post('/campaigns/:id/import', async (c) => {
  const campaign = await campaignOr404(c, c.req.param('id'));
  const form = await readForm(c);
  const options: ImportOptionsForm = { codePattern: form.get('codePattern') || DEFAULT_OPTIONS.codePattern, discountPercent: form.get('discountPercent') || DEFAULT_OPTIONS.discountPercent };
  const ended = endedProblem(campaign);
  if (ended) return renderImport(c, campaign, { options, problem: ended }, 409);
  const parsedOptions = optionsSchema.safeParse(options);
  if (!parsedOptions.success) return renderImport(c, campaign, { options, problem: { message: parsedOptions.error.issues[0]?.message ?? 'Check the code pattern and discount.' } }, 422);
  const csv = await csvFromForm(form);
  const fileName = form.file('file')?.name ?? null;
  if (csv.trim() === '') return renderImport(c, campaign, { options, problem: { message: 'Choose a CSV file to upload, or paste the rows.' } }, 422);
  if (csv.length > 1_000_000) return renderImport(c, campaign, { options, problem: { message: 'Files are limited to 1 MB (about 1,000 creators).' } }, 413);
  const confirmed = form.get('confirm') === '1';
  const check = await checkRoster(c, campaign.id, csv, parsedOptions.data.codePattern);
  if ('problem' in check) return renderImport(c, campaign, { options, problem: check.problem }, 422);
  if (check.errors.length > 0 && (!confirmed || check.validRows === 0)) return renderImport(c, campaign, { options, rowErrors: { ...check, csv, fileName } }, 422);

  const { user } = c.var;
  const origin = publicOrigin(c);
  const page = await pageHtml(<ImportRunPage viewer={viewerOf(c)} campaign={campaign} total={check.validRows} skipped={new Set(check.errors.map((e) => e.line)).size} toReview={await awaitingReview(c.env.DB, user.brandId)} />);
  const [head = '', rest = ''] = page.split(PROGRESS_MARKER);
  const [middle = '', tail = ''] = rest.split(RESULT_MARKER);
  const fragment = async (node: Markup): Promise<string> => await (await node).toString();
  c.header('Content-Type', 'text/html; charset=UTF-8');
  return stream(c, async (s) => {
    await s.write(head + (await fragment(<ProgressStep done={0} total={check.validRows} />)));
    try {
      const result = await runCreatorImport(c.env, user.brandId, { type: 'admin_user', id: user.id }, campaign.id, { csv, confirm: confirmed, ...parsedOptions.data }, origin, async (done, total) => {
        await s.write(await fragment(<ProgressStep done={done} total={total} />));
      });
      await s.write(middle + (await fragment(<ImportResultView campaignId={campaign.id} result={result} />)));
    } catch (e) {
      const message =
        e instanceof ApiError && e.status < 500
          ? e.code === 'import_has_errors'
            ? 'Some rows changed since the file was checked (a handle was taken meanwhile). Nothing more was imported; upload the file again to see the problems.'
            : e.message
          : 'Storage did not answer in time.';
      if (!(e instanceof ApiError)) log.error('console_import_failed', { campaignId: campaign.id, error: e });
      await s.write(middle + (await fragment(<ImportFailedView campaignId={campaign.id} message={message} />)));
    }
    await s.write(tail);
  });
});

importRoutes.get('/campaigns/:id/invites.csv', async (c) => {
  const campaign = await campaignForImport(c.env, c.var.user.brandId, c.req.param('id'));
  const rows = await inviteRows(c.env.DB, { brandId: c.var.user.brandId, campaignId: campaign.id, origin: publicOrigin(c), secretsKey: c.env.SECRETS_KEY });
  return c.body(invitesCsv(rows), 200, {
    'Content-Type': 'text/csv; charset=utf-8',
    'Content-Disposition': `attachment; filename="${safeFilename(`chorus-invites-${campaign.brand_slug}-${campaign.slug}.csv`)}"`,
  });
});
