// A campaign's name and slug rules, shared by creating a campaign (API and console) and copying one.

export const CAMPAIGN_NAME_MAX = 120;
export const CAMPAIGN_SLUG = /^[a-z0-9][a-z0-9-]{1,62}$/;
const SLUG_MAX = 63;
// The longest "-n" freeSlug adds that slugPrefix still covers (up to -9999999).
const LONGEST_SUFFIX = 8;

export const slugify = (name: string) =>
  name
    .normalize('NFKD')
    // The accents NFKD splits off are dropped, not read as word breaks: "Été" is "ete", not "e-te".
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, SLUG_MAX);

// The slug a name starts from: its own, or "campaign-<it>" when that is too short to be one ("A", "!!").
export function slugStem(name: string): string {
  const made = slugify(name);
  return CAMPAIGN_SLUG.test(made) ? made : `campaign-${made}`.replace(/-+$/, '').slice(0, SLUG_MAX);
}

// The stem cut with -n on the end, within the slug limit.
const numbered = (stem: string, n: number) => `${stem.slice(0, SLUG_MAX - `-${n}`.length).replace(/-+$/, '')}-${n}`;

// What every slug freeSlug can answer for this stem starts with (a long stem loses its end to the -n): the slugs
// in use to read are those starting with it.
export const slugPrefix = (stem: string) => stem.slice(0, SLUG_MAX - LONGEST_SUFFIX).replace(/-+$/, '');

// The copy's slug: the stem, or the stem with -2, -3… when that one is taken (`taken`: the brand's slugs that
// start with slugPrefix(stem)).
export function freeSlug(stem: string, taken: ReadonlySet<string>): string {
  if (!taken.has(stem)) return stem;
  for (let n = 2; ; n++) {
    const candidate = numbered(stem, n);
    if (!taken.has(candidate)) return candidate;
  }
}
