#!/usr/bin/env node
// npm run scenarios [-- --short] [-- --only 2,3]: runs the resilience scenarios against the real worker in a
// separate process on 127.0.0.1 and prints pass/fail per property and a table of figures. Exit code 1 if any fails.
// SCENARIO_SEED=<n> replays the same generated traffic.
import { formatReport } from './report.mjs';
import { runScenarios } from './scenarios.mjs';

const args = process.argv.slice(2);
const profile = args.includes('--short') ? 'short' : 'full';
const onlyArg = args.find((a, i) => a.startsWith('--only') && (a.includes('=') || args[i + 1]));
const only = onlyArg ? (onlyArg.includes('=') ? onlyArg.split('=')[1] : args[args.indexOf(onlyArg) + 1]).split(',').map((s) => s.trim()) : null;
const seed = process.env.SCENARIO_SEED ? Number(process.env.SCENARIO_SEED) : Date.now() % 1_000_000;

// A hard bound on the whole run: every loop is bounded, this is the backstop.
const deadline = setTimeout(() => {
  console.error('scenarios: 30 minute bound reached, stopping');
  process.exit(2);
}, 30 * 60_000);
deadline.unref();

const started = Date.now();
const results = await runScenarios({ profile, only, seed, log: (line) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`) });
console.log(formatReport(results, { profile, seed, seconds: Math.round((Date.now() - started) / 1000) }));
process.exit(results.every((r) => r.pass) ? 0 : 1);
