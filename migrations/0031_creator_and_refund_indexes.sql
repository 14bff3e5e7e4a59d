CREATE INDEX `ledger_refund` ON `ledger_entries` (`refund_id`) WHERE refund_id IS NOT NULL;--> statement-breakpoint
CREATE INDEX `payouts_creator` ON `payouts` (`creator_id`,`period`);