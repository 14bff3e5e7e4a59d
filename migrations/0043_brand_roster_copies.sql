DROP INDEX `creators_handle_unique`;--> statement-breakpoint
-- SQLite adds a NOT NULL column only with a default; every insert names all three, so '' is never kept.
ALTER TABLE `brand_creators` ADD `handle` text NOT NULL DEFAULT '';--> statement-breakpoint
ALTER TABLE `brand_creators` ADD `display_name` text NOT NULL DEFAULT '';--> statement-breakpoint
ALTER TABLE `brand_creators` ADD `email` text NOT NULL DEFAULT '';--> statement-breakpoint
-- Rosters from before: each brand's copy is the account as it stands (handles were one per account, so each
-- brand's stay distinct). Filled in before the handle index exists.
UPDATE `brand_creators` SET `handle` = c.`handle`, `display_name` = c.`display_name`, `email` = c.`email` FROM `creators` c WHERE c.`id` = `brand_creators`.`creator_id`;--> statement-breakpoint
CREATE UNIQUE INDEX `brand_creators_handle` ON `brand_creators` (`brand_id`,`handle`);--> statement-breakpoint
CREATE VIEW `roster` AS SELECT r.brand_id, r.creator_id, r.handle,
    CASE WHEN r.accepted_at IS NULL THEN r.display_name ELSE c.display_name END AS display_name,
    CASE WHEN r.accepted_at IS NULL THEN r.email ELSE c.email END AS email,
    r.niche, r.platform, r.follower_count, r.accepted_at, r.created_at
  FROM brand_creators r JOIN creators c ON c.id = r.creator_id;
