CREATE TABLE `content_due_reminders` (
	`enrollment_id` text NOT NULL,
	`due_at` integer NOT NULL,
	`brand_id` text NOT NULL,
	`claimed_at` integer NOT NULL,
	PRIMARY KEY(`enrollment_id`, `due_at`),
	FOREIGN KEY (`enrollment_id`) REFERENCES `enrollments`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
ALTER TABLE `campaigns` ADD `content_due_at` integer;--> statement-breakpoint
CREATE INDEX `campaigns_content_due` ON `campaigns` (`content_due_at`) WHERE content_due_at IS NOT NULL;--> statement-breakpoint
ALTER TABLE `creators` ADD `due_reminders` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `enrollments` ADD `content_due_at` integer;--> statement-breakpoint
CREATE INDEX `enrollments_content_due` ON `enrollments` (`content_due_at`) WHERE content_due_at IS NOT NULL;