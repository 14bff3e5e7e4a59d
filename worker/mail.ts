// The mail queue: mail that must not hold up a request, sent a few a second (what providers allow) by one
// consumer, and tried again when the provider refuses or throttles it. Two kinds travel on it: a campaign's
// invitations (db/invitation-mails.ts, claimed in D1 first) and notices to one person (a review decision, a
// payout paid or failed, a bounty reached, payout details changed, access to a brand's console ended), queued once the response
// is on its way.
import type { Env } from './env';
import { isErasedAddress } from './db/creator-erasure';
import { isInvitationMessage, mailInvitation, type InvitationMessage } from './db/invitation-mails';
import { log } from './lib/log';
import { queueBatches } from './lib/queue-batches';
import { MailError, sendEach, sendMessage, type Message as Mail } from './lib/messages';

export type KeyedMail = Mail & { idempotencyKey: string };
// `event` names the log line of a notice that could not be sent.
export type NoticeMessage = { kind: 'notice'; event: string; message: KeyedMail };
export type MailMessage = InvitationMessage | NoticeMessage;

// Attempts a refused or throttled notice gets (a minute apart) before it is logged as failed and dropped.
export const NOTICE_ATTEMPTS = 5;
// Between two mails of a batch: providers allow a few a second (Resend: 2 by default).
const SPACING_MS = 500;
/** How long a mail a cron run claimed may take to be handed on: an older claim is a worker that died between claim and send. */
export const MAIL_CLAIM_LEASE_MS = 3_600_000;

const isNoticeMessage = (b: unknown): b is NoticeMessage => {
  const m = (b as NoticeMessage | null)?.message;
  return (b as NoticeMessage | null)?.kind === 'notice' && typeof m === 'object' && m !== null && [m.to, m.subject, m.text, m.idempotencyKey].every((v) => typeof v === 'string');
};

// A closed account's placeholder address (db/creator-erasure.ts) is never mailed: a notice to it (a payout of the
// brand's books, one queued before the account closed) is dropped and logged, as nothing went wrong.
function reachable(message: Mail, event: string): boolean {
  if (!isErasedAddress(message.to)) return true;
  log.info('mail_to_closed_account_dropped', { event, subject: message.subject });
  return false;
}

// Queues notices, each with its own idempotency key so that a redelivered one is mailed once. If the queue
// refuses them, they are sent from here, as before the queue: late and unpaced beats lost. Resolves with how many
// were handed on (to the queue, or else to the provider); each sent from here that the provider did not take goes to
// `onFailure` (sendEach's) with its key, so a caller can tell which.
export async function queueNotices(env: Env, messages: Mail[], event: string, onFailure?: (message: Mail, error: unknown) => Promise<void>): Promise<number> {
  const bodies = messages.filter((m) => reachable(m, event)).map((message): NoticeMessage => ({ kind: 'notice', event, message: { ...message, idempotencyKey: message.idempotencyKey ?? crypto.randomUUID() } }));
  const batches = queueBatches(bodies);
  let queued = 0;
  for (const [i, batch] of batches.entries()) {
    try {
      await env.MAIL.sendBatch(batch.map((body) => ({ body })));
      queued += batch.length;
    } catch (error) {
      const rest = batches.slice(i).flat();
      log.warn('notice_queue_failed', { event, count: rest.length, error });
      return queued + (await sendEach(env, rest.map((b) => b.message), event, onFailure));
    }
  }
  return queued;
}

/**
 * A cron run's notices about rows it claimed in D1 first (so overlapping runs mail each once), queued or else sent from
 * here. `refusedKeys`: the idempotency keys of those the provider refused, whose claims the caller gives back for the
 * next run; one the provider may have taken (no answer) counts as handed on: sent again it could be a second mail. If
 * `mails` (the reading of what to send) or the queueing throws, nothing is known to have left: `giveBackAll` runs, and
 * the error is rethrown.
 */
export async function handOnClaimed(env: Env, event: string, mails: () => Promise<KeyedMail[]>, giveBackAll: () => Promise<unknown>): Promise<{ handed: number; refusedKeys: Set<string> }> {
  const refusedKeys = new Set<string>();
  try {
    const handed = await queueNotices(env, await mails(), event, async (mail, error) => {
      if (!(error instanceof MailError && error.reason === 'unconfirmed')) refusedKeys.add(mail.idempotencyKey!);
    });
    return { handed, refusedKeys };
  } catch (error) {
    await giveBackAll();
    throw error;
  }
}

// A notice that must not hold up or fail the request that caused it. An `urgent` one (a security warning) is
// sent at once rather than behind a brand's bulk invitations, and goes on the queue only if the provider
// refused or throttled it.
export function noticeAfterResponse(ctx: Pick<ExecutionContext, 'waitUntil'>, env: Env, message: Mail, event: string, { urgent = false } = {}): void {
  const failed = (error: unknown) => log.error(event, { error });
  if (!urgent) return noticesAfterResponse(ctx, env, [message], event);
  if (!reachable(message, event)) return;
  const keyed = { ...message, idempotencyKey: crypto.randomUUID() };
  ctx.waitUntil(
    sendMessage(env, keyed).catch((error: unknown) =>
      error instanceof MailError && error.reason === 'unconfirmed' ? failed(error) : queueNotices(env, [keyed], event).catch(failed),
    ),
  );
}

// Several notices (one to each creator of a campaign), queued once the response is on its way.
export function noticesAfterResponse(ctx: Pick<ExecutionContext, 'waitUntil'>, env: Env, messages: Mail[], event: string): void {
  ctx.waitUntil(queueNotices(env, messages, event).catch((error: unknown) => log.error(event, { error })));
}

async function mailNotice(env: Env, m: NoticeMessage, message: Message<unknown>, pace: () => Promise<void>): Promise<void> {
  if (!reachable(m.message, m.event)) return message.ack();
  await pace();
  try {
    await sendMessage(env, m.message);
  } catch (error) {
    // One the provider may have taken is not sent again. A refusal may be a throttle: tried again later.
    if (!(error instanceof MailError) || error.reason !== 'unconfirmed') {
      if (message.attempts < NOTICE_ATTEMPTS) return message.retry({ delaySeconds: 60 });
      log.error(m.event, { to: m.message.to, subject: m.message.subject, attempts: message.attempts, error });
    }
  }
  message.ack();
}

export async function consumeMail(batch: MessageBatch<unknown>, env: Env, spacingMs = SPACING_MS): Promise<void> {
  let sent = false;
  const pace = async () => {
    if (sent) await new Promise((r) => setTimeout(r, spacingMs));
    sent = true;
  };
  for (const message of batch.messages) {
    const body = message.body;
    try {
      if (isInvitationMessage(body)) await mailInvitation(env, body, message, pace);
      else if (isNoticeMessage(body)) await mailNotice(env, body, message, pace);
      else {
        log.warn('mail_message_dropped', { queue: batch.queue, messageId: message.id });
        message.ack();
      }
    } catch (error) {
      log.error('mail_message_failed', { queue: batch.queue, messageId: message.id, error });
      message.retry({ delaySeconds: 30 });
    }
  }
}
