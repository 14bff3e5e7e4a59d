// What the API answers, as zod schemas: the OpenAPI document's response shapes. Each resource carries an
// `id` (its name under components/schemas) and field examples, from which /docs builds example responses.
// ./conformance.ts checks at compile time that each route's view function produces exactly these fields,
// and in the workers test pool every JSON answer is parsed against the schema of its operation.
import { z } from 'zod';
import { declineReasons, enrollmentStatuses, paymentModels, storyFormats, submissionStatuses } from '../db/schema';
import { ADDRESS_KEPT_DAYS } from '../db/addresses';
import { STATEMENT_KINDS } from '../db/payout-statements';
import { ENDING_SOON_DAYS, MAX_RIGHTS_DAYS, RIGHTS_SCOPES } from '../domain/usage-rights';
import { SEGMENT_KIND_NAMES } from '../domain/network';

const example = <T extends z.ZodType>(schema: T, value: z.output<T>) => schema.meta({ examples: [value] });
const id = (prefix: string) => example(z.string(), `${prefix}_Q2x7vLr9TkPa4mBc`);
const minor = (value: number) => example(z.int(), value);
const count = (value: number) => example(z.int().min(0), value);
const time = example(z.iso.datetime(), '2026-05-04T09:30:00.000Z');
const currency = example(z.string().length(3), 'USD');

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'Stable snake_case code: branch on this, never on the message.' }),
      message: z.string().meta({ description: 'A sentence for people.' }),
      details: z.unknown().optional().meta({ description: 'Machine-readable specifics, e.g. validation issues as [{path, message}].' }),
    }),
  })
  .meta({ id: 'Error', description: 'Every 4xx and 5xx answer of the JSON API.' });

export const Brand = z
  .object({
    id: id('brand'),
    slug: example(z.string(), 'fernway'),
    name: example(z.string(), 'Fernway Botanicals'),
    allowedHosts: example(z.array(z.string()), ['fernway.example', '*.fernway.example']).meta({ description: 'Hosts links may send shoppers to: exact, or *. for every subdomain.' }),
    fallbackUrl: example(z.string(), 'https://fernway.example/').nullable().meta({ description: 'Where a paused link or an ended campaign sends shoppers (no click id); null answers 410.' }),
    clickParam: example(z.string(), 'cid'),
    currency,
    timezone: example(z.string(), 'Europe/Berlin'),
    minPayoutMinor: example(z.int(), 5000).meta({ description: "The least a period's close pays one creator, in minor units; less carries forward. 0: any amount above zero." }),
    selfPurchasesEarn: example(z.boolean(), false).meta({
      description: "Whether a creator's own order (the customer's email is the creator's account email) earns commission like any other. False, the default: it is recorded and credited, earns nothing and counts toward no tier or bonus.",
    }),
    payerName: example(z.string(), 'Fernway Botanicals GmbH').nullable().meta({ description: "The name your bank holds the account you pay creators from under: the debtor of your SEPA payment files. In Latin letters, accents allowed, as typed: the file writes it in SEPA's character set (accents dropped, & as +), at most 70 characters so written." }),
    payerIban: example(z.string(), 'DE89370400440532013000').nullable().meta({ description: 'The IBAN your SEPA payment files pay from, compacted (no spaces, upper case). Null until you add it; SEPA files need it.' }),
    payerBic: example(z.string(), 'COBADEFFXXX').nullable().meta({ description: "Your bank's BIC (8 or 11 characters), if it asks for one; files without it say NOTPROVIDED." }),
    achCompanyName: example(z.string(), 'FERNWAY').nullable().meta({ description: 'Your company name for ACH origination (at most 16 characters, printable ASCII): the originator your NACHA payment files name, written upper case. Null until you add it; ACH files need it.' }),
    achCompanyId: example(z.string(), '1123456789').nullable().meta({ description: 'Your ACH company identification as your bank gave it: 10 letters and digits, usually 1 followed by your EIN. ACH files need it.' }),
    achOdfiRouting: example(z.string(), '011000015').nullable().meta({ description: "The ABA routing number (9 digits, check digit verified) of the bank that originates your ACH files: the file's immediate destination. ACH files need it." }),
    achOdfiName: example(z.string(), 'FIRST BANK').nullable().meta({ description: 'The name of that bank, at most 23 characters (printable ASCII). ACH files need it.' }),
    createdAt: time,
  })
  .meta({ id: 'Brand' });

export const ProgramTerms = z
  .object({
    version: example(z.int().min(1), 2).meta({ description: 'Numbered 1, 2, 3… per brand; each publish of a different text is the next number.' }),
    text: example(z.string(), 'Post at least once a month.\nDisclose every post with #ad.'),
    publishedAt: time,
    publishedBy: z.object({
      type: z.enum(['admin_user', 'api_key']),
      id: z.string(),
      name: z.string().nullable().meta({ description: 'The teammate who published it from the console, or `API key <name>`; null when it is gone.' }),
    }),
  })
  .meta({ id: 'ProgramTerms', description: "The brand's program terms as they stand: the version creators accept when they join, and are asked to accept again when a new one is published." });

const publishedBy = ProgramTerms.shape.publishedBy;

export const ProgramTermsVersion = z
  .object({
    version: ProgramTerms.shape.version,
    publishedAt: time,
    publishedBy,
    acceptedCount: count(14).meta({ description: 'How many of your creators accepted this version (creators who closed their account since included: their acceptance stands).' }),
  })
  .meta({ id: 'ProgramTermsVersion', description: 'One published version of the program terms, without its text.' });

export const TermsAcceptance = z
  .object({
    creatorId: id('cr'),
    handle: example(z.string(), 'sarahglows').meta({ description: 'Your handle for the creator; `closed-…` once their data was erased.' }),
    displayName: example(z.string(), 'Sarah Okafor').meta({ description: 'As your roster shows them; `Closed account` once their data was erased.' }),
    erasedAt: time.nullable(),
    via: z.enum(['invitation', 'update']).meta({ description: '`invitation`: ticked when joining; `update`: accepted later from their home page.' }),
    acceptedAt: time,
  })
  .meta({ id: 'TermsAcceptance' });

export const ProgramTermsVersionDetail = ProgramTerms.extend({
  acceptedCount: ProgramTermsVersion.shape.acceptedCount,
  acceptances: z.array(TermsAcceptance).meta({ description: 'Who accepted this version, latest first: a page of them (`limit`, then `cursor` from `nextCursor`).' }),
}).meta({ id: 'ProgramTermsVersionDetail', description: 'One version of the program terms as it was published, and the creators who accepted it.' });

const termsAccepted = z
  .object({ version: example(z.int().min(1), 2), acceptedAt: time })
  .nullable()
  .meta({
    description:
      "The highest version of your program terms the creator accepted, and when; null when they accepted none (no terms when they joined, or not joined yet). Compare `version` with the current one (GET /api/admin/brand/terms): a creator on an older version still earns as before; their portal asks them to read and accept the new one.",
  });

export const UsageRightsTerms = z
  .object({
    scopes: example(z.array(z.enum(RIGHTS_SCOPES)), ['organic', 'paid']).meta({
      description: '`organic`: reposting on the brand\'s own accounts; `paid`: running it as paid ads; `partnership`: partnership (whitelisted) ads run from the creator\'s handle.',
    }),
    days: example(z.int().min(1).max(MAX_RIGHTS_DAYS), 365)
      .nullable()
      .meta({ description: "How long a grant runs: through the end of the day this many days after the draft's approval, counted again from the day the post first goes live, on the brand's calendar; null: no end." }),
    note: example(z.string(), 'Cut-downs of up to 15 seconds included.'),
  })
  .meta({ id: 'UsageRightsTerms' });

