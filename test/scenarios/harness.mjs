// Driver-side plumbing for the scenarios: prepare persisted state (bundle, migrations, brands), start the
// worker host as a separate OS process (and kill it hard), read D1 through it, send HTTP on 127.0.0.1 with
// latency kept, pace open-loop load, and summarise figures.
import { fork, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import http from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chorusSignature } from '../../scripts/signing.mjs';
import { migratedD1 } from '../support/migrated-d1.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const HOST_SCRIPT = fileURLToPath(new URL('./host.mjs', import.meta.url));

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------- State: bundle, migrate, seed brands --------------------------------------------------

// The project's pinned wrangler, run with this Node (no `npx`/shell in between to orphan).
function wranglerBin() {
  const pkgPath = createRequire(import.meta.url).resolve('wrangler/package.json');
  const { bin } = JSON.parse(readFileSync(pkgPath, 'utf8'));
  return path.join(path.dirname(pkgPath), typeof bin === 'string' ? bin : bin.wrangler);
}

function wrangler(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [wranglerBin(), ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: 'true', NO_COLOR: '1', WRANGLER_SEND_METRICS: 'false' },
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code, signal) => (code === 0 ? resolve(output) : reject(new Error(`wrangler ${args.join(' ')} exited ${code ?? signal}:\n${output}`))));
  });
}

const sql = (v) => (v === null ? 'NULL' : typeof v === 'number' ? String(v) : `'${String(v).replaceAll("'", "''")}'`);

/** A brand per scenario (tenancy keeps their figures apart), each with an admin key; everything else goes through the API. */
export function newBrand(slug) {
  return { id: `brand_${slug.replaceAll('-', '_')}`, slug, name: `Scenario ${slug}`, adminKey: `ck_admin_${randomBytes(24).toString('base64url')}` };
}

/** Bundles the worker and seeds a copy of the migrated D1 (test/support/migrated-d1.mjs), in parallel. */
export async function prepareState(brands) {
  const tmp = await mkdtemp(path.join(tmpdir(), 'chorus-scenarios-'));
  const persist = path.join(tmp, 'state');
  const outdir = path.join(tmp, 'bundle');
  const bundle = wrangler(['deploy', '--dry-run', '--outdir', outdir]).then(async () => {
    const files = (await readdir(outdir)).filter((f) => f.endsWith('.js'));
    if (files.length !== 1) throw new Error(`expected one .js bundle in ${outdir}, found: ${files.join(', ') || 'none'}`);
    return path.join(outdir, files[0]);
  });
  const seed = (async () => {
    await migratedD1(persist);
    const now = Date.now();
    const statements = brands.flatMap((b) => [
      `INSERT INTO brands (id, slug, name, allowed_hosts, currency, timezone, click_param, fallback_url, created_at) VALUES (${[b.id, b.slug, b.name, JSON.stringify(['shop.example']), 'USD', 'UTC', 'cid', null, now].map(sql).join(', ')});`,
      `INSERT INTO api_keys (id, brand_id, scope, name, key_hash, prefix, created_at) VALUES (${[`key_${b.id}`, b.id, 'admin', 'scenarios', createHash('sha256').update(b.adminKey).digest('hex'), b.adminKey.slice(0, 'ck_admin_'.length + 4), now].map(sql).join(', ')});`,
    ]);
    await wrangler(['d1', 'execute', 'DB', '--local', '--persist-to', persist, '--command', statements.join(' ')]);
  })();
  const [scriptPath] = await Promise.all([bundle, seed]);
  return { tmp, persist, scriptPath, cleanup: () => rm(tmp, { recursive: true, force: true }) };
}

// ---------- The worker host: a separate process group we can SIGKILL --------------------------------

export class WorkerHost {
  #child;
  #pending = new Map();
  #nextId = 1;
  #exited;

