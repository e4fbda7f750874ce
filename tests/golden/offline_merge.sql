-- pelican offline script: upgrade, 4 revisions.
-- History tables: "public"."pelican_revisions" and "public"."pelican_log".
-- Run it with: psql -v ON_ERROR_STOP=1 -X -f <this file>
-- (ON_ERROR_STOP makes psql stop at the first error instead of running what follows).

-- The history tables, when missing.
CREATE TABLE IF NOT EXISTS "public"."pelican_revisions" (
    revision text PRIMARY KEY,
    parents text[] NOT NULL DEFAULT '{}',
    message text NOT NULL DEFAULT '',
    checksum text NOT NULL,
    checksum_algorithm text NOT NULL DEFAULT 'sha256',
    kind text NOT NULL CHECK (kind IN ('sql', 'rust')),
    state text NOT NULL CHECK (state IN ('applied', 'stamped', 'failed')),
    applied_at timestamptz NOT NULL DEFAULT now(),
    duration_ms bigint,
    applied_by text NOT NULL DEFAULT current_user,
    error text
);
COMMENT ON TABLE "public"."pelican_revisions" IS 'pelican: one row per applied, stamped or failed revision (layout 1)';
CREATE TABLE IF NOT EXISTS "public"."pelican_log" (
    id bigserial PRIMARY KEY,
    revision text NOT NULL,
    operation text NOT NULL,
    outcome text NOT NULL CHECK (outcome IN ('ok', 'failed')),
    at timestamptz NOT NULL DEFAULT now(),
    duration_ms bigint,
    by text NOT NULL DEFAULT current_user,
    checksum text,
    detail text
);
COMMENT ON TABLE "public"."pelican_log" IS 'pelican: append-only record of every upgrade, downgrade, stamp and repair (layout 1)';

-- Running upgrade base -> root
BEGIN;
SET LOCAL statement_timeout = 30000;
CREATE TABLE tasks (id int PRIMARY KEY, title text NOT NULL);
INSERT INTO tasks VALUES (1, 'it''s; fine'), (2, E'back\\slash');


;
INSERT INTO "public"."pelican_revisions" (revision, parents, message, checksum, checksum_algorithm, kind, state, duration_ms, error) VALUES ('root', ARRAY[]::text[], 'root', '814200fbb9d2120186f8b95b35b6380533900dd38f9b7937067e648775068c9d', 'sha256', 'sql', 'applied', (extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint, NULL);
INSERT INTO "public"."pelican_log" (revision, operation, outcome, duration_ms, checksum, detail) VALUES ('root', 'upgrade', 'ok', (extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint, '814200fbb9d2120186f8b95b35b6380533900dd38f9b7937067e648775068c9d', NULL);
COMMIT;

-- Running upgrade root -> a
BEGIN;
SET LOCAL lock_timeout = 3000;
SET LOCAL statement_timeout = 30000;
ALTER TABLE tasks ADD COLUMN priority int NOT NULL DEFAULT 0 -- no semicolon here


;
INSERT INTO "public"."pelican_revisions" (revision, parents, message, checksum, checksum_algorithm, kind, state, duration_ms, error) VALUES ('a', ARRAY['root']::text[], 'a', '98a9193f97d316bfc708be99a2fb4e620160dfba5f02b1ee9a6be34595e9d0d6', 'sha256', 'sql', 'applied', (extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint, NULL);
INSERT INTO "public"."pelican_log" (revision, operation, outcome, duration_ms, checksum, detail) VALUES ('a', 'upgrade', 'ok', (extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint, '98a9193f97d316bfc708be99a2fb4e620160dfba5f02b1ee9a6be34595e9d0d6', NULL);
COMMIT;

-- Running upgrade root -> b
-- (transaction: false: each statement runs on its own, outside a transaction)
INSERT INTO "public"."pelican_revisions" (revision, parents, message, checksum, checksum_algorithm, kind, state, duration_ms, error) VALUES ('b', ARRAY['root']::text[], 'b', 'd26ea5312b17b192a102efdcc31549806868c7c43cd70615c744ff1b76f944f0', 'sha256', 'sql', 'failed', NULL, 'interrupted: the upgrade started by an offline SQL script did not finish');
SET SESSION statement_timeout = 60000;
CREATE INDEX CONCURRENTLY tasks_title ON tasks (title);
CREATE INDEX CONCURRENTLY tasks_id_title ON tasks (id, title);
RESET lock_timeout; RESET statement_timeout;
BEGIN;
UPDATE "public"."pelican_revisions" SET state = 'applied', duration_ms = NULL, error = NULL, applied_at = now() WHERE revision = 'b';
INSERT INTO "public"."pelican_log" (revision, operation, outcome, duration_ms, checksum, detail) VALUES ('b', 'upgrade', 'ok', NULL, 'd26ea5312b17b192a102efdcc31549806868c7c43cd70615c744ff1b76f944f0', NULL);
COMMIT;

-- Running upgrade a, b -> m
BEGIN;
SET LOCAL statement_timeout = 30000;
CREATE FUNCTION task_count() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
  RETURN (SELECT count(*) FROM tasks);
END;
$$;


;
INSERT INTO "public"."pelican_revisions" (revision, parents, message, checksum, checksum_algorithm, kind, state, duration_ms, error) VALUES ('m', ARRAY['a', 'b']::text[], 'm', 'd282bf0d30b93ac4c001ebc2381af8a9a2f6a86751f38cb9c513f93a8f5c6e54', 'sha256', 'sql', 'applied', (extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint, NULL);
INSERT INTO "public"."pelican_log" (revision, operation, outcome, duration_ms, checksum, detail) VALUES ('m', 'upgrade', 'ok', (extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint, 'd282bf0d30b93ac4c001ebc2381af8a9a2f6a86751f38cb9c513f93a8f5c6e54', NULL);
COMMIT;
