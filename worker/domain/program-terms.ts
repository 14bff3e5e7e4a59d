// What a tick and the version a form showed say, against the brand's current version: accepted (the version shown
// is current, ticked), unticked, or changed (shown a version that is no longer current: read the new one first).
export function termsAnswer(form: Record<string, string | undefined>, currentVersion: number): 'accepted' | 'unticked' | 'changed' {
  if (form.termsVersion !== String(currentVersion)) return 'changed';
  return form.acceptTerms === '1' ? 'accepted' : 'unticked';
}

// Every terms form the portal draws names the version it showed; a post without one (made by hand, cut short) is
// an incomplete form, not a sign that the terms changed.
export const namesVersion = (form: Record<string, string | undefined>) => /^[1-9]\d{0,6}$/.test(form.termsVersion ?? '');
