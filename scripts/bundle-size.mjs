// The worker bundle `wrangler deploy` would upload, measured against a budget.
//
//   node scripts/bundle-size.mjs [--env production] [--limit-kib 1024]
//
// Bundles with `wrangler deploy --dry-run --outdir <tmp>`, prints each module's raw and gzip size and
// the total, and exits 1 when the gzipped total is over the limit (default 1 MiB: a third of the Workers
// free-plan limit, so growth shows up in review long before deploys start failing). Source maps are
// not uploaded and are not counted.
import { readdir, readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { runWrangler } from './wrangler.mjs';

const { values } = parseArgs({ options: { env: { type: 'string' }, 'limit-kib': { type: 'string', default: '1024' } } });
const limitBytes = Number(values['limit-kib']) * 1024;
if (!Number.isFinite(limitBytes) || limitBytes <= 0) {
  console.error(`bundle-size: --limit-kib must be a positive number, got ${values['limit-kib']}`);
  process.exit(2);
}

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
const isUploaded = (name) => !name.endsWith('.map') && name !== 'README.md';

async function measure(outdir) {
  // An explicit --env="" targets the top level, and keeps wrangler from warning that none was chosen.
  const { code, stdout, stderr } = await runWrangler(['deploy', '--dry-run', '--outdir', outdir, `--env=${values.env ?? ''}`]);
  if (code !== 0) {
    process.stderr.write(stdout + stderr);
    console.error(`bundle-size: wrangler deploy --dry-run failed (exit ${code})`);
    return 1;
  }
  const files = (await readdir(outdir, { recursive: true, withFileTypes: true })).filter((f) => f.isFile() && isUploaded(f.name));
  let raw = 0;
  let gzip = 0;
  for (const file of files.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(file.parentPath, file.name);
    const content = await readFile(path);
    const zipped = gzipSync(content).length;
    raw += content.length;
    gzip += zipped;
    console.log(`  ${relative(outdir, path).padEnd(32)} ${kib(content.length).padStart(12)} raw ${kib(zipped).padStart(12)} gzip`);
  }
  const within = gzip <= limitBytes;
  console.log(`Bundle${values.env ? ` (${values.env})` : ''}: ${kib(raw)} raw, ${kib(gzip)} gzip; ${within ? 'within' : 'OVER'} the ${kib(limitBytes)} gzip budget`);
  return within ? 0 : 1;
}

const outdir = await mkdtemp(join(tmpdir(), 'chorus-bundle-'));
try {
  process.exitCode = await measure(outdir);
} finally {
  await rm(outdir, { recursive: true, force: true });
}
