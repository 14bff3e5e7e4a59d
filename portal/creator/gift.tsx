// The creator's gift (db/gifting.ts): pick the products the brand offers and where to ship them, follow the
// parcel, say it arrived. Plain forms: it works without JavaScript, and on a phone the fields stack.
import type { FC } from 'hono/jsx';
import { GIFT_STATUS_LABELS, giftAskable, optionsOf, type CreatorGift, type OpenedGiftRequest, type ShippingAddress } from '../../worker/db/gifting';
import type { CreatorEnrollment } from '../../worker/db/creator-portal';
import { COUNTRIES, countryName } from '../../worker/lib/countries';
import { formatDate } from '../format';
import { GiftAddress, GiftItems } from '../gifts';
import { Badge, ErrorSummary, invalidIn, Notice, Page, type FormError } from '../layout';
import { creatorNav } from './pages';

export type GiftFormValues = { picks: Record<string, string | null>; address: Partial<Record<keyof ShippingAddress, string>>; save: boolean };

// The fixed ISO list the address is checked against (worker/lib/countries.ts), a short list of usual ones first.
const COUNTRIES_FIRST = ['US', 'CA', 'GB', 'DE', 'FR', 'AU'].map((code) => [code, countryName(code)] as const);

const Field: FC<{ name: keyof ShippingAddress; label: string; value?: string; errors?: FormError[]; required?: boolean; autocomplete: string; max: number; hint?: string; inputmode?: 'tel'; type?: string }> = (p) => (
  <div class="field">
    <label for={`a-${p.name}`}>
      {p.label}
      {p.required ? null : <span class="muted"> (optional)</span>}
    </label>
    <input id={`a-${p.name}`} name={p.name} type={p.type ?? 'text'} autocomplete={p.autocomplete} required={p.required} maxlength={p.max} value={p.value ?? ''} inputmode={p.inputmode} aria-invalid={invalidIn(p.errors, `a-${p.name}`)} aria-describedby={p.hint ? `a-${p.name}-hint` : undefined} />
    {p.hint ? (
      <p id={`a-${p.name}-hint`} class="hint">
        {p.hint}
      </p>
    ) : null}
  </div>
);

const Parcel: FC<{ g: OpenedGiftRequest }> = ({ g }) => (
  <div class="gift-parcel">
    <GiftItems g={g} class="gift-items" />
    <GiftAddress shipTo={g.shipTo} />
  </div>
);

