// How Chorus reaches people (invites, password resets). The transport is pluggable; the default logs.
import { log } from './log';

export type Message = { to: string; subject: string; text: string };
export type MessageEnv = { ENVIRONMENT: string };
export type Transport = (message: Message, env: MessageEnv) => Promise<void>;

// The default transport writes each message to the log as `message_sent`. A log is read by more people
// than a message's recipient and kept longer, and a password link in it would let any of them set the
// account's password: outside local development (`npm run dev`, where the log is how a mail arrives) the
// token of every link is left out.
const LINK_TOKEN = /(\/(?:reset|invite)\/)[^/\s?#]+/g;
export const redactLinks = (text: string) => text.replace(LINK_TOKEN, '$1:token');

export const logTransport: Transport = async (message, env) => {
  log.info('message_sent', env.ENVIRONMENT === 'development' ? message : { ...message, text: redactLinks(message.text) });
};

let transport: Transport = logTransport;

export function setTransport(next: Transport): void {
  transport = next;
}

export function sendMessage(env: MessageEnv, message: Message): Promise<void> {
  return transport(message, env);
}
