// The operator CLI (scripts/chorus.mjs) as a child process against the real bundled worker: import a
// roster with streamed progress, close a month, export its payouts; its errors and exit codes; and
// `brand create` writing a brand, its owner and keys into a local D1 through wrangler.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratedD1 } from '../support/migrated-d1.mjs';
import { adminApi, postConversion, ROOT, startChorus, type ChorusServer } from './server';

const CLI = path.join(ROOT, 'scripts', 'chorus.mjs');

let server: ChorusServer;
let dir: string;
// A second, empty local D1 for `brand create` (the running worker's D1 is startChorus's own).
let persist: string;

function wrangler(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js'), ...args], { cwd: ROOT, env: { ...process.env, CI: 'true', NO_COLOR: '1' } }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stdout}\n${stderr}`)) : resolve(stdout),
    );
  });
}

async function query(...statements: string[]): Promise<Record<string, unknown>[][]> {
  const out = await wrangler(['d1', 'execute', 'DB', '--local', '--persist-to', persist, '--json', '--command', statements.join('; ')]);
  return (JSON.parse(out) as { results: Record<string, unknown>[] }[]).map((r) => r.results);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'chorus-cli-'));
  persist = path.join(dir, 'state');
  [server] = await Promise.all([startChorus(), migratedD1(persist)]);
});

afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

type Run = { code: number; stdout: string; stderr: string };

function chorus(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, CHORUS_URL: server.url, CHORUS_ADMIN_KEY: server.adminKey, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const admin = <T>(method: string, route: string, body?: unknown) => adminApi<T>(server, method, route, body);

// The month before this one, which has ended in UTC (the brand's timezone), so it can be closed.
function lastMonth(): { period: string; midMonth: string } {
  const now = new Date();
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 10, 12));
  return { period: first.toISOString().slice(0, 7), midMonth: first.toISOString() };
}

const ROSTER = [
  'email,handle,name,payment_model',
  'ines@creators.example,ines_glow,Ines Duarte,affiliate',
  'kofi@creators.example,kofi_fit,Kofi Mensah,affiliate',
  'lea@creators.example,lea_skin,Lea Wagner,affiliate',
].join('\n');

