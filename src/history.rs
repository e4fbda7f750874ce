//! The history table `pelican_revisions` (one row per applied, stamped or failed revision) and
//! the append-only `pelican_log` beside it.
//!
//! Their layout is a public contract (see `docs/operations.md`): tools and people query them.
//! Changing it needs a migration of its own, handled here, and a CHANGELOG entry.
//!
//! Everything here builds SQL text rather than running it, where it can: the migrator sends a
//! migration's SQL and its history rows in one simple-protocol query, so applying a migration
//! costs one round trip.
//!
//! Beside the history table, the one-row `pelican_state` holds a digest of it (the hash is
//! defined in `src/history/digest.rs`), kept up to date by a trigger on `pelican_revisions`, whoever writes to it: a
//! start at head reads that row instead of every revision.

mod digest;

pub(crate) use digest::HistoryDigest;

use std::fmt;
use std::time::Duration;

use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, SimpleQueryMessage};

use crate::quote::{ident, literal, optional_literal, text_array};
use crate::revision::Checksum;
use crate::source::MigrationKind;

/// The name of the history table.
pub const REVISIONS_TABLE: &str = "pelican_revisions";
/// The name of the log table.
pub const LOG_TABLE: &str = "pelican_log";
/// The name of the one-row table holding the history's digest.
pub const STATE_TABLE: &str = "pelican_state";
/// The layout version written into the tables' comments and into `pelican_state.layout`.
///
/// Layout 1: `pelican_revisions` and `pelican_log`. Layout 2 adds `pelican_state`, the
/// functions `pelican_revision_digest` and `pelican_track_state`, and the triggers
/// `pelican_state_rows` and `pelican_state_truncate` on `pelican_revisions`.
pub const LAYOUT_VERSION: u32 = 2;

/// The functions of layout 2, kept beside the history tables.
const DIGEST_FUNCTION: &str = "pelican_revision_digest";
const TRACK_FUNCTION: &str = "pelican_track_state";

/// Every table and function pelican keeps in the history schema, by name: what a schema
/// snapshot leaves out unless asked (they record the migrations, not the application).
pub(crate) const HISTORY_OBJECTS: [&str; 5] = [
    REVISIONS_TABLE,
    LOG_TABLE,
    STATE_TABLE,
    DIGEST_FUNCTION,
    TRACK_FUNCTION,
];

/// The triggers that keep `pelican_state` up to date.
const ROW_TRIGGER: &str = "pelican_state_rows";
const TRUNCATE_TRIGGER: &str = "pelican_state_truncate";

/// The state of a revision's row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RevisionState {
    /// Its `up` ran and committed.
    Applied,
    /// Recorded by `stamp` without running anything.
    Stamped,
    /// A `transaction: false` revision that failed or was interrupted part-way: its effects
    /// may be partly there. Every run refuses to proceed until the row is resolved.
    Failed,
}

impl RevisionState {
    /// The text stored in the `state` column.
    pub fn as_str(self) -> &'static str {
        match self {
            RevisionState::Applied => "applied",
            RevisionState::Stamped => "stamped",
            RevisionState::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "applied" => Some(RevisionState::Applied),
            "stamped" => Some(RevisionState::Stamped),
            "failed" => Some(RevisionState::Failed),
            _ => None,
        }
    }
}

impl fmt::Display for RevisionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the log records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    Upgrade,
    Downgrade,
    Stamp,
    Unstamp,
    Repair,
    MarkApplied,
    Forget,
}

impl Operation {
    fn as_str(self) -> &'static str {
        match self {
            Operation::Upgrade => "upgrade",
            Operation::Downgrade => "downgrade",
            Operation::Stamp => "stamp",
            Operation::Unstamp => "unstamp",
            Operation::Repair => "repair",
            Operation::MarkApplied => "mark_applied",
            Operation::Forget => "forget",
        }
    }
}

/// One row of `pelican_revisions`, as [`Migrator::history`](crate::Migrator::history) returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    /// The revision id.
    pub revision: String,
    /// Its parents when it was recorded.
    pub parents: Vec<String>,
    /// Its message when it was recorded.
    pub message: String,
    /// The checksum of its file when it was recorded (lowercase hex).
    pub checksum: String,
    /// The checksum's algorithm (`sha256`).
    pub checksum_algorithm: String,
    /// `sql` or `rust`.
    pub kind: String,
    /// Applied, stamped or failed.
    pub state: RevisionState,
    /// When it was recorded (RFC 3339, UTC).
    pub applied_at: String,
    /// How long its `up` took, when it ran.
    pub duration_ms: Option<i64>,
    /// The database user that recorded it.
    pub applied_by: String,
    /// For a failed revision, what went wrong.
    pub error: Option<String>,
}

