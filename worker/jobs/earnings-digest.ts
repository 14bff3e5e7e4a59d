// Creators hear when they earn, as Shopify Collabs and Dub Partners tell theirs of a sale: one mail a creator at
// most once a day, the first within a cron run (15 minutes) of an order credited to them (or a post's fee) after a
// quiet day, with what each campaign's new orders and posts earned, what refunds took back, and how far they are
// from the next tier. Only
// of brands they accepted, only to accounts with a password (who can sign in to see it), and off when they turn
// it off on the Account page.
import { mailOrigin, oneClickUnsubscribe, type Env } from '../env';
import { handOnClaimed, type KeyedMail } from '../mail';
import type { Message } from '../lib/messages';
import { tierProgress } from '../domain/commission';
import { DAY_MS, periodOf, zoneOrUtc } from '../domain/periods';
import { campaignEnded } from '../domain/codes';
import type { CommissionTier } from '../db/schema';
import { formatDate, formatMoney, formatPercent } from '../../portal/format';
import { earningsMailToken } from '../db/mail-opt-outs';

// Creators claimed a run, those waiting longest first: a run with more due leaves them to the next one, 15 minutes
// on. Three statements a run whatever the number (the claims travel as one JSON parameter).
export const EARNINGS_DIGESTS_PER_RUN = 200;
// Entries written in the last minute wait for the next mail: a conversion's batch can land just after a claim
// with a time just before it, and would otherwise fall between two mails' windows.
const SETTLE_MS = 60_000;
// A mail tells of a week at most: the first mail after a long quiet spell (or after the creator turned it back
// on) is about this week, not months of orders. Also how far back a run looks for creators who earned.
export const EARNINGS_LOOKBACK_MS = 7 * DAY_MS;

const ACCEPTED = 'JOIN brand_creators r ON r.brand_id = l.brand_id AND r.creator_id = l.creator_id AND r.accepted_at IS NOT NULL';

// An order whose commission the brand declined (db/declines.ts) and has not reinstated: never news of an earning.
const standingDecline = (l: string) => `EXISTS (SELECT 1 FROM declined_commissions d WHERE d.conversion_id = ${l}.conversion_id AND d.reinstated_at IS NULL)`;
// A reversal of a brand's decline or the give-back of reinstating it, and a bonus either took back or gave back
// (they name the refund row that stands for the decline): told apart from refunds.
const ofDecline = `EXISTS (SELECT 1 FROM declined_commissions d WHERE d.refund_id = l.refund_id)`;

// Where a creator's next window starts: the end of the last mail's window, or a day back for a first mail, and a
// week back at most. (?1 now, ?2 a day, ?4 lookback, ?5 settle.)
const WINDOW_START = (c: string) => `MAX(COALESCE(${c}earnings_digest_at, ?1 - ?2), ?1 - ?4) - ?5`;

// The stamp is the claim (two overlapping runs mail nobody twice), and `earnings_digest_from` keeps where this
// mail's window starts, so each mail tells of entries written since the one before: (from, now - SETTLE]. Only
// a commission or a flat fee that earned something makes a mail due (a 0 % tier or a product seeding order does
// not; a refund alone is no news).
// ?1 now, ?2 a day, ?3 limit, ?4 lookback, ?5 settle.
const CLAIM = `UPDATE creators SET earnings_digest_from = ${WINDOW_START('')}, earnings_digest_at = ?1
WHERE id IN (
  SELECT c.id FROM creators c
  WHERE c.id IN (SELECT l.creator_id FROM ledger_entries l WHERE l.kind IN ('commission', 'flat_fee') AND l.created_at > ?1 - ?4 - ?5)
    AND c.earnings_digest = 1 AND c.password_hash IS NOT NULL
    AND (c.earnings_digest_at IS NULL OR c.earnings_digest_at <= ?1 - ?2)
    AND EXISTS (SELECT 1 FROM ledger_entries l ${ACCEPTED}
      WHERE l.creator_id = c.id AND l.kind IN ('commission', 'flat_fee') AND l.amount_minor > 0 AND l.created_at > ${WINDOW_START('c.')} AND l.created_at <= ?1 - ?5
        AND NOT ${standingDecline('l')})
  ORDER BY c.earnings_digest_at IS NOT NULL, c.earnings_digest_at
  LIMIT ?3)
RETURNING id, email, display_name AS name, earnings_digest_from AS since`;