  constructor(child, url) {
    this.#child = child;
    this.url = url;
    this.pid = child.pid;
    this.alive = true;
    this.#exited = new Promise((resolve) => child.once('exit', resolve));
    child.once('exit', () => (this.alive = false));
    child.on('message', (msg) => {
      const waiter = this.#pending.get(msg.id);
      if (!waiter) return;
      this.#pending.delete(msg.id);
      if (msg.error) waiter.reject(new Error(msg.error));
      else waiter.resolve(msg);
    });
    child.once('exit', () => {
      for (const w of this.#pending.values()) w.reject(new Error('worker host exited'));
      this.#pending.clear();
    });
  }

  /**
   * Starts the worker on `state` as local development would run it, except ENVIRONMENT=scenarios (which
   * arms the test-only fault switches and nothing else) and `vars` (FAULT_*) overriding wrangler.toml [vars].
   * Outside local development a request that mails a link needs PUBLIC_ORIGIN (env.ts mailOrigin); the harness
   * sets one, as a deploy would, rather than the worker treating `scenarios` as local (its port is not known yet,
   * and no scenario follows a mailed link).
   */
  static async start(state, vars = {}) {
    const child = fork(HOST_SCRIPT, [JSON.stringify({ scriptPath: state.scriptPath, persist: state.persist, root: ROOT, vars: { ENVIRONMENT: 'scenarios', PUBLIC_ORIGIN: 'https://chorus.scenarios.test', ...vars } })], {
      cwd: ROOT,
      // Its own process group: a crash test kills this host and its workerd together, and nothing else.
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, NO_COLOR: '1', WRANGLER_SEND_METRICS: 'false' },
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker host did not start in 60 s\n${stderr}`)), 60_000);
      child.once('message', (msg) => {
        clearTimeout(timer);
        if (msg.type === 'ready') resolve(msg.url);
        else reject(new Error(`worker host failed: ${msg.error}\n${stderr}`));
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`worker host exited ${code} before it was ready\n${stderr}`));
      });
    });
    if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) throw new Error(`worker host is not on 127.0.0.1: ${url}`);
    return new WorkerHost(child, url);
  }

  #call(body) {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#child.send({ id, ...body });
    });
  }

  /** Read-only SQL on the worker's D1 (rows as objects). */
  async query(text, params = []) {
    return (await this.#call({ type: 'query', sql: text, params })).rows;
  }

  /** Worker log events (fault_injected, storage_error, click_lost, ...) and queue batches seen since start. */
  async stats() {
    return (await this.#call({ type: 'stats' })).stats;
  }

  async stop() {
    await this.#call({ type: 'stop' }).catch(() => {});
    await Promise.race([this.#exited, sleep(10_000)]);
    this.kill();
  }

  /** A hard crash: SIGKILL to the host's process group (the host and workerd), no cleanup of any kind. */
  kill() {
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    return this.#exited;
  }
}

// ---------- HTTP on 127.0.0.1 ------------------------------------------------------------------------

// A connection per request: with keep-alive, workerd's 5 s idle timer (kj) races a reused socket whenever
// its single thread is starved for seconds, and the client sees resets that say nothing about Chorus.
const agent = new http.Agent({ keepAlive: false, maxSockets: 512 });

/**
 * One request without following redirects. Never throws: a connection failure is status 0 (a store or a
 * browser sees it as a network error). `ms` is the wall time to the full response.
 */
export function request(base, path, { method = 'GET', headers = {}, body, timeoutMs = 30_000 } = {}) {
  const url = new URL(path, base);
  if (url.hostname !== '127.0.0.1') throw new Error(`scenario traffic goes to 127.0.0.1 only, not ${url.hostname}`);
  return new Promise((resolve) => {
    const started = performance.now();
    const done = (result) => resolve({ ms: performance.now() - started, ...result });
    const req = http.request(url, { method, agent, headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (e) => done({ status: 0, error: String(e), headers: {}, body: '' }));
    });
    req.on('error', (e) => done({ status: 0, error: String(e), headers: {}, body: '' }));
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export const json = (res) => {
  try {
    return JSON.parse(res.body);
  } catch {
    return null;
  }
};

/** Admin API calls; anything but the expected status fails. Reads are retried on 503 like any careful client. */
export function adminApi(getBase, key) {
  return async (method, route, body, expect = method === 'POST' ? 201 : 200) => {
    for (let attempt = 1; ; attempt++) {
      const res = await request(getBase(), `/api/admin/${route}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (method === 'GET' && (res.status === 503 || res.status === 0) && attempt < 10) {
        await sleep(100 * attempt);
        continue;
      }
      if (res.status !== expect) throw new Error(`${method} /api/admin/${route} answered ${res.status}: ${res.body.slice(0, 500)}`);
      return res.headers['content-type']?.includes('json') ? json(res).data : res.body;
    }
  };
}

/** Every row of a paged admin list (`route` may carry its own filters), following nextCursor. */
export function adminList(getBase, key) {
  return async (route) => {
    const rows = [];
    let cursor = null;
    do {
      const sep = route.includes('?') ? '&' : '?';
      const res = await request(getBase(), `/api/admin/${route}${sep}limit=200${cursor ? `&cursor=${cursor}` : ''}`, { method: 'GET', headers: { authorization: `Bearer ${key}` } });
      if (res.status !== 200) throw new Error(`GET /api/admin/${route} answered ${res.status}: ${res.body.slice(0, 500)}`);
      const page = json(res);
      rows.push(...page.data);
      cursor = page.nextCursor;
    } while (cursor);
    return rows;
  };
}

/** A signed store call, exactly as the README shows it (Chorus-Account + Chorus-Signature over "t.body"). */
export function signedPost(base, route, account, secret, raw) {
  return request(base, route, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'chorus-account': account, 'chorus-signature': chorusSignature(secret, raw) },
    body: raw,
  });
}

