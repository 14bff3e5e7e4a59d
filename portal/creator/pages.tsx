import type { Child, FC } from 'hono/jsx';
import type { CreatorBounty } from '../../worker/db/bounties';
import { CreatorBounties } from './bounties';
import type { TermsToAccept } from '../../worker/db/program-terms';
import { firstDraftOf, isInvitation, type CampaignCard, type ListedLink, type CreatorEnrollment, type EndedEnrollment, type CreatorSubmission, type BelowMinimum, type EarningsRow, type PayoutRow, type SubmissionEvent } from '../../worker/db/creator-portal';
import { GiftLine } from './gift';
import type { BriefUpdate } from '../../worker/db/campaign-updates';
import type { CreatorThreadRow } from '../../worker/db/message-threads';
import type { Owed } from '../../worker/db/creator-erasure';
import type { SavedPayoutDetails } from '../../worker/db/sealed-details';
import { SEPA_NAME_MAX, sepaName } from '../../worker/domain/payment-files';
import { US_ACCOUNT_TYPES } from '../../worker/domain/aba';
import { EXPORTS_PER_HOUR } from '../../worker/db/creator-export';
import type { CommissionTier, ComplianceChecks } from '../../worker/db/schema';
import { draftAwaitsRejoin, draftCampaignEnded, type SubmissionContext } from '../../worker/db/submissions';
import { tierProgress } from '../../worker/domain/commission';
import { campaignEnded } from '../../worker/domain/codes';
import { hasTag, type SubmissionStatus } from '../../worker/domain/submissions';
import { parseRights, rightsInWords, rightsKey, rightsState, scopesInWords, termsInForce, type UsageRights } from '../../worker/domain/usage-rights';
import { WAITING_LISTED, type CreatorRequest, type RightsExtensionRow, type WaitingRequest } from '../../worker/db/rights-extensions';
import { RIGHTS_EXTENSION_NOTE_MAX } from '../../worker/domain/rights-extensions';
import { countOf, discountText, dueInWords, EARNING_KIND_LABELS, hostsInWords, formatCount, formatDate, formatDateTime, formatDueDay, formatMoney, formatPercent, formatPeriod, linkTarget, maskAccount, PAYMENT_MODEL_LABELS, PAYOUT_METHOD_LABELS, STATUS_LABELS, STORY_FORMAT_LABELS } from '../format';
import { trackedLinkUrl } from '../../worker/lib/paths';
import { LEGAL_NAME_MAX, maskedTaxDetails, TAX_ID_MAX, TAX_KINDS, type TaxDetails, type TaxDetailsEntered, type TaxDetailsField } from '../../worker/domain/tax-details';
import { COUNTRIES, countryName } from '../../worker/lib/countries';
import { readableUrl } from '../../worker/routes/portal/link-qr';
import { PayoutStatus, StatementBody } from '../payout-statement';
import type { PayoutStatement } from '../../worker/db/payout-statements';
import { Badge, CopyField, EmailLinkForm, ErrorSummary, fieldDescribedBy, FieldProblem, FlashNotice, invalidIn, NewPasswordForm, Notice, Page, Progress, Stat, type Flash, type FormError, type NavItem } from '../layout';

export const creatorNav = (current: string): NavItem[] => [
  { href: '/', label: 'Home', current: current === 'home' },
  { href: '/submissions', label: 'Content', current: current === 'submissions' },
  { href: '/earnings', label: 'Earnings', current: current === 'earnings' },
  { href: '/messages', label: 'Messages', current: current === 'messages' },
];

type Who = { who: string };

// ---------- Sign-in, invite, reset ----------

export const LoginPage: FC<{ error?: string; email?: string; next?: string; notice?: Flash; status?: number }> = ({ error, email, next, notice }) => (
  <Page title="Sign in">
    <section class="card narrow">
      <h1>Sign in</h1>
      <p class="muted">Your briefs, links, content and earnings in one place.</p>
      <FlashNotice flash={notice ?? null} />
      {error ? <Notice tone="error">{error}</Notice> : null}
      <form method="post" action="/login" class="stack">
        <input type="hidden" name="next" value={next ?? '/'} />
        <div class="field">
          <label for="email">Email</label>
          <input id="email" name="email" type="email" autocomplete="email" required value={email ?? ''} maxlength={254} />
        </div>
        <div class="field">
          <label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required maxlength={256} />
        </div>
        <button type="submit" class="button button-primary button-block">
          Sign in
        </button>
      </form>
      <p class="small">
        <a href="/forgot">Forgot your password?</a>
      </p>
      <p class="muted small">
        Part of a brand's team? <a href="/console/login">Sign in to the console</a>.
      </p>
    </section>
  </Page>
);

// A password link by email, asked for from the sign-in page. The answer is the same whether or not an
// account uses the address, so the page cannot be used to find out who is a creator here.
export const ForgotPage: FC<{ email?: string; error?: string; sentTo?: string }> = ({ email, error, sentTo }) => (
  <Page title="Forgot your password">
    <section class="card narrow">
      <h1>{sentTo ? 'Check your email' : 'Forgot your password?'}</h1>
      {sentTo ? (
        <>
          <p>
            If a Chorus creator account uses <strong>{sentTo}</strong>, we have emailed it a link to choose a new password. The link works for an hour.
          </p>
          <p class="muted small">Nothing after a few minutes? Check your spam folder, or ask the brand you work with which address they have for you.</p>
        </>
      ) : (
        <>
          <p class="muted">Enter the email you sign in with. We'll email you a link to choose a new password.</p>
          {error ? <Notice tone="error">{error}</Notice> : null}
          <EmailLinkForm action="/forgot" label="Email" autocomplete="email" email={email} />
        </>
      )}
      <p class="small">
        <a href="/login">Back to sign in</a>
      </p>
    </section>
  </Page>
);

export const SetPasswordPage: FC<{ heading: string; intro: string; action: string; name: string; email: string; error?: string; brandName?: string }> = ({ heading, intro, action, name, email, error, brandName }) => (
  <Page title={heading}>
    <section class="card narrow">
      {brandName ? <p class="eyebrow">Invited by {brandName}</p> : null}
      <h1>{heading}</h1>
      <p>
        {intro} <strong>{name}</strong> ({email}).{brandName ? ` Then ${brandName}'s invitation opens: read the brief and accept it there.` : ''}
      </p>
      {error ? <Notice tone="error">{error}</Notice> : null}
      <NewPasswordForm action={action} email={email} hint="At least 10 characters. A short sentence works well." submit="Save password and continue" />
    </section>
  </Page>
);

export const LinkUnusablePage: FC<{ what: string }> = ({ what }) => (
  <Page title="Link no longer valid">
    <section class="card narrow">
      <h1>This link can't be used</h1>
      <p>
        This {what} link has already been used or has expired. <a href="/forgot">Get a new password link</a> by email, or <a href="/login">sign in</a> if you already set a password.
      </p>
    </section>
  </Page>
);

// The page a new email's confirmation link opens: opening it changes nothing (mail scanners open links), the
// button does. Then what happened: done, already used or lapsed, or an address another account holds.
export type EmailChangeState = { kind: 'ask'; to: string; fields: Record<string, string> } | { kind: 'done'; to: string } | { kind: 'unusable' } | { kind: 'taken'; to: string };
export const EmailChangePage: FC<{ state: EmailChangeState }> = ({ state }) => (
  <Page title="Your new email">
    <section class="card narrow stack">
      {state.kind === 'ask' ? (
        <>
          <h1>Use this address?</h1>
          <p>
            Your Chorus account will use <strong>{state.to}</strong> to sign in and for every mail from now on.
          </p>
          <form method="post" action="/email-change">
            {Object.entries(state.fields).map(([name, value]) => (
              <input type="hidden" name={name} value={value} />
            ))}
            <button type="submit" class="button button-primary button-block">
              Use {state.to}
            </button>
          </form>
        </>
      ) : state.kind === 'done' ? (
        <>
          <h1>Your email has been changed</h1>
          <p>
            Sign in with <strong>{state.to}</strong> from now on. Brands you work with see it on your profile.
          </p>
          <p>
            <a class="button button-primary" href="/">
              Go to your home page
            </a>
          </p>
        </>
      ) : state.kind === 'taken' ? (
        <>
          <h1>That address has an account</h1>
          <p>
            <strong>{state.to}</strong> already signs in to another Chorus account, so your email stays as it was. Choose another address on <a href="/account">your account page</a>.
          </p>
        </>
      ) : (
        <>
          <h1>This link can't be used</h1>
          <p>
            It was used already, it has lapsed (links work for 24 hours), a newer one was asked for, or your password or email changed since it was sent. Ask for a new one on <a href="/account">your account page</a>.
          </p>
        </>
      )}
    </section>
  </Page>
);

// An invite's page: the first password is set from a link mailed to the account's own address.
// `email` null: no address to name (a link whose brand has no roster entry for the account).
const To: FC<{ email: string | null }> = ({ email }) => (email ? <strong>{email}</strong> : <>the address on your Chorus account</>);

export const EmailLinkPage: FC<{ action: string; name: string; email: string | null; brandName: string; error?: string }> = ({ action, name, email, brandName, error }) => (
  <Page title="Welcome to Chorus">
    <section class="card narrow">
      <h1>Welcome to Chorus</h1>
      <p>
        Hi {name}. <strong>{brandName}</strong> invited you to its creator network on Chorus. To make sure this account is yours, we'll email a link to <To email={email} /> where you
        choose your password.
      </p>
      {error ? <Notice tone="error">{error}</Notice> : null}
      <form method="post" action={action} class="stack">
        <button type="submit" class="button button-primary button-block">
          Email me the link
        </button>
      </form>
      <p>
        Already on Chorus with another brand? <a href="/login?next=/">Sign in</a> and accept the invitation on your home page.
      </p>
      <p class="muted small">The link works for an hour. Not your address? Ask the brand to check the email they have for you.</p>
    </section>
  </Page>
);

// `unconfirmed`: the mail provider did not confirm the send, so the link may still arrive.
export const LinkSentPage: FC<{ email: string | null; unconfirmed?: boolean }> = ({ email, unconfirmed }) => (
  <Page title="Check your email">
    <section class="card narrow">
      <h1>Check your email</h1>
      {unconfirmed ? (
        <p>
          We asked for a link to be sent to <To email={email} />, but our mail provider did not confirm it. It may still arrive: check your inbox and spam folder in a
          few minutes before asking again. The link works for an hour.
        </p>
      ) : (
        <p>
          We sent a link to <To email={email} />. Open it within the hour to choose your password.
        </p>
      )}
    </section>
  </Page>
);

// ---------- Home ----------

