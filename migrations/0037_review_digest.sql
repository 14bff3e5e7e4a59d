ALTER TABLE `admin_users` ADD `review_digest` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `admin_users` ADD `review_digest_at` integer;