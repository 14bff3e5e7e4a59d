import { Hono } from 'hono';
import { z } from 'zod';
import { loadSubmission, transitionSubmission, type SubmissionRow } from '../../db/submissions';
import type { SubmissionAction } from '../../domain/submissions';
import { submissionStatuses } from '../../db/schema';
import type { AppEnv } from '../../env';
import { iso, valid } from '../../lib/validate';

const listQuery = z.strictObject({
  status: z.enum(submissionStatuses).optional(),
  campaignId: z.string().max(64).optional(),
  compliance: z.enum(['flagged', 'ok']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(100),
});

const note = z.string().trim().max(2000);
const httpsUrl = z.url({ protocol: /^https$/ }).max(2048);

export function submissionView(s: SubmissionRow & { handle?: string; campaign_name?: string }) {
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
    createdAt: iso(s.created_at),
    updatedAt: iso(s.updated_at),
  };
}

export const submissionRoutes = new Hono<AppEnv>();

submissionRoutes.get('/', valid('query', listQuery), async (c) => {
  const q = c.req.valid('query');
  const where = ['s.brand_id = ?'];
  const params: unknown[] = [c.var.admin.brandId];
  if (q.status) where.push('s.status = ?'), params.push(q.status);
  if (q.campaignId) where.push('e.campaign_id = ?'), params.push(q.campaignId);
  if (q.compliance === 'flagged') where.push("(json_extract(s.compliance, '$.hashtag') = 0 OR json_extract(s.compliance, '$.disclosure') = 0)");
  if (q.compliance === 'ok') where.push("json_extract(s.compliance, '$.hashtag') = 1 AND json_extract(s.compliance, '$.disclosure') = 1");
  const { results } = await c.env.DB.prepare(
    `SELECT s.*, cr.handle, cp.name AS campaign_name FROM submissions s JOIN enrollments e ON e.id = s.enrollment_id
     JOIN creators cr ON cr.id = e.creator_id JOIN campaigns cp ON cp.id = e.campaign_id
     WHERE ${where.join(' AND ')} ORDER BY s.updated_at DESC LIMIT ?`,
  )
    .bind(...params, q.limit)
    .all<SubmissionRow & { handle: string; campaign_name: string }>();
  return c.json({ data: results.map(submissionView) });
});

const actions: [string, SubmissionAction, z.ZodType<{ note?: string; postUrl?: string }>][] = [
  ['approve', 'approve', z.strictObject({ note: note.optional() })],
  ['request-changes', 'request_changes', z.strictObject({ note: note.min(1) })],
  ['reject', 'reject', z.strictObject({ note: note.optional() })],
  ['mark-live', 'go_live', z.strictObject({ postUrl: httpsUrl })],
];

for (const [path, action, schema] of actions) {
  submissionRoutes.post(`/:id/${path}`, valid('json', schema), async (c) => {
    const body = c.req.valid('json') as { note?: string; postUrl?: string };
    const s = await loadSubmission(c.env.DB, c.req.param('id'), { brandId: c.var.admin.brandId });
    await transitionSubmission(c.env.DB, s, { action, actor: 'admin', actorId: c.var.admin.keyId, note: body.note ?? null, postUrl: body.postUrl ?? null });
    return c.json({ data: submissionView(await loadSubmission(c.env.DB, s.id, { brandId: c.var.admin.brandId })) });
  });
}
