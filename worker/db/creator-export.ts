// A creator's own data as one JSON file (GDPR art. 15 and 20), from their Account page: everything Chorus holds
// about them, in their words where the portal has some. Streamed a section at a time, and the long ones (clicks
// per day, orders, ledger, drafts, messages) a keyset page at a time, so memory stays one page however long the
// history. Only what is theirs: the brands' side of their conversations, never a teammate's name, never a
// shopper's reference or click id, never a secret (password hash, tokens, sealed keys, the two-step secret or the
// recovery codes' hashes). Times are ISO 8601 (UTC), money integer minor units with its ISO 4217 currency.
import { maskAccount } from '../../portal/format';
import { openSealedJson } from '../lib/secrets';
import { iso } from '../lib/validate';
import { log } from '../lib/log';
import { keysetPages } from '../lib/cursor';
import { takeAttempt } from '../lib/rate-limits';
import { ADDRESS_KEPT_DAYS, openAddress, type ShipTo } from './addresses';
import { parseTags, tagsJsonSql } from './creator-tags';
import { maskedTaxDetails, type TaxDetails } from '../domain/tax-details';
import { usBankAccountOf, type SavedPayoutDetails } from './sealed-details';
import { factorOf, recoveryCodesLeft } from './two-step';
import { SHOWN_KIND } from './creator-portal';
import { earnsThroughColumns, returningCustomerWhere } from './schema';

// Every long section is one keyset-paged query across the whole creator (through their enrollments or roster),
// never one per enrollment or link: a D1 invocation runs at most 1,000 queries, which a long history would pass.
const PAGE = 1000;
// At most this many downloads an hour per creator, counted before any query runs: each reads their whole history.
export const EXPORTS_PER_HOUR = 5;
const HOUR_MS = 3_600_000;

// Counted in rate_limits as the two-step codes are (lib/rate-limits.ts): an hour from the first download of a window.
export const countExport = (db: D1Database, creatorId: string, now: number) => takeAttempt(db, `creator_export:${creatorId}`, EXPORTS_PER_HOUR, HOUR_MS, now);

const about =
  `Everything Chorus holds about you, as of exportedAt. Times are ISO 8601 in UTC. Money is in minor units (cents) of its currency (ISO 4217). Clicks are counted per link and day (the brand's calendar day), not one by one. Order ids are as the brand's store sent them. Your payout account and tax id are shown masked; a bank account's holder name in full (null for one saved before Chorus asked for it). A gift request's shippingAddress is null once it was removed: when the request was declined or withdrawn, or ${ADDRESS_KEPT_DAYS} days after the gift shipped or arrived. A shipping address, payout account or tax details shown as "unreadable" is held, but was sealed under a key Chorus has changed since, so it cannot be shown.`;

type Row = Record<string, unknown>;

// Masked as the Earnings page shows them (maskTaxId), with when the creator certified them.
async function exportedTaxDetails(secretsKey: string, sealed: string | null) {
  const d = await openSealedJson<TaxDetails>(secretsKey, sealed);
  if (d === null || d === 'unreadable') return d;
  const masked = maskedTaxDetails(d);
  return { legalName: masked.legalName, country: masked.country, kind: masked.kind, taxId: masked.taxId, certifiedAt: iso(masked.certifiedAt) };
}
// A gift's address as given, null once removed, or 'unreadable' (as payout details are).
const removedAsNull = (a: ShipTo) => (a === 'removed' ? null : a);
const parse = (json: unknown) => (typeof json === 'string' ? (JSON.parse(json) as unknown) : null);

// A JSON array written a page at a time: `pages` yields each page's items.
async function* jsonArray(name: string, pages: AsyncIterable<unknown[]>): AsyncGenerator<string> {
  yield `,${JSON.stringify(name)}:[`;
  let first = true;
  for await (const items of pages) {
    if (items.length === 0) continue;
    yield (first ? '' : ',') + items.map((i) => JSON.stringify(i)).join(',');
    first = false;
  }
  yield ']';
}

