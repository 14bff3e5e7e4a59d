// The content library: a brand's approved and live content across its campaigns, with the usage rights each
// creator granted, newest draft first (by when it was first sent) a keyset page at a time. The console's Content page, its CSV and the
// admin API's GET /content read it here. A removed creator's content stays: what they granted still holds.
import { csvAttachment, csvLine, csvNumber, csvText, pagedCsvStream } from '../lib/csv';
import { afterParams, afterSql, keysetPages, type Position } from '../lib/cursor';
import { iso } from '../lib/validate';
import { METRIC_NAMES } from '../domain/submissions';
import { EXTENSION_COLUMNS, EXTENSION_JOIN, grantState, RIGHTS_STATE_SQL, rightsStateParams, scopesInWords, termsInForce, type GrantRow, type RightsState } from '../domain/usage-rights';
import { dayOf, zoneOrUtc } from '../domain/periods';
import { askInWords } from '../domain/rights-extensions';
import type { RightsScope } from '../domain/usage-rights';

/** The library's rights filter: every state but pending (nothing in the library waits for approval). */
export const RIGHTS_FILTERS = ['active', 'ending', 'expired', 'none'] as const;
export type RightsFilter = (typeof RIGHTS_FILTERS)[number];

export type ContentFilter = { campaignId?: string; rights?: RightsFilter; after?: Position };

export type ContentRow = GrantRow & {
  id: string;
  enrollment_id: string;
  story_format: string;
  status: 'approved' | 'live';
  post_url: string | null;
  draft_url: string;
  views: number;
  likes: number;
  comments: number;
  saves: number;
  shares: number;
  created_at: number;
  updated_at: number;
  creator_id: string;
  handle: string;
  display_name: string;
  campaign_id: string;
  campaign_name: string;
};

const CONTENT_SQL = `SELECT s.id, s.enrollment_id, s.story_format, s.status, s.post_url, s.draft_url, s.views, s.likes, s.comments, s.saves, s.shares,
    s.rights_terms, s.rights_granted_at, s.rights_until, ${EXTENSION_COLUMNS}, s.created_at, s.updated_at, e.creator_id, cr.handle, cr.display_name, c.id AS campaign_id, c.name AS campaign_name
  FROM submissions s JOIN enrollments e ON e.id = s.enrollment_id JOIN roster cr ON cr.brand_id = e.brand_id AND cr.creator_id = e.creator_id JOIN campaigns c ON c.id = e.campaign_id
  ${EXTENSION_JOIN}`;

// Paged on (created_at, id), which no later write moves: by updated_at, a live post reporting new numbers moved
// to the top while someone paged (the CSV pulls page after page as it streams) and was skipped. Served in order
// by submissions_brand_created (brand, created_at, id); the status and the filters narrow it.
export async function listContent(db: D1Database, brandId: string, f: ContentFilter, limit: number, now: number): Promise<ContentRow[]> {
  const where = ["s.brand_id = ?", "s.status IN ('approved', 'live')"];
  const params: unknown[] = [brandId];
  if (f.campaignId) where.push('e.campaign_id = ?'), params.push(f.campaignId);
  if (f.rights) where.push(RIGHTS_STATE_SQL[f.rights]), params.push(...rightsStateParams(f.rights, now));
  if (f.after) where.push(afterSql('s.created_at', 's.id')), params.push(...afterParams(f.after));
  const { results } = await db
    .prepare(`${CONTENT_SQL} WHERE ${where.join(' AND ')} ORDER BY s.created_at DESC, s.id DESC LIMIT ?`)
    .bind(...params, limit)
    .all<ContentRow>();
  return results;
}

/** One piece of the brand's approved or live content, or null. */
export const getContent = (db: D1Database, brandId: string, submissionId: string): Promise<ContentRow | null> =>
  db.prepare(`${CONTENT_SQL} WHERE s.id = ? AND s.brand_id = ? AND s.status IN ('approved', 'live')`).bind(submissionId, brandId).first<ContentRow>();

export const contentPosition = (r: ContentRow): Position => ({ at: r.created_at, id: r.id });

export const CONTENT_CSV_HEADER = ['creator', 'handle', 'campaign', 'status', 'post_url', 'draft_url', ...METRIC_NAMES, 'rights', 'rights_scopes', 'rights_until', 'rights_granted', 'rights_note', 'rights_extensions'];

