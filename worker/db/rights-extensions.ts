// Extension requests on granted usage rights (domain/rights-extensions.ts): the brand asks (the admin API, the
// console's content page), may withdraw while the request is open, and the creator accepts or declines it in the
// portal. One open request per piece of content (a unique index). Accepting moves the grant's end, adds its uses,
// keeps the words the creator accepted and pays the fee as a brand's adjustment is paid (a ledger entry whose
// event key is the request's, so no acceptance, repeated or raced, pays twice), all in one batch.
import { addedScopes, extendable, extendedUntil, extendsAnything, extensionInWords, sameWords, scopesAfter, type ExtensionAsk, type GrantNow, type RightsExtensionInput, type RightsExtensionStatus } from '../domain/rights-extensions';
import { EXTENSION_COLUMNS, EXTENSION_JOIN, grantState, termsInForce, type GrantRow, type RightsScope } from '../domain/usage-rights';
import { DAY_MS, periodOf, zoneOrUtc } from '../domain/periods';
import { ApiError, notFound } from '../lib/errors';
import { newId } from '../lib/ids';
import type { Message } from '../lib/messages';
import { log } from '../lib/log';
import { MAIL_CLAIM_LEASE_MS, queueNotices, type KeyedMail } from '../mail';
import type { Env } from '../env';
import { iso } from '../lib/validate';
import { STORY_FORMAT_LABELS } from '../../portal/format';
import { sha256Hex } from '../lib/digest';
import { auditIfChanged, type Actor } from './audit';
import { rightsExtensionEventStatements } from './webhooks';

export type RightsExtensionRow = {
  id: string;
  brand_id: string;
  submission_id: string;
  status: RightsExtensionStatus;
  days: number | null;
  scopes: string;
  fee_minor: number;
  currency: string;
  note: string;
  asked_by_type: 'admin_user' | 'api_key';
  asked_by_id: string;
  mailed_at: number | null;
  mail_claimed_at: number | null;
  terms_text: string | null;
  until_before: number | null;
  until_after: number | null;
  scopes_after: string | null;
  answer_note: string | null;
  answer_key: string | null;
  created_at: number;
  answered_at: number | null;
};

const scopesOf = (raw: string | null): RightsScope[] => (raw ? (JSON.parse(raw) as RightsScope[]) : []);

export const askOf = (x: RightsExtensionRow): ExtensionAsk => ({ days: x.days, scopes: scopesOf(x.scopes), feeMinor: x.fee_minor, currency: x.currency, note: x.note });

/** A request as the admin API answers it. */
export function rightsExtensionView(x: RightsExtensionRow) {
  return {
    id: x.id,
    submissionId: x.submission_id,
    status: x.status,
    days: x.days,
    noEnd: x.days === null,
    scopes: scopesOf(x.scopes),
    feeMinor: x.fee_minor,
    currency: x.currency,
    note: x.note,
    askedAt: iso(x.created_at),
    creatorMailed: x.mailed_at !== null,
    answeredAt: iso(x.answered_at),
    declineNote: x.status === 'declined' ? (x.answer_note ?? '') : null,
    accepted:
      x.status === 'accepted'
        ? { terms: x.terms_text ?? '', untilBefore: iso(x.until_before), until: iso(x.until_after), scopes: scopesOf(x.scopes_after) }
        : null,
  };
}

/** A piece of content's requests, newest first (the open one, if any, is the newest: none is made while one is open). */
export const extensionsOf = (db: D1Database, brandId: string, submissionId: string) =>
  db
    .prepare('SELECT * FROM rights_extensions WHERE submission_id = ? AND brand_id = ? ORDER BY created_at DESC, id DESC')
    .bind(submissionId, brandId)
    .all<RightsExtensionRow>()
    .then((r) => r.results);

/** Each listed piece of content's latest request, for the library's rows: one read for the page. */
export async function latestExtensions(db: D1Database, brandId: string, submissionIds: string[]): Promise<Map<string, RightsExtensionRow>> {
  if (submissionIds.length === 0) return new Map();
  const { results } = await db
    .prepare(
      `SELECT x.* FROM json_each(?1) j JOIN rights_extensions x ON x.id = (SELECT y.id FROM rights_extensions y WHERE y.submission_id = j.value ORDER BY y.created_at DESC, y.id DESC LIMIT 1)
       WHERE x.brand_id = ?2`,
    )
    .bind(JSON.stringify(submissionIds), brandId)
    .all<RightsExtensionRow>();
  return new Map(results.map((x) => [x.submission_id, x]));
}

