import { and, eq, getViewSelectedFields } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { auditRow, type AuditInput } from '../../db/audit';
import { database } from '../../db/client';
import { auditLog, brandCreators, creators, roster } from '../../db/schema';
import { mailLinkOrigin, publicOrigin, type AppEnv } from '../../env';
import { ApiError, notFound } from '../../lib/errors';
import { unjoinedAndOptedOut } from '../../db/mail-opt-outs';
import { issueAccountToken, mailPasswordLink, MAX_MAILED_LINKS_PER_BRAND_PER_DAY, MAX_MAILED_LINKS_PER_DAY, type MailRefusal } from '../../db/account-tokens';
import { newId } from '../../lib/ids';
import { mailUnconfigured } from '../../lib/messages';
import { pageOf, pageParams } from '../../lib/cursor';
import { iso, valid } from '../../lib/validate';
import { CREATOR_FIELDS, HANDLE, HANDLE_RULE } from '../../domain/creator-import';
import { accountFor } from '../../db/creator-import';
import { routeDescriber } from '../../openapi/registry';
import { Creator, CreatorErased, CreatorTags, CreatorTagsInput, dataOf, Invite, pagedListOf, PasswordResetSent } from '../../openapi/schemas';
import { creatorGone, eraseCreator, owedTo, refuseErased } from '../../db/creator-erasure';
import { forgetRoute } from '../../lib/link-cache';
import { forgetCode } from '../codes';
import { standingOf, standingsOf, termsAcceptedView, type TermsStanding } from '../../db/program-terms';
import { rosterPageSql, setCreatorTags, tagsByCreator, tagsOf } from '../../db/creator-tags';
import { normalizeTag, TAG_RULE } from '../../domain/creator-tags';

export const handleSchema = z.string().trim().toLowerCase().regex(HANDLE, HANDLE_RULE);

export const addCreator = z.strictObject({
  email: z.email().max(254).transform((s) => s.toLowerCase()),
  handle: handleSchema,
  displayName: CREATOR_FIELDS.displayName,
  niche: CREATOR_FIELDS.niche.nullable().default(null),
  platform: CREATOR_FIELDS.platform.nullable().default(null),
  followerCount: CREATOR_FIELDS.followerCount.nullable().default(null),
});

type RosterRow = typeof roster.$inferSelect;
// The list is read in SQL (rosterPageSql) as RosterRow: every column of the view under its key, from the schema, so
// a column added to the view cannot come back undefined.
const ROSTER_FIELDS = Object.entries(getViewSelectedFields(roster))
  .map(([key, column]) => `r.${column.name} AS ${key}`)
  .join(', ');

// A roster creator as the brand sees them (db/schema.ts roster): its own copy until they accept; once erased, the
// placeholders the erasure left (db/creator-erasure.ts), flagged by erasedAt.
export function creatorView(r: RosterRow, terms: TermsStanding | null | undefined, tags: string[] = []) {
  return {
    id: r.creatorId,
    email: r.email,
    handle: r.handle,
    displayName: r.displayName,
    niche: r.niche,
    platform: r.platform,
    followerCount: r.followerCount,
    addedAt: iso(r.createdAt),
    acceptedAt: r.acceptedAt === null ? null : iso(r.acceptedAt),
    termsAccepted: termsAcceptedView(terms),
    tags,
    erasedAt: iso(r.erasedAt),
  };
}

const op = routeDescriber({ tag: 'Creators', auth: 'adminKey' });
const creatorId = { id: 'The creator id.' };

