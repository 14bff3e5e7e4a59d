// `npm run dev`: migrate the local D1, seed the demo brand, start `wrangler dev`, then print how to try it.
// Node built-ins only. Local state lives in .wrangler/state; delete that directory to start from scratch.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, watch, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { constants, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { demo, demoConversions, demoStripeEvents, DEMO_PASSWORD, seedSql } from './seed.mjs';
import { postSigned, postStripeEvent } from './signing.mjs';
import { wranglerBin } from './wrangler.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PORT = 8787;
const ORIGIN = `http://localhost:${PORT}`;
const READY_TIMEOUT_MS = 120_000;

let current = null; // the wrangler child running right now, so signals reach it
let stopping = false;

// bin/wrangler.js forwards SIGINT/SIGTERM to the real CLI, which shuts workerd down.
let bin;
try {
  bin = wranglerBin();
} catch {
  console.error('[chorus dev] wrangler is not installed here. Run `npm install` first.');
  process.exit(1);
}

function wrangler(args, { interactive = false, captureStdout = false } = {}) {
  return spawn(process.execPath, [bin, ...args], {
    cwd: root,
    // Setup steps get no stdin and CI=true: wrangler then answers its confirmation prompts
    // ("About to apply N migration(s) ... continue?") with the default instead of waiting for a keypress.
    stdio: interactive ? 'inherit' : ['ignore', captureStdout ? 'pipe' : 'inherit', 'inherit'],
    env: interactive ? process.env : { ...process.env, CI: 'true' },
  });
}

function exitCodeOf(code, signal) {
  return signal ? 128 + (constants.signals[signal] ?? 1) : (code ?? 1);
}

function run(args, options) {
  return new Promise((resolvePromise, reject) => {
    const child = wrangler(args, options);
    current = child;
    let stdout = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk) => { stdout += chunk; });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      current = null;
      resolvePromise({ code: exitCodeOf(code, signal), stdout });
    });
  });
}

// quiet: wrangler's stdout is held back and shown only on failure (non-interactive `d1 execute` prints
// one JSON result object per statement).
async function step(label, args, { hint, quiet = false } = {}) {
  console.log(`\n[chorus dev] ${label}: wrangler ${args.join(' ')}`);
  const { code, stdout } = await run(args, { captureStdout: quiet });
  if (stopping) process.exit(code || 130);
  if (code !== 0) {
    if (quiet) process.stdout.write(stdout);
    console.error(`\n[chorus dev] ${label} failed (exit ${code}).${hint ? ` ${hint}` : ''}`);
    process.exit(code);
  }
  if (quiet) {
    const summary = stdout.split('\n').find((line) => /commands? executed successfully/.test(line));
    console.log(summary ? summary.trim() : 'done');
  }
}

function portAnswers(host) {
  return new Promise((resolvePromise) => {
    const socket = net.connect({ port: PORT, host });
    socket.setTimeout(1000);
    socket.once('connect', () => { socket.destroy(); resolvePromise(true); });
    socket.once('timeout', () => { socket.destroy(); resolvePromise(false); });
    socket.once('error', () => resolvePromise(false));
  });
}

async function portInUse() {
  const answers = await Promise.all(['127.0.0.1', '::1'].map(portAnswers));
  return answers.some(Boolean);
}

async function waitForWorker(child) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null || stopping) return false;
    try {
      const res = await fetch(`${ORIGIN}/healthz`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return true;
    } catch {
      await sleep(300);
    }
  }
  return false;
}

// Demo orders go through the real signed ingestion API, so the portal shows earnings and tier progress.
async function postDemoOrders() {
  let failures = 0;
  for (const body of demoConversions()) {
    const res = await postSigned(`${ORIGIN}/v1/conversions`, demo.brand.slug, demo.keys.ingest, body).catch(() => ({ status: 0 }));
    if (res.status !== 201 && res.status !== 200 && res.status !== 409) failures++;
  }
  // And a Stripe subscription with one renewal, through the real webhook.
  for (const event of demoStripeEvents()) {
    const res = await postStripeEvent(`${ORIGIN}/v1/webhooks/stripe/${demo.integrations.stripe.account}`, demo.integrations.stripe.secret, event).catch(() => ({ status: 0 }));
    if (res.status !== 200) failures++;
  }
  if (failures) console.error(`[chorus dev] ${failures} demo orders could not be posted; the portal will show fewer earnings.`);
}

