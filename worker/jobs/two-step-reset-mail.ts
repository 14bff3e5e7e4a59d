// The operator's reset of a creator's two-step sign-in (scripts/chorus.mjs two-step-reset --creator) is written to D1
// through wrangler, which mails no one: it stamps creators.two_step_reset_mail_due_at, and the next cron run (15
// minutes) mails the creator that it happened, so one who did not ask for it (an impostor convinced the operator)
// hears of it at their own address: the one the account had when it was reset (two_step_reset_mail_to), and the one
// it has now if it moved since (an impostor who knows the password could move it before the run). Claimed before the send (two_step_reset_mail_claimed_at), the stamp cleared once
// the mail is handed on, and the claim given back if the queue and the provider both refused it, so the next run mails
// what this one could not; a claim a dead worker left is taken again after MAIL_CLAIM_LEASE_MS.
import { maskAccount } from '../../portal/format';
import { creatorForgotPlace, mailOrigin, type Env } from '../env';
import type { Message } from '../lib/messages';
import { handOnClaimed, MAIL_CLAIM_LEASE_MS } from '../mail';

// Claimed a run (index creators_two_step_reset_mail_due); more wait for the next run.
export const TWO_STEP_RESET_MAILS_PER_RUN = 100;

// ?1 now (the claim), ?2 the limit. Overlapping runs claim each account once. (Closing an account clears its stamp,
// and mail to a closed account's placeholder is dropped.)
const CLAIM = `UPDATE creators SET two_step_reset_mail_claimed_at = ?1 WHERE id IN (
  SELECT id FROM creators WHERE two_step_reset_mail_due_at IS NOT NULL
    AND (two_step_reset_mail_claimed_at IS NULL OR two_step_reset_mail_claimed_at <= ?1 - ${MAIL_CLAIM_LEASE_MS})
  ORDER BY two_step_reset_mail_due_at LIMIT ?2)
RETURNING id, email, two_step_reset_mail_to AS reset_to, two_step_reset_mail_due_at AS due_at`;
// ?1 the ids as JSON, ?2 this run's claim: a reset again meanwhile (a new stamp, no claim) is left for the next run.
const MAILED = 'UPDATE creators SET two_step_reset_mail_due_at = NULL, two_step_reset_mail_claimed_at = NULL, two_step_reset_mail_to = NULL WHERE id IN (SELECT value FROM json_each(?1)) AND two_step_reset_mail_claimed_at = ?2';
const GIVEN_BACK = 'UPDATE creators SET two_step_reset_mail_claimed_at = NULL WHERE id IN (SELECT value FROM json_each(?1)) AND two_step_reset_mail_claimed_at = ?2';

export async function mailTwoStepResets(env: Env, now: number): Promise<number> {
  const { results: claimed } = await env.DB.prepare(CLAIM).bind(now, TWO_STEP_RESET_MAILS_PER_RUN).all<{ id: string; email: string; reset_to: string | null; due_at: number }>();
  if (claimed.length === 0) return 0;
  const ids = claimed.map((c) => c.id);
  // Each mail's key names its account, reset and address, so one handed on already is sent once when a refusal of the
  // other gives the account back.
  const ofKey = new Map<string, string>();
  const { handed, refusedKeys } = await handOnClaimed(
    env,
    'two_step_reset_mail_failed',
    async () => {
      const origin = mailOrigin(env);
      const forgot = creatorForgotPlace({ env });
      return claimed.flatMap((c) => {
        const resetTo = c.reset_to ?? c.email;
        return [...new Set([resetTo, c.email])].map((to, i) => {
          const idempotencyKey = `two-step-reset:${c.id}:${c.due_at}:${i}`;
          ofKey.set(idempotencyKey, c.id);
          return { ...twoStepResetNotice(resetTo, c.email, origin, forgot), to, idempotencyKey };
        });
      });
    },
    () => env.DB.prepare(GIVEN_BACK).bind(JSON.stringify(ids), now).run(),
  );
  const failed = new Set([...refusedKeys].map((key) => ofKey.get(key)!));
  await env.DB.batch([
    env.DB.prepare(MAILED).bind(JSON.stringify(ids.filter((id) => !failed.has(id))), now),
    env.DB.prepare(GIVEN_BACK).bind(JSON.stringify([...failed]), now),
  ]);
  return handed;
}

// `resetTo`: the account's address when it was reset; `current`: the one it signs in with now. Links only where Chorus
// knows its own address (PUBLIC_ORIGIN): a cron run has no request to take one from.
export function twoStepResetNotice(resetTo: string, current: string, origin: string | null, forgot: string): Message {
  const moved = current === resetTo ? '' : ` Since then the account was moved to another address (${maskAccount(current)}): if that was not you either, tell a brand you work with at once.`;
  return {
    to: resetTo,
    subject: 'Your Chorus two-step sign-in was reset',
    text: `Whoever runs Chorus reset the two-step sign-in of your Chorus creator account (${resetTo}), as asked for you: your authenticator app and recovery codes no longer work for it, and your password alone signs you in until you set it up again (Your account → Two-step sign-in${origin ? `: ${origin}/account/two-step` : ''}).\n\nIf you did not ask for this, choose a new password at once (${forgot}) and tell a brand you work with.${moved}`,
  };
}
