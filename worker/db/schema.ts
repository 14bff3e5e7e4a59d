// The one source of truth for Chorus's D1 schema. Money is integer minor units, time is epoch ms.
import { foreignKey, index, integer, primaryKey, sqliteTable, sqliteView, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { sql } from 'drizzle-orm';
import type { RightsScope, UsageRights } from '../domain/usage-rights';

const createdAt = () => integer('created_at').notNull();

export const brands = sqliteTable(
  'brands',
  {
    id: text('id').primaryKey(),
    slug: text('slug').notNull().unique(),
    name: text('name').notNull(),
    // JSON array of host rules: "shop.example" (exact) or "*.shop.example" (any subdomain).
    allowedHosts: text('allowed_hosts', { mode: 'json' }).$type<string[]>().notNull(),
    currency: text('currency').notNull().default('USD'),
    timezone: text('timezone').notNull().default('UTC'),
    clickParam: text('click_param').notNull().default('cid'),
    // Where a paused link or an ended campaign sends shoppers (no click id); null answers 410.
    fallbackUrl: text('fallback_url'),
    // The least a period's close pays one creator (minor units); less carries forward to a later close.
    minPayoutMinor: integer('min_payout_minor').notNull().default(0),
    // Whether a creator's own order (bought with their code or through their link: domain/self-purchase.ts)
    // earns commission like any other. 0, the default: it earns nothing and counts toward no tier.
    selfPurchasesEarn: integer('self_purchases_earn', { mode: 'boolean' }).notNull().default(false),
    // An owner's policy: everyone on the team signs in with two-step (two_step_factors); a member without it is
    // sent to set it up before any other console page (routes/portal/console/two-step.tsx).
    requireTwoStep: integer('require_two_step', { mode: 'boolean' }).notNull().default(false),
    // The brand's own account, which its SEPA payment files pay from (db/payment-files.ts): the name as the bank
    // holds it (SEPA's character set, up to 70), a checked IBAN, and a BIC where its bank still asks for one.
    payerName: text('payer_name'),
    payerIban: text('payer_iban'),
    payerBic: text('payer_bic'),
    // ACH origination as the brand's bank set it up, which its NACHA payment files need (db/payment-files.ts).
    achCompanyName: text('ach_company_name'),
    achCompanyId: text('ach_company_id'),
    achOdfiRouting: text('ach_odfi_routing'),
    achOdfiName: text('ach_odfi_name'),
    createdAt: createdAt(),
  },
  // By zone: the weekly report's cron finds the brands whose Monday morning it is (jobs/weekly-report.ts).
  (t) => [index('brands_timezone').on(t.timezone)],
);

export const adminUsers = sqliteTable(
  'admin_users',
  {
    id: text('id').primaryKey(),
    brandId: text('brand_id').notNull().references(() => brands.id),
    email: text('email').notNull(),
    name: text('name').notNull(),
    // finance: reads everything, and does the money (payouts, the orders and payouts files); see console/context.ts.
    role: text('role', { enum: ['owner', 'manager', 'finance', 'viewer'] }).notNull(),
    // Null until the member sets a password from the link their invitation mailed them.
    passwordHash: text('password_hash'),
    createdAt: createdAt(),
    // Taken off the team: kept (payout closes and the audit log name them), but signs in to nothing.
    removedAt: integer('removed_at'),
    // An owner's or manager's mail when creators' drafts wait for review (jobs/review-digest.ts): on unless they
    // turn it off, and when it last went, so it goes at most once a day.
    reviewDigest: integer('review_digest', { mode: 'boolean' }).notNull().default(true),
    reviewDigestAt: integer('review_digest_at'),
    // Their weekly network report (jobs/weekly-report.ts): on unless they turn it off, and the Monday (YYYY-MM-DD,
    // the brand's) of the last week it was claimed for, so it goes once a week.
    weeklyReport: integer('weekly_report', { mode: 'boolean' }).notNull().default(true),
    weeklyReportWeek: text('weekly_report_week'),
    // An owner's or manager's mail when a creator's messages wait unread (jobs/message-mail.ts): on unless they
    // turn it off on the Team page.
    messageMail: integer('message_mail', { mode: 'boolean' }).notNull().default(true),
  },
  // By email: sign-in looks up every brand's account for an address, and the console offers the others.
  (t) => [uniqueIndex('admin_users_brand_email').on(t.brandId, t.email), index('admin_users_email').on(t.email)],
);

export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    brandId: text('brand_id').notNull().references(() => brands.id),
    scope: text('scope', { enum: ['storefront', 'ingest', 'admin'] }).notNull(),
    name: text('name').notNull(),
    // SHA-256 of the full key; the key itself is shown once at creation.
    keyHash: text('key_hash').notNull().unique(),
    prefix: text('prefix').notNull(),
    // Ingest keys are HMAC secrets, so they must be recoverable: AES-GCM ciphertext under SECRETS_KEY.
    secretEnc: text('secret_enc'),
    createdAt: createdAt(),
    revokedAt: integer('revoked_at'),
    // Optional: the key stops working at this instant, as if revoked then (null: until revoked).
    expiresAt: integer('expires_at'),
    // When a request made with it was last answered below 400, to within lib/last-used.ts's granularity (null: never).
    lastUsedAt: integer('last_used_at'),
  },
  (t) => [index('api_keys_brand').on(t.brandId)],
);

// Store webhooks: which brand a Shopify shop or Stripe account belongs to, and its signing secret. Not unique
// per account: the secret is the proof, so a brand that connects a shop another brand named first (by mistake
// or to squat it) only gets the webhooks its own secret verifies, and a brand rotates a secret by connecting
// the new one before disconnecting the old (routes/admin/keys.ts, lib/brand-secrets.ts).
export const brandIntegrations = sqliteTable(
  'brand_integrations',
  {
    id: text('id').primaryKey(),
    brandId: text('brand_id').notNull().references(() => brands.id),
    provider: text('provider', { enum: ['shopify', 'stripe'] }).notNull(),
    // Shopify shop domain (X-Shopify-Shop-Domain) or the brand slug for Stripe endpoints.
    externalAccount: text('external_account').notNull(),
    secretEnc: text('secret_enc').notNull(),
    createdAt: createdAt(),
    // When a webhook signed with this secret was last accepted, to within lib/last-used.ts's granularity (null: never).
    lastUsedAt: integer('last_used_at'),
  },
  (t) => [index('brand_integrations_account').on(t.provider, t.externalAccount), index('brand_integrations_brand').on(t.brandId)],
);

// What each store webhook that verified (or came for a connected store and did not) was answered: the
// delivery log a developer reads on Keys and stores. The last 100 per store connection are kept.
export const webhookReceipts = sqliteTable(
  'webhook_receipts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    brandId: text('brand_id').notNull(),
    integrationId: text('integration_id').notNull(),
    provider: text('provider', { enum: ['shopify', 'stripe'] }).notNull(),
    account: text('account').notNull(),
    // The Shopify topic or the Stripe event type, as sent (bounded).
    topic: text('topic').notNull(),
    // The order (Shopify) or the event (Stripe) it was about, when readable.
    ref: text('ref'),
    status: integer('status').notNull(),
    outcome: text('outcome', { enum: ['recorded', 'nothing', 'ignored', 'refused', 'failed'] }).notNull(),
    // The ignored reason, or the error code and its reason.
    detail: text('detail'),
    receivedAt: integer('received_at').notNull(),
  },
  (t) => [index('webhook_receipts_brand').on(t.brandId, t.id), index('webhook_receipts_integration').on(t.integrationId, t.id)],
);

export const creators = sqliteTable(
  'creators',
  {
    id: text('id').primaryKey(),
    email: text('email').notNull().unique(),
    // The handle the account was first added with, which the creator sees on their application form. Brands
    // each keep their own (brand_creators.handle), so a handle says nothing of who else uses Chorus.
    handle: text('handle').notNull(),
    displayName: text('display_name').notNull(),
    passwordHash: text('password_hash'),
    // AES-GCM ciphertext (base64url) of the payout method and account.
    payoutDetailsEnc: text('payout_details_enc'),
    // AES-GCM ciphertext (base64url), as payout details, of the tax details (db/tax-details.ts): legal name,
    // country, kind, tax id and when the creator certified them. One sealed blob: the name is as personal as the id.
    taxDetailsEnc: text('tax_details_enc'),
    // When the open link to move the account to a new email was mailed (null: none open). Each link is bound to
    // it, so a newer request, a password change or the move itself closes every earlier link.
    emailLinkAt: integer('email_link_at'),
    // Every address the account moved from (a JSON array, oldest first), so closing it clears what was sent from
    // them (db/creator-erasure.ts). The brands' activity rows cannot be relied on for it: only brands the creator
    // accepted and has not been erased by see a move, and a brand's erasure blanks its rows.
    formerEmails: text('former_emails'),
    // The mail on days the creator earns (jobs/earnings-digest.ts): on unless they turn it off on the Account page;
    // when the last one was claimed, and from when the entries it told of were written.
    earningsDigest: integer('earnings_digest').notNull().default(1),
    earningsDigestAt: integer('earnings_digest_at'),
    earningsDigestFrom: integer('earnings_digest_from'),
    // The reminder three days before a first draft is due (jobs/content-due.ts): on unless they turn it off on the
    // Account page.
    dueReminders: integer('due_reminders').notNull().default(1),
    // The shipping address the gift form saved last, to fill the next one in: db/gifting.ts ShippingAddress as JSON,
    // sealed under SECRETS_KEY (db/addresses.ts sealAddress). Each gift request keeps its own copy: a later change here
    // does not move a parcel.
    shippingAddress: text('shipping_address'),
    createdAt: createdAt(),
    // When the account was closed by its creator, or erased by the one brand it worked with on their request
    // (db/creator-erasure.ts): its personal data is gone, and its links send shoppers on without counting them.
    erasedAt: integer('erased_at'),
    // When the operator reset the account's two-step sign-in (scripts/chorus.mjs two-step-reset --creator, which
    // writes D1 and mails no one) and the creator has not been mailed of it yet: the cron mails them and clears it
    // once the mail is handed on (jobs/two-step-reset-mail.ts). Claimed by a run before its send, so two runs mail
    // once; a claim older than MAIL_CLAIM_LEASE_MS is a run that died, and is taken again.
    twoStepResetMailDueAt: integer('two_step_reset_mail_due_at'),
    twoStepResetMailClaimedAt: integer('two_step_reset_mail_claimed_at'),
    // The account's address when it was reset, mailed with the one it has when the mail goes: whoever got the reset
    // and knows the password could move the account to their own address before the cron runs.
    twoStepResetMailTo: text('two_step_reset_mail_to'),
  },
  (t) => [
    // Saved addresses written before they were sealed, for the job that seals them (jobs/gift-addresses.ts).
    index('creators_address_plain').on(t.id).where(sql`substr(shipping_address, 1, 1) = '{'`),
    index('creators_two_step_reset_mail_due').on(t.twoStepResetMailDueAt).where(sql`two_step_reset_mail_due_at IS NOT NULL`),
  ],
);

