import { and, desc, eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { auditRow } from '../../db/audit';
import { database } from '../../db/client';
import { auditLog, brandCreators, creators } from '../../db/schema';
import type { AppEnv } from '../../env';
import { ApiError } from '../../lib/errors';
import { newId } from '../../lib/ids';
import { iso, valid } from '../../lib/validate';

export const handleSchema = z.string().trim().toLowerCase().regex(/^[a-z0-9_]{2,30}$/, 'lowercase letters, digits and _ (2-30)');

export const addCreator = z.strictObject({
  email: z.email().max(254).transform((s) => s.toLowerCase()),
  handle: handleSchema,
  displayName: z.string().trim().min(1).max(80),
  niche: z.string().trim().max(60).nullable().default(null),
  platform: z.string().trim().max(30).nullable().default(null),
  followerCount: z.int().min(0).max(1_000_000_000).nullable().default(null),
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
  };
}

export const creatorRoutes = new Hono<AppEnv>();

creatorRoutes.get('/', async (c) => {
  const db = database(c.env.DB);
  const rows = await db
    .select({ creator: creators, roster: brandCreators })
    .from(brandCreators)
    .innerJoin(creators, eq(creators.id, brandCreators.creatorId))
    .where(eq(brandCreators.brandId, c.var.admin.brandId))
    .orderBy(desc(brandCreators.createdAt));
  return c.json({ data: rows.map((r) => creatorView(r.creator, r.roster)) });
});

// A creator has one global account: adding an email that already has one puts that account on this
// brand's roster instead of creating a second.
creatorRoutes.post('/', valid('json', addCreator), async (c) => {
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
    createdAt: now,
  };
  const roster: RosterRow = { brandId, creatorId: creator.id, niche: input.niche, platform: input.platform, followerCount: input.followerCount, createdAt: now };
  const existing = await db.query.brandCreators.findFirst({ where: and(eq(brandCreators.brandId, brandId), eq(brandCreators.creatorId, creator.id)) });
  if (existing) return c.json({ data: creatorView(creator, existing) }, 200);
  await db.batch([
    db.insert(creators).values(creator).onConflictDoNothing(),
    db.insert(brandCreators).values(roster).onConflictDoNothing(),
    db.insert(auditLog).values(auditRow({ brandId, actorType: 'api_key', actorId: keyId, action: 'creator.added', targetType: 'creator', targetId: creator.id }, now)),
  ]);
  return c.json({ data: creatorView(creator, roster) }, 201);
});
