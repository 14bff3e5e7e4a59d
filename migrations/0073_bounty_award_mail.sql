ALTER TABLE `bounty_awards` ADD `mailed_at` integer;--> statement-breakpoint
ALTER TABLE `bounty_awards` ADD `mail_claimed_at` integer;--> statement-breakpoint
CREATE INDEX `bounty_awards_unmailed` ON `bounty_awards` (`awarded_at`) WHERE mailed_at IS NULL;--> statement-breakpoint
-- Awards made before these mails existed are no news by now: recorded as done, not mailed late.
UPDATE `bounty_awards` SET `mailed_at` = `awarded_at` WHERE `mailed_at` IS NULL;