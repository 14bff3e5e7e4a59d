CREATE TABLE `campaign_updates` (
	`id` text PRIMARY KEY NOT NULL,
	`brand_id` text NOT NULL,
	`campaign_id` text NOT NULL,
	`title` text NOT NULL,
	`body` text NOT NULL,
	`author_type` text NOT NULL,
	`author_id` text NOT NULL,
	`mailed` integer DEFAULT 0 NOT NULL,
	`form_key` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `campaign_updates_campaign_at` ON `campaign_updates` (`campaign_id`,`created_at`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `campaign_updates_form_key` ON `campaign_updates` (`campaign_id`,`form_key`);