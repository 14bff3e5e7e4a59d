// What each payout paid: the creator's statement page and CSV, the console's, the admin API's entries, and the link
// in the "paid your payout" mail. The groups a statement shows add up to the payout exactly, in minor units.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { eraseCreator, erasedEmail, owedKey, owedTo } from '../../../worker/db/creator-erasure';
import { payoutStatement, payoutStatementCsv, statementPayout } from '../../../worker/db/payout-statements';
import { EARNING_KIND_LABELS } from '../../../portal/format';
import { mailLinkOrigin, type Env } from '../../../worker/env';
import { payoutNotice } from '../../../worker/routes/admin/payouts';
import { parseCsv } from '../../../worker/lib/csv';
import { newId } from '../../../worker/lib/ids';
import { encodeCursor } from '../../../worker/lib/cursor';
import { logTransport, setTransport, type Message } from '../../../worker/lib/messages';
import { adminUser, signIn } from '../console-fixtures';
import { insertSubmission, json, signedPost, waitFor } from '../fixtures';
import { get, post } from '../forms';
import { signedInCreator, portalTestDefaults } from '../portal-fixtures';

portalTestDefaults();

const SEPT = (day: number) => Date.UTC(2026, 8, day, 12);
const FORMULA_NOTE = '=HYPERLINK("http://evil.example","Bonus")';
let n = 0;

type Member = Awaited<ReturnType<typeof signedInCreator>>;
type LedgerRow = { kind: string; amountMinor: number; at: number; submissionId?: string; note?: string; conversionId?: string; refundId?: string; eventKey?: string; basisMinor?: number; basisPeriod?: string };

// A ledger entry of September (a month already over) as the money code writes one, straight into the ledger.
const ledgerRow = (m: Member, r: LedgerRow) =>
  env.DB.prepare(
    "INSERT INTO ledger_entries (id, brand_id, enrollment_id, creator_id, kind, amount_minor, currency, basis_minor, period, basis_period, conversion_id, refund_id, submission_id, note, event_key, available_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 'USD', ?, '2026-09', ?, ?, ?, ?, ?, ?, ?, ?)",
  ).bind(newId('le'), m.brand.brandId, m.enrollment.id, m.creator.id, r.kind, r.amountMinor, r.basisMinor ?? 0, r.basisPeriod ?? null, r.conversionId ?? null, r.refundId ?? null, r.submissionId ?? null, r.note ?? null, r.eventKey ?? `${r.kind}:${newId('k')}`, r.at, r.at);

// What a test adds before the close: the member, their orders' conversion ids and the refund's row id.
type Setup = { m: Member; conversionOf: (orderId: string) => Promise<string>; refundRowId: string; submissionId: string; orders: { orderId: string }[] };

// A creator with a closed October payout holding two commissions, a refund's reversal, a flat fee for a live post,
// a bonus and the brand's adjustment (its note formula-like), and whatever `more` adds.
async function creatorWithPayout(more: (s: Setup) => Promise<D1PreparedStatement[]> = async () => []) {
  const m = await signedInCreator();
  const tag = `${Date.now().toString(36)}${n++}`;
  const orders = [
    { orderId: `st-${tag}-1`, amountMinor: 10_000, day: 5 },
    { orderId: `st-${tag}-2`, amountMinor: 25_050, day: 6 },
  ];
  for (const o of orders) {
    const body = { orderId: o.orderId, amountMinor: o.amountMinor, currency: 'USD', occurredAt: new Date(SEPT(o.day)).toISOString(), code: m.code, customerRef: 'CUSTREF-SECRET', customerEmail: 'shopper@buyers.test' };
    expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', body)).status).toBe(201);
  }
  const refund = { refundId: `rf-${tag}`, orderId: orders[0]!.orderId, amountMinor: 4_000, currency: 'USD', occurredAt: new Date(SEPT(20)).toISOString() };
  expect((await signedPost(m.brand, m.ingestKey, '/v1/refunds', refund)).status).toBe(201);
  const submissionId = await insertSubmission(m.brand.brandId, m.enrollment.id, 'live');
  await env.DB.prepare("UPDATE submissions SET post_url = 'https://www.instagram.com/p/statement1' WHERE id = ?").bind(submissionId).run();
  const refundRowId = (await env.DB.prepare('SELECT id FROM refunds WHERE brand_id = ? AND external_refund_id = ?').bind(m.brand.brandId, refund.refundId).first<{ id: string }>())!.id;
  const conversionOf = async (orderId: string) => (await env.DB.prepare('SELECT id FROM conversions WHERE brand_id = ? AND external_order_id = ?').bind(m.brand.brandId, orderId).first<{ id: string }>())!.id;
  await env.DB.batch([
    ledgerRow(m, { kind: 'flat_fee', amountMinor: 25_000, at: SEPT(10), submissionId }),
    ledgerRow(m, { kind: 'bonus', amountMinor: 1_500, at: SEPT(28) }),
    ledgerRow(m, { kind: 'adjustment', amountMinor: 700, at: SEPT(29), note: FORMULA_NOTE }),
    ...(await more({ m, conversionOf, refundRowId, submissionId, orders })),
  ]);
  expect((await m.brand.api('POST', '/api/admin/payouts/close', { period: '2026-10' })).status).toBe(201);
  const payout = (await env.DB.prepare('SELECT id, amount_minor FROM payouts WHERE brand_id = ? AND creator_id = ?').bind(m.brand.brandId, m.creator.id).first<{ id: string; amount_minor: number }>())!;
  return { ...m, orders, payout };
}

