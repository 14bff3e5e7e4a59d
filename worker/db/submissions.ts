// Submission writes: every transition is guarded by the status it starts from, so two reviewers acting
// at once cannot both succeed, and a flat fee accrues in the same batch as the move to live.
import { checkCaption, nextStatus, type Actor, type SubmissionAction, type SubmissionStatus } from '../domain/submissions';
import { periodOf } from '../domain/periods';
import { ApiError, notFound } from '../lib/errors';
import { newId } from '../lib/ids';
import { submissionEventType } from '../webhooks/events';
import { submissionEventStatements } from './webhooks';

export type SubmissionRow = {
  id: string;
  brand_id: string;
  enrollment_id: string;
  story_format: string;
  draft_url: string;
  caption: string;
  status: SubmissionStatus;
  review_notes: string | null;
  post_url: string | null;
  views: number;
  likes: number;
  comments: number;
  saves: number;
  shares: number;
  compliance: string;
  created_at: number;
  updated_at: number;
};

export type SubmissionContext = SubmissionRow & {
  creator_id: string;
  handle: string;
  display_name: string;
  campaign_id: string;
  campaign_name: string;
  hashtag: string;
  disclosure_text: string;
  payment_model: string;
  flat_fee_minor: number;
  currency: string;
  timezone: string;
};

const CONTEXT_SQL = `SELECT s.*, e.creator_id, cr.handle, cr.display_name, c.id AS campaign_id, c.name AS campaign_name, c.hashtag, c.disclosure_text,
  e.payment_model, e.flat_fee_minor, b.currency, b.timezone
FROM submissions s JOIN enrollments e ON e.id = s.enrollment_id JOIN creators cr ON cr.id = e.creator_id
JOIN campaigns c ON c.id = e.campaign_id JOIN brands b ON b.id = s.brand_id`;

// Scoped by brand (admin) or by creator (portal): another tenant's submission is simply not found.
export async function loadSubmission(db: D1Database, id: string, scope: { brandId: string } | { creatorId: string }): Promise<SubmissionContext> {
  const where = 'brandId' in scope ? 's.id = ? AND s.brand_id = ?' : 's.id = ? AND e.creator_id = ?';
  const row = await db.prepare(`${CONTEXT_SQL} WHERE ${where}`).bind(id, 'brandId' in scope ? scope.brandId : scope.creatorId).first<SubmissionContext>();
  if (!row) throw notFound('submission');
  return row;
}

export type Metrics = { views: number; likes: number; comments: number; saves: number; shares: number };

export type TransitionInput = {
  action: SubmissionAction;
  actor: Actor;
  actorId: string;
  note?: string | null;
  postUrl?: string | null;
  metrics?: Metrics;
  draft?: { storyFormat: string; draftUrl: string; caption: string };
};