// A run that failed after claiming gives the claims back, so the next run mails the same windows: the stamp goes
// back to where it was (a first mail's to a day before now, the start its window had). Only its own claims.
// ?1 the creators as JSON, ?2 the run's now, ?3 settle.
const UNCLAIM = `UPDATE creators SET earnings_digest_at = earnings_digest_from + ?3
WHERE id IN (SELECT value FROM json_each(?1)) AND earnings_digest_at = ?2`;

// What each claimed creator's campaigns gained in their window, one row a creator and campaign (?1 the claims as
// JSON [{id, since}], ?2 the window's end). Take-backs count reversals and bonuses taken back; a failed refund's
// give-back (a positive reversal) is told apart, and so is what a brand's decline took or its reinstatement gave.
const NEW_ENTRIES = `SELECT l.creator_id, l.enrollment_id, b.name AS brand_name, MAX(l.currency) AS currency, b.timezone, cp.name AS campaign_name,
  e.payment_model, e.status AS enrollment_status, cp.status AS campaign_status, cp.ends_at, p.tiers, p.period AS plan_period, cp.holding_days,
  SUM(l.kind = 'commission') AS orders,
  SUM(CASE WHEN l.kind = 'commission' THEN l.amount_minor ELSE 0 END) AS commission,
  SUM(CASE WHEN l.kind = 'bonus' AND l.amount_minor > 0 AND NOT ${ofDecline} THEN l.amount_minor ELSE 0 END) AS bonus,
  SUM(CASE WHEN l.kind = 'flat_fee' AND l.amount_minor > 0 THEN l.amount_minor ELSE 0 END) AS fees,
  SUM(CASE WHEN l.kind = 'reversal' AND l.amount_minor > 0 AND NOT ${ofDecline} THEN l.amount_minor ELSE 0 END) AS given_back,
  SUM(CASE WHEN l.kind IN ('reversal', 'bonus') AND l.amount_minor < 0 AND NOT ${ofDecline} THEN -l.amount_minor ELSE 0 END) AS taken_back,
  SUM(CASE WHEN l.kind IN ('reversal', 'bonus') AND l.amount_minor < 0 AND ${ofDecline} THEN -l.amount_minor ELSE 0 END) AS declined,
  SUM(CASE WHEN l.kind = 'bonus' AND l.amount_minor < 0 AND ${ofDecline} THEN -l.amount_minor ELSE 0 END) AS declined_bonus,
  SUM(CASE WHEN l.kind IN ('reversal', 'bonus') AND l.amount_minor > 0 AND ${ofDecline} THEN l.amount_minor ELSE 0 END) AS reinstated,
  MAX(CASE WHEN l.kind = 'commission' THEN l.available_at END) AS held_until
FROM json_each(?1) j
JOIN ledger_entries l ON l.creator_id = json_extract(j.value, '$.id') AND l.created_at > json_extract(j.value, '$.since') AND l.created_at <= ?2
${ACCEPTED}
JOIN enrollments e ON e.id = l.enrollment_id JOIN campaigns cp ON cp.id = e.campaign_id JOIN brands b ON b.id = l.brand_id
LEFT JOIN commission_plans p ON p.id = cp.commission_plan_id
WHERE l.kind IN ('commission', 'reversal', 'bonus', 'flat_fee')
  -- An order declined before this mail told of it is left out whole: its earning, and the decline taking it back
  -- (a bonus that decline took back too, which names the order that earned the bonus).
  AND NOT (${standingDecline('l')} AND EXISTS (SELECT 1 FROM ledger_entries c WHERE c.conversion_id = l.conversion_id AND c.kind = 'commission' AND c.created_at > json_extract(j.value, '$.since')))
  AND NOT EXISTS (SELECT 1 FROM declined_commissions d JOIN ledger_entries c ON c.conversion_id = d.conversion_id AND c.kind = 'commission'
    WHERE d.refund_id = l.refund_id AND d.reinstated_at IS NULL AND c.created_at > json_extract(j.value, '$.since'))
GROUP BY l.creator_id, l.enrollment_id
ORDER BY b.name, cp.name`;

