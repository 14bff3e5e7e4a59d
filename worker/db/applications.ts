// Applications: creators asking to join a campaign from its public page (/apply/<brand slug>/<campaign slug>),
// and the brand's answer. Approving one imports it as the roster import would (db/creator-import.ts): an
// account if the address has none, the enrollment as an invitation, a tracked link, a code in the campaign's
// style, and the invite link, which Chorus mails when it can. Declining one mails the applicant a short note
// once (db/application-answers.ts).
import { inboxOf, type ApplicationInput } from '../domain/applications';
import { DAY_MS } from '../domain/periods';
import { codeFromPattern } from '../domain/codes';
import { newId } from '../lib/ids';
import { auditIfChanged, creatorEndedSql } from './audit';
import { accountFor } from './creator-import';
import { campaignEnded } from '../domain/codes';
import { OPTED_OUT } from './mail-opt-outs';
import { currentVersionSql } from './program-terms';

// Who answers: a teammate in the console, or an admin API key.
export type Answerer = { type: 'admin_user' | 'api_key'; id: string };

// What a campaign keeps waiting at once: past it, the page says the brand has enough to read for now. One
// address has one application per campaign, so this bounds what a flood of form posts can store.
export const MAX_PENDING_APPLICATIONS = 500;
// The shape of an application id (newId('app')): anything else is looked up nowhere.
export const APPLICATION_ID = /^app_[A-Za-z0-9_-]{1,64}$/;
export const PENDING_SHOWN = 50;
export const DECIDED_SHOWN = 20;

// What the public page shows of the deal: the campaign's commission tiers (null without a plan), whether
// they count by month or over the campaign, the brand's currency and timezone, and the campaign's last day.
export type ApplyTerms = { tiers: string | null; planPeriod: string | null; currency: string; timezone: string; endsAt: number | null };
// `programTerms`: the brand's current program terms, which applying asks the applicant to tick (null: none).
export type ApplyTarget = { campaignId: string; brandId: string; campaignName: string; brandName: string; open: boolean; terms: ApplyTerms; programTerms: { version: number; body: string; publishedAt: number } | null };

// The campaign a public application page names. Open only while the brand takes applications and the campaign
// is running: a draft has not launched and an ended one takes no new creators.
export async function applyTarget(db: D1Database, brandSlug: string, campaignSlug: string, now: number): Promise<ApplyTarget | null> {
  const row = await db
    .prepare(
      `SELECT c.id, c.brand_id, c.name, c.status AS campaign_status, c.ends_at, c.applications_open, b.name AS brand_name, b.currency, b.timezone, p.tiers, p.period AS plan_period,
         (SELECT json_object('version', t.version, 'body', t.body, 'publishedAt', t.published_at) FROM program_terms t WHERE t.brand_id = b.id ORDER BY t.version DESC LIMIT 1) AS program_terms
       FROM brands b JOIN campaigns c ON c.brand_id = b.id AND c.slug = ? LEFT JOIN commission_plans p ON p.id = c.commission_plan_id AND p.brand_id = b.id WHERE b.slug = ?`,
    )
    .bind(campaignSlug, brandSlug)
    .first<{ id: string; brand_id: string; name: string; campaign_status: string; ends_at: number | null; applications_open: number; brand_name: string; currency: string; timezone: string; tiers: string | null; plan_period: string | null; program_terms: string | null }>();
  if (!row) return null;
  const open = row.applications_open === 1 && row.campaign_status === 'active' && !campaignEnded(row, now);
  const terms = { tiers: row.tiers, planPeriod: row.plan_period, currency: row.currency, timezone: row.timezone, endsAt: row.ends_at };
  const programTerms = row.program_terms ? (JSON.parse(row.program_terms) as ApplyTarget['programTerms']) : null;
  return { campaignId: row.id, brandId: row.brand_id, campaignName: row.name, brandName: row.brand_name, open, terms, programTerms };
}

