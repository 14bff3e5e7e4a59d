// Creator tags: a brand's own labels for its creators, set through the API and the console's creator page, shown and
// filtered on the roster and its CSV, added by the import, gone with an erasure.
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import worker from '../../../worker/index';
import type { Env } from '../../../worker/env';
import { describe, expect, it } from 'vitest';
import { addAcceptedCreator, BASE, createBrand, d1With, json, rowCount, signedPost, type Data, type TestBrand } from '../fixtures';
import { FEW_TAGGED, setCreatorTags } from '../../../worker/db/creator-tags';
import { ApiError } from '../../../worker/lib/errors';
import { MAX_TAG_FIELD_LENGTH } from '../../../worker/domain/creator-tags';
import { adminUser, consoleBrand, get, post, signIn, tag as uniqueTag } from '../console-fixtures';

type ErrorBody = { error: { code: string } };
type Listed = { id: string; handle: string; tags: string[] };

const putTags = (brand: TestBrand, creatorId: string, tags: unknown) => brand.api('PUT', `/api/admin/creators/${creatorId}/tags`, { tags });
const storedTags = async (brandId: string, creatorId: string) =>
  (await env.DB.prepare('SELECT tag FROM creator_tags WHERE brand_id = ? AND creator_id = ? ORDER BY tag').bind(brandId, creatorId).all<{ tag: string }>()).results.map((r) => r.tag);

async function rosterCreator(brand: TestBrand, handle = `t_${uniqueTag()}`.slice(0, 30)) {
  return (await addAcceptedCreator(brand, { email: `${handle}@creators.test`, handle, displayName: `Name ${handle}` })).data.id;
}

describe('PUT /api/admin/creators/:id/tags', () => {
  it('stores the set normalised, replaces it whole, and lists it with the creator', async () => {
    const brand = await createBrand();
    const id = await rosterCreator(brand);
    const res = await putTags(brand, id, ['  UK ', 'Wave   2', 'skin_care', 'uk', 'top-tier']);
    expect(res.status).toBe(200);
    expect((await json<Data<{ id: string; tags: string[] }>>(res)).data).toEqual({ id, tags: ['skin_care', 'top-tier', 'uk', 'wave 2'] });
    expect(await storedTags(brand.brandId, id)).toEqual(['skin_care', 'top-tier', 'uk', 'wave 2']);

    // Replaces: what is not sent again is gone.
    expect((await json<Data<{ tags: string[] }>>(await putTags(brand, id, ['uk', 'wave 3']))).data.tags).toEqual(['uk', 'wave 3']);
    expect(await storedTags(brand.brandId, id)).toEqual(['uk', 'wave 3']);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'creator.tags_set' AND target_id = ?", brand.brandId, id)).toBe(2);
    // The same set again writes nothing.
    expect((await putTags(brand, id, ['Wave 3', 'UK'])).status).toBe(200);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'creator.tags_set' AND target_id = ?", brand.brandId, id)).toBe(2);

    // Nor when SQL's order of the stored set differs from JS's of the typed one (an astral letter against U+FA0E).
    expect((await putTags(brand, id, ['\uFA0E', '𐌰'])).status).toBe(200);
    expect((await putTags(brand, id, ['𐌰', '\uFA0E'])).status).toBe(200);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'creator.tags_set' AND target_id = ?", brand.brandId, id)).toBe(3);
    // Scripts that write vowels as combining marks, and İstanbul.
    expect((await json<Data<{ tags: string[] }>>(await putTags(brand, id, ['मराठी', 'বাংলা', 'தமிழ்', 'ไม้', 'İstanbul']))).data.tags.sort()).toEqual(['i\u0307stanbul', 'ไม้', 'தமிழ்', 'বাংলা', 'मराठी'].sort());
    await putTags(brand, id, ['uk', 'wave 3']);

    const listed = (await json<{ data: Listed[] }>(await brand.api('GET', '/api/admin/creators'))).data.find((c) => c.id === id);
    expect(listed?.tags).toEqual(['uk', 'wave 3']);
    expect((await json<Data<{ tags: string[] }>>(await putTags(brand, id, []))).data.tags).toEqual([]);
    expect(await storedTags(brand.brandId, id)).toEqual([]);
  });

  it('refuses an invalid tag, an 11th tag and the 201st distinct tag of a brand, writing nothing', async () => {
    const brand = await createBrand();
    const id = await rosterCreator(brand);
    await putTags(brand, id, ['keep']);
    for (const [tags, code] of [
      [['ok', 'no!'], 'invalid_tag'],
      [[''], 'invalid_tag'],
      [['x'.repeat(33)], 'invalid_tag'],
      [['a\u0000b'], 'invalid_tag'],
      [Array.from({ length: 11 }, (_, i) => `t${i}`), 'too_many_tags'],
    ] as const) {
      const res = await putTags(brand, id, tags);
      expect(res.status, JSON.stringify(tags)).toBe(422);
      expect((await json<ErrorBody>(res)).error.code).toBe(code);
    }
    // Ten is fine; repeats count once.
    expect((await putTags(brand, id, [...Array.from({ length: 10 }, (_, i) => `t${i}`), 'T0'])).status).toBe(200);
    for (const body of [{ tags: 'uk' }, { tags: [1] }, { tags: ['uk'], extra: 1 }, {}]) expect((await brand.api('PUT', `/api/admin/creators/${id}/tags`, body)).status).toBe(422);

    // 200 distinct tags across the brand (seeded directly), then one more is refused; reusing one is fine.
    const other = await rosterCreator(brand);
    await env.DB.batch(Array.from({ length: 190 }, (_, i) => env.DB.prepare('INSERT INTO creator_tags (brand_id, creator_id, tag) VALUES (?, ?, ?)').bind(brand.brandId, other, `seed ${i}`)));
    expect(await rowCount('SELECT count(DISTINCT tag) AS n FROM creator_tags WHERE brand_id = ?', brand.brandId)).toBe(200);
    const third = await rosterCreator(brand);
    const over = await putTags(brand, third, ['seed 1', 'brand new']);
    expect(over.status).toBe(409);
    expect((await json<ErrorBody>(over)).error.code).toBe('tag_limit_reached');
    expect(await storedTags(brand.brandId, third)).toEqual([]);
    expect((await putTags(brand, third, ['seed 1', 't3'])).status).toBe(200);
    // Swapping one's own only tag for a new one keeps the count where it was.
    await env.DB.prepare("DELETE FROM creator_tags WHERE brand_id = ? AND creator_id = ? AND tag = 'seed 189'").bind(brand.brandId, other).run();
    await putTags(brand, third, ['solo']);
    expect((await putTags(brand, third, ['solo 2'])).status).toBe(200);
  });

  it("answers 404 for another brand's creator and 410 for an erased one", async () => {
    const brand = await createBrand();
    const other = await createBrand();
    const theirs = await rosterCreator(other);
    const foreign = await putTags(brand, theirs, ['uk']);
    expect(foreign.status).toBe(404);
    expect((await json<ErrorBody>(foreign)).error.code).toBe('not_found');
    expect(await storedTags(brand.brandId, theirs)).toEqual([]);

    const id = await rosterCreator(brand);
    await putTags(brand, id, ['uk', 'wave 1']);
    expect((await brand.api('POST', `/api/admin/creators/${id}/erase`, { confirm: true })).status).toBe(200);
    // The brand's tags went with its copy, and the activity rows no longer name them.
    expect(await storedTags(brand.brandId, id)).toEqual([]);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'creator.tags_set' AND details IS NOT NULL", brand.brandId)).toBe(0);
    const gone = await putTags(brand, id, ['uk']);
    expect(gone.status).toBe(410);
    expect((await json<ErrorBody>(gone)).error.code).toBe('creator_erased');
  });
});

