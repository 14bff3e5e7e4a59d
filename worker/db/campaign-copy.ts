// Copying a campaign for its next wave (the console's Copy campaign and POST /api/admin/campaigns/:id/copy): a draft
// with the source's brief, money and gift settings and its offered gift products, written in one batch; then, when
// asked, the source's creators invited again through the roster import's own path (db/creator-import.ts) and mailed
// as "Email the invitations" mails them. Nothing of the old wave's work comes along: no enrollment, link, code,
// submission, order, ledger entry, update, message, gift request or application.
//
// Once only: the copy's id is derived from a key (the console form's own, or the API's Idempotency-Key), so a form
// sent twice, or a request retried, finds the campaign it made and invites only who is missing.
import type { Env } from '../env';
import type { ImportRow } from '../domain/creator-import';
import { copyName, freeSlug, slugify } from '../domain/campaign-copy';
import { isUniqueViolation } from '../lib/d1-errors';
import { ApiError, notFound } from '../lib/errors';
import { base64url, newId } from '../lib/ids';
import { log } from '../lib/log';
import { mailSetup } from '../lib/messages';
import { auditStatement } from './audit';
import { campaignCodeStyle } from './applications';
import { checkRows, freeCodePattern, importAuditStatement, importCreators, type ImportTarget } from './creator-import';
import { mailInvitations } from './invitation-mails';
import type { Actor } from '../routes/admin/imports';

export const MAX_COPIED_CREATORS = 500;

