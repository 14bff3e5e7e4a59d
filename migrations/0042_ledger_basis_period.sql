ALTER TABLE `ledger_entries` ADD `basis_period` text;--> statement-breakpoint
CREATE INDEX `ledger_enrollment_basis` ON `ledger_entries` (`enrollment_id`,`basis_period`);--> statement-breakpoint
-- Entries recorded before the column: a commission and a bonus count in their own period, a reversal in its
-- commission's (a refund in a later month lowered that month's tier revenue until now).
UPDATE `ledger_entries` SET `basis_period` = `period` WHERE `kind` IN ('commission', 'bonus');--> statement-breakpoint
UPDATE `ledger_entries` SET `basis_period` = COALESCE((SELECT c.`period` FROM `ledger_entries` c WHERE c.`conversion_id` = `ledger_entries`.`conversion_id` AND c.`kind` = 'commission'), `period`) WHERE `kind` = 'reversal';
