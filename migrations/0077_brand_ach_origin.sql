ALTER TABLE `brands` ADD `ach_company_name` text;--> statement-breakpoint
ALTER TABLE `brands` ADD `ach_company_id` text;--> statement-breakpoint
ALTER TABLE `brands` ADD `ach_odfi_routing` text;--> statement-breakpoint
ALTER TABLE `brands` ADD `ach_odfi_name` text;