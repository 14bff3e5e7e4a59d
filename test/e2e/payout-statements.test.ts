// A payout's statement in a real Chromium against the real worker: the creator opens a paid payout from Earnings and
// reads what it paid (commissions per order, a refund taken back, a flat fee, a bonus, the brand's adjustment), prints
// it as a one-page remittance, and the brand opens the same payout from its Payouts page. Every page is screenshotted
// at phone and desktop width (test-results/screenshots/statement-*), the creator's also as printed, and checked with axe-core.
import { createHmac, randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { adminApi, browserStory, captureChecked, DESKTOP, joinFromInvite, PHONE, signInToConsole } from './server';

const owner = { email: 'maya@fernway.example', name: 'Maya Lind', password: 'fernway finance 2026' };
const story = browserStory({ owner });

const admin = <T>(method: string, route: string, body?: unknown) => adminApi<T>(story.server, method, route, body);

const capture = (page: Page, name: string) => captureChecked(page, name, (w) => path.join(story.shots, `statement-${name}-${w}.png`), { fromTop: true });

async function signed(route: string, payload: Record<string, unknown>, ingestKey: string) {
  const body = JSON.stringify(payload);
  const t = Math.floor(Date.now() / 1000);
  const v1 = createHmac('sha256', ingestKey).update(`${t}.${body}`).digest('hex');
  const res = await fetch(`${story.server.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', 'chorus-account': story.server.brand.slug, 'chorus-signature': `t=${t},v1=${v1}` }, body });
  expect(res.status, await res.clone().text()).toBe(201);
}

const SEPT = (day: number) => Date.UTC(2026, 8, day, 12);

describe('payout statements in Chromium', () => {
  it('lets the creator and the brand read, print and download what a payout paid', async () => {
    const { server, browser, shots } = story;
    const plan = await admin<{ id: string }>('POST', '/commission-plans', { name: 'Standard', tiers: [{ fromMinor: 0, rateBps: 1000 }, { fromMinor: 50_000, rateBps: 1500 }], period: 'month', bonus: null });
    const campaign = await admin<{ id: string }>('POST', '/campaigns', { name: 'Lumen Glow', slug: 'lumen-glow', hashtag: '#LumenGlow', defaultDestination: 'https://fernway.example/lumen-serum', commissionPlanId: plan.id, holdingDays: 14 });
    const email = 'sarah@creators.example';
    const creator = await admin<{ id: string }>('POST', '/creators', { email, handle: 'sarah_lumen', displayName: 'Sarah Lumen' });
    const enrollment = await admin<{ id: string }>('POST', '/enrollments', { campaignId: campaign.id, creatorId: creator.id, paymentModel: 'hybrid', flatFeeMinor: 15_000 });
    await admin('POST', '/codes', { enrollmentId: enrollment.id, code: 'SARAH15', discountType: 'percent', discountValue: 15 });
    const { key: ingestKey } = await admin<{ key: string }>('POST', '/keys', { scope: 'ingest', name: 'store' });
    const { inviteUrl } = await admin<{ inviteUrl: string }>('POST', `/creators/${creator.id}/invite`);

    const problems: string[] = [];
    const context = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true });
    const page = await context.newPage();
    page.on('pageerror', (e) => problems.push(`page error on ${page.url()}: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && problems.push(`console error on ${page.url()}: ${m.text()}`));
    await joinFromInvite(page, server, { inviteUrl, email, password: 'glowing every morning', accept: true });

    // ----- September's money: three orders, a refund, a live post's fee, a bonus and the brand's thanks -----
    const orders = [
      ['FW-10231', 8_900, 3],
      ['FW-10388', 12_450, 9],
      ['FW-10502', 32_000, 17],
    ] as const;
    for (const [orderId, amountMinor, day] of orders) await signed('/v1/conversions', { orderId, amountMinor, currency: 'USD', occurredAt: new Date(SEPT(day)).toISOString(), code: 'SARAH15' }, ingestKey);
    await signed('/v1/refunds', { refundId: 'RF-77', orderId: 'FW-10388', amountMinor: 12_450, currency: 'USD', occurredAt: new Date(SEPT(21)).toISOString() }, ingestKey);
    const db = await server.db();
    const entry = (kind: string, amountMinor: number, day: number, note: string | null, submissionId: string | null = null) =>
      db
        .prepare(
          "INSERT INTO ledger_entries (id, brand_id, enrollment_id, creator_id, kind, amount_minor, currency, basis_minor, period, submission_id, note, event_key, available_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 'USD', 0, '2026-09', ?, ?, ?, ?, ?)",
        )
        .bind(`le_e2e_${randomBytes(6).toString('hex')}`, server.brand.id, enrollment.id, creator.id, kind, amountMinor, submissionId, note, `${kind}:${randomBytes(6).toString('hex')}`, SEPT(day), SEPT(day));
    const now = Date.now();
    await db.batch([
      db
        .prepare("INSERT INTO submissions (id, brand_id, enrollment_id, story_format, draft_url, caption, status, post_url, compliance, created_at, updated_at) VALUES ('sub_e2e_post', ?, ?, 'day_in_the_life', 'https://drive.example/d', '#LumenGlow #ad', 'live', 'https://www.instagram.com/p/C9lumenglow', '{\"hashtag\":true,\"disclosure\":true}', ?, ?)")
        .bind(server.brand.id, enrollment.id, now, now),
      entry('flat_fee', 15_000, 12, null, 'sub_e2e_post'),
      entry('bonus', 5_000, 30, null),
      entry('adjustment', 2_500, 29, 'Thanks for the extra story on launch day'),
    ]);
    await admin('POST', '/payouts/close', { period: '2026-10' });
    const [payout] = (await admin<{ payouts: { id: string; netMinor: number }[] }>('GET', '/payouts?period=2026-10')).payouts;
    // 890 + 1245 at 10%, 4800 at 15% (tier 2 from $500), 1245 taken back, then 15000 fee, 5000 bonus, 2500 adjustment.
    expect(payout!.netMinor).toBe(28_190);
    await admin('POST', `/payouts/${payout!.id}/mark`, { reference: 'WISE-2026-10-0042' });

    // ----- The creator opens it from Earnings -----
    await page.goto(`${server.url}/earnings`);
    await Promise.all([page.waitForURL(new RegExp(`/earnings/payouts/${payout!.id}$`)), page.getByRole('link', { name: /October 2026 payout from Fernway Botanicals/ }).click()]);
    expect(await page.locator('h1').innerText()).toBe('October 2026 payout from Fernway Botanicals');
    await expect.poll(() => page.getByRole('button', { name: 'Print' }).isVisible()).toBe(true);
    const subtotals = await page.locator('tr.subtotal td.num').allInnerTexts();
    expect(subtotals).toEqual(['$69.35', '−$12.45', '$150.00', '$50.00', '$25.00']);
    expect(await page.locator('tfoot td.num').innerText()).toBe('$281.90');
    await capture(page, 'creator');

    // Printed: no top bar, buttons or links to elsewhere, and one page.
    await page.setViewportSize(DESKTOP);
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('header.topbar').isVisible()).toBe(false);
    expect(await page.getByRole('button', { name: 'Print' }).isVisible()).toBe(false);
    await page.screenshot({ path: path.join(shots, 'statement-creator-print.png'), fullPage: true });
    const pdf = await page.pdf({ format: 'A4', printBackground: false });
    expect(pdf.toString('latin1').match(/\/Type\s*\/Page\b/g)?.length, 'printed pages').toBe(1);
    await page.emulateMedia({ media: 'screen' });

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
    expect(download.suggestedFilename()).toBe(`chorus-payout-2026-10-${payout!.id}.csv`);

    // Without scripts the Print button stays hidden (its `hidden` is not undone by .button's display): the
    // browser's own Print is what the page offers.
    const noScript = await browser.newContext({ viewport: PHONE, javaScriptEnabled: false, storageState: await context.storageState() });
    const plain = await noScript.newPage();
    await plain.goto(`${server.url}/earnings/payouts/${payout!.id}`);
    expect(await plain.locator('h1').innerText()).toBe('October 2026 payout from Fernway Botanicals');
    expect(await plain.locator('[data-print]').count()).toBe(1);
    expect(await plain.locator('[data-print]').isVisible()).toBe(false);
    await noScript.close();

    // ----- The brand opens the same payout from its Payouts page -----
    const team = await browser.newContext({ viewport: DESKTOP });
    const brandPage = await team.newPage();
    brandPage.on('pageerror', (e) => problems.push(`page error on ${brandPage.url()}: ${e.message}`));
    await signInToConsole(brandPage, server, owner);
    await brandPage.goto(`${server.url}/console/payouts?period=2026-10`);
    await Promise.all([brandPage.waitForURL(new RegExp(`/console/payouts/${payout!.id}$`)), brandPage.getByRole('link', { name: 'Statement of Sarah Lumen’s payout' }).click()]);
    expect(await brandPage.locator('h1').innerText()).toBe('Sarah Lumen · October 2026 payout');
    expect(await brandPage.locator('tfoot td.num').innerText()).toBe('$281.90');
    await capture(brandPage, 'console');
    await brandPage.setViewportSize(DESKTOP);
    await brandPage.emulateMedia({ media: 'print' });
    await brandPage.screenshot({ path: path.join(shots, 'statement-console-print.png'), fullPage: true });

    await context.close();
    await team.close();
    expect(problems).toEqual([]);
  });
});