// An amount as the CSV writes it ("-12.50") back in minor units, without floats.
const minorOf = (cell: string) => {
  const [whole, frac = ''] = cell.replace('-', '').split('.');
  const value = Number(whole) * 100 + Number(frac.padEnd(2, '0'));
  return cell.startsWith('-') ? -value : value;
};

describe("a creator's payout statement", () => {
  it('groups every entry by kind, with subtotals that add up exactly to the payout, linked from Earnings', async () => {
    const m = await creatorWithPayout();
    const statement = (await payoutStatement(env.DB, m.payout.id, { creatorId: m.creator.id }))!;
    expect(statement.groups.map((g) => g.kind)).toEqual(['commission', 'reversal', 'flat_fee', 'bonus', 'adjustment']);
    for (const g of statement.groups) expect(g.entries.reduce((t, e) => t + e.amountMinor, 0)).toBe(g.subtotalMinor);
    expect(statement.groups.reduce((t, g) => t + g.subtotalMinor, 0)).toBe(m.payout.amount_minor);
    expect(statement.entryCount).toBe(6);
    // Oldest first within a group.
    const commissions = statement.groups[0]!.entries;
    expect(commissions.map((e) => e.orderId)).toEqual(m.orders.map((o) => o.orderId));
    expect(commissions[0]).toMatchObject({ orderAmountMinor: 10_000, rateBps: 1000, tier: 1, amountMinor: 1_000 });
    expect(statement.groups[1]!.entries[0]).toMatchObject({ orderId: m.orders[0]!.orderId, basisMinor: -4_000, amountMinor: -400 });
    expect(m.payout.amount_minor).toBe(1_000 + 2_505 - 400 + 25_000 + 1_500 + 700);

    const earnings = await (await get('/earnings', m.cookie)).text();
    expect(earnings).toContain(`href="/earnings/payouts/${m.payout.id}"`);
    const res = await get(`/earnings/payouts/${m.payout.id}`, m.cookie);
    expect(res.status).toBe(200);
    const page = await res.text();
    for (const text of [m.orders[0]!.orderId, 'Refund reversal', 'Flat fee', 'https://www.instagram.com/p/statement1', 'Bonus', 'From the brand', '=HYPERLINK(&quot;http://evil.example&quot;,&quot;Bonus&quot;)', '$303.05', 'Subtotal', '10%', 'tier 1', 'data-print'])
      expect(page, text).toContain(text);
    // What a creator may see of an order: never the shopper's reference or email.
    expect(page).not.toContain('CUSTREF-SECRET');
    expect(page).not.toContain('shopper@buyers.test');
  });

  it('says why a payout failed, and that one given up is not paid', async () => {
    const m = await creatorWithPayout();
    expect((await m.brand.api('POST', `/api/admin/payouts/${m.payout.id}/mark`, { status: 'failed', reference: 'W-9', reason: 'Recipient account closed' })).status).toBe(200);
    const failed = await (await get(`/earnings/payouts/${m.payout.id}`, m.cookie)).text();
    expect(failed).toContain('badge-failed');
    expect(failed).toContain('Recipient account closed');
    await env.DB.prepare('UPDATE payouts SET given_up_at = ? WHERE id = ?').bind(Date.now(), m.payout.id).run();
    const givenUp = await (await get(`/earnings/payouts/${m.payout.id}`, m.cookie)).text();
    expect(givenUp).toContain('>Given up<');
    expect(givenUp).toContain('it is not paid');
  });

  it("dates a paid payout on the brand's calendar on Earnings and on the statement alike, and names its currency in the link", async () => {
    const m = await creatorWithPayout();
    expect((await m.brand.api('POST', `/api/admin/payouts/${m.payout.id}/mark`, { reference: 'W-TZ' })).status).toBe(200);
    // 20:00 UTC on 2 November is already 3 November in Auckland.
    await env.DB.batch([
      env.DB.prepare('UPDATE payouts SET paid_at = ? WHERE id = ?').bind(Date.UTC(2026, 10, 2, 20), m.payout.id),
      env.DB.prepare("UPDATE brands SET timezone = 'Pacific/Auckland' WHERE id = ?").bind(m.brand.brandId),
    ]);
    const earnings = await (await get('/earnings', m.cookie)).text();
    expect(earnings).toContain('Paid Nov 3, 2026');
    expect(earnings).toContain('October 2026<span class="visually-hidden"> payout from Test Brand in USD: what it paid</span>');
    expect(await (await get(`/earnings/payouts/${m.payout.id}`, m.cookie)).text()).toContain('Paid Nov 3, 2026');
  });

  it("is the portal's not-found page for another creator's payout and for an id that is none", async () => {
    const m = await creatorWithPayout();
    const other = await signedInCreator();
    for (const path of [`/earnings/payouts/${m.payout.id}`, `/earnings/payouts/${m.payout.id}.csv`, '/earnings/payouts/nope', '/earnings/payouts/po_zzzzzzzzzzzzzzzzzzzzzzzz', "/earnings/payouts/po_'or'1'='1", '/earnings/payouts/.csv']) {
      const res = await get(path, other.cookie);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toContain('text/html');
    }
    // Signed out: the sign-in page, as every portal page.
    expect((await get(`/earnings/payouts/${m.payout.id}`)).status).toBe(303);
  });

  it('downloads one CSV row per entry, amounts summing to the payout, a formula-like note neutralised', async () => {
    const m = await creatorWithPayout();
    const res = await get(`/earnings/payouts/${m.payout.id}.csv`, m.cookie);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    expect(res.headers.get('content-disposition')).toContain(`chorus-payout-2026-10-${m.payout.id}.csv`);
    const text = await res.text();
    const [header, ...rows] = parseCsv(text);
    const col = (name: string) => header!.cells.indexOf(name);
    expect(rows).toHaveLength(6);
    expect(rows.reduce((t, r) => t + minorOf(r.cells[col('amount')]!), 0)).toBe(m.payout.amount_minor);
    expect(rows.find((r) => r.cells[col('type')] === 'From the brand')!.cells[col('note')]).toBe(`'${FORMULA_NOTE}`);
    expect(rows.find((r) => r.cells[col('order_id')] === m.orders[1]!.orderId)!.cells[col('order_amount')]).toBe('250.50');
    expect(text).not.toContain('CUSTREF-SECRET');
  });
});

