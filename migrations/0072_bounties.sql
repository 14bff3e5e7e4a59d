CREATE TABLE `bounties` (
	`id` text PRIMARY KEY NOT NULL,
	`brand_id` text NOT NULL,
	`campaign_id` text NOT NULL,
	`title` text NOT NULL,
	`metric` text NOT NULL,
	`target` integer NOT NULL,
	`reward_minor` integer NOT NULL,
	`starts_at` integer NOT NULL,
	`ends_at` integer NOT NULL,
	`created_by_type` text NOT NULL,
	`created_by_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`archived_at` integer,
	`settled_at` integer,
	`checked_at` integer,
	`form_key` text,
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `bounties_campaign_at` ON `bounties` (`campaign_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `bounties_open` ON `bounties` (`checked_at`,`id`) WHERE archived_at IS NULL AND settled_at IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `bounties_form_key` ON `bounties` (`campaign_id`,`form_key`);--> statement-breakpoint
CREATE TABLE `bounty_awards` (
	`bounty_id` text NOT NULL,
	`enrollment_id` text NOT NULL,
	`brand_id` text NOT NULL,
	`ledger_entry_id` text NOT NULL,
	`awarded_at` integer NOT NULL,
	PRIMARY KEY(`bounty_id`, `enrollment_id`),
	FOREIGN KEY (`bounty_id`) REFERENCES `bounties`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`enrollment_id`) REFERENCES `enrollments`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `bounty_awards_bounty_at` ON `bounty_awards` (`bounty_id`,`awarded_at`,`enrollment_id`);--> statement-breakpoint
CREATE INDEX `bounty_awards_enrollment` ON `bounty_awards` (`enrollment_id`);