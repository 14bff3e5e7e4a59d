// A brand's own labels for the creators it works with ("uk", "skincare", "wave 2"): how a typed tag is read, and
// the limits a set of them keeps. Tags are the brand's grouping, shown in its console and API; the creator sees them only in their data download.

export const MAX_TAGS_PER_CREATOR = 10;
export const MAX_TAGS_PER_BRAND = 200;
export const MAX_TAG_LENGTH = 32;
export const TAG_RULE = `Tags are 1-${MAX_TAG_LENGTH} letters (with their accents and marks), digits, spaces, - or _.`;

// Letters, their combining marks and digits of any script: a brand in Berlin, Seoul, Pune or Bangkok tags in its own
// words (मराठी, বাংলা, தமிழ், ไม้ carry vowel signs that are marks, not letters).
const TAG = /^[\p{L}\p{M}\p{N} _-]+$/u;

/** The tag as stored (lower-cased, NFKC, trimmed, inner spaces collapsed), or null when it breaks TAG_RULE. */
export function normalizeTag(raw: string): string | null {
  // Lower-cased before normalising, so what lower-casing adds (İ's dot above) is composed as typed text would be;
  // and after it too, as NFKC turns some compatibility letters (ᴬ, ℌ) into capitals.
  const tag = raw.normalize('NFKC').toLowerCase().normalize('NFKC').trim().replace(/\s+/g, ' ');
  // In code points, as a person counts characters: a UTF-16 length would give astral scripts half the room.
  const length = [...tag].length;
  if (length === 0 || length > MAX_TAG_LENGTH || !TAG.test(tag)) return null;
  return tag;
}

// The console's one field for a creator's whole set: room for ten tags of 32 characters, astral ones two UTF-16 units
// each (what a browser's maxlength counts), with their separators.
export const MAX_TAG_FIELD_LENGTH = MAX_TAGS_PER_CREATOR * (MAX_TAG_LENGTH * 2 + 2);

// One text field or CSV cell with several tags: a comma or a semicolon separates them; empty pieces are nothing.
export const splitTagList = (raw: string): string[] => raw.split(/[,;]/).filter((piece) => piece.trim() !== '');

export type TagSetReading = { ok: true; tags: string[] } | { ok: false; code: 'invalid_tag'; tag: string } | { ok: false; code: 'too_many_tags'; count: number };

/** A creator's whole set of tags as typed: each normalised, repeats dropped, sorted; refused if one is invalid or there are too many. */
export function readTagSet(typed: string[]): TagSetReading {
  const tags = new Set<string>();
  for (const raw of typed) {
    const tag = normalizeTag(raw);
    if (tag === null) return { ok: false, code: 'invalid_tag', tag: raw.trim().slice(0, 64) };
    tags.add(tag);
  }
  const over = tagsOverCreatorLimit(tags);
  if (over > 0) return { ok: false, code: 'too_many_tags', count: over };
  return { ok: true, tags: [...tags].sort() };
}

/** How many different tags a creator holding `held` would have with `adding` too, when that is more than MAX_TAGS_PER_CREATOR; 0 when they fit. */
export function tagsOverCreatorLimit(held: Iterable<string>, adding: Iterable<string> = []): number {
  const count = new Set([...held, ...adding]).size;
  return count > MAX_TAGS_PER_CREATOR ? count : 0;
}

/** `fresh` (tags the brand does not use yet), when adding them to the `inUse` different tags it has would take it past MAX_TAGS_PER_BRAND; [] when they fit. */
export function tagsOverBrandLimit(inUse: number, fresh: readonly string[]): string[] {
  const unique = [...new Set(fresh)];
  return unique.length > 0 && inUse + unique.length > MAX_TAGS_PER_BRAND ? unique : [];
}

// As sets: a stored set comes back in SQL's order (code points), a typed one in JS's (UTF-16 units), which differ past U+FFFF.
export function sameTags(a: readonly string[], b: readonly string[]): boolean {
  const inA = new Set(a);
  const inB = new Set(b);
  return inA.size === inB.size && [...inB].every((t) => inA.has(t));
}
