import { and, eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { auditRow, type AuditInput } from '../../db/audit';
import { database } from '../../db/client';
import { auditLog, brandCreators, creators } from '../../db/schema';
import { publicOrigin, type AppEnv } from '../../env';
import { ApiError, notFound } from '../../lib/errors';
import { unjoinedAndOptedOut } from '../../db/mail-opt-outs';
import { issueAccountToken, mailPasswordLink, MAX_MAILED_LINKS_PER_BRAND_PER_DAY, MAX_MAILED_LINKS_PER_DAY, type MailRefusal } from '../../db/account-tokens';
import { newId } from '../../lib/ids';
import { newestFirst, pageOf, pageParams } from '../../lib/cursor';
import { iso, valid } from '../../lib/validate';
import { CREATOR_FIELDS, HANDLE, HANDLE_RULE } from '../../domain/creator-import';
import { routeDescriber } from '../../openapi/registry';
import { Creator, dataOf, Invite, pagedListOf, PasswordResetSent } from '../../openapi/schemas';

export const handleSchema = z.string().trim().toLowerCase().regex(HANDLE, HANDLE_RULE);

export const addCreator = z.strictObject({
  email: z.email().max(254).transform((s) => s.toLowerCase()),
  handle: handleSchema,
  displayName: CREATOR_FIELDS.displayName,
  niche: CREATOR_FIELDS.niche.nullable().default(null),
  platform: CREATOR_FIELDS.platform.nullable().default(null),
  followerCount: CREATOR_FIELDS.followerCount.nullable().default(null),
});

type CreatorRow = typeof creators.$inferSelect;
type RosterRow = typeof brandCreators.$inferSelect;

export function creatorView(c: CreatorRow, r: RosterRow) {
  return {
    id: c.id,
    email: c.email,
    handle: c.handle,
    displayName: c.displayName,
    niche: r.niche,
    platform: r.platform,
    followerCount: r.followerCount,
    addedAt: iso(r.createdAt),
    acceptedAt: r.acceptedAt === null ? null : iso(r.acceptedAt),
  };
}

const op = routeDescriber({ tag: 'Creators', auth: 'adminKey' });
const creatorId = { id: 'The creator id.' };

export const creatorRoutes = new Hono<AppEnv>()
  .get(
    '/',
    op({ summary: 'List the roster', description: 'Newest first, a page at a time (`limit`, then `cursor` from `nextCursor`).', responses: { 200: { description: "The brand's creators.", schema: pagedListOf(Creator) } } }),
    valid('query', z.strictObject(pageParams)),
    async (c) => {
      const { limit, cursor } = c.req.valid('query');
      const keyset = newestFirst(brandCreators.createdAt, brandCreators.creatorId, cursor);
      const rows = await database(c.env.DB)
        .select({ creator: creators, roster: brandCreators })
        .from(brandCreators)
        .innerJoin(creators, eq(creators.id, brandCreators.creatorId))
        .where(and(eq(brandCreators.brandId, c.var.admin.brandId), keyset.after))
        .orderBy(...keyset.order)
        .limit(limit + 1);
      const page = pageOf(rows, limit, (r) => ({ at: r.roster.createdAt, id: r.roster.creatorId }));
      return c.json({ data: page.rows.map((r) => creatorView(r.creator, r.roster)), hasMore: page.hasMore, nextCursor: page.nextCursor });
    },
  )
  .post(
    '/',
    op({
      summary: 'Add a creator to the roster',
      description: 'A creator has one global account: an email that already has one puts that account on this roster instead of creating a second. Adding a creator already on the roster answers 200 with the existing entry.',
      example: { email: 'sarah@creators.example', handle: 'sarah_makes', displayName: 'Sarah Okafor', niche: 'skincare', platform: 'instagram', followerCount: 18500 },
      responses: {
        201: { description: 'Added.', schema: dataOf(Creator) },
        200: { description: 'Already on the roster.', schema: dataOf(Creator) },
      },
      errors: { 409: ['handle_taken'] },
    }),
    valid('json', addCreator),
    async (c) => {
      const input = c.req.valid('json');
      const { brandId, keyId } = c.var.admin;
      const db = database(c.env.DB);
      const now = Date.now();
      const [byEmail, byHandle] = await Promise.all([
        db.query.creators.findFirst({ where: eq(creators.email, input.email) }),
        db.query.creators.findFirst({ where: eq(creators.handle, input.handle) }),
      ]);
      if (byHandle && byHandle.id !== byEmail?.id) throw new ApiError(409, 'handle_taken', 'That handle belongs to another creator account.');
      const creator: CreatorRow = byEmail ?? {
        id: newId('cr'),
        email: input.email,
        handle: input.handle,
        displayName: input.displayName,
        passwordHash: null,
        payoutDetailsEnc: null,
        emailLinkAt: null,
        createdAt: now,
      };
      const roster: RosterRow = { brandId, creatorId: creator.id, niche: input.niche, platform: input.platform, followerCount: input.followerCount, acceptedAt: null, createdAt: now };
      const existing = await db.query.brandCreators.findFirst({ where: and(eq(brandCreators.brandId, brandId), eq(brandCreators.creatorId, creator.id)) });
      if (existing) return c.json({ data: creatorView(creator, existing) }, 200);
      await db.batch([
        db.insert(creators).values(creator).onConflictDoNothing(),
        db.insert(brandCreators).values(roster).onConflictDoNothing(),
        db.insert(auditLog).values(auditRow({ brandId, actorType: 'api_key', actorId: keyId, action: 'creator.added', targetType: 'creator', targetId: creator.id }, now)),
      ]);
      return c.json({ data: creatorView(creator, roster) }, 201);
    },
  )
  .post(
    '/:id/invite',
    op({
      summary: 'Create an invite link',
      description:
        "A link for the brand to send the creator (by email, DM, anything). It never sets a password itself: its page mails a one-hour link to the creator's own address, where they choose one, so no one but the address's owner can take the account. For an account that already has a password it leads to sign-in.",
      params: creatorId,
      responses: { 201: { description: 'The invite link and when it expires.', schema: dataOf(Invite) } },
      errors: { 404: ['not_found'] },
    }),
    async (c) => {
      const { brandId, keyId } = c.var.admin;
      const creator = await rosterCreator(c.env.DB, brandId, c.req.param('id'));
      const { url, expiresAt } = await inviteLink(c.env.DB, brandId, creator.id, publicOrigin(c), { actorType: 'api_key', actorId: keyId });
      return c.json({ data: { inviteUrl: url, expiresAt: iso(expiresAt) } }, 201);
    },
  )
  .post(
    '/:id/password-reset',
    op({
      summary: 'Send a password reset',
      description: "Mailed only to the creator's own address, so no brand can take over a shared account. At most 5 a day to one creator and 1,000 a day for the brand, invite-page requests included. Not sent (409 `creator_opted_out`) to a creator who has not joined the brand and unsubscribed from its invitations. 503 `mail_unavailable` when the mail provider refuses the message or none is configured: nothing is sent, no link is kept and the allowance is not spent. 202 when the provider did not confirm (a timeout, a 5xx): the link may arrive, so it is kept and counted.",
      params: creatorId,
      responses: {
        201: { description: 'Sent: the mail provider took the message.', schema: dataOf(PasswordResetSent) },
        202: { description: 'Asked, not confirmed: the provider timed out or failed after it may have taken the message. The link stands and counts toward the allowance; check with the creator before asking again.', schema: dataOf(PasswordResetSent) },
      },
      errors: { 404: ['not_found'], 409: ['creator_opted_out'], 429: ['rate_limited'], 503: ['mail_unavailable'] },
    }),
    async (c) => {
      const { brandId, keyId } = c.var.admin;
      const creator = await rosterCreator(c.env.DB, brandId, c.req.param('id'));
      const sent = await passwordLink(c.env, brandId, creator, publicOrigin(c), { actorType: 'api_key', actorId: keyId });
      if ('refused' in sent) throw mailRefused(sent.refused);
      const { expiresAt, confirmed } = sent;
      // 202: the provider did not confirm the mail; the link stands (it may be in the inbox) and is counted.
      return c.json({ data: { sent: true, confirmed, expiresAt: iso(expiresAt) } }, confirmed ? 201 : 202);
    },
  );

type Actor = Pick<AuditInput, 'actorType' | 'actorId'>;

// A new invite link for a roster creator, audited: the API's invite call and the console's creator page.
export async function inviteLink(db: D1Database, brandId: string, creatorId: string, origin: string, actor: Actor): Promise<{ url: string; expiresAt: number }> {
  const now = Date.now();
  const { token, expiresAt } = await issueAccountToken(db, 'invite', creatorId, brandId, now);
  await database(db).insert(auditLog).values(auditRow({ brandId, ...actor, action: 'creator.invited', targetType: 'creator', targetId: creatorId }, now));
  return { url: `${origin}/invite/${token}`, expiresAt };
}

// A mailed password link (mailPasswordLink), audited when one was kept: the API's reset call, the console,
// and (with its own action and lower limits) the sign-in page's "Forgot your password?".
export async function passwordLink(
  env: Parameters<typeof mailPasswordLink>[0],
  brandId: string,
  creator: { id: string; email: string },
  origin: string,
  actor: Actor,
  { action = 'creator.password_reset_sent', limits, brandAsked = true }: { action?: string; limits?: Parameters<typeof mailPasswordLink>[5]; brandAsked?: boolean } = {},
): Promise<Awaited<ReturnType<typeof mailPasswordLink>> | { refused: 'opted_out' }> {
  const now = Date.now();
  // A brand's ask does not reach someone who has not joined it and asked, from an invitation, not to be mailed.
  if (brandAsked && (await unjoinedAndOptedOut(env.DB, brandId, creator.id))) return { refused: 'opted_out' };
  const sent = await mailPasswordLink(env, creator, brandId, origin, now, limits);
  if ('refused' in sent) return sent;
  await database(env.DB)
    .insert(auditLog)
    .values(auditRow({ brandId, ...actor, action, targetType: 'creator', targetId: creator.id, details: { confirmed: sent.confirmed } }, now));
  return sent;
}

function mailRefused(refusal: MailRefusal | 'opted_out'): ApiError {
  switch (refusal) {
    case 'opted_out':
      return new ApiError(409, 'creator_opted_out', 'This creator has not joined your brand and asked not to be emailed invitations; Chorus sends them nothing for you. Send them their invite link yourself.');
    case 'brand_limit':
      return new ApiError(429, 'rate_limited', `This brand has mailed ${MAX_MAILED_LINKS_PER_BRAND_PER_DAY} password links in the last 24 hours; try again later.`, undefined, { 'Retry-After': '3600' });
    case 'address_limit':
      return new ApiError(429, 'rate_limited', `This creator has been mailed ${MAX_MAILED_LINKS_PER_DAY} links in the last 24 hours; try again later.`, undefined, { 'Retry-After': '3600' });
    case 'mail_refused':
      return new ApiError(503, 'mail_unavailable', 'The mail provider refused the message. Nothing was sent and no link was kept; retry in a minute.', undefined, { 'Retry-After': '60' });
    case 'mail_not_configured':
      return new ApiError(503, 'mail_unavailable', 'This deployment has no mail provider (MAIL_API_KEY and MAIL_FROM). Nothing was sent.', undefined, { 'Retry-After': '3600' });
  }
}

async function rosterCreator(db: D1Database, brandId: string, creatorId: string) {
  const row = await db
    .prepare('SELECT c.id, c.email FROM brand_creators r JOIN creators c ON c.id = r.creator_id WHERE r.brand_id = ? AND r.creator_id = ?')
    .bind(brandId, creatorId)
    .first<{ id: string; email: string }>();
  if (!row) throw notFound('creator');
  return row;
}
