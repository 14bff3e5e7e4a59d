// Bulk onboarding: accounts, roster rows, enrollments, a link, a code and an invite per creator.
// Every statement is an idempotent multi-row insert, chunked so no statement binds more than D1's 100
// parameters and a 150-creator file stays far inside the per-request query budget. Invite tokens are
// derived (HMAC of brand and email), so re-uploading the same file writes nothing and returns the same links,
// except that an invite which expired unused is renewed for another week.
import type { ImportRow, RowError } from '../domain/creator-import';
import { codeFromPattern } from '../domain/codes';
import { codeHolderMap, codeHoldersStatement } from './discount-codes';
import { csvLine, csvText } from '../lib/csv';
import { sha256Hex } from '../lib/digest';
import { base64url, newId, slugSuffix } from '../lib/ids';
import { trackedLinkUrl } from '../lib/paths';
import { INVITE_TTL_MS } from './account-tokens';
import { brandTagCount, tagsByCreator, tagsNewToBrand, withinBrandLimit } from './creator-tags';
import { MAX_TAGS_PER_BRAND, MAX_TAGS_PER_CREATOR, tagsOverBrandLimit, tagsOverCreatorLimit } from '../domain/creator-tags';

export const ROWS_PER_CHUNK = 10; // the widest statement binds 6 values a row: 60 parameters + a few fixed ones

export type ImportTarget = {
  brandId: string;
  campaignId: string;
  destination: string;
  codePattern: string;
  discountPercent: number;
  origin: string;
  secretsKey: string;
};

export type InviteRow = {
  line: number | null;
  email: string;
  handle: string;
  name: string;
  status: 'invite' | 'accepted' | 'expired';
  inviteUrl: string | null;
  link: string | null;
  code: string | null;
};

export type ImportResult = {
  rows: number;
  created: { creators: number; enrollments: number; links: number; codes: number; invites: number };
  skippedRows: RowError[];
  invites: InviteRow[];
};

const encoder = new TextEncoder();

export async function inviteToken(secretsKey: string, brandId: string, email: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secretsKey), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return base64url(new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(`invite:${brandId}:${email}`))));
}

// A VALUES block of `rows` rows, `width` values each, numbered from ?`from`: after a statement's fixed
// parameters, however often and wherever those appear in its text.
const numbered = (rows: number, width: number, from: number) =>
  Array.from({ length: rows }, (_, i) => `(${Array.from({ length: width }, (_, j) => `?${from + i * width + j}`).join(', ')})`).join(', ');

// The account a brand means by an address: the creator on its roster under that address (its own copy, for
// one who has not accepted it: the account may have moved to another address the brand was never told),
// else the account that uses the address now; null for an address new to Chorus.
export const accountFor = (brand: string, email: string) =>
  `COALESCE((SELECT mine.creator_id FROM brand_creators mine WHERE mine.brand_id = ${brand} AND mine.email = ${email} AND mine.accepted_at IS NULL), (SELECT x.id FROM creators x WHERE x.email = ${email}))`;

// The account each address means to the brand (accountFor), 90 addresses a statement.
export async function accountsFor(db: D1Database, brandId: string, emails: string[]): Promise<Map<string, string | null>> {
  const found = new Map<string, string | null>();
  for (let i = 0; i < emails.length; i += 90) {
    const chunk = emails.slice(i, i + 90);
    const { results } = await db
      .prepare(`SELECT v.column1 AS email, ${accountFor('?1', 'v.column1')} AS id FROM (VALUES ${numbered(chunk.length, 1, 2)}) v`)
      .bind(brandId, ...chunk)
      .all<{ email: string; id: string | null }>();
    for (const r of results) found.set(r.email, r.id);
  }
  return found;
}

// Handles are the brand's own: one another creator on this brand's roster has cannot be given again. What
// other brands call anyone is never looked at. `accounts`: accountsFor the rows.
export async function conflictingHandles(db: D1Database, brandId: string, rows: ImportRow[], accounts: Map<string, string | null>): Promise<RowError[]> {
  const errors: RowError[] = [];
  for (let i = 0; i < rows.length; i += 90) {
    const chunk = rows.slice(i, i + 90);
    const { results } = await db
      .prepare(`SELECT handle, creator_id FROM brand_creators WHERE brand_id = ? AND handle IN (${chunk.map(() => '?').join(', ')})`)
      .bind(brandId, ...chunk.map((r) => r.handle))
      .all<{ handle: string; creator_id: string }>();
    const owner = new Map(results.map((r) => [r.handle, r.creator_id]));
    for (const r of chunk) {
      const holder = owner.get(r.handle);
      if (holder && holder !== accounts.get(r.email)) errors.push({ line: r.line, field: 'handle', message: 'Another creator on your roster has this handle.' });
    }
  }
  return errors;
}

