//! The DDL of the history layout: the tables, the digest's functions and triggers, and the
//! digest computed from the rows. Run under the migration lock (`History::create`), and
//! printed by offline scripts.

use super::history::{
    dollar_quoted, History, DIGEST_FUNCTION, LAYOUT_VERSION, REVISIONS_TABLE, ROW_TRIGGER,
    TRACK_FUNCTION, TRUNCATE_TRIGGER,
};
use crate::quote::{ident, literal};

impl History {
    /// The schema's creation when it is missing, as one statement that runs without asking
    /// first (for scripts): the same check as [`create`](Self::create), done by the server.
    pub(crate) fn create_schema_if_missing_sql(&self) -> String {
        let check = format!(
            "IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = {}) THEN CREATE SCHEMA {}; END IF;",
            literal(&self.schema),
            ident(&self.schema)
        );
        format!("DO {};\n", dollar_quoted(&format!(" BEGIN {check} END ")))
    }

    /// `CREATE TABLE IF NOT EXISTS` of the tables, with their comments, then the digest's
    /// functions and triggers, and the digest computed from the rows: the layout (see the
    /// module documentation). The schema must exist. Run on tables of an older layout, it
    /// brings them to the current one; run again, it changes nothing but recomputes the digest.
    pub(crate) fn create_tables_sql(&self) -> String {
        let mut sql = self.create_layout_1_sql();
        sql.push('\n');
        sql.push_str(&self.create_state_sql());
        sql
    }

    /// The `pelican_state` table, the functions and triggers that maintain it, and its row,
    /// computed from the history's rows under a lock that keeps writers out meanwhile.
    fn create_state_sql(&self) -> String {
        let schema = ident(&self.schema);
        let digest_function = format!("{schema}.{DIGEST_FUNCTION}");
        let track_function = format!("{schema}.{TRACK_FUNCTION}");
        let revisions = &self.revisions;
        let state = &self.state;
        let zero = "repeat('0', 256)::bit(256)";
        // The SQL side of `digest::row_hash`: the same text, the same hash.
        let row_digest = dollar_quoted(
            "SELECT ('x' || encode(sha256(convert_to(revision || ' ' || checksum_algorithm \
             || ' ' || checksum || ' ' || CASE WHEN state = 'failed' THEN 'failed' ELSE \
             'applied' END, 'UTF8')), 'hex'))::bit(256)",
        );
        let table = literal(revisions);
        let track = dollar_quoted(&format!(
            "
DECLARE
    change bit(256) := {zero};
    delta bigint := 0;
BEGIN
    -- Only the history table's own triggers may move the digest (layout 3).
    IF TG_RELID IS DISTINCT FROM {table}::regclass THEN
        RAISE EXCEPTION 'pelican_track_state keeps the digest of % only, not of %', {table}, TG_RELID::regclass;
    END IF;
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE {state} SET digest = {zero}, revisions = 0;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        change := change # {digest_function}(OLD.revision, OLD.checksum_algorithm, OLD.checksum, OLD.state);
        delta := delta - 1;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        change := change # {digest_function}(NEW.revision, NEW.checksum_algorithm, NEW.checksum, NEW.state);
        delta := delta + 1;
    END IF;
    UPDATE {state} SET digest = digest # change, revisions = revisions + delta;
    RETURN NULL;
END
"
        ));
        let row_trigger = ident(ROW_TRIGGER);
        let truncate_trigger = ident(TRUNCATE_TRIGGER);
        let setup = dollar_quoted(&format!(
            "
DECLARE
    total bit(256) := {zero};
    counted bigint := 0;
    kept_layout integer;
    r record;
BEGIN
    -- Writers wait until the digest below is committed with the triggers.
    LOCK TABLE {revisions} IN SHARE ROW EXCLUSIVE MODE;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = {table}::regclass AND tgname = {row_name}) THEN
        CREATE TRIGGER {row_trigger} AFTER INSERT OR UPDATE OR DELETE ON {revisions}
            FOR EACH ROW EXECUTE FUNCTION {track_function}();
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = {table}::regclass AND tgname = {truncate_name}) THEN
        CREATE TRIGGER {truncate_trigger} AFTER TRUNCATE ON {revisions}
            FOR EACH STATEMENT EXECUTE FUNCTION {track_function}();
    END IF;
    -- ALWAYS: the digest follows every write, session_replication_role = replica included.
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = {table}::regclass AND tgname IN ({row_name}, {truncate_name}) AND tgenabled <> 'A') THEN
        ALTER TABLE {revisions} ENABLE ALWAYS TRIGGER {row_trigger}, ENABLE ALWAYS TRIGGER {truncate_trigger};
    END IF;
    FOR r IN SELECT revision, checksum_algorithm, checksum, state FROM {revisions} LOOP
        total := total # {digest_function}(r.revision, r.checksum_algorithm, r.checksum, r.state);
        counted := counted + 1;
    END LOOP;
    -- One row, whatever was there; a newer layout keeps its number.
    SELECT max(layout) INTO kept_layout FROM {state};
    DELETE FROM {state};
    INSERT INTO {state} (layout, digest, revisions)
        VALUES (greatest(kept_layout, {LAYOUT_VERSION}), total, counted);
END
"
        ,
            row_name = literal(ROW_TRIGGER),
            truncate_name = literal(TRUNCATE_TRIGGER),
        ));
        // No key: an index would cost every start more than the row. Hence `REPLICA IDENTITY
        // FULL`, so that its updates replicate in a database that publishes every table.
        format!(
            "CREATE TABLE IF NOT EXISTS {state} (
    layout integer NOT NULL,
    digest bit(256) NOT NULL,
    revisions bigint NOT NULL
);
ALTER TABLE {state} REPLICA IDENTITY FULL;
COMMENT ON TABLE {state} IS {state_comment};
CREATE OR REPLACE FUNCTION {digest_function}(revision text, checksum_algorithm text, checksum text, state text)
    RETURNS bit(256) LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS {row_digest};
CREATE OR REPLACE FUNCTION {track_function}() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS {track};
REVOKE ALL ON FUNCTION {digest_function}(text, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION {track_function}() FROM PUBLIC;
DO {setup};",
            state_comment = literal(&format!(
                "pelican: the digest of {REVISIONS_TABLE}, kept by its triggers; one row (layout {LAYOUT_VERSION})"
            )),
        )
    }

    /// The history and log tables: layout 1's, with layout 3's columns.
    fn create_layout_1_sql(&self) -> String {
        format!(
            "CREATE TABLE IF NOT EXISTS {revisions} (
    revision text PRIMARY KEY,
    parents text[] NOT NULL DEFAULT '{{}}',
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
ALTER TABLE {revisions}
    ADD COLUMN IF NOT EXISTS failed_direction text CHECK (failed_direction IN ('up', 'down')),
    ADD COLUMN IF NOT EXISTS failed_statement integer;
COMMENT ON TABLE {revisions} IS {revisions_comment};
CREATE TABLE IF NOT EXISTS {log} (
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
COMMENT ON TABLE {log} IS {log_comment};",
            revisions = self.revisions,
            log = self.log,
            revisions_comment = literal(&format!(
                "pelican: one row per applied, stamped or failed revision (layout {LAYOUT_VERSION})"
            )),
            log_comment = literal(&format!(
                "pelican: append-only record of every upgrade, downgrade, stamp and repair (layout {LAYOUT_VERSION})"
            )),
        )
    }
}
