// A creator's page in the console: the network ranking's names and suggested moves lead here. The form is
// PATCH /api/admin/enrollments/:id (updateEnrollment); the buttons are the roster's invite and password-reset
// calls. POST-redirect-GET with a flash, except a new invite link, which is shown once on the page it made.
import { mailOrigin, publicOrigin } from '../../../env';
import { Hono } from 'hono';
import { acceptedSql, currentVersionSql } from '../../../db/program-terms';
import { sharedTaxDetailsSql } from '../../../db/tax-details';
import { taxDetailsStatus, type TaxDetails } from '../../../domain/tax-details';
import { openSealedJson } from '../../../lib/secrets';
import { CreatorPage, SUGGESTIONS, type CreatorPageData, type DrawnEnrollment, type EnrollmentFormValues } from '../../../../portal/console/creator';
import { moneyInput } from '../../../../portal/console/campaigns';
import type { Flash } from '../../../../portal/console/layout';
import { MAX_MAILED_LINKS_PER_BRAND_PER_DAY, MAX_MAILED_LINKS_PER_DAY, type MailRefusal } from '../../../db/account-tokens';
import type { enrollmentStatuses, paymentModels } from '../../../db/schema';
import { typedAmountToMinor } from '../../../domain/store-payloads';
import { ApiError, notFound } from '../../../lib/errors';
import { eraseOnRequest, inviteLink, passwordLink } from '../../admin/creators';
import { adjustmentBody, enrollmentChange, tellAdjustment, updateEnrollment } from '../../admin/enrollments';
import { createTrackedLink, LINK_SLUG, updateTrackedLink } from '../../admin/links';
import { addAdjustment, MAX_ADJUSTMENT_MINOR, recentAdjustments } from '../../../db/adjustments';
import { FORM_KEY, randomToken } from '../../../lib/ids';
import { formatMoney } from '../../../../portal/format';
import { campaignOr404, viewerOf } from './campaigns';
import { canWrite, readForm, renderPage, requireOwner, withFlash, type ConsoleContext, type ConsoleEnv, flashOf, refuseWithoutOrigin } from './context';
import { awaitingReview, type CampaignRecord } from './queries';
import { creatorMessagesArea, MESSAGE_SENT, sendAsTeammate } from './messages';
import type { FormError } from '../../../../portal/layout';
import { parseTags, setCreatorTags, tagsJsonSql } from '../../../db/creator-tags';
import { MAX_TAG_FIELD_LENGTH, MAX_TAGS_PER_CREATOR, splitTagList } from '../../../domain/creator-tags';
import { isSale, netOf } from '../../../db/sales';
import { creatorStats, type ListedCode } from '../../../db/creator-portal';
import { qrSvgResponse } from '../link-qr';
import { trackedLinkUrl } from '../../../lib/paths';
import { DRAFT_STANDS, drawnDueAt, dueDayOf, firstDraftState } from '../../../domain/content-due';
import { dayEnd, isDay, zoneOrUtc } from '../../../domain/periods';

export const creatorRoutes = new Hono<ConsoleEnv>();

type EnrollmentStatus = (typeof enrollmentStatuses)[number];
type PaymentModel = (typeof paymentModels)[number];

type EnrollmentRecord = CreatorPageData & { creatorId: string; tags: string[]; paymentModel: string; flatFeeMinor: number; briefSection: string; contentDueAt: number | null };

const FLASH: Record<string, Flash> = {
  saved: { tone: 'success', text: 'Saved. Links and codes follow within seconds.' },
  mailed: { tone: 'success', text: 'A password link is on its way to their inbox. It works for an hour.' },
  unconfirmed: { tone: 'warn', text: 'The mail provider did not confirm the password link. It may still arrive; check with the creator before sending another.' },
  adjusted: { tone: 'success', text: "Added to their earnings, paid with this month's payouts once the month is closed. They are emailed it with your reason, which they also see on their Earnings page." },
  adjusted_already: { tone: 'info', text: 'That bonus or correction was already added (the form was sent twice); nothing more was added or emailed.' },
  link_added: { tone: 'success', text: 'Link added. It works at once, and the creator sees it on their home page with where it leads.' },
  link_paused: { tone: 'success', text: 'Link paused. Within seconds it sends shoppers to your fallback page without a click id; the creator sees it as paused.' },
  link_active: { tone: 'success', text: 'Link resumed. It counts clicks again within seconds.' },
  [MESSAGE_SENT]: { tone: 'success', text: 'Sent. They read it in their portal, and are emailed that you wrote unless they stopped your emails.' },
  link_repointed: { tone: 'success', text: 'Destination saved. Within seconds the link sends shoppers there; the creator sees where it now leads on their home page.' },
  erased: { tone: 'success', text: 'Erased. Their personal data is gone and their links and codes stop crediting them within seconds; their orders, earnings and payouts stay in your books under “Closed account”.' },
};

