// Text people write for others to read (worker/lib/validate.ts plainText).
import { describe, expect, it } from 'vitest';
import { plainText } from '../../../worker/lib/validate';
import { createBrand, json } from '../fixtures';

describe('plainText', () => {
  const name = plainText(80);
  const prose = plainText(2200, 'many');

  it('refuses a text-direction override or isolate in a name, and keeps right-to-left writing', () => {
    for (const spoof of ['\u202eEvil😀', 'Sarah\u2066 Chen', '\u202aa', 'x\u2069']) expect(name.safeParse(spoof).success, JSON.stringify(spoof)).toBe(false);
    for (const real of ['سارة أحمد', 'שרה כהן', 'Zoë Ångström', 'Sarah\u200f Chen']) expect(name.safeParse(real).success, real).toBe(true);
    expect(prose.safeParse('Line one\n\u202bمرحبا\u202c #ad').success).toBe(true);
  });

  it('reaches the API as a 422 that writes nothing', async () => {
    const brand = await createBrand();
    const res = await brand.api('POST', '/api/admin/creators', { email: `bidi-${Date.now()}@creators.test`, handle: `bidi_${Date.now().toString(36)}`, displayName: '\u202eEvil😀' });
    expect(res.status).toBe(422);
    expect(JSON.stringify(await json(res))).toContain('No text-direction override characters.');
  });
});
