// Copying a campaign for its next wave (the console's Copy campaign and POST /api/admin/campaigns/:id/copy): a draft
// with the source's brief, money and gift settings and its offered gift products, written in one batch; then, when
// asked, the source's creators invited again through the roster import's own path (db/creator-import.ts) and mailed
// as "Email the invitations" mails them. Nothing of the old wave's work comes along: no enrollment, link, code,
// submission, order, ledger entry, update, message, gift request, application or bounty (their windows belong to the
// old wave: create the new wave's on its Bounties tab).
//
// Once only: the copy's id is derived from a key (the console form's own, or the API's Idempotency-Key), so a form
// sent twice, or a request retried, finds the campaign it made and invites only who is missing.
import type { Env } from '../env';
import type { ImportRow } from '../domain/creator-import';
import { copyName } from '../domain/campaign-copy';
import { freeSlug, slugPrefix, slugStem } from '../domain/campaign-slug';
import { campaignEnded } from '../domain/codes';
import { checkDestination } from '../domain/destination';
import { isUniqueViolation } from '../lib/d1-errors';
import { hmacSha256Hex, sha256Hex } from '../lib/digest';
import { notFound } from '../lib/errors';
import { newId } from '../lib/ids';
import { log } from '../lib/log';
import { auditStatement } from './audit';
import { campaignCodeStyle } from './applications';
import { checkRows, freeCodePattern, importWhole, type ImportTarget } from './creator-import';
import { mailNewInvitations } from './invitation-mails';
import type { Actor } from './audit';

export const MAX_COPIED_CREATORS = 500;

// What the copy takes from the source row as it is stored; the rest is the copy's own (new name, slug and status,
// no dates of the old wave, applications closed, gift round 1).
export const COPIED_COLUMNS = [
  'hashtag',
  'positioning_anchor',
  'non_negotiables',
  'disclosure_text',
  'story_formats',
  'default_destination',
  'attribution_window_days',
  'commission_plan_id',
  'holding_days',
  'renewal_months',
  'returning_customer_months',
  'baseline_cost_minor',
  'baseline_engaged',
  'gifting_open',
  'gift_choices',
  'usage_rights',
] as const;

export type CopyableCreator = {
  creator_id: string;
  handle: string;
  display_name: string;
  email: string;
  niche: string | null;
  platform: string | null;
  follower_count: number | null;
  payment_model: ImportRow['paymentModel'];
  flat_fee_minor: number;
  brief_section: string;
  status: string;
};

const COPYABLE = `FROM enrollments e JOIN roster r ON r.brand_id = e.brand_id AND r.creator_id = e.creator_id
  WHERE e.campaign_id = ? AND e.brand_id = ? AND e.status <> 'removed' AND r.erased_at IS NULL`;
const COPYABLE_COLUMNS = 'e.creator_id, r.handle, r.display_name, r.email, r.niche, r.platform, r.follower_count, e.payment_model, e.flat_fee_minor, e.brief_section, e.status';

// The source's creators who may be invited to the copy: still in it (not removed), and not erased by the brand.
// The first `limit` by handle (the form lists no more than one copy invites).
export async function copyableCreators(db: D1Database, brandId: string, campaignId: string, limit = MAX_COPIED_CREATORS): Promise<CopyableCreator[]> {
  const { results } = await db.prepare(`SELECT ${COPYABLE_COLUMNS} ${COPYABLE} ORDER BY r.handle LIMIT ?`).bind(campaignId, brandId, limit).all<CopyableCreator>();
  return results;
}

export async function copyableCount(db: D1Database, brandId: string, campaignId: string): Promise<number> {
  return (await db.prepare(`SELECT count(*) AS n ${COPYABLE}`).bind(campaignId, brandId).first<number>('n')) ?? 0;
}

// Those of `ids` who may be invited, 90 a statement.
async function copyableAmong(db: D1Database, brandId: string, campaignId: string, ids: string[]): Promise<Map<string, CopyableCreator>> {
  const found = new Map<string, CopyableCreator>();
  for (let i = 0; i < ids.length; i += 90) {
    const chunk = ids.slice(i, i + 90);
    const { results } = await db.prepare(`SELECT ${COPYABLE_COLUMNS} ${COPYABLE} AND e.creator_id IN (${chunk.map(() => '?').join(', ')})`).bind(campaignId, brandId, ...chunk).all<CopyableCreator>();
    for (const r of results) found.set(r.creator_id, r);
  }
  return found;
}

/** The name a copy of `sourceName` gets when none is given: copyName's first that none of the brand's campaigns has. */
export async function defaultCopyName(db: D1Database, brandId: string, sourceName: string): Promise<string> {
  // Only a copy's name can be one copyName makes; a brand has some hundreds of campaigns at most (campaigns_brand_slug).
  const { results } = await db.prepare("SELECT name FROM campaigns WHERE brand_id = ? AND name LIKE '% (copy%'").bind(brandId).all<{ name: string }>();
  return copyName(sourceName, new Set(results.map((r) => r.name)));
}

