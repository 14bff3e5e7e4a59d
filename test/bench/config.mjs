// Knobs for `npm run bench`, all overridable from the environment (BENCH_DURATION=5) or as flags
// (`npm run bench -- --duration=5`, `--quick`). Defaults are sized for a 2-core machine: enough
// connections to saturate workerd, few enough to keep p99 stable. `--quick` (BENCH_QUICK=1) swaps in
// smaller defaults so a smoke run finishes in under a minute; explicit values still win.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// Flags become environment variables (inherited by the load-generator children): --foo-bar=x -> BENCH_FOO_BAR=x.
export function applyFlags(argv) {
  for (const arg of argv) {
    const m = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`unknown argument ${JSON.stringify(arg)}; flags look like --quick or --duration=5`);
    const name = `BENCH_${m[1].toUpperCase().replaceAll('-', '_')}`;
    if (!KNOWN.has(name)) throw new Error(`unknown flag --${m[1]}; known: ${[...KNOWN].map((k) => `--${k.slice(6).toLowerCase().replaceAll('_', '-')}`).join(' ')}`);
    process.env[name] = m[2] ?? '1';
  }
}

const KNOWN = new Set([
  'BENCH_QUICK',
  'BENCH_DURATION',
  'BENCH_ROUNDS',
  'BENCH_SLICE',
  'BENCH_PIN',
  'BENCH_ENTRY',
  'BENCH_CONNECTIONS',
  'BENCH_WARMUP',
  'BENCH_DRAIN_TIMEOUT_MS',
  'BENCH_DRAIN_STALL_MS',
  'BENCH_TRACE',
  'BENCH_WITH_ASSETS',
  'BENCH_VERBOSE',
  'BENCH_DIAG',
  'BENCH_VISITORS',
  'BENCH_SHOPPERS',
  'BENCH_VARS',
  'BENCH_INSPECTOR_PORT',
  'BENCH_ONLY',
  'BENCH_DUPLICATE_RATE',
  'BENCH_PORTAL_CONVERSIONS',
  'BENCH_IMPORT_CREATORS',
  'BENCH_IMPORT_REPS',
  'BENCH_PAYOUT_CREATORS',
  'BENCH_PAYOUT_ENTRIES',
]);

// Read lazily so flags applied by run.mjs before the first use are seen.
const quick = () => process.env.BENCH_QUICK === '1';

function num(name, full, quickValue, { min = 0, max = Infinity, integer = false } = {}) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return quick() ? quickValue : full;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new Error(`${name}=${JSON.stringify(raw)} is not a valid ${integer ? 'integer' : 'number'} in [${min}, ${max}]`);
  }
  return value;
}

function sizes(name, full, quickValue) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return quick() ? quickValue : full;
  const list = raw.split(',').map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`${name}=${JSON.stringify(raw)} must be comma-separated positive integers`);
  return list.sort((a, b) => a - b);
}

