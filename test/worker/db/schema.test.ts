import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createBrand, createLinkedCreator } from '../fixtures';
import { PAGE_SQL } from '../../../worker/db/payouts';
import migration0043 from '../../../migrations/0043_brand_roster_copies.sql?raw';

const run = (sql: string, ...params: unknown[]) => env.DB.prepare(sql).bind(...params).run();

describe('schema constraints', () => {
  it("keeps a handle once per brand's roster, and fills rosters from before with the account as it stood", async () => {
    const [a, b] = [await createBrand(), await createBrand()];
    const { creator } = await createLinkedCreator(a);
    const other = await createLinkedCreator(a);
    const handle = (await env.DB.prepare('SELECT handle FROM brand_creators WHERE brand_id = ? AND creator_id = ?').bind(a.brandId, creator.id).first<string>('handle'))!;
    await expect(run('UPDATE brand_creators SET handle = ? WHERE brand_id = ? AND creator_id = ?', handle, a.brandId, other.creator.id)).rejects.toThrow(/UNIQUE/);
    // Another brand may call someone else by it.
    await run("INSERT INTO creators (id, email, handle, display_name, created_at) VALUES ('cr_same_handle', 'same-handle@creators.test', ?, 'Same', 0)", handle);
    await run("INSERT INTO brand_creators (brand_id, creator_id, handle, display_name, email, created_at) VALUES (?, 'cr_same_handle', ?, 'Same', 'same-handle@creators.test', 0)", b.brandId, handle);
    // The migration's fill: a roster row from before the columns reads the account's handle, name and email.
    await run("UPDATE brand_creators SET handle = '', display_name = '', email = '' WHERE brand_id = ? AND creator_id = 'cr_same_handle'", b.brandId);
    const fill = migration0043.split('--> statement-breakpoint').find((statement) => statement.includes('UPDATE'))!;
    await run(fill);
    expect(await env.DB.prepare("SELECT handle, display_name, email FROM roster WHERE brand_id = ? AND creator_id = 'cr_same_handle'").bind(b.brandId).first()).toEqual({
      handle,
      display_name: 'Same',
      email: 'same-handle@creators.test',
    });
  });

  it('keeps link slugs globally unique, across brands', async () => {
    const [a, b] = [await createBrand(), await createBrand()];
    const { link } = await createLinkedCreator(a);
    const { enrollment } = await createLinkedCreator(b);
    await expect(
      run("INSERT INTO links (id, brand_id, enrollment_id, slug, destination, status, created_at, updated_at) VALUES ('lnk_x', ?, ?, ?, 'https://shop.example/', 'active', 0, 0)", b.brandId, enrollment.id, link.slug),
    ).rejects.toThrow(/UNIQUE/);
  });

  it('allows one conversion per brand and order id, and one ledger entry per money event', async () => {
    const brand = await createBrand();
    const other = await createBrand();
    const insert = (id: string, brandId: string) =>
      run("INSERT INTO conversions (id, brand_id, external_order_id, amount_minor, currency, occurred_at, attribution, source, payload_hash, created_at) VALUES (?, ?, 'order-1', 1000, 'USD', 0, 'none', 'api', 'h', 0)", id, brandId);
    await insert('cv_1', brand.brandId);
    await expect(insert('cv_2', brand.brandId)).rejects.toThrow(/UNIQUE/);
    await insert('cv_3', other.brandId); // the same order id at another brand is another order
    const ledger = (id: string) =>
      run("INSERT INTO ledger_entries (id, brand_id, enrollment_id, creator_id, kind, amount_minor, currency, period, event_key, available_at, created_at) VALUES (?, ?, 'e', 'c', 'commission', 100, 'USD', '2026-11', 'commission:cv_1', 0, 0)", id, brand.brandId);
    await ledger('le_1');
    await expect(ledger('le_2')).rejects.toThrow(/UNIQUE/);
  });

  it('allows one refund per brand and refund id, one payout per creator, period and currency, one code per brand', async () => {
    const brand = await createBrand();
    const { creator, enrollment } = await createLinkedCreator(brand);
    const refund = (id: string) =>
      run("INSERT INTO refunds (id, brand_id, external_refund_id, external_order_id, amount_minor, currency, occurred_at, status, source, payload_hash, created_at) VALUES (?, ?, 'r-1', 'o-1', 100, 'USD', 0, 'pending', 'api', 'h', 0)", id, brand.brandId);
    await refund('rf_1');
    await expect(refund('rf_2')).rejects.toThrow(/UNIQUE/);
    const payout = (id: string) => run("INSERT INTO payouts (id, brand_id, creator_id, period, currency, amount_minor, created_at) VALUES (?, ?, ?, '2026-11', 'USD', 100, 0)", id, brand.brandId, creator.id);
    await payout('po_1');
    await expect(payout('po_2')).rejects.toThrow(/UNIQUE/);
    const code = (id: string) =>
      run("INSERT INTO discount_codes (id, brand_id, enrollment_id, code, discount_type, discount_value, created_at) VALUES (?, ?, ?, 'SARAH15', 'percent', 15, 0)", id, brand.brandId, enrollment.id);
    await code('dc_1');
    await expect(code('dc_2')).rejects.toThrow(/UNIQUE/);
  });

  it('enrolls a creator in a campaign once, and rejects rows pointing at nothing', async () => {
    const brand = await createBrand();
    const { campaign, creator } = await createLinkedCreator(brand);
    await expect(
      run("INSERT INTO enrollments (id, brand_id, campaign_id, creator_id, payment_model, created_at) VALUES ('enr_dup', ?, ?, ?, 'affiliate', 0)", brand.brandId, campaign.id, creator.id),
    ).rejects.toThrow(/UNIQUE/);
    await expect(
      run("INSERT INTO enrollments (id, brand_id, campaign_id, creator_id, payment_model, created_at) VALUES ('enr_orphan', ?, 'cmp_missing', ?, 'affiliate', 0)", brand.brandId, creator.id),
    ).rejects.toThrow(/FOREIGN KEY/);
  });
});

