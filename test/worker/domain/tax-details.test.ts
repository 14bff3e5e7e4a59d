import { describe, expect, it } from 'vitest';
import { checkTaxDetails, maskTaxId } from '../../../worker/db/tax-details';

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
