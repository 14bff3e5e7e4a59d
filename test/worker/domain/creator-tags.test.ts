// How a typed tag is read and the limits a creator's set keeps (domain/creator-tags.ts).
import { describe, expect, it } from 'vitest';
import { MAX_TAGS_PER_BRAND, MAX_TAGS_PER_CREATOR, normalizeTag, readTagSet, sameTags, splitTagList, tagsOverBrandLimit, tagsOverCreatorLimit } from '../../../worker/domain/creator-tags';
import { segmentsOf, summarize, type CreatorInputs, type SegmentLabels } from '../../../worker/domain/network';

describe('normalizeTag', () => {
  it('trims, collapses spaces and lower-cases', () => {
    expect(normalizeTag('  Wave   2 ')).toBe('wave 2');
    expect(normalizeTag('UK')).toBe('uk');
    expect(normalizeTag('top_tier')).toBe('top_tier');
    expect(normalizeTag('re-activate')).toBe('re-activate');
    expect(normalizeTag('Hautpflege')).toBe('hautpflege');
    expect(normalizeTag('ｕｋ')).toBe('uk');
    expect(normalizeTag('a\tb')).toBe('a b');
    expect(normalizeTag('x'.repeat(32))).toBe('x'.repeat(32));
  });

  it('keeps the marks of scripts that write vowels as combining signs, and counts length in code points', () => {
    for (const word of ['मराठी', 'বাংলা', 'தமிழ்', 'ไม้', '한국어', 'Ελληνικά']) expect(normalizeTag(word), word).toBe(word.toLowerCase());
    // İ lower-cases to i and a combining dot above: still a tag, stored the same however it was typed.
    expect(normalizeTag('İstanbul')).toBe('i\u0307stanbul');
    expect(normalizeTag('i\u0307stanbul')).toBe(normalizeTag('İSTANBUL'));
    expect(normalizeTag('Café')).toBe(normalizeTag('cafe\u0301'));
    // Compatibility capitals NFKC makes (ᴬ, ℌ) still end lower-case.
    expect(normalizeTag('ᴬℌ')).toBe('ah');
    // Gothic letters take two UTF-16 units each: 32 of them are 32 characters.
    expect(normalizeTag('𐌰'.repeat(32))).toBe('𐌰'.repeat(32));
    expect(normalizeTag('𐌰'.repeat(33))).toBeNull();
    expect(normalizeTag('ไม้'.repeat(10))).toHaveLength(30);
    expect(normalizeTag('ไม้'.repeat(11))).toBeNull();
    // Normalising a stored tag changes nothing.
    for (const word of ['İstanbul', 'ᴬℌ', 'मराठी', 'Straße', 'ΣΊΣΥΦΟΣ']) expect(normalizeTag(normalizeTag(word)!), word).toBe(normalizeTag(word));
  });

  it('refuses empty, long and punctuated tags', () => {
    for (const bad of ['', '   ', 'x'.repeat(33), 'no!', '#uk', '=cmd', 'a,b', 'a;b', 'a.b', '<b>', 'a\u0000b', 'emoji 😀', 'a\u202eb']) expect(normalizeTag(bad), JSON.stringify(bad)).toBeNull();
  });
});

describe('splitTagList and readTagSet', () => {
  it('reads a comma- or semicolon-separated field into a sorted set without repeats', () => {
    expect(splitTagList('uk, Wave 2; skincare,,;  ')).toEqual(['uk', ' Wave 2', ' skincare']);
    expect(readTagSet(splitTagList('UK, wave 2; uk'))).toEqual({ ok: true, tags: ['uk', 'wave 2'] });
    expect(readTagSet([])).toEqual({ ok: true, tags: [] });
  });

  it('refuses an invalid tag and an 11th one', () => {
    expect(readTagSet(['ok', 'no!'])).toEqual({ ok: false, code: 'invalid_tag', tag: 'no!' });
    expect(readTagSet(Array.from({ length: 10 }, (_, i) => `t${i}`)).ok).toBe(true);
    expect(readTagSet(Array.from({ length: 11 }, (_, i) => `t${i}`))).toEqual({ ok: false, code: 'too_many_tags', count: 11 });
    // Repeats count once.
    expect(readTagSet([...Array.from({ length: 10 }, (_, i) => `t${i}`), 'T1', ' t2 ']).ok).toBe(true);
  });
});

describe('tagsOverBrandLimit and tagsOverCreatorLimit', () => {
  it('lets a brand add new tags up to the limit and refuses the 201st distinct one, naming the new ones', () => {
    expect(tagsOverBrandLimit(MAX_TAGS_PER_BRAND, [])).toEqual([]);
    expect(tagsOverBrandLimit(MAX_TAGS_PER_BRAND, ['new', 'new'])).toEqual(['new']);
    expect(tagsOverBrandLimit(MAX_TAGS_PER_BRAND - 1, ['new'])).toEqual([]);
    expect(tagsOverBrandLimit(MAX_TAGS_PER_BRAND - 1, ['new', 'newer', 'new'])).toEqual(['new', 'newer']);
  });

  it('counts a creator’s tags with those added, repeats once', () => {
    const ten = Array.from({ length: MAX_TAGS_PER_CREATOR }, (_, i) => `t${i}`);
    expect(tagsOverCreatorLimit(ten)).toBe(0);
    expect(tagsOverCreatorLimit(ten, ['t1', 't2'])).toBe(0);
    expect(tagsOverCreatorLimit(ten, ['t11', 't12'])).toBe(12);
    expect(tagsOverCreatorLimit([], ten)).toBe(0);
  });
});