export const creatorRoutes = new Hono<AppEnv>()
  .get(
    '/',
    op({
      summary: 'List the roster',
      description: 'Newest first, a page at a time (`limit`, then `cursor` from `nextCursor`). `tag` lists only the creators with that tag (read as tags are stored: trimmed, lower-cased; empty: no filter; one that is no tag: 422 `validation_failed`).',
      responses: { 200: { description: "The brand's creators.", schema: pagedListOf(Creator) } },
    }),
    valid('query', z.strictObject({ ...pageParams, tag: z.string().max(64).optional().describe('Only creators with this tag.') })),
    async (c) => {
      const { limit, cursor, tag: typedTag } = c.req.valid('query');
      const { brandId } = c.var.admin;
      // Present but empty (a form's blank field) is no filter, as absent is.
      const tag = typedTag === undefined || typedTag.trim() === '' ? undefined : normalizeTag(typedTag);
      if (tag === null) throw new ApiError(422, 'validation_failed', 'The request did not pass validation.', { issues: [{ path: 'tag', message: TAG_RULE }] });
      const page = await rosterPageSql(c.env.DB, brandId, { tag, after: cursor, limit: limit + 1 }, ROSTER_FIELDS);
      const { results: rows } = await c.env.DB.prepare(page.sql).bind(...page.params).all<RosterRow>();
      const listed = pageOf(rows, limit, (r) => ({ at: r.createdAt, id: r.creatorId }));
      const ids = listed.rows.map((r) => r.creatorId);
      const [terms, tags] = await Promise.all([standingsOf(c.env.DB, brandId, ids), tagsByCreator(c.env.DB, brandId, ids)]);
      return c.json({ data: listed.rows.map((r) => creatorView(r, terms.get(r.creatorId), tags.get(r.creatorId))), hasMore: listed.hasMore, nextCursor: listed.nextCursor });
    },
  )
  .post(
    '/',
    op({
      summary: 'Add a creator to the roster',
      description:
        "A creator has one global account: an email that already has one puts that account on this roster instead of creating a second. The handle, name and email are your roster's own: until the creator accepts your brand you see what you sent, never what the account holds or what other brands call it, and a handle is refused (409 `handle_taken`) only when another creator on your roster has it. Once they accept you see their own name and email as they change them. Adding a creator already on the roster answers 200 with the existing entry.",
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
      // A creator the brand has under this address is answered as the brand has them, whatever this call says.
      // Nothing of the account itself is read back: a brand learns only what it was told until they accept.
      const existing = await rosterEntryFor(c.env.DB, brandId, input.email);
      if (existing) return c.json({ data: creatorView(existing, await standingOf(c.env.DB, brandId, existing.creatorId), await tagsOf(c.env.DB, brandId, existing.creatorId)) }, 200);
      const holder = await db.query.brandCreators.findFirst({ columns: { creatorId: true }, where: and(eq(brandCreators.brandId, brandId), eq(brandCreators.handle, input.handle)) });
      if (holder) throw handleTaken();
      const entry = { brandId, handle: input.handle, displayName: input.displayName, email: input.email, niche: input.niche, platform: input.platform, followerCount: input.followerCount, acceptedAt: null, createdAt: now };
      // The roster row names the account by its email, so a call racing this one (another brand adding the
      // same address) cannot leave it pointing at an account that was never stored.
      const [, added] = await c.env.DB.batch([
        c.env.DB.prepare('INSERT INTO creators (id, email, handle, display_name, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING').bind(newId('cr'), input.email, input.handle, input.displayName, now),
        c.env.DB.prepare(
          `INSERT INTO brand_creators (brand_id, creator_id, handle, display_name, email, niche, platform, follower_count, created_at)
           SELECT ?, id, ?, ?, email, ?, ?, ?, ? FROM creators WHERE email = ? ON CONFLICT DO NOTHING RETURNING creator_id`,
        ).bind(brandId, input.handle, input.displayName, input.niche, input.platform, input.followerCount, now, input.email),
      ]);
      // Raced by a call for the same creator or the same handle: answer as the one that won left things.
      const stored = (added?.results[0] as { creator_id: string } | undefined)?.creator_id;
      if (!stored) {
        const winner = await rosterEntryFor(c.env.DB, brandId, input.email);
        if (!winner) throw handleTaken();
        return c.json({ data: creatorView(winner, await standingOf(c.env.DB, brandId, winner.creatorId), await tagsOf(c.env.DB, brandId, winner.creatorId)) }, 200);
      }
      await db.insert(auditLog).values(auditRow({ brandId, actorType: 'api_key', actorId: keyId, action: 'creator.added', targetType: 'creator', targetId: stored }, now));
      return c.json({ data: creatorView({ ...entry, creatorId: stored, erasedAt: null }, await standingOf(c.env.DB, brandId, stored)) }, 201);
    },
  )
  .put(
    '/:id/tags',
    op({
      summary: "Set a creator's tags",
      description:
        "Replaces the creator's whole set of tags, your brand's own labels for grouping its network (`uk`, `skincare`, `wave 2`): the network's results by segment read them. Each tag is stored trimmed, with inner spaces collapsed and lower-cased: 1-32 letters (with their accents and marks, in any script), digits, spaces, - or _ (else 422 `invalid_tag`). At most 10 a creator (422 `too_many_tags`) and 200 different tags a brand (409 `tag_limit_reached`, with the new tags in `details.newTags`). `[]` removes them all. Erased creators: 410 `creator_erased`. The creator does not see tags in their portal, but their data download lists the tags each brand gave them.",
      params: creatorId,
      example: { tags: ['uk', 'skincare', 'wave 2'] },
      responses: { 200: { description: 'The tags as stored, in order.', schema: dataOf(CreatorTags) } },
      errors: { 404: ['not_found'], 409: ['tag_limit_reached'], 410: ['creator_erased'], 422: ['invalid_tag', 'too_many_tags'] },
    }),
    valid('json', CreatorTagsInput),
    async (c) => {
      const { brandId, keyId } = c.var.admin;
      const id = c.req.param('id');
      const tags = await setCreatorTags(c.env.DB, brandId, id, c.req.valid('json').tags, { actorType: 'api_key', actorId: keyId });
      return c.json({ data: { id, tags } }, 200);
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
      errors: { 404: ['not_found'], 410: ['creator_erased'] },
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
      errors: { 404: ['not_found'], 409: ['creator_opted_out'], 410: ['creator_erased'], 429: ['rate_limited'], 503: ['mail_unavailable', 'public_origin_unset'] },
    }),
    async (c) => {
      const { brandId, keyId } = c.var.admin;
      const creator = await rosterCreator(c.env.DB, brandId, c.req.param('id'));
      // No provider is the first thing to fix, whatever else is missing.
      if (mailUnconfigured(c.env)) throw mailRefused('mail_not_configured');
      const sent = await passwordLink(c.env, brandId, creator, mailLinkOrigin(c), { actorType: 'api_key', actorId: keyId });
      if ('refused' in sent) throw mailRefused(sent.refused);
      const { expiresAt, confirmed } = sent;
      // 202: the provider did not confirm the mail; the link stands (it may be in the inbox) and is counted.
      return c.json({ data: { sent: true, confirmed, expiresAt: iso(expiresAt) } }, confirmed ? 201 : 202);
    },
  )
  .post(
    '/:id/erase',
    op({
      summary: "Erase a creator's personal data",
      description:
        "On the creator's request (GDPR art. 17): your brand's relationship with them is erased (your copy of their name, email and profile, their message texts, drafts whose usage rights they did not grant or whose grant ran out, gift addresses, the creator's details in your stored webhook events), every enrollment of theirs with you ends (their links keep sending shoppers to your pages with no click id or click, their codes stop validating, nothing credits them again), gift requests waiting to ship are declined, and a `creator.erased` webhook event goes to your endpoints. When no other brand works with them, their account goes too (email, handle, password, payout details, addresses); the answer is the same either way. Orders, commissions, ledger entries and payouts stay in your books under an anonymous name (`Closed account`); where paid payouts went is erased, so export the payouts CSV first if your tax records need it. One you still owe money (entries not paid, or payouts not marked paid) is 409 `creator_owed` with the amounts in `details.owed`: pay first. Send `{\"confirm\": true}`. Erased already: 410 `creator_erased`. Cannot be undone.",
      params: creatorId,
      example: { confirm: true },
      responses: { 200: { description: 'Erased.', schema: dataOf(CreatorErased) } },
      errors: { 404: ['not_found'], 409: ['creator_owed'], 410: ['creator_erased'] },
    }),
    valid('json', z.strictObject({ confirm: z.literal(true) })),
    async (c) => {
      const { brandId, keyId } = c.var.admin;
      const id = c.req.param('id');
      const { erasedAt } = await eraseOnRequest(c.env.DB, brandId, id, { actorType: 'api_key', actorId: keyId });
      return c.json({ data: { id, erasedAt: iso(erasedAt) } }, 200);
    },
  );

