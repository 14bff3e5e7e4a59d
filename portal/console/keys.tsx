// Settings → Keys and stores: the brand's API keys (storefront, ingest, admin) and its connected Shopify shops
// and Stripe accounts. Owners create and revoke keys and connect and disconnect stores; a new key is shown
// once, on the page that created it. Everyone else reads the lists.
import type { FC } from 'hono/jsx';
import { formatDate, formatDateTime } from '../format';
import { Badge } from '../layout';
import { ConfirmStep, ConsolePage, DataTable, RowAction, ShownOnce, type Flash, type Viewer } from './layout';
import { SettingsHead } from './team';
import type { ListedReceipt } from '../../worker/db/webhook-receipts';

export type KeyView = { id: string; scope: 'storefront' | 'ingest' | 'admin'; name: string; prefix: string; createdAt: string | null; revokedAt: string | null; expiresAt: string | null; lastUsedAt: string | null };
export type StoreView = { id: string; provider: 'shopify' | 'stripe'; externalAccount: string; createdAt: string | null; lastUsedAt: string | null };
export type KeyValues = { name: string; scope: string; expiresOn: string };
export type StoreValues = { provider: string; externalAccount: string };
export type Confirm = { kind: 'key'; item: KeyView } | { kind: 'store'; item: StoreView };

export const SCOPES: Record<KeyView['scope'], { label: string; use: string }> = {
  storefront: { label: 'Storefront', use: 'Publishable: your checkout checks discount codes with it (GET /v1/codes/:code).' },
  ingest: { label: 'Ingest', use: 'Secret: your store backend signs orders and refunds with it (POST /v1/conversions, /v1/refunds).' },
  admin: { label: 'Admin', use: 'Secret: the admin API and the chorus command line, with everything this console can do.' },
};
const PROVIDERS: Record<StoreView['provider'], string> = { shopify: 'Shopify', stripe: 'Stripe' };

const ms = (iso: string | null) => (iso ? Date.parse(iso) : null);

const KeyStatus: FC<{ k: KeyView; now: number; timezone: string }> = ({ k, now, timezone }) => {
  const expires = ms(k.expiresAt);
  if (k.revokedAt) return <Badge status="disabled" label={`Revoked ${formatDate(ms(k.revokedAt), timezone)}`} />;
  if (expires !== null && expires <= now) return <Badge status="disabled" label={`Expired ${formatDate(expires, timezone)}`} />;
  return (
    <>
      <Badge status="approved" label="Active" />
      {expires !== null ? <span class="muted small block">until {formatDate(expires, timezone)}</span> : null}
    </>
  );
};

// When a key or a store's secret was last used (lib/last-used.ts keeps it to within ten minutes).
const usedAt = (at: string, timezone: string) => formatDateTime(Date.parse(at), timezone);

// What a delivery's answer meant, in the words a developer setting up a store needs: what was recorded, or why not.
const IGNORED_WORDS: Record<string, string> = {
  test_mode: 'A test order: acknowledged, earns nobody anything',
  payment_pending: 'Checkout completed before its payment: recorded when the payment succeeds',
  currency_mismatch: "In another currency than the brand's: not recorded",
  idempotency_conflict: 'Changed after it was recorded: the first version stands',
  topic: 'A topic Chorus does not read',
  event_type: 'An event Chorus does not read',
  not_subscription: 'An invoice of no subscription: nothing to credit',
  not_referred: 'A subscription no creator brought',
  renewals_ended: "Past the campaign's renewal months",
  dispute_not_lost: 'A dispute that was not lost: nothing taken back',
};
export function deliveryAnswer(r: Pick<ListedReceipt, 'outcome' | 'detail' | 'status'>): { badge: string; label: string; words: string } {
  if (r.outcome === 'recorded') return { badge: 'approved', label: 'Recorded', words: 'Recorded (or already was)' };
  if (r.outcome === 'nothing') return { badge: 'invited', label: 'Nothing to record', words: 'Nothing to record: no goods paid for or refunded' };
  if (r.outcome === 'ignored') return { badge: 'invited', label: 'Ignored', words: IGNORED_WORDS[r.detail ?? ''] ?? (r.detail ?? 'Ignored') };
  if (r.outcome === 'failed') return { badge: 'failed', label: `Failed ${r.status}`, words: 'Storage was unavailable: the store retries it' };
  const words = r.detail?.startsWith('invalid_signature')
    ? 'The signature did not verify: check the secret connected here is the one the store signs with'
    : r.detail?.startsWith('unsupported_payload')
      ? `Chorus could not read it (${r.detail.slice('unsupported_payload: '.length) || 'missing fields'}); the store retries it`
      : (r.detail ?? 'Refused');
  return { badge: 'failed', label: `Refused ${r.status}`, words };
}

