// A scenario's creator network, set up through the admin API as an operator would: a tiered plan, a campaign
// with no holding period, a bulk import (creator, enrollment, link and code each), a lapsed code, keys.
// `world` is what the oracle needs to know about it, kept from what the driver created, not read back.
import { adminApi, adminList, json, request, signedPost, sleep } from './harness.mjs';

export const TIERS = [
  { fromMinor: 0, rateBps: 1_000 },
  { fromMinor: 100_000, rateBps: 1_500 },
  { fromMinor: 500_000, rateBps: 2_000 },
];

export async function setupNetwork(ctx, brand, { creators: count, tag, lapsedEndsAt }) {
  const api = adminApi(() => ctx.host.url, brand.adminKey);
  const listAll = adminList(() => ctx.host.url, brand.adminKey);
  const plan = await api('POST', 'commission-plans', { name: 'Scenario tiers', tiers: TIERS });
  const campaign = await api('POST', 'campaigns', {
    name: `Scenario ${tag}`,
    slug: `scenario-${tag}`,
    hashtag: `#scenario${tag.replaceAll('-', '')}`,
    defaultDestination: 'https://shop.example/products/serum',
    holdingDays: 0,
    attributionWindowDays: 30,
    commissionPlanId: plan.id,
  });
  const handles = Array.from({ length: count }, (_, i) => `${tag.replaceAll('-', '_')}_c${String(i).padStart(3, '0')}`);
  const csv = ['email,handle,name,payment_model', ...handles.map((h) => `${h}@creators.example,${h},Creator ${h},affiliate`)].join('\n');
  const imported = await api('POST', `campaigns/${campaign.id}/import`, { csv }, 200);
  const creators = imported.invites.map((inv) => ({ handle: inv.handle, email: inv.email, code: inv.code, slug: inv.link.split('/r/')[1] }));
  if (creators.length !== count || creators.some((c) => !c.code || !c.slug)) throw new Error(`import did not give every creator a link and a code: ${JSON.stringify(imported).slice(0, 500)}`);

  // A code that stopped being valid mid-month: orders before endsAt earn it, later ones fall through.
  const enrollments = await listAll(`enrollments?campaignId=${campaign.id}`);
  const roster = await listAll('creators');
  const first = roster.find((c) => c.handle === creators[0].handle);
  const enrollment = enrollments.find((e) => e.creatorId === first.id);
  const lapsed = { code: `LAPSED-${tag.toUpperCase()}`.slice(0, 32), handle: creators[0].handle, endsAt: lapsedEndsAt };
  await api('POST', 'codes', { enrollmentId: enrollment.id, code: lapsed.code, discountType: 'percent', discountValue: 10, endsAt: new Date(lapsedEndsAt).toISOString() });

  const storefrontKey = (await api('POST', 'keys', { scope: 'storefront', name: 'storefront' })).key;
  const ingestKey = (await api('POST', 'keys', { scope: 'ingest', name: 'store' })).key;
  const links = await listAll('links');

  const codes = new Map(creators.map((c) => [c.code, { handle: c.handle, active: true, startsAt: null, endsAt: null }]));
  codes.set(lapsed.code, { handle: lapsed.handle, active: true, startsAt: null, endsAt: lapsedEndsAt });
  return {
    brand,
    api,
    campaign,
    creators,
    lapsed,
    storefrontKey,
    ingestKey,
    linkIds: new Map(links.map((l) => [l.slug, l.id])),
    handleBySlug: new Map(creators.map((c) => [c.slug, c.handle])),
    world: { codes, clicks: new Map(), windowDays: 30 },
    // Human clicks in the order they were served ({cid, at}): orders pick an old one without scanning them all.
    humanClicks: [],
  };
}

/**
 * Delivers one store call the way a store does: on a 5xx or a network error it retries the same payload
 * with exponential backoff (100 ms doubling, capped at 2 s) for up to 90 s; the first non-5xx answer is final.
 */
export async function deliver(ctx, net, item, tally, outcome) {
  const started = Date.now();
  for (let attempt = 0; Date.now() - started < 90_000; attempt++) {
    const res = tally.add(item.kind, await signedPost(ctx.host.url, item.route, net.brand.slug, net.ingestKey, item.body));
    if (res.status !== 0 && res.status < 500) {
      outcome.push({ kind: item.kind, id: item.id, status: res.status, data: json(res)?.data ?? null, body: res.body });
      return res;
    }
    ctx.retries++;
    await sleep(Math.min(2_000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2));
  }
  outcome.push({ kind: item.kind, id: item.id, status: 'gave_up', data: null, body: '' });
  return null;
}

/** Redirect one request, keeping what the oracle needs (who, which link, when, bot or not) and the click id. */
export async function redirect(ctx, net, req, tally, served) {
  const at = Date.now();
  const res = tally.add('redirect', await request(ctx.host.url, `/r/${req.slug}`, { method: req.method, headers: { 'user-agent': req.ua, 'cf-connecting-ip': req.ip, ...req.headers } }));
  if (res.status === 302) {
    const location = res.headers.location ?? '';
    const cid = new URL(location).searchParams.get('cid');
    served.push({ linkSlug: req.slug, ip: req.ip, ua: req.ua, at, isBot: req.isBot, cid });
    if (cid) net.world.clicks.set(cid, { handle: net.handleBySlug.get(req.slug), at, isBot: req.isBot });
    if (cid && !req.isBot) net.humanClicks.push({ cid, at });
  }
  return res;
}

/**
 * Polls until no order of the brand is still waiting for a click that is stored (the consumer credits such
 * orders in the batch after the one that stored the click). Returns how many still wait when it gives up.
 */
export async function settleLateCredits(ctx, net, { timeoutMs = 15_000 } = {}) {
  const started = Date.now();
  for (;;) {
    const [{ n }] = await ctx.host.query(
      "SELECT count(*) AS n FROM conversions cv JOIN clicks k ON k.id = cv.click_id_raw AND k.brand_id = cv.brand_id AND k.is_bot = 0 WHERE cv.brand_id = ? AND cv.attribution = 'none' AND cv.click_id IS NULL",
      [net.brand.id],
    );
    if (n === 0 || Date.now() - started > timeoutMs) return n;
    await sleep(250);
  }
}

/** Polls until the brand's stored clicks reach `served` or stop growing (bounded). */
export async function drainClicks(ctx, net, served, { timeoutMs = 60_000, stallMs = 10_000 } = {}) {
  const started = Date.now();
  let last = -1;
  let grewAt = Date.now();
  for (;;) {
    const [{ n }] = await ctx.host.query('SELECT count(*) AS n FROM clicks WHERE brand_id = ?', [net.brand.id]);
    if (n !== last) grewAt = Date.now();
    last = n;
    if (n >= served || Date.now() - grewAt > stallMs || Date.now() - started > timeoutMs) return { stored: n, drainMs: Date.now() - started };
    await sleep(250);
  }
}