// Stores the application. One address has one per campaign, and the first one stays: sending the form again
// changes nothing (nobody proves they own the address, so a second sender must not rewrite what the first one
// wrote). The answer is the same either way, so the page tells nobody whether an address applied before or how
// the brand answered; 'full' when the campaign already has MAX_PENDING_APPLICATIONS waiting; 'terms_changed' when
// `termsVersion` (the program terms version ticked; null: the page showed none) is no longer the brand's current one.
export async function saveApplication(db: D1Database, t: Pick<ApplyTarget, 'brandId' | 'campaignId'>, a: ApplicationInput, termsVersion: number | null, now: number): Promise<'saved' | 'full' | 'terms_changed'> {
  const [insert, waiting, terms] = await db.batch([
    db
      .prepare(
        `INSERT INTO applications (id, brand_id, campaign_id, email, inbox, handle, name, platform, follower_count, niche, profile_url, pitch, status, created_at, updated_at, terms_version)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'pending', ?13, ?14, ?16
         WHERE (SELECT count(*) FROM applications WHERE campaign_id = ?3 AND status = 'pending') < ?15 AND ${currentVersionSql('?2')} IS ?16
         ON CONFLICT(campaign_id, email) DO NOTHING`,
      )
      .bind(newId('app'), t.brandId, t.campaignId, a.email, inboxOf(a.email), a.handle, a.name, a.platform, a.followerCount, a.niche, a.profileUrl, a.pitch, now, now, MAX_PENDING_APPLICATIONS, termsVersion),
    db.prepare("SELECT count(*) AS n FROM applications WHERE campaign_id = ? AND status = 'pending'").bind(t.campaignId),
    db.prepare(`SELECT ${currentVersionSql('?')} AS version`).bind(t.brandId),
  ]);
  if ((insert?.meta.changes ?? 0) > 0) return 'saved';
  if (((terms?.results[0] as { version: number | null } | undefined)?.version ?? null) !== termsVersion) return 'terms_changed';
  return ((waiting?.results[0] as { n: number } | undefined)?.n ?? 0) >= MAX_PENDING_APPLICATIONS ? 'full' : 'saved';
}

export type ApplicationRow = {
  id: string;
  email: string;
  handle: string;
  name: string;
  platform: string;
  follower_count: number | null;
  niche: string | null;
  profile_url: string | null;
  pitch: string;
  // The program terms version the applicant ticked (null: the brand had none).
  terms_version: number | null;
  status: 'pending' | 'approved' | 'declined';
  created_at: number;
  updated_at: number;
  decided_at: number | null;
  // The creator's enrollment in this campaign when the address already has one (imported, or approved before),
  // and for a removed one whether the creator ended it themselves (db/audit.ts).
  enrollment_id: string | null;
  enrollment_status: string | null;
  ended_by: string | null;
  // The handle this brand already gave the address's account, which an approval keeps.
  roster_handle: string | null;
  // Another creator on the brand's roster has the handle applied with (an approval is refused as sent).
  handle_held: number;
  // The teammate's name, or "API key <name>" for an answer through the admin API.
  decided_by_name: string | null;
  // When Chorus queued the mail telling the applicant of a decline (null: never told).
  decline_mailed_at: number | null;
};

const COLUMNS = `a.id, a.email, a.handle, a.name, a.platform, a.follower_count, a.niche, a.profile_url, a.pitch, a.terms_version, a.status, a.created_at, a.updated_at, a.decided_at, a.decline_mailed_at,
  e.id AS enrollment_id, e.status AS enrollment_status, CASE WHEN e.status = 'removed' THEN ${creatorEndedSql('e')} END AS ended_by, r.handle AS roster_handle,
  r.creator_id IS NULL AND EXISTS (SELECT 1 FROM brand_creators h WHERE h.brand_id = a.brand_id AND h.handle = a.handle) AS handle_held,
  COALESCE((SELECT u.name FROM admin_users u WHERE u.id = a.decided_by AND u.brand_id = a.brand_id),
    (SELECT 'API key ' || k.name FROM api_keys k WHERE k.id = a.decided_by AND k.brand_id = a.brand_id)) AS decided_by_name`;
// The applicant's address as the brand means it (accountFor): its roster creator under that address, else the
// account using it.
const FROM = `FROM applications a LEFT JOIN creators acct ON acct.id = ${accountFor('a.brand_id', 'a.email')}
  LEFT JOIN brand_creators r ON r.brand_id = a.brand_id AND r.creator_id = acct.id
  LEFT JOIN enrollments e ON e.creator_id = acct.id AND e.campaign_id = a.campaign_id AND e.brand_id = a.brand_id`;

export type ApplicationLists = { pending: ApplicationRow[]; pendingCount: number; decided: ApplicationRow[] };

type Status = ApplicationRow['status'];
// A campaign's applications in the given statuses, in the order the console and the API list them: waiting
// ones oldest first (first come, first read), answered ones by the latest answer.
const listed = (db: D1Database, brandId: string, campaignId: string, statuses: readonly Status[], limit: number) =>
  db
    .prepare(
      `SELECT ${COLUMNS} ${FROM} WHERE a.campaign_id = ? AND a.brand_id = ? AND a.status IN (${statuses.map(() => '?').join(', ')})
       ORDER BY ${statuses.includes('pending') ? 'a.created_at, a.id' : 'a.decided_at DESC, a.id'} LIMIT ?`,
    )
    .bind(campaignId, brandId, ...statuses, limit);

