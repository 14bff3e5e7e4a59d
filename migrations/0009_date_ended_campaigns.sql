-- Campaigns ended by their status before their end was dated (domain/codes.ts, campaignEndsAtFor): date the
-- end at this migration, or at the planned end if that already passed, so a planned end still in the future
-- cannot bring an ended campaign's links and codes back.
UPDATE campaigns SET ends_at = MIN(COALESCE(ends_at, CAST(strftime('%s', 'now') AS INTEGER) * 1000), CAST(strftime('%s', 'now') AS INTEGER) * 1000) WHERE status = 'ended';