export const config = {
  get quick() {
    return quick();
  },
  // Measured seconds per load scenario.
  get duration() {
    return num('BENCH_DURATION', 10, 2, { min: 1 });
  },
  // A scenario with a target against its baseline is measured in this many slices of `slice` seconds,
  // alternating with the baseline's (run.mjs, runLoadScenario); `duration` is for the other load scenarios.
  get rounds() {
    return num('BENCH_ROUNDS', 8, 2, { min: 1, integer: true });
  },
  get slice() {
    return num('BENCH_SLICE', 2, 1, { min: 1 });
  },
  // Concurrent keep-alive connections per load scenario.
  get connections() {
    return num('BENCH_CONNECTIONS', 32, 32, { min: 1, integer: true });
  },
  // Seconds of unmeasured load before each measured run (JIT, isolate caches, sockets).
  get warmup() {
    return num('BENCH_WARMUP', 3, 1, { min: 0 });
  },
  // Bounded wait for queued clicks to land in D1 after the load stops.
  get drainTimeoutMs() {
    return num('BENCH_DRAIN_TIMEOUT_MS', 60_000, 20_000, { min: 0 });
  },
  // The click count is considered settled once it has not grown for this long.
  get drainStallMs() {
    return num('BENCH_DRAIN_STALL_MS', 5_000, 3_000, { min: 500 });
  },
  // Let the split click consumer (server chorus-edge) write clicks while the redirect's load runs, instead
  // of holding them at its ingress until the load ends (servers.mjs, FORWARD_QUEUE_WORKER).
  get consumerDuringLoad() {
    return process.env.BENCH_CONSUMER_DURING_LOAD === '1';
  },
  // Sample the stored-click count every second while the load runs (costs a D1 read per second).
  get trace() {
    return process.env.BENCH_TRACE === '1';
  },
  // Give the Chorus worker the ASSETS binding (and the assets router in front of it) as wrangler.toml does.
  get withAssets() {
    return process.env.BENCH_WITH_ASSETS === '1';
  },
  // Forward the worker's console output to this process's stderr.
  get verbose() {
    return process.env.BENCH_VERBOSE === '1';
  },
  // Also run the diagnostic scenarios (e.g. the redirect with a stub queue producer).
  get diag() {
    return process.env.BENCH_DIAG === '1';
  },
  // Give each redirect request a random cf-connecting-ip from a pool of this many visitors instead of
  // one fixed IP (0 = the fixed IP). Unique-click bookkeeping is per visitor, so this changes the consumer's work.
  get visitors() {
    return num('BENCH_VISITORS', 0, 0, { min: 0, integer: true });
  },
  // The code check's client IPs: requests go round-robin over this many shoppers (0 = a fresh IP for
  // every request). Why the default is bounded: beside CODE_CHECK_IP_SPACE in scenarios.mjs.
  get shoppers() {
    return num('BENCH_SHOPPERS', 10_000, 10_000, { min: 0, integer: true });
  },
  // Investigations only: JSON object overriding wrangler.toml [vars] for the Chorus servers,
  // e.g. BENCH_VARS='{"LINK_CACHE_TTL_MS":"0"}'. The report prints any override.
  get varOverrides() {
    return process.env.BENCH_VARS ? JSON.parse(process.env.BENCH_VARS) : {};
  },
  // How load reaches a measured worker: 'direct' (a workerd socket bound to the worker itself, as
  // Cloudflare's front line hands it requests) or 'miniflare' (through Miniflare's entry worker, a
  // local-only JavaScript hop that every request and response body passes through). See servers.mjs.
  get entry() {
    const value = process.env.BENCH_ENTRY || 'direct';
    if (value !== 'direct' && value !== 'miniflare') throw new Error(`BENCH_ENTRY=${JSON.stringify(value)} must be direct or miniflare`);
    return value;
  },
  // Pin the measured workerd to a CPU of its own and the rest to the others (cpus.mjs); 0 turns it off.
  get pin() {
    return process.env.BENCH_PIN !== '0';
  },
  // Investigations only: open workerd's V8 inspector on this port for the Chorus servers (CPU profiles).
  get inspectorPort() {
    return num('BENCH_INSPECTOR_PORT', 0, 0, { min: 0, integer: true });
  },
  // Only run scenarios whose name is in this comma-separated list (baselines they need are added).
  get only() {
    return process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',').map((s) => s.trim()).filter(Boolean) : null;
  },
  // Conversions: share of deliveries that repeat an earlier order's exact body (a store retrying).
  get duplicateRate() {
    return num('BENCH_DUPLICATE_RATE', 0.2, 0.2, { min: 0, max: 0.9 });
  },
  // Portal home: conversions (and commission entries) seeded for the signed-in creator.
  get portalConversions() {
    return num('BENCH_PORTAL_CONVERSIONS', 10_000, 10_000, { min: 1, integer: true });
  },
  // Import: creators per request, and how many imports (each a fresh CSV) are timed.
  get importCreators() {
    return num('BENCH_IMPORT_CREATORS', 150, 150, { min: 1, max: 1_000, integer: true });
  },
  get importReps() {
    return num('BENCH_IMPORT_REPS', 5, 2, { min: 1, integer: true });
  },
  // Payouts: creators in the network, and the ledger sizes (one closed period each) the export is timed at.
  get payoutCreators() {
    return num('BENCH_PAYOUT_CREATORS', 1_000, 200, { min: 1, integer: true });
  },
  get payoutEntries() {
    return sizes('BENCH_PAYOUT_ENTRIES', [100_000, 1_000_000], [10_000, 50_000]);
  },
};

// A fixed `cf` object: Miniflare would otherwise try to download one.
// Through the entry worker Miniflare adds it to each request; on a direct socket workerd reads it from
// this header (the socket's cfBlobHeader) and strips it, as Cloudflare's front line fills request.cf.
export const CF = { country: 'US', colo: 'LOCAL', asn: 64496, clientTcpRtt: 0, httpProtocol: 'HTTP/1.1' };
export const cfHeaders = () => (config.entry === 'direct' ? { 'mf-cf-blob': JSON.stringify(CF) } : {});

// Headers every load request carries: a desktop browser (so clicks count as human) from one fixed IP, that
// followed the link from a creator's post (a click stores its referrer's host), with the two headers
// Cloudflare's front line adds that Chorus reads (the client's IP and, with IP geolocation on, as it is by
// default, its country). `bare` gets the same bytes.
export const BROWSER_HEADERS = {
  'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'accept-language': 'en-US,en;q=0.9',
  referer: 'https://l.instagram.com/',
  'cf-connecting-ip': '203.0.113.7',
  'cf-ipcountry': 'US',
};