function TierBlock({ card }: { card: CampaignCard }) {
  if (card.tiersParsed.length === 0 || card.payment_model === 'product' || card.payment_model === 'flat') return null;
  const p = tierProgress(card.tiersParsed, card.periodRevenue);
  const window = card.plan_period === 'lifetime' ? 'in this campaign' : 'this month';
  // One rate for every sale: nothing to climb, so no bar and no "top tier".
  if (card.tiersParsed.length === 1) {
    return (
      <div class="tier">
        <div class="tier-head">
          <span class="tier-now">{formatPercent(p.rateBps)} commission</span>
          <span class="muted small">
            {formatMoney(p.revenueMinor, card.currency)} in sales {window}
          </span>
        </div>
        <p class="tier-next">Every sale through your link or code earns {formatPercent(p.rateBps)}.</p>
      </div>
    );
  }
  return (
    <div class="tier">
      <div class="tier-head">
        <span class="tier-now">
          Tier {p.tier} · {formatPercent(p.rateBps)}
        </span>
        <span class="muted small">
          {formatMoney(p.revenueMinor, card.currency)} in sales {window}
        </span>
      </div>
      <Progress fraction={p.fraction} label={`Progress to tier ${p.next ? p.next.tier : p.tier}`} />
      <p class="tier-next">
        {p.next
          ? `${formatMoney(p.next.remainingMinor, card.currency)} more ${window} reaches Tier ${p.next.tier} · ${formatPercent(p.next.rateBps)}`
          : 'You are in the top tier. Every sale earns the highest rate.'}
      </p>
    </div>
  );
}

function FeeBlock({ card, ended }: { card: CampaignCard; ended: boolean }) {
  if (card.payment_model !== 'flat' && card.payment_model !== 'hybrid') return null;
  return (
    <div class="fee">
      <div>
        <strong>{formatMoney(card.fees.earned, card.currency)}</strong> in fees earned ({card.fees.count} {card.fees.count === 1 ? 'post' : 'posts'} live)
      </div>
      {ended ? null : (
        <p class="muted small">
          Next fee: {formatMoney(card.flat_fee_minor, card.currency)} when your next approved post goes live and you add its link.
        </p>
      )}
    </div>
  );
}

// Whether the campaign's links and codes are open: a draft opens when the brand launches it, a dated
// campaign on its start, and both close at the end (worker/domain/codes.ts placementOpen).
export function campaignPhase(e: CreatorEnrollment, now = Date.now()): { label: string; waiting: string | null } {
  if (campaignEnded(e, now)) return { label: 'Ended', waiting: null };
  if (e.campaign_status === 'draft') return { label: 'Not launched yet', waiting: `${e.brand_name} has not launched this campaign yet. Your link and code start working when it does.` };
  if (e.starts_at !== null && e.starts_at > now) {
    const day = formatDate(e.starts_at, e.timezone);
    return { label: `Starts ${day}`, waiting: `Your link and code start working on ${day}.` };
  }
  return { label: e.ends_at !== null ? `Active through ${formatDate(e.ends_at - 1, e.timezone)}` : 'Active', waiting: null };
}

// When their first draft is due, until they have sent one (a rejected one does not count): "First draft due Sat
// 12 Dec, in 6 days", then "Your first draft was due on Sat 12 Dec", with the way to send it. Dates are the
// brand's, as the campaign's others are.
const DraftDue: FC<{ e: CreatorEnrollment; submit?: boolean }> = ({ e, submit = true }) => {
  const now = Date.now();
  const state = firstDraftOf(e, now);
  if (e.content_due_at === null || (state !== 'due' && state !== 'overdue')) return null;
  const day = formatDueDay(e.content_due_at, e.timezone, now);
  const link = submit ? (
    <>
      {' '}
      <a href={`/submissions/new?enrollment=${e.enrollment_id}`}>Submit a draft</a>
    </>
  ) : null;
  return state === 'overdue' ? (
    <p class="draft-due is-overdue">
      <strong>Overdue: your first draft was due on {day}.</strong> Send it as soon as you can.{link}
    </p>
  ) : (
    <p class="draft-due">
      <strong>First draft due {day}</strong>, {dueInWords(e.content_due_at, e.timezone, now)}.{link}
    </p>
  );
};

const LaunchNote: FC<{ e: CreatorEnrollment }> = ({ e }) => {
  const { waiting } = campaignPhase(e);
  return waiting ? <p class="muted small">{waiting}</p> : null;
};

// A QR code's look in miniature (three finder squares and a few modules), beside the link to the real one.
const QrGlyph: FC = () => (
  <svg viewBox="0 0 21 21" width="18" height="18" aria-hidden="true" focusable="false" shape-rendering="crispEdges">
    <path fill="currentColor" d="M0 0h7v7h-7zM2 2v3h3v-3zM14 0h7v7h-7zM16 2v3h3v-3zM0 14h7v7h-7zM2 16v3h3v-3zM9 0h2v2h-2zM9 4h3v3h-3zM9 9h3v3h-3zM14 9h3v2h-3zM19 9h2v4h-2zM14 14h2v2h-2zM17 15h4v2h-4zM14 18h3v3h-3zM19 19h2v2h-2zM0 9h4v2h-4zM5 10h2v2h-2zM10 15h2v6h-2z" fill-rule="evenodd" />
  </svg>
);

const QrLink: FC<{ l: ListedLink }> = ({ l }) => (
  <a class="qr-link" href={`/links/${l.slug}/qr`}>
    <QrGlyph />
    QR code<span class="visually-hidden"> for your link to {linkTarget(l.destination)}</span>
  </a>
);

// An ended campaign keeps its numbers (what was earned stays the creator's) but no longer offers its link,
// code, tier climb or new drafts: they would lead shoppers and the creator nowhere.
const CampaignCardView: FC<{ card: CampaignCard; origin: string }> = ({ card, origin }) => {
  const ended = campaignEnded(card, Date.now());
  return (
  <article class={`card campaign${ended ? ' campaign-ended' : ''}`} aria-labelledby={`c-${card.enrollment_id}`}>
    <header class="campaign-head">
      <div>
        <p class="eyebrow">{card.brand_name}</p>
        <h2 id={`c-${card.enrollment_id}`}>{card.campaign_name}</h2>
      </div>
      <span class={ended ? 'pill pill-muted' : 'pill'}>{ended ? 'Ended' : PAYMENT_MODEL_LABELS[card.payment_model]}</span>
    </header>
    {card.latestUpdate ? (
      <p class="new-update">
        <a href={`/brief/${card.enrollment_id}#updates`}>
          <strong>New update:</strong> {card.latestUpdate.title}
        </a>{' '}
        <span class="muted small">{formatDate(card.latestUpdate.created_at, card.timezone)}</span>
      </p>
    ) : null}
    {/* The card's own Submit a draft is at its foot. */}
    <DraftDue e={card} submit={false} />
    <GiftLine e={card} />
    <div class="stats">
      <Stat label="Unique clicks" value={formatCount(card.clicks)} />
      <Stat label="Orders" value={formatCount(card.conversions)} />
      {/* Product seeding pays in product: money tiles only once something was earned (a move up the ladder). */}
      {card.payment_model === 'product' && card.earnings.pending === 0 && card.earnings.payable === 0 && card.earnings.paid === 0 ? null : (
        <>
          <Stat label="Pending" value={formatMoney(card.earnings.pending, card.currency)} hint="in holding period" />
          <Stat
            label="Payable"
            value={formatMoney(card.earnings.payable, card.currency)}
            hint={card.earnings.payable < 0 ? 'taken back after a payout (a refund, a post not live): comes out of your next earnings' : 'in the next payout'}
          />
          <Stat label="Paid" value={formatMoney(card.earnings.paid, card.currency)} />
        </>
      )}
    </div>
    <p class="stats-more small">
      <a href={`/stats/${card.enrollment_id}`}>Your last 30 days, day by day</a>
    </p>
    {ended ? null : <TierBlock card={card} />}
    <FeeBlock card={card} ended={ended} />
    {ended ? (
      <p class="muted small">
        {card.brand_name} ended this campaign{card.ends_at !== null ? ` on ${formatDate(card.ends_at, card.timezone)}` : ''}. Your link and code no longer earn; orders placed before the end still count, and what you earned stays yours.
      </p>
    ) : (
      <div class="share">
        <LaunchNote e={card} />
        {card.links.map((l, i) => (
          <div>
            <CopyField
              id={`link-${card.enrollment_id}-${i}`}
              label={`${l.status === 'active' ? 'Your tracked link' : 'Tracked link (paused)'} to ${linkTarget(l.destination)}`}
              value={trackedLinkUrl(origin, l.slug)}
            />
            <div class="link-tools">
              <QrLink l={l} />
              {/* Only a link they made: the brand's stays on the card. Asked nothing first, as the notice it lands on
                  offers Undo and the link keeps working. */}
              {l.own ? (
                <form method="post" action={`/links/${l.slug}/archive`}>
                  <button type="submit" class="button button-small button-quiet">
                    Archive<span class="visually-hidden"> your link to {linkTarget(l.destination)}</span>
                  </button>
                </form>
              ) : null}
            </div>
          </div>
        ))}
        {card.enrollment_status === 'active' ? (
          <p class="small">
            <a href={`/links/new?enrollment=${card.enrollment_id}`}>Link to a product or another page of the shop</a>
          </p>
        ) : null}
        {card.archived.length > 0 ? (
          <details class="archived-links">
            <summary class="small">Archived links ({card.archived.length})</summary>
            <p class="muted small">They still work wherever you shared them, and what they bring still counts for you. Restore one to have it on this card again.</p>
            <ul>
              {card.archived.map((l) => (
                <li>
                  <span class="archived-target">
                    {linkTarget(l.destination)}
                    {l.status === 'active' ? '' : ' (paused)'}
                  </span>
                  <code class="small">{readableUrl(trackedLinkUrl(origin, l.slug))}</code>
                  <div class="link-tools">
                    <QrLink l={l} />
                    <form method="post" action={`/links/${l.slug}/restore`}>
                      <button type="submit" class="button button-small button-quiet">
                        Restore<span class="visually-hidden"> your link to {linkTarget(l.destination)}</span>
                      </button>
                    </form>
                  </div>
                </li>
              ))}
            </ul>
          </details>
        ) : null}
        {card.codes.map((d, i) => (
          <CopyField id={`code-${card.enrollment_id}-${i}`} label={`${d.status === 'active' ? 'Your discount code' : 'Discount code (disabled)'}: ${discountText(d.discount_type, d.discount_value, card.currency)} for your followers`} value={d.code} />
        ))}
      </div>
    )}
    <footer class="card-actions">
      <a class="button" href={`/brief/${card.enrollment_id}`}>
        Read the brief
      </a>
      {ended ? null : (
        <a class="button button-quiet" href={`/submissions/new?enrollment=${card.enrollment_id}`}>
          Submit a draft
        </a>
      )}
      <a class="button button-quiet" href={`/messages/${card.brand_id}`}>
        Message {card.brand_name}
      </a>
    </footer>
  </article>
  );
};

// A step that cannot be undone from the creator's side, asked once more: a toggle opens what it does and the
// button that does it (its form posts confirm=1; only that form's post acts).
const AskedOnce: FC<{ summary: string; action: string; submit: string; children?: Child }> = ({ summary, action, submit, children }) => (
  <details class="decline">
    <summary class="button button-quiet">{summary}</summary>
    <form method="post" action={action} class="stack">
      <input type="hidden" name="confirm" value="1" />
      <p class="small">{children}</p>
      <div>
        <button type="submit" class="button button-danger">
          {submit}
        </button>
      </div>
    </form>
  </details>
);

// Joining a brand that has program terms: Accept leads to them, to read and tick on their own page.
const joinsWithTerms = (e: Pick<CampaignCard, 'brand_accepted' | 'terms_version'>) => !e.brand_accepted && e.terms_version !== null;

