// Console password links, mailed to an address and nowhere else: a reset asked for at /console/forgot (an
// hour), or an invitation an owner sends when adding the address to the team (a week). Either sets the
// password of every console account of the address, as one person holds one mailbox. Only hashes are stored.
import { isLinkToken } from '../../../db/account-tokens';
import { mailOrigin, type Env } from '../../../env';
import { sha256Hex } from '../../../lib/digest';
import { randomToken } from '../../../lib/ids';
import { MailError, mailSetup, sendMessage } from '../../../lib/messages';

export type LinkPurpose = 'reset' | 'invite';

export const CONSOLE_RESET_TTL_MS = 3_600_000;
export const CONSOLE_INVITE_TTL_MS = 7 * 86_400_000;
// Links of each kind mailed to one address in a day: each is a mail to someone's inbox, so no one can flood it from here.
export const CONSOLE_LINKS_PER_DAY: Record<LinkPurpose, number> = { reset: 3, invite: 5 };

// Removed team members keep their row (history names them) and open nothing.
export const LIVE_MEMBER = 'removed_at IS NULL';

// Why no link can be mailed from here now, or null: no mail provider, or (deployed) no PUBLIC_ORIGIN, since the
// request's own host could be chosen by whoever asks, behind a proxy or a wildcard route, and the owner of the
// address would then send them the token (env.ts mailOrigin, the rule every mail keeps).
export function consoleLinksUnavailable(c: { env: Env; req: { url: string } }): 'no_mail' | 'no_origin' | null {
  if (mailSetup(c.env).kind === 'unconfigured') return 'no_mail';
  return mailOrigin(c.env, c.req) === null ? 'no_origin' : null;
}

// The guard that keeps a link's writes to its first use: a second copy of the form posted at once writes nothing.
export const UNUSED_LINK = 'EXISTS (SELECT 1 FROM admin_reset_tokens WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?)';

export type UsableLink =
  | { purpose: 'reset'; token_hash: string; email: string }
  // The invited account (no password yet), and whether the address signs in to another brand already.
  | { purpose: 'invite'; token_hash: string; email: string; brand_id: string; brand_name: string; member_id: string; existing: boolean };

// A link still usable now. A reset needs an account of the address with a password (it changes only those);
// an invitation needs its member still on the team and not joined yet.
export async function usableLink(db: D1Database, raw: string, now: number): Promise<UsableLink | null> {
  if (!isLinkToken(raw)) return null;
  type Row = { token_hash: string; email: string; purpose: LinkPurpose; brand_id: string | null; brand_name: string | null; member_id: string | null; existing: number };
  const row = await db
    .prepare(
      `SELECT t.token_hash, t.email, t.purpose, t.brand_id, b.name AS brand_name,
         (SELECT u.id FROM admin_users u WHERE u.brand_id = t.brand_id AND u.email = t.email AND u.${LIVE_MEMBER} AND u.password_hash IS NULL) AS member_id,
         EXISTS (SELECT 1 FROM admin_users u WHERE u.email = t.email AND u.${LIVE_MEMBER} AND u.password_hash IS NOT NULL) AS existing
       FROM admin_reset_tokens t LEFT JOIN brands b ON b.id = t.brand_id
       WHERE t.token_hash = ? AND t.used_at IS NULL AND t.expires_at > ?`,
    )
    .bind(await sha256Hex(raw), now)
    .first<Row>();
  if (!row) return null;
  if (row.purpose === 'reset') return row.existing ? { purpose: 'reset', token_hash: row.token_hash, email: row.email } : null;
  if (!row.member_id || !row.brand_id) return null;
  return { purpose: 'invite', token_hash: row.token_hash, email: row.email, brand_id: row.brand_id, brand_name: row.brand_name ?? '', member_id: row.member_id, existing: row.existing === 1 };
}

type Mint = { email: string; purpose: LinkPurpose; brandId?: string; now: number };

// Invitations one brand may send in a day, to everyone together: an owner chooses the addresses, so without
// this a team could use Chorus to mail strangers.
export const CONSOLE_INVITES_PER_BRAND_PER_DAY = 50;

export type Minted = { token: string; tokenHash: string; expiresAt: number };
export type NotMinted = { refused: 'address_limit' | 'brand_limit' | 'no_account' };

// Makes a link only for a live console account of the address (with a password, for a reset: only those
// change; not joined yet, in the brand, for an invitation) and under the day's allowances, all checked in the
// insert itself. An invitation counts against this brand's sends only, to the address and in all: what
// other brands send is neither spent nor shown here.
export async function mintConsoleLink(db: D1Database, { email, purpose, brandId, now }: Mint): Promise<Minted | NotMinted> {
  const token = randomToken(32);
  const tokenHash = await sha256Hex(token);
  const expiresAt = now + (purpose === 'invite' ? CONSOLE_INVITE_TTL_MS : CONSOLE_RESET_TTL_MS);
  const account = purpose === 'invite' ? 'brand_id = ?4 AND password_hash IS NULL' : 'password_hash IS NOT NULL';
  const sent = "SELECT count(*) FROM admin_reset_tokens WHERE purpose = ?3 AND created_at > ?6 - 86400000 AND brand_id IS ?4";
  const { meta } = await db
    .prepare(
      `INSERT INTO admin_reset_tokens (token_hash, email, purpose, brand_id, expires_at, created_at)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6
       WHERE EXISTS (SELECT 1 FROM admin_users WHERE email = ?2 AND ${LIVE_MEMBER} AND ${account})
         AND (${sent} AND email = ?2) < ?7
         AND (?4 IS NULL OR (${sent}) < ?8)`,
    )
    .bind(tokenHash, email, purpose, brandId ?? null, expiresAt, now, CONSOLE_LINKS_PER_DAY[purpose], CONSOLE_INVITES_PER_BRAND_PER_DAY)
    .run();
  if (meta.changes === 1) return { token, tokenHash, expiresAt };
  // Why not (read after the fact, so a race only changes which refusal is named).
  const counts = await db
    .prepare(
      `SELECT EXISTS (SELECT 1 FROM admin_users WHERE email = ?1 AND ${LIVE_MEMBER} AND ${account.replaceAll('?4', '?3')}) AS account,
         (SELECT count(*) FROM admin_reset_tokens WHERE purpose = ?2 AND created_at > ?4 - 86400000 AND brand_id IS ?3) AS brand`,
    )
    .bind(email, purpose, brandId ?? null, now)
    .first<{ account: number; brand: number }>();
  if (!counts?.account) return { refused: 'no_account' };
  return { refused: brandId && counts.brand >= CONSOLE_INVITES_PER_BRAND_PER_DAY ? 'brand_limit' : 'address_limit' };
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
