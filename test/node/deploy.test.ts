// `npm run deploy` (scripts/deploy.mjs) refuses to start without one of wrangler.toml's environments: a bare deploy
// would ship the top level, which is local development. Only refusals are run here, never a deploy.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function deploy(args: string[], env: Record<string, string> = {}, root = ROOT) {
  const { npm_config_env: _, ...inherited } = process.env;
  const { status, stdout, stderr } = spawnSync(process.execPath, [path.join(root, 'scripts', 'deploy.mjs'), ...args], { cwd: root, encoding: 'utf8', env: { ...inherited, ...env }, timeout: 30_000 });
  return { status, stdout, stderr };
}

describe('npm run deploy', () => {
  it('refuses without an environment of wrangler.toml, before running anything', () => {
    for (const [args, said] of [
      [[], /say which environment to deploy/],
      [['--env='], /"" is not an environment of wrangler\.toml \(staging, production\)/],
      [['--env', 'development'], /"development" is not an environment/],
      [['-e', 'prod'], /"prod" is not an environment/],
      [['production'], /Unexpected argument 'production'/],
      [['--env', 'production', '--force'], /Unknown option '--force'/],
    ] as const) {
      const run = deploy([...args]);
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(said);
      expect(run.stderr).toContain('Usage: npm run deploy -- --env <staging|production>');
      // Each step prints `deploy: <step>…` first (below): neither the type check nor the bundle nor wrangler started.
      expect(run.stdout).toBe('');
    }
    // `npm run deploy --env=production` hands the flag to npm: the refusal says so.
    expect(deploy([], { npm_config_env: 'production' }).stderr).toContain('npm took --env production for itself: put -- before it.');
  });

  it('says each step on stdout before it starts, and stops at the first that fails', () => {
    // The same script in a copy of the repo with one environment and a type checker that fails, so what an accepted
    // run prints is seen without a build or a deploy (no wrangler there: nothing could be deployed from it).
    const copy = mkdtempSync(path.join(tmpdir(), 'chorus-deploy-'));
    try {
      mkdirSync(path.join(copy, 'scripts'));
      for (const file of ['deploy.mjs', 'wrangler.mjs']) copyFileSync(path.join(ROOT, 'scripts', file), path.join(copy, 'scripts', file));
      writeFileSync(path.join(copy, 'wrangler.toml'), 'name = "chorus"\n\n[env.staging]\nname = "chorus-staging"\n');
      mkdirSync(path.join(copy, 'node_modules', 'typescript', 'bin'), { recursive: true });
      writeFileSync(path.join(copy, 'node_modules', 'typescript', 'bin', 'tsc'), "process.stdout.write('tsc ran\\n');\nprocess.exit(1);\n");
      const run = deploy(['--env', 'staging'], {}, copy);
      expect(run.status).toBe(1);
      expect(run.stdout).toBe('deploy: type check…\ntsc ran\n');
      expect(run.stderr).toContain('deploy: type check failed (exit 1); nothing was deployed.');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
