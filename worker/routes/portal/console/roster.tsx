// Creators (/console/creators): the brand's whole roster across campaigns, for every role; it only reads.
import { Hono } from 'hono';
import { currentTerms, standingsOf } from '../../../db/program-terms';
import { RosterPage, type RosterCampaign } from '../../../../portal/console/roster';
import { formatAmount } from '../../../../portal/format';
import { csvAttachment, csvLine, csvNumber, csvText, pagedCsvStream } from '../../../lib/csv';
import { decodeCursor, keysetPages, pageOf, type Position } from '../../../lib/cursor';
import { viewerOf } from './campaigns';
import { canWrite, renderPage, type ConsoleEnv } from './context';
import { awaitingReview, listRoster, type RosterRow } from './queries';
import { parseTags } from '../../../db/creator-tags';
import { normalizeTag } from '../../../domain/creator-tags';

export const rosterRoutes = new Hono<ConsoleEnv>();

const PAGE = 50;

// A creator's campaigns with the brand, by name.
const campaignsOf = (r: RosterRow): RosterCampaign[] => (JSON.parse(r.campaigns) as RosterCampaign[]).sort((a, b) => a.name.localeCompare(b.name));
const CSV_PAGE = 200;

// Search words are trimmed and bounded; control characters would match nothing a handle, name or email holds.
const searchOf = (raw: string | undefined) => (raw ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 100);
// ?tag= read as tags are stored. One that is no tag (edited by hand) matches no creator, and is shown with its control
// characters as �, not dropped: dropped, `%01` read as no filter and `u%01k` as the tag uk.
function tagOf(raw: string | undefined): { shown: string; tag: string | null } | undefined {
  const typed = (raw ?? '').slice(0, 64);
  if (typed.trim() === '') return undefined;
  const tag = normalizeTag(typed);
  return { shown: tag ?? typed.replace(/[\u0000-\u001f\u007f]/g, '\uFFFD').trim(), tag };
}

rosterRoutes.get('/creators', async (c) => {
  const { brandId } = c.var.user;
  const q = searchOf(c.req.query('q'));
  const tag = tagOf(c.req.query('tag'));
  // A cursor that does not decode (edited by hand) starts at the newest, as a page link would.
  const after = decodeCursor(c.req.query('cursor') ?? '') ?? undefined;
  const [rows, total, toReview] = await Promise.all([
    listRoster(c.env.DB, brandId, { q, tag: tag?.tag, after, limit: PAGE + 1 }),
    c.env.DB.prepare('SELECT count(*) AS n FROM brand_creators WHERE brand_id = ?').bind(brandId).first<{ n: number }>(),
    awaitingReview(c.env.DB, brandId),
  ]);
  const page = pageOf(rows, PAGE, (r) => ({ at: r.created_at, id: r.creator_id }));
  const [terms, standings] = await Promise.all([currentTerms(c.env.DB, brandId), standingsOf(c.env.DB, brandId, page.rows.map((r) => r.creator_id))]);
  const entries = page.rows.map((r) => ({
    handle: r.handle,
    displayName: r.display_name,
    email: r.email,
    audience: [r.platform, r.niche, r.follower_count === null ? null : `${new Intl.NumberFormat('en', { notation: 'compact' }).format(r.follower_count)} followers`].filter(Boolean).join(' · '),
    acceptedAt: r.accepted_at,
    termsVersion: terms ? (standings.get(r.creator_id)?.version ?? 0) : null,
    currentTerms: terms?.version ?? null,
    addedAt: r.created_at,
    earned: r.earned,
    campaigns: campaignsOf(r),
    tags: parseTags(r.tags),
  }));
  return renderPage(c, <RosterPage viewer={viewerOf(c)} canExport={canWrite(c.var.user)} q={q} tag={tag?.shown ?? ''} rows={entries} total={total?.n ?? 0} nextCursor={page.nextCursor} paged={after !== undefined} toReview={toReview} />);
});

// The roster as a spreadsheet (the search and tag, if any, applied): owners and managers, as every console CSV with
// email addresses (context.ts). Read a page per pull, so a large roster streams. Amounts in the brand's
// currency as plain numbers; every text cell is neutralised against formulas. Columns added later go last, so a
// sheet or script that reads them by position keeps working.
const CSV_HEADER = ['handle', 'name', 'email', 'platform', 'niche', 'follower_count', 'joined', 'campaigns', 'earned', 'currency', 'tags'];

const csvRow = (r: RosterRow, currency: string) => {
  const campaigns = campaignsOf(r).map((e) => (e.status === 'active' ? e.name : `${e.name} (${e.status})`));
  return csvLine([
    csvText(r.handle),
    csvText(r.display_name),
    csvText(r.email),
    csvText(r.platform),
    csvText(r.niche),
    r.follower_count === null ? '' : csvNumber(r.follower_count),
    csvText(r.accepted_at === null ? '' : new Date(r.accepted_at).toISOString()),
    csvText(campaigns.join('; ')),
    csvNumber(formatAmount(r.earned, currency)),
    csvText(currency),
    csvText(parseTags(r.tags).join('; ')),
  ]);
};

/** The roster CSV, `filter` applied, a keyset page per pull. */
export function rosterCsvStream(db: D1Database, brandId: string, currency: string, filter: { q: string; tag?: string | null }, pageSize = CSV_PAGE): ReadableStream<Uint8Array> {
  const pages = keysetPages((after: Position | undefined, limit) => listRoster(db, brandId, { ...filter, after, limit }), (r) => ({ at: r.created_at, id: r.creator_id }), pageSize);
  return pagedCsvStream(CSV_HEADER, pages, (rows) => rows.map((r) => csvRow(r, currency)).join(''));
}

rosterRoutes.get('/creators.csv', (c) => {
  const { brandId, brandSlug, currency } = c.var.user;
  const body = rosterCsvStream(c.env.DB, brandId, currency, { q: searchOf(c.req.query('q')), tag: tagOf(c.req.query('tag'))?.tag });
  return csvAttachment(body, `chorus-creators-${brandSlug}.csv`);
});
