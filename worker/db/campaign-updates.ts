// Campaign updates: a brand's note to everyone in one campaign ("the new shade launches Friday, post between Fri
// and Sun"), as Shopify Collabs and Dub Partners let brands message their creators. Posted from the console or
// the admin API, mailed to each creator who accepted the brand and is still in the campaign, and shown on their
// brief. A brand posts at most UPDATES_PER_DAY to a campaign in any 24 hours, so a creator's inbox stays theirs.
import { z } from 'zod';
import type { Position } from '../lib/cursor';
import { afterParams, afterSql } from '../lib/cursor';
import { DAY_MS } from '../domain/periods';
import { newId } from '../lib/ids';
import type { Message } from '../lib/messages';
import { plainText } from '../lib/validate';
import { auditIfChanged } from './audit';
import { campaignNewsToken } from './mail-opt-outs';
import { oneClickUnsubscribe } from '../env';

export const UPDATES_PER_DAY = 3;
export const UPDATE_TITLE_MAX = 120;
export const UPDATE_BODY_MAX = 4000;

// The console's form and the API take the same fields by the same rules, with messages a person can act on.
export const campaignUpdateBody = z.strictObject({
  title: plainText(UPDATE_TITLE_MAX, 'one', `The title is limited to ${UPDATE_TITLE_MAX} characters.`)
    .min(1, 'Give the update a title.')
    .meta({ description: `One line, up to ${UPDATE_TITLE_MAX} characters: the mail's subject after your brand's name.` }),
  body: plainText(UPDATE_BODY_MAX, 'many', `The update is limited to ${UPDATE_BODY_MAX.toLocaleString('en')} characters.`)
    .min(1, 'Write the update itself.')
    .meta({ description: `Plain text, up to ${UPDATE_BODY_MAX.toLocaleString('en')} characters; line breaks are kept.` }),
});
export type CampaignUpdateInput = z.output<typeof campaignUpdateBody>;

// Who hears of a campaign's news: each creator who accepted the brand and is still in the campaign (paused and
// benched creators are still in it; invited ones have not said yes, removed ones are out), less those who stopped
// the brand's campaign news (brand_creators.campaign_news), who still read it on their brief. The brief-change
// mail counts the same people, and `mailed` is the recipients' count. Read by the campaign (`+e.brand_id` keeps
// SQLite off the brand's index, every enrollment of the brand).
export type Recipient = { email: string; enrollment_id: string; creator_id: string };
export type Audience = { recipients: Recipient[]; newsStopped: number };
export async function campaignAudience(db: D1Database, brandId: string, campaignId: string): Promise<Audience> {
  const { results } = await db
    .prepare(
      `SELECT c.email, e.id AS enrollment_id, c.id AS creator_id, r.campaign_news FROM enrollments e JOIN creators c ON c.id = e.creator_id
       JOIN brand_creators r ON r.brand_id = e.brand_id AND r.creator_id = e.creator_id AND r.accepted_at IS NOT NULL
       WHERE e.campaign_id = ? AND +e.brand_id = ? AND e.status IN ('active', 'paused', 'benched')`,
    )
    .bind(campaignId, brandId)
    .all<Recipient & { campaign_news: number }>();
  const recipients = results.filter((r) => r.campaign_news === 1).map((r) => ({ email: r.email, enrollment_id: r.enrollment_id, creator_id: r.creator_id }));
  return { recipients, newsStopped: results.length - recipients.length };
}

// What every campaign news mail (an update, a brief change) carries: a line with the link that stops the brand's
// news to this account (its page asks first), and the one-click List-Unsubscribe headers (env.ts
// oneClickUnsubscribe), which POST to /v1/unsubscribe/news/:token. `origin` from env.ts mailOrigin, as every mail's:
// without one, the line says where to turn the news off instead.
export async function newsMailParts(secretsKey: string, origin: string | null, brand: { id: string; name: string }, r: Recipient): Promise<{ stopLine: string; headers: Record<string, string> }> {
  if (!origin) return { stopLine: `To stop ${brand.name}'s campaign news (it stays on your brief), turn it off under Emails on your Chorus Account page.`, headers: {} };
  const token = await campaignNewsToken(secretsKey, { creatorId: r.creator_id, brandId: brand.id, email: r.email });
  return {
    stopLine: `Stop these emails: ${origin}/unsubscribe/news/${token} (only ${brand.name}'s campaign news, which stays on your brief; turn it back on under Emails on your Account page).`,
    headers: oneClickUnsubscribe(origin, `/unsubscribe/news/${token}`),
  };
}

