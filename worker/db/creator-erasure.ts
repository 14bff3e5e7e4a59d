// Closing a creator's account (GDPR art. 17): by the creator on their Account page, or by the one brand they work
// with, on their request (POST /api/admin/creators/:id/erase). One D1 batch, claimed by its first write:
//
// - erased: the account's email (a placeholder no form can type, so unique indexes hold), name, handle, password,
//   sessions, two-step sign-in (its secret and recovery codes), the addresses it moved from, account links, payout
//   details (also where paid payouts went), saved and gift addresses, the brands'
//   copies of name, email, profile and tags, applications sent from any address the account had, the creator's message texts (replaced
//   by CLOSED_MESSAGE, so the brand's replies keep their place), their notes on drafts and rights requests, and
//   the drafts' links and captions unless they granted usage rights on them (the brand's licence names the content);
// - kept, under an anonymous name: commission, conversions, ledger and payouts (the brands' books), the tracked
//   links (old posts keep sending shoppers to the brand: see db/link-routes.ts, no click is counted), codes
//   (disabled), live posts' numbers, the address's mail opt-outs (so no brand mails it again), and which versions
//   of a brand's program terms the account accepted and when (the brand's proof; it names only the account's id);
// - stopped: every enrollment is removed with no date (removed_at NULL: no order credits them again, a late one
//   neither), gift requests waiting to ship are declined, and each brand hears it: an activity row and a
//   `creator.erased` webhook event.
//
// Money owed (domain: ledger entries in no payout, and payouts closed but not paid or failed) never vanishes
// silently: the creator closes only after ticking that they give it up, which is booked (an adjustment taking
// the unpaid entries to zero, and the payouts still owed marked failed and given up), and a brand cannot erase
// a creator it still owes (409): it pays first, or the creator closes the account themselves.
import { periodOf } from '../domain/periods';
import { ApiError } from '../lib/errors';
import { ADDRESS_REMOVED } from './addresses';
import { creatorErasedStatements, giftEventStatements, rightsExtensionEventStatements } from './webhooks';

export const ERASED_NAME = 'Closed account';
// Every form lower-cases the addresses it takes, so one with a capital letter can never be typed to reach this
// account again; `.invalid` (RFC 2606) is never delivered; the id keeps it unique.
export const ERASED_DOMAIN = 'closed.invalid';
export const erasedEmail = (creatorId: string) => `Closed.${creatorId}@${ERASED_DOMAIN}`;
/** An address an erasure wrote (worker/mail.ts drops mail to it). */
export const isErasedAddress = (email: string) => email.trim().toLowerCase().endsWith(`@${ERASED_DOMAIN}`);
export const CLOSED_MESSAGE = '(Deleted: the creator closed their account.)';
export const CLOSED_GIFT_REASON = 'Not shipped: the creator closed their account.';
export const GAVE_UP_PAYOUT = 'The creator closed their account and gave up this payout.';
export const GAVE_UP_NOTE = 'Given up by the creator when they closed their account.';

// What the creator is owed, per brand and currency: entries in no payout (held or payable, net of clawbacks) and
// payouts closed but not paid (pending, or failed and not given up). ?1 is the creator; `brand` (SQL) limits it to one brand.
const owedParts = (brand = '1') => `SELECT brand_id, currency, amount_minor AS unpaid, 0 AS in_payouts FROM ledger_entries WHERE creator_id = ?1 AND payout_id IS NULL AND ${brand}
  UNION ALL SELECT brand_id, currency, 0, amount_minor FROM payouts WHERE creator_id = ?1 AND status IN ('pending', 'failed') AND given_up_at IS NULL AND ${brand}`;
const owedGroups = (brand?: string) => `SELECT brand_id, currency, SUM(unpaid) AS unpaid, SUM(in_payouts) AS in_payouts FROM (${owedParts(brand)})
  GROUP BY brand_id, currency HAVING SUM(unpaid) + SUM(in_payouts) > 0`;
const OWED_GROUPS = owedGroups();
// The same, as one string ('' for nothing owed), which the claim compares with what the creator was shown, so an
// order landing between the page and the press is never given up unseen.
const owedKeySql = (brand?: string) =>
  `(SELECT coalesce(group_concat(k, ';'), '') FROM (SELECT brand_id || ':' || currency || ':' || (unpaid + in_payouts) AS k FROM (${owedGroups(brand)}) ORDER BY brand_id, currency))`;

