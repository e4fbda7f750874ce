-- pelican offline script: upgrade, 2 revisions.
-- History tables: "odd ""schema"" $pelican$"."pelican_revisions" and "odd ""schema"" $pelican$"."pelican_log".
-- Run it with: psql -v ON_ERROR_STOP=1 -X -f <this file>
-- (ON_ERROR_STOP makes psql stop at the first error instead of running what follows).

-- The history tables, when missing.
DO $pelican1$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'odd "schema" $pelican$') THEN CREATE SCHEMA "odd ""schema"" $pelican$"; END IF; END $pelican1$;
CREATE TABLE IF NOT EXISTS "odd ""schema"" $pelican$"."pelican_revisions" (
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
COMMENT ON TABLE "odd ""schema"" $pelican$"."pelican_revisions" IS 'pelican: one row per applied, stamped or failed revision (layout 1)';
CREATE TABLE IF NOT EXISTS "odd ""schema"" $pelican$"."pelican_log" (
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
COMMENT ON TABLE "odd ""schema"" $pelican$"."pelican_log" IS 'pelican: append-only record of every upgrade, downgrade, stamp and repair (layout 1)';

BEGIN;

-- Running upgrade base -> c1
SET LOCAL statement_timeout = 30000;
CREATE TABLE notes (id int);


;
INSERT INTO "odd ""schema"" $pelican$"."pelican_revisions" (revision, parents, message, checksum, checksum_algorithm, kind, state, duration_ms, error) VALUES ('c1', ARRAY[]::text[], 'c1', '65078c249856cf51ef3503df9c867e49554fc2b2329a76cfb667556d4fe6959e', 'sha256', 'sql', 'applied', (extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint, NULL);
INSERT INTO "odd ""schema"" $pelican$"."pelican_log" (revision, operation, outcome, duration_ms, checksum, detail) VALUES ('c1', 'upgrade', 'ok', (extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint, '65078c249856cf51ef3503df9c867e49554fc2b2329a76cfb667556d4fe6959e', NULL);

-- Running upgrade c1 -> c2
SET LOCAL lock_timeout = 250;
SET LOCAL statement_timeout = 30000;
ALTER TABLE notes ADD body text;


;
INSERT INTO "odd ""schema"" $pelican$"."pelican_revisions" (revision, parents, message, checksum, checksum_algorithm, kind, state, duration_ms, error) VALUES ('c2', ARRAY['c1']::text[], 'c2', '1f8ac8ed173eded3c8aeaeb06ad1636b19cba55bfef0fa5dfda70a8a5eef4145', 'sha256', 'sql', 'applied', (extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint, NULL);
INSERT INTO "odd ""schema"" $pelican$"."pelican_log" (revision, operation, outcome, duration_ms, checksum, detail) VALUES ('c2', 'upgrade', 'ok', (extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint, '1f8ac8ed173eded3c8aeaeb06ad1636b19cba55bfef0fa5dfda70a8a5eef4145', NULL);

COMMIT;
