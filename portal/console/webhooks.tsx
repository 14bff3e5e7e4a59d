// Webhooks: the brand's endpoints and the delivery log (status, attempts, last answer), with Replay.
import type { FC } from 'hono/jsx';
import type { DeliveryRow, EndpointRow } from '../../worker/db/webhooks';
import { formatCount, formatDateTime } from '../format';
import { Badge, Notice } from '../layout';
import { DEFAULT_WEBHOOK_EVENTS, webhookEventTypes, type WebhookEventType } from '../../worker/db/schema';
import { ConfirmStep, ConsolePage, DataTable, RowAction, ShownOnce, WriteButton, type Flash, type Viewer } from './layout';
import { SettingsHead } from './team';

export type DeliveryFilter = 'all' | 'pending' | 'failed' | 'delivered';

const DELIVERY_STATUS: Record<DeliveryRow['status'], { badge: string; label: string }> = {
  delivered: { badge: 'paid', label: 'Delivered' },
  pending: { badge: 'pending', label: 'Retrying' },
  failed: { badge: 'failed', label: 'Failed' },
};

const FILTERS: { value: DeliveryFilter; label: string }[] = [
  { value: 'all', label: 'All deliveries' },
  { value: 'failed', label: 'Failed' },
  { value: 'pending', label: 'Retrying' },
  { value: 'delivered', label: 'Delivered' },
];

const When: FC<{ d: DeliveryRow; timezone: string }> = ({ d, timezone }) => (
  <>
    {formatDateTime(d.created_at, timezone)}
    <span class="muted small block">
      {d.status === 'delivered' && d.delivered_at !== null
        ? `delivered ${formatDateTime(d.delivered_at, timezone)}`
        : d.status === 'pending'
          ? d.attempts === 0
            ? 'first attempt due now'
            : `next attempt ${formatDateTime(d.next_attempt_at, timezone)}`
          : `gave up ${formatDateTime(d.updated_at, timezone)}`}
    </span>
  </>
);

export type EndpointValues = { url: string; description: string; events: string[] };

// The secret a roll replaced, still signing beside the current one: a roll now can only stop both.
const olderSecretSigns = (e: EndpointRow, now: number) => e.previous_secret_until !== null && e.previous_secret_until > now;

function eventsLabel(e: EndpointRow): string {
  const events = JSON.parse(e.events) as string[];
  if (events.length === webhookEventTypes.length) return 'All events';
  const byDefault = events.length === DEFAULT_WEBHOOK_EVENTS.length && DEFAULT_WEBHOOK_EVENTS.every((t) => events.includes(t));
  return byDefault ? 'All events but gift.requested' : events.join(', ');
}

const EVENT_HINTS: Record<WebhookEventType, string> = {
  'conversion.created': 'an order is recorded, with its creator and commission',
  'conversion.attributed': 'an order waiting for its click is credited',
  'conversion.reversed': 'a refund takes commission back',
  'conversion.declined': 'you decline an order’s commission',
  'conversion.reinstated': 'you reinstate a declined commission',
  'refund.failed': 'a refund failed, and gives back what it took',
  'submission.submitted': 'a creator sends a draft',
  'submission.reviewed': 'your team approves, asks for changes or rejects',
  'payout.closed': 'a period close makes a payout',
  'gift.requested': 'a creator asks for a gift, or changes the ask (with the shipping address)',
  'gift.shipped': 'a gift is marked shipped, with its tracking',
  'gift.received': 'a creator says their gift arrived',
  'gift.declined': 'a gift request will not ship: declined, or withdrawn by the creator',
  'rights_extension.requested': 'your team asks a creator to extend the usage rights on a post',
  'rights_extension.accepted': 'a creator accepts a request to extend usage rights',
  'rights_extension.declined': 'a creator declines a request to extend usage rights',
  'rights_extension.withdrawn': 'your team withdraws a request to extend usage rights',
  'creator.erased': 'a creator closed their account, or you erased one: forget them in your systems too',
};

