ALTER TABLE `clicks` ADD `counted` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `clicks` ADD `counted_unique` integer DEFAULT false NOT NULL;--> statement-breakpoint
-- Rows already in the rollups were counted as what they are now.
UPDATE `clicks` SET `counted_unique` = (`is_bot` = 0 AND `is_duplicate` = 0);--> statement-breakpoint
CREATE INDEX `clicks_rollup_pending` ON `clicks` (`link_id`,`at`) WHERE counted = 0 OR counted_unique <> (is_bot = 0 AND is_duplicate = 0);