// Messages: one conversation per brand and creator, written from the creator's portal, the console and the admin
// API; each side's unread count and read marker; the hourly limit; the mail that batches new messages; tenancy.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { Env } from '../../../worker/env';
import { markRead, MESSAGES_PER_HOUR, sendMessage } from '../../../worker/db/message-threads';
import { UNREAD_PAGE } from '../../../worker/routes/portal/console/messages';
import { mailMessageNotices } from '../../../worker/jobs/message-mail';
import { newId } from '../../../worker/lib/ids';
import type { NoticeMessage } from '../../../worker/mail';
import { adminUser, get, post, signIn } from '../console-fixtures';
import { BASE, createMoneyBrand, json, rowCount, type Data } from '../fixtures';
import { invitePath, mailedLink, PASSWORD, portalTestDefaults, signedInCreator } from '../portal-fixtures';
import { fetchWorker, sessionCookie } from '../forms';

portalTestDefaults();

type Msg = { id: string; creatorId: string; author: { type: string; id: string; name: string | null }; body: string; createdAt: string };
type Thread = { creator: { id: string; handle: string; name: string }; unread: number; readAt: string | null; lastMessageAt: string; lastMessage: { authorType: string; authorName: string | null; preview: string } };
type Paged<T> = { data: T[]; hasMore: boolean; nextCursor: string | null };
type ErrorBody = { error: { code: string } };

// One brand with two signed-in creators, an owner, a finance member; a second brand with its own creator.
async function world() {
  const a = await signedInCreator();
  const owner = await adminUser(a.brand.brandId, 'owner');
  const finance = await adminUser(a.brand.brandId, 'finance');
  await env.DB.prepare('UPDATE brands SET name = ? WHERE id = ?').bind(`Lumen ${a.brand.slug}`, a.brand.brandId).run();
  // A second creator of brand A, in the same campaign.
  const other = await signedInCreator();
  await env.DB.batch([
    env.DB.prepare('INSERT INTO brand_creators (brand_id, creator_id, handle, display_name, email, accepted_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)').bind(a.brand.brandId, other.creator.id, `${other.handle}_a`, 'Other', other.email, Date.now(), Date.now()),
    env.DB.prepare("INSERT INTO enrollments (id, brand_id, campaign_id, creator_id, payment_model, status, created_at) VALUES (?, ?, ?, ?, 'affiliate', 'active', ?)").bind(newId('enr'), a.brand.brandId, a.campaign.id, other.creator.id, Date.now()),
  ]);
  return { a, owner: { ...owner, cookie: await signIn(owner.email) }, finance: { ...finance, cookie: await signIn(finance.email) }, other };
}
let shared: ReturnType<typeof world> | null = null;
const getWorld = () => (shared ??= world());

const messagesOf = (brandId: string, creatorId: string) => rowCount('SELECT count(*) AS n FROM messages WHERE brand_id = ? AND creator_id = ?', brandId, creatorId);
const formKey = (html: string) => /name="key" value="([^"]+)"/.exec(html)?.[1] ?? '';
// A message form's hidden fields: its key, and the newest message it was drawn with.
const formOf = (html: string) => ({ key: formKey(html), seen: /name="seen" value="(\d+)"/.exec(html)?.[1] ?? '' });
async function write(path: string, cookie: string, body: string, extra: Record<string, string> = {}) {
  return post(path, { ...formOf(await (await get(path, cookie)).text()), body, ...extra }, { cookie });
}
const unreadOf = (side: 'brand' | 'creator', brandId: string, creatorId: string) => rowCount(`SELECT ${side}_unread AS n FROM message_threads WHERE brand_id = ? AND creator_id = ?`, brandId, creatorId);
// A page read as a browser asks for it: a HEAD, or loaded as something other than the page itself (Sec-Fetch-Dest).
const open = (path: string, cookie: string, how: { method?: 'HEAD'; dest?: string } = {}) =>
  fetchWorker(`${BASE}${path}`, { method: how.method ?? 'GET', headers: { cookie, ...(how.dest ? { 'sec-fetch-dest': how.dest } : {}) }, redirect: 'manual' });
