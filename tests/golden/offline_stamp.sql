-- pelican offline script: stamp, 4 revisions.
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
ALTER TABLE "public"."pelican_revisions"
    ADD COLUMN IF NOT EXISTS failed_direction text CHECK (failed_direction IN ('up', 'down')),
    ADD COLUMN IF NOT EXISTS failed_statement integer;
COMMENT ON TABLE "public"."pelican_revisions" IS 'pelican: one row per applied, stamped or failed revision (layout 3)';
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
COMMENT ON TABLE "public"."pelican_log" IS 'pelican: append-only record of every upgrade, downgrade, stamp and repair (layout 3)';
CREATE TABLE IF NOT EXISTS "public"."pelican_state" (
    layout integer NOT NULL,
    digest bit(256) NOT NULL,
    revisions bigint NOT NULL
);
ALTER TABLE "public"."pelican_state" REPLICA IDENTITY FULL;
COMMENT ON TABLE "public"."pelican_state" IS 'pelican: the digest of pelican_revisions, kept by its triggers; one row (layout 3)';
CREATE OR REPLACE FUNCTION "public".pelican_revision_digest(revision text, checksum_algorithm text, checksum text, state text)
    RETURNS bit(256) LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $pelican$SELECT ('x' || encode(sha256(convert_to(revision || ' ' || checksum_algorithm || ' ' || checksum || ' ' || CASE WHEN state = 'failed' THEN 'failed' ELSE 'applied' END, 'UTF8')), 'hex'))::bit(256)$pelican$;
CREATE OR REPLACE FUNCTION "public".pelican_track_state() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $pelican$
DECLARE
    change bit(256) := repeat('0', 256)::bit(256);
    delta bigint := 0;
BEGIN
    -- Only the history table's own triggers may move the digest (layout 3).
    IF TG_RELID IS DISTINCT FROM '"public"."pelican_revisions"'::regclass THEN
        RAISE EXCEPTION 'pelican_track_state keeps the digest of % only, not of %', '"public"."pelican_revisions"', TG_RELID::regclass;
    END IF;
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE "public"."pelican_state" SET digest = repeat('0', 256)::bit(256), revisions = 0;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        change := change # "public".pelican_revision_digest(OLD.revision, OLD.checksum_algorithm, OLD.checksum, OLD.state);
        delta := delta - 1;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        change := change # "public".pelican_revision_digest(NEW.revision, NEW.checksum_algorithm, NEW.checksum, NEW.state);
        delta := delta + 1;
    END IF;
    UPDATE "public"."pelican_state" SET digest = digest # change, revisions = revisions + delta;
    RETURN NULL;
END
$pelican$;
REVOKE ALL ON FUNCTION "public".pelican_revision_digest(text, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION "public".pelican_track_state() FROM PUBLIC;
DO $pelican$
DECLARE
    total bit(256) := repeat('0', 256)::bit(256);
    counted bigint := 0;
    kept_layout integer;
    r record;
BEGIN
    -- Writers wait until the digest below is committed with the triggers.
    LOCK TABLE "public"."pelican_revisions" IN SHARE ROW EXCLUSIVE MODE;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = '"public"."pelican_revisions"'::regclass AND tgname = 'pelican_state_rows') THEN
        CREATE TRIGGER "pelican_state_rows" AFTER INSERT OR UPDATE OR DELETE ON "public"."pelican_revisions"
            FOR EACH ROW EXECUTE FUNCTION "public".pelican_track_state();
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = '"public"."pelican_revisions"'::regclass AND tgname = 'pelican_state_truncate') THEN
        CREATE TRIGGER "pelican_state_truncate" AFTER TRUNCATE ON "public"."pelican_revisions"
            FOR EACH STATEMENT EXECUTE FUNCTION "public".pelican_track_state();
    END IF;
    -- ALWAYS: the digest follows every write, session_replication_role = replica included.
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = '"public"."pelican_revisions"'::regclass AND tgname IN ('pelican_state_rows', 'pelican_state_truncate') AND tgenabled <> 'A') THEN
        ALTER TABLE "public"."pelican_revisions" ENABLE ALWAYS TRIGGER "pelican_state_rows", ENABLE ALWAYS TRIGGER "pelican_state_truncate";
    END IF;
    FOR r IN SELECT revision, checksum_algorithm, checksum, state FROM "public"."pelican_revisions" LOOP
        total := total # "public".pelican_revision_digest(r.revision, r.checksum_algorithm, r.checksum, r.state);
        counted := counted + 1;
    END LOOP;
    -- One row, whatever was there; a newer layout keeps its number.
    SELECT max(layout) INTO kept_layout FROM "public"."pelican_state";
    DELETE FROM "public"."pelican_state";
    INSERT INTO "public"."pelican_state" (layout, digest, revisions)
        VALUES (greatest(kept_layout, 3), total, counted);
END
$pelican$;

-- Stamping root, a, b, m (recorded as applied, not run)
BEGIN;
INSERT INTO "public"."pelican_revisions" (revision, parents, message, checksum, checksum_algorithm, kind, state, duration_ms, error) VALUES ('root', ARRAY[]::text[], 'root', '814200fbb9d2120186f8b95b35b6380533900dd38f9b7937067e648775068c9d', 'sha256', 'sql', 'stamped', NULL, NULL);
INSERT INTO "public"."pelican_log" (revision, operation, outcome, duration_ms, checksum, detail) VALUES ('root', 'stamp', 'ok', NULL, '814200fbb9d2120186f8b95b35b6380533900dd38f9b7937067e648775068c9d', NULL);
INSERT INTO "public"."pelican_revisions" (revision, parents, message, checksum, checksum_algorithm, kind, state, duration_ms, error) VALUES ('a', ARRAY['root']::text[], 'a', '98a9193f97d316bfc708be99a2fb4e620160dfba5f02b1ee9a6be34595e9d0d6', 'sha256', 'sql', 'stamped', NULL, NULL);
INSERT INTO "public"."pelican_log" (revision, operation, outcome, duration_ms, checksum, detail) VALUES ('a', 'stamp', 'ok', NULL, '98a9193f97d316bfc708be99a2fb4e620160dfba5f02b1ee9a6be34595e9d0d6', NULL);
INSERT INTO "public"."pelican_revisions" (revision, parents, message, checksum, checksum_algorithm, kind, state, duration_ms, error) VALUES ('b', ARRAY['root']::text[], 'b', 'd26ea5312b17b192a102efdcc31549806868c7c43cd70615c744ff1b76f944f0', 'sha256', 'sql', 'stamped', NULL, NULL);
INSERT INTO "public"."pelican_log" (revision, operation, outcome, duration_ms, checksum, detail) VALUES ('b', 'stamp', 'ok', NULL, 'd26ea5312b17b192a102efdcc31549806868c7c43cd70615c744ff1b76f944f0', NULL);
INSERT INTO "public"."pelican_revisions" (revision, parents, message, checksum, checksum_algorithm, kind, state, duration_ms, error) VALUES ('m', ARRAY['a', 'b']::text[], 'm', 'd282bf0d30b93ac4c001ebc2381af8a9a2f6a86751f38cb9c513f93a8f5c6e54', 'sha256', 'sql', 'stamped', NULL, NULL);
INSERT INTO "public"."pelican_log" (revision, operation, outcome, duration_ms, checksum, detail) VALUES ('m', 'stamp', 'ok', NULL, 'd282bf0d30b93ac4c001ebc2381af8a9a2f6a86751f38cb9c513f93a8f5c6e54', NULL);
COMMIT;