// The content a request is about, with what the checks and the words need. Scoped by brand or by creator.
export type Subject = GrantRow & {
  id: string;
  brand_id: string;
  enrollment_id: string;
  story_format: string;
  creator_id: string;
  enrollment_status: string;
  accepted: number;
  email: string;
  brand_name: string;
  campaign_name: string;
  currency: string;
  timezone: string;
};

const SUBJECT_SQL = `SELECT s.id, s.brand_id, s.enrollment_id, s.story_format, s.status, s.rights_terms, s.rights_granted_at, s.rights_until, ${EXTENSION_COLUMNS},
    e.creator_id, e.status AS enrollment_status, r.accepted_at IS NOT NULL AS accepted, cr.email, b.name AS brand_name, c.name AS campaign_name, b.currency, b.timezone
  FROM submissions s JOIN enrollments e ON e.id = s.enrollment_id JOIN brand_creators r ON r.brand_id = e.brand_id AND r.creator_id = e.creator_id
  JOIN creators cr ON cr.id = e.creator_id JOIN brands b ON b.id = s.brand_id JOIN campaigns c ON c.id = e.campaign_id ${EXTENSION_JOIN}`;

// A creator in the campaign is asked and answers: not one removed, nor one invited back after leaving who has not
// rejoined yet (the statuses content-due reminders count), and only once they accepted the brand.
const IN_CAMPAIGN: readonly string[] = ['active', 'paused', 'benched'];
export const IN_CAMPAIGN_SQL = `e.status IN ('active', 'paused', 'benched') AND r.accepted_at IS NOT NULL`;


/**
 * SQL true when another request of the brand's (`brand`) to the creator (`creator`) was mailed within the day before
 * `now`, or has its mail on the way: the once-a-day limit. `openOnly`: only requests still waiting count (a new
 * request after the waiting one was answered or withdrawn is mailed at once); `except`: the request itself.
 */
export const mailedWithinADay = (brand: string, creator: string, now: string, { openOnly = false, except = '' } = {}) =>
  `EXISTS (SELECT 1 FROM enrollments oe JOIN submissions os ON os.enrollment_id = oe.id JOIN rights_extensions o ON o.submission_id = os.id
     WHERE oe.creator_id = ${creator} AND oe.brand_id = ${brand}${openOnly ? " AND o.status = 'open'" : ''}${except ? ` AND o.id <> ${except}` : ''}
       AND (o.mailed_at > ${now} - ${DAY_MS} OR o.mail_claimed_at > ${now} - ${MAIL_CLAIM_LEASE_MS}))`;

/**
 * SQL for content `s` a request could be made on now, as far as its creator and its requests go: the creator in
 * the campaign (`e` its enrollment, `r` the creator's tie to the brand) and none waiting for them already.
 */
export const ASKABLE_SQL = `${IN_CAMPAIGN_SQL} AND NOT EXISTS (SELECT 1 FROM rights_extensions x WHERE x.submission_id = s.id AND x.status = 'open')`;

const grantNow = (s: Subject): GrantNow => ({ scopes: termsInForce(s)?.scopes ?? [], until: s.rights_until });

/** The piece of content as the console's and the API's request checks read it; null when it is not the brand's. */
export const subjectOf = (db: D1Database, brandId: string, submissionId: string) => db.prepare(`${SUBJECT_SQL} WHERE s.id = ? AND s.brand_id = ?`).bind(submissionId, brandId).first<Subject>();

/** Pieces of content by id, whatever the brand (the cron's mail), as subjectOf reads each. */
export const subjectsOf = (db: D1Database, submissionIds: string[]) =>
  db
    .prepare(`${SUBJECT_SQL} WHERE s.id IN (SELECT value FROM json_each(?))`)
    .bind(JSON.stringify(submissionIds))
    .all<Subject>()
    .then((r) => r.results);