// Every kind a statement groups: a renewal's commission, a failed refund's reversal given back, a fee and a bonus
// taken back (the bonus August's, tied to the order that had reached it), a negative adjustment and a usage-rights fee
// (an adjustment for a post, db/rights-extensions.ts).
const USAGE_NOTE = 'Usage rights extended on your 12 May post';
const creatorWithEveryKind = () =>
  creatorWithPayout(async ({ m, conversionOf, refundRowId, submissionId, orders }) => {
    const first = await conversionOf(orders[0]!.orderId);
    return [
      env.DB.prepare("UPDATE conversions SET renewal_of = 'in_first_payment', subscription_id = 'sub_every_kind' WHERE id = ?").bind(await conversionOf(orders[1]!.orderId)),
      ledgerRow(m, { kind: 'reversal', amountMinor: 400, at: SEPT(22), conversionId: first, refundId: refundRowId, eventKey: `refund_failed:${refundRowId}`, basisMinor: 4_000, basisPeriod: '2026-09' }),
      ledgerRow(m, { kind: 'flat_fee', amountMinor: -5_000, at: SEPT(23), submissionId }),
      ledgerRow(m, { kind: 'bonus', amountMinor: -1_500, at: SEPT(24), conversionId: first, basisPeriod: '2026-08' }),
      ledgerRow(m, { kind: 'adjustment', amountMinor: -300, at: SEPT(25), note: 'Duplicate fee returned' }),
      ledgerRow(m, { kind: 'adjustment', amountMinor: 2_000, at: SEPT(26), submissionId, note: USAGE_NOTE }),
    ];
  });

