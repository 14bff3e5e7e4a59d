// Knobs for `npm run bench`, all overridable from the environment. Defaults are sized for a
// 2-core machine: enough connections to saturate workerd, few enough to keep p99 stable.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function num(name, fallback, { min = 0, integer = false } = {}) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new Error(`${name}=${JSON.stringify(raw)} is not a valid ${integer ? 'integer' : 'number'} >= ${min}`);
  }
  return value;
}

export const config = {
  // Measured seconds per scenario.
  duration: num('BENCH_DURATION', 10, { min: 1 }),
  // Concurrent keep-alive connections per scenario.
  connections: num('BENCH_CONNECTIONS', 32, { min: 1, integer: true }),
  // Seconds of unmeasured load before each measured run (JIT, isolate caches, sockets).
  warmup: num('BENCH_WARMUP', 3, { min: 0 }),
  // Bounded wait for queued clicks to land in D1 after the load stops.
  drainTimeoutMs: num('BENCH_DRAIN_TIMEOUT_MS', 60_000, { min: 0 }),
  // The click count is considered settled once it has not grown for this long.
  drainStallMs: num('BENCH_DRAIN_STALL_MS', 5_000, { min: 500 }),
  // Sample the stored-click count every second while the load runs (costs a D1 read per second).
  trace: process.env.BENCH_TRACE === '1',
  // Give the Chorus worker the ASSETS binding (and the assets router in front of it) as wrangler.toml does.
  withAssets: process.env.BENCH_WITH_ASSETS === '1',
  // Forward the worker's console output to this process's stderr.
  verbose: process.env.BENCH_VERBOSE === '1',
  // Also run the diagnostic scenarios (e.g. the redirect with a stub queue producer).
  diag: process.env.BENCH_DIAG === '1',
  // Give each redirect request a random cf-connecting-ip from a pool of this many visitors instead of
  // one fixed IP (0 = the fixed IP). Unique-click bookkeeping is per visitor, so this changes the consumer's work.
  visitors: num('BENCH_VISITORS', 0, { min: 0, integer: true }),
  // Investigations only: JSON object overriding wrangler.toml [vars] for the Chorus servers,
  // e.g. BENCH_VARS='{"LINK_CACHE_TTL_MS":"0"}'. The report prints any override.
  varOverrides: process.env.BENCH_VARS ? JSON.parse(process.env.BENCH_VARS) : {},
  // Investigations only: open workerd's V8 inspector on this port for the Chorus servers (CPU profiles).
  inspectorPort: num('BENCH_INSPECTOR_PORT', 0, { min: 0, integer: true }),
  // Only run scenarios whose name is in this comma-separated list (baselines they need are added).
  only: process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',').map((s) => s.trim()).filter(Boolean) : null,
};

// Headers every load request carries: a desktop browser (so clicks count as human) from one fixed IP.
export const BROWSER_HEADERS = {
  'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'accept-language': 'en-US,en;q=0.9',
  'cf-connecting-ip': '203.0.113.7',
};
