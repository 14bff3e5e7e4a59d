import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64url, newClickId, randomToken } from '../../../worker/lib/ids';

const viaBtoa = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');

describe('ids', () => {
  it('encodes base64url exactly as btoa does, for every length', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 70 }), (bytes) => {
        expect(base64url(bytes)).toBe(viaBtoa(bytes));
      }), { numRuns: 500 });
  });

  it('encodes a range of the bytes exactly as it encodes a copy of that range', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), fc.nat(40), fc.nat(40), (bytes, a, b) => {
        const [start, end] = [Math.min(a, b, bytes.length), Math.min(Math.max(a, b), bytes.length)];
        expect(base64url(bytes, start, end)).toBe(viaBtoa(bytes.slice(start, end)));
      }), { numRuns: 500 });
  });

  it('never hands out the same random bytes twice, across pool refills', () => {
    // 4096-byte pool, 16 bytes an id: 1,000 ids refill it three times.
    const ids = Array.from({ length: 1000 }, () => newClickId());
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => /^[A-Za-z0-9_-]{22}$/.test(id))).toBe(true);
    expect(randomToken(5000)).toMatch(/^[A-Za-z0-9_-]{6667}$/); // larger than the pool: drawn on its own
  });
});
