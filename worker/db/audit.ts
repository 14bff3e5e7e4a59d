import type { BatchItem } from 'drizzle-orm/batch';
import type { Db } from './client';
import { auditLog } from './schema';
import { isUniqueViolation } from '../lib/d1-errors';
import type { ApiError } from '../lib/errors';
import { newId } from '../lib/ids';

// A brand's team acting: a console member or an admin API key.
export type Actor = { type: 'admin_user' | 'api_key'; id: string };

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

/** The creator's own ending of an enrollment (left it, or declined one campaign): an audit row at its removal. */
export const CREATOR_ENDED_ACTIONS = ['enrollment.left', 'enrollment.declined'] as const;
/** SQL: the action (of CREATOR_ENDED_ACTIONS) by which the creator ended enrollment `e` (an alias with brand_id, id and removed_at), or NULL. */
export const creatorEndedSql = (e: string) =>
  `(SELECT a.action FROM audit_log a WHERE a.brand_id = ${e}.brand_id AND a.at = ${e}.removed_at AND a.target_id = ${e}.id AND a.action IN (${CREATOR_ENDED_ACTIONS.map((action) => `'${action}'`).join(', ')}) LIMIT 1)`;

/** The enrollment's removal by the creator themselves, with its audit row, in one batch. */
export const creatorEndsStatements = (db: D1Database, e: { brandId: string; enrollmentId: string; creatorId: string }, action: (typeof CREATOR_ENDED_ACTIONS)[number], fromStatus: 'invited' | 'not-removed', now: number) => [
  db.prepare(`UPDATE enrollments SET status = 'removed', removed_at = ? WHERE id = ? AND creator_id = ? AND ${fromStatus === 'invited' ? "status = 'invited'" : "status <> 'removed'"}`).bind(now, e.enrollmentId, e.creatorId),
  auditIfChanged(db, { brandId: e.brandId, actorType: 'creator', actorId: e.creatorId, action, targetType: 'enrollment', targetId: e.enrollmentId }, now),
];

// An audit row of an event that writes nothing else (a refusal worth knowing about).
export const auditStatement = (db: D1Database, a: AuditInput, at: number) =>
  db
    .prepare('INSERT INTO audit_log (id, brand_id, actor_type, actor_id, action, target_type, target_id, details, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
    .bind(newId('aud'), a.brandId, a.actorType, a.actorId, a.action, a.targetType, a.targetId, a.details ? JSON.stringify(a.details) : null, at);

// An audit row for the write just before it in a raw D1 batch, written only when that write changed a row:
// a compare-and-set that lost writes neither.
export const auditIfChanged = (db: D1Database, a: AuditInput, at: number) =>
  db
    .prepare('INSERT INTO audit_log (id, brand_id, actor_type, actor_id, action, target_type, target_id, details, at) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE changes() > 0')
    .bind(newId('aud'), a.brandId, a.actorType, a.actorId, a.action, a.targetType, a.targetId, a.details ? JSON.stringify(a.details) : null, at);

// An audit row written only while `condition` holds (SQL binding ?10, ?11… to `params`): the same guard as the write
// it records, so a write that a concurrent change stopped leaves no row claiming it happened.
export const auditWhere = (db: D1Database, a: AuditInput, at: number, condition: string, ...params: unknown[]) =>
  db
    .prepare(`INSERT INTO audit_log (id, brand_id, actor_type, actor_id, action, target_type, target_id, details, at) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 WHERE ${condition}`)
    .bind(newId('aud'), a.brandId, a.actorType, a.actorId, a.action, a.targetType, a.targetId, a.details ? JSON.stringify(a.details) : null, at, ...params);

// An activity row of an event of a creator's own account (its address, its sign-in) in each brand they joined: the
// account is theirs alone, but those brands pay it. `ifChanged`: only when the write just before it changed a row.
export const creatorAccountAudit = (
  db: D1Database,
  creatorId: string,
  action: string,
  now: number,
  { actor = { type: 'creator', id: creatorId }, details, ifChanged = false }: { actor?: { type: AuditInput['actorType']; id: string }; details?: Record<string, unknown>; ifChanged?: boolean } = {},
) =>
  db
    .prepare(
      `INSERT INTO audit_log (id, brand_id, actor_type, actor_id, action, target_type, target_id, details, at)
       SELECT 'aud_' || lower(hex(randomblob(12))), bc.brand_id, ?2, ?3, ?4, 'creator', ?1, ?5, ?6 FROM brand_creators bc
       WHERE bc.creator_id = ?1 AND bc.accepted_at IS NOT NULL AND bc.erased_at IS NULL${ifChanged ? ' AND changes() > 0' : ''}`,
    )
    .bind(creatorId, actor.type, actor.id, action, details ? JSON.stringify(details) : null, now);