// A brand's roster: which global creator accounts a brand works with, and what it knows of them.
export const brandCreators = sqliteTable(
  'brand_creators',
  {
    brandId: text('brand_id').notNull().references(() => brands.id),
    creatorId: text('creator_id').notNull().references(() => creators.id),
    // The brand's own copy of who it added: its handle for the creator (their links and codes are made from
    // it), and the name and email it gave. Until the creator accepts, the brand sees only these, never the
    // account's (the roster view below): adding an address teaches a brand nothing another brand was told.
    handle: text('handle').notNull(),
    displayName: text('display_name').notNull(),
    email: text('email').notNull(),
    niche: text('niche'),
    platform: text('platform'),
    followerCount: integer('follower_count'),
    // When the creator accepted this brand (set the password from its invite, or Accept on their home
    // page). Until then the brand sees none of the account's own data, such as where payouts go.
    acceptedAt: integer('accepted_at'),
    // Whether the brand's campaign news (updates and brief changes, db/campaign-updates.ts) is mailed to the
    // creator: on unless they stop it from a news mail's link or their Account page. Here rather than in
    // mail_opt_outs, which is keyed by address for people who may have no account: this is one account's choice
    // about one brand it joined, so it follows the account through an email change.
    campaignNews: integer('campaign_news').notNull().default(1),
    createdAt: createdAt(),
    // When this brand's relationship with the creator was erased (db/creator-erasure.ts): by the brand on their
    // request, or with the whole account when it closed. Nothing is sent to, changed for or accrues to them here.
    erasedAt: integer('erased_at'),
  },
  // brand_at: the roster newest first, a keyset page at a time (lib/cursor.ts), as for the lists below.
  (t) => [
    primaryKey({ columns: [t.brandId, t.creatorId] }),
    index('brand_creators_creator').on(t.creatorId),
    index('brand_creators_brand_at').on(t.brandId, t.createdAt, t.creatorId),
    uniqueIndex('brand_creators_handle').on(t.brandId, t.handle),
    // Which creator a brand means by an address it typed (creator-import.ts accountFor): its own copy counts
    // only until they accept.
    index('brand_creators_copy_email').on(t.brandId, t.email).where(sql`accepted_at IS NULL`),
  ],
);

// A brand's own labels for its creators (domain/creator-tags.ts): normalised, at most 10 a creator and 200 distinct a
// brand. The brand's: not shown in the creator's portal, but in their data download (its words about them), and
// gone with the brand's copy when it erases them.
export const creatorTags = sqliteTable(
  'creator_tags',
  {
    brandId: text('brand_id').notNull().references(() => brands.id),
    creatorId: text('creator_id').notNull(),
    tag: text('tag').notNull(),
  },
  // A tag belongs to the brand's roster entry, whose key the primary key's prefix covers: a key of creator_id alone
  // would make every write of a creators row look through the whole table for tags. brand_tag: the roster filtered
  // by a tag, and the brand's distinct tags counted against its limit.
  (t) => [
    primaryKey({ columns: [t.brandId, t.creatorId, t.tag] }),
    foreignKey({ columns: [t.brandId, t.creatorId], foreignColumns: [brandCreators.brandId, brandCreators.creatorId] }),
    index('creator_tags_brand_tag').on(t.brandId, t.tag, t.creatorId),
  ],
);

// Each roster creator as their brand sees them: the brand's handle always; the brand's copy of name and email
// until the creator accepts the brand, then the account's own (a creator who changes either tells the brands
// they joined, and no other). Every read a brand makes of its creators' names and addresses goes through here;
// one that needs only the handle reads brand_creators. A relationship the brand erased shows its own (erased) copy,
// whatever the account, which other brands may still work with, says.
export const roster = sqliteView('roster', {
  brandId: text('brand_id').notNull(),
  creatorId: text('creator_id').notNull(),
  handle: text('handle').notNull(),
  displayName: text('display_name').notNull(),
  email: text('email').notNull(),
  niche: text('niche'),
  platform: text('platform'),
  followerCount: integer('follower_count'),
  acceptedAt: integer('accepted_at'),
  createdAt: integer('created_at').notNull(),
  erasedAt: integer('erased_at'),
}).as(
  sql`SELECT r.brand_id, r.creator_id, r.handle,
    CASE WHEN r.accepted_at IS NULL OR r.erased_at IS NOT NULL THEN r.display_name ELSE c.display_name END AS display_name,
    CASE WHEN r.accepted_at IS NULL OR r.erased_at IS NOT NULL THEN r.email ELSE c.email END AS email,
    r.niche, r.platform, r.follower_count, r.accepted_at, r.created_at, r.erased_at
  FROM brand_creators r JOIN creators c ON c.id = r.creator_id`,
);

export type CommissionTier = { fromMinor: number; rateBps: number };
export type PerformanceBonus = { thresholdMinor: number; amountMinor: number };

export const commissionPlans = sqliteTable(
  'commission_plans',
  {
    id: text('id').primaryKey(),
    brandId: text('brand_id').notNull().references(() => brands.id),
    name: text('name').notNull(),
    period: text('period', { enum: ['month', 'lifetime'] }).notNull().default('month'),
    tiers: text('tiers', { mode: 'json' }).$type<CommissionTier[]>().notNull(),
    bonus: text('bonus', { mode: 'json' }).$type<PerformanceBonus | null>(),
    createdAt: createdAt(),
  },
  (t) => [index('commission_plans_brand').on(t.brandId)],
);

export const storyFormats = ['day_in_the_life', 'before_after', 'problem_solution'] as const;

export const campaigns = sqliteTable(
  'campaigns',
  {
    id: text('id').primaryKey(),
    brandId: text('brand_id').notNull().references(() => brands.id),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    hashtag: text('hashtag').notNull(),
    positioningAnchor: text('positioning_anchor').notNull().default(''),
    nonNegotiables: text('non_negotiables', { mode: 'json' }).$type<string[]>().notNull(),
    disclosureText: text('disclosure_text').notNull().default('#ad'),
    storyFormats: text('story_formats', { mode: 'json' }).$type<string[]>().notNull(),
    defaultDestination: text('default_destination').notNull(),
    attributionWindowDays: integer('attribution_window_days').notNull().default(30),
    commissionPlanId: text('commission_plan_id').references(() => commissionPlans.id),
    holdingDays: integer('holding_days').notNull().default(30),
    // How many months after a Stripe subscription started its later payments still earn the creator who
    // brought it; 0: the first payment only (db/conversions.ts decideSubscriptionPayment).
    renewalMonths: integer('renewal_months').notNull().default(0),
    // How many months after a customer's first order their later orders that no code or click credits still
    // earn the creator who brought them; 0: off (db/conversions.ts decideReturningCustomer).
    returningCustomerMonths: integer('returning_customer_months').notNull().default(0),
    startsAt: integer('starts_at'),
    endsAt: integer('ends_at'),
    status: text('status', { enum: ['draft', 'active', 'ended'] }).notNull().default('active'),
    // The mid-tier comparison the brand enters: one creator's cost and the audience that engaged.
    baselineCostMinor: integer('baseline_cost_minor'),
    baselineEngaged: integer('baseline_engaged'),
    // Creators may apply at /apply/<brand slug>/<campaign slug> (db/applications.ts); off until the brand opens it.
    applicationsOpen: integer('applications_open', { mode: 'boolean' }).notNull().default(false),
    // When creators' first drafts are due: the end of the day the brand picked, in its timezone (null: no date).
    // An enrollment's own date comes first (domain/content-due.ts).
    contentDueAt: integer('content_due_at'),
    // Product seeding (db/gifting.ts): whether creators may ask for a gift now, and how many products each may pick.
    giftingOpen: integer('gifting_open', { mode: 'boolean' }).notNull().default(false),
    giftChoices: integer('gift_choices').notNull().default(1),
    // The seeding round (db/gifting.ts): a creator gets one gift per round. The brand starts the next one (a new
    // season's product), and creators whose gift arrived may ask again.
    giftRound: integer('gift_round').notNull().default(1),
    // The usage rights creators are asked to grant with each draft (domain/usage-rights.ts); null: none asked.
    usageRights: text('usage_rights', { mode: 'json' }).$type<UsageRights>(),
    createdAt: createdAt(),
  },
  // content_due: the reminder job finds the campaigns whose date is near (jobs/content-due.ts).
  (t) => [uniqueIndex('campaigns_brand_slug').on(t.brandId, t.slug), index('campaigns_content_due').on(t.contentDueAt).where(sql`content_due_at IS NOT NULL`)],
);

