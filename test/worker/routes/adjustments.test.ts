// A brand's own bonus or correction on a creator's ledger: from the console's creator page or the admin API,
// once per form or Idempotency-Key, with a reason the creator sees, paid (or taken) by the next payout.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { adminUser, consoleBrand, get, post, signIn } from '../console-fixtures';
import { logTransport, setTransport, type Message } from '../../../worker/lib/messages';
import { createMoneyBrand, json, rowCount, waitFor } from '../fixtures';
import { portalTestDefaults, signedInCreator } from '../portal-fixtures';

portalTestDefaults();

const entries = (enrollmentId: string) =>
  env.DB.prepare("SELECT amount_minor, note, period, available_at, event_key FROM ledger_entries WHERE enrollment_id = ? AND kind = 'adjustment' ORDER BY rowid")
    .bind(enrollmentId)
    .all<{ amount_minor: number; note: string; period: string; available_at: number; event_key: string }>()
    .then((r) => r.results);
const keyOf = (html: string) => /name="key" value="([^"]+)"/.exec(html)?.[1] ?? '';

describe('adjustments', () => {
  it('refuses a creator who has not accepted the brand, and the same key for another adjustment, even after the key is forgotten', async () => {
    const waiting = await createMoneyBrand({ accepted: false });
    const refused = await waiting.brand.api('POST', `/api/admin/enrollments/${waiting.enrollment.id}/adjustments`, { amountMinor: 500, note: 'Welcome' }, { 'idempotency-key': 'k-1' });
    expect(refused.status).toBe(409);
    expect((await json<{ error: { code: string } }>(refused)).error.code).toBe('creator_not_accepted');
    expect(await entries(waiting.enrollment.id)).toEqual([]);
    const m = await createMoneyBrand();
    const send = (amountMinor: number) => m.brand.api('POST', `/api/admin/enrollments/${m.enrollment.id}/adjustments`, { amountMinor, note: 'Bonus' }, { 'idempotency-key': 'k-same' });
    expect((await send(500)).status).toBe(201);
    // The middleware's copy of the answer gone (after 24 hours): the entry's own key still holds.
    await env.DB.prepare('DELETE FROM idempotency_keys WHERE brand_id = ?').bind(m.brand.brandId).run();
    expect((await send(500)).status).toBe(201);
    await env.DB.prepare('DELETE FROM idempotency_keys WHERE brand_id = ?').bind(m.brand.brandId).run();
    const conflict = await send(900);
    expect(conflict.status).toBe(409);
    expect((await json<{ error: { code: string } }>(conflict)).error.code).toBe('idempotency_conflict');
    expect((await entries(m.enrollment.id)).map((e) => e.amount_minor)).toEqual([500]);
  });

  it('adds a bonus through the API once per Idempotency-Key, payable at once, audited', async () => {
    const m = await createMoneyBrand();
    const body = { amountMinor: 5_000, note: 'Thank you: the reel did twice the usual reach.' };
    const send = () => m.brand.api('POST', `/api/admin/enrollments/${m.enrollment.id}/adjustments`, body, { 'idempotency-key': `adj-${m.enrollment.id}` });
    const before = Date.now();
    const first = await send();
    expect(first.status).toBe(201);
    const made = (await json<{ data: Record<string, unknown> }>(first)).data;
    expect(made).toMatchObject({ enrollmentId: m.enrollment.id, amountMinor: 5_000, currency: 'USD', period: new Date().toISOString().slice(0, 7), note: body.note });
    const again = await send();
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await json<{ data: unknown }>(again)).data).toEqual(made);
    const [entry, ...rest] = await entries(m.enrollment.id);
    expect(rest).toEqual([]);
    expect(entry!.available_at).toBeGreaterThanOrEqual(before);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE brand_id = ? AND action = 'ledger.adjusted' AND target_id = ?", m.brand.brandId, m.enrollment.id)).toBe(1);
  });

  it('refuses a zero, a fraction, too much, no reason, extra fields and another brand, writing nothing', async () => {
    const m = await createMoneyBrand();
    const other = await createMoneyBrand();
    const send = (body: unknown, enrollmentId = m.enrollment.id, key: string | null = crypto.randomUUID()) =>
      m.brand.api('POST', `/api/admin/enrollments/${enrollmentId}/adjustments`, body, key ? { 'idempotency-key': key } : {});
    for (const body of [
      { amountMinor: 0, note: 'x' },
      { amountMinor: 12.5, note: 'x' },
      { amountMinor: '500', note: 'x' },
      { amountMinor: 10_000_001, note: 'x' },
      { amountMinor: -10_000_001, note: 'x' },
      { amountMinor: 500 },
      { amountMinor: 500, note: '' },
      { amountMinor: 500, note: 'x'.repeat(201) },
      { amountMinor: 500, note: 'bell\u0007' },
      { amountMinor: 500, note: 'x', currency: 'EUR' },
    ]) {
      expect((await send(body)).status, JSON.stringify(body)).toBe(422);
    }
    // Money without a key would pay twice on a retry: the key is required.
    const unkeyed = await send({ amountMinor: 500, note: 'No key.' }, m.enrollment.id, null);
    expect(unkeyed.status).toBe(400);
    expect((await json<{ error: { code: string } }>(unkeyed)).error.code).toBe('idempotency_key_required');
    expect((await send({ amountMinor: 500, note: 'Not yours.' }, other.enrollment.id)).status).toBe(404);
    expect((await send({ amountMinor: 500, note: 'No such.' }, 'enr_nope')).status).toBe(404);
    expect(await entries(m.enrollment.id)).toEqual([]);
    expect(await entries(other.enrollment.id)).toEqual([]);
  });

  it('adds one from the console creator page once however often the form is posted, and a correction below zero', async () => {
    const o = await consoleBrand('manager');
    const page = `/console/campaigns/${o.campaign.id}/creators/${o.enrollment.id}`;
    const html = await (await get(page, o.cookie)).text();
    expect(html).toContain('Add a bonus or a correction');
    const key = keyOf(html);
    expect(key).toMatch(/^[A-Za-z0-9_-]{16,64}$/);
    const form = { amount: '25', note: 'Best post of the month', key };
    const [a, b] = await Promise.all([post(`${page}/adjustments`, form, { cookie: o.cookie }), post(`${page}/adjustments`, form, { cookie: o.cookie })]);
    expect([a.status, b.status]).toEqual([303, 303]);
    // One made it and says so; the other found it and says nothing more was added.
    expect([a.headers.get('location'), b.headers.get('location')].sort()).toEqual([`${page}?flash=adjusted`, `${page}?flash=adjusted_already`]);
    // The same form sent again with another amount (a stale page edited): refused, nothing more written.
    const stale = await post(`${page}/adjustments`, { ...form, amount: '30' }, { cookie: o.cookie });
    expect(stale.status).toBe(409);
    expect(await stale.text()).toContain('reload the page');
    // A correction: a new form, a negative amount.
    const fresh = keyOf(await (await get(page, o.cookie)).text());
    expect(fresh).not.toBe(key);
    expect((await post(`${page}/adjustments`, { amount: '-12.50', note: 'Fee paid twice in October', key: fresh }, { cookie: o.cookie })).status).toBe(303);
    expect((await entries(o.enrollment.id)).map((e) => [e.amount_minor, e.note])).toEqual([
      [2_500, 'Best post of the month'],
      [-1_250, 'Fee paid twice in October'],
    ]);
    // Listed on the page, newest first, for anyone on the team to read (the form only for owners and managers).
    const viewer = await signIn((await adminUser(o.brand.brandId, 'viewer')).email);
    const listed = await (await get(page, viewer)).text();
    const list = listed.slice(listed.indexOf('Bonuses and corrections'));
    expect(list.indexOf('Fee paid twice in October')).toBeLessThan(list.indexOf('Best post of the month'));
    expect(list).toContain('<strong class="negative">−$12.50</strong> Fee paid twice in October');
    expect(list).toContain('<strong>$25.00</strong> Best post of the month');
    expect(list).toContain('not paid yet');
    expect(listed).not.toContain('Add a bonus or a correction');
    // Refused in place, as typed, nothing written.
    for (const [fields, message] of [
      [{ amount: '0', note: 'x', key: 'k'.repeat(20) }, 'An amount other than zero'],
      [{ amount: '12.345', note: 'x', key: 'k'.repeat(20) }, 'An amount other than zero'],
      [{ amount: '10', note: ' ', key: 'k'.repeat(20) }, 'Say why'],
      [{ amount: '10', note: 'x', key: 'short' }, 'Reload the page'],
    ] as const) {
      const res = await post(`${page}/adjustments`, fields, { cookie: o.cookie });
      expect(res.status).toBe(422);
      const text = await res.text();
      expect(text).toContain(message);
      expect(text).toContain(`value="${fields.amount}"`);
    }
    expect(await entries(o.enrollment.id)).toHaveLength(2);
  });

  it('emails the creator each adjustment once, with the reason, not again for a retry or a double click', async () => {
    const o = await consoleBrand('manager');
    const to = `${o.handle}@creators.test`;
    const page = `/console/campaigns/${o.campaign.id}/creators/${o.enrollment.id}`;
    const sent: Message[] = [];
    setTransport(async (msg) => void sent.push(msg));
    const ours = () => sent.filter((s) => s.to === to);
    try {
      const form = { amount: '25', note: 'Best post of the month', key: keyOf(await (await get(page, o.cookie)).text()) };
      await Promise.all([post(`${page}/adjustments`, form, { cookie: o.cookie }), post(`${page}/adjustments`, form, { cookie: o.cookie })]);
      // A brand with a minimum payout: the correction's mail says a close may carry it.
      await env.DB.prepare('UPDATE brands SET min_payout_minor = 5000 WHERE id = ?').bind(o.brand.brandId).run();
      const key = { 'idempotency-key': `adj-${o.enrollment.id}` };
      const correction = { amountMinor: -1_250, note: 'Fee paid twice in October' };
      expect((await o.brand.api('POST', `/api/admin/enrollments/${o.enrollment.id}/adjustments`, correction, key)).status).toBe(201);
      await env.DB.prepare('DELETE FROM idempotency_keys WHERE brand_id = ?').bind(o.brand.brandId).run();
      expect((await o.brand.api('POST', `/api/admin/enrollments/${o.enrollment.id}/adjustments`, correction, key)).status).toBe(201);
      // Notices go through the mail queue: wait for these two, then long enough for a copy to follow.
      await waitFor(async () => (ours().length >= 2 ? true : null), 15_000);
      await new Promise((r) => setTimeout(r, 1_500));
    } finally {
      setTransport(logTransport);
    }
    const month = new Intl.DateTimeFormat('en', { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date());
    const mails = ours().sort((a, b) => a.subject.localeCompare(b.subject));
    expect(mails.map((m) => m.subject)).toEqual(['Test Brand added $25.00 to your earnings', 'Test Brand corrected your earnings by −$12.50']);
    expect(mails[0]!.text).toContain(`Their note:\nBest post of the month\n\nIt counts in ${month}`);
    expect(mails[0]!.text).not.toContain('minimum payout');
    expect(mails[1]!.text).toContain('Their reason:\nFee paid twice in October');
    expect(mails[1]!.text).toContain('(or a later close, while what you are owed is under its $50.00 minimum payout)');
    expect(mails[1]!.text).toMatch(/Your earnings: https?:\/\/[^/]+\/earnings$/);
  });

  it('asks once more before adding a large amount either way, and adds it only when confirmed', async () => {
    const o = await consoleBrand('manager');
    const page = `/console/campaigns/${o.campaign.id}/creators/${o.enrollment.id}`;
    for (const amount of ['10000', '-1,000']) {
      const key = keyOf(await (await get(page, o.cookie)).text());
      const asked = await post(`${page}/adjustments`, { amount, note: 'Launch bonus', key }, { cookie: o.cookie });
      expect(asked.status).toBe(200);
      const html = await asked.text();
      expect(html).toContain(amount.startsWith('-') ? 'Take $1,000.00 from' : 'Add $10,000.00 to');
      expect(html).toContain('name="confirmLarge" value="1"');
      expect(html).toContain(`value="${amount}"`); // what was typed, to check
      expect(await entries(o.enrollment.id)).toEqual([]);
    }
    const key = keyOf(await (await get(page, o.cookie)).text());
    expect((await post(`${page}/adjustments`, { amount: '999.99', note: 'Just under', key }, { cookie: o.cookie })).status).toBe(303);
    const big = keyOf(await (await get(page, o.cookie)).text());
    expect((await post(`${page}/adjustments`, { amount: '10000', note: 'Launch bonus', key: big, confirmLarge: '1' }, { cookie: o.cookie })).status).toBe(303);
    expect((await entries(o.enrollment.id)).map((e) => e.amount_minor)).toEqual([99_999, 1_000_000]);
  });

  it('offers no form for a creator who has not accepted the brand', async () => {
    const o = await consoleBrand('owner', { accepted: false });
    const page = `/console/campaigns/${o.campaign.id}/creators/${o.enrollment.id}`;
    expect(await (await get(page, o.cookie)).text()).not.toContain('Add a bonus or a correction');
    const res = await post(`${page}/adjustments`, { amount: '10', note: 'Welcome', key: 'k'.repeat(20) }, { cookie: o.cookie });
    expect(res.status).toBe(409);
    expect(await res.text()).toContain('has not accepted your brand');
    expect(await entries(o.enrollment.id)).toEqual([]);
  });

  it('is for owners and managers: a viewer or finance sees no form and is refused', async () => {
    const o = await consoleBrand('owner');
    const page = `/console/campaigns/${o.campaign.id}/creators/${o.enrollment.id}`;
    for (const role of ['viewer', 'finance'] as const) {
      const cookie = await signIn((await adminUser(o.brand.brandId, role)).email);
      expect(await (await get(page, cookie)).text()).not.toContain('Add a bonus or a correction');
      expect((await post(`${page}/adjustments`, { amount: '10', note: 'x', key: 'k'.repeat(20) }, { cookie })).status).toBe(403);
    }
    expect(await entries(o.enrollment.id)).toEqual([]);
  });

  it("shows the creator the brand's reason on Earnings, and the next payout pays it in the bonuses column", async () => {
    const m = await signedInCreator();
    expect((await m.brand.api('POST', `/api/admin/enrollments/${m.enrollment.id}/adjustments`, { amountMinor: 4_000, note: 'Launch week bonus' }, { 'idempotency-key': 'launch' })).status).toBe(201);
    const earnings = await (await get('/earnings', m.cookie)).text();
    expect(earnings).toContain('From the brand');
    expect(earnings).toContain('Launch week bonus');
    // As last month's (the current one cannot close yet): the close pays it.
    await env.DB.prepare("UPDATE ledger_entries SET period = '2026-10', available_at = ? WHERE enrollment_id = ? AND kind = 'adjustment'").bind(Date.parse('2026-10-15T00:00:00Z'), m.enrollment.id).run();
    expect((await m.brand.api('POST', '/api/admin/payouts/close', { period: '2026-10' })).ok).toBe(true);
    const csv = await (await m.brand.api('GET', '/api/admin/payouts/export.csv?period=2026-10')).text();
    const [header, line] = csv.split('\r\n').map((l) => l.split(','));
    const cell = (name: string) => line![header!.indexOf(`"${name}"`)];
    expect([cell('bonuses'), cell('net_amount')]).toEqual(['40.00', '40.00']);
  });
});
