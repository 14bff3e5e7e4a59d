// How Chorus reaches people (password links, notices). Deployed, through a mail provider's HTTP API;
// in local development and tests, through the log.
import { log } from './log';

// `idempotencyKey`: the provider sends a message once per key (a day, at Resend), so a queued notice delivered
// twice is mailed once; without one each send gets its own.
// `headers`: extra mail headers (List-Unsubscribe), passed to the provider as they are.
export type Message = { to: string; subject: string; text: string; idempotencyKey?: string; headers?: Record<string, string> };
export type MessageEnv = { ENVIRONMENT: string; MAIL_API_KEY?: string; MAIL_FROM?: string; MAIL_API_URL?: string };
export type Transport = (message: Message, env: MessageEnv) => Promise<void>;

// A message that was not confirmed sent. `not_configured` and `refused` (the provider answered no, or
// pointed elsewhere) certainly did not leave, and callers undo what it carried (an unsent link is deleted).
// `unconfirmed` may have left: the provider timed out, lost the connection or failed after taking it, so
// what it carried must stay valid and counted, and the person is told to check their inbox first.
export class MailError extends Error {
  constructor(
    readonly reason: 'not_configured' | 'refused' | 'unconfirmed',
    message: string,
  ) {
    super(message);
    this.name = 'MailError';
  }
}

// The default for the HTTP transport: Resend's API. Providers with the same request shape (POST JSON
// {from, to, subject, text, headers} with a bearer key, an Idempotency-Key header) work by setting MAIL_API_URL.
export const DEFAULT_MAIL_API_URL = 'https://api.resend.com/emails';

export const localEnvironment = (environment: string) => environment === 'development' || environment === 'test';
// An address, or a display name and an address in angle brackets; no control characters (a newline would
// start a header wherever a provider writes the sender into one).
const ADDRESS = String.raw`[^<>@\s]+@[^<>@\s]+\.[^<>@\s]+`;
const SENDER = new RegExp(String.raw`^(?:${ADDRESS}|[^<>@\p{Cc}]*<${ADDRESS}>)$`, 'u');
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

function parseUrl(raw: string): URL | null {
  try {
    return new URL(raw);
  } catch {
    return null;
  }
}

export type MailSetup = { kind: 'http'; url: string; key: string; from: string } | { kind: 'log' } | { kind: 'unconfigured'; problem: string };

// What sends mail here. A provider key and a sender make the HTTP transport, in any environment (so a local
// run can try a real provider); without them, local development and tests log each message, and a deployed
// worker has none: it says so on /healthz and to whoever asked for a mail, rather than pretend it was sent.
export function mailSetup(env: MessageEnv): MailSetup {
  const key = env.MAIL_API_KEY?.trim() ?? '';
  const from = env.MAIL_FROM?.trim() ?? '';
  if (!key && !from) {
    return localEnvironment(env.ENVIRONMENT) ? { kind: 'log' } : { kind: 'unconfigured', problem: 'Set MAIL_API_KEY (secret) and MAIL_FROM (var) to send mail.' };
  }
  if (!key) return { kind: 'unconfigured', problem: 'MAIL_FROM is set but MAIL_API_KEY is not.' };
  if (!SENDER.test(from)) {
    return { kind: 'unconfigured', problem: 'MAIL_FROM must be an address, such as "Chorus <no-reply@mail.example.com>".' };
  }
  const raw = env.MAIL_API_URL?.trim() || DEFAULT_MAIL_API_URL;
  const url = parseUrl(raw);
  const allowed = url && (url.protocol === 'https:' || (url.protocol === 'http:' && localEnvironment(env.ENVIRONMENT) && LOOPBACK.has(url.hostname)));
  if (!url || !allowed || url.username || url.password) return { kind: 'unconfigured', problem: 'MAIL_API_URL must be an https URL.' };
  return { kind: 'http', url: url.href, key, from };
}