export const Campaign = z
  .object({
    id: id('cmp'),
    slug: example(z.string(), 'spring-glow'),
    name: example(z.string(), 'Spring Glow'),
    hashtag: example(z.string(), '#SpringGlow'),
    positioningAnchor: example(z.string(), 'Skin care that fits a ten-minute morning.'),
    nonNegotiables: example(z.array(z.string()), ['Show the product in daylight']),
    disclosureText: example(z.string(), '#ad'),
    storyFormats: z.array(z.enum(storyFormats)),
    defaultDestination: example(z.string(), 'https://shop.example/spring'),
    attributionWindowDays: count(30),
    holdingDays: count(30),
    renewalMonths: count(12).meta({
      description:
        "How long a Stripe subscription's later payments (invoice.paid) earn the creator who brought the subscription: months from when it started, 0 to 120. 0, the default, pays on its first payment only.",
    }),
    returningCustomerMonths: count(12).meta({
      description:
        "How long a customer's later orders that no code or click credits earn the creator who brought them: calendar months from the customer's first credited order at the brand (by `customerRef`), 0 to 120. 0, the default, is off. A change applies to orders recorded from then on.",
    }),
    commissionPlanId: id('plan').nullable(),
    startsAt: time.nullable(),
    endsAt: time.nullable(),
    status: z.enum(['draft', 'active', 'ended']),
    baseline: z
      .object({ costMinor: minor(250_000), engaged: count(1_200) })
      .nullable()
      .meta({ description: 'The mid-tier placement the network is compared with: its cost and the audience that engaged.' }),
    applicationsOpen: z.boolean().meta({
      description: "Whether creators may apply at `/apply/{brand slug}/{campaign slug}` while the campaign is active. Off by default; the console's Applications tab (or `GET …/applications` and its `approve` and `decline`) lists what arrives and answers it.",
    }),
    contentDueAt: example(z.iso.datetime(), '2026-05-15T22:00:00.000Z')
      .nullable()
      .meta({
        description:
          "When creators' first drafts are due (null: no date): for a date that was sent as one, the end of that day in the brand's timezone (`2026-05-15` in Europe/Berlin is `2026-05-15T22:00:00.000Z`). An enrollment's own `contentDueAt` comes before it.",
      }),
    usageRights: UsageRightsTerms.nullable().meta({
      description: 'The usage rights each creator is asked to grant with a draft (null: none). A creator cannot send a draft without granting them; each grant keeps the terms as they were, so a change here applies to drafts sent (or revised) from then on.',
    }),
    createdAt: time,
  })
  .meta({ id: 'Campaign' });

export const CampaignCopy = z
  .object({
    campaign: Campaign,
    copiedFrom: id('cmp').meta({ description: 'The campaign it was copied from.' }),
    invited: count(2).meta({ description: "How many of the creators asked for are invited to the copy (each with a new tracked link and code)." }),
    invitationsMailed: count(2).meta({
      description: 'How many invitations Chorus is mailing now. Fewer than `invited`: no mail provider, an address mailed lately for another campaign of yours, or one that asked for no invitations from you; send the invite sheet (GET …/invites.csv) instead.',
    }),
  })
  .meta({ id: 'CampaignCopy' });

export const Creator = z
  .object({
    id: id('cr'),
    email: example(z.email(), 'sarah@creators.example'),
    handle: example(z.string(), 'sarah_makes'),
    displayName: example(z.string(), 'Sarah Okafor'),
    niche: example(z.string(), 'skincare').nullable(),
    platform: example(z.string(), 'instagram').nullable(),
    followerCount: count(18_500).nullable(),
    addedAt: time,
    acceptedAt: time.nullable().describe('When the creator accepted your brand (pressed Accept on your invitation in their portal); null until then. Their payout details are shared with you from then on.'),
    termsAccepted,
    tags: z.array(example(z.string(), 'skincare')).describe("Your brand's own labels for the creator, in order (PUT /api/admin/creators/{id}/tags). Not shown in the creator's portal; they are in the creator's own data download."),
    erasedAt: time
      .nullable()
      .describe(
        "When the creator's personal data was erased (they closed their account, or your brand erased them on their request); null while it is not. An erased creator stays on the roster with their orders and payouts, under a `closed-…` handle, the name `Closed account` and an address no mail reaches; inviting them, a password link, enrolling or adjusting them answers `410 creator_erased`.",
      ),
  })
  .meta({ id: 'Creator', description: "A creator on this brand's roster (one global account may be on several brands' rosters). `handle` is the brand's own; `displayName` and `email` are what the brand sent until the creator accepts (`acceptedAt`), then the account's; once erased (`erasedAt`), placeholders." });

export const CreatorTagsInput = z
  .strictObject({ tags: z.array(z.string().max(200)).max(100).describe('The whole set: each 1-32 letters (with their accents and marks), digits, spaces, - or _ once trimmed (counted in Unicode code points); at most 10 different ones.') })
  .meta({ id: 'CreatorTagsInput' });

export const CreatorTags = z
  .object({ id: id('cr'), tags: z.array(example(z.string(), 'skincare')).describe('As stored: lower-cased, in order.') })
  .meta({ id: 'CreatorTags', description: "A creator's tags with your brand." });

export const CampaignUpdate = z
  .object({
    id: id('upd'),
    campaignId: id('cmp'),
    title: example(z.string(), 'New shade launches Friday'),
    body: example(z.string(), 'Post between Friday and Sunday, and name the shade (Dune) in your caption.\nYour code works on the launch bundle too.'),
    author: z.object({
      type: z.enum(['admin_user', 'api_key']),
      id: z.string(),
      name: z.string().nullable().meta({ description: 'The teammate who posted it from the console, or `API key <name>`; null when it is gone.' }),
    }),
    mailed: count(42).meta({ description: 'How many creators it was emailed to when posted: those who had accepted your brand and were in the campaign (active, paused or benched), less those who had turned off your campaign-news emails (they read it on their brief).' }),
    createdAt: time,
  })
  .meta({ id: 'CampaignUpdate', description: "A brand's update to a campaign's creators: emailed to each when posted, and shown on their brief, newest first." });

export const Bounty = z
  .object({
    id: id('bty'),
    campaignId: id('cmp'),
    title: example(z.string(), 'Ten sales before New Year'),
    metric: z.enum(['sales', 'revenue']).meta({ description: "`sales`: the creator's attributed orders not refunded in full; `revenue`: their amounts net of refunds, in minor units." }),
    target: example(z.int().min(1), 10),
    rewardMinor: minor(5_000).meta({ description: "Paid once to each creator who reaches the target, in minor units of the brand's currency." }),
    currency,
    startsAt: time.meta({ description: 'Orders that occurred from this instant count.' }),
    endsAt: time.meta({ description: 'Orders that occurred at or after this instant do not count.' }),
    archivedAt: time.nullable().meta({ description: 'When it was archived: no more awards (those made stay). Null while it runs.' }),
    reached: count(4).meta({ description: 'How many creators reached it and were awarded.' }),
    paidMinor: minor(20_000).meta({ description: 'What its awards added to creators\' ledgers, in minor units.' }),
    createdAt: time,
  })
  .meta({ id: 'Bounty', description: "A one-off reward for reaching a goal in a campaign's window, paid once per creator as an adjustment on their ledger." });

export const BountyAward = z
  .object({
    enrollmentId: id('enr'),
    creatorId: id('cr'),
    handle: example(z.string(), 'sarah_makes').nullable().meta({ description: "Your brand's handle for the creator; null once erased." }),
    ledgerEntryId: id('le'),
    amountMinor: minor(5_000),
    currency,
    awardedAt: time.meta({ description: 'When the award was recorded.' }),
  })
  .meta({ id: 'BountyAward', description: 'A creator who reached a bounty, and the adjustment entry that paid them.' });

