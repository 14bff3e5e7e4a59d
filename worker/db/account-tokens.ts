// Single-use account links (invites, password resets): 256 random bits, only the hash is stored.
import { sha256Hex } from '../lib/digest';
import { randomToken } from '../lib/ids';

export const INVITE_TTL_MS = 7 * 24 * 3_600_000;
export const RESET_TTL_MS = 3_600_000;

export type TokenPurpose = 'invite' | 'reset';

export async function issueAccountToken(db: D1Database, purpose: TokenPurpose, creatorId: string, brandId: string, now: number) {
  const token = randomToken(32);
  const expiresAt = now + (purpose === 'invite' ? INVITE_TTL_MS : RESET_TTL_MS);
  await db
    .prepare('INSERT INTO account_tokens (token_hash, purpose, creator_id, brand_id, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?)')
    .bind(await sha256Hex(token), purpose, creatorId, brandId, expiresAt, now)
    .run();
  return { token, expiresAt };
}

// `shared`: the account is on another brand's roster too. A brand hands its invite links out itself, so such
// a link proves nothing about who holds the email address (see consumeTokenStatement).
export type AccountToken = { token_hash: string; creator_id: string; brand_id: string; has_password: number; shared: number; email: string; display_name: string };

export async function findUsableToken(db: D1Database, purpose: TokenPurpose, token: string, now: number): Promise<AccountToken | null> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  return db
    .prepare(
      `SELECT t.token_hash, t.creator_id, t.brand_id, c.password_hash IS NOT NULL AS has_password, c.email, c.display_name,
         EXISTS (SELECT 1 FROM brand_creators r WHERE r.creator_id = t.creator_id AND r.brand_id <> t.brand_id) AS shared
       FROM account_tokens t JOIN creators c ON c.id = t.creator_id
       WHERE t.token_hash = ? AND t.purpose = ? AND t.used_at IS NULL AND t.expires_at > ?`,
    )
    .bind(await sha256Hex(token), purpose, now)
    .first<AccountToken>();
}

// What an invite link may do for its account: set the first password, only while no other brand shares the
// account. A creator has one account across brands, and a brand receives its invite links itself (to send
// as it likes), so otherwise any brand could add a creator's email to its roster and take the account over,
// with another brand's campaigns and the payout details. A reset link is mailed to the account's own
// address (admin/creators.ts), which is the proof an invite link lacks; a shared account gets one that way.
export type InviteUse = 'set_password' | 'sign_in' | 'email_link';
export const inviteUse = (token: Pick<AccountToken, 'has_password' | 'shared'>): InviteUse => (token.has_password ? 'sign_in' : token.shared ? 'email_link' : 'set_password');

// The guarded update is what makes a token single-use under concurrent clicks: only one request sees changes = 1.
// An invite is consumed only while inviteUse() still says set_password, checked in the same statement, so a
// password set or a brand added after the page was shown cannot race it.
export function consumeTokenStatement(db: D1Database, tokenHash: string, now: number): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE account_tokens SET used_at = ?1 WHERE token_hash = ?2 AND used_at IS NULL AND expires_at > ?1
         AND (purpose <> 'invite' OR EXISTS (
           SELECT 1 FROM creators c WHERE c.id = account_tokens.creator_id AND c.password_hash IS NULL
             AND NOT EXISTS (SELECT 1 FROM brand_creators r WHERE r.creator_id = c.id AND r.brand_id <> account_tokens.brand_id)))`,
    )
    .bind(now, tokenHash);
}

// Once a password is set through one link, every other open link for the account expires (expired, not
// used: the import's invite sheet tells "accepted" from "existing account" by used_at). Runs in the batch
// after consumeTokenStatement and only if that consumed the token.
export function retireOtherTokensStatement(db: D1Database, creatorId: string, tokenHash: string, now: number): D1PreparedStatement {
  return db
    .prepare('UPDATE account_tokens SET expires_at = ?1 WHERE creator_id = ?2 AND used_at IS NULL AND expires_at > ?1 AND EXISTS (SELECT 1 FROM account_tokens t WHERE t.token_hash = ?3 AND t.used_at = ?1)')
    .bind(now, creatorId, tokenHash);
}