describe('chorus CLI against a running worker', () => {
  let campaignId: string;

  it('imports a roster, streaming progress, and refuses a file with bad rows until --confirm', async () => {
    const plan = await admin<{ id: string }>('POST', '/commission-plans', { name: 'Flat 10%', tiers: [{ fromMinor: 0, rateBps: 1000 }] });
    const campaign = await admin<{ id: string }>('POST', '/campaigns', {
      name: 'Fern Week',
      slug: 'fern-week',
      hashtag: '#FernWeek',
      defaultDestination: 'https://fernway.example/fern',
      commissionPlanId: plan.id,
      holdingDays: 0,
    });
    campaignId = campaign.id;

    const withBadRow = path.join(dir, 'roster-bad.csv');
    await writeFile(withBadRow, `${ROSTER}\nnot-an-email,bad handle!,Nobody,affiliate\n`);
    const refused = await chorus(['import', campaignId, withBadRow]);
    expect(refused.code, refused.stderr).toBe(1);
    // Refused inside the stream (HTTP 200 already sent): the error line still carries code and rows.
    expect(refused.stderr).toMatch(/\(import_has_errors\) \[request [0-9a-f-]{36}\]/);
    expect(refused.stderr).toMatch(/line 5: /);
    expect((await admin<unknown[]>('GET', '/creators')).length).toBe(0);

    const file = path.join(dir, 'roster.csv');
    const invites = path.join(dir, 'invites.csv');
    await writeFile(file, `${ROSTER}\n`);
    const run = await chorus(['import', campaignId, file, '--invites-out', invites]);
    expect(run.code, run.stderr).toBe(0);
    // Not a terminal: progress comes as plain lines on stderr, the summary on stdout.
    expect(run.stderr).toContain('Imported 3/3 rows');
    expect(run.stdout).toContain(`Imported 3 row(s) into ${campaignId}: 3 new creator(s), 3 enrollment(s), 3 link(s), 3 code(s), 3 invite(s).`);
    const invitesCsv = await readFile(invites, 'utf8');
    expect(invitesCsv).toContain('ines@creators.example');
    expect(invitesCsv).toContain('KOFI_FIT15');

    // The same file again writes nothing new.
    const again = await chorus(['import', campaignId, file]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('0 new creator(s), 0 enrollment(s), 0 link(s), 0 code(s), 0 invite(s)');
  });

  it('closes last month and exports its payouts CSV', async () => {
    const { period, midMonth } = lastMonth();
    const ingest = await admin<{ key: string }>('POST', '/keys', { scope: 'ingest', name: 'cli test' });
    await postConversion(server, ingest.key, { orderId: 'cli-1', amountMinor: 12_000, code: 'INES_GLOW15', occurredAt: midMonth });
    await postConversion(server, ingest.key, { orderId: 'cli-2', amountMinor: 8_000, code: 'KOFI_FIT15', occurredAt: midMonth });

    const closed = await chorus(['payouts', 'close', period]);
    expect(closed.code, closed.stderr).toBe(0);
    expect(closed.stdout.trim()).toBe(`Closed ${period}: 2 payout(s).`);
    const closedAgain = await chorus(['payouts', 'close', period]);
    expect(closedAgain.code).toBe(0);
    expect(closedAgain.stdout).toMatch(new RegExp(`^${period} was already closed at .+: 2 payout\\(s\\); nothing changed\\.`));

    const out = path.join(dir, `payouts-${period}.csv`);
    const exported = await chorus(['payouts', 'export', period, '--out', out]);
    expect(exported.code, exported.stderr).toBe(0);
    const csv = await readFile(out, 'utf8');
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toMatch(/^"payout_id","period","creator_id","handle",/);
    expect(lines.filter((l) => l.includes('ines_glow'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('kofi_fit'))).toHaveLength(1);
    expect(lines.at(-1)).toMatch(/^"TOTAL",/);
    expect(exported.stdout).toContain(`Wrote ${out}: ${lines.length} line(s)`);
    // Without --out the same bytes go to stdout.
    const piped = await chorus(['payouts', 'export', period]);
    expect(piped.code).toBe(0);
    expect(piped.stdout).toBe(csv);
  });

  it('prints the API error code and message, with exit codes for refusals, bad usage and no server', async () => {
    const wrongKey = await chorus(['payouts', 'close', '2020-01'], { CHORUS_ADMIN_KEY: 'ck_admin_not_a_real_key_000000' });
    expect(wrongKey.code).toBe(1);
    // The request id in the message finds the worker's log lines for the call.
    expect(wrongKey.stderr).toMatch(/^chorus: That API key is not valid\. \(unauthorized\) \[HTTP 401, request [0-9a-f-]{36}\]/);

    const open = await chorus(['payouts', 'close', new Date().toISOString().slice(0, 7)]);
    expect(open.code).toBe(1);
    expect(open.stderr).toContain('(period_open)');

    const unknownCampaign = path.join(dir, 'roster.csv');
    const missing = await chorus(['import', 'cmp_does_not_exist', unknownCampaign]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('(not_found) [HTTP 404, request ');

    const badPeriod = await chorus(['payouts', 'export', '2026-13']);
    expect(badPeriod.code).toBe(2);
    const noKey = await chorus(['payouts', 'close', '2020-01'], { CHORUS_ADMIN_KEY: '' });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('CHORUS_ADMIN_KEY');

    const down = await chorus(['payouts', 'close', '2020-01', '--url', 'http://127.0.0.1:9']);
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('Could not reach Chorus at http://127.0.0.1:9');
  });
});

describe('chorus brand create', () => {
  it('writes a brand, its owner and three keys into a local D1, and refuses a taken slug', async () => {
    const args = ['brand', 'create', '--name', "Moss & Co's", '--slug', 'moss', '--owner-email', 'Owner@Moss.example', '--hosts', 'moss.example,*.moss.example', '--timezone', 'Europe/Berlin', '--persist-to', persist];
    const created = await chorus([...args, '--json'], { CHORUS_OWNER_PASSWORD: 'moss-owner-password' });
    expect(created.code, created.stderr).toBe(0);
    const out = JSON.parse(created.stdout) as { brand: { id: string; slug: string }; owner: { email: string; password: string }; keys: Record<'admin' | 'storefront' | 'ingest', string> };
    expect(out.brand.slug).toBe('moss');
    expect(out.owner).toMatchObject({ email: 'owner@moss.example', password: 'moss-owner-password' });
    expect(out.keys.admin).toMatch(/^ck_admin_[A-Za-z0-9_-]{32}$/);
    expect(out.keys.storefront).toMatch(/^ck_pub_[A-Za-z0-9_-]{32}$/);
    expect(out.keys.ingest).toMatch(/^ck_ingest_[A-Za-z0-9_-]{32}$/);

    const again = await chorus(args);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('(slug_taken)');

    const [brands, owners, keys] = await query(
      'SELECT id, slug, name, allowed_hosts, currency, timezone FROM brands',
      'SELECT brand_id, email, role, password_hash FROM admin_users',
      'SELECT scope, key_hash, prefix, secret_enc FROM api_keys ORDER BY scope',
    );
    expect(brands).toEqual([{ id: out.brand.id, slug: 'moss', name: "Moss & Co's", allowed_hosts: '["moss.example","*.moss.example"]', currency: 'USD', timezone: 'Europe/Berlin' }]);
    // One owner: the refused second run wrote nothing.
    expect(owners).toHaveLength(1);
    expect(owners![0]).toMatchObject({ brand_id: out.brand.id, email: 'owner@moss.example', role: 'owner' });
    expect(owners![0]!.password_hash).toMatch(/^pbkdf2_sha256\$100000\$/);
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    expect(keys!.map((k) => [k.scope, k.key_hash, k.prefix])).toEqual([
      ['admin', sha(out.keys.admin), out.keys.admin.slice(0, 13)],
      ['ingest', sha(out.keys.ingest), out.keys.ingest.slice(0, 14)],
      ['storefront', sha(out.keys.storefront), out.keys.storefront.slice(0, 11)],
    ]);
    // Only the ingest key is kept readable (sealed), because the worker verifies HMACs with it.
    expect(keys!.map((k) => k.secret_enc === null)).toEqual([true, false, true]);
  });
});
