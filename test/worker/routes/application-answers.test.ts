// Answering applications through the admin API: the console's answers (db/application-answers.ts) behind an
// admin key, with the API's idempotency and its one error shape.
import { env, SELF } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import { logTransport, setTransport, type Message } from '../../../worker/lib/messages';
import { application, applicationId, apply, openApplications, type Brand } from '../application-fixtures';
import { consoleBrand, get, post } from '../console-fixtures';
import { BASE, issueKey, json, rowCount, waitFor, type Data } from '../fixtures';

type Answered = { application: { id: string; status: string; enrollmentId: string | null; decidedAt: string | null; declineMailedAt: string | null } };
type Approved = Answered & { alreadyInCampaign: boolean; invitationQueued: boolean };
type Declined = Answered & { applicantMailed: boolean };
type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown> } };

const answer = (m: Brand, id: string, verb: 'approve' | 'decline' | 'reopen', body?: unknown, headers?: Record<string, string>) =>
  m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/applications/${id}/${verb}`, body, headers);

const errorCode = async (res: Response) => (await json<ErrorBody>(res)).error.code;

async function waiting(m: Brand, overrides: Record<string, string> = {}) {
  const fields = application(overrides);
  expect((await apply(m, fields)).status).toBe(200);
  return { fields, id: await applicationId(m.campaign.id, fields.email) };
}

const adminKeyId = (brandId: string) => env.DB.prepare("SELECT id FROM api_keys WHERE brand_id = ? AND scope = 'admin' AND name = 'test'").bind(brandId).first<string>('id');

// What an approval made for an address in the campaign, with the code written as its pattern, so that two
// creators' can be compared.
async function madeFor(campaignId: string, email: string) {
  const row = await env.DB.prepare(
    `SELECT e.status, e.payment_model, b.handle, (SELECT d.code FROM discount_codes d WHERE d.enrollment_id = e.id) AS code, (SELECT d.discount_value FROM discount_codes d WHERE d.enrollment_id = e.id) AS discount,
       (SELECT count(*) FROM links l WHERE l.enrollment_id = e.id) AS links, b.niche, b.follower_count,
       (SELECT count(*) FROM invitation_mails i WHERE i.campaign_id = e.campaign_id AND i.email = c.email) AS invitation_mails
     FROM enrollments e JOIN creators c ON c.id = e.creator_id JOIN brand_creators b ON b.creator_id = c.id AND b.brand_id = e.brand_id WHERE c.email = ? AND e.campaign_id = ?`,
  )
    .bind(email, campaignId)
    .first<{ status: string; payment_model: string; handle: string; code: string; discount: number; links: number; niche: string; follower_count: number; invitation_mails: number }>();
  if (!row) return null;
  const { handle, code, ...rest } = row;
  return { ...rest, codePattern: code.replace(handle.replace(/[.-]/g, '').toUpperCase(), '{HANDLE}') };
}

// Mails as the provider receives them, for the tests that look at what applicants were told.
const sent: Message[] = [];
const mailTo = (email: string) => sent.filter((s) => s.to === email);
const capture = () => {
  sent.length = 0;
  setTransport(async (msg) => void sent.push(msg));
};
afterEach(() => setTransport(logTransport));

describe('answering applications through the admin API', () => {

  it('approves exactly as the console does: the enrollment, link, code and invitation, audited under the key', { timeout: 30_000 }, async () => {
    const m = await consoleBrand('manager');
    await openApplications(m);
    // The campaign's codes read "<HANDLE>VIP" at 20%: both approvals follow that style.
    await env.DB.prepare('UPDATE discount_codes SET code = ?, discount_value = 20 WHERE enrollment_id = ?').bind(`${m.handle.replace(/[.-]/g, '').toUpperCase()}VIP`, m.enrollment.id).run();
    const byConsole = await waiting(m);
    const byApi = await waiting(m);
    capture();
    expect((await post(`/console/campaigns/${m.campaign.id}/applications/${byConsole.id}/approve`, { paymentModel: 'product' }, { cookie: m.cookie })).status).toBe(303);

    const res = await answer(m, byApi.id, 'approve', { paymentModel: 'product' });
    expect(res.status).toBe(200);
    const body = await json<Data<Approved>>(res);
    expect(body.data).toMatchObject({ application: { id: byApi.id, status: 'approved', declineMailedAt: null }, alreadyInCampaign: false, invitationQueued: true });
    expect(body.data.application.enrollmentId).toMatch(/^enr_/);
    const made = await madeFor(m.campaign.id, byApi.fields.email);
    expect(made).toEqual({ status: 'invited', payment_model: 'product', codePattern: '{HANDLE}VIP', discount: 20, links: 1, niche: 'skincare', follower_count: 18_500, invitation_mails: 1 });
    expect(made).toEqual(await madeFor(m.campaign.id, byConsole.fields.email));

    const mail = await waitFor(async () => mailTo(byApi.fields.email)[0], 15_000);
    expect(mail.subject).toBe('Test Brand accepted your application to Glow');
    const keyId = await adminKeyId(m.brand.brandId);
    const audit = await env.DB.prepare(
      "SELECT action, actor_id FROM audit_log WHERE brand_id = ? AND actor_type = 'api_key' AND (target_id = ? OR action IN ('creators.imported', 'campaign.invitations_mailed'))",
    )
      .bind(m.brand.brandId, byApi.id)
      .all<{ action: string; actor_id: string }>();
    expect(audit.results.map((r) => `${r.action} by ${r.actor_id}`).sort()).toEqual([`application.approved by ${keyId}`, `campaign.invitations_mailed by ${keyId}`, `creators.imported by ${keyId}`]);
    // The console names the key that answered.
    expect(await (await get(`/console/campaigns/${m.campaign.id}/applications`, m.cookie)).text()).toContain('<td data-label="By">API key test</td>');
    const listed = await json<Data<{ id: string }[]>>(await m.brand.api('GET', `/api/admin/campaigns/${m.campaign.id}/applications?status=approved`));
    expect(listed.data.map((a) => a.id).sort()).toEqual([byConsole.id, byApi.id].sort());
  });

  it('approves with commission by default, and marks an address already in the campaign approved without making anything', async () => {
    const m = await consoleBrand('owner');
    await openApplications(m);
    const plain = await waiting(m);
    expect((await answer(m, plain.id, 'approve')).status).toBe(200);
    expect(await madeFor(m.campaign.id, plain.fields.email)).toMatchObject({ payment_model: 'affiliate' });
    const email = (await env.DB.prepare('SELECT email FROM creators WHERE handle = ?').bind(m.handle).first<string>('email'))!;
    const member = await waiting(m, { email, handle: m.handle });
    const res = await answer(m, member.id, 'approve', {});
    expect(res.status).toBe(200);
    expect((await json<Data<Approved>>(res)).data).toMatchObject({ application: { status: 'approved', enrollmentId: m.enrollment.id }, alreadyInCampaign: true, invitationQueued: false });
    expect(await rowCount('SELECT count(*) AS n FROM enrollments WHERE campaign_id = ?', m.campaign.id)).toBe(2);
  });

  it('declines, mailing the applicant once, and answers 409 to a second answer', { timeout: 30_000 }, async () => {
    const m = await consoleBrand('manager');
    await openApplications(m);
    const { fields, id } = await waiting(m);
    capture();
    const res = await answer(m, id, 'decline');
    expect(res.status).toBe(200);
    const body = await json<Data<Declined>>(res);
    expect(body.data).toMatchObject({ application: { id, status: 'declined', enrollmentId: null }, applicantMailed: true });
    expect(body.data.application.declineMailedAt).toBe(body.data.application.decidedAt);
    const note = await waitFor(async () => mailTo(fields.email)[0], 15_000);
    expect(note.subject).toBe('Your application to Glow');
    expect(note.text).toContain('Test Brand has read your application and is not taking you on for this campaign.');
    expect(await env.DB.prepare("SELECT actor_type, details FROM audit_log WHERE target_id = ? AND action = 'application.declined'").bind(id).first()).toEqual({ actor_type: 'api_key', details: JSON.stringify({ applicantMailed: true }) });

    for (const verb of ['decline', 'approve'] as const) {
      const again = await answer(m, id, verb);
      expect(again.status).toBe(409);
      const error = (await json<ErrorBody>(again)).error;
      expect(error.code).toBe('application_answered');
      expect(error.details).toEqual({ status: 'declined' });
    }
    // An Idempotency-Key retry of a decline gets its first answer again, and mails nothing more.
    const other = await waiting(m);
    const first = await answer(m, other.id, 'decline', undefined, { 'idempotency-key': `decline-${other.id}` });
    const retry = await answer(m, other.id, 'decline', undefined, { 'idempotency-key': `decline-${other.id}` });
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await retry.json()).toEqual(await first.json());
    await waitFor(async () => mailTo(other.fields.email)[0], 15_000);
    // A later decline's note reaching the provider shows no second note to either is on its way.
    const sentinel = await waiting(m);
    await answer(m, sentinel.id, 'decline');
    await waitFor(async () => mailTo(sentinel.fields.email)[0], 15_000);
    expect([mailTo(fields.email).length, mailTo(other.fields.email).length]).toEqual([1, 1]);
  });

  it('replays an approval under its Idempotency-Key and answers 409 to one without', { timeout: 30_000 }, async () => {
    const m = await consoleBrand('manager');
    await openApplications(m);
    const { fields, id } = await waiting(m);
    const key = { 'idempotency-key': crypto.randomUUID() };
    const first = await answer(m, id, 'approve', { paymentModel: 'product' }, key);
    expect(first.status).toBe(200);
    const replay = await answer(m, id, 'approve', { paymentModel: 'product' }, key);
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await replay.json()).toEqual(await first.json());
    const conflict = await answer(m, id, 'approve', { paymentModel: 'affiliate' }, key);
    expect([conflict.status, await errorCode(conflict)]).toEqual([409, 'idempotency_conflict']);
    const bare = await answer(m, id, 'approve', { paymentModel: 'product' });
    expect([bare.status, await errorCode(bare)]).toEqual([409, 'application_answered']);
    expect(await madeFor(m.campaign.id, fields.email)).toMatchObject({ payment_model: 'product', links: 1, invitation_mails: 1 });
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'application.approved'", id)).toBe(1);
  });

  it('says why an approval cannot go ahead, and changes nothing', async () => {
    const m = await consoleBrand('owner');
    await openApplications(m);
    // The handle of another creator on the roster.
    const taken = await waiting(m, { handle: m.handle });
    const refused = await answer(m, taken.id, 'approve');
    expect([refused.status, await errorCode(refused)]).toEqual([409, 'handle_taken']);
    // Removed from the campaign before: brought back on their enrollment, not here.
    const gone = await waiting(m);
    expect((await answer(m, gone.id, 'approve')).status).toBe(200);
    const enrollmentId = (await env.DB.prepare('SELECT e.id FROM enrollments e JOIN creators c ON c.id = e.creator_id WHERE c.email = ? AND e.campaign_id = ?').bind(gone.fields.email, m.campaign.id).first<string>('id'))!;
    await env.DB.prepare("UPDATE enrollments SET status = 'removed', removed_at = ? WHERE id = ?").bind(Date.now(), enrollmentId).run();
    await env.DB.prepare("UPDATE applications SET status = 'pending' WHERE id = ?").bind(gone.id).run();
    const removed = await answer(m, gone.id, 'approve');
    expect(removed.status).toBe(409);
    expect((await json<ErrorBody>(removed)).error).toMatchObject({ code: 'creator_removed', details: { enrollmentId } });
    // Every code the campaign's style and name offer for the handle is another creator's already.
    const crowded = await waiting(m);
    const base = crowded.fields.handle.slice(1).replace(/[.-]/g, '').toUpperCase();
    for (const code of [`${base}15`, `${base}GLOW`, `${base}15GLO`]) {
      expect((await m.brand.api('POST', '/api/admin/codes', { enrollmentId: m.enrollment.id, code, discountType: 'percent', discountValue: 15 })).status).toBe(201);
    }
    const codeTaken = await answer(m, crowded.id, 'approve');
    expect(codeTaken.status).toBe(409);
    expect((await json<ErrorBody>(codeTaken)).error).toMatchObject({ code: 'code_taken', message: expect.stringContaining(`POST /api/admin/campaigns/${m.campaign.id}/import`) });
    // An ended campaign takes no new creators.
    const late = await waiting(m);
    expect((await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { status: 'ended' })).status).toBe(200);
    const ended = await answer(m, late.id, 'approve');
    expect([ended.status, await errorCode(ended)]).toEqual([409, 'campaign_ended']);
    expect(await rowCount("SELECT count(*) AS n FROM applications WHERE id IN (?, ?, ?, ?) AND status = 'pending'", taken.id, gone.id, crowded.id, late.id)).toBe(4);
    expect(await rowCount('SELECT count(*) AS n FROM creators WHERE email IN (?, ?, ?)', taken.fields.email, crowded.fields.email, late.fields.email)).toBe(0);
  });

  it("refuses another brand's or another campaign's application, malformed ids and bodies, and keys without the admin scope, writing nothing", { timeout: 30_000 }, async () => {
    const m = await consoleBrand('owner');
    const stranger = await consoleBrand('owner');
    await openApplications(m);
    await openApplications(stranger);
    const { fields, id } = await waiting(m);
    const theirs = await waiting(stranger);
    const sibling = await json<Data<{ id: string }>>(
      await m.brand.api('POST', '/api/admin/campaigns', { name: 'Winter', slug: `winter-${id.slice(4, 12).toLowerCase().replace(/[^a-z0-9]/g, 'x')}`, hashtag: '#Winter', defaultDestination: 'https://shop.example/winter' }),
    );
    const at = (campaignId: string, appId: string, verb = 'approve') => `/api/admin/campaigns/${campaignId}/applications/${appId}/${verb}`;
    const notFound = [
      // Another brand's key: its own campaign with this application's id, and this campaign.
      stranger.brand.api('POST', at(stranger.campaign.id, id)),
      stranger.brand.api('POST', at(m.campaign.id, id, 'decline')),
      // This brand: another brand's application, and this application under its other campaign.
      m.brand.api('POST', at(m.campaign.id, theirs.id)),
      m.brand.api('POST', at(sibling.data.id, id, 'decline')),
      // Malformed and unknown ids.
      m.brand.api('POST', at(m.campaign.id, 'not-an-id')),
      m.brand.api('POST', at(m.campaign.id, encodeURIComponent("app_x' OR '1'='1"))),
      m.brand.api('POST', at(m.campaign.id, `app_${'a'.repeat(65)}`, 'decline')),
      m.brand.api('POST', at(m.campaign.id, 'app_doesnotexist0')),
      m.brand.api('POST', at('cmp_nope', id)),
    ];
    for (const res of await Promise.all(notFound)) expect([res.status, await errorCode(res)]).toEqual([404, 'not_found']);

    const bodies: [unknown, Record<string, string>, number, string][] = [
      [{ paymentModel: 5 }, {}, 422, 'validation_failed'],
      [{ paymentModel: 'flat' }, {}, 422, 'validation_failed'],
      [{ paymentModel: 'PRODUCT' }, {}, 422, 'validation_failed'],
      [{ paymentModel: 'product', override: true }, {}, 422, 'validation_failed'],
      ['[]', {}, 422, 'validation_failed'],
      ['{"paymentModel":', {}, 400, 'malformed_request'],
      ['paymentModel=product', { 'content-type': 'text/plain' }, 415, 'unsupported_media_type'],
      [{ paymentModel: 'product', pad: 'x'.repeat(70_000) }, {}, 413, 'payload_too_large'],
    ];
    for (const [body, headers, status, code] of bodies) {
      const res = await m.brand.api('POST', at(m.campaign.id, id), body, headers);
      expect([res.status, await errorCode(res)], JSON.stringify(body).slice(0, 60)).toEqual([status, code]);
    }

    const call = (headers: Record<string, string>) => SELF.fetch(`${BASE}${at(m.campaign.id, id)}`, { method: 'POST', headers });
    for (const scope of ['storefront', 'ingest'] as const) {
      const res = await call({ authorization: `Bearer ${await issueKey(m.brand, scope)}` });
      expect([res.status, await errorCode(res)], scope).toEqual([403, 'forbidden']);
    }
    // A console session (even an owner's) is not an admin key; nor is nothing.
    const session = await call({ cookie: m.cookie });
    expect([session.status, await errorCode(session)]).toEqual([403, 'forbidden']);
    const anonymous = await call({});
    expect([anonymous.status, await errorCode(anonymous)]).toEqual([401, 'unauthorized']);

    expect(await rowCount("SELECT count(*) AS n FROM applications WHERE id IN (?, ?) AND status = 'pending' AND decided_at IS NULL", id, theirs.id)).toBe(2);
    expect(await rowCount('SELECT count(*) AS n FROM creators WHERE email IN (?, ?)', fields.email, theirs.fields.email)).toBe(0);
    expect(await rowCount('SELECT count(*) AS n FROM audit_log WHERE target_id IN (?, ?)', id, theirs.id)).toBe(0);
  });

  it('reopens a declined application, audited under the key, and nothing else', async () => {
    const m = await consoleBrand('owner');
    await openApplications(m);
    const declined = await waiting(m);
    expect((await answer(m, declined.id, 'decline')).status).toBe(200);
    const reopened = await answer(m, declined.id, 'reopen');
    expect(reopened.status).toBe(200);
    expect((await json<Data<{ id: string; status: string; decidedAt: string | null }>>(reopened)).data).toMatchObject({ id: declined.id, status: 'pending', decidedAt: null });
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'application.reopened' AND actor_type = 'api_key'", declined.id)).toBe(1);
    // Waiting now, or approved: not reopened, said why.
    for (const status of ['pending', 'approved']) {
      if (status === 'approved') expect((await answer(m, declined.id, 'approve')).status).toBe(200);
      const refused = await answer(m, declined.id, 'reopen');
      expect(refused.status).toBe(409);
      expect(await json<ErrorBody>(refused)).toMatchObject({ error: { code: 'application_not_declined', details: { status } } });
    }
    // Another brand's application: the same 404 as an unknown one.
    const other = await consoleBrand('owner');
    const res = await other.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/applications/${declined.id}/reopen`);
    expect(res.status).toBe(404);
  });
});

