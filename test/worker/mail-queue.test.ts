// The mail queue's notices (a review decision, a payout paid or failed, payout details changed): queued once the
// response is on its way, mailed a few a second, retried while the provider refuses or throttles them, never
// mailed twice for one notice, and sent at once when the queue itself refuses them.
import { createExecutionContext, createMessageBatch, env, getQueueResult, waitOnExecutionContext } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import type { Env } from '../../worker/env';
import worker from '../../worker/index';
import { consumeMail, NOTICE_ATTEMPTS, noticeAfterResponse, queueNotices, type NoticeMessage } from '../../worker/mail';
import { log } from '../../worker/lib/log';
import { queueBatches } from '../../worker/lib/queue-batches';
import { logTransport, MailError, setTransport, type Message } from '../../worker/lib/messages';
import { BASE } from './fixtures';
import { tag } from './forms';
import { portalTestDefaults, signedInCreator } from './portal-fixtures';

portalTestDefaults();
afterEach(() => setTransport(logTransport));

let mails: Message[] = [];
function capture(fail?: () => MailError) {
  mails = [];
  setTransport(async (m) => {
    if (fail) throw fail();
    mails.push(m);
  });
}

const notice = (to = `n_${tag()}@creators.test`): NoticeMessage => ({
  kind: 'notice',
  event: 'decision_notice_failed',
  message: { to, subject: 'Test Brand approved your Glow draft', text: 'Post it when you are ready.', idempotencyKey: crypto.randomUUID() },
});

// Queue messages through the consumer, as the queue would deliver them on their `attempts`th try.
async function deliver(bodies: unknown[], attempts = 1, spacingMs = 0) {
  const batch = createMessageBatch<unknown>('chorus-mail', bodies.map((body, i) => ({ id: `m-${tag()}-${i}`, timestamp: new Date(), attempts, body })));
  await consumeMail(batch, env as Env, spacingMs);
  return getQueueResult(batch, createExecutionContext());
}

// A mail queue that takes nothing, as when Queues is down.
const refusingQueue = { send: async () => Promise.reject(new Error('queue unavailable')), sendBatch: async () => Promise.reject(new Error('queue unavailable')) } as unknown as Queue;

