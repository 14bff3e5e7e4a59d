// The authenticator-app codes against the RFCs' own vectors: RFC 4226 Appendix D (HOTP) and RFC 6238 Appendix B
// (TOTP, the SHA-1 rows; the 8-digit values and their last six digits, which is what a 6-digit app shows).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, hotp, matchTotp, newTotpSecret, otpauthUri, sameCode, totpStep } from '../../../worker/lib/totp';

const RFC_SECRET = new TextEncoder().encode('12345678901234567890');
const RFC_SECRET_BASE32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

const RFC6238_SHA1: [seconds: number, code: string][] = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

describe('TOTP', () => {
  it('gives RFC 4226 HOTP values for counters 0 to 9', async () => {
    const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
    expect(await Promise.all(expected.map((_, counter) => hotp(RFC_SECRET, counter)))).toEqual(expected);
  });

  it('gives RFC 6238 SHA-1 values, in 8 digits and truncated to 6', async () => {
    for (const [seconds, code] of RFC6238_SHA1) {
      const step = totpStep(seconds * 1000);
      expect(await hotp(RFC_SECRET, step, 8), `T = ${seconds}`).toBe(code);
      expect(await hotp(RFC_SECRET, step), `T = ${seconds}`).toBe(code.slice(-6));
      expect(await matchTotp(RFC_SECRET_BASE32, code.slice(-6), seconds * 1000, -1)).toBe(step);
    }
  });

  it('takes a code of the step before or after now, once, and none further off', async () => {
    const now = 1234567890_000;
    const step = totpStep(now);
    const at = (s: number) => hotp(RFC_SECRET, s);
    expect(await matchTotp(RFC_SECRET_BASE32, await at(step - 1), now, -1)).toBe(step - 1);
    expect(await matchTotp(RFC_SECRET_BASE32, await at(step + 1), now, -1)).toBe(step + 1);
    expect(await matchTotp(RFC_SECRET_BASE32, await at(step - 2), now, -1)).toBeNull();
    expect(await matchTotp(RFC_SECRET_BASE32, await at(step + 2), now, -1)).toBeNull();
    // The last step taken, or an earlier one, is refused: a code replayed within its minute.
    expect(await matchTotp(RFC_SECRET_BASE32, await at(step), now, step)).toBeNull();
    expect(await matchTotp(RFC_SECRET_BASE32, await at(step - 1), now, step - 1)).toBeNull();
    expect(await matchTotp(RFC_SECRET_BASE32, await at(step + 1), now, step)).toBe(step + 1);
    for (const bad of ['', '12345', '1234567', 'abcdef', ' 123456']) expect(await matchTotp(RFC_SECRET_BASE32, bad, now, -1)).toBeNull();
  });

  it('encodes base32 as RFC 4648 does, and decodes it back', () => {
    expect(base32Encode(RFC_SECRET)).toBe(RFC_SECRET_BASE32);
    expect(base32Encode(new TextEncoder().encode('foobar'))).toBe('MZXW6YTBOI');
    expect(base32Decode('mzxw 6ytb oi======')).toEqual(new TextEncoder().encode('foobar'));
    expect(base32Decode('MZXW1')).toBeNull();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        expect(base32Decode(base32Encode(bytes))).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
    expect(newTotpSecret()).toMatch(/^[A-Z2-7]{32}$/);
  });

  it('compares codes whole and names the account in the URI', () => {
    expect(sameCode('123456', '123456')).toBe(true);
    expect(sameCode('123456', '123457')).toBe(false);
    expect(sameCode('123456', '12345')).toBe(false);
    expect(otpauthUri('ana@brand.example', RFC_SECRET_BASE32)).toBe(`otpauth://totp/Chorus:ana%40brand.example?secret=${RFC_SECRET_BASE32}&issuer=Chorus`);
    // Spaces, '&', '?' and '#' encoded; a colon, which would split the label, dropped.
    expect(otpauthUri('Acme: Skin & Co? #1 (ana@brand.example)', RFC_SECRET_BASE32)).toBe(
      `otpauth://totp/Chorus:Acme%20Skin%20%26%20Co%3F%20%231%20(ana%40brand.example)?secret=${RFC_SECRET_BASE32}&issuer=Chorus`,
    );
  });
});
