// Content review across the brand: the queue, one POST per decision (POST-redirect-GET with a flash), bulk approve.
import { Hono } from 'hono';
import { z } from 'zod';
import type { Flash } from '../../../../portal/console/layout';
import { ReviewPage, type ReviewFilterValues } from '../../../../portal/console/review';
import { STATUS_LABELS } from '../../../../portal/format';
import { decisionNotice, loadSubmission, mailsCreator, transitionSubmission, updateMetrics, type SubmissionContext } from '../../../db/submissions';
import { noticeAfterResponse } from '../../../mail';
import { isCompliant, METRIC_NAMES, metricsInput, missingTags, type SubmissionAction } from '../../../domain/submissions';
import { mailOrigin } from '../../../env';
import { ApiError } from '../../../lib/errors';
import { ID_PATTERN } from '../../../lib/ids';
import { plainText } from '../../../lib/validate';
import { viewerOf } from './campaigns';
import { backTo, canWrite, countParam, readForm, renderPage, withFlash, type ConsoleContext, type ConsoleEnv, refuseWithoutOrigin } from './context';
import { awaitingReview, campaignOptions, MAX_REVIEW_PAGE, parseCompliance, REVIEW_STATUSES, reviewQueue, type ReviewFilters } from './queries';

export const reviewRoutes = new Hono<ConsoleEnv>();

const MAX_BULK = 100;

// The queue's filters and page, from the page's own address or from `back` (the page a form was posted from):
// what the page did not offer (an edited address) is dropped, and a page number it did not offer is the first.
type QueueView = { filters: ReviewFilters; page: number };

function queueOf(params: URLSearchParams): QueueView {
  const status = params.get('status') ?? '';
  const campaign = params.get('campaign') ?? '';
  const compliance = params.get('compliance') ?? '';
  const page = /^\d{1,4}$/.test(params.get('page') ?? '') ? Number(params.get('page')) : 1;
  return {
    filters: {
      status: (REVIEW_STATUSES as readonly string[]).includes(status) ? (status as ReviewFilters['status']) : null,
      campaignId: ID_PATTERN.test(campaign) ? campaign : null,
      compliance: compliance === 'flagged' || compliance === 'ok' ? compliance : null,
    },
    page: page >= 1 && page <= MAX_REVIEW_PAGE ? page : 1,
  };
}

const postedFrom = (back: string) => queueOf(new URL(back, 'https://console.invalid').searchParams);

function flashOf(c: ConsoleContext): Flash {
  const n = countParam(c, 'n');
  const skipped = countParam(c, 'skipped');
  switch (c.req.query('flash')) {
    case 'approved':
      return { tone: 'success', text: 'Approved. The creator can publish it and add the live link.' };
    case 'changes_requested':
      return { tone: 'success', text: 'Changes requested. The creator sees your note and can resubmit.' };
    case 'rejected':
      return { tone: 'success', text: 'Rejected. The creator sees the reason, if you gave one.' };
    case 'live':
      return { tone: 'success', text: 'Marked as live. A flat fee, if the creator has one, has been added to their earnings.' };
    case 'not_live':
      return { tone: 'success', text: 'Marked as not live. Its flat fee, if any, is taken back, and the creator sees your note and can add the right link.' };
    case 'metrics_unchanged':
      return { tone: 'info', text: 'Nothing changed: the post already had those numbers, or it is no longer live.' };
    case 'metrics':
      return { tone: 'success', text: 'Numbers corrected. The network ranking counts them from now on; the creator can still update them as the post grows.' };
    case 'bulk': {
      const flagged = countParam(c, 'flagged');
      return {
        tone: n > 0 && flagged === 0 ? 'success' : 'warn',
        text:
          `Approved ${n} ${n === 1 ? 'submission' : 'submissions'}.` +
          (flagged > 0 ? ` ${flagged} left in review: ${flagged === 1 ? 'its caption misses' : 'their captions miss'} the campaign hashtag or disclosure. Approve ${flagged === 1 ? 'it' : 'them'} one by one if the post will carry them.` : '') +
          (skipped > 0 ? ` ${skipped} skipped: no longer waiting for review, or not found.` : ''),
      };
    }
    default:
      return null;
  }
}

