import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hmacSha256, sha256 } from '../../../worker/lib/hmac-sha256';

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
const encoder = new TextEncoder();

async function webCryptoHmac(key: string, message: string): Promise<string> {
  const k = await crypto.subtle.importKey('raw', encoder.encode(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return hex(new Uint8Array(await crypto.subtle.sign('HMAC', k, encoder.encode(message))));
}

describe('HMAC-SHA256', () => {
  it('matches RFC 4231 test case 2 and the SHA-256 of the empty string', () => {
    expect(hex(hmacSha256('Jefe')('what do ya want for nothing?'))).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    expect(hex(sha256(new Uint8Array()))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('matches WebCrypto for every message length around the block and padding boundaries', async () => {
    const mac = hmacSha256('a daily key of ordinary length:2026-11-23');
    for (let length = 0; length <= 200; length++) {
      const message = 'x'.repeat(length);
      expect(hex(mac(message)), `length ${length}`).toBe(await webCryptoHmac('a daily key of ordinary length:2026-11-23', message));
    }
  });

  it('matches WebCrypto for random non-empty keys (longer than a block included) and Unicode messages', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 150, unit: 'binary' }), fc.string({ maxLength: 400, unit: 'binary' }), async (key, message) => {
        expect(hex(hmacSha256(key)(message))).toBe(await webCryptoHmac(key, message));
      }),
      { numRuns: 300 },
    );
  });
});