// A creator asking to join a campaign from its public application page. One per campaign and address: applying
// again while it waits updates it. Approving imports the row as the roster import would (an invitation).
export const applications = sqliteTable(
  'applications',
  {
    id: text('id').primaryKey(),
    brandId: text('brand_id').notNull().references(() => brands.id),
    campaignId: text('campaign_id').notNull().references(() => campaigns.id),
    email: text('email').notNull(),
    handle: text('handle').notNull(),
    name: text('name').notNull(),
    platform: text('platform').notNull(),
    followerCount: integer('follower_count'),
    niche: text('niche'),
    profileUrl: text('profile_url'),
    pitch: text('pitch').notNull().default(''),
    status: text('status', { enum: ['pending', 'approved', 'declined'] }).notNull().default('pending'),
    createdAt: createdAt(),
    updatedAt: integer('updated_at').notNull(),
    decidedAt: integer('decided_at'),
    decidedBy: text('decided_by'),
    // When the applicant was mailed that the brand declined: once per application, whatever reopens follow.
    declineMailedAt: integer('decline_mailed_at'),
    // The inbox the address reaches (domain/applications.ts inboxOf): sarah+1@ and sarah+2@ are one inbox,
    // and the limits on decline mails count inboxes.
    inbox: text('inbox').notNull(),
    // The version of the brand's program terms the applicant ticked (null: the brand had none). Anyone may apply
    // under any address, so the account accepts them again, signed in, when it accepts the invitation.
    termsVersion: integer('terms_version'),
  },
  (t) => [
    uniqueIndex('applications_campaign_email').on(t.campaignId, t.email),
    index('applications_campaign_status').on(t.campaignId, t.status, t.createdAt),
    // The declines an inbox was told of lately (db/applications.ts toldLately).
    index('applications_inbox_told').on(t.inbox, t.declineMailedAt).where(sql`decline_mailed_at IS NOT NULL`),
    // An address's applications, which an erasure clears (db/creator-erasure.ts).
    index('applications_email').on(t.email),
  ],
);

// A brand's program terms, one row per published version (1, 2, 3…): a new text is a new version, never an edit
// of an old one, so what a creator accepted stays readable (db/program-terms.ts).
export const programTerms = sqliteTable(
  'program_terms',
  {
    id: text('id').primaryKey(),
    brandId: text('brand_id').notNull().references(() => brands.id),
    version: integer('version').notNull(),
    body: text('body').notNull(),
    publishedAt: integer('published_at').notNull(),
    publishedByType: text('published_by_type', { enum: ['admin_user', 'api_key'] }).notNull(),
    publishedById: text('published_by_id').notNull(),
  },
  // The index, not a read, refuses a second version N published at the same moment.
  (t) => [uniqueIndex('program_terms_brand_version').on(t.brandId, t.version)],
);

// Who accepted which version of a brand's program terms, and when: appended, never changed or deleted (an erasure
// keeps it, as it keeps the ledger: it names only the account's id). A creator's standing is their highest version.
export const termsAcceptances = sqliteTable(
  'terms_acceptances',
  {
    id: text('id').primaryKey(),
    brandId: text('brand_id').notNull().references(() => brands.id),
    creatorId: text('creator_id').notNull().references(() => creators.id),
    version: integer('version').notNull(),
    // Where they ticked it: accepting the brand's invitation, or a later version from its notice.
    via: text('via', { enum: ['invitation', 'update'] }).notNull(),
    acceptedAt: integer('accepted_at').notNull(),
  },
  (t) => [
    uniqueIndex('terms_acceptances_brand_creator_version').on(t.brandId, t.creatorId, t.version),
    index('terms_acceptances_creator').on(t.creatorId, t.acceptedAt),
    // One version's acceptances latest first, a keyset page at a time, and its count (the console's terms history):
    // creator_id last so the count's join to the roster reads this index alone.
    index('terms_acceptances_brand_version_at').on(t.brandId, t.version, t.acceptedAt, t.id, t.creatorId),
  ],
);

// A brand's note to a campaign's creators ("the code works on bundles now"), mailed to each who accepted the
// brand and shown on their brief (db/campaign-updates.ts). At most a few a day per campaign.
export const campaignUpdates = sqliteTable(
  'campaign_updates',
  {
    id: text('id').primaryKey(),
    brandId: text('brand_id').notNull().references(() => brands.id),
    campaignId: text('campaign_id').notNull().references(() => campaigns.id),
    title: text('title').notNull(),
    body: text('body').notNull(),
    // Who posted it: a teammate in the console, or an admin key through the API.
    authorType: text('author_type', { enum: ['admin_user', 'api_key'] }).notNull(),
    authorId: text('author_id').notNull(),
    // How many creators it was mailed to when posted.
    mailed: integer('mailed').notNull().default(0),
    // The console form's own key: a form sent twice posts once (the API has Idempotency-Key). Null from the API.
    formKey: text('form_key'),
    createdAt: createdAt(),
  },
  (t) => [
    // A campaign's updates newest first, and the day's count the limit checks.
    index('campaign_updates_campaign_at').on(t.campaignId, t.createdAt, t.id),
    uniqueIndex('campaign_updates_form_key').on(t.campaignId, t.formKey),
  ],
);

// A one-off reward for reaching a goal in a campaign (db/bounties.ts), as Dub Partners' performance bounties: "10
// sales by 31 December earns 50.00". Counted from the creator's attributed orders in [starts_at, ends_at); paid
// once per enrollment as an `adjustment` ledger entry, so every sum over the ledger includes it unchanged.
export const bountyMetrics = ['sales', 'revenue'] as const;
export const bounties = sqliteTable(
  'bounties',
  {
    id: text('id').primaryKey(),
    brandId: text('brand_id').notNull().references(() => brands.id),
    campaignId: text('campaign_id').notNull().references(() => campaigns.id),
    title: text('title').notNull(),
    metric: text('metric', { enum: bountyMetrics }).notNull(),
    // Sales: a count of orders; revenue: net minor units of the brand's currency.
    target: integer('target').notNull(),
    rewardMinor: integer('reward_minor').notNull(),
    startsAt: integer('starts_at').notNull(),
    endsAt: integer('ends_at').notNull(),
    createdByType: text('created_by_type', { enum: ['admin_user', 'api_key'] }).notNull(),
    createdById: text('created_by_id').notNull(),
    createdAt: createdAt(),
    archivedAt: integer('archived_at'),
    // When the cron last looked at it after its window closed (null: not yet): the last look, so nobody who
    // reached it is missed, is made once.
    settledAt: integer('settled_at'),
    // When the cron last looked at it (null: never): open bounties take turns, the longest unlooked first.
    checkedAt: integer('checked_at'),
    // The console form's key: a form sent twice (a double click, a resend) creates one bounty.
    formKey: text('form_key'),
  },
  (t) => [
    index('bounties_campaign_at').on(t.campaignId, t.createdAt, t.id),
    // What the cron evaluates, in turn: bounties not archived and not settled yet, the longest unlooked first.
    index('bounties_open').on(t.checkedAt, t.id).where(sql`archived_at IS NULL AND settled_at IS NULL`),
    uniqueIndex('bounties_form_key').on(t.campaignId, t.formKey),
  ],
);

// One award per bounty and enrollment: the row the award's ledger entry is written with, in the same batch.
export const bountyAwards = sqliteTable(
  'bounty_awards',
  {
    bountyId: text('bounty_id').notNull().references(() => bounties.id),
    enrollmentId: text('enrollment_id').notNull().references(() => enrollments.id),
    brandId: text('brand_id').notNull().references(() => brands.id),
    ledgerEntryId: text('ledger_entry_id').notNull(),
    awardedAt: integer('awarded_at').notNull(),
    // The creator's mail about it (jobs/bounty-award-mail.ts): when it was done with (handed on; or given up, a week on
    // unsent or awarded before these mails; null: not yet), and when a cron run claimed it, so overlapping runs mail it
    // once and a refused mail goes back for the next run.
    mailedAt: integer('mailed_at'),
    mailClaimedAt: integer('mail_claimed_at'),
  },
  (t) => [
    primaryKey({ columns: [t.bountyId, t.enrollmentId] }),
    index('bounty_awards_bounty_at').on(t.bountyId, t.awardedAt, t.enrollmentId),
    // The awards whose mail is still to send, oldest first: what the mail's cron run claims.
    index('bounty_awards_unmailed').on(t.awardedAt).where(sql`mailed_at IS NULL`),
    // The foreign key's check when an enrollment row is written (an import's upsert) reads by enrollment.
    index('bounty_awards_enrollment').on(t.enrollmentId),
  ],
);

// Messages between a brand and one creator (db/message-threads.ts): one conversation per brand and creator, whatever
// campaigns they share, with each side's unread count, read marker and batched mail.
export const messageThreads = sqliteTable(
  'message_threads',
  {
    brandId: text('brand_id').notNull().references(() => brands.id),
    creatorId: text('creator_id').notNull().references(() => creators.id),
    lastMessageAt: integer('last_message_at').notNull(),
    // Per side: the other side's messages written since this side last read the thread, and when it last did.
    brandUnread: integer('brand_unread').notNull().default(0),
    creatorUnread: integer('creator_unread').notNull().default(0),
    brandReadAt: integer('brand_read_at'),
    creatorReadAt: integer('creator_read_at'),
    // Per side: when its mail about unread messages is due (null: none due; set by the first unread message, at
    // least an hour after the last such mail, cleared by reading or by the mail), and when that mail last went.
    brandMailDueAt: integer('brand_mail_due_at'),
    creatorMailDueAt: integer('creator_mail_due_at'),
    brandMailedAt: integer('brand_mailed_at'),
    creatorMailedAt: integer('creator_mailed_at'),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.brandId, t.creatorId] }),
    // The console's inbox newest first (a keyset page at a time), and its unread ones (in the same order, with the
    // nav's count). A creator's conversations are read by the primary key, from their brand_creators rows.
    index('message_threads_brand_at').on(t.brandId, t.lastMessageAt, t.creatorId),
    index('message_threads_brand_unread').on(t.brandId, t.lastMessageAt, t.creatorId).where(sql`brand_unread > 0`),
    // The mail job's claims: only threads with a mail due.
    index('message_threads_brand_mail_due').on(t.brandMailDueAt).where(sql`brand_mail_due_at IS NOT NULL`),
    index('message_threads_creator_mail_due').on(t.creatorMailDueAt).where(sql`creator_mail_due_at IS NOT NULL`),
    // A creator's threads by their id alone: the foreign key's check when a creators row is written, and erasure.
    index('message_threads_creator').on(t.creatorId),
  ],
);