// The copy a key makes: the same brand, source and key always name the same campaign.
export async function copyIdFor(secretsKey: string, brandId: string, sourceId: string, key: string): Promise<string> {
  return `cmp_${(await hmacSha256Hex(secretsKey, `campaign-copy:${brandId}:${sourceId}:${key}`)).slice(0, 24)}`;
}

export type CopyRequest = {
  brandId: string;
  sourceId: string;
  // Absent: defaultCopyName's ("<name> (copy)", or the first "(copy N)" free).
  name: string | undefined;
  invite: string[] | 'all';
  actor: Actor;
  // The form's or request's once-only key; null makes a new campaign every time (the API asks for one whenever
  // creators are invited, so a retry of a part-way failure never makes a second copy).
  key: string | null;
  // Where invitation mails' links point; asked for only when someone is invited.
  origin: () => string;
};

export type CopyResult = { campaignId: string; invited: number; mailed: number; created: boolean };

export type CopyRefusal =
  | { code: 'creator_not_found'; ids: string[] }
  | { code: 'creator_not_in_campaign'; ids: string[] }
  | { code: 'too_many_creators'; count: number }
  | { code: 'idempotency_conflict' }
  | { code: 'invalid_destination'; reason: string }
  | { code: 'campaign_ended' }
  | { code: 'handle_taken'; handles: string[] }
  | { code: 'code_taken'; handles: string[] }
  | { code: 'slug_taken' };

// Nothing was written (or, for a key's repeat, nothing more).
export class CopyRefused extends Error {
  constructor(readonly refusal: CopyRefusal) {
    super(refusal.code);
  }
}

// The campaign stands as copied (one batch); its invitations stopped part-way. The same key again invites the rest.
export class CopyIncomplete extends Error {
  constructor(readonly campaignId: string) {
    super('copy_incomplete');
  }
}

// The creators a request names, checked against the source: ids the brand has no creator by are a 404 (another
// brand's look the same as none), ids of its creators who are not (or no longer) in the source a 422. `all` is
// counted before anything is loaded.
async function chosenCreators(db: D1Database, brandId: string, campaignId: string, invite: string[] | 'all'): Promise<CopyableCreator[]> {
  if (invite === 'all') {
    const count = await copyableCount(db, brandId, campaignId);
    if (count > MAX_COPIED_CREATORS) throw new CopyRefused({ code: 'too_many_creators', count });
    return count === 0 ? [] : copyableCreators(db, brandId, campaignId);
  }
  const ids = [...new Set(invite)];
  if (ids.length > MAX_COPIED_CREATORS) throw new CopyRefused({ code: 'too_many_creators', count: ids.length });
  const found = await copyableAmong(db, brandId, campaignId, ids);
  const strays = ids.filter((id) => !found.has(id));
  if (strays.length > 0) {
    const ours = new Set<string>();
    for (let i = 0; i < strays.length; i += 90) {
      const chunk = strays.slice(i, i + 90);
      const { results } = await db.prepare(`SELECT creator_id FROM brand_creators WHERE brand_id = ? AND creator_id IN (${chunk.map(() => '?').join(', ')})`).bind(brandId, ...chunk).all<{ creator_id: string }>();
      for (const r of results) ours.add(r.creator_id);
    }
    const unknown = strays.filter((id) => !ours.has(id));
    if (unknown.length > 0) throw new CopyRefused({ code: 'creator_not_found', ids: unknown });
    throw new CopyRefused({ code: 'creator_not_in_campaign', ids: strays });
  }
  return ids.map((id) => found.get(id)!);
}

// What a key's request asked for, so a repeat under the same key with another body is told apart.
const requestFingerprint = (name: string, invite: string[] | 'all') => sha256Hex(JSON.stringify({ name, invite: invite === 'all' ? 'all' : [...new Set(invite)].sort() }));

// default_name: the copy got the name it has because none was asked for (rows of copies before this flag have none).
type MadeCopy = { status: string; ends_at: number | null; request: string | null; name: string | null; default_name: number | null };

// The key's copy if it was made, with the fingerprint and the name its campaign.copied row keeps.
const madeCopy = (db: D1Database, brandId: string, id: string) =>
  db
    .prepare(
      `SELECT c.status, c.ends_at, json_extract(a.details, '$.request') AS request, json_extract(a.details, '$.name') AS name, json_extract(a.details, '$.defaultName') AS default_name
       FROM campaigns c LEFT JOIN audit_log a ON a.target_id = c.id AND a.action = 'campaign.copied' AND a.brand_id = c.brand_id WHERE c.id = ? AND c.brand_id = ?`,
    )
    .bind(id, brandId)
    .first<MadeCopy>();

