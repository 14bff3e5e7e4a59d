// The creator portal's money and consent: payout details, earnings, hostile forms, and brands the creator has not accepted.
import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import migration0022 from '../../../migrations/0022_brand_creators_accepted_at.sql?raw';
import { parseCsv } from '../../../worker/lib/csv';
import { newId } from '../../../worker/lib/ids';
import { setTransport, type Message } from '../../../worker/lib/messages';
import { BASE, createMoneyBrand, type TestBrand, insertLedgerEntry, json, rowCount, signedPost, waitFor } from '../fixtures';
import { PASSWORD, invitePath, mailedLink, signedInCreator, portalTestDefaults } from '../portal-fixtures';
import { freshIp, post, get, sessionCookie } from '../forms';
import { adminUser, signIn } from '../console-fixtures';

portalTestDefaults();

describe('payout details', () => {
  it('stores payout details sealed, and refuses malformed ones', async () => {
    const m = await signedInCreator();
    expect((await post('/earnings/payout-details', { method: 'bank_transfer', account: 'not an iban' }, { cookie: m.cookie })).status).toBe(422);
    expect((await post('/earnings/payout-details', { method: 'paypal', account: 'nope' }, { cookie: m.cookie })).status).toBe(422);
    const saved = await post('/earnings/payout-details', { method: 'bank_transfer', account: 'DE89 3704 0044 0532 0130 00', holder: 'Sarah Jones' }, { cookie: m.cookie });
    expect(saved.status).toBe(303);
    const row = await env.DB.prepare('SELECT payout_details_enc FROM creators WHERE id = ?').bind(m.creator.id).first<{ payout_details_enc: string }>();
    expect(row!.payout_details_enc).not.toContain('DE89');
    const { openSecret } = await import('../../../worker/lib/secrets');
    expect(JSON.parse(await openSecret(env.SECRETS_KEY, row!.payout_details_enc))).toEqual({ method: 'bank_transfer', account: 'DE89370400440532013000', holder: 'Sarah Jones' });
    expect(await (await get('/earnings', m.cookie)).text()).toContain('DE89370400440532013000');
  });

  it('shows a paid payout with the account it went to after the creator changes theirs, and a failed one with the fix', async () => {
    const m = await signedInCreator();
    const save = async (method: string, account: string) => expect((await post('/earnings/payout-details', { method, account, holder: 'Sarah Jones' }, { cookie: m.cookie })).status).toBe(303);
    await save('paypal', 'first@pay.example');
    for (const period of ['2026-08', '2026-09']) await insertLedgerEntry({ brandId: m.brand.brandId, enrollmentId: m.enrollment.id, creatorId: m.creator.id, amountMinor: 2_000, period, availableAt: Date.UTC(2026, 7, 10) });
    expect((await m.brand.api('POST', '/api/admin/payouts/close', { period: '2026-08' })).status).toBe(201);
    const august = (await env.DB.prepare("SELECT id FROM payouts WHERE brand_id = ? AND period = '2026-08'").bind(m.brand.brandId).first<{ id: string }>())!.id;
    expect((await m.brand.api('POST', `/api/admin/payouts/${august}/mark`, { reference: 'PP-1' })).status).toBe(200);
    expect((await m.brand.api('POST', '/api/admin/payouts/close', { period: '2026-09' })).status).toBe(201);
    const september = (await env.DB.prepare("SELECT id FROM payouts WHERE brand_id = ? AND period = '2026-09'").bind(m.brand.brandId).first<{ id: string }>())!.id;
    expect((await m.brand.api('POST', `/api/admin/payouts/${september}/mark`, { reference: 'PP-2', status: 'failed', reason: 'Account limited' })).status).toBe(200);
    const payTo = async (period: string) => {
      const csv = await (await m.brand.api('GET', `/api/admin/payouts/export.csv?period=${period}`)).text();
      const [header, row] = csv.split('\r\n').map((l) => l.split(','));
      return [row![header!.indexOf('"payout_method"')], row![header!.indexOf('"payout_account"')]];
    };
    expect(await payTo('2026-08')).toEqual(['"paypal"', '"first@pay.example"']);
    // The creator moves to a bank account: August was still paid to PayPal; September, which failed, is paid
    // to the bank next, and the console says the details changed since it failed.
    await save('bank_transfer', 'DE89 3704 0044 0532 0130 00');
    expect(await payTo('2026-08')).toEqual(['"paypal"', '"first@pay.example"']);
    expect(await payTo('2026-09')).toEqual(['"bank_transfer"', '"DE89370400440532013000"']);
    const finance = await signIn((await adminUser(m.brand.brandId, 'finance')).email);
    const paidPage = await (await get('/console/payouts?period=2026-08', finance)).text();
    expect(paidPage).toContain('PayPal · f');
    expect(paidPage).not.toContain('Updated since the payment failed');
    expect(await (await get('/console/payouts?period=2026-09', finance)).text()).toContain('Updated since the payment failed');
    // The processor's file adds the reason to the same failed payment later: where it failed to go stays.
    const file = `payout_id,reference,status,reason\r\n${september},PP-2,failed,Account limited by PayPal\r\n`;
    expect((await m.brand.api('POST', '/api/admin/payouts/reconcile', { csv: file })).status).toBe(200);
    expect(await (await get('/console/payouts?period=2026-09', finance)).text()).toContain('Updated since the payment failed');
  });

  it('says nothing changed when the creator saves the same account again, or when where it went is unknown', async () => {
    const m = await signedInCreator();
    const save = async (method: string, account: string) => expect((await post('/earnings/payout-details', { method, account, holder: 'Sarah Jones' }, { cookie: m.cookie })).status).toBe(303);
    await save('paypal', 'same@pay.example');
    await insertLedgerEntry({ brandId: m.brand.brandId, enrollmentId: m.enrollment.id, creatorId: m.creator.id, amountMinor: 2_000, period: '2026-08', availableAt: Date.UTC(2026, 7, 10) });
    expect((await m.brand.api('POST', '/api/admin/payouts/close', { period: '2026-08' })).status).toBe(201);
    const id = (await env.DB.prepare('SELECT id FROM payouts WHERE brand_id = ?').bind(m.brand.brandId).first<{ id: string }>())!.id;
    expect((await m.brand.api('POST', `/api/admin/payouts/${id}/mark`, { reference: 'PP-1', status: 'failed' })).status).toBe(200);
    await save('paypal', 'same@pay.example'); // sealed anew, the same account
    const listed = async () => (await json<{ data: { payouts: { detailsChangedSinceFailure: boolean }[] } }>(await m.brand.api('GET', '/api/admin/payouts?period=2026-08'))).data.payouts[0]!.detailsChangedSinceFailure;
    expect(await listed()).toBe(false);
    // Marked failed before Chorus kept where a payment went: unknown, not changed.
    await env.DB.prepare('UPDATE payouts SET paid_to_enc = NULL WHERE id = ?').bind(id).run();
    expect(await listed()).toBe(false);
  });

  it('says a payout that failed with no details on file can go now that the creator has added some', async () => {
    const m = await signedInCreator();
    await insertLedgerEntry({ brandId: m.brand.brandId, enrollmentId: m.enrollment.id, creatorId: m.creator.id, amountMinor: 2_000, period: '2026-08', availableAt: Date.UTC(2026, 7, 10) });
    expect((await m.brand.api('POST', '/api/admin/payouts/close', { period: '2026-08' })).status).toBe(201);
    const id = (await env.DB.prepare('SELECT id FROM payouts WHERE brand_id = ?').bind(m.brand.brandId).first<{ id: string }>())!.id;
    expect((await m.brand.api('POST', `/api/admin/payouts/${id}/mark`, { reference: 'PP-1', status: 'failed', reason: 'No account on file' })).status).toBe(200);
    expect(await env.DB.prepare('SELECT paid_to_enc FROM payouts WHERE id = ?').bind(id).first('paid_to_enc')).toBe('');
    const listed = async () => (await json<{ data: { payouts: { detailsChangedSinceFailure: boolean }[] } }>(await m.brand.api('GET', '/api/admin/payouts?period=2026-08'))).data.payouts[0]!.detailsChangedSinceFailure;
    expect(await listed()).toBe(false);
    expect((await post('/earnings/payout-details', { method: 'paypal', account: 'new@pay.example' }, { cookie: m.cookie })).status).toBe(303);
    expect(await listed()).toBe(true);
  });

  it('keeps no copy of the details of a creator who has not accepted the brand when their payout is marked', async () => {
    const m = await createMoneyBrand({ accepted: false });
    await env.DB.prepare('UPDATE creators SET payout_details_enc = ? WHERE id = ?').bind('sealed-and-not-shared', m.creator.id).run();
    await insertLedgerEntry({ brandId: m.brand.brandId, enrollmentId: m.enrollment.id, creatorId: m.creator.id, amountMinor: 2_000, period: '2026-08', availableAt: Date.UTC(2026, 7, 10) });
    expect((await m.brand.api('POST', '/api/admin/payouts/close', { period: '2026-08' })).status).toBe(201);
    const id = (await env.DB.prepare('SELECT id FROM payouts WHERE brand_id = ?').bind(m.brand.brandId).first<{ id: string }>())!.id;
    expect((await m.brand.api('POST', `/api/admin/payouts/${id}/mark`, { reference: 'PP-1' })).status).toBe(200);
    expect(await env.DB.prepare('SELECT status, paid_to_enc FROM payouts WHERE id = ?').bind(id).first()).toEqual({ status: 'paid', paid_to_enc: null });
  });

  it('asks on the home page for payout details once there is something to pay, until they are saved', async () => {
    const m = await signedInCreator();
    const asks = async () => (await (await get('/', m.cookie)).text()).includes('Where should we send your money?');
    expect(await asks()).toBe(false); // a commission creator who has earned nothing yet
    await insertLedgerEntry({ brandId: m.brand.brandId, enrollmentId: m.enrollment.id, creatorId: m.creator.id, amountMinor: 1_500, period: '2026-08', availableAt: Date.now() + 86_400_000 });
    expect(await asks()).toBe(true);
    expect(await (await get('/', m.cookie)).text()).toContain('href="/earnings#payout-details"');
    expect((await post('/earnings/payout-details', { method: 'paypal', account: 'me@pay.example' }, { cookie: m.cookie })).status).toBe(303);
    expect(await asks()).toBe(false);
  });

  it('keeps what the creator typed when it is refused, says what is wrong, and that the details on file still stand', async () => {
    const m = await signedInCreator();
    expect((await post('/earnings/payout-details', { method: 'paypal', account: 'old@pay.example' }, { cookie: m.cookie })).status).toBe(303);
    const refused = await post('/earnings/payout-details', { method: 'bank_transfer', account: 'DE00 1234' }, { cookie: m.cookie });
    expect(refused.status).toBe(422);
    const html = await refused.text();
    expect(html).toMatch(/<input type="radio" name="method" value="bank_transfer" required="" checked=""/);
    expect(html).not.toMatch(/value="paypal" required="" checked=""/);
    expect(html).toContain('value="DE00 1234"');
    expect(html).toContain('That is not a valid IBAN');
    // Well formed, but one digit off: the check digits refuse it, as a bank would at payout time.
    expect((await post('/earnings/payout-details', { method: 'bank_transfer', account: 'DE89 3704 0044 0532 0130 02', holder: 'Sarah Jones' }, { cookie: m.cookie })).status).toBe(422);
    expect(html).toContain('Not saved: payouts still go to PayPal o');
    expect(html).not.toContain('old@pay.example'); // on file, shown masked only
    // The whole entry is checked, not the bounded copy shown back: a 130-character address is refused, not cut to 120.
    expect((await post('/earnings/payout-details', { method: 'paypal', account: `${'a'.repeat(110)}@pay.example.com` }, { cookie: m.cookie })).status).toBe(422);
    const noMethod = await (await post('/earnings/payout-details', { account: 'x@y.example' }, { cookie: m.cookie })).text();
    expect(noMethod).toContain('Choose how you want to be paid');
    const { openSecret } = await import('../../../worker/lib/secrets');
    const row = await env.DB.prepare('SELECT payout_details_enc FROM creators WHERE id = ?').bind(m.creator.id).first<{ payout_details_enc: string }>();
    expect(JSON.parse(await openSecret(env.SECRETS_KEY, row!.payout_details_enc))).toEqual({ method: 'paypal', account: 'old@pay.example' });
  });

  it("tells the account's own address whenever payout details change, showing only enough to recognise them", async () => {
    const m = await signedInCreator();
    const sent: Message[] = [];
    setTransport(async (msg) => void sent.push(msg));
    const save = async (method: string, account: string) => expect((await post('/earnings/payout-details', { method, account, holder: 'Sarah Jones' }, { cookie: m.cookie })).status).toBe(303);
    // Notices go through the mail queue, where an earlier test's may still be: only this account's count.
    const ours = () => sent.filter((msg) => msg.to === m.email);
    await save('bank_transfer', 'DE89 3704 0044 0532 0130 00');
    await waitFor(async () => ours().length === 1 || undefined, 15_000);
    await save('bank_transfer', 'DE89370400440532013000'); // the same account: nothing to tell
    await save('paypal', 'thief@example.net');
    await waitFor(async () => ours().length === 2 || undefined, 15_000);
    // A short US account number shows its last 2 digits, not all 4.
    expect((await post('/earnings/payout-details', { method: 'us_bank_account', account: '1234', routing: '021000021', accountType: 'checking', holder: 'Sarah Jones' }, { cookie: m.cookie })).status).toBe(303);
    await waitFor(async () => ours().length === 3 || undefined, 15_000);
    await new Promise((r) => setTimeout(r, 1_500));
    sent.splice(0, sent.length, ...ours());
    expect(sent.map((msg) => [msg.to, msg.subject])).toEqual([
      [m.email, 'Your Chorus payout details changed'],
      [m.email, 'Your Chorus payout details changed'],
      [m.email, 'Your Chorus payout details changed'],
    ]);
    expect(sent[0]!.text).toContain('Bank transfer (IBAN) ••••3000');
    expect(sent[0]!.text).not.toContain('DE89');
    expect(sent[1]!.text).toContain('PayPal t•••@example.net');
    expect(sent[2]!.text).toContain('US bank account (ACH) ••••34 (Sarah Jones)');
    expect(sent[2]!.text).not.toContain('1234');
  });
});

