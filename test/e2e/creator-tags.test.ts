// Creator tags and the network's results by segment in a real Chromium: the owner tags a creator on their page,
// finds them on the roster by a tag chip, and reads the Network tab's "By segment" card by niche and by tag. Each page
// is screenshotted at phone and desktop width and checked with axe-core and for sideways scrolling.
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { adminApi, browserStory, captureChecked, CONSOLE_OWNER as OWNER, DESKTOP, navigate, PHONE, postConversion, signInToConsole } from './server';

const story = browserStory({ screenshots: 'creator-tags', owner: OWNER });

const capture = (page: Page, name: string) => captureChecked(page, name, (w) => path.join(story.shots, `${name}-${w}.png`), { endAt: DESKTOP });

describe('creator tags and results by segment in Chromium', () => {
  it('tags a creator, filters the roster by a chip, and groups the network by niche and tag', { timeout: 240_000 }, async () => {
    const { server, browser, shots } = story;
    const plan = await adminApi<{ id: string }>(server, 'POST', '/commission-plans', { name: 'Standard', period: 'month', tiers: [{ fromMinor: 0, rateBps: 1000 }] });
    const campaign = await adminApi<{ id: string }>(server, 'POST', '/campaigns', { name: 'Spring Ritual', slug: 'spring-ritual', hashtag: '#SpringRitual', defaultDestination: 'https://fernway.example/night-balm', commissionPlanId: plan.id, holdingDays: 30, status: 'active' });
    const ingest = await adminApi<{ key: string }>(server, 'POST', '/keys', { scope: 'ingest', name: 'e2e store' });
    const people = [
      { handle: 'maya_moss', name: 'Maya Lindqvist', niche: 'skincare', platform: 'instagram', tags: ['uk', 'wave 1', 'top tier'], sales: [8_400, 5_200] },
      { handle: 'theo.glow', name: 'Théo Marchand', niche: 'skincare', platform: 'tiktok', tags: ['france', 'wave 1'], sales: [4_900] },
      { handle: 'amara_b', name: 'Amara Bello', niche: 'grooming', platform: 'youtube', tags: ['uk', 'wave 2'], sales: [3_100] },
      { handle: 'jun.k', name: 'Jun Kimura', niche: null, platform: 'instagram', tags: [], sales: [] },
    ];
    let enrollmentOfFirst = '';
    let order = 0;
    for (const p of people) {
      const creator = await adminApi<{ id: string }>(server, 'POST', '/creators', { email: `${p.handle.replace('.', '_')}@creators.example`, handle: p.handle, displayName: p.name, niche: p.niche, platform: p.platform });
      const enrollment = await adminApi<{ id: string }>(server, 'POST', '/enrollments', { campaignId: campaign.id, creatorId: creator.id, paymentModel: 'affiliate' });
      enrollmentOfFirst ||= enrollment.id;
      const code = `${p.handle.replace(/[^a-z]/g, '').toUpperCase()}15`;
      await adminApi(server, 'POST', '/codes', { enrollmentId: enrollment.id, code, discountType: 'percent', discountValue: 15 });
      if (p !== people[0] && p.tags.length > 0) await adminApi(server, 'PUT', `/creators/${creator.id}/tags`, { tags: p.tags });
      for (const amountMinor of p.sales) await postConversion(server, ingest.key, { orderId: `e2e-tags-${order++}`, amountMinor, code });
    }

    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    await signInToConsole(page, server);

    // ----- Tagging Maya on her page, with a bad tag first -----
    const creatorPage = `${server.url}/console/campaigns/${campaign.id}/creators/${enrollmentOfFirst}`;
    await page.goto(creatorPage);
    await page.getByText('Edit tags').click();
    await page.getByLabel('Tags, separated by commas').fill('UK, wave 1, top tier!');
    await page.getByRole('button', { name: 'Save tags' }).click();
    await page.waitForLoadState();
    expect(await page.locator('#tags-error').innerText()).toContain('top tier!');
    await page.getByLabel('Tags, separated by commas').fill('UK, wave 1, Top  Tier');
    await navigate(page, () => page.getByRole('button', { name: 'Save tags' }).click(), /flash=tags_saved/);
    expect(await page.locator('.tag-chips').first().innerText()).toContain('top tier');
    // The confirmation is where the page lands (#tags-area), in view, not at the top of the page above it.
    const saved = page.locator('#tags-area [role="status"]');
    expect(await saved.innerText()).toContain('Tags saved');
    const inView = async () => {
      const [box, bar] = [await saved.boundingBox(), await page.locator('.topbar').boundingBox()];
      return Boolean(box && bar && box.y >= bar.y + bar.height && box.y + box.height <= page.viewportSize()!.height);
    };
    expect(await inView()).toBe(true);
    await page.screenshot({ path: path.join(shots, '01-tags-saved-landing-1280.png') });
    await page.setViewportSize(PHONE);
    await page.goto(page.url());
    expect(await inView()).toBe(true);
    await page.screenshot({ path: path.join(shots, '01-tags-saved-landing-390.png') });
    await page.setViewportSize(DESKTOP);
    // Chips are links of at least 24px high, named for where they lead.
    const chip = page.getByRole('link', { name: 'Creators tagged top tier' });
    expect(((await chip.boundingBox())?.height ?? 0) >= 24).toBe(true);
    await capture(page, '01-creator-page-tags');

    // ----- The roster, filtered by a chip -----
    await navigate(page, () => page.locator('.tag-chips a', { hasText: 'uk' }).first().click(), /\/console\/creators\?tag=uk$/);
    const roster = await page.locator('main').innerText();
    expect(roster).toContain('Tagged “uk”');
    expect(roster).toContain('Maya Lindqvist');
    expect(roster).toContain('Amara Bello');
    expect(roster).not.toContain('Théo Marchand');
    await capture(page, '02-roster-by-tag');

    // ----- The Network tab's segment card, by niche then by tag -----
    await page.goto(`${server.url}/console/campaigns/${campaign.id}/network`);
    const card = page.locator('#segments');
    expect(await card.innerText()).toContain('Not set');
    await card.scrollIntoViewIfNeeded();
    await capture(page, '03-network-by-niche');
    await page.getByLabel('Group by').selectOption('tag');
    await navigate(page, () => card.getByRole('button', { name: 'Show' }).click(), /by=tag/);
    const byTag = await page.locator('#segments').innerText();
    expect(byTag).toContain('wave 1');
    expect(byTag).toContain('counts in each of them');
    await capture(page, '04-network-by-tag');
    await page.locator('#segments').screenshot({ path: path.join(shots, '05-segment-card-1280.png') });
    await page.setViewportSize(PHONE);
    await page.locator('#segments').screenshot({ path: path.join(shots, '05-segment-card-390.png') });
    await context.close();
  });
});
