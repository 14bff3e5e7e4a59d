CREATE TABLE `mail_opt_outs` (
	`email` text NOT NULL,
	`scope` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`email`, `scope`)
);
