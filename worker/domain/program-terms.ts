// What a tick and the version a form showed say, against the brand's current version: accepted (the version shown
// is current, ticked), unticked, or changed (shown a version that is no longer current: read the new one first).
export function termsAnswer(form: Record<string, string | undefined>, currentVersion: number): 'accepted' | 'unticked' | 'changed' {
  if (form.termsVersion !== String(currentVersion)) return 'changed';
  return form.acceptTerms === '1' ? 'accepted' : 'unticked';
}

// A version number as a path or form names it: 1 to 9,999,999 in plain digits, anything else names no version.
export const versionParam = (raw: string | undefined): number | null => (raw && /^[1-9]\d{0,6}$/.test(raw) ? Number(raw) : null);

// Every terms form the portal draws names the version it showed; a post without one (made by hand, cut short) is
// an incomplete form, not a sign that the terms changed.
export const namesVersion = (form: Record<string, string | undefined>) => versionParam(form.termsVersion) !== null;
