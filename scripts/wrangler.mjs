// The project's pinned wrangler, run with this Node. Not through `npx`: npx puts `sh -c` between us and
// wrangler, and a signal to the caller would then kill the shell but orphan wrangler and its workerd.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export function wranglerBin() {
  const pkgPath = createRequire(import.meta.url).resolve('wrangler/package.json');
  const { bin } = JSON.parse(readFileSync(pkgPath, 'utf8'));
  return join(dirname(pkgPath), typeof bin === 'string' ? bin : bin.wrangler);
}

// Runs `wrangler <args>` from the repo root without prompts (CI=true answers them with the default) and
// resolves with its exit code and output; it never rejects on a non-zero exit, callers decide.
export function runWrangler(args, { cwd = ROOT } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [wranglerBin(), ...args], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0', WRANGLER_SEND_METRICS: 'false' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}
