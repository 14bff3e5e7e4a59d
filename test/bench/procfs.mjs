// What Linux's /proc says about the workerd processes Miniflare starts: CPU time for the load table,
// resident memory for the payouts export. Linux only; elsewhere the readers return NaN / [].
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

const CLK_TCK = 100; // Linux USER_HZ; /proc/<pid>/stat times are in these ticks.

function readProcesses() {
  const procs = new Map();
  let pids = [];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return procs;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const f = stat.slice(close + 2).split(' ');
      procs.set(Number(pid), { pid: Number(pid), comm, ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / CLK_TCK });
    } catch {
      // process exited while we looked
    }
  }
  return procs;
}

// Every workerd process descended from this Node process (Miniflare spawns one per instance).
export function ourWorkerdProcesses() {
  const procs = readProcesses();
  const isOurs = (pid) => {
    for (let p = procs.get(pid), hops = 0; p && hops < 10; p = procs.get(p.ppid), hops++) if (p.ppid === process.pid) return true;
    return false;
  };
  return [...procs.values()].filter((p) => p.comm === 'workerd' && isOurs(p.pid));
}

// CPU seconds (user+system) used so far by every workerd process descended from this one; NaN off Linux.
export function workerdCpuSeconds() {
  const list = ourWorkerdProcesses();
  return list.length ? list.reduce((a, p) => a + p.cpu, 0) : NaN;
}

// Nanoseconds a process's main thread has run on a CPU (workerd's event loop: the thread that runs the
// isolate and answers requests), from the scheduler's own accounting; NaN off Linux or once it has exited.
export function mainThreadCpuNs(pid) {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return NaN;
  }
}

// Resident set now and its high-water mark since start (or since resetPeak), in KiB.
export function memoryKiB(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: field('VmRSS'), hwm: field('VmHWM') };
  } catch {
    return { rss: NaN, hwm: NaN };
  }
}

// Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0), so a later VmHWM is the
// peak of what ran in between. Returns false where that is not allowed.
export function resetPeak(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

// Samples VmRSS every `everyMs` until stopped: a fallback peak where clear_refs is unavailable.
export function sampleRss(pid, everyMs = 20) {
  let max = memoryKiB(pid).rss;
  let samples = 1;
  const timer = setInterval(() => {
    const { rss } = memoryKiB(pid);
    if (rss > max) max = rss;
    samples++;
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return { maxRss: max, samples };
    },
  };
}
