ALTER TABLE `admin_reset_tokens` ADD `purpose` text DEFAULT 'reset' NOT NULL;--> statement-breakpoint
ALTER TABLE `admin_reset_tokens` ADD `brand_id` text;--> statement-breakpoint
ALTER TABLE `admin_users` ADD `removed_at` integer;