/** Why a request cannot be made on this content now (a 409 the caller raises), or null. */
export function cannotAsk(s: Subject, now: number): ApiError | null {
  const state = grantState(s, now);
  if ((s.status !== 'approved' && s.status !== 'live') || (state !== 'active' && state !== 'ending' && state !== 'expired')) {
    return new ApiError(409, 'rights_not_granted', 'The creator granted no usage rights in force or ended on this content (none were asked, or the draft is not approved), so there is nothing to extend.');
  }
  if (!extendable(grantNow(s))) return new ApiError(409, 'nothing_to_extend', 'This grant already has no end date and every use, so there is nothing to extend.');
  return notInCampaign(s, {
    removed: 'This creator is not in the campaign now, so they cannot be asked from here. Restore them first, or ask them directly.',
    notAccepted: 'This creator has not accepted your invitation (or was invited back and has not rejoined yet), so they cannot be asked yet.',
  });
}

// Asking and answering share one rule with one code each, as adjustments do: out of the campaign is
// `enrollment_removed`; invited (again) or not yet accepting the brand is `creator_not_accepted`.
function notInCampaign(s: Subject, words: { removed: string; notAccepted: string }): ApiError | null {
  if (s.enrollment_status === 'invited' || (IN_CAMPAIGN.includes(s.enrollment_status) && !s.accepted)) return new ApiError(409, 'creator_not_accepted', words.notAccepted);
  if (!IN_CAMPAIGN.includes(s.enrollment_status)) return new ApiError(409, 'enrollment_removed', words.removed);
  return null;
}

/** Why the creator cannot answer now (a 409), or null: the same rule as asking, in their words. */
const cannotAnswer = (s: Subject): ApiError | null =>
  notInCampaign(s, {
    removed: `You are no longer in ${s.brand_name}'s ${s.campaign_name}, so this request can no longer be answered.`,
    notAccepted: `Accept ${s.brand_name}'s invitation to ${s.campaign_name} on your home page first, then answer this request.`,
  });

export type Asked = { extension: RightsExtensionRow; mail: Message | null };

/**
 * Makes a request on one piece of content of the brand's. Refused (nothing written): 404 not the brand's; 409 no
 * grant to extend, the creator gone, days on a grant without an end, nothing to extend, or one already open
 * (`details.requestId`). The creator is mailed (`mail`, handed on by tellCreator) unless another request of the
 * brand's that is still waiting reached them within a day, so a brand asking about ten posts at once sends one mail
 * and every request waits on their home page (the next day's cron mails the rest: jobs/rights-extension-mail.ts); a
 * request made after the waiting one was answered or withdrawn (a corrected request, a better offer) is mailed at
 * once. The insert claims the mail (`mail_claimed_at`), which makes the limit hold for requests made at the same
 * moment; tellCreator turns the claim into `mailed_at` once the mail is handed on, or gives it back.
 */
export async function askRightsExtension(db: D1Database, brandId: string, submissionId: string, input: RightsExtensionInput, actor: Actor, origin: string): Promise<Asked> {
  const s = await subjectOf(db, brandId, submissionId);
  if (!s) throw notFound('submission');
  const now = Date.now();
  const refused = cannotAsk(s, now);
  if (refused) throw refused;
  const grant = grantNow(s);
  const ask: ExtensionAsk = { days: input.noEnd ? null : (input.days ?? null), scopes: addedScopes(grant, input.scopes), feeMinor: input.feeMinor, currency: s.currency, note: input.note };
  if (grant.until === null && ask.days !== null) throw new ApiError(409, 'grant_has_no_end', 'This grant has no end date, so it takes no more days: send "noEnd": true with the uses to add.');
  if (!extendsAnything(grant, ask)) throw new ApiError(409, 'nothing_to_extend', 'This grant already has no end date and every use asked: add a use it does not have.');
  const id = newId('rx');
  const [inserted, , read] = await db.batch([
    db
      .prepare(
        `INSERT INTO rights_extensions (id, brand_id, submission_id, status, days, scopes, fee_minor, currency, note, asked_by_type, asked_by_id, mail_claimed_at, created_at)
         VALUES (?1, ?2, ?3, 'open', ?4, ?5, ?6, ?7, ?8, ?9, ?10, CASE WHEN ${mailedWithinADay('?2', '?11', '?12', { openOnly: true })} THEN NULL ELSE ?12 END, ?12)
         ON CONFLICT DO NOTHING`,
      )
      .bind(id, brandId, submissionId, ask.days, JSON.stringify(ask.scopes), ask.feeMinor, ask.currency, ask.note, actor.type, actor.id, s.creator_id, now),
    auditIfChanged(db, { brandId, actorType: actor.type, actorId: actor.id, action: 'submission.rights_extension_asked', targetType: 'submission', targetId: submissionId, details: { requestId: id, days: ask.days, noEnd: ask.days === null, scopes: ask.scopes, feeMinor: ask.feeMinor, currency: ask.currency, note: ask.note } }, now),
    db.prepare("SELECT * FROM rights_extensions WHERE submission_id = ? AND status = 'open'").bind(submissionId),
    ...rightsExtensionEventStatements(db, 'rights_extension.requested', { id }, now),
  ]);
  const open = (read?.results?.[0] as RightsExtensionRow | undefined) ?? null;
  if ((inserted?.meta.changes ?? 0) === 0 || !open || open.id !== id) {
    throw new ApiError(409, 'rights_extension_open', 'A request on this content is already waiting for the creator: withdraw it first to ask something else.', { requestId: open?.id ?? null });
  }
  return { extension: open, mail: open.mail_claimed_at === null ? null : await extensionMail([{ s, x: open }], origin, now) };
}

