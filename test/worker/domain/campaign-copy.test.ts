import { describe, expect, it } from 'vitest';
import { copyName } from '../../../worker/domain/campaign-copy';
import { CAMPAIGN_NAME_MAX, freeSlug, slugPrefix, slugStem } from '../../../worker/domain/campaign-slug';

// Three copies of one name, each reading only the slugs that start with slugPrefix (as db/campaign-copy.ts does).
function threeSlugs(name: string, existing: string[] = []): string[] {
  const taken = new Set(existing);
  const made: string[] = [];
  for (let i = 0; i < 3; i++) {
    const stem = slugStem(name);
    const seen = new Set([...taken].filter((s) => s.startsWith(slugPrefix(stem))));
    const slug = freeSlug(stem, seen);
    expect(taken.has(slug)).toBe(false);
    taken.add(slug);
    made.push(slug);
  }
  return made;
}

describe('copy slugs', () => {
  it('a one-character name, copied three times', () => {
    expect(threeSlugs('A')).toEqual(['campaign-a', 'campaign-a-2', 'campaign-a-3']);
    expect(threeSlugs('!!')).toEqual(['campaign', 'campaign-2', 'campaign-3']);
  });

  it('names near and past 63 slug characters, copied three times', () => {
    for (const length of [61, 62, 63, 64, 90]) {
      const name = `${'ab-'.repeat(40)}`.slice(0, length);
      const slugs = threeSlugs(name);
      expect(new Set(slugs).size).toBe(3);
      for (const s of slugs) expect(s).toMatch(/^[a-z0-9][a-z0-9-]{1,62}$/);
    }
    // Eleven copies of a 63-character name: -10 cuts one more character of the stem, and is still found.
    const stem = slugStem('x'.repeat(63));
    const taken = new Set<string>();
    for (let i = 0; i < 11; i++) taken.add(freeSlug(stem, new Set([...taken].filter((s) => s.startsWith(slugPrefix(stem))))));
    expect(taken.size).toBe(11);
    expect(taken.has(`${'x'.repeat(60)}-10`)).toBe(true);
  });
});

describe('copyName', () => {
  it('marks a copy once, and numbers a copy of a copy', () => {
    expect(copyName('Spring drop')).toBe('Spring drop (copy)');
    expect(copyName('Spring drop (copy)')).toBe('Spring drop (copy 2)');
    expect(copyName('Spring drop (copy 2)')).toBe('Spring drop (copy 3)');
  });

  it("skips the names the brand's campaigns have taken", () => {
    const taken = new Set(['Spring drop (copy)', 'Spring drop (copy 2)', 'Spring drop (copy 4)']);
    expect(copyName('Spring drop', taken)).toBe('Spring drop (copy 3)');
    expect(copyName('Spring drop (copy)', taken)).toBe('Spring drop (copy 3)');
    expect(copyName('Spring drop (copy 3)', taken)).toBe('Spring drop (copy 5)');
  });

  it('cuts a long name at a character edge, never half an emoji, within the limit', () => {
    // The emoji (two UTF-16 units) straddles the cut: it is left out whole.
    const name = `${'a'.repeat(CAMPAIGN_NAME_MAX - ' (copy)'.length - 1)}😀tail`;
    const made = copyName(name);
    expect(made.length).toBeLessThanOrEqual(CAMPAIGN_NAME_MAX);
    expect(made).toBe(`${'a'.repeat(CAMPAIGN_NAME_MAX - ' (copy)'.length - 1)} (copy)`);
    expect(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(made)).toBe(false);
    const fits = `${'a'.repeat(CAMPAIGN_NAME_MAX - ' (copy)'.length - 2)}😀tail`;
    expect(copyName(fits)).toBe(`${'a'.repeat(CAMPAIGN_NAME_MAX - ' (copy)'.length - 2)}😀 (copy)`);
  });
});
