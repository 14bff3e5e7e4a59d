CREATE TABLE `webhook_receipts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`brand_id` text NOT NULL,
	`integration_id` text NOT NULL,
	`provider` text NOT NULL,
	`account` text NOT NULL,
	`topic` text NOT NULL,
	`ref` text,
	`status` integer NOT NULL,
	`outcome` text NOT NULL,
	`detail` text,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `webhook_receipts_brand` ON `webhook_receipts` (`brand_id`,`id`);--> statement-breakpoint
CREATE INDEX `webhook_receipts_integration` ON `webhook_receipts` (`integration_id`,`id`);