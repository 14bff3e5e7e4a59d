// POST /api/admin/campaigns/:id/import (JSON {csv, confirm}) and GET …/invites.csv.
import { Hono } from 'hono';
import { stream } from 'hono/streaming';
import { z } from 'zod';
import type { Actor } from '../../db/audit';
import { checkRows, importAuditStatement, importCreators, inviteRows, invitesCsv, type ImportResult } from '../../db/creator-import';
import { IMPORT_COLUMNS, MAX_IMPORT_ROWS, planImport } from '../../domain/creator-import';
import { campaignEnded } from '../../domain/codes';
import { mailLinkOrigin, publicOrigin, type AppEnv, type Env } from '../../env';
import { CsvError, parseCsv, safeFilename } from '../../lib/csv';
import { ApiError, notFound } from '../../lib/errors';
import { newId } from '../../lib/ids';
import { routeDescriber } from '../../openapi/registry';
import { CreatorImport, dataOf, InvitationMailing as InvitationMailingSchema } from '../../openapi/schemas';
import { INVITATION_MAILS_PER_BRAND_PER_DAY, MAX_INVITATION_MAILS, mailInvitations, MailUnavailable } from '../../db/invitation-mails';

const importBody = z.strictObject({
  csv: z.string().min(1).max(1_000_000),
  // Import the valid rows of a file that also has bad ones (the brand saw the errors and agreed).
  confirm: z.boolean().default(false),
  codePattern: z.string().min(1).max(40).includes('{HANDLE}').default('{HANDLE}15'),
  discountPercent: z.int().min(1).max(100).default(15),
});

export type ImportOptions = z.output<typeof importBody>;

export async function campaignForImport(env: Env, brandId: string, campaignId: string) {
  const row = await env.DB.prepare(
    'SELECT c.id, c.slug, c.name, c.default_destination, c.status AS campaign_status, c.ends_at, b.currency, b.slug AS brand_slug, b.name AS brand_name FROM campaigns c JOIN brands b ON b.id = c.brand_id WHERE c.id = ? AND c.brand_id = ?',
  )
    .bind(campaignId, brandId)
    .first<{ id: string; slug: string; name: string; default_destination: string; campaign_status: string; ends_at: number | null; currency: string; brand_slug: string; brand_name: string }>();
  if (!row) throw notFound('campaign');
  return row;
}

// An ended campaign takes no new creators: their links and codes would be closed from the start, and their
// invitations would lead to a campaign that is over.
export const ENDED_IMPORT = 'This campaign has ended, so new creators would get links and codes that do not work. Set it back to active on its brief first.';

// Validates the whole file before writing anything; with errors, nothing is written unless confirmed.
export async function runCreatorImport(
  env: Env,
  brandId: string,
  actor: Actor,
  campaignId: string,
  options: ImportOptions,
  origin: string,
  onProgress?: (done: number, total: number) => void | Promise<void>,
): Promise<ImportResult & { invitesCsv: string }> {
  const campaign = await campaignForImport(env, brandId, campaignId);
  if (campaignEnded(campaign, Date.now())) throw new ApiError(409, 'campaign_ended', ENDED_IMPORT);
  let records;
  try {
    records = parseCsv(options.csv, 1_001);
  } catch (e) {
    if (e instanceof CsvError) throw new ApiError(422, 'invalid_csv', e.message, { line: e.line });
    throw e;
  }
  const plan = planImport(records, campaign.currency);
  if ('headerError' in plan) throw new ApiError(422, 'invalid_csv', plan.headerError, { line: 1 });
  const checked = await checkRows(env.DB, brandId, campaignId, plan.rows, options.codePattern);
  const taken = checked.errors;
  const errors = [...plan.errors, ...taken].sort((a, b) => a.line - b.line);
  const bad = new Set(taken.map((e) => e.line));
  const rows = checked.rows.filter((r) => !bad.has(r.line));
  if (errors.length > 0 && !options.confirm) {
    throw new ApiError(422, 'import_has_errors', `${new Set(errors.map((e) => e.line)).size} row(s) have problems; fix them, or confirm to import the ${rows.length} good row(s).`, {
      errors,
      validRows: rows.length,
    });
  }
  const target = { brandId, campaignId, destination: campaign.default_destination, codePattern: options.codePattern, discountPercent: options.discountPercent, origin, secretsKey: env.SECRETS_KEY };
  const audit = { id: newId('aud'), actor, skipped: errors.length };
  const created = await importCreators(env.DB, target, rows, audit, onProgress);
  if (rows.length > 0) await importAuditStatement(env.DB, target, audit, { rows: rows.length, created, complete: true }, Date.now()).run();
  const invites = await inviteRows(env.DB, target, new Map(rows.map((r) => [r.email, r.line])));
  return { rows: rows.length, created, skippedRows: errors, invites, invitesCsv: invitesCsv(invites) };
}

const op = routeDescriber({ tag: 'Campaigns', auth: 'adminKey' });
const campaignId = { id: 'The campaign id.' };

