// Copy campaign: a draft for the next wave with the source's brief, money and gift settings, none of the old wave's
// work, and (when asked) the source's creators invited again through the roster import's path. Once per key.
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { adminUser, get, post, signIn } from '../console-fixtures';
import worker from '../../../worker/index';
import type { Env } from '../../../worker/env';
import { BASE, captureLogs, createBrand, createMoneyBrand, d1With, json, rowCount, type Data } from '../fixtures';

type ErrorBody = { error: { code: string; details?: Record<string, unknown> } };
type Copy = { campaign: { id: string; name: string; slug: string; status: string; startsAt: string | null; endsAt: string | null; contentDueAt: string | null }; copiedFrom: string; invited: number; invitationsMailed: number };

let counter = 0;
const uniq = () => `${Date.now().toString(36)}${counter++}`;

let world: ReturnType<typeof build> | null = null;
const shared = () => (world ??= build());
// A source with every setting the copy takes, an old wave's work, and four creators: two in it, one removed, one erased.
async function build() {
  const m = await createMoneyBrand();
  const t = uniq();
  const source = await json<Data<{ id: string; name: string }>>(
    await m.brand.api('POST', '/api/admin/campaigns', {
      name: 'Spring drop',
      slug: `spring-${t}`,
      hashtag: '#SpringDrop',
      positioningAnchor: 'Ten-minute mornings.',
      nonNegotiables: ['Daylight only', 'No medical claims'],
      disclosureText: '#ad #partner',
      storyFormats: ['before_after', 'problem_solution'],
      defaultDestination: 'https://shop.example/spring',
      attributionWindowDays: 14,
      holdingDays: 21,
      renewalMonths: 6,
      commissionPlanId: m.plan.id,
      startsAt: '2026-03-01T00:00:00Z',
      baselineCostMinor: 250_000,
      baselineEngaged: 1200,
      applicationsOpen: true,
      contentDueAt: '2199-12-31',
      usageRights: { scopes: ['organic', 'paid'], days: 90, note: 'Spring ads' },
    }),
  );
  const id = source.data.id;
  expect((await m.brand.api('PATCH', `/api/admin/campaigns/${id}/gifting`, { open: true, choices: 2 })).status).toBe(200);
  for (const title of ['Serum', 'Balm', 'Old mask']) await m.brand.api('POST', `/api/admin/campaigns/${id}/gift-products`, { title, options: ['30 ml'], sku: `SKU-${title}`, valueMinor: 900 });
  await env.DB.prepare("UPDATE gift_products SET archived_at = ? WHERE campaign_id = ? AND title = 'Old mask'").bind(Date.now(), id).run();
  const handles = ['ann', 'bea', 'cat', 'dee'].map((h) => `${h}_${t}`.slice(0, 30));
  const csv = ['email,handle,name,payment_model,flat_fee,brief_section', ...handles.map((h, i) => `${h}@creators.test,${h},${h.toUpperCase()},${i === 0 ? 'flat' : 'affiliate'},${i === 0 ? '250.00' : ''},Notes for ${h}`)].join('\n');
  expect((await m.brand.api('POST', `/api/admin/campaigns/${id}/import`, { csv })).status).toBe(200);
  const creators = await env.DB.prepare('SELECT e.id AS enrollment, e.creator_id AS creator, r.handle FROM enrollments e JOIN brand_creators r ON r.brand_id = e.brand_id AND r.creator_id = e.creator_id WHERE e.campaign_id = ? ORDER BY r.handle')
    .bind(id)
    .all<{ enrollment: string; creator: string; handle: string }>();
  const [ann, bea, cat, dee] = creators.results;
  expect((await m.brand.api('PATCH', `/api/admin/enrollments/${cat!.enrollment}`, { status: 'removed' })).status).toBe(200);
  await env.DB.prepare('UPDATE brand_creators SET erased_at = ? WHERE brand_id = ? AND creator_id = ?').bind(Date.now(), m.brand.brandId, dee!.creator).run();
  // The old wave's work: an update posted to it.
  expect((await m.brand.api('POST', `/api/admin/campaigns/${id}/updates`, { title: 'Launch Friday', body: 'Post then.' })).status).toBe(201);
  return { ...m, source: source.data, ann: ann!, bea: bea!, cat: cat!, dee: dee! };
}

