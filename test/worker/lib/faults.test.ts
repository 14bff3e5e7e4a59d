import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../../../worker/env';
import { consumeUnderFaults, faultSwitches, faultyD1, INJECTED_D1_ERROR, withFaults } from '../../../worker/lib/faults';

const always = () => 0;
const never = () => 0.99;

async function rows(tag: string) {
  const row = await env.DB.prepare('SELECT count(*) AS n FROM fault_probe WHERE tag = ?').bind(tag).first<{ n: number }>();
  return row?.n ?? 0;
}

describe('fault switches', () => {
  beforeAll(async () => {
    await env.DB.prepare('CREATE TABLE IF NOT EXISTS fault_probe (tag TEXT NOT NULL)').run();
  });

  it('are off unless ENVIRONMENT is test or scenarios and a FAULT_* variable is set', () => {
    const base = env as unknown as Env;
    expect(withFaults(base)).toBe(base);
    const production = { ...base, ENVIRONMENT: 'production', FAULT_D1: 'before' } as Env;
    expect(faultSwitches(production)).toBeNull();
    expect(withFaults(production)).toBe(production);
    const test = { ...base, ENVIRONMENT: 'test', FAULT_D1: 'after', FAULT_D1_RATE: '0.25' } as Env;
    expect(faultSwitches(test)?.d1).toEqual({ mode: 'after', rate: 0.25, slowMs: 200 });
    expect(withFaults(test)).not.toBe(test);
    expect(withFaults(test)).toBe(withFaults(test));
    expect(faultSwitches({ ...base, ENVIRONMENT: 'scenarios', FAULT_QUEUE: 'after' } as Env)?.queue).toEqual({ at: 'after', rate: 0.1 });
    expect(faultSwitches({ ...base, ENVIRONMENT: 'development', FAULT_QUEUE: 'after' } as Env)).toBeNull();
  });

  it("'before' fails a batch without writing it; the error reads as a D1 error", async () => {
    const db = faultyD1(env.DB, { mode: 'before', rate: 1, slowMs: 0 }, always);
    await expect(db.batch([db.prepare('INSERT INTO fault_probe (tag) VALUES (?)').bind('before')])).rejects.toThrow(INJECTED_D1_ERROR);
    expect(await rows('before')).toBe(0);
  });

  it("'after' commits a batch and then fails it: the ambiguous case", async () => {
    const db = faultyD1(env.DB, { mode: 'after', rate: 1, slowMs: 0 }, always);
    await expect(db.batch([db.prepare('INSERT INTO fault_probe (tag) VALUES (?)').bind('after')])).rejects.toThrow(/D1_ERROR/);
    expect(await rows('after')).toBe(1);
    await expect(db.prepare('INSERT INTO fault_probe (tag) VALUES (?)').bind('after').run()).rejects.toThrow(/D1_ERROR/);
    expect(await rows('after')).toBe(2);
  });

  it("'slow' delays the call and then runs it", async () => {
    const db = faultyD1(env.DB, { mode: 'slow', rate: 1, slowMs: 60 }, always);
    const started = Date.now();
    await db.prepare('INSERT INTO fault_probe (tag) VALUES (?)').bind('slow').run();
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
    expect(await rows('slow')).toBe(1);
  });

  it('passes every call through when the draw misses, including batches of wrapped statements', async () => {
    const db = faultyD1(env.DB, { mode: 'before', rate: 0.1, slowMs: 0 }, never);
    await db.batch([db.prepare('INSERT INTO fault_probe (tag) VALUES (?)').bind('miss'), db.prepare('INSERT INTO fault_probe (tag) VALUES (?)').bind('miss')]);
    expect(await db.prepare('SELECT count(*) AS n FROM fault_probe WHERE tag = ?').bind('miss').first('n')).toBe(2);
    expect((await db.prepare('SELECT tag FROM fault_probe WHERE tag = ?').bind('miss').all()).results).toHaveLength(2);
    expect(await db.prepare('SELECT tag FROM fault_probe WHERE tag = ?').bind('miss').raw()).toEqual([['miss'], ['miss']]);
  });

  it('make the click consumer throw before or after it ran, for an even share of batches', async () => {
    const on = { ...(env as unknown as Env), ENVIRONMENT: 'test', FAULT_QUEUE: 'before', FAULT_QUEUE_RATE: '1' } as Env;
    let ran = 0;
    const consume = async () => {
      ran++;
    };
    await expect(consumeUnderFaults({}, on, consume)).rejects.toThrow(/before/);
    expect(ran).toBe(0);
    await expect(consumeUnderFaults({}, { ...on, FAULT_QUEUE: 'after' } as Env, consume)).rejects.toThrow(/after/);
    expect(ran).toBe(1);
    await consumeUnderFaults({}, { ...on, FAULT_QUEUE_RATE: '0' } as Env, consume);
    await consumeUnderFaults({}, env as unknown as Env, consume);
    expect(ran).toBe(3);
    const quarter = { ...on, FAULT_QUEUE: 'either', FAULT_QUEUE_RATE: '0.25' } as Env;
    const outcomes: string[] = [];
    for (let i = 0; i < 8; i++) outcomes.push(await consumeUnderFaults({}, quarter, consume).then(() => 'ok', (e: Error) => (/before/.test(e.message) ? 'before' : 'after')));
    expect(outcomes.filter((o) => o !== 'ok')).toEqual(['before', 'after']);
  });
});
