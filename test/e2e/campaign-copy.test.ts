// Copy campaign in a real Chromium: the owner copies a campaign for its next wave with its two creators ticked, lands
// on the new draft's brief with the confirmation, and a creator who was in the first wave finds the new invitation on
// their home page. Pages are screenshotted at phone and desktop width and checked with axe-core and for sideways scrolling.
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { adminApi, browserStory, captureChecked, CONSOLE_OWNER as OWNER, DESKTOP, joinFromInvite, navigate, signInToConsole } from './server';

const story = browserStory({ screenshots: 'campaign-copy', owner: OWNER });

const admin = <T>(method: string, route: string, body?: unknown) => adminApi<T>(story.server, method, route, body);
const capture = (page: Page, name: string) => captureChecked(page, name, (w) => path.join(story.shots, `${name}-${w}.png`), { fromTop: true });

describe('copy a campaign in Chromium', () => {
  it('copies a campaign with its two creators, lands on the copy, and a creator sees the new invitation', { timeout: 240_000 }, async () => {
    const { server, browser } = story;
    const plan = await admin<{ id: string }>('POST', '/commission-plans', { name: 'Standard', period: 'month', tiers: [{ fromMinor: 0, rateBps: 1000 }] });
    const source = await admin<{ id: string }>('POST', '/campaigns', {
      name: 'Spring drop',
      slug: 'spring-drop',
      hashtag: '#FernwaySpring',
      positioningAnchor: 'A night balm for skin that reacts to everything.',
      nonNegotiables: ['Show the balm in daylight'],
      defaultDestination: 'https://fernway.example/night-balm',
      commissionPlanId: plan.id,
      contentDueAt: '2199-04-30',
    });
    const people = [
      { email: 'maya@creators.example', handle: 'maya_moss', displayName: 'Maya Lindqvist' },
      { email: 'theo@creators.example', handle: 'theo.glow', displayName: 'Théo Marchand' },
    ];
    const creators = [];
    for (const p of people) {
      const creator = await admin<{ id: string }>('POST', '/creators', p);
      const enrollment = await admin<{ id: string }>('POST', '/enrollments', { campaignId: source.id, creatorId: creator.id, paymentModel: 'affiliate' });
      await admin('POST', '/codes', { enrollmentId: enrollment.id, code: `${p.handle.replace(/[^a-z]/g, '').toUpperCase()}15`, discountType: 'percent', discountValue: 15 });
      creators.push(creator);
    }

    // ----- Maya joins the first wave: her invite, a password, Accept -----
    const creatorContext = await browser.newContext({ viewport: DESKTOP });
    const creatorPage = await creatorContext.newPage();
    const { inviteUrl } = await admin<{ inviteUrl: string }>('POST', `/creators/${creators[0]!.id}/invite`);
    await joinFromInvite(creatorPage, server, { inviteUrl, email: people[0]!.email, password: 'balm before bed, every night', accept: true });

    // ----- The owner copies it -----
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    await signInToConsole(page, server);
    await page.goto(`${server.url}/console/campaigns/${source.id}`);
    await navigate(page, () => page.getByRole('link', { name: 'Copy campaign' }).click(), /\/copy$/);
    expect(await page.getByLabel('Name of the copy').inputValue()).toBe('Spring drop (copy)');
    const form = await page.locator('main').innerText();
    expect(form).toContain('Dates of this wave are not copied');
    for (const p of people) expect(await page.getByRole('checkbox', { name: new RegExp(`@${p.handle.replace('.', '\\.')}`) }).isChecked()).toBe(true);
    await capture(page, '01-copy-form');
    await page.getByLabel('Name of the copy').fill('Summer drop');
    await navigate(page, () => page.getByRole('button', { name: 'Copy the campaign' }).click(), /\/console\/campaigns\/cmp_[^/?]+\?flash=copied/);
    const status = await page.locator('main [role="status"]').first().innerText();
    expect(status).toContain('Copied from Spring drop: 2 creators invited');
    expect(await page.locator('h1').innerText()).toBe('Summer drop');
    expect(await page.locator('#contentDueOn').inputValue()).toBe('');
    await capture(page, '02-copy-landed');

    // ----- Maya sees the new wave's invitation -----
    await creatorPage.goto(`${server.url}/`);
    const home = await creatorPage.locator('main').innerText();
    expect(home).toContain('Summer drop');
    expect(home).toMatch(/invited you\s+Summer drop/i);
    await capture(creatorPage, '03-creator-home-invitation');
    await context.close();
    await creatorContext.close();
  });
});
