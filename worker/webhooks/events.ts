// What a webhook delivery carries: the queue message, the event envelope a receiver gets, and which
// submission moves are events at all.
import type { WebhookEventType } from '../db/schema';
import type { SubmissionStatus } from '../domain/submissions';
import { openAddress } from '../db/addresses';

export type { WebhookEventType };

// The queue carries only the delivery's id: URL, secret and payload are read fresh when it is sent.
// `generation` is the delivery's when the message was sent (absent on messages from before replays had one: 0).
export type WebhookMessage = { deliveryId: string; generation?: number };

export function isWebhookMessage(body: unknown): body is WebhookMessage {
  if (typeof body !== 'object' || body === null) return false;
  const { deliveryId, generation } = body as WebhookMessage;
  return typeof deliveryId === 'string' && /^whd_[a-z0-9]{24}$/.test(deliveryId) && (generation === undefined || Number.isSafeInteger(generation));
}

// A creator (re)submitting is `submission.submitted`; a brand's decision is `submission.reviewed`. Going live
// (and a brand marking a post not live, db/submissions.ts) is neither.
export function submissionEventType(to: SubmissionStatus): Extract<WebhookEventType, `submission.${string}`> | null {
  if (to === 'submitted') return 'submission.submitted';
  if (to === 'approved' || to === 'changes_requested' || to === 'rejected') return 'submission.reviewed';
  return null;
}

export type StoredEvent = { id: string; type: string; payload: string; created_at: number; brand_id: string; brand_slug: string };

// The body is built from the stored row alone, so a retry or replay sends the same bytes until the address is removed.
// A gift.requested event keeps its shipping address sealed, as the request does (db/addresses.ts openAddress): opened
// here, null once removed (jobs/gift-addresses.ts), with `addressState` as the admin API answers it. Null when it no
// longer opens (SECRETS_KEY changed): no body to send, so a replay once the old key is back still ships it.
export async function eventBody(e: StoredEvent, secretsKey: string): Promise<string | null> {
  const data = JSON.parse(e.payload) as { giftRequest?: Record<string, unknown> };
  const gift = data.giftRequest;
  if (gift && 'address' in gift) {
    // An event stored before migration 0066 holds the object itself until the cron seals it (100 a run).
    const shipTo = typeof gift.address === 'string' ? await openAddress(secretsKey, gift.address) : gift.address === null ? 'removed' : gift.address;
    if (shipTo === 'unreadable') return null;
    gift.address = shipTo === 'removed' ? null : shipTo;
    gift.addressState = shipTo === 'removed' ? 'removed' : 'held';
  }
  return JSON.stringify({ id: e.id, type: e.type, createdAt: new Date(e.created_at).toISOString(), brand: { id: e.brand_id, slug: e.brand_slug }, data });
}
