// ACH's pure parts: the ABA check digit, the NACHA file's fixed-width records, its blocking, entry hash and totals,
// names as an entry carries them, and the transaction code of a checking or savings account.
import { describe, expect, it } from 'vitest';
import { compactDigits, isAbaRouting, isUsAccountNumber } from '../../../worker/domain/aba';
import { maskAccount } from '../../../portal/format';
import { ACH_NAME_MAX, achEntryHash, achFileIdentity, achName, achPayoutReference, defaultExecutionDate, isWeekend, nachaFile, nextBusinessDay, payoutPrefixFromAch, type FileLine } from '../../../worker/domain/payment-files';

describe('ABA routing numbers', () => {
  it.each(['011000015', '021000021', '121000358', '026009593', '322271627', '999999992'])('%s checks out', (routing) => {
    expect(isAbaRouting(routing)).toBe(true);
  });

  it.each(['011000016', '021000012', '12100035', '1210003580', '12100035a', '', '000000001', ' 011000015'])('%s does not', (routing) => {
    expect(isAbaRouting(routing)).toBe(false);
  });

  it('reads digits typed with spaces or dashes, and account numbers of 4 to 17 digits only', () => {
    expect(compactDigits(' 0110-0001 5 ')).toBe('011000015');
    for (const ok of ['1234', '12345678901234567']) expect(isUsAccountNumber(ok)).toBe(true);
    for (const bad of ['123', '123456789012345678', '12a456', '', '１２３４']) expect(isUsAccountNumber(bad)).toBe(false);
  });
});

const ORIGIN = { companyName: 'Fernway', companyId: '1123456789', odfiRouting: '011000015', odfiName: 'First Bank' };
const line = (i: number, routing: string, type: 'checking' | 'savings', amountMinor: number, name = 'Ana'): FileLine => ({
  payoutId: `po_${String(i).padStart(24, 'a')}`,
  amountMinor,
  account: '',
  name,
  usAccount: { routing, accountNumber: `12345${i}`, type },
});
const file = (lines: FileLine[]) => nachaFile({ createdAt: Date.UTC(2026, 10, 3, 14, 5), timeZone: 'America/New_York', executionDate: '2026-11-05', period: '2026-10', origin: ORIGIN, lines });
const recordsOf = (text: string) => {
  expect(text.endsWith('\r\n')).toBe(true);
  return text.slice(0, -2).split('\r\n');
};

