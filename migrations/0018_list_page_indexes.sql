DROP INDEX `enrollments_brand`;--> statement-breakpoint
CREATE INDEX `enrollments_brand_at` ON `enrollments` (`brand_id`,`created_at`,`id`);--> statement-breakpoint
DROP INDEX `links_brand`;--> statement-breakpoint
CREATE INDEX `links_brand_at` ON `links` (`brand_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `brand_creators_brand_at` ON `brand_creators` (`brand_id`,`created_at`,`creator_id`);--> statement-breakpoint
CREATE INDEX `discount_codes_brand_at` ON `discount_codes` (`brand_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `submissions_brand_updated` ON `submissions` (`brand_id`,`updated_at`,`id`);