const postName = (s: Pick<Subject, 'story_format' | 'campaign_name'>) => `your ${(STORY_FORMAT_LABELS[s.story_format] ?? s.story_format).toLowerCase()} post for ${s.campaign_name}`;

/** A request and the content it is about, for its mail. */
export type MailedRequest = { s: Subject; x: RightsExtensionRow };

// The mail about one brand's requests to one creator (the ask's own, or the cron's for those held back, oldest first):
// what each asks in the words its page shows, and the link to answer it; without an origin (a cron run without
// PUBLIC_ORIGIN), where to find them. One request's mail is keyed by it, as the ask's, so a mail sent again after a
// worker died is mailed once; several are keyed by the set.
export async function extensionMail(requests: MailedRequest[], origin: string | null, now: number): Promise<KeyedMail> {
  const [first] = requests as [MailedRequest];
  const brand = first.s.brand_name;
  const words = ({ s, x }: MailedRequest) => extensionInWords(askOf(x), grantNow(s), brand, now, zoneOrUtc(s.timezone));
  const answer = ({ s }: MailedRequest) => (origin ? `Accept or decline it here: ${origin}/submissions/${s.id}#rights-extension` : 'Accept or decline it on its page in your Chorus portal: your home page lists it.');
  const one = requests.length === 1;
  return {
    to: first.s.email,
    subject: one ? `${brand} asks to extend the usage rights on ${postName(first.s)}` : `${brand} asks to extend the usage rights on ${requests.length} of your posts`,
    text: (one
      ? [`${brand} asks for more use of ${postName(first.s)}:`, words(first), answer(first), 'Nothing changes unless you accept. Any other requests waiting for you are on your home page.']
      : [
          `${brand} asks for more use of ${requests.length} of your posts. Nothing changes unless you accept.`,
          ...requests.map((r) => [`${postName(r.s).replace(/^your/, 'Your')}:`, words(r), answer(r)].join('\n')),
          'Every request waiting for you is on your home page too.',
        ]
    ).join('\n\n'),
    idempotencyKey: one ? `rights-extension:${first.x.id}` : `rights-extensions:${await sha256Hex(requests.map((r) => r.x.id).join(','))}`,
  };
}

// ?1 the requests (a JSON array of ids), ?2 the claim. Handed on: the claim becomes the mail's time. Not: given back,
// so the request says it was not mailed and the next cron run mails it.
const MAILED = 'UPDATE rights_extensions SET mailed_at = mail_claimed_at, mail_claimed_at = NULL WHERE id IN (SELECT value FROM json_each(?1)) AND mail_claimed_at = ?2';
const UNCLAIMED = 'UPDATE rights_extensions SET mail_claimed_at = NULL WHERE id IN (SELECT value FROM json_each(?1)) AND mail_claimed_at = ?2';
export const markMailed = (db: D1Database, ids: string[], claim: number) => db.prepare(MAILED).bind(JSON.stringify(ids), claim).run();
export const giveBackClaims = (db: D1Database, ids: string[], claim: number) => db.prepare(UNCLAIMED).bind(JSON.stringify(ids), claim).run();

/**
 * Hands a request's mail to the mail queue (or, when the queue refuses it, to the provider), then records it mailed,
 * and answers the request as it then stands. One that neither took gives its claim back: it says it was not mailed,
 * holds back no later request, and the next cron run mails it.
 */
