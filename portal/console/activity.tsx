// Settings → Activity: who did what to the brand's account, newest first, from the audit log.
import { DECLINE_REASON_LABELS, type DeclineReason } from '../../worker/db/declines';
import type { FC } from 'hono/jsx';
import type { ActivityArea, ActivityRow } from '../../worker/db/activity';
import { countOf, formatCount, formatDate, formatDateTime, formatMoney, linkTarget } from '../format';
import { askInWords } from '../../worker/domain/rights-extensions';
import type { RightsScope } from '../../worker/domain/usage-rights';
import { goalInWords } from './bounties';
import { ConsolePage, DataTable, Pager, type Viewer } from './layout';
import { SettingsHead } from './team';

const AREAS: { value: ActivityArea | null; label: string }[] = [
  { value: null, label: 'Everything' },
  { value: 'access', label: 'Team, keys and stores' },
  { value: 'campaigns', label: 'Campaigns and creators' },
  { value: 'money', label: 'Payouts' },
  { value: 'webhooks', label: 'Webhooks' },
];

const THINGS: Record<string, string> = {
  admin_user: 'Teammate',
  api_key: 'API key',
  integration: 'Store',
  brand: 'Brand settings',
  campaign: 'Campaign',
  creator: 'Creator',
  creators: 'Creators',
  enrollment: 'Enrollment',
  link: 'Link',
  code: 'Discount code',
  plan: 'Commission plan',
  submission: 'Draft',
  payout: 'Payout',
  period: 'Period',
  webhook_endpoint: 'Webhook endpoint',
  webhook_delivery: 'Webhook delivery',
  application: 'Application',
  bounty: 'Bounty',
  gift: 'Gift',
  gift_product: 'Gift product',
};

// Where the generic "<thing> <verb>" reads badly.
const SAID: Record<string, string> = {
  'campaign.brief_mailed': 'Brief change emailed to creators',
  'campaign.update_posted': 'Update posted to creators',
  'campaign.invitations_mailed': 'Invitations emailed',
  'creator.accepted_brand': 'Creator joined',
  'creator.accepted_terms': 'Creator accepted the program terms',
  'brand.terms_published': 'Program terms published',
  'creator.declined_brand': 'Creator declined',
  'creator.invited': 'Invite link made',
  'creator.password_reset_sent': 'Password link emailed',
  'creator.password_reset_requested': 'Password link asked for',
  'creator.unsubscribed': 'Creator stopped invitations',
  'creator.resubscribed': 'Creator allowed invitations again',
  'creator.email_changed': 'Creator changed their email',
  'creator.two_step_enabled': 'Creator turned on two-step sign-in',
  'creator.two_step_disabled': 'Creator turned off two-step sign-in',
  'creator.two_step_reset': 'Creator’s two-step sign-in reset',
  'creator.recovery_codes_regenerated': 'Creator made new recovery codes',
  'creator.recovery_code_used': 'Creator signed in with a recovery code',
  'creator.two_step_code_limit_reached': 'Too many wrong sign-in codes after a creator’s right password',
  'creator.account_closed': 'A creator closed their account',
  'creator.erased': 'Creator’s data erased on their request',
  'creator.tags_set': 'Creator’s tags changed',
  'payout.given_up': 'Payout given up by the creator who closed their account',
  'payout.year_end_exported': 'Year-end totals downloaded, with full tax ids',
  'payout.payment_file_exported': 'Payment file downloaded, with creators’ accounts',
  'enrollment.left': 'Creator left the campaign',
  'enrollment.declined': 'Creator declined the campaign',
  'enrollment.accepted': 'Creator accepted the campaign',
  'campaign.applications_opened': 'Applications opened',
  'campaign.applications_closed': 'Applications closed',
  'campaign.applications_declined': 'Applications declined',
  'submission.approve': 'Draft approved',
  'submission.request_changes': 'Changes asked for',
  'submission.reject': 'Draft turned down',
  'submission.go_live': 'Post marked live',
  'submission.not_live': 'Post marked not live',
  'submission.metrics_corrected': 'Post numbers corrected',
  'ledger.adjusted': 'Bonus or correction added',
  'gift.changed': 'Gift request changed',
  'gift.withdrawn': 'Gift request withdrawn',
  'conversion.declined': 'Order’s commission declined',
  'conversion.reinstated': 'Declined commission reinstated',
  'submission.rights_extension_asked': 'Usage rights extension asked',
  'submission.rights_extension_withdrawn': 'Usage rights extension withdrawn',
  'submission.rights_extension_accepted': 'Usage rights extension accepted',
  'submission.rights_extension_declined': 'Usage rights extension declined',
  'submission.submitted': 'Draft sent',
  'webhook_endpoint.secret_rolled': 'Webhook secret rolled',
  'webhook_endpoint.tested': 'Webhook test event sent',
  'webhook_delivery.replayed': 'Webhook delivery replayed',
  'admin_user.role_changed': 'Role changed',
  'admin_user.renamed': 'Teammate renamed',
  'admin_user.password_reset': 'Console password reset',
  'admin_user.password_changed': 'Console password changed',
  'admin_user.two_step_enabled': 'Two-step sign-in turned on',
  'admin_user.two_step_disabled': 'Two-step sign-in turned off',
  'admin_user.two_step_reset': 'Two-step sign-in reset',
  'admin_user.recovery_codes_regenerated': 'New recovery codes made',
  'admin_user.recovery_code_used': 'Signed in with a recovery code',
  'admin_user.two_step_code_limit_reached': 'Too many wrong sign-in codes after the right password',
  'brand.two_step_policy_changed': 'Two-step sign-in policy changed',
};