describe('the NACHA file', () => {
  it('writes every record at 94 characters, padded with 9s to a multiple of 10', () => {
    for (const count of [1, 5, 6, 7, 16, 23]) {
      const records = recordsOf(file(Array.from({ length: count }, (_, i) => line(i, '021000021', 'checking', 100))));
      for (const r of records) expect(r).toHaveLength(94);
      expect(records.length % 10).toBe(0);
      // Header, batch header, entries, batch control, file control, then only filler.
      const used = count + 4;
      expect(records.length).toBe(Math.ceil(used / 10) * 10);
      expect(records.slice(used).every((r) => r === '9'.repeat(94))).toBe(true);
      const control = records[used - 1]!;
      expect(control.slice(0, 1)).toBe('9');
      expect(control.slice(7, 13)).toBe(String(records.length / 10).padStart(6, '0'));
    }
  });

  it("heads the file with the ODFI, the company id and the brand's wall clock, and batches PPD credits effective on the execution date", () => {
    const [header, batch] = recordsOf(file([line(1, '021000021', 'checking', 100)]));
    // 14:05 UTC on 3 Nov 2026 is 09:05 in New York (EST).
    const { modifier } = achFileIdentity('2026-10', [line(1, '021000021', 'checking', 100).payoutId]);
    expect(header).toBe(`101 0110000151123456789261103` + `0905${modifier}094101${'FIRST BANK'.padEnd(23)}${'FERNWAY'.padEnd(23)}${' '.repeat(8)}`);
    expect(batch!.slice(0, 4)).toBe('5220');
    expect(batch!.slice(4, 20)).toBe('FERNWAY'.padEnd(16));
    expect(batch!.slice(40, 50)).toBe('1123456789');
    expect(batch!.slice(50, 53)).toBe('PPD');
    expect(batch!.slice(53, 63)).toBe('PAYOUT    ');
    expect(batch!.slice(63, 69)).toBe('OCT 26');
    expect(batch!.slice(69, 75)).toBe('261105');
    expect(batch!.slice(75, 78)).toBe('   ');
    expect(batch!.slice(78, 87)).toBe('101100001');
    expect(batch!.slice(87, 94)).toBe('0000001');
  });

  it('credits checking with 22 and savings with 32, and sums the batch and file', () => {
    const lines = [line(1, '021000021', 'checking', 5), line(2, '121000358', 'savings', 123_456_789), line(3, '322271627', 'checking', 1230)];
    const records = recordsOf(file(lines));
    const entries = records.filter((r) => r.startsWith('6'));
    expect(entries.map((e) => e.slice(1, 3))).toEqual(['22', '32', '22']);
    expect(entries.map((e) => e.slice(29, 39))).toEqual(['0000000005', '0123456789', '0000001230']);
    const seed = String(achFileIdentity('2026-10', lines.map((l) => l.payoutId)).traceSeed).padStart(2, '0');
    expect(entries.map((e) => e.slice(79, 94))).toEqual([`01100001${seed}00001`, `01100001${seed}00002`, `01100001${seed}00003`]);
    const batchControl = records.find((r) => r.startsWith('8'))!;
    const hash = String(2100002 + 12100035 + 32227162).padStart(10, '0');
    expect(batchControl.slice(4, 10)).toBe('000003');
    expect(batchControl.slice(10, 20)).toBe(hash);
    expect(batchControl.slice(20, 32)).toBe('0'.repeat(12));
    expect(batchControl.slice(32, 44)).toBe(String(5 + 123_456_789 + 1230).padStart(12, '0'));
    const fileControl = records.find((r) => r.startsWith('9') && r !== '9'.repeat(94))!;
    expect(fileControl.slice(1, 7)).toBe('000001');
    expect(fileControl.slice(13, 21)).toBe('00000003');
    expect(fileControl.slice(21, 31)).toBe(hash);
    expect(fileControl.slice(43, 55)).toBe(String(5 + 123_456_789 + 1230).padStart(12, '0'));
  });

  it('keeps only the last 10 digits of an entry hash that passes them', () => {
    // 200 × 99,999,999 = 19,999,999,800: eleven digits.
    const routings = Array.from({ length: 200 }, () => '999999992');
    expect(achEntryHash(routings)).toBe(9_999_999_800);
    const records = recordsOf(file(routings.map((r, i) => line(i, r, 'checking', 1))));
    expect(records.find((r) => r.startsWith('8'))!.slice(10, 20)).toBe('9999999800');
  });

  it('writes names in NACHA letters, upper case, 22 characters', () => {
    expect(achName('Zoë O’Brien & Søn')).toBe("ZOE O'BRIEN & SON");
    expect(achName('Maximilian Alexander Featherstonehaugh')).toHaveLength(ACH_NAME_MAX);
    expect(achName('Иван')).toBeNull();
    const [entry] = recordsOf(file([line(1, '021000021', 'checking', 1, achName('Łukasz Straße')!)])).filter((r) => r.startsWith('6'));
    expect(entry!.slice(54, 76)).toBe('LUKASZ STRASSE'.padEnd(22));
  });

  it('carries a 15-character reference that reads back to the payout id it starts', () => {
    const id = 'po_0123456789abcdefghijklmn';
    expect(achPayoutReference(id)).toBe('PO0123456789ABC');
    expect(payoutPrefixFromAch('PO0123456789ABC')).toBe('po_0123456789abc');
    expect(payoutPrefixFromAch('po0123456789abc')).toBe('po_0123456789abc');
    for (const bad of ['PO0123456789AB', 'PO0123456789ABCD', 'XX0123456789ABC', 'PO01234-6789ABC']) expect(payoutPrefixFromAch(bad)).toBeNull();
  });

  it('gives each file its own file id modifier and trace numbers, and the same file the same ones', () => {
    const ids = (from: number, count: number) => Array.from({ length: count }, (_, i) => line(from + i, '021000021', 'checking', 100).payoutId);
    expect(achFileIdentity('2026-10', ids(1, 3))).toEqual(achFileIdentity('2026-10', ids(1, 3)));
    const identities = Array.from({ length: 40 }, (_, k) => achFileIdentity('2026-10', ids(k * 3, 3)));
    for (const { modifier, traceSeed } of identities) {
      expect(modifier).toMatch(/^[A-Z0-9]$/);
      expect(traceSeed).toBeGreaterThanOrEqual(0);
      expect(traceSeed).toBeLessThan(100);
    }
    // Forty files land on more than a few modifiers and seeds, and another period is another file.
    expect(new Set(identities.map((i) => i.modifier)).size).toBeGreaterThan(10);
    expect(new Set(identities.map((i) => i.traceSeed)).size).toBeGreaterThan(10);
    expect(achFileIdentity('2026-11', ids(1, 3))).not.toEqual(achFileIdentity('2026-10', ids(1, 3)));
    const one = file([line(1, '021000021', 'checking', 100)]);
    expect(file([line(1, '021000021', 'checking', 100)])).toBe(one);
  });

  it('refuses an account or routing number it would have to cut, rather than pay another account', () => {
    const withAccount = (accountNumber: string, routing = '021000021'): FileLine => ({ ...line(1, routing, 'checking', 100), usAccount: { routing, accountNumber, type: 'checking' } });
    expect(() => file([withAccount('123456789012345678')])).toThrow(RangeError);
    expect(() => file([withAccount('12345', '02100002')])).toThrow(RangeError);
    expect(() => file([withAccount('12345', '0210000211')])).toThrow(RangeError);
    expect(() => nachaFile({ createdAt: 0, timeZone: 'UTC', executionDate: '2026-11-05', period: '2026-10', origin: { ...ORIGIN, odfiRouting: '01100001' }, lines: [line(1, '021000021', 'checking', 1)] })).toThrow(RangeError);
    const [entry] = recordsOf(file([withAccount('12345678901234567')])).filter((r) => r.startsWith('6'));
    expect(entry!.slice(12, 29)).toBe('12345678901234567');
  });
});

