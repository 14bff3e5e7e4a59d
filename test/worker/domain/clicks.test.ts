import { describe, expect, it } from 'vitest';
import { referrerHost } from '../../../worker/domain/clicks';

// The definition the fast path must agree with.
function parsedHost(referer: string | null): string | null {
  if (!referer) return null;
  try {
    return new URL(referer).hostname.slice(0, 253) || null;
  } catch {
    return null;
  }
}

describe('referrerHost', () => {
  it('reads the host of the referers clicks carry', () => {
    expect(referrerHost('https://l.instagram.com/')).toBe('l.instagram.com');
    expect(referrerHost('https://www.TikTok.com/@sarah?lang=en')).toBe('www.tiktok.com');
    expect(referrerHost('http://t.co')).toBe('t.co');
    expect(referrerHost('android-app://com.google.android.gm/')).toBe('com.google.android.gm');
    expect(referrerHost(null)).toBeNull();
    expect(referrerHost('')).toBeNull();
    expect(referrerHost('not a url')).toBeNull();
  });

  it('answers exactly as URL parsing does, for every form it reads itself and every form it hands over', () => {
    const cases = [
      'https://l.instagram.com/',
      'https://l.instagram.com',
      'https://l.instagram.com?x=1',
      'https://l.instagram.com#frag',
      'HTTPS://EXAMPLE.COM/path',
      'https://example.com.:443/',
      'https://example.com./',
      'https://example.com:8443/',
      'https://example.com:99999/',
      'https://user:pass@example.com/',
      'https://example.com@evil.example/',
      'https://[2001:db8::1]/',
      'https://0x7f.1/',
      'https://2130706433/',
      'https://127.0.0.1/',
      'https://1.2.3.4./',
      'https://a.b.0x/',
      'https://a.123/',
      'https://123.a/',
      'https://xn--bcher-kva.de/',
      'https://xn--zz/',
      'https://bücher.de/',
      'https://ex%41mple.com/',
      'https://exa mple.com/',
      'https:\\\\example.com\\path',
      'https:example.com',
      'https:///example.com',
      'https://-a-.example/',
      'https://a..b/',
      'https://a.1../',
      'https://a.0X./',
      'https://0x/',
      'https://a.08/',
      ' https://a.com/',
      'ht\ttps://a.com/',
      'Https://A.com/',
      'https://./',
      'https://../',
      `https://${'a'.repeat(253)}/`,
      `https://${'a'.repeat(300)}/`,
      `https://${'a.'.repeat(140)}com/`,
      'ftp://files.example/',
      'javascript:alert(1)',
      'data:text/html,hi',
      '//example.com/',
      'https://example.com\t/',
      'https://exam\nple.com/',
    ];
    for (const referer of cases) expect([referer, referrerHost(referer)]).toEqual([referer, parsedHost(referer)]);
  });

  it('agrees with URL parsing on random referers', () => {
    const alphabet = 'aZ09.-_:/?#@%[]\\xn-0x.éß ';
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 3000; i++) {
      const length = 1 + Math.floor(random() * 24);
      let host = '';
      for (let j = 0; j < length; j++) host += alphabet[Math.floor(random() * alphabet.length)];
      const referer = `${random() < 0.5 ? 'https' : 'http'}://${host}${random() < 0.5 ? '/' : ''}`;
      expect([referer, referrerHost(referer)]).toEqual([referer, parsedHost(referer)]);
    }
  });
});
