ALTER TABLE `brands` ADD `self_purchases_earn` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `conversions` ADD `self_purchase` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `conversions` ADD `buyer_creator_ids` text;