// Payment files' pure decisions: names transliterated to SEPA's character set, and the form's length rule.
import { describe, expect, it } from 'vitest';
import { fitsSepaName, SEPA_NAME_MAX, sepaName, toSepaText } from '../../../worker/domain/payment-files';

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