describe('earnings', () => {
  it('keeps two brands apart even when they share a name', async () => {
    const a = await signedInCreator({ paymentModel: 'flat' });
    const b = await createMoneyBrand({ paymentModel: 'flat' }); // both fixture brands are "Test Brand"
    const joined = await json<{ data: { id: string } }>(await b.brand.api('POST', '/api/admin/creators', { email: a.email, handle: `also_${a.handle}`.slice(0, 30), displayName: 'Sarah' }));
    expect(joined.data.id).toBe(a.creator.id);
    const enrollment = await json<{ data: { id: string } }>(await b.brand.api('POST', '/api/admin/enrollments', { campaignId: b.campaign.id, creatorId: a.creator.id, paymentModel: 'flat', flatFeeMinor: 7000 }));
    expect((await post(`/invitations/${enrollment.data.id}/accept`, {}, { cookie: a.cookie })).status).toBe(303);
    for (const [brand, enrollmentId, fee] of [[a.brand, a.enrollment.id, 10000], [b.brand, enrollment.data.id, 7000]] as const) {
      await env.DB.prepare('UPDATE enrollments SET flat_fee_minor = ? WHERE id = ?').bind(fee, enrollmentId).run();
      const sent = await post('/submissions', { enrollmentId, storyFormat: 'day_in_the_life', draftUrl: 'https://drive.example/draft', caption: 'Morning #Glow #ad' }, { cookie: a.cookie });
      const id = sent.headers.get('location')!.split('/')[2]!.split('?')[0]!;
      expect((await brand.api('POST', `/api/admin/submissions/${id}/approve`, {})).status).toBe(200);
      expect((await brand.api('POST', `/api/admin/submissions/${id}/mark-live`, { postUrl: 'https://www.instagram.com/p/a' })).status).toBe(200);
    }
    const html = await (await get('/earnings', a.cookie)).text();
    expect(html).toContain('$100.00');
    expect(html).toContain('$70.00');
    expect(html).not.toContain('$170.00');
  });
});

