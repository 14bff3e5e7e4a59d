// Which transport a worker's settings make (lib/messages.ts). test/e2e/mail.test.ts sends through a real
// HTTP provider on 127.0.0.1; test/worker/routes/portal.test.ts covers what the pages say when a mail fails.
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAIL_API_URL, mailSetup, redactLinks } from '../../../worker/lib/messages';

const KEY = 're_test_0123456789';
const FROM = 'Chorus <no-reply@mail.chorus.test>';

describe('mailSetup', () => {
  it('logs in local development and tests, and has nothing to send with on a deploy without a provider', () => {
    expect(mailSetup({ ENVIRONMENT: 'development' })).toEqual({ kind: 'log' });
    expect(mailSetup({ ENVIRONMENT: 'test' })).toEqual({ kind: 'log' });
    for (const ENVIRONMENT of ['staging', 'production']) {
      expect(mailSetup({ ENVIRONMENT })).toMatchObject({ kind: 'unconfigured', problem: expect.stringContaining('MAIL_API_KEY') });
      expect(mailSetup({ ENVIRONMENT, MAIL_API_KEY: '  ', MAIL_FROM: '' }).kind).toBe('unconfigured');
    }
  });

  it("sends through Resend's API by default, or any https API with the same shape", () => {
    expect(mailSetup({ ENVIRONMENT: 'production', MAIL_API_KEY: KEY, MAIL_FROM: FROM })).toEqual({ kind: 'http', url: DEFAULT_MAIL_API_URL, key: KEY, from: FROM });
    expect(mailSetup({ ENVIRONMENT: 'production', MAIL_API_KEY: KEY, MAIL_FROM: 'no-reply@mail.chorus.test', MAIL_API_URL: 'https://api.mail.example/v2/emails' })).toMatchObject({
      kind: 'http',
      url: 'https://api.mail.example/v2/emails',
    });
    // A configured provider is used locally too, so a developer can try the real thing.
    expect(mailSetup({ ENVIRONMENT: 'development', MAIL_API_KEY: KEY, MAIL_FROM: FROM }).kind).toBe('http');
  });

  it('refuses half or wrong settings rather than guess', () => {
    const problem = (env: Record<string, string>) => {
      const setup = mailSetup({ ENVIRONMENT: 'production', ...env });
      return setup.kind === 'unconfigured' ? setup.problem : null;
    };
    expect(problem({ MAIL_API_KEY: KEY })).toContain('MAIL_FROM');
    expect(problem({ MAIL_FROM: FROM })).toContain('MAIL_API_KEY');
    for (const from of ['Chorus', 'no-reply', '<no-reply@x>', 'a@b@c.d', 'Chorus <no-reply@mail.chorus.test', 'X\nBcc: y <a@b.co>', 'X\r <a@b.co>']) expect(problem({ MAIL_API_KEY: KEY, MAIL_FROM: from })).toContain('MAIL_FROM must be');
    for (const url of ['http://api.mail.example/emails', 'ftp://api.mail.example', 'not a url', 'https://user:pass@api.mail.example/emails', 'http://127.0.0.1:8025/emails']) {
      expect(problem({ MAIL_API_KEY: KEY, MAIL_FROM: FROM, MAIL_API_URL: url })).toContain('MAIL_API_URL');
    }
    // A local stand-in provider over plain http is for local runs only.
    expect(mailSetup({ ENVIRONMENT: 'development', MAIL_API_KEY: KEY, MAIL_FROM: FROM, MAIL_API_URL: 'http://127.0.0.1:8025/emails' }).kind).toBe('http');
    expect(mailSetup({ ENVIRONMENT: 'development', MAIL_API_KEY: KEY, MAIL_FROM: FROM, MAIL_API_URL: 'http://mail.example/emails' }).kind).toBe('unconfigured');
  });
});

describe('redactLinks', () => {
  it("leaves out a link's token and its query, where an invitation mail's password proof travels", () => {
    const token = 'A'.repeat(43);
    expect(redactLinks(`Open your invitation: https://c.example/invite/${token}?k=${'f'.repeat(64)}&t=1765000000000\n\nThere you choose`)).toBe('Open your invitation: https://c.example/invite/:token\n\nThere you choose');
    expect(redactLinks(`https://c.example/reset/${token} works`)).toBe('https://c.example/reset/:token works');
    expect(redactLinks(`<https://c.example/v1/unsubscribe/${token}>`)).toBe('<https://c.example/v1/unsubscribe/:token>');
  });
});
