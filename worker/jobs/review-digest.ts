// A brand's owners and managers hear when creators' drafts wait for their review, when creators applied to join a
// campaign, and when creators answered the brand's requests to extend usage rights, so nobody has to keep checking
// the Review page, the Applications tabs and the Content page: one mail a person at most once a day, the first
// within a cron run (15 minutes) of a draft, an application or an answer arriving after a quiet day, with how many
// wait (and the answers of the last day). Each member can turn it off on the Team page.
import { NOT_WITHDRAWN } from '../db/submissions';
import { mailOrigin, type Env } from '../env';
import { queueNotices } from '../mail';
import { countOf, formatCount } from '../../portal/format';
import type { Message } from '../lib/messages';

const DAY_MS = 86_400_000;
// Members claimed a run: a run with more left over leaves them to the next one, 15 minutes on.
export const REVIEW_DIGESTS_PER_RUN = 200;

// Drafts waiting as the Review page counts them: a removed creator's are withdrawn (the weekly report's too).
export const DRAFTS_WAITING = `submissions s JOIN enrollments e ON e.id = s.enrollment_id WHERE s.status = 'submitted' AND ${NOT_WITHDRAWN}`;

// Applications waiting for an answer (db/applications.ts).
const APPLIED = `applications a WHERE a.status = 'pending'`;

// Creators' answers to the brand's requests to extend usage rights (db/rights-extensions.ts), by the brand's index of
// answered requests.
const ANSWERED = `rights_extensions x WHERE x.status IN ('accepted', 'declined')`;

type Claimed = {
  brand_id: string;
  email: string;
  name: string;
  brand_name: string;
  waiting: number;
  recent: number;
  applications: number;
  applications_campaign: string | null;
  rights_accepted: number;
  rights_declined: number;
};

export async function mailReviewDigests(env: Env, now: number): Promise<number> {
  // Claimed before anything is mailed (the stamp is the claim), so two overlapping runs mail nobody twice: a
  // member due (none in the last day) whose brand has a draft sent since their last mail, or since they joined.
  const { results } = await env.DB.prepare(
    `UPDATE admin_users SET review_digest_at = ?1 WHERE id IN (
       SELECT u.id FROM admin_users u
       WHERE u.role IN ('owner', 'manager') AND u.removed_at IS NULL AND u.password_hash IS NOT NULL AND u.review_digest = 1
         AND (u.review_digest_at IS NULL OR u.review_digest_at <= ?1 - ?2)
         AND (EXISTS (SELECT 1 FROM ${DRAFTS_WAITING} AND s.brand_id = u.brand_id AND s.updated_at > COALESCE(u.review_digest_at, u.created_at))
           OR EXISTS (SELECT 1 FROM ${APPLIED} AND a.brand_id = u.brand_id AND a.created_at > COALESCE(u.review_digest_at, u.created_at))
           OR EXISTS (SELECT 1 FROM ${ANSWERED} AND x.brand_id = u.brand_id AND x.answered_at > MAX(COALESCE(u.review_digest_at, u.created_at), ?1 - ?2)))
       LIMIT ?3)
     RETURNING brand_id, email, name,
       (SELECT name FROM brands WHERE id = admin_users.brand_id) AS brand_name,
       (SELECT count(*) FROM ${DRAFTS_WAITING} AND s.brand_id = admin_users.brand_id) AS waiting,
       (SELECT count(*) FROM ${DRAFTS_WAITING} AND s.brand_id = admin_users.brand_id AND s.updated_at > ?1 - ?2) AS recent,
       (SELECT count(*) FROM ${APPLIED} AND a.brand_id = admin_users.brand_id) AS applications,
       (SELECT a.campaign_id FROM ${APPLIED} AND a.brand_id = admin_users.brand_id ORDER BY a.created_at LIMIT 1) AS applications_campaign,
       (SELECT count(*) FROM ${ANSWERED} AND x.brand_id = admin_users.brand_id AND x.answered_at > ?1 - ?2 AND x.status = 'accepted') AS rights_accepted,
       (SELECT count(*) FROM ${ANSWERED} AND x.brand_id = admin_users.brand_id AND x.answered_at > ?1 - ?2 AND x.status = 'declined') AS rights_declined`,
  )
    .bind(now, DAY_MS, REVIEW_DIGESTS_PER_RUN)
    .all<Claimed>();
  if (results.length === 0) return 0;
  // Not handOnClaimed: the claim overwrote the last mail's stamp, so there is no earlier claim to give back.
  await queueNotices(env, results.map((r) => reviewDigest(r, mailOrigin(env))), 'review_digest_failed');
  return results.length;
}

// Links only where Chorus knows its own address (PUBLIC_ORIGIN): a cron run has no request to take one from.
function reviewDigest(r: Claimed, origin: string | null): Message {
  const drafts = r.waiting === 1 ? '1 creator draft is' : `${r.waiting.toLocaleString('en-US')} creator drafts are`;
  const recent = r.recent > 0 && r.recent < r.waiting ? ` (${r.recent.toLocaleString('en-US')} sent in the last day)` : '';
  const answers = r.rights_accepted + r.rights_declined;
  const subject =
    r.waiting > 0 && r.applications > 0
      ? `${countOf(r.waiting, 'draft')} and ${countOf(r.applications, 'application')} waiting at ${r.brand_name}`
      : r.waiting > 0
        ? `${countOf(r.waiting, 'draft')} to review for ${r.brand_name}`
        : r.applications > 0
          ? `${countOf(r.applications, 'creator application')} waiting at ${r.brand_name}`
          : `Creators answered ${countOf(answers, 'usage rights request')} at ${r.brand_name}`;
  const answered = [r.rights_accepted > 0 ? `${formatCount(r.rights_accepted)} accepted` : null, r.rights_declined > 0 ? `${formatCount(r.rights_declined)} declined` : null].filter((a) => a !== null);
  const applicationsAt = origin && r.applications_campaign ? `${origin}/console/campaigns/${r.applications_campaign}/applications` : null;
  return {
    to: r.email,
    subject,
    text: [
      `Hi ${r.name},`,
      ...(r.waiting > 0
        ? [
            `${drafts} waiting for review at ${r.brand_name}${recent}. Creators post only once a draft is approved.`,
            origin ? `Review them: ${origin}/console/review?status=submitted` : 'Review them on the Review page of your Chorus console.',
          ]
        : []),
      ...(r.applications > 0
        ? [
            `${countOf(r.applications, 'creator applied', 'creators applied')} to join ${r.brand_name}'s campaigns and ${r.applications === 1 ? 'waits' : 'wait'} for an answer.`,
            applicationsAt ? `Answer them: ${applicationsAt}` : "Answer them on each campaign's Applications tab in your Chorus console.",
          ]
        : []),
      ...(answers > 0
        ? [
            `Creators answered ${countOf(answers, 'of your requests', 'of your requests')} to extend usage rights in the last day: ${answered.join(', ')}.`,
            origin ? `See them in the content library: ${origin}/console/content` : 'See them on the Content page of your Chorus console.',
          ]
        : []),
      `You get this at most once a day, while drafts or applications wait or when creators answer your requests. To stop it, turn it off under Your notifications on the Team page${origin ? `: ${origin}/console/team#notify-h` : '.'}`,
    ].join('\n\n'),
  };
}