describe('a campaign with a last day', () => {
  it('tells the creator the last day itself, not the moment after it', async () => {
    const m = await signedInCreator();
    expect((await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { endsAt: '2099-02-01T00:00:00.000Z' })).status).toBe(200);
    const brief = await (await get(`/brief/${m.enrollment.id}`, m.cookie)).text();
    expect(brief).toContain('Through Jan 31, 2099');
    expect(brief).toContain('Active through Jan 31, 2099');
    expect(brief).not.toContain('Feb 1, 2099');
  });
});

describe('a brand with a minimum payout', () => {
  it('tells the creator what they are owed below it, and stops once it is reached', async () => {
    const m = await signedInCreator();
    expect((await m.brand.api('PATCH', '/api/admin/brand', { minPayoutMinor: 5_000 })).status).toBe(200);
    const owner = { brandId: m.brand.brandId, enrollmentId: m.enrollment.id, creatorId: m.creator.id };
    const entry = (amountMinor: number) => insertLedgerEntry({ ...owner, amountMinor, period: '2026-09', availableAt: Date.UTC(2026, 8, 10) });
    await entry(2_000);
    // Held entries are not counted: a close would not pay them yet.
    await insertLedgerEntry({ ...owner, amountMinor: 9000, period: '2026-12', availableAt: Date.now() + 86_400_000, createdAt: Date.now() });
    expect(await (await get('/earnings', m.cookie)).text()).toContain('Test Brand pays once what has cleared its holding period comes to $50.00 or more. $20.00 has cleared so far: it carries over');
    await entry(3_000);
    expect(await (await get('/earnings', m.cookie)).text()).not.toContain('pays once what has cleared');
  });
});