// Tier revenue as the portal's home card counts it: the period's (or, for a plan over the campaign, all) net
// revenue of commissions and reversals. ?1 JSON [{e, p}] of monthly plans, ?2 JSON [e] of plans over the
// campaign: two branches, so the monthly one seeks (enrollment_id, basis_period) instead of reading every period.
const REVENUE = `SELECT json_extract(j.value, '$.e') AS enrollment_id,
  (SELECT COALESCE(SUM(l.basis_minor), 0) FROM ledger_entries l WHERE l.enrollment_id = json_extract(j.value, '$.e')
    AND l.basis_period = json_extract(j.value, '$.p') AND l.kind IN ('commission', 'reversal')) AS revenue
FROM json_each(?1) j
UNION ALL
SELECT j.value, (SELECT COALESCE(SUM(l.basis_minor), 0) FROM ledger_entries l WHERE l.enrollment_id = j.value AND l.kind IN ('commission', 'reversal'))
FROM json_each(?2) j`;

type Claimed = { id: string; email: string; name: string; since: number };
export type CampaignEarnings = {
  creator_id: string;
  enrollment_id: string;
  brand_name: string;
  currency: string;
  timezone: string;
  campaign_name: string;
  payment_model: string;
  enrollment_status: string;
  campaign_status: string;
  ends_at: number | null;
  tiers: string | null;
  plan_period: 'month' | 'lifetime' | null;
  holding_days: number;
  orders: number;
  commission: number;
  bonus: number;
  fees: number;
  given_back: number;
  taken_back: number;
  /** What the brand's declines took back, a bonus they took included (declined_bonus). */
  declined: number;
  declined_bonus: number;
  reinstated: number;
  held_until: number | null;
};

/** Resolves with how many digests were handed on (to the mail queue, or else to the provider): a refused one is not counted. */
export async function mailEarningsDigests(env: Env, now: number): Promise<number> {
  const db = env.DB;
  const { results: claimed } = await db.prepare(CLAIM).bind(now, DAY_MS, EARNINGS_DIGESTS_PER_RUN, EARNINGS_LOOKBACK_MS, SETTLE_MS).all<Claimed>();
  if (claimed.length === 0) return 0;
  const unclaim = (ids: string[]) => db.prepare(UNCLAIM).bind(JSON.stringify(ids), now, SETTLE_MS).run();
  const { handed, refusedKeys } = await handOnClaimed(
    env,
    'earnings_digest_failed',
    () => digestsFor(env, claimed, now),
    () => unclaim(claimed.map((c) => c.id)),
  );
  // A digest the queue and the provider both refused goes back, so the next run mails the same window.
  const refused = claimed.filter((c) => refusedKeys.has(digestKey(c.id, now))).map((c) => c.id);
  if (refused.length > 0) await unclaim(refused);
  return handed;
}

const digestKey = (creatorId: string, now: number) => `earnings-digest:${creatorId}:${now}`;

async function digestsFor(env: Env, claimed: Claimed[], now: number): Promise<KeyedMail[]> {
  const db = env.DB;
  const { results: rows } = await db
    .prepare(NEW_ENTRIES)
    .bind(JSON.stringify(claimed.map((c) => ({ id: c.id, since: c.since }))), now - SETTLE_MS)
    .all<CampaignEarnings>();
  const climbing = rows.filter((r) => showsTiers(r, now));
  const revenue = new Map<string, number>();
  if (climbing.length > 0) {
    const monthly = climbing.filter((r) => r.plan_period !== 'lifetime').map((r) => ({ e: r.enrollment_id, p: periodOf(now, zoneOrUtc(r.timezone)) }));
    const lifetime = climbing.filter((r) => r.plan_period === 'lifetime').map((r) => r.enrollment_id);
    const { results } = await db.prepare(REVENUE).bind(JSON.stringify(monthly), JSON.stringify(lifetime)).all<{ enrollment_id: string; revenue: number }>();
    for (const r of results) revenue.set(r.enrollment_id, r.revenue);
  }
  // Links need Chorus's own address (env.ts mailOrigin): a cron run has no request to take one from.
  const origin = mailOrigin(env);
  const mails = await Promise.all(
    claimed.map(async (c) => {
      const own = rows.filter((r) => r.creator_id === c.id && saysSomething(r));
      if (own.length === 0) return null;
      const links = origin ? { origin, stopToken: await earningsMailToken(env.SECRETS_KEY, { creatorId: c.id, email: c.email }) } : null;
      return { ...earningsDigest(c, own, revenue, now, links), idempotencyKey: digestKey(c.id, now) };
    }),
  );
  return mails.filter((m) => m !== null);
}

const saysSomething = (r: CampaignEarnings) => r.commission > 0 || r.bonus > 0 || r.fees > 0 || r.given_back > 0 || r.taken_back > 0 || r.declined > 0 || r.reinstated > 0;

