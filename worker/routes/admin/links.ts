import { and, eq, sql } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { auditIfChanged, auditRow } from '../../db/audit';
import { checkedEq, database } from '../../db/client';
import { auditLog, brandCreators, brands, campaigns, clickRollups, enrollments, links } from '../../db/schema';
import { checkDestination } from '../../domain/destination';
import { zoneOrUtc } from '../../domain/periods';
import { publicOrigin, type AppEnv } from '../../env';
import { ApiError, notFound } from '../../lib/errors';
import { linkSlugFor, newId } from '../../lib/ids';
import { trackedLinkUrl } from '../../lib/paths';
import { forgetRoute } from '../../lib/link-cache';
import { newestFirst, pageOf, pageParams } from '../../lib/cursor';
import { iso, valid } from '../../lib/validate';
import { routeDescriber } from '../../openapi/registry';
import { dataOf, Link, LinkStats, pagedListOf } from '../../openapi/schemas';

const id = z.string().min(1).max(64);
// A chosen slug: what the redirect's path segment may be.
export const LINK_SLUG = /^[A-Za-z0-9_-]{3,64}$/;
const slug = z.string().regex(LINK_SLUG);

const createLink = z.strictObject({
  enrollmentId: id,
  destination: z.string().max(4096).optional(),
  slug: slug.optional(),
});

const listQuery = z.strictObject({ enrollmentId: id.optional(), ...pageParams });

const updateLink = z
  .strictObject({
    status: z.enum(['active', 'paused']).optional(),
    destination: z.string().max(4096).optional(),
  })
  .refine((input) => Object.keys(input).length > 0, 'Send at least one field to change.');

type LinkRow = typeof links.$inferSelect;

export function linkView(l: LinkRow, origin: string) {
  return {
    id: l.id,
    enrollmentId: l.enrollmentId,
    slug: l.slug,
    url: trackedLinkUrl(origin, l.slug),
    destination: l.destination,
    status: l.status,
    archivedAt: l.archivedAt === null ? null : iso(l.archivedAt),
    createdAt: iso(l.createdAt),
    updatedAt: iso(l.updatedAt),
  };
}

function invalidDestination(reason: string): ApiError {
  return new ApiError(422, 'invalid_destination', "The destination must be an https URL on one of the brand's allowed hosts.", { reason });
}

// How many links one creator may make themselves in one campaign, the brand's and their own together: enough for
// every product they show, few enough that the home card stays a list someone reads. Archived links do not
// count (archiving frees a place), up to MAX_LINKS_MADE_PER_ENROLLMENT made in all, so a script cannot make
// and archive links without end.
export const MAX_LINKS_PER_ENROLLMENT = 20;
export const MAX_LINKS_MADE_PER_ENROLLMENT = 100;

// SQL: enrollment `?n` has room for one more listed link. Inside the statement that adds or restores one, so
// a burst of either cannot pass it (D1 runs one statement at a time).
const roomFor = (n: number) =>
  `(SELECT count(*) FROM links WHERE enrollment_id = ?${n} AND archived_at IS NULL) < ${MAX_LINKS_PER_ENROLLMENT}`;

const linkLimit = (made: boolean) =>
  made
    ? new ApiError(409, 'link_limit', `A creator makes at most ${MAX_LINKS_MADE_PER_ENROLLMENT} links in one campaign, archived ones included.`, { limit: 'made' })
    : new ApiError(409, 'link_limit', `A creator has at most ${MAX_LINKS_PER_ENROLLMENT} links in one campaign, archived ones aside.`, { limit: 'listed' });

export type LinkActor = { type: 'api_key' | 'admin_user' | 'creator'; id: string };

