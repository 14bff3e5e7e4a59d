// Messages in the console (db/message-threads.ts): /console/messages, the inbox (unread conversations first, then
// the rest newest first, each list a page at a time); /console/messages/:creatorId, one conversation, which an owner
// or manager opening marks read for the team (finance and viewers read it without marking it: "read" means someone
// who can answer saw it); and the form that writes, from there or from a creator's page (creators.tsx, which draws
// its refusals itself). Another brand's creator, or one not on the roster, is a 404; writing needs an owner or
// manager (context.ts enforceRole).
import { Hono } from 'hono';
import { ConversationPage, consoleMessage, InboxPage, type ConversationCampaign, type CreatorMessagesArea } from '../../../../portal/console/messages';
import type { Flash } from '../../../../portal/console/layout';
import type { FormError } from '../../../../portal/layout';
import { brandThreads, listMessages, markRead, messagePosition, MESSAGES_PER_HOUR, messageText, sendMessage, threadPosition, threadState, type ThreadState } from '../../../db/message-threads';
import { decodeCursor, encodeCursor, pageOf } from '../../../lib/cursor';
import { notFound } from '../../../lib/errors';
import { FORM_KEY, ID_PATTERN, randomToken } from '../../../lib/ids';
import { seenOf, THREAD_PAGE } from '../creator-messages';
import { seenByReader } from '../guards';
import { viewerOf } from './campaigns';
import { canWrite, flashOf, readForm, renderPage, withFlash, type ConsoleContext, type ConsoleEnv } from './context';
import { awaitingReview } from './queries';

export const messageRoutes = new Hono<ConsoleEnv>();

// Unread conversations come first, usually all on the first page (a brand has a few hundred creators at most), then
// a page at a time with their own pager (`?unread=`); the rest a page at a time (`?older=`).
export const UNREAD_PAGE = 200;
const INBOX_PAGE = 30;
// The newest few on a creator's page.
const AREA_SHOWN = 5;

export const MESSAGE_SENT = 'message_sent';
const FLASH: Record<string, Flash> = { [MESSAGE_SENT]: { tone: 'success', text: 'Sent. They read it in their portal, and are emailed that you wrote unless they stopped your emails.' } };

messageRoutes.get('/messages', async (c) => {
  const { brandId } = c.var.user;
  // A later page of one list shows that list alone.
  const unreadAfter = decodeCursor(c.req.query('unread') ?? '') ?? undefined;
  const after = unreadAfter ? undefined : (decodeCursor(c.req.query('older') ?? '') ?? undefined);
  const [unread, others, toReview] = await Promise.all([
    after ? Promise.resolve([]) : brandThreads(c.env.DB, brandId, { unread: true, after: unreadAfter, limit: UNREAD_PAGE + 1 }),
    unreadAfter ? Promise.resolve([]) : brandThreads(c.env.DB, brandId, { read: true, after, limit: INBOX_PAGE + 1 }),
    awaitingReview(c.env.DB, brandId),
  ]);
  const unreadPage = pageOf(unread, UNREAD_PAGE, threadPosition);
  const page = pageOf(others, INBOX_PAGE, threadPosition);
  return renderPage(
    c,
    <InboxPage
      viewer={viewerOf(c)}
      unread={{ rows: unreadPage.rows, older: unreadPage.nextCursor }}
      others={{ rows: page.rows, older: page.nextCursor }}
      paged={unreadAfter ? 'unread' : after ? 'read' : null}
      toReview={toReview}
    />,
  );
});

// The roster's creator with their campaigns here, or a 404.
async function conversationOf(c: ConsoleContext, creatorId: string) {
  const db = c.env.DB;
  const { brandId } = c.var.user;
  if (!ID_PATTERN.test(creatorId)) throw notFound('creator');
  const [state, who, campaigns] = await Promise.all([
    threadState(db, 'brand', brandId, creatorId),
    db.prepare('SELECT handle, display_name FROM roster WHERE brand_id = ? AND creator_id = ?').bind(brandId, creatorId).first<{ handle: string; display_name: string }>(),
    db
      .prepare(
        `SELECT e.id AS enrollment_id, c.id AS campaign_id, c.name AS campaign_name, e.status FROM enrollments e JOIN campaigns c ON c.id = e.campaign_id
         WHERE e.creator_id = ? AND e.brand_id = ? ORDER BY e.status = 'removed', e.created_at DESC`,
      )
      .bind(creatorId, brandId)
      .all<ConversationCampaign>(),
  ]);
  if (!state || !who) throw notFound('creator');
  return { state, creator: { id: creatorId, handle: who.handle, name: who.display_name, accepted: state.accepted }, campaigns: campaigns.results };
}

async function renderConversation(c: ConsoleContext, creatorId: string, extras: { older?: string; value?: string; errors?: FormError[] } = {}, status: 200 | 409 | 422 | 429 = 200, headers: Record<string, string> = {}) {
  const { state, creator, campaigns } = await conversationOf(c, creatorId);
  const after = extras.older ? (decodeCursor(extras.older) ?? undefined) : undefined;
  const [rows, toReview] = await Promise.all([listMessages(c.env.DB, c.var.user.brandId, creatorId, { after, limit: THREAD_PAGE + 1 }), awaitingReview(c.env.DB, c.var.user.brandId)]);
  const page = rows.slice(0, THREAD_PAGE);
  // Opening the newest page is reading the conversation, for an owner or manager (not a refused form drawn again).
  if (status === 200 && seenByReader(c) && !after && state.unread > 0 && page[0] && canWrite(c.var.user)) await markReadForTeam(c, creatorId, page[0].created_at);
  for (const [k, v] of Object.entries(headers)) c.header(k, v);
  return renderPage(
    c,
    <ConversationPage
      viewer={viewerOf(c)}
      canWrite={canWrite(c.var.user)}
      creator={creator}
      campaigns={campaigns}
      messages={page.map((m) => consoleMessage(m, creator.name)).reverse()}
      readAt={state.readAt}
      open={state.open}
      formKey={randomToken(16)}
      seen={after ? null : (page[0]?.created_at ?? 0)}
      value={extras.value}
      errors={extras.errors}
      flash={status === 200 ? flashOf(FLASH, c) : null}
      older={rows.length > THREAD_PAGE ? encodeCursor(messagePosition(page.at(-1)!)) : null}
      paged={after !== undefined}
      toReview={toReview}
    />,
    status,
  );
}

