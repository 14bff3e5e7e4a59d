CREATE TABLE `admin_reset_tokens` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`email` text NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `admin_reset_tokens_email_sent` ON `admin_reset_tokens` (`email`,`created_at`);