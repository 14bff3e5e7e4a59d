// Settings → Keys and stores at /console/keys: the admin API's keys and integrations as forms (owners write,
// everyone reads). A new key is rendered once in the answer to the form that created it (never put in a
// redirect's address), and revoking or disconnecting is asked once more.
import { Hono } from 'hono';
import type { Flash } from '../../../../portal/console/layout';
import { KeysPage, type Confirm, type KeyValues, type KeyView, type StoreValues } from '../../../../portal/console/keys';
import { publicOrigin } from '../../../env';
import { ApiError } from '../../../lib/errors';
import { dayEnd, isDay, zoneOrUtc } from '../../../domain/periods';
import { ID_PATTERN } from '../../../lib/ids';
import { connectStore, createApiKey, createIntegration, createKey, disconnectStore, listApiKeys, listStores, revokeApiKey } from '../../admin/keys';
import type { Actor } from '../../../db/audit';
import { viewerOf } from './campaigns';
import { flashOf, readForm, renderPage, requireOwner, withFlash, type ConsoleContext, type ConsoleEnv, type PageStatus } from './context';
import { awaitingReview } from './queries';
import { recentReceipts } from '../../../db/webhook-receipts';

export const keyRoutes = new Hono<ConsoleEnv>();

const FLASH: Record<string, Flash> = {
  revoked: { tone: 'success', text: 'Key revoked.' },
  connected: { tone: 'success', text: 'Store connected. Point its webhooks at the address in the list.' },
  disconnected: { tone: 'success', text: 'Store disconnected.' },
};

type Extras = { keyValues?: KeyValues; storeValues?: StoreValues; newKey?: { name: string; scope: KeyView['scope']; key: string }; confirm?: Confirm; errors?: string[] };

async function renderKeys(c: ConsoleContext, extras: Extras = {}, status: PageStatus = 200) {
  const brandId = c.var.user.brandId;
  const [keys, stores, toReview, receipts] = await Promise.all([listApiKeys(c.env, brandId), listStores(c.env, brandId), awaitingReview(c.env.DB, brandId), recentReceipts(c.env.DB, brandId)]);
  return renderPage(
    c,
    <KeysPage
      viewer={viewerOf(c)}
      isOwner={c.var.user.role === 'owner'}
      keys={keys}
      stores={stores}
      origin={publicOrigin(c)}
      keyValues={extras.keyValues ?? { name: '', scope: 'storefront', expiresOn: '' }}
      storeValues={extras.storeValues ?? { provider: 'shopify', externalAccount: '' }}
      newKey={extras.newKey}
      confirm={extras.confirm}
      flash={flashOf(FLASH, c)}
      errors={extras.errors}
      toReview={toReview}
      now={Date.now()}
      receipts={receipts}
    />,
    status,
  );
}

// Keys can read and write everything the brand has: owners only, as brand settings are.
const ownerActor = (c: ConsoleContext): Actor => ({ type: 'admin_user', id: requireOwner(c, 'change API keys and connected stores') });

keyRoutes.get('/keys', (c) => renderKeys(c));
// Where the browser sits after a form answered in place (a new key, an error): reloading it lands on the list.
// (Two routes, not one `{keys|stores}` pattern: hono anchors such a pattern as ^keys|stores$, which also matches keysX.)
for (const kind of ['keys', 'stores']) keyRoutes.get(`/keys/${kind}`, (c) => c.redirect('/console/keys', 303));

// The last instant of a calendar day (YYYY-MM-DD) in a timezone, as ISO 8601; null for anything else.
function endOfDay(day: string, timeZone: string): string | null {
  if (!isDay(day)) return null;
  return new Date(dayEnd(day, zoneOrUtc(timeZone)) - 1).toISOString();
}

