ALTER TABLE `campaigns` ADD `usage_rights` text;--> statement-breakpoint
ALTER TABLE `submissions` ADD `rights_terms` text;--> statement-breakpoint
ALTER TABLE `submissions` ADD `rights_granted_at` integer;--> statement-breakpoint
ALTER TABLE `submissions` ADD `rights_until` integer;--> statement-breakpoint
CREATE INDEX `submissions_brand_rights` ON `submissions` (`brand_id`,`rights_until`) WHERE rights_until IS NOT NULL;