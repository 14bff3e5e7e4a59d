ALTER TABLE `brand_creators` ADD `accepted_at` integer;--> statement-breakpoint
-- Relationships the creator took part in count as accepted: they opened a link that brand had mailed them
-- (an invite or a password link, used) or sent it a draft. A brand cannot have made either happen alone;
-- an enrollment's status can (the API sets it), so it is not evidence. Everything else waits for Accept.
UPDATE `brand_creators` SET `accepted_at` = `created_at` WHERE EXISTS (
  SELECT 1 FROM `account_tokens` t
  WHERE t.`brand_id` = `brand_creators`.`brand_id` AND t.`creator_id` = `brand_creators`.`creator_id` AND t.`used_at` IS NOT NULL
) OR EXISTS (
  SELECT 1 FROM `submissions` s JOIN `enrollments` e ON e.`id` = s.`enrollment_id`
  WHERE e.`brand_id` = `brand_creators`.`brand_id` AND e.`creator_id` = `brand_creators`.`creator_id`
);
