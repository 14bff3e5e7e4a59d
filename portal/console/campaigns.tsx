import type { FC } from 'hono/jsx';
import type { CommissionTier } from '../../worker/db/schema';
import { storyFormats } from '../../worker/db/schema';
import { MAX_EARN_MONTHS } from '../../worker/domain/attribution';
import { formatAmount } from '../../worker/domain/store-payloads';
import { UPDATE_BODY_MAX, UPDATE_TITLE_MAX, UPDATES_PER_DAY, type CampaignUpdateRow } from '../../worker/db/campaign-updates';
import { countOf, formatCount, formatDate, formatDateTime, formatMoney, formatPercent, PAYMENT_MODEL_LABELS, STORY_FORMAT_LABELS, tiersInWords } from '../format';
import { invalidIn, Notice, Stat, type FormError } from '../layout';
import { goneActorLabel } from './activity';
import { parseRights, rightsKey, RIGHTS_SCOPES, SCOPE_LABELS, type RightsScope } from '../../worker/domain/usage-rights';
import { CAMPAIGN_STATUS_LABELS, CampaignHeader, CampaignStatus, ConsolePage, Errors, FlashNotice, FormQuestion, Pager, WriteButton, type Flash, type Viewer } from './layout';
import type { CampaignSummary } from '../../worker/routes/portal/console/queries';

// The page shows the summary row as the query returns it.
export type CampaignRow = CampaignSummary;

export type CampaignFormValues = {
  name: string;
  slug: string;
  hashtag: string;
  disclosureText: string;
  storyFormats: string[];
  defaultDestination: string;
  attributionWindowDays: string;
  holdingDays: string;
  renewalMonths: string;
  returningCustomerMonths: string;
  commissionPlanId: string;
  status: string;
  positioningAnchor: string;
  nonNegotiables: string;
  baselineCost: string;
  baselineEngaged: string;
  // The campaign's last day on the brand's calendar (YYYY-MM-DD), or '' for no end date: the brief editor's.
  endsOn: string;
  // The day creators' first drafts are due on the brand's calendar (YYYY-MM-DD), or '' for none: the brief editor's.
  contentDueOn: string;
  // The usage rights asked with each draft (the brief editor's): the uses ticked (none: none asked), how many days
  // ('' for no end) and a note.
  rightsScopes: string[];
  rightsDays: string;
  rightsNote: string;
};

/** The brief form's hidden "as drawn" values (the campaign's usage rights key, its due date in ms or ''). */
export type DrawnBrief = { rights?: string | undefined; contentDueAt?: string | undefined };

export const emptyCampaignForm = (): CampaignFormValues => ({
  name: '',
  slug: '',
  hashtag: '',
  disclosureText: '#ad',
  storyFormats: [...storyFormats],
  defaultDestination: '',
  attributionWindowDays: '30',
  holdingDays: '30',
  renewalMonths: '0',
  returningCustomerMonths: '0',
  commissionPlanId: '',
  status: 'active',
  positioningAnchor: '',
  nonNegotiables: '',
  baselineCost: '',
  baselineEngaged: '',
  endsOn: '',
  contentDueOn: '',
  rightsScopes: [],
  rightsDays: '365',
  rightsNote: '',
});

export type PlanChoice = { id: string; name: string; tiers: string; period: string };

const planSummary = (p: PlanChoice, currency: string) => {
  const tiers = JSON.parse(p.tiers) as CommissionTier[];
  return `${p.name}: ${tiersInWords(tiers, currency)} (${p.period === 'lifetime' ? 'lifetime' : 'monthly'})`;
};

// ---------- Shared fields ----------

const FormatChoices: FC<{ values: CampaignFormValues }> = ({ values }) => (
  <fieldset class="field">
    <legend>Story formats offered</legend>
    <div class="radios">
      {storyFormats.map((f) => (
        <label class="radio">
          <input type="checkbox" name="storyFormats" value={f} checked={values.storyFormats.includes(f)} /> {STORY_FORMAT_LABELS[f] ?? f}
        </label>
      ))}
    </div>
  </fieldset>
);

// Terms brands commonly ask; a term set through the API that is not one of them is offered as it is.
const RIGHTS_TERMS = ['30', '90', '180', '365', '730'];

