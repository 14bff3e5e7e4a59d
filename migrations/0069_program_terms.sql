CREATE TABLE `program_terms` (
	`id` text PRIMARY KEY NOT NULL,
	`brand_id` text NOT NULL,
	`version` integer NOT NULL,
	`body` text NOT NULL,
	`published_at` integer NOT NULL,
	`published_by_type` text NOT NULL,
	`published_by_id` text NOT NULL,
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `program_terms_brand_version` ON `program_terms` (`brand_id`,`version`);--> statement-breakpoint
CREATE TABLE `terms_acceptances` (
	`id` text PRIMARY KEY NOT NULL,
	`brand_id` text NOT NULL,
	`creator_id` text NOT NULL,
	`version` integer NOT NULL,
	`via` text NOT NULL,
	`accepted_at` integer NOT NULL,
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `terms_acceptances_brand_creator_version` ON `terms_acceptances` (`brand_id`,`creator_id`,`version`);--> statement-breakpoint
CREATE INDEX `terms_acceptances_creator` ON `terms_acceptances` (`creator_id`,`accepted_at`);--> statement-breakpoint
ALTER TABLE `applications` ADD `terms_version` integer;