// The link and its audit row, or neither when any link's slug equals this one ignoring case (the guard is
// inside the INSERT, so two brands racing for GlowX and glowx cannot both win), or, with `onePerPage`, when
// the enrollment already has a link to this destination (a creator's double tap makes one). Returns whether it was written.
async function insertLink(d1: D1Database, row: LinkRow, actor: LinkActor, onePerPage = false): Promise<boolean> {
  // A creator's own link also stays under the enrollment's caps, checked in the INSERT so a burst cannot pass them.
  const samePage = onePerPage
    ? ` AND NOT EXISTS (SELECT 1 FROM links WHERE enrollment_id = ?3 AND destination = ?5) AND ${roomFor(3)} AND (SELECT count(*) FROM links WHERE enrollment_id = ?3) < ${MAX_LINKS_MADE_PER_ENROLLMENT}`
    : '';
  const [link] = await d1.batch([
    d1
      .prepare(
        `INSERT INTO links (id, brand_id, enrollment_id, slug, destination, status, made_by, created_at, updated_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?10, ?7, ?8 WHERE NOT EXISTS (SELECT 1 FROM links WHERE lower(slug) = lower(?9))${samePage}`,
      )
      .bind(row.id, row.brandId, row.enrollmentId, row.slug, row.destination, row.status, row.createdAt, row.updatedAt, row.slug, row.madeBy),
    d1
      .prepare("INSERT INTO audit_log (id, brand_id, actor_type, actor_id, action, target_type, target_id, at) SELECT ?, ?, ?, ?, 'link.created', 'link', ?, ? WHERE changes() = 1")
      .bind(newId('aud'), row.brandId, actor.type, actor.id, row.id, row.createdAt),
  ]);
  return (link?.meta.changes ?? 0) > 0;
}

// A new tracked link for one of the brand's enrollments (the API's POST and the console's creator page): the
// campaign's destination unless another is given, on the brand's allowed hosts; a slug from the handle unless
// one is chosen. 404 for another brand's enrollment, 422 invalid_destination, 409 slug_taken. With `onePerPage`
// (a creator's own links) an existing link of the enrollment to the same page is answered instead of a new one,
// restored if they had archived it (409 link_limit when they have no room for it, or for a new one).
export async function createTrackedLink(d1: D1Database, brandId: string, input: { enrollmentId: string; destination?: string; slug?: string; onePerPage?: boolean }, actor: LinkActor): Promise<LinkRow> {
  const found = await database(d1)
    .select({ brand: brands, campaign: campaigns, handle: brandCreators.handle })
    .from(enrollments)
    .innerJoin(brandCreators, and(eq(brandCreators.brandId, enrollments.brandId), eq(brandCreators.creatorId, enrollments.creatorId)))
    .innerJoin(campaigns, eq(campaigns.id, enrollments.campaignId))
    .innerJoin(brands, eq(brands.id, enrollments.brandId))
    .where(and(eq(enrollments.id, input.enrollmentId), eq(enrollments.brandId, brandId)))
    .get();
  if (!found) throw notFound('enrollment');
  const checked = checkDestination(input.destination ?? found.campaign.defaultDestination, found.brand.allowedHosts);
  if (!checked.ok) throw invalidDestination(checked.reason);
  const now = Date.now();
  // A generated slug collides only with the same creator's other links, rarely; try a few before giving up.
  for (let attempt = 0; attempt < 4; attempt++) {
    const row: LinkRow = {
      id: newId('lnk'),
      brandId,
      enrollmentId: input.enrollmentId,
      slug: input.slug ?? linkSlugFor(found.handle),
      destination: checked.url,
      status: 'active',
      madeBy: actor.type === 'creator' ? 'creator' : 'brand',
      archivedAt: null,
      createdAt: now,
      updatedAt: now,
    };
    if (await insertLink(d1, row, actor, input.onePerPage)) {
      forgetRoute(row.slug);
      return row;
    }
    if (input.onePerPage) {
      // A listed link to the page before an archived one: restoring that would list the page twice.
      const same = await database(d1).query.links.findFirst({ where: and(eq(links.enrollmentId, input.enrollmentId), eq(links.destination, checked.url)), orderBy: sql`${links.archivedAt} IS NOT NULL` });
      if (same?.archivedAt === null) return same;
      if (same) {
        if ((await restoreLink(d1, same, actor, now)) === 'full') throw linkLimit(false);
        return { ...same, archivedAt: null, updatedAt: now };
      }
      const counts = (await d1.prepare('SELECT count(*) AS made, count(*) FILTER (WHERE archived_at IS NULL) AS listed FROM links WHERE enrollment_id = ?').bind(input.enrollmentId).first<{ made: number; listed: number }>())!;
      if (counts.listed >= MAX_LINKS_PER_ENROLLMENT || counts.made >= MAX_LINKS_MADE_PER_ENROLLMENT) throw linkLimit(counts.listed < MAX_LINKS_PER_ENROLLMENT);
    }
    if (input.slug) throw new ApiError(409, 'slug_taken', 'That slug, or the same letters in another case, is already in use.');
  }
  throw new ApiError(409, 'slug_taken', 'Could not allocate a unique slug; try again.');
}