describe('setCreatorTags racing an erasure', () => {
  it('writes neither the tags nor an activity row naming them when the creator is erased between its reads and its batch, and answers 410', async () => {
    const brand = await createBrand();
    const id = await rosterCreator(brand);
    await putTags(brand, id, ['uk']);
    let batches = 0;
    // The first batch is the reads; the erasure lands just before the second, the write.
    const db = d1With({
      batch: async (statements: D1PreparedStatement[]) => {
        if (++batches === 2) expect((await brand.api('POST', `/api/admin/creators/${id}/erase`, { confirm: true })).status).toBe(200);
        return env.DB.batch(statements);
      },
    });
    const raced = await setCreatorTags(db, brand.brandId, id, ['uk', 'wave 2'], { actorType: 'api_key', actorId: 'key_test' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(batches).toBe(2);
    expect(raced).toBeInstanceOf(ApiError);
    expect((raced as ApiError).status).toBe(410);
    expect((raced as ApiError).code).toBe('creator_erased');
    expect(await storedTags(brand.brandId, id)).toEqual([]);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'creator.tags_set' AND details IS NOT NULL", brand.brandId)).toBe(0);
  });
});

describe('setCreatorTags racing another save at the brand\'s limit', () => {
  it('lets one of two saves that each add a new tag at 199 through, and answers the other 409 tag_limit_reached, writing nothing', async () => {
    const brand = await createBrand();
    const [seeded, first, second] = [await rosterCreator(brand), await rosterCreator(brand), await rosterCreator(brand)];
    await env.DB.batch(Array.from({ length: 198 }, (_, i) => env.DB.prepare('INSERT INTO creator_tags (brand_id, creator_id, tag) VALUES (?, ?, ?)').bind(brand.brandId, seeded, `seed ${i}`)));
    expect((await putTags(brand, first, ['keep'])).status).toBe(200);
    const distinct = () => rowCount('SELECT count(DISTINCT tag) AS n FROM creator_tags WHERE brand_id = ?', brand.brandId);
    const tagsSet = () => rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'creator.tags_set'", brand.brandId);
    expect(await distinct()).toBe(199);
    const audited = await tagsSet();
    // The first save has read the creator's tags and waits to write until the second, which adds another new tag and
    // so takes the brand's last room, has written; the first's batch then judges the limit at 200 and writes nothing.
    let batches = 0;
    const db = d1With({
      batch: async (statements: D1PreparedStatement[]) => {
        if (++batches === 2) expect((await putTags(brand, second, ['seed 1', 'newer'])).status).toBe(200);
        return env.DB.batch(statements);
      },
    });
    const raced = await setCreatorTags(db, brand.brandId, first, ['keep', 'brand new'], { actorType: 'api_key', actorId: 'key_test' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(batches).toBe(2);
    expect(raced).toBeInstanceOf(ApiError);
    expect((raced as ApiError).status).toBe(409);
    expect((raced as ApiError).code).toBe('tag_limit_reached');
    // As before a race: the tags no other creator has, which the set needs room for.
    expect((raced as ApiError).details).toEqual({ newTags: ['brand new', 'keep'] });
    expect(await storedTags(brand.brandId, first)).toEqual(['keep']);
    expect(await distinct()).toBe(200);
    expect(await tagsSet()).toBe(audited + 1);

    // Sent at once through the API, from 199 again: one passes, the other is refused, never 201.
    await putTags(brand, second, ['seed 1']);
    expect(await distinct()).toBe(199);
    const answers = await Promise.all([putTags(brand, first, ['keep', 'one']), putTags(brand, second, ['seed 1', 'two'])]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 409]);
    expect((await json<ErrorBody>(answers.find((r) => r.status === 409)!)).error.code).toBe('tag_limit_reached');
    expect(await distinct()).toBe(200);
    // Replacing a set without a tag new to the brand needs no room.
    expect((await putTags(brand, first, ['seed 2'])).status).toBe(200);
  });
});

describe('the activity rows of tags', () => {
  it('read the set as saved, and nothing once an erasure cleared them', async () => {
    const m = await consoleBrand('owner');
    const row = (details: unknown) =>
      env.DB.prepare("INSERT INTO audit_log (id, brand_id, actor_type, actor_id, action, target_type, target_id, details, at) VALUES (?, ?, 'system', 'test', 'creator.tags_set', 'creator', ?, ?, ?)").bind(
        `aud_${uniqueTag()}`,
        m.brand.brandId,
        m.creator.id,
        details === null ? null : JSON.stringify(details),
        Date.now(),
      );
    await env.DB.batch([row(null)]);
    const erased = await (await get('/console/activity', m.cookie)).text();
    expect(erased).toContain('Creator’s tags changed');
    expect(erased).not.toContain('No tags');
    await env.DB.batch([row({ tags: [], before: ['uk'] }), row({ tags: ['uk', 'wave 2'], before: [] })]);
    const saved = await (await get('/console/activity', m.cookie)).text();
    expect(saved).toContain('No tags (were: uk)');
    expect(saved).toContain('uk, wave 2');
  });
});

describe('GET /api/admin/creators?tag=', () => {
  it('lists only the creators with the tag, read as tags are stored', async () => {
    const brand = await createBrand();
    const [a, b, c] = [await rosterCreator(brand), await rosterCreator(brand), await rosterCreator(brand)];
    await putTags(brand, a, ['uk', 'skincare']);
    await putTags(brand, b, ['uk']);
    await putTags(brand, c, ['us']);
    const ids = async (q: string) => (await json<{ data: Listed[] }>(await brand.api('GET', `/api/admin/creators${q}`))).data.map((r) => r.id).sort();
    expect(await ids('?tag=uk')).toEqual([a, b].sort());
    expect(await ids('?tag=%20SkinCare%20')).toEqual([a]);
    expect(await ids('?tag=nobody')).toEqual([]);
    // Paged, the filter holds across pages.
    const first = await json<{ data: Listed[]; nextCursor: string }>(await brand.api('GET', '/api/admin/creators?tag=uk&limit=1'));
    expect(first.data).toHaveLength(1);
    const second = await json<{ data: Listed[] }>(await brand.api('GET', `/api/admin/creators?tag=uk&limit=1&cursor=${first.nextCursor}`));
    expect([first.data[0]!.id, second.data[0]!.id].sort()).toEqual([a, b].sort());
    const invalid = await brand.api('GET', '/api/admin/creators?tag=no!');
    expect(invalid.status).toBe(422);
    expect((await json<ErrorBody>(invalid)).error.code).toBe('validation_failed');
    // Present but empty: no filter, as absent.
    expect(await ids('?tag=')).toEqual([a, b, c].sort());
    expect(await ids('?tag=%20%20')).toEqual([a, b, c].sort());
  });

  it('pages a tag FEW_TAGGED creators have from its own rows and one FEW_TAGGED + 1 have by walking the roster, both in the roster\'s order, ties and all', async () => {
    const brand = await createBrand();
    const t = uniqueTag();
    const count = FEW_TAGGED + 1;
    const base = Date.now() - 3_600_000;
    const seq = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${count})`;
    // Three creators to an instant, so pages end inside a tie; "many" on all of them, "few" on all but the 100th.
    await env.DB.batch([
      env.DB.prepare(`INSERT INTO creators (id, email, handle, display_name, created_at) ${seq} SELECT 'cr_' || ?1 || '_' || i, 'o' || ?1 || i || '@creators.test', 'o' || ?1 || '_' || i, 'Order', ?2 FROM n`).bind(t, base),
      env.DB.prepare(`INSERT INTO brand_creators (brand_id, creator_id, handle, display_name, email, created_at) ${seq} SELECT ?3, c.id, c.handle, c.display_name, c.email, ?2 + (i / 3) * 1000 FROM n JOIN creators c ON c.id = 'cr_' || ?1 || '_' || i`).bind(t, base, brand.brandId),
      env.DB.prepare(`INSERT INTO creator_tags (brand_id, creator_id, tag) ${seq} SELECT ?2, 'cr_' || ?1 || '_' || i, 'many' FROM n`).bind(t, brand.brandId),
      env.DB.prepare(`INSERT INTO creator_tags (brand_id, creator_id, tag) ${seq} SELECT ?2, 'cr_' || ?1 || '_' || i, 'few' FROM n WHERE i <> 100`).bind(t, brand.brandId),
    ]);
    // Each page's list statement: the tag's own rows drive it (a CROSS JOIN from creator_tags) only for "few".
    const crossJoined: Record<string, boolean[]> = { few: [], many: [] };
    const walk = async (query: string, limit: number) => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const prepared: string[] = [];
        const db = d1With({ prepare: (sql: string) => (prepared.push(sql), env.DB.prepare(sql)) });
        const ctx = createExecutionContext();
        const res = await worker.fetch(new Request(`${BASE}/api/admin/creators?limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ''}`, { headers: { authorization: `Bearer ${brand.adminKey}` } }), { ...env, DB: db } as Env, ctx);
        await waitOnExecutionContext(ctx);
        const page: { data: Listed[]; nextCursor: string | null } = await json(res);
        const tag = new URLSearchParams(query).get('tag');
        if (tag) crossJoined[tag]!.push(prepared.some((sql) => /order by/i.test(sql) && /cross join/i.test(sql)));
        seen.push(...page.data.map((r) => r.id));
        cursor = page.nextCursor;
      } while (cursor);
      return seen;
    };
    const all = await walk('', 200);
    expect(all).toHaveLength(count);
    expect(await walk('&tag=few', 37)).toEqual(all.filter((id) => id !== `cr_${t}_100`));
    expect(await walk('&tag=many', 37)).toEqual(all);
    expect(crossJoined.few!.length).toBeGreaterThan(1);
    expect(crossJoined.few!.every(Boolean)).toBe(true);
    expect(crossJoined.many!.length).toBeGreaterThan(1);
    expect(crossJoined.many!.some(Boolean)).toBe(false);
  });
});

describe('console: tags on the creator page and the roster', () => {
  it('lets a manager set tags from the form, shows them as chips, and filters the roster and its CSV', async () => {
    const m = await consoleBrand('manager');
    const page = `/console/campaigns/${m.campaign.id}/creators/${m.enrollment.id}`;
    const html = await (await get(page, m.cookie)).text();
    expect(html).toContain('action="' + page + '/tags"');

    const saved = await post(`${page}/tags`, { tags: 'UK, wave 2;  Skincare ' }, { cookie: m.cookie });
    expect(saved.status).toBe(303);
    expect(saved.headers.get('location')).toBe(`${page}?flash=tags_saved#tags-area`);
    expect(await storedTags(m.brand.brandId, m.creator.id)).toEqual(['skincare', 'uk', 'wave 2']);
    const shown = await (await get(page, m.cookie)).text();
    expect(shown).toContain('href="/console/creators?tag=wave%202"');
    // Each chip says where it leads to a screen reader, and the form says who else sees tags.
    expect(shown).toContain('<span class="visually-hidden">Creators tagged </span>wave 2</a>');
    expect(shown).toContain('Creators see their tags in their data download.');
    expect(shown).not.toContain('Tags saved.');
    // The page the save leads to says so in the tags area, where it lands, as a status.
    const landed = await (await get(`${page}?flash=tags_saved`, m.cookie)).text();
    const area = landed.slice(landed.indexOf('id="tags-area"'));
    expect(area.slice(0, area.indexOf('Tags saved.'))).toMatch(/role="status"[^<]*>(<[^>]*>)*$/);
    expect(landed.indexOf('Tags saved.')).toBe(landed.lastIndexOf('Tags saved.'));
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'creator.tags_set' AND actor_type = 'admin_user'", m.brand.brandId)).toBe(1);

    // A bad tag comes back beside the field with what was typed; nothing changes.
    const bad = await post(`${page}/tags`, { tags: 'uk, <b>bold</b>' }, { cookie: m.cookie });
    expect(bad.status).toBe(422);
    const badHtml = await bad.text();
    expect(badHtml).toContain('id="tags-error"');
    expect(badHtml).toContain('aria-invalid="true"');
    expect(badHtml).toContain('value="uk, &lt;b&gt;bold&lt;/b&gt;"');
    expect(await storedTags(m.brand.brandId, m.creator.id)).toEqual(['skincare', 'uk', 'wave 2']);
    const many = await post(`${page}/tags`, { tags: Array.from({ length: 11 }, (_, i) => `t${i}`).join(',') }, { cookie: m.cookie });
    expect(many.status).toBe(422);

    // The roster: chips on each creator, ?tag= with and without q, and the CSV's tags column.
    const untagged = await rosterCreator(m.brand, `plain_${uniqueTag()}`.slice(0, 30));
    const roster = await (await get('/console/creators', m.cookie)).text();
    expect(roster).toContain('href="/console/creators?tag=skincare"');
    const filtered = await (await get('/console/creators?tag=Wave%202', m.cookie)).text();
    expect(filtered).toContain(`@${m.handle}`);
    expect(filtered).not.toContain(untagged);
    expect(filtered).toContain('Tagged “wave 2”');
    const both = await (await get(`/console/creators?tag=uk&q=${encodeURIComponent(m.handle)}`, m.cookie)).text();
    expect(both).toContain(`@${m.handle}`);
    const neither = await (await get('/console/creators?tag=uk&q=zzzz-nobody', m.cookie)).text();
    expect(neither).not.toContain(`@${m.handle}`);
    const csv = await (await get('/console/creators.csv', m.cookie)).text();
    const [header, ...lines] = csv.trim().split('\r\n');
    expect(header).toMatch(/,"currency","tags"$/);
    expect(lines.find((l) => l.includes(m.handle))).toMatch(/,"skincare; uk; wave 2"$/);
    const tagCsv = await (await get('/console/creators.csv?tag=uk', m.cookie)).text();
    expect(tagCsv.trim().split('\r\n')).toHaveLength(2);
  });

  it('refuses a tags field longer than the form allows, beside the field, instead of cutting it', async () => {
    const m = await consoleBrand('manager');
    const page = `/console/campaigns/${m.campaign.id}/creators/${m.enrollment.id}`;
    await putTags(m.brand, m.creator.id, ['keep']);
    const long = `uk, ${'x'.repeat(MAX_TAG_FIELD_LENGTH)}`;
    const refused = await post(`${page}/tags`, { tags: long }, { cookie: m.cookie });
    expect(refused.status).toBe(422);
    const html = await refused.text();
    expect(html).toContain('id="tags-error"');
    expect(html).toContain('aria-invalid="true"');
    expect(await storedTags(m.brand.brandId, m.creator.id)).toEqual(['keep']);
    expect(await (await get(page, m.cookie)).text()).toContain(`maxlength="${MAX_TAG_FIELD_LENGTH}"`);
  });

  it('filters the roster by a tag across pages, and matches nobody for a tag typed by hand that is none', async () => {
    const o = await consoleBrand('owner');
    const t = uniqueTag();
    const base = Date.now() - 3_600_000;
    const seq = 'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60)';
    // Sixty creators; the first 53 tagged "bulk", the rest (the newest) not, so the filter has to skip them.
    await env.DB.batch([
      env.DB.prepare(`INSERT INTO creators (id, email, handle, display_name, created_at) ${seq} SELECT 'cr_' || ?1 || '_' || i, 'bulk' || ?1 || i || '@creators.test', 'b' || ?1 || '_' || i, 'Bulk', ?2 FROM n`).bind(t, base),
      env.DB.prepare(`INSERT INTO brand_creators (brand_id, creator_id, handle, display_name, email, created_at) ${seq} SELECT ?3, c.id, c.handle, c.display_name, c.email, ?2 + i * 1000 FROM n JOIN creators c ON c.id = 'cr_' || ?1 || '_' || i`).bind(t, base, o.brand.brandId),
      env.DB.prepare(`INSERT INTO creator_tags (brand_id, creator_id, tag) ${seq} SELECT ?2, 'cr_' || ?1 || '_' || i, 'bulk' FROM n WHERE i <= 53`).bind(t, o.brand.brandId),
    ]);
    const first = await (await get('/console/creators?tag=Bulk', o.cookie)).text();
    expect(first).toContain('Tagged “bulk”');
    expect(first.match(/<tr>/g)?.length).toBe(51);
    expect(first).not.toContain(`@b${t}_54<`);
    const more = /href="(\/console\/creators\?tag=bulk&amp;cursor=[^"]+)" rel="next"/.exec(first)?.[1];
    expect(more).toBeTruthy();
    const second = await (await get(more!.replace(/&amp;/g, '&'), o.cookie)).text();
    expect(second.match(/<tr>/g)?.length).toBe(4);
    for (const i of [1, 2, 3]) expect(second).toContain(`@b${t}_${i}<`);
    const csv = await (await get('/console/creators.csv?tag=bulk', o.cookie)).text();
    expect(csv.trim().split('\r\n')).toHaveLength(54);

    // Not a tag: a page that lists nobody, never the whole roster nor another tag's creators.
    for (const garbage of ['%01', 'bu%01lk', 'no!', '%EF%BF%BD']) {
      const res = await get(`/console/creators?tag=${garbage}`, o.cookie);
      expect(res.status, garbage).toBe(200);
      const html = await res.text();
      expect(html, garbage).toContain('No creator of yours has the tag');
      expect(html, garbage).not.toContain(`@b${t}_`);
      expect((await (await get(`/console/creators.csv?tag=${garbage}`, o.cookie)).text()).trim().split('\r\n'), garbage).toHaveLength(1);
    }
    // Present but empty: no filter.
    expect((await (await get('/console/creators?tag=', o.cookie)).text())).toContain('61 creators in your network');
  });

  it('neutralises a formula in the tags cell of the roster CSV', async () => {
    const m = await consoleBrand('manager');
    // A tag cannot start with = through the forms; one stored otherwise is still written safe.
    await env.DB.prepare('INSERT INTO creator_tags (brand_id, creator_id, tag) VALUES (?, ?, ?)').bind(m.brand.brandId, m.creator.id, '=cmd').run();
    const csv = await (await get('/console/creators.csv', m.cookie)).text();
    expect(csv).not.toMatch(/(^|,)"?=cmd/m);
  });

  it('lets finance and viewers read tags but not change them, and refuses a form from another origin', async () => {
    const m = await consoleBrand('owner');
    const page = `/console/campaigns/${m.campaign.id}/creators/${m.enrollment.id}`;
    await putTags(m.brand, m.creator.id, ['uk']);
    for (const role of ['finance', 'viewer'] as const) {
      const cookie = await signIn((await adminUser(m.brand.brandId, role)).email);
      const html = await (await get(page, cookie)).text();
      expect(html).toContain('href="/console/creators?tag=uk"');
      expect(html).not.toContain(`action="${page}/tags"`);
      const refused = await post(`${page}/tags`, { tags: 'us' }, { cookie });
      expect(refused.status).toBe(403);
    }
    const crossSite = await post(`${page}/tags`, { tags: 'us' }, { cookie: m.cookie, origin: 'https://evil.example' });
    expect(crossSite.status).toBe(403);
    const noOrigin = await post(`${page}/tags`, { tags: 'us' }, { cookie: m.cookie, origin: null });
    expect(noOrigin.status).toBe(403);
    expect(await storedTags(m.brand.brandId, m.creator.id)).toEqual(['uk']);
    // An owner may.
    expect((await post(`${page}/tags`, { tags: 'us' }, { cookie: m.cookie })).status).toBe(303);
    expect(await storedTags(m.brand.brandId, m.creator.id)).toEqual(['us']);
  });
});

