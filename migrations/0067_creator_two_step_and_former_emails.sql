ALTER TABLE `creators` ADD `former_emails` text;--> statement-breakpoint
ALTER TABLE `creators` ADD `two_step_reset_mail_due_at` integer;--> statement-breakpoint
ALTER TABLE `creators` ADD `two_step_reset_mail_claimed_at` integer;--> statement-breakpoint
ALTER TABLE `creators` ADD `two_step_reset_mail_to` text;--> statement-breakpoint
CREATE INDEX `creators_two_step_reset_mail_due` ON `creators` (`two_step_reset_mail_due_at`) WHERE two_step_reset_mail_due_at IS NOT NULL;