export const importRoutes = new Hono<AppEnv>()
  .post(
    '/:id/import',
    op({
      summary: 'Import creators from a roster CSV',
      description:
        `Columns: ${IMPORT_COLUMNS.join(', ')} (email, handle and name required; other columns are rejected; at most ${MAX_IMPORT_ROWS} rows). ` +
        'Each row becomes a roster entry, an enrollment, a tracked link, a discount code from `codePattern` and an invite. The whole file is checked first, codes included (a pattern that makes no valid code for a handle, or a code another creator of the brand holds, is an error on field `code`): with errors nothing is written (422 `import_has_errors` with line numbers) unless `confirm` is true, which imports the valid rows. Re-running an import creates only what is missing, and renews invites that expired unused. Send `Accept: application/x-ndjson` to stream progress lines (`{"progress":{"done":n,"total":m}}`) and then `{"data":…}` or `{"error":…}`.',
      params: campaignId,
      body: importBody,
      example: { csv: 'email,handle,name,niche,platform,follower_count\nsarah@creators.example,sarah_makes,Sarah Okafor,skincare,instagram,18500\n', confirm: false, codePattern: '{HANDLE}15', discountPercent: 15 },
      responses: {
        200: {
          description: 'What was created, the rows skipped, and every invite (also as CSV).',
          schema: dataOf(CreatorImport),
          alternative: { contentType: 'application/x-ndjson', description: 'With Accept: application/x-ndjson, progress lines, then one line with `data` or `error`.' },
        },
      },
      errors: { 404: ['not_found'], 409: ['campaign_ended'], 422: ['invalid_csv', 'import_has_errors'] },
    }),
    async (c) => {
      let json: unknown;
      try {
        json = await c.req.json();
      } catch {
        throw new ApiError(400, 'malformed_request', 'The body is not valid JSON.');
      }
      const parsed = importBody.safeParse(json);
      if (!parsed.success) throw new ApiError(422, 'validation_failed', 'The request did not pass validation.', { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) });
      const actor: Actor = { type: 'api_key', id: c.var.admin.keyId };
      const origin = publicOrigin(c);
      // Long imports can stream progress as NDJSON: {"progress":{"done":n,"total":m}} lines, then {"data":…}.
      if ((c.req.header('accept') ?? '').includes('application/x-ndjson')) {
        // Refusals that need no file (no such campaign, an ended one) are a status, not a line in a 200.
        const campaign = await campaignForImport(c.env, c.var.admin.brandId, c.req.param('id'));
        if (campaignEnded(campaign, Date.now())) throw new ApiError(409, 'campaign_ended', ENDED_IMPORT);
        c.header('Content-Type', 'application/x-ndjson; charset=utf-8');
        return stream(c, async (s) => {
          try {
            const result = await runCreatorImport(c.env, c.var.admin.brandId, actor, c.req.param('id'), parsed.data, origin, async (done, total) => void (await s.writeln(JSON.stringify({ progress: { done, total } }))));
            await s.writeln(JSON.stringify({ data: result }));
          } catch (e) {
            const err = e instanceof ApiError ? e : new ApiError(503, 'storage_unavailable', 'The import stopped; run it again, it resumes where it stopped.');
            await s.writeln(JSON.stringify({ error: { code: err.code, message: err.message, details: err.details } }));
          }
        });
      }
      const result = await runCreatorImport(c.env, c.var.admin.brandId, actor, c.req.param('id'), parsed.data, origin);
      return c.json({ data: result }, 200);
    },
  )
  .post(
    '/:id/invitations/mail',
    op({
      summary: 'Email the invitations',
      description:
        `Mails each creator of the campaign who has not accepted yet their own invite link (the one the invite sheet holds), through the mail queue, a few a second. An address gets at most ${MAX_INVITATION_MAILS} mails a campaign (the invitation and two reminders, three days apart), and a brand sends at most ${INVITATION_MAILS_PER_BRAND_PER_DAY} a day; what is left out is counted in \`skipped\` (lapsed links renew when their row is imported again). Calling again sends the reminders that are due and retries mails the provider refused; it never mails an address twice within three days.`,
      params: campaignId,
      responses: { 202: { description: 'How many invitations are being mailed, and how many were left out and why.', schema: dataOf(InvitationMailingSchema) } },
      errors: { 404: ['not_found'], 409: ['campaign_ended'], 503: ['mail_unavailable', 'public_origin_unset'] },
    }),
    async (c) => {
      const brandId = c.var.admin.brandId;
      const campaign = await campaignForImport(c.env, brandId, c.req.param('id'));
      if (campaignEnded(campaign, Date.now())) throw new ApiError(409, 'campaign_ended', 'This campaign has ended, so its invitations would lead to a campaign that is over.');
      let result;
      try {
        result = await mailInvitations(c.env, { brandId, campaignId: campaign.id, origin: mailLinkOrigin(c), secretsKey: c.env.SECRETS_KEY }, { type: 'api_key', id: c.var.admin.keyId }, Date.now());
      } catch (e) {
        if (e instanceof MailUnavailable) throw new ApiError(503, 'mail_unavailable', 'This Chorus has no mail provider set up, so it cannot send invitations. Send the links from the invite sheet yourself.');
        throw e;
      }
      return c.json({ data: result }, 202);
    },
  )
  .get(
    '/:id/invites.csv',
    op({
      summary: 'Download invite links as CSV',
      description: "Every enrolled creator's invite link, tracked link and code, for the brand to send.",
      params: campaignId,
      responses: { 200: { description: 'CSV, as an attachment.', contentType: 'text/csv' } },
      errors: { 404: ['not_found'] },
    }),
    async (c) => {
      const campaign = await campaignForImport(c.env, c.var.admin.brandId, c.req.param('id'));
      const rows = await inviteRows(c.env.DB, { brandId: c.var.admin.brandId, campaignId: campaign.id, origin: publicOrigin(c), secretsKey: c.env.SECRETS_KEY });
      return c.body(invitesCsv(rows), 200, {
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': `attachment; filename="${safeFilename(`chorus-invites-${campaign.brand_slug}-${campaign.slug}.csv`)}"`,
        'Cache-Control': 'no-store',
      });
    },
  );