function banner(warning) {
  const width = 78;
  const rule = '─'.repeat(width);
  const keyRows = Object.entries(demo.keys).map(([scope, key]) => `    ${scope.padEnd(11)} ${key}`);
  return [
    '',
    rule,
    `  Chorus is running at ${ORIGIN}`,
    '',
    ...(warning.length ? [...warning, ''] : []),
    `  Demo brand ${demo.brand.name} (${demo.brand.id}), campaign ${demo.campaign.name} (${demo.campaign.id})`,
    '',
    '  Tracked links (302 to the brand site with utm_* and a click id):',
    ...demo.creators.map((c) => `    ${ORIGIN}/r/${c.linkSlug}`),
    '',
    '  API keys (local demo data only):',
    ...keyRows,
    '',
    '  Try the admin API:',
    `    curl -H "Authorization: Bearer ${demo.keys.admin}" ${ORIGIN}/api/admin/campaigns`,
    '',
    `  Discount codes: ${demo.creators.map((c) => c.code).join(', ')}. Check one as a storefront would:`,
    `    curl -H "Authorization: Bearer ${demo.keys.storefront}" ${ORIGIN}/v1/codes/sarah15`,
    '',
    '  Post a signed conversion (as a store backend would), then list the orders:',
    '    node scripts/send-conversion.mjs --code SARAH15 --amount 4999',
    `    curl -H "Authorization: Bearer ${demo.keys.admin}" ${ORIGIN}/api/admin/conversions`,
    '',
    '  Run the cron handler once:',
    `    curl "${ORIGIN}/__scheduled?cron=*/15+*+*+*+*"`,
    '',
    `  Creator portal: ${ORIGIN}/login  (password for every demo login: ${DEMO_PASSWORD})`,
    `    ${demo.creators.map((c) => c.email).join(', ')}`,
    `  Brand console: ${ORIGIN}/console/login  ${demo.adminUser.email} (owner), ${demo.finance.email} (finance: payouts and their files, nothing else)`,
    `  Application page (creators ask to join; answered on the console's Applications tab): ${ORIGIN}/apply/${demo.brand.slug}/${demo.campaign.slug}`,
    '',
    '  Ctrl-C stops the server. To reset the local database, stop it and delete .wrangler/state.',
    rule,
    '',
  ].join('\n');
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    // A terminal Ctrl-C reaches the child too; forwarding covers `kill <pid of this script>`.
    stopping = true;
    if (current && current.exitCode === null && current.signalCode === null) current.kill(signal);
    else if (!current) process.exit(exitCodeOf(null, signal));
  });
}

if (await portInUse()) {
  console.error(`[chorus dev] Port ${PORT} is already in use. Stop whatever is listening there (another \`npm run dev\`?) and try again.`);
  process.exit(1);
}

// wrangler.toml serves static assets from portal/assets; the directory holds no tracked files yet, so a fresh
// clone lacks it and wrangler refuses to start without it.
const assetsDir = join(root, 'portal', 'assets');
if (!existsSync(assetsDir)) {
  mkdirSync(assetsDir, { recursive: true });
  console.log('[chorus dev] Created empty portal/assets (the [assets] directory in wrangler.toml).');
}

await step('Applying migrations to the local D1', ['d1', 'migrations', 'apply', 'DB', '--local']);

const migrationsDir = join(root, 'migrations');
const migrationFiles = () => readdirSync(migrationsDir).filter((f) => f.endsWith('.sql')).sort();