describe('notices on the mail queue', () => {
  it("queues a campaign's long update to 100 creators in batches the real queue takes, none sent around it", async () => {
    capture();
    const body = 'x'.repeat(4_000);
    const messages = Array.from({ length: 100 }, (_, i) => ({ to: `u${i}_${tag()}@creators.test`, subject: 'Test Brand: Launch', text: body }));
    // Queues' own limits (100 messages, 256 KB a batch), held here rather than on the test's real queue, whose
    // consumer would mail these into the next test.
    const queued: unknown[] = [];
    const limited = {
      sendBatch: async (batch: { body: unknown }[]) => {
        if (batch.length > 100 || new TextEncoder().encode(JSON.stringify(batch.map((m) => m.body))).length > 256_000) throw new Error('batch too large');
        queued.push(...batch.map((m) => m.body));
      },
    } as unknown as Queue;
    const warned: string[] = [];
    const warn = log.warn;
    log.warn = (event: string) => void warned.push(event);
    try {
      await queueNotices({ ...(env as Env), MAIL: limited }, messages, 'campaign_update_mail_failed');
    } finally {
      log.warn = warn;
    }
    expect(warned).toEqual([]);
    expect(queued).toHaveLength(100);
    expect(mails).toEqual([]); // none sent from here, unpaced
    const batches = queueBatches(messages);
    expect(batches.length).toBeGreaterThan(1);
    expect(batches.flat()).toHaveLength(100);
    expect(queueBatches(Array.from({ length: 250 }, () => ({ t: 'short' }))).map((b) => b.length)).toEqual([100, 100, 50]);
  });

  it('mails a notice once under its own idempotency key, a few a second, and hands the provider that key again on a redelivery', async () => {
    capture();
    const bodies = [notice(), notice(), notice()];
    const started = Date.now();
    const result = await deliver(bodies, 1, 100);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(result.explicitAcks).toHaveLength(3);
    expect(mails.map((m) => m.to)).toEqual(bodies.map((b) => b.message.to));
    // The provider is handed the notice's key on every delivery, so a redelivered notice is mailed once.
    expect(mails.map((m) => m.idempotencyKey)).toEqual(bodies.map((b) => b.message.idempotencyKey));
    await deliver([bodies[0]]);
    expect(mails.at(-1)!.idempotencyKey).toBe(bodies[0]!.message.idempotencyKey);
  });

  it('retries a refused or throttled notice a minute later, gives up after the last attempt, and never resends one the provider may have taken', async () => {
    const body = notice();
    capture(() => new MailError('refused', 'throttled'));
    const first = await deliver([body]);
    expect(first.retryMessages).toHaveLength(1);
    expect(first.explicitAcks).toEqual([]);
    const last = await deliver([body], NOTICE_ATTEMPTS);
    expect(last.retryMessages).toEqual([]);
    expect(last.explicitAcks).toHaveLength(1);

    capture(() => new MailError('unconfirmed', 'timed out'));
    const maybe = await deliver([body]);
    expect(maybe.retryMessages).toEqual([]);
    expect(maybe.explicitAcks).toHaveLength(1);

    // Junk on the queue is dropped, not retried.
    capture();
    const junk = await deliver([{ kind: 'notice', event: 'x', message: { to: 1 } }, { kind: 'notice' }, null]);
    expect(junk.explicitAcks).toHaveLength(3);
    expect(mails).toHaveLength(0);
  });

  it('queues a notice after the response and, when the queue refuses it, mails it from there', async () => {
    capture();
    const queued: unknown[] = [];
    const recording = { send: async (b: unknown) => void queued.push(b), sendBatch: async (batch: { body: unknown }[]) => void queued.push(...batch.map((m) => m.body)) } as unknown as Queue;
    const message = { to: `q_${tag()}@creators.test`, subject: 'Your Chorus payout details changed', text: 'PayPal t•••@example.net' };
    let ctx = createExecutionContext();
    noticeAfterResponse(ctx, { ...(env as Env), MAIL: recording }, message, 'payout_details_notice_failed');
    await waitOnExecutionContext(ctx);
    expect(queued).toEqual([{ kind: 'notice', event: 'payout_details_notice_failed', message: { ...message, idempotencyKey: expect.stringMatching(/^[0-9a-f-]{36}$/) } }]);
    expect(mails).toHaveLength(0);

    ctx = createExecutionContext();
    noticeAfterResponse(ctx, { ...(env as Env), MAIL: refusingQueue }, message, 'payout_details_notice_failed');
    await waitOnExecutionContext(ctx);
    expect(mails.map((m) => [m.to, m.subject])).toEqual([[message.to, message.subject]]);
  });

  it('sends the payout-details warning at once, not behind bulk mail on the queue, and queues it only when the provider refuses it', async () => {
    const m = await signedInCreator();
    const change = async (account: string, queue: Queue, ctx = createExecutionContext()) => {
      const res = await worker.fetch(
        new Request(`${BASE}/earnings/payout-details`, {
          method: 'POST',
          headers: { origin: BASE, cookie: m.cookie, 'content-type': 'application/x-www-form-urlencoded', 'cf-connecting-ip': '198.51.100.77' },
          body: new URLSearchParams({ method: 'paypal', account }).toString(),
          redirect: 'manual',
        }),
        { ...(env as Env), MAIL: queue },
        ctx,
      );
      expect(res.status).toBe(303);
      await waitOnExecutionContext(ctx);
    };
    // Sent straight away: the queue (down here) is not in the way.
    capture();
    await change('new@pay.example', refusingQueue);
    expect(mails.filter((x) => x.to === m.email).map((x) => x.subject)).toEqual(['Your Chorus payout details changed']);

    // Refused by the provider: onto the queue, with the key it was tried under, to be tried again.
    capture(() => new MailError('refused', 'throttled'));
    const queued: NoticeMessage[] = [];
    const recording = { sendBatch: async (batch: { body: NoticeMessage }[]) => void queued.push(...batch.map((b) => b.body)) } as unknown as Queue;
    await change('newer@pay.example', recording);
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ kind: 'notice', event: 'payout_details_notice_failed', message: { to: m.email, subject: 'Your Chorus payout details changed' } });
    expect(queued[0]!.message.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
  });
});
