// What `npm run bench` measures. A scenario names the server it loads, how to build its requests
// from that server's seeded context, what status counts as success, and optionally the baseline it
// is compared against and hooks that run around its load (e.g. checking what reached D1).
//
// To add one (e.g. the code check or conversion ingestion): append an object here. `requests`
// returns autocannon request objects, so POST bodies, per-request headers and `setupRequest`
// all work; if it needs more seed data, extend the server's `context` in servers.mjs.
import { BROWSER_HEADERS, config } from './config.mjs';
import { countClicks } from './d1.mjs';

/**
 * @typedef {object} Scenario
 * @property {string} name
 * @property {boolean} [diagnostic]     only run with BENCH_DIAG=1 or when named in BENCH_ONLY
 * @property {string} title
 * @property {'bare'|'chorus'} server
 * @property {number} expectStatus
 * @property {Record<string,string>} [headers]
 * @property {(ctx: object) => object[]} requests
 * @property {string} [baseline]        name of the scenario to compare against
 * @property {{ throughputRatioMin?: number, p99RatioMax?: number }} [targets]
 * @property {(server: object) => Promise<object>} [before]  runs before the warm-up
 * @property {(server: object, state: object, runs: {warmup?: object, measured: object}) => Promise<object>} [after]
 */

/** @type {Scenario[]} */
export const scenarios = [
  {
    name: 'bare',
    title: 'bare worker, fixed 302',
    server: 'bare',
    expectStatus: 302,
    headers: BROWSER_HEADERS,
    requests: () => [{ method: 'GET', path: '/r/bench' }],
  },
  {
    name: 'redirect',
    title: 'Chorus GET /r/<slug>',
    server: 'chorus',
    expectStatus: 302,
    headers: BROWSER_HEADERS,
    requests: (ctx) => [redirectRequest(ctx)],
    baseline: 'bare',
    targets: { throughputRatioMin: 0.8, p99RatioMax: 1.5 },
    before: async (server) => ({ clicksBefore: await countClicks(server.db), trace: config.trace ? traceClicks(server.db) : null }),
    after: async (server, state, runs) => {
      const traced = state.trace ? await state.trace.stop() : null;
      const served = (runs.warmup?.expected ?? 0) + runs.measured.expected;
      const drain = await drainClicks(server.db, state.clicksBefore, served);
      return { clicks: { served, ...drain, lost: served - drain.stored, inFlightSlack: 2 * runs.measured.connections }, traced };
    },
  },
  {
    // The same worker and requests with CLICKS bound to a producer that drops every message: separates
    // what the redirect itself costs from what Miniflare's local queue simulator costs.
    name: 'redirect-stub-queue',
    diagnostic: true,
    title: 'Chorus GET /r/<slug>, CLICKS stubbed',
    server: 'chorus-stub-queue',
    expectStatus: 302,
    headers: BROWSER_HEADERS,
    requests: (ctx) => [redirectRequest(ctx)],
    baseline: 'bare',
  },
];

// GET /r/<slug>; with BENCH_VISITORS=n each request comes from one of n random visitor IPs.
function redirectRequest(ctx) {
  const request = { method: 'GET', path: `/r/${ctx.slug}` };
  if (config.visitors > 0) {
    request.setupRequest = (req) => {
      const v = Math.floor(Math.random() * config.visitors);
      return { ...req, headers: { ...req.headers, 'cf-connecting-ip': `10.${(v >> 16) & 255}.${(v >> 8) & 255}.${v & 255}` } };
    };
  }
  return request;
}

// Poll the stored-click count until it reaches `served`, stops growing for config.drainStallMs, or
// config.drainTimeoutMs passes.
async function drainClicks(db, before, served) {
  const started = Date.now();
  let last = (await countClicks(db)) - before;
  let lastGrowth = Date.now();
  const timeline = [{ t: 0, stored: last }];
  let reason = `bounded wait of ${config.drainTimeoutMs / 1000} s ended`;
  for (;;) {
    if (last >= served) {
      reason = 'reached served';
      break;
    }
    if (Date.now() - lastGrowth >= config.drainStallMs) {
      reason = `no growth for ${config.drainStallMs / 1000} s`;
      break;
    }
    if (Date.now() - started >= config.drainTimeoutMs) break;
    await new Promise((r) => setTimeout(r, 250));
    const now = (await countClicks(db)) - before;
    if (now > last) lastGrowth = Date.now();
    if (now !== last) timeline.push({ t: Date.now() - started, stored: now });
    last = now;
  }
  const growingAtEnd = reason.startsWith('bounded') && Date.now() - lastGrowth < config.drainStallMs;
  return { stored: last, drainMs: Date.now() - started, drainReason: reason, growingAtEnd, atLoadEnd: timeline[0].stored, timeline };
}

// Optional (BENCH_TRACE=1): the stored-click count once a second while the load runs.
function traceClicks(db) {
  const points = [];
  const t0 = Date.now();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      points.push({ t: Date.now() - t0, stored: await countClicks(db) });
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return points;
    },
  };
}