export function actionLabel(action: string): string {
  if (SAID[action]) return SAID[action];
  const [thing = '', verb = ''] = action.split('.');
  return `${THINGS[thing] ?? thing.replace(/_/g, ' ')} ${verb.replace(/_/g, ' ')}`.trim();
}

const SYSTEM: Record<string, string> = { 'forgot-password': 'the sign-in page', operator: "the operator's command line", 'two-step-code': 'the sign-in code page', 'bounty-check': 'the bounty check' };

// Who acted, when the key, teammate or creator is gone and only their kind is left.
export const goneActorLabel = (type: string) => (type === 'api_key' ? 'A deleted API key' : type === 'creator' ? 'A creator' : 'A former teammate');

function actorLabel(r: ActivityRow): string {
  // The account is anonymous now: the row says what happened, not under which placeholder.
  if (r.action === 'creator.account_closed' || r.action === 'payout.given_up') return goneActorLabel('creator');
  if (r.actor_name) return r.actor_name;
  if (r.actor_type === 'system') return `Chorus (${SYSTEM[r.actor_id] ?? r.actor_id})`;
  return goneActorLabel(r.actor_type);
}

const words = (key: string) => key.replace(/([A-Z])/g, ' $1').replace(/_/g, ' ').toLowerCase();
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

// One detail value in words: a date as the console writes dates, counts as "2 creators, 1 link", a list joined.
function valueText(v: unknown, timezone: string): string {
  if (typeof v === 'string') return ISO.test(v) && !Number.isNaN(Date.parse(v)) ? formatDateTime(Date.parse(v), timezone) : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map((x) => valueText(x, timezone)).join(', ');
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.every(([, x]) => typeof x === 'number')) {
      // Plural keys ("creators") name one in the singular; others ("accepted") read the same either way.
      const noun = (k: string, x: number) => (x === 1 ? words(k).replace(/s$/, '') : words(k));
      return entries.filter(([, x]) => (x as number) > 0).map(([k, x]) => `${formatCount(x as number)} ${noun(k, x as number)}`).join(', ') || 'none';
    }
    return JSON.stringify(v);
  }
  return '';
}

