// The worker under test, in its own OS process: the bundled Chorus worker in workerd through the Miniflare
// API, with every binding wrangler.toml declares, D1 persisted under the state dir the driver prepared, on
// 127.0.0.1. The driver forks this file (IPC channel) in a process group of its own, so it can SIGKILL the
// group (this process and workerd) for a real crash and start a new host on the same state.
//
// Input: one JSON argument {scriptPath, persist, vars}. `vars` override wrangler.toml [vars]
// (ENVIRONMENT=scenarios and the FAULT_* switches). Messages from the driver:
//   {id, type: 'query', sql, params}  read-only SQL on the same D1 (the oracle's view of the final state)
//   {id, type: 'stats'}               what the runtime reported: worker log events, queue batches, dropped messages
//   {id, type: 'stop'}                dispose Miniflare and exit
// On start it sends {type: 'ready', url} or {type: 'failed', error}.
import path from 'node:path';
import readline from 'node:readline';
import { Log, LogLevel, Miniflare } from 'miniflare';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';

const { scriptPath, persist, vars, root } = JSON.parse(process.argv[2] ?? '{}');

const events = {}; // worker JSON log event name -> count
const samples = {}; // event name -> first line
const queue = { batches: 0, messages: 0, acked: 0, dropped: 0 };
const otherLines = [];

// The worker logs JSON lines (plain, or wrapped with ts/level/request_id); count them by event name.
function workerLine(line) {
  const brace = line.indexOf('{');
  if (brace >= 0) {
    try {
      const { event } = JSON.parse(line.slice(brace));
      if (typeof event === 'string') {
        events[event] = (events[event] ?? 0) + 1;
        samples[event] ??= line.slice(brace, brace + 400);
        return;
      }
    } catch {
      // not JSON
    }
  }
  if (line.trim() && otherLines.length < 40) otherLines.push(line.slice(0, 400));
}

class HostLog extends Log {
  logWithLevel(level, message) {
    const plain = message.replace(/\x1b\[[0-9;]*m/g, '');
    const batch = /^QUEUE \S+ (\d+)\/(\d+)/.exec(plain);
    if (batch) {
      queue.batches++;
      queue.acked += Number(batch[1]);
      queue.messages += Number(batch[2]);
      return;
    }
    if (/^Dropped message/.test(plain)) {
      queue.dropped++;
      return;
    }
    if (level <= LogLevel.WARN && otherLines.length < 40) otherLines.push(plain.split('\n').slice(0, 3).join(' | ').slice(0, 400));
  }
}

let mf;

async function start() {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(path.join(root, 'wrangler.toml'));
  const { modulesRules: _rules, ...bindings } = workerOptions;
  mf = new Miniflare({
    host: '127.0.0.1',
    port: 0,
    // A fixed `cf` object: Miniflare would otherwise try to download one.
    cf: { country: 'US', colo: 'LOCAL', asn: 64496, clientTcpRtt: 0, httpProtocol: 'HTTP/1.1' },
    // Where `wrangler d1 ... --persist-to <persist>` keeps D1.
    d1Persist: path.join(persist, 'v3', 'd1'),
    log: new HostLog(LogLevel.INFO),
    handleRuntimeStdio: (stdout, stderr) => {
      for (const stream of [stdout, stderr]) readline.createInterface({ input: stream }).on('line', workerLine);
    },
    workers: [
      { ...bindings, bindings: { ...bindings.bindings, ...vars }, name: 'chorus', modules: true, scriptPath, modulesRoot: path.dirname(scriptPath) },
      // The oracle's window on the same D1. Queries go through a fetch to this worker rather than the D1 proxy
      // from getD1Database: that proxy's prepare() and bind() are synchronous calls across threads, and one
      // under a storm's load came back with another call's reply (miniflare's `message?.id === id` assertion).
      { name: 'oracle', modules: true, script: ORACLE_SCRIPT, d1Databases: bindings.d1Databases },
    ],
  });
  const url = (await mf.ready).href.replace(/\/$/, '');
  return { url, oracle: await mf.getWorker('oracle') };
}

const ORACLE_SCRIPT = `export default {
  async fetch(request, env) {
    const { sql, params } = await request.json();
    try {
      const { results } = await env.DB.prepare(sql).bind(...params).all();
      return Response.json({ rows: results });
    } catch (e) {
      return Response.json({ error: String(e?.stack ?? e) });
    }
  },
};`;

const READ_ONLY = /^\s*(SELECT|WITH)\b/i;

start().then(
  ({ url, oracle }) => {
    process.on('message', async (msg) => {
      const reply = (body) => process.send({ id: msg.id, ...body });
      try {
        if (msg.type === 'query') {
          if (!READ_ONLY.test(msg.sql)) throw new Error('the host answers read-only queries only');
          const answer = await oracle.fetch('http://oracle/', { method: 'POST', body: JSON.stringify({ sql: msg.sql, params: msg.params ?? [] }) });
          const { rows, error } = await answer.json();
          if (error) throw new Error(error);
          reply({ rows });
        } else if (msg.type === 'stats') {
          reply({ stats: { events: { ...events }, samples: { ...samples }, queue: { ...queue }, otherLines: [...otherLines] } });
        } else if (msg.type === 'stop') {
          await mf.dispose();
          reply({ stopped: true });
          process.exit(0);
        }
      } catch (e) {
        reply({ error: String(e?.stack ?? e) });
      }
    });
    process.send({ type: 'ready', url });
  },
  async (e) => {
    process.send({ type: 'failed', error: `${e?.stack ?? e}\n${otherLines.join('\n')}` });
    await mf?.dispose().catch(() => {});
    process.exit(1);
  },
);

// The driver went away (it crashed or was interrupted): do not leave workerd behind.
process.on('disconnect', () => {
  void (mf?.dispose() ?? Promise.resolve()).finally(() => process.exit(0));
});