export async function tellCreator(env: Env, asked: Asked): Promise<RightsExtensionRow> {
  const x = asked.extension;
  const claim = x.mail_claimed_at;
  if (!asked.mail || claim === null) return x;
  const handed = await queueNotices(env, [asked.mail], 'rights_extension_mail_failed').catch((error: unknown) => (log.error('rights_extension_mail_failed', { error }), 0));
  if (handed > 0) {
    await markMailed(env.DB, [x.id], claim);
    return { ...x, mailed_at: claim, mail_claimed_at: null };
  }
  await giveBackClaims(env.DB, [x.id], claim);
  return { ...x, mail_claimed_at: null };
}

// A creator removed from the campaign, or who leaves it, can no longer answer: their requests still waiting are
// withdrawn in the removal's own batch (audited, with the withdrawn event), so none stays open, or waits on the cron's
// mail, for good. Written only when the removal was (the enrollment removed at this `now`).
export const withdrawOnRemoval = (db: D1Database, e: { brandId: string; enrollmentId: string }, why: 'removed' | 'left', actor: { type: 'admin_user' | 'api_key' | 'creator'; id: string }, now: number) => [
  db
    .prepare(
      "UPDATE rights_extensions SET status = 'withdrawn', answered_at = ?1 WHERE status = 'open' AND submission_id IN (SELECT id FROM submissions WHERE enrollment_id = ?2) AND EXISTS (SELECT 1 FROM enrollments e WHERE e.id = ?2 AND e.status = 'removed' AND e.removed_at = ?1)",
    )
    .bind(now, e.enrollmentId),
  auditIfChanged(db, { brandId: e.brandId, actorType: actor.type, actorId: actor.id, action: 'submission.rights_extension_withdrawn', targetType: 'enrollment', targetId: e.enrollmentId, details: { reason: why } }, now),
  ...rightsExtensionEventStatements(db, 'rights_extension.withdrawn', { enrollmentId: e.enrollmentId }, now),
];

/** Withdraws the open request on the brand's content. 404: not the brand's; 409 `rights_extension_not_open`: none is open. */
export async function withdrawRightsExtension(db: D1Database, brandId: string, submissionId: string, actor: Actor): Promise<RightsExtensionRow> {
  const now = Date.now();
  const [withdrawn] = await db.batch([
    db.prepare("UPDATE rights_extensions SET status = 'withdrawn', answered_at = ? WHERE submission_id = ? AND brand_id = ? AND status = 'open' RETURNING *").bind(now, submissionId, brandId),
    auditIfChanged(db, { brandId, actorType: actor.type, actorId: actor.id, action: 'submission.rights_extension_withdrawn', targetType: 'submission', targetId: submissionId }, now),
    ...rightsExtensionEventStatements(db, 'rights_extension.withdrawn', { submissionId }, now),
  ]);
  const row = (withdrawn?.results?.[0] as RightsExtensionRow | undefined) ?? null;
  if (row) return row;
  if (!(await db.prepare('SELECT 1 AS ok FROM submissions WHERE id = ? AND brand_id = ?').bind(submissionId, brandId).first())) throw notFound('submission');
  throw new ApiError(409, 'rights_extension_not_open', 'No request on this content is waiting for the creator: it was answered or withdrawn already.');
}

// ---------- The creator's side ----------

/** An open request as the creator's pages show it: the words they would accept, as of now. */
export type CreatorRequest = { extension: RightsExtensionRow; words: string };

/**
 * A piece of content's requests, for its creator's page (their own content only), with the open one in words while
 * they can answer it (not while an invitation back into the campaign waits for them).
 */
export async function creatorExtensions(
  db: D1Database,
  s: GrantRow & { id: string; brand_id: string; brand_name: string; timezone: string; enrollment_status: string },
  now: number,
): Promise<{ history: RightsExtensionRow[]; open: CreatorRequest | null }> {
  const history = await extensionsOf(db, s.brand_id, s.id);
  const x = IN_CAMPAIGN.includes(s.enrollment_status) ? history.find((h) => h.status === 'open') : undefined;
  const grant: GrantNow = { scopes: termsInForce(s)?.scopes ?? [], until: s.rights_until };
  return { history, open: x ? { extension: x, words: extensionInWords(askOf(x), grant, s.brand_name, now, zoneOrUtc(s.timezone)) } : null };
}

/** The most requests the home page lists, oldest first; it says when more wait. */
export const WAITING_LISTED = 20;

/**
 * The creator's open requests across brands that they can answer (in the campaign), for their home page: one line
 * each, the oldest WAITING_LISTED and one more to tell that more wait.
 */
