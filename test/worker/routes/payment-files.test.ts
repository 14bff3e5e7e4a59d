// Payment files for a closed month (SEPA credit transfer XML, PayPal Payouts CSV, Wise batch CSV): their exact
// bytes, who is left out and why, who may download them, the audit row, and the payer account they pay from.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { sealSecret } from '../../../worker/lib/secrets';
import { addAcceptedCreator, createMoneyBrand, insertLedgerEntry, json, rowCount } from '../fixtures';
import { adminUser, signIn } from '../console-fixtures';
import { get, post, tag } from '../forms';
import { parseXml, xmlAll, xmlText, type XmlElement } from '../xml';
import { addDays, dayOf } from '../../../worker/domain/periods';
import { achFileIdentity, FORMAT_MAX_ROWS, isWeekend, nextBusinessDay } from '../../../worker/domain/payment-files';
import { creatorDetails } from '../../../worker/db/sealed-details';
import { portalTestDefaults, signedInCreator } from '../portal-fixtures';

portalTestDefaults();

const PERIOD = '2026-10';
const seal = (value: unknown) => sealSecret(env.SECRETS_KEY, JSON.stringify(value));
const taxOf = (legalName: string) => ({ legalName, country: 'PL', kind: 'individual', taxId: 'PL1234567', certifiedAt: Date.now() });

type Details = { method: string; account: string; holder?: string; routing?: string; accountType?: string };
type Seed = {
  name: string;
  details?: Details | null;
  tax?: string;
  net: number;
  status?: 'pending' | 'paid' | 'failed';
  // Where a failed payout went: '' none known then, or the details it failed with.
  failedTo?: Details | '';
  accepted?: boolean;
  currency?: string;
};

