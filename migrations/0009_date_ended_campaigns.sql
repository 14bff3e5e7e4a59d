-- Campaigns ended by their status while a planned end was still ahead (before domain/codes.ts,
-- campaignEndsAtFor, kept an ended campaign's end no later than when it ended): pull that date back to this
-- migration, so it cannot bring the campaign's links and codes back. Ended campaigns with no date keep none:
-- they count as ended for every order, as they did.
UPDATE campaigns SET ends_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000 WHERE status = 'ended' AND ends_at > CAST(strftime('%s', 'now') AS INTEGER) * 1000;