describe('hot-path query plans', () => {
  async function plan(sql: string, ...params: unknown[]): Promise<string> {
    const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params).all<{ detail: string }>();
    return results.map((r) => r.detail).join('\n');
  }

  it('resolves a redirect through indexes only', async () => {
    const detail = await plan(`SELECT l.id FROM links l JOIN enrollments e ON e.id = l.enrollment_id JOIN campaigns c ON c.id = e.campaign_id
      JOIN creators cr ON cr.id = e.creator_id JOIN brands b ON b.id = l.brand_id WHERE l.slug = 'x'`);
    expect(detail).not.toMatch(/\bSCAN\b/);
    expect(detail).toMatch(/SEARCH l USING INDEX links_slug_unique/);
  });

  it('finds a visitor\'s recent clicks and a day of a link through indexes', async () => {
    expect(await plan("SELECT 1 FROM clicks WHERE link_id = 'l' AND identity_hash = 'h' AND is_bot = 0 AND at > 0")).toMatch(/clicks_link_identity_at/);
    expect(await plan("SELECT count(*) FROM clicks WHERE link_id = 'l' AND at >= 0 AND at < 1")).toMatch(/USING (COVERING )?INDEX clicks_link/);
  });

  it('rolls up only the clicks still pending, not the day of the link', async () => {
    const detail = await plan(`SELECT link_id, count(*) FROM clicks WHERE (counted = 0 OR counted_unique <> (is_bot = 0 AND is_duplicate = 0)) GROUP BY link_id`);
    expect(detail).toMatch(/USING (COVERING )?INDEX clicks_rollup_pending/);
  });

  it('claims only unpaid entries when a period closes, however much paid history sits before it', async () => {
    const detail = await plan("SELECT creator_id FROM ledger_entries WHERE brand_id = 'b' AND payout_id IS NULL AND available_at < 1 AND period <= '2026-10' GROUP BY creator_id, currency");
    expect(detail).toMatch(/USING INDEX ledger_unpaid/);
  });

  it('sums the entries of one export page of payouts, not of every remaining payout', async () => {
    const detail = await plan(PAGE_SQL, 'b', '2026-10', '', '', '', 100);
    expect(detail).toMatch(/SEARCH p USING INDEX payouts_brand_period/);
    expect(detail).toMatch(/SEARCH l USING (?:COVERING )?INDEX ledger_payout_at \(payout_id=\?\)/);
    expect(detail).not.toMatch(/SCAN l\b/);
  });
});
