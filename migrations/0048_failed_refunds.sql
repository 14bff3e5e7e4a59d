ALTER TABLE `refunds` ADD `failed_at` integer;--> statement-breakpoint
-- Endpoints subscribed to every event type there was (the default) also get the new refund.failed.
UPDATE `webhook_endpoints` SET `events` = json_insert(`events`, '$[#]', 'refund.failed')
WHERE (SELECT count(DISTINCT value) FROM json_each(`events`) WHERE value IN ('conversion.created', 'conversion.attributed', 'conversion.reversed', 'submission.submitted', 'submission.reviewed', 'payout.closed')) = 6
  AND NOT EXISTS (SELECT 1 FROM json_each(`events`) WHERE value = 'refund.failed');