/// The part of a row every run reads: small, so that a start at head stays one cheap query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StateRow {
    pub(crate) revision: String,
    pub(crate) checksum: String,
    pub(crate) checksum_algorithm: String,
    pub(crate) state: RevisionState,
    pub(crate) error: Option<String>,
}

/// What `pelican_state` says, read in the one query of a start at head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StoredDigest {
    /// The digest of a history of this layout whose triggers are on.
    Current {
        /// `pelican_state.digest` as PostgreSQL prints a `bit(256)`.
        bits: String,
        /// `pelican_state.revisions`.
        revisions: i64,
    },
    /// No digest that can be trusted: no `pelican_state` (no history, or one of layout 1),
    /// no row in it, or a trigger missing or disabled. Under the lock, the layout is
    /// (re)built and the digest computed from the rows.
    Missing,
    /// A layout newer than this library's: left alone.
    Newer,
    /// The role may not read `pelican_state` (a role granted `pelican_revisions` alone): the
    /// start reads every row, as before layout 2.
    Unreadable,
}

impl StoredDigest {
    /// Whether the stored digest is exactly `expected`.
    pub(crate) fn is(&self, expected: &HistoryDigest) -> bool {
        match self {
            StoredDigest::Current { bits, revisions } => {
                u64::try_from(*revisions) == Ok(expected.rows()) && expected.bits_match(bits)
            }
            StoredDigest::Missing | StoredDigest::Newer | StoredDigest::Unreadable => false,
        }
    }
}

/// The history tables of one schema.
#[derive(Debug, Clone)]
pub(crate) struct History {
    schema: String,
    revisions: String,
    log: String,
    state: String,
    /// `SELECT` of the state row: built once.
    read_digest_sql: String,
    /// The same, and whether the triggers are on.
    read_digest_and_triggers_sql: String,
}

/// The values a new row records.
pub(crate) struct NewRow<'a> {
    pub(crate) revision: &'a str,
    pub(crate) parents: Vec<&'a str>,
    pub(crate) message: &'a str,
    pub(crate) checksum: &'a Checksum,
    pub(crate) kind: MigrationKind,
    pub(crate) state: RevisionState,
}

/// How a row's `duration_ms` is computed.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Elapsed {
    /// Since the transaction began: the statement runs in the migration's transaction.
    SinceTransactionStart,
    /// Measured by the client.
    Measured(Duration),
    /// Nothing ran.
    None,
}

impl Elapsed {
    fn sql(self) -> String {
        match self {
            Elapsed::SinceTransactionStart => {
                "(extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint".to_owned()
            }
            Elapsed::Measured(d) => d.as_millis().to_string(),
            Elapsed::None => "NULL".to_owned(),
        }
    }
}

impl History {
    pub(crate) fn new(schema: &str) -> Self {
        let revisions = format!("{}.{}", ident(schema), ident(REVISIONS_TABLE));
        let state = format!("{}.{}", ident(schema), ident(STATE_TABLE));
        // The start at head's query: one small table, no index, no catalog lookup, so that a
        // new server process answers it almost as fast as `SELECT 1`.
        let read_digest_sql = format!("SELECT layout, digest, revisions FROM {state}");
        let read_digest_and_triggers_sql = format!(
            "SELECT layout, digest, revisions, (SELECT count(*) FROM pg_catalog.pg_trigger \
             WHERE tgrelid = {}::regclass AND tgname IN ({}, {}) AND tgenabled IN ('O', 'A')) \
             FROM {state}",
            literal(&revisions),
            literal(ROW_TRIGGER),
            literal(TRUNCATE_TRIGGER),
        );
        History {
            schema: schema.to_owned(),
            log: format!("{}.{}", ident(schema), ident(LOG_TABLE)),
            revisions,
            state,
            read_digest_sql,
            read_digest_and_triggers_sql,
        }
    }