type Actor = Pick<AuditInput, 'actorType' | 'actorId'>;

// A brand erases a creator on their request (db/creator-erasure.ts): its own relationship with them, and their
// account too when no other brand has one (the answer is the same either way: whether another brand works with them
// is not this brand's to learn). Only one it owes nothing (it pays first, or the creator closes the account and
// gives it up themselves). Stops their links and codes in this isolate at once; other isolates follow within the caches' TTL.
export async function eraseOnRequest(db: D1Database, brandId: string, creatorId: string, actor: { actorType: 'admin_user' | 'api_key'; actorId: string }): Promise<{ erasedAt: number }> {
  const outcome = await eraseCreator(db, creatorId, { by: 'brand', brandId, ...actor }, Date.now());
  if (outcome.erased) {
    forgetErased(outcome);
    return { erasedAt: outcome.erasedAt };
  }
  switch (outcome.why) {
    case 'not_found':
      throw notFound('creator');
    case 'already_erased':
      throw creatorGone();
    default: {
      const owed = (await owedTo(db, creatorId)).filter((o) => o.brandId === brandId).map((o) => ({ currency: o.currency, amountMinor: o.owedMinor }));
      throw new ApiError(409, 'creator_owed', 'You still owe this creator money (entries not paid yet, or payouts not marked paid). Pay it first, or ask them to close their account themselves, which lets them give it up.', { owed });
    }
  }
}