// A log is read by more people than a message's recipient and kept longer, and a password link in it would
// let any of them set the account's password (an unsubscribe link, stop the person's invitations): outside
// local development (`npm run dev`, where the log is how a mail arrives) the token of every link is left out.
// The query goes too: an invitation mail's link carries its password proof there (db/account-tokens.ts).
const LINK_TOKEN = /(\/(?:reset|invite|unsubscribe)\/)[^/\s?#>]+(?:\?[^\s#>]*)?/g;
export const redactLinks = (text: string) => text.replace(LINK_TOKEN, '$1:token');

export const logTransport: Transport = async (message, env) => {
  if (env.ENVIRONMENT === 'development') return log.info('message_sent', message);
  const headers = message.headers ? Object.fromEntries(Object.entries(message.headers).map(([k, v]) => [k, redactLinks(v)])) : undefined;
  log.info('message_sent', { ...message, text: redactLinks(message.text), ...(headers ? { headers } : {}) });
};

// Each attempt waits this long for the provider; a send makes at most two attempts, so a person waits
// about 11 s at worst before hearing that the mail was not confirmed.
const ATTEMPT_TIMEOUT_MS = 5_000;
const RETRY_DELAY_MS = 500;

// What an attempt's answer says about the message. 429 is a refusal the provider may lift; 408, 409 (Resend's
// answer to a retry while the first attempt with its key is still running) and 5xx may follow a mail that
// left. A redirect is a wrong MAIL_API_URL: it is not followed, since it would send the mail (and its link)
// wherever it points, or turn the POST into a GET that "succeeds" with nothing sent.
type Outcome = 'sent' | 'refused' | 'throttled' | 'maybe';
const outcomeOf = (status: number): Outcome =>
  status >= 200 && status < 300 ? 'sent' : status === 429 ? 'throttled' : status === 408 || status === 409 || status >= 500 ? 'maybe' : 'refused';

// One POST per message, tried again once after a throttle or an answer that leaves it in doubt. Both attempts
// carry the same Idempotency-Key, so a first attempt that reached the provider but lost its answer is not
// mailed twice.
async function httpSend(setup: Extract<MailSetup, { kind: 'http' }>, message: Message): Promise<void> {
  const init: RequestInit = {
    method: 'POST',
    redirect: 'manual',
    headers: { authorization: `Bearer ${setup.key}`, 'content-type': 'application/json', 'idempotency-key': message.idempotencyKey ?? crypto.randomUUID() },
    body: JSON.stringify({ from: setup.from, to: [message.to], subject: message.subject, text: message.text, ...(message.headers ? { headers: message.headers } : {}) }),
  };
  const via = new URL(setup.url).host;
  let maybeSent = false;
  let last = '';
  for (let attempt = 1; attempt <= 2; attempt++) {
    if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
    let outcome: Outcome;
    try {
      const res = await fetch(setup.url, { ...init, signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS) });
      outcome = outcomeOf(res.status);
      // The provider's answer names the problem (a bad key, an unverified sender); it never holds the message.
      const location = res.headers.get('location');
      last = `${res.status} ${location ? `redirects to ${location}; set MAIL_API_URL to the API's own URL` : (await res.text().catch(() => '')).slice(0, 200)}`;
      if (location) await res.body?.cancel();
    } catch (error) {
      // A timeout or a lost connection: the request may have reached the provider.
      outcome = 'maybe';
      last = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
    if (outcome === 'sent') {
      log.info('message_sent', { to: message.to, subject: message.subject, via, attempt });
      return;
    }
    if (outcome === 'maybe') maybeSent = true;
    if (outcome === 'refused') break;
  }
  const reason = maybeSent ? 'unconfirmed' : 'refused';
  log.error('message_failed', { to: message.to, subject: message.subject, via, reason, error: last });
  throw new MailError(reason, maybeSent ? 'The mail provider did not confirm the message; it may still arrive.' : 'The mail provider did not accept the message.');
}

// No mail can leave here (a deployed worker without a provider): the problem, logged as a send that found no provider
// logs it; null otherwise. Routes that mail a link ask this before the link's origin (mailLinkOrigin), so the answer
// names the first thing to set up, as /forgot and the console's links do.
export function mailUnconfigured(env: MessageEnv): string | null {
  const setup = mailSetup(env);
  if (setup.kind !== 'unconfigured') return null;
  log.error('message_failed', { error: setup.problem });
  return setup.problem;
}

export const defaultTransport: Transport = async (message, env) => {
  const setup = mailSetup(env);
  if (setup.kind === 'http') return httpSend(setup, message);
  if (setup.kind === 'log') return logTransport(message, env);
  log.error('message_failed', { to: message.to, subject: message.subject, error: setup.problem });
  throw new MailError('not_configured', setup.problem);
};

let transport: Transport = defaultTransport;

// Tests replace the transport to read what was sent, or to make it fail on purpose.
export function setTransport(next: Transport): void {
  transport = next;
}

// Resolves once the message is with the provider (or the log); rejects with a MailError otherwise.
export function sendMessage(env: MessageEnv, message: Message): Promise<void> {
  return transport(message, env);
}

// Many messages, ten at a time (what a notice falls back to when the mail queue refused it). Each failure is logged under `event` and handed to `onFailure` (to undo what the message
// carried); the others still go. Resolves with how many the provider took.
export async function sendEach(env: MessageEnv, messages: Message[], event: string, onFailure?: (message: Message, error: unknown) => Promise<void>): Promise<number> {
  let sent = 0;
  for (let i = 0; i < messages.length; i += 10) {
    await Promise.all(
      messages.slice(i, i + 10).map((message) =>
        sendMessage(env, message).then(
          () => void sent++,
          async (error: unknown) => {
            log.error(event, { error });
            await onFailure?.(message, error).catch((undo: unknown) => log.error(event, { error: undo }));
          },
        ),
      ),
    );
  }
  return sent;
}
