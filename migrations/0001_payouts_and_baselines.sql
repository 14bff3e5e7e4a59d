CREATE TABLE `period_closes` (
	`brand_id` text NOT NULL,
	`period` text NOT NULL,
	`close_id` text NOT NULL,
	`closed_by` text NOT NULL,
	`closed_at` integer NOT NULL,
	PRIMARY KEY(`brand_id`, `period`),
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
ALTER TABLE `campaigns` ADD `baseline_cost_minor` integer;--> statement-breakpoint
ALTER TABLE `campaigns` ADD `baseline_engaged` integer;--> statement-breakpoint
CREATE INDEX `payouts_brand_period` ON `payouts` (`brand_id`,`period`);