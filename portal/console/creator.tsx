// One creator in one campaign, as the brand manages them: who they are and whether they have signed in, their
// link and code, then a form for status, pay and their section of the brief (PATCH /api/admin/enrollments/:id),
// and the two ways to get them into their account (a fresh invite link, a mailed password link).
import type { FC } from 'hono/jsx';
import type { DailyPoint } from '../../worker/domain/network';
import type { ListedAdjustment } from '../../worker/db/adjustments';
import type { ListedCode } from '../../worker/db/creator-portal';
import { DailySection } from '../charts';
import { CopyField, Notice } from '../layout';
import { qrLabel } from '../../worker/routes/portal/link-qr';
import { trackedLinkUrl } from '../../worker/lib/paths';
import { countOf, discountText, ENROLLMENT_STATUS_LABELS, formatCount, formatDate, formatDateTime, formatDueDay, formatMoney, linkTarget, PAYMENT_MODEL_LABELS, zoneLabel } from '../format';
import type { FirstDraft } from '../../worker/domain/content-due';
import type { TaxDetailsStatus } from '../../worker/domain/tax-details';
import { FirstDraftMarker } from './network';
import { termsVersionHref } from './settings';
import { CreatorMessages, type CreatorMessagesArea } from './messages';
import { CampaignHeader, ConsolePage, Errors, FlashNotice, FormQuestion, QuestionButtons, TagChips, type Flash, type Viewer } from './layout';
import { FieldProblem, fieldDescribedBy, invalidIn, type FormError } from '../layout';
import { MAX_TAG_FIELD_LENGTH, MAX_TAGS_PER_CREATOR } from '../../worker/domain/creator-tags';

// The brand's labels for the creator, and (owners and managers) one field to change them all, comma-separated.
// `justSaved`: the page a save leads back to (#tags-area), which says so here, where it lands, not at the page's top.
const CreatorTagsArea: FC<{ tags: string[]; typed: string | undefined; errors?: readonly FormError[]; action: string; canEdit: boolean; justSaved: boolean }> = ({ tags, typed, errors, action, canEdit, justSaved }) => (
  <div class="creator-tags" id="tags-area">
    <h3>Tags</h3>
    {justSaved ? <Notice tone="success">Tags saved. The roster and the network’s results by segment use them at once.</Notice> : null}
    {tags.length === 0 ? <p class="small muted">No tags yet{canEdit ? ': group your network by market, niche or wave.' : '.'}</p> : <TagChips tags={tags} />}
    {canEdit ? (
      <details class="add-link" open={typed !== undefined}>
        <summary class="small">Edit tags</summary>
        <form method="post" action={action} class="stack">
          <div class="field">
            <label for="tags">Tags, separated by commas</label>
            <input id="tags" name="tags" type="text" maxlength={MAX_TAG_FIELD_LENGTH} value={typed ?? tags.join(', ')} placeholder="uk, skincare, wave 2" autocomplete="off" aria-describedby={fieldDescribedBy('tags', 'tags-hint', errors)} aria-invalid={invalidIn(errors, 'tags')} />
            <FieldProblem id="tags" errors={errors} />
            <p id="tags-hint" class="hint">
              Up to {MAX_TAGS_PER_CREATOR}, each 1-32 letters (any script, accents kept), digits, spaces, - or _; stored in lower case. Creators see their tags in their data download.
            </p>
          </div>
          <div>
            <button type="submit" class="button button-small">
              Save tags
            </button>
          </div>
        </form>
      </details>
    ) : null}
  </div>
);

// Where the creator stands with the brand's program terms: a line, only once the brand has some.
export const TermsStanding: FC<{ terms: CreatorPageData['terms']; joined: boolean; timezone: string }> = ({ terms, joined, timezone }) =>
  // A creator who has not joined yet is asked at joining: "not accepted" would read as a refusal (as on the roster).
  terms.current === null || (!joined && !terms.accepted) ? null : (
    <p class="small muted terms-standing">
      {terms.accepted ? (
        <>
          Accepted terms <a href={termsVersionHref(terms.accepted.version)}>v{terms.accepted.version}</a> on {formatDate(terms.accepted.acceptedAt, timezone)}
        </>
      ) : (
        'Not accepted current terms'
      )}
      {terms.accepted && terms.accepted.version < terms.current ? (
        <>
          {' '}
          · not accepted current terms (<a href={termsVersionHref(terms.current)}>v{terms.current}</a>) yet
        </>
      ) : null}
    </p>
  );