export const Message = z
  .object({
    id: id('msg'),
    creatorId: id('cr'),
    author: z.object({
      type: z.enum(['creator', 'admin_user', 'api_key']).meta({ description: 'The creator, a teammate in the console, or an API key.' }),
      id: z.string(),
      name: z.string().nullable().meta({ description: "The teammate's name, or `API key <name>`; null for the creator's own messages and for an author who is gone. Creators see your brand's name on every message of yours, never who wrote it." }),
    }),
    body: example(z.string(), 'Hi Maya! The serum ships Monday.\nCould you post between the 12th and the 15th?'),
    createdAt: time,
  })
  .meta({ id: 'Message', description: 'One message of a conversation between your brand and a creator.' });

export const MessageThread = z
  .object({
    creator: z.object({ id: id('cr'), handle: example(z.string(), 'maya.makes'), name: example(z.string(), 'Maya Chen') }),
    unread: count(2).meta({ description: "The creator's messages nobody on your team has read (opened the conversation in the console) since." }),
    readAt: time.nullable().meta({ description: 'When someone on your team last opened the conversation; null: never.' }),
    lastMessageAt: time,
    lastMessage: z.object({
      authorType: z.enum(['creator', 'admin_user', 'api_key']),
      authorName: z.string().nullable(),
      preview: example(z.string(), 'Thank you! Is the 14th fine for the reel?').meta({ description: 'Its first 140 characters.' }),
    }),
  })
  .meta({ id: 'MessageThread', description: 'Your conversation with one creator: one per creator, whatever campaigns you share.' });

export const Gifting = z
  .object({
    open: z.boolean().meta({ description: 'Whether accepted, active creators may ask for a gift now.' }),
    choices: count(1).meta({ description: 'How many products one creator may pick.' }),
    round: count(1).meta({ description: 'The seeding round: each creator gets one gift a round.' }),
  })
  .meta({ id: 'Gifting', description: "A campaign's product seeding: whether creators may ask for a gift, how many products each picks, and the round." });

export const GiftProduct = z
  .object({
    id: id('gp'),
    campaignId: id('cmp'),
    title: example(z.string(), 'Barrier Serum 30 ml'),
    options: example(z.array(z.string()), ['Fragrance-free', 'Original']).meta({ description: 'The choices a creator picks one of; empty: none.' }),
    sku: example(z.string(), 'LS-SERUM-30').nullable(),
    valueMinor: minor(3400).meta({ description: "What one costs you, in minor units of the brand's currency." }),
    archivedAt: time.nullable().meta({ description: 'When it was archived (offered no more), or null.' }),
    createdAt: time,
  })
  .meta({ id: 'GiftProduct', description: "A product a campaign's creators may pick as their gift." });

export const GiftRequest = z
  .object({
    id: id('gr'),
    campaignId: id('cmp'),
    enrollmentId: id('enr'),
    creator: z.object({ id: id('cr'), handle: example(z.string(), 'maya.makes'), name: example(z.string(), 'Maya Chen') }),
    status: z.enum(['requested', 'shipped', 'received', 'declined', 'withdrawn']),
    items: z.array(
      z.object({ productId: id('gp'), title: example(z.string(), 'Barrier Serum 30 ml'), option: example(z.string(), 'Fragrance-free').nullable(), sku: example(z.string(), 'LS-SERUM-30').nullable(), valueMinor: minor(3400) }),
    ).meta({ description: 'The products picked, as they were when asked for.' }),
    round: count(1).meta({ description: "The campaign's seeding round it was asked for in (or last changed in): a creator gets one gift a round." }),
    valueMinor: minor(3400).meta({ description: 'What the picked products cost you, summed.' }),
    currency,
    address: z
      .object({
        name: example(z.string(), 'Maya Chen'),
        line1: example(z.string(), '12 Harbor Street'),
        line2: example(z.string(), 'Apt 4'),
        city: example(z.string(), 'Portland'),
        region: example(z.string(), 'OR'),
        postalCode: example(z.string(), '97201'),
        country: example(z.string(), 'US').meta({ description: 'ISO 3166-1 alpha-2.' }),
        phone: example(z.string(), '+1 503 555 0100'),
      })
      .nullable()
      .meta({
        description:
          `Where to ship, as the creator gave it when asking (personal data: keep it to the warehouse). Kept sealed at rest, and removed (null) once no longer needed: when the request is declined or withdrawn, or ${ADDRESS_KEPT_DAYS} days after the gift shipped or arrived. Null also if it cannot be read (SECRETS_KEY changed): \`addressState\` says which.`,
      }),
    addressState: z.enum(['held', 'removed', 'unreadable']).meta({
      description:
        '`held`: `address` is the address. `removed`: it was removed once no longer needed (or with the creator\'s account). `unreadable`: it is held, but sealed under a SECRETS_KEY changed since, so nothing opens it: put the old key back, or ask the creator to send their gift form again (a change seals it anew).',
    }),
    shipment: z
      .object({ carrier: example(z.string(), 'UPS'), trackingNumber: example(z.string(), '1Z999AA10123456784'), trackingUrl: example(z.string(), 'https://www.ups.com/track?tracknum=1Z999AA10123456784').nullable(), shippedAt: time })
      .nullable()
      .meta({ description: 'Once shipped.' }),
    declineReason: z.string().nullable().meta({ description: 'Why you declined it: the creator reads this.' }),
    receivedAt: time.nullable().meta({ description: 'When the creator said it arrived.' }),
    createdAt: time,
    updatedAt: time,
  })
  .meta({ id: 'GiftRequest', description: "A creator's ask for a gift: what they picked and where to ship it, then the shipment, the decline or their withdrawal." });

export const GiftTrackingReport = z
  .object({
    dryRun: z.boolean().meta({ description: 'True when `confirm` was false: what would happen, nothing written or mailed.' }),
    lines: z
      .array(
        z.object({
          line: count(2),
          requestId: id('gr').nullable().meta({ description: "The line's request_id; null when the cell is empty or not a gift request id's shape (`gr_…`)." }),
          outcome: z
            .enum(['shipped', 'updated', 'unchanged', 'skipped', 'error'])
            .meta({
              description:
                "`shipped`: marked shipped and the creator mailed (or would be); `updated`: shipped before, its tracking corrected (no second mail); `unchanged`: shipped with this tracking already; `skipped`: the line ships nothing: it has no tracking number, and no other line of its request ships it (none gives tracking, or the ones that do have problems); `error`: see `errors`. A request's lines without problems share its outcome.",
            }),
          creator: z.object({ id: id('cr'), handle: example(z.string(), 'maya.makes') }).nullable().meta({ description: "The request's creator; null when no request of this campaign has the id." }),
        }),
      )
      .meta({ description: 'Every line under the header, in order (all-blank lines left out).' }),
    errors: z.array(
      z.object({
        line: count(3),
        field: example(z.string(), 'tracking_number'),
        code: z.enum(['invalid', 'conflicting_lines', 'not_found', 'gift_request_changed', 'already_shipped', 'gift_request_not_open', 'enrollment_removed']),
        message: example(z.string(), 'A tracking number is 3 to 40 letters and digits (spaces and hyphens allowed).'),
      }),
    ),
    counts: z
      .object({ shipped: count(12), updated: count(1), unchanged: count(0), skippedLines: count(3), errorLines: count(1) })
      .meta({ description: '`shipped`, `updated` and `unchanged` count requests (one request may be on several lines), the others lines.' }),
  })
  .meta({ id: 'GiftTrackingReport', description: 'What a tracking file does (or would do), line by line.' });