describe('the roster import: a tags column', () => {
  it('adds the tags of each row, refuses a bad tag as a row error, and keeps tags the creator had', async () => {
    const m = await consoleBrand('manager');
    const t = uniqueTag();
    const csv = ['email,handle,name,niche,tags', `a_${t}@creators.test,a_${t},Ann,skincare,"UK; Wave 2"`, `b_${t}@creators.test,b_${t},Ben,,bad!tag`, `c_${t}@creators.test,c_${t},Cy,,"us, wave 2"`].join('\n');
    const refused = await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/import`, { csv });
    expect(refused.status).toBe(422);
    const body = await json<{ error: { code: string; details: { errors: { line: number; field: string }[] } } }>(refused);
    expect(body.error.code).toBe('import_has_errors');
    expect(body.error.details.errors.map((e) => [e.line, e.field])).toEqual([[3, 'tags']]);
    expect(await rowCount('SELECT count(*) AS n FROM creator_tags WHERE brand_id = ?', m.brand.brandId)).toBe(0);

    expect((await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/import`, { csv, confirm: true })).status).toBeLessThan(300);
    const listed = (await json<{ data: Listed[] }>(await m.brand.api('GET', '/api/admin/creators?tag=wave%202'))).data;
    expect(listed.map((c) => [c.handle, c.tags]).sort()).toEqual([
      [`a_${t}`, ['uk', 'wave 2']],
      [`c_${t}`, ['us', 'wave 2']],
    ]);
    // A later file adds to what they have; it removes nothing.
    const a = listed.find((c) => c.handle === `a_${t}`)!;
    const again = ['email,handle,name,tags', `a_${t}@creators.test,a_${t},Ann,top tier`].join('\n');
    expect((await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/import`, { csv: again, confirm: true })).status).toBeLessThan(300);
    expect(await storedTags(m.brand.brandId, a.id)).toEqual(['top tier', 'uk', 'wave 2']);
    // Past ten with what they have: a row error.
    const tooMany = ['email,handle,name,tags', `a_${t}@creators.test,a_${t},Ann,"${Array.from({ length: 8 }, (_, i) => `x${i}`).join(';')}"`].join('\n');
    const over = await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/import`, { csv: tooMany });
    expect((await json<{ error: { details: { errors: { field: string }[] } } }>(over)).error.details.errors.map((e) => e.field)).toEqual(['tags']);
  });
});