// Plans with a ladder to climb, for models paid by commission, in a campaign still running that the creator is
// still in: the home card's tier block, in words (an ended campaign's card shows none).
const showsTiers = (r: CampaignEarnings, now: number) =>
  (r.payment_model === 'affiliate' || r.payment_model === 'hybrid') &&
  r.enrollment_status !== 'removed' &&
  !campaignEnded(r, now) &&
  r.tiers !== null &&
  (JSON.parse(r.tiers) as unknown[]).length > 1;

const plural = (n: number, one: string, many: string) => (n === 1 ? one : `${n.toLocaleString('en-US')} ${many}`);
const gainedIn = (r: CampaignEarnings) => r.commission + r.bonus + r.fees + r.given_back + r.reinstated;

export function campaignLines(r: CampaignEarnings, revenue: number | undefined, now: number): string[] {
  const money = (minor: number) => formatMoney(minor, r.currency);
  const lines = [`${r.brand_name} · ${r.campaign_name}`];
  if (r.orders > 0 && r.commission > 0) lines.push(`${plural(r.orders, 'A new order', 'new orders')} earned you ${money(r.commission)} in commission.`);
  if (r.bonus > 0) lines.push(`You reached the performance bonus: ${money(r.bonus)}.`);
  if (r.fees > 0) lines.push(`Fees for posts that went live: ${money(r.fees)}.`);
  if (r.given_back > 0) lines.push(`A refund that failed gave back ${money(r.given_back)}.`);
  if (r.taken_back > 0) lines.push(`Refunds took back ${money(r.taken_back)}.`);
  if (r.declined > 0) lines.push(`${r.brand_name} declined an order's commission (its reason is on Stats), taking back ${money(r.declined)}${r.declined_bonus > 0 ? `, the month's performance bonus included` : ''}.`);
  if (r.reinstated > 0) lines.push(`${r.brand_name} reinstated a declined order: ${money(r.reinstated)} is yours again.`);
  if (revenue !== undefined && r.tiers) {
    const p = tierProgress(JSON.parse(r.tiers) as CommissionTier[], revenue);
    const window = r.plan_period === 'lifetime' ? 'in this campaign' : 'this month';
    lines.push(
      p.next
        ? `You are on Tier ${p.tier} · ${formatPercent(p.rateBps)}: ${money(p.next.remainingMinor)} more in sales ${window} reaches Tier ${p.next.tier} · ${formatPercent(p.next.rateBps)}.`
        : `You are in the top tier: every sale earns ${formatPercent(p.rateBps)}.`,
    );
  }
  if (r.commission > 0 && r.held_until !== null && r.held_until > now) {
    lines.push(`Held for returns until ${formatDate(r.held_until, zoneOrUtc(r.timezone))}, then paid in the next payout.`);
  }
  return lines;
}

// One mail for every campaign the creator earned in, brands by name.
export function earningsDigest(c: Pick<Claimed, 'email' | 'name'>, rows: CampaignEarnings[], revenue: Map<string, number>, now: number, links: { origin: string; stopToken: string } | null): Message {
  const earning = rows.filter((r) => gainedIn(r) > 0);
  const brands = [...new Set((earning.length > 0 ? earning : rows).map((r) => r.brand_name))];
  const currencies = new Set(earning.map((r) => r.currency));
  const gained = earning.reduce((sum, r) => sum + gainedIn(r), 0);
  const subject =
    brands.length === 1 && currencies.size === 1 && gained > 0
      ? `You earned ${formatMoney(gained, earning[0]!.currency)} at ${brands[0]}`
      : `New earnings at ${brands.length <= 2 ? brands.join(' and ') : `${brands[0]} and ${brands.length - 1} more brands`}`;
  return {
    to: c.email,
    subject,
    text: [
      `Hi ${c.name},`,
      'Here is what changed in your earnings since we last wrote.',
      ...rows.map((r) => campaignLines(r, revenue.get(r.enrollment_id), now).join('\n')),
      links ? `Every order and when it is paid: ${links.origin}/earnings` : 'Every order and when it is paid is on the Earnings page of your Chorus portal.',
      links
        ? `You get this at most once a day, on days you earn. To stop it: ${links.origin}/unsubscribe/earnings/${links.stopToken} (or under Emails on your Account page).`
        : 'You get this at most once a day, on days you earn. To stop it, turn it off under Emails on your Account page.',
    ].join('\n\n'),
    ...(links ? { headers: oneClickUnsubscribe(links.origin, `/unsubscribe/earnings/${links.stopToken}`) } : {}),
  };
}
