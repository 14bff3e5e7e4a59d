// How Chorus reaches people (invites, password resets). The transport is pluggable; locally it logs.
import { log } from './log';

export type Message = { to: string; subject: string; text: string };
export type Transport = (message: Message) => Promise<void>;

export const logTransport: Transport = async (message) => {
  log.info('message_sent', message);
};

let transport: Transport = logTransport;

export function setTransport(next: Transport): void {
  transport = next;
}

export function sendMessage(message: Message): Promise<void> {
  return transport(message);
}
