DROP INDEX `clicks_link_at`;--> statement-breakpoint
CREATE INDEX `clicks_unique_visits` ON `clicks` (`link_id`,`identity_hash`,`at`) WHERE is_bot = 0 AND is_duplicate = 0;