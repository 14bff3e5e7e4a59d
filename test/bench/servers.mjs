// The servers a benchmark scenario can target. Each is a Miniflare instance driven through its
// Node API (no `wrangler dev` proxy in front): requests from the load generator go straight to workerd.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { Log, LogLevel, Miniflare } from 'miniflare';
import { unstable_readConfig } from 'wrangler';
import { adminPost } from './api.mjs';
import { CF, ROOT, config } from './config.mjs';
import { background, pin } from './cpus.mjs';
import { countClicks, waitForClicks } from './d1.mjs';
import { ourWorkerdProcesses } from './procfs.mjs';

// Miniflare's own URL leads to its entry worker (core:entry), JavaScript in a second isolate on the same
// thread that copies each request (adding `cf`) and forwards it, and the response with its body, to the
// worker. Production has no such hop: Cloudflare's front line hands the request to the worker's isolate.
// Measured here, the hop cost about two thirds of the bare worker's time per request and its garbage
// collection showed up in everyone's p99, so by default every measured worker also gets a direct socket
// (Miniflare's unsafeDirectSockets: workerd's HTTP server bound to the worker itself) and load goes
// there. `--entry=miniflare` measures through the entry worker instead.
export function serverMode() {
  return config.entry === 'direct'
    ? 'Miniflare API (new Miniflare({...})), requests on a direct workerd socket to each worker: no wrangler dev proxy, no Miniflare entry worker'
    : "Miniflare API (new Miniflare({...})), requests through Miniflare's entry worker (--entry=miniflare): no wrangler dev proxy";
}

const BARE_SCRIPT = `export default {
  fetch() {
    return new Response(null, { status: 302, headers: { Location: 'https://shop.example/', 'Cache-Control': 'no-store' } });
  },
};`;

// Captures what the runtime says: Miniflare's own log lines (queue batches among them) and the
// worker's console output, so a run can report fallbacks, lost clicks and consumer batch timings.
class Runtime {
  constructor(name) {
    this.name = name;
    this.events = new Map(); // event name (from the worker's JSON log lines) -> count
    this.samples = new Map(); // event name -> first line seen
    this.otherLines = [];
    this.queueBatches = []; // { acked, total, ms, at }
    this.simulatorErrors = new Map(); // Miniflare warn/error kind -> { count, first }
    this.listeners = new Set(); // called with every JSON log event the worker prints
  }

  // Resolves with the first worker log event matching `predicate` (seen from now on), or null after timeoutMs.
  nextEvent(predicate, timeoutMs = 5_000) {
    return new Promise((resolve) => {
      const listener = (event) => {
        if (!predicate(event)) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(event);
      };
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        resolve(null);
      }, timeoutMs);
      timer.unref();
      this.listeners.add(listener);
    });
  }

  log() {
    const runtime = this;
    return new (class extends Log {
      logWithLevel(level, message) {
        // Strip ANSI colours before parsing.
        const plain = message.replace(/\x1b\[[0-9;]*m/g, '');
        const q = /^QUEUE (\S+) (\d+)\/(\d+)(?: \((\d+)ms\))?/.exec(plain);
        if (q) {
          runtime.queueBatches.push({ acked: Number(q[2]), total: Number(q[3]), ms: q[4] === undefined ? NaN : Number(q[4]), at: Date.now() });
          return;
        }
        if (level <= LogLevel.WARN) {
          // Count Miniflare's warnings/errors by kind (digits folded) and print each kind once, so a
          // simulator error repeated thousands of times under load cannot drown the report.
          const kind = plain.split('\n')[0].replace(/\d+/g, '#').slice(0, 160);
          const seen = runtime.simulatorErrors.get(kind);
          if (seen) seen.count++;
          else runtime.simulatorErrors.set(kind, { count: 1, first: plain.split('\n').slice(0, 3).join('\n') });
          if (!seen || config.verbose) super.logWithLevel(level, `[${runtime.name}] ${plain}${seen ? '' : '\n  (further messages of this kind are counted, not printed)'}`);
        } else if (config.verbose) super.logWithLevel(level, `[${runtime.name}] ${plain}`);
      }
    })(LogLevel.INFO);
  }

  handleStdio(stdout, stderr) {
    for (const stream of [stdout, stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => this.#line(line));
    }
  }

  // On a setup failure: whatever workerd and the worker printed, to stderr.
  dump() {
    for (const line of this.otherLines) process.stderr.write(`[${this.name}] ${line}\n`);
    for (const [event, sample] of this.samples) process.stderr.write(`[${this.name}] ${event} x ${this.events.get(event)}: ${sample}\n`);
  }

  #line(line) {
    if (config.verbose) process.stderr.write(`[${this.name}] ${line}\n`);
    // The worker's lines are JSON objects with an `event` (worker/lib/log.ts), possibly after a prefix.
    const brace = line.indexOf('{');
    if (brace >= 0) {
      try {
        const parsed = JSON.parse(line.slice(brace));
        const { event } = parsed;
        if (typeof event === 'string') {
          this.events.set(event, (this.events.get(event) ?? 0) + 1);
          if (!this.samples.has(event)) this.samples.set(event, line.slice(brace));
          for (const listener of this.listeners) listener(parsed);
          return;
        }
      } catch {
        // not one of ours; fall through
      }
    }
    if (line.trim() && this.otherLines.length < 20) this.otherLines.push(line);
  }
}

