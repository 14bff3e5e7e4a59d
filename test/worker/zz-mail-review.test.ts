// Review scratch tests for 631f80b (mail through a provider's HTTP API). Each test states the behaviour a
// user should get; a failure is a finding.
import { SELF } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import { logTransport, MailError, setTransport } from '../../worker/lib/messages';
import { BASE, createMoneyBrand, json } from './fixtures';

afterEach(() => setTransport(logTransport));

describe('review: mail that does not leave', () => {
  it('does not answer "mailed 5 links" (429) to parallel asks while none was mailed', async () => {
    const m = await createMoneyBrand();
    // The provider is down: each attempt takes a moment, then fails.
    setTransport(async () => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      throw new MailError('failed', 'provider down');
    });
    const answers = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const res = await m.brand.api('POST', `/api/admin/creators/${m.creator.id}/password-reset`);
        return { status: res.status, code: (await json<{ error?: { code: string; message: string } }>(res)).error?.code };
      }),
    );
    // Nothing left: every answer should say the mail is unavailable, none that the day's links are spent.
    expect(answers.filter((a) => a.code === 'rate_limited')).toEqual([]);
  });
});

describe('review: OpenAPI for mail_unavailable', () => {
  it("does not describe the password-reset 503 as 'Storage unavailable'", async () => {
    const doc = await json<{ paths: Record<string, Record<string, { responses: Record<string, { description: string }> }>> }>(await SELF.fetch(`${BASE}/openapi.json`));
    const op = doc.paths['/api/admin/creators/{id}/password-reset']?.post;
    const description = op?.responses['503']?.description ?? '';
    expect(description).toContain('mail_unavailable');
    expect(description).not.toMatch(/^Storage unavailable/);
  });
});