keyRoutes.post('/keys/keys', async (c) => {
  const actor = ownerActor(c);
  const form = await readForm(c);
  const keyValues: KeyValues = { name: form.get('name').slice(0, 200), scope: form.get('scope'), expiresOn: form.get('expiresOn').trim() };
  // A date is the end of that day in the brand's timezone, the day the list then says; anything else
  // (a day that does not exist included) is left for the schema to refuse.
  const expiresAt = keyValues.expiresOn === '' ? null : endOfDay(keyValues.expiresOn, c.var.user.timezone) ?? keyValues.expiresOn;
  const parsed = createKey.safeParse({ name: keyValues.name, scope: keyValues.scope, expiresAt });
  if (!parsed.success) {
    const said: Record<string, string> = {
      name: 'Name: 1 to 80 characters, on one line.',
      scope: 'Scope: pick storefront, ingest or admin.',
      expiresAt: 'Ends on: a date in the future, within five years.',
    };
    const errors = parsed.error.issues.map((i) => (i.path[0] === 'name' && /direction/.test(i.message) ? `Name: ${i.message}` : (said[String(i.path[0])] ?? `Form: ${i.message}`)));
    return renderKeys(c, { keyValues, errors: [...new Set(errors)] }, 422);
  }
  // Names of live keys are unique here: a refresh of the page that showed a key is refused with the first listed.
  try {
    const created = await createApiKey(c.env, c.var.user.brandId, actor, parsed.data, true);
    return renderKeys(c, { newKey: { name: created.name, scope: created.scope, key: created.key } });
  } catch (e) {
    if (e instanceof ApiError && e.status === 409) return renderKeys(c, { keyValues, errors: [e.message] }, 409);
    throw e;
  }
});

keyRoutes.post('/keys/stores', async (c) => {
  const actor = ownerActor(c);
  const form = await readForm(c);
  const storeValues: StoreValues = { provider: form.get('provider'), externalAccount: form.get('externalAccount').trim().toLowerCase().slice(0, 200) };
  const parsed = createIntegration
    // Shopify names the shop by its myshopify.com domain in every webhook: another name would never match.
    .refine((v) => v.provider !== 'shopify' || v.externalAccount.endsWith('.myshopify.com'), { path: ['externalAccount'], message: 'shopify_domain' })
    .safeParse({ ...storeValues, secret: form.get('secret').trim() });
  if (!parsed.success) {
    const labels = { provider: 'Platform', externalAccount: 'Shop or account', secret: 'Webhook signing secret' };
    const errors = parsed.error.issues.map((i) =>
      i.message === 'shopify_domain'
        ? 'Shop or account: for Shopify, the shop’s your-shop.myshopify.com domain (Settings → Domains), not its own domain.'
        : i.path[0] === 'externalAccount'
          ? 'Shop or account: lower-case letters, digits, dots and dashes, 2 to 100 characters.' : i.path[0] === 'secret' ? 'Webhook signing secret: 16 to 256 characters, as the platform shows it.' : `${labels[String(i.path[0]) as keyof typeof labels] ?? 'Form'}: ${i.message}`,
    );
    return renderKeys(c, { storeValues, errors: [...new Set(errors)] }, 422);
  }
  try {
    await connectStore(c.env, c.var.user.brandId, actor, parsed.data);
  } catch (e) {
    if (e instanceof ApiError && e.status === 409) return renderKeys(c, { storeValues, errors: [e.message] }, 409);
    throw e;
  }
  return c.redirect(withFlash('/console/keys', 'connected'), 303);
});

// Revoke a key or disconnect a store: the first post asks, the second (confirm=1) does it.
const removeRoute = (kind: 'keys' | 'stores') => async (c: ConsoleContext) => {
  const actor = ownerActor(c);
  const id = c.req.param('id') ?? '';
  const brandId = c.var.user.brandId;
  const key = kind === 'keys' ? (await listApiKeys(c.env, brandId)).find((k) => k.id === id && !k.revokedAt) : undefined;
  const store = kind === 'stores' ? (await listStores(c.env, brandId)).find((s) => s.id === id) : undefined;
  const confirm: Confirm | null = key ? { kind: 'key', item: key } : store ? { kind: 'store', item: store } : null;
  if (!ID_PATTERN.test(id) || !confirm) throw new ApiError(404, 'not_found', kind === 'keys' ? 'No such active key.' : 'No such connected store.');
  if ((await readForm(c)).get('confirm') !== '1') return renderKeys(c, { confirm });
  if (confirm.kind === 'key') await revokeApiKey(c.env, brandId, actor, id);
  else await disconnectStore(c.env, brandId, actor, id);
  return c.redirect(withFlash('/console/keys', confirm.kind === 'key' ? 'revoked' : 'disconnected'), 303);
};
keyRoutes.post('/keys/keys/:id/remove', removeRoute('keys'));
keyRoutes.post('/keys/stores/:id/remove', removeRoute('stores'));
