// A local D1 with every migration applied, for the tests that run the real worker outside workerd's test pool
// (the browser stories, the docs check, the resilience scenarios).
//
// `wrangler d1 migrations apply --local` (the command a developer runs) takes ~30 s for the project's
// migrations, and each of those test files used to pay it. It now runs once per set of migrations: the
// migrated state is kept under node_modules/.cache, named by a hash of the migration files and the wrangler
// version, and each caller gets its own copy. A changed, added or removed migration names a new template.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { ROOT, runWrangler } from '../../scripts/wrangler.mjs';

const MIGRATIONS = path.join(ROOT, 'migrations');
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'chorus-tests');

function templateName() {
  const hash = createHash('sha256');
  hash.update(JSON.parse(readFileSync(path.join(ROOT, 'node_modules', 'wrangler', 'package.json'), 'utf8')).version);
  for (const file of readdirSync(MIGRATIONS).filter((f) => f.endsWith('.sql')).sort()) {
    hash.update(`\0${file}\0`).update(readFileSync(path.join(MIGRATIONS, file)));
  }
  return `migrated-d1-${hash.digest('hex').slice(0, 16)}`;
}

let building; // this process's one build, shared by concurrent callers

async function template() {
  const final = path.join(CACHE, templateName());
  if (existsSync(final)) return final;
  building ??= (async () => {
    await mkdir(CACHE, { recursive: true });
    const scratch = await mkdtemp(path.join(CACHE, 'building-'));
    try {
      const { code, stdout, stderr } = await runWrangler(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', scratch]);
      if (code !== 0) throw new Error(`wrangler d1 migrations apply exited ${code}:\n${stdout}${stderr}`);
      // Another process may have finished the same template first: theirs stands, ours goes.
      await rename(scratch, final).catch((e) => {
        if (!existsSync(final)) throw e;
      });
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
    return final;
  })().finally(() => (building = undefined));
  return building;
}

/** Puts a migrated local D1 at `persist` (a `--persist-to` directory that does not exist yet). */
export async function migratedD1(persist) {
  await cp(await template(), persist, { recursive: true });
}
