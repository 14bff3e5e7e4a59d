// What `npm run bench` measures. Two kinds of scenario:
// - load (the default): autocannon drives `requests(ctx)` against a server for a warm-up and a measured
//   run; optionally compared with a baseline scenario, with hooks around the load (e.g. auditing D1).
// - oneshot: `measure(server)` times a few individual calls (an import, a period close, an export).
//
// To add one, append an object here. `requests` returns autocannon request objects, so POST bodies,
// per-request headers, `setupRequest` and `onResponse` all work; if it needs more seed data, extend the
// server's `context` in servers.mjs, or return `{ context }` from `before`.
import { BROWSER_HEADERS, config } from './config.mjs';
import { auditLedger, conversionRequests, conversionTrackerReport, redeliver } from './conversions.mjs';
import { countClicks } from './d1.mjs';
import { measureImports } from './imports.mjs';
import { measurePayouts, mib } from './payouts.mjs';
import { prepareSignedInCreator } from './portal.mjs';

/**
 * @typedef {object} Scenario
 * @property {string} name
 * @property {'load'|'oneshot'} [kind]  default 'load'
 * @property {boolean} [diagnostic]     only run with BENCH_DIAG=1 or when named in BENCH_ONLY
 * @property {string} title
 * @property {string} server            a key of SERVERS in servers.mjs
 * @property {number|number[]} [expectStatus]  load: the status(es) that count as success
 * @property {Record<string,string>} [headers]
 * @property {(ctx: object, tracker: object) => object[]} [requests]  load: built in the load-generator child
 * @property {(tracker: object) => object} [trackerReport]  load: plain JSON the child sends back as `child`
 * @property {string} [baseline]        name of the scenario to compare against
 * @property {{ throughputRatioMin?: number, p99RatioMax?: number }} [targets]
 * @property {(server: object) => Promise<object>} [before]  load: runs before the warm-up; may return { context }
 * @property {(server: object, state: object, runs: {warmup?: object, measured: object}) => Promise<object>} [after]
 * @property {(server: object, log: (line: string) => void) => Promise<object>} [measure]  oneshot: the measurement
 * @property {(result: object) => string[]} [details]  report lines under the tables
 * @property {(result: object) => {result?: string, check?: string}} [summary]  its row(s) in the final summary
 */

