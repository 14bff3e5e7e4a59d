#!/usr/bin/env node
// `npm run bench`: a bounded benchmark on 127.0.0.1, every server driven through Miniflare's API.
// Load scenarios (autocannon) measure the machine's ceiling (a bare worker answering a fixed 302) and
// Chorus's hot paths against it: the redirect, the storefront code check, signed conversion ingestion
// (then audited in D1) and the creator portal home. One-shot scenarios time a bulk import and a payouts
// period close + CSV export (with workerd's memory watched). Ends with a summary table.
//
// Flags: --quick (smoke sizes, under a minute) and --<knob>=<value> for any BENCH_<KNOB> (see README.md).
// Exit status: 0 when the measurement completed and every correctness check passed (performance
// targets may be missed), 1 on setup failure, 2 when a correctness check failed.
import os from 'node:os';
import { applyFlags, config } from './config.mjs';
import { describePlan, pin } from './cpus.mjs';
import { mergeRuns, runLoad, runSlice } from './load.mjs';
import { scenarios as ALL_SCENARIOS } from './scenarios.mjs';
import { SERVERS, prebundle, removeBundles, serverMode } from './servers.mjs';

function selectScenarios() {
  if (!config.only) return ALL_SCENARIOS.filter((s) => config.diag || !s.diagnostic);
  const wanted = new Set(config.only);
  for (const name of config.only) {
    const s = ALL_SCENARIOS.find((x) => x.name === name);
    if (!s) throw new Error(`BENCH_ONLY names unknown scenario ${name}; known: ${ALL_SCENARIOS.map((x) => x.name).join(', ')}`);
    if (s.baseline) wanted.add(s.baseline);
  }
  return ALL_SCENARIOS.filter((s) => wanted.has(s.name));
}

const benchStart = Date.now();
const log = (msg) => process.stderr.write(`[bench +${((Date.now() - benchStart) / 1000).toFixed(1)}s] ${msg}\n`);

// Started servers by name; disposed (Miniflare stopped, temp dirs removed) on exit, error or Ctrl-C.
const servers = new Map();

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    log(`${signal}: stopping servers...`);
    await Promise.allSettled([...servers.values()].map((s) => s.dispose()));
    await removeBundles().catch(() => {});
    process.exit(130);
  });
}

