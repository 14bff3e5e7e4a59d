// A brand's owners and managers hear how their network did last week without opening the console, as Dub's and
// Rewardful's weekly reports tell theirs: one mail a person on Monday morning in the brand's timezone, with last
// Monday–Sunday's orders, revenue, commission and unique clicks beside the week before's, the top creators,
// how many active creators sold nothing, what waits for review, and how much content's usage rights end within
// the next 30 days (time to ask the creators to extend them). Each member can turn it off on the Team page.
import { mailOrigin, type Env } from '../env';
import { queueNotices } from '../mail';
import type { Message } from '../lib/messages';
import { addDays, dayOf, dayStart, zoneOrUtc } from '../domain/periods';
import { isSale, netOf } from '../db/sales';
import { DRAFTS_WAITING } from './review-digest';
import { countOf, formatMoney } from '../../portal/format';
import { ENDING_SOON_DAYS, ENDING_SOON_MS, RIGHTS_STATE_SQL } from '../domain/usage-rights';
import { ASKABLE_SQL } from '../db/rights-extensions';

// Members claimed a run: a run with more due leaves them to the next one, 15 minutes on (64 runs a Monday).
export const WEEKLY_REPORTS_PER_RUN = 200;
// The report goes from this long into the brand's Monday: read with the morning's coffee, not at midnight.
export const WEEKLY_REPORT_HOUR_MS = 8 * 3_600_000;
const HOUR_MS = 3_600_000;
// Zones run from UTC-12 to UTC+14: Monday 08:00 to Tuesday's end somewhere is from Sunday 18:00 UTC to Wednesday 12:00 UTC.
const ZONE_OFFSETS_MS = [-12 * HOUR_MS, 14 * HOUR_MS] as const;

const weekdayOf = (day: string) => new Date(`${day}T00:00:00Z`).getUTCDay();

/**
 * The week a brand's report tells of at `now`: its Monday (YYYY-MM-DD), from 08:00 on the brand's Monday and all
 * its Tuesday (a brand that moved to a timezone already past its Monday morning, or a Monday of failing runs, is
 * mailed a day late rather than never; the claim keeps it to once); null any other time.
 */
export function reportWeek(now: number, timeZone: string): string | null {
  const zone = zoneOrUtc(timeZone);
  const today = dayOf(now, zone);
  const weekday = weekdayOf(today);
  if (weekday === 1 && now >= dayStart(today, zone) + WEEKLY_REPORT_HOUR_MS) return addDays(today, -7);
  if (weekday === 2) return addDays(today, -8);
  return null;
}

// Whether any zone can be in its Monday morning or its Tuesday at `now` (a quarter-hour walk over the offsets zones
// have): the other four days of the week a run reads nothing. At one instant every zone that is due is due for the
// same week.
function reportDaySomewhere(now: number): boolean {
  for (let at = now + ZONE_OFFSETS_MS[0]; at <= now + ZONE_OFFSETS_MS[1]; at += HOUR_MS / 4) {
    const d = new Date(at);
    if ((d.getUTCDay() === 1 && d.getUTCHours() >= 8) || d.getUTCDay() === 2) return true;
  }
  return false;
}

// Members of the brands in the due zones, owners and managers who joined and want it, not yet claimed for this
// week (the stamp is the claim: two overlapping runs mail nobody twice). ?1 the week's Monday, ?2 the zones as
// JSON, ?3 limit.
const CLAIM = `UPDATE admin_users SET weekly_report_week = ?1 WHERE id IN (
  SELECT u.id FROM brands b JOIN admin_users u ON u.brand_id = b.id
  WHERE b.timezone IN (SELECT value FROM json_each(?2))
    AND u.role IN ('owner', 'manager') AND u.removed_at IS NULL AND u.password_hash IS NOT NULL AND u.weekly_report = 1
    AND (u.weekly_report_week IS NULL OR u.weekly_report_week < ?1)
  LIMIT ?3)
RETURNING id, brand_id, email, name,
  (SELECT name FROM brands WHERE id = admin_users.brand_id) AS brand_name,
  (SELECT currency FROM brands WHERE id = admin_users.brand_id) AS currency,
  (SELECT timezone FROM brands WHERE id = admin_users.brand_id) AS timezone`;

