// The content library over the API: approved and live content across the brand's campaigns with the usage
// rights each creator granted (db/content-library.ts), as a list a page at a time and as a CSV. Read-only.
import { Hono } from 'hono';
import { z } from 'zod';
import { contentCsvResponse, contentPosition, listContent, RIGHTS_FILTERS, type ContentRow } from '../../db/content-library';
import { grantView } from '../../domain/usage-rights';
import type { AppEnv } from '../../env';
import { cursorParam, pageOf } from '../../lib/cursor';
import { notFound } from '../../lib/errors';
import { ID_PATTERN } from '../../lib/ids';
import { iso, valid } from '../../lib/validate';
import { routeDescriber } from '../../openapi/registry';
import { ContentItem, pagedListOf } from '../../openapi/schemas';

const filters = {
  campaignId: z.string().regex(ID_PATTERN).optional().meta({ description: "One campaign's content; another brand's campaign matches nothing, as in every list." }),
  rights: z
    .enum(RIGHTS_FILTERS)
    .optional()
    .meta({ description: '`active`: rights in force (those ending soon too); `ending`: ending within 30 days; `expired`: over; `none`: the campaign asked none when the draft was sent.' }),
};

const contentQuery = z.strictObject({
  ...filters,
  limit: z.coerce.number().int().min(1).max(200).default(100),
  cursor: cursorParam.optional().meta({ description: '`nextCursor` of the previous page.' }),
});

export function contentView(r: ContentRow, now: number) {
  return {
    submissionId: r.id,
    enrollmentId: r.enrollment_id,
    creator: { id: r.creator_id, handle: r.handle, name: r.display_name },
    campaign: { id: r.campaign_id, name: r.campaign_name },
    storyFormat: r.story_format,
    status: r.status,
    postUrl: r.post_url,
    draftUrl: r.draft_url,
    metrics: { views: r.views, likes: r.likes, comments: r.comments, saves: r.saves, shares: r.shares },
    rights: grantView(r, now),
    updatedAt: iso(r.updated_at),
  };
}

const op = routeDescriber({ tag: 'Content', auth: 'adminKey' });

export const contentRoutes = new Hono<AppEnv>()
  .get(
    '/',
    op({
      summary: 'The content library',
      description:
        "Approved and live content across the brand's campaigns, newest draft first (by when it was first sent: new numbers or a review move nothing, so no row is skipped or repeated while you page), a page at a time (`limit`, then `cursor` from `nextCursor`), with what the creator granted: the uses, the terms as they saw them, and until when (`rights.until`: the end of the last day, in the brand's timezone). A removed creator's content stays listed: their grant still holds.",
      responses: { 200: { description: 'A page of content.', schema: pagedListOf(ContentItem) } },
    }),
    valid('query', contentQuery),
    async (c) => {
      const q = c.req.valid('query');
      const now = Date.now();
      const rows = await listContent(c.env.DB, c.var.admin.brandId, { campaignId: q.campaignId, rights: q.rights, after: q.cursor }, q.limit + 1, now);
      const page = pageOf(rows, q.limit, contentPosition);
      return c.json({ data: page.rows.map((r) => contentView(r, now)), hasMore: page.hasMore, nextCursor: page.nextCursor });
    },
  )
  .get(
    '/export.csv',
    op({
      summary: 'Export the content library as CSV',
      description:
        "Every item the filters match, as the list orders them: creator, campaign, links, numbers, and the rights (state, uses, last day on the brand's calendar, when granted, the brand's note). Cells a spreadsheet would run as a formula are written as text.",
      responses: { 200: { description: 'RFC 4180 CSV, as an attachment.', contentType: 'text/csv', headers: { 'Content-Disposition': 'attachment; filename="chorus-content-<brand>-<date>.csv"' } } },
      errors: { 404: ['not_found'] },
    }),
    valid('query', z.strictObject(filters)),
    async (c) => {
      const q = c.req.valid('query');
      const brand = await c.env.DB.prepare('SELECT id, slug, timezone FROM brands WHERE id = ?').bind(c.var.admin.brandId).first<{ id: string; slug: string; timezone: string }>();
      if (!brand) throw notFound('brand');
      return contentCsvResponse(c.env.DB, brand, q);
    },
  );