async function main() {
  applyFlags(process.argv.slice(2));
  // This process (and Miniflare's Node side in it) keeps off the measured workerd's CPU.
  pin(process.pid, 'driver');
  const scenarios = selectScenarios();
  const results = [];
  const started = { at: Date.now(), loadavg: os.loadavg() };
  try {
    log('bundling the worker...');
    await prebundle(scenarios.map((s) => s.server));
    for (let i = 0; i < scenarios.length; i++) {
      const s = scenarios[i];
      let server = servers.get(s.server);
      if (!server) {
        log(`starting ${s.server} server...`);
        const t0 = Date.now();
        server = await SERVERS[s.server]();
        servers.set(s.server, server);
        log(`${s.server} ready at ${server.url} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      }
      try {
        // A scenario with a target against its baseline is measured interleaved with it (runLoadScenario).
        const base = s.targets && s.baseline ? scenarios.find((x) => x.name === s.baseline) : null;
        if (s.kind === 'oneshot') results.push(await runOneshot(s, server));
        else results.push(...(await runLoadScenario(s, server, base, base && servers.get(base.server))));
      } catch (e) {
        // What workerd and the worker printed is usually the explanation (an uncaught exception, a D1 error).
        server.runtime.dump();
        throw e;
      }

      // Free a server as soon as no later scenario needs it (to run, or as a baseline), so it cannot steal CPU.
      const later = scenarios.slice(i + 1);
      const baselineServers = new Set(later.filter((n) => n.targets && n.baseline).map((n) => scenarios.find((x) => x.name === n.baseline)?.server));
      if (!later.some((n) => n.server === s.server) && !baselineServers.has(s.server)) {
        server.snapshot = snapshotRuntime(server);
        await server.dispose();
        servers.delete(s.server);
      }
    }
  } finally {
    for (const server of servers.values()) await server.dispose().catch((e) => log(`dispose ${server.name} failed: ${e}`));
    await removeBundles();
  }
  return report(results, { ...started, wallMs: Date.now() - started.at });
}

// A load scenario: `before`, a warm-up, the measured load, `after`. With `base` (the baseline a scenario has
// a target against) the two are measured interleaved: after a warm-up of each, config.rounds alternating
// slices of config.slice seconds, the order flipped every round so neither side always follows the other,
// each side pooled (mergeRuns). On a shared machine throughput drifts by tens of percent within a minute:
// measured one after the other, a ratio would mostly measure the drift; interleaved, both sides sample the
// same stretches of time. Returns the results to report: when paired, the baseline's first, then the
// scenario's, which points at it (`pairedWith`).
async function runLoadScenario(s, server, base = null, baseServer = null) {
  const state = s.before ? await s.before(server) : {};
  const side = (x, srv, context) => ({ name: x.name, load: { url: srv.url, scenario: x.name, context, connections: config.connections } });
  const sides = [side(s, server, { ...server.context, ...state.context }), ...(base ? [side(base, baseServer, baseServer.context)] : [])];
  const runs = sides.map(() => ({}));
  if (config.warmup > 0) {
    log(`${sides.map((x) => x.name).join(' and ')}: warm-up ${config.warmup} s each @ ${config.connections} connections`);
    for (const [i, x] of sides.entries()) runs[i].warmup = await runLoad({ ...x.load, duration: config.warmup });
  }
  // The runtime whose log shows the consumer's batches: a second instance when the consumer runs apart.
  const { queueBatches } = server.queueRuntime ?? server.runtime;
  const batchesBefore = queueBatches.length;
  const loadStart = Date.now();
  if (base) {
    log(`${s.name} vs ${base.name}: measuring ${config.rounds} alternating slices of ${config.slice} s each @ ${config.connections} connections`);
    const slices = sides.map(() => []);
    for (let round = 0; round < config.rounds; round++) {
      for (const i of round % 2 === 0 ? [0, 1] : [1, 0]) {
        slices[i].push(await runSlice({ ...sides[i].load, duration: config.slice, keepLatencies: true }, (i === 0 ? server : baseServer).workerdPid));
      }
    }
    slices.forEach((list, i) => (runs[i].measured = mergeRuns(list)));
  } else {
    log(`${s.name}: measuring ${config.duration} s @ ${config.connections} connections`);
    runs[0].measured = await runLoad({ ...sides[0].load, duration: config.duration });
  }
  const loadEnd = Date.now();
  const own = runs[0];
  if (own.measured.responses === 0) throw new Error(`${s.name}: no responses at all from ${server.url}`);
  if (s.after) log(`${s.name}: post-load checks...`);
  const extra = s.after ? await s.after(server, state, own) : {};
  // Messages come only from this scenario's load: rates are over its own measured seconds, not the window.
  const queue = queueStats(queueBatches.slice(batchesBefore), loadStart, loadEnd, own.measured.seconds);
  const result = { scenario: s, server, runs: own, extra, queue };
  if (!base) return [result];
  const baseResult = { scenario: { ...base, title: `${base.title}, interleaved with ${s.name}` }, server: baseServer, runs: runs[1], extra: {}, queue: null };
  return [baseResult, { ...result, pairedWith: baseResult }];
}

async function runOneshot(s, server) {
  log(`${s.name}: ${s.title}...`);
  const t0 = Date.now();
  const measured = await s.measure(server, log);
  return { scenario: s, server, measured, extra: {}, wallMs: Date.now() - t0 };
}

function snapshotRuntime(server) {
  return {
    events: new Map(server.runtime.events),
    samples: new Map(server.runtime.samples),
    otherLines: [...server.runtime.otherLines],
    simulatorErrors: new Map(server.runtime.simulatorErrors),
  };
}

// Consumer batches completed during the measured load and after it.
function queueStats(batches, loadStart, loadEnd, loadSeconds) {
  if (batches.length === 0) return null;
  const during = batches.filter((b) => b.at <= loadEnd && b.at >= loadStart);
  const after = batches.filter((b) => b.at > loadEnd);
  const summary = (list) => {
    const ms = list.map((b) => b.ms).filter(Number.isFinite);
    return {
      batches: list.length,
      messages: list.reduce((a, b) => a + b.total, 0),
      acked: list.reduce((a, b) => a + b.acked, 0),
      meanMs: ms.length ? ms.reduce((a, b) => a + b, 0) / ms.length : NaN,
      maxMs: ms.length ? Math.max(...ms) : NaN,
    };
  };
  return { during: summary(during), after: summary(after), loadSeconds };
}

// --- report ------------------------------------------------------------------------------------

const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : 'n/a');
const ms = (n) => (Number.isFinite(n) ? `${n.toFixed(2)} ms` : 'n/a');

// Numbers right-aligned after the first column, unless `leftAligned` (text tables).
function table(rows, { leftAligned = false } = {}) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows.map((r, i) => {
    const line = r.map((cell, c) => (c === 0 || leftAligned ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join('  ').trimEnd();
    return i === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
  }).join('\n');
}

function report(results, run) {
  const out = [];
  const cpu = os.cpus();
  const loads = results.filter((r) => r.runs);
  const avg = (l) => l.map((x) => x.toFixed(2)).join(' ');
  out.push('');
  out.push('Chorus benchmark');
  out.push('================');
  out.push(`server mode : ${serverMode()}`);
  out.push(`load        : autocannon ${config.connections} connections, ${config.warmup} s warm-up + ${config.duration} s measured per load scenario, 127.0.0.1, keep-alive, redirects not followed${config.quick ? ' (--quick sizes)' : ''}`);
  out.push(`visitors    : redirects from ${config.visitors > 0 ? `random cf-connecting-ip of ${config.visitors} visitors` : 'one fixed cf-connecting-ip'}, desktop Chrome user-agent (counted as human clicks)`);
  out.push(`machine     : ${cpu.length} x ${cpu[0]?.model ?? 'cpu'}, node ${process.version}`);
  out.push(`cpu pinning : ${describePlan()}`);
  out.push(`load average: ${avg(run.loadavg)} at start, ${avg(os.loadavg())} at end (1/5/15 min); anything else busy on the machine makes every figure noisy`);
  out.push(`wall time   : ${(run.wallMs / 1000).toFixed(0)} s`);

  if (loads.length) {
    out.push('');
    const rows = [['scenario', 'req/s', 'ok/s', 'p50', 'p90', 'p99', 'max', 'responses', 'errors', 'cpu workerd', 'cpu loadgen']];
    for (const r of loads) {
      const m = r.runs.measured;
      rows.push([`${r.scenario.name} (${r.scenario.title})`, fmt(m.rps), fmt(m.okRps), ms(m.p50), ms(m.p90), ms(m.p99), ms(m.max), fmt(m.responses), fmt(m.errors), pct(m.cpu.workerd), pct(m.cpu.loadgen)]);
    }
    out.push(table(rows));
    out.push('(ok = responses with the expected status: 302 redirects, 200 code checks and pages, 201 or 200 conversions;');
    out.push(' errors = other statuses + socket errors + timeouts; cpu = share of one core during the measured run)');
  }

  for (const r of loads) {
    const m = r.runs.measured;
    if (m.errors > 0) {
      out.push(`  ${r.scenario.name}: errors = ${fmt(m.wrongStatus)} other than ${[r.scenario.expectStatus].flat().join('/')} (${JSON.stringify(m.byStatus)}), ${m.socketErrors} socket errors ${JSON.stringify(m.socketErrorKinds ?? {})}, ${m.timeouts} timeouts`);
    }
  }

  for (const r of loads) {
    const ratio = baselineRatio(r, results);
    if (!ratio) continue;
    const t = r.scenario.targets ?? {};
    out.push('');
    const how = ratio.interleaved ? `, interleaved: ${r.runs.measured.slices.length} alternating slices of ${fmt(config.slice, 1)} s per side` : '';
    out.push(`${r.scenario.name} vs ${ratio.base.scenario.name} (same run${how})`);
    const mark = (ok) => (ok ? 'MET' : 'NOT MET');
    const target = (sign, x, ok) => (x === undefined ? '' : `   target ${sign} ${x}x   ${mark(ok)}`);
    out.push(`  throughput ratio (ok/s)  ${ratio.tput.toFixed(2)}x${target('>=', t.throughputRatioMin, ratio.tput >= t.throughputRatioMin)}`);
    out.push(`  p99 latency ratio        ${ratio.p99.toFixed(2)}x${target('<=', t.p99RatioMax, ratio.p99 <= t.p99RatioMax)}`);
    // Under this load the measured workerd thread is busy nearly all the time on both sides (top shows it
    // at ~100%), so one second over the answers per second is that thread's time per answer.
    const usPer = (x) => 1e6 / x.okRps;
    const own = usPer(r.runs.measured);
    const base = usPer(ratio.base.runs.measured);
    const signed = (x) => `${x >= 0 ? '+' : '-'}${Math.abs(x).toFixed(0)} µs`;
    const allowed = t.throughputRatioMin ? `; ${t.throughputRatioMin}x would allow ${signed(base / t.throughputRatioMin - base)}` : '';
    out.push(`  thread time per answer   ${own.toFixed(0)} µs vs ${ratio.base.scenario.name} ${base.toFixed(0)} µs (${signed(own - base)} of work per request${allowed})`);
    if (ratio.interleaved) {
      const own = r.runs.measured.slices;
      const other = ratio.base.runs.measured.slices;
      // Measured, not inferred: the event-loop thread's CPU time over the slices (the scheduler's account
      // of its run time) over the answers in them.
      const cpu = (x) => x.runs.measured.threadCpuNs / 1e3 / x.runs.measured.expected;
      const busy = (x) => x.runs.measured.threadCpuNs / 1e9 / x.runs.measured.seconds;
      if (Number.isFinite(cpu(r)) && Number.isFinite(cpu(ratio.base))) {
        out.push(`  thread CPU per answer    ${cpu(r).toFixed(1)} µs vs ${ratio.base.scenario.name} ${cpu(ratio.base).toFixed(1)} µs (${signed(cpu(r) - cpu(ratio.base))}), measured; the thread was busy ${(100 * busy(r)).toFixed(0)}% / ${(100 * busy(ratio.base)).toFixed(0)}% of the slices`);
      }
      out.push(`  per round, ok/s ratio    ${own.map((x, i) => `${(x.okRps / other[i].okRps).toFixed(2)}x`).join('  ')}   (${ratio.base.scenario.name}: ${other.map((x) => fmt(x.okRps)).join(', ')} ok/s)`);
      out.push(`  per round, p99           ${own.map((x) => x.p99.toFixed(1)).join(' / ')} ms vs ${ratio.base.scenario.name} ${other.map((x) => x.p99.toFixed(1)).join(' / ')} ms`);
    }
  }

  for (const r of results) {
    const c = r.extra.clicks;
    if (!c) continue;
    out.push('');
    out.push(`${r.scenario.name}: clicks stored vs redirects served`);
    out.push(`  redirects served (302s, warm-up + measured)  ${fmt(c.served)}`);
    const held = c.released !== null && c.released !== undefined;
    if (held) out.push(`  held at the consumer's ingress during the load, queued after it: ${fmt(c.released)} messages (BENCH_CONSUMER_DURING_LOAD=1 consumes during the load)`);
    out.push(`  clicks stored in D1                          ${fmt(c.stored)}   (${fmt(c.atLoadEnd)} when ${held ? 'released' : 'the load stopped'}; polled ${(c.drainMs / 1000).toFixed(1)} s more: ${c.drainReason})`);
    out.push(`  lost = served - stored                       ${fmt(c.lost)}   (${((100 * c.lost) / Math.max(1, c.served)).toFixed(1)}%)`);
    if (c.growingAtEnd) out.push(`  (the count was still growing when the wait ended: part of "lost" is backlog still queued, not necessarily dropped)`);
    if (c.lost < 0) out.push(`  (negative: up to ~${c.inFlightSlack} requests in flight when autocannon stopped were served and recorded but not counted)`);
    if (c.timeline.length > 1) {
      const pts = c.timeline.filter((_, i, a) => i === 0 || i === a.length - 1 || i % Math.ceil(a.length / 8) === 0);
      out.push(`  drain timeline: ${pts.map((p) => `+${(p.t / 1000).toFixed(1)}s=${fmt(p.stored)}`).join('  ')}`);
    }
    if (r.extra.traced) out.push(`  during load (stored, total): ${r.extra.traced.map((p) => `+${(p.t / 1000).toFixed(0)}s=${fmt(p.stored)}`).join('  ')}`);
  }

  for (const r of results) {
    const q = r.queue;
    if (!q) continue;
    out.push('');
    out.push(`${r.scenario.name}: queue consumer (Miniflare broker, one batch in flight at a time)`);
    const line = (label, s, secs) =>
      `  ${label}: ${fmt(s.batches)} batches, ${fmt(s.messages)} messages (${fmt(s.acked)} acked), mean ${fmt(s.meanMs)} ms/batch, max ${fmt(s.maxMs)} ms` +
      (secs ? `, ${fmt(s.messages / secs)} msg/s vs ${fmt(r.runs.measured.okRps)} redirects/s` : '');
    out.push(line('during measured load', q.during, q.loadSeconds));
    out.push(line('after load (drain)   ', q.after));
  }

  for (const r of results) {
    if (!r.scenario.details) continue;
    out.push('');
    out.push(...r.scenario.details(r));
  }

  for (const r of results) {
    const snap = r.server.snapshot;
    if (!snap) continue;
    if (results.indexOf(r) !== results.findIndex((x) => x.server === r.server)) continue;
    // The instrumented entry's own usage lines are data, not events worth listing.
    const events = [...snap.events].filter(([event]) => !event.startsWith('bench_'));
    if (events.length === 0 && snap.otherLines.length === 0 && snap.simulatorErrors.size === 0) continue;
    out.push('');
    out.push(`${r.server.name}: log events (whole server lifetime)`);
    for (const [event, n] of events) out.push(`  worker ${event} x ${fmt(n)}   e.g. ${snap.samples.get(event).slice(0, 200)}`);
    for (const [, e] of snap.simulatorErrors) out.push(`  miniflare x ${fmt(e.count)}: ${e.first.split('\n')[0].slice(0, 220)}`);
    for (const line of snap.otherLines.slice(0, 5)) out.push(`  workerd: ${line.slice(0, 200)}`);
  }

  out.push('');
  out.push('setup');
  const seen = new Set();
  for (const r of results) {
    if (seen.has(r.server)) continue;
    seen.add(r.server);
    out.push(`  ${r.server.name} @ ${r.server.url}`);
    for (const line of r.server.describe()) out.push(`    ${line}`);
  }

  const { rows, failed } = summaryRows(results);
  out.push('');
  out.push(`Summary (${config.quick ? '--quick sizes; ' : ''}load average ${run.loadavg[0].toFixed(2)} at start: figures from a shared machine are noisy)`);
  out.push(table(rows, { leftAligned: true }));
  out.push(`vs bare = throughput (ok/s) and p99 latency as multiples of the bare worker's in this run; checks: ${failed ? `${failed} FAILED` : 'all correctness checks passed'}`);
  out.push('');
  process.stdout.write(out.join('\n') + '\n');
  return failed ? 2 : 0;
}

// Against the baseline's slices interleaved with this scenario (runLoadScenario), or else its last run before it.
function baselineRatio(r, results) {
  if (!r.scenario.baseline || !r.runs) return null;
  const base = r.pairedWith ?? results.slice(0, results.indexOf(r)).reverse().find((x) => x.scenario.name === r.scenario.baseline);
  if (!base) return null;
  const b = base.runs.measured;
  return { base, interleaved: !!r.pairedWith, tput: r.runs.measured.okRps / b.okRps, p99: r.runs.measured.p99 / b.p99 };
}

// One row per load scenario and per figure a one-shot scenario reports; counts the checks that say ok: false.
function summaryRows(results) {
  const rows = [['scenario', 'measure', 'result', 'vs bare', 'check']];
  let failed = 0;
  for (const r of results) {
    const own = [r.scenario.summary?.(r) ?? {}].flat();
    if (r.runs) {
      const m = r.runs.measured;
      const ratio = baselineRatio(r, results);
      const check = [m.errors > 0 ? `${fmt(m.errors)} errors` : '', own[0]?.check ?? ''].filter(Boolean).join('; ');
      rows.push([r.scenario.name, r.scenario.title, `${fmt(m.okRps)} ok/s, p50 ${ms(m.p50)}, p99 ${ms(m.p99)}`, ratio ? `${ratio.tput.toFixed(2)}x, p99 ${ratio.p99.toFixed(2)}x` : '-', check || '-']);
    } else {
      for (const o of own) rows.push([r.scenario.name, o.measure ?? r.scenario.title, o.result ?? '', '-', o.check ?? '-']);
    }
    failed += own.filter((o) => o.ok === false).length;
  }
  return { rows, failed };
}

const pct = (x) => (Number.isFinite(x) ? `${Math.round(100 * x)}%` : 'n/a');

main().then(
  (status) => process.exit(status),
  (e) => {
    log(`setup failed: ${e?.stack ?? e}${e?.cause ? `\n  cause: ${e.cause?.stack ?? e.cause}` : ''}`);
    process.exit(1);
  },
);
