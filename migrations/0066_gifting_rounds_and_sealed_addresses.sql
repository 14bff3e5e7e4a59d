-- Gifting rounds: a creator gets one gift per round of a campaign (gift_requests_live now per round), and has one
-- open request at a time whatever its round (gift_requests_open). Shipping addresses are sealed under SECRETS_KEY
-- from now on; SQL has no key, so the rows written before are sealed by the cron (jobs/gift-addresses.ts), which
-- finds them by the *_address_plain partial indexes, empty once it has. An erasure before this wrote a placeholder
-- address ("Closed account", every line empty) on the request and its gift.requested events: those are the removed
-- form now ('' and null), so the cron seals nothing there and every page says "Address removed".
DROP INDEX `gift_requests_live`;--> statement-breakpoint
DROP INDEX `gift_requests_campaign`;--> statement-breakpoint
ALTER TABLE `gift_requests` ADD `round` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `gift_requests_open` ON `gift_requests` (`enrollment_id`) WHERE status IN ('requested', 'shipped');--> statement-breakpoint
CREATE INDEX `gift_requests_campaign_at` ON `gift_requests` (`campaign_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `gift_requests_address_held` ON `gift_requests` (`status`,`updated_at`) WHERE address <> '';--> statement-breakpoint
CREATE INDEX `gift_requests_address_plain` ON `gift_requests` (`id`) WHERE substr(address, 1, 1) = '{';--> statement-breakpoint
CREATE UNIQUE INDEX `gift_requests_live` ON `gift_requests` (`enrollment_id`,`round`) WHERE status IN ('requested', 'shipped', 'received');--> statement-breakpoint
CREATE INDEX `gift_requests_campaign` ON `gift_requests` (`campaign_id`,`status`,`created_at`,`id`);--> statement-breakpoint
ALTER TABLE `campaigns` ADD `gift_round` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
CREATE INDEX `creators_address_plain` ON `creators` (`id`) WHERE substr(shipping_address, 1, 1) = '{';--> statement-breakpoint
CREATE INDEX `webhook_events_gift_address_plain` ON `webhook_events` (`id`) WHERE type = 'gift.requested' AND json_type(payload, '$.giftRequest.address') = 'object';--> statement-breakpoint
UPDATE `gift_requests` SET `address` = '' WHERE `address` = '{"name":"Closed account","line1":"","line2":"","city":"","region":"","postalCode":"","country":"","phone":""}';--> statement-breakpoint
UPDATE `webhook_events` SET `payload` = json_replace(`payload`, '$.giftRequest.address', NULL) WHERE `type` = 'gift.requested' AND json_extract(`payload`, '$.giftRequest.address.name') = 'Closed account' AND json_extract(`payload`, '$.giftRequest.address.line1') = '';