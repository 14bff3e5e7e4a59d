CREATE TABLE `account_tokens` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`purpose` text NOT NULL,
	`creator_id` text NOT NULL,
	`brand_id` text NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `account_tokens_creator` ON `account_tokens` (`creator_id`);--> statement-breakpoint
CREATE TABLE `admin_users` (
	`id` text PRIMARY KEY NOT NULL,
	`brand_id` text NOT NULL,
	`email` text NOT NULL,
	`name` text NOT NULL,
	`role` text NOT NULL,
	`password_hash` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `admin_users_brand_email` ON `admin_users` (`brand_id`,`email`);--> statement-breakpoint
CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`brand_id` text NOT NULL,
	`scope` text NOT NULL,
	`name` text NOT NULL,
	`key_hash` text NOT NULL,
	`prefix` text NOT NULL,
	`secret_enc` text,
	`created_at` integer NOT NULL,
	`revoked_at` integer,
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_key_hash_unique` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_brand` ON `api_keys` (`brand_id`);--> statement-breakpoint
CREATE TABLE `audit_log` (
	`id` text PRIMARY KEY NOT NULL,
	`brand_id` text NOT NULL,
	`actor_type` text NOT NULL,
	`actor_id` text NOT NULL,
	`action` text NOT NULL,
	`target_type` text NOT NULL,
	`target_id` text NOT NULL,
	`details` text,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_log_brand_at` ON `audit_log` (`brand_id`,`at`);--> statement-breakpoint
CREATE TABLE `brand_creators` (
	`brand_id` text NOT NULL,
	`creator_id` text NOT NULL,
	`niche` text,
	`platform` text,
	`follower_count` integer,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`brand_id`, `creator_id`),
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `brand_creators_creator` ON `brand_creators` (`creator_id`);--> statement-breakpoint
CREATE TABLE `brand_integrations` (
	`id` text PRIMARY KEY NOT NULL,
	`brand_id` text NOT NULL,
	`provider` text NOT NULL,
	`external_account` text NOT NULL,
	`secret_enc` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `brand_integrations_provider_account` ON `brand_integrations` (`provider`,`external_account`);--> statement-breakpoint
CREATE INDEX `brand_integrations_brand` ON `brand_integrations` (`brand_id`);--> statement-breakpoint
CREATE TABLE `brands` (
	`id` text PRIMARY KEY NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`allowed_hosts` text NOT NULL,
	`currency` text DEFAULT 'USD' NOT NULL,
	`timezone` text DEFAULT 'UTC' NOT NULL,
	`click_param` text DEFAULT 'cid' NOT NULL,
	`fallback_url` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `brands_slug_unique` ON `brands` (`slug`);--> statement-breakpoint
CREATE TABLE `campaigns` (
	`id` text PRIMARY KEY NOT NULL,
	`brand_id` text NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`hashtag` text NOT NULL,
	`positioning_anchor` text DEFAULT '' NOT NULL,
	`non_negotiables` text NOT NULL,
	`disclosure_text` text DEFAULT '#ad' NOT NULL,
	`story_formats` text NOT NULL,
	`default_destination` text NOT NULL,
	`attribution_window_days` integer DEFAULT 30 NOT NULL,
	`commission_plan_id` text,
	`holding_days` integer DEFAULT 30 NOT NULL,
	`starts_at` integer,
	`ends_at` integer,
	`status` text DEFAULT 'active' NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`commission_plan_id`) REFERENCES `commission_plans`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `campaigns_brand_slug` ON `campaigns` (`brand_id`,`slug`);--> statement-breakpoint
CREATE TABLE `click_rollups` (
	`link_id` text NOT NULL,
	`day` text NOT NULL,
	`brand_id` text NOT NULL,
	`clicks` integer NOT NULL,
	`unique_clicks` integer NOT NULL,
	`bots` integer NOT NULL,
	PRIMARY KEY(`link_id`, `day`)
);
--> statement-breakpoint
CREATE INDEX `click_rollups_brand_day` ON `click_rollups` (`brand_id`,`day`);--> statement-breakpoint
CREATE TABLE `clicks` (
	`id` text PRIMARY KEY NOT NULL,
	`brand_id` text NOT NULL,
	`link_id` text NOT NULL,
	`at` integer NOT NULL,
	`country` text,
	`device` text NOT NULL,
	`referrer_host` text,
	`identity_hash` text NOT NULL,
	`is_bot` integer NOT NULL,
	`is_duplicate` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `clicks_link_identity_at` ON `clicks` (`link_id`,`identity_hash`,`at`);--> statement-breakpoint
CREATE INDEX `clicks_link_at` ON `clicks` (`link_id`,`at`);--> statement-breakpoint
CREATE INDEX `clicks_brand_at` ON `clicks` (`brand_id`,`at`);--> statement-breakpoint
CREATE TABLE `commission_plans` (
	`id` text PRIMARY KEY NOT NULL,
	`brand_id` text NOT NULL,
	`name` text NOT NULL,
	`period` text DEFAULT 'month' NOT NULL,
	`tiers` text NOT NULL,
	`bonus` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `commission_plans_brand` ON `commission_plans` (`brand_id`);--> statement-breakpoint
CREATE TABLE `conversions` (
	`id` text PRIMARY KEY NOT NULL,
	`brand_id` text NOT NULL,
	`external_order_id` text NOT NULL,
	`amount_minor` integer NOT NULL,
	`currency` text NOT NULL,
	`occurred_at` integer NOT NULL,
	`attribution` text NOT NULL,
	`enrollment_id` text,
	`code_raw` text,
	`code_id` text,
	`click_id_raw` text,
	`click_id` text,
	`customer_ref` text,
	`source` text NOT NULL,
	`payload_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `conversions_brand_order` ON `conversions` (`brand_id`,`external_order_id`);--> statement-breakpoint
CREATE INDEX `conversions_enrollment_at` ON `conversions` (`enrollment_id`,`occurred_at`);--> statement-breakpoint
CREATE INDEX `conversions_brand_at` ON `conversions` (`brand_id`,`occurred_at`);--> statement-breakpoint
CREATE TABLE `creators` (
	`id` text PRIMARY KEY NOT NULL,
	`email` text NOT NULL,
	`handle` text NOT NULL,
	`display_name` text NOT NULL,
	`password_hash` text,
	`payout_details_enc` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `creators_email_unique` ON `creators` (`email`);--> statement-breakpoint
CREATE UNIQUE INDEX `creators_handle_unique` ON `creators` (`handle`);--> statement-breakpoint
CREATE TABLE `discount_codes` (
	`id` text PRIMARY KEY NOT NULL,
	`brand_id` text NOT NULL,
	`enrollment_id` text NOT NULL,
	`code` text NOT NULL,
	`discount_type` text NOT NULL,
	`discount_value` integer NOT NULL,
	`max_redemptions` integer,
	`redemptions` integer DEFAULT 0 NOT NULL,
	`starts_at` integer,
	`ends_at` integer,
	`status` text DEFAULT 'active' NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`enrollment_id`) REFERENCES `enrollments`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `discount_codes_brand_code` ON `discount_codes` (`brand_id`,`code`);--> statement-breakpoint
CREATE INDEX `discount_codes_enrollment` ON `discount_codes` (`enrollment_id`);--> statement-breakpoint
CREATE TABLE `enrollments` (
	`id` text PRIMARY KEY NOT NULL,
	`brand_id` text NOT NULL,
	`campaign_id` text NOT NULL,
	`creator_id` text NOT NULL,
	`payment_model` text NOT NULL,
	`flat_fee_minor` integer DEFAULT 0 NOT NULL,
	`brief_section` text DEFAULT '' NOT NULL,
	`status` text DEFAULT 'invited' NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `enrollments_campaign_creator` ON `enrollments` (`campaign_id`,`creator_id`);--> statement-breakpoint
CREATE INDEX `enrollments_brand` ON `enrollments` (`brand_id`);--> statement-breakpoint
CREATE INDEX `enrollments_creator` ON `enrollments` (`creator_id`);--> statement-breakpoint
CREATE TABLE `ledger_entries` (
	`id` text PRIMARY KEY NOT NULL,
	`brand_id` text NOT NULL,
	`enrollment_id` text NOT NULL,
	`creator_id` text NOT NULL,
	`kind` text NOT NULL,
	`amount_minor` integer NOT NULL,
	`currency` text NOT NULL,
	`rate_bps` integer,
	`tier` integer,
	`basis_minor` integer DEFAULT 0 NOT NULL,
	`period` text NOT NULL,
	`conversion_id` text,
	`refund_id` text,
	`submission_id` text,
	`event_key` text NOT NULL,
	`available_at` integer NOT NULL,
	`payout_id` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ledger_brand_event` ON `ledger_entries` (`brand_id`,`event_key`);--> statement-breakpoint
CREATE INDEX `ledger_enrollment_period` ON `ledger_entries` (`enrollment_id`,`period`);--> statement-breakpoint
CREATE INDEX `ledger_creator` ON `ledger_entries` (`creator_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `ledger_brand_period` ON `ledger_entries` (`brand_id`,`period`);--> statement-breakpoint
CREATE INDEX `ledger_conversion` ON `ledger_entries` (`conversion_id`);--> statement-breakpoint
CREATE INDEX `ledger_payout` ON `ledger_entries` (`payout_id`);--> statement-breakpoint
CREATE TABLE `links` (
	`id` text PRIMARY KEY NOT NULL,
	`brand_id` text NOT NULL,
	`enrollment_id` text NOT NULL,
	`slug` text NOT NULL,
	`destination` text NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`enrollment_id`) REFERENCES `enrollments`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `links_slug_unique` ON `links` (`slug`);--> statement-breakpoint
CREATE INDEX `links_brand` ON `links` (`brand_id`);--> statement-breakpoint
CREATE INDEX `links_enrollment` ON `links` (`enrollment_id`);--> statement-breakpoint
CREATE TABLE `payouts` (
	`id` text PRIMARY KEY NOT NULL,
	`brand_id` text NOT NULL,
	`creator_id` text NOT NULL,
	`period` text NOT NULL,
	`currency` text NOT NULL,
	`amount_minor` integer NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`reference` text,
	`created_at` integer NOT NULL,
	`paid_at` integer,
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`creator_id`) REFERENCES `creators`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `payouts_brand_creator_period_currency` ON `payouts` (`brand_id`,`creator_id`,`period`,`currency`);--> statement-breakpoint
CREATE TABLE `rate_limits` (
	`key` text PRIMARY KEY NOT NULL,
	`window_start` integer NOT NULL,
	`count` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `refunds` (
	`id` text PRIMARY KEY NOT NULL,
	`brand_id` text NOT NULL,
	`external_refund_id` text NOT NULL,
	`external_order_id` text NOT NULL,
	`amount_minor` integer NOT NULL,
	`currency` text NOT NULL,
	`occurred_at` integer NOT NULL,
	`status` text NOT NULL,
	`source` text NOT NULL,
	`payload_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `refunds_brand_refund` ON `refunds` (`brand_id`,`external_refund_id`);--> statement-breakpoint
CREATE INDEX `refunds_brand_order` ON `refunds` (`brand_id`,`external_order_id`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`subject_type` text NOT NULL,
	`subject_id` text NOT NULL,
	`expires_at` integer NOT NULL,
	`revoked_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sessions_subject` ON `sessions` (`subject_type`,`subject_id`);--> statement-breakpoint
CREATE TABLE `submission_events` (
	`id` text PRIMARY KEY NOT NULL,
	`submission_id` text NOT NULL,
	`from_status` text,
	`to_status` text NOT NULL,
	`actor_type` text NOT NULL,
	`actor_id` text NOT NULL,
	`note` text,
	`at` integer NOT NULL,
	FOREIGN KEY (`submission_id`) REFERENCES `submissions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `submission_events_submission` ON `submission_events` (`submission_id`,`at`);--> statement-breakpoint
CREATE TABLE `submissions` (
	`id` text PRIMARY KEY NOT NULL,
	`brand_id` text NOT NULL,
	`enrollment_id` text NOT NULL,
	`story_format` text NOT NULL,
	`draft_url` text NOT NULL,
	`caption` text NOT NULL,
	`status` text NOT NULL,
	`review_notes` text,
	`post_url` text,
	`views` integer DEFAULT 0 NOT NULL,
	`likes` integer DEFAULT 0 NOT NULL,
	`comments` integer DEFAULT 0 NOT NULL,
	`saves` integer DEFAULT 0 NOT NULL,
	`shares` integer DEFAULT 0 NOT NULL,
	`compliance` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`enrollment_id`) REFERENCES `enrollments`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `submissions_enrollment` ON `submissions` (`enrollment_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `submissions_brand_status` ON `submissions` (`brand_id`,`status`,`updated_at`);