describe('declining many applications through the admin API', () => {
  type Result = { id: string; outcome: 'declined' | 'already_answered' | 'not_found'; status: string | null; decidedAt: string | null; applicantMailed: boolean };
  type Report = { declined: number; applicantsMailed: number; alreadyAnswered: number; notFound: number; results: Result[] };
  const declineMany = (m: Brand, body: unknown, headers?: Record<string, string>, campaignId = m.campaign.id) => m.brand.api('POST', `/api/admin/campaigns/${campaignId}/applications/decline`, body, headers);
  // A later decline's note reaching the provider shows that no earlier note still to come is on its way.
  const settled = async (m: Brand) => {
    const sentinel = await waiting(m);
    expect((await answer(m, sentinel.id, 'decline')).status).toBe(200);
    await waitFor(async () => mailTo(sentinel.fields.email)[0], 15_000);
  };
  const statuses = async (...ids: string[]) =>
    (await env.DB.prepare(`SELECT id, status, decided_at FROM applications WHERE id IN (${ids.map(() => '?').join(', ')})`).bind(...ids).all<{ id: string; status: string; decided_at: number | null }>()).results;
  const sibling = async (m: Brand) =>
    (await json<Data<{ id: string; slug: string }>>(await m.brand.api('POST', '/api/admin/campaigns', { name: 'Winter', slug: `winter-${crypto.randomUUID().slice(0, 8)}`, hashtag: '#Winter', defaultDestination: 'https://shop.example/winter', applicationsOpen: true }))).data;

  it("reports each id of a mixed batch, declines and mails the waiting ones once, and leaves other campaigns' and brands' alone", { timeout: 30_000 }, async () => {
    const m = await consoleBrand('manager');
    const stranger = await consoleBrand('owner');
    await openApplications(m);
    await openApplications(stranger);
    const [a, b, optedOut] = [await waiting(m), await waiting(m), await waiting(m)];
    await env.DB.prepare('INSERT INTO mail_opt_outs (email, scope, created_at) VALUES (?, ?, ?)').bind(optedOut.fields.email, m.brand.brandId, Date.now()).run();
    const approved = await waiting(m);
    expect((await answer(m, approved.id, 'approve')).status).toBe(200);
    const declinedBefore = await waiting(m);
    capture();
    expect((await answer(m, declinedBefore.id, 'decline')).status).toBe(200);
    const theirs = await waiting(stranger);
    const winter = await sibling(m);
    const elsewhere = application();
    expect((await post(`/apply/${m.brand.slug}/${winter.slug}`, elsewhere)).status).toBe(200);
    const elsewhereId = await applicationId(winter.id, elsewhere.email);
    const unknown = 'app_doesnotexist0';

    const ids = [a.id, approved.id, theirs.id, b.id, declinedBefore.id, elsewhereId, unknown, optedOut.id];
    const res = await declineMany(m, { applicationIds: ids });
    expect(res.status).toBe(200);
    const report = (await json<Data<Report>>(res)).data;
    expect(report.results.map((r) => [r.id, r.outcome, r.status, r.applicantMailed])).toEqual([
      [a.id, 'declined', 'declined', true],
      [approved.id, 'already_answered', 'approved', false],
      [theirs.id, 'not_found', null, false],
      [b.id, 'declined', 'declined', true],
      [declinedBefore.id, 'already_answered', 'declined', false],
      [elsewhereId, 'not_found', null, false],
      [unknown, 'not_found', null, false],
      [optedOut.id, 'declined', 'declined', false],
    ]);
    expect({ ...report, results: undefined }).toEqual({ declined: 3, applicantsMailed: 2, alreadyAnswered: 2, notFound: 3, results: undefined });
    // Declined now: one answer time, ISO 8601; not found: nothing said of it.
    const now = report.results.filter((r) => r.outcome === 'declined').map((r) => r.decidedAt);
    expect(new Set(now).size).toBe(1);
    expect(now[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(report.results.filter((r) => r.outcome === 'not_found').every((r) => r.decidedAt === null)).toBe(true);

    // Another brand's and another campaign's applications are untouched, and unaudited.
    expect((await statuses(theirs.id, elsewhereId)).map((r) => [r.status, r.decided_at])).toEqual([['pending', null], ['pending', null]]);
    expect(await rowCount('SELECT count(*) AS n FROM audit_log WHERE target_id IN (?, ?)', theirs.id, elsewhereId)).toBe(0);
    // Audited as single declines are: one row each, under the key, saying whether the applicant is mailed.
    const keyId = await adminKeyId(m.brand.brandId);
    const audit = await env.DB.prepare(`SELECT target_id, actor_type, actor_id, details FROM audit_log WHERE action = 'application.declined' AND target_id IN (?, ?, ?)`).bind(a.id, b.id, optedOut.id).all();
    expect(audit.results.map((r) => [r.target_id, r.actor_type, r.actor_id, r.details]).sort()).toEqual(
      [[a.id, 'api_key', keyId, '{"applicantMailed":true}'], [b.id, 'api_key', keyId, '{"applicantMailed":true}'], [optedOut.id, 'api_key', keyId, '{"applicantMailed":false}']].sort(),
    );
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE target_id IN (?, ?) AND action = 'application.declined'", approved.id, declinedBefore.id)).toBe(1);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE target_id = ? AND action = 'campaign.applications_declined'", m.campaign.id)).toBe(0);
    const rows = await env.DB.prepare('SELECT id, decided_at, decline_mailed_at FROM applications WHERE id IN (?, ?)').bind(a.id, b.id).all<{ decided_at: number; decline_mailed_at: number }>();
    expect(rows.results.every((r) => r.decline_mailed_at === r.decided_at)).toBe(true);

    // The same batch again declines nothing and mails nobody: each one is answered already.
    const again = await declineMany(m, { applicationIds: ids });
    expect(again.status).toBe(200);
    const replay = (await json<Data<Report>>(again)).data;
    expect([replay.declined, replay.applicantsMailed, replay.alreadyAnswered, replay.notFound]).toEqual([0, 0, 5, 3]);
    expect(replay.results.filter((r) => r.outcome === 'already_answered').map((r) => r.id)).toEqual([a.id, approved.id, b.id, declinedBefore.id, optedOut.id]);
    await waitFor(async () => (mailTo(a.fields.email)[0] && mailTo(b.fields.email)[0]) ?? null, 15_000);
    await settled(m);
    expect([a, b, declinedBefore, optedOut].map((x) => mailTo(x.fields.email).length)).toEqual([1, 1, 1, 0]);
    expect(mailTo(a.fields.email)[0]!.subject).toBe('Your application to Glow');
    expect([theirs, { fields: elsewhere }].flatMap((x) => mailTo(x.fields.email))).toEqual([]);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE target_id IN (?, ?, ?) AND action = 'application.declined'", a.id, b.id, optedOut.id)).toBe(3);
  });

  it('answers the first result again under its Idempotency-Key, and 409 to the key with other ids', { timeout: 30_000 }, async () => {
    const m = await consoleBrand('owner');
    await openApplications(m);
    const [a, b] = [await waiting(m), await waiting(m)];
    capture();
    const key = { 'idempotency-key': crypto.randomUUID() };
    const first = await declineMany(m, { applicationIds: [a.id, b.id] }, key);
    expect(first.status).toBe(200);
    const firstBody = await json<Data<Report>>(first);
    expect([firstBody.data.declined, firstBody.data.applicantsMailed]).toEqual([2, 2]);
    const replay = await declineMany(m, { applicationIds: [a.id, b.id] }, key);
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await replay.json()).toEqual(firstBody);
    const other = await declineMany(m, { applicationIds: [b.id, a.id] }, key);
    expect([other.status, await errorCode(other)]).toEqual([409, 'idempotency_conflict']);
    await waitFor(async () => (mailTo(a.fields.email)[0] && mailTo(b.fields.email)[0]) ?? null, 15_000);
    await settled(m);
    expect([mailTo(a.fields.email).length, mailTo(b.fields.email).length]).toEqual([1, 1]);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE target_id IN (?, ?) AND action = 'application.declined'", a.id, b.id)).toBe(2);
  });

  it('refuses a body that does not pass with a 4xx, declining nothing, and takes 100 ids across D1 statements', { timeout: 30_000 }, async () => {
    const m = await consoleBrand('owner');
    await openApplications(m);
    const { id } = await waiting(m);
    const fillers = (n: number) => Array.from({ length: n }, (_, i) => `app_missing${i}`);
    const bodies: [string, unknown, Record<string, string>, number, string][] = [
      ['101 ids', { applicationIds: [id, ...fillers(100)] }, {}, 422, 'validation_failed'],
      ['no ids', { applicationIds: [] }, {}, 422, 'validation_failed'],
      ['a duplicate', { applicationIds: [id, 'app_other0', id] }, {}, 422, 'validation_failed'],
      ['a malformed id', { applicationIds: [id, 'not-an-id'] }, {}, 422, 'validation_failed'],
      ['an injected id', { applicationIds: [id, "app_x' OR '1'='1"] }, {}, 422, 'validation_failed'],
      ['an id too long', { applicationIds: [id, `app_${'a'.repeat(65)}`] }, {}, 422, 'validation_failed'],
      ['a number', { applicationIds: [id, 5] }, {}, 422, 'validation_failed'],
      ['a null', { applicationIds: [id, null] }, {}, 422, 'validation_failed'],
      ['ids as a string', { applicationIds: id }, {}, 422, 'validation_failed'],
      ['ids as an object', { applicationIds: { 0: id } }, {}, 422, 'validation_failed'],
      ['no field', {}, {}, 422, 'validation_failed'],
      ['another field', { applicationIds: [id], mail: false }, {}, 422, 'validation_failed'],
      ['a bare array', JSON.stringify([id]), {}, 422, 'validation_failed'],
      ['no body', undefined, {}, 422, 'validation_failed'],
      ['malformed JSON', '{"applicationIds":[', {}, 400, 'malformed_request'],
      ['text/plain', JSON.stringify({ applicationIds: [id] }), { 'content-type': 'text/plain' }, 415, 'unsupported_media_type'],
      ['a huge body', { applicationIds: [id], pad: 'x'.repeat(70_000) }, {}, 413, 'payload_too_large'],
      ['under an Idempotency-Key', { applicationIds: [id, id] }, { 'idempotency-key': 'bad-body-key' }, 422, 'validation_failed'],
    ];
    for (const [what, body, headers, status, code] of bodies) {
      const res = await m.brand.api('POST', `/api/admin/campaigns/${m.campaign.id}/applications/decline`, body, headers);
      expect([res.status, await errorCode(res)], what).toEqual([status, code]);
    }
    const duplicate = await json<ErrorBody>(await declineMany(m, { applicationIds: [id, 'app_other0', id] }));
    expect(duplicate.error.details).toEqual({ issues: [{ path: 'applicationIds.2', message: 'Each application id once.' }] });
    expect(await statuses(id)).toEqual([{ id, status: 'pending', decided_at: null }]);
    expect(await rowCount('SELECT count(*) AS n FROM audit_log WHERE target_id = ?', id)).toBe(0);

    // 100 is allowed (two declining statements of D1's 100 parameters); the refused body freed its key.
    const last = await waiting(m);
    const hundred = [id, ...fillers(98), last.id];
    const res = await declineMany(m, { applicationIds: hundred }, { 'idempotency-key': 'bad-body-key' });
    expect(res.status).toBe(200);
    const report = (await json<Data<Report>>(res)).data;
    expect([report.declined, report.alreadyAnswered, report.notFound, report.results.length]).toEqual([2, 0, 98, 100]);
    expect(report.results.map((r) => r.id)).toEqual(hundred);
    expect([report.results[0]!.outcome, report.results[99]!.outcome]).toEqual(['declined', 'declined']);
    expect(await rowCount("SELECT count(*) AS n FROM audit_log WHERE target_id IN (?, ?) AND action = 'application.declined'", id, last.id)).toBe(2);
  });

  it("refuses another brand's campaign and keys without the admin scope as the single decline does, and declines on an ended campaign as it does", { timeout: 30_000 }, async () => {
    const m = await consoleBrand('owner');
    const stranger = await consoleBrand('owner');
    const viewer = await consoleBrand('viewer');
    await openApplications(m);
    const [a, b] = [await waiting(m), await waiting(m)];
    const body = JSON.stringify({ applicationIds: [a.id, b.id] });
    const path = `/api/admin/campaigns/${m.campaign.id}/applications/decline`;
    // Another brand's key on this campaign, and an unknown campaign: the same 404.
    for (const res of [await stranger.brand.api('POST', path, body), await declineMany(m, { applicationIds: [a.id] }, undefined, 'cmp_nope')]) {
      expect([res.status, await errorCode(res)]).toEqual([404, 'not_found']);
    }
    const call = (headers: Record<string, string>) => SELF.fetch(`${BASE}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    for (const scope of ['storefront', 'ingest'] as const) {
      const res = await call({ authorization: `Bearer ${await issueKey(m.brand, scope)}` });
      expect([res.status, await errorCode(res)], scope).toEqual([403, 'forbidden']);
    }
    // A console session, an owner's or a viewer's, is not an admin key; nor is nothing.
    for (const cookie of [m.cookie, viewer.cookie]) {
      const res = await call({ cookie });
      expect([res.status, await errorCode(res)]).toEqual([403, 'forbidden']);
    }
    const anonymous = await call({});
    expect([anonymous.status, await errorCode(anonymous)]).toEqual([401, 'unauthorized']);
    expect((await statuses(a.id, b.id)).map((r) => r.status)).toEqual(['pending', 'pending']);
    expect(await rowCount('SELECT count(*) AS n FROM audit_log WHERE target_id IN (?, ?)', a.id, b.id)).toBe(0);

    // An ended campaign's applications are still declined, as one at a time they are.
    expect((await m.brand.api('PATCH', `/api/admin/campaigns/${m.campaign.id}`, { status: 'ended' })).status).toBe(200);
    const single = await answer(m, a.id, 'decline');
    expect(single.status).toBe(200);
    const res = await declineMany(m, { applicationIds: [a.id, b.id] });
    expect(res.status).toBe(200);
    expect((await json<Data<Report>>(res)).data.results.map((r) => r.outcome)).toEqual(['already_answered', 'declined']);
  });
});
