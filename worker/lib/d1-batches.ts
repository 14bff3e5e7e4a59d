// A D1 whose every batch, its own and a session's, goes through `around`: how a request's writes are
// watched (webhooks/enqueue.ts) or marked (routes/admin/idempotency.ts) without any query knowing. The
// statements that matter there only ever run in batches; everything else is the binding's own.
type Batch = (statements: D1PreparedStatement[]) => Promise<D1Result[]>;

export function aroundBatches(db: D1Database, around: (batch: Batch, statements: D1PreparedStatement[]) => Promise<D1Result[]>): D1Database {
  const through =
    (target: Pick<D1Database, 'batch'>) =>
    <T>(statements: D1PreparedStatement[]) =>
      around((s) => target.batch(s), statements) as Promise<D1Result<T>[]>;
  const wrapped: Pick<D1Database, 'prepare' | 'batch' | 'exec' | 'withSession' | 'dump'> = {
    prepare: (query) => db.prepare(query),
    batch: through(db),
    exec: (query) => db.exec(query),
    withSession: (constraintOrBookmark) => {
      const session = db.withSession(constraintOrBookmark);
      return { prepare: (query) => session.prepare(query), batch: through(session), getBookmark: () => session.getBookmark() };
    },
    dump: () => db.dump(),
  };
  return wrapped as D1Database;
}