export type Owed = { brandId: string; brandName: string; currency: string; unpaidMinor: number; inPayoutsMinor: number; owedMinor: number };

export async function owedTo(db: D1Database, creatorId: string): Promise<Owed[]> {
  const { results } = await db
    .prepare(`SELECT o.brand_id, b.name AS brand_name, o.currency, o.unpaid, o.in_payouts FROM (${OWED_GROUPS}) o JOIN brands b ON b.id = o.brand_id ORDER BY o.brand_id, o.currency`)
    .bind(creatorId)
    .all<{ brand_id: string; brand_name: string; currency: string; unpaid: number; in_payouts: number }>();
  return results.map((r) => ({ brandId: r.brand_id, brandName: r.brand_name, currency: r.currency, unpaidMinor: r.unpaid, inPayoutsMinor: r.in_payouts, owedMinor: r.unpaid + r.in_payouts }));
}

/** What owedTo says, as owedKeySql writes it: the form carries it and the claim checks it. */
export const owedKey = (owed: Owed[]) => owed.map((o) => `${o.brandId}:${o.currency}:${o.owedMinor}`).join(';');

export type Eraser = { by: 'creator'; owedSeen: string } | { by: 'brand'; brandId: string; actorType: 'admin_user' | 'api_key'; actorId: string };
export type ErasureOutcome = { erased: true; erasedAt: number; slugs: string[]; codes: { brandId: string; code: string }[] } | { erased: false; why: 'not_found' | 'already_erased' | 'owed' | 'owed_changed' };

type Account = { email: string; erased_at: number | null; former_emails: string | null };

// Parameters of every statement: ?1 the creator, ?2 the claim's token, ?3 now, ?4 the brand erasing (NULL: the
// creator closing, every brand of theirs), then the statement's own from ?5.
const SCOPE = (brand: string) => `(?4 IS NULL OR ${brand} = ?4)`;