const AcceptInvitation: FC<{ e: Pick<CampaignCard, 'enrollment_id' | 'brand_accepted' | 'terms_version'>; label: string }> = ({ e, label }) =>
  joinsWithTerms(e) ? (
    <a class="button button-primary" href={`/invitations/${e.enrollment_id}/accept`}>
      Read the terms and accept
    </a>
  ) : (
    <form method="post" action={`/invitations/${e.enrollment_id}/accept`}>
      <button type="submit" class="button button-primary">
        {label}
      </button>
    </form>
  );

// Said beside Accept, on the home card and the brief alike: what joining will ask for.
const TermsToJoin: FC<{ e: Pick<CampaignCard, 'brand_name' | 'brand_accepted' | 'terms_version'> }> = ({ e }) =>
  joinsWithTerms(e) ? (
    <p class="small">
      Joining {e.brand_name} asks you to read and accept its program terms (version {e.terms_version}).
    </p>
  ) : null;

// Terms for a creator who joined before the brand had any are published, not updated (as TermsUpdatePage says).
const termsNews = (b: TermsToAccept) => (b.accepted_version === null ? `${b.brand_name} published program terms` : `${b.brand_name} updated its program terms`);

// Brands the creator works with that published program terms they have not accepted: a line each, to read and accept.
// Nothing waits on it, so it says so.
const TermsWaiting: FC<{ brands: TermsToAccept[] }> = ({ brands }) => (
  <Notice tone="info" title={brands.length === 1 ? termsNews(brands[0]!) : 'Brands you work with have new program terms'}>
    <ul class="checklist">
      {brands.map((b) => (
        <li>
          {b.brand_name}: version {b.version}
          {b.accepted_version === null ? ' (published after you joined)' : ` (you accepted version ${b.accepted_version})`}. <a href={`/terms/${b.brand_id}`}>Read {b.brand_name}’s terms</a>
        </li>
      ))}
    </ul>
    <p class="small">Your links, codes and earnings carry on as before while you read them.</p>
  </Notice>
);

// A campaign of a brand the creator has not accepted: what it offers, and Accept or Decline. The brand
// sees nothing of the account's own (such as where payouts go) until Accept.
const InvitationCard: FC<{ card: CampaignCard }> = ({ card }) => (
  <article class="card campaign invitation" aria-labelledby={`c-${card.enrollment_id}`}>
    <header class="campaign-head">
      <div>
        <p class="eyebrow">{card.brand_name} invited you</p>
        <h2 id={`c-${card.enrollment_id}`}>{card.campaign_name}</h2>
      </div>
      <span class="pill">{PAYMENT_MODEL_LABELS[card.payment_model]}</span>
    </header>
    <p>{whatGetsPaid(card)}</p>
    <p class="muted small">
      {card.brand_accepted
        ? 'A new campaign of a brand you work with. Accept to get your link and code and to send drafts.'
        : `Accept to get your link and code and to send drafts. ${card.brand_name} sees where your payouts go only once you accept. Declining takes its campaigns off your home page.`}
    </p>
    <TermsToJoin e={card} />
    <footer class="card-actions">
      <AcceptInvitation e={card} label="Accept" />
      <a class="button" href={`/brief/${card.enrollment_id}`}>
        Read the brief
      </a>
    </footer>
    {/* Declining cannot be undone from here, and on a phone it sits under Accept. A brand they work with asking
        them into one more campaign (or back into one they left) is declined for that campaign alone. */}
    {card.brand_accepted ? (
      <AskedOnce summary="Decline…" action={`/invitations/${card.enrollment_id}/decline`} submit={`Decline ${card.campaign_name}`}>
        Decline {card.campaign_name}? It leaves your home page and its link and code stop working. Your other campaigns with {card.brand_name} stay as they are.
      </AskedOnce>
    ) : (
      <AskedOnce summary="Decline…" action={`/invitations/${card.enrollment_id}/decline`} submit={`Decline ${card.brand_name}`}>
        Decline every campaign {card.brand_name} invited you to? They leave your home page and their link and code stop working. Only {card.brand_name} can invite you again.
      </AskedOnce>
    )}
  </article>
);

// Brands' requests to extend the usage rights on a post, waiting for an answer: a line each, to the post's page (the
// oldest WAITING_LISTED; answering them brings the next ones here).
const RightsRequests: FC<{ requests: WaitingRequest[] }> = ({ requests }) => (
  <Notice tone="info" title={requests.length === 1 ? 'A brand asks to extend your usage rights' : 'Brands ask to extend your usage rights'}>
    <ul class="checklist">
      {requests.slice(0, WAITING_LISTED).map((r) => (
        <li>
          {r.brand_name} asks for more on your {(STORY_FORMAT_LABELS[r.story_format] ?? r.story_format).toLowerCase()} post for {r.campaign_name}
          {r.fee_minor > 0 ? `, for ${formatMoney(r.fee_minor, r.currency)}` : ''}. <a href={`/submissions/${r.submission_id}#rights-extension`}>Read and answer</a>
        </li>
      ))}
    </ul>
    {requests.length > WAITING_LISTED ? <p class="small">More wait after these, oldest first: they appear here as you answer these.</p> : null}
  </Notice>
);

// `unread`: the brands whose messages wait unread (db/message-threads.ts creatorThreads), with how many.
export const HomePage: FC<Who & { name: string; cards: CampaignCard[]; ended?: EndedEnrollment[]; origin: string; notice?: string; warning?: string; refused?: string; justArchived?: ListedLink; askPayoutDetails?: boolean; payoutDetailsUnreadable?: boolean; rightsRequests?: WaitingRequest[]; unread?: CreatorThreadRow[]; termsWaiting?: TermsToAccept[]; bounties?: CreatorBounty[]; now?: number }> = ({
  who,
  name,
  cards,
  ended = [],
  origin,
  notice,
  warning,
  refused,
  justArchived,
  askPayoutDetails = false,
  payoutDetailsUnreadable = false,
  rightsRequests = [],
  unread = [],
  termsWaiting = [],
  bounties = [],
  now = Date.now(),
}) => (
  <Page title="Home" nav={creatorNav('home')} who={who}>
    <h1 class="page-title">Hi {name.split(' ')[0]}</h1>
    {unread.length > 0 ? (
      <p class="messages-waiting">
        <a href={unread.length === 1 ? `/messages/${unread[0]!.brand_id}` : '/messages'}>
          <span class="count-badge">{formatCount(unread.reduce((n, t) => n + t.unread, 0))}</span>{' '}
          <strong>{unread.reduce((n, t) => n + t.unread, 0) === 1 ? 'unread message' : 'unread messages'}</strong> from {unread.map((t) => t.brand_name).join(', ')}
          <span class="go" aria-hidden="true">
            Read →
          </span>
        </a>
      </p>
    ) : null}
    {notice ? <Notice tone="success">{notice}</Notice> : null}
    {refused ? <Notice tone="warn">{refused}</Notice> : null}
    {justArchived ? (
      <Notice tone="success">
        <form method="post" action={`/links/${justArchived.slug}/restore`} class="undo">
          <p>Archived your link to {linkTarget(justArchived.destination)}. It still works wherever you shared it, and still counts for you: find it under Archived links.</p>
          <button type="submit" class="button button-small">
            Undo
          </button>
        </form>
      </Notice>
    ) : null}
    {warning ? <Notice tone="info">{warning}</Notice> : null}
    {termsWaiting.length > 0 ? <TermsWaiting brands={termsWaiting} /> : null}
    {rightsRequests.length > 0 ? <RightsRequests requests={rightsRequests} /> : null}
    {askPayoutDetails ? (
      <Notice tone="info" title="Where should we send your money?">
        <p>
          {payoutDetailsUnreadable ? (
            <>
              Your payout details can no longer be read (our encryption key changed). <a href="/earnings#payout-details">Enter them again</a> so what you earn isn't held up when a brand pays out.
            </>
          ) : (
            <>
              <a href="/earnings#payout-details">Add your payout details</a> (PayPal, Wise or a bank account) so what you earn isn't held up when a brand pays out.
            </>
          )}
        </p>
      </Notice>
    ) : null}
    {bounties.length > 0 ? <CreatorBounties bounties={bounties} now={now} /> : null}
    {cards.length === 0 ? (
      <section class="card">
        <h2>{ended.length > 0 ? 'No active campaigns' : 'No campaigns yet'}</h2>
        <p>When a brand enrolls you in a campaign, it appears here with your link, code and brief.</p>
      </section>
    ) : (
      <div class="cards">
        {cards.filter(isInvitation).map((card) => (
          <InvitationCard card={card} />
        ))}
        {/* Running campaigns first, ended ones after them. */}
        {cards
          .filter((card) => !isInvitation(card))
          .sort((a, b) => Number(campaignEnded(a, Date.now())) - Number(campaignEnded(b, Date.now())))
          .map((card) => (
            <CampaignCardView card={card} origin={origin} />
          ))}
      </div>
    )}
    {ended.length > 0 ? (
      <section class="card" aria-labelledby="ended-h">
        <h2 id="ended-h">Campaigns you are no longer part of</h2>
        <ul class="checklist">
          {ended.map((e) => (
            <li>
              <strong>{e.campaign_name}</strong> with {e.brand_name}: {e.ended_by === 'enrollment.left' ? 'you left it' : e.ended_by === 'enrollment.declined' ? 'you declined it' : 'the brand ended your part'}
              {e.removed_at ? ` on ${formatDate(e.removed_at, e.timezone)}` : ''}. Your link and code no longer earn.
            </li>
          ))}
        </ul>
        <p class="muted small">
          What you earned before stays yours: see <a href="/earnings">Earnings</a>. Questions about it go to the brand.
        </p>
      </section>
    ) : null}
  </Page>
);

// ---------- Brief ----------

function whatGetsPaid(e: CreatorEnrollment): string {
  const tiers = e.tiers ? (JSON.parse(e.tiers) as CommissionTier[]) : [];
  const tierText =
    tiers.length === 0
      ? 'the brand has not set its rates yet'
      : tiers.map((t, i) => `Tier ${i + 1}: ${formatPercent(t.rateBps)}${t.fromMinor > 0 ? ` from ${formatMoney(t.fromMinor, e.currency)}` : ''}`).join(' · ');
  const fee = formatMoney(e.flat_fee_minor, e.currency);
  switch (e.payment_model) {
    case 'product':
      return 'Product seeding: you receive the product; sales through your link and code are tracked so the brand can offer you a paid tier.';
    case 'flat':
      return `A flat fee of ${fee} for each approved post once it is live.`;
    case 'hybrid':
      return `A flat fee of ${fee} per live post, plus commission on sales — ${tierText}.`;
    default:
      return `Commission on sales through your link or code — ${tierText}.`;
  }
}

// Shown open: the newest few; older ones fold away under them, so the brief itself stays near the top.
const UPDATES_OPEN = 3;

const UpdateItem: FC<{ u: BriefUpdate; timezone: string }> = ({ u, timezone }) => (
  <li class="update">
    <h3>{u.title}</h3>
    <p class="muted small">
      <time datetime={new Date(u.created_at).toISOString()}>{formatDate(u.created_at, timezone)}</time>
    </p>
    <p class="prewrap">{u.body}</p>
  </li>
);