// What the copy takes from the source row as it is stored; the rest is the copy's own (new name, slug and status,
// no dates of the old wave, applications closed, gift round 1).
const COPIED_COLUMNS = [
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

// The source's creators who may be invited to the copy: still in it (not removed), and not erased by the brand.
export async function copyableCreators(db: D1Database, brandId: string, campaignId: string): Promise<CopyableCreator[]> {
  const { results } = await db
    .prepare(
      `SELECT e.creator_id, r.handle, r.display_name, r.email, r.niche, r.platform, r.follower_count, e.payment_model, e.flat_fee_minor, e.brief_section, e.status
       FROM enrollments e JOIN roster r ON r.brand_id = e.brand_id AND r.creator_id = e.creator_id
       WHERE e.campaign_id = ? AND e.brand_id = ? AND e.status <> 'removed' AND r.erased_at IS NULL ORDER BY r.handle`,
    )
    .bind(campaignId, brandId)
    .all<CopyableCreator>();
  return results;
}

const encoder = new TextEncoder();

// The copy a key makes: the same brand, source and key always name the same campaign.
export async function copyIdFor(secretsKey: string, brandId: string, sourceId: string, key: string): Promise<string> {
  const hmac = await crypto.subtle.importKey('raw', encoder.encode(secretsKey), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', hmac, encoder.encode(`campaign-copy:${brandId}:${sourceId}:${key}`)));
  return `cmp_${base64url(mac, 0, 15)}`;
}

export type CopyRequest = {
  brandId: string;
  sourceId: string;
  // Absent: "<name> (copy)".
  name: string | undefined;
  invite: string[] | 'all';
  actor: Actor;
  // The form's or request's once-only key; null makes a new campaign every time.
  key: string | null;
  // Where invitation mails' links point; asked for only when someone is invited.
  origin: () => string;
};

export type CopyResult = { campaignId: string; sourceName: string; invited: number; mailed: number; created: boolean };

export type CopyRefusal =
  | { code: 'creator_not_found'; ids: string[] }
  | { code: 'creator_not_in_campaign'; ids: string[] }
  | { code: 'too_many_creators'; count: number }
  | { code: 'name_differs' }
  | { code: 'code_taken'; handles: string[] };

export class CopyRefused extends Error {
  constructor(readonly refusal: CopyRefusal) {
    super(refusal.code);
  }
}

// The creators a request names, checked against the source: ids the brand has no creator by are a 404 (another
// brand's look the same as none), ids of its creators who are not (or no longer) in the source a 422.
async function chosenCreators(db: D1Database, brandId: string, copyable: CopyableCreator[], invite: string[] | 'all'): Promise<CopyableCreator[]> {
  const chosen = invite === 'all' ? copyable : [...new Set(invite)].map((id) => copyable.find((c) => c.creator_id === id) ?? id);
  const strays = chosen.filter((c): c is string => typeof c === 'string');
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
  const found = chosen as CopyableCreator[];
  if (found.length > MAX_COPIED_CREATORS) throw new CopyRefused({ code: 'too_many_creators', count: found.length });
  return found;
}

export async function copyCampaign(env: Env, p: CopyRequest, now: number): Promise<CopyResult> {
  const db = env.DB;
  const source = await db.prepare('SELECT id, name, default_destination FROM campaigns WHERE id = ? AND brand_id = ?').bind(p.sourceId, p.brandId).first<{ id: string; name: string; default_destination: string }>();
  if (!source) throw notFound('campaign');
  const name = p.name ?? copyName(source.name);
  const chosen = await chosenCreators(db, p.brandId, await copyableCreators(db, p.brandId, source.id), p.invite);
  const id = p.key === null ? newId('cmp') : await copyIdFor(env.SECRETS_KEY, p.brandId, source.id, p.key);

  // The invitations are checked before anything is written: a code that cannot be made refuses the whole copy.
  const invitations = chosen.length === 0 ? null : await planInvitations(env, p, source, id, name, chosen);
  const created = await writeCopy(db, p, source.id, id, name, now);

  let invited = 0;
  let mailed = 0;
  if (invitations) {
    const { target, rows } = invitations;
    const audit = { id: newId('aud'), actor: p.actor, skipped: 0 };
    try {
      const made = await importCreators(db, target, rows, audit);
      await importAuditStatement(db, target, audit, { rows: rows.length, created: made, complete: true, copiedFrom: source.id }, Date.now()).run();
    } catch (error) {
      // The campaign stands (one batch); the invitations stopped part-way. The same key again invites the rest.
      log.error('campaign_copy_invites_stopped', { campaignId: id, error });
      throw new ApiError(503, 'copy_incomplete', 'The campaign was copied, but inviting its creators stopped part-way. Send the same request again (the same form, or the same Idempotency-Key) to invite the rest.', { campaignId: id }, { 'Retry-After': '1' });
    }
    invited = await invitedAmong(db, id, chosen.map((c) => c.creator_id));
    if (mailSetup(env).kind !== 'unconfigured') {
      try {
        mailed = (await mailInvitations(env, target, p.actor, Date.now(), rows.map((r) => r.email))).queued;
      } catch (error) {
        // The invitations stand whether or not mail can go: the brand sends the invite sheet's links instead.
        log.error('campaign_copy_mail_failed', { campaignId: id, error });
      }
    }
  }
  return { campaignId: id, sourceName: source.name, invited, mailed, created };
}

// The chosen creators as roster-import rows checked against the copy, and where the import writes them: the source's
// code style, its creators hold those codes there, so mostly a pattern from the copy's name.
async function planInvitations(env: Env, p: CopyRequest, source: { id: string; default_destination: string }, id: string, name: string, chosen: CopyableCreator[]): Promise<{ target: ImportTarget; rows: ImportRow[] }> {
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
  const pattern = checked.errors.length === 0 ? style.pattern : await freeCodePattern(db, p.brandId, id, name, checked.rows, style.pattern, checked.accounts);
  if (!pattern) throw new CopyRefused({ code: 'code_taken', handles: [...new Set(checked.errors.map((e) => planned[e.line - 1]!.handle))] });
  const target = { brandId: p.brandId, campaignId: id, destination: source.default_destination, codePattern: pattern, discountPercent: style.discountPercent, origin: p.origin(), secretsKey: env.SECRETS_KEY };
  return { target, rows: checked.rows };
}

// The campaign and its offered gift products, with the activity row, in one batch. False when the key's copy was
// made before (a form sent twice, a retried request): then nothing is written.
async function writeCopy(db: D1Database, p: CopyRequest, sourceId: string, id: string, name: string, now: number): Promise<boolean> {
  const existing = await db.prepare('SELECT name FROM campaigns WHERE id = ? AND brand_id = ?').bind(id, p.brandId).first<{ name: string }>();
  if (existing) {
    if (p.name !== undefined && existing.name !== p.name) throw new CopyRefused({ code: 'name_differs' });
    return false;
  }
  const base = slugify(name) || 'campaign';
  const { results: slugs } = await db
    .prepare("SELECT slug FROM campaigns WHERE brand_id = ? AND (slug = ? OR slug LIKE ? ESCAPE '\\')")
    .bind(p.brandId, base, `${base.replace(/[\\%_]/g, (m) => `\\${m}`)}%`)
    .all<{ slug: string }>();
  const slug = freeSlug(name, new Set(slugs.map((s) => s.slug)));
  const { results: products } = await db.prepare('SELECT id FROM gift_products WHERE campaign_id = ? AND brand_id = ? AND archived_at IS NULL ORDER BY created_at, id').bind(sourceId, p.brandId).all<{ id: string }>();
  const columns = COPIED_COLUMNS.join(', ');
  try {
    await db.batch([
      db
        .prepare(
          `INSERT INTO campaigns (id, brand_id, slug, name, status, starts_at, ends_at, content_due_at, applications_open, gift_round, created_at, ${columns})
           SELECT ?1, brand_id, ?2, ?3, 'draft', NULL, NULL, NULL, 0, 1, ?4, ${columns} FROM campaigns WHERE id = ?5 AND brand_id = ?6`,
        )
        .bind(id, slug, name, now, sourceId, p.brandId),
      // One product a statement, each keeping its creation order: the copy offers them as the source does.
      ...products.map((g, i) =>
        db
          .prepare(
            `INSERT INTO gift_products (id, brand_id, campaign_id, title, options, sku, value_minor, created_at)
             SELECT ?1, brand_id, ?2, title, options, sku, value_minor, ?3 FROM gift_products WHERE id = ?4 AND campaign_id = ?5 AND archived_at IS NULL`,
          )
          .bind(newId('gp'), id, now + i, g.id, sourceId),
      ),
      auditStatement(db, { brandId: p.brandId, actorType: p.actor.type, actorId: p.actor.id, action: 'campaign.copied', targetType: 'campaign', targetId: id, details: { from: sourceId, to: id, slug } }, now),
    ]);
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    // The same key's copy written meanwhile (a double submit racing this one), or the slug taken meanwhile.
    const raced = await db.prepare('SELECT name FROM campaigns WHERE id = ? AND brand_id = ?').bind(id, p.brandId).first<{ name: string }>();
    if (raced) return false;
    throw new ApiError(409, 'slug_taken', 'Another campaign took this name’s slug just now. Copy it again.');
  }
  return true;
}

// How many of the chosen creators the copy now invites (or has, after a retry that found them in it).
async function invitedAmong(db: D1Database, campaignId: string, creatorIds: string[]): Promise<number> {
  let n = 0;
  for (let i = 0; i < creatorIds.length; i += 90) {
    const chunk = creatorIds.slice(i, i + 90);
    n += (await db.prepare(`SELECT count(*) AS n FROM enrollments WHERE campaign_id = ? AND status <> 'removed' AND creator_id IN (${chunk.map(() => '?').join(', ')})`).bind(campaignId, ...chunk).first<number>('n')) ?? 0;
  }
  return n;
}
