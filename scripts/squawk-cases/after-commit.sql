-- A COMMIT in the file: squawk considers what follows outside the transaction;
-- pelican reports the COMMIT (transaction-nesting) and keeps the revision's transaction.
SET lock_timeout = '2s';
SET statement_timeout = '5min';
COMMIT;
CREATE INDEX CONCURRENTLY IF NOT EXISTS tasks_owner ON tasks (owner);
