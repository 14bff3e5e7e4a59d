// The click pipeline under corrupt or forged queue messages, backed-up queues and late orders: clicks are
// never lost to a bad neighbour, never counted or credited across brands, and an order whose click is
// stored is credited however long it waited.
import { createExecutionContext, createMessageBatch, env, getQueueResult, waitOnExecutionContext } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import worker from '../../worker/index';
import { writeClicks } from '../../worker/db/clicks';
import { LATE_CLICK_SQL, sweepAwaitingOrders } from '../../worker/db/conversions';
import type { ClickMessage } from '../../worker/domain/clicks';
import type { Env } from '../../worker/env';
import { pruneClicks } from '../../worker/jobs/retention';
import migration0015 from '../../migrations/0015_click_look.sql?raw';
import { clickMessage, createBrand, createLinkedCreator, createMoneyBrand, d1With, json, rowCount, runCron, signedPost, storeRawClick } from './fixtures';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const DAY_START = Date.UTC(2026, 10, 20); // 2026-11-20T00:00Z

let seq = 0;

// One queue batch as the runtime hands it to the worker's queue handler; each body is one message.
async function deliverBodies(bodies: unknown[], overrides: Partial<Env> = {}) {
  const batch = createMessageBatch<unknown>(
    'chorus-clicks',
    bodies.map((body) => ({ id: `zz-${seq++}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  const quiet = (['log', 'warn', 'error'] as const).map((m) => vi.spyOn(console, m).mockImplementation(() => {}));
  try {
    await worker.queue(batch, { ...env, ...overrides } as Env, ctx);
    await waitOnExecutionContext(ctx);
  } finally {
    for (const spy of quiet) spy.mockRestore();
  }
  return getQueueResult(batch, ctx);
}

async function rollups(linkId: string) {
  const { results } = await env.DB.prepare('SELECT day, clicks, unique_clicks, bots FROM click_rollups WHERE link_id = ? ORDER BY day').bind(linkId).all();
  return results;
}

async function setup() {
  const brand = await createBrand();
  const { link } = await createLinkedCreator(brand);
  return { brand, brandId: brand.brandId, linkId: link.id };
}

const conversionRow = (id: string) =>
  env.DB.prepare('SELECT attribution, enrollment_id, click_id FROM conversions WHERE id = ?').bind(id).first<{ attribution: string; enrollment_id: string | null; click_id: string | null }>();

// An order stored unattributed with the click id it named, as recordConversion stores one whose click is
// not in D1 yet: binds id, brand, order id, occurred at, click id, created at.
const insertWaiting = () =>
  env.DB.prepare(
    "INSERT INTO conversions (id, brand_id, external_order_id, amount_minor, currency, occurred_at, attribution, click_id_raw, source, payload_hash, created_at) VALUES (?, ?, ?, 1000, 'USD', ?, 'none', ?, 'api', 'h', ?)",
  );

// Jobs that look at every brand (retention, the sweep) must not see another story's rows.
const brandsToClean: string[] = [];
afterEach(async () => {
  for (const brandId of brandsToClean.splice(0)) {
    await env.DB.batch([
      env.DB.prepare('DELETE FROM clicks WHERE brand_id = ?').bind(brandId),
      env.DB.prepare('DELETE FROM click_rollups WHERE brand_id = ?').bind(brandId),
    ]);
  }
});

describe('hostile or malformed queue messages', () => {
  // A date past year 9999 has no rollup day (strftime gives NULL): it must be dropped alone, not fail the D1
  // batch and so every good click of the queue batch on each of its redeliveries.
  it('a click with an out-of-range timestamp does not poison the good clicks of its batch', async () => {
    const { brandId, linkId } = await setup();
    const good = clickMessage({ brandId, linkId, at: DAY_START + HOUR });
    const poison = clickMessage({ brandId, linkId, at: 253_402_300_800_000 }); // 10000-01-01T00:00Z
    const result = await deliverBodies([[good], [poison]]);
    expect(result.retryBatch.retry).toBe(false);
    expect(await rowCount('SELECT count(*) AS n FROM clicks WHERE id = ?', good.id)).toBe(1);
    expect(await rollups(linkId)).toEqual([{ day: '2026-11-20', clicks: 1, unique_clicks: 1, bots: 0 }]);
  });

  // Only analytics read the country: one in another form (lower case, empty, what the redirect queued before
  // it checked, or nested deeper than SQLite's JSON parser takes, which would break json_each for the whole
  // chunk) is stored as null and the click kept, as the redirect does.
  it('keeps a click whose country is in another form, storing the country as null', async () => {
    const { brandId, linkId } = await setup();
    const good = clickMessage({ brandId, linkId, at: DAY_START + HOUR });
    let deep: unknown = 'DE';
    for (let i = 0; i < 1_100; i++) deep = [deep];
    const odd = [deep, 'de', '', 7].map((country, i) => ({ ...clickMessage({ brandId, linkId, at: DAY_START + (2 + i) * HOUR }), country }));
    const result = await deliverBodies([[good], odd]);
    expect(result.retryBatch.retry).toBe(false);
    const { results } = await env.DB.prepare('SELECT id, country FROM clicks WHERE link_id = ? ORDER BY at').bind(linkId).all();
    expect(results).toEqual([{ id: good.id, country: 'DE' }, ...odd.map((c) => ({ id: c.id, country: null }))]);
  });

  // A message naming brand B with brand A's link (clicks have no foreign keys) would count on A's link and
  // credit A's creator with B's order.
  it("never stores a click whose link belongs to another brand, nor credits one brand's order to another's creator", async () => {
    const a = await createMoneyBrand();
    const b = await createMoneyBrand();
    const forged = clickMessage({ brandId: b.brand.brandId, linkId: a.link.id, at: Date.now() - MINUTE });
    await deliverBodies([[forged]]);
    const res = await signedPost(b.brand, b.ingestKey, '/v1/conversions', {
      orderId: `zz-forged-${seq++}`,
      amountMinor: 10_000,
      currency: 'USD',
      occurredAt: new Date().toISOString(),
      clickId: forged.id,
    });
    expect(res.status).toBe(201);
    const order = (await json<{ data: { id: string } }>(res)).data;
    const stored = await conversionRow(order.id);
    expect(stored?.enrollment_id).not.toBe(a.enrollment.id);
    expect(stored?.attribution).toBe('none');
    expect(await rowCount('SELECT count(*) AS n FROM ledger_entries WHERE conversion_id = ?', order.id)).toBe(0);
    expect(await rowCount('SELECT count(*) AS n FROM clicks WHERE id = ?', forged.id)).toBe(0);
  });

  // A click on no link would make rollup rows no dashboard shows and raw rows no retention prunes.
  it('drops clicks for unknown links instead of storing and counting them', async () => {
    const { brandId, linkId } = await setup();
    const ghost = clickMessage({ brandId, linkId: `lnk_does_not_exist_${seq++}`, at: DAY_START + HOUR });
    const good = clickMessage({ brandId, linkId, at: DAY_START + HOUR });
    await deliverBodies([[ghost, good]]);
    expect(await rowCount('SELECT count(*) AS n FROM clicks WHERE id = ?', ghost.id)).toBe(0);
    expect(await rowCount('SELECT count(*) AS n FROM click_rollups WHERE link_id = ?', ghost.linkId)).toBe(0);
    expect(await rowCount('SELECT count(*) AS n FROM clicks WHERE id = ?', good.id)).toBe(1);
  });

  // The redirect stamps Date.now(): a click years ahead or before Chorus existed is forged or corrupt.
  it('drops clicks timestamped in the far future or before the epoch', async () => {
    const { brandId, linkId } = await setup();
    const future = clickMessage({ brandId, linkId, at: Date.UTC(2031, 0, 1) });
    const negative = clickMessage({ brandId, linkId, at: -DAY });
    await deliverBodies([[future, negative]]);
    expect(await rowCount('SELECT count(*) AS n FROM clicks WHERE id IN (?, ?)', future.id, negative.id)).toBe(0);
    expect(await rollups(linkId)).toEqual([]);
  });
});

describe('late attribution', () => {
  // One consumer batch settles at most 100 waiting orders and leaves the rest to the cron sweep, which must
  // then reach them even when they were created days ago (a queue backed up for days).
  it('credits every order waiting for the clicks of one batch, even past 100 and when they waited more than a day', async () => {
    const m = await createMoneyBrand();
    brandsToClean.push(m.brand.brandId);
    const now = Date.now();
    const clicks = Array.from({ length: 101 }, () => clickMessage({ brandId: m.brand.brandId, linkId: m.link.id, at: now - 2 * DAY - MINUTE, identityHash: `v-${seq++}` }));
    // The orders arrived two days ago naming clicks still stuck in the queue (as recordConversion stores them).
    const insert = insertWaiting();
    const ids = clicks.map((_, i) => `cv_zz_${seq}_${i}`);
    await env.DB.batch(clicks.map((c, i) => insert.bind(ids[i]!, m.brand.brandId, `zz-backlog-${seq}-${i}`, now - 2 * DAY, c.id, now - 2 * DAY)));
    seq++;
    expect((await deliverBodies([clicks])).retryBatch.retry).toBe(false);
    await runCron();
    expect(await rowCount("SELECT count(*) AS n FROM conversions WHERE brand_id = ? AND attribution = 'click'", m.brand.brandId)).toBe(101);
    expect(await rowCount("SELECT count(*) AS n FROM ledger_entries WHERE brand_id = ? AND kind = 'commission'", m.brand.brandId)).toBe(101);
  });
});

describe('late attribution sweep', () => {
  // Orders whose click never comes (a bot's, a mistyped id) wait for good; newer ones by the thousand must
  // not fill the sweep's scan and hide an order whose click is stored.
  it('credits a stored-click order even when 2,000 newer orders wait for clicks that never come', async () => {
    const m = await createMoneyBrand();
    brandsToClean.push(m.brand.brandId);
    const now = Date.now();
    const click = clickMessage({ brandId: m.brand.brandId, linkId: m.link.id, at: now - 2 * HOUR, identityHash: `v-${seq++}` });
    const insert = insertWaiting();
    const tag = seq++;
    const realId = `cv_zz_real_${tag}`;
    // The real order: its click is stored (without the consumer's crediting step, as when that step failed).
    await insert.bind(realId, m.brand.brandId, `zz-real-${tag}`, now - HOUR, click.id, now - HOUR).run();
    await storeRawClick({ id: click.id, brandId: m.brand.brandId, linkId: m.link.id, at: click.at });
    // Newer orders naming cids that will never become a human click of this brand.
    const junk = Array.from({ length: 2_000 }, (_, i) => insert.bind(`cv_zz_junk_${tag}_${i}`, m.brand.brandId, `zz-junk-${tag}-${i}`, now, `never-a-click-${tag}-${i}`, now - i));
    for (let i = 0; i < junk.length; i += 500) await env.DB.batch(junk.slice(i, i + 500));
    try {
      await runCron();
      expect(await conversionRow(realId)).toMatchObject({ attribution: 'click', click_id: click.id });
    } finally {
      await env.DB.prepare('DELETE FROM conversions WHERE brand_id = ? AND id LIKE ?').bind(m.brand.brandId, `cv_zz_junk_${tag}_%`).run();
    }
  });
});

describe('late attribution sweep: when it looks and what a run costs', () => {
  const QUARTER = 15 * MINUTE;
  // n orders waiting for a click that is stored (the consumer's crediting step failed), created just now.
  async function waitingOrders(m: Awaited<ReturnType<typeof createMoneyBrand>>, n: number) {
    for (let i = 0; i < n; i++) {
      const click = clickMessage({ brandId: m.brand.brandId, linkId: m.link.id, at: Date.now() - MINUTE, identityHash: `v-${seq++}` });
      const res = await signedPost(m.brand, m.ingestKey, '/v1/conversions', { orderId: `zzs-${seq++}`, amountMinor: 1_000, currency: 'USD', occurredAt: new Date().toISOString(), clickId: click.id });
      expect(res.status).toBe(201);
      await storeRawClick({ id: click.id, brandId: m.brand.brandId, linkId: m.link.id, at: click.at });
    }
  }
  const credited = (brandId: string) => rowCount("SELECT count(*) AS n FROM conversions WHERE brand_id = ? AND attribution = 'click'", brandId);

  // Orders whose click never comes stay waiting for good: a run reads at most its scan of due orders, and
  // each order looked at in vain is not due again for a while.
  it('reads a bounded number of rows however many orders wait for clicks that never come, and finds the one whose click is stored', async () => {
    const m = await createMoneyBrand();
    brandsToClean.push(m.brand.brandId);
    const now = Date.now();
    const tag = seq++;
    const JUNK = 5_000;
    const junk = Array.from({ length: JUNK }, (_, i) => {
      const at = now - 2 * DAY + i * 30_000;
      return insertWaiting().bind(`cv_zzs_${tag}_${i}`, m.brand.brandId, `zzs-${tag}-${i}`, at, `never-a-click-${tag}-${i}xxxxxxxx`, at);
    });
    for (let i = 0; i < junk.length; i += 500) await env.DB.batch(junk.slice(i, i + 500));
    // The real order sits behind 4,500 due junk orders; its click is stored.
    const click = clickMessage({ brandId: m.brand.brandId, linkId: m.link.id, at: now - 2 * DAY + 4_500 * 30_000, identityHash: `v-${seq++}` });
    const realId = `cv_zzs_real_${tag}`;
    await insertWaiting().bind(realId, m.brand.brandId, `zzs-real-${tag}`, click.at + 1, click.id, click.at + 1).run();
    await storeRawClick({ id: click.id, brandId: m.brand.brandId, linkId: m.link.id, at: click.at });
    try {
      for (const sql of [LATE_CLICK_SQL.DUE_ORDERS, LATE_CLICK_SQL.AWAITING_DUE]) {
        const { meta } = await env.DB.prepare(sql).bind(now, 2_000).all();
        expect(meta.rows_read).toBeLessThan(5_000); // the 2,000 due first, their click probes and a few joins
      }
      // Three runs of 2,000 reach it; then nothing is due until the junk's next look.
      for (let run = 0; run < 3; run++) await sweepAwaitingOrders(env.DB, now);
      expect(await conversionRow(realId)).toMatchObject({ attribution: 'click', click_id: click.id });
      expect((await env.DB.prepare(LATE_CLICK_SQL.DUE_ORDERS).bind(now, 2_000).all()).results).toEqual([]);
    } finally {
      await env.DB.prepare('DELETE FROM conversions WHERE brand_id = ?').bind(m.brand.brandId).run();
    }
  });

  // A click that lands late (a queue backed up, then the crediting step failed) is found at the next look,
  // and the looks grow further apart as the order ages.
  it('looks at a waiting order again later and later, and credits it at the first look after its click lands', async () => {
    const m = await createMoneyBrand();
    brandsToClean.push(m.brand.brandId);
    const created = Date.now() - 10 * DAY;
    const click = clickMessage({ brandId: m.brand.brandId, linkId: m.link.id, at: created - MINUTE, identityHash: `v-${seq++}` });
    const id = `cv_zzs_late_${seq++}`;
    await insertWaiting().bind(id, m.brand.brandId, `zzs-late-${id}`, created, click.id, created).run();
    const lookAt = () => env.DB.prepare('SELECT click_look_at FROM conversions WHERE id = ?').bind(id).first<number | null>('click_look_at');
    await sweepAwaitingOrders(env.DB, created + MINUTE);
    expect(await lookAt()).toBe(created + MINUTE + QUARTER);
    await sweepAwaitingOrders(env.DB, created + 2 * DAY);
    expect(await lookAt()).toBe(created + 4 * DAY); // as long again as it has waited
    await sweepAwaitingOrders(env.DB, created + 3 * DAY); // not due: nothing read, nothing moved
    expect(await lookAt()).toBe(created + 4 * DAY);
    await storeRawClick({ id: click.id, brandId: m.brand.brandId, linkId: m.link.id, at: click.at });
    expect((await sweepAwaitingOrders(env.DB, created + 4 * DAY)).credited).toEqual([id]);
    expect(await conversionRow(id)).toMatchObject({ attribution: 'click', click_id: click.id });
  });

  // After 15 days no click of the order can still land: it leaves the sweep for good.
  it('stops looking 15 days after the order', async () => {
    const m = await createMoneyBrand();
    brandsToClean.push(m.brand.brandId);
    const created = Date.now() - 20 * DAY;
    const id = `cv_zzs_old_${seq++}`;
    await insertWaiting().bind(id, m.brand.brandId, `zzs-old-${id}`, created, `never-a-click-${id}xxxxxxxx`, created).run();
    await sweepAwaitingOrders(env.DB, created + 9 * DAY);
    expect(await env.DB.prepare('SELECT click_look_at FROM conversions WHERE id = ?').bind(id).first('click_look_at')).toBe(created + 15 * DAY);
    await sweepAwaitingOrders(env.DB, created + 15 * DAY);
    expect(await env.DB.prepare('SELECT click_look_at FROM conversions WHERE id = ?').bind(id).first('click_look_at')).toBe(Number.MAX_SAFE_INTEGER);
  });

  // A run settles at most 100; the rest stay due and go first in the next run, whatever their age.
  it.each([['an hour', HOUR], ['14 days', 14 * DAY]])('settles orders deferred past a run\'s limit in the next run (orders %s old)', async (_label, age) => {
    const m = await createMoneyBrand();
    brandsToClean.push(m.brand.brandId);
    await waitingOrders(m, 105);
    const at = Date.now() + age;
    await sweepAwaitingOrders(env.DB, at);
    expect(await credited(m.brand.brandId)).toBe(100);
    await sweepAwaitingOrders(env.DB, at + QUARTER);
    expect(await credited(m.brand.brandId)).toBe(105);
  }, 120_000);

  // An order whose terms cannot be priced (here its brand's timezone is one the runtime does not know) must
  // not fail every order due with it, run after run: it is logged and looked at later.
  it('gets past an order that cannot be settled', async () => {
    const poison = await createMoneyBrand();
    const good = await createMoneyBrand();
    brandsToClean.push(poison.brand.brandId, good.brand.brandId);
    await waitingOrders(poison, 1);
    await waitingOrders(good, 1);
    await env.DB.prepare("UPDATE brands SET timezone = 'Mars/Olympus_Mons' WHERE id = ?").bind(poison.brand.brandId).run();
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const run = await sweepAwaitingOrders(env.DB, Date.now() + MINUTE);
      expect(run.unsettled).toHaveLength(1);
    } finally {
      quiet.mockRestore();
    }
    expect(await credited(good.brand.brandId)).toBe(1);
    expect(await credited(poison.brand.brandId)).toBe(0);
    expect(await env.DB.prepare("SELECT click_look_at IS NOT NULL AS later FROM conversions WHERE brand_id = ? AND attribution = 'none'").bind(poison.brand.brandId).first('later')).toBe(1);
  }, 60_000);

  // Migration 0015: orders that have waited 15 days already are not looked at again, so the first runs
  // start with the orders the sweep is for.
  it('retires, in migration 0015, the orders that waited 15 days already', async () => {
    const m = await createMoneyBrand();
    brandsToClean.push(m.brand.brandId);
    const now = Date.now();
    const ids = [`cv_zzm_old_${seq++}`, `cv_zzm_new_${seq++}`];
    for (const [i, at] of [now - 16 * DAY, now - 14 * DAY].entries()) await insertWaiting().bind(ids[i], m.brand.brandId, `zzm-${ids[i]}`, at, `never-a-click-${ids[i]}xxxxxxx`, at).run();
    const update = migration0015.split('--> statement-breakpoint').find((statement) => statement.includes('UPDATE'))!;
    await env.DB.prepare(update).run();
    const { results } = await env.DB.prepare('SELECT click_look_at FROM conversions WHERE id IN (?, ?) ORDER BY created_at').bind(...ids).all();
    expect(results).toEqual([{ click_look_at: Number.MAX_SAFE_INTEGER }, { click_look_at: null }]);
  });

  // A run that fails (D1 trouble is what makes crediting fail in the first place) or is skipped leaves
  // every due order due.
  it('still settles an order after the runs due for it failed or were skipped', async () => {
    const m = await createMoneyBrand();
    brandsToClean.push(m.brand.brandId);
    await waitingOrders(m, 1);
    const at = Date.now() + 14 * DAY + MINUTE;
    const failing = d1With({ batch: () => Promise.reject(new Error('D1_ERROR: storage unavailable')) });
    for (let run = 0; run < 3; run++) await expect(sweepAwaitingOrders(failing, at + run * QUARTER)).rejects.toThrow();
    await sweepAwaitingOrders(env.DB, at + DAY);
    expect(await credited(m.brand.brandId)).toBe(1);
  }, 60_000);
});

describe('click retention', () => {
  // With a 30-day retention and a 30-day window, an order placed on the window's last day whose webhook
  // arrives an hour later still finds its click: retention keeps a grace period past the window.
  it('keeps a click long enough for an order that occurred inside its window but arrives an hour later', async () => {
    const m = await createMoneyBrand();
    brandsToClean.push(m.brand.brandId);
    const now = Date.now();
    const click = clickMessage({ brandId: m.brand.brandId, linkId: m.link.id, at: now - 30 * DAY - HOUR, identityHash: `v-${seq++}` });
    await writeClicks(env.DB, [click]);
    await pruneClicks(env.DB, { retentionDays: 30, now, firstBrand: 0 });
    // The order happened 29 days 23 hours after the click (inside the 30-day window); its webhook lands now.
    const res = await signedPost(m.brand, m.ingestKey, '/v1/conversions', {
      orderId: `zz-ret-${seq++}`,
      amountMinor: 10_000,
      currency: 'USD',
      occurredAt: new Date(click.at + 30 * DAY - MINUTE).toISOString(),
      clickId: click.id,
    });
    expect(res.status).toBe(201);
    expect((await json<{ data: { attribution: string } }>(res)).data.attribution).toBe('click');
  });
});