// A repeat of the key: the same request, and no invitations into a copy that has ended meanwhile.
function checkRepeat(made: MadeCopy, request: string | null, inviting: boolean, now: number) {
  if (made.request !== request) throw new CopyRefused({ code: 'idempotency_conflict' });
  if (inviting && campaignEnded({ campaign_status: made.status, ends_at: made.ends_at }, now)) throw new CopyRefused({ code: 'campaign_ended' });
}

export const copyCampaign = (env: Env, p: CopyRequest, now: number): Promise<CopyResult> => copyOnce(env, p, now, true);

async function copyOnce(env: Env, p: CopyRequest, now: number, mayStartOver: boolean): Promise<CopyResult> {
  const db = env.DB;
  const source = await db
    .prepare('SELECT c.id, c.name, c.default_destination, b.allowed_hosts FROM campaigns c JOIN brands b ON b.id = c.brand_id WHERE c.id = ? AND c.brand_id = ?')
    .bind(p.sourceId, p.brandId)
    .first<{ id: string; name: string; default_destination: string; allowed_hosts: string }>();
  if (!source) throw notFound('campaign');
  // The brand may have dropped the destination's host since the source was made: checked as a new campaign is.
  const destination = checkDestination(source.default_destination, JSON.parse(source.allowed_hosts) as string[]);
  if (!destination.ok) throw new CopyRefused({ code: 'invalid_destination', reason: destination.reason });
  const chosen = await chosenCreators(db, p.brandId, source.id, p.invite);
  const id = p.key === null ? newId('cmp') : await copyIdFor(env.SECRETS_KEY, p.brandId, source.id, p.key);
  const made = p.key === null ? null : await madeCopy(db, p.brandId, id);
  // No name given: a repeat of the key means the default its copy got then (taken now, by that very copy); a copy named
  // explicitly, or made before defaults were flagged, is matched against the old default, copyName's first.
  const name = p.name ?? (made ? (made.default_name && made.name ? made.name : copyName(source.name)) : await defaultCopyName(db, p.brandId, source.name));
  const request = p.key === null ? null : await requestFingerprint(name, p.invite);
  if (made) checkRepeat(made, request, chosen.length > 0, now);

  // The invitations are checked before anything is written: a code that cannot be made refuses the whole copy.
  const invitations = chosen.length === 0 ? null : await planInvitations(env, p, { id: source.id, destination: destination.url }, id, name, chosen);
  let created = false;
  if (!made) {
    created = await writeCopy(db, p, { id: source.id, name: source.name }, { id, name, request, defaultName: p.name === undefined }, now);
    if (!created) {
      // The same key's copy written meanwhile (a double submit racing this one): held to the same checks.
      const raced = await madeCopy(db, p.brandId, id);
      // Without a name, this one's default may have been read after the other's copy took it (so it is the next one):
      // once more from the start, it finds that copy and the name it got.
      if (raced && p.name === undefined && mayStartOver) return copyOnce(env, p, now, false);
      if (raced) checkRepeat(raced, request, chosen.length > 0, now);
    }
  }

  let mailed = 0;
  if (invitations) {
    const { target, rows } = invitations;
    try {
      await importWhole(db, target, rows, p.actor, { copiedFrom: source.id });
    } catch (error) {
      log.error('campaign_copy_invites_stopped', { campaignId: id, error });
      throw new CopyIncomplete(id);
    }
    mailed = await mailNewInvitations(env, target, p.actor, rows.map((r) => r.email), 'campaign_copy_mail_failed');
  }
  const invited = chosen.length === 0 ? 0 : await invitedAmong(db, p.brandId, id, chosen.map((c) => c.creator_id));
  return { campaignId: id, invited, mailed, created };
}

