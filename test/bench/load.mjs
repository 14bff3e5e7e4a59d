// One load run with autocannon's programmatic API, in a child process.
//
// Why a child: Miniflare's Node side serves workerd's loopback calls (log lines, among them the queue
// broker's per-batch log, which the broker awaits before it flushes the next batch). Running autocannon
// on that same event loop would slow the simulator down in ways production never sees.
//
// Latency percentiles are computed from every response's own timing (autocannon's histogram rounds
// to whole milliseconds, too coarse on loopback). CPU used by the load generator and by workerd during
// the run is sampled so a report can say which side was saturated.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { driverForkOptions } from './cpus.mjs';
import { mainThreadCpuNs, workerdCpuSeconds } from './procfs.mjs';

const CHILD_FLAG = '--bench-load-child';

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

// Throughput over `seconds` and latency percentiles over `sorted` (every response's latency, ascending).
function rates(responses, expected, seconds, sorted) {
  return {
    rps: responses / seconds,
    okRps: expected / seconds,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
  };
}

// --- parent side -------------------------------------------------------------------------------

// One load slice (runLoad's options) with the measured workerd thread's own CPU time over it (`threadCpuNs`,
// NaN without a pid or off Linux): the interleaved measurements of run.mjs and ab.mjs.
export async function runSlice(o, pid) {
  const before = mainThreadCpuNs(pid);
  const result = await runLoad(o);
  return { ...result, threadCpuNs: mainThreadCpuNs(pid) - before };
}

/**
 * @param {object} o
 * @param {string} o.url          server origin
 * @param {string} o.scenario     scenario name; the child builds its requests from scenarios.mjs
 * @param {object} o.context      the server's seeded context (plain JSON)
 * @param {number} o.connections
 * @param {number} o.duration     seconds
 * @param {boolean} [o.keepLatencies]  send every response's latency back too (for mergeRuns)
 */
export function runLoad(o) {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [CHILD_FLAG], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], ...driverForkOptions() });
    let result;
    let cpuStart = workerdCpuSeconds();
    let tStart = Date.now();
    child.on('message', (m) => {
      if (m.type === 'start') {
        // Re-sample once the child is up, so its module loading is not billed to the run.
        cpuStart = workerdCpuSeconds();
        tStart = Date.now();
      } else if (m.type === 'result') {
        const wall = (Date.now() - tStart) / 1000;
        const workerd = (workerdCpuSeconds() - cpuStart) / wall;
        result = { ...m.result, cpu: { workerd, loadgen: m.result.loadgenCpu / wall } };
      } else if (m.type === 'error') {
        reject(new Error(`load generator: ${m.error}`));
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => (result ? resolve(result) : reject(new Error(`load generator exited ${code} without a result`))));
    child.send({ type: 'run', options: { url: o.url, scenario: o.scenario, context: o.context, connections: o.connections, duration: o.duration, keepLatencies: !!o.keepLatencies } });
  });
}

// --- child side --------------------------------------------------------------------------------

async function childRun({ url, scenario: name, context, connections, duration, keepLatencies }) {
  const [{ default: autocannon }, { scenarios }, { cfHeaders }] = await Promise.all([import('autocannon'), import('./scenarios.mjs'), import('./config.mjs')]);
  const scenario = scenarios.find((s) => s.name === name);
  if (!scenario) throw new Error(`unknown scenario ${name}`);
  process.send({ type: 'start' });
  const cpu0 = process.cpuUsage();
  // autocannon never follows redirects: each 302 is one response, which is what we measure.
  const latencies = [];
  // Scenarios that track what they sent (e.g. conversion orders) fill this in; it travels back as `child`.
  const tracker = {};
  const instance = autocannon({
    url,
    requests: scenario.requests(context, tracker),
    headers: { ...(scenario.headers ?? {}), ...cfHeaders() },
    connections,
    duration,
    pipelining: 1,
    timeout: 10,
    renderProgressBar: false,
    renderResultsTable: false,
    renderLatencyTable: false,
  });
  instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  // Socket errors by kind (ECONNRESET, a timeout…), so a report can say what they were.
  const socketErrorKinds = {};
  instance.on('reqError', (e) => {
    const kind = e?.code ?? e?.message ?? String(e);
    socketErrorKinds[kind] = (socketErrorKinds[kind] ?? 0) + 1;
  });
  const result = await instance;
  const cpu = process.cpuUsage(cpu0);
  latencies.sort((a, b) => a - b);

  const byStatus = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, s.count]));
  const expected = [scenario.expectStatus].flat().reduce((n, status) => n + (byStatus[String(status)] ?? 0), 0);
  const responses = Object.values(byStatus).reduce((a, b) => a + b, 0);
  const seconds = (result.finish - result.start) / 1000 || result.duration;
  return {
    connections,
    duration,
    seconds,
    responses,
    expected,
    byStatus,
    wrongStatus: responses - expected,
    socketErrors: result.errors,
    socketErrorKinds,
    timeouts: result.timeouts,
    errors: responses - expected + result.errors + result.timeouts,
    ...rates(responses, expected, seconds, latencies),
    loadgenCpu: (cpu.user + cpu.system) / 1e6,
    child: scenario.trackerReport ? scenario.trackerReport(tracker) : undefined,
    latencies: keepLatencies ? latencies : undefined,
  };
}

// Several runs of one scenario (the slices of an interleaved measurement) as one: counts added up, rates
// over the summed seconds, percentiles over every response's latency, CPU shares weighted by seconds.
export function mergeRuns(runs) {
  const sum = (f) => runs.reduce((a, r) => a + f(r), 0);
  const seconds = sum((r) => r.seconds);
  const responses = sum((r) => r.responses);
  const expected = sum((r) => r.expected);
  const latencies = runs.flatMap((r) => r.latencies ?? []).sort((a, b) => a - b);
  const byStatus = {};
  const socketErrorKinds = {};
  for (const r of runs) {
    for (const [k, n] of Object.entries(r.byStatus)) byStatus[k] = (byStatus[k] ?? 0) + n;
    for (const [k, n] of Object.entries(r.socketErrorKinds)) socketErrorKinds[k] = (socketErrorKinds[k] ?? 0) + n;
  }
  const weighted = (f) => sum((r) => f(r) * r.seconds) / seconds;
  return {
    connections: runs[0].connections,
    duration: sum((r) => r.duration),
    seconds,
    responses,
    expected,
    byStatus,
    wrongStatus: responses - expected,
    socketErrors: sum((r) => r.socketErrors),
    socketErrorKinds,
    timeouts: sum((r) => r.timeouts),
    errors: sum((r) => r.errors),
    ...rates(responses, expected, seconds, latencies),
    loadgenCpu: sum((r) => r.loadgenCpu),
    cpu: { workerd: weighted((r) => r.cpu.workerd), loadgen: weighted((r) => r.cpu.loadgen) },
    slices: runs.map((r) => ({ seconds: r.seconds, okRps: r.okRps, p99: r.p99 })),
    // The measured workerd thread's own CPU time over the slices (runLoadScenario), when known.
    threadCpuNs: sum((r) => r.threadCpuNs ?? NaN),
  };
}

if (process.argv.includes(CHILD_FLAG)) {
  process.once('message', async (m) => {
    try {
      const result = await childRun(m.options);
      process.send({ type: 'result', result }, () => process.exit(0));
    } catch (e) {
      process.send({ type: 'error', error: String(e?.stack ?? e) }, () => process.exit(1));
    }
  });
}