export async function transitionSubmission(db: D1Database, s: SubmissionContext, input: TransitionInput): Promise<SubmissionStatus> {
  const to = nextStatus(s.status, input.action, input.actor);
  if (!to) throw new ApiError(409, 'illegal_transition', `A ${s.status.replace('_', ' ')} submission cannot be moved that way.`, { from: s.status, action: input.action });
  const now = Date.now();
  const sets = ['status = ?', 'updated_at = ?'];
  const params: unknown[] = [to, now];
  if (input.note !== undefined && input.note !== null) sets.push('review_notes = ?'), params.push(input.note);
  if (input.postUrl) sets.push('post_url = ?'), params.push(input.postUrl);
  if (input.metrics) for (const [k, v] of Object.entries(input.metrics)) sets.push(`${k} = ?`), params.push(v);
  if (input.draft) {
    const compliance = checkCaption(input.draft.caption, { hashtag: s.hashtag, disclosureText: s.disclosure_text });
    sets.push('story_format = ?', 'draft_url = ?', 'caption = ?', 'compliance = ?');
    params.push(input.draft.storyFormat, input.draft.draftUrl, input.draft.caption, JSON.stringify(compliance));
  }
  const historyId = newId('sev');
  const statements = [
    db.prepare(`UPDATE submissions SET ${sets.join(', ')} WHERE id = ? AND status = ?`).bind(...params, s.id, s.status),
    db
      .prepare('INSERT INTO submission_events (id, submission_id, from_status, to_status, actor_type, actor_id, note, at) SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE changes() > 0')
      .bind(historyId, s.id, s.status, to, input.actor, input.actorId, input.note ?? null, now),
    db
      .prepare("INSERT INTO audit_log (id, brand_id, actor_type, actor_id, action, target_type, target_id, details, at) SELECT ?, ?, ?, ?, ?, 'submission', ?, ?, ? WHERE EXISTS (SELECT 1 FROM submissions WHERE id = ? AND status = ? AND updated_at = ?)")
      .bind(newId('aud'), s.brand_id, input.actor === 'admin' ? 'admin_user' : 'creator', input.actorId, `submission.${input.action}`, s.id, JSON.stringify({ from: s.status, to, note: input.note ?? null }), now, s.id, to, now),
  ];
  if (to === 'live' && (s.payment_model === 'flat' || s.payment_model === 'hybrid') && s.flat_fee_minor > 0) {
    // Flat fees accrue when a submission goes live, once per submission.
    statements.push(
      db
        .prepare(
          `INSERT INTO ledger_entries (id, brand_id, enrollment_id, creator_id, kind, amount_minor, currency, basis_minor, period, submission_id, event_key, available_at, created_at)
           SELECT ?, ?, ?, ?, 'flat_fee', ?, ?, 0, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM submissions WHERE id = ? AND status = 'live')
           ON CONFLICT(brand_id, event_key) DO NOTHING`,
        )
        .bind(newId('le'), s.brand_id, s.enrollment_id, s.creator_id, s.flat_fee_minor, s.currency, periodOf(now, s.timezone), s.id, `flat_fee:${s.id}`, now, now, s.id),
    );
  }
  const webhookType = submissionEventType(to);
  if (webhookType) statements.push(...submissionEventStatements(db, historyId, webhookType, now));
  const [update] = await db.batch(statements);
  if (!update || update.meta.changes === 0) throw new ApiError(409, 'illegal_transition', 'The submission changed while you were looking at it.', { from: s.status, action: input.action });
  return to;
}

export async function createSubmission(
  db: D1Database,
  e: { enrollmentId: string; brandId: string; creatorId: string; hashtag: string; disclosureText: string },
  draft: { storyFormat: string; draftUrl: string; caption: string },
): Promise<string> {
  const id = newId('sub');
  const now = Date.now();
  const compliance = checkCaption(draft.caption, { hashtag: e.hashtag, disclosureText: e.disclosureText });
  const historyId = newId('sev');
  await db.batch([
    db
      .prepare("INSERT INTO submissions (id, brand_id, enrollment_id, story_format, draft_url, caption, status, compliance, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'submitted', ?, ?, ?)")
      .bind(id, e.brandId, e.enrollmentId, draft.storyFormat, draft.draftUrl, draft.caption, JSON.stringify(compliance), now, now),
    db.prepare("INSERT INTO submission_events (id, submission_id, from_status, to_status, actor_type, actor_id, note, at) VALUES (?, ?, NULL, 'submitted', 'creator', ?, NULL, ?)").bind(historyId, id, e.creatorId, now),
    db
      .prepare("INSERT INTO audit_log (id, brand_id, actor_type, actor_id, action, target_type, target_id, details, at) VALUES (?, ?, 'creator', ?, 'submission.submitted', 'submission', ?, ?, ?)")
      .bind(newId('aud'), e.brandId, e.creatorId, id, JSON.stringify({ compliance }), now),
    ...submissionEventStatements(db, historyId, 'submission.submitted', now),
  ]);
  return id;
}

export async function updateMetrics(db: D1Database, s: SubmissionContext, metrics: Metrics, postUrl: string | null): Promise<void> {
  if (s.status !== 'live') throw new ApiError(409, 'illegal_transition', 'Engagement numbers are added once the post is live.', { from: s.status });
  await db
    .prepare('UPDATE submissions SET views = ?, likes = ?, comments = ?, saves = ?, shares = ?, post_url = COALESCE(?, post_url), updated_at = ? WHERE id = ?')
    .bind(metrics.views, metrics.likes, metrics.comments, metrics.saves, metrics.shares, postUrl, Date.now(), s.id)
    .run();
}
