import { app } from './app';
import type { Env } from './env';
import { consumeUnderFaults, withFaults } from './lib/faults';
import { consumeClicks } from './queue';

// withFaults returns env itself unless the test-only fault switches are on (see lib/faults.ts).
export default {
  fetch: (request: Request, env: Env, ctx: ExecutionContext) => app.fetch(request, withFaults(env), ctx),
  queue: (batch, env, _ctx) => consumeUnderFaults(batch, withFaults(env), consumeClicks),
  scheduled: async () => {
    // Periodic work (holding periods, retention) lands here; nothing is due yet.
  },
} satisfies ExportedHandler<Env, unknown>;
