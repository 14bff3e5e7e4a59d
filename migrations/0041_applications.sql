CREATE TABLE `applications` (
	`id` text PRIMARY KEY NOT NULL,
	`brand_id` text NOT NULL,
	`campaign_id` text NOT NULL,
	`email` text NOT NULL,
	`handle` text NOT NULL,
	`name` text NOT NULL,
	`platform` text NOT NULL,
	`follower_count` integer,
	`niche` text,
	`profile_url` text,
	`pitch` text DEFAULT '' NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`decided_at` integer,
	`decided_by` text,
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `applications_campaign_email` ON `applications` (`campaign_id`,`email`);--> statement-breakpoint
CREATE INDEX `applications_campaign_status` ON `applications` (`campaign_id`,`status`,`created_at`);--> statement-breakpoint
ALTER TABLE `campaigns` ADD `applications_open` integer DEFAULT false NOT NULL;