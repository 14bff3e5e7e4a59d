// The redirect's one indexed read: a link by slug with everything the 302 needs, joined on primary keys.
import { placementOpen } from '../domain/codes';

export type LinkRoute = {
  linkId: string;
  brandId: string;
  destination: string;
  active: boolean;
  handle: string;
  campaignSlug: string;
  clickParam: string;
  fallbackUrl: string | null;
};

type Row = {
  link_id: string;
  brand_id: string;
  destination: string;
  link_status: string;
  enrollment_status: string;
  enrollment_removed_at: number | null;
  campaign_status: string;
  starts_at: number | null;
  ends_at: number | null;
  handle: string;
  campaign_slug: string;
  click_param: string;
  fallback_url: string | null;
  erased_at: number | null;
};

const LINK_ROUTE_SQL = `SELECT l.id AS link_id, l.brand_id, l.destination, l.status AS link_status,
  e.status AS enrollment_status, e.removed_at AS enrollment_removed_at, c.status AS campaign_status, c.starts_at, c.ends_at, cr.handle, c.slug AS campaign_slug,
  b.click_param, b.fallback_url, cr.erased_at
FROM links l
JOIN enrollments e ON e.id = l.enrollment_id
JOIN campaigns c ON c.id = e.campaign_id
JOIN brand_creators cr ON cr.brand_id = e.brand_id AND cr.creator_id = e.creator_id
JOIN brands b ON b.id = l.brand_id
WHERE l.slug = ?`;

export async function findLinkRoute(db: D1Database, slug: string, now: number): Promise<LinkRoute | null> {
  const row = await db.prepare(LINK_ROUTE_SQL).bind(slug).first<Row>();
  if (!row) return null;
  const campaign = { campaignStatus: row.campaign_status, campaignStartsAt: row.starts_at, campaignEndsAt: row.ends_at };
  const open = row.link_status === 'active' && placementOpen({ enrollmentStatus: row.enrollment_status, enrollmentRemovedAt: row.enrollment_removed_at, ...campaign }, now);
  // A closed account's link (db/creator-erasure.ts) still sends shoppers from old posts where it pointed while the
  // link and its campaign would be open, as a fallback does: no click id, no click, no creator named.
  const erasedButOpen = row.erased_at !== null && row.link_status === 'active' && placementOpen({ enrollmentStatus: 'active', enrollmentRemovedAt: null, ...campaign }, now);
  return {
    linkId: row.link_id,
    brandId: row.brand_id,
    destination: row.destination,
    active: open && row.erased_at === null,
    handle: row.handle,
    campaignSlug: row.campaign_slug,
    clickParam: row.click_param,
    fallbackUrl: erasedButOpen ? row.destination : row.fallback_url,
  };
}
