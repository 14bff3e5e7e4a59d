CREATE TABLE `gift_products` (
	`id` text PRIMARY KEY NOT NULL,
	`brand_id` text NOT NULL,
	`campaign_id` text NOT NULL,
	`title` text NOT NULL,
	`options` text NOT NULL,
	`sku` text,
	`value_minor` integer DEFAULT 0 NOT NULL,
	`archived_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `gift_products_campaign` ON `gift_products` (`campaign_id`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `gift_requests` (
	`id` text PRIMARY KEY NOT NULL,
	`brand_id` text NOT NULL,
	`campaign_id` text NOT NULL,
	`enrollment_id` text NOT NULL,
	`status` text NOT NULL,
	`items` text NOT NULL,
	`address` text NOT NULL,
	`value_minor` integer NOT NULL,
	`carrier` text,
	`tracking_number` text,
	`tracking_url` text,
	`decline_reason` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`shipped_at` integer,
	`received_at` integer,
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`enrollment_id`) REFERENCES `enrollments`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `gift_requests_live` ON `gift_requests` (`enrollment_id`) WHERE status IN ('requested', 'shipped', 'received');--> statement-breakpoint
CREATE INDEX `gift_requests_campaign` ON `gift_requests` (`campaign_id`,`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `gift_requests_enrollment` ON `gift_requests` (`enrollment_id`,`updated_at`);--> statement-breakpoint
ALTER TABLE `campaigns` ADD `gifting_open` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `campaigns` ADD `gift_choices` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `creators` ADD `shipping_address` text;