export const messages = sqliteTable(
  'messages',
  {
    id: text('id').primaryKey(),
    brandId: text('brand_id').notNull().references(() => brands.id),
    creatorId: text('creator_id').notNull().references(() => creators.id),
    // The creator, a teammate in the console, or an admin key through the API.
    authorType: text('author_type', { enum: ['creator', 'admin_user', 'api_key'] }).notNull(),
    authorId: text('author_id').notNull(),
    body: text('body').notNull(),
    // The page form's own key: a form sent twice sends once (the API has Idempotency-Key). Null from the API.
    formKey: text('form_key'),
    createdAt: createdAt(),
  },
  (t) => [
    // A conversation's pages newest first, and each side's count of the last hour (the rate limit).
    index('messages_thread_at').on(t.brandId, t.creatorId, t.createdAt, t.id),
    uniqueIndex('messages_form_key').on(t.brandId, t.creatorId, t.formKey),
    // A creator's messages by their id: the foreign key's check when a creators row is written, and erasure's rewrite.
    index('messages_creator').on(t.creatorId, t.brandId),
  ],
);

// Product seeding (db/gifting.ts): what a brand offers a campaign's creators to post about, and their asks.
export const giftProducts = sqliteTable(
  'gift_products',
  {
    id: text('id').primaryKey(),
    brandId: text('brand_id').notNull().references(() => brands.id),
    campaignId: text('campaign_id').notNull().references(() => campaigns.id),
    title: text('title').notNull(),
    // The choices a creator picks one of (sizes, shades), JSON array of strings; empty: none to pick.
    options: text('options', { mode: 'json' }).$type<string[]>().notNull(),
    sku: text('sku'),
    // What one costs the brand, in minor units of the brand's currency: the program's product cost.
    valueMinor: integer('value_minor').notNull().default(0),
    // Archived products are offered no more; requests that name them keep their copy.
    archivedAt: integer('archived_at'),
    createdAt: createdAt(),
  },
  (t) => [index('gift_products_campaign').on(t.campaignId, t.createdAt, t.id)],
);

export const giftRequestStatuses = ['requested', 'shipped', 'received', 'declined', 'withdrawn'] as const;

export const giftRequests = sqliteTable(
  'gift_requests',
  {
    id: text('id').primaryKey(),
    brandId: text('brand_id').notNull().references(() => brands.id),
    campaignId: text('campaign_id').notNull().references(() => campaigns.id),
    enrollmentId: text('enrollment_id').notNull().references(() => enrollments.id),
    status: text('status', { enum: giftRequestStatuses }).notNull(),
    // Copies taken when asked (db/gifting.ts GiftItem[] and ShippingAddress): what ships is what was asked for.
    items: text('items', { mode: 'json' }).$type<unknown[]>().notNull(),
    // The address as JSON sealed under SECRETS_KEY (db/addresses.ts sealAddress, opened only by openAddress); '' once
    // removed, when it is no longer needed (jobs/gift-addresses.ts). Rows from before 0066 hold the JSON itself until
    // that job seals them.
    address: text('address').notNull(),
    valueMinor: integer('value_minor').notNull(),
    carrier: text('carrier'),
    trackingNumber: text('tracking_number'),
    trackingUrl: text('tracking_url'),
    declineReason: text('decline_reason'),
    // The campaign's gift_round when it was asked for (or last changed).
    round: integer('round').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: integer('updated_at').notNull(),
    shippedAt: integer('shipped_at'),
    receivedAt: integer('received_at'),
  },
  (t) => [
    // The indexes, not a read, refuse a second request, so two forms sent at once make one: one open request per
    // enrollment (asked or on its way), whatever its round; and one gift per round (asked, shipped or arrived). A
    // gift that arrived in an earlier round leaves room to ask in this one; declined and withdrawn ones leave room.
    uniqueIndex('gift_requests_open').on(t.enrollmentId).where(sql`status IN ('requested', 'shipped')`),
    uniqueIndex('gift_requests_live').on(t.enrollmentId, t.round).where(sql`status IN ('requested', 'shipped', 'received')`),
    // The Gifting tab's pages, newest first, by status or all of them (keyset on created_at, id).
    index('gift_requests_campaign').on(t.campaignId, t.status, t.createdAt, t.id),
    index('gift_requests_campaign_at').on(t.campaignId, t.createdAt, t.id),
    // A creator's latest request in a campaign (their home card and gift page), whatever its status.
    index('gift_requests_enrollment').on(t.enrollmentId, t.updatedAt),
    // The addresses still held, for the job that removes those no longer needed; and the ones written before they
    // were sealed, for the job that seals them (empty once it has: every write seals).
    index('gift_requests_address_held').on(t.status, t.updatedAt).where(sql`address <> ''`),
    index('gift_requests_address_plain').on(t.id).where(sql`substr(address, 1, 1) = '{'`),
  ],
);

export const paymentModels = ['product', 'affiliate', 'flat', 'hybrid'] as const;
export const enrollmentStatuses = ['invited', 'active', 'paused', 'benched', 'removed'] as const;

