// The Payouts page's Payment files in a real Chromium: a closed euro month with bank transfers, PayPal and Wise
// payouts and a few no file pays. The section is screenshotted at phone and desktop width
// (test-results/screenshots/payment-files-*) and checked with axe-core; the SEPA file downloads from its form. Then the
// brand pays November in US dollars: a creator saves a US bank account at phone width and the ACH file downloads.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sealSecret } from '../../worker/lib/secrets';
import { adminApi, browserStory, captureChecked, DESKTOP, joinFromInvite, navigate, PHONE, signInToConsole } from './server';

const owner = { email: 'maya@fernway.example', name: 'Maya Lind', password: 'fernway finance 2026' };
const story = browserStory({ owner });
// wrangler.toml's development SECRETS_KEY, which the story's worker runs with.
const SECRETS_KEY = 'dev-secrets-key-change-me-0123456789abcdef';

const admin = <T>(method: string, route: string, body?: unknown) => adminApi<T>(story.server, method, route, body);

const CREATORS = [
  { handle: 'ana_sol', name: 'Ana Sol', details: { method: 'bank_transfer', account: 'DE89370400440532013000', holder: 'Ana Solà' }, net: 18_450 },
  { handle: 'bruno_k', name: 'Bruno Kai', details: { method: 'bank_transfer', account: 'FR1420041010050500013M02606', holder: 'Bruno Kai' }, net: 9_230 },
  { handle: 'chloe_v', name: 'Chloé Vance', details: { method: 'bank_transfer', account: 'NL91ABNA0417164300' }, net: 4_100 },
  { handle: 'dana_p', name: 'Dana Park', details: { method: 'paypal', account: 'dana@creators.example' }, net: 12_000 },
  { handle: 'eli_w', name: 'Eli Wren', details: { method: 'wise', account: 'eli@creators.example' }, net: 7_525 },
  { handle: 'fay_m', name: 'Fay Moss', details: null, net: 3_000 },
];

