// The payouts scenario: a network of creators, then for each ledger size one past period seeded straight
// into D1, closed through the admin API, and exported as CSV while workerd's resident memory is watched.
// The export pages through payouts (worker/db/payouts.ts), so its memory should not grow with the ledger.
import { adminPost, measuredFetch } from './api.mjs';
import { memoryKiB, resetPeak, sampleRss } from './procfs.mjs';
import { sealSecret, seedNetworkLedger, seedPayoutNetwork } from './seed.mjs';

// "12.50" / "-3.07" -> minor units, without floats.
function minorOf(amount) {
  const negative = amount.startsWith('-');
  const [whole, frac = ''] = amount.replace('-', '').split('.');
  const minor = Number(whole) * 100 + Number(frac.padEnd(2, '0'));
  return negative ? -minor : minor;
}

// Period k: a month of 2024 (long ended, so it can be closed), entries available from its 2nd day.
const periodFor = (k) => ({ period: `2024-${String(k + 1).padStart(2, '0')}`, availableAt: Date.UTC(2024, k, 2) });

export async function measurePayouts(server, { creators, sizes, secretsKey, log = () => {} }) {
  const { url, db, context: ctx } = server;
  const admin = { authorization: `Bearer ${ctx.adminKey}`, 'content-type': 'application/json' };
  const campaign = await adminPost(url, ctx.adminKey, 'campaigns', { name: 'Payouts Bench', slug: 'payouts-bench', hashtag: '#payoutsbench', defaultDestination: 'https://shop.example/' });
  let t0 = Date.now();
  const payoutDetailsEnc = await sealSecret(secretsKey, JSON.stringify({ method: 'paypal', account: 'payee@network.bench' }));
  await seedPayoutNetwork(db, { brandId: ctx.brandId, campaignId: campaign.id, creators, payoutDetailsEnc });
  const networkSeedMs = Date.now() - t0;

  const results = [];
  let from = 1;
  for (const [k, entries] of sizes.entries()) {
    const { period, availableAt } = periodFor(k);
    log(`payouts: seeding ${entries.toLocaleString('en-US')} ledger entries in ${period}...`);
    t0 = Date.now();
    const seeded = await seedNetworkLedger(db, { brandId: ctx.brandId, creators, period, from, count: entries, availableAt });
    const seedMs = Date.now() - t0;
    from += entries;
    if (seeded !== entries) throw new Error(`seeded ${seeded} ledger entries for ${period}, expected ${entries}`);

    // What the close must produce: one payout per creator whose entries net above zero, and their sum.
    const expected = await db
      .prepare(
        `SELECT count(*) AS payouts, COALESCE(SUM(net), 0) AS net, COALESCE(SUM(conversions), 0) AS conversions FROM (
           SELECT SUM(amount_minor) AS net, SUM(kind = 'commission') AS conversions FROM ledger_entries
           WHERE brand_id = ? AND period = ? GROUP BY creator_id HAVING SUM(amount_minor) > 0)`,
      )
      .bind(ctx.brandId, period)
      .first();

    log(`payouts: closing ${period}...`);
    const close = await measuredFetch(server, '/api/admin/payouts/close', { method: 'POST', headers: admin, body: JSON.stringify({ period }) });
    if (close.status !== 201) throw new Error(`closing ${period} answered ${close.status}: ${close.text?.slice(0, 300)}`);
    const closed = JSON.parse(close.text).data;

    // Memory: the peak (VmHWM, reset just before) and RSS sampled while the CSV streams, against RSS before.
    const pid = server.workerdPid;
    const before = pid ? memoryKiB(pid) : null;
    const peakReset = pid ? resetPeak(pid) : false;
    const sampler = pid ? sampleRss(pid) : null;
    log(`payouts: exporting ${period}...`);
    const exported = await measuredFetch(server, `/api/admin/payouts/export.csv?period=${period}`, { headers: admin });
    const sampled = sampler?.stop() ?? null;
    const after = pid ? memoryKiB(pid) : null;
    if (exported.status !== 200) throw new Error(`export of ${period} answered ${exported.status}: ${exported.text?.slice(0, 300)}`);

    const lines = exported.text.trimEnd().split('\r\n');
    const total = lines.at(-1).split(',');
    const payoutLines = lines.length - 2; // header and one TOTAL row (one currency)
    const checks = [
      { name: 'close: one payout per creator with a positive net', ok: closed.payouts === expected.payouts, detail: `${closed.payouts} payouts, ${expected.payouts} expected` },
      {
        name: 'export: every payout, TOTAL net == ledger',
        ok: payoutLines === expected.payouts && total[0] === '"TOTAL"' && minorOf(total[13]) === expected.net && Number(total[14]) === expected.conversions,
        detail: `${payoutLines} rows, TOTAL net ${total[13]} vs ${(expected.net / 100).toFixed(2)}, ${total[14]} conversions vs ${expected.conversions}`,
      },
    ];
    results.push({
      period,
      entries,
      seedMs,
      close: { ms: close.ms, usage: close.usage, payouts: closed.payouts },
      export: { ms: exported.ms, ttfbMs: exported.ttfbMs, bytes: exported.bytes, rows: payoutLines, usage: exported.usage },
      memory: before && {
        pid,
        rssBeforeKiB: before.rss,
        peakKiB: peakReset ? after.hwm : sampled.maxRss,
        peakSource: peakReset ? 'VmHWM after reset' : `max of ${sampled.samples} VmRSS samples`,
        sampledMaxKiB: sampled.maxRss,
        samples: sampled.samples,
        rssAfterKiB: after.rss,
      },
      checks,
      pass: checks.every((c) => c.ok),
    });
  }
  const lateClose = await closeSmallPeriodAfterHistory(server, { creators, k: sizes.length, from, admin, log });
  return { creators, networkSeedMs, sizes: results, memory: memoryVerdict(results), lateClose };
}

