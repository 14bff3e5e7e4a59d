CREATE TABLE `stripe_invoice_payments` (
	`brand_id` text NOT NULL,
	`payment_intent` text NOT NULL,
	`invoice_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`brand_id`, `payment_intent`),
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
ALTER TABLE `campaigns` ADD `renewal_months` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `conversions` ADD `renewal_of` text;--> statement-breakpoint
CREATE INDEX `conversions_brand_customer` ON `conversions` (`brand_id`,`customer_ref`,`occurred_at`) WHERE customer_ref IS NOT NULL AND renewal_of IS NULL AND attribution <> 'none';