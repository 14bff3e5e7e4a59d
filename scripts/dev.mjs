// `npm run dev`: migrate the local D1, seed the demo brand, start `wrangler dev`, then print how to try it.
// Node built-ins only. Local state lives in .wrangler/state; delete that directory to start from scratch.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { constants, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { demo, seedSql } from './seed.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PORT = 8787;
const ORIGIN = `http://localhost:${PORT}`;
const READY_TIMEOUT_MS = 120_000;

let current = null; // the wrangler child running right now, so signals reach it
let stopping = false;

function wrangler(args, { interactive = false } = {}) {
  return spawn('npx', ['wrangler', ...args], {
    cwd: root,
    // Setup steps get no stdin and CI=true: wrangler then answers its confirmation prompts
    // ("About to apply N migration(s) ... continue?") with the default instead of waiting for a keypress.
    stdio: interactive ? 'inherit' : ['ignore', 'inherit', 'inherit'],
    env: interactive ? process.env : { ...process.env, CI: 'true' },
    shell: process.platform === 'win32', // npx is npx.cmd there
  });
}

function exitCodeOf(code, signal) {
  return signal ? 128 + (constants.signals[signal] ?? 1) : (code ?? 1);
}

function run(args) {
  return new Promise((resolvePromise, reject) => {
    const child = wrangler(args);
    current = child;
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      current = null;
      resolvePromise(exitCodeOf(code, signal));
    });
  });
}

async function step(label, args, hint) {
  console.log(`\n[chorus dev] ${label}: npx wrangler ${args.join(' ')}`);
  const code = await run(args);
  if (stopping) process.exit(code || 130);
  if (code !== 0) {
    console.error(`\n[chorus dev] ${label} failed (exit ${code}).${hint ? ` ${hint}` : ''}`);
    process.exit(code);
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

function banner() {
  const width = 78;
  const rule = '─'.repeat(width);
  const keyRows = Object.entries(demo.keys).map(([scope, key]) => `    ${scope.padEnd(11)} ${key}`);
  return [
    '',
    rule,
    `  Chorus is running at ${ORIGIN}`,
    '',
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
    '  Run the cron handler once:',
    `    curl "${ORIGIN}/__scheduled?cron=*/15+*+*+*+*"`,
    '',
    '  Creator portal logins arrive with the portal. Demo creator accounts:',
    `    ${demo.creators.map((c) => c.email).join(', ')}`,
    `  Brand owner (admin login arrives with the admin UI): ${demo.adminUser.email}`,
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

const seedDir = await mkdtemp(join(tmpdir(), 'chorus-seed-'));
try {
  const seedFile = join(seedDir, 'seed.sql');
  await writeFile(seedFile, seedSql());
  await step('Seeding demo data (idempotent)', ['d1', 'execute', 'DB', '--local', '--file', seedFile],
    'If you created conflicting rows by hand, delete .wrangler/state to start from a clean database.');
} finally {
  await rm(seedDir, { recursive: true, force: true });
}

console.log(`\n[chorus dev] Starting the worker: npx wrangler dev --test-scheduled --port ${PORT}\n`);
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

if (await waitForWorker(dev)) {
  console.log(banner());
} else if (dev.exitCode === null && dev.signalCode === null && !stopping) {
  console.error(`[chorus dev] The worker did not answer on ${ORIGIN} within ${READY_TIMEOUT_MS / 1000}s; see the wrangler output above.`);
}