// The code check's client IPs: consecutive addresses from a random start, round-robin over
// config.shoppers of them (10,000 by default), or over 2^24 (a fresh one per request) with --shoppers=0.
// Why a bounded pool: Miniflare simulates CODE_CHECK_LIMITER inside the worker's isolate, a Map of every
// IP+key counted this minute, so a fresh IP per request grew the worker's heap by up to ~300,000 entries
// a minute: garbage collection the worker pays for only locally (Cloudflare counts outside the isolate).
const CODE_CHECK_IP_SPACE = 1 << 24;
const shopperIps = () => (config.shoppers > 0 ? `${config.shoppers.toLocaleString('en-US')} shoppers' IPs round-robin` : 'a fresh IP per request');

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
  // Issue #2's target is for the redirect as production runs it: the click consumer is its own invocation
  // on Cloudflare, so here it runs in its own workerd process (server chorus-edge). The same redirect with
  // the consumer sharing the redirect's workerd thread follows, for comparison (no target).
  redirectScenario({ name: 'redirect', title: 'Chorus GET /r/<slug>, click consumer in its own process', server: 'chorus-edge', targets: { throughputRatioMin: 0.8, p99RatioMax: 1.5 } }),
  redirectScenario({ name: 'redirect-one-process', title: 'Chorus GET /r/<slug>, click consumer on the same workerd thread', server: 'chorus' }),
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
  {
    // CODE_CHECK_LIMITER (60/min per client IP + key) is bound as wrangler.toml declares and consulted on
    // every request, but the requests spread over many shoppers' IPs: no IP+key pair comes near the limit,
    // so the load measures the limiter call plus the lookup, never the 429 path (a 429 is an error).
    name: 'code-check',
    title: 'Chorus GET /v1/codes/:code, storefront key',
    server: 'chorus',
    expectStatus: 200,
    requests: (ctx) => {
      const space = config.shoppers || CODE_CHECK_IP_SPACE;
      let next = Math.floor(Math.random() * space);
      return [
        {
          method: 'GET',
          path: `/v1/codes/${ctx.code.toLowerCase()}`,
          headers: { authorization: `Bearer ${ctx.storefrontKey}`, accept: 'application/json' },
          setupRequest: (req) => {
            const v = next++ % space;
            return { ...req, headers: { ...req.headers, 'cf-connecting-ip': `10.${v >> 16}.${(v >> 8) & 255}.${v & 255}` } };
          },
        },
      ];
    },
    baseline: 'bare',
    // Issue #3: the same ratio targets as the redirect.
    targets: { throughputRatioMin: 0.8, p99RatioMax: 1.5 },
    before: async (server) => {
      // The measured answer must be the real one (valid code, creator handle), not the "invalid" shape.
      const res = await fetch(`${server.url}/v1/codes/${server.context.code.toLowerCase()}`, { headers: { authorization: `Bearer ${server.context.storefrontKey}`, 'cf-connecting-ip': '198.51.100.30' } });
      const body = await res.json();
      if (res.status !== 200 || body.valid !== true || body.creator?.handle !== server.context.creator.handle) throw new Error(`code check probe answered ${res.status} ${JSON.stringify(body)}`);
      return {};
    },
    details: (r) => {
      const m = r.runs.measured;
      const limit = r.server.rateLimits?.CODE_CHECK_LIMITER;
      return [
        `code-check: rate limit CODE_CHECK_LIMITER bound (${limit ? `${limit.limit} per ${limit.period} s` : 'n/a'} per IP+key) and called on every request; the requests`,
        `  carry ${shopperIps()} as cf-connecting-ip, so the limit is not reached and every request reaches the lookup`,
        `  (429s in the measured run: ${(m.byStatus['429'] ?? 0).toLocaleString('en-US')}). One code (${r.server.context.code}), so after the first read the key and the code`,
        `  come from the isolate caches (CODE_CACHE_TTL_MS=${r.server.vars?.CODE_CACHE_TTL_MS ?? 'n/a'}): one D1 read per cache expiry, as a popular code sees in production.`,
      ];
    },
    summary: (r) => ({ check: `429s: ${(r.runs.measured.byStatus['429'] ?? 0).toLocaleString('en-US')} (${shopperIps()})` }),
  },
  {
    name: 'conversions',
    get title() {
      return `Chorus signed POST /v1/conversions, ${Math.round(config.duplicateRate * 100)}% duplicates`;
    },
    server: 'chorus',
    // 201 for a new order, 200 for an exact replay.
    expectStatus: [201, 200],
    requests: (ctx, tracker) => conversionRequests(ctx, tracker, config.duplicateRate),
    trackerReport: conversionTrackerReport,
    baseline: 'bare',
    after: async (server, _state, runs) => {
      const children = [runs.warmup?.child, runs.measured.child].filter(Boolean);
      const orders = children.reduce((n, c) => n + c.orders, 0);
      const unacked = children.flatMap((c) => c.unacked);
      const redelivered = await redeliver(server.url, server.context, unacked);
      const audit = await auditLedger(server.db, server.context, orders);
      return { conversions: { orders, children, unacked: unacked.length, redelivered, audit } };
    },
    details: (r) => {
      const c = r.extra.conversions;
      const m = r.runs.measured.child;
      const statuses = (o) => Object.entries(o).map(([s, n]) => `${s} x ${n.toLocaleString('en-US')}`).join(', ') || 'none';
      return [
        `conversions: ledger audit in D1 after the load (warm-up + measured runs)`,
        `  measured run responses: first deliveries ${statuses(m.responses.first)}; duplicates ${statuses(m.responses.duplicate)}`,
        `  unique orders sent ${c.orders.toLocaleString('en-US')}; ${c.unacked} unacknowledged when the load stopped (in flight or errored), redelivered once: ${statuses(c.redelivered)}`,
        ...c.audit.checks.map((k) => `  ${k.ok ? 'PASS' : 'FAIL'}  ${k.name}: ${k.detail}`),
      ];
    },
    summary: (r) => {
      const a = r.extra.conversions.audit;
      return { ok: a.pass, check: `ledger ${a.pass ? 'PASS' : 'FAIL'}: ${a.stored.toLocaleString('en-US')} orders, ${a.checks.filter((k) => k.ok).length}/${a.checks.length} checks, sum ${(a.ledgerSum / 100).toFixed(2)}` };
    },
  },
  {
    name: 'portal-home',
    get title() {
      return `Chorus GET / (creator portal home, ${config.portalConversions.toLocaleString('en-US')} conversions)`;
    },
    server: 'chorus',
    expectStatus: 200,
    headers: { 'user-agent': BROWSER_HEADERS['user-agent'], accept: 'text/html' },
    requests: (ctx) => [{ method: 'GET', path: '/', headers: { cookie: ctx.cookie } }],
    baseline: 'bare',
    before: async (server) => {
      const portal = await prepareSignedInCreator(server, config.portalConversions);
      return { context: { cookie: portal.cookie }, portal };
    },
    after: async (_server, state) => ({ portal: state.portal }),
    details: (r) => [
      `portal-home: ${config.portalConversions.toLocaleString('en-US')} conversions + commission entries seeded in ${(r.extra.portal.seedMs / 1000).toFixed(1)} s (INSERT ... SELECT over a recursive CTE),`,
      `  signed in through POST /login; every request verifies the session JWT, reads the session row and runs the home batch; page ${(r.extra.portal.pageBytes / 1024).toFixed(1)} KiB`,
    ],
  },
  {
    name: 'import',
    kind: 'oneshot',
    get title() {
      return `POST /api/admin/campaigns/:id/import, ${config.importCreators} creators per request`;
    },
    server: 'chorus-instrumented',
    measure: (server, log) => measureImports(server, { creators: config.importCreators, reps: config.importReps, log }),
    details: (r) => {
      const m = r.measured;
      return [
        `import: ${m.runs.length} imports of ${m.creators} new creators each (fresh CSV every time), wall time from Node incl. the JSON answer`,
        ...m.runs.map((run, i) => `  #${i + 1}  ${ms0(run.ms)}  created ${JSON.stringify(run.created)}  D1: ${usageText(run.usage)}`),
        `  median ${ms0(m.medianMs)}, min ${ms0(m.minMs)}, max ${ms0(m.maxMs)}; ${m.complete ? 'every import created every row' : 'SOME IMPORTS DID NOT CREATE EVERY ROW'}`,
      ];
    },
    summary: (r) => {
      const m = r.measured;
      return {
        measure: `wall time per import (${m.runs.length} runs)`,
        result: `median ${ms0(m.medianMs)} (min ${ms0(m.minMs)}, max ${ms0(m.maxMs)}); D1 ${usageText(m.runs[0].usage)}`,
        ok: m.complete,
        check: m.complete ? `PASS: every import created ${m.creators} creators, enrollments, links, codes, invites` : 'FAIL: rows missing',
      };
    },
  },
  {
    name: 'payouts',
    kind: 'oneshot',
    get title() {
      return `payouts close + CSV export, ${config.payoutCreators.toLocaleString('en-US')} creators, ${config.payoutEntries.map(count).join(' / ')} ledger entries`;
    },
    server: 'chorus-instrumented',
    measure: (server, log) => measurePayouts(server, { creators: config.payoutCreators, sizes: config.payoutEntries, secretsKey: server.secretsKey, log }),
    details: (r) => {
      const m = r.measured;
      return [
        `payouts: ${m.creators.toLocaleString('en-US')} creators (sealed payout details) seeded in ${s1(m.networkSeedMs)}; per size, a past period seeded straight into D1,`,
        `  closed with POST /api/admin/payouts/close, then GET /api/admin/payouts/export.csv read to the end while workerd pid ${m.sizes[0]?.memory?.pid ?? 'n/a'}'s memory is watched`,
        ...m.sizes.flatMap((z) => [
          `  ${count(z.entries)} entries (${z.period}, seeded in ${s1(z.seedMs)}):`,
          `    close   ${ms0(z.close.ms)}  ${z.close.payouts.toLocaleString('en-US')} payouts  D1: ${usageText(z.close.usage)}`,
          `    export  ${ms0(z.export.ms)} (first byte ${ms0(z.export.ttfbMs)})  ${z.export.rows.toLocaleString('en-US')} rows, ${(z.export.bytes / 1024).toFixed(0)} KiB  D1: ${usageText(z.export.usage)}`,
          z.memory
            ? `    memory  RSS before ${mib(z.memory.rssBeforeKiB)}, peak during export ${mib(z.memory.peakKiB)} (${z.memory.peakSource}; sampled max ${mib(z.memory.sampledMaxKiB)} over ${z.memory.samples} samples), after ${mib(z.memory.rssAfterKiB)}`
            : '    memory  n/a (no /proc)',
          ...z.checks.map((k) => `    ${k.ok ? 'PASS' : 'FAIL'}  ${k.name}: ${k.detail}`),
        ]),
        `  memory ${m.memory.verdict}: ${m.memory.detail}`,
        `  close of a ${count(m.lateClose.entries)}-entry month (${m.lateClose.period}) after ${count(m.lateClose.history)} entries of earlier, already-paid history: ${ms0(m.lateClose.ms)}`,
      ];
    },
    summary: (r) => {
      const m = r.measured;
      return [
        ...m.sizes.map((z) => ({
          measure: `close + export @ ${count(z.entries)} entries`,
          result: `close ${ms0(z.close.ms)}, export ${ms0(z.export.ms)}, export peak RSS ${z.memory ? `+${mib(z.memory.peakKiB - z.memory.rssBeforeKiB)} (${mib(z.memory.peakKiB)})` : 'n/a'}`,
          ok: z.pass,
          check: z.pass ? 'PASS: payouts and totals match the ledger' : 'FAIL: see details',
        })),
        { measure: 'export memory vs ledger size', result: m.memory.detail, check: m.memory.verdict },
        { measure: `close of a ${count(m.lateClose.entries)}-entry month after ${count(m.lateClose.history)} of history`, result: ms0(m.lateClose.ms), check: '-' },
      ];
    },
  },
];

