// Unsubscribing from invitation mails (db/mail-opt-outs.ts): the link's page (GET asks, POST does it; a link
// scanner's GET changes nothing) and the one-click POST a mail client sends (RFC 8058), under /v1 because it
// comes from the mail provider's servers, not from a page of ours.
import { Hono } from 'hono';
import { UnsubscribePage, UnsubscribeUnusablePage, type UnsubscribeState } from '../../../portal/unsubscribe';
import { EVERY_BRAND, openUnsubscribeToken, optedOutOf, optOut, type Unsubscribe } from '../../db/mail-opt-outs';
import type { AppEnv, Env } from '../../env';
import { notFound } from '../../lib/errors';
import { routeDescriber } from '../../openapi/registry';
import { dataOf, Unsubscribed } from '../../openapi/schemas';
import { formBody } from './guards';

async function stateOf(env: Env, u: Unsubscribe): Promise<UnsubscribeState | null> {
  const brand = await env.DB.prepare('SELECT name FROM brands WHERE id = ?').bind(u.brandId).first<{ name: string }>();
  return brand ? { brandName: brand.name, email: u.email, ...(await optedOutOf(env.DB, u.brandId, u.email)) } : null;
}

export const unsubscribePages = new Hono<AppEnv>();

unsubscribePages.get('/unsubscribe/:token', async (c) => {
  const u = await openUnsubscribeToken(c.env.SECRETS_KEY, c.req.param('token'));
  const state = u && (await stateOf(c.env, u));
  if (!state) return c.html(<UnsubscribeUnusablePage />, 404);
  return c.html(<UnsubscribePage action={`/unsubscribe/${c.req.param('token')}`} state={state} />);
});

unsubscribePages.post('/unsubscribe/:token', async (c) => {
  const u = await openUnsubscribeToken(c.env.SECRETS_KEY, c.req.param('token'));
  if (!u || !(await stateOf(c.env, u))) return c.html(<UnsubscribeUnusablePage />, 404);
  const scope = (await formBody(c)).scope === 'every' ? 'every' : 'brand';
  await optOut(c.env.DB, u.email, scope === 'every' ? EVERY_BRAND : u.brandId, Date.now());
  return c.html(<UnsubscribePage action={`/unsubscribe/${c.req.param('token')}`} state={(await stateOf(c.env, u))!} done={scope} />);
});

const op = routeDescriber({ tag: 'Mail', auth: null });

export const oneClickUnsubscribe = new Hono<AppEnv>().post(
  '/:token',
  op({
    summary: 'Unsubscribe from invitations in one click',
    description:
      "The `List-Unsubscribe` address of every invitation mail, which a mail client POSTs to (RFC 8058, body `List-Unsubscribe=One-Click`) when its reader presses its unsubscribe button. The token is sealed by Chorus and names the brand and the address; that brand's invitations to the address stop. Repeating it changes nothing.",
    params: { token: 'The sealed token from the mail.' },
    bodyDescription: '`List-Unsubscribe=One-Click`, form-encoded; not required.',
    responses: { 200: { description: 'Unsubscribed (or already so).', schema: dataOf(Unsubscribed) } },
    errors: { 404: ['not_found'] },
  }),
  async (c) => {
    const u = await openUnsubscribeToken(c.env.SECRETS_KEY, c.req.param('token'));
    if (!u || !(await c.env.DB.prepare('SELECT 1 FROM brands WHERE id = ?').bind(u.brandId).first())) throw notFound('unsubscribe link');
    await optOut(c.env.DB, u.email, u.brandId, Date.now());
    return c.json({ data: { unsubscribed: true } });
  },
);