export const Application = z
  .object({
    id: id('app'),
    email: example(z.email(), 'lena@creators.example'),
    handle: example(z.string(), 'lena.skinnotes').describe('As the applicant typed it (not checked against the platform).'),
    name: example(z.string(), 'Lena Hoffmann'),
    platform: z.enum(['instagram', 'tiktok', 'youtube', 'other']),
    followerCount: count(12_400).nullable(),
    niche: example(z.string(), 'sensitive skin').nullable(),
    profileUrl: example(z.string(), 'https://instagram.example/lena.skinnotes').nullable(),
    pitch: example(z.string(), 'Honest two-week tests for reactive skin.'),
    termsVersion: example(z.int().min(1), 2)
      .nullable()
      .describe('The version of your program terms the applicant ticked on the page; null when you had none. The account accepts them again, signed in, when it accepts the invitation an approval sends.'),
    status: z.enum(['pending', 'approved', 'declined']),
    appliedAt: time,
    decidedAt: time.nullable(),
    enrollmentId: id('enr').nullable().describe("The applicant's enrollment in this campaign when the address has one (after approval, or imported)."),
    declineMailedAt: time
      .nullable()
      .describe('When Chorus queued the short mail telling the applicant of a decline; null when it never did (not declined, asked for no invitations from you, in the campaign already, or no mail provider). Sent at most once per application.'),
  })
  .meta({ id: 'Application', description: "A creator's application to a campaign, from its public page (/apply/{brand slug}/{campaign slug})." });

export const ApplicationApproved = z
  .object({
    application: Application,
    alreadyInCampaign: z.boolean().meta({ description: 'The address was in the campaign already (imported, or approved under another application): marked approved, nothing made, nothing mailed.' }),
    invitationQueued: z
      .boolean()
      .meta({ description: 'Chorus is mailing the invitation, which tells them the application was accepted. False: no mail provider, mailed lately, or they asked for no invitations from you; send their invite link yourself (GET …/invites.csv).' }),
  })
  .meta({ id: 'ApplicationApproved' });

export const ApplicationDeclined = z
  .object({
    application: Application,
    applicantMailed: z.boolean().meta({ description: 'Chorus is mailing the applicant a short note that you are not taking them on for this campaign (no reason given). False: told of an earlier decline already (of this application, of another of yours in the last 30 days, or of three from all brands today), asked for no invitations from you, in the campaign already, or no mail provider.' }),
  })
  .meta({ id: 'ApplicationDeclined' });

export const ApplicationDeclineResult = z
  .object({
    id: id('app').describe('An id you sent, in the order you sent them.'),
    outcome: z.enum(['declined', 'already_answered', 'not_found']).meta({
      description:
        "`declined`: declined by this call. `already_answered`: approved or declined before (or meanwhile), left as it is. `not_found`: not an application of this campaign (unknown, or another campaign's or another brand's), nothing done.",
    }),
    status: z.enum(['approved', 'declined']).nullable().meta({ description: "The application's status after this call; null when not found." }),
    decidedAt: time.nullable().meta({ description: 'When it was answered (now, for one this call declined); null when not found.' }),
    applicantMailed: z.boolean().meta({ description: 'This call is mailing the applicant the decline note, by the same rules as a single decline. Always false unless `declined`.' }),
  })
  .meta({ id: 'ApplicationDeclineResult' });

export const ApplicationsDeclined = z
  .object({
    declined: count(38).describe('How many this call declined.'),
    applicantsMailed: count(36).describe('How many of those applicants Chorus is mailing.'),
    alreadyAnswered: count(1),
    notFound: count(1),
    results: z.array(ApplicationDeclineResult),
  })
  .meta({ id: 'ApplicationsDeclined' });

export const Invite = z
  .object({ inviteUrl: example(z.string(), 'https://chorus.example/invite/Xq3v9LrT5vKpA1bcQ2x7vLr9'), expiresAt: time })
  .meta({ id: 'Invite', description: 'A single-use link for the creator to set a password.' });

export const CreatorErased = z
  .object({ id: id('cr'), erasedAt: time })
  .meta({ id: 'CreatorErased', description: "A creator whose personal data Chorus erased: the roster keeps them as an anonymous closed account, with their orders, earnings and payouts." });

export const PasswordResetSent = z
  .object({
    sent: z.literal(true),
    confirmed: z.boolean().meta({ description: 'Whether the mail provider confirmed it took the message (false with a 202).' }),
    expiresAt: time,
  })
  .meta({ id: 'PasswordResetSent' });

export const Adjustment = z
  .object({
    id: id('le'),
    enrollmentId: id('enr'),
    amountMinor: example(z.int(), 5_000).meta({ description: 'Positive: paid to the creator; negative: taken from what they are paid next.' }),
    currency: example(z.string(), 'USD'),
    period: example(z.string(), '2026-12').meta({ description: "The brand's month it counts in (payable at once)." }),
    note: example(z.string(), 'Thank you: the reel did twice the usual reach.'),
    createdAt: time,
  })
  .meta({ id: 'Adjustment' });

export const Enrollment = z
  .object({
    id: id('enr'),
    campaignId: id('cmp'),
    creatorId: id('cr'),
    paymentModel: z.enum(paymentModels),
    flatFeeMinor: minor(0),
    briefSection: example(z.string(), 'Your morning routine, before coffee.'),
    status: z.enum(enrollmentStatuses),
    contentDueAt: example(z.iso.datetime(), '2026-05-22T22:00:00.000Z')
      .nullable()
      .meta({ description: "This creator's own due date for a first draft, before the campaign's `contentDueAt` (a later one for someone who joined late); null: the campaign's." }),
    termsAccepted,
    createdAt: time,
  })
  .meta({ id: 'Enrollment' });

export const Link = z
  .object({
    id: id('lnk'),
    enrollmentId: id('enr'),
    slug: example(z.string(), 'sG7kQ2pX'),
    url: example(z.string(), 'https://chorus.example/r/sG7kQ2pX'),
    destination: example(z.string(), 'https://shop.example/spring'),
    status: z.enum(['active', 'paused']),
    archivedAt: time
      .nullable()
      .meta({
        description:
          'When the creator archived the link, a link they made in their portal, to tidy it off their home page; null while it is listed. An archived link still redirects and counts clicks and orders as before; it just no longer takes one of the creator\'s 20 places in the campaign. The creator can restore it.',
      }),
    createdAt: time,
    updatedAt: time,
  })
  .meta({ id: 'Link', description: 'A tracked link: `url` redirects to `destination` and hands the store a click id.' });

const clickCounts = { clicks: count(140), uniqueClicks: count(118), bots: count(6) };

export const LinkStats = z
  .object({
    linkId: id('lnk'),
    total: z.object(clickCounts),
    timezone: example(z.string(), 'Europe/Berlin').meta({ description: "The brand's timezone now, whose calendar days the clicks count on." }),
    days: z.array(z.object({ day: example(z.string(), '2026-05-03'), ...clickCounts })),
  })
  .meta({
    id: 'LinkStats',
    description:
      "Daily click rollups for one link. A click counts on the brand's calendar day in the timezone the brand had when the click was recorded: changing the timezone moves no day already counted. Clicks recorded before Chorus counted in the brand's timezone stay on their UTC days.",
  });

export const DiscountCode = z
  .object({
    id: id('dc'),
    enrollmentId: id('enr'),
    code: example(z.string(), 'SARAH15'),
    discountType: z.enum(['percent', 'fixed']),
    discountValue: example(z.int(), 15).meta({ description: 'Whole percent, or minor units of the brand currency.' }),
    maxRedemptions: count(500).nullable(),
    redemptions: count(12),
    startsAt: time.nullable(),
    endsAt: time.nullable(),
    status: z.enum(['active', 'disabled']),
    createdAt: time,
  })
  .meta({ id: 'DiscountCode' });

