import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvLine, csvNumber, csvText, CsvError, parseCsv, safeFilename } from '../../../worker/lib/csv';

describe('parseCsv', () => {
  it('reads quoted fields with commas, quotes, newlines and non-Latin text, keeping line numbers', () => {
    const text = '\ufeffemail,name\r\n"a@x.test","Chen, Sarah"\r\nb@x.test,"She said ""hi""\nthen left"\nc@x.test,Zoë Ångström 李\n';
    expect(parseCsv(text)).toEqual([
      { line: 1, cells: ['email', 'name'] },
      { line: 2, cells: ['a@x.test', 'Chen, Sarah'] },
      { line: 3, cells: ['b@x.test', 'She said "hi"\nthen left'] },
      { line: 5, cells: ['c@x.test', 'Zoë Ångström 李'] },
    ]);
  });

  it('skips blank lines and reports broken quoting with its line', () => {
    expect(parseCsv('a,b\n\n1,2').map((r) => r.line)).toEqual([1, 3]);
    expect(() => parseCsv('a,b\n"open,2\n')).toThrow(CsvError);
    expect(() => parseCsv('a,b\nx"y,2\n')).toThrow(/quote/);
  });

  it('reads rows pasted from a spreadsheet (tabs) and Excel files with semicolons, by what the header line uses', () => {
    expect(parseCsv('email\thandle\tname\r\na@x.test\tsarah\t"Chen, Sarah"\r\n')).toEqual([
      { line: 1, cells: ['email', 'handle', 'name'] },
      { line: 2, cells: ['a@x.test', 'sarah', 'Chen, Sarah'] },
    ]);
    expect(parseCsv('email;handle;name;flat_fee\na@x.test;sarah;"Sarah; the first";1,250\n')[1]!.cells).toEqual(['a@x.test', 'sarah', 'Sarah; the first', '1,250']);
    // A comma file with a tab or a semicolon inside a quoted header cell, or a tie, stays a comma file.
    expect(parseCsv('"a;b;c",d\n1,2\n')[1]!.cells).toEqual(['1', '2']);
    expect(parseCsv('a,b;c\n1,2;3\n')[1]!.cells).toEqual(['1', '2;3']);
    expect(parseCsv('email\n')).toEqual([{ line: 1, cells: ['email'] }]);
    expect(parseCsv('\r\n\nemail\thandle\na@x.test\tsarah\n')).toEqual([
      { line: 3, cells: ['email', 'handle'] },
      { line: 4, cells: ['a@x.test', 'sarah'] },
    ]);
  });

  it('round-trips anything the writer writes', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.string({ unit: 'grapheme' }), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 10 }), (rows) => {
        // Cells the writer neutralises (a formula start, after any blanks, invisible characters or quotes)
        // come back with their apostrophe on purpose: those are covered by the tests below.
        const safeRows = rows.map((r) => r.map((c) => (csvText(c).startsWith(`"'`) ? 'x' : c)));
        const text = safeRows.map((r) => csvLine(r.map(csvText))).join('');
        expect(parseCsv(text).map((r) => r.cells)).toEqual(safeRows.filter((r) => !(r.length === 1 && r[0] === '')).map((r) => r));
      }),
    );
  });
});

describe('CSV writing', () => {
  it.each(['=HYPERLINK("http://evil")', '+1+1', '-2+3', '@SUM(A1)', '\tx', '\rx', '\nx', ' =1+1', '\u00a0=1+1', '\u200b@SUM(A1)', '\ufeff+1', ' \n -1', '"=1+1', '" =2+2', "'@SUM(A1)", '\u202e=1+1', '\u200e+1', '\u2066-1', '\u00ad@x'])('neutralises %j', (value) => {
    expect(csvText(value).startsWith(`"'`)).toBe(true);
  });

  it('quotes text and writes amounts as plain numbers', () => {
    expect(csvLine([csvText('Chen, "Sarah"'), csvNumber('-12.50'), csvNumber(3)])).toBe('"Chen, ""Sarah""",-12.50,3\r\n');
    expect(() => csvNumber('=1+1')).toThrow();
  });

  it('sanitises filenames', () => {
    expect(safeFilename('payouts ../../etc/passwd\r\n.csv')).toBe('payouts-etc-passwd-.csv');
    expect(safeFilename('...')).toBe('export');
  });
});

describe('row limits', () => {
  it('counts the rows under the header, as a person counts their creators', () => {
    const file = ['email', ...Array.from({ length: 1_001 }, (_, i) => `c${i}@creators.test`)].join('\n');
    expect(() => parseCsv(file, 1_001)).toThrow('More than 1,000 rows under the header.');
    expect(parseCsv(file.split('\n').slice(0, 1_001).join('\n'), 1_001)).toHaveLength(1_001);
  });
});
