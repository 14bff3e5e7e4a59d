// A brand's program terms (db/schema.ts programTerms) and the creators' acceptances of them (termsAcceptances).
// Publishing a different text makes the next version; the same text again makes nothing. Accepting is a record
// the brand can show, and a gate only at joining: earnings accrue whether or not a creator accepted a later version.
import { auditIfChanged } from './audit';
import { afterParams, afterSql, type Position } from '../lib/cursor';
import { versionParam } from '../domain/program-terms';
import { ApiError, notFound } from '../lib/errors';
import { isUniqueViolation } from '../lib/d1-errors';
import { newId } from '../lib/ids';
import { iso, termsText } from '../lib/validate';

export const MAX_TERMS_CHARS = 20_000;
// The body that carries them: a browser's form sends a CJK character as 9 bytes (three %XX), a JSON encoder that
// escapes non-ASCII as 6 (\uXXXX), so the usual 64 KiB would refuse terms well inside the limit in most scripts.
export const MAX_TERMS_REQUEST_BYTES = 256 * 1024;
// Trimmed, line breaks as LF: the same text sent from the console or the API is the same version.
export const termsBody = termsText(MAX_TERMS_CHARS, `At most ${MAX_TERMS_CHARS.toLocaleString('en')} characters.`).refine((s) => s.length > 0, 'Write the terms: they are empty.');

export type ProgramTerms = { id: string; brand_id: string; version: number; body: string; published_at: number; published_by_type: 'admin_user' | 'api_key'; published_by_id: string; published_by_name: string | null };

// The teammate's name, or "API key <name>" for a version published through the admin API.
const PUBLISHER = `COALESCE((SELECT u.name FROM admin_users u WHERE u.id = t.published_by_id AND u.brand_id = t.brand_id),
  (SELECT 'API key ' || k.name FROM api_keys k WHERE k.id = t.published_by_id AND k.brand_id = t.brand_id)) AS published_by_name`;

// The brand's version now: the highest number (SQL, for a write's guard; ?-bound to the brand).
export const currentVersionSql = (brand: string) => `(SELECT max(version) FROM program_terms WHERE brand_id = ${brand})`;

export async function currentTerms(db: D1Database, brandId: string): Promise<ProgramTerms | null> {
  return db.prepare(`SELECT t.*, ${PUBLISHER} FROM program_terms t WHERE t.brand_id = ? ORDER BY t.version DESC LIMIT 1`).bind(brandId).first<ProgramTerms>();
}

export type Publisher = { type: 'admin_user' | 'api_key'; id: string };

const termsChanged = () => new ApiError(409, 'terms_changed', 'Another version of the terms was published meanwhile. Load them again, and publish your text on top of it if it still applies.');

/**
 * Publishes `body` as the brand's next version, unless it is the current text already (then nothing is written:
 * `created` false). `basedOn`: the version the writer read (null: none yet); a version published since answers 409
 * `terms_changed` rather than replacing a colleague's text unseen. Two publishes at once: the unique index lets one
 * number through and the other answers 409.
 */
export async function publishTerms(db: D1Database, brandId: string, body: string, by: Publisher, basedOn: number | null | undefined, now: number): Promise<{ terms: ProgramTerms; created: boolean }> {
  const current = await currentTerms(db, brandId);
  if (current && current.body === body) return { terms: current, created: false };
  if (basedOn !== undefined && basedOn !== (current?.version ?? null)) throw termsChanged();
  const id = newId('trm');
  // The number comes from the table in the same statement; the text check keeps a double press from making two.
  const insert = db
    .prepare(
      `INSERT INTO program_terms (id, brand_id, version, body, published_at, published_by_type, published_by_id)
       SELECT ?1, ?2, COALESCE(max(version), 0) + 1, ?3, ?4, ?5, ?6 FROM program_terms WHERE brand_id = ?2
       HAVING COALESCE(max(version), 0) = ?7 AND (SELECT body FROM program_terms WHERE brand_id = ?2 ORDER BY version DESC LIMIT 1) IS NOT ?3`,
    )
    .bind(id, brandId, body, now, by.type, by.id, current?.version ?? 0);
  const audit = auditIfChanged(db, { brandId, actorType: by.type, actorId: by.id, action: 'brand.terms_published', targetType: 'brand', targetId: brandId, details: { version: (current?.version ?? 0) + 1, characters: body.length } }, now);
  try {
    const [inserted] = await db.batch([insert, audit]);
    if ((inserted?.meta.changes ?? 0) === 0) {
      const latest = await currentTerms(db, brandId);
      if (latest && latest.body === body) return { terms: latest, created: false };
      throw termsChanged();
    }
  } catch (error) {
    if (isUniqueViolation(error)) throw termsChanged();
    throw error;
  }
  const stored = await db.prepare(`SELECT t.*, ${PUBLISHER} FROM program_terms t WHERE t.id = ?`).bind(id).first<ProgramTerms>();
  return { terms: stored!, created: true };
}