// The brand's news for everyone in the campaign, newest first, as it was mailed.
const BriefUpdates: FC<{ e: CreatorEnrollment; updates: BriefUpdate[] }> = ({ e, updates }) => (
  <section class="card updates" id="updates" aria-labelledby="updates-h">
    <h2 id="updates-h">Updates from {e.brand_name}</h2>
    <ol class="update-list">
      {updates.slice(0, UPDATES_OPEN).map((u) => (
        <UpdateItem u={u} timezone={e.timezone} />
      ))}
    </ol>
    {updates.length > UPDATES_OPEN ? (
      <details class="older-updates">
        <summary>
          {countOf(updates.length - UPDATES_OPEN, 'earlier update')}
        </summary>
        <ol class="update-list">
          {updates.slice(UPDATES_OPEN).map((u) => (
            <UpdateItem u={u} timezone={e.timezone} />
          ))}
        </ol>
      </details>
    ) : null}
  </section>
);

// `unreadMessages`: the brand's messages the creator has not read (db/message-threads.ts), for the Messages line.
export const BriefPage: FC<Who & { e: CreatorEnrollment; updates?: BriefUpdate[]; unreadMessages?: number }> = ({ who, e, updates = [], unreadMessages = 0 }) => {
  const nonNegotiables = JSON.parse(e.non_negotiables) as string[];
  const formats = JSON.parse(e.story_formats) as string[];
  return (
    <Page title={`${e.campaign_name} brief`} nav={creatorNav('home')} who={who}>
      <p class="eyebrow">
        {e.brand_name} · {campaignPhase(e).label}
      </p>
      <h1 class="page-title">{e.campaign_name}</h1>
      <DraftDue e={e} />
      {isInvitation(e) ? null : <GiftLine e={e} />}
      {updates.length > 0 ? <BriefUpdates e={e} updates={updates} /> : null}
      {isInvitation(e) ? null : (
        <p class={unreadMessages > 0 ? 'brief-messages has-unread' : 'brief-messages'}>
          <a href={`/messages/${e.brand_id}`}>
            {unreadMessages > 0 ? (
              <>
                <span class="count-badge">{formatCount(unreadMessages)}</span> <strong>{unreadMessages === 1 ? 'New message' : 'New messages'}</strong> from {e.brand_name}
              </>
            ) : (
              <>
                <strong>Questions about this brief?</strong> Message {e.brand_name}
              </>
            )}
          </a>
        </p>
      )}
      <div class="brief">
        <section class="card">
          <h2>The positioning anchor</h2>
          <p class="lead">{e.positioning_anchor || 'The brand has not written its positioning yet.'}</p>
          <p class="muted small">This is the same for every creator in the network: tell it in your own voice, but keep its meaning.</p>
        </section>
        <section class="card card-accent" aria-labelledby="yours">
          <h2 id="yours">Your section</h2>
          <p>{e.brief_section || 'No personal notes for you yet — use the anchor and formats below.'}</p>
        </section>
        <section class="card">
          <h2>Story formats</h2>
          <ul class="chips">
            {formats.map((f) => (
              <li>{STORY_FORMAT_LABELS[f] ?? f}</li>
            ))}
          </ul>
        </section>
        <section class="card">
          <h2>Non-negotiables</h2>
          <ul class="checklist">
            {nonNegotiables.map((n) => (
              <li>{n}</li>
            ))}
            <li>
              Use the campaign hashtag <code>{e.hashtag}</code> in every caption.
            </li>
            {/* The brand's own rules often state the disclosure already (as a whole tag: not "#adidas"); it is listed once. */}
            {nonNegotiables.some((n) => hasTag(n, e.disclosure_text)) ? null : (
              <li>
                Disclose the partnership with <code>{e.disclosure_text}</code>.
              </li>
            )}
            <RightsAsked e={e} />
          </ul>
        </section>
        <section class="card">
          <h2>Dates and pay</h2>
          <dl class="facts">
            <dt>Runs</dt>
            <dd>
              {/* The end is the moment links close (the start of the day after the last, for a console date): the
                  last day shown is the one before it, so "through Jan 31" is not read as "until Feb 1". */}
              {e.starts_at && e.ends_at
                ? `${formatDate(e.starts_at, e.timezone)} – ${formatDate(e.ends_at - 1, e.timezone)}`
                : e.starts_at
                  ? `From ${formatDate(e.starts_at, e.timezone)}, open-ended`
                  : e.ends_at
                    ? `Through ${formatDate(e.ends_at - 1, e.timezone)}`
                    : 'Open-ended'}
            </dd>
            <dt>What gets paid</dt>
            <dd>{whatGetsPaid(e)}</dd>
            <dt>When</dt>
            <dd>
              Commissions become payable {e.holding_days} days after the order (the return window). Sales count for {e.attribution_window_days} days after a click on your link.
              {e.renewal_months > 0 && e.tiers && (e.payment_model === 'affiliate' || e.payment_model === 'hybrid') ? ` A subscription you bring earns you commission on its payments for ${e.renewal_months === 1 ? 'a month' : `${e.renewal_months} months`} after it starts.` : ''}
              {e.returning_customer_months > 0 && e.tiers && (e.payment_model === 'affiliate' || e.payment_model === 'hybrid')
                ? ` A customer you bring earns you commission on their later orders, even without your code or link, for ${e.returning_customer_months === 1 ? 'a month' : `${e.returning_customer_months} months`} after their first order.`
                : ''}
            </dd>
          </dl>
        </section>
      </div>
      {!isInvitation(e) ? (
        <>
          {campaignEnded(e, Date.now()) ? null : (
            <p>
              <a class="button button-primary" href={`/submissions/new?enrollment=${e.enrollment_id}`}>
                Submit a draft
              </a>
            </p>
          )}
          {/* Asked once more: leaving stops the link and code at once, and only the brand can bring them back. */}
          <AskedOnce summary="Leave this campaign…" action={`/brief/${e.enrollment_id}/leave`} submit={`Leave ${e.campaign_name}`}>
            Leave {e.campaign_name}? Your link and code stop within seconds, orders from now on earn you nothing, drafts waiting for review are withdrawn, and a post approved but not live yet can no longer be marked live. What you earned so far stays yours and is paid as usual. Only {e.brand_name} can ask you back.
          </AskedOnce>
        </>
      ) : (
        <>
          <TermsToJoin e={e} />
          <div class="card-actions">
            <AcceptInvitation e={e} label={`Accept ${e.brand_name}’s invitation`} />
          </div>
        </>
      )}
    </Page>
  );
};

// ---------- Submissions ----------

// The usage rights a campaign asks, as a line of the brief's non-negotiables: granted with each draft.
const RightsAsked: FC<{ e: Pick<CreatorEnrollment, 'usage_rights' | 'brand_name'> }> = ({ e }) => {
  const terms = parseRights(e.usage_rights);
  return terms ? (
    <li>
      <strong>Usage rights:</strong> each draft you send grants them. {rightsInWords(terms, e.brand_name)}
      {terms.note ? <span class="block muted small prewrap">{terms.note}</span> : null}
    </li>
  ) : null;
};

// What a creator granted with a draft, and until when (the end of its last day, on the brand's calendar): the
// terms as first granted, each extension they accepted since in the words they accepted, and where it stands now.
export const RightsGranted: FC<{ terms: UsageRights; inForce: UsageRights; brand: string; grantedAt: number | null; until: number | null; status: SubmissionStatus; timezone: string; extensions?: RightsExtensionRow[]; now?: number }> = ({
  terms,
  inForce,
  brand,
  grantedAt,
  until,
  status,
  timezone,
  extensions = [],
  now = Date.now(),
}) => {
  const state = rightsState(inForce, until, now, status);
  const accepted = extensions.filter((x) => x.status === 'accepted').reverse();
  return (
    <section class="card" aria-labelledby="rights-h">
      <h2 id="rights-h">Usage rights you granted</h2>
      <p>{rightsInWords(terms, brand)}</p>
      {terms.note ? <p class="muted small prewrap">{terms.note}</p> : null}
      {accepted.length > 0 ? (
        <ul class="checklist small">
          {accepted.map((x) => (
            <li>
              <strong>Extended {formatDate(x.answered_at ?? x.created_at, timezone)}:</strong> <span class="prewrap">{x.terms_text}</span>
            </li>
          ))}
        </ul>
      ) : null}
      <p class="small">
        {grantedAt !== null ? <>Granted {formatDate(grantedAt, timezone)}. </> : null}
        {accepted.length > 0 ? <>Now: {scopesInWords(inForce).toLowerCase()}. </> : null}
        {state === 'pending'
          ? terms.days === null
            ? 'They take effect when the brand approves this draft, with no end date.'
            : 'The days start counting when the brand approves this draft, and start again on the day the post first goes live.'
          : state === 'expired'
            ? `Ended ${formatDate((until ?? now) - 1, timezone)}.`
            : until === null
              ? 'No end date.'
              : `Until ${formatDate(until - 1, timezone)}.`}
      </p>
    </section>
  );
};

// A brand's open request to extend the rights on this content: its words (the ones an acceptance keeps, carried by
// the form so words that changed meanwhile are shown again rather than accepted unread), Accept, and Decline with
// an optional note. Both work without script (Decline opens in a <details>).
const RightsRequest: FC<{ id: string; brand: string; request: CreatorRequest; timezone: string; declineNote?: string; errors?: FormError[] }> = ({ id, brand, request, timezone, declineNote, errors }) => {
  const x = request.extension;
  const [terms, ...note] = request.words.split('\n');
  const base = `/submissions/${id}/rights-extension/${x.id}`;
  return (
    <section class="card rights-request" id="rights-extension" aria-labelledby="rights-extension-h">
      <h2 id="rights-extension-h">{brand} asks to extend your usage rights</h2>
      <p id="rights-extension-terms">{terms}</p>
      {note.length > 0 ? <p class="muted prewrap">{note.join('\n')}</p> : null}
      <p class="small muted">Asked {formatDate(x.created_at, timezone)}. Nothing changes unless you accept; what you accept is kept with this post.</p>
      <div class="card-actions">
        <form method="post" action={`${base}/accept`}>
          <input type="hidden" name="words" value={request.words} />
          <button type="submit" class="button button-primary" aria-describedby="rights-extension-terms">
            Accept
          </button>
        </form>
      </div>
      <details class="decline" open={declineNote !== undefined}>
        <summary class="button button-quiet">Decline…</summary>
        <form method="post" action={`${base}/decline`} class="stack">
          <div class="field">
            <label for="declineNote">A note to {brand} (optional)</label>
            <textarea id="declineNote" name="note" rows={3} maxlength={RIGHTS_EXTENSION_NOTE_MAX} aria-invalid={invalidIn(errors, 'declineNote')}>
              {declineNote ?? ''}
            </textarea>
          </div>
          <div>
            <button type="submit" class="button">
              Decline the request
            </button>
          </div>
        </form>
      </details>
    </section>
  );
};

/**
 * The grant on a draft form: the terms spelled out beside the box to tick, and the terms the form was drawn with
 * (a hidden field), so terms the brand changed before the form was sent are shown again, not granted unseen.
 * `carried`: a revision whose earlier grant of these same terms carries over (no box).
 */
