import type { BatchItem } from 'drizzle-orm/batch';
import type { Db } from './client';
import { auditLog } from './schema';
import { isUniqueViolation } from '../lib/d1-errors';
import type { ApiError } from '../lib/errors';
import { newId } from '../lib/ids';

export type AuditInput = {
  brandId: string;
  actorType: 'admin_user' | 'api_key' | 'creator' | 'system';
  actorId: string;
  action: string;
  targetType: string;
  targetId: string;
  details?: Record<string, unknown>;
};

export function auditRow(input: AuditInput, at: number): typeof auditLog.$inferInsert {
  return { id: newId('aud'), details: null, ...input, at };
}

// A write and its audit row land together or not at all; a unique-key clash becomes the caller's 409.
export async function writeAudited(db: Db, write: BatchItem<'sqlite'>, audit: AuditInput, at: number, onConflict?: () => ApiError): Promise<void> {
  try {
    await db.batch([write, db.insert(auditLog).values(auditRow(audit, at))]);
  } catch (e) {
    if (onConflict && isUniqueViolation(e)) throw onConflict();
    throw e;
  }
}

// An audit row for the write just before it in a raw D1 batch, written only when that write changed a row:
// a compare-and-set that lost writes neither.
export const auditIfChanged = (db: D1Database, a: AuditInput, at: number) =>
  db
    .prepare('INSERT INTO audit_log (id, brand_id, actor_type, actor_id, action, target_type, target_id, details, at) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE changes() > 0')
    .bind(newId('aud'), a.brandId, a.actorType, a.actorId, a.action, a.targetType, a.targetId, a.details ? JSON.stringify(a.details) : null, at);
