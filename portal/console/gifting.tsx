// A campaign's Gifting tab: the products creators pick from and the setting, then their requests to ship or
// decline. Shipping addresses are shown to owners and managers only (the roles that ship).
import type { FC } from 'hono/jsx';
import { GIFT_CHOICES_MAX, GIFT_ROUND_MAX, GIFT_STATUS_LABELS, GIFT_STATUSES, KNOWN_CARRIERS, optionsOf, trackingUrlFor, type GiftingSettings, type GiftProductRow, type GiftRequestRow, type GiftStatus, type OpenedGiftRequest } from '../../worker/db/gifting';
import { countOf, formatDate, formatMoney } from '../format';
import { GiftAddress, GiftItems } from '../gifts';
import { TrackingUploadForm } from './gift-tracking';
import { Badge, invalidIn, type FormError } from '../layout';
import { CampaignHeader, ConsolePage, DataTable, Errors, FlashNotice, Pager, WriteButton, type Flash, type Viewer } from './layout';

export type ProductFormValues = { title: string; options: string; sku: string; value: string };
/** A request's ship, decline or tracking form that was refused: drawn open, with what was typed. */
export type OpenedForm = { requestId: string; form: 'ship' | 'decline' | 'tracking'; values: Record<string, string> };

// A shipped gift's tracking, corrected (a typo, a parcel sent again under a new number): filled in with what is on
// record, or with what was typed when it was refused. A link Chorus built from the carrier and number is left out,
// so a corrected number gets its own; one the brand gave stays until they change it.
const TrackingForm: FC<{ g: GiftRequestRow; base: string; back: string; errors?: FormError[]; typed?: Record<string, string> }> = ({ g, base, back, errors, typed }) => {
  const given = g.tracking_url !== null && g.tracking_url !== trackingUrlFor(g.carrier ?? '', g.tracking_number ?? '') ? g.tracking_url : '';
  return (
    <details open={typed !== undefined}>
      <summary>Correct tracking</summary>
      <form method="post" action={`${base}/requests/${g.id}/tracking${back}`} class="stack compact-form">
        <input type="hidden" name="updatedAt" value={new Date(g.updated_at).toISOString()} />
        <div class="field">
          <label for={`carrier-${g.id}`}>Carrier</label>
          <input id={`carrier-${g.id}`} name="carrier" type="text" list="carriers" required maxlength={40} value={typed?.carrier ?? g.carrier ?? ''} aria-invalid={invalidIn(errors, `carrier-${g.id}`)} />
        </div>
        <div class="field">
          <label for={`tn-${g.id}`}>Tracking number</label>
          <input id={`tn-${g.id}`} name="trackingNumber" type="text" required maxlength={40} autocomplete="off" value={typed?.trackingNumber ?? g.tracking_number ?? ''} aria-invalid={invalidIn(errors, `tn-${g.id}`)} />
        </div>
        <div class="field">
          <label for={`tu-${g.id}`}>Tracking URL (optional)</label>
          <input id={`tu-${g.id}`} name="trackingUrl" type="url" inputmode="url" maxlength={500} placeholder="https://…" aria-describedby={`tu-${g.id}-hint`} value={typed?.trackingUrl ?? given} aria-invalid={invalidIn(errors, `tu-${g.id}`)} />
          <p id={`tu-${g.id}-hint`} class="hint">
            Built for UPS, USPS, FedEx and DHL. The creator sees the new tracking on their gift page; no second email is sent.
          </p>
        </div>
        <button type="submit" class="button">
          Save tracking
        </button>
      </form>
    </details>
  );
};