/** After an erasure: the closed account's links and codes, as this isolate cached them, are read again. */
export function forgetErased(outcome: { slugs: string[]; codes: { brandId: string; code: string }[] }): void {
  for (const slug of outcome.slugs) forgetRoute(slug);
  for (const c of outcome.codes) forgetCode(c.brandId, c.code);
}

// A new invite link for a roster creator, audited: the API's invite call and the console's creator page.
export async function inviteLink(db: D1Database, brandId: string, creatorId: string, origin: string, actor: Actor): Promise<{ url: string; expiresAt: number }> {
  await refuseErased(db, creatorId, brandId);
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
  // The brand's own ask is refused once it erased them; the sign-in page's, once the account is closed.
  await refuseErased(env.DB, creator.id, brandAsked ? brandId : null);
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

const handleTaken = () => new ApiError(409, 'handle_taken', 'Another creator on your roster has this handle.');

// The creator a brand means by an address (accountFor: the one it has under that address, else the account
// using it), as the brand has them; undefined when it has no such creator.
async function rosterEntryFor(d1: D1Database, brandId: string, email: string): Promise<RosterRow | undefined> {
  const meant = await d1.prepare(`SELECT ${accountFor('?1', '?2')} AS id`).bind(brandId, email).first<string | null>('id');
  if (!meant) return undefined;
  const [row] = await database(d1).select().from(roster).where(and(eq(roster.brandId, brandId), eq(roster.creatorId, meant)));
  return row;
}

async function rosterCreator(db: D1Database, brandId: string, creatorId: string) {
  const row = await db
    .prepare('SELECT c.id, c.email FROM brand_creators r JOIN creators c ON c.id = r.creator_id WHERE r.brand_id = ? AND r.creator_id = ?')
    .bind(brandId, creatorId)
    .first<{ id: string; email: string }>();
  if (!row) throw notFound('creator');
  return row;
}
