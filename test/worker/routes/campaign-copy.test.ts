// Copy campaign: a draft for the next wave with the source's brief, money and gift settings, none of the old wave's
// work, and (when asked) the source's creators invited again through the roster import's path. Once per key.
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { adminUser, get, post, signIn } from '../console-fixtures';
import worker from '../../../worker/index';
import type { Env } from '../../../worker/env';
import { BASE, captureLogs, createBrand, createMoneyBrand, d1With, json, rowCount, type Data } from '../fixtures';
import { encode } from '../forms';
import { COPIED_COLUMNS } from '../../../worker/db/campaign-copy';

type ErrorBody = { error: { code: string; details?: Record<string, unknown> } };
type Copy = { campaign: { id: string; name: string; slug: string; status: string; startsAt: string | null; endsAt: string | null; contentDueAt: string | null }; copiedFrom: string; invited: number; invitationsMailed: number };

let counter = 0;
const uniq = () => `${Date.now().toString(36)}${counter++}`;
// A copy's name whose first word is its own: the codes made from it ({HANDLE}WORD) clash with no other copy's.
const wave = () => `${Math.random().toString(36).slice(2, 9)} drop`;
const keyed = () => ({ 'idempotency-key': `copy-${uniq()}` });

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
  // The old wave's work: an update posted to it, and a bounty whose window is the old wave's.
  expect((await m.brand.api('POST', `/api/admin/campaigns/${id}/updates`, { title: 'Launch Friday', body: 'Post then.' })).status).toBe(201);
  const bounty = { title: 'Ten sales', metric: 'sales', target: 10, rewardMinor: 5_000, endsAt: new Date(Date.now() + 30 * 86_400_000).toISOString() };
  expect((await m.brand.api('POST', `/api/admin/campaigns/${id}/bounties`, bounty, { 'idempotency-key': `bounty-${t}` })).status).toBe(201);
  return { ...m, source: source.data, ann: ann!, bea: bea!, cat: cat!, dee: dee! };
}

// A D1 whose import chunks (its only batches of seven statements or more) fail from the `from`-th one on; the
// campaign's own batch lands.
function failingChunks(from: number) {
  let chunks = 0;
  return d1With({ batch: (stmts: D1PreparedStatement[]) => (stmts.length >= 7 && ++chunks >= from ? Promise.reject(new Error('D1_ERROR: storage unavailable')) : env.DB.batch(stmts)) });
}

async function withDb<T>(db: D1Database, run: (e: Env) => Promise<T>): Promise<{ result: T; events: string[] }> {
  const { result, lines } = await captureLogs(() => run({ ...env, DB: db } as Env));
  return { result, events: lines.map((l) => l.event) };
}

async function fetchWith(e: Env, request: Request): Promise<Response> {
  const ctx = createExecutionContext();
  const answer = await worker.fetch(request, e, ctx);
  await waitOnExecutionContext(ctx);
  return answer;
}

const codesOf = async (campaignId: string) =>
  (await env.DB.prepare('SELECT d.code FROM discount_codes d JOIN enrollments e ON e.id = d.enrollment_id WHERE e.campaign_id = ? ORDER BY d.code').bind(campaignId).all<{ code: string }>()).results.map((r) => r.code);
const enrollmentsOf = async (campaignId: string) =>
  (await env.DB.prepare('SELECT id, creator_id, status FROM enrollments WHERE campaign_id = ? ORDER BY creator_id').bind(campaignId).all<{ id: string; creator_id: string; status: string }>()).results;
const mailsOf = async (campaignId: string) => (await env.DB.prepare('SELECT email, sends, claimed_at FROM invitation_mails WHERE campaign_id = ? ORDER BY email').bind(campaignId).all()).results;

const copy = async (w: Awaited<ReturnType<typeof build>>, body: unknown, headers: Record<string, string> = {}) => w.brand.api('POST', `/api/admin/campaigns/${w.source.id}/copy`, body, headers);
const campaignsOf = (brandId: string) => rowCount('SELECT count(*) AS n FROM campaigns WHERE brand_id = ?', brandId);

