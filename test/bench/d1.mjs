// D1 reads the benchmark makes from Node through Miniflare's getD1Database() proxy.

export async function countClicks(db) {
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
