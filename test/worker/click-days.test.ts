// Days are the brand's calendar days: clicks roll up, and the network chart counts, on the day the brand's
// timezone gives, as commission months already were. A brand in Los Angeles sees its evening clicks on
// the evening's day, not on tomorrow's UTC date.
import { createExecutionContext, createMessageBatch, env, getQueueResult } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../../worker/index';
import { forgetBrandTimeZones, writeClicks } from '../../worker/db/clicks';
import { loadNetwork } from '../../worker/db/network';
import type { ClickMessage } from '../../worker/domain/clicks';
import { addDays, dayOf, dayStart, periodBounds } from '../../worker/domain/periods';
import type { Env } from '../../worker/env';
import { newClickId } from '../../worker/lib/ids';
import { clickMessage, createBrand, createLinkedCreator, createMoneyBrand, json, signedPost } from './fixtures';

const HOUR = 3_600_000;
const MINUTE = 60_000;

async function deliver(messages: ClickMessage[]) {
  const batch = createMessageBatch<ClickMessage>(
    'chorus-clicks',
    messages.map((body) => ({ id: `msg-${body.id}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env as Env, ctx);
  return getQueueResult(batch, ctx);
}

const click = (linkId: string, brandId: string, at: number, identityHash = newClickId()) => clickMessage({ brandId, linkId, at, identityHash });

async function rollups(linkId: string) {
  const { results } = await env.DB.prepare('SELECT day, clicks, unique_clicks FROM click_rollups WHERE link_id = ? ORDER BY day').bind(linkId).all();
  return results;
}

describe("the brand's calendar day", () => {
  it('is the day an instant falls on in the zone, and starts at local midnight or, where DST skips midnight, at the jump', () => {
    expect(dayOf(Date.UTC(2026, 10, 20, 7, 59), 'America/Los_Angeles')).toBe('2026-11-19');
    expect(dayOf(Date.UTC(2026, 10, 20, 8, 0), 'America/Los_Angeles')).toBe('2026-11-20');
    expect(dayOf(Date.UTC(2026, 10, 20, 18, 29), 'Asia/Kolkata')).toBe('2026-11-20');
    expect(dayOf(Date.UTC(2026, 10, 20, 18, 30), 'Asia/Kolkata')).toBe('2026-11-21');
    expect(dayStart('2026-11-21', 'Asia/Kolkata')).toBe(Date.UTC(2026, 10, 20, 18, 30));
    expect(dayStart('2026-11-20', 'UTC')).toBe(Date.UTC(2026, 10, 20));
    // New York springs forward on 8 March: that day is 23 hours long, the next starts at 04:00Z.
    expect(dayStart('2026-03-08', 'America/New_York')).toBe(Date.UTC(2026, 2, 8, 5));
    expect(dayStart('2026-03-09', 'America/New_York')).toBe(Date.UTC(2026, 2, 9, 4));
    // Santiago springs forward at midnight: 6 September has no 00:00 and starts at 01:00 local (04:00Z).
    expect(dayStart('2026-09-06', 'America/Santiago')).toBe(Date.UTC(2026, 8, 6, 4));
    expect(dayOf(Date.UTC(2026, 8, 6, 4) - 1, 'America/Santiago')).toBe('2026-09-05');
    // A month starts where its first day does.
    expect(periodBounds('2026-09', 'America/Santiago').start).toBe(dayStart('2026-09-01', 'America/Santiago'));
    expect([addDays('2026-02-28', 1), addDays('2028-02-28', 1), addDays('2026-01-01', -1), addDays('2026-03-01', -29)]).toEqual(['2026-03-01', '2028-02-29', '2025-12-31', '2026-01-31']);
  });
});

describe('click rollups by the brand day', () => {
  it("count 23:30 and 00:30 in Los Angeles on two days, the evening's and the next", async () => {
    const brand = await createBrand({ timezone: 'America/Los_Angeles' });
    const { link } = await createLinkedCreator(brand);
    // 2026-11-21T07:30Z is 23:30 on the 20th in Los Angeles (PST, UTC-8); an hour later it is the 21st.
    const evening = Date.UTC(2026, 10, 21, 7, 30);
    await deliver([click(link.id, brand.brandId, evening, 'a'), click(link.id, brand.brandId, evening + HOUR, 'b'), click(link.id, brand.brandId, evening + HOUR + MINUTE, 'b')]);
    expect(await rollups(link.id)).toEqual([
      { day: '2026-11-20', clicks: 1, unique_clicks: 1 },
      { day: '2026-11-21', clicks: 2, unique_clicks: 1 },
    ]);
    const stored = await env.DB.prepare('SELECT day FROM clicks WHERE link_id = ? ORDER BY at').bind(link.id).all<{ day: string }>();
    expect(stored.results.map((r) => r.day)).toEqual(['2026-11-20', '2026-11-21', '2026-11-21']);
    // The link's stats say whose days they are.
    const stats = await json<{ data: { timezone: string; days: { day: string }[]; total: { clicks: number } } }>(await brand.api('GET', `/api/admin/links/${link.id}/stats`));
    expect(stats.data).toMatchObject({ timezone: 'America/Los_Angeles', total: { clicks: 3 } });
    expect(stats.data.days.map((d) => d.day)).toEqual(['2026-11-20', '2026-11-21']);
  });

  it('keep the days already counted when the brand changes its timezone, and count later clicks on the new days', async () => {
    const brand = await createBrand({ timezone: 'America/Los_Angeles' });
    const { link } = await createLinkedCreator(brand);
    const at = Date.UTC(2026, 10, 21, 3); // 19:00 on the 20th in Los Angeles, 12:00 on the 21st in Tokyo
    const first = click(link.id, brand.brandId, at, 'a');
    await deliver([first]);
    const changed = await brand.api('PATCH', '/api/admin/brand', { timezone: 'Asia/Tokyo' });
    expect(changed.status).toBe(200);
    forgetBrandTimeZones(); // what a minute does: the consumer reads the zone again
    // The first click redelivered (a retry, or a visitor's later click making it a duplicate) stays on its day.
    await deliver([first, click(link.id, brand.brandId, at + 10 * MINUTE, 'a'), click(link.id, brand.brandId, at + 2 * HOUR, 'b')]);
    expect(await rollups(link.id)).toEqual([
      { day: '2026-11-20', clicks: 1, unique_clicks: 1 },
      { day: '2026-11-21', clicks: 2, unique_clicks: 1 },
    ]);
  });

  it('count in UTC for a brand whose zone this runtime does not know, rather than failing the batch on every delivery; its chart and stats too', async () => {
    const m = await createMoneyBrand({ timezone: 'Mars/Olympus_Mons' });
    await writeClicks(env.DB, [click(m.link.id, m.brand.brandId, Date.UTC(2026, 10, 21, 3))]);
    expect(await rollups(m.link.id)).toEqual([{ day: '2026-11-21', clicks: 1, unique_clicks: 1 }]);
    const data = await loadNetwork(env.DB, m.brand.brandId, m.campaign.id, Date.UTC(2026, 10, 21, 12));
    expect(data!.daily.at(-1)).toEqual({ day: '2026-11-21', clicks: 1, conversions: 0 });
    const stats = await json<{ data: { timezone: string } }>(await m.brand.api('GET', `/api/admin/links/${m.link.id}/stats`));
    expect(stats.data.timezone).toBe('UTC');
  });

  it('count a click an older worker stored without a day on its UTC day, as it was rolled up then', async () => {
    const brand = await createBrand({ timezone: 'America/Los_Angeles' });
    const { link } = await createLinkedCreator(brand);
    const evening = Date.UTC(2026, 10, 21, 5); // 21:00 on the 20th in Los Angeles, the 21st in UTC
    // Written as a worker from before migration 0030 writes it: no day, not yet counted.
    await env.DB.prepare("INSERT INTO clicks (id, brand_id, link_id, at, device, identity_hash, is_bot, is_duplicate, counted, counted_unique) VALUES (?, ?, ?, ?, 'mobile', 'old', 0, 0, 0, 0)")
      .bind(newClickId(), brand.brandId, link.id, evening)
      .run();
    await deliver([click(link.id, brand.brandId, evening + MINUTE, 'new')]);
    expect(await rollups(link.id)).toEqual([
      { day: '2026-11-20', clicks: 1, unique_clicks: 1 },
      { day: '2026-11-21', clicks: 1, unique_clicks: 1 },
    ]);
  });

  it('are never offsets: a brand cannot take "+00:07" as its timezone', async () => {
    const brand = await createBrand();
    for (const timezone of ['+00:07', '-05:00', '+0530']) {
      const res = await brand.api('PATCH', '/api/admin/brand', { timezone });
      expect(res.status, timezone).toBe(422);
    }
    expect(await env.DB.prepare('SELECT timezone FROM brands WHERE id = ?').bind(brand.brandId).first('timezone')).toBe('UTC');
  });
});

describe("the network chart's days", () => {
  async function conversionAt(m: Awaited<ReturnType<typeof createMoneyBrand>>, orderId: string, at: number) {
    const res = await signedPost(m.brand, m.ingestKey, '/v1/conversions', { orderId, amountMinor: 5_000, currency: 'USD', occurredAt: new Date(at).toISOString(), code: m.code });
    expect(res.status).toBe(201);
  }

  it('are Kolkata days for a brand in Kolkata: a minute either side of its midnight is two days', async () => {
    const m = await createMoneyBrand({ timezone: 'Asia/Kolkata' });
    // Midnight in Kolkata (UTC+5:30) is 18:30Z: a half hour off any UTC hour.
    await conversionAt(m, 'kol-1', Date.UTC(2026, 10, 20, 18, 29));
    await conversionAt(m, 'kol-2', Date.UTC(2026, 10, 20, 18, 31));
    await writeClicks(env.DB, [click(m.link.id, m.brand.brandId, Date.UTC(2026, 10, 20, 18, 29)), click(m.link.id, m.brand.brandId, Date.UTC(2026, 10, 20, 18, 31))]);
    const now = Date.UTC(2026, 10, 21, 12); // 17:30 on the 21st in Kolkata
    const data = await loadNetwork(env.DB, m.brand.brandId, m.campaign.id, now);
    expect(data!.daily).toHaveLength(30);
    expect(data!.daily[0]!.day).toBe('2026-10-23');
    expect(data!.daily.slice(-2)).toEqual([
      { day: '2026-11-20', clicks: 1, conversions: 1 },
      { day: '2026-11-21', clicks: 1, conversions: 1 },
    ]);
  });

  it('follow New York across the spring change: the 23-hour day ends at 04:00Z', async () => {
    const m = await createMoneyBrand({ timezone: 'America/New_York' });
    await conversionAt(m, 'ny-1', Date.UTC(2026, 2, 9, 3, 50)); // 23:50 EDT on the 8th
    await conversionAt(m, 'ny-2', Date.UTC(2026, 2, 9, 4, 10)); // 00:10 EDT on the 9th
    await conversionAt(m, 'ny-3', Date.UTC(2026, 2, 8, 4, 55)); // 23:55 EST on the 7th
    const data = await loadNetwork(env.DB, m.brand.brandId, m.campaign.id, Date.UTC(2026, 2, 9, 16));
    expect(data!.daily.slice(-3).map((d) => [d.day, d.conversions])).toEqual([
      ['2026-03-07', 1],
      ['2026-03-08', 1],
      ['2026-03-09', 1],
    ]);
  });
});