// The usage rights each draft grants (domain/usage-rights.ts), part of the brief creators read.
const RightsChoices: FC<{ values: CampaignFormValues }> = ({ values }) => (
  <fieldset class="field" aria-describedby="rights-hint">
    <legend>Usage rights asked with each draft</legend>
    <p id="rights-hint" class="hint">
      Creators grant what you tick with every draft they send, and the content library shows what you may use until when. A change applies to drafts sent from now on: past grants keep their terms.
    </p>
    <div class="radios radios-stacked">
      {RIGHTS_SCOPES.map((s) => (
        <label class="radio">
          <input type="checkbox" name="rightsScopes" value={s} checked={values.rightsScopes.includes(s)} /> {SCOPE_LABELS[s]}
          <span class="muted small"> {SCOPE_HINTS[s]}</span>
        </label>
      ))}
    </div>
    <div class="two-fields">
      <div class="field">
        <label for="rightsDays">For how long</label>
        <select id="rightsDays" name="rightsDays" aria-describedby="rights-days-hint">
          {[...RIGHTS_TERMS, ...(values.rightsDays === '' || RIGHTS_TERMS.includes(values.rightsDays) ? [] : [values.rightsDays])].map((d) => (
            <option value={d} selected={values.rightsDays === d}>
              {d === '365' ? '1 year (365 days)' : d === '730' ? '2 years (730 days)' : `${d} days`}
            </option>
          ))}
          <option value="" selected={values.rightsDays === ''}>
            No end date
          </option>
        </select>
        <p id="rights-days-hint" class="hint">
          Counted from the draft's approval, and again from the day the post first goes live, through the end of the last day in your timezone.
        </p>
      </div>
      <div class="field">
        <label for="rightsNote">Note (optional)</label>
        <textarea id="rightsNote" name="rightsNote" rows={2} maxlength={500}>
          {values.rightsNote}
        </textarea>
      </div>
    </div>
  </fieldset>
);

const SCOPE_HINTS: Record<RightsScope, string> = {
  organic: 'on your own accounts',
  paid: 'from your ad accounts',
  partnership: "whitelisted: ads from the creator's handle",
};

const PlanSelect: FC<{ plans: PlanChoice[]; values: CampaignFormValues; currency: string }> = ({ plans, values, currency }) => (
  <div class="field">
    <label for="commissionPlanId">Commission plan</label>
    <select id="commissionPlanId" name="commissionPlanId">
      <option value="" selected={values.commissionPlanId === ''}>
        No commission (product seeding or flat fees only)
      </option>
      {plans.map((p) => (
        <option value={p.id} selected={values.commissionPlanId === p.id}>
          {planSummary(p, currency)}
        </option>
      ))}
    </select>
    <p class="hint">
      <a href="/console/plans">See the plans, or make a new one</a>
    </p>
  </div>
);

const NumberField: FC<{ id: keyof CampaignFormValues; label: string; value: string; min: number; max: number; hint?: string; suffix?: string }> = ({ id, label, value, min, max, hint, suffix }) => (
  <div class="field">
    <label for={id}>{label}</label>
    <div class="input-suffix">
      <input id={id} name={id} type="number" inputmode="numeric" min={min} max={max} step={1} required value={value} aria-describedby={hint ? `${id}-hint` : undefined} />
      {suffix ? <span>{suffix}</span> : null}
    </div>
    {hint ? (
      <p id={`${id}-hint`} class="hint">
        {hint}
      </p>
    ) : null}
  </div>
);

// ---------- Campaign list ----------

