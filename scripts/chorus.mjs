#!/usr/bin/env node
// chorus: the command line for brand operators. Node 20 built-ins only.
//
//   npm run chorus -- <command> [options]      (or `npx chorus …` where the package is installed)
//
// `brand create` writes to D1 through `wrangler d1 execute` (nothing in the HTTP API creates brands);
// every other command calls the admin API with an admin key. Run `chorus help` for the details.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { apiKeyRow, b64url, generateApiKey, insertSql, literal, localSecretsKey, newId, passwordHash } from './d1-rows.mjs';
import { creatorReset, memberReset, resetStatements } from './two-step-reset.mjs';
import { runWrangler } from './wrangler.mjs';

const HELP = `Usage: chorus <command> [options]

Commands
  brand create --name <name> --slug <slug> --owner-email <email>
               [--owner-name <name>] [--currency USD] [--timezone UTC] [--hosts shop.example,*.shop.example]
               [--local (default) | --remote] [--env <environment>] [--persist-to <dir>] [--json]
      Creates a brand, its owner (a console login) and its admin, storefront and ingest keys, written
      to D1 with \`wrangler d1 execute\`. The password and keys are printed once. The owner password is
      CHORUS_OWNER_PASSWORD when set, else generated. --remote needs CHORUS_SECRETS_KEY: the deployed
      environment's SECRETS_KEY, which seals the ingest key.

  two-step-reset <email> --brand <slug> | --creator [--local (default) | --remote] [--env <environment>] [--persist-to <dir>]
      Turns off the two-step sign-in of one brand's console member (--brand), through \`wrangler d1 execute\`: for
      when no owner can reset it from the Team page (a sole owner who lost their phone and recovery codes, or
      every two-step key unreadable after SECRETS_KEY changed). Audited as done by an operator; they then
      sign in with their password alone (and set it up again, at once if the brand requires it).
      --creator: a creator's, which only the operator can reset (their account is theirs, not a brand's), after
      checking it is them. Audited in each brand they joined; the cron mails them within 15 minutes.

  import <campaign-id> <file.csv> [--confirm] [--code-pattern {HANDLE}15] [--discount-percent 15]
         [--invites-out <file.csv>]
      Bulk-onboards creators from a CSV, showing progress. With row errors nothing is written unless
      --confirm, which imports the good rows. --invites-out saves the invite links, tracked links and codes.

  payouts close <YYYY-MM>
      Closes a month: one payout per creator and currency. Closing again changes nothing.

  payouts export <YYYY-MM> [--out <file.csv>]
      The payouts CSV finance pays from (to stdout without --out).

API options
  --url <url>   where Chorus runs (default CHORUS_URL, else http://localhost:8787)
  --key <key>   an admin API key (default CHORUS_ADMIN_KEY; prefer the variable: flags show up in \`ps\`)

Exit codes: 0 done; 1 Chorus (or wrangler) refused, its error code and message printed; 2 bad usage;
3 Chorus could not be reached.`;

const EXIT = { ok: 0, refused: 1, usage: 2, unreachable: 3 };

class CliError extends Error {
  constructor(message, exitCode, lines = []) {
    super(message);
    this.exitCode = exitCode;
    this.lines = lines;
  }
}

const usage = (message) => new CliError(`${message}\nRun \`chorus help\` for usage.`, EXIT.usage);

const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;
const SLUG = /^[a-z0-9][a-z0-9-]{1,62}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// Mirrors isValidHostRule in worker/domain/destination.ts.
const HOST_RULE = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const MIN_PASSWORD = 10;

function parse(args, options, { positionals = 0 } = {}) {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { url: { type: 'string' }, key: { type: 'string' }, ...options }, allowPositionals: true, strict: true });
  } catch (e) {
    throw usage(e.message);
  }
  if (parsed.positionals.length !== positionals) throw usage(`Expected ${positionals} argument(s), got ${parsed.positionals.length}.`);
  return parsed;
}

// --- the admin API ---------------------------------------------------------------------------------

