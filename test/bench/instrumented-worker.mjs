// Bench-only entry point: the real worker, unchanged, except that a request carrying
// `x-bench-request: <id>` sees its D1 binding through a counting proxy. Once the response body has been
// fully sent, one log line reports what that request asked of D1:
//   {"event":"bench_d1_usage","id":"…","prepared":n,"batches":n,"batched":n,"single":n}
// prepared = statements built (db.prepare), batches = db.batch() calls, batched = statements inside them,
// single = statements run on their own (first/all/run/raw). Round trips to D1 = batches + single.
// Requests without the header take the untouched path, so only the measured calls pay for the proxy.
import worker from '../../worker/index.ts';

// D1 may read statement internals in batch(), so proxies are unwrapped before they reach it.
const RAW = Symbol('raw statement');

function countingStatement(statement, usage) {
  return new Proxy(statement, {
    get(target, prop) {
      if (prop === RAW) return target;
      if (prop === 'bind') return (...params) => countingStatement(target.bind(...params), usage);
      if (prop === 'first' || prop === 'all' || prop === 'run' || prop === 'raw') {
        return (...args) => {
          usage.single++;
          return target[prop](...args);
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function countingD1(db, usage) {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'prepare') {
        return (sql) => {
          usage.prepared++;
          return countingStatement(target.prepare(sql), usage);
        };
      }
      if (prop === 'batch') {
        return (statements) => {
          usage.batches++;
          usage.batched += statements.length;
          return target.batch(statements.map((s) => s[RAW] ?? s));
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

export default {
  ...worker,
  async fetch(request, env, ctx) {
    const id = request.headers.get('x-bench-request');
    if (!id) return worker.fetch(request, env, ctx);
    const usage = { prepared: 0, batches: 0, batched: 0, single: 0 };
    const response = await worker.fetch(request, { ...env, DB: countingD1(env.DB, usage) }, ctx);
    const report = () => console.log(JSON.stringify({ event: 'bench_d1_usage', id, ...usage }));
    if (!response.body) {
      report();
      return response;
    }
    // Streamed bodies (the payouts CSV) keep querying after the headers are sent: report at the end.
    const body = response.body.pipeThrough(new TransformStream({ flush: report }));
    return new Response(body, response);
  },
};
