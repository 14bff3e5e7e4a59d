// Applications from a campaign's public page, as the application tests send them.
import { env } from 'cloudflare:test';
import { expect } from 'vitest';
import { consoleBrand, post, tag } from './console-fixtures';
import { json, type Data } from './fixtures';

export type Brand = Awaited<ReturnType<typeof consoleBrand>>;

export const applyPath = (m: Brand) => `/apply/${m.brand.slug}/${m.campaign.slug}`;

export const openApplications = async (m: Brand, open = true) => {
  const res = await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { applicationsOpen: open });
  expect(res.status).toBe(200);
  expect((await json<Data<{ applicationsOpen: boolean }>>(res)).data.applicationsOpen).toBe(open);
};

export function application(overrides: Record<string, string> = {}) {
  const t = tag();
  return { name: 'Mia Chen', email: `mia_${t}@creators.test`, handle: `@Mia.${t}`.slice(0, 31), platform: 'tiktok', followers: '18.5k', niche: 'skincare', profileUrl: 'tiktok.example/@mia', pitch: 'Reactive skin,\r\nhonest tests.', leave_this_empty: '', ...overrides };
}

export async function apply(m: Brand, fields = application(), opts: Parameters<typeof post>[2] = {}) {
  return post(applyPath(m), fields, opts);
}

export const applicationId = async (campaignId: string, email: string) => (await env.DB.prepare('SELECT id FROM applications WHERE campaign_id = ? AND email = ?').bind(campaignId, email).first<string>('id'))!;
