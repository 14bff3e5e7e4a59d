// Demo data for local development: one brand, its API keys, a campaign and five enrolled creators with links.
//
//   import { seedSql, demo } from './seed.mjs'   -> SQL text and the demo credentials
//   node scripts/seed.mjs                         -> prints the SQL (pipe it into `wrangler d1 execute`)
//
// Every row has a fixed id and every statement is `INSERT ... ON CONFLICT DO NOTHING`, so seeding an
// already-seeded database changes nothing. Column names follow migrations/0000_init.sql; times are epoch ms.
import { fileURLToPath } from 'node:url';
import { apiKeyRow, insertSql, KEY_PREFIX, passwordHash, seal } from './d1-rows.mjs';

// One fixed instant, so a second seed writes byte-for-byte the same rows (and skips them all).
const SEEDED_AT = Date.UTC(2026, 0, 5, 9, 0, 0);

export const DEMO_DESTINATION = 'https://lumen-skin.example/glow';
// Every demo login (creators and the brand owner) uses this password locally.
export const DEMO_PASSWORD = 'glow-demo-2026';

const creators = [
  { n: 1, handle: 'sarah', name: 'Sarah Chen', niche: 'skincare', platform: 'instagram', followers: 18_400, model: 'affiliate', flatFeeMinor: 0,
    brief: 'Sarah: your audience already trusts your ingredient breakdowns. Lead with a problem → solution story: the tight, stinging feeling after a retinol night, then the serum as the calm-down step. Show the dropper and the texture close up.' },
  { n: 2, handle: 'mateo', name: 'Mateo Alvarez', niche: 'grooming', platform: 'tiktok', followers: 42_100, model: 'hybrid', flatFeeMinor: 25_000,
    brief: 'Mateo: speak to guys whose skin reacts to shaving. A day-in-the-life clip that works the serum into your post-shave routine is ideal; keep it under 45 seconds and say #ad out loud in the first few seconds.' },
  { n: 3, handle: 'priya', name: 'Priya Nair', niche: 'clean beauty', platform: 'instagram', followers: 9_700, model: 'flat', flatFeeMinor: 40_000,
    brief: 'Priya: your followers care about short, fragrance-free ingredient lists. A before_after over four weeks suits you best; use the same light and angle each time and no filters, so the comparison is honest.' },
  { n: 4, handle: 'jonas', name: 'Jonas Becker', niche: 'fitness & wellness', platform: 'youtube', followers: 27_300, model: 'product', flatFeeMinor: 0,
    brief: 'Jonas: sweat, wind and cold mornings are your angle. Fold the serum into a day in the life of a training day and show how your skin feels after a run. A product-seeding deal: keep it natural, no script required.' },
  { n: 5, handle: 'amara', name: 'Amara Okafor', niche: 'skincare', platform: 'tiktok', followers: 61_800, model: 'affiliate', flatFeeMinor: 0,
    brief: 'Amara: you reach people with deeper skin tones who are tired of products that leave them ashy or irritated. A problem → solution story about barrier damage from over-exfoliating fits; pin your link in the first comment.' },
];

// The usage rights the demo campaign asks with every draft, stored as the API writes them (scopes in one order).
const DEMO_RIGHTS = { scopes: ['organic', 'paid', 'partnership'], days: 365, note: 'Includes cut-downs of up to 15 seconds for Stories and Reels ads.' };
// The end of the day `days` days after the one `at` falls on, in UTC (domain/usage-rights.ts rightsUntil).
const utcDayEnd = (at, days) => {
  const d = new Date(at);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + days + 1);
};

export const demo = {
  brand: { id: 'brand_demo', slug: 'lumen', name: 'Lumen Skincare', timezone: 'UTC' },
  keys: {
    admin: 'ck_admin_demo_lumen_0000000000000000',
    storefront: 'ck_pub_demo_lumen_00000000000000000000',
    ingest: 'ck_ingest_demo_lumen_0000000000000000',
  },
  integrations: {
    shopify: { shop: 'lumen-demo.myshopify.com', secret: 'shpss_demo_lumen_webhook_secret_00' },
    stripe: { account: 'lumen', secret: 'whsec_demo_lumen_endpoint_secret_000' },
  },
  adminUser: { id: 'adm_demo_owner', email: 'owner@lumen-skin.example', name: 'Lena Ortiz', role: 'owner' },
  // A second login with the finance role: reads everything, and does the payouts and their files (an existing
  // local database keeps the role it was seeded with; delete .wrangler/state for this one).
  finance: { id: 'adm_demo_viewer', email: 'finance@lumen-skin.example', name: 'Tomás Reyes', role: 'finance' },
  commissionPlan: { id: 'plan_demo_tiered', name: 'Glow tiered commission' },
  campaign: { id: 'cmp_demo_glow', slug: 'glow-week', name: 'Glow Week' },
  creators: creators.map((c) => ({
    id: `cr_demo_${c.n}`,
    email: `${c.handle}@creators.example`,
    handle: c.handle,
    displayName: c.name,
    enrollmentId: `enr_demo_${c.n}`,
    paymentModel: c.model,
    linkId: `lnk_demo_${c.n}`,
    linkSlug: `${c.handle}-glow`,
    code: `${c.handle.toUpperCase()}15`,
  })),
};

