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
import { ROOT, config } from './config.mjs';
import { countClicks, waitForClicks } from './d1.mjs';

export const SERVER_MODE = 'Miniflare API (new Miniflare({...}), workerd direct, no wrangler dev proxy)';

// A fixed `cf` object: Miniflare would otherwise try to download one, and the redirect reads cf.country.
const CF = { country: 'US', colo: 'LOCAL', asn: 64496, clientTcpRtt: 0, httpProtocol: 'HTTP/1.1' };

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
    const brace = line.indexOf('{"event"');
    if (brace >= 0) {
      try {
        const { event } = JSON.parse(line.slice(brace));
        this.events.set(event, (this.events.get(event) ?? 0) + 1);
        if (!this.samples.has(event)) this.samples.set(event, line.slice(brace));
        return;
      } catch {
        // not one of ours; fall through
      }
    }
    if (line.trim() && this.otherLines.length < 20) this.otherLines.push(line);
  }
}

async function startMiniflare(name, options) {
  const runtime = new Runtime(name);
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
    const url = await mf.ready;
    return { mf, url: url.href.replace(/\/$/, ''), runtime };
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
  const { mf, url, runtime } = await startMiniflare('bare', {
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

async function bundleWorker(outdir) {
  await run('npx', ['--no-install', 'wrangler', 'deploy', '--dry-run', '--outdir', outdir], {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', CI: '1' },
  });
  // wrangler emits `<main basename>.js` (an ES module with every dependency inlined), its source map and a README.
  const files = (await readdir(outdir)).filter((f) => f.endsWith('.js'));
  if (files.length !== 1) throw new Error(`expected one .js bundle in ${outdir}, found: ${files.join(', ') || 'none'}`);
  const scriptPath = path.join(outdir, files[0]);
  const source = await readFile(scriptPath, 'utf8');
  if (/^\s*import\s/m.test(source)) throw new Error(`bundle ${scriptPath} still has import statements; Miniflare would need module rules`);
  return scriptPath;
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

async function adminPost(url, key, route, body) {
  const res = await fetch(`${url}/api/admin/${route}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`POST /api/admin/${route} answered ${res.status}: ${text}`);
  return JSON.parse(text).data;
}

// A stand-in for the CLICKS producer (diagnostics only): accepts and drops every message, so a run
// shows what the redirect costs without Miniflare's local queue simulator behind it.
const STUB_QUEUE_WORKER = 'bench-stub-queue';
const STUB_QUEUE_SCRIPT = `export default function () {
  return { async send() {}, async sendBatch() {} };
}`;

/** @param {{ name?: string, stubQueue?: boolean }} [variant] */
export async function startChorus({ name = 'chorus', stubQueue = false } = {}) {
  const wc = wranglerConfig();
  const tmp = await mkdtemp(path.join(tmpdir(), 'chorus-bench-'));
  let mf;
  let runtime;
  try {
    const scriptPath = await bundleWorker(path.join(tmp, 'bundle'));
    const bundleKiB = Math.round((await readFile(scriptPath)).length / 1024);

    const d1 = wc.d1_databases.find((d) => d.binding === 'DB');
    const producer = wc.queues.producers?.find((p) => p.binding === 'CLICKS');
    const consumer = wc.queues.consumers?.find((c) => c.queue === producer?.queue);
    if (!d1 || !producer || !consumer) throw new Error('wrangler.toml must bind D1 DB, queue producer CLICKS and a consumer of its queue');
    if (!wc.vars.SESSION_SECRET || wc.vars.SESSION_SECRET.length < 32) throw new Error('SESSION_SECRET in wrangler.toml must be >= 32 chars');

    const assets =
      config.withAssets && wc.assets
        ? { assets: { directory: path.resolve(ROOT, wc.assets.directory), binding: wc.assets.binding, routerConfig: { invoke_user_worker_ahead_of_assets: !!wc.assets.run_worker_first, has_user_worker: true } } }
        : {};

    const queueOptions = stubQueue
      ? { wrappedBindings: { [producer.binding]: STUB_QUEUE_WORKER } }
      : {
          queueProducers: { [producer.binding]: { queueName: producer.queue } },
          queueConsumers: {
            [consumer.queue]: {
              maxBatchSize: consumer.max_batch_size,
              maxBatchTimeout: consumer.max_batch_timeout,
              maxRetries: consumer.max_retries,
            },
          },
        };
    const worker = {
      name: wc.name,
      modules: true,
      scriptPath,
      // Module names are paths relative to this root; the default (cwd) cannot reach the temp dir.
      modulesRoot: path.dirname(scriptPath),
      compatibilityDate: wc.compatibility_date,
      compatibilityFlags: wc.compatibility_flags,
      bindings: { ...wc.vars, ...config.varOverrides },
      d1Databases: { [d1.binding]: d1.database_id },
      ...queueOptions,
      ...assets,
    };
    const started = await startMiniflare(name, {
      ...(config.inspectorPort ? { inspectorPort: config.inspectorPort } : {}),
      d1Persist: path.join(tmp, 'd1'),
      workers: stubQueue ? [worker, { name: STUB_QUEUE_WORKER, modules: true, script: STUB_QUEUE_SCRIPT }] : [worker],
    });
    mf = started.mf;
    runtime = started.runtime;
    const { url } = started;
    const db = await mf.getD1Database(d1.binding);

    // Schema.
    const statements = await migrationStatements(path.join(ROOT, d1.migrations_dir ?? 'migrations'));
    for (const s of statements) {
      try {
        await db.prepare(s.sql).run();
      } catch (e) {
        throw new Error(`migration ${s.file} failed at: ${s.sql.slice(0, 80)}...\n${e}`);
      }
    }

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
    const campaign = await adminPost(url, adminKey, 'campaigns', {
      name: 'Bench Campaign',
      slug: 'bench-campaign',
      hashtag: '#benchcampaign',
      defaultDestination: 'https://shop.example/products/serum',
    });
    const creator = await adminPost(url, adminKey, 'creators', { email: 'bench.creator@example.com', handle: 'bench_creator', displayName: 'Bench Creator' });
    const enrollment = await adminPost(url, adminKey, 'enrollments', {
      campaignId: campaign.id,
      creatorId: creator.id,
      paymentModel: 'affiliate',
      status: 'active',
    });
    const link = await adminPost(url, adminKey, 'links', { enrollmentId: enrollment.id });

    // Probe the redirect once and watch the click reach D1: proves the queue consumer is wired.
    const before = await countClicks(db);
    const probe = await fetch(`${url}/r/${link.slug}`, { redirect: 'manual', headers: { 'user-agent': 'Mozilla/5.0 (bench probe)', 'cf-connecting-ip': '198.51.100.1' } });
    await probe.arrayBuffer();
    const location = probe.headers.get('location') ?? '';
    if (probe.status !== 302 || !location.startsWith('https://shop.example/')) {
      throw new Error(`GET /r/${link.slug} answered ${probe.status} Location ${JSON.stringify(location)}; expected a 302 to https://shop.example/`);
    }
    if (!stubQueue) {
      const after = await waitForClicks(db, before + 1, 15_000);
      if (after < before + 1) throw new Error('the probe click did not reach D1 within 15 s: the queue consumer is not delivering');
    }

    return {
      name,
      url,
      runtime,
      db,
      context: { slug: link.slug, linkId: link.id, brandId, adminKey, campaign, creator, enrollment, link },
      describe: () => [
        `bundle: wrangler deploy --dry-run --outdir <tmp> -> ${path.basename(scriptPath)} (one ES module, all deps inlined, ${bundleKiB} KiB)`,
        `bindings: D1 DB (persisted, temp dir), ` +
          (stubQueue
            ? `CLICKS -> stub producer whose send() drops the message (DIAGNOSTIC: no queue, no consumer, no clicks stored), `
            : `queue CLICKS -> ${producer.queue} consumed by the same worker (maxBatchSize ${consumer.max_batch_size}, maxBatchTimeout ${consumer.max_batch_timeout}s, maxRetries ${consumer.max_retries}), `) +
          `vars ${Object.keys(wc.vars).join(', ')} (LINK_CACHE_TTL_MS=${wc.vars.LINK_CACHE_TTL_MS})` +
          (Object.keys(config.varOverrides).length ? ` OVERRIDDEN by BENCH_VARS ${JSON.stringify(config.varOverrides)}` : '') +
          ', ' +
          (assets.assets ? `ASSETS -> ${wc.assets.directory} (assets router in front, run_worker_first)` : 'ASSETS not bound (the redirect never uses it; BENCH_WITH_ASSETS=1 binds it)'),
        `compat: ${wc.compatibility_date} [${wc.compatibility_flags.join(', ')}]`,
        `seed: brand + admin key via SQL; campaign, creator, enrollment (affiliate, active), link /r/${link.slug} via the admin API; ${stubQueue ? 'probe redirect answered 302' : 'probe click stored in D1 via the queue'}`,
      ],
      async dispose() {
        await mf.dispose();
        await rm(tmp, { recursive: true, force: true });
      },
    };
  } catch (e) {
    if (mf) {
      runtime?.dump();
      await mf.dispose().catch(() => {});
    }
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

export const SERVERS = {
  bare: () => startBare(),
  chorus: () => startChorus(),
  'chorus-stub-queue': () => startChorus({ name: 'chorus-stub-queue', stubQueue: true }),
};