const Deliveries: FC<{ receipts: ListedReceipt[]; timezone: string }> = ({ receipts, timezone }) => (
  <section class="card" aria-labelledby="deliveries-h">
    <h2 id="deliveries-h">Recent deliveries</h2>
    <p class="muted small">What each store webhook was answered, newest first: Shopify and Stripe show every one of them as delivered, including those Chorus did not record.</p>
    {receipts.length === 0 ? (
      <p class="muted">No webhook has arrived from a connected store yet.</p>
    ) : (
      <DataTable columns={['Received', 'Store and event', 'Order or event', 'Answer']}>
        {receipts.map((r) => {
          const answer = deliveryAnswer(r);
          return (
            <tr>
              <td data-label="Received">{formatDateTime(r.receivedAt, timezone)}</td>
              <td data-label="Store and event">
                {PROVIDERS[r.provider]} <span class="muted">{r.account}</span>
                <code class="block" style="white-space: nowrap; width: fit-content">{r.topic}</code>
              </td>
              <td data-label="Order or event">{r.ref ? <code style="overflow-wrap: anywhere">{r.ref}</code> : <span class="muted">—</span>}</td>
              <td data-label="Answer" class="wide">
                <Badge status={answer.badge} label={answer.label} />
                <span class="muted small block">{answer.words}</span>
              </td>
            </tr>
          );
        })}
      </DataTable>
    )}
  </section>
);

export const webhookAddress = (origin: string, s: Pick<StoreView, 'provider' | 'externalAccount'>) => (s.provider === 'shopify' ? `${origin}/v1/webhooks/shopify` : `${origin}/v1/webhooks/stripe/${s.externalAccount}`);