// The mail refusals the roster's password-reset call answers (routes/admin/creators.ts), as a person reads them.
const MAIL_REFUSED: Record<MailRefusal | 'opted_out', string> = {
  opted_out: 'This creator has not joined your brand and asked not to be emailed invitations, so Chorus sends them nothing for you. Send them their invite link yourself.',
  address_limit: `This creator has been sent ${MAX_MAILED_LINKS_PER_DAY} password links in the last 24 hours. Try again tomorrow.`,
  brand_limit: `Your brand has sent its ${MAX_MAILED_LINKS_PER_BRAND_PER_DAY.toLocaleString('en-US')} password links for the last 24 hours. Try again tomorrow.`,
  mail_refused: 'The mail provider refused the message. Nothing was sent; try again in a minute.',
  mail_not_configured: 'This Chorus cannot send email yet (no mail provider is set): ask whoever runs it to add one (MAIL_API_KEY and MAIL_FROM).',
};

// What this creator brought the campaign, counted as on the network page: unique clicks, sales net of
// refunds (orders refunded in full are not sales, nor are a subscriber's later payments or a returning customer's orders), what they earned,
// and their posts. The brand test is written `+x.brand_id` so that it is only checked: without statistics
// SQLite otherwise walked the brand's index, every order, entry and post of the brand, for one creator's.
export const CREATOR_NUMBERS_SQL = `SELECT
  (SELECT COALESCE(SUM(r.unique_clicks), 0) FROM links l JOIN click_rollups r ON r.link_id = l.id WHERE l.enrollment_id = ?1 AND l.brand_id = ?2) AS clicks,
  (SELECT COUNT(*) FROM conversions cv WHERE cv.enrollment_id = ?1 AND +cv.brand_id = ?2 AND cv.attribution <> 'none' AND ${isSale('cv')}) AS orders,
  (SELECT COALESCE(SUM(${netOf('cv')}), 0) FROM conversions cv WHERE cv.enrollment_id = ?1 AND +cv.brand_id = ?2 AND cv.attribution <> 'none') AS revenue,
  (SELECT COALESCE(SUM(l.amount_minor), 0) FROM ledger_entries l WHERE l.enrollment_id = ?1 AND +l.brand_id = ?2) AS earned,
  (SELECT COUNT(*) FROM submissions s WHERE s.enrollment_id = ?1 AND +s.brand_id = ?2 AND s.status = 'live') AS live,
  (SELECT COUNT(*) FROM submissions s WHERE s.enrollment_id = ?1 AND +s.brand_id = ?2 AND s.status = 'submitted') AS to_review`;

