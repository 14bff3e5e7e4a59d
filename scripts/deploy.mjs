// The deploy command: `npm run deploy -- --env <environment>`, one of the [env.<name>] sections of wrangler.toml.
//
//   node scripts/deploy.mjs --env production
//
// Type-checks, checks the bundle size, then runs `wrangler deploy --env <environment>` with the git commit as
// COMMIT_SHA. It refuses to run without an environment: wrangler.toml's top level is local development
// (ENVIRONMENT = "development", the dev secrets in [vars], a placeholder D1 id), and a bare `wrangler deploy` would
// ship it, with only a warning from wrangler. Nothing runs before the argument check passes, and each step prints
// `deploy: <step>…` as it starts.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, wranglerBin } from './wrangler.mjs';

const environments = [...new Set([...readFileSync(join(ROOT, 'wrangler.toml'), 'utf8').matchAll(/^\[env\.([A-Za-z0-9_-]+)\]/gm)].map((m) => m[1]))];

function refuse(message) {
  console.error(`deploy: ${message}`);
  console.error(`Usage: npm run deploy -- --env <${environments.join('|')}>`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({ options: { env: { type: 'string', short: 'e' } }, strict: true, allowPositionals: false }));
} catch (error) {
  refuse(error.message);
}
const target = values.env;
if (target === undefined) {
  // `npm run deploy --env production` (no `--`) hands --env to npm itself, which sets npm_config_env.
  const npmTook = process.env.npm_config_env ? ` npm took --env ${process.env.npm_config_env} for itself: put -- before it.` : '';
  refuse(`say which environment to deploy (a bare deploy ships wrangler.toml's top level, ENVIRONMENT = "development").${npmTook}`);
}
if (!environments.includes(target)) refuse(`"${target}" is not an environment of wrangler.toml (${environments.join(', ')}); the top level is local development and is never deployed.`);

// Each step says so on stdout before it starts, so a refusal's empty stdout shows that none ran.
function run(label, args) {
  console.log(`deploy: ${label}…`);
  const { status, signal } = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
  if (status !== 0) {
    console.error(`deploy: ${label} failed (${signal ?? `exit ${status}`}); nothing was deployed.`);
    process.exit(status || 1);
  }
}

const require = createRequire(import.meta.url);
run('type check', [require.resolve('typescript/bin/tsc'), '--noEmit']);
run('bundle size', [join(ROOT, 'scripts', 'bundle-size.mjs'), '--env', target]);
let commit = null;
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
} catch {
  console.warn('deploy: not a git checkout, so /healthz will report no commit.');
}
run('wrangler deploy', [wranglerBin(), 'deploy', '--env', target, ...(commit ? ['--var', `COMMIT_SHA:${commit}`] : [])]);