describe('earnings: periods and payouts as a creator reads them', () => {
  it('names months, dates a paid payout, and says why a failed one failed and what happens next', async () => {
    const m = await signedInCreator();
    const at = Date.UTC(2026, 9, 10);
    await insertLedgerEntry({ brandId: m.brand.brandId, enrollmentId: m.enrollment.id, creatorId: m.creator.id, amountMinor: 1234, basisMinor: 12340, period: '2026-10', availableAt: at });
    const payout = (period: string, status: string, reason: string | null, paidAt: number | null) =>
      env.DB.prepare("INSERT INTO payouts (id, brand_id, creator_id, period, currency, amount_minor, status, failure_reason, paid_at, created_at) VALUES (?, ?, ?, ?, 'USD', 1234, ?, ?, ?, ?)")
        .bind(newId('po'), m.brand.brandId, m.creator.id, period, status, reason, paidAt, at)
        .run();
    await payout('2026-08', 'paid', null, Date.UTC(2026, 8, 3, 9));
    await payout('2026-09', 'failed', 'Recipient account closed.', null);
    await payout('2026-10', 'failed', null, null);
    const html = await (await get('/earnings', m.cookie)).text();
    expect(html).toContain('<h2>October 2026</h2>');
    expect(html).not.toMatch(/>2026-(08|09|10)</);
    expect(html).toContain('Sep 3, 2026');
    expect(html).toContain('Recipient account closed. Check your payout details below');
    expect(html).toContain('The payment did not go through. Check your payout details below');
  });

  it('says where each group of earnings stands: held until a date, payable, in a payout, or paid', async () => {
    const m = await signedInCreator();
    const entry = (amountMinor: number, availableAt: number, payoutId: string | null = null, period = payoutId === null ? '2026-11' : '2026-10') =>
      insertLedgerEntry({ brandId: m.brand.brandId, enrollmentId: m.enrollment.id, creatorId: m.creator.id, amountMinor, period, availableAt, payoutId, createdAt: Date.now() });
    await entry(1_000, Date.now() - 86_400_000); // November: payable
    await entry(2_000, Date.UTC(2099, 0, 5, 12)); // November: still held, released first
    await entry(260, Date.UTC(2099, 0, 9, 12)); // November: still held, released last
    await entry(500, Date.now() - 40 * 86_400_000, 'po_x'); // October: in a payout
    const paid = newId('po');
    await env.DB.prepare("INSERT INTO payouts (id, brand_id, creator_id, period, currency, amount_minor, status, paid_at, created_at) VALUES (?, ?, ?, '2026-09', 'USD', 700, 'paid', ?, ?)")
      .bind(paid, m.brand.brandId, m.creator.id, Date.now(), Date.now())
      .run();
    await entry(700, Date.now() - 80 * 86_400_000, paid, '2026-09'); // September: paid out
    const html = await (await get('/earnings', m.cookie)).text();
    expect(html).toContain('$22.60 held until Jan 5, 2099 (all by Jan 9, 2099) · $10.00 payable');
    expect(html).toContain('<td class="small">In a payout</td>');
    expect(html).toContain('<td class="small">Paid</td>');
    expect(html).toMatch(/Commission <span class="muted small">× 3<\/span>/);
  });
});