    /// Reads `pelican_state` in one query; with `check_triggers`, checks that its triggers are
    /// there and enabled too (which costs a new server process more than the read itself).
    pub(crate) async fn read_digest(
        &self,
        client: &Client,
        check_triggers: bool,
    ) -> Result<StoredDigest, tokio_postgres::Error> {
        let sql = if check_triggers {
            &self.read_digest_and_triggers_sql
        } else {
            &self.read_digest_sql
        };
        let messages = match client.simple_query(sql).await {
            Ok(messages) => messages,
            Err(err) if is_missing_table(&err) => return Ok(StoredDigest::Missing),
            Err(err) if err.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE) => {
                return Ok(StoredDigest::Unreadable)
            }
            Err(err) => return Err(err),
        };
        let mut rows = messages.iter().filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(row),
            _ => None,
        });
        // Exactly one row; more can only be written by hand, and make the digest unknown.
        let (Some(row), None) = (rows.next(), rows.next()) else {
            return Ok(StoredDigest::Missing);
        };
        let layout: Option<i64> = row.get(0).and_then(|l| l.parse().ok());
        let revisions: Option<i64> = row.get(2).and_then(|r| r.parse().ok());
        let triggers_on = !check_triggers || row.get(3) == Some("2");
        Ok(match (layout, row.get(1), revisions) {
            (Some(layout), _, _) if layout > i64::from(LAYOUT_VERSION) => StoredDigest::Newer,
            (Some(layout), Some(bits), Some(revisions))
                if layout == i64::from(LAYOUT_VERSION) && triggers_on =>
            {
                StoredDigest::Current {
                    bits: bits.to_owned(),
                    revisions,
                }
            }
            _ => StoredDigest::Missing,
        })
    }

    /// The schema holding the tables.
    pub(crate) fn schema(&self) -> &str {
        &self.schema
    }

    /// The history table, schema-qualified and quoted.
    pub(crate) fn revisions_table(&self) -> &str {
        &self.revisions
    }

    /// The log table, schema-qualified and quoted.
    pub(crate) fn log_table(&self) -> &str {
        &self.log
    }

    /// Reads every row's state; `None` when the table does not exist yet. One round trip.
    pub(crate) async fn read_state(
        &self,
        client: &Client,
    ) -> Result<Option<Vec<StateRow>>, tokio_postgres::Error> {
        let sql = format!(
            "SELECT revision, checksum, checksum_algorithm, state, error FROM {}",
            self.revisions
        );
        let messages = match client.simple_query(&sql).await {
            Ok(messages) => messages,
            Err(err) if is_missing_table(&err) => return Ok(None),
            Err(err) => return Err(err),
        };
        let mut rows = Vec::with_capacity(messages.len());
        for message in messages {
            if let SimpleQueryMessage::Row(row) = message {
                rows.push(StateRow {
                    revision: row.get(0).unwrap_or_default().to_owned(),
                    checksum: row.get(1).unwrap_or_default().to_owned(),
                    checksum_algorithm: row.get(2).unwrap_or_default().to_owned(),
                    state: row
                        .get(3)
                        .and_then(RevisionState::parse)
                        .unwrap_or(RevisionState::Failed),
                    error: row.get(4).map(str::to_owned),
                });
            }
        }
        Ok(Some(rows))
    }

    /// Reads every row in full, oldest first; empty when the table does not exist.
    pub(crate) async fn read_rows(
        &self,
        client: &Client,
    ) -> Result<Vec<HistoryRow>, tokio_postgres::Error> {
        let sql = format!(
            "SELECT revision, array_to_string(parents, ','), message, checksum, checksum_algorithm, \
             kind, state, to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), \
             duration_ms, applied_by, error FROM {} ORDER BY applied_at, revision",
            self.revisions
        );
        let messages = match client.simple_query(&sql).await {
            Ok(messages) => messages,
            Err(err) if is_missing_table(&err) => return Ok(Vec::new()),
            Err(err) => return Err(err),
        };
        Ok(messages
            .into_iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::Row(row) => Some(row),
                _ => None,
            })
            .map(|row| {
                let text = |i: usize| row.get(i).unwrap_or_default().to_owned();
                HistoryRow {
                    revision: text(0),
                    parents: row
                        .get(1)
                        .filter(|p| !p.is_empty())
                        .map(|p| p.split(',').map(str::to_owned).collect())
                        .unwrap_or_default(),
                    message: text(2),
                    checksum: text(3),
                    checksum_algorithm: text(4),
                    kind: text(5),
                    state: row
                        .get(6)
                        .and_then(RevisionState::parse)
                        .unwrap_or(RevisionState::Failed),
                    applied_at: text(7),
                    duration_ms: row.get(8).and_then(|d| d.parse().ok()),
                    applied_by: text(9),
                    error: row.get(10).map(str::to_owned),
                }
            })
            .collect())
    }

    /// Creates the schema (when missing) and both tables. Runs under the migration lock.
    pub(crate) async fn create(&self, client: &Client) -> Result<(), tokio_postgres::Error> {
        // CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege on the database even when
        // the schema exists, so look first.
        let exists = client
            .simple_query(&format!(
                "SELECT 1 FROM pg_namespace WHERE nspname = {}",
                literal(&self.schema)
            ))
            .await?
            .iter()
            .any(|m| matches!(m, SimpleQueryMessage::Row(_)));
        let mut sql = String::new();
        if !exists {
            sql.push_str(&format!("CREATE SCHEMA {};\n", ident(&self.schema)));
        }
        sql.push_str(&self.create_tables_sql());
        client.batch_execute(&sql).await
    }

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
    /// module documentation). The schema must exist. Run on tables of layout 1, it brings them
    /// to layout 2; run again, it changes nothing but recomputes the digest.
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
        let track = dollar_quoted(&format!(
            "
DECLARE
    change bit(256) := {zero};
    delta bigint := 0;
BEGIN
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
        let table = literal(revisions);
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
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = {table}::regclass AND tgname IN ({row_name}, {truncate_name}) AND tgenabled NOT IN ('O', 'A')) THEN
        ALTER TABLE {revisions} ENABLE TRIGGER {row_trigger}, ENABLE TRIGGER {truncate_trigger};
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
DO {setup};",
            state_comment = literal(&format!(
                "pelican: the digest of {REVISIONS_TABLE}, kept by its triggers; one row (layout {LAYOUT_VERSION})"
            )),
        )
    }

    /// The tables of layout 1.
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

    /// `INSERT` of a new row.
    pub(crate) fn insert_sql(
        &self,
        row: &NewRow<'_>,
        elapsed: Elapsed,
        error: Option<&str>,
    ) -> String {
        format!(
            "INSERT INTO {} (revision, parents, message, checksum, checksum_algorithm, kind, state, duration_ms, error) \
             VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {});\n",
            self.revisions,
            literal(row.revision),
            text_array(row.parents.iter().copied()),
            literal(row.message),
            literal(&row.checksum.to_string()),
            literal(row.checksum.algorithm().name()),
            literal(row.kind.as_str()),
            literal(row.state.as_str()),
            elapsed.sql(),
            optional_literal(error),
        )
    }

    /// `UPDATE` of a row's state (and error, duration).
    pub(crate) fn set_state_sql(
        &self,
        revision: &str,
        state: RevisionState,
        elapsed: Elapsed,
        error: Option<&str>,
    ) -> String {
        format!(
            "UPDATE {} SET state = {}, duration_ms = {}, error = {}, applied_at = now() WHERE revision = {};\n",
            self.revisions,
            literal(state.as_str()),
            elapsed.sql(),
            optional_literal(error),
            literal(revision),
        )
    }

    /// `UPDATE` of a row's recorded checksum (repair).
    pub(crate) fn set_checksum_sql(&self, revision: &str, checksum: &Checksum) -> String {
        format!(
            "UPDATE {} SET checksum = {}, checksum_algorithm = {} WHERE revision = {};\n",
            self.revisions,
            literal(&checksum.to_string()),
            literal(checksum.algorithm().name()),
            literal(revision),
        )
    }

    /// `DELETE` of a row.
    pub(crate) fn delete_sql(&self, revision: &str) -> String {
        format!(
            "DELETE FROM {} WHERE revision = {};\n",
            self.revisions,
            literal(revision)
        )
    }

    /// `INSERT` into the log.
    pub(crate) fn log_sql(
        &self,
        revision: &str,
        operation: Operation,
        ok: bool,
        elapsed: Elapsed,
        checksum: Option<&Checksum>,
        detail: Option<&str>,
    ) -> String {
        format!(
            "INSERT INTO {} (revision, operation, outcome, duration_ms, checksum, detail) VALUES ({}, {}, {}, {}, {}, {});\n",
            self.log,
            literal(revision),
            literal(operation.as_str()),
            literal(if ok { "ok" } else { "failed" }),
            elapsed.sql(),
            optional_literal(checksum.map(|c| c.to_string()).as_deref()),
            optional_literal(detail),
        )
    }
}

/// `body` in dollar quotes whose tag it can't close early, whatever names it holds.
fn dollar_quoted(body: &str) -> String {
    let mut tag = String::from("$pelican$");
    let mut n = 0;
    while body.contains(&tag) {
        n += 1;
        tag = format!("$pelican{n}$");
    }
    format!("{tag}{body}{tag}")
}

fn is_missing_table(err: &tokio_postgres::Error) -> bool {
    matches!(
        err.code(),
        Some(code) if *code == SqlState::UNDEFINED_TABLE || *code == SqlState::INVALID_SCHEMA_NAME
    )
}
