// Creators' shipping addresses at rest. A gift request's address, and the one saved on the account, are stored as
// JSON sealed under SECRETS_KEY (AES-GCM, as webhook and two-step secrets are), so a copy of the database (a dump, a
// backup) holds no one's home. A request's is '' once removed: after it was declined or withdrawn, or
// ADDRESS_KEPT_DAYS after it arrived (jobs/gift-addresses.ts). Rows written before migration 0066 hold the JSON
// itself until that job seals them, so both are read. Every reader (the console, the creator's page, the admin API,
// the packing list, webhook deliveries, the data download) opens it here, with openAddress.
// Kept apart from db/gifting.ts so a reader (webhooks/events.ts) needs no more than this and lib/secrets.
import { openSecret, sealSecret } from '../lib/secrets';
import type { ShippingAddress } from './gifting';

export type ShipTo = ShippingAddress | 'removed' | 'unreadable';
// How long a request's address is kept after its gift shipped or arrived (its last move): carriers take claims for
// a lost or damaged parcel for up to 60 days (UPS, FedEx, USPS), so until then the brand may claim or send it again.
export const ADDRESS_KEPT_DAYS = 90;
export const ADDRESS_REMOVED = '';
export const sealAddress = (secretsKey: string, a: ShippingAddress): Promise<string> => sealSecret(secretsKey, JSON.stringify(a));

export async function openAddress(secretsKey: string, stored: string): Promise<ShipTo> {
  if (stored === ADDRESS_REMOVED) return 'removed';
  try {
    // Sealed text is base64url with a dot: never `{`.
    return JSON.parse(stored.startsWith('{') ? stored : await openSecret(secretsKey, stored)) as ShippingAddress;
  } catch {
    // Sealed under another SECRETS_KEY: nothing opens it.
    return 'unreadable';
  }
}

// The account's saved address, or null (none, or unreadable: the form then starts empty).
export async function openSavedAddress(secretsKey: string, stored: string | null): Promise<ShippingAddress | null> {
  const a = stored === null ? 'removed' : await openAddress(secretsKey, stored);
  return typeof a === 'string' ? null : a;
}