const copy = async (w: Awaited<ReturnType<typeof build>>, body: unknown, headers: Record<string, string> = {}) => w.brand.api('POST', `/api/admin/campaigns/${w.source.id}/copy`, body, headers);
const campaignsOf = (brandId: string) => rowCount('SELECT count(*) AS n FROM campaigns WHERE brand_id = ?', brandId);

describe('copy a campaign', () => {
  it('copies the brief, money and gift settings and the offered products, clears the dates, and brings none of the old wave', async () => {
    const w = await shared();
    const res = await copy(w, {});
    expect(res.status).toBe(201);
    const { data } = await json<Data<Copy>>(res);
    expect(data).toMatchObject({ copiedFrom: w.source.id, invited: 0, campaign: { name: 'Spring drop (copy)', status: 'draft', startsAt: null, endsAt: null, contentDueAt: null } });
    const COPIED = 'hashtag, positioning_anchor, non_negotiables, disclosure_text, story_formats, default_destination, attribution_window_days, commission_plan_id, holding_days, renewal_months, baseline_cost_minor, baseline_engaged, gifting_open, gift_choices, usage_rights';
    const read = (id: string) => env.DB.prepare(`SELECT ${COPIED}, slug, applications_open, gift_round FROM campaigns WHERE id = ?`).bind(id).first<Record<string, unknown>>();
    const [from, to] = [await read(w.source.id), await read(data.campaign.id)];
    const { slug, applications_open, gift_round, ...copied } = to!;
    expect(copied).toEqual(Object.fromEntries(Object.entries(from!).filter(([k]) => COPIED.includes(k))));
    expect(copied.gifting_open).toBe(1);
    expect({ slug, applications_open, gift_round }).toEqual({ slug: 'spring-drop-copy', applications_open: 0, gift_round: 1 });
    // The offered products with new ids; the archived one stays behind.
    const products = (id: string) => env.DB.prepare('SELECT id, title, options, sku, value_minor FROM gift_products WHERE campaign_id = ? AND archived_at IS NULL ORDER BY created_at').bind(id).all<{ id: string; title: string }>();
    const [old, made] = [(await products(w.source.id)).results, (await products(data.campaign.id)).results];
    expect(made.map(({ id: _, ...p }) => p)).toEqual(old.map(({ id: _, ...p }) => p));
    expect(made.map((p) => p.title)).toEqual(['Serum', 'Balm']);
    expect(made.some((p) => old.some((o) => o.id === p.id))).toBe(false);
    expect(await rowCount('SELECT count(*) AS n FROM gift_products WHERE campaign_id = ?', data.campaign.id)).toBe(2);
    // Every other table that names a campaign holds nothing of the copy.
    const schema = await env.DB.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name <> 'gift_products'").all<{ name: string; sql: string }>();
    const tables = schema.results.filter((t) => /[`"\s(]campaign_id[`"\s]/.test(t.sql));
    expect(tables.map((r) => r.name)).toEqual(expect.arrayContaining(['enrollments', 'campaign_updates', 'gift_requests', 'applications', 'invitation_mails']));
    for (const { name } of tables) expect(await rowCount(`SELECT count(*) AS n FROM ${name} WHERE campaign_id = ?`, data.campaign.id), name).toBe(0);
    const audit = await env.DB.prepare("SELECT details FROM audit_log WHERE brand_id = ? AND action = 'campaign.copied' AND target_id = ?").bind(w.brand.brandId, data.campaign.id).first<{ details: string }>();
    expect(JSON.parse(audit!.details)).toMatchObject({ from: w.source.id, to: data.campaign.id });
    // A second copy of the same name gets a slug of its own.
    const again = await json<Data<Copy>>(await copy(w, {}));
    expect(again.data.campaign.slug).toBe('spring-drop-copy-2');
  });

  it('invites the chosen creators as an import would, never removed or erased ones; strays are refused with nothing written', async () => {
    const w = await shared();
    const one = await copy(w, { name: 'Summer drop', inviteCreatorIds: [w.ann.creator] });
    expect(one.status).toBe(201);
    const made = (await json<Data<Copy>>(one)).data;
    expect(made.invited).toBe(1);
    const enrolled = await env.DB.prepare(
      `SELECT e.status, e.payment_model, e.flat_fee_minor, e.brief_section, (SELECT count(*) FROM links l WHERE l.enrollment_id = e.id) AS links, (SELECT code FROM discount_codes d WHERE d.enrollment_id = e.id) AS code
       FROM enrollments e WHERE e.campaign_id = ?`,
    )
      .bind(made.campaign.id)
      .all<Record<string, unknown>>();
    // Paid as in the source, with their own brief section, a link, and a code from the copy's name (they hold {HANDLE}15 there).
    expect(enrolled.results).toEqual([{ status: 'invited', payment_model: 'flat', flat_fee_minor: 25_000, brief_section: `Notes for ${w.ann.handle}`, links: 1, code: expect.stringMatching(/SUMMER$/) }]);

    const all = (await json<Data<Copy>>(await copy(w, { name: 'Autumn drop', inviteCreatorIds: 'all' }))).data;
    expect(all.invited).toBe(2);
    const invitedIds = await env.DB.prepare('SELECT creator_id FROM enrollments WHERE campaign_id = ? ORDER BY creator_id').bind(all.campaign.id).all<{ creator_id: string }>();
    expect(invitedIds.results.map((r) => r.creator_id)).toEqual([w.ann.creator, w.bea.creator].sort());

    const before = await campaignsOf(w.brand.brandId);
    const removed = await copy(w, { inviteCreatorIds: [w.ann.creator, w.cat.creator, w.dee.creator] });
    expect(removed.status).toBe(422);
    expect(await json<ErrorBody>(removed)).toMatchObject({ error: { code: 'creator_not_in_campaign', details: { creatorIds: [w.cat.creator, w.dee.creator] } } });
    const other = await createMoneyBrand();
    const foreign = await copy(w, { inviteCreatorIds: [w.ann.creator, other.creator.id] });
    expect(foreign.status).toBe(404);
    expect((await other.brand.api('POST', `/api/admin/campaigns/${w.source.id}/copy`, {})).status).toBe(404);
    expect((await json<ErrorBody>(await copy(w, { inviteCreatorIds: Array.from({ length: 501 }, (_, i) => `cr_${i}`) }))).error.code).toBe('validation_failed');
    expect(await campaignsOf(w.brand.brandId)).toBe(before);
    expect(await campaignsOf(other.brand.brandId)).toBe(1);
  });

  it('makes one copy per Idempotency-Key, and the same key again invites only who is missing', async () => {
    const w = await shared();
    const key = `copy-${uniq()}`;
    const first = await copy(w, { name: 'Winter drop', inviteCreatorIds: [w.bea.creator] }, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    const again = await copy(w, { name: 'Winter drop', inviteCreatorIds: [w.bea.creator] }, { 'idempotency-key': key });
    expect(again.status).toBe(200);
    const [a, b] = [(await json<Data<Copy>>(first)).data, (await json<Data<Copy>>(again)).data];
    expect(b.campaign.id).toBe(a.campaign.id);
    expect(b.invited).toBe(1);
    expect(await rowCount("SELECT count(*) AS n FROM campaigns WHERE brand_id = ? AND name = 'Winter drop'", w.brand.brandId)).toBe(1);
    expect(await rowCount('SELECT count(*) AS n FROM enrollments WHERE campaign_id = ?', a.campaign.id)).toBe(1);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE action = 'campaign.copied' AND target_id = ?", a.campaign.id)).toBe(1);
    const renamed = await copy(w, { name: 'Other name' }, { 'idempotency-key': key });
    expect(renamed.status).toBe(409);
    expect((await json<ErrorBody>(renamed)).error.code).toBe('idempotency_conflict');
    expect((await copy(w, {}, { 'idempotency-key': 'bad key' })).status).toBe(400);
  });

  it('a copy whose invitations stop part-way stands as copied, and the same key again invites the rest', async () => {
    const w = await shared();
    const key = `part-${uniq()}`;
    // The import's chunks are its only batches of seven statements or more: they fail, the campaign's batch lands.
    const flaky = d1With({ batch: (stmts: D1PreparedStatement[]) => (stmts.length >= 7 ? Promise.reject(new Error('D1_ERROR: storage unavailable')) : env.DB.batch(stmts)) });
    const ctx = createExecutionContext();
    const { result: res, lines } = await captureLogs(async () => {
      const answer = await worker.fetch(
        new Request(`${BASE}/api/admin/campaigns/${w.source.id}/copy`, { method: 'POST', headers: { authorization: `Bearer ${w.brand.adminKey}`, 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify({ name: 'Part drop', inviteCreatorIds: 'all' }) }),
        { ...env, DB: flaky } as Env,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return answer;
    });
    expect(lines.map((l) => l.event)).toContain('campaign_copy_invites_stopped');
    expect(res.status).toBe(503);
    const failed = await json<ErrorBody>(res);
    expect(failed.error.code).toBe('copy_incomplete');
    const id = failed.error.details!.campaignId as string;
    expect(await rowCount('SELECT count(*) AS n FROM campaigns WHERE id = ?', id)).toBe(1);
    expect(await rowCount('SELECT count(*) AS n FROM enrollments WHERE campaign_id = ?', id)).toBe(0);
    const again = await copy(w, { name: 'Part drop', inviteCreatorIds: 'all' }, { 'idempotency-key': key });
    expect(again.status).toBe(200);
    expect((await json<Data<Copy>>(again)).data).toMatchObject({ campaign: { id }, invited: 2 });
    expect(await rowCount('SELECT count(*) AS n FROM gift_products WHERE campaign_id = ?', id)).toBe(2);
  });

  it('in the console: owners and managers copy (a form sent twice makes one campaign); viewers and finance neither see nor use it', async () => {
    const w = await shared();
    const manager = await signIn((await adminUser(w.brand.brandId, 'manager')).email);
    const brief = await (await get(`/console/campaigns/${w.source.id}`, manager)).text();
    expect(brief).toContain(`/console/campaigns/${w.source.id}/copy`);
    const page = await get(`/console/campaigns/${w.source.id}/copy`, manager);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('value="Spring drop (copy)"');
    // Listed: the two still in it, ticked; not the removed or the erased one.
    expect(html).toContain(`value="${w.ann.creator}" checked`);
    expect(html).toContain(`value="${w.bea.creator}" checked`);
    expect(html).not.toContain(w.cat.creator);
    expect(html).not.toContain(w.dee.creator);
    const key = /name="key" value="([^"]+)"/.exec(html)![1]!;
    const name = `Console drop ${uniq()}`;
    const fields = { key, name, creator: [w.ann.creator, w.bea.creator] };
    const sent = await post(`/console/campaigns/${w.source.id}/copy`, fields, { cookie: manager });
    const twice = await post(`/console/campaigns/${w.source.id}/copy`, fields, { cookie: manager });
    expect(sent.status).toBe(303);
    expect(twice.headers.get('location')).toBe(sent.headers.get('location'));
    expect(await rowCount('SELECT count(*) AS n FROM campaigns WHERE brand_id = ? AND name = ?', w.brand.brandId, name)).toBe(1);
    const landed = await (await get(sent.headers.get('location')!, manager)).text();
    expect(landed).toMatch(/role="status"[^>]*>[\s\S]*Copied from Spring drop: 2 creators invited/);
    // Refused with the problem beside its field, and nothing written; a cross-site form is refused.
    const long = await post(`/console/campaigns/${w.source.id}/copy`, { ...fields, key: `${key}x`, name: 'x'.repeat(121) }, { cookie: manager });
    expect(long.status).toBe(422);
    expect(await long.text()).toContain('id="name-error"');
    expect((await post(`/console/campaigns/${w.source.id}/copy`, { ...fields, key: `${key}y` }, { cookie: manager, origin: 'https://evil.example' })).status).toBe(403);
    for (const role of ['viewer', 'finance'] as const) {
      const cookie = await signIn((await adminUser(w.brand.brandId, role)).email);
      expect(await (await get(`/console/campaigns/${w.source.id}`, cookie)).text()).not.toContain('/copy"');
      expect((await get(`/console/campaigns/${w.source.id}/copy`, cookie)).status).toBe(403);
      expect((await post(`/console/campaigns/${w.source.id}/copy`, { ...fields, key: `${key}${role}` }, { cookie })).status).toBe(403);
    }
    expect(await rowCount('SELECT count(*) AS n FROM campaigns WHERE brand_id = ? AND name = ?', w.brand.brandId, name)).toBe(1);
    // Another brand's campaign is a 404 here too.
    const stranger = await createBrand();
    const strangerOwner = await signIn((await adminUser(stranger.brandId, 'owner')).email);
    expect((await get(`/console/campaigns/${w.source.id}/copy`, strangerOwner)).status).toBe(404);
  });
});
