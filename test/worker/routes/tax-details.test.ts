// Creators' tax details (sealed on their account, shown masked, shared once they accept a brand) and the brand's
// year-end totals of paid payouts with them, for finance only.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { yearEndCsvStream } from '../../../worker/db/tax-details';
import type { TaxDetails } from '../../../worker/domain/tax-details';
import { previousYear } from '../../../worker/domain/periods';
import { parseCsv } from '../../../worker/lib/csv';
import { openSealedJson, sealSecret } from '../../../worker/lib/secrets';
import { setTransport, type Message } from '../../../worker/lib/messages';
import { addAcceptedCreator, BASE, createMoneyBrand, insertLedgerEntry, json, rowCount, waitFor } from '../fixtures';
import { PASSWORD, signedInCreator, portalTestDefaults } from '../portal-fixtures';
import { fetchWorker, get, post } from '../forms';
import { adminUser, signIn } from '../console-fixtures';

portalTestDefaults();

const VALID = { legalName: 'Sarah Jones', country: 'US', kind: 'individual', taxId: '123-45-6789', certify: 'yes' };

const sealedOf = async (creatorId: string) => (await env.DB.prepare('SELECT tax_details_enc FROM creators WHERE id = ?').bind(creatorId).first<{ tax_details_enc: string | null }>())!.tax_details_enc;

