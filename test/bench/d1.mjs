// D1 reads the benchmark makes from Node through Miniflare's getD1Database() proxy.

// `db` may be a list: the clicks stored across them (a split consumer's D1 and the edge's own, where the
// redirect writes a batch directly when the queue refuses it).
export async function countClicks(db) {
  if (Array.isArray(db)) return (await Promise.all(db.map(countClicks))).reduce((a, b) => a + b, 0);
  const row = await db.prepare('SELECT count(*) AS n FROM clicks').first();
  return Number(row.n);
}

export async function waitForClicks(db, atLeast, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = await countClicks(db);
    if (n >= atLeast || Date.now() > deadline) return n;
    await new Promise((r) => setTimeout(r, 200));
  }
}
