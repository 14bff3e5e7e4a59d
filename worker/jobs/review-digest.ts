// A brand's owners and managers hear when creators' drafts wait for their review, so nobody has to keep
// checking the Review page: one mail a person at most once a day, the first within a cron run (15 minutes)
// of a draft arriving after a quiet day, with how many wait. Each member can turn it off on the Team page.
import { NOT_WITHDRAWN } from '../db/submissions';
import type { Env } from '../env';
import { queueNotices } from '../mail';
import type { Message } from '../lib/messages';

const DAY_MS = 86_400_000;
// Members claimed a run: a run with more left over leaves them to the next one, 15 minutes on.
export const REVIEW_DIGESTS_PER_RUN = 200;

// Drafts waiting as the Review page counts them: a removed creator's are withdrawn.
const WAITING = `submissions s JOIN enrollments e ON e.id = s.enrollment_id WHERE s.status = 'submitted' AND ${NOT_WITHDRAWN}`;

type Claimed = { brand_id: string; email: string; name: string; brand_name: string; waiting: number; recent: number };

export async function mailReviewDigests(env: Env, now: number): Promise<number> {
  // Claimed before anything is mailed (the stamp is the claim), so two overlapping runs mail nobody twice: a
  // member due (none in the last day) whose brand has a draft sent since their last mail, or since they joined.
  const { results } = await env.DB.prepare(
    `UPDATE admin_users SET review_digest_at = ?1 WHERE id IN (
       SELECT u.id FROM admin_users u
       WHERE u.role IN ('owner', 'manager') AND u.removed_at IS NULL AND u.password_hash IS NOT NULL AND u.review_digest = 1
         AND (u.review_digest_at IS NULL OR u.review_digest_at <= ?1 - ?2)
         AND EXISTS (SELECT 1 FROM ${WAITING} AND s.brand_id = u.brand_id AND s.updated_at > COALESCE(u.review_digest_at, u.created_at))
       LIMIT ?3)
     RETURNING brand_id, email, name,
       (SELECT name FROM brands WHERE id = admin_users.brand_id) AS brand_name,
       (SELECT count(*) FROM ${WAITING} AND s.brand_id = admin_users.brand_id) AS waiting,
       (SELECT count(*) FROM ${WAITING} AND s.brand_id = admin_users.brand_id AND s.updated_at > ?1 - ?2) AS recent`,
  )
    .bind(now, DAY_MS, REVIEW_DIGESTS_PER_RUN)
    .all<Claimed>();
  if (results.length === 0) return 0;
  await queueNotices(env, results.map((r) => reviewDigest(r, env.PUBLIC_ORIGIN)), 'review_digest_failed');
  return results.length;
}

// Links only where Chorus knows its own address (PUBLIC_ORIGIN): a cron run has no request to take one from.
function reviewDigest(r: Claimed, publicOrigin: string | undefined): Message {
  const origin = /^https?:\/\//i.test(publicOrigin ?? '') ? new URL(publicOrigin!).origin : null;
  const drafts = r.waiting === 1 ? '1 creator draft is' : `${r.waiting.toLocaleString('en-US')} creator drafts are`;
  const recent = r.recent > 0 && r.recent < r.waiting ? ` (${r.recent.toLocaleString('en-US')} sent in the last day)` : '';
  return {
    to: r.email,
    subject: `${r.waiting === 1 ? '1 draft' : `${r.waiting.toLocaleString('en-US')} drafts`} to review for ${r.brand_name}`,
    text: [
      `Hi ${r.name},`,
      `${drafts} waiting for review at ${r.brand_name}${recent}. Creators post only once a draft is approved.`,
      origin ? `Review them: ${origin}/console/review?status=submitted` : 'Review them on the Review page of your Chorus console.',
      `You get this at most once a day, while drafts wait. To stop it, turn it off under Your notifications on the Team page${origin ? `: ${origin}/console/team#notify-h` : ''}.`,
    ].join('\n\n'),
  };
}