export const enrollments = sqliteTable(
  'enrollments',
  {
    id: text('id').primaryKey(),
    brandId: text('brand_id').notNull().references(() => brands.id),
    campaignId: text('campaign_id').notNull().references(() => campaigns.id),
    creatorId: text('creator_id').notNull().references(() => creators.id),
    paymentModel: text('payment_model', { enum: paymentModels }).notNull(),
    flatFeeMinor: integer('flat_fee_minor').notNull().default(0),
    briefSection: text('brief_section').notNull().default(''),
    status: text('status', { enum: enrollmentStatuses }).notNull().default('invited'),
    // When the brand removed the creator (null unless removed; removals from before it was kept have none and
    // count as removed for every order, as do a closed account's, which nothing credits again): orders placed
    // before it still earn (domain/codes.ts).
    removedAt: integer('removed_at'),
    // When the creator last became active: accepted the invitation, or was brought back from a pause, the
    // bench or a removal (null: active since enrolled, or never active). The bench suggestion counts its
    // stall days from here, not from enrollment (domain/network.ts).
    activeSince: integer('active_since'),
    // This creator's own due date for a first draft, before the campaign's (a later one for someone who joined
    // late); null: the campaign's.
    contentDueAt: integer('content_due_at'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('enrollments_campaign_creator').on(t.campaignId, t.creatorId),
    index('enrollments_brand_at').on(t.brandId, t.createdAt, t.id),
    index('enrollments_creator').on(t.creatorId),
    index('enrollments_content_due').on(t.contentDueAt).where(sql`content_due_at IS NOT NULL`),
  ],
);

// The reminders mailed before a first draft is due (jobs/content-due.ts): one row per enrollment and due date.
// Inserting the row is the claim, so a date reminds once however often (or however concurrently) the job runs,
// and a date the brand moves reminds again.
export const contentDueReminders = sqliteTable(
  'content_due_reminders',
  {
    enrollmentId: text('enrollment_id').notNull().references(() => enrollments.id),
    dueAt: integer('due_at').notNull(),
    brandId: text('brand_id').notNull().references(() => brands.id),
    claimedAt: integer('claimed_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.enrollmentId, t.dueAt] })],
);

export const links = sqliteTable(
  'links',
  {
    id: text('id').primaryKey(),
    brandId: text('brand_id').notNull().references(() => brands.id),
    enrollmentId: text('enrollment_id').notNull().references(() => enrollments.id),
    // Globally unique: the redirect's one indexed lookup. Case-sensitive, as generated slugs are mixed case;
    // a slug a brand chooses must also differ from every other by more than case (links_slug_folded), so a
    // shopper who types it in lower case never reaches another brand's link.
    slug: text('slug').notNull().unique(),
    destination: text('destination').notNull(),
    status: text('status', { enum: ['active', 'paused'] }).notNull().default('active'),
    // Who made it: the brand (its API, the console, an import) or the creator from their portal, who may
    // archive only their own.
    madeBy: text('made_by', { enum: ['brand', 'creator'] }).notNull().default('brand'),
    // When the creator tidied it off their home page (null: listed). An archived link still redirects and
    // counts (it may be printed on packaging): the redirect never reads this; only the creator's lists and
    // the per-creator cap (MAX_LINKS_PER_ENROLLMENT) leave it out.
    archivedAt: integer('archived_at'),
    createdAt: createdAt(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('links_brand_at').on(t.brandId, t.createdAt, t.id), index('links_enrollment').on(t.enrollmentId), index('links_slug_folded').on(sql`lower(${t.slug})`)],
);

export const clicks = sqliteTable(
  'clicks',
  {
    // The cid handed to the store: 128 random bits, base64url.
    id: text('id').primaryKey(),
    brandId: text('brand_id').notNull(),
    linkId: text('link_id').notNull(),
    at: integer('at').notNull(),
    // The day it counts on (YYYY-MM-DD): the brand's calendar day in the timezone the brand had when the click
    // was written, so a later change of timezone moves no day already counted (rollups and retention key on it).
    // Null for clicks written before migration 0030 (and by a worker older than it), which count on their UTC
    // day: clickDaySql.
    day: text('day'),
    country: text('country'),
    device: text('device', { enum: ['mobile', 'tablet', 'desktop', 'unknown'] }).notNull(),
    referrerHost: text('referrer_host'),
    // Keyed hash of IP + user agent with a daily rotating salt; no raw IP is stored.
    identityHash: text('identity_hash').notNull(),
    isBot: integer('is_bot', { mode: 'boolean' }).notNull(),
    isDuplicate: integer('is_duplicate', { mode: 'boolean' }).notNull(),
    // What the daily rollup has already counted for this row: whether it was counted at all, and as a
    // unique click. The consumer adds only the difference, so a batch costs its own rows, not the day's.
    counted: integer('counted', { mode: 'boolean' }).notNull().default(true),
    countedUnique: integer('counted_unique', { mode: 'boolean' }).notNull().default(false),
  },
  (t) => [
    index('clicks_link_identity_at').on(t.linkId, t.identityHash, t.at),
    // A visitor's clicks that still count as unique: the only rows a new click can turn into duplicates.
    // Without it, a click arriving after thousands of later clicks of the same visitor (an office NAT, a
    // redelivered batch) read every one of them to find the few still unique.
    index('clicks_unique_visits').on(t.linkId, t.identityHash, t.at).where(sql`is_bot = 0 AND is_duplicate = 0`),
    // Rows whose rollup share is not yet what it should be: new rows, and rows a late click made duplicates.
    index('clicks_rollup_pending').on(t.linkId, t.at).where(sql`counted = 0 OR counted_unique <> (is_bot = 0 AND is_duplicate = 0)`),
    index('clicks_brand_at').on(t.brandId, t.at),
  ],
);

export const clickRollups = sqliteTable(
  'click_rollups',
  {
    linkId: text('link_id').notNull(),
    day: text('day').notNull(), // YYYY-MM-DD, the clicks' day (clicks.day)
    brandId: text('brand_id').notNull(),
    clicks: integer('clicks').notNull(),
    uniqueClicks: integer('unique_clicks').notNull(),
    bots: integer('bots').notNull(),
  },
  (t) => [primaryKey({ columns: [t.linkId, t.day] }), index('click_rollups_brand_day').on(t.brandId, t.day)],
);

export const discountCodes = sqliteTable(
  'discount_codes',
  {
    id: text('id').primaryKey(),
    brandId: text('brand_id').notNull().references(() => brands.id),
    enrollmentId: text('enrollment_id').notNull().references(() => enrollments.id),
    code: text('code').notNull(), // normalized
    discountType: text('discount_type', { enum: ['percent', 'fixed'] }).notNull(),
    // Percent in whole percent, fixed in minor units of the brand's currency.
    discountValue: integer('discount_value').notNull(),
    maxRedemptions: integer('max_redemptions'),
    redemptions: integer('redemptions').notNull().default(0),
    startsAt: integer('starts_at'),
    endsAt: integer('ends_at'),
    status: text('status', { enum: ['active', 'disabled'] }).notNull().default('active'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('discount_codes_brand_code').on(t.brandId, t.code), index('discount_codes_enrollment').on(t.enrollmentId), index('discount_codes_brand_at').on(t.brandId, t.createdAt, t.id)],
);

/** SQL for the day a click row counts on: its own, or for a click from before migration 0030 its UTC day. */
export const clickDaySql = (table = '') => `coalesce(${table}day, strftime('%Y-%m-%d', ${table}at / 1000, 'unixepoch'))`;
// A returning customer's order (db/conversions.ts): credited through the customer's first order, not a
// subscription's renewal. `table` is a prefix such as 'cv.'.
export const returningCustomerWhere = (table = '') => `${table}renewal_of IS NOT NULL AND ${table}subscription_id IS NULL`;
// renewal_of serves both rules: the subscription tells a subscription's renewal from a returning order.
export const subscriptionRenewalWhere = (table = '') => `${table}renewal_of IS NOT NULL AND ${table}subscription_id IS NOT NULL`;
// A customer ref that names a customer: a blank one (a store sending "" for guests) would join every guest's
// orders into one customer. The condition of index conversions_brand_customer and of the queries it serves.
export const knownCustomerWhere = (table = '') => `trim(${table}customer_ref) <> ''`;
/**
 * SQL for the order an order earns through, as its renewal_of (a subscription's renewal) and its returning_customer_of
 * (a returning customer's order): `firstOrderId` is the SQL for that earlier order's external id (read by its id
 * unless the query joined it already), `table` the order's prefix.
 */
export const earnsThroughSql = (table: string, firstOrderId = `(SELECT f.external_order_id FROM conversions f WHERE f.id = ${table}renewal_of)`) => ({
  renewalOf: `CASE WHEN ${subscriptionRenewalWhere(table)} THEN ${firstOrderId} END`,
  returningCustomerOf: `CASE WHEN ${returningCustomerWhere(table)} THEN ${firstOrderId} END`,
});
/** earnsThroughSql as the columns renewal_of and returning_customer_of. */
export const earnsThroughColumns = (table: string, firstOrderId?: string) => {
  const through = earnsThroughSql(table, firstOrderId);
  return `${through.renewalOf} AS renewal_of, ${through.returningCustomerOf} AS returning_customer_of`;
};

// An order that named a click D1 did not hold yet, still unattributed: the condition of the two partial
// indexes below and of every query that finds such orders (db/conversions.ts), written once so the
// queries keep matching the indexes. `table` qualifies the columns ('cv.').
export const awaitingClickWhere = (table = '') => `${table}attribution = 'none' AND ${table}click_id IS NULL AND ${table}click_id_raw IS NOT NULL`;
const awaitingClick = sql.raw(awaitingClickWhere());

export const conversions = sqliteTable(
  'conversions',
  {
    id: text('id').primaryKey(),
    brandId: text('brand_id').notNull().references(() => brands.id),
    externalOrderId: text('external_order_id').notNull(),
    amountMinor: integer('amount_minor').notNull(),
    currency: text('currency').notNull(),
    occurredAt: integer('occurred_at').notNull(),
    attribution: text('attribution', { enum: ['code', 'click', 'none'] }).notNull(),
    enrollmentId: text('enrollment_id'),
    codeRaw: text('code_raw'),
    codeId: text('code_id'),
    clickIdRaw: text('click_id_raw'),
    clickId: text('click_id'),
    customerRef: text('customer_ref'),
    source: text('source', { enum: ['api', 'shopify', 'stripe'] }).notNull(),
    // Hash of the canonical payload: an exact replay answers 200, a different one 409.
    payloadHash: text('payload_hash').notNull(),
    createdAt: createdAt(),
    // When the cron sweep next looks for the click an order waits for (null: at created_at); pushed further
    // out after each look that finds none, and to the end of time after the last (db/conversions.ts).
    clickLookAt: integer('click_look_at'),
    // The Stripe subscription a payment belongs to (null: any other order). renewal_of: the earlier credited
    // order whose creator this one earns through, and so no new sale: for a subscription's later payment, the
    // subscription's first credited payment (db/conversions.ts recordSubscriptionPayment); for an order of no
    // subscription, its returning customer's first credited order (returningCustomerWhere).
    subscriptionId: text('subscription_id'),
    renewalOf: text('renewal_of'),
    // Whether the customer was the credited creator (domain/self-purchase.ts): 0 no (or not known), 1 yes and
    // it earns nothing (no commission entry), 2 yes and it earns, as the brand allowed when it was credited.
    // The customer's address itself is never stored.
    selfPurchase: integer('self_purchase').notNull().default(0),
    // While an order waits for its click: the brand's creators the customer's address reaches, as a JSON list
    // of ids (null: none), so the click's creator can be told apart when it lands. Cleared when the order is
    // settled or the sweep gives up on it.
    buyerCreatorIds: text('buyer_creator_ids'),
  },
  (t) => [
    uniqueIndex('conversions_brand_order').on(t.brandId, t.externalOrderId),
    // A subscription's payments, which its next payment looks up.
    index('conversions_brand_subscription').on(t.brandId, t.subscriptionId, t.occurredAt).where(sql`subscription_id IS NOT NULL`),
    index('conversions_enrollment_at').on(t.enrollmentId, t.occurredAt),
    index('conversions_brand_at').on(t.brandId, t.occurredAt),
    // A customer's orders, earliest first, which their next order reads from the start for their first order.
    index('conversions_brand_customer').on(t.brandId, t.customerRef, t.occurredAt).where(sql.raw(knownCustomerWhere())),
    // Orders that named a click D1 did not hold yet: what the click consumer looks up as clicks land, and
    // the ones due for the cron sweep's next look (db/conversions.ts).
    index('conversions_awaiting_click').on(t.clickIdRaw).where(awaitingClick),
    index('conversions_click_look').on(sql`coalesce(${t.clickLookAt}, ${t.createdAt})`).where(awaitingClick),
  ],
);

export const refunds = sqliteTable(
  'refunds',
  {
    id: text('id').primaryKey(),
    brandId: text('brand_id').notNull().references(() => brands.id),
    externalRefundId: text('external_refund_id').notNull(),
    externalOrderId: text('external_order_id').notNull(),
    amountMinor: integer('amount_minor').notNull(),
    currency: text('currency').notNull(),
    occurredAt: integer('occurred_at').notNull(),
    // pending until its order lands; applied once its reversal (if any) is in the ledger; failed when the store
    // says the money never reached the shopper (its reversal, if any, is given back by a new entry: db/money.ts).
    status: text('status', { enum: ['pending', 'applied', 'failed'] }).notNull(),
    // `decline`: no store refund but a brand declining the order's commission (declined_commissions below), so
    // every sum over refunds leaves the order out as one refunded in full; failed when the brand reinstates it.
    source: text('source', { enum: ['api', 'shopify', 'stripe', 'decline'] }).notNull(),
    payloadHash: text('payload_hash').notNull(),
    // When the refund failed or was cancelled (the time the store gave), once it has.
    failedAt: integer('failed_at'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('refunds_brand_refund').on(t.brandId, t.externalRefundId),
    index('refunds_brand_order').on(t.brandId, t.externalOrderId),
    // Refunds still waiting for their order, oldest first, for the Orders page (few: most find their order).
    index('refunds_pending').on(t.brandId, t.createdAt).where(sql`status = 'pending'`),
  ],
);

// A brand declining an order's commission (a test order, fraud, a duplicate: db/declines.ts), while it is unpaid.
// It stands as a refunds row of source 'decline' for the order's whole amount (refund_id), whose reversal takes the
// commission back; reinstating fails that row, whose give-back returns it. At most one standing decline an order.
export const declineReasons = ['test_order', 'fraud', 'duplicate', 'not_eligible', 'other'] as const;
export const declinedCommissions = sqliteTable(
  'declined_commissions',
  {
    id: text('id').primaryKey(),
    brandId: text('brand_id').notNull().references(() => brands.id),
    conversionId: text('conversion_id').notNull().references(() => conversions.id),
    refundId: text('refund_id').notNull(),
    reason: text('reason', { enum: declineReasons }).notNull(),
    // Shown to the creator: one line, at most 200 characters.
    note: text('note'),
    actorType: text('actor_type', { enum: ['admin_user', 'api_key'] }).notNull(),
    actorId: text('actor_id').notNull(),
    createdAt: createdAt(),
    reinstatedAt: integer('reinstated_at'),
    reinstatedByType: text('reinstated_by_type', { enum: ['admin_user', 'api_key'] }),
    reinstatedById: text('reinstated_by_id'),
  },
  (t) => [
    // Two declines at once: the second finds this taken and writes nothing.
    uniqueIndex('declined_commissions_standing').on(t.conversionId).where(sql`reinstated_at IS NULL`),
    index('declined_commissions_conversion').on(t.conversionId, t.createdAt),
    uniqueIndex('declined_commissions_refund').on(t.refundId),
  ],
);

// Which Stripe invoice a payment (a PaymentIntent, or a charge made without one) paid. Since API version
// 2025-03-31 neither an invoice nor a charge names the other, so the invoice_payment.paid event that pairs
// them is kept: a charge.refunded finds the subscription payment it refunds through it (routes/webhooks.ts).
// Kept for as long as a payment can be refunded (jobs/retention.ts).
export const stripeInvoicePayments = sqliteTable(
  'stripe_invoice_payments',
  {
    brandId: text('brand_id').notNull().references(() => brands.id),
    paymentRef: text('payment_ref').notNull(),
    invoiceId: text('invoice_id').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.brandId, t.paymentRef] }),
    index('stripe_invoice_payments_invoice').on(t.brandId, t.invoiceId),
    index('stripe_invoice_payments_created').on(t.createdAt),
  ],
);

// What a refunded Stripe charge was for, kept from its charge.refunded: a refund of it that fails later names only
// the charge (its refund object carries no charge amount), and its give-back is the same share of the order's
// priced amount as its reversal took (routes/webhooks.ts). Kept as long as payment pairings (jobs/retention.ts).
export const stripeCharges = sqliteTable(
  'stripe_charges',
  {
    brandId: text('brand_id').notNull().references(() => brands.id),
    chargeRef: text('charge_ref').notNull(),
    amountMinor: integer('amount_minor').notNull(),
    // The highest amount_refunded any charge.refunded showed (null for a charge kept before it was): what a failure
    // is measured against, since a failure may only be booked once it accounts for all of it (routes/webhooks.ts).
    refundedMinor: integer('refunded_minor'),
    currency: text('currency').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.brandId, t.chargeRef] }), index('stripe_charges_created').on(t.createdAt)],
);