describe('the earnings statement', () => {
  const rowsOf = (csv: string) => {
    const [header, ...records] = parseCsv(csv);
    return records.map((r) => Object.fromEntries(r.cells.map((cell, i) => [header!.cells[i]!, cell])));
  };

  it('lists every entry of the creator oldest first, with the sale, the rate and where the money stands, for one year or all', async () => {
    const m = await signedInCreator();
    const other = await signedInCreator();
    const owner = { brandId: m.brand.brandId, enrollmentId: m.enrollment.id, creatorId: m.creator.id };
    const order = { orderId: `st-${m.handle}`, amountMinor: 12_345, currency: 'USD', occurredAt: new Date(Date.now() - 60_000).toISOString(), code: m.code };
    expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', order)).status).toBe(201);
    await insertLedgerEntry({ ...owner, amountMinor: 700, period: '2025-12', availableAt: Date.UTC(2026, 0, 10), createdAt: Date.UTC(2025, 11, 3) });
    await insertLedgerEntry({ ...other, brandId: other.brand.brandId, enrollmentId: other.enrollment.id, creatorId: other.creator.id, amountMinor: 999, period: '2025-12', availableAt: Date.UTC(2026, 0, 10) });
    // A brand's note that a spreadsheet would run as a formula is written as text.
    expect((await m.brand.api('POST', `/api/admin/enrollments/${m.enrollment.id}/adjustments`, { amountMinor: 500, note: '=HYPERLINK("https://evil.example")' }, { 'idempotency-key': `st-${m.handle}` })).status).toBe(201);

    const all = await get('/earnings/statement.csv', m.cookie);
    expect(all.status).toBe(200);
    expect(all.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(all.headers.get('content-disposition')).toBe('attachment; filename="chorus-earnings-all.csv"');
    expect(all.headers.get('cache-control')).toBe('no-store');
    const rows = rowsOf(await all.text());
    expect(rows.map((r) => [r.period, r.type, r.amount])).toEqual([
      ['2025-12', 'Commission', '7.00'],
      [expect.stringMatching(/^2026-/), 'Commission', '12.34'],
      [expect.stringMatching(/^2026-/), 'From the brand', '5.00'],
    ]);
    expect(rows[0]).toMatchObject({ date: '2025-12-03T00:00:00.000Z', status: 'payable', brand: 'Test Brand', campaign: 'Glow', order_date: '', sale_amount: '' });
    expect(rows[1]).toMatchObject({ sale_amount: '123.45', rate_percent: '10.00', tier: '1', currency: 'USD', status: 'held', order_date: order.occurredAt });
    expect(rows[2]!.note).toBe(`'=HYPERLINK("https://evil.example")`);

    const year = rowsOf(await (await get('/earnings/statement.csv?year=2025', m.cookie)).text());
    expect(year.map((r) => r.amount)).toEqual(['7.00']);
    expect(rowsOf(await (await get('/earnings/statement.csv?year=2024', m.cookie)).text())).toEqual([]);
    const page = await (await get('/earnings', m.cookie)).text();
    expect(page).toContain('href="/earnings/statement.csv?year=2025"');
    expect(page).toContain('href="/earnings/statement.csv"');
  });

  it('pages through a long history without losing or repeating an entry', async () => {
    const m = await signedInCreator();
    const at = Date.UTC(2026, 1, 1);
    // 1,203 entries, many at the same moment: the keyset breaks ties by id.
    const values = Array.from({ length: 1_203 }, (_, i) => `('le_${String(i).padStart(5, '0')}_${m.handle}', '${m.brand.brandId}', '${m.enrollment.id}', '${m.creator.id}', 'commission', ${i + 1}, 'USD', 0, '2026-02', 'commission:st${i}', ${at}, ${at + Math.floor(i / 7)})`);
    for (let i = 0; i < values.length; i += 200)
      await env.DB.prepare(`INSERT INTO ledger_entries (id, brand_id, enrollment_id, creator_id, kind, amount_minor, currency, basis_minor, period, event_key, available_at, created_at) VALUES ${values.slice(i, i + 200).join(',')}`).run();
    const rows = rowsOf(await (await get('/earnings/statement.csv?year=2026', m.cookie)).text());
    expect(rows).toHaveLength(1_203);
    expect(new Set(rows.map((r) => r.amount)).size).toBe(1_203);
  });

  it('refuses a year that is not one, and is for signed-in creators only', async () => {
    const m = await signedInCreator();
    for (const year of ['26', '2026-01', '1999', 'x'.repeat(5000), "2026' OR 1=1"]) {
      const res = await get(`/earnings/statement.csv?year=${encodeURIComponent(year)}`, m.cookie);
      expect(res.status).toBe(422);
    }
    const out = await get('/earnings/statement.csv');
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toMatch(/^\/login/);
  });
});

describe('hostile forms', () => {
  const raw = (path: string, headers: Record<string, string>, body: BodyInit) =>
    SELF.fetch(`${BASE}${path}`, { method: 'POST', headers: { origin: BASE, 'cf-connecting-ip': freshIp(), ...headers }, body, redirect: 'manual', duplex: 'half' } as RequestInit);

  it('refuses a caption with control characters, new or revised, storing nothing', async () => {
    const m = await signedInCreator();
    for (const caption of ['#Glow #ad a\u0000b', 'bell\u0007 #Glow #ad']) {
      const res = await post('/submissions', { enrollmentId: m.enrollment.id, storyFormat: 'day_in_the_life', draftUrl: 'https://drive.example/d', caption }, { cookie: m.cookie });
      expect(res.status).toBe(422);
      expect(await res.text()).toContain('No control characters');
    }
    expect(await rowCount('SELECT count(*) AS n FROM submissions WHERE enrollment_id = ?', m.enrollment.id)).toBe(0);
    // Line breaks are what captions are made of.
    expect((await post('/submissions', { enrollmentId: m.enrollment.id, storyFormat: 'day_in_the_life', draftUrl: 'https://drive.example/d', caption: 'Line one\r\nLine two #Glow #ad' }, { cookie: m.cookie })).status).toBe(303);
  });

  it('comes back focused on what is wrong, each problem linking to its field, and the fields marked invalid', async () => {
    const m = await signedInCreator();
    const res = await post('/submissions', { enrollmentId: m.enrollment.id, storyFormat: 'day_in_the_life', draftUrl: 'http://drive.example/d', caption: '' }, { cookie: m.cookie });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('<div class="notice notice-error error-summary" role="alert" tabindex="-1" autofocus="">');
    expect(html).toContain('<a href="#draftUrl">The draft link must be an https:// link.</a>');
    expect(html).toContain('<a href="#caption">Write the caption you plan to post.</a>');
    expect(html).toMatch(/<input id="draftUrl"[^>]*aria-invalid="true"/);
    expect(html).toMatch(/<textarea id="caption"[^>]*aria-invalid="true"/);
    expect(html).not.toMatch(/<input type="radio"[^>]*aria-invalid/);
  });

  it('answers a body that is not the form it claims to be with 400, on every form, signed in or not', async () => {
    const m = await signedInCreator();
    const broken = { 'content-type': 'multipart/form-data; boundary=xyz' };
    const fresh = await createMoneyBrand();
    const { link } = await mailedLink(await invitePath(fresh.brand, fresh.creator.id));
    for (const path of ['/login', '/forgot', '/console/login', link!, '/earnings/payout-details', '/submissions']) {
      const res = await raw(path, { ...broken, cookie: m.cookie }, 'garbage');
      expect(res.status, path).toBe(400);
      expect(res.headers.get('content-type'), path).toMatch(/^text\/html/);
    }
    expect((await raw('/login', broken, 'garbage')).status).toBe(400);
    expect((await get(link!)).status).toBe(200); // still unused
    expect((await raw('/login', { 'content-type': 'application/json' }, '{}')).status).toBe(415);
    // Two accounts and two PBKDF2 hashes before the forms: about 0.3 s alone, 3-4 s late in this file on a
    // loaded machine, and once over the default 5 s in CI.
  }, 15_000);

  it('bounds a form body by the bytes sent, with or without a Content-Length', async () => {
    const big = new TextEncoder().encode(`email=a%40b.test&password=${'x'.repeat(3 * 1024 * 1024)}`);
    const streamed = new ReadableStream({
      start(controller) {
        controller.enqueue(big);
        controller.close();
      },
    });
    const urlencoded = { 'content-type': 'application/x-www-form-urlencoded' };
    expect((await raw('/login', urlencoded, streamed)).status).toBe(413);
    expect((await raw('/login', urlencoded, big)).status).toBe(413);
  });
});

describe('a brand the creator has not accepted', () => {
  const SEPT = (day: number) => new Date(Date.UTC(2026, 8, day, 12)).toISOString();
  async function payTo(brand: TestBrand, creatorId: string) {
    const res = await json<{ data: { payouts: { creatorId: string; payoutMethod: string; payoutAccount: string }[] } }>(await brand.api('GET', '/api/admin/payouts?period=2026-10'));
    const line = res.data.payouts.find((l) => l.creatorId === creatorId)!;
    return [line.payoutMethod, line.payoutAccount];
  }

  it('is not shown as an invitation once its campaign has ended', async () => {
    const a = await signedInCreator();
    const b = await createMoneyBrand();
    await b.brand.api('POST', '/api/admin/creators', { email: a.email, handle: `b_${a.handle}`.slice(0, 30), displayName: 'S' });
    const enrollment = (await json<{ data: { id: string } }>(await b.brand.api('POST', '/api/admin/enrollments', { campaignId: b.campaign.id, creatorId: a.creator.id, paymentModel: 'affiliate' }))).data.id;
    expect(await (await get('/', a.cookie)).text()).toContain(`action="/invitations/${enrollment}/accept"`);
    expect((await b.brand.api('PATCH', `/api/admin/campaigns/${b.campaign.id}`, { status: 'ended' })).status).toBe(200);
    const home = await (await get('/', a.cookie)).text();
    expect(home).not.toContain(`/invitations/${enrollment}/`);
    expect(home).toContain(`id="c-${a.enrollment.id}"`); // her own campaign is still there
  });

  it('sees no payout details, draws no drafts and spends no reset allowance until the creator accepts it', async () => {
    const a = await signedInCreator();
    expect((await post('/earnings/payout-details', { method: 'paypal', account: 'sarah@pay.example' }, { cookie: a.cookie })).status).toBe(303);
    // Brand B adds her email and enrolls her (an invitation she never answers), with a code that earns.
    const b = await createMoneyBrand();
    const joined = await json<{ data: { id: string; acceptedAt: string | null } }>(await b.brand.api('POST', '/api/admin/creators', { email: a.email, handle: `b_${a.handle}`.slice(0, 30), displayName: 'S' }));
    expect(joined.data).toMatchObject({ id: a.creator.id, acceptedAt: null });
    const enrollment = (await json<{ data: { id: string } }>(await b.brand.api('POST', '/api/admin/enrollments', { campaignId: b.campaign.id, creatorId: a.creator.id, paymentModel: 'affiliate' }))).data.id;
    const code = `B${a.code}`.slice(0, 32);
    await b.brand.api('POST', '/api/admin/codes', { enrollmentId: enrollment, code, discountType: 'percent', discountValue: 10 });
    for (const [m, c] of [[a, a.code], [b, code]] as const) {
      expect((await signedPost(m.brand, m.ingestKey, '/v1/conversions', { orderId: `na-${c}`, amountMinor: 10_000, currency: 'USD', occurredAt: SEPT(3), code: c })).status).toBe(201);
      expect((await m.brand.api('POST', '/api/admin/payouts/close', { period: '2026-10' })).status).toBe(201);
    }
    expect(await payTo(a.brand, a.creator.id)).toEqual(['paypal', 'sarah@pay.example']);
    expect(await payTo(b.brand, a.creator.id)).toEqual(['not_shared', '']);
    const csv = await (await b.brand.api('GET', '/api/admin/payouts/export.csv?period=2026-10')).text();
    expect(csv).toContain('"not_shared"');
    expect(csv).not.toContain('sarah@pay.example');

    // Her home page shows B's campaign as an invitation, without its code; drafts cannot go to it.
    const home = await (await get('/', a.cookie)).text();
    expect(home).toContain('invited you');
    expect(home).toContain(`action="/invitations/${enrollment}/accept"`);
    expect(home).not.toContain(code);
    const draft = { enrollmentId: enrollment, storyFormat: 'day_in_the_life', draftUrl: 'https://drive.example/d', caption: 'Morning #Glow #ad' };
    expect((await post('/submissions', draft, { cookie: a.cookie })).status).toBe(404);
    expect(await (await get(`/submissions/new?enrollment=${enrollment}`, a.cookie)).text()).not.toContain(`value="${enrollment}"`);

    // Her own "Forgot password" goes out under brand A, whose invite she accepted, though B's is newer.
    setTransport(async () => {});
    expect((await post('/forgot', { email: a.email })).status).toBe(200);
    await waitFor(() => rowCount("SELECT count(*) AS n FROM account_tokens WHERE creator_id = ? AND purpose = 'reset' AND created_at > ?", a.creator.id, Date.now() - 5_000).then((n) => n || null));
    const newest = await env.DB.prepare("SELECT brand_id FROM account_tokens WHERE creator_id = ? AND purpose = 'reset' ORDER BY created_at DESC LIMIT 1").bind(a.creator.id).first<{ brand_id: string }>();
    expect(newest!.brand_id).toBe(a.brand.brandId);

    // A password link B has mailed sets her password, but accepts nothing on her behalf.
    const sent: Message[] = [];
    setTransport(async (msg) => void sent.push(msg));
    expect((await b.brand.api('POST', `/api/admin/creators/${a.creator.id}/password-reset`)).status).toBe(201);
    const link = new URL(/https?:\/\/\S+/.exec(sent[0]!.text)![0]).pathname;
    const reset = await post(link, { password: PASSWORD, confirm: PASSWORD });
    expect(reset.status).toBe(303);
    const cookie = sessionCookie(reset);
    expect(await rowCount('SELECT count(*) AS n FROM brand_creators WHERE brand_id = ? AND creator_id = ? AND accepted_at IS NULL', b.brand.brandId, a.creator.id)).toBe(1);

    // Another creator cannot answer her invitation.
    const other = await signedInCreator();
    expect((await post(`/invitations/${enrollment}/accept`, {}, { cookie: other.cookie })).status).toBe(404);

    // Accept: B's campaign turns active, its details and drafts open, and B sees where her payouts go.
    const accepted = await post(`/invitations/${enrollment}/accept`, {}, { cookie });
    expect([accepted.status, accepted.headers.get('location')]).toEqual([303, '/?accepted=1']);
    expect((await post(`/invitations/${enrollment}/accept`, {}, { cookie })).status).toBe(303); // twice is harmless
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'creator.accepted_brand' AND actor_type = 'creator'", b.brand.brandId)).toBe(1);
    expect(await rowCount("SELECT count(*) AS n FROM enrollments WHERE id = ? AND status = 'active' AND active_since IS NOT NULL", enrollment)).toBe(1);
    expect(await payTo(b.brand, a.creator.id)).toEqual(['paypal', 'sarah@pay.example']);
    expect(await (await get('/?accepted=1', cookie)).text()).toContain(code);
    expect((await post('/submissions', draft, { cookie })).status).toBe(303);
    // Declining a campaign already accepted is refused; leaving is from its brief.
    expect((await post(`/invitations/${enrollment}/decline`, {}, { cookie })).status).toBe(409);
  }, 30_000); // three passwords hashed, at full strength

  it('declines only when asked once more: then every campaign of that brand leaves her home page and its code stops earning', async () => {
    const a = await signedInCreator();
    const c = await createMoneyBrand();
    await c.brand.api('POST', '/api/admin/creators', { email: a.email, handle: `c_${a.handle}`.slice(0, 30), displayName: 'S' });
    const enrollment = (await json<{ data: { id: string } }>(await c.brand.api('POST', '/api/admin/enrollments', { campaignId: c.campaign.id, creatorId: a.creator.id, paymentModel: 'affiliate' }))).data.id;
    // The home card asks before it declines (Decline… opens the question); a post without it changes nothing.
    const home = await (await get('/', a.cookie)).text();
    expect(home).toMatch(new RegExp(`<details class="decline"><summary class="button button-quiet">Decline…</summary><form method="post" action="/invitations/${enrollment}/decline"[^>]*><input type="hidden" name="confirm" value="1"/>`));
    expect(home).toContain('Only Test Brand can invite you again.');
    const unasked = await post(`/invitations/${enrollment}/decline`, {}, { cookie: a.cookie });
    expect([unasked.status, unasked.headers.get('location')]).toEqual([303, '/']);
    expect(await rowCount("SELECT count(*) AS n FROM enrollments WHERE id = ? AND status = 'invited'", enrollment)).toBe(1);
    const declined = await post(`/invitations/${enrollment}/decline`, { confirm: '1' }, { cookie: a.cookie });
    expect([declined.status, declined.headers.get('location')]).toEqual([303, '/?declined=1']);
    expect(await rowCount("SELECT count(*) AS n FROM enrollments WHERE id = ? AND status = 'removed' AND removed_at IS NOT NULL", enrollment)).toBe(1);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'creator.declined_brand'", c.brand.brandId)).toBe(1);
    expect(await (await get('/?declined=1', a.cookie)).text()).not.toContain(`/invitations/${enrollment}/accept`);
    // Gone: declining or accepting it again is a 404, never a change.
    expect((await post(`/invitations/${enrollment}/accept`, {}, { cookie: a.cookie })).status).toBe(404);
  });
});

// Found by the hostile review: a reset link was built from the request's Host, so a request that reached
// the worker with another host (a proxy, a wildcard route) mailed a working token on the attacker's host.

describe('migration 0022', () => {
  it('counts as accepted only what the creator did: a link of the brand opened, or a draft sent', async () => {
    const [byApi, byLink, byDraft] = await Promise.all([createMoneyBrand({ accepted: false }), createMoneyBrand({ accepted: false }), createMoneyBrand({ accepted: false })]);
    const now = Date.now();
    // Before 0022 the API could create an enrollment as active for anyone.
    await env.DB.prepare("UPDATE enrollments SET status = 'active' WHERE id = ?").bind(byApi.enrollment.id).run();
    await env.DB.prepare("INSERT INTO account_tokens (token_hash, purpose, creator_id, brand_id, expires_at, used_at, created_at) VALUES (?, 'reset', ?, ?, ?, ?, ?)")
      .bind(newId('tok'), byLink.creator.id, byLink.brand.brandId, now + 3_600_000, now, now)
      .run();
    await env.DB.prepare(
      "INSERT INTO submissions (id, brand_id, enrollment_id, story_format, draft_url, caption, status, compliance, created_at, updated_at) VALUES (?, ?, ?, 'day_in_the_life', 'https://drive.example/d', 'c', 'submitted', '{}', ?, ?)",
    )
      .bind(newId('sub'), byDraft.brand.brandId, byDraft.enrollment.id, now, now)
      .run();
    const update = migration0022.split('--> statement-breakpoint').find((statement) => statement.includes('UPDATE'))!;
    await env.DB.prepare(update).run();
    const accepted = async (m: { brand: TestBrand; creator: { id: string } }) =>
      (await env.DB.prepare('SELECT accepted_at FROM brand_creators WHERE brand_id = ? AND creator_id = ?').bind(m.brand.brandId, m.creator.id).first<{ accepted_at: number | null }>())!.accepted_at !== null;
    // byApi's enrollment is active: a status the brand set is no evidence of consent.
    expect([await accepted(byApi), await accepted(byLink), await accepted(byDraft)]).toEqual([false, true, true]);
  });
});
