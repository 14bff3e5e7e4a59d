-- The late-attribution sweep looks at each waiting order when it is due (click_look_at, or created_at
-- before its first look) instead of every waiting order of the last 15 days on every run.
DROP INDEX `conversions_awaiting_since`;--> statement-breakpoint
ALTER TABLE `conversions` ADD `click_look_at` integer;--> statement-breakpoint
CREATE INDEX `conversions_click_look` ON `conversions` (coalesce("click_look_at", "created_at")) WHERE attribution = 'none' AND click_id IS NULL AND click_id_raw IS NOT NULL;--> statement-breakpoint
-- Orders that have waited 15 days already are past any click that can still land: they are not looked at
-- again (the sweep never looked past 15 days), so the first runs start with the orders it is for.
UPDATE `conversions` SET `click_look_at` = 9007199254740991
WHERE attribution = 'none' AND click_id IS NULL AND click_id_raw IS NOT NULL AND created_at <= CAST(strftime('%s', 'now') AS INTEGER) * 1000 - 15 * 86400000;
