CREATE TABLE `invitation_mails` (
	`campaign_id` text NOT NULL,
	`email` text NOT NULL,
	`brand_id` text NOT NULL,
	`claimed_at` integer NOT NULL,
	`mailed_at` integer,
	`sends` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`campaign_id`, `email`),
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `invitation_mails_brand_claimed` ON `invitation_mails` (`brand_id`,`claimed_at`);