// A brand owner's story in the console, in a real Chromium against the real worker: sign in, create a
// campaign and its brief, import a roster of 50 creators from a CSV with two bad rows, hand out the invite
// links, review the drafts the creators send, read the network results, and close last month's payouts
// for finance. The creators' side (accepting invites, submitting drafts, going live) and the store's
// (signed orders) run over plain HTTP against the same worker. Every console page is screenshotted at
// desktop width (the main ones at phone width too) and checked with axe-core; any violation fails the test.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { axeSource, browserStory, CONSOLE_OWNER } from './server';
import { base32Decode, hotp, totpStep } from '../../worker/lib/totp';

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1440, height: 900 };
const DAY = 86_400_000;
// Inès also manages a second brand for the same agency: her sign-in asks which brand to open.
const OWNER = {
  ...CONSOLE_OWNER,
  alsoIn: [{ id: 'brand_e2e_alder', slug: 'alder-co', name: 'Alder & Co. Candles', role: 'manager' as const }],
};

const story = browserStory({ owner: OWNER });

// ---------- The brand's API, the store and the creators, over HTTP ----------

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

// An order as the store reports it: signed, with the creator's code, at the time it was placed.
async function postOrder(ingestKey: string, order: { orderId: string; amountMinor: number; code: string; at: number }) {
  const body = JSON.stringify({ orderId: order.orderId, amountMinor: order.amountMinor, code: order.code, currency: 'USD', occurredAt: new Date(order.at).toISOString() });
  const t = Math.floor(Date.now() / 1000);
  const v1 = createHmac('sha256', ingestKey).update(`${t}.${body}`).digest('hex');
  const res = await fetch(`${story.server.url}/v1/conversions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'chorus-account': story.server.brand.slug, 'chorus-signature': `t=${t},v1=${v1}` },
    body,
  });
  expect(res.status, await res.clone().text()).toBe(201);
}

// A creator in the portal without a browser: the same forms, posted from the portal's own origin with its session cookie.
function creatorClient() {
  // A cookie jar by name, as a browser keeps one: an answer may set one cookie and clear another.
  const jar = new Map<string, string>();
  const send = async (method: 'GET' | 'POST', route: string, form?: Record<string, string>) => {
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const res = await fetch(new URL(route, story.server.url), {
      method,
      redirect: 'manual',
      headers: { origin: story.server.url, ...(cookie ? { cookie } : {}), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: form ? new URLSearchParams(form) : undefined,
    });
    for (const set of res.headers.getSetCookie()) {
      const [pair = '', ...attributes] = set.split(';');
      const [name = '', value = ''] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
      if (value === '' || attributes.some((a) => /^\s*max-age=0\s*$/i.test(a))) jar.delete(name);
      else jar.set(name, value);
    }
    return res;
  };
  const redirectTo = async (res: Response, expected: RegExp) => {
    const location = res.headers.get('location') ?? '';
    expect(`${res.status} ${location}`, await res.text()).toMatch(new RegExp(`^303 ${expected.source}`));
    return location;
  };
  return {
    // The invite's page mails the creator a link; the password is set there.
    async acceptInvite(inviteUrl: string, email: string, password: string) {
      const before = (await story.server.mailedLinks(email, 0)).length; // the invitation itself may have been mailed
      expect((await send('POST', `${new URL(inviteUrl).pathname}/email`, {})).status).toBe(200);
      const [link] = (await story.server.mailedLinks(email, before + 1)).slice(-1);
      expect(link, `a link mailed to ${email}`).toBeTruthy();
      await redirectTo(await send('POST', new URL(link!).pathname, { password, confirm: password }), /\/\?welcome=1$/);
      // The password accepts no brand: the creator accepts the invitation their home page shows.
      const home = await (await send('GET', '/?welcome=1')).text();
      const accept = /action="(\/invitations\/[^"]+\/accept)"/.exec(home)?.[1];
      expect(accept, 'the home page offers the invitation').toBeTruthy();
      await redirectTo(await send('POST', accept!, {}), /\/\?accepted=1$/);
    },
    async submitDraft(draft: { draftUrl: string; caption: string; storyFormat: string; confirm?: boolean }): Promise<string> {
      const html = await (await send('GET', '/submissions/new')).text();
      // Enrolled in one campaign, the creator goes straight to its form.
      const enrollmentId = /<input type="hidden" name="enrollmentId" value="([^"]+)"/.exec(html)?.[1];
      expect(enrollmentId, 'the draft form offers the enrollment').toBeTruthy();
      const res = await send('POST', '/submissions', { enrollmentId: enrollmentId!, storyFormat: draft.storyFormat, draftUrl: draft.draftUrl, caption: draft.caption, ...(draft.confirm ? { confirm: '1' } : {}) });
      return (await redirectTo(res, /\/submissions\/[^/?]+\?sent=1$/)).split('/')[2]!.split('?')[0]!;
    },
    async goLive(submissionId: string, post: { postUrl: string; views: number; likes: number; comments: number; saves: number; shares: number }) {
      const form = Object.fromEntries(Object.entries(post).map(([k, v]) => [k, String(v)]));
      await redirectTo(await send('POST', `/submissions/${submissionId}/live`, form), new RegExp(`/submissions/${submissionId}\\?live=1$`));
    },
  };
}

// A shopper following a tracked link: a real browser user agent each, so each counts as one unique visitor.
async function click(trackedLink: string, visitor: number) {
  const res = await fetch(trackedLink, {
    redirect: 'manual',
    headers: { 'user-agent': `Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1 v${visitor}` },
  });
  expect(res.status).toBe(302);
}

// ---------- The roster ----------

const FIRST = ['Maya', 'Theo', 'Priya', 'Jonas', 'Amara', 'Luca', 'Sofia', 'Kenji', 'Nadia', 'Felix'];
const LAST = ['Lindqvist', 'Okafor', 'Ramos', 'Becker', 'Haddad'];
const NICHES = ['skincare', 'wellness', 'outdoors', 'parenting', 'beauty'];

type RosterRow = { email: string; handle: string; name: string; model: 'affiliate' | 'flat' | 'hybrid' | 'product'; fee: string; brief: string };

// 50 creators with two broken rows slipped in at lines 9 and 31 (line 1 is the header).
function roster(): { csv: string; good: RosterRow[] } {
  const good: RosterRow[] = [];
  for (let i = 0; i < 50; i++) {
    const first = FIRST[i % FIRST.length]!;
    const last = LAST[Math.floor(i / FIRST.length)]!;
    const model = i % 10 === 3 ? 'flat' : i % 10 === 7 ? 'hybrid' : i % 10 === 9 ? 'product' : 'affiliate';
    good.push({
      email: `${first}.${last}@creators.example`.toLowerCase(),
      handle: `${first}${last.slice(0, 3)}`.toLowerCase(),
      name: `${first} ${last}`,
      model,
      fee: model === 'flat' ? '150' : model === 'hybrid' ? '80' : '',
      brief: `${first}: your ${NICHES[i % NICHES.length]} audience trusts your routines; lead with a before/after.`,
    });
  }
  const line = (r: RosterRow, i: number) => [r.email, r.handle, `"${r.name}"`, NICHES[i % NICHES.length], i % 2 ? 'tiktok' : 'instagram', String(8_000 + i * 731), r.model, r.fee, `"${r.brief}"`].join(',');
  const lines = good.map(line);
  lines.splice(7, 0, 'rosa.vidal@creators,rosavid,Rosa Vidal,beauty,instagram,9100,affiliate,,');
  lines.splice(29, 0, 'omar.sy@creators.example,omarsy,Omar Sy,wellness,tiktok,15200,flat,,');
  return { csv: `email,handle,name,niche,platform,follower_count,payment_model,flat_fee,brief_section\n${lines.join('\n')}\n`, good };
}

// The invite file as a finance or partnerships person opens it: quoted cells, CRLF rows.
function parseQuotedCsv(text: string): string[][] {
  return text
    .split('\r\n')
    .filter((l) => l !== '')
    .map((l) => [...l.matchAll(/"((?:[^"]|"")*)"|([^,]+)|(?<=,|^)(?=,|$)/g)].map((m) => (m[1] !== undefined ? m[1].replaceAll('""', '"') : (m[2] ?? ''))));
}

// ---------- The browser's side ----------

type AxeResult = { violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[]; failureSummary?: string }[] }[] };

async function axeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: axeSource() });
  const result = await page.evaluate(() => (window as unknown as { axe: { run: (ctx: Document) => Promise<AxeResult> } }).axe.run(document));
  return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n${v.nodes.map((n) => `      at ${JSON.stringify(n.target)}${n.failureSummary ? `: ${n.failureSummary.replace(/\s+/g, ' ')}` : ''}`).join('\n')}`);
}

