DROP INDEX `brand_integrations_provider_account`;--> statement-breakpoint
CREATE INDEX `brand_integrations_account` ON `brand_integrations` (`provider`,`external_account`);