CREATE TABLE `stripe_invoice_payments` (
	`brand_id` text NOT NULL,
	`payment_ref` text NOT NULL,
	`invoice_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`brand_id`, `payment_ref`),
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `stripe_invoice_payments_invoice` ON `stripe_invoice_payments` (`brand_id`,`invoice_id`);--> statement-breakpoint
CREATE INDEX `stripe_invoice_payments_created` ON `stripe_invoice_payments` (`created_at`);--> statement-breakpoint
CREATE TABLE `subscription_referrals` (
	`id` text PRIMARY KEY NOT NULL,
	`brand_id` text NOT NULL,
	`subscription_id` text NOT NULL,
	`enrollment_id` text NOT NULL,
	`attribution` text NOT NULL,
	`code_raw` text,
	`referred_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`enrollment_id`) REFERENCES `enrollments`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `subscription_referrals_brand_subscription` ON `subscription_referrals` (`brand_id`,`subscription_id`);--> statement-breakpoint
ALTER TABLE `campaigns` ADD `renewal_months` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `conversions` ADD `subscription_id` text;--> statement-breakpoint
ALTER TABLE `conversions` ADD `renewal_of` text;--> statement-breakpoint
CREATE INDEX `conversions_brand_subscription` ON `conversions` (`brand_id`,`subscription_id`,`occurred_at`) WHERE subscription_id IS NOT NULL;