// The console's test helpers: form posts from the console's own origin, a brand with a signed-in admin user.
import { env, SELF } from 'cloudflare:test';
import { expect } from 'vitest';
import { newId } from '../../worker/lib/ids';
import { hashPassword } from '../../worker/lib/passwords';
import { SESSION_COOKIE } from '../../worker/lib/sessions';
import { BASE, createMoneyBrand } from './fixtures';

export const PASSWORD = 'console password 2026';
let ipCounter = 0;
let tagCounter = 0;
export const freshIp = () => `198.51.100.${(ipCounter++ % 250) + 1}`;
export const tag = () => `${Date.now().toString(36)}${(tagCounter++).toString(36)}`;

export type Role = 'owner' | 'manager' | 'viewer';
export type Fields = Record<string, string | string[]>;

function encode(fields: Fields): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) q.append(k, one);
  return q.toString();
}

export async function post(path: string, fields: Fields | FormData, opts: { cookie?: string; origin?: string | null; ip?: string } = {}) {
  const headers: Record<string, string> = { 'cf-connecting-ip': opts.ip ?? freshIp() };
  if (!(fields instanceof FormData)) headers['content-type'] = 'application/x-www-form-urlencoded';
  if (opts.origin !== null) headers.origin = opts.origin ?? BASE;
  if (opts.cookie) headers.cookie = opts.cookie;
  return SELF.fetch(`${BASE}${path}`, { method: 'POST', headers, body: fields instanceof FormData ? fields : encode(fields), redirect: 'manual' });
}

export const get = (path: string, cookie?: string) => SELF.fetch(`${BASE}${path}`, { headers: cookie ? { cookie } : {}, redirect: 'manual' });

export function sessionCookie(res: Response): string {
  const raw = res.headers.get('set-cookie') ?? '';
  const match = new RegExp(`${SESSION_COOKIE}=([^;]+)`).exec(raw);
  if (!match) throw new Error(`no session cookie in ${raw}`);
  return `${SESSION_COOKIE}=${match[1]}`;
}

export async function adminUser(brandId: string, role: Role, opts: { email?: string; password?: string; createdAt?: number } = {}) {
  const id = newId('adm');
  const email = opts.email ?? `${role}-${tag()}@brand.test`;
  // 1,000 iterations keeps the tests fast; the format and verification path are the production ones.
  await env.DB.prepare('INSERT INTO admin_users (id, brand_id, email, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .bind(id, brandId, email, `${role[0]!.toUpperCase()}${role.slice(1)} Person`, role, await hashPassword(opts.password ?? PASSWORD, 1000), opts.createdAt ?? Date.now())
    .run();
  return { id, email };
}

export async function signIn(email: string, password = PASSWORD) {
  const res = await post('/console/login', { email, password });
  expect(res.status).toBe(303);
  return sessionCookie(res);
}

export async function consoleBrand(role: Role = 'manager', opts: Parameters<typeof createMoneyBrand>[0] = {}) {
  const m = await createMoneyBrand(opts);
  const user = await adminUser(m.brand.brandId, role);
  return { ...m, user, cookie: await signIn(user.email) };
}
