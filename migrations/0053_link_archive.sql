ALTER TABLE `links` ADD `made_by` text DEFAULT 'brand' NOT NULL;--> statement-breakpoint
ALTER TABLE `links` ADD `archived_at` integer;--> statement-breakpoint
-- Links creators made in their portal before this column: each was audited as made by the creator.
UPDATE `links` SET `made_by` = 'creator' WHERE `id` IN (SELECT `target_id` FROM `audit_log` WHERE `action` = 'link.created' AND `actor_type` = 'creator');