// Where an entry says more in a sentence of its own than as its fields.
const SENTENCES: Record<string, (d: Record<string, unknown>, timezone: string) => string> = {
  'brand.two_step_policy_changed': (d) => (d.required === true ? 'Required for everyone on the team' : 'No longer required'),
  'webhook_endpoint.secret_rolled': (d, tz) => (typeof d.previousSecretUntil === 'string' ? `Old secret kept until ${valueText(d.previousSecretUntil, tz)}` : 'Old secret stopped at once'),
  'campaign.invitations_mailed': (d, tz) => {
    const skipped = valueText(d.skipped, tz);
    return `Emailed ${valueText(d.queued, tz)}${skipped && skipped !== 'none' ? `; not emailed: ${skipped}` : ''}`;
  },
  // Only the numbers that moved: "views 1,200 → 12,000".
  'submission.metrics_corrected': (d) => {
    const from = (d.from ?? {}) as Record<string, unknown>;
    const to = (d.to ?? {}) as Record<string, unknown>;
    const moved = Object.keys(to).filter((k) => typeof to[k] === 'number' && to[k] !== from[k]);
    return moved.map((k) => `${k} ${typeof from[k] === 'number' ? formatCount(from[k] as number) : '?'} → ${formatCount(to[k] as number)}`).join(' · ');
  },
  // "destination shop.example/glow → shop.example/holiday-set", "active → paused".
  'link.updated': (d) => {
    const before = (d.before ?? {}) as Record<string, unknown>;
    const moved = (key: 'destination' | 'status', show: (v: string) => string) =>
      typeof d[key] === 'string' ? `${key === 'destination' ? 'destination ' : ''}${typeof before[key] === 'string' && before[key] !== d[key] ? `${show(before[key] as string)} → ` : ''}${show(d[key] as string)}` : null;
    return [moved('destination', (v) => linkTarget(v)), moved('status', (v) => v)].filter((p) => p !== null).join(' · ');
  },
  // Names as they were when copied (db/campaign-copy.ts), not ids.
  'campaign.copied': (d) => (typeof d.fromName === 'string' && typeof d.name === 'string' ? shortText(`“${d.name}” from “${d.fromName}”`) : ''),
  'campaign.update_posted': (d) => `“${typeof d.title === 'string' ? d.title : ''}”, mail sent to ${typeof d.mailed === 'number' ? countOf(d.mailed, 'creator') : 'its creators'}`,
  // "90 more days, adds paid ads, $150.00"; the creator's answer: the new end, or their note.
  'submission.rights_extension_asked': (d) =>
    askInWords({
      days: typeof d.days === 'number' ? d.days : null,
      scopes: Array.isArray(d.scopes) ? (d.scopes as RightsScope[]) : [],
      feeMinor: typeof d.feeMinor === 'number' && typeof d.currency === 'string' && /^[A-Z]{3}$/.test(d.currency) ? d.feeMinor : 0,
      currency: typeof d.currency === 'string' ? d.currency : 'USD',
      note: '',
    }),
  // The grant's last day, as the content library says it (the end is that day's end).
  'submission.rights_extension_accepted': (d, tz) => (d.noEnd === true ? 'Now with no end date' : typeof d.until === 'string' && !Number.isNaN(Date.parse(d.until)) ? `Now until ${formatDate(Date.parse(d.until) - 1, tz)}` : ''),
  'submission.rights_extension_declined': (d) => (typeof d.note === 'string' && d.note ? `Their note: ${shortText(d.note)}` : 'No note'),
  // What the creator gave up of what the brand owed them, if anything (db/creator-erasure.ts).
  'creator.account_closed': (d) => {
    const gaveUp = Array.isArray(d.gaveUp) ? (d.gaveUp as { currency?: unknown; amountMinor?: unknown }[]) : [];
    const amounts = gaveUp.filter((g) => typeof g.amountMinor === 'number' && typeof g.currency === 'string' && /^[A-Z]{3}$/.test(g.currency)).map((g) => formatMoney(g.amountMinor as number, g.currency as string));
    return amounts.length > 0 ? `Gave up ${amounts.join(' and ')} you owed them` : '';
  },
  // "uk, wave 2 (were: uk)": the set as saved; none left reads as such. An erasure cleared the row's tags: say nothing.
  'creator.tags_set': (d) => {
    if (!Array.isArray(d.tags)) return '';
    const list = (v: unknown) => (Array.isArray(v) ? v.filter((t): t is string => typeof t === 'string') : []);
    const now = list(d.tags);
    const before = list(d.before);
    return shortText(`${now.length > 0 ? now.join(', ') : 'No tags'}${before.length > 0 ? ` (were: ${before.join(', ')})` : ''}`);
  },
  // "“Ten sales”: 10 sales by Dec 31, 2026, pays $50.00" (the window's end is exclusive, so its last day).
  'bounty.created': (d, tz) => {
    const currency = typeof d.currency === 'string' && /^[A-Z]{3}$/.test(d.currency) ? d.currency : null;
    const ends = typeof d.endsAt === 'string' ? Date.parse(d.endsAt) : NaN;
    if (typeof d.title !== 'string' || (d.metric !== 'sales' && d.metric !== 'revenue') || typeof d.target !== 'number' || typeof d.rewardMinor !== 'number' || !currency || Number.isNaN(ends)) return '';
    return `${shortText(`“${d.title}”`)}: ${goalInWords({ metric: d.metric, target: d.target, currency })} by ${formatDate(ends - 1, tz)}, pays ${formatMoney(d.rewardMinor, currency)}`;
  },
  'bounty.awarded': (d) =>
    typeof d.title === 'string' && typeof d.amountMinor === 'number' && typeof d.currency === 'string' && /^[A-Z]{3}$/.test(d.currency) ? `${shortText(`“${d.title}”`)}, paid ${formatMoney(d.amountMinor, d.currency)}` : '',
  // "SEPA file: 3 payouts, €1,246.65" (db/payment-files.ts paymentFileAudit).
  'payout.payment_file_exported': (d) => {
    const file = ({ sepa: 'SEPA', paypal: 'PayPal', wise: 'Wise' } as Record<string, string>)[typeof d.format === 'string' ? d.format : ''];
    if (!file || typeof d.payouts !== 'number' || typeof d.totalMinor !== 'number' || typeof d.currency !== 'string' || !/^[A-Z]{3}$/.test(d.currency)) return '';
    return `${file} file: ${countOf(d.payouts, 'payout')}, ${formatMoney(d.totalMinor, d.currency)}`;
  },
  'bounty.archived': (d) => (typeof d.title === 'string' ? shortText(`“${d.title}”`) : ''),
  // "Order 1042: Test order, “Staff checkout test”"
  'conversion.declined': (d) =>
    typeof d.orderId === 'string' && typeof d.reason === 'string' && d.reason in DECLINE_REASON_LABELS
      ? shortText(`Order ${d.orderId}: ${DECLINE_REASON_LABELS[d.reason as DeclineReason]}${typeof d.note === 'string' && d.note ? `, “${d.note}”` : ''}`)
      : '',
  'conversion.reinstated': (d) => (typeof d.orderId === 'string' ? shortText(`Order ${d.orderId}`) : ''),
  'creators.imported': (d, tz) => `${d.created ? valueText(d.created, tz) : `${valueText(d.rows, tz)} rows`}${d.complete === false ? ' (stopped part-way)' : ''}`,
};

