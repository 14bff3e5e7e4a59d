// Bounties (db/bounties.ts): a campaign's one-off rewards for reaching a goal, as the console's Bounties tab makes them.
import { Hono } from 'hono';
import { z } from 'zod';
import { archiveBounty, awardPosition, bountyBody, bountyPosition, createBounty, listBounties, listBountyAwards, loadBounty, type BountyAwardRow, type BountyRow } from '../../db/bounties';
import type { AppEnv } from '../../env';
import { pageOf, pageParams } from '../../lib/cursor';
import { ApiError, notFound } from '../../lib/errors';
import { iso, valid } from '../../lib/validate';
import { routeDescriber } from '../../openapi/registry';
import { Bounty, BountyAward, dataOf, pagedListOf } from '../../openapi/schemas';

export function bountyView(b: BountyRow) {
  return {
    id: b.id,
    campaignId: b.campaign_id,
    title: b.title,
    metric: b.metric,
    target: b.target,
    rewardMinor: b.reward_minor,
    currency: b.currency,
    startsAt: iso(b.starts_at)!,
    endsAt: iso(b.ends_at)!,
    archivedAt: iso(b.archived_at),
    reached: b.reached,
    paidMinor: b.paid_minor,
    createdAt: iso(b.created_at)!,
  };
}

function bountyAwardView(a: BountyAwardRow) {
  return { enrollmentId: a.enrollment_id, creatorId: a.creator_id, handle: a.handle, ledgerEntryId: a.ledger_entry_id, amountMinor: a.amount_minor, currency: a.currency, awardedAt: iso(a.awarded_at)! };
}

const op = routeDescriber({ tag: 'Bounties', auth: 'adminKey' });

const HOW_AWARDED =
  "Counted: the creator's orders attributed to their enrollment in this campaign that occurred in [`startsAt`, `endsAt`) and are past the campaign's holding period (so none may still be refunded), less refunds; `sales` counts orders not refunded in full (not a subscription's later payments or a returning customer's orders), `revenue` sums their net amounts; a self-purchase that earns nothing counts for neither. Every 15 minutes, and after the window closes until its late-credited orders have cleared (15 days, or the campaign's holding period if longer), each creator who reached the target and is in the campaign (not invited, not removed), accepted your brand and was not erased is paid `rewardMinor` once, as an `adjustment` entry on their ledger with the note `Bounty reached: <title>`, payable at once: earnings, payouts, statements and exports include it like any adjustment. An award stays: a later refund does not take it back.";

