// Submission writes: every transition is guarded by the status it starts from, so two reviewers acting
// at once cannot both succeed, and a flat fee accrues in the same batch as the move to live.
import { checkCaption, METRIC_NAMES, nextStatus, type Actor, type SubmissionAction, type SubmissionStatus } from '../domain/submissions';
import { DAY_MS, periodOf, zoneOrUtc } from '../domain/periods';
import { canonicalRights, EXTENSION_COLUMNS, EXTENSION_JOIN, parseRights, rightsKey, rightsUntil, type UsageRights } from '../domain/usage-rights';
import { auditIfChanged } from './audit';
import { campaignEnded } from '../domain/codes';
import { ApiError, notFound } from '../lib/errors';
import type { Message } from '../lib/messages';
import { newId } from '../lib/ids';
import { submissionEventType } from '../webhooks/events';
import { eventStatements } from './webhooks';
import { NOT_ERASED } from './money';
import { refuseErased } from './creator-erasure';

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
  rights_terms: string | null;
  rights_granted_at: number | null;
  rights_until: number | null;
  rights_extension_id: string | null;
  created_at: number;
  updated_at: number;
};

export type SubmissionContext = SubmissionRow & {
  // The accepted extension in force (EXTENSION_COLUMNS): what it made the grant's uses, whether it took the end away, when.
  extended_scopes: string | null;
  extended_days: number | null;
  extended_at: number | null;
  creator_id: string;
  handle: string;
  display_name: string;
  campaign_id: string;
  campaign_name: string;
  campaign_status: string;
  campaign_ends_at: number | null;
  creator_email: string;
  brand_name: string;
  enrollment_status: string;
  hashtag: string;
  disclosure_text: string;
  payment_model: string;
  flat_fee_minor: number;
  holding_days: number;
  currency: string;
  timezone: string;
  // The usage rights the campaign asks now (JSON, null: none): a revision is granted under these.
  campaign_rights: string | null;
};

const CONTEXT_SQL = `SELECT s.*, ${EXTENSION_COLUMNS}, e.creator_id, cr.handle, cr.display_name, acct.email AS creator_email, b.name AS brand_name, c.id AS campaign_id, c.name AS campaign_name, c.status AS campaign_status, c.ends_at AS campaign_ends_at, c.hashtag, c.disclosure_text, c.usage_rights AS campaign_rights,
  e.status AS enrollment_status, e.payment_model, e.flat_fee_minor, c.holding_days, b.currency, b.timezone
FROM submissions s JOIN enrollments e ON e.id = s.enrollment_id JOIN roster cr ON cr.brand_id = e.brand_id AND cr.creator_id = e.creator_id JOIN creators acct ON acct.id = e.creator_id
JOIN campaigns c ON c.id = e.campaign_id JOIN brands b ON b.id = s.brand_id ${EXTENSION_JOIN}`;

// A draft still waiting for review from a creator the brand has since removed is withdrawn with them: they can
// no longer revise it or take it live, so it leaves the review queues (the console's and the API's) and their
// counts, and no review decides it (409 `submission_withdrawn`); its history stays listed.
export const NOT_WITHDRAWN = "NOT (s.status = 'submitted' AND e.status = 'removed')";
const withdrawn = (s: Pick<SubmissionContext, 'status' | 'enrollment_status'>) => s.status === 'submitted' && s.enrollment_status === 'removed';

// Whether the draft's campaign has ended (creator-portal.ts campaignEnded): no revision and no going live
// from the creator's side.
export const draftCampaignEnded = (s: Pick<SubmissionContext, 'campaign_status' | 'campaign_ends_at'>, now: number) => campaignEnded({ campaign_status: s.campaign_status, ends_at: s.campaign_ends_at }, now);