export const CampaignsPage: FC<{ viewer: Viewer; canWrite: boolean; campaigns: CampaignRow[]; activeCreators: number; plans: PlanChoice[]; values: CampaignFormValues; errors?: string[]; flash: Flash; toReview: number; hosts: string[] }> = ({
  viewer,
  canWrite,
  campaigns,
  activeCreators,
  plans,
  values,
  errors,
  flash,
  toReview,
  hosts,
}) => {
  const totals = campaigns.reduce((t, c) => ({ live: t.live + c.live, revenue: t.revenue + c.revenue, cost: t.cost + c.cost }), { live: 0, revenue: 0, cost: 0 });
  // The form is the page's main task only while there is nothing else to show, or when it came back with errors;
  // otherwise "New campaign" reveals it through its #fragment (CSS :target), so it works without JavaScript.
  const formOpen = campaigns.length === 0 || (errors?.length ?? 0) > 0;
  return (
    <ConsolePage title="Campaigns" viewer={viewer} section="campaigns" toReview={toReview}>
      <div class="page-head">
        <div>
          <p class="eyebrow">{viewer.brandName}</p>
          <h1 class="page-title">Campaigns</h1>
        </div>
        <div class="form-actions">
          <a class="button button-quiet" href="/console/plans">
            Commission plans
          </a>
          {canWrite && !formOpen ? (
            <a class="button button-primary" href="#new-campaign">
              New campaign
            </a>
          ) : null}
        </div>
      </div>
      <FlashNotice flash={flash} />
      {campaigns.length > 0 ? (
        <div class="stats stats-4">
          <Stat label="Creators active" value={formatCount(activeCreators)} hint="in running campaigns, each once" />
          <Stat label="Posts live" value={formatCount(totals.live)} />
          <Stat label="Attributed revenue" value={formatMoney(totals.revenue, viewer.currency)} />
          <Stat label="Creator cost" value={formatMoney(totals.cost, viewer.currency)} hint="commissions, fees and bonuses" />
        </div>
      ) : null}
      <div class={`console-split${formOpen ? ' is-open' : ''}`}>
        <section aria-labelledby="campaigns-h">
          <h2 id="campaigns-h" class="visually-hidden">
            All campaigns
          </h2>
          {campaigns.length === 0 ? (
            <div class="card empty-state">
              <span class="empty-mark" aria-hidden="true">
                ◗
              </span>
              <h2>No campaigns yet</h2>
              <p>A campaign holds the network brief, the creators you enroll, their links and codes, and the results.</p>
              <ol class="steps">
                <li>
                  <strong>Create the campaign</strong> with its hashtag, destination and commission plan.
                </li>
                <li>
                  <strong>Write the brief</strong>: the positioning anchor and the non-negotiables every creator follows.
                </li>
                <li>
                  <strong>Import your roster</strong> from a spreadsheet and send each creator their invite link.
                </li>
              </ol>
            </div>
          ) : (
            <ul class="campaign-list">
              {campaigns.map((c) => (
                <li class="card campaign-row">
                  <div class="campaign-row-head">
                    <div>
                      <h3>
                        <a href={`/console/campaigns/${c.id}`}>{c.name}</a>
                      </h3>
                      <p class="head-meta">
                        <CampaignStatus status={c.status} />
                        <code>{c.hashtag}</code>
                        <span class="muted small">
                          {c.slug} · created {formatDate(c.created_at, viewer.timezone)}
                          {c.status !== 'ended' && c.ends_at !== null ? ` · last day ${formatDate(c.ends_at - 1, viewer.timezone)}` : ''}
                        </span>
                      </p>
                    </div>
                    <div class="campaign-pills">
                      {c.to_review > 0 ? (
                        <a class="review-pill" href={`/console/review?status=submitted&campaign=${c.id}`}>
                          {formatCount(c.to_review)} {c.to_review === 1 ? 'draft' : 'drafts'} to review
                        </a>
                      ) : (
                        <span class="muted small">No drafts waiting</span>
                      )}
                      {c.overdue > 0 ? (
                        <a class="review-pill overdue-pill" href={`/console/campaigns/${c.id}/network?due=overdue`}>
                          {countOf(c.overdue, 'creator')} overdue with a first draft
                        </a>
                      ) : null}
                      {c.applications > 0 ? (
                        <a class="review-pill" href={`/console/campaigns/${c.id}/applications`}>
                          {countOf(c.applications, 'application')} waiting
                        </a>
                      ) : null}
                    </div>
                  </div>
                  <dl class="mini-stats">
                    <div>
                      <dt>Creators active</dt>
                      <dd>
                        {formatCount(c.active)}
                        <span class="muted"> / {formatCount(c.enrolled)}</span>
                      </dd>
                    </div>
                    <div>
                      <dt>Posts live</dt>
                      <dd>{formatCount(c.live)}</dd>
                    </div>
                    <div>
                      <dt>Unique clicks</dt>
                      <dd>{formatCount(c.clicks)}</dd>
                    </div>
                    <div>
                      <dt>Orders</dt>
                      <dd>{formatCount(c.conversions)}</dd>
                    </div>
                    <div>
                      <dt>Revenue</dt>
                      <dd>{formatMoney(c.revenue, viewer.currency)}</dd>
                    </div>
                    <div>
                      <dt>Creator cost</dt>
                      <dd>{formatMoney(c.cost, viewer.currency)}</dd>
                    </div>
                  </dl>
                  <div class="row-actions">
                    <a class="button button-small" href={`/console/campaigns/${c.id}/network`}>
                      Network results
                    </a>
                    <a class="button button-small button-quiet" href={`/console/campaigns/${c.id}`}>
                      Brief
                    </a>
                    <a class="button button-small button-quiet" href={`/console/campaigns/${c.id}/import`}>
                      Import creators
                    </a>
                  </div>
                </li>
              ))}
            </ul>
          )}
        </section>
        {canWrite ? (
          <section class="card new-campaign" id="new-campaign" aria-labelledby="new-campaign-h">
            <div class="card-head">
              <h2 id="new-campaign-h">New campaign</h2>
              {formOpen ? null : (
                <a href="#main" class="small">
                  Close
                </a>
              )}
            </div>
            <p class="muted small">Write the positioning anchor and non-negotiables on the next page.</p>
            <Errors errors={errors} />
            <form method="post" action="/console/campaigns" class="stack">
              <div class="field">
                <label for="name">Name</label>
                <input id="name" name="name" type="text" required maxlength={120} value={values.name} placeholder="Glow Week" />
              </div>
              <div class="field">
                <label for="slug">Slug</label>
                <input id="slug" name="slug" type="text" maxlength={63} pattern="[a-z0-9][a-z0-9\-]{1,62}" value={values.slug} placeholder="glow-week" aria-describedby="slug-hint" />
                <p id="slug-hint" class="hint">
                  Lowercase, for exports and file names. Left empty, it is made from the name.
                </p>
              </div>
              <div class="two-fields">
                <div class="field">
                  <label for="hashtag">Campaign hashtag</label>
                  <input id="hashtag" name="hashtag" type="text" required maxlength={61} value={values.hashtag} placeholder="#GlowWeek" />
                </div>
                <div class="field">
                  <label for="disclosureText">Disclosure</label>
                  <input id="disclosureText" name="disclosureText" type="text" required maxlength={60} value={values.disclosureText} />
                </div>
              </div>
              <div class="field">
                <label for="defaultDestination">Destination</label>
                <input id="defaultDestination" name="defaultDestination" type="url" inputmode="url" required maxlength={2048} value={values.defaultDestination} placeholder={`https://${hosts[0]?.replace(/^\*\./, 'www.') ?? 'shop.example'}/`} aria-describedby="dest-hint" />
                <p id="dest-hint" class="hint">
                  Where tracked links send shoppers. https on {hosts.join(', ')}.
                </p>
              </div>
              <FormatChoices values={values} />
              <RightsChoices values={values} />
              <PlanSelect plans={plans} values={values} currency={viewer.currency} />
              <div class="two-fields">
                <NumberField id="attributionWindowDays" label="Attribution window" value={values.attributionWindowDays} min={1} max={365} suffix="days" />
                <NumberField id="holdingDays" label="Holding period" value={values.holdingDays} min={0} max={365} suffix="days" />
              </div>
              <fieldset class="field">
                <legend>Start</legend>
                <div class="radios">
                  <label class="radio">
                    <input type="radio" name="status" value="active" checked={values.status !== 'draft'} /> Live now: links and codes work as soon as creators get them
                  </label>
                  <label class="radio">
                    <input type="radio" name="status" value="draft" checked={values.status === 'draft'} /> Draft: brief and onboard creators first, launch later
                  </label>
                </div>
              </fieldset>
              <button type="submit" class="button button-primary button-block">
                Create campaign
              </button>
            </form>
          </section>
        ) : null}
      </div>
    </ConsolePage>
  );
};

