CREATE TABLE `stripe_charges` (
	`brand_id` text NOT NULL,
	`charge_ref` text NOT NULL,
	`amount_minor` integer NOT NULL,
	`currency` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`brand_id`, `charge_ref`),
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `stripe_charges_created` ON `stripe_charges` (`created_at`);--> statement-breakpoint
CREATE TABLE `stripe_refund_failures` (
	`brand_id` text NOT NULL,
	`refund_ref` text NOT NULL,
	`charge_ref` text NOT NULL,
	`payment_ref` text NOT NULL,
	`amount_minor` integer NOT NULL,
	`currency` text NOT NULL,
	`failed_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`brand_id`, `refund_ref`),
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `stripe_refund_failures_charge` ON `stripe_refund_failures` (`brand_id`,`charge_ref`);--> statement-breakpoint
CREATE INDEX `stripe_refund_failures_created` ON `stripe_refund_failures` (`created_at`);