const GrantField: FC<{ terms: UsageRights; brand: string; checked: boolean; carried: number | null; errors?: FormError[]; timezone: string }> = ({ terms, brand, checked, carried, errors, timezone }) => (
  <fieldset class="field grant" aria-describedby="grant-terms">
    <legend>Usage rights</legend>
    <input type="hidden" name="drawnRights" value={rightsKey(terms)} />
    <p id="grant-terms">{rightsInWords(terms, brand)}</p>
    {terms.note ? (
      <p id="grant-note" class="muted small prewrap">
        {terms.note}
      </p>
    ) : null}
    {carried !== null ? (
      <p class="small">You granted these rights to this draft on {formatDate(carried, timezone)}; they carry over to the revision.</p>
    ) : (
      <label class="checkbox">
        <input type="checkbox" name="grantRights" id="grantRights" value="1" required checked={checked} aria-describedby={terms.note ? 'grant-terms grant-note' : 'grant-terms'} aria-invalid={invalidIn(errors, 'grantRights')} /> I grant {brand} these rights to this content.
      </label>
    )}
  </fieldset>
);

const ComplianceList: FC<{ checks: ComplianceChecks; hashtag: string; disclosure: string }> = ({ checks, hashtag, disclosure }) => (
  <ul class="compliance">
    <li class={checks.hashtag ? 'ok' : 'missing'}>
      {checks.hashtag ? '✓' : '✗'} Campaign hashtag <code>{hashtag}</code>
    </li>
    <li class={checks.disclosure ? 'ok' : 'missing'}>
      {checks.disclosure ? '✓' : '✗'} Disclosure <code>{disclosure}</code>
    </li>
  </ul>
);

export const SubmissionsPage: FC<Who & { items: CreatorSubmission[]; notice?: string }> = ({ who, items, notice }) => (
  <Page title="Content" nav={creatorNav('submissions')} who={who}>
    <div class="page-head">
      <h1 class="page-title">Your content</h1>
      <a class="button button-primary" href="/submissions/new">
        Submit a draft
      </a>
    </div>
    {notice ? <Notice tone="success">{notice}</Notice> : null}
    {items.length === 0 ? (
      <section class="card">
        <p>Nothing submitted yet. Drafts you submit are reviewed by the brand; you'll see their notes here.</p>
      </section>
    ) : (
      <ul class="list">
        {items.map((s) => {
          const checks = JSON.parse(s.compliance) as ComplianceChecks;
          return (
            <li class="list-item">
              <a href={`/submissions/${s.id}`} class="list-link">
                <span class="list-main">
                  <strong>{s.campaign_name}</strong>
                  <span class="muted small">
                    {STORY_FORMAT_LABELS[s.story_format] ?? s.story_format} · updated {formatDate(s.updated_at)}
                    {!checks.hashtag || !checks.disclosure ? ' · missing hashtag or disclosure' : ''}
                  </span>
                </span>
                <Badge status={s.status} label={STATUS_LABELS[s.status] ?? s.status} />
              </a>
            </li>
          );
        })}
      </ul>
    )}
  </Page>
);

export type DraftForm = { enrollmentId: string; storyFormat: string; draftUrl: string; caption: string; grantRights?: boolean };

export const SubmissionFormPage: FC<
  Who & {
    /** The campaign the draft is for, chosen before the form (CampaignPickerPage). */
    enrollment: CreatorEnrollment | undefined;
    values: DraftForm;
    action: string;
    heading: string;
    errors?: FormError[];
    warning?: { checks: ComplianceChecks; hashtag: string; disclosure: string };
    /** Another open campaign could be picked instead (a new draft of a creator in several). */
    canChange?: boolean;
    /** A revision's earlier grant of the terms the campaign still asks: when it was given (it carries over). */
    grantCarried?: number | null;
    /** A revision of a draft that granted rights to a campaign that asks none now: the grant ends with the old draft. */
    grantLapses?: boolean;
  }
> = ({ who, enrollment: selected, values, action, heading, errors, warning, canChange, grantCarried = null, grantLapses = false }) => {
  // Its story formats, hashtag and disclosure are the form's, with or without the page's script.
  const formats = selected ? (JSON.parse(selected.story_formats) as string[]) : [];
  const rights = selected ? parseRights(selected.usage_rights) : null;
  return (
    <Page title={heading} nav={creatorNav('submissions')} who={who}>
      <h1 class="page-title">{heading}</h1>
      <ErrorSummary errors={errors} />
      {warning ? (
        <Notice tone="warn" title="Your caption is missing something the brief requires">
          <ComplianceList checks={warning.checks} hashtag={warning.hashtag} disclosure={warning.disclosure} />
          <p>Add it to the caption below, or submit anyway and the reviewer will see it flagged.</p>
        </Notice>
      ) : null}
      <form method="post" action={action} class="card stack" data-compliance={selected ? JSON.stringify({ hashtag: selected.hashtag, disclosure: selected.disclosure_text }) : undefined}>
        {selected ? (
          <div class="field">
            <input type="hidden" name="enrollmentId" value={selected.enrollment_id} />
            <p class="field-label">Campaign</p>
            <p>
              {selected.campaign_name} — {selected.brand_name}
              {canChange ? (
                <>
                  {' '}
                  <a href="/submissions/new">Change</a>
                </>
              ) : null}
            </p>
          </div>
        ) : null}
        <fieldset class="field">
          <legend>Story format</legend>
          <div class="radios">
            {formats.map((f, i) => (
              <label class="radio">
                <input type="radio" name="storyFormat" id={i === 0 ? 'storyFormat' : undefined} value={f} required checked={values.storyFormat ? values.storyFormat === f : i === 0} aria-invalid={invalidIn(errors, 'storyFormat')} /> {STORY_FORMAT_LABELS[f] ?? f}
              </label>
            ))}
          </div>
        </fieldset>
        <div class="field">
          <label for="draftUrl">Link to your draft</label>
          <input id="draftUrl" name="draftUrl" type="url" inputmode="url" required placeholder="https://drive.example/your-draft" value={values.draftUrl} maxlength={2048} aria-describedby="draft-hint" aria-invalid={invalidIn(errors, 'draftUrl')} />
          <p id="draft-hint" class="hint">
            A private link the brand can open: Drive, Dropbox, a TikTok draft share link.
          </p>
        </div>
        <div class="field">
          <label for="caption">Caption</label>
          <textarea id="caption" name="caption" rows={6} required maxlength={2200} aria-describedby="caption-hint caption-live" aria-invalid={invalidIn(errors, 'caption')}>
            {values.caption}
          </textarea>
          <p id="caption-hint" class="hint">
            {selected ? (
              <>
                Include <code>{selected.hashtag}</code> and <code>{selected.disclosure_text}</code>.
              </>
            ) : null}
          </p>
          <p id="caption-live" class="hint live-check" aria-live="polite"></p>
        </div>
        {selected && rights ? <GrantField terms={rights} brand={selected.brand_name} checked={values.grantRights === true} carried={grantCarried} errors={errors} timezone={selected.timezone} /> : null}
        {selected && !rights && grantLapses ? (
          <p class="field small" id="grant-lapses">
            {selected.brand_name} no longer asks for usage rights with drafts, so this revision grants none: the rights you granted with the earlier draft end when you send it.
          </p>
        ) : null}
        <div class="form-actions">
          <button type="submit" class="button button-primary">
            Submit for review
          </button>
          {warning ? (
            <button type="submit" name="confirm" value="1" class="button button-quiet">
              Submit anyway
            </button>
          ) : null}
        </div>
      </form>
    </Page>
  );
};

// A link of the creator's own to any page of the brand's shop (a product they show in a post). The brand's
// allowed hosts are named, so a page elsewhere is not tried blind.
export const NewLinkPage: FC<Who & { e: Pick<CreatorEnrollment, 'enrollment_id' | 'campaign_name' | 'brand_name'>; hosts: string[]; value?: string; errors?: FormError[] }> = ({ who, e, hosts, value, errors }) => (
  <Page title="Link to a page" nav={creatorNav('home')} who={who}>
    <h1 class="page-title">Link to a page of the {e.brand_name} shop</h1>
    <ErrorSummary errors={errors} />
    <form method="post" action="/links" class="card stack">
      <input type="hidden" name="enrollmentId" value={e.enrollment_id} />
      <p>
        Showing one product in a post? Send your followers straight to it. Orders through this link count for you in {e.campaign_name}, like your main link.
      </p>
      <div class="field">
        <label for="destination">The page's address</label>
        <input id="destination" name="destination" type="text" inputmode="url" autocomplete="url" required maxlength={2048} placeholder={`https://${hosts.find((h) => !h.startsWith('*.')) ?? hosts[0]?.replace(/^\*\./, 'shop.') ?? 'shop.example'}/products/…`} value={value ?? ''} aria-describedby="destination-hint" aria-invalid={invalidIn(errors, 'destination')} />
        <p id="destination-hint" class="hint">
          Open the page in your browser and copy its address. It must be on {hostsInWords(hosts)}.
        </p>
      </div>
      <div class="form-actions">
        <button type="submit" class="button button-primary">
          Make my link
        </button>
        <a class="button button-quiet" href={`/#c-${e.enrollment_id}`}>
          Back
        </a>
      </div>
    </form>
  </Page>
);

// A creator in several open campaigns picks one first, so the draft form shows that campaign's formats and rules.
export const CampaignPickerPage: FC<Who & { enrollments: CreatorEnrollment[]; warning?: string }> = ({ who, enrollments, warning }) => (
  <Page title="Submit a draft" nav={creatorNav('submissions')} who={who}>
    <h1 class="page-title">Submit a draft</h1>
    {warning ? <Notice tone="warn">{warning}</Notice> : null}
    <form method="get" action="/submissions/new" class="card stack">
      <fieldset class="field">
        <legend>Which campaign is this draft for?</legend>
        <div class="radios radios-stacked">
          {enrollments.map((e, i) => (
            <label class="radio">
              <input type="radio" name="enrollment" value={e.enrollment_id} required checked={i === 0} /> {e.campaign_name} — {e.brand_name}
            </label>
          ))}
        </div>
      </fieldset>
      <div class="form-actions">
        <button type="submit" class="button button-primary">
          Continue
        </button>
      </div>
    </form>
  </Page>
);

const EVENT_TEXT: Record<string, string> = {
  submitted: 'Submitted for review',
  changes_requested: 'Changes requested',
  approved: 'Approved',
  live: 'Went live',
  rejected: 'Rejected',
};

export type SubmissionDetail = Pick<
  SubmissionContext,
  | 'id'
  | 'status'
  | 'story_format'
  | 'draft_url'
  | 'caption'
  | 'review_notes'
  | 'post_url'
  | 'views'
  | 'likes'
  | 'comments'
  | 'saves'
  | 'shares'
  | 'compliance'
  | 'campaign_name'
  | 'hashtag'
  | 'disclosure_text'
  | 'enrollment_id'
  | 'campaign_status'
  | 'campaign_ends_at'
  | 'enrollment_status'
  | 'brand_name'
  | 'rights_terms'
  | 'rights_granted_at'
  | 'rights_until'
  | 'rights_extension_id'
  | 'extended_scopes'
  | 'extended_days'
  | 'extended_at'
  | 'timezone'
>;

const METRICS = ['views', 'likes', 'comments', 'saves', 'shares'] as const;

export const ENDED_POST = 'Posts can no longer be added here, since your link and code have stopped working. If yours went live before the end, send the brand its link: they can still record it.';

// After a refused "Mark as live" or numbers update, the form shows what was typed (`entered`), not the stored values.
export const SubmissionDetailPage: FC<
  Who & {
    s: SubmissionDetail;
    timeline: SubmissionEvent[];
    notice?: string;
    errors?: FormError[];
    entered?: Record<string, string>;
    // The brand's requests to extend the rights on it: every one (the accepted ones are the grant's history), and the open one in words.
    extensions?: { history: RightsExtensionRow[]; open: CreatorRequest | null };
    declineNote?: string;
  }