// The chosen creators as roster-import rows checked against the copy, and where the import writes them: the source's
// code style, its creators hold those codes there, so mostly a pattern from the copy's name. Creators removed from the
// copy (on a repeat of its key) are left out: never invited again behind the brand's back. Null: nobody to invite.
async function planInvitations(env: Env, p: CopyRequest, source: { id: string; destination: string }, id: string, name: string, chosen: CopyableCreator[]): Promise<{ target: ImportTarget; rows: ImportRow[] } | null> {
  const db = env.DB;
  const planned: ImportRow[] = chosen.map((c, i) => ({
    line: i + 1,
    email: c.email,
    handle: c.handle,
    name: c.display_name,
    niche: c.niche,
    platform: c.platform,
    followerCount: c.follower_count,
    paymentModel: c.payment_model,
    flatFeeMinor: c.flat_fee_minor,
    briefSection: c.brief_section,
    tags: [],
  }));
  const style = await campaignCodeStyle(db, p.brandId, source.id);
  const checked = await checkRows(db, p.brandId, id, planned, style.pattern);
  const handleOf = (line: number) => planned[line - 1]!.handle;
  const handleClash = checked.errors.filter((e) => e.field === 'handle');
  if (handleClash.length > 0) throw new CopyRefused({ code: 'handle_taken', handles: handleClash.map((e) => handleOf(e.line)) });
  // removedFromCampaign's rows (the only errors on `email`).
  const removed = new Set(checked.errors.filter((e) => e.field === 'email').map((e) => e.line));
  const rows = checked.rows.filter((r) => !removed.has(r.line));
  if (rows.length === 0) return null;
  const codeClash = checked.errors.filter((e) => e.field === 'code' && !removed.has(e.line));
  const pattern = codeClash.length === 0 ? style.pattern : await freeCodePattern(db, p.brandId, id, name, rows, style.pattern, checked.accounts);
  if (!pattern) throw new CopyRefused({ code: 'code_taken', handles: [...new Set(codeClash.map((e) => handleOf(e.line)))] });
  const target = { brandId: p.brandId, campaignId: id, destination: source.destination, codePattern: pattern, discountPercent: style.discountPercent, origin: p.origin(), secretsKey: env.SECRETS_KEY };
  return { target, rows };
}

// The campaign and its offered gift products, with the activity row, in one batch. False when the key's copy was
// written meanwhile (a double submit racing this one): then nothing is written.
async function writeCopy(db: D1Database, p: CopyRequest, source: { id: string; name: string }, copy: { id: string; name: string; request: string | null; defaultName: boolean }, now: number): Promise<boolean> {
  const stem = slugStem(copy.name);
  const prefix = slugPrefix(stem);
  // A range, not LIKE: D1 refuses a LIKE pattern as long as a 55-character prefix. Slugs hold only [a-z0-9-], all before '~'.
  const { results: slugs } = await db.prepare("SELECT slug FROM campaigns WHERE brand_id = ?1 AND slug >= ?2 AND slug < ?2 || '~'").bind(p.brandId, prefix).all<{ slug: string }>();
  const slug = freeSlug(stem, new Set(slugs.map((s) => s.slug)));
  const { results: products } = await db.prepare('SELECT id FROM gift_products WHERE campaign_id = ? AND brand_id = ? AND archived_at IS NULL ORDER BY created_at, id').bind(source.id, p.brandId).all<{ id: string }>();
  const columns = COPIED_COLUMNS.join(', ');
  try {
    await db.batch([
      db
        .prepare(
          `INSERT INTO campaigns (id, brand_id, slug, name, status, starts_at, ends_at, content_due_at, applications_open, gift_round, created_at, ${columns})
           SELECT ?1, brand_id, ?2, ?3, 'draft', NULL, NULL, NULL, 0, 1, ?4, ${columns} FROM campaigns WHERE id = ?5 AND brand_id = ?6`,
        )
        .bind(copy.id, slug, copy.name, now, source.id, p.brandId),
      // One product a statement, each keeping its creation order: the copy offers them as the source does.
      ...products.map((g, i) =>
        db
          .prepare(
            `INSERT INTO gift_products (id, brand_id, campaign_id, title, options, sku, value_minor, created_at)
             SELECT ?1, brand_id, ?2, title, options, sku, value_minor, ?3 FROM gift_products WHERE id = ?4 AND campaign_id = ?5 AND archived_at IS NULL`,
          )
          .bind(newId('gp'), copy.id, now + i, g.id, source.id),
      ),
      auditStatement(
        db,
        { brandId: p.brandId, actorType: p.actor.type, actorId: p.actor.id, action: 'campaign.copied', targetType: 'campaign', targetId: copy.id, details: { from: source.id, fromName: source.name, to: copy.id, name: copy.name, slug, request: copy.request, ...(copy.defaultName && { defaultName: true }) } },
        now,
      ),
    ]);
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    if (await db.prepare('SELECT 1 FROM campaigns WHERE id = ? AND brand_id = ?').bind(copy.id, p.brandId).first()) return false;
    // Another campaign took the slug between the read and the write.
    throw new CopyRefused({ code: 'slug_taken' });
  }
  return true;
}

// How many of the chosen creators the copy now invites (or has, after a retry that found them in it).
async function invitedAmong(db: D1Database, brandId: string, campaignId: string, creatorIds: string[]): Promise<number> {
  let n = 0;
  for (let i = 0; i < creatorIds.length; i += 90) {
    const chunk = creatorIds.slice(i, i + 90);
    n += (await db.prepare(`SELECT count(*) AS n FROM enrollments WHERE campaign_id = ? AND brand_id = ? AND status <> 'removed' AND creator_id IN (${chunk.map(() => '?').join(', ')})`).bind(campaignId, brandId, ...chunk).first<number>('n')) ?? 0;
  }
  return n;
}