// `cpus`: 'server' for a workerd that answers measured requests, 'driver' for one working beside it (cpus.mjs).
// `measured`: the worker (by name; '' for a single-worker instance) whose URL this returns: with
// --entry=direct it gets a direct socket and that is the URL, else Miniflare's entry URL.
async function startMiniflare(name, { cpus = 'server', measured, ...options }) {
  const runtime = new Runtime(name);
  const workerdBefore = new Set(ourWorkerdProcesses().map((p) => p.pid));
  const direct = measured !== undefined && config.entry === 'direct';
  if (direct) {
    const socket = { unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }] };
    options = options.workers ? { ...options, workers: options.workers.map((w) => (w.name === measured ? { ...w, ...socket } : w)) } : { ...options, ...socket };
  }
  const mf = new Miniflare({
    host: '127.0.0.1',
    port: 0,
    logRequests: false,
    cf: CF,
    log: runtime.log(),
    handleRuntimeStdio: (stdout, stderr) => runtime.handleStdio(stdout, stderr),
    ...options,
  });
  try {
    const entryUrl = await mf.ready;
    const url = direct ? await mf.unsafeGetDirectURL(measured || undefined) : entryUrl;
    // The workerd process this instance started (it runs the worker, the queue broker and D1's SQLite): for memory readings.
    const workerdPid = ourWorkerdProcesses().find((p) => !workerdBefore.has(p.pid))?.pid ?? null;
    pin(workerdPid, cpus);
    if (cpus === 'driver') background(workerdPid);
    return { mf, url: url.href.replace(/\/$/, ''), runtime, workerdPid };
  } catch (e) {
    runtime.dump();
    await mf.dispose().catch(() => {});
    throw e;
  }
}

function wranglerConfig() {
  return unstable_readConfig({ config: path.join(ROOT, 'wrangler.toml') });
}

// --- bare: the machine's ceiling --------------------------------------------------------------

export async function startBare() {
  const wc = wranglerConfig();
  const { mf, url, runtime, workerdPid } = await startMiniflare('bare', {
    measured: '',
    name: 'bare',
    modules: true,
    script: BARE_SCRIPT,
    compatibilityDate: wc.compatibility_date,
    compatibilityFlags: wc.compatibility_flags,
  });
  const probe = await fetch(`${url}/r/probe`, { redirect: 'manual' });
  await probe.arrayBuffer();
  if (probe.status !== 302) throw new Error(`bare worker answered ${probe.status}, expected 302`);
  return {
    name: 'bare',
    url,
    runtime,
    workerdPid,
    context: {},
    describe: () => ['inline ES module returning a fixed 302 (Location https://shop.example/, Cache-Control no-store)'],
    async dispose() {
      await mf.dispose();
    },
  };
}

// --- chorus: the real worker, bundled by wrangler, bound as wrangler.toml binds it --------------

