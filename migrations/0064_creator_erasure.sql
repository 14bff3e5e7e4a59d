ALTER TABLE `creators` ADD `erased_at` integer;--> statement-breakpoint
-- Endpoints subscribed to every event type there was but gift.requested (the default then, or all ten ticked: the
-- same list) also get creator.erased, which tells a brand's systems to forget a creator. It carries no personal data.
UPDATE `webhook_endpoints` SET `events` = json_insert(`events`, '$[#]', 'creator.erased')
WHERE (SELECT count(DISTINCT value) FROM json_each(`events`) WHERE value IN ('conversion.created', 'conversion.attributed', 'conversion.reversed', 'refund.failed', 'submission.submitted', 'submission.reviewed', 'payout.closed', 'gift.shipped', 'gift.received', 'gift.declined')) = 10
  AND NOT EXISTS (SELECT 1 FROM json_each(`events`) WHERE value = 'creator.erased');
