CREATE TABLE `declined_commissions` (
	`id` text PRIMARY KEY NOT NULL,
	`brand_id` text NOT NULL,
	`conversion_id` text NOT NULL,
	`refund_id` text NOT NULL,
	`reason` text NOT NULL,
	`note` text,
	`actor_type` text NOT NULL,
	`actor_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`reinstated_at` integer,
	`reinstated_by_type` text,
	`reinstated_by_id` text,
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`conversion_id`) REFERENCES `conversions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `declined_commissions_standing` ON `declined_commissions` (`conversion_id`) WHERE reinstated_at IS NULL;--> statement-breakpoint
CREATE INDEX `declined_commissions_conversion` ON `declined_commissions` (`conversion_id`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `declined_commissions_refund` ON `declined_commissions` (`refund_id`);