// Bounties in a real Chromium: the owner creates one on the campaign's Bounties tab (a bad target refused beside its
// field first), a creator's orders arrive, and the creator's home page shows them waiting out the campaign's holding
// period, then Earned once they cleared and the cron's evaluation paid it. Each page is screenshotted at phone and desktop width and checked with axe-core and
// for sideways scrolling.
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { awardBounties } from '../../worker/db/bounties';
import { adminApi, browserStory, captureChecked, CONSOLE_OWNER as OWNER, DESKTOP, joinFromInvite, mayaWithCode, navigate, PHONE, postConversion, signInToConsole } from './server';

const story = browserStory({ screenshots: 'bounties', owner: OWNER });

const DAY = 86_400_000;
// The last day of this month (UTC, the brand's timezone): a bounty "this month".
const lastDayOfMonth = () => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 0)).toISOString().slice(0, 10);
};

const capture = (page: Page, name: string) => captureChecked(page, name, (w) => path.join(story.shots, `${name}-${w}.png`), { endAt: DESKTOP });

describe('bounties in Chromium', () => {
  it('the brand creates a bounty, a creator sees progress, then Earned', { timeout: 240_000 }, async () => {
    const { server, browser } = story;
    const { campaign, ingest, email, creator, enrollment } = await mayaWithCode(server);

    // ----- The owner creates a bounty on the campaign's Bounties tab -----
    const owner = await browser.newContext({ viewport: DESKTOP });
    const cp = await owner.newPage();
    await signInToConsole(cp, server);
    await cp.goto(`${server.url}/console/campaigns/${campaign.id}`);
    await navigate(cp, () => cp.getByRole('link', { name: 'Bounties' }).click(), /\/bounties$/);
    await cp.getByLabel('Title').fill('Three sales this month');
    await cp.getByLabel('Target').fill('0');
    await cp.getByLabel(/^Reward/).fill('50.00');
    await cp.getByLabel('Last day').fill(lastDayOfMonth());
    await cp.getByRole('button', { name: 'Create the bounty' }).click();
    await cp.waitForLoadState();
    expect(await cp.locator('#target-error').innerText()).toContain('whole number');
    await capture(cp, '01-console-refused');
    await cp.getByLabel('Target').fill('3');
    await navigate(cp, () => cp.getByRole('button', { name: 'Create the bounty' }).click(), /flash=created/);
    const listed = await cp.locator('#bounty-list').innerText();
    expect(listed).toContain('Three sales this month');
    expect(listed).toContain('3 sales');
    expect(listed).toContain('$50.00');
    await capture(cp, '02-console-created');

    // ----- The creator joins, and two orders arrive -----
    const { inviteUrl } = await adminApi<{ inviteUrl: string }>(server, 'POST', `/creators/${creator.id}/invite`);
    const context = await browser.newContext({ viewport: PHONE });
    const page = await context.newPage();
    await joinFromInvite(page, server, { inviteUrl, email, password: 'cold mornings, warm balm', accept: true });
    for (const [i, amountMinor] of [4_200, 3_100].entries()) await postConversion(server, ingest.key, { orderId: `e2e-bounty-${i}`, amountMinor, code: 'MAYA15' });
    await page.goto(`${server.url}/`);
    // Orders wait out the campaign's 30-day holding period before they count.
    const progress = page.locator('.bounties');
    expect(await progress.innerText()).toContain('0 of 3 sales');
    expect(await progress.innerText()).toContain('2 more sales count once past the 30-day holding period');
    expect(await progress.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('0');
    await progress.scrollIntoViewIfNeeded();
    await capture(page, '03-home-progress');

    // ----- The third order, and once all three cleared their holding period the cron's evaluation pays it -----
    await postConversion(server, ingest.key, { orderId: 'e2e-bounty-2', amountMinor: 2_500, code: 'MAYA15' });
    expect((await awardBounties(await server.db(), Date.now())).length).toBe(0);
    expect((await awardBounties(await server.db(), Date.now() + 31 * DAY)).length).toBe(1);
    await page.goto(`${server.url}/`);
    expect(await page.locator('.bounties').innerText()).toContain('Earned $50.00');
    expect(await page.locator('.bounties').innerText()).toContain('3 of 3 sales');
    await page.locator('.bounties').scrollIntoViewIfNeeded();
    await capture(page, '04-home-earned');
    // The tab again, without the creation's flash from the earlier address.
    await cp.goto(`${server.url}/console/campaigns/${campaign.id}/bounties`);
    expect(await cp.locator('#bounty-list').innerText()).toContain('1 creator');
    await capture(cp, '05-console-reached');
    await context.close();
    await owner.close();
  });
});
