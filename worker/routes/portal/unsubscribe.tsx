// Unsubscribing from invitation mails, the earnings mail and a brand's campaign news (db/mail-opt-outs.ts): the
// link's page (GET asks, POST does it or undoes it; a link scanner's GET changes nothing) and the one-click POST a
// mail client sends (RFC 8058), under /v1 because it comes from the mail provider's servers, not from a page of ours.
import { Hono } from 'hono';
import { CampaignNewsPage, EarningsMailPage, UnsubscribePage, UnsubscribeUnusablePage, type UnsubscribeState } from '../../../portal/unsubscribe';
import {
  EVERY_BRAND,
  openCampaignNewsToken,
  openEarningsMailToken,
  openUnsubscribeToken,
  optBackIn,
  optedOutOf,
  optOut,
  setCampaignNews,
  setEarningsMail,
  type CampaignNewsLink,
  type EarningsMailLink,
  type Unsubscribe,
} from '../../db/mail-opt-outs';
import type { AppEnv, Env } from '../../env';
import { notFound } from '../../lib/errors';
import { newId } from '../../lib/ids';
import { routeDescriber } from '../../openapi/registry';
import { dataOf, Unsubscribed } from '../../openapi/schemas';
import { formBody } from './guards';

// What the token names, with the brand's name; null for a token that is not one, or whose brand is gone.
async function tokenBrand(env: Env, token: string): Promise<{ u: Unsubscribe; brandName: string } | null> {
  const u = await openUnsubscribeToken(env.SECRETS_KEY, token);
  const brand = u && (await env.DB.prepare('SELECT name FROM brands WHERE id = ?').bind(u.brandId).first<{ name: string }>());
  return u && brand ? { u, brandName: brand.name } : null;
}

// The same, with where the address stands, for the page.
async function stateOf(env: Env, token: string): Promise<{ u: Unsubscribe; state: UnsubscribeState } | null> {
  const found = await tokenBrand(env, token);
  return found ? { u: found.u, state: { brandName: found.brandName, email: found.u.email, ...(await optedOutOf(env.DB, found.u.brandId, found.u.email)) } } : null;
}

// The page's three buttons: stop this brand, stop every brand, undo (the scope just stopped).
const ACTIONS = { brand: 'stop this brand', every: 'stop every brand', 'resume-brand': 'undo this brand', 'resume-every': 'undo every brand' } as const;
type Action = keyof typeof ACTIONS;