for (const [scope, key] of Object.entries(demo.keys)) {
  // The same bounds the worker applies to presented keys (Bearer charset, findActiveKey's length check).
  if (!/^[A-Za-z0-9_-]+$/.test(key) || key.length < 16 || key.length > 128 || !key.startsWith(KEY_PREFIX[scope])) {
    throw new Error(`demo ${scope} key ${key} is not a valid ${scope} key`);
  }
}

export function seedRows(now = Date.now()) {
  const brandId = demo.brand.id;
  const rows = [];
  const add = (table, row) => rows.push([table, row]);

  add('brands', {
    id: brandId,
    slug: demo.brand.slug,
    name: demo.brand.name,
    allowed_hosts: ['lumen-skin.example', '*.lumen-skin.example'],
    currency: 'USD',
    timezone: demo.brand.timezone,
    click_param: 'cid',
    fallback_url: null,
    created_at: SEEDED_AT,
  });

  for (const [scope, key] of Object.entries(demo.keys)) {
    add('api_keys', apiKeyRow({ id: `key_demo_${scope}`, brandId, scope, name: `Demo ${scope} key`, key, createdAt: SEEDED_AT }));
  }

  add('brand_integrations', { id: 'int_demo_shopify', brand_id: brandId, provider: 'shopify', external_account: demo.integrations.shopify.shop, secret_enc: seal(demo.integrations.shopify.secret), created_at: SEEDED_AT });
  add('brand_integrations', { id: 'int_demo_stripe', brand_id: brandId, provider: 'stripe', external_account: demo.integrations.stripe.account, secret_enc: seal(demo.integrations.stripe.secret), created_at: SEEDED_AT });

  for (const user of [demo.adminUser, demo.finance]) {
    add('admin_users', { id: user.id, brand_id: brandId, email: user.email, name: user.name, role: user.role, password_hash: passwordHash(DEMO_PASSWORD), created_at: SEEDED_AT });
  }

  add('commission_plans', {
    id: demo.commissionPlan.id,
    brand_id: brandId,
    name: demo.commissionPlan.name,
    period: 'month',
    tiers: [
      { fromMinor: 0, rateBps: 1000 },
      { fromMinor: 100000, rateBps: 1500 },
      { fromMinor: 500000, rateBps: 2000 },
    ],
    bonus: null,
    created_at: SEEDED_AT,
  });

  add('campaigns', {
    id: demo.campaign.id,
    brand_id: brandId,
    slug: demo.campaign.slug,
    name: demo.campaign.name,
    hashtag: '#GlowWeek',
    positioning_anchor:
      'Lumen Barrier Serum rebuilds a stressed skin barrier with ceramides, niacinamide and panthenol in a fragrance-free formula made for sensitive, reactive skin. ' +
      'It is for people whose skin stings at almost everything else: calm first, glow second. ' +
      'We promise comfort within days and a visibly stronger barrier in four weeks, never an overnight transformation.',
    non_negotiables: [
      'Disclose the partnership with #ad at the start of the caption and on screen, never buried among hashtags.',
      'No medical claims: do not say the serum treats or cures eczema, rosacea, acne or any other condition.',
      'Show the serum on your own skin without beauty filters or retouching.',
    ],
    disclosure_text: '#ad',
    story_formats: ['day_in_the_life', 'before_after', 'problem_solution'],
    default_destination: DEMO_DESTINATION,
    attribution_window_days: 30,
    commission_plan_id: demo.commissionPlan.id,
    holding_days: 30,
    renewal_months: 12,
    // Every draft grants these (domain/usage-rights.ts): the console's Content page lists what Lumen may use.
    usage_rights: DEMO_RIGHTS,
    starts_at: SEEDED_AT,
    ends_at: null,
    status: 'active',
    // The public application page is on, with two creators waiting on the console's Applications tab.
    applications_open: 1,
    // Gifting is open (console → the campaign's Gifting tab): each creator picks one product.
    gifting_open: 1,
    gift_choices: 1,
    created_at: SEEDED_AT,
  });

  // Two updates the brand posted to the campaign's creators (console → the campaign's Updates tab).
  for (const [i, u] of [
    { title: 'Posting week: Monday to Sunday', body: 'Post your first Glow Week story any day this week, and the second within a week of it.\nTag @lumen.skin so we can share the best ones.' },
    { title: 'Your code now works on the Barrier Duo', body: 'Shoppers asked, so your 15% code now works on the Barrier Duo bundle (serum and cream) too.\nNo need to change your captions: the code is the same.' },
  ].entries()) {
    add('campaign_updates', { id: `upd_demo_${i + 1}`, brand_id: brandId, campaign_id: demo.campaign.id, ...u, author_type: 'admin_user', author_id: demo.adminUser.id, mailed: creators.length, form_key: null, created_at: SEEDED_AT + (i * 3 + 1) * 86_400_000 });
  }

  for (const [i, a] of [
    { email: 'lena@creators.example', handle: 'lena.skinnotes', name: 'Lena Hoffmann', platform: 'instagram', follower_count: 12400, niche: 'sensitive skin', profile_url: 'https://instagram.example/lena.skinnotes', pitch: 'My followers are mostly people with reactive skin who have given up on "glow" products. I post honest two-week tests, stings included.' },
    { email: 'theo@creators.example', handle: 'theo_runs', name: 'Theo Marsh', platform: 'tiktok', follower_count: 31000, niche: 'running', profile_url: null, pitch: 'Wind, sweat and sunscreen: my audience runs outdoors all year and asks me about skin that cracks in winter.' },
  ].entries()) {
    const at = SEEDED_AT + (i + 1) * 3_600_000;
    add('applications', { id: `app_demo_${i + 1}`, brand_id: brandId, campaign_id: demo.campaign.id, ...a, inbox: a.email, status: 'pending', created_at: at, updated_at: at });
  }

  for (const [i, c] of creators.entries()) {
    const d = demo.creators[i];
    // Rows of one kind get distinct created_at values so "newest first" listings have a stable order.
    const at = SEEDED_AT + c.n * 60_000;
    add('creators', { id: d.id, email: d.email, handle: d.handle, display_name: d.displayName, password_hash: passwordHash(DEMO_PASSWORD), payout_details_enc: c.n === 4 ? null : seal(JSON.stringify({ method: 'paypal', account: d.email })), created_at: at });
    add('brand_creators', { brand_id: brandId, creator_id: d.id, handle: d.handle, display_name: d.displayName, email: d.email, niche: c.niche, platform: c.platform, follower_count: c.followers, accepted_at: at, created_at: at });
    add('enrollments', {
      id: d.enrollmentId,
      brand_id: brandId,
      campaign_id: demo.campaign.id,
      creator_id: d.id,
      payment_model: c.model,
      flat_fee_minor: c.flatFeeMinor,
      brief_section: c.brief,
      status: 'active',
      created_at: at,
    });
    add('links', {
      id: d.linkId,
      brand_id: brandId,
      enrollment_id: d.enrollmentId,
      slug: d.linkSlug,
      destination: DEMO_DESTINATION,
      status: 'active',
      created_at: at,
      updated_at: at,
    });
    add('discount_codes', {
      id: `dc_demo_${c.n}`,
      brand_id: brandId,
      enrollment_id: d.enrollmentId,
      code: d.code,
      discount_type: 'percent',
      discount_value: 15,
      max_redemptions: null,
      redemptions: 0,
      starts_at: null,
      ends_at: null,
      status: 'active',
      created_at: at,
    });
  }
  // Product seeding: three products to pick from; Jonas asked for the serum (waiting on the Gifting tab) and Priya's
  // starter kit shipped (the Network tab counts it). Sarah has not asked yet, so her home card offers the gift.
  const giftProducts = [
    { id: 'gp_demo_1', title: 'Barrier Serum 30 ml', options: ['Fragrance-free', 'Original'], sku: 'LUM-BS-30', value_minor: 3400 },
    { id: 'gp_demo_2', title: 'Barrier Duo (serum and cream)', options: [], sku: 'LUM-DUO', value_minor: 5800 },
    { id: 'gp_demo_3', title: 'Calm Cleanser 150 ml', options: ['150 ml', '300 ml'], sku: 'LUM-CC', value_minor: 1900 },
  ];
  for (const [i, p] of giftProducts.entries()) add('gift_products', { ...p, brand_id: brandId, campaign_id: demo.campaign.id, archived_at: null, created_at: SEEDED_AT + i * 60_000 });
  const giftAddress = (name, line1, city, region, postalCode) => ({ name, line1, line2: '', city, region, postalCode, country: 'US', phone: '' });
  for (const g of [
    { n: 4, status: 'requested', daysAgo: 2, product: giftProducts[0], option: 'Fragrance-free', address: giftAddress('Jonas Becker', '48 Alder Lane', 'Boulder', 'CO', '80302') },
    { n: 3, status: 'shipped', daysAgo: 12, product: giftProducts[1], option: null, address: giftAddress('Priya Nair', '7 Orchard Road, Apt 3', 'Austin', 'TX', '78701') },
  ]) {
    const d = demo.creators[g.n - 1];
    // Dated from now, not SEEDED_AT: the cron removes an address 90 days after its gift shipped (jobs/gift-addresses.ts),
    // so a fixed date would have the demo's first run remove Priya's.
    const at = now - g.daysAgo * 86_400_000;
    const shipped = g.status === 'shipped' ? { carrier: 'UPS', tracking_number: '1Z999AA10123456784', tracking_url: 'https://www.ups.com/track?tracknum=1Z999AA10123456784', shipped_at: at + 86_400_000 } : {};
    add('gift_requests', {
      id: `gr_demo_${g.n}`,
      brand_id: brandId,
      campaign_id: demo.campaign.id,
      enrollment_id: d.enrollmentId,
      status: g.status,
      items: [{ productId: g.product.id, title: g.product.title, option: g.option, sku: g.product.sku, valueMinor: g.product.value_minor }],
      // Sealed under the local SECRETS_KEY, as the worker writes it (worker/db/addresses.ts sealAddress).
      address: seal(JSON.stringify(g.address)),
      value_minor: g.product.value_minor,
      created_at: at,
      updated_at: shipped.shipped_at ?? at,
      ...shipped,
    });
  }
  // Messages (console → Messages; a creator's portal → Messages): Sarah and Lena talked through her draft, and Lena's
  // last note waits unread on Sarah's home page; Mateo's two questions wait unread in the console's inbox; Priya's
  // conversation is read on both sides. No mail is due for any of them.
  const hour = 3_600_000;
  const conversations = [
    { n: 1, creatorRead: 2, messages: [
      [true, 58, 'Hi Lena! Quick question before I film: can I show the serum next to my retinol? I want to explain why they should not go on the same night.'],
      [false, 59, 'Great idea, yes please. Say "alternate nights" rather than naming the retinol brand, and mention that the fragrance-free one is the one you use.'],
      [true, 59.4, 'Perfect, will do. Filming Thursday morning, the draft is with you by Friday.'],
      [false, 129, 'Loved the draft! One small thing: #ad goes in the first line of the caption, not at the end. I approve it as soon as that is in.'],
    ] },
    { n: 2, brandRead: -1, messages: [
      [true, 152, 'Hey! A follower in Canada says my code shows as invalid at checkout. Is it US-only?'],
      [true, 152.1, 'This is what he saw: "This code cannot be applied to your cart." He had the Barrier Duo in it.'],
    ] },
    { n: 3, messages: [
      [false, 97, 'Your Barrier Duo shipped today with UPS. Tell us when it lands!'],
      [true, 121, 'It arrived, thank you! Starting the four-week before and after tomorrow morning, same light every day.'],
    ] },
  ];
  for (const t of conversations) {
    const d = demo.creators[t.n - 1];
    const at = (h) => SEEDED_AT + Math.round(h * hour);
    t.messages.forEach(([byCreator, h, body], i) => {
      add('messages', { id: `msg_demo_${t.n}_${i + 1}`, brand_id: brandId, creator_id: d.id, author_type: byCreator ? 'creator' : 'admin_user', author_id: byCreator ? d.id : demo.adminUser.id, body, form_key: null, created_at: at(h) });
    });
    const last = at(t.messages.at(-1)[1]);
    // Each side has read up to its own last message, or to the one named; the rest of the other side's are unread.
    const readUpTo = (mine, named) => (named === undefined ? last : named < 0 ? null : at(t.messages[named][1]));
    const unreadAfter = (readAt, byCreator) => t.messages.filter(([c, h]) => c === byCreator && (readAt === null || at(h) > readAt)).length;
    const creatorReadAt = readUpTo(true, t.creatorRead);
    const brandReadAt = readUpTo(false, t.brandRead);
    add('message_threads', {
      brand_id: brandId, creator_id: d.id, last_message_at: last,
      creator_unread: unreadAfter(creatorReadAt, false), brand_unread: unreadAfter(brandReadAt, true),
      creator_read_at: creatorReadAt, brand_read_at: brandReadAt, created_at: at(t.messages[0][1]),
    });
  }
  const sub = (n, creatorIndex, format, status, caption, extra = {}) => {
    const d = demo.creators[creatorIndex];
    const at = SEEDED_AT + 86_400_000 * (n + 1);
    const compliance = { hashtag: /#glowweek\b/i.test(caption), disclosure: /(^|\s)#ad\b/i.test(caption) };
    // Granted with the draft; the days run from going live (an hour after sending here) or from approval (half
    // an hour), through the end of the last day (the demo brand's calendar is UTC's).
    const started = status === 'live' ? at + 3_600_000 : status === 'approved' ? at + 1_800_000 : null;
    add('submissions', {
      id: `sub_demo_${n}`, brand_id: brandId, enrollment_id: d.enrollmentId, story_format: format, draft_url: `https://drive.example/lumen/${d.handle}-${n}`,
      caption, status, review_notes: extra.notes ?? null, post_url: extra.postUrl ?? null, views: extra.views ?? 0, likes: extra.likes ?? 0,
      comments: extra.comments ?? 0, saves: extra.saves ?? 0, shares: extra.shares ?? 0, compliance,
      rights_terms: DEMO_RIGHTS, rights_granted_at: at, rights_until: started === null ? null : utcDayEnd(started, DEMO_RIGHTS.days),
      created_at: at, updated_at: at + 3_600_000,
    });
    add('submission_events', { id: `sev_demo_${n}_1`, submission_id: `sub_demo_${n}`, from_status: null, to_status: 'submitted', actor_type: 'creator', actor_id: d.id, note: null, at });
    if (status !== 'submitted') {
      add('submission_events', { id: `sev_demo_${n}_2`, submission_id: `sub_demo_${n}`, from_status: 'submitted', to_status: status === 'live' ? 'approved' : status, actor_type: 'admin', actor_id: demo.adminUser.id, note: extra.notes ?? null, at: at + 1_800_000 });
    }
    if (status === 'live') {
      add('submission_events', { id: `sev_demo_${n}_3`, submission_id: `sub_demo_${n}`, from_status: 'approved', to_status: 'live', actor_type: 'creator', actor_id: d.id, note: null, at: at + 3_600_000 });
    }
  };
  sub(1, 0, 'problem_solution', 'live', '#ad My skin barrier after retinol night: tight and stingy. Two weeks of Lumen and it finally calms down. #GlowWeek', { postUrl: 'https://www.instagram.com/p/demo-sarah', views: 14_200, likes: 1_130, comments: 96, saves: 402, shares: 77 });
  sub(2, 1, 'day_in_the_life', 'changes_requested', 'Post-shave routine with @lumen #GlowWeek', { notes: 'Love the routine! Please add #ad at the start of the caption and say it out loud in the first seconds.' });
  sub(3, 2, 'before_after', 'submitted', '#ad Four weeks, same light, no filter. #GlowWeek');
  sub(4, 4, 'problem_solution', 'approved', '#ad Over-exfoliated and ashy? This is what brought my barrier back. #GlowWeek');
  for (const row of demoTraffic()) add(...row);
  return rows;
}

// Four weeks of daily clicks per demo link, as the click consumer would have rolled them up, so the network
// page's chart, ranking and conversion rate look like a running campaign on a fresh `npm run dev`; and the
// clicks the link-attributed demo orders name. Deterministic for a given day: seeding again the same day
// changes nothing, and a later day only adds the days since.
const DEMO_CLICK_SHARE = [1, 0.55, 0.3, 0.2, 0.45]; // Sarah's audience clicks most, Priya's least
const DEMO_CLICK_DAYS = 28;
export const demoClickIds = demo.creators.map((d, i) => `demoClick${String(i).padStart(2, '0')}${'A'.repeat(11)}`);

// The calendar day a click counts on, in the demo brand's timezone (clicks.day).
const demoDay = (at) => new Intl.DateTimeFormat('en-CA', { timeZone: demo.brand.timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);

function demoTraffic(now = Date.now()) {
  const day = 86_400_000;
  const out = [];
  for (const [i, d] of demo.creators.entries()) {
    for (let k = DEMO_CLICK_DAYS; k >= 1; k--) {
      const at = now - k * day;
      // A weekly swell (posts go out at the weekend) over a slow rise as the campaign gets going.
      const unique = Math.round(DEMO_CLICK_SHARE[i] * (14 + (DEMO_CLICK_DAYS - k) * 0.6 + 9 * Math.max(0, Math.sin((k / 7) * 2 * Math.PI))));
      out.push(['click_rollups', { link_id: d.linkId, day: demoDay(at), brand_id: demo.brand.id, clicks: Math.round(unique * 1.25), unique_clicks: unique, bots: Math.round(unique * 0.1) }]);
    }
    out.push(['clicks', { id: demoClickIds[i], brand_id: demo.brand.id, link_id: d.linkId, at: now - 3 * day, day: demoDay(now - 3 * day), country: 'DE', device: 'mobile', referrer_host: 'instagram.com', identity_hash: `demo-visitor-${i}`, is_bot: 0, is_duplicate: 0, counted: 1, counted_unique: 1 }]);
  }
  return out;
}

// Orders the dev script posts through the real signed API (fixed ids: replays change nothing).
export function demoConversions(now = Date.now()) {
  const day = 86_400_000;
  const plan = [[0, 8900], [0, 12900], [0, 4900], [0, 25900], [1, 6900], [1, 15900], [4, 9900], [4, 18900], [4, 5900], [2, 7900], [3, 12900]];
  const byCode = plan.map(([creatorIndex, amountMinor], i) => ({
    orderId: `demo-order-${i + 1}`,
    amountMinor,
    currency: 'USD',
    occurredAt: new Date(now - (plan.length - i) * day * 0.5).toISOString().replace(/T.*/, 'T12:00:00.000Z'),
    code: demo.creators[creatorIndex].code,
  }));
  // Shoppers who came through a link and paid without a code: attributed to the click they name.
  const byLink = [[0, 7400], [0, 11900], [1, 8900], [2, 6400], [4, 13900]].map(([creatorIndex, amountMinor], i) => ({
    orderId: `demo-link-order-${i + 1}`,
    amountMinor,
    currency: 'USD',
    occurredAt: new Date(now - 2 * day + i * 3_600_000).toISOString(),
    clickId: demoClickIds[creatorIndex],
  }));
  return [...byCode, ...byLink];
}

// A Stripe subscription the dev script sends as Stripe would (fixed ids: replays change nothing): started
// through Checkout with Mateo's code 40 days ago, renewed 10 days ago, so the Orders page shows a
// subscription payment earning its creator under the campaign's renewal months.
export function demoStripeEvents(now = Date.now()) {
  const day = 86_400_000;
  const at = (daysAgo) => Math.floor((now - daysAgo * day) / 1000);
  const subscription = 'sub_demo_mateo_refill';
  const checkout = {
    id: 'evt_demo_subscription_checkout',
    type: 'checkout.session.completed',
    data: {
      object: {
        id: 'cs_demo_mateo_refill', object: 'checkout.session', mode: 'subscription', payment_intent: null, invoice: 'in_demo_mateo_refill_1',
        subscription, customer: 'cus_demo_mateo_subscriber', currency: 'usd', created: at(40), amount_subtotal: 3800, amount_total: 3534,
        payment_status: 'paid', status: 'complete', metadata: { chorus_code: demo.creators[1].code }, total_details: { amount_discount: 570, amount_shipping: 0, amount_tax: 304 },
      },
    },
  };
  const renewal = {
    id: 'evt_demo_subscription_renewal',
    type: 'invoice.paid',
    data: {
      object: {
        id: 'in_demo_mateo_refill_2', object: 'invoice', billing_reason: 'subscription_cycle', customer: 'cus_demo_mateo_subscriber', currency: 'usd',
        created: at(10), status: 'paid', status_transitions: { paid_at: at(10) }, total: 4104, amount_paid: 4104, total_excluding_tax: 3800,
        parent: { type: 'subscription_details', subscription_details: { subscription, metadata: {} } },
      },
    },
  };
  return [checkout, renewal];
}

export function seedSql() {
  const statements = seedRows().map(([table, row]) => insertSql(table, row));
  return `-- Chorus demo seed (scripts/seed.mjs). Safe to run repeatedly.\n${statements.join('\n')}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(seedSql());
}