export const WebhooksPage: FC<{
  viewer: Viewer;
  canWrite: boolean;
  isOwner: boolean;
  values: EndpointValues;
  created?: { url: string; secret: string };
  confirmDisable?: EndpointRow;
  confirmRoll?: EndpointRow;
  rolled?: { url: string; secret: string; previousSecretExpiresAt: string | null };
  endpoints: EndpointRow[];
  deliveries: DeliveryRow[];
  filter: DeliveryFilter;
  shown: number;
  // How long an event and its deliveries are kept (jobs/webhook-retention.ts).
  keptDays: number;
  flash: Flash;
  errors?: string[];
  toReview: number;
}> = ({ viewer, canWrite, isOwner, values, created, confirmDisable, confirmRoll, rolled, endpoints, deliveries, filter, shown, keptDays, flash, errors, toReview }) => (
  <ConsolePage title="Webhooks" viewer={viewer} section="settings" toReview={toReview}>
    <SettingsHead brandName={viewer.brandName} current="webhooks" flash={flash} errors={errors} errorsTitle="That didn't go through" />
    {created ? (
      <ShownOnce title="Endpoint added" id="new-secret" label="Signing secret" value={created.secret}>
        Events now go to <code style="overflow-wrap: anywhere">{created.url}</code>. Copy its signing secret into your receiver to check each request's <code>Chorus-Signature</code>: Chorus cannot show it again.
      </ShownOnce>
    ) : null}
    {rolled ? (
      <ShownOnce title="New signing secret" id="new-secret" label="Signing secret" value={rolled.secret}>
        Events to <code style="overflow-wrap: anywhere">{rolled.url}</code> are signed with it from now on.{' '}
        {rolled.previousSecretExpiresAt
          ? `The old secret signs beside it until ${formatDateTime(Date.parse(rolled.previousSecretExpiresAt), viewer.timezone)}, so put this one in your receiver before then.`
          : 'The old secret no longer signs: put this one in your receiver now.'}{' '}
        Chorus cannot show it again.
      </ShownOnce>
    ) : null}
    {isOwner && confirmRoll ? (
      <div class="stack confirm-block">
        <Notice tone="warn" title="Roll this endpoint's signing secret?">
          <p>
            Chorus makes a new secret for <code style="overflow-wrap: anywhere">{confirmRoll.url}</code> and shows it once.{' '}
            {olderSecretSigns(confirmRoll, Date.now())
              ? `The secret before the current one still signs until ${formatDateTime(confirmRoll.previous_secret_until!, viewer.timezone)}, so this roll stops both old ones now.`
              : 'Keep the old one signing for a day while you switch your receiver over, or stop it now if it leaked.'}
          </p>
        </Notice>
        <form method="post" action={`/console/webhooks/endpoints/${confirmRoll.id}/roll`} class="form-actions">
          <input type="hidden" name="confirm" value="1" />
          <input type="hidden" name="version" value={String(confirmRoll.updated_at)} />
          {olderSecretSigns(confirmRoll, Date.now()) ? null : (
            <button type="submit" name="keep" value="24" class="button button-primary">
              Roll, keep the old one 24 hours
            </button>
          )}
          <button type="submit" name="keep" value="0" class="button button-danger">
            Roll, stop the old one now
          </button>
          <a class="button button-quiet" href="/console/webhooks">
            Keep the secret
          </a>
        </form>
      </div>
    ) : null}
    {isOwner && confirmDisable ? (
      <ConfirmStep title="Disable this endpoint?" action={`/console/webhooks/endpoints/${confirmDisable.id}/disable`} submit="Disable the endpoint" cancelHref="/console/webhooks" cancel="Keep it">
        New events stop going to <code style="overflow-wrap: anywhere">{confirmDisable.url}</code> at once, and deliveries still waiting for it end as failed when their next try comes. You can enable it again; events in between are not sent.
      </ConfirmStep>
    ) : null}
    <section class="card" aria-labelledby="endpoints-h">
      <h2 id="endpoints-h">Endpoints</h2>
      <p class="muted small">
        Chorus POSTs each event to every enabled endpoint subscribed to it, signed with that endpoint's secret (<code>Chorus-Signature</code>), and retries with growing waits for up to about nine hours.
      </p>
      {endpoints.length === 0 ? (
        <p class="muted">No endpoints yet, so no events are recorded.</p>
      ) : (
        <DataTable columns={['URL', 'Events', 'Status', 'Added']} action={isOwner ? 'Test, roll the secret, enable or disable' : null}>
              {endpoints.map((e) => (
                <tr>
                  <td data-label="URL" class="wide">
                    <code style="overflow-wrap: anywhere">{e.url}</code>
                    {e.description ? <span class="muted small block">{e.description}</span> : null}
                  </td>
                  <td data-label="Events" class="small wide">
                    {eventsLabel(e)}
                  </td>
                  <td data-label="Status">
                    {e.enabled ? <Badge status="approved" label="Enabled" /> : <Badge status="disabled" label="Disabled" />}
                    {e.previous_secret_until !== null && e.previous_secret_until > Date.now() ? (
                      <span class="muted small block">Old secret signs too until {formatDateTime(e.previous_secret_until, viewer.timezone)}</span>
                    ) : null}
                  </td>
                  <td data-label="Added">{formatDateTime(e.created_at, viewer.timezone)}</td>
                  {isOwner ? (
                    <td data-label="Action" class="wide">
                      <div class="row-actions">
                        {e.enabled ? <RowAction action={`/console/webhooks/endpoints/${e.id}/test`} label="Send test event" target={e.url} /> : null}
                        <RowAction action={`/console/webhooks/endpoints/${e.id}/roll`} label="Roll secret" target={e.url} />
                        <RowAction action={`/console/webhooks/endpoints/${e.id}/${e.enabled ? 'disable' : 'enable'}`} label={e.enabled ? 'Disable' : 'Enable'} target={e.url} />
                      </div>
                    </td>
                  ) : null}
                </tr>
              ))}
        </DataTable>
      )}
      {isOwner ? (
        <form method="post" action="/console/webhooks/endpoints" class="stack team-add" aria-labelledby="add-endpoint-h">
          <h3 id="add-endpoint-h">Add an endpoint</h3>
          <div class="field">
            <label for="e-url">URL</label>
            <input id="e-url" name="url" type="url" inputmode="url" required maxlength={2048} placeholder="https://erp.example/chorus-events" value={values.url} autocomplete="off" spellcheck={false} />
          </div>
          <div class="field">
            <label for="e-description">Description (optional)</label>
            <input id="e-description" name="description" type="text" maxlength={200} placeholder="Finance ERP" value={values.description} autocomplete="off" />
          </div>
          <fieldset class="field">
            <legend>Events</legend>
            {webhookEventTypes.map((t) => (
              <label class="checkbox">
                <input type="checkbox" name="events" value={t} checked={values.events.includes(t)} />
                <span>
                  <code>{t}</code> <span class="muted small">{EVENT_HINTS[t]}</span>
                </span>
              </label>
            ))}
          </fieldset>
          <div>
            <button type="submit" class="button button-primary">
              Add the endpoint
            </button>
          </div>
        </form>
      ) : null}
    </section>
    <section class="card" aria-labelledby="deliveries-h">
      <div class="card-head">
        <h2 id="deliveries-h">Recent deliveries</h2>
        <form method="get" action="/console/webhooks" class="filters">
          <label for="status" class="visually-hidden">
            Show
          </label>
          <select id="status" name="status">
            {FILTERS.map((f) => (
              <option value={f.value} selected={f.value === filter}>
                {f.label}
              </option>
            ))}
          </select>
          <button type="submit" class="button button-small">
            Show
          </button>
        </form>
      </div>
      {deliveries.length === 0 ? (
        <p class="muted">{filter === 'all' ? 'Deliveries appear here as events happen: orders, refunds, submissions and period closes.' : 'No deliveries with that status.'}</p>
      ) : (
        <div class="table-wrap">
          <table class="stack-sm">
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Endpoint</th>
                <th scope="col">Status</th>
                <th scope="col" class="num">
                  Attempts
                </th>
                <th scope="col">Last answer</th>
                <th scope="col">When</th>
                <th scope="col">
                  <span class="visually-hidden">Replay</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {deliveries.map((d) => (
                <tr>
                  <td data-label="Event">
                    <strong>{d.event_type}</strong>
                    <code class="muted small block" style="overflow-wrap: anywhere">{d.event_id}</code>
                  </td>
                  <td data-label="Endpoint" class="small">
                    <code style="overflow-wrap: anywhere">{d.endpoint_url}</code>
                  </td>
                  <td data-label="Status">
                    {d.status === 'pending' && d.attempts === 0 ? <Badge status="pending" label="Queued" /> : <Badge status={DELIVERY_STATUS[d.status].badge} label={DELIVERY_STATUS[d.status].label} />}
                  </td>
                  <td data-label="Attempts" class="num">
                    {formatCount(d.attempts)}
                  </td>
                  <td data-label="Last answer" class="small">
                    {d.last_error ?? (d.last_status_code !== null ? `HTTP ${d.last_status_code}` : '—')}
                  </td>
                  <td data-label="When" class="small">
                    <When d={d} timezone={viewer.timezone} />
                  </td>
                  <td>
                    {d.event_type === 'endpoint.test' ? null : (
                    <form method="post" action={`/console/webhooks/deliveries/${d.id}/replay`}>
                      <input type="hidden" name="status" value={filter} />
                      <WriteButton canWrite={canWrite} class="button button-small">
                        {d.status === 'pending' ? 'Send now' : 'Replay'}
                        <span class="visually-hidden"> {d.event_type} to {d.endpoint_url}</span>
                      </WriteButton>
                    </form>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {deliveries.length >= shown ? <p class="muted small">Showing the latest {formatCount(shown)}; the admin API lists them by endpoint, event or status.</p> : null}
      <p class="muted small">
        Events and their deliveries are deleted {formatCount(keptDays)} days after the event (one still being retried is kept until it ends), so replay a failed one before then.
      </p>
    </section>
  </ConsolePage>
);