async function enrollmentOr404(c: ConsoleContext, campaign: CampaignRecord, enrollmentId: string): Promise<EnrollmentRecord> {
  const db = c.env.DB;
  const brandId = c.var.user.brandId;
  const [rows, links, codes, numbers] = await db.batch([
    db
      .prepare(
        `SELECT e.id, e.creator_id, e.status, e.payment_model, e.flat_fee_minor, e.brief_section, e.content_due_at, r.handle, r.display_name, r.email, r.accepted_at,
           r.erased_at,
           -- Whether the account has a password is the brand's to know only once the creator joined it.
           r.accepted_at IS NOT NULL AND (SELECT a.password_hash IS NOT NULL FROM creators a WHERE a.id = e.creator_id) AS signed_up,
           (SELECT count(*) FROM submissions s WHERE s.enrollment_id = e.id AND ${DRAFT_STANDS}) AS drafts_standing,
           ${currentVersionSql('e.brand_id')} AS terms_current, ${acceptedSql('e.brand_id', 'e.creator_id')} AS terms_accepted,
           (SELECT ${sharedTaxDetailsSql('r', 'a')} FROM creators a WHERE a.id = e.creator_id) AS tax_details_enc, ${tagsJsonSql('e.brand_id', 'e.creator_id')} AS tags
         FROM enrollments e JOIN roster r ON r.brand_id = e.brand_id AND r.creator_id = e.creator_id
         WHERE e.id = ? AND e.brand_id = ? AND e.campaign_id = ?`,
      )
      .bind(enrollmentId, brandId, campaign.id),
    db
      .prepare(
        `SELECT l.id, l.slug, l.status, l.destination, l.archived_at, (SELECT COALESCE(SUM(r.unique_clicks), 0) FROM click_rollups r WHERE r.link_id = l.id) AS clicks
         FROM links l WHERE l.enrollment_id = ? AND +l.brand_id = ? ORDER BY l.created_at, l.id`,
      )
      .bind(enrollmentId, brandId),
    db.prepare('SELECT code, status, discount_type, discount_value FROM discount_codes WHERE enrollment_id = ? AND +brand_id = ? ORDER BY created_at, id').bind(enrollmentId, brandId),
    db.prepare(CREATOR_NUMBERS_SQL).bind(enrollmentId, brandId),
  ]);
  type Row = { id: string; creator_id: string; status: string; payment_model: string; flat_fee_minor: number; brief_section: string; content_due_at: number | null; handle: string; display_name: string; email: string; signed_up: number; accepted_at: number | null; erased_at: number | null; drafts_standing: number; terms_current: number | null; terms_accepted: string | null; tax_details_enc: string | null; tags: string };
  const row = rows!.results[0] as Row | undefined;
  if (!row) throw notFound('creator');
  const dueAt = row.content_due_at ?? campaign.content_due_at;
  return {
    enrollmentId: row.id,
    creatorId: row.creator_id,
    tags: parseTags(row.tags),
    handle: row.handle,
    displayName: row.display_name,
    email: row.email,
    signedUp: row.signed_up === 1,
    acceptedAt: row.accepted_at,
    terms: { current: row.terms_current, accepted: row.terms_accepted ? (JSON.parse(row.terms_accepted) as { version: number; acceptedAt: number }) : null },
    taxDetails: taxDetailsStatus(await openSealedJson<TaxDetails>(c.env.SECRETS_KEY, row.tax_details_enc)),
    erasedAt: row.erased_at,
    status: row.status,
    paymentModel: row.payment_model,
    flatFeeMinor: row.flat_fee_minor,
    briefSection: row.brief_section,
    contentDueAt: row.content_due_at,
    firstDraft: {
      dueAt,
      own: row.content_due_at !== null,
      state: firstDraftState({ status: row.status, accepted: row.accepted_at !== null, draftsStanding: row.drafts_standing, dueAt }, { campaign_status: campaign.status, ends_at: campaign.ends_at }, Date.now()),
    },
    links: links!.results as CreatorPageData['links'],
    codes: codes!.results as ListedCode[],
    numbers: numbers!.results[0] as CreatorPageData['numbers'],
  };
}

const valuesOf = (e: Pick<EnrollmentRecord, 'status' | 'paymentModel' | 'flatFeeMinor' | 'briefSection' | 'contentDueAt'>, currency: string, timezone: string): EnrollmentFormValues => ({
  status: e.status,
  paymentModel: e.paymentModel,
  flatFee: e.flatFeeMinor > 0 ? moneyInput(e.flatFeeMinor, currency) : '',
  briefSection: e.briefSection,
  contentDueOn: e.contentDueAt === null ? '' : dueDayOf(e.contentDueAt, zoneOrUtc(timezone)),
});

// `drawn`: what the form was first drawn from, carried through the removal question so a change someone
// made in between is still a 409 when the removal is confirmed, never quietly overwritten.
type Extras = { values?: EnrollmentFormValues; adjustment?: { amount: string; note: string }; confirmAdjustment?: number; newLink?: { destination: string; slug: string }; editLink?: { id: string; destination: string }; errors?: FormError[]; tags?: string; suggestion?: string | null; inviteLink?: { url: string; expiresAt: number }; confirmRemoval?: boolean; drawn?: DrawnEnrollment; message?: { value: string; errors: FormError[] } };

// Said in the tags area the save leads back to (#tags-area), not with the page-top flashes.
const TAGS_SAVED = 'tags_saved';

