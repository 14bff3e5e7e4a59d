// Creators hear when they earn, as Shopify Collabs and Dub Partners tell theirs of a sale: one mail a creator at
// most once a day, the first within a cron run (15 minutes) of an order credited to them after a quiet day, with
// what each campaign's new orders earned, what refunds took back, and how far they are from the next tier. Only
// of brands they accepted, only to accounts with a password (who can sign in to see it), and off when they turn
// it off on the Account page.
import type { Env } from '../env';
import { queueNotices } from '../mail';
import type { Message } from '../lib/messages';
import { tierProgress } from '../domain/commission';
import { DAY_MS, periodOf } from '../domain/periods';
import type { CommissionTier } from '../db/schema';
import { formatDate, formatMoney, formatPercent } from '../../portal/format';
import { earningsMailToken } from '../db/mail-opt-outs';

// Creators claimed a run: a run with more due leaves them to the next one, 15 minutes on.
export const EARNINGS_DIGESTS_PER_RUN = 100;
// Entries written in the last minute wait for the next mail: a conversion's batch can land just after a claim
// with a time just before it, and would otherwise fall between two mails' windows.
const SETTLE_MS = 60_000;
// How far back a run looks for creators who earned: a week of cron runs failing loses no one's mail.
const LOOKBACK_MS = 7 * DAY_MS;

const ACCEPTED = 'JOIN brand_creators r ON r.brand_id = l.brand_id AND r.creator_id = l.creator_id AND r.accepted_at IS NOT NULL';

// The stamp is the claim (two overlapping runs mail nobody twice), and `earnings_digest_from` keeps where the
// last mail's window ended, so each mail tells of entries written since the one before: (from, at - SETTLE].
// ?1 now, ?2 a day, ?3 limit, ?4 lookback, ?5 settle.
const CLAIM = `UPDATE creators SET earnings_digest_from = COALESCE(earnings_digest_at - ?5, ?1 - ?2 - ?5), earnings_digest_at = ?1
WHERE id IN (
  SELECT c.id FROM creators c
  WHERE c.id IN (SELECT l.creator_id FROM ledger_entries l WHERE l.kind = 'commission' AND l.created_at > ?1 - ?4)
    AND c.earnings_digest = 1 AND c.password_hash IS NOT NULL
    AND (c.earnings_digest_at IS NULL OR c.earnings_digest_at <= ?1 - ?2)
    AND EXISTS (SELECT 1 FROM ledger_entries l ${ACCEPTED}
      WHERE l.creator_id = c.id AND l.kind = 'commission' AND l.created_at > COALESCE(c.earnings_digest_at - ?5, ?1 - ?2 - ?5) AND l.created_at <= ?1 - ?5)
  LIMIT ?3)
RETURNING id, email, display_name AS name, earnings_digest_from AS since`;

// What each claimed creator's campaigns gained in their window, one row a creator and campaign (?1 the claims as
// JSON [{id, since}], ?2 the window's end). Take-backs count reversals and bonuses taken back.
const NEW_ENTRIES = `SELECT l.creator_id, l.enrollment_id, b.name AS brand_name, b.currency, b.timezone, cp.name AS campaign_name, e.payment_model,
  p.tiers, p.period AS plan_period, cp.holding_days,
  SUM(l.kind = 'commission') AS orders,
  SUM(CASE WHEN l.kind = 'commission' THEN l.amount_minor ELSE 0 END) AS commission,
  SUM(CASE WHEN l.kind = 'bonus' AND l.amount_minor > 0 THEN l.amount_minor ELSE 0 END) AS bonus,
  SUM(CASE WHEN l.kind IN ('reversal', 'bonus') AND l.amount_minor < 0 THEN -l.amount_minor ELSE 0 END) AS taken_back,
  MAX(CASE WHEN l.kind = 'commission' THEN l.available_at END) AS payable_by
FROM json_each(?1) j
JOIN ledger_entries l ON l.creator_id = json_extract(j.value, '$.id') AND l.created_at > json_extract(j.value, '$.since') AND l.created_at <= ?2
${ACCEPTED}
JOIN enrollments e ON e.id = l.enrollment_id JOIN campaigns cp ON cp.id = e.campaign_id JOIN brands b ON b.id = l.brand_id
LEFT JOIN commission_plans p ON p.id = cp.commission_plan_id
WHERE l.kind IN ('commission', 'reversal', 'bonus')
GROUP BY l.creator_id, l.enrollment_id
ORDER BY b.name, cp.name`;

// Tier revenue as the portal's home card counts it: the period's (or, for a plan over the campaign, all) net
// revenue of commissions and reversals. ?1 JSON [{e, p}] with p null for a plan over the campaign.
const REVENUE = `SELECT json_extract(j.value, '$.e') AS enrollment_id,
  (SELECT COALESCE(SUM(l.basis_minor), 0) FROM ledger_entries l WHERE l.enrollment_id = json_extract(j.value, '$.e')
    AND l.kind IN ('commission', 'reversal') AND (json_extract(j.value, '$.p') IS NULL OR l.basis_period = json_extract(j.value, '$.p'))) AS revenue
FROM json_each(?1) j`;

type Claimed = { id: string; email: string; name: string; since: number };
export type CampaignEarnings = {
  creator_id: string;
  enrollment_id: string;
  brand_name: string;
  currency: string;
  timezone: string;
  campaign_name: string;
  payment_model: string;
  tiers: string | null;
  plan_period: 'month' | 'lifetime' | null;
  holding_days: number;
  orders: number;
  commission: number;
  bonus: number;
  taken_back: number;
  payable_by: number | null;
};