// wrangler records applied migrations by file name only, so a migration edited after it was applied
// (0000_init.sql is still regenerated in place) is silently skipped and the local schema goes stale.
// Remember what each file looked like when it was applied here, and say so when it has changed since.
function staleMigrations() {
  const record = join(root, '.wrangler', 'state', 'chorus-applied-migrations.json');
  let applied = {};
  try {
    applied = JSON.parse(readFileSync(record, 'utf8'));
  } catch {
    // first run, or the state was reset
  }
  const changed = [];
  for (const name of migrationFiles()) {
    const hash = createHash('sha256').update(readFileSync(join(migrationsDir, name))).digest('hex');
    if (!applied[name]) applied[name] = hash;
    else if (applied[name] !== hash) changed.push(name);
  }
  mkdirSync(dirname(record), { recursive: true });
  writeFileSync(record, `${JSON.stringify(applied, null, 2)}\n`);
  return changed;
}

const stale = staleMigrations();
const staleWarning = stale.length === 0 ? [] : [
  `  WARNING: ${stale.join(', ')} changed after it was applied to your local D1, and wrangler`,
  '  does not re-apply a migration it has already run: the local schema is out of date.',
  '  Stop the server, delete .wrangler/state and run `npm run dev` again (this resets local data).',
];
if (staleWarning.length) console.error(`\n${staleWarning.join('\n')}`);

const seedDir = await mkdtemp(join(tmpdir(), 'chorus-seed-'));
try {
  const seedFile = join(seedDir, 'seed.sql');
  await writeFile(seedFile, seedSql());
  await step('Seeding demo data (idempotent)', ['d1', 'execute', 'DB', '--local', '--file', seedFile], {
    quiet: true,
    hint: 'If you created conflicting rows by hand, delete .wrangler/state to start from a clean database.',
  });
} finally {
  await rm(seedDir, { recursive: true, force: true });
}

console.log(`\n[chorus dev] Starting the worker: wrangler dev --test-scheduled --port ${PORT}\n`);
const dev = wrangler(['dev', '--test-scheduled', '--port', String(PORT)], { interactive: true });
current = dev;
dev.on('error', (error) => {
  console.error(`[chorus dev] Could not start wrangler: ${error.message}`);
  process.exit(1);
});
dev.on('exit', (code, signal) => {
  current = null;
  process.exit(stopping && (code === 0 || signal) ? 0 : exitCodeOf(code, signal));
});

// A migration added while the server runs (a pull, another branch's work) is applied at once: wrangler dev
// reloads changed code but not the local schema, and the new code's queries would fail ("no such column")
// until a restart.
function watchMigrations() {
  const known = new Set(migrationFiles());
  let timer = null;
  watch(migrationsDir, () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      // A file still being written (empty) waits: wrangler would record it as applied by name alone.
      const added = migrationFiles().filter((f) => !known.has(f) && readFileSync(join(migrationsDir, f), 'utf8').trim() !== '');
      if (added.length === 0 || stopping) return;
      for (const f of added) known.add(f);
      console.log(`\n[chorus dev] New migration ${added.join(', ')}: applying it to the local D1`);
      wrangler(['d1', 'migrations', 'apply', 'DB', '--local']).on('close', (code) => {
        if (code !== 0) return console.log(`[chorus dev] Applying ${added.join(', ')} failed (exit ${code}). Stop the server and run \`npm run dev\` again.`);
        const edited = staleMigrations(); // records what the new files held when applied, so a later edit is noticed
        console.log(`[chorus dev] Applied; the worker reads the new schema now.${edited.length ? ` (${edited.join(', ')} changed after being applied: restart to see the warning.)` : ''}`);
      });
    }, 500);
  });
}

if (await waitForWorker(dev)) {
  await postDemoOrders();
  watchMigrations();
  console.log(banner(staleWarning));
} else if (dev.exitCode === null && dev.signalCode === null && !stopping) {
  console.error(`[chorus dev] The worker did not answer on ${ORIGIN} within ${READY_TIMEOUT_MS / 1000}s; see the wrangler output above.`);
}
