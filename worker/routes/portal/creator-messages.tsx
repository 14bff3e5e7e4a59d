// The creator's side of messages (db/message-threads.ts): /messages lists a conversation per brand they accepted,
// /messages/:brandId shows one (opening it marks it read) and takes the next message. A brand they never accepted,
// or another brand's id, is a 404; every read is by the signed-in creator's own id, so no creator reaches another's.
import { Hono, type Context } from 'hono';
import { CreatorThreadPage, MessagesPage, type CreatorThreadView } from '../../../portal/creator/messages';
import type { FormError } from '../../../portal/layout';
import { creatorThreads, listMessages, markRead, messagePosition, messageText, sendMessage, threadState } from '../../db/message-threads';
import type { AppEnv } from '../../env';
import { decodeCursor, encodeCursor } from '../../lib/cursor';
import { notFound } from '../../lib/errors';
import { FORM_KEY, randomToken } from '../../lib/ids';
import { formBody, seenByReader } from './guards';

export const creatorMessageRoutes = new Hono<AppEnv>();

// Newest first in pages of this many; a page shows them oldest first.
export const THREAD_PAGE = 50;
// The newest message's time a page form was drawn with (`seen`), up to which sending marks the writer's side read;
// a form without it (or with anything else) marks nothing.
export const seenOf = (raw: string | undefined): number | null => (raw && /^\d{1,15}$/.test(raw) ? Number(raw) : null);

// The signed-in creator's address, for the page's header (set by creator.tsx requireCreator).
const whoOf = (c: Context) => (c.get('viewer') as { email: string }).email;

creatorMessageRoutes.get('/messages', async (c) => c.html(<MessagesPage who={whoOf(c)} threads={await creatorThreads(c.env.DB, c.var.creator.creatorId)} />));

// The conversation with one brand, as the signed-in creator may read it: null for one they never accepted.
async function creatorThread(c: Context<AppEnv>, brandId: string, older: string | undefined) {
  const db = c.env.DB;
  const { creatorId } = c.var.creator;
  const state = await threadState(db, 'creator', brandId, creatorId);
  if (!state?.accepted) return null;
  const after = older ? (decodeCursor(older) ?? undefined) : undefined;
  const [brand, campaigns, rows] = await Promise.all([
    db.prepare('SELECT name, timezone FROM brands WHERE id = ?').bind(brandId).first<{ name: string; timezone: string }>(),
    db
      .prepare(
        `SELECT e.id AS enrollment_id, c.name AS campaign_name FROM enrollments e JOIN campaigns c ON c.id = e.campaign_id
         WHERE e.creator_id = ? AND e.brand_id = ? AND e.status IN ('active', 'paused', 'benched') ORDER BY e.created_at DESC`,
      )
      .bind(creatorId, brandId)
      .all<{ enrollment_id: string; campaign_name: string }>(),
    listMessages(db, brandId, creatorId, { after, limit: THREAD_PAGE + 1 }),
  ]);
  const page = rows.slice(0, THREAD_PAGE);
  const view: CreatorThreadView = {
    brandId,
    brandName: brand!.name,
    timezone: brand!.timezone,
    campaigns: campaigns.results,
    messages: page.map((m) => ({ id: m.id, mine: m.author_type === 'creator', who: m.author_type === 'creator' ? 'You' : brand!.name, body: m.body, created_at: m.created_at })).reverse(),
    readAt: state.readAt,
    open: state.open,
    older: rows.length > THREAD_PAGE ? encodeCursor(messagePosition(page.at(-1)!)) : null,
    paged: after !== undefined,
  };
  return { view, state };
}

creatorMessageRoutes.get('/messages/:brandId', async (c) => {
  const brandId = c.req.param('brandId');
  const found = await creatorThread(c, brandId, c.req.query('older'));
  if (!found) throw notFound('conversation');
  const { view, state } = found;
  // Opening the newest page is reading the conversation (not a HEAD, nor a page another site opened).
  const newest = view.messages.at(-1);
  if (!view.paged && newest && state.unread > 0 && seenByReader(c)) await markRead(c.env.DB, 'creator', brandId, c.var.creator.creatorId, newest.created_at, Date.now());
  const notice = c.req.query('sent') ? `Sent. ${view.brandName}'s team is emailed that you wrote; their answer shows up here.` : undefined;
  return c.html(<CreatorThreadPage who={whoOf(c)} t={view} formKey={randomToken(16)} notice={notice} />);
});

// Sends a message. Refused, nothing is written and the page comes back with what was typed.
creatorMessageRoutes.post('/messages/:brandId', async (c) => {
  const brandId = c.req.param('brandId');
  const { creatorId } = c.var.creator;
  const form = await formBody(c);
  const typed = (form.body ?? '').slice(0, 20_000);
  const key = FORM_KEY.test(form.key ?? '') ? form.key! : null;
  const refuse = async (errors: FormError[], status: 409 | 422 | 429, headers: Record<string, string> = {}) => {
    const found = await creatorThread(c, brandId, undefined);
    if (!found) throw notFound('conversation');
    return c.html(<CreatorThreadPage who={whoOf(c)} t={found.view} formKey={randomToken(16)} value={typed} errors={errors} />, status, headers);
  };
  const parsed = messageText.safeParse(typed);
  if (!parsed.success) {
    if (!(await threadState(c.env.DB, 'creator', brandId, creatorId))?.accepted) throw notFound('conversation');
    return refuse([{ field: 'message', text: parsed.error.issues[0]!.message }], 422);
  }
  const sent = await sendMessage(c.env.DB, { brandId, creatorId, author: { type: 'creator', id: creatorId }, body: parsed.data, formKey: key, seen: seenOf(form.seen) }, Date.now());
  switch (sent.outcome) {
    case 'sent':
    case 'already_sent':
      return c.redirect(`/messages/${brandId}?sent=1#m-${sent.message.id}`, 303);
    case 'key_reused':
      return refuse(['That form was sent before, with other text. Check the conversation above, then send this again.'], 409);
    case 'not_joined':
      throw notFound('conversation');
    case 'closed':
      return refuse(['You are no longer in any of this brand’s campaigns, so this conversation takes no new messages.'], 409);
    case 'limit': {
      const minutes = Math.max(1, Math.ceil((sent.retryAt - Date.now()) / 60_000));
      return refuse([{ field: 'message', text: `You have sent the most messages an hour allows. Try again in ${minutes === 1 ? 'a minute' : `${minutes} minutes`}; your text is kept below.` }], 429, { 'Retry-After': String(minutes * 60) });
    }
  }
});
