// Program terms in a real Chromium: the owner publishes them on Settings, a creator reads and ticks them to join,
// and later accepts a new version from the notice on their home page; the brand reads each version and who accepted it. Each page is screenshotted at phone and
// desktop width and checked with axe-core and for sideways scrolling.
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { adminApi, browserStory, captureChecked, CONSOLE_OWNER as OWNER, DESKTOP, joinFromInvite, navigate, PHONE, signInToConsole } from './server';

const story = browserStory({ screenshots: 'program-terms', owner: OWNER });
const TERMS = `Fernway creator program terms

1. Disclose every post with #ad at the start of the caption, and say it out loud in videos.
2. No medical claims: never say a product treats eczema or any other condition.
3. Commission is paid monthly on orders that are not refunded within 30 days. See https://fernway.example/terms for the full text.

Either side may end the partnership at any time; what you earned until then is paid as usual.`;

const capture = (page: Page, name: string) => captureChecked(page, name, (w) => path.join(story.shots, `${name}-${w}.png`), { endAt: PHONE });

describe('program terms in Chromium', () => {
  it('publishes terms on Settings, joins with the tick, and accepts a new version from home', { timeout: 240_000 }, async () => {
    const { server, browser } = story;
    // ----- The owner publishes the terms on Settings -----
    const consoleContext = await browser.newContext({ viewport: DESKTOP });
    const cp = await consoleContext.newPage();
    await signInToConsole(cp, server);
    await cp.goto(`${server.url}/console/settings#terms`);
    await cp.getByLabel('Your terms').fill(TERMS);
    await navigate(cp, () => cp.getByRole('button', { name: 'Publish as version 1' }).click(), /\/console\/settings\?flash=terms/);
    expect(await cp.locator('#terms').innerText()).toContain('Version 1, published');
    await capture(cp, '01-settings-terms');

    // ----- A creator invited to a campaign -----
    const plan = await adminApi<{ id: string }>(server, 'POST', '/commission-plans', { name: 'Standard', period: 'month', tiers: [{ fromMinor: 0, rateBps: 1000 }] });
    const campaign = await adminApi<{ id: string }>(server, 'POST', '/campaigns', { name: 'Spring Ritual', slug: 'spring-ritual', hashtag: '#SpringRitual', defaultDestination: 'https://fernway.example/night-balm', commissionPlanId: plan.id, holdingDays: 30, applicationsOpen: true });
    const email = 'maya.lindqvist@creators.example';
    const creator = await adminApi<{ id: string }>(server, 'POST', '/creators', { email, handle: 'maya_moss', displayName: 'Maya Lindqvist' });
    await adminApi(server, 'POST', '/enrollments', { campaignId: campaign.id, creatorId: creator.id, paymentModel: 'affiliate' });
    const { inviteUrl } = await adminApi<{ inviteUrl: string }>(server, 'POST', `/creators/${creator.id}/invite`);
    const context = await browser.newContext({ viewport: PHONE });
    const page = await context.newPage();
    await joinFromInvite(page, server, { inviteUrl, email, password: 'cold mornings, warm balm', accept: false });
    expect(await page.locator('main').innerText()).toContain('program terms (version 1)');
    await capture(page, '02-home-invitation');

    // ----- Joining: the terms on their own page, the tick required -----
    await navigate(page, () => page.getByRole('link', { name: 'Read the terms and accept' }).click(), /\/invitations\/.+\/accept$/);
    expect(await page.locator('main').innerText()).toContain('No medical claims');
    await capture(page, '03-join-terms');
    await page.getByRole('checkbox', { name: /I accept .* program terms \(version 1\)/ }).check();
    await navigate(page, () => page.getByRole('button', { name: /Accept and join/ }).click(), /\/\?accepted=1$/);

    // ----- A new version: the notice, its page, the acceptance -----
    await adminApi(server, 'PUT', '/brand/terms', { text: `${TERMS}\n\n4. New: post within 14 days of receiving a gift.` });
    await page.goto(`${server.url}/`);
    expect(await page.locator('main').innerText()).toContain('updated its program terms');
    await capture(page, '04-home-terms-notice');
    await navigate(page, () => page.getByRole('link', { name: /^Read .+’s terms$/ }).click(), /\/terms\/.+$/);
    await capture(page, '05-terms-update');
    await page.getByRole('checkbox', { name: /version 2/ }).check();
    await navigate(page, () => page.getByRole('button', { name: 'Accept version 2' }).click(), /\/\?terms=accepted$/);
    expect(await page.locator('main').innerText()).not.toContain('updated its program terms');

    // ----- The public application page: the terms and the tick above the send button -----
    const applicant = await browser.newContext({ viewport: PHONE });
    const ap = await applicant.newPage();
    await ap.goto(`${server.url}/apply/${server.brand.slug}/spring-ritual`);
    expect(await ap.locator('main').innerText()).toContain('4. New: post within 14 days');
    await capture(ap, '07-apply-terms');
    await applicant.close();

    // ----- The brand sees it -----
    await cp.goto(`${server.url}/console/creators`);
    expect(await cp.locator('main').innerText()).toContain('Terms v2');
    await capture(cp, '06-roster');

    // ----- The history: every version on Settings, each with its text and who accepted it -----
    await navigate(cp, () => cp.getByRole('link', { name: 'Terms v2' }).click(), /\/console\/settings\/terms\/2$/);
    const version2 = await cp.locator('main').innerText();
    expect(version2).toContain('4. New: post within 14 days');
    expect(version2).toContain('@maya_moss');
    await capture(cp, '08-terms-version');
    await navigate(cp, () => cp.getByRole('link', { name: /Earlier version/ }).click(), /\/console\/settings\/terms\/1$/);
    expect(await cp.locator('main').innerText()).toContain('When joining');
    await cp.goto(`${server.url}/console/settings#terms`);
    expect(await cp.locator('#terms').innerText()).toMatch(/Version 2[\s\S]*1 creator[\s\S]*Version 1[\s\S]*1 creator/);
    await capture(cp, '09-settings-versions');
    await consoleContext.close();
    await context.close();
  });
});
