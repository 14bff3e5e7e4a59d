// Bank account identifiers as SEPA takes them: the IBAN (ISO 13616) a creator is paid to and a brand pays from,
// and the BIC (ISO 9362) a brand may give for its own bank.

// ISO 13616 check digits: the IBAN with its first four characters moved to the end, letters as 10-35, is
// 1 mod 97. A mistyped digit is refused here, not at payout time; integers only, a few digits at a time.
export function ibanChecksOut(iban: string): boolean {
  let remainder = 0;
  for (const ch of iban.slice(4) + iban.slice(0, 4)) {
    const value = ch >= 'A' ? ch.charCodeAt(0) - 55 : ch.charCodeAt(0) - 48;
    remainder = (remainder * (value > 9 ? 100 : 10) + value) % 97;
  }
  return remainder === 1;
}

/** An IBAN as typed (any case, spaces), compacted to the form files carry: uppercase, no spaces. */
export const compactIban = (typed: string) => typed.trim().toUpperCase().replace(/\s+/g, '');

export const IBAN_SHAPE = /^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$/;

/** A compacted IBAN of the right shape whose check digits hold. */
export const isIban = (iban: string) => IBAN_SHAPE.test(iban) && ibanChecksOut(iban);

// Bank (4 letters), country (2), location (2) and an optional branch (3): 8 or 11 characters.
export const isBic = (bic: string) => /^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?$/.test(bic);

// The countries of the SEPA schemes (the EPC's geographical scope: 41 since Serbia joined in 2025), by an IBAN's
// first two letters. Territories that bank with a member's IBANs (Åland, the French overseas departments, Jersey,
// the Canaries) carry that member's code. Outside the EEA, EU rules on transfers of funds make the payer's bank send
// the payer's postal address with the payment, which a Chorus file does not carry.
const SEPA_IN_EEA = new Set([
  ...['AT', 'BE', 'BG', 'CY', 'CZ', 'DE', 'DK', 'EE', 'ES', 'FI', 'FR', 'GR', 'HR', 'HU', 'IE', 'IT', 'LT', 'LU', 'LV', 'MT', 'NL', 'PL', 'PT', 'RO', 'SE', 'SI', 'SK'],
  ...['IS', 'LI', 'NO'],
]);
const SEPA_OUTSIDE_EEA = new Set(['AD', 'AL', 'CH', 'GB', 'GI', 'MC', 'MD', 'ME', 'MK', 'RS', 'SM', 'VA']);

/** Where an IBAN's bank is as SEPA sees it: in the EEA, in a SEPA country outside it, or outside SEPA. */
export function sepaReachOf(iban: string): 'eea' | 'outside_eea' | 'none' {
  const country = iban.slice(0, 2);
  return SEPA_IN_EEA.has(country) ? 'eea' : SEPA_OUTSIDE_EEA.has(country) ? 'outside_eea' : 'none';
}
