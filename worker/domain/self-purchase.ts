// Self-referral protection: a creator who buys through their own code or link earns no commission on that
// order and climbs no tier with it, unless their brand lets creators earn on their own orders. Pure: it
// compares the customer's address with the creator's and keeps neither (db/conversions.ts stores only the
// outcome).

/** How an order stands: 0 not known to be the creator's own, 1 theirs and earning nothing, 2 theirs and earning (the brand allows it). */
export type SelfPurchase = 0 | 1 | 2;
export const NOT_SELF_PURCHASE = 0;
export const SELF_PURCHASE_WITHHELD = 1;
export const SELF_PURCHASE_EARNS = 2;

// Google delivers j.doe@, jdoe@ and J.Doe@googlemail.com to one mailbox.
const GOOGLE_DOMAINS = new Set(['gmail.com', 'googlemail.com']);

/**
 * The mailbox an address reaches, as far as it can be told from the address: trimmed, lower case, without a
 * `+tag` (most providers deliver sarah+shop@ to sarah@), and for Gmail without the dots of the local part.
 * Null for what is not an address.
 */
export function mailboxOf(email: string): string | null {
  const address = email.trim().toLowerCase();
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return null;
  let local = address.slice(0, at);
  let domain = address.slice(at + 1);
  const plus = local.indexOf('+');
  if (plus >= 0) local = local.slice(0, plus);
  if (GOOGLE_DOMAINS.has(domain)) {
    local = local.replaceAll('.', '');
    domain = 'gmail.com';
  }
  return local === '' ? null : `${local}@${domain}`;
}

/** Whether the customer's address reaches the creator's own mailbox. No address, no evidence: false. */
export function isCreatorsOwn(customerEmail: string | null | undefined, creatorEmail: string | null | undefined): boolean {
  if (!customerEmail || !creatorEmail) return false;
  const customer = mailboxOf(customerEmail);
  return customer !== null && customer === mailboxOf(creatorEmail);
}

/**
 * The outcome for an order credited to a creator: `own` when it is their own (by address, or a renewal of
 * a subscription that was), and whether their brand lets creators earn on their own orders.
 */
export const selfPurchaseOutcome = (own: boolean, brandLetsEarn: boolean): SelfPurchase => (!own ? NOT_SELF_PURCHASE : brandLetsEarn ? SELF_PURCHASE_EARNS : SELF_PURCHASE_WITHHELD);