// Stripe refunds that failed or were cancelled (refund.failed, or a refund update to failed or canceled), once each,
// in the charge's money. Kept, not only applied, because a failure may come before the charge.refunded that
// recorded its refund: it is applied, once, as soon as the charge's recorded refunds cover it (routes/webhooks.ts).
export const stripeRefundFailures = sqliteTable(
  'stripe_refund_failures',
  {
    brandId: text('brand_id').notNull().references(() => brands.id),
    refundRef: text('refund_ref').notNull(),
    chargeRef: text('charge_ref').notNull(),
    // The charge's PaymentIntent, or the charge made without one: what a charge.refunded names its order by.
    paymentRef: text('payment_ref').notNull(),
    amountMinor: integer('amount_minor').notNull(),
    currency: text('currency').notNull(),
    failedAt: integer('failed_at').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.brandId, t.refundRef] }), index('stripe_refund_failures_charge').on(t.brandId, t.chargeRef), index('stripe_refund_failures_created').on(t.createdAt)],
);

// Who brought a Stripe subscription: the enrollment its start credited (a code or a link), decided once, when
// it started, so a free trial's first payment weeks later still earns, and its payments earn the same creator
// for the campaign's renewal months from `referred_at` (db/conversions.ts).
export const subscriptionReferrals = sqliteTable(
  'subscription_referrals',
  {
    // The batch that inserts the row guards what goes with it (a trial's code redemption) on this id.
    id: text('id').primaryKey(),
    brandId: text('brand_id').notNull().references(() => brands.id),
    subscriptionId: text('subscription_id').notNull(),
    enrollmentId: text('enrollment_id').notNull().references(() => enrollments.id),
    attribution: text('attribution', { enum: ['code', 'click'] }).notNull(),
    codeRaw: text('code_raw'),
    referredAt: integer('referred_at').notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('subscription_referrals_brand_subscription').on(t.brandId, t.subscriptionId)],
);

export const ledgerKinds = ['commission', 'reversal', 'flat_fee', 'bonus', 'adjustment'] as const;