export type UpdateAuthor = { type: 'admin_user' | 'api_key'; id: string };

export type CampaignUpdateRow = {
  id: string;
  campaign_id: string;
  title: string;
  body: string;
  author_type: 'admin_user' | 'api_key';
  author_id: string;
  // The teammate's name, `API key <name>`, or null when it is gone.
  author_name: string | null;
  mailed: number;
  created_at: number;
};

// Looked up within the brand, as the activity log names actors.
const COLUMNS = `u.id, u.campaign_id, u.title, u.body, u.author_type, u.author_id, u.mailed, u.created_at,
  CASE u.author_type WHEN 'admin_user' THEN (SELECT a.name FROM admin_users a WHERE a.id = u.author_id AND a.brand_id = u.brand_id)
    ELSE (SELECT 'API key ' || k.name FROM api_keys k WHERE k.id = u.author_id AND k.brand_id = u.brand_id) END AS author_name`;

/** Where an update stands in its campaign's list, for the page after it. */
export const updatePosition = (u: Pick<CampaignUpdateRow, 'created_at' | 'id'>): Position => ({ at: u.created_at, id: u.id });

/** A campaign's updates, newest first, a keyset page at a time (campaign_updates_campaign_at). */
export async function listCampaignUpdates(db: D1Database, brandId: string, campaignId: string, page: { after?: Position; limit: number }): Promise<CampaignUpdateRow[]> {
  const { results } = await db
    .prepare(
      `SELECT ${COLUMNS} FROM campaign_updates u WHERE u.campaign_id = ? AND u.brand_id = ?${page.after ? ` AND ${afterSql('u.created_at', 'u.id')}` : ''}
       ORDER BY u.created_at DESC, u.id DESC LIMIT ?`,
    )
    .bind(campaignId, brandId, ...(page.after ? afterParams(page.after) : []), page.limit)
    .all<CampaignUpdateRow>();
  return results;
}

/** What a creator's brief shows: the newest updates of the campaign, without who on the brand's team wrote them. */
export type BriefUpdate = { id: string; title: string; body: string; created_at: number };
export const BRIEF_UPDATES_SHOWN = 20;
export async function briefUpdates(db: D1Database, e: { brand_id: string; campaign_id: string }): Promise<BriefUpdate[]> {
  const { results } = await db
    .prepare(`SELECT u.id, u.title, u.body, u.created_at FROM campaign_updates u WHERE u.campaign_id = ? AND u.brand_id = ? ORDER BY u.created_at DESC, u.id DESC LIMIT ${BRIEF_UPDATES_SHOWN}`)
    .bind(e.campaign_id, e.brand_id)
    .all<BriefUpdate>();
  return results;
}

export type PostOutcome =
  // Written now: mail each recipient (updateMessages).
  | { outcome: 'posted'; update: CampaignUpdateRow; recipients: Recipient[] }
  // The same console form again (a double click, a reload): the update it posted the first time, nothing mailed.
  | { outcome: 'already_posted'; update: CampaignUpdateRow }
  // The form's key posted other text before (a form brought back with the browser's Back and edited).
  | { outcome: 'key_reused'; update: CampaignUpdateRow }
  // UPDATES_PER_DAY in the last 24 hours: nothing written; the next may be posted from `nextAt`.
  | { outcome: 'limit'; nextAt: number };

