-- squawk reports every syntax error and no rule when the file has one;
-- pelican reports the first syntax error and still lints what it could read (deliberate).
CREATE TABLE tasks (id bigint;
ALTER TABLE tasks ADD COLUMN n bigint NOT NULL;
SELECT 1 FROM;
