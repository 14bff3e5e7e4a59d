ALTER TABLE `brands` ADD `payer_name` text;--> statement-breakpoint
ALTER TABLE `brands` ADD `payer_iban` text;--> statement-breakpoint
ALTER TABLE `brands` ADD `payer_bic` text;