describe('a statement of every kind', () => {
  it('adds up to the payout on the page, in the CSV and through the API, whatever the kinds', async () => {
    const m = await creatorWithEveryKind();
    expect(m.payout.amount_minor).toBe(1_000 + 2_505 - 400 + 400 + 25_000 - 5_000 + 1_500 - 1_500 + 700 - 300 + 2_000);
    const statement = (await payoutStatement(env.DB, m.payout.id, { creatorId: m.creator.id }))!;
    expect(statement.groups.map((g) => g.kind)).toEqual(['commission', 'renewal_commission', 'reversal', 'reversal_back', 'flat_fee', 'flat_fee_back', 'bonus', 'bonus_back', 'adjustment']);
    for (const g of statement.groups) expect(g.entries.reduce((t, e) => t + e.amountMinor, 0), g.kind).toBe(g.subtotalMinor);
    expect(statement.groups.reduce((t, g) => t + g.subtotalMinor, 0)).toBe(m.payout.amount_minor);

    const page = await (await get(`/earnings/payouts/${m.payout.id}`, m.cookie)).text();
    expect(page).toContain('$259.05');
    // A failed refund's reversal reads as given back, not as another refund.
    expect(page).toContain('$40.00 refund failed, given back');

    const [header, ...rows] = parseCsv(await (await get(`/earnings/payouts/${m.payout.id}.csv`, m.cookie)).text());
    const col = (name: string) => header!.cells.indexOf(name);
    expect(rows).toHaveLength(11);
    expect(rows.reduce((t, r) => t + minorOf(r.cells[col('amount')]!), 0)).toBe(m.payout.amount_minor);
    // A bonus names the order that reached its target, but was not priced on it: no sale amount.
    const bonusBack = rows.find((r) => r.cells[col('type')]!.startsWith('Bonus taken back'))!;
    expect(bonusBack.cells[col('order_id')]).toBe(m.orders[0]!.orderId);
    expect(bonusBack.cells[col('sale_amount')]).toBe('');
    expect(rows.find((r) => r.cells[col('type')] === 'Commission')!.cells[col('sale_amount')]).toBe('100.00');

    const api = await json<{ data: { amountMinor: number }[]; hasMore: boolean }>(await m.brand.api('GET', `/api/admin/payouts/${m.payout.id}/entries?limit=200`));
    expect(api.hasMore).toBe(false);
    expect(api.data.reduce((t, e) => t + e.amountMinor, 0)).toBe(m.payout.amount_minor);
  });

  it('lists an order the brand declined, and one it reinstated, under kinds of their own priced on the order, adding up to the payout', async () => {
    const m = await creatorWithPayout(async ({ m, conversionOf, orders }) => {
      const [first, second] = [await conversionOf(orders[0]!.orderId), await conversionOf(orders[1]!.orderId)];
      // The first (refunded $40.00 of $100.00 before) declined and reinstated, the second declined: all before the close.
      expect((await m.brand.api('POST', `/api/admin/conversions/${first}/decline`, { reason: 'duplicate' })).status).toBe(200);
      expect((await m.brand.api('POST', `/api/admin/conversions/${first}/reinstate`)).status).toBe(200);
      expect((await m.brand.api('POST', `/api/admin/conversions/${second}/decline`, { reason: 'test_order' })).status).toBe(200);
      return [];
    });
    expect(m.payout.amount_minor).toBe(1_000 + 2_505 - 400 - 600 + 600 - 2_505 + 25_000 + 1_500 + 700);
    const statement = (await payoutStatement(env.DB, m.payout.id, { creatorId: m.creator.id }))!;
    expect(statement.groups.map((g) => [g.kind, g.subtotalMinor])).toEqual([
      ['commission', 3_505],
      ['reversal', -400],
      ['declined', -3_105],
      ['declined_back', 600],
      ['flat_fee', 25_000],
      ['bonus', 1_500],
      ['adjustment', 700],
    ]);
    for (const g of statement.groups) expect(g.entries.reduce((t, e) => t + e.amountMinor, 0), g.kind).toBe(g.subtotalMinor);
    expect(statement.groups.reduce((t, g) => t + g.subtotalMinor, 0)).toBe(m.payout.amount_minor);

    const page = await (await get(`/earnings/payouts/${m.payout.id}`, m.cookie)).text();
    expect(page).toContain('Declined by the brand · Order of $250.50');
    expect(page).toContain('Decline reinstated by the brand, given back · Order of $100.00');
    expect(page.match(new RegExp(`Order <bdi class="mono">${m.orders[1]!.orderId}</bdi>`, 'g'))).toHaveLength(2);

    const [header, ...rows] = parseCsv(await (await get(`/earnings/payouts/${m.payout.id}.csv`, m.cookie)).text());
    const col = (name: string) => header!.cells.indexOf(name);
    expect(rows.reduce((t, r) => t + minorOf(r.cells[col('amount')]!), 0)).toBe(m.payout.amount_minor);
    const sale = (orderId: string, amount: string) => rows.find((r) => r.cells[col('order_id')] === orderId && r.cells[col('amount')] === amount)!.cells[col('sale_amount')];
    expect([sale(m.orders[1]!.orderId, '-25.05'), sale(m.orders[0]!.orderId, '-6.00'), sale(m.orders[0]!.orderId, '6.00')]).toEqual(['-250.50', '-60.00', '60.00']);
    const api = await json<{ data: { kind: string; amountMinor: number }[] }>(await m.brand.api('GET', `/api/admin/payouts/${m.payout.id}/entries?limit=200`));
    expect(api.data.filter((e) => e.kind.startsWith('declined')).map((e) => [e.kind, e.amountMinor])).toEqual([
      ['declined', -600],
      ['declined_back', 600],
      ['declined', -2_505],
    ]);
  });

  it('names through the API the month each entry counts for: a bonus taken back by its bonus\'s month, a fee by none', async () => {
    const m = await creatorWithEveryKind();
    const api = await json<{ data: { kind: string; period: string; basisPeriod: string | null }[] }>(await m.brand.api('GET', `/api/admin/payouts/${m.payout.id}/entries?limit=200`));
    const of = (kind: string) => api.data.filter((e) => e.kind === kind).map((e) => [e.period, e.basisPeriod]);
    expect(of('bonus_back')).toEqual([['2026-09', '2026-08']]);
    expect(of('reversal_back')).toEqual([['2026-09', '2026-09']]);
    expect(of('flat_fee_back')).toEqual([['2026-09', null]]);
    expect(new Set(of('adjustment').map(([, basis]) => basis))).toEqual(new Set([null]));
    for (const e of api.data) expect(e.basisPeriod === null || /^\d{4}-\d{2}$/.test(e.basisPeriod)).toBe(true);
  });

  it("shows a usage-rights fee's note, with its post under it, and names a bonus taken back by the bonus's month", async () => {
    const m = await creatorWithEveryKind();
    const page = await (await get(`/earnings/payouts/${m.payout.id}`, m.cookie)).text();
    const note = page.indexOf(USAGE_NOTE);
    expect(note).toBeGreaterThan(0);
    const post = page.indexOf('href="https://www.instagram.com/p/statement1"', note);
    expect(post).toBeGreaterThan(note);
    expect(page.slice(note, post)).not.toContain('<tr');
    expect(page).toContain('rel="noopener noreferrer nofollow"');
    // Taken back in September (refunds on an August order), named for August, the month whose bonus it was.
    expect(page).toContain('August 2026 performance bonus');
    expect(page).toContain('September 2026 performance bonus');
  });
});

