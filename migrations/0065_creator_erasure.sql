ALTER TABLE `brand_creators` ADD `erased_at` integer;--> statement-breakpoint
ALTER TABLE `creators` ADD `erased_at` integer;--> statement-breakpoint
ALTER TABLE `payouts` ADD `given_up_at` integer;--> statement-breakpoint
ALTER TABLE `webhook_events` ADD `creator_id` text GENERATED ALWAYS AS (coalesce(json_extract(payload, '$.conversion.creator.id'), json_extract(payload, '$.reversal.creator.id'), json_extract(payload, '$.givenBack.creator.id'), json_extract(payload, '$.submission.creator.id'), json_extract(payload, '$.payout.creator.id'), json_extract(payload, '$.giftRequest.creator.id'), json_extract(payload, '$.rightsExtension.creator.id'), json_extract(payload, '$.creator.id'))) VIRTUAL;--> statement-breakpoint
CREATE INDEX `webhook_events_creator` ON `webhook_events` (`creator_id`,`brand_id`);--> statement-breakpoint
CREATE INDEX `applications_email` ON `applications` (`email`);--> statement-breakpoint
CREATE INDEX `audit_log_target` ON `audit_log` (`target_id`,`action`);--> statement-breakpoint
DROP VIEW `roster`;--> statement-breakpoint
CREATE VIEW `roster` AS SELECT r.brand_id, r.creator_id, r.handle,
    CASE WHEN r.accepted_at IS NULL OR r.erased_at IS NOT NULL THEN r.display_name ELSE c.display_name END AS display_name,
    CASE WHEN r.accepted_at IS NULL OR r.erased_at IS NOT NULL THEN r.email ELSE c.email END AS email,
    r.niche, r.platform, r.follower_count, r.accepted_at, r.created_at, r.erased_at
  FROM brand_creators r JOIN creators c ON c.id = r.creator_id;--> statement-breakpoint
-- Endpoints subscribed to every event type there was but gift.requested (the default then, or all ten ticked: the
-- same list) also get creator.erased, which tells a brand's systems to forget a creator. It carries no personal data.
UPDATE `webhook_endpoints` SET `events` = json_insert(`events`, '$[#]', 'creator.erased')
WHERE (SELECT count(DISTINCT value) FROM json_each(`events`) WHERE value IN ('conversion.created', 'conversion.attributed', 'conversion.reversed', 'refund.failed', 'submission.submitted', 'submission.reviewed', 'payout.closed', 'gift.shipped', 'gift.received', 'gift.declined')) = 10
  AND NOT EXISTS (SELECT 1 FROM json_each(`events`) WHERE value = 'creator.erased');
