import type { FC } from 'hono/jsx';
import type { CopyableCreator } from '../../worker/db/campaign-copy';
import { MAX_COPIED_CREATORS } from '../../worker/db/campaign-copy';
import { CAMPAIGN_NAME_MAX } from '../../worker/domain/campaign-slug';
import { countOf, PAYMENT_MODEL_LABELS } from '../format';
import { fieldDescribedBy, FieldProblem, invalidIn, type FormError } from '../layout';
import { CampaignHeader, ConsolePage, Errors, type Viewer } from './layout';

export type CopyFormValues = { name: string; creators: string[] };

// Copy campaign: a new draft for the next wave, with the creators to invite again ticked (all of them, up to the cap).
export const CampaignCopyPage: FC<{
  viewer: Viewer;
  campaign: { id: string; name: string; status: string; hashtag: string };
  // The first of them by handle, at most one copy's worth; `total`: how many there are.
  creators: CopyableCreator[];
  total: number;
  values: CopyFormValues;
  formKey: string;
  errors?: FormError[];
  toReview: number;
}> = ({ viewer, campaign, creators, total, values, formKey, errors, toReview }) => (
  <ConsolePage title={`Copy ${campaign.name}`} viewer={viewer} section="campaigns" toReview={toReview}>
    <CampaignHeader campaign={campaign} brandName={viewer.brandName} />
    <Errors errors={errors} />
    <section class="card stack narrow" aria-labelledby="copy-h">
      <h2 id="copy-h">Copy campaign</h2>
      <p>
        A new campaign in draft for the next wave, with this one's brief, commission plan, payment and holding period, hashtag and disclosure, usage rights, gift settings and the gift products it offers now. Nothing of this wave's
        work comes along: no orders, earnings, drafts, posts, updates, messages, gift requests, applications or bounties (their windows belong to the old wave: create the new wave's on its Bounties tab).
      </p>
      <p class="small">
        Dates of this wave are not copied: the copy has no launch, end or first-drafts due date, and applications start closed. Set them on its brief before you launch it.
      </p>
      <form method="post" action={`/console/campaigns/${campaign.id}/copy`} class="stack">
        <input type="hidden" name="key" value={formKey} />
        <div class="field">
          <label for="name">Name of the copy</label>
          <input id="name" name="name" type="text" required maxlength={CAMPAIGN_NAME_MAX} value={values.name} aria-invalid={invalidIn(errors, 'name')} aria-describedby={fieldDescribedBy('name', undefined, errors)} />
          <FieldProblem id="name" errors={errors} />
        </div>
        <fieldset class="field plain" id="creators" aria-describedby={fieldDescribedBy('creators', 'creators-hint', errors)}>
          <legend>Invite these creators too</legend>
          <p id="creators-hint" class="hint">
            {total === 0
              ? 'Nobody is in this campaign now, so nobody is invited; import creators into the copy later.'
              : `${countOf(total, 'creator')} in this campaign now. Each one ticked gets an invitation to the copy with a new tracked link and code, paid as here, and an email. Removed and erased creators are not listed.`}
            {total > creators.length ? ` One copy invites at most ${MAX_COPIED_CREATORS}: the first ${MAX_COPIED_CREATORS} by handle are listed; import the rest into the copy afterwards.` : null}
          </p>
          <FieldProblem id="creators" errors={errors} />
          {creators.length > 0 ? (
            <div class="checks">
              {creators.map((c) => (
                <label class="checkbox">
                  <input type="checkbox" name="creator" value={c.creator_id} checked={values.creators.includes(c.creator_id)} />
                  <span>
                    @{c.handle} · {c.display_name} <span class="muted small">({PAYMENT_MODEL_LABELS[c.payment_model] ?? c.payment_model}{c.status === 'active' ? '' : `, ${c.status}`})</span>
                  </span>
                </label>
              ))}
            </div>
          ) : null}
        </fieldset>
        <div class="form-actions">
          <button type="submit" class="button button-primary">
            Copy the campaign
          </button>
          <a class="button button-quiet" href={`/console/campaigns/${campaign.id}`}>
            Cancel
          </a>
        </div>
      </form>
    </section>
  </ConsolePage>
);