// A creator already on the roster keeps the handle the brand gave them, whatever a later file says: their
// links and codes are made from it.
// The accounts among `rows` that Chorus has already, each once.
const knownAccounts = (rows: ImportRow[], accounts: Map<string, string | null>) => [...new Set(rows.map((r) => accounts.get(r.email)).filter((id): id is string => Boolean(id)))];

export async function withRosterHandles(db: D1Database, brandId: string, rows: ImportRow[], accounts: Map<string, string | null>): Promise<ImportRow[]> {
  const ids = knownAccounts(rows, accounts);
  const handles = new Map<string, string>();
  for (let i = 0; i < ids.length; i += 90) {
    const chunk = ids.slice(i, i + 90);
    const { results } = await db
      .prepare(`SELECT creator_id, handle FROM brand_creators WHERE brand_id = ? AND creator_id IN (${chunk.map(() => '?').join(', ')})`)
      .bind(brandId, ...chunk)
      .all<{ creator_id: string; handle: string }>();
    for (const r of results) handles.set(r.creator_id, r.handle);
  }
  return rows.map((r) => {
    const handle = handles.get(accounts.get(r.email) ?? '');
    return handle ? { ...r, handle } : r;
  });
}

// Creators the brand removed from this campaign: importing them again would leave them removed, so each is a
// row error pointing at their creator page, where a removal is undone.
export async function removedFromCampaign(db: D1Database, brandId: string, campaignId: string, rows: ImportRow[], accounts: Map<string, string | null>): Promise<RowError[]> {
  const ids = knownAccounts(rows, accounts);
  const removed = new Set<string>();
  for (let i = 0; i < ids.length; i += 90) {
    const chunk = ids.slice(i, i + 90);
    const { results } = await db
      .prepare(`SELECT creator_id FROM enrollments WHERE brand_id = ? AND campaign_id = ? AND status = 'removed' AND creator_id IN (${chunk.map(() => '?').join(', ')})`)
      .bind(brandId, campaignId, ...chunk)
      .all<{ creator_id: string }>();
    for (const r of results) removed.add(r.creator_id);
  }
  return rows
    .filter((r) => removed.has(accounts.get(r.email) ?? ''))
    .map((r) => ({ line: r.line, field: 'email', message: 'You removed this creator from the campaign. Restore them on their creator page instead.' }));
}

// Rows whose code cannot be made: the pattern gives no valid code for the handle, or another creator of
// the brand holds it (in any campaign). A creator who has a code in this campaign already gets no new one,
// so nothing is checked for them.
export async function codeProblems(db: D1Database, brandId: string, campaignId: string, rows: ImportRow[], pattern: string, accounts: Map<string, string | null>): Promise<RowError[]> {
  const errors: RowError[] = [];
  const wanted: { row: ImportRow; code: string }[] = [];
  // Handles that differ only in . or - (sarah.glow, sarah-glow, sarahglow) make one code: the first row keeps it.
  const firstLine = new Map<string, number>();
  for (const row of rows) {
    const code = codeFromPattern(pattern, row.handle);
    const earlier = code ? firstLine.get(code) : undefined;
    if (!code) errors.push({ line: row.line, field: 'code', message: `The code pattern ${pattern} makes no valid code for this handle (3-32 letters, digits, _ or -).` });
    else if (earlier !== undefined) errors.push({ line: row.line, field: 'code', message: `${code} is also the code for line ${earlier}'s handle; use another code pattern, or give this creator a code of their own later.` });
    else firstLine.set(code, row.line), wanted.push({ row, code });
  }
  for (let i = 0; i < wanted.length; i += 45) {
    const chunk = wanted.slice(i, i + 45);
    const ids = chunk.map((w) => accounts.get(w.row.email) ?? '');
    const [held, coded] = await db.batch([
      codeHoldersStatement(db, brandId, chunk.map((w) => w.code)),
      db
        .prepare(
          `SELECT DISTINCT e.creator_id FROM enrollments e JOIN discount_codes d ON d.enrollment_id = e.id
           WHERE e.campaign_id = ? AND e.creator_id IN (${chunk.map(() => '?').join(', ')})`,
        )
        .bind(campaignId, ...ids),
    ]);
    const holders = codeHolderMap(held);
    const hasCode = new Set(((coded?.results ?? []) as { creator_id: string }[]).map((r) => r.creator_id));
    for (const [j, { row, code }] of chunk.entries()) {
      const holder = holders.get(code);
      const same = holder?.creatorId === ids[j];
      if (!holder || hasCode.has(ids[j]!) || (same && holder.campaignId === campaignId)) continue;
      errors.push({ line: row.line, field: 'code', message: `${code} is already ${same ? "this creator's code in another campaign" : "another creator's code"}; use another code pattern for this campaign.` });
    }
  }
  return errors;
}