export const KeysPage: FC<{
  viewer: Viewer;
  isOwner: boolean;
  keys: KeyView[];
  stores: StoreView[];
  origin: string;
  keyValues: KeyValues;
  storeValues: StoreValues;
  newKey?: { name: string; scope: KeyView['scope']; key: string } | null;
  confirm?: Confirm | null;
  flash: Flash;
  errors?: string[];
  toReview: number;
  now: number;
  receipts: ListedReceipt[];
}> = ({ viewer, isOwner, keys, stores, origin, keyValues, storeValues, newKey, confirm, flash, errors, toReview, now, receipts }) => (
  <ConsolePage title="Keys and stores" viewer={viewer} section="settings" toReview={toReview}>
    <SettingsHead brandName={viewer.brandName} current="keys" flash={flash} errors={errors} />
    {newKey ? (
      <ShownOnce title={`Your new ${SCOPES[newKey.scope].label.toLowerCase()} key “${newKey.name}”`} id="new-key" label="Key" value={newKey.key}>
        Copy it now and keep it where your {newKey.scope === 'storefront' ? 'checkout' : 'backend'} can read it: Chorus stores only a fingerprint and cannot show it again.
      </ShownOnce>
    ) : null}
    {isOwner && confirm?.kind === 'key' ? (
      <ConfirmStep
        title={`Revoke “${confirm.item.name}” (${SCOPES[confirm.item.scope].label.toLowerCase()}, ${confirm.item.prefix}…)?`}
        action={`/console/keys/keys/${confirm.item.id}/remove`}
        submit="Revoke the key"
        cancelHref="/console/keys"
        cancel="Keep it"
      >
        {confirm.item.lastUsedAt ? `Last used ${usedAt(confirm.item.lastUsedAt, viewer.timezone)}. ` : 'It has never been used. '}
        Whatever uses it stops working: admin keys at once, storefront and ingest keys within 10 seconds. This cannot be undone; create a new key first if something still needs one.
      </ConfirmStep>
    ) : null}
    {isOwner && confirm?.kind === 'store' ? (
      <ConfirmStep
        title={`Disconnect ${PROVIDERS[confirm.item.provider]} ${confirm.item.externalAccount} (connected ${formatDate(ms(confirm.item.createdAt), viewer.timezone)})?`}
        action={`/console/keys/stores/${confirm.item.id}/remove`}
        submit="Disconnect the store"
        cancelHref="/console/keys"
        cancel="Keep it"
      >
        {confirm.item.lastUsedAt ? `Its last webhook arrived ${usedAt(confirm.item.lastUsedAt, viewer.timezone)}. ` : 'No webhook has arrived signed with this secret. '}
        Its webhooks stop being accepted within 10 seconds, unless another secret is connected for the same store. Orders recorded so far stay.
      </ConfirmStep>
    ) : null}

    <section class="card" aria-labelledby="keys-h">
      <h2 id="keys-h">API keys</h2>
      {keys.length === 0 ? (
        <p class="muted">No keys yet.</p>
      ) : (
        <DataTable columns={['Name', 'Scope', 'Key', 'Created', 'Last used', 'Status']} action={isOwner ? 'Revoke' : null}>
              {keys.map((k) => {
                const live = !k.revokedAt && !(ms(k.expiresAt) !== null && ms(k.expiresAt)! <= now);
                return (
                  <tr>
                    <td data-label="Name" class="wide">
                      <strong>{k.name}</strong>
                    </td>
                    <td data-label="Scope">{SCOPES[k.scope].label}</td>
                    <td data-label="Key" class="wide">
                      <code>{k.prefix}…</code>
                    </td>
                    <td data-label="Created">{formatDate(ms(k.createdAt), viewer.timezone)}</td>
                    <td data-label="Last used">{k.lastUsedAt ? usedAt(k.lastUsedAt, viewer.timezone) : 'Never'}</td>
                    <td data-label="Status">
                      <KeyStatus k={k} now={now} timezone={viewer.timezone} />
                    </td>
                    {isOwner ? (
                      <td data-label="Revoke">
                        {live ? (
                          <RowAction action={`/console/keys/keys/${k.id}/remove`} label="Revoke" target={k.name} />
                        ) : null}
                      </td>
                    ) : null}
                  </tr>
                );
              })}
        </DataTable>
      )}
      <ul class="role-scopes muted small">
        {(Object.keys(SCOPES) as KeyView['scope'][]).map((s) => (
          <li>
            <strong>{SCOPES[s].label}</strong>: {SCOPES[s].use}
          </li>
        ))}
      </ul>
      {isOwner ? (
        <form method="post" action="/console/keys/keys" class="stack team-add" aria-labelledby="new-key-h">
          <h3 id="new-key-h">Create a key</h3>
          <div class="field">
            <label for="k-name">Name</label>
            <input id="k-name" name="name" type="text" required maxlength={80} placeholder="Checkout backend" value={keyValues.name} autocomplete="off" />
          </div>
          <div class="field">
            <label for="k-scope">Scope</label>
            <select id="k-scope" name="scope">
              {(Object.keys(SCOPES) as KeyView['scope'][]).map((s) => (
                <option value={s} selected={s === keyValues.scope}>
                  {SCOPES[s].label}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="k-expires">Ends on (optional)</label>
            <input id="k-expires" name="expiresOn" type="date" value={keyValues.expiresOn} aria-describedby="k-expires-hint" />
            <p id="k-expires-hint" class="hint">
              For a contractor or a single campaign: the key stops at the end of that day (your brand's time), as a revoke would. Left empty, it works until revoked.
            </p>
          </div>
          <div>
            <button type="submit" class="button button-primary">
              Create the key
            </button>
          </div>
        </form>
      ) : (
        <p class="muted small">Only an owner can create or revoke keys.</p>
      )}
    </section>

    <section class="card" aria-labelledby="stores-h">
      <h2 id="stores-h">Connected stores</h2>
      <p class="muted small">
        Shopify and Stripe send orders and refunds to Chorus as webhooks, signed with a secret you connect here. To change a secret, connect the new one, then disconnect the old: the store's
        webhooks verify against either in between.
      </p>
      {stores.length === 0 ? (
        <p class="muted">No stores connected yet.</p>
      ) : (
        <DataTable columns={['Store', 'Webhook address', 'Connected', 'Last webhook']} action={isOwner ? 'Disconnect' : null}>
              {stores.map((s) => (
                <tr>
                  <td data-label="Store" class="wide">
                    <strong>{PROVIDERS[s.provider]}</strong> <span class="muted">{s.externalAccount}</span>
                  </td>
                  <td data-label="Webhook address" class="wide">
                    <code style="overflow-wrap: anywhere">{webhookAddress(origin, s)}</code>
                  </td>
                  <td data-label="Connected">{formatDate(ms(s.createdAt), viewer.timezone)}</td>
                  <td data-label="Last webhook">
                    {s.lastUsedAt ? (
                      usedAt(s.lastUsedAt, viewer.timezone)
                    ) : (
                      <>
                        None yet
                        <span class="muted small block">Add the address above to your {PROVIDERS[s.provider]} webhooks with this secret.</span>
                      </>
                    )}
                  </td>
                  {isOwner ? (
                    <td data-label="Disconnect" class="wide">
                      <RowAction action={`/console/keys/stores/${s.id}/remove`} label="Disconnect" target={s.externalAccount} />
                    </td>
                  ) : null}
                </tr>
              ))}
        </DataTable>
      )}
      {isOwner ? (
        <form method="post" action="/console/keys/stores" class="stack team-add" aria-labelledby="connect-h">
          <h3 id="connect-h">Connect a store</h3>
          <div class="field">
            <label for="s-provider">Platform</label>
            <select id="s-provider" name="provider">
              <option value="shopify" selected={storeValues.provider !== 'stripe'}>
                Shopify
              </option>
              <option value="stripe" selected={storeValues.provider === 'stripe'}>
                Stripe
              </option>
            </select>
          </div>
          <div class="field">
            <label for="s-account">Shop or account</label>
            <input id="s-account" name="externalAccount" type="text" required maxlength={100} placeholder="your-shop.myshopify.com" value={storeValues.externalAccount} autocomplete="off" spellcheck={false} aria-describedby="s-account-hint" />
            <p id="s-account-hint" class="hint">
              Shopify: the shop's myshopify.com domain. Stripe: a short name of your choosing (lower-case letters, digits, dots and dashes); it becomes part of the webhook address.
            </p>
          </div>
          <div class="field">
            <label for="s-secret">Webhook signing secret</label>
            <input id="s-secret" name="secret" type="password" required minlength={16} maxlength={256} autocomplete="new-password" data-1p-ignore data-lpignore="true" aria-describedby="s-secret-hint" />
            <p id="s-secret-hint" class="hint">
              Shopify: Settings → Notifications → Webhooks. Stripe: the endpoint's signing secret (whsec_…). Stored sealed; never shown again.
            </p>
          </div>
          <div>
            <button type="submit" class="button button-primary">
              Connect
            </button>
          </div>
        </form>
      ) : null}
    </section>
    {stores.length > 0 || receipts.length > 0 ? <Deliveries receipts={receipts} timezone={viewer.timezone} /> : null}
  </ConsolePage>
);
