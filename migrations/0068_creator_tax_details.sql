ALTER TABLE `creators` ADD `tax_details_enc` text;--> statement-breakpoint
CREATE INDEX `payouts_brand_paid_at` ON `payouts` (`brand_id`,`paid_at`);