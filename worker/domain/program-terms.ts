// What a tick and the version a form showed say, against the brand's current version: accepted (the version shown
// is current, ticked), unticked, or changed (shown a version that is no longer current: read the new one first).
export function termsAnswer(form: Record<string, string | undefined>, currentVersion: number): 'accepted' | 'unticked' | 'changed' {
  if (form.termsVersion !== String(currentVersion)) return 'changed';
  return form.acceptTerms === '1' ? 'accepted' : 'unticked';
}
