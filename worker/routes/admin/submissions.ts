import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { decisionNotice, loadSubmission, mailsCreator, NOT_WITHDRAWN, transitionSubmission, updateMetrics, type Metrics, type SubmissionRow } from '../../db/submissions';
import { noticeAfterResponse } from '../../mail';
import { METRIC_NAMES, missingTags, type SubmissionAction } from '../../domain/submissions';
import { submissionStatuses, type ComplianceChecks } from '../../db/schema';
import { mailLinkOrigin, type AppEnv } from '../../env';
import { ApiError } from '../../lib/errors';
import { afterParams, afterSql, cursorParam, pageOf } from '../../lib/cursor';
import { iso, plainText, valid } from '../../lib/validate';
import { EXTENSION_COLUMNS, EXTENSION_JOIN, grantView, type GrantRow } from '../../domain/usage-rights';
import { routeDescriber } from '../../openapi/registry';
import { dataOf, pagedListOf, Submission } from '../../openapi/schemas';

const listQuery = z.strictObject({
  status: z.enum(submissionStatuses).optional(),
  campaignId: z.string().max(64).optional(),
  compliance: z.enum(['flagged', 'ok']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(100),
  cursor: cursorParam.optional().meta({ description: '`nextCursor` of the previous page.' }),
});

const note = plainText(2000, 'many');
const httpsUrl = z.url({ protocol: /^https$/ }).max(2048);

export function submissionView(s: SubmissionRow & GrantRow & { handle?: string; campaign_name?: string }) {
  return {
    id: s.id,
    enrollmentId: s.enrollment_id,
    creator: s.handle ? { handle: s.handle } : undefined,
    campaign: s.campaign_name,
    storyFormat: s.story_format,
    draftUrl: s.draft_url,
    caption: s.caption,
    status: s.status,
    reviewNotes: s.review_notes,
    postUrl: s.post_url,
    metrics: { views: s.views, likes: s.likes, comments: s.comments, saves: s.saves, shares: s.shares },
    compliance: JSON.parse(s.compliance) as { hashtag: boolean; disclosure: boolean },
    rights: grantView(s, Date.now()),
    createdAt: iso(s.created_at),
    updatedAt: iso(s.updated_at),
  };
}

// Every review action is one guarded transition; the answer is the submission as it now stands.
async function review(c: Context<AppEnv>, action: SubmissionAction, body: { note?: string; postUrl?: string; override?: boolean }) {
  const { admin } = c.var;
  const db = c.env.DB;
  const s = await loadSubmission(db, c.req.param('id')!, { brandId: admin.brandId });
  // As in the console: a caption missing the campaign hashtag or the disclosure is approved only when the
  // caller says the post will carry them (`override: true`); the disclosure is the brand's legal duty.
  if (action === 'approve' && s.status === 'submitted' && body.override !== true) {
    const missing = missingTags(JSON.parse(s.compliance) as Partial<ComplianceChecks>, { hashtag: s.hashtag, disclosureText: s.disclosure_text });
    if (missing.length > 0) {
      throw new ApiError(422, 'caption_not_compliant', `The caption is missing ${missing.join(' and ')}. Send "override": true if the post will carry them, or request changes.`, { missing });
    }
  }
  // Refused before the decision is written, when the mail it owes could not name Chorus's address.
  const origin = mailsCreator(action) ? mailLinkOrigin(c) : null;
  await transitionSubmission(db, s, { action, actor: 'admin', actorId: admin.keyId, note: body.note ?? null, postUrl: body.postUrl ?? null });
  const notice = origin && decisionNotice(s, action, body.note ?? null, origin);
  if (notice) noticeAfterResponse(c.executionCtx, c.env, notice, 'decision_notice_failed');
  return submissionView(await loadSubmission(db, s.id, { brandId: admin.brandId }));
}

const approveBody = z.strictObject({ note: note.optional(), override: z.literal(true).optional().meta({ description: 'Approve a caption missing the campaign hashtag or disclosure: the post will carry them.' }) });
const requestChangesBody = z.strictObject({ note: note.min(1) });
const rejectBody = z.strictObject({ note: note.optional() });
const markLiveBody = z.strictObject({ postUrl: httpsUrl });
const notLiveBody = z.strictObject({ note: note.min(1) });
const metricsBody = z
  .strictObject(Object.fromEntries(METRIC_NAMES.map((k) => [k, z.int().min(0).max(1_000_000_000).optional()])) as Record<(typeof METRIC_NAMES)[number], z.ZodOptional<z.ZodInt>>)
  .refine((b) => Object.keys(b).length > 0, 'Send at least one number to change.');

const op = routeDescriber({ tag: 'Submissions', auth: 'adminKey' });
// `mails`: the creator is mailed a link to act on it, so a deployment without PUBLIC_ORIGIN refuses it (env.ts mailLinkOrigin).
const reviewed = (summary: string, description: string, example: unknown, conflicts: string[] = [], unprocessable: string[] = [], mails = true, gone: string[] = []) =>
  op({
    summary,
    description: `${description} Moves are guarded by the status they start from: a move the current status does not allow (or one that lost a race with another reviewer) is a 409.`,
    params: { id: 'The submission id.' },
    example,
    responses: { 200: { description: 'The submission as it now stands.', schema: dataOf(Submission) } },
    errors: { 404: ['not_found'], 409: ['illegal_transition', 'submission_withdrawn', ...conflicts], ...(unprocessable.length > 0 ? { 422: unprocessable } : {}), ...(gone.length > 0 ? { 410: gone } : {}), ...(mails ? { 503: ['public_origin_unset'] } : {}) },
  });

export const submissionRoutes = new Hono<AppEnv>()
  .get(
    '/',
    op({
      summary: 'The review queue',
      description:
        'Most recently updated first, a page at a time (`limit`, then `cursor` from `nextCursor`); a submission updated while you page moves to the top. `compliance=flagged` lists captions missing the campaign hashtag or the disclosure.',
      responses: { 200: { description: 'Submissions with their creator handle and campaign name.', schema: pagedListOf(Submission) } },
    }),
    valid('query', listQuery),
    async (c) => {
      const q = c.req.valid('query');
      const where = ['s.brand_id = ?', NOT_WITHDRAWN];
      const params: unknown[] = [c.var.admin.brandId];
      if (q.status) where.push('s.status = ?'), params.push(q.status);
      if (q.campaignId) where.push('e.campaign_id = ?'), params.push(q.campaignId);
      if (q.compliance === 'flagged') where.push("(json_extract(s.compliance, '$.hashtag') = 0 OR json_extract(s.compliance, '$.disclosure') = 0)");
      if (q.compliance === 'ok') where.push("json_extract(s.compliance, '$.hashtag') = 1 AND json_extract(s.compliance, '$.disclosure') = 1");
      if (q.cursor) where.push(afterSql('s.updated_at', 's.id')), params.push(...afterParams(q.cursor));
      const { results } = await c.env.DB.prepare(
        `SELECT s.*, ${EXTENSION_COLUMNS}, cr.handle, cp.name AS campaign_name FROM submissions s JOIN enrollments e ON e.id = s.enrollment_id
         JOIN brand_creators cr ON cr.brand_id = e.brand_id AND cr.creator_id = e.creator_id JOIN campaigns cp ON cp.id = e.campaign_id ${EXTENSION_JOIN}
         WHERE ${where.join(' AND ')} ORDER BY s.updated_at DESC, s.id DESC LIMIT ?`,
      )
        .bind(...params, q.limit + 1)
        .all<SubmissionRow & GrantRow & { handle: string; campaign_name: string }>();
      const page = pageOf(results, q.limit, (s) => ({ at: s.updated_at, id: s.id }));
      return c.json({ data: page.rows.map(submissionView), hasMore: page.hasMore, nextCursor: page.nextCursor });
    },
  )
  .post(
    '/:id/approve',
    reviewed(
      'Approve a draft',
      'submitted → approved; the creator may post it. A caption missing the campaign hashtag or the disclosure is a 422 `caption_not_compliant` (its `details.missing` lists them) unless the body says `"override": true`: the post will carry them.',
      { note: 'Lovely light. Go ahead.' },
      [],
      ['caption_not_compliant'],
    ),
    valid('json', approveBody),
    async (c) => c.json({ data: await review(c, 'approve', c.req.valid('json')) }),
  )
  .post('/:id/request-changes', reviewed('Request changes', 'submitted → changes_requested, with a note the creator sees.', { note: 'Please show the label once.' }), valid('json', requestChangesBody), async (c) =>
    c.json({ data: await review(c, 'request_changes', c.req.valid('json')) }),
  )
  .post('/:id/reject', reviewed('Reject a draft', 'submitted or changes_requested → rejected (final).', { note: 'Off-brief: the product is not shown.' }), valid('json', rejectBody), async (c) =>
    c.json({ data: await review(c, 'reject', c.req.valid('json')) }),
  )
  .post(
    '/:id/mark-live',
    reviewed(
      'Mark a post live',
      'approved → live, with the public post URL; a flat fee (flat and hybrid enrollments) accrues in the same write, payable at once (one the creator earns by marking the post live in the portal waits out the campaign\'s holding period). A post already live on another of the creator\'s submissions for this brand (however its link was copied) is a 409 `post_already_live`: one post earns one fee. A draft of a closed account is a 410 `creator_erased`: nothing accrues to it.',
      { postUrl: 'https://instagram.example/p/abc' },
      ['post_already_live'],
      [],
      false,
      ['creator_erased'],
    ),
    valid('json', markLiveBody),
    async (c) => c.json({ data: await review(c, 'go_live', c.req.valid('json')) }),
  )
  .post(
    '/:id/mark-not-live',
    reviewed(
      'Mark a post not live',
      "live → approved, with a note the creator sees (and is mailed): the link is not the post, or the post was taken down. The link is cleared for the creator to add the right one, and a flat fee it earned is taken back by a negative flat fee: one not yet in a payout in its own period and from its own date, so the two net to nothing in the payout that would have paid it; one already in a payout (never edited) in the current period, from the creator's next payout. No webhook event is sent (going live sends none either). A fee the creator earned by marking a post live themselves is payable only after the campaign's holding period, so there is time to check the post first.",
      { note: 'The link opens a different post. Please add the one for this draft.' },
    ),
    valid('json', notLiveBody),
    async (c) => c.json({ data: await review(c, 'not_live', c.req.valid('json')) }),
  )
  .post(
    '/:id/metrics',
    op({
      summary: "Correct a live post's numbers",
      description:
        "The creator reports a live post's views, likes, comments, saves and shares (the network ranking counts saves and shares); this corrects them. Send only the numbers that change. Audited with what they were (`submission.metrics_corrected`); numbers already as sent write nothing. The creator can still update them as the post grows. A post that is not live is a 409 `illegal_transition`.",
      params: { id: 'The submission id.' },
      example: { views: 12000, saves: 140 },
      responses: { 200: { description: 'The submission as it now stands.', schema: dataOf(Submission) } },
      errors: { 404: ['not_found'], 409: ['illegal_transition'] },
    }),
    valid('json', metricsBody),
    async (c) => {
      const { brandId, keyId } = c.var.admin;
      const s = await loadSubmission(c.env.DB, c.req.param('id'), { brandId });
      const body = c.req.valid('json');
      const next = Object.fromEntries(METRIC_NAMES.map((k) => [k, body[k] ?? s[k]])) as Metrics;
      await updateMetrics(c.env.DB, s, next, { brandId, actorType: 'api_key', actorId: keyId });
      return c.json({ data: submissionView(await loadSubmission(c.env.DB, s.id, { brandId })) });
    },
  );