describe('sameTags', () => {
  it('compares as sets, whatever order each side was sorted in', () => {
    // SQL sorts by code point, JS by UTF-16 unit: an astral letter and one at U+FA0E fall in different orders.
    expect(sameTags(['\uFA0E', '𐌰'], ['𐌰', '\uFA0E'])).toBe(true);
    expect(sameTags(['uk'], ['uk', 'us'])).toBe(false);
    expect(sameTags(['uk', 'us'], ['uk', 'wave 2'])).toBe(false);
    expect(sameTags([], [])).toBe(true);
  });
});

describe('segmentsOf', () => {
  const creator = (enrollmentId: string, revenueMinor: number, costMinor: number, status = 'active') =>
    ({ enrollmentId, creatorId: enrollmentId, handle: enrollmentId, name: enrollmentId, paymentModel: 'affiliate', status, enrolledAt: 0, activeSince: 0, uniqueClicks: 10, conversions: revenueMinor > 0 ? 1 : 0, linkConversions: 0, validatedConversions: 0, revenueMinor, costMinor, postsLive: 0, drafts: 0, comments: 0, saves: 0, shares: 0, recentActivity: 0, contentDueAt: null, firstDraft: null }) as CreatorInputs;
  const creators = [creator('a', 6_000, 600), creator('b', 3_000, 300, 'removed'), creator('c', 1_000, 100), creator('d', 0, 0)];
  const labels = new Map<string, SegmentLabels>([
    ['a', { niche: 'Skincare', platform: 'instagram', tags: ['uk', 'wave 2'] }],
    ['b', { niche: 'skincare ', platform: null, tags: ['uk'] }],
    ['c', { niche: 'grooming', platform: 'tiktok', tags: [] }],
  ]);
  const total = summarize(creators, null);

  it('adds niches up to the network, one segment however a niche is spelled, Not set last', () => {
    const { network, segments } = segmentsOf(creators, labels, 'niche');
    expect(segments.map((r) => [r.value, r.creators, r.revenueMinor, r.costMinor, r.revenuePerCreatorMinor, r.revenueShare])).toEqual([
      ['Skincare', 2, 9_000, 900, 4_500, 0.9],
      ['grooming', 1, 1_000, 100, 1_000, 0.1],
      [null, 1, 0, 0, 0, 0],
    ]);
    // The whole network's row is the network's totals, with its own revenue per creator.
    expect(network).toEqual({ creators: 4, uniqueClicks: total.uniqueClicks, conversions: total.conversions, revenueMinor: total.revenueMinor, costMinor: total.costMinor, revenuePerCreatorMinor: 2_500 });
    for (const k of ['creators', 'uniqueClicks', 'conversions', 'revenueMinor', 'costMinor'] as const) expect(segments.reduce((t, r) => t + r[k], 0)).toBe(network[k]);
  });

  it('counts a creator with several tags in each of them', () => {
    const { segments } = segmentsOf(creators, labels, 'tag');
    expect(segments.map((r) => [r.value, r.creators, r.revenueMinor])).toEqual([
      ['uk', 2, 9_000],
      ['wave 2', 1, 6_000],
      [null, 2, 1_000],
    ]);
  });

  it('rounds shares to four decimals and revenue per creator to the minor unit, half up', () => {
    const thirds = [creator('a', 1_000, 0), creator('b', 1_000, 0), creator('c', 1_000, 0)];
    const split = new Map<string, SegmentLabels>([
      ['a', { niche: 'one', platform: null, tags: [] }],
      ['b', { niche: 'two', platform: null, tags: [] }],
      ['c', { niche: 'two', platform: null, tags: [] }],
    ]);
    const { network, segments } = segmentsOf(thirds, split, 'niche');
    expect(segments.map((r) => [r.value, r.revenueShare])).toEqual([
      ['two', 0.6667],
      ['one', 0.3333],
    ]);
    expect(network.revenuePerCreatorMinor).toBe(1_000);
    // 1,001 over 2 creators is 500.5: rounded half up, as the network's cost per engagement is.
    expect(segmentsOf([creator('a', 1_001, 0), creator('b', 0, 0)], split, 'platform').network.revenuePerCreatorMinor).toBe(501);
  });

  it('has no share while the network has no revenue, and no rows nor revenue per creator without creators', () => {
    expect(segmentsOf([creator('a', 0, 0)], labels, 'platform').segments.every((r) => r.revenueShare === null)).toBe(true);
    expect(segmentsOf([], labels, 'tag')).toEqual({ network: { creators: 0, uniqueClicks: 0, conversions: 0, revenueMinor: 0, costMinor: 0, revenuePerCreatorMinor: null }, segments: [] });
  });
});