> = ({ who, s, timeline, notice, errors, entered, extensions, declineNote }) => {
  const checks = JSON.parse(s.compliance) as ComplianceChecks;
  // A rejected draft's grant never started: the brand may not use what it turned down.
  const rights = s.status === 'rejected' ? null : parseRights(s.rights_terms);
  const inForce = termsInForce(s);
  // An ended campaign takes no revised drafts and no new live posts from here (a live post's numbers still update).
  const ended = draftCampaignEnded(s, Date.now());
  // Invited back after leaving: nothing moves from here until the invitation on the home page is accepted.
  const rejoin = !ended && draftAwaitsRejoin(s);
  const closed = ended || rejoin;
  return (
    <Page title="Submission" nav={creatorNav('submissions')} who={who}>
      <p class="eyebrow">{s.campaign_name}</p>
      <div class="page-head">
        <h1 class="page-title">{STORY_FORMAT_LABELS[s.story_format] ?? s.story_format}</h1>
        <Badge status={s.status} label={STATUS_LABELS[s.status] ?? s.status} />
      </div>
      {notice ? <Notice tone="success">{notice}</Notice> : null}
      {errors && errors.length > 0 ? (
        <Notice tone="error">
          <ul>
            {errors.map((e) => (
              <li>{typeof e === 'string' ? e : <a href={`#${e.field}`}>{e.text}</a>}</li>
            ))}
          </ul>
        </Notice>
      ) : null}
      {extensions?.open ? (
        <RightsRequest id={s.id} brand={s.brand_name} request={extensions.open} timezone={s.timezone} declineNote={declineNote} errors={errors} />
      ) : extensions?.history[0]?.status === 'withdrawn' ? (
        // The latest request was withdrawn: the mail's link lands here, on why there is nothing to answer.
        <Notice tone="info" title="Request withdrawn">
          <p id="rights-extension">
            {s.brand_name} withdrew its request to extend your usage rights on {formatDate(extensions.history[0].answered_at ?? extensions.history[0].created_at, s.timezone)}. Nothing changed: the rights you granted stay as they were.
          </p>
        </Notice>
      ) : null}
      {s.review_notes && s.status !== 'live' ? (
        <Notice tone={s.status === 'changes_requested' || s.status === 'rejected' ? 'warn' : 'info'} title="Reviewer's notes">
          <p class="prewrap">{s.review_notes}</p>
        </Notice>
      ) : null}
      {rejoin && (s.status === 'approved' || s.status === 'changes_requested' || s.status === 'rejected') ? (
        <Notice tone="info" title={`${s.brand_name} invited you back`}>
          <p>
            Accept the invitation to {s.campaign_name} on your <a href="/">home page</a> to {s.status === 'approved' ? 'add this post once it is live' : s.status === 'rejected' ? 'send a new draft' : 'revise this draft'}.
          </p>
        </Notice>
      ) : null}
      {s.status === 'rejected' && !closed ? (
        <p>
          This draft is closed. You can still send the brand a different idea for the campaign.{' '}
          <a class="button" href={`/submissions/new?enrollment=${s.enrollment_id}`}>
            Submit a new draft
          </a>
        </p>
      ) : null}
      <div class="two-col">
        <section class="card">
          <h2>Draft</h2>
          <p>
            <a href={s.draft_url} rel="noopener noreferrer nofollow" target="_blank">
              Open draft
            </a>
          </p>
          <h3>Caption</h3>
          <p class="caption prewrap">{s.caption}</p>
          <ComplianceList checks={checks} hashtag={s.hashtag} disclosure={s.disclosure_text} />
          {s.status === 'changes_requested' && !closed ? (
            <p>
              <a class="button button-primary" href={`/submissions/${s.id}/edit`}>
                Revise and resubmit
              </a>
            </p>
          ) : null}
          {s.status === 'changes_requested' && ended ? <p class="muted">{s.campaign_name} has ended, so this draft can no longer be revised.</p> : null}
        </section>
        <section class="card">
          <h2>Timeline</h2>
          <ol class="timeline">
            {timeline.map((t) => (
              <li>
                <span class="timeline-when">{formatDateTime(t.at)}</span>
                <span class="timeline-what">
                  {EVENT_TEXT[t.to_status] ?? t.to_status}
                  {t.actor_type === 'admin' ? ' by the brand' : ''}
                </span>
                {t.note ? <span class="timeline-note prewrap">{t.note}</span> : null}
              </li>
            ))}
          </ol>
        </section>
      </div>
      {s.status === 'approved' && ended ? (
        <section class="card">
          <h2>The campaign has ended</h2>
          <p>{ENDED_POST}</p>
        </section>
      ) : null}
      {(s.status === 'approved' && !closed) || s.status === 'live' ? (
        <section class="card">
          <h2>{s.status === 'approved' ? 'Your post is approved — publish it, then add it here' : 'Post performance'}</h2>
          <form method="post" action={`/submissions/${s.id}/live`} class="stack">
            {s.status === 'approved' ? (
              <div class="field">
                <label for="postUrl">Live post URL</label>
                <input
                  id="postUrl"
                  name="postUrl"
                  type="url"
                  inputmode="url"
                  required
                  pattern="https://.+"
                  title="The https:// link of the live post"
                  value={entered?.postUrl ?? s.post_url ?? ''}
                  maxlength={2048}
                  placeholder="https://www.instagram.com/p/…"
                  aria-invalid={entered ? 'true' : undefined}
                />
              </div>
            ) : (
              <p>
                <a href={s.post_url ?? '#'} rel="noopener noreferrer nofollow" target="_blank">
                  Open the live post
                </a>
              </p>
            )}
            <div class="metrics">
              {METRICS.map((m) => (
                <div class="field">
                  <label for={m}>{m[0]!.toUpperCase() + m.slice(1)}</label>
                  <input id={m} name={m} type="number" inputmode="numeric" min={0} max={1000000000} step={1} value={entered?.[m] ?? String(s[m])} />
                </div>
              ))}
            </div>
            <button type="submit" class="button button-primary">
              {s.status === 'approved' ? 'Mark as live' : 'Update numbers'}
            </button>
          </form>
        </section>
      ) : null}
      {rights && inForce ? <RightsGranted terms={rights} inForce={inForce} brand={s.brand_name} grantedAt={s.rights_granted_at} until={s.rights_until} status={s.status} timezone={s.timezone} extensions={extensions?.history} /> : null}
    </Page>
  );
};

// ---------- Earnings ----------

/** Where the creator is paid: as saved, 'unreadable' when sealed under a SECRETS_KEY changed since, or none yet. */
export type PayoutDetails = SavedPayoutDetails | 'unreadable' | null;

// After a refused save the form shows what was typed (`entered`), not the details on file: a creator who
// pressed Save again would otherwise store the old account believing the new one was kept.
/** Payout details as typed into the form, shown back after a refused save. */
export type EnteredPayoutDetails = { method: string; account: string; holder: string; routing?: string; accountType?: string };

