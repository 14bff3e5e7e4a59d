import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { aroundBatches } from '../../../worker/lib/d1-batches';

describe('aroundBatches', () => {
  it("runs every batch through `around`, a session's too, and leaves single statements to the binding", async () => {
    const seen: number[] = [];
    const db = aroundBatches(env.DB, async (batch, statements) => {
      seen.push(statements.length);
      return batch(statements);
    });
    const one = db.prepare('SELECT 1 AS n');
    expect((await db.batch([one, one]))[1]?.results).toEqual([{ n: 1 }]);
    const session = db.withSession('first-unconstrained');
    expect((await session.batch([session.prepare('SELECT 2 AS n')]))[0]?.results).toEqual([{ n: 2 }]);
    expect(await db.prepare('SELECT 3 AS n').first('n')).toBe(3);
    expect(seen).toEqual([2, 1]);
  });
});