// ---------- Brief editor and creator preview ----------

export type PreviewChoice = { enrollmentId: string; label: string };

// The sandbox runs no script anyway; dropping the tags keeps the browser from logging each blocked one.
// Its links and buttons are a picture of the creator's page: without an address or enabled, they take no Tab
// stop and lead nowhere (a link followed inside the frame would load a page the frame cannot show).
const staticPreview = (html: string) =>
  html
    .replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, '')
    .replace(/<a\b([^>]*?)\shref="[^"]*"/gi, '<a$1')
    .replace(/<button\b/gi, '<button disabled');

/** What a launch asks about: how many creators are in (and have accepted the brand), and what the brief lacks. */
export type LaunchCheck = { creators: number; accepted: number; missing: string[] };

export const CampaignBriefPage: FC<{
  viewer: Viewer;
  canWrite: boolean;
  campaign: { id: string; name: string; slug: string; status: string; hashtag: string; content_due_at: number | null; usage_rights: string | null };
  values: CampaignFormValues;
  plans: PlanChoice[];
  hosts: string[];
  errors?: string[];
  flash: Flash;
  toReview: number;
  confirmEnd?: { creators: number };
  confirmLaunch?: LaunchCheck | undefined;
  preview: { html: string; choices: PreviewChoice[]; selected: string | null; sample: boolean };
  /** A re-rendered form's hidden drawn values, as it was first drawn (unset: the campaign's now). */
  drawn?: DrawnBrief | undefined;
}> = ({ viewer, canWrite, campaign, values, plans, hosts, errors, flash, toReview, confirmEnd, confirmLaunch, preview, drawn }) => (
  <ConsolePage title={`${campaign.name} brief`} viewer={viewer} section="campaigns" toReview={toReview}>
    <CampaignHeader campaign={campaign} tab="brief" brandName={viewer.brandName} />
    <FlashNotice flash={flash} />
    <Errors errors={errors} />
    {canWrite ? (
      <p class="form-actions">
        <a class="button button-quiet" href={`/console/campaigns/${campaign.id}/copy`}>
          Copy campaign
        </a>
      </p>
    ) : null}
    {canWrite && confirmLaunch ? (
      <FormQuestion form="brief-form" saveLabel="Save the brief" cancelHref={`/console/campaigns/${campaign.id}`} name="confirmLaunch" tone={confirmLaunch.missing.length > 0 ? 'warn' : 'info'} title={`Launch ${campaign.name}?`} submit="Launch the campaign" submitTone="primary" cancel="Not yet">
        <p>
          Its creators' links and codes start working within seconds, and creators who accepted your brand see the campaign and its brief in their portal. A launched campaign cannot go back to draft; you can end it.
        </p>
        <p>
          {confirmLaunch.creators === 0
            ? 'No creators are in it yet: import your roster before or after the launch.'
            : confirmLaunch.accepted === confirmLaunch.creators
              ? confirmLaunch.creators === 1
                ? 'Its one creator has accepted your brand.'
                : `All ${formatCount(confirmLaunch.creators)} creators have accepted your brand.`
              : `${formatCount(confirmLaunch.accepted)} of its ${countOf(confirmLaunch.creators, 'creator')} have accepted your brand; the others see it once they accept their invitation.`}
        </p>
        {confirmLaunch.missing.length > 0 ? (
          <ul>
            {confirmLaunch.missing.map((m) => (
              <li>{m}</li>
            ))}
          </ul>
        ) : null}
      </FormQuestion>
    ) : null}
    {canWrite && confirmEnd ? (
      <FormQuestion form="brief-form" saveLabel="Save the brief" cancelHref={`/console/campaigns/${campaign.id}`} name="confirmEnd" tone="warn" title={`End ${campaign.name}?`} submit="End the campaign" submitTone="danger" cancel="Keep it running">
        <p>
          The links and codes of its {confirmEnd.creators === 1 ? 'creator' : `${formatCount(confirmEnd.creators)} creators`} stop within seconds, and orders placed from now on earn nothing. Creators can no longer send drafts or add live posts to it. Orders placed before now still count when
          they are reported later, and what creators earned stays theirs. You can set it back to active later.
        </p>
      </FormQuestion>
    ) : null}
    <div class="brief-editor">
      <form method="post" action={`/console/campaigns/${campaign.id}`} class="stack" id="brief-form">
        {/* The status the page was drawn with: a save after someone else launched or ended it is a conflict. */}
        <input type="hidden" name="drawnStatus" value={campaign.status} />
        <input type="hidden" name="drawnRights" value={drawn?.rights ?? rightsKey(parseRights(campaign.usage_rights))} />
        <input type="hidden" name="drawnContentDueAt" value={drawn?.contentDueAt ?? (campaign.content_due_at === null ? '' : String(campaign.content_due_at))} />
        <fieldset class="card stack" disabled={!canWrite}>
          <legend class="card-legend">The network brief</legend>
          <p class="muted small">
            The same for every creator in the network. Each creator's own section comes from the roster import. News that is not part of the brief (a launch date, a code that now works on bundles) goes in an{' '}
            <a href={`/console/campaigns/${campaign.id}/updates`}>update</a>.
          </p>
          <div class="field">
            <label for="positioningAnchor">Positioning anchor</label>
            <textarea id="positioningAnchor" name="positioningAnchor" rows={6} maxlength={4000} aria-describedby="anchor-hint">
              {values.positioningAnchor}
            </textarea>
            <p id="anchor-hint" class="hint">
              What the product is, who it is for and what you promise. Creators tell it in their own voice but keep its meaning.
            </p>
          </div>
          <div class="field">
            <label for="nonNegotiables">Non-negotiables</label>
            <textarea id="nonNegotiables" name="nonNegotiables" rows={5} maxlength={16000} aria-describedby="nn-hint">
              {values.nonNegotiables}
            </textarea>
            <p id="nn-hint" class="hint">
              One per line, up to 30. The hashtag and disclosure rules are added automatically.
            </p>
          </div>
          <div class="two-fields">
            <div class="field">
              <label for="hashtag">Campaign hashtag</label>
              <input id="hashtag" name="hashtag" type="text" required maxlength={61} value={values.hashtag} />
            </div>
            <div class="field">
              <label for="disclosureText">Disclosure</label>
              <input id="disclosureText" name="disclosureText" type="text" required maxlength={60} value={values.disclosureText} />
            </div>
          </div>
          <FormatChoices values={values} />
          <RightsChoices values={values} />
        </fieldset>
        <fieldset class="card stack" disabled={!canWrite}>
          <legend class="card-legend">Links, money and status</legend>
          <div class="two-fields">
            <div class="field">
              <label for="name">Campaign name</label>
              <input id="name" name="name" type="text" required maxlength={120} value={values.name} />
            </div>
            <div class="field">
              <label for="status">Status</label>
              <select id="status" name="status" aria-describedby={campaign.status === 'draft' ? 'status-hint' : undefined}>
                {(campaign.status === 'draft' ? ['draft', 'active', 'ended'] : ['active', 'ended']).map((s) => (
                  <option value={s} selected={values.status === s}>
                    {CAMPAIGN_STATUS_LABELS[s]}
                  </option>
                ))}
              </select>
              {campaign.status === 'draft' && (
                <p id="status-hint" class="hint">
                  Links and codes stay closed until you launch it.
                </p>
              )}
            </div>
          </div>
          {campaign.status === 'ended' ? null : (
            <div class="field">
              <label for="endsOn">Last day (optional)</label>
              <input id="endsOn" name="endsOn" type="date" class="narrow-input" value={values.endsOn} min="2000-01-01" max="2199-12-31" aria-describedby="ends-hint" />
              <p id="ends-hint" class="hint">
                Links and codes stop at the end of this day ({viewer.timezone}); orders placed until then still count. Empty: it runs until you end it.
              </p>
            </div>
          )}
          {campaign.status === 'ended' ? null : (
            <div class="field">
              <label for="contentDueOn">First drafts due (optional)</label>
              <input id="contentDueOn" name="contentDueOn" type="date" class="narrow-input" value={values.contentDueOn} min="2000-01-01" max="2199-12-31" aria-describedby="due-hint" />
              <p id="due-hint" class="hint">
                By the end of this day ({viewer.timezone}). The Network tab marks who has sent no draft as due, then overdue, and each such creator is emailed a reminder three days before. Give one
                creator a later day on their page. Empty: no due date.
              </p>
            </div>
          )}
          <div class="field">
            <label for="defaultDestination">Destination</label>
            <input id="defaultDestination" name="defaultDestination" type="url" inputmode="url" required maxlength={2048} value={values.defaultDestination} aria-describedby="dest-hint" />
            <p id="dest-hint" class="hint">
              https on {hosts.join(', ')}. New links use it; links already handed out keep theirs.
            </p>
          </div>
          <PlanSelect plans={plans} values={values} currency={viewer.currency} />
          <div class="two-fields">
            <NumberField id="attributionWindowDays" label="Attribution window" value={values.attributionWindowDays} min={1} max={365} suffix="days" hint="A sale counts for a creator this long after a click." />
            <NumberField id="holdingDays" label="Holding period" value={values.holdingDays} min={0} max={365} suffix="days" hint="Commissions become payable after the return window." />
          </div>
          <NumberField
            id="renewalMonths"
            label="Subscription renewals earn for"
            value={values.renewalMonths}
            min={0}
            max={MAX_EARN_MONTHS}
            suffix="months"
            hint="Stripe subscriptions: a subscription's payments earn the creator who brought it this long after it started. 0: the first payment only."
          />
          <NumberField
            id="returningCustomerMonths"
            label="Returning customers earn for"
            value={values.returningCustomerMonths}
            min={0}
            max={MAX_EARN_MONTHS}
            suffix="months"
            hint="A customer's later orders with no code or link earn the creator who brought them this long after their first order (by the store's customer id). 0: off. Applies to orders recorded from now on."
          />
          <div class="two-fields">
            <div class="field">
              <label for="baselineCost">Mid-tier baseline cost</label>
              <div class="input-suffix">
                <input id="baselineCost" name="baselineCost" type="text" inputmode="decimal" maxlength={20} value={values.baselineCost} placeholder="5000.00" aria-describedby="baseline-hint" />
                <span>{viewer.currency}</span>
              </div>
            </div>
            <div class="field">
              <label for="baselineEngaged">Baseline engaged audience</label>
              <input id="baselineEngaged" name="baselineEngaged" type="number" inputmode="numeric" min={0} max={1000000000} step={1} value={values.baselineEngaged} placeholder="2000" aria-describedby="baseline-hint" />
            </div>
          </div>
          <p id="baseline-hint" class="hint">
            What one mid-tier placement cost you and how many people engaged (comments, saves, shares). The network page compares your cost per engagement with it. Leave both empty to skip.
          </p>
        </fieldset>
        {canWrite ? (
          <div class="form-actions sticky-actions">
            <button type="submit" class="button button-primary">
              Save the brief
            </button>
            {campaign.status === 'active' ? (
              <label class="checkbox small">
                <input type="checkbox" name="notifyCreators" value="1" /> Email its creators that the brief changed
              </label>
            ) : (
              <span class="muted small">Creators see changes the next time they open their brief.</span>
            )}
          </div>
        ) : null}
      </form>
      <aside class="preview" aria-labelledby="preview-h">
        <div class="preview-head">
          <h2 id="preview-h">What a creator sees</h2>
          {preview.choices.length > 0 ? (
            <form method="get" action={`/console/campaigns/${campaign.id}`} class="preview-pick">
              <label for="as" class="visually-hidden">
                Preview as
              </label>
              <select id="as" name="as">
                {preview.choices.map((ch) => (
                  <option value={ch.enrollmentId} selected={ch.enrollmentId === preview.selected}>
                    {ch.label}
                  </option>
                ))}
              </select>
              <button type="submit" class="button button-small">
                Show
              </button>
            </form>
          ) : null}
        </div>
        <p class="muted small">
          {preview.sample ? 'No creators enrolled yet: this is the brief with a sample creator.' : 'Their brief page as saved, on a phone. Their own section comes from the roster.'}
        </p>
        <div class="phone">
          <iframe title="Creator brief preview" srcdoc={staticPreview(preview.html)} sandbox="allow-same-origin" width="390" height="780"></iframe>
        </div>
      </aside>
    </div>
  </ConsolePage>
);