// Whether the draft's enrollment is an invitation again (the brand restored a creator who left or was removed):
// until they accept it they have not rejoined, so their old drafts go no further from their side (no revision,
// no going live and with it no flat fee), as no new draft can be sent.
export const draftAwaitsRejoin = (s: Pick<SubmissionContext, 'enrollment_status'>) => s.enrollment_status === 'invited';

// Scoped by brand (admin) or by creator (portal): another tenant's submission is simply not found, and so
// is a creator's submission for a campaign the brand removed them from (no resubmitting, no going live).
export async function loadSubmission(db: D1Database, id: string, scope: { brandId: string } | { creatorId: string }): Promise<SubmissionContext> {
  const where = 'brandId' in scope ? 's.id = ? AND s.brand_id = ?' : "s.id = ? AND e.creator_id = ? AND e.status <> 'removed'";
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
  // A resubmission granting the campaign's usage rights anew (its terms changed since the last grant), or null:
  // one to a campaign that asks none now, whose new content carries no grant (the old one went with the old draft).
  grant?: UsageRights | null;
};

const postAlreadyLive = (postUrl: string | null) => new ApiError(409, 'post_already_live', "That post is already live on another of this creator's submissions.", { postUrl });

export async function transitionSubmission(db: D1Database, s: SubmissionContext, input: TransitionInput): Promise<SubmissionStatus> {
  const to = nextStatus(s.status, input.action, input.actor);
  const postUrl = input.postUrl ? new URL(input.postUrl).href : null;
  const key = postUrl ? postKey(postUrl) : s.post_url ? postKey(s.post_url) : null;
  if (!to) throw new ApiError(409, 'illegal_transition', `A ${s.status.replace('_', ' ')} submission cannot be moved that way.`, { from: s.status, action: input.action });
  // A closed account's post earns nothing and is nobody's to put live (db/creator-erasure.ts).
  if (to === 'live') await refuseErased(db, s.creator_id, s.brand_id);
  if (withdrawn(s)) throw new ApiError(409, 'submission_withdrawn', 'This draft was withdrawn when its creator was removed from the campaign. Restore the creator to review it.');
  const now = Date.now();
  const sets = ['status = ?', 'updated_at = ?'];
  const params: unknown[] = [to, now];
  // The notes shown to the creator are the latest review decision's: one without a note clears an old change
  // request. A resubmission keeps them beside the revised draft, and going live keeps the approval's.
  if (input.actor === 'admin' && input.action !== 'go_live') sets.push('review_notes = ?'), params.push(input.note ?? null);
  if (postUrl) sets.push('post_url = ?'), params.push(postUrl);
  if (to === 'live') sets.push('post_key = ?'), params.push(key);
  // Not live: the link was not the post, so it is forgotten (the creator adds the right one).
  if (input.action === 'not_live') sets.push('post_url = NULL', 'post_key = NULL');
  if (input.metrics) for (const [k, v] of Object.entries(input.metrics)) sets.push(`${k} = ?`), params.push(v);
  if (input.draft) {
    const compliance = checkCaption(input.draft.caption, { hashtag: s.hashtag, disclosureText: s.disclosure_text });
    sets.push('story_format = ?', 'draft_url = ?', 'caption = ?', 'compliance = ?');
    params.push(input.draft.storyFormat, input.draft.draftUrl, input.draft.caption, JSON.stringify(compliance));
  }
  if (input.grant) sets.push('rights_terms = ?', 'rights_granted_at = ?'), params.push(rightsKey(input.grant), now);
  if (input.grant === null) sets.push('rights_terms = NULL', 'rights_granted_at = NULL', 'rights_until = NULL');
  // A grant's clock starts at approval and starts again the first time the post goes live (domain/usage-rights.ts),
  // never after: marked not live and live again, the post keeps the end it had, so an expired grant stays expired
  // (the brand alone cannot renew it). The earlier going live is the submission's own history. A grant the creator
  // extended before the post first went live keeps the later of the two ends (no end, if the extension took it
  // away): an extension never shortens what the restart gives.
  const terms = parseRights(s.rights_terms);
  const until = terms ? rightsUntil(terms.days, now, zoneOrUtc(s.timezone)) : null;
  if (terms && input.action === 'approve') sets.push('rights_until = ?'), params.push(until);
  if (terms && input.action === 'go_live')
    sets.push(
      `rights_until = CASE WHEN EXISTS (SELECT 1 FROM submission_events WHERE submission_id = ? AND to_status = 'live') THEN rights_until
         WHEN rights_extension_id IS NOT NULL THEN CASE WHEN rights_until IS NULL OR ? IS NULL THEN NULL ELSE MAX(rights_until, ?) END ELSE ? END`,
    ),
      params.push(s.id, until, until, until);
  // One post goes live once per creator and brand, so it earns its flat fee once whichever submission (or
  // campaign) carries it, however its link was copied.
  const samePost =
    to === 'live'
      ? " AND NOT EXISTS (SELECT 1 FROM submissions o JOIN enrollments oe ON oe.id = o.enrollment_id WHERE o.brand_id = ? AND oe.creator_id = ? AND o.status = 'live' AND o.post_key = ? AND o.id <> ?)"
      : '';
  const samePostParams = to === 'live' ? [s.brand_id, s.creator_id, key, s.id] : [];
  // Posts that went live before keys were kept, or under an older reading of links, are compared here by the
  // key their link has now; the guard in the UPDATE covers two going live at once.
  if (to === 'live' && key) {
    const live = await db
      .prepare("SELECT o.post_url FROM submissions o JOIN enrollments oe ON oe.id = o.enrollment_id WHERE +o.brand_id = ? AND oe.creator_id = ? AND o.status = 'live' AND o.id <> ? AND o.post_url IS NOT NULL")
      .bind(s.brand_id, s.creator_id, s.id)
      .all<{ post_url: string }>();
    if (live.results.some((o) => postKey(o.post_url) === key)) throw postAlreadyLive(postUrl ?? s.post_url);
  }
  const historyId = newId('sev');
  const statements = [
    db.prepare(`UPDATE submissions SET ${sets.join(', ')} WHERE id = ? AND status = ?${samePost}`).bind(...params, s.id, s.status, ...samePostParams),
    db
      .prepare('INSERT INTO submission_events (id, submission_id, from_status, to_status, actor_type, actor_id, note, at) SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE changes() > 0')
      .bind(historyId, s.id, s.status, to, input.actor, input.actorId, input.note ?? null, now),
    db
      .prepare("INSERT INTO audit_log (id, brand_id, actor_type, actor_id, action, target_type, target_id, details, at) SELECT ?, ?, ?, ?, ?, 'submission', ?, ?, ? WHERE EXISTS (SELECT 1 FROM submissions WHERE id = ? AND status = ? AND updated_at = ?)")
      .bind(newId('aud'), s.brand_id, input.actor === 'admin' ? 'admin_user' : 'creator', input.actorId, `submission.${input.action}`, s.id, JSON.stringify({ from: s.status, to, note: input.note ?? null, ...(input.grant ? { rightsGranted: canonicalRights(input.grant) } : input.grant === null ? { rightsCleared: parseRights(s.rights_terms) } : {}) }), now, s.id, to, now),
  ];
  if (to === 'live' && (s.payment_model === 'flat' || s.payment_model === 'hybrid') && s.flat_fee_minor > 0) {
    // Flat fees accrue when a submission goes live, once per going live: the event key counts the fees taken
    // back before (none: "flat_fee:<submission>"), so two posts of the same going live land one fee. A post the
    // brand marks live is one it has seen, payable at once; one the creator marks waits out the campaign's
    // holding period, in which the brand can find it is not live and take the fee back before it is paid.
    const availableAt = input.actor === 'admin' ? now : now + s.holding_days * DAY_MS;
    statements.push(
      db
        .prepare(
          `INSERT INTO ledger_entries (id, brand_id, enrollment_id, creator_id, kind, amount_minor, currency, basis_minor, period, submission_id, event_key, available_at, created_at)
           SELECT ?1, ?2, ?3, ?4, 'flat_fee', ?5, ?6, 0, ?7, ?8,
             'flat_fee:' || ?8 || (SELECT CASE count(*) WHEN 0 THEN '' ELSE ':' || count(*) END FROM ledger_entries
               WHERE submission_id = ?8 AND kind = 'flat_fee' AND amount_minor < 0),
             ?9, ?10
           WHERE EXISTS (SELECT 1 FROM submissions WHERE id = ?8 AND status = 'live') AND ${NOT_ERASED('?4', '?2')}
           ON CONFLICT(brand_id, event_key) DO NOTHING`,
        )
        .bind(newId('le'), s.brand_id, s.enrollment_id, s.creator_id, s.flat_fee_minor, s.currency, periodOf(now, s.timezone), s.id, availableAt, now),
    );
  }
  if (input.action === 'not_live') {
    // Its fee is taken back by a negative fee. One no payout has claimed yet is taken back in its own period and
    // from its own date, so the two land in the same payout and net to nothing (a held fee is never taken from
    // other earnings before it was due). One a payout claimed (never edited) is taken back in this period, from
    // the creator's next payout. Once per fee (the event key names it), and only if this batch made the move.
    statements.push(
      db
        .prepare(
          `INSERT INTO ledger_entries (id, brand_id, enrollment_id, creator_id, kind, amount_minor, currency, basis_minor, period, submission_id, event_key, available_at, created_at)
           SELECT 'le_' || lower(hex(randomblob(12))), f.brand_id, f.enrollment_id, f.creator_id, 'flat_fee', -f.amount_minor, f.currency, 0,
             CASE WHEN f.payout_id IS NULL THEN f.period ELSE ?1 END, f.submission_id, 'flat_fee_back:' || f.id,
             CASE WHEN f.payout_id IS NULL THEN f.available_at ELSE ?2 END, ?2
           FROM ledger_entries f
           WHERE f.submission_id = ?3 AND f.kind = 'flat_fee' AND f.amount_minor > 0
             AND EXISTS (SELECT 1 FROM submissions WHERE id = ?3 AND status = 'approved' AND updated_at = ?2)
           ON CONFLICT(brand_id, event_key) DO NOTHING`,
        )
        .bind(periodOf(now, s.timezone), now, s.id),
    );
  }
  // Marking a post not live is not a review decision: like going live, no event.
  const webhookType = input.action === 'not_live' ? null : submissionEventType(to);
  if (webhookType) statements.push(...eventStatements(db, webhookType, historyId, now));
  const [update] = await db.batch(statements);
  if (!update || update.meta.changes === 0) {
    const current = await db.prepare('SELECT status FROM submissions WHERE id = ?').bind(s.id).first<string>('status');
    if (to === 'live' && current === s.status) throw postAlreadyLive(postUrl ?? s.post_url);
    throw new ApiError(409, 'illegal_transition', 'The submission changed while you were looking at it.', { from: s.status, action: input.action });
  }
  return to;
}

