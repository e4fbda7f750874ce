-- squawk's ban-concurrent-index-creation-in-transaction covers CREATE INDEX only;
-- pelican reports DROP INDEX CONCURRENTLY in a transaction under the same name (deliberate).
SET lock_timeout = '2s';
SET statement_timeout = '5min';
DROP INDEX CONCURRENTLY IF EXISTS tasks_owner;