async function renderCreator(c: ConsoleContext, campaign: CampaignRecord, e: EnrollmentRecord, extras: Extras = {}, status: 200 | 409 | 410 | 422 | 429 | 503 = 200) {
  const [toReview, stats, adjustments, messages] = await Promise.all([
    awaitingReview(c.env.DB, c.var.user.brandId),
    creatorStats(c.env.DB, { enrollment_id: e.enrollmentId, brand_id: c.var.user.brandId, timezone: c.var.user.timezone }, Date.now()),
    recentAdjustments(c.env.DB, c.var.user.brandId, e.enrollmentId),
    // Its Messages area marks read only a page that answers 200, not a refused form drawn again.
    creatorMessagesArea(c, { id: e.creatorId, name: e.displayName }, { action: `${pagePath(campaign.id, e.enrollmentId)}/messages`, shown: status === 200, ...extras.message }),
  ]);
  const currency = c.var.user.currency;
  return renderPage(
    c,
    <CreatorPage
      viewer={viewerOf(c)}
      canWrite={canWrite(c.var.user)}
      isOwner={c.var.user.role === 'owner'}
      campaign={campaign}
      creator={e}
      values={extras.values ?? valuesOf(e, currency, c.var.user.timezone)}
      drawn={extras.drawn ?? { status: e.status, paymentModel: e.paymentModel, flatFeeMinor: e.flatFeeMinor, briefSection: e.briefSection, contentDueAt: e.contentDueAt }}
      campaignDueAt={campaign.content_due_at}
      origin={publicOrigin(c)}
      currency={currency}
      flash={flashOf(FLASH, c)}
      errors={extras.errors}
      suggestion={extras.suggestion}
      inviteLink={extras.inviteLink}
      confirmRemoval={extras.confirmRemoval}
      toReview={toReview}
      daily={stats.daily}
      adjustment={extras.adjustment ?? { amount: '', note: '' }}
      confirmAdjustment={extras.confirmAdjustment}
      newLink={extras.newLink ?? { destination: '', slug: '' }}
      editLink={extras.editLink}
      defaultDestination={campaign.default_destination}
      adjustmentKey={randomToken(16)}
      adjustments={adjustments}
      messages={messages}
      tags={{ saved: e.tags, typed: extras.tags, justSaved: status === 200 && c.req.query('flash') === TAGS_SAVED }}
    />,
    status,
  );
}

const pagePath = (campaignId: string, enrollmentId: string) => `/console/campaigns/${campaignId}/creators/${enrollmentId}`;

creatorRoutes.get('/campaigns/:id/creators/:enrollment', async (c) => {
  const campaign = await campaignOr404(c, c.req.param('id'));
  const e = await enrollmentOr404(c, campaign, c.req.param('enrollment'));
  // A suggested move from the network page fills the form in; nothing changes until it is saved.
  const suggestion = c.req.query('suggest') ?? null;
  const suggested = suggestion ? SUGGESTIONS[suggestion] : undefined;
  const values = valuesOf(e, c.var.user.currency, c.var.user.timezone);
  const filled = suggested && canWrite(c.var.user) ? { ...values, ...(suggested.paymentModel ? { paymentModel: suggested.paymentModel } : {}), ...(suggested.status ? { status: suggested.status } : {}) } : values;
  return renderCreator(c, campaign, e, { values: filled, suggestion: suggested ? suggestion : null });
});