// The oldest waiting first, how many wait in all, and the latest answers.
export async function applicationLists(db: D1Database, brandId: string, campaignId: string): Promise<ApplicationLists> {
  const [pending, count, decided] = await db.batch([
    listed(db, brandId, campaignId, ['pending'], PENDING_SHOWN),
    db.prepare(`SELECT count(*) AS n FROM applications WHERE campaign_id = ? AND brand_id = ? AND status = 'pending'`).bind(campaignId, brandId),
    listed(db, brandId, campaignId, ['approved', 'declined'], DECIDED_SHOWN),
  ]);
  return {
    pending: (pending?.results ?? []) as ApplicationRow[],
    pendingCount: ((count?.results[0] as { n: number } | undefined)?.n ?? 0),
    decided: (decided?.results ?? []) as ApplicationRow[],
  };
}

// One status's applications for the admin API, in the console's order. At most `limit`.
export async function applicationsWith(db: D1Database, brandId: string, campaignId: string, status: Status, limit: number): Promise<ApplicationRow[]> {
  return (await listed(db, brandId, campaignId, [status], limit).all<ApplicationRow>()).results;
}

export async function loadApplication(db: D1Database, brandId: string, campaignId: string, id: string): Promise<ApplicationRow | null> {
  return db.prepare(`SELECT ${COLUMNS} ${FROM} WHERE a.id = ? AND a.campaign_id = ? AND a.brand_id = ?`).bind(id, campaignId, brandId).first<ApplicationRow>();
}

// The approval, once: only a waiting application changes, and its activity row lands with it. False when it
// was answered meanwhile (another tab, a colleague, an API call).
export async function approveOnce(db: D1Database, t: { brandId: string; campaignId: string; id: string }, actor: Answerer, details: Record<string, unknown>, now: number): Promise<boolean> {
  const [update] = await db.batch([
    db
      .prepare(`UPDATE applications SET status = 'approved', decided_at = ?, decided_by = ?, updated_at = ? WHERE id = ? AND campaign_id = ? AND brand_id = ? AND status = 'pending'`)
      .bind(now, actor.id, now, t.id, t.campaignId, t.brandId),
    auditIfChanged(db, { brandId: t.brandId, actorType: actor.type, actorId: actor.id, action: 'application.approved', targetType: 'application', targetId: t.id, details }, now),
  ]);
  return (update?.meta.changes ?? 0) > 0;
}

// An application the brand declined, and whether its applicant is to be mailed so (db/application-answers.ts).
export type Declined = { id: string; email: string; name: string; tell: boolean };

// Ids per declining statement: 5 fixed parameters and these stay under D1's 100.
const DECLINE_CHUNK = 90;

// Anyone can apply under any address, so declines must not make Chorus a way to fill someone's inbox: an
// inbox (inboxOf: sarah+1@ and sarah+2@ are one) hears of a brand's decline at most once a month (an
// applicant to three of its campaigns is told once), and of at most three declines a day from all brands.
export const DECLINE_MAIL_EVERY_MS = 30 * DAY_MS;
export const DECLINE_MAILS_PER_ADDRESS_PER_DAY = 3;
const toldLately = `EXISTS (SELECT 1 FROM applications o WHERE o.inbox = applications.inbox AND o.brand_id = applications.brand_id AND o.decline_mailed_at > ?1 - ${DECLINE_MAIL_EVERY_MS})
  OR (SELECT count(*) FROM applications o WHERE o.inbox = applications.inbox AND o.decline_mailed_at > ?1 - ${DAY_MS}) >= ${DECLINE_MAILS_PER_ADDRESS_PER_DAY}`;

// Declines the waiting applications among `ids`, marking in the same statement the ones whose applicant is to
// be told: never told before (one declined, reopened and declined again hears it once), not told of another
// decline lately (toldLately), not opted out of the brand's mail, and not in the campaign already (a creator imported meanwhile must not read that they are not
// taken on). With `mail` false (no provider here) nobody is marked, so nobody is marked told who was not.
const declining = (db: D1Database, t: { brandId: string; campaignId: string }, ids: string[], actor: Answerer, mail: boolean, now: number) => {
  const statements = [];
  for (let i = 0; i < ids.length; i += DECLINE_CHUNK) {
    const chunk = ids.slice(i, i + DECLINE_CHUNK);
    statements.push(
      db
        .prepare(
          `UPDATE applications SET status = 'declined', decided_at = ?1, decided_by = ?2, updated_at = ?1,
             decline_mailed_at = CASE WHEN ?5 = 1 AND decline_mailed_at IS NULL AND NOT ${OPTED_OUT('applications.email', 'applications.brand_id')} AND NOT (${toldLately})
               AND NOT EXISTS (SELECT 1 FROM enrollments e WHERE e.creator_id = ${accountFor('applications.brand_id', 'applications.email')} AND e.campaign_id = applications.campaign_id AND e.brand_id = applications.brand_id AND e.status <> 'removed')
               THEN ?1 ELSE decline_mailed_at END
           WHERE campaign_id = ?3 AND brand_id = ?4 AND status = 'pending' AND id IN (${chunk.map((_, j) => `?${j + 6}`).join(', ')})
           RETURNING id, email, name, decline_mailed_at IS ?1 AS tell`,
        )
        .bind(now, actor.id, t.campaignId, t.brandId, mail ? 1 : 0, ...chunk),
    );
  }
  return statements;
};

