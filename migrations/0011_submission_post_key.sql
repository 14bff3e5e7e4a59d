ALTER TABLE `submissions` ADD `post_key` text;--> statement-breakpoint
CREATE INDEX `submissions_brand_post` ON `submissions` (`brand_id`,`post_key`);--> statement-breakpoint
-- Posts already live keep their link as their key; new ones are keyed by the post the link names.
UPDATE `submissions` SET `post_key` = `post_url` WHERE `post_url` IS NOT NULL;