function apiTarget(values) {
  const base = (values.url ?? process.env.CHORUS_URL ?? 'http://localhost:8787').replace(/\/+$/, '');
  try {
    const url = new URL(base);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error();
  } catch {
    throw usage(`--url must be an http(s) URL, got ${base}`);
  }
  const key = values.key ?? process.env.CHORUS_ADMIN_KEY;
  if (!key) throw usage('An admin API key is needed: set CHORUS_ADMIN_KEY or pass --key.');
  return { base, key };
}

async function call(target, method, path, { body, accept = 'application/json' } = {}) {
  let res;
  try {
    res = await fetch(`${target.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${target.key}`, accept, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    const reason = e.cause?.code ?? e.cause?.message ?? e.message;
    throw new CliError(`Could not reach Chorus at ${target.base} (${reason}). Is the worker running (\`npm run dev\`)?`, EXIT.unreachable);
  }
  if (!res.ok) throw await refusal(res);
  return res;
}

// The one error shape, {"error":{code,message,details}}, as lines for a person.
function errorLines(error) {
  const lines = [];
  const details = error.details;
  for (const e of details?.errors ?? []) lines.push(`  line ${e.line}: ${e.message}`);
  for (const i of details?.issues ?? []) lines.push(`  ${i.path || '(body)'}: ${i.message}`);
  if (typeof details?.line === 'number') lines.push(`  at line ${details.line}`);
  if (details?.validRows !== undefined) lines.push(`  ${details.validRows} row(s) are valid; --confirm imports them and skips the rest.`);
  return lines;
}

// The request id leads to the worker's log lines for this call.
function apiError(error, res) {
  const requestId = res.headers.get('request-id');
  const where = [res.ok ? null : `HTTP ${res.status}`, requestId ? `request ${requestId}` : null].filter(Boolean).join(', ');
  return new CliError(`${error.message} (${error.code})${where ? ` [${where}]` : ''}`, EXIT.refused, errorLines(error));
}

async function refusal(res) {
  const text = await res.text();
  try {
    const body = JSON.parse(text);
    if (body?.error?.code) return apiError(body.error, res);
  } catch {
    // not the JSON error shape: a proxy, or not Chorus at all
  }
  return new CliError(`HTTP ${res.status} ${res.statusText}: ${text.slice(0, 200) || '(empty body)'}`, EXIT.refused);
}

// --- import ----------------------------------------------------------------------------------------

function progressReporter() {
  const tty = process.stderr.isTTY;
  let lastShown = -1;
  return {
    update(done, total) {
      if (tty) {
        const width = 30;
        const filled = total === 0 ? width : Math.round((done / total) * width);
        process.stderr.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} rows`);
        return;
      }
      // Logs and CI get a line per tenth, not a line per chunk.
      const tenth = total === 0 ? 10 : Math.floor((done / total) * 10);
      if (tenth !== lastShown) {
        lastShown = tenth;
        process.stderr.write(`Imported ${done}/${total} rows\n`);
      }
    },
    end() {
      if (tty) process.stderr.write('\n');
    },
  };
}

// NDJSON: {"progress":{done,total}} lines, then {"data":…} or {"error":…}.
async function* ndjson(body) {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of body) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line) yield parseLine(line);
    }
  }
  if (buffered.trim()) yield parseLine(buffered.trim());
}

function parseLine(line) {
  try {
    return JSON.parse(line);
  } catch {
    throw new CliError(`Unexpected line in the import stream: ${line.slice(0, 200)}`, EXIT.refused);
  }
}

async function importCommand(args) {
  const { values, positionals } = parse(
    args,
    { confirm: { type: 'boolean', default: false }, 'code-pattern': { type: 'string' }, 'discount-percent': { type: 'string' }, 'invites-out': { type: 'string' } },
    { positionals: 2 },
  );
  const [campaignId, file] = positionals;
  const target = apiTarget(values);
  let csv;
  try {
    csv = await readFile(file, 'utf8');
  } catch (e) {
    throw usage(`Cannot read ${file}: ${e.code ?? e.message}`);
  }
  const body = { csv, confirm: values.confirm };
  if (values['code-pattern'] !== undefined) body.codePattern = values['code-pattern'];
  if (values['discount-percent'] !== undefined) {
    const percent = Number(values['discount-percent']);
    if (!Number.isInteger(percent)) throw usage('--discount-percent must be a whole number.');
    body.discountPercent = percent;
  }
  const res = await call(target, 'POST', `/api/admin/campaigns/${encodeURIComponent(campaignId)}/import`, { body, accept: 'application/x-ndjson' });
  const progress = progressReporter();
  let result;
  try {
    for await (const message of ndjson(res.body)) {
      if (message.progress) progress.update(message.progress.done, message.progress.total);
      else if (message.error) throw apiError(message.error, res);
      else if (message.data) result = message.data;
    }
  } finally {
    progress.end();
  }
  if (!result) throw new CliError('The import stream ended without a result; run it again (it resumes where it stopped).', EXIT.refused);
  const c = result.created;
  console.log(`Imported ${result.rows} row(s) into ${campaignId}: ${c.creators} new creator(s), ${c.enrollments} enrollment(s), ${c.links} link(s), ${c.codes} code(s), ${c.invites} invite(s).`);
  if (result.skippedRows.length) {
    console.log(`Skipped ${result.skippedRows.length} row(s):`);
    for (const e of result.skippedRows) console.log(`  line ${e.line}: ${e.message}`);
  }
  if (values['invites-out']) {
    await writeFile(values['invites-out'], result.invitesCsv);
    console.log(`Invites for ${result.invites.length} creator(s) written to ${values['invites-out']}.`);
  }
}

// --- payouts ---------------------------------------------------------------------------------------

function periodArg(period) {
  if (!PERIOD.test(period)) throw usage(`The period is a month as YYYY-MM, got ${period}.`);
  return period;
}

async function payoutsClose(args) {
  const { values, positionals } = parse(args, {}, { positionals: 1 });
  const period = periodArg(positionals[0]);
  const res = await call(apiTarget(values), 'POST', '/api/admin/payouts/close', { body: { period } });
  const { data } = await res.json();
  console.log(
    data.closedNow
      ? `Closed ${data.period}: ${data.payouts} payout(s).`
      : `${data.period} was already closed at ${data.closedAt}: ${data.payouts} payout(s); nothing changed.`,
  );
}

async function payoutsExport(args) {
  const { values, positionals } = parse(args, { out: { type: 'string' } }, { positionals: 1 });
  const period = periodArg(positionals[0]);
  const res = await call(apiTarget(values), 'GET', `/api/admin/payouts/export.csv?period=${period}`, { accept: 'text/csv' });
  if (!values.out) {
    await pipeline(Readable.fromWeb(res.body), process.stdout);
    return;
  }
  // Written beside the target and renamed at the end, so a broken download never looks like a finished file.
  const partial = `${values.out}.partial`;
  let bytes = 0;
  let lines = 0;
  const counted = Readable.fromWeb(res.body).on('data', (chunk) => {
    bytes += chunk.length;
    for (const b of chunk) if (b === 0x0a) lines++;
  });
  try {
    await pipeline(counted, createWriteStream(partial));
    await rename(partial, values.out);
  } catch (e) {
    await rm(partial, { force: true });
    throw new CliError(`The export stopped after ${bytes} bytes (${e.message}); nothing was written to ${values.out}.`, EXIT.refused);
  }
  console.log(`Wrote ${values.out}: ${lines} line(s) including the header and totals, ${bytes} bytes.`);
}

// --- brand create ----------------------------------------------------------------------------------

function brandOptions(values) {
  const name = values.name?.trim();
  const slug = values.slug?.trim();
  const email = values['owner-email']?.trim().toLowerCase();
  if (!name || name.length > 120) throw usage('--name is required (at most 120 characters).');
  if (!slug || !SLUG.test(slug)) throw usage('--slug is required: lowercase letters, digits and dashes, 2 to 63 long.');
  if (!email || !EMAIL.test(email) || email.length > 254) throw usage('--owner-email is required and must be an email address.');
  const currency = (values.currency ?? 'USD').toUpperCase();
  if (!/^[A-Z]{3}$/.test(currency)) throw usage('--currency is an ISO 4217 code such as USD or EUR.');
  const timezone = values.timezone ?? 'UTC';
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
  } catch {
    throw usage(`--timezone must be an IANA time zone such as Europe/Berlin, got ${timezone}.`);
  }
  const hosts = (values.hosts ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
  if (hosts.length === 0) throw usage('--hosts is required: the hosts links may send shoppers to, e.g. shop.example,*.shop.example');
  const badHost = hosts.find((h) => !HOST_RULE.test(h));
  if (badHost) throw usage(`--hosts: ${badHost} is not a host or *.host rule.`);
  if (values.local && values.remote) throw usage('Choose one of --local and --remote.');
  const password = process.env.CHORUS_OWNER_PASSWORD ?? b64url(randomBytes(18));
  if (password.length < MIN_PASSWORD) throw usage(`CHORUS_OWNER_PASSWORD must be at least ${MIN_PASSWORD} characters.`);
  return { name, slug, email, ownerName: values['owner-name']?.trim() || email.split('@')[0], currency, timezone, hosts, password, remote: Boolean(values.remote) };
}

function brandRows(options, secretsKey, now = Date.now()) {
  const brandId = newId('brand');
  const keys = { admin: generateApiKey('admin'), storefront: generateApiKey('storefront'), ingest: generateApiKey('ingest') };
  const ownerId = newId('adm');
  const rows = [
    ['brands', { id: brandId, slug: options.slug, name: options.name, allowed_hosts: options.hosts, currency: options.currency, timezone: options.timezone, click_param: 'cid', fallback_url: null, created_at: now }],
    ['admin_users', { id: ownerId, brand_id: brandId, email: options.email, name: options.ownerName, role: 'owner', password_hash: passwordHash(options.password), created_at: now }],
    ...Object.entries(keys).map(([scope, key]) => ['api_keys', apiKeyRow({ id: newId('key'), brandId, scope, name: `${scope} key (chorus brand create)`, key, secretsKey, createdAt: now })]),
  ];
  return { brandId, ownerId, keys, rows };
}

async function brandCreate(args) {
  const { values } = parse(args, {
    name: { type: 'string' },
    slug: { type: 'string' },
    'owner-email': { type: 'string' },
    'owner-name': { type: 'string' },
    currency: { type: 'string' },
    timezone: { type: 'string' },
    hosts: { type: 'string' },
    local: { type: 'boolean' },
    remote: { type: 'boolean' },
    env: { type: 'string' },
    'persist-to': { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  const options = brandOptions(values);
  let secretsKey;
  if (options.remote) {
    secretsKey = process.env.CHORUS_SECRETS_KEY;
    if (!secretsKey || secretsKey.length < 32) throw usage('--remote needs CHORUS_SECRETS_KEY: the SECRETS_KEY of the deployed environment (32+ characters).');
  } else {
    secretsKey = localSecretsKey();
  }
  const created = brandRows(options, secretsKey);
  // The brand goes first and fails on a taken slug, so a clash stops the file before anything else is written.
  const sql = created.rows.map(([table, row]) => insertSql(table, row, { onConflict: 'fail' })).join('\n');
  const dir = await mkdtemp(join(tmpdir(), 'chorus-brand-'));
  let result;
  try {
    const file = join(dir, 'brand.sql');
    await writeFile(file, `${sql}\n`);
    const where = options.remote ? ['--remote'] : ['--local', ...(values['persist-to'] ? ['--persist-to', values['persist-to']] : [])];
    result = await runWrangler(['d1', 'execute', 'DB', ...where, ...(values.env ? ['--env', values.env] : []), '--file', file, '--yes']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  if (result.code !== 0) {
    const output = `${result.stdout}\n${result.stderr}`;
    if (/UNIQUE constraint failed: brands\.slug/.test(output)) throw new CliError(`A brand with the slug ${options.slug} already exists (slug_taken).`, EXIT.refused);
    throw new CliError(`wrangler d1 execute failed (exit ${result.code}).`, EXIT.refused, output.trim().split('\n').slice(-15).map((l) => `  ${l}`));
  }
  const summary = { brand: { id: created.brandId, slug: options.slug, name: options.name }, owner: { id: created.ownerId, email: options.email, password: options.password }, keys: created.keys };
  if (values.json) {
    console.log(JSON.stringify(summary, null, 2));
    return;
  }
  console.log(
    [
      `Created ${options.name} (${created.brandId}, slug ${options.slug}) in the ${options.remote ? 'remote' : 'local'} D1${values.env ? ` of ${values.env}` : ''}.`,
      '',
      `Console owner: ${options.email}  password: ${options.password}`,
      '',
      'API keys (shown once; only their hashes are stored):',
      `  admin       ${created.keys.admin}`,
      `  storefront  ${created.keys.storefront}`,
      `  ingest      ${created.keys.ingest}`,
      '',
      `Next: export CHORUS_ADMIN_KEY=${created.keys.admin}`,
    ].join('\n'),
  );
}

// --- two-step-reset --------------------------------------------------------------------------------

// The statements (scripts/two-step-reset.mjs) run in one `wrangler d1 execute`; the first answers with the counts.
async function twoStepReset(args) {
  const { values, positionals } = parse(args, { brand: { type: 'string' }, creator: { type: 'boolean' }, local: { type: 'boolean' }, remote: { type: 'boolean' }, env: { type: 'string' }, 'persist-to': { type: 'string' } }, { positionals: 1 });
  const email = positionals[0].trim().toLowerCase();
  const slug = values.brand?.trim();
  if (!EMAIL.test(email) || email.length > 254) throw usage(`The account is named by the email it signs in with, got ${positionals[0]}.`);
  if (values.creator && slug !== undefined) throw usage('Choose one of --brand (a console member) and --creator.');
  if (!values.creator && (!slug || !SLUG.test(slug))) throw usage('--brand is required (the slug of the brand whose console they sign in to), or --creator for a creator.');
  if (values.local && values.remote) throw usage('Choose one of --local and --remote.');
  const target = values.creator ? creatorReset(email, Date.now()) : memberReset(email, slug, Date.now());
  const sql = resetStatements(target).join(';\n');
  const where = values.remote ? ['--remote'] : ['--local', ...(values['persist-to'] ? ['--persist-to', values['persist-to']] : [])];
  const result = await runWrangler(['d1', 'execute', 'DB', ...where, ...(values.env ? ['--env', values.env] : []), '--json', '--command', sql]);
  if (result.code !== 0) throw new CliError(`wrangler d1 execute failed (exit ${result.code}).`, EXIT.refused, `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-15).map((l) => `  ${l}`));
  let counts;
  try {
    counts = JSON.parse(result.stdout)[0].results[0];
  } catch {
    throw new CliError('wrangler d1 execute answered in a shape this command does not know.', EXIT.refused, result.stdout.trim().split('\n').slice(-15).map((l) => `  ${l}`));
  }
  if (counts.accounts === 0) throw new CliError(target.notFound, EXIT.refused);
  console.log(
    counts.factors === 0
      ? `${target.who} has no two-step sign-in; nothing changed.`
      : `Two-step sign-in of ${target.who} is reset: they sign in with their password alone until they set it up again. ${target.then}`,
  );
}

// --- dispatch --------------------------------------------------------------------------------------

const COMMANDS = {
  'brand create': brandCreate,
  import: importCommand,
  'payouts close': payoutsClose,
  'payouts export': payoutsExport,
  'two-step-reset': twoStepReset,
};

async function main(argv) {
  const [first, second] = argv;
  if (!first || first === 'help' || first === '--help' || first === '-h') {
    console.log(HELP);
    return first ? EXIT.ok : EXIT.usage;
  }
  const name = COMMANDS[`${first} ${second}`] ? `${first} ${second}` : first;
  const command = COMMANDS[name];
  if (!command) {
    const near = Object.keys(COMMANDS).filter((k) => k.startsWith(`${first} `));
    throw usage(`Unknown command: ${[first, second].filter(Boolean).join(' ')}${near.length ? ` (did you mean ${near.join(' or ')}?)` : ''}`);
  }
  await command(argv.slice(name.split(' ').length));
  return EXIT.ok;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  if (!(e instanceof CliError)) throw e;
  console.error(`chorus: ${e.message}`);
  for (const line of e.lines) console.error(line);
  process.exitCode = e.exitCode;
}
