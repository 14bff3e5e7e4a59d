CREATE TABLE `rights_extensions` (
	`id` text PRIMARY KEY NOT NULL,
	`brand_id` text NOT NULL,
	`submission_id` text NOT NULL,
	`status` text NOT NULL,
	`days` integer,
	`scopes` text NOT NULL,
	`fee_minor` integer DEFAULT 0 NOT NULL,
	`currency` text NOT NULL,
	`note` text DEFAULT '' NOT NULL,
	`asked_by_type` text NOT NULL,
	`asked_by_id` text NOT NULL,
	`mailed_at` integer,
	`terms_text` text,
	`until_before` integer,
	`until_after` integer,
	`scopes_after` text,
	`answer_note` text,
	`answer_key` text,
	`created_at` integer NOT NULL,
	`answered_at` integer,
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`submission_id`) REFERENCES `submissions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `rights_extensions_open` ON `rights_extensions` (`submission_id`) WHERE status = 'open';--> statement-breakpoint
CREATE INDEX `rights_extensions_submission` ON `rights_extensions` (`submission_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `rights_extensions_brand_answered` ON `rights_extensions` (`brand_id`,`answered_at`) WHERE answered_at IS NOT NULL;--> statement-breakpoint
ALTER TABLE `submissions` ADD `rights_extension_id` text;