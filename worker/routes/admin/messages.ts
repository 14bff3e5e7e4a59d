// Messages over the admin API (db/message-threads.ts): the brand's conversations with its creators, one per
// creator, their messages a page at a time, and writing one. Reading here marks nothing read: a script that
// reads the inbox has not shown it to anyone on the team.
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../../env';
import { brandThreads, listMessages, messageBody, messagePosition, MESSAGES_PER_HOUR, PREVIEW_CHARS, sendMessage, threadPosition, threadState, type BrandThreadRow, type MessageRow } from '../../db/message-threads';
import { clip } from '../../../portal/format';
import { cursorParam, pageOf, pageParams } from '../../lib/cursor';
import { ApiError, notFound } from '../../lib/errors';
import { ID_PATTERN } from '../../lib/ids';
import { iso, valid } from '../../lib/validate';
import { routeDescriber } from '../../openapi/registry';
import { dataOf, Message, MessageThread, pagedListOf } from '../../openapi/schemas';

export function messageView(m: MessageRow) {
  return { id: m.id, creatorId: m.creator_id, author: { type: m.author_type, id: m.author_id, name: m.author_name }, body: m.body, createdAt: iso(m.created_at) };
}

export function threadView(t: BrandThreadRow) {
  return {
    creator: { id: t.creator_id, handle: t.handle, name: t.display_name },
    unread: t.unread,
    readAt: iso(t.read_at),
    lastMessageAt: iso(t.last_message_at),
    lastMessage: { authorType: t.last_author_type, authorName: t.last_author_name, preview: clip(t.preview, PREVIEW_CHARS) },
  };
}

// Why a message was refused, in the API's words (the console and the portal say it their own way).
export function refusedMessage(outcome: 'not_joined' | 'closed' | 'limit', retryAt?: number): ApiError {
  if (outcome === 'not_joined') return new ApiError(409, 'creator_not_joined', 'This creator has not accepted your brand yet: messages open once they accept your invitation.');
  if (outcome === 'closed') return new ApiError(409, 'conversation_closed', 'This creator is in none of your campaigns now (they left or were removed): both of you can read the conversation, and neither can write until they are back in one.');
  const wait = Math.max(1, Math.ceil(((retryAt ?? 0) - Date.now()) / 1000));
  return new ApiError(429, 'too_many_messages', `A side writes at most ${MESSAGES_PER_HOUR} messages an hour to a conversation; try again later.`, { retryAt: iso(retryAt ?? Date.now()) }, { 'Retry-After': String(wait) });
}

const op = routeDescriber({ tag: 'Messages', auth: 'adminKey' });

const creatorIdParam = z.string().regex(ID_PATTERN, 'Not a creator id.');

// GET /messages: one conversation, newest first.
export const messageRoutes = new Hono<AppEnv>().get(
  '/',
  op({
    summary: 'List the messages of a conversation',
    description:
      'The messages between your brand and one creator (one conversation per creator, whatever campaigns you share), newest first, a page at a time (`limit`, then `cursor` from `nextCursor`). A creator not on your roster has none, as a filter of the other lists finds nothing. Reading here marks nothing read.',
    responses: { 200: { description: 'Messages, newest first.', schema: pagedListOf(Message) } },
  }),
  valid('query', z.strictObject({ creatorId: creatorIdParam.meta({ description: 'The creator whose conversation with your brand to read.' }), ...pageParams })),
  async (c) => {
    const { creatorId, limit, cursor } = c.req.valid('query');
    // Messages are keyed by brand and creator: another brand's creator, or none, finds an empty list.
    const rows = await listMessages(c.env.DB, c.var.admin.brandId, creatorId, { after: cursor, limit: limit + 1 });
    const page = pageOf(rows, limit, messagePosition);
    return c.json({ data: page.rows.map(messageView), hasMore: page.hasMore, nextCursor: page.nextCursor });
  },
);

// GET /message-threads: the inbox.
export const threadRoutes = new Hono<AppEnv>().get(
  '/',
  op({
    summary: 'List conversations',
    description:
      "Your brand's conversations with creators, the latest message first, a page at a time (`limit`, then `cursor` from `nextCursor`); `unread=true` lists only those with a creator's message nobody on your team has read (`unread` counts them). The console's inbox shows the unread ones first.",
    responses: { 200: { description: 'Conversations, the latest message first.', schema: pagedListOf(MessageThread) } },
  }),
  valid(
    'query',
    z.strictObject({
      unread: z.enum(['true', 'false']).optional().meta({ description: '`true`: only conversations with unread messages from the creator.' }),
      limit: pageParams.limit,
      cursor: cursorParam.optional().meta({ description: '`nextCursor` of the previous page.' }),
    }),
  ),
  async (c) => {
    const { unread, limit, cursor } = c.req.valid('query');
    const rows = await brandThreads(c.env.DB, c.var.admin.brandId, { unread: unread === 'true', after: cursor, limit: limit + 1 });
    const page = pageOf(rows, limit, threadPosition);
    return c.json({ data: page.rows.map(threadView), hasMore: page.hasMore, nextCursor: page.nextCursor });
  },
);

// POST /creators/:id/messages: write to one creator.
export const creatorMessageRoutes = new Hono<AppEnv>().post(
  '/:id/messages',
  op({
    summary: 'Write to a creator',
    description: `Adds a message from your brand (as this API key) to your conversation with the creator; they read it in their portal under Messages, and are emailed that your brand wrote (never what), at most once an hour while messages wait unread, unless they stopped your brand's emails. The conversation is open while the creator has accepted your brand and is in one of your campaigns (active, paused or benched): before they accept, 409 \`creator_not_joined\`; once they left or were removed from all, 409 \`conversation_closed\` (both sides still read it). Each side writes at most ${MESSAGES_PER_HOUR} messages an hour to a conversation (429 \`too_many_messages\` with Retry-After, nothing written). Messages are kept; they cannot be edited or deleted. Send an Idempotency-Key to retry safely.`,
    params: { id: 'The creator id.' },
    example: { body: 'Hi Maya! The serum ships Monday. Could you post between the 12th and the 15th?' },
    responses: { 201: { description: 'The message.', schema: dataOf(Message) } },
    errors: { 404: ['not_found'], 409: ['creator_not_joined', 'conversation_closed'], 429: ['too_many_messages'] },
  }),
  valid('json', messageBody),
  async (c) => {
    const { brandId, keyId } = c.var.admin;
    const creatorId = c.req.param('id') ?? '';
    if (!ID_PATTERN.test(creatorId) || !(await threadState(c.env.DB, 'brand', brandId, creatorId))) throw notFound('creator');
    const { body } = c.req.valid('json');
    const sent = await sendMessage(c.env.DB, { brandId, creatorId, author: { type: 'api_key', id: keyId }, body, formKey: null, seen: null }, Date.now());
    if (sent.outcome === 'not_joined' || sent.outcome === 'closed') throw refusedMessage(sent.outcome);
    if (sent.outcome === 'limit') throw refusedMessage('limit', sent.retryAt);
    return c.json({ data: messageView(sent.message) }, 201);
  },
);
