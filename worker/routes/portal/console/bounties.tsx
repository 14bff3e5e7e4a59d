// A campaign's Bounties tab (db/bounties.ts): the list with who reached each, creating one, archiving one.
import { Hono } from 'hono';
import { CampaignBountiesPage, type BountyFormValues } from '../../../../portal/console/bounties';
import type { Flash } from '../../../../portal/console/layout';
import type { FormError } from '../../../../portal/layout';
import { archiveBounty, BOUNTY_TITLE_MAX, bountyPosition, createBounty, listBounties, loadBounty, MAX_BOUNTY_REWARD_MINOR, MAX_BOUNTY_TARGET, windowProblem, type BountyInput } from '../../../db/bounties';
import { campaignEnded } from '../../../domain/codes';
import { dayEnd, dayOf, dayStart, isDay, zoneOrUtc } from '../../../domain/periods';
import { formatAmount, typedAmountToMinor } from '../../../domain/store-payloads';
import { decodeCursor, pageOf } from '../../../lib/cursor';
import { FORM_KEY, randomToken } from '../../../lib/ids';
import { ApiError, notFound } from '../../../lib/errors';
import { plainText } from '../../../lib/validate';
import { campaignOr404, viewerOf } from './campaigns';
import { canWrite, flashOf, readForm, renderPage, withFlash, type ConsoleContext, type ConsoleEnv } from './context';
import { awaitingReview, type CampaignRecord } from './queries';

export const bountyRoutes = new Hono<ConsoleEnv>();

const BOUNTIES_PAGE = 20;
const bountiesPath = (campaignId: string) => `/console/campaigns/${campaignId}/bounties`;
const FLASH: Record<string, Flash> = {
  created: { tone: 'success', text: 'Bounty created. Creators in this campaign see it on their home page with their progress; whoever reaches it is paid within 15 minutes of their orders clearing the holding period.' },
  created_already: { tone: 'info', text: 'That bounty was created already (its form was sent twice), so it was not created again.' },
  archived: { tone: 'success', text: 'Bounty archived. Nobody else is awarded it, and creators no longer see it; rewards already paid stay paid.' },
};
const titleSchema = plainText(BOUNTY_TITLE_MAX, 'one', `A title is at most ${BOUNTY_TITLE_MAX} characters.`).min(1, 'Give the bounty a title.');

async function renderBounties(c: ConsoleContext, campaign: CampaignRecord, opts: { values?: BountyFormValues; errors?: FormError[]; status?: 200 | 409 | 422 } = {}) {
  const { brandId, timezone } = c.var.user;
  const after = opts.status ? undefined : (decodeCursor(c.req.query('cursor') ?? '') ?? undefined);
  const now = Date.now();
  const [rows, toReview] = await Promise.all([listBounties(c.env.DB, brandId, campaign.id, { after, limit: BOUNTIES_PAGE + 1 }), awaitingReview(c.env.DB, brandId)]);
  const page = pageOf(rows, BOUNTIES_PAGE, bountyPosition);
  const path = bountiesPath(campaign.id);
  return renderPage(
    c,
    <CampaignBountiesPage
      viewer={viewerOf(c)}
      canWrite={canWrite(c.var.user)}
      campaign={campaign}
      bounties={page.rows}
      formKey={randomToken(16)}
      values={opts.values ?? { title: '', metric: 'sales', target: '', reward: '', startsOn: dayOf(now, zoneOrUtc(timezone)), endsOn: '' }}
      errors={opts.errors}
      flash={opts.status ? null : flashOf(FLASH, c)}
      toReview={toReview}
      now={now}
      pages={{ newest: after ? path : null, older: page.nextCursor ? `${path}?cursor=${page.nextCursor}` : null }}
    />,
    opts.status ?? 200,
  );
}

const ENDED = 'This campaign has ended, so it takes no new bounties.';