creatorRoutes.post('/campaigns/:id/creators/:enrollment', async (c) => {
  const campaign = await campaignOr404(c, c.req.param('id'));
  const e = await enrollmentOr404(c, campaign, c.req.param('enrollment'));
  const form = await readForm(c);
  const values: EnrollmentFormValues = {
    status: form.get('status'),
    paymentModel: form.get('paymentModel'),
    flatFee: form.get('flatFee').trim(),
    briefSection: form.get('briefSection').replaceAll('\r\n', '\n'),
    contentDueOn: form.get('contentDueOn').trim().slice(0, 32),
  };
  const errors: string[] = [];
  const flatFeeMinor = values.flatFee === '' ? 0 : typedAmountToMinor(values.flatFee, c.var.user.currency);
  if (flatFeeMinor === null || flatFeeMinor > 100_000_000) errors.push(`The flat fee is a plain amount in ${c.var.user.currency}, like 150 or 150.00.`);
  // Only what the person changed on the form is sent, against what the form was drawn from (its hidden
  // fields): a change someone made since is a conflict, never quietly undone by an unrelated save.
  const expected = {
    status: form.get('drawnStatus') as EnrollmentStatus,
    paymentModel: form.get('drawnPaymentModel') as PaymentModel,
    flatFeeMinor: Number(form.get('drawnFlatFeeMinor')),
    briefSection: form.get('drawnBriefSection').replaceAll('\r\n', '\n'),
    // A form drawn without the date (a removed creator's has none) leaves it as it is; one edited into something
    // else is drawn from no date the enrollment can have (a conflict).
    contentDueAt: form.all('drawnContentDueAt').length === 0 ? e.contentDueAt : drawnDueAt(form.get('drawnContentDueAt')),
  };
  const timezone = zoneOrUtc(c.var.user.timezone);
  const drawn = valuesOf({ ...e, ...expected }, c.var.user.currency, timezone);
  if (form.all('contentDueOn').length === 0) values.contentDueOn = drawn.contentDueOn;
  // Checked here to say it in the console's words; updateEnrollment checks the same.
  if (values.contentDueOn !== drawn.contentDueOn && values.contentDueOn !== '') {
    if (!isDay(values.contentDueOn)) errors.push('The due date is a date, like 2026-12-19.');
    else if (dayEnd(values.contentDueOn, timezone) <= Date.now()) errors.push('That due date is already over. Pick a later day, or leave it empty for the campaign’s.');
  }
  const asked = {
    ...(values.status !== drawn.status ? { status: values.status } : {}),
    ...(values.paymentModel !== drawn.paymentModel ? { paymentModel: values.paymentModel } : {}),
    ...(values.flatFee !== drawn.flatFee ? { flatFeeMinor: flatFeeMinor ?? 0 } : {}),
    ...(values.briefSection !== drawn.briefSection ? { briefSection: values.briefSection } : {}),
    ...(values.contentDueOn !== drawn.contentDueOn ? { contentDueAt: values.contentDueOn || null } : {}),
  };
  if (Object.keys(asked).length === 0) return c.redirect(withFlash(pagePath(campaign.id, e.enrollmentId), 'saved'), 303);
  const parsed = enrollmentChange.safeParse(asked);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = String(issue.path[0] ?? '');
      errors.push(
        field === 'status'
          ? 'Pick a status.'
          : field === 'paymentModel'
            ? 'Pick a payment model.'
            : field === 'briefSection'
              ? 'The brief section is at most 4,000 characters, with no control characters.'
              : field === 'flatFeeMinor'
                ? `The flat fee is a plain amount in ${c.var.user.currency}, like 150 or 150.00.`
                : field === 'contentDueAt'
                  ? 'The due date is a date, like 2026-12-19.'
                  : issue.message,
      );
    }
  }
  if (errors.length > 0 || !parsed.success) return renderCreator(c, campaign, e, { values, errors: [...new Set(errors)] }, 422);
  // A removal is asked once more, on the same form with everything as entered, before it is saved.
  if (parsed.data.status === 'removed' && form.get('confirmRemove') !== '1') return renderCreator(c, campaign, e, { values, confirmRemoval: true, drawn: expected });
  try {
    await updateEnrollment(c.env.DB, c.var.user.brandId, e.enrollmentId, parsed.data, { type: 'admin_user', id: c.var.user.id }, expected);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 409 || error.status === 422)) return renderCreator(c, campaign, await enrollmentOr404(c, campaign, e.enrollmentId), { values, errors: [error.message] }, error.status);
    throw error;
  }
  return c.redirect(withFlash(pagePath(campaign.id, e.enrollmentId), 'saved'), 303);
});

// The brand's tags for the creator, one comma-separated field replacing the whole set (db/creator-tags.ts, as the
// API's PUT). Refusals come back beside the field with what was typed.
creatorRoutes.post('/campaigns/:id/creators/:enrollment/tags', async (c) => {
  const campaign = await campaignOr404(c, c.req.param('id'));
  const e = await enrollmentOr404(c, campaign, c.req.param('enrollment'));
  const typed = (await readForm(c)).get('tags');
  // Refused, not cut: cut, the last tag would be saved shortened, or dropped, without a word.
  if (typed.length > MAX_TAG_FIELD_LENGTH) return renderCreator(c, campaign, e, { tags: typed.slice(0, MAX_TAG_FIELD_LENGTH), errors: [{ field: 'tags', text: `At most ${MAX_TAG_FIELD_LENGTH} characters: ${MAX_TAGS_PER_CREATOR} tags fit in that.` }] }, 422);
  try {
    await setCreatorTags(c.env.DB, c.var.user.brandId, e.creatorId, splitTagList(typed), { actorType: 'admin_user', actorId: c.var.user.id });
  } catch (error) {
    if (error instanceof ApiError && (error.status === 409 || error.status === 410 || error.status === 422)) return renderCreator(c, campaign, e, { tags: typed, errors: [{ field: 'tags', text: error.message }] }, error.status);
    throw error;
  }
  return c.redirect(`${withFlash(pagePath(campaign.id, e.enrollmentId), TAGS_SAVED)}#tags-area`, 303);
});

