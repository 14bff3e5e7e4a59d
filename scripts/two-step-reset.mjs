// The statements of `chorus two-step-reset` (scripts/chorus.mjs), which runs them through `wrangler d1 execute`: here so
// a workers test runs the same SQL against D1 (test/worker/creator-two-step.test.ts).
//
// Deletes the account's authenticator and recovery codes, as an owner's reset on the Team page does for a member,
// with an audit row the brand (each brand the creator joined) sees under Activity. Statements run in order in one
// call: the count, what is written while the factor still exists (the audit, a creator's mail stamp), the deletes.
// A member is told by the operator; a creator is mailed by the worker's next cron run (jobs/two-step-reset-mail.ts),
// as wrangler mails no one.
import { literal, newId } from './d1-rows.mjs';

export function memberReset(email, slug, now) {
  const account = `SELECT u.id, u.brand_id FROM admin_users u JOIN brands b ON b.id = u.brand_id WHERE b.slug = ${literal(slug)} AND u.email = ${literal(email)} AND u.removed_at IS NULL`;
  const on = (id) => `EXISTS (SELECT 1 FROM two_step_factors f WHERE f.subject_type = 'admin_user' AND f.subject_id = ${id})`;
  return {
    account,
    of: `subject_type = 'admin_user' AND subject_id IN (SELECT id FROM (${account}))`,
    whileOn: [
      `INSERT INTO audit_log (id, brand_id, actor_type, actor_id, action, target_type, target_id, details, at)
       SELECT ${literal(newId('aud'))}, m.brand_id, 'system', 'operator', 'admin_user.two_step_reset', 'admin_user', m.id, NULL, ${now} FROM (${account}) m WHERE ${on('m.id')}`,
    ],
    notFound: `No console member ${email} in the brand ${slug} (not_found).`,
    who: `${email} in ${slug}`,
    then: "Audited under the brand's Activity; tell them yourself (no mail is sent).",
  };
}

export function creatorReset(email, now) {
  const account = `SELECT id FROM creators WHERE email = ${literal(email)} AND erased_at IS NULL`;
  const on = `EXISTS (SELECT 1 FROM two_step_factors f WHERE f.subject_type = 'creator' AND f.subject_id IN (${account}))`;
  return {
    account,
    of: `subject_type = 'creator' AND subject_id IN (${account})`,
    whileOn: [
      // As db/audit.ts creatorAccountAudit writes a creator's account events: a row in each brand they joined.
      `INSERT INTO audit_log (id, brand_id, actor_type, actor_id, action, target_type, target_id, details, at)
       SELECT 'aud_' || lower(hex(randomblob(12))), bc.brand_id, 'system', 'operator', 'creator.two_step_reset', 'creator', bc.creator_id, NULL, ${now}
       FROM brand_creators bc WHERE bc.creator_id IN (${account}) AND bc.accepted_at IS NOT NULL AND bc.erased_at IS NULL AND ${on}`,
      // The address it has now is mailed too, whatever it is moved to before the cron runs.
      `UPDATE creators SET two_step_reset_mail_due_at = ${now}, two_step_reset_mail_claimed_at = NULL, two_step_reset_mail_to = email WHERE id IN (${account}) AND ${on}`,
    ],
    notFound: `No creator account uses ${email} (not_found).`,
    who: `${email} (a creator)`,
    then: "Audited under the Activity of each brand they joined; the worker's next cron run (within 15 minutes) mails them.",
  };
}

// The first answers with the counts ({ accounts, factors }) from before anything changed.
export const resetStatements = (target) => [
  `SELECT (SELECT count(*) FROM (${target.account})) AS accounts, (SELECT count(*) FROM two_step_factors WHERE ${target.of}) AS factors`,
  ...target.whileOn,
  `DELETE FROM two_step_factors WHERE ${target.of}`,
  `DELETE FROM recovery_codes WHERE ${target.of}`,
];