const ms0 = (x) => (Number.isFinite(x) ? (x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`) : 'n/a');
const s1 = (x) => `${(x / 1000).toFixed(1)} s`;
const count = (n) => (n >= 1_000_000 && n % 100_000 === 0 ? `${n / 1_000_000}M` : n >= 1_000 && n % 1_000 === 0 ? `${n / 1_000}k` : n.toLocaleString('en-US'));
const usageText = (u) => (u ? `${u.prepared} statements in ${u.batches + u.single} round trips (${u.batches} batches holding ${u.batched}, ${u.single} single)` : 'n/a');

/** The redirect under load, then every click it served awaited in D1 (wherever the server's consumer writes them). */
function redirectScenario({ name, title, server, targets }) {
  return {
    name,
    title,
    server,
    expectStatus: 302,
    headers: BROWSER_HEADERS,
    requests: (ctx) => [redirectRequest(ctx)],
    baseline: 'bare',
    targets,
    before: async (s) => {
      const held = !config.consumerDuringLoad && s.holdClicks ? (await s.holdClicks(), true) : false;
      return { clicksBefore: await countClicks(s.clicksDb), held, trace: config.trace ? traceClicks(s.clicksDb) : null };
    },
    after: async (s, state, runs) => {
      const traced = state.trace ? await state.trace.stop() : null;
      const served = (runs.warmup?.expected ?? 0) + runs.measured.expected;
      // Held clicks go onto the queue now; the drain below waits for the consumer to store them.
      const released = state.held ? (await s.releaseClicks()).messages : null;
      const drain = await drainClicks(s.clicksDb, state.clicksBefore, served);
      return { clicks: { served, released, ...drain, lost: served - drain.stored, inFlightSlack: 2 * runs.measured.connections }, traced };
    },
    // Reported, not enforced: a bounded drain can end before Miniflare's local queue has caught up.
    summary: (r) => {
      const c = r.extra.clicks;
      return { check: `${c.lost <= 0 ? 'all' : `${c.lost.toLocaleString('en-US')} not`} stored: ${c.stored.toLocaleString('en-US')} clicks for ${c.served.toLocaleString('en-US')} redirects` };
    },
  };
}

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