export const BulkCodesResult = z
  .object({
    created: count(24),
    skipped: count(2).meta({ description: 'Enrollments that already had this code.' }),
    taken: z
      .array(z.object({ enrollmentId: id('enr'), handle: example(z.string(), 'x'), code: example(z.string(), 'SARAH15') }))
      .meta({ description: "Enrollments left without a code because another creator of the brand holds it; choose another pattern or add theirs by hand." }),
    invalid: z.array(z.object({ enrollmentId: id('enr'), handle: example(z.string(), 'x') })).meta({ description: 'Handles that make no valid code with this pattern.' }),
  })
  .meta({ id: 'BulkCodesResult' });

const tier = z.object({ fromMinor: minor(100_000), rateBps: example(z.int(), 1500) });

export const CommissionPlan = z
  .object({
    id: id('plan'),
    name: example(z.string(), 'Standard'),
    period: z.enum(['month', 'lifetime']),
    tiers: z.array(tier),
    bonus: z.object({ thresholdMinor: minor(500_000), amountMinor: minor(20_000) }).nullable(),
    createdAt: time,
  })
  .meta({ id: 'CommissionPlan' });

export const ApiKey = z
  .object({
    id: id('key'),
    scope: z.enum(['storefront', 'ingest', 'admin']),
    name: example(z.string(), 'Checkout backend'),
    prefix: example(z.string(), 'ck_ingest_Q2x7'),
    createdAt: time,
    revokedAt: time.nullable(),
    expiresAt: time.nullable().meta({ description: 'When the key stops working, if it was created with an expiry.' }),
    lastUsedAt: time.nullable().meta({ description: 'When a request authenticated with the key (an ingest key: signed with it) was last answered without an error, to within 10 minutes; null if never.' }),
  })
  .meta({ id: 'ApiKey' });

export const NewApiKey = ApiKey.extend({
  key: example(z.string(), 'ck_ingest_Q2x7vLr9TkPa4mBcW1nY8sJd0fHe3uZo').meta({ description: 'Shown once; Chorus keeps only its hash.' }),
}).meta({ id: 'NewApiKey' });

export const Integration = z
  .object({
    id: id('int'),
    provider: z.enum(['shopify', 'stripe']),
    externalAccount: example(z.string(), 'fernway.myshopify.com'),
    createdAt: time,
    lastUsedAt: time.nullable().meta({ description: 'When a webhook signed with this secret was last accepted, to within 10 minutes; null if none has been.' }),
  })
  .meta({ id: 'Integration' });

export const RightsGrant = z
  .object({
    terms: UsageRightsTerms.meta({ description: 'The terms as the creator saw them when they granted them: a later change to the campaign changes no past grant.' }),
    grantedAt: time,
    until: example(z.iso.datetime(), '2027-03-05T23:00:00.000Z').nullable().meta({ description: 'When the grant ends; null for no end, or while its clock has not started (a draft not approved yet).' }),
    state: z.enum(['pending', 'active', 'ending', 'expired']).meta({ description: `\`pending\` while the draft waits for review or revision (granted, its clock not started); \`active\`, \`ending\` (within ${ENDING_SOON_DAYS} days of its end) or \`expired\` once it is approved or live.` }),
    scopes: example(z.array(z.enum(RIGHTS_SCOPES)), ['organic', 'paid']).meta({ description: "The uses in force: the terms' own, and any an accepted extension added." }),
    extendedAt: time.nullable().meta({ description: 'When the creator last accepted an extension (which set `until` and `scopes`); null: the grant is as first given.' }),
  })
  .meta({ id: 'RightsGrant' });

export const RightsExtension = z
  .object({
    id: id('rx'),
    submissionId: id('sub'),
    status: z.enum(['open', 'accepted', 'declined', 'withdrawn']).meta({ description: '`open` while it waits for the creator; then `accepted` or `declined` by them, or `withdrawn` by the brand.' }),
    days: example(z.int().min(1).max(MAX_RIGHTS_DAYS), 180).nullable().meta({ description: "Days added to the grant's end (to the day the creator accepts, if it has ended by then); null with `noEnd`." }),
    noEnd: z.boolean().meta({ description: 'Whether the grant no longer ends once accepted.' }),
    scopes: example(z.array(z.enum(RIGHTS_SCOPES)), ['paid']).meta({ description: 'Uses asked on top of those granted: only the ones the grant did not have when asked (any sent that it had are dropped).' }),
    feeMinor: minor(15_000).meta({ description: 'Paid to the creator when they accept, as a bonus on their ledger (the payout file counts it under `bonuses`).' }),
    currency,
    note: example(z.string(), 'For the spring paid campaign.'),
    askedAt: time,
    creatorMailed: z.boolean().meta({ description: 'Whether the creator was emailed about it (the mail was handed to the mail service): not yet when another of your requests, still waiting for them, reached them within the day (they see it on their home page), nor when the mail could not be sent; such a request is mailed by the cron once a day has passed since the last mail about your requests, while it waits.' }),
    answeredAt: time.nullable().meta({ description: 'When it was accepted, declined or withdrawn.' }),
    declineNote: example(z.string(), 'Happy to talk about a longer paid run next month.').nullable().meta({ description: "The creator's note with a decline ('' for none); null unless declined." }),
    accepted: z
      .object({
        terms: example(z.string(), 'Fernway may also run it as paid ads, beside the organic reposting you granted. Your grant runs 180 days longer: through Sep 1, 2027 instead of Mar 5, 2027. Fernway pays you $150.00 for it, added to your earnings when you accept.').meta({
          description: 'The request in the words the creator read when they accepted it.',
        }),
        untilBefore: time.nullable().meta({ description: "The grant's end before (null: none)." }),
        until: time.nullable().meta({ description: 'Its end after (null: no end).' }),
        scopes: example(z.array(z.enum(RIGHTS_SCOPES)), ['organic', 'paid']).meta({ description: 'The uses in force after.' }),
      })
      .nullable()
      .meta({ description: 'What the acceptance did; null unless accepted.' }),
  })
  .meta({ id: 'RightsExtension' });

export const Submission = z
  .object({
    id: id('sub'),
    enrollmentId: id('enr'),
    creator: z.object({ handle: example(z.string(), 'sarah_makes') }).optional(),
    campaign: example(z.string(), 'Spring Glow').optional(),
    storyFormat: example(z.string(), 'before_after'),
    draftUrl: example(z.string(), 'https://drive.example/draft/123'),
    caption: example(z.string(), 'Ten minutes, three steps. #SpringGlow #ad'),
    status: z.enum(submissionStatuses),
    reviewNotes: example(z.string(), 'Lovely. Please show the label once.').nullable(),
    postUrl: example(z.string(), 'https://instagram.example/p/abc').nullable(),
    metrics: z.object({ views: count(5400), likes: count(410), comments: count(38), saves: count(95), shares: count(21) }),
    compliance: z.object({ hashtag: z.boolean(), disclosure: z.boolean() }).meta({ description: 'Whether the caption carries the campaign hashtag and the disclosure.' }),
    rights: RightsGrant.nullable().meta({ description: "The usage rights the creator granted with this draft; null where the campaign asked none when it was sent, or once the draft is rejected (nothing of it is used)." }),
    createdAt: time,
    updatedAt: time,
  })
  .meta({ id: 'Submission' });

