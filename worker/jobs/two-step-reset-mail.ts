// The operator's reset of a creator's two-step sign-in (scripts/chorus.mjs two-step-reset --creator) is written to D1
// through wrangler, which mails no one: it stamps creators.two_step_reset_mail_due_at, and the next cron run (15
// minutes) mails the creator that it happened, so one who did not ask for it (an impostor convinced the operator)
// hears of it at their own address. The claim clears the stamp, so two runs mail once; a run that could not hand
// the mails on puts it back for the next.
import { mailOrigin, type Env } from '../env';
import { queueNotices } from '../mail';
import type { Message } from '../lib/messages';

// Claimed a run (index creators_two_step_reset_mail_due); more wait for the next run.
export const TWO_STEP_RESET_MAILS_PER_RUN = 100;

// ?1 the limit. (Closing an account clears its stamp, and mail to a closed account's placeholder is dropped.)
const CLAIM = `UPDATE creators SET two_step_reset_mail_due_at = NULL
WHERE id IN (SELECT id FROM creators WHERE two_step_reset_mail_due_at IS NOT NULL ORDER BY two_step_reset_mail_due_at LIMIT ?1)
RETURNING id, email`;
// ?1 the claimed ids as JSON, ?2 now.
const UNCLAIM = 'UPDATE creators SET two_step_reset_mail_due_at = ?2 WHERE id IN (SELECT value FROM json_each(?1)) AND two_step_reset_mail_due_at IS NULL';

export async function mailTwoStepResets(env: Env, now: number): Promise<number> {
  const { results: claimed } = await env.DB.prepare(CLAIM).bind(TWO_STEP_RESET_MAILS_PER_RUN).all<{ id: string; email: string }>();
  if (claimed.length === 0) return 0;
  try {
    const origin = mailOrigin(env);
    return await queueNotices(env, claimed.map((c) => twoStepResetNotice(c.email, origin)), 'two_step_reset_mail_failed');
  } catch (error) {
    await env.DB.prepare(UNCLAIM).bind(JSON.stringify(claimed.map((c) => c.id)), now).run();
    throw error;
  }
}

// Links only where Chorus knows its own address (PUBLIC_ORIGIN): a cron run has no request to take one from.
export function twoStepResetNotice(email: string, origin: string | null): Message {
  return {
    to: email,
    subject: 'Your Chorus two-step sign-in was reset',
    text: `Whoever runs Chorus reset the two-step sign-in of your Chorus creator account (${email}), as asked for you: your authenticator app and recovery codes no longer work for it, and your password alone signs you in until you set it up again (Your account → Two-step sign-in${origin ? `: ${origin}/account/two-step` : ''}).\n\nIf you did not ask for this, choose a new password at once (${origin ? `${origin}/forgot` : '"Forgot your password?" on the sign-in page'}) and tell a brand you work with.`,
  };
}