// Erasing the creator on their request (routes/admin/creators.ts eraseOnRequest, as the API does): owners only, with
// the box ticked. Refusals (still owed money, erased already) come back on the page.
creatorRoutes.post('/campaigns/:id/creators/:enrollment/erase', async (c) => {
  const actorId = requireOwner(c, "erase a creator's data");
  const campaign = await campaignOr404(c, c.req.param('id'));
  const e = await enrollmentOr404(c, campaign, c.req.param('enrollment'));
  const form = await readForm(c);
  if (form.get('confirm') !== '1') return renderCreator(c, campaign, e, { errors: ['Tick the box to confirm that the creator asked for it and that it cannot be undone.'] }, 422);
  try {
    await eraseOnRequest(c.env.DB, c.var.user.brandId, e.creatorId, { actorType: 'admin_user', actorId });
  } catch (error) {
    if (error instanceof ApiError && (error.status === 409 || error.status === 410)) return renderCreator(c, campaign, await enrollmentOr404(c, campaign, e.enrollmentId), { errors: [error.message] }, error.status);
    throw error;
  }
  return c.redirect(withFlash(pagePath(campaign.id, e.enrollmentId), 'erased'), 303);
});

// A new invite link, shown once here for the brand to send itself (a DM, its own mail). Its page mails the
// creator a link at their own address; it cannot set a password by itself.
creatorRoutes.post('/campaigns/:id/creators/:enrollment/invite', async (c) => {
  const campaign = await campaignOr404(c, c.req.param('id'));
  const e = await enrollmentOr404(c, campaign, c.req.param('enrollment'));
  const link = await inviteLink(c.env.DB, c.var.user.brandId, e.creatorId, publicOrigin(c), { actorType: 'admin_user', actorId: c.var.user.id });
  return renderCreator(c, campaign, e, { inviteLink: link });
});

// A bonus or a correction (db/adjustments.ts). The form carries a key of its own (FORM_KEY), so a double click or a
// reload that posts it again adds it once.
// 1,000.00 in a two-decimal currency: from this much either way, the form asks once more.
const LARGE_ADJUSTMENT_MINOR = 100_000;

creatorRoutes.post('/campaigns/:id/creators/:enrollment/adjustments', async (c) => {
  const campaign = await campaignOr404(c, c.req.param('id'));
  const e = await enrollmentOr404(c, campaign, c.req.param('enrollment'));
  const form = await readForm(c);
  const adjustment = { amount: form.get('amount').trim(), note: form.get('note') };
  // A minus (or the typographic one) before the amount makes it a correction.
  const [, minus, digits] = /^([-−]?)\s*(.*)$/s.exec(adjustment.amount)!;
  const magnitude = typedAmountToMinor(digits ?? '', c.var.user.currency);
  const parsed = adjustmentBody.safeParse({ amountMinor: magnitude !== null && minus ? -magnitude : magnitude, note: adjustment.note });
  const key = form.get('key');
  if (!parsed.success || !FORM_KEY.test(key)) {
    const refused = new Set(parsed.success ? [] : parsed.error.issues.map((i) => i.path[0]));
    const errors = [
      refused.has('amountMinor') ? `An amount other than zero, like 50 or -12.50, up to ${formatMoney(MAX_ADJUSTMENT_MINOR, c.var.user.currency)} either way.` : null,
      refused.has('note') ? 'Say why, in up to 200 characters: the creator sees it.' : null,
      FORM_KEY.test(key) ? null : 'Reload the page and try again.',
    ].filter((m): m is string => m !== null);
    return renderCreator(c, campaign, e, { adjustment, errors }, 422);
  }
  // A slip of the keyboard (10000 for 100.00) would pay at once: a large amount is asked about once.
  if (Math.abs(parsed.data.amountMinor) >= LARGE_ADJUSTMENT_MINOR && form.get('confirmLarge') !== '1') return renderCreator(c, campaign, e, { adjustment, confirmAdjustment: parsed.data.amountMinor });
  const origin = mailOrigin(c.env, c.req);
  if (!origin) return refuseWithoutOrigin(c, (error, status) => renderCreator(c, campaign, e, { adjustment, errors: [error] }, status));
  let made;
  try {
    made = await addAdjustment(c.env.DB, c.var.user.brandId, e.enrollmentId, parsed.data, `console:${key}`, { type: 'admin_user', id: c.var.user.id });
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) return renderCreator(c, campaign, e, { adjustment, errors: [error.message] }, 409);
    throw error;
  }
  if (!made) throw notFound('enrollment');
  tellAdjustment(c, made, origin);
  // Found rather than made (the form sent twice): said so, since nothing more was added or mailed.
  return c.redirect(withFlash(pagePath(campaign.id, e.enrollmentId), made.tell ? 'adjusted' : 'adjusted_already'), 303);
});

