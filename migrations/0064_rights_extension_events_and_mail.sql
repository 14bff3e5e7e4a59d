-- A mail about a request to extend usage rights is claimed before it is sent, and mailed_at says it was
-- (jobs/rights-extension-mail.ts).
ALTER TABLE `rights_extensions` ADD `mail_claimed_at` integer;--> statement-breakpoint
CREATE INDEX `rights_extensions_unmailed` ON `rights_extensions` (`created_at`) WHERE status = 'open' AND mailed_at IS NULL;--> statement-breakpoint
-- Endpoints subscribed to every event type a new endpoint got by default (all but gift.requested, whether by default
-- or ticked one by one; those with gift.requested too) also get the rights_extension events, as 0061 gave such
-- endpoints the gift events. Any other list is left as it is.
UPDATE `webhook_endpoints` SET `events` = json_insert(`events`, '$[#]', 'rights_extension.requested', '$[#]', 'rights_extension.accepted', '$[#]', 'rights_extension.declined', '$[#]', 'rights_extension.withdrawn')
WHERE (SELECT count(DISTINCT value) FROM json_each(`events`) WHERE value IN ('conversion.created', 'conversion.attributed', 'conversion.reversed', 'refund.failed', 'submission.submitted', 'submission.reviewed', 'payout.closed', 'gift.shipped', 'gift.received', 'gift.declined')) = 10
  AND NOT EXISTS (SELECT 1 FROM json_each(`events`) WHERE value LIKE 'rights_extension.%');