// A full-page screenshot, axe, and no sideways scrolling at desktop width, and at phone width too for the
// pages a brand opens on the go. Failures are soft so one run reports every page; the test still fails.
async function capture(page: Page, name: string, widths: 'desktop' | 'both' = 'both') {
  for (const size of widths === 'both' ? [DESKTOP, PHONE] : [DESKTOP]) {
    await page.setViewportSize(size);
    await page.evaluate(() => window.scrollTo(0, 0)); // sticky bars then sit where a person first sees them
    await page.screenshot({ path: path.join(story.shots, `console-${name}-${size.width}.png`), fullPage: true });
    expect.soft(await axeViolations(page), `axe on ${name} at ${size.width}px (${page.url()})`).toEqual([]);
    const layout = await page.evaluate(() => ({
      mode: document.compatMode,
      overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      // Wide tables become stacked rows on a phone rather than scrolling inside their card.
      clippedTables: [...document.querySelectorAll('.table-wrap')].filter((w) => w.scrollWidth > w.clientWidth + 1).map((w) => w.closest('section')?.querySelector('h2')?.textContent ?? 'table'),
    }));
    expect.soft(layout, `${name} at ${size.width}px: standards mode, no sideways scrolling, tables fit`).toEqual({ mode: 'CSS1Compat', overflow: 0, clippedTables: [] });
  }
  await page.setViewportSize(DESKTOP);
}

const pageProblems: string[] = [];

