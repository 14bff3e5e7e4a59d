ALTER TABLE `api_keys` ADD `last_used_at` integer;--> statement-breakpoint
ALTER TABLE `brand_integrations` ADD `last_used_at` integer;