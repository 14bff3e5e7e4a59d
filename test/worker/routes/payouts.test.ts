import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { csvLine, csvText, parseCsv } from '../../../worker/lib/csv';
import { periodBounds } from '../../../worker/domain/periods';
import { closePeriod, payoutsCsvStream } from '../../../worker/db/payouts';
import type { Env } from '../../../worker/env';
import { newId } from '../../../worker/lib/ids';
import { markPayouts } from '../../../worker/routes/admin/payouts';
import { closeForecast } from '../../../worker/routes/portal/console/queries';
import { addAcceptedCreator, createMoneyBrand, d1With, insertLedgerEntry, json, rowCount, signedPost, waitFor } from '../fixtures';
import { logTransport, setTransport, type Message } from '../../../worker/lib/messages';

let n = 0;
const SEPT = (day: number) => new Date(Date.UTC(2026, 8, day, 12)).toISOString();

// A brand with three creators (one with a hostile name) and September orders, payable by end of October.
async function brandWithEarnings() {
  const m = await createMoneyBrand();
  const creators = [{ id: m.creator.id, enrollmentId: m.enrollment.id, code: m.code }];
  for (const name of ['=HYPERLINK("http://evil.example","click")', 'Zoë "Z" Ångström, 李小龙\nsecond line']) {
    const handle = `p${Date.now().toString(36)}${n++}`;
    const creator = await addAcceptedCreator(m.brand, { email: `${handle}@creators.test`, handle, displayName: name.split('\n')[0]! });
    // Names are one line now; one stored before that (or by hand) must still export as one CSV cell.
    if (name.includes('\n')) await env.DB.prepare('UPDATE creators SET display_name = ? WHERE id = ?').bind(name, creator.data.id).run();
    const enrollment = await json<{ data: { id: string } }>(
      await m.brand.api('POST', '/api/admin/enrollments', { campaignId: m.campaign.id, creatorId: creator.data.id, paymentModel: 'affiliate', status: 'active' }),
    );
    const code = `P${handle.toUpperCase()}`.slice(0, 30);
    await m.brand.api('POST', '/api/admin/codes', { enrollmentId: enrollment.data.id, code, discountType: 'percent', discountValue: 10 });
    creators.push({ id: creator.data.id, enrollmentId: enrollment.data.id, code });
  }
  const orders = [
    [0, 10_000, 5],
    [0, 25_050, 6],
    [1, 9_999, 7],
    [2, 40_000, 8],
  ] as const;
  for (const [i, amountMinor, day] of orders) {
    const res = await signedPost(m.brand, m.ingestKey, '/v1/conversions', { orderId: `po-${n++}-${i}`, amountMinor, currency: 'USD', occurredAt: SEPT(day), code: creators[i]!.code });
    expect(res.status).toBe(201);
  }
  await signedPost(m.brand, m.ingestKey, '/v1/refunds', { refundId: `rf-${n++}`, orderId: `po-${n - 5}-0`, amountMinor: 5_000, currency: 'USD', occurredAt: SEPT(20) });
  return { ...m, creators };
}

type MarkItems = Parameters<typeof markPayouts>[3];

// Two markers racing: the first reads its payouts, then its write waits until the second has read, written
// and answered. Returns both answers, the first's last.
async function markRacing(brandId: string, first: MarkItems, second: MarkItems) {
  let entered!: () => void;
  const inBatch = new Promise<void>((r) => (entered = r));
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const held = d1With({ batch: async (statements: D1PreparedStatement[]) => (entered(), await gate, env.DB.batch(statements)) });
  const actor = { type: 'api_key', id: 'test' };
  const firstAnswer = markPayouts({ ...(env as Env), DB: held }, brandId, actor, first);
  await inBatch;
  const secondAnswer = await markPayouts(env as Env, brandId, actor, second);
  release();
  return { first: await firstAnswer, second: secondAnswer };
}

const ledgerTotal = (brandId: string) => rowCount('SELECT COALESCE(SUM(amount_minor), 0) AS n FROM ledger_entries WHERE brand_id = ?', brandId);