// What the mail job queues, without sending it.
async function queuedBy(now: number): Promise<NoticeMessage['message'][]> {
  const queued: NoticeMessage['message'][] = [];
  const MAIL = { sendBatch: async (batch: { body: NoticeMessage }[]) => void queued.push(...batch.map((b) => b.body.message)) };
  await mailMessageNotices({ ...(env as Env), PUBLIC_ORIGIN: 'https://chorus.example', MAIL } as unknown as Env, now);
  return queued;
}

describe('messages between a brand and a creator', () => {
  it('a creator writes, the brand sees it unread, replies, and the creator reads the reply; opening marks each side read', async () => {
    const { a, owner, finance } = await getWorld();
    const thread = `/messages/${a.brand.brandId}`;
    // Reachable from the brief; nothing yet.
    expect(await (await get(`/brief/${a.enrollment.id}`, a.cookie)).text()).toContain(`href="${thread}"`);
    const sent = await write(thread, a.cookie, 'Hi! Can I post on the 14th?\nThe launch is the 12th.');
    expect(sent.status).toBe(303);
    expect(sent.headers.get('location')).toMatch(new RegExp(`^${thread}\\?sent=1#m-msg_`));

    // The brand: unread in the nav, the inbox and the API (which marks nothing read).
    expect(await (await get('/console', owner.cookie)).text()).toContain('Messages (1)');
    const inbox = await (await get('/console/messages', owner.cookie)).text();
    expect(inbox).toContain('Conversations with unread messages');
    expect(inbox).toContain('Hi! Can I post on the 14th? The launch is the 12th.');
    const threads = await json<Paged<Thread>>(await a.brand.api('GET', '/api/admin/message-threads?unread=true'));
    expect(threads.data.map((t) => [t.creator.id, t.unread])).toEqual([[a.creator.id, 1]]);
    // Finance reads without marking it read; the owner's opening does.
    expect(await (await get(`/console/messages/${a.creator.id}`, finance.cookie)).text()).toContain('Can I post on the 14th?');
    expect(await rowCount('SELECT brand_unread AS n FROM message_threads WHERE brand_id = ? AND creator_id = ?', a.brand.brandId, a.creator.id)).toBe(1);
    const opened = await (await get(`/console/messages/${a.creator.id}`, owner.cookie)).text();
    expect(opened).toContain('class="thread-new"');
    expect(await rowCount('SELECT brand_unread AS n FROM message_threads WHERE brand_id = ? AND creator_id = ?', a.brand.brandId, a.creator.id)).toBe(0);
    expect(await (await get('/console', owner.cookie)).text()).not.toContain('Messages (1)');

    // The owner replies from the creator's page in the campaign, and lands back on it.
    const creatorPage = `/console/campaigns/${a.campaign.id}/creators/${a.enrollment.id}`;
    const reply = await post(`${creatorPage}/messages`, { key: formKey(await (await get(creatorPage, owner.cookie)).text()), body: 'Yes, the 14th is perfect.' }, { cookie: owner.cookie });
    expect(reply.headers.get('location')).toBe(`${creatorPage}?flash=message_sent#messages`);
    expect(await (await get(creatorPage, owner.cookie)).text()).toContain('Yes, the 14th is perfect.');

    // The creator: a count on home and the brief, the reply under the brand's name (not the teammate's), then read.
    const home = await (await get('/', a.cookie)).text();
    expect(home).toMatch(/class="count-badge">1<\/span> <strong>unread message<\/strong> from Lumen/);
    expect(await (await get(`/brief/${a.enrollment.id}`, a.cookie)).text()).toContain('New message');
    const page = await (await get(thread, a.cookie)).text();
    expect(page).toContain('Yes, the 14th is perfect.');
    expect(page).not.toContain('Owner Person');
    expect(await rowCount('SELECT creator_unread AS n FROM message_threads WHERE brand_id = ? AND creator_id = ?', a.brand.brandId, a.creator.id)).toBe(0);
    expect(await (await get('/', a.cookie)).text()).not.toContain('unread message');

    const api = await json<Paged<Msg>>(await a.brand.api('GET', `/api/admin/messages?creatorId=${a.creator.id}&limit=1`));
    expect(api.data.map((m) => [m.author.type, m.author.name, m.body])).toEqual([['admin_user', 'Owner Person', 'Yes, the 14th is perfect.']]);
    const older = await json<Paged<Msg>>(await a.brand.api('GET', `/api/admin/messages?creatorId=${a.creator.id}&limit=1&cursor=${api.nextCursor}`));
    expect(older.data.map((m) => m.author.type)).toEqual(['creator']);
  });

  it('marks read only a page shown to its reader, and a reply only up to the newest message its form showed', async () => {
    const { a, owner } = await getWorld();
    const conversation = `/console/messages/${a.creator.id}`;
    const creatorPage = `/console/campaigns/${a.campaign.id}/creators/${a.enrollment.id}`;
    const brandUnread = () => unreadOf('brand', a.brand.brandId, a.creator.id);
    expect((await write(`/messages/${a.brand.brandId}`, a.cookie, 'Are you there?')).status).toBe(303);
    expect(await brandUnread()).toBe(1);
    // A HEAD, a page loaded in a frame or as an image, and a refused form drawn again on the creator's page mark nothing.
    expect((await open(conversation, owner.cookie, { method: 'HEAD' })).status).toBe(200);
    const drawn = await (await open(conversation, owner.cookie, { dest: 'iframe' })).text();
    expect((await open(creatorPage, owner.cookie, { dest: 'image' })).status).toBe(200);
    const refused = await post(`${creatorPage}/messages`, { ...formOf(drawn), body: '  ' }, { cookie: owner.cookie });
    const refusedPage = await refused.text();
    expect([refused.status, refusedPage.includes('Write the message first.'), refusedPage.includes('id="creator-message"'), refusedPage.includes('Are you there?')]).toEqual([422, true, true, true]);
    expect(await brandUnread()).toBe(1);
    // The creator writes again after the form was drawn: replying from it leaves the conversation unread, as does
    // the API's message; a form drawn after it marks it read.
    expect((await write(`/messages/${a.brand.brandId}`, a.cookie, 'Hello?')).status).toBe(303);
    expect((await post(conversation, { ...formOf(drawn), body: 'Here!' }, { cookie: owner.cookie })).status).toBe(303);
    expect((await a.brand.api('POST', `/api/admin/creators/${a.creator.id}/messages`, { body: 'An automatic note' })).status).toBe(201);
    expect(await brandUnread()).toBe(2);
    const redrawn = await (await open(conversation, owner.cookie, { dest: 'iframe' })).text();
    expect((await post(conversation, { ...formOf(redrawn), body: 'Sorry, here now.' }, { cookie: owner.cookie })).status).toBe(303);
    expect(await brandUnread()).toBe(0);

    // The creator's side: a HEAD and a frame mark nothing; the page itself does, a webmail link's included.
    const thread = `/messages/${a.brand.brandId}`;
    expect(await unreadOf('creator', a.brand.brandId, a.creator.id)).toBeGreaterThan(0);
    expect((await open(thread, a.cookie, { method: 'HEAD' })).status).toBe(200);
    expect((await open(thread, a.cookie, { dest: 'iframe' })).status).toBe(200);
    expect(await unreadOf('creator', a.brand.brandId, a.creator.id)).toBeGreaterThan(0);
    expect((await open(thread, a.cookie, { dest: 'document' })).status).toBe(200);
    expect(await unreadOf('creator', a.brand.brandId, a.creator.id)).toBe(0);
  });

  it("reads up to the other side's newest message, whatever its own side wrote since, and keeps the latest time", async () => {
    const { a, other } = await getWorld();
    expect((await write(`/messages/${a.brand.brandId}`, other.cookie, 'A question')).status).toBe(303);
    const newest = await rowCount("SELECT max(created_at) AS n FROM messages WHERE brand_id = ? AND creator_id = ? AND author_type = 'creator'", a.brand.brandId, other.creator.id);
    // The brand's API message lands while a manager reads the page drawn before it.
    expect((await a.brand.api('POST', `/api/admin/creators/${other.creator.id}/messages`, { body: 'Thanks, we will answer soon' })).status).toBe(201);
    expect(await markRead(env.DB, 'brand', a.brand.brandId, other.creator.id, newest, Date.now())).toBe(true);
    expect(await unreadOf('brand', a.brand.brandId, other.creator.id)).toBe(0);
    // A message stamped earlier (another isolate's clock) does not move the conversation back in the inbox.
    const last = () => rowCount('SELECT last_message_at AS n FROM message_threads WHERE brand_id = ? AND creator_id = ?', a.brand.brandId, other.creator.id);
    const before = await last();
    const late = await sendMessage(env.DB, { brandId: a.brand.brandId, creatorId: other.creator.id, author: { type: 'creator', id: other.creator.id }, body: 'Late', formKey: null, seen: null }, before - 1_000);
    expect([late.outcome, await last()]).toEqual(['sent', before]);
  });

  it('refuses empty, oversized and control-character text with a 422 and writes nothing', async () => {
    const { a, owner } = await getWorld();
    const before = await messagesOf(a.brand.brandId, a.creator.id);
    for (const body of ['   ', 'x'.repeat(4001), 'bell\u0007']) {
      expect((await write(`/messages/${a.brand.brandId}`, a.cookie, body)).status).toBe(422);
      expect((await write(`/console/messages/${a.creator.id}`, owner.cookie, body)).status).toBe(422);
      expect((await a.brand.api('POST', `/api/admin/creators/${a.creator.id}/messages`, { body })).status).toBe(422);
    }
    expect((await a.brand.api('POST', `/api/admin/creators/${a.creator.id}/messages`, { body: 'ok', extra: 1 })).status).toBe(422);
    // 4,000 characters is the limit, not over it.
    expect((await a.brand.api('POST', `/api/admin/creators/${a.creator.id}/messages`, { body: 'y'.repeat(4000) })).status).toBe(201);
    expect(await messagesOf(a.brand.brandId, a.creator.id)).toBe(before + 1);
    // A preview is cut by characters, never inside an emoji's surrogate pair, in the API and the inbox.
    expect((await a.brand.api('POST', `/api/admin/creators/${a.creator.id}/messages`, { body: `${'a'.repeat(139)}😀😀 and more` })).status).toBe(201);
    const threads = await json<Paged<Thread>>(await a.brand.api('GET', '/api/admin/message-threads'));
    expect(threads.data.find((t) => t.creator.id === a.creator.id)?.lastMessage.preview).toBe(`${'a'.repeat(139)}😀…`);
    expect(await (await get('/console/messages', owner.cookie)).text()).toContain(`${'a'.repeat(139)}😀…</span>`);
  });

  it("keeps each brand's and each creator's conversations to themselves", async () => {
    const { a, other, owner } = await getWorld();
    const foreign = await createMoneyBrand();
    const before = await messagesOf(a.brand.brandId, a.creator.id);
    // Another brand: its key finds no messages and no such creator to write to, its console no conversation.
    expect((await json<Paged<Msg>>(await foreign.brand.api('GET', `/api/admin/messages?creatorId=${a.creator.id}`))).data).toEqual([]);
    const refused = await foreign.brand.api('POST', `/api/admin/creators/${a.creator.id}/messages`, { body: 'Hello from elsewhere' });
    expect(refused.status).toBe(404);
    expect((await json<ErrorBody>(refused)).error.code).toBe('not_found');
    const foreignOwner = await adminUser(foreign.brand.brandId, 'owner');
    const foreignCookie = await signIn(foreignOwner.email);
    expect((await get(`/console/messages/${a.creator.id}`, foreignCookie)).status).toBe(404);
    expect((await post(`/console/messages/${a.creator.id}`, { body: 'Hello' }, { cookie: foreignCookie })).status).toBe(404);
    // A creator of brand A reads their own conversation with it, never another creator's.
    expect((await write(`/messages/${a.brand.brandId}`, other.cookie, 'My own question')).status).toBe(303);
    const theirs = await (await get(`/messages/${a.brand.brandId}`, other.cookie)).text();
    expect(theirs).toContain('My own question');
    expect(theirs).not.toContain('Can I post on the 14th?');
    // A brand the creator is not with is no conversation: 404, nothing written.
    expect((await get(`/messages/${foreign.brand.brandId}`, a.cookie)).status).toBe(404);
    expect((await post(`/messages/${foreign.brand.brandId}`, { body: 'Hi' }, { cookie: a.cookie })).status).toBe(404);
    expect(await messagesOf(foreign.brand.brandId, a.creator.id)).toBe(0);
    expect(await messagesOf(a.brand.brandId, a.creator.id)).toBe(before);
    // A foreign origin's form is refused before anything else.
    expect((await post(`/console/messages/${other.creator.id}`, { body: 'x' }, { cookie: owner.cookie, origin: 'https://evil.example' })).status).toBe(403);
  });

  it('opens only once the creator accepted, and a creator out of every campaign reads but cannot write', async () => {
    // Invited, not accepted: signed in through the invite, yet no conversation either way.
    const invited = await createMoneyBrand({ accepted: false });
    const { link } = await mailedLink(await invitePath(invited.brand, invited.creator.id));
    const cookie = sessionCookie(await post(link!, { password: PASSWORD, confirm: PASSWORD }));
    expect((await get(`/messages/${invited.brand.brandId}`, cookie)).status).toBe(404);
    expect((await post(`/messages/${invited.brand.brandId}`, { body: 'Hi' }, { cookie })).status).toBe(404);
    const early = await invited.brand.api('POST', `/api/admin/creators/${invited.creator.id}/messages`, { body: 'Welcome!' });
    expect([early.status, (await json<ErrorBody>(early)).error.code]).toEqual([409, 'creator_not_joined']);
    expect(await messagesOf(invited.brand.brandId, invited.creator.id)).toBe(0);

    // Removed from the only campaign: the thread reads, neither side writes.
    const gone = await signedInCreator();
    expect((await gone.brand.api('POST', `/api/admin/creators/${gone.creator.id}/messages`, { body: 'Before you go' })).status).toBe(201);
    expect((await gone.brand.api('PATCH', `/api/admin/enrollments/${gone.enrollment.id}`, { status: 'removed' })).status).toBe(200);
    // The mail about the brand's message, mailed after the removal, asks only to read it.
    const mail = (await queuedBy(Date.now())).find((x) => x.to === gone.email);
    expect(mail?.text).toContain(`Read it: https://chorus.example/messages/${gone.brand.brandId}`);
    expect(mail?.text).not.toContain('answer');
    const page = await get(`/messages/${gone.brand.brandId}`, gone.cookie);
    const html = await page.text();
    expect([page.status, html.includes('Before you go'), html.includes('This conversation is closed'), html.includes('name="body"')]).toEqual([200, true, true, false]);
    // What was typed when it closed comes back to copy, not to send: on the creator's side, and on the console's
    // creator page it was written from.
    const typedLate = await post(`/messages/${gone.brand.brandId}`, { body: 'Wait!' }, { cookie: gone.cookie });
    const lateHtml = await typedLate.text();
    expect([typedLate.status, /<textarea id="message" rows="4" readonly="">\s*Wait!/.test(lateHtml), lateHtml.includes('name="body"')]).toEqual([409, true, false]);
    const goneOwner = await signIn((await adminUser(gone.brand.brandId, 'owner')).email);
    const fromPage = await post(`/console/campaigns/${gone.campaign.id}/creators/${gone.enrollment.id}/messages`, { body: 'Come back, please' }, { cookie: goneOwner });
    const pageHtml = await fromPage.text();
    expect([fromPage.status, /<textarea id="creator-message" rows="4" readonly="">\s*Come back, please/.test(pageHtml), pageHtml.includes('Before you go')]).toEqual([409, true, true]);
    const closed = await gone.brand.api('POST', `/api/admin/creators/${gone.creator.id}/messages`, { body: 'Come back?' });
    expect([closed.status, (await json<ErrorBody>(closed)).error.code]).toEqual([409, 'conversation_closed']);
    expect(await messagesOf(gone.brand.brandId, gone.creator.id)).toBe(1);
  });

  it('holds each side to its hourly limit, refusing before any write', async () => {
    const limited = await signedInCreator();
    const now = Date.now();
    await env.DB.batch(
      Array.from({ length: MESSAGES_PER_HOUR }, (_, i) =>
        env.DB.prepare("INSERT INTO messages (id, brand_id, creator_id, author_type, author_id, body, created_at) VALUES (?, ?, ?, 'creator', ?, 'spam', ?)").bind(newId('msg'), limited.brand.brandId, limited.creator.id, limited.creator.id, now - 60_000 + i),
      ),
    );
    const refused = await write(`/messages/${limited.brand.brandId}`, limited.cookie, 'One more');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.text()).toContain('One more');
    expect(await messagesOf(limited.brand.brandId, limited.creator.id)).toBe(MESSAGES_PER_HOUR);
    // The brand's side counts its own.
    expect((await limited.brand.api('POST', `/api/admin/creators/${limited.creator.id}/messages`, { body: 'Slow down, please' })).status).toBe(201);
  });

  it('mails the other side once for messages in a row, never what they say, and not a creator who stopped the brand’s mail', async () => {
    const m = await signedInCreator();
    const owner = await adminUser(m.brand.brandId, 'owner');
    await adminUser(m.brand.brandId, 'viewer');
    const mine = (q: NoticeMessage['message'][]) => q.filter((x) => x.to === owner.email || x.to === m.email);
    for (const body of ['First secret detail', 'Second secret detail']) expect((await write(`/messages/${m.brand.brandId}`, m.cookie, body)).status).toBe(303);
    const first = mine(await queuedBy(Date.now()));
    expect(first.map((x) => [x.to, x.subject])).toEqual([[owner.email, 'Sarah sent Test Brand 2 messages']]);
    expect(first[0]!.text).toContain(`https://chorus.example/console/messages/${m.creator.id}`);
    expect(first[0]!.text).not.toContain('secret');
    // Another message within the hour: no second mail, until an hour after the first.
    expect((await write(`/messages/${m.brand.brandId}`, m.cookie, 'Third')).status).toBe(303);
    expect(mine(await queuedBy(Date.now()))).toEqual([]);
    expect(mine(await queuedBy(Date.now() + 3_600_000 + 1))).toHaveLength(1);

    // The brand writes twice through the API: the creator gets one mail, with the stop link of the brand's mail.
    for (const body of ['Reply one', 'Reply two']) expect((await m.brand.api('POST', `/api/admin/creators/${m.creator.id}/messages`, { body })).status).toBe(201);
    const toCreator = mine(await queuedBy(Date.now()));
    expect(toCreator.map((x) => [x.to, x.subject])).toEqual([[m.email, 'Test Brand sent you 2 messages']]);
    expect(toCreator[0]!.text).toContain(`https://chorus.example/messages/${m.brand.brandId}`);
    expect(toCreator[0]!.text).not.toContain('Reply');
    expect(toCreator[0]!.headers?.['List-Unsubscribe']).toMatch(/^<https:\/\/chorus\.example\/v1\/unsubscribe\/news\//);
    // Read before the mail goes: none. Stopped the brand's mail: none.
    await env.DB.prepare('UPDATE message_threads SET creator_mailed_at = NULL WHERE brand_id = ?').bind(m.brand.brandId).run();
    expect((await m.brand.api('POST', `/api/admin/creators/${m.creator.id}/messages`, { body: 'Reply three' })).status).toBe(201);
    expect((await get(`/messages/${m.brand.brandId}`, m.cookie)).status).toBe(200);
    expect(mine(await queuedBy(Date.now()))).toEqual([]);
    await env.DB.prepare('UPDATE brand_creators SET campaign_news = 0 WHERE brand_id = ? AND creator_id = ?').bind(m.brand.brandId, m.creator.id).run();
    expect((await m.brand.api('POST', `/api/admin/creators/${m.creator.id}/messages`, { body: 'Reply four' })).status).toBe(201);
    expect(mine(await queuedBy(Date.now()))).toEqual([]);
  });

  it('mails a brand once an hour for all its waiting conversations, listing each', async () => {
    const m = await signedInCreator();
    const owner = await adminUser(m.brand.brandId, 'owner');
    const other = await signedInCreator();
    await env.DB.batch([
      env.DB.prepare('INSERT INTO brand_creators (brand_id, creator_id, handle, display_name, email, accepted_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)').bind(m.brand.brandId, other.creator.id, `${other.handle}_m`, 'Other', other.email, Date.now(), Date.now()),
      env.DB.prepare("INSERT INTO enrollments (id, brand_id, campaign_id, creator_id, payment_model, status, created_at) VALUES (?, ?, ?, ?, 'affiliate', 'active', ?)").bind(newId('enr'), m.brand.brandId, m.campaign.id, other.creator.id, Date.now()),
    ]);
    const toOwner = (q: NoticeMessage['message'][]) => q.filter((x) => x.to === owner.email);
    for (const body of ['One', 'Two']) expect((await write(`/messages/${m.brand.brandId}`, m.cookie, body)).status).toBe(303);
    expect((await write(`/messages/${m.brand.brandId}`, other.cookie, 'Three')).status).toBe(303);
    const digest = toOwner(await queuedBy(Date.now()));
    expect(digest.map((x) => x.subject)).toEqual(['2 creators sent Test Brand 3 messages']);
    expect(digest[0]!.text).toContain(`- Sarah (@${m.handle}): 2 · https://chorus.example/console/messages/${m.creator.id}\n- Sarah (@${other.handle}_m): 1 · https://chorus.example/console/messages/${other.creator.id}`);
    expect(digest[0]!.text).toContain('All unread conversations: https://chorus.example/console/messages');
    // A conversation that opens within the hour waits for the brand's next mail, an hour after this one.
    await env.DB.prepare('UPDATE message_threads SET brand_unread = 0, brand_mail_due_at = NULL WHERE brand_id = ?').bind(m.brand.brandId).run();
    expect((await write(`/messages/${m.brand.brandId}`, other.cookie, 'Four')).status).toBe(303);
    await env.DB.prepare('UPDATE message_threads SET brand_mailed_at = NULL WHERE brand_id = ? AND creator_id = ?').bind(m.brand.brandId, other.creator.id).run();
    expect(toOwner(await queuedBy(Date.now()))).toEqual([]);
    expect(toOwner(await queuedBy(Date.now() + 3_600_000 + 1)).map((x) => x.subject)).toEqual(['Sarah sent Test Brand a message']);
  });

  it('pages the unread conversations past the first page, apart from the read ones', async () => {
    const p = await signedInCreator();
    const cookie = await signIn((await adminUser(p.brand.brandId, 'owner')).email);
    // One unread conversation more than a page holds, each with a creator on the roster and a message.
    const tag = newId('b').slice(-8).toLowerCase().replace(/[^a-z0-9]/g, 'x');
    const rows = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${UNREAD_PAGE + 1}) SELECT 'crt_' || ?2 || i AS id, 'b' || ?2 || printf('%03d', i) AS handle, ?3 + i AS at FROM n`;
    await env.DB.batch(
      [
        `INSERT INTO creators (id, email, handle, display_name, created_at) SELECT id, handle || '@bulk.test', handle, 'Bulk', at FROM (${rows})`,
        `INSERT INTO brand_creators (brand_id, creator_id, handle, display_name, email, accepted_at, created_at) SELECT ?1, id, handle, 'Bulk', handle || '@bulk.test', at, at FROM (${rows})`,
        `INSERT INTO messages (id, brand_id, creator_id, author_type, author_id, body, created_at) SELECT 'msg_' || id, ?1, id, 'creator', id, 'Hi', at FROM (${rows})`,
        `INSERT INTO message_threads (brand_id, creator_id, last_message_at, brand_unread, created_at) SELECT ?1, id, at, 1, at FROM (${rows})`,
      ].map((sql) => env.DB.prepare(sql).bind(p.brand.brandId, tag, Date.now() - 86_400_000)),
    );
    const first = await (await get('/console/messages', cookie)).text();
    const oldest = `@b${tag}001</span>`;
    expect([first.includes(`@b${tag}201</span>`), first.includes(oldest), first.includes('1 more unread')]).toEqual([true, false, true]);
    const next = /href="(\/console\/messages\?unread=[^"]+)"/.exec(first)?.[1] ?? '';
    const second = await (await get(next, cookie)).text();
    expect([second.includes(oldest), second.includes(`@b${tag}002</span>`), second.includes('href="/console/messages"'), second.includes('id="all-h"')]).toEqual([true, false, true, false]);
  });

  it('sends a form or an API call once, however often it is repeated', async () => {
    const { a, owner } = await getWorld();
    const path = `/console/messages/${a.creator.id}`;
    const key = formKey(await (await get(path, owner.cookie)).text());
    const before = await messagesOf(a.brand.brandId, a.creator.id);
    for (let i = 0; i < 2; i++) expect((await post(path, { key, body: 'Double-clicked' }, { cookie: owner.cookie })).status).toBe(303);
    expect(await messagesOf(a.brand.brandId, a.creator.id)).toBe(before + 1);
    const headers = { 'Idempotency-Key': `msg-${newId('k')}` };
    const first = await a.brand.api('POST', `/api/admin/creators/${a.creator.id}/messages`, { body: 'Once only' }, headers);
    const again = await a.brand.api('POST', `/api/admin/creators/${a.creator.id}/messages`, { body: 'Once only' }, headers);
    expect([first.status, again.status, again.headers.get('idempotent-replayed')]).toEqual([201, 201, 'true']);
    expect((await json<Data<Msg>>(again)).data.id).toBe((await json<Data<Msg>>(first)).data.id);
    expect(await messagesOf(a.brand.brandId, a.creator.id)).toBe(before + 2);
  });
});
