// Console password links, mailed to an address and nowhere else: a reset asked for at /console/forgot (an
// hour), or an invitation an owner sends when adding the address to the team (a week). Either sets the
// password of every console account of the address, as one person holds one mailbox. Only hashes are stored.
import { isLinkToken } from '../../../db/account-tokens';
import type { Env } from '../../../env';
import { sha256Hex } from '../../../lib/digest';
import { randomToken } from '../../../lib/ids';
import { localEnvironment, MailError, mailSetup, sendMessage } from '../../../lib/messages';

export type LinkPurpose = 'reset' | 'invite';

export const CONSOLE_RESET_TTL_MS = 3_600_000;
export const CONSOLE_INVITE_TTL_MS = 7 * 86_400_000;
// Links of each kind mailed to one address in a day: each is a mail to someone's inbox, so no one can flood it from here.
export const CONSOLE_LINKS_PER_DAY: Record<LinkPurpose, number> = { reset: 3, invite: 5 };

// Removed team members keep their row (history names them) and open nothing.
export const LIVE_MEMBER = 'removed_at IS NULL';

// Deployed, a mailed link's host must be the configured one: the request's own could be chosen by whoever
// asks, behind a proxy or a wildcard route, and the owner of the address would then send them the token.
export const consoleLinksUnavailable = (env: Env) => mailSetup(env).kind === 'unconfigured' || (!localEnvironment(env.ENVIRONMENT) && !/^https?:\/\//i.test(env.PUBLIC_ORIGIN ?? ''));

// The guard that keeps a link's writes to its first use: a second copy of the form posted at once writes nothing.
export const UNUSED_LINK = 'EXISTS (SELECT 1 FROM admin_reset_tokens WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?)';

export type UsableLink = { token_hash: string; email: string; purpose: LinkPurpose; brand_id: string | null; brand_name: string | null };

// A link still usable now. An invitation also needs its member still on the team.
export async function usableLink(db: D1Database, raw: string, now: number): Promise<UsableLink | null> {
  if (!isLinkToken(raw)) return null;
  return db
    .prepare(
      `SELECT t.token_hash, t.email, t.purpose, t.brand_id, b.name AS brand_name FROM admin_reset_tokens t LEFT JOIN brands b ON b.id = t.brand_id
       WHERE t.token_hash = ? AND t.used_at IS NULL AND t.expires_at > ?
         AND (t.purpose = 'reset' OR EXISTS (SELECT 1 FROM admin_users u WHERE u.brand_id = t.brand_id AND u.email = t.email AND u.${LIVE_MEMBER}))`,
    )
    .bind(await sha256Hex(raw), now)
    .first<UsableLink>();
}

type Mint = { email: string; purpose: LinkPurpose; brandId?: string; now: number };

// Makes a link only when the address has a live console account (in the brand, for an invitation) and is
// under the day's allowance for the kind, both checked in the insert itself. Null when it made none.
export async function mintConsoleLink(db: D1Database, { email, purpose, brandId, now }: Mint): Promise<{ token: string; tokenHash: string; expiresAt: number } | null> {
  const token = randomToken(32);
  const tokenHash = await sha256Hex(token);
  const expiresAt = now + (purpose === 'invite' ? CONSOLE_INVITE_TTL_MS : CONSOLE_RESET_TTL_MS);
  const { meta } = await db
    .prepare(
      `INSERT INTO admin_reset_tokens (token_hash, email, purpose, brand_id, expires_at, created_at)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6
       WHERE EXISTS (SELECT 1 FROM admin_users WHERE email = ?2 AND ${LIVE_MEMBER} AND (?4 IS NULL OR brand_id = ?4))
         AND (SELECT count(*) FROM admin_reset_tokens WHERE email = ?2 AND purpose = ?3 AND created_at > ?6 - 86400000) < ?7`,
    )
    .bind(tokenHash, email, purpose, brandId ?? null, expiresAt, now, CONSOLE_LINKS_PER_DAY[purpose])
    .run();
  return meta.changes === 1 ? { token, tokenHash, expiresAt } : null;
}

// Mails a minted link. A mail that certainly did not leave takes its link back: no one holds it, so it must
// not spend the day's allowance (an unconfirmed one may have left, and stays).
export async function mailConsoleLink(env: Env, tokenHash: string, message: { to: string; subject: string; text: string }): Promise<void> {
  try {
    await sendMessage(env, message);
  } catch (error) {
    if (error instanceof MailError && error.reason !== 'unconfirmed') await env.DB.prepare('DELETE FROM admin_reset_tokens WHERE token_hash = ?').bind(tokenHash).run();
    throw error;
  }
}
