-- A click counts on its brand's calendar day, not the UTC one: the day moves onto the click, where the
-- consumer writes it in the brand's timezone. Clicks already stored were rolled up by their UTC day and
-- keep it. SQLite cannot add a NOT NULL column without a default, so the table is rebuilt (nothing
-- references clicks by foreign key).
CREATE TABLE `__new_clicks` (
	`id` text PRIMARY KEY NOT NULL,
	`brand_id` text NOT NULL,
	`link_id` text NOT NULL,
	`at` integer NOT NULL,
	`day` text NOT NULL,
	`country` text,
	`device` text NOT NULL,
	`referrer_host` text,
	`identity_hash` text NOT NULL,
	`is_bot` integer NOT NULL,
	`is_duplicate` integer NOT NULL,
	`counted` integer DEFAULT true NOT NULL,
	`counted_unique` integer DEFAULT false NOT NULL
);
--> statement-breakpoint
INSERT INTO `__new_clicks` (`id`, `brand_id`, `link_id`, `at`, `day`, `country`, `device`, `referrer_host`, `identity_hash`, `is_bot`, `is_duplicate`, `counted`, `counted_unique`)
SELECT `id`, `brand_id`, `link_id`, `at`, strftime('%Y-%m-%d', `at` / 1000, 'unixepoch'), `country`, `device`, `referrer_host`, `identity_hash`, `is_bot`, `is_duplicate`, `counted`, `counted_unique` FROM `clicks`;--> statement-breakpoint
DROP TABLE `clicks`;--> statement-breakpoint
ALTER TABLE `__new_clicks` RENAME TO `clicks`;--> statement-breakpoint
CREATE INDEX `clicks_link_identity_at` ON `clicks` (`link_id`,`identity_hash`,`at`);--> statement-breakpoint
CREATE INDEX `clicks_unique_visits` ON `clicks` (`link_id`,`identity_hash`,`at`) WHERE is_bot = 0 AND is_duplicate = 0;--> statement-breakpoint
CREATE INDEX `clicks_rollup_pending` ON `clicks` (`link_id`,`at`) WHERE counted = 0 OR counted_unique <> (is_bot = 0 AND is_duplicate = 0);--> statement-breakpoint
CREATE INDEX `clicks_brand_at` ON `clicks` (`brand_id`,`at`);
