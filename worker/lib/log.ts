// Structured logs: every line the worker writes is one JSON object
//   {"ts":"<ISO 8601>","level":"info|warn|error","event":"snake_case","request_id":"…","fields":{…}}
// so Workers Logs (and `wrangler tail`) can filter by event and follow one request across lines.
//
// The request id travels in an AsyncLocalStorage frame opened once per request, queue batch or cron run,
// so code deep in db/ or lib/ logs with the right id without threading it through every signature.
import { AsyncLocalStorage } from 'node:async_hooks';

export type LogLevel = 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

const frame = new AsyncLocalStorage<{ requestId: string }>();

// Accepted from callers (a load balancer, the store's retry): letters, digits, `-`, `_`, `.`, 8 to 128
// long. Anything else (spaces, quotes, newlines, oversize) is replaced, so a header can't forge log lines.
const INCOMING_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{7,127}$/;

export const newRequestId = (): string => crypto.randomUUID();

export function requestIdFrom(headers: Headers): string {
  const presented = headers.get('request-id') ?? headers.get('x-request-id');
  return presented !== null && INCOMING_ID.test(presented) ? presented : newRequestId();
}

export function withRequestId<T>(requestId: string, work: () => T): T {
  return frame.run({ requestId }, work);
}

export const currentRequestId = (): string | null => frame.getStore()?.requestId ?? null;

// Errors stringify to {} by default; bigints would make JSON.stringify throw.
function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (typeof value === 'bigint') return value.toString();
  return value;
}

export function formatLogLine(level: LogLevel, event: string, fields: LogFields = {}, now = new Date()): string {
  const line = { ts: now.toISOString(), level, event, request_id: currentRequestId(), fields };
  try {
    return JSON.stringify(line, replacer);
  } catch {
    // A circular field must not take the log line (or the request) down with it.
    return JSON.stringify({ ...line, fields: { unserializable: Object.keys(fields) } });
  }
}

function write(level: LogLevel, event: string, fields?: LogFields): void {
  const line = formatLogLine(level, event, fields);
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
}

export const log = {
  info: (event: string, fields?: LogFields) => write('info', event, fields),
  warn: (event: string, fields?: LogFields) => write('warn', event, fields),
  error: (event: string, fields?: LogFields) => write('error', event, fields),
};
