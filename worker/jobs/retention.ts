// Data retention: raw clicks are pruned once they are old and rolled up; dashboards read the rollups,
// so a pruned click still counts. Runs from the cron trigger in bounded chunks.
//
// A click is deleted only when all of these hold:
// - it is older than max(CLICK_RETENTION_DAYS, the longest attribution window of its brand's campaigns
//   plus ORDER_GRACE_DAYS), so an order placed on the window's last day whose webhook reaches Chorus days
//   later (stores retry for days) can still be attributed to it;
// - its (link, day) rollup row exists. The batch that inserts clicks adds them to their rollups
//   (db/clicks.ts), so an existing row already counts every stored click of that day;
// - no conversion names it, as its click (conversions.click_id: the evidence behind an attribution stays)
//   or as the click it is still waiting for (click_id_raw).
import { awaitingClickWhere, clickDaySql } from '../db/schema';
import { DAY_MS } from '../domain/periods';
import { configuredDays } from '../lib/configured-days';
import { USED_CODE_KEPT_MS } from '../db/two-step';

export const DEFAULT_RETENTION_DAYS = 90;
// Queues hold a message at most 14 days; a click older than that can never be written again, so its
// day's rollup can never be recomputed from a pruned (smaller) set of raw rows.
export const MIN_RETENTION_DAYS = 30;
// How late an order's webhook may reach Chorus after the order: Shopify retries a failing webhook for 48
// hours and Stripe for 3 days; a week covers both with room for an outage on our side.
export const ORDER_GRACE_DAYS = 7;

// What a pruning job takes (this one, and jobs/webhook-retention.ts).
export type PruneOptions = {
  retentionDays: number;
  now: number;
  // Rows per chunk (what a chunk deletes is the job's own: clicks, or events with their deliveries).
  chunkSize?: number;
  // Statements per run: with chunkSize this bounds the rows and D1 queries one cron run spends.
  maxStatements?: number;
  // Where in the list of brands with prunable rows this run starts (default: random). With more such brands
  // than a run's budget, a random start means none waits forever behind the others.
  firstBrand?: number;
};

// A click chunk is one DELETE, binding 3 parameters whatever the size.
export type RetentionOptions = PruneOptions;

// Deletes chunk after chunk for each brand, round the list from `firstBrand`, moving on when a chunk comes back
// short, until a next chunk of `statementsPerChunk` would pass `maxStatements`. At least one chunk runs whatever
// the budget, so even a budget below one chunk makes progress. `chunk` answers whether it deleted a full chunk.
export async function pruneByBrand<B>(
  brands: readonly B[],
  { maxStatements, firstBrand, statementsPerChunk }: { maxStatements: number; firstBrand: number | undefined; statementsPerChunk: number },
  chunk: (brand: B) => Promise<boolean>,
): Promise<{ statements: number; complete: boolean }> {
  const budget = Math.max(maxStatements, statementsPerChunk);
  const n = brands.length;
  const first = n === 0 ? 0 : (((firstBrand ?? Math.floor(Math.random() * n)) % n) + n) % n;
  let statements = 0;
  for (let i = 0; i < n; i++) {
    const brand = brands[(first + i) % n]!;
    let full = true;
    while (full) {
      if (statements + statementsPerChunk > budget) return { statements, complete: false };
      statements += statementsPerChunk;
      full = await chunk(brand);
    }
  }
  return { statements, complete: true };
}

export const DEFAULT_CHUNK_SIZE = 500;
export const DEFAULT_MAX_STATEMENTS = 20;

export type RetentionResult = { retentionDays: number; brands: number; deleted: number; statements: number; complete: boolean };

const rolledUp = `EXISTS (SELECT 1 FROM click_rollups r WHERE r.link_id = k.link_id AND r.day = ${clickDaySql('k.')})`;

// Brands with an old, rolled-up click, and the cutoff that respects their longest attribution window.
// One statement: per brand an index probe on clicks_brand_at, usually satisfied by its oldest click.
const CANDIDATE_BRANDS = `SELECT id, cutoff FROM (
  SELECT b.id, ?1 - MAX(?2, COALESCE((SELECT MAX(c.attribution_window_days) FROM campaigns c WHERE c.brand_id = b.id), 0) + ${ORDER_GRACE_DAYS}) * ${DAY_MS} AS cutoff FROM brands b
) AS w
WHERE EXISTS (SELECT 1 FROM clicks k WHERE k.brand_id = w.id AND k.at < w.cutoff AND ${rolledUp})
ORDER BY id`;

