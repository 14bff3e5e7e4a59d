// Unsubscribing from invitations. Each invitation mail carries a link (and List-Unsubscribe headers, RFC 8058)
// holding a sealed token: the brand and the address, readable only with SECRETS_KEY, so the link names no one
// in the clear and cannot be made for another address. Opening it asks; the button (or a mail client's one-click
// POST) records the opt-out, for that brand or for every brand. Invitations to an opted-out address are neither
// claimed nor sent. Notices to an account (payouts, review decisions, password links) are not affected: the
// creator asked for those by joining.
import { z } from 'zod';
import { openSecret, sealSecret } from '../lib/secrets';

export const EVERY_BRAND = '*';

const tokenBody = z.strictObject({ p: z.literal('unsubscribe'), b: z.string().min(1).max(64), e: z.string().min(3).max(254) });
export type Unsubscribe = { brandId: string; email: string };

export async function unsubscribeToken(secretsKey: string, u: Unsubscribe): Promise<string> {
  return sealSecret(secretsKey, JSON.stringify({ p: 'unsubscribe', b: u.brandId, e: u.email }));
}

// The brand and address a token names, or null for anything that is not a token Chorus sealed.
export async function openUnsubscribeToken(secretsKey: string, token: string): Promise<Unsubscribe | null> {
  if (token.length > 600 || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) return null;
  try {
    const parsed = tokenBody.safeParse(JSON.parse(await openSecret(secretsKey, token)));
    return parsed.success ? { brandId: parsed.data.b, email: parsed.data.e } : null;
  } catch {
    return null;
  }
}

// Idempotent: a second click (or a mail client's POST after the person's) changes nothing.
export async function optOut(db: D1Database, email: string, scope: string, now: number): Promise<void> {
  await db.prepare('INSERT INTO mail_opt_outs (email, scope, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').bind(email, scope, now).run();
}

// SQL that is true when address `email` has opted out of invitations from brand `brand` (both SQL expressions).
export const OPTED_OUT = (email: string, brand: string) => `EXISTS (SELECT 1 FROM mail_opt_outs o WHERE o.email = ${email} AND o.scope IN (${brand}, '${EVERY_BRAND}'))`;

export async function optedOutOf(db: D1Database, brandId: string, email: string): Promise<{ brand: boolean; every: boolean }> {
  const { results } = await db.prepare(`SELECT scope FROM mail_opt_outs WHERE email = ? AND scope IN (?, '${EVERY_BRAND}')`).bind(email, brandId).all<{ scope: string }>();
  return { brand: results.some((r) => r.scope === brandId), every: results.some((r) => r.scope === EVERY_BRAND) };
}
