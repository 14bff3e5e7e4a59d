// Test-only fault switches for the resilience scenarios (test/scenarios): D1 calls that fail before they
// run, fail after they ran (the ambiguous case: committed, yet the caller sees an error) or run slowly, and
// a click consumer that throws for a share of batches. Inert unless ENVIRONMENT is 'test' (the workers test
// pool) or 'scenarios' (the scenario host, otherwise configured as local development) and a FAULT_* var is
// set, so production never takes a branch here beyond one comparison per request.
import type { Env } from '../env';
import { log } from './log';

export type D1Fault = { mode: 'before' | 'after' | 'slow'; rate: number; slowMs: number };
export type QueueFault = { at: 'before' | 'after' | 'either'; rate: number };
export type FaultSwitches = { d1: D1Fault | null; queue: QueueFault | null };

type Random = () => number;

// Test-only variables, deliberately not part of Env: production configuration never declares them.
export type FaultVars = { FAULT_D1?: string; FAULT_D1_RATE?: string; FAULT_D1_SLOW_MS?: string; FAULT_QUEUE?: string; FAULT_QUEUE_RATE?: string };

// Injected errors read like D1's own, so every caller treats them exactly as it treats a real storage failure.
export const INJECTED_D1_ERROR = 'D1_ERROR: injected fault';

function share(raw: string | undefined, fallback: number): number {
  const value = Number(raw);
  return raw !== undefined && raw !== '' && Number.isFinite(value) && value >= 0 && value <= 1 ? value : fallback;
}

const isTestEnvironment = (environment: string) => environment === 'test' || environment === 'scenarios';

export function faultSwitches(env: Env & FaultVars): FaultSwitches | null {
  if (!isTestEnvironment(env.ENVIRONMENT) || (!env.FAULT_D1 && !env.FAULT_QUEUE)) return null;
  const d1Mode = env.FAULT_D1;
  const queueAt = env.FAULT_QUEUE;
  return {
    d1:
      d1Mode === 'before' || d1Mode === 'after' || d1Mode === 'slow'
        ? { mode: d1Mode, rate: share(env.FAULT_D1_RATE, 0.1), slowMs: Math.max(0, Number(env.FAULT_D1_SLOW_MS ?? '') || 200) }
        : null,
    queue: queueAt === 'before' || queueAt === 'after' || queueAt === 'either' ? { at: queueAt, rate: share(env.FAULT_QUEUE_RATE, 0.1) } : null,
  };
}

function injected(target: string, mode: string, op: string): void {
  log.info('fault_injected', { target, mode, op });
}

// Runs one D1 call under the fault: 'before' throws without running it, 'after' runs it (it commits) and
// then throws, 'slow' waits first. A call is hit with probability `rate`.
async function underFault<T>(fault: D1Fault, random: Random, op: string, call: () => Promise<T>): Promise<T> {
  if (random() >= fault.rate) return call();
  injected('d1', fault.mode, op);
  if (fault.mode === 'before') throw new Error(`${INJECTED_D1_ERROR} before ${op}`);
  if (fault.mode === 'slow') {
    await new Promise((resolve) => setTimeout(resolve, fault.slowMs));
    return call();
  }
  await call();
  throw new Error(`${INJECTED_D1_ERROR} after ${op} committed`);
}

class FaultyStatement {
  constructor(
    readonly inner: D1PreparedStatement,
    private readonly fault: D1Fault,
    private readonly random: Random,
  ) {}

  bind(...values: unknown[]): D1PreparedStatement {
    return new FaultyStatement(this.inner.bind(...values), this.fault, this.random) as unknown as D1PreparedStatement;
  }
  first(colName?: string) {
    return underFault(this.fault, this.random, 'first', () => (colName === undefined ? this.inner.first() : this.inner.first(colName)));
  }
  run() {
    return underFault(this.fault, this.random, 'run', () => this.inner.run());
  }
  all() {
    return underFault(this.fault, this.random, 'all', () => this.inner.all());
  }
  raw(options?: { columnNames?: boolean }) {
    return underFault(this.fault, this.random, 'raw', () => this.inner.raw(options as { columnNames?: false }));
  }
}

// Statements reach the real batch() unwrapped: D1 only accepts its own statement objects.
const unwrap = (s: D1PreparedStatement) => (s instanceof FaultyStatement ? s.inner : s);

export function faultyD1(db: D1Database, fault: D1Fault, random: Random = Math.random): D1Database {
  const faulty = {
    prepare: (query: string) => new FaultyStatement(db.prepare(query), fault, random) as unknown as D1PreparedStatement,
    batch: <T>(statements: D1PreparedStatement[]) => underFault(fault, random, 'batch', () => db.batch<T>(statements.map(unwrap))),
    exec: (query: string) => underFault(fault, random, 'exec', () => db.exec(query)),
    withSession: () => {
      throw new Error('withSession is not available under injected faults');
    },
    dump: () => db.dump(),
  };
  return faulty as unknown as D1Database;
}

const wrapped = new WeakMap<Env, Env>();

// The env every entry point sees: the same object when no fault is switched on.
export function withFaults(env: Env): Env {
  if (!isTestEnvironment(env.ENVIRONMENT)) return env;
  const switches = faultSwitches(env);
  if (!switches?.d1) return env;
  let faulty = wrapped.get(env);
  if (!faulty) {
    faulty = { ...env, DB: faultyD1(env.DB, switches.d1) };
    wrapped.set(env, faulty);
  }
  return faulty;
}

// Hit batches are spread evenly (the first, then one in every 1/rate), not drawn at random, so a short run
// still sees its share; 'either' alternates before and after.
let queueBatches = 0;
let queueHits = 0;

// The click consumer under a queue fault: a hit batch throws before it runs, or after it wrote (so the
// redelivery must add nothing), and the queue redelivers the whole batch.
export async function consumeUnderFaults<B>(batch: B, env: Env, consume: (batch: B, env: Env) => Promise<void>): Promise<void> {
  const fault = faultSwitches(env)?.queue;
  if (!fault) return consume(batch, env);
  const n = ++queueBatches;
  if (Math.ceil(n * fault.rate) <= Math.ceil((n - 1) * fault.rate)) return consume(batch, env);
  const at = fault.at === 'either' ? (queueHits++ % 2 === 0 ? 'before' : 'after') : fault.at;
  injected('queue', at, 'batch');
  if (at === 'after') await consume(batch, env);
  throw new Error(`injected queue consumer fault ${at} writing`);
}