// The inner SELECT walks clicks_brand_at in time order. NOT IN over a non-correlated subquery is
// evaluated once per statement, not once per click (conversions has no index on click_id); the orders
// still waiting for a click are one probe of conversions_awaiting_click per candidate.
const DELETE_CHUNK = `DELETE FROM clicks WHERE id IN (
  SELECT k.id FROM clicks k
  WHERE k.brand_id = ?1 AND k.at < ?2 AND ${rolledUp}
    AND k.id NOT IN (SELECT v.click_id FROM conversions v WHERE v.brand_id = ?1 AND v.click_id IS NOT NULL)
    AND NOT EXISTS (SELECT 1 FROM conversions v WHERE v.click_id_raw = k.id AND v.brand_id = ?1 AND ${awaitingClickWhere('v.')})
  ORDER BY k.at LIMIT ?3)`;

// Exported for the query-plan test.
export const RETENTION_SQL = { DELETE_CHUNK };

// `warn` from the cron only (lib/configured-days.ts).
export const retentionDays = (configured: string | undefined, { warn = false } = {}): number =>
  configuredDays('CLICK_RETENTION_DAYS', configured, { fallback: DEFAULT_RETENTION_DAYS, minimum: MIN_RETENTION_DAYS, warn });

export async function pruneClicks(db: D1Database, options: RetentionOptions): Promise<RetentionResult> {
  const { retentionDays: days, now, chunkSize = DEFAULT_CHUNK_SIZE, maxStatements = DEFAULT_MAX_STATEMENTS, firstBrand } = options;
  const { results: brands } = await db.prepare(CANDIDATE_BRANDS).bind(now, days).all<{ id: string; cutoff: number }>();
  let deleted = 0;
  const walked = await pruneByBrand(brands, { maxStatements, firstBrand, statementsPerChunk: 1 }, async (brand) => {
    const { meta } = await db.prepare(DELETE_CHUNK).bind(brand.id, brand.cutoff, chunkSize).run();
    deleted += meta.changes;
    return meta.changes >= chunkSize;
  });
  return { retentionDays: days, brands: brands.length, deleted, ...walked };
}

// Which invoice a Stripe payment paid (routes/webhooks.ts) matters only while the payment can be refunded:
// Stripe refunds card payments for up to 180 days after the charge (a few methods a little longer), so a
// pairing is kept 400 days, and so are the amounts of refunded charges and the refund failures kept for them (a
// refund fails within weeks of being made). Deleted a bounded chunk per run, oldest first (each table's _created index).
export const PAYMENT_PAIRING_DAYS = 400;
const STRIPE_MEMORY = ['stripe_invoice_payments', 'stripe_charges', 'stripe_refund_failures'] as const;
export async function forgetPaymentPairings(db: D1Database, now: number, limit = 5_000): Promise<number> {
  let deleted = 0;
  for (const table of STRIPE_MEMORY) {
    deleted += await deleteOlderThan(db, `SELECT rowid FROM ${table} WHERE created_at < ?1 ORDER BY created_at LIMIT ?2`, table, now - PAYMENT_PAIRING_DAYS * DAY_MS, limit);
  }
  return deleted;
}

// Up to `limit` rows of `table` that `select` picks (?1 the cutoff, ?2 the limit) deleted; answers how many.
async function deleteOlderThan(db: D1Database, select: string, table: string, cutoff: number, limit: number): Promise<number> {
  const { meta } = await db.prepare(`DELETE FROM ${table} WHERE rowid IN (${select})`).bind(cutoff, limit).run();
  return meta.changes;
}

// A declined application (its email, handle and note) is kept 90 days after the answer, for a brand that
// changes its mind or is asked why, then deleted; the public page says so. A bounded chunk per run.
export const DECLINED_APPLICATION_DAYS = 90;
export const forgetDeclinedApplications = (db: D1Database, now: number, limit = 1_000) =>
  deleteOlderThan(db, "SELECT rowid FROM applications WHERE status = 'declined' AND decided_at < ?1 LIMIT ?2", 'applications', now - DECLINED_APPLICATION_DAYS * DAY_MS, limit);

// A used recovery code's row is kept a while for a double click's twin (db/two-step.ts USED_CODE_KEPT_MS), then goes
// with the account's next new codes or turning on: for one that turned two-step off and left it off, here, a bounded
// chunk a run, read by the partial index of used codes (recovery_codes_used).
const USED_RECOVERY_CODES = `SELECT k.rowid FROM recovery_codes k WHERE k.used_at < ?1
  AND NOT EXISTS (SELECT 1 FROM two_step_factors f WHERE f.subject_type = k.subject_type AND f.subject_id = k.subject_id) LIMIT ?2`;
export const forgetUsedRecoveryCodes = (db: D1Database, now: number, limit = 1_000) => deleteOlderThan(db, USED_RECOVERY_CODES, 'recovery_codes', now - USED_CODE_KEPT_MS, limit);
