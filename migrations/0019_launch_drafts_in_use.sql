-- Until drafts were closed (worker/domain/codes.ts, placementStopped), a draft campaign's links and codes
-- worked like a live one's. A draft that was already in use, with a click on one of its links or an order
-- credited to it, was live in all but name: it becomes active, its dates as they were, so its links, codes
-- and the clicks they recorded keep earning. A draft nobody has used stays a draft.
UPDATE campaigns SET status = 'active'
WHERE status = 'draft' AND (
  EXISTS (SELECT 1 FROM enrollments e JOIN links l ON l.enrollment_id = e.id JOIN click_rollups r ON r.link_id = l.id WHERE e.campaign_id = campaigns.id AND r.clicks > r.bots)
  OR EXISTS (SELECT 1 FROM enrollments e JOIN links l ON l.enrollment_id = e.id JOIN clicks k ON k.link_id = l.id WHERE e.campaign_id = campaigns.id AND k.is_bot = 0)
  OR EXISTS (SELECT 1 FROM enrollments e JOIN conversions cv ON cv.enrollment_id = e.id WHERE e.campaign_id = campaigns.id)
);