// Posts an update to a campaign the caller has found to be the brand's. The day's limit and the form's key are
// checked by the INSERT itself, so of two posts at once (a double click, two teammates) no more than the limit
// land, and one form posts once. The audit row lands with it or not at all.
export async function postCampaignUpdate(
  db: D1Database,
  p: { brandId: string; campaignId: string; input: CampaignUpdateInput; author: UpdateAuthor; formKey: string | null },
  now: number,
): Promise<PostOutcome> {
  const { recipients } = await campaignAudience(db, p.brandId, p.campaignId);
  const id = newId('upd');
  const [inserted, , read] = await db.batch([
    db
      .prepare(
        `INSERT INTO campaign_updates (id, brand_id, campaign_id, title, body, author_type, author_id, mailed, form_key, created_at)
         SELECT ?1, c.brand_id, c.id, ?4, ?5, ?6, ?7, ?8, ?9, ?10 FROM campaigns c
         WHERE c.id = ?3 AND c.brand_id = ?2
           AND (SELECT count(*) FROM campaign_updates x WHERE x.campaign_id = c.id AND x.created_at > ?10 - ?11) < ?12
         ON CONFLICT(campaign_id, form_key) DO NOTHING`,
      )
      .bind(id, p.brandId, p.campaignId, p.input.title, p.input.body, p.author.type, p.author.id, recipients.length, p.formKey, now, DAY_MS, UPDATES_PER_DAY),
    auditIfChanged(db, { brandId: p.brandId, actorType: p.author.type, actorId: p.author.id, action: 'campaign.update_posted', targetType: 'campaign', targetId: p.campaignId, details: { updateId: id, title: p.input.title, mailed: recipients.length } }, now),
    db
      .prepare(`SELECT ${COLUMNS} FROM campaign_updates u WHERE u.campaign_id = ?1 AND u.brand_id = ?2 AND (u.id = ?3 OR u.form_key = ?4)`)
      .bind(p.campaignId, p.brandId, id, p.formKey),
  ]);
  const row = (read?.results[0] as CampaignUpdateRow | undefined) ?? null;
  if ((inserted?.meta.changes ?? 0) > 0 && row) return { outcome: 'posted', update: row, recipients };
  if (row) return { outcome: row.title === p.input.title && row.body === p.input.body ? 'already_posted' : 'key_reused', update: row };
  return { outcome: 'limit', nextAt: (await updateAllowance(db, p.campaignId, now)).nextAt ?? now };
}

// How many more updates the campaign takes now, and, when none, from when the next: the oldest of the last
// 24 hours' posts leaves the window first.
export async function updateAllowance(db: D1Database, campaignId: string, now: number): Promise<{ left: number; nextAt: number | null }> {
  const { results } = await db
    .prepare(`SELECT created_at FROM campaign_updates WHERE campaign_id = ? AND created_at > ? ORDER BY created_at DESC LIMIT ${UPDATES_PER_DAY}`)
    .bind(campaignId, now - DAY_MS)
    .all<{ created_at: number }>();
  const left = UPDATES_PER_DAY - results.length;
  return { left, nextAt: left > 0 ? null : results.at(-1)!.created_at + DAY_MS };
}

// One mail to each recipient, in the brand's name, with the update as written, where to read it again, why they
// got it and how to stop such mail. Keyed by update and enrollment, so a notice the queue delivers twice is mailed once.
export async function updateMessages(
  secretsKey: string,
  brand: { id: string; name: string },
  campaignName: string,
  update: Pick<CampaignUpdateRow, 'id' | 'title' | 'body'>,
  recipients: Recipient[],
  origin: string | null,
): Promise<Message[]> {
  return Promise.all(
    recipients.map(async (r) => {
      const stop = await newsMailParts(secretsKey, origin, brand, r);
      return {
        to: r.email,
        subject: `${brand.name}: ${update.title}`,
        text: `${update.body}\n\nThis update stays on your ${campaignName} brief, with the rest of what ${brand.name} asks${origin ? `: ${origin}/brief/${r.enrollment_id}` : ', in your Chorus portal.'}\n\nYou get this because you are in ${brand.name}'s ${campaignName} campaign on Chorus. A brand can post at most ${UPDATES_PER_DAY} updates a day to a campaign.\n\n${stop.stopLine}`,
        idempotencyKey: `campaign-update:${update.id}:${r.enrollment_id}`,
        headers: stop.headers,
      };
    }),
  );
}
