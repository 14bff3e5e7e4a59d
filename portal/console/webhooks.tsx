// Webhooks: the brand's endpoints and the delivery log (status, attempts, last answer), with Replay.
import type { FC } from 'hono/jsx';
import type { DeliveryRow, EndpointRow } from '../../worker/db/webhooks';
import { formatCount, formatDateTime } from '../format';
import { Badge } from '../layout';
import { ConsolePage, Errors, FlashNotice, WriteButton, type Flash, type Viewer } from './layout';

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

export const WebhooksPage: FC<{
  viewer: Viewer;
  canWrite: boolean;
  endpoints: EndpointRow[];
  deliveries: DeliveryRow[];
  filter: DeliveryFilter;
  shown: number;
  flash: Flash;
  errors?: string[];
  toReview: number;
}> = ({ viewer, canWrite, endpoints, deliveries, filter, shown, flash, errors, toReview }) => (
  <ConsolePage title="Webhooks" viewer={viewer} section="webhooks" toReview={toReview}>
    <div class="page-head">
      <div>
        <p class="eyebrow">{viewer.brandName}</p>
        <h1 class="page-title">Webhooks</h1>
      </div>
    </div>
    <FlashNotice flash={flash} />
    <Errors errors={errors} title="That didn't go through" />
    <section class="card" aria-labelledby="endpoints-h">
      <h2 id="endpoints-h">Endpoints</h2>
      <p class="muted small">
        Chorus POSTs each event to every enabled endpoint subscribed to it, signed with that endpoint's secret (<code>Chorus-Signature</code>), and retries with growing waits for up to about nine hours. Add endpoints with the admin API
        (<code>POST /api/admin/webhooks/endpoints</code>); the secret is shown once, when the endpoint is created.
      </p>
      {endpoints.length === 0 ? (
        <p class="muted">No endpoints yet, so no events are recorded.</p>
      ) : (
        <div class="table-wrap">
          <table class="stack-sm">
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">Status</th>
                <th scope="col">Added</th>
              </tr>
            </thead>
            <tbody>
              {endpoints.map((e) => (
                <tr>
                  <td data-label="URL">
                    <code style="overflow-wrap: anywhere">{e.url}</code>
                    {e.description ? <span class="muted small block">{e.description}</span> : null}
                  </td>
                  <td data-label="Events" class="small">
                    {(JSON.parse(e.events) as string[]).join(', ')}
                  </td>
                  <td data-label="Status">{e.enabled ? <Badge status="approved" label="Enabled" /> : <Badge status="disabled" label="Disabled" />}</td>
                  <td data-label="Added">{formatDateTime(e.created_at, viewer.timezone)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
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
                    <Badge status={DELIVERY_STATUS[d.status].badge} label={DELIVERY_STATUS[d.status].label} />
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
                    <form method="post" action={`/console/webhooks/deliveries/${d.id}/replay`}>
                      <input type="hidden" name="status" value={filter} />
                      <WriteButton canWrite={canWrite} class="button button-small">
                        {d.status === 'pending' ? 'Send now' : 'Replay'}
                        <span class="visually-hidden"> {d.event_type} to {d.endpoint_url}</span>
                      </WriteButton>
                    </form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {deliveries.length >= shown ? <p class="muted small">Showing the latest {formatCount(shown)}; the admin API lists them by endpoint, event or status.</p> : null}
    </section>
  </ConsolePage>
);
