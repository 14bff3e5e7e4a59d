import { describe, expect, it } from 'vitest';
import { checkTaxDetails, maskTaxId } from '../../../worker/domain/tax-details';
import { isYear, previousYear, yearBounds } from '../../../worker/domain/periods';

const VALID = { legalName: 'Sarah Jones', country: 'US', kind: 'individual', taxId: '123-45-6789', certify: true };
const taxIdOf = (taxId: string) => {
  const checked = checkTaxDetails({ ...VALID, taxId }, 0);
  return checked.ok ? checked.details.taxId : checked.problems.map((p) => p.field);
};

describe('checkTaxDetails: the tax id', () => {
  it.each([
    ['123-45-6789', '123-45-6789'],
    [' gb 123 456 789 ', 'GB123456789'],
    ['de/123.456-7a', 'DE/123.456-7A'],
    ['ab12', 'AB12'],
  ])('keeps %j as %j: trimmed, without spaces, upper-cased', (typed, kept) => {
    expect(taxIdOf(typed)).toBe(kept);
  });

  // A leading '-' is one a spreadsheet may run as a formula, so the CSV would alter it; the ends are letters or digits.
  it.each(['-12345', '12345-', '.1234', '1234/', '/1234', '12', 'a-b-c', '=1+2345', 'ß1234', 'ı1234', '12_345', '1'.repeat(41), '1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1'])('refuses %j', (typed) => {
    expect(taxIdOf(typed)).toEqual(['taxId']);
  });
});

describe('maskTaxId', () => {
  it.each([
    ['123-45-6789', '••••6789'],
    ['12345678', '••••5678'],
    ['1234567', '••••67'],
    ['AB12', '••••12'],
  ])('shows %j as %j: the last 4 of 8 or more, else the last 2', (id, masked) => {
    expect(maskTaxId(id)).toBe(masked);
  });
});

describe('years: isYear, yearBounds, previousYear', () => {
  it.each(['2000', '2026', '2199'])('takes %j', (raw) => expect(isYear(raw)).toBe(true));
  it.each(['1999', '2200', '26', '02026', '2026.0', ' 2026', ''])('refuses %j', (raw) => expect(isYear(raw)).toBe(false));

  it("bounds a year by the brand's midnights, and defaults to the year before the one it is in there", () => {
    expect(yearBounds(2026, 'America/New_York')).toEqual({ start: Date.UTC(2026, 0, 1, 5), end: Date.UTC(2027, 0, 1, 5) });
    // Auckland is 13 hours ahead in January: its 2027 starts at 11:00 UTC on December 31st 2026.
    expect(yearBounds(2026, 'Pacific/Auckland')).toEqual({ start: Date.UTC(2025, 11, 31, 11), end: Date.UTC(2026, 11, 31, 11) });
    expect(previousYear(Date.UTC(2026, 11, 31, 10, 59), 'Pacific/Auckland')).toBe(2025);
    expect(previousYear(Date.UTC(2026, 11, 31, 11), 'Pacific/Auckland')).toBe(2026);
    expect(previousYear(Date.UTC(2027, 0, 1, 4, 59), 'America/New_York')).toBe(2025);
  });
});