// A message from the Messages area (console/messages.tsx writes it): back to this page, sent or refused with the text.
creatorRoutes.post('/campaigns/:id/creators/:enrollment/messages', async (c) => {
  const campaign = await campaignOr404(c, c.req.param('id'));
  const e = await enrollmentOr404(c, campaign, c.req.param('enrollment'));
  const result = await sendAsTeammate(c, e.creatorId, 'creator-message');
  if ('sent' in result) return c.redirect(`${withFlash(pagePath(campaign.id, e.enrollmentId), MESSAGE_SENT)}#messages`, 303);
  const { value, errors, status, headers } = result.refused;
  for (const [k, v] of Object.entries(headers)) c.header(k, v);
  return renderCreator(c, campaign, e, { message: { value, errors } }, status);
});

const OFF_ALLOWED_HOSTS = 'The destination must be an https:// page on one of your allowed hosts (Settings).';
const DESTINATION_TOO_LONG = 'The destination is too long: 2,048 characters at most.';
const linksClosed = (name: string) => `${name} was removed from this campaign: their links are closed. Restore them first.`;

// Another tracked link for the creator, to a page of the brand's own (a product, a collection), as the admin
// API makes one: on an allowed host, a slug from the handle unless one is chosen. Not for a removed creator,
// whose links are closed.
creatorRoutes.post('/campaigns/:id/creators/:enrollment/links', async (c) => {
  const campaign = await campaignOr404(c, c.req.param('id'));
  const e = await enrollmentOr404(c, campaign, c.req.param('enrollment'));
  const form = await readForm(c);
  const typed = { destination: form.get('destination').trim(), slug: form.get('slug').trim() };
  // Checked whole; only the copy shown back in the form is bounded.
  const newLink = { destination: typed.destination.slice(0, 2048), slug: typed.slug.slice(0, 64) };
  const refuse = (message: string, status: 409 | 422) => renderCreator(c, campaign, e, { newLink, errors: [message] }, status);
  if (e.status === 'removed') return refuse(linksClosed(e.displayName), 409);
  if (typed.slug !== '' && !LINK_SLUG.test(typed.slug)) return refuse('The link name is 3 to 64 letters, digits, - or _, without spaces.', 422);
  if (typed.destination.length > 2048) return refuse(DESTINATION_TOO_LONG, 422);
  try {
    await createTrackedLink(c.env.DB, c.var.user.brandId, { enrollmentId: e.enrollmentId, destination: typed.destination || undefined, slug: typed.slug || undefined }, { type: 'admin_user', id: c.var.user.id });
  } catch (error) {
    if (error instanceof ApiError && error.code === 'invalid_destination') return refuse(OFF_ALLOWED_HOSTS, 422);
    if (error instanceof ApiError && error.code === 'slug_taken') return refuse('That link name is taken, in this or another letter case. Choose another, or leave it empty for one made from their handle.', 409);
    throw error;
  }
  return c.redirect(withFlash(pagePath(campaign.id, e.enrollmentId), 'link_added'), 303);
});

