// Discount codes: one normal form for storage and lookup, so "ｓａｒａｈ15", "sarah15\u200b" and " SARAH15 " are one code.

const CODE_FORM = /^[A-Z0-9_-]{3,32}$/;
// The form shoppers and stores mostly send: already in the charset but for case. NFKC leaves ASCII as it
// is and it holds no format characters or spaces, so upper-casing is its whole normalization.
const PLAIN_FORM = /^[A-Za-z0-9_-]{3,32}$/;
// Unicode "format" characters (zero-width space/joiners, BOM, bidi marks) are invisible in a checkout field.
const FORMAT_CHARS = /\p{Cf}/gu;

export function normalizeCode(raw: string): string | null {
  if (raw.length > 256) return null;
  if (PLAIN_FORM.test(raw)) return raw.toUpperCase();
  const code = raw.normalize('NFKC').replace(FORMAT_CHARS, '').trim().toUpperCase();
  // Look-alike letters from other scripts (Greek Alpha, Cyrillic A) stay outside the charset and fail here.
  return CODE_FORM.test(code) ? code : null;
}

export function codeFromPattern(pattern: string, handle: string): string | null {
  return normalizeCode(pattern.replaceAll('{HANDLE}', handle.replaceAll('.', '')));
}

export type CodeState = {
  status: 'active' | 'disabled';
  startsAt: number | null;
  endsAt: number | null;
  maxRedemptions: number | null;
  redemptions: number;
};

export function isRedeemable(code: CodeState, at: number): boolean {
  if (code.status !== 'active') return false;
  if (code.startsAt !== null && at < code.startsAt) return false;
  if (code.endsAt !== null && at >= code.endsAt) return false;
  if (code.maxRedemptions !== null && code.redemptions >= code.maxRedemptions) return false;
  return true;
}