/** The actions whose creator is mailed (decisionNotice), with a link: a request making one needs an origin to name. */
export const mailsCreator = (action: SubmissionAction) => action === 'approve' || action === 'request_changes' || action === 'reject' || action === 'not_live';

// What the creator hears when the brand decides on a draft: the decision, the reviewer's note, and where to
// act on it. A draft approved, sent back or turned down is news they would otherwise only find by looking.
export function decisionNotice(
  s: Pick<SubmissionContext, 'id' | 'enrollment_id' | 'creator_email' | 'brand_name' | 'campaign_name' | 'campaign_status' | 'campaign_ends_at' | 'enrollment_status'>,
  action: SubmissionAction,
  note: string | null,
  origin: string,
): Message | null {
  const said = note ? `\n\nTheir note:\n${note}` : '';
  switch (action) {
    case 'not_live': {
      // A creator whose campaign has ended, or who was removed from it, can no longer add the link.
      const closed = s.enrollment_status === 'removed' || draftCampaignEnded(s, Date.now());
      return {
        to: s.creator_email,
        subject: `${s.brand_name} could not find your live ${s.campaign_name} post`,
        text: closed
          ? `The campaign is closed to new posts, so its flat fee, if you had one, stays taken back. Ask ${s.brand_name} if you think this is wrong.${said}`
          : `Its flat fee, if you have one, is taken back until the post is live. Add the live post's link here: ${origin}/submissions/${s.id}${said}`,
      };
    }
    case 'approve':
      return { to: s.creator_email, subject: `${s.brand_name} approved your ${s.campaign_name} draft`, text: `Publish it, then add the live post's link here: ${origin}/submissions/${s.id}${said}` };
    case 'request_changes':
      return { to: s.creator_email, subject: `${s.brand_name} asked for changes to your ${s.campaign_name} draft`, text: `Revise it and send it again here: ${origin}/submissions/${s.id}/edit${said}` };
    case 'reject':
      return { to: s.creator_email, subject: `${s.brand_name} passed on your ${s.campaign_name} draft`, text: `You can still send them a different idea: ${origin}/submissions/new?enrollment=${s.enrollment_id}${said}` };
    default:
      return null;
  }
}