describe('closing a period', () => {
  it('creates one payout per creator and currency even when closed concurrently and again', async () => {
    const m = await brandWithEarnings();
    const results = await Promise.all(Array.from({ length: 8 }, () => m.brand.api('POST', '/api/admin/payouts/close', { period: '2026-10' })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    expect(await rowCount('SELECT count(*) AS n FROM payouts WHERE brand_id = ?', m.brand.brandId)).toBe(3);
    expect((await m.brand.api('POST', '/api/admin/payouts/close', { period: '2026-10' })).status).toBe(200);
    expect(await rowCount('SELECT count(*) AS n FROM payouts WHERE brand_id = ?', m.brand.brandId)).toBe(3);
    expect(await rowCount('SELECT count(*) AS n FROM ledger_entries WHERE brand_id = ? AND payout_id IS NULL', m.brand.brandId)).toBe(0);
    expect(await rowCount('SELECT SUM(amount_minor) AS n FROM payouts WHERE brand_id = ?', m.brand.brandId)).toBe(await ledgerTotal(m.brand.brandId));
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'period.closed'", m.brand.brandId)).toBe(1);
  });

  it('refuses a period that has not ended, and leaves entries still in holding for later', async () => {
    const m = await brandWithEarnings();
    const current = new Date().toISOString().slice(0, 7);
    const open = await m.brand.api('POST', '/api/admin/payouts/close', { period: current });
    expect(open.status).toBe(409);
    expect((await json<{ error: { code: string } }>(open)).error.code).toBe('period_open');
    // By the end of September nothing had cleared its 30-day holding period.
    await m.brand.api('POST', '/api/admin/payouts/close', { period: '2026-09' });
    expect(await rowCount('SELECT count(*) AS n FROM payouts WHERE brand_id = ?', m.brand.brandId)).toBe(0);
    expect((await m.brand.api('POST', '/api/admin/payouts/close', { period: '2026-13' })).status).toBe(422);
  });
});

describe('payouts export', () => {
  it('writes RFC 4180 CSV with neutralised formulas, quoted names, plain amounts and a totals row equal to the ledger', async () => {
    const m = await brandWithEarnings();
    await m.brand.api('POST', '/api/admin/payouts/close', { period: '2026-10' });
    const res = await m.brand.api('GET', '/api/admin/payouts/export.csv?period=2026-10');
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="chorus-payouts-[a-z0-9-]+-2026-10\.csv"$/);
    const text = await res.text();
    expect(text.split('\r\n').length).toBe(1 + 3 + 1 + 1); // header, 3 payouts, totals, trailing
    expect(text).not.toMatch(/[^\r]\n(?!second line)/); // records end in CRLF; the only bare LF is inside the quoted name
    const rows = parseCsv(text);
    const header = rows[0]!.cells;
    expect(header).toEqual(['payout_id', 'period', 'creator_id', 'handle', 'name', 'email', 'payout_method', 'payout_account', 'currency', 'commission', 'reversals', 'flat_fees', 'bonuses', 'net_amount', 'conversion_count', 'status', 'tax_details', 'reference']);
    const byName = (needle: string) => rows.find((r) => r.cells[4]!.includes(needle))!.cells;
    expect(byName('HYPERLINK')[4]).toBe(`'=HYPERLINK("http://evil.example","click")`);
    expect(byName('Zoë')[4]).toBe('Zoë "Z" Ångström, 李小龙\nsecond line');
    expect(text).toContain('"Zoë ""Z"" Ångström, 李小龙\nsecond line"');
    const sarah = rows.find((r) => r.cells[2] === m.creator.id)!.cells;
    // 10% of 100.00 and 250.50, half of the first order refunded: plain numbers, signed, two decimals.
    expect(sarah.slice(9, 16)).toEqual(['35.05', '-5.00', '0.00', '0.00', '30.05', '2', 'pending']);
    const totals = rows.at(-1)!.cells;
    expect(totals[0]).toBe('TOTAL');
    const ledger = await ledgerTotal(m.brand.brandId);
    expect(totals[13]).toBe((ledger / 100).toFixed(2));
    expect(rows.slice(1, -1).reduce((sum, r) => sum + Math.round(Number(r.cells[13]) * 100), 0)).toBe(ledger);
    // A closed period re-exports byte for byte.
    const again = await (await m.brand.api('GET', '/api/admin/payouts/export.csv?period=2026-10')).text();
    expect(again).toBe(text);
    // Read a payout a page or two at a time, the file is the same to the byte, totals last.
    for (const size of [1, 2, 3, 4]) expect(await new Response(payoutsCsvStream(env.DB, env.SECRETS_KEY, m.brand.brandId, '2026-10', size)).text(), String(size)).toBe(text);
    const asJson = await json<{ data: { payouts: { netMinor: number }[]; totals: { net: number }[] } }>(await m.brand.api('GET', '/api/admin/payouts?period=2026-10'));
    expect(asJson.data.totals[0]!.net).toBe(ledger);
  });

  it("never shows another brand's creators or money, even for a creator enrolled with both", async () => {
    const a = await brandWithEarnings();
    const b = await createMoneyBrand();
    // The same global creator account joins brand B and earns there too.
    await b.brand.api('POST', '/api/admin/creators', { email: `${a.handle}@creators.test`, handle: a.handle, displayName: 'Sarah' });
    const enr = await json<{ data: { id: string } }>(await b.brand.api('POST', '/api/admin/enrollments', { campaignId: b.campaign.id, creatorId: a.creator.id, paymentModel: 'affiliate' }));
    await b.brand.api('POST', '/api/admin/codes', { enrollmentId: enr.data.id, code: `B${a.code}`.slice(0, 32), discountType: 'percent', discountValue: 10 });
    await signedPost(b.brand, b.ingestKey, '/v1/conversions', { orderId: `b-order-${n++}`, amountMinor: 77_700, currency: 'USD', occurredAt: SEPT(3), code: `B${a.code}`.slice(0, 32) });
    await a.brand.api('POST', '/api/admin/payouts/close', { period: '2026-10' });
    await b.brand.api('POST', '/api/admin/payouts/close', { period: '2026-10' });
    const aCsv = await (await a.brand.api('GET', '/api/admin/payouts/export.csv?period=2026-10')).text();
    const bCsv = await (await b.brand.api('GET', '/api/admin/payouts/export.csv?period=2026-10')).text();
    expect(aCsv).not.toContain('777.00');
    expect(bCsv).toContain('77.70');
    expect(bCsv).not.toContain('HYPERLINK');
    const bRows = parseCsv(bCsv).slice(1, -1);
    expect(bRows.map((r) => r.cells[2]).sort()).toEqual([a.creator.id, b.creator.id].filter((id) => bRows.some((r) => r.cells[2] === id)).sort());
    expect(Number(parseCsv(bCsv).at(-1)!.cells[13]) * 100).toBe(await ledgerTotal(b.brand.brandId));
  });
});

describe('marking payouts paid', () => {
  it('marks one payout paid, and reconciles a processor CSV idempotently', async () => {
    const m = await brandWithEarnings();
    await m.brand.api('POST', '/api/admin/payouts/close', { period: '2026-10' });
    const { results } = await env.DB.prepare('SELECT id FROM payouts WHERE brand_id = ? ORDER BY id').bind(m.brand.brandId).all<{ id: string }>();
    const [first, second, third] = results.map((r) => r.id);
    expect((await m.brand.api('POST', `/api/admin/payouts/${first}/mark`, { reference: 'WISE-1001' })).status).toBe(200);
    expect((await m.brand.api('POST', `/api/admin/payouts/${first}/mark`, { reference: 'WISE-9999' })).status).toBe(409);
    const csv = `payout_id,reference,status\r\n${first},WISE-1001,paid\r\n${second},WISE-1002,paid\r\n${third},WISE-1003,failed\r\n`;
    const rec = await json<{ data: { results: { outcome: string }[] } }>(await m.brand.api('POST', '/api/admin/payouts/reconcile', { csv }));
    expect(rec.data.results.map((r) => r.outcome)).toEqual(['unchanged', 'paid', 'failed']);
    const again = await json<{ data: { results: { outcome: string }[] } }>(await m.brand.api('POST', '/api/admin/payouts/reconcile', { csv }));
    expect(again.data.results.map((r) => r.outcome)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    const bad = await m.brand.api('POST', '/api/admin/payouts/reconcile', { csv: 'payout_id,reference\r\nnot-an-id,X\r\n' });
    expect(bad.status).toBe(422);
    const other = await createMoneyBrand();
    const foreign = await json<{ data: { results: { outcome: string }[] } }>(await other.brand.api('POST', '/api/admin/payouts/reconcile', { csv }));
    expect(foreign.data.results.map((r) => r.outcome)).toEqual(['not_found', 'not_found', 'not_found']);
    expect((await other.brand.api('POST', `/api/admin/payouts/${second}/mark`, { reference: 'X' })).status).toBe(404);
  });

  it("reads a SEPA file's payout id back in any case: banks upper-case references on statements", async () => {
    const m = await brandWithEarnings();
    await m.brand.api('POST', '/api/admin/payouts/close', { period: '2026-10' });
    const { results } = await env.DB.prepare('SELECT id FROM payouts WHERE brand_id = ? ORDER BY id').bind(m.brand.brandId).all<{ id: string }>();
    const [first, second] = results.map((r) => r.id);
    const csv = `payout_id,reference,status\r\n${first!.replace('_', '.').toUpperCase()},BANK-1,paid\r\n${second!.toUpperCase()},BANK-2,paid\r\n`;
    const rec = await json<{ data: { results: { payoutId: string; outcome: string }[] } }>(await m.brand.api('POST', '/api/admin/payouts/reconcile', { csv }));
    expect(rec.data.results.map((r) => [r.payoutId, r.outcome])).toEqual([
      [first, 'paid'],
      [second, 'paid'],
    ]);
    // One a character too long, and one of the right length with a '-' (a letter would pass: a payout id takes any).
    const bad = await m.brand.api('POST', '/api/admin/payouts/reconcile', { csv: `payout_id,reference\r\nPO.${'Z'.repeat(25)},X\r\nPO.${'A'.repeat(23)}-,Y\r\n` });
    const refused = await json<{ error: { code: string; details: { errors: { line: number }[] } } }>(bad);
    expect([bad.status, refused.error.code, refused.error.details.errors.map((e) => e.line)]).toEqual([422, 'invalid_rows', [2, 3]]);
  });

  // Room for the wait below: the notices queue behind earlier tests', sent half a second apart.
  it('tells each creator when their payout is paid or fails, once, and not on a rerun', { timeout: 20_000 }, async () => {
    const m = await brandWithEarnings();
    await m.brand.api('POST', '/api/admin/payouts/close', { period: '2026-10' });
    const { results } = await env.DB.prepare('SELECT p.id, c.email FROM payouts p JOIN creators c ON c.id = p.creator_id WHERE p.brand_id = ? ORDER BY p.id').bind(m.brand.brandId).all<{ id: string; email: string }>();
    const [first, second] = results;
    const sent: Message[] = [];
    setTransport(async (msg) => void sent.push(msg));
    try {
      expect((await m.brand.api('POST', `/api/admin/payouts/${first!.id}/mark`, { reference: 'WISE-3001' })).status).toBe(200);
      const csv = `payout_id,reference,status,reason\r\n${first!.id},WISE-3001,paid,\r\n${second!.id},WISE-3002,failed,Recipient account closed\r\n`;
      expect((await m.brand.api('POST', '/api/admin/payouts/reconcile', { csv })).status).toBe(200);
      expect((await m.brand.api('POST', '/api/admin/payouts/reconcile', { csv })).status).toBe(200);
      // Notices go through the mail queue, where an earlier test's may still be: only these creators' count.
      const ours = () => sent.filter((s) => s.to === first!.email || s.to === second!.email);
      await waitFor(async () => (ours().length >= 2 ? true : null), 15_000);
      // Long enough for a second copy to come off the queue, were one queued.
      await new Promise((r) => setTimeout(r, 1_500));
      sent.splice(0, sent.length, ...ours());
    } finally {
      setTransport(logTransport);
    }
    expect(sent).toHaveLength(2);
    const paid = sent.find((s) => s.to === first!.email);
    expect(paid).toMatchObject({ subject: 'Test Brand paid your October 2026 payout' });
    expect(paid!.text).toContain('payment reference WISE-3001');
    const failed = sent.find((s) => s.to === second!.email);
    expect(failed).toMatchObject({ subject: 'Test Brand could not pay your October 2026 payout' });
    expect(failed!.text).toContain('Recipient account closed');
    expect(failed!.text).toContain('/earnings');
  });

  it('takes its own export back, references and statuses filled in, leaving out the TOTAL row and payouts still pending', async () => {
    const m = await brandWithEarnings();
    await m.brand.api('POST', '/api/admin/payouts/close', { period: '2026-10' });
    const exported = parseCsv(await (await m.brand.api('GET', '/api/admin/payouts/export.csv?period=2026-10')).text());
    const [header, ...rows] = exported.map((r) => r.cells);
    const statusAt = header!.indexOf('status');
    const referenceAt = header!.indexOf('reference');
    expect(rows.at(-1)![0]).toBe('TOTAL');
    const filled = [header!, ...rows.map((cells, i) => (i === 0 ? cells.map((cell, j) => (j === statusAt ? 'paid' : j === referenceAt ? 'WISE-2001' : cell)) : cells))];
    const csv = filled.map((cells) => csvLine(cells.map(csvText))).join('');
    const rec = await m.brand.api('POST', '/api/admin/payouts/reconcile', { csv });
    expect(rec.status).toBe(200);
    expect((await json<{ data: { results: { payoutId: string; outcome: string }[] } }>(rec)).data.results).toEqual([expect.objectContaining({ payoutId: rows[0]![0], outcome: 'paid' })]);
    expect(await rowCount("SELECT count(*) AS n FROM payouts WHERE brand_id = ? AND status = 'pending'", m.brand.brandId)).toBe(rows.length - 2);
  });

  it('keeps why a payment failed for the creator, refuses a reason without a failure, and clears it once paid', async () => {
    const m = await brandWithEarnings();
    await m.brand.api('POST', '/api/admin/payouts/close', { period: '2026-10' });
    const { results } = await env.DB.prepare('SELECT id FROM payouts WHERE brand_id = ? ORDER BY id').bind(m.brand.brandId).all<{ id: string }>();
    const [first, second, third] = results.map((r) => r.id);
    const stored = (id: string | undefined) => env.DB.prepare('SELECT status, reference, failure_reason FROM payouts WHERE id = ?').bind(id).first();
    for (const body of [
      { status: 'paid', reference: 'WISE-1', reason: 'Account closed' },
      { status: 'failed', reference: 'WISE-1', reason: 'closed\nsecond line' },
      { status: 'failed', reference: 'WISE-1', reason: 'x'.repeat(201) },
      { status: 'failed', reference: 'WISE-1', reason: 7 },
    ]) {
      const res = await m.brand.api('POST', `/api/admin/payouts/${first}/mark`, body);
      expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(422);
    }
    expect(await stored(first)).toEqual({ status: 'pending', reference: null, failure_reason: null });
    expect((await m.brand.api('POST', `/api/admin/payouts/${first}/mark`, { status: 'failed', reference: 'WISE-1', reason: '  Recipient account closed ' })).status).toBe(200);
    expect(await stored(first)).toEqual({ status: 'failed', reference: 'WISE-1', failure_reason: 'Recipient account closed' });
    const listed = await json<{ data: { payouts: { id: string; failureReason: string | null }[] } }>(await m.brand.api('GET', '/api/admin/payouts?period=2026-10'));
    expect(listed.data.payouts.find((p) => p.id === first)?.failureReason).toBe('Recipient account closed');
    expect((await m.brand.api('POST', `/api/admin/payouts/${first}/mark`, { status: 'paid', reference: 'WISE-2' })).status).toBe(200);
    expect(await stored(first)).toEqual({ status: 'paid', reference: 'WISE-2', failure_reason: null });

    // A processor file: the reason column is read on failed rows only, and a broken one refuses the file.
    const bad = `payout_id,reference,status,reason\r\n${second},W-2,failed,"two\nlines"\r\n`;
    expect((await m.brand.api('POST', '/api/admin/payouts/reconcile', { csv: bad })).status).toBe(422);
    const csv = `payout_id,reference,status,reason\r\n${second},W-2,paid,Settled\r\n${third},W-3,failed,IBAN invalid\r\n`;
    expect((await m.brand.api('POST', '/api/admin/payouts/reconcile', { csv })).status).toBe(200);
    expect(await stored(second)).toEqual({ status: 'paid', reference: 'W-2', failure_reason: null });
    expect(await stored(third)).toEqual({ status: 'failed', reference: 'W-3', failure_reason: 'IBAN invalid' });
    expect(await env.DB.prepare("SELECT details FROM audit_log WHERE target_id = ? AND action = 'payout.failed'").bind(third).first('details')).toBe(JSON.stringify({ reference: 'W-3', reason: 'IBAN invalid' }));
  });

  // Marked failed first (a quick call, the console), then the processor's file names the reason; or the
  // reason is corrected. Without a reason a repeat changes nothing and keeps the one recorded.
  it('records a reason given later for the same failed payment, and keeps it through a repeat without one', async () => {
    const m = await brandWithEarnings();
    await m.brand.api('POST', '/api/admin/payouts/close', { period: '2026-10' });
    const id = (await env.DB.prepare('SELECT id FROM payouts WHERE brand_id = ? ORDER BY id').bind(m.brand.brandId).first<string>('id'))!;
    const reason = () => env.DB.prepare('SELECT failure_reason FROM payouts WHERE id = ?').bind(id).first<string | null>('failure_reason');
    const outcome = async (res: Response) => (await json<{ data: { outcome: string } }>(res)).data.outcome;
    expect(await outcome(await m.brand.api('POST', `/api/admin/payouts/${id}/mark`, { status: 'failed', reference: 'W-1' }))).toBe('failed');
    const csv = `payout_id,reference,status,reason\r\n${id},W-1,failed,IBAN invalid\r\n`;
    const reconciled = await json<{ data: { results: { outcome: string }[] } }>(await m.brand.api('POST', '/api/admin/payouts/reconcile', { csv }));
    expect(reconciled.data.results.map((r) => r.outcome)).toEqual(['failed']);
    expect(await reason()).toBe('IBAN invalid');
    expect(await outcome(await m.brand.api('POST', `/api/admin/payouts/${id}/mark`, { status: 'failed', reference: 'W-1', reason: 'Recipient account closed' }))).toBe('failed');
    expect(await reason()).toBe('Recipient account closed');
    for (const body of [{ status: 'failed', reference: 'W-1' }, { status: 'failed', reference: 'W-1', reason: 'Recipient account closed' }]) {
      expect(await outcome(await m.brand.api('POST', `/api/admin/payouts/${id}/mark`, body))).toBe('unchanged');
    }
    expect(await reason()).toBe('Recipient account closed');
    const audit = await env.DB.prepare("SELECT details FROM audit_log WHERE target_id = ? AND action = 'payout.failed' ORDER BY at, rowid").bind(id).all<{ details: string }>();
    expect(audit.results.map((r) => JSON.parse(r.details).reason ?? null)).toEqual([null, 'IBAN invalid', 'Recipient account closed']);
  });

  // A reference with a lone surrogate would be stored as U+FFFD and never equal itself on the retry.
  it('refuses a payment reference with broken characters or a line break, in a call and in a file', async () => {
    const m = await brandWithEarnings();
    await m.brand.api('POST', '/api/admin/payouts/close', { period: '2026-10' });
    const id = (await env.DB.prepare('SELECT id FROM payouts WHERE brand_id = ? ORDER BY id').bind(m.brand.brandId).first<string>('id'))!;
    for (const reference of ['WISE-88213-\ud83d', 'W-1\nW-2', '   ']) {
      expect((await m.brand.api('POST', `/api/admin/payouts/${id}/mark`, { status: 'paid', reference })).status).toBe(422);
    }
    const csv = `payout_id,reference,status\r\n${id},"W-1\nW-2",paid\r\n`;
    const res = await m.brand.api('POST', '/api/admin/payouts/reconcile', { csv });
    expect(res.status).toBe(422);
    expect(await env.DB.prepare('SELECT status FROM payouts WHERE id = ?').bind(id).first('status')).toBe('pending');
  });

  it('applies a file that lists one payout twice in order: the later row is a conflict, and a rerun changes nothing', async () => {
    const m = await brandWithEarnings();
    await m.brand.api('POST', '/api/admin/payouts/close', { period: '2026-10' });
    const id = (await env.DB.prepare('SELECT id FROM payouts WHERE brand_id = ? ORDER BY id').bind(m.brand.brandId).first<string>('id'))!;
    const csv = `payout_id,reference,status\r\n${id},WISE-1,paid\r\n${id},WISE-2,failed\r\n${id},WISE-1,paid\r\n`;
    const outcomes = async () => (await json<{ data: { results: { outcome: string }[] } }>(await m.brand.api('POST', '/api/admin/payouts/reconcile', { csv }))).data.results.map((r) => r.outcome);
    expect(await outcomes()).toEqual(['paid', 'conflict', 'unchanged']);
    expect(await env.DB.prepare('SELECT status, reference FROM payouts WHERE id = ?').bind(id).first()).toEqual({ status: 'paid', reference: 'WISE-1' });
    expect(await outcomes()).toEqual(['unchanged', 'conflict', 'unchanged']);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action LIKE 'payout.%'", id)).toBe(1);
  });

  it('lets one of two people marking a payout at once win; the other is told it is taken', async () => {
    const m = await brandWithEarnings();
    await m.brand.api('POST', '/api/admin/payouts/close', { period: '2026-10' });
    const payoutId = (await env.DB.prepare('SELECT id FROM payouts WHERE brand_id = ? ORDER BY id').bind(m.brand.brandId).first<string>('id'))!;
    // The first marker's write waits until the second has read the payout (still pending) and written.
    const race = await markRacing(m.brand.brandId, [{ line: null, payoutId, reference: 'REF-A', status: 'paid' }], [{ line: null, payoutId, reference: 'REF-B', status: 'paid' }]);
    expect([race.first[0]!.outcome, race.second[0]!.outcome]).toEqual(['conflict', 'paid']);
    expect(await env.DB.prepare('SELECT reference FROM payouts WHERE id = ?').bind(payoutId).first('reference')).toBe('REF-B');
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'payout.paid'", payoutId)).toBe(1);
    // A file that listed the payout twice is answered from what is stored for both rows, not only the first.
    await env.DB.prepare("UPDATE payouts SET status = 'pending', reference = NULL, paid_at = NULL WHERE id = ?").bind(payoutId).run();
    const again = await markRacing(
      m.brand.brandId,
      [
        { line: 2, payoutId, reference: 'WISE-A', status: 'paid' },
        { line: 3, payoutId, reference: 'WISE-A', status: 'paid' },
      ],
      [{ line: null, payoutId, reference: 'WISE-B', status: 'paid' }],
    );
    expect(again.first.map((r) => r.outcome)).toEqual(['conflict', 'conflict']);
  });
});

describe('the close preview', () => {
  it('shows what the close will pay: creators netting below zero carry their balance', async () => {
    const m = await createMoneyBrand();
    const other = await json<{ data: { id: string } }>(await m.brand.api('POST', '/api/admin/creators', { email: `neg${n}@creators.test`, handle: `neg_${Date.now().toString(36)}${n++}`, displayName: 'Neg' }));
    const at = Date.UTC(2026, 9, 10);
    const entry = (creatorId: string, kind: string, amountMinor: number) => insertLedgerEntry({ brandId: m.brand.brandId, enrollmentId: m.enrollment.id, creatorId, kind, amountMinor, period: '2026-10', availableAt: at });
    await entry(m.creator.id, 'commission', 10_000);
    await entry(m.creator.id, 'commission', 2_000);
    await entry(other.data.id, 'reversal', -3_000); // a refund after an earlier payout, nothing earned since
    const preview = await closeForecast(env.DB, m.brand.brandId, '2026-10', periodBounds('2026-10', 'UTC').end);
    expect(preview).toEqual({ claimable: [{ currency: 'USD', amount: 12_000, creators: 1, entries: 2 }], below: [], minimum: 0 });
    await closePeriod(env.DB, { id: m.brand.brandId, timezone: 'UTC' }, '2026-10', { type: 'api_key', id: 'test' });
    expect(await env.DB.prepare('SELECT SUM(amount_minor) AS amount, COUNT(*) AS creators FROM payouts WHERE brand_id = ?').bind(m.brand.brandId).first()).toEqual({ amount: 12_000, creators: 1 });
  });
});

describe('the minimum payout', () => {
  it('pays only creators owed the minimum or more (or no longer in a running campaign), and carries the rest to a later close that pays it once it adds up', async () => {
    const m = await createMoneyBrand();
    const ended = await json<{ data: { id: string } }>(await m.brand.api('POST', '/api/admin/campaigns', { name: 'Done', slug: `done-${n++}-${Date.now().toString(36)}`, hashtag: '#Done', defaultDestination: 'https://shop.example/done' }));
    const creator = async (...enrollments: [string, 'active' | 'removed'][]) => {
      const made = await json<{ data: { id: string } }>(await m.brand.api('POST', '/api/admin/creators', { email: `min${n}@creators.test`, handle: `min_${Date.now().toString(36)}${n++}`, displayName: 'Min' }));
      for (const [campaignId, status] of enrollments) {
        const enrollment = await json<{ data: { id: string } }>(await m.brand.api('POST', '/api/admin/enrollments', { campaignId, creatorId: made.data.id, paymentModel: 'affiliate' }));
        if (status === 'removed') expect((await m.brand.api('PATCH', `/api/admin/enrollments/${enrollment.data.id}`, { status: 'removed' })).status).toBe(200);
      }
      return made;
    };
    // Still in a running campaign (removed from another): the minimum holds.
    const other = await creator([m.campaign.id, 'active'], [ended.data.id, 'removed']);
    // Removed from the brand's every campaign, or in ended ones only: nothing will lift what they are owed to
    // the minimum, so it is paid.
    const gone = await creator([m.campaign.id, 'removed']);
    const finished = await creator([ended.data.id, 'active']);
    expect((await m.brand.api('PATCH', `/api/admin/campaigns/${ended.data.id}`, { status: 'ended' })).status).toBe(200);
    const entry = (creatorId: string, period: string, availableAt: number, amountMinor: number) => insertLedgerEntry({ brandId: m.brand.brandId, enrollmentId: m.enrollment.id, creatorId, amountMinor, period, availableAt });
    const patched = await m.brand.api('PATCH', '/api/admin/brand', { minPayoutMinor: 5_000 });
    expect(patched.status).toBe(200);
    expect((await json<{ data: { minPayoutMinor: number } }>(patched)).data.minPayoutMinor).toBe(5_000);
    for (const bad of [-1, 1_000_001, 12.5, '5000', null]) expect((await m.brand.api('PATCH', '/api/admin/brand', { minPayoutMinor: bad })).status, String(bad)).toBe(422);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'brand.updated'", m.brand.brandId)).toBe(1);

    await entry(m.creator.id, '2026-09', Date.UTC(2026, 8, 10), 5_000); // exactly the minimum: paid
    await entry(other.data.id, '2026-09', Date.UTC(2026, 8, 10), 3_000); // below: carried
    await entry(gone.data.id, '2026-09', Date.UTC(2026, 8, 10), 1_000); // below, but removed: paid
    await entry(finished.data.id, '2026-09', Date.UTC(2026, 8, 10), 1_500); // below, but the campaign ended: paid
    const september = await closeForecast(env.DB, m.brand.brandId, '2026-09', periodBounds('2026-09', 'UTC').end);
    expect(september).toEqual({ claimable: [{ currency: 'USD', amount: 7_500, creators: 3, entries: 3 }], below: [{ currency: 'USD', amount: 3_000, creators: 1, entries: 1 }], minimum: 5_000 });
    await closePeriod(env.DB, { id: m.brand.brandId, timezone: 'UTC' }, '2026-09', { type: 'api_key', id: 'test' });
    const paid = await env.DB.prepare("SELECT creator_id, amount_minor FROM payouts WHERE brand_id = ? AND period = '2026-09' ORDER BY amount_minor").bind(m.brand.brandId).all();
    expect(paid.results).toEqual([
      { creator_id: gone.data.id, amount_minor: 1_000 },
      { creator_id: finished.data.id, amount_minor: 1_500 },
      { creator_id: m.creator.id, amount_minor: 5_000 },
    ]);
    expect(await rowCount('SELECT count(*) AS n FROM ledger_entries WHERE creator_id = ? AND payout_id IS NULL', other.data.id)).toBe(1);

    // October: 2,500 more makes 5,500, which the October close pays in one payout, September's entry included.
    await entry(other.data.id, '2026-10', Date.UTC(2026, 9, 10), 2_500);
    await closePeriod(env.DB, { id: m.brand.brandId, timezone: 'UTC' }, '2026-10', { type: 'api_key', id: 'test' });
    const october = await env.DB.prepare("SELECT id, creator_id, amount_minor FROM payouts WHERE brand_id = ? AND period = '2026-10'").bind(m.brand.brandId).all<{ id: string; creator_id: string; amount_minor: number }>();
    expect(october.results.map((p) => [p.creator_id, p.amount_minor])).toEqual([[other.data.id, 5_500]]);
    expect(await rowCount('SELECT count(*) AS n FROM ledger_entries WHERE payout_id = ?', october.results[0]!.id)).toBe(2);
  });
});

describe('reconciling after a lost write', () => {
  it('reports a row this file did write as paid, not unchanged', async () => {
    const m = await createMoneyBrand();
    const payoutId = newId('po');
    await env.DB.prepare("INSERT INTO payouts (id, brand_id, creator_id, period, currency, amount_minor, status, created_at) VALUES (?, ?, ?, '2026-10', 'USD', 1000, 'pending', ?)")
      .bind(payoutId, m.brand.brandId, m.creator.id, Date.now())
      .run();
    // The file: first marked failed (bank bounced it), then paid again with a new reference; meanwhile a
    // colleague records the same bounce.
    const race = await markRacing(
      m.brand.brandId,
      [
        { line: 2, payoutId, reference: 'BOUNCE-1', status: 'failed' },
        { line: 3, payoutId, reference: 'WISE-2', status: 'paid' },
      ],
      [{ line: null, payoutId, reference: 'BOUNCE-1', status: 'failed' }],
    );
    const outcomes = race.first.map((r) => r.outcome);
    // Line 3's write landed (status paid, WISE-2, with its audit row): the file must say so.
    expect(await env.DB.prepare('SELECT status, reference FROM payouts WHERE id = ?').bind(payoutId).first()).toEqual({ status: 'paid', reference: 'WISE-2' });
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'payout.paid'", payoutId)).toBe(1);
    expect(outcomes[1]).toBe('paid');
  });
});
