import { and, eq, gt, isNull, or } from 'drizzle-orm';
import type { Db } from '../db/client';
import { apiKeys } from '../db/schema';
import { sha256Hex } from './digest';
import { newId, randomToken } from './ids';

export type KeyScope = 'storefront' | 'ingest' | 'admin';

const PREFIX: Record<KeyScope, string> = { storefront: 'ck_pub_', ingest: 'ck_ingest_', admin: 'ck_admin_' };

export function generateApiKey(scope: KeyScope): string {
  return `${PREFIX[scope]}${randomToken(24)}`;
}

export async function apiKeyRow(brandId: string, scope: KeyScope, key: string, name: string, now: number) {
  return { id: newId('key'), brandId, scope, name, keyHash: await sha256Hex(key), prefix: key.slice(0, PREFIX[scope].length + 4), createdAt: now };
}

// A key works until it is revoked or its optional expiry passes; the SQL form is for the raw lookups.
export const ACTIVE_KEY_SQL = 'revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)';

// Keys are looked up by their SHA-256: a 192-bit random key needs no slow hash, and the index makes it one read.
export async function findActiveKey(db: Db, presented: string, now = Date.now()) {
  if (presented.length < 16 || presented.length > 128) return undefined;
  return db.query.apiKeys.findFirst({
    where: and(eq(apiKeys.keyHash, await sha256Hex(presented)), isNull(apiKeys.revokedAt), or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now))),
  });
}