const declinedRows = (results: D1Result[]): Declined[] => results.flatMap((r) => (r.results as (Omit<Declined, 'tell'> & { tell: number })[]).map((d) => ({ ...d, tell: d.tell === 1 })));

// One application declined, once, with its activity row (saying whether the applicant is mailed). Null when
// it was answered meanwhile.
export async function declineOnce(db: D1Database, t: { brandId: string; campaignId: string; id: string }, actor: Answerer, mail: boolean, now: number): Promise<Declined | null> {
  const [update] = await db.batch([
    ...declining(db, t, [t.id], actor, mail, now),
    db
      .prepare(
        `INSERT INTO audit_log (id, brand_id, actor_type, actor_id, action, target_type, target_id, details, at)
         SELECT ?1, ?2, ?3, ?4, 'application.declined', 'application', a.id, json_object('applicantMailed', json(CASE WHEN a.decline_mailed_at IS ?5 THEN 'true' ELSE 'false' END)), ?5
         FROM applications a WHERE a.id = ?6 AND a.brand_id = ?2 AND changes() > 0`,
      )
      .bind(newId('aud'), t.brandId, actor.type, actor.id, now, t.id),
  ]);
  return declinedRows(update ? [update] : [])[0] ?? null;
}

// The code style this campaign's creators have: the pattern most of its active percent codes follow, read back
// from each creator's handle ("SARAH15" for sarah → {HANDLE}15), and the discount most of them give. A code made
// by hand ("SARAHVIP40") is one vote among many. Without a readable code: the roster import's {HANDLE}15, at the
// campaign's usual discount (15% when it has no codes yet).
export async function campaignCodeStyle(db: D1Database, brandId: string, campaignId: string): Promise<{ pattern: string; discountPercent: number }> {
  const { results } = await db
    .prepare(
      `SELECT d.code, d.discount_value, r.handle FROM discount_codes d JOIN enrollments e ON e.id = d.enrollment_id JOIN brand_creators r ON r.brand_id = e.brand_id AND r.creator_id = e.creator_id
       WHERE e.campaign_id = ? AND e.brand_id = ? AND d.brand_id = ? AND d.status = 'active' AND d.discount_type = 'percent' ORDER BY d.created_at DESC LIMIT 100`,
    )
    .bind(campaignId, brandId, brandId)
    .all<{ code: string; discount_value: number; handle: string }>();
  const most = <T,>(values: T[]): T | undefined => {
    const counts = new Map<T, number>();
    for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
    return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
  };
  const percents = results.map((r) => r.discount_value).filter((v) => Number.isInteger(v) && v >= 1 && v <= 100);
  const patterns = results.flatMap((r) => {
    const base = codeFromPattern('{HANDLE}', r.handle);
    const pattern = base && r.code.startsWith(base) ? `{HANDLE}${r.code.slice(base.length)}` : null;
    return pattern && pattern.length <= 40 ? [pattern] : [];
  });
  return { pattern: most(patterns) ?? '{HANDLE}15', discountPercent: most(percents) ?? 15 };
}

// A declined application back to waiting (a decline pressed by mistake, or a brand that changed its mind), with
// its activity row. False when it is not declined (approved, or reopened meanwhile). A decline mail already
// sent stays sent: approving it now mails the invitation, declining it again mails nothing more.
export async function reopenApplication(db: D1Database, t: { brandId: string; campaignId: string; id: string }, actor: Answerer, now: number): Promise<boolean> {
  const [update] = await db.batch([
    db
      .prepare(`UPDATE applications SET status = 'pending', decided_at = NULL, decided_by = NULL, updated_at = ? WHERE id = ? AND campaign_id = ? AND brand_id = ? AND status = 'declined'`)
      .bind(now, t.id, t.campaignId, t.brandId),
    auditIfChanged(db, { brandId: t.brandId, actorType: actor.type, actorId: actor.id, action: 'application.reopened', targetType: 'application', targetId: t.id }, now),
  ]);
  return (update?.meta.changes ?? 0) > 0;
}