export const GiftingPage: FC<{
  viewer: Viewer;
  canWrite: boolean;
  campaign: { id: string; name: string; status: string; hashtag: string };
  settings: GiftingSettings;
  products: GiftProductRow[];
  requests: OpenedGiftRequest[];
  counts: Record<GiftStatus, number>;
  status: GiftStatus | null;
  /** The list's query (`?status=…&cursor=…`, or ''): a row's forms post with it, and come back to this page. */
  listQuery: string;
  pages: { newest: string | null; older: string | null };
  shippedValue: { value: number; creators: number };
  values: ProductFormValues;
  errors?: FormError[];
  opened?: OpenedForm;
  flash: Flash;
  toReview: number;
}> = ({ viewer, canWrite, campaign, settings, products, requests, counts, status, listQuery, pages, shippedValue, values, errors, opened, flash, toReview }) => {
  const base = `/console/campaigns/${campaign.id}/gifting`;
  const offered = products.filter((p) => p.archived_at === null);
  const typedIn = (requestId: string, form: OpenedForm['form'], name: string) => (opened?.requestId === requestId && opened.form === form ? opened.values[name] : undefined);
  return (
    <ConsolePage title={`${campaign.name} gifting`} viewer={viewer} section="campaigns" toReview={toReview}>
      <CampaignHeader campaign={campaign} tab="gifting" brandName={viewer.brandName} />
      <FlashNotice flash={flash} />
      <Errors errors={errors} />
      <p class="muted">
        Ship product to your creators to post about. {shippedValue.creators > 0 ? `So far: ${formatMoney(shippedValue.value, viewer.currency)} of product shipped to ${countOf(shippedValue.creators, 'creator')}.` : 'Nothing shipped yet.'}
      </p>
      <section aria-labelledby="requests-h">
        <div class="section-head">
          <h2 id="requests-h" class="section-title">
            Requests
          </h2>
          {canWrite && counts.requested > 0 ? (
            <a class="button" href={`${base}/packing-list.csv`} download>
              Packing list (CSV, {countOf(counts.requested, 'request')})
            </a>
          ) : null}
        </div>
        {canWrite && counts.requested + counts.shipped > 0 ? <TrackingUploadForm campaignId={campaign.id} /> : null}
        <nav aria-label="Requests by status" class="tabs status-tabs">
          <a href={base} aria-current={status === null ? 'page' : undefined}>
            All
          </a>
          {GIFT_STATUSES.map((s) => (
            <a href={`${base}?status=${s}`} aria-current={status === s ? 'page' : undefined}>
              {GIFT_STATUS_LABELS[s]} <span class="count">{counts[s]}</span>
            </a>
          ))}
        </nav>
        {requests.length === 0 ? (
          <div class="card empty-state">
            <p>{pages.newest ? 'Nothing older.' : status ? `No ${GIFT_STATUS_LABELS[status].toLowerCase()} requests.` : settings.open ? 'No requests yet. Creators active in the campaign see “Choose your gift” on their portal.' : 'No requests yet. Add products and open gifting below, and creators active in the campaign can ask.'}</p>
          </div>
        ) : (
          <DataTable columns={['Creator', 'Gift', ...(canWrite ? ['Ship to'] : []), 'Status']} action={canWrite ? 'Actions' : null}>
            {requests.map((g) => (
              <tr id={g.id}>
                <td data-label="Creator">
                  <strong>{g.display_name}</strong>
                  <div class="muted small">@{g.handle}</div>
                  <div class="muted small">
                    asked {formatDate(g.created_at, viewer.timezone)}
                    {settings.round > 1 ? ` · round ${g.round}` : ''}
                  </div>
                  {g.status === 'requested' && g.updated_at !== g.created_at ? <div class="small warn-text">changed {formatDate(g.updated_at, viewer.timezone)}</div> : null}
                </td>
                <td data-label="Gift">
                  <GiftItems g={g} class="plain-list" />
                  <div class="muted small">{formatMoney(g.value_minor, viewer.currency)}</div>
                </td>
                {canWrite ? (
                  <td data-label="Ship to" class="small">
                    <GiftAddress shipTo={g.shipTo} />
                  </td>
                ) : null}
                <td data-label="Status">
                  <Badge status={`gift-${g.status}`} label={GIFT_STATUS_LABELS[g.status]} />
                  {g.enrollment_status === 'removed' ? <div class="small warn-text">Removed from the campaign</div> : null}
                  {g.status === 'shipped' || g.status === 'received' ? (
                    <div class="small">
                      {g.carrier} ·{' '}
                      {g.tracking_url ? (
                        <a href={g.tracking_url} rel="noopener noreferrer" target="_blank">
                          {g.tracking_number}
                        </a>
                      ) : (
                        g.tracking_number
                      )}
                      {g.received_at ? <div class="muted">arrived {formatDate(g.received_at, viewer.timezone)}</div> : null}
                    </div>
                  ) : null}
                  {g.status === 'declined' ? <div class="small muted prewrap">{g.decline_reason}</div> : null}
                </td>
                {canWrite ? (
                  <td data-label="Actions" class="gift-actions">
                    {g.status === 'requested' ? (
                      <>
                        <details open={opened?.requestId === g.id && opened.form === 'ship'}>
                          <summary>Mark shipped</summary>
                          <form method="post" action={`${base}/requests/${g.id}/ship${listQuery}`} class="stack compact-form">
                            <input type="hidden" name="updatedAt" value={new Date(g.updated_at).toISOString()} />
                            <div class="field">
                              <label for={`carrier-${g.id}`}>Carrier</label>
                              <input id={`carrier-${g.id}`} name="carrier" type="text" list="carriers" required maxlength={40} value={typedIn(g.id, 'ship', 'carrier')} aria-invalid={invalidIn(errors, `carrier-${g.id}`)} />
                            </div>
                            <div class="field">
                              <label for={`tn-${g.id}`}>Tracking number</label>
                              <input id={`tn-${g.id}`} name="trackingNumber" type="text" required maxlength={40} autocomplete="off" value={typedIn(g.id, 'ship', 'trackingNumber')} aria-invalid={invalidIn(errors, `tn-${g.id}`)} />
                            </div>
                            <div class="field">
                              <label for={`tu-${g.id}`}>Tracking URL (optional)</label>
                              <input id={`tu-${g.id}`} name="trackingUrl" type="url" inputmode="url" maxlength={500} placeholder="https://…" aria-describedby={`tu-${g.id}-hint`} value={typedIn(g.id, 'ship', 'trackingUrl')} aria-invalid={invalidIn(errors, `tu-${g.id}`)} />
                              <p id={`tu-${g.id}-hint`} class="hint">
                                Built for UPS, USPS, FedEx and DHL.
                              </p>
                            </div>
                            <button type="submit" class="button button-primary">
                              Mark shipped and email
                            </button>
                          </form>
                        </details>
                        <details open={opened?.requestId === g.id && opened.form === 'decline'}>
                          <summary>Decline</summary>
                          <form method="post" action={`${base}/requests/${g.id}/decline${listQuery}`} class="stack compact-form">
                            <div class="field">
                              <label for={`reason-${g.id}`}>Why (the creator reads this)</label>
                              <textarea id={`reason-${g.id}`} name="reason" rows={3} required maxlength={500} aria-invalid={invalidIn(errors, `reason-${g.id}`)}>
                                {typedIn(g.id, 'decline', 'reason')}
                              </textarea>
                            </div>
                            <button type="submit" class="button">
                              Decline
                            </button>
                          </form>
                        </details>
                      </>
                    ) : g.status === 'shipped' ? (
                      <TrackingForm g={g} base={base} back={listQuery} errors={errors} typed={opened?.requestId === g.id && opened.form === 'tracking' ? opened.values : undefined} />
                    ) : null}
                  </td>
                ) : null}
              </tr>
            ))}
          </DataTable>
        )}
        <Pager newest={pages.newest} older={pages.older} olderLabel="Older requests" />
        <datalist id="carriers">
          {KNOWN_CARRIERS.map((c) => (
            <option value={c} />
          ))}
        </datalist>
      </section>

      <div class="gifting-setup">
        <section class="card" aria-labelledby="products-h">
          <h2 id="products-h">Products</h2>
          {products.length === 0 ? <p class="muted">No products yet: add what creators may pick.</p> : null}
          <ul class="plain-list gift-products">
            {products.map((p) => (
              <li class={p.archived_at === null ? undefined : 'muted'}>
                <div>
                  <strong>{p.title}</strong> · {formatMoney(p.value_minor, viewer.currency)}
                  {p.sku ? <span class="muted small"> · SKU {p.sku}</span> : null}
                  {p.archived_at === null ? null : <span class="small"> · archived</span>}
                  {optionsOf(p).length > 0 ? <div class="small muted">Options: {optionsOf(p).join(', ')}</div> : null}
                </div>
                {canWrite ? (
                  <form method="post" action={`${base}/products/${p.id}/archive`}>
                    <input type="hidden" name="archived" value={p.archived_at === null ? '1' : '0'} />
                    <button type="submit" class="button button-quiet button-small">
                      {p.archived_at === null ? 'Archive' : 'Offer again'}
                      <span class="visually-hidden"> {p.title}</span>
                    </button>
                  </form>
                ) : null}
              </li>
            ))}
          </ul>
          {canWrite ? (
            <details open={products.length === 0 || Object.values(values).some((v) => v !== '')}>
              <summary>Add a product</summary>
              <form method="post" action={`${base}/products`} class="stack">
                <div class="field">
                  <label for="p-title">Title</label>
                  <input id="p-title" name="title" required maxlength={120} value={values.title} placeholder="Barrier Serum 30 ml" aria-invalid={invalidIn(errors, 'p-title')} />
                </div>
                <div class="field">
                  <label for="p-options">Options (optional)</label>
                  <input id="p-options" name="options" maxlength={1300} value={values.options} placeholder="Fragrance-free, Original" aria-describedby="p-options-hint" aria-invalid={invalidIn(errors, 'p-options')} />
                  <p id="p-options-hint" class="hint">
                    Sizes or shades the creator picks one of, separated by commas.
                  </p>
                </div>
                <div class="gift-row">
                  <div class="field">
                    <label for="p-sku">SKU (optional)</label>
                    <input id="p-sku" name="sku" maxlength={64} value={values.sku} />
                  </div>
                  <div class="field">
                    <label for="p-value">Value ({viewer.currency})</label>
                    <input id="p-value" name="value" aria-invalid={invalidIn(errors, 'p-value')} inputmode="decimal" required maxlength={12} value={values.value} placeholder="34.00" aria-describedby="p-value-hint" />
                    <p id="p-value-hint" class="hint">
                      What one costs you: the Network tab adds up what shipped.
                    </p>
                  </div>
                </div>
                <button type="submit" class="button button-primary">
                  Add the product
                </button>
              </form>
            </details>
          ) : null}
        </section>
        <section class="card" aria-labelledby="settings-h">
          <h2 id="settings-h">Gifting</h2>
          <p>
            {settings.open
              ? `Open: creators active in the campaign may pick ${settings.choices === 1 ? 'one product' : `up to ${settings.choices} products`}${offered.length === 0 ? ', once you add one' : ''}.`
              : 'Closed: creators see no gift to choose. Requests already made stay here to ship.'}
          </p>
          <form method="post" action={`${base}/settings`} class="stack">
            <fieldset class="field" disabled={!canWrite}>
              <legend>Creators may ask for a gift</legend>
              <div class="radios">
                <label class="radio">
                  <input type="radio" name="open" value="1" checked={settings.open} /> Open
                </label>
                <label class="radio">
                  <input type="radio" name="open" value="0" checked={!settings.open} /> Closed
                </label>
              </div>
            </fieldset>
            <div class="field">
              <label for="choices">Products each creator may pick</label>
              <input id="choices" name="choices" type="number" min={1} max={GIFT_CHOICES_MAX} required value={String(settings.choices)} disabled={!canWrite} />
            </div>
            <WriteButton canWrite={canWrite} class="button">
              Save
            </WriteButton>
          </form>
          <div class="gift-round stack">
            <h3>Round {settings.round}</h3>
            {settings.round >= GIFT_ROUND_MAX ? (
              <p class="small">Each creator gets one gift a round, and round {GIFT_ROUND_MAX} is the last a campaign can have: for another season's product, make a new campaign.</p>
            ) : (
              <p class="small">
                Each creator gets one gift a round. For a new season's product, archive last round's products, add the new ones and start round {settings.round + 1}: creators whose gift arrived may then ask again. Requests waiting or on their way stay as they are, and a creator has one at a time.
              </p>
            )}
            {settings.round < GIFT_ROUND_MAX && canWrite ? (
              <form method="post" action={`${base}/round`}>
                {/* The round it follows: sent twice, or after a teammate started it, it starts no second one. */}
                <input type="hidden" name="from" value={String(settings.round)} />
                <button type="submit" class="button">
                  Start round {settings.round + 1}
                </button>
              </form>
            ) : null}
          </div>
        </section>
      </div>
    </ConsolePage>
  );
};
