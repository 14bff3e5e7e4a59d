// The creator-portal scenario's setup: a creator with a long order history, signed in through /login.
import { adminPost } from './api.mjs';
import { passwordHash, seedConversionHistory } from './seed.mjs';

const EMAIL = 'portal.creator@example.com';
const PASSWORD = 'bench-portal-password';

/** Creates the creator through the admin API, seeds `conversions` orders into D1, signs in; returns the session cookie. */
export async function prepareSignedInCreator(server, conversions) {
  const { url, db, context: ctx } = server;
  const creator = await adminPost(url, ctx.adminKey, 'creators', { email: EMAIL, handle: 'portal_creator', displayName: 'Portal Creator' });
  // She accepted the brand (the Accept button on her home page), so the enrollment can start active.
  await db.prepare('UPDATE brand_creators SET accepted_at = ? WHERE brand_id = ? AND creator_id = ?').bind(Date.now(), ctx.brandId, creator.id).run();
  const enrollment = await adminPost(url, ctx.adminKey, 'enrollments', { campaignId: ctx.campaign.id, creatorId: creator.id, paymentModel: 'affiliate', status: 'active' });
  await adminPost(url, ctx.adminKey, 'links', { enrollmentId: enrollment.id });
  await adminPost(url, ctx.adminKey, 'codes', { enrollmentId: enrollment.id, code: 'PORTAL15', discountType: 'percent', discountValue: 15 });
  // Accounts get passwords through an invite link; writing the hash directly skips that detour.
  await db.prepare('UPDATE creators SET password_hash = ? WHERE id = ?').bind(passwordHash(PASSWORD), creator.id).run();

  const t0 = Date.now();
  const seeded = await seedConversionHistory(db, { brandId: ctx.brandId, enrollmentId: enrollment.id, creatorId: creator.id, count: conversions });
  const seedMs = Date.now() - t0;
  if (seeded.conversions !== conversions || seeded.ledger !== conversions) throw new Error(`portal seed wrote ${JSON.stringify(seeded)}, expected ${conversions} of each`);

  const login = await fetch(`${url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: url, 'cf-connecting-ip': '198.51.100.20' },
    body: new URLSearchParams({ email: EMAIL, password: PASSWORD, next: '/' }).toString(),
  });
  await login.arrayBuffer();
  const cookie = /^([^=;]+=[^;]*)/.exec(login.headers.get('set-cookie') ?? '')?.[1];
  if (login.status !== 303 || !cookie) throw new Error(`POST /login answered ${login.status} without a session cookie`);

  // The page must show the seeded history, or the load would measure something else (a redirect to /login).
  const probe = await fetch(`${url}/`, { redirect: 'manual', headers: { cookie } });
  const html = await probe.text();
  const count = conversions.toLocaleString('en-US');
  if (probe.status !== 200 || !html.includes(count)) throw new Error(`GET / answered ${probe.status}${probe.status === 200 ? ` without "${count}" orders on the page` : ''}`);
  return { cookie, seedMs, pageBytes: Buffer.byteLength(html) };
}
