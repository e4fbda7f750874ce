-- Suspected pelican bug: squawk reports the CREATE, and then pelican's own check skips
-- the whole file, so the DROP INDEX CONCURRENTLY (line 7) is not reported.
SET lock_timeout = '2s';
SET statement_timeout = '5min';
CREATE INDEX CONCURRENTLY IF NOT EXISTS tasks_owner ON tasks (owner);
DROP INDEX CONCURRENTLY IF EXISTS tasks_old_owner;
