import { toHex } from './digest';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

// RFC 4648 base64url without padding, straight from the bytes (btoa plus three replaces cost a redirect
// more than the rest of its click id); `start` and `end` encode a range without a view of it.
export function base64url(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let s = '';
  let i = start;
  for (; i + 2 < end; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    s += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]! + ALPHABET[n & 63]!;
  }
  if (i < end) {
    const n = (bytes[i]! << 16) | (i + 1 < end ? bytes[i + 1]! << 8 : 0);
    s += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]!;
    if (i + 1 < end) s += ALPHABET[(n >>> 6) & 63]!;
  }
  return s;
}

// Random bytes are drawn from the CSPRNG a few kilobytes at a time and each byte is handed out once:
// one getRandomValues call per 256 click ids instead of one per id, and no view allocated per id.
const POOL_BYTES = 4096;
const pool = new Uint8Array(POOL_BYTES);
let poolAt = POOL_BYTES;

export function randomToken(bytes = 16): string {
  if (bytes > POOL_BYTES) return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
  if (poolAt + bytes > POOL_BYTES) {
    crypto.getRandomValues(pool);
    poolAt = 0;
  }
  poolAt += bytes;
  return base64url(pool, poolAt - bytes, poolAt);
}

// A page form's own key (a randomToken drawn with the form): sent twice, the form acts once.
export const FORM_KEY = /^[A-Za-z0-9_-]{16,64}$/;

// What an id from a request may look like (ours are a prefix, '_' and base64url): checked before a lookup.
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

// A payout id as the close mints them (db/payouts.ts): anything else is no payout, answered without a query.
export const isPayoutId = (raw: string) => /^po_[a-z0-9]{24}$/.test(raw);

// Row ids: a readable prefix plus 96 random bits.
export function newId(prefix: string): string {
  return `${prefix}_${randomToken(12)}`;
}

// Click ids are what the store hands back to us, so they carry 128 random bits.
export const newClickId = () => randomToken(16);

const SLUG_SUFFIX = 'abcdefghijklmnopqrstuvwxyz0123456789';

// A generated tracked-link slug a creator can read out and a shopper can type: the creator's handle and five
// random lower-case letters or digits (`sarah_makes` → `sarah-makes-k3f9q`, `sarah.makes` too). Handles are
// unique across Chorus, so two slugs can only meet among one creator's own links or handles that differ only
// in . and _ (one in 60 million per pair); callers retry on a collision. All lower case, so a generated slug never differs from another by case alone.
export function linkSlugFor(handle: string): string {
  return `${handle.replace(/[_.]/g, '-')}-${slugSuffix()}`;
}

// The random part alone, for SQL that joins it to the account's handle (the import: a file's handle column
// may differ from the account's, and the link is the account's).
export function slugSuffix(): string {
  let suffix = '';
  while (suffix.length < 5) {
    for (const b of crypto.getRandomValues(new Uint8Array(8))) {
      if (b < 252 && suffix.length < 5) suffix += SLUG_SUFFIX[b % 36]; // 252 = 7 × 36: no bias
    }
  }
  return suffix;
}

// Lower-case hex of `bytes` random bytes: the form SQL's lower(hex(randomblob(n))) gives ids made in a statement.
export function randomHex(bytes: number): string {
  return toHex(crypto.getRandomValues(new Uint8Array(bytes)).buffer);
}
