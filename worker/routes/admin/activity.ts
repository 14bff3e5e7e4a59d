// GET /api/admin/activity: the brand's audit log, as the console's Settings → Activity shows it.
import { Hono } from 'hono';
import { z } from 'zod';
import { ACTIVITY_AREAS, listActivity, type ActivityArea, type ActivityRow } from '../../db/activity';
import type { AppEnv } from '../../env';
import { pageOf, pageParams } from '../../lib/cursor';
import { iso, valid } from '../../lib/validate';
import { routeDescriber } from '../../openapi/registry';
import { pagedListOf } from '../../openapi/schemas';

const areas = Object.keys(ACTIVITY_AREAS) as [ActivityArea, ...ActivityArea[]];

export const activityQuery = z.strictObject({
  area: z.enum(areas).optional().meta({ description: 'access (team, keys, stores, brand settings), campaigns (campaigns, creators, codes, drafts), money (payouts, period closes, payment files, order declines) or webhooks.' }),
  ...pageParams,
});

export const ActivityEntry = z
  .object({
    id: z.string().meta({ examples: ['aud_Q2x7vLr9TkPa4mBc'] }),
    at: z.iso.datetime(),
    action: z.string().meta({ examples: ['api_key.created'] }),
    actor: z.object({
      type: z.enum(['admin_user', 'api_key', 'creator', 'system']),
      id: z.string(),
      name: z.string().nullable().meta({ description: "A teammate's name, `API key <name>`, a creator's `@handle`; null when it is gone." }),
    }),
    target: z.object({ type: z.string(), id: z.string(), name: z.string().nullable() }),
    details: z.record(z.string(), z.unknown()).nullable(),
  })
  .meta({ id: 'ActivityEntry' });

export function activityView(r: ActivityRow) {
  return {
    id: r.id,
    at: iso(r.at),
    action: r.action,
    actor: { type: r.actor_type, id: r.actor_id, name: r.actor_name },
    target: { type: r.target_type, id: r.target_id, name: r.target_name },
    details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : null,
  };
}

const op = routeDescriber({ tag: 'Activity', auth: 'adminKey' });

export const activityRoutes = new Hono<AppEnv>().get(
  '/',
  op({
    summary: 'List activity',
    description:
      "Who did what to the brand's account, newest first, a page at a time (`limit`, then `cursor` from `nextCursor`): team and key changes, campaign and creator changes, review decisions, payout closes and marks, webhook changes. Each entry names its actor and target as the brand knows them.",
    responses: { 200: { description: 'Activity.', schema: pagedListOf(ActivityEntry) } },
  }),
  valid('query', activityQuery),
  async (c) => {
    const { cursor, limit, area } = c.req.valid('query');
    const rows = await listActivity(c.env.DB, c.var.admin.brandId, { area, after: cursor, limit: limit + 1 });
    const page = pageOf(rows, limit, (r) => ({ at: r.at, id: r.id }));
    return c.json({ data: page.rows.map(activityView), hasMore: page.hasMore, nextCursor: page.nextCursor });
  },
);
