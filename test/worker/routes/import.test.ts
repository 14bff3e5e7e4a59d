import { createExecutionContext, env, SELF, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../../../worker/index';
import type { Env } from '../../../worker/env';
import { parseCsv } from '../../../worker/lib/csv';
import { BASE, createMoneyBrand, d1With, json, rowCount } from '../fixtures';

let fileCounter = 0;
function rosterCsv(n: number, opts: { tag?: string; extra?: string[] } = {}) {
  const tag = opts.tag ?? `f${Date.now().toString(36)}${fileCounter++}`;
  const lines = ['email,handle,name,niche,platform,follower_count,payment_model,flat_fee,brief_section'];
  for (let i = 0; i < n; i++) {
    const model = ['affiliate', 'product', 'flat', 'hybrid'][i % 4]!;
    const fee = model === 'flat' || model === 'hybrid' ? '250.00' : '';
    lines.push(`c${i}_${tag}@creators.test,${`c${i}_${tag}`.slice(0, 30)},"Creator ${i}, ${tag}",skincare,instagram,${1000 + i},${model},${fee},"Lead with a ""problem → solution"" story"`);
  }
  return [...lines, ...(opts.extra ?? [])].join('\r\n');
}

type ImportData = {
  data: {
    rows: number;
    created: { creators: number; enrollments: number; links: number; codes: number; invites: number };
    invites: { line: number; email: string; status: string; inviteUrl: string | null; link: string | null; code: string | null }[];
    invitesCsv: string;
  };
};

describe('bulk onboarding', () => {
  it('imports creators with an enrollment, link, code and invite each, and re-importing changes nothing', async () => {
    const m = await createMoneyBrand();
    const csv = rosterCsv(12);
    const first = await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/import`, { csv });
    expect(first.status).toBe(200);
    const body = await json<ImportData>(first);
    expect(body.data.created).toEqual({ creators: 12, enrollments: 12, links: 12, codes: 12, invites: 12 });
    expect(body.data.invites).toHaveLength(12);
    expect(body.data.invites[0]).toMatchObject({ line: 2, status: 'invite' });
    expect(body.data.invites.every((i) => i.inviteUrl?.startsWith(`${BASE}/invite/`) && i.link && i.code)).toBe(true);
    // Each tracked link reads as its creator's: the handle, then five random lower-case letters or digits.
    for (const i of body.data.invites) expect(i.link).toMatch(new RegExp(`^${BASE}/r/${i.email.split('@')[0]!.slice(0, 30).replaceAll('_', '-')}-[a-z0-9]{5}$`));
    const counts = async () => [
      await rowCount('SELECT count(*) AS n FROM enrollments WHERE campaign_id = ?', m.campaign.id),
      await rowCount('SELECT count(*) AS n FROM links WHERE brand_id = ?', m.brand.brandId),
      await rowCount('SELECT count(*) AS n FROM discount_codes WHERE brand_id = ?', m.brand.brandId),
      await rowCount('SELECT count(*) AS n FROM account_tokens WHERE brand_id = ?', m.brand.brandId),
      await rowCount('SELECT count(*) AS n FROM brand_creators WHERE brand_id = ?', m.brand.brandId),
    ];
    const before = await counts();
    const again = await json<ImportData>(await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/import`, { csv }));
    expect(again.data.created).toEqual({ creators: 0, enrollments: 0, links: 0, codes: 0, invites: 0 });
    expect(await counts()).toEqual(before);
    expect(again.data.invitesCsv).toBe(body.data.invitesCsv); // the same file yields the same invite links
    const sheet = await m.brand.api('GET', `/api/admin/campaigns/${m.campaign.id}/invites.csv`);
    expect(sheet.headers.get('content-disposition')).toMatch(/^attachment; filename="chorus-invites-[a-z0-9-]+\.csv"$/);
    expect(parseCsv(await sheet.text())).toHaveLength(1 + 13); // header + 12 imported + the fixture's creator
  });

  it('reports row errors with line numbers, writes nothing, and imports only the good rows once confirmed', async () => {
    const m = await createMoneyBrand();
    const csv = rosterCsv(3, {
      extra: [
        'not-an-email,bad_row,Bad Email,,,,affiliate,,',
        `ok_dup@creators.test,UPPER HANDLE!,Bad Handle,,,,affiliate,,`,
        `fee@creators.test,needs_fee,No Fee,,,,flat,,`,
        `"multi@creators.test","multi_line","Name with
a newline",,,,bitcoin,,`,
        `${m.handle}@other.test,${m.handle},Handle Thief,,,,affiliate,,`,
      ],
    });
    const res = await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/import`, { csv });
    expect(res.status).toBe(422);
    const error = (await json<{ error: { code: string; details: { errors: { line: number; field: string }[]; validRows: number } } }>(res)).error;
    expect(error.code).toBe('import_has_errors');
    expect(error.details.errors.map((e) => [e.line, e.field])).toEqual([
      [5, 'email'],
      [6, 'handle'],
      [7, 'flat_fee'],
      [8, 'name'],
      [8, 'payment_model'],
      [10, 'handle'],
    ]);
    expect(error.details.validRows).toBe(3);
    expect(await rowCount('SELECT count(*) AS n FROM enrollments WHERE campaign_id = ?', m.campaign.id)).toBe(1);
    const confirmed = await json<ImportData>(await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/import`, { csv, confirm: true }));
    expect(confirmed.data.rows).toBe(3);
    expect(await rowCount('SELECT count(*) AS n FROM enrollments WHERE campaign_id = ?', m.campaign.id)).toBe(4);
  });

  it('reads numbers grouped with commas, as a spreadsheet exports them', async () => {
    const m = await createMoneyBrand();
    const t = Date.now().toString(36);
    const csv = `email,handle,name,follower_count,payment_model,flat_fee\ngrouped-${t}@creators.test,grouped_${t},Grouped,"12,300",flat,"1,250.50"\n`;
    const res = await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/import`, { csv });
    expect(res.status, await res.clone().text()).toBe(200);
    const row = await env.DB.prepare('SELECT e.flat_fee_minor AS fee, r.follower_count AS followers FROM enrollments e JOIN brand_creators r ON r.creator_id = e.creator_id AND r.brand_id = e.brand_id JOIN creators c ON c.id = e.creator_id WHERE c.email = ?')
      .bind(`grouped-${t}@creators.test`)
      .first();
    expect(row).toEqual({ fee: 125_050, followers: 12_300 });
  });

  it('imports rows pasted from a spreadsheet (tab-separated) and Excel files with semicolons', async () => {
    const m = await createMoneyBrand();
    const t = Date.now().toString(36);
    const tsv = `Email\tHandle\tName\tFollower count\ntab-${t}@creators.test\ttab_${t}\tChen, Sarah\t12,300\n`;
    const semi = `email;handle;name\nsemi-${t}@creators.test;semi_${t};Ana Ruiz\n`;
    for (const csv of [tsv, semi]) {
      const res = await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/import`, { csv });
      expect(res.status, await res.clone().text()).toBe(200);
    }
    const rows = await env.DB.prepare('SELECT c.display_name AS name, r.follower_count AS followers FROM creators c JOIN brand_creators r ON r.creator_id = c.id AND r.brand_id = ? WHERE c.email IN (?, ?) ORDER BY c.email')
      .bind(m.brand.brandId, `semi-${t}@creators.test`, `tab-${t}@creators.test`)
      .all();
    expect(rows.results).toEqual([
      { name: 'Ana Ruiz', followers: null },
      { name: 'Chen, Sarah', followers: 12_300 },
    ]);
  });

  it('rejects unusable files with a clear 422', async () => {
    const m = await createMoneyBrand();
    for (const csv of ['handle,name\nx,y', 'email,handle,name,shoe_size\n', 'email,handle,name\n"a@b.test,"x', '']) {
      const res = await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/import`, { csv });
      expect(res.status).toBe(422);
    }
    const other = await createMoneyBrand();
    expect((await other.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/import`, { csv: rosterCsv(1) })).status).toBe(404);
  });

  it('imports 150 creators in one request without binding more than 100 parameters or running 1,000 statements', async () => {
    const m = await createMoneyBrand();
    let statements = 0;
    let maxParams = 0;
    const counting = d1With({
      prepare: (sql: string) => {
        const stmt = env.DB.prepare(sql);
        statements++;
        return new Proxy(stmt, {
          get(s, p) {
            if (p === 'bind') return (...params: unknown[]) => ((maxParams = Math.max(maxParams, params.length)), s.bind(...params));
            const v = Reflect.get(s, p);
            return typeof v === 'function' ? v.bind(s) : v;
          },
        });
      },
    });
    const ctx = createExecutionContext();
    const started = Date.now();
    const res = await worker.fetch(
      new Request(`${BASE}/api/admin/campaigns/${m.campaign.id}/import`, {
        method: 'POST',
        headers: { authorization: `Bearer ${m.brand.adminKey}`, 'content-type': 'application/json', accept: 'application/x-ndjson' },
        body: JSON.stringify({ csv: rosterCsv(150) }),
      }),
      { ...env, DB: counting } as Env,
      ctx,
    );
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l));
    await waitOnExecutionContext(ctx);
    const progress = lines.filter((l) => l.progress).map((l) => l.progress.done);
    expect(progress).toEqual(Array.from({ length: 15 }, (_, i) => (i + 1) * 10));
    expect(lines.at(-1).data.created).toEqual({ creators: 150, enrollments: 150, links: 150, codes: 150, invites: 150 });
    expect(maxParams).toBeLessThanOrEqual(100);
    expect(statements).toBeLessThan(1000);
    console.log(`150-creator import: ${statements} statements, max ${maxParams} parameters, ${Date.now() - started} ms`);
  });

  it('reports a code the pattern cannot make, or another creator holds, as a row error on the code', async () => {
    const m = await createMoneyBrand();
    const t = `k${Date.now().toString(36)}${fileCounter++}`;
    const long = `${t}_long_handle_xx`.slice(0, 26);
    const clash = `${t}_clash`;
    // Another creator already holds the code {HANDLE}15 makes for `clash`.
    expect((await m.brand.api('POST', '/api/admin/codes', { enrollmentId: m.enrollment.id, code: `${clash.toUpperCase()}15`, discountType: 'percent', discountValue: 10 })).status).toBe(201);
    const csv = `email,handle,name\r\n${t}_ok@creators.test,${t}_ok,Ok\r\n${clash}@creators.test,${clash},Clash\r\n`;
    const res = await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/import`, { csv });
    expect(res.status).toBe(422);
    const body = await json<{ error: { code: string; details: { errors: { line: number; field: string; message: string }[] } } }>(res);
    expect(body.error.details.errors).toEqual([{ line: 3, field: 'code', message: `${clash.toUpperCase()}15 is already another creator's code; use another code pattern for this campaign.` }]);
    // SUMMER-<26 characters>-15 is 36: no valid code.
    const tooLong = await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/import`, { csv: `email,handle,name\r\n${long}@creators.test,${long},Long\r\n`, codePattern: 'SUMMER-{HANDLE}-15' });
    expect(tooLong.status).toBe(422);
    expect((await json<{ error: { details: { errors: { field: string }[] } } }>(tooLong)).error.details.errors.map((e) => e.field)).toEqual(['code']);
    expect(await rowCount('SELECT count(*) AS n FROM enrollments WHERE campaign_id = ?', m.campaign.id)).toBe(1);

    // The same roster in a second campaign needs its own codes; with another pattern it gets them.
    expect((await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/import`, { csv: `email,handle,name\r\n${t}_ok@creators.test,${t}_ok,Ok\r\n` })).status).toBe(200);
    const fall = await json<{ data: { id: string } }>(await m.brand.api('POST', '/api/admin/campaigns', { name: 'Fall', slug: `fall-${t}`.replace(/_/g, '-'), hashtag: '#Fall', defaultDestination: 'https://shop.example/fall' }));
    const again = await m.brand.api('POST', `/api/admin/campaigns/${fall.data.id}/import`, { csv: `email,handle,name\r\n${t}_ok@creators.test,${t}_ok,Ok\r\n` });
    expect(again.status).toBe(422);
    expect(JSON.stringify(await again.json())).toContain("this creator's code in another campaign");
    const fallCodes = await json<ImportData>(await m.brand.api('POST', `/api/admin/campaigns/${fall.data.id}/import`, { csv: `email,handle,name\r\n${t}_ok@creators.test,${t}_ok,Ok\r\n`, codePattern: '{HANDLE}FALL' }));
    expect(fallCodes.data.invites[0]!.code).toBe(`${t}_OKFALL`.toUpperCase());
  });

  it('renews an invite that expired unused when the file is imported again, and lists no invite for a removed creator', async () => {
    const m = await createMoneyBrand();
    const csv = rosterCsv(2);
    const first = await json<ImportData>(await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/import`, { csv }));
    expect(first.data.invites.map((i) => i.status)).toEqual(['invite', 'invite']);
    await env.DB.prepare("UPDATE account_tokens SET expires_at = ? WHERE brand_id = ? AND purpose = 'invite'").bind(Date.now() - 1, m.brand.brandId).run();
    const again = await json<ImportData>(await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/import`, { csv }));
    expect(again.data.invites.map((i) => i.status)).toEqual(['invite', 'invite']);
    expect(again.data.invites.map((i) => i.inviteUrl)).toEqual(first.data.invites.map((i) => i.inviteUrl));
    expect(await rowCount("SELECT count(*) AS n FROM account_tokens WHERE brand_id = ? AND purpose = 'invite' AND expires_at > ?", m.brand.brandId, Date.now())).toBe(2);

    await env.DB.prepare("UPDATE enrollments SET status = 'removed' WHERE id = (SELECT e.id FROM enrollments e JOIN creators c ON c.id = e.creator_id WHERE e.campaign_id = ? AND c.email = ?)").bind(m.campaign.id, first.data.invites[0]!.email).run();
    const sheet = parseCsv(await (await m.brand.api('GET', `/api/admin/campaigns/${m.campaign.id}/invites.csv`)).text());
    expect(sheet.map((r) => r.cells[1])).not.toContain(first.data.invites[0]!.email);
    // Imported again, the removed creator is a row error that says where a removal is undone, not a silent no-op.
    const third = await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/import`, { csv });
    expect(third.status).toBe(422);
    const body = await json<{ error: { code: string; details: { errors: { line: number; field: string; message: string }[]; validRows: number } } }>(third);
    expect(body.error.code).toBe('import_has_errors');
    expect(body.error.details.errors).toEqual([{ line: 2, field: 'email', message: 'You removed this creator from the campaign. Restore them on their creator page instead.' }]);
    expect(body.error.details.validRows).toBe(1);
  });

  it('refuses an import into an ended campaign with 409, writing nothing', async () => {
    const m = await createMoneyBrand();
    expect((await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { status: 'ended' })).status).toBe(200);
    const res = await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/import`, { csv: rosterCsv(2), confirm: true });
    expect(res.status).toBe(409);
    expect((await json<{ error: { code: string } }>(res)).error.code).toBe('campaign_ended');
    // Streamed as NDJSON, the refusal is the status too, not a line inside a 200.
    const streamed = await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/import`, { csv: rosterCsv(2), confirm: true }, { accept: 'application/x-ndjson' });
    expect([streamed.status, (await json<{ error: { code: string } }>(streamed)).error.code]).toEqual([409, 'campaign_ended']);
    expect(await rowCount('SELECT count(*) AS n FROM enrollments WHERE campaign_id = ?', m.campaign.id)).toBe(1);
  });

  it('takes handles as Instagram, TikTok and YouTube write them, with dots and dashes, and makes links and codes from them', async () => {
    const m = await createMoneyBrand();
    const tag = Date.now().toString(36);
    const csv = ['email,handle,name', `dot${tag}@creators.test,@sarah.glow${tag},Dot`, `dash${tag}@creators.test,yt-maker${tag},Dash`, `bad${tag}@creators.test,.lead${tag},Bad`, `bad2${tag}@creators.test,trail${tag}.,Bad`, `same${tag}@creators.test,sarahglow${tag},Same`].join('\n');
    const res = await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/import`, { csv });
    expect(res.status).toBe(422);
    const errors = (await json<{ error: { details: { errors: { line: number; field: string; message: string }[] } } }>(res)).error.details.errors;
    expect(errors.map((e) => [e.line, e.field])).toEqual([[4, 'handle'], [5, 'handle'], [6, 'code']]);
    // sarahglow… makes the same code as sarah.glow…: the second is told so, not left silently without one.
    expect(errors[2]!.message).toContain("is also the code for line 2's handle");
    const done = await json<ImportData>(await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/import`, { csv, confirm: true }));
    expect(done.data.invites.map((i) => [i.link?.replace(/-[a-z0-9]{5}$/, ''), i.code])).toEqual([
      [`${BASE}/r/sarah-glow${tag}`, `SARAHGLOW${tag.toUpperCase()}15`],
      [`${BASE}/r/yt-maker${tag}`, `YTMAKER${tag.toUpperCase()}15`],
    ]);
    const viaApi = await m.brand.api('POST', '/api/admin/creators', { email: `api${tag}@creators.test`, handle: `Maya.Lind${tag}`, displayName: 'Maya' });
    expect([viaApi.status, (await json<{ data: { handle: string } }>(viaApi)).data.handle]).toEqual([201, `maya.lind${tag}`]);
    expect((await m.brand.api('POST', '/api/admin/creators', { email: `api2${tag}@creators.test`, handle: `-maya${tag}`, displayName: 'Maya' })).status).toBe(422);
  });

  it("reads the same for an address with another brand's Chorus account as for a new one, and says accepted only after Accept", async () => {
    const a = await createMoneyBrand();
    await env.DB.prepare("UPDATE creators SET password_hash = 'set' WHERE id = ?").bind(a.creator.id).run();
    const b = await createMoneyBrand();
    const tag = `x${Date.now().toString(36)}`;
    const csv = ['email,handle,name,payment_model', `${a.handle}@creators.test,${a.handle},Sarah,affiliate`, `${tag}@creators.test,${tag},New,affiliate`].join('\n');
    const res = await json<ImportData>(await b.brand.api('POST', `/api/admin/campaigns/${b.campaign.id}/import`, { csv }));
    expect(res.data.created.invites).toBe(2);
    expect(res.data.invites.map((i) => [i.status, Boolean(i.inviteUrl)])).toEqual([['invite', true], ['invite', true]]);
    // Both links open the same page (sign in, or have a password link mailed): the brand holding them learns nothing.
    for (const invite of res.data.invites) {
      const page = await SELF.fetch(invite.inviteUrl!, { redirect: 'manual' });
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('Email me the link');
      expect(html).toContain('href="/login?next=/"');
    }
    const statuses = async () => {
      const sheet = parseCsv(await (await b.brand.api('GET', `/api/admin/campaigns/${b.campaign.id}/invites.csv`)).text());
      const statusOf = (email: string) => sheet.find((r) => r.cells[1] === email)?.cells[4];
      return [statusOf(`${a.handle}@creators.test`), statusOf(`${tag}@creators.test`)];
    };
    // Accept turns the brand's invited enrollments active (creator.tsx); the sheet follows the campaign's own.
    await env.DB.prepare('UPDATE brand_creators SET accepted_at = ? WHERE brand_id = ? AND creator_id = ?').bind(Date.now(), b.brand.brandId, a.creator.id).run();
    expect(await statuses()).toEqual(['invite', 'invite']); // accepted the brand, not yet this campaign
    await env.DB.prepare("UPDATE enrollments SET status = 'active' WHERE campaign_id = ? AND creator_id = ?").bind(b.campaign.id, a.creator.id).run();
    expect(await statuses()).toEqual(['accepted', 'invite']);
  });

  it("keeps the brand's own handle and name for an address another brand has, and shows nothing else of the account", async () => {
    const a = await createMoneyBrand();
    await env.DB.prepare("UPDATE creators SET display_name = 'Account Own Name' WHERE id = ?").bind(a.creator.id).run();
    const b = await createMoneyBrand();
    const tag = `m${Date.now().toString(36)}`;
    const address = `${a.handle}@creators.test`;
    // A's handle is B's to give another creator: handles are each brand's own.
    const csv = ['email,handle,name,payment_model', `${address},${tag},Mine Name,affiliate`, `${tag}x@creators.test,${a.handle},Someone,affiliate`].join('\n');
    const res = await json<ImportData>(await b.brand.api('POST', `/api/admin/campaigns/${b.campaign.id}/import`, { csv }));
    // Counted as new on B's roster alike: whether an address had an account is not told.
    expect(res.data.created).toMatchObject({ creators: 2, enrollments: 2 });
    const body = JSON.stringify(res.data);
    expect(body).not.toContain('Account Own Name');
    const row = res.data.invites.find((i) => i.email === address)!;
    expect(row).toMatchObject({ handle: tag, name: 'Mine Name' });
    expect(row.link).toContain(`/r/${tag}-`);
    // The account moves address before accepting: B's sheet and the invite page keep to what B sent.
    await env.DB.prepare('UPDATE creators SET email = ? WHERE id = ?').bind(`moved-${tag}@creators.test`, a.creator.id).run();
    const sheet = await (await b.brand.api('GET', `/api/admin/campaigns/${b.campaign.id}/invites.csv`)).text();
    expect(sheet).toContain(address);
    expect(sheet).not.toContain('moved-');
    const page = await (await SELF.fetch(row.inviteUrl!)).text();
    expect(page).toContain('Hi Mine Name');
    expect(page).toContain(`we&#39;ll email a link to <strong>${address}</strong>`);
    expect(page).not.toContain('moved-');
    expect(page).not.toContain('Account Own Name');
    // The same file again, for another campaign: the address B has still means that creator (no new account
    // for it), under B's handle.
    const next = await json<{ data: { id: string } }>(await b.brand.api('POST', '/api/admin/campaigns', { name: 'Second', slug: `second-${tag}`, hashtag: '#Second', defaultDestination: 'https://shop.example/second' }));
    const again = await json<ImportData>(await b.brand.api('POST', `/api/admin/campaigns/${next.data.id}/import`, { csv: `email,handle,name\n${address},whatever_${tag},Other Name`, codePattern: '{HANDLE}2ND' }));
    expect(again.data.created).toMatchObject({ creators: 0, enrollments: 1 });
    expect(again.data.invites[0]).toMatchObject({ email: address, handle: tag, name: 'Mine Name' });
    expect(again.data.invites[0]!.code).toBe(`${tag.toUpperCase()}2ND`);
    expect(await rowCount('SELECT count(*) AS n FROM creators WHERE email = ?', address)).toBe(0);
    expect(await rowCount('SELECT count(*) AS n FROM enrollments WHERE campaign_id = ? AND creator_id = ?', next.data.id, a.creator.id)).toBe(1);
    // Another creator under a handle B already gave: refused as B's own clash.
    const clash = await b.brand.api('POST', `/api/admin/campaigns/${b.campaign.id}/import`, { csv: `email,handle,name\n${tag}y@creators.test,${tag},Third` });
    expect(clash.status).toBe(422);
    expect((await json<{ error: { details: { errors: unknown[] } } }>(clash)).error.details.errors).toContainEqual({ line: 2, field: 'handle', message: 'Another creator on your roster has this handle.' });
  });

  it('takes an address with invisible characters as the account it is, and refuses what the API would refuse', async () => {
    const m = await createMoneyBrand();
    const t = `z${Date.now().toString(36)}${fileCounter++}`;
    const res = await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/import`, { csv: `email,handle,name\r\n\u200b${m.handle}@creators.test\u200b,${t},Sarah again\r\nnot..an@email..test,${t}_b,Nope\r\n`, confirm: true });
    expect(res.status).toBe(200);
    const body = await json<ImportData & { data: { skippedRows: { line: number; field: string }[] } }>(res);
    expect(body.data.created.creators).toBe(0); // the existing account, not a second one
    expect(body.data.skippedRows).toEqual([{ line: 3, field: 'email', message: 'Not an email address.' }]);
    expect(await rowCount('SELECT count(*) AS n FROM creators WHERE email LIKE ?', `%${m.handle}@creators.test%`)).toBe(1);
  });

  it('leaves an audit entry for what an import that stopped part-way wrote', async () => {
    const m = await createMoneyBrand();
    let batches = 0;
    const flaky = d1With({ batch: (stmts: D1PreparedStatement[]) => (++batches === 3 ? Promise.reject(new Error('D1_ERROR: storage unavailable')) : env.DB.batch(stmts)) });
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request(`${BASE}/api/admin/campaigns/${m.campaign.id}/import`, { method: 'POST', headers: { authorization: `Bearer ${m.brand.adminKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ csv: rosterCsv(20) }) }),
      { ...env, DB: flaky } as Env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(503);
    expect(await rowCount('SELECT count(*) AS n FROM enrollments WHERE campaign_id = ?', m.campaign.id)).toBe(1 + 10);
    const audit = await env.DB.prepare("SELECT details FROM audit_log WHERE brand_id = ? AND action = 'creators.imported'").bind(m.brand.brandId).all<{ details: string }>();
    expect(audit.results.map((r) => JSON.parse(r.details))).toEqual([{ rows: 20, throughLine: 11, complete: false, skipped: 0 }]);
  });
});
