// Declining an order's commission in a real Chromium: the owner opens Decline on the Orders page, reads what the
// creator loses, picks a reason and a note and confirms; the row then shows it declined with Reinstate, and the
// creator's Stats page shows "Declined by <brand>". Reinstate gives it back. Screenshotted at phone and desktop
// width, checked with axe-core and for sideways scrolling.
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { adminApi, browserStory, captureChecked, CONSOLE_OWNER as OWNER, DESKTOP, joinFromInvite, mayaWithCode, navigate, PHONE, postConversion, signInToConsole } from './server';

const story = browserStory({ screenshots: 'declines', owner: OWNER });
const capture = (page: Page, name: string) => captureChecked(page, name, (w) => path.join(story.shots, `${name}-${w}.png`), { endAt: DESKTOP });

describe('declining an order in Chromium', () => {
  it('the owner declines a test order with a reason the creator reads, then reinstates it', { timeout: 240_000 }, async () => {
    const { server, browser } = story;
    const { campaign, ingest, email, creator, enrollment } = await mayaWithCode(server);
    const { inviteUrl } = await adminApi<{ inviteUrl: string }>(server, 'POST', `/creators/${creator.id}/invite`);
    const context = await browser.newContext({ viewport: PHONE });
    const cpage = await context.newPage();
    await joinFromInvite(cpage, server, { inviteUrl, email, password: 'cold mornings, warm balm', accept: true });
    await postConversion(server, ingest.key, { orderId: 'fw-1042', amountMinor: 8_400, code: 'MAYA15' });
    await postConversion(server, ingest.key, { orderId: 'fw-1043-staff-test', amountMinor: 12_900, code: 'MAYA15' });

    const owner = await browser.newContext({ viewport: DESKTOP });
    const page = await owner.newPage();
    await signInToConsole(page, server);
    await page.goto(`${server.url}/console/orders`);
    const row = page.locator('tr', { hasText: 'fw-1043-staff-test' });
    await navigate(page, () => row.getByRole('link', { name: 'Decline…' }).click(), /\/decline$/);
    expect(await page.locator('main').innerText()).toContain('Its commission, $12.90 on this $129.00 order: taken back');
    await page.getByLabel('Reason').selectOption('test_order');
    await page.getByLabel(/^Note for the creator/).fill('Placed by our team to test the new checkout');
    await capture(page, '01-confirm');
    await navigate(page, () => page.getByRole('button', { name: 'Decline the commission' }).click(), /flash=declined/);
    expect(await page.locator('main').innerText()).toContain('Declined · Test order');
    // The whole list, with the declined order among the others.
    await page.goto(`${server.url}/console/orders`);
    expect(await page.locator('tr', { hasText: 'fw-1043-staff-test' }).innerText()).toContain('Declined · Test order');
    await capture(page, '02-orders-declined');

    await cpage.goto(`${server.url}/stats/${enrollment.id}`);
    const orders = await cpage.locator('.order-list').innerText();
    expect(orders).toContain('Declined by');
    expect(orders).toContain('Test order — Placed by our team to test the new checkout');
    await cpage.locator('.order-list').scrollIntoViewIfNeeded();
    await capture(cpage, '03-creator-stats');

    await page.goto(`${server.url}/console/orders?order=fw-1043-staff-test`);
    await navigate(page, () => page.getByRole('button', { name: 'Reinstate' }).click(), /flash=reinstated/);
    expect(await page.locator('main').innerText()).toContain('$12.90');
    expect(await page.locator('main').innerText()).not.toContain('Declined ·');
  });
});
