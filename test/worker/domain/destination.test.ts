import { describe, expect, it } from 'vitest';
import { checkDestination, hostMatchesRule } from '../../../worker/domain/destination';

const hosts = ['shop.example', '*.brand.example'];

describe('checkDestination', () => {
  it.each([
    'https://shop.example/',
    'https://shop.example/spring?color=red#top',
    'https://eu.brand.example/p/1',
    'https://a.b.brand.example/',
    'HTTPS://SHOP.EXAMPLE/x',
  ])('accepts %s', (url) => {
    expect(checkDestination(url, hosts).ok).toBe(true);
  });

  it.each([
    ['javascript:alert(1)', 'https_required'],
    ['data:text/html,<script>alert(1)</script>', 'https_required'],
    ['//shop.example/x', 'https_required'],
    ['http://shop.example/x', 'https_required'],
    ['ftp://shop.example/x', 'https_required'],
    ['https://shop.example@evil.example/', 'userinfo_not_allowed'],
    ['https://user:pass@shop.example/', 'userinfo_not_allowed'],
    ['https://evil.example/?next=shop.example', 'host_not_allowed'],
    ['https://shop.example.evil.example/', 'host_not_allowed'],
    ['https://evilshop.example/', 'host_not_allowed'],
    ['https://xn--shp-ned.example/', 'host_not_allowed'],
    ['https://shоp.example/', 'host_not_allowed'], // Cyrillic о
    ['https://brand.example/', 'host_not_allowed'], // apex is not a subdomain rule match
    ['https://shop.example./', 'host_not_allowed'],
    ['https://shop.example:8443/', 'port_not_allowed'],
    ['https://shop.example\\@evil.example/', 'unsafe_characters'],
    ['https:\\\\evil.example', 'unsafe_characters'],
    ['https://shop.example/\r\nSet-Cookie:x=1', 'unsafe_characters'],
    ['https://shop.example/a\tb', 'unsafe_characters'],
    [' https://shop.example/', 'unsafe_characters'],
    ['https:///evil.example', 'https_required'],
    ['https://' + 'a'.repeat(2100), 'too_long'],
  ])('rejects %s (%s)', (url, reason) => {
    expect(checkDestination(url, hosts)).toEqual({ ok: false, reason });
  });

  it('normalises what it accepts', () => {
    expect(checkDestination('HTTPS://SHOP.EXAMPLE/x', hosts)).toEqual({ ok: true, url: 'https://shop.example/x' });
  });
});

describe('hostMatchesRule', () => {
  it('matches exact hosts and explicit subdomain rules only', () => {
    expect(hostMatchesRule('shop.example', 'shop.example')).toBe(true);
    expect(hostMatchesRule('www.shop.example', 'shop.example')).toBe(false);
    expect(hostMatchesRule('www.shop.example', '*.shop.example')).toBe(true);
    expect(hostMatchesRule('shop.example', '*.shop.example')).toBe(false);
    expect(hostMatchesRule('evilshop.example', '*.shop.example')).toBe(false);
  });
});
