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
ALTER TABLE "odd ""schema"" $pelican$"."pelican_revisions"
    ADD COLUMN IF NOT EXISTS failed_direction text CHECK (failed_direction IN ('up', 'down')),
    ADD COLUMN IF NOT EXISTS failed_statement integer;
COMMENT ON TABLE "odd ""schema"" $pelican$"."pelican_revisions" IS 'pelican: one row per applied, stamped or failed revision (layout 3)';
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
COMMENT ON TABLE "odd ""schema"" $pelican$"."pelican_log" IS 'pelican: append-only record of every upgrade, downgrade, stamp and repair (layout 3)';
CREATE TABLE IF NOT EXISTS "odd ""schema"" $pelican$"."pelican_state" (
    layout integer NOT NULL,
    digest bit(256) NOT NULL,
    revisions bigint NOT NULL
);
ALTER TABLE "odd ""schema"" $pelican$"."pelican_state" REPLICA IDENTITY FULL;
COMMENT ON TABLE "odd ""schema"" $pelican$"."pelican_state" IS 'pelican: the digest of pelican_revisions, kept by its triggers; one row (layout 3)';
CREATE OR REPLACE FUNCTION "odd ""schema"" $pelican$".pelican_revision_digest(revision text, checksum_algorithm text, checksum text, state text)
    RETURNS bit(256) LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $pelican$SELECT ('x' || encode(sha256(convert_to(revision || ' ' || checksum_algorithm || ' ' || checksum || ' ' || CASE WHEN state = 'failed' THEN 'failed' ELSE 'applied' END, 'UTF8')), 'hex'))::bit(256)$pelican$;
CREATE OR REPLACE FUNCTION "odd ""schema"" $pelican$".pelican_track_state() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $pelican1$
DECLARE
    change bit(256) := repeat('0', 256)::bit(256);
    delta bigint := 0;
BEGIN
    -- Only the history table's own triggers may move the digest (layout 3).
    IF TG_RELID IS DISTINCT FROM '"odd ""schema"" $pelican$"."pelican_revisions"'::regclass THEN
        RAISE EXCEPTION 'pelican_track_state keeps the digest of % only, not of %', '"odd ""schema"" $pelican$"."pelican_revisions"', TG_RELID::regclass;
    END IF;
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE "odd ""schema"" $pelican$"."pelican_state" SET digest = repeat('0', 256)::bit(256), revisions = 0;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        change := change # "odd ""schema"" $pelican$".pelican_revision_digest(OLD.revision, OLD.checksum_algorithm, OLD.checksum, OLD.state);
        delta := delta - 1;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        change := change # "odd ""schema"" $pelican$".pelican_revision_digest(NEW.revision, NEW.checksum_algorithm, NEW.checksum, NEW.state);
        delta := delta + 1;
    END IF;
    UPDATE "odd ""schema"" $pelican$"."pelican_state" SET digest = digest # change, revisions = revisions + delta;
    RETURN NULL;
END
$pelican1$;
REVOKE ALL ON FUNCTION "odd ""schema"" $pelican$".pelican_revision_digest(text, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION "odd ""schema"" $pelican$".pelican_track_state() FROM PUBLIC;
DO $pelican1$
DECLARE
    total bit(256) := repeat('0', 256)::bit(256);
    counted bigint := 0;
    kept_layout integer;
    r record;
BEGIN
    -- Writers wait until the digest below is committed with the triggers.
    LOCK TABLE "odd ""schema"" $pelican$"."pelican_revisions" IN SHARE ROW EXCLUSIVE MODE;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = '"odd ""schema"" $pelican$"."pelican_revisions"'::regclass AND tgname = 'pelican_state_rows') THEN
        CREATE TRIGGER "pelican_state_rows" AFTER INSERT OR UPDATE OR DELETE ON "odd ""schema"" $pelican$"."pelican_revisions"
            FOR EACH ROW EXECUTE FUNCTION "odd ""schema"" $pelican$".pelican_track_state();
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = '"odd ""schema"" $pelican$"."pelican_revisions"'::regclass AND tgname = 'pelican_state_truncate') THEN
        CREATE TRIGGER "pelican_state_truncate" AFTER TRUNCATE ON "odd ""schema"" $pelican$"."pelican_revisions"
            FOR EACH STATEMENT EXECUTE FUNCTION "odd ""schema"" $pelican$".pelican_track_state();
    END IF;
    -- ALWAYS: the digest follows every write, session_replication_role = replica included.
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = '"odd ""schema"" $pelican$"."pelican_revisions"'::regclass AND tgname IN ('pelican_state_rows', 'pelican_state_truncate') AND tgenabled <> 'A') THEN
        ALTER TABLE "odd ""schema"" $pelican$"."pelican_revisions" ENABLE ALWAYS TRIGGER "pelican_state_rows", ENABLE ALWAYS TRIGGER "pelican_state_truncate";
    END IF;
    FOR r IN SELECT revision, checksum_algorithm, checksum, state FROM "odd ""schema"" $pelican$"."pelican_revisions" LOOP
        total := total # "odd ""schema"" $pelican$".pelican_revision_digest(r.revision, r.checksum_algorithm, r.checksum, r.state);
        counted := counted + 1;
    END LOOP;
    -- One row, whatever was there; a newer layout keeps its number.
    SELECT max(layout) INTO kept_layout FROM "odd ""schema"" $pelican$"."pelican_state";
    DELETE FROM "odd ""schema"" $pelican$"."pelican_state";
    INSERT INTO "odd ""schema"" $pelican$"."pelican_state" (layout, digest, revisions)
        VALUES (greatest(kept_layout, 3), total, counted);
END
$pelican1$;

BEGIN;

-- Running upgrade base -> c1
SET LOCAL statement_timeout = 30000;
CREATE TABLE notes (id int);


;
INSERT INTO "odd ""schema"" $pelican$"."pelican_revisions" (revision, parents, message, checksum, checksum_algorithm, kind, state, duration_ms, error) VALUES ('c1', ARRAY[]::text[], 'c1', '65078c249856cf51ef3503df9c867e49554fc2b2329a76cfb667556d4fe6959e', 'sha256', 'sql', 'applied', (extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint, NULL);
INSERT INTO "odd ""schema"" $pelican$"."pelican_log" (revision, operation, outcome, duration_ms, checksum, detail) VALUES ('c1', 'upgrade', 'ok', (extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint, '65078c249856cf51ef3503df9c867e49554fc2b2329a76cfb667556d4fe6959e', NULL);

-- Running upgrade c1 -> c2
SELECT set_config('pelican.outer_lock_timeout', current_setting('lock_timeout'), true);
SET LOCAL lock_timeout = 250;
SET LOCAL statement_timeout = 30000;
ALTER TABLE notes ADD body text;


;
INSERT INTO "odd ""schema"" $pelican$"."pelican_revisions" (revision, parents, message, checksum, checksum_algorithm, kind, state, duration_ms, error) VALUES ('c2', ARRAY['c1']::text[], 'c2', '1f8ac8ed173eded3c8aeaeb06ad1636b19cba55bfef0fa5dfda70a8a5eef4145', 'sha256', 'sql', 'applied', (extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint, NULL);
INSERT INTO "odd ""schema"" $pelican$"."pelican_log" (revision, operation, outcome, duration_ms, checksum, detail) VALUES ('c2', 'upgrade', 'ok', (extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint, '1f8ac8ed173eded3c8aeaeb06ad1636b19cba55bfef0fa5dfda70a8a5eef4145', NULL);
SELECT set_config('lock_timeout', current_setting('pelican.outer_lock_timeout'), true);

COMMIT;