export type WaitingRequest = { id: string; submission_id: string; brand_name: string; campaign_name: string; story_format: string; fee_minor: number; currency: string };
export const waitingRequests = (db: D1Database, creatorId: string) =>
  db
    .prepare(
      `SELECT x.id, x.submission_id, b.name AS brand_name, c.name AS campaign_name, s.story_format, x.fee_minor, x.currency
       FROM enrollments e JOIN submissions s ON s.enrollment_id = e.id JOIN rights_extensions x ON x.submission_id = s.id AND x.status = 'open'
       JOIN brands b ON b.id = e.brand_id JOIN campaigns c ON c.id = e.campaign_id
       JOIN brand_creators r ON r.brand_id = e.brand_id AND r.creator_id = e.creator_id
       WHERE e.creator_id = ? AND ${IN_CAMPAIGN_SQL} ORDER BY x.created_at, x.id LIMIT ${WAITING_LISTED + 1}`,
    )
    .bind(creatorId)
    .all<WaitingRequest>()
    .then((r) => r.results);

export type Answer = { accept: true; words: string } | { accept: false; note: string };
export type Answered =
  // Written now.
  | { outcome: 'accepted' | 'declined'; extension: RightsExtensionRow }
  // The same answer again (a double click, a reload): nothing more written or paid.
  | { outcome: 'already'; extension: RightsExtensionRow }
  // The words the creator read are not the request's as of now (a day passed, the post went live): shown again.
  | { outcome: 'changed'; extension: RightsExtensionRow };

/**
 * The creator's answer to a request on their own content. 404: not theirs; 409 `rights_extension_not_open`
 * (details.status): withdrawn, or answered the other way; 409 `enrollment_removed` or `creator_not_accepted`: they
 * are not in the campaign now (cannotAnswer). Accepting writes, in one batch guarded by the request still being
 * open, the creator still in the campaign and the grant's end being the one the words were read against: the
 * request accepted with the words, the grant's new end and uses, the fee on the ledger, the audit row.
 */
