// Requests to extend usage rights that the ask did not mail (db/rights-extensions.ts askRightsExtension): the once-a-day
// limit held them back (a brand asked about several posts at once), the mail could not be handed on, or the worker
// died between claiming the mail and sending it. Each cron run mails them, one mail for each brand and creator that
// names every such request of theirs, once no mail about that brand's requests reached the creator within the day
// (whatever became of the request it was about: a creator who answered it has seen the others on their home page).
// Claimed before the send (mail_claimed_at), recorded mailed once handed on, and given back if not, so the next run
// mails what this one could not; a claim a dead worker left is taken again after MAIL_CLAIM_LEASE_MS.
import { giveBackClaims, IN_CAMPAIGN_SQL, mailedWithinADay, markMailed, extensionMail, subjectsOf, type MailedRequest, type RightsExtensionRow } from '../db/rights-extensions';
import { mailOrigin, type Env } from '../env';
import { handOnClaimed, MAIL_CLAIM_LEASE_MS } from '../mail';

// Mails (brands and creators) a run sends, those waiting longest first; more are left to the next run, 15 minutes on.
export const RIGHTS_EXTENSION_MAILS_PER_RUN = 200;

// Open requests not mailed and not on their way (or claimed by a run that died), whose creator is in the campaign and
// heard of no request of the brand's within the day, read as subjectsOf reads them (so a claimed one is always mailed).
// The brands and creators whose request has waited longest are picked first, and every such request of theirs is
// claimed with them, in one statement: overlapping runs claim each request once, and a run never splits a creator's
// mail. ?1 now, ?2 how many brands and creators.
const CLAIM = `UPDATE rights_extensions SET mail_claimed_at = ?1 WHERE id IN (
  WITH waiting AS (
    SELECT x.id, x.created_at, e.brand_id, e.creator_id FROM rights_extensions x JOIN submissions s ON s.id = x.submission_id
      JOIN enrollments e ON e.id = s.enrollment_id JOIN brand_creators r ON r.brand_id = e.brand_id AND r.creator_id = e.creator_id
      JOIN creators cr ON cr.id = e.creator_id JOIN brands b ON b.id = s.brand_id JOIN campaigns c ON c.id = e.campaign_id
    WHERE x.status = 'open' AND x.mailed_at IS NULL AND (x.mail_claimed_at IS NULL OR x.mail_claimed_at <= ?1 - ${MAIL_CLAIM_LEASE_MS})
      AND ${IN_CAMPAIGN_SQL} AND NOT ${mailedWithinADay('e.brand_id', 'e.creator_id', '?1', { except: 'x.id' })}),
  pairs AS (SELECT brand_id, creator_id FROM waiting GROUP BY brand_id, creator_id ORDER BY min(created_at), brand_id, creator_id LIMIT ?2)
  SELECT w.id FROM waiting w JOIN pairs p ON p.brand_id = w.brand_id AND p.creator_id = w.creator_id)
RETURNING *`;

export async function mailWaitingRightsExtensions(env: Env, now: number): Promise<number> {
  const { results: claimed } = await env.DB.prepare(CLAIM).bind(now, RIGHTS_EXTENSION_MAILS_PER_RUN).all<RightsExtensionRow>();
  if (claimed.length === 0) return 0;
  const ids = claimed.map((x) => x.id);
  // The requests each mail names, by its idempotency key; a mail the queue and the provider both refused gives back
  // only its own (one the provider may have taken is mailed: sent again it would be a second mail, under a new key
  // once the set of requests changes).
  const named = new Map<string, string[]>();
  const { handed, refusedKeys } = await handOnClaimed(
    env,
    'rights_extension_mail_failed',
    async () => {
      const subjects = new Map((await subjectsOf(env.DB, [...new Set(claimed.map((x) => x.submission_id))])).map((s) => [s.id, s]));
      const groups = new Map<string, MailedRequest[]>();
      for (const x of [...claimed].sort((a, b) => a.created_at - b.created_at || a.id.localeCompare(b.id))) {
        const s = subjects.get(x.submission_id);
        if (!s) continue;
        const key = `${s.brand_id}:${s.creator_id}`;
        groups.set(key, [...(groups.get(key) ?? []), { s, x }]);
      }
      const origin = mailOrigin(env);
      return Promise.all(
        [...groups.values()].map(async (requests) => {
          const mail = await extensionMail(requests, origin, now);
          named.set(mail.idempotencyKey, requests.map((r) => r.x.id));
          return mail;
        }),
      );
    },
    // Nothing is known to have left: every claim goes back.
    () => giveBackClaims(env.DB, ids, now),
  );
  const failed = new Set([...refusedKeys].flatMap((key) => named.get(key) ?? []));
  const mailed = [...named.values()].flat().filter((id) => !failed.has(id));
  await markMailed(env.DB, mailed, now);
  // The refused mails' requests (and any a read missed) are given back for the next run.
  await giveBackClaims(env.DB, ids, now);
  return handed;
}
