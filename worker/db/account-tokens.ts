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

export type AccountToken = { token_hash: string; creator_id: string; brand_id: string; has_password: number; email: string; display_name: string };

export async function findUsableToken(db: D1Database, purpose: TokenPurpose, token: string, now: number): Promise<AccountToken | null> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  return db
    .prepare(
      `SELECT t.token_hash, t.creator_id, t.brand_id, c.password_hash IS NOT NULL AS has_password, c.email, c.display_name
       FROM account_tokens t JOIN creators c ON c.id = t.creator_id
       WHERE t.token_hash = ? AND t.purpose = ? AND t.used_at IS NULL AND t.expires_at > ?`,
    )
    .bind(await sha256Hex(token), purpose, now)
    .first<AccountToken>();
}

// The guarded update is what makes a token single-use under concurrent clicks: only one request sees changes = 1.
export function consumeTokenStatement(db: D1Database, tokenHash: string, now: number): D1PreparedStatement {
  return db.prepare('UPDATE account_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?').bind(now, tokenHash, now);
}
