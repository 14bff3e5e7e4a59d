// The content library in the console (portal/console/content.tsx): read by every role; its CSV, like every
// console download, needs an owner or manager (enforceRole).
import { Hono } from 'hono';
import { ContentPage, type ContentFilters } from '../../../../portal/console/content';
import { contentCsvResponse, contentPosition, listContent, RIGHTS_FILTERS } from '../../../db/content-library';
import { decodeCursor, pageOf } from '../../../lib/cursor';
import { ID_PATTERN } from '../../../lib/ids';
import { viewerOf } from './campaigns';
import { canWrite, renderPage, type ConsoleContext, type ConsoleEnv } from './context';
import { awaitingReview, campaignOptions } from './queries';

export const contentRoutes = new Hono<ConsoleEnv>();

const CONTENT_PER_PAGE = 50;

// A filter the page did not offer (an edited URL) is dropped rather than refused, as the orders page does; a
// campaign of another brand's matches nothing (the query is scoped by brand).
function filtersOf(c: ConsoleContext): ContentFilters {
  const campaign = (c.req.query('campaign') ?? '').trim();
  const rights = (c.req.query('rights') ?? '').trim();
  return { campaignId: ID_PATTERN.test(campaign) ? campaign : null, rights: RIGHTS_FILTERS.find((r) => r === rights) ?? null };
}

const asFilter = (f: ContentFilters) => ({ campaignId: f.campaignId ?? undefined, rights: f.rights ?? undefined });

contentRoutes.get('/content/export.csv', (c) => {
  const { brandId, brandSlug, timezone } = c.var.user;
  return contentCsvResponse(c.env.DB, { id: brandId, slug: brandSlug, timezone }, asFilter(filtersOf(c)));
});

contentRoutes.get('/content', async (c) => {
  const filters = filtersOf(c);
  const after = decodeCursor((c.req.query('cursor') ?? '').trim()) ?? undefined;
  const { brandId } = c.var.user;
  const now = Date.now();
  const [rows, campaigns, toReview] = await Promise.all([listContent(c.env.DB, brandId, { ...asFilter(filters), after }, CONTENT_PER_PAGE + 1, now), campaignOptions(c.env.DB, brandId), awaitingReview(c.env.DB, brandId)]);
  const page = pageOf(rows, CONTENT_PER_PAGE, contentPosition);
  return renderPage(
    c,
    <ContentPage viewer={viewerOf(c)} canDownload={canWrite(c.var.user)} filters={filters} campaigns={campaigns} items={page.rows} nextCursor={page.nextCursor} paged={after !== undefined} now={now} toReview={toReview} />,
  );
});