export const ContentItem = z
  .object({
    submissionId: id('sub'),
    enrollmentId: id('enr'),
    creator: z.object({ id: id('cr'), handle: example(z.string(), 'sarah_makes'), name: example(z.string(), 'Sarah Okafor') }),
    campaign: z.object({ id: id('cmp'), name: example(z.string(), 'Spring Glow') }),
    storyFormat: example(z.string(), 'before_after'),
    status: z.enum(['approved', 'live']),
    postUrl: example(z.string(), 'https://instagram.example/p/abc').nullable().meta({ description: 'The live post; null while it is approved and not live yet.' }),
    draftUrl: example(z.string(), 'https://drive.example/draft/123'),
    metrics: z.object({ views: count(5400), likes: count(410), comments: count(38), saves: count(95), shares: count(21) }),
    rights: RightsGrant.nullable().meta({ description: 'What the brand may do with it, and until when; null: the campaign asked no rights when it was sent.' }),
    rightsExtension: RightsExtension.nullable().meta({ description: 'The latest request to extend the rights: the open one, if any (one at a time), else the last answered; null: none made.' }),
    updatedAt: time,
  })
  .meta({ id: 'ContentItem' });

export const ContentDetail = ContentItem.extend({
  rightsExtensions: z.array(RightsExtension).meta({ description: 'Every request on this content, newest first: the grant\'s history.' }),
}).meta({ id: 'ContentDetail' });

const rankedCreator = z.object({
  enrollmentId: id('enr'),
  creatorId: id('cr'),
  handle: example(z.string(), 'sarah_makes'),
  name: example(z.string(), 'Sarah Okafor'),
  paymentModel: z.enum(paymentModels),
  status: example(z.string(), 'active'),
  enrolledAt: time,
  activeSince: time.meta({ description: 'When the creator last became active: enrolled as active, accepted the invitation, or brought back from a pause, the bench or a removal. The bench suggestion counts its stall days from here.' }),
  uniqueClicks: count(118),
  conversions: count(9),
  linkConversions: count(5),
  validatedConversions: count(6),
  revenueMinor: minor(41_200),
  costMinor: minor(6_180),
  postsLive: count(2),
  drafts: count(3).meta({ description: 'Drafts the creator has sent for this campaign, whatever became of them (0: nothing sent yet).' }),
  comments: count(38),
  saves: count(95),
  shares: count(21),
  recentActivity: count(14),
  contentDueAt: time.nullable().meta({ description: "When the creator's first draft is due: their enrollment's own `contentDueAt`, or else the campaign's (null: none)." }),
  firstDraft: z
    .enum(['sent', 'due', 'overdue'])
    .nullable()
    .meta({
      description:
        "Where the creator stands with that draft: `sent` (a draft that still stands: any but a rejected one), `due` before the date, `overdue` after it; null where nothing is due (no date, a creator who has not joined your brand or the campaign, or one removed, or an ended campaign).",
    }),
  rank: count(1),
  score: count(1_130),
  engagements: count(154),
  move: z.enum(['move_to_flat', 'move_to_hybrid', 'bench']).nullable(),
  reason: example(z.string(), '6 validated sales (threshold 5).').nullable(),
});

const segmentFigures = {
  creators: count(12).describe('Enrollments whose results count, removed ones too.'),
  uniqueClicks: count(2400),
  conversions: count(31).describe('Sales: orders by link or code, not refunded in full, not a subscription renewal or a returning customer\'s order.'),
  revenueMinor: minor(186_000).describe('Attributed revenue net of refunds, minor units.'),
  costMinor: minor(27_900).describe('Creator cost from the ledger (commissions, fees, bonuses, less reversals), minor units.'),
  revenuePerCreatorMinor: minor(15_500).nullable().describe('Revenue ÷ creators, rounded to the minor unit; null with no creators.'),
};

export const CampaignSegments = z
  .object({
    by: z.enum(SEGMENT_KIND_NAMES),
    currency: example(z.string(), 'USD'),
    network: z.object(segmentFigures).describe('The whole network, as the network view counts it.'),
    segments: z.array(
      z.object({
        value: example(z.string(), 'skincare').nullable().describe('The niche, platform or tag; null for the creators with none.'),
        ...segmentFigures,
        revenueShare: example(z.number().min(0), 0.4731).nullable().describe("Of the network's revenue, 0-1; null while it has none. Tag shares overlap."),
      }),
    ),
  })
  .meta({ id: 'CampaignSegments', description: "A campaign's results by niche, platform or tag." });

export const Network = z
  .object({
    campaign: z.object({
      id: id('cmp'),
      name: example(z.string(), 'Spring Glow'),
      slug: example(z.string(), 'spring-glow'),
      currency,
      timezone: example(z.string(), 'UTC'),
      holdingDays: count(30),
      baseline: z.object({ costMinor: minor(250_000), engaged: count(1_200) }).nullable(),
    }),
    summary: z.object({
      creatorsActive: count(24),
      creatorsEnrolled: count(30),
      postsLive: count(41),
      uniqueClicks: count(3_400),
      conversions: count(212),
      linkConversions: count(150).meta({ description: 'Of the conversions, those credited to a click on a tracked link (the rest came by code).' }),
      revenueMinor: minor(1_046_000),
      costMinor: minor(156_900),
      engagements: count(4_100),
      costPerEngagementMinor: count(38).nullable(),
      conversionRate: example(z.number(), 0.044).nullable().meta({ description: 'linkConversions ÷ uniqueClicks, 4 decimals; null with no clicks. Code orders are left out: they need no click.' }),
      baseline: z.object({ costPerEngagementMinor: count(208).nullable(), ratio: example(z.number(), 5.5).nullable() }).nullable(),
    }),
    daily: z.array(z.object({ day: example(z.string(), '2026-05-03'), clicks: count(140), conversions: count(9).describe('Sales that day, counted as the totals count them: not refunded in full or declined, no renewal or returning order.') })),
    ranking: z.array(rankedCreator),
    scoring: z.object({
      weights: z.object({ saves: count(4), shares: count(6), uniqueClicks: count(1), conversions: count(50) }),
      ladder: z.object({ flatAfterValidatedConversions: count(5), hybridTopShare: example(z.number(), 0.2), stallDays: count(14) }),
    }),
  })
  .meta({ id: 'Network', description: 'The network total first; per-creator numbers are inputs to it and to the ranking.' });

const rowError = z.object({ line: count(4), field: example(z.string(), 'email'), message: example(z.string(), 'not an email address') });

export const InvitationMailing = z
  .object({
    queued: z.int().min(0).describe('Invitations being mailed now.'),
    skipped: z.object({
      accepted: z.int().min(0).describe('Creators who accepted already.'),
      recentlyMailed: z.int().min(0).describe('Mailed in the last three days, or on its way.'),
      remindedEnough: z.int().min(0).describe('Mailed three times already (the invitation and two reminders).'),
      lapsed: z.int().min(0).describe('Invite link lapsed: import the row again to renew it.'),
      overAllowance: z.int().min(0).describe("Past the brand's daily allowance: mailed when the call is repeated on a later day."),
      optedOut: z.int().min(0).describe("Asked, with the link in an earlier invitation, not to get this brand's (or any brand's) invitations."),
    }),
  })
  .meta({ id: 'InvitationMailing' });

export const Unsubscribed = z.object({ unsubscribed: z.literal(true) }).meta({ id: 'Unsubscribed' });