describe("the console's payout statement", () => {
  it('shows the creator and where the payout goes, linked from the Payouts page; another brand gets 404', async () => {
    const m = await creatorWithPayout();
    const owner = await signIn((await adminUser(m.brand.brandId, 'owner')).email);
    expect(await (await get('/console/payouts?period=2026-10', owner)).text()).toContain(`href="/console/payouts/${m.payout.id}"`);
    const res = await get(`/console/payouts/${m.payout.id}`, owner);
    expect(res.status).toBe(200);
    const page = await res.text();
    for (const text of [`@${m.handle}`, 'Sarah', 'No payout details yet', 'Tax details: missing', m.orders[1]!.orderId, '$303.05', `/console/payouts/${m.payout.id}.csv`]) expect(page, text).toContain(text);
    const csv = await get(`/console/payouts/${m.payout.id}.csv`, owner);
    expect(csv.status).toBe(200);
    expect(parseCsv(await csv.text())).toHaveLength(7);

    // Viewers read the page (as they read the Payouts page) but not the money file; finance downloads it.
    const viewer = await signIn((await adminUser(m.brand.brandId, 'viewer')).email);
    const viewed = await get(`/console/payouts/${m.payout.id}`, viewer);
    expect(viewed.status).toBe(200);
    expect(await viewed.text()).not.toContain(`/console/payouts/${m.payout.id}.csv`);
    expect((await get(`/console/payouts/${m.payout.id}.csv`, viewer)).status).toBe(403);
    const finance = await signIn((await adminUser(m.brand.brandId, 'finance')).email);
    expect((await get(`/console/payouts/${m.payout.id}.csv`, finance)).status).toBe(200);

    const other = await creatorWithPayout();
    const stranger = await signIn((await adminUser(other.brand.brandId, 'owner')).email);
    for (const path of [`/console/payouts/${m.payout.id}`, `/console/payouts/${m.payout.id}.csv`, '/console/payouts/po_nope']) expect((await get(path, stranger)).status, path).toBe(404);
  });
});

