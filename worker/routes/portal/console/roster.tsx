// Creators (/console/creators): the brand's whole roster across campaigns, for every role; it only reads.
import { Hono } from 'hono';
import { RosterPage, type RosterCampaign } from '../../../../portal/console/roster';
import { decodeCursor, pageOf } from '../../../lib/cursor';
import { viewerOf } from './campaigns';
import { renderPage, type ConsoleEnv } from './context';
import { awaitingReview, listRoster } from './queries';

export const rosterRoutes = new Hono<ConsoleEnv>();

const PAGE = 50;

rosterRoutes.get('/creators', async (c) => {
  const { brandId } = c.var.user;
  // Search words are trimmed and bounded; control characters would match nothing a handle, name or email holds.
  const q = (c.req.query('q') ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 100);
  // A cursor that does not decode (edited by hand) starts at the newest, as a page link would.
  const after = decodeCursor(c.req.query('cursor') ?? '') ?? undefined;
  const [rows, total, toReview] = await Promise.all([
    listRoster(c.env.DB, brandId, { q, after, limit: PAGE + 1 }),
    c.env.DB.prepare('SELECT count(*) AS n FROM brand_creators WHERE brand_id = ?').bind(brandId).first<{ n: number }>(),
    awaitingReview(c.env.DB, brandId),
  ]);
  const page = pageOf(rows, PAGE, (r) => ({ at: r.created_at, id: r.creator_id }));
  const entries = page.rows.map((r) => ({
    creatorId: r.creator_id,
    handle: r.handle,
    displayName: r.display_name,
    email: r.email,
    audience: [r.platform, r.niche, r.follower_count === null ? null : `${new Intl.NumberFormat('en', { notation: 'compact' }).format(r.follower_count)} followers`].filter(Boolean).join(' · '),
    acceptedAt: r.accepted_at,
    addedAt: r.created_at,
    earned: r.earned,
    campaigns: (JSON.parse(r.campaigns) as RosterCampaign[]).sort((a, b) => a.name.localeCompare(b.name)),
  }));
  return renderPage(c, <RosterPage viewer={viewerOf(c)} q={q} rows={entries} total={total?.n ?? 0} nextCursor={page.nextCursor} paged={after !== undefined} toReview={toReview} />);
});
