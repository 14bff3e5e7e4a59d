// A creator's payout and tax details: each sealed under SECRETS_KEY in its own column of their global account.
import { US_BANK_ACCOUNT, type UsAccountType, type UsBankAccount } from '../domain/aba';
import type { TaxDetails } from '../domain/tax-details';
import { openSealedJson, sealSecret } from '../lib/secrets';

/** Where a creator's money goes, as they saved it: a bank account with its holder's name (none on IBAN details saved before it was asked); a US one also with its routing number and type. */
export type SavedPayoutDetails = { method: string; account: string; holder?: string; routing?: string; accountType?: UsAccountType };

export const usBankAccountOf = (d: SavedPayoutDetails): UsBankAccount | null =>
  d.method === US_BANK_ACCOUNT && d.routing && d.accountType ? { routing: d.routing, accountNumber: d.account, type: d.accountType } : null;

// Where the money goes as one text (the payouts export's payout_account): a US account needs its routing number and
// type besides the number, which comes last so a masked account (••••6789) shows the number's end, as an IBAN's.
export const payoutAccountOf = (d: SavedPayoutDetails): string => {
  const us = usBankAccountOf(d);
  return us ? `routing ${us.routing} ${us.type} ${us.accountNumber}` : d.account;
};

export type SealedDetails = { payout_details_enc: SavedPayoutDetails; tax_details_enc: TaxDetails };

/** The creator's details held in `column` as stored, still sealed (null: none), for a page that opens them only when it must. */
export async function sealedDetailsOf(db: D1Database, creatorId: string, column: keyof SealedDetails): Promise<string | null> {
  const row = await db.prepare(`SELECT ${column} AS sealed FROM creators WHERE id = ?`).bind(creatorId).first<{ sealed: string | null }>();
  return row?.sealed ?? null;
}

/** The creator's details held in `column`: null when none, 'unreadable' when sealed under a SECRETS_KEY changed since. */
export async function creatorDetails<C extends keyof SealedDetails>(db: D1Database, secretsKey: string, creatorId: string, column: C): Promise<SealedDetails[C] | 'unreadable' | null> {
  return openSealedJson<SealedDetails[C]>(secretsKey, await sealedDetailsOf(db, creatorId, column));
}

// Replaces the sealed column in one batch that reads what it held first, and answers whether that was a change:
// `same` compares the previous details with the new; ones that no longer open (SECRETS_KEY changed) count as a change.
export async function replaceSealedDetails<C extends keyof SealedDetails>(
  db: D1Database,
  secretsKey: string,
  creatorId: string,
  column: C,
  next: SealedDetails[C] | null,
  same: (previous: SealedDetails[C], next: SealedDetails[C]) => boolean,
): Promise<boolean> {
  const sealed = next === null ? null : await sealSecret(secretsKey, JSON.stringify(next));
  const [before] = await db.batch([
    db.prepare(`SELECT ${column} AS sealed FROM creators WHERE id = ?`).bind(creatorId),
    db.prepare(`UPDATE creators SET ${column} = ? WHERE id = ?`).bind(sealed, creatorId),
  ]);
  const previous = await openSealedJson<SealedDetails[C]>(secretsKey, (before?.results[0] as { sealed: string | null } | undefined)?.sealed ?? null);
  if (previous === null) return next !== null;
  return previous === 'unreadable' || next === null || !same(previous, next);
}