export type TermsStanding = { version: number; accepted_at: number };

// The creator's highest accepted version of the brand's terms, with when they accepted it; null: none.
export const acceptedSql = (brand: string, creator: string) =>
  `(SELECT json_object('version', a.version, 'acceptedAt', a.accepted_at) FROM terms_acceptances a WHERE a.brand_id = ${brand} AND a.creator_id = ${creator} ORDER BY a.version DESC LIMIT 1)`;

/** The admin API's `termsAccepted`. */
export const termsAcceptedView = (t: TermsStanding | null | undefined) => (t ? { version: t.version, acceptedAt: iso(t.accepted_at) } : null);

export async function standingOf(db: D1Database, brandId: string, creatorId: string): Promise<TermsStanding | null> {
  return db.prepare('SELECT version, accepted_at FROM terms_acceptances WHERE brand_id = ? AND creator_id = ? ORDER BY version DESC LIMIT 1').bind(brandId, creatorId).first<TermsStanding>();
}

/** The highest accepted version per creator of `creatorIds` at the brand (one query, whatever the page's size). */
export async function standingsOf(db: D1Database, brandId: string, creatorIds: string[]): Promise<Map<string, TermsStanding>> {
  if (creatorIds.length === 0) return new Map();
  const { results } = await db
    .prepare(
      `SELECT creator_id, version, accepted_at FROM terms_acceptances a WHERE brand_id = ?1 AND creator_id IN (SELECT value FROM json_each(?2))
         AND version = (SELECT max(version) FROM terms_acceptances b WHERE b.brand_id = ?1 AND b.creator_id = a.creator_id)`,
    )
    .bind(brandId, JSON.stringify(creatorIds))
    .all<TermsStanding & { creator_id: string }>();
  return new Map(results.map((r) => [r.creator_id, { version: r.version, accepted_at: r.accepted_at }]));
}

/**
 * The acceptance of `version`, appended only while it is still the brand's current version (the guard is in the
 * write, so terms published between the page and the press are never accepted unseen). Accepting a version
 * twice keeps the first time.
 */
export const acceptTermsStatement = (db: D1Database, a: { brandId: string; creatorId: string; version: number; via: 'invitation' | 'update' }, now: number) =>
  db
    .prepare(
      `INSERT INTO terms_acceptances (id, brand_id, creator_id, version, via, accepted_at)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE ${currentVersionSql('?2')} = ?4 ON CONFLICT DO NOTHING`,
    )
    .bind(newId('tac'), a.brandId, a.creatorId, a.version, a.via, now);

// The creator still works with the brand: an enrollment in one of its campaigns they have not left or been removed
// from (index enrollments_creator). One who left is not asked about terms they no longer work under.
export const stillWithBrandSql = (brand: string, creator: string) => `EXISTS (SELECT 1 FROM enrollments e WHERE e.creator_id = ${creator} AND e.brand_id = ${brand} AND e.status <> 'removed')`;

/** The brands a creator joined and still works with whose current terms they have not accepted (a later version, or terms published since they joined). */
export type TermsToAccept = { brand_id: string; brand_name: string; version: number; accepted_version: number | null };