export const ledgerEntries = sqliteTable(
  'ledger_entries',
  {
    id: text('id').primaryKey(),
    brandId: text('brand_id').notNull().references(() => brands.id),
    enrollmentId: text('enrollment_id').notNull(),
    creatorId: text('creator_id').notNull(),
    kind: text('kind', { enum: ledgerKinds }).notNull(),
    amountMinor: integer('amount_minor').notNull(), // signed
    currency: text('currency').notNull(),
    rateBps: integer('rate_bps'),
    tier: integer('tier'),
    // Revenue the entry was priced on (signed); tier progress sums it.
    basisMinor: integer('basis_minor').notNull().default(0),
    period: text('period').notNull(), // YYYY-MM in the brand's timezone: when it is payable and reported
    // The period whose revenue the entry counts in: a commission's and a bonus's own period, and for a reversal
    // (or a bonus taken back) the period of the order it takes from, so a February refund of a January order
    // lowers January's tier revenue, not February's. Null for entries without revenue (fees, adjustments).
    basisPeriod: text('basis_period'),
    conversionId: text('conversion_id'),
    refundId: text('refund_id'),
    submissionId: text('submission_id'),
    // A brand's own adjustment (db/adjustments.ts): why, as the brand wrote it; the creator sees it.
    note: text('note'),
    // Makes each money event land once: "commission:<conversion>", "reversal:<refund>", "flat_fee:<submission>",
    // "refund_failed:<refund>" (the positive reversal that gives back what a failed refund's reversal took).
    eventKey: text('event_key').notNull(),
    availableAt: integer('available_at').notNull(),
    payoutId: text('payout_id'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('ledger_brand_event').on(t.brandId, t.eventKey),
    index('ledger_enrollment_period').on(t.enrollmentId, t.period),
    // Pricing reads an enrollment's revenue of one period (db/money.ts).
    index('ledger_enrollment_basis').on(t.enrollmentId, t.basisPeriod),
    // Revenue entries an older worker wrote without basis_period (during a deploy), for the cron to fill in.
    index('ledger_basis_missing').on(t.id).where(sql`basis_period IS NULL AND kind IN ('commission', 'bonus', 'reversal')`),
    index('ledger_creator').on(t.creatorId, t.createdAt),
    // Commissions and fees written lately, for the creators' earnings mail to find who earned
    // (jobs/earnings-digest.ts): covering (kind too, which the claim's IN tests), so the cron reads the index alone.
    index('ledger_new_earnings').on(t.createdAt, t.creatorId, t.kind).where(sql`kind IN ('commission', 'flat_fee')`),
    index('ledger_brand_period').on(t.brandId, t.period),
    // Closing a period claims unpaid entries only: without this it walked every earlier entry, paid or not.
    index('ledger_unpaid').on(t.brandId, t.period).where(sql`payout_id IS NULL`),
    // A post's flat fees and their take-backs (db/submissions.ts), without the enrollment's commissions.
    index('ledger_submission').on(t.submissionId).where(sql`submission_id IS NOT NULL`),
    index('ledger_conversion').on(t.conversionId),
    // A refund's reversal, found by the refund (recording it, reading it back, the conversion.reversed event):
    // without it each refund read every ledger entry of every brand.
    index('ledger_refund').on(t.refundId).where(sql`refund_id IS NOT NULL`),
    // A payout's entries in the order its statement lists them (db/payout-statements.ts), and every payout_id lookup.
    index('ledger_payout_at').on(t.payoutId, t.createdAt, t.id),
  ],
);

export const submissionStatuses = ['submitted', 'changes_requested', 'approved', 'live', 'rejected'] as const;

export type ComplianceChecks = { hashtag: boolean; disclosure: boolean };

export const submissions = sqliteTable(
  'submissions',
  {
    id: text('id').primaryKey(),
    brandId: text('brand_id').notNull().references(() => brands.id),
    enrollmentId: text('enrollment_id').notNull().references(() => enrollments.id),
    storyFormat: text('story_format').notNull(),
    draftUrl: text('draft_url').notNull(),
    caption: text('caption').notNull(),
    status: text('status', { enum: submissionStatuses }).notNull(),
    reviewNotes: text('review_notes'),
    postUrl: text('post_url'),
    // The post the link names (postKey in db/submissions.ts): one post goes live once per creator and brand.
    postKey: text('post_key'),
    views: integer('views').notNull().default(0),
    likes: integer('likes').notNull().default(0),
    comments: integer('comments').notNull().default(0),
    saves: integer('saves').notNull().default(0),
    shares: integer('shares').notNull().default(0),
    compliance: text('compliance', { mode: 'json' }).$type<ComplianceChecks>().notNull(),
    // The usage rights the creator granted with the draft: the terms as they saw them (null: none asked), when,
    // and the end of the grant once its clock started (approval, then going live; null while it has not, or for
    // no end). domain/usage-rights.ts
    rightsTerms: text('rights_terms', { mode: 'json' }).$type<UsageRights>(),
    rightsGrantedAt: integer('rights_granted_at'),
    rightsUntil: integer('rights_until'),
    // The latest extension the creator accepted (rights_extensions), which set rights_until and added its uses;
    // null: the grant is as first given. rights_terms stays the original grant as the creator saw it.
    rightsExtensionId: text('rights_extension_id'),
    createdAt: createdAt(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    index('submissions_enrollment').on(t.enrollmentId, t.createdAt),
    index('submissions_brand_status').on(t.brandId, t.status, t.updatedAt),
    index('submissions_brand_updated').on(t.brandId, t.updatedAt, t.id),
    index('submissions_brand_post').on(t.brandId, t.postKey),
    // The content library's pages, newest draft first: a key no later write moves (updated_at moves with every
    // number a live post reports, and a row moved between two pages would be skipped).
    index('submissions_brand_created').on(t.brandId, t.createdAt, t.id),
    // Grants ending soon, for the weekly report and the content library's filters.
    index('submissions_brand_rights').on(t.brandId, t.rightsUntil).where(sql`rights_until IS NOT NULL`),
  ],
);

export const rightsExtensionStatuses = ['open', 'accepted', 'declined', 'withdrawn'] as const;

// A brand's request to extend the usage rights a creator granted on one piece of content (domain/rights-extensions.ts,
// db/rights-extensions.ts): more days or no end, uses to add, a fee, a note. The creator accepts or declines it;
// the brand may withdraw it while it is open. Rows are kept whatever the answer: they are the grant's history.
export const rightsExtensions = sqliteTable(
  'rights_extensions',
  {
    id: text('id').primaryKey(),
    brandId: text('brand_id').notNull().references(() => brands.id),
    submissionId: text('submission_id').notNull().references(() => submissions.id),
    status: text('status', { enum: rightsExtensionStatuses }).notNull(),
    // Days added to the grant's end (to the day it is accepted, when the grant has ended by then); null: no end.
    days: integer('days'),
    // Uses to add to those granted (JSON array of RightsScope, possibly empty).
    scopes: text('scopes', { mode: 'json' }).$type<RightsScope[]>().notNull(),
    // Paid to the creator on acceptance, as a brand's adjustment is (ledger event "rights_extension:<id>").
    feeMinor: integer('fee_minor').notNull().default(0),
    currency: text('currency').notNull(),
    note: text('note').notNull().default(''),
    askedByType: text('asked_by_type', { enum: ['admin_user', 'api_key'] }).notNull(),
    askedById: text('asked_by_id').notNull(),
    // When the mail about it was handed on (to the mail queue, or the provider); null: not mailed yet (another request of
    // the brand's reached them within a day, or the mail failed): the cron mails it later (jobs/rights-extension-mail.ts).
    mailedAt: integer('mailed_at'),
    // A mail on its way: claimed (by the ask, or a cron run) before it is sent, given back if it could not be, turned
    // into mailed_at once it was. A claim older than an hour is a worker that died between the two: mailed again.
    mailClaimedAt: integer('mail_claimed_at'),
    // On acceptance: the terms in words as the creator read them, and the grant's end and uses before and after.
    termsText: text('terms_text'),
    untilBefore: integer('until_before'),
    untilAfter: integer('until_after'),
    scopesAfter: text('scopes_after', { mode: 'json' }).$type<RightsScope[]>(),
    // The creator's note with a decline.
    answerNote: text('answer_note'),
    // On acceptance: a random key the accepting batch's first write stamps and its later writes check, so of two
    // acceptances in the same millisecond only the one that moved the request writes the rest.
    answerKey: text('answer_key'),
    createdAt: createdAt(),
    // When it was accepted, declined or withdrawn.
    answeredAt: integer('answered_at'),
  },
  (t) => [
    // One open request per piece of content: the index, not a read, refuses a second made at the same moment.
    uniqueIndex('rights_extensions_open').on(t.submissionId).where(sql`status = 'open'`),
    index('rights_extensions_submission').on(t.submissionId, t.createdAt),
    // The brand's answered requests by when (the review digest's "creators answered").
    index('rights_extensions_brand_answered').on(t.brandId, t.answeredAt).where(sql`answered_at IS NOT NULL`),
    // Open requests not mailed yet, oldest first: what the cron mails.
    index('rights_extensions_unmailed').on(t.createdAt).where(sql`status = 'open' AND mailed_at IS NULL`),
  ],
);

export const submissionEvents = sqliteTable(
  'submission_events',
  {
    id: text('id').primaryKey(),
    submissionId: text('submission_id').notNull().references(() => submissions.id),
    fromStatus: text('from_status'),
    toStatus: text('to_status').notNull(),
    actorType: text('actor_type', { enum: ['creator', 'admin'] }).notNull(),
    actorId: text('actor_id').notNull(),
    note: text('note'),
    at: integer('at').notNull(),
  },
  (t) => [index('submission_events_submission').on(t.submissionId, t.at)],
);

export const payouts = sqliteTable(
  'payouts',
  {
    id: text('id').primaryKey(),
    brandId: text('brand_id').notNull().references(() => brands.id),
    creatorId: text('creator_id').notNull().references(() => creators.id),
    period: text('period').notNull(),
    currency: text('currency').notNull(),
    amountMinor: integer('amount_minor').notNull(),
    status: text('status', { enum: ['pending', 'paid', 'failed'] }).notNull().default('pending'),
    reference: text('reference'),
    // Why a failed payment failed, as the processor or the brand put it; cleared when it is paid.
    failureReason: text('failure_reason'),
    // Where it was sent: the creator's payout details (sealed, as on their account) when it was marked paid or
    // failed, so a paid payout keeps showing the account it went to after the creator changes theirs.
    paidToEnc: text('paid_to_enc'),
    createdAt: createdAt(),
    paidAt: integer('paid_at'),
    // When the creator gave it up by closing their account (status failed): it can no longer be marked paid.
    givenUpAt: integer('given_up_at'),
  },
  (t) => [
    uniqueIndex('payouts_brand_creator_period_currency').on(t.brandId, t.creatorId, t.period, t.currency),
    index('payouts_brand_period').on(t.brandId, t.period),
    // A creator's payouts across brands (their Earnings page): without it, every payout of every brand.
    index('payouts_creator').on(t.creatorId, t.period),
    // A brand's year-end totals: what it paid between two instants (paid_at is set only while a payout is paid).
    index('payouts_brand_paid_at').on(t.brandId, t.paidAt),
  ],
);

// A closed period: its payouts are fixed, later entries roll into the next period's close.
export const periodCloses = sqliteTable(
  'period_closes',
  {
    brandId: text('brand_id').notNull().references(() => brands.id),
    period: text('period').notNull(),
    closeId: text('close_id').notNull(),
    closedBy: text('closed_by').notNull(),
    closedAt: integer('closed_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.brandId, t.period] })],
);

export const auditLog = sqliteTable(
  'audit_log',
  {
    id: text('id').primaryKey(),
    brandId: text('brand_id').notNull(),
    actorType: text('actor_type', { enum: ['admin_user', 'api_key', 'creator', 'system'] }).notNull(),
    actorId: text('actor_id').notNull(),
    action: text('action').notNull(),
    targetType: text('target_type').notNull(),
    targetId: text('target_id').notNull(),
    details: text('details', { mode: 'json' }).$type<Record<string, unknown>>(),
    at: integer('at').notNull(),
  },
  // target: one creator's rows, which an erasure blanks (db/creator-erasure.ts) without reading the brand's whole log.
  (t) => [index('audit_log_brand_at').on(t.brandId, t.at), index('audit_log_target').on(t.targetId, t.action)],
);

export const sessions = sqliteTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    subjectType: text('subject_type', { enum: ['creator', 'admin_user'] }).notNull(),
    subjectId: text('subject_id').notNull(),
    expiresAt: integer('expires_at').notNull(),
    revokedAt: integer('revoked_at'),
    createdAt: createdAt(),
  },
  (t) => [index('sessions_subject').on(t.subjectType, t.subjectId)],
);

// Two-step sign-in with an authenticator app (TOTP, RFC 6238): one per account, console or creator, keyed as
// sessions are. A row means it is on; turning it off or an owner's reset deletes it.
export const twoStepFactors = sqliteTable(
  'two_step_factors',
  {
    subjectType: text('subject_type', { enum: ['creator', 'admin_user'] }).notNull(),
    subjectId: text('subject_id').notNull(),
    // The 20-byte secret in base32, as AES-GCM ciphertext under SECRETS_KEY (it must be read back to check codes).
    secretEnc: text('secret_enc').notNull(),
    // The last 30-second step whose code was accepted: a code is taken once, and none of an earlier step after it.
    lastStep: integer('last_step').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.subjectType, t.subjectId] })],
);