// A run that failed after claiming gives its claims back (only its own: the week it claimed), so the next run
// mails them. Back to NULL, which is due as whatever week they had before. ?1 the members as JSON, ?2 the week.
const UNCLAIM = `UPDATE admin_users SET weekly_report_week = NULL WHERE id IN (SELECT value FROM json_each(?1)) AND weekly_report_week = ?2`;

// The per-brand reads take the brands as one JSON parameter (D1 binds at most 100): [{b, from, mid, to}], the
// instants the week before starts, last week starts and ends in the brand's zone.
const J = (field: string) => `json_extract(j.value, '$.${field}')`;
// Attributed orders of the two weeks, by the brand's index of orders by time; sales and revenue as the network
// page counts them (db/sales.ts): a renewal or a returning customer's order adds revenue but is no new order, and an order refunded in full is
// no sale. Commission is what the ledger holds for those orders, net of what their refunds took back.
const ORDERS = `SELECT ${J('b')} AS brand_id, cv.id, cv.enrollment_id, cv.occurred_at >= ${J('mid')} AS this_week,
    ${isSale('cv')} AS sale, ${netOf('cv')} AS net
  FROM json_each(?1) j JOIN conversions cv ON cv.brand_id = ${J('b')} AND cv.occurred_at >= ${J('from')} AND cv.occurred_at < ${J('to')}
  WHERE cv.attribution <> 'none'`;

const TOTALS = `SELECT o.brand_id,
    SUM(o.this_week AND o.sale) AS orders, SUM(NOT o.this_week AND o.sale) AS orders_before,
    SUM(CASE WHEN o.this_week THEN o.net ELSE 0 END) AS revenue, SUM(CASE WHEN o.this_week THEN 0 ELSE o.net END) AS revenue_before,
    SUM(CASE WHEN o.this_week THEN (SELECT COALESCE(SUM(l.amount_minor), 0) FROM ledger_entries l WHERE l.conversion_id = o.id AND l.kind IN ('commission', 'reversal')) ELSE 0 END) AS commission,
    SUM(CASE WHEN o.this_week THEN 0 ELSE (SELECT COALESCE(SUM(l.amount_minor), 0) FROM ledger_entries l WHERE l.conversion_id = o.id AND l.kind IN ('commission', 'reversal')) END) AS commission_before
  FROM (${ORDERS}) o GROUP BY o.brand_id`;

// Last week's three creators with the most revenue in each brand, by the brand's own handle for them.
const TOP_CREATORS = `SELECT t.brand_id, r.handle, t.orders, t.revenue FROM (
    SELECT o.brand_id, e.creator_id, SUM(o.sale) AS orders, SUM(o.net) AS revenue,
      ROW_NUMBER() OVER (PARTITION BY o.brand_id ORDER BY SUM(o.net) DESC, SUM(o.sale) DESC, e.creator_id) AS n
    FROM (${ORDERS}) o JOIN enrollments e ON e.id = o.enrollment_id
    WHERE o.this_week GROUP BY o.brand_id, e.creator_id) t
  JOIN brand_creators r ON r.brand_id = t.brand_id AND r.creator_id = t.creator_id
  WHERE t.n <= 3 AND t.revenue > 0 ORDER BY t.brand_id, t.n`;

// The campaign with the most revenue last week: the mail links to its network page.
const TOP_CAMPAIGN = `SELECT t.brand_id, t.campaign_id FROM (
    SELECT o.brand_id, e.campaign_id, ROW_NUMBER() OVER (PARTITION BY o.brand_id ORDER BY SUM(o.net) DESC, COUNT(*) DESC, e.campaign_id) AS n
    FROM (${ORDERS}) o JOIN enrollments e ON e.id = o.enrollment_id
    WHERE o.this_week GROUP BY o.brand_id, e.campaign_id) t
  WHERE t.n = 1`;

