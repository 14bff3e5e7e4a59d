// A brand's tags on its creators (schema.ts creator_tags): read with the roster, set a creator's whole set at once.
import { MAX_TAGS_PER_BRAND, MAX_TAGS_PER_CREATOR, readTagSet, sameTags, TAG_RULE } from '../domain/creator-tags';
import { ApiError, notFound } from '../lib/errors';
import { afterParams, afterSql, type Position } from '../lib/cursor';
import { auditWhere, type AuditInput } from './audit';
import { creatorGone } from './creator-erasure';

/** SQL: the tags brand `brand` gave creator `creator` (SQL expressions), as a JSON array in order (primary key lookups). */
export const tagsJsonSql = (brand: string, creator: string) =>
  `(SELECT json_group_array(tag) FROM (SELECT t.tag FROM creator_tags t WHERE t.brand_id = ${brand} AND t.creator_id = ${creator} ORDER BY t.tag))`;

// A roster filtered by a tag the brand gives at most this many creators is read from the tag's own rows
// (creator_tags_brand_tag) and sorted into the roster's order: at most this many rows a page, however big the roster.
// A commoner tag walks the roster in its order (brand_creators_brand_at), testing each creator for the tag, which
// fills a page within about page × roster ÷ tagged rows; sorting every tagged creator for each page would cost more.
// Choosing costs each page up to FEW_TAGGED + 1 index entries (fewTagged). A bound of 100 would save a common tag's
// pages 100 of them, but walk the roster for a tag of 101-200 creators: 150 of 10,000 fill a page of 100 after ~6,700 rows.
export const FEW_TAGGED = 200;

/** Whether the brand gives `tag` to at most FEW_TAGGED creators: reads at most one index entry more. */
async function fewTagged(db: D1Database, brandId: string, tag: string): Promise<boolean> {
  const n = await db.prepare('SELECT count(*) AS n FROM (SELECT 1 FROM creator_tags WHERE brand_id = ? AND tag = ? LIMIT ?)').bind(brandId, tag, FEW_TAGGED + 1).first<number>('n');
  return (n ?? 0) <= FEW_TAGGED;
}

/** SQL: the roster (as `r`) of the creators with a tag, bound brand then tag; CROSS JOIN keeps creator_tags the outer loop. */
const FEW_TAGGED_ROSTER = `creator_tags tg CROSS JOIN roster r ON r.brand_id = tg.brand_id AND r.creator_id = tg.creator_id AND tg.brand_id = ? AND tg.tag = ?`;

/**
 * One page of the brand's roster, newest first (the admin API's and the console's), as a statement selecting `columns`
 * of the roster as `r`, and its parameters: only the creators with `tag` (null, a tag that is none: nobody), and with
 * `q` those whose handle, name or email contains it.
 */
export async function rosterPageSql(db: D1Database, brandId: string, f: { tag?: string | null; q?: string; after?: Position; limit: number }, columns = 'r.*'): Promise<{ sql: string; params: unknown[] }> {
  let from = 'roster r';
  const where = ['r.brand_id = ?'];
  const params: unknown[] = [brandId];
  if (f.tag === null) where.push('false');
  else if (f.tag !== undefined && (await fewTagged(db, brandId, f.tag))) {
    from = FEW_TAGGED_ROSTER;
    params.unshift(brandId, f.tag);
  } else if (f.tag !== undefined) {
    where.push('EXISTS (SELECT 1 FROM creator_tags t WHERE t.brand_id = r.brand_id AND t.creator_id = r.creator_id AND t.tag = ?)');
    params.push(f.tag);
  }
  if (f.q) {
    // Folded the same way on both sides (SQLite's lower() folds A-Z only), so a name typed as stored is found.
    where.push('(instr(lower(r.handle), lower(?)) > 0 OR instr(lower(r.display_name), lower(?)) > 0 OR instr(lower(r.email), lower(?)) > 0)');
    params.push(f.q, f.q, f.q);
  }
  if (f.after) {
    where.push(afterSql('r.created_at', 'r.creator_id'));
    params.push(...afterParams(f.after));
  }
  return { sql: `SELECT ${columns} FROM ${from} WHERE ${where.join(' AND ')} ORDER BY r.created_at DESC, r.creator_id DESC LIMIT ?`, params: [...params, f.limit] };
}

export const parseTags = (json: string | null | undefined): string[] => (json ? (JSON.parse(json) as string[]) : []);

// SQL: of the JSON array `tags`, those no creator of the brand but `creator` has ('' for none: every creator counts),
// an index lookup on (brand_id, tag) each, not a read of every tag the brand has.
const newToBrandSql = (brand: string, creator: string, tags: string) =>
  `SELECT n.value AS tag FROM json_each(${tags}) n WHERE NOT EXISTS (SELECT 1 FROM creator_tags o WHERE o.brand_id = ${brand} AND o.tag = n.value AND o.creator_id <> ${creator})`;

// SQL: with `creator`'s tags replaced by `tags`, the brand uses at most MAX_TAGS_PER_BRAND different tags, or the set
// brings none new to the brand (a brand over the limit, by a lowered limit or rows written by hand, can still reuse its tags).
// CASE, not OR: SQLite evaluates both sides of an OR in a result column, and the count reads every tag row of the brand.
// `counted`: the tags written with these, all counted against the limit (an import's chunk); `tags` by default.
export const withinBrandLimit = (brand: string, creator: string, tags: string, counted = tags) =>
  `(CASE WHEN NOT EXISTS (${newToBrandSql(brand, creator, tags)}) THEN 1
    ELSE (SELECT count(*) FROM (SELECT o.tag FROM creator_tags o WHERE o.brand_id = ${brand} AND o.creator_id <> ${creator} UNION SELECT n.value FROM json_each(${counted}) n)) <= ${MAX_TAGS_PER_BRAND} END)`;

