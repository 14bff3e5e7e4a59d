ALTER TABLE `creators` ADD `earnings_digest` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `creators` ADD `earnings_digest_at` integer;--> statement-breakpoint
ALTER TABLE `creators` ADD `earnings_digest_from` integer;--> statement-breakpoint
CREATE INDEX `ledger_new_earnings` ON `ledger_entries` (`created_at`,`creator_id`,`kind`) WHERE kind IN ('commission', 'flat_fee');