export const campaignBountyRoutes = new Hono<AppEnv>()
  .get(
    '/:id/bounties',
    op({
      summary: "List a campaign's bounties",
      description: 'Newest first, a page at a time (`limit`, then `cursor` from `nextCursor`), each with how many creators reached it and what was paid. Archived ones too.',
      params: { id: 'The campaign id.' },
      responses: { 200: { description: "The campaign's bounties.", schema: pagedListOf(Bounty) } },
      errors: { 404: ['not_found'] },
    }),
    valid('query', z.strictObject({ ...pageParams })),
    async (c) => {
      const { brandId } = c.var.admin;
      const campaign = await c.env.DB.prepare('SELECT id FROM campaigns WHERE id = ? AND brand_id = ?').bind(c.req.param('id'), brandId).first<{ id: string }>();
      if (!campaign) throw notFound('campaign');
      const { limit, cursor } = c.req.valid('query');
      const page = pageOf(await listBounties(c.env.DB, brandId, campaign.id, { after: cursor, limit: limit + 1 }), limit, bountyPosition);
      return c.json({ data: page.rows.map(bountyView), hasMore: page.hasMore, nextCursor: page.nextCursor });
    },
  )
  .post(
    '/:id/bounties',
    op({
      summary: 'Create a bounty',
      description: `A one-off reward for reaching a goal ("10 sales by 31 December earns 50.00"), on an active or draft campaign; an ended one (by its status or its end date) is a 409 \`campaign_ended\`, and a window that ends after the campaign does is a 422. ${HOW_AWARDED} Audited as \`bounty.created\`. The \`Idempotency-Key\` header is required and creates the bounty once, for good: the same key again answers the same bounty, with other fields 409 \`idempotency_conflict\`.`,
      params: { id: 'The campaign id.' },
      headers: z.object({
        'Idempotency-Key': z.string().min(1).max(255).meta({ description: "Required: 1 to 255 visible ASCII characters. It names the bounty for good (not only for the 24 hours other requests' keys are kept): the same key again answers the bounty it made.", examples: ['ten-sales-2026'] }),
      }),
      example: { title: 'Ten sales before New Year', metric: 'sales', target: 10, rewardMinor: 5000, endsAt: '2026-12-31T23:00:00Z' },
      responses: { 201: { description: 'The bounty.', schema: dataOf(Bounty) } },
      errors: { 400: ['idempotency_key_required'], 404: ['not_found'], 409: ['campaign_ended', 'idempotency_conflict'] },
    }),
    valid('json', bountyBody),
    async (c) => {
      const { brandId, keyId } = c.var.admin;
      // The key is the bounty's own (its form key), so it creates the bounty once for good, not only while the
      // middleware keeps the answer: a bounty pays every creator who reaches it.
      const key = c.req.header('idempotency-key');
      if (!key) throw new ApiError(400, 'idempotency_key_required', 'Send an Idempotency-Key header: a bounty pays creators, and a retry without one would create a second.');
      const body = c.req.valid('json');
      const now = Date.now();
      const startsAt = body.startsAt ?? now;
      const made = await createBounty(c.env.DB, brandId, c.req.param('id'), { ...body, startsAt }, { type: 'api_key', id: keyId }, now, `api:${key}`);
      if (!made) throw notFound('campaign');
      // A retry that left out startsAt meant "from now" the first time too: the bounty it made answers it.
      const b = made.bounty;
      const sameButStart = body.startsAt === undefined && b.title === body.title && b.metric === body.metric && b.target === body.target && b.reward_minor === body.rewardMinor && b.ends_at === body.endsAt;
      if (made.outcome === 'key_reused' && !sameButStart) throw new ApiError(409, 'idempotency_conflict', 'This key was already used for another bounty. Send a new one.');
      return c.json({ data: bountyView(made.bounty) }, 201);
    },
  );

export const bountyRoutes = new Hono<AppEnv>()
  .post(
    '/:id/archive',
    op({
      summary: 'Archive a bounty',
      description: 'Stops a bounty: nobody else is awarded it, and creators no longer see it. Awards already made stay paid. Archiving an archived bounty answers it as it is. Audited as `bounty.archived`.',
      params: { id: 'The bounty id.' },
      responses: { 200: { description: 'The archived bounty.', schema: dataOf(Bounty) } },
      errors: { 404: ['not_found'] },
    }),
    async (c) => {
      const bounty = await archiveBounty(c.env.DB, c.var.admin.brandId, c.req.param('id'), { type: 'api_key', id: c.var.admin.keyId }, Date.now());
      if (!bounty) throw notFound('bounty');
      return c.json({ data: bountyView(bounty) });
    },
  )
  .get(
    '/:id/awards',
    op({
      summary: "List a bounty's awards",
      description: 'The creators who reached the bounty, newest award first, a page at a time (`limit`, then `cursor` from `nextCursor`), each with the ledger entry that paid them.',
      params: { id: 'The bounty id.' },
      responses: { 200: { description: "The bounty's awards.", schema: pagedListOf(BountyAward) } },
      errors: { 404: ['not_found'] },
    }),
    valid('query', z.strictObject({ ...pageParams })),
    async (c) => {
      const { brandId } = c.var.admin;
      const bounty = await loadBounty(c.env.DB, brandId, c.req.param('id'));
      if (!bounty) throw notFound('bounty');
      const { limit, cursor } = c.req.valid('query');
      const page = pageOf(await listBountyAwards(c.env.DB, brandId, bounty.id, { after: cursor, limit: limit + 1 }), limit, awardPosition);
      return c.json({ data: page.rows.map(bountyAwardView), hasMore: page.hasMore, nextCursor: page.nextCursor });
    },
  );