// Query parameters that say how a link was shared, not which post it is.
const SHARE_PARAMS = /^(utm_.*|igsh|igshid|si|fbclid|gclid|mibextid|feature|pp|is_from_webapp|sender_device|_r|_t|s|t|ref|ref_src|ref_url|share_.*|rdid|app)$/i;

/**
 * The post a link names, for "already live": the host without www./m., the path without a trailing slash,
 * and the query without share and tracking parameters (Facebook's ?story_fbid= and YouTube's ?v= name the
 * post). YouTube's short and Shorts links become its watch link, and a TikTok @handle is case-insensitive.
 */
export function postKey(url: string): string {
  const u = new URL(url);
  let host = u.hostname.replace(/^(www|m|mobile)\./, '');
  let path = u.pathname.replace(/\/+$/, '');
  const query = new URLSearchParams([...u.searchParams].filter(([name]) => !SHARE_PARAMS.test(name)));
  const shortVideo = host === 'youtu.be' ? /^\/([\w-]+)$/.exec(path) : host === 'youtube.com' ? /^\/shorts\/([\w-]+)$/.exec(path) : null;
  if (shortVideo) {
    host = 'youtube.com';
    path = '/watch';
    query.set('v', shortVideo[1]!);
  }
  if (host === 'tiktok.com') path = path.replace(/^\/@[^/]+/, (handle) => handle.toLowerCase());
  query.sort();
  const rest = query.toString();
  return `${host}${path}${rest ? `?${rest}` : ''}`;
}

