CREATE TABLE `message_threads` (
	`brand_id` text NOT NULL,
	`creator_id` text NOT NULL,
	`last_message_at` integer NOT NULL,
	`brand_unread` integer DEFAULT 0 NOT NULL,
	`creator_unread` integer DEFAULT 0 NOT NULL,
	`brand_read_at` integer,
	`creator_read_at` integer,
	`brand_mail_due_at` integer,
	`creator_mail_due_at` integer,
	`brand_mailed_at` integer,
	`creator_mailed_at` integer,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`brand_id`, `creator_id`),
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `message_threads_brand_at` ON `message_threads` (`brand_id`,`last_message_at`,`creator_id`);--> statement-breakpoint
CREATE INDEX `message_threads_brand_unread` ON `message_threads` (`brand_id`,`last_message_at`,`creator_id`) WHERE brand_unread > 0;--> statement-breakpoint
CREATE INDEX `message_threads_brand_mail_due` ON `message_threads` (`brand_mail_due_at`) WHERE brand_mail_due_at IS NOT NULL;--> statement-breakpoint
CREATE INDEX `message_threads_creator_mail_due` ON `message_threads` (`creator_mail_due_at`) WHERE creator_mail_due_at IS NOT NULL;--> statement-breakpoint
CREATE TABLE `messages` (
	`id` text PRIMARY KEY NOT NULL,
	`brand_id` text NOT NULL,
	`creator_id` text NOT NULL,
	`author_type` text NOT NULL,
	`author_id` text NOT NULL,
	`body` text NOT NULL,
	`form_key` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `messages_thread_at` ON `messages` (`brand_id`,`creator_id`,`created_at`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `messages_form_key` ON `messages` (`brand_id`,`creator_id`,`form_key`);--> statement-breakpoint
ALTER TABLE `admin_users` ADD `message_mail` integer DEFAULT true NOT NULL;