// Unique clicks from the daily rollups, never raw clicks. Every due brand's Monday is the same date (?2 the week
// before's Monday, ?3 last Monday, ?4 this Monday), as its clicks are rolled up on the brand's days.
const CLICKS = `SELECT r.brand_id, SUM(CASE WHEN r.day >= ?3 THEN r.unique_clicks ELSE 0 END) AS clicks, SUM(CASE WHEN r.day < ?3 THEN r.unique_clicks ELSE 0 END) AS clicks_before
  FROM click_rollups r WHERE r.brand_id IN (SELECT value FROM json_each(?1)) AND r.day >= ?2 AND r.day < ?4 GROUP BY r.brand_id`;

// Creators active in a campaign now, and those of them with no sale last week in any of the brand's campaigns.
const IDLE = `SELECT e.brand_id, COUNT(DISTINCT e.creator_id) AS active,
    COUNT(DISTINCT CASE WHEN NOT EXISTS (SELECT 1 FROM enrollments e2 JOIN conversions cv ON cv.enrollment_id = e2.id
        AND cv.occurred_at >= ${J('mid')} AND cv.occurred_at < ${J('to')}
      WHERE e2.creator_id = e.creator_id AND +e2.brand_id = e.brand_id AND cv.attribution <> 'none' AND ${isSale('cv')})
      THEN e.creator_id END) AS idle
  FROM json_each(?1) j JOIN enrollments e ON e.brand_id = ${J('b')} WHERE e.status = 'active' GROUP BY e.brand_id`;

// What waits for the team, as the Review page and the Applications tabs count it (jobs/review-digest.ts).
const WAITING = `SELECT j.value AS brand_id,
    (SELECT count(*) FROM ${DRAFTS_WAITING} AND s.brand_id = j.value) AS drafts,
    (SELECT count(*) FROM campaigns c JOIN applications a ON a.campaign_id = c.id AND a.status = 'pending' WHERE c.brand_id = j.value) AS applications
  FROM json_each(?1) j`;

// Approved and live content whose rights end within ENDING_SOON_DAYS of the run (the content library's `ending`)
// that the brand can ask to extend and has not asked yet (db/rights-extensions.ts ASKABLE_SQL), by the brand's index
// of grants by end. ?1 the brands as JSON, then the run's instant and the horizon.
const RIGHTS_ENDING = `SELECT s.brand_id, COUNT(*) AS ending FROM submissions s
  JOIN enrollments e ON e.id = s.enrollment_id JOIN brand_creators r ON r.brand_id = e.brand_id AND r.creator_id = e.creator_id
  WHERE s.brand_id IN (SELECT value FROM json_each(?1)) AND s.status IN ('approved', 'live') AND ${RIGHTS_STATE_SQL.ending} AND ${ASKABLE_SQL} GROUP BY s.brand_id`;

type Claimed = { id: string; brand_id: string; email: string; name: string; brand_name: string; currency: string; timezone: string };

export type WeeklyNumbers = {
  brandName: string;
  currency: string;
  week: string; // last Monday, YYYY-MM-DD
  orders: number;
  ordersBefore: number;
  revenue: number;
  revenueBefore: number;
  commission: number;
  commissionBefore: number;
  clicks: number;
  clicksBefore: number;
  top: { handle: string; orders: number; revenue: number }[];
  active: number;
  idle: number;
  drafts: number;
  applications: number;
  // Content whose usage rights end within the next ENDING_SOON_DAYS days, its creator still in the campaign and not asked yet.
  rightsEnding: number;
  networkPath: string; // under the console: the top campaign's network page, or the campaigns list
};