export async function createSubmission(
  db: D1Database,
  e: { enrollmentId: string; brandId: string; creatorId: string; hashtag: string; disclosureText: string },
  draft: { storyFormat: string; draftUrl: string; caption: string },
  grant: UsageRights | null = null,
): Promise<string> {
  const id = newId('sub');
  const now = Date.now();
  const compliance = checkCaption(draft.caption, { hashtag: e.hashtag, disclosureText: e.disclosureText });
  const historyId = newId('sev');
  // The same draft (link, format and caption) already waiting for review is that submission: a double-clicked
  // button or a resent form, not a second draft for the brand to approve and pay for. The check and the
  // insert are one statement, and the rest of the batch follows only a row this call wrote. The grant is part of
  // the draft: resent under other terms (the brief changed meanwhile), it is a new submission with its own grant,
  // event and audit entry, rather than terms rewritten under a row the brand may be approving at that moment.
  await db.batch([
    db
      .prepare(
        `INSERT INTO submissions (id, brand_id, enrollment_id, story_format, draft_url, caption, status, compliance, rights_terms, rights_granted_at, created_at, updated_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, 'submitted', ?7, ?9, CASE WHEN ?9 IS NULL THEN NULL ELSE ?8 END, ?8, ?8
         WHERE NOT EXISTS (SELECT 1 FROM submissions WHERE enrollment_id = ?3 AND status = 'submitted' AND draft_url = ?5 AND story_format = ?4 AND caption = ?6 AND rights_terms IS ?9)`,
      )
      .bind(id, e.brandId, e.enrollmentId, draft.storyFormat, draft.draftUrl, draft.caption, JSON.stringify(compliance), now, grant ? rightsKey(grant) : null),
    db
      .prepare(`INSERT INTO submission_events (id, submission_id, from_status, to_status, actor_type, actor_id, note, at) SELECT ?1, ?2, NULL, 'submitted', 'creator', ?3, NULL, ?4 WHERE EXISTS (SELECT 1 FROM submissions WHERE id = ?2)`)
      .bind(historyId, id, e.creatorId, now),
    db
      .prepare(`INSERT INTO audit_log (id, brand_id, actor_type, actor_id, action, target_type, target_id, details, at) SELECT ?1, ?2, 'creator', ?3, 'submission.submitted', 'submission', ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM submissions WHERE id = ?4)`)
      .bind(newId('aud'), e.brandId, e.creatorId, id, JSON.stringify(grant ? { compliance, rightsGranted: canonicalRights(grant) } : { compliance }), now),
    ...eventStatements(db, 'submission.submitted', historyId, now),
  ]);
  const row = await db
    .prepare("SELECT id FROM submissions WHERE id = ?1 OR (enrollment_id = ?2 AND status = 'submitted' AND draft_url = ?3 AND story_format = ?4 AND caption = ?5 AND rights_terms IS ?6) ORDER BY id = ?1 DESC, created_at LIMIT 1")
    .bind(id, e.enrollmentId, draft.draftUrl, draft.storyFormat, draft.caption, grant ? rightsKey(grant) : null)
    .first<string>('id');
  return row ?? id;
}