// Renders the queue, with an error on top when a form was refused.
async function renderQueue(c: ConsoleContext, { filters, page }: QueueView, extras: { errors?: string[]; ticked?: string[] } = {}, status: 200 | 409 | 422 | 503 = 200) {
  const { brandId } = c.var.user;
  const [queue, campaigns, toReview] = await Promise.all([
    reviewQueue(c.env.DB, brandId, filters, page),
    campaignOptions(c.env.DB, brandId),
    awaitingReview(c.env.DB, brandId),
  ]);
  // A page emptied by decisions made on it (the last drafts on page 2 approved) is not "nothing to review":
  // back to the first page, its message kept. An error is shown where the form was, however empty.
  if (page > 1 && queue.items.length === 0 && !extras.errors && !extras.ticked) {
    const url = new URL(c.req.url);
    url.searchParams.delete('page');
    return c.redirect(url.pathname + url.search, 303);
  }
  return renderPage(
    c,
    <ReviewPage
      viewer={viewerOf(c)}
      canWrite={canWrite(c.var.user)}
      filters={filters as ReviewFilterValues}
      campaigns={campaigns}
      items={queue.items.map((s) => ({ ...s, compliance: parseCompliance(s.compliance) }))}
      counts={queue.counts}
      page={page}
      more={queue.more && page < MAX_REVIEW_PAGE}
      flash={flashOf(c)}
      errors={extras.errors}
      toReview={toReview}
      ticked={extras.ticked}
    />,
    status,
  );
}

reviewRoutes.get('/review', (c) => renderQueue(c, queueOf(new URL(c.req.url).searchParams)));

// The queue a form was posted from (its filters and page), rendered again with an error on top.
const renderBack = (c: ConsoleContext, back: string, extras: { errors: string[] }, status: 409 | 422 | 503) => renderQueue(c, postedFrom(back), extras, status);

// The same rule as the admin API's review notes: prose, no control or broken characters.
const note = plainText(2000, 'many', 'Notes are limited to 2,000 characters.');

const ACTIONS: Record<string, { action: SubmissionAction; flash: string; schema: z.ZodType<{ note?: string; postUrl?: string }> }> = {
  approve: { action: 'approve', flash: 'approved', schema: z.object({ note: note.optional() }) },
  'request-changes': { action: 'request_changes', flash: 'changes_requested', schema: z.object({ note: note.min(1, 'Write a note so the creator knows what to change.') }) },
  reject: { action: 'reject', flash: 'rejected', schema: z.object({ note: note.optional() }) },
  'mark-live': { action: 'go_live', flash: 'live', schema: z.object({ postUrl: z.url({ protocol: /^https$/, error: 'Add the https:// link of the live post.' }).max(2048, 'That link is too long.') }) },
  'not-live': { action: 'not_live', flash: 'not_live', schema: z.object({ note: note.min(1, 'Write a note so the creator knows what is wrong with the link.') }) },
};

// The creator hears of a decision by mail, after the response (db/submissions.ts decisionNotice), from `origin`:
// mailOrigin's, checked before the decision is written (a form is refused when there is none).
function tellCreator(c: ConsoleContext, s: SubmissionContext, action: SubmissionAction, note: string | null, origin: string | null) {
  const notice = origin && decisionNotice(s, action, note, origin);
  if (notice) noticeAfterResponse(c.executionCtx, c.env, notice, 'decision_notice_failed');
}

// Bulk first, so "bulk-approve" is never read as a submission id.
reviewRoutes.post('/review/bulk-approve', async (c) => {
  const form = await readForm(c);
  const back = backTo(form.get('back'), '/console/review');
  const ids = [...new Set(form.all('ids').filter((id) => ID_PATTERN.test(id)))];
  if (ids.length === 0) return renderBack(c, back, { errors: ['Tick at least one draft in review to approve.'] }, 422);
  if (ids.length > MAX_BULK) return renderBack(c, back, { errors: [`Approve at most ${MAX_BULK} drafts at a time.`] }, 422);
  // Sent by Enter on a ticked box (the form's first button), not by "Approve selected": asked, still ticked.
  if (form.get('approve') !== '1') return renderQueue(c, postedFrom(back), { ticked: ids });
  const origin = mailOrigin(c.env, c.req);
  if (!origin) return refuseWithoutOrigin(c, (error, status) => renderBack(c, back, { errors: [error] }, status));
  const { user } = c.var;
  // Only this brand's drafts still in review; anything else in the form (another brand's id, a draft already decided) is skipped.
  const { results } = await c.env.DB.prepare(`SELECT id, compliance FROM submissions WHERE +brand_id = ? AND status = 'submitted' AND id IN (${ids.map(() => '?').join(', ')})`)
    .bind(user.brandId, ...ids)
    .all<{ id: string; compliance: string }>();
  let approved = 0;
  let flagged = 0;
  for (const { id, compliance } of results) {
    // A caption without the hashtag or the disclosure is approved only one at a time, on purpose: a
    // missing #ad is the brand's legal risk, not something to wave through with a batch.
    if (!isCompliant(parseCompliance(compliance))) {
      flagged++;
      continue;
    }
    try {
      const s = await loadSubmission(c.env.DB, id, { brandId: user.brandId });
      await transitionSubmission(c.env.DB, s, { action: 'approve', actor: 'admin', actorId: user.id });
      tellCreator(c, s, 'approve', null, origin);
      approved++;
    } catch (e) {
      // Another reviewer decided it a moment ago: skip it, keep going.
      if (!(e instanceof ApiError && (e.status === 409 || e.status === 404))) throw e;
    }
  }
  return c.redirect(withFlash(back, 'bulk', { n: approved, ...(flagged > 0 ? { flagged } : {}), skipped: ids.length - approved - flagged }), 303);
});

