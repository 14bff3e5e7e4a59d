CREATE TABLE `creator_tags` (
	`brand_id` text NOT NULL,
	`creator_id` text NOT NULL,
	`tag` text NOT NULL,
	PRIMARY KEY(`brand_id`, `creator_id`, `tag`),
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`brand_id`,`creator_id`) REFERENCES `brand_creators`(`brand_id`,`creator_id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `creator_tags_brand_tag` ON `creator_tags` (`brand_id`,`tag`,`creator_id`);