// A live post's numbers only: its link is the post the brand saw go live and paid for, so it stays. The
// creator reports them; the brand may correct them (`correctedBy`, audited with what they were and became).
// Numbers that did not change write nothing; answers whether any did.
export async function updateMetrics(db: D1Database, s: SubmissionContext, metrics: Metrics, correctedBy?: { brandId: string; actorType: 'admin_user' | 'api_key'; actorId: string }): Promise<boolean> {
  if (s.status !== 'live') throw new ApiError(409, 'illegal_transition', 'Engagement numbers are added once the post is live.', { from: s.status });
  const now = Date.now();
  const changed = METRIC_NAMES.map((k) => `${k} IS NOT ?`).join(' OR ');
  const values = METRIC_NAMES.map((k) => metrics[k]);
  const [update] = await db.batch([
    db.prepare(`UPDATE submissions SET ${METRIC_NAMES.map((k) => `${k} = ?`).join(', ')}, updated_at = ? WHERE id = ? AND status = 'live' AND (${changed})`).bind(...values, now, s.id, ...values),
    ...(correctedBy
      ? [
          auditIfChanged(
            db,
            {
              brandId: correctedBy.brandId,
              actorType: correctedBy.actorType,
              actorId: correctedBy.actorId,
              action: 'submission.metrics_corrected',
              targetType: 'submission',
              targetId: s.id,
              details: { from: Object.fromEntries(METRIC_NAMES.map((k) => [k, s[k]])), to: metrics },
            },
            now,
          ),
        ]
      : []),
  ]);
  return (update?.meta.changes ?? 0) > 0;
}