// `namedByLegalName`: their tax details hold a legal name a bank file can write, which it pays under while no holder is given.
// `errorField`: the field a refused save was refused for, marked invalid (the account, when none is named).
const PayoutDetailsForm: FC<{ details: PayoutDetails; entered?: EnteredPayoutDetails; errors?: string[]; errorField?: string; namedByLegalName: boolean }> = ({ details, entered, errors, errorField, namedByLegalName }) => {
  const known = details === 'unreadable' ? null : details;
  const shown = entered ?? known;
  // The refused field (the account when none is named) carries the problem beside it, as the top of the form does.
  const problems: FormError[] = (errors ?? []).map((text) => ({ field: errorField ?? 'account', text }));
  // Bank details saved before the holder's name was asked: a SEPA payment file pays them under the legal name of the
  // tax details if they have one it can write, and not at all otherwise.
  const lacksHolder = known?.method === 'bank_transfer' && !known.holder && !entered;
  const holderNeeded = lacksHolder && !namedByLegalName;
  return (
  <section class="card" aria-labelledby="payout-details">
    <h2 id="payout-details">Where we send your money</h2>
    {errors && errors.length > 0 ? (
      <Notice tone="error">
        <ul>
          {errors.map((e) => (
            <li>{e}</li>
          ))}
        </ul>
      </Notice>
    ) : null}
    <p class="muted small">Stored encrypted. Brands see it only in the payout file their finance team pays from, and we email you whenever it changes.</p>
    {details === 'unreadable' ? <Notice tone="warn">Your payout details are held but can no longer be read (our encryption key changed). Please enter them again.</Notice> : null}
    {holderNeeded ? (
      <Notice tone="warn">Add the account holder's name, as your bank shows it: brands paying by bank file need it, as banks now check it against the account before paying.</Notice>
    ) : lacksHolder ? (
      <Notice tone="info">Add the account holder's name, as your bank shows it: until you do, brands' bank files name the holder by the legal name of your tax details, and banks now check it against the account before paying.</Notice>
    ) : null}
    <form method="post" action="/earnings/payout-details" class="stack">
      <fieldset class="field">
        <legend>Method</legend>
        <div class="radios">
          {Object.entries(PAYOUT_METHOD_LABELS).map(([value, label]) => (
            <label class="radio">
              <input type="radio" name="method" value={value} required checked={shown?.method === value} /> {label}
            </label>
          ))}
        </div>
      </fieldset>
      <div class="field">
        <label for="account">Account</label>
        <input id="account" name="account" type="text" required maxlength={120} value={shown?.account ?? ''} autocomplete="off" aria-describedby={fieldDescribedBy('account', 'account-hint', problems)} aria-invalid={invalidIn(problems, 'account')} />
        <FieldProblem id="account" errors={problems} />
        <p id="account-hint" class="hint">
          Your PayPal or Wise email, your IBAN, or your US account number.
        </p>
      </div>
      <div class="field">
        <label for="routing">Routing number (US bank account)</label>
        <input id="routing" name="routing" type="text" inputmode="numeric" maxlength={20} value={shown?.routing ?? ''} autocomplete="off" aria-describedby={fieldDescribedBy('routing', 'routing-hint', problems)} aria-invalid={invalidIn(problems, 'routing')} />
        <FieldProblem id="routing" errors={problems} />
        <p id="routing-hint" class="hint">
          For a US bank account: the 9-digit ABA routing number (bottom left of a check, or in your bank app).
        </p>
      </div>
      <fieldset class="field">
        <legend>Account type (US bank account)</legend>
        <div class="radios">
          {US_ACCOUNT_TYPES.map((type) => (
            <label class="radio">
              <input type="radio" name="accountType" value={type} checked={shown?.accountType === type} aria-describedby={fieldDescribedBy('accountType', undefined, problems)} aria-invalid={invalidIn(problems, 'accountType')} /> {type === 'checking' ? 'Checking' : 'Savings'}
            </label>
          ))}
        </div>
        <FieldProblem id="accountType" errors={problems} />
      </fieldset>
      <div class="field">
        <label for="holder">Account holder</label>
        <input id="holder" name="holder" type="text" maxlength={SEPA_NAME_MAX} value={shown && 'holder' in shown ? (shown.holder ?? '') : ''} autocomplete="name" aria-describedby={fieldDescribedBy('holder', 'holder-hint', problems)} aria-invalid={holderNeeded ? 'true' : invalidIn(problems, 'holder')} />
        <FieldProblem id="holder" errors={problems} />
        <p id="holder-hint" class="hint">
          For a bank account (IBAN or US): the name your account is held under, as on your bank statement (yours, or your business's). Not needed for PayPal or Wise.
        </p>
      </div>
      <button type="submit" class="button button-primary">
        Save payout details
      </button>
      {entered && known ? <p class="hint">Not saved: payouts still go to {PAYOUT_METHOD_LABELS[known.method] ?? known.method} {maskAccount(known.account)}.</p> : null}
    </form>
  </section>
  );
};

/** The tax details form's state: as stored, and after a refused save what was typed with each field's problem. */
export type TaxDetailsState = { saved: TaxDetails | 'unreadable' | null; entered?: Omit<TaxDetailsEntered, 'taxId' | 'certify'>; problems?: { field: TaxDetailsField; text: string }[] };

const TAX_FIELD_IDS: Record<TaxDetailsField, string> = { legalName: 'tax-legal-name', country: 'tax-country', kind: 'tax-kind-individual', taxId: 'tax-id', certify: 'tax-certify' };

const TaxFieldProblem: FC<{ problems?: TaxDetailsState['problems']; field: TaxDetailsField }> = ({ problems, field }) => {
  const problem = problems?.find((p) => p.field === field);
  return problem ? (
    <p id={`${TAX_FIELD_IDS[field]}-error`} class="field-error">
      {problem.text}
    </p>
  ) : null;
};

// The tax id is never shown back, not even after a refused save: the creator types it again (it is the secret part).
const TaxDetailsForm: FC<{ state: TaxDetailsState }> = ({ state }) => {
  const { saved, entered, problems } = state;
  const known = saved && saved !== 'unreadable' ? maskedTaxDetails(saved) : null;
  const shown = entered ?? (known ? { legalName: known.legalName, country: known.country, kind: known.kind } : undefined);
  const errors: FormError[] = (problems ?? []).map((p) => ({ field: TAX_FIELD_IDS[p.field], text: p.text }));
  const describedBy = (field: TaxDetailsField, hint?: string) => [hint, problems?.some((p) => p.field === field) ? `${TAX_FIELD_IDS[field]}-error` : undefined].filter(Boolean).join(' ') || undefined;
  return (
    <section class="card" aria-labelledby="tax-details">
      <h2 id="tax-details">Tax details</h2>
      <ErrorSummary errors={errors} />
      <p class="muted small">
        Brands need these to report what they pay you (in the US, a 1099-NEC where the law requires one). Stored encrypted; a brand sees them only once you accept it, in the year-end file its finance team files from, and we email you whenever they change.
      </p>
      {known ? (
        <dl class="facts small">
          <dt>On file</dt>
          <dd>
            {known.legalName} · {countryName(known.country)} · {TAX_KINDS[known.kind] ?? known.kind} · tax id {known.taxId}
          </dd>
          <dt>Certified</dt>
          <dd>{formatDateTime(known.certifiedAt)}</dd>
        </dl>
      ) : saved === 'unreadable' ? (
        <Notice tone="warn">Your tax details are held but can no longer be read (our encryption key changed). Please enter them again.</Notice>
      ) : (
        <p class="small">None yet.</p>
      )}
      <form method="post" action="/earnings/tax-details" class="stack">
        <div class="field">
          <label for="tax-legal-name">Legal name</label>
          <input id="tax-legal-name" name="legalName" type="text" required maxlength={LEGAL_NAME_MAX} value={shown?.legalName ?? ''} autocomplete="off" aria-invalid={invalidIn(errors, 'tax-legal-name')} aria-describedby={describedBy('legalName', 'tax-legal-name-hint')} />
          <p id="tax-legal-name-hint" class="hint">
            Yours, or your business's if you are paid as one, as on your tax records.
          </p>
          <TaxFieldProblem problems={problems} field="legalName" />
        </div>
        <div class="field">
          <label for="tax-country">Country you pay tax in</label>
          <select id="tax-country" name="country" required autocomplete="country" aria-invalid={invalidIn(errors, 'tax-country')} aria-describedby={describedBy('country')}>
            <option value="">Choose…</option>
            {COUNTRIES.map(([code, name]) => (
              <option value={code} selected={shown?.country === code}>
                {name}
              </option>
            ))}
          </select>
          <TaxFieldProblem problems={problems} field="country" />
        </div>
        <fieldset class="field">
          <legend>Paid as</legend>
          <div class="radios">
            {Object.entries(TAX_KINDS).map(([value, label]) => (
              <label class="radio">
                <input id={`tax-kind-${value}`} type="radio" name="kind" value={value} required checked={shown?.kind === value} aria-invalid={invalidIn(errors, 'tax-kind-individual')} aria-describedby={describedBy('kind')} /> {label}
              </label>
            ))}
          </div>
          <TaxFieldProblem problems={problems} field="kind" />
        </fieldset>
        <div class="field">
          <label for="tax-id">Tax id</label>
          <input id="tax-id" name="taxId" type="text" required maxlength={TAX_ID_MAX} value="" autocomplete="off" spellcheck={false} aria-invalid={invalidIn(errors, 'tax-id')} aria-describedby={describedBy('taxId', 'tax-id-hint')} />
          <p id="tax-id-hint" class="hint">
            {known ? `Type it again to save changes (on file: ${known.taxId}). ` : ''}Your SSN or EIN in the US, your VAT or national tax number elsewhere.
          </p>
          <TaxFieldProblem problems={problems} field="taxId" />
        </div>
        <div class="field">
          <label class="checkbox">
            <input id="tax-certify" type="checkbox" name="certify" value="yes" required aria-invalid={invalidIn(errors, 'tax-certify')} aria-describedby={describedBy('certify')} /> I certify that this information is correct and that it is mine (or my business's).
          </label>
          <TaxFieldProblem problems={problems} field="certify" />
        </div>
        <button type="submit" class="button button-primary">
          Save tax details
        </button>
      </form>
      {saved ? (
        <form method="post" action="/earnings/tax-details/remove" class="stack">
          <button type="submit" class="button button-small">
            Remove my tax details
          </button>
        </form>
      ) : null}
    </section>
  );
};

// Where a group's money stands. One state reads as a word; a mix names each part's amount.
function earningsStatus(r: EarningsRow): string {
  const from = r.held_from ? formatDate(r.held_from, r.timezone) : null;
  const to = r.held_until ? formatDate(r.held_until, r.timezone) : null;
  // Entries of one group leave their holding period on different days: the first to the last.
  const until = to ? (from && from !== to ? ` until ${from} (all by ${to})` : ` until ${to}`) : '';
  const parts = [
    { amount: r.held, label: `held${until}` },
    { amount: r.payable, label: 'payable' },
    { amount: r.in_payout, label: 'in a payout' },
    { amount: r.paid, label: 'paid' },
  ].filter((p) => p.amount !== 0);
  if (parts.length === 0) return '—';
  if (parts.length === 1) return parts[0]!.label.charAt(0).toUpperCase() + parts[0]!.label.slice(1);
  return parts.map((p) => `${formatMoney(p.amount, r.currency)} ${p.label}`).join(' · ');
}

export const EarningsPage: FC<Who & { ledger: EarningsRow[]; payouts: PayoutRow[]; belowMinimum: BelowMinimum[]; details: PayoutDetails; tax: TaxDetailsState; entered?: EnteredPayoutDetails; errorField?: string; notice?: string; errors?: string[] }> = ({
  who,
  ledger,
  payouts,
  belowMinimum,
  details,
  tax,
  entered,
  errorField,
  notice,
  errors,
}) => {
  const periods = [...new Set(ledger.map((r) => r.period))];
  const years = [...new Set(periods.map((p) => p.slice(0, 4)))];
  return (
    <Page title="Earnings" nav={creatorNav('earnings')} who={who}>
      <h1 class="page-title">Earnings</h1>
      {years.length > 0 ? (
        <p class="small">
          Every entry for your books, as a spreadsheet (CSV):{' '}
          {years.map((y) => (
            <>
              <a href={`/earnings/statement.csv?year=${y}`}>{y} statement</a>
              {' · '}
            </>
          ))}
          <a href="/earnings/statement.csv">all years</a>
        </p>
      ) : null}
      {notice ? <Notice tone="success">{notice}</Notice> : null}
      {!details ? (
        <Notice tone="info" title="Add your payout details">
          <p>Brands pay from a monthly payout file; add where the money should go so nothing waits on you.</p>
        </Notice>
      ) : null}
      {periods.length === 0 ? (
        <section class="card">
          <p>No earnings yet. Commissions appear here as soon as an order through your link or code is recorded.</p>
        </section>
      ) : (
        periods.map((period) => {
          const rows = ledger.filter((r) => r.period === period);
          return (
            <section class="card">
              <h2>{formatPeriod(period)}</h2>
              <div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Brand</th>
                      <th scope="col">Type</th>
                      <th scope="col">Status</th>
                      <th scope="col" class="num">
                        Amount
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((r) => (
                      <tr>
                        <td>{r.brand_name}</td>
                        <td>
                          {EARNING_KIND_LABELS[r.kind] ?? r.kind} <span class="muted small">× {formatCount(r.entries)}</span>
                          {r.notes ? <span class="muted small block">{r.notes}</span> : null}
                        </td>
                        <td class="small">{earningsStatus(r)}</td>
                        <td class={`num ${r.amount < 0 ? 'negative' : ''}`}>{formatMoney(r.amount, r.currency)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </section>
          );
        })
      )}
      <section class="card">
        <h2>Payouts</h2>
        {belowMinimum.map((b) => (
          <p class="small">
            {b.brand_name} pays once what has cleared its holding period comes to {formatMoney(b.minimum, b.currency)} or more. {formatMoney(b.owed, b.currency)} has cleared so far: it carries over to a later month's payout until then.
          </p>
        ))}
        {payouts.length === 0 ? (
          <p class="muted">No payouts yet. Brands close each month and pay what has cleared its holding period.</p>
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Period</th>
                  <th scope="col">Brand</th>
                  <th scope="col">Status</th>
                  <th scope="col" class="num">
                    Amount
                  </th>
                </tr>
              </thead>
              <tbody>
                {payouts.map((p) => (
                  <>
                    <tr class={p.status === 'failed' ? 'has-note' : undefined}>
                      <td>
                        <a href={`/earnings/payouts/${p.id}`}>
                          {formatPeriod(p.period)}
                          <span class="visually-hidden"> payout from {p.brand_name} in {p.currency}: what it paid</span>
                        </a>
                      </td>
                      <td>{p.brand_name}</td>
                      <td>
                        <PayoutStatus status={p.status} paidAt={p.paid_at} timeZone={p.timezone} />
                      </td>
                      <td class="num">{formatMoney(p.amount_minor, p.currency)}</td>
                    </tr>
                    {p.status === 'failed' ? (
                      <tr class="row-note">
                        <td colspan={4}>
                          {p.failure_reason ? `${p.failure_reason.replace(/[.!]+$/, '')}. ` : 'The payment did not go through. '}
                          Check your payout details below; once they are right, {p.brand_name} can retry the payment.
                        </td>
                      </tr>
                    ) : null}
                  </>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <PayoutDetailsForm details={details} entered={entered} errors={errors} errorField={errorField} namedByLegalName={!!tax.saved && tax.saved !== 'unreadable' && sepaName(tax.saved.legalName) !== null} />
      <TaxDetailsForm state={tax} />
    </Page>
  );
};

// One payout's statement (GET /earnings/payouts/:id): what it is, and every entry it paid, to print or keep.
export const PayoutStatementPage: FC<Who & { statement: PayoutStatement }> = ({ who, statement }) => {
  const p = statement.payout;
  return (
    <Page title={`${formatPeriod(p.period)} payout from ${p.brandName}`} nav={creatorNav('earnings')} who={who}>
      <p class="eyebrow no-print">
        <a href="/earnings">Earnings</a> · Payout statement
      </p>
      <h1 class="page-title">
        {formatPeriod(p.period)} payout from {p.brandName}
      </h1>
      <StatementBody statement={statement} csvHref={`/earnings/payouts/${p.id}.csv`}>
        <dt>From</dt>
        <dd>{p.brandName}</dd>
        <dt>Period</dt>
        <dd>{formatPeriod(p.period)}</dd>
      </StatementBody>
    </Page>
  );
};

// The signed-in creator's own account: who they are signed in as, a new password, and signing out elsewhere.
// A brand the creator joined, and whether its campaign news (updates, brief changes) is mailed to them.
export type NewsChoice = { brandId: string; brandName: string; on: boolean };

// What closing the account does to what is owed (db/creator-erasure.ts): a brand and currency the creator is still
// owed something by, and the key of the whole list as it was shown, which the form carries back.
export type CloseAccount = { owed: Owed[]; owedKey: string; error?: string };

export const AccountPage: FC<Who & { name: string; email: string; earningsDigest: boolean; dueReminders: boolean; news: NewsChoice[]; close: CloseAccount; twoStepSince: number | null; notice?: string; error?: string; nameError?: { message: string; typed: string }; emailError?: { message: string; typed: string; field?: 'email' | 'current' } }> = ({
  who,
  name,
  email,
  earningsDigest,
  dueReminders,
  news,
  close,
  twoStepSince,
  notice,
  error,
  nameError,
  emailError,
}) => (
  <Page title="Account" nav={creatorNav('account')} who={who}>
    <h1 class="page-title">Your account</h1>
    {notice ? <Notice tone="success">{notice}</Notice> : null}
    <section class="card stack" aria-labelledby="me-h">
      <h2 id="me-h">Signed in as</h2>
      <dl class="facts">
        <dt>Email</dt>
        <dd>{email}</dd>
      </dl>
      <form method="post" action="/account/name" class="stack">
        {nameError ? <Notice tone="error">{nameError.message}</Notice> : null}
        <div class="field">
          <label for="account-name">Your name</label>
          <input id="account-name" name="name" type="text" required maxlength={80} autocomplete="name" value={nameError?.typed ?? name} aria-describedby="account-name-hint" />
          <p id="account-name-hint" class="hint">
            As the brands you joined see it, beside your handle.
          </p>
        </div>
        <div>
          <button type="submit" class="button">
            Save your name
          </button>
        </div>
      </form>
    </section>
    <section class="card password-card" aria-labelledby="email-h">
      <h2 id="email-h">Change your email</h2>
      <p class="muted small">We email a link to the new address; your email changes when you open it and confirm. Brands you joined see the new one, and the old one hears of the change.</p>
      {emailError ? <Notice tone="error">{emailError.message}</Notice> : null}
      <form method="post" action="/account/email" class="stack">
        <div class="field">
          <label for="new-email">New email</label>
          <input id="new-email" name="email" type="email" required maxlength={254} autocomplete="email" value={emailError?.typed ?? ''} aria-invalid={emailError?.field === 'email' ? 'true' : undefined} />
        </div>
        <div class="field">
          <label for="email-current">Your password</label>
          <input id="email-current" name="current" type="password" required maxlength={256} autocomplete="current-password" aria-invalid={emailError?.field === 'current' ? 'true' : undefined} />
        </div>
        <div>
          <button type="submit" class="button">
            Email me a link to confirm
          </button>
        </div>
      </form>
    </section>
    <section class="card password-card" aria-labelledby="password-h">
      <h2 id="password-h">Change your password</h2>
      <p class="muted small">Every other device signed in to your account is signed out; this one stays.</p>
      {error ? <Notice tone="error">{error}</Notice> : null}
      <NewPasswordForm action="/account/password" email={email} hint="At least 10 characters. A short sentence works well." submit="Change password" current />
    </section>
    <section class="card stack" aria-labelledby="two-step-h">
      <h2 id="two-step-h">Two-step sign-in</h2>
      {twoStepSince === null ? (
        <p>Off. Add a code from an authenticator app on your phone after your password, so a leaked password alone cannot reach your earnings and payout details.</p>
      ) : (
        <p>
          <strong>On</strong> since {formatDate(twoStepSince, 'UTC')}: signing in asks for a code from your authenticator app after your password.
        </p>
      )}
      <p>
        <a class="button" href="/account/two-step">
          {twoStepSince === null ? 'Set up two-step sign-in' : 'Manage two-step sign-in'}
        </a>
      </p>
    </section>
    <section class="card" aria-labelledby="emails-h">
      <h2 id="emails-h">Emails</h2>
      <form method="post" action="/account/emails" class="stack">
        <input type="hidden" name="dueRemindersShown" value="1" />
        <label class="checkbox">
          <input type="checkbox" name="earningsDigest" value="on" checked={earningsDigest} />
          <span>Email me on days I earn: what new orders earned, what refunds took back, and how close the next tier is</span>
        </label>
        <label class="checkbox">
          <input type="checkbox" name="dueReminders" value="on" checked={dueReminders} />
          <span>Remind me three days before a first draft is due, if I have not sent one</span>
        </label>
        <p class="muted small">Sent to {email}: the earnings email at most once a day, a reminder once for each due date.</p>
        {news.length > 0 ? (
          <fieldset class="field">
            <legend>Campaign news by email</legend>
            <p class="hint">The updates and brief changes each brand posts to your campaigns, and the alerts that it sent you a message. Unticked, updates still show on your brief and messages under Messages.</p>
            <div class="checks">
              {news.map((b) => (
                <>
                  <input type="hidden" name="newsBrands" value={b.brandId} />
                  <label class="checkbox">
                    <input type="checkbox" name="news" value={b.brandId} checked={b.on} />
                    <span>
                      {b.brandName}
                      {b.on ? null : <span class="muted"> (stopped)</span>}
                    </span>
                  </label>
                </>
              ))}
            </div>
          </fieldset>
        ) : null}
        <p class="muted small">Payouts, review decisions and changes to your account are always emailed.</p>
        <div>
          <button type="submit" class="button">
            Save
          </button>
        </div>
      </form>
    </section>
    <section class="card" aria-labelledby="devices-h">
      <h2 id="devices-h">Other devices</h2>
      <p>Signed in on a shared computer, or lost a phone? End every sign-in except this one.</p>
      <form method="post" action="/account/sign-out-others">
        <button type="submit" class="button">
          Sign out other devices
        </button>
      </form>
    </section>
    <section class="card stack" aria-labelledby="data-h">
      <h2 id="data-h">Your data</h2>
      <p>Everything Chorus holds about you, in one file you can keep or take elsewhere: your profile (with the email addresses you used before, and whether two-step sign-in is on), the brands and campaigns you joined, your links and codes, clicks per link and day, the orders credited to you with what they earned and what refunds took, your ledger and payouts, your payout details (masked), your drafts and their reviews, usage rights you granted, your messages, gift requests and email choices.</p>
      <p>
        <a class="button" href="/account/data.json" download>
          Download my data (JSON)
        </a>
      </p>
      <p class="muted small">Times are in UTC, money in cents of its currency. Up to {EXPORTS_PER_HOUR} downloads an hour.</p>
    </section>
    <CloseAccountCard close={close} />
  </Page>
);

// Closing the account, with everything it does said before the button: what goes, what the brands keep and why,
// and what the creator is still owed, which they give up only by ticking a box that names it.
const CloseAccountCard: FC<{ close: CloseAccount }> = ({ close }) => {
  const owed = close.owed;
  const total = owed.map((o) => `${formatMoney(o.owedMinor, o.currency)} from ${o.brandName}`).join(', ');
  return (
    <section class="card stack close-account" id="close" aria-labelledby="close-h">
      <h2 id="close-h">Close your account</h2>
      <p>This cannot be undone. Download your data first if you want a copy.</p>
      <ul class="close-list">
        <li>You are signed out everywhere and cannot sign in again. Your email address is freed for a new account, but invitations you stopped (from one brand or from all) stay stopped: that is kept so no brand mails you against your wish, and it still blocks their invitations to the address.</li>
        <li>Your name, email, password, payout details, addresses and profile are erased, with the tags brands gave you, and so are the applications sent from any address this account has had. Your messages to brands read “(Deleted)”. Drafts lose their links and captions, except those you granted a brand usage rights on, which it keeps for its licence.</li>
        <li>Your campaigns end. Your links keep sending shoppers to the brand’s pages (old posts keep working) but count nothing for you; your codes stop working; no order earns you anything from now on, one reported late included.</li>
        <li>The brands you joined are told that a creator closed their account, without your name. They keep the orders, commissions and payouts under “Closed account”, because their bookkeeping needs them.</li>
      </ul>
      {owed.length > 0 ? (
        <div class="owed" role="group" aria-labelledby="owed-h">
          <h3 id="owed-h">You are still owed</h3>
          <ul>
            {owed.map((o) => (
              <li>
                <strong>{formatMoney(o.owedMinor, o.currency)}</strong> from {o.brandName}
                {o.inPayoutsMinor > 0 ? <span class="muted small"> ({formatMoney(o.inPayoutsMinor, o.currency)} of it in a payout not paid yet)</span> : null}
              </li>
            ))}
          </ul>
          <p class="small">Closing now gives this up: it is not paid to you, and the brands record that you gave it up. To be paid, wait until it is paid out (your Earnings page says when), then close your account.</p>
        </div>
      ) : (
        <p class="muted small">No brand owes you anything now.</p>
      )}
      {close.error ? <Notice tone="error">{close.error}</Notice> : null}
      <form method="post" action="/account/close" class="stack">
        <input type="hidden" name="owed" value={close.owedKey} />
        {owed.length > 0 ? (
          <label class="checkbox">
            <input type="checkbox" name="giveUp" value="1" required />
            <span>I give up {total}, and understand it will not be paid to me.</span>
          </label>
        ) : null}
        <div class="field">
          <label for="close-password">Your password</label>
          <input id="close-password" name="password" type="password" required maxlength={256} autocomplete="current-password" />
        </div>
        <div>
          <button type="submit" class="button button-danger">
            Close my account and erase my data
          </button>
        </div>
      </form>
    </section>
  );
};

// After closing: the session is gone, so this page is public and says only what happened.
export const AccountClosedPage: FC = () => (
  <Page title="Account closed">
    <section class="card narrow stack">
      <h1>Your account is closed</h1>
      <p>Your personal data is erased and you are signed out everywhere. The brands you worked with were told, without your name.</p>
      <p class="muted small">If a brand invites you again, you start a new account from its invitation. Invitations you had stopped (from one brand or from all) stay stopped for that address.</p>
    </section>
  </Page>
);