// Tags a row would add past the limits: a creator's own (with the tags the brand gave them already) and the brand's
// distinct tags, counted in file order so the rows before the limit keep theirs.
export async function tagProblems(db: D1Database, brandId: string, rows: ImportRow[], accounts: Map<string, string | null>): Promise<RowError[]> {
  const tagged = rows.filter((r) => r.tags.length > 0);
  if (tagged.length === 0) return [];
  const [fresh, held] = await Promise.all([tagsNewToBrand(db, brandId, tagged.flatMap((r) => r.tags)), tagsByCreator(db, brandId, knownAccounts(tagged, accounts))]);
  const newToBrand = new Set(fresh);
  const inUse = newToBrand.size > 0 ? await brandTagCount(db, brandId) : 0;
  const added = new Set<string>();
  const errors: RowError[] = [];
  for (const r of tagged) {
    const count = tagsOverCreatorLimit(held.get(accounts.get(r.email) ?? '') ?? [], r.tags);
    const over = tagsOverBrandLimit(inUse + added.size, r.tags.filter((t) => newToBrand.has(t) && !added.has(t)));
    if (count > 0) errors.push({ line: r.line, field: 'tags', message: `With the tags they have already, this creator would have ${count}: at most ${MAX_TAGS_PER_CREATOR}.` });
    else if (over.length > 0) errors.push({ line: r.line, field: 'tags', message: `Your brand would use more than ${MAX_TAGS_PER_BRAND} different tags (new here: ${over.join(', ')}). Reuse tags you have.` });
    else for (const t of r.tags) if (newToBrand.has(t)) added.add(t);
  }
  return errors;
}

// What stands in the way of importing these rows into the campaign, checked as the import will write them:
// each address as the brand means it (accountFor), a creator already on the roster under their roster handle.
// `rows` comes back in that form, with the accounts, for the import and freeCodePattern.
export async function checkRows(db: D1Database, brandId: string, campaignId: string, planned: ImportRow[], pattern: string) {
  const accounts = await accountsFor(db, brandId, planned.map((r) => r.email));
  const rows = await withRosterHandles(db, brandId, planned, accounts);
  const errors = [
    ...(await conflictingHandles(db, brandId, rows, accounts)),
    ...(await removedFromCampaign(db, brandId, campaignId, rows, accounts)),
    ...(await codeProblems(db, brandId, campaignId, rows, pattern, accounts)),
    ...(await tagProblems(db, brandId, rows, accounts)),
  ];
  return { rows, accounts, errors };
}

// A brand's second campaign with returning creators: {HANDLE}15 is what they hold from the first, so every
// returning row clashes. A pattern from this campaign's name ({HANDLE}WINTER, then {HANDLE}15W…) that gives
// every row a code of its own; null when neither does.
export async function freeCodePattern(db: D1Database, brandId: string, campaignId: string, campaignName: string, rows: ImportRow[], current: string, accounts: Map<string, string | null>): Promise<string | null> {
  const word = (campaignName.normalize('NFKD').toUpperCase().match(/[A-Z0-9]+/g) ?? []).find((w) => w.length >= 3)?.slice(0, 8);
  if (!word) return null;
  const digits = /\d+/.exec(current)?.[0] ?? '';
  for (const candidate of [`{HANDLE}${word}`, `{HANDLE}${digits}${word.slice(0, 3)}`]) {
    if (candidate === current || candidate.length > 40) continue;
    if ((await codeProblems(db, brandId, campaignId, rows, candidate, accounts)).length === 0) return candidate;
  }
  return null;
}

