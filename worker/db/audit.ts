import { auditLog } from './schema';
import { newId } from '../lib/ids';

type AuditInput = {
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
