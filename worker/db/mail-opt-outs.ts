// Unsubscribing from invitations. Each invitation mail carries a link (and List-Unsubscribe headers, RFC 8058)
// holding a sealed token: the brand and the address, readable only with SECRETS_KEY, so the link names no one
// in the clear and cannot be made for another address. Opening it asks; the button (or a mail client's one-click
// POST) records the opt-out, for that brand or for every brand, and the same page undoes it. Invitations to an
// opted-out address are neither claimed nor sent, nor is the note that the brand declined an application (which
// carries the same link), and nothing else the brand asks for (a password link) reaches it until the creator
// joins the brand. Notices to someone who joined (payouts, review decisions) and links the
// creator asks for themselves are not affected.
import { z } from 'zod';
import { openSecret, sealSecret } from '../lib/secrets';
import { DAY_MS } from '../domain/periods';

export const EVERY_BRAND = '*';

// A link's token of one kind: sealed under a key of its own (derived from SECRETS_KEY), so no other sealed value,
// nor a token of another kind, opens as one. `open` is null for anything that is not such a token.
function sealedLinks<T, B extends object>(kind: string, body: z.ZodType<B>, toBody: (value: T) => B, fromBody: (b: B) => T) {
  const key = (secretsKey: string) => `${kind}:${secretsKey}`;
  return {
    seal: (secretsKey: string, value: T): Promise<string> => sealSecret(key(secretsKey), JSON.stringify(toBody(value))),
    open: async (secretsKey: string, token: string): Promise<T | null> => {
      if (token.length > 600 || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) return null;
      try {
        const parsed = body.safeParse(JSON.parse(await openSecret(key(secretsKey), token)));
        return parsed.success ? fromBody(parsed.data) : null;
      } catch {
        return null;
      }
    },
  };
}

const EMAIL = z.string().min(3).max(254);
const ID = z.string().min(1).max(64);

// An invitation's unsubscribe link: the brand and the address.
export type Unsubscribe = { brandId: string; email: string };
const unsubscribeLinks = sealedLinks(
  'unsubscribe',
  z.strictObject({ p: z.literal('unsubscribe'), b: ID, e: EMAIL }),
  (u: Unsubscribe) => ({ p: 'unsubscribe' as const, b: u.brandId, e: u.email }),
  (b) => ({ brandId: b.b, email: b.e }),
);
export const unsubscribeToken = unsubscribeLinks.seal;
export const openUnsubscribeToken = unsubscribeLinks.open;

// The earnings mail's own link (jobs/earnings-digest.ts): the creator account and the address it was mailed to, so
// it turns off that mail for that account and nothing else, with no sign-in, and only while the account still uses
// that address (an old mail's link shows nobody a newer address).
export type EarningsMailLink = { creatorId: string; email: string };
const earningsLinks = sealedLinks(
  'earnings-mail',
  z.strictObject({ p: z.literal('earnings'), c: ID, e: EMAIL }),
  (l: EarningsMailLink) => ({ p: 'earnings' as const, c: l.creatorId, e: l.email }),
  (b) => ({ creatorId: b.c, email: b.e }),
);
export const earningsMailToken = earningsLinks.seal;
export const openEarningsMailToken = earningsLinks.open;

