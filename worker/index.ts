import { app } from './app';
import type { Env } from './env';
import { consumeUnderFaults, withFaults } from './lib/faults';
import { consumeClicks } from './queue';
import { runScheduled } from './jobs/scheduled';

// withFaults returns env itself unless the test-only fault switches are on (see lib/faults.ts).
export default {
  fetch: (request: Request, env: Env, ctx: ExecutionContext) => app.fetch(request, withFaults(env), ctx),
  queue: (batch, env, _ctx) => consumeUnderFaults(batch, withFaults(env), consumeClicks),
  scheduled: (controller, env, _ctx) => runScheduled(controller, env),
} satisfies ExportedHandler<Env, unknown>;
