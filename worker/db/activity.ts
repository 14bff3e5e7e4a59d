// A brand's activity: its audit log read back, newest first, a page at a time, with who did it and what it
// touched named as the brand knows them (a teammate's name, a key's name, a creator's handle, a campaign's
// name). Every name is looked up within the brand, so a row can never show another brand's.
import { afterParams, afterSql, type Position } from '../lib/cursor';

// What the log can be narrowed to, by the first part of the action.
export const ACTIVITY_AREAS = {
  access: ['admin_user', 'api_key', 'integration', 'brand'],
  campaigns: ['campaign', 'creator', 'creators', 'enrollment', 'link', 'code', 'plan', 'submission', 'application', 'bounty', 'gift', 'gift_product'],
  money: ['payout', 'period', 'ledger', 'conversion'],
  webhooks: ['webhook_endpoint', 'webhook_delivery'],
} as const;
export type ActivityArea = keyof typeof ACTIVITY_AREAS;

export type ActivityRow = {
  id: string;
  at: number;
  actor_type: 'admin_user' | 'api_key' | 'creator' | 'system';
  actor_id: string;
  actor_name: string | null;
  action: string;
  target_type: string;
  target_id: string;
  target_name: string | null;
  details: string | null;
};

const ACTOR_NAME = `CASE a.actor_type
    WHEN 'admin_user' THEN COALESCE((SELECT u.name FROM admin_users u WHERE u.id = a.actor_id AND u.brand_id = a.brand_id),
      (SELECT 'API key ' || k.name FROM api_keys k WHERE k.id = a.actor_id AND k.brand_id = a.brand_id))
    WHEN 'api_key' THEN (SELECT 'API key ' || k.name FROM api_keys k WHERE k.id = a.actor_id AND k.brand_id = a.brand_id)
    WHEN 'creator' THEN (SELECT '@' || r.handle FROM brand_creators r WHERE r.brand_id = a.brand_id AND r.creator_id = a.actor_id)
  END`;

const TARGET_NAME = `CASE a.target_type
    WHEN 'campaign' THEN (SELECT x.name FROM campaigns x WHERE x.id = a.target_id AND x.brand_id = a.brand_id)
    WHEN 'creator' THEN (SELECT '@' || r.handle FROM brand_creators r WHERE r.brand_id = a.brand_id AND r.creator_id = a.target_id)
    WHEN 'enrollment' THEN (SELECT '@' || r.handle FROM enrollments e JOIN brand_creators r ON r.brand_id = e.brand_id AND r.creator_id = e.creator_id WHERE e.id = a.target_id AND e.brand_id = a.brand_id)
    WHEN 'api_key' THEN (SELECT k.name FROM api_keys k WHERE k.id = a.target_id AND k.brand_id = a.brand_id)
    WHEN 'admin_user' THEN (SELECT u.name FROM admin_users u WHERE u.id = a.target_id AND u.brand_id = a.brand_id)
    WHEN 'webhook_endpoint' THEN (SELECT w.url FROM webhook_endpoints w WHERE w.id = a.target_id AND w.brand_id = a.brand_id)
    WHEN 'integration' THEN (SELECT i.external_account FROM brand_integrations i WHERE i.id = a.target_id AND i.brand_id = a.brand_id)
    WHEN 'code' THEN (SELECT d.code FROM discount_codes d WHERE d.id = a.target_id AND d.brand_id = a.brand_id)
    WHEN 'commission_plan' THEN (SELECT p.name FROM commission_plans p WHERE p.id = a.target_id AND p.brand_id = a.brand_id)
    WHEN 'conversion' THEN (SELECT COALESCE('@' || r.handle, 'nobody') FROM conversions x LEFT JOIN enrollments e ON e.id = x.enrollment_id
      LEFT JOIN brand_creators r ON r.brand_id = e.brand_id AND r.creator_id = e.creator_id WHERE x.id = a.target_id AND x.brand_id = a.brand_id)
    WHEN 'period' THEN a.target_id
    WHEN 'year' THEN a.target_id
    WHEN 'application' THEN (SELECT '@' || p.handle FROM applications p WHERE p.id = a.target_id AND p.brand_id = a.brand_id)
    WHEN 'submission' THEN (SELECT '@' || r.handle || ', ' || c.name FROM submissions x JOIN enrollments e ON e.id = x.enrollment_id
      JOIN brand_creators r ON r.brand_id = e.brand_id AND r.creator_id = e.creator_id JOIN campaigns c ON c.id = e.campaign_id WHERE x.id = a.target_id AND x.brand_id = a.brand_id)
  END`;

export async function listActivity(db: D1Database, brandId: string, f: { area?: ActivityArea; after?: Position; limit: number }): Promise<ActivityRow[]> {
  const prefixes = f.area ? ACTIVITY_AREAS[f.area] : [];
  const where = [
    'a.brand_id = ?',
    ...(prefixes.length > 0 ? [`(${prefixes.map(() => 'instr(a.action, ?) = 1').join(' OR ')})`] : []),
    ...(f.after ? [afterSql('a.at', 'a.id')] : []),
  ];
  const { results } = await db
    .prepare(
      `SELECT a.id, a.at, a.actor_type, a.actor_id, ${ACTOR_NAME} AS actor_name, a.action, a.target_type, a.target_id, ${TARGET_NAME} AS target_name, a.details
       FROM audit_log a WHERE ${where.join(' AND ')} ORDER BY a.at DESC, a.id DESC LIMIT ?`,
    )
    .bind(brandId, ...prefixes.map((p) => `${p}.`), ...(f.after ? afterParams(f.after) : []), f.limit)
    .all<ActivityRow>();
  return results;
}
