CREATE INDEX IF NOT EXISTS `conversions_awaiting_click` ON `conversions` (`click_id_raw`) WHERE attribution = 'none' AND click_id IS NULL AND click_id_raw IS NOT NULL;--> statement-breakpoint
CREATE INDEX IF NOT EXISTS `conversions_awaiting_since` ON `conversions` (`created_at`) WHERE attribution = 'none' AND click_id IS NULL AND click_id_raw IS NOT NULL;--> statement-breakpoint
-- Endpoints subscribed to every event type there was (the default) also get the new conversion.attributed.
UPDATE `webhook_endpoints` SET `events` = json_insert(`events`, '$[#]', 'conversion.attributed')
WHERE (SELECT count(DISTINCT value) FROM json_each(`events`) WHERE value IN ('conversion.created', 'conversion.reversed', 'submission.submitted', 'submission.reviewed', 'payout.closed')) = 5
  AND NOT EXISTS (SELECT 1 FROM json_each(`events`) WHERE value = 'conversion.attributed');
