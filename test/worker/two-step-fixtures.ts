// Two-step sign-in's test helpers, for the console's account (two-step.test.ts) and a creator's (creator-two-step.test.ts).
import { env } from 'cloudflare:test';
import { enableStatements, newRecoveryCodes, type Subject } from '../../worker/db/two-step';
import { logTransport, setTransport, type Message } from '../../worker/lib/messages';
import { base32Decode, hotp, newTotpSecret, totpStep } from '../../worker/lib/totp';

// Two-step on for an account as setup leaves it, its last accepted step well before now so any current code works.
export async function withTwoStep(subject: Subject) {
  const secret = newTotpSecret();
  const codes = newRecoveryCodes();
  const { statements } = await enableStatements(env.DB, env.SECRETS_KEY, subject, secret, totpStep(Date.now()) - 10, codes, Date.now(), { sql: 'true', params: [] });
  await env.DB.batch(statements);
  return { secret, codes };
}

// The code an authenticator app shows now (or `offset` steps from now) for `secret`.
export const codeOf = (secret: string, offset = 0) => hotp(base32Decode(secret)!, totpStep(Date.now()) + offset);

export const cookieOf = (res: Response, name: string) => {
  const match = new RegExp(`${name}=([^;]+)`).exec(res.headers.get('set-cookie') ?? '');
  return match ? `${name}=${match[1]}` : null;
};

// What the worker mailed while `run` ran (notices go after the response: wait for them with waitFor).
export async function capturingMail<T>(run: (mails: Message[]) => Promise<T>): Promise<T> {
  const mails: Message[] = [];
  setTransport(async (m) => void mails.push(m));
  try {
    return await run(mails);
  } finally {
    setTransport(logTransport);
  }
}
