import { app } from './app';
import type { Env } from './env';
import { consumeClicks } from './queue';

export default {
  fetch: app.fetch,
  queue: (batch, env, _ctx) => consumeClicks(batch, env),
  scheduled: async () => {
    // Periodic work (holding periods, retention) lands here; nothing is due yet.
  },
} satisfies ExportedHandler<Env, unknown>;
