// Where a build's time per answer goes, by `perf` (Linux): for `BENCH_AB_PERF=1 npm run bench:ab`.
//
// Each side's measured workerd thread is sampled for the whole run (it is only busy in its own slices),
// every symbol's share of the samples is scaled by that side's measured thread CPU per answer, and the two
// sides are compared by kind of work and by symbol. workerd ships with symbols; JavaScript shows as
// V8 builtins and JIT code. On 2026-12-03 this located the redirect's and the code check's extra time
// against the same bundle answering a fixed response (test/bench/README.md, "Where the time goes").
import { spawn, spawnSync } from 'node:child_process';

export function perfAvailable() {
  return spawnSync('perf', ['--version'], { stdio: 'ignore' }).status === 0;
}

// Samples one thread (tid = the process's main thread) until stop().
export function startProfile(pid, file) {
  const child = spawn('perf', ['record', '-F', '999', '-g', '-t', String(pid), '-o', file], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return {
    async stop() {
      child.kill('SIGINT');
      await exited;
    },
  };
}

// symbol -> share of the samples (0..1), self time only.
function symbolShares(file) {
  const out = spawnSync('perf', ['report', '-i', file, '--no-children', '-g', 'none', '--sort', 'sym', '-q', '-F', 'overhead,sym'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const shares = new Map();
  for (const line of out.stdout.split('\n')) {
    const m = /^\s*([\d.]+)%\s+\[.\]\s+(.*)$/.exec(line);
    if (!m) continue;
    const symbol = m[2].trim().slice(0, 110);
    shares.set(symbol, (shares.get(symbol) ?? 0) + Number(m[1]) / 100);
  }
  return shares;
}

const KINDS = [
  ['JavaScript (V8 builtins, JIT code)', (s) => s.startsWith('Builtins_') || s.startsWith('0x') || s.includes('JIT')],
  ['garbage collection', (s) => /Scaveng|MarkCompact|Heap::Collect|Sweeper|ConcurrentMarking/.test(s)],
  ['V8 runtime', (s) => /^(v8::|_ZN2v8)/.test(s)],
  ['malloc', (s) => /tcmalloc|TCMalloc/.test(s)],
  ['workerd JS glue (jsg: wrappers, handles)', (s) => /jsg::|3jsg/.test(s)],
  ['workerd APIs', (s) => /^(workerd::|_ZN7workerd)/.test(s)],
  ['kj (event loop, promises, HTTP)', (s) => /^(kj::|_ZN2kj)/.test(s)],
  ['kernel, libc, other', () => true],
];
const kindOf = (symbol) => KINDS.find(([, test]) => test(symbol))[0];

// Report lines comparing B with A, each side's shares scaled to µs per answer.
export function compareProfiles(fileA, fileB, usA, usB, top = 15) {
  const [a, b] = [symbolShares(fileA), symbolShares(fileB)];
  const byKind = (shares, us) => {
    const kinds = new Map(KINDS.map(([name]) => [name, 0]));
    for (const [symbol, share] of shares) {
      const kind = kindOf(symbol);
      kinds.set(kind, kinds.get(kind) + share * us);
    }
    return kinds;
  };
  const [ka, kb] = [byKind(a, usA), byKind(b, usB)];
  const f = (x) => x.toFixed(2).padStart(6);
  const lines = ['profile (perf, µs per answer by kind of work):', `  ${'kind'.padEnd(42)}      A       B     B-A`];
  for (const [name] of KINDS) lines.push(`  ${name.padEnd(42)} ${f(ka.get(name))}  ${f(kb.get(name))}  ${f(kb.get(name) - ka.get(name))}`);
  const symbols = [...new Set([...a.keys(), ...b.keys()])].map((s) => [s, (b.get(s) ?? 0) * usB - (a.get(s) ?? 0) * usA]);
  symbols.sort((x, y) => Math.abs(y[1]) - Math.abs(x[1]));
  lines.push(`  the ${top} symbols that differ most (B-A µs per answer):`);
  for (const [symbol, d] of symbols.slice(0, top)) lines.push(`  ${f(d)}  ${symbol}`);
  return lines;
}
