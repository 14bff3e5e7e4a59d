// The short version of `npm run scenarios`, so a regression fails CI: the same seven scenarios with small
// numbers against the real worker in its own process. It checks correctness (exactly-once, oracle equality,
// no 5xx, no 429 for honest clients, no orphans, consistent exports); latency ratios are only printed here,
// because CI shares two cores with everything else. The full run (`npm run scenarios`) checks them too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatReport } from './report.mjs';
import { runScenarios } from './scenarios.mjs';

type Result = { id: string; title: string; pass: boolean; checks: { name: string; pass: boolean; detail: string }[] };

const seed = process.env.SCENARIO_SEED ? Number(process.env.SCENARIO_SEED) : Date.now() % 1_000_000;
let results: Result[] = [];
let seconds = 0;

beforeAll(async () => {
  const started = Date.now();
  results = await runScenarios({ profile: 'short', seed });
  seconds = Math.round((Date.now() - started) / 1000);
}, 600_000);

afterAll(() => {
  if (results.length) console.log(formatReport(results, { profile: 'short', seed, seconds }));
});

describe('resilience scenarios (short profile, correctness only; replay with SCENARIO_SEED)', () => {
  it.each(['1', '2', '3', '4', '5', '6', '7'])('scenario %s keeps every promise', (id) => {
    const result = results.find((r) => r.id === id);
    expect(result, `scenario ${id} did not run`).toBeDefined();
    const failed = result!.checks.filter((c) => !c.pass).map((c) => `${c.name}${c.detail ? `: ${c.detail}` : ''}`);
    expect(failed, `${result!.title} (seed ${seed})`).toEqual([]);
  });
});