// A brand closed for PERIOD with one payout per seed, in seed order by handle, written as a close and marks leave them.
async function closedPeriod(seeds: Seed[], opts: { currency?: string; payer?: boolean; period?: string; closed?: boolean; ach?: boolean } = {}) {
  const m = await createMoneyBrand();
  const period = opts.period ?? PERIOD;
  const payer = opts.payer ?? true;
  await env.DB.prepare('UPDATE brands SET currency = ?, name = ?, payer_name = ?, payer_iban = ?, payer_bic = ? WHERE id = ?')
    .bind(opts.currency ?? 'EUR', 'Fernway & <Söhne>', payer ? 'Fernway Botanicals GmbH' : null, payer ? 'DE89370400440532013000' : null, payer ? 'COBADEFFXXX' : null, m.brand.brandId)
    .run();
  if (opts.ach) {
    await env.DB.prepare("UPDATE brands SET ach_company_name = 'Fernway Inc', ach_company_id = '1123456789', ach_odfi_routing = '011000015', ach_odfi_name = 'First Bank of Boston' WHERE id = ?").bind(m.brand.brandId).run();
  }
  const payouts: string[] = [];
  const run = tag();
  for (const [i, s] of seeds.entries()) {
    const handle = `p${String.fromCharCode(97 + i)}_${run}`.slice(0, 30);
    const body = { email: `${handle}@creators.test`, handle, displayName: s.name };
    const creator = s.accepted === false ? await json<{ data: { id: string } }>(await m.brand.api('POST', '/api/admin/creators', body)) : await addAcceptedCreator(m.brand, body);
    const enrollment = await json<{ data: { id: string } }>(
      await m.brand.api('POST', '/api/admin/enrollments', { campaignId: m.campaign.id, creatorId: creator.data.id, paymentModel: 'affiliate', status: s.accepted === false ? 'invited' : 'active' }),
    );
    await env.DB.prepare('UPDATE creators SET payout_details_enc = ?, tax_details_enc = ? WHERE id = ?')
      .bind(s.details ? await seal(s.details) : null, s.tax ? await seal(taxOf(s.tax)) : null, creator.data.id)
      .run();
    const id = `po_${crypto.randomUUID().replaceAll('-', '').slice(0, 24)}`;
    const status = s.status ?? 'pending';
    const paidTo = status === 'failed' ? (s.failedTo === '' ? '' : s.failedTo ? await seal(s.failedTo) : null) : status === 'paid' ? await seal(s.details) : null;
    await env.DB.prepare('INSERT INTO payouts (id, brand_id, creator_id, period, currency, amount_minor, status, created_at, paid_to_enc, reference) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .bind(id, m.brand.brandId, creator.data.id, period, s.currency ?? opts.currency ?? 'EUR', s.net, status, Date.now(), paidTo, status === 'pending' ? null : `REF-${i}`)
      .run();
    await insertLedgerEntry({ brandId: m.brand.brandId, enrollmentId: enrollment.data.id, creatorId: creator.data.id, amountMinor: s.net, period, availableAt: Date.UTC(2026, 9, 1), payoutId: id });
    payouts.push(id);
  }
  if (opts.closed !== false) {
    await env.DB.prepare('INSERT INTO period_closes (brand_id, period, close_id, closed_by, closed_at) VALUES (?, ?, ?, ?, ?)').bind(m.brand.brandId, period, `close_${run}`, 'api_key:test', Date.now()).run();
  }
  return { ...m, payouts };
}

// What SEPA takes in an identifier (MsgId, PmtInfId, EndToEndId): its Latin set without the space, 1-35 characters.
const SEPA_ID = /^[A-Za-z0-9/\-?:().,'+]{1,35}$/;

// pain.001.001.03's sequences (GroupHeader32, PaymentInstructionInformation3, CreditTransferTransactionInformation10):
// a bank's validator refuses an element out of its place.
const SCHEMA_ORDER = {
  GrpHdr: ['MsgId', 'CreDtTm', 'Authstn', 'NbOfTxs', 'CtrlSum', 'InitgPty', 'FwdgAgt'],
  PmtInf: ['PmtInfId', 'PmtMtd', 'BtchBookg', 'NbOfTxs', 'CtrlSum', 'PmtTpInf', 'ReqdExctnDt', 'PoolgAdjstmntDt', 'Dbtr', 'DbtrAcct', 'DbtrAgt', 'DbtrAgtAcct', 'UltmtDbtr', 'ChrgBr', 'ChrgsAcct', 'ChrgsAcctAgt', 'CdtTrfTxInf'],
  CdtTrfTxInf: [
    ...['PmtId', 'PmtTpInf', 'Amt', 'XchgRateInf', 'ChrgBr', 'ChqInstr', 'UltmtDbtr', 'IntrmyAgt1', 'IntrmyAgt1Acct', 'IntrmyAgt2', 'IntrmyAgt2Acct', 'IntrmyAgt3', 'IntrmyAgt3Acct'],
    ...['CdtrAgt', 'CdtrAgtAcct', 'Cdtr', 'CdtrAcct', 'UltmtCdtr', 'InstrForCdtrAgt', 'InstrForDbtrAgt', 'Purp', 'RgltryRptg', 'Tax', 'RltdRmtInf', 'RmtInf'],
  ],
};
const REQUIRED = { GrpHdr: ['MsgId', 'CreDtTm', 'NbOfTxs', 'InitgPty'], PmtInf: ['PmtInfId', 'PmtMtd', 'ReqdExctnDt', 'Dbtr', 'DbtrAcct', 'DbtrAgt', 'CdtTrfTxInf'], CdtTrfTxInf: ['PmtId', 'Amt'] };

function expectSchemaOrder(element: XmlElement) {
  const sequence = SCHEMA_ORDER[element.name as keyof typeof SCHEMA_ORDER];
  const names = element.children.map((c) => c.name);
  for (const name of names) expect(sequence, `${name} in ${element.name}`).toContain(name);
  expect(names, element.name).toEqual([...names].sort((a, b) => sequence.indexOf(a) - sequence.indexOf(b)));
  for (const name of REQUIRED[element.name as keyof typeof REQUIRED]) expect(names, element.name).toContain(name);
}

const bank = (account: string, holder?: string) => ({ method: 'bank_transfer', account, ...(holder === undefined ? {} : { holder }) });

// Three bank transfers of 0.05, 12.30 and 1,234,567.89 (one named by its tax details), one without any name, and
// one each of PayPal and Wise, and the payouts no file pays.
const MIXED: Seed[] = [
  { name: 'Zoë', details: bank('DE89370400440532013000', 'Zoë & <Ångström>'), net: 5 },
  { name: 'Lukas', details: bank('FR1420041010050500013M02606'), tax: 'Łukasz Nowak', net: 1230 },
  { name: 'Big', details: bank('NL91ABNA0417164300', 'Big Earner BV'), net: 123_456_789 },
  { name: 'Nameless', details: bank('BE68539007547034'), net: 700 },
  { name: 'Pam', details: { method: 'paypal', account: 'pam@creators.test' }, net: 2500 },
  { name: '=Wes "W" Li', details: { method: 'wise', account: 'wes@creators.test' }, net: 9999 },
  { name: 'Quiet', details: { method: 'paypal', account: 'quiet@creators.test' }, net: 400, accepted: false },
  { name: 'Owing', details: { method: 'paypal', account: 'owing@creators.test' }, net: -300 },
  { name: 'Paid', details: { method: 'paypal', account: 'paid@creators.test' }, net: 800, status: 'paid' },
  { name: 'Bounced', details: { method: 'paypal', account: 'same@creators.test' }, net: 600, status: 'failed', failedTo: { method: 'paypal', account: 'same@creators.test' } },
  { name: 'Fixed', details: { method: 'paypal', account: 'new@creators.test' }, net: 650, status: 'failed', failedTo: { method: 'paypal', account: 'old@creators.test' } },
  { name: 'Nothing', details: null, net: 900 },
  { name: 'Formula', details: { method: 'paypal', account: '-dash@creators.test' }, net: 100 },
  // Spreadsheets skip a leading quote or blank before a formula: the CSV writer's rule decides, not a weaker copy.
  { name: 'Quoted', details: { method: 'wise', account: "'+x@example.com" }, net: 100 },
  { name: 'Spaced', details: { method: 'paypal', account: ' =x@example.com' }, net: 100 },
];

const fileOf = (m: Pick<Awaited<ReturnType<typeof closedPeriod>>, 'brand'>, format: string, extra = '') => m.brand.api('GET', `/api/admin/payouts/payment-file?period=${PERIOD}&format=${format}${extra}`);

describe('the SEPA credit transfer file', () => {
  it('pays each bank transfer once, amounts to the cent, names transliterated and escaped, totals right', async () => {
    const m = await closedPeriod(MIXED);
    const res = await fileOf(m, 'sepa');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/xml; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="chorus-sepa-${m.brand.slug}-${PERIOD}.xml"`);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const text = await res.text();
    expect(text.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<!-- Chorus payouts: downloading this file marked nothing paid.')).toBe(true);
    const doc = parseXml(text);
    expect(doc.name).toBe('Document');
    expect(doc.attributes.xmlns).toBe('urn:iso:std:iso:20022:tech:xsd:pain.001.001.03');
    const head = xmlAll(doc, 'CstmrCdtTrfInitn/GrpHdr')[0]!;
    const msgId = xmlText(head, 'MsgId');
    expect(msgId).toMatch(/^CHORUS-2026-10-[0-9a-f]{16}$/);
    expect(msgId.length).toBeLessThanOrEqual(35);
    expect(xmlText(head, 'CreDtTm')).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
    expect(xmlText(head, 'NbOfTxs')).toBe('3');
    expect(xmlText(head, 'CtrlSum')).toBe('1234580.24');
    expect(xmlText(head, 'InitgPty/Nm')).toBe('Fernway Botanicals GmbH');
    const info = xmlAll(doc, 'CstmrCdtTrfInitn/PmtInf')[0]!;
    expect(xmlText(info, 'PmtInfId')).toBe(msgId);
    expect(xmlText(info, 'PmtMtd')).toBe('TRF');
    expect(xmlText(info, 'NbOfTxs')).toBe('3');
    expect(xmlText(info, 'CtrlSum')).toBe('1234580.24');
    expect(xmlText(info, 'PmtTpInf/SvcLvl/Cd')).toBe('SEPA');
    expect(xmlText(info, 'ReqdExctnDt')).toBe(dayOf(Date.now(), 'UTC'));
    expect(xmlText(info, 'Dbtr/Nm')).toBe('Fernway Botanicals GmbH');
    expect(xmlText(info, 'DbtrAcct/Id/IBAN')).toBe('DE89370400440532013000');
    expect(xmlText(info, 'DbtrAgt/FinInstnId/BIC')).toBe('COBADEFFXXX');
    expect(xmlText(info, 'ChrgBr')).toBe('SLEV');
    const tx = xmlAll(info, 'CdtTrfTxInf').map((t) => ({
      id: xmlText(t, 'PmtId/EndToEndId'),
      amount: xmlText(t, 'Amt/InstdAmt'),
      ccy: xmlAll(t, 'Amt/InstdAmt')[0]!.attributes.Ccy,
      name: xmlText(t, 'Cdtr/Nm'),
      iban: xmlText(t, 'CdtrAcct/Id/IBAN'),
      note: xmlText(t, 'RmtInf/Ustrd'),
    }));
    const dotted = m.payouts.map((id) => id.replace('_', '.'));
    expect(tx).toEqual([
      { id: dotted[0], amount: '0.05', ccy: 'EUR', name: 'Zoe + Angstrom', iban: 'DE89370400440532013000', note: 'Chorus payout 2026-10 Fernway + Sohne' },
      { id: dotted[1], amount: '12.30', ccy: 'EUR', name: 'Lukasz Nowak', iban: 'FR1420041010050500013M02606', note: 'Chorus payout 2026-10 Fernway + Sohne' },
      { id: dotted[2], amount: '1234567.89', ccy: 'EUR', name: 'Big Earner BV', iban: 'NL91ABNA0417164300', note: 'Chorus payout 2026-10 Fernway + Sohne' },
    ]);
    for (const id of [msgId, xmlText(info, 'PmtInfId'), ...tx.map((t) => t.id)]) expect(id).toMatch(SEPA_ID);
    for (const element of [head, info, ...xmlAll(info, 'CdtTrfTxInf')]) expectSchemaOrder(element);
    expect(doc.children.map((c) => c.name)).toEqual(['CstmrCdtTrfInitn']);
    expect(xmlAll(doc, 'CstmrCdtTrfInitn')[0]!.children.map((c) => c.name)).toEqual(['GrpHdr', 'PmtInf']);
    // Downloading marks nothing paid, and is audited with what it paid.
    expect(await rowCount("SELECT count(*) AS n FROM payouts WHERE brand_id = ? AND status = 'pending'", m.brand.brandId)).toBe(12);
    const audit = await env.DB.prepare("SELECT actor_type, target_type, target_id, details FROM audit_log WHERE brand_id = ? AND action = 'payout.payment_file_exported'").bind(m.brand.brandId).all<{ actor_type: string; target_type: string; target_id: string; details: string }>();
    expect(audit.results.map((r) => ({ ...r, details: JSON.parse(r.details) }))).toEqual([{ actor_type: 'api_key', target_type: 'period', target_id: PERIOD, details: { format: 'sepa', payouts: 3, totalMinor: 123_458_024, currency: 'EUR' } }]);
    // Each file has its own message id; a HEAD takes nothing and writes no audit row.
    expect(parseXml(await (await fileOf(m, 'sepa')).text()).children[0]!.children[0]!.children[0]!.text).not.toBe(msgId);
    expect((await m.brand.api('HEAD', `/api/admin/payouts/payment-file?period=${PERIOD}&format=sepa`)).status).toBe(200);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'payout.payment_file_exported'", m.brand.brandId)).toBe(2);
  });

  it('writes the ids a real close mints in SEPA\'s set, and Reconcile reads the bank statement\'s form back as the same payouts', async () => {
    const m = await createMoneyBrand();
    await env.DB.prepare("UPDATE brands SET currency = 'EUR', payer_name = 'Fernway GmbH', payer_iban = 'DE89370400440532013000' WHERE id = ?").bind(m.brand.brandId).run();
    const second = await addAcceptedCreator(m.brand, { email: `ids_${tag()}@creators.test`, handle: `ids_${tag()}`.slice(0, 30), displayName: 'Ids' });
    const enrollment = await json<{ data: { id: string } }>(await m.brand.api('POST', '/api/admin/enrollments', { campaignId: m.campaign.id, creatorId: second.data.id, paymentModel: 'affiliate', status: 'active' }));
    for (const [creatorId, enrollmentId] of [
      [m.creator.id, m.enrollment.id],
      [second.data.id, enrollment.data.id],
    ]) {
      await env.DB.prepare('UPDATE creators SET payout_details_enc = ? WHERE id = ?').bind(await seal(bank('DE89370400440532013000', 'Sarah Jones')), creatorId).run();
      await insertLedgerEntry({ brandId: m.brand.brandId, enrollmentId: enrollmentId!, creatorId: creatorId!, amountMinor: 2_000, period: PERIOD, availableAt: Date.UTC(2026, 9, 1) });
    }
    await env.DB.prepare("UPDATE ledger_entries SET currency = 'EUR' WHERE brand_id = ?").bind(m.brand.brandId).run();
    expect((await m.brand.api('POST', '/api/admin/payouts/close', { period: PERIOD })).status).toBe(201);
    const doc = parseXml(await (await fileOf({ brand: m.brand }, 'sepa')).text());
    const ids = xmlAll(doc, 'CstmrCdtTrfInitn/PmtInf/CdtTrfTxInf/PmtId/EndToEndId').map((e) => e.text);
    expect(ids).toHaveLength(2);
    for (const id of [xmlText(doc, 'CstmrCdtTrfInitn/GrpHdr/MsgId'), xmlText(doc, 'CstmrCdtTrfInitn/PmtInf/PmtInfId'), ...ids]) expect(id).toMatch(SEPA_ID);
    const { results } = await env.DB.prepare('SELECT id FROM payouts WHERE brand_id = ? ORDER BY id').bind(m.brand.brandId).all<{ id: string }>();
    expect(ids.map((id) => id.replace('.', '_')).sort()).toEqual(results.map((r) => r.id));
    const csv = `payout_id,reference,status\r\n${ids.map((id, i) => `${id},BANK-${i},paid`).join('\r\n')}\r\n`;
    const rec = await json<{ data: { results: { payoutId: string; outcome: string }[] } }>(await m.brand.api('POST', '/api/admin/payouts/reconcile', { csv }));
    expect(rec.data.results.map((r) => r.outcome)).toEqual(['paid', 'paid']);
    expect(rec.data.results.map((r) => r.payoutId).sort()).toEqual(results.map((r) => r.id));
    expect(await rowCount("SELECT count(*) AS n FROM payouts WHERE brand_id = ? AND status = 'paid'", m.brand.brandId)).toBe(2);
  });

  it("says when it was made in the brand's own time, without a zone, as banks' samples write it", async () => {
    const m = await closedPeriod([{ name: 'Zoë', details: bank('DE89370400440532013000', 'Zoe'), net: 100 }]);
    await env.DB.prepare("UPDATE brands SET timezone = 'Asia/Kolkata' WHERE id = ?").bind(m.brand.brandId).run();
    // Kolkata is UTC+05:30 all year: the wall clock there, to the second.
    const local = (at: number) => new Date(Math.floor(at / 1000) * 1000 + 5.5 * 3_600_000).toISOString().slice(0, 19);
    const before = Date.now();
    const doc = parseXml(await (await fileOf(m, 'sepa')).text());
    const after = Date.now();
    const created = xmlText(doc, 'CstmrCdtTrfInitn/GrpHdr/CreDtTm');
    expect(created).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
    expect(created >= local(before) && created <= local(after), `${created} in ${local(before)}..${local(after)}`).toBe(true);
  });

  it('takes an execution date from today to a year ahead, and says NOTPROVIDED without a BIC', async () => {
    const m = await closedPeriod([{ name: 'Zoë', details: bank('DE89370400440532013000', 'Zoe'), net: 100 }]);
    await env.DB.prepare('UPDATE brands SET payer_bic = NULL WHERE id = ?').bind(m.brand.brandId).run();
    const today = dayOf(Date.now(), 'UTC');
    const later = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
    const doc = parseXml(await (await fileOf(m, 'sepa', `&executionDate=${later}`)).text());
    expect(xmlText(doc, 'CstmrCdtTrfInitn/PmtInf/ReqdExctnDt')).toBe(later);
    expect(xmlText(doc, 'CstmrCdtTrfInitn/PmtInf/DbtrAgt/FinInstnId/Othr/Id')).toBe('NOTPROVIDED');
    expect(xmlAll(doc, 'CstmrCdtTrfInitn/PmtInf/DbtrAgt/FinInstnId/BIC')).toEqual([]);
    const yesterday = new Date(Date.parse(`${today}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    for (const bad of [yesterday, '2199-01-01']) {
      const res = await fileOf(m, 'sepa', `&executionDate=${bad}`);
      expect(res.status).toBe(422);
      expect((await json<{ error: { code: string } }>(res)).error.code).toBe('invalid_execution_date');
    }
    for (const bad of ['2026-02-30', 'tomorrow', '2026-1-5', `${today}T00:00`]) expect((await fileOf(m, 'sepa', `&executionDate=${encodeURIComponent(bad)}`)).status).toBe(422);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'payout.payment_file_exported'", m.brand.brandId)).toBe(1);
  });

  it('is refused outside EUR and without the payer account, each with its code', async () => {
    const usd = await closedPeriod([{ name: 'Zoë', details: bank('DE89370400440532013000', 'Zoe'), net: 100 }], { currency: 'USD' });
    const notEur = await fileOf(usd, 'sepa');
    expect(notEur.status).toBe(409);
    expect((await json<{ error: { code: string } }>(notEur)).error.code).toBe('sepa_needs_eur');
    const noPayer = await closedPeriod([{ name: 'Zoë', details: bank('DE89370400440532013000', 'Zoe'), net: 100 }], { payer: false });
    const missing = await fileOf(noPayer, 'sepa');
    expect(missing.status).toBe(409);
    expect((await json<{ error: { code: string } }>(missing)).error.code).toBe('payer_account_missing');
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id IN (?, ?) AND action = 'payout.payment_file_exported'", usd.brand.brandId, noPayer.brand.brandId)).toBe(0);
  });
});

describe('the PayPal and Wise files', () => {
  it('PayPal: no header, one line per payout still to pay (a failed one only with new details), and no email a spreadsheet would run', async () => {
    const m = await closedPeriod(MIXED);
    const res = await fileOf(m, 'paypal');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="chorus-paypal-${m.brand.slug}-${PERIOD}.csv"`);
    const note = '"Chorus payout 2026-10 Fernway & <Söhne>"';
    expect(await res.text()).toBe(`"pam@creators.test",25.00,"EUR","${m.payouts[4]}",${note},"PAYPAL"\r\n` + `"new@creators.test",6.50,"EUR","${m.payouts[10]}",${note},"PAYPAL"\r\n`);
  });

  it("Wise: its template's header, the creator's name (neutralised), the exact net as the target amount", async () => {
    const m = await closedPeriod(MIXED);
    const res = await fileOf(m, 'wise');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('name,recipientEmail,paymentReference,receiverType,amountCurrency,amount,sourceCurrency,targetCurrency\r\n' + `"'=Wes ""W"" Li","wes@creators.test","Chorus 2026-10","PERSON","target",99.99,"EUR","EUR"\r\n`);
    const audit = await env.DB.prepare("SELECT details FROM audit_log WHERE brand_id = ? AND action = 'payout.payment_file_exported'").bind(m.brand.brandId).first<{ details: string }>();
    expect(JSON.parse(audit!.details)).toEqual({ format: 'wise', payouts: 1, totalMinor: 9999, currency: 'EUR' });
  });

  it('PayPal: amounts with a decimal comma on request, quoted as PayPal asks; anything but point or comma is refused', async () => {
    const m = await closedPeriod([{ name: 'Pam', details: { method: 'paypal', account: 'pam@creators.test' }, net: 123_405 }]);
    const note = '"Chorus payout 2026-10 Fernway & <Söhne>"';
    expect(await (await fileOf(m, 'paypal', '&decimal=comma')).text()).toBe(`"pam@creators.test","1234,05","EUR","${m.payouts[0]}",${note},"PAYPAL"\r\n`);
    expect(await (await fileOf(m, 'paypal', '&decimal=point')).text()).toBe(`"pam@creators.test",1234.05,"EUR","${m.payouts[0]}",${note},"PAYPAL"\r\n`);
    for (const bad of ['COMMA', ',', 'dot', '']) {
      const res = await fileOf(m, 'paypal', `&decimal=${encodeURIComponent(bad)}`);
      expect(res.status, bad).toBe(422);
      expect((await json<{ error: { code: string } }>(res)).error.code).toBe('validation_failed');
    }
  });

  it('PayPal: whole units for HUF, JPY and TWD, and a net with a fraction PayPal would lose is left out, not rounded', async () => {
    const huf = await closedPeriod(
      [
        { name: 'Whole', details: { method: 'paypal', account: 'whole@creators.test' }, net: 1_234_00 },
        { name: 'Fraction', details: { method: 'paypal', account: 'fraction@creators.test' }, net: 1_234_56 },
      ],
      { currency: 'HUF' },
    );
    const note = '"Chorus payout 2026-10 Fernway & <Söhne>"';
    expect(await (await fileOf(huf, 'paypal', '&decimal=comma')).text()).toBe(`"whole@creators.test",1234,"HUF","${huf.payouts[0]}",${note},"PAYPAL"\r\n`);
    const owner = await adminUser(huf.brand.brandId, 'owner');
    const page = await (await get(`/console/payouts?period=${PERIOD}`, await signIn(owner.email))).text();
    expect(page).toContain('PayPal pays this currency in whole units only');
    expect(page).not.toContain('name="decimal"');
    const jpy = await closedPeriod([{ name: 'Yen', details: { method: 'paypal', account: 'yen@creators.test' }, net: 1_500 }], { currency: 'JPY' });
    expect(await (await fileOf(jpy, 'paypal')).text()).toBe(`"yen@creators.test",1500,"JPY","${jpy.payouts[0]}",${note},"PAYPAL"\r\n`);
  });

  it('in another currency: the amounts in it, and bank transfers left out as SEPA is euros only', async () => {
    const m = await closedPeriod([{ name: 'Pam', details: { method: 'paypal', account: 'pam@creators.test' }, net: 1_000_000 }], { currency: 'USD' });
    expect(await (await fileOf(m, 'paypal')).text()).toBe(`"pam@creators.test",10000.00,"USD","${m.payouts[0]}","Chorus payout 2026-10 Fernway & <Söhne>","PAYPAL"\r\n`);
  });
});

describe('the IBANs the SEPA file pays', () => {
  it("pays the EEA's, and leaves out SEPA countries outside the EEA (the payer's address) and the rest of the world, each with its reason", async () => {
    const m = await closedPeriod([
      { name: 'Norway', details: bank('NO9386011117947', 'Nora Berg'), net: 100 },
      { name: 'Britain', details: bank('GB82WEST12345698765432', 'Guy Brit'), net: 200 },
      { name: 'Swiss', details: bank('CH9300762011623852957', 'Heidi Alp'), net: 300 },
      { name: 'Monaco', details: bank('MC5811222000010123456789030', 'Grace Rock'), net: 400 },
      { name: 'Turkey', details: bank('TR330006100519786457841326', 'Can Demir'), net: 500 },
    ]);
    const doc = parseXml(await (await fileOf(m, 'sepa')).text());
    expect(xmlAll(doc, 'CstmrCdtTrfInitn/PmtInf/CdtTrfTxInf/CdtrAcct/Id/IBAN').map((e) => e.text)).toEqual(['NO9386011117947']);
    const owner = await adminUser(m.brand.brandId, 'owner');
    const page = await (await get(`/console/payouts?period=${PERIOD}`, await signIn(owner.email))).text();
    expect(page).toContain('In no file: 4 payouts');
    expect(page.split('Pay by hand: needs the payer’s address').length - 1).toBe(3);
    expect(page.split('Bank account outside SEPA').length - 1).toBe(1);
  });
});

describe('a failed bank transfer', () => {
  it('is paid again once the creator corrects the holder name (or adds one), not while it is the name it failed with', async () => {
    const iban = 'DE89370400440532013000';
    const m = await closedPeriod([
      { name: 'Fixed', details: bank(iban, 'Anna Schmidt'), net: 100, status: 'failed', failedTo: bank(iban, 'Ana Schmitt') },
      { name: 'Added', details: bank(iban, 'Ben Ode'), net: 200, status: 'failed', failedTo: bank(iban) },
      { name: 'Same', details: bank(iban, 'Cem Kaya'), net: 300, status: 'failed', failedTo: bank(iban, 'Cem Kaya') },
    ]);
    const doc = parseXml(await (await fileOf(m, 'sepa')).text());
    expect(xmlAll(doc, 'CstmrCdtTrfInitn/PmtInf/CdtTrfTxInf/Cdtr/Nm').map((e) => e.text)).toEqual(['Anna Schmidt', 'Ben Ode']);
    const lines = await json<{ data: { payouts: { id: string; detailsChangedSinceFailure: boolean }[] } }>(await m.brand.api('GET', `/api/admin/payouts?period=${PERIOD}`));
    expect(m.payouts.map((id) => lines.data.payouts.find((l) => l.id === id)?.detailsChangedSinceFailure)).toEqual([true, true, false]);
  });
});

describe('what no file pays', () => {
  it("tells a bank transfer with neither holder nor a usable legal name apart from one whose legal name is in another script", async () => {
    const m = await closedPeriod([
      { name: 'Ivan', details: bank('DE89370400440532013000'), tax: 'Иван Петров', net: 100 },
      { name: 'Nobody', details: bank('DE89370400440532013000'), net: 200 },
    ]);
    const owner = await adminUser(m.brand.brandId, 'owner');
    const page = await (await get(`/console/payouts?period=${PERIOD}`, await signIn(owner.email))).text();
    expect(page).toContain('In no file: 2 payouts');
    expect(page.split('the legal name of their tax details is not in Latin letters').length - 1).toBe(1);
    expect(page.split('Bank transfer without the account holder’s name: their Earnings page asks them to add it').length - 1).toBe(1);
  });

  it('409 nothing_to_pay when a file would be empty; 409 period_not_closed for an open, unknown or foreign period', async () => {
    const m = await closedPeriod([{ name: 'Pam', details: { method: 'paypal', account: 'pam@creators.test' }, net: 100 }]);
    const empty = await fileOf(m, 'wise');
    expect(empty.status).toBe(409);
    expect((await json<{ error: { code: string } }>(empty)).error.code).toBe('nothing_to_pay');
    const open = await closedPeriod([{ name: 'Pam', details: { method: 'paypal', account: 'pam@creators.test' }, net: 100 }], { closed: false });
    for (const [brand, period] of [
      [open, PERIOD],
      [m, '2026-09'],
      [open, '2099-01'],
    ] as const) {
      const res = await brand.brand.api('GET', `/api/admin/payouts/payment-file?period=${period}&format=paypal`);
      expect(res.status).toBe(409);
      expect((await json<{ error: { code: string } }>(res)).error.code).toBe('period_not_closed');
    }
  });

  it("holds only the brand's own payouts when two brands close the same month", async () => {
    const seeds = (who: string): Seed[] => [
      { name: `${who} bank`, details: bank('DE89370400440532013000', `${who} Holder`), net: 100 },
      { name: `${who} paypal`, details: { method: 'paypal', account: `${who}-pp@creators.test` }, net: 200 },
      { name: `${who} wise`, details: { method: 'wise', account: `${who}-wise@creators.test` }, net: 300 },
    ];
    const a = await closedPeriod(seeds('alpha'));
    const b = await closedPeriod(seeds('beta'));
    for (const format of ['sepa', 'paypal', 'wise']) {
      const [fileA, fileB] = [await (await fileOf(a, format)).text(), await (await fileOf(b, format)).text()];
      for (const id of a.payouts) expect(fileB, format).not.toContain(id.slice(3));
      for (const id of b.payouts) expect(fileA, format).not.toContain(id.slice(3));
      expect(fileB, format).not.toMatch(/alpha/i);
      expect(fileA, format).not.toMatch(/beta/i);
      expect(fileB, format).toMatch(/beta/i);
    }
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'payout.payment_file_exported'", b.brand.brandId)).toBe(3);
  });

  it('hostile query parameters are a 422 and write nothing', async () => {
    const m = await closedPeriod([{ name: 'Pam', details: { method: 'paypal', account: 'pam@creators.test' }, net: 100 }]);
    for (const q of [
      'period=2026-10&format=csv',
      'period=2026-10&format=SEPA',
      'period=2026-10',
      'format=paypal',
      'period=2026-13&format=paypal',
      "period=2026-10'--&format=paypal",
      'period=2026-10&format=paypal&format=wise',
      'period=2026-10&format=paypal&extra=1',
      `period=2026-10&format=sepa&executionDate=${'9'.repeat(5000)}`,
      'period=%00&format=paypal',
    ]) {
      const res = await m.brand.api('GET', `/api/admin/payouts/payment-file?${q}`);
      expect(res.status, q).toBe(422);
      expect((await json<{ error: { code: string } }>(res)).error.code).toBe('validation_failed');
    }
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'payout.payment_file_exported'", m.brand.brandId)).toBe(0);
  });
});

// `count` more Wise payouts of PERIOD for the brand, in four statements: creators who accepted it, their payouts and
// one ledger entry each (the brand's own enrollment stands for theirs: only the sums are read).
async function manyWisePayouts(m: Awaited<ReturnType<typeof closedPeriod>>, count: number) {
  const run = tag();
  const prefix = crypto.randomUUID().replaceAll('-', '').slice(0, 16);
  const sealed = await seal({ method: 'wise', account: 'bulk@creators.test' });
  const rows = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${count})`;
  const creator = `'cr_bulk_${run}_' || i`;
  await env.DB.batch([
    env.DB.prepare(`${rows} INSERT INTO creators (id, email, handle, display_name, payout_details_enc, created_at) SELECT ${creator}, 'bulk' || i || '_${run}@creators.test', 'bulk' || i || '_${run}', 'Bulk ' || i, ?1, ?2 FROM n`).bind(sealed, Date.now()),
    env.DB.prepare(`${rows} INSERT INTO brand_creators (brand_id, creator_id, handle, display_name, email, accepted_at, created_at) SELECT ?1, ${creator}, 'bulk' || i || '_${run}', 'Bulk ' || i, 'bulk' || i || '_${run}@creators.test', ?2, ?2 FROM n`).bind(m.brand.brandId, Date.now()),
    env.DB.prepare(`${rows} INSERT INTO payouts (id, brand_id, creator_id, period, currency, amount_minor, status, created_at) SELECT 'po_${prefix}' || printf('%08x', i), ?1, ${creator}, ?2, 'EUR', 100, 'pending', ?3 FROM n`).bind(m.brand.brandId, PERIOD, Date.now()),
    env.DB.prepare(
      `${rows} INSERT INTO ledger_entries (id, brand_id, enrollment_id, creator_id, kind, amount_minor, currency, basis_minor, period, event_key, available_at, payout_id, created_at)
       SELECT 'le_bulk_${run}_' || i, ?1, ?2, ${creator}, 'commission', 100, 'EUR', 0, ?3, 'commission:bulk_${run}_' || i, ?4, 'po_${prefix}' || printf('%08x', i), ?4 FROM n`,
    ).bind(m.brand.brandId, m.enrollment.id, PERIOD, Date.UTC(2026, 9, 1)),
  ]);
}

describe('the Payouts page', () => {
  it('offers no file with more payouts than its service takes in one upload, says why, and the route answers 409 too_many_payouts', async () => {
    const m = await closedPeriod([{ name: 'Pam', details: { method: 'paypal', account: 'pam@creators.test' }, net: 100 }]);
    await manyWisePayouts(m, FORMAT_MAX_ROWS.wise + 1);
    const api = await fileOf(m, 'wise');
    expect(api.status).toBe(409);
    expect((await json<{ error: { code: string } }>(api)).error.code).toBe('too_many_payouts');
    const owner = await adminUser(m.brand.brandId, 'owner');
    const cookie = await signIn(owner.email);
    const page = await (await get(`/console/payouts?period=${PERIOD}`, cookie)).text();
    expect(page).toContain('1,001 payouts. Wise payouts');
    expect(page).toContain('title="Wise takes at most 1,000 payments in one upload: pay these from the payouts CSV"');
    expect(page).not.toContain(`format=wise"`);
    // The console's download answers the Payouts page with why, not a file and not JSON.
    const refused = await get(`/console/payouts/payment-file?period=${PERIOD}&format=wise`, cookie);
    expect(refused.status).toBe(409);
    expect(refused.headers.get('content-type')).toMatch(/^text\/html/);
    expect(refused.headers.get('content-disposition')).toBeNull();
    expect(await refused.text()).toContain('This file takes at most 1000 payments');
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'payout.payment_file_exported'", m.brand.brandId)).toBe(0);
  });

  it('shows each file with its count and total, and every payout no file pays with why', async () => {
    const m = await closedPeriod(MIXED);
    const finance = await adminUser(m.brand.brandId, 'finance');
    const res = await get(`/console/payouts?period=${PERIOD}`, await signIn(finance.email));
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('<h2 id="files-h">Payment files</h2>');
    expect(page).toContain('€1,234,580.24');
    expect(page).toContain('3 payouts. Bank transfers');
    expect(page).toContain('€31.50');
    expect(page).toContain('<input type="hidden" name="format" value="paypal"/>');
    expect(page).toContain('<select id="paypal-decimal" name="decimal"');
    // A plain link: a file that cannot be made answers the page with why, which a download attribute would save as a file.
    expect(page).toContain(`<a class="button button-primary" href="/console/payouts/payment-file?period=${PERIOD}&amp;format=wise">`);
    expect(page).toContain('name="executionDate" type="date"');
    expect(page).toContain('In no file: 8 payouts');
    for (const why of ['Bank transfer without the account holder’s name', 'Not shared: they have not accepted your brand yet', 'Nothing to pay: its net is zero or below', 'Failed, and they have not changed their payout details since', 'No payout details yet', 'a character spreadsheets run as a formula']) {
      expect(page).toContain(why);
    }
    expect(page.split('a character spreadsheets run as a formula').length - 1).toBe(3);
    expect(page).toContain('1 payout already paid');
  });

  it('says why SEPA is not offered, and tells the owner to add the payer account', async () => {
    const usd = await closedPeriod([{ name: 'Zoë', details: bank('DE89370400440532013000', 'Zoe'), net: 100 }], { currency: 'USD' });
    const owner = await adminUser(usd.brand.brandId, 'owner');
    const page = await (await get(`/console/payouts?period=${PERIOD}`, await signIn(owner.email))).text();
    expect(page).toContain('Not offered: SEPA credit transfers are in euros, and your brand pays in USD.');
    expect(page).toContain('Bank transfer: SEPA files are in euros only');
    const noPayer = await closedPeriod([{ name: 'Zoë', details: bank('DE89370400440532013000', 'Zoe'), net: 100 }], { payer: false });
    const owner2 = await adminUser(noPayer.brand.brandId, 'owner');
    expect(await (await get(`/console/payouts?period=${PERIOD}`, await signIn(owner2.email))).text()).toContain('Add the account you pay from (<a href="/console/settings">Settings</a>');
  });

  it('finance downloads the file with an audit row naming them; a viewer is refused and shown no download', async () => {
    const m = await closedPeriod(MIXED);
    const finance = await adminUser(m.brand.brandId, 'finance');
    const ok = await get(`/console/payouts/payment-file?period=${PERIOD}&format=paypal`, await signIn(finance.email));
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('pam@creators.test');
    const row = await env.DB.prepare("SELECT actor_type, actor_id FROM audit_log WHERE brand_id = ? AND action = 'payout.payment_file_exported'").bind(m.brand.brandId).first();
    expect(row).toEqual({ actor_type: 'admin_user', actor_id: finance.id });
    const viewer = await adminUser(m.brand.brandId, 'viewer');
    const viewerCookie = await signIn(viewer.email);
    const refused = await get(`/console/payouts/payment-file?period=${PERIOD}&format=paypal`, viewerCookie);
    expect(refused.status).toBe(403);
    expect(await refused.text()).not.toContain('pam@creators.test');
    const page = await (await get(`/console/payouts?period=${PERIOD}`, viewerCookie)).text();
    expect(page).toContain('title="Needs an owner, manager or finance"');
    expect(page).not.toContain('/console/payouts/payment-file?');
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'payout.payment_file_exported'", m.brand.brandId)).toBe(1);
  });

  it("answers a file that cannot be made on the page: an unknown format, a period not closed, nothing to pay", async () => {
    const m = await closedPeriod([{ name: 'Pam', details: { method: 'paypal', account: 'pam@creators.test' }, net: 100 }]);
    const owner = await adminUser(m.brand.brandId, 'owner');
    const cookie = await signIn(owner.email);
    const unknown = await get(`/console/payouts/payment-file?period=${PERIOD}&format=xls`, cookie);
    expect(unknown.status).toBe(422);
    expect(await unknown.text()).toContain('Choose a payment file: SEPA, ACH, PayPal or Wise.');
    const decimal = await get(`/console/payouts/payment-file?period=${PERIOD}&format=paypal&decimal=semicolon`, cookie);
    expect(decimal.status).toBe(422);
    expect(await decimal.text()).toContain('Choose how amounts are written: 12.30 or 12,30.');
    const comma = await get(`/console/payouts/payment-file?period=${PERIOD}&format=paypal&decimal=comma`, cookie);
    expect(comma.status).toBe(200);
    expect(await comma.text()).toContain('"pam@creators.test","1,00","EUR"');
    expect((await get(`/console/payouts/payment-file?period=2026-09&format=paypal`, cookie)).status).toBe(409);
    const empty = await get(`/console/payouts/payment-file?period=${PERIOD}&format=wise`, cookie);
    expect(empty.status).toBe(409);
    expect(await empty.text()).toContain('No payout of 2026-10 is to be paid by this file.');
    expect((await get(`/console/payouts/payment-file?period=2026-13&format=wise`, cookie)).status).toBe(422);
  });
});

describe('the payer account in the brand settings', () => {
  it('is saved compacted through the API and read back; null removes it', async () => {
    const m = await createMoneyBrand();
    const res = await m.brand.api('PATCH', '/api/admin/brand', { payerName: "Fernway Botanicals GmbH (Berlin) +1 ./-?:,'", payerIban: ' de89 3704 0044 0532 0130 00 ', payerBic: 'cobadeff' });
    expect(res.status).toBe(200);
    expect((await json<{ data: Record<string, unknown> }>(res)).data).toMatchObject({ payerName: "Fernway Botanicals GmbH (Berlin) +1 ./-?:,'", payerIban: 'DE89370400440532013000', payerBic: 'COBADEFF' });
    const got = await json<{ data: Record<string, unknown> }>(await m.brand.api('GET', '/api/admin/brand'));
    expect(got.data.payerIban).toBe('DE89370400440532013000');
    expect((await json<{ data: Record<string, unknown> }>(await m.brand.api('PATCH', '/api/admin/brand', { payerBic: null }))).data.payerBic).toBeNull();
  });

  it('takes any name that transliterates, stored as typed, and the SEPA file writes it in SEPA letters', async () => {
    const m = await closedPeriod([{ name: 'Zoë', details: bank('DE89370400440532013000', 'Zoe'), net: 100 }]);
    for (const payerName of ['Société Générale & Fils', 'O’Neill–Brandt AG']) {
      const res = await m.brand.api('PATCH', '/api/admin/brand', { payerName });
      expect(res.status, payerName).toBe(200);
      expect((await json<{ data: { payerName: string } }>(res)).data.payerName).toBe(payerName);
    }
    expect(await env.DB.prepare('SELECT payer_name FROM brands WHERE id = ?').bind(m.brand.brandId).first('payer_name')).toBe('O’Neill–Brandt AG');
    const doc = parseXml(await (await fileOf(m, 'sepa')).text());
    expect([xmlText(doc, 'CstmrCdtTrfInitn/GrpHdr/InitgPty/Nm'), xmlText(doc, 'CstmrCdtTrfInitn/PmtInf/Dbtr/Nm')]).toEqual(["O'Neill-Brandt AG", "O'Neill-Brandt AG"]);
  });

  it('refuses a bad IBAN, BIC or name, and wrong types, changing nothing', async () => {
    const m = await createMoneyBrand();
    for (const body of [
      { payerIban: 'DE89370400440532013001' },
      { payerIban: 'DE89 3704' },
      { payerIban: 12345 },
      { payerBic: 'COBADE' },
      { payerBic: 'COBADEFFXX' },
      { payerBic: 'C0BADEFF' },
      { payerName: 'x'.repeat(71) },
      { payerName: 'Фернвей ГмбХ' },
      { payerName: `${'x'.repeat(69)}ß` },
      { payerName: '' },
      { payerName: 'Line\nbreak' },
      { payerName: ['Fernway'] },
      { payerName: true },
    ]) {
      const res = await m.brand.api('PATCH', '/api/admin/brand', body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect((await json<{ error: { code: string } }>(res)).error.code).toBe('validation_failed');
    }
    expect(await env.DB.prepare('SELECT payer_name, payer_iban, payer_bic FROM brands WHERE id = ?').bind(m.brand.brandId).first()).toEqual({ payer_name: null, payer_iban: null, payer_bic: null });
  });

  it('the Settings page saves it for an owner and names the field it refuses', async () => {
    const m = await createMoneyBrand();
    const owner = await adminUser(m.brand.brandId, 'owner');
    const cookie = await signIn(owner.email);
    const brand = await json<{ data: { allowedHosts: string[]; clickParam: string } }>(await m.brand.api('GET', '/api/admin/brand'));
    const base = { allowedHosts: brand.data.allowedHosts.join('\n'), fallbackUrl: '', clickParam: brand.data.clickParam, minPayout: '', selfPurchasesEarn: 'no' };
    const bad = await post('/console/settings', { ...base, payerName: 'Fernway', payerIban: 'DE00 1234', payerBic: '' }, { cookie });
    expect(bad.status).toBe(422);
    const page = await bad.text();
    expect(page).toContain('IBAN: An IBAN whose check digits hold');
    expect(page).toContain('value="DE00 1234"');
    const cyrillic = await post('/console/settings', { ...base, payerName: 'Фернвей', payerIban: 'DE89 3704 0044 0532 0130 00', payerBic: '' }, { cookie });
    expect(cyrillic.status).toBe(422);
    expect(await cyrillic.text()).toContain('Account holder: Latin letters');
    expect((await post('/console/settings', { ...base, payerName: 'Fernwäy GmbH', payerIban: 'DE89 3704 0044 0532 0130 00', payerBic: '' }, { cookie })).status).toBe(303);
    expect(await env.DB.prepare('SELECT payer_name, payer_iban, payer_bic FROM brands WHERE id = ?').bind(m.brand.brandId).first()).toEqual({ payer_name: 'Fernwäy GmbH', payer_iban: 'DE89370400440532013000', payer_bic: null });
    const settings = await (await get('/console/settings', cookie)).text();
    expect(settings).toContain('value="DE89370400440532013000"');
  });
});

describe("the account holder on the creator's payout details", () => {
  it('is required for a bank transfer in Latin letters, saved sealed with it, and asked for on details saved without it', async () => {
    const m = await signedInCreator();
    const iban = 'DE89 3704 0044 0532 0130 00';
    // The last is 70 characters typed and 71 once ß is written ss: refused, not cut.
    for (const holder of ['', '   ', 'Иван Петров', 'x'.repeat(71), 'Zoë\u202eevil', `${'x'.repeat(69)}ß`]) {
      const refused = await post('/earnings/payout-details', { method: 'bank_transfer', account: iban, holder }, { cookie: m.cookie });
      expect(refused.status, holder).toBe(422);
      const page = await refused.text();
      expect(page).toContain('Give the account holder&#39;s name as your bank shows it');
      expect(page).toContain(`value="${iban}"`);
    }
    expect(await creatorDetails(env.DB, env.SECRETS_KEY, m.creator.id, 'payout_details_enc')).toBeNull();
    const bad = await post('/earnings/payout-details', { method: 'bank_transfer', account: 'DE00 1234', holder: 'Zoë' }, { cookie: m.cookie });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain('That is not a valid IBAN');
    expect((await post('/earnings/payout-details', { method: 'bank_transfer', account: iban, holder: ' Zoë O’Ångström ' }, { cookie: m.cookie })).status).toBe(303);
    expect(await creatorDetails(env.DB, env.SECRETS_KEY, m.creator.id, 'payout_details_enc')).toEqual({ method: 'bank_transfer', account: 'DE89370400440532013000', holder: 'Zoë O’Ångström' });
    const saved = await (await get('/earnings', m.cookie)).text();
    expect(saved).toContain('value="Zoë O’Ångström"');
    expect(saved).not.toContain('Add the account holder');
    // PayPal and Wise have no holder: one typed is not kept.
    expect((await post('/earnings/payout-details', { method: 'paypal', account: 'zoe@creators.test', holder: 'Zoë' }, { cookie: m.cookie })).status).toBe(303);
    expect(await creatorDetails(env.DB, env.SECRETS_KEY, m.creator.id, 'payout_details_enc')).toEqual({ method: 'paypal', account: 'zoe@creators.test' });
    // Bank details saved before the holder was asked: the Earnings page asks for it, and the SEPA file leaves them out.
    await env.DB.prepare('UPDATE creators SET payout_details_enc = ? WHERE id = ?').bind(await seal({ method: 'bank_transfer', account: 'DE89370400440532013000' }), m.creator.id).run();
    const asked = await (await get('/earnings', m.cookie)).text();
    expect(asked).toContain('Add the account holder&#39;s name, as your bank shows it: brands paying by bank file need it');
    expect(asked).toContain('id="holder" name="holder" type="text" maxlength="70" value="" autocomplete="name" aria-describedby="holder-hint" aria-invalid="true"');
    // With a legal name a bank file can write, it is asked for, not said to be needed: the file names them by it meanwhile.
    await env.DB.prepare('UPDATE creators SET tax_details_enc = ? WHERE id = ?').bind(await seal(taxOf('Zoë Ångström')), m.creator.id).run();
    const named = await (await get('/earnings', m.cookie)).text();
    expect(named).toContain('until you do, brands&#39; bank files name the holder by the legal name of your tax details');
    expect(named).not.toContain('need it');
    expect(named).not.toContain('aria-invalid="true"');
  });
});

const us = (account: string, routing: string, accountType: string, holder: string): Details => ({ method: 'us_bank_account', account, routing, accountType, holder });
const yymmdd = (day: string) => day.slice(2).replaceAll('-', '');
const achRecords = (text: string) => {
  expect(text.endsWith('\r\n')).toBe(true);
  return text.slice(0, -2).split('\r\n');
};

// A USD brand: a checking and a savings account the ACH file pays, an IBAN it cannot, and a PayPal account its own file pays.
const ACH_MIXED: Seed[] = [
  { name: 'Cheryl', details: us('000123456789', '021000021', 'checking', 'Chéryl O’Neil-Øster & Co'), net: 12_345 },
  { name: 'Sam', details: us('98765432109876543', '121000358', 'savings', 'Sam Saver'), net: 5 },
  { name: 'Iris', details: bank('DE89370400440532013000', 'Iris Iban'), net: 700 },
  { name: 'Pam', details: { method: 'paypal', account: 'pam@creators.test' }, net: 2500 },
];

describe('the ACH (NACHA) file', () => {
  it('pays the US bank accounts of a USD brand, every field at its offset, and Reconcile reads its reference back to the payout', async () => {
    const m = await closedPeriod(ACH_MIXED, { currency: 'USD', ach: true });
    const later = nextBusinessDay(addDays(dayOf(Date.now(), 'UTC'), 2));
    const { modifier, traceSeed } = achFileIdentity(PERIOD, m.payouts.slice(0, 2));
    const trace = (n: number) => `01100001${String(traceSeed).padStart(2, '0')}${String(n).padStart(5, '0')}`;
    const res = await fileOf(m, 'ach', `&executionDate=${later}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=us-ascii');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="chorus-ach-${m.brand.slug}-${PERIOD}.ach"`);
    const records = achRecords(await res.text());
    expect(records).toHaveLength(10);
    for (const r of records) expect(r).toHaveLength(94);
    const [header, batch, first, second, batchControl, fileControl, ...filler] = records as [string, string, string, string, string, string, ...string[]];
    // File header.
    expect(header.slice(0, 3)).toBe('101');
    expect(header.slice(3, 13)).toBe(' 011000015');
    expect(header.slice(13, 23)).toBe('1123456789');
    expect(header.slice(23, 29)).toBe(yymmdd(dayOf(Date.now(), 'UTC')));
    expect(header.slice(29, 33)).toMatch(/^([01]\d|2[0-3])[0-5]\d$/);
    expect(header.slice(33, 40)).toBe(`${modifier}094101`);
    expect(header.slice(40, 63)).toBe('FIRST BANK OF BOSTON   ');
    expect(header.slice(63, 86)).toBe('FERNWAY INC            ');
    // Batch header: credits only, PPD, effective on the execution date.
    expect(batch.slice(0, 4)).toBe('5220');
    expect(batch.slice(4, 20)).toBe('FERNWAY INC     ');
    expect(batch.slice(40, 63)).toBe('1123456789PPDPAYOUT    ');
    expect(batch.slice(63, 69)).toBe('OCT 26');
    expect(batch.slice(69, 75)).toBe(yymmdd(later));
    expect(batch.slice(78, 94)).toBe('1011000010000001');
    // Entries: checking 22, savings 32, the RDFI's routing, the account left-justified, cents, the reference, the name.
    const entry = (r: string) => ({ code: r.slice(1, 3), rdfi: r.slice(3, 11), check: r.slice(11, 12), account: r.slice(12, 29), amount: r.slice(29, 39), id: r.slice(39, 54), name: r.slice(54, 76), addenda: r.slice(78, 79), trace: r.slice(79, 94) });
    const reference = (id: string) => `PO${id.slice(3, 16).toUpperCase()}`;
    expect(entry(first)).toEqual({ code: '22', rdfi: '02100002', check: '1', account: '000123456789     ', amount: '0000012345', id: reference(m.payouts[0]!), name: "CHERYL O'NEIL-OSTER & ", addenda: '0', trace: trace(1) });
    expect(entry(second)).toEqual({ code: '32', rdfi: '12100035', check: '8', account: '98765432109876543', amount: '0000000005', id: reference(m.payouts[1]!), name: 'SAM SAVER'.padEnd(22), addenda: '0', trace: trace(2) });
    // Batch and file control: 2 entries, hash of the two 8-digit routings, no debits, 123.50 of credits.
    const hash = String(2100002 + 12100035).padStart(10, '0');
    expect(batchControl).toBe(`8220000002${hash}${'0'.repeat(12)}${'12350'.padStart(12, '0')}1123456789${' '.repeat(25)}011000010000001`);
    expect(fileControl).toBe(`900000100000100000002${hash}${'0'.repeat(12)}${'12350'.padStart(12, '0')}${' '.repeat(39)}`);
    expect(filler).toEqual(Array(4).fill('9'.repeat(94)));
    const audit = await env.DB.prepare("SELECT details FROM audit_log WHERE brand_id = ? AND action = 'payout.payment_file_exported'").bind(m.brand.brandId).first<{ details: string }>();
    expect(JSON.parse(audit!.details)).toEqual({ format: 'ach', payouts: 2, totalMinor: 12_350, currency: 'USD' });
    // The PayPal creator is in PayPal's file; the IBAN is in none, with why.
    expect(await (await fileOf(m, 'paypal')).text()).toContain('pam@creators.test');
    const owner = await adminUser(m.brand.brandId, 'owner');
    const page = await (await get(`/console/payouts?period=${PERIOD}`, await signIn(owner.email))).text();
    expect(page).toContain('<h3 id="file-ach-h">ACH bank transfer</h3>');
    expect(page).toContain('$123.50');
    expect(page).toContain('2 payouts. US bank accounts');
    expect(page).toContain('<input type="hidden" name="format" value="ach"/>');
    expect(page).toContain('id="ach-date" name="executionDate" type="date"');
    expect(page).toContain('In no file: 1 payout');
    expect(page).toContain('Bank transfer: SEPA files are in euros only');
    expect(page).toContain('US bank account (ACH) · ••••6789');
    expect(page).not.toContain('000123456789');
    // The payouts export names the account whole for finance, routing and type first.
    const csv = await (await m.brand.api('GET', `/api/admin/payouts/export.csv?period=${PERIOD}`)).text();
    expect(csv).toContain('"us_bank_account","routing 021000021 checking 000123456789"');
    expect(csv).toContain('"us_bank_account","routing 121000358 savings 98765432109876543"');
    // The bank's return or statement shows the 15-character reference: Reconcile marks that payout, and no other.
    // References matching none come back as finance typed them; 41 of them before the one that matches take two reads.
    const unknown = Array.from({ length: 41 }, (_, i) => `po${String(i).padStart(13, '0')}`);
    // The same file may carry a payout id in a SEPA file's form as a statement upper-cases it: both forms read back.
    const sepaForm = m.payouts[0]!.replace('_', '.').toUpperCase();
    const rows = [...unknown.map((ref, i) => `${ref},ACH-X-${i},paid`), `${reference(m.payouts[1]!).toLowerCase()},ACH-TRACE-2,paid`, `${sepaForm},SEPA-1,paid`];
    const recon = await m.brand.api('POST', '/api/admin/payouts/reconcile', { csv: `payout_id,reference,status\n${rows.join('\n')}\n` });
    expect(recon.status).toBe(200);
    const results = (await json<{ data: { results: { payoutId: string; outcome: string }[] } }>(recon)).data.results;
    expect(results.map((r) => r.outcome)).toEqual([...unknown.map(() => 'not_found'), 'paid', 'paid']);
    expect(results.map((r) => r.payoutId)).toEqual([...unknown, m.payouts[1], m.payouts[0]]);
    const statuses = await env.DB.prepare(`SELECT id, status, reference FROM payouts WHERE brand_id = ? ORDER BY id`).bind(m.brand.brandId).all<{ id: string; status: string; reference: string | null }>();
    expect(statuses.results.filter((p) => p.status === 'paid').sort((x, y) => x.reference!.localeCompare(y.reference!))).toEqual([
      { id: m.payouts[1], status: 'paid', reference: 'ACH-TRACE-2' },
      { id: m.payouts[0], status: 'paid', reference: 'SEPA-1' },
    ]);
  });

  it('pays a failed US payout again once only its routing number or account type changed, and leaves out one over what an entry carries', async () => {
    const account = '000123456789';
    const m = await closedPeriod(
      [
        { name: 'Rerouted', details: us(account, '021000021', 'checking', 'Rita Route'), net: 100, status: 'failed', failedTo: us(account, '121000358', 'checking', 'Rita Route') },
        { name: 'Retyped', details: us(account, '021000021', 'savings', 'Tom Type'), net: 200, status: 'failed', failedTo: us(account, '021000021', 'checking', 'Tom Type') },
        { name: 'Same', details: us(account, '021000021', 'checking', 'Sue Same'), net: 300, status: 'failed', failedTo: us(account, '021000021', 'checking', 'Sue Same') },
        { name: 'Huge', details: us(account, '021000021', 'checking', 'Hugh Huge'), net: 10_000_000_000 },
      ],
      { currency: 'USD', ach: true },
    );
    const entries = achRecords(await (await fileOf(m, 'ach')).text()).filter((r) => r.startsWith('6'));
    expect(entries.map((e) => [e.slice(1, 3), e.slice(3, 12), e.slice(54, 76).trim()])).toEqual([
      ['22', '021000021', 'RITA ROUTE'],
      ['32', '021000021', 'TOM TYPE'],
    ]);
    const lines = await json<{ data: { payouts: { id: string; detailsChangedSinceFailure: boolean }[] } }>(await m.brand.api('GET', `/api/admin/payouts?period=${PERIOD}`));
    expect(m.payouts.slice(0, 3).map((id) => lines.data.payouts.find((l) => l.id === id)?.detailsChangedSinceFailure)).toEqual([true, true, false]);
    const owner = await adminUser(m.brand.brandId, 'owner');
    const page = await (await get(`/console/payouts?period=${PERIOD}`, await signIn(owner.email))).text();
    expect(page).toContain('In no file: 2 payouts');
    expect(page).toContain('More than one ACH entry carries ($99,999,999.99): pay it by wire');
  });

  it('is effective on the next weekday unless asked, and refuses a weekend, a past day or one more than 30 days ahead', async () => {
    const m = await closedPeriod(ACH_MIXED, { currency: 'USD', ach: true });
    const today = dayOf(Date.now(), 'UTC');
    const effective = async (extra = '') => achRecords(await (await fileOf(m, 'ach', extra)).text())[1]!.slice(69, 75);
    expect(await effective()).toBe(yymmdd(nextBusinessDay(today)));
    let saturday = addDays(today, 1);
    while (!isWeekend(saturday) || isWeekend(addDays(saturday, -1))) saturday = addDays(saturday, 1);
    for (const weekend of [saturday, addDays(saturday, 1)]) {
      const res = await fileOf(m, 'ach', `&executionDate=${weekend}`);
      expect(res.status, weekend).toBe(422);
      expect((await json<{ error: { code: string } }>(res)).error.code).toBe('ach_weekend_date');
    }
    let lastDay = addDays(today, 30);
    while (isWeekend(lastDay)) lastDay = addDays(lastDay, -1);
    expect(await effective(`&executionDate=${lastDay}`)).toBe(yymmdd(lastDay));
    for (const bad of [addDays(today, -1), nextBusinessDay(addDays(today, 30))]) {
      const res = await fileOf(m, 'ach', `&executionDate=${bad}`);
      expect(res.status, bad).toBe(422);
      expect((await json<{ error: { code: string } }>(res)).error.code).toBe('invalid_execution_date');
    }
    // The console refuses the weekend on the Payouts page, and its Pay on field offers the next weekday.
    const owner = await adminUser(m.brand.brandId, 'owner');
    const cookie = await signIn(owner.email);
    const refused = await get(`/console/payouts/payment-file?period=${PERIOD}&format=ach&executionDate=${saturday}`, cookie);
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain('ACH credits settle on weekdays only');
    const page = await (await get(`/console/payouts?period=${PERIOD}`, cookie)).text();
    expect(page).toContain(`id="ach-date" name="executionDate" type="date" required="" min="${today}" max="${addDays(today, 30)}" value="${nextBusinessDay(today)}"`);
  });

  it('is refused outside USD and without the origination settings, each with its code; the page says what is missing', async () => {
    const eur = await closedPeriod([{ name: 'Cheryl', details: us('000123456789', '021000021', 'checking', 'Cheryl'), net: 100 }], { ach: true });
    const notUsd = await fileOf(eur, 'ach');
    expect(notUsd.status).toBe(409);
    expect((await json<{ error: { code: string } }>(notUsd)).error.code).toBe('ach_needs_usd');
    const eurOwner = await adminUser(eur.brand.brandId, 'owner');
    const eurPage = await (await get(`/console/payouts?period=${PERIOD}`, await signIn(eurOwner.email))).text();
    expect(eurPage).toContain('Not offered: ACH transfers are in US dollars, and your brand pays in EUR.');
    expect(eurPage).toContain('US bank account: ACH files are in US dollars only');
    const bare = await closedPeriod([{ name: 'Cheryl', details: us('000123456789', '021000021', 'checking', 'Cheryl'), net: 100 }], { currency: 'USD' });
    const missing = await fileOf(bare, 'ach');
    expect(missing.status).toBe(409);
    const body = await json<{ error: { code: string; details: { missing: string[] } } }>(missing);
    expect(body.error.code).toBe('ach_origin_missing');
    expect(body.error.details.missing).toEqual(['achCompanyName', 'achCompanyId', 'achOdfiRouting', 'achOdfiName']);
    await env.DB.prepare("UPDATE brands SET ach_company_name = 'Fernway', ach_company_id = '1123456789' WHERE id = ?").bind(bare.brand.brandId).run();
    const owner = await adminUser(bare.brand.brandId, 'owner');
    const cookie = await signIn(owner.email);
    const page = await (await get(`/console/payouts?period=${PERIOD}`, cookie)).text();
    expect(page).toContain('Add your ACH origination settings (<a href="/console/settings#ach-h">Settings</a>, an owner) to download it: missing ACH bank routing number, ACH bank name.');
    expect(page).toContain('title="Add your ACH origination settings in Settings first"');
    const refused = await get(`/console/payouts/payment-file?period=${PERIOD}&format=ach`, cookie);
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain('Add your ACH origination settings (ACH bank routing number, ACH bank name)');
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id IN (?, ?) AND action = 'payout.payment_file_exported'", eur.brand.brandId, bare.brand.brandId)).toBe(0);
  });

  it("holds only the brand's own payouts, and Reconcile finds no other brand's payout by its reference", async () => {
    const seeds = (who: string): Seed[] => [{ name: `${who} us`, details: us('000123456789', '021000021', 'checking', `${who} Holder`), net: 100 }];
    const a = await closedPeriod(seeds('alpha'), { currency: 'USD', ach: true });
    const b = await closedPeriod(seeds('beta'), { currency: 'USD', ach: true });
    const fileA = await (await fileOf(a, 'ach')).text();
    expect(fileA).toContain('ALPHA HOLDER');
    expect(fileA).not.toMatch(/BETA/);
    expect(fileA).not.toContain(b.payouts[0]!.slice(3, 16).toUpperCase());
    const typed = `PO${b.payouts[0]!.slice(3, 16).toUpperCase()}`;
    const recon = await a.brand.api('POST', '/api/admin/payouts/reconcile', { csv: `payout_id,reference\n${typed},X-1\n` });
    expect((await json<{ data: { results: { payoutId: string; outcome: string }[] } }>(recon)).data.results).toEqual([{ line: 2, payoutId: typed, outcome: 'not_found' }]);
    expect(await rowCount("SELECT count(*) AS n FROM payouts WHERE id = ? AND status = 'pending'", b.payouts[0]!)).toBe(1);
  });
});

describe('the ACH origination settings', () => {
  it('are saved compacted through the API and read back; null removes one', async () => {
    const m = await createMoneyBrand();
    const res = await m.brand.api('PATCH', '/api/admin/brand', { achCompanyName: ' Fernway Inc.   ', achCompanyId: ' 1-12-3456789 ', achOdfiRouting: '0110 0001 5', achOdfiName: 'First Bank of Boston      ' });
    expect(res.status).toBe(200);
    expect((await json<{ data: Record<string, unknown> }>(res)).data).toMatchObject({ achCompanyName: 'Fernway Inc.', achCompanyId: '1123456789', achOdfiRouting: '011000015', achOdfiName: 'First Bank of Boston' });
    expect((await json<{ data: Record<string, unknown> }>(await m.brand.api('PATCH', '/api/admin/brand', { achOdfiName: null }))).data.achOdfiName).toBeNull();
  });

  it('refuses a bad routing checksum, a short or long company id, oversized or non-ASCII names and wrong types, changing nothing', async () => {
    const m = await createMoneyBrand();
    for (const body of [
      { achOdfiRouting: '011000016' },
      { achOdfiRouting: '01100001' },
      { achOdfiRouting: '0110000150' },
      { achOdfiRouting: 'O11OOOO15' },
      { achOdfiRouting: 11000015 },
      { achCompanyId: '112345678' },
      { achCompanyId: '11234567890' },
      { achCompanyId: '1123_56789' },
      { achCompanyName: 'x'.repeat(17) },
      { achCompanyName: 'Fernwäy' },
      { achCompanyName: '' },
      { achCompanyName: '   ' },
      { achCompanyName: 'Line\nbreak' },
      { achOdfiName: 'x'.repeat(24) },
      { achOdfiName: ['First Bank'] },
      { achOdfiName: true },
      { achCompanyId: 'x'.repeat(5000) },
    ]) {
      const res = await m.brand.api('PATCH', '/api/admin/brand', body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect((await json<{ error: { code: string } }>(res)).error.code).toBe('validation_failed');
    }
    expect(await env.DB.prepare('SELECT ach_company_name, ach_company_id, ach_odfi_routing, ach_odfi_name FROM brands WHERE id = ?').bind(m.brand.brandId).first()).toEqual({ ach_company_name: null, ach_company_id: null, ach_odfi_routing: null, ach_odfi_name: null });
  });

  it('the Settings page saves them for an owner, names the field it refuses, and takes no cross-site or non-owner post', async () => {
    const m = await createMoneyBrand();
    const owner = await adminUser(m.brand.brandId, 'owner');
    const cookie = await signIn(owner.email);
    const brand = await json<{ data: { allowedHosts: string[]; clickParam: string } }>(await m.brand.api('GET', '/api/admin/brand'));
    const base = { allowedHosts: brand.data.allowedHosts.join('\n'), fallbackUrl: '', clickParam: brand.data.clickParam, minPayout: '', selfPurchasesEarn: 'no', payerName: '', payerIban: '', payerBic: '' };
    const ach = { achCompanyName: 'Fernway', achCompanyId: '1123456789', achOdfiRouting: '011000015', achOdfiName: 'First Bank' };
    const stored = () => env.DB.prepare('SELECT ach_company_name, ach_company_id, ach_odfi_routing, ach_odfi_name FROM brands WHERE id = ?').bind(m.brand.brandId).first();
    const none = { ach_company_name: null, ach_company_id: null, ach_odfi_routing: null, ach_odfi_name: null };
    const bad = await post('/console/settings', { ...base, ...ach, achOdfiRouting: '011000016' }, { cookie });
    expect(bad.status).toBe(422);
    const page = await bad.text();
    expect(page).toContain('ACH bank routing number: A 9-digit ABA routing number whose check digit holds');
    expect(page).toContain('value="011000016"');
    expect(page).toContain('id="achOdfiRouting" class="narrow-input" aria-invalid="true"');
    expect(await stored()).toEqual(none);
    // What is typed is checked whole, not as the page cuts it to show it back: a routing number with junk after it is refused.
    for (const fields of [{ achOdfiRouting: `011000015${' '.repeat(11)}junk` }, { achCompanyName: `Fernway${' '.repeat(40)}x` }, { achCompanyId: `1123456789${' '.repeat(10)}9` }]) {
      const junk = await post('/console/settings', { ...base, ...ach, ...fields }, { cookie });
      expect(junk.status, JSON.stringify(fields)).toBe(422);
      expect(await junk.text()).toContain(`id="${Object.keys(fields)[0]}"`);
    }
    expect(await stored()).toEqual(none);
    expect((await post('/console/settings', { ...base, ...ach }, { cookie, origin: 'https://evil.example' })).status).toBe(403);
    const manager = await adminUser(m.brand.brandId, 'manager');
    expect((await post('/console/settings', { ...base, ...ach }, { cookie: await signIn(manager.email) })).status).toBe(403);
    expect(await stored()).toEqual(none);
    expect((await post('/console/settings', { ...base, ...ach, achCompanyName: '  Fernway ', achOdfiName: ' First Bank  ' }, { cookie })).status).toBe(303);
    expect(await stored()).toEqual({ ach_company_name: 'Fernway', ach_company_id: '1123456789', ach_odfi_routing: '011000015', ach_odfi_name: 'First Bank' });
    const settings = await (await get('/console/settings', cookie)).text();
    expect(settings).toContain('<legend id="ach-h">ACH origination (US bank accounts)</legend>');
    expect(settings).toContain('value="011000015"');
  });
});

describe("the creator's US bank account", () => {
  it('is masked to its last 2 digits when shorter than 8, on the Payouts page and in the data export', async () => {
    const m = await closedPeriod(
      [
        { name: 'Four', details: us('1234', '021000021', 'checking', 'Four Digits'), net: 100 },
        { name: 'Six', details: us('123456', '021000021', 'savings', 'Six Digits'), net: 100 },
      ],
      { currency: 'USD', ach: true },
    );
    const owner = await adminUser(m.brand.brandId, 'owner');
    const page = await (await get(`/console/payouts?period=${PERIOD}`, await signIn(owner.email))).text();
    expect(page).toContain('US bank account (ACH) · ••••34');
    expect(page).toContain('US bank account (ACH) · ••••56');
    expect(page).not.toContain('••••1234');
    expect(page).not.toContain('••••3456');
    const creator = await signedInCreator();
    expect((await post('/earnings/payout-details', { method: 'us_bank_account', account: '123456', routing: '021000021', accountType: 'savings', holder: 'Six Digits' }, { cookie: creator.cookie })).status).toBe(303);
    const data = await json<{ profile: { payoutDetails: { account: string } } }>(await get('/account/data.json', creator.cookie));
    expect(data.profile.payoutDetails.account).toBe('••••56');
  });

  it('is saved sealed with its ABA-checked routing, number and type; refused entries write nothing and say which field', async () => {
    const m = await signedInCreator();
    const good = { method: 'us_bank_account', account: '0001 2345 6789', routing: '021000021', accountType: 'checking', holder: 'Cheryl O’Neil' };
    for (const [fields, field, text] of [
      [{ routing: '021000012' }, 'routing', 'That is not a valid routing number'],
      [{ routing: '02100002' }, 'routing', 'That is not a valid routing number'],
      [{ routing: 'x'.repeat(5000) }, 'routing', 'That is not a valid routing number'],
      [{ account: '12345abc' }, 'account', 'That is not a valid account number'],
      [{ account: '123456789012345678' }, 'account', 'That is not a valid account number'],
      [{ account: '123' }, 'account', 'That is not a valid account number'],
      [{ accountType: 'brokerage' }, 'accountType', 'Choose whether it is a checking or a savings account'],
      [{ accountType: '' }, 'accountType', 'Choose whether it is a checking or a savings account'],
      [{ holder: '' }, 'holder', 'Give the account holder&#39;s name'],
      [{ holder: 'x'.repeat(71) }, 'holder', 'Give the account holder&#39;s name'],
      [{ holder: 'Иван Петров' }, 'holder', 'Give the account holder&#39;s name'],
    ] as const) {
      const res = await post('/earnings/payout-details', { ...good, ...fields }, { cookie: m.cookie });
      expect(res.status, JSON.stringify(fields)).toBe(422);
      const page = await res.text();
      expect(page, field).toContain(text);
      // The refused input (each radio of the account type) is invalid and described by the problem shown beside it.
      const input = field === 'accountType' ? 'name="accountType" value="checking"' : `id="${field}"`;
      expect(page, field).toMatch(new RegExp(`${input}[^>]*aria-describedby="([\\w-]+ )?${field}-error" aria-invalid="true"`));
      expect(page, field).toContain(`<p id="${field}-error" class="field-error">`);
      expect(page, field).not.toMatch(/<fieldset[^>]*aria-invalid/);
    }
    expect(await creatorDetails(env.DB, env.SECRETS_KEY, m.creator.id, 'payout_details_enc')).toBeNull();
    expect((await post('/earnings/payout-details', good, { cookie: m.cookie })).status).toBe(303);
    expect(await creatorDetails(env.DB, env.SECRETS_KEY, m.creator.id, 'payout_details_enc')).toEqual({ method: 'us_bank_account', account: '000123456789', routing: '021000021', accountType: 'checking', holder: 'Cheryl O’Neil' });
    const sealed = await env.DB.prepare('SELECT payout_details_enc AS s FROM creators WHERE id = ?').bind(m.creator.id).first<{ s: string }>();
    expect(sealed!.s).not.toContain('000123456789');
    expect(sealed!.s).not.toContain('021000021');
    const saved = await (await get('/earnings', m.cookie)).text();
    expect(saved).toContain('value="us_bank_account" required="" checked=""');
    expect(saved).toContain('value="checking" checked=""');
    // A refused change leaves the account on file, masked.
    const changed = await (await post('/earnings/payout-details', { ...good, routing: '1' }, { cookie: m.cookie })).text();
    expect(changed).toContain('Not saved: payouts still go to US bank account (ACH) ••••6789.');
    // The creator's data export holds it as it holds an IBAN: the number masked, routing, type and holder whole.
    const data = await json<{ profile: { payoutDetails: unknown } }>(await get('/account/data.json', m.cookie));
    expect(data.profile.payoutDetails).toEqual({ method: 'us_bank_account', account: '••••6789', holder: 'Cheryl O’Neil', routing: '021000021', accountType: 'checking' });
  });
});