// The form's fields as a bounty, with an error beside each field that does not pass; nothing is written on any.
function readBounty(values: BountyFormValues, currency: string, timeZone: string, now: number, campaignEndsAt: number | null): { input: BountyInput | null; errors: FormError[] } {
  const errors: FormError[] = [];
  const title = titleSchema.safeParse(values.title);
  if (!title.success) errors.push({ field: 'title', text: title.error.issues[0]!.message });
  const metric = values.metric === 'revenue' ? 'revenue' : values.metric === 'sales' ? 'sales' : null;
  if (!metric) errors.push({ field: 'metric', text: 'Pick sales or revenue.' });
  const target = metric === 'revenue' ? typedAmountToMinor(values.target, currency) : /^\d{1,10}$/.test(values.target.trim()) ? Number(values.target.trim()) : null;
  if (target === null || target < 1 || target > MAX_BOUNTY_TARGET) {
    errors.push({ field: 'target', text: metric === 'revenue' ? `The target is an amount in ${currency} above zero, like 1000 or 1000.00.` : 'The target is a whole number of sales, 1 or more.' });
  }
  const reward = typedAmountToMinor(values.reward, currency);
  if (reward === null || reward < 1 || reward > MAX_BOUNTY_REWARD_MINOR) errors.push({ field: 'reward', text: `The reward is an amount in ${currency} above zero and at most ${formatAmount(MAX_BOUNTY_REWARD_MINOR, currency)}.` });
  const zone = zoneOrUtc(timeZone);
  if (!isDay(values.startsOn)) errors.push({ field: 'startsOn', text: 'Pick the first day orders count.' });
  if (!isDay(values.endsOn)) errors.push({ field: 'endsOn', text: 'Pick the last day orders count.' });
  const startsAt = isDay(values.startsOn) ? dayStart(values.startsOn, zone) : null;
  const endsAt = isDay(values.endsOn) ? dayEnd(values.endsOn, zone) : null;
  if (startsAt !== null && endsAt !== null && endsAt <= startsAt) errors.push({ field: 'endsOn', text: 'The last day is on or after the first.' });
  else if (endsAt !== null && endsAt <= now) errors.push({ field: 'endsOn', text: 'The last day has passed: pick today or later.' });
  else if (startsAt !== null && endsAt !== null && windowProblem(startsAt, endsAt, now)) errors.push({ field: 'endsOn', text: 'A bounty runs at most 366 days: pick an earlier last day.' });
  else if (endsAt !== null && campaignEndsAt !== null && endsAt > campaignEndsAt) errors.push({ field: 'endsOn', text: `The campaign ends on ${dayOf(campaignEndsAt - 1, zone)}: pick that day or earlier.` });
  if (errors.length > 0 || !title.success || !metric || target === null || reward === null || startsAt === null || endsAt === null) return { input: null, errors };
  return { input: { title: title.data, metric, target, rewardMinor: reward, startsAt, endsAt }, errors };
}

bountyRoutes.get('/campaigns/:id/bounties', async (c) => renderBounties(c, await campaignOr404(c, c.req.param('id'))));

bountyRoutes.post('/campaigns/:id/bounties', async (c) => {
  const campaign = await campaignOr404(c, c.req.param('id'));
  const form = await readForm(c);
  // Shown back as typed, bounded.
  const values: BountyFormValues = {
    title: form.get('title').slice(0, 1000),
    metric: form.get('metric').slice(0, 16),
    target: form.get('target').slice(0, 32),
    reward: form.get('reward').slice(0, 32),
    startsOn: form.get('startsOn').trim().slice(0, 32),
    endsOn: form.get('endsOn').trim().slice(0, 32),
  };
  const key = form.get('key');
  const { user } = c.var;
  const now = Date.now();
  const { input, errors } = readBounty(values, user.currency, user.timezone, now, campaign.ends_at);
  if (!FORM_KEY.test(key)) errors.push('The form was missing a part. Reload the page and create it again.');
  // A replay of a form that created its bounty lands on the tab, even once the campaign has ended since.
  if (campaignEnded({ campaign_status: campaign.status, ends_at: campaign.ends_at }, now) && !(input && FORM_KEY.test(key))) return renderBounties(c, campaign, { values, errors: [ENDED], status: 409 });
  if (!input || !FORM_KEY.test(key)) return renderBounties(c, campaign, { values, errors, status: 422 });
  let made;
  try {
    made = await createBounty(c.env.DB, user.brandId, campaign.id, input, { type: 'admin_user', id: user.id }, now, key);
  } catch (e) {
    if (e instanceof ApiError && e.code === 'campaign_ended') return renderBounties(c, await campaignOr404(c, campaign.id), { values, errors: [ENDED], status: 409 });
    if (e instanceof ApiError && e.code === 'validation_failed') return renderBounties(c, await campaignOr404(c, campaign.id), { values, errors: [{ field: 'endsOn', text: 'The campaign now ends before that day: pick an earlier last day.' }], status: 422 });
    throw e;
  }
  if (!made) throw notFound('campaign');
  if (made.outcome === 'key_reused') return renderBounties(c, campaign, { values, errors: [`This form already created “${made.bounty.title}”. To create what you typed below as another bounty, create it again.`], status: 409 });
  return c.redirect(withFlash(bountiesPath(campaign.id), made.outcome === 'created' ? 'created' : 'created_already'), 303);
});

bountyRoutes.post('/campaigns/:id/bounties/:bountyId/archive', async (c) => {
  const campaign = await campaignOr404(c, c.req.param('id'));
  const { user } = c.var;
  const bounty = await loadBounty(c.env.DB, user.brandId, c.req.param('bountyId'));
  if (!bounty || bounty.campaign_id !== campaign.id) throw notFound('bounty');
  await archiveBounty(c.env.DB, user.brandId, bounty.id, { type: 'admin_user', id: user.id }, Date.now());
  return c.redirect(withFlash(bountiesPath(campaign.id), 'archived'), 303);
});