// A creator's own link off their home page, or back on it: it redirects and counts throughout (the redirect never
// reads archived_at, and its cache is left alone). Each writes and audits only a change, so a replayed form
// writes nothing. Archiving is for links the creator made; restoring takes a free place under the cap, checked
// in the UPDATE so concurrent restores cannot overfill it: 'full' when there is none, 'unchanged' when the link
// was not archived (a second tap).
type OwnLink = Pick<LinkRow, 'id' | 'brandId' | 'enrollmentId'>;

export async function archiveLink(d1: D1Database, link: OwnLink, actor: LinkActor, now: number): Promise<'archived' | 'unchanged'> {
  const [archived] = await d1.batch([
    d1.prepare("UPDATE links SET archived_at = ?1, updated_at = ?1 WHERE id = ?2 AND made_by = 'creator' AND archived_at IS NULL").bind(now, link.id),
    auditIfChanged(d1, { brandId: link.brandId, actorType: actor.type, actorId: actor.id, action: 'link.archived', targetType: 'link', targetId: link.id }, now),
  ]);
  return archived!.meta.changes > 0 ? 'archived' : 'unchanged';
}

export async function restoreLink(d1: D1Database, link: OwnLink, actor: LinkActor, now: number): Promise<'restored' | 'unchanged' | 'full'> {
  const [restored] = await d1.batch([
    d1.prepare(`UPDATE links SET archived_at = NULL, updated_at = ?1 WHERE id = ?2 AND archived_at IS NOT NULL AND ${roomFor(3)}`).bind(now, link.id, link.enrollmentId),
    auditIfChanged(d1, { brandId: link.brandId, actorType: actor.type, actorId: actor.id, action: 'link.restored', targetType: 'link', targetId: link.id }, now),
  ]);
  if (restored!.meta.changes > 0) return 'restored';
  const still = await d1.prepare('SELECT archived_at IS NOT NULL AS archived FROM links WHERE id = ?').bind(link.id).first<number>('archived');
  return still ? 'full' : 'unchanged';
}

// Pauses, resumes or re-points one of the brand's links (the API's PATCH and the console's creator page),
// audited; the link cache forgets it, so it takes effect within its lifetime. `enrollmentId` narrows the
// link to one creator's (the console page's). 404 for another brand's, 422 invalid_destination.
export async function updateTrackedLink(
  d1: D1Database,
  brandId: string,
  linkId: string,
  input: { status?: 'active' | 'paused'; destination?: string },
  actor: { type: 'api_key' | 'admin_user'; id: string },
  enrollmentId?: string,
): Promise<LinkRow> {
  const db = database(d1);
  const where = and(eq(links.id, linkId), eq(links.brandId, brandId), enrollmentId ? eq(links.enrollmentId, enrollmentId) : undefined);
  const existing = await db.query.links.findFirst({ where });
  if (!existing) throw notFound('link');
  // A removed creator's links are closed whatever their own status says: nothing to pause, resume or re-point. An
  // erased creator's (db/creator-erasure.ts) still send shoppers from old posts: the brand may pause or re-point them.
  const enrollment = await d1
    .prepare('SELECT e.status, r.erased_at FROM enrollments e JOIN brand_creators r ON r.brand_id = e.brand_id AND r.creator_id = e.creator_id WHERE e.id = ?')
    .bind(existing.enrollmentId)
    .first<{ status: string; erased_at: number | null }>();
  if (enrollment?.status === 'removed' && enrollment.erased_at === null) throw new ApiError(409, 'enrollment_removed', "This creator was removed from the campaign, so their links are closed. Restore them (the enrollment's status) first.");
  const changes: Partial<LinkRow> = { updatedAt: Date.now() };
  if (input.status) changes.status = input.status;
  if (input.destination !== undefined) {
    const brand = await db.query.brands.findFirst({ where: eq(brands.id, brandId) });
    const checked = checkDestination(input.destination, brand?.allowedHosts ?? []);
    if (!checked.ok) throw invalidDestination(checked.reason);
    changes.destination = checked.url;
  }
  const [updated] = await db.batch([
    db.update(links).set(changes).where(where).returning(),
    // What it was as well as what it became: re-pointing a creator's traffic is worth answering "from what".
    db.insert(auditLog).values(
      auditRow(
        { brandId, actorType: actor.type, actorId: actor.id, action: 'link.updated', targetType: 'link', targetId: existing.id, details: { ...input, before: { status: existing.status, destination: existing.destination } } },
        changes.updatedAt!,
      ),
    ),
  ]);
  forgetRoute(existing.slug);
  return updated[0] ?? existing;
}

const op = routeDescriber({ tag: 'Links', auth: 'adminKey' });
const linkId = { id: 'The link id.' };

