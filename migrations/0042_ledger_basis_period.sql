ALTER TABLE `ledger_entries` ADD `basis_period` text;--> statement-breakpoint
-- Entries recorded before the column: a commission and a bonus count in their own period, a reversal in its
-- commission's. Filled in before the indexes exist, so the update does not maintain them row by row.
UPDATE `ledger_entries` SET `basis_period` = `period` WHERE `kind` IN ('commission', 'bonus');--> statement-breakpoint
UPDATE `ledger_entries` SET `basis_period` = COALESCE((SELECT c.`period` FROM `ledger_entries` c WHERE c.`conversion_id` = `ledger_entries`.`conversion_id` AND c.`kind` = 'commission'), `period`) WHERE `kind` = 'reversal';--> statement-breakpoint
CREATE INDEX `ledger_enrollment_basis` ON `ledger_entries` (`enrollment_id`,`basis_period`);--> statement-breakpoint
CREATE INDEX `ledger_basis_missing` ON `ledger_entries` (`id`) WHERE basis_period IS NULL AND kind IN ('commission', 'bonus', 'reversal');
