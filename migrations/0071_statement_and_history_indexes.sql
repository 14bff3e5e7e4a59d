CREATE INDEX `ledger_payout_at` ON `ledger_entries` (`payout_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `message_threads_creator` ON `message_threads` (`creator_id`);--> statement-breakpoint
CREATE INDEX `messages_creator` ON `messages` (`creator_id`,`brand_id`);--> statement-breakpoint
CREATE INDEX `recovery_codes_used` ON `recovery_codes` (`used_at`) WHERE used_at IS NOT NULL;--> statement-breakpoint
CREATE INDEX `terms_acceptances_brand_version_at` ON `terms_acceptances` (`brand_id`,`version`,`accepted_at`,`id`,`creator_id`);--> statement-breakpoint
-- The wider index first, so no moment is left without one on payout_id.
DROP INDEX `ledger_payout`;