/** Of `wanted`, the tags the brand gives no creator yet. */
export async function tagsNewToBrand(db: D1Database, brandId: string, wanted: readonly string[]): Promise<string[]> {
  if (wanted.length === 0) return [];
  return (await db.prepare(newToBrandSql('?1', "''", '?2')).bind(brandId, JSON.stringify([...new Set(wanted)])).all<{ tag: string }>()).results.map((r) => r.tag);
}

/** How many different tags the brand gives its creators: read only when a new one would be added. */
export async function brandTagCount(db: D1Database, brandId: string): Promise<number> {
  return (await db.prepare('SELECT count(DISTINCT tag) AS n FROM creator_tags WHERE brand_id = ?').bind(brandId).first<number>('n')) ?? 0;
}

/** The brand's tags for one creator, in order. */
export const tagsOf = async (db: D1Database, brandId: string, creatorId: string): Promise<string[]> => (await tagsByCreator(db, brandId, [creatorId])).get(creatorId) ?? [];

/** The brand's tags for each of `creatorIds` (90 a statement, under D1's 100 parameters). */
export async function tagsByCreator(db: D1Database, brandId: string, creatorIds: string[]): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  for (let i = 0; i < creatorIds.length; i += 90) {
    const chunk = creatorIds.slice(i, i + 90);
    const { results } = await db
      .prepare(`SELECT creator_id, tag FROM creator_tags WHERE brand_id = ? AND creator_id IN (${chunk.map(() => '?').join(', ')}) ORDER BY creator_id, tag`)
      .bind(brandId, ...chunk)
      .all<{ creator_id: string; tag: string }>();
    for (const r of results) found.set(r.creator_id, [...(found.get(r.creator_id) ?? []), r.tag]);
  }
  return found;
}

export const invalidTag = (tag: string) => new ApiError(422, 'invalid_tag', `“${tag}” is not a tag. ${TAG_RULE}`, { tag });
export const tooManyTags = () => new ApiError(422, 'too_many_tags', `A creator has at most ${MAX_TAGS_PER_CREATOR} tags.`);
export const brandTagLimit = (fresh: string[]) =>
  new ApiError(409, 'tag_limit_reached', `Your brand uses ${MAX_TAGS_PER_BRAND} different tags, the most it can: reuse one of them, or remove a tag from every creator first.`, { newTags: fresh });

/**
 * Replaces the creator's tags with `typed` (read by readTagSet), with an activity row, in one batch. 404 for a creator
 * not on the brand's roster, 410 for one it erased, 409 tag_limit_reached when the set would take the brand past
 * MAX_TAGS_PER_BRAND different tags; answers the set as stored. An unchanged set writes nothing.
 */
export async function setCreatorTags(db: D1Database, brandId: string, creatorId: string, typed: string[], actor: Pick<AuditInput, 'actorType' | 'actorId'>, now = Date.now()): Promise<string[]> {
  const read = readTagSet(typed);
  const [roster, current] = await db.batch([
    db.prepare('SELECT erased_at FROM brand_creators WHERE brand_id = ? AND creator_id = ?').bind(brandId, creatorId),
    db.prepare(`SELECT ${tagsJsonSql('?1', '?2')} AS tags`).bind(brandId, creatorId),
  ]);
  const row = roster!.results[0] as { erased_at: number | null } | undefined;
  if (!row) throw notFound('creator');
  if (row.erased_at !== null) throw creatorGone();
  if (!read.ok) throw read.code === 'invalid_tag' ? invalidTag(read.tag) : tooManyTags();
  const before = parseTags((current!.results[0] as { tags: string }).tags);
  if (sameTags(before, read.tags)) return before;
  // Every write stands only while the brand's limit of different tags holds, judged at the write: two saves at once
  // that each add a new tag cannot both pass it. The insert and its activity row stand only while the brand's copy
  // does too: an erasure between the read and this batch wins, and leaves no row naming the tags it cleared.
  const notErased = (brand: string, creator: string) => `EXISTS (SELECT 1 FROM brand_creators r WHERE r.brand_id = ${brand} AND r.creator_id = ${creator} AND r.erased_at IS NULL)`;
  const tags = JSON.stringify(read.tags);
  const [limit, , , audited] = await db.batch([
    db.prepare(`SELECT ${withinBrandLimit('?1', '?2', '?3')} AS fits, (SELECT json_group_array(tag) FROM (${newToBrandSql('?1', '?2', '?3')})) AS fresh`).bind(brandId, creatorId, tags),
    db.prepare(`DELETE FROM creator_tags WHERE brand_id = ?1 AND creator_id = ?2 AND ${withinBrandLimit('?1', '?2', '?3')}`).bind(brandId, creatorId, tags),
    db.prepare(`INSERT INTO creator_tags (brand_id, creator_id, tag) SELECT ?1, ?2, j.value FROM json_each(?3) j WHERE ${notErased('?1', '?2')} AND ${withinBrandLimit('?1', '?2', '?3')} ON CONFLICT DO NOTHING`).bind(brandId, creatorId, tags),
    auditWhere(db, { brandId, ...actor, action: 'creator.tags_set', targetType: 'creator', targetId: creatorId, details: { tags: read.tags, before } }, now, `${notErased('?10', '?11')} AND ${withinBrandLimit('?10', '?11', '?12')}`, brandId, creatorId, tags),
  ]);
  const judged = limit!.results[0] as { fits: number; fresh: string };
  if (!judged.fits) throw brandTagLimit(parseTags(judged.fresh));
  if ((audited?.meta.changes ?? 0) === 0) throw creatorGone();
  return read.tags;
}
