ALTER TABLE `admin_users` ADD `weekly_report` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `admin_users` ADD `weekly_report_week` text;--> statement-breakpoint
CREATE INDEX `brands_timezone` ON `brands` (`timezone`);