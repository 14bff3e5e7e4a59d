// US bank accounts as ACH takes them: the ABA routing transit number of the bank (a creator's, and the brand's own
// originating bank) and the account number at it. The counterpart of iban.ts for NACHA files.

/** The payout method of a US bank account, paid by ACH (a NACHA file): its `account` is the account number. */
export const US_BANK_ACCOUNT = 'us_bank_account';

/** Digits as typed with spaces or dashes between them (0110-0001-5), compacted to the digits alone. */
export const compactDigits = (typed: string) => typed.trim().replace(/[\s-]+/g, '');

// ABA check digit: the nine digits weighted 3, 7, 1 (repeating) sum to a multiple of 10. A mistyped digit is
// refused when it is saved, not when the bank rejects the file.
export function isAbaRouting(routing: string): boolean {
  if (!/^\d{9}$/.test(routing)) return false;
  const weights = [3, 7, 1, 3, 7, 1, 3, 7, 1];
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(routing[i]) * weights[i]!;
  return sum % 10 === 0;
}

/** A US account number: 4 to 17 digits (NACHA's DFI account number field holds 17). */
export const isUsAccountNumber = (account: string) => /^\d{4,17}$/.test(account);

export const US_ACCOUNT_TYPES = ['checking', 'savings'] as const;
export type UsAccountType = (typeof US_ACCOUNT_TYPES)[number];
export const isUsAccountType = (raw: string): raw is UsAccountType => (US_ACCOUNT_TYPES as readonly string[]).includes(raw);

/** A US bank account as an ACH entry pays it. */
export type UsBankAccount = { routing: string; accountNumber: string; type: UsAccountType };
