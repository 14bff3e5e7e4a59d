CREATE TABLE `invitation_mails` (
	`campaign_id` text NOT NULL,
	`email` text NOT NULL,
	`brand_id` text NOT NULL,
	`sent_at` integer NOT NULL,
	PRIMARY KEY(`campaign_id`, `email`),
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `invitation_mails_brand_sent` ON `invitation_mails` (`brand_id`,`sent_at`);