export async function answerRightsExtension(db: D1Database, creatorId: string, submissionId: string, requestId: string, answer: Answer): Promise<Answered> {
  const subject = () => db.prepare(`${SUBJECT_SQL} WHERE s.id = ? AND e.creator_id = ?`).bind(submissionId, creatorId).first<Subject>();
  const s = await subject();
  const x = s ? await db.prepare('SELECT * FROM rights_extensions WHERE id = ? AND submission_id = ?').bind(requestId, submissionId).first<RightsExtensionRow>() : null;
  if (!s || !x) throw notFound('request');
  const wanted = answer.accept ? 'accepted' : 'declined';
  const notOpen = (status: string) => new ApiError(409, 'rights_extension_not_open', status === 'withdrawn' ? `${s.brand_name} withdrew this request.` : 'This request was answered already.', { status });
  if (x.status === wanted) return { outcome: 'already', extension: x };
  const refused = cannotAnswer(s);
  if (refused) throw refused;
  if (x.status !== 'open') throw notOpen(x.status);
  const now = Date.now();
  const audit = { brandId: s.brand_id, actorType: 'creator' as const, actorId: creatorId, targetType: 'submission', targetId: s.id };
  if (!answer.accept) {
    const [declined] = await db.batch([
      db.prepare("UPDATE rights_extensions SET status = 'declined', answered_at = ?, answer_note = ? WHERE id = ? AND status = 'open' RETURNING *").bind(now, answer.note, x.id),
      auditIfChanged(db, { ...audit, action: 'submission.rights_extension_declined', details: { requestId: x.id, note: answer.note } }, now),
      ...rightsExtensionEventStatements(db, 'rights_extension.declined', { id: x.id }, now),
    ]);
    const row = (declined?.results?.[0] as RightsExtensionRow | undefined) ?? null;
    return row ? { outcome: 'declined', extension: row } : settled(db, x.id, wanted, notOpen);
  }
  const zone = zoneOrUtc(s.timezone);
  const grant = grantNow(s);
  const ask = askOf(x);
  const words = extensionInWords(ask, grant, s.brand_name, now, zone);
  if (!sameWords(answer.words, words)) return { outcome: 'changed', extension: x };
  const until = extendedUntil(grant.until, ask.days, now, zone);
  const scopes = scopesAfter(grant, ask);
  // Each write after the first checks the first's stamp (this batch's random key, which no other acceptance, even
  // in the same millisecond, can have written): the batch is atomic, and a lost race (the brand withdrew or removed
  // the creator, the post went live and moved the end, another tab accepted first) writes nothing more.
  const key = crypto.randomUUID();
  const acceptedNow = 'EXISTS (SELECT 1 FROM rights_extensions WHERE id = ? AND answer_key = ?)';
  const statements = [
    db
      .prepare(
        `UPDATE rights_extensions SET status = 'accepted', answered_at = ?, answer_key = ?, terms_text = ?, until_before = ?, until_after = ?, scopes_after = ?
         WHERE id = ? AND status = 'open' AND EXISTS (SELECT 1 FROM submissions WHERE id = ? AND rights_until IS ? AND rights_extension_id IS ?)
           AND EXISTS (SELECT 1 FROM enrollments e JOIN brand_creators r ON r.brand_id = e.brand_id AND r.creator_id = e.creator_id WHERE e.id = ? AND ${IN_CAMPAIGN_SQL})`,
      )
      .bind(now, key, words, grant.until, until, JSON.stringify(scopes), x.id, s.id, s.rights_until, s.rights_extension_id, s.enrollment_id),
    db.prepare(`UPDATE submissions SET rights_until = ?, rights_extension_id = ? WHERE id = ? AND ${acceptedNow}`).bind(until, x.id, s.id, x.id, key),
    db
      .prepare(
        `INSERT INTO audit_log (id, brand_id, actor_type, actor_id, action, target_type, target_id, details, at)
         SELECT ?, ?, 'creator', ?, 'submission.rights_extension_accepted', 'submission', ?, ?, ? WHERE ${acceptedNow}`,
      )
      .bind(newId('aud'), s.brand_id, creatorId, s.id, JSON.stringify({ requestId: x.id, until: iso(until), noEnd: until === null, scopes, feeMinor: x.fee_minor }), now, x.id, key),
  ];
  if (x.fee_minor > 0) {
    // Paid as a brand's adjustment is (db/adjustments.ts): payable at once in the brand's month, counted with
    // bonuses in the payout file, the reason shown on the creator's Earnings page. Once: the event key is the request's.
    const note = `Usage rights extended on ${postName(s)}`;
    statements.push(
      db
        .prepare(
          `INSERT INTO ledger_entries (id, brand_id, enrollment_id, creator_id, kind, amount_minor, currency, basis_minor, period, submission_id, event_key, available_at, created_at, note)
           SELECT ?, ?, ?, ?, 'adjustment', ?, ?, 0, ?, ?, ?, ?, ?, ? WHERE ${acceptedNow}
           ON CONFLICT(brand_id, event_key) DO NOTHING`,
        )
        .bind(newId('le'), s.brand_id, s.enrollment_id, s.creator_id, x.fee_minor, x.currency, periodOf(now, zone), s.id, `rights_extension:${x.id}`, now, now, note, x.id, key),
    );
  }
  // Last: the event reads the request as this batch leaves it (terms, ends and uses), and only if it moved now.
  statements.push(...rightsExtensionEventStatements(db, 'rights_extension.accepted', { id: x.id }, now));
  const [accepted] = await db.batch(statements);
  if ((accepted?.meta.changes ?? 0) > 0) return { outcome: 'accepted', extension: { ...x, status: 'accepted', answered_at: now, answer_key: key, terms_text: words, until_before: grant.until, until_after: until, scopes_after: JSON.stringify(scopes) } };
  // Still open: the creator left the campaign meanwhile, or the words moved.
  return settled(db, x.id, wanted, notOpen, async () => {
    const again = await subject();
    const gone = again ? cannotAnswer(again) : notFound('request');
    if (gone) throw gone;
    return { outcome: 'changed', extension: x };
  });
}

// A write that changed nothing lost a race: the request as it now stands says which.
async function settled(db: D1Database, id: string, wanted: RightsExtensionStatus, notOpen: (status: string) => ApiError, stillOpen?: () => Promise<Answered>): Promise<Answered> {
  const now = await db.prepare('SELECT * FROM rights_extensions WHERE id = ?').bind(id).first<RightsExtensionRow>();
  if (now?.status === wanted) return { outcome: 'already', extension: now };
  if (now?.status === 'open' && stillOpen) return stillOpen();
  throw notOpen(now?.status ?? 'withdrawn');
}
