// The real Chorus worker and a real Chromium for the browser stories.
//
// startChorus():
//   1. a fresh temp dir holding a copy of a local D1 that `wrangler d1 migrations apply DB --local` (the
//      same command a developer runs) migrated once for this set of migrations (test/support/migrated-d1.mjs),
//      then one brand and its admin key written with `wrangler d1 execute` (nothing in the API creates
//      brands), and when asked an owner admin user with a password for the console;
//   2. meanwhile `wrangler deploy --dry-run --outdir <dir>/bundle` bundles worker/index.ts once;
//   3. the bundle runs in workerd through the Miniflare API with every binding wrangler.toml declares
//      (D1 on the migrated dir, the CLICKS queue and its consumer, the rate limiters, portal assets,
//      [vars]), read by wrangler's own unstable_getMiniflareWorkerOptions, on 127.0.0.1 and a free port.
// Unlike `wrangler dev` nothing watches the source tree, so an edit made while the tests run cannot
// reload the worker under them. stop() disposes Miniflare (which ends workerd) and removes the dir.
//
// launchBrowser(): the system Chromium through playwright-core; Playwright gives it a temp profile.
import { spawn } from 'node:child_process';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Log, LogLevel, Miniflare } from 'miniflare';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import { migratedD1 } from '../support/migrated-d1.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// `alsoIn`: other brands where the same email and password hold a console account (an agency's team).
export type ConsoleOwner = { email: string; name: string; password: string; alsoIn?: { id: string; slug: string; name: string; role: 'owner' | 'manager' | 'viewer' }[] };

export type ChorusServer = {
  url: string;
  brand: { id: string; slug: string; name: string };
  adminKey: string;
  /** The console owner seeded when startChorus({ owner }) asked for one. */
  owner: ConsoleOwner | null;
  /** What workerd and the worker printed (console output, unhandled errors), for failure messages. */
  output: () => string;
  /** The links mailed to `to`, oldest first, once there are at least `count` (locally a message is a
   * `message_sent` log line, worker/lib/messages.ts, which reaches us a moment after the response). */
  mailedLinks: (to: string, count?: number, waitMs?: number) => Promise<string[]>;
  /** The worker's D1, for a story to set up what no API makes (entries in a month already over). */
  db: () => Promise<D1Database>;
  stop: () => Promise<void>;
};

// The console owner most stories sign in as.
export const CONSOLE_OWNER: ConsoleOwner = { email: 'ines.moreau@fernway.example', name: 'Inès Moreau', password: 'night balm, fragrance free' };