describe('the effective entry date', () => {
  it('defaults ACH files to the next weekday, and SEPA files to today', () => {
    // 2026-11-06 is a Friday.
    expect(nextBusinessDay('2026-11-05')).toBe('2026-11-06');
    expect(nextBusinessDay('2026-11-06')).toBe('2026-11-09');
    expect(nextBusinessDay('2026-11-07')).toBe('2026-11-09');
    expect(nextBusinessDay('2026-11-08')).toBe('2026-11-09');
    expect(defaultExecutionDate('ach', '2026-11-06')).toBe('2026-11-09');
    expect(defaultExecutionDate('sepa', '2026-11-06')).toBe('2026-11-06');
    expect(['2026-11-07', '2026-11-08'].every(isWeekend)).toBe(true);
    expect(['2026-11-06', '2026-11-09'].some(isWeekend)).toBe(false);
  });
});

describe('a masked account', () => {
  it.each([
    ['1234', '••••34'],
    ['123456', '••••56'],
    ['12345678', '••••5678'],
    ['routing 021000021 checking 1234', '••••34'],
    ['routing 021000021 savings 123456', '••••56'],
    ['routing 021000021 checking 000123456789', '••••6789'],
    ['DE89370400440532013000', '••••3000'],
    ['sam@creators.test', 's•••@creators.test'],
  ])('shows %j as %j: the last 4 of a number of 8 or more, else the last 2', (account, masked) => {
    expect(maskAccount(account)).toBe(masked);
  });
});