export const linkRoutes = new Hono<AppEnv>()
  .get(
    '/',
    op({ summary: 'List tracked links', description: 'Newest first, a page at a time (`limit`, then `cursor` from `nextCursor`); filter by enrollment.', responses: { 200: { description: "The brand's links.", schema: pagedListOf(Link) } } }),
    valid('query', listQuery),
    async (c) => {
      const { enrollmentId, limit, cursor } = c.req.valid('query');
      const keyset = newestFirst(links.createdAt, links.id, cursor);
      const rows = await database(c.env.DB)
        .select()
        .from(links)
        .where(and(enrollmentId ? checkedEq(links.brandId, c.var.admin.brandId) : eq(links.brandId, c.var.admin.brandId), enrollmentId ? eq(links.enrollmentId, enrollmentId) : undefined, keyset.after))
        .orderBy(...keyset.order)
        .limit(limit + 1);
      const page = pageOf(rows, limit, (l) => ({ at: l.createdAt, id: l.id }));
      const origin = publicOrigin(c);
      return c.json({ data: page.rows.map((l) => linkView(l, origin)), hasMore: page.hasMore, nextCursor: page.nextCursor });
    },
  )
  .post(
    '/',
    op({
      summary: 'Create a tracked link',
      description: "The destination defaults to the campaign's and must be an https URL on one of the brand's allowed hosts. The slug is generated from the creator handle unless given (`sarah_makes` → `sarah-makes-k3f9q`); slugs are unique across Chorus, and a chosen slug must differ from every other by more than letter case. The redirect is `url` (GET /r/:slug).",
      example: { enrollmentId: 'enr_Q2x7vLr9TkPa4mBc', destination: 'https://shop.example/spring?variant=serum' },
      responses: { 201: { description: 'Created.', schema: dataOf(Link) } },
      errors: { 404: ['not_found'], 409: ['slug_taken'], 422: ['invalid_destination'] },
    }),
    valid('json', createLink),
    async (c) => {
      const row = await createTrackedLink(c.env.DB, c.var.admin.brandId, c.req.valid('json'), { type: 'api_key', id: c.var.admin.keyId });
      return c.json({ data: linkView(row, publicOrigin(c)) }, 201);
    },
  )
  .patch(
    '/:id',
    op({
      summary: 'Pause, resume or re-point a link',
      description: "Takes effect everywhere within the link cache lifetime (LINK_CACHE_TTL_MS, 10 s by default). A removed creator's links are closed: `409 enrollment_removed` until the creator is restored. An erased creator's links (their enrollments ended by the erasure) can still be paused, resumed or re-pointed: old posts may still send shoppers.",
      params: linkId,
      example: { status: 'paused' },
      responses: { 200: { description: 'The updated link.', schema: dataOf(Link) } },
      errors: { 404: ['not_found'], 409: ['enrollment_removed'], 422: ['invalid_destination'] },
    }),
    valid('json', updateLink),
    async (c) => {
      const row = await updateTrackedLink(c.env.DB, c.var.admin.brandId, c.req.param('id'), c.req.valid('json'), { type: 'api_key', id: c.var.admin.keyId });
      return c.json({ data: linkView(row, publicOrigin(c)) });
    },
  )
  .get(
    '/:id/stats',
    op({ summary: 'Click statistics for a link', params: linkId, responses: { 200: { description: 'Totals and daily rollups.', schema: dataOf(LinkStats) } }, errors: { 404: ['not_found'] } }),
    async (c) => {
      const db = database(c.env.DB);
      const link = await db.query.links.findFirst({ where: and(eq(links.id, c.req.param('id')), eq(links.brandId, c.var.admin.brandId)) });
      if (!link) throw notFound('link');
      const [days, brand] = await db.batch([
        db
          .select({ day: clickRollups.day, clicks: clickRollups.clicks, uniqueClicks: clickRollups.uniqueClicks, bots: clickRollups.bots })
          .from(clickRollups)
          .where(eq(clickRollups.linkId, link.id))
          .orderBy(clickRollups.day),
        db.select({ timezone: brands.timezone }).from(brands).where(eq(brands.id, link.brandId)),
      ]);
      const total = days.reduce((t, d) => ({ clicks: t.clicks + d.clicks, uniqueClicks: t.uniqueClicks + d.uniqueClicks, bots: t.bots + d.bots }), { clicks: 0, uniqueClicks: 0, bots: 0 });
      return c.json({ data: { linkId: link.id, total, timezone: zoneOrUtc(brand[0]?.timezone ?? 'UTC'), days } });
    },
  );
