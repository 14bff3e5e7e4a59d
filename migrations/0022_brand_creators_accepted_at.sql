ALTER TABLE `brand_creators` ADD `accepted_at` integer;--> statement-breakpoint
-- Relationships under way count as accepted: the creator has set a password and is working in one of the
-- brand's campaigns. Removed and invited enrollments say nothing of consent; those wait for Accept.
UPDATE `brand_creators` SET `accepted_at` = `created_at` WHERE EXISTS (
  SELECT 1 FROM `enrollments` e JOIN `creators` c ON c.`id` = e.`creator_id`
  WHERE e.`brand_id` = `brand_creators`.`brand_id` AND e.`creator_id` = `brand_creators`.`creator_id`
    AND c.`password_hash` IS NOT NULL AND e.`status` IN ('active', 'paused', 'benched')
);