// Where their request stands, with what they can do about it.
const RequestStatus: FC<{ e: CreatorEnrollment; g: OpenedGiftRequest; editable: boolean; title: string }> = ({ e, g, editable, title }) => (
  <section class="card gift-status" aria-labelledby="gift-status-h">
    <div class="gift-status-head">
      <h2 id="gift-status-h">{title}</h2>
      <Badge status={`gift-${g.status}`} label={GIFT_STATUS_LABELS[g.status]} />
    </div>
    {g.status === 'requested' ? (
      <p>
        Sent on {formatDate(g.created_at, e.timezone)}. {e.brand_name} ships it or tells you why not; until then you can {editable ? 'change it below or withdraw it' : 'withdraw it'}.
      </p>
    ) : null}
    {g.status === 'shipped' ? (
      <p>
        Shipped on {formatDate(g.shipped_at, e.timezone)} with {g.carrier}, tracking number <strong class="mono">{g.tracking_number}</strong>.{' '}
        {g.tracking_url ? (
          <a href={g.tracking_url} rel="noopener noreferrer" target="_blank">
            Track the parcel<span class="visually-hidden"> (opens the carrier's page)</span>
          </a>
        ) : null}
      </p>
    ) : null}
    {g.status === 'received' ? <p>Arrived on {formatDate(g.received_at, e.timezone)}. Enjoy it, and show it in your posts for {e.campaign_name}.</p> : null}
    {g.status === 'declined' ? (
      <>
        <p>{e.brand_name} could not send this one:</p>
        <blockquote class="prewrap gift-reason">{g.decline_reason}</blockquote>
        {editable ? <p>You can ask again below.</p> : null}
      </>
    ) : null}
    {g.status === 'withdrawn' ? <p>You withdrew this request{editable ? '; you can ask again below' : ''}.</p> : null}
    {g.status === 'withdrawn' ? null : <Parcel g={g} />}
    {g.status === 'shipped' ? (
      <form method="post" action={`/gift/${e.enrollment_id}/received`} class="form-actions">
        <button type="submit" class="button button-primary">
          It arrived
        </button>
      </form>
    ) : null}
    {g.status === 'requested' ? (
      <form method="post" action={`/gift/${e.enrollment_id}/withdraw`} class="form-actions">
        <button type="submit" class="button">
          Withdraw my request
        </button>
      </form>
    ) : null}
  </section>
);

export const GiftPage: FC<{ who: string; e: CreatorEnrollment; gift: CreatorGift; values: GiftFormValues; errors?: FormError[]; notice?: string; now: number }> = ({ who, e, gift, values, errors, notice, now }) => {
  const g = gift.request;
  // What stands in the way of asking (db/gifting.ts blocksAsking): one asked for or on its way, or this round's gift.
  const live = g && (g.status === 'requested' || g.status === 'shipped' || (g.status === 'received' && g.round === gift.settings.round));
  const earlierRound = g?.status === 'received' && !live;
  const askable = giftAskable(e, { open: gift.settings.open, products: gift.products.length }, now);
  // The form: no request yet, or one to change, or one declined or withdrawn to ask again.
  const showForm = askable.ok && (!live || g.status === 'requested');
  const choices = gift.settings.choices;
  const a = values.address;
  return (
    <Page title={`Your gift · ${e.campaign_name}`} nav={creatorNav('home')} who={who}>
      <p class="eyebrow">
        {e.brand_name} · {e.campaign_name}
      </p>
      <h1 class="page-title">{g && live ? 'Your gift' : 'Choose your gift'}</h1>
      {notice ? <Notice tone="success">{notice}</Notice> : null}
      <ErrorSummary errors={errors} />
      {earlierRound && askable.ok ? <Notice tone="info">{e.brand_name} started a new round of gifting: pick your next gift below.</Notice> : null}
      {g ? <RequestStatus e={e} g={g} editable={showForm} title={earlierRound ? 'Your last gift' : 'Your request'} /> : null}
      {!askable.ok && !live ? <Notice tone="info">{askable.why}</Notice> : null}
      {showForm ? (
        <form method="post" action={`/gift/${e.enrollment_id}`} class="stack gift-form">
          <fieldset class="card stack">
            <legend class="card-legend">{choices === 1 ? 'Pick one product' : `Pick up to ${choices} products`}</legend>
            <p class="muted small">
              {e.brand_name} ships it to you free, to post about in {e.campaign_name}.
            </p>
            <ul class="gift-choices" role="list">
              {gift.products.map((p, i) => {
                const options = optionsOf(p);
                const picked = Object.hasOwn(values.picks, p.id);
                return (
                  <li class="gift-choice">
                    <label class="checkbox">
                      {/* The first one is where "Pick a product" in the error summary lands. */}
                      <input id={i === 0 ? 'products' : undefined} type={choices === 1 ? 'radio' : 'checkbox'} name="product" value={p.id} checked={picked} aria-invalid={invalidIn(errors, 'products')} />
                      <span>{p.title}</span>
                    </label>
                    {options.length > 0 ? (
                      <div class="field gift-option">
                        <label for={`option-${p.id}`}>Option for {p.title}</label>
                        <select id={`option-${p.id}`} name={`option-${p.id}`} aria-invalid={invalidIn(errors, `option-${p.id}`)}>
                          <option value="">Choose…</option>
                          {options.map((o) => (
                            <option value={o} selected={values.picks[p.id] === o}>
                              {o}
                            </option>
                          ))}
                        </select>
                      </div>
                    ) : null}
                  </li>
                );
              })}
            </ul>
          </fieldset>
          <fieldset class="card stack">
            <legend class="card-legend">Where to ship it</legend>
            <Field name="name" label="Name on the parcel" value={a.name} errors={errors} required autocomplete="shipping name" max={100} />
            <Field name="line1" label="Street address" value={a.line1} errors={errors} required autocomplete="shipping address-line1" max={120} />
            <Field name="line2" label="Apartment, suite, floor" value={a.line2} errors={errors} autocomplete="shipping address-line2" max={120} />
            <div class="gift-row">
              <Field name="city" label="City or town" value={a.city} errors={errors} required autocomplete="shipping address-level2" max={80} />
              <Field name="region" label="State or region" value={a.region} errors={errors} autocomplete="shipping address-level1" max={80} />
            </div>
            <div class="gift-row">
              <Field name="postalCode" label="Postal code" value={a.postalCode} errors={errors} autocomplete="shipping postal-code" max={16} />
              <div class="field">
                <label for="a-country">Country</label>
                <select id="a-country" name="country" required autocomplete="shipping country" aria-invalid={invalidIn(errors, 'a-country')}>
                  <option value="">Choose…</option>
                  {[...COUNTRIES_FIRST, ['', '──────────'] as const, ...COUNTRIES].map(([code, name]) =>
                    code === '' ? (
                      <option disabled>{name}</option>
                    ) : (
                      <option value={code} selected={a.country === code}>
                        {name}
                      </option>
                    ),
                  )}
                </select>
              </div>
            </div>
            <Field name="phone" label="Phone" value={a.phone} errors={errors} autocomplete="shipping tel" type="tel" inputmode="tel" max={25} hint="Only for the carrier, if a delivery needs it." />
            <label class="checkbox">
              <input type="checkbox" name="save" value="1" checked={values.save} /> Save this address on my account for next time
            </label>
            <p class="muted small">Only {e.brand_name}'s owners and managers see your address, to ship this gift.</p>
          </fieldset>
          <div class="form-actions">
            <button type="submit" class="button button-primary">
              {g?.status === 'requested' ? 'Save my changes' : 'Send my request'}
            </button>
            <a class="button button-quiet" href={`/#c-${e.enrollment_id}`}>
              Back
            </a>
          </div>
        </form>
      ) : (
        <p>
          <a href={`/#c-${e.enrollment_id}`}>Back to your campaigns</a>
        </p>
      )}
    </Page>
  );
};

// The line on a home card and the brief: what to do about the gift, or where it stands.
export const GiftLine: FC<{ e: CreatorEnrollment }> = ({ e }) => {
  const open = giftAskable(e, { open: e.gifting_open === 1, products: e.gift_products }, Date.now()).ok;
  const href = `/gift/${e.enrollment_id}`;
  switch (e.gift_status) {
    case 'requested':
      return <p class="gift-line"><a href={href}><strong>Gift requested:</strong> waiting for {e.brand_name} to ship it</a></p>;
    case 'shipped':
      return <p class="gift-line"><a href={href}><strong>Your gift is on its way:</strong> track it, and say when it arrives</a></p>;
    case 'received':
      return <p class="gift-line gift-line-done"><a href={href}><strong>Gift received</strong></a></p>;
    // Their gift arrived in an earlier round: a new one may be asked for while gifting is open.
    case 'received_earlier':
      return open ? (
        <p class="gift-line">
          <a class="button button-primary" href={href}>
            Choose your next gift
          </a>{' '}
          <span class="muted small">{e.brand_name} started a new round of gifting.</span>
        </p>
      ) : (
        <p class="gift-line gift-line-done"><a href={href}><strong>Gift received</strong></a></p>
      );
    case 'declined':
      return <p class="gift-line"><a href={href}><strong>Gift request declined:</strong> see why{open ? ' and ask again' : ''}</a></p>;
    default:
      return open ? (
        <p class="gift-line">
          <a class="button button-primary" href={href}>
            Choose your gift
          </a>{' '}
          <span class="muted small">{e.brand_name} ships product to you to post about.</span>
        </p>
      ) : null;
  }
};