// Turns the earnings mail on or off for an account. Turning it back on starts its next window a day back at most,
// so the first mail is not about everything earned while it was off. ?1 creator, ?2 on, ?3 now, ?4 a day; `email`
// (the link's address) makes it a no-op for an account that moved.
export function setEarningsMail(db: D1Database, creatorId: string, on: boolean, now: number, email?: string): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE creators SET earnings_digest_at = CASE WHEN ?2 = 1 AND earnings_digest = 0 THEN MAX(COALESCE(earnings_digest_at, 0), ?3 - ?4) ELSE earnings_digest_at END,
         earnings_digest = ?2
       WHERE id = ?1${email === undefined ? '' : ' AND email = ?5'}`,
    )
    .bind(creatorId, on ? 1 : 0, now, DAY_MS, ...(email === undefined ? [] : [email]));
}

// A campaign news mail's link (an update or a brief change, db/campaign-updates.ts newsMailParts): the account, the
// brand whose news it is, and the address it was mailed to, so it stops that brand's news to that account and
// nothing else, and, as the earnings link, only while the account still uses that address.
export type CampaignNewsLink = { creatorId: string; brandId: string; email: string };
const newsLinks = sealedLinks(
  'campaign-news',
  z.strictObject({ p: z.literal('news'), c: ID, b: ID, e: EMAIL }),
  (l: CampaignNewsLink) => ({ p: 'news' as const, c: l.creatorId, b: l.brandId, e: l.email }),
  (b) => ({ creatorId: b.c, brandId: b.b, email: b.e }),
);
export const campaignNewsToken = newsLinks.seal;
export const openCampaignNewsToken = newsLinks.open;

// Turns a brand's campaign news on or off for an account that joined the brand (a brand that only invited it
// sends it none). Setting it as it is still counts as a change (SQLite counts the row), so a repeat is told apart
// from a link naming nobody. `email` (the link's address) makes it a no-op for an account that moved.
export function setCampaignNews(db: D1Database, creatorId: string, brandId: string, on: boolean, email?: string): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE brand_creators SET campaign_news = ?3 WHERE brand_id = ?2 AND creator_id = ?1 AND accepted_at IS NOT NULL${email === undefined ? '' : ' AND EXISTS (SELECT 1 FROM creators c WHERE c.id = ?1 AND c.email = ?4)'}`,
    )
    .bind(creatorId, brandId, on ? 1 : 0, ...(email === undefined ? [] : [email]));
}

// Idempotent: a second click (or a mail client's POST after the person's) changes nothing. Statements, to batch
// with the audit row that records a change.
export const optOut = (db: D1Database, email: string, scope: string, now: number) =>
  db.prepare('INSERT INTO mail_opt_outs (email, scope, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').bind(email, scope, now);

// Undoes an opt-out from the same link (a mail app's "report spam" may have pressed the one-click one).
export const optBackIn = (db: D1Database, email: string, scope: string) => db.prepare('DELETE FROM mail_opt_outs WHERE email = ? AND scope = ?').bind(email, scope);

// SQL that is true when address `email` has opted out of invitations from brand `brand` (both SQL expressions).
export const OPTED_OUT = (email: string, brand: string) => `EXISTS (SELECT 1 FROM mail_opt_outs o WHERE o.email = ${email} AND o.scope IN (${brand}, '${EVERY_BRAND}'))`;

// The addresses among `emails` that asked not to get this brand's invitations.
export async function optedOutAmong(db: D1Database, brandId: string, emails: string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < emails.length; i += 90) {
    const chunk = emails.slice(i, i + 90);
    const { results } = await db
      .prepare(`SELECT DISTINCT email FROM mail_opt_outs WHERE scope IN (?, '${EVERY_BRAND}') AND email IN (${chunk.map(() => '?').join(', ')})`)
      .bind(brandId, ...chunk)
      .all<{ email: string }>();
    for (const r of results) out.add(r.email);
  }
  return out;
}

export async function optedOutOf(db: D1Database, brandId: string, email: string): Promise<{ brand: boolean; every: boolean }> {
  const { results } = await db.prepare(`SELECT scope FROM mail_opt_outs WHERE email = ? AND scope IN (?, '${EVERY_BRAND}')`).bind(email, brandId).all<{ scope: string }>();
  return { brand: results.some((r) => r.scope === brandId), every: results.some((r) => r.scope === EVERY_BRAND) };
}

// Whether a creator has not joined brand `brandId` and opted out of its invitations (or every brand's): then
// nothing the brand asks for (a password link) is mailed to them either.
export async function unjoinedAndOptedOut(db: D1Database, brandId: string, creatorId: string): Promise<boolean> {
  const row = await db
    .prepare(
      `SELECT 1 AS hit FROM creators c WHERE c.id = ?2 AND ${OPTED_OUT('c.email', '?1')}
         AND NOT EXISTS (SELECT 1 FROM brand_creators r WHERE r.brand_id = ?1 AND r.creator_id = c.id AND r.accepted_at IS NOT NULL)`,
    )
    .bind(brandId, creatorId)
    .first();
  return row !== null;
}