export async function termsToAccept(db: D1Database, creatorId: string): Promise<TermsToAccept[]> {
  const { results } = await db
    .prepare(
      `SELECT r.brand_id, b.name AS brand_name, ${currentVersionSql('r.brand_id')} AS version,
         (SELECT max(a.version) FROM terms_acceptances a WHERE a.brand_id = r.brand_id AND a.creator_id = r.creator_id) AS accepted_version
       FROM brand_creators r JOIN brands b ON b.id = r.brand_id
       WHERE r.creator_id = ? AND r.accepted_at IS NOT NULL AND r.erased_at IS NULL AND ${stillWithBrandSql('r.brand_id', 'r.creator_id')} AND version IS NOT NULL AND (accepted_version IS NULL OR accepted_version < version)
       ORDER BY b.name, r.brand_id`,
    )
    .bind(creatorId)
    .all<TermsToAccept>();
  return results;
}

// ---------- The brand's history of versions, and who accepted each ----------

/** A published version without its text, with how many creators accepted it (erased ones included: their acceptance stands). */
export type TermsVersionSummary = Omit<ProgramTerms, 'body'> & { accepted: number };

// Who accepted a version, as the brand's roster knows them: the count and the list (acceptancesOf) read the same rows.
const ACCEPTANCES = 'terms_acceptances a JOIN roster r ON r.brand_id = a.brand_id AND r.creator_id = a.creator_id';
// Per version, by terms_acceptances_brand_version_at (brand and version), which holds the creator for the join.
const ACCEPTED_COUNT = `(SELECT count(*) FROM ${ACCEPTANCES} WHERE a.brand_id = t.brand_id AND a.version = t.version) AS accepted`;

/** The brand's versions newest first, `limit` of them below version `below` (none: from the newest). */
export async function termsVersions(db: D1Database, brandId: string, opts: { below?: number; limit: number }): Promise<TermsVersionSummary[]> {
  const { results } = await db
    .prepare(
      `SELECT t.id, t.brand_id, t.version, t.published_at, t.published_by_type, t.published_by_id, ${PUBLISHER}, ${ACCEPTED_COUNT}
       FROM program_terms t WHERE t.brand_id = ?1 AND t.version < ?2 ORDER BY t.version DESC LIMIT ?3`,
    )
    .bind(brandId, opts.below ?? Number.MAX_SAFE_INTEGER, opts.limit)
    .all<TermsVersionSummary>();
  return results;
}

/** One version of the brand's terms with its text, its count and the brand's latest version number; null: the brand has no such version. */
export type TermsVersionDetail = ProgramTerms & { accepted: number; latest: number };

export async function termsVersion(db: D1Database, brandId: string, version: number): Promise<TermsVersionDetail | null> {
  return db
    .prepare(`SELECT t.*, ${PUBLISHER}, ${ACCEPTED_COUNT}, ${currentVersionSql('t.brand_id')} AS latest FROM program_terms t WHERE t.brand_id = ? AND t.version = ?`)
    .bind(brandId, version)
    .first<TermsVersionDetail>();
}

// The version a path names, of this brand only: another brand's number, or one never published, is 404.
export async function termsVersionNamed(db: D1Database, brandId: string, raw: string | undefined): Promise<TermsVersionDetail> {
  const version = versionParam(raw);
  const terms = version === null ? null : await termsVersion(db, brandId, version);
  if (!terms) throw notFound('terms version');
  return terms;
}

/** A creator's acceptance of a version, as the brand knows them (the roster view: an erased creator reads as their closed-… handle and "Closed account"). */
export type TermsAcceptance = { id: string; creator_id: string; handle: string; display_name: string; erased_at: number | null; via: 'invitation' | 'update'; accepted_at: number };

/** Who accepted `version` of the brand's terms, latest first, a keyset page (lib/cursor.ts) at a time. */
export async function acceptancesOf(db: D1Database, brandId: string, version: number, opts: { after?: Position; limit: number }): Promise<TermsAcceptance[]> {
  const { results } = await db
    .prepare(
      `SELECT a.id, a.creator_id, r.handle, r.display_name, r.erased_at, a.via, a.accepted_at
       FROM ${ACCEPTANCES}
       WHERE a.brand_id = ? AND a.version = ?${opts.after ? ` AND ${afterSql('a.accepted_at', 'a.id')}` : ''}
       ORDER BY a.accepted_at DESC, a.id DESC LIMIT ?`,
    )
    .bind(brandId, version, ...(opts.after ? afterParams(opts.after) : []), opts.limit)
    .all<TermsAcceptance>();
  return results;
}

export const acceptancePosition = (a: TermsAcceptance): Position => ({ at: a.accepted_at, id: a.id });