export async function mailWeeklyReports(env: Env, now: number): Promise<number> {
  if (!reportDaySomewhere(now)) return 0;
  const db = env.DB;
  const { results: zones } = await db.prepare('SELECT DISTINCT timezone FROM brands').all<{ timezone: string }>();
  const due = new Map<string, string[]>();
  for (const { timezone } of zones) {
    const week = reportWeek(now, timezone);
    if (week) due.set(week, [...(due.get(week) ?? []), timezone]);
  }
  // One week at a time (at one instant every zone that is due is due for the same one).
  const [week, dueZones] = [...due][0] ?? [];
  if (!week || !dueZones) return 0;
  const { results: claimed } = await db.prepare(CLAIM).bind(week, JSON.stringify(dueZones), WEEKLY_REPORTS_PER_RUN).all<Claimed>();
  if (claimed.length === 0) return 0;
  const unclaim = () => db.prepare(UNCLAIM).bind(JSON.stringify(claimed.map((c) => c.id)), week).run();
  try {
    const numbers = await weeklyNumbers(db, claimed, week, now);
    const mails = claimed.flatMap((c) => {
      const n = numbers.get(c.brand_id);
      return n && !quietWeek(n) ? [weeklyReport(c, n, mailOrigin(env))] : [];
    });
    if (mails.length > 0) await queueNotices(env, mails, 'weekly_report_failed');
    return mails.length;
  } catch (error) {
    await unclaim();
    throw error;
  }
}

// The claimed members' brands' numbers: one batch of reads, whatever the number of brands.
async function weeklyNumbers(db: D1Database, claimed: Claimed[], week: string, now: number): Promise<Map<string, WeeklyNumbers>> {
  const brands = new Map(claimed.map((c) => [c.brand_id, c]));
  const windows = [...brands.values()].map((c) => {
    const zone = zoneOrUtc(c.timezone);
    return { b: c.brand_id, from: dayStart(addDays(week, -7), zone), mid: dayStart(week, zone), to: dayStart(addDays(week, 7), zone) };
  });
  const ids = JSON.stringify([...brands.keys()]);
  const json = JSON.stringify(windows);
  const [totals, top, campaigns, clicks, idle, waiting, ending] = await db.batch([
    db.prepare(TOTALS).bind(json),
    db.prepare(TOP_CREATORS).bind(json),
    db.prepare(TOP_CAMPAIGN).bind(json),
    db.prepare(CLICKS).bind(ids, addDays(week, -7), week, addDays(week, 7)),
    db.prepare(IDLE).bind(json),
    db.prepare(WAITING).bind(ids),
    db.prepare(RIGHTS_ENDING).bind(ids, now, now + ENDING_SOON_MS),
  ]);
  type Rows<T> = T[];
  const byBrand = <T extends { brand_id: string }>(rows: Rows<T>) => new Map(rows.map((r) => [r.brand_id, r]));
  const totalsOf = byBrand((totals?.results ?? []) as { brand_id: string; orders: number; orders_before: number; revenue: number; revenue_before: number; commission: number; commission_before: number }[]);
  const campaignOf = byBrand((campaigns?.results ?? []) as { brand_id: string; campaign_id: string }[]);
  const clicksOf = byBrand((clicks?.results ?? []) as { brand_id: string; clicks: number; clicks_before: number }[]);
  const idleOf = byBrand((idle?.results ?? []) as { brand_id: string; active: number; idle: number }[]);
  const waitingOf = byBrand((waiting?.results ?? []) as { brand_id: string; drafts: number; applications: number }[]);
  const endingOf = byBrand((ending?.results ?? []) as { brand_id: string; ending: number }[]);
  const topRows = (top?.results ?? []) as { brand_id: string; handle: string; orders: number; revenue: number }[];
  const numbers = new Map<string, WeeklyNumbers>();
  for (const [id, c] of brands) {
    const t = totalsOf.get(id);
    const k = clicksOf.get(id);
    const campaign = campaignOf.get(id)?.campaign_id;
    numbers.set(id, {
      brandName: c.brand_name,
      currency: c.currency,
      week,
      orders: t?.orders ?? 0,
      ordersBefore: t?.orders_before ?? 0,
      revenue: t?.revenue ?? 0,
      revenueBefore: t?.revenue_before ?? 0,
      commission: t?.commission ?? 0,
      commissionBefore: t?.commission_before ?? 0,
      clicks: k?.clicks ?? 0,
      clicksBefore: k?.clicks_before ?? 0,
      top: topRows.filter((r) => r.brand_id === id).map((r) => ({ handle: r.handle, orders: r.orders, revenue: r.revenue })),
      active: idleOf.get(id)?.active ?? 0,
      idle: idleOf.get(id)?.idle ?? 0,
      drafts: waitingOf.get(id)?.drafts ?? 0,
      applications: waitingOf.get(id)?.applications ?? 0,
      rightsEnding: endingOf.get(id)?.ending ?? 0,
      networkPath: campaign ? `/console/campaigns/${campaign}/network` : '/console',
    });
  }
  return numbers;
}