export type CreatorPageData = {
  enrollmentId: string;
  handle: string;
  displayName: string;
  email: string;
  signedUp: boolean;
  // When the creator accepted this brand; until then their payout details are not shared with it.
  acceptedAt: number | null;
  // The brand's current program terms version (null: none) and the highest version the creator accepted.
  terms: { current: number | null; accepted: { version: number; acceptedAt: number } | null };
  // Whether the creator's tax details are on file for the brand's year-end totals (missing until they accept it).
  taxDetails: TaxDetailsStatus;
  // When their account was closed, by them or by this brand on their request (db/creator-erasure.ts).
  erasedAt: number | null;
  status: string;
  /** Their first draft: the date it is due (their own, or else the campaign's), whether it is their own, and where they stand. */
  firstDraft: { dueAt: number | null; own: boolean; state: FirstDraft };
  // Each link's unique clicks from the rollups; archived_at: when the creator tidied one off their home page (it
  // still redirects and counts).
  links: { id: string; slug: string; status: string; destination: string; clicks: number; archived_at: number | null }[];
  codes: ListedCode[];
  numbers: { clicks: number; orders: number; revenue: number; earned: number; live: number; to_review: number };
};

// contentDueOn: their own due date for a first draft (YYYY-MM-DD, the brand's calendar), '' for the campaign's.
export type EnrollmentFormValues = { status: string; paymentModel: string; flatFee: string; briefSection: string; contentDueOn: string };
// The stored values the form is drawn from, sent back with it so a save applies only what the person changed.
export type DrawnEnrollment = { status: string; paymentModel: string; flatFeeMinor: number; briefSection: string; contentDueAt: number | null };

// What the network page's suggested moves fill in (worker/domain/network.ts LadderMove).
export const SUGGESTIONS: Record<string, Partial<EnrollmentFormValues> & { note: string }> = {
  move_to_hybrid: { paymentModel: 'hybrid', note: 'Suggested: a flat fee per live post on top of the commission. Set the fee, then save.' },
  move_to_flat: { paymentModel: 'flat', note: 'Suggested: a flat fee per live post. Set the fee, then save.' },
  bench: { status: 'benched', note: 'Suggested: bench this creator (no clicks, sales or live posts lately). Their link and code keep working.' },
};

const STATUS_HINTS: Record<string, string> = {
  active: 'Link and code work; the creator sees the campaign.',
  paused: 'A label for your team: nothing is blocked. Link and code keep working, so posts already out still earn.',
  benched: 'Out of the active rotation, as a label for your team. Link and code keep working.',
  removed: 'Link and code stop within seconds, and the campaign leaves their portal and review queue. Orders placed before the removal still count; what they earned stays theirs.',
};

// The removal question's buttons, at the top of the page and in place of the form's Save.
const removalAnswer = (name: string, base: string) => ({ form: 'enrollment-form', saveLabel: 'Save', name: 'confirmRemove', submit: `Remove ${name}`, submitTone: 'danger' as const, cancelHref: base, cancel: 'Keep them' });