// A month of TAIL_ENTRIES closed after all the sizes: its close time shows what the ledger's history
// (every earlier, already-paid entry) costs a close, apart from the month's own entries.
const TAIL_ENTRIES = 1_000;

async function closeSmallPeriodAfterHistory(server, { creators, k, from, admin, log }) {
  const { period, availableAt } = periodFor(k);
  await seedNetworkLedger(server.db, { brandId: server.context.brandId, creators, period, from, count: TAIL_ENTRIES, availableAt });
  log(`payouts: closing ${period} (${TAIL_ENTRIES.toLocaleString('en-US')} entries after ${(from - 1).toLocaleString('en-US')} of history)...`);
  const close = await measuredFetch(server, '/api/admin/payouts/close', { method: 'POST', headers: admin, body: JSON.stringify({ period }) });
  if (close.status !== 201) throw new Error(`closing ${period} answered ${close.status}: ${close.text?.slice(0, 300)}`);
  return { period, entries: TAIL_ENTRIES, history: from - 1, ms: close.ms, usage: close.usage };
}

// Flat = the export's peak growth over the RSS it started from does not grow with the ledger: at the
// largest size it stays within 16 MiB (or 1.5x, whichever is larger) of the smallest size's.
export const FLAT_SLACK_KIB = 16 * 1024;

function memoryVerdict(results) {
  const withMemory = results.filter((r) => r.memory);
  if (withMemory.length < 2) return { verdict: 'n/a', detail: withMemory.length ? 'one ledger size only' : 'no /proc readings (not Linux?)' };
  const growth = (r) => r.memory.peakKiB - r.memory.rssBeforeKiB;
  const small = withMemory[0];
  const large = withMemory.at(-1);
  const limit = Math.max(growth(small) + FLAT_SLACK_KIB, 1.5 * growth(small));
  const flat = growth(large) <= limit;
  return {
    verdict: flat ? 'FLAT' : 'GROWS',
    pass: flat,
    detail: `export peak over starting RSS: ${mib(growth(small))} at ${small.entries.toLocaleString('en-US')} entries, ${mib(growth(large))} at ${large.entries.toLocaleString('en-US')} (flat if <= ${mib(limit)})`,
  };
}

export const mib = (kib) => (Number.isFinite(kib) ? `${(kib / 1024).toFixed(1)} MiB` : 'n/a');