// A source of its own with twelve creators: an import of more than one chunk (ten rows a chunk).
async function bigSource(w: Awaited<ReturnType<typeof build>>, creators = 12) {
  const t = uniq();
  const made = await json<Data<{ id: string }>>(await w.brand.api('POST', '/api/admin/campaigns', { name: `Big ${t}`, slug: `big-${t}`, hashtag: '#Big', defaultDestination: 'https://shop.example/big' }));
  const handles = Array.from({ length: creators }, (_, i) => `b${i}_${t}`.slice(0, 30));
  const csv = ['email,handle,name', ...handles.map((h) => `${h}@creators.test,${h},${h}`)].join('\n');
  expect((await w.brand.api('POST', `/api/admin/campaigns/${made.data.id}/import`, { csv })).status).toBe(200);
  return made.data.id;
}

describe('copy a campaign', () => {
  it('copies the brief, money and gift settings and the offered products, resets the rest, and brings none of the old wave', async () => {
    const w = await shared();
    // A wave under way: a later gift round and an end date, both of which the copy starts afresh.
    await env.DB.prepare('UPDATE campaigns SET gift_round = 3, ends_at = ? WHERE id = ?').bind(Date.parse('2199-06-30T00:00:00Z'), w.source.id).run();
    const res = await copy(w, {});
    expect(res.status).toBe(201);
    const { data } = await json<Data<Copy>>(res);
    expect(data).toMatchObject({ copiedFrom: w.source.id, invited: 0, campaign: { name: 'Spring drop (copy)', status: 'draft', startsAt: null, endsAt: null, contentDueAt: null } });
    // Every column is either copied or the copy's own: a new column has to be put in one list or the other.
    const OWN: Record<string, unknown> = { id: data.campaign.id, brand_id: w.brand.brandId, slug: 'spring-drop-copy', name: 'Spring drop (copy)', status: 'draft', starts_at: null, ends_at: null, content_due_at: null, applications_open: 0, gift_round: 1, created_at: expect.any(Number) };
    const columns = (await env.DB.prepare('PRAGMA table_info(campaigns)').all<{ name: string }>()).results.map((c) => c.name);
    expect([...COPIED_COLUMNS, ...Object.keys(OWN)].sort()).toEqual([...columns].sort());
    const read = (id: string) => env.DB.prepare('SELECT * FROM campaigns WHERE id = ?').bind(id).first<Record<string, unknown>>();
    const [from, to] = [(await read(w.source.id))!, (await read(data.campaign.id))!];
    const pick = (row: Record<string, unknown>, keys: readonly string[]) => Object.fromEntries(keys.map((k) => [k, row[k]]));
    expect(pick(to, COPIED_COLUMNS)).toEqual(pick(from, COPIED_COLUMNS));
    expect(pick(to, Object.keys(OWN))).toEqual(OWN);
    // The source's were otherwise: the reset is visible.
    expect(pick(from, ['status', 'starts_at', 'ends_at', 'content_due_at', 'applications_open', 'gift_round'])).toMatchObject({ status: 'active', starts_at: expect.any(Number), ends_at: expect.any(Number), content_due_at: expect.any(Number), applications_open: 1, gift_round: 3 });
    expect(to.gifting_open).toBe(1);
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
    expect(tables.map((r) => r.name)).toEqual(expect.arrayContaining(['enrollments', 'campaign_updates', 'gift_requests', 'applications', 'invitation_mails', 'bounties']));
    for (const { name } of tables) expect(await rowCount(`SELECT count(*) AS n FROM ${name} WHERE campaign_id = ?`, data.campaign.id), name).toBe(0);
    const audit = await env.DB.prepare("SELECT details FROM audit_log WHERE brand_id = ? AND action = 'campaign.copied' AND target_id = ?").bind(w.brand.brandId, data.campaign.id).first<{ details: string }>();
    expect(JSON.parse(audit!.details)).toMatchObject({ from: w.source.id, fromName: 'Spring drop', to: data.campaign.id, name: 'Spring drop (copy)' });
    // A second copy gets a name (and slug) of its own; a copy of the copy is numbered, not "(copy) (copy)", past the
    // numbers the brand's campaigns have taken.
    const again = await json<Data<Copy>>(await copy(w, {}));
    expect(again.data.campaign).toMatchObject({ name: 'Spring drop (copy 2)', slug: 'spring-drop-copy-2' });
    const ofCopy = await w.brand.api('POST', `/api/admin/campaigns/${data.campaign.id}/copy`, {});
    expect(ofCopy.status).toBe(201);
    expect((await json<Data<Copy>>(ofCopy)).data.campaign).toMatchObject({ name: 'Spring drop (copy 3)', slug: 'spring-drop-copy-3' });
    // A key's copy sent again without a name answers the same copy, though its name is taken now (by that copy).
    const once = keyed();
    const first = await json<Data<Copy>>(await copy(w, {}, once));
    const repeat = await copy(w, {}, once);
    expect(repeat.status).toBe(200);
    expect((await json<Data<Copy>>(repeat)).data.campaign).toMatchObject({ id: first.data.campaign.id, name: 'Spring drop (copy 4)' });
    // The activity log names both campaigns.
    const owner = await signIn((await adminUser(w.brand.brandId, 'owner')).email);
    expect(await (await get('/console/activity', owner)).text()).toContain('“Spring drop (copy)” from “Spring drop”');
  });

  it('names that make a short or a long slug are copied again and again, each with a slug of its own', async () => {
    const w = await shared();
    for (const name of ['A', `${'Long wave name '.repeat(5)}`.trim().slice(0, 70)]) {
      const slugs: string[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await copy(w, { name });
        expect(res.status, name).toBe(201);
        slugs.push((await json<Data<Copy>>(res)).data.campaign.slug);
      }
      expect(new Set(slugs).size).toBe(3);
      if (name === 'A') expect(slugs).toEqual(['campaign-a', 'campaign-a-2', 'campaign-a-3']);
      for (const slug of slugs) expect(slug).toMatch(/^[a-z0-9][a-z0-9-]{1,62}$/);
    }
  });

  it('invites the chosen creators as an import would, never removed or erased ones; strays are refused with nothing written', async () => {
    const w = await shared();
    const one = await copy(w, { name: 'Summer drop', inviteCreatorIds: [w.ann.creator] }, keyed());
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

    const all = (await json<Data<Copy>>(await copy(w, { name: 'Autumn drop', inviteCreatorIds: 'all' }, keyed()))).data;
    expect(all.invited).toBe(2);
    const invitedIds = await env.DB.prepare('SELECT creator_id FROM enrollments WHERE campaign_id = ? ORDER BY creator_id').bind(all.campaign.id).all<{ creator_id: string }>();
    expect(invitedIds.results.map((r) => r.creator_id)).toEqual([w.ann.creator, w.bea.creator].sort());

    const before = await campaignsOf(w.brand.brandId);
    // Inviting without a key: a part-way failure's retry would make a second copy.
    for (const inviteCreatorIds of [[w.ann.creator], 'all']) {
      const keyless = await copy(w, { name: wave(), inviteCreatorIds });
      expect(keyless.status).toBe(400);
      expect((await json<ErrorBody>(keyless)).error.code).toBe('idempotency_key_required');
    }
    const removed = await copy(w, { inviteCreatorIds: [w.ann.creator, w.cat.creator, w.dee.creator] }, keyed());
    expect(removed.status).toBe(422);
    expect(await json<ErrorBody>(removed)).toMatchObject({ error: { code: 'creator_not_in_campaign', details: { creatorIds: [w.cat.creator, w.dee.creator] } } });
    const other = await createMoneyBrand();
    const foreign = await copy(w, { inviteCreatorIds: [w.ann.creator, other.creator.id] }, keyed());
    expect(foreign.status).toBe(404);
    expect((await other.brand.api('POST', `/api/admin/campaigns/${w.source.id}/copy`, {})).status).toBe(404);
    expect((await json<ErrorBody>(await copy(w, { inviteCreatorIds: Array.from({ length: 501 }, (_, i) => `cr_${i}`) }, keyed()))).error.code).toBe('validation_failed');
    expect(await campaignsOf(w.brand.brandId)).toBe(before);
    expect(await campaignsOf(other.brand.brandId)).toBe(1);
  });

  it('refuses a copy whose default destination is no longer on the allowed hosts, with nothing written', async () => {
    const w = await shared();
    const t = uniq();
    const made = await json<Data<{ id: string }>>(await w.brand.api('POST', '/api/admin/campaigns', { name: `Moved ${t}`, slug: `moved-${t}`, hashtag: '#Moved', defaultDestination: 'https://shop.example/moved' }));
    await env.DB.prepare("UPDATE campaigns SET default_destination = 'https://old-shop.example/moved' WHERE id = ?").bind(made.data.id).run();
    const before = await campaignsOf(w.brand.brandId);
    const res = await w.brand.api('POST', `/api/admin/campaigns/${made.data.id}/copy`, {});
    expect(res.status).toBe(422);
    expect((await json<ErrorBody>(res)).error.code).toBe('invalid_destination');
    expect(await campaignsOf(w.brand.brandId)).toBe(before);
  });

  it('in the console: a default destination off the allowed hosts is refused on the form, with nothing written', async () => {
    const w = await shared();
    const t = uniq();
    const made = await json<Data<{ id: string }>>(await w.brand.api('POST', '/api/admin/campaigns', { name: `Moved ${t}`, slug: `moved-${t}`, hashtag: '#Moved', defaultDestination: 'https://shop.example/moved' }));
    await env.DB.prepare("UPDATE campaigns SET default_destination = 'https://old-shop.example/moved' WHERE id = ?").bind(made.data.id).run();
    const manager = await signIn((await adminUser(w.brand.brandId, 'manager')).email);
    const html = await (await get(`/console/campaigns/${made.data.id}/copy`, manager)).text();
    const key = /name="key" value="([^"]+)"/.exec(html)![1]!;
    const before = await campaignsOf(w.brand.brandId);
    const form = { key, name: `Moved ${t} again` };
    const res = await post(`/console/campaigns/${made.data.id}/copy`, form, { cookie: manager });
    expect(res.status).toBe(422);
    expect(await res.text()).toMatch(/role="alert"/);
    expect(await campaignsOf(w.brand.brandId)).toBe(before);
    // Its destination back on the allowed hosts, the same form goes through.
    await env.DB.prepare("UPDATE campaigns SET default_destination = 'https://shop.example/moved' WHERE id = ?").bind(made.data.id).run();
    expect((await post(`/console/campaigns/${made.data.id}/copy`, form, { cookie: manager })).status).toBe(303);
    expect(await campaignsOf(w.brand.brandId)).toBe(before + 1);
  });

  it('refuses with 409 handle_taken a creator whose handle another roster creator took meanwhile, with nothing written', async () => {
    const w = await shared();
    const sourceId = await bigSource(w, 1);
    const [moving] = (await env.DB.prepare('SELECT e.creator_id, r.handle FROM enrollments e JOIN brand_creators r ON r.brand_id = e.brand_id AND r.creator_id = e.creator_id WHERE e.campaign_id = ?').bind(sourceId).all<{ creator_id: string; handle: string }>()).results;
    const t = uniq();
    const taker = await json<Data<{ id: string }>>(await w.brand.api('POST', '/api/admin/creators', { email: `taker-${t}@creators.test`, handle: `taker_${t}`, displayName: 'Taker' }));
    // Between the copy's read of the source's creators and its check of their handles, the brand renames the creator
    // and gives their old handle to another (the D1 writes a teammate's two saves would make).
    let moved = false;
    const db = d1With({
      prepare: (sql: string) => {
        const real = env.DB.prepare(sql);
        if (moved || !sql.includes('FROM brand_creators WHERE brand_id = ? AND handle IN')) return real;
        moved = true;
        return {
          bind: (...args: unknown[]) => ({
            all: async () => {
              await env.DB.batch([
                env.DB.prepare('UPDATE brand_creators SET handle = ? WHERE brand_id = ? AND creator_id = ?').bind(`${moving!.handle.slice(0, 24)}_old`, w.brand.brandId, moving!.creator_id),
                env.DB.prepare('UPDATE brand_creators SET handle = ? WHERE brand_id = ? AND creator_id = ?').bind(moving!.handle, w.brand.brandId, taker.data.id),
              ]);
              return real.bind(...args).all();
            },
          }),
        };
      },
    });
    const before = await campaignsOf(w.brand.brandId);
    const res = await fetchWith(
      { ...env, DB: db } as Env,
      new Request(`${BASE}/api/admin/campaigns/${sourceId}/copy`, {
        method: 'POST',
        headers: { authorization: `Bearer ${w.brand.adminKey}`, 'content-type': 'application/json', ...keyed() },
        body: JSON.stringify({ name: wave(), inviteCreatorIds: [moving!.creator_id] }),
      }),
    );
    expect(moved).toBe(true);
    expect(res.status).toBe(409);
    expect(await json<ErrorBody>(res)).toMatchObject({ error: { code: 'handle_taken', details: { handles: [moving!.handle] } } });
    expect(await campaignsOf(w.brand.brandId)).toBe(before);
  });

  it('makes one copy per Idempotency-Key: the same body again invites only who is missing, another body is a conflict', async () => {
    const w = await shared();
    const key = { 'idempotency-key': `copy-${uniq()}` };
    const body = { name: 'Winter drop', inviteCreatorIds: [w.bea.creator] };
    const first = await copy(w, body, key);
    expect(first.status).toBe(201);
    const again = await copy(w, body, key);
    expect(again.status).toBe(200);
    const [a, b] = [(await json<Data<Copy>>(first)).data, (await json<Data<Copy>>(again)).data];
    expect(b.campaign.id).toBe(a.campaign.id);
    expect(b.invited).toBe(1);
    expect(await rowCount("SELECT count(*) AS n FROM campaigns WHERE brand_id = ? AND name = 'Winter drop'", w.brand.brandId)).toBe(1);
    expect(await rowCount('SELECT count(*) AS n FROM enrollments WHERE campaign_id = ?', a.campaign.id)).toBe(1);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE action = 'campaign.copied' AND target_id = ?", a.campaign.id)).toBe(1);
    // Another name, or other creators, under the same key: refused, and nothing more written.
    for (const other of [{ ...body, name: 'Other name' }, { ...body, inviteCreatorIds: [w.bea.creator, w.ann.creator] }, { name: 'Winter drop' }]) {
      const res = await copy(w, other, key);
      expect(res.status).toBe(409);
      expect((await json<ErrorBody>(res)).error.code).toBe('idempotency_conflict');
    }
    expect((await enrollmentsOf(a.campaign.id)).map((e) => e.creator_id)).toEqual([w.bea.creator]);
    expect(await rowCount("SELECT count(*) AS n FROM campaigns WHERE brand_id = ? AND name = 'Other name'", w.brand.brandId)).toBe(0);
    expect((await copy(w, {}, { 'idempotency-key': 'bad key' })).status).toBe(400);
  });

  it('a key sent again without a name is the copy it made without one; not one whose first request named it', async () => {
    const w = await shared();
    // The name the first got without asking is flagged as the default, and the repeat means it.
    const defaulted = keyed();
    const first = (await json<Data<Copy>>(await copy(w, {}, defaulted))).data.campaign;
    const audit = await env.DB.prepare("SELECT details FROM audit_log WHERE brand_id = ? AND action = 'campaign.copied' AND target_id = ?").bind(w.brand.brandId, first.id).first<{ details: string }>();
    expect(JSON.parse(audit!.details)).toMatchObject({ name: first.name, defaultName: true });
    const repeat = await copy(w, {}, defaulted);
    expect(repeat.status).toBe(200);
    expect((await json<Data<Copy>>(repeat)).data.campaign).toMatchObject({ id: first.id, name: first.name });
    // A name given the first time is not what a nameless repeat asks for, even as the copy's name now.
    const named = keyed();
    expect((await copy(w, { name: wave() }, named)).status).toBe(201);
    const before = await campaignsOf(w.brand.brandId);
    const nameless = await copy(w, {}, named);
    expect(nameless.status).toBe(409);
    expect((await json<ErrorBody>(nameless)).error.code).toBe('idempotency_conflict');
    expect(await campaignsOf(w.brand.brandId)).toBe(before);
    // A copy without the flag, as every one made before it was kept (whose default was "<name> (copy)", as this one is
    // named), answers a nameless repeat as it did then.
    const older = keyed();
    const old = (await json<Data<Copy>>(await copy(w, { name: 'Spring drop (copy)' }, older))).data.campaign;
    const again = await copy(w, {}, older);
    expect(again.status).toBe(200);
    expect((await json<Data<Copy>>(again)).data.campaign.id).toBe(old.id);
  });

  it('a key sent twice at once without a name makes one copy, though the second picks its name after the first took it', async () => {
    const w = await shared();
    const key = keyed();
    const request = () =>
      new Request(`${BASE}/api/admin/campaigns/${w.source.id}/copy`, { method: 'POST', headers: { authorization: `Bearer ${w.brand.adminKey}`, 'content-type': 'application/json', ...key }, body: '{}' });
    // The second has read that the key made no copy yet; the first then makes it, whole, before the second reads the
    // names the brand's campaigns have taken (so its default is the next one).
    let first: Response | null = null;
    const db = d1With({
      prepare: (sql: string) => {
        const real = env.DB.prepare(sql);
        if (first || !sql.includes("name LIKE '% (copy%'")) return real;
        return {
          bind: (...args: unknown[]) => ({
            all: async () => {
              first = await fetchWith(env as Env, request());
              return real.bind(...args).all();
            },
          }),
        };
      },
    });
    const before = await campaignsOf(w.brand.brandId);
    const second = await fetchWith({ ...env, DB: db } as Env, request());
    expect(first!.status).toBe(201);
    expect(second.status).toBe(200);
    const made = (await json<Data<Copy>>(first!)).data.campaign;
    expect((await json<Data<Copy>>(second)).data.campaign).toMatchObject({ id: made.id, name: made.name });
    expect(await campaignsOf(w.brand.brandId)).toBe(before + 1);
  });

  it('the same key again never re-invites a creator removed from the copy, keeps its codes, and invites nobody into a copy that has ended', async () => {
    const w = await shared();
    const key = keyed();
    const body = { name: wave(), inviteCreatorIds: [w.ann.creator, w.bea.creator] };
    const first = await copy(w, body, key);
    expect(first.status).toBe(201);
    const id = (await json<Data<Copy>>(first)).data.campaign.id;
    const bea = (await enrollmentsOf(id)).find((e) => e.creator_id === w.bea.creator)!;
    expect((await w.brand.api('PATCH', `/api/admin/enrollments/${bea.id}`, { status: 'removed' })).status).toBe(200);
    const [codes, mails] = [await codesOf(id), await mailsOf(id)];
    const again = await copy(w, body, key);
    expect(again.status).toBe(200);
    expect((await json<Data<Copy>>(again)).data).toMatchObject({ campaign: { id }, invited: 1, invitationsMailed: 0 });
    expect((await enrollmentsOf(id)).find((e) => e.creator_id === w.bea.creator)!.status).toBe('removed');
    expect(await codesOf(id)).toEqual(codes);
    expect(await mailsOf(id)).toEqual(mails);
    // Ended since: the same request invites nobody more.
    await env.DB.prepare('UPDATE campaigns SET ends_at = ? WHERE id = ?').bind(Date.now() - 1000, id).run();
    const ended = await copy(w, body, key);
    expect(ended.status).toBe(409);
    expect((await json<ErrorBody>(ended)).error.code).toBe('campaign_ended');
    expect((await enrollmentsOf(id)).map((e) => e.status).sort()).toEqual(['invited', 'removed']);
  });

  it('a copy whose invitations stop at the second chunk keeps the first, and the same key again invites the rest', async () => {
    const w = await shared();
    const sourceId = await bigSource(w);
    const key = `part-${uniq()}`;
    const body = { name: wave(), inviteCreatorIds: 'all' };
    const { result: res, events } = await withDb(failingChunks(2), (e) =>
      fetchWith(e, new Request(`${BASE}/api/admin/campaigns/${sourceId}/copy`, { method: 'POST', headers: { authorization: `Bearer ${w.brand.adminKey}`, 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify(body) })),
    );
    expect(events).toContain('campaign_copy_invites_stopped');
    expect(res.status).toBe(503);
    const failed = await json<ErrorBody>(res);
    expect(failed.error.code).toBe('copy_incomplete');
    const id = failed.error.details!.campaignId as string;
    expect(await rowCount('SELECT count(*) AS n FROM campaigns WHERE id = ?', id)).toBe(1);
    // The first chunk stands.
    expect(await rowCount('SELECT count(*) AS n FROM enrollments WHERE campaign_id = ?', id)).toBe(10);
    const again = await w.brand.api('POST', `/api/admin/campaigns/${sourceId}/copy`, body, { 'idempotency-key': key });
    expect(again.status).toBe(200);
    expect((await json<Data<Copy>>(again)).data).toMatchObject({ campaign: { id }, invited: 12 });
    expect(await rowCount("SELECT count(*) AS n FROM enrollments WHERE campaign_id = ? AND status = 'invited'", id)).toBe(12);
    expect(await rowCount('SELECT count(*) AS n FROM campaigns WHERE brand_id = ? AND name = ?', w.brand.brandId, body.name)).toBe(1);
  });

  it('in the console: owners and managers copy (a form sent twice makes one campaign); viewers and finance neither see nor use it', async () => {
    const w = await shared();
    const manager = await signIn((await adminUser(w.brand.brandId, 'manager')).email);
    const brief = await (await get(`/console/campaigns/${w.source.id}`, manager)).text();
    expect(brief).toContain(`/console/campaigns/${w.source.id}/copy`);
    const page = await get(`/console/campaigns/${w.source.id}/copy`, manager);
    expect(page.status).toBe(200);
    const html = await page.text();
    // The first copy name no campaign of the brand has yet.
    const offered = /id="name"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*id="name"/.exec(html)!;
    const defaultName = offered[1] ?? offered[2]!;
    expect(defaultName).toMatch(/^Spring drop \(copy(?: \d+)?\)$/);
    expect(await rowCount('SELECT count(*) AS n FROM campaigns WHERE brand_id = ? AND name = ?', w.brand.brandId, defaultName)).toBe(0);
    // A page of its own, not the Brief tab.
    expect(html).not.toMatch(new RegExp(`href="/console/campaigns/${w.source.id}"[^>]*aria-current`));
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

  it('in the console: a copy whose invitations stop part-way comes back as sent, with its key, and sending it again finishes it', async () => {
    const w = await shared();
    const sourceId = await bigSource(w);
    const manager = await signIn((await adminUser(w.brand.brandId, 'manager')).email);
    const html = await (await get(`/console/campaigns/${sourceId}/copy`, manager)).text();
    const key = /name="key" value="([^"]+)"/.exec(html)![1]!;
    const creators = [...html.matchAll(/name="creator" value="([^"]+)"/g)].map((m) => m[1]!);
    expect(creators).toHaveLength(12);
    const fields = { key, name: wave(), creator: creators };
    const { result: res } = await withDb(failingChunks(2), (e) =>
      fetchWith(e, new Request(`${BASE}/console/campaigns/${sourceId}/copy`, { method: 'POST', headers: { cookie: manager, origin: BASE, 'content-type': 'application/x-www-form-urlencoded' }, body: encode(fields), redirect: 'manual' })),
    );
    expect(res.status).toBe(503);
    const page = await res.text();
    // The same form key, so pressing the button again finishes this copy rather than making another.
    expect(page).toContain(`name="key" value="${key}"`);
    expect(page).toContain('role="alert"');
    expect(await rowCount('SELECT count(*) AS n FROM campaigns WHERE brand_id = ? AND name = ?', w.brand.brandId, fields.name)).toBe(1);
    const id = (await env.DB.prepare('SELECT id FROM campaigns WHERE brand_id = ? AND name = ?').bind(w.brand.brandId, fields.name).first<{ id: string }>())!.id;
    expect(await rowCount('SELECT count(*) AS n FROM enrollments WHERE campaign_id = ?', id)).toBe(10);
    const finished = await post(`/console/campaigns/${sourceId}/copy`, fields, { cookie: manager });
    expect(finished.status).toBe(303);
    expect(finished.headers.get('location')).toContain(`/console/campaigns/${id}?`);
    expect(await rowCount('SELECT count(*) AS n FROM enrollments WHERE campaign_id = ?', id)).toBe(12);
    expect(await rowCount('SELECT count(*) AS n FROM campaigns WHERE brand_id = ? AND name = ?', w.brand.brandId, fields.name)).toBe(1);
  });

  it('a campaign of more than 500 creators: the form lists the first 500 and says so, and the API refuses all of them before loading any', async () => {
    const w = await shared();
    const sourceId = await bigSource(w, 501);
    const manager = await signIn((await adminUser(w.brand.brandId, 'manager')).email);
    const page = await get(`/console/campaigns/${sourceId}/copy`, manager);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect([...html.matchAll(/name="creator" value="[^"]+" checked/g)]).toHaveLength(500);
    expect(html).toContain('501 creators in this campaign now');
    const before = await campaignsOf(w.brand.brandId);
    const all = await w.brand.api('POST', `/api/admin/campaigns/${sourceId}/copy`, { inviteCreatorIds: 'all' }, keyed());
    expect(all.status).toBe(422);
    expect(await json<ErrorBody>(all)).toMatchObject({ error: { code: 'too_many_creators', details: { asked: 501 } } });
    expect(await campaignsOf(w.brand.brandId)).toBe(before);
  });
});