// Which of `ids` are this campaign's applications still waiting (what "Decline all shown" asks about).
export async function pendingAmong(db: D1Database, t: { brandId: string; campaignId: string }, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const { results } = await db
    .prepare(`SELECT id FROM applications WHERE campaign_id = ? AND brand_id = ? AND status = 'pending' AND id IN (${ids.map(() => '?').join(', ')}) ORDER BY created_at, id`)
    .bind(t.campaignId, t.brandId, ...ids)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

// Declines the waiting applications among `ids` at once (a wave of spam, a campaign that is full), in one batch
// however many there are: one activity row with how many were declined and how many of those are mailed.
// Answers those still waiting that are declined now.
export async function declineApplications(db: D1Database, t: { brandId: string; campaignId: string }, ids: string[], actor: Answerer, mail: boolean, now: number): Promise<Declined[]> {
  if (ids.length === 0) return [];
  const updates = declining(db, t, ids, actor, mail, now);
  // Counted from the rows this batch declined (their answer's time and author), so it holds across chunks.
  const results = await db.batch([
    ...updates,
    db
      .prepare(
        `INSERT INTO audit_log (id, brand_id, actor_type, actor_id, action, target_type, target_id, details, at)
         SELECT ?1, ?2, ?3, ?4, 'campaign.applications_declined', 'campaign', ?5, json_object('declined', count(*), 'applicantsMailed', sum(decline_mailed_at IS ?6)), ?6
         FROM applications WHERE campaign_id = ?5 AND brand_id = ?2 AND status = 'declined' AND decided_at = ?6 AND decided_by = ?4 HAVING count(*) > 0`,
      )
      .bind(newId('aud'), t.brandId, actor.type, actor.id, t.campaignId, now),
  ]);
  return declinedRows(results.slice(0, updates.length));
}

// What declining a list of ids found: those declined now, and what every id this campaign has is after them
// (an id absent from `standing` is not one of its applications: unknown, or another campaign's or brand's).
export type DeclineReport = { declined: Declined[]; standing: { id: string; status: Status; decided_at: number | null }[] };

// Declines the waiting applications among `ids` for the admin API: the same statement as every decline (so
// the same mail rules), each audited as a single decline is, and what each id stands at read back in the same
// batch, so no answer made meanwhile can land between the decline and the read.
export async function declineEach(db: D1Database, t: { brandId: string; campaignId: string }, ids: string[], actor: Answerer, mail: boolean, now: number): Promise<DeclineReport> {
  if (ids.length === 0) return { declined: [], standing: [] };
  const updates = declining(db, t, ids, actor, mail, now);
  // Ids travel as one JSON parameter: a hundred of them and an audit id each stay within D1's 100 parameters.
  const auditIds = JSON.stringify(ids.map((id) => [id, newId('aud')]));
  const results = await db.batch([
    ...updates,
    // The rows this batch declined are the ones answered now by this actor and not audited yet.
    db
      .prepare(
        `INSERT INTO audit_log (id, brand_id, actor_type, actor_id, action, target_type, target_id, details, at)
         SELECT j.value ->> 1, ?1, ?2, ?3, 'application.declined', 'application', a.id, json_object('applicantMailed', json(CASE WHEN a.decline_mailed_at IS ?5 THEN 'true' ELSE 'false' END)), ?5
         FROM json_each(?6) j JOIN applications a ON a.id = j.value ->> 0
         WHERE a.campaign_id = ?4 AND a.brand_id = ?1 AND a.status = 'declined' AND a.decided_at = ?5 AND a.decided_by = ?3
           -- A second call by the same key in the same millisecond declined nothing more: it audits nothing either.
           AND NOT EXISTS (SELECT 1 FROM audit_log x WHERE x.brand_id = ?1 AND x.at = ?5 AND x.action = 'application.declined' AND x.target_id = a.id)`,
      )
      .bind(t.brandId, actor.type, actor.id, t.campaignId, now, auditIds),
    db.prepare('SELECT id, status, decided_at FROM applications WHERE campaign_id = ?1 AND brand_id = ?2 AND id IN (SELECT value FROM json_each(?3))').bind(t.campaignId, t.brandId, JSON.stringify(ids)),
  ]);
  return { declined: declinedRows(results.slice(0, updates.length)), standing: (results[updates.length + 1]?.results ?? []) as DeclineReport['standing'] };
}