// Keyset pages of one query, each row mapped: `sql` ends with its own condition on the last row's key (and LIMIT PAGE),
// which `keyOf` reads back.
async function* keysetItems<K extends unknown[]>(db: D1Database, sql: string, params: unknown[], start: K, keyOf: (r: Row) => K, map: (r: Row) => unknown): AsyncGenerator<unknown[]> {
  for await (const rows of keysetPages((after: K | undefined) => all(db, sql, ...params, ...(after ?? start)), keyOf, PAGE)) yield await Promise.all(rows.map(map));
}

async function* once(items: Promise<unknown[]>): AsyncGenerator<unknown[]> {
  yield await items;
}

const all = async (db: D1Database, sql: string, ...params: unknown[]) => (await db.prepare(sql).bind(...params).all<Row>()).results;
const money = (amountMinor: unknown, currency: unknown) => ({ amountMinor, currency });

type Enrollment = { id: string; brand_id: string; brand: string; currency: string };

// The creator's data as JSON text, a piece at a time. `origin` writes the tracked links' addresses.
export async function* creatorData(db: D1Database, secretsKey: string, creatorId: string, origin: string, now: number): AsyncGenerator<string> {
  // Whether two-step sign-in is on, since when, and how many recovery codes are left: never its secret or the codes.
  const [account, factor, recoveryCodes] = await Promise.all([
    db.prepare('SELECT id, email, former_emails, handle, display_name, payout_details_enc, tax_details_enc, earnings_digest, due_reminders, shipping_address, created_at FROM creators WHERE id = ?').bind(creatorId).first<Row>(),
    factorOf(db, { type: 'creator', id: creatorId }),
    recoveryCodesLeft(db, { type: 'creator', id: creatorId }),
  ]);
  if (!account) return;
  const payout = await openSealedJson<SavedPayoutDetails>(secretsKey, account.payout_details_enc as string | null);
  // The holder's name is theirs and is shown whole: it is what a bank checks against the account, not a secret.
  // A US account's routing number and type are its bank's and kind, not secrets: shown whole, the number masked as an IBAN is.
  const us = payout && payout !== 'unreadable' ? usBankAccountOf(payout) : null;
  const payoutDetails =
    payout && payout !== 'unreadable'
      ? {
          method: payout.method,
          account: maskAccount(payout.account),
          ...(payout.method === 'bank_transfer' || us ? { holder: payout.holder ?? null } : {}),
          ...(us ? { routing: us.routing, accountType: us.type } : {}),
        }
      : payout;
  const profile = {
    id: account.id,
    email: account.email,
    formerEmails: parse(account.former_emails) ?? [],
    handle: account.handle,
    name: account.display_name,
    createdAt: iso(account.created_at as number),
    payoutDetails,
    taxDetails: await exportedTaxDetails(secretsKey, account.tax_details_enc as string | null),
    shippingAddress: account.shipping_address === null ? null : removedAsNull(await openAddress(secretsKey, account.shipping_address as string)),
    emails: { earningsDigest: account.earnings_digest === 1, firstDraftReminders: account.due_reminders === 1 },
    twoStepSignIn: factor ? { on: true, since: iso(factor.created_at), recoveryCodesLeft: recoveryCodes } : { on: false },
  };
  yield `{"format":"chorus-creator-data/1","exportedAt":${JSON.stringify(iso(now))},"about":${JSON.stringify(about)},"profile":${JSON.stringify(profile)}`;

  // What each brand that added them holds of them: its handle for them, the name and email it was given, and the tags
  // it labels them with (creator_tags): a brand's words about a person are personal data they may see (art. 15).
  yield* jsonArray(
    'brands',
    once(
      all(
        db,
        `SELECT r.brand_id, b.name AS brand, r.handle, r.display_name, r.email, r.niche, r.platform, r.follower_count, r.created_at, r.accepted_at, r.campaign_news,
           ${tagsJsonSql('r.brand_id', 'r.creator_id')} AS tags
         FROM brand_creators r JOIN brands b ON b.id = r.brand_id WHERE r.creator_id = ? ORDER BY r.created_at, r.brand_id`,
        creatorId,
      ).then((rows) =>
        rows.map((r) => ({
          brandId: r.brand_id,
          brand: r.brand,
          handle: r.handle,
          nameTheyWereGiven: r.display_name,
          emailTheyWereGiven: r.email,
          niche: r.niche,
          platform: r.platform,
          followerCount: r.follower_count,
          tags: parseTags(r.tags as string),
          addedAt: iso(r.created_at as number),
          acceptedAt: iso(r.accepted_at as number | null),
          campaignNewsByEmail: r.campaign_news === 1,
        })),
      ),
    ),
  );

  // Each version of a brand's program terms they accepted, when and where, with the text as it was published.
  yield* jsonArray(
    'programTermsAccepted',
    once(
      all(
        db,
        `SELECT b.name AS brand, a.brand_id, a.version, a.via, a.accepted_at, t.body FROM terms_acceptances a JOIN brands b ON b.id = a.brand_id
         LEFT JOIN program_terms t ON t.brand_id = a.brand_id AND t.version = a.version WHERE a.creator_id = ? ORDER BY a.accepted_at, a.brand_id, a.version`,
        creatorId,
      ).then((rows) => rows.map((a) => ({ brandId: a.brand_id, brand: a.brand, version: a.version, acceptedAt: iso(a.accepted_at as number), acceptedWhen: a.via === 'invitation' ? 'joining the brand' : 'a new version', text: a.body }))),
    ),
  );

  const enrollmentRows = await all(
    db,
    `SELECT e.id, e.brand_id, b.name AS brand, b.currency, e.campaign_id, c.name AS campaign, e.status, e.payment_model, e.flat_fee_minor, e.brief_section,
       e.created_at, e.active_since, e.removed_at, e.content_due_at
     FROM enrollments e JOIN brands b ON b.id = e.brand_id JOIN campaigns c ON c.id = e.campaign_id WHERE e.creator_id = ? ORDER BY e.created_at, e.id`,
    creatorId,
  );
  const enrollments = enrollmentRows as unknown as (Enrollment & Row)[];
  yield* jsonArray(
    'enrollments',
    once(
      Promise.resolve(
        enrollments.map((e) => ({
          id: e.id,
          brandId: e.brand_id,
          brand: e.brand,
          campaign: { id: e.campaign_id, name: e.campaign },
          status: e.status,
          paymentModel: e.payment_model,
          flatFee: money(e.flat_fee_minor, e.currency),
          yourBriefSection: e.brief_section,
          enrolledAt: iso(e.created_at as number),
          activeSince: iso(e.active_since as number | null),
          removedAt: iso(e.removed_at as number | null),
          firstDraftDueAt: iso(e.content_due_at as number | null),
        })),
      ),
    ),
  );

  const linkRows = await all(
    db,
    `SELECT l.id, l.enrollment_id, l.slug, l.destination, l.status, l.made_by, l.archived_at, l.created_at FROM links l JOIN enrollments e ON e.id = l.enrollment_id
     WHERE e.creator_id = ? ORDER BY l.created_at, l.id`,
    creatorId,
  );
  yield* jsonArray(
    'links',
    once(
      Promise.resolve(
        linkRows.map((l) => ({
          id: l.id,
          enrollmentId: l.enrollment_id,
          url: `${origin}/r/${l.slug as string}`,
          destination: l.destination,
          status: l.status,
          madeBy: l.made_by === 'creator' ? 'you' : 'brand',
          archivedAt: iso(l.archived_at as number | null),
          createdAt: iso(l.created_at as number),
        })),
      ),
    ),
  );

  yield* jsonArray(
    'codes',
    once(
      all(
        db,
        `SELECT d.id, d.enrollment_id, d.code, d.discount_type, d.discount_value, b.currency, d.status, d.redemptions, d.max_redemptions, d.starts_at, d.ends_at, d.created_at
         FROM discount_codes d JOIN enrollments e ON e.id = d.enrollment_id JOIN brands b ON b.id = d.brand_id WHERE e.creator_id = ? ORDER BY d.created_at, d.id`,
        creatorId,
      ).then((rows) =>
        rows.map((d) => ({
          id: d.id,
          enrollmentId: d.enrollment_id,
          code: d.code,
          discount: d.discount_type === 'percent' ? { type: 'percent', percent: d.discount_value } : { type: 'fixed', ...money(d.discount_value, d.currency) },
          status: d.status,
          redemptions: d.redemptions,
          maxRedemptions: d.max_redemptions,
          startsAt: iso(d.starts_at as number | null),
          endsAt: iso(d.ends_at as number | null),
          createdAt: iso(d.created_at as number),
        })),
      ),
    ),
  );

  // Counted clicks per link and day from the daily rollups, never the click rows (a shopper's visit is theirs).
  yield* jsonArray(
    'clicksByDay',
    keysetItems(
      db,
      `SELECT r.link_id, l.slug, r.day, r.clicks, r.unique_clicks, r.bots FROM enrollments e JOIN links l ON l.enrollment_id = e.id JOIN click_rollups r ON r.link_id = l.id
       WHERE e.creator_id = ? AND (r.link_id, r.day) > (?, ?) ORDER BY r.link_id, r.day LIMIT ${PAGE}`,
      [creatorId],
      ['', ''],
      (r) => [r.link_id, r.day],
      (r) => ({ linkId: r.link_id, slug: r.slug, day: r.day, clicks: r.clicks, uniqueClicks: r.unique_clicks, botClicks: r.bots }),
    ),
  );

  // Orders credited to them: what the store sent (its order id, amount, time), how it came, what it earned and
  // what refunds took. Not the shopper's reference or click id.
  // Nor a returning customer's order's code: the one sent with it credited nothing (it may be another creator's).
  yield* jsonArray(
    'orders',
      keysetItems(
        db,
        `SELECT cv.id, cv.enrollment_id, b.name AS brand, cv.external_order_id, cv.amount_minor, cv.currency, cv.occurred_at, cv.attribution, cv.source, CASE WHEN cv.attribution = 'code' AND NOT (${returningCustomerWhere('cv.')}) THEN cv.code_raw END AS code,
           cv.self_purchase, ${earnsThroughColumns('cv.')},
           (SELECT json_object('amountMinor', l.amount_minor, 'currency', l.currency, 'rateBps', l.rate_bps, 'tier', l.tier, 'period', l.period)
              FROM ledger_entries l WHERE l.conversion_id = cv.id AND l.kind = 'commission' LIMIT 1) AS commission,
           (SELECT json_group_array(json_object('refundId', r.external_refund_id, 'amountMinor', r.amount_minor, 'currency', r.currency, 'occurredAt', r.occurred_at, 'status', r.status))
              FROM refunds r WHERE r.brand_id = cv.brand_id AND r.external_order_id = cv.external_order_id AND r.source <> 'decline') AS refunds,
           (SELECT json_group_array(json_object('reason', d.reason, 'note', d.note, 'declinedAt', d.created_at, 'reinstatedAt', d.reinstated_at))
              FROM declined_commissions d WHERE d.conversion_id = cv.id) AS declines
         FROM enrollments e JOIN brands b ON b.id = e.brand_id JOIN conversions cv ON cv.enrollment_id = e.id
         WHERE e.creator_id = ? AND (cv.enrollment_id, cv.occurred_at, cv.id) > (?, ?, ?) ORDER BY cv.enrollment_id, cv.occurred_at, cv.id LIMIT ${PAGE}`,
        [creatorId],
        ['', -1, ''],
        (r) => [r.enrollment_id, r.occurred_at, r.id],
        (r) => ({
          id: r.id,
          brand: r.brand,
          enrollmentId: r.enrollment_id,
          orderId: r.external_order_id,
          ...money(r.amount_minor, r.currency),
          occurredAt: iso(r.occurred_at as number),
          attribution: r.attribution,
          code: r.code,
          source: r.source,
          yourOwnOrder: r.self_purchase !== 0,
          renewalOfOrderId: r.renewal_of,
          returningCustomerOfOrderId: r.returning_customer_of,
          commission: parse(r.commission),
          refunds: ((parse(r.refunds) ?? []) as Row[]).map((f) => ({ ...f, occurredAt: iso(f.occurredAt as number) })),
          // The brand declining its commission (a test order, fraud…), with its reason and note, and undoing that.
          declines: ((parse(r.declines) ?? []) as Row[]).map((d) => ({ ...d, declinedAt: iso(d.declinedAt as number), reinstatedAt: d.reinstatedAt === null ? null : iso(d.reinstatedAt as number) })),
        }),
      ),
  );

  yield* jsonArray(
    'ledger',
    keysetItems(
      db,
      `SELECT l.id, b.name AS brand, l.enrollment_id, ${SHOWN_KIND} AS kind, l.amount_minor, l.currency, l.rate_bps, l.tier, l.basis_minor, l.period, l.conversion_id,
         l.submission_id, l.note, l.available_at, l.payout_id, l.created_at
       FROM ledger_entries l JOIN brands b ON b.id = l.brand_id LEFT JOIN conversions cv ON cv.id = l.conversion_id WHERE l.creator_id = ? AND (l.created_at > ? OR (l.created_at = ? AND l.id > ?)) ORDER BY l.created_at, l.id LIMIT ${PAGE}`,
      [creatorId],
      [-1, -1, ''],
      (r) => [r.created_at, r.created_at, r.id],
      (r) => ({
        id: r.id,
        brand: r.brand,
        enrollmentId: r.enrollment_id,
        kind: r.kind,
        ...money(r.amount_minor, r.currency),
        rateBps: r.rate_bps,
        tier: r.tier,
        pricedOnMinor: r.basis_minor,
        period: r.period,
        orderConversionId: r.conversion_id,
        submissionId: r.submission_id,
        note: r.note,
        payableFrom: iso(r.available_at as number),
        payoutId: r.payout_id,
        createdAt: iso(r.created_at as number),
      }),
    ),
  );

  yield* jsonArray(
    'payouts',
    keysetItems(
      db,
      `SELECT p.id, b.name AS brand, p.period, p.amount_minor, p.currency, p.status, p.reference, p.failure_reason, p.created_at, p.paid_at
       FROM payouts p JOIN brands b ON b.id = p.brand_id WHERE p.creator_id = ? AND (p.period > ? OR (p.period = ? AND p.id > ?)) ORDER BY p.period, p.id LIMIT ${PAGE}`,
      [creatorId],
      ['', '', ''],
      (r) => [r.period, r.period, r.id],
      (r) => ({ id: r.id, brand: r.brand, period: r.period, ...money(r.amount_minor, r.currency), status: r.status, reference: r.reference, failureReason: r.failure_reason, closedAt: iso(r.created_at as number), paidAt: iso(r.paid_at as number | null) }),
    ),
  );

  // Drafts and posts, each with its review history (who as a side: you or the brand) and the usage rights granted.
  yield* jsonArray(
    'submissions',
      keysetItems(
        db,
        `SELECT s.id, s.enrollment_id, b.name AS brand, s.story_format, s.draft_url, s.caption, s.status, s.review_notes, s.post_url, s.views, s.likes, s.comments, s.saves, s.shares, s.compliance,
           s.rights_terms, s.rights_granted_at, s.rights_until, s.created_at, s.updated_at,
           (SELECT json_group_array(json_object('from', x.from_status, 'to', x.to_status, 'by', CASE WHEN x.actor_type = 'creator' THEN 'you' ELSE 'brand' END, 'note', x.note, 'at', x.at))
              FROM (SELECT * FROM submission_events WHERE submission_id = s.id ORDER BY at, id) x) AS history,
           (SELECT json_group_array(json_object('id', x.id, 'status', x.status, 'days', x.days, 'scopes', json(x.scopes), 'feeMinor', x.fee_minor, 'currency', x.currency,
              'note', x.note, 'termsYouAccepted', x.terms_text, 'yourNote', x.answer_note, 'askedAt', x.created_at, 'answeredAt', x.answered_at))
              FROM (SELECT * FROM rights_extensions WHERE submission_id = s.id ORDER BY created_at, id) x) AS extensions
         FROM enrollments e JOIN brands b ON b.id = e.brand_id JOIN submissions s ON s.enrollment_id = e.id
         WHERE e.creator_id = ? AND (s.enrollment_id, s.created_at, s.id) > (?, ?, ?) ORDER BY s.enrollment_id, s.created_at, s.id LIMIT ${PAGE}`,
        [creatorId],
        ['', -1, ''],
        (r) => [r.enrollment_id, r.created_at, r.id],
        (r) => ({
          id: r.id,
          brand: r.brand,
          enrollmentId: r.enrollment_id,
          storyFormat: r.story_format,
          draftUrl: r.draft_url,
          caption: r.caption,
          status: r.status,
          reviewNotes: r.review_notes,
          postUrl: r.post_url,
          metrics: { views: r.views, likes: r.likes, comments: r.comments, saves: r.saves, shares: r.shares },
          compliance: parse(r.compliance),
          usageRights: r.rights_granted_at === null ? null : { termsYouGranted: parse(r.rights_terms), grantedAt: iso(r.rights_granted_at as number), until: iso(r.rights_until as number | null) },
          createdAt: iso(r.created_at as number),
          updatedAt: iso(r.updated_at as number),
          history: ((parse(r.history) ?? []) as Row[]).map((h) => ({ ...h, at: iso(h.at as number) })),
          rightsExtensions: ((parse(r.extensions) ?? []) as Row[]).map((x) => ({ ...x, askedAt: iso(x.askedAt as number), answeredAt: iso(x.answeredAt as number | null) })),
        }),
      ),
  );

  // Each brand's conversation with them: theirs and the brand's messages (the brand by its name, not a teammate's).
  yield* jsonArray(
    'messages',
    keysetItems(
      db,
      `SELECT m.id, m.brand_id, b.name AS brand, m.author_type, m.body, m.created_at FROM brand_creators r JOIN brands b ON b.id = r.brand_id
         JOIN messages m ON m.brand_id = r.brand_id AND m.creator_id = r.creator_id
       WHERE r.creator_id = ? AND (m.brand_id, m.created_at, m.id) > (?, ?, ?) ORDER BY m.brand_id, m.created_at, m.id LIMIT ${PAGE}`,
      [creatorId],
      ['', -1, ''],
      (r) => [r.brand_id, r.created_at, r.id],
      (r) => ({ id: r.id, brand: r.brand, from: r.author_type === 'creator' ? 'you' : 'brand', body: r.body, at: iso(r.created_at as number) }),
    ),
  );

  yield* jsonArray(
    'giftRequests',
      keysetItems(
          db,
          `SELECT g.id, g.enrollment_id, b.name AS brand, b.currency, c.name AS campaign, g.status, g.round, g.items, g.address, g.value_minor, g.carrier, g.tracking_number, g.tracking_url, g.decline_reason,
             g.created_at, g.updated_at, g.shipped_at, g.received_at
           FROM enrollments e JOIN brands b ON b.id = e.brand_id JOIN gift_requests g ON g.enrollment_id = e.id JOIN campaigns c ON c.id = g.campaign_id
           WHERE e.creator_id = ? AND (g.enrollment_id, g.updated_at, g.id) > (?, ?, ?) ORDER BY g.enrollment_id, g.updated_at, g.id LIMIT ${PAGE}`,
          [creatorId],
          ['', -1, ''],
          (g) => [g.enrollment_id, g.updated_at, g.id],
          async (g) => ({
            id: g.id,
            brand: g.brand,
            campaign: g.campaign,
            enrollmentId: g.enrollment_id,
            status: g.status,
            round: g.round,
            items: parse(g.items),
            shippingAddress: removedAsNull(await openAddress(secretsKey, g.address as string)),
            value: money(g.value_minor, g.currency),
            carrier: g.carrier,
            trackingNumber: g.tracking_number,
            trackingUrl: g.tracking_url,
            declineReason: g.decline_reason,
            askedAt: iso(g.created_at as number),
            updatedAt: iso(g.updated_at as number),
            shippedAt: iso(g.shipped_at as number | null),
            receivedAt: iso(g.received_at as number | null),
          }),
      ),
  );

  // Applications sent on campaigns' public pages, and what was asked not to be sent, from the address the account has
  // and every one it moved from (closing the account clears those too: db/creator-erasure.ts).
  const addresses = JSON.stringify([account.email, ...((parse(account.former_emails) as string[] | null) ?? [])]);
  yield* jsonArray(
    'applications',
    once(
      all(
        db,
        `SELECT a.id, b.name AS brand, c.name AS campaign, a.email, a.handle, a.name, a.platform, a.follower_count, a.niche, a.profile_url, a.pitch, a.status, a.created_at, a.decided_at, a.terms_version
         FROM applications a JOIN brands b ON b.id = a.brand_id JOIN campaigns c ON c.id = a.campaign_id
         WHERE a.email IN (SELECT value FROM json_each(?)) ORDER BY a.created_at, a.id`,
        addresses,
      ).then((rows) =>
        rows.map((a) => ({
          id: a.id,
          brand: a.brand,
          campaign: a.campaign,
          email: a.email,
          handle: a.handle,
          name: a.name,
          platform: a.platform,
          followerCount: a.follower_count,
          niche: a.niche,
          profileUrl: a.profile_url,
          note: a.pitch,
          programTermsVersionTicked: a.terms_version,
          status: a.status,
          sentAt: iso(a.created_at as number),
          answeredAt: iso(a.decided_at as number | null),
        })),
      ),
    ),
  );

  // What the address asked not to be sent: one brand's invitations, or every brand's.
  yield* jsonArray(
    'mailOptOuts',
    once(
      all(db, `SELECT o.email, o.scope, b.name AS brand, o.created_at FROM mail_opt_outs o LEFT JOIN brands b ON b.id = o.scope WHERE o.email IN (SELECT value FROM json_each(?)) ORDER BY o.created_at`, addresses).then((rows) =>
        rows.map((o) => ({ email: o.email, invitationsFrom: o.scope === '*' ? 'every brand' : (o.brand ?? o.scope), since: iso(o.created_at as number) })),
      ),
    ),
  );
  yield '}\n';
}

// The generator as a download's body: one piece per pull, so the client's pace sets the memory used.
export function creatorDataStream(db: D1Database, secretsKey: string, creatorId: string, origin: string, now: number): ReadableStream<Uint8Array> {
  const pieces = creatorData(db, secretsKey, creatorId, origin, now);
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await pieces.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value));
      } catch (error) {
        // Headers and a 200 are out: the stream is aborted, so the browser shows a failed download, never a
        // truncated file that looks complete.
        log.error('creator_export_failed', { creatorId, error });
        controller.error(error);
      }
    },
  });
}
