import { createExecutionContext, createMessageBatch, env, getQueueResult } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import worker from '../../worker/index';
import type { ClickMessage } from '../../worker/domain/clicks';
import type { Env } from '../../worker/env';
import { clickMessage, createBrand, createLinkedCreator, failingBatches, rowCount } from './fixtures';

const HOUR = 3_600_000;
const DAY_START = Date.UTC(2026, 10, 20); // 2026-11-20T00:00Z

function click(linkId: string, brandId: string, at: number, identityHash = 'visitor-a', isBot = false): ClickMessage {
  return clickMessage({ brandId, linkId, at, referrerHost: 'instagram.com', identityHash, isBot });
}

async function deliver(messages: ClickMessage[], envOverride: Partial<Env> = {}) {
  const batch = createMessageBatch<ClickMessage>(
    'chorus-clicks',
    messages.map((body, i) => ({ id: `msg-${i}-${body.id}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, { ...env, ...envOverride } as Env, ctx);
  return getQueueResult(batch, ctx);
}

async function rollups(linkId: string) {
  const { results } = await env.DB.prepare('SELECT day, clicks, unique_clicks, bots FROM click_rollups WHERE link_id = ? ORDER BY day').bind(linkId).all();
  return results;
}

async function setup() {
  const brand = await createBrand();
  const { link } = await createLinkedCreator(brand);
  return { brandId: brand.brandId, linkId: link.id };
}

describe('click consumer', () => {
  it('stores clicks and rolls them up per link and day', async () => {
    const { brandId, linkId } = await setup();
    await deliver([
      click(linkId, brandId, DAY_START + 10 * HOUR, 'a'),
      click(linkId, brandId, DAY_START + 11 * HOUR, 'b'),
      click(linkId, brandId, DAY_START + 12 * HOUR, 'c', true),
      click(linkId, brandId, DAY_START + 26 * HOUR, 'a'),
    ]);
    expect(await rollups(linkId)).toEqual([
      { day: '2026-11-20', clicks: 2, unique_clicks: 2, bots: 1 },
      { day: '2026-11-21', clicks: 1, unique_clicks: 1, bots: 0 },
    ]);
  });

  it('adds nothing when a batch is redelivered', async () => {
    const { brandId, linkId } = await setup();
    const messages = [click(linkId, brandId, DAY_START + HOUR, 'a'), click(linkId, brandId, DAY_START + 3 * HOUR, 'b'), click(linkId, brandId, DAY_START + 4 * HOUR, 'c', true)];
    await deliver(messages);
    const first = await rollups(linkId);
    await deliver(messages);
    await deliver([...messages].reverse());
    expect(await rowCount('SELECT count(*) AS n FROM clicks WHERE link_id = ?', linkId)).toBe(3);
    expect(await rollups(linkId)).toEqual(first);
  });

  it('counts the same visitor once within an hour, again after it', async () => {
    const { brandId, linkId } = await setup();
    await deliver([
      click(linkId, brandId, DAY_START + 9 * HOUR, 'a'),
      click(linkId, brandId, DAY_START + 9 * HOUR + 59 * 60_000, 'a'), // within the hour: duplicate
      click(linkId, brandId, DAY_START + 9 * HOUR + 30 * 60_000, 'b'), // another visitor: unique
      click(linkId, brandId, DAY_START + 11 * HOUR, 'a'), // more than an hour after a's last click: unique
    ]);
    expect(await rollups(linkId)).toEqual([{ day: '2026-11-20', clicks: 4, unique_clicks: 3, bots: 0 }]);
  });

  it('gives the same answer whatever order the queue delivers in', async () => {
    const { brandId, linkId } = await setup();
    const early = click(linkId, brandId, DAY_START + 5 * HOUR, 'a');
    const late = click(linkId, brandId, DAY_START + 5 * HOUR + 10 * 60_000, 'a');
    await deliver([late]);
    await deliver([early]);
    expect(await rollups(linkId)).toEqual([{ day: '2026-11-20', clicks: 2, unique_clicks: 1, bots: 0 }]);
    const flags = await env.DB.prepare('SELECT id, is_duplicate FROM clicks WHERE link_id = ? ORDER BY at').bind(linkId).all<{ id: string; is_duplicate: number }>();
    expect(flags.results).toEqual([
      { id: early.id, is_duplicate: 0 },
      { id: late.id, is_duplicate: 1 },
    ]);
  });

  it('keeps duplicates across midnight consistent in both days', async () => {
    const { brandId, linkId } = await setup();
    await deliver([click(linkId, brandId, DAY_START + 24 * HOUR + 10 * 60_000, 'a')]);
    await deliver([click(linkId, brandId, DAY_START + 23 * HOUR + 50 * 60_000, 'a')]);
    expect(await rollups(linkId)).toEqual([
      { day: '2026-11-20', clicks: 1, unique_clicks: 1, bots: 0 },
      { day: '2026-11-21', clicks: 1, unique_clicks: 0, bots: 0 },
    ]);
  });

  it('asks for a retry of the whole batch when D1 fails, and the retry converges', async () => {
    const { brandId, linkId } = await setup();
    const messages = [click(linkId, brandId, DAY_START + HOUR, 'a'), click(linkId, brandId, DAY_START + 2 * HOUR, 'b')];
    const failingDb = failingBatches();
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const result = await deliver(messages, { DB: failingDb });
    errors.mockRestore();
    expect(result.retryBatch.retry).toBe(true);
    expect(await rowCount('SELECT count(*) AS n FROM clicks WHERE link_id = ?', linkId)).toBe(0);
    await deliver(messages);
    expect(await rowCount('SELECT count(*) AS n FROM clicks WHERE link_id = ?', linkId)).toBe(2);
  });

  it('reads messages that carry several clicks, dropping only the malformed ones', async () => {
    const { brandId, linkId } = await setup();
    const flush = [click(linkId, brandId, DAY_START + HOUR, 'a'), click(linkId, brandId, DAY_START + HOUR + 1000, 'a'), click(linkId, brandId, DAY_START + HOUR, 'b')];
    const batch = createMessageBatch<unknown>('chorus-clicks', [
      { id: 'flush-1', timestamp: new Date(), attempts: 1, body: [flush[0], { nope: true }, flush[1]] },
      { id: 'flush-2', timestamp: new Date(), attempts: 1, body: [flush[2]] },
    ]);
    const ctx = createExecutionContext();
    const warns = vi.spyOn(console, 'warn').mockImplementation(() => {});
    await worker.queue(batch, env as Env, ctx);
    const warned = warns.mock.calls.map((c) => JSON.parse(String(c[0])));
    warns.mockRestore();
    expect((await getQueueResult(batch, ctx)).retryBatch.retry).toBe(false);
    expect(warned).toEqual([expect.objectContaining({ event: 'click_message_dropped', fields: expect.objectContaining({ messageId: 'flush-1', dropped: 1, of: 3 }) })]);
    expect(await rollups(linkId)).toEqual([{ day: '2026-11-20', clicks: 3, unique_clicks: 2, bots: 0 }]);
  });

  it('drops malformed messages without failing the batch', async () => {
    const { brandId, linkId } = await setup();
    const good = click(linkId, brandId, DAY_START, 'a');
    const batch = createMessageBatch<unknown>('chorus-clicks', [
      { id: 'bad', timestamp: new Date(), attempts: 1, body: { nope: true } },
      { id: 'good', timestamp: new Date(), attempts: 1, body: good },
    ]);
    const ctx = createExecutionContext();
    const warns = vi.spyOn(console, 'warn').mockImplementation(() => {});
    await worker.queue(batch, env as Env, ctx);
    warns.mockRestore();
    expect((await getQueueResult(batch, ctx)).retryBatch.retry).toBe(false);
    expect(await rowCount('SELECT count(*) AS n FROM clicks WHERE link_id = ?', linkId)).toBe(1);
  });
});

describe('click writes under a burst from one visitor', () => {
  it('touches a constant number of rows per click, not every earlier click of the visitor', async () => {
    const { clickWriteStatements } = await import('../../worker/db/clicks');
    const { brandId, linkId } = await setup();
    const burst = Array.from({ length: 300 }, (_, i) => click(linkId, brandId, DAY_START + 10 * HOUR + i * 1000, 'office-nat'));
    for (let i = 0; i < burst.length; i += 100) await deliver(burst.slice(i, i + 100));
    const next = click(linkId, brandId, DAY_START + 10 * HOUR + 301_000, 'office-nat');
    const results = await env.DB.batch(clickWriteStatements(env.DB, [next], new Map()));
    const markDuplicates = results[1]!.meta as D1Meta & { rows_written?: number };
    expect(markDuplicates.changes).toBe(1); // only the new click itself becomes a duplicate
    expect(markDuplicates.rows_read ?? 0).toBeLessThan(20);
    expect(await rollups(linkId)).toEqual([{ day: '2026-11-20', clicks: 301, unique_clicks: 1, bots: 0 }]);
  });

  it('reads a few rows per click when one batch is a burst from one visitor', async () => {
    const { clickWriteStatements } = await import('../../worker/db/clicks');
    const { brandId, linkId } = await setup();
    const burst = Array.from({ length: 500 }, (_, i) => click(linkId, brandId, DAY_START + 10 * HOUR + i * 1000, 'office-nat'));
    const results = await env.DB.batch(clickWriteStatements(env.DB, burst, new Map()));
    expect(results[1]!.meta.changes).toBe(499);
    expect(results[1]!.meta.rows_read ?? 0).toBeLessThan(burst.length * 10); // gathering per click read 128,000
    expect(await rollups(linkId)).toEqual([{ day: '2026-11-20', clicks: 500, unique_clicks: 1, bots: 0 }]);
  });

  it("reads a constant number of rows when an earlier click arrives after the visitor's later ones", async () => {
    const { clickWriteStatements } = await import('../../worker/db/clicks');
    const { brandId, linkId } = await setup();
    const later = Array.from({ length: 300 }, (_, i) => click(linkId, brandId, DAY_START + 10 * HOUR + (i + 1) * 1000, 'office-nat'));
    for (let i = 0; i < later.length; i += 100) await deliver(later.slice(i, i + 100));
    const earlier = click(linkId, brandId, DAY_START + 10 * HOUR, 'office-nat');
    const results = await env.DB.batch(clickWriteStatements(env.DB, [earlier], new Map()));
    const markDuplicates = results[1]!.meta;
    expect(markDuplicates.changes).toBe(1); // the first of the later clicks stops being unique
    expect(markDuplicates.rows_read ?? 0).toBeLessThan(20);
    expect(await rollups(linkId)).toEqual([{ day: '2026-11-20', clicks: 301, unique_clicks: 1, bots: 0 }]);
  });
});

describe('click write statements', () => {
  it('find every row through an index: json_each drives the lookups, nothing scans clicks', async () => {
    const { CLICK_WRITE_SQL } = await import('../../worker/db/clicks');
    for (const [name, sql] of Object.entries(CLICK_WRITE_SQL)) {
      const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...(sql.includes('?1') ? ['[]'] : [])).all<{ detail: string }>();
      const plan = results.map((r) => r.detail).join('\n');
      // json_each is the batch itself, v its visitors; the partial index holds only the rows not yet rolled up.
      expect(plan, `${name}:\n${plan}`).not.toMatch(/^SCAN (?!json_each VIRTUAL|v$|clicks USING INDEX clicks_rollup_pending)/m);
      if (name === 'MARK_DUPLICATES') expect(plan).toMatch(/SEARCH t USING (COVERING )?INDEX clicks_unique_visits/);
    }
  });
});