export const moneyInput = (minor: number | null, currency: string) => (minor === null ? '' : formatAmount(minor, currency));

export const paymentLabel = (model: string) => PAYMENT_MODEL_LABELS[model] ?? model;

// ---------- Updates to the campaign's creators ----------

export type UpdateFormValues = { title: string; body: string };

/** What the day's limit leaves: how many more may go out now, and when the next may once none is left. */
export type UpdateAllowance = { left: number; nextAt: number | null };

export const CampaignUpdatesPage: FC<{
  viewer: Viewer;
  canWrite: boolean;
  campaign: { id: string; name: string; status: string; hashtag: string };
  updates: CampaignUpdateRow[];
  // Creators who accepted your brand and are in the campaign and take its news by email: who a post emails.
  audience: number;
  // Those in the campaign who stopped the brand's campaign news by email: they read it on the brief only.
  newsStopped: number;
  allowance: UpdateAllowance;
  values: UpdateFormValues;
  formKey: string;
  errors?: FormError[];
  flash: Flash;
  toReview: number;
  pages: { newest: string | null; older: string | null };
}> = ({ viewer, canWrite, campaign, updates, audience, newsStopped, allowance, values, formKey, errors, flash, toReview, pages }) => {
  const full = allowance.left === 0 && allowance.nextAt !== null ? `${UPDATES_PER_DAY} updates went out in the last 24 hours; the next can go from ${formatDateTime(allowance.nextAt, viewer.timezone)}.` : undefined;
  return (
    <ConsolePage title={`${campaign.name} updates`} viewer={viewer} section="campaigns" toReview={toReview}>
      <CampaignHeader campaign={campaign} tab="updates" brandName={viewer.brandName} />
      <FlashNotice flash={flash} />
      <Errors errors={errors} />
      <div class={canWrite ? 'updates-layout' : undefined}>
        {canWrite ? (
          <section class="card post-update" aria-labelledby="post-h">
            <h2 id="post-h">Post an update</h2>
            <p class="small">
              {audience === 0 && newsStopped === 0
                ? 'No creator has accepted your brand in this campaign yet, so nobody is emailed now. The update stays on the brief, where they read it when they join.'
                : audience === 0
                  ? 'Everyone in this campaign who accepted your brand turned off your campaign-news emails, so nobody is emailed. The update stays on their brief.'
                  : `Emailed now, one mail each, to the ${countOf(audience, 'creator')} who accepted your brand and ${audience === 1 ? 'is' : 'are'} in this campaign (paused and benched ones too), and kept on their brief.`}
              {audience > 0 && newsStopped > 0 ? ` ${countOf(newsStopped, 'creator')} who turned off your campaign-news emails ${newsStopped === 1 ? 'reads' : 'read'} it there only.` : null}
            </p>
            {/* Said before the form too: on a phone its button is a screen away. */}
            {full ? (
              <p id="allowance-full" class="small warn-text">
                {full}
              </p>
            ) : null}
            <form method="post" action={`/console/campaigns/${campaign.id}/updates`} class="stack">
              <input type="hidden" name="key" value={formKey} />
              <div class="field">
                <label for="title">Title</label>
                <input id="title" name="title" type="text" required maxlength={UPDATE_TITLE_MAX} value={values.title} placeholder="New shade launches Friday" aria-describedby="title-hint" aria-invalid={invalidIn(errors, 'title')} />
                <p id="title-hint" class="hint">
                  The mail's subject, after “{viewer.brandName}:”.
                </p>
              </div>
              <div class="field">
                <label for="body">Update</label>
                <textarea id="body" name="body" rows={8} required maxlength={UPDATE_BODY_MAX} aria-describedby="body-hint" aria-invalid={invalidIn(errors, 'body')} placeholder="Post between Friday and Sunday, and tag the shade by name.">
                  {values.body}
                </textarea>
                <p id="body-hint" class="hint">
                  Plain text, up to {formatCount(UPDATE_BODY_MAX)} characters; line breaks are kept.
                </p>
              </div>
              <div class="form-actions">
                <WriteButton canWrite={canWrite} notYet={full} class="button button-primary" describedBy={full ? 'allowance-full allowance' : 'allowance'}>
                  {audience === 0 ? 'Post the update' : `Post and email ${countOf(audience, 'creator')}`}
                </WriteButton>
                <span id="allowance" class="muted small">
                  {allowance.left} of {UPDATES_PER_DAY} left in any 24 hours
                </span>
              </div>
            </form>
          </section>
        ) : null}
        <section aria-labelledby="past-h">
          <h2 id="past-h" class="section-title">
            Past updates
          </h2>
          {updates.length === 0 ? (
            <div class="card empty-state">
              <p>
                No updates yet. Use one for news that is not part of the brief: a launch date, a code that now works on bundles, when to post. Creators get it by email and find it on their brief.
              </p>
            </div>
          ) : (
            <ol class="update-list">
              {updates.map((u) => (
                <li class="card update" id={u.id}>
                  <div class="update-head">
                    <h3>{u.title}</h3>
                    <span class="muted small">{formatDateTime(u.created_at, viewer.timezone)}</span>
                  </div>
                  <p class="muted small">
                    {u.author_name ?? goneActorLabel(u.author_type)} · {u.mailed === 0 ? 'mailed to nobody (no creator had accepted)' : `mail sent to ${countOf(u.mailed, 'creator')}`}
                  </p>
                  <p class="prewrap update-body">{u.body}</p>
                </li>
              ))}
            </ol>
          )}
          <Pager newest={pages.newest} older={pages.older} olderLabel="Older updates" />
        </section>
      </div>
    </ConsolePage>
  );
};
