// CPU pinning for the load runs. On a 2-core machine the scheduler moves autocannon and workerd between
// the same two cores; whenever it puts them on one core for a while, that stretch measures the scheduler,
// not the worker. Two identical bare workers measured back to back (3 s runs) differed by up to 30% here
// unpinned and by at most 7% pinned. So, where Linux's taskset is available and there are at least two
// usable CPUs, the measured workerd's event-loop thread gets the last CPU to itself and everything else
// (its helper threads, this process, Miniflare's Node side, the load generator, a consumer's own workerd)
// shares the others. Both sides of every ratio run the same way, and the report says so. BENCH_PIN=0
// turns it off.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { config } from './config.mjs';

// The CPUs this process may run on ("0-1", "0,2-3" in /proc/self/status), or null off Linux.
function allowedCpus() {
  try {
    const line = readFileSync('/proc/self/status', 'utf8').match(/^Cpus_allowed_list:\s*(.+)$/m)?.[1];
    if (!line) return null;
    return line.split(',').flatMap((part) => {
      const [a, b = a] = part.split('-').map(Number);
      return Array.from({ length: b - a + 1 }, (_, i) => a + i);
    });
  } catch {
    return null;
  }
}

function hasTaskset() {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function makePlan() {
  if (!config.pin) return { pinned: false, why: 'off (BENCH_PIN=0)' };
  const cpus = allowedCpus();
  if (!cpus) return { pinned: false, why: 'off (no /proc: not Linux)' };
  if (cpus.length < 2) return { pinned: false, why: `off (one usable CPU: ${cpus.join(',')})` };
  if (!hasTaskset()) return { pinned: false, why: 'off (taskset not installed)' };
  return { pinned: true, server: String(cpus.at(-1)), driver: cpus.slice(0, -1).join(',') };
}

let plan = null;
export function cpuPlan() {
  plan ??= makePlan();
  return plan;
}

// `pid` onto the role's CPUs: 'driver' moves every thread of it; 'server' (a measured workerd) gives its
// main thread, the event loop that runs the isolate and answers requests, the server CPU alone, and moves
// its helper threads (V8's GC and compiler worker, the tokio runtime) to the driver CPUs. Pinned beside
// the event loop, V8's concurrent marking took turns with it on one core and showed up as 25-40 ms stalls.
export function pin(pid, role) {
  const p = cpuPlan();
  if (!p.pinned || !pid) return;
  const taskset = (...args) => execFileSync('taskset', args, { stdio: 'ignore' });
  taskset('--all-tasks', '--pid', '--cpu-list', p.driver, String(pid));
  if (role === 'server') taskset('--pid', '--cpu-list', p.server, String(pid));
}

// A process doing background work beside the measurement (a click consumer's own workerd): lowest CPU
// priority, so on the driver CPUs it takes only what the load generator leaves idle. On Cloudflare that
// work runs on other machines; sharing a core at equal priority, its 50-60 ms D1 batches delayed reading
// responses and were measured as redirect latency.
export function background(pid) {
  if (!cpuPlan().pinned || !pid) return;
  for (const tid of readdirSync(`/proc/${pid}/task`)) execFileSync('renice', ['-n', '19', '-p', tid], { stdio: 'ignore' });
}

// How a forked Node child starts on the driver CPUs: fork() options for child_process.
export function driverForkOptions() {
  const p = cpuPlan();
  return p.pinned ? { execPath: 'taskset', execArgv: ['--cpu-list', p.driver, process.execPath, ...process.execArgv] } : {};
}

export function describePlan() {
  const p = cpuPlan();
  return p.pinned ? `measured workerd's event-loop thread on CPU ${p.server}; its helper threads, the load generator, the bench driver, Miniflare's Node side and a consumer's own workerd on CPU ${p.driver}` : p.why;
}