// One detail's text, at most 80 characters.
function shortText(text: string): string {
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

// A few of the entry's details, each short: enough to tell entries apart, not the whole record.
function detailText(action: string, raw: string | null, timezone: string): string {
  let details: Record<string, unknown> = {};
  try {
    const parsed: unknown = raw ? JSON.parse(raw) : {};
    details = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return '';
  }
  const sentence = SENTENCES[action];
  if (sentence) return sentence(details, timezone);
  return Object.entries(details)
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .slice(0, 4)
    .map(([k, v]) => {
      const text = valueText(v, timezone);
      return `${words(k)}: ${shortText(text)}`;
    })
    .join(' · ');
}

// Where the console shows what an entry touched, for the kinds that have a page of their own.
function targetHref(r: ActivityRow): string | null {
  switch (r.target_type) {
    case 'campaign':
      return `/console/campaigns/${encodeURIComponent(r.target_id)}`;
    case 'api_key':
    case 'integration':
      return '/console/keys';
    case 'admin_user':
      return '/console/team';
    case 'webhook_endpoint':
      return '/console/webhooks';
    case 'commission_plan':
      return `/console/plans#${encodeURIComponent(r.target_id)}`;
    // A request to extend a post's rights: its page in the content library.
    case 'submission':
      return r.action.startsWith('submission.rights_extension_') ? `/console/content/${encodeURIComponent(r.target_id)}` : null;
    default:
      return null;
  }
}

const TargetName: FC<{ r: ActivityRow; name: string }> = ({ r, name }) => {
  const href = targetHref(r);
  return href ? <a href={href}>{name}</a> : <>{name}</>;
};

export const activityHref = (area: ActivityArea | null, cursor?: string) => {
  const q = new URLSearchParams();
  if (area) q.set('area', area);
  if (cursor) q.set('cursor', cursor);
  const s = q.toString();
  return `/console/activity${s ? `?${s}` : ''}`;
};

export const ActivityPage: FC<{ viewer: Viewer; area: ActivityArea | null; rows: ActivityRow[]; nextCursor: string | null; paged: boolean; toReview: number }> = ({
  viewer,
  area,
  rows,
  nextCursor,
  paged,
  toReview,
}) => (
  <ConsolePage title="Activity" viewer={viewer} section="settings" toReview={toReview}>
    <SettingsHead brandName={viewer.brandName} current="activity" flash={null} />
    <section class="card" aria-labelledby="activity-h">
      <h2 id="activity-h">Activity</h2>
      <p class="muted small">Who changed what in {viewer.brandName}'s account, in the console or through the API, newest first. Orders and clicks are not listed here.</p>
      <nav class="tabs status-tabs" aria-label="Filter activity">
        {AREAS.map((a) => (
          <a href={activityHref(a.value)} aria-current={a.value === area ? 'page' : undefined}>
            {a.label}
          </a>
        ))}
      </nav>
      {rows.length === 0 ? (
        <p class="muted">{paged ? 'Nothing older.' : 'Nothing yet.'}</p>
      ) : (
        <DataTable columns={['When', 'Who', 'What', 'Details']}>
          {rows.map((r) => (
            <tr>
              <td data-label="When" class="small">
                {formatDateTime(r.at, viewer.timezone)}
              </td>
              <td data-label="Who">{actorLabel(r)}</td>
              <td data-label="What" class="wide">
                <strong>{actionLabel(r.action)}</strong>
                {r.target_name ? (
                  <span class="block small" style="overflow-wrap: anywhere">
                    <TargetName r={r} name={r.target_name} />
                  </span>
                ) : null}
              </td>
              <td data-label="Details" class="small muted wide" style="overflow-wrap: anywhere">
                {detailText(r.action, r.details, viewer.timezone)}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      <Pager newest={paged ? activityHref(area) : null} older={nextCursor ? activityHref(area, nextCursor) : null} olderLabel="Older" />
    </section>
  </ConsolePage>
);