// A payout as a close and a mark leave it, straight in the table: paid at an exact instant.
async function insertPayout(brandId: string, creatorId: string, period: string, amountMinor: number, status: 'paid' | 'pending' | 'failed', paidAt: number | null, currency = 'USD') {
  const id = `po_${crypto.randomUUID().replaceAll('-', '').slice(0, 24)}`;
  await env.DB.prepare('INSERT INTO payouts (id, brand_id, creator_id, period, currency, amount_minor, status, created_at, paid_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
    .bind(id, brandId, creatorId, period, currency, amountMinor, status, Date.now(), paidAt)
    .run();
  return id;
}

const rowsOf = (csv: string) => {
  const [header, ...rows] = parseCsv(csv);
  const names = header!.cells;
  return rows.map((r) => Object.fromEntries(names.map((n, i) => [n, r.cells[i] ?? ''])));
};

describe("the creator's tax details form", () => {
  it('seals the tax id at rest, shows it back masked, and replaces it on the next save', async () => {
    const m = await signedInCreator();
    const saved = await post('/earnings/tax-details', VALID, { cookie: m.cookie });
    expect(saved.status).toBe(303);
    expect(saved.headers.get('location')).toBe('/earnings?saved=tax');
    const sealed = await sealedOf(m.creator.id);
    expect(sealed).not.toContain('6789');
    expect(sealed).not.toContain('Sarah');
    expect(await openSealedJson<TaxDetails>(env.SECRETS_KEY, sealed)).toEqual({ legalName: 'Sarah Jones', country: 'US', kind: 'individual', taxId: '123-45-6789', certifiedAt: expect.any(Number) });
    const page = await (await get('/earnings?saved=tax', m.cookie)).text();
    expect(page).toContain('Tax details saved.');
    expect(page).toContain('••••6789');
    expect(page).not.toContain('123-45-6789');
    expect(page).toContain('<label for="tax-id">Tax id</label>');
    expect((await post('/earnings/tax-details', { ...VALID, legalName: 'Jones Studio LLC', kind: 'business', country: 'gb', taxId: ' 12-3456789 ' }, { cookie: m.cookie })).status).toBe(303);
    expect(await openSealedJson<TaxDetails>(env.SECRETS_KEY, await sealedOf(m.creator.id))).toMatchObject({ legalName: 'Jones Studio LLC', country: 'GB', kind: 'business', taxId: '12-3456789' });
    // Kept as one id however it was typed, and a short one shows only its last 2.
    expect((await post('/earnings/tax-details', { ...VALID, taxId: ' ab 12 c3 ' }, { cookie: m.cookie })).status).toBe(303);
    expect(await openSealedJson<TaxDetails>(env.SECRETS_KEY, await sealedOf(m.creator.id))).toMatchObject({ taxId: 'AB12C3' });
    const short = await (await get('/earnings', m.cookie)).text();
    expect(short).toContain('••••C3');
    expect(short).not.toContain('12C3');
  });

  it('refuses each bad field with its own error and writes nothing', async () => {
    const m = await signedInCreator();
    const cases: [Record<string, string | string[]>, string][] = [
      [{ ...VALID, legalName: '' }, 'tax-legal-name'],
      [{ ...VALID, legalName: 'x'.repeat(141) }, 'tax-legal-name'],
      [{ ...VALID, legalName: 'Sarah\nJones' }, 'tax-legal-name'],
      [{ ...VALID, legalName: 'Sarah\u202eJones' }, 'tax-legal-name'],
      [{ ...VALID, country: 'XX' }, 'tax-country'],
      [{ ...VALID, country: 'USA' }, 'tax-country'],
      [{ ...VALID, country: '' }, 'tax-country'],
      [{ ...VALID, kind: 'corporation' }, 'tax-kind-individual'],
      [{ ...VALID, kind: 'constructor' }, 'tax-kind-individual'],
      [{ ...VALID, taxId: '12' }, 'tax-id'],
      [{ ...VALID, taxId: '1'.repeat(41) }, 'tax-id'],
      [{ ...VALID, taxId: '<script>1234' }, 'tax-id'],
      [{ ...VALID, taxId: '=1+2345' }, 'tax-id'],
      [{ ...VALID, taxId: '-12345678' }, 'tax-id'],
      [{ ...VALID, taxId: '12345678.' }, 'tax-id'],
      [{ ...VALID, certify: '' }, 'tax-certify'],
      [{ ...VALID, certify: 'on' }, 'tax-certify'],
    ];
    for (const [fields, field] of cases) {
      const res = await post('/earnings/tax-details', fields, { cookie: m.cookie });
      expect(res.status, JSON.stringify(fields)).toBe(422);
      const html = await res.text();
      expect(html, field).toContain(`id="${field}-error"`);
      expect(html, field).toContain(`href="#${field}"`);
      expect(html).not.toContain('123-45-6789'); // the tax id typed is never echoed
    }
    // The kind's problem is read out from whichever radio has focus, and the certify box is left to tick again.
    const kindRefused = await (await post('/earnings/tax-details', { ...VALID, kind: 'corporation' }, { cookie: m.cookie })).text();
    for (const radio of ['tax-kind-individual', 'tax-kind-business']) expect(kindRefused).toMatch(new RegExp(`id="${radio}"[^>]*aria-describedby="tax-kind-individual-error"`));
    expect(kindRefused).not.toMatch(/id="tax-certify"[^>]*checked/);
    // Fields missing altogether, and a file where text belongs: every problem at once.
    const empty = await post('/earnings/tax-details', {}, { cookie: m.cookie });
    expect(empty.status).toBe(422);
    const all = await empty.text();
    for (const field of ['tax-legal-name', 'tax-country', 'tax-kind-individual', 'tax-id', 'tax-certify']) expect(all).toContain(`id="${field}-error"`);
    const form = new FormData();
    for (const [k, v] of Object.entries(VALID)) if (k !== 'taxId') form.append(k, v);
    form.append('taxId', new File(['123-45-6789'], 'id.txt'));
    expect((await post('/earnings/tax-details', form, { cookie: m.cookie })).status).toBe(422);
    expect((await post('/earnings/tax-details', { ...VALID, legalName: 'x'.repeat(70_000) }, { cookie: m.cookie })).status).toBe(413);
    expect(await sealedOf(m.creator.id)).toBeNull();
  });

  it('refuses a post from another site, without an Origin, or signed out', async () => {
    const m = await signedInCreator();
    // Portal pages answer their errors as pages: the status is what a test can hold them to.
    expect((await post('/earnings/tax-details', VALID, { cookie: m.cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect((await post('/earnings/tax-details', VALID, { cookie: m.cookie, origin: null })).status).toBe(403);
    expect((await post('/earnings/tax-details/remove', {}, { cookie: m.cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect((await post('/earnings/tax-details', VALID)).status).toBe(401);
    expect(await sealedOf(m.creator.id)).toBeNull();
  });

  it('removes them, and mails the account on every change or removal, never the same details twice', async () => {
    const m = await signedInCreator();
    const sent: Message[] = [];
    setTransport(async (msg) => void sent.push(msg));
    const ours = () => sent.filter((msg) => msg.to === m.email);
    expect((await post('/earnings/tax-details', VALID, { cookie: m.cookie })).status).toBe(303);
    await waitFor(async () => ours().length === 1 || undefined, 15_000);
    expect((await post('/earnings/tax-details', VALID, { cookie: m.cookie })).status).toBe(303); // the same: nothing to tell
    const removed = await post('/earnings/tax-details/remove', {}, { cookie: m.cookie });
    expect(removed.status).toBe(303);
    expect(await sealedOf(m.creator.id)).toBeNull();
    await waitFor(async () => ours().length === 2 || undefined, 15_000);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(ours().map((msg) => msg.subject)).toEqual(['Your Chorus tax details changed', 'Your Chorus tax details changed']);
    expect(ours()[0]!.text).toContain('••••6789');
    expect(ours()[0]!.text).not.toContain('123-45');
    expect(ours()[0]!.text).not.toContain('Sarah'); // the masked id and country say enough
    expect(ours()[1]!.text).toContain('removed');
    expect(await (await get('/earnings', m.cookie)).text()).not.toContain('Remove my tax details');
  });

  it('goes into the data download masked with when it was certified, and closing the account deletes it', async () => {
    const m = await signedInCreator();
    expect((await post('/earnings/tax-details', VALID, { cookie: m.cookie })).status).toBe(303);
    const data = (await (await get('/account/data.json', m.cookie)).json()) as { profile: { taxDetails: unknown } };
    expect(data.profile.taxDetails).toEqual({ legalName: 'Sarah Jones', country: 'US', kind: 'individual', taxId: '••••6789', certifiedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    const page = await (await get('/account', m.cookie)).text();
    const owed = /name="owed" value="([^"]*)"/.exec(page)?.[1]?.replaceAll('&amp;', '&') ?? '';
    expect((await post('/account/close', { password: PASSWORD, owed }, { cookie: m.cookie })).status).toBe(303);
    expect(await sealedOf(m.creator.id)).toBeNull();
  });
});

describe('tax details on the brand side', () => {
  it('are missing until the creator accepts the brand, in the payouts list, the CSV and the year-end file', async () => {
    const m = await createMoneyBrand({ accepted: false });
    await env.DB.prepare('UPDATE creators SET tax_details_enc = ? WHERE id = ?')
      .bind(await sealSecret(env.SECRETS_KEY, JSON.stringify({ legalName: 'Hidden Name', country: 'US', kind: 'individual', taxId: '999-88-7777', certifiedAt: Date.now() })), m.creator.id)
      .run();
    await insertLedgerEntry({ brandId: m.brand.brandId, enrollmentId: m.enrollment.id, creatorId: m.creator.id, amountMinor: 2_000, period: '2026-08', availableAt: Date.UTC(2026, 7, 10) });
    expect((await m.brand.api('POST', '/api/admin/payouts/close', { period: '2026-08' })).status).toBe(201);
    const listed = await json<{ data: { payouts: { taxDetails: string }[] } }>(await m.brand.api('GET', '/api/admin/payouts?period=2026-08'));
    expect(listed.data.payouts.map((p) => p.taxDetails)).toEqual(['missing']);
    expect(rowsOf(await (await m.brand.api('GET', '/api/admin/payouts/export.csv?period=2026-08')).text())[0]!.tax_details).toBe('missing');
    const id = (await env.DB.prepare('SELECT id FROM payouts WHERE brand_id = ?').bind(m.brand.brandId).first<{ id: string }>())!.id;
    expect((await m.brand.api('POST', `/api/admin/payouts/${id}/mark`, { reference: 'PP-1' })).status).toBe(200);
    const yearEnd = await (await m.brand.api('GET', `/api/admin/payouts/year-end.csv?year=${new Date().getUTCFullYear()}`)).text();
    expect(rowsOf(yearEnd)).toEqual([expect.objectContaining({ creator_id: m.creator.id, tax_details: 'missing', legal_name: '', tax_id: '' })]);
    expect(yearEnd).not.toContain('Hidden Name');
    expect(yearEnd).not.toContain('7777');
    // Before the creator accepts, the creator page says nothing of tax details (nothing is shared yet).
    const owner = await signIn((await adminUser(m.brand.brandId, 'owner')).email);
    const page = await (await get(`/console/campaigns/${m.campaign.id}/creators/${m.enrollment.id}`, owner)).text();
    expect(page).not.toContain('Tax details:');
  });

  it('are complete once accepted: the payouts list, the CSV column and the console page say so, and the console names what is missing', async () => {
    const m = await signedInCreator();
    await insertLedgerEntry({ brandId: m.brand.brandId, enrollmentId: m.enrollment.id, creatorId: m.creator.id, amountMinor: 2_000, period: '2026-08', availableAt: Date.UTC(2026, 7, 10) });
    expect((await m.brand.api('POST', '/api/admin/payouts/close', { period: '2026-08' })).status).toBe(201);
    const status = async () => (await json<{ data: { payouts: { taxDetails: string }[] } }>(await m.brand.api('GET', '/api/admin/payouts?period=2026-08'))).data.payouts[0]!.taxDetails;
    const finance = await signIn((await adminUser(m.brand.brandId, 'finance')).email);
    const creatorPage = async () => (await get(`/console/campaigns/${m.campaign.id}/creators/${m.enrollment.id}`, finance)).text();
    expect(await status()).toBe('missing');
    expect(await (await get('/console/payouts?period=2026-08', finance)).text()).toContain('Tax details: missing');
    expect(await creatorPage()).toContain('Tax details: missing');
    expect((await post('/earnings/tax-details', VALID, { cookie: m.cookie })).status).toBe(303);
    expect(await status()).toBe('complete');
    const shown = await creatorPage();
    expect(shown).toContain('Tax details: complete');
    expect(shown).not.toContain('6789');
    expect(rowsOf(await (await m.brand.api('GET', '/api/admin/payouts/export.csv?period=2026-08')).text())[0]!.tax_details).toBe('complete');
    const page = await (await get('/console/payouts?period=2026-08', finance)).text();
    expect(page).toContain('Tax details: complete');
    expect(page).not.toContain('6789');
  });
});

describe('tax details sealed under an earlier SECRETS_KEY', () => {
  it('are unreadable alike in the payouts list, its CSV, the console page and the year-end file', async () => {
    const m = await signedInCreator();
    const sealed = await sealSecret('an-earlier-secrets-key-0123456789abcdef', JSON.stringify({ legalName: 'Old Name', country: 'US', kind: 'individual', taxId: '123-45-6789', certifiedAt: Date.now() }));
    await env.DB.prepare('UPDATE creators SET tax_details_enc = ? WHERE id = ?').bind(sealed, m.creator.id).run();
    await insertLedgerEntry({ brandId: m.brand.brandId, enrollmentId: m.enrollment.id, creatorId: m.creator.id, amountMinor: 2_000, period: '2026-08', availableAt: Date.UTC(2026, 7, 10) });
    expect((await m.brand.api('POST', '/api/admin/payouts/close', { period: '2026-08' })).status).toBe(201);
    const listed = await json<{ data: { payouts: { taxDetails: string }[] } }>(await m.brand.api('GET', '/api/admin/payouts?period=2026-08'));
    expect(listed.data.payouts.map((p) => p.taxDetails)).toEqual(['unreadable']);
    expect(rowsOf(await (await m.brand.api('GET', '/api/admin/payouts/export.csv?period=2026-08')).text())[0]!.tax_details).toBe('unreadable');
    const finance = await signIn((await adminUser(m.brand.brandId, 'finance')).email);
    const page = await (await get('/console/payouts?period=2026-08', finance)).text();
    expect(page).toContain('Tax details: unreadable');
    expect(page).not.toContain('Tax details: complete');
    const id = (await env.DB.prepare('SELECT id FROM payouts WHERE brand_id = ?').bind(m.brand.brandId).first<{ id: string }>())!.id;
    await env.DB.prepare('UPDATE payouts SET status = ?, paid_at = ? WHERE id = ?').bind('paid', Date.UTC(2026, 8, 1), id).run();
    const yearEnd = rowsOf(await (await m.brand.api('GET', '/api/admin/payouts/year-end.csv?year=2026')).text());
    expect(yearEnd).toEqual([expect.objectContaining({ tax_details: 'unreadable', legal_name: '', tax_id: '' })]);
  });

  it("leave the creator's Earnings page working, with payout details sealed the same way: each form asks for its details again", async () => {
    const m = await signedInCreator();
    const earlier = 'an-earlier-secrets-key-0123456789abcdef';
    const tax = await sealSecret(earlier, JSON.stringify({ legalName: 'Old Name', country: 'US', kind: 'individual', taxId: '123-45-6789', certifiedAt: Date.now() }));
    const payout = await sealSecret(earlier, JSON.stringify({ method: 'paypal', account: 'old@example.com' }));
    await env.DB.prepare('UPDATE creators SET tax_details_enc = ?, payout_details_enc = ? WHERE id = ?').bind(tax, payout, m.creator.id).run();
    const res = await get('/earnings', m.cookie);
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('Your tax details are held but can no longer be read');
    expect(page).toContain('Your payout details are held but can no longer be read');
    expect(page).not.toContain('Add your payout details');
    expect(page).not.toContain('old@example.com');
    // Owed money: the home page asks for them again, and the brand's Payouts page says they cannot be read.
    await insertLedgerEntry({ brandId: m.brand.brandId, enrollmentId: m.enrollment.id, creatorId: m.creator.id, amountMinor: 2_000, period: '2026-08', availableAt: Date.UTC(2026, 7, 10) });
    const home = await (await get('/', m.cookie)).text();
    expect(home).toContain('Your payout details can no longer be read');
    expect((await m.brand.api('POST', '/api/admin/payouts/close', { period: '2026-08' })).status).toBe(201);
    const finance = await signIn((await adminUser(m.brand.brandId, 'finance')).email);
    const payouts = await (await get('/console/payouts?period=2026-08', finance)).text();
    expect(payouts).toContain('Unreadable (our key changed)');
    expect(payouts).not.toMatch(/unreadable · /);
  });
});

describe('year-end totals', () => {
  // New York: 2026 starts at 05:00 UTC on January 1st.
  const NEW_YEAR_NY = Date.UTC(2026, 0, 1, 5, 0, 0);

  async function yearEndBrand() {
    const m = await signedInCreator({ timezone: 'America/New_York' });
    expect((await post('/earnings/tax-details', { ...VALID, legalName: '=HYPERLINK("https://evil.example","x")' }, { cookie: m.cookie })).status).toBe(303);
    const b = m.brand.brandId;
    const c = m.creator.id;
    await insertPayout(b, c, '2025-11', 1_000, 'paid', NEW_YEAR_NY - 30 * 60_000); // 23:30 on Dec 31st in New York: 2025
    await insertPayout(b, c, '2025-12', 2_050, 'paid', NEW_YEAR_NY + 30 * 60_000); // 00:30 on Jan 1st: 2026
    await insertPayout(b, c, '2026-01', 3_000, 'paid', Date.UTC(2026, 5, 1));
    await insertPayout(b, c, '2026-02', 9_999, 'pending', null);
    await insertPayout(b, c, '2026-03', 8_888, 'failed', null);
    await insertPayout(b, c, '2026-04', 700, 'paid', Date.UTC(2026, 6, 1), 'EUR');
    await insertPayout(b, c, '2026-12', 4_000, 'paid', Date.UTC(2027, 0, 1, 4, 59)); // 23:59 on Dec 31st 2026 in New York
    return m;
  }

  it('sums only paid payouts by their paid time in the brand timezone, per currency, with the full tax id and formulas neutralised', async () => {
    const m = await yearEndBrand();
    const finance = await signIn((await adminUser(m.brand.brandId, 'finance')).email);
    const res = await get('/console/payouts/year-end.csv?year=2026', finance);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    expect(res.headers.get('content-disposition')).toContain('year-end');
    const csv = await res.text();
    const rows = rowsOf(csv);
    expect(rows).toEqual([
      expect.objectContaining({ year: '2026', creator_id: m.creator.id, handle: m.handle, email: m.email, currency: 'EUR', total_paid: '7.00', payout_count: '1', tax_details: 'complete', tax_country: 'US', tax_kind: 'individual', tax_id: '123-45-6789' }),
      expect.objectContaining({ currency: 'USD', total_paid: '90.50', payout_count: '3', tax_id: '123-45-6789' }),
    ]);
    expect(rows[0]!.legal_name).toBe(`'=HYPERLINK("https://evil.example","x")`);
    const before = rowsOf(await (await get('/console/payouts/year-end.csv?year=2025', finance)).text());
    expect(before.map((r) => [r.currency, r.total_paid, r.payout_count])).toEqual([['USD', '10.00', '1']]);
    expect(rowsOf(await (await get('/console/payouts/year-end.csv?year=2024', finance)).text())).toEqual([]);
    // The admin API answers the same file.
    expect(await (await m.brand.api('GET', '/api/admin/payouts/year-end.csv?year=2026')).text()).toBe(csv);
  });

  it('is for owners and finance only, refuses a bad year, and audits each download', async () => {
    const m = await yearEndBrand();
    const audited = () => rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'payout.year_end_exported'", m.brand.brandId);
    for (const role of ['viewer', 'manager'] as const) {
      const cookie = await signIn((await adminUser(m.brand.brandId, role)).email);
      const res = await get('/console/payouts/year-end.csv?year=2026', cookie);
      expect(res.status, role).toBe(403);
      const page = await (await get('/console/payouts', cookie)).text();
      expect(page).toContain('Needs an owner or finance');
      expect(page).not.toContain('action="/console/payouts/year-end.csv"');
    }
    expect(await audited()).toBe(0);
    const owner = await signIn((await adminUser(m.brand.brandId, 'owner')).email);
    expect(await (await get('/console/payouts', owner)).text()).toContain('action="/console/payouts/year-end.csv"');
    for (const year of ['1999', '2200', 'abc', '', '2026.0', '02026']) {
      const res = await get(`/console/payouts/year-end.csv?year=${year}`, owner);
      expect(res.status, year).toBe(422);
    }
    expect(await audited()).toBe(0);
    // Without a year: the one before this in the brand's timezone, which finance files for early in the new year.
    const lastYear = previousYear(Date.now(), 'America/New_York');
    expect(await (await get('/console/payouts', owner)).text()).toMatch(new RegExp(`id="year-end-year"[^>]* value="${lastYear}"`));
    const byDefault = await get('/console/payouts/year-end.csv', owner);
    expect(byDefault.status).toBe(200);
    expect(byDefault.headers.get('content-disposition')).toContain(`-${lastYear}.csv`);
    expect(rowsOf(await byDefault.text()).every((r) => r.year === String(lastYear))).toBe(true);
    const apiDefault = await m.brand.api('GET', '/api/admin/payouts/year-end.csv');
    expect(apiDefault.headers.get('content-disposition')).toContain(`-${lastYear}.csv`);
    await apiDefault.text();
    expect((await get('/console/payouts/year-end.csv?year=2026', owner)).status).toBe(200);
    expect(await audited()).toBe(3);
    const row = await env.DB.prepare("SELECT actor_type, target_type, target_id FROM audit_log WHERE brand_id = ? AND action = 'payout.year_end_exported' ORDER BY at DESC LIMIT 1").bind(m.brand.brandId).first();
    expect(row).toEqual({ actor_type: 'admin_user', target_type: 'year', target_id: '2026' });
    for (const query of ['?year=1999', '?year=2200', '?year=x', '?year=2026&period=2026-01']) {
      const res = await m.brand.api('GET', `/api/admin/payouts/year-end.csv${query}`);
      expect(res.status, query).toBe(422);
      expect((await json<{ error: { code: string } }>(res)).error.code, query).toBe('validation_failed');
    }
    expect(await audited()).toBe(3);
    expect((await m.brand.api('GET', '/api/admin/payouts/year-end.csv?year=2026')).status).toBe(200);
    expect(await audited()).toBe(4);
    // A HEAD request (a link checker's probe) takes no tax id and leaves no audit row.
    const headConsole = await fetchWorker(`${BASE}/console/payouts/year-end.csv?year=2026`, { method: 'HEAD', headers: { cookie: owner }, redirect: 'manual' });
    expect(headConsole.status).toBe(200);
    expect(await headConsole.text()).toBe('');
    expect((await m.brand.api('HEAD', '/api/admin/payouts/year-end.csv?year=2026')).status).toBe(200);
    expect(await audited()).toBe(4);
  });

  it('pages through many creators and currencies without losing or repeating a row', async () => {
    const m = await createMoneyBrand();
    const creators = [m.creator.id];
    for (let i = 0; i < 4; i++) {
      const tag = crypto.randomUUID().slice(0, 8);
      creators.push((await addAcceptedCreator(m.brand, { email: `page-${tag}@example.com`, handle: `page_${tag}`, displayName: `Page ${i}` })).data.id);
    }
    const paidAt = Date.UTC(2026, 5, 1);
    const expected: string[] = [];
    for (const creator of creators)
      for (const currency of ['EUR', 'GBP', 'USD']) {
        await insertPayout(m.brand.brandId, creator, '2026-05', 1_000, 'paid', paidAt, currency);
        await insertPayout(m.brand.brandId, creator, '2026-04', 500, 'paid', paidAt, currency);
        expected.push(`${creator} ${currency} 15.00 2`);
      }
    const read = async (pageSize: number) => {
      const csv = await new Response(yearEndCsvStream(env.DB, env.SECRETS_KEY, { id: m.brand.brandId, timezone: 'UTC' }, 2026, pageSize)).text();
      return rowsOf(csv).map((r) => `${r.creator_id} ${r.currency} ${r.total_paid} ${r.payout_count}`);
    };
    // Pages of 2 and 4 split a creator's currencies across pages; 15 rows in all.
    const whole = await read(500);
    expect([...whole].sort()).toEqual([...expected].sort());
    for (const pageSize of [1, 2, 4]) expect(await read(pageSize), String(pageSize)).toEqual(whole);
  });

  it('shows no tax details of a creator the brand erased, in the payouts list or the year-end file', async () => {
    const m = await signedInCreator();
    expect((await post('/earnings/tax-details', VALID, { cookie: m.cookie })).status).toBe(303);
    await insertLedgerEntry({ brandId: m.brand.brandId, enrollmentId: m.enrollment.id, creatorId: m.creator.id, amountMinor: 2_000, period: '2026-08', availableAt: Date.UTC(2026, 7, 10) });
    expect((await m.brand.api('POST', '/api/admin/payouts/close', { period: '2026-08' })).status).toBe(201);
    const id = (await env.DB.prepare('SELECT id FROM payouts WHERE brand_id = ?').bind(m.brand.brandId).first<{ id: string }>())!.id;
    expect((await m.brand.api('POST', `/api/admin/payouts/${id}/mark`, { reference: 'PP-1' })).status).toBe(200);
    await env.DB.prepare('UPDATE payouts SET paid_at = ? WHERE id = ?').bind(Date.UTC(2026, 8, 1), id).run();
    expect(rowsOf(await (await m.brand.api('GET', '/api/admin/payouts/year-end.csv?year=2026')).text())[0]).toMatchObject({ tax_details: 'complete', tax_id: '123-45-6789' });
    expect((await m.brand.api('POST', `/api/admin/creators/${m.creator.id}/erase`, { confirm: true })).status).toBe(200);
    const listed = await json<{ data: { payouts: { taxDetails: string }[] } }>(await m.brand.api('GET', '/api/admin/payouts?period=2026-08'));
    expect(listed.data.payouts.map((p) => p.taxDetails)).toEqual(['missing']);
    const csv = await (await m.brand.api('GET', '/api/admin/payouts/year-end.csv?year=2026')).text();
    expect(rowsOf(csv)).toEqual([expect.objectContaining({ creator_id: m.creator.id, tax_details: 'missing', legal_name: '', tax_id: '' })]);
    expect(csv).not.toContain('6789');
    expect(csv).not.toContain('Sarah Jones');
  });

  it('counts a payout by the brand year in a timezone ahead of UTC (Pacific/Auckland)', async () => {
    const m = await createMoneyBrand({ timezone: 'Pacific/Auckland' });
    // Auckland's 2026 starts at 11:00 UTC on December 31st 2025 (NZDT, +13).
    const newYear = Date.UTC(2025, 11, 31, 11, 0, 0);
    await insertPayout(m.brand.brandId, m.creator.id, '2025-11', 1_000, 'paid', newYear - 1); // 23:59:59.999 on Dec 31st in Auckland
    await insertPayout(m.brand.brandId, m.creator.id, '2025-12', 2_000, 'paid', newYear); // midnight: 2026, still 2025 in UTC
    const totals = async (year: number) => rowsOf(await (await m.brand.api('GET', `/api/admin/payouts/year-end.csv?year=${year}`)).text()).map((r) => [r.total_paid, r.payout_count]);
    expect(await totals(2025)).toEqual([['10.00', '1']]);
    expect(await totals(2026)).toEqual([['20.00', '1']]);
  });

  it("never shows another brand's creators", async () => {
    const a = await yearEndBrand();
    const b = await createMoneyBrand({ timezone: 'America/New_York' });
    await insertPayout(b.brand.brandId, b.creator.id, '2026-01', 5_000, 'paid', Date.UTC(2026, 5, 1));
    const csv = await (await b.brand.api('GET', '/api/admin/payouts/year-end.csv?year=2026')).text();
    expect(rowsOf(csv).map((r) => r.creator_id)).toEqual([b.creator.id]);
    expect(csv).not.toContain(a.creator.id);
    expect(csv).not.toContain('123-45-6789');
    expect(csv).not.toContain(a.email);
  });
});
