#!/usr/bin/env node
// `npm run bench`: a bounded load benchmark on 127.0.0.1. Measures the machine's ceiling (a bare
// worker answering a fixed 302) and the Chorus redirect, both served by Miniflare's API, then
// reports throughput/latency ratios against the targets and whether every redirect's click reached D1.
//
// Exit status: 0 whenever the measurement completed (targets missed or not), 1 on setup failure.
import os from 'node:os';
import { config } from './config.mjs';
import { runLoad } from './load.mjs';
import { scenarios as ALL_SCENARIOS } from './scenarios.mjs';
import { SERVERS, SERVER_MODE } from './servers.mjs';

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

const log = (msg) => process.stderr.write(`[bench] ${msg}\n`);

// Started servers by name; disposed (Miniflare stopped, temp dirs removed) on exit, error or Ctrl-C.
const servers = new Map();

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    log(`${signal}: stopping servers...`);
    await Promise.allSettled([...servers.values()].map((s) => s.dispose()));
    process.exit(130);
  });
}

async function main() {
  const scenarios = selectScenarios();
  const results = [];
  try {
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
      const load = { url: server.url, scenario: s.name, context: server.context, connections: config.connections };
      const state = s.before ? await s.before(server) : {};
      const runs = {};
      if (config.warmup > 0) {
        log(`${s.name}: warm-up ${config.warmup} s @ ${config.connections} connections`);
        runs.warmup = await runLoad({ ...load, duration: config.warmup });
      }
      log(`${s.name}: measuring ${config.duration} s @ ${config.connections} connections`);
      const batchesBefore = server.runtime.queueBatches.length;
      const loadStart = Date.now();
      runs.measured = await runLoad({ ...load, duration: config.duration });
      const loadEnd = Date.now();
      if (runs.measured.responses === 0) throw new Error(`${s.name}: no responses at all from ${server.url}`);
      if (s.after) log(`${s.name}: post-load checks...`);
      const extra = s.after ? await s.after(server, state, runs) : {};
      const queue = queueStats(server.runtime.queueBatches.slice(batchesBefore), loadStart, loadEnd);
      results.push({ scenario: s, server, runs, extra, queue });

      // Free a server as soon as no later scenario needs it, so it cannot steal CPU.
      if (!scenarios.slice(i + 1).some((n) => n.server === s.server)) {
        server.snapshot = snapshotRuntime(server);
        await server.dispose();
        servers.delete(s.server);
      }
    }
  } finally {
    for (const server of servers.values()) await server.dispose().catch((e) => log(`dispose ${server.name} failed: ${e}`));
  }
  report(results);
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
function queueStats(batches, loadStart, loadEnd) {
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
  return { during: summary(during), after: summary(after), loadSeconds: (loadEnd - loadStart) / 1000 };
}

// --- report ------------------------------------------------------------------------------------

const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : 'n/a');
const ms = (n) => (Number.isFinite(n) ? `${n.toFixed(2)} ms` : 'n/a');

function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows.map((r, i) => {
    const line = r.map((cell, c) => (c === 0 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join('  ');
    return i === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
  }).join('\n');
}

function report(results) {
  const out = [];
  const cpu = os.cpus();
  out.push('');
  out.push('Chorus load benchmark');
  out.push('=====================');
  out.push(`server mode : ${SERVER_MODE}`);
  out.push(`load        : autocannon ${config.connections} connections, ${config.warmup} s warm-up + ${config.duration} s measured per scenario, 127.0.0.1, keep-alive, redirects not followed`);
  out.push(`visitors    : ${config.visitors > 0 ? `random cf-connecting-ip from ${config.visitors} visitors` : 'one fixed cf-connecting-ip'}, desktop Chrome user-agent (counted as human clicks)`);
  out.push(`machine     : ${cpu.length} x ${cpu[0]?.model ?? 'cpu'}, node ${process.version}, load generator and workerd share these cores`);
  out.push('');

  const rows = [['scenario', 'req/s', '302/s', 'p50', 'p90', 'p99', 'max', 'responses', 'errors', 'cpu workerd', 'cpu loadgen']];
  const pct = (x) => (Number.isFinite(x) ? `${Math.round(100 * x)}%` : 'n/a');
  for (const r of results) {
    const m = r.runs.measured;
    rows.push([`${r.scenario.name} (${r.scenario.title})`, fmt(m.rps), fmt(m.okRps), ms(m.p50), ms(m.p90), ms(m.p99), ms(m.max), fmt(m.responses), fmt(m.errors), pct(m.cpu.workerd), pct(m.cpu.loadgen)]);
  }
  out.push(table(rows));
  out.push('(errors = responses other than 302 + socket errors + timeouts; cpu = share of one core during the measured run)');

  for (const r of results) {
    const m = r.runs.measured;
    if (m.errors > 0) {
      out.push(`  ${r.scenario.name}: errors = ${fmt(m.wrongStatus)} non-${r.scenario.expectStatus} (${JSON.stringify(m.byStatus)}), ${m.socketErrors} socket errors, ${m.timeouts} timeouts`);
    }
  }

  for (const r of results) {
    if (!r.scenario.baseline) continue;
    const base = results.find((x) => x.scenario.name === r.scenario.baseline);
    if (!base) continue;
    const t = r.scenario.targets ?? {};
    const tput = r.runs.measured.okRps / base.runs.measured.okRps;
    const p99 = r.runs.measured.p99 / base.runs.measured.p99;
    out.push('');
    out.push(`${r.scenario.name} vs ${base.scenario.name}`);
    const mark = (ok) => (ok ? 'MET' : 'NOT MET');
    out.push(`  throughput ratio (302/s)  ${tput.toFixed(2)}x   target >= ${t.throughputRatioMin ?? '-'}x   ${t.throughputRatioMin === undefined ? '' : mark(tput >= t.throughputRatioMin)}`);
    out.push(`  p99 latency ratio         ${p99.toFixed(2)}x   target <= ${t.p99RatioMax ?? '-'}x   ${t.p99RatioMax === undefined ? '' : mark(p99 <= t.p99RatioMax)}`);
  }

  for (const r of results) {
    const c = r.extra.clicks;
    if (!c) continue;
    out.push('');
    out.push(`${r.scenario.name}: clicks stored vs redirects served`);
    out.push(`  redirects served (302s, warm-up + measured)  ${fmt(c.served)}`);
    out.push(`  clicks stored in D1                          ${fmt(c.stored)}   (${fmt(c.atLoadEnd)} when the load stopped; polled ${(c.drainMs / 1000).toFixed(1)} s more: ${c.drainReason})`);
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
    const snap = r.server.snapshot;
    if (!snap || (snap.events.size === 0 && snap.otherLines.length === 0 && snap.simulatorErrors.size === 0)) continue;
    if (results.indexOf(r) !== results.findIndex((x) => x.server === r.server)) continue;
    out.push('');
    out.push(`${r.server.name}: log events (whole server lifetime)`);
    for (const [event, n] of snap.events) out.push(`  worker ${event} x ${fmt(n)}   e.g. ${snap.samples.get(event).slice(0, 200)}`);
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
  out.push('');
  process.stdout.write(out.join('\n') + '\n');
}

main().then(
  () => process.exit(0),
  (e) => {
    log(`setup failed: ${e?.stack ?? e}`);
    process.exit(1);
  },
);
