import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
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
      [8, 'payment_model'],
      [10, 'handle'],
    ]);
    expect(error.details.validRows).toBe(3);
    expect(await rowCount('SELECT count(*) AS n FROM enrollments WHERE campaign_id = ?', m.campaign.id)).toBe(1);
    const confirmed = await json<ImportData>(await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/import`, { csv, confirm: true }));
    expect(confirmed.data.rows).toBe(3);
    expect(await rowCount('SELECT count(*) AS n FROM enrollments WHERE campaign_id = ?', m.campaign.id)).toBe(4);
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
});