export async function eraseCreator(db: D1Database, creatorId: string, eraser: Eraser, now: number): Promise<ErasureOutcome> {
  const brandId = eraser.by === 'brand' ? eraser.brandId : null;
  const [account, brands, links, codes, gifts, rightsAsks, oldEmails] = await db.batch([
    db.prepare('SELECT email, erased_at, former_emails FROM creators WHERE id = ?').bind(creatorId),
    db.prepare('SELECT r.brand_id, r.email, r.erased_at, b.timezone FROM brand_creators r JOIN brands b ON b.id = r.brand_id WHERE r.creator_id = ?').bind(creatorId),
    db.prepare('SELECT l.slug FROM links l JOIN enrollments e ON e.id = l.enrollment_id WHERE e.creator_id = ?1 AND (?2 IS NULL OR e.brand_id = ?2)').bind(creatorId, brandId),
    db.prepare('SELECT d.brand_id, d.code FROM discount_codes d JOIN enrollments e ON e.id = d.enrollment_id WHERE e.creator_id = ?1 AND (?2 IS NULL OR e.brand_id = ?2)').bind(creatorId, brandId),
    db.prepare("SELECT DISTINCT g.enrollment_id FROM gift_requests g JOIN enrollments e ON e.id = g.enrollment_id WHERE e.creator_id = ?1 AND (?2 IS NULL OR e.brand_id = ?2) AND g.status = 'requested'").bind(creatorId, brandId),
    db.prepare("SELECT DISTINCT s.enrollment_id FROM rights_extensions x JOIN submissions s ON s.id = x.submission_id JOIN enrollments e ON e.id = s.enrollment_id WHERE e.creator_id = ?1 AND (?2 IS NULL OR e.brand_id = ?2) AND x.status = 'open'").bind(creatorId, brandId),
    // Every address the account had: creators.former_emails, and for moves made before it was kept, the brands'
    // activity rows of an email change.
    db.prepare("SELECT DISTINCT json_extract(details, '$.from') AS email FROM audit_log WHERE target_id = ? AND action = 'creator.email_changed' AND details IS NOT NULL").bind(creatorId),
  ]);
  const found = account!.results[0] as Account | undefined;
  const rosters = brands!.results as { brand_id: string; email: string; erased_at: number | null; timezone: string }[];
  const mineRow = brandId === null ? undefined : rosters.find((r) => r.brand_id === brandId);
  if (!found || (brandId !== null && !mineRow)) return { erased: false, why: 'not_found' };
  if (found.erased_at !== null || (mineRow && mineRow.erased_at !== null)) return { erased: false, why: 'already_erased' };

  // The claim: a brand's stamps its roster row (its relationship with the creator), the creator's their account. Its
  // own condition holds what was read above: a brand erases one it owes nothing; the creator closes while what they
  // are owed is what they were shown (nothing, or what they gave up). It stamps a random handle that every later
  // statement checks, so of two erasures at once (same millisecond included) only the one that claimed writes.
  const rosterHandle = "'closed-' || lower(hex(randomblob(5)))";
  const token = brandId === null ? `closed-${crypto.randomUUID()}` : `closed-${[...crypto.getRandomValues(new Uint8Array(5))].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
  const claimed =
    brandId === null
      ? 'EXISTS (SELECT 1 FROM creators WHERE id = ?1 AND handle = ?2 AND erased_at = ?3 AND ?4 IS NULL)'
      : 'EXISTS (SELECT 1 FROM brand_creators WHERE creator_id = ?1 AND brand_id = ?4 AND handle = ?2 AND erased_at = ?3)';
  // The account itself goes when the creator closes it, or when this brand was the last one with a relationship.
  const accountGoes = `${claimed} AND NOT EXISTS (SELECT 1 FROM brand_creators WHERE creator_id = ?1 AND erased_at IS NULL)`;
  const mine = `SELECT id FROM enrollments WHERE creator_id = ?1 AND ${SCOPE('brand_id')}`;
  const giveUp = eraser.by === 'creator' && eraser.owedSeen !== '';
  const periods = JSON.stringify(Object.fromEntries(rosters.map((r) => [r.brand_id, periodOf(now, r.timezone)])));
  const former = JSON.parse(found.former_emails ?? '[]') as string[];
  const emails = JSON.stringify([...new Set([found.email, ...former, ...rosters.map((r) => r.email), ...(oldEmails!.results as { email: string | null }[]).flatMap((r) => (r.email ? [r.email] : []))])]);
  const actor = eraser.by === 'brand' ? { type: eraser.actorType, id: eraser.actorId, action: 'creator.erased' } : { type: 'creator', id: creatorId, action: 'creator.account_closed' };
  const s = (sql: string, ...params: unknown[]) => db.prepare(sql).bind(creatorId, token, now, brandId, ...params);
  const rosterErased = (handle: string) =>
    `UPDATE brand_creators SET handle = ${handle}, display_name = ?5, email = ?6, niche = NULL, platform = NULL, follower_count = NULL, campaign_news = 0, erased_at = ?3
     WHERE creator_id = ?1 AND ${SCOPE('brand_id')} AND erased_at IS NULL`;
  const closeAccount = (guard: string, ...more: unknown[]) =>
    s(
      `UPDATE creators SET email = ?5, handle = ${brandId === null ? '?2' : "'closed-' || lower(hex(randomblob(16)))"}, display_name = ?6, password_hash = NULL, payout_details_enc = NULL, tax_details_enc = NULL,
         email_link_at = NULL, former_emails = NULL, earnings_digest = 0, due_reminders = 0, shipping_address = NULL, two_step_reset_mail_due_at = NULL, two_step_reset_mail_claimed_at = NULL,
         two_step_reset_mail_to = NULL, erased_at = ?3 WHERE id = ?1 AND erased_at IS NULL AND ${guard}`,
      erasedEmail(creatorId),
      ERASED_NAME,
      ...more,
    );
  // Applications sent from any of the account's addresses: the brand's own (`scope`), or every brand's.
  const applicationsCleared = (scope: string, guard: string) =>
    s(
      `UPDATE applications SET email = 'Closed.' || id || '@${ERASED_DOMAIN}', inbox = 'Closed.' || id || '@${ERASED_DOMAIN}', name = ?6, handle = 'closed',
         profile_url = NULL, niche = NULL, follower_count = NULL, pitch = '' WHERE email IN (SELECT value FROM json_each(?5)) AND ${scope} AND ${guard}`,
      emails,
      ERASED_NAME,
    );

  const statements: D1PreparedStatement[] = [
    brandId === null
      ? closeAccount(`${owedKeySql()} = ?7`, eraser.by === 'creator' ? eraser.owedSeen : '')
      : s(`${rosterErased('?2')} AND ${owedKeySql('brand_id = ?4')} = ''`, ERASED_NAME, erasedEmail(creatorId)),
    // The activity rows first, while the ledger still holds what was given up: a row per brand concerned.
    s(
      `INSERT INTO audit_log (id, brand_id, actor_type, actor_id, action, target_type, target_id, details, at)
       SELECT 'aud_' || lower(hex(randomblob(12))), r.brand_id, ?5, ?6, ?7, 'creator', ?1,
         (SELECT json_object('gaveUp', json_group_array(json_object('currency', o.currency, 'amountMinor', o.unpaid + o.in_payouts))) FROM (${OWED_GROUPS}) o WHERE o.brand_id = r.brand_id HAVING count(*) > 0), ?3
       FROM brand_creators r WHERE r.creator_id = ?1 AND ${SCOPE('r.brand_id')} AND (r.erased_at IS NULL OR r.erased_at = ?3) AND ${claimed}`,
      actor.type,
      actor.id,
      actor.action,
    ),
    // What they gave up is booked: unpaid entries netted to zero by an adjustment of the brand's current month, and
    // the payouts still owed marked failed and given up (given_up_at: no one can mark them paid later), with the
    // reason unless one had failed already and says why, and an activity row for each, as marking a payout failed
    // writes. No close pays a closed account (db/payouts.ts), so an earlier month's entries stay unpaid too.
    ...(giveUp
      ? [
          s(
            `INSERT INTO ledger_entries (id, brand_id, enrollment_id, creator_id, kind, amount_minor, currency, basis_minor, period, note, event_key, available_at, created_at)
             SELECT 'le_' || lower(hex(randomblob(12))), l.brand_id,
               MAX(l.enrollment_id), ?1, 'adjustment', -SUM(l.amount_minor), l.currency, 0,
               coalesce(json_extract(?5, '$."' || l.brand_id || '"'), strftime('%Y-%m', ?3 / 1000, 'unixepoch')), ?6, 'account_closed:' || ?1 || ':' || l.currency, ?3, ?3
             FROM ledger_entries l WHERE l.creator_id = ?1 AND l.payout_id IS NULL AND ${claimed}
             GROUP BY l.brand_id, l.currency HAVING SUM(l.amount_minor) > 0
             ON CONFLICT(brand_id, event_key) DO NOTHING`,
            periods,
            GAVE_UP_NOTE,
          ),
          s(
            `UPDATE payouts SET status = 'failed', failure_reason = coalesce(CASE WHEN status = 'failed' THEN failure_reason END, ?5), given_up_at = ?3
             WHERE creator_id = ?1 AND status IN ('pending', 'failed') AND given_up_at IS NULL AND ${claimed}`,
            GAVE_UP_PAYOUT,
          ),
          s(
            `INSERT INTO audit_log (id, brand_id, actor_type, actor_id, action, target_type, target_id, details, at)
             SELECT 'aud_' || lower(hex(randomblob(12))), p.brand_id, 'creator', ?1, 'payout.given_up', 'payout', p.id,
               json_object('reference', p.reference, 'reason', p.failure_reason), ?3
             FROM payouts p WHERE p.creator_id = ?1 AND p.given_up_at = ?3 AND ${claimed}`,
          ),
        ]
      : []),
    s(`UPDATE payouts SET paid_to_enc = NULL WHERE creator_id = ?1 AND ${SCOPE('brand_id')} AND paid_to_enc IS NOT NULL AND ${claimed}`),
    ...(brandId === null ? [s(`${rosterErased(rosterHandle)} AND ${claimed}`, ERASED_NAME, erasedEmail(creatorId))] : [closeAccount(accountGoes)]),
    // Only the links of enrollments active until now keep sending shoppers from old posts (db/link-routes.ts); those
    // of one invited, paused, benched or removed before stay closed: paused, which the brand alone may undo.
    s(`UPDATE links SET status = 'paused', updated_at = ?3 WHERE enrollment_id IN (${mine} AND status <> 'active') AND status = 'active' AND ${claimed}`),
    s(`UPDATE enrollments SET status = 'removed', removed_at = NULL, brief_section = '', content_due_at = NULL WHERE creator_id = ?1 AND ${SCOPE('brand_id')} AND ${claimed}`),
    s(`UPDATE discount_codes SET status = 'disabled' WHERE enrollment_id IN (${mine}) AND status <> 'disabled' AND ${claimed}`),
    s(`UPDATE gift_requests SET status = 'declined', decline_reason = ?5, updated_at = ?3 WHERE enrollment_id IN (${mine}) AND status = 'requested' AND ${claimed}`, CLOSED_GIFT_REASON),
    ...(gifts!.results as { enrollment_id: string }[]).flatMap((g) => giftEventStatements(db, 'gift.declined', { enrollmentId: g.enrollment_id }, now)),
    // Removed, as the job removes those no longer needed (jobs/gift-addresses.ts): each page shows "Address removed".
    s(`UPDATE gift_requests SET address = ?5 WHERE enrollment_id IN (${mine}) AND address <> ?5 AND ${claimed}`, ADDRESS_REMOVED),
    // Requests to extend usage rights that waited for the creator are withdrawn, as with a removal: nobody will answer.
    s(`UPDATE rights_extensions SET status = 'withdrawn', answered_at = ?3 WHERE status = 'open' AND submission_id IN (SELECT id FROM submissions WHERE enrollment_id IN (${mine})) AND ${claimed}`),
    ...(rightsAsks!.results as { enrollment_id: string }[]).flatMap((x) => rightsExtensionEventStatements(db, 'rights_extension.withdrawn', { enrollmentId: x.enrollment_id }, now)),
    // A draft's link and caption stay only while the creator's grant of usage rights on it runs: the brand's
    // licence names them. One never granted, or expired, loses them.
    s(
      `UPDATE submissions SET draft_url = '', caption = '', post_url = NULL, post_key = NULL
       WHERE enrollment_id IN (${mine}) AND (rights_granted_at IS NULL OR rights_until < ?3) AND ${claimed}`,
    ),
    s(`UPDATE submission_events SET note = NULL WHERE actor_type = 'creator' AND note IS NOT NULL AND submission_id IN (SELECT id FROM submissions WHERE enrollment_id IN (${mine})) AND ${claimed}`),
    s(`UPDATE rights_extensions SET answer_note = NULL WHERE answer_note IS NOT NULL AND submission_id IN (SELECT id FROM submissions WHERE enrollment_id IN (${mine})) AND ${claimed}`),
    s(`UPDATE messages SET body = ?5, form_key = NULL WHERE creator_id = ?1 AND ${SCOPE('brand_id')} AND author_type = 'creator' AND ${claimed}`, CLOSED_MESSAGE),
    s(`UPDATE message_threads SET creator_unread = 0, creator_mail_due_at = NULL WHERE creator_id = ?1 AND ${SCOPE('brand_id')} AND ${claimed}`),
    applicationsCleared(SCOPE('brand_id'), claimed),
    s(`DELETE FROM invitation_mails WHERE email IN (SELECT value FROM json_each(?5)) AND ${SCOPE('brand_id')} AND ${claimed}`, emails),
    // The activity rows that name the creator's words, addresses or the brand's tags on them (index audit_log_target): an email change, a tags change, and
    // the note of a rights extension they declined.
    s(`UPDATE audit_log SET details = NULL WHERE target_id = ?1 AND action IN ('creator.email_changed', 'creator.tags_set') AND ${SCOPE('brand_id')} AND ${claimed}`),
    // The brand's tags on them go with its copy of who they are (found through brand_creators_creator, then the key).
    s(`DELETE FROM creator_tags WHERE (brand_id, creator_id) IN (SELECT brand_id, creator_id FROM brand_creators WHERE creator_id = ?1 AND ${SCOPE('brand_id')}) AND ${claimed}`),
    s(
      `UPDATE audit_log SET details = json_set(details, '$.note', NULL) WHERE target_id IN (SELECT id FROM submissions WHERE enrollment_id IN (${mine}))
         AND action = 'submission.rights_extension_declined' AND json_extract(details, '$.note') IS NOT NULL AND ${claimed}`,
    ),
    ...webhookEventsScrubbed(s, claimed),
    // What belongs to the account, not to one brand: only when it closes.
    ...(brandId === null ? [] : [applicationsCleared('1', accountGoes), s(`DELETE FROM invitation_mails WHERE email IN (SELECT value FROM json_each(?5)) AND ${accountGoes}`, emails)]),
    s(`DELETE FROM account_tokens WHERE creator_id = ?1 AND ${brandId === null ? claimed : accountGoes}`),
    s(`DELETE FROM sessions WHERE subject_type = 'creator' AND subject_id = ?1 AND ${brandId === null ? claimed : accountGoes}`),
    // Two-step sign-in: the sealed secret and the recovery codes' hashes go with the account.
    s(`DELETE FROM two_step_factors WHERE subject_type = 'creator' AND subject_id = ?1 AND ${brandId === null ? claimed : accountGoes}`),
    s(`DELETE FROM recovery_codes WHERE subject_type = 'creator' AND subject_id = ?1 AND ${brandId === null ? claimed : accountGoes}`),
    ...creatorErasedStatements(db, { creatorId, by: eraser.by, claimed: { sql: claimed, params: [creatorId, token, now, brandId] } }, now),
  ];
  const results = await db.batch(statements);
  if ((results[0]?.meta.changes ?? 0) === 0) return { erased: false, why: await whyNotErased(db, creatorId, eraser) };
  return { erased: true, erasedAt: now, slugs: (links!.results as { slug: string }[]).map((l) => l.slug), codes: (codes!.results as { brand_id: string; code: string }[]).map((c) => ({ brandId: c.brand_id, code: c.code })) };
}

// The brand's stored webhook events that name the creator (index webhook_events_creator) keep no more than the
// erasure left: the closed handle, no draft link, caption or creator's note (a declined extension's too), no address. Replays send them so.
function webhookEventsScrubbed(s: (sql: string, ...params: unknown[]) => D1PreparedStatement, claimed: string): D1PreparedStatement[] {
  const handle = '(SELECT r.handle FROM brand_creators r WHERE r.brand_id = webhook_events.brand_id AND r.creator_id = ?1)';
  const handles = ['conversion', 'reversal', 'givenBack', 'submission', 'payout', 'giftRequest', 'rightsExtension'].map((at) => `'$.${at}.creator.handle', ${handle}`).join(', ');
  return [
    s(
      `UPDATE webhook_events SET payload = json_replace(payload, ${handles},
         '$.submission.draftUrl', '', '$.submission.caption', '', '$.submission.postUrl', NULL,
         '$.note', CASE WHEN json_extract(payload, '$.actor') = 'creator' THEN NULL ELSE json_extract(payload, '$.note') END,
         '$.giftRequest.address', NULL, '$.rightsExtension.declineNote', CASE WHEN json_extract(payload, '$.rightsExtension.declineNote') IS NOT NULL THEN '' END)
       WHERE creator_id = ?1 AND ${SCOPE('brand_id')} AND ${claimed}`,
    ),
  ];
}

// Why the claim wrote nothing: read after it, so it names what stopped it.
async function whyNotErased(db: D1Database, creatorId: string, eraser: Eraser): Promise<Extract<ErasureOutcome, { erased: false }>['why']> {
  const brandId = eraser.by === 'brand' ? eraser.brandId : null;
  const row = await db
    .prepare(`SELECT c.erased_at, (SELECT r.erased_at FROM brand_creators r WHERE r.creator_id = ?1 AND r.brand_id = ?2) AS roster_erased_at FROM creators c WHERE c.id = ?1`)
    .bind(creatorId, brandId)
    .first<{ erased_at: number | null; roster_erased_at: number | null }>();
  if (!row) return 'not_found';
  if (row.erased_at !== null || row.roster_erased_at !== null) return 'already_erased';
  return eraser.by === 'creator' ? 'owed_changed' : 'owed';
}

// What every write that would bring a closed account back answers (an enrollment, a bonus, an invite or password
// link): the creator is gone, and the brand's books keep only an anonymous name.
export const creatorGone = () => new ApiError(410, 'creator_erased', 'This creator closed their account (or was erased on their request): nothing can be sent to them or changed for them. Their earnings stay in your books under an anonymous name.');

/** Refuses (creatorGone) a creator whose relationship with the brand was erased (their account closed, or the brand
 * erased it), or with brandId null, whose account is closed. */
export async function refuseErased(db: D1Database, creatorId: string, brandId: string | null): Promise<void> {
  const erased = brandId === null
    ? db.prepare('SELECT erased_at FROM creators WHERE id = ?').bind(creatorId)
    : db.prepare('SELECT erased_at FROM brand_creators WHERE creator_id = ? AND brand_id = ?').bind(creatorId, brandId);
  if ((await erased.first<number | null>('erased_at')) != null) throw creatorGone();
}