// The import's one audit row, written with each chunk (so an import that stops part-way still shows what
// it wrote up to where) and completed with the counts at the end.
export type ImportAudit = { id: string; actor: { type: 'api_key' | 'admin_user'; id: string }; skipped: number };

export function importAuditStatement(db: D1Database, t: Pick<ImportTarget, 'brandId' | 'campaignId'>, audit: ImportAudit, details: Record<string, unknown>, at: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO audit_log (id, brand_id, actor_type, actor_id, action, target_type, target_id, details, at) VALUES (?, ?, ?, ?, 'creators.imported', 'campaign', ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET details = excluded.details, at = excluded.at`,
    )
    .bind(audit.id, t.brandId, audit.actor.type, audit.actor.id, t.campaignId, JSON.stringify({ ...details, skipped: audit.skipped }), at);
}

// Rows imported in one go by a feature of its own (an approved application, a copied campaign), with the import's
// audit row completed; `details` say where they came from.
export async function importWhole(db: D1Database, t: ImportTarget, rows: ImportRow[], actor: ImportAudit['actor'], details: Record<string, unknown>): Promise<ImportResult['created']> {
  const audit = { id: newId('aud'), actor, skipped: 0 };
  const created = await importCreators(db, t, rows, audit);
  await importAuditStatement(db, t, audit, { rows: rows.length, created, complete: true, ...details }, Date.now()).run();
  return created;
}

export async function importCreators(
  db: D1Database,
  t: ImportTarget,
  rows: ImportRow[],
  audit: ImportAudit,
  onProgress: (done: number, total: number) => void | Promise<void> = () => {},
): Promise<ImportResult['created']> {
  const created = { creators: 0, enrollments: 0, links: 0, codes: 0, invites: 0 };
  const now = Date.now();
  for (let i = 0; i < rows.length; i += ROWS_PER_CHUNK) {
    const chunk = rows.slice(i, i + ROWS_PER_CHUNK);
    const n = chunk.length;
    const tokens = await Promise.all(chunk.map(async (r) => sha256Hex(await inviteToken(t.secretsKey, t.brandId, r.email))));
    // Fixed parameters come first (?1 the brand, then the statement's own), the rows' values after them.
    const results = await db.batch([
      db
        .prepare(
          `INSERT INTO creators (id, email, handle, display_name, created_at)
           SELECT v.column1, v.column2, v.column3, v.column4, ?2 FROM (VALUES ${numbered(n, 4, 3)}) v WHERE ${accountFor('?1', 'v.column2')} IS NULL
             -- Nor for a row whose handle another roster creator took meanwhile: it joins no roster below.
             AND NOT EXISTS (SELECT 1 FROM brand_creators h WHERE h.brand_id = ?1 AND h.handle = v.column3)
           ON CONFLICT DO NOTHING`,
        )
        .bind(t.brandId, now, ...chunk.flatMap((r) => [newId('cr'), r.email, r.handle, r.name])),
      db
        .prepare(
          `INSERT INTO brand_creators (brand_id, creator_id, handle, display_name, email, niche, platform, follower_count, created_at)
           SELECT ?1, c.id, v.column5, v.column6, v.column1, v.column2, v.column3, v.column4, ?2 FROM (VALUES ${numbered(n, 6, 3)}) v
           JOIN creators c ON c.id = ${accountFor('?1', 'v.column1')} WHERE true
           ON CONFLICT DO NOTHING`,
        )
        .bind(t.brandId, now, ...chunk.flatMap((r) => [r.email, r.niche, r.platform, r.followerCount, r.handle, r.name])),
      db
        .prepare(
          `INSERT INTO enrollments (id, brand_id, campaign_id, creator_id, payment_model, flat_fee_minor, brief_section, status, created_at)
           SELECT v.column1, ?1, ?2, r.creator_id, v.column3, v.column4, v.column5, 'invited', ?3 FROM (VALUES ${numbered(n, 5, 4)}) v
           JOIN brand_creators r ON r.brand_id = ?1 AND r.creator_id = ${accountFor('?1', 'v.column2')} WHERE true
           ON CONFLICT DO NOTHING`,
        )
        .bind(t.brandId, t.campaignId, now, ...chunk.flatMap((r) => [newId('enr'), r.email, r.paymentModel, r.flatFeeMinor, r.briefSection])),
      db
        .prepare(
          `INSERT INTO links (id, brand_id, enrollment_id, slug, destination, status, created_at, updated_at)
           SELECT v.column1, ?1, e.id, replace(replace(r.handle, '_', '-'), '.', '-') || '-' || v.column2, ?3, 'active', ?4, ?4 FROM (VALUES ${numbered(n, 3, 5)}) v
           JOIN brand_creators r ON r.brand_id = ?1 AND r.creator_id = ${accountFor('?1', 'v.column3')} JOIN enrollments e ON e.campaign_id = ?2 AND e.creator_id = r.creator_id
           WHERE NOT EXISTS (SELECT 1 FROM links l WHERE l.enrollment_id = e.id)
           ON CONFLICT DO NOTHING`,
        )
        .bind(t.brandId, t.campaignId, t.destination, now, ...chunk.flatMap((r) => [newId('lnk'), slugSuffix(), r.email])),
      db
        .prepare(
          `INSERT INTO discount_codes (id, brand_id, enrollment_id, code, discount_type, discount_value, redemptions, status, created_at)
           SELECT v.column1, ?1, e.id, v.column2, 'percent', ?3, 0, 'active', ?4 FROM (VALUES ${numbered(n, 3, 5)}) v
           JOIN enrollments e ON e.campaign_id = ?2 AND e.creator_id = ${accountFor('?1', 'v.column3')}
           WHERE v.column2 IS NOT NULL AND NOT EXISTS (SELECT 1 FROM discount_codes d WHERE d.enrollment_id = e.id)
           ON CONFLICT DO NOTHING`,
        )
        .bind(t.brandId, t.campaignId, t.discountPercent, now, ...chunk.flatMap((r) => [newId('dc'), codeFromPattern(t.codePattern, r.handle), r.email])),
      // Only for a creator this brand has (a row whose handle was taken meanwhile is on no roster).
      db
        .prepare(
          `INSERT INTO account_tokens (token_hash, purpose, creator_id, brand_id, expires_at, created_at)
           SELECT v.column1, 'invite', r.creator_id, ?1, ?2, ?3 FROM (VALUES ${numbered(n, 2, 4)}) v
           JOIN brand_creators r ON r.brand_id = ?1 AND r.creator_id = ${accountFor('?1', 'v.column2')} WHERE true
           ON CONFLICT(token_hash) DO UPDATE SET expires_at = excluded.expires_at, created_at = excluded.created_at
             WHERE account_tokens.expires_at <= excluded.created_at`,
        )
        .bind(t.brandId, now + INVITE_TTL_MS, now, ...chunk.flatMap((r, j) => [tokens[j], r.email])),
      importAuditStatement(db, t, audit, { rows: rows.length, throughLine: chunk[n - 1]!.line, complete: false }, now),
      ...tagStatements(db, t.brandId, chunk),
    ]);
    const changes = results.map((r) => r.meta.changes ?? 0);
    // New on this roster, not new to Chorus: whether an address already had an account is not the brand's to learn.
    created.creators += changes[1] ?? 0;
    created.enrollments += changes[2] ?? 0;
    created.links += changes[3] ?? 0;
    created.codes += changes[4] ?? 0;
    created.invites += changes[5] ?? 0;
    await onProgress(Math.min(rows.length, i + n), rows.length);
  }
  return created;
}

// The chunk's tags, added to what each creator has (a tag of the brand's copy erased meanwhile is not). A row's tags
// are added only while the creator's whole set stays within MAX_TAGS_PER_CREATOR, and, if it brings the brand a new
// tag, while the brand's different tags with the whole chunk's stay within MAX_TAGS_PER_BRAND: saves since the file
// was checked may have taken that room, and both limits hold at the write, not only at the check.
function tagStatements(db: D1Database, brandId: string, chunk: ImportRow[]): D1PreparedStatement[] {
  const tagged = chunk.filter((r) => r.tags.length > 0);
  if (tagged.length === 0) return [];
  return [
    db
      .prepare(
        `INSERT INTO creator_tags (brand_id, creator_id, tag)
         SELECT ?1, r.creator_id, j.value FROM (VALUES ${numbered(tagged.length, 2, 2)}) v
         JOIN brand_creators r ON r.brand_id = ?1 AND r.creator_id = ${accountFor('?1', 'v.column1')} JOIN json_each(v.column2) j
         WHERE r.erased_at IS NULL
           AND (SELECT count(*) FROM (SELECT t.tag FROM creator_tags t WHERE t.brand_id = ?1 AND t.creator_id = r.creator_id UNION SELECT n.value FROM json_each(v.column2) n)) <= ${MAX_TAGS_PER_CREATOR}
           AND ${withinBrandLimit('?1', "''", 'v.column2', `?${2 + 2 * tagged.length}`)}
         ON CONFLICT DO NOTHING`,
      )
      .bind(brandId, ...tagged.flatMap((r) => [r.email, JSON.stringify(r.tags)]), JSON.stringify([...new Set(tagged.flatMap((r) => r.tags))])),
  ];
}

type InviteState = { email: string; handle: string; display_name: string; accepted: number; slug: string | null; code: string | null };

// The invite sheet for a set of emails (or the whole campaign), derived from what is stored now.
export async function inviteRows(db: D1Database, t: Pick<ImportTarget, 'brandId' | 'campaignId' | 'origin' | 'secretsKey'>, lines?: Map<string, number>): Promise<InviteRow[]> {
  const emails = lines ? [...lines.keys()] : null;
  const states: InviteState[] = [];
  const base = `SELECT c.email, c.handle, c.display_name, e.status <> 'invited' AND c.accepted_at IS NOT NULL AS accepted,
      (SELECT slug FROM links l WHERE l.enrollment_id = e.id ORDER BY l.created_at LIMIT 1) AS slug,
      (SELECT code FROM discount_codes d WHERE d.enrollment_id = e.id ORDER BY d.created_at LIMIT 1) AS code
    FROM enrollments e JOIN roster c ON c.brand_id = e.brand_id AND c.creator_id = e.creator_id WHERE e.campaign_id = ? AND +e.brand_id = ? AND e.status <> 'removed'`;
  if (emails) {
    for (let i = 0; i < emails.length; i += 90) {
      const chunk = emails.slice(i, i + 90);
      states.push(...(await db.prepare(`${base} AND c.email IN (${chunk.map(() => '?').join(', ')})`).bind(t.campaignId, t.brandId, ...chunk).all<InviteState>()).results);
    }
  } else {
    states.push(...(await db.prepare(`${base} ORDER BY c.handle`).bind(t.campaignId, t.brandId).all<InviteState>()).results);
  }
  const now = Date.now();
  const tokens = await Promise.all(states.map((st) => inviteToken(t.secretsKey, t.brandId, st.email)));
  const hashes = await Promise.all(tokens.map(sha256Hex));
  const stored = new Map<string, { expires_at: number }>();
  for (let i = 0; i < hashes.length; i += 90) {
    const chunk = hashes.slice(i, i + 90);
    const { results } = await db.prepare(`SELECT token_hash, expires_at FROM account_tokens WHERE token_hash IN (${chunk.map(() => '?').join(', ')})`).bind(...chunk).all<{ token_hash: string; expires_at: number }>();
    for (const r of results) stored.set(r.token_hash, r);
  }
  // Accepted once the creator pressed Accept on this campaign in their portal (a creator who accepted the
  // brand before still accepts each new campaign). Until then the row reads the same whether or not the
  // address has a Chorus account (its link's page offers both): a brand learns nothing about what a creator
  // does with other brands.
  const rows: InviteRow[] = states.map((s, i) => {
    const token = stored.get(hashes[i]!);
    const status: InviteRow['status'] = s.accepted ? 'accepted' : !token || token.expires_at <= now ? 'expired' : 'invite';
    return {
      line: lines?.get(s.email) ?? null,
      email: s.email,
      handle: s.handle,
      name: s.display_name,
      status,
      inviteUrl: status === 'invite' ? `${t.origin}/invite/${tokens[i]}` : null,
      link: s.slug ? trackedLinkUrl(t.origin, s.slug) : null,
      code: s.code,
    };
  });
  return rows.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || a.handle.localeCompare(b.handle));
}

export function invitesCsv(rows: InviteRow[]): string {
  const header = csvLine(['line', 'email', 'handle', 'name', 'status', 'invite_url', 'tracked_link', 'discount_code'].map(csvText));
  return header + rows.map((r) => csvLine([r.line === null ? '""' : String(r.line), ...[r.email, r.handle, r.name, r.status, r.inviteUrl, r.link, r.code].map(csvText)])).join('');
}