describe('the roster import: the limits of tags', () => {
  it('refuses, as a row error, the rows whose new tags would take the brand past 200 different ones, in file order', async () => {
    const m = await consoleBrand('manager');
    const t = uniqueTag();
    const seeded = await rosterCreator(m.brand);
    await env.DB.batch(Array.from({ length: 198 }, (_, i) => env.DB.prepare('INSERT INTO creator_tags (brand_id, creator_id, tag) VALUES (?, ?, ?)').bind(m.brand.brandId, seeded, `seed ${i}`)));
    // Line 2 takes the brand to 200 (one new tag, one it has); line 3 reuses tags; line 4 would be the 201st.
    const csv = ['email,handle,name,tags', `a_${t}@creators.test,a_${t},Ann,"seed 1; new one; new two"`, `b_${t}@creators.test,b_${t},Ben,"new one; seed 5"`, `c_${t}@creators.test,c_${t},Cy,"new three"`].join('\n');
    const refused = await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/import`, { csv });
    expect(refused.status).toBe(422);
    const body = await json<{ error: { code: string; details: { errors: { line: number; field: string }[] } } }>(refused);
    expect(body.error.code).toBe('import_has_errors');
    expect(body.error.details.errors.map((e) => [e.line, e.field])).toEqual([[4, 'tags']]);
    expect(await rowCount('SELECT count(DISTINCT tag) AS n FROM creator_tags WHERE brand_id = ?', m.brand.brandId)).toBe(198);
  });

  it('adds a row’s tags only while the creator’s set stays within 10, when a save filled it between the check and the write', async () => {
    const m = await consoleBrand('manager');
    const handle = `full_${uniqueTag()}`.slice(0, 30);
    const id = await rosterCreator(m.brand, handle);
    await putTags(m.brand, id, ['a1', 'a2', 'a3', 'a4', 'a5']);
    const csv = ['email,handle,name,tags', `${handle}@creators.test,${handle},Full,"b1; b2; b3; b4"`].join('\n');
    // The first batch of the import's own writes: a teammate's save lands just before it.
    await importWhileSaving(m, csv, () => putTags(m.brand, id, ['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8']));
    expect(await storedTags(m.brand.brandId, id)).toEqual(['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8']);
  });

  it('adds a row’s new tags only while the brand stays within 200 different ones, when a save took the last room between the check and the write', async () => {
    const m = await consoleBrand('manager');
    const t = uniqueTag();
    const [seeded, other] = [await rosterCreator(m.brand), await rosterCreator(m.brand)];
    await env.DB.batch(Array.from({ length: 199 }, (_, i) => env.DB.prepare('INSERT INTO creator_tags (brand_id, creator_id, tag) VALUES (?, ?, ?)').bind(m.brand.brandId, seeded, `seed ${i}`)));
    // Line 2 brings a new tag (checked: the 200th), line 3 only one the brand has.
    const csv = ['email,handle,name,tags', `a_${t}@creators.test,a_${t},Ann,"fresh; seed 1"`, `b_${t}@creators.test,b_${t},Ben,"seed 2"`].join('\n');
    await importWhileSaving(m, csv, () => putTags(m.brand, other, ['taken first']));
    const importedTags = async (handle: string) => {
      const id = await env.DB.prepare('SELECT creator_id FROM brand_creators WHERE brand_id = ? AND handle = ?').bind(m.brand.brandId, handle).first<string>('creator_id');
      return storedTags(m.brand.brandId, id!);
    };
    expect(await importedTags(`a_${t}`)).toEqual([]);
    expect(await importedTags(`b_${t}`)).toEqual(['seed 2']);
    expect(await rowCount('SELECT count(DISTINCT tag) AS n FROM creator_tags WHERE brand_id = ?', m.brand.brandId)).toBe(200);
  });
});

describe('the network results by segment', () => {
  type Segments = { by: string; network: { creators: number; uniqueClicks: number; conversions: number; revenueMinor: number; costMinor: number; revenuePerCreatorMinor: number | null }; segments: { value: string | null; creators: number; conversions: number; revenueMinor: number; costMinor: number; revenueShare: number | null; revenuePerCreatorMinor: number | null }[] };

  async function creatorWithCode(m: Awaited<ReturnType<typeof consoleBrand>>, profile: { niche?: string; platform?: string }) {
    const handle = `seg_${uniqueTag()}`.slice(0, 30);
    const id = (await addAcceptedCreator(m.brand, { email: `${handle}@creators.test`, handle, displayName: handle })).data.id;
    await env.DB.prepare('UPDATE brand_creators SET niche = ?, platform = ? WHERE brand_id = ? AND creator_id = ?').bind(profile.niche ?? null, profile.platform ?? null, m.brand.brandId, id).run();
    const enrollment = (await json<Data<{ id: string }>>(await m.brand.api('POST', '/api/admin/enrollments', { campaignId: m.campaign.id, creatorId: id, paymentModel: 'affiliate', status: 'active' }))).data.id;
    const code = handle.toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 20);
    expect((await m.brand.api('POST', '/api/admin/codes', { enrollmentId: enrollment, code, discountType: 'percent', discountValue: 10 })).status).toBe(201);
    return { id, code };
  }

  it('sums each niche and platform to the network totals, and counts a creator with several tags in each', async () => {
    const m = await consoleBrand('viewer');
    const a = await creatorWithCode(m, { niche: 'skincare', platform: 'instagram' });
    const b = await creatorWithCode(m, { niche: ' Skincare ', platform: 'tiktok' });
    const c = await creatorWithCode(m, {});
    await putTags(m.brand, a.id, ['uk', 'wave 2']);
    await putTags(m.brand, b.id, ['uk']);
    let order = 0;
    for (const [code, amountMinor] of [[a.code, 10_000], [b.code, 5_000], [c.code, 2_000], [a.code, 1_000]] as const) {
      const res = await signedPost(m.brand, m.ingestKey, '/v1/conversions', { orderId: `seg-${uniqueTag()}-${order++}`, amountMinor, currency: 'USD', occurredAt: new Date().toISOString(), code });
      expect(res.status).toBe(201);
    }
    const segments = async (by: string) => (await json<Data<Segments>>(await m.brand.api('GET', `/api/admin/campaigns/${m.campaign.id}/segments?by=${by}`))).data;
    const network = (await json<Data<{ summary: { revenueMinor: number; costMinor: number; conversions: number; uniqueClicks: number } }>>(await m.brand.api('GET', `/api/admin/campaigns/${m.campaign.id}/network`))).data.summary;
    expect(network.revenueMinor).toBe(18_000);

    for (const by of ['niche', 'platform']) {
      const s = await segments(by);
      expect(s.network).toMatchObject({ creators: 4, revenueMinor: network.revenueMinor, costMinor: network.costMinor, conversions: network.conversions });
      const sum = (k: 'creators' | 'conversions' | 'revenueMinor' | 'costMinor') => s.segments.reduce((t, r) => t + r[k], 0);
      expect([sum('creators'), sum('conversions'), sum('revenueMinor'), sum('costMinor')], by).toEqual([4, network.conversions, network.revenueMinor, network.costMinor]);
      expect(s.segments.reduce((t, r) => t + (r.revenueShare ?? 0), 0)).toBeCloseTo(1, 3);
    }
    // Skincare typed two ways is one niche; the creators with none are "Not set" (value null), last.
    expect((await segments('niche')).segments.map((r) => [r.value, r.creators, r.revenueMinor, r.revenuePerCreatorMinor])).toEqual([
      ['Skincare', 2, 16_000, 8_000],
      [null, 2, 2_000, 1_000],
    ]);
    const tags = await segments('tag');
    expect(tags.segments.map((r) => [r.value, r.creators, r.revenueMinor])).toEqual([
      ['uk', 2, 16_000],
      ['wave 2', 1, 11_000],
      [null, 2, 2_000],
    ]);
    expect(tags.segments.find((r) => r.value === 'wave 2')?.revenueShare).toBe(0.6111);

    // The Network tab's card, for every role, niche unless ?by= names another.
    const page = `/console/campaigns/${m.campaign.id}/network`;
    const byNiche = await (await get(page, m.cookie)).text();
    expect(byNiche).toContain('By segment');
    expect(byNiche).toMatch(/<option value="niche" selected="">/);
    expect(byNiche).toContain('Not set');
    const byTag = await (await get(`${page}?by=tag`, m.cookie)).text();
    expect(byTag).toContain('href="/console/creators?tag=wave%202"');
    expect(byTag).toContain('counts in each of them');
    // No share total under overlapping tags.
    expect(byTag).toContain('<td class="num zero" data-label="Share of revenue"></td></tr></tfoot>');
    expect(byNiche).toContain('data-label="Share of revenue">100%</td></tr></tfoot>');
    expect(await (await get(`${page}?by=nonsense`, m.cookie)).text()).toMatch(/<option value="niche" selected="">/);
    expect((await m.brand.api('GET', `/api/admin/campaigns/${m.campaign.id}/segments?by=nonsense`)).status).toBe(422);
    // Left empty, as absent: niche. The whole network's row carries its revenue per creator (18,000 over 4).
    const blank = await m.brand.api('GET', `/api/admin/campaigns/${m.campaign.id}/segments?by=`);
    expect(blank.status).toBe(200);
    const blankData = (await json<Data<Segments>>(blank)).data;
    expect(blankData.by).toBe('niche');
    expect(blankData.network.revenuePerCreatorMinor).toBe(4_500);
    expect(byNiche).toContain('data-label="Revenue per creator">$45.00</td>');
    const other = await createBrand();
    expect((await other.api('GET', `/api/admin/campaigns/${m.campaign.id}/segments`)).status).toBe(404);
  });

  it('says so for a campaign with nobody enrolled yet, and answers no rows', async () => {
    const m = await consoleBrand('viewer');
    const created = await m.brand.api('POST', '/api/admin/campaigns', { name: 'Empty', slug: `empty-${uniqueTag()}`, hashtag: '#Empty', defaultDestination: 'https://shop.example/e' });
    expect(created.status).toBe(201);
    const id = (await json<Data<{ id: string }>>(created)).data.id;
    const api = (await json<Data<Segments>>(await m.brand.api('GET', `/api/admin/campaigns/${id}/segments?by=tag`))).data;
    expect(api.segments).toEqual([]);
    expect(api.network).toEqual({ creators: 0, uniqueClicks: 0, conversions: 0, revenueMinor: 0, costMinor: 0, revenuePerCreatorMinor: null });
    const page = await get(`/console/campaigns/${id}/network?by=tag`, m.cookie);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('By segment');
    expect(html).toContain('No creators enrolled yet.');
    expect(html).not.toContain('<table class="segments');
  });
});

// Confirms an import whose first batch of its own writes (8+ statements) waits for a teammate's save to land first,
// so the import's checks ran before the save and its writes after it.
async function importWhileSaving(m: Awaited<ReturnType<typeof consoleBrand>>, csv: string, save: () => Promise<Response>) {
  let saved = false;
  const db = d1With({
    batch: async (statements: D1PreparedStatement[]) => {
      if (!saved && statements.length >= 8) {
        saved = true;
        expect((await save()).status).toBe(200);
      }
      return env.DB.batch(statements);
    },
  });
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`${BASE}/api/admin/campaigns/${m.campaign.id}/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${m.brand.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ csv, confirm: true }),
    }),
    { ...env, DB: db } as Env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  expect(res.status).toBeLessThan(300);
  expect(saved).toBe(true);
}
