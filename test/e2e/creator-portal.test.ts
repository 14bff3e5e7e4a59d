// One creator's story in a real Chromium against the real worker: a brand sets them up through the
// admin API, they accept the invite, read the brief, submit content through a review round, and watch
// a sale move their commission tier. Another turns on two-step sign-in and signs in with a code. Every
// page is screenshotted at phone and desktop width and checked with axe-core; any violation fails the test.
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { base32Decode, hotp, totpStep } from '../../worker/lib/totp';
import { axeSource, browserStory, DESKTOP, joinFromInvite, navigate, PHONE, postConversion } from './server';

const story = browserStory();

// ---------- The brand's side: the admin API with its Bearer key ----------

async function admin<T = Record<string, unknown>>(method: string, route: string, body?: unknown, expected = method === 'POST' ? 201 : 200): Promise<T> {
  const res = await fetch(`${story.server.url}/api/admin${route}`, {
    method,
    headers: { authorization: `Bearer ${story.server.adminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== expected) throw new Error(`${method} /api/admin${route} answered ${res.status} (expected ${expected}): ${text}`);
  return (JSON.parse(text) as { data: T }).data;
}

// ---------- The browser's side ----------

type AxeResult = { violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[]; failureSummary?: string }[] }[] };

async function axeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: axeSource() });
  const result = await page.evaluate(() => (window as unknown as { axe: { run: (ctx: Document) => Promise<AxeResult> } }).axe.run(document));
  return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n${v.nodes.map((n) => `      at ${JSON.stringify(n.target)}${n.failureSummary ? `: ${n.failureSummary.replace(/\s+/g, ' ')}` : ''}`).join('\n')}`);
}

// Every state of the story: a full-page screenshot at both widths, axe at both widths, and no sideways
// scrolling on a phone. Failures are soft so one run reports every page; the test still fails.
async function capture(page: Page, name: string) {
  for (const size of [PHONE, DESKTOP]) {
    await page.setViewportSize(size);
    await page.screenshot({ path: path.join(story.shots, `${name}-${size.width}.png`), fullPage: true });
    expect.soft(await axeViolations(page), `axe on ${name} at ${size.width}px (${page.url()})`).toEqual([]);
    const layout = await page.evaluate(() => ({
      mode: document.compatMode,
      overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      // portal.js makes a too-wide table scrollable by keyboard; in the story every table should simply fit.
      clippedTables: [...document.querySelectorAll('.table-wrap')].filter((w) => w.scrollWidth > w.clientWidth + 1).length,
    }));
    expect.soft(layout, `${name} at ${size.width}px: standards mode, no sideways scrolling, tables fit`).toEqual({ mode: 'CSS1Compat', overflow: 0, clippedTables: 0 });
  }
  await page.setViewportSize(PHONE);
}

// Script errors and console errors on any page; each test ends by asserting there were none.
const pageProblems: string[] = [];

async function newPage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (error) => pageProblems.push(`page error on ${page.url()}: ${error.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    // A document answered with an error status (410 for a used invite, 401 for a wrong password) is
    // logged by Chromium; those statuses are asserted where they happen. Sub-resources still count.
    if (msg.text().startsWith('Failed to load resource') && msg.location().url === page.url()) return;
    pageProblems.push(`console error on ${page.url()}: ${msg.text()} (${msg.location().url})`);
  });
  return page;
}

const main = (page: Page) => page.locator('main');
const textOf = async (page: Page, selector: string) => ((await page.locator(selector).first().innerText()) ?? '').replace(/\s+/g, ' ').trim();

describe('creator portal in Chromium', () => {
  it('takes a creator from invite to a commission tier, through a review round', async () => {
    const { server, browser, shots } = story;
    // ----- The brand sets up the campaign and the creator, through the admin API -----
    const plan = await admin<{ id: string }>('POST', '/commission-plans', {
      name: 'Spring tiered commission',
      period: 'month',
      tiers: [
        { fromMinor: 0, rateBps: 1000 },
        { fromMinor: 50_000, rateBps: 1500 },
        { fromMinor: 150_000, rateBps: 2000 },
      ],
    });
    const anchor = 'Fernway Night Balm is a fragrance-free overnight balm for dry, tight skin: squalane and oat lipids, nothing that stings.';
    const nonNegotiables = ['Say #ad at the start of the caption and out loud in the video.', 'No medical claims: never say it treats eczema or any other condition.'];
    const campaign = await admin<{ id: string }>('POST', '/campaigns', {
      name: 'Spring Ritual',
      slug: 'spring-ritual',
      hashtag: '#SpringRitual',
      positioningAnchor: anchor,
      nonNegotiables,
      disclosureText: '#ad',
      storyFormats: ['day_in_the_life', 'before_after', 'problem_solution'],
      defaultDestination: 'https://fernway.example/night-balm',
      commissionPlanId: plan.id,
      holdingDays: 30,
    });
    const email = 'maya.lindqvist@creators.example';
    const creator = await admin<{ id: string }>('POST', '/creators', { email, handle: 'maya_moss', displayName: 'Maya Lindqvist', niche: 'skincare', platform: 'instagram', followerCount: 12_400 });
    const briefSection = 'Maya: your followers trust your winter-skin diaries. A before/after across two weeks of cold mornings suits you best.';
    const enrollment = await admin<{ id: string; status: string }>('POST', '/enrollments', { campaignId: campaign.id, creatorId: creator.id, paymentModel: 'affiliate', briefSection });
    expect(enrollment.status).toBe('invited');
    await admin('POST', '/links', { enrollmentId: enrollment.id, slug: 'maya-spring' });
    await admin('POST', '/codes', { enrollmentId: enrollment.id, code: 'MAYA15', discountType: 'percent', discountValue: 15 });
    const { inviteUrl } = await admin<{ inviteUrl: string }>('POST', `/creators/${creator.id}/invite`);
    expect(inviteUrl.startsWith(`${server.url}/invite/`)).toBe(true);

    const context = await browser.newContext({ viewport: PHONE });
    const page = await newPage(context);
    const password = 'cold mornings, warm balm';

    // ----- Invite: a link mailed to Maya's own address, where she chooses a password and lands on home -----
    await page.goto(inviteUrl);
    expect(await textOf(page, 'h1')).toBe('Welcome to Chorus');
    const welcome = await main(page).innerText();
    expect(welcome).toMatch(/Hi Maya Lindqvist\. \S.* invited you to its creator network on Chorus\./);
    expect(welcome).toContain(`To make sure this account is yours, we'll email a link to ${email}`);
    await capture(page, '01-invite');
    await page.getByRole('button', { name: 'Email me the link' }).click();
    await page.waitForLoadState();
    expect(await textOf(page, 'h1')).toBe('Check your email');
    await capture(page, '01-invite-mailed');
    const mailed = await server.mailedLinks(email);
    expect(mailed).toHaveLength(1);
    await page.goto(mailed[0]!);
    expect(await textOf(page, 'h1')).toBe('Welcome to Chorus');
    expect(await main(page).innerText()).toContain(`Maya Lindqvist (${email})`);
    await capture(page, '01-set-password');
    await page.getByLabel('New password').fill(password);
    await page.getByLabel('Repeat the password').fill(password);
    await navigate(page, () => page.getByRole('button', { name: 'Save password and continue' }).click(), /\/\?welcome=1$/);
    expect(await textOf(page, 'h1')).toBe('Hi Maya');
    // The password accepts no brand: home names the brand's invitation, and Maya accepts it.
    expect(await main(page).innerText()).toContain('Accept an invitation below');
    expect(await main(page).innerText()).toMatch(/invited you/i);
    await capture(page, '02-home-invitation');
    await navigate(page, () => page.getByRole('button', { name: 'Accept' }).click(), /\/\?accepted=1$/);
    expect(await main(page).innerText()).toContain('Accepted. Your link, code and brief');
    const home = await main(page).innerText();
    expect(home).toContain('Spring Ritual');
    expect(home).toContain('Tier 1 · 10%');
    expect(home).toContain('$0.00 in sales this month');
    expect(home).toContain('$500.00 more this month reaches Tier 2 · 15%');
    expect(await page.getByLabel('Your discount code').inputValue()).toBe('MAYA15');
    expect(await page.getByLabel('Your tracked link').inputValue()).toBe(`${server.url}/r/maya-spring`);
    expect(await page.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('0');
    await capture(page, '02-home-welcome');

    // With her password set, the invite never sets one: its page offers sign-in (which, signed in, is home).
    const usedPage = await newPage(context);
    expect((await usedPage.goto(inviteUrl))?.status()).toBe(200);
    await navigate(usedPage, () => usedPage.getByRole('link', { name: 'Sign in' }).click(), /\/$/);
    expect(await textOf(usedPage, 'h1')).toBe('Hi Maya');
    await usedPage.close();

    // ----- Sign out, then back in with email and password -----
    await navigate(page, () => page.getByRole('button', { name: 'Sign out' }).click(), /\/login$/);
    expect(await textOf(page, 'h1')).toBe('Sign in');
    await capture(page, '04-login');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('not my password');
    await navigate(page, () => page.getByRole('button', { name: 'Sign in' }).click(), /\/login$/);
    expect(await textOf(page, '[role=alert]')).toBe('That email and password do not match an account.');
    expect(await page.getByLabel('Email').inputValue()).toBe(email); // kept, so only the password is retyped
    await capture(page, '05-login-error');
    await page.getByLabel('Password').fill(password);
    await navigate(page, () => page.getByRole('button', { name: 'Sign in' }).click(), /\/$/);
    expect(await textOf(page, 'h1')).toBe('Hi Maya');
    await capture(page, '06-home');
    // On a phone the whole link is in view, and Copy (which needs portal.js) is there only with it.
    const linkField = page.getByLabel('Your tracked link');
    const fits = (field: typeof linkField) => field.evaluate((box: HTMLTextAreaElement) => box.scrollWidth <= box.clientWidth && box.scrollHeight <= box.clientHeight);
    expect(await fits(linkField)).toBe(true);
    expect(await page.getByRole('button', { name: 'Copy' }).first().isVisible()).toBe(true);
    const noScript = await browser.newContext({ viewport: PHONE, javaScriptEnabled: false });
    const plain = await newPage(noScript);
    await plain.goto(`${server.url}/login`);
    await plain.getByLabel('Email').fill(email);
    await plain.getByLabel('Password').fill(password);
    await navigate(plain, () => plain.getByRole('button', { name: 'Sign in' }).click(), /\/$/);
    expect(await plain.getByLabel('Your tracked link').inputValue()).toBe(`${server.url}/r/maya-spring`);
    expect(await fits(plain.getByLabel('Your tracked link'))).toBe(true);
    expect(await plain.getByRole('button', { name: 'Copy' }).count()).toBe(0);
    await plain.screenshot({ path: path.join(shots, '06-home-no-js-390.png'), fullPage: true });
    await noScript.close();

    // ----- The brief -----
    await navigate(page, () => page.getByRole('link', { name: 'Read the brief' }).click(), new RegExp(`/brief/${enrollment.id}$`));
    expect(await textOf(page, 'h1')).toBe('Spring Ritual');
    const anchorCard = page.locator('section', { has: page.getByRole('heading', { name: 'The positioning anchor' }) });
    expect(await anchorCard.locator('.lead').innerText()).toBe(anchor);
    expect(await page.getByRole('region', { name: 'Your section' }).innerText()).toContain(briefSection);
    const rules = page.locator('section', { has: page.getByRole('heading', { name: 'Non-negotiables' }) }).getByRole('listitem');
    // The brand's first rule already asks for #ad: the automatic disclosure line is not repeated.
    expect(await rules.allInnerTexts()).toEqual([...nonNegotiables, 'Use the campaign hashtag #SpringRitual in every caption.']);
    for (const item of await rules.all()) expect(await item.isVisible()).toBe(true);
    expect(await anchorCard.isVisible()).toBe(true);
    expect(await main(page).innerText()).toContain('Tier 1: 10% · Tier 2: 15% from $500.00 · Tier 3: 20% from $1,500.00');
    await capture(page, '07-brief');

    // ----- Her numbers, day by day: the orders the brand's store sent, on Fernway's calendar -----
    const briefUrl = page.url();
    await navigate(page, () => page.goto(`${server.url}/`).then(() => undefined), /\/$/);
    await navigate(page, () => page.getByRole('link', { name: 'Your last 30 days, day by day' }).click(), new RegExp(`/stats/${enrollment.id}$`));
    expect(await textOf(page, 'h1')).toBe('Spring Ritual');
    expect(await page.getByRole('region', { name: 'Your last 30 days in total' }).innerText()).toMatch(/Orders/);
    expect(await page.getByRole('img', { name: /Daily unique clicks and orders, last 30 days/ }).count()).toBeGreaterThan(0);
    await capture(page, '07b-stats');
    await page.goto(briefUrl);

    // ----- A draft without the disclosure: warned before anything is stored -----
    await navigate(page, () => page.getByRole('link', { name: 'Submit a draft' }).click(), /\/submissions\/new\?enrollment=/);
    expect(await textOf(page, 'h1')).toBe('Submit a draft');
    await capture(page, '08-draft-new');
    await page.getByLabel('Before / after').check();
    await page.getByLabel('Link to your draft').fill('https://drive.example/maya/spring-ritual-v1');
    const caption = page.getByLabel('Caption');
    await caption.fill('Two weeks of cold mornings with Fernway Night Balm. Tight skin, gone. #SpringRitual');
    expect(await textOf(page, '#caption-live')).toBe('Missing: #ad'); // portal.js checks as she types
    await navigate(page, () => page.getByRole('button', { name: 'Submit for review' }).click(), /\/submissions$/);
    const warning = page.getByRole('alert');
    expect(await warning.innerText()).toContain('Your caption is missing something the brief requires');
    expect(await warning.innerText()).toContain('✗ Disclosure #ad');
    expect(await warning.innerText()).toContain('✓ Campaign hashtag #SpringRitual');
    expect(await page.getByRole('button', { name: 'Submit anyway' }).isVisible()).toBe(true);
    expect(await caption.inputValue()).toContain('Tight skin, gone.'); // nothing she typed is lost
    expect(await page.getByLabel('Before / after').isChecked()).toBe(true);
    await capture(page, '09-draft-warning');

    // ----- Fixed caption: submitted, in review -----
    await caption.fill('#ad Two weeks of cold mornings with Fernway Night Balm. Tight skin, gone. #SpringRitual');
    expect(await textOf(page, '#caption-live')).toBe('Hashtag and disclosure present.');
    await navigate(page, () => page.getByRole('button', { name: 'Submit for review' }).click(), /\/submissions\/[^/]+\?sent=1$/);
    const submissionId = new URL(page.url()).pathname.split('/')[2]!;
    expect(await textOf(page, '.page-head .badge')).toBe('In review');
    expect(await main(page).innerText()).toContain('Submitted for review.');
    await capture(page, '10-submission-in-review');

    // ----- The brand asks for changes; she sees the note -----
    const [queued] = await admin<{ id: string; compliance: { hashtag: boolean; disclosure: boolean } }[]>('GET', '/submissions?status=submitted');
    expect(queued?.id).toBe(submissionId);
    expect(queued?.compliance).toEqual({ hashtag: true, disclosure: true });
    const note = 'Lovely light! Please show the balm texture on your fingertip in the first 3 seconds.';
    await admin('POST', `/submissions/${submissionId}/request-changes`, { note }, 200);
    await page.goto(`${server.url}/submissions/${submissionId}`);
    expect(await textOf(page, '.page-head .badge')).toBe('Changes requested');
    const notes = page.getByRole('alert');
    expect(await notes.innerText()).toContain("Reviewer's notes");
    expect(await notes.innerText()).toContain(note);
    await capture(page, '11-changes-requested');

    // ----- Revise and resubmit -----
    await navigate(page, () => page.getByRole('link', { name: 'Revise and resubmit' }).click(), new RegExp(`/submissions/${submissionId}/edit$`));
    expect(await textOf(page, 'h1')).toBe('Revise your draft');
    expect(await page.getByLabel('Link to your draft').inputValue()).toBe('https://drive.example/maya/spring-ritual-v1');
    await capture(page, '12-revise');
    await page.getByLabel('Link to your draft').fill('https://drive.example/maya/spring-ritual-v2');
    await caption.fill('#ad Texture first: a fingertip of Fernway Night Balm, then two weeks of cold mornings. #SpringRitual');
    await navigate(page, () => page.getByRole('button', { name: 'Submit for review' }).click(), new RegExp(`/submissions/${submissionId}\\?sent=1$`));
    expect(await textOf(page, '.page-head .badge')).toBe('In review');
    const timeline = await page.locator('.timeline li').allInnerTexts();
    expect(timeline.map((t) => t.split('\n')[1])).toEqual(['Submitted for review', 'Changes requested by the brand', 'Submitted for review']);
    expect(timeline[1]).toContain(note);
    await capture(page, '13-resubmitted');

    await navigate(page, () => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Content' }).click(), /\/submissions$/);
    expect(await page.locator('.list-item').allInnerTexts()).toHaveLength(1);
    expect(await textOf(page, '.list-item .badge')).toBe('In review');
    await capture(page, '14-content');

    // ----- Sales through her code move her tier -----
    const ingest = await admin<{ key: string }>('POST', '/keys', { scope: 'ingest', name: 'Fernway store' });
    await postConversion(server, ingest.key, { orderId: 'fw-1001', amountMinor: 18_000, code: 'maya15' });
    await navigate(page, () => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Home' }).click(), /\/$/);
    let card = await main(page).innerText();
    expect(card).toContain('Tier 1 · 10%');
    expect(card).toContain('$180.00 in sales this month');
    expect(card).toContain('$320.00 more this month reaches Tier 2 · 15%');
    expect(await page.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('36');

    await postConversion(server, ingest.key, { orderId: 'fw-1002', amountMinor: 46_000, code: 'MAYA15' });
    await page.reload();
    card = await main(page).innerText();
    expect(card).toContain('Tier 2 · 15%');
    expect(card).toContain('$640.00 in sales this month');
    expect(card).toContain('$860.00 more this month reaches Tier 3 · 20%');
    expect(await page.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('14');
    expect(await page.getByRole('progressbar').getAttribute('aria-label')).toBe('Progress to tier 3');
    // 10% of $180 + 15% of $460 (the order that reaches tier 2 earns tier 2), held for the return window.
    expect(await textOf(page, '.stat:has(.stat-label:text-is("Pending")) .stat-value')).toBe('$87.00');
    expect(await textOf(page, '.stat:has(.stat-label:text-is("Orders")) .stat-value')).toBe('2');
    await capture(page, '15-home-after-sales');

    await navigate(page, () => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Earnings' }).click(), /\/earnings$/);
    expect(await main(page).innerText()).toContain('$87.00');
    await capture(page, '16-earnings');

    // ----- Her account page: her data to download, and what closing it would do, $87.00 given up included -----
    await page.goto(`${server.url}/account`);
    expect(await page.getByRole('link', { name: 'Download my data (JSON)' }).getAttribute('href')).toBe('/account/data.json');
    const closing = await page.locator('#close').innerText();
    expect(closing).toContain(`$87.00 from ${server.brand.name}`);
    expect(closing).toContain(`I give up $87.00 from ${server.brand.name}`);
    await capture(page, '17-account');

    await context.close();
    expect(pageProblems).toEqual([]);
  });

  it('turns two-step sign-in on, then signs in with a code from the app and lands on the portal', async () => {
    const { server, browser } = story;
    const email = 'ana.two-step@creators.example';
    const creator = await admin<{ id: string }>('POST', '/creators', { email, handle: 'ana_steps', displayName: 'Ana Steps' });
    const { inviteUrl } = await admin<{ inviteUrl: string }>('POST', `/creators/${creator.id}/invite`);
    const context = await browser.newContext({ viewport: PHONE });
    const page = await newPage(context);
    const password = 'two steps ahead of anyone';
    await joinFromInvite(page, server, { inviteUrl, email, password, accept: false });

    // ----- Your account → Two-step sign-in: the key from the page, a code computed as an app would -----
    await page.goto(`${server.url}/account`);
    await navigate(page, () => page.getByRole('link', { name: 'Set up two-step sign-in' }).click(), /\/account\/two-step$/);
    await capture(page, '20-two-step-setup');
    // No phone camera here: the key typed in by hand instead, as the page offers.
    await page.getByText("Can't scan it? Type this key instead").click();
    const secret = (await page.locator('.secret-key').innerText()).replace(/\s/g, '');
    const codeNow = async (offset = 0) => hotp(base32Decode(secret)!, totpStep(Date.now()) + offset);
    await page.getByLabel('6-digit code from the app').fill(await codeNow());
    await page.getByLabel('Your password').fill(password);
    await navigate(page, () => page.getByRole('button', { name: 'Turn on two-step sign-in' }).click(), /\/account\/two-step$/);
    expect(await textOf(page, 'h1')).toBe('Two-step sign-in is on');
    expect(await page.locator('.recovery-codes code').allInnerTexts()).toHaveLength(10);
    await capture(page, '21-two-step-recovery-codes');

    // ----- Signed out, the password leads to the code page; the next step's code opens the portal -----
    await navigate(page, () => page.getByRole('button', { name: 'Sign out' }).click(), /\/login$/);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await navigate(page, () => page.getByRole('button', { name: 'Sign in' }).click(), /\/login\/code$/);
    expect(await page.getByLabel('Code').getAttribute('autocomplete')).toBe('one-time-code');
    await capture(page, '22-two-step-code');
    // The setup took this step's code: the app's next one (one step of drift is allowed) is the one still unused.
    await page.getByLabel('Code').fill(await codeNow(1));
    await navigate(page, () => page.getByRole('button', { name: 'Sign in' }).click(), /\/$/);
    expect(await textOf(page, 'h1')).toBe('Hi Ana');
    await context.close();
    expect(pageProblems).toEqual([]);
  });

  it('lets a keyboard user reach the sign-in form in order, skip link first', async () => {
    const { server, browser } = story;
    const context = await browser.newContext({ viewport: PHONE });
    const page = await newPage(context);
    await page.goto(`${server.url}/login`);
    const focused = () =>
      page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (!el || el === document.body) return 'body';
        return el.id ? `#${el.id}` : `${el.tagName.toLowerCase()}${el.className ? `.${String(el.className).split(' ')[0]}` : ''}:${el.innerText.replace(/\s+/g, ' ').trim()}`;
      });
    const order: string[] = [];
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press('Tab');
      order.push(await focused());
    }
    expect(order).toEqual(['a.skip:Skip to content', 'a.brand:◗ Chorus', '#email', '#password', 'button.button:Sign in']);

    // The skip link shows itself when focused and takes the next Tab straight into the form.
    await page.reload();
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Skip to content' });
    const box = await skip.boundingBox();
    expect(box && box.x >= 0 && box.y >= 0 && box.width > 0).toBe(true);
    await capture(page, '00-login-skip-link');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('#email');
    await context.close();
    expect(pageProblems).toEqual([]);
  });
});
