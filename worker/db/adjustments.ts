// A brand's own entry on a creator's ledger, as Dub's "create commission" or Rewardful's manual commission: a
// bonus for a post that did well, or a correction (a sale the customer forgot the code on, a fee paid twice).
// Positive or negative, payable at once in the brand's current period, with the brand's reason, which the
// creator sees. Append-only like every entry: a wrong adjustment is corrected by another.
import { periodOf } from '../domain/periods';
import { ApiError } from '../lib/errors';
import { newId } from '../lib/ids';
import { iso } from '../lib/validate';
import { auditIfChanged, type Actor } from './audit';
import { creatorGone } from './creator-erasure';

/** An enrollment's adjustments, newest first, for the console's creator page: what was added and why. */
export type ListedAdjustment = { amount_minor: number; currency: string; note: string; created_at: number; paid: number };
export const RECENT_ADJUSTMENTS = 20;
export const recentAdjustments = (db: D1Database, brandId: string, enrollmentId: string) =>
  db
    .prepare(
      `SELECT l.amount_minor, l.currency, l.note, l.created_at, p.status IS 'paid' AS paid FROM ledger_entries l LEFT JOIN payouts p ON p.id = l.payout_id
       WHERE l.enrollment_id = ? AND +l.brand_id = ? AND l.kind = 'adjustment' ORDER BY l.created_at DESC, l.id LIMIT ${RECENT_ADJUSTMENTS}`,
    )
    .bind(enrollmentId, brandId)
    .all<ListedAdjustment>()
    .then((r) => r.results);

/** At most this much either way in one adjustment (100,000.00 in a two-decimal currency). */
export const MAX_ADJUSTMENT_MINOR = 10_000_000;

export type AdjustmentInput = { amountMinor: number; note: string };
export type AdjustmentView = { id: string; enrollmentId: string; amountMinor: number; currency: string; period: string; note: string; createdAt: string | null };

const VIEW = `SELECT id, enrollment_id, amount_minor, currency, period, note, created_at FROM ledger_entries WHERE brand_id = ? AND event_key = ?`;
type Row = { id: string; enrollment_id: string; amount_minor: number; currency: string; period: string; note: string; created_at: number };

// `key` makes it once, for good (it is the entry's event key): the same key with the same adjustment (a form
// posted twice, a retried call) finds the one made the first time; with another, 409. Null when the
// enrollment is not this brand's. Only for a creator who accepted the brand: one who never did (or declined)
// has no payout details shared and would see a stranger's reason on their Earnings page.
// `tell` is who to tell and in whose name, only when this call made the adjustment (not when a retry found it).
export type AdjustmentMade = { adjustment: AdjustmentView; tell: { to: string; brandName: string; minPayoutMinor: number } | null };
export async function addAdjustment(db: D1Database, brandId: string, enrollmentId: string, input: AdjustmentInput, key: string, actor: Actor): Promise<AdjustmentMade | null> {
  // The period is the brand's month now, in its timezone, as every entry's is.
  const brand = await db
    .prepare(
      `SELECT b.id, b.timezone, b.name, b.min_payout_minor, e.id IS NOT NULL AS enrolled, r.accepted_at IS NOT NULL AS accepted, c.email, r.erased_at IS NOT NULL AS erased FROM brands b
       LEFT JOIN enrollments e ON e.id = ?2 AND e.brand_id = b.id LEFT JOIN brand_creators r ON r.brand_id = b.id AND r.creator_id = e.creator_id
       LEFT JOIN creators c ON c.id = e.creator_id
       WHERE b.id = ?1`,
    )
    .bind(brandId, enrollmentId)
    .first<{ id: string; timezone: string; name: string; min_payout_minor: number; enrolled: number; accepted: number; email: string | null; erased: number }>();
  if (!brand?.enrolled) return null;
  if (brand.erased) throw creatorGone();
  if (!brand.accepted) throw new ApiError(409, 'creator_not_accepted', 'This creator has not accepted your brand, so nothing can be paid to them yet.');
  const now = Date.now();
  const eventKey = `adjustment:${key}`;
  const id = newId('le');
  const [inserted, , read] = await db.batch([
    db
      .prepare(
        `INSERT INTO ledger_entries (id, brand_id, enrollment_id, creator_id, kind, amount_minor, currency, basis_minor, period, event_key, available_at, created_at, note)
         SELECT ?1, e.brand_id, e.id, e.creator_id, 'adjustment', ?2, b.currency, 0, ?3, ?4, ?5, ?5, ?6
         FROM enrollments e JOIN brands b ON b.id = e.brand_id WHERE e.id = ?7 AND e.brand_id = ?8
         ON CONFLICT(brand_id, event_key) DO NOTHING`,
      )
      .bind(id, input.amountMinor, periodOf(now, brand.timezone), eventKey, now, input.note, enrollmentId, brand.id),
    auditIfChanged(db, { brandId: brand.id, actorType: actor.type, actorId: actor.id, action: 'ledger.adjusted', targetType: 'enrollment', targetId: enrollmentId, details: { amountMinor: input.amountMinor, note: input.note } }, now),
    db.prepare(VIEW).bind(brand.id, eventKey),
  ]);
  const row = (read?.results?.[0] as Row | undefined) ?? null;
  if (!row) return null;
  if (row.enrollment_id !== enrollmentId || row.amount_minor !== input.amountMinor || row.note !== input.note) {
    throw new ApiError(409, 'idempotency_conflict', 'This key was already used for another adjustment. Send a new one (in the console: reload the page).');
  }
  const adjustment = { id: row.id, enrollmentId: row.enrollment_id, amountMinor: row.amount_minor, currency: row.currency, period: row.period, note: row.note, createdAt: iso(row.created_at) };
  const made = (inserted?.meta.changes ?? 0) > 0 && brand.email !== null;
  return { adjustment, tell: made ? { to: brand.email!, brandName: brand.name, minPayoutMinor: brand.min_payout_minor } : null };
}