export const CreatorPage: FC<{
  viewer: Viewer;
  canWrite: boolean;
  isOwner: boolean;
  campaign: { id: string; name: string; status: string; hashtag: string };
  creator: CreatorPageData;
  values: EnrollmentFormValues;
  drawn: DrawnEnrollment;
  origin: string;
  currency: string;
  flash: Flash;
  errors?: readonly FormError[];
  /** The brand's tags for the creator; `typed`: what the tags form came back with, refused. */
  tags: { saved: string[]; typed?: string; justSaved?: boolean };
  suggestion?: string | null;
  inviteLink?: { url: string; expiresAt: number } | null;
  confirmRemoval?: boolean;
  toReview: number;
  /** Their last 30 days in the campaign, as their own portal shows them. */
  daily: DailyPoint[];
  /** The bonus-or-correction form as typed, and the key that makes its post count once. */
  adjustment: { amount: string; note: string };
  /** A large amount, asked about once before it is added (minor units, signed). */
  confirmAdjustment?: number | undefined;
  adjustmentKey: string;
  /** Bonuses and corrections made so far, newest first. */
  adjustments: ListedAdjustment[];
  newLink: { destination: string; slug: string };
  /** A link's new destination as typed, when it came back refused: that link's form opens with it. */
  editLink?: { id: string; destination: string } | null;
  defaultDestination: string;
  /** The campaign's own due date for first drafts, which theirs replaces. */
  campaignDueAt: number | null;
  /** Their conversation with the brand: the newest few messages and the form (portal/console/messages.tsx). */
  messages: CreatorMessagesArea;
}> = ({ viewer, canWrite, isOwner, campaign, creator, values, drawn, origin, currency, flash, errors, suggestion, inviteLink, confirmRemoval = false, toReview, daily, adjustment, confirmAdjustment, adjustmentKey, adjustments, newLink, editLink, defaultDestination, campaignDueAt, messages, tags }) => {
  const removed = creator.status === 'removed';
  // An erased creator's enrollments are removed, but the brand still pauses or re-points their links (old posts).
  const linksClosed = removed && creator.erasedAt === null;
  const adjusting = (adjustment.amount !== '' || adjustment.note !== '') && canWrite && creator.acceptedAt !== null;
  const base = `/console/campaigns/${campaign.id}/creators/${creator.enrollmentId}`;
  // Invited enrollments become active when the creator accepts; the form cannot skip that step.
  const statuses = creator.status === 'invited' ? ['invited', 'paused', 'benched', 'removed'] : ['active', 'paused', 'benched', 'removed'];
  return (
    <ConsolePage title={`${creator.displayName} · ${campaign.name}`} viewer={viewer} section="campaigns" toReview={toReview}>
      <CampaignHeader campaign={campaign} tab="network" brandName={viewer.brandName} />
      <p class="small">
        <a href={`/console/campaigns/${campaign.id}/network`}>← Back to the creator ranking</a>
      </p>
      <FlashNotice flash={flash} />
      {creator.erasedAt !== null ? (
        <Notice tone="info" title={`This creator’s data was erased on ${formatDate(creator.erasedAt, viewer.timezone)}`}>
          <p>Everything personal your brand held about them is erased, on their request or because they closed their account. Their orders, earnings and payouts stay in your books under this anonymous name; their links send shoppers to your pages without counting them, and their codes no longer work.</p>
        </Notice>
      ) : null}
      {/* The adjustment form's own problems show beside it (its post returns to it, #adjust-h). */}
      {adjusting ? null : <Errors errors={errors} />}
      {canWrite && confirmRemoval ? (
        // Removal stops the link and code at once: the form comes back once, asking at the top of the page before
        // it is saved; the form below keeps everything as entered.
        <FormQuestion {...removalAnswer(creator.displayName, base)} tone="warn" title={`Remove ${creator.displayName} from ${campaign.name}?`}>
          <p>Their link and code stop within seconds, orders placed from now on earn them nothing, and their drafts waiting for review are withdrawn. What they earned so far stays theirs. You can restore them later.</p>
        </FormQuestion>
      ) : null}
      <div class="two-col align-start">
        <section class="card stack" aria-labelledby="who-h">
          <div>
            <h2 id="who-h">{creator.displayName}</h2>
            <p class="muted">
              @{creator.handle} · {creator.email}
            </p>
            <p>
              <span class={`badge badge-${creator.status}`}>{ENROLLMENT_STATUS_LABELS[creator.status] ?? creator.status}</span>{' '}
              <span class="muted small">
                {creator.acceptedAt !== null
                  ? `Accepted your brand ${formatDate(creator.acceptedAt, viewer.timezone)}`
                  : 'Has not accepted your invitation yet: their payout details are not shared with you until they do'}
              </span>
            </p>
            <TermsStanding terms={creator.terms} joined={creator.acceptedAt !== null} timezone={viewer.timezone} />
            {creator.acceptedAt !== null ? (
              <p class={`small tax-standing ${creator.taxDetails === 'complete' ? 'muted' : 'warn-text'}`}>
                {creator.taxDetails === 'complete'
                  ? 'Tax details: complete'
                  : creator.taxDetails === 'unreadable'
                    ? 'Tax details: unreadable (our key changed: ask them to enter them again on their Earnings page)'
                    : 'Tax details: missing (they add them on their Earnings page)'}
              </p>
            ) : null}
            {creator.firstDraft.state === 'sent' && creator.firstDraft.dueAt !== null ? (
              <p class="small muted">First draft sent (it was due {formatDueDay(creator.firstDraft.dueAt, viewer.timezone)}).</p>
            ) : creator.firstDraft.state === 'due' || creator.firstDraft.state === 'overdue' ? (
              <p>
                <FirstDraftMarker state={creator.firstDraft.state} dueAt={creator.firstDraft.dueAt} timezone={viewer.timezone} />
              </p>
            ) : null}
            <CreatorTagsArea tags={tags.saved} typed={tags.typed} errors={errors} action={`${base}/tags`} canEdit={canWrite && creator.erasedAt === null} justSaved={tags.justSaved ?? false} />
          </div>
          <dl class="mini-stats">
            <div>
              <dt>Unique clicks</dt>
              <dd>{formatCount(creator.numbers.clicks)}</dd>
            </div>
            <div>
              <dt>Orders</dt>
              <dd>{creator.numbers.orders > 0 ? <a href={`/console/orders?enrollment=${creator.enrollmentId}`}>{formatCount(creator.numbers.orders)}</a> : formatCount(creator.numbers.orders)}</dd>
            </div>
            <div>
              <dt>Revenue</dt>
              <dd>{formatMoney(creator.numbers.revenue, currency)}</dd>
            </div>
            <div>
              <dt>Earned</dt>
              <dd>{formatMoney(creator.numbers.earned, currency)}</dd>
            </div>
            <div>
              <dt>Posts live</dt>
              <dd>{formatCount(creator.numbers.live)}</dd>
            </div>
            <div>
              <dt>Drafts to review</dt>
              <dd>{creator.numbers.to_review > 0 && !removed ? <a href={`/console/review?status=submitted&campaign=${campaign.id}`}>{formatCount(creator.numbers.to_review)}</a> : formatCount(creator.numbers.to_review)}</dd>
            </div>
          </dl>
          {creator.links.map((l, i) => (
            <div class="link-row">
              <CopyField
                id={`link-${i}`}
                label={`${linksClosed ? 'Tracked link (closed: removed)' : l.status === 'active' ? (removed ? 'Tracked link (sends shoppers on, uncounted)' : 'Tracked link') : 'Tracked link (paused)'}${l.archived_at !== null ? ', archived by the creator,' : ''} to ${linkTarget(l.destination)}`}
                value={trackedLinkUrl(origin, l.slug)}
              />
              <p class="muted small link-note">
                {countOf(l.clicks, 'unique click')}
                {l.archived_at !== null ? ` · archived by ${creator.displayName} on ${formatDate(l.archived_at, viewer.timezone)}: off their home page, but it still redirects and counts, and they can restore it` : ''}
              </p>
              {linksClosed ? null : (
                <div class="link-actions">
                  {canWrite ? (
                    <>
                      <form method="post" action={`${base}/links/${l.id}/status`}>
                        <input type="hidden" name="status" value={l.status === 'active' ? 'paused' : 'active'} />
                        <button type="submit" class="button button-small button-quiet">
                          {l.status === 'active' ? 'Pause' : 'Resume'}
                          <span class="visually-hidden"> the link to {linkTarget(l.destination)}</span>
                        </button>
                      </form>
                      <details class="add-link" open={editLink?.id === l.id}>
                        <summary class="small">
                          Change where it leads<span class="visually-hidden"> (the link to {linkTarget(l.destination)})</span>
                        </summary>
                        <form method="post" action={`${base}/links/${l.id}/destination`} class="stack">
                          <div class="field">
                            <label for={`link-${i}-destination`}>New destination</label>
                            <input id={`link-${i}-destination`} name="destination" type="url" inputmode="url" required maxlength={2048} value={editLink?.id === l.id ? editLink.destination : l.destination} autocomplete="off" aria-describedby={`link-${i}-hint`} />
                            <p id={`link-${i}-hint`} class="hint">
                              The link itself stays the same, so posts already out keep working; from now on it sends shoppers here. What it brought so far stays counted.
                            </p>
                          </div>
                          <div>
                            <button type="submit" class="button button-small">
                              Save the destination
                            </button>
                          </div>
                        </form>
                      </details>
                    </>
                  ) : null}
                  {/* For a booth, packaging inserts or the creator's own prints; loaded only once opened. */}
                  {removed ? null : <details class="add-link">
                    <summary class="small">
                      QR code<span class="visually-hidden"> (the link to {linkTarget(l.destination)})</span>
                    </summary>
                    <figure class="qr qr-small">
                      <img src={`${base}/links/${l.id}/qr.svg`} alt={qrLabel(trackedLinkUrl(origin, l.slug))} width={160} height={160} loading="lazy" />
                      <a class="button button-small" href={`${base}/links/${l.id}/qr.svg?download=1`} download={`${l.slug}-qr.svg`}>
                        Download QR code (SVG)<span class="visually-hidden"> for the link to {linkTarget(l.destination)}</span>
                      </a>
                    </figure>
                  </details>}
                </div>
              )}
            </div>
          ))}
          {canWrite && !removed ? (
            // Open when it came back with what was typed (an error), else one click away.
            <details class="add-link" open={newLink.destination !== '' || newLink.slug !== ''}>
              <summary class="small">Add a tracked link</summary>
              <form method="post" action={`${base}/links`} class="stack">
                <p class="hint">To another page of yours, such as one product: clicks and orders through it count for {creator.displayName} as through their first link.</p>
                <div class="field">
                  <label for="link-destination">Destination</label>
                  <input id="link-destination" name="destination" type="url" inputmode="url" maxlength={2048} value={newLink.destination} placeholder={defaultDestination} autocomplete="off" />
                </div>
                <div class="field">
                  <label for="link-slug">Link name (optional)</label>
                  <input id="link-slug" name="slug" type="text" maxlength={64} pattern="[A-Za-z0-9_\-]{3,64}" value={newLink.slug} placeholder={`made from @${creator.handle}`} aria-describedby="slug-hint" autocomplete="off" spellcheck={false} />
                  <p id="slug-hint" class="hint">
                    What follows /r/ in the link: 3 to 64 letters, digits, - or _.
                  </p>
                </div>
                <div>
                  <button type="submit" class="button button-small">
                    Add the link
                  </button>
                </div>
              </form>
            </details>
          ) : null}
          {creator.codes.map((d, i) => (
            <CopyField id={`code-${i}`} label={`${removed ? 'Discount code (closed: removed)' : d.status === 'active' ? 'Discount code' : 'Discount code (disabled)'}: ${discountText(d.discount_type, d.discount_value, currency)}`} value={d.code} />
          ))}
          {canWrite && !removed && creator.acceptedAt === null ? (
            // Not accepted yet: an invite link to send them, which leads to sign-in or to setting a password.
            <div class="stack">
              <h3>Getting them in</h3>
              {inviteLink ? (
                <div class="stack">
                  <CopyField id="invite-link" label="New invite link" value={inviteLink.url} />
                  <p class="hint">Send it to {creator.email} yourself. It works until {formatDateTime(inviteLink.expiresAt, viewer.timezone)} and only lets them ask for a password link at that address.</p>
                </div>
              ) : null}
              <div class="button-row">
                <form method="post" action={`${base}/invite`}>
                  <button type="submit" class="button">
                    New invite link
                  </button>
                </form>
              </div>
            </div>
          ) : null}
          {canWrite && !removed && creator.acceptedAt !== null && creator.signedUp ? (
            // Working with the brand already: the only help they may need is a new password.
            <div class="stack">
              <h3>Signing in</h3>
              <p class="hint">If they lost their password, Chorus mails a one-hour link to {creator.email}.</p>
              <div class="button-row">
                <form method="post" action={`${base}/password-link`}>
                  <button type="submit" class="button button-quiet">
                    Email a password link
                  </button>
                </form>
              </div>
            </div>
          ) : null}
        </section>
        <form method="post" action={base} class="stack" id="enrollment-form">
          <input type="hidden" name="drawnStatus" value={drawn.status} />
          <input type="hidden" name="drawnPaymentModel" value={drawn.paymentModel} />
          <input type="hidden" name="drawnFlatFeeMinor" value={String(drawn.flatFeeMinor)} />
          <input type="hidden" name="drawnBriefSection" value={drawn.briefSection} />
          {removed ? null : <input type="hidden" name="drawnContentDueAt" value={drawn.contentDueAt === null ? '' : String(drawn.contentDueAt)} />}
          <fieldset class="card stack" disabled={!canWrite}>
            <legend class="card-legend">Status and pay</legend>
            {suggestion && SUGGESTIONS[suggestion] ? <Notice tone="info">{SUGGESTIONS[suggestion]!.note}</Notice> : null}
            <fieldset class="field">
              <legend>Status</legend>
              <div class="radios radios-stacked">
                {statuses.map((s) => (
                  <label class="radio radio-card">
                    <input type="radio" name="status" value={s} checked={values.status === s} />
                    <span>
                      <strong>{ENROLLMENT_STATUS_LABELS[s]}</strong>
                      <span class="muted small block">{STATUS_HINTS[s] ?? 'Waiting for the creator to accept the invitation.'}</span>
                    </span>
                  </label>
                ))}
              </div>
            </fieldset>
            <div class="two-fields">
              <div class="field">
                <label for="paymentModel">Payment</label>
                <select id="paymentModel" name="paymentModel">
                  {Object.entries(PAYMENT_MODEL_LABELS).map(([model, label]) => (
                    <option value={model} selected={values.paymentModel === model}>
                      {label}
                    </option>
                  ))}
                </select>
              </div>
              <div class="field">
                <label for="flatFee">Flat fee per live post</label>
                <div class="input-suffix">
                  <input id="flatFee" name="flatFee" type="text" inputmode="decimal" maxlength={16} value={values.flatFee} aria-describedby="fee-hint" />
                  <span>{currency}</span>
                </div>
                <p id="fee-hint" class="hint">
                  For flat fee and flat fee + commission.
                </p>
              </div>
            </div>
            <p class="hint">New pay applies from now on: to orders recorded and posts that go live after you save.</p>
            <div class="field">
              <label for="briefSection">Their section of the brief</label>
              <textarea id="briefSection" name="briefSection" rows={5} maxlength={4000}>
                {values.briefSection}
              </textarea>
            </div>
            {/* A removed creator has nothing due: the date waits, unchanged, until they are brought back. */}
            {removed ? null : (
              <div class="field">
                <label for="contentDueOn">Their first draft due (optional)</label>
                <input id="contentDueOn" name="contentDueOn" type="date" class="narrow-input" value={values.contentDueOn} min="2000-01-01" max="2199-12-31" aria-describedby="due-hint" />
                <p id="due-hint" class="hint">
                  {campaignDueAt !== null ? `Empty: the campaign's date, ${formatDueDay(campaignDueAt, viewer.timezone)}.` : 'Empty: the campaign’s date (it has none yet).'} A later day for someone who joined late; the end of that day
                  in {zoneLabel(viewer.timezone)}. They are emailed a reminder three days before, unless they have sent a draft.
                </p>
              </div>
            )}
            {canWrite && confirmRemoval ? (
              <QuestionButtons {...removalAnswer(creator.displayName, base)} />
            ) : canWrite ? (
              <div>
                <button type="submit" class="button button-primary">
                  Save
                </button>
              </div>
            ) : null}
          </fieldset>
        </form>
      </div>
      <CreatorMessages area={messages} name={creator.displayName} canWrite={canWrite} timezone={viewer.timezone} />
      <DailySection points={daily} timeZone={viewer.timezone} noun="orders" />
      {adjustments.length > 0 ? (
        <section class="card" aria-labelledby="adjusted-h">
          <h2 id="adjusted-h">Bonuses and corrections</h2>
          <ul class="adjustments">
            {adjustments.map((a) => (
              <li>
                <strong class={a.amount_minor < 0 ? 'negative' : undefined}>{formatMoney(a.amount_minor, a.currency)}</strong> {a.note}
                <span class="muted small block">
                  {formatDateTime(a.created_at, viewer.timezone)} · {a.paid ? 'paid' : 'not paid yet'}
                </span>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {canWrite && creator.acceptedAt !== null ? (
        <section class="card" aria-labelledby="adjust-h">
          <h2 id="adjust-h">Add a bonus or a correction</h2>
          <p class="muted small">
            A bonus for a post that did well, or a correction: a sale the customer forgot the code on, a fee paid twice (a negative amount). Paid with this month's payouts once the month is closed;{' '}
            {creator.displayName} sees it with your reason. Entries are never edited: correct one with another.
          </p>
          {adjusting ? <Errors errors={errors} /> : null}
          <form method="post" action={`${base}/adjustments#adjust-h`} class="stack">
            <input type="hidden" name="key" value={adjustmentKey} />
            <div class="two-fields">
              <div class="field">
                <label for="adj-amount">Amount</label>
                <div class="input-suffix">
                  <input id="adj-amount" name="amount" type="text" inputmode="decimal" required maxlength={16} placeholder="50.00 or -12.50" value={adjustment.amount} autocomplete="off" />
                  <span>{currency}</span>
                </div>
              </div>
              <div class="field">
                <label for="adj-note">Reason (they see it)</label>
                <input id="adj-note" name="note" type="text" required maxlength={200} placeholder="Thank you: the reel did twice the usual reach." value={adjustment.note} autocomplete="off" />
              </div>
            </div>
            {confirmAdjustment !== undefined ? (
              <Notice tone="warn" title={`${confirmAdjustment > 0 ? 'Add' : 'Take'} ${formatMoney(Math.abs(confirmAdjustment), currency)} ${confirmAdjustment > 0 ? 'to' : 'from'} ${creator.displayName}'s earnings?`}>
                <p>That is a large amount, and an adjustment is not undone: a wrong one is corrected by another. Check the amount, then confirm.</p>
              </Notice>
            ) : null}
            <div class="button-row">
              <button type="submit" class="button">
                {confirmAdjustment !== undefined ? 'Check again' : 'Add to their earnings'}
              </button>
              {confirmAdjustment !== undefined ? (
                <button type="submit" name="confirmLarge" value="1" class="button button-primary">
                  Yes, {confirmAdjustment > 0 ? 'add' : 'take'} {formatMoney(Math.abs(confirmAdjustment), currency)}
                </button>
              ) : null}
            </div>
          </form>
        </section>
      ) : null}
      {isOwner && creator.erasedAt === null ? <EraseCreatorCard name={creator.displayName} action={`${base}/erase`} /> : null}
    </ConsolePage>
  );
};

// Erasing a creator on their request (GDPR): owners only, folded away, with what it does said before the button.
const EraseCreatorCard: FC<{ name: string; action: string }> = ({ name, action }) => (
  <section class="card stack" aria-labelledby="erase-h">
    <h2 id="erase-h">Erase this creator’s data</h2>
    <details>
      <summary class="button button-quiet">The creator asked us to erase their data…</summary>
      <form method="post" action={action} class="stack">
        <p class="small">
          Only for a creator you owe nothing (pay them first). Everything your brand holds about them is erased: their name, email, profile, tags and addresses, their applications to your brand (from any address they had), their messages read “(Deleted)”, drafts without
          usage rights granted (or whose grant ran out) lose their links and captions, your stored webhook events forget them, every campaign of theirs with you ends (links keep sending shoppers to your pages
          without counting them, codes stop working) and your webhook endpoints get a <code>creator.erased</code> event. Their orders, commissions and payouts stay under “Closed account”, but where paid payouts
          went is erased: export the payouts CSV first if your tax records need it. If they stopped your invitations (or every brand’s), that is kept: you cannot invite that address again. This cannot be undone.
        </p>
        <label class="checkbox">
          <input type="checkbox" name="confirm" value="1" required />
          <span>{name} asked us to erase their data, and I understand it cannot be undone.</span>
        </label>
        <div>
          <button type="submit" class="button button-danger">
            Erase {name}’s data
          </button>
        </div>
      </form>
    </details>
  </section>
);
