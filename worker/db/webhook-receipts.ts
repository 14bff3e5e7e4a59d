// The store webhooks' delivery log: what each delivery for a connected store was answered, so a developer sees
// on Keys and stores what arrived and why nothing was recorded (a test order, an unpaid one, another currency,
// a secret that does not verify), which Shopify and Stripe show only as "delivered". Written after the answer
// (waitUntil), never in its way; the last KEPT_PER_STORE per store connection are kept.
import { str as bounded } from '../domain/store-payloads';

export const KEPT_PER_STORE = 100;

export type Outcome = 'recorded' | 'nothing' | 'ignored' | 'refused' | 'failed';
export type Receipt = { integrationId: string; brandId: string; provider: 'shopify' | 'stripe'; account: string; topic: string; ref: string | null; status: number; outcome: Outcome; detail: string | null };
export type ListedReceipt = Omit<Receipt, 'brandId'> & { receivedAt: number };

/** What a delivery was about: the Shopify order (a refund's order), or the Stripe event. */
export function receiptRef(provider: 'shopify' | 'stripe', raw: string): string | null {
  try {
    const body = JSON.parse(raw) as Record<string, unknown> | null;
    if (!body || typeof body !== 'object') return null;
    return provider === 'shopify' ? bounded(body.order_id ?? body.id, 64) : bounded(body.id, 128);
  } catch {
    return null;
  }
}

/** The outcome of an answer: its status and, for a 200, whether anything was recorded and why not. */
export function outcomeOf(status: number, body: unknown): { outcome: Outcome; detail: string | null } {
  const b = (body && typeof body === 'object' ? body : {}) as { ignored?: unknown; data?: unknown; error?: { code?: unknown; details?: { reason?: unknown } } };
  if (status >= 500) return { outcome: 'failed', detail: bounded(b.error?.code, 64) };
  if (status >= 400) {
    const code = bounded(b.error?.code, 64);
    const reason = bounded(b.error?.details?.reason, 120);
    return { outcome: 'refused', detail: code && reason ? `${code}: ${reason}` : code };
  }
  if (typeof b.ignored === 'string') return { outcome: 'ignored', detail: bounded(b.ignored, 64) };
  const empty = b.data === null || b.data === undefined || (Array.isArray(b.data) && b.data.every((d) => d === null));
  return { outcome: empty ? 'nothing' : 'recorded', detail: null };
}

const INSERT = `INSERT INTO webhook_receipts (brand_id, integration_id, provider, account, topic, ref, status, outcome, detail, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const PRUNE = `DELETE FROM webhook_receipts WHERE integration_id = ?1 AND id < (SELECT id FROM webhook_receipts WHERE integration_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ${KEPT_PER_STORE - 1})`;

export async function recordReceipts(db: D1Database, receipts: Receipt[], now = Date.now()): Promise<void> {
  if (receipts.length === 0) return;
  await db.batch(
    receipts.flatMap((r) => [
      db.prepare(INSERT).bind(r.brandId, r.integrationId, r.provider, r.account.slice(0, 120), r.topic.slice(0, 80), r.ref, r.status, r.outcome, r.detail, now),
      db.prepare(PRUNE).bind(r.integrationId),
    ]),
  );
}

/** The brand's latest deliveries, newest first. */
export async function recentReceipts(db: D1Database, brandId: string, limit = 25): Promise<ListedReceipt[]> {
  const { results } = await db
    .prepare('SELECT integration_id, provider, account, topic, ref, status, outcome, detail, received_at FROM webhook_receipts WHERE brand_id = ? ORDER BY id DESC LIMIT ?')
    .bind(brandId, limit)
    .all<{ integration_id: string; provider: 'shopify' | 'stripe'; account: string; topic: string; ref: string | null; status: number; outcome: Outcome; detail: string | null; received_at: number }>();
  return results.map((r) => ({ integrationId: r.integration_id, provider: r.provider, account: r.account, topic: r.topic, ref: r.ref, status: r.status, outcome: r.outcome, detail: r.detail, receivedAt: r.received_at }));
}