export async function mailEarningsDigests(env: Env, now: number): Promise<number> {
  const db = env.DB;
  const { results: claimed } = await db.prepare(CLAIM).bind(now, DAY_MS, EARNINGS_DIGESTS_PER_RUN, LOOKBACK_MS, SETTLE_MS).all<Claimed>();
  if (claimed.length === 0) return 0;
  const { results: rows } = await db
    .prepare(NEW_ENTRIES)
    .bind(JSON.stringify(claimed.map((c) => ({ id: c.id, since: c.since }))), now - SETTLE_MS)
    .all<CampaignEarnings>();
  const climbing = rows.filter(showsTiers);
  const revenue = new Map<string, number>();
  if (climbing.length > 0) {
    const asked = climbing.map((r) => ({ e: r.enrollment_id, p: r.plan_period === 'lifetime' ? null : periodOf(now, r.timezone) }));
    const { results } = await db.prepare(REVENUE).bind(JSON.stringify(asked)).all<{ enrollment_id: string; revenue: number }>();
    for (const r of results) revenue.set(r.enrollment_id, r.revenue);
  }
  const origin = /^https?:\/\//i.test(env.PUBLIC_ORIGIN ?? '') ? new URL(env.PUBLIC_ORIGIN!).origin : null;
  const mails = await Promise.all(
    claimed.map(async (c) => {
      const own = rows.filter((r) => r.creator_id === c.id);
      const links = origin ? { origin, stopToken: await earningsMailToken(env.SECRETS_KEY, c.id) } : null;
      return own.length > 0 ? earningsDigest(c, own, revenue, now, links) : null;
    }),
  ).then((all) => all.filter((m) => m !== null));
  if (mails.length > 0) await queueNotices(env, mails, 'earnings_digest_failed');
  return mails.length;
}

// Plans with a ladder to climb, for models paid by commission: the home card's tier block, in words.
const showsTiers = (r: CampaignEarnings) => (r.payment_model === 'affiliate' || r.payment_model === 'hybrid') && r.tiers !== null && (JSON.parse(r.tiers) as unknown[]).length > 1;

const plural = (n: number, one: string, many: string) => (n === 1 ? one : `${n.toLocaleString('en-US')} ${many}`);

export function campaignLines(r: CampaignEarnings, revenue: number | undefined, now: number): string[] {
  const money = (minor: number) => formatMoney(minor, r.currency);
  const lines = [`${r.brand_name} · ${r.campaign_name}`];
  if (r.orders > 0) lines.push(`${plural(r.orders, 'A new order', 'new orders')} earned you ${money(r.commission)} in commission.`);
  if (r.bonus > 0) lines.push(`You reached the performance bonus: ${money(r.bonus)}.`);
  if (r.taken_back > 0) lines.push(`Refunds took back ${money(r.taken_back)}.`);
  if (revenue !== undefined && r.tiers) {
    const p = tierProgress(JSON.parse(r.tiers) as CommissionTier[], revenue);
    const window = r.plan_period === 'lifetime' ? 'in this campaign' : 'this month';
    lines.push(
      p.next
        ? `You are on Tier ${p.tier} · ${formatPercent(p.rateBps)}: ${money(p.next.remainingMinor)} more in sales ${window} reaches Tier ${p.next.tier} · ${formatPercent(p.next.rateBps)}.`
        : `You are in the top tier: every sale earns ${formatPercent(p.rateBps)}.`,
    );
  }
  if (r.orders > 0 && r.payable_by !== null && r.payable_by > now) {
    lines.push(`Payable by ${formatDate(r.payable_by, r.timezone)}, once the ${r.holding_days}-day holding period for returns ends.`);
  }
  return lines;
}

// Links only where Chorus knows its own address (PUBLIC_ORIGIN): a cron run has no request to take one from. With
// them, the one-click unsubscribe (RFC 8058) that mail clients show, as the invitations carry.
export function earningsDigest(c: Pick<Claimed, 'email' | 'name'>, rows: CampaignEarnings[], revenue: Map<string, number>, now: number, links: { origin: string; stopToken: string } | null): Message {
  const origin = links?.origin ?? null;
  const brands = [...new Set(rows.map((r) => r.brand_name))];
  const currencies = new Set(rows.map((r) => r.currency));
  const gained = rows.reduce((sum, r) => sum + r.commission + r.bonus, 0);
  const subject =
    brands.length === 1 && currencies.size === 1 && gained > 0
      ? `You earned ${formatMoney(gained, rows[0]!.currency)} at ${brands[0]}`
      : `New earnings at ${brands.length <= 2 ? brands.join(' and ') : `${brands[0]} and ${brands.length - 1} more brands`}`;
  return {
    to: c.email,
    subject,
    text: [
      `Hi ${c.name},`,
      'New orders were credited to you.',
      ...rows.map((r) => campaignLines(r, revenue.get(r.enrollment_id), now).join('\n')),
      origin ? `Every order and when it is paid: ${origin}/earnings` : 'Every order and when it is paid is on the Earnings page of your Chorus portal.',
      links
        ? `You get this at most once a day, on days you earn. To stop it: ${links.origin}/unsubscribe/earnings/${links.stopToken} (or under Emails on your Account page).`
        : 'You get this at most once a day, on days you earn. To stop it, turn it off under Emails on your Account page.',
    ].join('\n\n'),
    ...(links ? { headers: { 'List-Unsubscribe': `<${links.origin}/v1/unsubscribe/earnings/${links.stopToken}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } } : {}),
  };
}
