-- A click counts on its brand's calendar day, which the consumer writes in the brand's timezone. Nullable,
-- with no backfill: clicks already stored (and any written by a worker older than this migration while a
-- release rolls out) count on their UTC day, as they were rolled up (clickDaySql in worker/db/schema.ts),
-- and the table is not rewritten.
ALTER TABLE `clicks` ADD `day` text;
