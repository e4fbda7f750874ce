-- pelican offline script: downgrade, 3 revisions.
-- History tables: "public"."pelican_revisions" and "public"."pelican_log".
-- Run it with: psql -v ON_ERROR_STOP=1 -X -f <this file>
-- (ON_ERROR_STOP makes psql stop at the first error instead of running what follows).

-- Running downgrade m -> a, b
BEGIN;
SET LOCAL statement_timeout = 30000;
DROP FUNCTION task_count();

;
DELETE FROM "public"."pelican_revisions" WHERE revision = 'm';
INSERT INTO "public"."pelican_log" (revision, operation, outcome, duration_ms, checksum, detail) VALUES ('m', 'downgrade', 'ok', (extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint, 'd282bf0d30b93ac4c001ebc2381af8a9a2f6a86751f38cb9c513f93a8f5c6e54', NULL);
COMMIT;

-- Running downgrade b -> root
-- (transaction: false: each statement runs on its own, outside a transaction)
UPDATE "public"."pelican_revisions" SET state = 'failed', error = 'interrupted: the downgrade started by an offline SQL script did not finish', failed_direction = 'down', failed_statement = NULL WHERE revision = 'b';
SET SESSION statement_timeout = 60000;
DROP INDEX CONCURRENTLY tasks_id_title;
DROP INDEX CONCURRENTLY tasks_title;
RESET lock_timeout; RESET statement_timeout;
BEGIN;
DELETE FROM "public"."pelican_revisions" WHERE revision = 'b';
INSERT INTO "public"."pelican_log" (revision, operation, outcome, duration_ms, checksum, detail) VALUES ('b', 'downgrade', 'ok', NULL, 'd26ea5312b17b192a102efdcc31549806868c7c43cd70615c744ff1b76f944f0', NULL);
COMMIT;

-- Running downgrade a -> root
BEGIN;
SET LOCAL lock_timeout = 3000;
SET LOCAL statement_timeout = 30000;
ALTER TABLE tasks DROP COLUMN priority;

;
DELETE FROM "public"."pelican_revisions" WHERE revision = 'a';
INSERT INTO "public"."pelican_log" (revision, operation, outcome, duration_ms, checksum, detail) VALUES ('a', 'downgrade', 'ok', (extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint, '98a9193f97d316bfc708be99a2fb4e620160dfba5f02b1ee9a6be34595e9d0d6', NULL);
COMMIT;
