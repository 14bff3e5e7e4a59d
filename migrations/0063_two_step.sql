CREATE TABLE `recovery_codes` (
	`subject_type` text NOT NULL,
	`subject_id` text NOT NULL,
	`code_hash` text NOT NULL,
	`used_at` integer,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`subject_type`, `subject_id`, `code_hash`)
);
--> statement-breakpoint
CREATE TABLE `two_step_factors` (
	`subject_type` text NOT NULL,
	`subject_id` text NOT NULL,
	`secret_enc` text NOT NULL,
	`last_step` integer NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`subject_type`, `subject_id`)
);
--> statement-breakpoint
ALTER TABLE `brands` ADD `require_two_step` integer DEFAULT false NOT NULL;