// In the Activity of the brand whose mail it came from, once per change (a repeated click writes nothing; batched
// right after the change, whose changes() it reads):
// the creator, and whether it was this brand or every brand.
function auditOptOut(db: D1Database, u: Unsubscribe, action: 'creator.unsubscribed' | 'creator.resubscribed', scope: string, now: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO audit_log (id, brand_id, actor_type, actor_id, action, target_type, target_id, details, at)
       SELECT ?1, ?2, 'creator', c.id, ?3, 'creator', c.id, ?4, ?5 FROM creators c JOIN brand_creators r ON r.creator_id = c.id AND r.brand_id = ?2
       WHERE c.email = ?6 AND changes() > 0`,
    )
    .bind(newId('aud'), u.brandId, action, JSON.stringify({ invitationsFrom: scope === EVERY_BRAND ? 'every brand' : 'this brand' }), now, u.email);
}

export const unsubscribePages = new Hono<AppEnv>();

unsubscribePages.get('/unsubscribe/:token', async (c) => {
  const found = await stateOf(c.env, c.req.param('token'));
  if (!found) return c.html(<UnsubscribeUnusablePage />, 410);
  return c.html(<UnsubscribePage action={`/unsubscribe/${c.req.param('token')}`} state={found.state} />);
});

unsubscribePages.post('/unsubscribe/:token', async (c) => {
  const token = c.req.param('token');
  const found = await stateOf(c.env, token);
  if (!found) return c.html(<UnsubscribeUnusablePage />, 410);
  const raw = (await formBody(c)).scope ?? '';
  const action: Action = Object.hasOwn(ACTIONS, raw) ? (raw as Action) : 'brand';
  const { u } = found;
  const scope = action.endsWith('every') ? EVERY_BRAND : u.brandId;
  const now = Date.now();
  const change = action.startsWith('resume') ? optBackIn(c.env.DB, u.email, scope) : optOut(c.env.DB, u.email, scope, now);
  await c.env.DB.batch([change, auditOptOut(c.env.DB, u, action.startsWith('resume') ? 'creator.resubscribed' : 'creator.unsubscribed', scope, now)]);
  const after = await stateOf(c.env, token);
  if (!after) return c.html(<UnsubscribeUnusablePage />, 410);
  return c.html(<UnsubscribePage action={`/unsubscribe/${token}`} state={after.state} done={action} />);
});

// The earnings mail's link (db/mail-opt-outs.ts earningsMailToken): the page asks, its button turns the mail off
// or back on. The account's state, for the page; null for a token that is not one, an account gone, or one that
// moved to another address since the mail.
async function earningsMailState(env: Env, token: string): Promise<{ link: EarningsMailLink; on: boolean } | null> {
  const link = await openEarningsMailToken(env.SECRETS_KEY, token);
  const row = link && (await env.DB.prepare('SELECT earnings_digest FROM creators WHERE id = ? AND email = ?').bind(link.creatorId, link.email).first<{ earnings_digest: number }>());
  return link && row ? { link, on: row.earnings_digest === 1 } : null;
}

unsubscribePages.get('/unsubscribe/earnings/:token', async (c) => {
  const found = await earningsMailState(c.env, c.req.param('token'));
  if (!found) return c.html(<UnsubscribeUnusablePage />, 410);
  return c.html(<EarningsMailPage action={`/unsubscribe/earnings/${c.req.param('token')}`} email={found.link.email} on={found.on} />);
});

unsubscribePages.post('/unsubscribe/earnings/:token', async (c) => {
  const token = c.req.param('token');
  const found = await earningsMailState(c.env, token);
  if (!found) return c.html(<UnsubscribeUnusablePage />, 410);
  const on = (await formBody(c)).mail === 'on';
  await setEarningsMail(c.env.DB, found.link.creatorId, on, Date.now(), found.link.email).run();
  return c.html(<EarningsMailPage action={`/unsubscribe/earnings/${token}`} email={found.link.email} on={on} done />);
});

// A campaign news mail's link (db/mail-opt-outs.ts campaignNewsToken): the same, for one brand's updates and
// brief changes to the account. Null for a token that is not one, an account or roster row gone, or an account
// that moved to another address since the mail.
async function campaignNewsState(env: Env, token: string): Promise<{ link: CampaignNewsLink; brandName: string; on: boolean } | null> {
  const link = await openCampaignNewsToken(env.SECRETS_KEY, token);
  const row =
    link &&
    (await env.DB.prepare(
      `SELECT r.campaign_news, b.name FROM brand_creators r JOIN creators c ON c.id = r.creator_id JOIN brands b ON b.id = r.brand_id
       WHERE r.creator_id = ? AND r.brand_id = ? AND c.email = ?`,
    )
      .bind(link.creatorId, link.brandId, link.email)
      .first<{ campaign_news: number; name: string }>());
  return link && row ? { link, brandName: row.name, on: row.campaign_news === 1 } : null;
}

unsubscribePages.get('/unsubscribe/news/:token', async (c) => {
  const found = await campaignNewsState(c.env, c.req.param('token'));
  if (!found) return c.html(<UnsubscribeUnusablePage />, 410);
  return c.html(<CampaignNewsPage action={`/unsubscribe/news/${c.req.param('token')}`} email={found.link.email} brandName={found.brandName} on={found.on} />);
});

unsubscribePages.post('/unsubscribe/news/:token', async (c) => {
  const token = c.req.param('token');
  const found = await campaignNewsState(c.env, token);
  if (!found) return c.html(<UnsubscribeUnusablePage />, 410);
  const on = (await formBody(c)).mail === 'on';
  const { link } = found;
  await setCampaignNews(c.env.DB, link.creatorId, link.brandId, on, link.email).run();
  return c.html(<CampaignNewsPage action={`/unsubscribe/news/${token}`} email={link.email} brandName={found.brandName} on={on} done />);
});

const op = routeDescriber({ tag: 'Mail', auth: null });

export const oneClickUnsubscribe = new Hono<AppEnv>()
  .post(
    '/earnings/:token',
    op({
      summary: 'Stop the earnings mail in one click',
      description:
        "The `List-Unsubscribe` address of the mail that tells a creator what they earned, which a mail client POSTs to (RFC 8058) when its reader presses its unsubscribe button. The token is sealed by Chorus and names the creator's account; that mail stops (it can be turned on again on the portal's Account page). Repeating it changes nothing.",
      params: { token: 'The sealed token from the mail.' },
      bodyDescription: '`List-Unsubscribe=One-Click`, form-encoded; not required.',
      responses: { 200: { description: 'Unsubscribed (or already so).', schema: dataOf(Unsubscribed) } },
      errors: { 404: ['not_found'] },
    }),
    async (c) => {
      const link = await openEarningsMailToken(c.env.SECRETS_KEY, c.req.param('token'));
      if (!link || (await setEarningsMail(c.env.DB, link.creatorId, false, Date.now(), link.email).run()).meta.changes === 0) throw notFound('unsubscribe link');
      return c.json({ data: { unsubscribed: true } });
    },
  )
  .get(
    '/earnings/:token',
    op({
      summary: 'Open the earnings mail page',
      description: 'Where a mail client without one-click support sends its reader: a redirect to the page that asks, so opening the address unsubscribes no one.',
      params: { token: 'The sealed token from the mail.' },
      responses: { 302: { description: 'To /unsubscribe/earnings/:token.', headers: { Location: 'The page.' } } },
      errors: { 404: ['not_found'] },
    }),
    async (c) => {
      if (!(await openEarningsMailToken(c.env.SECRETS_KEY, c.req.param('token')))) throw notFound('unsubscribe link');
      return c.redirect(`/unsubscribe/earnings/${c.req.param('token')}`, 302);
    },
  )
  .post(
    '/news/:token',
    op({
      summary: "Stop a brand's campaign news in one click",
      description:
        "The `List-Unsubscribe` address of the mails a brand's campaign updates and brief changes send its creators, and of the alerts that it sent them a message, which a mail client POSTs to (RFC 8058) when its reader presses its unsubscribe button. The token is sealed by Chorus and names the creator's account and the brand; that brand's campaign news and message alerts stop being mailed to the account (updates stay on their brief and messages in their portal, and it can be turned on again on the portal's Account page). Other brands' news and the mails about payouts and reviews are not affected. Repeating it changes nothing.",
      params: { token: 'The sealed token from the mail.' },
      bodyDescription: '`List-Unsubscribe=One-Click`, form-encoded; not required.',
      responses: { 200: { description: 'Unsubscribed (or already so).', schema: dataOf(Unsubscribed) } },
      errors: { 404: ['not_found'] },
    }),
    async (c) => {
      const link = await openCampaignNewsToken(c.env.SECRETS_KEY, c.req.param('token'));
      if (!link || (await setCampaignNews(c.env.DB, link.creatorId, link.brandId, false, link.email).run()).meta.changes === 0) throw notFound('unsubscribe link');
      return c.json({ data: { unsubscribed: true } });
    },
  )
  .get(
    '/news/:token',
    op({
      summary: 'Open the campaign news page',
      description: 'Where a mail client without one-click support sends its reader: a redirect to the page that asks, so opening the address unsubscribes no one.',
      params: { token: 'The sealed token from the mail.' },
      responses: { 302: { description: 'To /unsubscribe/news/:token.', headers: { Location: 'The page.' } } },
      errors: { 404: ['not_found'] },
    }),
    async (c) => {
      if (!(await openCampaignNewsToken(c.env.SECRETS_KEY, c.req.param('token')))) throw notFound('unsubscribe link');
      return c.redirect(`/unsubscribe/news/${c.req.param('token')}`, 302);
    },
  )
  .post(
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
      const found = await tokenBrand(c.env, c.req.param('token'));
      if (!found) throw notFound('unsubscribe link');
      const now = Date.now();
      await c.env.DB.batch([optOut(c.env.DB, found.u.email, found.u.brandId, now), auditOptOut(c.env.DB, found.u, 'creator.unsubscribed', found.u.brandId, now)]);
      return c.json({ data: { unsubscribed: true } });
    },
  )
  // A mail client without one-click opens the address in a browser: it gets the page, which asks first.
  .get(
    '/:token',
    op({
      summary: 'Open the unsubscribe page',
      description: 'Where a mail client without one-click support sends its reader: a redirect to the page that asks, so opening the address unsubscribes no one.',
      params: { token: 'The sealed token from the mail.' },
      responses: { 302: { description: 'To /unsubscribe/:token.', headers: { Location: 'The unsubscribe page.' } } },
      errors: { 404: ['not_found'] },
    }),
    async (c) => {
      if (!(await openUnsubscribeToken(c.env.SECRETS_KEY, c.req.param('token')))) throw notFound('unsubscribe link');
      return c.redirect(`/unsubscribe/${c.req.param('token')}`, 302);
    },
  );
