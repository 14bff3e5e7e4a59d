// Settings → Activity (/console/activity): the brand's audit log, for every role; it only reads.
import { Hono } from 'hono';
import { ActivityPage } from '../../../../portal/console/activity';
import { ACTIVITY_AREAS, listActivity, type ActivityArea } from '../../../db/activity';
import { decodeCursor, pageOf } from '../../../lib/cursor';
import { viewerOf } from './campaigns';
import { renderPage, type ConsoleEnv } from './context';
import { awaitingReview } from './queries';

export const activityRoutes = new Hono<ConsoleEnv>();

const PAGE = 50;

activityRoutes.get('/activity', async (c) => {
  const rawArea = c.req.query('area') ?? '';
  const area = Object.hasOwn(ACTIVITY_AREAS, rawArea) ? (rawArea as ActivityArea) : null;
  // A cursor that does not decode (edited by hand) starts at the newest, as a page link would.
  const after = decodeCursor(c.req.query('cursor') ?? '') ?? undefined;
  const [rows, toReview] = await Promise.all([listActivity(c.env.DB, c.var.user.brandId, { area: area ?? undefined, after, limit: PAGE + 1 }), awaitingReview(c.env.DB, c.var.user.brandId)]);
  const page = pageOf(rows, PAGE, (r) => ({ at: r.at, id: r.id }));
  return renderPage(c, <ActivityPage viewer={viewerOf(c)} area={area} rows={page.rows} nextCursor={page.nextCursor} paged={after !== undefined} toReview={toReview} />);
});