describe("the console's payout statement, by role and for a closed account", () => {
  it('opens for finance and managers, each with the CSV', async () => {
    const m = await creatorWithPayout();
    for (const role of ['finance', 'manager'] as const) {
      const cookie = await signIn((await adminUser(m.brand.brandId, role)).email);
      const res = await get(`/console/payouts/${m.payout.id}`, cookie);
      expect(res.status, role).toBe(200);
      const page = await res.text();
      expect(page, role).toContain(`/console/payouts/${m.payout.id}.csv`);
      expect(page, role).toContain('$303.05');
    }
  });

  it("shows an erased creator's given-up payout as a closed account, with no email", async () => {
    const m = await creatorWithPayout();
    const erased = await eraseCreator(env.DB, m.creator.id, { by: 'creator', owedSeen: owedKey(await owedTo(env.DB, m.creator.id)) }, Date.now());
    expect(erased.erased).toBe(true);
    const owner = await signIn((await adminUser(m.brand.brandId, 'owner')).email);
    const res = await get(`/console/payouts/${m.payout.id}`, owner);
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('Closed account');
    expect(page).toContain('>Given up<');
    expect(page).toContain('it is not paid');
    expect(page).not.toContain(m.email);
    expect(page).not.toContain(erasedEmail(m.creator.id));
    expect(page).not.toContain(`@${m.handle}`);
  });
  it("shows nothing of where a creator the brand erased was paid, while their account lives on with another brand", async () => {
    const m = await creatorWithPayout();
    expect((await post('/earnings/payout-details', { method: 'paypal', account: 'kept-payee@pay.example' }, { cookie: m.cookie })).status).toBe(303);
    expect((await m.brand.api('POST', `/api/admin/payouts/${m.payout.id}/mark`, { reference: 'WISE-7' })).status).toBe(200);
    const sealed = await env.DB.prepare('SELECT payout_details_enc FROM creators WHERE id = ?').bind(m.creator.id).first<string>('payout_details_enc');
    expect((await m.brand.api('POST', `/api/admin/creators/${m.creator.id}/erase`, { confirm: true })).status).toBe(200);
    // The account keeps its details when another brand still works with them (this creator has none, so they are put back).
    await env.DB.prepare('UPDATE creators SET payout_details_enc = ? WHERE id = ?').bind(sealed, m.creator.id).run();
    const owner = await signIn((await adminUser(m.brand.brandId, 'owner')).email);
    for (const path of [`/console/payouts/${m.payout.id}`, '/console/payouts?period=2026-10', '/console/payouts/export.csv?period=2026-10']) {
      const res = await get(path, owner);
      expect(res.status, path).toBe(200);
      // The Payouts page's own "PayPal Payouts" file section names the service, not this creator's method.
      const text = (await res.text()).replace(/<section[^>]*aria-labelledby="files-h".*?<\/section>/s, '');
      expect(text, path).not.toContain('pay.example');
      expect(text, path).not.toContain('PayPal');
    }
    expect(await (await get(`/console/payouts/${m.payout.id}`, owner)).text()).toContain('Erased at their request');
    const api = await json<{ data: { payouts: { payoutMethod: string; payoutAccount: string }[] } }>(await m.brand.api('GET', '/api/admin/payouts?period=2026-10'));
    expect(api.data.payouts.map((l) => [l.payoutMethod, l.payoutAccount])).toEqual([['erased', '']]);
  });
});

