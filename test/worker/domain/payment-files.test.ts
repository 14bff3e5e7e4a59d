// Payment files' pure decisions: names transliterated to SEPA's character set, and the form's length rule.
import { describe, expect, it } from 'vitest';
import { ACH_AMOUNT_MAX, fitsSepaName, placePayout, SEPA_NAME_MAX, sepaName, toSepaText, type PayoutForFile } from '../../../worker/domain/payment-files';

// SEPA's Latin set: letters, digits, / - ? : ( ) . , ' + and the space.
const SEPA_TEXT = /^[A-Za-z0-9/\-?:().,'+ ]*$/;

describe('names in SEPA text', () => {
  it.each([
    ['Zoë & Co', 'Zoe + Co'],
    ['Łukasz Nowak', 'Lukasz Nowak'],
    ['Straße', 'Strasse'],
    // Typographic apostrophes and dashes, as phone keyboards type them, are SEPA's own ' and -.
    ['Seán O’Brien', "Sean O'Brien"],
    ['‘Ana’ Smith–Jones — Ltd', "'Ana' Smith-Jones - Ltd"],
    ['Kaʻiulani Nāone', "Ka'iulani Naone"],
    // Compatibility forms (NFKD): ligatures, fullwidth letters, superscripts.
    ['ﬁnn Ｍüller²', 'finn Muller2'],
    ['“Quoted”   name', 'Quoted name'],
  ])('%s → %s', (name, text) => {
    expect(toSepaText(name)).toBe(text);
    expect(text).toMatch(SEPA_TEXT);
  });

  it('refuses letters with no Latin form rather than drop them, and empty names', () => {
    for (const name of ['Иван Петров', '李小龙', 'Ana 李', '', '  ', '“”']) expect(sepaName(name)).toBeNull();
  });

  it('takes a typed name only when its transliteration fits 70 characters', () => {
    expect(fitsSepaName('a'.repeat(SEPA_NAME_MAX))).toBe(true);
    // 70 characters typed, 71 once ß is ss: refused, not cut.
    expect(fitsSepaName(`${'a'.repeat(SEPA_NAME_MAX - 1)}ß`)).toBe(false);
    expect(fitsSepaName(`${'ﬃ'.repeat(24)}`)).toBe(false);
    expect(fitsSepaName('Иван')).toBe(false);
    expect(fitsSepaName('Société Générale')).toBe(true);
  });
});

describe('placePayout for a US bank account', () => {
  const usAccount = { routing: '021000021', accountNumber: '000123456789', type: 'checking' as const };
  const payout = (over: Partial<PayoutForFile> = {}): PayoutForFile => ({
    id: 'po_x', status: 'pending', givenUp: false, detailsChangedSinceFailure: false, payoutMethod: 'us_bank_account', payoutAccount: 'routing 021000021 checking 000123456789',
    holder: 'Zoë & Co', legalName: null, usAccount, currency: 'USD', netMinor: 100, ...over,
  });

  it('goes in the ACH file of a USD brand, named as an entry writes it', () => {
    expect(placePayout(payout(), 'USD', { sepa: false, ach: true })).toEqual({ file: 'ach', creditorName: 'ZOE & CO', usAccount });
    expect(placePayout(payout({ status: 'failed', detailsChangedSinceFailure: true }), 'USD', { sepa: false, ach: true })).toMatchObject({ file: 'ach' });
  });

  it('is in no file of a EUR brand (nor its SEPA file), and says why', () => {
    expect(placePayout(payout({ currency: 'EUR' }), 'EUR', { sepa: true, ach: false })).toEqual({ file: null, reason: 'ach_unavailable' });
  });

  it('leaves out what one entry cannot carry, a missing holder, and the same details it failed with', () => {
    expect(placePayout(payout({ netMinor: ACH_AMOUNT_MAX }), 'USD', { sepa: false, ach: true })).toMatchObject({ file: 'ach' });
    expect(placePayout(payout({ netMinor: ACH_AMOUNT_MAX + 1 }), 'USD', { sepa: false, ach: true })).toEqual({ file: null, reason: 'ach_amount_too_large' });
    expect(placePayout(payout({ holder: null }), 'USD', { sepa: false, ach: true })).toEqual({ file: null, reason: 'holder_missing' });
    expect(placePayout(payout({ holder: null, legalName: 'Иван Петров' }), 'USD', { sepa: false, ach: true })).toEqual({ file: null, reason: 'legal_name_not_latin' });
    expect(placePayout(payout({ holder: null, legalName: 'Ivan Petrov' }), 'USD', { sepa: false, ach: true })).toMatchObject({ file: 'ach', creditorName: 'IVAN PETROV' });
    expect(placePayout(payout({ status: 'failed' }), 'USD', { sepa: false, ach: true })).toEqual({ file: null, reason: 'failed_same_details' });
  });
});
