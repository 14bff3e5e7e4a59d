// A creator hears when they reach a bounty (db/bounties.ts awardBounties), once per award, as a payout paid is told:
// the reward, and where it shows. The award's cron run writes the award; this job, right after it in the same run,
// claims the awards not mailed yet (bounty_awards.mail_claimed_at), records them mailed once handed on, and gives the
// claim back if the queue and the provider both refused the mail, so the next run mails what this one could not; a
// claim a dead worker left is taken again after MAIL_CLAIM_LEASE_MS. Nobody the brand erased is mailed, and a closed
// account's placeholder address never is (worker/mail.ts): their awards count as done, as does one whose mail could
// not leave within BOUNTY_AWARD_MAIL_LOOKBACK_MS.
import { mailOrigin, type Env } from '../env';
import { handOnClaimed, MAIL_CLAIM_LEASE_MS, type KeyedMail } from '../mail';
import { formatMoney, paidAtClose } from '../../portal/format';
import { firstName } from './message-mail';
import { DAY_MS } from '../domain/periods';

// Claimed a run (bounty_awards_unmailed), the oldest first; more wait for the next run, 15 minutes on.
export const BOUNTY_AWARD_MAILS_PER_RUN = 200;
// An award older than this is no news any more: a mail that could not leave for a week is not sent late.
export const BOUNTY_AWARD_MAIL_LOOKBACK_MS = 7 * DAY_MS;

// ?1 now, ?2 the lookback. An award whose mail can no longer leave is done with (stamped), so it leaves
// bounty_awards_unmailed rather than being read by every run for good.
const EXPIRED = 'UPDATE bounty_awards SET mailed_at = ?1, mail_claimed_at = NULL WHERE mailed_at IS NULL AND awarded_at <= ?1 - ?2';

// ?1 now (the claim), ?2 the limit, ?3 the lookback. Overlapping runs claim each award once.
const CLAIM = `UPDATE bounty_awards SET mail_claimed_at = ?1 WHERE rowid IN (
  SELECT rowid FROM bounty_awards WHERE mailed_at IS NULL AND awarded_at > ?1 - ?3
    AND (mail_claimed_at IS NULL OR mail_claimed_at <= ?1 - ${MAIL_CLAIM_LEASE_MS})
  ORDER BY awarded_at LIMIT ?2)
RETURNING bounty_id AS b, enrollment_id AS e`;

const CLAIMED = 'SELECT json_extract(value, \'$.b\') AS b, json_extract(value, \'$.e\') AS e FROM json_each(?1)';

// Who each claimed award mails, and what it says: only creators the brand has not erased. ?1 the claims as JSON [{b, e}].
const RECIPIENTS = `SELECT a.bounty_id, a.enrollment_id, b.title, l.amount_minor, l.currency, l.period, c.email, c.display_name AS name, br.name AS brand_name, br.min_payout_minor, cp.name AS campaign_name
FROM (${CLAIMED}) j JOIN bounty_awards a ON a.bounty_id = j.b AND a.enrollment_id = j.e
JOIN bounties b ON b.id = a.bounty_id JOIN ledger_entries l ON l.id = a.ledger_entry_id JOIN enrollments e ON e.id = a.enrollment_id
JOIN creators c ON c.id = e.creator_id JOIN brands br ON br.id = a.brand_id JOIN campaigns cp ON cp.id = b.campaign_id
JOIN brand_creators r ON r.brand_id = a.brand_id AND r.creator_id = e.creator_id AND r.erased_at IS NULL`;

// ?1 the awards as JSON [{b, e}], ?2 this run's claim: only its own.
const MAILED = `UPDATE bounty_awards SET mailed_at = ?2, mail_claimed_at = NULL WHERE (bounty_id, enrollment_id) IN (${CLAIMED}) AND mail_claimed_at = ?2`;
const GIVEN_BACK = `UPDATE bounty_awards SET mail_claimed_at = NULL WHERE (bounty_id, enrollment_id) IN (${CLAIMED}) AND mail_claimed_at = ?2`;

export type BountyAwardRecipient = {
  bounty_id: string;
  enrollment_id: string;
  title: string;
  amount_minor: number;
  currency: string;
  period: string;
  email: string;
  name: string;
  brand_name: string;
  min_payout_minor: number;
  campaign_name: string;
};
type Award = { b: string; e: string };

export async function mailBountyAwards(env: Env, now: number): Promise<number> {
  const [, claim] = await env.DB.batch<Award>([
    env.DB.prepare(EXPIRED).bind(now, BOUNTY_AWARD_MAIL_LOOKBACK_MS),
    env.DB.prepare(CLAIM).bind(now, BOUNTY_AWARD_MAILS_PER_RUN, BOUNTY_AWARD_MAIL_LOOKBACK_MS),
  ]);
  const claimed = claim!.results;
  if (claimed.length === 0) return 0;
  const { handed, refusedKeys } = await handOnClaimed(
    env,
    'bounty_award_mail_failed',
    async () => {
      const { results } = await env.DB.prepare(RECIPIENTS).bind(JSON.stringify(claimed)).all<BountyAwardRecipient>();
      const origin = mailOrigin(env);
      return results.map((r) => bountyAwardMail(r, origin));
    },
    () => env.DB.prepare(GIVEN_BACK).bind(JSON.stringify(claimed), now).run(),
  );
  const refused = (a: Award) => refusedKeys.has(awardMailKey(a.b, a.e));
  await env.DB.batch([
    env.DB.prepare(MAILED).bind(JSON.stringify(claimed.filter((a) => !refused(a))), now),
    env.DB.prepare(GIVEN_BACK).bind(JSON.stringify(claimed.filter(refused)), now),
  ]);
  return handed;
}

const awardMailKey = (bountyId: string, enrollmentId: string) => `bounty-award:${bountyId}:${enrollmentId}`;

// Links only where Chorus knows its own address (PUBLIC_ORIGIN): a cron run has no request to take one from.
export function bountyAwardMail(r: BountyAwardRecipient, origin: string | null): KeyedMail {
  const amount = formatMoney(r.amount_minor, r.currency);
  return {
    to: r.email,
    subject: `${r.brand_name}: you reached “${r.title}” (${amount} added to your earnings)`,
    text: [
      `Hi ${firstName(r.name)},`,
      `You reached the bounty “${r.title}” in ${r.brand_name}'s campaign ${r.campaign_name}: ${amount} was added to your earnings. ${paidAtClose(r.brand_name, r.period, r.min_payout_minor, r.currency)} It stays yours, even if an order is refunded or declined later.`,
      origin ? `Your earnings: ${origin}/earnings\nYour bounties: ${origin}/` : 'It shows on the home and Earnings pages of your Chorus portal.',
    ].join('\n\n'),
    idempotencyKey: awardMailKey(r.bounty_id, r.enrollment_id),
  };
}
