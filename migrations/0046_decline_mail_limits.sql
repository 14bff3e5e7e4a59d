-- SQLite adds a NOT NULL column only with a default; every insert names it, so '' is never kept.
ALTER TABLE `applications` ADD `inbox` text NOT NULL DEFAULT '';--> statement-breakpoint
-- Applications from before: the address without a +tag (domain/applications.ts inboxOf), Gmail's without dots too.
UPDATE `applications` SET `inbox` = CASE WHEN instr(`email`, '+') BETWEEN 2 AND instr(`email`, '@') - 1 THEN substr(`email`, 1, instr(`email`, '+') - 1) ELSE substr(`email`, 1, instr(`email`, '@') - 1) END || substr(`email`, instr(`email`, '@'));--> statement-breakpoint
UPDATE `applications` SET `inbox` = replace(substr(`inbox`, 1, instr(`inbox`, '@') - 1), '.', '') || '@gmail.com' WHERE substr(`inbox`, instr(`inbox`, '@') + 1) IN ('gmail.com', 'googlemail.com');--> statement-breakpoint
CREATE INDEX `applications_inbox_told` ON `applications` (`inbox`,`decline_mailed_at`) WHERE decline_mailed_at IS NOT NULL;
