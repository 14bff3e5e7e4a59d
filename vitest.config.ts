import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const migrations = await readD1Migrations(fileURLToPath(new URL('./migrations', import.meta.url)));

export default defineConfig({
  test: {
    projects: [
      {
        // Route, domain and DB tests inside workerd. The plugin rewrites resolve conditions for the
        // Workers runtime, so it belongs to this project only, never to the root config.
        plugins: [
          cloudflareTest({
            main: './worker/index.ts',
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                TEST_MIGRATIONS: migrations,
                ENVIRONMENT: 'test',
                // Short enough for a test to watch a paused link take effect.
                LINK_CACHE_TTL_MS: '300',
                CODE_CACHE_TTL_MS: '300',
              },
            },
          }),
        ],
        test: {
          name: 'workers',
          include: ['test/worker/**/*.test.ts'],
          // Each file gets its own workerd, and starting one (runtime, modules, migrations) costs about as
          // much as the file's tests: Vitest's default of one file at a time on a 2-CPU machine leaves half
          // of it waiting. Two at a time took a sample of 15 files from 181 s to 109 s.
          maxWorkers: Math.max(2, availableParallelism() - 1),
          setupFiles: ['./test/worker/setup.ts'],
        },
      },
      {
        // Browser stories: the real worker on a local port, driven by Chromium (playwright-core).
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          // Each file starts its own worker and browser: one file at a time, with room for cold starts.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        // Resilience scenarios, short profile: the worker in its own process (Miniflare API) on 127.0.0.1,
        // driven from here, final D1 state checked against an independent oracle. `npm run scenarios` runs
        // the full profile.
        test: {
          name: 'scenarios',
          environment: 'node',
          include: ['test/scenarios/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
      {
        // Checks that cannot run inside workerd (ajv compiles validators with new Function): the OpenAPI
        // document built straight from the worker's modules, and /docs in Chromium against the real worker.
        test: {
          name: 'node',
          environment: 'node',
          include: ['test/node/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