export const CreatorImport = z
  .object({
    rows: count(30),
    created: z
      .object({ creators: count(28), enrollments: count(30), links: count(30), codes: count(30), invites: count(28) })
      .describe("What this import wrote. `creators`: new on the brand's roster (whether an address already had a Chorus account is not told)."),
    skippedRows: z.array(rowError),
    invites: z.array(
      z.object({
        line: count(2).nullable(),
        email: example(z.email(), 'sarah@creators.example'),
        handle: example(z.string(), 'sarah_makes'),
        name: example(z.string(), 'Sarah Okafor'),
        status: z
          .enum(['invite', 'accepted', 'expired'])
          .describe('`accepted`: the creator pressed Accept in their portal. `invite`: waiting for them; send `inviteUrl` (it leads to sign-in for an address that already has a Chorus account, to setting a password otherwise, and reads the same either way). `expired`: import the row again for a fresh link.'),
        inviteUrl: example(z.string(), 'https://chorus.example/invite/Xq3v9LrT').nullable(),
        link: example(z.string(), 'https://chorus.example/r/sG7kQ2pX').nullable(),
        code: example(z.string(), 'SARAH15').nullable(),
      }),
    ),
    invitesCsv: example(z.string(), 'line,email,handle,name,status,invite_url,link,code\n'),
  })
  .meta({ id: 'CreatorImport' });

export const PeriodClose = z
  .object({ period: example(z.string(), '2026-04'), closedNow: z.boolean(), payouts: count(24), closedAt: time })
  .meta({ id: 'PeriodClose', description: 'Closing is idempotent: closedNow is false when the period was already closed.' });

const totals = z.object({
  currency,
  commission: minor(98_400),
  reversals: minor(-3_200),
  fees: minor(60_000),
  bonuses: minor(20_000),
  net: minor(175_200),
  conversions: count(212),
  payouts: count(24),
});

export const PayoutLine = z
  .object({
    id: id('po'),
    period: example(z.string(), '2026-04'),
    creatorId: id('cr'),
    handle: example(z.string(), 'sarah_makes'),
    name: example(z.string(), 'Sarah Okafor'),
    email: example(z.string(), 'sarah@creators.example'),
    payoutMethod: example(z.string(), 'bank_transfer').describe(
      "paypal, wise, bank_transfer (an IBAN) or us_bank_account (paid by ACH); empty when the creator has given none, `not_shared` until they accept your brand (their details are their account's, shared only with brands they accepted), `erased` once you erased the creator, `unreadable` if they cannot be opened. A paid payout's are the details it was marked paid with (where it went); any other's, the creator's now (where to pay it).",
    ),
    payoutAccount: example(z.string(), 'GB33BUKB20201555555555').describe(
      'Where the money goes: the email of a PayPal or Wise account, the IBAN of a bank transfer, or for a US bank account `routing <9-digit ABA routing number> <checking|savings> <account number>` (as `routing 021000021 checking 000123456789`).',
    ),
    detailsChangedSinceFailure: example(z.boolean(), false).describe(
      'A failed payout whose creator has saved other payout details since it was marked failed (for a bank transfer or a US bank account, a corrected account holder name counts; for a US bank account, another routing number or account type too): worth paying again.',
    ),
    taxDetails: example(z.enum(['complete', 'missing', 'unreadable']), 'complete').describe(
      "Whether the creator gave their tax details (legal name, country, kind, tax id). `missing` until they accept your brand, as payout details; `unreadable` when they were sealed under a `SECRETS_KEY` changed since (the creator must enter them again); the year-end totals carry them in full.",
    ),
    currency,
    commissionMinor: minor(4_120),
    reversalsMinor: minor(0).describe('What refunds and your declines took back (negative). Above zero when a failed refund gives back a reversal an earlier payout took.'),
    flatFeesMinor: minor(2_500),
    bonusesMinor: minor(0),
    netMinor: minor(6_620),
    conversions: count(9).describe('The sales whose commission the payout holds (refunded or declined since or not); a renewal or a returning customer\'s order is no new sale.'),
    status: example(z.string(), 'pending'),
    reference: example(z.string(), 'WISE-88213').nullable(),
    failureReason: example(z.string(), 'Recipient account closed').nullable(),
    givenUp: z.boolean().meta({ description: 'The creator gave this payout up when they closed their account: it stays failed and cannot be marked paid (409 payout_given_up).' }),
  })
  .meta({ id: 'PayoutLine' });

export const PayoutList = z.object({ period: example(z.string(), '2026-04'), payouts: z.array(PayoutLine), totals: z.array(totals) }).meta({ id: 'PayoutList' });

export const PayoutMark = z
  .object({ line: count(2).nullable(), payoutId: id('po'), outcome: z.enum(['paid', 'failed', 'unchanged', 'not_found', 'conflict', 'given_up']) })
  .meta({ id: 'PayoutMark' });

export const PayoutEntry = z
  .object({
    id: id('le'),
    kind: z.enum(STATEMENT_KINDS).meta({
      description:
        "As the creator's Earnings page groups it: `renewal_commission` a Stripe subscription's later payment, `returning_commission` a returning customer's order no code or click credited (the campaign's `returningCustomerMonths`), `reversal_back` what a failed refund gave back, `declined` what your brand's decline of an order took back and `declined_back` what reinstating it gave back, `flat_fee_back` a fee taken back (the post was not live), `bonus_back` a bonus taken back (refunds, or your brand declining an order, took the month below the threshold), `adjustment` your brand's own (with its `note`).",
    }),
    amountMinor: minor(499),
    currency,
    createdAt: time,
    period: example(z.string(), '2026-04'),
    basisPeriod: example(z.string(), '2026-03')
      .nullable()
      .meta({
        description:
          "The month (YYYY-MM) whose revenue the entry counts in: a commission's or bonus's own month; for a reversal or a bonus taken back, the month of the order or bonus it takes from (a bonus taken back is named by it). Null for fees and adjustments, or not yet filled (entries written during a deploy until the cron fills them).",
      }),
    rateBps: example(z.int(), 1000).nullable(),
    tier: example(z.int().min(1), 1).nullable(),
    basisMinor: minor(4_999).meta({ description: "What the entry was priced on: the order's amount for a commission, the refund's (negative) for a reversal; 0 otherwise." }),
    note: example(z.string(), 'Story reposted twice').nullable(),
    enrollmentId: id('enr'),
    conversionId: id('cv').nullable(),
    refundId: id('rf').nullable().meta({ description: 'The refund a reversal follows, or a bonus taken back or given back (null for take-backs written before this was kept); a decline is booked as a refund the brand makes.' }),
    submissionId: id('sub').nullable(),
    order: z
      .object({ orderId: example(z.string(), 'order-1001'), occurredAt: time.nullable(), amountMinor: minor(4_999) })
      .nullable()
      .meta({ description: 'The order a commission, reversal or bonus is tied to, as your store sent it.' }),
    postUrl: example(z.string(), 'https://www.instagram.com/p/Cx1').nullable().meta({ description: 'The live post a flat fee paid for.' }),
  })
  .meta({ id: 'PayoutEntry' });

const renewalOf = example(z.string(), 'in_1QspringFirstInvoice')
  .nullable()
  .meta({ description: "A Stripe subscription's later payment, credited to the creator who brought the subscription: the id of the subscription's first credited payment. Null for every other order." });

const returningCustomerOf = example(z.string(), 'order-1001')
  .nullable()
  .meta({
    description:
      "A returning customer's order that no code or click credited, credited to the creator who brought the customer (the campaign's `returningCustomerMonths`): the id of the customer's first credited order. It adds to the creator's revenue and tier, and is no new sale. Null for every other order.",
  });

const ATTRIBUTION =
  "A redeemable code beats a click within the window, which beats none. A subscription's later payment (`renewalOf`) and a returning customer's order (`returningCustomerOf`) carry the attribution of the order they earn through, not their own: the code or click the store sent with them, if any, credited nothing.";

const SELF_PURCHASE =
  "The customer's email (sent with the order, never stored) is the credited creator's account email, or the order renews a subscription that was. Unless the brand lets creators earn on their own orders (`selfPurchasesEarn`), such an order earns no commission and counts toward no tier or bonus.";