// ---------- Load shaping -----------------------------------------------------------------------------

/**
 * Open-loop load: `fire(i)` is started on schedule at `perSecond`, whether or not earlier ones finished,
 * so latency is measured at a fixed offered load (a closed loop would hide queueing). Bounded by both
 * duration and count; resolves when every started call has settled.
 */
export async function atRate({ perSecond, durationMs, maxCount = Infinity, fire, stop = () => false }) {
  const started = performance.now();
  const total = Math.min(maxCount, Math.floor((perSecond * durationMs) / 1000));
  const inFlight = new Set();
  for (let i = 0; i < total && !stop(); i++) {
    const due = started + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const p = Promise.resolve(fire(i)).finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  return performance.now() - started;
}

/**
 * A phase compared with a baseline at the same offered load: the baseline runs for half its time just before
 * the phase and half just after, into one tally, so a shared machine that slows down or speeds up during the
 * run moves both sides of the comparison alike. Returns what `phase` returns.
 */
export async function bracketed(baselineMs, baseline, phase) {
  await baseline(baselineMs / 2);
  const result = await phase();
  await baseline(baselineMs / 2);
  return result;
}

/** Runs `work(item)` over `items` with at most `concurrency` at a time. */
export async function inPool(items, concurrency, work) {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await work(items[i], i);
    }
  });
  await Promise.all(lanes);
}

// ---------- Figures ------------------------------------------------------------------------------------

export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

let seenNetworkErrors = {};

/** Status counts and latencies per kind of request. */
export class Tally {
  /** Network errors by kind across every tally since the last reset (for the report). */
  static networkErrors(reset = false) {
    const seen = Object.keys(seenNetworkErrors).length ? seenNetworkErrors : undefined;
    if (reset) seenNetworkErrors = {};
    return seen;
  }

  constructor() {
    this.kinds = new Map();
  }

  add(kind, res) {
    let k = this.kinds.get(kind);
    if (!k) this.kinds.set(kind, (k = { statuses: {}, ms: [] }));
    const key = String(res.status);
    if (res.status === 0) {
      const kind = String(res.error).replace(/\d+/g, '#');
      seenNetworkErrors[kind] = (seenNetworkErrors[kind] ?? 0) + 1;
    }
    k.statuses[key] = (k.statuses[key] ?? 0) + 1;
    k.ms.push(res.ms);
    return res;
  }

  count(kind, predicate = () => true) {
    const k = this.kinds.get(kind);
    if (!k) return 0;
    return Object.entries(k.statuses).reduce((n, [s, c]) => n + (predicate(Number(s)) ? c : 0), 0);
  }

  p(kind, q) {
    return percentile(this.kinds.get(kind)?.ms ?? [], q);
  }

  requests() {
    let n = 0;
    for (const k of this.kinds.values()) n += k.ms.length;
    return n;
  }

  statusCounts() {
    const all = {};
    for (const k of this.kinds.values()) for (const [s, c] of Object.entries(k.statuses)) all[s] = (all[s] ?? 0) + c;
    return all;
  }

  fiveXx() {
    let n = 0;
    for (const kind of this.kinds.keys()) n += this.count(kind, (s) => s >= 500);
    return n;
  }
}

export const ms = (v) => (Number.isFinite(v) ? `${v.toFixed(1)}` : '-');
