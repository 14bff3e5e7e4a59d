// The content library over the API: approved and live content across the brand's campaigns with the usage
// rights each creator granted (db/content-library.ts), as a list a page at a time and as a CSV, one piece with the
// history of its extension requests, and the requests themselves (db/rights-extensions.ts): ask, withdraw.
import { Hono } from 'hono';
import { z } from 'zod';
import { contentCsvResponse, contentPosition, getContent, listContent, RIGHTS_FILTERS, type ContentRow } from '../../db/content-library';
import { askRightsExtension, extensionsOf, latestExtensions, rightsExtensionView, tellCreator, withdrawRightsExtension, type RightsExtensionRow } from '../../db/rights-extensions';
import { rightsExtensionInput } from '../../domain/rights-extensions';
import { grantView } from '../../domain/usage-rights';
import { mailLinkOrigin, type AppEnv } from '../../env';
import { cursorParam, pageOf } from '../../lib/cursor';
import { notFound } from '../../lib/errors';
import { ID_PATTERN } from '../../lib/ids';
import { iso, valid } from '../../lib/validate';
import { routeDescriber } from '../../openapi/registry';
import { ContentDetail, ContentItem, dataOf, pagedListOf, RightsExtension } from '../../openapi/schemas';

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

export function contentView(r: ContentRow, now: number, latest: RightsExtensionRow | null) {
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
    rightsExtension: latest ? rightsExtensionView(latest) : null,
    updatedAt: iso(r.updated_at),
  };
}

const submissionId = { submissionId: 'The submission id of the approved or live content.' };

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
      const latest = await latestExtensions(c.env.DB, c.var.admin.brandId, page.rows.map((r) => r.id));
      return c.json({ data: page.rows.map((r) => contentView(r, now, latest.get(r.id) ?? null)), hasMore: page.hasMore, nextCursor: page.nextCursor });
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
  )
  .get(
    '/:submissionId',
    op({
      summary: 'One piece of content, with its rights history',
      description: 'As the library lists it, with every request to extend its rights, newest first (`rightsExtensions`): what was asked, the answer, and for an acceptance the words the creator accepted and the ends before and after. Approved and live content only; anything else, or another brand\'s, is 404.',
      params: submissionId,
      responses: { 200: { description: 'The content.', schema: dataOf(ContentDetail) } },
      errors: { 404: ['not_found'] },
    }),
    async (c) => {
      const { brandId } = c.var.admin;
      const id = c.req.param('submissionId');
      const row = ID_PATTERN.test(id) ? await getContent(c.env.DB, brandId, id) : null;
      if (!row) throw notFound('content');
      const history = await extensionsOf(c.env.DB, brandId, row.id);
      return c.json({ data: { ...contentView(row, Date.now(), history[0] ?? null), rightsExtensions: history.map(rightsExtensionView) } });
    },
  )
  .post(
    '/:submissionId/rights-extension',
    op({
      summary: 'Ask the creator to extend the usage rights',
      description:
        "Asks the creator who granted rights on this content (in force, ending or expired) for more: `days` added to the grant's end (counted from the day they accept, if it has ended by then) or `\"noEnd\": true`, uses to add (`scopes`, such as `paid`), a fee (`feeMinor`, in your brand's currency, paid as a bonus on their ledger when they accept, so it lands in that month's payouts) and a note. The creator is emailed once (not at once when another of your requests, still waiting for them, reached them within the day: every request waits on their home page, and those still waiting are mailed together a day after that mail; `creatorMailed` says which) and accepts or declines it in their portal; an acceptance records the request in the words they read, moves the grant's end and adds the uses, and the original grant stays as it was given. One open request per piece of content: another is 409 `rights_extension_open` (`details.requestId`; withdraw it first). 409 `rights_not_granted`: no grant to extend (none asked, or not approved); `enrollment_removed`: the creator left the campaign, was removed, or was invited back and has not rejoined; `grant_has_no_end`: `days` on a grant without an end; `nothing_to_extend`: a grant without an end and only uses it has. Audited as `submission.rights_extension_asked`; the answer as `submission.rights_extension_accepted` or `…_declined`.",
      params: submissionId,
      example: { days: 180, scopes: ['paid'], feeMinor: 15_000, note: 'For the spring paid campaign.' },
      responses: { 201: { description: 'The request, open.', schema: dataOf(RightsExtension) } },
      errors: { 404: ['not_found'], 409: ['rights_not_granted', 'enrollment_removed', 'creator_not_accepted', 'grant_has_no_end', 'nothing_to_extend', 'rights_extension_open'], 503: ['public_origin_unset'] },
    }),
    valid('json', rightsExtensionInput),
    async (c) => {
      const { brandId, keyId } = c.var.admin;
      const id = c.req.param('submissionId');
      if (!ID_PATTERN.test(id)) throw notFound('submission');
      const asked = await askRightsExtension(c.env.DB, brandId, id, c.req.valid('json'), { type: 'api_key', id: keyId }, mailLinkOrigin(c));
      // Handed on before answering, so `creatorMailed` says whether the mail went.
      return c.json({ data: rightsExtensionView(await tellCreator(c.env, asked)) }, 201);
    },
  )
  .post(
    '/:submissionId/rights-extension/withdraw',
    op({
      summary: 'Withdraw the open request to extend the rights',
      description: "The creator can no longer accept it (their answer is then 409); the request stays in the content's history as `withdrawn`. 409 `rights_extension_not_open` when none is waiting. Audited as `submission.rights_extension_withdrawn`.",
      params: submissionId,
      responses: { 200: { description: 'The request, withdrawn.', schema: dataOf(RightsExtension) } },
      errors: { 404: ['not_found'], 409: ['rights_extension_not_open'] },
    }),
    async (c) => {
      const { brandId, keyId } = c.var.admin;
      const id = c.req.param('submissionId');
      if (!ID_PATTERN.test(id)) throw notFound('submission');
      return c.json({ data: rightsExtensionView(await withdrawRightsExtension(c.env.DB, brandId, id, { type: 'api_key', id: keyId })) });
    },
  );