describe('a payout of more than a page of entries', () => {
  // 1,200 one-cent adjustments a millisecond apart from the 1st, older than every other entry, as one statement.
  const BULK = 1_200;
  const withBulk = () =>
    creatorWithPayout(async ({ m }) => [
      env.DB.prepare(
        `WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i WHERE n < ?5)
         INSERT INTO ledger_entries (id, brand_id, enrollment_id, creator_id, kind, amount_minor, currency, basis_minor, period, note, event_key, available_at, created_at)
         SELECT printf('le_bulk%s%05d', ?6, n), ?1, ?2, ?3, 'adjustment', 1, 'USD', 0, '2026-09', 'Bulk ' || n, printf('bulk:%s:%d', ?6, n), ?4 + n, ?4 + n FROM i`,
      ).bind(m.brand.brandId, m.enrollment.id, m.creator.id, SEPT(1), BULK, newId('t')),
    ]);

  it('lists the first 1000 with the rest counted, the CSV every one across its pages, and a viewer told who has the CSV', async () => {
    const m = await withBulk();
    const statement = (await payoutStatement(env.DB, m.payout.id, { creatorId: m.creator.id }))!;
    expect(statement.entryCount).toBe(BULK + 6);
    expect(statement.shown).toBe(1000);
    expect(statement.groups.reduce((t, g) => t + g.subtotalMinor, 0)).toBe(m.payout.amount_minor);

    const page = await (await get(`/earnings/payouts/${m.payout.id}`, m.cookie)).text();
    expect(page).toContain('201 more entries: the CSV lists them all.');
    expect(page).toContain('2 more entries: the CSV lists them all.');

    const text = await (await get(`/earnings/payouts/${m.payout.id}.csv`, m.cookie)).text();
    const [header, ...rows] = parseCsv(text);
    const col = (name: string) => header!.cells.indexOf(name);
    expect(rows).toHaveLength(BULK + 6);
    expect(new Set(rows.map((r) => r.cells[col('note')])).size).toBe(BULK + 2);
    expect(rows.reduce((t, r) => t + minorOf(r.cells[col('amount')]!), 0)).toBe(m.payout.amount_minor);
    const dates = rows.map((r) => r.cells[col('date')]!);
    expect(dates).toEqual([...dates].sort());

    const viewer = await signIn((await adminUser(m.brand.brandId, 'viewer')).email);
    const viewed = await (await get(`/console/payouts/${m.payout.id}`, viewer)).text();
    expect(viewed).toContain('201 more entries: an owner, a manager or finance can download the CSV that lists them all.');
    expect(viewed).not.toContain('the CSV lists them all');
    const owner = await signIn((await adminUser(m.brand.brandId, 'owner')).email);
    expect(await (await get(`/console/payouts/${m.payout.id}`, owner)).text()).toContain('201 more entries: the CSV lists them all.');
  });
});