// One-time codes for signing in without the phone, ten at a time: only a keyed hash is stored, and a used one
// stays (used_at) so the count of those left is honest until they are regenerated.
export const recoveryCodes = sqliteTable(
  'recovery_codes',
  {
    subjectType: text('subject_type', { enum: ['creator', 'admin_user'] }).notNull(),
    subjectId: text('subject_id').notNull(),
    codeHash: text('code_hash').notNull(),
    usedAt: integer('used_at'),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.subjectType, t.subjectId, t.codeHash] }),
    // The cron's sweep of used codes kept past their twin's window (jobs/retention.ts) reads only used ones.
    index('recovery_codes_used').on(t.usedAt).where(sql`used_at IS NOT NULL`),
  ],
);

// Single-use links: creator invites and password resets. Only the token's hash is stored.
export const accountTokens = sqliteTable(
  'account_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    purpose: text('purpose', { enum: ['invite', 'reset'] }).notNull(),
    creatorId: text('creator_id').notNull().references(() => creators.id),
    brandId: text('brand_id').notNull(),
    expiresAt: integer('expires_at').notNull(),
    usedAt: integer('used_at'),
    createdAt: createdAt(),
  },
  (t) => [index('account_tokens_creator').on(t.creatorId), index('account_tokens_brand_sent').on(t.brandId, t.purpose, t.createdAt)],
);

// A console password link, mailed to an email: a reset it asked for, or an invitation to a brand's team. Either
// sets the password of every console account that uses the address (one person's mailbox, whichever brands
// they work in). Only the hash is stored.
export const adminResetTokens = sqliteTable(
  'admin_reset_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    email: text('email').notNull(),
    // reset: asked for at /console/forgot (an hour). invite: mailed when an owner adds the address to a brand's team (a week).
    purpose: text('purpose', { enum: ['reset', 'invite'] }).notNull().default('reset'),
    // The team an invite joins (named on its page); null for resets.
    brandId: text('brand_id'),
    expiresAt: integer('expires_at').notNull(),
    usedAt: integer('used_at'),
    createdAt: createdAt(),
  },
  (t) => [index('admin_reset_tokens_email_sent').on(t.email, t.createdAt)],
);

// Invitations Chorus mails for a brand: one row per campaign and address. A send is claimed (claimed_at) when
// the brand asks, and marked mailed (mailed_at, sends + 1) by the mail queue once the provider took it; a
// claim whose mail was refused is voided (claimed_at 0). The row keeps an address to three mails a campaign,
// days apart, and a brand within its daily allowance (claims of the last day).
export const invitationMails = sqliteTable(
  'invitation_mails',
  {
    campaignId: text('campaign_id').notNull().references(() => campaigns.id),
    email: text('email').notNull(),
    brandId: text('brand_id').notNull().references(() => brands.id),
    claimedAt: integer('claimed_at').notNull(),
    mailedAt: integer('mailed_at'),
    sends: integer('sends').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.email] }), index('invitation_mails_brand_claimed').on(t.brandId, t.claimedAt), index('invitation_mails_email').on(t.email, t.brandId)],
);

// Addresses that asked not to be sent invitations: by one brand (its id), or by any brand ('*'). Written from the
// unsubscribe link in each invitation mail; read before each invitation is claimed and again before it is sent.
export const mailOptOuts = sqliteTable(
  'mail_opt_outs',
  {
    email: text('email').notNull(),
    // A brand's id, or '*' for every brand (no foreign key, for that reason).
    scope: text('scope').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.email, t.scope] })],
);

// Fixed-window counters for abuse limits where the Rate Limiting binding is not faithful locally.
export const rateLimits = sqliteTable('rate_limits', {
  key: text('key').primaryKey(),
  windowStart: integer('window_start').notNull(),
  count: integer('count').notNull(),
});

// Outgoing webhooks. Events and their deliveries are written in the same batch as the business write
// they describe, so an event exists if and only if its write committed (a transactional outbox).
export const webhookEventTypes = [
  'conversion.created',
  'conversion.attributed',
  'conversion.reversed',
  'conversion.declined',
  'conversion.reinstated',
  'refund.failed',
  'submission.submitted',
  'submission.reviewed',
  'payout.closed',
  'gift.requested',
  'gift.shipped',
  'gift.received',
  'gift.declined',
  'rights_extension.requested',
  'rights_extension.accepted',
  'rights_extension.declined',
  'rights_extension.withdrawn',
  'creator.erased',
] as const;
// Not subscribable: sent to one endpoint when an owner asks (db/webhooks.ts testEventStatements).
export const TEST_EVENT_TYPE = 'endpoint.test';
export type WebhookEventType = (typeof webhookEventTypes)[number];
// A new endpoint's events unless it names them: every type but gift.requested, which carries a creator's home
// address, so an endpoint gets it only by asking for it by name.
export const DEFAULT_WEBHOOK_EVENTS: readonly WebhookEventType[] = webhookEventTypes.filter((t) => t !== 'gift.requested');

export const webhookEndpoints = sqliteTable(
  'webhook_endpoints',
  {
    id: text('id').primaryKey(),
    brandId: text('brand_id').notNull().references(() => brands.id),
    url: text('url').notNull(),
    description: text('description').notNull().default(''),
    // The signing secret, shown once at creation; kept as AES-GCM ciphertext under SECRETS_KEY.
    secretEnc: text('secret_enc').notNull(),
    // After a roll, the secret it replaced, still signing beside the new one until previous_secret_until.
    previousSecretEnc: text('previous_secret_enc'),
    previousSecretUntil: integer('previous_secret_until'),
    // JSON array of the event types this endpoint receives.
    events: text('events', { mode: 'json' }).$type<WebhookEventType[]>().notNull(),
    enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
    createdAt: createdAt(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('webhook_endpoints_brand').on(t.brandId, t.createdAt)],
);

export const webhookEvents = sqliteTable(
  'webhook_events',
  {
    // The id receivers dedupe on: the same for every endpoint, every retry and every replay.
    id: text('id').primaryKey(),
    brandId: text('brand_id').notNull().references(() => brands.id),
    // A subscribed type, or `endpoint.test`: a test event an owner sent to one endpoint.
    type: text('type', { enum: [...webhookEventTypes, TEST_EVENT_TYPE] }).notNull(),
    payload: text('payload', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
    // The creator the event names, wherever its type puts them (db/webhooks.ts), so an erasure scrubs one
    // creator's events (db/creator-erasure.ts) without reading the brand's whole history. Virtual: nothing stored.
    creatorId: text('creator_id').generatedAlwaysAs(
      sql`coalesce(json_extract(payload, '$.conversion.creator.id'), json_extract(payload, '$.reversal.creator.id'), json_extract(payload, '$.givenBack.creator.id'), json_extract(payload, '$.submission.creator.id'), json_extract(payload, '$.payout.creator.id'), json_extract(payload, '$.giftRequest.creator.id'), json_extract(payload, '$.rightsExtension.creator.id'), json_extract(payload, '$.creator.id'))`,
      { mode: 'virtual' },
    ),
  },
  (t) => [
    index('webhook_events_brand_at').on(t.brandId, t.createdAt),
    index('webhook_events_creator').on(t.creatorId, t.brandId),
    // gift.requested events written before addresses were sealed, for the job that seals theirs (jobs/gift-addresses.ts).
    index('webhook_events_gift_address_plain').on(t.id).where(sql`type = 'gift.requested' AND json_type(payload, '$.giftRequest.address') = 'object'`),
  ],
);

export const webhookDeliveryStatuses = ['pending', 'delivered', 'failed'] as const;

export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    brandId: text('brand_id').notNull().references(() => brands.id),
    eventId: text('event_id').notNull().references(() => webhookEvents.id),
    endpointId: text('endpoint_id').notNull().references(() => webhookEndpoints.id),
    status: text('status', { enum: webhookDeliveryStatuses }).notNull().default('pending'),
    // HTTP attempts made since the delivery was created or last replayed.
    attempts: integer('attempts').notNull().default(0),
    // Raised by each replay; queue messages carry it, and one from before the replay is dropped.
    generation: integer('generation').notNull().default(0),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    // When the next attempt is due; a pending delivery long past it lost its queue message and is re-sent.
    nextAttemptAt: integer('next_attempt_at').notNull(),
    // When it was last handed to the queue; null until then (the sweep picks up rows whose enqueue failed).
    queuedAt: integer('queued_at'),
    deliveredAt: integer('delivered_at'),
    createdAt: createdAt(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_event_endpoint').on(t.eventId, t.endpointId),
    index('webhook_deliveries_brand_at').on(t.brandId, t.createdAt),
    index('webhook_deliveries_endpoint_at').on(t.endpointId, t.createdAt),
    index('webhook_deliveries_due').on(t.status, t.nextAttemptAt),
  ],
);

// Idempotency-Key on the admin API's POSTs (routes/admin/idempotency.ts): one row per brand and key. The
// row is 'started' before the handler runs and becomes 'committed' in the same D1 batch as the request's
// writes, so a retry after an ambiguous failure knows whether they landed; 'done' keeps the answer to replay.
export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    brandId: text('brand_id').notNull().references(() => brands.id),
    key: text('key').notNull(),
    // SHA-256 of the method, path and body: the same key with another request is refused.
    fingerprint: text('fingerprint').notNull(),
    status: text('status', { enum: ['started', 'committed', 'done'] }).notNull(),
    responseStatus: integer('response_status'),
    responseBody: text('response_body'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.brandId, t.key] }), index('idempotency_keys_created').on(t.createdAt)],
);
