// `npm run deploy` (scripts/deploy.mjs) refuses to start without one of wrangler.toml's environments: a bare deploy
// would ship the top level, which is local development. Only refusals are run here, never a deploy.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function deploy(args: string[], env: Record<string, string> = {}) {
  const { npm_config_env: _, ...inherited } = process.env;
  const { status, stdout, stderr } = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'deploy.mjs'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...inherited, ...env }, timeout: 30_000 });
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
      // Neither the type check nor the bundle nor wrangler started.
      expect(run.stdout).toBe('');
    }
    // `npm run deploy --env=production` hands the flag to npm: the refusal says so.
    expect(deploy([], { npm_config_env: 'production' }).stderr).toContain('npm took --env production for itself: put -- before it.');
  });
});
