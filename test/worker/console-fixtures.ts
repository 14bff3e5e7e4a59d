// The console's test helpers: form posts from the console's own origin, a brand with a signed-in admin user.
import { env } from 'cloudflare:test';
import { expect } from 'vitest';
import { newId } from '../../worker/lib/ids';
import { hashPassword } from '../../worker/lib/passwords';
import { createMoneyBrand } from './fixtures';
import { post, sessionCookie, tag } from './forms';

export { freshIp, get, post, sessionCookie, tag, type Fields } from './forms';

export const PASSWORD = 'console password 2026';
export type Role = 'owner' | 'manager' | 'finance' | 'viewer';

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