const STATE_WORDS: Record<RightsState, string> = { none: 'none asked', pending: 'not started', active: 'active', ending: 'ending soon', expired: 'expired' };

// One row of the library's file: every cell a person or a link typed goes through csvText, which neutralises
// formulas (a caption or a name starting with = + - @ opens as text in a spreadsheet). Days are the brand's.
// The uses and the end are those in force: an accepted extension's, over the original grant's. The last cell is
// how they came to be: each accepted extension, oldest first, on the day it was accepted ("2026-11-02: 90 more
// days, adds paid ads, $150.00"), so finance can match the fees to what they bought.
export function contentCsvLine(r: ContentRow, now: number, timeZone: string, extensions: AcceptedExtension[] = []): string {
  const terms = termsInForce(r);
  const zone = zoneOrUtc(timeZone);
  return csvLine([
    csvText(r.display_name),
    csvText(r.handle),
    csvText(r.campaign_name),
    csvText(r.status),
    csvText(r.post_url),
    csvText(r.draft_url),
    ...METRIC_NAMES.map((k) => csvNumber(r[k])),
    csvText(STATE_WORDS[grantState(r, now)]),
    csvText(terms ? scopesInWords(terms) : ''),
    // The last day the rights run, on the brand's calendar (the grant ends at that day's end).
    csvText(terms ? (r.rights_until === null ? (terms.days === null ? 'no end' : '') : dayOf(r.rights_until - 1, zone)) : ''),
    csvText(r.rights_granted_at === null ? '' : iso(r.rights_granted_at)),
    csvText(terms?.note ?? ''),
    csvText(extensions.map((x) => `${dayOf(x.answered_at, zone)}: ${askInWords({ days: x.days, scopes: JSON.parse(x.scopes) as RightsScope[], feeMinor: x.fee_minor, currency: x.currency, note: '' })}`).join('; ')),
  ]);
}

type AcceptedExtension = { submission_id: string; days: number | null; scopes: string; fee_minor: number; currency: string; answered_at: number };

// A page's accepted extensions in one statement, each submission's in the order accepted: an index probe of
// rights_extensions_submission per id (json_each binds a page of ids as one parameter, under D1's limit of 100).
const ACCEPTED_EXTENSIONS_SQL = `SELECT x.submission_id, x.days, x.scopes, x.fee_minor, x.currency, x.answered_at FROM json_each(?1) j
  JOIN rights_extensions x ON x.submission_id = j.value AND x.brand_id = ?2 AND x.status = 'accepted'
  ORDER BY x.submission_id, x.answered_at, x.id`;

async function acceptedExtensions(db: D1Database, brandId: string, ids: string[]): Promise<Map<string, AcceptedExtension[]>> {
  const bySubmission = new Map<string, AcceptedExtension[]>();
  if (ids.length === 0) return bySubmission;
  const { results } = await db.prepare(ACCEPTED_EXTENSIONS_SQL).bind(JSON.stringify(ids), brandId).all<AcceptedExtension>();
  for (const x of results) bySubmission.set(x.submission_id, [...(bySubmission.get(x.submission_id) ?? []), x]);
  return bySubmission;
}

const CSV_PAGE = 500;

/** Every row the filter matches, as the library's CSV, a page per pull. */
export function contentCsvStream(db: D1Database, brand: { id: string; timezone: string }, filter: Omit<ContentFilter, 'after'>): ReadableStream<Uint8Array> {
  const now = Date.now();
  const pages = keysetPages((after: Position | undefined, size) => listContent(db, brand.id, { ...filter, after }, size, now), contentPosition, CSV_PAGE);
  return pagedCsvStream(CONTENT_CSV_HEADER, pages, async (rows) => {
    const extensions = await acceptedExtensions(db, brand.id, rows.filter((r) => r.rights_extension_id !== null).map((r) => r.id));
    return rows.map((r) => contentCsvLine(r, now, brand.timezone, extensions.get(r.id))).join('');
  });
}

export const contentCsvResponse = (db: D1Database, brand: { id: string; slug: string; timezone: string }, filter: Omit<ContentFilter, 'after'>) =>
  csvAttachment(contentCsvStream(db, brand, filter), `chorus-content-${brand.slug}-${new Date().toISOString().slice(0, 10)}.csv`);
