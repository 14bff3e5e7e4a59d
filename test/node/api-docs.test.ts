// The API description as a stranger meets it: served by the real worker (bundled by wrangler, run in
// workerd), /openapi.json valid OpenAPI 3.1, /docs readable in Chromium at phone and desktop width
// (no sideways scrolling, axe clean), and the signed-call example on /docs working when pasted into bash.
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeSource, launchBrowser, ROOT, startChorus, type ChorusServer } from '../e2e/server';

const SHOTS = path.join(ROOT, 'test-results', 'screenshots');
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

let server: ChorusServer;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  [server, browser] = await Promise.all([startChorus(), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

type AxeResult = { violations: { id: string; impact: string; nodes: { target: string[] }[] }[] };

async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: axeSource() });
  const result = await page.evaluate(() => (window as unknown as { axe: { run: (ctx: Document) => Promise<AxeResult> } }).axe.run(document));
  return result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
}

describe('the served API description', () => {
  it('serves /openapi.json that validates as OpenAPI 3.1', async () => {
    const res = await fetch(`${server.url}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { servers: { url: string }[] };
    expect(doc.servers).toEqual([{ url: server.url }]);
    const result = await new Validator().validate(doc);
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 2)).toEqual([]);
  });

  it('renders /docs for a phone and a desktop: no sideways scrolling, axe clean', async () => {
    const context = await browser.newContext({ javaScriptEnabled: true });
    const page = await context.newPage();
    try {
      for (const size of [PHONE, DESKTOP]) {
        await page.setViewportSize(size);
        await page.goto(`${server.url}/docs`);
        await expect.poll(() => page.title()).toBe('API reference · Chorus');
        const layout = await page.evaluate(() => ({
          overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
          operations: document.querySelectorAll('article.op h3').length,
        }));
        expect(layout.overflow, `horizontal overflow at ${size.width}px`).toBeLessThanOrEqual(0);
        expect(layout.operations).toBeGreaterThan(40);
        await page.locator('#postV1Conversions').scrollIntoViewIfNeeded();
        await page.screenshot({ path: path.join(SHOTS, `api-docs-${size.width}.png`) });
        expect.soft(await axeViolations(page), `axe on /docs at ${size.width}px`).toEqual([]);
      }
    } finally {
      await context.close();
    }
  });

  it('has a signed-conversion example that works when pasted into bash', async () => {
    const keyRes = await fetch(`${server.url}/api/admin/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ scope: 'ingest', name: 'docs example' }),
    });
    expect(keyRes.status).toBe(201);
    const secret = ((await keyRes.json()) as { data: { key: string } }).data.key;

    const page = await browser.newPage();
    await page.goto(`${server.url}/docs`);
    const script = await page.locator('#postV1Conversions pre.request-example').innerText();
    await page.close();
    expect(script).toContain('openssl dgst -sha256 -hmac');

    const run = await promisify(execFile)('bash', ['-c', `set -euo pipefail\n${script} --silent --show-error --write-out '\\n%{http_code}'`], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', CHORUS_INGEST_SECRET: secret, CHORUS_BRAND_SLUG: server.brand.slug },
    });
    const [body, status] = run.stdout.trim().split('\n');
    expect(status, body).toBe('201');
    expect(JSON.parse(body!)).toMatchObject({ data: { orderId: 'order-1001', amountMinor: 4999, currency: 'USD' } });
  });
});