describe('payment files in Chromium', () => {
  it('shows what each file pays and what none does, and downloads the SEPA file', async () => {
    const { server, browser, shots } = story;
    const campaign = await admin<{ id: string }>('POST', '/campaigns', { name: 'Lumen Glow', slug: 'lumen-glow', hashtag: '#LumenGlow', defaultDestination: 'https://fernway.example/lumen-serum' });
    const db = await server.db();
    await db.prepare("UPDATE brands SET currency = 'EUR', payer_name = 'Fernway Botanicals GmbH', payer_iban = 'DE75512108001245126199', payer_bic = 'SOGEDEFFXXX' WHERE id = ?").bind(server.brand.id).run();
    const now = Date.now();
    for (const [i, c] of CREATORS.entries()) {
      const creator = await admin<{ id: string }>('POST', '/creators', { email: `${c.handle}@creators.example`, handle: c.handle, displayName: c.name });
      await db.prepare('UPDATE brand_creators SET accepted_at = ? WHERE brand_id = ? AND creator_id = ?').bind(now, server.brand.id, creator.id).run();
      const enrollment = await admin<{ id: string }>('POST', '/enrollments', { campaignId: campaign.id, creatorId: creator.id, paymentModel: 'affiliate', status: 'active' });
      if (c.details) await db.prepare('UPDATE creators SET payout_details_enc = ? WHERE id = ?').bind(await sealSecret(SECRETS_KEY, JSON.stringify(c.details)), creator.id).run();
      await db
        .prepare("INSERT INTO ledger_entries (id, brand_id, enrollment_id, creator_id, kind, amount_minor, currency, basis_minor, period, event_key, available_at, created_at) VALUES (?, ?, ?, ?, 'commission', ?, 'EUR', 0, '2026-09', ?, ?, ?)")
        .bind(`le_pf_${i}`, server.brand.id, enrollment.id, creator.id, c.net, `commission:pf${i}`, Date.UTC(2026, 9, 1), Date.UTC(2026, 8, 15))
        .run();
    }
    await admin('POST', '/payouts/close', { period: '2026-10' });

    const context = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error on ${page.url()}: ${e.message}`));
    await page.goto(`${server.url}/console/login`);
    await page.getByLabel('Work email').fill(owner.email);
    await page.getByLabel('Password').fill(owner.password);
    await Promise.all([page.waitForURL(/\/console(\?.*)?$/), page.getByRole('button', { name: 'Sign in' }).click()]);
    await page.goto(`${server.url}/console/payouts?period=2026-10`);
    const section = page.locator('section[aria-labelledby="files-h"]');
    expect(await section.locator('#file-sepa-h').innerText()).toBe('SEPA bank transfer');
    expect(await section.innerText()).toContain('€276.80');
    expect(await section.innerText()).toContain('In no file: 2 payouts');
    await section.scrollIntoViewIfNeeded();
    await captureChecked(page, 'payment-files', (w) => path.join(shots, `payment-files-${w}.png`));
    for (const size of [PHONE, DESKTOP]) {
      await page.setViewportSize(size);
      await section.screenshot({ path: path.join(shots, `payment-files-section-${size.width}.png`) });
    }

    const [download] = await Promise.all([page.waitForEvent('download'), section.getByRole('button', { name: 'Download SEPA XML' }).click()]);
    expect(download.suggestedFilename()).toBe(`chorus-sepa-${server.brand.slug}-2026-10.xml`);
    const xml = readFileSync(await download.path(), 'utf8');
    expect(xml).toContain('<NbOfTxs>2</NbOfTxs>');
    expect(xml).toContain('<CtrlSum>276.80</CtrlSum>');
    expect(xml).toContain('<Nm>Ana Sola</Nm>');
    // Parsed by the browser's own XML parser: well-formed, in the pain.001.001.03 namespace.
    const parsed = await page.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, 'application/xml');
      return { error: doc.getElementsByTagName('parsererror').length, ns: doc.documentElement.namespaceURI, txs: doc.getElementsByTagName('CdtTrfTxInf').length };
    }, xml);
    expect(parsed).toEqual({ error: 0, ns: 'urn:iso:std:iso:20022:tech:xsd:pain.001.001.03', txs: 2 });
    await context.close();
    expect(problems).toEqual([]);
  });

  it('takes a US bank account on the Earnings form at phone width, and downloads the ACH file of a USD month', async () => {
    const { server, browser, shots } = story;
    const db = await server.db();
    // The story's brand has recorded money, which the API's currency change refuses: November is paid in dollars by hand here.
    await db
      .prepare("UPDATE brands SET currency = 'USD', ach_company_name = 'Fernway Inc', ach_company_id = '1123456789', ach_odfi_routing = '011000015', ach_odfi_name = 'First Bank of Boston' WHERE id = ?")
      .bind(server.brand.id)
      .run();
    const campaign = await admin<{ id: string }>('POST', '/campaigns', { name: 'Lumen US', slug: 'lumen-us', hashtag: '#LumenUS', defaultDestination: 'https://fernway.example/lumen-serum' });
    const email = 'gus@creators.example';
    const gus = await admin<{ id: string }>('POST', '/creators', { email, handle: 'gus_r', displayName: 'Gus Rivera' });
    const enrollment = await admin<{ id: string }>('POST', '/enrollments', { campaignId: campaign.id, creatorId: gus.id, paymentModel: 'affiliate' });
    const { inviteUrl } = await admin<{ inviteUrl: string }>('POST', `/creators/${gus.id}/invite`);

    const problems: string[] = [];
    const phone = await browser.newContext({ viewport: PHONE });
    const page = await phone.newPage();
    page.on('pageerror', (e) => problems.push(`page error on ${page.url()}: ${e.message}`));
    await joinFromInvite(page, server, { inviteUrl, email, password: 'paid in dollars 2026', accept: true });
    await page.goto(`${server.url}/earnings`);
    const form = page.locator('section[aria-labelledby="payout-details"]');
    await form.getByLabel('US bank account (ACH)').check();
    await form.getByLabel('Account', { exact: true }).fill('000123456789');
    await form.getByLabel('Routing number (US bank account)').fill('021000022');
    await form.getByLabel('Checking').check();
    await form.getByLabel('Account holder', { exact: true }).fill('Gus Rivera');
    await form.getByRole('button', { name: 'Save payout details' }).click();
    await page.waitForLoadState();
    expect(await form.innerText()).toContain('That is not a valid routing number');
    expect(await form.getByLabel('Routing number (US bank account)').getAttribute('aria-invalid')).toBe('true');
    expect(await form.getByLabel('Routing number (US bank account)').getAttribute('aria-describedby')).toBe('routing-hint routing-error');
    await form.getByLabel('Routing number (US bank account)').fill('021000021');
    await navigate(page, () => form.getByRole('button', { name: 'Save payout details' }).click(), /\/earnings\?saved=1$/);
    await form.scrollIntoViewIfNeeded();
    await form.screenshot({ path: path.join(shots, 'payout-details-us-390.png') });
    await phone.close();

    await db
      .prepare("INSERT INTO ledger_entries (id, brand_id, enrollment_id, creator_id, kind, amount_minor, currency, basis_minor, period, event_key, available_at, created_at) VALUES ('le_pf_us', ?, ?, ?, 'commission', 24550, 'USD', 0, '2026-11', 'commission:pfus', ?, ?)")
      .bind(server.brand.id, enrollment.id, gus.id, Date.UTC(2026, 10, 1), Date.UTC(2026, 9, 20))
      .run();
    await admin('POST', '/payouts/close', { period: '2026-11' });

    const desk = await browser.newContext({ viewport: PHONE, acceptDownloads: true });
    const consolePage = await desk.newPage();
    consolePage.on('pageerror', (e) => problems.push(`page error on ${consolePage.url()}: ${e.message}`));
    await signInToConsole(consolePage, server, owner);
    await consolePage.goto(`${server.url}/console/payouts?period=2026-11`);
    const card = consolePage.locator('article[aria-labelledby="file-ach-h"]');
    expect(await card.innerText()).toContain('$245.50');
    await card.scrollIntoViewIfNeeded();
    await card.screenshot({ path: path.join(shots, 'payment-files-ach-390.png') });
    const [download] = await Promise.all([consolePage.waitForEvent('download'), card.getByRole('button', { name: 'Download NACHA file' }).click()]);
    expect(download.suggestedFilename()).toBe(`chorus-ach-${server.brand.slug}-2026-11.ach`);
    const records = readFileSync(await download.path(), 'ascii').split('\r\n').filter(Boolean);
    expect(records).toHaveLength(10);
    expect(records.every((r) => r.length === 94)).toBe(true);
    expect(records[2]!.slice(0, 29)).toBe('622021000021000123456789     ');
    expect(records[2]!.slice(29, 39)).toBe('0000024550');
    expect(records[2]!.slice(54, 76)).toBe('GUS RIVERA            ');
    await desk.close();
    expect(problems).toEqual([]);
  });
});