messageRoutes.get('/messages/:creatorId', (c) => renderConversation(c, c.req.param('creatorId'), { older: c.req.query('older') }));

export type ConsoleSend = { sent: string } | { refused: { value: string; errors: FormError[]; status: 409 | 422 | 429; headers: Record<string, string> } };

// Writes the form's message to the roster's creator as the signed-in teammate, or says why not (nothing written);
// the page it came from draws the refusal with the text, this one or the creator's page. `field`: the textarea's id.
export async function sendAsTeammate(c: ConsoleContext, creatorId: string, field: string): Promise<ConsoleSend> {
  const form = await readForm(c);
  const typed = form.get('body').slice(0, 20_000);
  const refused = (status: 409 | 422 | 429, error: FormError, headers: Record<string, string> = {}): ConsoleSend => ({ refused: { value: typed, errors: [error], status, headers } });
  const parsed = messageText.safeParse(typed);
  if (!parsed.success) return refused(422, { field, text: parsed.error.issues[0]!.message });
  const { user } = c.var;
  const key = FORM_KEY.test(form.get('key')) ? form.get('key') : null;
  const sent = await sendMessage(c.env.DB, { brandId: user.brandId, creatorId, author: { type: 'admin_user', id: user.id }, body: parsed.data, formKey: key, seen: seenOf(form.get('seen')) }, Date.now());
  switch (sent.outcome) {
    case 'sent':
    case 'already_sent':
      return { sent: sent.message.id };
    case 'key_reused':
      return refused(409, 'That form was sent before, with other text. Check the conversation above, then send this again.');
    case 'not_joined':
      return refused(409, 'This creator has not accepted your brand yet.');
    case 'closed':
      // The page says why in place of the form, and shows the text that was not sent.
      return refused(409, 'This creator is in none of your campaigns now, so the conversation takes no new messages.');
    case 'limit': {
      const minutes = Math.max(1, Math.ceil((sent.retryAt - Date.now()) / 60_000));
      const text = `Your team has sent this creator ${MESSAGES_PER_HOUR} messages in the last hour, the most it allows. Try again in ${minutes === 1 ? 'a minute' : `${minutes} minutes`}; your text is kept below.`;
      return refused(429, { field, text }, { 'Retry-After': String(minutes * 60) });
    }
  }
}

// Writes from the conversation page. Refused, nothing is written and the page comes back with the text.
messageRoutes.post('/messages/:creatorId', async (c) => {
  const creatorId = c.req.param('creatorId');
  await conversationOf(c, creatorId);
  const result = await sendAsTeammate(c, creatorId, 'message');
  if ('sent' in result) return c.redirect(`${withFlash(`/console/messages/${creatorId}`, MESSAGE_SENT)}#m-${result.sent}`, 303);
  const { value, errors, status, headers } = result.refused;
  return renderConversation(c, creatorId, { value, errors }, status, headers);
});

// Marks the team's side read, and takes the conversation off the nav's count drawn on this same page.
async function markReadForTeam(c: ConsoleContext, creatorId: string, newestShown: number) {
  const { user } = c.var;
  if (await markRead(c.env.DB, 'brand', user.brandId, creatorId, newestShown, Date.now())) c.set('user', { ...user, unreadThreads: Math.max(0, user.unreadThreads - 1) });
}

// The Messages area of a creator's page (creators.tsx): the newest few, marked read for an owner or manager when
// they include every message the team had not read and the page is `shown` (a 200, not a refused form drawn
// again), and its form, posting to `action` (the page's own route), with what a refused one held.
export async function creatorMessagesArea(
  c: ConsoleContext,
  creator: { id: string; name: string },
  form: { action: string; shown: boolean; value?: string; errors?: FormError[] },
): Promise<CreatorMessagesArea> {
  const creatorId = creator.id;
  const db = c.env.DB;
  const { brandId } = c.var.user;
  const [state, rows] = await Promise.all([threadState(db, 'brand', brandId, creatorId), listMessages(db, brandId, creatorId, { limit: AREA_SHOWN + 1 })]);
  const s: ThreadState = state ?? { unread: 0, readAt: null, lastMessageAt: null, accepted: false, open: false };
  const shown = rows.slice(0, AREA_SHOWN);
  const more = rows.length > AREA_SHOWN;
  const reachesBack = !more || (s.readAt !== null && shown.at(-1)!.created_at <= s.readAt);
  const marking = s.unread > 0 && shown[0] !== undefined && reachesBack && canWrite(c.var.user) && form.shown && seenByReader(c);
  if (marking) await markReadForTeam(c, creatorId, shown[0]!.created_at);
  return {
    creatorId,
    messages: shown.map((m) => consoleMessage(m, creator.name)).reverse(),
    more,
    unread: marking ? 0 : s.unread,
    readAt: s.readAt,
    open: s.open,
    accepted: s.accepted,
    formKey: randomToken(16),
    // Sending marks read only what this area showed: not when unread messages lie beyond it.
    seen: reachesBack ? (shown[0]?.created_at ?? 0) : null,
    action: form.action,
    value: form.value,
    errors: form.errors,
  };
}
