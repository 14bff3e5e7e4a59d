// Commission plans in the console: owners and managers make one from a form (the API's rules, a plain sentence
// per problem, nothing written on a refusal), everyone reads them with the campaigns using each, and a plan
// made here prices the orders of the campaign that picks it.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { adminUser, consoleBrand, get, post, signIn, type Fields } from '../console-fixtures';
import { json, rowCount, signedPost, type Data } from '../fixtures';

const plansOf = (brandId: string) => rowCount('SELECT count(*) AS n FROM commission_plans WHERE brand_id = ?', brandId);

const form = (over: Fields = {}): Fields => ({
  name: 'Spring ladder',
  period: 'month',
  from: ['0', '1,000', '5000.50', '', ''],
  rate: ['10', '12,5', '15', '', ''],
  bonusAmount: '200',
  bonusThreshold: '5000',
  ...over,
});

describe('console commission plans', () => {
  it('makes a plan from the form that prices the orders of the campaign that picks it', async () => {
    const o = await consoleBrand('manager');
    const res = await post('/console/plans', form(), { cookie: o.cookie });
    expect(res.status).toBe(303);
    const row = await env.DB.prepare("SELECT id, period, tiers, bonus FROM commission_plans WHERE brand_id = ? AND name = 'Spring ladder'").bind(o.brand.brandId).first<{ id: string; period: string; tiers: string; bonus: string }>();
    expect(res.headers.get('location')).toBe(`/console/plans?flash=created#${row!.id}`);
    expect(row!.period).toBe('month');
    expect(JSON.parse(row!.tiers)).toEqual([
      { fromMinor: 0, rateBps: 1000 },
      { fromMinor: 100_000, rateBps: 1250 },
      { fromMinor: 500_050, rateBps: 1500 },
    ]);
    expect(JSON.parse(row!.bonus)).toEqual({ amountMinor: 20_000, thresholdMinor: 500_000 });
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'plan.created' AND target_id = ? AND actor_type = 'admin_user' AND actor_id = ?", o.brand.brandId, row!.id, o.user.id)).toBe(1);

    // The campaign picks it on its page: a 1,200.00 order then reaches tier 2.
    const brief = { name: 'Glow', hashtag: 'Glow', disclosureText: '#ad', storyFormats: ['day_in_the_life', 'before_after', 'problem_solution'], defaultDestination: 'https://shop.example/glow', attributionWindowDays: '30', holdingDays: '30', commissionPlanId: row!.id, status: 'active', drawnStatus: 'active', positioningAnchor: '', nonNegotiables: '', baselineCost: '', baselineEngaged: '' };
    expect((await post(`/console/campaigns/${o.campaign.id}`, brief, { cookie: o.cookie })).status).toBe(303);
    expect(await rowCount('SELECT count(*) AS n FROM campaigns WHERE id = ? AND commission_plan_id = ?', o.campaign.id, row!.id)).toBe(1);
    const order = await signedPost(o.brand, o.ingestKey, '/v1/conversions', { orderId: `plan-${row!.id}`, amountMinor: 120_000, currency: 'USD', occurredAt: new Date(Date.now() - 60_000).toISOString(), code: o.code });
    expect(order.status).toBe(201);
    const priced = await json<Data<{ commission: { amountMinor: number; rateBps: number; tier: number } }>>(order);
    expect(priced.data.commission).toMatchObject({ amountMinor: 15_000, rateBps: 1250, tier: 2 });

    const page = await (await get('/console/plans?flash=created', o.cookie)).text();
    expect(page).toContain('Plan created.');
    expect(page).toContain('Spring ladder');
    expect(page).toContain('12.50%');
    expect(page).toContain('once their net sales in the month reach $5,000.50');
    expect(page).toContain('$200.00 bonus once their net sales in the month reach $5,000.00');
    expect(page).toMatch(new RegExp(`Used by\\s*<a href="/console/campaigns/${o.campaign.id}">Glow</a>`));
    // The fixture's plan, which nothing uses now.
    expect(page).toContain('No campaign uses this plan.');
    // The campaign form offers it, and leads here.
    const briefPage = await (await get(`/console/campaigns/${o.campaign.id}`, o.cookie)).text();
    expect(briefPage).toContain('Spring ladder: 10%, 12.50% from $1,000.00, 15% from $5,000.50 (monthly)');
    expect(briefPage).toContain('href="/console/plans"');
    // The activity log names it and links to it.
    const activity = await (await get('/console/activity?area=campaigns', o.cookie)).text();
    expect(activity).toContain(`<a href="/console/plans#${row!.id}">Spring ladder</a>`);
  });

  it('starts a new plan from an existing one, the form filled in with its tiers to change and create', async () => {
    const o = await consoleBrand('manager');
    expect((await post('/console/plans', form(), { cookie: o.cookie })).status).toBe(303);
    const id = (await env.DB.prepare("SELECT id FROM commission_plans WHERE brand_id = ? AND name = 'Spring ladder'").bind(o.brand.brandId).first<{ id: string }>())!.id;
    const list = await (await get('/console/plans', o.cookie)).text();
    expect(list).toContain(`href="/console/plans?from=${id}#new-plan"`);
    const page = await (await get(`/console/plans?from=${id}`, o.cookie)).text();
    expect(page).toContain('New plan, from “Spring ladder”');
    const formHtml = page.slice(page.indexOf('id="new-plan"'));
    const values = [...formHtml.matchAll(/name="(name|from|rate|bonusAmount|bonusThreshold)"[^>]*value="([^"]*)"/g)].map((m) => `${m[1]}=${m[2]}`);
    expect(values).toEqual(['name=Spring ladder (new)', 'from=0', 'rate=10', 'from=1000.00', 'rate=12.5', 'from=5000.50', 'rate=15', 'from=', 'rate=', 'from=', 'rate=', 'bonusAmount=200.00', 'bonusThreshold=5000.00']);
    expect(formHtml).toMatch(/value="month" checked/);
    // The form above the list, sent back with one rate changed: a second plan, the first as it was.
    expect(page.indexOf('id="new-plan"')).toBeLessThan(page.indexOf(`id="${id}"`));
    const sent = Object.fromEntries(['name', 'bonusAmount', 'bonusThreshold'].map((k) => [k, values.find((v) => v.startsWith(`${k}=`))!.split('=')[1]!]));
    const rates = values.filter((v) => v.startsWith('rate=')).map((v) => v.slice(5));
    rates[1] = '13';
    const made = await post('/console/plans', { ...sent, period: 'month', from: values.filter((v) => v.startsWith('from=')).map((v) => v.slice(5)), rate: rates }, { cookie: o.cookie });
    expect(made.status).toBe(303);
    const tiers = await env.DB.prepare('SELECT name, tiers, bonus FROM commission_plans WHERE brand_id = ? AND name LIKE ? ORDER BY name').bind(o.brand.brandId, 'Spring ladder%').all<{ name: string; tiers: string; bonus: string }>();
    expect(tiers.results.map((r) => [r.name, JSON.parse(r.tiers).map((t: { rateBps: number }) => t.rateBps), JSON.parse(r.bonus)])).toEqual([
      ['Spring ladder', [1000, 1250, 1500], { amountMinor: 20_000, thresholdMinor: 500_000 }],
      ['Spring ladder (new)', [1000, 1300, 1500], { amountMinor: 20_000, thresholdMinor: 500_000 }],
    ]);
    // A plan of more tiers than the form's rows (made through the API) is not copied short.
    const six = Array.from({ length: 6 }, (_, i) => ({ fromMinor: i * 100_000, rateBps: 1000 + i * 100 }));
    const wide = await json<Data<{ id: string }>>(await o.brand.api('POST', '/api/admin/commission-plans', { name: 'Six steps', tiers: six, period: 'month', bonus: null }));
    expect(await (await get('/console/plans', o.cookie)).text()).not.toContain(`href="/console/plans?from=${wide.data.id}#new-plan"`);
    const refused = await get(`/console/plans?from=${wide.data.id}`, o.cookie);
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain('“Six steps” has 6 tiers and this form takes 5, so it can’t be copied here');
    // Another brand's plan is not found; a viewer reads the list without a form or the link.
    expect((await get(`/console/plans?from=${id}`, (await consoleBrand('manager')).cookie)).status).toBe(404);
    const viewer = await (await get(`/console/plans?from=${id}`, await signIn((await adminUser(o.brand.brandId, 'viewer')).email))).text();
    expect(viewer).not.toContain('id="new-plan"');
    expect(viewer).not.toContain('Start a new plan from this one');
  });

  it('takes one row, a lifetime period and no bonus', async () => {
    const o = await consoleBrand('owner');
    const res = await post('/console/plans', form({ name: 'Flat 8', period: 'lifetime', from: ['0', '', '', '', ''], rate: ['8', '', '', '', ''], bonusAmount: '', bonusThreshold: '' }), { cookie: o.cookie });
    expect(res.status).toBe(303);
    const row = await env.DB.prepare("SELECT period, tiers, bonus FROM commission_plans WHERE brand_id = ? AND name = 'Flat 8'").bind(o.brand.brandId).first<{ period: string; tiers: string; bonus: string | null }>();
    expect(row).toEqual({ period: 'lifetime', tiers: JSON.stringify([{ fromMinor: 0, rateBps: 800 }]), bonus: null });
    expect(await (await get('/console/plans', o.cookie)).text()).toContain('No bonus for hybrid creators.');
  });

  it('refuses what the API refuses, says why in plain words, and writes nothing', async () => {
    const o = await consoleBrand('manager');
    const before = await plansOf(o.brand.brandId);
    const cases: [Fields, string][] = [
      [form({ name: '' }), 'Give the plan a name.'],
      [form({ name: 'x'.repeat(81) }), 'The name is up to 80 characters, on one line.'],
      [form({ name: 'Two\u0000lines' }), 'The name is up to 80 characters, on one line.'],
      [form({ rate: ['10', '101', '15', '', ''] }), 'Tier 2: the commission is a percentage from 0 to 100, like 10 or 12.5.'],
      [form({ rate: ['', '12', '15', '', ''] }), 'Tier 1: the commission is a percentage from 0 to 100'],
      [form({ rate: ['10', '-5', '15', '', ''] }), 'Tier 2: the commission is a percentage'],
      [form({ from: ['0', '1000', '900', '', ''] }), 'Tier 3 must start above $1,000.00, where the tier before it starts.'],
      [form({ from: ['0', '1000', '1000', '', ''] }), 'Tier 3 must start above $1,000.00'],
      [form({ from: ['0', 'lots', '5000', '', ''] }), 'Tier 2: the net sales it starts from is a plain amount in USD'],
      [form({ from: ['0', '1000', '', '', ''] }), 'Tier 3: the net sales it starts from is a plain amount in USD'],
      [form({ from: ['0', '1000.001', '5000', '', ''] }), 'Tier 2: the net sales it starts from'],
      // A decimal comma or a thousands point reads two ways: refused, not guessed.
      [form({ from: ['0', '1000,50', '5000', '', ''] }), 'Tier 2: the net sales it starts from'],
      [form({ from: ['0', '1.000', '5000', '', ''] }), 'Tier 2: the net sales it starts from'],
      [form({ from: ['0', '9'.repeat(13), '', '', ''], rate: ['10', '12', '', '', ''] }), 'Tier 2: the net sales it starts from'],
      [form({ bonusAmount: '200', bonusThreshold: '' }), 'The bonus needs both amounts in USD'],
      [form({ bonusAmount: '0', bonusThreshold: '100' }), 'The bonus needs both amounts in USD'],
    ];
    for (const [fields, message] of cases) {
      const res = await post('/console/plans', fields, { cookie: o.cookie });
      expect(res.status, message).toBe(422);
      const html = await res.text();
      expect(html, message).toContain(message);
      // What was typed comes back in the form.
      expect(html).toContain('Please fix these first');
    }
    // Oversized values are cut, never stored or echoed whole.
    const huge = await post('/console/plans', form({ name: 'n'.repeat(5000) }), { cookie: o.cookie });
    expect(huge.status).toBe(422);
    expect(await huge.text()).not.toContain('n'.repeat(201));
    expect(await plansOf(o.brand.brandId)).toBe(before);
  });

  it('keeps names unique within a brand, in the console and the API, so a double-clicked form makes one plan', async () => {
    const o = await consoleBrand('manager');
    expect((await post('/console/plans', form(), { cookie: o.cookie })).status).toBe(303);
    const again = await post('/console/plans', form(), { cookie: o.cookie });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('You already have a commission plan named “Spring ladder”. Choose another name.');
    const api = await o.brand.api('POST', '/api/admin/commission-plans', { name: 'SPRING Ladder', tiers: [{ fromMinor: 0, rateBps: 500 }] });
    expect(api.status).toBe(409);
    expect((await json<{ error: { code: string } }>(api)).error.code).toBe('plan_name_taken');
    // A bonus of nothing is no bonus: refused, as the console refuses it.
    expect((await o.brand.api('POST', '/api/admin/commission-plans', { name: 'Zero bonus', tiers: [{ fromMinor: 0, rateBps: 500 }], bonus: { thresholdMinor: 1_000, amountMinor: 0 } })).status).toBe(422);
    expect(await rowCount("SELECT count(*) AS n FROM commission_plans WHERE brand_id = ? AND lower(name) = 'spring ladder'", o.brand.brandId)).toBe(1);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'plan.created'", o.brand.brandId)).toBe(2);
    // Another brand may use the same name.
    const other = await consoleBrand('manager');
    expect((await post('/console/plans', form(), { cookie: other.cookie })).status).toBe(303);
  });

  it('lets viewers and finance read the plans but not make one, and shows no other brand’s', async () => {
    const o = await consoleBrand('owner');
    const other = await consoleBrand('owner');
    await other.brand.api('POST', '/api/admin/commission-plans', { name: 'Their secret ladder', tiers: [{ fromMinor: 0, rateBps: 3000 }] });
    for (const role of ['viewer', 'finance'] as const) {
      const u = await adminUser(o.brand.brandId, role);
      const cookie = await signIn(u.email);
      const page = await get('/console/plans', cookie);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('Standard');
      expect(html).not.toContain('action="/console/plans"');
      expect(html).not.toContain('Their secret ladder');
      expect((await post('/console/plans', form({ name: `By ${role}` }), { cookie })).status).toBe(403);
    }
    // A form from another site is refused before anything is read.
    expect((await post('/console/plans', form({ name: 'Forged' }), { cookie: o.cookie, origin: 'https://evil.example' })).status).toBe(403);
    // Signed out: back to the login.
    expect((await get('/console/plans')).headers.get('location')).toBe('/console/login?next=%2Fconsole%2Fplans');
    expect(await rowCount("SELECT count(*) AS n FROM commission_plans WHERE brand_id = ? AND name IN ('By viewer', 'By finance', 'Forged')", o.brand.brandId)).toBe(0);
  });

  it('deletes a plan no campaign uses, and keeps one a campaign uses', async () => {
    const o = await consoleBrand('manager');
    expect((await post('/console/plans', form({ name: 'Typo plan' }), { cookie: o.cookie })).status).toBe(303);
    const unused = await env.DB.prepare("SELECT id FROM commission_plans WHERE brand_id = ? AND name = 'Typo plan'").bind(o.brand.brandId).first<{ id: string }>();
    const page = await (await get('/console/plans', o.cookie)).text();
    expect(page).toContain(`action="/console/plans/${unused!.id}/delete"`);
    expect(page).not.toContain(`action="/console/plans/${o.plan.id}/delete"`); // the fixture campaign uses it
    const gone = await post(`/console/plans/${unused!.id}/delete`, {}, { cookie: o.cookie });
    expect(gone.headers.get('location')).toBe('/console/plans?flash=deleted');
    expect(await rowCount('SELECT count(*) AS n FROM commission_plans WHERE id = ?', unused!.id)).toBe(0);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'plan.deleted' AND actor_id = ?", unused!.id, o.user.id)).toBe(1);
    // In use: stays, and says why. Gone, another brand's or made up: 404. A viewer: 403.
    const used = await post(`/console/plans/${o.plan.id}/delete`, {}, { cookie: o.cookie });
    expect(used.status).toBe(409);
    expect(await used.text()).toContain('A campaign uses this plan, so it stays.');
    expect((await post(`/console/plans/${unused!.id}/delete`, {}, { cookie: o.cookie })).status).toBe(404);
    const other = await consoleBrand('owner');
    expect((await post(`/console/plans/${other.plan.id}/delete`, {}, { cookie: o.cookie })).status).toBe(404);
    const viewer = await signIn((await adminUser(o.brand.brandId, 'viewer')).email);
    expect((await post(`/console/plans/${o.plan.id}/delete`, {}, { cookie: viewer })).status).toBe(403);
    expect(await rowCount('SELECT count(*) AS n FROM commission_plans WHERE id IN (?, ?)', o.plan.id, other.plan.id)).toBe(2);
  });
});