// The admin API of a started server, as a store's backend calls it: the `data` of a 2xx answer, or an error
// naming the call and what it answered.
export async function adminApi<T>(server: Pick<ChorusServer, 'url' | 'adminKey'>, method: string, route: string, body?: unknown): Promise<T> {
  const res = await fetch(`${server.url}/api/admin${route}`, {
    method,
    headers: { authorization: `Bearer ${server.adminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} /api/admin${route} answered ${res.status}: ${text}`);
  return (JSON.parse(text) as { data: T }).data;
}

// A 10 % campaign (30 days' holding) with one creator, Maya, enrolled on it with the code MAYA15, and an ingest
// key for the store's orders: the start of the stories about what her orders earn.
export async function mayaWithCode(server: Pick<ChorusServer, 'url' | 'adminKey'>) {
  const plan = await adminApi<{ id: string }>(server, 'POST', '/commission-plans', { name: 'Standard', period: 'month', tiers: [{ fromMinor: 0, rateBps: 1000 }] });
  const campaign = await adminApi<{ id: string }>(server, 'POST', '/campaigns', { name: 'Spring Ritual', slug: 'spring-ritual', hashtag: '#SpringRitual', defaultDestination: 'https://fernway.example/night-balm', commissionPlanId: plan.id, holdingDays: 30 });
  const ingest = await adminApi<{ key: string }>(server, 'POST', '/keys', { scope: 'ingest', name: 'e2e store' });
  const email = 'maya.lindqvist@creators.example';
  const creator = await adminApi<{ id: string }>(server, 'POST', '/creators', { email, handle: 'maya_moss', displayName: 'Maya Lindqvist' });
  const enrollment = await adminApi<{ id: string }>(server, 'POST', '/enrollments', { campaignId: campaign.id, creatorId: creator.id, paymentModel: 'affiliate' });
  await adminApi(server, 'POST', '/codes', { enrollmentId: enrollment.id, code: 'MAYA15', discountType: 'percent', discountValue: 15 });
  return { campaign, ingest, email, creator, enrollment };
}

// The project's pinned wrangler, run with this Node (no `npx`/shell in between to orphan).
function wranglerBin(): string {
  const pkgPath = createRequire(import.meta.url).resolve('wrangler/package.json');
  const { bin } = JSON.parse(readFileSync(pkgPath, 'utf8')) as { bin: string | Record<string, string> };
  return path.join(path.dirname(pkgPath), typeof bin === 'string' ? bin : bin.wrangler!);
}

function wrangler(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    // CI=true: no prompts (migrations apply asks for confirmation otherwise), no interactive UI.
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

const sql = (v: string | number | null) => (v === null ? 'NULL' : typeof v === 'number' ? String(v) : `'${v.replaceAll("'", "''")}'`);

async function bundle(outdir: string): Promise<string> {
  await wrangler(['deploy', '--dry-run', '--outdir', outdir]);
  const files = (await readdir(outdir)).filter((f) => f.endsWith('.js'));
  if (files.length !== 1) throw new Error(`expected one .js bundle in ${outdir}, found: ${files.join(', ') || 'none'}`);
  return path.join(outdir, files[0]!);
}

const b64url = (buf: Buffer) => buf.toString('base64url');

// The stored format of worker/lib/passwords.ts (as scripts/seed.mjs writes it), with the production iteration count.
function passwordHash(password: string): string {
  const salt = randomBytes(16);
  const hash = pbkdf2Sync(password.normalize('NFKC'), salt, 100_000, 32, 'sha256');
  return `pbkdf2_sha256$100000$${b64url(salt)}$${b64url(hash)}`;
}

async function migrateAndSeed(persist: string, brand: ChorusServer['brand'], adminKey: string, owner: ConsoleOwner | null) {
  await migratedD1(persist);
  const now = Date.now();
  const keyHash = createHash('sha256').update(adminKey).digest('hex');
  const statements = [
    `INSERT INTO brands (id, slug, name, allowed_hosts, currency, timezone, click_param, fallback_url, created_at) VALUES (${[brand.id, brand.slug, brand.name, JSON.stringify(['fernway.example', '*.fernway.example']), 'USD', 'UTC', 'cid', null, now].map(sql).join(', ')});`,
    `INSERT INTO api_keys (id, brand_id, scope, name, key_hash, prefix, created_at) VALUES (${['key_e2e_admin', brand.id, 'admin', 'e2e', keyHash, adminKey.slice(0, 'ck_admin_'.length + 4), now].map(sql).join(', ')});`,
  ];
  if (owner) {
    statements.push(`INSERT INTO admin_users (id, brand_id, email, name, role, password_hash, created_at) VALUES (${['adm_e2e_owner', brand.id, owner.email, owner.name, 'owner', passwordHash(owner.password), now].map(sql).join(', ')});`);
    for (const [i, other] of (owner.alsoIn ?? []).entries()) {
      statements.push(
        `INSERT INTO brands (id, slug, name, allowed_hosts, currency, timezone, click_param, fallback_url, created_at) VALUES (${[other.id, other.slug, other.name, '[]', 'USD', 'UTC', 'cid', null, now + 1 + i].map(sql).join(', ')});`,
        `INSERT INTO admin_users (id, brand_id, email, name, role, password_hash, created_at) VALUES (${[`adm_e2e_${other.slug}`, other.id, owner.email, owner.name, other.role, passwordHash(owner.password), now + 1 + i].map(sql).join(', ')});`,
      );
    }
  }
  await wrangler(['d1', 'execute', 'DB', '--local', '--persist-to', persist, '--command', statements.join(' ')]);
}

export type ChorusOptions = { owner?: ConsoleOwner; vars?: Record<string, string> };

// `vars` override wrangler.toml's [vars] for this run (e.g. a shorter webhook retry step).
export async function startChorus(opts: ChorusOptions = {}): Promise<ChorusServer> {
  const tmp = await mkdtemp(path.join(tmpdir(), 'chorus-e2e-'));
  const persist = path.join(tmp, 'state');
  const brand = { id: 'brand_e2e', slug: 'fernway', name: 'Fernway Botanicals' };
  const adminKey = `ck_admin_${randomBytes(24).toString('base64url')}`;
  const lines: string[] = [];
  const keep = (line: string) => {
    if (line.trim()) lines.push(line.replace(/\x1b\[[0-9;]*m/g, ''));
    if (lines.length > 400) lines.splice(0, lines.length - 400);
  };
  let mf: Miniflare | undefined;
  try {
    const [scriptPath] = await Promise.all([bundle(path.join(tmp, 'bundle')), migrateAndSeed(persist, brand, adminKey, opts.owner ?? null)]);
    const { workerOptions } = unstable_getMiniflareWorkerOptions(path.join(ROOT, 'wrangler.toml'));
    const { modulesRules: _rules, ...bindings } = workerOptions;
    mf = new Miniflare({
      host: '127.0.0.1',
      port: 0,
      // A fixed `cf` object: Miniflare would otherwise try to download one.
      cf: { country: 'US', colo: 'LOCAL', asn: 64496, clientTcpRtt: 0, httpProtocol: 'HTTP/1.1' },
      // Where `wrangler d1 ... --persist-to <persist>` keeps D1.
      d1Persist: path.join(persist, 'v3', 'd1'),
      log: new (class extends Log {
        override logWithLevel(level: LogLevel, message: string) {
          if (level <= LogLevel.WARN) keep(message);
        }
      })(LogLevel.WARN),
      handleRuntimeStdio: (stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) => {
        for (const stream of [stdout, stderr]) readline.createInterface({ input: stream }).on('line', keep);
      },
      workers: [
        {
          ...bindings,
          bindings: { ...bindings.bindings, ...opts.vars },
          name: 'chorus',
          modules: true,
          scriptPath,
          modulesRoot: path.dirname(scriptPath),
        },
      ],
    });
    const url = (await mf.ready).href.replace(/\/$/, '');
    const health = await fetch(`${url}/healthz`);
    if (health.status !== 200) throw new Error(`GET /healthz answered ${health.status}: ${await health.text()}`);
    const running = mf;
    return {
      url,
      brand,
      adminKey,
      owner: opts.owner ?? null,
      output: () => lines.join('\n'),
      async mailedLinks(to, count = 1, waitMs = 5_000) {
        const links = () =>
          lines.flatMap((line) => {
            const at = line.indexOf('{"');
            if (at < 0 || !line.includes('"message_sent"')) return [];
            const { fields } = JSON.parse(line.slice(at)) as { fields?: { to?: string; text?: string } };
            const url = fields?.to === to ? /https?:\/\/\S+/.exec(fields.text ?? '')?.[0] : undefined;
            return url ? [url] : [];
          });
        for (let waited = 0; links().length < count && waited < waitMs; waited += 50) await new Promise((r) => setTimeout(r, 50));
        return links();
      },
      db: () => running.getD1Database('DB') as unknown as Promise<D1Database>,
      async stop() {
        await running.dispose();
        await rm(tmp, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await mf?.dispose().catch(() => {});
    await rm(tmp, { recursive: true, force: true });
    if (lines.length) (e as Error).message += `\n--- worker output ---\n${lines.join('\n')}`;
    throw e;
  }
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

export type BrowserStory = { server: ChorusServer; browser: Browser; shots: string };

/**
 * A story file's worker and Chromium: started in its beforeAll (with the project's hook timeout), closed in its
 * afterAll. `shots` is test-results/screenshots, or the `screenshots` folder in it; read the fields inside a test.
 */
export function browserStory(opts: ChorusOptions & { screenshots?: string } = {}): BrowserStory {
  const { screenshots, ...chorus } = opts;
  const story = { shots: path.join(ROOT, 'test-results', 'screenshots', screenshots ?? '') } as BrowserStory;
  beforeAll(async () => {
    mkdirSync(story.shots, { recursive: true });
    [story.server, story.browser] = await Promise.all([startChorus(chorus), launchBrowser()]);
  });
  afterAll(async () => {
    await story.browser?.close();
    await story.server?.stop();
  });
  return story;
}

export const axeSource = () => createRequire(import.meta.url).resolve('axe-core/axe.min.js');

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 900 };

type AxeResult = { violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[] };

/**
 * Screenshots `page` at phone and desktop width (to `file(width)`), each width checked with axe-core and for
 * sideways scrolling (soft, so one run reports every page). `fromTop` scrolls up first: a page a click scrolled
 * would draw its sticky top bar mid-shot. `endAt`: the size to leave the page at (else the desktop's).
 */
export async function captureChecked(page: Page, name: string, file: (width: number) => string, opts: { fromTop?: boolean; endAt?: typeof PHONE } = {}) {
  for (const size of [PHONE, DESKTOP]) {
    await page.setViewportSize(size);
    if (opts.fromTop) await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: file(size.width), fullPage: true });
    if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: axeSource() });
    const result = await page.evaluate(() => (window as unknown as { axe: { run: (ctx: Document) => Promise<AxeResult> } }).axe.run(document));
    expect.soft(result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${JSON.stringify(v.nodes.map((n) => n.target))}`), `axe on ${name} at ${size.width}px`).toEqual([]);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect.soft(overflow, `${name} at ${size.width}px scrolls sideways`).toBe(0);
  }
  if (opts.endAt) await page.setViewportSize(opts.endAt);
}

/** Clicks something that submits or navigates, and waits for the next page to load. */
export async function navigate(page: Page, action: () => Promise<void>, url: RegExp) {
  await Promise.all([page.waitForURL(url, { waitUntil: 'load' }), action()]);
}

/** The store's side: a conversion signed the way Chorus verifies it (placed now unless `occurredAt` says when). */
export async function postConversion(server: Pick<ChorusServer, 'url' | 'brand'>, ingestKey: string, order: { orderId: string; amountMinor: number; code: string; occurredAt?: string }) {
  const body = JSON.stringify({ occurredAt: new Date().toISOString(), ...order, currency: 'USD' });
  const t = Math.floor(Date.now() / 1000);
  const v1 = createHmac('sha256', ingestKey).update(`${t}.${body}`).digest('hex');
  const res = await fetch(`${server.url}/v1/conversions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'chorus-account': server.brand.slug, 'chorus-signature': `t=${t},v1=${v1}` },
    body,
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as { data: unknown };
}

/** A console member (the story's owner unless `who` says) signs in on `page`, landing on the console's home. */
export async function signInToConsole(page: Page, server: Pick<ChorusServer, 'url'>, who: Pick<ConsoleOwner, 'email' | 'password'> = CONSOLE_OWNER) {
  await page.goto(`${server.url}/console/login`);
  await page.getByLabel('Work email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await navigate(page, () => page.getByRole('button', { name: 'Sign in' }).click(), /\/console(\?.*)?$/);
}

/**
 * A creator joins from their invite on `page`: asks for the link by email, opens the mailed one and sets `password`,
 * landing on home's welcome; `accept` then accepts the one invitation there. Links the worker wrote under another
 * origin (PUBLIC_ORIGIN) are opened on the local one.
 */
export async function joinFromInvite(page: Page, server: ChorusServer, join: { inviteUrl: string; email: string; password: string; accept: boolean }) {
  const local = (url: string) => url.replace(/^https?:\/\/[^/]+/, server.url);
  await page.goto(local(join.inviteUrl));
  await page.getByRole('button', { name: 'Email me the link' }).click();
  await page.waitForLoadState();
  const [mailed] = await server.mailedLinks(join.email);
  if (!mailed) throw new Error(`no link was mailed to ${join.email}`);
  await page.goto(local(mailed));
  await page.getByLabel('New password').fill(join.password);
  await page.getByLabel('Repeat the password').fill(join.password);
  await navigate(page, () => page.getByRole('button', { name: 'Save password and continue' }).click(), /\/\?welcome=1$/);
  if (join.accept) await navigate(page, () => page.getByRole('button', { name: 'Accept', exact: true }).click(), /\/\?accepted=1$/);
}
