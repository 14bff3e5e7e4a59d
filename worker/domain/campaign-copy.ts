// Copying a campaign for its next wave: the copy's name and slug. Pure: the caller reads the slugs in use.

export const CAMPAIGN_NAME_MAX = 120;
export const CAMPAIGN_SLUG = /^[a-z0-9][a-z0-9-]{1,62}$/;

export const slugify = (name: string) =>
  name
    .normalize('NFKD')
    // The accents NFKD splits off are dropped, not read as word breaks: "Été" is "ete", not "e-te".
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);

// "<name> (copy)", the name cut so the whole stays within the campaign name limit.
export const copyName = (name: string) => `${name.slice(0, CAMPAIGN_NAME_MAX - ' (copy)'.length).trimEnd()} (copy)`;

// The copy's slug: its name's, or with -2, -3… when that one is taken (`taken`: the brand's slugs that start with it).
export function freeSlug(name: string, taken: ReadonlySet<string>): string {
  const made = slugify(name);
  const base = CAMPAIGN_SLUG.test(made) ? made : `campaign-${made}`.replace(/-+$/, '').slice(0, 63);
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) {
    const suffix = `-${n}`;
    const candidate = `${base.slice(0, 63 - suffix.length).replace(/-+$/, '')}${suffix}`;
    if (!taken.has(candidate)) return candidate;
  }
}