// A live post's numbers, corrected by the brand (a typo, or numbers the post's insights do not show). Blank
// fields keep what the post has. Audited with what they were.
reviewRoutes.post('/review/:id/metrics', async (c) => {
  const { user } = c.var;
  const s = await loadSubmission(c.env.DB, c.req.param('id'), { brandId: user.brandId });
  const form = await readForm(c);
  const back = backTo(form.get('back'), '/console/review');
  const typed = Object.fromEntries(METRIC_NAMES.map((k) => [k, form.get(k).trim().replace(/[,\s]/g, '').slice(0, 20) || String(s[k])]));
  const parsed = metricsInput.safeParse(typed);
  if (!parsed.success) return renderBack(c, back, { errors: ['Engagement numbers are whole numbers from 0 to 1,000,000,000.'] }, 422);
  if (s.status !== 'live') return renderBack(c, back, { errors: [`${s.display_name}'s post is no longer live, so it has no numbers to correct.`] }, 409);
  const changed = await updateMetrics(c.env.DB, s, parsed.data, { brandId: user.brandId, actorType: 'admin_user', actorId: user.id });
  return c.redirect(withFlash(back, changed ? 'metrics' : 'metrics_unchanged'), 303);
});

reviewRoutes.post('/review/:id/:action', async (c) => {
  const name = c.req.param('action');
  const spec = Object.hasOwn(ACTIONS, name) ? ACTIONS[name] : undefined;
  if (!spec) throw new ApiError(404, 'not_found', 'No such review action.');
  const { user } = c.var;
  // Scoped by brand: another brand's submission is a 404, never a 403 that confirms it exists.
  const s = await loadSubmission(c.env.DB, c.req.param('id'), { brandId: user.brandId });
  const form = await readForm(c);
  const back = backTo(form.get('back'), '/console/review');
  const noteRequired = spec.action === 'request_changes' || spec.action === 'not_live';
  const raw = spec.action === 'go_live' ? { postUrl: form.get('postUrl').trim() } : form.get('note').trim() === '' && !noteRequired ? {} : { note: form.get('note') };
  const parsed = spec.schema.safeParse(raw);
  if (!parsed.success) return renderBack(c, back, { errors: [...new Set(parsed.error.issues.map((i) => i.message))] }, 422);
  // A caption missing the hashtag or the disclosure is approved only with the reviewer's word that the post will carry them.
  const missing = missingTags(parseCompliance(s.compliance), { hashtag: s.hashtag, disclosureText: s.disclosure_text }).join(' and ');
  if (spec.action === 'approve' && s.status === 'submitted' && missing !== '' && form.get('override') !== '1') {
    return renderBack(c, back, { errors: [`${s.display_name}'s caption is missing ${missing}. Tick “The post will carry ${missing}” to approve it anyway, or request changes.`] }, 422);
  }
  const origin = mailOrigin(c.env, c.req);
  if (mailsCreator(spec.action) && !origin) return refuseWithoutOrigin(c, (error, status) => renderBack(c, back, { errors: [error] }, status));
  try {
    await transitionSubmission(c.env.DB, s, { action: spec.action, actor: 'admin', actorId: user.id, note: parsed.data.note ?? null, postUrl: parsed.data.postUrl ?? null });
    tellCreator(c, s, spec.action, parsed.data.note ?? null, origin);
  } catch (e) {
    if (e instanceof ApiError && e.code === 'post_already_live') {
      return renderBack(c, back, { errors: [`That post is already live on another of ${s.display_name}'s submissions.`] }, 409);
    }
    if (e instanceof ApiError && e.code === 'submission_withdrawn') return renderBack(c, back, { errors: [e.message] }, 409);
    if (e instanceof ApiError && e.code === 'creator_erased') return renderBack(c, back, { errors: [e.message] }, 409);
    if (e instanceof ApiError && e.status === 409) {
      const now = await loadSubmission(c.env.DB, s.id, { brandId: user.brandId });
      return renderBack(c, back, { errors: [`${s.display_name}'s draft changed while you were looking at it: it is now “${STATUS_LABELS[now.status] ?? now.status}”.`] }, 409);
    }
    throw e;
  }
  return c.redirect(withFlash(back, spec.flash), 303);
});
