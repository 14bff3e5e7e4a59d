// Form posts and page reads as a browser on Chorus's own origin sends them, for the portal's and the console's tests.
import { createExecutionContext, env } from 'cloudflare:test';
import type { Env } from '../../worker/env';
import worker from '../../worker/index';
import { SESSION_COOKIE } from '../../worker/lib/sessions';
import { BASE } from './fixtures';

let ipCounter = 0;
let tagCounter = 0;
export const freshIp = () => `198.51.100.${(ipCounter++ % 250) + 1}`;
export const tag = () => `${Date.now().toString(36)}${(tagCounter++).toString(36)}`;

export type Fields = Record<string, string | string[]>;

export function encode(fields: Fields): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) q.append(k, one);
  return q.toString();
}

// The worker's own fetch handler rather than SELF: each SELF.fetch in a file makes the next one slower (the
// test pool's proxy chain grows), and a long file spent most of its time there. Work after the response runs
// on as it would deployed; nothing waits for it.
export function fetchWorker(url: string, init: RequestInit = {}): Promise<Response> {
  return worker.fetch(new Request(url, init), env as Env, createExecutionContext());
}

export async function post(path: string, fields: Fields | FormData, opts: { cookie?: string; origin?: string | null; ip?: string } = {}) {
  const headers: Record<string, string> = { 'cf-connecting-ip': opts.ip ?? freshIp() };
  if (!(fields instanceof FormData)) headers['content-type'] = 'application/x-www-form-urlencoded';
  if (opts.origin !== null) headers.origin = opts.origin ?? BASE;
  if (opts.cookie) headers.cookie = opts.cookie;
  return fetchWorker(`${BASE}${path}`, { method: 'POST', headers, body: fields instanceof FormData ? fields : encode(fields), redirect: 'manual' });
}

export const get = (path: string, cookie?: string) => fetchWorker(`${BASE}${path}`, { headers: cookie ? { cookie } : {}, redirect: 'manual' });

export function sessionCookie(res: Response): string {
  const raw = res.headers.get('set-cookie') ?? '';
  const match = new RegExp(`${SESSION_COOKIE}=([^;]+)`).exec(raw);
  if (!match) throw new Error(`no session cookie in ${raw}`);
  return `${SESSION_COOKIE}=${match[1]}`;
}
