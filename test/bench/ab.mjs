// A/B of two builds of the worker under the same load: `npm run bench:ab`.
//
// Measured against `bare`, a change of a few µs per request is lost in the drift of this shared VM (the
// same build measured +9 to +23 µs over bare in runs minutes apart). Here two Chorus servers (A, B) run
// side by side, each as the redirect scenario runs it (server chorus-edge: own click consumer, held during
// the load), and the load alternates between them in short slices, the order flipped every round. Each
// slice's figure is the measured event-loop thread's own CPU time per answer (schedstat), and the report
// gives the pooled ratio and the per-round median, which one disturbed slice cannot move.
//
//   cp -r worker worker-b            # a sibling of worker/, so its relative imports resolve; git ignores it
//   (edit worker-b/...)
//   npm run bench:ab                 # A = worker/index.ts, B = worker-b/index.ts
//   BENCH_AB_A=worker-a/index.ts BENCH_AB_ROUNDS=30 npm run bench:ab
//   BENCH_AB_A_REF=HEAD~1 BENCH_AB_B=worker/index.ts npm run bench:ab   # A = worker/ as of a commit
//   BENCH_AB_PERF=1 npm run bench:ab  # also profile both measured threads with perf and compare them
//
// BENCH_AB_A_REF extracts that commit's worker/ into worker-a/ (replacing it); everything outside worker/
// (portal/, node_modules, wrangler.toml) comes from the working tree for both builds.
//
// Calibration (2026-12-03): A/A, two identical builds, 30 rounds: throughput 0.991x pooled, 1.011x median;
// CPU per answer +0.8 µs pooled, -0.3 µs median.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { config } from './config.mjs';
import { pin } from './cpus.mjs';
import { median, runLoad, runSlice } from './load.mjs';
import { mainThreadCpuNs } from './procfs.mjs';
import { compareProfiles, perfAvailable, startProfile } from './profile.mjs';
import { removeBundles, startChorus } from './servers.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// worker/ as of `ref`, at worker-a/ beside it (so its relative imports resolve as the original's do).
function extractWorker(ref) {
  const target = path.join(ROOT, 'worker-a');
  const tmp = mkdtempSync(path.join(ROOT, '.worker-a-'));
  try {
    const tar = execFileSync('git', ['archive', '--format=tar', ref, 'worker'], { cwd: ROOT, maxBuffer: 1 << 28 });
    execFileSync('tar', ['-x', '-C', tmp], { input: tar });
    rmSync(target, { recursive: true, force: true });
    renameSync(path.join(tmp, 'worker'), target);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return 'worker-a/index.ts';
}

const entryA = process.env.BENCH_AB_A_REF ? extractWorker(process.env.BENCH_AB_A_REF) : (process.env.BENCH_AB_A ?? '');
const entryB = process.env.BENCH_AB_B ?? 'worker-b/index.ts';
const rounds = Number(process.env.BENCH_AB_ROUNDS ?? 24);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`BENCH_AB_ROUNDS=${process.env.BENCH_AB_ROUNDS} must be a positive integer`);
const scenario = process.env.BENCH_AB_SCENARIO ?? 'redirect';
const profiled = process.env.BENCH_AB_PERF === '1';
if (profiled && !perfAvailable()) throw new Error('BENCH_AB_PERF=1 needs the perf command (linux-perf)');

pin(process.pid, 'driver');
const log = (line) => process.stderr.write(`[ab] ${line}\n`);

const split = scenario === 'redirect';
log(`starting A (${entryA || 'worker/index.ts'}${process.env.BENCH_AB_A_REF ? ` = worker/ at ${process.env.BENCH_AB_A_REF}` : ''}) and B (${entryB})...`);
const sides = [];
const profileDir = profiled ? mkdtempSync(path.join(tmpdir(), 'chorus-ab-perf-')) : null;
const profiles = [];
try {
  sides.push(await startChorus({ name: 'chorus-a', splitConsumer: split, entry: entryA }));
  sides.push(await startChorus({ name: 'chorus-b', splitConsumer: split, entry: entryB }));
  if (!Number.isFinite(mainThreadCpuNs(sides[0].workerdPid))) throw new Error('no per-thread CPU time for the workerd processes (Linux /proc/<pid>/task/<pid>/schedstat)');
  // Both consumers hold every click for the whole run, so neither writes D1 during anyone's slice.
  for (const s of sides) await s.holdClicks?.();
  const options = (s, duration) => ({ url: s.url, scenario, context: s.context, connections: config.connections, duration });
  if (config.warmup > 0) for (const s of sides) await runLoad(options(s, config.warmup));
  log(`${rounds} rounds of ${config.slice} s slices per side, ${scenario}, ${config.connections} connections`);
  const totals = sides.map(() => ({ answers: 0, seconds: 0, cpuNs: 0 }));
  const ratios = [];
  const diffs = [];
  if (profiled) sides.forEach((s, i) => profiles.push(startProfile(s.workerdPid, path.join(profileDir, `${'ab'[i]}.data`))));
  for (let round = 0; round < rounds; round++) {
    const row = [];
    for (const i of round % 2 ? [1, 0] : [0, 1]) {
      const r = await runSlice(options(sides[i], config.slice), sides[i].workerdPid);
      if (r.expected === 0 || r.errors > 0) throw new Error(`${'AB'[i]} answered ${r.expected} with the expected status and ${r.errors} errors in a slice: ${JSON.stringify(r.byStatus)}`);
      Object.assign(totals[i], { answers: totals[i].answers + r.expected, seconds: totals[i].seconds + r.seconds, cpuNs: totals[i].cpuNs + r.threadCpuNs });
      row[i] = { okRps: r.expected / r.seconds, us: r.threadCpuNs / 1e3 / r.expected };
    }
    ratios.push(row[1].okRps / row[0].okRps);
    diffs.push(row[1].us - row[0].us);
  }
  for (const p of profiles) await p.stop();
  const [a, b] = totals.map((t) => ({ okRps: t.answers / t.seconds, us: t.cpuNs / 1e3 / t.answers }));
  const faster = diffs.filter((d) => d < 0).length;
  console.log(`A: ${a.okRps.toFixed(0)} ok/s, ${a.us.toFixed(1)} µs of thread CPU per answer`);
  console.log(`B: ${b.okRps.toFixed(0)} ok/s, ${b.us.toFixed(1)} µs of thread CPU per answer`);
  console.log(`B vs A: throughput ${(b.okRps / a.okRps).toFixed(3)}x pooled, ${median(ratios).toFixed(3)}x median per round; CPU per answer ${(b.us - a.us).toFixed(1)} µs pooled, ${median(diffs).toFixed(1)} µs median; B used less CPU in ${faster} of ${rounds} rounds`);
  console.log(`per round (B/A throughput, B-A µs): ${ratios.map((r, i) => `${r.toFixed(2)}x/${diffs[i].toFixed(1)}`).join(' ')}`);
  if (profiled) console.log(compareProfiles(path.join(profileDir, 'a.data'), path.join(profileDir, 'b.data'), a.us, b.us).join('\n'));
} finally {
  for (const p of profiles) await p.stop().catch(() => {});
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  for (const s of sides) await s.dispose().catch(() => {});
  await removeBundles();
}
process.exit(0);