async function newPage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (error) => pageProblems.push(`page error on ${page.url()}: ${error.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    // A document answered with an error status (401 for a wrong password, 422 for a file with bad rows) is
    // logged by Chromium; those statuses are asserted where they happen. Sub-resources still count.
    if (msg.text().startsWith('Failed to load resource') && msg.location().url === page.url()) return;
    pageProblems.push(`console error on ${page.url()}: ${msg.text()} (${msg.location().url})`);
  });
  return page;
}

// Click something that submits or navigates and wait for the next document to load: several forms post back
// to the URL they are on (a file with bad rows, the confirmed import), so the URL alone does not say it arrived.
async function navigate(page: Page, action: () => Promise<unknown>, url: RegExp) {
  const committed = page.waitForEvent('framenavigated', (frame) => frame === page.mainFrame());
  committed.catch(() => {}); // awaited below; a failed action must not leave it unhandled
  await action();
  await committed;
  await page.waitForURL(url, { waitUntil: 'load' });
}

async function download(page: Page, action: () => Promise<unknown>): Promise<{ name: string; text: string }> {
  const [file] = await Promise.all([page.waitForEvent('download'), action()]);
  return { name: file.suggestedFilename(), text: readFileSync((await file.path())!, 'utf8') };
}

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();
const textOf = async (page: Page, selector: string) => squash(await page.locator(selector).first().innerText());
const statValue = (page: Page, label: string) => textOf(page, `main .stat:has(.stat-label:text-is("${label}")) .stat-value`);
const usd = (minor: number) => `$${new Intl.NumberFormat('en').format(Math.floor(minor / 100))}.${String(minor % 100).padStart(2, '0')}`;

// The last whole month in UTC (the brand's timezone): the period finance closes next, and the console's default.
function lastMonth(now: number) {
  const d = new Date(now);
  const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1);
  const end = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const period = new Date(start).toISOString().slice(0, 7);
  const label = new Intl.DateTimeFormat('en', { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(start));
  return { start, end, period, label };
}

describe('brand console in Chromium', () => {
  it('takes a brand from sign-in through a 50-creator import, review, network results and a payouts close', async () => {
    const { server, browser, shots } = story;
    const started = Date.now();
    const plan = await admin<{ id: string }>('POST', '/commission-plans', { name: 'Standard', period: 'month', tiers: [{ fromMinor: 0, rateBps: 1000 }] });
    expect(plan.id).toBeTruthy();

    const context = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true });
    const page = await newPage(context);

    // ----- Sign in: a wrong password first, then the right one -----
    await page.goto(`${server.url}/console`);
    expect(page.url()).toBe(`${server.url}/console/login?next=%2Fconsole`);
    expect(await textOf(page, 'h1')).toBe('Sign in');
    await page.getByLabel('Work email').fill(OWNER.email);
    await page.getByLabel('Password').fill('not the password');
    await navigate(page, () => page.getByRole('button', { name: 'Sign in' }).click(), /\/console\/login$/);
    expect(await textOf(page, '[role=alert]')).toBe('That email and password do not match a console account.');
    expect(await page.getByLabel('Work email').inputValue()).toBe(OWNER.email);
    await capture(page, '01-login-error');
    await page.getByLabel('Password').fill(OWNER.password);
    await navigate(page, () => page.getByRole('button', { name: 'Sign in' }).click(), /\/console\/login$/);
    expect(await textOf(page, 'h1')).toBe('Choose a brand');
    expect(await page.getByRole('button', { name: /Owner|Manager/ }).allInnerTexts()).toEqual(['Fernway Botanicals fernway\nOwner', 'Alder & Co. Candles alder-co\nManager']);
    await capture(page, '01b-choose-brand');
    await navigate(page, () => page.getByRole('button', { name: /^Fernway Botanicals/ }).click(), /\/console$/);
    expect(await textOf(page, 'h1')).toBe('Campaigns');
    expect(await textOf(page, '.who')).toBe('Inès Moreau · Fernway Botanicals · Owner');
    expect(await page.getByRole('button', { name: 'Switch brand' }).isVisible()).toBe(true);
    expect(await main(page)).toContain('No campaigns yet');
    await capture(page, '02-campaigns-empty');

    // ----- A campaign, then its brief with the mid-tier baseline -----
    await page.getByLabel('Name', { exact: true }).fill('Night Balm Launch');
    await page.getByLabel('Campaign hashtag').fill('#NightBalm');
    await page.getByLabel('Destination').fill('https://fernway.example/night-balm');
    await page.getByLabel('Commission plan').selectOption(plan.id);
    await page.getByLabel('Holding period').fill('14');
    await navigate(page, () => page.getByRole('button', { name: 'Create campaign' }).click(), /\/console\/campaigns\/[^/?]+\?flash=created$/);
    const campaignId = new URL(page.url()).pathname.split('/')[3]!;
    expect(await textOf(page, 'h1')).toContain('Night Balm Launch');
    await page.getByLabel('Positioning anchor').fill('Fernway Night Balm is a fragrance-free overnight balm for dry, tight skin: squalane and oat lipids, nothing that stings.');
    await page.getByLabel('Non-negotiables').fill('Say #ad at the start of the caption and out loud.\nNo medical claims: never say it treats eczema.');
    await page.getByLabel('Mid-tier baseline cost').fill('5000.00');
    await page.getByLabel('Baseline engaged audience').fill('2000');
    await navigate(page, () => page.getByRole('button', { name: 'Save the brief' }).click(), /\?flash=saved$/);
    expect(await textOf(page, '[role=status]')).toContain('Brief saved.');
    expect(await page.getByLabel('Mid-tier baseline cost').inputValue()).toBe('5000.00');
    await capture(page, '03-brief', 'desktop');

    // ----- Import 52 rows: two are broken, listed by line; the 50 good ones go in -----
    await navigate(page, () => page.getByRole('navigation', { name: 'Campaign' }).getByRole('link', { name: 'Import creators' }).click(), /\/import$/);
    await capture(page, '04-import');
    const { csv, good } = roster();
    await page.getByLabel('Roster CSV').setInputFiles({ name: 'fernway-roster.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    const checked = page.waitForResponse((r) => r.url().endsWith(`/campaigns/${campaignId}/import`) && r.request().method() === 'POST');
    await navigate(page, () => page.getByRole('button', { name: 'Check and import' }).click(), /\/import$/);
    expect((await checked).status()).toBe(422);
    expect(await textOf(page, '#row-errors-h')).toBe('2 rows have problems in fernway-roster.csv');
    const problems = (await page.locator('table.row-errors tbody tr').allInnerTexts()).map(squash);
    expect(problems).toEqual(['9 email Not an email address.', '31 flat_fee A flat creator needs a flat fee.']);
    await capture(page, '05-import-errors');
    const importButton = page.getByRole('button', { name: 'Import the 50 good rows' });
    await navigate(page, () => importButton.click(), /\/import$/);
    // The page streams one progress step per chunk of 10 rows; the last one reads done.
    expect(await page.locator('.progress-step').count()).toBeGreaterThanOrEqual(6);
    expect(await textOf(page, '.progress-step:last-child')).toBe('Done: 50 of 50 rows processed.');
    expect(await page.getByRole('progressbar', { name: 'Import progress' }).last().getAttribute('aria-valuenow')).toBe('100');
    expect(await textOf(page, '[role=status]:has-text("Import finished")')).toContain('50 rows imported, 2 left out.');
    expect(await statValue(page, 'Enrollments')).toBe('50');
    expect(await statValue(page, 'Invites')).toBe('50');
    await capture(page, '06-import-done');

    // ----- The invite file: one row per good creator, with a working invite link, tracked link and code -----
    const invites = await download(page, () => page.getByRole('link', { name: 'Download invites (CSV)' }).click());
    expect(invites.name).toBe('chorus-invites-fernway-night-balm-launch.csv');
    const [header, ...rows] = parseQuotedCsv(invites.text);
    expect(header).toEqual(['line', 'email', 'handle', 'name', 'status', 'invite_url', 'tracked_link', 'discount_code']);
    expect(rows).toHaveLength(50);
    const byHandle = new Map(rows.map((r) => [r[2]!, { email: r[1]!, status: r[4]!, invite: r[5]!, link: r[6]!, code: r[7]! }]));
    for (const r of good) {
      const row = byHandle.get(r.handle);
      expect(row, r.handle).toBeDefined();
      expect(row!.email).toBe(r.email);
      expect(row!.status).toBe('invite');
      expect(row!.invite).toMatch(new RegExp(`^${server.url}/invite/[A-Za-z0-9_-]{20,}$`));
      expect(row!.link).toMatch(new RegExp(`^${server.url}/r/[A-Za-z0-9_-]+$`));
      expect(row!.code).toBe(`${r.handle.toUpperCase()}15`);
    }
    // Or Chorus emails them: each creator gets their own link, once.
    // Fifty mails go out in the brand's name, so the button asks once more, with the count.
    await navigate(page, () => page.getByRole('button', { name: 'Email the invitations' }).click(), /\/invitations\/mail$/);
    expect(await textOf(page, 'main .confirm-block .notice-title')).toBe('Email 50 creators their invitation?');
    await navigate(page, () => page.getByRole('button', { name: 'Yes, email 50' }).click(), /\/import\?flash=mailed/);
    expect(await textOf(page, 'main [role=status]')).toBe('Emailing 50 invitations: they go out over the next minutes.');
    // The mail queue sends them a few a second; Maya's arrives with her own link, carrying the proof that lets
    // her choose a password from it (the sheet's copy does not).
    const mayaRow = byHandle.get('mayalin')!;
    const [mailedInvite] = await server.mailedLinks(mayaRow.email, 1, 60_000);
    expect(mailedInvite).toMatch(new RegExp(`^${mayaRow.invite}\\?k=[0-9a-f]{64}&t=\\d{13}$`));

    // ----- Four creators accept their invites and send drafts -----
    const [maya, theo, priya, jonas, kenji] = ['mayalin', 'theolin', 'priyalin', 'jonaslin', 'kenjilin'].map((h) => ({ handle: h, ...byHandle.get(h)!, client: creatorClient() }));
    expect(good.find((r) => r.handle === 'jonaslin')?.model).toBe('flat');
    const drafts: Record<string, string> = {};
    for (const [who, caption, confirm] of [
      [maya!, '#ad Two weeks of cold mornings with Fernway Night Balm. Tight skin, gone. #NightBalm', false],
      [theo!, 'My skin has never been this calm, this balm fixes everything #NightBalm', true],
      [priya!, '#ad Texture first: a fingertip of Night Balm, then my whole evening routine. #NightBalm', false],
      [jonas!, '#ad Trail days, windburn nights: what I pack now. #NightBalm', false],
    ] as const) {
      await who.client.acceptInvite(who.invite, who.email, `${who.handle} picked a long password`);
      drafts[who.handle] = await who.client.submitDraft({ draftUrl: `https://drive.example/${who.handle}/night-balm-v1`, caption, storyFormat: 'before_after', confirm });
    }

    // ----- The review queue: approve one, reject one, bulk-approve two -----
    await page.reload(); // the nav counts what waits for review
    await navigate(page, () => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Review (4)' }).click(), /\/console\/review$/);
    const item = (name: string) => page.locator('.review-item', { hasText: name });
    expect(await page.locator('.review-item.is-waiting').count()).toBe(4);
    expect(squash(await item('Theo Lindqvist').locator('.checks').innerText())).toBe('✓ #NightBalm ✗ #ad');
    await capture(page, '07-review-queue');
    await navigate(page, () => item('Maya Lindqvist').getByRole('button', { name: 'Approve' }).click(), /\/console\/review\?flash=approved$/);
    expect(await textOf(page, 'main [role=status]')).toBe('Approved. The creator can publish it and add the live link.');
    await item('Theo Lindqvist').locator('summary', { hasText: 'Reject' }).click();
    await item('Theo Lindqvist').getByLabel('Reason (optional, the creator sees it)').fill('The caption makes a medical claim and has no #ad. Please read the non-negotiables.');
    await navigate(page, () => item('Theo Lindqvist').getByRole('button', { name: 'Reject this draft' }).click(), /\/console\/review\?flash=rejected$/);
    await item('Priya Lindqvist').getByLabel("Select Priya Lindqvist's draft").check();
    await item('Jonas Lindqvist').getByLabel("Select Jonas Lindqvist's draft").check();
    // Enter on a ticked box presses the form's first button, which only asks: nothing is approved until
    // "Approve selected" is pressed (an approval mails the creator and cannot be undone), and the ticks stay.
    await navigate(page, () => item('Jonas Lindqvist').getByLabel("Select Jonas Lindqvist's draft").press('Enter'), /\/console\/review\/bulk-approve$/);
    expect(await textOf(page, 'main .notice-warn')).toContain('Press Approve selected to approve the 2 drafts ticked below');
    expect(await page.locator('.review-item.is-waiting').count()).toBe(2);
    expect(await item('Priya Lindqvist').getByLabel("Select Priya Lindqvist's draft").isChecked()).toBe(true);
    await navigate(page, () => page.getByRole('button', { name: 'Approve selected' }).click(), /\/console\/review\?flash=bulk&n=2&skipped=0$/);
    expect(await textOf(page, 'main [role=status]')).toBe('Approved 2 submissions.');
    const tabs = (await page.getByRole('navigation', { name: 'Status' }).getByRole('link').allInnerTexts()).map(squash);
    expect(tabs).toEqual(['All 4', 'In review 0', 'Changes requested 0', 'Approved 3', 'Live 0', 'Rejected 1']);
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Review', exact: true }).count()).toBe(1);
    await capture(page, '08-review-decided');
    await navigate(page, () => page.getByRole('link', { name: /^In review/ }).click(), /status=submitted$/);
    expect(await main(page)).toContain('Nothing waiting for review');
    await capture(page, '09-review-empty', 'desktop');

    // ----- The world happens: two posts go live, shoppers click and buy -----
    await maya!.client.goLive(drafts.mayalin!, { postUrl: 'https://www.instagram.com/p/maya-night-balm', views: 18_400, likes: 1_210, comments: 96, saves: 310, shares: 74 });
    await jonas!.client.goLive(drafts.jonaslin!, { postUrl: 'https://www.instagram.com/p/jonas-trail-nights', views: 9_100, likes: 640, comments: 41, saves: 122, shares: 37 });
    const engagements = 96 + 310 + 74 + 41 + 122 + 37;
    const flatFees = 150_00; // Jonas is paid a flat fee per live post
    const ingest = await admin<{ key: string }>('POST', '/keys', { scope: 'ingest', name: 'Fernway store' });
    const now = Date.now();
    const month = lastMonth(now);
    // Last month's orders clear the 14-day holding period before the month ends; this week's are still held.
    const orders = [
      { who: maya!, amountMinor: 48_00, at: month.start + 2 * DAY + 9 * 3_600_000 },
      { who: maya!, amountMinor: 62_00, at: month.start + 6 * DAY + 15 * 3_600_000 },
      { who: priya!, amountMinor: 54_00, at: month.start + 9 * DAY + 11 * 3_600_000 },
      { who: kenji!, amountMinor: 36_00, at: month.start + 12 * DAY + 20 * 3_600_000 },
      ...[0, 1, 1, 2, 3, 3, 3, 4, 5].map((daysAgo, i) => ({ who: [maya!, priya!, kenji!][i % 3]!, amountMinor: 42_00 + i * 6_00, at: now - daysAgo * DAY - 3_600_000 })),
    ];
    for (const [i, o] of orders.entries()) await postOrder(ingest.key, { orderId: `fw-${2001 + i}`, amountMinor: o.amountMinor, code: o.who.code, at: o.at });
    const clicks = [
      ...Array.from({ length: 9 }, () => maya!.link),
      ...Array.from({ length: 5 }, () => priya!.link),
      ...Array.from({ length: 3 }, () => jonas!.link),
    ];
    for (const [i, link] of clicks.entries()) await click(link, i);
    const revenue = orders.reduce((t, o) => t + o.amountMinor, 0);
    const commission = orders.reduce((t, o) => t + o.amountMinor / 10, 0);
    const cost = commission + flatFees;
    // Clicks reach D1 through the queue consumer in batches: wait until the rollups have them all.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const network = await admin<{ summary: { uniqueClicks: number } }>('GET', `/campaigns/${campaignId}/network`);
      if (network.summary.uniqueClicks === clicks.length) break;
      if (Date.now() > deadline) throw new Error(`clicks never reached the rollups: ${JSON.stringify(network.summary)}\n${server.output()}`);
      await new Promise((r) => setTimeout(r, 250));
    }

    // ----- The network page: the total leads, the charts have names and a table behind them -----
    await page.goto(`${server.url}/console/campaigns/${campaignId}/network`);
    expect(await statValue(page, 'Creators active')).toBe('4');
    expect(await textOf(page, 'main .stat:has(.stat-label:text-is("Creators active")) .stat-hint')).toBe('of 50 enrolled');
    expect(await statValue(page, 'Posts live')).toBe('2');
    expect(await statValue(page, 'Unique clicks')).toBe(String(clicks.length));
    expect(await statValue(page, 'Conversions')).toBe(String(orders.length));
    expect(await statValue(page, 'Revenue')).toBe(usd(revenue));
    expect(await statValue(page, 'Creator cost')).toBe(usd(cost));
    expect(await statValue(page, 'Engagements')).toBe(String(engagements));
    const cpe = Math.round(cost / engagements);
    // The ratio is taken from the raw totals (500,000 cents for 2,000 engaged against cost for engagements),
    // kept to three significant digits and shown to one decimal.
    const cheaper = `${Number(Number(((500_000 * engagements) / (cost * 2_000)).toPrecision(3)).toFixed(1))}× cheaper`;
    expect(await textOf(page, '.hero-value')).toBe(usd(cpe));
    expect(await textOf(page, '.hero-claim')).toBe(`${cheaper} per engagement than the mid-tier baseline`);
    const cpeChart = page.getByRole('img', { name: /^Cost per engagement: your network against the mid-tier baseline/ });
    expect(await cpeChart.getAttribute('aria-labelledby')).toBe('cpe-title cpe-desc');
    expect(await cpeChart.locator('desc').textContent()).toBe(`Your network pays ${usd(cpe)} per engagement; the mid-tier baseline paid $2.50: ${cheaper}.`);
    const daily = page.getByRole('img', { name: /^Daily unique clicks and conversions, last 30 days/ });
    expect(await daily.locator('desc').textContent()).toContain(`${clicks.length} unique clicks`);
    await page.getByText('Show the numbers as a table').click();
    const table = page.getByRole('table', { name: 'Daily unique clicks and conversions' });
    const dailyRows = (await table.locator('tbody tr').allInnerTexts()).map((r) => r.split('\t').map((c) => c.trim()));
    expect(dailyRows).toHaveLength(30);
    const windowStart = Date.parse(`${new Date(now - 29 * DAY).toISOString().slice(0, 10)}T00:00:00Z`);
    expect(dailyRows.reduce((t, r) => t + Number(r[1]), 0)).toBe(clicks.length);
    expect(dailyRows.reduce((t, r) => t + Number(r[2]), 0)).toBe(orders.filter((o) => o.at >= windowStart).length);
    await page.getByText('Show the numbers as a table').click(); // closed again: the page is shown as it opens
    const ranking = page.locator('table.ranking tbody tr');
    expect(await ranking.count()).toBe(50);
    expect(squash(await ranking.first().locator('td').nth(1).innerText())).toMatch(/^Maya Lindqvist @mayalin/);
    await capture(page, '10-network');
    // The part a brand reads first, for docs/console-network.png.
    await page.screenshot({ path: path.join(shots, 'console-network-overview-1440.png'), clip: { x: 0, y: 0, width: DESKTOP.width, height: 1480 }, fullPage: true });

    // ----- A suggested move, applied from the creator's page -----
    const suggested = ranking.filter({ has: page.getByRole('link', { name: 'Offer hybrid (fee + commission)' }) }).first();
    const who = squash(await suggested.locator('td').nth(1).locator('strong').innerText());
    await navigate(page, () => suggested.getByRole('link', { name: 'Offer hybrid (fee + commission)' }).click(), /\/creators\/[^/?]+\?suggest=move_to_hybrid$/);
    expect(await textOf(page, 'main h2')).toBe(who);
    expect(await page.getByLabel('Payment').inputValue()).toBe('hybrid');
    await page.getByLabel('Flat fee per live post').fill('150');
    await capture(page, '10b-creator');
    await navigate(page, () => page.getByRole('button', { name: 'Save', exact: true }).click(), /\?flash=saved$/);
    expect(await textOf(page, 'main [role=status]')).toBe('Saved. Links and codes follow within seconds.');
    expect(await page.getByLabel('Flat fee per live post').inputValue()).toBe('150.00');

    // ----- Payouts: close last month, then hand finance the file -----
    await navigate(page, () => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Payouts' }).click(), /\/console\/payouts$/);
    expect(await textOf(page, 'h1')).toBe(`Payouts · ${month.label}`);
    expect(await textOf(page, '#period-h')).toBe(`Ready to close ${month.label} has ended`);
    // What the close claims: orders whose holding period ended before the month did.
    const lastMonthOrders = orders.filter((o) => o.at + 14 * DAY < month.end);
    const lastMonthCommission = lastMonthOrders.reduce((t, o) => t + o.amountMinor / 10, 0);
    const paidCreators = new Set(lastMonthOrders.map((o) => o.who.handle));
    expect(await main(page)).toContain(`${usd(lastMonthCommission)} for ${paidCreators.size} creators`);
    await capture(page, '11-payouts-ready');
    await navigate(page, () => page.getByRole('button', { name: `Close ${month.label}` }).click(), /\/console\/payouts\/close$/);
    expect(await textOf(page, 'main [role=alert]')).toContain(`This creates payouts of ${usd(lastMonthCommission)} for ${paidCreators.size} creators`);
    await navigate(page, () => page.getByRole('button', { name: `Yes, close ${month.label}` }).click(), new RegExp(`\\?period=${month.period}&flash=closed&n=${paidCreators.size}$`));
    expect(await textOf(page, 'main [role=status]')).toBe(`Period closed: ${paidCreators.size} payouts created. Download the CSV for your payment run.`);
    expect(await page.locator('table.payouts tbody tr').count()).toBe(paidCreators.size);
    expect(squash(await page.locator('table.payouts tfoot').innerText())).toContain(usd(lastMonthCommission));
    await capture(page, '12-payouts-closed');
    const payouts = await download(page, () => page.getByRole('link', { name: 'Download CSV' }).click());
    expect(payouts.name).toBe(`chorus-payouts-fernway-${month.period}.csv`);
    expect(payouts.text.endsWith('\r\n')).toBe(true);
    expect(payouts.text.replaceAll('\r\n', '')).not.toMatch(/[\r\n]/); // every line ends CRLF, none bare
    const csvLines = payouts.text.split('\r\n').slice(0, -1);
    expect(csvLines[0]).toBe(
      '"payout_id","period","creator_id","handle","name","email","payout_method","payout_account","currency","commission","reversals","flat_fees","bonuses","net_amount","conversion_count","status","tax_details","reference"',
    );
    expect(csvLines).toHaveLength(1 + paidCreators.size + 1);
    const payoutRows = parseQuotedCsv(payouts.text).slice(1, -1);
    expect(payoutRows.map((r) => r[3]).sort()).toEqual([...paidCreators].sort());
    for (const r of payoutRows) expect([r[1], r[8], r[15]]).toEqual([month.period, 'USD', 'pending']);
    const money = (minor: number) => (minor / 100).toFixed(2);
    const payoutCount = `${paidCreators.size} ${paidCreators.size === 1 ? 'payout' : 'payouts'}`;
    expect(csvLines.at(-1)).toBe(`"TOTAL","${month.period}","","","${payoutCount}","","","","USD",${money(lastMonthCommission)},0.00,0.00,0.00,${money(lastMonthCommission)},${lastMonthOrders.length},"","",""`);

    // ----- Orders: every order with its creator, how it was attributed and where its commission stands -----
    await navigate(page, () => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Orders' }).click(), /\/console\/orders$/);
    const orderRows = page.locator('main table tbody tr');
    expect(await orderRows.count()).toBe(orders.length);
    const newest = orders.reduce((a, o, i) => (o.at > orders[a]!.at ? i : a), 0);
    expect(squash(await orderRows.first().innerText())).toContain(`fw-${2001 + newest}`);
    expect(squash(await orderRows.last().innerText())).toMatch(new RegExp(`^fw-2001 .*${usd(orders[0]!.amountMinor).replace('$', '\\$')} @${orders[0]!.who.handle}`));
    expect(await page.locator('main table .badge', { hasText: 'In payout' }).count()).toBe(lastMonthOrders.length);
    await capture(page, '12b-orders');
    const ordersCsv = await download(page, () => page.getByRole('link', { name: 'Download CSV' }).click());
    expect(ordersCsv.name).toMatch(/^chorus-orders-fernway-\d{4}-\d{2}-\d{2}\.csv$/);
    expect(parseQuotedCsv(ordersCsv.text)).toHaveLength(1 + orders.length);
    await page.getByLabel('Order id').fill('fw-2003');
    await navigate(page, () => page.getByRole('button', { name: 'Filter' }).click(), /\/console\/orders\?.*order=fw-2003/);
    expect(await orderRows.count()).toBe(1);
    expect(squash(await orderRows.first().innerText())).toContain(`Code ${orders[2]!.who.code}`);
    await page.getByLabel('Order id').fill('');
    await page.getByLabel('Attribution').selectOption('click');
    await navigate(page, () => page.getByRole('button', { name: 'Filter' }).click(), /\/console\/orders\?.*attribution=click/);
    expect(await textOf(page, 'main .empty-inline')).toBe('No orders match these filters.');

    // ----- Back to the campaign list, now with numbers -----
    await navigate(page, () => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Campaigns' }).click(), /\/console$/);
    expect(await statValue(page, 'Attributed revenue')).toBe(usd(revenue));
    await capture(page, '13-campaigns');
    // With a campaign listed, the new-campaign form waits behind its link (no script: the #fragment shows it).
    const newForm = page.getByRole('region', { name: 'New campaign' });
    expect(await newForm.isVisible()).toBe(false);
    await page.getByRole('link', { name: 'New campaign' }).click();
    expect(await newForm.isVisible()).toBe(true);
    expect(await page.getByLabel('Name', { exact: true }).isVisible()).toBe(true);

    // ----- Settings: a second storefront domain, and where stopped links go -----
    await navigate(page, () => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click(), /\/console\/settings$/);
    await page.getByLabel('Allowed hosts').fill('fernway.example\n*.fernway.example\nfernway-gifts.example');
    await page.getByLabel('Fallback page').fill('https://fernway.example/');
    await navigate(page, () => page.getByRole('button', { name: 'Save settings' }).click(), /\/console\/settings\?flash=saved$/);
    expect(await textOf(page, 'main [role=status]')).toBe('Settings saved. Links pick them up within a minute.');
    expect(await page.getByLabel('Allowed hosts').inputValue()).toBe('fernway.example\n*.fernway.example\nfernway-gifts.example');
    await capture(page, '14-settings');

    // ----- Team: a finance colleague added by email; only the mailed link sets their password -----
    await navigate(page, () => page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'Team' }).click(), /\/console\/team$/);
    const colleague = { email: 'finance@fernway.example', name: 'Ola Brandt', password: 'ledgers balance daily' };
    const addForm = page.getByRole('form', { name: 'Add someone' });
    await addForm.getByLabel('Email').fill(colleague.email);
    await addForm.getByLabel('Name').fill(colleague.name);
    await addForm.getByLabel('Role', { exact: true }).selectOption('viewer');
    await navigate(page, () => addForm.getByRole('button', { name: 'Add and email the invitation' }).click(), /\/console\/team\?flash=added$/);
    expect(squash(await page.locator('main tbody tr', { hasText: colleague.email }).innerText())).toMatch(/Ola Brandt .*Viewer.* Invited link works until/);
    await capture(page, '15-team');
    const [invitation] = await server.mailedLinks(colleague.email);
    expect(invitation).toMatch(/\/console\/reset\/[A-Za-z0-9_-]{43}$/);
    const theirs = await newPage(await browser.newContext({ viewport: PHONE }));
    await theirs.goto(invitation!);
    expect(await textOf(theirs, 'h1')).toBe('Join Fernway Botanicals');
    await theirs.getByLabel('New password').fill(colleague.password);
    await theirs.getByLabel('Repeat the password').fill(colleague.password);
    await navigate(theirs, () => theirs.getByRole('button', { name: 'Set password' }).click(), /\/console\?flash=joined$/);
    // On a phone the header keeps the name and the role; the page itself names the brand.
    expect(await textOf(theirs, '.who')).toBe('Ola Brandt · Viewer');
    expect(await theirs.locator('.eyebrow').first().textContent()).toBe('Fernway Botanicals');
    expect(await textOf(theirs, 'main [role=status]')).toContain('Welcome to the team.');
    await theirs.context().close();
    await page.reload();
    expect(squash(await page.locator('main tbody tr', { hasText: colleague.email }).innerText())).toContain('Active');

    // ----- Keys and stores: a storefront key for the checkout, shown once -----
    await navigate(page, () => page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'Keys and stores' }).click(), /\/console\/keys$/);
    await page.getByLabel('Name', { exact: true }).fill('Checkout');
    await navigate(page, () => page.getByRole('button', { name: 'Create the key' }).click(), /\/console\/keys\/keys$/);
    const storefrontKey = await page.getByLabel('Key', { exact: true }).inputValue();
    expect(storefrontKey).toMatch(/^ck_pub_/);
    await capture(page, '16-keys');
    const codeCheck = await fetch(`${server.url}/v1/codes/${good[0]!.handle.toUpperCase()}15`, { headers: { authorization: `Bearer ${storefrontKey}` } });
    expect(codeCheck.status).toBe(200);

    // ----- Removing a creator is asked once, and only the named button answers it -----
    await page.goto(`${server.url}/console/campaigns/${campaignId}/network`);
    const last = page.locator('table.ranking tbody tr').last().locator('td.creator-cell a');
    const leaving = squash(await last.innerText());
    await navigate(page, () => last.click(), /\/creators\/[^/?]+$/);
    const creatorPage = page.url();
    await page.getByRole('radio', { name: /^Removed/ }).check();
    await navigate(page, () => page.getByRole('button', { name: 'Save', exact: true }).click(), /\/creators\/[^/?]+$/);
    expect(await textOf(page, 'main [role=alert] .notice-title')).toBe(`Remove ${leaving} from Night Balm Launch?`);
    await capture(page, '17-remove-question', 'desktop');
    // Enter in a field submits the form's default button: that asks again rather than removing.
    await navigate(page, () => page.getByLabel('Flat fee per live post').press('Enter'), /\/creators\/[^/?]+$/);
    expect(await textOf(page, 'main [role=alert] .notice-title')).toBe(`Remove ${leaving} from Night Balm Launch?`);
    expect(await textOf(page, 'main section .badge')).not.toBe('Removed');
    await navigate(page, () => page.getByRole('button', { name: `Remove ${leaving}` }).first().click(), /\?flash=saved$/);
    expect(page.url()).toBe(`${creatorPage}?flash=saved`);
    expect(await textOf(page, 'main section .badge')).toBe('Removed');

    // ----- Applications: the page switched on, a creator applies from a phone, the brand approves -----
    await page.goto(`${server.url}/console/campaigns/${campaignId}/applications`);
    expect(await main(page)).toContain('Off. Switch it on');
    await navigate(page, () => page.getByRole('button', { name: 'Take applications' }).click(), /\/applications\?flash=opened$/);
    const applyUrl = await page.getByLabel('Application page', { exact: true }).inputValue();
    expect(applyUrl).toBe(`${server.url}/apply/${server.brand.slug}/night-balm-launch`);
    const phone = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
    const applicant = await newPage(phone);
    await applicant.goto(applyUrl);
    expect(await textOf(applicant, 'h1')).toBe('Apply to join Night Balm Launch');
    await applicant.getByLabel('Your name').fill('Lea Brandt');
    await applicant.getByLabel('Email').fill('lea.brandt@creators.example');
    await applicant.getByLabel('Your handle').fill('@Lea.Outdoors');
    await applicant.getByRole('radio', { name: 'TikTok' }).check();
    await applicant.getByLabel(/^Followers there/).fill('lots');
    await navigate(applicant, () => applicant.getByRole('button', { name: 'Send my application' }).click(), /\/apply\//);
    // Refused with the field named, focused on the summary, what was typed kept.
    expect(await textOf(applicant, '.error-summary li')).toBe('Followers as a number, like 18500 or 18.5k.');
    expect(await applicant.evaluate(() => document.activeElement?.classList.contains('error-summary'))).toBe(true);
    expect(await applicant.getByLabel('Your handle').inputValue()).toBe('@Lea.Outdoors');
    expect(await axeViolations(applicant)).toEqual([]);
    await applicant.screenshot({ path: path.join(shots, 'apply-error-390.png'), fullPage: true });
    await applicant.getByLabel(/^Followers there/).fill('24.5k');
    await applicant.getByLabel(/^Why you and/).fill('Winter trail runs, cracked skin, honest reviews.');
    await navigate(applicant, () => applicant.getByRole('button', { name: 'Send my application' }).click(), /\/apply\//);
    expect(await textOf(applicant, 'h1')).toBe('Thanks, your application is in');
    expect(await axeViolations(applicant)).toEqual([]);
    await phone.close();
    await page.reload();
    expect(await textOf(page, '#waiting-h')).toBe('Waiting for an answer (1)');
    expect(await main(page)).toContain('Lea Brandt @lea.outdoors');
    expect(await main(page)).toContain('24,500 followers');
    await capture(page, '18-applications');
    await page.getByLabel('Pays').selectOption('product');
    await navigate(page, () => page.getByRole('button', { name: 'Approve and invite Lea Brandt' }).click(), /\/applications\?approved=/);
    expect(await textOf(page, 'main [role=status] .notice-title')).toBe('Approved and invited');
    expect(await main(page)).toContain('Chorus is emailing Lea Brandt (@lea.outdoors) their invitation: accepting it gives them their link and code');
    const [leaInvite] = await server.mailedLinks('lea.brandt@creators.example', 1, 60_000);
    expect(leaInvite).toMatch(new RegExp(`^${server.url}/invite/`));
    await navigate(page, () => page.getByRole('link', { name: 'their page' }).click(), /\/creators\/[^/?]+$/);
    expect(await main(page)).toContain('Product seeding');

    // A second applicant, declined: the brand reads before and after that Chorus emails them a short note.
    const noah = { name: 'Noah Berg', email: 'noah.berg@creators.example', handle: 'noah.berg', platform: 'instagram', followers: '3k', niche: '', profileUrl: '', pitch: '', leave_this_empty: '' };
    const applied = await fetch(applyUrl, { method: 'POST', redirect: 'manual', headers: { origin: server.url, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(noah) });
    expect(applied.status, await applied.text()).toBe(200);
    await page.goto(`${server.url}/console/campaigns/${campaignId}/applications`);
    expect(await main(page)).toContain('Declining sends them a short email saying you are not taking them on for this campaign, with no reason given, once (none if you declined them in the last month).');
    await navigate(page, () => page.getByRole('button', { name: 'Decline Noah Berg' }).click(), /\/applications\?flash=declined&mailed=1$/);
    expect(await main(page)).toContain('Declined. Chorus is emailing them a short note that you are not taking them on for this campaign (no reason given).');
    const [noahUnsubscribe] = await server.mailedLinks(noah.email, 1, 60_000);
    expect(noahUnsubscribe).toMatch(new RegExp(`^${server.url}/unsubscribe/`));

    await context.close();
    expect(pageProblems).toEqual([]);
    console.log(`console story: ${((Date.now() - started) / 1000).toFixed(1)} s after the worker was up`);
  });

  // Its own test (and time limit): the owner turns on two-step sign-in with a phone's code, keeps the recovery
  // codes, and from then on a password alone opens only the code page.
  it('turns on two-step sign-in, then asks for a code after the password', async () => {
    const { server, browser } = story;
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await newPage(context);
    const signIn = async () => {
      await page.goto(`${server.url}/console/login`);
      await page.getByLabel('Work email').fill(OWNER.email);
      await page.getByLabel('Password').fill(OWNER.password);
      await navigate(page, () => page.getByRole('button', { name: 'Sign in' }).click(), /\/console\/login$/);
      await navigate(page, () => page.getByRole('button', { name: /^Fernway Botanicals/ }).click(), /\/console(\/login\/code)?$/);
    };
    await signIn();
    expect(await textOf(page, 'h1')).toBe('Campaigns');

    await page.goto(`${server.url}/console/team/me/two-step`);
    expect(await textOf(page, 'h1')).toBe('Set up two-step sign-in');
    await page.getByText("Can't scan it? Type this key instead").click();
    const key = base32Decode((await page.locator('code.secret-key').innerText()).replace(/\s+/g, ''));
    expect(key).not.toBeNull();
    await capture(page, '30-two-step-setup');
    // The phone's code now; sign-in takes the next step's, since each step's code is taken once.
    const step = totpStep(Date.now());
    await page.getByLabel('6-digit code from the app').fill(await hotp(key!, step));
    await page.getByLabel('Your password').fill(OWNER.password);
    await navigate(page, () => page.getByRole('button', { name: 'Turn on two-step sign-in' }).click(), /\/console\/team\/me\/two-step/);
    expect(await textOf(page, 'h1')).toBe('Two-step sign-in is on');
    expect(await page.getByRole('list', { name: 'Recovery codes' }).locator('li').count()).toBe(10);
    await capture(page, '31-two-step-recovery-codes');

    await navigate(page, () => page.getByRole('button', { name: 'Sign out' }).click(), /\/console\/login/);
    await signIn();
    expect(page.url()).toBe(`${server.url}/console/login/code`);
    expect(await textOf(page, 'h1')).toBe('Two-step sign-in');
    // The page opens nothing else until a code passes.
    expect((await context.request.get(`${server.url}/console`, { maxRedirects: 0 })).status()).toBe(303);
    await page.getByLabel('Code').fill(String((Number(await hotp(key!, step + 1)) + 1) % 1_000_000).padStart(6, '0'));
    await navigate(page, () => page.getByRole('button', { name: 'Sign in' }).click(), /\/console\/login\/code$/);
    expect(await textOf(page, '[role=alert]')).toContain('code');
    await capture(page, '32-two-step-code');
    await page.getByLabel('Code').fill(await hotp(key!, step + 1));
    await navigate(page, () => page.getByRole('button', { name: 'Sign in' }).click(), /\/console$/);
    expect(await textOf(page, 'h1')).toBe('Campaigns');
    await context.close();
    expect(pageProblems).toEqual([]);
  });
});

async function main(page: Page): Promise<string> {
  return squash(await page.locator('main').innerText());
}