// Nothing happened and nothing waits: no mail (its claim stands, so the week is not looked at again).
const quietWeek = (n: WeeklyNumbers) => n.orders === 0 && n.revenue === 0 && n.clicks === 0 && n.drafts === 0 && n.applications === 0 && n.rightsEnding === 0;

// "up 12%", "down 3%", "new" against a week with none, "same" when equal.
function change(now: number, before: number): string {
  if (now === before) return 'same as the week before';
  if (before === 0) return 'none the week before';
  const pct = Math.round(((now - before) / before) * 100);
  return pct === 0 ? `about the same as the week before` : `${pct > 0 ? 'up' : 'down'} ${Math.abs(pct).toLocaleString('en-US')}% on the week before`;
}

const shortDay = (day: string) => new Intl.DateTimeFormat('en', { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(new Date(`${day}T00:00:00Z`));

// Links only where Chorus knows its own address (env.ts mailOrigin): a cron run has no request to take one from.
export function weeklyReport(c: Pick<Claimed, 'email' | 'name'>, n: WeeklyNumbers, origin: string | null): Message {
  const money = (minor: number) => formatMoney(minor, n.currency);
  const lines = [
    `Hi ${c.name},`,
    `${n.brandName}'s creator network, ${shortDay(n.week)}–${shortDay(addDays(n.week, 6))}:`,
    [
      `Orders: ${n.orders.toLocaleString('en-US')} (${change(n.orders, n.ordersBefore)})`,
      `Revenue: ${money(n.revenue)} (${change(n.revenue, n.revenueBefore)})`,
      `Commission: ${money(n.commission)} (${change(n.commission, n.commissionBefore)})`,
      `Unique clicks: ${n.clicks.toLocaleString('en-US')} (${change(n.clicks, n.clicksBefore)})`,
    ].join('\n'),
  ];
  if (n.top.length > 0) {
    lines.push([`Top creators:`, ...n.top.map((t, i) => `${i + 1}. @${t.handle}: ${money(t.revenue)}, ${countOf(t.orders, 'order')}`)].join('\n'));
  }
  if (n.active > 0) {
    lines.push(n.idle === 0 ? `${n.active === 1 ? 'Your' : 'All'} ${countOf(n.active, 'active creator')} made a sale.` : `${n.idle.toLocaleString('en-US')} of ${countOf(n.active, 'active creator')} made no sale.`);
  }
  const waiting = [n.drafts > 0 ? countOf(n.drafts, 'draft waits', 'drafts wait') + ' for review' : null, n.applications > 0 ? countOf(n.applications, 'creator application waits', 'creator applications wait') + ' for an answer' : null].filter((w) => w !== null);
  if (waiting.length > 0) lines.push(`${waiting.join(', and ')}.`);
  // Only when there is some: the content, filtered to it, where each piece's page asks its creator for more.
  if (n.rightsEnding > 0) {
    const where = origin ? `: ${origin}/console/content?rights=ending` : ' (Content in your Chorus console, filtered to ending soon).';
    lines.push(`Usage rights end within the next ${ENDING_SOON_DAYS} days on ${countOf(n.rightsEnding, 'piece', 'pieces')} of content you have not asked to extend yet. Ask the creators${where}`);
  }
  lines.push(origin ? `The network page: ${origin}${n.networkPath}` : 'Every number is on the network page of your Chorus console.');
  lines.push(`You get this on Mondays when there is something to tell. To stop it, turn it off under Your notifications on the Team page${origin ? `: ${origin}/console/team#notify-h` : '.'}`);
  return {
    to: c.email,
    subject: `${n.brandName} last week: ${countOf(n.orders, 'order')}, ${money(n.revenue)}`,
    text: lines.join('\n\n'),
  };
}
