// A tracked link's QR code in a real Chromium against the real worker: the creator finds it from their home
// page, the page shows it with what it opens and a download, and the brand downloads the same code from the
// console. The SVG as Chromium draws it is read back pixel by pixel and decoded (Chromium's BarcodeDetector is
// not built for Linux, so the test decoder reads the pixels instead), and every page is screenshotted at phone
// and desktop width (test-results/screenshots/qr-*) and checked with axe-core.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { decodeQr } from '../worker/qr-decoder';
import { adminApi, browserStory, captureChecked, joinFromInvite, PHONE, signInToConsole } from './server';

// What the pages name: links are made from PUBLIC_ORIGIN, as deployed; the browser still talks to the local port.
const PUBLIC = 'https://chorus.example';
const owner = { email: 'lena@fernway.example', name: 'Lena Fischer', password: 'fernway console 2026' };
const story = browserStory({ owner, vars: { PUBLIC_ORIGIN: PUBLIC } });

const admin = <T>(method: string, route: string, body?: unknown) => adminApi<T>(story.server, method, route, body);

const capture = (page: Page, name: string) => captureChecked(page, name, (w) => path.join(story.shots, `qr-${name}-${w}.png`), { fromTop: true, endAt: PHONE });

// The code as Chromium paints the image `selector` shows: drawn on a canvas at its natural size, every module's
// centre pixel read, dark below mid-grey. The quiet zone (4 modules) must be white all round.
async function modulesAsPainted(page: Page, selector: string): Promise<boolean[][]> {
  const { side, dark } = await page.locator(selector).evaluate(async (img: HTMLImageElement) => {
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const g = canvas.getContext('2d')!;
    g.drawImage(img, 0, 0);
    const { data } = g.getImageData(0, 0, canvas.width, canvas.height);
    const side = Number(/viewBox="0 0 (\d+)/.exec(await (await fetch(img.src)).text())![1]);
    const px = canvas.width / side;
    const dark: boolean[] = [];
    for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) dark.push(data[(Math.floor((y + 0.5) * px) * canvas.width + Math.floor((x + 0.5) * px)) * 4]! < 128);
    return { side, dark };
  });
  const grid = Array.from({ length: side }, (_, y) => dark.slice(y * side, (y + 1) * side));
  expect(grid.every((row, y) => row.every((d, x) => !d || (x >= 4 && y >= 4 && x < side - 4 && y < side - 4)))).toBe(true);
  return grid.slice(4, side - 4).map((row) => row.slice(4, side - 4));
}

async function newPage(context: BrowserContext, problems: string[]) {
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`page error on ${page.url()}: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console error on ${page.url()}: ${m.text()}`));
  return page;
}

describe('QR codes in Chromium', () => {
  it('gives a creator a code that scans to their link, and the brand the same one', async () => {
    const { server, browser, shots } = story;
    const campaign = await admin<{ id: string }>('POST', '/campaigns', { name: 'Lumen Glow', slug: 'lumen-glow', hashtag: '#LumenGlow', defaultDestination: 'https://fernway.example/lumen-serum' });
    const email = 'sarah@creators.example';
    const creator = await admin<{ id: string }>('POST', '/creators', { email, handle: 'sarah_lumen', displayName: 'Sarah Lumen' });
    const enrollment = await admin<{ id: string }>('POST', '/enrollments', { campaignId: campaign.id, creatorId: creator.id, paymentModel: 'affiliate' });
    await admin('POST', '/links', { enrollmentId: enrollment.id, slug: 'sarah-lumen' });
    await admin('POST', '/codes', { enrollmentId: enrollment.id, code: 'SARAH15', discountType: 'percent', discountValue: 15 });
    const { inviteUrl } = await admin<{ inviteUrl: string }>('POST', `/creators/${creator.id}/invite`);

    const problems: string[] = [];
    const context = await browser.newContext({ viewport: PHONE, acceptDownloads: true });
    const page = await newPage(context, problems);
    // ----- Sarah joins (the mailed link, a password, Accept) and finds her code from home -----
    await joinFromInvite(page, server, { inviteUrl, email, password: 'glowing every morning', accept: true });
    expect(await page.getByLabel('Your tracked link').inputValue()).toBe(`${PUBLIC}/r/sarah-lumen`);
    await capture(page, 'creator-home');

    await Promise.all([page.waitForURL(/\/links\/sarah-lumen\/qr$/), page.getByRole('link', { name: 'QR code for your link to fernway.example/lumen-serum' }).click()]);
    expect(await page.locator('h1').innerText()).toBe('Your QR code');
    const image = page.getByRole('img', { name: 'QR code for chorus.example/r/sarah-lumen' });
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
    await capture(page, 'creator-page');

    // ----- What Chromium paints is the code of the very link the home page shows -----
    const decoded = decodeQr(await modulesAsPainted(page, 'main .qr img'));
    expect(decoded.text).toBe(`${PUBLIC}/r/sarah-lumen`);
    expect(decoded.ecLevel).toBe('M');
    // And as a file: the SVG alone in a page at 8 px a module, screenshotted to a PNG (for a person, or zbarimg, to check).
    const svg = await (await page.request.get(`${server.url}/links/sarah-lumen/qr.svg`)).text();
    const viewer = await newPage(context, problems);
    await viewer.setViewportSize({ width: 400, height: 400 });
    await viewer.setContent(`<body style="margin:0;background:#777">${svg.replace('<svg ', '<svg style="display:block;width:296px;height:296px" ')}</body>`);
    writeFileSync(path.join(shots, 'qr-sarah-lumen.svg'), svg);
    await viewer.locator('svg').screenshot({ path: path.join(shots, 'qr-sarah-lumen.png') });
    await viewer.close();

    // ----- The download is the SVG, named after the link -----
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download QR code (SVG)' }).click()]);
    expect(download.suggestedFilename()).toBe('sarah-lumen-qr.svg');
    const file = path.join(shots, 'qr-download.svg');
    await download.saveAs(file);
    expect((await import('node:fs')).readFileSync(file, 'utf8')).toBe(svg);

    // ----- The brand's console: the same code for the same link, under "QR code" on the creator's page -----
    const team = await browser.newContext({ viewport: PHONE, acceptDownloads: true });
    const brandPage = await newPage(team, problems);
    await signInToConsole(brandPage, server, owner);
    await brandPage.goto(`${server.url}/console/campaigns/${campaign.id}/creators/${enrollment.id}`);
    await brandPage.locator('summary', { hasText: 'QR code (the link to fernway.example/lumen-serum)' }).click();
    const brandImage = brandPage.getByRole('img', { name: 'QR code for chorus.example/r/sarah-lumen' });
    await expect.poll(() => brandImage.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
    expect(decodeQr(await modulesAsPainted(brandPage, 'main .qr img')).text).toBe(`${PUBLIC}/r/sarah-lumen`);
    await capture(brandPage, 'console-creator');
    const [brandDownload] = await Promise.all([brandPage.waitForEvent('download'), brandPage.getByRole('link', { name: 'Download QR code (SVG) for the link to fernway.example/lumen-serum' }).click()]);
    expect(brandDownload.suggestedFilename()).toBe('sarah-lumen-qr.svg');

    await context.close();
    await team.close();
    expect(problems).toEqual([]);
  });
});