export const Conversion = z
  .object({
    id: id('cv'),
    orderId: example(z.string(), 'order-1001'),
    amountMinor: minor(4_999),
    currency,
    occurredAt: time.nullable(),
    attribution: z.enum(['code', 'click', 'none']).meta({ description: ATTRIBUTION }),
    creator: z.object({ handle: example(z.string(), 'sarah_makes') }).nullable(),
    commission: z
      .object({
        amountMinor: minor(500),
        rateBps: example(z.int(), 1000).nullable(),
        tier: count(0).nullable(),
        availableAt: time.nullable(),
        reason: z.enum(['self_purchase']).nullable().meta({ description: '`self_purchase`: the creator bought through their own code or link, so the order earns 0 (no ledger entry; rateBps, tier and availableAt are null). Null for an earned commission.' }),
      })
      .nullable()
      .meta({ description: 'The ledger entry this order earned, payable from availableAt (end of the holding period), or a 0 with its reason. Null when the order earns nothing on its terms (not attributed, or a creator paid by the product or a flat fee).' }),
    selfPurchase: z.boolean().meta({ description: SELF_PURCHASE }),
    renewalOf,
    returningCustomerOf,
  })
  .meta({ id: 'Conversion' });

export const RecordedOrder = z
  .object({
    id: id('cv'),
    orderId: example(z.string(), 'order-1001'),
    amountMinor: minor(4_999),
    currency,
    occurredAt: time,
    recordedAt: time,
    source: z.enum(['api', 'shopify', 'stripe']),
    attribution: z.enum(['code', 'click', 'none']).meta({ description: ATTRIBUTION }),
    code: example(z.string(), 'SARAH15').nullable().meta({ description: 'The code as the store sent it, matched or not.' }),
    clickId: example(z.string(), 'Qm9vdHN0cmFwcGVkQ2xpY2tJZA').nullable().meta({ description: 'The click id as the store sent it, matched or not.' }),
    awaitingClick: z.boolean().meta({ description: 'The click id names no click stored yet (clicks reach storage through a queue); the order is credited when that click lands.' }),
    customerRef: example(z.string(), 'cust_8812').nullable(),
    creator: z.object({ handle: example(z.string(), 'sarah_makes') }).nullable(),
    enrollmentId: id('enr').nullable(),
    campaign: z.object({ id: id('cmp'), name: example(z.string(), 'Spring Glow') }).nullable(),
    commission: z
      .object({
        amountMinor: minor(500),
        rateBps: example(z.int(), 1000).nullable(),
        tier: count(0).nullable(),
        availableAt: time,
        status: z
          .enum(['holding', 'available', 'in_payout', 'paid', 'declined'])
          .meta({ description: 'holding until availableAt, then available until a closed period claims it (in_payout), paid once that payout is marked paid; declined while your brand declines it (see `declined`).' }),
      })
      .nullable(),
    bonusMinor: minor(0),
    refundedMinor: minor(0).meta({ description: "The order's applied refunds from the store, at most its amount (a brand's decline is none: see `declined`)." }),
    reversedMinor: minor(0).meta({ description: 'Commission taken back for those refunds and for a standing decline.' }),
    renewalOf,
    returningCustomerOf,
    selfPurchase: z.boolean().meta({ description: `${SELF_PURCHASE} With \`commission\` null it earned nothing for that reason; with a commission, the brand let it earn.` }),
    declined: z
      .object({
        reason: z.enum(declineReasons),
        note: example(z.string(), 'Staff test order').nullable().meta({ description: 'Shown to the creator.' }),
        at: time,
        by: z.object({ type: z.enum(['admin_user', 'api_key']), id: example(z.string(), 'au_6d1f0c2b9a8e7d6c5b4a3f2e') }),
      })
      .nullable()
      .meta({ description: "The brand declined this order's commission (`POST /api/admin/conversions/{id}/decline`): it earns nothing and counts in no creator's results until reinstated. Null when it stands." }),
  })
  .meta({ id: 'RecordedOrder' });

export const Refund = z
  .object({
    id: id('rf'),
    refundId: example(z.string(), 'refund-77'),
    orderId: example(z.string(), 'order-1001'),
    amountMinor: minor(4_999).meta({ description: "Negative for a Stripe refund that failed (refundId `<charge>@<Stripe refund>@failed`): the share of the order its slices took, now given back." }),
    currency,
    occurredAt: time.nullable(),
    status: z.enum(['pending', 'applied', 'failed']).meta({ description: 'pending until its order arrives; failed once the store reported it failed or was cancelled.' }),
    failedAt: time.nullable().meta({ description: 'When it failed, once it has.' }),
    reversal: z.object({ amountMinor: minor(-500) }).nullable().meta({ description: 'The commission it took back when applied (never edited).' }),
    givenBack: z.object({ amountMinor: minor(0) }).nullable().meta({ description: 'What its failure gave back to the creator (a new entry), once it failed after it was applied.' }),
  })
  .meta({ id: 'Refund' });

export const CodeCheck = z
  .union([
    z.object({ valid: z.literal(false) }),
    z.object({
      valid: z.literal(true),
      code: example(z.string(), 'SARAH15'),
      discount: z.object({ type: z.enum(['percent', 'fixed']), value: example(z.int(), 15) }),
      creator: z.object({ handle: example(z.string(), 'sarah_makes') }),
    }),
  ])
  .meta({ id: 'CodeCheck', description: 'Unknown, expired, exhausted and foreign codes all answer {"valid": false}.' });

export const WebhookReceipt = z
  .object({
    received: z.literal(true),
    data: z.union([Conversion, Refund, z.array(Refund.nullable()), z.null()]).optional(),
    failed: z.array(Refund).optional().meta({ description: "Stripe's charge.refunded, or an order's or pairing's event: failures of the charge's refunds that came before it, booked now (once they account for all the charge's recorded refunds and its order is in)." }),
    ignored: z
      .enum(['topic', 'event_type', 'test_mode', 'payment_pending', 'dispute_not_lost', 'idempotency_conflict', 'currency_mismatch', 'not_subscription', 'not_referred', 'renewals_ended', 'first_payment_declined', 'refund_not_failed', 'refund_without_charge'])
      .optional()
      .meta({
        description:
          "Why nothing was recorded, when nothing was. `test_mode`: a Shopify test order (or its refund) or an event from a Stripe endpoint in test mode, which earns nobody anything. `payment_pending`: a Stripe Checkout Session completed before its payment (a delayed method; its `checkout.session.async_payment_succeeded` records it). `dispute_not_lost`: a Stripe dispute closed in the merchant's favour (or otherwise not lost), which takes nothing back. For Stripe's invoice.paid: `not_subscription`, an invoice of no subscription; `not_referred`, a subscription no creator brought; `renewals_ended`, the campaign's renewal months have passed or the creator's enrollment or the campaign ended; `first_payment_declined`, the brand declined the commission of the subscription's first payment, and its renewals earn nothing while that stands. `refund_not_failed`: a Stripe refund update whose status is not failed or canceled; `refund_without_charge`: a failed Stripe refund of no charge (`charge: null`), which no charge.refunded recorded.",
      }),
  })
  .meta({ id: 'WebhookReceipt' });

// Envelopes: every JSON answer of the admin and ingestion APIs is {"data": …}.
export const dataOf = <T extends z.ZodType>(schema: T) => z.object({ data: schema });
export const listOf = <T extends z.ZodType>(schema: T) => z.object({ data: z.array(schema) });
// `data` a page of something: a list, or one object holding a list (a terms version and a page of who accepted it).
export const pagedDataOf = <T extends z.ZodType>(schema: T) =>
  z.object({
    data: schema,
    hasMore: z.boolean(),
    nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last.' }),
  });
export const pagedListOf = <T extends z.ZodType>(schema: T) => pagedDataOf(z.array(schema));