function run(cmd, args, opts) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${output}`))));
  });
}

// `entry` (relative to the repo root) replaces wrangler.toml's `main`, e.g. the instrumented bench entry.
async function bundleWorker(outdir, entry) {
  await run('npx', ['--no-install', 'wrangler', 'deploy', '--dry-run', '--outdir', outdir, ...(entry ? [entry] : [])], {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', CI: '1' },
  });
  // wrangler emits `<main basename>.js` (an ES module with every dependency inlined), its source map and a README.
  const files = (await readdir(outdir)).filter((f) => f.endsWith('.js'));
  if (files.length !== 1) throw new Error(`expected one .js bundle in ${outdir}, found: ${files.join(', ') || 'none'}`);
  const scriptPath = path.join(outdir, files[0]);
  const source = await readFile(scriptPath, 'utf8');
  // Runtime built-ins (node:* under nodejs_compat, cloudflare:*) are provided by workerd; anything else would need module rules.
  const foreign = [...source.matchAll(/^\s*import\s[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]).filter((s) => !/^(node|cloudflare|workerd):/.test(s));
  if (foreign.length) throw new Error(`bundle ${scriptPath} still imports ${foreign.join(', ')}; Miniflare would need module rules`);
  return scriptPath;
}

// One bundle per entry per run, shared by the servers that use it; prebundle() builds them all in
// parallel before anything is measured, so wrangler never competes with a measured run for the CPU.
const bundles = new Map(); // entry ('' = wrangler.toml's main) -> Promise<{ dir, scriptPath, bundleKiB }>

function bundleFor(entry = '') {
  if (!bundles.has(entry)) {
    bundles.set(
      entry,
      (async () => {
        const dir = await mkdtemp(path.join(tmpdir(), 'chorus-bench-bundle-'));
        const scriptPath = await bundleWorker(dir, entry || undefined);
        return { dir, scriptPath, bundleKiB: Math.round((await readFile(scriptPath)).length / 1024) };
      })(),
    );
  }
  return bundles.get(entry);
}

export async function prebundle(serverNames) {
  await Promise.all([...new Set(serverNames)].filter((n) => n in SERVER_ENTRIES).map((n) => bundleFor(SERVER_ENTRIES[n])));
}

export async function removeBundles() {
  const built = await Promise.allSettled(bundles.values());
  bundles.clear();
  await Promise.all(built.filter((b) => b.status === 'fulfilled').map((b) => rm(b.value.dir, { recursive: true, force: true })));
}

// The statements of each migration, in file-name order, split the way drizzle-kit writes them.
async function migrationStatements(dir) {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const statements = [];
  for (const file of files) {
    const sql = await readFile(path.join(dir, file), 'utf8');
    for (const part of sql.split('--> statement-breakpoint')) {
      if (part.trim()) statements.push({ file, sql: part.trim() });
    }
  }
  return statements;
}

const sha256Hex = (s) => createHash('sha256').update(s).digest('hex');

// A stand-in for the CLICKS producer (diagnostics only): accepts and drops every message, so a run
// shows what the redirect costs without Miniflare's local queue simulator behind it.
const STUB_QUEUE_WORKER = 'bench-stub-queue';
const STUB_QUEUE_SCRIPT = `export default function () {
  return { async send() {}, async sendBatch() {} };
}`;

// Commission tiers of the bench campaign's plan (10% from 0, 15% from 1,000.00, 20% from 5,000.00 a month):
// the conversion scenario crosses them, and its ledger check prices every order against them.
const BENCH_TIERS = [
  { fromMinor: 0, rateBps: 1_000 },
  { fromMinor: 100_000, rateBps: 1_500 },
  { fromMinor: 500_000, rateBps: 2_000 },
];
const BENCH_CODE = 'BENCH15';
const INSTRUMENTED_ENTRY = 'test/bench/instrumented-worker.mjs';

// Production's topology for the click pipeline (`splitConsumer`): on Cloudflare, `CLICKS.send()` hands the
// message to the Queues service and the consumer runs as its own invocation, never on the thread that is
// answering redirects. Locally both would share one workerd thread, so the consumer's D1 writes would be
// measured as redirect cost. Split, the edge instance's CLICKS is a producer that POSTs each message to a
// second Miniflare instance (its own workerd process), whose ingress worker puts it on a real local queue
// consumed by the same Chorus bundle writing to that instance's D1 (the edge's rows copied in first).
// The producer serializes each message when it is sent and keeps only the text, as workerd's Queue binding
// does. While a redirect scenario measures, the ingress holds what it receives and queues it only on
// release, after the load (`holdClicks` / `releaseClicks`, scenarios.mjs): on this 2-CPU machine the
// consumer's D1 writes otherwise share the machine with the measured thread, which production's never do.
const FORWARD_QUEUE_WORKER = 'bench-forward-queue';
const FORWARD_QUEUE_SCRIPT = `export default function (env) {
  // Serialized when sent (an async function runs up to its first await at once): only the text is kept.
  const post = async (messages) => {
    const res = await fetch(env.TARGET, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(messages) });
    await res.arrayBuffer();
    if (!res.ok) throw new Error('click queue ingress answered ' + res.status);
  };
  return { send: (body) => post([{ body }]), sendBatch: (messages) => post(messages.map((m) => ({ body: m.body }))) };
}`;
const QUEUE_INGRESS_WORKER = 'bench-queue-ingress';
const QUEUE_INGRESS_SCRIPT = `let held = null; // while the measured load runs: the POSTed bodies, not yet on the queue
export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname === '/hold') {
      held ??= [];
      return new Response(null, { status: 204 });
    }
    if (pathname === '/release') {
      const bodies = held ?? [];
      held = null;
      for (const body of bodies) await env.CLICKS.sendBatch(JSON.parse(body));
      return Response.json({ messages: bodies.length });
    }
    if (request.method !== 'POST') return new Response(null, { status: 405 });
    // The body is read before \`held\` is looked at: a release during the read must not leave it in a dropped array.
    const body = await request.text();
    if (held) held.push(body);
    else await env.CLICKS.sendBatch(JSON.parse(body));
    return new Response(null, { status: 204 });
  },
};`;

async function consumerCall(base, path) {
  const res = await fetch(`${base}${path}`, { method: 'POST' });
  const body = await res.text();
  if (!res.ok) throw new Error(`consumer ingress ${path} answered ${res.status}: ${body.slice(0, 200)}`);
  return body ? JSON.parse(body) : null;
}

// Every table's rows from one D1 to another (schema already migrated on both), foreign keys checked at commit.
async function copyRows(from, to) {
  const { results: tables } = await from.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'd1_%'").all();
  const inserts = [];
  for (const { name } of tables) {
    const { results: rows } = await from.prepare(`SELECT * FROM "${name}"`).all();
    for (const row of rows) {
      const cols = Object.keys(row);
      inserts.push(to.prepare(`INSERT INTO "${name}" (${cols.map((c) => `"${c}"`).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`).bind(...cols.map((c) => row[c])));
    }
  }
  await to.batch([to.prepare('PRAGMA defer_foreign_keys = ON'), ...inserts]);
  return inserts.length;
}

async function migrate(db, dir) {
  // Every migration statement in one batch (one round trip); on failure, one by one to name the culprit.
  const statements = await migrationStatements(dir);
  try {
    await db.batch(statements.map((s) => db.prepare(s.sql)));
  } catch {
    for (const s of statements) {
      try {
        await db.prepare(s.sql).run();
      } catch (e) {
        throw new Error(`migration ${s.file} failed at: ${s.sql.slice(0, 80)}...\n${e}`);
      }
    }
  }
}

/** @param {{ name?: string, stubQueue?: boolean, splitConsumer?: boolean, instrumented?: boolean, entry?: string }} [variant] `entry`: another build's entry, relative to the repo root (ab.mjs) */
export async function startChorus({ name = 'chorus', stubQueue = false, splitConsumer = false, instrumented = false, entry = '' } = {}) {
  const wc = wranglerConfig();
  const tmp = await mkdtemp(path.join(tmpdir(), 'chorus-bench-'));
  let mf;
  let runtime;
  let consumerSide = null; // splitConsumer: the Miniflare instance (own workerd) that queues and writes clicks
  try {
    const { scriptPath, bundleKiB } = await bundleFor(instrumented ? INSTRUMENTED_ENTRY : entry);

    const d1 = wc.d1_databases.find((d) => d.binding === 'DB');
    const producer = wc.queues.producers?.find((p) => p.binding === 'CLICKS');
    const consumer = wc.queues.consumers?.find((c) => c.queue === producer?.queue);
    if (!d1 || !producer || !consumer) throw new Error('wrangler.toml must bind D1 DB, queue producer CLICKS and a consumer of its queue');
    if (!wc.vars.SESSION_SECRET || wc.vars.SESSION_SECRET.length < 32) throw new Error('SESSION_SECRET in wrangler.toml must be >= 32 chars');

    const assets =
      config.withAssets && wc.assets
        ? { assets: { directory: path.resolve(ROOT, wc.assets.directory), binding: wc.assets.binding, routerConfig: { invoke_user_worker_ahead_of_assets: !!wc.assets.run_worker_first, has_user_worker: true } } }
        : {};

    // Every queue wrangler.toml declares, produced and consumed by this worker; the stub and split variants swap CLICKS.
    const consumerOptions = (c) => ({ maxBatchSize: c.max_batch_size, maxBatchTimeout: c.max_batch_timeout, maxRetries: c.max_retries, ...(c.retry_delay === undefined ? {} : { retryDelay: c.retry_delay }) });
    const swapped = stubQueue || splitConsumer;
    const queueOptions = (all) => {
      const producers = (wc.queues.producers ?? []).filter((p) => all || p.binding !== producer.binding);
      const consumers = (wc.queues.consumers ?? []).filter((c) => all || c.queue !== producer.queue);
      return {
        queueProducers: Object.fromEntries(producers.map((p) => [p.binding, { queueName: p.queue }])),
        queueConsumers: Object.fromEntries(consumers.map((c) => [c.queue, consumerOptions(c)])),
      };
    };
    const otherQueues = (wc.queues.producers ?? []).filter((p) => p.binding !== producer.binding).map((p) => `${p.binding} -> ${p.queue}`);
    const chorusWorker = (extra) => ({
      name: wc.name,
      modules: true,
      scriptPath,
      // Module names are paths relative to this root; the default (cwd) cannot reach the temp dir.
      modulesRoot: path.dirname(scriptPath),
      compatibilityDate: wc.compatibility_date,
      compatibilityFlags: wc.compatibility_flags,
      bindings: { ...wc.vars, ...config.varOverrides },
      d1Databases: { [d1.binding]: d1.database_id },
      // The code check and sign-in limiters, with wrangler.toml's limits (Miniflare keeps them in memory, per minute).
      ratelimits: Object.fromEntries((wc.ratelimits ?? []).map((r) => [r.name, { simple: r.simple }])),
      ...extra,
    });
    const migrationsDir = path.join(ROOT, d1.migrations_dir ?? 'migrations');

    if (splitConsumer) {
      // Off the edge's CPU, as on Cloudflare the consumer never runs on the thread answering redirects.
      consumerSide = await startMiniflare(`${name}-consumer`, {
        cpus: 'driver',
        d1Persist: path.join(tmp, 'd1-consumer'),
        workers: [
          { name: QUEUE_INGRESS_WORKER, modules: true, script: QUEUE_INGRESS_SCRIPT, queueProducers: { [producer.binding]: { queueName: producer.queue } } },
          chorusWorker(queueOptions(true)),
        ],
      });
      consumerSide.db = await consumerSide.mf.getD1Database(d1.binding, wc.name);
      await migrate(consumerSide.db, migrationsDir);
    }

    const worker = chorusWorker({
      ...queueOptions(!swapped),
      ...(stubQueue ? { wrappedBindings: { [producer.binding]: STUB_QUEUE_WORKER } } : {}),
      ...(splitConsumer ? { wrappedBindings: { [producer.binding]: { scriptName: FORWARD_QUEUE_WORKER, bindings: { TARGET: consumerSide.url } } } } : {}),
      ...assets,
    });
    const helper = stubQueue ? [{ name: STUB_QUEUE_WORKER, modules: true, script: STUB_QUEUE_SCRIPT }] : splitConsumer ? [{ name: FORWARD_QUEUE_WORKER, modules: true, script: FORWARD_QUEUE_SCRIPT }] : [];
    const started = await startMiniflare(name, {
      measured: wc.name,
      ...(config.inspectorPort ? { inspectorPort: config.inspectorPort } : {}),
      d1Persist: path.join(tmp, 'd1'),
      workers: [worker, ...helper],
    });
    mf = started.mf;
    runtime = started.runtime;
    const { url, workerdPid } = started;
    const db = await mf.getD1Database(d1.binding);
    await migrate(db, migrationsDir);

    // A brand and its admin key, written directly (nothing in the API creates brands yet).
    const now = Date.now();
    const brandId = 'brand_bench';
    const adminKey = `ck_admin_${randomBytes(24).toString('base64url')}`;
    await db.batch([
      db
        .prepare('INSERT INTO brands (id, slug, name, allowed_hosts, created_at) VALUES (?, ?, ?, ?, ?)')
        .bind(brandId, 'bench-shop', 'Bench Shop', JSON.stringify(['shop.example']), now),
      db
        .prepare('INSERT INTO api_keys (id, brand_id, scope, name, key_hash, prefix, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .bind('key_bench', brandId, 'admin', 'bench', sha256Hex(adminKey), adminKey.slice(0, 'ck_admin_'.length + 4), now),
    ]);

    // Everything else through the running worker's admin API, as an operator would.
    const plan = await adminPost(url, adminKey, 'commission-plans', { name: 'Bench tiers', tiers: BENCH_TIERS });
    const campaign = await adminPost(url, adminKey, 'campaigns', {
      name: 'Bench Campaign',
      slug: 'bench-campaign',
      hashtag: '#benchcampaign',
      defaultDestination: 'https://shop.example/products/serum',
      commissionPlanId: plan.id,
    });
    const creator = await adminPost(url, adminKey, 'creators', { email: 'bench.creator@example.com', handle: 'bench_creator', displayName: 'Bench Creator' });
    const enrollment = await adminPost(url, adminKey, 'enrollments', {
      campaignId: campaign.id,
      creatorId: creator.id,
      paymentModel: 'affiliate',
    });
    const link = await adminPost(url, adminKey, 'links', { enrollmentId: enrollment.id });
    const code = await adminPost(url, adminKey, 'codes', { enrollmentId: enrollment.id, code: BENCH_CODE, discountType: 'percent', discountValue: 15 });
    const storefrontKey = (await adminPost(url, adminKey, 'keys', { scope: 'storefront', name: 'bench storefront' })).key;
    // The ingest key is also the HMAC secret a store signs conversions with.
    const ingestKey = (await adminPost(url, adminKey, 'keys', { scope: 'ingest', name: 'bench ingest' })).key;
    // The consumer side writes clicks against the same links: it gets the edge's rows. Its D1 holds the
    // queued clicks; a batch the queue refused lands in the edge's own D1 (the redirect's fallback).
    const copied = splitConsumer ? await copyRows(db, consumerSide.db) : 0;
    const clicksDb = splitConsumer ? [consumerSide.db, db] : db;

    // Probe the redirect once and watch the click reach D1: proves the queue consumer is wired.
    const before = await countClicks(clicksDb);
    const probe = await fetch(`${url}/r/${link.slug}`, { redirect: 'manual', headers: { 'user-agent': 'Mozilla/5.0 (bench probe)', 'cf-connecting-ip': '198.51.100.1' } });
    await probe.arrayBuffer();
    const location = probe.headers.get('location') ?? '';
    if (probe.status !== 302 || !location.startsWith('https://shop.example/')) {
      throw new Error(`GET /r/${link.slug} answered ${probe.status} Location ${JSON.stringify(location)}; expected a 302 to https://shop.example/`);
    }
    if (!stubQueue) {
      const after = await waitForClicks(clicksDb, before + 1, 15_000);
      if (after < before + 1) throw new Error('the probe click did not reach D1 within 15 s: the queue consumer is not delivering');
    }

    return {
      name,
      url,
      runtime,
      db,
      // Where clicks land (both D1s when split) and who logs the consumer's batches.
      clicksDb,
      queueRuntime: consumerSide?.runtime ?? runtime,
      workerdPid,
      // splitConsumer only: the consumer's ingress holds what the redirect sends until released (see FORWARD_QUEUE_WORKER).
      holdClicks: consumerSide ? () => consumerCall(consumerSide.url, '/hold') : null,
      releaseClicks: consumerSide ? () => consumerCall(consumerSide.url, '/release') : null,
      instrumented,
      vars: worker.bindings,
      rateLimits: Object.fromEntries((wc.ratelimits ?? []).map((r) => [r.name, r.simple])),
      secretsKey: worker.bindings.SECRETS_KEY,
      context: { slug: link.slug, linkId: link.id, brandId, brandSlug: 'bench-shop', adminKey, storefrontKey, ingestKey, code: code.code, tiers: BENCH_TIERS, campaign, creator, enrollment, link },
      describe: () => [
        `bundle: wrangler deploy --dry-run --outdir <tmp>${instrumented ? ` ${INSTRUMENTED_ENTRY}` : ''} -> ${path.basename(scriptPath)} (one ES module, all deps inlined, ${bundleKiB} KiB)`,
        ...(instrumented ? ['INSTRUMENTED: requests sent with x-bench-request see env.DB through a counting proxy and log their D1 statement counts; other requests take the plain path'] : []),
        `bindings: D1 DB (persisted, temp dir), ` +
          (stubQueue
            ? `CLICKS -> stub producer whose send() drops the message (DIAGNOSTIC: no queue, no consumer, no clicks stored), `
            : splitConsumer
              ? `CLICKS -> producer POSTing each message to a second Miniflare instance (own workerd process, pid ${consumerSide.workerdPid ?? 'n/a'}) whose ingress puts it on queue ${producer.queue}, consumed there by the same bundle into that instance's D1 (${copied} rows copied from this one after seeding; maxBatchSize ${consumer.max_batch_size}, maxBatchTimeout ${consumer.max_batch_timeout}s, maxRetries ${consumer.max_retries}), `
              : `queue CLICKS -> ${producer.queue} consumed by the same worker (maxBatchSize ${consumer.max_batch_size}, maxBatchTimeout ${consumer.max_batch_timeout}s, maxRetries ${consumer.max_retries}), `) +
          (otherQueues.length ? `queues ${otherQueues.join(', ')} (same worker consumes), ` : '') +
          `vars ${Object.keys(wc.vars).join(', ')} (LINK_CACHE_TTL_MS=${wc.vars.LINK_CACHE_TTL_MS})` +
          (Object.keys(config.varOverrides).length ? ` OVERRIDDEN by BENCH_VARS ${JSON.stringify(config.varOverrides)}` : '') +
          ', ' +
          (assets.assets ? `ASSETS -> ${wc.assets.directory} (assets router in front, run_worker_first)` : 'ASSETS not bound (no measured route serves static files; BENCH_WITH_ASSETS=1 binds it)') +
          `, rate limits ${(wc.ratelimits ?? []).map((r) => `${r.name} ${r.simple.limit}/${r.simple.period}s`).join(', ')}`,
        `compat: ${wc.compatibility_date} [${wc.compatibility_flags.join(', ')}]`,
        `seed: brand + admin key via SQL; commission plan (10/15/20% tiers), campaign, creator, enrollment (affiliate, invited: the bench creator never accepts), link /r/${link.slug}, code ${code.code}, storefront and ingest keys via the admin API; ${stubQueue ? 'probe redirect answered 302' : 'probe click stored in D1 via the queue'}`,
      ],
      async dispose() {
        await mf.dispose();
        await consumerSide?.mf.dispose();
        await rm(tmp, { recursive: true, force: true });
      },
    };
  } catch (e) {
    if (mf) {
      runtime?.dump();
      await mf.dispose().catch(() => {});
    }
    if (consumerSide) {
      consumerSide.runtime.dump();
      await consumerSide.mf.dispose().catch(() => {});
    }
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

// The bundle entry each Chorus server runs ('' = wrangler.toml's main).
const SERVER_ENTRIES = { chorus: '', 'chorus-edge': '', 'chorus-stub-queue': '', 'chorus-instrumented': INSTRUMENTED_ENTRY };

export const SERVERS = {
  bare: () => startBare(),
  chorus: () => startChorus(),
  // The redirect as deployed: the click consumer in its own process (see FORWARD_QUEUE_SCRIPT).
  'chorus-edge': () => startChorus({ name: 'chorus-edge', splitConsumer: true }),
  'chorus-stub-queue': () => startChorus({ name: 'chorus-stub-queue', stubQueue: true }),
  // A separate instance for the one-shot scenarios (import, payouts): its own D1 and workerd process, so
  // memory readings are not mixed with the load scenarios', and D1 statement counts are observable.
  'chorus-instrumented': () => startChorus({ name: 'chorus-instrumented', instrumented: true }),
};
