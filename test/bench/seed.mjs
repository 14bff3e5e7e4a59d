// Bulk rows written straight into D1 from Node (Miniflare's getD1Database proxy), for scenarios that
// need history no API would create quickly: one INSERT … SELECT over a recursive CTE per chunk, so a
// million ledger entries cost a handful of statements instead of a million requests.
import { createHash, pbkdf2Sync, randomBytes, webcrypto } from 'node:crypto';

// Rows per statement: large enough to be fast, small enough that no single statement runs for long.
const CHUNK = 100_000;

// D1 binds JS numbers as REAL, and SQLite arithmetic on a REAL stays REAL (1.0 || '' is '1.0', 1019.0 / 10
// is 101.9): every bound number used in arithmetic or ids goes through this.
const int = (k) => `CAST(?${k} AS INTEGER)`;
const DAY_MS = 86_400_000;

// Same shape as worker/lib/passwords.ts stores: pbkdf2_sha256$<iterations>$<salt>$<hash>, base64url.
export function passwordHash(password, iterations = 100_000) {
  const salt = randomBytes(16);
  const hash = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  return `pbkdf2_sha256$${iterations}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

// Same shape as worker/lib/secrets.ts seals: AES-GCM under SHA-256(SECRETS_KEY), "<iv>.<ciphertext+tag>", base64url.
export async function sealSecret(masterKey, plaintext) {
  const raw = createHash('sha256').update(masterKey).digest();
  const key = await webcrypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt']);
  const iv = randomBytes(12);
  const sealed = await webcrypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, new TextEncoder().encode(plaintext));
  return `${iv.toString('base64url')}.${Buffer.from(sealed).toString('base64url')}`;
}

// Runs `sql` (which selects from seq(n)) for n = from .. from+count-1, in chunks. Returns rows written.
async function insertSeries(db, from, count, sql, params) {
  let written = 0;
  for (let lo = from; lo < from + count; lo += CHUNK) {
    const hi = Math.min(from + count, lo + CHUNK) - 1;
    const result = await db
      .prepare(`WITH RECURSIVE seq(n) AS (SELECT ${int(1)} UNION ALL SELECT n + 1 FROM seq WHERE n < ${int(2)}) ${sql}`)
      .bind(lo, hi, ...params)
      .run();
    written += result.meta.changes ?? 0;
  }
  return written;
}

/**
 * A creator's order history: `count` code-attributed conversions of 10.00-99.99 spread over the last
 * `days` days, each with its 10% commission entry (available 30 days later), as ingestion would leave them.
 */
export async function seedConversionHistory(db, { brandId, enrollmentId, creatorId, count, now = Date.now(), days = 90, tag = 'hist' }) {
  const step = Math.max(1, Math.floor((days * DAY_MS) / count));
  // ?3 brand, ?4 enrollment, ?5 now, ?6 step, ?7 tag
  const amount = '(1000 + (n * 7919) % 9000)';
  const at = `(${int(5)} - n * ${int(6)})`;
  const conversions = await insertSeries(
    db,
    1,
    count,
    `INSERT INTO conversions (id, brand_id, external_order_id, amount_minor, currency, occurred_at, attribution, enrollment_id, source, payload_hash, created_at)
     SELECT 'cv_' || ?7 || '_' || n, ?3, ?7 || '-' || n, ${amount}, 'USD', ${at}, 'code', ?4, 'api', 'seeded', ${at} FROM seq`,
    [brandId, enrollmentId, now, step, tag],
  );
  const ledger = await insertSeries(
    db,
    1,
    count,
    `INSERT INTO ledger_entries (id, brand_id, enrollment_id, creator_id, kind, amount_minor, currency, rate_bps, tier, basis_minor, period,
       conversion_id, event_key, available_at, created_at)
     SELECT 'le_' || ?7 || '_' || n, ?3, ?4, ?8, 'commission', ${amount} / 10, 'USD', 1000, 1, ${amount}, strftime('%Y-%m', ${at} / 1000, 'unixepoch'),
       'cv_' || ?7 || '_' || n, 'commission:cv_' || ?7 || '_' || n, ${at} + 30 * ${DAY_MS}, ${at} FROM seq`,
    [brandId, enrollmentId, now, step, tag, creatorId],
  );
  return { conversions, ledger };
}

/**
 * A network of `creators` active creators enrolled in `campaignId`, each with sealed payout details.
 * Creator n is cr_net_<n>, handle payee_<n, 5 digits>, enrollment enr_net_<n>.
 */
export async function seedPayoutNetwork(db, { brandId, campaignId, creators, payoutDetailsEnc, now = Date.now() }) {
  const written = await insertSeries(
    db,
    1,
    creators,
    `INSERT INTO creators (id, email, handle, display_name, payout_details_enc, created_at)
     SELECT 'cr_net_' || n, 'payee' || n || '@network.bench', 'payee_' || printf('%05d', n), 'Payee ' || n, ?3, ${int(4)} FROM seq`,
    [payoutDetailsEnc, now],
  );
  await insertSeries(
    db,
    1,
    creators,
    `INSERT INTO enrollments (id, brand_id, campaign_id, creator_id, payment_model, status, created_at)
     SELECT 'enr_net_' || n, ?3, ?4, 'cr_net_' || n, 'affiliate', 'active', ${int(5)} FROM seq`,
    [brandId, campaignId, now],
  );
  // On the brand's roster, accepted: the export reads and opens every creator's payout details.
  await insertSeries(
    db,
    1,
    creators,
    `INSERT INTO brand_creators (brand_id, creator_id, handle, display_name, email, accepted_at, created_at)
     SELECT ?3, c.id, c.handle, c.display_name, c.email, ${int(4)}, ${int(4)} FROM seq JOIN creators c ON c.id = 'cr_net_' || n`,
    [brandId, now],
  );
  return written;
}

/**
 * `count` ledger entries in `period`, spread round-robin over the network's creators: every creator's
 * 20th entry is a reversal (negative), the rest commissions of 1.00-10.99, all available before the period ends.
 * Entry numbers start at `from`, so successive calls never collide.
 */
export async function seedNetworkLedger(db, { brandId, creators, period, from, count, availableAt, now = Date.now() }) {
  const amount = '(100 + (n * 7919) % 1000)';
  const creatorOf = `(1 + n % ${int(4)})`;
  const reversal = `(n / ${int(4)}) % 20 = 0`;
  return insertSeries(
    db,
    from,
    count,
    `INSERT INTO ledger_entries (id, brand_id, enrollment_id, creator_id, kind, amount_minor, currency, rate_bps, tier, basis_minor, period,
       conversion_id, event_key, available_at, created_at)
     SELECT 'le_net_' || n, ?3, 'enr_net_' || ${creatorOf}, 'cr_net_' || ${creatorOf},
       CASE WHEN ${reversal} THEN 'reversal' ELSE 'commission' END,
       CASE WHEN ${reversal} THEN -${amount} / 10 ELSE ${amount} END,
       'USD', 1000, 1, CASE WHEN ${reversal} THEN -${amount} ELSE ${amount} * 10 END, ?5,
       'cv_net_' || n, 'seed:' || n, ${int(6)}, ${int(7)} FROM seq`,
    [brandId, creators, period, availableAt, now],
  );
}