describe("the admin API's payout entries", () => {
  type Entries = { data: { id: string; kind: string; amountMinor: number; createdAt: string; order: { orderId: string; occurredAt: string | null; amountMinor: number } | null; note: string | null }[]; hasMore: boolean; nextCursor: string | null };

  it('pages every entry oldest first, summing to the payout; another brand and a bad cursor are refused', async () => {
    const m = await creatorWithPayout();
    const seen: Entries['data'] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const res = await m.brand.api('GET', `/api/admin/payouts/${m.payout.id}/entries?limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      const body = await json<Entries>(res);
      seen.push(...body.data);
      cursor = body.nextCursor;
      if (!body.hasMore) break;
    }
    expect(seen).toHaveLength(6);
    expect(new Set(seen.map((e) => e.id)).size).toBe(6);
    expect(seen.map((e) => e.createdAt)).toEqual([...seen.map((e) => e.createdAt)].sort());
    expect(seen.reduce((t, e) => t + e.amountMinor, 0)).toBe(m.payout.amount_minor);
    expect(seen.find((e) => e.kind === 'commission')!.order).toEqual({ orderId: m.orders[0]!.orderId, occurredAt: new Date(SEPT(5)).toISOString(), amountMinor: 10_000 });
    expect(seen.find((e) => e.kind === 'adjustment')!.note).toBe(FORMULA_NOTE);

    const other = await creatorWithPayout();
    expect((await json<{ error: { code: string } }>(await other.brand.api('GET', `/api/admin/payouts/${m.payout.id}/entries`))).error.code).toBe('not_found');
    expect((await m.brand.api('GET', '/api/admin/payouts/po_nope/entries')).status).toBe(404);
    const bad = await m.brand.api('GET', `/api/admin/payouts/${m.payout.id}/entries?cursor=%%%`);
    expect(bad.status).toBe(422);
    expect((await json<{ error: { code: string } }>(bad)).error.code).toBe('validation_failed');
    // A cursor past the last entry is an empty last page.
    const past = await json<Entries>(await m.brand.api('GET', `/api/admin/payouts/${m.payout.id}/entries?cursor=${encodeCursor({ at: Date.now() + 86_400_000, id: 'le_z' })}`));
    expect(past).toEqual({ data: [], hasMore: false, nextCursor: null });
  });
});

describe("the admin API's payout entries at a tie", () => {
  it('pages entries recorded in the same millisecond one at a time, each once, in id order', async () => {
    const m = await creatorWithPayout(async ({ m }) => [1, 2, 3].map((i) => ledgerRow(m, { kind: 'adjustment', amountMinor: i, at: SEPT(29), note: `Tie ${i}` })));
    const seen: { id: string; createdAt: string }[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 20; pages++) {
      const res = await m.brand.api('GET', `/api/admin/payouts/${m.payout.id}/entries?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      const body = await json<{ data: { id: string; createdAt: string }[]; hasMore: boolean; nextCursor: string | null }>(res);
      expect(body.data.length).toBeLessThanOrEqual(1);
      seen.push(...body.data);
      cursor = body.nextCursor;
      if (!body.hasMore) break;
    }
    expect(seen).toHaveLength(9);
    expect(new Set(seen.map((e) => e.id)).size).toBe(9);
    const tied = seen.filter((e) => e.createdAt === new Date(SEPT(29)).toISOString());
    expect(tied).toHaveLength(4);
    expect(tied.map((e) => e.id)).toEqual(tied.map((e) => e.id).sort());
  });

  it('writes the same CSV byte for byte whatever its page size, ties and all', async () => {
    const m = await creatorWithPayout(async ({ m }) => [1, 2, 3].map((i) => ledgerRow(m, { kind: 'adjustment', amountMinor: i, at: SEPT(29), note: `Tie ${i}` })));
    const whole = await (await get(`/earnings/payouts/${m.payout.id}.csv`, m.cookie)).text();
    expect(whole.split('\r\n')).toHaveLength(1 + 9 + 1);
    const payout = (await statementPayout(env.DB, m.payout.id, { creatorId: m.creator.id }))!;
    for (const size of [1, 2, 3, 9, 10]) expect(await new Response(payoutStatementCsv(env.DB, payout, EARNING_KIND_LABELS, size)).text(), String(size)).toBe(whole);
  });
});

describe('the paid-payout mail', () => {
  it("links to the creator's statement", async () => {
    const m = await creatorWithPayout();
    const sent: Message[] = [];
    setTransport(async (msg) => void sent.push(msg));
    try {
      expect((await m.brand.api('POST', `/api/admin/payouts/${m.payout.id}/mark`, { reference: 'WISE-STATEMENT' })).status).toBe(200);
      await waitFor(async () => (sent.some((s) => s.to === m.email) ? true : null), 15_000);
    } finally {
      setTransport(logTransport);
    }
    const mail = sent.find((s) => s.to === m.email)!;
    expect(mail.subject).toContain('paid your October 2026 payout');
    expect(mail.text).toMatch(new RegExp(`https?://[^\\s]+/earnings/payouts/${m.payout.id}(\\s|$)`));
    const page = await (await get(`/earnings/payouts/${m.payout.id}`, m.cookie)).text();
    expect(page).toContain('WISE-STATEMENT');
  });
});

describe('payoutNotice', () => {
  it("links the statement under PUBLIC_ORIGIN, never the request's own origin", () => {
    const request = { url: 'https://attacker.example/api/admin/payouts/po_x/mark' };
    const origin = mailLinkOrigin({ env: { ...(env as Env), ENVIRONMENT: 'production', PUBLIC_ORIGIN: 'https://chorus.example' }, req: request });
    const row = { id: 'po_0123456789abcdef01234567', period: '2026-10', amount_minor: 30_305, currency: 'USD', status: 'paid', reference: 'W-1', failure_reason: null, email: 'a@creators.test', brand_name: 'Lumen' };
    const mail = payoutNotice(row, origin);
    expect(mail.text).toContain('https://chorus.example/earnings/payouts/po_0123456789abcdef01234567');
    expect(mail.text).not.toContain('attacker.example');
    expect(payoutNotice({ ...row, status: 'failed', reference: null, failure_reason: 'Closed' }, origin).text).toContain('https://chorus.example/earnings');
  });
});