// Pauses or resumes one of the creator's links (a post taken down, a product sold out), as the admin API does.
creatorRoutes.post('/campaigns/:id/creators/:enrollment/links/:link/status', async (c) => {
  const campaign = await campaignOr404(c, c.req.param('id'));
  const e = await enrollmentOr404(c, campaign, c.req.param('enrollment'));
  const status = (await readForm(c)).get('status');
  if (status !== 'active' && status !== 'paused') return renderCreator(c, campaign, e, { errors: ['Choose to pause or resume the link.'] }, 422);
  // A removed creator's links are closed whatever their own status says (the page offers them no action); an
  // erased one's still send shoppers from old posts, so the brand may pause or re-point them.
  if (e.status === 'removed' && e.erasedAt === null) return renderCreator(c, campaign, e, { errors: [linksClosed(e.displayName)] }, 409);
  await updateTrackedLink(c.env.DB, c.var.user.brandId, c.req.param('link'), { status }, { type: 'admin_user', id: c.var.user.id }, e.enrollmentId);
  return c.redirect(withFlash(pagePath(campaign.id, e.enrollmentId), `link_${status}`), 303);
});

// Re-points one of the creator's links (a product moved, a sale page over): the same link, so posts already out
// keep working, to another page on an allowed host, through the admin API's own update.
creatorRoutes.post('/campaigns/:id/creators/:enrollment/links/:link/destination', async (c) => {
  const campaign = await campaignOr404(c, c.req.param('id'));
  const e = await enrollmentOr404(c, campaign, c.req.param('enrollment'));
  const typed = (await readForm(c)).get('destination').trim();
  const linkId = c.req.param('link');
  const refuse = (message: string, status: 409 | 422) => renderCreator(c, campaign, e, { editLink: { id: linkId, destination: typed.slice(0, 2048) }, errors: [message] }, status);
  if (e.status === 'removed' && e.erasedAt === null) return refuse(linksClosed(e.displayName), 409);
  if (typed === '') return refuse('Type the page the link should lead to.', 422);
  if (typed.length > 2048) return refuse(DESTINATION_TOO_LONG, 422);
  try {
    await updateTrackedLink(c.env.DB, c.var.user.brandId, linkId, { destination: typed }, { type: 'admin_user', id: c.var.user.id }, e.enrollmentId);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'invalid_destination') return refuse(OFF_ALLOWED_HOSTS, 422);
    throw error;
  }
  return c.redirect(withFlash(pagePath(campaign.id, e.enrollmentId), 'link_repointed'), 303);
});

// One of the brand's own links as a QR code, for its team to print (a booth, packaging inserts) or hand the
// creator: the link of this enrollment, in this campaign, of this brand, or a 404. Not a removed creator's: their
// links are closed (a scan reaches the fallback page, counting for no one), and the page offers no code for
// them, as it offers them no other link action; restoring the creator brings it back. An archived link still
// counts, so its code is served.
creatorRoutes.get('/campaigns/:id/creators/:enrollment/links/:link/qr.svg', async (c) => {
  const linkId = c.req.param('link');
  const slug =
    linkId.length <= 64
      ? await c.env.DB.prepare("SELECT l.slug FROM links l JOIN enrollments e ON e.id = l.enrollment_id WHERE l.id = ? AND l.enrollment_id = ? AND l.brand_id = ? AND e.campaign_id = ? AND e.status <> 'removed'")
          .bind(linkId, c.req.param('enrollment'), c.var.user.brandId, c.req.param('id'))
          .first<string>('slug')
      : null;
  if (!slug) throw notFound('link');
  return qrSvgResponse(c, trackedLinkUrl(publicOrigin(c), slug), slug);
});

creatorRoutes.post('/campaigns/:id/creators/:enrollment/password-link', async (c) => {
  const campaign = await campaignOr404(c, c.req.param('id'));
  const e = await enrollmentOr404(c, campaign, c.req.param('enrollment'));
  const origin = mailOrigin(c.env, c.req);
  if (!origin) return refuseWithoutOrigin(c, (error, status) => renderCreator(c, campaign, e, { errors: [error] }, status));
  const sent = await passwordLink(c.env, c.var.user.brandId, { id: e.creatorId, email: e.email }, origin, { actorType: 'admin_user', actorId: c.var.user.id });
  if ('refused' in sent) {
    const status = sent.refused === 'address_limit' || sent.refused === 'brand_limit' ? 429 : sent.refused === 'opted_out' ? 409 : 503;
    return renderCreator(c, campaign, e, { errors: [MAIL_REFUSED[sent.refused]] }, status);
  }
  return c.redirect(withFlash(pagePath(campaign.id, e.enrollmentId), sent.confirmed ? 'mailed' : 'unconfirmed'), 303);
});
